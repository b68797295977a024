"""Notebook tasks (issue 13): models a notebook user writes in LaTeX, in many spellings,
derived through the public API and compared with independent NumPy references.

Every reference here is written from the usual definition of the layer (explicit loops,
NumPy matrix products) and differentiated numerically: by the complex step where the
forward pass is analytic (derivatives exact to rounding, compared at 1e-9), by central
differences where it has kinks (ReLU, max pooling). Each task runs at several sizes.
The layers are also compared on random configurations of stride, padding and dilation
with a convolution written as loops. Known gaps are xfail(strict=True) with their reason.
"""

from __future__ import annotations

import numpy as np
import pytest

import symgrad as sg

TOL = 1e-9


# numeric references --------------------------------------------------------------------
def sig(z):
    return 1 / (1 + np.exp(-z))


def softmax(z):
    e = np.exp(z - np.max(np.real(z)))
    return e / e.sum()


def relu(z):
    return np.where(np.real(z) > 0, z, 0 * z)


def jac(f, arrays, wrt, complex_step=True, eps=1e-6):
    """d f(arrays) / d arrays[wrt] in numerator layout (axes of f, then of arrays[wrt])."""
    dtype = complex if complex_step else float
    base = {k: np.asarray(v, dtype=dtype) for k, v in arrays.items()}
    a = base[wrt]
    out = []
    for k in range(a.size):
        e = np.zeros(a.size)
        e[k] = 1
        e = e.reshape(a.shape)
        if complex_step:
            out.append(np.imag(np.asarray(f({**base, wrt: a + 1e-30j * e}))) / 1e-30)
        else:
            hi = np.asarray(f({**base, wrt: a + eps * e}))
            lo = np.asarray(f({**base, wrt: a - eps * e}))
            out.append((hi - lo) / (2 * eps))
    y = np.asarray(f(base))
    return np.moveaxis(np.array(out), 0, -1).reshape(y.shape + a.shape)


def close(got, ref, tol=TOL):
    assert got.shape == ref.shape, (got.shape, ref.shape)
    np.testing.assert_allclose(got, ref, atol=tol, rtol=0)


def jacobian_case(model, of, wrt, arrays, keys, forward, ref_wrt=None, complex_step=True,
                  tol=TOL):
    """model.jacobian(keys[of], keys[wrt]) evaluated on arrays (renamed by keys) against
    the numeric Jacobian of forward(arrays)[of]."""
    keys = keys or {}
    user = {keys.get(k, k): v for k, v in arrays.items() if not k.startswith("d_")}
    q = model.jacobian(keys.get(of, of), keys.get(wrt, wrt))
    ref = jac(lambda a: forward(a)[of], arrays, ref_wrt or wrt, complex_step,
              eps=1e-6)
    close(q.evaluate(user), ref, tol if complex_step else 1e-6)
    return q


_MODELS: dict = {}


def model(latex, shapes):
    key = (latex, tuple(sorted(shapes.items())))
    if key not in _MODELS:
        _MODELS[key] = sg.Model.from_latex(latex, shapes=shapes)
    return _MODELS[key]


# Elman RNN -----------------------------------------------------------------------------
ELMAN_SHAPES = {"x": "n", "h": "m", "W": "m x m", "U": "m x n", "b": "m"}
SUB = {"h": "h_t", "h_prev": "h_{t-1}", "x": "x_t", "h_prev3": "h_{t-3}"}
BRK = {"h": "h[t]", "h_prev": "h[t-1]", "x": "x[t]", "h_prev3": "h[t-3]"}
SUP = {"h": "h^{(t)}", "h_prev": "h^{(t-1)}", "x": "x^{(t)}", "h_prev3": "h^{(t-3)}"}
ELMAN = [
    (r"h_t = \tanh(W_{hh} h_{t-1} + W_{xh} x_t + b_h)",
     {"x": "n", "h": "m", "W_{hh}": "m x m", "W_{xh}": "m x n", "b_h": "m"},
     {**SUB, "W": "W_{hh}", "U": "W_{xh}", "b": "b_h"}),
    (r"h[t] = \tanh(W h[t-1] + U x[t] + b)", ELMAN_SHAPES, BRK),
    (r"\mathbf{h}^{(t)} = \tanh(\mathbf{W} \mathbf{h}^{(t-1)} + \mathbf{U} \mathbf{x}^{(t)}"
     r" + \mathbf{b})", ELMAN_SHAPES, SUP),
    (r"\boldsymbol{h}_t = \tanh(\boldsymbol{W} \boldsymbol{h}_{t-1} + \boldsymbol{U} "
     r"\boldsymbol{x}_t + \boldsymbol{b})",
     {r"\boldsymbol{x}": "n", r"\boldsymbol{h}": "m", r"\boldsymbol{W}": "m x m",
      r"\boldsymbol{U}": "m x n", r"\boldsymbol{b}": "m"}, SUB),
    (r"a_t = W h_{t-1} + U x_t + b \\ h_t = \tanh(a_t)", ELMAN_SHAPES, SUB),
    (r"h[t]_i = \tanh\left(\sum_j W_{ij} h[t-1]_j + \sum_k U_{ik} x[t]_k + b_i\right)",
     ELMAN_SHAPES, BRK),
    (r"h_t = \tanh(W \cdot h_{t-1} + U \cdot x_t + b)", ELMAN_SHAPES, SUB),
    (r"h_{t} = \operatorname{tanh}\left(W h_{t - 1} + U x_{t} + b\right)",
     {"x": r"\mathbb{R}^{n}", "h": r"\mathbb{R}^m", "W": r"\mathbb{R}^{m \times m}",
      "U": r"\mathbb{R}^{m\times n}", "b": "m"}, SUB),
]
SIZES = [(3, 4), (1, 2), (4, 1)]


def elman_arrays(rng, n, m):
    return {"x": rng.normal(size=n), "h_prev": rng.normal(size=m),
            "W": rng.normal(size=(m, m)), "U": rng.normal(size=(m, n)),
            "b": rng.normal(size=m)}


def elman_step(a):
    return {"h": np.tanh(a["W"] @ a["h_prev"] + a["U"] @ a["x"] + a["b"])}


@pytest.mark.parametrize("latex,shapes,keys", ELMAN, ids=range(len(ELMAN)))
def test_elman_one_step(latex, shapes, keys):
    m = model(latex, shapes)
    rng = np.random.default_rng(0)
    for n, k in SIZES:
        arrays = elman_arrays(rng, n, k)
        for wrt in ("h_prev", "x", "W", "U", "b"):
            jacobian_case(m, "h", wrt, arrays, keys, elman_step)


@pytest.mark.parametrize("latex,shapes,keys", ELMAN[:3], ids=range(3))
def test_elman_three_steps_and_bptt(latex, shapes, keys):
    m = model(latex, shapes)
    rng = np.random.default_rng(1)
    q = m.jacobian(keys["h"], keys["h_prev3"])
    for n, k in SIZES:
        a = elman_arrays(rng, n, k)
        a["W"] *= 0.6
        xs = rng.normal(size=(3, n))

        def run(h, xs=xs, a=a):
            for s in range(len(xs)):
                h = np.tanh(a["W"] @ h + a["U"] @ xs[s] + a["b"])
            return h
        ref = jac(lambda d: run(d["h"]), {"h": a["h_prev"]}, "h")
        params = {keys.get(p, p): a[p] for p in ("W", "U", "b")}
        got = q.evaluate({"x": xs, **params, "h_init": a["h_prev"]})
        close(got, ref)
        # BPTT: dl/dW for l = sum_t g[t] . h[t], h[0] = 0, from the direct partials g[t]
        K = 4
        xs, g = rng.normal(size=(K, n)), rng.normal(size=(K, k))

        def loss(d, xs=xs, g=g, a=a, k=k, K=K):
            h, total = np.zeros(k), 0
            for t in range(K):
                h = np.tanh(d["W"] @ h + a["U"] @ xs[t] + a["b"])
                total = total + g[t] @ h
            return total
        grad = m.grad(keys.get("W", "W"), steps=K, given="direct")
        close(grad.evaluate({keys["x"]: xs, **params, "g": g}),
              jac(loss, {"W": a["W"]}, "W"))


# LSTM and GRU --------------------------------------------------------------------------
def gates(names, fmt=("W_{g}", "U_{g}", "b_{g}")):
    shapes = {}
    for g in names:
        for f, s in zip(fmt, ("m x n", "m x m", "m")):
            shapes[f.format(g=g)] = s
    return shapes


