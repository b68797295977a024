"""Homework LaTeX -> structured claims of SymPy expressions.

A claim is a shape (`f_W(x) \\in \\mathbb{R}^{1 \\times 3}`, or bare: `R^{5x2}`, `(5, 2)`), an
element or matrix formula (`LHS = RHS`, optionally `\\in \\mathbb{R}^{...}` after it), or a
defining system of equations (rows of `aligned`/`gathered`, tuple assignments, qualifiers
`\\text{for } i = 1, \\dots, k`), possibly several separated by `,`, `;`, `\\quad` or `\\\\`;
`\\text{with } ...` asides are skipped to the end of their row. The text is read by a
tokenizer and a small recursive-descent grammar of our own (no eval, no sympify, no external
grammar on user text), so every refusal names the character position and the construct not
understood.
Tensor names are resolved against the question's `Declarations`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import combinations

import sympy as sp

from symgrad.core.errors import LimitError, ParseError, SymgradError, UnknownNameError
from symgrad.core.ops import (
    At,
    AtTime,
    Diag,
    Hadamard,
    Softargmax,
    Stack,
    Transpose,
)

from .expressions import (
    VStack,
    _decode,
    _guarded,
    _Parser,
)
from .lexer import (
    _DEFINING,
    _DOTS,
    _FRACS,
    _GREEK,
    _JOINERS,
    _MAX_MARKS,
    _MAX_RULES,
    _MULOPS,
    _NOT_A_SIZE,
    _OUT_AXES,
    _OUT_MARKERS,
    _QUANTIFIERS,
    _R_SPACES,
    _fail,
    _is_comma,
    _is_separator,
    _is_times,
    _spell,
    _Tok,
    token_keys,
)
from .names import (
    IMPLIED_BASE,
    Declarations,
    Macro,
    _index_symbol,
    _State,
)


@dataclass(frozen=True)
class Ref:
    """What the left side of a claim names: a tensor (element) or a derivative."""

    of: str
    wrt: str | None
    of_indices: tuple = ()
    wrt_indices: tuple = ()


@dataclass(frozen=True)
class ShapeClaim:
    """`subject \\in R^{dims}`, or a bare product of sizes (subject None); ``values``: the
    interval every entry is claimed to lie in (`(0,1)^m`), as (low, high, open low, open
    high), or None for the reals."""

    subject: Ref | None
    dims: tuple
    values: tuple | None = None


@dataclass(frozen=True)
class ExprShapeClaim:
    """`expression \\in R^{dims}` for an expression of declared tensors (`W_c x[t] \\in
    \\mathbb{R}^m`, `[w_0[t], w_1[t], w_2[t]] \\in \\mathbb{R}^3`): the shape it evaluates to."""

    written: str
    expr: sp.Expr
    dims: tuple


@dataclass(frozen=True)
class IdentityClaim:
    """`A = B` between two expressions of declared tensors (neither side names a quantity):
    judged by evaluating both sides."""

    written: str
    lhs: sp.Expr
    rhs: sp.Expr


@dataclass(frozen=True)
class FormulaClaim:
    """`lhs = rhs` with lhs naming a declared quantity."""

    lhs: Ref
    rhs: sp.Expr
    ranges: tuple = ()


@dataclass(frozen=True)
class ArithmeticClaim:
    """A worked computation `a = b = c`: every link must hold; ``pieces`` are
    (text as written, value)."""

    pieces: tuple[tuple[str, sp.Expr], ...]


@dataclass(frozen=True)
class SizeClaim:
    """A helper size of the result (`H_{out} = ...`, `W' = ...`): ``axis`` names the
    dimension it is read as (`output height`), ``value`` what the writer gives it."""

    written: str
    axis: str
    value: sp.Expr


@dataclass(frozen=True)
class Unjudged:
    """A part that was read but states nothing checkable (a definition nothing uses)."""

    written: str
    reason: str


@dataclass(frozen=True)
class SystemClaim:
    """A defining system of equations, as (lhs, rhs) pairs; ``ranges`` holds the family
    indices' qualifiers (`\\text{for } i = 1, \\dots, k`) as (symbol, lo, hi)."""

    equations: tuple[tuple[sp.Expr, sp.Expr], ...]
    ranges: tuple = ()


_DIM_WORDS = (("cmd", r"\dim"), ("word", "dim"), ("word", "shape"), ("word", "size"))


