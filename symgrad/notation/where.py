r"""Definitions after `where` of a question's own tensors, read for the checker.

A formula may end with a recursion that defines a tensor it uses, e.g. symgrad's own
``\frac{\partial \ell}{\partial W_x} = \sum_t ..., \quad \text{where } \delta[3] = g[3],
\quad \delta[t] = g[t] + ... \ (t < 3)`` or ``\frac{\partial h[t]}{\partial h[t-2]} = D[t],
\quad \text{where } D[\tau] = \sum_{i=1}^{k} \frac{\partial h[\tau]}{\partial h[\tau-i]}
D[\tau-i] \ (t-2 < \tau \le t), \ D[t-2] = I, \ D[\tau] = 0 \ (\tau < t-2)``. ``read_where``
splits such a claim into its main text and one ``Identity`` per part after the ``where``
(``tensor = formula``, the left side a declared tensor): both sides read by the one
grammar, the range of the step letter the part runs over (t, or a letter of its own that
a range relative to t binds: then t is the last step), with positions into the text as
typed. The checker (``symgrad.verify.where``) judges the identities.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import sympy as sp

from symgrad.core.errors import ParseError
from symgrad.core.ops import At, AtTime

from .claims import _Claims, writer_definitions
from .expressions import _guarded
from .lexer import _GREEK, _is_separator
from .names import Declarations

_UP = (sp.Lt, sp.Le)
_DOWN = (sp.Gt, sp.Ge)


@dataclass(frozen=True)
class WhereIdentity:
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

    @property
    def indices(self) -> tuple:
        r"""The index letters of the left side (``j`` in ``\delta[t]_j``), as symbols."""
        return _indices(self.lhs)


@dataclass(frozen=True)
class WherePart:
    """A claim split at its ``where``: the main text (a prefix of the claim, so positions
    agree) and the identities after it; ``own`` is False when a defined tensor also has a
    truth of its own in the context (then the ordinary reading comes first)."""

    main: str
    identities: tuple[WhereIdentity, ...]
    own: bool


def read_where(latex: str, decls: Declarations, *, time: str = "t",
               definitions: Sequence[str] = (),
               answers: Callable[[str], bool] | None = None) -> WherePart | None:
    """The claim's where-definitions of declared tensors, or None when it has none (no
    ``where``, or a part after it that is not ``tensor = formula``: a local definition of
    a new name, prose). ``time`` is the question's time letter, ``definitions`` the
    reader's earlier local definitions, ``answers(name)`` whether a defined tensor has a
    truth of its own (then the ordinary reading comes first, and a part that cannot be
    read gives None). A part whose left side names a declared tensor but whose right side
    or range cannot be read raises a ParseError with its position."""
    decls, macros = writer_definitions(latex, decls, definitions)

    def run(st) -> WherePart | None:
        st.macros.update(macros)
        toks = st.toks
        c = _Claims(st)
        w = _where_word(c)
        if w is None:
            return None
        clock, problem = _step_letter(c, w, time)
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
        own = not any(answers(h[0]) for h in heads) if answers else True
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
                out.append(_identity(c, time, a, b, eq, name, lhs, mine, steps, clock))
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
        pieces, ops = c.p.relation_pieces(k + 1, st.mate[k])
        if not ops or not any(
                toks[m].key == ("name", now) for a, b in pieces for m in range(a, b)):
            continue
        for a, b in pieces:
            if a >= b:
                continue
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


def _identity(c: _Claims, now: str, a: int, b: int, eq: int, name: str, lhs: sp.Expr,
              ranges: list, steps: tuple | None = None, clock: str | None = None
              ) -> WhereIdentity:
    toks, st = c.toks, c.st
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
    return WhereIdentity(name, lhs, rhs, written, toks[a].pos, steps, tuple(others),
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
    cuts, ops = p.relation_pieces(lo + 1, hi)
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