LSTM = [
    (r"f[t] = \sigma(W_f x[t] + U_f h[t-1] + b_f) \\ i[t] = \sigma(W_i x[t] + U_i h[t-1] + b_i) \\"
     r" o[t] = \sigma(W_o x[t] + U_o h[t-1] + b_o) \\ g[t] = \tanh(W_g x[t] + U_g h[t-1] + b_g)"
     r" \\ c[t] = f[t] \odot c[t-1] + i[t] \odot g[t] \\ h[t] = o[t] \odot \tanh(c[t])",
     {"x": "n", "h": "m", "c": "m", **gates("fiog")},
     {"h": "h[t]", "h_prev": "h[t-1]", "c": "c[t]", "c_prev": "c[t-1]", "x": "x[t]"}),
    (r"""f_t = \sigma(W_{xf} x_t + W_{hf} h_{t-1} + b_f) \\
i_t = \sigma(W_{xi} x_t + W_{hi} h_{t-1} + b_i) \\
o_t = \sigma(W_{xo} x_t + W_{ho} h_{t-1} + b_o) \\
\tilde{c}_t = \tanh(W_{xc} x_t + W_{hc} h_{t-1} + b_c) \\
c_t = f_t \circ c_{t-1} + i_t \circ \tilde{c}_t \\ h_t = o_t \circ \tanh(c_t)""",
     {"x": "n", "h": "m", "c": "m", **gates("fioc", ("W_{{x{g}}}", "W_{{h{g}}}", "b_{g}"))},
     {"h": "h_t", "h_prev": "h_{t-1}", "c": "c_t", "c_prev": "c_{t-1}", "x": "x_t",
      **{f"{w}_{g}": f"W_{{{v}{G}}}" for g, G in zip("fiog", "fioc")
         for w, v in (("W", "x"), ("U", "h"))},
      **{f"b_{g}": f"b_{G}" for g, G in zip("fiog", "fioc")}}),
    (r" \\ ".join(rf"\mathbf{{{g}}}^{{(t)}} = \{fn}(\mathbf{{W}}_{g} \mathbf{{x}}^{{(t)}} + "
                   rf"\mathbf{{U}}_{g} \mathbf{{h}}^{{(t-1)}} + \mathbf{{b}}_{g})"
                   for g, fn in zip("fiog", ("sigma", "sigma", "sigma", "tanh")))
     + r"\\ \mathbf{c}^{(t)} = \mathbf{f}^{(t)} \odot \mathbf{c}^{(t-1)} + \mathbf{i}^{(t)}"
     r" \odot \mathbf{g}^{(t)} \\ \mathbf{h}^{(t)} = \mathbf{o}^{(t)} \odot "
     r"\tanh(\mathbf{c}^{(t)})",
     {"x": "n", "h": "m", "c": "m", **gates("fiog")},
     {"h": "h^{(t)}", "h_prev": "h^{(t-1)}", "c": "c^{(t)}", "c_prev": "c^{(t-1)}",
      "x": "x^{(t)}"}),
]
COLAH = (r"""f_t = \sigma(W_f [h_{t-1}, x_t] + b_f) \\ i_t = \sigma(W_i [h_{t-1}, x_t] + b_i) \\
\tilde{C}_t = \tanh(W_C [h_{t-1}, x_t] + b_C) \\ C_t = f_t * C_{t-1} + i_t * \tilde{C}_t \\
o_t = \sigma(W_o [h_{t-1}, x_t] + b_o) \\ h_t = o_t * \tanh(C_t)""")
COLAH_SHAPES = {"x": "n", "h": "m", "C": "m", **{f"W_{g}": "m x (m + n)" for g in "fiCo"},
                **{f"b_{g}": "m" for g in "fiCo"}}


def lstm_arrays(rng, n, m):
    a = {"x": rng.normal(size=n), "h_prev": rng.normal(size=m), "c_prev": rng.normal(size=m)}
    for g in "fiog":
        a.update({f"W_{g}": rng.normal(size=(m, n)), f"U_{g}": rng.normal(size=(m, m)),
                  f"b_{g}": rng.normal(size=m)})
    return a


def lstm_step(a):
    x, h, c = a["x"], a["h_prev"], a["c_prev"]
    pre = {g: a[f"W_{g}"] @ x + a[f"U_{g}"] @ h + a[f"b_{g}"] for g in "fiog"}
    c2 = sig(pre["f"]) * c + sig(pre["i"]) * np.tanh(pre["g"])
    return {"c": c2, "h": sig(pre["o"]) * np.tanh(c2)}


@pytest.mark.parametrize("latex,shapes,keys", LSTM, ids=range(len(LSTM)))
def test_lstm(latex, shapes, keys):
    m = model(latex, shapes)
    rng = np.random.default_rng(2)
    for n, k in [(2, 3), (1, 1)]:
        a = lstm_arrays(rng, n, k)
        for of, wrt in [("h", "h_prev"), ("h", "c_prev"), ("c", "h_prev"), ("c", "c_prev"),
                        ("h", "x"), ("h", "U_f"), ("c", "W_i"), ("h", "b_o")]:
            jacobian_case(m, of, wrt, a, keys, lstm_step)


def test_lstm_colah_concatenation_two_steps_and_bptt():
    m = model(COLAH, COLAH_SHAPES)
    keys = {"h": "h_t", "h_prev": "h_{t-1}", "c": "C_t", "c_prev": "C_{t-1}", "x": "x_t",
            "W_g": "W_C", "b_g": "b_C"}
    rng = np.random.default_rng(3)
    for n, k in [(2, 3), (1, 2)]:
        a = lstm_arrays(rng, n, k)
        for g in "fiog":
            a[f"W_{g}"] = np.concatenate([a.pop(f"U_{g}"), a[f"W_{g}"]], axis=1)

        def step(d, x=None):
            z = np.concatenate([d["h_prev"], d["x"] if x is None else x])
            pre = {g: d[f"W_{g}"] @ z + d[f"b_{g}"] for g in "fiog"}
            c2 = sig(pre["f"]) * d["c_prev"] + sig(pre["i"]) * np.tanh(pre["g"])
            return {"c": c2, "h": sig(pre["o"]) * np.tanh(c2)}
        for of, wrt in [("h", "h_prev"), ("c", "c_prev"), ("h", "x"), ("h", "W_f"),
                        ("c", "W_g")]:
            jacobian_case(m, of, wrt, a, keys, step)
        # d h[t] / d C[t-2] through two steps
        xs = rng.normal(size=(2, n))
        h0 = rng.normal(size=k)

        def two(d, a=a, xs=xs, h0=h0):
            s = {**a, "h_prev": h0, "c_prev": d["c"]}
            for t in range(2):
                out = step(s, xs[t])
                s = {**s, "h_prev": out["h"], "c_prev": out["c"]}
            return s["h_prev"]
        q = m.jacobian("h_t", "C_{t-2}")
        params = {key: v for key, v in a.items() if key[0] in "Wb"}
        user = {keys.get(key, key): v for key, v in params.items()}
        close(q.evaluate({**user, "x": xs, "h_init": h0, "C_init": a["c_prev"]}),
              jac(two, {"c": a["c_prev"]}, "c"))


GRU_SHAPES = {"x": "n", "h": "m", **gates("zrh")}
GRU = [
    (r"""z[t] = \sigma(W_z x[t] + U_z h[t-1] + b_z) \\ r[t] = \sigma(W_r x[t] + U_r h[t-1] + b_r) \\
\tilde{h}[t] = \tanh(W_h x[t] + U_h (r[t] \odot h[t-1]) + b_h) \\
h[t] = (1 - z[t]) \odot \tilde{h}[t] + z[t] \odot h[t-1]""", GRU_SHAPES,
     {"h": "h[t]", "h_prev": "h[t-1]", "x": "x[t]"}, False),
    (r"""z_t = \sigma(W_z x_t + U_z h_{t-1} + b_z) \\ r_t = \sigma(W_r x_t + U_r h_{t-1} + b_r) \\
\hat{h}_t = \tanh(W_h x_t + U_h (r_t \circ h_{t-1}) + b_h) \\
h_t = z_t \circ h_{t-1} + (1 - z_t) \circ \hat{h}_t""", GRU_SHAPES,
     {"h": "h_t", "h_prev": "h_{t-1}", "x": "x_t"}, False),
    # PyTorch's GRU: the reset gate multiplies W_hn h + b_hn
    (r"""r_t = \sigma(W_{ir} x_t + b_{ir} + W_{hr} h_{t-1} + b_{hr}) \\
z_t = \sigma(W_{iz} x_t + b_{iz} + W_{hz} h_{t-1} + b_{hz}) \\
n_t = \tanh(W_{in} x_t + b_{in} + r_t \odot (W_{hn} h_{t-1} + b_{hn})) \\
h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}""",
     {"x": "n", "h": "m", **{f"W_{{i{g}}}": "m x n" for g in "rzn"},
      **{f"W_{{h{g}}}": "m x m" for g in "rzn"},
      **{f"b_{{{s}{g}}}": "m" for g in "rzn" for s in "ih"}},
     {"h": "h_t", "h_prev": "h_{t-1}", "x": "x_t", **{f"W_{g}": f"W_{{i{G}}}" for g, G in
                                                        zip("zrh", "zrn")},
      **{f"U_{g}": f"W_{{h{G}}}" for g, G in zip("zrh", "zrn")},
      **{f"b_{g}": f"b_{{i{G}}}" for g, G in zip("zrh", "zrn")},
      **{f"c_{g}": f"b_{{h{G}}}" for g, G in zip("zrh", "zrn")}}, True),
]


