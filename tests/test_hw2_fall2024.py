"""The hw2-fall2024 problem set: its sizes and truths against independent NumPy references
(explicit loops, numpy.correlate, finite differences), a right and a wrong claim judged per
checkable question, its numbering mapped onto hw2's, and review of a write-up of it."""

import numpy as np
import pytest
from reference import central, placements, ref_conv1d, ref_conv2d, sig
from reference import set_verdict as verdict

from symgrad.problems import registry
from symgrad.verify.review import Reviewer

NAME = "hw2-fall2024"
# the statement: a 3 x 5 kernel, stride 2, on a 17 x 11 image; x[n] in R^7, 1 <= n <= 11,
# kernel size 3, stride 2, W in R^{1 x 7 x 3}
IMAGE, KERNEL, STRIDE = (17, 11), (3, 5), 2
C, L, K, S = 7, 11, 3, 2


@pytest.fixture(scope="module")
def pset():
    return registry.get(NAME)


OUT_2D = (placements(IMAGE[0], KERNEL[0], STRIDE), placements(IMAGE[1], KERNEL[1], STRIDE))
OUT_1D = placements(L, K, S)


def test_independent_sizes():
    assert OUT_2D == (8, 4) and OUT_1D == 5


def test_numbering_maps_onto_hw2(pset):
    assert NAME in registry.names()
    ids = list(pset.questions)
    assert "1.2.1.e" in ids and "1.2.2.f" not in ids and "1.3.a" in ids
    for qid in ("1.2.1.a", "1.3.a", "1.3.d"):
        assert pset.question(qid).context is None, qid
    assert pset.aliases["1.3.1"] == "1.3.a"
    # Fall 2024's 1.2.2.a is Fall 2022's 1.2.2.b, under its own id
    assert pset.question("1.2.2.a").context().qid == "1.2.2.a"


def test_1_1_a_output_against_explicit_loops(pset):
    for seed in range(2):
        inst = pset.question("1.1.a").context().instance(seed)
        x, W = inst.arrays["x"], inst.arrays["W"]
        assert x.shape == (1, *IMAGE) and W.shape == (1, 1, *KERNEL)
        np.testing.assert_allclose(inst.arrays["y"], ref_conv2d(x, W, STRIDE), atol=1e-12)


@pytest.mark.parametrize("qid, latex, expected", [
    ("1.1.a", r"8 \times 4", "correct"),
    ("1.1.a", r"f_W(x) \in \mathbb{R}^{1 \times 8 \times 4}", "correct"),
    ("1.1.a", r"5 \times 2", "incorrect"),  # Fall 2022's answer
    ("1.1.a", r"8 \times 3", "incorrect"),
    ("1.1.b", r"f_W(x) \in \mathbb{R}^{F \times (\lfloor \frac{H + 2P - D(H_K-1) - 1}{S} "
              r"\rfloor + 1) \times (\lfloor \frac{W + 2P - D(W_K-1) - 1}{S} \rfloor + 1)}",
     "correct"),
    ("1.1.b", r"f_W(x) \in \mathbb{R}^{F \times (\lfloor \frac{H + 2P - D(H_K-1) - 1}{S} "
              r"\rfloor + 1) \times (\lfloor \frac{W + 2P - D(H_K-1) - 1}{S} \rfloor + 1)}",
     "incorrect"),
    ("1.1.c.i", r"f_W(x) \in \mathbb{R}^{1 \times 5}", "correct"),
    ("1.1.c.i", r"f_W(x) \in \mathbb{R}^{1 \times 3}", "incorrect"),  # Fall 2022's
    ("1.1.c.ii", r"\frac{\partial f_W(x)}{\partial W} \in \mathbb{R}^{1 \times 5 \times 1 "
                 r"\times 7 \times 3}", "correct"),
    ("1.1.c.iii", r"\frac{\partial f_W(x)}{\partial x} \in \mathbb{R}^{1 \times 5 \times 7 "
                  r"\times 11}", "correct"),
    ("1.1.c.iii", r"\frac{\partial f_W(x)}{\partial x} \in \mathbb{R}^{1 \times 3 \times 5 "
                  r"\times 7}", "incorrect"),
    ("1.2.1.c", r"\frac{\partial c[t]}{\partial h[t-1]} = \mathrm{diag}(c[t] \odot "
                r"(1 - c[t])) W_h", "correct"),
    ("1.2.1.c", r"\frac{\partial c[t]}{\partial h[t-1]} = \mathrm{diag}(c[t]) W_h",
     "incorrect"),
    ("1.2.1.e", r"\frac{\partial h[t]}{\partial h[t-1]} = \mathrm{diag}(c[t])", "incorrect"),
])
def test_claims(pset, qid, latex, expected):
    assert verdict(pset, qid, latex) == expected


