"""Custom models from LaTeX against the built-in layer and independent NumPy code.

The gated RNN written as its two equations must give exactly what sg.GatedRNN gives.
The LSTM, GRU, single-head self-attention and a strided convolution are checked against
NumPy written here from their usual definitions (numpy.correlate for the convolution),
with central finite differences, for several sizes.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
import sympy as sp
from reference import central, sig

import symgrad as sg
from symgrad.core.tensor import size
from symgrad.layers.gated_rnn import GatedRNN
from symgrad.problems.base import ProblemSet
from symgrad.verify import check_claim

GATED = (r"c[t] = \sigma(W_c x[t] + W_h h[t-1]) \\ "
         r"h[t] = c[t] \odot h[t-1] + (1 - c[t]) \odot W_x x[t]")
GATED_SHAPES = {"x": "n", "h": "m", "W_c": "m x n", "W_h": "m x m", "W_x": "m x n"}

LSTM = r"""
f[t] = \sigma(W_f x[t] + U_f h[t-1] + b_f) \\
i[t] = \sigma(W_i x[t] + U_i h[t-1] + b_i) \\
o[t] = \sigma(W_o x[t] + U_o h[t-1] + b_o) \\
g[t] = \tanh(W_g x[t] + U_g h[t-1] + b_g) \\
c[t] = f[t] \odot c[t-1] + i[t] \odot g[t] \\
h[t] = o[t] \odot \tanh(c[t])
"""
LSTM_SHAPES = {"x": "d", "h": "m", "c": "m",
               **{f"{w}_{k}": s for k in "fiog"
                  for w, s in (("W", "m x d"), ("U", "m x m"), ("b", "m"))}}

GRU = r"""
z[t] = \sigma(W_z x[t] + U_z h[t-1] + b_z) \\
r[t] = \sigma(W_r x[t] + U_r h[t-1] + b_r) \\
\tilde{h}[t] = \tanh(W_h x[t] + U_h (r[t] \odot h[t-1]) + b_h) \\
h[t] = (1 - z[t]) \odot \tilde{h}[t] + z[t] \odot h[t-1]
"""
GRU_SHAPES = {"x": "d", "h": "m",
              **{f"{w}_{k}": s for k in "zrh"
                 for w, s in (("W", "m x d"), ("U", "m x m"), ("b", "m"))}}

ATTENTION = r"""
Q = X W_q \\ K = X W_k \\ V = X W_v \\
A = \mathrm{softargmax}\left(\frac{Q K^\top}{\sqrt{d}}\right) \\
Y = A V
"""
ATTENTION_SHAPES = {"X": "T x d", "W_q": "d x d", "W_k": "d x d", "W_v": "d x d"}

SIZES = [(3, 4), (2, 1), (1, 3)]






def close(got, ref, tol=1e-6):
    assert got.shape == ref.shape
    np.testing.assert_allclose(got, ref, atol=tol, rtol=tol)


# independent references ---------------------------------------------------------------
def gated_step(x, h, P):
    c = sig(P["W_c"] @ x + P["W_h"] @ h)
    return c * h + (1 - c) * (P["W_x"] @ x)


def lstm_step(x, h, c, P):
    f = sig(P["W_f"] @ x + P["U_f"] @ h + P["b_f"])
    i = sig(P["W_i"] @ x + P["U_i"] @ h + P["b_i"])
    o = sig(P["W_o"] @ x + P["U_o"] @ h + P["b_o"])
    g = np.tanh(P["W_g"] @ x + P["U_g"] @ h + P["b_g"])
    c_new = f * c + i * g
    return o * np.tanh(c_new), c_new


def gru_step(x, h, P):
    z = sig(P["W_z"] @ x + P["U_z"] @ h + P["b_z"])
    r = sig(P["W_r"] @ x + P["U_r"] @ h + P["b_r"])
    cand = np.tanh(P["W_h"] @ x + P["U_h"] @ (r * h) + P["b_h"])
    return (1 - z) * cand + z * h


def attention(X, W_q, W_k, W_v):
    Q, K, V = X @ W_q, X @ W_k, X @ W_v
    S = Q @ K.T / np.sqrt(X.shape[1])
    A = np.exp(S - S.max(axis=1, keepdims=True))
    return (A / A.sum(axis=1, keepdims=True)) @ V


def params(rng, shapes, sizes, scale=0.7):
    out = {}
    for name, spec in shapes.items():
        dims = tuple(sizes[s.strip()] for s in spec.split(" x "))
        out[name] = scale * rng.normal(size=dims)
    return out


# the gated RNN through the LaTeX path ------------------------------------------------------
def gated_model():
    return sg.Model.from_latex(GATED, GATED_SHAPES)


def as_gated(expr: sp.Expr) -> sp.Expr:
    """The LaTeX model's element in GatedRNN's names (W_x x[t] is GatedRNN's u)."""
    return expr.replace(lambda e: isinstance(e, sp.IndexedBase) and str(e.label) == "W_x_x",
                        lambda e: sp.IndexedBase("u"))


@pytest.mark.parametrize("n,m", SIZES)
@pytest.mark.parametrize("seed", [0, 1])
def test_gated_state_jacobian_equals_the_layer(n, m, seed):
    rng = np.random.default_rng(seed)
    a = dict(x=rng.normal(size=n), h_prev=rng.normal(size=m), W_c=rng.normal(size=(m, n)),
             W_h=rng.normal(size=(m, m)), W_x=rng.normal(size=(m, n)))
    want = GatedRNN(n, m).state_jacobian().evaluate(**a)
    q = gated_model().jacobian("h[t]", "h[t-1]")
    written = {"x[t]": a["x"], "h[t-1]": a["h_prev"], "W_c": a["W_c"], "W_h": a["W_h"],
               "W_x": a["W_x"]}
    np.testing.assert_allclose(q.evaluate(written), want, rtol=1e-13, atol=1e-13)
    close(q.evaluate(written), central(lambda h: gated_step(a["x"], h, a), a["h_prev"]))
    for p in ("W_c", "W_h", "W_x", "x"):
        np.testing.assert_allclose(gated_model().jacobian("h[t]", p).evaluate(**a),
                                   GatedRNN(n, m).jacobian(p).evaluate(**a), atol=1e-13)


def test_gated_elements_equal_the_layer_up_to_simplification():
    model, rnn = gated_model(), GatedRNN(size("n"), size("m"))
    mine, theirs = model.jacobian("h[t]", "h[t-1]"), rnn.state_jacobian()
    assert mine.indices == theirs.indices and mine.shape == theirs.shape
    assert sp.expand(as_gated(mine.element) - theirs.element) == 0
    assert mine.latex("matrix") == theirs.latex("matrix")
    for p in ("W_c", "W_h", "W_x"):
        assert sp.expand(as_gated(model.jacobian("h[t]", p).element)
                         - rnn.jacobian(p).element) == 0
        for given in ("total", "direct"):
            a, b = model.grad(p, steps=4, given=given), GatedRNN(2, 3).grad(p, 4, given)
            assert a.shape == (size("m"), size(p == "W_h" and "m" or "n"))
            assert sp.expand((as_gated(a.element) - b.element).doit()) == 0


@pytest.mark.parametrize("n,m", SIZES)
@pytest.mark.parametrize("K", [1, 3, 6])
@pytest.mark.parametrize("given", ["total", "direct"])
def test_gated_bptt_equals_the_layer(n, m, K, given):
    rng = np.random.default_rng(10 * n + m + K)
    s = dict(x=rng.normal(size=(K, n)), W_c=rng.normal(size=(m, n)),
             W_h=rng.normal(size=(m, m)), W_x=rng.normal(size=(m, n)),
             delta=rng.normal(size=(K, m)), g=rng.normal(size=(K, m)))
    up = "delta" if given == "total" else "g"
    model = gated_model()
    for p in ("W_c", "W_h", "W_x"):
        want = GatedRNN(n, m).grad(p, steps=K, given=given).evaluate(
            **{k: s[k] for k in ("x", "W_c", "W_h", "W_x", up)})
        got = model.grad(p, steps=K, given=given).evaluate(
            {"x[t]": s["x"], "W_c": s["W_c"], "W_h": s["W_h"], "W_x": s["W_x"], up: s[up]})
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    symbolic = model.grad("W_x", steps=size("K"), given=given)
    np.testing.assert_allclose(symbolic.evaluate({k: s[k] for k in ("x", "W_c", "W_h", "W_x",
                                                                     up)}),
                               model.grad("W_x", K, given).evaluate(
                                   {k: s[k] for k in ("x", "W_c", "W_h", "W_x", up)}))


def test_gated_bptt_printing_and_check():
    q = gated_model().grad("W_x", steps=size("K"))
    assert q.latex() == (r"\frac{\partial \ell}{\partial \left(W_x\right)_{ij}} = "
                         r"\sum_{t=1}^{K} \delta[t]_{i} \left(1 - c[t]_{i}\right) x[t]_{j}")
    assert q.latex(index_base=0) == q.latex()
    assert q.latex("matrix") == GatedRNN(size("n"), size("m")).grad("W_x", size("K")).latex(
        "matrix")
    v = q.check(r"\frac{\partial \ell}{\partial W_x} = \sum_{t=1}^{K} "
                r"(\delta[t] \odot (1 - c[t])) x[t]^\top")
    assert v.verdict == "correct"
    j = gated_model().jacobian("h[t]", "h[t-1]")
    right = (r"\frac{\partial h[t]}{\partial h[t-1]} = \mathrm{diag}(c[t]) + "
             r"\mathrm{diag}((h[t-1] - W_x x[t]) \odot c[t] \odot (1 - c[t])) W_h")
    assert j.check(right).verdict == "correct"
    assert j.check(right.replace(r" \odot (1 - c[t])", "")).verdict == "incorrect"


def test_custom_model_in_a_problem_set():
    model = gated_model()
    q = model.jacobian("h[t]", "h[t-1]")
    ps = ProblemSet("custom", "Custom layers")
    ps.add_quantity("1", q, statement=r"Find $\partial h[t] / \partial h[t-1]$.")
    answer = ps.answer("1")
    assert answer.quantity is q and q.latex() in answer.latex and "Find" in answer.latex
    claim = (r"\frac{\partial h[t]}{\partial h[t-1]} = \mathrm{diag}(c[t]) + "
             r"\mathrm{diag}((h[t-1] - W_x x[t]) \odot c[t] \odot (1 - c[t])) W_h")
    assert check_claim(ps.question("1").context(), claim).verdict == "correct"


def test_cost_does_not_grow_with_sizes():
    model = gated_model()
    small = model.jacobian("h[t]", "h[t-1]", sizes={"n": 3, "m": 4})
    start = time.perf_counter()
    large = model.jacobian("h[t]", "h[t-1]", sizes={"n": 3, "m": 4000})
    _ = large.latex(), large.latex("matrix")
    assert time.perf_counter() - start < 2.0
    assert large.element == small.element and large.shape == (4000, 4000)


# LSTM -------------------------------------------------------------------------------------
@pytest.mark.parametrize("d,m", SIZES)
def test_lstm_jacobians_match_numpy(d, m):
    model = sg.Model.from_latex(LSTM, LSTM_SHAPES, name="LSTM")
    assert model.states() == {"h": ["h_prev"], "c": ["c_prev"]}
    rng = np.random.default_rng(d * 7 + m)
    P = params(rng, {k: v for k, v in LSTM_SHAPES.items() if k not in "xhc"}, {"d": d, "m": m})
    x, h, c = rng.normal(size=d), rng.normal(size=m), rng.normal(size=m)
    arrays = {"x[t]": x, "h[t-1]": h, "c[t-1]": c, **P}
    cases = [("h[t]", "h[t-1]", lambda v: lstm_step(x, v, c, P)[0], h),
             ("h[t]", "c[t-1]", lambda v: lstm_step(x, h, v, P)[0], c),
             ("c[t]", "h[t-1]", lambda v: lstm_step(x, v, c, P)[1], h),
             ("c[t]", "c[t-1]", lambda v: lstm_step(x, h, v, P)[1], c),
             ("h[t]", "x[t]", lambda v: lstm_step(v, h, c, P)[0], x)]
    cases += [("h[t]", p, lambda v, p=p: lstm_step(x, h, c, {**P, p: v})[0], P[p])
              for p in ("W_f", "U_i", "U_o", "b_g")]
    for of, wrt, f, at in cases:
        close(model.jacobian(of, wrt).evaluate(arrays), central(f, at))
    assert model.jacobian("c[t]", "c[t-1]").latex() == (
        r"\frac{\partial c[t]_{j}}{\partial c[t-1]_{k}} = f[t]_{j} \delta_{jk}")


@pytest.mark.parametrize("d,m", SIZES)
@pytest.mark.parametrize("given", ["total", "direct"])
def test_lstm_bptt_matches_numpy(d, m, given):
    model = sg.Model.from_latex(LSTM, LSTM_SHAPES, name="LSTM")
    rng = np.random.default_rng(d * 5 + m)
    P = params(rng, {k: v for k, v in LSTM_SHAPES.items() if k not in "xhc"}, {"d": d, "m": m})
    K = 4
    xs, a_h, a_c = rng.normal(size=(K, d)), rng.normal(size=(K, m)), rng.normal(size=(K, m))

    def states(Pv):
        h, c, out = np.zeros(m), np.zeros(m), []
        for t in range(K):
            prev = (h, c)
            h, c = lstm_step(xs[t], h, c, Pv)
            out.append((prev, h, c))
        return out

    frozen = states(P)

    def loss(Pv):
        if given == "direct":  # l = sum_t <g_h, h[t]> + <g_c, c[t]>, unrolled
            return sum(a_h[t] @ h + a_c[t] @ c for t, (_, h, c) in enumerate(states(Pv)))
        total = 0.0  # the immediate terms: earlier states frozen at the forward values
        for t, ((h0, c0), _, _) in enumerate(frozen):
            h, c = lstm_step(xs[t], h0, c0, Pv)
            total += a_h[t] @ h + a_c[t] @ c
        return total

    names = ("delta_h", "delta_c") if given == "total" else ("g_h", "g_c")
    for p in ("W_f", "U_f", "U_o", "b_i", "U_g"):
        q = model.grad(p, steps=K, given=given)
        got = q.evaluate({"x[t]": xs, **P, names[0]: a_h, names[1]: a_c})
        close(got, central(lambda v, p=p: loss({**P, p: v}), P[p]))


# GRU --------------------------------------------------------------------------------------
@pytest.mark.parametrize("d,m", SIZES)
def test_gru_jacobians_and_bptt_match_numpy(d, m):
    model = sg.Model.from_latex(GRU, GRU_SHAPES, name="GRU")
    assert model.tensors["tilde_h"].latex == r"\tilde{h}[t]"
    rng = np.random.default_rng(d * 3 + m)
    P = params(rng, {k: v for k, v in GRU_SHAPES.items() if k not in "xh"}, {"d": d, "m": m})
    x, h = rng.normal(size=d), rng.normal(size=m)
    arrays = {"x[t]": x, "h[t-1]": h, **P}
    close(model.state_jacobian().evaluate(arrays), central(lambda v: gru_step(x, v, P), h))
    close(model.jacobian("h[t]", "x[t]").evaluate(arrays),
          central(lambda v: gru_step(v, h, P), x))
    for p in ("W_z", "U_r", "U_h", "b_h"):
        close(model.jacobian("h[t]", p).evaluate(arrays),
              central(lambda v, p=p: gru_step(x, h, {**P, p: v}), P[p]))
    K = 5
    xs, g = rng.normal(size=(K, d)), rng.normal(size=(K, m))

    def loss(Pv):
        h, total = np.zeros(m), 0.0
        for t in range(K):
            h = gru_step(xs[t], h, Pv)
            total += g[t] @ h
        return total
    for p in ("W_r", "U_z", "U_h"):
        got = model.grad(p, steps=K, given="direct").evaluate({"x[t]": xs, **P, "g": g})
        close(got, central(lambda v, p=p: loss({**P, p: v}), P[p]))


# self-attention -----------------------------------------------------------------------------
@pytest.mark.parametrize("T,d", [(2, 2), (3, 2), (4, 3), (1, 2)])
def test_self_attention_jacobians_match_numpy(T, d):
    model = sg.Model.from_latex(ATTENTION, ATTENTION_SHAPES, name="attention")
    assert model.tensors["A"].shape == (size("T"), size("T"))
    rng = np.random.default_rng(T * 10 + d)
    X = rng.normal(size=(T, d))
    W = {k: rng.normal(size=(d, d)) for k in ("W_q", "W_k", "W_v")}
    arrays = {"X": X, **W}
    np.testing.assert_allclose(model.value("Y").evaluate(arrays), attention(X, **W),
                               atol=1e-12)
    close(model.jacobian("Y", "X").evaluate(arrays), central(lambda v: attention(v, **W), X))
    for p in W:
        close(model.jacobian("Y", p).evaluate(arrays),
              central(lambda v, p=p: attention(X, **{**W, p: v}), W[p]))
    g = rng.normal(size=(T, d))
    close(model.grad("W_q", given="total").evaluate({**arrays, "g": g}),
          central(lambda v: np.sum(g * attention(X, v, W["W_k"], W["W_v"])), W["W_q"]))


def test_self_attention_in_index_notation():
    text = (r"S_{ij} = \frac{1}{\sqrt{d}} \sum_{p=1}^{d} \sum_{q=1}^{d} \sum_{r=1}^{d} "
            r"X_{ip} (W_q)_{pr} X_{jq} (W_k)_{qr} \\ A = \mathrm{softargmax}(S) \\ "
            r"Y_{ij} = \sum_{k=1}^{T} A_{ik} \sum_{p=1}^{d} X_{kp} (W_v)_{pj}")
    shapes = {**ATTENTION_SHAPES, "S": "T x T", "Y": "T x d"}
    model = sg.Model.from_latex(text, shapes)
    rng = np.random.default_rng(3)
    X = rng.normal(size=(3, 2))
    W = {k: rng.normal(size=(2, 2)) for k in ("W_q", "W_k", "W_v")}
    close(model.jacobian("Y", "X").evaluate({"X": X, **W}),
          central(lambda v: attention(v, **W), X))


# convolution as an index sum with a stride ------------------------------------------------
@pytest.mark.parametrize("L,K", [(7, 3), (8, 3), (5, 1), (6, 4)])
def test_strided_convolution_matches_numpy_correlate(L, K):
    shapes = {"x": "L", "w": "K", "y": "floor((L - K)/2) + 1"}
    model = sg.Model.from_latex(r"y_j = \sum_{k=1}^{K} w_k x_{2(j-1)+k}", shapes)
    rng = np.random.default_rng(L * K)
    x, w = rng.normal(size=L), rng.normal(size=K)

    def conv(x, w):
        return np.correlate(x, w, "valid")[::2]
    np.testing.assert_allclose(model.value("y").evaluate(x=x, w=w), conv(x, w), atol=1e-12)
    close(model.jacobian("y", "x").evaluate(x=x, w=w), central(lambda v: conv(v, w), x))
    close(model.jacobian("y", "w").evaluate(x=x, w=w), central(lambda v: conv(x, v), w))
    g = rng.normal(size=conv(x, w).shape)
    close(model.grad("x").evaluate(x=x, w=w, g=g), central(lambda v: g @ conv(v, w), x))


def test_multichannel_strided_convolution_matches_numpy_correlate():
    text = r"y_{f,j} = \sum_{c=1}^{C} \sum_{k=1}^{K} W_{f,c,k} x_{c, 2(j-1)+k}"
    shapes = {"x": "C x L", "W": "F x C x K", "y": "F x (floor((L - K)/2) + 1)"}
    model = sg.Model.from_latex(text, shapes)
    rng = np.random.default_rng(11)
    x, W = rng.normal(size=(2, 7)), rng.normal(size=(3, 2, 3))

    def conv(x, W):
        return np.array([sum(np.correlate(x[c], W[f, c], "valid")[::2] for c in range(2))
                         for f in range(3)])
    np.testing.assert_allclose(model.value("y").evaluate(x=x, W=W), conv(x, W), atol=1e-12)
    close(model.jacobian("y", "W").evaluate(x=x, W=W), central(lambda v: conv(x, v), W))
    close(model.jacobian("y", "x").evaluate(x=x, W=W), central(lambda v: conv(v, W), x))