class _Claims:
    """Splits a claim into parts and parses each as shape, formula or system."""

    def __init__(self, st: _State):
        self.st = st
        self.p = _Parser(st, 0, len(st.toks))
        self.toks = st.toks

    def run(self) -> tuple:
        toks = self.toks
        segs, self.ranges = self.segments()
        expanded = []
        for a, b in segs:
            if toks[a].kind == "cmd" and toks[a].text in _DOTS and b > a + 1:
                expanded.extend([(a, a + 1), (a + 1, b)])
            else:
                expanded.append((a, b))
        parts = self.definitions([self.classify(a, b) for a, b in expanded],
                                 [self.marked(a, b) for a, b in expanded])
        items, run, k = [], [], 0
        while k < len(parts):
            kind, data = parts[k]
            if kind == "links" and self.p.split(*data[-1], _is_times)[1:]:
                items.extend([("dimlinks", data), ("dims", data[-1])])
                k += 1
            elif kind in ("links", "size", "defined"):
                items.append((kind, data))
                k += 1
            elif kind == "bare" and self.p.split(*data, _is_times)[1:]:
                items.append(("dims", data))
                k += 1
            elif kind == "bare":
                run.append(data)
                k += 1
            elif kind in ("in", "defin"):
                subject, space = data[0], data[-1]
                if kind == "defin" and data[1] is not None:
                    items.append(("eq", subject, data[1], False, None))
                for s in [*run, subject]:
                    items.append(("shape", s, space))
                run, k = [], k + 1
            elif kind == "dimof":
                items.append(("dimof", *data))
                k += 1
            elif run:
                if len(data) != 2:
                    raise _fail("the tuple assignment", toks[run[0][0]].pos,
                                "it cannot chain `=`", "tuple assignment")
                n = len(run) + 1
                extra = parts[k + 1: k + n]
                if len(extra) != n - 1 or any(x[0] != "bare" for x in extra):
                    raise _fail("the tuple assignment", toks[run[0][0]].pos,
                                f"it has {n} left sides but not {n} right sides",
                                "tuple assignment")
                for lhs, rhs in zip([*run, data[0]], [data[1]] + [x[1] for x in extra],
                                    strict=True):
                    items.append(("eq", lhs, rhs, True, run[0]))
                run, k = [], k + n
            else:
                items.extend(("eq", data[0], rhs, False, None) for rhs in data[1:])
                k += 1
        items.extend(("dims", r) for r in run)
        return self.build(items)

    def next_at(self, k: int, pred) -> int:
        """The first depth-0 token from k on that satisfies pred (or the end)."""
        toks, n = self.toks, len(self.toks)
        while k < n:
            if toks[k].kind in ("open", "begin"):
                k = self.st.mate[k] + 1
                continue
            if pred(toks[k]):
                return k
            k += 1
        return n

    def segments(self) -> tuple[list, list]:
        """The parts between separators, without asides (`\\text{with } ...`, to the end of its
        row) and range qualifiers (`\\text{for } i = 1, \\dots, k`); and those ranges."""
        toks, n = self.toks, len(self.toks)
        segs, ranges, start, k = [], [], 0, 0
        inline = False  # inside `A if C, else B` / `A if C, B otherwise`: one part
        while k < n:
            u = toks[k]
            if u.key in (("word", "if"), ("word", "when")) and k > start:
                inline = any(w.key in (("word", "else"), ("word", "otherwise"))
                             for w in toks[k + 1:])
            elif inline and u.key in (("word", "else"), ("word", "otherwise")):
                inline = False
            if inline and (_is_separator(u) or u.kind == "word"):
                k += 1
                continue
            if _is_separator(u) and k > start:
                nxt = next((j for j in range(k + 1, n) if toks[j].kind != "sep"), n)
                if nxt < n and toks[nxt].key in (("word", "if"), ("word", "when")) and any(
                        w.key in (("word", "else"), ("word", "otherwise")) for w in toks[nxt:]):
                    k = nxt  # `A, \text{if } C \text{ else } B`: one part
                    continue
            qualifier = None
            if u.key == ("open", "(") and (k == start or toks[k - 1].kind not in ("cmd", "word")):
                qualifier = self.bracketed(k)
            if qualifier is None:
                if u.kind in ("open", "begin"):
                    k = self.st.mate[k] + 1
                    continue
                if _is_separator(u) or (u.kind == "word" and u.text in _JOINERS):
                    segs.append((start, k))
                    start = k = k + 1
                    continue
                if u.key == ("word", "for"):
                    qualifier = self.qualifier(k + 1, u)
                elif k == start:
                    qualifier = self.qualifier(k, None)
            if qualifier is not None:
                segs.append((start, k))
                start, rng = qualifier
                ranges.append((k, *rng))
                k = start
                continue
            k += 1
        segs.append((start, n))
        return [s for s in segs if s[0] < s[1]], ranges

    def bracketed(self, k: int) -> tuple | None:
        """`(1 \\le i \\le k)` / `(i = 1, \\ldots, t-1)` ending a part: the qualifier of
        the equation before it, as (end, (symbol, lo, hi)); None if it is none."""
        toks, j = self.toks, self.st.mate[k]
        if j + 1 < len(toks) and not _is_separator(toks[j + 1]):
            return None
        if not any(self.p.is_relation(u) for u in toks[k + 1:j]):
            return None
        try:
            found = self.qualifier(k + 1, toks[k], j)
        except SymgradError:
            return None
        if found is None or found[0] != j:
            return None
        return j + 1, found[1]

    def qualifier(self, k: int, word: _Tok | None, n: int | None = None) -> tuple | None:
        """`i = 1, \\dots, k` / `i \\in \\{0, \\dots, k\\}` / `1 \\le i \\le t-1` after `for` (or
        standing alone): (end, (symbol, lo, hi)); None for a bare part that is no qualifier."""
        toks, p = self.toks, self.p
        n = len(toks) if n is None else n
        while k < n and toks[k].kind == "word" and toks[k].text in _QUANTIFIERS:
            k += 1
        how = "write it as `for i = 1, \\dots, k` or `for i \\in \\{1, \\dots, k\\}`"
        if k >= n:
            if word is None:
                return None
            raise _fail("the qualifier", word.pos, how, "qualifier")
        extra, marks = p.primes(k + 1) if toks[k].kind == "name" else (-1, "")
        width, m = extra + 1, k + extra + 1
        if width and m + 1 < n and toks[m].key == ("cmd", r"\in") and toks[m + 1].key == (
                "open", "\\{"):
            end = self.st.mate[m + 1] + 1
            if word is None and end < n and not _is_separator(toks[end]):
                return None
            lo, hi, members = p.set_members(m + 1)
            if members is not None:
                lo, hi = self.consecutive(members, toks[m + 1].pos)
            return end, (_index_symbol(toks[k].text + marks), lo, hi)
        if width and m < n and toks[m].key == ("sym", "="):
            return self.listed(toks[k].text + marks, k, m + 1, word, n)
        if word is None:
            return None
        end = min(self.next_at(k, _is_separator), n)
        var, lo, hi = p.sum_row(word, k, end)
        return end, (_index_symbol(var), lo, hi)

    def listed(self, var: str, k: int, a: int, word: _Tok | None,
               n: int | None = None) -> tuple | None:
        """`i = 1, \\dots, t-1` (or `i = 1, 2`): the values of a qualifier, up to its last."""
        toks, p = self.toks, self.p
        n = len(toks) if n is None else n
        items, dots = [], False
        while True:
            b = min(self.next_at(a, _is_separator), n)
            if a >= b:
                break
            is_dots = b == a + 1 and toks[a].kind == "cmd" and toks[a].text in _DOTS
            if not (is_dots or self.simple(a, b)):
                break
            items.append((a, b, is_dots))
            if (dots and not is_dots) or b >= n or toks[b].key != ("sym", ","):
                break
            dots = dots or is_dots
            a = b + 1
        flags = [d for _, _, d in items]
        if not items or flags[0] or flags[-1] or (word is None and len(items) < 2):
            if word is None:
                return None
            raise _fail("the qualifier", word.pos, "write it as `for i = 1, \\dots, k`",
                        "qualifier")
        values = [p.parse_range(x, y, index=True) for x, y, d in items if not d]
        if True in flags:
            before = values[:flags.index(True)]
            if any(sp.expand(v - u) != 1 for u, v in zip(before, before[1:])):
                raise _fail("the qualifier", toks[k].pos, "its values before `\\dots` must "
                            "count up by one", "qualifier")
            lo, hi = values[0], values[-1]
        else:
            lo, hi = self.consecutive(values, toks[k].pos)
        return items[-1][1], (_index_symbol(var), lo, hi)

    def simple(self, a: int, b: int) -> bool:
        """A value in a list: no relation, no word, no derivative."""
        return all(not (u.kind == "word" or self.p.is_relation(u)
                        or (u.kind == "cmd" and u.text in _FRACS)) for u in self.toks[a:b])

    def consecutive(self, values: list, pos: int) -> tuple:
        if any(sp.expand(v - u) != 1 for u, v in zip(values, values[1:])):
            raise _fail("the qualifier", pos, "its values must count up by one, e.g. "
                        "\\{1, 2, 3\\}", "qualifier")
        return values[0], values[-1]

    def is_space(self, a: int, b: int) -> bool:
        """Whether toks[a:b] is a bare space `R^{...}` / `\\mathbb{R}^{...}`."""
        t = self.toks[a]
        named = t.key == ("name", "R") and not self.st.ctx.match(self.toks, a, b, set(),
                                                                 ("tensor", "scalar"))
        if not (named or (t.kind == "cmd" and t.text in _R_SPACES)):
            return False
        return b == a + 1 or self.toks[a + 1].key == ("sym", "^")

    def classify(self, a: int, b: int) -> tuple[str, object]:
        p, toks = self.p, self.toks
        ins = p.split(a, b, lambda u: u.key == ("cmd", r"\in"))
        cond = next((k for k in range(a + 1, b) if toks[k].key in (("word", "if"), ("word", "when"))
                     and p.depth0(a, k)), b)  # `= ... if i = i'`: the condition's `=` is not one
        eqs = p.split(a, cond, lambda u: u.key == ("sym", "="))
        eqs[-1] = (eqs[-1][0], b)
        if len(ins) == 2 and len(eqs) == 2 and eqs[0][1] < ins[0][1]:
            (sa, sb), (ra, rb) = eqs[0], ins[1]
            if sa >= sb or ra >= rb or eqs[1][0] >= ins[0][1]:
                raise _fail("the claim", toks[a].pos, "write `A = B \\in \\mathbb{R}^{...}`",
                            "claim")
            formula = (eqs[1][0], ins[0][1])
            return "defin", ((sa, sb), None if self.placeholder(*formula) else formula,
                             (ra, rb))
        if (len(eqs) == 2 and len(ins) == 1 and toks[a].key in _DIM_WORDS
                and eqs[0][1] > a + 1 and eqs[1][0] < eqs[1][1]):
            lo, hi = a + 1, eqs[0][1]
            if toks[lo].key == ("open", "(") and self.st.mate[lo] == hi - 1:
                lo, hi = lo + 1, hi - 1
            return "dimof", ((lo, hi), eqs[1])
        if len(ins) > 1:
            if len(ins) > 2 or len(eqs) > 1:
                raise _fail("the claim", toks[a].pos, "use one `\\in` or `=` per part", "claim")
            (sa, sb), (ra, rb) = ins
            if ra >= rb:
                raise _fail("the shape", toks[sb].pos, "the space after \\in is missing", "shape")
            return "in", ((sa, sb) if sa < sb else None, (ra, rb))
        if len(eqs) > 1 and all(self.arithmetic(lo, hi) for lo, hi in eqs):
            return "links", eqs
        if len(eqs) == 2 and eqs[0][0] >= eqs[0][1] and eqs[1][0] < eqs[1][1] and any(
                u.kind in ("word", "sep") and _OUTPUT_WORDS.search(self.st.text[u.pos:u.end])
                and not _OTHER_WORDS.search(self.st.text[u.pos:u.end])
                for u in toks[max(a - 1, 0):eqs[0][1] + 1]):
            return "bare", eqs[1]  # \text{Output size} = 5 \times 2: the answer, bare
        if len(eqs) > 1:
            ranges = []
            for lo, hi in eqs:
                if hi > lo and toks[hi - 1].key == ("sym", ":"):
                    hi -= 1
                if lo >= hi:
                    said = [self.st.text[u.pos:u.end] for u in toks[max(a - 1, 0):hi + 1]
                            if u.kind in ("word", "sep")
                            and re.search(r"[A-Za-z]{2}", self.st.text[u.pos:u.end])]
                    raise _fail("`=`", toks[max(lo - 1, a)].pos, f"the left side is words "
                                f"(`{' '.join(said)}`), not a quantity: write what it is "
                                f"(f_W(x) \\in \\mathbb{{R}}^{{...}})" if said and lo == eqs[0][0]
                                else "one side is missing", "equation")
                ranges.append((lo, hi))
            return "eq", ranges
        if self.is_space(a, b):
            return "in", (None, (a, b))
        return "bare", (a, b)

    def arithmetic(self, a: int, b: int) -> bool:
        """Whether toks[a:b] is arithmetic on numbers only (a worked computation); a name
        the writer defined as a number (`n_H = 4`) counts as its number."""
        numbers = [m.head for m in self.st.macros.values()
                   if m.param is None and isinstance(m.value, sp.Number)]
        k = a
        while k < b:
            u = self.toks[k]
            head = next((h for h in numbers if tuple(t.key for t in self.toks[k:k + len(h)])
                         == h), None)
            if head is not None:
                k += len(head)
                continue
            if not (u.kind in ("num", "open", "close") or (u.kind == "sym" and u.text in "+-*/")
                    or (u.kind == "cmd" and u.text in _MULOPS | _FRACS)):
                return False
            k += 1
        return a < b

    def placeholder(self, a: int, b: int) -> bool:
        """`\\sigma(\\cdot)`: a definition written with a placeholder argument."""
        toks = self.toks
        return any(toks[k].kind == "cmd" and toks[k].text in ({r"\cdot"} | _DOTS)
                   and toks[k - 1].kind == "open" and k + 1 < b and toks[k + 1].kind == "close"
                   for k in range(a + 1, b))

    def definitions(self, parts: list, marks: list[bool]) -> list:
        """Read the writer's local definitions (`s_p = 2p - 1`, `K_{eff} := ...`,
        `H_{out} = ... = 5`) first, so every other part can use them; a definition of an
        output size is a statement about the result and is checked."""
        out = []
        for (kind, data), marked in zip(parts, marks, strict=True):
            found = self.new_name(*data[0], data[1], marked) if kind == "eq" else None
            if found is None:
                out.append((kind, data))
                continue
            head, param, axis = found
            lo, hi = data[0]
            written = self.st.snip(lo, hi)
            value = self.value(*data[1], param)
            self.st.macros[head] = Macro(head, param, value, written)
            if len(data) > 2:  # K_eff = A = B: the name, and a computation that is judged
                out.append(("links", data[1:]))
            if axis is not None:
                out.append(("size", (written, axis, value)))
            elif len(data) <= 2:
                out.append(("defined", (written, lo)))
        return out

    def new_name(self, lo: int, hi: int, rhs: tuple[int, int], marked: bool) -> tuple | None:
        """(head tokens, parameter letter, output axis) if toks[lo:hi] is a name that the
        question does not declare (`s_p`, `K_{eff}`, `H_{out}`, `W'`, `g_t`); else None."""
        toks, ctx = self.toks, self.st.ctx
        first = toks[lo]
        if not (first.kind == "name" or (first.kind == "cmd" and first.text in _GREEK)):
            return None
        axis = None
        k = lo + 1
        if (marked and k + 2 == hi - 1 and toks[k].key == ("open", "[")
                and toks[hi - 1].key == ("close", "]")
                and toks[k + 1].kind == "name" and toks[k + 1].text in ctx.time_letters | {"t"}
                and ctx.match(toks, lo, hi, set(), ("tensor",)) is None):
            return tuple(u.key for u in toks[lo:hi]), None, None  # `s[t] := v_1[t] - h[t]`
        marker = ""
        if k < hi and toks[k].key == ("sym", "'"):
            k, marker = k + 1, "'"
        sub: list = []
        if k < hi and toks[k].key == ("sym", "_"):
            if k + 1 >= hi:
                return None
            if toks[k + 1].key == ("open", "{") and self.st.mate[k + 1] == hi - 1:
                sub = toks[k + 2: hi - 1]
            elif k + 2 == hi:
                sub = [toks[k + 1]]
            else:
                return None
            if not sub or not all(u.kind in ("name", "num", "word") for u in sub):
                return None
            marker = marker or "".join(u.text for u in sub)
        elif k != hi:
            return None
        word = marker.lower()
        if first.kind == "name" and (word in _OUT_MARKERS or word == "'"):
            axis = _OUT_AXES.get(first.text)
        param = None
        if (len(sub) == 1 and sub[0].kind == "name" and len(sub[0].text) == 1 and axis is None
                and sub[0].text.islower()):  # H_P is a name, s_p one per position p
            param = sub[0].text
        if axis is None and not (marked and param is not None and any(
                u.key == ("name", param) for u in toks[rhs[0]:rhs[1]])):
            e = ctx.match(toks, lo, hi, set(), ("tensor", "scalar"))
            if e is not None and not (e.kind == "scalar" and (len(e.keys) < hi - lo or marked)
                                      ) and not (marked and self.index_valued(*rhs)):
                return None
        if (first.key,) in ctx.loss_any and not sub and not marker:
            return None
        head = tuple(u.key for u in toks[lo:k if param is not None else hi])
        return head, param, axis

    def index_valued(self, lo: int, hi: int) -> bool:
        """Whether toks[lo:hi] is index arithmetic (`2(j-1)`): letters, numbers, + - and
        brackets, no declared tensor; a `where` definition of one shadows a tensor's alias
        (`s = 2(j-1)` when s also names the output)."""
        ctx = self.st.ctx
        return lo < hi and any(u.kind == "name" for u in self.toks[lo:hi]) and all(
            (u.kind == "name" and len(u.text) == 1
             and ctx.match(self.toks, k, hi, set(), ("tensor",)) is None)
            or u.kind == "num" or u.key in (("sym", "+"), ("sym", "-"), ("open", "("),
                                            ("close", ")"))
            for k, u in enumerate(self.toks[lo:hi], lo))

    def identity(self, lhs: tuple[int, int], rhs: tuple[int, int]) -> IdentityClaim | None:
        """``A = B`` whose left side is an expression of the question's tensors, not a
        quantity (``\\sum_i a_i[t] (\\delta_{i1} - a_1[t]) v_i[t] = a_1[t] (v_1[t] - h[t])``):
        an identity, or None when the left side reads no declared tensor."""
        try:
            a = self.p.parse_range(*lhs, mode="formula")
            b = self.p.parse_range(*rhs, mode="formula")
        except SymgradError:
            return None  # read as a formula, with that reading's message
        names = {s.name for s in a.atoms(sp.Symbol)} | {str(e.base.label)
                                                        for e in a.atoms(sp.Indexed)}
        if not names & set(self.st.ctx.tensors) or not isinstance(
                a, (sp.Add, sp.Mul, sp.Sum, sp.Pow, sp.Function)) or isinstance(a, AtTime):
            return None  # one tensor at another step (\delta[3] = g[3]) is no identity
        return IdentityClaim(self.st.snip(lhs[0], rhs[1]), a, b)

    def undeclared(self, lo: int, hi: int) -> bool:
        """Whether toks[lo:hi] names no declared quantity."""
        try:
            self.lhs_ref(lo, hi)
        except SymgradError:
            return True
        return False

    def marked(self, a: int, b: int) -> bool:
        """Whether toks[a:b] is introduced as a definition: `where`, `let`, `define`,
        `denote` before it, or `:=` in it."""
        if a > 0:
            u = self.toks[a - 1]
            said = self.st.text[u.pos:u.end].strip().lower()
            if u.kind in ("word", "sep") and said.startswith(_DEFINING):
                return True
        return any(self.toks[k].key == ("sym", ":") and self.toks[k + 1].key == ("sym", "=")
                   for k in range(a, b - 1))

    def value(self, lo: int, hi: int, param: str | None) -> sp.Expr:
        """The right side of a definition; its free single letters are indices."""
        ctx, toks = self.st.ctx, self.toks
        letters = {param} if param else set()
        for k in range(lo, hi):
            u = toks[k]
            if (u.kind == "name" and len(u.text) == 1
                    and ctx.match(toks, k, hi, set(), ("tensor", "scalar")) is None):
                letters.add(u.text)
        saved = self.st.lhs_bound
        self.st.lhs_bound = saved | letters
        try:
            return self.p.parse_range(lo, hi, mode="formula")
        finally:
            self.st.lhs_bound = saved

    def build(self, items: list) -> tuple:
        eqs = [it for it in items if it[0] == "eq"]
        system = any(it[3] for it in eqs)
        if not system and len(eqs) >= 2 and not any(self.is_derivative(it[1]) for it in eqs):
            kinds = [self.lhs_kind(it[1]) for it in eqs]
            system = "model" in kinds or all(k == "whole" for k in kinds)
        formulas = [it for it in items if it[0] == "eq"]
        bound: set = set()
        if self.ranges and not system and not formulas:
            raise _fail("the qualifier", self.toks[0].pos, "a range `for i = ...` is read only "
                        "after a formula or in a system of equations", "qualifier")
        claims: list = []
        equations: list = []
        groups: dict = {}
        for it in items:
            if it[0] == "links":
                claims.append(ArithmeticClaim(tuple(
                    (self.st.snip(lo, hi), self.p.parse_range(lo, hi, mode="formula"))
                    for lo, hi in it[1])))
            elif it[0] == "dimlinks":
                claims.append(ArithmeticClaim(tuple(
                    (self.st.snip(lo, hi), sp.Tuple(*self.dims(lo, hi))) for lo, hi in it[1])))
            elif it[0] == "size":
                claims.append(SizeClaim(*it[1]))
            elif it[0] == "defined":
                claims.append(it)
            elif it[0] == "shape" and system and it[1] is not None and self.undeclared(*it[1]):
                claims.append(Unjudged(self.st.snip(it[1][0], it[2][1]), "the shape of a "
                                       "parameter of the system is not checked"))
            elif it[0] == "shape" and it[1] is not None and self.undeclared(*it[1]):
                # W_c x[t] \in R^m: the shape of an expression of declared tensors
                dims, values = self.space_values(*it[2])
                if values is not None:
                    raise _fail("a set of values", self.toks[it[2][0]].pos, "only a named "
                                "quantity's entries are checked against a set", "shape")
                claims.append(ExprShapeClaim(self.st.snip(*it[1]),
                                             self.p.parse_range(*it[1], mode="formula"), dims))
            elif it[0] == "shape":
                subject = None if it[1] is None else self.lhs_ref(*it[1])
                claims.append(ShapeClaim(subject, *self.space_values(*it[2])))
            elif it[0] == "dimof":
                claims.append(ShapeClaim(self.lhs_ref(*it[1]), self.dims(*it[2])))
            elif it[0] == "dims":
                claims.append(ShapeClaim(None, self.dims(*it[1])))
            elif system:
                if not equations:
                    claims.append(None)
                lhs = self.p.parse_range(*it[1], mode="system")
                rhs = self.p.parse_range(*it[2], mode="system")
                if it[4] is not None:
                    groups.setdefault(it[4], []).append(len(equations))
                equations.append((lhs, rhs))
            elif self.undeclared(*it[1]) and (identity := self.identity(it[1], it[2])):
                claims.append(identity)
            else:
                claim = self.formula(it[1], it[2])
                letters = {s for i in claim.lhs.of_indices + claim.lhs.wrt_indices
                           for s in getattr(i, "free_symbols", ())}
                letters |= {v for sm in claim.rhs.atoms(sp.Sum) for v, _, _ in sm.limits}
                mine = tuple((v, lo, hi) for _, v, lo, hi in self.ranges if v in letters)
                bound.update(v for v, _, _ in mine)
                claims.append(replace(claim, ranges=mine) if mine else claim)
        for at, var, _, _ in self.ranges if not system else ():
            if var not in bound:
                raise _fail("the range", self.toks[at].pos, f"`{var}` is not an index of the "
                            "left side of a formula before it", "range")
        if system:
            ranges = self.scoped([it[1][0] for it in eqs], equations)
            used = {x.name for a, b in equations for x in a.free_symbols | b.free_symbols}
            budget = [_MAX_RULES]
            for first, slots in reversed(groups.items()):
                pairs, rng = _generalize([equations[q] for q in slots], used,
                                         self.toks[first[0]].pos, budget)
                equations[slots[0]: slots[-1] + 1] = pairs
                ranges.extend(r for r in rng if r not in ranges)
            claims[claims.index(None)] = SystemClaim(tuple(equations), tuple(ranges))
        return tuple(self.unused(c) for c in claims if not (
            isinstance(c, tuple) and c[1][0] in self.st.used))

    @staticmethod
    def unused(c):
        """A definition that nothing used is reported as not judged."""
        if isinstance(c, tuple):
            return Unjudged(c[1][0], "it defines a name that no other part of the claim uses "
                            "and the question does not declare")
        return c

    def scoped(self, starts: list[int], equations: list) -> list:
        """The qualifiers' ranges. A qualifier binds its letter in the equations since the
        previous one; where other equations use that letter too, it is renamed in its own."""
        out, done = [], 0
        for at, var, lo, hi in self.ranges:
            mine = [q for q, k in enumerate(starts) if done <= k < at]
            done = at
            others = {x for q, (a, b) in enumerate(equations) if q not in mine
                      for x in (a.free_symbols | b.free_symbols)}
            if var in others:
                used = {x.name for a, b in equations for x in a.free_symbols | b.free_symbols}
                fresh = _index_symbol(next(c for c in "ijpqrsu" + "abcdefgm" if c not in used))
                for q in mine:
                    equations[q] = tuple(e.xreplace({var: fresh}) for e in equations[q])
                var = fresh
            out.append((var, lo, hi))
        return out

    def is_derivative(self, r: tuple[int, int]) -> bool:
        t = self.toks[r[0]]
        return (t.kind == "cmd" and (t.text in _FRACS or t.text == r"\nabla")
                or self.wrapped_derivative(*r) is not None
                or self.slash_derivative(*r) is not None)

    def wrapped_derivative(self, lo: int, hi: int) -> int | None:
        """`\\left(\\frac{\\partial A}{\\partial B}\\right)_{j,c,k}`: the index of the closing
        bracket of a derivative in parentheses with entries after it; else None."""
        if not (lo + 1 < hi and self.toks[lo].key == ("open", "(")):
            return None
        m = self.st.mate[lo]
        t = self.toks[lo + 1]
        if m >= hi - 1 or not (t.kind == "cmd" and t.text in _FRACS):
            return None
        return m if self.toks[m + 1].key in (("sym", "_"), ("open", "[")) else None

    def lhs_kind(self, r: tuple[int, int]) -> str:
        try:
            ref = self.lhs_ref(*r)
        except SymgradError:
            return "model"
        return "whole" if not ref.of_indices and ref.wrt is None else "element"

    def slash_derivative(self, lo: int, hi: int) -> int | None:
        """`\\partial f_W(x) / \\partial W`: the index of the `/`; else None."""
        if self.toks[lo].key != ("cmd", r"\partial"):
            return None
        cut = self.p.split(lo, hi, lambda u: u.key == ("sym", "/"))
        if len(cut) != 2 or not (cut[1][0] < hi and self.toks[cut[1][0]].key == (
                "cmd", r"\partial")):
            return None
        return cut[0][1]

    def lhs_ref(self, lo: int, hi: int) -> Ref:
        slash = self.slash_derivative(lo, hi)
        if slash is not None:
            p = _Parser(self.st, lo, hi, mode="formula")
            of = p.ref(lo + 1, slash, numerator=True)
            wrt = p.ref(slash + 2, hi, numerator=False)
            if of[2] is not None or wrt[2] is not None:
                raise _fail(f"`{self.st.snip(lo, hi)}`", self.toks[lo].pos,
                            "the left side must name a declared quantity", "left side")
            return Ref(of[0], wrt[0], tuple(of[1]), tuple(wrt[1]))
        wrapped = self.wrapped_derivative(lo, hi)
        if wrapped is not None:
            inner = _Parser(self.st, lo + 1, wrapped, mode="formula")
            of, wrt = inner.derivative_refs()
            inner.finish()
            rest = _Parser(self.st, wrapped + 1, hi, mode="formula")
            of, wrt = self.entry_of_derivative(rest, of, wrt)
            rest.finish()
            if of[2] is not None or wrt[2] is not None:
                raise _fail(f"`{self.st.snip(lo, hi)}`", self.toks[lo].pos,
                            "the left side must name a declared quantity", "left side")
            return Ref(of[0], wrt[0], tuple(of[1]), tuple(wrt[1]))
        p = _Parser(self.st, lo, hi, mode="formula")
        if self.is_derivative((lo, hi)):
            of, wrt = p.derivative_refs()
            of, wrt = self.entry_of_derivative(p, of, wrt)
            p.finish()
            if of[2] is not None or wrt[2] is not None:
                raise _fail(f"`{self.st.snip(lo, hi)}`", self.toks[lo].pos,
                            "the left side must name a declared quantity", "left side")
            return Ref(of[0], wrt[0], tuple(of[1]), tuple(wrt[1]))
        decoded = _decode(p.parse_range(lo, hi), self.st.ctx)
        if decoded is None or decoded[2] is not None:
            raise _fail(f"the left side `{self.st.snip(lo, hi)}`", self.toks[lo].pos,
                        "it does not name a declared quantity", "left side")
        return Ref(decoded[0], None, tuple(decoded[1]), ())

    def entry_of_derivative(self, p: _Parser, of: tuple, wrt: tuple) -> tuple[tuple, tuple]:
        """`\\frac{\\partial A}{\\partial B}[i, j, k]` (or `_{ijk}`): the indices shared out,
        the first rank(A) to A and the rest to B."""
        if p.at("open", "["):
            extra = list(p.bracket_items())
        elif p.at("sym", "_"):
            p.take()
            extra = list(p.sub_items(None))
        else:
            return of, wrt
        tensors = self.st.ctx.tensors
        rank_of = 0 if of[0] == "loss" else len(tensors[of[0]].shape)
        rank_wrt = len(tensors[wrt[0]].shape) if wrt[0] in tensors else None
        pos = self.toks[p.i - 1].pos
        if of[1] or wrt[1]:
            raise _fail("the derivative's entry", pos, "its indices are given twice", "derivative")
        if rank_wrt is not None and len(extra) != rank_of + rank_wrt:
            extra = self.fill_singletons(extra, of[0], wrt[0])
        if rank_wrt is None or len(extra) != rank_of + rank_wrt:
            raise _fail("the derivative's entry", pos, f"it needs {rank_of} + "
                        f"{rank_wrt} indices, one per axis of numerator and denominator",
                        "derivative")
        return ((of[0], tuple(extra[:rank_of]), of[2]),
                (wrt[0], tuple(extra[rank_of:]), wrt[2]))

    def fill_singletons(self, extra: list, of: str, wrt: str) -> list:
        """Entries given for the axes that are not 1 (`_{j,c,k}` for 1 x 3 x 1 x 5 x 3): the
        first index on every singleton axis, where the count fits exactly."""
        tensors = self.st.ctx.tensors
        shape = (() if of == "loss" else tuple(tensors[of].shape)) + tuple(tensors[wrt].shape)
        wide = [k for k, d in enumerate(shape) if not d == 1]
        if len(extra) != len(wide):
            return extra
        out = [IMPLIED_BASE] * len(shape)
        for k, i in zip(wide, extra, strict=True):
            out[k] = i
        return out

    def formula(self, lhs: tuple[int, int], rhs: tuple[int, int]) -> FormulaClaim:
        ref = self.lhs_ref(*lhs)
        scalars = set(self.st.ctx.scalars)
        letters = {s.name for i in ref.of_indices + ref.wrt_indices
                   for s in i.free_symbols if s.name not in scalars}
        saved = self.st.lhs_bound
        self.st.lhs_bound = saved | letters
        try:
            value = self.p.parse_range(*rhs, mode="formula")
        finally:
            self.st.lhs_bound = saved
        return _unshift(ref, value, scalars)

    def space(self, lo: int, hi: int) -> tuple:
        return self.space_values(lo, hi)[0]

    def space_values(self, lo: int, hi: int) -> tuple[tuple, tuple | None]:
        """The dims of `\\mathbb{R}^{dims}`, `(0,1)^{dims}`, `[-1,1]^{dims}`, and the
        interval of the values (None for the reals)."""
        lo = self.p.split(lo, hi, lambda u: u.key in (("cmd", r"\subset"),
                                                      ("cmd", r"\subseteq")))[-1][0]
        t = self.toks[lo] if lo < hi else self.toks[lo - 1]
        values = None
        if t.kind == "open" and t.text in "([" and self.st.mate[lo] + 1 < hi:
            values = self.interval(lo, self.st.mate[lo])
            lo = self.st.mate[lo]
            t = self.toks[lo]
            if t.key == ("close", ")"):
                t = _Tok("close", "]", t.pos, t.end)
        return self.space_dims(lo, hi, t), values

    def interval(self, lo: int, hi: int) -> tuple:
        """`(0, 1)`, `[-1, 1]`, `(0, \\infty)`: (low, high, open low, open high)."""
        ends = self.p.split(lo + 1, hi, _is_comma)
        if len(ends) != 2:
            raise _fail("the interval", self.toks[lo].pos, "write it as (a, b) or [a, b]",
                        "interval")
        low, high = (_Parser(self.st, a, b).parse_range(a, b) for a, b in ends)
        if not (low.is_number and high.is_number):
            raise _fail("the interval", self.toks[lo].pos, "its ends must be numbers",
                        "interval")
        return (low, high, self.toks[lo].text == "(", self.toks[hi].text == ")")

    def space_dims(self, lo: int, hi: int, t: _Tok) -> tuple:
        if lo >= hi:
            raise _fail("the shape", t.pos, "the space after \\subset is missing", "shape")
        if not (t.key in (("name", "R"), ("close", "]")) or (t.kind == "cmd"
                                                             and t.text in _R_SPACES)):
            raise _fail(f"`{_spell(t)}`", t.pos, "a space \\mathbb{R}^{...} is expected after "
                        "\\in", "space")
        if hi == lo + 1:
            return ()
        p = _Parser(self.st, lo + 1, hi, mode="dims")
        if not p.at("sym", "^"):
            raise p.error(f"`{_spell(p.peek())}`", "write \\mathbb{R}^{dims}", "space")
        p.take()
        a, b = p.arg_range()
        p.finish()
        return self.dims(a, b)

    def dims(self, lo: int, hi: int) -> tuple:
        p = _Parser(self.st, lo, hi, mode="dims")
        cut = _is_times
        if self.toks[lo].key == ("open", "(") and self.st.mate[lo] == hi - 1:
            lo, hi = lo + 1, hi - 1
            if len(p.split(lo, hi, _is_comma)) > 1:
                cut = _is_comma
        out: list = []
        for a, b in p.split(lo, hi, cut):
            if a >= b:
                raise _fail("a dimension", self.toks[max(a - 1, 0)].pos, "it is empty",
                            "shape")
            out.extend(self.dims_piece(p, a, b))
        return tuple(out)

    def dims_piece(self, p: _Parser, a: int, b: int) -> list:
        scalars = set(self.st.ctx.scalars)
        pieces = p.split(a, b, lambda u: u.kind == "name" and u.text in "xX"
                         and u.text not in scalars)
        if len(pieces) > 1 and all(lo < hi for lo, hi in pieces):
            try:
                return [self.size(p, lo, hi) for lo, hi in pieces]
            except SymgradError:
                pass
        return [self.size(p, a, b)]

    def size(self, p: _Parser, lo: int, hi: int) -> sp.Expr:
        e = p.parse_range(lo, hi, index=False, mode="dims")
        if not e.is_commutative or e.has(sp.Indexed, At, AtTime, Stack, VStack, Softargmax, Diag,
                                          Hadamard, Transpose):
            raise _fail(f"the size `{self.st.snip(lo, hi)}`", self.toks[lo].pos,
                        _NOT_A_SIZE, "shape")
        return e


