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
