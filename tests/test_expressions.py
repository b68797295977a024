"""Expressions (symgrad/notation/expressions.py): what a formula reads as, before checking."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from symgrad.core.errors import ParseError
from symgrad.core.ops import Det, Hadamard, HadamardDiv, Transpose
from symgrad.notation import IMPLIED_BASE, Declarations, Kron, TensorDecl, parse_expression

n, m = (sp.Symbol(s, integer=True, positive=True) for s in "nm")
DECLS = Declarations((TensorDecl("x", (n,), ("x",)), TensorDecl("W", (m, n), ("W",)),
                      TensorDecl("A", (n, n), ("A",))), scalars=("n", "m"))
k = sp.Symbol("k", integer=True)


def read(text):
    return parse_expression(text, DECLS)


def test_sums_without_bounds_run_over_the_axis_they_index():
    e = read(r"\sum_k x_k")
    assert e == sp.Sum(sp.Indexed(sp.IndexedBase("x"), k), (k, IMPLIED_BASE, n - 1 + IMPLIED_BASE))
    with pytest.raises(ParseError, match="bounds are not written"):
        read(r"\sum_k 2")


def test_the_ones_vector_is_a_sum_and_is_never_dropped_beside_a_matrix():
    assert read(r"\mathbf{1}^\top x") == read(r"x^\top \mathbf{1}") == read(r"\sum_k x_k")
    assert read(r"\mathbf{1} - x") == 1 - sp.Symbol("x", commutative=False)
    assert read(r"W \mathbf{1}").has(sp.Symbol("all_ones_vector", commutative=False))


def test_norms_traces_inner_products_and_max():
    assert read(r"\|x\|^2") == read(r"\mathbf{1}^\top (x \odot x)")
    assert isinstance(read(r"\mathrm{tr}(A)"), sp.Sum)
    assert read(r"\langle x, x \rangle") == read(r"\|x\|^2")
    assert read(r"\max(0, x_1)").func.__name__ == "relu"
    with pytest.raises(ParseError, match="element by element"):
        read(r"\max(x, W x)")


def test_matrix_functions_read_as_the_table_of_operations_says():
    A, x = sp.Symbol("A", commutative=False), sp.Symbol("x", commutative=False)
    assert read(r"\det(A)") == read(r"\det A") == read(r"\operatorname{det}(A)") == Det(A)
    assert read(r"\log\det A") == sp.log(Det(A))
    assert read(r"\ln|\det(A)|") == read(r"\log\left|\det A\right|") == sp.log(sp.Abs(Det(A)))
    assert read(r"A^{-1}") == A ** -1
    assert read(r"A^{-\top}") == read(r"A^{-T}") == read(r"(A^{-1})^\top") == Transpose(A ** -1)
    assert read(r"x \oslash x") == HadamardDiv(x, x)
    assert read(r"x \oslash x \odot x") == Hadamard(HadamardDiv(x, x), x)  # from the left
    assert read(r"x \odot x \oslash x") == HadamardDiv(Hadamard(x, x), x)
    assert read(r"x \cdot x") == read(r"\langle x, x \rangle")  # two vectors: inner product
    assert read(r"n \cdot x") == n * x                          # a scalar: a product
    assert read(r"\|x\|_1") == sp.Sum(sp.Abs(sp.Indexed(sp.IndexedBase("x"), k)),
                                       (k, IMPLIED_BASE, n - 1 + IMPLIED_BASE))


def test_kronecker_of_matrices_and_outer_product_of_vectors():
    assert isinstance(read(r"A \otimes W"), Kron)
    assert not read(r"x \otimes x").has(Kron)


@pytest.mark.parametrize("text, construct", [
    (r"|x|", "absolute value"), (r"\mathrm{GELU}(x)", "function GELU"),
    (r"\|x\|_3", "norm"), (r"\|W x\|_1", "norm"), (r"\langle x \rangle", "inner product"),
])
def test_constructs_read_otherwise_are_refused(text, construct):
    with pytest.raises(ParseError) as err:
        read(text)
    assert err.value.construct == construct


def test_a_vector_hadamard_a_vector_times_a_row_reads_as_the_grouping_whose_shapes_fit():
    # (dl/dh[t])^T ⊙ (1 - c[t]) x[t]^T: vector ⊙ (vector x row) cannot be entry by entry,
    # so it is ((dl/dh[t])^T ⊙ (1 - c[t])) x[t]^T, the gradient by W_x (aditeya.md)
    import symgrad as sg

    claim = (r"\frac{\partial \ell}{\partial W_x} = \sum_{t=1}^{K} \left( \frac{\partial \ell}"
             r"{\partial h[t]} \right)^T \odot (1 - c[t]) \, x[t]^T")
    assert sg.check("1.2.1.c", claim).verdict == "correct"
    assert sg.check("1.2.1.c", claim.replace("(1 - c[t])", "c[t]")).verdict == "incorrect"


def test_a_bracket_after_a_number_groups_a_factor():
    # a_1[t] is one number: a_1[t] [(1 - a_1[t]) v_1[t] - ...] multiplies, it does not index
    import symgrad as sg

    left = r"\sum_{i=0}^{2} a_i[t](\delta_{i1} - a_1[t]) v_i[t] = a_1[t] "
    right = r"(1 - a_1[t]) v_1[t] - a_0[t] v_0[t] - a_2[t] v_2[t]"
    for open_, close in (("[", "]"), (r"\left[", r"\right]")):
        assert sg.check("1.2.2.e", left + open_ + right + close).verdict == "correct"
    assert sg.check("1.2.2.e", left + "[" + right.replace("- a_0", "+ a_0") + "]"
                    ).verdict == "incorrect"


def test_a_derivative_operator_applies_to_the_index_expression_after_it():
    # d/dW[i', j'] of sum_j W[i, j] x[j] is x[j'] where i = i': checked on numbers
    e = read(r"\frac{\partial}{\partial W_{p, q}} \left( \sum_{j=1}^{n} W_{i, j} x_{j} \right)")
    rng = np.random.default_rng(0)
    x = rng.normal(size=4)
    syms = {s.name: s for s in e.free_symbols if isinstance(s, sp.Symbol)}
    for i_, p_, q_ in ((1, 1, 2), (2, 1, 3), (3, 3, 4)):
        value = e.subs({syms["i"]: i_, syms["p"]: p_, syms["q"]: q_, n: 4}).doit()
        value = value.replace(lambda a: isinstance(a, sp.Indexed),
                              lambda a: sp.Float(x[int(a.indices[0]) - 1]))
        assert float(value) == pytest.approx(x[q_ - 1] if i_ == p_ else 0.0)
    with pytest.raises(ParseError, match="index expression"):
        read(r"\frac{\partial}{\partial W} \left( W x \right)")
