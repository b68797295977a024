"""Checking hand derivations: a claim in homework LaTeX against a question's context or
one Quantity of the library, with a Verdict (correct, incorrect, layout, unparsed).

    from symgrad.verify import check_claim
    from symgrad.problems.hw2_contexts import context
    check_claim(context("1.1.a"), r"5 \\times 2").verdict   # 'correct'
"""

from __future__ import annotations

from collections.abc import Sequence

from ..core.quantity import Quantity
from ..core.services import provide
from .context import Context, Grid, Instance, TensorSpec, Truth, quantity_truth
from .engine import check
from .quantity import quantity_context
from .verdict import Verdict

__all__ = ["Context", "Grid", "Instance", "TensorSpec", "Truth", "Verdict", "check_claim",
           "check_quantity", "quantity_context", "quantity_truth"]


def check_claim(context: Context, latex: str, index_base: int = 1,
                definitions: Sequence[str] = ()) -> Verdict:
    """Verdict on a claim (shape, element or matrix formula, closed form, system);
    ``definitions`` are the writer's earlier local definitions (``s_p = 2p - 1``)."""
    return check(context, latex, index_base, definitions)


def check_quantity(quantity: Quantity, latex: str, index_base: int = 1) -> Verdict:
    """Verdict on a claim about one Quantity (what ``Quantity.check`` calls)."""
    return check(quantity_context(quantity), latex, index_base)


provide("check_quantity", check_quantity)
