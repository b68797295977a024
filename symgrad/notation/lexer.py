"""The lexer of homework LaTeX: tokens whose positions index the text the user typed."""

from __future__ import annotations

import re
from dataclasses import dataclass

import sympy as sp

from symgrad.core.errors import LimitError, ParseError
from symgrad.core.ops import OPS, parser_words

MAX_LENGTH = 20000


MAX_DEPTH = 100


_MAX_NEST = 120


_MAX_MARKS = 6


_MAX_RULES = 256


_NOT_A_SIZE = "a shape is a product of sizes; a formula needs a left side `... =`"


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


_OUT_MARKERS = {"out", "o", "output", "new", "next", "'", "prime"}
_OUT_AXES = {"H": "output height", "W": "output width", "L": "output length",
             "N": "output length", "F": "filters", "C": "filters"}
_DEFINING = ("where", "with", "let", "define", "denote", "set ", "here", "and let")
_JOINERS = _ASIDES | {"and"}  # words that join two parts of a claim (each part is read)


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


_FUNC_WORDS = parser_words()


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


_OSLASH = OPS["oslash"].latex  # element-wise division, at the level of \odot


_TRANSPOSE = {r"\top", r"\intercal", r"\mathsf{T}"}


_R_SPACES = {r"\mathbb{R}", r"\mathcal{R}", r"\R", r"\Reals", r"\mathds{R}"}


def _divides(a: sp.Expr, b: sp.Expr) -> sp.Basic:
    """`a \\mid b`: a divides b."""
    return sp.Eq(sp.Mod(b, a), 0)


def _not_divides(a: sp.Expr, b: sp.Expr) -> sp.Basic:
    return sp.Ne(sp.Mod(b, a), 0)


_REL_CMDS = {
    r"\le": sp.Le, r"\leq": sp.Le, r"\leqslant": sp.Le, r"\ge": sp.Ge, r"\geq": sp.Ge,
    r"\geqslant": sp.Ge, r"\lt": sp.Lt, r"\gt": sp.Gt, r"\ne": sp.Ne, r"\neq": sp.Ne,
    r"\mid": _divides, r"\nmid": _not_divides,
}


