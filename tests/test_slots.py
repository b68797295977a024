"""A family's slots written with a letter (symgrad/notation/slots.py)."""

import symgrad as sg
from symgrad.notation.slots import at_slot, slot_letters, unroll_slot_sums


def test_the_letter_of_a_slot_and_the_claim_at_one_slot():
    latex = r"\frac{\partial a_i[t]}{\partial h[t-1]} = a_i[t] (\delta_{i1} - a_1[t]) \sin(x)"
    assert slot_letters(latex) == [("a", "i"), ("a", "i")]
    assert at_slot(latex, "i", 2) == \
        r"\frac{\partial a_2[t]}{\partial h[t-1]} = a_2[t] (\delta_{21} - a_1[t]) \sin(x)"


def test_a_sum_over_the_slots_is_written_out_and_other_sums_are_kept():
    latex = r"y = \sum_{i=0}^{2} \left( v_i[t] a_i[t] \right) + \sum_{j=1}^{n} x_j"
    assert unroll_slot_sums(latex, {"v", "a"}) == (
        r"y = \left(\left( v_0[t] a_0[t] \right) + \left( v_1[t] a_1[t] \right) + "
        r"\left( v_2[t] a_2[t] \right)\right) + \sum_{j=1}^{n} x_j")
    # a body that names no slot by the sum's letter stays
    assert unroll_slot_sums(r"\sum_{i=0}^{2} (x_i)", {"v"}) == r"\sum_{i=0}^{2} (x_i)"
    # not bracketed: the product after the sum, up to the next + (the sum binds it)
    assert unroll_slot_sums(r"\sum_{i=0}^{1} v_i[t] a_i[t] + x", {"v"}) == (
        r"\left(v_0[t] a_0[t]  + v_1[t] a_1[t] \right)+ x")


def test_the_product_rule_over_the_slots_is_judged():
    # h[t] = sum_i a_i[t] v_i[t]: both terms of the product rule are needed
    right = (r"\frac{\partial h[t]}{\partial h[t-1]} = \sum_{i=0}^{2} \left( v_i[t] "
             r"\frac{\partial a_i[t]}{\partial h[t-1]} + a_i[t] \frac{\partial v_i[t]}"
             r"{\partial h[t-1]} \right)")
    assert sg.check("1.2.2.e", right).verdict == "correct"
    half = (r"\frac{\partial h[t]}{\partial h[t-1]} = \sum_{i=0}^{2} \left( v_i[t] "
            r"\frac{\partial a_i[t]}{\partial h[t-1]} \right)")
    assert sg.check("1.2.2.e", half).verdict == "incorrect"


def test_a_sum_over_the_slots_without_brackets_is_judged():
    # h[t] = sum_i a_i[t] v_i[t]; v_i[t] depends on h[t-1] only for i = 1 (V_1 h[t-1])
    right = (r"\frac{\partial h[t]}{\partial h[t-1]} = a_1[t] V_1 + \sum_{i=0}^{2} v_i[t] "
             r"\frac{\partial a_i[t]}{\partial h[t-1]}")
    assert sg.check("1.2.2.e", right).verdict == "correct"
    assert sg.check("1.2.2.e", right.replace("V_1", "V_2")).verdict == "incorrect"
