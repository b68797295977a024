"""The verdict engine on the seed claims and on claims for every question of hw2."""

import json
import time

import numpy as np
import pytest
from reference import shared_cases, shared_params

import symgrad as sg
from symgrad.core.errors import ShapeError
from symgrad.problems.hw2_contexts import context
from symgrad.verify import Verdict, check_claim, check_quantity

# a copy of ../shared/cases/seed-claims.json, so the tests run without ../shared
SEED_CASES = [
    ("1.1.a", r"c \times 5 \times 2", "incorrect"),
    ("1.1.a", r"5 \times 2", "correct"),
    ("1.1.b", r"F \times C \times \lfloor \frac{H-DK+P+S}{S} \rfloor \times "
              r"\lfloor \frac{W-DK+P+S}{S} \rfloor", "incorrect"),
    ("1.1.b", r"F \times \lfloor \frac{H-DK+P+S}{S} \rfloor \times "
              r"\lfloor \frac{W-DK+P+S}{S} \rfloor", "incorrect"),
    ("1.1.b", r"F \times \left(\left\lfloor \frac{H+2P-D(K-1)-1}{S} \right\rfloor + 1\right) "
              r"\times \left(\left\lfloor \frac{W+2P-D(K-1)-1}{S} \right\rfloor + 1\right)",
     "correct"),
    ("1.1.c.i", r"f_W(x) \in \mathbb{R}^{1 \times 5 \times 3}", "incorrect"),
    ("1.1.c.i", r"f_W(x) \in \mathbb{R}^{5 \times 3}", "incorrect"),
    ("1.1.c.i", r"\hat{y}_{1,j,k} = \sum_{m=1}^{3} W_{j+m} X_{j,2k-1+m}", "incorrect"),
    ("1.1.c.i", r"f_W(x) = \langle x[2j:2j+3][i], W[i] \rangle", "unparsed"),
    ("1.1.c.ii", r"\frac{\partial \hat{y}}{\partial W} \in \mathbb{R}^{5 \times 3 \times 3}",
     "layout"),
    ("1.1.c.iii", r"\frac{\partial \hat{y}}{\partial x} \in \mathbb{R}^{5 \times 3 \times 7}",
     "layout"),
    ("1.2.1.b", r"c[t] \in \mathbb{R}^{m}", "correct"),
    ("1.2.1.c", r"\frac{\partial h[t]}{\partial W_x} \in \mathbb{R}^{m \times m \times n}",
     "correct"),
    ("1.2.1.c", r"\frac{\partial h[t]_i}{\partial (W_x)_{jk}} = \begin{cases} (1 - c[t])_i "
                r"x[t]_k & j = i \\ 0 & \text{else} \end{cases}", "correct"),
    ("1.2.2.b", r"a[t] \in \mathbb{R}^{3}", "correct"),
    ("1.2.2.d", r"q_i[t] = Q_i h[t-i],\ k_i[t] = K_i h[t-i],\ v_i[t] = V_i h[t-i],\ "
                r"w_i[t] = q_i[t]^T k_i[t],\ a[t] = \mathrm{softargmax}([w_0[t], \dots, "
                r"w_k[t]]),\ h[t] = \sum_{i=0}^{k} a_i[t] v_i[t]", "incorrect"),
]


def _shared_cases():
    return shared_params([(c["question"], c["latex"], c["expected"])
                          for c in shared_cases()], width=3)


@pytest.mark.parametrize("qid,latex,expected", SEED_CASES + _shared_cases())
def test_seed_claims(qid, latex, expected):
    v = sg.check(qid, latex)
    assert v.verdict == expected, v.format()
    assert v.explanation


def test_seed_explanations_say_what_is_wrong():
    v = sg.check("1.1.a", SEED_CASES[0][1])
    assert "c" in v.explanation and "1 x 5 x 2" in v.explanation
    v = sg.check("1.1.b", SEED_CASES[3][1])
    assert v.counterexample["parameters"]["P"] == 1
    assert (v.counterexample["claimed"], v.counterexample["true"]) == (2, 3)
    assert "numerator differs by D + P - 1" in v.hint
    v = sg.check("1.1.b", SEED_CASES[2][1])
    assert "C" in v.explanation and "extra" in v.explanation
    v = sg.check("1.1.c.i", SEED_CASES[7][1])
    assert "2 axes" in v.explanation and "3" in v.explanation
    v = sg.check("1.1.c.i", SEED_CASES[8][1])
    assert v.counterexample["position"] == 19 and "slice" in v.counterexample["construct"]
    v = sg.check("1.2.2.d", SEED_CASES[15][1])
    assert "AttentionRNN(k)" in v.explanation and "no weight sharing" in v.explanation
    assert "k is not a parameter of AttentionRNN(inf)" in v.explanation


CONV_X = (r"\frac{\partial \hat{y}_{j}}{\partial x_{c,l}} = \begin{cases} W_{c, l-2j+2} & "
          r"1 \le l-2j+2 \le 3 \\ 0 & \text{otherwise} \end{cases}")
RNN_GRAD = (r"\frac{\partial \ell}{\partial W_x} = \sum_{t=1}^{K} (\delta[t] \odot (1 - c[t])) "
            r"x[t]^T")
STATE = (r"\frac{\partial h[t]}{\partial h[t-1]} = \mathrm{diag}(c[t]) + \mathrm{diag}((h[t-1] "
         r"- W_x x[t]) \odot c[t] \odot (1 - c[t])) W_h")