_STOP_CMDS = (
    _MULOPS | _HADAMARD | set(_REL_CMDS) | _TRANSPOSE
    | {r"\in", r"\notin", r"\land", r"\wedge", r"\lor", r"\vee", r"\pm", r"\mp", r"\to",
       r"\rightarrow", r"\mid", r"\prime", r"\otimes", _OSLASH}
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
            elif text.startswith("...", i, hi):  # an ellipsis typed as three dots: \dots
                self.add("cmd", r"\dots", i, i + 3)
                i += 3
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
            elif nxt == ";" and text.startswith("\\;", i + 2):
                j = i + 2  # a run of thick spaces `\;\;` separates parts, as \quad does
                while j < hi and (text.startswith("\\;", j) or text[j] == " "):
                    j += 2 if text[j] == "\\" else 1
                self.add("sep", "quad", i, j)
                return j
            elif nxt in ",;:! >":
                self.space = True
            elif nxt in "{}":
                self.add("open" if nxt == "{" else "close", "\\" + nxt, i, i + 2)
            elif nxt == "|":
                self.add("cmd", "\\Vert", i, i + 2)
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
        elif name in ("lVert", "rVert", "Vert"):
            self.add("cmd", "\\Vert", i, j)
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
        elif self._in_script() and content.strip().isascii() and content.strip().isalnum():
            for m in re.finditer(r"[A-Za-z]|\d+", content):
                self.add("name" if m.group().isalpha() else "num", m.group(), a + m.start(),
                         a + m.end())
        elif words[0].lower() in _ASIDES:
            self.add("word", words[0].lower(), first_at, first_at + len(words[0]))
        elif font in _PROSE_FONTS and self._prose(words, k, hi):
            if self._depth() == 0:
                self.add("sep", "text", first_at, b)
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

    def _in_script(self) -> bool:
        """Whether the next token is a sub- or superscript (`H_{\\text{out}}`)."""
        toks = self.toks
        return bool(toks) and (toks[-1].key in (("sym", "_"), ("sym", "^")) or (
            len(toks) > 1 and toks[-1].key == ("open", "{")
            and toks[-2].key in (("sym", "_"), ("sym", "^"))))

    def _depth(self) -> int:
        """How many groups are open at the end of the tokens so far."""
        return sum((t.kind == "open") - (t.kind == "close") for t in self.toks)

    def _prose(self, words: list[str], k: int, hi: int) -> bool:
        """Whether `\\text{...}` holds commentary only (`dimension `, `(one filter)`): words
        that mean nothing to a formula; one bare word before `(`, `_`, `^` or `[` is a name."""
        plain = [w.strip(_PROSE_PUNCT).replace(".", "") for w in words]
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


def token_keys(text: str) -> list[tuple[str, str]]:
    """The (kind, text) keys of the tokens of ``text``, for callers that only scan them."""
    return [t.key for t in _tokens(text)[0]]


def _tokens(text: str) -> tuple[list[_Tok], list[int]]:
    if not isinstance(text, str):
        raise ParseError("a claim must be a string of LaTeX", position=0, construct="input")
    if len(text) > MAX_LENGTH:
        raise LimitError(f"the LaTeX is {len(text)} characters long; the limit is {MAX_LENGTH}")
    toks, mate = _normalize(_unwrap_rows(_Lexer(text).run(0, len(text))))
    greek = _greek_indices(toks)
    if greek is not toks:
        toks, mate = greek, _mates(greek)
    if any(t.key in (("sym", "<"), ("open", r"\langle")) for t in toks):
        angled = _angle_steps(toks)
        if angled is not toks:
            toks, mate = angled, _mates(angled)
    if any(t.key == ("cmd", r"\nabla") for t in toks):
        hessians = _nabla_hessians(toks, mate)
        if hessians is not toks:
            toks, mate = hessians, _mates(hessians)
    if any(t.key == ("cmd", r"\partial") for t in toks):
        second = _second_derivatives(toks, mate)  # before any reader sees the tokens
        if second is not toks:
            return second, _mates(second)
    return toks, mate


# Greek letters a writer sums or multiplies over (\prod_{\tau=t+1}^{k}); not \sigma, \delta,
# \epsilon or \pi, which mean other things
_GREEK_INDEX = {"\\" + g: u for g, u in (("tau", "τ"), ("alpha", "α"), ("beta", "β"),
                                          ("gamma", "γ"), ("kappa", "κ"), ("iota", "ι"),
                                          ("mu", "μ"), ("nu", "ν"), ("xi", "ξ"), ("rho", "ρ"),
                                          ("eta", "η"), ("omega", "ω"))}


def _greek_indices(toks: list[_Tok]) -> list[_Tok]:
    """A Greek letter that a sum or product runs over (``\\sum_{\\tau = 1}``) is a letter
    index everywhere in the formula (``h[\\tau]``), like ``m`` or ``t``."""
    used = set()
    for k, t in enumerate(toks[:-4]):
        if (t.kind == "cmd" and t.text in (r"\sum", r"\prod") and toks[k + 1].key == ("sym", "_")
                and toks[k + 2].key == ("open", "{") and toks[k + 3].text in _GREEK_INDEX
                and (toks[k + 4].kind == "sym" or toks[k + 4].text in (r"\le", r"\leq", r"\ge",
                                                                      r"\geq", r"\in"))):
            used.add(toks[k + 3].text)
    if not used:
        return toks
    return [_Tok("name", _GREEK_INDEX[t.text], t.pos, t.end, t.sp)
            if t.kind == "cmd" and t.text in used else t for t in toks]


def _angle_steps(toks: list[_Tok]) -> list[_Tok]:
    """`a^{<t>}`, `a^{<t-1>}`, `a^{\\langle t \\rangle}` (a step written in angle brackets, as
    in a^{<t>}) -> `a^{(t)}`, `a^{(t-1)}`: one letter, then perhaps + or - a number."""
    out: list[_Tok] = []
    k, changed = 0, False
    pairs = ((("sym", "<"), ("sym", ">")), (("open", r"\langle"), ("close", r"\rangle")))
    while k < len(toks):
        t = toks[k]
        if t.key == ("sym", "^") and k + 1 < len(toks) and toks[k + 1].key == ("open", "{"):
            for left, right in pairs:
                if k + 2 < len(toks) and toks[k + 2].key == left:
                    j = next((m for m in range(k + 3, min(k + 8, len(toks)))
                              if toks[m].key == right), None)
                    inner = toks[k + 3:j] if j is not None else []
                    if (j is not None and j + 1 < len(toks) and toks[j + 1].key == ("close", "}")
                            and inner and inner[0].kind == "name" and len(inner[0].text) == 1
                            and (len(inner) == 1 or (len(inner) == 3 and inner[1].key in (
                                ("sym", "-"), ("sym", "+")) and inner[2].kind == "num"))):
                        a, b = toks[k + 2], toks[j]
                        out.extend([t, toks[k + 1], _Tok("open", "(", a.pos, a.end), *inner,
                                    _Tok("close", ")", b.pos, b.end), toks[j + 1]])
                        k, changed = j + 2, True
                        break
            else:
                out.append(t)
                k += 1
            continue
        out.append(t)
        k += 1
    return out if changed else toks


def _group(toks: list[_Tok], mate: list[int], k: int) -> int | None:
    """End (exclusive) of one token or of the braced group at k."""
    if k >= len(toks):
        return None
    if toks[k].key == ("open", "{"):
        return mate[k] + 1
    return k + 1 if toks[k].kind in ("name", "cmd", "num") else None


def _nabla_hessians(toks: list[_Tok], mate: list[int]) -> list[_Tok]:
    """`\\nabla^2_x f`, `\\nabla_x^2 f`, `\\nabla_{x}^{2} f` -> `\\frac{\\partial^2 f}{\\partial
    x^2}` (then read as a Hessian by `_second_derivatives`); f is one name, perhaps with a
    subscript."""
    out: list[_Tok] = []
    k, changed = 0, False
    while k < len(toks):
        t = toks[k]
        keys = [u.key for u in toks[k + 1:k + 3]]
        sq, j = [("sym", "^"), ("num", "2")], None
        if t.key == ("cmd", r"\nabla") and keys == sq and k + 3 < len(toks) \
                and toks[k + 3].key == ("sym", "_"):
            a = k + 4
            b = _group(toks, mate, a)
            j = b
        elif t.key == ("cmd", r"\nabla") and keys[:1] == [("sym", "_")]:
            a = k + 2
            b = _group(toks, mate, a)
            j = b + 2 if b is not None and [u.key for u in toks[b:b + 2]] == sq else None
        f_end = _group(toks, mate, j) if j is not None else None
        if f_end is not None and toks[j].kind in ("name", "cmd") and toks[j].text != r"\left":
            if f_end + 1 < len(toks) and toks[f_end].key == ("sym", "_"):
                f_end = _group(toks, mate, f_end + 1) or f_end
            var = toks[a:b]
            if var and var[0].key == ("open", "{"):
                var = var[1:-1]
            made = [_Tok(kind, text, t.pos, t.end) for kind, text in (
                ("cmd", r"\frac"), ("open", "{"), ("cmd", r"\partial"), ("sym", "^"),
                ("num", "2"), ("close", "}"), ("open", "{"), ("cmd", r"\partial"), ("sym", "^"),
                ("num", "2"), ("close", "}"))]
            out.extend([*made[:5], *toks[j:f_end], *made[5:8], *var, *made[8:]])
            k, changed = f_end, True
            continue
        out.append(t)
        k += 1
    return out if changed else toks


def _second_derivatives(toks: list[_Tok], mate: list[int]) -> list[_Tok]:
    """`\\frac{\\partial^2 f}{\\partial x_i \\partial x_j}` and `\\frac{\\partial^2 f}{\\partial
    x^2}` (a Hessian: the same variable twice) as the derivative of the first derivative:
    `\\frac{\\partial (\\frac{\\partial f}{\\partial x})_i}{\\partial x_j}`. Mixed second
    derivatives (two variables) are left alone: their order is a convention."""
    out: list[_Tok] = []
    k, changed = 0, False
    while k < len(toks):
        t = toks[k]
        if (t.key == ("cmd", r"\frac") and k + 5 < len(toks)
                and toks[k + 1].key == ("open", "{") and toks[k + 2].key == ("cmd", r"\partial")
                and toks[k + 3].key == ("sym", "^") and toks[k + 4].key == ("num", "2")):
            b = mate[k + 1]
            if b + 1 < len(toks) and toks[b + 1].key == ("open", "{") and b > k + 5:
                d = mate[b + 1]
                rewritten = _hessian_tokens(t, toks[k + 5:b], toks[b + 2:d])
                if rewritten is not None:
                    out.extend(rewritten)
                    k, changed = d + 1, True
                    continue
        out.append(t)
        k += 1
    return out if changed else toks


def _hessian_tokens(frac: _Tok, of: list[_Tok], den: list[_Tok]) -> list[_Tok] | None:
    """The tokens of d(d of / d x)/d x for the denominator `\\partial A \\partial B` (A and B
    the same variable, perhaps with indices) or `\\partial A^2`; None for anything else."""
    if not den or den[0].key != ("cmd", r"\partial"):
        return None
    parts: list[list[_Tok]] = [[]]
    depth = 0
    for u in den[1:]:
        depth += u.kind == "open"
        depth -= u.kind == "close"
        if depth == 0 and u.key == ("cmd", r"\partial"):
            parts.append([])
        else:
            parts[-1].append(u)
    if len(parts) == 1 and len(parts[0]) > 2 and [u.key for u in parts[0][-2:]] == [
            ("sym", "^"), ("num", "2")]:
        first = second = parts[0][:-2]
    elif len(parts) == 2:
        first, second = parts
    else:
        return None

    def split(side: list[_Tok]) -> tuple[list[_Tok], list[_Tok]]:
        at = max((j for j, u in enumerate(side) if u.key == ("sym", "_")), default=None)
        if at is None or at == 0 or side[at - 1].kind == "close":
            return side, []
        return side[:at], side[at:]

    if len(second) > 2 and second[-2].key == ("sym", "^") and second[-1].key in (
            ("cmd", r"\top"), ("name", "T"), ("cmd", r"\intercal")):
        second = second[:-2]  # d^2 f / dx dx^T: the same Hessian
    (stem, sub), (stem2, _) = split(first), split(second)
    if not stem or [u.key for u in stem] != [u.key for u in stem2] or not of:
        return None
    pos, end = frac.pos, frac.end

    def tok(kind: str, text: str) -> _Tok:
        return _Tok(kind, text, pos, end)
    return [frac, tok("open", "{"), tok("cmd", r"\partial"), tok("open", "("), frac,
            tok("open", "{"), tok("cmd", r"\partial"), *of, tok("close", "}"), tok("open", "{"),
            tok("cmd", r"\partial"), *stem, tok("close", "}"), tok("close", ")"), *sub,
            tok("close", "}"), tok("open", "{"), tok("cmd", r"\partial"), *second,
            tok("close", "}")]


def _is_times(t: _Tok) -> bool:
    return t.key == ("cmd", r"\times")


def _is_comma(t: _Tok) -> bool:
    return t.key == ("sym", ",")


def _is_separator(t: _Tok) -> bool:
    return (t.kind == "sym" and t.text in ",;") or t.kind == "sep"
