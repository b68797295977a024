"""The derivative of a product written in one numerator (``\\frac{\\partial a_0[t] v_0[t]}
{\\partial h[t-1]}``), written out by the product rule when one factor is a scalar: the
question declares the derivatives of each factor, not of their product.

A rewrite of the text a writer typed (no evaluation): ``\\frac{\\partial A B}{\\partial Z}``
becomes ``\\left(B \\frac{\\partial A}{\\partial Z} + A \\frac{\\partial B}{\\partial Z}\\right)``
with A the scalar, which keeps every product's shape (a column times a row, a scalar times
a matrix)."""

from __future__ import annotations

import re

__all__ = ["product_rule"]

_FRAC = re.compile(r"\\[dt]?frac\s*\{\s*\\partial\s*")


def _group(s: str, i: int) -> int | None:
    """The index after the brace group whose ``{`` is at or after ``i`` (spaces skipped)."""
    while i < len(s) and s[i] == " ":
        i += 1
    if i >= len(s) or s[i] != "{":
        return None
    depth = 0
    for k in range(i, len(s)):
        depth += s[k] == "{"
        depth -= s[k] == "}"
        if depth == 0:
            return k + 1
    return None


def _factors(numerator: str, spellings: list[str]) -> tuple[str, str] | None:
    """The numerator as two spellings side by side (``a_0[t]v_0[t]``, ``(a_0[t] v_0[t])``)."""
    text = re.sub(r"\s+", "", numerator)
    if text.startswith("(") and text.endswith(")"):
        text = text[1:-1]
    for first in spellings:
        f = re.sub(r"\s+", "", first)
        if text.startswith(f):
            rest = text[len(f):].removeprefix("\\cdot")
            for second in spellings:
                if rest == re.sub(r"\s+", "", second):
                    return first, second
    return None


def product_rule(latex: str, scalars: set[str], spellings: list[str]) -> str:
    """``latex`` with each derivative of a two-factor product, one factor among ``scalars``
    and both among ``spellings`` (the question's tensors as written), written out by the
    product rule; ``latex`` itself when it has none."""
    out, pos = [], 0
    for m in _FRAC.finditer(latex):
        if m.start() < pos:
            continue
        top = _group(latex, m.start() + latex[m.start():].index("{"))
        if top is None:
            continue
        numerator = latex[m.end():top - 1]
        bottom = _group(latex, top)
        if bottom is None:
            continue
        denominator = latex[top:bottom].strip()[1:-1].strip()
        pair = _factors(numerator, spellings)
        if pair is None or not (pair[0] in scalars or pair[1] in scalars):
            continue
        a, b = pair if pair[0] in scalars else (pair[1], pair[0])
        out.append(latex[pos:m.start()])
        out.append(rf"\left({b} \frac{{\partial {a}}}{{{denominator}}} + {a} "
                   rf"\frac{{\partial {b}}}{{{denominator}}}\right)")
        pos = bottom
    return "".join(out) + latex[pos:] if out else latex
