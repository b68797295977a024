"""LaTeX of what a claim was read as: tensors and time steps as the context writes them."""

from __future__ import annotations

import sympy as sp

from ..core.errors import ShapeError
from ..core.ops import AtTime, Hadamard, Transposed
from ..core.printing import IndexPrinter
from ..core.tensor import Tensor


def _printer(ctx, extra: dict | None = None) -> IndexPrinter:
    tensors = {}
    for t in ctx.tensors.values():
        try:
            tensors[t.name] = Tensor(t.name, tuple(t.shape), t.latex)
        except ShapeError:
            continue
    return IndexPrinter({**tensors, **(extra or {})})


def _timed(expr: sp.Basic, ctx, extra: dict) -> sp.Basic:
    """Time steps of a tensor written in its own notation: x[t] at t - 1 is x[t - 1]."""
    def swap(e):
        head, when = e.args
        spec = ctx.tensors.get(getattr(head, "name", ""))
        if spec is None:
            return e
        at = IndexPrinter({}).doprint(when)
        text = spec.latex.replace("[t]", f"[{at}]") if "[t]" in spec.latex else \
            f"{spec.latex}[{at}]"
        name = f"@{len(extra)}"
        extra[name] = Tensor(name, (), text)
        return sp.Symbol(name, commutative=False)

    return expr.replace(lambda e: isinstance(e, AtTime) and isinstance(e.args[0], sp.Symbol),
                        swap)


def _slots(expr: sp.Basic, ctx, extra: dict) -> sp.Basic:
    """A slot of a vector over slots written as the homework does: a_1[t], v_i[t]."""
    def swap(e):
        spec = ctx.tensors.get(str(e.base.label))
        if spec is None or not spec.latex.endswith("[t]") or "_" in spec.latex:
            return e
        at = IndexPrinter({}).doprint(e.indices[0])
        name = f"@{len(extra)}"
        extra[name] = Tensor(name, (), f"{spec.latex[:-3]}_{{{at}}}[t]")
        return sp.Symbol(name, commutative=e.is_commutative)

    return expr.replace(lambda e: isinstance(e, sp.Indexed) and len(e.indices) == 1
                        and _slotted(ctx, str(e.base.label)), swap)


def _slotted(ctx, name: str) -> bool:
    spec = ctx.tensors.get(name)
    return spec is not None and (spec.family or spec.base == 0)


class _Paren(sp.Function):
    """A Hadamard product inside a matrix product or a transpose, kept in parentheses."""

    nargs = 1

    def _latex(self, printer, exp=None) -> str:
        return r"\left(%s\right)" % printer._print(self.args[0])


def _grouped(expr: sp.Basic) -> sp.Basic:
    def wrap(e):
        args = [_Paren(a) if isinstance(a, Hadamard) else a for a in e.args]
        return e.func(*args)

    return expr.replace(lambda e: isinstance(e, sp.Mul | Transposed)
                        and any(isinstance(a, Hadamard) for a in e.args), wrap)


def printed(expr: sp.Basic, ctx) -> str:
    """An expression of a claim as LaTeX, tensors as the context writes them."""
    extra: dict = {}
    expr = _grouped(_slots(_timed(expr, ctx, extra), ctx, extra))
    return _printer(ctx, extra).doprint(expr)


