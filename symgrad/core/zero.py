"""Cheap exact decisions: a certificate that an index expression is not identically zero.

Every rewrite a symbolic zero test applies (expanding products, splitting sums over their
terms, taking factors out of sums, renaming summation indices) keeps the expression's
value at every point. So if the expression has a nonzero value at one point (concrete
sizes, concrete free indices, concrete tensor entries), no such rewrite can bring it to
0, and the symbolic test need not run. ``certainly_nonzero`` evaluates the expression at
one such point, vectorised (each summation index an axis of its own, as in
``core.evaluate``), in time linear in the size of the expression, where expanding it can
take time exponential in its depth of nested sums.

It answers True only for a value far from rounding error (relative to the sum of the
magnitudes of the terms); otherwise (the value is near 0, or the expression holds
something it does not evaluate) it answers False, and the caller decides symbolically.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping

import numpy as np
import sympy as sp
from sympy.core.relational import Relational

from . import ops
from .evaluate import value_at
from .simplify import Iverson
from .tensor import as_expr

SIZE = 3  # every size symbol takes this value
_MAX_AXES = 32  # NumPy broadcasts up to 32 axes
_TOL = 1e-11  # rounding error is below ops x 2.2e-16 x the magnitude bound


class _Unknown(Exception):
    """The expression holds something this evaluator does not evaluate."""


def _entries(name: str, shape: tuple) -> np.ndarray:
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    return rng.uniform(0.1, 0.6, size=shape)


class Point:
    """One point (sizes, free indices, tensor entries) at which expressions are evaluated;
    values are memoised per subexpression, so sharing a Point among the subexpressions of
    one expression costs one pass over it."""

    def __init__(self, shapes: Mapping[str, tuple], sizes: set) -> None:
        self.shapes = shapes
        self.sizes = {s: SIZE for s in sizes}
        self.arrays: dict[str, np.ndarray] = {}
        self.axes: dict[sp.Symbol, tuple[int, int, int]] = {}  # v: (axis, lo, hi)
        self.free: dict[sp.Symbol, int] = {}
        self.memo: dict[sp.Basic, tuple[np.ndarray, np.ndarray]] = {}

    def certainly_nonzero(self, expr: sp.Expr) -> bool:
        """True when ``expr`` is nonzero at this point (so not identically zero)."""
        try:
            for s in sorted(expr.atoms(sp.Sum), key=sp.default_sort_key):
                for v, lo, hi in s.limits:  # every summation index an axis, first
                    a, b = self._int(lo), self._int(hi)
                    if b < a - 1:
                        raise _Unknown(s)
                    self._bind(v, a, b)
            value, mag = self._value(expr)
        except (_Unknown, ValueError, TypeError, IndexError, KeyError, OverflowError,
                ZeroDivisionError, RuntimeError):
            return False
        value, mag = np.asarray(value, dtype=float), np.asarray(mag, dtype=float)
        if not (np.all(np.isfinite(value)) and np.all(np.isfinite(mag))):
            return False
        return bool(np.any(np.abs(value) > _TOL * np.maximum(mag, 1.0)))

    # evaluation ------------------------------------------------------------------------
    def _int(self, e: sp.Expr) -> int:
        v = np.asarray(self._value(e)[0], dtype=float)
        if v.size != 1 or v.ndim and any(n != 1 for n in v.shape):
            raise _Unknown(e)
        v = float(v.reshape(()))
        if abs(v - round(v)) > 1e-9:
            raise _Unknown(e)
        return int(round(v))

    def _symbol(self, s: sp.Symbol):
        if s in self.axes:
            axis, lo, hi = self.axes[s]
            shape = [1] * _MAX_AXES
            shape[axis] = hi - lo + 1
            a = np.arange(lo, hi + 1, dtype=float).reshape(shape)
            return a, np.abs(a)
        if s in self.sizes:
            return float(self.sizes[s]), float(self.sizes[s])
        if s.is_integer:  # a free index: 1, 0, 2, 1, ... by order of appearance
            v = self.free.setdefault(s, (1, 0, 2)[len(self.free) % 3])
            return float(v), float(v)
        v = float(_entries(s.name, ()))
        return v, v

    def _array(self, name: str) -> np.ndarray:
        if name not in self.arrays:
            if name not in self.shapes:
                raise _Unknown(name)
            dims = []
            for d in self.shapes[name]:
                d = as_expr(d).xreplace({k: sp.Integer(v) for k, v in self.sizes.items()})
                if not d.is_Integer or d < 0:
                    raise _Unknown(name)
                dims.append(int(d))
            self.arrays[name] = _entries(name, tuple(dims))
        return self.arrays[name]

    def _bind(self, v: sp.Symbol, lo: int, hi: int) -> None:
        if v in self.axes:
            if self.axes[v][1:] != (lo, hi):
                raise _Unknown(v)  # one index summed over two ranges
            return
        if v in self.free or len(self.axes) >= _MAX_AXES:
            raise _Unknown(v)
        self.axes[v] = (len(self.axes), lo, hi)

    def _value(self, e: sp.Basic):
        if e in self.memo:
            return self.memo[e]
        out = self._compute(e)
        self.memo[e] = out
        return out

    def _compute(self, e: sp.Basic):  # noqa: C901 (one case per kind of node)
        if e.is_Number:
            v = float(e)
            return v, abs(v)
        if isinstance(e, sp.Symbol):
            return self._symbol(e)
        if isinstance(e, sp.Indexed):
            array = self._array(str(e.base.label))
            if len(e.indices) != array.ndim:
                raise _Unknown(e)
            idx = tuple(np.asarray(self._value(i)[0], dtype=float) for i in e.indices)
            v = value_at(array, idx) if idx else np.asarray(array, dtype=float)
            return v, np.abs(v)
        if isinstance(e, sp.Add):
            vals = [self._value(a) for a in e.args]
            return sum(v for v, _ in vals), sum(m for _, m in vals)
        if isinstance(e, sp.Mul):
            v, m = 1.0, 1.0
            for a in e.args:
                av, am = self._value(a)
                v, m = v * av, m * am
            return v, m
        if isinstance(e, sp.Pow):
            (bv, bm), (xv, _) = self._value(e.base), self._value(e.exp)
            with np.errstate(all="ignore"):
                v = np.power(np.asarray(bv, dtype=float), xv)
                m = np.power(np.asarray(bm, dtype=float), xv) if e.exp.is_nonnegative \
                    else np.abs(v)
            return v, m
        if isinstance(e, sp.Sum):
            bounds = []
            for v, lo, hi in e.limits:
                a, b = self._int(lo), self._int(hi)
                if b < a - 1:
                    raise _Unknown(e)
                self._bind(v, a, b)
                bounds.append((v, a, b))
            val, mag = self._value(e.function)
            for v, a, b in bounds:
                axis = self.axes[v][0]
                val, mag = (self._sum_axis(x, axis, b - a + 1) for x in (val, mag))
            return val, mag
        if isinstance(e, sp.KroneckerDelta):
            a, b = (np.asarray(self._value(x)[0]) for x in e.args)
            v = np.equal(a, b).astype(float)
            return v, v
        if isinstance(e, Iverson):
            v = np.asarray(self._truth(e.args[0]), dtype=float)
            return v, v
        if isinstance(e, sp.Mod):
            a, b = (np.asarray(self._value(x)[0], dtype=float) for x in e.args)
            v = np.mod(a, b)
            return v, np.abs(v)
        op = ops.op_of(e)
        if op is not None and (op.elementwise or op.name in ("max", "min")):
            args = [np.asarray(self._value(a)[0], dtype=float) for a in e.args]
            with np.errstate(all="ignore"):
                v = np.asarray(op.numpy(*args), dtype=float)
            return v, np.abs(v)
        raise _Unknown(e)

    @staticmethod
    def _sum_axis(x, axis: int, length: int):
        x = np.asarray(x, dtype=float)
        if x.ndim < _MAX_AXES:
            x = x.reshape(x.shape + (1,) * (_MAX_AXES - x.ndim)) if x.ndim else \
                x.reshape((1,) * _MAX_AXES)
        if x.shape[axis] == 1:
            return x * length
        return x.sum(axis=axis, keepdims=True)

    def _truth(self, c: sp.Basic):
        if c is sp.true:
            return True
        if c is sp.false:
            return False
        if isinstance(c, sp.And):
            return np.logical_and.reduce([np.asarray(self._truth(a)) for a in c.args])
        if isinstance(c, sp.Or):
            return np.logical_or.reduce([np.asarray(self._truth(a)) for a in c.args])
        if isinstance(c, sp.Not):
            return np.logical_not(self._truth(c.args[0]))
        if isinstance(c, Relational):
            a, b = (np.asarray(self._value(x)[0], dtype=float) for x in (c.lhs, c.rhs))
            fn = {sp.Eq: np.equal, sp.Ne: np.not_equal, sp.Le: np.less_equal,
                  sp.Lt: np.less, sp.Ge: np.greater_equal, sp.Gt: np.greater}.get(type(c))
            if fn is None:
                raise _Unknown(c)
            return fn(a, b)
        raise _Unknown(c)
