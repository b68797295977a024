"""Answers to 1.2.2.b-f: content, numbers behind them (against NumPy), and valid LaTeX."""

import os
import shutil
import subprocess
import tempfile

import numpy as np
import pytest

from symgrad.problems import hw2_attention as hw
from symgrad.problems.base import Answer

BUILDERS = {"1.2.2.b": hw.answer_1_2_2_b, "1.2.2.c": hw.answer_1_2_2_c,
            "1.2.2.d": hw.answer_1_2_2_d, "1.2.2.e": hw.answer_1_2_2_e,
            "1.2.2.f": hw.answer_1_2_2_f}


def softargmax(w):
    e = np.exp(w - w.max())
    return e / e.sum()


def run(x, Q, K, V, k):
    """Plain unrolled AttentionRNN(k) with h[t] = 0 for t < 1."""
    L, n = x.shape
    H = []
    for t in range(1, L + 1):
        src = [x[t - 1]] + [H[t - i - 1] if t - i >= 1 else np.zeros(n) for i in range(1, k + 1)]
        w = np.array([(Q[i] @ s) @ (K[i] @ s) for i, s in enumerate(src)])
        a = softargmax(w)
        H.append(sum(a[i] * (V[i] @ s) for i, s in enumerate(src)))
    return np.array(H)


@pytest.mark.parametrize("qid", BUILDERS)
@pytest.mark.parametrize("base", [0, 1])
def test_every_answer_is_an_answer(qid, base):
    ans = BUILDERS[qid](index_base=base)
    assert isinstance(ans, Answer) and ans.id == qid
    assert ans.latex.count("{") == ans.latex.count("}")
    assert ans.latex.count(r"\[") == ans.latex.count(r"\]")
    assert r"\documentclass" not in ans.latex
    assert [q.id for q in hw.QUESTIONS] == list(BUILDERS)


def test_b_dimension_of_a():
    ans = hw.answer_1_2_2_b()
    assert r"a[t] \in \mathbb{R}^{3}" in ans.latex
    assert r"\mathbb{R}^{k + 1}" in ans.latex and r"\mathbb{R}^{t}" in ans.latex
    assert ans.quantity.shape == (3,)
    rng = np.random.default_rng(0)
    Q, K, V = (rng.normal(size=(3, 2, 2)) for _ in range(3))
    x, h = rng.normal(size=2), rng.normal(size=(2, 2))
    w = np.array([(Q[i] @ s) @ (K[i] @ s) for i, s in enumerate([x, *h])])
    np.testing.assert_allclose(ans.quantity.evaluate(x=x, h=h, Q=Q, K=K, V=V), softargmax(w))


def test_c_system_of_attention_rnn_k():
    text = hw.answer_1_2_2_c().latex
    assert r"q_{0}[t], q_{1}[t], \dots, q_{k}[t] &= Q_{0} x[t], Q_{1} h[t-1], \dots, Q_{k} h[t-k]" \
        in text
    assert r"a[t] &= \operatorname{softargmax}\left(\left[w_{0}[t], w_{1}[t], \dots, " \
        r"w_{k}[t]\right]\right)" in text
    assert r"h[t] &= \sum_{i=0}^{k} a_{i}[t] v_{i}[t]" in text
    assert "no weight sharing" in text and "3(k + 1)" in text


def test_d_system_of_attention_rnn_inf_states_the_sharing():
    text = hw.answer_1_2_2_d().latex
    assert r"Q_{0} x[t], Q_{h} h[t-1], \dots, Q_{h} h[1]" in text
    assert r"h[t] &= \sum_{i=0}^{t-1}" in text
    assert r"Q_1 = Q_2 = \dots = Q_h" in text
    assert "not AttentionRNN($\\infty$)" in text


