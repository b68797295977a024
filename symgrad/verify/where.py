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
counterexample; a part that cannot be read is refused with its position.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import sympy as sp

from ..core.errors import ParseError
from ..core.ops import At, AtTime
from ..notation import IDENTITY, ONES, read_definitions
from ..notation.claims import _Claims
from ..notation.expressions import _guarded
from ..notation.lexer import _GREEK, _REL_CMDS, _is_separator
from .context import Context
from .formula import BUDGET, SEEDS, close
from .numeric import TIME_BASE, ClaimProblem, Evaluator, Unreadable, dims_text, free_names
from .verdict import Verdict

_UP = (sp.Lt, sp.Le)
_DOWN = (sp.Gt, sp.Ge)


@dataclass(frozen=True)
class Identity:
    r"""One part after ``where``: ``lhs = rhs`` as written (``written``, at ``pos``);
    ``steps`` is the stated range of the time letter as (lo, hi), hi None for the last
    step, or None when none is stated; ``ranges`` the ranges of left-side indices stated
    after it (letter, lo, hi), which must be whole axes; ``clock`` the letter that runs
    over the steps when it is not the question's time letter (``\tau`` in
    ``D[\tau] = ... \ (t-2 < \tau \le t)``: then t is the last step, fixed)."""

    tensor: str
    lhs: sp.Expr
    rhs: sp.Expr
    written: str
    pos: int
    steps: tuple | None = None
    ranges: tuple = ()
    clock: str | None = None


@dataclass(frozen=True)
class WherePart:
    """A claim split at its ``where``: the main text (a prefix of the claim, so positions
    agree) and the identities after it; ``own`` is False when a defined tensor also has a
    truth of its own in the context (then the ordinary reading comes first)."""

    main: str
    identities: tuple[Identity, ...]
    own: bool


def read_where(ctx: Context, latex: str, definitions: Sequence[str] = ()) -> WherePart | None:
    """The claim's where-definitions of declared tensors, or None when it has none (no
    ``where``, or a part after it that is not ``tensor = formula``: a local definition of
    a new name, prose). A part whose left side names a declared tensor but whose right side
    or range cannot be read raises a ParseError with its position."""
    decls = ctx.declarations()
    macros: dict = {}
    for d in definitions:
        macros.update(read_definitions(d, decls, macros))

    def run(st) -> WherePart | None:
        st.macros.update(macros)
        toks = st.toks
        c = _Claims(st)
        w = _where_word(c)
        if w is None:
            return None
        clock, problem = _step_letter(c, w, ctx.time or "t")
        j = w - 1
        while j >= 0 and _is_separator(toks[j]):
            j -= 1
        if j < 0:
            return None
        segs, ranges = c.segments()
        after = [(a, b) for a, b in segs if a > w]
        if not after:
            return None
        parts: list = []  # (start, end, a range of t written as its own part)
        for a, b in after:
            if parts and toks[a].key == ("open", "(") and st.mate[a] == b - 1:
                # `\delta[t] = ..., \quad (t < 3)`: the range of the part before
                try:
                    found = _bracket_range(c, a, b - 1, clock)
                except ParseError as e:
                    found, problem = None, problem or e
                if found is not None and parts[-1][2] is None:
                    parts[-1] = (*parts[-1][:2], found)
                    continue
            parts.append((a, b, None))
        heads = []
        for a, b, _ in parts:
            head = _head(c, a, b)
            if head is None:
                return None
            heads.append(head)
        own = not any(ctx.answers_for(h[0]) for h in heads)
        if problem is not None:
            if not own:
                return None
            raise problem
        loose = [r for r in ranges if w < r[0] < parts[0][0]]
        if loose:  # a range before the first definition: no part states it
            if not own:
                return None
            at = toks[loose[0][0]].pos
            raise ParseError(f"could not read the range at position {at}: it comes before "
                             f"any definition after `where`; write it after the definition "
                             f"it limits", position=at, construct="range")
        out = []
        for q, ((a, b, steps), (name, lhs, eq)) in enumerate(zip(parts, heads, strict=True)):
            # a qualifier binds to the part before it (`\quad (1 \le t \le 2)` too)
            nxt = parts[q + 1][0] if q + 1 < len(parts) else len(toks)
            mine = [r for r in ranges if b <= r[0] < nxt]
            try:
                out.append(_identity(c, ctx, a, b, eq, name, lhs, mine, steps, clock))
            except Exception:
                if not own:
                    return None
                raise
        # the main text runs to the separator before `where` (a closing brace that is no
        # token, as in `^{\top}`, stays with it)
        return WherePart(_cut(latex[:toks[j + 1].pos]), tuple(out), own)

    return _guarded(run, latex, decls, "formula")


