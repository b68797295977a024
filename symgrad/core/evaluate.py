"""Numeric evaluation of index expressions: vectorised NumPy over the whole index grid.

An element expression is compiled once (``lambdify`` with a printer that reads tensor
entries through ``value_at``), then called with broadcastable index grids, so one call fills
the whole array. ``value_at`` gives 0 outside a tensor (zero padding) and at non-integral
positions (a dilation that skips an entry).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from functools import lru_cache

import numpy as np
import sympy as sp
from sympy.printing.numpy import NumPyPrinter

from . import ops
from .errors import ShapeError
from .tensor import as_expr


def _inside(i, n: int) -> bool:
    """An integer position (or array of them) inside 0..n-1."""
    if isinstance(i, int):
        return 0 <= i < n
    return (isinstance(i, np.ndarray) and i.dtype.kind in "iu" and i.size > 0
            and i.min() >= 0 and i.max() < n)


def value_at(array: np.ndarray, idx: tuple) -> np.ndarray:
    if all(_inside(i, n) for i, n in zip(idx, array.shape, strict=True)):
        return np.asarray(array[tuple(idx)], dtype=float)  # integer positions inside
    arrays = np.broadcast_arrays(*[np.asarray(i) for i in idx])
    valid = np.ones(arrays[0].shape, dtype=bool)
    ints = []
    for a, n in zip(arrays, array.shape, strict=True):
        r = np.rint(a)
        valid &= (np.abs(r - a) < 1e-9) & (r >= 0) & (r < n)
        ints.append(np.where(valid, r, 0).astype(np.int64))
    ints = [np.where(valid, i, 0) for i in ints]
    return np.where(valid, array[tuple(ints)], 0.0)


def _axis(lo: int, hi: int, ndim: int) -> np.ndarray:
    """The values lo..hi of a summation index on a new leading axis of ``ndim`` axes."""
    return np.arange(lo, hi + 1).reshape((-1,) + (1,) * (ndim - 1))


def _vsum(body, axis: np.ndarray) -> np.ndarray:
    """Sum of ``body`` over the leading axis of ``axis`` (a body free of the index counts
    once per value)."""
    body = np.asarray(body, dtype=float)
    shape = np.broadcast_shapes(body.shape, axis.shape)
    return np.broadcast_to(body, shape).sum(axis=0)


def _span(lo, hi, ndim: int) -> np.ndarray:
    """Every value a window lo..hi takes over the index grids, on a new leading axis (the
    window itself is masked by the table's NumPy form of the max or min)."""
    a, b = int(np.floor(np.min(lo))), int(np.ceil(np.max(hi)))
    return _axis(a, b, ndim)


class _Printer(NumPyPrinter):
    """NumPy code of an element over broadcast index grids; a sum with constant bounds is
    vectorised (its index becomes a new leading axis), not a Python loop."""

    def __init__(self, settings=None, free: int = 0):
        super().__init__(settings)
        self.free = free
        self.depth = 0

    def _print_Sum(self, expr):
        own = {v for v, _, _ in expr.limits}
        inner = [b for s in expr.function.atoms(sp.Sum) for _, lo, hi in s.limits
                 for b in (lo, hi)]
        if not all(lo.is_Integer and hi.is_Integer for _, lo, hi in expr.limits) or any(
                b.free_symbols & own for b in inner):
            return super()._print_Sum(expr)
        return self._sum(expr.function, list(expr.limits))

    def _sum(self, body: sp.Expr, limits: list) -> str:
        """The last limit is the outermost sum; each index a new leading axis."""
        var, lo, hi = limits[-1]
        self.depth += 1
        ndim = self.free + self.depth
        try:
            inner = self._sum(body, limits[:-1]) if len(limits) > 1 else self._print(body)
        finally:
            self.depth -= 1
        name = self._print(var)
        return f"(lambda {name}: _vsum({inner}, {name}))(_axis({lo}, {hi}, {ndim}))"

    def _print_Extremum(self, expr):
        """max_{i=a}^{b} f: the index a new leading axis over the window's span, reduced by
        the table's NumPy form (which masks each grid point's own window)."""
        (var, lo, hi), = expr.limits
        self.depth += 1
        try:
            body = self._print(expr.function)
        finally:
            self.depth -= 1
        name, a, b = self._print(var), self._print(lo), self._print(hi)
        ndim = self.free + self.depth + 1
        op = ops.op_of(expr).name
        return f"(lambda {name}: _op_{op}({body}, {name}, {a}, {b}))(_span({a}, {b}, {ndim}))"

    _print_MaxOver = _print_MinOver = _print_Extremum

    def _print_Indexed(self, expr):
        idx = ", ".join(self._print(i) for i in expr.indices)
        return f"value_at({self._print(expr.base.label)}, ({idx},))"

    def _print_KroneckerDelta(self, expr):
        a, b = (self._print(x) for x in expr.args)
        return f"numpy.equal({a}, {b}).astype(float)"

    def _print_Iverson(self, expr):
        return f"numpy.where({self._print(expr.args[0])}, 1.0, 0.0)"

    def _print_And(self, expr):
        return self._chain("numpy.logical_and", expr.args)

    def _print_Or(self, expr):
        return self._chain("numpy.logical_or", expr.args)

    def _chain(self, fn, args):
        out = self._print(args[0])
        for a in args[1:]:
            out = f"{fn}({out}, {self._print(a)})"
        return out

    def _print_Max(self, expr):
        return self._chain("numpy.maximum", expr.args)

    def _print_Min(self, expr):
        return self._chain("numpy.minimum", expr.args)

    def _print_op(self, expr):
        """An op of the table that NumPy does not know (sigmoid, ReLU, the indicator)
        through the table's NumPy form."""
        op = ops.op_of(expr)
        return f"_op_{op.name}({', '.join(self._print(a) for a in expr.args)})"

    _print_sigmoid = _print_relu = _print_Indicator = _print_Det = _print_AbsDet = _print_op
    _print_LogSumExp = _print_op

    def _print_IndexedBase(self, expr):
        """A tensor as a whole (the argument of det or of an inverse): its array."""
        return self._print(expr.label)

    def _print_InverseEntry(self, expr):
        idx = ", ".join(self._print(i) for i in expr.args[1:])
        return f"value_at(_op_inverse({self._print(expr.args[0])}), ({idx},))"


def _integral(rel: sp.Basic) -> sp.Basic:
    """``rel`` with its rational coefficients cleared: ``0 <= l/3 - j + 2/3`` becomes
    ``0 <= l - 3 j + 2``, so integer index grids compare exactly (not in floating point)."""
    if isinstance(rel, sp.Eq | sp.Ne | sp.Le | sp.Lt | sp.Ge | sp.Gt):
        e = sp.expand(rel.lhs - rel.rhs)
        coeffs = [t.as_coeff_Mul()[0] for t in sp.Add.make_args(e)]
        if all(c.is_Rational for c in coeffs) and any(not c.is_Integer for c in coeffs):
            den = math.lcm(*[int(c.q) for c in coeffs])
            return rel.func(sp.expand(e * den), 0)
    return rel


def exact_conditions(expr: sp.Expr) -> sp.Expr:
    """Every index condition of ``expr`` written over the integers (see ``_integral``)."""
    rels = {r: _integral(r) for r in expr.atoms(sp.Eq, sp.Ne, sp.Le, sp.Lt, sp.Ge, sp.Gt)}
    rels = {k: v for k, v in rels.items() if k != v}
    return expr.xreplace(rels) if rels else expr


# The namespace of the compiled code: our helpers and the numpy module itself (the printer
# writes numpy.tanh, numpy.where, ...). Not the string "numpy": lambdify would run
# ``from numpy import *`` and probe every name, importing numpy.f2py, numpy.testing and
# more (about 90 ms on the first evaluation in a process).
_MODULES = [{"value_at": value_at, "_axis": _axis, "_vsum": _vsum, "_span": _span,
             **{f"_op_{op.name}": op.numpy for op in ops.OPS.values()}}, {"numpy": np}]


@lru_cache(maxsize=512)
def _compiled(expr: sp.Expr, indices: tuple, names: tuple):
    args = list(indices) + [sp.Symbol(n) for n in names]
    printer = _Printer(free=len(indices))
    return sp.lambdify(args, expr, modules=_MODULES, printer=printer, docstring_limit=0)


@lru_cache(maxsize=2048)
def _prepared(expr: sp.Expr, sizes: tuple) -> tuple[sp.Expr, frozenset, frozenset]:
    """``expr`` at the given sizes with exact index conditions, the tensors it reads and
    its free symbols' names (computed once per expression and sizes: a sequence pass
    evaluates the same definitions at every step)."""
    expr = exact_conditions(expr.xreplace({k: sp.Integer(v) for k, v in sizes}))
    return expr, frozenset(tensor_names(expr)), frozenset(s.name for s in expr.free_symbols)


def tensor_names(expr: sp.Expr) -> set[str]:
    """Names of the tensors an element expression reads (entries, and whole tensors as
    the arguments of det or of an inverse)."""
    return {str(b.label) for b in expr.atoms(sp.IndexedBase)}


def evaluate_element(expr: sp.Expr, indices: Sequence[sp.Symbol], shape: Sequence[int],
                     env: Mapping[str, np.ndarray], sizes: Mapping[sp.Symbol, int]
                     ) -> np.ndarray:
    """The array of ``expr`` over every index of ``shape`` (indices 0-based)."""
    key = tuple(sorted(((k, int(v)) for k, v in sizes.items()),
                       key=lambda kv: getattr(kv[0], "name", "")))
    expr, tensors, symbols = _prepared(as_expr(expr), key)
    shape = tuple(int(d) for d in shape)
    names = tuple(sorted(tensors | {n for n in symbols if n in env}))
    missing = [n for n in names if n not in env]
    if missing:
        raise ShapeError(f"evaluate needs the arrays {missing}")
    grids = np.indices(shape, sparse=True) if shape else ()
    fn = _compiled(expr, tuple(indices), names)
    with np.errstate(all="ignore"):
        value = fn(*grids, *[np.asarray(env[n], dtype=float) for n in names])
    return np.broadcast_to(np.asarray(value, dtype=float), shape).copy()


def element_plan(expr: sp.Expr, indices: Sequence[sp.Symbol], shape: Sequence[int],
                 available: frozenset, sizes: Mapping[sp.Symbol, int]):
    """``evaluate_element`` prepared once for many evaluations with the same sizes and
    names (a sequence pass): a function of the arrays, or None if an array is missing."""
    key = tuple(sorted(((k, int(v)) for k, v in sizes.items()),
                       key=lambda kv: getattr(kv[0], "name", "")))
    expr, tensors, symbols = _prepared(as_expr(expr), key)
    shape = tuple(int(d) for d in shape)
    names = tuple(sorted(tensors | {n for n in symbols if n in available}))
    if any(n not in available for n in names):
        return None
    grids = np.indices(shape, sparse=True) if shape else ()
    fn = _compiled(expr, tuple(indices), names)

    def run(env: Mapping[str, np.ndarray]) -> np.ndarray:
        with np.errstate(all="ignore"):
            value = fn(*grids, *[np.asarray(env[n], dtype=float) for n in names])
        return np.broadcast_to(np.asarray(value, dtype=float), shape).copy()

    return run


_MATRIX_HEADS = (ops.Diag, ops.Hadamard, ops.HadamardDiv, ops.Transposed, ops.Ones,
                 ops.Indicator)


def _matrix_op(e: sp.Expr, args: list) -> np.ndarray:
    """diag, \\odot, \\oslash, transpose of matrix-notation values (vectors as columns)."""
    if isinstance(e, ops.Transposed):
        return args[0].T
    if isinstance(e, ops.Diag):
        return np.diag(args[0].ravel())
    if isinstance(e, ops.HadamardDiv):
        with np.errstate(all="ignore"):
            return ops.OPS["oslash"].numpy(args[0], args[1])
    if isinstance(e, ops.Hadamard):
        out = args[0]
        for a in args[1:]:
            out = out * a
        return out
    return ops.OPS["indicator"].numpy(args[0])


def _power(base: np.ndarray, k: int, commutative: bool) -> np.ndarray:
    """A matrix power (X^{-1}, X^2) of a square matrix symbol; else entry by entry."""
    if not commutative and base.ndim == 2 and base.shape[0] == base.shape[1]:
        return np.linalg.matrix_power(base, k)
    return base ** k


def evaluate_matrix(expr: sp.Expr, env: Mapping[str, np.ndarray],
                    sizes: Mapping[sp.Symbol, int]) -> np.ndarray:
    """The value of a matrix-notation expression (``Quantity.matrix``): tensors as named
    arrays, vectors as columns; an independent route to the index form's numbers."""
    subs = {k: sp.Integer(v) for k, v in sizes.items()}
    eye = sp.Symbol("I", commutative=False)
    side: list[int] = []

    def val(e) -> np.ndarray:
        if e == eye and "I" not in env:
            if not side:
                raise ShapeError("the size of the identity I is not known here")
            return np.eye(side[-1])
        if e.is_commutative and not e.has(*_MATRIX_HEADS) and not any(
                not s.is_commutative for s in e.free_symbols):
            return np.asarray(evaluate_element(e, (), (), env, sizes)).reshape(1, 1)
        if isinstance(e, sp.Symbol):
            a = np.asarray(env[e.name], dtype=float)
            return a.reshape(-1, 1) if a.ndim == 1 else a.reshape(a.shape or (1, 1))
        if isinstance(e, ops.Ones):
            return np.ones((int(as_expr(e.args[0]).xreplace(subs)), 1))
        if isinstance(e, _MATRIX_HEADS):
            return _matrix_op(e, [val(a) for a in e.args])
        if isinstance(e, sp.Add):
            plain = [a for a in e.args if not a.has(eye)]
            out = sum((val(a) for a in plain[1:]), val(plain[0])) if plain else None
            rest = [a for a in e.args if a.has(eye)]
            if rest:
                if out is not None:
                    side.append(out.shape[0])
                for a in rest:
                    out = val(a) if out is None else out + val(a)
                if plain:
                    side.pop()
            return out
        if isinstance(e, sp.Mul):
            out = None
            for a in e.args:
                v = val(a)
                if out is None:
                    out = v
                elif out.shape == (1, 1) or v.shape == (1, 1):
                    out = out * v
                else:
                    out = out @ v
            return out
        if isinstance(e, sp.Pow) and e.exp.is_Integer and (e.exp > 0 or not e.base.is_commutative):
            return _power(val(e.base), int(e.exp), e.base.is_commutative)
        op = ops.op_of(e)
        if op is not None and op.elementwise and len(e.args) == 1:
            with np.errstate(all="ignore"):
                return np.asarray(op.numpy(val(e.args[0])), dtype=float)
        raise ShapeError(f"cannot evaluate the matrix form {e}")

    return val(expr)