STATE_SIGMA = STATE.replace(r"c[t] \odot (1 - c[t])", r"\sigma(z[t])(1 - \sigma(z[t]))")
OFF_BY_ONE = r"\hat{y}_{j} = \sum_{c=1}^{5} \sum_{m=1}^{3} W_{c,m} x_{c, 2j-1+m}"
WRONG_POSITION = r"\hat{y}_{j} = \sum_{c=1}^{5} \sum_{m=1}^{3} W_{c,m} x_{c, j+m}"
UNBOUND = r"\hat{y}_{j} = \sum_{c=1}^{5} W_{c,k} x_{c, 2j+k-2}"
NO_RANGE = r"\frac{\partial \hat{y}_{j}}{\partial x_{c,l}} = W_{c, l-2j+2}"
NUMERATOR = r"\frac{\partial \ell}{\partial W_x} \in \mathbb{R}^{n \times m}"
FLAT = r"\frac{\partial \hat{y}}{\partial W} \in \mathbb{R}^{3 \times 15}"
ATT_E = (r"\frac{\partial h[t]}{\partial h[t-1]} = a_1[t] V_1 + a_1[t] (v_1[t] - h[t]) "
         r"(k_1[t]^T Q_1 + q_1[t]^T K_1)")
SYS_C = (r"q_0[t] = Q_0 x[t],\ q_i[t] = Q_i h[t-i],\ k_0[t] = K_0 x[t],\ k_i[t] = K_i h[t-i],"
         r"\ v_0[t] = V_0 x[t],\ v_i[t] = V_i h[t-i],\ w_i[t] = q_i[t]^T k_i[t],\ a[t] = "
         r"\mathrm{softargmax}([w_0[t], \dots, w_k[t]]),\ h[t] = \sum_{i=0}^{k} a_i[t] v_i[t]")
SYS_D = (r"q_0[t] = Q_0 x[t], \quad q_i[t] = Q_h h[t-i], \quad k_0[t] = K_0 x[t], \quad "
         r"k_i[t] = K_h h[t-i], \quad v_0[t] = V_0 x[t], \quad v_i[t] = V_h h[t-i], \quad "
         r"w_i[t] = q_i[t]^\top k_i[t], \quad a[t] = \mathrm{softargmax}([w_0[t], \dots, "
         r"w_{t-1}[t]]), \quad h[t] = \sum_{i=0}^{t-1} a_i[t] v_i[t]")
GRAD_F = (r"\frac{\partial \ell}{\partial h[T]} = \sum_{t=T}^{L} \left(\frac{\partial h[t]}"
          r"{\partial h[T]}\right)^\top \frac{\partial \ell}{\partial h[t]}")
ROW_F = (r"\frac{\partial \ell}{\partial h[T]} = \sum_{t=T}^{L} \frac{\partial \ell}{\partial "
         r"h[t]} \frac{\partial h[t]}{\partial h[T]}")
SLOT_SUM = (r"\frac{\partial h[t]}{\partial h[t-1]} = a_1[t] V_1 + \sum_{i=0}^{2} a_i[t] "
            r"(\delta_{i1} - a_1[t]) v_i[t] \left(k_1[t]^T Q_1 + q_1[t]^T K_1\right)")
CHAIN = (r"\frac{\partial \ell}{\partial W_{c,k}} = \sum_{j=1}^{3} \frac{\partial \ell}"
         r"{\partial \hat{y}_{j}} \frac{\partial \hat{y}_{j}}{\partial W_{c,k}}")
SWAPPED = r"\frac{\partial \hat{y}_{j}}{\partial W_{c,k}} = x_{c,2k+j-2}"

