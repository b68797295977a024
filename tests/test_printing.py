"""LaTeX in the homework's notation: 1-based indices, cases, readable ordering."""

import numpy as np
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


# latex2sympy2_extended as an independent reader of what symgrad prints (issue 11) ----------
def _read_back(tex):
    from latex2sympy2_extended import latex2sympy
    from latex2sympy2_extended.latex2sympy2 import ConversionConfig

    e = latex2sympy(tex, conversion_config=ConversionConfig(lowercase_symbols=False))
    return e.xreplace({s: sp.Symbol(s.name, integer=True, positive=True)
                       for s in e.free_symbols})


def _same(a, b):
    names = sorted(a.free_symbols | b.free_symbols, key=str)
    rng = np.random.default_rng(3)
    for _ in range(30):
        vals = {s: int(v) for s, v in zip(names, rng.integers(1, 9, len(names)))}
        assert a.xreplace(vals) == b.xreplace(vals), (a, b, vals)


def test_printed_sizes_read_back_through_latex2sympy():
    import symgrad as sg
    from symgrad.core.quantity import latex_dims

    H, W, P, D, K, S = sp.symbols("H W P D K S", integer=True, positive=True)
    dims = sg.conv_output_shape((3, H, W), kernel_size=K, stride=S, padding=P, dilation=D,
                                filters=4)
    for d in dims:
        _same(_read_back(sp.latex(d)), sp.Integer(d) if isinstance(d, int) else d)
    for d, part in zip(dims, latex_dims(dims).split(r" \times ")):
        _same(_read_back(part), sp.Integer(d) if isinstance(d, int) else d)
    conv = sg.Conv1d(in_channels=5, length=7, kernel_size=3, stride=2)
    for d, part in zip(conv.output_shape, latex_dims(conv.output_shape).split(r" \times ")):
        assert _read_back(part) == d


def test_printed_numbers_of_the_answers_read_back():
    import re

    import symgrad as sg

    (display,) = re.findall(r"\\\[(.*?)\\\]", sg.answer("1.1.a").latex, re.S)
    computations = display.split(r", \qquad")
    assert len(computations) == 2
    for computation, size in zip(computations, (5, 2)):
        left, right = computation.split("=")
        assert _read_back(left).doit() == _read_back(right) == size
    assert sp.simplify(_read_back(r"\ln 4") - sp.log(4)) == 0
