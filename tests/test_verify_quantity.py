"""The checker context around one Quantity (verify/quantity.py): sizes it picks."""

from __future__ import annotations

import pytest

import symgrad as sg


@pytest.mark.parametrize("k", [1, 2, None])
def test_symbolic_steps_and_lengths_get_sizes_the_quantity_accepts(k):
    q = sg.AttentionRNN(k=k, input_size=3).grad_state("T", "L")
    assert q.check(q.latex()).verdict == "correct"
    wrong = q.latex().replace("g[T, j] +", "")
    assert wrong != q.latex()
    assert q.check(wrong).verdict == "incorrect"


def test_a_left_side_written_as_an_expression_names_the_quantity():
    q = sg.GatedRNN(3, 4).backward_step()
    for base in (0, 1):
        for form in ("index", "matrix"):
            tex = q.latex(form=form, index_base=base)
            assert q.check(tex, index_base=base).verdict == "correct"
    assert q.check(q.latex().replace(r"c[t]_{j} \delta[t]_{j} +", "")).verdict == "incorrect"
