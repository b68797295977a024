"""The hw2-spring2022 problem set: its sizes and truths against independent NumPy references
(explicit loops, numpy.correlate, finite differences), a right and a wrong claim judged per
checkable question, its answers, and that hw2 and hw2-spring2021 keep their own sizes."""

import numpy as np
import pytest
from reference import central, placements, ref_conv1d, ref_conv2d, sig
from reference import set_verdict as verdict

from symgrad.problems import registry
from symgrad.problems.hw2_contexts import context as hw2_context
from symgrad.verify.review import Reviewer

NAME = "hw2-spring2022"
IDS = ["1.1.a", "1.1.b", "1.1.c.i", "1.1.c.ii", "1.1.c.iii", "1.1.c.iv",
       "1.2.a", "1.2.b", "1.2.c", "1.2.d", "1.3.1", "1.3.2", "1.3.3", "1.3.4"]
# the statement: a 5 x 5 kernel, stride 2, on a 10 x 11 image; x : {1..7} -> R^2, kernel
# size 5, stride 2, W in R^{1 x 2 x 5}
IMAGE, KERNEL, STRIDE = (10, 11), (5, 5), 2
C, L, K, S = 2, 7, 5, 2


@pytest.fixture(scope="module")
def pset():
    return registry.get(NAME)


# the sizes, computed independently ----------------------------------------------------
OUT_2D = (placements(IMAGE[0], KERNEL[0], STRIDE), placements(IMAGE[1], KERNEL[1], STRIDE))
OUT_1D = placements(L, K, S)


