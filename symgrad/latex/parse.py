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
from dataclasses import dataclass, field
from functools import lru_cache
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
    relu,
    sigmoid,
)

__all__ = [
    "MAX_DEPTH",
    "MAX_LENGTH",
    "Declarations",
    "FormulaClaim",
    "Ref",
    "ShapeClaim",
    "SystemClaim",
    "TensorDecl",
    "parse_claim",
    "parse_expression",
]

MAX_LENGTH = 20000
MAX_DEPTH = 100
_MAX_NEST = 120
_MAX_MARKS = 6
_MAX_RULES = 256
_NOT_A_SIZE = "a shape is a product of sizes; a formula needs a left side `... =`"


@dataclass(frozen=True)
class TensorDecl:
    """A tensor of a question: canonical name, shape and the LaTeX spellings that mean it."""

    name: str
    shape: tuple
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Declarations:
    """Everything a claim may name: tensors, size parameters and the loss."""

    tensors: tuple[TensorDecl, ...]
    scalars: tuple[str, ...] = ()
    loss: tuple[str, ...] = (r"\ell", "l", "L", r"\mathcal{L}")


@dataclass(frozen=True)
class Ref:
    """What the left side of a claim names: a tensor (element) or a derivative."""

    of: str
    wrt: str | None
    of_indices: tuple = ()
    wrt_indices: tuple = ()


@dataclass(frozen=True)
class ShapeClaim:
    """`subject \\in R^{dims}`, or a bare product of sizes (subject None)."""

    subject: Ref | None
    dims: tuple


@dataclass(frozen=True)
class FormulaClaim:
    """`lhs = rhs` with lhs naming a declared quantity."""

    lhs: Ref
    rhs: sp.Expr


@dataclass(frozen=True)
class SystemClaim:
    """A defining system of equations, as (lhs, rhs) pairs; ``ranges`` holds the family
    indices' qualifiers (`\\text{for } i = 1, \\dots, k`) as (symbol, lo, hi)."""

    equations: tuple[tuple[sp.Expr, sp.Expr], ...]
    ranges: tuple = ()


# ----------------------------------------------------------------------------- tokens


@dataclass(frozen=True)
class _Tok:
    kind: str  # num name word cmd sym open close begin end sep
    text: str
    pos: int
    end: int
    sp: bool = False

    @property
    def key(self) -> tuple[str, str]:
        return (self.kind, self.text)


_SKIP_CMDS = {
    "displaystyle", "textstyle", "scriptstyle", "limits", "nolimits", "left", "right",
    "middle", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr", "biggl",
    "biggr", "Biggl", "Biggr", "nonumber", "notag",
}
_FONT_TEXT = {
    "text", "textrm", "textit", "textbf", "textsf", "texttt", "textnormal", "mbox",
    "mathrm", "operatorname", "mathit", "mathsf", "mathbf", "mathtt", "boldsymbol", "bm",
}
_FONT_LETTER = {"mathbb", "mathcal", "mathscr", "mathfrak", "mathds", "mathbbm"}
_TRANSPARENT_ENVS = {"equation", "equation*", "displaymath", "math"}
_OPEN_CMDS = {"lfloor", "lceil", "langle"}
_CLOSE_CMDS = {"rfloor", "rceil", "rangle"}
_PAIRS = {
    "{": "}", "(": ")", "[": "]", r"\{": r"\}",
    r"\lfloor": r"\rfloor", r"\lceil": r"\rceil", r"\langle": r"\rangle",
}
_KEYWORDS = {"if", "else", "otherwise", "and", "or", "for", "when"}
_ASIDES = {"with", "where"}
_ASIDE_PART = "as"
_PROSE_FONTS = {"text", "textrm", "textit", "textbf", "textsf", "texttt", "textnormal", "mbox",
                "mathrm"}
_PROSE_PUNCT = "()[],.:;!?"
_QUANTIFIERS = {"every", "all", "each", "any"}
_ROW_ENVS = {
    "aligned", "align", "align*", "alignat", "alignat*", "alignedat", "gathered", "gather",
    "gather*", "split", "eqnarray", "eqnarray*", "multline", "multline*", "flalign", "flalign*",
}
_DEFAULT_LOSS = (r"\ell", "l", "L", r"\mathcal{L}")
_INDICATOR = r"\mathbb{1}"
_FUNC_WORDS = {
    "softargmax": "softargmax", "softmax": "softargmax", "sigmoid": "sigmoid",
    "diag": "diag", "relu": "relu", "tanh": "tanh", "exp": "exp", "log": "log", "ln": "log",
}
_PLAIN_WORDS = {"softargmax", "softmax", "sigmoid", "diag", "relu", "tanh", "otherwise", "else"}
_ONES_FONTS = ("mathbf", "boldsymbol", "bm")
_UNICODE = {
    "×": ("cmd", r"\times"), "−": ("sym", "-"), "≤": ("cmd", r"\le"), "≥": ("cmd", r"\ge"),
    "≠": ("cmd", r"\ne"), "⊙": ("cmd", r"\odot"), "∘": ("cmd", r"\circ"),
    "σ": ("cmd", r"\sigma"), "δ": ("cmd", r"\delta"), "ℓ": ("cmd", r"\ell"),
    "∈": ("cmd", r"\in"), "⊤": ("cmd", r"\top"), "·": ("cmd", r"\cdot"),
    "∂": ("cmd", r"\partial"), "∑": ("cmd", r"\sum"), "…": ("cmd", r"\dots"),
    "ℝ": ("cmd", r"\mathbb{R}"), "∀": ("word", "for"),
}
_SYMS = set("+-*/=,;<>&'_^:|!.")
_NUM_RE = re.compile(r"\d+(?:\.\d+)?|\.\d+")
_LETTERS_RE = re.compile(r"[A-Za-z]+")
_SPACE_RE = re.compile(r"\s*")

_GREEK = {
    "\\" + g
    for g in (
        "alpha beta gamma Gamma delta Delta epsilon varepsilon zeta eta theta Theta vartheta "
        "iota kappa lambda Lambda mu nu xi Xi pi Pi rho varrho sigma Sigma tau upsilon phi Phi "
        "varphi chi psi Psi omega Omega"
    ).split()
}
_ACCENTS = {r"\hat", r"\widehat", r"\bar", r"\overline", r"\tilde", r"\widetilde", r"\vec"}
_FRACS = {r"\frac", r"\dfrac", r"\tfrac"}
_DOTS = {r"\dots", r"\ldots", r"\cdots", r"\dotsc", r"\dotsb"}
_MULOPS = {r"\cdot", r"\times", r"\ast"}
_HADAMARD = {r"\odot", r"\circ"}
_TRANSPOSE = {r"\top", r"\intercal", r"\mathsf{T}"}
_R_SPACES = {r"\mathbb{R}", r"\mathcal{R}", r"\R", r"\Reals", r"\mathds{R}"}
_REL_CMDS = {
    r"\le": sp.Le, r"\leq": sp.Le, r"\leqslant": sp.Le, r"\ge": sp.Ge, r"\geq": sp.Ge,
    r"\geqslant": sp.Ge, r"\lt": sp.Lt, r"\gt": sp.Gt, r"\ne": sp.Ne, r"\neq": sp.Ne,
}
_STOP_CMDS = (
    _MULOPS | _HADAMARD | set(_REL_CMDS) | _TRANSPOSE
    | {r"\in", r"\notin", r"\land", r"\wedge", r"\lor", r"\vee", r"\pm", r"\mp", r"\to",
       r"\rightarrow", r"\mid", r"\prime", r"\otimes"}
)


def _fail(what: str, pos: int, why: str = "", construct: str | None = None) -> ParseError:
    message = f"could not read {what} at position {pos}"
    if why:
        message += f": {why}"
    return ParseError(message, position=pos, construct=construct or what)


