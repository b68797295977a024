"""Time references, read once: ``h[t]``, ``h[t-1]``, ``h[t-k]`` (a step relative to t) and
``h[3]``, ``h[0]`` (an absolute step), as a ``Step``; and the time marks of a display
string written at another step (``c[t] h[t-1]`` at t = 3: ``c[3] h[2]``).

Names as written go through the one resolver of time marks first (``h_{t-1}``,
``h^{(t-1)}`` and ``h(t-1)`` are ``h[t-1]``). ``core`` (below notation) reads these through
``core.services``: ``parse_step`` and ``map_steps`` are registered here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import sympy as sp

from ..core.errors import UnknownNameError
from ..core.services import provide
from ..core.tensor import as_expr, size

Offset = int | sp.Expr

# a name (no brackets) followed by one bracket at the end: `h[t-1]`, `\tilde{h}[3]`, `W_x x[t]`
_REF = re.compile(r"(?P<head>[^\[\]]*?[^\s\[\]])\s*\[(?P<step>[^\[\]]*)\]", re.S)
_TERM = re.compile(r"([+-])(\d+|[A-Za-z][A-Za-z0-9_]*)")
_NUMBER = re.compile(r"[+-]?(?:\d+\.\d*|\.\d+|\d+(?:/\d+)?)(?:[eE][+-]?\d+)?")
# a time mark with a whole-number offset inside a display string: [t], [t-1], [t + 2]
_FRACTION = re.compile(r"\d*[./]\d")
_MARK = re.compile(r"\[\s*t\s*(?:([+-])\s*(\d+))?\s*\]")


@dataclass(frozen=True)
class Step:
    """A tensor at a step: ``name`` as written (``h``), and either an offset from t
    (``absolute=False``: -1 for ``h[t-1]``, a SymPy expression for ``h[t-k]``) or the
    step itself (``absolute=True``: 3 for ``h[3]``, a whole number >= 0)."""

    name: str
    offset: Offset = 0
    absolute: bool = False

    @property
    def lag(self) -> Offset | None:
        """How many steps before t (1 for ``h[t-1]``); None for an absolute step."""
        if self.absolute:
            return None
        return -self.offset if isinstance(self.offset, int) else sp.expand(-self.offset)

    def at(self, t: Offset) -> Step:
        """The same reference with t := ``t``: ``h[t-1]`` at 3 is ``h[2]``."""
        if self.absolute:
            return self
        value = t + self.offset
        if isinstance(value, sp.Expr) and value.is_Integer:
            value = int(value)
        return Step(self.name, value, absolute=isinstance(value, int))

    def shifted(self, by: Offset) -> Step:
        """``by`` steps later (earlier when negative): ``h[t]`` shifted by -2 is ``h[t-2]``."""
        value = self.offset + by
        if isinstance(value, sp.Expr) and value.is_Integer:
            value = int(value)
        return Step(self.name, value, self.absolute)

    def step_latex(self) -> str:
        """The step alone: ``t``, ``t-1``, ``t-k+1``, ``3``."""
        if self.absolute:
            return _tight(self.offset)
        return "t" + offset_latex(self.offset)

    def latex(self) -> str:
        """``h[t-1]``, ``h[3]``: the reference as written in the homework."""
        return f"{self.name}[{self.step_latex()}]"

    def __str__(self) -> str:
        return self.latex()


def _tight(e: Offset) -> str:
    return sp.latex(as_expr(e)).replace(" ", "")


def offset_latex(offset: Offset) -> str:
    """``-1`` -> ``-1``, ``-k + 1`` -> ``-k+1``, 0 -> ``""``: what follows t."""
    off = as_expr(offset)
    if off == 0:
        return ""
    out = ""
    for a in sorted(sp.Add.make_args(off), key=lambda a: (a.is_Number, str(a))):
        neg = a.could_extract_minus_sign()
        out += ("-" if neg else "+") + _tight(-a if neg else a)
    return out


def _bad(text: str, why: str) -> UnknownNameError:
    return UnknownNameError(f"{text!r}: {why}; write a whole step >= 0 (h[0] the initial "
                            f"state, h[3]) or one relative to t (h[t-1], h[t-k])")


def _read(text: str, head: str, inner: str) -> Step | None:
    body = "".join(inner.split())
    if not body:
        return None
    if body[0] == "t" and (len(body) == 1 or body[1] in "+-"):
        rest, offset, at = body[1:], sp.Integer(0), 0
        if _FRACTION.search(rest):
            raise _bad(text, f"the offset {rest} from t is not a whole number")
        while at < len(rest):
            m = _TERM.match(rest, at)
            if m is None:
                return None
            sign = 1 if m.group(1) == "+" else -1
            term = m.group(2)
            offset += sign * (sp.Integer(int(term)) if term.isdigit() else size(term))
            at = m.end()
        return Step(head, int(offset) if offset.is_Integer else offset, absolute=False)
    if body.isdigit():
        return Step(head, int(body), absolute=True)
    if _NUMBER.fullmatch(body):
        value = Fraction(body)
        if value < 0:
            raise _bad(text, f"step {body} is negative (steps start at h[0], the initial "
                             f"state)")
        if value.denominator == 1:
            return Step(head, int(value), absolute=True)
        raise _bad(text, f"step {body} is not a whole number")
    return None


def parse_step(text: str) -> Step | None:
    """``h[t-1]`` -> Step("h", -1), ``h[t-k]`` -> Step("h", -k), ``h[3]`` ->
    Step("h", 3, absolute=True); ``h_{t-1}`` and ``h^{(t-1)}`` read as ``h[t-1]``. A name
    without a time mark (``W_c``, ``x[i]``) is None; a negative or fractional step
    (``h[-1]``, ``h[1.5]``, ``h[t-0.5]``) an ``UnknownNameError`` that says how to write it."""
    if not isinstance(text, str):
        return None
    raw = text.strip()
    m = _REF.fullmatch(raw)
    if m is None:
        from .equations import time_key  # the one resolver of time marks as written

        m = _REF.fullmatch(time_key(raw))
        if m is None:
            return None
    return _read(text, m.group("head").strip(), m.group("step"))


def step_latex(name: str, offset: Offset = 0, absolute: bool = False) -> str:
    """The printer: ``step_latex("h", -1)`` is ``h[t-1]``, ``step_latex("h", 3, True)``
    is ``h[3]``."""
    return Step(name, offset, absolute).latex()


def map_steps(text: str, fn: Callable[[int], str]) -> str:
    """Every time mark ``[t]``, ``[t-1]``, ``[t+2]`` of a display string replaced by
    ``[fn(offset)]`` (offset 0, -1, 2); marks with a symbolic offset are left alone."""

    def repl(match: re.Match[str]) -> str:
        offset = int(match.group(2) or 0) * (-1 if match.group(1) == "-" else 1)
        return f"[{fn(offset)}]"

    return _MARK.sub(repl, text)


def at_step(text: str, t: Offset) -> str:
    """A display string written at t := ``t``: ``c[t] h[t-1]`` at 3 is ``c[3] h[2]``."""
    if isinstance(t, int):
        return map_steps(text, lambda d: str(t + d))
    return map_steps(text, lambda d: _tight(as_expr(t) + d))


provide("parse_step", parse_step)
provide("map_steps", map_steps)