def test_independent_sizes():
    # floor((10 - 5)/2) + 1 = 3, floor((11 - 5)/2) + 1 = 4; floor((7 - 5)/2) + 1 = 2
    assert OUT_2D == ((IMAGE[0] - KERNEL[0]) // STRIDE + 1, (IMAGE[1] - KERNEL[1]) // STRIDE + 1)
    assert OUT_2D == (3, 4)
    assert OUT_1D == (L - K) // S + 1 == 2


# the set -----------------------------------------------------------------------------
def test_registered_with_the_spring_2022_ids(pset):
    assert NAME in registry.names()
    assert registry.names()[0] == "hw2"
    assert list(pset.questions) == IDS
    for qid in ("1.2.a", "1.3.1", "1.3.2", "1.3.3", "1.3.4"):
        assert pset.question(qid).context is None, qid  # a diagram, prose
    assert set(pset.given) == {"1.1.a", "1.1.b", "1.1.c", "1.2"}
    assert pset.sizes["1.1.a"]["kernel size"] == "5"
    assert pset.sizes["1.1.c"]["input length"] == "7"
    assert pset.sizes["1.1.c"]["input channels"] == "2"
    assert "1.3" in pset.titles and "1.2.2" not in pset.titles
    assert pset.aliases == {"1.2.1": "1.2"}


def test_hw2_and_spring_2021_keep_their_sizes():
    assert hw2_context("1.1.a").tensors["y"].shape == (1, 5, 2)
    assert hw2_context("1.1.c.i").tensors["x"].shape == (5, 7)
    spring21 = registry.get("hw2-spring2021")
    assert spring21.question("1.1.a").context().tensors["y"].shape == (1, 4, 5)
    assert spring21.question("1.1.c.i").context().tensors["W"].shape == (1, 2, 3)


# 1.1.a ---------------------------------------------------------------------------------
def test_1_1_a_output_against_explicit_loops(pset):
    inst = pset.question("1.1.a").context().instance(0)
    x, W = inst.arrays["x"], inst.arrays["W"]
    assert x.shape == (1, *IMAGE) and W.shape == (1, 1, *KERNEL)
    expected = ref_conv2d(x, W, STRIDE)
    assert expected.shape == (1, *OUT_2D)
    np.testing.assert_allclose(inst.arrays["y"], expected, atol=1e-12)


@pytest.mark.parametrize("latex, expected", [
    (r"3 \times 4", "correct"),
    (r"f_W(x) \in \mathbb{R}^{1 \times 3 \times 4}", "correct"),
    (r"4 \times 5", "incorrect"),       # Spring 2021's answer (a 3 x 3 kernel)
    (r"5 \times 2", "incorrect"),       # Fall 2022's answer
    (r"3 \times 3", "incorrect"),
])
def test_1_1_a_claims(pset, latex, expected):
    assert verdict(pset, "1.1.a", latex) == expected


def test_1_1_b_is_hw2s(pset):
    assert verdict(pset, "1.1.b", r"H' = 1 + \left\lfloor \frac{H + 2P - D(K - 1) - 1}{S} "
                                  r"\right\rfloor") == "correct"
    assert verdict(pset, "1.1.b", r"H' = \frac{H - K}{S} + 2") == "incorrect"


# 1.1.c ---------------------------------------------------------------------------------
def test_1_1_c_instances_match_numpy_correlate(pset):
    ctx = pset.question("1.1.c.i").context()
    for seed in range(3):
        inst = ctx.instance(seed)
        x, W = inst.arrays["x"], inst.arrays["W"]
        assert x.shape == (C, L) and W.shape == (1, C, K)
        expected = ref_conv1d(x, W, S)
        assert expected.shape == (1, OUT_1D)
        np.testing.assert_allclose(inst.arrays["y"], expected, atol=1e-12)
        np.testing.assert_allclose(ctx.truth("y").value(inst), expected, atol=1e-12)


def test_1_1_c_jacobians_and_gradient_by_finite_differences(pset):
    ctx_w, ctx_x, ctx_g = (pset.question(q).context() for q in ("1.1.c.ii", "1.1.c.iii",
                                                                  "1.1.c.iv"))
    inst = ctx_w.instance(1)
    x, W = inst.arrays["x"], inst.arrays["W"]
    jw = central(lambda w: ref_conv1d(x, w, S), W)
    jx = central(lambda v: ref_conv1d(v, W, S), x)
    assert jw.shape == (1, OUT_1D, 1, C, K) and jx.shape == (1, OUT_1D, C, L)
    np.testing.assert_allclose(ctx_w.truth("y", "W").value(inst), jw, atol=1e-8)
    inst_x = ctx_x.instance(1)
    np.testing.assert_allclose(inst_x.arrays["x"], x)
    np.testing.assert_allclose(ctx_x.truth("y", "x").value(inst_x), jx, atol=1e-8)
    inst_g = ctx_g.instance(1)
    g = inst_g.arrays["g"]
    grad = central(lambda w: np.sum(g * ref_conv1d(x, w, S)), W)
    assert grad.shape == (1, C, K)
    np.testing.assert_allclose(ctx_g.truth("loss", "W").value(inst_g), grad, atol=1e-8)


@pytest.mark.parametrize("qid, latex, index_base, expected", [
    ("1.1.c.i", r"f_W(x) \in \mathbb{R}^{1 \times 2}", 1, "correct"),
    ("1.1.c.i", r"f_W(x) \in \mathbb{R}^{1 \times 3}", 1, "incorrect"),
    ("1.1.c.i", r"f_W(x)[i, j] = \sum_{c=0}^{1}\sum_{k=0}^{4} x[c, 2j+k] W[i, c, k]", 0,
     "correct"),
    ("1.1.c.i", r"f_W(x)[i, j] = \sum_{c=0}^{1}\sum_{k=0}^{4} x[c, j+k] W[i, c, k]", 0,
     "incorrect"),
    ("1.1.c.ii", r"\frac{\partial f_W(x)}{\partial W} \in \mathbb{R}^{1 \times 2 \times 1 "
                 r"\times 2 \times 5}", 1, "correct"),
    ("1.1.c.ii", r"\frac{\partial f_W(x)}{\partial W} \in \mathbb{R}^{1 \times 2 \times 1 "
                 r"\times 2 \times 3}", 1, "incorrect"),
    ("1.1.c.iii", r"\frac{\partial f_W(x)}{\partial x} \in \mathbb{R}^{1 \times 2 \times 2 "
                  r"\times 7}", 1, "correct"),
    ("1.1.c.iii", r"\frac{\partial f_W(x)}{\partial x} \in \mathbb{R}^{1 \times 2 \times 2 "
                  r"\times 5}", 1, "incorrect"),
    ("1.1.c.iv", r"\frac{\partial \ell}{\partial W} \in \mathbb{R}^{1 \times 2 \times 5}", 1,
     "correct"),
    ("1.1.c.iv", r"\frac{\partial \ell}{\partial W}[f, c, k] = \sum_{j=0}^{1} "
                 r"\frac{\partial \ell}{\partial f_W(x)}[f, j] x[c, 2j + k]", 0, "correct"),
    ("1.1.c.iv", r"\frac{\partial \ell}{\partial W}[f, c, k] = \sum_{j=0}^{1} "
                 r"\frac{\partial \ell}{\partial f_W(x)}[f, j] x[c, j + k]", 0, "incorrect"),
])
def test_1_1_c_claims(pset, qid, latex, index_base, expected):
    assert verdict(pset, qid, latex, index_base) == expected


# 1.2 -----------------------------------------------------------------------------------
def ref_step(x, h_prev, Wc, Wh, Wx):
    c = sig(Wc @ x + Wh @ h_prev)
    return c * h_prev + (1 - c) * (Wx @ x), c


def test_rnn_instances_follow_the_h_t_recurrence(pset):
    ctx = pset.question("1.2.c").context()
    assert ctx.tensors["h"].latex == "h[t]" and ctx.tensors["W_h"].latex == "W_h"
    for seed in range(3):
        inst = ctx.instance(seed)
        a, s = inst.arrays, inst.series
        h = np.zeros(a["W_h"].shape[0])
        for t, x in enumerate(s["x"]):
            new, c = ref_step(x, h, a["W_c"], a["W_h"], a["W_x"])
            np.testing.assert_allclose(s["h_prev"][t], h, atol=1e-12)
            np.testing.assert_allclose(s["c"][t], c, atol=1e-12)
            np.testing.assert_allclose(s["h"][t], new, atol=1e-12)
            h = new


def test_rnn_truths_by_finite_differences(pset):
    ctx_c, ctx_d = pset.question("1.2.c").context(), pset.question("1.2.d").context()
    inst = ctx_c.instance(0)
    a, s = inst.arrays, inst.series

    def loss(Wx):  # the total gradients dl/dh[t] given, h[t-1] held fixed
        return sum(s["delta"][t] @ ref_step(s["x"][t], s["h_prev"][t], a["W_c"], a["W_h"],
                                            Wx)[0] for t in range(len(s["x"])))
    np.testing.assert_allclose(ctx_c.truth("loss", "W_x").value(inst), central(loss, a["W_x"]),
                               atol=1e-7)
    inst = ctx_d.instance(0)
    a = inst.arrays
    jac = central(lambda hp: ref_step(a["x"], hp, a["W_c"], a["W_h"], a["W_x"])[0],
                  a["h_prev"])
    np.testing.assert_allclose(ctx_d.truth("h", "h_prev").value(inst), jac, atol=1e-7)


@pytest.mark.parametrize("qid, latex, expected", [
    ("1.2.b", r"c[t] \in \mathbb{R}^m", "correct"),
    ("1.2.b", r"c[t] \in \mathbb{R}^n", "incorrect"),
    ("1.2.c", r"\frac{\partial \ell}{\partial W_x} \in \mathbb{R}^{m \times n}", "correct"),
    ("1.2.c", r"\frac{\partial \ell}{\partial W_x} \in \mathbb{R}^{m \times m}", "incorrect"),
    ("1.2.c", r"\frac{\partial \ell}{\partial W_x} = \sum_{t=1}^{K} \left("
              r"\frac{\partial \ell}{\partial h[t]}^\top \odot (1 - c[t])\right) x[t]^\top",
     "correct"),
    ("1.2.c", r"\frac{\partial \ell}{\partial W_x} = \sum_{t=1}^{K} \left("
              r"\frac{\partial \ell}{\partial h[t]}^\top \odot c[t]\right) x[t]^\top",
     "incorrect"),
    ("1.2.d", r"\frac{\partial h[t]}{\partial h[t-1]} = \mathrm{diag}(c[t]) + \mathrm{diag}("
              r"(h[t-1] - W_x x[t]) \odot c[t] \odot (1 - c[t])) W_h", "correct"),
    ("1.2.d", r"\frac{\partial h[t]}{\partial h[t-1]} = \mathrm{diag}(c[t])", "incorrect"),
])
def test_rnn_claims(pset, qid, latex, expected):
    assert verdict(pset, qid, latex) == expected


# answers -------------------------------------------------------------------------------
def test_every_question_has_an_answer(pset):
    for qid in IDS:
        if qid in pset.slow:
            continue  # built by the CLI in a worker; hw2's own tests build them
        a = pset.answer(qid)
        assert a.id == qid and a.latex.strip(), qid
    assert r"1 \times 3 \times 4" in pset.answer("1.1.a").latex
    assert r"\frac{10 - 5}{2}" in pset.answer("1.1.a").latex
    assert r"1 \times 2 \times 1 \times 2 \times 5" in pset.answer("1.1.c.ii").latex


def test_hw2_answers_under_this_numbering(pset):
    assert "h[t-1]" in pset.answer("1.2.b").latex
    assert "Question~1.2(d)" in pset.answer("1.3.1").latex
    assert "1.2.1(d)" not in pset.answer("1.3.1").latex


# review --------------------------------------------------------------------------------
def test_review_of_a_spring_2022_write_up(pset, tmp_path):
    doc = tmp_path / "w.md"
    doc.write_text("## 1.1 Convolutional Neural Netoworks\n\n**(a)** $3 \\times 4$\n\n"
                   "## 1.2 Recurrent Neural Networks\n\n**(b)** $c[t] \\in \\mathbb{R}^m$\n\n"
                   "**(c)** $\\frac{\\partial \\ell}{\\partial W_x} \\in "
                   "\\mathbb{R}^{m \\times n}$\n")
    review = Reviewer(problems=pset).review_file(doc)
    got = {(c.question, c.verdict.verdict) for c in review.claims}
    assert got == {("1.1.a", "correct"), ("1.2.b", "correct"), ("1.2.c", "correct")}