def _unshift(ref: Ref, value: sp.Expr, scalars: set) -> FormulaClaim:
    """`W_{c,m+1} = x_{c,2j-1+m}` -> `W_{c,m} = x_{c,2j-2+m}`: a left-side index that shifts
    (or negates) one letter found nowhere else on the left is renamed to that letter."""
    indices = list(ref.of_indices + ref.wrt_indices)
    bound = {s for e in value.atoms(sp.Sum, sp.Product) for s in e.variables}
    for q, idx in enumerate(indices):
        letters = [s for s in idx.free_symbols if s.name not in scalars]
        if isinstance(idx, sp.Symbol) or len(letters) != 1 or letters[0] in bound:
            continue
        m = letters[0]
        a, b = sp.diff(idx, m), sp.expand(idx - sp.diff(idx, m) * m)
        others = [e for r, e in enumerate(indices) if r != q]
        if a not in (1, -1) or m in b.free_symbols or any(m in e.free_symbols for e in others):
            continue
        value = value.xreplace({m: sp.expand(a * (m - b))})
        indices[q] = m
    n = len(ref.of_indices)
    ref = Ref(ref.of, ref.wrt, tuple(indices[:n]), tuple(indices[n:]))
    return FormulaClaim(ref, value)




def _slot(e: sp.Expr) -> sp.Expr | None:
    """The slot of a family member `q_s[t]`, or None."""
    head = e.args[0] if isinstance(e, AtTime) else e
    if isinstance(head, sp.Indexed) and len(head.indices) == 1:
        return head.indices[0]
    return None


