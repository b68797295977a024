"""Derivation cost grows with the number of definitions (issue 16): each definition's
derivative is simplified once and reused, counted by the memo misses of collapse/tidy (never
by timing); results of deep chains agree with finite differences."""

from __future__ import annotations

import numpy as np
import sympy as sp

import symgrad as sg
from symgrad.core import simplify
from symgrad.core.zero import Point


def deep_transition(k: int) -> sg.Model:
    """The deep-transition RNN of issue 16: a chain of k equations."""
    lines = [r"z_1[t] = \tanh(W_1 x[t] + U h[t-1])"]
    lines += [rf"z_{{{j}}}[t] = \tanh(W_{{{j}}} z_{{{j - 1}}}[t])" for j in range(2, k)]
    lines.append(rf"h[t] = \sigma(W_c h[t-1]) \odot h[t-1] + z_{{{k - 1}}}[t]")
    shapes = {"x": "n", "h": "m", "U": "m x m", "W_1": "m x n", "W_c": "m x m"}
    shapes.update({f"z_{j}": "m" for j in range(1, k)})
    shapes.update({f"W_{j}": "m x m" for j in range(2, k)})
    return sg.Model.from_latex(r" \\ ".join(lines), shapes)


def _work(k: int) -> int:
    simplify.clear_memo()
    deep_transition(k).jacobian("h[t]", "h[t-1]")
    return simplify.STATS["tidy"] + simplify.STATS["collapse"]


def test_work_grows_linearly_with_the_number_of_definitions():
    w4, w8, w16 = _work(4), _work(8), _work(16)
    assert w8 < 2.3 * w4 and w16 < 2.3 * w8, (w4, w8, w16)


def test_a_reused_derivative_is_not_simplified_again():
    simplify.clear_memo()
    m = deep_transition(6)
    m.derivative("h", "h_prev")
    before = dict(simplify.STATS)
    m.derivative("h", "h_prev")
    m.derivative("z_5", "h_prev")  # memoised on the way to h
    assert simplify.STATS == before


def _tanh_chain_forward(a, k):
    z = np.tanh(a["W_1"] @ a["x"] + a["U"] @ a["h_prev"])
    for j in range(2, k):
        z = np.tanh(a[f"W_{j}"] @ z)
    c = 1 / (1 + np.exp(-(a["W_c"] @ a["h_prev"])))
    return c * a["h_prev"] + z


def test_deep_chain_jacobian_equals_finite_differences():
    k, n, m = 6, 3, 4
    model = deep_transition(k)
    q = model.jacobian("h[t]", "h[t-1]")
    rng = np.random.default_rng(0)
    a = {"x": rng.normal(size=n), "h_prev": rng.normal(size=m), "U": rng.normal(size=(m, m)),
         "W_1": rng.normal(size=(m, n)), "W_c": rng.normal(size=(m, m))}
    a.update({f"W_{j}": rng.normal(size=(m, m)) for j in range(2, k)})
    got = q.evaluate(**a)
    eps, fd = 1e-6, np.zeros((m, m))
    for j in range(m):
        up, down = dict(a), dict(a)
        up["h_prev"] = a["h_prev"] + eps * np.eye(m)[j]
        down["h_prev"] = a["h_prev"] - eps * np.eye(m)[j]
        fd[:, j] = (_tanh_chain_forward(up, k) - _tanh_chain_forward(down, k)) / (2 * eps)
    np.testing.assert_allclose(got, fd, rtol=1e-6, atol=1e-8)


def test_certainly_nonzero_is_a_certificate_only():
    i, j, k = (sp.Symbol(s, integer=True) for s in "ijk")
    n = sp.Symbol("n", integer=True, positive=True)
    x = sp.IndexedBase("x")
    point = Point({"x": (n,)}, {n})
    assert point.certainly_nonzero(sp.Sum(x[k], (k, 0, n - 1)))
    zero = sp.Sum(x[k], (k, 0, n - 1)) - sp.Sum(x[j], (j, 0, n - 1))
    assert not point.certainly_nonzero(sp.Sum(x[k] * (1 - 1), (k, 0, n - 1)) + 0 * i)
    assert not point.certainly_nonzero(zero)
    assert not point.certainly_nonzero(sp.Function("f")(x[i]))  # not evaluated: unknown
