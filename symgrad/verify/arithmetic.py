"""Arithmetic a write-up works out where no model is asked for (the loss at initialisation:
``\\text{Loss}_{\\text{initial}} = -\\log(0.25) = \\log(4) \\approx 1.386``): every link
between numbers checked, ``\\approx`` to the digits written.

Each side is read by the one reader of user LaTeX (``notation``) with nothing declared, so
a side that names anything (``p_{correct}``, ``K``) is no arithmetic and the claim is left
to the caller; a name on the far left (``\\text{Loss}``) is what the chain computes."""

from __future__ import annotations

import re

import sympy as sp

from ..core.errors import SymgradError
from ..notation import Declarations, parse_expression
from .verdict import Verdict

__all__ = ["check_arithmetic"]

_NOTHING = Declarations(())
_LINK = re.compile(r"\\approx|(?<![<>!:\\])=")
# what a chain computes, named on its left: \text{Loss}_{\text{initial}}, L, \ell_0
_NAME = re.compile(r"^\s*(?:\\(?:text|mathrm|operatorname)\s*\{[^{}]*\}|\\?[A-Za-z]+)\s*"
                   r"(?:_\s*(?:\{(?:[^{}]|\{[^{}]*\})*\}|\w))?\s*$")
_DECIMALS = re.compile(r"^\s*-?\d*\.(\d+)\s*$")


def _links(latex: str) -> list[tuple[str, str]]:
    """(relation, side) at the top-level ``=`` and ``\\approx`` (the first relation '')."""
    out, depth, start, rel = [], 0, 0, ""
    k = 0
    while k < len(latex):
        c = latex[k]
        if c in "{([":
            depth += 1
        elif c in "})]":
            depth -= 1
        elif depth == 0:
            m = _LINK.match(latex, k)
            if m:
                out.append((rel, latex[start:k]))
                rel, start, k = ("~" if m.group(0) != "=" else "="), m.end(), m.end()
                continue
        k += 1
    out.append((rel, latex[start:]))
    return [(r, s.strip()) for r, s in out]


def _value(side: str) -> float | None:
    percent = re.match(r"^(.*?)\s*\\%\s*$", side)  # 25\%: a number per hundred
    if percent:
        v = _value(percent.group(1))
        return None if v is None else v / 100
    try:
        e = parse_expression(side, _NOTHING)
    except (SymgradError, RecursionError, ValueError):
        return None
    if not isinstance(e, sp.Expr) or e.free_symbols or e.has(sp.Indexed):
        return None
    v = complex(e.evalf(30))
    return v.real if abs(v.imag) < 1e-12 else None


def _holds(rel: str, a: float, b: float, written: str) -> bool:
    """``a = b`` exactly (to rounding error), or to the decimals ``written`` when the right
    side is a decimal number (``= 1.386``, ``\\approx 1.39``); ``\\approx`` without decimals
    to 1%."""
    d = _DECIMALS.match(written)
    if d:
        return abs(a - b) <= 0.5 * 10.0 ** -len(d.group(1)) + 1e-12
    if rel == "~":
        return abs(a - b) <= 0.01 * max(abs(a), abs(b)) + 1e-12
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def check_arithmetic(latex: str) -> Verdict | None:
    """The verdict on a chain of numbers, or None when ``latex`` is not one (fewer than
    two numeric sides, or a side that names something)."""
    links = _links(latex)
    values = [_value(side) for _, side in links]
    if values and values[0] is None and _NAME.match(links[0][1]):
        links, values = links[1:], values[1:]  # \text{Loss} = ...: the name it computes
    if len(values) < 2 or any(v is None for v in values):
        return None
    for (_, left), (rel, right), a, b in zip(links, links[1:], values, values[1:],
                                            strict=False):
        if not _holds(rel, a, b, right):
            sign = "=" if rel == "=" else r"\approx"
            return Verdict("incorrect", f"the arithmetic `{left} {sign} {right}` does not "
                           f"hold: {left} is {a:.6g}, {right} is {b:.6g}.",
                           {"left": f"{a:.6g}", "right": f"{b:.6g}"}, None, latex,
                           ["read as arithmetic on numbers"])
    return Verdict("correct", f"the arithmetic holds ({values[-1]:.6g}).", None, None, latex,
                   ["read as arithmetic on numbers"])
