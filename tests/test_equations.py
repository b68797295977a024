"""Models from equations: every supported construct, names as written, errors that name
the equation and the symbol at fault.

Numeric truth comes from NumPy code written here from the equations, and central
finite differences of it.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from reference import central, sig

import symgrad as sg
from symgrad.core.errors import ParseError, ShapeError, SymgradError, UnknownNameError
from symgrad.core.model import Model
from symgrad.core.ops import Hadamard, Softargmax, sigmoid
from symgrad.core.shapes import parse_shape
from symgrad.core.tensor import index, size
from symgrad.notation.equations import model_from_latex, split_equations

GATED = (r"c[t] = \sigma(W_c x[t] + W_h h[t-1]) \\ "
         r"h[t] = c[t] \odot h[t-1] + (1 - c[t]) \odot W_x x[t]")
GATED_SHAPES = {"x": "n", "h": "m", "W_c": "m x n", "W_h": "m x m", "W_x": "m x n"}






def check_jacobian(model, of, wrt, arrays, f, tol=1e-6):
    """model.jacobian(of, wrt) against finite differences of f (the value of ``of`` as a
    function of the array ``wrt``, the other arrays fixed)."""
    got = model.jacobian(of, wrt).evaluate(arrays)
    ref = central(f, np.asarray(arrays[wrt], dtype=float))
    assert got.shape == ref.shape
    np.testing.assert_allclose(got, ref, atol=tol, rtol=tol)


def rand(rng, *shape):
    return rng.normal(size=shape)


# splitting and shapes ------------------------------------------------------------------
def test_split_equations():
    assert split_equations(r"a = b \\ c = d") == ["a = b", "c = d"]
    assert split_equations("a = b\nc = d\n\n") == ["a = b", "c = d"]
    assert split_equations("a = b +\n  c\nd = e") == ["a = b + c", "d = e"]
    text = r"\begin{aligned} a &= b, \\ c &= \begin{cases} 1 & x \\ 0 & y \end{cases} \end{aligned}"
    eqs = split_equations(text)
    assert len(eqs) == 2 and eqs[0] == "a = b" and r"\begin{cases}" in eqs[1]
    assert split_equations("a = b % a comment \\\\ c = d\nc = d") == ["a = b", "c = d"]


def test_parse_shape():
    m, n, L, K = size("m"), size("n"), size("L"), size("K")
    assert parse_shape("m x n") == (m, n)
    assert parse_shape("3 x 5") == (3, 5)
    assert parse_shape("(T, d)") == (size("T"), size("d"))
    assert parse_shape("m×n") == parse_shape(r"m \times n") == (m, n)
    assert parse_shape("m x (m + n)") == (m, m + n)
    assert parse_shape("floor((L - K)/2) + 1") == (sp.floor((L - K) / 2) + 1,)
    assert parse_shape("(L - K) // 2 + 1") == (sp.floor((L - K) / 2) + 1,)
    assert parse_shape("") == () and parse_shape(()) == ()
    assert parse_shape(("m", 3, n)) == (m, 3, n)
    assert parse_shape(4) == (4,)
    for bad in ("m y n", "m x", "(m", "0", "m x -2", "m $ n"):
        with pytest.raises(ShapeError):
            parse_shape(bad)


# the gated RNN of the brief --------------------------------------------------------------
def test_gated_rnn_from_the_brief():
    model = sg.Model.from_latex(GATED, GATED_SHAPES)
    kinds = {n: model.kinds[n] for n in ("x", "W_c", "W_h", "W_x", "h_prev", "c", "h")}
    assert kinds == {"x": "input", "W_c": "param", "W_h": "param", "W_x": "param",
                     "h_prev": "state", "c": "defined", "h": "defined"}
    latex = {n: model.tensors[n].latex for n in ("x", "h_prev", "c", "h", "W_c")}
    assert latex == {"x": "x[t]", "h_prev": "h[t-1]", "c": "c[t]", "h": "h[t]", "W_c": "W_c"}
    assert model.tensors["c"].shape == (size("m"),)
    assert model.states() == {"h": ["h_prev"]}
    assert model.resolve("h[t-1]") == "h_prev" and model.resolve("x[t]") == "x"
    assert model.resolve("h[t - 1]") == "h_prev" and model.resolve("W_{c}") == "W_c"
    q = model.jacobian("h[t]", "h[t-1]")
    assert q.shape == (size("m"), size("m"))
    assert q.latex("matrix") == (
        r"\frac{\partial h[t]}{\partial h[t-1]} = \operatorname{diag}\left(c[t]\right) + "
        r"\operatorname{diag}\left(\left(h[t-1] - W_x x[t]\right) \odot c[t] \odot "
        r"\left(1 - c[t]\right)\right) W_h")
    assert r"\left(W_x x[t]\right)_{i}" in q.latex()


def test_evaluate_takes_names_as_written():
    model = sg.Model.from_latex(GATED, GATED_SHAPES)
    rng = np.random.default_rng(0)
    n, m = 3, 4
    a = {"x[t]": rand(rng, n), "h[t-1]": rand(rng, m), "W_c": rand(rng, m, n),
         "W_h": rand(rng, m, m), "W_x": rand(rng, m, n)}
    internal = {"x": a["x[t]"], "h_prev": a["h[t-1]"], "W_c": a["W_c"], "W_h": a["W_h"],
                "W_x": a["W_x"]}
    q = model.jacobian("h[t]", "h[t-1]")
    np.testing.assert_allclose(q.evaluate(a), q.evaluate(**internal))
    c = sig(a["W_c"] @ a["x[t]"] + a["W_h"] @ a["h[t-1]"])
    np.testing.assert_allclose(model.value("c[t]").evaluate(a), c)
    np.testing.assert_allclose(model.jacobian("c[t]", "h[t-1]").evaluate(a),
                               (c * (1 - c))[:, None] * a["W_h"])
    with pytest.raises(UnknownNameError, match="nope"):
        q.evaluate({**a, "nope": np.ones(2)})
    with pytest.raises(ShapeError):
        q.evaluate({**a, "W_x": rand(rng, m, n + 1)})


# constructs ---------------------------------------------------------------------------------
def test_matvec_bias_and_elementwise_functions():
    shapes = {"x": "n", "W": "m x n", "b": "m"}
    rng = np.random.default_rng(1)
    x, W, b = rand(rng, 3), rand(rng, 2, 3), rand(rng, 2)
    refs = {
        r"\sigma(W x + b)": lambda x, W, b: sig(W @ x + b),
        r"\tanh(W x + b)": lambda x, W, b: np.tanh(W @ x + b),
        r"\mathrm{ReLU}(W x + b)": lambda x, W, b: np.maximum(W @ x + b, 0),
        r"\max(0, W x + b)": lambda x, W, b: np.maximum(W @ x + b, 0),
        r"\exp(W x) \odot b": lambda x, W, b: np.exp(W @ x) * b,
        r"\log(1 + \exp(W x + b))": lambda x, W, b: np.log1p(np.exp(W @ x + b)),
        r"\frac{1}{1 + \exp(-(W x + b))}": lambda x, W, b: sig(W @ x + b),
        r"\mathrm{softargmax}(W x + b)": lambda x, W, b: np.exp(W @ x + b) / np.exp(
            W @ x + b).sum(),
        r"(W x) / (1 + b \odot b)": lambda x, W, b: (W @ x) / (1 + b * b),
        r"2 W x - b \circ b": lambda x, W, b: 2 * W @ x - b * b,
    }
    for rhs, ref in refs.items():
        model = model_from_latex("y = " + rhs, shapes)
        arrays = {"x": x, "W": W, "b": b}
        np.testing.assert_allclose(model.value("y").evaluate(arrays), ref(x, W, b),
                                   atol=1e-12, err_msg=rhs)
        check_jacobian(model, "y", "x", arrays, lambda v, f=ref: f(v, W, b))
        check_jacobian(model, "y", "W", arrays, lambda v, f=ref: f(x, v, b))
        check_jacobian(model, "y", "b", arrays, lambda v, f=ref: f(x, W, v))


def test_rules_are_written_with_the_named_outputs():
    model = model_from_latex(r"c = \sigma(W x) \\ p = \mathrm{softargmax}(c) \\ "
                             r"r = \mathrm{ReLU}(W x)", {"x": "n", "W": "m x n"})
    e = model.jacobian("c", "x").element
    assert not e.has(sp.exp) and e.has(model.tensors["c"].base)
    e = model.jacobian("p", "c").element
    assert e.has(model.tensors["p"].base) and not e.has(sp.Sum)
    assert model.jacobian("r", "x").element.has(sp.Heaviside)


def test_transposes_products_and_scalars():
    rng = np.random.default_rng(2)
    x, y, W = rand(rng, 3), rand(rng, 3), rand(rng, 3, 3)
    cases = {
        r"s = x^\top W y": lambda x: x @ W @ y,
        r"s = x^{\top} y": lambda x: x @ y,
        r"v = W^\top x": lambda x: W.T @ x,
        r"v = (x^\top W)^\top": lambda x: W.T @ x,
        r"A = x y^\top": lambda x: np.outer(x, y),
        r"A = W^T W \mathrm{diag}(x)": lambda x: W.T @ W @ np.diag(x),
        r"v = \alpha x + \beta W x": lambda x: 0.5 * x + 2.0 * W @ x,
    }
    shapes = {"x": "n", "y": "n", "W": "n x n", r"\alpha": "", r"\beta": ""}
    for text, ref in cases.items():
        model = model_from_latex(text, shapes)
        out = next(iter(model.definitions))
        arrays = {"x": x, "y": y, "W": W, r"\alpha": 0.5, r"\beta": 2.0}
        np.testing.assert_allclose(model.value(out).evaluate(arrays), ref(x), atol=1e-12)
        check_jacobian(model, out, "x", arrays, ref)


def test_row_wise_softargmax_and_broadcast_bias():
    model = model_from_latex(r"S = \mathrm{softmax}(X W + b)", {"X": "T x d", "W": "d x k",
                                                                 "b": "k"})
    rng = np.random.default_rng(3)
    X, W, b = rand(rng, 4, 3), rand(rng, 3, 2), rand(rng, 2)

    def ref(X, W, b):
        Z = X @ W + b
        return np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
    arrays = {"X": X, "W": W, "b": b}
    np.testing.assert_allclose(model.value("S").evaluate(arrays), ref(X, W, b), atol=1e-12)
    check_jacobian(model, "S", "X", arrays, lambda v: ref(v, W, b))
    check_jacobian(model, "S", "b", arrays, lambda v: ref(X, W, v))


def test_index_notation_with_sums_and_ranges():
    shapes = {"x": "n", "W": "m x n", "b": "m", "y": "m"}
    model = model_from_latex(r"y_i = \sum_{j=1}^{n} W_{ij} x_j + b_i", shapes)
    rng = np.random.default_rng(4)
    arrays = {"x": rand(rng, 3), "W": rand(rng, 2, 3), "b": rand(rng, 2)}
    check_jacobian(model, "y", "W", arrays, lambda v: v @ arrays["x"] + arrays["b"])
    assert model.jacobian("y", "x").latex() == r"\frac{\partial y_{i}}{\partial x_{j}} = W_{ij}"
    partial = model_from_latex(r"s = \sum_{j=2}^{n} x_j", {"x": "n"})
    np.testing.assert_allclose(partial.jacobian("s", "x").evaluate(x=np.ones(4)), [0, 1, 1, 1])
    zero = model_from_latex(r"s = \sum_{j=1}^{n-1} x_j", {"x": "n"}, index_base=0)
    np.testing.assert_allclose(zero.jacobian("s", "x").evaluate(x=np.ones(4)), [0, 1, 1, 1])
    elem = model_from_latex(r"y_{i} = \sigma\left(\sum_{j=1}^{n} W_{i,j} x_{j}\right)",
                            shapes)
    check_jacobian(elem, "y", "x", arrays, lambda v: sig(arrays["W"] @ v))


def test_convolution_as_an_index_sum_with_stride():
    shapes = {"x": "L", "w": "K", "y": "floor((L - K)/2) + 1"}
    model = model_from_latex(r"y_j = \sum_{k=1}^{K} w_k x_{2(j-1)+k}", shapes)
    x, w = np.arange(9.0), np.array([1.0, -2.0, 0.5])
    np.testing.assert_allclose(model.value("y").evaluate(x=x, w=w),
                               np.correlate(x, w, "valid")[::2])
    q = model.jacobian("y", "x")
    assert q.latex() == (r"\frac{\partial y_{i}}{\partial x_{j}} = \begin{cases} w_{j - 2 i + 2} "
                         r"& \text{if } 1 \le j - 2 i + 2 \le K \\ 0 & \text{otherwise} "
                         r"\end{cases}")
    brackets = model_from_latex(r"y[j] = \sum_{k=1}^{K} w[k] x[2(j-1)+k]", shapes)
    np.testing.assert_allclose(brackets.jacobian("y", "w").evaluate(x=x, w=w),
                               q.model.jacobian("y", "w").evaluate(x=x, w=w))


def test_time_shifts_and_states():
    shapes = {"x": "n", "h": "m", "W": "m x n", "U": "m x m", "V": "m x m", "a": "k"}
    model = model_from_latex(r"h[t] = \tanh(W x[t] + \sum_{i=1}^{k} a_i U h[t-i] + V h[t-2])",
                             shapes)
    assert model.tensors["h_hist"].shape == (size("k"), size("m"))
    assert model.tensors["h_prev2"].latex == "h[t-2]"
    assert model.resolve("h[t-i]") == "h_hist" and model.resolve("h[t-2]") == "h_prev2"
    assert set(model.states()["h"]) == {"h_prev2", "h_hist"}
    rng = np.random.default_rng(5)
    arrays = {"x[t]": rand(rng, 2), "W": rand(rng, 3, 2), "U": rand(rng, 3, 3),
              "V": rand(rng, 3, 3), "a": rand(rng, 2), "h_hist": rand(rng, 2, 3),
              "h[t-2]": rand(rng, 3)}

    def ref(hist):
        z = arrays["W"] @ arrays["x[t]"] + arrays["V"] @ arrays["h[t-2]"]
        return np.tanh(z + sum(arrays["a"][i] * arrays["U"] @ hist[i] for i in range(2)))
    check_jacobian(model, "h[t]", "h_hist", arrays, ref)
    np.testing.assert_allclose(model.jacobian("h[t]", "h[t-i]").evaluate(arrays),
                               central(ref, arrays["h_hist"]), atol=1e-6)


def test_inputs_at_earlier_steps_and_time_subscripts():
    model = model_from_latex(r"y[t] = W x[t] + U x[t-1]", {"x": "n", "W": "m x n",
                                                           "U": "m x n"})
    assert model.kinds["x_prev"] == "input" and model.tensors["x_prev"].latex == "x[t-1]"
    sub = model_from_latex(r"h_t = \tanh(W h_{t-1} + U x_t)", {"x": "n", "h": "m",
                                                               "W": "m x m", "U": "m x n"})
    assert sub.tensors["h_prev"].latex == "h[t-1]" and sub.tensors["x"].latex == "x[t]"
    rng = np.random.default_rng(6)
    a = {"x[t]": rand(rng, 2), "h[t-1]": rand(rng, 3), "W": rand(rng, 3, 3),
         "U": rand(rng, 3, 2)}
    check_jacobian(sub, "h[t]", "h[t-1]", a,
                   lambda v: np.tanh(a["W"] @ v + a["U"] @ a["x[t]"]))


def test_concatenation():
    shapes = {"x": "n", "h": "m", "W_f": "m x (m + n)", "b_f": "m"}
    model = model_from_latex(r"f[t] = \sigma(W_f [h[t-1], x[t]] + b_f)", shapes)
    rng = np.random.default_rng(7)
    a = {"x[t]": rand(rng, 2), "h[t-1]": rand(rng, 3), "W_f": rand(rng, 3, 5),
         "b_f": rand(rng, 3)}

    def ref(x, h):
        return sig(a["W_f"] @ np.concatenate([h, x]) + a["b_f"])
    check_jacobian(model, "f[t]", "x[t]", a, lambda v: ref(v, a["h[t-1]"]))
    check_jacobian(model, "f[t]", "h[t-1]", a, lambda v: ref(a["x[t]"], v))
    semi = model_from_latex(r"f_t = \sigma(W_f [h_{t-1}; x_t] + b_f)", shapes)
    np.testing.assert_allclose(semi.value("f[t]").evaluate(a),
                               ref(a["x[t]"], a["h[t-1]"]), atol=1e-12)


def test_greek_accented_and_multi_letter_names():
    shapes = {"x": "n", "h": "m", r"W_{hh}": "m x m", r"W_{xh}": "m x n", r"\tilde{b}": "m"}
    model = model_from_latex(r"\tilde{h}[t] = \tanh(W_{hh} h[t-1] + W_{xh} x[t] + \tilde{b})"
                             r" \\ h[t] = \tilde{h}[t]", shapes)
    assert {"W_hh", "W_xh", "tilde_b", "tilde_h"} <= set(model.tensors)
    assert model.tensors["tilde_h"].latex == r"\tilde{h}[t]"
    rng = np.random.default_rng(8)
    a = {"x[t]": rand(rng, 2), "h[t-1]": rand(rng, 3), r"W_{hh}": rand(rng, 3, 3),
         r"W_{xh}": rand(rng, 3, 2), r"\tilde{b}": rand(rng, 3)}
    check_jacobian(model, r"\tilde{h}[t]", r"W_{hh}", a,
                   lambda v: np.tanh(v @ a["h[t-1]"] + a[r"W_{xh}"] @ a["x[t]"]
                                     + a[r"\tilde{b}"]))


def test_intermediates_are_named_and_shapes_inferred():
    model = model_from_latex(GATED, GATED_SHAPES)
    assert model.tensors["W_x_x"].latex == "W_x x[t]"
    assert model.tensors["z_c"].latex == "W_c x[t] + W_h h[t-1]"
    assert model.definitions["c"].op == r"\sigma"
    assert model.source["h"].startswith("h[t] =")
    q = model.value("h[t]")
    assert q.latex() == (r"h[t]_{i} = c[t]_{i} h[t-1]_{i} + \left(W_x x[t]\right)_{i} "
                         r"\left(1 - c[t]_{i}\right)")


def test_system_latex_and_symbolic_sizes_are_specialised():
    model = model_from_latex(GATED, GATED_SHAPES)
    assert r"c[t]_{i} = \sigma\left(" in model.latex()
    q = model.jacobian("h[t]", "h[t-1]", sizes={"m": 4000, "n": 3})
    assert q.shape == (4000, 4000)
    assert q.element == model.jacobian("h[t]", "h[t-1]").element


# the Python side -----------------------------------------------------------------------------
def test_python_matrix_notation():
    M = Model("cell")
    M.input("x", "n", latex="x[t]")
    M.state("h", "m")
    M.param("W", "m x n")
    M.param("U", "m x m")
    x, h_prev, W, U = M.symbols("x", "h_prev", "W", "U")
    M.define("z", W * x + U * h_prev, latex="z[t]")
    M.define("a", sigmoid(M.sym("z")), latex="a[t]")
    M.define("h", Hadamard(M.sym("a"), h_prev), latex="h[t]")
    M.define("p", Softargmax(M.sym("h")))
    assert M.tensors["h_prev"].latex == "h[t-1]"
    i = index("i")
    y = M.equation("y", sp.Sum(M.tensors["W"][i, index("q")] * M.tensors["x"][index("q")],
                               (index("q"), 0, size("n") - 1)), indices=(i,))
    assert y.shape == (size("m"),)
    rng = np.random.default_rng(9)
    a = {"x": rand(rng, 2), "h_prev": rand(rng, 3), "W": rand(rng, 3, 2), "U": rand(rng, 3, 3)}

    def ref(v):
        h = sig(a["W"] @ a["x"] + a["U"] @ v) * v
        return np.exp(h) / np.exp(h).sum()
    check_jacobian(M, "p", "h_prev", a, ref)
    with pytest.raises(ShapeError, match="inner sizes n and m"):
        M.define("bad", W * h_prev)
    with pytest.raises(ShapeError, match="twice"):
        M.define("h", Hadamard(M.sym("a"), h_prev))
    with pytest.raises(ShapeError, match="earlier steps"):
        bad = Model("bad")
        bad.state("h", "m")
        bad.input("x", "n")
        bad.define("h", bad.sym("x"))


# errors ----------------------------------------------------------------------------------
def errors(text, shapes, kind=SymgradError):
    with pytest.raises(kind) as info:
        model_from_latex(text, shapes)
    return str(info.value)


def test_undeclared_shape_names_the_equation_and_symbol():
    shapes = {k: v for k, v in GATED_SHAPES.items() if k != "W_h"}
    msg = errors(GATED, shapes, UnknownNameError)
    assert msg.startswith(r"equation 1 (`c[t] = \sigma(W_c x[t] + W_h h[t-1])`)")
    assert "`W_h` has no declared shape" in msg


def test_shape_mismatch_names_the_equation_and_symbols():
    text = GATED.replace("W_h h[t-1]", "W_c h[t-1]")
    msg = errors(text, GATED_SHAPES, ShapeError)
    assert msg.startswith("equation 1 (") and "W_c (m x n)" in msg and "h[t-1] (m)" in msg
    msg = errors(r"c[t] = W_c x[t] \\ h[t] = c[t] \odot x[t]", GATED_SHAPES, ShapeError)
    assert msg.startswith("equation 2 (") and "c[t] (m)" in msg and "x[t] (n)" in msg
    msg = errors(r"h[t] = W_c x[t] + W_x", GATED_SHAPES, ShapeError)
    assert "cannot add" in msg and "W_x (m x n)" in msg
    msg = errors(r"h[t] = h[t-1] x[t]", GATED_SHAPES, ShapeError)
    assert r"\odot" in msg
    msg = errors(r"h[t] = W_c x[t]", {**GATED_SHAPES, "h": "n"}, ShapeError)
    assert "h is declared n but the right side is m" in msg


def test_state_used_before_it_is_defined():
    e1, e2 = GATED.split(r" \\ ")
    msg = errors(e2 + r" \\ " + e1, GATED_SHAPES, UnknownNameError)
    assert msg.startswith("equation 1 (`h[t] =") and "c[t] is used before it is defined" in msg
    assert "equation 2" in msg
    msg = errors(r"h[t] = \tanh(h[t] + W_x x[t])", GATED_SHAPES, UnknownNameError)
    assert "own definition" in msg and "h[t-1]" in msg
    msg = errors(r"c[t] = W_h s[t-1] \\ s[t] = c[t]", GATED_SHAPES, ShapeError)
    assert "s[t-1]" in msg and "declare s" in msg


def test_other_errors():
    assert "already defined by equation 1" in errors(r"c[t] = W_c x[t] \\ c[t] = W_x x[t]",
                                                    GATED_SHAPES, ShapeError)
    assert "write `name = formula`" in errors(r"c[t] \sigma(x[t])", GATED_SHAPES, ParseError)
    assert "subscript" in errors(r"c[t] = W_c x[2j]", GATED_SHAPES, ShapeError)
    assert "free on the right" in errors(r"s_i = x_j", {"x": "n", "s": "n"}, ShapeError)
    assert "the shape of W_c" in errors("c = W_c x", {**GATED_SHAPES, "W_c": "m y n"},
                                        ShapeError)
    assert "both a size and a tensor" in errors("y = n x", {"x": "n", "n": "n"}, ShapeError)
    assert "not an earlier step" in errors("h[t] = h[t+1]", GATED_SHAPES, ShapeError)
    with pytest.raises(ParseError):
        model_from_latex("", GATED_SHAPES)
    with pytest.raises(ShapeError):
        model_from_latex(GATED, GATED_SHAPES, index_base=2)
    model = model_from_latex(GATED, GATED_SHAPES)
    with pytest.raises(UnknownNameError, match="known"):
        model.jacobian("h[t]", "q[t]")
    with pytest.raises(UnknownNameError, match="parameter"):
        model.grad("x", steps=3)
    with pytest.raises(UnknownNameError, match="'total'"):
        model.grad("W_x", steps=3, given="partial")
    with pytest.raises(ShapeError, match="steps"):
        model.grad("W_x", steps=0)


# names and notation as users write them --------------------------------------------
ELMAN_SHAPES = {"x": "n", "h": "m", "W": "m x n", "U": "m x m"}


@pytest.mark.parametrize("text, now, prev, x", [
    (r"h_t = \tanh(W x_t + U h_{t-1})", "h_t", "h_{t-1}", "x_t"),
    (r"h^{(t)} = \tanh(W x^{(t)} + U h^{(t-1)})", "h^{(t)}", "h^{(t-1)}", "x^{(t)}"),
])
def test_time_subscript_names_are_accepted(text, now, prev, x):
    m = model_from_latex(text, ELMAN_SHAPES)
    rng = np.random.default_rng(0)
    W, U, xv, hp = (rng.normal(size=s) for s in [(2, 3), (2, 2), 3, 2])
    arrays = {x: xv, prev: hp, "W": W, "U": U}
    got = m.jacobian(now, prev).evaluate(arrays)
    want = central(lambda v: np.tanh(W @ xv + U @ v), hp)
    assert np.allclose(got, want, atol=1e-8)
    assert np.allclose(m.jacobian("h[t]", "h[t-1]").evaluate(arrays), got)
    g = rng.normal(size=2)
    grad = m.grad("W", of=now).evaluate({**arrays, "g": g})
    assert np.allclose(grad, np.outer(g * (1 - np.tanh(W @ xv + U @ hp) ** 2), xv))


def test_index_notation_infers_the_left_shape():
    m = model_from_latex(r"y_i = \tanh(x_i)", {"x": "n"})
    assert m.tensors["y"].shape == (size("n"),)
    x = np.linspace(-1, 1, 3)
    assert np.allclose(m.jacobian("y", "x").evaluate({"x": x}), central(np.tanh, x))
    rng = np.random.default_rng(1)
    x, W, b = rng.normal(size=3), rng.normal(size=(2, 3)), rng.normal(size=2)
    for text in (r"y_i = \sigma(\sum_j W_{ij} x_j + b_i)",
                 r"y_i = \sigma(\sum_{j=1}^{n} W_{ij} x_j + b_i)"):
        m = model_from_latex(text, {"x": "n", "W": "m x n", "b": "m"})
        assert m.tensors["y"].shape == (size("m"),)
        a = {"x": x, "W": W, "b": b}
        assert np.allclose(m.jacobian("y", "x").evaluate(a),
                           central(lambda v: sig(W @ v + b), x), atol=1e-8)
        assert np.allclose(m.jacobian("y", "W").evaluate(a),
                           central(lambda v: sig(v @ x + b), W), atol=1e-8)


def test_index_left_side_that_cannot_be_read_says_what_to_declare():
    with pytest.raises(ShapeError, match="declare the shape of y"):
        model_from_latex(r"y_i = \tanh(x_{i+1})", {"x": "n"})


@pytest.mark.parametrize("key", ["alpha", r"\alpha"])
def test_greek_shapes_keys_with_or_without_backslash(key):
    m = model_from_latex(r"y = \alpha W x", {key: "", "W": "m x n", "x": "n"})
    W, x = np.arange(6.0).reshape(2, 3), np.ones(3)
    for name in ("alpha", r"\alpha"):
        got = m.jacobian("y", name).evaluate({name: 2.0, "W": W, "x": x})
        assert np.allclose(got, W @ x)


def test_unknown_greek_name_is_not_listed_as_known():
    with pytest.raises(UnknownNameError) as exc:
        model_from_latex(r"y = \alpha \beta x", {"alpha": "", "x": "n"})
    assert "`\\beta`" in str(exc.value) and "beta" not in str(exc.value).split("known:")[1]


@pytest.mark.parametrize("key", ["W", r"\mathbf{W}"])
def test_decorated_names_resolve_plainly(key):
    m = model_from_latex(r"\mathbf{y} = \mathbf{W}\mathbf{x}", {key: "m x n", "x": "n"})
    W = np.arange(6.0).reshape(2, 3)
    got = m.jacobian("y", "x").evaluate({"W": W, "x": np.ones(3)})
    assert np.allclose(got, W)
    hat = model_from_latex(r"\hat{y} = W x", {"W": "m x n", "x": "n"})
    assert np.allclose(hat.jacobian("y", "x").evaluate({"W": W, "x": np.ones(3)}), W)
    both = model_from_latex(r"\hat{y} = W x \\ \tilde{y} = W x", {"W": "m x n", "x": "n"})
    with pytest.raises(UnknownNameError):
        both.jacobian("y", "x")


def test_star_is_hadamard_when_no_matrix_product_fits():
    m = model_from_latex(r"f = \sigma(W x) * \tanh(U x) \\ g = W x * U x \\ z = W * x",
                         {"W": "m x n", "U": "m x n", "x": "n"})
    rng = np.random.default_rng(2)
    W, U, x = rng.normal(size=(2, 3)), rng.normal(size=(2, 3)), rng.normal(size=3)
    a = {"W": W, "U": U, "x": x}
    assert np.allclose(m.jacobian("f", "x").evaluate(a),
                       central(lambda v: sig(W @ v) * np.tanh(U @ v), x), atol=1e-8)
    assert np.allclose(m.jacobian("g", "x").evaluate(a),
                       central(lambda v: (W @ v) * (U @ v), x), atol=1e-8)
    assert np.allclose(m.jacobian("z", "x").evaluate(a), W)
    assert len(m.notes) == 2 and all("element-wise" in n for n in m.notes)
    with pytest.raises(ShapeError, match="odot"):
        model_from_latex(r"f = a b", {"a": "n", "b": "n"})


def test_jacobian_wrt_one_row_of_a_summed_history():
    m = model_from_latex(r"h[t] = \tanh(W x[t] + \sum_{i=1}^{2} U h[t-i])", ELMAN_SHAPES)
    rng = np.random.default_rng(3)
    W, U, x, H = (rng.normal(size=s) for s in [(2, 3), (2, 2), 3, (2, 2)])
    a = {"x[t]": x, "W": W, "U": U, "h_hist": H}
    for lag in (1, 2):
        def f(v, lag=lag):
            rows = H.copy()
            rows[lag - 1] = v
            return np.tanh(W @ x + U @ rows.sum(axis=0))
        got = m.jacobian("h[t]", f"h[t-{lag}]").evaluate(a)
        assert np.allclose(got, central(f, H[lag - 1]), atol=1e-8)
    assert np.allclose(m.jacobian("h_t", "h_{t-2}").evaluate(a), got)
    with pytest.raises(UnknownNameError, match=r"rows h\[t-1\], h\[t-2\]"):
        m.jacobian("h[t]", "h[t-3]")


# one dialect: the same spellings of names and time through Model.from_latex and sg.check --
TIME_SPELLINGS = [
    ("h[t]", "h[t-1]", "x[t]", "c[t]"),
    ("h_t", "h_{t-1}", "x_t", "c_t"),
    ("h(t)", "h(t-1)", "x(t)", "c(t)"),
    ("h^{(t)}", "h^{(t-1)}", "x^{(t)}", "c^{(t)}"),
    (r"\mathbf{h}_t", r"\mathbf{h}_{t-1}", r"\mathbf{x}_t", r"\mathbf{c}_t"),
    (r"\boldsymbol{h}[t]", r"\boldsymbol{h}[t-1]", r"\boldsymbol{x}[t]", r"\boldsymbol{c}[t]"),
]


def _gated_reference(x, hp, Wc, Wh, Wx):
    c = 1 / (1 + np.exp(-(Wc @ x + Wh @ hp)))
    return c * hp + (1 - c) * (Wx @ x)


@pytest.mark.parametrize("h, hp, x, c", TIME_SPELLINGS)
def test_one_list_of_spellings_reads_alike_in_models_and_claims(h, hp, x, c):
    model = sg.Model.from_latex(
        rf"{c} = \sigma(W_c {x} + W_h {hp}) \\ {h} = {c} \odot {hp} + (1 - {c}) \odot W_x {x}",
        {"x": "n", "h": "m", "W_c": "m x n", "W_h": "m x m", "W_x": "m x n"})
    rng = np.random.default_rng(5)
    X, H = rng.normal(size=3), rng.normal(size=2)
    Wc, Wh, Wx = rng.normal(size=(2, 3)), rng.normal(size=(2, 2)), rng.normal(size=(2, 3))
    J = model.jacobian("h[t]", "h[t-1]").evaluate(
        {"x[t]": X, "h[t-1]": H, "W_c": Wc, "W_h": Wh, "W_x": Wx})
    assert np.allclose(J, central(lambda v: _gated_reference(X, v, Wc, Wh, Wx), H), atol=1e-7)
    right = (rf"\frac{{\partial {h}}}{{\partial {hp}}} = \mathrm{{diag}}({c}) + "
             rf"\mathrm{{diag}}({c} \odot (1 - {c}) \odot ({hp} - W_x {x})) W_h")
    assert sg.check("1.2.1.b", right).verdict == "correct", right
    wrong = right.replace(" W_h", "")
    assert sg.check("1.2.1.b", wrong).verdict == "incorrect", wrong


def test_error_positions_index_the_text_as_typed():
    text = "z = W x \\\\\n  y = \\tanh(z) + \\mathrm{GELU}(q)"
    with pytest.raises(ParseError) as err:
        model_from_latex(text, {"x": "n", "W": "m x n"})
    assert err.value.position == text.index("GELU") and "the function `GELU`" in str(err.value)
    text = "z = W x \\\\ y = z + q_1"
    with pytest.raises(UnknownNameError) as err:
        model_from_latex(text, {"x": "n", "W": "m x n"})
    assert err.value.__cause__ is None and f"position {text.index('q_1')}" in str(err.value)
    assert "`q_1` has no declared shape" in str(err.value)


def test_max_min_and_sums_without_bounds_read_alike():
    rng = np.random.default_rng(2)
    W, x = rng.normal(size=(2, 3)), rng.normal(size=3)
    for text in (r"y = \max(0, W x)", r"y = \max(W x, 0)", r"y_i = \max(0, \sum_j W_{ij} x_j)",
                 r"y_i = \max(\sum_{j=1} W_{ij} x_j, 0)"):
        m = model_from_latex(text, {"x": "n", "W": "m x n"})
        J = m.jacobian("y", "x").evaluate({"W": W, "x": x})
        assert np.allclose(J, central(lambda v: np.maximum(W @ v, 0), x), atol=1e-7), text
    m = model_from_latex(r"y_i = \min(x_i, 2 x_i - 1)", {"x": "n"})
    assert np.allclose(m.jacobian("y", "x").evaluate({"x": x}),
                       central(lambda v: np.minimum(v, 2 * v - 1), x), atol=1e-7)
    with pytest.raises(ParseError, match="element by element"):
        model_from_latex(r"y = \max(W x, x)", {"x": "n", "W": "n x n"})
    m0 = model_from_latex(r"y_i = \sum_{j=0} W_{ij} x_j", {"x": "n", "W": "m x n"}, index_base=0)
    assert np.allclose(m0.value("y").evaluate({"W": W, "x": x}), W @ x)


def _fd_grad(f, x, h=1e-6):
    return np.array([(f(x + h * e) - f(x - h * e)) / (2 * h) for e in np.eye(x.size)])


@pytest.mark.parametrize("text, ref", [
    (r"f = \frac{1}{n}\mathbf{1}^\top x", lambda x, A: x.mean()),
    (r"f = \frac{1}{n} x^\top \mathbf{1}", lambda x, A: x.mean()),
    (r"f = \frac{1}{n}\mathbb{1}^\top x", lambda x, A: x.mean()),
    (r"f = \mathbf{1}_n^\top (x \odot x)", lambda x, A: x @ x),
    (r"f = \log(\mathbf{1}^\top \exp(x))", lambda x, A: np.log(np.exp(x).sum())),
    (r"f = \mathbf{1}^\top A x", lambda x, A: (A @ x).sum()),
    (r"f = \|x\|^2", lambda x, A: x @ x),
    (r"f = \lVert x \rVert_2^2", lambda x, A: x @ x),
    (r"f = \left\| A x \right\|", lambda x, A: np.sqrt((A @ x) @ (A @ x))),
    (r"f = \mathrm{tr}(A) + \operatorname{tr}(A^\top A)", lambda x, A: np.trace(A) + (A * A).sum()),
    (r"f = \langle x, A x \rangle", lambda x, A: x @ A @ x),
    (r"f = \sum_{i,j} A_{ij} x_i x_j", lambda x, A: x @ A @ x),
    (r"f = \|A x x^\top\|_F^2", lambda x, A: ((A @ np.outer(x, x)) ** 2).sum()),
    (r"f = \|A\|_F + \|A\|^2 + x^\top x", lambda x, A: np.linalg.norm(A) + (A * A).sum() + x @ x),
    (r"F(x) = x^\top A x \\ f = F(x)", lambda x, A: x @ A @ x),
])
def test_ones_vectors_norms_traces_and_inner_products_are_sums(text, ref):
    rng = np.random.default_rng(8)
    x, A = rng.normal(size=4), rng.normal(size=(4, 4))
    m = model_from_latex(text, {"x": "n", "A": "n x n"})
    assert np.allclose(m.value("f").evaluate({"x": x, "A": A}), ref(x, A))
    got = m.jacobian("f", "x").evaluate({"x": x, "A": A})
    assert np.allclose(np.ravel(got), _fd_grad(lambda v: ref(v, A), x), atol=1e-6), text


def test_layer_norm_with_the_ones_vector_and_a_sigma_squared_name():
    text = (r"\mu = \frac{1}{n}\mathbf{1}^\top x \\ d = x - \mu \\ "
            r"\sigma^2 = \frac{1}{n}\mathbf{1}^\top (d \odot d) \\ "
            r"y = \frac{d}{\sqrt{\sigma^2 + 0.001}}")
    m = model_from_latex(text, {"x": "n"})
    x = np.random.default_rng(4).normal(size=5)

    def layer_norm(v):
        d = v - v.mean()
        return d / np.sqrt((d * d).mean() + 0.001)

    assert m.tensors["mu"].shape == ()
    assert np.allclose(m.jacobian("y", "x").evaluate({"x": x}), central(layer_norm, x), atol=1e-7)


@pytest.mark.parametrize("text, construct", [
    (r"y = W \mathbf{1}", "ones vector"),
    (r"y = \mathbf{1}\mathbf{1}^\top x", "ones vector"),
    (r"y = \mathbf{1}^\top", "ones vector"),
    (r"y = \|x\|_3", "norm"),
    (r"y = \|W x\|_1", "norm"),
    (r"y = \langle x \rangle", "inner product"),
    (r"y = \mathrm{GELU}(x)", "function GELU"),
    (r"y = |x|", "absolute value"),
])
def test_constructs_read_otherwise_are_refused_with_their_position(text, construct):
    with pytest.raises(ParseError) as err:
        model_from_latex(text, {"x": "n", "W": "m x n"})
    assert err.value.construct == construct and err.value.position >= 4


def test_one_hot_targets_and_the_loss_as_a_left_side():
    m = model_from_latex(r"p = \mathrm{softmax}(z) \\ \ell = -\sum_i y_i \log p_i",
                         {"z": "n", "y": "one-hot n"})
    g = m.grad("ell", "z")
    assert g.latex(form="matrix").endswith("= p - y")
    z, y = np.random.default_rng(0).normal(size=4), np.eye(4)[2]
    p = np.exp(z) / np.exp(z).sum()
    assert np.allclose(g.evaluate({"z": z, "y": y}), p - y)
    for loss in (r"\ell", r"\mathcal{L}", r"\ell_{MSE}", "L"):
        m = model_from_latex(rf"z = W x \\ {loss} = \sum_{{i=1}}^{{m}} -[z_i - \log(1 + z_i^2)]",
                             {"x": "n", "W": "m x n"})
        x, W = np.ones(3), np.arange(6.0).reshape(2, 3) / 10
        ref = -((W @ x) - np.log(1 + (W @ x) ** 2)).sum()
        name = next(t for t in m.tensors if t not in ("x", "W", "z"))
        assert np.isclose(m.value(name).evaluate({"x": x, "W": W}), ref), loss


def test_model_keys_read_time_like_claims_and_equations():
    from symgrad.notation.equations import time_key

    for key, canonical in [("h_t", "h[t]"), ("h_{t-1}", "h[t-1]"), ("h^{(t-1)}", "h[t-1]"),
                           ("h(t-2)", "h[t-2]"), (r"\mathbf{h}_{t - 1}", r"\mathbf{h}[t-1]"),
                           ("a_1(t)", "a_1[t]"), ("W_x", "W_x"), ("W_{hh}", "W_{hh}")]:
        assert time_key(key) == canonical, key
    m = model_from_latex(r"h[t] = \tanh(W x[t] + U h[t-1])", ELMAN_SHAPES)
    ref = m.jacobian("h[t]", "h[t-1]").latex()
    for of, wrt in (("h_t", "h_{t-1}"), ("h(t)", "h(t-1)"), ("h^{(t)}", "h^{(t-1)}")):
        assert m.jacobian(of, wrt).latex() == ref
