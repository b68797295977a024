"""hw2 1.3 loss-curve answers: numbers re-derived with NumPy, LaTeX well formed."""

import re

import numpy as np
import pytest
import sympy as sp
from reference import balanced_braces

from symgrad.problems import hw2_loss as h

BUILDERS = {"1.3.1": h.answer_1_3_1, "1.3.2": h.answer_1_3_2, "1.3.3": h.answer_1_3_3,
            "1.3.4": h.answer_1_3_4}


def bisect(f, lo, hi, tol=1e-12):
    """Root of a continuous f with a sign change on [lo, hi]."""
    flo = f(lo)
    assert flo * f(hi) < 0
    while hi - lo > tol:
        mid = (lo + hi) / 2
        if f(mid) * flo > 0:
            lo, flo = mid, f(mid)
        else:
            hi = mid
    return (lo + hi) / 2


def ce(logits, labels):
    """Mean cross-entropy by a stable log-sum-exp."""
    logits = np.atleast_2d(logits)
    m = logits.max(axis=1, keepdims=True)
    lse = (m + np.log(np.exp(logits - m).sum(axis=1, keepdims=True)))[:, 0]
    return float(np.mean(lse - logits[np.arange(len(logits)), labels]))




def balanced_envs(tex):
    stack = []
    for kind, name in re.findall(r"\\(begin|end)\{([^}]*)\}", tex):
        if kind == "begin":
            stack.append(name)
        elif not stack or stack.pop() != name:
            return False
    return not stack


@pytest.mark.parametrize("qid", BUILDERS)
def test_answer_builds_well_formed_and_deterministic(qid):
    a = BUILDERS[qid]()
    assert a.id == qid and a.title and a.latex.strip()
    assert balanced_braces(a.latex)
    assert balanced_envs(a.latex)
    assert a.latex.count("$") % 2 == 0
    for banned in (r"\documentclass", r"\usepackage", r"\section", r"\subsection",
                   r"\mathbb", "%", "{_", "e+"):
        assert banned not in a.latex.replace(r"\%", "")
    assert BUILDERS[qid](0).latex == a.latex == BUILDERS[qid]().latex


def test_1_3_1_jacobian_powers_and_figure():
    tex = h.answer_1_3_1().latex
    assert r"\includegraphics[width=0.7\linewidth]{rnn_jacobian_norms.png}" in tex
    assert f"${1.1 ** 80:.0f}$" in tex and f"${1.1 ** 60:.0f}$" in tex
    mant, exp = f"{0.9 ** 60:.2e}".split("e")
    assert rf"{mant} \times 10^{{{int(exp)}}}" in tex
    assert "60--80" in tex


def test_1_3_1_jacobian_formula_matches_rnn():
    """The printed state Jacobian of 1.2.1 against SymPy's jacobian of the recurrence."""
    m, n = 3, 2
    hp = sp.Matrix(sp.symbols(f"h:{m}"))
    x = sp.Matrix(sp.symbols(f"x:{n}"))
    Wc, Wh, Wx = (sp.Matrix(m, k, sp.symbols(f"{s}:{m * k}"))
                  for s, k in (("a", n), ("b", m), ("d", n)))
    c = (Wc * x + Wh * hp).applyfunc(lambda v: 1 / (1 + sp.exp(-v)))
    hn = c.multiply_elementwise(hp) + (sp.ones(m, 1) - c).multiply_elementwise(Wx * x)
    formula = sp.diag(*c) + sp.diag(*(hp - Wx * x).multiply_elementwise(
        c.multiply_elementwise(sp.ones(m, 1) - c))) * Wh
    rng = np.random.default_rng(1)
    vals = {s: float(v) for s, v in zip(sorted(hn.free_symbols, key=str),
                                        rng.standard_normal(len(hn.free_symbols)),
                                        strict=True)}
    diff = (hn.jacobian(hp) - formula).subs(vals)
    assert float(max(abs(v) for v in diff)) < 1e-12
    assert r"\odot c[s] \odot (1 - c[s])\bigr) W_h" in h.answer_1_3_1().latex


def test_1_3_2_margin_and_limit():
    tex = h.answer_1_3_2().latex

    def loss(M):
        return ce(np.array([0.0, M, M, M]), [0])

    assert loss(0.0) == pytest.approx(np.log(4))
    assert loss(3.0) == pytest.approx(np.log1p(3 * np.exp(3.0)))
    assert loss(50.0) == pytest.approx(50 + np.log(3))
    M = bisect(lambda m: loss(m) - 4, 0.0, 10.0)
    assert f"{M:.3f}" in tex
    assert f"{np.log(4):.3f}" in tex and f"{np.exp(-4):.4f}" in tex
    assert r"\lim_{M \to \infty} \ell(M) = \infty" in tex
    exact, numeric = h.spike_margin()
    assert float(exact) == pytest.approx(M) and float(numeric) == pytest.approx(M)


def test_1_3_3_clipping():
    tex = h.answer_1_3_3().latex
    assert r"g \leftarrow g \cdot \min\Bigl(1, \frac{\tau}{\lVert g \rVert}\Bigr)" in tex
    assert r"clip\_grad\_norm\_" in tex and "training procedure" in tex
    assert "learning rate" in tex and "warm-up" in tex and "LSTM" in tex
    rng = np.random.default_rng(2)
    for scale in (0.01, 1.0, 1e4):
        g = scale * rng.standard_normal(7)
        for tau in (0.5, 1.0, 5.0):
            clipped = h.clip_by_norm(g, tau)
            norm = np.linalg.norm(g)
            assert np.linalg.norm(clipped) == pytest.approx(min(norm, tau))
            assert np.allclose(clipped / np.linalg.norm(clipped), g / norm)
    assert f"{1.1 ** 80:.0f}" in tex
    assert np.all(h.clip_by_norm(np.zeros(3), 1.0) == 0)


def test_1_3_4_initial_loss_and_accuracy():
    tex = h.answer_1_3_4().latex
    assert f"{np.log(4):.3f}" in tex and r"25\%" in tex
    assert h.uniform_loss() == sp.log(4) and h.chance_accuracy() == sp.Rational(1, 4)
    rng = np.random.default_rng(h.SEED)
    logits = h.LOGIT_SCALE * rng.standard_normal((h.SAMPLES, 4))
    labels = rng.integers(0, 4, size=h.SAMPLES)
    loss, acc = ce(logits, labels), float(np.mean(logits.argmax(1) == labels))
    assert f"loss ${loss:.3f}$" in tex and f"accuracy ${acc:.3f}$" in tex
    assert loss == pytest.approx(np.log(4), abs=0.01) and acc == pytest.approx(0.25, abs=0.02)


def test_small_logit_excess_against_monte_carlo():
    s = sp.Symbol("s", positive=True)
    excess = h.small_logit_excess()
    assert sp.simplify(excess - sp.Rational(3, 8) * s**2) == 0
    rng = np.random.default_rng(3)
    sigma, n = 0.3, 1_000_000
    z = sigma * rng.standard_normal((n, 4))
    mc = ce(z, np.zeros(n, dtype=int)) - np.log(4)
    assert mc == pytest.approx(float(excess.subs(s, sigma)), rel=0.1)
