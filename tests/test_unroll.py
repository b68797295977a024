"""Quantities of user-defined models: names as written, and BPTT against finite differences."""

import numpy as np
from reference import central

import symgrad as sg

ELMAN = r"h[t] = \tanh(W h[t-1] + U x[t])"
SHAPES = {"x": "n", "h": "m", "W": "m x m", "U": "m x n"}


def unrolled_loss(W, U, xs, g):
    h, total = np.zeros(W.shape[0]), 0.0
    for x, gt in zip(xs, g, strict=True):
        h = np.tanh(W @ h + U @ x)
        total += gt @ h
    return total


def test_evaluate_takes_names_as_written():
    m = sg.Model.from_latex(ELMAN, SHAPES)
    rng = np.random.default_rng(0)
    W, U, x, h = rng.normal(size=(3, 3)), rng.normal(size=(3, 2)), rng.normal(size=2), \
        rng.normal(size=3)
    q = m.jacobian("h[t]", "h[t-1]")
    got = q.evaluate({"W": W, "U": U, "x[t]": x, "h[t-1]": h})
    np.testing.assert_allclose(got, np.diag(1 - np.tanh(W @ h + U @ x) ** 2) @ W, atol=1e-12)


def test_bptt_from_direct_partials_matches_finite_differences():
    m = sg.Model.from_latex(ELMAN, SHAPES)
    rng = np.random.default_rng(1)
    W, U = 0.5 * rng.normal(size=(3, 3)), rng.normal(size=(3, 2))
    xs, g = rng.normal(size=(4, 2)), rng.normal(size=(4, 3))
    got = m.grad("W", steps=4, given="direct").evaluate({"W": W, "U": U, "x": xs, "g": g})
    ref = central(lambda Wv: unrolled_loss(Wv, U, xs, g), W)
    np.testing.assert_allclose(got, ref, atol=1e-7)