def test_e_jacobian_and_its_derivation():
    ans = hw.answer_1_2_2_e()
    text = ans.latex
    assert (r"a_{1}[t] V_{1} + a_{1}[t] \left(v_{1}[t] - h[t]\right) \left(k_{1}[t]^{\top} "
            r"Q_{1} + q_{1}[t]^{\top} K_{1}\right)") in text
    assert r"h[t-1]^{\top} \left(K_{1}^{\top} Q_{1} + Q_{1}^{\top} K_{1}\right)" in text
    assert r"\operatorname{diag}\left(a[t]\right) - a[t] a[t]^{\top}" in text
    assert r"a_{1}[t] \left(V_{1}\right)_{jl} + a_{1}[t] \left(v_{1}[t]_{j} - h[t]_{j}\right)" \
        in text
    assert r"\sum_{r=1}^{n}" in text and r"\sum_{r=0}^{n - 1}" in hw.answer_1_2_2_e(0).latex
    assert "numerator layout" in text
    rng = np.random.default_rng(1)
    n = 3
    Q, K, V = (rng.normal(size=(3, n, n)) * 0.5 for _ in range(3))
    x, h = rng.normal(size=n), rng.normal(size=(2, n))

    def cell(h1):
        src = [x, h1, h[1]]
        w = np.array([(Q[i] @ s) @ (K[i] @ s) for i, s in enumerate(src)])
        a = softargmax(w)
        return sum(a[i] * (V[i] @ s) for i, s in enumerate(src))

    eps = 1e-6
    fd = np.column_stack([(cell(h[0] + eps * e) - cell(h[0] - eps * e)) / (2 * eps)
                          for e in np.eye(n)])
    np.testing.assert_allclose(ans.quantity.evaluate(x=x, h=h, Q=Q, K=K, V=V), fd, atol=1e-7)


def test_f_both_forms_and_the_difference():
    ans = hw.answer_1_2_2_f()
    text = ans.latex
    assert r"\sum_{t=T+1}^{L} \left(\frac{\partial h[t]}{\partial h[T]}\right)^{\top} g[t]" \
        in text
    assert r"\sum_{i=1}^{k}" in text and "gradient layout" in text
    assert "twice" in text and "every later step" in text
    rng = np.random.default_rng(2)
    n, L, k, T = 2, 6, 2, 3
    Q, K, V = (rng.normal(size=(k + 1, n, n)) * 0.5 for _ in range(3))
    x, g = rng.normal(size=(L, n)), rng.normal(size=(L, n))
    eps = 1e-6
    base = run(x, Q, K, V, k)

    def loss(e):
        """l = sum_t <g[t], h[t]> with h[T] nudged by e (recomputing the later states)."""
        H = list(base[:T - 1])
        for t in range(T, L + 1):
            src = [x[t - 1]] + [H[t - i - 1] if t - i >= 1 else np.zeros(n)
                                for i in range(1, k + 1)]
            w = np.array([(Q[i] @ s) @ (K[i] @ s) for i, s in enumerate(src)])
            a = softargmax(w)
            ht = sum(a[i] * (V[i] @ s) for i, s in enumerate(src))
            H.append(ht + e if t == T else ht)
        return float((np.array(H) * g).sum())

    fd = np.array([(loss(eps * e) - loss(-eps * e)) / (2 * eps) for e in np.eye(n)])
    for key in ("recursion", "total"):
        got = ans.quantities[key].evaluate(x=x, Q=Q, K=K, V=V, g=g, k=k, T=T)
        np.testing.assert_allclose(got, fd, atol=1e-7)


def test_answers_compile():
    if shutil.which("pdflatex") is None:
        if os.environ.get("SYMGRAD_REQUIRE_LATEX") == "1":
            pytest.fail("pdflatex is required (SYMGRAD_REQUIRE_LATEX=1) but absent")
        pytest.skip("pdflatex is not installed")
    body = "\n\n".join(r"\section*{" + qid + "}\n" + b().latex for qid, b in BUILDERS.items())
    doc = ("\\documentclass{article}\n\\usepackage{amsmath,amssymb}\n\\begin{document}\n"
           + body + "\n\\end{document}\n")
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "a.tex"), "w") as f:
            f.write(doc)
        out = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "a.tex"],
                             cwd=tmp, capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stdout[-2000:]
