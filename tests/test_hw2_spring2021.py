"""The hw2-spring2021 problem set: its contexts' tensors and truths against independent
NumPy references (explicit loops, numpy.correlate, finite differences), claims judged with
them, its answers, and that hw2 keeps its own sizes."""

import numpy as np
import pytest
from reference import central as numeric_jacobian
from reference import ref_conv1d, ref_conv2d
from reference import set_verdict as verdict
from reference import sig as sigmoid

from symgrad.problems import registry
from symgrad.problems.hw2_contexts import context as hw2_context
from symgrad.verify.review import Reviewer

NAME = "hw2-spring2021"
IDS = ["1.1.a", "1.1.b", "1.1.c.i", "1.1.c.ii", "1.1.c.iii", "1.1.c.iv",
       "1.2.a", "1.2.b", "1.2.c", "1.2.d"]


@pytest.fixture(scope="module")
def pset():
    return registry.get(NAME)


# the set -----------------------------------------------------------------------------
def test_registered_with_the_spring_2021_ids(pset):
    assert NAME in registry.names()
    assert registry.names()[0] == "hw2"
    assert list(pset.questions) == IDS
    assert pset.question("1.2.a").context is None  # a diagram
    assert set(pset.given) == {"1.1.a", "1.1.b", "1.1.c", "1.2"}
    assert pset.sizes["1.1.a"]["input height"] == "10"
    assert pset.sizes["1.1.c"]["input channels"] == "2"
    assert "1.3" not in pset.titles


def test_hw2_keeps_its_sizes_and_notation():
    assert hw2_context("1.1.a").tensors["y"].shape == (1, 5, 2)
    assert hw2_context("1.1.c.i").tensors["x"].shape == (5, 7)
    rnn = hw2_context("1.2.1.c")
    assert rnn.tensors["h"].latex == "h[t]" and rnn.tensors["W_h"].latex == "W_h"
    assert rnn.tensors["z"].latex == "z[t]"


# 1.1.a ---------------------------------------------------------------------------------
def test_1_1_a_output_against_explicit_loops(pset):
    ctx = pset.question("1.1.a").context()
    inst = ctx.instance(0)
    x, W = inst.arrays["x"], inst.arrays["W"]
    assert x.shape == (1, 10, 11) and W.shape == (1, 1, 3, 3)
    expected = ref_conv2d(x, W, 2)
    assert expected.shape == (1, 4, 5)
    np.testing.assert_allclose(inst.arrays["y"], expected, atol=1e-12)