@pytest.mark.parametrize("latex,shapes,keys,torch_style", GRU, ids=range(len(GRU)))
def test_gru(latex, shapes, keys, torch_style):
    m = model(latex, shapes)
    rng = np.random.default_rng(4)
    for n, k in [(2, 3), (1, 1), (3, 2)]:
        a = {"x": rng.normal(size=n), "h_prev": rng.normal(size=k)}
        for g in "zrh":
            a.update({f"W_{g}": rng.normal(size=(k, n)), f"U_{g}": rng.normal(size=(k, k)),
                      f"b_{g}": rng.normal(size=k)})
            if torch_style:
                a[f"c_{g}"] = rng.normal(size=k)

        def step(d):
            x, h = d["x"], d["h_prev"]
            c = {g: d.get(f"c_{g}", 0) for g in "zrh"}
            z = sig(d["W_z"] @ x + d["U_z"] @ h + d["b_z"] + c["z"])
            r = sig(d["W_r"] @ x + d["U_r"] @ h + d["b_r"] + c["r"])
            if torch_style:
                cand = np.tanh(d["W_h"] @ x + d["b_h"] + r * (d["U_h"] @ h + c["h"]))
            else:
                cand = np.tanh(d["W_h"] @ x + d["U_h"] @ (r * h) + d["b_h"])
            return {"h": (1 - z) * cand + z * h}
        for wrt in ("h_prev", "x", "U_h", "U_r", "W_z", "b_r"):
            jacobian_case(m, "h", wrt, a, keys, step)
        if torch_style:
            jacobian_case(m, "h", "c_h", a, keys, step)


# softmax and cross-entropy -------------------------------------------------------------
CE_SHAPES = {"x": "n", "W": "k x n", "b": "k", "y": "k"}
CE = [
    (r"z = W x + b \\ \hat{y} = \operatorname{softmax}(z) \\ L = -\sum_{i} y_i \log \hat{y}_i",
     {"p": r"\hat{y}"}, True),
    (r"z = Wx + b \\ p = \mathrm{softmax}(z) \\ L = -\sum_{i=1}^{k} y_i \log(p_i)", {}, True),
    (r"z = W x + b \\ p = \operatorname{softmax}(z) \\ L = -y^\top \log(p)", {}, True),
    (r"z = W x + b \\ p_i = \frac{e^{z_i}}{\sum_j e^{z_j}} \\ L = -\sum_i y_i \log p_i", {}, True),
    (r"z = W x + b \\ p_i = \frac{\exp(z_i)}{\sum_{j=1}^{k} \exp(z_j)} \\ "
     r"L = -\sum_i y_i \log p_i", {}, True),
    (r"z = W x + b \\ p = \mathrm{softargmax}(z) \\ L = -\sum_i y_i \ln p_i", {}, True),
    (r"z = W x + b \\ L = \log \sum_j \exp(z_j) - y^\top z", {}, False),
    (r"z = W x + b \\ L = \log\left(\sum_{j=1}^{k} \exp(z_j)\right) - \sum_i y_i z_i", {},
     False),
]


def ce_forward(a):
    z = a["W"] @ a["x"] + a["b"] + a["d_z"]
    p = softmax(z)
    return {"p": p, "L": -np.sum(a["y"] * np.log(p))}


@pytest.mark.parametrize("latex,keys,has_p", CE, ids=range(len(CE)))
def test_softmax_cross_entropy(latex, keys, has_p):
    m = model(latex, CE_SHAPES)
    rng = np.random.default_rng(5)
    for n, k in [(3, 4), (1, 2), (4, 3)]:
        y = np.zeros(k)
        y[rng.integers(k)] = 1
        a = {"x": rng.normal(size=n), "W": rng.normal(size=(k, n)), "b": rng.normal(size=k),
             "y": y, "d_z": np.zeros(k)}
        q = jacobian_case(m, "L", "z", a, keys, ce_forward, ref_wrt="d_z")
        p = softmax(a["W"] @ a["x"] + a["b"])
        close(q.evaluate({key: v for key, v in a.items() if key != "d_z"}), p - y)
        for wrt in ("W", "b", "x"):
            jacobian_case(m, "L", wrt, a, keys, ce_forward)
        if has_p:
            jacobian_case(m, "p", "z", a, keys, ce_forward, ref_wrt="d_z")
            jacobian_case(m, "p", "x", a, keys, ce_forward)


def test_softmax_cross_entropy_hessian_in_the_logits():
    m = model(r"p = \operatorname{softmax}(z) \\ L = -\sum_i y_i \log p_i",
              {"z": "k", "y": "k"})
    H = m.hessian("L", "z")
    rng = np.random.default_rng(6)
    for k in (1, 3, 5):
        y = np.zeros(k)
        y[rng.integers(k)] = 1
        z = rng.normal(size=k)
        p = softmax(z)
        close(H.evaluate({"z": z, "y": y}), np.diag(p) - np.outer(p, p))


# attention -----------------------------------------------------------------------------
ATT_SHAPES = {"K": "T x d", "q": "d", "V": "T x d_v"}
ATTENTION = [
    r"s = \frac{K q}{\sqrt{d}} \\ a = \operatorname{softmax}(s) \\ c = V^\top a",
    r"a = \operatorname{softmax}\left(\frac{Kq}{\sqrt{d}}\right) \\ c = V^T a",
    r"s_i = \frac{1}{\sqrt{d}} \sum_{j} K_{ij} q_j \\ a = \mathrm{softmax}(s) \\ "
    r"c_l = \sum_{i} a_i V_{il}",
    r"s_i = \frac{\sum_j K_{ij} q_j}{\sqrt{d}} \\ a_i = \frac{\exp(s_i)}{\sum_{j=1}^{T} "
    r"\exp(s_j)} \\ c = V^\top a",
    r"\mathbf{s} = \mathbf{K}\mathbf{q} / \sqrt{d} \\ \boldsymbol{\alpha} = "
    r"\operatorname{softmax}(\mathbf{s}) \\ \mathbf{c} = \mathbf{V}^\top \boldsymbol{\alpha}",
]


def attention(a):
    w = softmax(a["K"] @ a["q"] / np.sqrt(a["q"].shape[0]))
    return {"a": w, "c": a["V"].T @ w}


@pytest.mark.parametrize("latex", ATTENTION, ids=range(len(ATTENTION)))
def test_attention(latex):
    m = model(latex, ATT_SHAPES)
    keys = {"a": "alpha"} if "alpha" in latex else {}
    rng = np.random.default_rng(7)
    for T, d, dv in [(4, 3, 2), (2, 1, 1), (3, 4, 5)]:
        a = {"K": rng.normal(size=(T, d)), "q": rng.normal(size=d), "V": rng.normal(size=(T, dv))}
        for of, wrt in [("c", "q"), ("c", "K"), ("c", "V"), ("a", "q")]:
            jacobian_case(m, of, wrt, a, keys, attention)


# LayerNorm -----------------------------------------------------------------------------
LN_SHAPES = {"x": "d", r"\gamma": "d", r"\beta": "d", r"\epsilon": ""}
LAYERNORM = [
    r"\mu = \frac{1}{d}\sum_{i=1}^{d} x_i \\ \sigma^2 = \frac{1}{d}\sum_{i=1}^{d} (x_i - \mu)^2"
    r" \\ \hat{x} = \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}} \\ y = \gamma \odot \hat{x} + \beta",
    r"\mu = \frac{1}{d}\sum_i x_i \\ v = \frac{1}{d}\sum_i (x_i - \mu)^2 \\ "
    r"y_i = \gamma_i \frac{x_i - \mu}{\sqrt{v + \epsilon}} + \beta_i",
    r"\mu = \frac{\mathbf{1}^\top x}{d} \\ v = \frac{\|x - \mu\|^2}{d} \\ "
    r"y = \gamma \odot (x - \mu) / \sqrt{v + \epsilon} + \beta",
    r"\mu = \frac{1}{d}\sum_{k=1}^{d} x_k \\ \sigma = \sqrt{\frac{1}{d}\sum_{k=1}^{d} "
    r"(x_k - \mu)^2 + \epsilon} \\ y = \gamma \circ \frac{x - \mu}{\sigma} + \beta",
]


def layernorm(a):
    x = a["x"]
    mu = x.mean()
    xh = (x - mu) / np.sqrt(np.mean((x - mu) ** 2) + a["epsilon"])
    return {"y": a["gamma"] * xh + a["beta"], "mu": mu}


@pytest.mark.parametrize("latex", LAYERNORM, ids=range(len(LAYERNORM)))
def test_layernorm(latex):
    m = model(latex, LN_SHAPES)
    keys = {"gamma": r"\gamma", "beta": r"\beta", "epsilon": r"\epsilon"}
    rng = np.random.default_rng(8)
    for d in (4, 2, 7):
        a = {"x": rng.normal(size=d), "gamma": rng.normal(size=d), "beta": rng.normal(size=d),
             "epsilon": np.array(1e-5)}
        for of, wrt in [("y", "x"), ("y", "gamma"), ("y", "beta"), ("mu", "x")]:
            jacobian_case(m, of, wrt, a, keys, layernorm)