def _generalize(pairs: list, used: set, pos: int, budget: list) -> tuple[list, list]:
    """`q_0[t], q_1[t], \\dots, q_{t-1}[t] = Q_0 x[t], Q_1 h[t-1], \\dots, Q_1 h[1]`: the last
    slot `t-1` is a formula, so the listed pairs become one rule q_i[t] = Q_1 h[t-i] for
    every slot from the first listed one on, with that range; ``budget`` caps the rules
    tried over a claim."""
    dots = [k for k, (lhs, _) in enumerate(pairs) if isinstance(lhs, sp.Symbol)
            and lhs.name == "..."]
    slots = [_slot(lhs) for lhs, _ in pairs]
    tail = [k for k in range(len(pairs)) if dots and k > dots[0] and slots[k] is not None
            and not slots[k].is_Integer and not isinstance(slots[k], sp.Symbol)]
    if not tail:
        return pairs, []
    last = tail[-1]
    listed = [(int(s), pairs[k][1]) for k, s in enumerate(slots)
              if k < dots[0] and s is not None and s.is_Integer and s >= 1]
    var = _index_symbol(next((c for c in "ijpqrsu" if c not in used), "i"))
    end = slots[last]
    if listed:
        first, template = listed[0]
        marks: list = []

        def mark(e):
            if e.is_Integer and abs(e) == first:
                marks.append(sp.Dummy(integer=True))
                return marks[-1] if e > 0 else -marks[-1]
            args = [mark(a) for a in e.args]
            return e if all(a is b for a, b in zip(args, e.args)) else e.func(*args)

        marked = mark(template)
        fits = [(end, pairs[last][1])] + [(sp.Integer(s), r) for s, r in listed]
        if len(marks) <= _MAX_MARKS:
            for size in range(1, len(marks) + 1):
                for chosen in _subsets(len(marks), size):
                    budget[0] -= 1
                    if budget[0] < 0:
                        raise LimitError(f"the tuple assignments before position {pos} need "
                                         f"more than {_MAX_RULES} trial rules")
                    rule = marked.xreplace({d: var if q in chosen else sp.Integer(first)
                                            for q, d in enumerate(marks)})
                    if all(rule.xreplace({var: s}) == r for s, r in fits):
                        keep = [pr for k, pr in enumerate(pairs) if k < dots[0]]
                        lhs = pairs[last][0].xreplace({end: var})
                        return keep + [(lhs, rule)], [(var, sp.Integer(first), end)]
    raise ParseError(f"could not read the tuple assignment at position {pos}: no single rule "
                     f"for the slots after `\\dots` gives the listed ones; write it as "
                     f"`q_i[t] = ...` with a range", position=pos, construct="tuple assignment")


