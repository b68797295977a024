"""Index -> matrix notation, checked numerically against the index form."""

import numpy as np
import sympy as sp

from symgrad.core.evaluate import evaluate_element
from symgrad.core.matrix import latex_matrix, to_matrix
from symgrad.core.ops import Diag, Hadamard, Transpose
from symgrad.core.tensor import Tensor, index


def as_numpy(expr, env):
    """Evaluate a matrix-notation expression with NumPy (an independent interpreter)."""
    if isinstance(expr, sp.Symbol):
        v = np.asarray(env[expr.name], dtype=float)
        return v.reshape(-1, 1) if v.ndim == 1 else v
    if expr.is_Number:
        return float(expr)
    if isinstance(expr, sp.Add):
        return sum(as_numpy(a, env) for a in expr.args)
    if isinstance(expr, sp.Mul):
        out = None
        for a in expr.args:
            v = as_numpy(a, env)
            out = v if out is None else (out * v if np.ndim(out) == 0 or np.ndim(v) == 0
                                         else out @ v)
        return out
    if isinstance(expr, Diag):
        return np.diag(np.ravel(as_numpy(expr.args[0], env)))
    if isinstance(expr, Hadamard):
        return np.prod([as_numpy(a, env) for a in expr.args], axis=0)
    if isinstance(expr, Transpose):
        return as_numpy(expr.args[0], env).T
    raise AssertionError(expr)


def test_gated_rnn_state_jacobian_pattern():
    i, j, r = index("i"), index("j"), index("r")
    c, u, hp = (Tensor(n, (4,)) for n in ("c", "u", "h_prev"))
    Wh = Tensor("W_h", (4, 4))
    e = c[i] * sp.KroneckerDelta(i, j) + c[i] * (1 - c[i]) * (hp[i] - u[i]) * Wh[i, j]
    M = to_matrix(e, (i, j))
    assert latex_matrix(M, {"c": c}).startswith(r"\operatorname{diag}")
    rng = np.random.default_rng(0)
    env = {k: rng.normal(size=4) for k in ("c", "u", "h_prev")}
    env["W_h"] = rng.normal(size=(4, 4))
    ref = evaluate_element(e, (i, j), (4, 4), env, {})
    np.testing.assert_allclose(as_numpy(M, {**env, "I": np.eye(4)}), ref)
    outer = sp.Sum(hp[r] * Wh[r, j], (r, 0, 3)) * (c[i] - u[i])
    np.testing.assert_allclose(as_numpy(to_matrix(outer, (i, j)), env),
                               evaluate_element(outer, (i, j), (4, 4), env, {}))


def test_no_matrix_form_for_rank_three():
    i, j, k = index("i"), index("j"), index("k")
    T = Tensor("T", (2, 2, 2))
    assert to_matrix(T[i, j, k], (i, j, k)) is None


# matrix forms of common layers (issue 13): each printed, and equal to the index form ------
LSTM = r"""
f[t] = \sigma(W_f x[t] + U_f h[t-1]) \\
i[t] = \sigma(W_i x[t] + U_i h[t-1]) \\
o[t] = \sigma(W_o x[t] + U_o h[t-1]) \\
g[t] = \tanh(W_g x[t] + U_g h[t-1]) \\
c[t] = f[t] \odot c[t-1] + i[t] \odot g[t] \\
h[t] = o[t] \odot \tanh(c[t])
"""
GRU = r"""
z[t] = \sigma(W_z x[t] + U_z h[t-1]) \\
r[t] = \sigma(W_r x[t] + U_r h[t-1]) \\
\tilde{h}[t] = \tanh(W_h x[t] + U_h (r[t] \odot h[t-1])) \\
h[t] = (1 - z[t]) \odot \tilde{h}[t] + z[t] \odot h[t-1]
"""


def _same_in_both_forms(q, arrays, base=1):
    tex = q.latex(form="matrix", index_base=base)
    assert not [ch for ch in tex if ord(ch) < 32], tex
    np.testing.assert_allclose(q.evaluate(arrays, form="matrix"), q.evaluate(arrays),
                               atol=1e-12)
    return tex


