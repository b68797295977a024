"""The one resolver of names: declarations compiled for matching, time indices
(`h_t`, `h^{(t)}`, `h(t)` -> `h[t]`) and the parser state shared by a reading."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import sympy as sp

from symgrad.core.errors import ParseError, SymgradError

from .lexer import (
    _ACCENTS,
    _DEFAULT_LOSS,
    _mates,
    _Tok,
    _tokens,
)


@dataclass(frozen=True)
class TensorDecl:
    """A tensor of a question: canonical name, shape and the LaTeX spellings that mean it."""

    name: str
    shape: tuple
    aliases: tuple[str, ...] = ()
    base: int | None = None  # the first index of its first axis, where it is fixed (slots)


@dataclass(frozen=True)
class Declarations:
    """Everything a claim may name: tensors, size parameters and the loss."""

    tensors: tuple[TensorDecl, ...]
    scalars: tuple[str, ...] = ()
    loss: tuple[str, ...] = (r"\ell", "l", "L", r"\mathcal{L}")


@dataclass(frozen=True)
class _Entry:
    keys: tuple
    kind: str  # tensor | scalar
    name: str
    bracket_letters: frozenset
    has_bracket: bool


def _keys(spelling: str) -> tuple:
    toks, _ = _tokens(spelling)
    return tuple(t.key for t in toks)


class _Ctx:
    """Declarations compiled to token sequences for matching."""

    def __init__(self, decls: Declarations):
        self.decls = decls
        self.tensors = {d.name: d for d in decls.tensors}
        self.scalars = tuple(decls.scalars)
        self.by_first: dict[tuple, list[_Entry]] = {}
        self.exact: dict[tuple, _Entry] = {}
        derivative_aliases, bracketed = [], []
        for d in decls.tensors:
            spellings = list(d.aliases)
            if re.fullmatch(r"[A-Za-z](_[A-Za-z0-9])?", d.name) and d.name not in spellings:
                spellings.append(d.name)
            for s in spellings:
                if s.lstrip().startswith((r"\frac", r"\dfrac", r"\tfrac")) and r"\partial" in s:
                    derivative_aliases.append((s, d.name))
                else:
                    keys = _keys(s)
                    self._add(keys, "tensor", d.name)
                    if len(keys) > 3 and keys[1] == ("open", "[") and keys[-1] == ("close", "]"):
                        bracketed.append((s, d.name))
        for s in decls.scalars:
            self._add(_keys(s), "scalar", s)
        for entries in self.by_first.values():
            entries.sort(key=lambda e: (-len(e.keys), e.kind != "tensor"))
        self.loss = {_keys(s) for s in decls.loss}
        self.loss_any = self.loss | {_keys(s) for s in _DEFAULT_LOSS}
        self.sub_time: dict[tuple, set[str]] = {}
        for e in (e for es in self.by_first.values() for e in es):
            if e.kind == "tensor" and e.has_bracket and e.keys[1] in (("open", "["),
                                                                      ("sym", "_")):
                self.sub_time.setdefault(e.keys[0], set()).update(e.bracket_letters)
        for e in (e for es in self.by_first.values() for e in es):
            # `\\hat{y}[t]` declared: `\\hat{y}_t` is a step too (keyed by accent and letter)
            if (e.kind == "tensor" and e.has_bracket and len(e.keys) > 2
                    and e.keys[0][0] == "cmd" and e.keys[0][1] in _ACCENTS
                    and e.keys[1][0] == "name" and e.keys[2] in (("open", "["), ("sym", "_"))):
                self.sub_time.setdefault((e.keys[0], e.keys[1]), set()).update(
                    e.bracket_letters)
        # `h^{(1)}[t]` declared (a layer mark, then the step): `h^{(1)}_t` is a step too
        self.sub_heads: dict[tuple, set[str]] = {}
        self.timed_names: set[str] = set()
        for e in (e for es in self.by_first.values() for e in es):
            if e.kind != "tensor" or not e.has_bracket or ("open", "[") not in e.keys:
                continue
            self.timed_names.add(e.name)
            at = e.keys.index(("open", "["))
            if at > 2 and e.keys[1] == ("sym", "^") and e.keys[at - 1] == ("close", "}"):
                self.sub_heads.setdefault(e.keys[:at], set()).update(e.bracket_letters)
        self.time_letters = set().union(*self.sub_time.values(), *self.sub_heads.values())
        self.time_base: dict[tuple, str] = {}
        for e in (e for es in self.by_first.values() for e in es):
            if (e.kind == "tensor" and len(e.keys) == 4 and e.keys[1] == ("open", "[")
                    and e.keys[2][0] == "name" and e.keys[3] == ("close", "]")):
                self.time_base[e.keys[0]] = e.name
        for e in (e for es in self.by_first.values() for e in es):
            if e.kind == "tensor" and e.has_bracket and e.keys[1] == ("open", "["):
                self.time_base.setdefault(e.keys[0], e.keys[0][1])
        from .expressions import _Parser  # the grammar reads declared spellings

        self.steps: dict[str, tuple] = {}
        for s, name in bracketed:
            st = _State.make(s, self, "formula")
            try:
                when = _Parser(st, 0, len(st.toks)).parse_range(2, len(st.toks) - 1, index=True)
            except SymgradError:
                continue
            self.steps.setdefault(name, (st.toks[0].key, when))
        self.derivs: list[tuple[str, str, str, str | None]] = []
        self.time_tensors: dict[str, int] = {}
        for s, name in derivative_aliases:
            st = _State.make(s, self, "formula")
            p = _Parser(st, 0, len(st.toks))
            of, wrt = p.derivative_refs()
            qualifier = p.evaluation_bar()
            p.finish()
            self.derivs.append((of[0], wrt[0], name, qualifier))
            if "[" in s and name in self.tensors:
                self.time_tensors[name] = len(self.tensors[name].shape)

    def step(self, name: str) -> tuple | None:
        """(head key, time) of a tensor declared as one time step, e.g. h[T] -> (h, T)."""
        return self.steps.get(name)

    def _add(self, keys: tuple, kind: str, name: str) -> None:
        if not keys:
            return
        inside, letters = False, set()
        for k in keys:
            if k == ("open", "["):
                inside = True
            elif k == ("close", "]"):
                inside = False
            elif inside and k[0] == "name":
                letters.add(k[1])
        entry = _Entry(keys, kind, name, frozenset(letters), ("open", "[") in keys)
        self.by_first.setdefault(keys[0], []).append(entry)
        self.exact.setdefault(keys, entry)

    def match(self, toks, i, hi, bound, kinds) -> _Entry | None:
        """Longest declared spelling starting at token i."""
        if i >= hi:
            return None
        for e in self.by_first.get(toks[i].key, ()):
            n = len(e.keys)
            if e.kind not in kinds or i + n > hi or e.bracket_letters & bound:
                continue
            if all(toks[i + k].key == e.keys[k] for k in range(n)):
                return e
        return None

    def rank(self, name: str | None) -> set[int]:
        d = self.tensors.get(name) if name else None
        if d is None:
            return set()
        return {len(d.shape), sum(1 for s in d.shape if not s == 1)}

    def declared(self) -> str:
        tensors = ", ".join(
            f"{d.name} ({', '.join(d.aliases)})" if d.aliases else d.name
            for d in self.decls.tensors) or "none"
        scalars = ", ".join(self.scalars) or "none"
        return (f"declared tensors: {tensors}; scalars: {scalars}; single letters may be used "
                "only as indices, summation variables or in conditions")


@lru_cache(maxsize=64)
def _cached_ctx(decls: Declarations) -> _Ctx:
    return _Ctx(decls)


def _ctx(decls: Declarations) -> _Ctx:
    try:
        hash(decls)
    except TypeError:
        return _Ctx(decls)
    return _cached_ctx(decls)


@dataclass(frozen=True)
class Macro:
    """A writer's local definition (`s_p = 2p - 1`, `K_{eff} := D(K-1)+1`): the head's
    tokens, the subscript parameter (p) if any, and the value read from its right side."""

    head: tuple
    param: str | None
    value: sp.Expr
    written: str


@dataclass
class _State:
    text: str
    toks: list[_Tok]
    mate: list[int]
    ctx: _Ctx
    mode: str
    sum_bound: list[str] = field(default_factory=list)
    lhs_bound: set[str] = field(default_factory=set)
    time_vars: list[str] = field(default_factory=list)
    unrolling: bool = False
    nest: int = 0
    last: int = 0
    macros: dict = field(default_factory=dict)
    used: set = field(default_factory=set)

    @classmethod
    def make(cls, text: str, ctx: _Ctx, mode: str) -> _State:
        toks, mate = _tokens(text)
        while toks and (toks[-1].kind == "sep" or toks[-1].key in (("sym", "."), ("sym", ","),
                                                                     ("sym", ";"))):
            toks.pop()
        if not toks:
            raise ParseError("could not read an empty claim at position 0", position=0,
                             construct="empty claim")
        if ctx.sub_time:
            toks = _time_subscripts(toks, mate, ctx)
        return cls(text, toks, _mates(toks), ctx, mode)

    def snip(self, lo: int, hi: int) -> str:
        return self.text[self.toks[lo].pos: self.toks[hi - 1].end] if hi > lo else ""


def _timed(inner: list[_Tok], letters: set[str]) -> bool:
    """Whether tokens spell one time step: `t`, `t-1`, `t+k` with a declared time letter."""
    plain = all(u.kind in ("name", "num") or u.key in (("sym", "+"), ("sym", "-"))
                for u in inner)
    names = [u.text for u in inner if u.kind == "name"]
    return plain and len(names) == 1 and names[0] in letters and inner[0].kind == "name"


def _accented(toks: list[_Tok], k: int, ctx: _Ctx) -> bool:
    """Whether toks[k] is the accent of a time-indexed name such as `\\hat{y}[t]`."""
    t = toks[k]
    return (t.kind == "cmd" and t.text in _ACCENTS and k + 1 < len(toks)
            and (t.key, toks[k + 1].key) in ctx.sub_time
            and not (k > 0 and toks[k - 1].key in (("sym", "_"), ("sym", "^"))))


def _time_brackets(toks: list[_Tok], mate: list[int], ctx: _Ctx) -> list[_Tok]:
    """`h(t)`, `a_1(t-1)`, `h^{(t)}` -> `h[t]`, `a_1[t-1]`, `h[t]` where `h[t]` is declared."""
    out, k, n = [], 0, len(toks)
    while k < n:
        t = toks[k]
        letters = ctx.sub_time.get(t.key)
        if _accented(toks, k, ctx):
            out.append(t)
            k += 1
            t, letters = toks[k], ctx.sub_time[(toks[k - 1].key, toks[k].key)]
        if not letters or (k > 0 and toks[k - 1].key in (("sym", "_"), ("sym", "^"))):
            out.append(t)
            k += 1
            continue
        j = k + 1
        if j + 1 < n and toks[j].key == ("sym", "_"):
            j = mate[j + 1] + 1 if toks[j + 1].key == ("open", "{") else j + 2
        head = toks[k:j]
        if (j + 2 < n and toks[j].key == ("sym", "^") and toks[j + 1].key == ("open", "{")
                and toks[j + 2].key == ("open", "(") and mate[j + 2] + 1 == mate[j + 1]
                and _timed(toks[j + 3:mate[j + 2]], letters)):
            a, b, end = j + 2, mate[j + 2], mate[j + 1] + 1
        elif j < n and toks[j].key == ("open", "(") and _timed(toks[j + 1:mate[j]], letters):
            a, b, end = j, mate[j], mate[j] + 1
        else:
            out.append(t)
            k += 1
            continue
        first, last = toks[a], toks[b]
        out.extend([*head, _Tok("open", "[", first.pos, first.end, first.sp), *toks[a + 1:b],
                    _Tok("close", "]", last.pos, last.end)])
        k = end
    return out


def _time_subscripts(toks: list[_Tok], mate: list[int], ctx: _Ctx) -> list[_Tok]:
    """`h_t`, `h_{t-1}` -> `h[t]`, `h[t-1]` where `h[t]` is declared."""
    toks = _time_brackets(toks, mate, ctx)
    mate = _mates(toks)
    out, k, n = [], 0, len(toks)
    while k < n:
        t = toks[k]
        letters = ctx.sub_time.get(t.key)
        if _accented(toks, k, ctx):
            out.append(t)
            k += 1
            t, letters = toks[k], ctx.sub_time[(toks[k - 1].key, toks[k].key)]
        head = next((h for h in ctx.sub_heads if tuple(u.key for u in toks[k:k + len(h)]) == h
                     and not (k > 0 and toks[k - 1].key in (("sym", "_"), ("sym", "^")))),
                    None)
        if head is not None:  # h^{(1)}_{t-1}: the layer mark stays, the step is bracketed
            out.extend(toks[k:k + len(head) - 1])
            k += len(head) - 1
            t, letters = toks[k], ctx.sub_heads[head]
        if not letters or k + 2 >= n or toks[k + 1].key != ("sym", "_") or (
                k > 0 and toks[k - 1].key == ("sym", "_")):
            out.append(t)
            k += 1
            continue
        sub = toks[k + 2]
        if sub.key == ("open", "{"):
            end = mate[k + 2]
            inner = toks[k + 3:end]
        else:
            end, inner = k + 2, [sub]
        comma = next((j for j, u in enumerate(inner) if u.key == ("sym", ",")), None)
        if (comma is not None and sub.key == ("open", "{") and 0 < comma < len(inner) - 1
                and _timed(inner[:comma], letters)
                and not any(u.key == ("sym", ",") for u in inner[comma + 1:])):
            # `a_{t,1}`, `v_{t-1,i}`: time first, then the slot -> a_1[t], v_i[t-1]
            rest, when, u, last = inner[comma + 1:], inner[:comma], toks[k + 1], toks[end]
            slot = rest if len(rest) == 1 else [
                _Tok("open", "{", rest[0].pos, rest[0].pos), *rest,
                _Tok("close", "}", rest[-1].end, rest[-1].end)]
            out.extend([t, u, *slot, _Tok("open", "[", when[0].pos, when[0].pos), *when,
                        _Tok("close", "]", last.pos, last.end)])
            k = end + 1
            continue
        plain = all(u.kind in ("name", "num") or u.key in (("sym", "+"), ("sym", "-"))
                    for u in inner)
        names = [u.text for u in inner if u.kind == "name"]
        timed = len(names) == 1 and names[0] in letters
        if not (plain and timed) or (end + 1 < n and toks[end + 1].key == ("open", "[")):
            out.append(t)
            k += 1
            continue
        u = toks[k + 1]
        last = toks[end]
        out.extend([t, _Tok("open", "[", u.pos, u.end, u.sp), *inner,
                    _Tok("close", "]", last.end - 1 if sub.kind == "open" else last.end,
                         last.end)])
        k = end + 1
    return out


IMPLIED_BASE = sp.Symbol("implied_index_base", integer=True, nonnegative=True)
"""The first index of a sum written without bounds (`\\sum_k`): the reader's index base,
substituted by whoever knows it (the checker, Model.from_latex)."""


def _index_symbol(letter: str) -> sp.Symbol:
    return sp.Symbol(letter, integer=True)


def _scalar_symbol(name: str) -> sp.Symbol:
    return sp.Symbol(name, integer=True, positive=True)


def _tensor(name: str) -> sp.Symbol:
    return sp.Symbol(name, commutative=False)