def test_layernorm_with_a_literal_epsilon():
    m = model(r"\mu = \frac{1}{d}\sum_{i} x_i \\ v = \frac{1}{d}\sum_{i} (x_i - \mu)^2 \\ "
              r"y = \gamma \odot \frac{x - \mu}{\sqrt{v + 10^{-5}}} + \beta",
              {"x": "d", r"\gamma": "d", r"\beta": "d"})
    rng = np.random.default_rng(9)
    for d in (3, 6):
        a = {"x": rng.normal(size=d), "gamma": rng.normal(size=d), "beta": rng.normal(size=d)}
        jacobian_case(m, "y", "x", a, {"gamma": r"\gamma", "beta": r"\beta"},
                      lambda b: layernorm({**b, "epsilon": 1e-5}))


def test_layernorm_own_latex_checks_correct():
    """The checker draws other inputs where sqrt(v + epsilon) is not real (a random
    epsilon < -v); a wrong sign is still incorrect."""
    m = model(LAYERNORM[1], LN_SHAPES)
    q = m.jacobian("y", "x")
    assert q.check(q.latex()).verdict == "correct"
    wrong = q.latex().replace("=", "= -", 1)
    assert q.check(wrong).verdict == "incorrect"


# MLP and residual block ----------------------------------------------------------------
MLP_SHAPES = {"x": "n", "W_1": "h x n", "b_1": "h", "W_2": "k x h", "b_2": "k", "t": "k"}
MLP = [
    (r"z = W_1 x + b_1 \\ a = \max(0, z) \\ y = W_2 a + b_2 \\ L = \frac{1}{2}\|y - t\|^2",
     MLP_SHAPES, {}, "relu"),
    (r"a = \operatorname{ReLU}(W_1 x + b_1) \\ y = W_2 a + b_2 \\ "
     r"L = \frac{1}{2}\sum_i (y_i - t_i)^2", MLP_SHAPES, {}, "relu"),
    (r"a = \mathrm{relu}(W_1 x + b_1) \\ y = W_2 a + b_2 \\ L = \frac{1}{2}\|y - t\|_2^2",
     MLP_SHAPES, {}, "relu"),
    (r"z = W_1 x + b_1 \\ a = \max(z, 0) \\ y = W_2 a + b_2 \\ L = \frac{1}{2}\|y - t\|^2",
     MLP_SHAPES, {}, "relu"),
    (r"h = \tanh(W^{(1)} x + b^{(1)}) \\ y = W^{(2)} h + b^{(2)} \\ "
     r"L = \frac{1}{2} (y - t)^\top (y - t)",
     {"x": "n", "W^{(1)}": "p x n", "b^{(1)}": "p", "W^{(2)}": "k x p", "b^{(2)}": "k",
      "t": "k"}, {"W_1": "W^{(1)}", "b_1": "b^{(1)}", "W_2": "W^{(2)}", "b_2": "b^{(2)}",
                  "a": "h"}, "tanh"),
    (r"\mathbf{a} = \sigma(\mathbf{W}_1 \mathbf{x} + \mathbf{b}_1) \\ \mathbf{y} = "
     r"\mathbf{W}_2 \mathbf{a} + \mathbf{b}_2 \\ L = \frac{1}{2}\|\mathbf{y} - \mathbf{t}\|^2",
     MLP_SHAPES, {}, "sigmoid"),
]


@pytest.mark.parametrize("latex,shapes,keys,act", MLP, ids=range(len(MLP)))
def test_mlp(latex, shapes, keys, act):
    m = model(latex, shapes)
    fn = {"relu": relu, "tanh": np.tanh, "sigmoid": sig}[act]

    def forward(a):
        h = fn(a["W_1"] @ a["x"] + a["b_1"])
        y = a["W_2"] @ h + a["b_2"]
        return {"a": h, "y": y, "L": 0.5 * np.sum((y - a["t"]) ** 2)}
    rng = np.random.default_rng(10)
    for n, h, k in [(3, 4, 2), (1, 1, 1), (2, 5, 3)]:
        a = {"x": rng.normal(size=n), "W_1": rng.normal(size=(h, n)), "b_1": rng.normal(size=h),
             "W_2": rng.normal(size=(k, h)), "b_2": rng.normal(size=k), "t": rng.normal(size=k)}
        for of, wrt in [("y", "x"), ("L", "W_1"), ("L", "b_1"), ("L", "W_2"), ("L", "x")]:
            jacobian_case(m, of, wrt, a, keys, forward, complex_step=act != "relu")
        g = m.grad("L", "W_1")
        close(g.evaluate({keys.get(k_, k_): v for k_, v in a.items()}),
              jac(lambda d: forward(d)["L"], a, "W_1", act != "relu"),
              TOL if act != "relu" else 1e-6)


RES_SHAPES = {"x": "d", "W_1": "h x d", "b_1": "h", "W_2": "d x h", "b_2": "d"}
RESIDUAL = [
    (r"y = x + W_2 \max(0, W_1 x + b_1) + b_2", False),
    (r"F = W_2 \operatorname{ReLU}(W_1 x + b_1) + b_2 \\ y = x + F", False),
    (r"u = W_1 x + b_1 \\ F = W_2 \max(0, u) + b_2 \\ y = \max(0, x + F)", True),
    (r"u_j = \sum_{k} (W_1)_{jk} x_k + (b_1)_j \\ "
     r"y_i = x_i + \sum_j (W_2)_{ij} \max(0, u_j) + (b_2)_i", False),
]


@pytest.mark.parametrize("latex,post", RESIDUAL, ids=range(len(RESIDUAL)))
def test_residual_block(latex, post):
    m = model(latex, RES_SHAPES)

    def forward(a):
        y = a["x"] + a["W_2"] @ relu(a["W_1"] @ a["x"] + a["b_1"]) + a["b_2"]
        return {"y": relu(y) if post else y}
    rng = np.random.default_rng(11)
    for d, h in [(3, 4), (1, 2), (4, 1)]:
        a = {"x": rng.normal(size=d), "W_1": rng.normal(size=(h, d)), "b_1": rng.normal(size=h),
             "W_2": rng.normal(size=(d, h)), "b_2": rng.normal(size=d)}
        for wrt in ("x", "W_1", "W_2", "b_2"):
            jacobian_case(m, "y", wrt, a, {}, forward, complex_step=False)


# quadratic forms, Hessians and matrix-calculus identities ------------------------------
MC_SHAPES = {"x": "n", "A": "n x n", "b": "n", "c": "", "a": "n", "B": "m x n", "y": "m",
             "X": "n x m", "C": "m x n", "u": "n", "v": "m"}


def mc_forward(a):
    x, A, X = a["x"], a["A"], a["X"]
    r = a["B"] @ x - a["y"]
    return {"f": x @ A @ x, "g": 0.5 * x @ A @ x + a["b"] @ x + a["c"], "ax": a["a"] @ x,
            "n2": x @ x, "norm": np.sqrt(x @ x), "ls": r @ r, "trCX": np.trace(a["C"] @ X),
            "uXv": a["u"] @ X @ a["v"], "lse": np.log(np.sum(np.exp(x))),
            "trXtX": np.trace(X.T @ X)}


MATRIX_CALCULUS = [
    ("f", r"f = x^\top A x", ["x", "A"], True),
    ("f", r"f = x^T A x", ["x"], True),
    ("f", r"f = \mathbf{x}^\top \mathbf{A} \mathbf{x}", ["x"], True),
    ("f", r"f = \sum_{i,j} A_{ij} x_i x_j", ["x"], True),
    ("f", r"f = \sum_{i=1}^{n}\sum_{j=1}^{n} x_i A_{ij} x_j", ["x"], True),
    ("g", r"g = \frac{1}{2} x^\top A x + b^\top x + c", ["x", "b", "c"], True),
    ("g", r"g = \frac{x^\top A x}{2} + x^\top b + c", ["x"], True),
    ("ax", r"s = a^\top x", ["x", "a"], False),
    ("ax", r"s = \langle a, x \rangle", ["x"], False),
    ("n2", r"s = \|x\|^2", ["x"], True),
    ("n2", r"s = \|x\|_2^2", ["x"], True),
    ("n2", r"s = x^\top x", ["x"], True),
    ("n2", r"s = \sum_i x_i^2", ["x"], True),
    ("norm", r"s = \|x\|", ["x"], True),
    ("norm", r"s = \sqrt{x^\top x}", ["x"], True),
    ("ls", r"L = \|B x - y\|^2", ["x", "B"], True),
    ("ls", r"r = B x - y \\ L = r^\top r", ["x"], True),
    ("ls", r"L = (Bx - y)^T (Bx - y)", ["x"], True),
    ("trCX", r"s = \operatorname{tr}(C X)", ["X"], False),
    ("trCX", r"s = \mathrm{tr}(CX)", ["X"], False),
    ("uXv", r"s = u^\top X v", ["X"], False),
    ("lse", r"s = \log \sum_i \exp(x_i)", ["x"], True),
    ("lse", r"s = \log\left(\mathbf{1}^\top \exp(x)\right)", ["x"], True),
    ("trXtX", r"s = \operatorname{tr}(X^\top X)", ["X"], False),
    ("trXtX", r"s = \|X\|_F^2", ["X"], False),
]