def _subsets(n: int, size: int):
    return (set(c) for c in combinations(range(n), size))








# a scalar the writer declares (`Define the padding on top $P_{H1}$`, carried as
# `P_{H1} \in \mathbb{R}`); a declared size with an axis subscript (`S_H`, `K_W`, `P_{H1}`)
# is the writer's per-axis size: both are free scalars, any value
_OWN_SCALAR = re.compile(r"^\s*([A-Za-z](?:\s*_\s*(?:\{\s*[A-Za-z0-9]+\s*\}|[A-Za-z0-9]))?)\s*"
                         r"\\in\s*\\mathbb\s*\{?\s*[RZN]\s*\}?\s*$")
_AXIS_SIZE = re.compile(r"(?<![\\A-Za-z])(?:([KSPD])\s*_\s*(?:\{\s*[HWhw][12]?\s*\}|[HWhw])|(P)\s*_"
                        r"\s*(?:\{\s*[12]\s*\}|[12]))(?![A-Za-z0-9])")


# words that name the answer on the left of `=` (\text{Output size} = ...)
_OUTPUT_WORDS = re.compile(r"\b(?:output|answer|result|dimensions?|shape|size)\b", re.I)
_OTHER_WORDS = re.compile(r"\b(?:input|kernel|filters?|padd\w*|stride|image|weights?|"
                          r"hidden|state|gate)\b", re.I)


