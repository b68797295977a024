"""Windows in a model's equations: sums and maxima over a range of an index that moves
with an index of the left side (1-D pooling, `y_j = \\max_{i=S(j-1)+1}^{S(j-1)+K} x_i`).

A windowed sum becomes a sum over the whole axis its index runs over, the window an
Iverson bracket, so the chain rule and the range-aware simplification need nothing new;
a max or min over a window keeps its window (``core.ops.Extremum``). Either is refused when
its window runs past the axis at some index of the left side, or is not linear in it.
"""

from __future__ import annotations

from collections.abc import Callable

import sympy as sp

from symgrad.core.errors import ShapeError
from symgrad.core.ops import Extremum
from symgrad.core.simplify import Iverson, linear_bounds

ShapeOf = Callable[[str], tuple | None]  # a tensor's shape by its internal name, or None


def windows(expr: sp.Basic, lhs: tuple, shape, shape_of: ShapeOf, base: int,
            site: str) -> sp.Basic:
    """``expr`` with its moving windows read (see the module); other sums unchanged."""
    dims = dict(zip(lhs, shape or ()))

    def whole(s: sp.Sum) -> sp.Expr:
        limits, window = [], []
        for v, lo, hi in s.limits:
            size = axis_size(s.function, v, shape_of)
            if not ({*lo.free_symbols, *hi.free_symbols} & set(lhs)) or size is None:
                limits.append((v, lo, hi))
                continue
            window_inside(lo, hi, size, dims, v, base, site)
            limits.append((v, sp.Integer(0), size - 1))
            window += [sp.Le(lo, v), sp.Le(v, hi)]
        if not window:
            return s
        return sp.Sum(s.function * Iverson(sp.And(*window)), *limits)

    for e in expr.atoms(Extremum):  # a max's window is kept, and must fit its axis
        (v, lo, hi), = e.limits
        size = axis_size(e.function, v, shape_of)
        if size is not None:
            moving = bool({*lo.free_symbols, *hi.free_symbols} & set(lhs))
            window_inside(lo, hi, size, dims, v, base, site, moving)
    return expr.replace(lambda e: isinstance(e, sp.Sum), whole)


def window_inside(lo, hi, size, dims: dict, v: sp.Symbol, base: int, site: str,
                  moving: bool = True) -> None:
    """Refuse a window that is not linear in the left side's indices or that runs past
    the axis it covers at some index (it would be read as cut short)."""
    ranges = {i: (sp.Integer(0), d - 1) for i, d in dims.items()}
    low, high = linear_bounds(lo, ranges), linear_bounds(hi, ranges)
    w = v.name.split("_")[0]
    if low is None or high is None or (moving and not dims):
        raise ShapeError(f"{site}: the bounds over {w} depend on an index of the left side; "
                         f"declare the left side's shape, and write a window linear in its "
                         f"index (\\sum_{{i=S(j-1)+1}}^{{S(j-1)+K}})")
    if sp.simplify(low[0]).is_negative or sp.simplify(high[1] - size + 1).is_positive:
        raise ShapeError(f"{site}: the window over {w} runs from {low[0] + base} to "
                         f"{high[1] + base} at some index of the left side, past its axis "
                         f"({base}..{size - 1 + base}); declare the shapes so that every "
                         f"window fits")


def axis_size(body: sp.Expr, v: sp.Symbol, shape_of: ShapeOf) -> sp.Expr | None:
    """The size of the axis that ``v`` indexes alone in ``body`` (one size, or None)."""
    sizes = set()
    for e in body.atoms(sp.Indexed):
        shape = shape_of(str(e.base.label))
        if not shape:
            continue
        sizes |= {shape[axis] for axis, i in enumerate(e.indices)
                  if i == v and axis < len(shape)}
    return sizes.pop() if len(sizes) == 1 else None