def test_lstm_and_gru_state_jacobians_have_matrix_forms():
    import symgrad as sg

    rng = np.random.default_rng(0)
    for text, gates, extra in ((LSTM, "fiog", ("c",)), (GRU, "zrh", ())):
        shapes = {"x": "d", "h": "m", **{s: "m" for s in extra},
                  **{f"{w}_{k}": s for k in gates for w, s in (("W", "m x d"), ("U", "m x m"))}}
        q = sg.Model.from_latex(text, shapes).jacobian("h[t]", "h[t-1]")
        arrays = {f"{w}_{k}": rng.normal(size=(3, 2 if w == "W" else 3))
                  for k in gates for w in "WU"}
        arrays.update(x=rng.normal(size=2), h_prev=rng.normal(size=3),
                      **{f"{s}_prev": rng.normal(size=3) for s in extra})
        tex = _same_in_both_forms(q, arrays)
        assert r"\operatorname{diag}" in tex and "U_" in tex


def test_relu_is_a_diagonal_of_indicators():
    import symgrad as sg

    q = sg.Model.from_latex(r"z = W x \\ a = \mathrm{ReLU}(z)", {"x": "n", "W": "m x n"}
                            ).jacobian("a", "x")
    assert q.latex(form="matrix") == (r"\frac{\partial a}{\partial x} = \operatorname{diag}"
                                      r"\left(\mathbb{1}\left[z > 0\right]\right) W")
    rng = np.random.default_rng(1)
    arrays = dict(x=rng.normal(size=3), W=rng.normal(size=(4, 3)))
    _same_in_both_forms(q, arrays)
    z = arrays["W"] @ arrays["x"]
    np.testing.assert_allclose(q.evaluate(arrays), (z > 0)[:, None] * arrays["W"])


def test_softmax_cross_entropy_is_p_minus_y_for_a_one_hot_y():
    from symgrad.core.model import Model
    from symgrad.core.tensor import size

    n, k = size("n"), index("k")
    M = Model("ce")
    z, y = M.input("z", (n,)), M.input("y", (n,))
    p = M.softargmax("p", z)
    M.define("loss", (), (), -sp.Sum(y[k] * sp.log(p[k]), (k, 0, n - 1)), latex=r"\ell")
    rng = np.random.default_rng(2)
    arrays = dict(z=rng.normal(size=4), y=rng.dirichlet(np.ones(4)) * 3)
    general = M.grad("z")
    _same_in_both_forms(general, arrays)
    e = np.exp(arrays["z"] - arrays["z"].max())
    np.testing.assert_allclose(general.evaluate(arrays),
                               e / e.sum() * arrays["y"].sum() - arrays["y"], atol=1e-12)
    M.declare_one_hot("y")
    q = M.grad("z")
    assert q.latex(form="matrix") == r"\frac{\partial \ell}{\partial z} = p - y"
    assert q.latex() == r"\frac{\partial \ell}{\partial z_{i}} = p_{i} - y_{i}"
    arrays["y"] = np.eye(4)[2]
    _same_in_both_forms(q, arrays)


def test_layer_norm_and_mlp_matrix_forms():
    from test_model import layer_norm

    from symgrad.core.model import Model
    from symgrad.core.ops import sigmoid
    from symgrad.core.tensor import size

    rng = np.random.default_rng(3)
    q = layer_norm().jacobian("y", "x")
    tex = _same_in_both_forms(q, dict(x=rng.normal(size=5), epsilon=0.1))
    assert r"\mathbf{1} \mathbf{1}^{\top}" in tex and r"d d^{\top}" in tex
    n, m, K = size("n"), size("m"), size("k")
    M = Model("mlp")
    M.input("x", (n,))
    M.param("W_1", (m, n))
    M.param("W_2", (K, m))
    M.input("y", (K,))
    x, W1, W2 = M.symbols("x", "W_1", "W_2")
    M.define("z_1", W1 * x)
    M.define("a_1", sigmoid(M.sym("z_1")))
    M.define("z_2", W2 * M.sym("a_1"))
    i = index("i")
    M.define("loss", (), (), sp.Sum((M.tensors["z_2"][i] - M.tensors["y"][i]) ** 2,
                                     (i, 0, K - 1)) / 2, latex=r"\ell")
    q = M.grad("W_1")
    tex = _same_in_both_forms(q, dict(x=rng.normal(size=3), W_1=rng.normal(size=(4, 3)),
                                      W_2=rng.normal(size=(2, 4)), y=rng.normal(size=2)))
    assert r"W_2^{\top} \left(z_2 - y\right)" in tex and r"x^{\top}" in tex