# (question, claim, index base, expected verdict)
CLAIMS = [
    ("1.1.a", r"1 \times 5 \times 2", 1, "correct"),
    ("1.1.a", r"f_W(x) \in \mathbb{R}^{1 \times 5 \times 2}", 1, "correct"),
    ("1.1.a", r"5 \times 3", 1, "incorrect"),
    ("1.1.a", r"6 \times 3", 1, "incorrect"),
    ("1.1.a", r"2 \times 5", 1, "layout"),
    ("1.1.b", r"F \times \left\lceil \frac{H+2P-D(K-1)}{S} \right\rceil \times \left\lceil "
              r"\frac{W+2P-D(K-1)}{S} \right\rceil", 1, "correct"),
    ("1.1.b", r"f_W(x) \in \mathbb{R}^{F \times (\lfloor (H+2P-DK+D-1)/S \rfloor + 1) \times "
              r"(\lfloor (W+2P-DK+D-1)/S \rfloor + 1)}", 1, "correct"),
    ("1.1.b", r"F \times (\lfloor (H+2P-K)/S \rfloor + 1) \times (\lfloor (W+2P-K)/S \rfloor "
              r"+ 1)", 1, "incorrect"),
    ("1.1.b", r"F \times (\lfloor (W+2P-D(K-1)-1)/S \rfloor + 1) \times (\lfloor "
              r"(H+2P-D(K-1)-1)/S \rfloor + 1)", 1, "layout"),
    ("1.1.c.i", r"f_W(x) \in \mathbb{R}^{1 \times 3}", 1, "correct"),
    ("1.1.c.i", r"f_W(x)[1,j] = \sum_{c=1}^{5} \sum_{m=1}^{3} W[1,c,m] x[c, 2j+m-2]", 1,
     "correct"),
    ("1.1.c.i", r"f_W(x)[0,j] = \sum_{c=0}^{4} \sum_{m=0}^{2} W[0,c,m] x[c, 2j+m]", 0,
     "correct"),
    ("1.1.c.i", r"\hat{y}_{j} = \sum_{m=1}^{3} \sum_{c=1}^{5} x_{c, 2j+m-2} W_{c,m}", 1,
     "correct"),
    ("1.1.c.i", OFF_BY_ONE, 1, "incorrect"),
    ("1.1.c.i", WRONG_POSITION, 1, "incorrect"),
    ("1.1.c.i", UNBOUND, 1, "incorrect"),
    ("1.1.c.ii", r"\frac{\partial \hat{y}_{j}}{\partial W_{c,k}} = x_{c, 2j+k-2}", 1, "correct"),
    ("1.1.c.ii", r"\frac{\partial \hat{y}_{j}}{\partial W_{c,k}} = x_{c, 2j+k}", 0, "correct"),
    ("1.1.c.ii", FLAT, 1, "correct"),
    ("1.1.c.ii", r"\frac{\partial \hat{y}}{\partial W} \in \mathbb{R}^{1 \times 3 \times 1 "
                 r"\times 5 \times 3}", 1, "correct"),
    ("1.1.c.ii", r"\frac{\partial \hat{y}_{j}}{\partial W_{c,k}} = x_{c, 2j+k-1}", 1,
     "incorrect"),
    ("1.1.c.ii", r"\frac{\partial \hat{y}}{\partial W} \in \mathbb{R}^{3 \times 3}", 1,
     "incorrect"),
    ("1.1.c.iii", CONV_X, 1, "correct"),
    ("1.1.c.iii", r"\frac{\partial \hat{y}_{j}}{\partial x_{c,l}} = \sum_{k=1}^{3} W_{c,k} "
                  r"\delta_{l, 2j+k-2}", 1, "correct"),
    ("1.1.c.iii", r"\frac{\partial f_W(x)}{\partial x} \in \mathbb{R}^{3 \times 5 \times 7}", 1,
     "correct"),
    ("1.1.c.iii", CONV_X.replace("l-2j+2", "l-2j+1"), 1, "incorrect"),
    ("1.1.c.iii", NO_RANGE, 1, "correct"),  # W is 0 outside its taps, as the question says
    ("1.1.c.iii", CONV_X.replace("x_{c,l}", "x_{l,c}"), 1, "layout"),
    ("1.1.c.ii", SWAPPED, 1, "incorrect"),
    ("1.1.c.iv", r"\frac{\partial \ell}{\partial W_{c,k}} = \sum_{j=1}^{3} "
                 r"\frac{\partial \ell}{\partial f_W(x)}_{j} x_{c, 2j+k-2}", 1, "correct"),
    ("1.1.c.iv", r"\frac{\partial \ell}{\partial W_{c,k}} = \sum_{j=0}^{2} g_{j} x_{c, 2j+k}", 0,
     "correct"),
    ("1.1.c.iv", r"\frac{\partial \ell}{\partial W} \in \mathbb{R}^{3 \times 5}", 1, "correct"),
    ("1.1.c.iv", r"\frac{\partial \ell}{\partial W_{c,k}} = \sum_{j=1}^{3} g_{j} x_{c, j+k-1}",
     1, "incorrect"),
    ("1.1.c.iv", r"\frac{\partial \ell}{\partial W} \in \mathbb{R}^{1 \times 3}", 1,
     "incorrect"),
    ("1.2.1.b", r"c[t] \in \mathbb{R}^{m \times 1}", 1, "correct"),
    ("1.2.1.b", r"c[t] = \sigma(W_c x[t] + W_h h[t-1])", 1, "correct"),
    ("1.2.1.b", r"c[t]_i = \sigma(\sum_{q=0}^{n-1} (W_c)_{iq} x[t]_q + \sum_{r=0}^{m-1} "
                r"(W_h)_{ir} h[t-1]_r)", 0, "correct"),
    ("1.2.1.b", r"c[t] \in \mathbb{R}^{n}", 1, "incorrect"),
    ("1.2.1.b", r"c[t] = \sigma(W_c x[t] + W_h h[t])", 1, "incorrect"),
    ("1.2.1.b", r"c[t] = \sigma(W_h x[t] + W_c h[t-1])", 1, "incorrect"),
    ("1.2.1.c", RNN_GRAD, 1, "correct"),
    ("1.2.1.c", r"\frac{\partial \ell}{\partial W_x} = \sum_{t=1}^{K} x[t] (\delta[t] \odot "
                r"(1 - c[t]))^T", 1, "correct"),
    ("1.2.1.c", r"\frac{\partial \ell}{\partial (W_x)_{ij}} = \sum_{t=1}^{K} "
                r"\frac{\partial \ell}{\partial h[t]}_i (1 - \sigma(z[t]_i)) x[t]_j", 1,
     "correct"),
    ("1.2.1.c", NUMERATOR, 1, "correct"),
    ("1.2.1.c", r"\frac{\partial h[t]_i}{\partial (W_x)_{jk}} = \delta_{ij} (1 - c[t]_i) "
                r"x[t]_k", 0, "correct"),
    ("1.2.1.c", RNN_GRAD.replace("(1 - c[t])", "c[t]"), 1, "incorrect"),
    ("1.2.1.c", r"\frac{\partial \ell}{\partial W_x} = (\delta[t] \odot (1 - c[t])) x[t]^T", 1,
     "incorrect"),
    ("1.2.1.c", r"\frac{\partial \ell}{\partial W_x} \in \mathbb{R}^{m \times m}", 1,
     "incorrect"),
    ("1.2.1.d", STATE, 1, "correct"),
    ("1.2.1.d", STATE_SIGMA, 1, "correct"),
    ("1.2.1.d", r"\frac{\partial h[t]}{\partial h[t-1]} = \mathrm{diag}(c[t])", 1, "incorrect"),
    ("1.2.1.d", r"\frac{\partial h[t]}{\partial h[t-1]} = \mathrm{diag}(c[t]) + W_h^T "
                r"\mathrm{diag}((h[t-1] - W_x x[t]) \odot c[t] \odot (1 - c[t]))", 1, "layout"),
    ("1.2.2.b", r"a[t] \in \mathbb{R}^{3 \times 1}", 1, "correct"),
    ("1.2.2.b", r"a[t] \in \mathbb{R}^{n}", 1, "incorrect"),
    ("1.2.2.b", r"a[t] \in \mathbb{R}^{2}", 1, "incorrect"),
    ("1.2.2.c", SYS_C, 1, "correct"),
    ("1.2.2.c", r"q_0[t], q_1[t], \dots, q_k[t] = Q_0 x[t], Q_1 h[t-1], \dots, Q_k h[t-k],"
                r"\quad k_0[t], k_1[t], \dots, k_k[t] = K_0 x[t], K_1 h[t-1], \dots, K_k h[t-k],"
                r"\quad v_0[t], v_1[t], \dots, v_k[t] = V_0 x[t], V_1 h[t-1], \dots, V_k h[t-k],"
                r"\quad w_i[t] = q_i[t]^\top k_i[t],\quad a[t] = \mathrm{softargmax}([w_0[t], "
                r"w_1[t], \dots, w_k[t]]),\quad h[t] = \sum_{i=0}^{k} a_i[t] v_i[t]", 1,
     "correct"),
    ("1.2.2.c", SEED_CASES[15][1], 1, "incorrect"),
    ("1.2.2.c", SYS_C.replace(r"q_i[t]^T k_i[t]", r"k_i[t]^T k_i[t]"), 1, "incorrect"),
    ("1.2.2.c", SYS_D, 1, "incorrect"),
    ("1.2.2.d", SYS_D, 1, "correct"),
    ("1.2.2.d", SYS_C, 1, "incorrect"),
    ("1.2.2.d", SYS_D.replace("w_{t-1}[t]", "w_k[t]").replace("^{t-1}", "^{k}"), 1,
     "incorrect"),
    ("1.2.2.e", ATT_E, 1, "correct"),
    ("1.2.2.e", r"\frac{\partial h[t]}{\partial h[t-1]} = a_1[t] V_1 + (v_1[t] - h[t]) a_1[t] "
                r"(q_1[t]^T K_1 + k_1[t]^T Q_1)", 1, "correct"),
    ("1.2.2.e", r"\frac{\partial h[t]_j}{\partial h[t-1]_l} = a_1[t] (V_1)_{jl} + a_1[t] "
                r"(v_1[t]_j - h[t]_j) \sum_{r=0}^{n-1} (k_1[t]_r (Q_1)_{rl} + q_1[t]_r "
                r"(K_1)_{rl})", 0, "correct"),
    ("1.2.2.e", r"\frac{\partial h[t]}{\partial h[t-1]} = a_1[t] V_1", 1, "incorrect"),
    ("1.2.2.e", ATT_E.replace("k_1[t]^T Q_1", "Q_1^T k_1[t]"), 1, "incorrect"),
    ("1.2.2.f", GRAD_F, 1, "correct"),
    ("1.2.2.f", GRAD_F.replace("t=T", "t=T+1"), 1, "incorrect"),
    ("1.2.2.f", GRAD_F.replace(r"\left(", "").replace(r"\right)^\top", ""), 1, "incorrect"),
    ("1.2.2.f", ROW_F, 1, "correct"),
    ("1.2.2.f", ROW_F.replace("t=T", "t=T+1"), 1, "incorrect"),
    ("1.2.2.f", r"\frac{\partial \ell}{\partial h[T]} = g[T] + \sum_{t=T+1}^{L} \left("
                r"\frac{\partial h[t]}{\partial h[T]}\right)^{\top} g[t]", 1, "correct"),
    ("1.2.2.f", GRAD_F.replace(r"\ell", "L"), 1, "correct"),
    ("1.2.2.f", r"\frac{\partial \ell}{\partial h[T]} = \prod_{t=T+1}^{L} \frac{\partial h[t]}"
                r"{\partial h[T]}", 1, "incorrect"),
    ("1.2.1.c", RNN_GRAD.replace(r"\sum", r"\prod"), 1, "incorrect"),
    ("1.2.1.c", r"\frac{\partial \ell}{\partial W_x} = \sum_{t=1}^{K} \frac{\partial \ell}"
                r"{\partial h[t]} \frac{\partial h[t]}{\partial W_x}", 1, "correct"),
    ("1.2.2.e", SLOT_SUM, 1, "correct"),
    ("1.2.2.e", SLOT_SUM.replace(r"\delta_{i1} - ", "1 - "), 1, "incorrect"),
    ("1.2.2.e", r"h[t] = \sum_{i=0}^{2} a_i[t] v_i[t]", 1, "correct"),
    ("1.2.2.e", r"h[t] = \sum_{i=0}^{1} a_i[t] v_i[t]", 1, "incorrect"),
    ("1.2.2.e", r"a[t] = \mathrm{softargmax}([q_0[t]^T k_0[t], q_1[t]^T k_1[t], "
                r"q_2[t]^T k_2[t]])", 1, "correct"),
    ("1.1.c.iv", CHAIN, 1, "correct"),
    ("1.1.c.iv", CHAIN.replace(r"\sum_{j=1}^{3} ", ""), 1, "correct"),
    ("1.1.c.iv", CHAIN.replace(r"\sum_{j=1}^{3} ", "").replace(
        r"\frac{\partial \hat{y}_{j}}{\partial W_{c,k}}", "x_{c,2j+k-2}"), 1, "incorrect"),
]