class _Lexer:
    """Turns a span of the text into tokens; positions always index the original text."""

    def __init__(self, text: str, level: int = 0):
        if level > MAX_DEPTH:
            raise LimitError(f"nesting deeper than {MAX_DEPTH} levels")
        self.text = text
        self.level = level
        self.toks: list[_Tok] = []
        self.space = False

    def add(self, kind: str, value: str, start: int, stop: int) -> None:
        self.toks.append(_Tok(kind, value, start, stop, self.space))
        self.space = False

    def run(self, lo: int, hi: int) -> list[_Tok]:
        text, i = self.text, lo
        while i < hi:
            ch = text[i]
            if ch.isspace() or ch == "~":
                self.space, i = True, i + 1
            elif ch == "$":
                i += 1
            elif ch == "%":
                nl = text.find("\n", i, hi)
                i = hi if nl < 0 else nl + 1
            elif ch == "\\":
                i = self._backslash(i, hi)
            elif ch.isdigit() or (ch == "." and i + 1 < hi and text[i + 1].isdigit()):
                m = _NUM_RE.match(text, i, hi)
                self.add("num", m.group(), i, m.end())
                i = m.end()
            elif ch.isascii() and ch.isalpha():
                m = _LETTERS_RE.match(text, i, hi)
                run = m.group()
                if run.lower() in _PLAIN_WORDS:
                    self.add("word", run.lower(), i, m.end())
                else:
                    for k, letter in enumerate(run):
                        self.add("name", letter, i + k, i + k + 1)
                i = m.end()
            elif ch in "{([":
                self.add("open", ch, i, i + 1)
                i += 1
            elif ch in "})]":
                self.add("close", ch, i, i + 1)
                i += 1
            elif ch in _SYMS:
                self.add("sym", ch, i, i + 1)
                i += 1
            elif ch in _UNICODE:
                kind, value = _UNICODE[ch]
                self.add(kind, value, i, i + 1)
                i += 1
            else:
                raise _fail(f"the character `{ch}`", i, "it is not part of homework LaTeX")
        return self.toks

    def _brace_arg(self, j: int, hi: int) -> tuple[int, int, int]:
        """The argument after a command: (content start, content end, position after)."""
        text = self.text
        while j < hi and text[j].isspace():
            j += 1
        if j >= hi:
            raise _fail("a command", j, "its argument is missing", "command argument")
        if text[j] != "{":
            return j, j + 1, j + 1
        depth, k = 0, j
        while k < hi:
            c = text[k]
            if c == "\\":
                k += 2
                continue
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
                if depth == 0:
                    return j + 1, k, k + 1
            k += 1
        raise _fail("the brace `{`", j, "it is never closed", "unbalanced brace")

    def _backslash(self, i: int, hi: int) -> int:
        text = self.text
        if i + 1 >= hi:
            raise _fail("a lone backslash", i)
        nxt = text[i + 1]
        if not nxt.isalpha():
            if nxt == "\\":
                self.add("sep", "\\\\", i, i + 2)
            elif nxt in ",;:! >":
                self.space = True
            elif nxt in "{}":
                self.add("open" if nxt == "{" else "close", "\\" + nxt, i, i + 2)
            else:
                raise _fail(f"the command `\\{nxt}`", i, "unknown command", "command")
            return i + 2
        m = _LETTERS_RE.match(text, i + 1, hi)
        name, j = m.group(), m.end()
        if name == "operatorname" and j < hi and text[j] == "*":
            j += 1
        if name in _SKIP_CMDS:
            self.space = True
            k = j
            while k < hi and text[k].isspace():
                k += 1
            if name in ("left", "right", "middle") and k < hi and text[k] == ".":
                return k + 1
            return j
        if name in ("quad", "qquad"):
            self.add("sep", "quad", i, j)
        elif name == "forall":
            self.add("word", "for", i, j)
        elif name == "newline":
            self.add("sep", "\\\\", i, j)
        elif name in ("tag", "label"):
            return self._brace_arg(j, hi)[2]
        elif name in ("begin", "end"):
            a, b, k = self._brace_arg(j, hi)
            env = text[a:b].strip()
            if env not in _TRANSPARENT_ENVS:
                self.add(name, env, i, k)
            if name == "begin" and env in ("alignat", "alignat*", "alignedat"):
                k = self._brace_arg(k, hi)[2]
            return k
        elif name in ("lvert", "rvert", "vert"):
            self.add("sym", "|", i, j)
        elif name in _FONT_TEXT:
            return self._font(i, j, hi)
        elif name in _FONT_LETTER:
            a, b, k = self._brace_arg(j, hi)
            letter = text[a:b].strip()
            self.add("cmd", _INDICATOR if letter == "1" else f"\\{name}{{{letter}}}", i, k)
            return k
        elif name in _OPEN_CMDS:
            self.add("open", "\\" + name, i, j)
        elif name in _CLOSE_CMDS:
            self.add("close", "\\" + name, i, j)
        elif name in ("lbrace", "rbrace"):
            self.add("open" if name == "lbrace" else "close", "\\{" if name == "lbrace" else "\\}",
                     i, j)
        else:
            self.add("cmd", "\\" + name, i, j)
        return j

    def _font(self, i: int, j: int, hi: int) -> int:
        """`\\text{...}`, `\\mathrm{...}`, ...: a keyword, a word, or math content."""
        a, b, k = self._brace_arg(j, hi)
        content = self.text[a:b]
        words = content.split()
        if not words:
            self.space = True
            return k
        first_at = a + content.index(words[0])
        font = self.text[i + 1:j]
        if content.strip() == "1" and font in _ONES_FONTS:
            self.add("cmd", _INDICATOR, i, k)
        elif words[0].lower() in _ASIDES:
            self.add("word", words[0].lower(), first_at, first_at + len(words[0]))
        elif font in _PROSE_FONTS and self._prose(words, k, hi):
            if words[-1].strip(_PROSE_PUNCT).lower() == _ASIDE_PART:
                self.add("word", _ASIDE_PART, first_at, b)
        elif words[0].lower() in _KEYWORDS:
            self.add("word", words[0].lower(), first_at, first_at + len(words[0]))
            rest = words[1:]
            if rest and all(w.isascii() and w.isalpha() and len(w) > 1 for w in rest):
                at = first_at + len(words[0])
                for w in rest:
                    at = content.index(w, at - a) + a
                    self.add("word", w.lower(), at, at + len(w))
                    at += len(w)
            else:
                self._splice(first_at + len(words[0]), b)
        elif len(words) == 1 and words[0].isascii() and words[0].isalpha() and len(words[0]) > 1:
            self.add("word", words[0], first_at, first_at + len(words[0]))
        else:
            self._splice(a, b)
        self.space = True
        return k

    def _prose(self, words: list[str], k: int, hi: int) -> bool:
        """Whether `\\text{...}` holds commentary only (`dimension `, `(one filter)`): words
        that mean nothing to a formula; one bare word before `(`, `_`, `^` or `[` is a name."""
        plain = [w.strip(_PROSE_PUNCT) for w in words]
        meaningful = _KEYWORDS | _ASIDES | _QUANTIFIERS | set(_FUNC_WORDS) | _PLAIN_WORDS
        if not all(w.isascii() and w.isalpha() and w.lower() not in meaningful
                   for w in plain if w) or not any(len(w) > 1 for w in plain):
            return False
        if len(words) == 1 and words[0] == plain[0] and self.text[k - 2:k - 1] != " ":
            at = _SPACE_RE.match(self.text, k, hi).end()
            return not (self.text[at:at + 1] in ("(", "_", "^", "[")
                        or self.text.startswith("\\left", at, hi))
        return True

    def _splice(self, a: int, b: int) -> None:
        sub = _Lexer(self.text, self.level + 1)
        sub.space = True
        self.toks.extend(sub.run(a, b))


def _spell(t: _Tok) -> str:
    if t.kind == "begin":
        return f"\\begin{{{t.text}}}"
    if t.kind == "end":
        return f"\\end{{{t.text}}}"
    return t.text


def _mates(toks: list[_Tok]) -> list[int]:
    """Partner index of every opener/closer; checks balance and nesting depth."""
    mate = [-1] * len(toks)
    stack: list[int] = []
    for k, t in enumerate(toks):
        if t.kind in ("open", "begin"):
            stack.append(k)
            if len(stack) > MAX_DEPTH:
                raise LimitError(
                    f"nesting deeper than {MAX_DEPTH} levels at position {t.pos}")
        elif t.kind in ("close", "end"):
            if not stack:
                raise _fail(f"`{_spell(t)}`", t.pos, "it closes nothing", "unbalanced bracket")
            o_index = stack.pop()
            o = toks[o_index]
            ok = (o.kind == "open" and t.kind == "close" and _PAIRS[o.text] == t.text) or (
                o.kind == "begin" and t.kind == "end" and o.text == t.text)
            if not ok:
                raise _fail(f"`{_spell(t)}`", t.pos,
                            f"it does not close `{_spell(o)}` opened at position {o.pos}",
                            "unbalanced bracket")
            mate[o_index], mate[k] = k, o_index
    if stack:
        o = toks[stack[-1]]
        raise _fail(f"`{_spell(o)}`", o.pos, "it is never closed", "unbalanced bracket")
    return mate


def _normalize(toks: list[_Tok]) -> tuple[list[_Tok], list[int]]:
    """Drop braces around one token (`W_{x}` == `W_x`), `\\hat{y_1}` -> `\\hat y_1`, inner quads."""
    while True:
        mate = _mates(toks)
        drop: set[int] = set()
        for k, t in enumerate(toks):
            if t.kind != "open" or t.text != "{":
                continue
            j = mate[k]
            accent = (k > 0 and toks[k - 1].text in _ACCENTS and j - k > 3
                      and toks[k + 1].kind == "name" and toks[k + 2].key == ("sym", "_"))
            number = j - k == 2 and toks[k + 1].kind == "num" and len(toks[k + 1].text) > 1
            if (j - k <= 2 and not number) or accent:
                drop.update((k, j))
        if not drop:
            break
        toks = [t for k, t in enumerate(toks) if k not in drop]
    out, depth = [], 0
    for t in toks:
        if t.kind in ("open", "begin"):
            depth += 1
        elif t.kind in ("close", "end"):
            depth -= 1
        elif t.key == ("sep", "quad") and depth > 0:
            continue
        out.append(t)
    return out, _mates(out)


def _unwrap_rows(toks: list[_Tok]) -> list[_Tok]:
    """`aligned`, `gathered`, ...: their rows become parts; of the `&` of a row, the
    alignment points go and the ones between equation columns separate parts."""
    out: list[_Tok] = []
    stack: list[list] = [["", True, 0]]
    for t in toks:
        top = stack[-1]
        if t.kind == "begin":
            stack.append([t.text, t.text in _ROW_ENVS, 0])
            if t.text in _ROW_ENVS:
                continue
        elif t.kind == "end" and len(stack) > 1 and top[0] == t.text:
            stack.pop()
            if top[1]:
                continue
        elif top[1] and t.key == ("sym", "&"):
            top[2] += 1
            if top[2] % 2 == 0:
                out.append(_Tok("sep", "quad", t.pos, t.end, t.sp))
            continue
        elif top[1] and t.key == ("sep", "\\\\"):
            top[2] = 0
        out.append(t)
    return out