@pytest.mark.parametrize("out,latex,wrts,hessian", MATRIX_CALCULUS,
                         ids=range(len(MATRIX_CALCULUS)))
def test_matrix_calculus(out, latex, wrts, hessian):
    m = model(latex, MC_SHAPES)
    name = latex.split(r"\\")[-1].split("=")[0].strip()
    keys = {out: name}
    rng = np.random.default_rng(12)
    for n, k in [(3, 2), (1, 1), (4, 3)]:
        a = {"x": rng.normal(size=n), "A": rng.normal(size=(n, n)), "b": rng.normal(size=n),
             "c": np.array(rng.normal()), "a": rng.normal(size=n), "B": rng.normal(size=(k, n)),
             "y": rng.normal(size=k), "X": rng.normal(size=(n, k)), "C": rng.normal(size=(k, n)),
             "u": rng.normal(size=n), "v": rng.normal(size=k)}
        for wrt in wrts:
            jacobian_case(m, out, wrt, a, keys, mc_forward)
        if hessian:
            H = m.hessian(name, "x")
            ref = jac(lambda d, a=a: jac(lambda e: mc_forward(e)[out], {**a, "x": d["x"]}, "x"),
                      a, "x", complex_step=False, eps=1e-5)
            close(H.evaluate({key: v for key, v in a.items() if key in H.inputs}), ref, 1e-6)


def test_quadratic_form_hessian_closed_forms():
    rng = np.random.default_rng(13)
    f = model(r"f = x^\top A x", MC_SHAPES).hessian("f", "x")
    g = model(r"g = \frac{1}{2} x^\top A x + b^\top x + c", MC_SHAPES).hessian("g", "x")
    for n in (1, 3, 5):
        A = rng.normal(size=(n, n))
        x = rng.normal(size=n)
        close(f.evaluate({"x": x, "A": A}), A + A.T)
        b, c = rng.normal(size=n), np.array(rng.normal())  # not read by the Hessian
        close(g.evaluate({"x": x, "A": A, "b": b, "c": c}), (A + A.T) / 2)


# element-wise notations ----------------------------------------------------------------
ELEMENTWISE = [
    (r"y = \tanh^2(x)", lambda a: np.tanh(a["x"]) ** 2),
    (r"y = \sigma(x)^2", lambda a: sig(a["x"]) ** 2),
    (r"y = x^2", lambda a: a["x"] ** 2),
    (r"y = \frac{1}{1 + e^{-x}}", lambda a: sig(a["x"])),
    (r"y = \exp(-x^2)", lambda a: np.exp(-a["x"] ** 2)),
    (r"y = \sqrt{x \odot x + 1}", lambda a: np.sqrt(a["x"] ** 2 + 1)),
    (r"y = \frac{x}{\|x\|}", lambda a: a["x"] / np.sqrt(np.sum(a["x"] ** 2))),
    (r"y = \operatorname{diag}(x) A x", lambda a: a["x"] * (a["A"] @ a["x"])),
    (r"y = A x \odot x", lambda a: a["x"] * (a["A"] @ a["x"])),
    (r"y = \ln(1 + e^{x})", lambda a: np.log(1 + np.exp(a["x"]))),
    (r"y = \sigma'(x)", lambda a: sig(a["x"]) * (1 - sig(a["x"]))),
    (r"y = \frac{\exp(x)}{\mathbf{1}^\top \exp(x)}", lambda a: softmax(a["x"])),
    (r"y = x - \log \sum_j \exp(x_j)", lambda a: a["x"] - np.log(np.sum(np.exp(a["x"])))),
    (r"y = A' x", lambda a: a["A"].T @ a["x"]),
    (r"y = x^\top A", lambda a: a["A"].T @ a["x"]),
    (r"y_i = \sum_j A_{ji} x_j", lambda a: a["A"].T @ a["x"]),
    (r"y_i = \sum_j A_{ij}^2 x_j", lambda a: (a["A"] ** 2) @ a["x"]),
    (r"y = \frac{1}{n}\sum_i x_i", lambda a: np.sum(a["x"]) / a["x"].shape[0]),
    (r"y = \mathbf{1}^\top x / n", lambda a: np.sum(a["x"]) / a["x"].shape[0]),
    (r"y = \|A x\|^2", lambda a: np.sum((a["A"] @ a["x"]) ** 2)),
    (r"y = \operatorname{tr}(A) x", lambda a: np.trace(a["A"]) * a["x"]),
]


@pytest.mark.parametrize("latex,fn", ELEMENTWISE, ids=range(len(ELEMENTWISE)))
def test_elementwise_notations(latex, fn):
    m = model(latex, {"x": "n", "A": "n x n"})
    rng = np.random.default_rng(14)
    for n in (1, 3, 4):
        a = {"x": rng.normal(size=n), "A": rng.normal(size=(n, n))}
        q = m.jacobian("y", "x")
        close(q.evaluate({key: v for key, v in a.items() if key in q.inputs}),
              jac(lambda d: fn(d), a, "x"))


@pytest.mark.parametrize("latex", [  # A^2 x, A^{-1} x, x \cdot \tanh(x): test_matrix_functions
    r"y = |x|", r"y = \max(0.1 x, x)", r"y = x - \operatorname{mean}(x)",
    r"y = (I - \frac{1}{n}\mathbf{1}\mathbf{1}^\top) x",
])
def test_unsupported_notations_are_refused(latex):
    with pytest.raises(sg.SymgradError):
        sg.Model.from_latex(latex, {"x": "n", "A": "n x n"}).jacobian("y", "x")


# convolutions and pooling --------------------------------------------------------------
def conv2d_loops(x, W, stride, padding, dilation):
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    C, H, Wd = x.shape
    F, _, KH, KW = W.shape
    xp = np.zeros((C, H + 2 * ph, Wd + 2 * pw), dtype=np.result_type(x, W))
    xp[:, ph:ph + H, pw:pw + Wd] = x
    Ho = (H + 2 * ph - dh * (KH - 1) - 1) // sh + 1
    Wo = (Wd + 2 * pw - dw * (KW - 1) - 1) // sw + 1
    out = np.zeros((F, Ho, Wo), dtype=xp.dtype)
    for f in range(F):
        for i in range(Ho):
            for j in range(Wo):
                for c in range(C):
                    for a in range(KH):
                        for b in range(KW):
                            out[f, i, j] += W[f, c, a, b] * xp[c, i * sh + a * dh, j * sw + b * dw]
    return out


def pair(v):
    return v if isinstance(v, tuple) else (v, v)


def conv_configs(seed, count):
    rng = np.random.default_rng(seed)
    out = []
    while len(out) < count:
        C, F = (int(v) for v in rng.integers(1, 3, size=2))
        KH, KW = (int(v) for v in rng.integers(1, 4, size=2))
        H, W = (int(v) for v in rng.integers(1, 8, size=2))
        S = (int(rng.integers(1, 4)), int(rng.integers(1, 4))) if rng.random() < .5 \
            else int(rng.integers(1, 4))
        P = (int(rng.integers(0, 3)), int(rng.integers(0, 3))) if rng.random() < .5 \
            else int(rng.integers(0, 3))
        D = (int(rng.integers(1, 3)), int(rng.integers(1, 3))) if rng.random() < .5 \
            else int(rng.integers(1, 3))
        (ph, pw), (dh, dw) = pair(P), pair(D)
        if H + 2 * ph - dh * (KH - 1) < 1 or W + 2 * pw - dw * (KW - 1) < 1:
            continue
        out.append((C, H, W, F, (KH, KW), S, P, D))
    return out


@pytest.mark.parametrize("C,H,W,F,K,S,P,D", conv_configs(0, 12))
def test_conv2d_random_configurations(C, H, W, F, K, S, P, D):
    conv = sg.Conv2d(in_channels=C, height=H, width=W, kernel_size=K, stride=S, padding=P,
                     dilation=D, filters=F)
    rng = np.random.default_rng(C * 100 + H * 10 + W)
    x, w = rng.normal(size=(C, H, W)), rng.normal(size=(F, C, *K))

    def f(a):
        return conv2d_loops(a["x"], a["W"], pair(S), pair(P), pair(D))
    out = f({"x": x, "W": w})
    assert tuple(conv.output_shape) == out.shape
    close(conv.output.evaluate(x=x, W=w), out)
    Jx, JW = jac(f, {"x": x, "W": w}, "x"), jac(f, {"x": x, "W": w}, "W")
    close(conv.jacobian("x").evaluate(x=x, W=w), Jx)
    close(conv.jacobian("W").evaluate(x=x, W=w), JW)
    g = rng.normal(size=out.shape)
    close(conv.grad("x").evaluate(x=x, W=w, g=g), np.tensordot(g, Jx, axes=3))
    close(conv.grad("W").evaluate(x=x, W=w, g=g), np.tensordot(g, JW, axes=3))