def _step_letter(c: _Claims, w: int, now: str) -> tuple[str, ParseError | None]:
    r"""The letter the definitions after `where` (token w) run over: the question's time
    letter, or a letter of their own that a range relative to it binds (``\tau`` in
    ``(t-2 < \tau \le t)``, ``(\tau < t-2)``; t is then the last step). A Greek step
    letter is read as a letter from here on; it is a time step (``h[\tau-i]``). Two
    such letters are a ParseError, returned to be raised once the parts are known to be
    the writer's definitions."""
    toks, st = c.toks, c.st
    found: list = []
    for k in range(w + 1, len(toks)):
        if toks[k].key != ("open", "("):
            continue
        pieces, start = [], k + 1
        for m in range(k + 1, st.mate[k]):
            if c.p.is_relation(toks[m]) or toks[m].key == ("sym", "="):
                pieces.append((start, m))
                start = m + 1
        pieces = [(a, b) for a, b in [*pieces, (start, st.mate[k])] if a < b]
        if len(pieces) < 2 or not any(
                toks[m].key == ("name", now) for a, b in pieces for m in range(a, b)):
            continue
        for a, b in pieces:
            u = toks[a]
            if b == a + 1 and u.text != now and (u.kind == "name" or _greek(u)) and \
                    st.ctx.match(toks, a, b, set(), ("tensor", "scalar")) is None:
                found.append(u.text)
    letters = list(dict.fromkeys(found))
    if not letters:
        return now, None
    for k in range(w + 1, len(toks)):
        if toks[k].kind == "cmd" and toks[k].text in letters:
            toks[k] = replace(toks[k], kind="name")
    st.time_vars.extend(letters)
    if len(letters) > 1:
        at = next(u.pos for u in toks[w:] if u.text == letters[1])
        return letters[0], ParseError(f"could not read the range at position {at}: the "
                                      f"definitions after `where` run over two step "
                                      f"letters ({', '.join(letters)}); write one",
                                      position=at, construct="range")
    return letters[0], None


def _greek(u) -> bool:
    return u.kind == "cmd" and u.text in _GREEK


def _where_word(c: _Claims) -> int | None:
    """The index of the first ``where`` at depth 0, or None."""
    k = c.next_at(0, lambda u: u.key == ("word", "where"))
    return k if k < len(c.toks) else None


def _head(c: _Claims, a: int, b: int) -> tuple | None:
    """(tensor name, left side, index of `=`) when toks[a:b] is `tensor = ...` with the
    left side one declared tensor (an entry of it, or a step of a series); else None."""
    toks = c.toks
    eqs = c.p.split(a, b, lambda u: u.key == ("sym", "="))
    if len(eqs) != 2:
        return None
    lo, hi = eqs[0]
    if hi > lo and toks[hi - 1].key == ("sym", ":"):
        hi -= 1  # `:=`
    if lo >= hi or eqs[1][0] >= eqs[1][1]:
        return None
    try:
        if c.new_name(lo, hi, eqs[1], True) is not None:
            return None  # a local name of the writer's own (`s = 2(j-1)`): the reader's
        lhs = c.p.parse_range(lo, hi, mode="formula")
    except Exception:  # not a tensor's definition; the ordinary reading says what it is
        return None
    name = _named(lhs, c.st.ctx.tensors)
    if name is None:
        return None
    return name, lhs, eqs[1][0] - 1


def _named(lhs: sp.Expr, tensors) -> str | None:
    """The declared tensor a left side names (``delta``, ``delta[3]``, ``delta[3]_j``,
    ``delta_j``), or None."""
    inner, idx = lhs, ()
    if isinstance(lhs, At):
        inner, idx = lhs.args[0], lhs.args[1:]
    elif isinstance(lhs, sp.Indexed):
        return str(lhs.base.label) if str(lhs.base.label) in tensors and all(
            isinstance(i, sp.Symbol) for i in lhs.indices) else None
    if isinstance(inner, AtTime):
        inner = inner.args[0]
    if not isinstance(inner, sp.Symbol) or inner.name not in tensors:
        return None
    if not all(isinstance(i, sp.Symbol) for i in idx):
        return None
    return inner.name


def _identity(c: _Claims, ctx: Context, a: int, b: int, eq: int, name: str, lhs: sp.Expr,
              ranges: list, steps: tuple | None = None, clock: str | None = None
              ) -> Identity:
    toks, st = c.toks, c.st
    now = ctx.time or "t"
    clock = clock or now
    end = b
    stated = list(ranges)
    if steps is None and toks[b - 1].key == ("close", ")") and st.mate[b - 1] > eq + 1:
        found = _bracket_range(c, st.mate[b - 1], b - 1, clock)
        if found is not None:
            end, steps = st.mate[b - 1], found
    written = _written(st, a, end)
    letters = {s.name for s in _indices(lhs)}
    saved = st.lhs_bound
    st.lhs_bound = saved | letters | {clock, now}
    try:
        rhs = c.p.parse_range(eq + 1, end, mode="formula")
    finally:
        st.lhs_bound = saved
    others = []
    for at, var, lo, hi in stated:
        if str(var) != clock:
            others.append((str(var), lo, hi))
        elif steps is None:
            steps = (lo, hi)
        else:
            pos = toks[at].pos
            raise ParseError(f"could not read the range at position {pos}: the range of "
                             f"{clock} is given twice", position=pos, construct="range")
    return Identity(name, lhs, rhs, written, toks[a].pos, steps, tuple(others),
                    None if clock == now else clock)