def _tokens(text: str) -> tuple[list[_Tok], list[int]]:
    if not isinstance(text, str):
        raise ParseError("a claim must be a string of LaTeX", position=0, construct="input")
    if len(text) > MAX_LENGTH:
        raise LimitError(f"the LaTeX is {len(text)} characters long; the limit is {MAX_LENGTH}")
    return _normalize(_unwrap_rows(_Lexer(text).run(0, len(text))))


# ----------------------------------------------------------------------------- declarations


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
                if s.lstrip().startswith((r"\frac", r"\dfrac", r"\tfrac")):
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
            if e.kind == "tensor" and e.has_bracket and e.keys[1] == ("open", "["):
                self.sub_time.setdefault(e.keys[0], set()).update(e.bracket_letters)
        self.time_letters = set().union(*self.sub_time.values())
        self.time_base: dict[tuple, str] = {}
        for e in (e for es in self.by_first.values() for e in es):
            if (e.kind == "tensor" and len(e.keys) == 4 and e.keys[1] == ("open", "[")
                    and e.keys[2][0] == "name" and e.keys[3] == ("close", "]")):
                self.time_base[e.keys[0]] = e.name
        for e in (e for es in self.by_first.values() for e in es):
            if e.kind == "tensor" and e.has_bracket and e.keys[1] == ("open", "["):
                self.time_base.setdefault(e.keys[0], e.keys[0][1])
        self.steps: dict[str, tuple] = {}
        for s, name in bracketed:
            st = _State.make(s, self, "formula")
            try:
                when = _Parser(st, 0, len(st.toks)).parse_range(2, len(st.toks) - 1, index=True)
            except SymgradError:
                continue
            self.steps.setdefault(name, (st.toks[0].key, when))
        self.derivs: list[tuple[str, str, str]] = []
        self.time_tensors: dict[str, int] = {}
        for s, name in derivative_aliases:
            st = _State.make(s, self, "formula")
            p = _Parser(st, 0, len(st.toks))
            of, wrt = p.derivative_refs()
            p.finish()
            self.derivs.append((of[0], wrt[0], name))
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


# ----------------------------------------------------------------------------- parser


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


def _time_subscripts(toks: list[_Tok], mate: list[int], ctx: _Ctx) -> list[_Tok]:
    """`h_t`, `h_{t-1}` -> `h[t]`, `h[t-1]` where `h[t]` is declared."""
    out, k, n = [], 0, len(toks)
    while k < n:
        t = toks[k]
        letters = ctx.sub_time.get(t.key)
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


def _index_symbol(letter: str) -> sp.Symbol:
    return sp.Symbol(letter, integer=True)


def _scalar_symbol(name: str) -> sp.Symbol:
    return sp.Symbol(name, integer=True, positive=True)


def _tensor(name: str) -> sp.Symbol:
    return sp.Symbol(name, commutative=False)