@pytest.mark.parametrize("qid,latex,base,expected", CLAIMS)
def test_claims(qid, latex, base, expected):
    v = check_claim(context(qid), latex, index_base=base)
    assert v.verdict == expected, v.format()
    assert v.ok == (expected == "correct")


def test_every_question_has_correct_and_wrong_claims():
    for qid in {c[0] for c in CLAIMS}:
        verdicts = [c[3] for c in CLAIMS if c[0] == qid]
        assert "correct" in verdicts and len(verdicts) - verdicts.count("correct") >= 2, qid


def test_incorrect_element_shows_smallest_counterexample_and_hint():
    v = check_claim(context("1.1.c.i"), WRONG_POSITION)
    assert v.counterexample["entry"] == {"j": 1}
    assert "2 j + m - 2" in v.hint
    v = check_claim(context("1.1.c.i"), OFF_BY_ONE)
    assert "reaches position 8" in v.explanation and "off by one" in v.hint
    v = check_claim(context("1.1.c.iii"), NO_RANGE)
    assert v.verdict == "correct" and "reading W as 0 outside its entries" in v.explanation
    v = check_claim(context("1.1.c.iii"), NO_RANGE.replace("W_{c, l-2j+2}", "x_{c, l-2j+2}"))
    assert v.verdict == "incorrect" and "reaches position" in v.explanation
    v = check_claim(context("1.2.1.c"), r"\frac{\partial c[t]_i}{\partial (W_c)_{jk}} = "
                                        r"\delta_{ij} c[t]_i x[t]_k")
    assert v.verdict == "incorrect" and "simplifies to" in v.hint


