r"""Displays that fit the text width of a plain article (345pt, about 12 cm), where a
pasted answer lands: a display line estimated wider than that is broken at its outermost
operators into an ``aligned`` block (``&`` first piece ``\\ &\quad`` next pieces), inside
``\[ \]``, ``gathered``, ``aligned`` and ``gather*`` alike. Only amsmath is needed.

Widths are estimated from the LaTeX (no TeX run), generously, so the answers stay
reproducible byte for byte without a TeX installation; the tests compile every answer
in a plain article and fail on an overfull box over 1pt."""

from __future__ import annotations

import re

from .tikz import tikz_width

__all__ = ["DISPLAY_WIDTH", "break_line", "fit_displays"]

#: the width (cm) a display line may take: a plain article's 345pt text width, less a margin
DISPLAY_WIDTH = 11.4
#: estimated cm per character of display math (see tikz.tikz_width)
_CHAR = 0.21

_TOKEN = re.compile(r"\\left\b|\\right\b|\\begin\{[^}]*\}|\\end\{[^}]*\}|\\[A-Za-z]+|\\.|[{}]|"
                    r"\s+|[^\\{}\s]")
_BINARY = {"+", "-", "=", r"\le", r"\leq", r"\ge", r"\geq", r"\odot", r"\cdot", r"\times",
           r"\quad", r"\qquad", r"\approx"}


def width(latex: str) -> float:
    """The estimated width (cm) of display math."""
    return tikz_width(latex, _CHAR)


def _pieces(line: str) -> list[tuple[str, int]]:
    """The line cut before each break point outside every bracket, with each piece's
    priority: 3 after a comma or quad, 2 before a relation or binary operator, 1 between
    factors."""
    depth, env = 0, 0
    pieces: list[tuple[str, int]] = []
    start, prio = 0, 0
    prev = ""
    tokens = list(_TOKEN.finditer(line))
    delimiter = False             # the token after \left, \right, \bigl, \bigr
    for k, m in enumerate(tokens):
        tok = m.group(0)
        if delimiter and not tok.isspace():
            delimiter = False
            if depth == 0 and env == 0:
                prev = tok
            continue
        if tok in (r"\left", r"\right", r"\bigl", r"\bigr"):
            delimiter = True
        if tok in ("{", "(", "["):
            depth += 1
        elif tok in ("}", ")", "]"):
            depth -= 1
        elif tok == r"\left":
            depth += 1
        elif tok == r"\right":
            depth -= 1
        elif tok.startswith(r"\begin"):
            env += 1
        elif tok.startswith(r"\end"):
            env -= 1
        if tok.isspace():
            if depth == 0 and env == 0 and prev and k + 1 < len(tokens):
                nxt = tokens[k + 1].group(0)
                # a break before a binary operator, after a comma, or between two factors
                if prev in (",", r"\quad", r"\qquad") or nxt in (r"\quad", r"\qquad"):
                    level = 3
                elif nxt in _BINARY and prev not in _BINARY and prev not in ("(", "[", "&"):
                    level = 2
                elif nxt not in _BINARY and prev not in _BINARY and \
                        prev not in ("&", "(", "[", r"\{", r"\bigl", r"\left") and \
                        nxt not in (r"\right", r"\bigr", "^", "_", "&", ")", "]", r"\}") \
                        and not nxt.startswith("\\end"):
                    level = 1
                else:
                    level = 0
                if level:
                    pieces.append((line[start:m.start()], prio))
                    start, prio = m.end(), level
            continue
        if depth == 0 and env == 0:
            prev = tok
        elif tok in ("}",) and depth == 0:
            prev = tok
    pieces.append((line[start:], prio))
    return [(p, lvl) for p, lvl in pieces if p.strip()]


def break_line(line: str, limit: float = DISPLAY_WIDTH) -> list[str]:
    """A display line cut into lines that fit ``limit`` (cm) where it can be: greedily at
    the outermost operators, preferring an operator to a gap between factors; a single
    piece wider than the limit stays whole."""
    if width(line) <= limit:
        return [line]
    pieces = _pieces(line)
    if len(pieces) < 2:
        return [line]
    indent = width(r"\quad ")
    lines: list[str] = []
    current: list[tuple[str, int]] = []
    for piece, level in pieces:
        room = limit - (indent if lines else 0.0)
        text = " ".join(p for p, _ in current + [(piece, level)])
        if current and width(text) > room:
            # break at the current line's last point of the best kind (after a comma or
            # quad, then before an operator) rather than between factors
            # among the cuts that leave a next line that fits
            rest = current + [(piece, level)]
            fits = [k for k in range(1, len(rest))
                    if width(" ".join(p for p, _ in rest[k:])) <= limit - indent]
            cut = max(fits, key=lambda k: (rest[k][1], k)) if fits else len(current)
            lines.append(" ".join(p for p, _ in current[:cut]))
            current = current[cut:]
        current.append((piece, level))
    lines.append(" ".join(p for p, _ in current))
    if any(width(x) > limit for x in lines) and _OUTER_LEFT.search(line):
        opened = _open_outer(line)
        if opened != line:
            return break_line(opened, limit)
    return lines


