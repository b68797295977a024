"""Vectorised evaluation of index expressions, including zero padding and dilation gaps."""

import numpy as np
import pytest
import sympy as sp

from symgrad.core.evaluate import evaluate_element, evaluate_matrix, value_at
from symgrad.core.ops import Diag, Indicator, Ones, Transpose
from symgrad.core.simplify import Iverson
from symgrad.core.tensor import index


def test_at_reads_zero_outside_and_at_fractions():
    a = np.arange(5.0)
    got = value_at(a, (np.array([-1, 0, 4, 5, 1.5, 2.0000000000001]),))
    np.testing.assert_array_equal(got, [0, 0, 4, 0, 0, 2])


def test_evaluate_matches_loops():
    i, j, k = index("i"), index("j"), index("k")
    A = sp.IndexedBase("A")
    e = sp.Sum(A[i, k] * A[k, j], (k, 0, 2)) * Iverson(sp.Le(i, j)) + sp.KroneckerDelta(i, j)
    a = np.random.default_rng(1).normal(size=(3, 3))
    got = evaluate_element(e, (i, j), (3, 3), {"A": a}, {})
    ref = np.triu(a @ a) + np.eye(3)
    np.testing.assert_allclose(got, ref)


def test_evaluate_matrix_reads_identity_ones_and_indicators():
    """The matrix-form interpreter: I sized by its neighbours, ones vectors, 1[v > 0]."""
    A, v = (sp.Symbol(s, commutative=False) for s in ("A", "v"))
    I = sp.Symbol("I", commutative=False)
    rng = np.random.default_rng(0)
    env = {"A": rng.normal(size=(3, 3)), "v": rng.normal(size=3)}
    n = sp.Integer(3)
    got = evaluate_matrix(2 * I + A - Ones(n) * Transpose(Ones(n)) + Diag(Indicator(v)) * A,
                          env, {})
    want = 2 * np.eye(3) + env["A"] - 1 + np.diag(env["v"] > 0) @ env["A"]
    np.testing.assert_allclose(got, want, atol=1e-12)
    np.testing.assert_allclose(evaluate_matrix(Transpose(Ones(n)) * v, env, {}),
                               [[env["v"].sum()]], atol=1e-12)


def test_sums_are_vectorised_and_agree_with_loops():
    """A sum with constant bounds becomes an array axis (no Python loop over its index);
    dependent bounds, nested sums and a body free of the index still give the loop's value."""
    import sympy as sp

    from symgrad.core.evaluate import evaluate_element
    from symgrad.core.tensor import Tensor, index

    i, j, r, q = (index(c) for c in "ijrq")
    x, A = Tensor("x", (4,)), Tensor("A", (3, 4))
    rng = np.random.default_rng(5)
    xv, Av = rng.normal(size=4), rng.normal(size=(3, 4))
    env = {"x": xv, "A": Av}
    tri = evaluate_element(sp.Sum(sp.Sum(x[q], (q, 0, r)), (r, 0, 3)), (), (), env, {})
    assert tri == pytest.approx(sum(xv[k] for r_ in range(4) for k in range(r_ + 1)))
    lin = evaluate_element(sp.Sum(2 * A[i, q] * x[q], (q, 0, 3)) + sp.Sum(1, (r, 0, 2)),
                           (i,), (3,), env, {})
    want = [sum(2 * Av[a, k] * xv[k] for k in range(4)) + 3 for a in range(3)]
    np.testing.assert_allclose(lin, want, atol=1e-12)
    two = evaluate_element(sp.Sum(A[i, q] * A[j, r], (q, 0, 3), (r, 0, 1)), (i, j), (3, 3),
                           env, {})
    want = [[sum(Av[a, k] * Av[b, s] for k in range(4) for s in range(2)) for b in range(3)]
            for a in range(3)]
    np.testing.assert_allclose(two, want, atol=1e-12)
    # zero padding and non-integral positions still read as 0
    pad = evaluate_element(sp.Sum(x[q + i - 1] + x[sp.Rational(1, 2) * q], (q, 0, 3)),
                           (i,), (2,), env, {})
    want = [sum((xv[k + a - 1] if 0 <= k + a - 1 < 4 else 0) + (xv[k // 2] if k % 2 == 0
                                                                  else 0) for k in range(4))
            for a in range(2)]
    np.testing.assert_allclose(pad, want, atol=1e-12)


def test_a_sequence_pass_reuses_one_compiled_plan_and_agrees_with_the_element_route():
    import numpy as np

    import symgrad as sg
    from symgrad.core.evaluate import evaluate_element

    m = sg.Model.from_latex(r"z = W x \\ a = \tanh(z)", {"x": "n", "W": "m x n"})
    rng = np.random.default_rng(3)
    arrays = {"x": rng.normal(size=3), "W": rng.normal(size=(2, 3))}
    sizes = {sg.core.tensor.size("n"): 3, sg.core.tensor.size("m"): 2}
    first = m.forward(dict(arrays), sizes)
    again = m.forward(dict(arrays), sizes)
    assert len(m._plans) == 1 and np.allclose(first["a"], again["a"])
    assert np.allclose(first["a"], np.tanh(arrays["W"] @ arrays["x"]))
    d = m.definitions["a"]
    assert np.allclose(first["a"], evaluate_element(d.expr, d.indices, [2], first, sizes))