def test_notes_say_which_layout_and_what_was_dropped():
    v = check_claim(context("1.2.1.c"), NUMERATOR)
    assert any("numerator layout" in n for n in v.notes)
    v = check_claim(context("1.2.1.c"), RNN_GRAD)
    assert any("gradient layout" in n for n in v.notes)
    v = sg.check("1.1.a", r"5 \times 2")
    assert any("singleton" in n for n in v.notes)
    v = check_claim(context("1.1.c.ii"), FLAT)
    assert any("flattened" in n for n in v.notes)
    v = check_claim(context("1.2.1.d"), STATE_SIGMA)
    assert any("element-wise" in n for n in v.notes)


def test_unbound_index_and_wrong_rank_are_said():
    v = check_claim(context("1.1.c.i"), UNBOUND)
    assert "k is free on the right side" in v.explanation
    v = check_claim(context("1.1.c.i"), r"\hat{y}_{j} = \sum_{m=1}^{3} W_{j+m} x_{1,2j+m-2}")
    assert v.verdict == "incorrect" and "W has 3 axes" in v.explanation


def test_unknown_names_are_unparsed_verdicts_with_the_declared_ones():
    v = check_claim(context("1.2.1.b"), r"q \times 5")
    assert v.verdict == "unparsed" and "declared tensors" in v.explanation
    assert v.counterexample["position"] == 0
    with pytest.raises(ShapeError):
        check_claim(context("1.2.1.b"), r"c[t] \in \mathbb{R}^{m}", index_base=2)


def test_verdict_is_json_ready_and_printable():
    v = sg.check("1.1.b", SEED_CASES[3][1])
    d = v.to_dict()
    assert json.loads(json.dumps(d)) == d
    assert d["ok"] is False and d["verdict"] == "incorrect"
    text = v.format()
    assert text.startswith("INCORRECT:") and "counterexample" in text and "hint" in text
    assert isinstance(v, Verdict) and v.claim_latex.startswith("f_W(x)")


def test_claim_is_printed_back_as_understood():
    v = check_claim(context("1.2.1.c"), RNN_GRAD)
    assert r"\left(\delta[t] \odot \left(1 - c[t]\right)\right) x[t]^{\top}" in v.claim_latex
    v = check_claim(context("1.2.2.d"), SYS_D)
    assert "h[t - i]" in v.claim_latex


def test_several_parts_are_all_checked():
    v = sg.check("1.1.c.i", r"f_W(x) \in \mathbb{R}^{1 \times 3}, \quad "
                            r"f_W(x)[1,j] = \sum_{c=1}^{5} \sum_{m=1}^{3} W[1,c,m] x[c, 2j+m-2]")
    assert v.verdict == "correct"
    v = sg.check("1.1.c.i", r"f_W(x) \in \mathbb{R}^{1 \times 3}, \quad "
                            r"f_W(x)[1,j] = \sum_{c=1}^{5} \sum_{m=1}^{3} W[1,c,m] x[c, j+m]")
    assert v.verdict == "incorrect" and "part 2 (incorrect)" in v.explanation


def test_quantity_check_of_a_million_entry_jacobian_is_fast():
    conv = sg.Conv1d(in_channels=8, length=350, kernel_size=3, stride=1)
    q = conv.jacobian("x")
    assert np.prod(q.shape) > 900_000
    claim = (r"\frac{\partial f_W(x)_{j}}{\partial x_{c,l}} = \begin{cases} W_{c, l-j+1} & "
             r"1 \le l-j+1 \le 3 \\ 0 & \text{otherwise} \end{cases}")
    start = time.monotonic()
    v = q.check(claim)
    assert v.verdict == "correct", v.format()
    v = q.check(claim.replace("l-j+1", "l-j+2"))
    assert v.verdict == "incorrect"
    assert time.monotonic() - start < 5


def test_quantity_check_with_symbolic_sizes():
    C, L = sg.core.size("C"), sg.core.size("L")
    conv = sg.Conv1d(in_channels=C, length=L, kernel_size=3, stride=2)
    assert check_quantity(conv.jacobian("W"), r"\frac{\partial f_W(x)_{j}}{\partial W_{c,k}} "
                                              r"= x_{c, 2j+k-2}").ok
    v = conv.jacobian("W").check(r"\frac{\partial f_W(x)_{j}}{\partial W_{c,k}} = x_{c, 2j+k-1}")
    assert v.verdict == "incorrect"
    v = conv.grad("W").check(r"\frac{\partial \ell}{\partial W_{c,k}} = \sum_{j=1}^{\lfloor "
                             r"(L-3)/2 \rfloor + 1} g_{j} x_{c, 2j+k-2}")
    assert v.ok, v.format()
    assert conv.jacobian("x").check(r"\frac{\partial f_W(x)}{\partial x} \in \mathbb{R}^{"
                                    r"1 \times (\lfloor (L-3)/2 \rfloor + 1) \times C \times L}").ok


def test_quantity_check_of_rnn_results():
    from symgrad.layers.gated_rnn import GatedRNN

    rnn = GatedRNN(3, 4)
    assert rnn.state_jacobian().check(STATE).ok
    assert rnn.jacobian("W_x").check(r"\frac{\partial h[t]_i}{\partial (W_x)_{jk}} = "
                                     r"\delta_{ij} (1 - c[t]_i) x[t]_k").ok
    grad = rnn.grad("W_x", steps=4)
    assert grad.check(RNN_GRAD).ok
    assert grad.check(RNN_GRAD.replace("(1 - c[t])", "c[t]")).verdict == "incorrect"


