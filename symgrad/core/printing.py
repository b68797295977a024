"""LaTeX for index expressions in the homework's notation.

Tensors print as they are written in the model (``c[t]_{i}``, ``(W_h)_{ij}``,
``x[c, l]``); indices print 1-based unless ``index_base=0``; an expression with an
Iverson bracket prints as ``cases`` with its condition written as a chain
(``1 \\le l - 2 j + 2 \\le 3``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import sympy as sp
from sympy.printing.latex import LatexPrinter

from .ops import Extremum, InverseEntry, op_of, script_base
from .simplify import Iverson
from .tensor import Tensor


def shift_base(expr: sp.Expr, index_symbols, base: int, keep=(),
               time_axes: Mapping[str, Sequence[int]] | None = None) -> sp.Expr:
    """Rewrite a 0-based element expression with ``base``-based indices; sums over the
    symbols in ``keep`` (time steps, already 1..K) stay as they are. ``time_axes`` names
    the axes of tensors that count time steps or lags (``g[t]``, ``J[t, i]``): they print
    1-based, as the homework writes time, at either base, and so do the sums whose index
    only ever stands on such axes."""
    if base == 0:
        return _expand_indices(shift_time(expr, time_axes)) if time_axes else expr
    return _expand_indices(_shift(expr, {s: s - base for s in index_symbols}, base,
                                  frozenset(keep)))


def _shift(expr, moved: dict, base: int, keep=frozenset()):
    """Positions of tensors gain ``base``; index symbols i become i - base."""
    if isinstance(expr, sp.Sum | Extremum):
        inner = dict(moved)
        inner.update({v: v - base for v, _, _ in expr.limits if v not in keep})
        limits = [(v, a, b) if v in keep else
                  (v, _shift(a, moved, base, keep) + base, _shift(b, moved, base, keep) + base)
                  for v, a, b in expr.limits]
        return type(expr)(_shift(expr.function, inner, base, keep), *limits)
    if isinstance(expr, sp.Indexed):
        return sp.Indexed(expr.base, *[sp.expand(i.xreplace(moved) + base)
                                       for i in expr.indices])
    if isinstance(expr, sp.KroneckerDelta):
        return sp.KroneckerDelta(*[sp.expand(a.xreplace(moved) + base) for a in expr.args])
    if isinstance(expr, InverseEntry):  # positions in a matrix, like a tensor's
        return InverseEntry(expr.args[0], *[sp.expand(a.xreplace(moved) + base)
                                            for a in expr.args[1:]])
    if isinstance(expr, Iverson):
        # the condition's tensor entries move as entries do (x[j] = y[i], a max's argmax)
        return Iverson(_shift_bounds(_shift(expr.args[0], moved, base, keep), base,
                                     set(moved)))
    if isinstance(expr, sp.Symbol):
        return moved.get(expr, expr)
    if not expr.args:
        return expr
    return expr.func(*[_shift(a, moved, base, keep) for a in expr.args])


def shift_time(expr: sp.Expr, time_axes: Mapping[str, Sequence[int]]) -> sp.Expr:
    """Positions on the ``time_axes`` of their tensors (0-based in the element) written
    1-based; a summation index found only on such axes runs 1-based too."""
    axes = {name: frozenset(a) for name, a in time_axes.items()}
    timed = time_indices(expr, axes)

    def walk(e):
        if isinstance(e, sp.Sum):
            moved = {v: v - 1 for v, _, _ in e.limits if v in timed}
            body = walk(e.function.xreplace(moved))
            limits = [(v, a + 1, b + 1) if v in timed else (v, a, b) for v, a, b in e.limits]
            return sp.Sum(body, *limits)
        if isinstance(e, sp.Indexed):
            on = axes.get(str(e.base.label), frozenset())
            return sp.Indexed(e.base, *[sp.expand(i + 1) if k in on else i
                                        for k, i in enumerate(e.indices)])
        if not e.args:
            return e
        return e.func(*[walk(a) for a in e.args])
    return walk(expr)


def time_indices(expr: sp.Expr, axes: Mapping[str, Sequence[int]]) -> set:
    """Summation indices that appear in tensor positions only on time axes (and at least
    once), nowhere else but in sum limits."""
    bound = {v for s in expr.atoms(sp.Sum) for v, _, _ in s.limits}
    on_time, elsewhere = set(), set()

    def walk(e):
        if isinstance(e, sp.Indexed):
            on = axes.get(str(e.base.label), frozenset())
            for k, i in enumerate(e.indices):
                (on_time if k in on else elsewhere).update(i.free_symbols & bound)
            return
        if isinstance(e, sp.Sum):
            walk(e.function)
            for _, a, b in e.limits:
                walk(a)
                walk(b)
            return
        if isinstance(e, sp.Symbol):
            if e in bound:
                elsewhere.add(e)
            return
        for a in e.args:
            walk(a)
    walk(expr)
    return on_time - elsewhere


def _shift_bounds(cond, base: int, indices: set):
    """A bound on a tensor position moves with the position: 0 <= e -> 1 <= e + 1."""
    def fixed(side):
        return not (side.free_symbols & indices)

    def shift(rel):
        if isinstance(rel, sp.Le | sp.Lt | sp.Ge | sp.Gt) and (fixed(rel.lhs)
                                                               or fixed(rel.rhs)):
            return rel.func(sp.expand(rel.lhs + base), sp.expand(rel.rhs + base))
        return rel
    return sp.And(*[shift(r) for r in sp.And.make_args(cond)])


def _expand_indices(expr: sp.Expr) -> sp.Expr:
    """Tidy index arithmetic after a shift: x[(c - 1) + 1] -> x[c]."""
    return expr.replace(
        lambda e: isinstance(e, sp.Indexed | sp.KroneckerDelta | Iverson | InverseEntry),
        lambda e: e.func(*[a if isinstance(a, sp.IndexedBase) else _tidy_arg(a)
                           for a in e.args]))


def _tidy_arg(a):
    if isinstance(a, sp.Expr):
        a = sp.expand(a)
        if any(p.is_Pow and p.exp.is_negative for p in a.atoms(sp.Pow)):
            const, rest = a.as_coeff_Add()
            return sp.together(rest) + const
        return a
    if isinstance(a, sp.Rel):
        return a.func(*[_tidy_arg(x) for x in a.args])
    if isinstance(a, sp.And):
        return sp.And(*[_tidy_arg(x) for x in a.args])
    return a


class IndexPrinter(LatexPrinter):
    """LatexPrinter that knows how each tensor of a model is written."""

    def __init__(self, tensors: Mapping[str, Tensor], **settings):
        super().__init__({"mul_symbol": None, **settings})
        self.tensors = tensors

    def _print_Indexed(self, expr):
        name = str(expr.base.label)
        t = self.tensors.get(name)
        idx = [self._print(i) for i in expr.indices]
        if t is None:
            return r"%s_{%s}" % (name, ",".join(idx))
        if t.style == "bracket":
            return r"%s[%s]" % (t.latex, ", ".join(idx))
        simple = all(len(s) == 1 for s in idx)
        sub = "".join(idx) if simple else ",".join(idx)
        head = t.latex if ("_" not in t.latex and "[" not in t.latex or t.latex.endswith("]")) \
            else r"\left(%s\right)" % t.latex
        if " " in t.latex or t.latex.endswith("^{-1}"):  # \left(X^{-1}\right)_{ij}
            head = r"\left(%s\right)" % t.latex
        return r"%s_{%s}" % (head, sub)

    def _helper_print_standard_power(self, expr, template: str) -> str:
        """A power of a base that already carries a superscript is parenthesised:
        ``\\left(h^{(1)}_{k}\\right)^{2}``, never ``h^{(1)}_{k}^{2}``."""
        text = super()._helper_print_standard_power(expr, template)
        base = self.parenthesize(expr.base, sp.printing.precedence.PRECEDENCE["Pow"])
        if expr.base.is_Symbol and " " in base:  # a named product: \left(A X B\right)^{-1}
            return template % (r"\left(%s\right)" % base, self._print(expr.exp))
        if expr.base.is_Symbol or base.startswith(r"\left("):
            return text
        safe = script_base(base)
        return text if safe == base else template % (safe, self._print(expr.exp))

    def _print_Mul(self, expr):
        coeff, rest = expr.as_coeff_Mul()
        factors = sp.Mul.make_args(rest)
        if not expr.is_commutative:
            body = " ".join(r"\left(%s\right)" % self._print(f)
                            if type(f).__name__ == "Hadamard" else self.parenthesize(f, 50)
                            for f in factors)
            return body if coeff == 1 else ("- " + body if coeff == -1
                                              else self._print(coeff) + " " + body)
        if any(f.is_Pow and f.exp.is_negative for f in factors) or coeff.is_Rational \
                and not coeff.is_Integer:
            return super()._print_Mul(expr)
        body = " ".join(self.parenthesize(f, 50) for f in sorted(factors, key=_factor_rank))
        if coeff == 1:
            return body
        if coeff == -1:
            return "- " + body
        return self._print(coeff) + " " + body

    def _print_Add(self, expr, order=None):
        terms = sorted(expr.args, key=_term_rank)
        if all(t.is_number or t.could_extract_minus_sign() for t in terms):
            terms = sorted(terms, key=lambda t: not t.is_number)
        out = self._print(terms[0])
        for t in terms[1:]:
            text = self._print(t)
            out += " - " + text[1:].lstrip() if text.startswith("-") else " + " + text
        return out

    def _print_Symbol(self, expr, style="plain"):
        t = self.tensors.get(expr.name)
        if t is not None and not expr.is_integer:
            return t.latex
        return super()._print_Symbol(expr, style)

    def _print_KroneckerDelta(self, expr, exp=None):
        a, b = (self._print(x) for x in expr.args)
        sep = "" if len(a) == 1 and len(b) == 1 else ","
        return r"\delta_{%s%s%s}" % (a, sep, b)

    def _print_Iverson(self, expr, exp=None):
        return r"\left[%s\right]" % self._print_condition(expr.args[0])

    def _print_condition(self, cond):
        parts = list(sp.And.make_args(cond))
        lows = {p.rhs: p for p in parts if isinstance(p, sp.Le)}
        out, used = [], set()
        for p in parts:
            if p in used:
                continue
            if isinstance(p, sp.Le) and p.lhs in lows and lows[p.lhs] is not p \
                    and lows[p.lhs] not in used:
                low = lows[p.lhs].lhs
                if sp.expand(low - p.rhs) == 0:  # a <= e <= a is e = a
                    out.append(r"%s = %s" % (self._print(p.lhs), self._print(low)))
                else:
                    out.append(r"%s \le %s \le %s" % (self._print(low), self._print(p.lhs),
                                                      self._print(p.rhs)))
                used |= {p, lows[p.lhs]}
        for p in parts:
            if p in used:
                continue
            if isinstance(p, sp.Eq) and isinstance(p.lhs, sp.Mod) and p.rhs == 0:
                out.append(r"%s \mid %s" % (self._print(p.lhs.args[1]),
                                            self._print(p.lhs.args[0])))
                continue
            out.append(self._print(p))
        return r",\ ".join(out)

    def _print_Heaviside(self, expr, exp=None):
        return r"\left[%s > 0\right]" % self._print(expr.args[0])

    def _print_Mod(self, expr, exp=None):
        return r"%s \bmod %s" % (self.parenthesize(expr.args[0], 50),
                                 self.parenthesize(expr.args[1], 50))


def _factor_rank(f):
    """Order of factors in a product: vectors, sums, deltas, matrices, sums over indices."""
    if isinstance(f, sp.Indexed):
        group = 0 if len(f.indices) == 1 else 4
    elif isinstance(f, sp.Pow | sp.Symbol):
        group = 0
    elif isinstance(f, sp.Add):
        group = 1
    elif isinstance(f, sp.KroneckerDelta):
        group = 3
    elif isinstance(f, sp.Sum):
        group = 5
    elif isinstance(f, Iverson):
        group = 6
    else:
        group = 2
    return (group, sp.default_sort_key(f))


def _term_rank(term):
    """Order of terms in a sum: positive terms, then negative ones, constants last."""
    if term.is_number:
        return (2, "")
    return (1 if term.could_extract_minus_sign() else 0, not term.has(sp.KroneckerDelta),
            sp.count_ops(term), sp.default_sort_key(term))


def to_cases(expr: sp.Expr):
    """Split ``value * [cond]`` into (value, cond); None when there is no bracket."""
    if isinstance(expr, sp.Mul):
        brackets = [f for f in expr.args if isinstance(f, Iverson)]
        if len(brackets) == 1:
            rest = sp.Mul(*[f for f in expr.args if not isinstance(f, Iverson)])
            return rest, brackets[0].args[0]
    if isinstance(expr, Iverson):
        return sp.Integer(1), expr.args[0]
    return None


def latex_element(expr: sp.Expr, tensors: Mapping[str, Tensor]) -> str:
    """LaTeX of an (already base-shifted) element, ``cases`` for a single bracket."""
    p = IndexPrinter(tensors)
    split = to_cases(expr)
    if split is None:
        return p.doprint(expr)
    value, cond = split
    return (r"\begin{cases} %s & \text{if } %s \\ 0 & \text{otherwise} \end{cases}"
            % (p.doprint(value), p._print_condition(cond)))


def _paren(text: str) -> str:
    return r"\left(" + text + r"\right)"


class TimePrinter(IndexPrinter):
    """IndexPrinter that writes time-stacked entries c[t, i] as c[t]_i and groups
    Hadamard products inside matrix products, so ``(a \\odot b) x^T`` reads right."""

    def __init__(self, tensors: Mapping[str, Tensor], timed: Mapping[str, str],
                 shift: int = 0, column: sp.Symbol | None = None, **settings) -> None:
        super().__init__(tensors, **settings)
        self.timed = timed
        self.shift = shift
        self.column = column

    def _print_Indexed(self, expr):
        name = str(expr.base.label)
        if name not in self.timed or not expr.indices:
            return super()._print_Indexed(expr)
        template, at = self.timed[name], sp.expand(expr.indices[0] + self.shift)
        found = re.search(r"\{t\}([+-]\d+)", template)
        if found and not at.is_Symbol:  # h[{t}-1] at t + 1 is h[t], not h[t + 1-1]
            at = sp.expand(at + int(found.group(1)))
            template = template[:found.start()] + "{t}" + template[found.end():]
        head = template.format(t=self._print(at))
        rest = [self._print(i) for i in expr.indices[1:]]
        if not rest:
            return head
        if " " in head:
            head = _paren(head)
        sub = "".join(rest) if all(len(r) == 1 for r in rest) else ",".join(rest)
        return head + "_{" + sub + "}"

    def _print_Mul(self, expr):
        coeff, rest = expr.as_coeff_Mul()
        factors = sp.Mul.make_args(rest)
        if expr.is_commutative and coeff.is_Integer and any(self._stacked(f) for f in factors):
            body = " ".join(self.parenthesize(f, 50) for f in sorted(factors, key=self._rank))
            return {1: body, -1: "- " + body}.get(int(coeff), self._print(coeff) + " " + body)
        if not expr.is_commutative and any(type(f).__name__ == "Hadamard" for f in expr.args):
            body = " ".join(_paren(self._print(f)) if type(f).__name__ == "Hadamard"
                            else self.parenthesize(f, 50) for f in sp.Mul.make_args(rest))
            return body if coeff == 1 else self._print(coeff) + " " + body
        return super()._print_Mul(expr)

    def _stacked(self, f) -> bool:
        return isinstance(f, sp.Indexed) and str(f.base.label) in self.timed \
            and len(f.indices) > 1

    def _rank(self, f):
        """Upstream gradient first, then the row factors, then those of the last index."""
        if self._stacked(f) and str(f.base.label) in ("delta", "g"):
            return (0, sp.default_sort_key(f))
        last = self._stacked(f) and f.indices[-1] == self.column
        group = 4 if last else 1 if self._stacked(f) else 2 if isinstance(f, sp.Add) else 3
        return (group, sp.default_sort_key(f))


class MatrixPrinter(IndexPrinter):
    """Matrix notation with functions written as the table of operations says:
    \\tanh\\left(...\\right), \\exp\\left(...\\right)."""

    def _print_Function(self, expr, exp=None):
        op = op_of(expr)
        if isinstance(expr, sp.tanh | sp.exp | sp.log) and op is not None:
            return op.latex_call(self._print(expr.args[0]), exp)
        return super()._print_Function(expr, exp)

    _print_tanh = _print_exp = _print_log = _print_Function
