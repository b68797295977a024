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