@pytest.mark.parametrize("latex, expected", [
    (r"4 \times 5", "correct"),
    (r"f_W(x) \in \mathbb{R}^{1 \times 4 \times 5}", "correct"),
    (r"5 \times 5", "incorrect"),
    (r"5 \times 2", "incorrect"),       # Fall 2022's answer
    (r"4 \times 4", "incorrect"),
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
        assert x.shape == (2, 5) and W.shape == (1, 2, 3)
        np.testing.assert_allclose(inst.arrays["y"], ref_conv1d(x, W, 2), atol=1e-12)
        np.testing.assert_allclose(ctx.truth("y").value(inst), ref_conv1d(x, W, 2),
                                   atol=1e-12)


def test_1_1_c_jacobians_and_gradient_by_finite_differences(pset):
    ctx_w = pset.question("1.1.c.ii").context()
    ctx_x = pset.question("1.1.c.iii").context()
    ctx_g = pset.question("1.1.c.iv").context()
    inst = ctx_w.instance(1)
    x, W = inst.arrays["x"], inst.arrays["W"]
    jw = numeric_jacobian(lambda w: ref_conv1d(x, w, 2), W)
    jx = numeric_jacobian(lambda v: ref_conv1d(v, W, 2), x)
    assert jw.shape == (1, 2, 1, 2, 3) and jx.shape == (1, 2, 2, 5)
    np.testing.assert_allclose(ctx_w.truth("y", "W").value(inst), jw, atol=1e-8)
    inst_x = ctx_x.instance(1)
    np.testing.assert_allclose(inst_x.arrays["x"], x)
    np.testing.assert_allclose(ctx_x.truth("y", "x").value(inst_x), jx, atol=1e-8)
    inst_g = ctx_g.instance(1)
    g = inst_g.arrays["g"]
    grad = numeric_jacobian(lambda w: np.sum(g * ref_conv1d(x, w, 2)), W)
    assert grad.shape == (1, 2, 3)
    np.testing.assert_allclose(ctx_g.truth("loss", "W").value(inst_g), grad, atol=1e-8)


@pytest.mark.parametrize("qid, latex, index_base, expected", [
    ("1.1.c.i", r"f_W(x) \in \mathbb{R}^{1 \times 2}", 1, "correct"),
    ("1.1.c.i", r"f_W(x) \in \mathbb{R}^{1 \times 3}", 1, "incorrect"),
    ("1.1.c.i", r"f_W(x)[i, j] = \sum_{c=0}^{1}\sum_{k=0}^{2} x[c, 2j+k] W[i, c, k]", 0,
     "correct"),
    ("1.1.c.i", r"f_W(x)[i, j] = \sum_{c=1}^{2}\sum_{k=1}^{3} x[c, 2j+k-2] W[i, c, k]", 1,
     "correct"),
    ("1.1.c.i", r"f_W(x)[i, j] = \sum_{c=0}^{1}\sum_{k=0}^{2} x[c, j+k] W[i, c, k]", 0,
     "incorrect"),
    ("1.1.c.ii", r"\frac{\partial f_W(x)}{\partial W} \in \mathbb{R}^{1 \times 2 \times 1 "
                 r"\times 2 \times 3}", 1, "correct"),
    ("1.1.c.ii", r"\frac{\partial f_W(x)}{\partial W} \in \mathbb{R}^{1 \times 3 \times 1 "
                 r"\times 5 \times 3}", 1, "incorrect"),
    ("1.1.c.iii", r"\frac{\partial f_W(x)}{\partial x} \in \mathbb{R}^{1 \times 2 \times 2 "
                  r"\times 5}", 1, "correct"),
    ("1.1.c.iii", r"\frac{\partial f_W(x)}{\partial x} \in \mathbb{R}^{1 \times 2 \times 2 "
                  r"\times 3}", 1, "incorrect"),
    ("1.1.c.iv", r"\frac{\partial \ell}{\partial W} \in \mathbb{R}^{1 \times 2 \times 3}", 1,
     "correct"),
    ("1.1.c.iv", r"\frac{\partial \ell}{\partial W} \in \mathbb{R}^{1 \times 2}", 1,
     "incorrect"),
    ("1.1.c.iv", r"\frac{\partial \ell}{\partial W}[f, c, k] = \sum_{j=0}^{1} "
                 r"\frac{\partial \ell}{\partial f_W(x)}[f, j] x[c, 2j + k]", 0, "correct"),
    ("1.1.c.iv", r"\frac{\partial \ell}{\partial W}[f, c, k] = \sum_{j=0}^{1} "
                 r"\frac{\partial \ell}{\partial f_W(x)}[f, j] x[c, j + k]", 0, "incorrect"),
])
def test_1_1_c_claims(pset, qid, latex, index_base, expected):
    assert verdict(pset, qid, latex, index_base) == expected


# 1.2 -----------------------------------------------------------------------------------
def ref_step(x, z_prev, Wc, Wz, Wx):
    c = sigmoid(Wc @ x + Wz @ z_prev)
    return c * z_prev + (1 - c) * (Wx @ x), c


def test_rnn_instances_follow_the_z_t_recurrence(pset):
    ctx = pset.question("1.2.c").context()
    for seed in range(3):
        inst = ctx.instance(seed)
        a, s = inst.arrays, inst.series
        z = np.zeros(a["W_h"].shape[0])
        for t, x in enumerate(s["x"]):
            new, c = ref_step(x, z, a["W_c"], a["W_h"], a["W_x"])
            np.testing.assert_allclose(s["h_prev"][t], z, atol=1e-12)
            np.testing.assert_allclose(s["c"][t], c, atol=1e-12)
            np.testing.assert_allclose(s["h"][t], new, atol=1e-12)
            z = new


def test_rnn_truths_by_finite_differences(pset):
    ctx_c, ctx_d = pset.question("1.2.c").context(), pset.question("1.2.d").context()
    inst = ctx_c.instance(0)
    a, s = inst.arrays, inst.series
    # dl/dW_x given the total gradients dl/dz_t: sum over t of delta[t] . dz_t/dW_x, with
    # z_{t-1} held fixed (its dependence on W_x is inside delta[t-1])
    def loss(Wx):
        return sum(s["delta"][t] @ ref_step(s["x"][t], s["h_prev"][t], a["W_c"], a["W_h"],
                                            Wx)[0] for t in range(len(s["x"])))
    expected = numeric_jacobian(loss, a["W_x"])
    np.testing.assert_allclose(ctx_c.truth("loss", "W_x").value(inst), expected, atol=1e-7)
    inst = ctx_d.instance(0)
    a = inst.arrays
    jac = numeric_jacobian(lambda zp: ref_step(a["x"], zp, a["W_c"], a["W_h"], a["W_x"])[0],
                           a["h_prev"])
    np.testing.assert_allclose(ctx_d.truth("h", "h_prev").value(inst), jac, atol=1e-7)


@pytest.mark.parametrize("qid, latex, expected", [
    ("1.2.b", r"c_t \in \mathbb{R}^m", "correct"),
    ("1.2.b", r"c_t \in \mathbb{R}^n", "incorrect"),
    ("1.2.b", r"z_t \in \mathbb{R}^{m}", "correct"),
    ("1.2.c", r"\frac{\partial \ell}{\partial W_x} \in \mathbb{R}^{m \times n}", "correct"),
    ("1.2.c", r"\frac{\partial \ell}{\partial W_x} = \sum_{t=1}^{K} \left("
              r"\frac{\partial \ell}{\partial z_t}^\top \odot (1 - c_t)\right) x_t^\top",
     "correct"),
    ("1.2.c", r"\frac{\partial \ell}{\partial W_x} = \sum_{t=1}^{K} \left("
              r"\frac{\partial \ell}{\partial z_t}^\top \odot c_t\right) x_t^\top", "incorrect"),
    ("1.2.d", r"\frac{\partial z_t}{\partial z_{t-1}} = \mathrm{diag}(c_t) + \mathrm{diag}("
              r"(z_{t-1} - W_x x_t) \odot c_t \odot (1 - c_t)) W_z", "correct"),
    ("1.2.d", r"\frac{\partial z_t}{\partial z_{t-1}} = \mathrm{diag}(c_t)", "incorrect"),
])
def test_rnn_claims_in_z_t_notation(pset, qid, latex, expected):
    assert verdict(pset, qid, latex) == expected


# answers -------------------------------------------------------------------------------
def test_every_question_has_an_answer(pset):
    for qid in IDS:
        a = pset.answer(qid)
        assert a.id == qid and a.latex.strip(), qid
    assert r"1 \times 4 \times 5" in pset.answer("1.1.a").latex
    assert r"1 \times 2 \times 1 \times 2 \times 3" in pset.answer("1.1.c.ii").latex


def test_rnn_answers_are_in_the_statements_letters(pset):
    for qid in ("1.2.a", "1.2.b", "1.2.c"):
        latex = pset.answer(qid).latex
        assert "z[t-1]" in latex and "h[t" not in latex and "W_h" not in latex, qid
    assert "W_z" in pset.answer("1.2.b").latex


# review --------------------------------------------------------------------------------
def test_review_of_a_spring_2021_write_up(pset, tmp_path):
    doc = tmp_path / "w.md"
    doc.write_text("## 1.1 Convolutional Neural Netoworks\n\n**(a)** $4 \\times 5$\n\n"
                   "## 1.2 Recurrent Neural Networks\n\n**(b)** $c_t \\in \\mathbb{R}^m$\n\n"
                   "**(c)** $\\frac{\\partial \\ell}{\\partial W_x} \\in "
                   "\\mathbb{R}^{m \\times n}$\n")
    review = Reviewer(problems=pset).review_file(doc)
    got = {(c.question, c.verdict.verdict) for c in review.claims}
    assert got == {("1.1.a", "correct"), ("1.2.b", "correct"), ("1.2.c", "correct")}
