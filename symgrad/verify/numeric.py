"""Vectorised NumPy evaluation of a claim's right side over a whole index grid.

A value is an array whose leading axes are the index axes (one per free index of the
left side, one per summation), broadcast, followed by the axes of a matrix-notation
value (vectors are columns, n x 1). Products of whole tensors follow the written order;
indices keep the claim's base (a tensor entry at written position p is array[p - base]);
time is written as in the homework, from 1 (h[0] = 0 is the initial state).
No user text is evaluated: only the SymPy tree the parser built is walked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import sympy as sp
from sympy.core.relational import Relational

from ..core.errors import LimitError, SymgradError
from ..core.ops import (
    At,
    AtTime,
    Diag,
    Extremum,
    Hadamard,
    HadamardDiv,
    Softargmax,
    Stack,
    Transposed,
    numpy_forms,
    op_of,
)
from ..core.simplify import Iverson
from ..notation import IDENTITY, ONES, Kron, UnitVector, VStack

MAX_ENTRIES = 30_000_000
MAX_FACTORS = 1000
TIME_BASE = 1


class ClaimProblem(Exception):
    """The claim is wrong in a way that can be said (incorrect, with this message)."""


class Mismatch(ClaimProblem):
    """A product whose factors' shapes do not fit."""


class Unreadable(Exception):
    """A construct the checker cannot evaluate (unparsed, naming the construct)."""

    def __init__(self, message: str, construct: str) -> None:
        super().__init__(message)
        self.construct = construct


_LAZY = {"eye": "identity I", "col": "ones vector 1", "row": "row of ones 1^T",
         "mat": "matrix of ones 1 1^T", "unit": "basis vector e_k", "urow": "row e_k^T"}


@dataclass
class Val:
    """``a``: leading index axes, then ``m`` trailing matrix axes."""

    a: np.ndarray
    m: int = 0
    lazy: str = ""  # a multiple (a) of I ("eye"), 1 ("col"), 1^T ("row") or 1 1^T ("mat"),
    #                 or of e_k ("unit", k = ``pos`` 0-based), its size not yet known
    pos: int = 0

    @property
    def trail(self) -> tuple:
        return self.a.shape[self.a.ndim - self.m:] if self.m else ()


@dataclass(frozen=True)
class Env:
    bind: dict = field(default_factory=dict)
    active: np.ndarray | None = None
    time: np.ndarray | None = None


@dataclass(frozen=True)
class Source:
    """Where a claim's tensors come from: one step's arrays and, for sums over time,
    time-stacked series (row r is the written time r + base)."""

    arrays: dict
    sizes: dict
    shapes: dict
    latex: dict
    series: dict = field(default_factory=dict)
    zero_before: frozenset = frozenset()
    padded: frozenset = frozenset()
    zero_outside: frozenset = frozenset()
    bases: dict = field(default_factory=dict)
    singles: dict = field(default_factory=dict)
    show: Callable = sp.latex
    time: str | None = None
    now: int = 0
    families: frozenset = frozenset()
    rows: frozenset = frozenset()


def dims_text(shape) -> str:
    return " x ".join(str(d) for d in shape) if shape else "1"


def _fmt(v) -> str:
    v = float(v)
    return str(int(v)) if v.is_integer() else f"{v:.4g}"


ELEMENTWISE = numpy_forms()  # the NumPy forms of core's one table of operations