def test_a_formula_right_for_swapped_letters_of_one_size_is_wrong_with_a_hint():
    v = check_claim(context("1.1.c.ii"), SWAPPED)
    assert v.verdict == "incorrect" and v.hint == "it would match with j and k swapped"
    v = check_claim(context("1.1.c.iii"), CONV_X.replace("x_{c,l}", "x_{l,c}"))
    assert v.verdict == "layout" and "(j, c, l)" in v.explanation


def test_loss_gradients_may_be_rows():
    v = check_claim(context("1.2.2.f"), ROW_F)
    assert v.ok and any("numerator layout (row vector)" in n for n in v.notes)
    v = check_claim(context("1.2.2.f"), GRAD_F)
    assert v.ok and not any("row vector" in n for n in v.notes)
    v = check_claim(context("1.2.2.f"), ROW_F.replace("t=T", "t=T+1"))
    assert v.verdict == "incorrect" and "true value" in v.explanation


def test_a_chain_rule_with_an_implied_sum_says_so():
    v = check_claim(context("1.1.c.iv"), CHAIN.replace(r"\sum_{j=1}^{3} ", ""))
    assert v.ok and any("Einstein" in n and "index j" in n for n in v.notes)
    v = check_claim(context("1.1.c.iv"), r"\frac{\partial \ell}{\partial W_{c,k}} = "
                                         r"\frac{\partial \ell}{\partial \hat{y}_{j}} "
                                         r"x_{c,2j+k-2}")
    assert v.verdict == "incorrect" and "j is free on the right side" in v.explanation


def test_no_exception_escapes_the_engine(monkeypatch):
    from symgrad.verify import formula, systems

    def broken(self):
        raise KeyError("internal")

    monkeypatch.setattr(formula.FormulaCheck, "run", broken)
    v = sg.check("1.1.c.ii", SWAPPED)
    assert v.verdict == "unparsed" and "KeyError" in v.explanation
    assert v.counterexample["construct"] == "formula"

    def crash(*args):
        raise AttributeError("'float' object has no attribute 'shape'")

    monkeypatch.setattr(systems, "structure", crash)
    v = sg.check("1.2.2.d", SYS_D)
    assert v.verdict == "unparsed" and "system of equations" in v.explanation


@pytest.mark.parametrize("claim, verdict", [
    (r"c[t] \in (0,1)^m", "correct"), (r"c[t] \in [0, 1]^{m}", "correct"),
    (r"h[t] \in (0,1)^m", "incorrect"), (r"c[t] \in (0,1)^n", "incorrect"),
    (r"\dim c[t] = m", "correct"), (r"\dim(c[t]) = n", "incorrect"),
])
def test_value_sets_and_dim_are_judged_whole(claim, verdict):
    v = sg.check("1.2.1.b", claim)
    assert v.verdict == verdict, v.explanation
    if claim.startswith("h[t]"):
        assert "outside (0, 1)" in v.explanation


@pytest.mark.parametrize("qid, claim, verdict", [
    ("1.1.b", r"C_{out} = F, \quad H_{out} = 1 + \left\lfloor \frac{H + 2P - D(K-1) - 1}{S} "
              r"\right\rfloor", "correct"),
    ("1.1.b", r"C_{out} = C", "incorrect"),
    ("1.1.c.iv", r"\frac{\partial \ell}{\partial W}[1,c,k] = \sum_{j=1}^{3} g[1,j] \, "
                 r"x[c, 2(j-1)+k] \quad \text{where } g = \frac{\partial \ell}{\partial f_W(x)}",
     "correct"),
    ("1.1.c.i", r"f_W(x)[1,j] = \sum_{c=1}^{5} \sum_{m=1}^{3} W[1,c,m]\, x[c, s+m] "
                r"\text{ where } s = 2(j-1)", "correct"),
    ("1.1.c.i", r"f_W(x)[1,j] = \sum_{c=1}^{5} \sum_{m=1}^{3} W[1,c,m]\, x[c, s+m] "
                r"\text{ where } s = j - 1", "incorrect"),
])
def test_output_channels_notation_definitions_and_shadowed_aliases(qid, claim, verdict):
    assert sg.check(qid, claim).verdict == verdict


@pytest.mark.parametrize("qid, claim, verdict", [
    ("1.1.c.iii", r"\frac{\partial y_j}{\partial x_{c,l}} = W_{c, l - 2(j-1)} \text{ if } "
                  r"1 \le l - 2(j-1) \le 3 \text{, else } 0", "correct"),
    ("1.1.c.iii", r"\frac{\partial y_j}{\partial x_{c,l}} = W_{c, l - 2(j-1)} \text{ if } "
                  r"1 \le l - 2(j-1) \le 3 \text{ and } 0 \text{ otherwise}", "correct"),
    ("1.1.c.iii", r"\frac{\partial y_j}{\partial x_{c,l}} = W_{c, l - 2(j-1)} \text{ if } "
                  r"1 \le l - 2(j-1) \le 3, \quad 0 \text{ otherwise}", "correct"),
    ("1.1.c.iii", r"\frac{\partial y_j}{\partial x_{c,l}} = W_{c, l - 2j} \text{ if } "
                  r"1 \le l - 2j \le 3 \text{, else } 0", "incorrect"),
    ("1.1.c.iii", r"\frac{\partial y_j}{\partial x_{c,l}} = W_{c, l - 2(j-1)} \text{ if } "
                  r"1 \le l - 2(j-1) \le 3", "unparsed"),
    ("1.2.1.c", r"\frac{\partial \ell}{\partial W_x} = \sum_{t} ((1 - c_t) \odot \delta_t) x_t^T",
     "correct"),
    ("1.2.1.c", r"\frac{\partial \ell}{\partial W_x} = \sum\limits_t \mathrm{diag}(1 - c_t) "
                r"\frac{\partial \ell}{\partial h_t} x_t^\top", "correct"),
    ("1.2.1.c", r"\frac{\partial \ell}{\partial W_x} = \sum_{t} (c_t \odot \delta_t) x_t^T",
     "incorrect"),
])
def test_inline_conditions_and_time_sums_without_bounds(qid, claim, verdict):
    assert sg.check(qid, claim).verdict == verdict