class _Parser:
    """Recursive descent over toks[lo:hi]; children share the state and the token list."""

    def __init__(self, st: _State, lo: int, hi: int, index: bool = False,
                 mode: str | None = None):
        self.st, self.i, self.hi = st, lo, hi
        self.toks, self.mate, self.ctx = st.toks, st.mate, st.ctx
        self.index = index
        self.mode = mode or st.mode

    # ------------------------------------------------------------------ helpers
    def peek(self, k: int = 0) -> _Tok | None:
        j = self.i + k
        return self.toks[j] if j < self.hi else None

    def take(self) -> _Tok:
        t = self.peek()
        if t is None:
            raise self.error("the end of the formula", "something is missing here")
        self.i += 1
        self.st.last = t.pos
        return t

    def at(self, kind: str, text: str | None = None, k: int = 0) -> bool:
        t = self.peek(k)
        return t is not None and t.kind == kind and (text is None or t.text == text)

    def tok_at(self, j: int, kind: str, text: str | None = None) -> bool:
        if j >= self.hi:
            return False
        t = self.toks[j]
        return t.kind == kind and (text is None or t.text == text)

    def pos(self) -> int:
        t = self.peek()
        if t is not None:
            return t.pos
        return self.toks[self.hi].pos if self.hi < len(self.toks) else len(self.st.text)

    def error(self, what: str, why: str = "", construct: str | None = None) -> ParseError:
        return _fail(what, self.pos(), why, construct)

    def child(self, lo: int, hi: int, index: bool | None = None,
              mode: str | None = None) -> _Parser:
        return _Parser(self.st, lo, hi, self.index if index is None else index,
                       mode or self.mode)

    def finish(self) -> None:
        t = self.peek()
        if t is not None:
            raise self.error(f"`{_spell(t)}`", "unexpected here", f"unexpected {_spell(t)}")

    def parse_range(self, lo: int, hi: int, index: bool | None = None,
                    mode: str | None = None) -> sp.Expr:
        p = self.child(lo, hi, index, mode)
        if lo >= hi:
            raise p.error("an empty group", "a formula is expected", "empty group")
        e = p.expr()
        p.finish()
        return e

    def split(self, lo: int, hi: int, pred) -> list[tuple[int, int]]:
        """Ranges of toks[lo:hi] between depth-0 tokens satisfying pred."""
        parts, start, k = [], lo, lo
        while k < hi:
            t = self.toks[k]
            if t.kind in ("open", "begin"):
                k = self.mate[k] + 1
                continue
            if pred(t):
                parts.append((start, k))
                start = k + 1
            k += 1
        parts.append((start, hi))
        return parts

    def arg_range(self) -> tuple[int, int]:
        """The next argument: a brace group's content, a bracket group, or one token."""
        t = self.peek()
        if t is None or t.kind in ("close", "end", "sep"):
            raise self.error("a command", "its argument is missing", "command argument")
        if t.key == ("open", "{"):
            j = self.mate[self.i]
            lo, self.i = self.i + 1, j + 1
            return lo, j
        if t.kind in ("open", "begin"):
            j = self.mate[self.i]
            lo, self.i = self.i, j + 1
            return lo, j + 1
        self.i += 1
        return self.i - 1, self.i

    def arg_expr(self) -> sp.Expr:
        lo, hi = self.arg_range()
        return self.parse_range(lo, hi)

    def starts_atom(self, t: _Tok | None) -> bool:
        if t is None:
            return False
        if t.kind in ("num", "name", "begin", "open") or t.key == ("sym", "|"):
            return True
        if t.kind == "word":
            return t.text.lower() not in _KEYWORDS
        if t.kind == "cmd":
            return t.text not in _STOP_CMDS
        return False

    # ------------------------------------------------------------------ grammar
    def expr(self) -> sp.Expr:
        terms = [self.signs() * self.hadamard()]
        while self.at("sym", "+") or self.at("sym", "-"):
            terms.append(self.signs() * self.hadamard())
        return sp.Add(*terms)

    def signs(self) -> int:
        sign = 1
        while self.at("sym", "+") or self.at("sym", "-"):
            if self.take().text == "-":
                sign = -sign
        if not self.starts_atom(self.peek()):
            t = self.peek()
            what = "the end of the formula" if t is None else f"`{_spell(t)}`"
            raise self.error(what, "a term is expected here", "missing term")
        return sign

    def hadamard(self) -> sp.Expr:
        items = [self.product()]
        while (t := self.peek()) is not None and t.kind == "cmd" and t.text in _HADAMARD:
            self.take()
            items.append(self.product())
        return items[0] if len(items) == 1 else Hadamard(*items)

    def product(self) -> sp.Expr:
        factors = [self.postfix()]
        while (t := self.peek()) is not None:
            if (t.kind == "cmd" and t.text in _MULOPS) or t.key == ("sym", "*"):
                self.take()
                factors.append(self.postfix())
            elif t.key == ("sym", "/"):
                self.take()
                factors.append(sp.Pow(self.postfix(), -1))
            elif t.key == ("cmd", r"\otimes"):
                self.take()
                factors.append(Transpose(self.postfix()))
            elif self.starts_atom(t):
                factors.append(self.postfix())
            else:
                break
        guards = [f.args[0].cond for f in factors if _is_iverson(f)]
        if guards and len(guards) < len(factors):
            rest = [f for f in factors if not _is_iverson(f)]
            return sp.Piecewise((sp.Mul(*rest), sp.And(*guards)), (0, True))
        return sp.Mul(*factors)

    def postfix(self) -> sp.Expr:
        """An atom with its superscripts and subscripts; counts the nesting depth."""
        self.st.nest += 1
        try:
            if self.st.nest > _MAX_NEST:
                raise LimitError(f"formula nested deeper than {_MAX_NEST} at position {self.pos()}")
            base, kind = self.atom()
            while True:
                if self.at("sym", "'") or (self.at("sym", "^") and self.at("cmd", r"\prime", 1)):
                    t = self.take()
                    if kind in ("number", "scalar", "index"):
                        raise _fail("a prime", t.pos, "only \\sigma' and the transpose of a "
                                    "tensor are understood", "prime")
                    if t.text == "^":
                        self.take()
                    base = Transpose(base)
                elif self.at("sym", "^"):
                    self.take()
                    base = self.superscript(base)
                elif self.at("sym", "_"):
                    t = self.take()
                    if kind in ("number", "scalar", "index"):
                        raise _fail("a subscript", t.pos, "only tensors and parenthesised "
                                    "expressions take indices", "subscript")
                    if isinstance(base, sp.Symbol) and base.name in self.ctx.tensors:
                        base = self.element(base.name, self.sub_items(base.name))
                    else:
                        base = At(base, *self.sub_items(None))
                else:
                    return base
                kind = "other"
        finally:
            self.st.nest -= 1

    def superscript(self, base: sp.Expr) -> sp.Expr:
        t = self.peek()
        if t is not None and (t.key == ("name", "T") or (t.kind == "cmd" and t.text in _TRANSPOSE)):
            self.take()
            return Transpose(base)
        if t is not None and t.key == ("cmd", r"\prime"):
            raise self.error("a prime", "only \\sigma' is understood", "prime")
        exponent = self.arg_expr()
        if base.is_Number and exponent.is_Number and abs(exponent) > 64:
            raise LimitError(f"the power at position {t.pos} is too large to evaluate")
        return sp.Pow(base, exponent)

    def atom(self) -> tuple[sp.Expr, str]:
        t = self.peek()
        if t is None:
            raise self.error("the end of the formula", "a term is expected", "missing term")
        kind, x = t.kind, t.text
        if kind == "num":
            self.take()
            if len(x) > 100:
                raise LimitError(f"the number at position {t.pos} has more than 100 digits")
            whole, _, frac = x.partition(".")
            return sp.Rational(int(whole or "0") * 10 ** len(frac) + int(frac or "0"),
                               10 ** len(frac)), "number"
        if kind == "open":
            return self.group_atom(t)
        if t.key == ("sym", "|"):
            return self.absolute(t), "other"
        if kind == "begin":
            return self.environment(), "other"
        if kind == "cmd":
            return self.command_atom(t)
        if kind == "word":
            if self.ctx.match(self.toks, self.i, self.hi, set(), ("tensor",)):
                return self.name()
            if x.lower() in _FUNC_WORDS:
                return self.function(_FUNC_WORDS[x.lower()]), "other"
            raise UnknownNameError(f"unknown word `{x}` at position {t.pos}; "
                                   f"{self.ctx.declared()}")
        if kind == "name":
            if (x == "e" and self.at("sym", "^", 1) and not self.is_declared()
                    and x not in self.st.sum_bound):
                self.i += 2
                return sp.exp(self.arg_expr()), "other"
            return self.name()
        raise self.error(f"`{_spell(t)}`", "a term is expected here", f"unexpected {_spell(t)}")

    def absolute(self, t: _Tok) -> sp.Expr:
        """`|a - b|` -> Abs(a - b)."""
        k = self.i + 1
        while k < self.hi and self.toks[k].key != ("sym", "|"):
            k = self.mate[k] + 1 if self.toks[k].kind in ("open", "begin") else k + 1
        if k >= self.hi:
            raise _fail("the absolute value `|`", t.pos, "it is never closed", "absolute value")
        e = self.parse_range(self.i + 1, k)
        self.i = k + 1
        return sp.Abs(e)

    def is_declared(self) -> bool:
        return self.ctx.match(self.toks, self.i, self.hi, set(), ("tensor", "scalar")) is not None

    def group_atom(self, t: _Tok) -> tuple[sp.Expr, str]:
        k, x = self.i, t.text
        j = self.mate[k]
        if x == "(" and self.ctx.match(self.toks, k, self.hi, set(), ("tensor",)):
            return self.name()
        if x in ("(", "{"):
            e = self.parse_range(k + 1, j)
            self.i = j + 1
            return e, "group"
        if x == "[":
            return self.bracket_atom(), "other"
        if x in (r"\lfloor", r"\lceil"):
            e = self.parse_range(k + 1, j)
            self.i = j + 1
            return (sp.floor(e) if x == r"\lfloor" else sp.ceiling(e)), "other"
        if x == r"\langle":
            for lo, hi in self.split(k + 1, j, lambda u: u.key == ("sym", ",")):
                self.check_slice(lo, hi)
                self.parse_range(lo, hi)
            raise _fail(f"the inner product `{self.st.snip(k, j + 1)}`", t.pos,
                        "write it as a sum or a matrix product", "inner product")
        raise _fail(f"`{x}`", t.pos, "sets are not formulas", "set")

    def command_atom(self, t: _Tok) -> tuple[sp.Expr, str]:
        x = t.text
        if x in _FRACS:
            return self.fraction(), "other"
        if x == r"\sqrt":
            self.take()
            return sp.sqrt(self.arg_expr()), "other"
        if x in (r"\sum", r"\prod"):
            return self.big_operator(), "other"
        if x in _DOTS:
            if self.mode != "system":
                raise self.error("the ellipsis", "write the sum or the general element",
                                 "ellipsis")
            self.take()
            return sp.Symbol("..."), "other"
        if x == r"\infty":
            self.take()
            return sp.oo, "number"
        if x == _INDICATOR:
            return self.indicator(t), "other"
        if x == r"\vec" and self.tok_at(self.i + 1, "num", "1"):
            self.i += 2
            return sp.Integer(1), "number"
        if x == r"\partial":
            raise self.error("`\\partial`", "write derivatives as \\frac{\\partial A}{\\partial B}",
                             "partial")
        if self.ctx.match(self.toks, self.i, self.hi, set(self.st.sum_bound), ("tensor",)):
            return self.name()
        if x == r"\sigma":
            return self.sigma(), "other"
        if x in (r"\tanh", r"\exp", r"\log", r"\ln"):
            return self.function(_FUNC_WORDS[x[1:]]), "other"
        if x == r"\delta" and self.at("sym", "_", 1):
            self.i += 2
            items = self.sub_items(None, targets={2})
            if len(items) != 2:
                raise _fail("the Kronecker delta", t.pos, "it takes two indices", "delta")
            return sp.KroneckerDelta(*items), "other"
        if x == r"\pi" and not self.is_declared():
            self.take()
            return sp.pi, "number"
        if any(k == tuple(u.key for u in self.toks[self.i:self.i + len(k)])
               for k in self.ctx.loss):
            raise self.error(f"the loss `{x}`", "it appears only inside \\frac{\\partial ...}",
                             "loss")
        if x in _GREEK or x in _ACCENTS or x.startswith(("\\math", "\\R")):
            return self.name()
        raise self.error(f"the command `{x}`", "unknown command", f"command {x}")

    def indicator(self, t: _Tok) -> sp.Expr:
        """`\\mathbb{1}\\{c\\}`, `\\mathbb{1}[c]`, `\\mathbf{1}_{c}`: the Iverson bracket of c;
        without a condition (`\\mathbf{1} - c[t]`, `\\mathbf{1}_m`) the all-ones vector, i.e. the
        scalar 1 broadcast."""
        self.take()
        k = self.i + 1 if self.at("sym", "_") else self.i
        nxt = self.toks[k] if k < self.hi else None
        if nxt is None or nxt.kind != "open" or not self.split(k + 1, self.mate[k],
                                                               self.is_relation)[1:]:
            if k > self.i:
                self.take()
                self.sub_items(None)
            return sp.Integer(1)
        j = self.mate[k]
        self.i = j + 1
        if j == k + 1:
            raise _fail("the indicator", t.pos, "its condition is empty", "indicator")
        p = self.child(k + 1, j, index=True)
        cond = p.condition()
        p.finish()
        return sp.Piecewise((1, cond), (0, True))

    # ------------------------------------------------------------------ names
    def name(self) -> tuple[sp.Expr, str]:
        """A tensor (element), a time-indexed tensor, a size, an index or a model variable."""
        st, ctx, i0 = self.st, self.ctx, self.i
        t = self.toks[i0]
        if self.mode == "dims":
            e = ctx.match(self.toks, i0, self.hi, set(), ("scalar",))
            if e is not None:
                self.i += len(e.keys)
                return _scalar_symbol(e.name), "scalar"
            if ctx.match(self.toks, i0, self.hi, set(), ("tensor",)):
                raise self.error(f"the tensor `{t.text}`", _NOT_A_SIZE,
                                 "tensor in a shape")
            raise self.unknown(t)
        follows_index = self.tok_at(i0 + 1, "sym", "_") or self.tok_at(i0 + 1, "open", "[")
        extra, marks = self.primes(i0 + 1) if t.kind == "name" else (0, "")
        width, letter = 1 + extra, t.text + marks
        if t.kind == "name" and not follows_index and (
                letter in st.sum_bound or letter in st.lhs_bound or (width > 1 and self.index)):
            self.i += width
            return _index_symbol(letter), "index"
        split = self.split_subscript_alias()
        if split is None:
            split = self.family_alias()
        if split is not None:
            return split, "other"
        bound = set(st.sum_bound)
        e = ctx.match(self.toks, i0, self.hi, bound, ("tensor",))
        if e is not None and not (self.index and len(e.keys) == 1 and t.kind == "name"
                                  and not follows_index):
            after = i0 + len(e.keys)
            if not e.has_bracket and t.key in ctx.time_base and self.tok_at(after, "open", "["):
                return self.time_ref(), "other"
            self.i = after
            if self.at("open", "[") and self.reads_time(e.name, after):
                return self.time_element(e.name), "other"
            return self.tensor_indices(e.name), "tensor"
        if t.key in ctx.time_base and self.tok_at(i0 + 1, "open", "["):
            return self.time_ref(), "other"
        e = ctx.match(self.toks, i0, self.hi, bound, ("scalar",))
        if e is not None and not (self.mode == "system" and follows_index):
            self.i += len(e.keys)
            return _scalar_symbol(e.name), "scalar"
        if t.kind == "name" and (self.index or t.text in st.sum_bound or t.text in st.lhs_bound):
            self.i += width
            return _index_symbol(letter), "index"
        if self.mode == "system" and (t.kind == "name" or t.text in _GREEK):
            return self.model_variable(), "other"
        raise self.unknown(t)

    def primes(self, j: int) -> tuple[int, str]:
        """The primes (`'`, `^\\prime`) after an index letter at j: (tokens, "'" each)."""
        k, marks = j, ""
        while True:
            if self.tok_at(k, "sym", "'") and not self.toks[k].sp:
                k += 1
            elif self.tok_at(k, "sym", "^") and self.tok_at(k + 1, "cmd", r"\prime"):
                k += 2
            else:
                return k - j, marks
            marks += "'"

    def reads_time(self, name: str, k: int) -> bool:
        """`g[t]`, `g[T]`, `g[t, r]`: a time step of a tensor declared as a time derivative."""
        rank = self.ctx.time_tensors.get(name)
        if rank is None or self.iverson_at(k):
            return False
        parts = self.split(k + 1, self.mate[k], lambda u: u.key == ("sym", ","))
        if len(parts) == rank + 1:
            return True
        times = self.ctx.time_letters | set(self.st.time_vars)
        a, b = parts[0]
        return len(parts) == 1 and any(
            u.kind == "name" and u.text in times for u in self.toks[a:b])

    def time_element(self, name: str) -> sp.Expr:
        """`g[t]` -> g at step t; `g[t, r]` -> entry r of g at step t."""
        items = self.bracket_items()
        e = AtTime(_tensor(name), items[0])
        if len(items) > 1:
            e = At(e, *items[1:])
        if self.at("sym", "_"):
            self.take()
            e = At(e, *self.sub_items(name))
        return e

    def iverson_at(self, k: int) -> bool:
        """Whether the bracket group at k holds a condition (an Iverson bracket)."""
        return bool(self.split(k + 1, self.mate[k], self.is_relation)[1:])

    def unknown(self, t: _Tok) -> UnknownNameError:
        spelled = t.text
        if t.text in _ACCENTS and self.peek(1) is not None:
            spelled = f"{t.text}{{{self.peek(1).text}}}"
        return UnknownNameError(f"unknown name `{spelled}` at position {t.pos}; "
                                f"{self.ctx.declared()}")

    def tensor_indices(self, name: str) -> sp.Expr:
        idx: list = []
        while True:
            if self.at("sym", "_"):
                self.take()
                idx.extend(self.sub_items(name))
            elif self.at("open", "[") and not self.iverson_at(self.i):
                idx.extend(self.bracket_items())
            else:
                break
        if not idx:
            return _tensor(name)
        return self.element(name, idx)

    def element(self, name: str, idx: list) -> sp.Indexed:
        """Element of a declared tensor; in a system, a slice (too few indices) stays ordered."""
        rank = len(self.ctx.tensors[name].shape) if name in self.ctx.tensors else 0
        slice_ = self.mode == "system" and len(idx) < rank
        return sp.Indexed(sp.IndexedBase(name, commutative=not slice_), *idx)

    def time_ref(self) -> sp.Expr:
        """`h[t-2]`: a time step of a time-indexed tensor that no alias names (`g[t, r]`:
        entry r of g at step t)."""
        head = self.take()
        return self.time_element(self.ctx.time_base[head.key])

    def split_subscript_alias(self) -> sp.Expr | None:
        """`W_{x, ij}` / `W_{x\\ ij}`: the tensor W_x with indices i, j."""
        i0 = self.i
        if not (self.tok_at(i0 + 1, "sym", "_") and self.tok_at(i0 + 2, "open", "{")):
            return None
        j = self.mate[i0 + 2]
        c = i0 + 3
        if c + 1 >= j:
            return None
        key = (self.toks[i0].key, ("sym", "_"), self.toks[c].key)
        e = self.ctx.exact.get(key)
        if e is None or e.kind != "tensor":
            return None
        if self.toks[c + 1].key == ("sym", ","):
            start = c + 2
        elif self.toks[c + 1].sp:
            start = c + 1
        else:
            return None
        self.i = j + 1
        return self.element(e.name, self.split_items(start, j, e.name))

    def family_alias(self) -> sp.Expr | None:
        """`a_i[t]` where `a[t]` is declared: element i of that tensor."""
        i0 = self.i
        if not self.tok_at(i0 + 1, "sym", "_") or i0 + 2 >= self.hi:
            return None
        sub = i0 + 2
        sub_end = self.mate[sub] + 1 if self.toks[sub].kind == "open" else sub + 1
        if not self.tok_at(sub_end, "open", "["):
            return None
        close = self.mate[sub_end]
        key = (self.toks[i0].key,) + tuple(u.key for u in self.toks[sub_end:close + 1])
        e = self.ctx.exact.get(key)
        if e is None or e.kind != "tensor" or e.bracket_letters & set(self.st.sum_bound):
            return None
        self.i = sub
        items = self.sub_items(e.name)
        self.i = close + 1
        return self.element(e.name, items)

    def model_variable(self) -> sp.Expr:
        """In a system: an undeclared variable, `Q_i` family member, `q_i[t]` time step."""
        t = self.take()
        name = t.text.lstrip("\\")
        if self.at("sym", "_"):
            self.take()
            base = sp.Indexed(sp.IndexedBase(name, commutative=False), *self.sub_items(None))
        else:
            base = _tensor(name)
        if self.at("open", "["):
            k = self.i
            j = self.mate[k]
            self.check_slice(k + 1, j)
            base = AtTime(base, self.parse_range(k + 1, j, index=True))
            self.i = j + 1
        return base

    # ------------------------------------------------------------------ indices
    def sub_items(self, name: str | None, targets: set[int] | None = None) -> list:
        """The indices of a subscript just after `_`."""
        t = self.peek()
        if t is None:
            raise self.error("a subscript", "it is empty", "subscript")
        if t.key == ("open", "{"):
            j = self.mate[self.i]
            lo, hi, self.i = self.i + 1, j, j + 1
        elif t.kind == "open":
            j = self.mate[self.i]
            lo, hi, self.i = self.i, j + 1, j + 1
        elif t.kind in ("name", "num", "cmd", "word"):
            lo, hi = self.i, self.i + 1
            self.i += 1
        else:
            raise self.error("a subscript", f"`{_spell(t)}` is not an index", "subscript")
        return self.split_items(lo, hi, name, targets)

    def split_items(self, lo: int, hi: int, name: str | None,
                    targets: set[int] | None = None) -> list:
        """Split a subscript into indices: commas, or juxtaposed letters/digits by rank."""
        if lo >= hi:
            raise _fail("a subscript", self.toks[lo - 1].pos, "it is empty", "subscript")
        if self.toks[lo].key == ("open", "(") and self.mate[lo] == hi - 1:
            lo, hi = lo + 1, hi - 1
        parts = self.split(lo, hi, lambda u: u.key == ("sym", ","))
        if len(parts) > 1:
            return [self.parse_range(a, b, index=True) for a, b in parts]
        units, k = [], lo
        while k < hi:
            u = self.toks[k]
            if u.kind not in ("name", "num") or "." in u.text:
                return [self.parse_range(lo, hi, index=True)]
            width = 1 + (self.primes(k + 1)[0] if u.kind == "name" else 0)
            units.append((k, min(k + width, hi)))
            k += width
        toks = [self.toks[a] for a, _ in units]
        targets = targets if targets is not None else self.ctx.rank(name)
        whole = [self.child(a, b, index=True).expr() for a, b in units]
        digits: list = []
        for u, w in zip(toks, whole, strict=True):
            if u.kind == "num":
                digits.extend(sp.Integer(int(d)) for d in u.text)
            else:
                digits.append(w)
        letters = sum(1 for u in toks if u.kind == "name")
        if all(u.kind == "num" for u in toks) and len(digits) in targets:
            return digits
        if len(whole) in targets:
            return whole
        if len(digits) in targets and letters:
            return digits
        if len(whole) == 1 or letters == len(whole) or letters >= 2:
            return whole
        return [self.parse_range(lo, hi, index=True)]

    def enter_brackets(self, construct: str) -> tuple[int, int]:
        """Step over `[...]` at the cursor, refusing slices and empty brackets: (open, close)."""
        k = self.i
        j = self.mate[k]
        self.check_slice(k + 1, j)
        if j == k + 1:
            raise _fail("the brackets `[]`", self.toks[k].pos, "they are empty", construct)
        self.i = j + 1
        return k, j

    def bracket_items(self) -> list:
        k, j = self.enter_brackets("index")
        return [self.parse_range(a, b, index=True)
                for a, b in self.split(k + 1, j, lambda u: u.key == ("sym", ","))]

    def check_slice(self, lo: int, hi: int) -> None:
        for a, b in self.split(lo, hi, lambda u: u.key == ("sym", ",")):
            if len(self.split(a, b, lambda u: u.key == ("sym", ":"))) > 1:
                pos = self.toks[a].pos if a < b else self.toks[lo - 1].pos
                raise _fail(f"the slice `{self.st.snip(a, b)}`", pos,
                            "slices are not formulas; write the sum over the kernel taps",
                            "slice")

    def bracket_atom(self) -> sp.Expr:
        """`[a, b, ...]` -> Stack; `[cond]` -> Iverson bracket; `[a]` -> a."""
        k, j = self.enter_brackets("brackets")
        if self.split(k + 1, j, self.is_relation)[1:]:
            p = self.child(k + 1, j, index=True)
            cond = p.condition()
            p.finish()
            return sp.Piecewise((1, cond), (0, True))
        items = []
        for a, b in self.split(k + 1, j, lambda u: u.key == ("sym", ",")):
            if b == a + 1 and self.toks[a].kind == "cmd" and self.toks[a].text in _DOTS:
                items.append(sp.Symbol("..."))
            else:
                items.append(self.parse_range(a, b))
        return items[0] if len(items) == 1 else Stack(*items)

    # ------------------------------------------------------------------ constructs
    def fraction(self) -> sp.Expr:
        t = self.take()
        braced = self.at("open", "{")
        a1, b1 = self.arg_range()
        first = self.toks[a1]
        if not braced and first.kind == "num" and first.text.isdigit() and len(first.text) > 1:
            if len(first.text) != 2:
                raise _fail(f"`\\frac{first.text}`", t.pos, "write \\frac{a}{b}", "fraction")
            return sp.Rational(int(first.text[0]), int(first.text[1]))
        a2, b2 = self.arg_range()
        if self.is_partial(a1) or self.is_partial(a2):
            if self.mode == "dims":
                raise _fail("the derivative", t.pos, _NOT_A_SIZE,
                            "derivative in a shape")
            of, wrt = self.refs_from(t, a1, b1, a2, b2)
            return self.derivative_entry(t, self.derivative_value(t, of, wrt))
        return self.parse_range(a1, b1) * sp.Pow(self.parse_range(a2, b2), -1)

    def derivative_entry(self, t: _Tok, value: sp.Expr) -> sp.Expr:
        """`\\frac{..}{..}[f, i]`, `\\frac{..}{..}_{1,j}`: an entry of the derivative's tensor."""
        head = value.args[0] if isinstance(value, AtTime) else value
        name = head.name if isinstance(head, sp.Symbol) else None
        idx: list = []
        while True:
            if self.at("open", "[") and not self.iverson_at(self.i):
                idx.extend(self.bracket_items())
            elif self.at("sym", "_"):
                self.take()
                idx.extend(self.sub_items(name))
            else:
                break
        if not idx:
            return value
        if name is None:
            raise _fail("the derivative", t.pos, "its entry is named twice", "derivative")
        if isinstance(value, AtTime):
            return At(value, *idx)
        return sp.Indexed(sp.IndexedBase(name), *idx)

    def is_partial(self, k: int) -> bool:
        return self.toks[k].key == ("cmd", r"\partial")

    def derivative_refs(self) -> tuple[tuple, tuple]:
        """At `\\frac{\\partial A}{\\partial B}`: the decoded references A and B."""
        t = self.take()
        if t.text not in _FRACS:
            raise _fail(f"`{t.text}`", t.pos, "a derivative \\frac{\\partial A}{\\partial B} "
                        "is expected", "derivative")
        a1, b1 = self.arg_range()
        a2, b2 = self.arg_range()
        return self.refs_from(t, a1, b1, a2, b2)

    def refs_from(self, t: _Tok, a1: int, b1: int, a2: int, b2: int) -> tuple[tuple, tuple]:
        if not (self.is_partial(a1) and self.is_partial(a2)):
            raise _fail("the derivative", t.pos, "write \\frac{\\partial A}{\\partial B}",
                        "derivative")
        if a1 + 1 >= b1 or a2 + 1 >= b2:
            raise _fail("the derivative operator", t.pos,
                        "write \\frac{\\partial A}{\\partial B} with A and B inside", "derivative")
        return self.ref(a1 + 1, b1, numerator=True), self.ref(a2 + 1, b2, numerator=False)

    def ref(self, lo: int, hi: int, numerator: bool) -> tuple:
        """(name, indices, time) of the quantity A in `\\partial A`."""
        if self.toks[lo].key == ("open", "{") and self.mate[lo] == hi - 1:
            lo, hi = lo + 1, hi - 1
        keys = tuple(u.key for u in self.toks[lo:hi])
        full = self.ctx.match(self.toks, lo, hi, set(), ("tensor",))
        if numerator and keys in self.ctx.loss_any and not (full and len(full.keys) == hi - lo):
            return ("loss", (), None)
        e = self.parse_range(lo, hi, index=False, mode="formula")
        decoded = _decode(e, self.ctx)
        if decoded is None:
            raise _fail(f"the quantity `{self.st.snip(lo, hi)}`", self.toks[lo].pos,
                        "it is not a declared tensor", "derivative")
        return decoded

    def derivative_value(self, t: _Tok, of: tuple, wrt: tuple) -> sp.Expr:
        """A derivative on a right side: the declared tensor that it names (e.g. g)."""
        try:
            return self.declared_derivative(t, of, wrt)
        except ParseError:
            steps = self.as_step(of), self.as_step(wrt)
            if steps == (of, wrt) or (steps[0][2] is not None and steps[1][2] is not None):
                raise
            return self.declared_derivative(t, *steps)

    def as_step(self, ref: tuple) -> tuple:
        """`h[T]` declared as its own tensor h_T: the time step T of h."""
        step = self.ctx.step(ref[0])
        if ref[2] is not None or step is None:
            return ref
        base = self.ctx.time_base.get(step[0])
        base_step = self.ctx.step(base) if base else None
        if base is None or base == ref[0] or base_step is None or not isinstance(
                base_step[1], sp.Symbol):
            return ref
        return (base, ref[1], step[1])

    def declared_derivative(self, t: _Tok, of: tuple, wrt: tuple) -> sp.Expr:
        """The declared tensor named by the derivative of `of` in `wrt`."""
        for d_of, d_wrt, name in self.ctx.derivs:
            if d_of == of[0] and d_wrt == wrt[0]:
                idx = tuple(of[1]) + tuple(wrt[1])
                if of[2] is not None and wrt[2] is not None:
                    break
                tau = of[2] if of[2] is not None else wrt[2]
                if tau is not None:
                    base = AtTime(_tensor(name), tau)
                    return At(base, *idx) if idx else base
                return sp.Indexed(sp.IndexedBase(name), *idx) if idx else _tensor(name)
        raise _fail("the derivative", t.pos, "it is not a declared quantity; declare the given "
                    "gradient with this spelling as an alias", "derivative")

    def big_operator(self) -> sp.Expr:
        t = self.take()
        limits = upper = None
        for _ in range(2):
            if self.at("sym", "_") and limits is None:
                self.take()
                limits = self.sum_limits(t, *self.arg_range())
            elif self.at("sym", "^") and upper is None:
                self.take()
                upper = self.arg_expr_index()
            else:
                break
        if limits is None:
            raise _fail("the sum", t.pos, "write the index and its bounds, e.g. \\sum_{m=1}^{K}",
                        "sum")
        if upper is not None:
            if len(limits) != 1 or limits[0][2] is not None:
                raise _fail("the sum", t.pos, "its upper bound is given twice", "sum")
            limits[0] = (*limits[0][:2], upper)
        limits = [(v, lo, self.open_bound(t) if hi is None else hi) for v, lo, hi in limits]
        times = self.ctx.time_letters | set(self.st.time_vars)
        timed = [v for v, lo, hi in limits if v in self.ctx.time_letters
                 or {s.name for s in (lo - hi).free_symbols} & times]
        self.st.sum_bound.extend(v for v, _, _ in limits)
        self.st.time_vars.extend(timed)
        try:
            if not self.starts_atom(self.peek()):
                raise _fail("the sum", t.pos, "it has no summand", "sum")
            start = self.i
            try:
                body = self.hadamard()
            except UnknownNameError as err:
                self.i = start
                return self.unrolled(limits, err)
        finally:
            del self.st.sum_bound[len(self.st.sum_bound) - len(limits):]
            del self.st.time_vars[len(self.st.time_vars) - len(timed):]
        op = sp.Sum if t.text == r"\sum" else sp.Product
        return op(body, *[(_index_symbol(v), lo, hi) for v, lo, hi in reversed(limits)])

    def open_bound(self, t: _Tok) -> sp.Expr:
        """The upper bound of `\\sum_{t \\ge T}`: the sequence length L, where it is declared."""
        if "L" in self.ctx.scalars:
            return _scalar_symbol("L")
        raise _fail("the sum", t.pos, "it has no upper bound; write it, e.g. \\sum_{t=T}^{L}",
                    "sum without an upper bound")

    def unrolled(self, limits: list, err: UnknownNameError) -> sp.Expr:
        """`\\sum_{i=0}^{2} a_i[t] v_i[t]` over tensors v_0, v_1, v_2: the sum written out."""
        if len(limits) != 1 or self.st.unrolling:
            raise err
        (var, lo, hi), k = limits[0], self.i
        family = any(
            self.toks[m].key == ("sym", "_") and self.toks[m + 1].key == ("name", var)
            and any(len(e.keys) > 2 and e.keys[1] == ("sym", "_") and e.keys[2][0] == "num"
                    for e in self.ctx.by_first.get(self.toks[m - 1].key, ()))
            for m in range(k + 1, self.hi - 1))
        if not (family and lo.is_Integer and hi.is_Integer and 0 < hi - lo + 1 <= 16):
            raise err
        saved = list(self.st.toks)
        terms = []
        self.st.unrolling = True
        try:
            for value in range(int(lo), int(hi) + 1):
                for m in range(k, self.hi):
                    u = saved[m]
                    if u.key == ("name", var):
                        self.st.toks[m] = _Tok("num", str(value), u.pos, u.end, u.sp)
                self.i = k
                terms.append(self.hadamard())
        finally:
            self.st.toks[:] = saved
            self.st.unrolling = False
        return sp.Add(*terms)

    def sum_limits(self, t: _Tok, lo: int, hi: int) -> list:
        """The subscript of a sum: `m=1`, `t \\ge T`, `1 \\le r \\le n`, or a `\\substack` of
        these; (letter, lower, upper or None) per index, outermost first."""
        if self.tok_at(lo, "cmd", r"\substack") and self.tok_at(lo + 1, "open", "{"):
            j = self.mate[lo + 1]
            if j + 1 != hi:
                raise _fail("the sum", t.pos, "write its \\substack alone", "sum")
            rows = [r for r in self.split(lo + 2, j, lambda u: u.kind == "sep") if r[0] < r[1]]
            return [self.sum_row(t, a, b) for a, b in rows]
        return [self.sum_row(t, lo, hi)]

    def sum_row(self, t: _Tok, lo: int, hi: int) -> tuple:
        """`m=1` / `t \\ge T` / `t > T` / `1 \\le r \\le n` -> (letter, lower, upper or None)."""
        pieces, ops, start, k = [], [], lo, lo
        while k < hi:
            u = self.toks[k]
            if u.kind in ("open", "begin"):
                k = self.mate[k] + 1
                continue
            op, width = None, 1
            if u.kind == "cmd" and u.text in _REL_CMDS:
                op = _REL_CMDS[u.text]
            elif u.kind == "sym" and u.text in "=<>":
                op = {"=": sp.Eq, "<": sp.Lt, ">": sp.Gt}[u.text]
                if u.text != "=" and self.tok_at(k + 1, "sym", "="):
                    op, width = (sp.Le if u.text == "<" else sp.Ge), 2
            if op is None:
                k += 1
                continue
            pieces.append((start, k))
            ops.append(op)
            k += width
            start = k
        pieces.append((start, hi))
        how = "write the index and its bounds, e.g. \\sum_{m=1}^{K} or \\sum_{1 \\le m \\le K}"

        def letter(piece):
            a, b = piece
            return self.toks[a].text if b == a + 1 and self.toks[a].kind == "name" else None

        def bound(piece, shift=0):
            if piece[0] >= piece[1]:
                raise _fail("the sum", t.pos, how, "sum")
            return self.parse_range(*piece, index=True) + shift

        up, down = (sp.Le, sp.Lt), (sp.Ge, sp.Gt)
        if len(pieces) == 2 and letter(pieces[0]):
            var, op = letter(pieces[0]), ops[0]
            if op in (sp.Eq, *down):
                return var, bound(pieces[1], int(op is sp.Gt)), None
        elif len(pieces) == 2 and letter(pieces[1]) and ops[0] in up:
            return letter(pieces[1]), bound(pieces[0], int(ops[0] is sp.Lt)), None
        elif len(pieces) == 3 and letter(pieces[1]):
            var = letter(pieces[1])
            if ops[0] in up and ops[1] in up:
                return (var, bound(pieces[0], int(ops[0] is sp.Lt)),
                        bound(pieces[2], -int(ops[1] is sp.Lt)))
            if ops[0] in down and ops[1] in down:
                return (var, bound(pieces[2], int(ops[1] is sp.Gt)),
                        bound(pieces[0], -int(ops[0] is sp.Gt)))
        if len(pieces) >= 2 and not any(letter(x) for x in pieces):
            raise _fail("the sum", t.pos, "its index must be a single letter", "sum")
        raise _fail("the sum", t.pos, how, "sum")

    def arg_expr_index(self) -> sp.Expr:
        lo, hi = self.arg_range()
        return self.parse_range(lo, hi, index=True)

    def call_argument(self, allow_bare: bool) -> sp.Expr:
        t = self.peek()
        if t is not None and t.key in (("open", "("), ("open", "{")):
            j = self.mate[self.i]
            lo, self.i = self.i + 1, j + 1
            return self.parse_range(lo, j)
        if allow_bare and self.starts_atom(t):
            return self.postfix()
        raise self.error("a function", "write its argument in parentheses", "function argument")

    def function(self, kind: str) -> sp.Expr:
        self.take()
        power = None
        if kind in ("tanh", "exp", "log", "sigmoid") and self.at("sym", "^"):
            self.take()
            power = self.arg_expr()
        if kind == "softargmax" and self.at("open", "(") and self.split(
                self.i + 1, self.mate[self.i], _is_comma)[1:]:
            arg = self.bracket_atom()
        else:
            arg = self.call_argument(allow_bare=kind in ("exp", "log"))
        heads = {"sigmoid": sigmoid, "tanh": sp.tanh, "exp": sp.exp, "log": sp.log,
                 "diag": Diag, "softargmax": Softargmax, "relu": relu}
        e = heads[kind](arg)
        return e if power is None else sp.Pow(e, power)

    def sigma(self) -> sp.Expr:
        self.take()
        prime = False
        if self.at("sym", "'"):
            self.take()
            prime = True
        elif self.at("sym", "^") and self.at("cmd", r"\prime", 1):
            self.i += 2
            prime = True
        s = sigmoid(self.call_argument(allow_bare=False))
        if not prime:
            return s
        return s * (1 - s) if s.is_commutative else Hadamard(s, 1 - s)

    def environment(self) -> sp.Expr:
        t = self.peek()
        k = self.i
        j = self.mate[k]
        if t.text not in ("cases", "dcases"):
            why = ("matrix literals are not checked; write the element formula"
                   if t.text.endswith("matrix") else "unsupported environment")
            raise _fail(f"`\\begin{{{t.text}}}`", t.pos, why, f"environment {t.text}")
        self.i = j + 1
        pieces = []
        for a, b in self.split(k + 1, j, lambda u: u.key == ("sep", "\\\\")):
            if a == b:
                continue
            cells = self.split(a, b, lambda u: u.key == ("sym", "&"))
            if len(cells) == 1:
                kw = [m for m in range(a, b) if self.toks[m].kind == "word"
                      and self.toks[m].text in _KEYWORDS and self.depth0(a, m)]
                cells = [(a, kw[0]), (kw[0], b)] if kw else cells
            if len(cells) != 2:
                raise _fail("a row of cases", self.toks[a].pos,
                            "write `value & condition`", "cases")
            (va, vb), (ca, cb) = cells
            while vb > va and self.toks[vb - 1].kind == "sym" and self.toks[vb - 1].text in ",.":
                vb -= 1
            pieces.append((self.parse_range(va, vb), self.condition_range(ca, cb)))
        if not pieces:
            raise _fail("the cases", t.pos, "they are empty", "cases")
        return sp.Piecewise(*pieces)

    def depth0(self, lo: int, k: int) -> bool:
        m = lo
        while m < k:
            if self.toks[m].kind in ("open", "begin"):
                m = self.mate[m]
                if m >= k:
                    return False
            m += 1
        return True

    def condition_range(self, lo: int, hi: int) -> sp.Basic:
        while hi > lo and self.toks[hi - 1].kind == "sym" and self.toks[hi - 1].text in ",.":
            hi -= 1
        if lo < hi and self.toks[lo].kind == "word" and self.toks[lo].text in ("if", "for", "when"):
            lo += 1
        while lo < hi and self.toks[lo].kind == "word" and self.toks[lo].text in _QUANTIFIERS:
            lo += 1
        if hi == lo + 1 and self.toks[lo].kind == "word" and self.toks[lo].text in (
                "else", "otherwise"):
            return sp.true
        if lo >= hi:
            raise _fail("a condition", self.toks[lo - 1].pos, "it is empty", "condition")
        p = self.child(lo, hi, index=True)
        c = p.condition()
        p.finish()
        return c

    def is_relation(self, t: _Tok) -> bool:
        return (t.kind == "sym" and t.text in "=<>") or (t.kind == "cmd" and (
            t.text in _REL_CMDS or t.text in (r"\in", r"\notin")))

    def condition(self) -> sp.Basic:
        disjuncts = [self.conjunction()]
        while self.at("word", "or") or self.at("cmd", r"\lor") or self.at("cmd", r"\vee"):
            self.take()
            disjuncts.append(self.conjunction())
        return sp.Or(*disjuncts)

    def conjunction(self) -> sp.Basic:
        parts = [self.chain()]
        while (self.at("sym", ",") or self.at("word", "and") or self.at("cmd", r"\land")
               or self.at("cmd", r"\wedge")):
            self.take()
            parts.append(self.chain())
        return sp.And(*parts)

    def chain(self) -> sp.Basic:
        left, relations = self.expr(), []
        while True:
            if self.at("cmd", r"\in") or self.at("cmd", r"\notin"):
                negate = self.take().text == r"\notin"
                inside = self.membership(left)
                relations.append(sp.Not(inside) if negate else inside)
                break
            op = self.relation_op()
            if op is None:
                break
            right = self.expr()
            relations.append(op(left, right))
            left = right
        if not relations:
            raise self.error("a condition", "write a comparison such as `j = i` or "
                             "`1 \\le l \\le 3`", "condition")
        return sp.And(*relations)

    def membership(self, left: sp.Expr) -> sp.Basic:
        """`l \\in \\{2j-1, 2j, 2j+1\\}` -> Or of Eq; `i \\in \\{1, \\dots, k\\}` -> 1 <= i <= k."""
        t = self.peek()
        if t is None or t.key != ("open", "\\{"):
            raise self.error("the set", "write it as \\{a, b, c\\} or \\{1, \\dots, k\\}", "set")
        k = self.i
        self.i = self.mate[k] + 1
        lo, hi, members = self.set_members(k)
        if members is None:
            return sp.And(sp.Le(lo, left), sp.Le(left, hi))
        return sp.Or(*[sp.Eq(left, m) for m in members])

    def set_members(self, k: int) -> tuple:
        """The members of the set group at k: (lo, hi, None) for a range with `\\dots`,
        else (None, None, members)."""
        j = self.mate[k]
        if j == k + 1:
            raise _fail("the set", self.toks[k].pos, "it is empty", "set")
        parts = self.split(k + 1, j, lambda u: u.key == ("sym", ","))
        dots = [b == a + 1 and self.toks[a].kind == "cmd" and self.toks[a].text in _DOTS
                for a, b in parts]
        if not any(dots):
            return None, None, [self.parse_range(a, b, index=True) for a, b in parts]
        if dots.count(True) != 1 or dots[0] or dots[-1]:
            raise _fail("the set", self.toks[k].pos, "write a range as \\{1, \\dots, k\\}", "set")
        at = dots.index(True)
        before = [self.parse_range(a, b, index=True) for a, b in parts[:at]]
        after = [self.parse_range(a, b, index=True) for a, b in parts[at + 1:]]
        items = before + after
        if any(sp.expand(b - a) != 1 for a, b in zip(before, before[1:])) or len(after) != 1:
            raise _fail("the set", self.toks[k].pos, "its members before `\\dots` must count "
                        "up by one, with one last member after it", "set")
        return items[0], items[-1], None

    def relation_op(self):
        t = self.peek()
        if t is None:
            return None
        if t.kind == "cmd" and t.text in _REL_CMDS:
            self.take()
            return _REL_CMDS[t.text]
        if t.kind == "sym" and t.text in "=<>!":
            self.take()
            if t.text == "!" or self.at("sym", "="):
                if t.text == "!" and not self.at("sym", "="):
                    raise _fail("`!`", t.pos, "factorials are not supported", "factorial")
                if self.at("sym", "="):
                    self.take()
                return {"<": sp.Le, ">": sp.Ge, "!": sp.Ne, "=": sp.Eq}[t.text]
            return {"<": sp.Lt, ">": sp.Gt, "=": sp.Eq}[t.text]
        return None