@pytest.mark.parametrize("C,L,F,K,S,P,D", [(1, 7, 1, 3, 2, 0, 1), (2, 9, 2, 2, 3, 1, 2),
                                           (3, 5, 1, 4, 1, 2, 1), (1, 4, 2, 1, 2, 0, 3),
                                           (2, 11, 1, 3, 2, 2, 2)])
def test_conv1d_configurations(C, L, F, K, S, P, D):
    conv = sg.Conv1d(in_channels=C, length=L, kernel_size=K, stride=S, padding=P,
                     dilation=D, filters=F)
    rng = np.random.default_rng(L)
    x, w = rng.normal(size=(C, L)), rng.normal(size=(F, C, K))

    def f(a):
        return conv2d_loops(a["x"][:, None, :], a["W"][:, :, None, :], (1, S), (0, P),
                            (1, D))[:, 0, :]
    out = f({"x": x, "W": w})
    close(conv.output.evaluate(x=x, W=w), out)
    close(conv.jacobian("x").evaluate(x=x, W=w), jac(f, {"x": x, "W": w}, "x"))
    g = rng.normal(size=out.shape)
    close(conv.grad("W").evaluate(x=x, W=w, g=g),
          np.tensordot(g, jac(f, {"x": x, "W": w}, "W"), axes=2))


@pytest.mark.parametrize("kw", [dict(kernel_size=3, height=2, width=2),
                                dict(kernel_size=2, stride=0), dict(kernel_size=2, padding=-1),
                                dict(kernel_size=2, dilation=0)])
def test_conv2d_invalid_configurations_raise(kw):
    args = {"in_channels": 1, "height": 4, "width": 4, **kw}
    with pytest.raises(sg.SymgradError):
        sg.Conv2d(**args).jacobian("x")


POOLING = [
    (r"y_j = \frac{1}{K}\sum_{k=1}^{K} x_{S(j-1)+k}", {"x": "L", "y": "floor((L - K)/S) + 1"},
     "avg", {"K": 2, "S": 2}),
    (r"y_j = \frac{1}{2}\sum_{k=1}^{2} x_{2(j-1)+k}", {"x": "L", "y": "floor((L - 2)/2) + 1"},
     "avg", {}),
    (r"y_j = \frac{x_{2j-1} + x_{2j}}{2}", {"x": "L", "y": "floor((L - 2)/2) + 1"}, "avg", {}),
    (r"y_j = \max(x_{2j-1}, x_{2j})", {"x": "L", "y": "floor((L - 2)/2) + 1"}, "max", {}),
    (r"y_{ij} = \frac{1}{4}\sum_{a=1}^{2}\sum_{b=1}^{2} x_{2(i-1)+a, 2(j-1)+b}",
     {"x": "H x W", "y": "floor((H-2)/2)+1 x floor((W-2)/2)+1"}, "avg", {}),
]


