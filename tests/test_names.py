"""The one resolver of names and time marks (symgrad/notation/names.py)."""

from __future__ import annotations

import pytest
import sympy as sp

from symgrad.core.ops import AtTime
from symgrad.notation import Declarations, TensorDecl, parse_expression

n = sp.Symbol("n", integer=True, positive=True)
DECLS = Declarations((TensorDecl("h", (n,), ("h[t]", "h")), TensorDecl("x", (n,), ("x[t]", "x")),
                      TensorDecl("k_1", (n,), ("k_1[t]",)),
                      TensorDecl("a", (3,), ("a[t]",), base=0)), scalars=("n",))
T = sp.Symbol("t", integer=True)


@pytest.mark.parametrize("text", ["h[t-1]", "h_{t-1}", "h(t-1)", "h^{(t-1)}"])
def test_time_marks_read_alike(text):
    assert parse_expression(text, DECLS) == AtTime(sp.Symbol("h", commutative=False), T - 1)


def test_slots_with_the_time_first():
    assert parse_expression("k_{t,1}", DECLS) == parse_expression("k_1[t]", DECLS)


def test_a_sum_over_a_slot_family_starts_at_its_first_slot():
    e = parse_expression(r"\sum_i a_i[t]", DECLS)
    assert isinstance(e, sp.Sum) and e.limits[0][1:] == (0, 2)
