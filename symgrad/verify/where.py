r"""Where-definitions of a question's own tensors, judged as identities.

A formula may end with a recursion that defines a tensor it uses, e.g. symgrad's own
``\frac{\partial \ell}{\partial W_x} = \sum_t ..., \quad \text{where } \delta[3] = g[3],
\quad \delta[t] = g[t] + ... \ (t < 3)``. When the left side of every part after the
``where`` names a tensor the context declares and computes (the total gradients delta
that a quantity's prepare() back-propagates from the direct partials g), each part is an
identity between known series: both sides are evaluated on the context's random instances
over every entry, the time t running over the stated range (1-based at either index
base; ``t < 3`` is 1 <= t <= 2, ``t > 1`` runs to the last step, no range means every
step), and an equation at a fixed step (``\delta[3] = g[3]``) at that step. The claim is
correct only if its main formula and every part hold; a part that fails is named in the
counterexample; a part that cannot be read is refused with its position. The claim is read
by the one reader of user LaTeX (``symgrad.notation.read_where``); this module judges.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
import sympy as sp

from ..core.ops import At, AtTime
from ..notation import IDENTITY, ONES, WhereIdentity, WherePart
from ..notation import read_where as _read
from .context import Context
from .formula import BUDGET, SEEDS, close
from .numeric import TIME_BASE, ClaimProblem, Evaluator, Unreadable, dims_text, free_names
from .verdict import Verdict


def read_where(ctx: Context, latex: str, definitions: Sequence[str] = ()) -> WherePart | None:
    """The claim's where-definitions of the context's tensors (read by notation's
    ``read_where`` with the context's declarations and time letter; a tensor with a truth of
    its own in the context is read the ordinary way first), or None when it has none."""
    return _read(latex, ctx.declarations(), time=ctx.time or "t", definitions=definitions,
                 answers=ctx.answers_for)


# judging ----------------------------------------------------------------------------------
def check_identity(ctx: Context, ident: WhereIdentity, base: int) -> Verdict:
    """Verdict on one where-definition: both sides over every entry and step."""
    text = ident.written
    try:
        return _Identity(ctx, ident, base).run()
    except ClaimProblem as e:
        return Verdict("incorrect", f"the definition `{text}` after `where` does not hold: "
                       f"{str(e).rstrip('.')}.", {"part": text}, None, text)
    except Unreadable as e:
        return Verdict("unparsed", f"the definition `{text}` after `where` (position "
                       f"{ident.pos}) could not be judged: {e} (construct: {e.construct}).",
                       {"part": text, "position": ident.pos, "construct": e.construct},
                       None, text,
                       [f"construct not understood: {e.construct}"])


def tensors_read(expr) -> set[str]:
    """The names of the tensors an expression reads (whole, by entry or at a step)."""
    if not isinstance(expr, sp.Basic):
        return set()
    names = {s.name for s in expr.atoms(sp.Symbol)}
    return names | {str(e.base.label) for e in expr.atoms(sp.Indexed)}


def check_coverage(ctx: Context, where: WherePart, used: set[str]) -> list[Verdict]:
    r"""A series defined after `where` must be defined at every step of the sequence (the
    fixed steps and ranges of its parts together): a recursion that leaves a step out
    (`\delta[t] = ... \ (t < 2)` with three steps) does not define what the formula
    reads there. Only the tensors the main formula reads (``used``), directly or through
    their definitions, must be defined everywhere. One incorrect verdict per tensor left
    undefined somewhere."""
    out = []
    by_tensor: dict = {}
    for ident in where.identities:
        by_tensor.setdefault(ident.tensor, []).append(ident)
    # the tensors the formula reads, and those their definitions read in turn
    needed, todo = set(), [n for n in used if n in by_tensor]
    while todo:
        name = todo.pop()
        if name in needed:
            continue
        needed.add(name)
        for ident in by_tensor[name]:
            todo.extend(n for n in tensors_read(ident.rhs) if n in by_tensor)
    for name, idents in by_tensor.items():
        if name not in needed:
            continue  # an identity the formula does not rest on: judged on its own
        for seed in SEEDS:
            inst = ctx.instance(seed)
            if name not in inst.series:
                break
            last = _steps(inst)
            covered: set = set()
            for ident in idents:
                try:
                    covered |= _covers(ctx, ident, inst, last)
                except (Unreadable, ClaimProblem):
                    covered = set(range(1, last + 1))  # that part is judged (and refused)
            missing = sorted(set(range(1, last + 1)) - covered)
            if missing:
                latex = ctx.tensors[name].latex
                head = latex.split("[")[0]
                gaps = ", ".join(str(m) for m in missing)
                text = ",\\quad ".join(i.written for i in idents)
                out.append(Verdict(
                    "incorrect", f"the definitions after `where` give {latex} at steps "
                    f"{_steps_text(sorted(covered)) or 'none'} but not at step"
                    f"{'s' if len(missing) > 1 else ''} {gaps} of the {last} steps "
                    f"({inst.about}): the recursion leaves {head}[{missing[0]}] undefined.",
                    {"part": text, "undefined": [f"{head}[{m}]" for m in missing],
                     "steps": last, "instance": inst.about},
                    f"state the range of t so that every step 1..{last} is defined",
                    text))
                break
    return out


def _covers(ctx: Context, ident: WhereIdentity, inst, last: int) -> set[int]:
    """The steps at which one part defines its series."""
    worker = _Identity(ctx, ident, 1)
    if worker._clocked(inst):
        lo, hi = ident.steps if ident.steps is not None else (1, None)
        first = worker._bound(lo, inst)
        final = last if hi is None else worker._bound(hi, inst)
        return set(range(first, final + 1))
    inner = ident.lhs.args[0] if isinstance(ident.lhs, At) else ident.lhs
    if isinstance(inner, AtTime):
        return {worker._bound(inner.args[1], inst)}
    return set()


def _steps_text(steps: list[int]) -> str:
    return ", ".join(str(s) for s in steps)


class _Identity:
    def __init__(self, ctx: Context, ident: WhereIdentity, base: int) -> None:
        self.ctx, self.ident, self.base = ctx, ident, base
        self.now = ctx.time or "t"
        self.clock = ident.clock or self.now
        self.start = time.monotonic()

    def _bound(self, e, inst) -> int:
        """A bound or step with the instance's sizes (and t, the last step, when the part
        runs over a letter of its own)."""
        return _value(e, inst, self.now if self.clock != self.now else None)

    def run(self) -> Verdict:
        ident, ctx = self.ident, self.ctx
        letters = [s.name for s in ident.indices]
        if len(set(letters)) != len(letters):
            raise Unreadable(f"the left side {ident.written.split('=')[0].strip()} repeats "
                             f"an index", "left-side index")
        allowed = set(letters) | set(ctx.scalars) | set(ctx.tensors) | {
            IDENTITY.name, ONES.name, self.clock, self.now}
        unbound = [n for n in free_names(ident.rhs) if n not in allowed]
        if unbound:
            raise ClaimProblem(f"the index {', '.join(unbound)} is free on the right side "
                               f"but not bound on the left (which binds "
                               f"{', '.join(letters) or 'no index'})")
        for var, _, _ in ident.ranges:
            if var not in letters:
                raise Unreadable(f"the range of {var}, which is not an index of the left "
                                 f"side or the time step", "range")
        checked, steps_seen = 0, None
        for seed in SEEDS:
            inst = ctx.instance(seed)
            if ident.tensor not in inst.arrays and ident.tensor not in inst.series:
                raise Unreadable(f"{ctx.tensors[ident.tensor].latex} has no values in this "
                                 f"question's instances", "definition")
            src = ctx.source(inst)
            free, starts = self._grid(inst, src, letters)
            if any(size == 0 for _, size in free):
                continue  # a range that names no step of this instance: nothing to hold
            clock = self.clock if any(n == self.clock for n, _ in free) else None
            try:
                left = self._values(src, free, starts, clock, ident.lhs, None)
                right = self._values(src, free, starts, clock, ident.rhs,
                                     left.trail if left.m else None)
            except ClaimProblem as e:
                if clock is None:
                    raise
                first = starts[self.clock]
                span = f"{first}..{first + dict(free)[self.clock] - 1}"
                raise ClaimProblem(f"{str(e).rstrip('.')} (for {self.clock} = {span}, "
                                   f"{inst.about})") from None
            lv, rv = self._arrays(left, free), self._arrays(right, free)
            if rv.ndim == len(free) and lv.ndim > len(free):
                rv = np.broadcast_to(rv.reshape(rv.shape + (1,) * (lv.ndim - rv.ndim)),
                                     lv.shape)
            if lv.shape != rv.shape:
                lt, rt = left.trail or (), right.trail or ()
                raise ClaimProblem(f"the right side is {_shape(rt)} but the left side is "
                                   f"{_shape(lt)}")
            ok = close(rv, lv)
            checked += ok.size
            if clock:
                steps_seen = dict(free)[self.clock], starts[self.clock]
            if not ok.all():
                return self._mismatch(inst, free, starts, lv, rv, ok)
            if time.monotonic() - self.start > BUDGET:
                break
        span = ""
        if steps_seen:
            count, first = steps_seen
            c = self.clock
            span = (f" at {c} = {first}" if count == 1 else
                    f" at every step {c} = {first}..{first + count - 1}")
        elif checked == 0:  # never correct without a value compared
            raise Unreadable(f"its range names no step of this question's instances "
                             f"({', '.join(ctx.instance(s).about for s in SEEDS)})", "range")
        return Verdict("correct", f"the definition `{ident.written}` holds{span} "
                       f"({checked} values over {len(SEEDS)} random instances).",
                       None, None, ident.written)

    def _grid(self, inst, src, letters: list[str]) -> tuple[list, dict]:
        ident = self.ident
        shape = src.shapes.get(ident.tensor)
        if shape is None:
            raise Unreadable(f"{ident.tensor} has no values in this question's instances",
                             "definition")
        keep = [k for k, d in enumerate(shape) if d != 1] if len(letters) < len(shape) \
            else list(range(len(shape)))
        if letters and len(letters) != len(keep):
            raise ClaimProblem(f"{self.ctx.tensors[ident.tensor].latex} has {len(shape)} "
                               f"axes ({dims_text(shape)}) but the left side indexes it "
                               f"with {len(letters)}")
        free = [(n, int(shape[k])) for n, k in zip(letters, keep, strict=False)]
        for var, lo, hi in ident.ranges:
            size = dict(free)[var]
            if not (self._bound(lo, inst) == self.base
                    and self._bound(hi, inst) == size - 1 + self.base):
                raise Unreadable(f"the range {lo}..{hi} of {var} is not the whole axis "
                                 f"({self.base}..{size - 1 + self.base}); a definition on "
                                 f"part of an axis is not judged", "range")
        starts: dict = {}
        if self._clocked(inst):
            last = _steps(inst)
            lo, hi = ident.steps if ident.steps is not None else (1, None)
            first = self._bound(lo, inst)
            final = last if hi is None else self._bound(hi, inst)
            if final < first:
                if _number(lo) and (hi is None or _number(hi)):
                    raise ClaimProblem(f"the range {first}..{final} of {self.clock} has no "
                                       f"step")
                final = first - 1  # relative to the sizes or t: empty on this instance
            free.append((self.clock, final - first + 1))
            starts[self.clock] = first
        return free, starts

    def _clocked(self, inst) -> bool:
        """Whether the part reads the time step: t written, a stated range, or a series
        read at the current step (delta for delta[t])."""
        ident = self.ident
        if ident.steps is not None:
            return True
        names = set(free_names(ident.lhs)) | set(free_names(ident.rhs))
        if self.clock in names:
            return True
        if self.clock != self.now:
            return False  # a series read without a step is read at t, the last step
        series = set(inst.series)
        return any(_current(e, series) for e in (ident.lhs, ident.rhs))

    def _values(self, src, free, starts, clock, expr, trail):
        ev = Evaluator(src, self.base, free, expr, clock=clock, starts=starts)
        v = ev.run(expr, trail)
        if ev.findings:
            raise ClaimProblem("; ".join(ev.findings))
        return v

    @staticmethod
    def _arrays(v, free) -> np.ndarray:
        sizes = tuple(s for _, s in free)
        lead = v.a.shape[:len(free)]
        a = v.a.reshape(lead + tuple(v.trail))
        return np.broadcast_to(a, sizes + tuple(v.trail)).astype(float)

    def _mismatch(self, inst, free, starts, lv, rv, ok) -> Verdict:
        ident = self.ident
        flat = int(np.argmax(~ok.ravel()))
        where = np.unravel_index(flat, ok.shape)
        at = {}
        for k, (name, _) in enumerate(free):
            at[name] = int(where[k]) + starts.get(name, self.base)
        rest = [int(w) + self.base for w in where[len(free):]]
        left, right = float(lv.ravel()[flat]), float(rv.ravel()[flat])
        spots = [f"{n} = {v}" for n, v in at.items()]
        if rest:
            spots.append(f"entry ({', '.join(str(r) for r in rest)})")
        spot = ", ".join(spots)
        counter = {"part": ident.written, **at, "left": _num(left), "right": _num(right),
                   "instance": inst.about}
        if rest:
            counter["entry"] = rest
        hint = None
        if np.allclose(rv, -lv) and not np.allclose(lv, 0):
            hint = "the sign is flipped"
        return Verdict("incorrect", f"the definition `{ident.written}` after `where` does "
                       f"not hold{' at ' + spot if spot else ''}: the left side is "
                       f"{_num(left):.6g}, the right side {_num(right):.6g} ({inst.about}).",
                       counter, hint, ident.written)


def _current(e: sp.Expr, series: set) -> bool:
    """Whether e reads a series at the current step (a bare name, not at a written step)."""
    if isinstance(e, AtTime):
        return False
    if isinstance(e, sp.Indexed):
        return str(e.base.label) in series
    if isinstance(e, sp.Symbol):
        return e.name in series
    return any(_current(a, series) for a in e.args)


def _steps(inst) -> int:
    if not inst.series:
        raise Unreadable("a definition over time steps in a question without a sequence",
                         "time step")
    return int(next(iter(inst.series.values())).shape[0])


def _number(e) -> bool:
    return isinstance(e, int) or (isinstance(e, sp.Basic) and e.is_number)


def _value(e, inst, now: str | None = None) -> int:
    """A bound of a range with the instance's sizes (and ``now``, the letter of the last
    step, at that step)."""
    e = sp.Integer(e) if isinstance(e, int) else e
    known = {**inst.sizes, **({now: inst.now + TIME_BASE} if now else {})}
    v = e.xreplace({s: sp.Integer(known[s.name]) for s in e.free_symbols
                    if s.name in known})
    if not v.is_Integer:
        raise Unreadable(f"the bound {sp.latex(e)} of a range is not a whole number here",
                         "range")
    return int(v)


def _num(v: float) -> float:
    return int(v) if float(v).is_integer() else round(float(v), 10)


def _shape(trail: tuple) -> str:
    if not trail:
        return "one number"
    return f"a {dims_text(trail)} value"