@pytest.mark.parametrize("qid, index_base, latex, expected", [
    ("1.1.c.i", 0, r"f_W(x)[i, j] = \sum_{c=0}^{6}\sum_{k=0}^{2} x[c, 2j+k] W[i, c, k]",
     "correct"),
    ("1.1.c.i", 0, r"f_W(x)[i, j] = \sum_{c=0}^{6}\sum_{k=0}^{2} x[c, j+k] W[i, c, k]",
     "incorrect"),
])
def test_element_claims(pset, qid, index_base, latex, expected):
    assert verdict(pset, qid, latex, index_base) == expected


def test_conv1d_truths_by_finite_differences(pset):
    ctx_w, ctx_x = (pset.question(q).context() for q in ("1.1.c.ii", "1.1.c.iii"))
    inst = ctx_w.instance(1)
    x, W = inst.arrays["x"], inst.arrays["W"]
    assert x.shape == (C, L) and W.shape == (1, C, K)
    np.testing.assert_allclose(inst.arrays["y"], ref_conv1d(x, W, S), atol=1e-12)
    np.testing.assert_allclose(ctx_w.truth("y", "W").value(inst),
                               central(lambda w: ref_conv1d(x, w, S), W), atol=1e-8)
    inst_x = ctx_x.instance(1)
    x = inst_x.arrays["x"]
    np.testing.assert_allclose(ctx_x.truth("y", "x").value(inst_x),
                               central(lambda v: ref_conv1d(v, W, S), x), atol=1e-8)


def test_new_part_c_by_finite_differences(pset):
    ctx = pset.question("1.2.1.c").context()
    inst = ctx.instance(0)
    a = inst.arrays

    def step(hp):
        c = sig(a["W_c"] @ a["x"] + a["W_h"] @ hp)
        return c * hp + (1 - c) * (a["W_x"] @ a["x"])
    np.testing.assert_allclose(ctx.truth("h", "h_prev").value(inst),
                               central(step, a["h_prev"]), atol=1e-7)


def test_answers_of_own_questions(pset):
    assert r"1 \times 8 \times 4" in pset.answer("1.1.a").latex
    assert "H_K" in pset.answer("1.1.b").latex
    a = pset.answer("1.2.1.c")
    assert a.id == "1.2.1.c" and "c[t]" in a.latex and "W_h" in a.latex
    assert pset.answer("1.2.2.a").id == "1.2.2.a"


def test_review_of_a_fall_2024_write_up(pset, tmp_path):
    doc = tmp_path / "w.md"
    doc.write_text("## 1.1 Convolutional Neural Networks\n\n**(a)** $8 \\times 4$\n\n"
                   "## 1.2.1 Recurrent Neural Networks\n\n**(b)** $c[t] \\in \\mathbb{R}^m$\n\n"
                   "**(c)** $\\frac{\\partial c[t]}{\\partial h[t-1]} = \\mathrm{diag}(c[t])"
                   " W_h$\n")
    review = Reviewer(problems=pset).review_file(doc)
    got = {(c.question, c.verdict.verdict) for c in review.claims}
    assert got == {("1.1.a", "correct"), ("1.2.1.b", "correct"), ("1.2.1.c", "incorrect")}