_OUTER_LEFT = re.compile(r"\\left\b")


def _open_outer(line: str) -> str:
    r"""The outermost ``\left X ... \right Y`` pairs of a line as ``\bigl X ... \bigr Y``,
    so that the line can break inside them (a \left group is one unbreakable piece)."""
    out, depth, braces = [], 0, 0
    for m in _TOKEN.finditer(line):
        tok = m.group(0)
        if tok == "{":
            braces += 1
        elif tok == "}":
            braces -= 1
        if tok == r"\left":
            out.append(r"\bigl" if depth == 0 and braces == 0 else tok)
            depth += 1
            continue
        if tok == r"\right":
            depth -= 1
            out.append(r"\bigr" if depth == 0 and braces == 0 else tok)
            continue
        out.append(tok)
    return "".join(out)


def _aligned(lines: list[str]) -> str:
    return (r"\begin{aligned} &" + r" \\ &\quad ".join(lines) + r" \end{aligned}")


def _split_rows(body: str) -> list[str]:
    r"""The rows of an environment's body: split at ``\\`` outside braces and inner
    environments (a ``cases`` inside a row keeps its own rows)."""
    rows, depth, start = [], 0, 0
    for m in _TOKEN.finditer(body):
        tok = m.group(0)
        if tok == "{" or tok.startswith(r"\begin"):
            depth += 1
        elif tok == "}" or tok.startswith(r"\end"):
            depth -= 1
        elif tok == "\\\\" and depth == 0:
            rows.append(body[start:m.start()])
            start = m.end()
    rows.append(body[start:])
    return rows


def _fit_rows(body: str, sep: str, limit: float, aligned: bool) -> str:
    """Rows of a multi-line environment, each too-wide row broken."""
    rows = _split_rows(body)
    # an aligned block is as wide as its widest left side plus its widest right side
    lhs_max = max((width(r.split("&", 1)[0]) for r in rows if "&" in r), default=0.0)
    out = []
    for row in rows:
        if aligned and "&" in row:
            lhs, rhs = row.split("&", 1)
            if lhs_max + width(rhs) <= limit:
                out.append(row)
                continue
            parts = break_line(rhs, limit - lhs_max)
            out.append(lhs + "&" + r" \\ &\quad ".join(parts))
            continue
        if width(row) <= limit:
            out.append(row)
            continue
        parts = break_line(row.strip(), limit)
        out.append(" " + _aligned(parts) + " " if len(parts) > 1 else row)
    return sep.join(out)


_DISPLAY = re.compile(r"\\\[(.*?)\\\]", re.S)
_ENV = re.compile(r"\\begin\{(gathered|aligned)\}(.*?)\\end\{\1\}", re.S)
_GATHER = re.compile(r"\\begin\{(gather\*|align\*)\}(.*?)\\end\{\1\}", re.S)


_CASES = re.compile(r"\\begin\{cases\}(.*?)\\end\{cases\}", re.S)


def _fit_cases(math: str, limit: float) -> str:
    r"""A formula with a ``cases`` block too wide for the line: each condition that is a
    list (``A,\ B``) continues on a row of its own."""
    def rows(m: re.Match[str]) -> str:
        out = []
        for row in _split_rows(m.group(1)):
            if "&" not in row:
                out.append(row)
                continue
            value, cond = row.split("&", 1)
            parts = [p for p in re.split(r",\\ ", cond)]
            out.append(value + "&" + r", \\ & \quad ".join(parts))
        return r"\begin{cases}" + r"\\".join(out) + r"\end{cases}"

    return _CASES.sub(rows, math)


def _fit_math(math: str, limit: float) -> str:
    if "\\begin{cases}" in math and width(math) > limit:
        math = _fit_cases(math, limit)
    m = _ENV.fullmatch(math.strip())
    if m:
        kind, body = m.group(1), m.group(2)
        fitted = _fit_rows(body, r"\\", limit, kind == "aligned")
        return " " + r"\begin{%s}%s\end{%s}" % (kind, fitted, kind) + " "
    if "\\begin{" in math or width(math) <= limit:
        return math
    parts = break_line(math.strip(), limit)
    return " " + _aligned(parts) + " " if len(parts) > 1 else math


def fit_displays(latex: str, limit: float = DISPLAY_WIDTH) -> str:
    r"""``latex`` with every too-wide display line broken (``\[ \]`` with a formula, a
    ``gathered`` or an ``aligned`` block; ``gather*`` and ``align*`` environments)."""
    latex = _DISPLAY.sub(lambda m: r"\[" + _fit_math(m.group(1), limit) + r"\]", latex)
    return _GATHER.sub(lambda m: r"\begin{%s}" % m.group(1) + _fit_rows(
        m.group(2), r"\\", limit, m.group(1) == "align*") + r"\end{%s}" % m.group(1), latex)
