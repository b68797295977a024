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
from symgrad.core.ops import At, AtTime, Stack
from symgrad.core.shapes import ShapeSpec, dims_text, parse_shape
from symgrad.core.simplify import linear_bounds

from .claims import FormulaClaim, parse_claim
from .expressions import parse_expression
from .names import Declarations, TensorDecl

__all__ = ["model_from_latex", "split_equations"]

_ENVS = ("align", "align*", "aligned", "gather", "gather*", "gathered", "equation",
         "equation*", "split", "eqnarray", "eqnarray*", "multline", "multline*")
_NEW_NAME = re.compile(r"(\\[A-Za-z]+\{[^{}]*\}|\\[A-Za-z]+|[A-Za-z]+)(_\{[^{}]*\}|_[A-Za-z0-9])?")
_T = sp.Symbol("t", integer=True)


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


def _strip_comments(text: str) -> str:
    return re.sub(r"(?<!\\)%[^\n]*", "", text)


def split_equations(text: str) -> list[str]:
    r"""The equations of a system: split on ``\\`` and new lines outside braces and
    environments (a piece without ``=`` continues the previous one)."""
    if not isinstance(text, str):
        raise ParseError("the equations must be a string of LaTeX", position=0,
                         construct="input")
    text = _strip_comments(text)
    for env in _ENVS:
        text = text.replace(r"\begin{%s}" % env, "\n").replace(r"\end{%s}" % env, "\n")
    pieces, depth, envs, start, k = [], 0, 0, 0, 0
    while k < len(text):
        ch = text[k]
        if ch == "\\" and text.startswith(("\\begin{", "\\end{"), k):
            envs += 1 if text.startswith("\\begin{", k) else -1
        if ch == "\\" and k + 1 < len(text) and text[k + 1] == "\\":
            if depth == 0 and envs == 0:
                pieces.append(text[start:k])
                start = k + 2
            k += 2
            continue
        if ch == "\\" and k + 1 < len(text):
            k += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == "\n" and depth == 0 and envs == 0:
            pieces.append(text[start:k])
            start = k + 1
        k += 1
    pieces.append(text[start:])
    out: list[str] = []
    for p in pieces:
        p = p.replace("&", " ").strip().rstrip(",.;").strip()
        p = re.sub(r"^(\\quad|\\qquad)\s*|\s*(\\quad|\\qquad)$", "", p).strip()
        if not p:
            continue
        if out and _equals(p) is None:
            out[-1] = out[-1] + " " + p
        else:
            out.append(p)
    return out


def _mate(text: str, k: int) -> int:
    """Index of the bracket closing the one at ``k`` (or -1)."""
    depth = 0
    for j in range(k, len(text)):
        depth += {"(": 1, "{": 1, ")": -1, "}": -1}.get(text[j], 0)
        if depth == 0:
            return j
    return -1


def _relu_max(text: str) -> str:
    r"""``\max(0, z)`` and ``\max(z, 0)`` -> ``\mathrm{ReLU}(z)`` (the parser has no max)."""
    out, k = [], 0
    for m in re.finditer(r"\\max\s*(?:\\left)?\s*\(", text):
        if m.start() < k:
            continue
        close = _mate(text, m.end() - 1)
        inner = re.sub(r"\\right\s*$", "", text[m.end():close] if close > 0 else "")
        parts, depth, last = [], 0, 0
        for j, ch in enumerate(inner):
            depth += {"(": 1, "{": 1, "[": 1, ")": -1, "}": -1, "]": -1}.get(ch, 0)
            if ch == "," and depth == 0:
                parts.append(inner[last:j])
                last = j + 1
        parts.append(inner[last:])
        zero = [p.strip() in ("0", "0.0") for p in parts]
        if len(parts) != 2 or sum(zero) != 1:
            continue
        arg = parts[1] if zero[0] else parts[0]
        out.append(text[k:m.start()] + r"\mathrm{ReLU}(" + arg + ")")
        k = close + 1
    return "".join(out) + text[k:]


