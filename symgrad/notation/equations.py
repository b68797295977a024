r"""Models from equations in homework LaTeX.

    model_from_latex(r"c[t] = \sigma(W_c x[t] + W_h h[t-1]) \\ "
                     r"h[t] = c[t] \odot h[t-1] + (1 - c[t]) \odot W_x x[t]",
                     shapes={"x": "n", "h": "m", "W_c": "m x n", "W_h": "m x m",
                             "W_x": "m x n"})

Equations are separated by ``\\`` or new lines (a line without ``=`` continues the one
before); ``&`` and ``align``-like environments are ignored. Each ``lhs = rhs`` is read by
``symgrad.notation`` against declarations built from ``shapes`` (names as written:
``x`` covers ``x[t]``, ``h`` covers ``h[t]``, ``h[t-1]``, ``h[t-i]``) and the names the
equations define, in order. A left side is a name (matrix notation: ``c[t] = ...``) or
an element of a declared tensor (index notation: ``y_j = \sum_{k=1}^{K} w_k x_{2(j-1)+k}``,
1-based unless ``index_base=0``). A name undeclared in ``shapes`` takes the shape of its
right side. In a model with time steps (``[t]`` appears), declared names read at ``[t]``
are inputs of every step, the others parameters; a defined name read at ``[t-1]``,
``[t-2]`` or ``[t-i]`` (``i`` a summation index) is a state, zero before the first step.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import sympy as sp

from symgrad.core.errors import ParseError, ShapeError, SymgradError, UnknownNameError
from symgrad.core.model import Model, identifier
from symgrad.core.ops import At, AtTime, Extremum, Indicator, Stack
from symgrad.core.shapes import ShapeSpec, dims_text, parse_shape
from symgrad.core.simplify import Iverson, linear_bounds

from .claims import FormulaClaim, parse_claim
from .expressions import IDENTITY, ONES, Kron, VStack
from .lexer import _INDICATOR, _Tok, _tokens
from .names import IMPLIED_BASE, Declarations, TensorDecl, _keys
from .windows import windows

__all__ = ["model_from_latex", "split_equations"]

_T = sp.Symbol("t", integer=True)
_DEFINES = (("sym", "="), ("cmd", r"\coloneqq"), ("cmd", r"\triangleq"), ("cmd", r"\equiv"))
_GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta",
          "vartheta", "iota", "kappa", "lambda", "mu", "nu", "xi", "rho", "sigma", "tau",
          "upsilon", "phi", "varphi", "chi", "psi", "omega", "Gamma", "Delta", "Theta",
          "Lambda", "Xi", "Sigma", "Phi", "Psi", "Omega", "Pi"}


class _Lag(sp.Function):
    """Internal: tensor ``args[0]`` read ``args[1]`` steps back."""

    nargs = 2


@dataclass
class _Name:
    written: str
    internal: str
    shape: tuple | None
    declared: bool
    eq: int | None = None
    timed: bool = False
    rank: int = 0
    keys: tuple = ()
    aliases: tuple = ()


@dataclass(frozen=True)
class _Equation:
    """One equation: its text (everything else blanked, so positions index the user's
    text), its tokens and where ``=`` is."""

    text: str
    start: int
    toks: tuple
    equals: int

    @property
    def shown(self) -> str:
        return " ".join(self.text.split())

    @property
    def lhs(self) -> tuple:
        end = self.equals
        if end < 0:  # no `=`: refused with its position when the equations are read
            return ()
        if end and self.toks[end - 1].key == ("sym", ":"):
            end -= 1
        return self.toks[:end]


def _depths(toks: list[_Tok]) -> list[int]:
    out, depth = [], 0
    for t in toks:
        if t.kind in ("close", "end"):
            depth -= 1
        out.append(depth)
        if t.kind in ("open", "begin"):
            depth += 1
    return out


def _trim(piece: list[int], toks: list[_Tok]) -> list[int]:
    ends = (("sym", ","), ("sym", "."), ("sym", ";"))
    while piece and (toks[piece[0]].kind == "sep" or toks[piece[0]].key in ends):
        piece = piece[1:]
    while piece and (toks[piece[-1]].kind == "sep" or toks[piece[-1]].key in ends):
        piece = piece[:-1]
    return piece


def _defining(toks: list[_Tok] | tuple) -> int | None:
    """Index of the first ``=`` (or ``:=``, ``\\coloneqq``) outside brackets."""
    for k, (t, d) in enumerate(zip(toks, _depths(list(toks)))):
        if d == 0 and t.key in _DEFINES:
            return k
    return None


def _equations(text: str) -> list[_Equation]:
    """The equations of a system, from the tokens of the whole text: split on ``\\`` and
    new lines outside brackets and environments; a piece without ``=`` continues the one
    before (what lies between the joined pieces is blanked, so positions keep)."""
    if not isinstance(text, str):
        raise ParseError("the equations must be a string of LaTeX", position=0,
                         construct="input")
    toks, _ = _tokens(text)
    pieces: list[list[int]] = [[]]
    for k, (t, d) in enumerate(zip(toks, _depths(toks))):
        if d == 0 and t.key == ("sep", "\\\\"):
            pieces.append([])
            continue
        if d == 0 and k and pieces[-1] and "\n" in text[toks[k - 1].end:t.pos]:
            pieces.append([])
        pieces[-1].append(k)
    groups: list[list[int]] = []
    for piece in (_trim(p, toks) for p in pieces):
        if not piece:
            continue
        if groups and _defining([toks[k] for k in piece]) is None:
            groups[-1].extend(piece)
        else:
            groups.append(piece)
    out = []
    for group in groups:
        a, b = _widen(text, toks[group[0]].pos, toks[group[-1]].end)
        chars = list(text[a:b])
        for u, v in zip(group, group[1:]):
            lo, hi = toks[u].end - a, toks[v].pos - a
            chars[lo:hi] = "".join(chars[lo:hi]).replace("&", " ")
            for w in range(u + 1, v):
                chars[toks[w].pos - a:toks[w].end - a] = " " * (toks[w].end - toks[w].pos)
        body = " " * a + "".join(chars)
        etoks = tuple(_tokens(body)[0])
        at = _defining(etoks)
        out.append(_Equation(body, a, etoks, -1 if at is None else at))
    return out


def _widen(text: str, a: int, b: int) -> tuple[int, int]:
    """The span [a, b) of tokens widened over the font commands around them
    (``\\mathbf{`` before the first token, ``}`` after the last)."""
    while True:
        k = a
        while k and text[k - 1].isspace():
            k -= 1
        if not (k and text[k - 1] == "{"):
            break
        j = k - 1
        while j and text[j - 1].isalpha():
            j -= 1
        if not (j and text[j - 1] == "\\" and j < k - 1):
            break
        a = j - 1
    while True:
        k = b
        while k < len(text) and text[k].isspace():
            k += 1
        if not (k < len(text) and text[k] == "}" and text[a:k].count("{") > text[a:k].count("}")):
            break
        b = k + 1
    return a, b


def split_equations(text: str) -> list[str]:
    r"""The equations of a system as written (whitespace collapsed): split on ``\\`` and
    new lines outside brackets and environments."""
    return [e.shown for e in _equations(text)]


def _key_text(keys: tuple) -> str:
    return "".join(k[1] if k[0] != "cmd" else k[1] + " " for k in keys).strip()


def _time_suffix(toks: tuple | list, j: int, strict: bool) -> int | None:
    """End of a time mark at token ``j`` (``[t]``, ``[t-1]``, ``_t``, ``_{t-1}``, ``(t)``,
    ``^{(t)}``), or None. ``strict`` allows only ``t`` plus or minus a number (subscripts
    and parentheses); brackets may also hold a letter (``h[t-i]``)."""
    n = len(toks)

    def timed(inner, loose=False):
        names = [u.text for u in inner if u.kind == "name"]
        plain = all(u.kind in ("name", "num") or u.key in (("sym", "+"), ("sym", "-"))
                    for u in inner)
        if not (plain and inner and inner[0].key == ("name", "t")):
            return False
        return len(names) == 1 or (loose and len(names) == 2)

    def close(k, text):
        depth = 0
        for m in range(k, n):
            if toks[m].kind in ("open", "begin"):
                depth += 1
            elif toks[m].kind in ("close", "end"):
                depth -= 1
                if depth == 0:
                    return m if toks[m].text == text else None
        return None

    if j >= n:
        return None
    t = toks[j]
    if t.key == ("open", "["):
        m = close(j, "]")
        return m + 1 if m is not None and timed(toks[j + 1:m], loose=not strict or True) \
            else None
    if t.key == ("open", "("):
        m = close(j, ")")
        return m + 1 if m is not None and timed(toks[j + 1:m]) else None
    if t.key == ("sym", "_") and j + 1 < n:
        u = toks[j + 1]
        if u.key == ("name", "t"):
            return j + 2
        if u.key == ("open", "{"):
            m = close(j + 1, "}")
            return m + 1 if m is not None and timed(toks[j + 2:m]) else None
        return None
    if t.key == ("sym", "^") and j + 2 < n and toks[j + 1].key == ("open", "{") \
            and toks[j + 2].key == ("open", "("):
        m = close(j + 2, ")")
        if m is not None and m + 1 < n and toks[m + 1].key == ("close", "}") \
                and timed(toks[j + 3:m]):
            return m + 2
    return None


def _occurrences(toks: tuple, keys: tuple) -> list[int]:
    """Token indices just after each occurrence of a name's tokens (not inside a longer
    name: not after ``_``/``^``, not followed by a subscript of its own)."""
    out, n = [], len(keys)
    for k in range(len(toks) - n + 1):
        if tuple(u.key for u in toks[k:k + n]) != keys:
            continue
        if k and toks[k - 1].key in (("sym", "_"), ("sym", "^"), ("cmd", "\\")):
            continue
        out.append(k + n)
    return out


_ONE_HOT = ("one-hot", "one_hot", "onehot")  # a shapes value "one-hot n": entries sum to 1
_LETTER_CMDS = (r"\ell", r"\mathcal{", r"\mathscr{", r"\mathbb{", r"\mathfrak{", r"\hbar")
_ACCENT_CMDS = {r"\hat", r"\tilde", r"\bar", r"\vec", r"\overline", r"\dot", r"\widehat",
                r"\widetilde", r"\check", r"\breve"}


def _name_end(toks: tuple | list, k: int) -> int:
    """End of a name written from token ``k``: accents, a letter, word or Greek command,
    then an optional subscript (one token or a braced group of letters, digits, commas)."""
    n, j = len(toks), k
    while j < n and toks[j].kind == "cmd" and toks[j].text in _ACCENT_CMDS:
        j += 1
    if j >= n or not (toks[j].kind == "name" or (toks[j].kind == "cmd" and (
            toks[j].text.lstrip("\\") in _GREEK or toks[j].text.startswith(_LETTER_CMDS)))):
        return k
    j += 1
    if j + 1 < n and toks[j].key == ("sym", "_"):
        u = toks[j + 1]
        if u.kind in ("name", "num"):
            j += 2
        elif u.key == ("open", "{"):
            m = j + 2
            while m < n and (toks[m].kind in ("name", "num") or toks[m].key == ("sym", ",")):
                m += 1
            if m < n and toks[m].key == ("close", "}") and m > j + 2:
                j = m + 1
    if j + 1 < n and toks[j].key == ("sym", "^") and toks[j + 1].kind == "num":
        return j + 2
    if (j + 5 < n and toks[j].key == ("sym", "^") and toks[j + 1].key == ("open", "{")
            and toks[j + 2].key == ("open", "(") and toks[j + 3].kind in ("num", "name")
            and toks[j + 3].text != "t" and toks[j + 4].key == ("close", ")")
            and toks[j + 5].key == ("close", "}")):
        return j + 6
    return j


def _spelling(key: str) -> str:
    """A ``shapes`` key as LaTeX: ``alpha`` -> ``\\alpha``, ``h_prev`` -> ``h_{prev}``."""
    head, sep, sub = key.partition("_")
    if head in _GREEK:
        head = "\\" + head
    if sep and len(sub) > 1 and sub.isalnum():
        sub = "{" + sub + "}"
    return head + sep + sub


class _Builder:
    """Reads the equations one by one into a Model."""

    def __init__(self, text: str, shapes: Mapping[str, ShapeSpec], name: str,
                 index_base: int) -> None:
        if index_base not in (0, 1):
            raise ShapeError(f"index_base must be 0 or 1, not {index_base!r}")
        if not isinstance(shapes, Mapping):
            raise ShapeError("shapes maps names as written to shapes, e.g. {'x': 'n'}")
        self.base = index_base
        self.equations = _equations(text)
        if not self.equations:
            raise ParseError("no equations: write `name = formula`, one per line or "
                             r"separated by \\", position=0, construct="equations")
        self.model = Model(name)
        self.names: dict[str, _Name] = {}
        self.one_hot: list[_Name] = []
        for written, spec in shapes.items():
            if not isinstance(written, str):
                raise ShapeError(f"shapes maps names as written to shapes, not {written!r}")
            hot = next((w for w in _ONE_HOT if isinstance(spec, str)
                        and spec.strip().lower().startswith(w)), None)
            if hot:
                spec = spec.strip()[len(hot):].strip()
            try:
                shape = parse_shape(spec)
            except ShapeError as exc:
                raise ShapeError(f"the shape of {written}: {exc}") from None
            n = self._new(_spelling(written), shape, True)
            if hot:
                self.one_hot.append(n)
        self.sizes = sorted({s.name for n in self.names.values() for d in n.shape
                             for s in d.free_symbols})
        clash = [s for s in self.sizes if any(n.keys == _keys(s) for n in self.names.values())]
        if clash:
            raise ShapeError(f"{clash[0]} is both a size and a tensor; rename one of them")
        self.timed = self._find_time()
        self.sides = []
        for k, eq in enumerate(self.equations):
            if eq.equals < 0:
                raise ParseError(f"{self._site(k)}: write `name = formula`",
                                 position=eq.toks[0].pos, construct="equation")
            lhs, rhs = eq.lhs, eq.toks[eq.equals + 1:]
            if not lhs or not rhs:
                raise ParseError(f"{self._site(k)}: one side of `=` is empty",
                                 position=eq.toks[eq.equals].pos, construct="equation")
            n = self._lhs_name(k, eq, lhs, rhs)
            if n.eq is not None:
                raise ShapeError(f"{self._site(k)}: {n.written} is already defined by "
                                 f"equation {n.eq + 1}")
            n.eq = k
            self.sides.append((eq, n))
        for n in self.names.values():
            n.timed = self.timed and (n.eq is not None or self._read_at_time(n))

    def _site(self, k: int) -> str:
        return f"equation {k + 1} (`{self.equations[k].shown}`)"

    def _new(self, written: str, shape: tuple | None, declared: bool) -> _Name:
        internal, j = identifier(written), 1
        taken = {n.internal for n in self.names.values()}
        stem = internal
        while internal in taken:
            j += 1
            internal = f"{stem}{j}"
        n = _Name(written, internal, shape, declared, keys=_keys(written))
        self.names[written] = n
        return n

    def _find_time(self) -> bool:
        """Whether the model has time steps: a name read at ``[t]``, ``[t-1]``, or an
        equation's left side marked ``_t``, ``(t)``, ``^{(t)}`` while no subscript uses t
        as an index (``x_{t+k}``)."""
        subscript_t, lhs_marked = False, False
        for eq in self.equations:
            toks = eq.toks
            for j, t in enumerate(toks):
                if t.key == ("open", "[") and j and toks[j - 1].kind in ("name", "num", "cmd") \
                        and _time_suffix(toks, j, strict=False):
                    return True
                if t.key == ("sym", "_") and j + 1 < len(toks) and (
                        toks[j + 1].key == ("name", "t") or (
                        toks[j + 1].key == ("open", "{") and j + 2 < len(toks)
                        and any(u.key == ("name", "t") for u in toks[j + 2:j + 6]))):
                    subscript_t = subscript_t or not _time_suffix(toks, j, strict=True)
            lhs = eq.lhs
            end = _name_end(lhs, 0)
            for cut in range(1, len(lhs)):
                if _time_suffix(lhs, cut, strict=True) == len(lhs) and cut >= min(end, 1):
                    lhs_marked = True
        return lhs_marked and not subscript_t

    def _lhs_name(self, k: int, eq: _Equation, lhs: tuple, rhs: tuple) -> _Name:
        if self.timed:
            cut = next((c for c in range(1, len(lhs)) if _name_end(lhs[:c], 0) == c
                        and _time_suffix(lhs, c, strict=True) == len(lhs)), None)
            lhs = lhs if cut is None else lhs[:cut]
        keys = tuple(u.key for u in lhs)
        for n in sorted(self.names.values(), key=lambda n: -len(n.keys)):
            w = len(n.keys)
            if keys[:w] != n.keys:
                continue
            j = w
            if j < len(lhs) and lhs[j].key != ("sym", "_") or (
                    j + 1 < len(lhs) and lhs[j + 1].key != ("name", "t")):
                j = _time_suffix(lhs, j, strict=False) or j
            elif j < len(lhs):
                j = _time_suffix(lhs, j, strict=True) or j
            if j == len(lhs):
                return n
            if not n.shape:
                continue
            if lhs[j].key == ("open", "["):
                return n
            if lhs[j].key == ("sym", "_") and j + 1 < len(lhs):
                inner = lhs[j + 2:-1] if lhs[j + 1].key == ("open", "{") else lhs[j + 1:j + 2]
                letters = [u for u in inner if u.kind == "name"]
                if any(u.key == ("sym", ",") for u in inner) or len(letters) == len(n.shape):
                    return n
        end = _name_end(lhs, 0)
        if 0 < end < len(lhs) - 2 and lhs[end].key == ("open", "(") \
                and lhs[-1].key == ("close", ")") and all(
                u.kind == "name" or u.key == ("sym", ",") for u in lhs[end + 1:-1]):
            written = eq.text[slice(*_widen(eq.text, lhs[0].pos, lhs[-1].end))]
            n = self.names.get(written) or self._new(written, None, False)
            n.aliases = (eq.text[slice(*_widen(eq.text, lhs[0].pos, lhs[end - 1].end))],)
            return n
        if end < len(lhs):
            marked = _time_suffix(lhs, end, strict=False)
            if marked != len(lhs) and _name_end(lhs, 0) != len(lhs):
                raise ParseError(f"{self._site(k)}: the left side `{_key_text(keys)}` is not a "
                                 f"name such as c[t], or an element of a declared tensor such "
                                 f"as y_j", position=lhs[0].pos, construct="left side")
        head = eq.text[slice(*_widen(eq.text, lhs[0].pos, lhs[end - 1].end))]
        same = next((n for n in self.names.values() if n.keys == keys[:end]), None)
        if same is not None:
            return same
        indexed = self._indexed_lhs(eq, lhs[:end], rhs)
        if indexed is not None:
            stem, rank = indexed
            n = self.names.get(stem) or self._new(stem, None, False)
            n.rank = rank
            return n
        return self._new(head, None, False)

    def _indexed_lhs(self, eq: _Equation, head: tuple, rhs: tuple) -> tuple[str, int] | None:
        """``y_i``, ``y_{ij}`` with y undeclared and i, j indices of tensors on the right side
        (``x_i``, ``W_{ij}``): (``y``, rank), its shape to be inferred from them."""
        if len(head) < 3 or head[-2].key != ("sym", "_") and head[-1].key != ("close", "}"):
            return None
        at = next((j for j, u in enumerate(head) if u.key == ("sym", "_")), None)
        if at is None or at == 0:
            return None
        inner = head[at + 2:-1] if head[at + 1].key == ("open", "{") else head[at + 1:at + 2]
        letters = [u.text for u in inner if u.key != ("sym", ",")]
        if not letters or any(u.kind != "name" and u.key != ("sym", ",") for u in inner) \
                or any(len(x) != 1 for x in letters) or len(set(letters)) != len(letters):
            return None
        used: set[str] = set()
        for n in self.names.values():
            for j in _occurrences(rhs, n.keys):
                w = len(n.keys)
                if (j + 1 < len(rhs) and j - w > 0 and (rhs[j - w - 1].key, rhs[j].key) in (
                        (("open", "("), ("close", ")")), (("open", "{"), ("close", "}")))):
                    j += 1  # a name in parentheses or braces, (W_1)_{jk}, {W_1}_{jk}
                if j + 1 < len(rhs) and rhs[j].key == ("sym", "_"):
                    group = rhs[j + 2:] if rhs[j + 1].key == ("open", "{") else rhs[j + 1:j + 2]
                    for u in group:
                        if u.key == ("close", "}"):
                            break
                        if u.kind == "name":
                            used.add(u.text)
        if not set(letters) <= used:
            return None
        return eq.text[slice(*_widen(eq.text, head[0].pos, head[at - 1].end))], len(letters)

    def _read_at_time(self, n: _Name) -> bool:
        for eq, _ in self.sides:
            for j in _occurrences(eq.toks, n.keys):
                if _time_suffix(eq.toks, j, strict=eq.toks[j].key != ("open", "[")
                                if j < len(eq.toks) else True):
                    return True
        return False

    def _latex(self, n: _Name) -> str:
        return n.written + "[t]" if n.timed else n.written

    # building ------------------------------------------------------------------------
    def build(self) -> Model:
        for n in self.names.values():
            if n.eq is None:
                kind = "param" if self.timed and not n.timed else "input"
                self.model.input(n.internal, n.shape, self._latex(n), kind=kind)
        for n in self.one_hot:
            self.model.declare_one_hot(n.internal)
        for k, (eq, n) in enumerate(self.sides):
            self._equation(k, eq, n)
        return self.model

    def _declarations(self) -> Declarations:
        tensors = []
        for n in self.names.values():
            known = n.internal in self.model.tensors
            shape = (self.model.tensors[n.internal].shape if known
                     else n.shape or (1,) * max(n.rank, 1))
            spellings = (n.written, *n.aliases)
            aliases = spellings + tuple(w + "[t]" for w in spellings) if self.timed else spellings
            tensors.append(TensorDecl(n.internal, tuple(shape), aliases))
        return Declarations(tuple(tensors), scalars=tuple(self.sizes))

    def _at(self, text: str) -> int | None:
        """Position of the first token spelled ``text`` in the equation being read."""
        return next((u.pos for u in self.current.toks if u.text == text), None)

    def _equation(self, k: int, eq: _Equation, n: _Name) -> None:
        site = self._site(k)
        self.current = eq
        try:
            claims = parse_claim(eq.text, self._declarations())
        except UnknownNameError as exc:
            raise UnknownNameError(f"{site}: {self._unknown(eq, exc)}") from None
        except ParseError as exc:
            raise ParseError(f"{site}: {exc}", exc.position, exc.construct) from None
        if len(claims) != 1 or not isinstance(claims[0], FormulaClaim):
            raise ParseError(f"{site}: write one equation `name = formula`",
                             position=eq.toks[0].pos, construct="equation")
        ref, value = claims[0].lhs, claims[0].rhs
        value = _value_steps(value)
        if ref.of != n.internal or ref.wrt is not None:
            raise ParseError(f"{site}: the left side must name the quantity it defines",
                             position=eq.toks[0].pos, construct="left side")
        expr = self._resolve(value, k, site)
        lhs_idx = tuple(ref.of_indices)
        if any(not (isinstance(i, sp.Symbol) and i.is_integer) for i in lhs_idx):
            raise ShapeError(f"{site}: the left side's indices must be letters, got "
                             f"{', '.join(map(str, lhs_idx))}")
        expr, indices = self._rebase(expr, lhs_idx)
        expr = windows(expr, indices, n.shape, self._shape_of, self.base, site)
        self._check_sums(expr, indices, site)
        if indices and not n.declared and n.shape is None:
            for i, written in zip(indices, lhs_idx):
                reads = [j for e in expr.atoms(sp.Indexed) for j in e.indices if j.has(i)]
                if i in reads and any(j != i for j in reads):
                    raise ShapeError(f"{site}: declare the shape of {n.written}: its index "
                                     f"{written} also reads {_shifted(reads, i, written)}, so "
                                     f"the size of one axis is not the size of {n.written}")
        stray = sorted(s.name for s in expr.free_symbols
                       if s.is_integer and not s.is_positive and s not in indices)
        if stray:
            letter = stray[0].split("_")[0]
            hint = ""
            if ("name", letter) in [u.key for u in eq.lhs[1:]] and not n.declared:
                hint = (f"; to index {n.written} by {letter}, declare the shape of "
                        f"{n.written} in shapes=")
            raise ShapeError(f"{site}: the index {letter} is free on the right side but not "
                             f"on the left{hint}")
        ranges = {i: (sp.Integer(0), d - 1) for i, d in zip(indices, n.shape or ())}
        expr = self._lags(expr, ranges, site)
        star = any(u.key == ("sym", "*") and eq.toks[j - 1].key != ("sym", "^")
                   for j, u in enumerate(eq.toks) if j)
        self.model.equation(n.internal, expr, indices=indices if lhs_idx else None,
                            shape=n.shape, latex=self._latex(n), where=site, star=star)
        self.model.source[n.internal] = eq.shown
        n.shape = self.model.tensors[n.internal].shape

    def _shape_of(self, name: str) -> tuple | None:
        n = next((n for n in self.names.values() if n.internal == name), None)
        return n.shape if n is not None else None

    def _check_sums(self, expr: sp.Basic, lhs: tuple, site: str) -> None:
        """Refuse sums that a model would read silently wrong: bounds outside the axis their
        index runs over (`\\sum_{j=0}^{n-1} W_{ij} x_j` with 1-based indices reads W_{i,0}
        as 0 and drops x_n), bounds that depend on an index of the left side, products."""
        if expr.has(sp.Product):
            raise ParseError(f"{site}: a product \\prod is not read in a model's equations; "
                             f"write it with \\exp and \\log or name its factors",
                             position=self._at(r"\prod") or 0, construct="product")
        base = self.base
        for s in expr.atoms(sp.Sum):
            for v, lo, hi in s.limits:
                if {*lo.free_symbols, *hi.free_symbols} & set(lhs):
                    raise ShapeError(f"{site}: the bounds of the sum over "
                                     f"{v.name.split('_')[0]} depend on an index of the left "
                                     f"side; a model sums over whole axes")
                for e in s.function.atoms(sp.Indexed):
                    name = str(e.base.label)
                    try:
                        shape = self._by_internal(name).shape
                    except StopIteration:
                        continue
                    for axis, i in enumerate(e.indices):
                        if i != v or not shape or axis >= len(shape):
                            continue
                        top = shape[axis] - 1
                        if (lo.is_number and lo < 0) or sp.simplify(hi - top).is_positive:
                            w = v.name.split("_")[0]
                            raise ShapeError(
                                f"{site}: the sum over {w} runs from {lo + base} to "
                                f"{hi + base}, outside axis {axis + 1} of {name} "
                                f"({base}..{shape[axis] - 1 + base}): indices are "
                                f"{base}-based" + ("; pass index_base=0 for 0-based sums"
                                                   if base == 1 else ""))

    def _unknown(self, eq: _Equation, exc: UnknownNameError) -> str:
        pos = getattr(exc, "position", None)
        k = next((j for j, u in enumerate(eq.toks) if u.pos == pos), None)
        if k is None:
            return str(exc)
        end = max(_name_end(eq.toks, k), k + 1)
        spelled = eq.text[eq.toks[k].pos:eq.toks[end - 1].end]
        declared = ", ".join(n.written for n in self.names.values())
        return (f"`{spelled}` has no declared shape (at position {pos}): add it to shapes "
                f"or define it by an earlier equation (known: {declared}; sizes: "
                f"{', '.join(self.sizes)})")

    # names, time and indices -----------------------------------------------------------
    def _by_internal(self, name: str) -> _Name:
        return next(n for n in self.names.values() if n.internal == name)

    def _current(self, name: str, k: int, site: str) -> None:
        n = next((n for n in self.names.values() if n.internal == name), None)
        if n is None or n.eq is None:
            return
        now = n.written + ("[t]" if self.timed else "")
        if n.eq == k:
            raise UnknownNameError(f"{site}: {now} is used in its own definition"
                                   + (f"; write {n.written}[t-1] for the previous step"
                                      if self.timed else ""))
        if n.eq > k:
            raise UnknownNameError(f"{site}: {now} is used before it is defined (by equation "
                                   f"{n.eq + 1}); reorder the equations")

    def _resolve(self, e: sp.Basic, k: int, site: str) -> sp.Basic:
        if isinstance(e, AtTime):
            base, tau = e.args
            name = base.name
            if _T not in tau.free_symbols:
                raise ShapeError(f"{site}: in {self._by_internal(name).written}[{tau}] brackets "
                                 f"mean a time step; write the index as a subscript")
            lag = sp.expand(_T - tau)
            if lag == 0:
                self._current(name, k, site)
                return sp.Symbol(name, commutative=False)
            if lag.is_number and not (lag.is_Integer and lag > 0):
                raise ShapeError(f"{site}: {self._by_internal(name).written}[{tau}] is not an "
                                 f"earlier step")
            return _Lag(sp.Symbol(name, commutative=False), lag)
        if isinstance(e, At):
            return At(self._resolve(e.args[0], k, site), *e.args[1:])
        if isinstance(e, sp.Indexed):
            self._current(str(e.base.label), k, site)
            return e
        if isinstance(e, sp.Symbol):
            if e == IDENTITY:
                raise ParseError(f"{site}: the identity I is not read in a model's equations; "
                                 f"write the tensor it multiplies", position=self._at(_INDICATOR),
                                 construct="identity")
            if e == ONES:
                raise ParseError(f"{site}: the ones vector \\mathbf{{1}} is read in a model as "
                                 f"a sum (\\mathbf{{1}}^\\top x, x^\\top \\mathbf{{1}}) or as the "
                                 f"scalar 1 broadcast; write other products with an index, e.g. "
                                 f"\\sum_j W_{{ij}}", position=self._at(_INDICATOR),
                                 construct="ones vector")
            if e.name == "...":
                raise ParseError(f"{site}: write the general term, not an ellipsis",
                                 position=0, construct="ellipsis")
            if not e.is_commutative:
                self._current(e.name, k, site)
            return e
        if isinstance(e, (Stack, VStack)):
            return self._concat(e, k, site)
        if isinstance(e, Kron):
            raise ParseError(f"{site}: the Kronecker product \\otimes of matrices is not read in a "
                             f"model's equations; write it with indices",
                             position=self._at(r"\otimes"), construct="Kronecker product")
        if not e.args:
            return e
        return e.func(*[self._resolve(a, k, site) for a in e.args])

    def _concat(self, e: Stack | VStack, k: int, site: str) -> sp.Symbol:
        """``[h[t-1], x[t]]``: the column vectors stacked into one named tensor."""
        parts = []
        for arg in e.args:
            part, _ = self._rebase(self._resolve(arg, k, site), ())
            parts.append(self._lags(part, {}, site))
        text = r"\left[" + ", ".join(self.model._latex_of(p) for p in parts) + r"\right]"
        t = self.model.concat(self.model._fresh_name("concat"), parts, latex=text, where=site)
        return sp.Symbol(t.name, commutative=False)

    def _rebase(self, e: sp.Basic, lhs_idx: tuple) -> tuple[sp.Basic, tuple]:
        """Indices from the written base to 0-based, as fresh model indices."""
        fresh = tuple(self.model.fresh_index(i.name) for i in lhs_idx)
        e = self._shift(e.xreplace({IMPLIED_BASE: self.base}))
        e = e.xreplace({i: f + self.base for i, f in zip(lhs_idx, fresh)})
        return e, fresh

    def _shift(self, e: sp.Basic) -> sp.Basic:
        b = self.base
        if isinstance(e, sp.Indexed):
            return sp.Indexed(e.base, *[i - b for i in e.indices])
        if isinstance(e, At):
            return At(self._shift(e.args[0]), *[i - b for i in e.args[1:]])
        if isinstance(e, sp.Sum | Extremum):
            body = self._shift(e.function)
            subs, limits = {}, []
            for v, lo, hi in e.limits:
                nv = self.model.fresh_index(v.name)
                subs[v] = nv + b
                limits.append((nv, lo - b, hi - b))
            return type(e)(body.xreplace(subs), *[(v, lo.xreplace(subs), hi.xreplace(subs))
                                                  for v, lo, hi in limits])
        if not e.args:
            return e
        return e.func(*[self._shift(a) for a in e.args])

    def _lags(self, e: sp.Basic, ranges: dict, site: str) -> sp.Basic:
        if isinstance(e, _Lag):
            return self._lagged(e.args[0].name, e.args[1], ranges, site)
        if isinstance(e, sp.Sum):
            inner = dict(ranges)
            inner.update({v: (lo, hi) for v, lo, hi in e.limits})
            return sp.Sum(self._lags(e.function, inner, site), *e.limits)
        if not e.args:
            return e
        return e.func(*[self._lags(a, ranges, site) for a in e.args])

    def _lagged(self, name: str, lag: sp.Expr, ranges: dict, site: str) -> sp.Expr:
        n = self._by_internal(name)
        kind = "state" if n.eq is not None else "input"
        shape = None
        if n.internal not in self.model.tensors:
            if n.shape is None:
                raise ShapeError(f"{site}: {n.written}[t-{lag}] is read before the shape of "
                                 f"{n.written} is known; declare {n.written} in shapes")
            shape = n.shape
        if lag.is_Integer:
            t = self.model.lagged(n.internal, int(lag), shape, latex=f"{n.written}[t-{lag}]",
                                  kind=kind)
            return sp.Symbol(t.name, commutative=False)
        bounds = linear_bounds(lag, ranges)
        if bounds is None or not (bounds[0] - 1).is_nonnegative:
            raise ShapeError(f"{site}: {n.written}[t-({lag})] must go back at least one step "
                             f"over the whole range of its index")
        t = self.model.lagged(n.internal, None, shape, rows=bounds[1],
                              latex=n.written + r"_{\mathrm{past}}", kind=kind)
        if not sp.simplify(t.shape[0] - bounds[1]) == 0:
            raise ShapeError(f"{site}: {n.written} is read back {bounds[1]} steps here and "
                             f"{t.shape[0]} elsewhere ({dims_text(t.shape)})")
        return sp.Indexed(sp.IndexedBase(t.name, commutative=False), lag - 1)


def _shifted(reads: list, i: sp.Symbol, written: sp.Symbol) -> str:
    j = next(j for j in reads if j != i)
    return f"position {sp.sstr(j.xreplace({i: written}))}"


def _step(cond: sp.Basic) -> sp.Expr | None:
    """A condition on entries (`z_i > 0`, `a_i \\le b_i`, and of those) as a product of
    indicators 1[d > 0]; None when it is not one (an index condition, an equality)."""
    if isinstance(cond, sp.And):
        parts = [_step(c) for c in cond.args]
        return None if any(p is None for p in parts) else sp.Mul(*parts)
    if not isinstance(cond, sp.core.relational.Relational) or not cond.has(sp.Indexed):
        return None
    d = cond.lhs - cond.rhs
    if isinstance(cond, sp.StrictGreaterThan):
        return Indicator(d)
    if isinstance(cond, sp.StrictLessThan):
        return Indicator(-d)
    if isinstance(cond, sp.GreaterThan):
        return 1 - Indicator(-d)
    if isinstance(cond, sp.LessThan):
        return 1 - Indicator(d)
    return None


def _value_steps(e: sp.Expr) -> sp.Expr:
    """Conditions on entries in a model's equation (`[z_i > 0]`, a `cases` on z_i > 0) as
    steps, which the chain rule differentiates like ReLU' (0 almost everywhere): a
    Piecewise on entries inside a sum loses its binding when SymPy folds it out."""
    def iverson(c):
        step = _step(c)
        return sp.Piecewise((1, c), (0, True)) if step is None else step

    def piecewise(*pairs):
        if len(pairs) == 2 and pairs[1][1] is sp.true:
            step = _step(pairs[0][1])
            if step is not None:
                (a, _), (b, _) = pairs
                return b + (a - b) * step
        return sp.Piecewise(*pairs)
    e = e.replace(Iverson, iverson)
    e = e.replace(sp.Abs, lambda a: sp.Max(a, -a))  # |x_i|: SymPy's d|x|/dx stays unevaluated
    e = e.replace(sp.Piecewise, lambda *args: piecewise(*(tuple(a) for a in args)))
    return _bound_conditions(e, frozenset())


def _index_step(cond: sp.Basic) -> sp.Expr | None:
    """A condition on indices (`l \\le i`, `j = 2i + k`) as unit steps and Kronecker deltas."""
    if isinstance(cond, sp.And):
        parts = [_index_step(c) for c in cond.args]
        return None if any(p is None for p in parts) else sp.Mul(*parts)
    if not isinstance(cond, sp.core.relational.Relational) or cond.has(sp.Indexed):
        return None
    d = cond.lhs - cond.rhs
    if isinstance(cond, sp.Eq):
        return sp.KroneckerDelta(cond.lhs, cond.rhs)
    if isinstance(cond, sp.Ne):
        return 1 - sp.KroneckerDelta(cond.lhs, cond.rhs)
    half = sp.Rational(1, 2)  # indices are integers: the step's argument is never 0
    steps = {sp.StrictGreaterThan: d - half, sp.GreaterThan: d + half,
             sp.StrictLessThan: -d - half, sp.LessThan: half - d}
    arg = steps.get(type(cond))
    return None if arg is None else sp.Heaviside(arg)


def _bound_conditions(e: sp.Basic, bound: frozenset) -> sp.Basic:
    """A condition on a summation index inside its sum (`\\sum_l [l \\le i] e^{S_{il}}`, a
    causal mask) as steps: SymPy folds a Piecewise out of the sum when the chain rule
    rebuilds it, and the index it reads is then free (evaluate crashed)."""
    if isinstance(e, sp.Sum):
        inner = bound | {v for v, *_ in e.limits}
        return sp.Sum(_bound_conditions(e.function, inner), *e.limits)
    if isinstance(e, sp.Piecewise) and bound and len(e.args) == 2 \
            and e.args[1].cond is sp.true and e.args[0].cond.free_symbols & bound:
        step = _index_step(e.args[0].cond)
        if step is not None:
            a, b = (_bound_conditions(x.expr, bound) for x in e.args)
            return b + (a - b) * step
    if not e.args or isinstance(e, (sp.Indexed, sp.Symbol)):
        return e
    args = [_bound_conditions(a, bound) for a in e.args]
    return e if all(x is y for x, y in zip(args, e.args)) else e.func(*args)


def time_key(text: str) -> str:
    """A name as written, its time mark as brackets: ``h_t``, ``h_{t-1}``, ``h(t-1)``,
    ``h^{(t-1)}`` -> ``h[t]``, ``h[t-1]``; other names come back without spaces. Read with
    the same tokens and time marks as claims and equations (the key of Model.jacobian)."""
    plain = "".join(text.split()) if isinstance(text, str) else text
    if isinstance(text, str):  # a key with its spaces taken out: `a^{\\langlet\\rangle}`
        text = re.sub(r"\\langle(?=[A-Za-z])", r"\\langle ", text)
    try:
        toks = _tokens(text)[0]
    except SymgradError:
        return plain
    end = next((c for c in range(1, len(toks)) if _name_end(toks[:c], 0) == c
                and toks[c].key != ("open", "[")
                and _time_suffix(toks, c, strict=True) == len(toks)), None)
    if end is None:
        return plain
    inner = [u for u in toks[end:] if u.kind in ("name", "num") or u.key in (
        ("sym", "+"), ("sym", "-"))]
    head = text[slice(*_widen(text, toks[0].pos, toks[end - 1].end))]
    return "".join(head.split()) + "[" + "".join(u.text for u in inner) + "]"


def model_from_latex(text: str, shapes: Mapping[str, ShapeSpec], name: str = "model",
                     index_base: int = 1) -> Model:
    r"""A Model from equations in homework LaTeX (see the module docstring).

    Errors name the equation (number and text) and the symbol at fault: ``ShapeError``
    for sizes that do not fit, ``UnknownNameError`` for undeclared names and states
    used before they are defined, ``ParseError`` for LaTeX that cannot be read.
    """
    return _Builder(text, shapes, name, index_base).build()