def _spelled(name: str) -> str:
    return re.sub(r"[\s{}]", "", name)


def own_scalars(text: str, decls: Declarations, definitions: Sequence[str] = ()
                ) -> tuple[Declarations, list[str]]:
    """``decls`` with the writer's own scalars of ``definitions`` and ``text`` added, and
    the definitions that remain to be read."""
    known = {_spelled(n) for n in decls.scalars}
    known |= {_spelled(a) for d in decls.tensors for a in (d.name, *d.aliases)}
    new, rest = [], []
    for d in definitions:
        m = _OWN_SCALAR.match(d)
        if m is None:
            rest.append(d)
        elif _spelled(m.group(1)) not in known:
            new.append(m.group(1).strip())
    for piece in (text, *rest):
        for m in _AXIS_SIZE.finditer(piece):
            if (m.group(1) or m.group(2)) in known and _spelled(m.group(0)) not in known:
                new.append(m.group(0))
    new = list(dict.fromkeys(n for n in new if _spelled(n) not in known))
    return (replace(decls, scalars=(*decls.scalars, *new)) if new else decls), rest


def writer_definitions(text: str, decls: Declarations, definitions: Sequence[str]
                       ) -> tuple[Declarations, dict]:
    """The declarations with the writer's own scalars, and the macros of the writer's
    definitions, for reading ``text``; a definition that cannot be read stops only a claim
    that uses its name."""
    decls, definitions = own_scalars(text, decls, definitions)
    macros: dict = {}
    for d in definitions:
        try:
            macros.update(read_definitions(d, decls, macros))
        except (ParseError, UnknownNameError) as e:
            head = re.split(r":?=|\\in\b", d, maxsplit=1)[0]
            spelled = r"[\s{}]*".join(re.escape(c) for c in _spelled(head))
            if not spelled or re.search(r"(?<![A-Za-z\\])" + spelled + r"(?![A-Za-z0-9])", text):
                # the position is in the definition, not in the claim: say so
                raise type(e)(f"in the definition `{d}`: {e}", None) from e
    return decls, macros