def _time_subscripts(text: str, names: list[str]) -> str:
    """``h_t``, ``h_{t-1}``, ``h^{(t-1)}`` -> ``h[t]``, ``h[t-1]`` for the given names, when
    the text has no ``[t`` of its own and no summation over t."""
    if re.search(r"\[\s*t\s*[\]+-]", text) or re.search(r"_\{\s*t\s*=", text):
        return text
    for name in sorted(set(names), key=len, reverse=True):
        pat = (r"(?<![A-Za-z\\])(" + re.escape(name)
               + r")(?:_\{\s*t\s*(?:([-+])\s*(\d+|[A-Za-z]))?\s*\}|_t(?![A-Za-z0-9])"
               r"|\^\s*\{\s*\(\s*t\s*(?:([-+])\s*(\d+|[A-Za-z]))?\s*\)\s*\})")
        text = re.sub(pat, lambda m: m.group(1) + "[t" + (m.group(2) or m.group(4) or "")
                      + (m.group(3) or m.group(5) or "") + "]", text)
    return text


_GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta",
          "vartheta", "iota", "kappa", "lambda", "mu", "nu", "xi", "rho", "sigma", "tau",
          "upsilon", "phi", "varphi", "chi", "psi", "omega", "Gamma", "Delta", "Theta",
          "Lambda", "Xi", "Sigma", "Phi", "Psi", "Omega", "Pi"}
_DECORATED = (r"\\(?:mathbf|boldsymbol|bm|vec|hat|tilde|bar|overline|mathrm|mathit|mathsf|"
              r"mathcal)\s*\{\s*")


def _occurs(name: str, text: str) -> bool:
    """``name`` as written appears in ``text`` (not as part of a longer name)."""
    pat = r"(?<![A-Za-z\\{])" + re.escape(name) + r"(?![A-Za-z}])"
    if name.startswith("\\"):
        pat = re.escape(name) + r"(?![A-Za-z])"
    return re.search(pat, text) is not None


def _spelled(key: str, text: str) -> str:
    r"""The spelling in ``text`` of a ``shapes`` key: ``alpha`` -> ``\alpha``, ``W`` ->
    ``\mathbf{W}``, ``\mathbf{W}`` -> ``W`` (when the key itself does not occur)."""
    if not isinstance(key, str) or _occurs(key, text):
        return key
    bare = re.sub(_DECORATED + r"([^{}]*?)\s*\}", r"\1", key).lstrip("\\")
    head, _, sub = bare.partition("_")
    tail = (r"\s*_\s*(?:\{\s*" + re.escape(sub) + r"\s*\}|" + re.escape(sub) + ")"
            if sub else "")
    pats = [r"(?<![A-Za-z\\{])" + re.escape(head) + tail + r"(?![A-Za-z}])",
            _DECORATED + r"\\?" + re.escape(head) + r"\s*\}" + tail + r"(?![A-Za-z])"]
    if head in _GREEK:
        pats.append(r"\\" + re.escape(head) + tail + r"(?![A-Za-z])")
    found = {}
    for p in pats:
        for m in re.finditer(p, text):
            found.setdefault(_norm(m.group()), m.group())
    return next(iter(found.values())) if len(found) == 1 else key


def _split_top(inner: str) -> list[str]:
    parts, depth, last = [], 0, 0
    for j, ch in enumerate(inner):
        depth += {"(": 1, "{": 1, "[": 1, ")": -1, "}": -1, "]": -1}.get(ch, 0)
        if ch in ",;" and depth == 0:
            parts.append(inner[last:j])
            last = j + 1
    parts.append(inner[last:])
    return [p.strip() for p in parts]