@pytest.mark.parametrize("latex,shapes,kind,sizes", POOLING, ids=range(len(POOLING)))
def test_pooling(latex, shapes, kind, sizes):
    q = model(latex, shapes).jacobian("y", "x")
    rng = np.random.default_rng(15)
    two = "H" in shapes["x"]

    def pool(a):
        x = a["x"] if two else a["x"][None, :]
        H, W = x.shape
        win = np.array([[x[2 * i:2 * i + 2, 2 * j:2 * j + 2] if two else x[:, 2 * j:2 * j + 2]
                         for j in range(W // 2)] for i in range(H // 2 if two else 1)])
        if kind == "max":
            r = np.max(win.reshape(*win.shape[:2], -1), axis=-1)
        else:
            r = win.reshape(*win.shape[:2], -1).mean(axis=-1)
        return r if two else r[0]
    for L in (4, 5, 8):
        x = rng.normal(size=(L, L + 2) if two else L)
        close(q.evaluate({"x": x}, **sizes), jac(pool, {"x": x}, "x", kind != "max"),
              TOL if kind != "max" else 1e-6)


@pytest.mark.parametrize("latex", [r"y_j = \max_{k} x_{2(j-1)+k}",
                                   r"y_{ij} = \max_{a, b} x_{2(i-1)+a, 2(j-1)+b}"])
def test_max_over_an_index_is_refused(latex):
    with pytest.raises(sg.SymgradError, match=r"\\max"):
        sg.Model.from_latex(latex, {"x": "L", "y": "floor((L - 2)/2) + 1"})


# checking symgrad's own printed forms --------------------------------------------------
OWN = [
    (ELMAN[0][0], ELMAN[0][1], "h_t", "h_{t-1}"),
    (ELMAN[2][0], ELMAN[2][1], "h^{(t)}", "W"),
    (LSTM[0][0], LSTM[0][1], "h[t]", "c[t-1]"),
    (GRU[1][0], GRU[1][1], "h_t", "h_{t-1}"),
    (CE[0][0], CE_SHAPES, "L", "z"),
    (CE[3][0], CE_SHAPES, "p", "z"),
    (ATTENTION[0], ATT_SHAPES, "c", "q"),
    (MLP[4][0], MLP[4][1], "y", "x"),
    (RESIDUAL[0][0], RES_SHAPES, "y", "x"),
    (r"f = x^\top A x", MC_SHAPES, "f", "x"),
]


@pytest.mark.parametrize("latex,shapes,of,wrt", OWN, ids=range(len(OWN)))
def test_own_latex_is_correct_and_a_doubled_one_is_not(latex, shapes, of, wrt):
    q = model(latex, shapes).jacobian(of, wrt)
    text = q.latex()
    assert q.check(text).verdict == "correct", (text, q.check(text).explanation)
    lhs, _, rhs = text.partition(" = ")
    main, sep, rest = rhs.partition(r", \quad")
    wrong = f"{lhs} = 2 \\left({main}\\right){sep}{rest}"
    assert q.check(wrong).verdict == "incorrect", wrong


def test_nested_sum_with_an_iverson_bracket_reads():
    """[z_r > 0] inside an inner sum stays bound to it (SymPy folds a Piecewise out of a
    Sum when the outer summand depends on the outer index)."""
    q = model(MLP[0][0], MLP_SHAPES).jacobian("L", "x")
    assert q.check(q.latex()).verdict == "correct"
    head = r"\frac{\partial L}{\partial x_{i}} = \sum_{q=1}^{k} (y_q - t_q) \sum_{r=1}^{h} "
    assert q.check(head + r"[z_r > 0] (W_1)_{ri} (W_2)_{qr}").verdict == "correct"
    assert q.check(head + r"(W_1)_{ri} (W_2)_{qr} [z_r > 0]").verdict == "correct"
    assert q.check(head + r"[z_r < 0] (W_1)_{ri} (W_2)_{qr}").verdict == "incorrect"


def test_nested_sum_with_an_index_condition_reads():
    """[l = 2j + k - 2] inside an inner sum after a factor of the outer index stays bound."""
    q = sg.Conv1d(in_channels=2, length=7, kernel_size=3, stride=2).grad("x")
    claim = (r"\frac{\partial \ell}{\partial x_{c,l}} = \sum_{j=1}^{3} g_{1,j} "
             r"\sum_{k=1}^{3} [l = 2j + k - 2] W_{1,c,k}")
    assert q.check(claim).verdict == "correct"
    assert q.check(claim.replace("k - 2]", "k - 1]")).verdict == "incorrect"


@pytest.mark.parametrize("latex,mask", [
    (r"s = \sum_{i} [x_i > 0] x_i^2", lambda x: 2 * x * (x > 0)),
    (r"s = \sum_{i} x_i [x_i > 0]", lambda x: 1.0 * (x > 0)),
    (r"s = \sum_{i} \mathbb{1}[x_i > 0] x_i^2", lambda x: 2 * x * (x > 0)),
    (r"s = \sum_{i} [x_i \ge 0] x_i", lambda x: 1.0 * (x >= 0)),
    (r"s = \sum_{i} [x_i < 0] x_i^2", lambda x: 2 * x * (x < 0)),
    (r"s = \sum_i \begin{cases} x_i^2 & x_i > 0 \\ 0 & \text{otherwise} \end{cases}",
     lambda x: 2 * x * (x > 0)),
    (r"y_i = [x_i > 0] x_i^2 \\ s = \sum_i y_i", lambda x: 2 * x * (x > 0)),
])
def test_conditions_on_entries_inside_a_sum(latex, mask):
    q = model(latex, {"x": "n"}).jacobian("s", "x")
    rng = np.random.default_rng(16)
    for n in (1, 4, 6):
        x = rng.normal(size=n)
        close(q.evaluate({"x": x}), mask(x))
    assert q.check(q.latex()).verdict == "correct"


def test_concatenation_in_a_claim_is_evaluated():
    """([h[t-1], x[t]])_l, one index on a list of vectors: their concatenation."""
    q = model(COLAH, COLAH_SHAPES).jacobian("h_t", "W_f")
    assert q.check(q.latex()).verdict == "correct"
    swapped = q.latex().replace(r"\left[h[t-1], x[t]\right]", r"\left[x[t], h[t-1]\right]")
    assert swapped != q.latex() and q.check(swapped).verdict == "incorrect"


@pytest.mark.parametrize("claim,verdict", [
    (r"\frac{\partial^{2} f}{\partial x_{i} \partial x_{j}} = A_{ij} + A_{ji}", "correct"),
    (r"\frac{\partial^2 f}{\partial x_i\,\partial x_j} = A_{ji} + A_{ij}", "correct"),
    (r"\frac{\partial^2 f}{\partial x^2} = A + A^\top", "correct"),
    (r"\frac{\partial^2 f}{\partial x \partial x^\top} = A^T + A", "correct"),
    (r"\frac{\partial^2 f}{\partial x_i \partial x_j} = 2 A_{ij}", "incorrect"),
    (r"\frac{\partial^2 f}{\partial x^2} = 2 A", "incorrect"),
])
def test_hessian_claims_are_read(claim, verdict):
    H = model(r"f = x^\top A x", MC_SHAPES).hessian("f", "x")
    assert H.check(claim).verdict == verdict, H.check(claim).explanation
    assert H.check(H.latex()).verdict == "correct"
    assert H.check(H.latex("matrix")).verdict == "correct"


def test_least_squares_hessian_claim_in_its_printed_forms():
    H = model(r"L = \frac{1}{2}\|B x - y\|^2", MC_SHAPES).hessian("L", "x")
    assert H.check(H.latex()).verdict == "correct"
    assert H.check(r"\frac{\partial^2 L}{\partial x^2} = B^\top B").verdict == "correct"
    assert H.check(r"\frac{\partial^2 L}{\partial x^2} = B B^\top").verdict != "correct"


def test_cube_root_is_a_root_not_a_factor():
    q = model(r"y = \sqrt[3]{x} + \sqrt[2]{x}", {"x": "n"}).jacobian("y", "x")
    rng = np.random.default_rng(17)
    for n in (1, 4):
        x = np.abs(rng.normal(size=n)) + 0.1
        close(q.evaluate({"x": x}), jac(lambda d: d["x"] ** (1 / 3) + np.sqrt(d["x"]),
                                        {"x": x}, "x"))
    with pytest.raises(sg.SymgradError, match="root"):
        sg.Model.from_latex(r"y = \sqrt[n]{x}", {"x": "n"})


@pytest.mark.parametrize("latex,kw", [
    (r"y_i = \sum_{j=0}^{n-1} W_{ij} x_j", {}),          # 0-based bounds, 1-based reading
    (r"y_i = \sum_{j=1}^{n} W_{ij} x_j", {"index_base": 0}),
    (r"y_i = \sum_{j=1}^{n+1} W_{ij} x_j", {}),
    (r"y_i = \sum_{j=i}^{i+1} x_j", {}),                  # a window past the end of x
    (r"y = \prod_{i=1}^{n} x_i", {}),
])
def test_sums_a_model_would_read_wrong_are_refused(latex, kw):
    with pytest.raises(sg.SymgradError):
        sg.Model.from_latex(latex, {"x": "n", "W": "m x n", "y": "m"} if "W" in latex
                            else {"x": "n", "y": "n"} if "y_i" in latex else {"x": "n"}, **kw)


@pytest.mark.parametrize("latex,kw", [(r"y_i = \sum_{j=0}^{n-1} W_{ij} x_j", {"index_base": 0}),
                                      (r"y_i = \sum_{j=1}^{n} W_{ij} x_j", {}),
                                      (r"y_i = \sum_{j=2}^{n} W_{ij} x_j", {})])
def test_sums_within_their_axis(latex, kw):
    q = model(latex, {"x": "n", "W": "m x n"}) if not kw else \
        sg.Model.from_latex(latex, {"x": "n", "W": "m x n"}, **kw)
    q = q.jacobian("y", "x")
    rng = np.random.default_rng(18)
    W, x = rng.normal(size=(3, 4)), rng.normal(size=4)
    ref = W.copy()
    if "j=2" in latex:
        ref[:, 0] = 0
    close(q.evaluate({"x": x, "W": W}), ref)


@pytest.mark.parametrize("latex,fn", [
    (r"y_i = |x_i|", lambda a: np.abs(a["x"])),
    (r"y = \sum_i |x_i|", lambda a: np.sum(np.abs(a["x"]))),
    (r"y = \sum_i |x_i - W_{1i}|", lambda a: np.sum(np.abs(a["x"] - a["W"][0]))),
    (r"y = \frac{1}{2}\|W x\|^2 + \lambda \sum_{i,j} |W_{ij}|",
     lambda a: 0.5 * np.sum((a["W"] @ a["x"]) ** 2) + a["lambda"] * np.sum(np.abs(a["W"]))),
])
def test_absolute_values_of_entries(latex, fn):
    m = model(latex, {"x": "n", "W": "m x n", r"\lambda": ""})
    rng = np.random.default_rng(19)
    for n, k in [(3, 2), (1, 1)]:
        a = {"x": rng.normal(size=n), "W": rng.normal(size=(k, n)), "lambda": np.array(0.3)}
        for wrt in ("x", "W") if "W" in latex else ("x",):
            q = m.jacobian("y", wrt)
            close(q.evaluate({key: v for key, v in a.items() if key in latex or key == "x"}),
                  jac(fn, a, wrt, complex_step=False), 1e-6)


def test_a_shifted_read_needs_a_declared_shape():
    """y_i = x_{i+1} - x_i: y's size is not x's (the last row would read past x as 0)."""
    with pytest.raises(sg.SymgradError, match="declare the shape of y"):
        sg.Model.from_latex(r"y_i = x_{i+1} - x_i", {"x": "n"})
    q = model(r"y_i = x_{i+1} - x_i", {"x": "n", "y": "n - 1"}).jacobian("y", "x")
    x = np.random.default_rng(20).normal(size=5)
    close(q.evaluate({"x": x}), (np.eye(5, k=1) - np.eye(5))[:4])


@pytest.mark.parametrize("latex,of,wrt,claim,verdict", [
    (r"f = x^\top A x", "f", "x", r"\nabla_x f = (A + A^T) x", "correct"),
    (r"f = x^\top A x", "f", "x", r"\nabla_x f = 2 A x", "incorrect"),
    (r"L = \|B x - y\|^2", "L", "x", r"\nabla_x L = 2 B^\top (B x - y)", "correct"),
    (r"L = \|B x - y\|^2", "L", "x", r"\nabla_x L = B^\top (B x - y)", "incorrect"),
    (r"s = \operatorname{tr}(C X)", "s", "X", r"\frac{\partial s}{\partial X} = C^\top", "correct"),
    # numerator layout (the transpose of the gradient): correct, the layout named
    (r"s = \operatorname{tr}(C X)", "s", "X", r"\frac{\partial s}{\partial X} = C", "correct"),
    (r"s = \operatorname{tr}(C X)", "s", "X", r"\frac{\partial s}{\partial X} = 2 C",
     "incorrect"),
])
def test_gradient_claims_name_their_function(latex, of, wrt, claim, verdict):
    q = model(latex, MC_SHAPES).jacobian(of, wrt)
    v = q.check(claim)
    assert v.verdict == verdict, v.explanation
    if claim.endswith("= C"):
        assert any(n.startswith("numerator layout") for n in v.notes), v.notes


@pytest.mark.parametrize("claim,verdict", [(r"\nabla^2_x f = A + A^\top", "correct"),
                                           (r"\nabla_x^2 f = A^T + A", "correct"),
                                           (r"\nabla_{x}^{2} f = 2 A", "incorrect")])
def test_nabla_squared_is_the_hessian(claim, verdict):
    H = model(r"f = x^\top A x", MC_SHAPES).hessian("f", "x")
    assert H.check(claim).verdict == verdict


def test_cross_entropy_gradient_claim_with_a_one_hot_target():
    shapes = {**CE_SHAPES, "y": "one-hot k"}
    m = model(CE[0][0], shapes)
    assert m.jacobian("L", "z").check(r"\nabla_z L = \hat{y} - y").verdict == "correct"
    assert m.jacobian("L", "z").check(r"\frac{\partial L}{\partial z} = y - \hat{y}").verdict \
        == "incorrect"
    assert m.jacobian("L", "W").check(
        r"\frac{\partial L}{\partial W} = (\hat{y} - y) x^\top").verdict == "correct"
    # without one-hot, y is any vector: dL/dz = y-hat (sum y) - y, and y-hat - y is wrong
    assert model(CE[0][0], CE_SHAPES).jacobian("L", "z").check(
        r"\frac{\partial L}{\partial z} = \hat{y} - y").verdict == "incorrect"


@pytest.mark.parametrize("latex", [
    r"h_t = \tanh(W [h_{t-1}, x_t] + b)",
    r"h_t = \tanh(W [h_{t-1}; x_t] + b)",
    r"h[t] = \tanh(W [h[t-1], x[t]] + b)",
    r"h_t = \tanh(W \left[h_{t-1}; x_t\right] + b)",
])
def test_one_weight_over_a_concatenation(latex):
    """W [h_{t-1}, x_t]: W times the stacked vector, not W at the step h[t-1]."""
    m = model(latex, {"x": "n", "h": "m", "W": "m x (m + n)", "b": "m"})
    t = "[t]" if "[t]" in latex else "_t"
    keys = {"h": "h" + t, "h_prev": "h" + ("[t-1]" if t == "[t]" else "_{t-1}"), "x": "x" + t}
    rng = np.random.default_rng(21)
    for n, k in [(2, 3), (1, 1)]:
        a = {"x": rng.normal(size=n), "h_prev": rng.normal(size=k),
             "W": rng.normal(size=(k, k + n)), "b": rng.normal(size=k)}

        def step(d):
            return {"h": np.tanh(d["W"] @ np.concatenate([d["h_prev"], d["x"]]) + d["b"])}
        for wrt in ("h_prev", "x", "W"):
            jacobian_case(m, "h", wrt, a, keys, step)


@pytest.mark.parametrize("latex,now,prev,x", [
    (r"a^{<t>} = \tanh(W_{aa} a^{<t-1>} + W_{ax} x^{<t>} + b_a)", "a^{<t>}", "a^{<t-1>}",
     "x^{<t>}"),
    (r"a^{\langle t \rangle} = \tanh(W_{aa} a^{\langle t-1 \rangle} + W_{ax} x^{\langle t \rangle}"
     r" + b_a)", r"a^{\langle t \rangle}", r"a^{\langle t-1 \rangle}", r"x^{\langle t \rangle}"),
])
def test_steps_in_angle_brackets(latex, now, prev, x):
    m = model(latex, {"x": "n", "a": "m", "W_{aa}": "m x m", "W_{ax}": "m x n", "b_a": "m"})
    keys = {"h": now, "h_prev": prev, "x": x, "W": "W_{aa}", "U": "W_{ax}", "b": "b_a"}
    rng = np.random.default_rng(22)
    for n, k in SIZES:
        a = elman_arrays(rng, n, k)
        for wrt in ("h_prev", "x", "W"):
            jacobian_case(m, "h", wrt, a, keys, elman_step)
    q = m.jacobian(now, prev)
    claim = (r"\frac{\partial %s}{\partial %s} = \operatorname{diag}(1 - (%s)^2) W_{aa}"
             % (now, prev, now))
    assert q.check(claim).verdict == "correct", q.check(claim).explanation


def causal_softmax(S):
    T = S.shape[0]
    E = np.where(np.tril(np.ones((T, T))) > 0, np.exp(S - np.max(np.real(S))), 0)
    return E / E.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("latex", [
    r"A_{ij} = \frac{[j \le i] \exp(S_{ij})}{\sum_{l} [l \le i] \exp(S_{il})}",
    r"A_{ij} = \frac{[j \le i] e^{S_{ij}}}{\sum_{l=1}^{T} [l \le i] e^{S_{il}}}",
])
def test_causal_mask_inside_a_sum(latex):
    """A condition on the summation index ([l <= i]) keeps its binding through the chain
    rule (a Piecewise was folded out of the sum and evaluate crashed)."""
    q = model(latex, {"S": "T x T"}).jacobian("A", "S")
    rng = np.random.default_rng(23)
    for T in (1, 3, 4):
        S = rng.normal(size=(T, T))
        close(q.evaluate({"S": S}), jac(lambda d: causal_softmax(d["S"]), {"S": S}, "S"))
    assert q.check(q.latex()).verdict == "correct"


def test_triangular_sums_with_index_conditions():
    q = model(r"y_i = \sum_{j} [j < i] x_j + \sum_j [j \ge i] 2 x_j",
              {"x": "n", "y": "n"}).jacobian("y", "x")
    ones = np.ones((4, 4))
    close(q.evaluate({"x": np.ones(4)}), np.tril(ones, -1) + 2 * np.triu(ones))


def test_bptt_from_a_scalar_loss_per_step():
    m = model(r"h_t = \tanh(W h_{t-1} + U x_t) \\ \ell_t = \frac{1}{2}\|h_t - y_t\|^2",
              {"x": "n", "h": "m", "y": "m", "W": "m x m", "U": "m x n"})
    K, n, k = 4, 2, 3
    rng = np.random.default_rng(24)
    xs, ys = rng.normal(size=(K, n)), rng.normal(size=(K, k))
    W, U = rng.normal(size=(k, k)), rng.normal(size=(k, n))

    def loss(d):
        h, total = np.zeros(k), 0
        for t in range(K):
            h = np.tanh(d["W"] @ h + U @ xs[t])
            total = total + 0.5 * np.sum((h - ys[t]) ** 2)
        return total
    q = m.grad("W", steps=K, of=r"\ell", given="direct")
    close(q.evaluate({"x_t": xs, "y_t": ys, "W": W, "U": U, "g": np.ones(K)}),
          jac(loss, {"W": W}, "W"))


@pytest.mark.parametrize("latex,out,prev", [
    (r"h_t = \tanh(W h_{t-1} + U x_t) \\ \hat{y}_t = \operatorname{softmax}(V h_t)",
     r"\hat{y}_t", "h_{t-1}"),
    (r"h_t = \tanh(W h_{t-1} + U x_t) \\ o_t = V h_t \\ \hat{y}_t = \operatorname{softmax}(o_t)",
     r"\hat{y}_t", "h_{t-1}"),
    (r"h^{(t)} = \tanh(W h^{(t-1)} + U x^{(t)}) \\ "
     r"\hat{y}^{(t)} = \operatorname{softmax}(V h^{(t)})",
     r"\hat{y}^{(t)}", "h^{(t-1)}"),
])
def test_rnn_output_with_an_accented_name(latex, out, prev):
    """\\hat{y}_t is y-hat at step t (it was read as y-hat indexed by t and refused)."""
    m = model(latex, {"x": "n", "h": "m", "W": "m x m", "U": "m x n", "V": "k x m"})
    q = m.jacobian(out, prev)
    rng = np.random.default_rng(25)
    for n, k, c in [(2, 3, 4), (1, 1, 2)]:
        a = {"x": rng.normal(size=n), "h": rng.normal(size=k), "W": rng.normal(size=(k, k)),
             "U": rng.normal(size=(k, n)), "V": rng.normal(size=(c, k))}

        def f(d, a=a):
            return softmax(a["V"] @ np.tanh(a["W"] @ d["h"] + a["U"] @ a["x"]))
        keyed = {"x" + prev[1:].replace("-1", ""): a["x"], prev: a["h"],
                 **{key: a[key] for key in "WUV"}}
        close(q.evaluate(keyed), jac(f, a, "h"))


@pytest.mark.parametrize("latex", [r"f \\ = A", "f", r"z \\ = W x \\ L = z"])
def test_an_equation_without_its_left_side_is_refused(latex):
    with pytest.raises(sg.SymgradError, match="name = formula"):
        sg.Model.from_latex(latex, {"x": "n", "A": "n x n", "W": "k x n"})


STACKED = {"x": "n", "h^{(1)}": "m", "h^{(2)}": "m", "W_1": "m x m", "U_1": "m x n",
           "W_2": "m x m", "U_2": "m x m"}


@pytest.mark.parametrize("latex,one,two", [
    (r"h^{(1)}_t = \tanh(W_1 h^{(1)}_{t-1} + U_1 x_t) \\ "
     r"h^{(2)}_t = \tanh(W_2 h^{(2)}_{t-1} + U_2 h^{(1)}_t)", "h^{(1)}_{t-1}", "h^{(2)}_t"),
    (r"h^{(1)}[t] = \tanh(W_1 h^{(1)}[t-1] + U_1 x[t]) \\ "
     r"h^{(2)}[t] = \tanh(W_2 h^{(2)}[t-1] + U_2 h^{(1)}[t])", "h^{(1)}[t-1]", "h^{(2)}[t]"),
])
def test_stacked_rnn_with_layer_superscripts(latex, one, two):
    """h^{(1)}_t: layer 1 at step t (the layer mark was read as the step and refused)."""
    m = model(latex, STACKED)
    rng = np.random.default_rng(26)
    for n, k in [(2, 3), (1, 2)]:
        a = {"x": rng.normal(size=n), "p": rng.normal(size=k), "q": rng.normal(size=k),
             **{w: rng.normal(size=(k, n if w == "U_1" else k)) for w in STACKED if "_" in w}}

        def f(d, a=a):
            p = np.tanh(a["W_1"] @ d["p"] + a["U_1"] @ a["x"])
            return np.tanh(a["W_2"] @ a["q"] + a["U_2"] @ p)
        prev2 = two.replace("[t]", "[t-1]").replace("_t", "_{t-1}")
        keyed = {"x": a["x"], one: a["p"], prev2: a["q"],
                 **{w: a[w] for w in STACKED if "_" in w}}
        close(m.jacobian(two, one).evaluate(keyed), jac(f, a, "p"))
        q = m.jacobian(two, prev2)
        assert q.check(q.latex()).verdict == "correct"
