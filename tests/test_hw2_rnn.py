"""hw2 1.2.1 (b)-(d): the answers carry the engine's formulas, the bound holds, the
experiment shows both regimes and its figure is a deterministic PNG."""

from __future__ import annotations

import time

import numpy as np
import pytest
import sympy as sp
from reference import balanced_braces, sig

from symgrad.problems import hw2_rnn as h

BUILDERS = {"1.2.1.b": h.answer_1_2_1_b, "1.2.1.c": h.answer_1_2_1_c,
            "1.2.1.d": h.answer_1_2_1_d}






def reference_jacobian(x, h_prev, W_c, W_h, W_x):
    """dh/dh_prev by complex steps of the plain forward step."""
    def step(hp):
        c = sig(W_c @ x + W_h @ hp)
        return c * hp + (1 - c) * (W_x @ x)
    m = len(h_prev)
    cols = [np.imag(step(h_prev + 1e-30j * np.eye(m)[k])) / 1e-30 for k in range(m)]
    return np.array(cols).T, step(h_prev)


@pytest.mark.parametrize("qid", BUILDERS)
@pytest.mark.parametrize("base", [0, 1])
def test_answers_are_well_formed(qid, base):
    ans = BUILDERS[qid](base)
    assert ans.id == qid and ans.title
    assert balanced_braces(ans.latex)
    assert r"\section" not in ans.latex and r"\documentclass" not in ans.latex
    assert ans.quantity is not None


def test_b_gate_dimension():
    ans = h.answer_1_2_1_b()
    c = h.rnn().value("c")
    assert h.rnn().shape("c") == (sp.Symbol("m", integer=True, positive=True),)
    assert r"c[t] \in \mathbb{R}^{m}" in ans.latex
    assert c.latex() in ans.latex and c.latex("matrix") in ans.latex
    assert h.rnn().value("z").latex() in ans.latex
    assert r"\sum_{q=0}^{n - 1}" in h.answer_1_2_1_b(0).latex


def test_c_gradient_of_w_x():
    ans = h.answer_1_2_1_c()
    q = h.gradient_quantities()
    for key in ("jacobian_W_x", "grad_W_x"):
        assert q[key].latex() in ans.latex
    assert q["grad_W_x"].latex("matrix") in ans.latex
    for line in q["grad_W_x_direct"].recursion["matrix"].split(r", \quad "):
        assert line in ans.latex
    assert (r"\frac{\partial \ell}{\partial \left(W_x\right)_{ij}} = \sum_{t=1}^{K} "
            r"\delta[t]_{i} \left(1 - c[t]_{i}\right) x[t]_{j}") in ans.latex
    assert r"\frac{\partial \ell}{\partial W_x} \in \mathbb{R}^{m \times n}" in ans.latex
    assert r"\mathbb{R}^{n \times m}" in ans.latex  # numerator layout noted
    assert "backwards in time" in ans.latex
    assert ans.quantity.layout == "gradient"
    assert q["jacobian_W_x"].latex(index_base=0) in h.answer_1_2_1_c(0).latex


def test_d_bound_is_derived_from_the_closed_form():
    q, bound = h.state_jacobian_bound()
    c, hp, u, W_h = (sp.Symbol(s, commutative=False) for s in ("c", "h_prev", "u", "W_h"))
    want = h.MaxEntry(c) + sp.Rational(1, 4) * h.MaxAbs(hp - u) * h.OpNorm(W_h)
    assert sp.simplify(bound - want) == 0
    text = h.bound_latex(bound, q.tensors)
    assert text == (r"\max_{i} c[t]_{i} + \frac{1}{4} \max_{i} \left|\left(h[t-1] - W_x x[t]"
                    r"\right)_{i}\right| \lVert W_h \rVert_{2}")
    ans = h.answer_1_2_1_d()
    assert text in ans.latex
    assert q.latex() in ans.latex and q.latex("matrix") in ans.latex


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("scale", [0.3, 1.0, 4.0])
def test_d_bound_holds_on_random_states(seed, scale):
    rng = np.random.default_rng(seed)
    n, m = 3, 5
    x, hp = rng.normal(size=n), scale * rng.normal(size=m)
    W_c, W_h, W_x = (scale * rng.normal(size=s) for s in ((m, n), (m, m), (m, n)))
    J, _ = reference_jacobian(x, hp, W_c, W_h, W_x)
    c = sig(W_c @ x + W_h @ hp)
    _, bound = h.state_jacobian_bound()
    value = h.evaluate_bound(bound, {"c": c, "h_prev": hp, "u": W_x @ x, "W_h": W_h})
    assert np.linalg.norm(J, 2) <= value + 1e-12


def test_d_experiment_norms_match_a_reference():
    steps, hidden, sh, sx = 25, 4, 3.0, 10.0
    got = h.jacobian_norms(sh, sx, steps=steps, hidden=hidden, seed=3)["log10_norm"]
    rng = np.random.default_rng(3)
    s = 1 / np.sqrt(hidden)
    W_c = s * rng.standard_normal((hidden, hidden))
    W_h = sh * s * rng.standard_normal((hidden, hidden))
    W_x = sx * s * rng.standard_normal((hidden, hidden))
    xs = rng.standard_normal((steps, hidden))
    hp, P, want = np.zeros(hidden), np.eye(hidden), []
    for x in xs:
        J, hp = reference_jacobian(x, hp, W_c, W_h, W_x)
        P = J @ P
        want.append(np.log10(np.linalg.norm(P, 2)))
    np.testing.assert_allclose(got, want, atol=1e-8)


def test_d_experiment_shows_both_regimes_fast():
    h.experiment.cache_clear()
    start = time.perf_counter()
    ans = h.answer_1_2_1_d()
    assert time.perf_counter() - start < 3.0
    results = h.experiment()
    small, moderate, large = (results[label]["log10_norm"] for label, _, _ in h.REGIMES)
    assert small[-1] < -20 and moderate[-1] < -10 and large[-1] > 10
    assert all(len(r) == h.STEPS for r in (small, moderate, large))
    for data in results.values():
        assert np.all(data["log10_bound"] >= data["log10_norm"] - 1e-9)
    assert results["small"]["log10_bound"][-1] < 0  # the bound proves the vanishing
    assert r"\includegraphics[width=0.8\linewidth]{rnn_jacobian_norms.png}" in ans.latex


def test_d_figure_is_a_deterministic_png():
    ans = h.answer_1_2_1_d()
    png = ans.files[h.FIGURE]
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert png == h.plot_png(h.experiment())
    assert png == h.answer_1_2_1_d().files[h.FIGURE]
    assert b"Software" not in png