def _concatenations(rhs: str, written: list[str]) -> tuple[str, list[tuple[str, list[str]]]]:
    """``[h[t-1], x[t]]`` -> a placeholder word; returns the text and (word, parts) pairs."""
    found: list[tuple[str, list[str]]] = []
    names = [re.compile(r"(?<![A-Za-z\\])" + re.escape(w) + r"(?![A-Za-z])") for w in written]
    k = 0
    while (k := rhs.find("[", k)) >= 0:
        depth = 0
        for j in range(k, len(rhs)):
            depth += {"[": 1, "]": -1}.get(rhs[j], 0)
            if depth == 0:
                break
        else:
            return rhs, found
        parts = _split_top(rhs[k + 1:j])
        if len(parts) > 1 and all(any(n.search(p) for n in names) for p in parts):
            word = r"\mathit{concat" + "ABCDEFGHIJ"[len(found) % 10] * (1 + len(found) // 10) + "}"
            found.append((word, parts))
            rhs = rhs[:k] + " " + word + " " + rhs[j + 1:]
        k += 1
    return rhs, found


def _equals(eq: str) -> int | None:
    """Position of the first ``=`` outside braces and brackets."""
    depth = 0
    for k, ch in enumerate(eq):
        if ch in "{([":
            depth += 1
        elif ch in "})]":
            depth -= 1
        elif ch == "=" and depth == 0 and (k == 0 or eq[k - 1] not in "<>!\\"):
            return k
    return None


def _norm(text: str) -> str:
    return re.sub(r"_\{(\w)\}", r"_\1", re.sub(r"\s+", "", text))


class _Builder:
    """Reads the equations one by one into a Model."""

    def __init__(self, text: str, shapes: Mapping[str, ShapeSpec], name: str,
                 index_base: int) -> None:
        if index_base not in (0, 1):
            raise ShapeError(f"index_base must be 0 or 1, not {index_base!r}")
        if not isinstance(shapes, Mapping):
            raise ShapeError("shapes maps names as written to shapes, e.g. {'x': 'n'}")
        self.base = index_base
        if not isinstance(text, str):
            raise ParseError("the equations must be a string of LaTeX", position=0,
                             construct="input")
        heads = re.findall(r"(?:^|\n|\\\\)\s*(\\[A-Za-z]+\{[^{}]*\}|\\[A-Za-z]+|[A-Za-z]+)"
                           r"(?:_|\^\s*\{\s*\()", text)
        renamed: dict = {}
        for key, spec in shapes.items():
            spelled = _spelled(key, _strip_comments(text))
            renamed[key if spelled in renamed or spelled in shapes else spelled] = spec
        shapes = renamed
        plain = [w for w in shapes if "_" not in w]
        text = _time_subscripts(_relu_max(text), plain + heads)
        self.equations = split_equations(text)
        if not self.equations:
            raise ParseError("no equations: write `name = formula`, one per line or "
                             r"separated by \\", position=0, construct="equations")
        self.timed = bool(re.search(r"\[\s*t\s*(?:[-+][^\]]*)?\]", _strip_comments(text)))
        self.model = Model(name)
        self.names: dict[str, _Name] = {}
        for written, spec in shapes.items():
            try:
                shape = parse_shape(spec)
            except ShapeError as exc:
                raise ShapeError(f"the shape of {written}: {exc}") from None
            self._new(written, shape, True)
        self.sizes = sorted({s.name for n in self.names.values() for d in n.shape
                             for s in d.free_symbols})
        clash = [s for s in self.sizes if any(_norm(n.written) == s for n in self.names.values())]
        if clash:
            raise ShapeError(f"{clash[0]} is both a size and a tensor; rename one of them")
        self.sides = []
        for k, eq in enumerate(self.equations):
            at = _equals(eq)
            if at is None:
                raise ParseError(f"{self._site(k)}: write `name = formula`", position=0,
                                 construct="equation")
            lhs, rhs = eq[:at].rstrip().rstrip(":"), eq[at + 1:]
            if not lhs.strip() or not rhs.strip():
                raise ParseError(f"{self._site(k)}: one side of `=` is empty", position=at,
                                 construct="equation")
            n = self._lhs_name(lhs, k, rhs)
            if n.eq is not None:
                raise ShapeError(f"{self._site(k)}: {n.written} is already defined by "
                                 f"equation {n.eq + 1}")
            n.eq = k
            self.sides.append((lhs.strip(), rhs.strip(), n))
        for n in self.names.values():
            n.timed = self.timed and (n.eq is not None or self._read_at_time(n.written, text))

    def _site(self, k: int) -> str:
        return f"equation {k + 1} (`{self.equations[k]}`)"

    def _new(self, written: str, shape: tuple | None, declared: bool) -> _Name:
        internal, j = identifier(written), 1
        taken = {n.internal for n in self.names.values()}
        stem = internal
        while internal in taken:
            j += 1
            internal = f"{stem}{j}"
        n = _Name(written, internal, shape, declared)
        self.names[written] = n
        return n

    def _lhs_name(self, lhs: str, k: int, rhs: str = "") -> _Name:
        norm = _norm(lhs)
        for n in sorted(self.names.values(), key=lambda n: -len(_norm(n.written))):
            w = _norm(n.written)
            if norm in (w, w + "[t]"):
                return n
            rest = norm[len(w):]
            if norm.startswith(w) and rest[:1] in ("_", "[") and n.shape:
                sub = re.sub(r"^\[t\]", "", rest)
                inner = sub[2:-1] if sub.startswith("_{") else sub[1:]
                letters = re.findall(r"[A-Za-z]", inner)
                if sub.startswith("[") or "," in inner or len(letters) == len(n.shape):
                    return n
        head = re.sub(r"\[t\]$", "", norm)
        if not _NEW_NAME.fullmatch(head):
            raise ParseError(f"{self._site(k)}: the left side `{lhs.strip()}` is not a name "
                             f"such as c[t], or an element of a declared tensor such as y_j",
                             position=0, construct="left side")
        if head in self.names:
            return self.names[head]
        indexed = self._indexed_lhs(head, rhs)
        if indexed is not None:
            stem, rank = indexed
            n = self.names.get(stem) or self._new(stem, None, False)
            n.rank = rank
            return n
        return self._new(head, None, False)

    def _indexed_lhs(self, head: str, rhs: str) -> tuple[str, int] | None:
        """``y_i``, ``y_{ij}`` with y undeclared and i, j indices of tensors on the right side
        (``x_i``, ``W_{ij}``): (``y``, rank), its shape to be inferred from them."""
        m = re.fullmatch(r"(.+?)_(?:\{([A-Za-z](?:,?[A-Za-z])*)\}|([A-Za-z]))", head)
        if m is None or not _NEW_NAME.fullmatch(m.group(1)) or "_" in m.group(1):
            return None
        letters = re.findall(r"[A-Za-z]", m.group(2) or m.group(3))
        known = {_norm(w) for w in self.names}
        used: set[str] = set()
        for r in re.finditer(r"(\\[A-Za-z]+\{[^{}]*\}|\\[A-Za-z]+|[A-Za-z]+)\s*_\s*"
                             r"(\{[^{}]*\}|[A-Za-z0-9])", rhs):
            if _norm(r.group(1)) in known and _norm(r.group()) not in known:
                used.update(re.findall(r"[A-Za-z]", r.group(2)))
        if len(set(letters)) != len(letters) or not set(letters) <= used:
            return None
        return m.group(1), len(letters)

    def _read_at_time(self, written: str, text: str) -> bool:
        pat = (r"(?<![A-Za-z\\_])" + re.escape(written)
               + r"\s*(?:_\{[^{}]*\}|_[A-Za-z0-9])?\s*\[\s*t\b")
        return re.search(pat, _strip_comments(text)) is not None

    def _latex(self, n: _Name) -> str:
        return n.written + "[t]" if n.timed else n.written

    # building ------------------------------------------------------------------------
    def build(self) -> Model:
        for n in self.names.values():
            if n.eq is None:
                kind = "param" if self.timed and not n.timed else "input"
                self.model.input(n.internal, n.shape, self._latex(n), kind=kind)
        for k, (lhs, rhs, n) in enumerate(self.sides):
            self._equation(k, lhs, rhs, n)
        return self.model

    def _declarations(self, extra: tuple = ()) -> Declarations:
        tensors = list(extra)
        for n in self.names.values():
            known = n.internal in self.model.tensors
            shape = (self.model.tensors[n.internal].shape if known
                     else n.shape or (1,) * max(n.rank, 1))
            aliases = (n.written, n.written + "[t]") if self.timed else (n.written,)
            tensors.append(TensorDecl(n.internal, tuple(shape), aliases))
        return Declarations(tuple(tensors), scalars=tuple(self.sizes))

    def _sum_bounds(self, rhs: str) -> str:
        r"""``\sum_j`` without bounds -> ``\sum_{j=1}^{n}``, n the size of the axis that j
        indexes in a tensor on the right side (``W_{ij}``, ``x_j``)."""
        def bounds(m: re.Match) -> str:
            j = m.group(1) or m.group(2)
            for r in re.finditer(r"(\\[A-Za-z]+\{[^{}]*\}|\\[A-Za-z]+|[A-Za-z]+)\s*_\s*"
                                 r"(?:\{([A-Za-z](?:,?[A-Za-z])*)\}|([A-Za-z]))", rhs):
                letters = re.findall(r"[A-Za-z]", r.group(2) or r.group(3))
                name = next((v for w, v in self.names.items() if _norm(w) == _norm(r.group(1))),
                            None)
                known = name is not None and name.internal in self.model.tensors
                shape = self.model.tensors[name.internal].shape if known else (
                    name.shape if name is not None else None)
                if shape and j in letters and len(letters) == len(shape):
                    d = shape[letters.index(j)]
                    hi = sp.latex(d if self.base else d - 1)
                    return r"\sum_{%s=%d}^{%s}" % (j, self.base, hi)
            return m.group()
        return re.sub(r"\\sum\s*_\s*(?:\{\s*([A-Za-z])\s*\}|([A-Za-z]))(?!\s*\^)", bounds, rhs)

    def _equation(self, k: int, lhs: str, rhs: str, n: _Name) -> None:
        site = self._site(k)
        rhs = self._sum_bounds(rhs)
        rhs, stacks = _concatenations(rhs, [n.written for n in self.names.values()])
        words = tuple(TensorDecl(f"concat_{j}", (1,), (w,)) for j, (w, _) in enumerate(stacks))
        text = f"{lhs} = {rhs}"
        try:
            claims = parse_claim(text, self._declarations(words))
        except UnknownNameError as exc:
            raise UnknownNameError(f"{site}: {self._unknown(text, exc)}") from None
        except ParseError as exc:
            raise ParseError(f"{site}: {exc}", exc.position, exc.construct) from None
        if len(claims) != 1 or not isinstance(claims[0], FormulaClaim):
            raise ParseError(f"{site}: write one equation `name = formula`", position=0,
                             construct="equation")
        ref, value = claims[0].lhs, claims[0].rhs
        if ref.of != n.internal or ref.wrt is not None:
            raise ParseError(f"{site}: the left side must name the quantity it defines",
                             position=0, construct="left side")
        expr = self._resolve(value, k, site)
        lhs_idx = tuple(ref.of_indices)
        if any(not (isinstance(i, sp.Symbol) and i.is_integer) for i in lhs_idx):
            raise ShapeError(f"{site}: the left side's indices must be letters, got "
                             f"{', '.join(map(str, lhs_idx))}")
        expr, indices = self._rebase(expr, lhs_idx)
        stray = sorted(s.name for s in expr.free_symbols
                       if s.is_integer and not s.is_positive and s not in indices)
        if stray:
            letter = stray[0].split("_")[0]
            hint = ""
            if re.search(r"_\s*\{?[^=]*" + letter, lhs) and not n.declared:
                hint = (f"; to index {n.written} by {letter}, declare the shape of "
                        f"{re.split(r'_', n.written)[0]} in shapes=")
            raise ShapeError(f"{site}: the index {letter} is free on the right side but not "
                             f"on the left{hint}")
        ranges = {i: (sp.Integer(0), d - 1) for i, d in zip(indices, n.shape or ())}
        expr = self._lags(expr, ranges, site)
        if stacks:
            expr = expr.xreplace(self._stack(stacks, words, k, site))
        star = "*" in re.sub(r"\^\s*\{?\s*\*|\\operatorname\s*\*", "", rhs)
        self.model.equation(n.internal, expr, indices=indices if lhs_idx else None,
                            shape=n.shape, latex=self._latex(n), where=site, star=star)
        self.model.source[n.internal] = self.equations[k]
        n.shape = self.model.tensors[n.internal].shape

    def _stack(self, stacks: list, words: tuple, k: int, site: str) -> dict:
        """Define each concatenation ``[a, b]`` of the equation; placeholder -> tensor."""
        subs = {}
        for (_, parts), decl in zip(stacks, words):
            exprs = []
            for part in parts:
                try:
                    e = parse_expression(part, self._declarations(words))
                except UnknownNameError as exc:
                    raise UnknownNameError(f"{site}: {self._unknown(part, exc)}") from None
                except ParseError as exc:
                    raise ParseError(f"{site}: in `{part}`: {exc}", exc.position,
                                     exc.construct) from None
                e, _ = self._rebase(self._resolve(e, k, site), ())
                exprs.append(self._lags(e, {}, site))
            name = self.model._fresh_name("concat")
            text = r"\left[" + ", ".join(parts) + r"\right]"
            t = self.model.concat(name, exprs, latex=text, where=site)
            subs[sp.Symbol(decl.name, commutative=False)] = sp.Symbol(t.name, commutative=False)
        return subs

    def _unknown(self, text: str, exc: SymgradError) -> str:
        m = re.search(r"at position (\d+)", str(exc))
        if m is None:
            return str(exc)
        pos = int(m.group(1))
        sym = re.match(r"\\?[A-Za-z]+(?:\{[^{}]*\})?(?:_\{[^{}]*\}|_[A-Za-z0-9])?", text[pos:])
        spelled = sym.group() if sym else text[pos:pos + 1]
        declared = ", ".join(n.written for n in self.names.values())
        return (f"`{spelled}` has no declared shape: add it to shapes or define it by an "
                f"earlier equation (known: {declared}; sizes: {', '.join(self.sizes)})")

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
            if e.name == "...":
                raise ParseError(f"{site}: write the general term, not an ellipsis",
                                 position=0, construct="ellipsis")
            if not e.is_commutative:
                self._current(e.name, k, site)
            return e
        if isinstance(e, Stack):
            raise ParseError(f"{site}: vector literals [a, b, ...] are not supported",
                             position=0, construct="vector literal")
        if not e.args:
            return e
        return e.func(*[self._resolve(a, k, site) for a in e.args])

    def _rebase(self, e: sp.Basic, lhs_idx: tuple) -> tuple[sp.Basic, tuple]:
        """Indices from the written base to 0-based, as fresh model indices."""
        fresh = tuple(self.model.fresh_index(i.name) for i in lhs_idx)
        e = self._shift(e)
        e = e.xreplace({i: f + self.base for i, f in zip(lhs_idx, fresh)})
        return e, fresh

    def _shift(self, e: sp.Basic) -> sp.Basic:
        b = self.base
        if isinstance(e, sp.Indexed):
            return sp.Indexed(e.base, *[i - b for i in e.indices])
        if isinstance(e, At):
            return At(self._shift(e.args[0]), *[i - b for i in e.args[1:]])
        if isinstance(e, sp.Sum):
            body = self._shift(e.function)
            subs, limits = {}, []
            for v, lo, hi in e.limits:
                nv = self.model.fresh_index(v.name)
                subs[v] = nv + b
                limits.append((nv, lo - b, hi - b))
            return sp.Sum(body.xreplace(subs), *[(v, lo.xreplace(subs), hi.xreplace(subs))
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


def model_from_latex(text: str, shapes: Mapping[str, ShapeSpec], name: str = "model",
                     index_base: int = 1) -> Model:
    r"""A Model from equations in homework LaTeX (see the module docstring).

    Errors name the equation (number and text) and the symbol at fault: ``ShapeError``
    for sizes that do not fit, ``UnknownNameError`` for undeclared names and states
    used before they are defined, ``ParseError`` for LaTeX that cannot be read.
    """
    return _Builder(text, shapes, name, index_base).build()
