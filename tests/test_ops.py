"""The one table of operations (core/ops.OPS): each op's derivative rule, NumPy form, LaTeX
and parser names together, and every user of them reading the same table."""

import math

import numpy as np
import pytest
import sympy as sp

from symgrad.core import ops
from symgrad.core.evaluate import evaluate_element
from symgrad.core.tensor import Tensor, index

# independent references, written here (not from symgrad)
REFERENCE = {
    "sigmoid": lambda z: 1.0 / (1.0 + math.exp(-z)),
    "tanh": math.tanh, "exp": math.exp, "log": math.log,
    "relu": lambda z: z if z > 0 else 0.0,
    "abs": abs, "sqrt": math.sqrt, "sin": math.sin, "cos": math.cos,
    "floor": math.floor, "ceil": math.ceil,
    "indicator": lambda z: 1.0 if z > 0 else 0.0,
    "heaviside": lambda z: 1.0 if z > 0 else (0.0 if z < 0 else 0.5),
}
POINTS = [0.3, 1.7, 2.2, 0.9]  # positive, off the kinks of relu/abs/floor


def test_every_elementwise_op_has_a_reference_and_its_numpy_form_matches_it():
    for op in ops.OPS.values():
        if not op.elementwise:
            continue
        ref = REFERENCE[op.name]
        for z in POINTS + [-0.8]:
            if op.name in ("log", "sqrt") and z <= 0:
                continue
            assert float(op.numpy(np.array(z))) == pytest.approx(ref(z), abs=1e-12), op.name


@pytest.mark.parametrize("name", [n for n, op in ops.OPS.items()
                                  if op.elementwise and op.derivative is not None])
def test_derivative_rule_matches_central_differences(name):
    op = ops.OPS[name]
    z = sp.Symbol("z", real=True)
    out = op.head(z)
    rule = op.rule(out, z)
    for v in POINTS:
        want = (REFERENCE[name](v + 1e-6) - REFERENCE[name](v - 1e-6)) / 2e-6
        got = float(rule.subs(z, v).evalf())
        assert got == pytest.approx(want, abs=1e-6), (name, v)


def test_sympy_heads_differentiate_by_the_table():
    z = sp.Symbol("z")
    assert sp.diff(ops.sigmoid(z), z) == ops.OPS["sigmoid"].rule(ops.sigmoid(z), z)
    assert sp.diff(ops.relu(z), z) == sp.Heaviside(z, 0)


def test_evaluate_uses_the_table_for_symgrads_own_heads():
    i = index("i")
    v = Tensor("v", (4,))
    z = np.array([-1.5, 0.2, 0.0, 3.0])
    for head, ref in ((ops.sigmoid, REFERENCE["sigmoid"]), (ops.relu, REFERENCE["relu"]),
                      (ops.Indicator, REFERENCE["indicator"])):
        got = evaluate_element(head(v[i]), (i,), (4,), {"v": z}, {})
        np.testing.assert_allclose(got, [ref(a) for a in z], atol=1e-12)


def test_parser_words_and_numpy_forms_are_what_the_reader_and_verifier_use():
    from symgrad.notation import lexer
    from symgrad.verify import numeric

    words = ops.parser_words()
    assert words["softmax"] == "softargmax" and words["ln"] == "log"
    assert all(ops.head(name) is not None for name in words.values())
    # the reader knows every word of the table (it may read more, e.g. max through \max)
    assert set(words) <= set(lexer._FUNC_WORDS)
    assert all(lexer._FUNC_WORDS[w] == k for w, k in words.items())
    assert numeric.ELEMENTWISE == ops.numpy_forms()
    assert ops.relu in numeric.ELEMENTWISE and ops.Indicator in numeric.ELEMENTWISE


def test_latex_of_the_table():
    z = sp.Symbol("z")
    assert sp.latex(ops.sigmoid(z)) == r"\sigma\left(z\right)"
    assert sp.latex(ops.relu(z) ** 2) == r"\operatorname{ReLU}\left(z\right)^{2}"
    assert sp.latex(ops.Softargmax(z)) == r"\operatorname{softargmax}\left(z\right)"
    assert ops.OPS["tanh"].latex_call("z") == r"\tanh\left(z\right)"
    assert ops.op_of(sp.tanh(z)).name == "tanh" and ops.op_of(z) is None