class Evaluator:
    """Evaluates one right side over the grid of ``free`` (name, size) indices."""

    def __init__(self, source: Source, index_base: int, free: list[tuple[str, int]],
                 expr: sp.Basic, clock: str | None = None,
                 starts: dict[str, int] | None = None) -> None:
        self.src = source
        self.base = index_base
        self.free = free
        # ``clock``: a free index that is the time step (its grid sets the step that h[t]
        # reads); ``starts``: the first value of a free index other than the index base
        self.clock = clock
        self.starts = dict(starts or {})
        self.axes: dict = {}
        self._allocate(expr)
        self.n = len(free) + len(self.axes)
        self.findings: list[str] = []
        self.outside: set[str] = set()  # the tensors read outside their entries
        self.notes: set[str] = set()
        self.hint: tuple | None = None  # the true value's matrix shape, where it is known

    # structure ----------------------------------------------------------------
    def _allocate(self, expr: sp.Basic) -> None:
        for node in sp.preorder_traversal(expr):
            if isinstance(node, sp.Sum | Extremum):
                for k in range(len(node.limits)):
                    self.axes.setdefault((node, k), len(self.free) + len(self.axes))

    def grid_env(self) -> Env:
        bind = {}
        for k, (name, size) in enumerate(self.free):
            shape = [1] * self.n
            shape[k] = size
            bind[name] = Val(np.arange(size, dtype=float).reshape(shape)
                             + self.starts.get(name, self.base))
        clock = bind[self.clock].a if self.clock in bind else None
        return Env(bind, time=clock)

    def run(self, expr: sp.Basic, trail: tuple | None = None,
            other: tuple | None = None) -> Val:
        """The value of ``expr``; an identity or ones vector whose size the formula does not
        set takes ``trail`` (the true value's matrix shape), or ``other`` (the other layout
        of a scalar's derivative: 1^T as the 1 x n row) where ``trail`` does not fit."""
        self.hint = trail
        with np.errstate(all="ignore"):
            v = self.ev(expr, self.grid_env())
        if v.lazy:
            if trail is None and v.lazy == "col" and self.free:
                return Val(v.a)  # an entry of the ones vector: the number 1
            if trail is None:
                raise Unreadable(f"the {_LAZY[v.lazy]}, whose size the formula does not set",
                                 "identity" if v.lazy == "eye" else "ones vector")
            try:
                v = self._sized(v, trail, "equals")
            except ClaimProblem:
                if other is None:
                    raise
                v = self._sized(v, other, "equals")
        return v

    def const(self, x) -> Val:
        return Val(np.asarray(x, dtype=float).reshape((1,) * self.n))

    def _guard(self, v: Val) -> Val:
        if v.a.size > MAX_ENTRIES:
            raise LimitError(f"checking this claim would need {v.a.size} entries at once "
                             f"(limit {MAX_ENTRIES}); check it on smaller sizes")
        return v

    # dispatch -----------------------------------------------------------------
    def ev(self, e: sp.Basic, env: Env) -> Val:
        """The value of ``e``; an unexpected failure names the innermost construct."""
        try:
            if (not isinstance(e, (sp.Add, sp.Mul, sp.Symbol, Transposed, Hadamard))
                    and e.args and (e.has(IDENTITY) or e.has(ONES))):
                raise Unreadable(f"the identity I or ones vector inside "
                                 f"{type(e).__name__.lower()}(...); only sums and products of "
                                 f"them with matrices are read", "identity")
            return self._dispatch(e, env)
        except (ClaimProblem, Unreadable, SymgradError):
            raise
        except Exception as exc:
            raise Unreadable(f"the checker could not evaluate {self._shown(e)} "
                             f"({type(exc).__name__}: {exc})", type(e).__name__) from exc

    def _shown(self, e: sp.Basic) -> str:
        try:
            return self._latex(e)
        except Exception:
            return type(e).__name__

    def _dispatch(self, e: sp.Basic, env: Env) -> Val:
        if isinstance(e, sp.Sum):
            return self._sum(e, env)
        if isinstance(e, Extremum):
            return self._extremum(e, env)
        if isinstance(e, sp.Product):
            return self._product(e, env)
        if isinstance(e, sp.Indexed):
            return self._indexed(e, env)
        if isinstance(e, sp.Symbol):
            return self._symbol(e, env)
        if e is sp.true or e is sp.false:
            return Val(np.full((1,) * self.n, bool(e)))
        if isinstance(e, sp.Number) or e in (sp.pi, sp.E):
            return self.const(float(e))
        if isinstance(e, sp.Add):
            terms = sorted((self.ev(a, env) for a in e.args), key=lambda v: bool(v.lazy))
            out = terms[0]
            for v in terms[1:]:
                out = self._combine(out, v, np.add, "adds")
            return self._guard(out)
        if isinstance(e, sp.Mul):
            return self._mul(e, env)
        if isinstance(e, sp.Pow):
            return self._pow(e, env)
        if isinstance(e, sp.Piecewise):
            return self._piecewise(e, env)
        if isinstance(e, sp.KroneckerDelta):
            a, b = (self.ev(x, env) for x in e.args)
            return Val((a.a == b.a).astype(float))
        if isinstance(e, Iverson):
            return Val(self.ev(e.args[0], env).a.astype(float))
        if isinstance(e, Relational | sp.And | sp.Or | sp.Not):
            return self._logic(e, env)
        if isinstance(e, sp.Mod):
            a, b = (self.ev(x, env) for x in e.args)
            return Val(np.mod(a.a, b.a))
        if isinstance(e, sp.Min | sp.Max):
            fn = np.minimum if isinstance(e, sp.Min) else np.maximum
            out = self.ev(e.args[0], env)
            for a in e.args[1:]:
                out = self._combine(out, self.ev(a, env), fn, "compares")
            return out
        if isinstance(e, HadamardDiv) or getattr(op_of(e), "matrix", False):
            return self._table_function(e, env)
        if isinstance(e, sp.Function):
            return self._function(e, env)
        raise Unreadable(f"the checker cannot evaluate {type(e).__name__}", type(e).__name__)

    # tensors ------------------------------------------------------------------
    def _symbol(self, e: sp.Symbol, env: Env) -> Val:
        name = e.name
        if e == IDENTITY:
            return Val(self.const(1.0).a, 0, "eye")
        if e == ONES:
            return Val(self.const(1.0).a, 0, "col")
        if name in env.bind:
            return env.bind[name]
        if e.is_integer and name in self.src.sizes:
            return self.const(self.src.sizes[name])  # \sum_{k=1}^{h}: the size h, not h
        if name in self.src.shapes:
            return self._whole(name, env.time)
        if name in self.src.sizes:
            return self.const(self.src.sizes[name])
        if name == self.src.time:
            return self.const(self.src.now + TIME_BASE)
        raise ClaimProblem(f"{name} is neither an index bound on the left side, a "
                           f"summation index, a declared size nor a tensor of this question")

    def _rows(self, name: str, time: np.ndarray) -> np.ndarray:
        """Rows of ``name``'s series at written times (negative before the first step,
        where only a state with a zero initial value, like h[0] = 0, may be read)."""
        rows = np.rint(time).astype(np.int64) - TIME_BASE
        data = self.src.series[name]
        early = rows < (np.iinfo(np.int64).min if name in self.src.zero_before else 0)
        if early.any():
            raise ClaimProblem(f"{self.src.latex.get(name, name)} is read at time "
                               f"{_fmt(time.ravel()[np.argmax(early.ravel())])}, before "
                               f"the first step")
        if (rows >= data.shape[0]).any():
            raise ClaimProblem(f"{self.src.latex.get(name, name)} is read past the last "
                               f"step {data.shape[0] - 1 + TIME_BASE}")
        return rows

    def _whole(self, name: str, time: np.ndarray | None) -> Val:
        """A whole tensor in matrix notation: vectors as columns."""
        if time is not None and name in self.src.series:
            data, rows = self.src.series[name], self._rows(name, time)
            zero = rows < 0
            arr = data[np.where(zero, 0, rows)]
            arr = np.where(zero.reshape(zero.shape + (1,) * (data.ndim - 1)), 0.0, arr)
            return self._as_matrix(arr, data.ndim - 1, name in self.src.rows)
        arr = np.asarray(self.src.arrays[name], dtype=float)
        return self._as_matrix(arr.reshape((1,) * self.n + arr.shape), arr.ndim,
                               name in self.src.rows)

    def _as_matrix(self, arr: np.ndarray, rank: int, row: bool = False) -> Val:
        """Matrix notation: a vector is a column (a row when ``row``)."""
        if rank == 0:
            return Val(arr)
        if rank == 1:
            return Val(arr[..., None, :] if row else arr[..., None], 2)
        return Val(arr, rank)

    def _indexed(self, e: sp.Indexed, env: Env) -> Val:
        name = str(e.base.label)
        if name not in self.src.shapes:
            raise ClaimProblem(f"{name} is not a tensor of this question")
        shape = self.src.shapes[name]
        idx = list(e.indices)
        written = self._latex(e)
        if name in self.src.families and len(idx) < len(shape):
            return self._slot(e, env)
        if len(idx) != len(shape):
            single = self.src.singles.get(name, ())
            keep = [k for k in range(len(shape)) if k not in single]
            if len(idx) == 1 and len(keep) > 1 and isinstance(idx[0], sp.Mul) and len(
                    idx[0].free_symbols) > 1:
                # W_{ic'(k'-2j)} read as one index: the subscript was not split
                raise Unreadable(f"{written} gives one index to "
                                 f"{self.src.latex.get(name, name)}, which has {len(shape)} "
                                 f"axes ({dims_text(shape)}); separate its indices with commas",
                                 "subscript")
            if len(idx) != len(keep):
                raise ClaimProblem(
                    f"{self.src.latex.get(name, name)} has {len(shape)} axes "
                    f"({dims_text(shape)}) but {written} gives {len(idx)} "
                    f"ind{'ex' if len(idx) == 1 else 'ices'}")
            full = [sp.Integer(self.src.bases.get(name, self.base))] * len(shape)
            for k, v in zip(keep, idx, strict=True):
                full[k] = v
            idx = full
        pos = [self.ev(i, env) for i in idx]
        if any(p.m for p in pos):
            raise ClaimProblem(f"an index of {written} is a vector, not a number")
        if env.time is not None and name in self.src.series:
            data, rows = self.src.series[name], self._rows(name, env.time)
            return Val(self._gather(data, [Val(rows.astype(float) + TIME_BASE)] + pos,
                                    name, written, env, time_axis=True))
        arr = np.asarray(self.src.arrays[name], dtype=float)
        return Val(self._gather(arr, pos, name, written, env))

    def _slot(self, e: sp.Indexed, env: Env) -> Val:
        """`v_i[t]` of a slot family: slot i (the first axis, from 0) in matrix notation,
        or one of its entries when more indices follow the slot."""
        name = str(e.base.label)
        arr = np.asarray(self.src.arrays[name], dtype=float)
        pos = [self.ev(i, env) for i in e.indices]
        if any(p.m for p in pos):
            raise ClaimProblem(f"an index of {self._latex(e)} is a vector, not a number")
        picked = self._gather(arr, pos, name, self._latex(e), env, prefix=True)
        return self._as_matrix(picked, arr.ndim - len(pos), name in self.src.rows)

    def _gather(self, arr: np.ndarray, pos: list[Val], name: str, written: str, env: Env,
                time_axis: bool = False, prefix: bool = False) -> np.ndarray:
        """Entries of ``arr`` at the positions ``pos`` (all axes, or the leading ones when
        ``prefix``: the rest are kept as trailing axes); 0 outside the tensor."""
        arrays = np.broadcast_arrays(*[p.a for p in pos])
        valid = np.ones(arrays[0].shape, dtype=bool)
        ints = []
        family = name in self.src.families
        for k, (p, n) in enumerate(zip(arrays, arr.shape[:len(arrays)], strict=True)):
            base = TIME_BASE if time_axis and k == 0 else self.src.bases.get(name, self.base)
            if family:
                base = self.src.bases.get(name, 0) if k == 0 else self.base
            r = np.rint(p) - base
            ok = (np.abs(r + base - p) < 1e-9) & (r >= 0) & (r < n)
            if time_axis and k == 0:
                ok = np.ones_like(ok)
            if name not in self.src.padded and not (time_axis and k == 0):
                self._report(~ok, env, name, written, k - int(time_axis), p)
            valid &= ok
            ints.append(np.where(ok, r, 0).astype(np.int64))
        ints = [np.where(valid, i, 0) for i in ints]
        if time_axis:
            zero = ints[0] < 0
            ints[0] = np.where(zero, 0, ints[0])
            valid &= ~zero
        picked = arr[tuple(ints)]
        if prefix:
            valid = valid.reshape(valid.shape + (1,) * (picked.ndim - valid.ndim))
        return np.where(valid, picked, 0.0)

    def _report(self, bad: np.ndarray, env: Env, name: str, written: str, axis: int,
                pos: np.ndarray) -> None:
        if env.active is not None:
            bad = bad & env.active
        if not bad.any():
            return
        self.outside.add(name)
        if len(self.findings) >= 3:
            return
        fields = [v.a for v in env.bind.values() if v.m == 0]
        bad = np.broadcast_to(bad, np.broadcast_shapes(bad.shape, *[f.shape for f in fields]))
        where = np.unravel_index(int(np.argmax(bad.ravel())), bad.shape)
        shape = self.src.shapes[name]
        at = []
        for sym, v in env.bind.items():
            b = np.broadcast_to(v.a, bad.shape) if v.m == 0 else None
            if b is not None and v.a.size > 1:
                at.append(f"{sym} = {_fmt(b[where])}")
        value = _fmt(np.broadcast_to(pos, bad.shape)[where])
        lo = self.src.bases.get(name, self.base)
        if name in self.src.families and axis > 0:
            lo = self.base
        hi = lo + int(shape[axis]) - 1
        text = (f"{self.src.latex.get(name, name)} has {dims_text(shape)} entries; "
                f"{written} reaches position {value} on axis {axis + self.base} "
                f"(valid {lo}..{hi})" + (f" at {', '.join(at)}" if at else ""))
        if text not in self.findings:
            self.findings.append(text)

    def _latex(self, e: sp.Basic) -> str:
        return self.src.show(e)

    # arithmetic ---------------------------------------------------------------
    def _lift(self, v: Val, trail: tuple) -> Val:
        return Val(v.a.reshape(v.a.shape + (1,) * len(trail)), len(trail))

    def _sized(self, v: Val, trail: tuple, verb: str) -> Val:
        """A lazy multiple of I, 1, 1^T or 1 1^T as a matrix of the given shape."""
        if not v.lazy:
            return v
        fits = {"eye": len(trail) == 2 and trail[0] == trail[1], "col": trail[1:] == (1,),
                "row": trail[:1] == (1,), "mat": len(trail) == 2,
                "unit": trail[1:] == (1,) and 0 <= v.pos < trail[0],
                "urow": trail[:1] == (1,) and 0 <= v.pos < trail[-1]}[v.lazy] and len(trail) == 2
        if not fits:
            raise ClaimProblem(f"the right side {verb} the {_LAZY[v.lazy]} and a "
                               f"{dims_text(trail) if trail else 'scalar'} operand")
        if v.lazy in ("unit", "urow"):
            base = np.zeros(trail)
            base[(v.pos, 0) if v.lazy == "unit" else (0, v.pos)] = 1.0
        else:
            base = np.eye(trail[0]) if v.lazy == "eye" else np.ones(trail)
        return Val(v.a[..., None, None] * base, 2)

    def _combine(self, x: Val, y: Val, op, verb: str) -> Val:
        if x.lazy or y.lazy:
            if x.lazy and y.lazy:
                if x.lazy != y.lazy and self.hint is not None and len(self.hint) == 2:
                    # I - 1/n 1 1^T: sized by the other side of the claim
                    x, y = self._sized(x, self.hint, verb), self._sized(y, self.hint, verb)
                    return Val(op(x.a, y.a), 2)
                if x.lazy != y.lazy:
                    raise Unreadable(f"the {_LAZY[x.lazy]} and the {_LAZY[y.lazy]} together, "
                                     f"with no size set by the rest of the formula", "ones vector")
                return Val(op(x.a, y.a), 0, x.lazy)
            lazy, other = (x, y) if x.lazy else (y, x)
            if not other.m:
                if lazy.lazy == "eye":
                    raise Unreadable(f"the identity I {verb} a scalar, with no size set by the "
                                     f"rest of the formula", "identity")
                return Val(op(x.a, y.a), 0, lazy.lazy)
            if x.lazy:
                x = self._sized(x, y.trail, verb)
            else:
                y = self._sized(y, x.trail, verb)
        if x.m != y.m or x.trail != y.trail:
            if x.m == 0:
                x = self._lift(x, y.trail)
            elif y.m == 0:
                y = self._lift(y, x.trail)
            elif x.trail != y.trail:
                raise ClaimProblem(f"the right side {verb} a {dims_text(x.trail)} and a "
                                   f"{dims_text(y.trail)} operand")
        return Val(op(x.a, y.a), max(x.m, y.m))

    def _mul(self, e: sp.Mul, env: Env) -> Val:
        out: Val | None = None
        loose = False
        for f in e.args:
            v = self.ev(f, env)
            # a commutative factor that is not a number (a slot v_i[t]) may have been
            # moved ahead of the matrices it was written after
            loose = loose or (f.is_commutative and v.m > 0 and v.trail != (1, 1))
            try:
                out = v if out is None else self._times(out, v)
            except ClaimProblem as exc:
                if loose:
                    raise Unreadable(f"{exc}, and the order in which the factors of "
                                     f"{self._shown(e)} were written was not kept when it "
                                     f"was read", "slot vector product") from None
                raise
        return out

    def _times(self, out: Val, v: Val) -> Val:
        """One product in written order: scalars scale, matrices multiply, and a tensor
        with more axes contracts its first axis with the last axis of the left factor."""
        if out.lazy or v.lazy:
            return self._lazy_times(out, v)
        if out.m == 0 or v.m == 0 or out.trail == (1, 1) or v.trail == (1, 1):
            return self._scalar_times(out, v)
        if out.m == 2 and v.m == 2:
            if out.trail == v.trail and out.trail[1] == 1 and out.trail[0] > 1:
                self.notes.add("two juxtaposed vectors read as an element-wise product")
                return self._guard(Val(out.a * v.a, 2))
            if out.trail[1] != v.trail[0]:
                raise Mismatch(f"the right side multiplies a {dims_text(out.trail)} "
                               f"by a {dims_text(v.trail)} matrix: the shapes do not fit")
            return self._guard(Val(np.matmul(out.a, v.a), 2))
        if out.trail[-1] != v.trail[0] and v.m > out.m and v.trail[:out.m] == out.trail:
            # the chain rule over all axes: dl/dy (shape of y) times dy/dW (y's axes, W's)
            self.notes.add("the product contracts every axis of the left factor with the "
                           "leading axes of the right (the chain rule over whole tensors)")
            n = int(np.prod(out.trail))
            right = v.trail[out.m:]
            a = out.a.reshape(out.a.shape[:out.a.ndim - out.m] + (1, n))
            b = v.a.reshape(v.a.shape[:v.a.ndim - v.m] + (n, int(np.prod(right))))
            prod = np.matmul(a, b)
            return self._guard(Val(prod.reshape(prod.shape[:-2] + right), len(right)))
        if out.trail[-1] != v.trail[0]:
            raise Mismatch(f"the right side multiplies a {dims_text(out.trail)} by a "
                           f"{dims_text(v.trail)} tensor: the shapes do not fit")
        left, right = out.trail[:-1], v.trail[1:]
        a = out.a.reshape(out.a.shape[:out.a.ndim - out.m] + (int(np.prod(left)), out.trail[-1]))
        b = v.a.reshape(v.a.shape[:v.a.ndim - v.m] + (v.trail[0], int(np.prod(right))))
        prod = np.matmul(a, b)
        return self._guard(Val(prod.reshape(prod.shape[:-2] + left + right),
                               len(left) + len(right)))

    def _lazy_times(self, out: Val, v: Val) -> Val:
        """Products with I, 1 or 1^T: sized by the factor beside them where it fits."""
        if not (out.lazy and v.lazy):
            lazy, other = (out, v) if out.lazy else (v, out)
            if not other.m:
                return Val(lazy.a * other.a, 0, lazy.lazy)
            if out.lazy:
                n = v.trail[0]
                trail = {"eye": (n, n), "row": (1, n), "urow": (1, n)}.get(out.lazy)
            else:
                n = out.trail[-1]
                trail = {"eye": (n, n), "col": (n, 1), "unit": (n, 1)}.get(v.lazy)
            if trail is None:
                raise Unreadable(f"the {_LAZY[lazy.lazy]} in a product that does not set its "
                                 f"size", "ones vector")
            sized = self._sized(lazy, trail, "multiplies")
            return self._times(sized, v) if out.lazy else self._times(out, sized)
        pair = (out.lazy, v.lazy)
        kind = {("col", "row"): "mat", ("eye", "eye"): "eye", ("eye", "col"): "col",
                ("row", "eye"): "row", ("eye", "mat"): "mat", ("mat", "eye"): "mat"}.get(pair)
        if kind is None:
            raise Unreadable(f"the product of the {_LAZY[out.lazy]} and the {_LAZY[v.lazy]}, "
                             f"whose sizes the formula does not set", "ones vector")
        return Val(out.a * v.a, 0, kind)

    def _scalar_times(self, x: Val, y: Val) -> Val:
        if x.m and x.trail == (1, 1) and y.m:
            x = Val(x.a[..., 0, 0])
        if y.m and y.trail == (1, 1) and x.m:
            y = Val(y.a[..., 0, 0])
        return self._combine(x, y, np.multiply, "multiplies")

    def _pow(self, e: sp.Pow, env: Env) -> Val:
        b = self.ev(e.base, env)
        x = self.ev(e.exp, env)
        if x.m:
            raise Unreadable("a matrix exponent", "power")
        if b.m == 2 and b.trail[0] == b.trail[1] > 1 and not e.base.is_commutative:
            k = float(x.a.ravel()[0])
            if x.a.size == 1 and k.is_integer():
                return Val(np.linalg.matrix_power(b.a, int(k)), 2)
            raise Unreadable("a non-integer power of a matrix", "matrix power")
        return self._combine(b, x, np.power, "raises")

    def _function(self, e: sp.Function, env: Env) -> Val:
        fn = type(e)
        if fn in ELEMENTWISE and len(e.args) == 1:
            v = self.ev(e.args[0], env)
            return Val(ELEMENTWISE[fn](v.a), v.m)
        if fn in (sp.Max, sp.Min):
            op = np.maximum if fn is sp.Max else np.minimum
            vals = [self.ev(a, env) for a in e.args]
            out = vals[0]
            for v in vals[1:]:
                out = self._combine(out, v, op, "compares")
            return out
        if fn is UnitVector:
            k = self.ev(e.args[0], env).a
            if k.size != 1 or not float(k.ravel()[0]).is_integer():
                raise Unreadable("e_k with a position that is not one whole number", "unit vector")
            return Val(self.const(1.0).a, 0, "unit", int(k.ravel()[0]) - self.base)
        if fn is Kron:
            a, b = (self.ev(x, env) for x in e.args)
            if a.m != 2 or b.m != 2:
                raise ClaimProblem("a Kronecker product \\otimes needs two matrices")
            (p, q), (r, w) = a.trail, b.trail
            out = a.a[..., :, None, :, None] * b.a[..., None, :, None, :]
            return self._guard(Val(out.reshape(out.shape[:-4] + (p * r, q * w)), 2))
        if fn is Transposed:
            v = self.ev(e.args[0], env)
            if v.lazy:
                return Val(v.a, 0, {"col": "row", "row": "col", "unit": "urow",
                                    "urow": "unit"}.get(v.lazy, v.lazy), v.pos)
            if v.m == 0:
                return v
            if v.m != 2:
                raise Unreadable("the transpose of a tensor with more than two axes",
                                 "transpose")
            return Val(np.swapaxes(v.a, -1, -2), 2)
        if fn is Diag:
            v = self._vector(self.ev(e.args[0], env), "diag")
            n = v.trail[0]
            return Val(v.a * np.eye(n), 2)
        if fn is Hadamard:
            vals = [self.ev(a, env) for a in e.args]
            out = vals[0]
            for v in vals[1:]:
                if out.m and v.m and out.trail != v.trail:
                    raise Mismatch(f"a Hadamard product needs operands of one shape, "
                                       f"got {dims_text(out.trail)} and {dims_text(v.trail)}")
                out = self._combine(out, v, np.multiply, "multiplies")
            return out
        if fn is Softargmax:
            v = self._vector(self.ev(e.args[0], env), "softargmax")
            z = v.a - v.a.max(axis=-2, keepdims=True)
            ez = np.exp(z)
            return Val(ez / ez.sum(axis=-2, keepdims=True), 2)
        if fn in (Stack, VStack):
            vals = [self.ev(a, env) for a in e.args]
            vals = [Val(v.a[..., 0, 0]) if v.m == 2 and v.trail == (1, 1) else v for v in vals]
            if not any(v.m for v in vals):
                arrays = np.broadcast_arrays(*[v.a for v in vals])
                return Val(np.stack(arrays, axis=-1)[..., None], 2)
            if not all(v.m == 2 and v.trail[1] == 1 for v in vals):
                raise Unreadable("a stack of values that are not all vectors", "stack")
            if fn is VStack:  # [a; b]: one longer column (lengths may differ)
                lead = np.broadcast_shapes(*[v.a.shape[:-2] for v in vals])
                return self._guard(Val(np.concatenate(
                    [np.broadcast_to(v.a, lead + v.a.shape[-2:]) for v in vals], axis=-2), 2))
            arrays = np.broadcast_arrays(*[v.a for v in vals])
            if len({v.trail for v in vals}) != 1:
                raise ClaimProblem("the columns of [a, b, ...] have different lengths")
            return self._guard(Val(np.concatenate(arrays, axis=-1), 2))
        if fn is At:
            return self._at(e, env)
        if fn is AtTime:
            return self._at_time(e, env)
        raise Unreadable(f"the checker cannot evaluate {fn.__name__}", fn.__name__)

    def _table_function(self, e: sp.Function, env: Env) -> Val:
        """a \\oslash b; det(X), |det(X)| of a square matrix (the table's NumPy forms)."""
        op = op_of(e)
        vals = [self.ev(a, env) for a in e.args]
        if op.matrix:
            return self._whole_matrix(op, vals[0])
        a, b = vals
        if a.m and b.m and a.trail != b.trail:
            raise Mismatch(f"{op.latex} needs operands of one shape, got "
                           f"{dims_text(a.trail)} and {dims_text(b.trail)}")
        return self._combine(a, b, op.numpy, "divides")

    def _whole_matrix(self, op, v: Val) -> Val:
        """det(X), |det(X)| of a square matrix value, logsumexp(x) of a vector (the
        table's NumPy form)."""
        if op.operand == "vector":
            v = self._vector(v, op.latex) if not v.lazy else v
            if v.lazy:
                raise ClaimProblem(f"{op.latex} takes a vector")
            return self._guard(Val(np.asarray(op.numpy(v.a[..., 0]), dtype=float)))
        if v.lazy or v.m != 2 or v.trail[0] != v.trail[1]:
            raise ClaimProblem(f"{op.latex} takes a square matrix, got a "
                               f"{dims_text(v.trail) if v.m else 'scalar'} operand")
        return self._guard(Val(np.asarray(op.numpy(v.a), dtype=float)))

    def _vector(self, v: Val, what: str) -> Val:
        if v.m == 2 and v.trail[1] == 1:
            return v
        if v.m == 2 and v.trail[0] == 1:
            return Val(np.swapaxes(v.a, -1, -2), 2)
        raise ClaimProblem(f"{what} takes a vector, got a {dims_text(v.trail)} operand")

    def _at(self, e: At, env: Env) -> Val:
        target = e.args[0]
        if isinstance(target, Stack) and len(e.args) == 2 and any(
                v.m == 2 and v.trail[1] == 1 and v.trail[0] > 1
                for v in (self.ev(a, env) for a in target.args)):
            target = VStack(*target.args)  # ([h[t-1], x[t]])_l: one index, the vectors stacked
        inner = self.ev(target, env)
        idx = [self.ev(i, env) for i in e.args[1:]]
        written = self._latex(e)
        trail = inner.trail
        if inner.m == 2 and len(idx) == 1:
            if trail[1] == 1:
                idx = idx + [self.const(self.base)]
            elif trail[0] == 1:
                idx = [self.const(self.base)] + idx
        if len(idx) != inner.m:
            raise ClaimProblem(f"{written} gives {len(idx)} indices to a "
                               f"{dims_text(trail) if trail else 'scalar'} value")
        lead = inner.a.shape[:self.n]
        arrays = np.broadcast_arrays(*[np.broadcast_to(i.a, np.broadcast_shapes(
            i.a.shape, lead)) for i in idx])
        valid = np.ones(arrays[0].shape, dtype=bool)
        ints = []
        for p, n in zip(arrays, trail, strict=True):
            r = np.rint(p) - self.base
            ok = (np.abs(r + self.base - p) < 1e-9) & (r >= 0) & (r < n)
            bad = ~ok if env.active is None else ~ok & env.active
            if bad.any() and len(self.findings) < 3:
                self.findings.append(f"{written} reaches position "
                                     f"{_fmt(p[np.unravel_index(np.argmax(bad), bad.shape)])}"
                                     f" of a {dims_text(trail)} value")
            valid &= ok
            ints.append(np.where(ok, r, 0).astype(np.int64))
        full = np.broadcast_to(inner.a, arrays[0].shape + trail)
        grids = np.indices(arrays[0].shape, sparse=True)
        picked = full[tuple(grids) + tuple(np.where(valid, i, 0) for i in ints)]
        return Val(np.where(valid, picked, 0.0))

    def _at_time(self, e: AtTime, env: Env) -> Val:
        head, when = e.args
        if isinstance(head, sp.Indexed):
            return self._slot_at_time(e, env)
        name = str(getattr(head, "name", head))
        if name not in self.src.series:
            raise ClaimProblem(f"{sp.latex(e)} names a time step this question does not "
                               f"give")
        t = self.ev(when, env)
        if t.m:
            raise ClaimProblem(f"the time in {sp.latex(e)} is not a number")
        return self._whole(name, t.a)

    def _slot_at_time(self, e: AtTime, env: Env) -> Val:
        """A slot of a family series at a step: dh[tau]/dh[tau-i] read as slot i (the lag,
        from the family's base) of the one-step Jacobians at step tau."""
        head, when = e.args
        name = str(head.base.label)
        if name not in self.src.series or name not in self.src.families:
            raise ClaimProblem(f"{self._shown(e)} names a series this question does not give")
        t = self.ev(when, env)
        pos = [self.ev(i, env) for i in head.indices]
        if t.m or any(p.m for p in pos):
            raise ClaimProblem(f"the step or slot in {self._shown(e)} is not a number")
        data, rows = self.src.series[name], self._rows(name, t.a)
        written = self._shown(e)
        shape = np.broadcast_shapes(rows.shape, *[p.a.shape for p in pos])
        rows = np.broadcast_to(rows, shape)
        valid = rows >= 0
        ints = [np.where(valid, rows, 0)]
        for k, p in enumerate(pos):
            base = self.src.bases.get(name, 0) if k == 0 else self.base
            r = np.rint(p.a) - base
            ok = (np.abs(r + base - p.a) < 1e-9) & (r >= 0) & (r < data.shape[k + 1])
            self._report(~np.broadcast_to(ok, shape), env, name, written, k, p.a)
            valid = valid & ok
            ints.append(np.broadcast_to(np.where(ok, r, 0), shape).astype(np.int64))
        picked = data[tuple(np.where(valid, i, 0) for i in ints)]
        keep = valid.reshape(shape + (1,) * (picked.ndim - len(shape)))
        return self._as_matrix(np.where(keep, picked, 0.0), data.ndim - 1 - len(pos),
                               name in self.src.rows)

    # control ------------------------------------------------------------------
    def _logic(self, e: sp.Basic, env: Env) -> Val:
        if isinstance(e, sp.And | sp.Or):
            fn = np.logical_and if isinstance(e, sp.And) else np.logical_or
            out = self.ev(e.args[0], env)
            for a in e.args[1:]:
                out = self._combine(out, self.ev(a, env), lambda x, y: fn(x, y), "combines")
            return out
        if isinstance(e, sp.Not):
            v = self.ev(e.args[0], env)
            return Val(~v.a.astype(bool), v.m)
        a, b = self.ev(e.lhs, env), self.ev(e.rhs, env)
        # index arithmetic is rational (l/3 - j + 7/3): compare with a tolerance far below
        # any step between small rationals, never exactly in floating point
        ops = {sp.Eq: lambda x, y: np.abs(x - y) < 1e-9,
               sp.Ne: lambda x, y: np.abs(x - y) >= 1e-9,
               sp.Lt: lambda x, y: x < y - 1e-9, sp.Le: lambda x, y: x <= y + 1e-9,
               sp.Gt: lambda x, y: x > y + 1e-9, sp.Ge: lambda x, y: x >= y - 1e-9}
        if a.m or b.m:
            if a.m and b.m and a.trail != b.trail:
                raise ClaimProblem(f"the condition {sp.latex(e)} compares a "
                                   f"{dims_text(a.trail)} and a {dims_text(b.trail)} value")
            return self._combine(a, b, ops[type(e)], "compares")
        return Val(ops[type(e)](a.a, b.a))

    def _piecewise(self, e: sp.Piecewise, env: Env) -> Val:
        taken = None
        values, conds = [], []
        cvals = [self.ev(cond, env) for _, cond in e.args]
        cm = max(v.m for v in cvals)
        trail_c = next((v.trail for v in cvals if v.m == cm), ())
        cs = [v.a.astype(bool) if v.m == cm else
              v.a.astype(bool).reshape(v.a.shape + (1,) * cm) for v in cvals]
        for (value, _), c in zip(e.args, cs, strict=True):
            here = c if taken is None else c & ~taken
            lead = here.reshape(here.shape[:here.ndim - cm] + (-1,)).any(axis=-1) if cm else here
            active = lead if env.active is None else lead & env.active
            values.append(self.ev(value, replace(env, active=active)))
            conds.append(here)
            taken = c if taken is None else taken | c
        m = max([v.m for v in values] + [cm])
        trail = next((v.trail for v in values if v.m == m), trail_c)
        values = [self._lift(v, trail) if v.m < m else v for v in values]
        conds = [c if cm == m else c.reshape(c.shape + (1,) * (m - cm)) for c in conds]
        shape = np.broadcast_shapes(*[v.a.shape for v in values], *[c.shape for c in conds])
        out = np.zeros(shape)
        for v, c in zip(reversed(values), reversed(conds), strict=True):
            out = np.where(c, v.a, out)
        return self._guard(Val(out, m))

    def _product(self, e: sp.Product, env: Env) -> Val:
        """An ordered product, term by term (matrices multiply in the order of the index)."""
        if len(e.limits) != 1:
            raise Unreadable("a product over several indices", "product")
        (v, lo_e, hi_e), = e.limits
        out: Val | None = None
        lo, hi = self.ev(lo_e, env), self.ev(hi_e, env)
        if lo.m or hi.m:
            raise ClaimProblem(f"the limits of the product over {v} are not numbers")
        a, b = float(np.min(lo.a)), float(np.max(hi.a))
        if not (np.isfinite(a) and np.isfinite(b)):
            raise Unreadable("a product with infinite limits", "infinite product")
        count = int(b - a) + 1
        if count > MAX_FACTORS:
            raise LimitError(f"the product over {v} has {count} factors; the limit is "
                             f"{MAX_FACTORS}")
        varying = lo.a.size > 1 or hi.a.size > 1
        for step in range(max(count, 0)):
            value = np.asarray(a + step).reshape((1,) * self.n)
            inner = replace(env, bind={**env.bind, v.name: Val(value)})
            if self.src.time is not None and v.name == self.src.time:
                inner = replace(inner, time=value)
            term = self.ev(e.function, inner)
            if varying:
                if term.m:
                    raise Unreadable("a product of matrices whose limits depend on an index",
                                     "product")
                term = Val(np.where((value >= lo.a) & (value <= hi.a), term.a, 1.0))
            out = term if out is None else self._times(out, term)
        return out if out is not None else self.const(1.0)

    def _extremum(self, e: Extremum, env: Env) -> Val:
        """max_{i=a}^{b} f (or min) of numbers: the index on its own axis, the window masked."""
        (v, lo_e, hi_e), = e.limits
        lo, hi = self.ev(lo_e, env), self.ev(hi_e, env)
        if lo.m or hi.m:
            raise ClaimProblem(f"the limits of the max over {v} are not numbers")
        a, b = float(np.min(lo.a)), float(np.max(hi.a))
        count = int(b - a) + 1
        if not (np.isfinite(a) and np.isfinite(b)) or count > 100_000:
            raise Unreadable("a max over an infinite or very long range", "max over an index")
        axis = self.axes[(e, 0)]
        shape = [1] * self.n
        shape[axis] = max(count, 0)
        values = (np.arange(max(count, 0), dtype=float) + a).reshape(shape)
        mask = (values >= lo.a) & (values <= hi.a)
        inner = replace(env, bind={**env.bind, v.name: Val(values)},
                        active=mask if env.active is None else mask & env.active)
        body = self.ev(e.function, inner)
        if body.m:
            raise ClaimProblem(f"the max over {v} is taken of a vector or matrix")
        top = op_of(e).name == "maxover"
        arr = np.where(mask, body.a, -np.inf if top else np.inf)
        return Val(arr.max(axis=axis, keepdims=True) if top else
                   arr.min(axis=axis, keepdims=True))

    def _sum(self, e: sp.Sum, env: Env) -> Val:
        return self._sum_from(e, len(e.limits) - 1, env)

    def _sum_from(self, e: sp.Sum, k: int, env: Env) -> Val:
        if k < 0:
            return self.ev(e.function, env)
        v, lo_e, hi_e = e.limits[k]
        axis = self.axes[(e, k)]
        lo, hi = self.ev(lo_e, env), self.ev(hi_e, env)
        if lo.m or hi.m:
            raise ClaimProblem(f"the limits of the sum over {v} are not numbers")
        a, b = float(np.min(lo.a)), float(np.max(hi.a))
        if not (np.isfinite(a) and np.isfinite(b)):
            raise Unreadable("a sum with infinite limits", "infinite sum")
        count = int(b - a) + 1
        if count <= 0:
            return self.const(0.0)
        if count > 100_000:
            raise LimitError(f"the sum over {v} has {count} terms; the limit is 100000")
        shape = [1] * self.n
        shape[axis] = count
        values = (np.arange(count, dtype=float) + a).reshape(shape)
        mask = None
        if lo.a.size > 1 or hi.a.size > 1:
            mask = (values >= lo.a) & (values <= hi.a)
        inner_env = replace(env, bind={**env.bind, v.name: Val(values)})
        if mask is not None:
            inner_env = replace(inner_env, active=mask if env.active is None
                                else mask & env.active)
        if self.src.time is not None and v.name == self.src.time:
            inner_env = replace(inner_env, time=values)
        body = self._sum_from(e, k - 1, inner_env)
        arr = body.a
        if mask is not None:
            arr = np.where(mask.reshape(mask.shape + (1,) * body.m), arr, 0.0)
        return self._guard(Val(np.sum(arr, axis=axis, keepdims=True), body.m))


def free_names(expr: sp.Basic, bound: frozenset = frozenset()) -> list[str]:
    """Symbol names used outside the scope of any sum that binds them, in order."""
    out: list[str] = []

    def walk(e, scope):
        if isinstance(e, (sp.Sum, sp.Product, Extremum)):
            inner = set(scope)
            for v, lo, hi in reversed(e.limits):
                walk(lo, inner)
                walk(hi, inner)
                inner.add(v.name)
            walk(e.function, inner)
            return
        if isinstance(e, sp.Indexed):
            for i in e.indices:
                walk(i, scope)
            return
        if isinstance(e, sp.Symbol):
            if e.name not in scope and e.name not in out:
                out.append(e.name)
            return
        for a in e.args:
            walk(a, scope)

    walk(expr, set(bound))
    return out
