"""Index notation -> matrix notation, for results of rank 0, 1 or 2.

Patterns: delta_ij -> identity, T[i,j] -> T, T[j,i] -> T^T, sum_r A[i,r] B[r,j] -> A B,
element-wise products of vectors -> Hadamard, u_i v_j -> u v^T, and vector factors
around a matrix -> diag(...) on the left or right. Anything else has no matrix form
here (``None``), and the index form stands alone.
"""

from __future__ import annotations

from collections.abc import Mapping

import sympy as sp

from .ops import Diag, Hadamard, HadamardDiv, Indicator, InverseEntry, Ones, Transpose
from .printing import IndexPrinter, shift_base
from .tensor import Tensor


class NoMatrixForm(Exception):
    """Internal: the expression does not fit the patterns."""


def _sym(name: str) -> sp.Symbol:
    return sp.Symbol(name, commutative=False)


def _vec(expr: sp.Expr, i: sp.Symbol) -> sp.Expr:
    """An expression element-wise in ``i`` as a (column) vector expression."""
    if i not in expr.free_symbols:
        return expr
    if isinstance(expr, sp.Indexed):
        if expr.indices == (i,):
            return _sym(str(expr.base.label))
        raise NoMatrixForm
    if isinstance(expr, sp.Sum):
        return _core(expr, (i,), ())
    if isinstance(expr, sp.Add):
        return sp.Add(*[_vec(a, i) for a in expr.args])
    if isinstance(expr, sp.Mul):
        scal = [f for f in expr.args if i not in f.free_symbols]
        below = [f.base ** -f.exp for f in expr.args if i in f.free_symbols
                 and isinstance(f, sp.Pow) and f.exp.is_negative]
        vecs = sorted((_vec(f, i) for f in expr.args if i in f.free_symbols and not (
            isinstance(f, sp.Pow) and f.exp.is_negative)), key=_operand_rank)
        body = sp.Integer(1) if not vecs else vecs[0] if len(vecs) == 1 else Hadamard(*vecs)
        if below:  # x_i / y_i: x \oslash y; 1 / y_i: \mathbf{1} \oslash y
            body = HadamardDiv(body, _vec(sp.Mul(*below), i))
        return sp.Mul(*scal) * body
    if isinstance(expr, sp.Heaviside):
        return Indicator(_vec(expr.args[0], i))
    if isinstance(expr, sp.Function) and len(expr.args) == 1:
        return expr.func(_vec(expr.args[0], i))
    if isinstance(expr, sp.Pow) and expr.exp.is_Integer and expr.exp < 0:
        return HadamardDiv(sp.Integer(1), _vec(expr.base ** -expr.exp, i))
    if isinstance(expr, sp.Pow) and expr.exp.is_Integer and 1 < expr.exp <= 4:
        base = _vec(expr.base, i)
        return Hadamard(*[base] * int(expr.exp))
    raise NoMatrixForm


def _operand_rank(v: sp.Expr):
    """Hadamard operands: differences first, then plain vectors, then 1 - c style."""
    if isinstance(v, sp.Add):
        return (2 if any(a.is_number for a in v.args) else 0, sp.default_sort_key(v))
    return (1, sp.default_sort_key(v))


def transpose(expr: sp.Expr) -> sp.Expr:
    """Transpose of a matrix expression, pushed inside products and sums."""
    if isinstance(expr, Transpose):
        return expr.args[0]
    if isinstance(expr, sp.Add):
        return sp.Add(*[transpose(a) for a in expr.args])
    if isinstance(expr, sp.Mul):
        coeff = [f for f in expr.args if f.is_commutative]
        rest = [f for f in expr.args if not f.is_commutative]
        return sp.Mul(*coeff) * sp.Mul(*[transpose(f) for f in reversed(rest)])
    if isinstance(expr, Diag) or expr.is_commutative:
        return expr
    return Transpose(expr)


def _distribute(expr: sp.Expr, idx: set) -> sp.Expr:
    """A product whose sum factors mix the result's indices, multiplied out over them."""
    if not isinstance(expr, sp.Mul):
        return expr
    for n, f in enumerate(expr.args):
        if isinstance(f, sp.Add) and len(f.free_symbols & idx) == 2:
            rest = sp.Mul(*(expr.args[:n] + expr.args[n + 1:]))
            return sp.Add(*[rest * t for t in f.args])
    return expr