def _decode(e: sp.Expr, ctx: _Ctx) -> tuple | None:
    """(name, indices, time) of a parsed reference, or None if it names no tensor."""
    if isinstance(e, sp.Symbol) and not e.is_commutative and e.name in ctx.tensors:
        return (e.name, (), None)
    if isinstance(e, sp.Indexed) and str(e.base.label) in ctx.tensors:
        return (str(e.base.label), tuple(e.indices), None)
    if isinstance(e, AtTime) and isinstance(e.args[0], sp.Symbol):
        return (e.args[0].name, (), e.args[1])
    if isinstance(e, At) and isinstance(e.args[0], AtTime) and isinstance(
            e.args[0].args[0], sp.Symbol):
        return (e.args[0].args[0].name, tuple(e.args[1:]), e.args[0].args[1])
    return None


# ----------------------------------------------------------------------------- claims


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
        parts = [self.classify(a, b) for a, b in expanded]
        items, run, k = [], [], 0
        while k < len(parts):
            kind, data = parts[k]
            if kind == "bare" and self.p.split(*data, _is_times)[1:]:
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
        while k < n:
            u = toks[k]
            if u.key == ("open", "(") and (k == start or toks[k - 1].kind not in ("cmd", "word")):
                qualifier = self.bracketed(k)
                if qualifier is not None:
                    segs.append((start, k))
                    start, rng = qualifier
                    ranges.append((k, *rng))
                    k = start
                    continue
            if u.kind in ("open", "begin"):
                k = self.st.mate[k] + 1
                continue
            if _is_separator(u):
                segs.append((start, k))
                start = k = k + 1
                continue
            if u.kind == "word" and u.text in _ASIDES:
                segs.append((start, k))
                start = k = self.next_at(k, lambda v: v.key == ("sep", "\\\\"))
                continue
            if u.key == ("word", _ASIDE_PART):
                segs.append((start, k))
                start = k = self.next_at(k, _is_separator)
                continue
            qualifier = None
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
        if not items or flags[0] or flags[-1] or (word is None and True not in flags):
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
        eqs = p.split(a, b, lambda u: u.key == ("sym", "="))
        if len(ins) == 2 and len(eqs) == 2 and eqs[0][1] < ins[0][1]:
            (sa, sb), (ra, rb) = eqs[0], ins[1]
            if sa >= sb or ra >= rb or eqs[1][0] >= ins[0][1]:
                raise _fail("the claim", toks[a].pos, "write `A = B \\in \\mathbb{R}^{...}`",
                            "claim")
            formula = (eqs[1][0], ins[0][1])
            return "defin", ((sa, sb), None if self.placeholder(*formula) else formula,
                             (ra, rb))
        if len(ins) > 1:
            if len(ins) > 2 or len(eqs) > 1:
                raise _fail("the claim", toks[a].pos, "use one `\\in` or `=` per part", "claim")
            (sa, sb), (ra, rb) = ins
            if ra >= rb:
                raise _fail("the shape", toks[sb].pos, "the space after \\in is missing", "shape")
            return "in", ((sa, sb) if sa < sb else None, (ra, rb))
        if len(eqs) > 1 and all(self.arithmetic(lo, hi) for lo, hi in eqs[:-1]):
            return self.classify(*eqs[-1])
        if len(eqs) > 1:
            ranges = []
            for lo, hi in eqs:
                if hi > lo and toks[hi - 1].key == ("sym", ":"):
                    hi -= 1
                if lo >= hi:
                    raise _fail("`=`", toks[max(lo - 1, a)].pos, "one side is missing", "equation")
                ranges.append((lo, hi))
            return "eq", ranges
        if self.is_space(a, b):
            return "in", (None, (a, b))
        return "bare", (a, b)

    def arithmetic(self, a: int, b: int) -> bool:
        """Whether toks[a:b] is arithmetic on numbers only (a worked computation)."""
        return a < b and all(
            u.kind in ("num", "open", "close") or (u.kind == "sym" and u.text in "+-*/")
            or (u.kind == "cmd" and u.text in _MULOPS | _FRACS) for u in self.toks[a:b])

    def placeholder(self, a: int, b: int) -> bool:
        """`\\sigma(\\cdot)`: a definition written with a placeholder argument."""
        toks = self.toks
        return any(toks[k].kind == "cmd" and toks[k].text in ({r"\cdot"} | _DOTS)
                   and toks[k - 1].kind == "open" and k + 1 < b and toks[k + 1].kind == "close"
                   for k in range(a + 1, b))

    def build(self, items: list) -> tuple:
        eqs = [it for it in items if it[0] == "eq"]
        system = any(it[3] for it in eqs)
        if not system and len(eqs) >= 2 and not any(self.is_derivative(it[1]) for it in eqs):
            kinds = [self.lhs_kind(it[1]) for it in eqs]
            system = "model" in kinds or all(k == "whole" for k in kinds)
        if self.ranges and not system:
            raise _fail("the qualifier", self.toks[0].pos, "a range `for i = ...` is read only "
                        "in a system of equations", "qualifier")
        claims: list = []
        equations: list = []
        groups: dict = {}
        for it in items:
            if it[0] == "shape":
                subject = None if it[1] is None else self.lhs_ref(*it[1])
                claims.append(ShapeClaim(subject, self.space(*it[2])))
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
            else:
                claims.append(self.formula(it[1], it[2]))
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
        return tuple(claims)

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
        return t.kind == "cmd" and t.text in _FRACS

    def lhs_kind(self, r: tuple[int, int]) -> str:
        try:
            ref = self.lhs_ref(*r)
        except SymgradError:
            return "model"
        return "whole" if not ref.of_indices and ref.wrt is None else "element"

    def lhs_ref(self, lo: int, hi: int) -> Ref:
        p = _Parser(self.st, lo, hi, mode="formula")
        if self.is_derivative((lo, hi)):
            of, wrt = p.derivative_refs()
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
        lo = self.p.split(lo, hi, lambda u: u.key in (("cmd", r"\subset"),
                                                      ("cmd", r"\subseteq")))[-1][0]
        t = self.toks[lo] if lo < hi else self.toks[lo - 1]
        if t.key == ("open", "[") and self.st.mate[lo] + 1 < hi:
            lo = self.st.mate[lo]
            t = self.toks[lo]
        elif lo >= hi:
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
        if not e.is_commutative or e.has(sp.Indexed, At, AtTime, Stack, Softargmax, Diag,
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


def _is_iverson(e: sp.Expr) -> bool:
    """An Iverson bracket [c] = Piecewise((1, c), (0, True)); a product with one is 0
    wherever c fails, whatever the other factors read there (Knuth's strong zero)."""
    return (isinstance(e, sp.Piecewise) and len(e.args) == 2 and e.args[0].expr == 1
            and e.args[1].expr == 0 and e.args[1].cond is sp.true)


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


def _is_times(t: _Tok) -> bool:
    return t.key == ("cmd", r"\times")


def _is_comma(t: _Tok) -> bool:
    return t.key == ("sym", ",")


def _is_separator(t: _Tok) -> bool:
    return (t.kind == "sym" and t.text in ",;") or t.kind == "sep"


def _guarded(fn, text: str, decls: Declarations, mode: str):
    if not isinstance(decls, Declarations):
        raise TypeError("decls must be a Declarations")
    st = None
    try:
        st = _State.make(text, _ctx(decls), mode)
        return fn(st)
    except SymgradError:
        raise
    except RecursionError:
        raise LimitError("the formula is nested too deeply") from None
    except Exception as exc:
        pos = st.last if st is not None else 0
        raise ParseError(f"could not read the formula at position {pos}: "
                         f"{type(exc).__name__}: {exc}".splitlines()[0],
                         position=pos, construct="formula") from None


def parse_claim(text: str, decls: Declarations) -> tuple:
    """Parse a claim into ShapeClaim / FormulaClaim / SystemClaim parts, in written order."""
    return _guarded(lambda st: _Claims(st).run(), text, decls, "formula")


def parse_expression(text: str, decls: Declarations) -> sp.Expr:
    """Parse one bare formula (no `=`, no separators) into a SymPy expression."""

    def run(st: _State) -> sp.Expr:
        p = _Parser(st, 0, len(st.toks))
        e = p.expr()
        p.finish()
        return e

    return _guarded(run, text, decls, "formula")
