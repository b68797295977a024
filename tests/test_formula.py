"""Element formulas judged by symgrad.verify.formula: the left side's fixed positions."""

import numpy as np
import pytest

import symgrad as sg
from symgrad.problems.hw2_contexts import context


@pytest.mark.parametrize("slot", [0, 1, 2])
def test_a_slot_named_on_the_left_is_read_in_the_questions_own_numbering(slot):
    # AttentionRNN(2) numbers its slots 0, 1, 2 (w_i[t] = q_i[t]^T k_i[t], eq. 6); w_1[t] on the
    # left side is slot 1, not the first entry of w[t] read 1-based
    claim = rf"w_{slot}[t] = q_{slot}[t]^\top k_{slot}[t]"
    assert sg.check("1.2.2.e", claim).verdict == "correct"
    other = (slot + 1) % 3
    wrong = rf"w_{slot}[t] = q_{other}[t]^\top k_{other}[t]"
    assert sg.check("1.2.2.e", wrong).verdict == "incorrect"


def test_the_slot_reading_agrees_with_numpy():
    # the truth of w_1[t] computed here from the instance's own q and k with numpy
    ctx = context("1.2.2.e")
    inst = ctx.instance(0)
    q1, k1 = inst.arrays["q_1"], inst.arrays["k_1"]
    assert np.isclose(inst.arrays["w"][1], q1 @ k1)
    assert sg.check("1.2.2.e", r"w_1[t] = h[t-1]^\top Q_1^\top K_1 h[t-1]").verdict == "correct"
    assert sg.check("1.2.2.e", r"w_1[t] = h[t-1]^\top Q_1 K_1 h[t-1]").verdict == "incorrect"
