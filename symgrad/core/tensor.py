"""Tensors with SymPy shapes, and the integer symbols used for sizes and indices."""

from __future__ import annotations

import numbers
from collections.abc import Iterable
from dataclasses import dataclass, field

import sympy as sp

from .errors import ShapeError

Dim = sp.Expr


def size(name: str) -> sp.Symbol:
    """A symbolic size: a positive integer, e.g. ``size("n")``."""
    return sp.Symbol(name, integer=True, positive=True)


def index(name: str) -> sp.Symbol:
    """An index variable (0-based internally)."""
    return sp.Symbol(name, integer=True)


def as_expr(value: int | sp.Basic) -> sp.Basic:
    """Our own numbers and SymPy objects as SymPy objects (never a string: no sympify)."""
    if isinstance(value, sp.Basic):
        return value
    if isinstance(value, bool):
        raise ShapeError(f"expected an integer or a SymPy expression, got {value!r}")
    if isinstance(value, int):
        return sp.Integer(value)
    if isinstance(value, float):
        return sp.Float(value)
    raise ShapeError(f"expected an integer or a SymPy expression, got {value!r}")


def as_dim(value: int | sp.Expr, what: str = "size") -> sp.Expr:
    """Validate one dimension: a positive int (NumPy's too), or a SymPy expression."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = int(value)
    if isinstance(value, bool):
        raise ShapeError(f"{what} must be a positive integer or a symbol, got {value!r}")
    if isinstance(value, int):
        if value < 1:
            raise ShapeError(f"{what} must be at least 1, got {value}")
        return sp.Integer(value)
    if isinstance(value, sp.Expr):
        if value.is_number and not (value.is_integer and value >= 1):
            raise ShapeError(f"{what} must be a positive integer, got {value}")
        return value
    raise ShapeError(f"{what} must be a positive integer or a SymPy symbol, got {value!r}")


@dataclass(frozen=True)
class Tensor:
    """A named tensor of a model: its shape and how it is written.

    ``latex`` is the name as a reader writes it (``c[t]``, ``W_x``, ``h[t-1]``);
    ``style`` says how an element is printed: ``"subscript"`` gives ``c[t]_{i}`` and
    ``"bracket"`` gives ``x[c, l]``.
    """

    name: str
    shape: tuple[Dim, ...]
    latex: str = ""
    style: str = "subscript"
    base: sp.IndexedBase = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "shape", tuple(as_dim(d, f"dimension of {self.name}")
                                                for d in self.shape))
        object.__setattr__(self, "latex", self.latex or self.name)
        object.__setattr__(self, "base", sp.IndexedBase(self.name))

    @property
    def rank(self) -> int:
        return len(self.shape)

    def __getitem__(self, idx: sp.Expr | Iterable[sp.Expr]) -> sp.Expr:
        idx = tuple(idx) if isinstance(idx, tuple | list) else (idx,)
        if len(idx) != self.rank:
            raise ShapeError(f"{self.name} has {self.rank} axes, indexed with {len(idx)}")
        if self.rank == 0:
            return sp.Symbol(self.name)
        return self.base[idx]

    def element(self, indices: Iterable[sp.Symbol]) -> sp.Expr:
        return self[tuple(indices)]


def ranges_for(indices: Iterable[sp.Symbol], shape: Iterable[Dim]) -> dict:
    """Inclusive 0-based ranges ``{i: (0, n - 1)}`` of indices over a shape."""
    return {i: (sp.Integer(0), d - 1) for i, d in zip(indices, shape, strict=True)}