@pytest.mark.parametrize("qid, claim, verdict", [
    ("1.2.2.b", r"a[t] \in \mathbb{R}^{k+1}", "correct"),
    ("1.2.2.b", r"a[t] \in \mathbb{R}^{k}", "incorrect"),
    ("1.2.2.b", r"a[t] \in \mathbb{R}^{n}", "incorrect"),
    ("1.2.2.e", r"\frac{\partial h_t}{\partial h_{t-1}} = a_{t,1} V_1 + a_{t,1}(v_{t,1} - h_t)"
                r"(k_{t,1}^T Q_1 + q_{t,1}^T K_1)", "correct"),
    ("1.2.2.e", r"\frac{\partial h_t}{\partial h_{t-1}} = a_{t,1} V_1 + a_{t,1}(v_{t,1} - h_t)"
                r"(k_{t,1}^T Q_1)", "incorrect"),
    ("1.2.2.e", r"\frac{\partial h[t]}{\partial h[t-1]} = a_1[t] V_1 + \sum_{i=0}^{k} v_i[t] a_i[t]"
                r" (\delta_{i1} - a_1[t]) (k_1[t]^\top Q_1 + q_1[t]^\top K_1)", "correct"),
])
def test_the_general_window_k_and_time_first_slot_subscripts(qid, claim, verdict):
    assert sg.check(qid, claim).verdict == verdict


@pytest.mark.parametrize("qid, claim, verdict", [
    ("1.2.1.c", r"\nabla_{W_x} \ell = \sum_{t=1}^{K} ((1 - c[t]) \odot "
                r"\frac{\partial \ell}{\partial h[t]}) x[t]^\top", "correct"),
    ("1.2.1.c", r"\nabla_{W_x} L = \sum_{t=1}^{K} ((1 - c[t]) \odot \nabla_{h[t]} L) x[t]^\top",
     "correct"),
    ("1.2.1.c", r"\nabla_{W_x} L = \sum_{t=1}^{K} (c[t] \odot \nabla_{h[t]} L) x[t]^\top",
     "incorrect"),
    ("1.2.1.c", r"\frac{d\ell}{dW_x} = \sum_{t=1}^{K} ((1 - c[t]) \odot \frac{d\ell}{dh[t]}) "
                r"x[t]^\top", "correct"),
    ("1.2.1.b", r"\frac{\mathrm{d}h[t]}{\mathrm{d}h[t-1]} = \mathrm{diag}(c[t]) + "
                r"\mathrm{diag}(c[t] \odot (1-c[t]) \odot (h[t-1] - W_x x[t])) W_h", "correct"),
    ("1.2.1.b", r"\frac{dh_t}{dh_{t-1}} = \mathrm{diag}(c_t)", "incorrect"),
])
def test_nabla_and_d_derivatives(qid, claim, verdict):
    assert sg.check(qid, claim).verdict == verdict


@pytest.mark.parametrize("claim, verdict", [
    (r"f_W(x) \in \mathbb{R}^{1 \times 1 \times 3}, \quad f_W(x)[1, 1, p] = \sum_{c=1}^{5}"
     r"\sum_{k=1}^{3} W[1,c,k] x[c, 2(p-1)+k]", "correct"),
    (r"f_W(x)[1, 2, p] = \sum_{c=1}^{5}\sum_{k=1}^{3} W[1,c,k] x[c, 2(p-1)+k]", "incorrect"),
    (r"f_W(x)[1, 1, p] = \sum_{c=1}^{5}\sum_{k=1}^{3} W[1,c,k] x[c, p+k]", "incorrect"),
])
def test_an_extra_singleton_index_on_the_left(claim, verdict):
    assert sg.check("1.1.c.i", claim).verdict == verdict


@pytest.mark.parametrize("qid, claim, base, verdict", [
    ("1.1.c.ii", r"\left(\frac{\partial f_W(x)}{\partial W}\right)_{j,c,k} = x_{c, 2(j-1) + k}", 1,
     "correct"),
    ("1.1.c.ii", r"\left(\frac{\partial f_W(x)}{\partial W}\right)_{j,c,k} = x_{c, j + k}", 1,
     "incorrect"),
    ("1.1.c.ii", r"\frac{\partial f_W(x)}{\partial W}[j,c,k] = x[c, 2j + k]", 0, "correct"),
    ("1.1.c.iv", r"\left(\frac{\partial \ell}{\partial W}\right)_{c,k} = \sum_{j} g_j "
                 r"x_{c, 2(j-1) + k}", 1, "correct"),
    ("1.1.c.iv", r"\frac{\partial \ell}{\partial W} = \frac{\partial \ell}{\partial f_W(x)} "
                 r"\frac{\partial f_W(x)}{\partial W}", 1, "correct"),
    ("1.1.c.iv", r"\frac{\partial \ell}{\partial W} = \frac{\partial \ell}{\partial f_W(x)} "
                 r"\frac{\partial f_W(x)}{\partial x}", 1, "incorrect"),
])
def test_derivative_entries_without_singleton_axes_and_whole_tensor_chain_rules(
        qid, claim, base, verdict):
    assert sg.check(qid, claim, index_base=base).verdict == verdict