_OPENED = re.compile(r"\\(?:text\w*|mathrm|mbox)\s*\{[^{}]*$")
_TRAILING = re.compile(r"(?:\s|,|;|\\\\|\\[ ,;:!]|\\q?quad\b)+$")


def _cut(text: str) -> str:
    r"""Text that ends before a word or separator: without an opened ``\text{`` and the
    separators before it."""
    text = _OPENED.sub("", text)
    return _TRAILING.sub("", text)


def _written(st, a: int, end: int) -> str:
    """toks[a:end] as typed, to the next token (a closing brace that is no token stays)."""
    stop = st.toks[end].pos if end < len(st.toks) else len(st.text)
    return _cut(st.text[st.toks[a].pos:stop])


def _indices(lhs: sp.Expr) -> tuple:
    if isinstance(lhs, At):
        return tuple(lhs.args[1:])
    if isinstance(lhs, sp.Indexed):
        return tuple(lhs.indices)
    return ()


def _bracket_range(c: _Claims, lo: int, hi: int, clock: str) -> tuple | None:
    """`(t < 3)`, `(t \\le K - 1)`, `(t > 1)`, `(1 \\le t < 3)`: the steps of the time
    letter as (first, last or None for the last step); None if the group is no range of
    the time letter (it is then part of the formula)."""
    toks, p = c.toks, c.p
    cuts, ops, start, k = [], [], lo + 1, lo + 1
    while k < hi:
        u = toks[k]
        if u.kind in ("open", "begin"):
            k = c.st.mate[k] + 1
            continue
        op, width = None, 1
        if u.kind == "cmd" and u.text in _REL_CMDS:
            op = _REL_CMDS[u.text]
        elif u.kind == "sym" and u.text in "<>=":
            op = {"=": sp.Eq, "<": sp.Lt, ">": sp.Gt}[u.text]
            if u.text != "=" and k + 1 < hi and toks[k + 1].key == ("sym", "="):
                op, width = (sp.Le if u.text == "<" else sp.Ge), 2
        if op is None:
            k += 1
            continue
        cuts.append((start, k))
        ops.append(op)
        k += width
        start = k
    cuts.append((start, hi))
    if not ops:
        return None

    def is_clock(piece) -> bool:
        x, y = piece
        return y == x + 1 and toks[x].key == ("name", clock)

    if not any(is_clock(piece) for piece in cuts):
        return None
    where = toks[lo].pos
    how = "write the range of t as `(t < K)`, `(1 \\le t \\le K - 1)` or `(t > 1)`"

    def bound(piece, shift=0) -> sp.Expr:
        if piece[0] >= piece[1]:
            raise ParseError(f"could not read the range at position {where}: {how}",
                             position=where, construct="range")
        return p.parse_range(*piece, index=True) + shift

    first = sp.Integer(1)
    if len(cuts) == 2 and is_clock(cuts[0]):
        op, other = ops[0], cuts[1]
        if op is sp.Eq:
            value = bound(other)
            return value, value
        if op in _UP:
            return first, bound(other, -int(op is sp.Lt))
        if op in _DOWN:
            return bound(other, int(op is sp.Gt)), None
    elif len(cuts) == 2 and is_clock(cuts[1]):
        op, other = ops[0], cuts[0]
        if op in _UP:
            return bound(other, int(op is sp.Lt)), None
        if op in _DOWN:
            return first, bound(other, -int(op is sp.Gt))
    elif len(cuts) == 3 and is_clock(cuts[1]):
        if ops[0] in _UP and ops[1] in _UP:
            return bound(cuts[0], int(ops[0] is sp.Lt)), bound(cuts[2], -int(ops[1] is sp.Lt))
        if ops[0] in _DOWN and ops[1] in _DOWN:
            return bound(cuts[2], int(ops[1] is sp.Gt)), bound(cuts[0], -int(ops[0] is sp.Gt))
    raise ParseError(f"could not read the range at position {where}: {how}",
                     position=where, construct="range")


# judging ----------------------------------------------------------------------------------
def check_identity(ctx: Context, ident: Identity, base: int) -> Verdict:
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


def _covers(ctx: Context, ident: Identity, inst, last: int) -> set[int]:
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
    def __init__(self, ctx: Context, ident: Identity, base: int) -> None:
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
        letters = [s.name for s in _indices(ident.lhs)]
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
