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


# --- no invalid LaTeX: double superscripts, ReLU as (z + |z|)/2 (issue 13) ----------------
def double_script(tex):
    """The first double superscript in a LaTeX fragment (``a^{1}^{2}``, ``h'^{2}``), or None.

    Independent of symgrad's printer: a small scan that tracks, per brace depth, whether the
    last atom already carries a superscript."""
    sup = {0: False}
    depth, k = 0, 0
    while k < len(tex):
        ch = tex[k]
        if ch == "\\":
            m = __import__("re").match(r"\\([A-Za-z]+|.)", tex[k:])
            word = m.group(1)
            k += len(m.group(0))
            if word in ("left", "right", "big", "Big", "bigl", "bigr"):
                k += 1  # the delimiter
                if word in ("right", "bigr"):
                    sup[depth] = False
                continue
            if word not in (",", ";", ":", "!", " ", "quad", "qquad"):
                sup[depth] = False
            continue
        if ch in "^'":
            if sup.get(depth):
                return tex[max(0, k - 30): k + 10]
            sup[depth] = True
            k += 1
            if ch == "^":
                k = _skip_arg(tex, k)
            continue
        if ch == "_":
            k = _skip_arg(tex, k + 1)
            continue
        if ch == "{":
            depth += 1
            sup[depth] = False
        elif ch == "}":
            depth -= 1
            sup[depth] = False  # a group is an atom of its own
        elif not ch.isspace():
            sup[depth] = False
        k += 1
    return None


def _skip_arg(tex, k):
    while k < len(tex) and tex[k] == " ":
        k += 1
    if k < len(tex) and tex[k] == "{":
        depth = 0
        while k < len(tex):
            depth += {"{": 1, "}": -1}.get(tex[k], 0)
            k += 1
            if depth == 0:
                return k
    if k < len(tex) and tex[k] == "\\":
        import re
        return k + len(re.match(r"\\([A-Za-z]+|.)", tex[k:]).group(0))
    return k + 1


def test_double_script_detector_itself():
    assert double_script(r"h^{(1)}_{k}^{2}") and double_script(r"W^{(2)}^{\top}")
    assert double_script(r"h'^{2}")
    for ok in (r"\left(h^{(1)}_{k}\right)^{2}", r"\left(W^{(2)}\right)^{\top}", r"x_{i}^{2}",
               r"W^{(1)}_{iq}", r"{h^{(1)}}^{2}", r"\sum_{k=1}^{m} x^{2}"):
        assert double_script(ok) is None, ok


def _superscripted_models():
    import symgrad as sg

    mlp = sg.Model.from_latex(r"""
    z = W^{(1)} x
    h^{(1)} = \tanh(z)
    f = \sum_k (h^{(1)}_k)^2
    """, shapes={"W^{(1)}": "m x n", "x": "n"})
    relu = sg.Model.from_latex(r"""
    a = W^{(2)} x
    y = \mathrm{ReLU}(a)
    """, shapes={"W^{(2)}": "m x n", "x": "n"})
    return [(mlp, "f", ["x", "W^{(1)}"]), (relu, "y", ["x", "W^{(2)}"])]


def _printed_forms():
    """(quantity, form, base, latex) for the values and derivatives of models whose tensors
    are written with superscripts, W^{(1)} and h^{(1)}."""
    out = []
    for model, of, wrts in _superscripted_models():
        qs = [model.value(n) for n in model.definitions]
        qs += [model.jacobian(of, w) for w in wrts]
        qs += [model.grad(w) for w in wrts]
        for q in qs:
            for form in ("index", "matrix"):
                if form == "matrix" and q.matrix is None:
                    continue
                for base in (0, 1):
                    out.append((q, form, base, q.latex(form, index_base=base)))
    return out


def test_no_double_superscript_and_relu_printed_as_relu():
    forms = _printed_forms()
    texts = [t for *_, t in forms]
    assert any(r"\left(h^{(1)}_{k}\right)^{2}" in t for t in texts)
    assert any(r"\left(W^{(1)}\right)^{\top}" in t for t in texts)
    for q, form, base, tex in forms:
        assert double_script(tex) is None, (q.name, form, base, tex)
        assert r"\left|" not in tex and "|" not in tex, tex  # ReLU is not (z + |z|) / 2
    relu_values = [t for q, form, _, t in forms if q.name == "y" and form == "index"]
    assert relu_values and all(r"\operatorname{ReLU}" in t for t in relu_values)


def test_printed_forms_of_superscripted_models_are_judged_correct():
    for q, form, base, tex in _printed_forms():
        verdict = q.check(tex, index_base=base)
        assert verdict.verdict == "correct", (q.name, form, base, tex, verdict.explanation)


def test_relu_value_evaluates_to_max():
    _, (relu, _, _) = _superscripted_models()
    rng = np.random.default_rng(3)
    W, x = rng.normal(size=(4, 3)), rng.normal(size=3)
    got = relu.value("y").evaluate({"W^{(2)}": W, "x": x})
    want = np.array([max(0.0, sum(W[i, q] * x[q] for q in range(3))) for i in range(4)])
    np.testing.assert_allclose(got, want, atol=1e-12)


def test_printed_forms_compile():
    import os
    import shutil
    import subprocess
    import tempfile

    import pytest

    if shutil.which("pdflatex") is None:
        if os.environ.get("SYMGRAD_REQUIRE_LATEX") == "1":
            pytest.fail("pdflatex is required (SYMGRAD_REQUIRE_LATEX=1) but not installed")
        pytest.skip("pdflatex is not installed")
    body = "\n".join(r"\[ %s \]" % t for *_, t in _printed_forms())
    doc = (r"\documentclass{article}\usepackage{amsmath,amssymb}"
           r"\usepackage[margin=5mm,paperwidth=60cm]{geometry}\begin{document}" + "\n" + body
           + "\n" + r"\end{document}")
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "f.tex"), "w") as fh:
            fh.write(doc)
        run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error",
                              "-no-shell-escape", "f.tex"], cwd=d, capture_output=True,
                             text=True, timeout=120)
        assert run.returncode == 0, run.stdout[-2000:]