# functions of a whole matrix: det, |det|, the inverse's entries -------------------------
MATRIX_REFERENCE = {  # independent references, written here
    "det": lambda a: np.prod(np.linalg.eigvals(a)).real,
    "absdet": lambda a: abs(np.prod(np.linalg.eigvals(a)).real),
    "inverse": lambda a: np.linalg.solve(a, np.eye(len(a))),
}


@pytest.mark.parametrize("name", [n for n, op in ops.OPS.items()
                                  if op.matrix and op.operand == "square"])
def test_matrix_op_rule_matches_central_differences(name):
    op = ops.OPS[name]
    n = 3
    X = Tensor("X", (n, n))
    i, j, k, l = (index(c) for c in "ijkl")
    out = op.head(X.base, i, j) if name == "inverse" else op.head(X.base)
    rule = op.rule(out, X[k, l])
    rng = np.random.default_rng(3)
    a = rng.normal(size=(n, n)) + n * np.eye(n)
    a[0] = -a[0]  # a negative determinant: |det| differs from det
    ref = MATRIX_REFERENCE[name]
    free = (i, j, k, l) if name == "inverse" else (k, l)
    got = evaluate_element(rule, free, (n,) * len(free), {"X": a}, {})
    want = np.zeros(np.shape(ref(a)) + (n, n))
    for p in np.ndindex(n, n):
        step = np.zeros((n, n))
        step[p] = 1e-6
        want[(Ellipsis, *p)] = (ref(a + step) - ref(a - step)) / 2e-6
    np.testing.assert_allclose(got, want, atol=1e-6)
    value = evaluate_element(out, free[:2] if name == "inverse" else (),
                             (n, n) if name == "inverse" else (), {"X": a}, {})
    np.testing.assert_allclose(value, ref(a), atol=1e-10)
    assert sp.diff(out, X[k, l]) == rule  # SymPy differentiates by the table's rule


def test_latex_of_the_matrix_ops():
    X = sp.IndexedBase("X")
    i, j = index("i"), index("j")
    assert sp.latex(ops.Det(X)) == r"\det\left(X\right)"
    assert sp.latex(sp.Abs(ops.Det(X))) == r"\left|\det\left(X\right)\right|"
    assert sp.latex(ops.InverseEntry(X, i, j)) == r"\left(X^{-1}\right)_{ij}"
    Xm = sp.Symbol("X", commutative=False)
    assert sp.latex(ops.Transposed(Xm ** -1)) == r"X^{-\top}"
    assert sp.latex(ops.HadamardDiv(Xm, sp.Symbol("Y", commutative=False))) == r"X \oslash Y"


def test_logsumexp_rule_is_the_softmax_and_its_value_is_shifted():
    """logsumexp of a whole vector: d/dx_k = exp(x_k - out) against central differences of
    an explicit loop; the NumPy form shifts by the max (no overflow at x = 1000)."""
    op = ops.OPS["logsumexp"]
    assert op.matrix and op.operand == "vector" and "lse" in op.words
    for n in (2, 3, 5):
        x = Tensor("x", (n,))
        k = index("k")
        out = op.head(x.base)
        rule = op.rule(out, x[k])
        assert sp.diff(out, x[k]) == rule
        a = np.random.default_rng(n).normal(size=n) * 2

        def ref(v):
            top = max(v)
            return top + np.log(sum(np.exp(e - top) for e in v))

        got = evaluate_element(rule, (k,), (n,), {"x": a}, {})
        want = [(ref(a + 1e-6 * np.eye(n)[p]) - ref(a - 1e-6 * np.eye(n)[p])) / 2e-6
                for p in range(n)]
        np.testing.assert_allclose(got, want, atol=1e-6)
        np.testing.assert_allclose(evaluate_element(out, (), (), {"x": a}, {}), ref(a))
    np.testing.assert_allclose(op.numpy(np.array([1000.0, 1000.0])), 1000 + np.log(2))
