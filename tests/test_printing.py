"""LaTeX in the homework's notation: 1-based indices, cases, readable ordering."""

import sympy as sp

from symgrad.core.printing import latex_element, shift_base
from symgrad.core.simplify import Iverson
from symgrad.core.tensor import Tensor, index


def test_one_based_cases_with_chained_condition():
    l, j, f, c = (index(s) for s in "ljfc")
    W = Tensor("W", (1, 5, 3), "W", "bracket")
    e = Iverson(sp.And(sp.Le(0, l - 2 * j), sp.Le(l - 2 * j, 2))) * W[f, c, l - 2 * j]
    text = latex_element(shift_base(e, (l, j, f, c), 1), {"W": W})
    assert r"W[f, c, l - 2 j + 2]" in text and r"1 \le l - 2 j + 2 \le 3" in text
    assert r"0 \le l - 2 j \le 2" in latex_element(e, {"W": W})


def test_subscript_style_and_factor_order():
    i, j = index("i"), index("j")
    c = Tensor("c", (3,), "c[t]")
    Wh = Tensor("W_h", (3, 3))
    text = latex_element(shift_base(c[i] * sp.KroneckerDelta(i, j) + (1 - c[i]) * Wh[i, j],
                                    (i, j), 1), {"c": c, "W_h": Wh})
    assert text == r"c[t]_{i} \delta_{ij} + \left(1 - c[t]_{i}\right) \left(W_h\right)_{ij}"


def test_matrix_form_sums_follow_the_index_base():
    """Issue 13: a sum left in a matrix form printed 0-based under the 1-based default."""
    import symgrad as sg
    from symgrad.core.tensor import size

    n = size("n")
    M = sg.Model("lse")
    z = M.input("z", (n,))
    k = M.fresh_index("k")
    M.define("ell", (), (), sp.log(sp.Sum(sp.exp(z[(k,)]), (k, 0, n - 1))), r"\ell")
    q = M.jacobian("ell", "z")
    assert r"\sum_{k=1}^{n}" in q.latex(form="matrix")
    assert r"\sum_{k=0}^{n - 1}" in q.latex(form="matrix", index_base=0)
    assert r"\sum_{k=1}^{n}" in q.latex(form="index")