@pytest.mark.parametrize("qid, claim, verdict", [
    ("1.2.1.c", r"\frac{\partial h[t]}{\partial W_{x \ ijk}} = \begin{cases} (1 - c[t])_i * x[k] "
                r"\text{ if } j = i \\ 0 \text{ else} \end{cases}", "correct"),
    ("1.2.1.c", r"\frac{\partial h[t]}{\partial W_{x,ijk}} = \begin{cases} c[t]_i x[t]_k & j = i "
                r"\\ 0 & \text{else}\end{cases}", "incorrect"),
    ("1.2.1.c", r"\frac{\partial h[t]}{\partial W_x} = \mathrm{diag}(1 - c[t]) \otimes x[t]^T",
     "correct"),
    ("1.2.1.c", r"\frac{\partial h[t]}{\partial W_x} = \mathrm{diag}(c[t]) \otimes x[t]^T",
     "incorrect"),
    ("1.2.2.e", r"h[t] = \sum_{i} a_i[t] v_i[t]", "correct"),
    ("1.2.2.e", r"h[t] = \sum_{i=1}^{2} a_i[t] v_i[t]", "incorrect"),
])
def test_seed_235_kronecker_and_slot_sums(qid, claim, verdict):
    assert sg.check(qid, claim).verdict == verdict


def test_definitions_carried_into_shapes_and_with_a_time_index():
    shape = r"f_W(x) \in \mathbb{R}^{1 \times L_{out}}"
    assert sg.check("1.1.c.i", shape, definitions=[r"L_{out} := 3"]).verdict == "correct"
    assert sg.check("1.1.c.i", shape, definitions=[r"L_{out} = 4"]).verdict == "incorrect"
    assert sg.check("1.1.c.i", r"L_{out} = 3, \quad " + shape).verdict == "correct"
    claim = (r"\frac{\partial h[t]}{\partial h[t-1]} = a_1[t] V_1 + a_1[t] s[t] "
             r"(q_1[t]^\top K_1 + k_1[t]^\top Q_1)")
    assert sg.check("1.2.2.e", claim, definitions=[r"s[t] := v_1[t] - h[t]"]).verdict == "correct"
    assert sg.check("1.2.2.e", claim, definitions=[r"s[t] := v_1[t] + h[t]"]).verdict == "incorrect"


@pytest.mark.parametrize("qid, claim, verdict", [
    ("1.1.c.ii", r"\partial f_W(x) / \partial W \in "
                 r"\mathbb{R}^{1 \times 3 \times 1 \times 5 \times 3}", "correct"),
    ("1.1.c.ii", r"\partial f_W(x) / \partial W \in \mathbb{R}^{3 \times 3}", "incorrect"),
    ("1.2.1.c", r"\partial \ell / \partial W_x = \sum_{t=1}^{K} ((1 - c[t]) \odot \delta[t]) "
                r"x[t]^\top", "correct"),
])
def test_slash_derivatives_on_the_left(qid, claim, verdict):
    assert sg.check(qid, claim).verdict == verdict


def test_capital_pi_and_sigma_as_product_and_sum():
    claim = (r"\frac{\partial \ell}{\partial W_x} = \Sigma_{t=1}^{K} ((1 - c[t]) \odot \delta[t]) "
             r"x[t]^\top")
    assert sg.check("1.2.1.c", claim).verdict == "correct"
    from symgrad.notation import parse_expression

    decls = context("1.1.c.i").declarations()
    assert parse_expression(r"\Pi_{k=1}^{3} x_{1, k}", decls) == parse_expression(
        r"\prod_{k=1}^{3} x_{1, k}", decls)


@pytest.mark.parametrize("claim, verdict", [
    (r"h[t] = V a[t] \quad \text{where } V := [v_0[t], v_1[t], v_2[t]]", "correct"),
    (r"h[t] = [v_0[t], v_1[t], v_2[t]] a[t]", "correct"),
    (r"h[t] = [v_0[t], v_2[t], v_1[t]] a[t]", "incorrect"),
    (r"a[t] = \mathrm{softargmax}([w_0[t], w_1[t], w_2[t]])", "correct"),
])
def test_a_list_of_vectors_is_the_matrix_of_those_columns(claim, verdict):
    assert sg.check("1.2.2.e", claim).verdict == verdict


@pytest.mark.parametrize("basis, verdict", [("e_2", "correct"), ("e_1", "incorrect")])
def test_standard_basis_vectors_take_their_length_from_the_formula(basis, verdict):
    claim = (r"\frac{\partial h[t]}{\partial h[t-1]} = a_1[t] V_1 + [v_0[t], v_1[t], v_2[t]] "
             r"\left(\operatorname{diag}(a[t]) - a[t] a[t]^\top\right) " + basis +
             r" \left(k_1[t]^\top Q_1 + q_1[t]^\top K_1\right)")
    assert sg.check("1.2.2.e", claim).verdict == verdict


def test_an_inline_condition_after_a_comma_with_an_equation_in_it():
    claim = (r"\frac{\partial f}{\partial W}[i, j, i', c', k'] = x[c', 2j+k'], \;\; \text{if}\;\; "
             r"i=i' \;\text{else}\; 0.")
    assert sg.check("1.1.c.ii", claim, index_base=0).verdict == "correct"
    assert sg.check("1.1.c.ii", claim.replace("i=i'", r"i \ne i'"), index_base=0
                    ).verdict == "incorrect"


@pytest.mark.parametrize("ranges, verdict", [
    (r"i=0 \;\; j=0, 1, 2 \;\; c=0, 1, 2, 3, 4 \;\; k=0, 1, 2.", "correct"),
    (r"i=0 \;\; j=0, 1, 2 \;\; c=0, 1, 2, 3 \;\; k=0, 1, 2.", "unparsed"),
])
def test_ranges_separated_by_thick_spaces_including_summation_indices(ranges, verdict):
    claim = (r"f_W(x)[i, j] = \sum_{c=0}^{4}\sum_{k=0}^{2}x[c, 2j+k]W[i, c, k], \;\;\;\; "
             + ranges)
    assert sg.check("1.1.c.i", claim, index_base=0).verdict == verdict