def _matrix(expr: sp.Expr, rows: tuple, cols: tuple, dims: tuple = ()) -> sp.Expr:
    """Matrix expression whose (rows, cols) entry is ``expr``; rows/cols hold 0 or 1 index;
    ``dims`` are their sizes (for ones vectors)."""
    spread = _distribute(expr, set(rows) | set(cols))
    if spread is not expr:
        return _matrix(spread, rows, cols, dims)
    if isinstance(expr, sp.Add):
        return sp.Add(*[_matrix(t, rows, cols, dims) for t in expr.args])
    if not rows and cols:
        return transpose(_matrix(expr, cols, ()))
    idx = set(rows) | set(cols)
    factors = sp.Mul.make_args(expr)
    scal = [f for f in factors if not (f.free_symbols & idx)]
    left = [f for f in factors if rows and f.free_symbols & idx == {rows[0]}]
    right = [f for f in factors if cols and f.free_symbols & idx == {cols[0]}]
    mixed = [f for f in factors if len(f.free_symbols & idx) == 2]
    coeff = sp.Mul(*[_scalar(f) for f in scal])
    u = _vec(sp.Mul(*left), rows[0]) if left else None
    v = _vec(sp.Mul(*right), cols[0]) if right else None
    if not cols:
        if u is None and rows:
            return coeff * _ones(dims, 0)
        return coeff * (u if u is not None else 1)
    if not mixed:
        u = u if u is not None else _ones(dims, 0)
        v = v if v is not None else _ones(dims, 1)
        return coeff * u * transpose(v)
    if len(mixed) != 1:
        raise NoMatrixForm
    core = _core(mixed[0], rows, cols)
    if core is sp.S.One:
        parts = [w for w in (u, v) if w is not None]
        if not parts:
            return coeff * _sym("I")
        return coeff * Diag(parts[0] if len(parts) == 1 else Hadamard(*parts))
    out = core
    if u is not None:
        out = Diag(u) * out
    if v is not None:
        out = out * Diag(v)
    return coeff * out


def _ones(dims: tuple, axis: int) -> sp.Expr:
    if len(dims) <= axis:
        raise NoMatrixForm
    return Ones(dims[axis])


def _scalar(f: sp.Expr) -> sp.Expr:
    """A factor free of the result's indices: a number, or an inner product sum."""
    if isinstance(f, sp.Sum) and len(f.limits) == 1:
        r, lo, hi = f.limits[0]
        parts = sp.Mul.make_args(f.function)
        if lo == 0 and all(r in p.free_symbols for p in parts) and not any(
                isinstance(p, sp.Indexed) and len(p.indices) > 1 for p in parts):
            if len(parts) == 1:
                return transpose(Ones(hi + 1)) * _vec(parts[0], r)
        if len(parts) == 2 and all(r in p.free_symbols for p in parts):
            return transpose(_vec(parts[0], r)) * _vec(parts[1], r)
        raise NoMatrixForm
    if f.atoms(sp.Indexed) and not f.is_number:
        indexed = f.atoms(sp.Indexed)
        if any(i.indices for i in indexed):
            return f
    return f


def _core(f: sp.Expr, rows: tuple, cols: tuple) -> sp.Expr:
    if isinstance(f, sp.KroneckerDelta) and rows and cols \
            and set(f.args) == {rows[0], cols[0]}:
        return sp.S.One
    if isinstance(f, sp.Indexed) and len(f.indices) == 2 and rows and cols:
        name = _sym(str(f.base.label))
        if f.indices == (rows[0], cols[0]):
            return name
        if f.indices == (cols[0], rows[0]):
            return Transpose(name)
    if isinstance(f, InverseEntry) and rows and cols:
        inv = _sym(str(f.args[0].label)) ** -1
        if tuple(f.args[1:]) == (rows[0], cols[0]):
            return inv
        if tuple(f.args[1:]) == (cols[0], rows[0]):
            return Transpose(inv)
    if isinstance(f, sp.Sum) and len(f.limits) == 1:
        r = f.limits[0][0]
        factors = sp.Mul.make_args(f.function)
        a = [g for g in factors if rows and rows[0] in g.free_symbols]
        b = [g for g in factors if cols and cols[0] in g.free_symbols and g not in a]
        mid = [g for g in factors if g not in a and g not in b]
        if any(r not in g.free_symbols for g in mid):
            raise NoMatrixForm
        out = _matrix(sp.Mul(*a), rows, (r,)) if a else None
        m = _vec(sp.Mul(*mid), r) if mid else None
        if b:
            right = _matrix(sp.Mul(*b), (r,), cols)
            if m is not None:
                right = Diag(m) * right if out is not None else transpose(m) * right
            return right if out is None else out * right
        if out is None or m is None:
            raise NoMatrixForm
        return out * m
    raise NoMatrixForm


def to_matrix(expr: sp.Expr, indices: tuple, shape: tuple = ()) -> sp.Expr | None:
    """Matrix-notation expression of an element of rank <= 2, or None; ``shape`` (the
    sizes of the indices) lets constant rows or columns be written with ones vectors."""
    if len(indices) > 2:
        return None
    rows, cols = tuple(indices[:1]), tuple(indices[1:2])
    try:
        return _matrix(expr, rows, cols, tuple(shape))
    except NoMatrixForm:
        return None


def latex_matrix(expr: sp.Expr, tensors: Mapping[str, Tensor], index_base: int = 1,
                 printer: type[IndexPrinter] = IndexPrinter, keep=()) -> str:
    """LaTeX of a matrix-notation expression, tensors written as in the model; a sum
    left inside (a normaliser such as sum_k exp(z_k)) follows ``index_base``, except
    sums over the symbols in ``keep`` (time steps)."""
    return printer(tensors).doprint(shift_base(expr, (), index_base, keep))