def parse_claim(text: str, decls: Declarations, definitions: Sequence[str] = ()) -> tuple:
    """Parse a claim into its parts (ShapeClaim, FormulaClaim, SystemClaim,
    ArithmeticClaim, SizeClaim, Unjudged), in written order. ``definitions`` are the
    writer's earlier local definitions (`s_p = 2p - 1`), read first and usable here."""
    decls, macros = writer_definitions(text, decls, definitions)

    def run(st: _State) -> tuple:
        st.macros.update(macros)
        return _Claims(st).run()

    return _guarded(run, text, decls, "formula")


def read_definitions(text: str, decls: Declarations, macros: dict | None = None) -> dict:
    """The local definitions in ``text`` (other parts are ignored), as macros by head."""

    def run(st: _State) -> dict:
        st.macros.update(macros or {})
        c = _Claims(st)
        segs, c.ranges = c.segments()
        c.definitions([c.classify(a, b) for a, b in segs], [c.marked(a, b) for a, b in segs])
        return st.macros

    return _guarded(run, text, decls, "formula")


def offset_letters(definitions: Sequence[str]) -> frozenset[str]:
    """The letters a writer declares to count from 0 (``m \\in \\{0, 1, 2\\}``, ``0 \\le m
    \\le 2``, ``m = 0, 1, 2``): kernel offsets beside 1-based positions, which the checker
    may read as such (saying so)."""
    out = set()
    for text in definitions:
        try:
            keys = token_keys(text)
        except SymgradError:
            continue
        if len(keys) >= 4 and keys[0][0] == "name" and len(keys[0][1]) == 1 and (
                keys[1:4] == [("cmd", "\\in"), ("open", "\\{"), ("num", "0")]
                or keys[1:3] == [("sym", "="), ("num", "0")]):
            out.add(keys[0][1])
        elif len(keys) >= 3 and keys[0] == ("num", "0") and keys[1] in (
                ("cmd", "\\le"), ("cmd", "\\leq")) and keys[2][0] == "name":
            out.add(keys[2][1])
    return frozenset(out)
