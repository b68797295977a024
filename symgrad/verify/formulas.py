"""The formulas of a text: where they are (delimiters, environments, a length limit) and
the rows and statements of each (``\\``, blank lines, ``\\quad``, top-level commas), with
tags, spacing, boxes and final punctuation removed."""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["EQ", "MAX_MATH", "Math", "RANGES_ONLY", "clean", "find_math", "split_rows",
           "split_statements"]

EQ = re.compile(r"(?<![<>!:\\])=(?!=)")  # an equals sign (not :=, <=, ==)
MAX_MATH = 20_000  # a longer formula is not read (listed as not judged)
MAX_TEXT = 2_000_000  # delimiters this far apart are taken as unmatched
_MATH_ENVS = ("equation", "align", "gather", "multline", "eqnarray", "displaymath", "math",
              "flalign", "alignat")


@dataclass(frozen=True)
class Math:
    """One formula: ``start``/``end`` of the delimited span in the text, its ``body``."""

    start: int
    end: int
    body: str
    display: bool
    written: str = ""  # the body as written, when the writer's macros were expanded
    too_long: bool = False  # longer than MAX_MATH: listed as not judged, never read
    plain: bool = False  # a shape written as plain text on a line of its own ("3 x 4")


# ---------------------------------------------------------------- finding formulas

def _find_end(text: str, i: int, closing: str) -> int:
    j = text.find(closing, i)
    while j > 0 and closing == "$" and text[j - 1] == "\\":
        j = text.find(closing, j + 1)
    return j


_BLANK = re.compile(r"\n[ \t]*\n")


def find_math(text: str) -> list[Math]:
    """Every ``$..$``, ``$$..$$``, ``\\[..\\]``, ``\\(..\\)`` and math environment, in order;
    an unterminated one is left out; one longer than MAX_MATH is kept, marked too long."""
    found = [m if m.end - m.start < MAX_MATH else Math(m.start, m.end, "", m.display,
                                                         m.body[:60], True)
             for m in _find_math(text)]
    return sorted(found + _plain_shapes(text, found), key=lambda m: m.start)


# a shape written as plain text on a line of its own: "3 x 4", "1 × 5 × 3"
_PLAIN_SHAPE = re.compile(r"^[ \t]*(\d+(?:[ \t]*[x×][ \t]*\d+)+)[ \t]*\.?[ \t]*$", re.M)


def _plain_shapes(text: str, maths: list[Math]) -> list[Math]:
    """The plain-text shapes outside every formula, as formulas of their own."""
    return [Math(m.start(1), m.end(1), m.group(1), True, plain=True)
            for m in _PLAIN_SHAPE.finditer(text)
            if not any(f.start <= m.start(1) < f.end for f in maths)]


def _find_math(text: str) -> list[Math]:
    out: list[Math] = []
    i, n = 0, len(text)
    env_open = re.compile(r"\\begin\{(" + "|".join(_MATH_ENVS) + r")(\*?)\}")
    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n:
            nxt = text[i + 1]
            if nxt in "[(":
                closing = "\\]" if nxt == "[" else "\\)"
                j = text.find(closing, i + 2)
                if 0 < j and j - i < MAX_TEXT and not _BLANK.search(text, i, j):
                    out.append(Math(i, j + 2, text[i + 2:j], nxt == "["))
                    i = j + 2
                    continue
            m = env_open.match(text, i)
            if m:
                closing = f"\\end{{{m.group(1)}{m.group(2)}}}"
                j = text.find(closing, m.end())
                if 0 < j and j - i < MAX_TEXT:
                    out.append(Math(i, j + len(closing), text[m.end():j], True))
                    i = j + len(closing)
                    continue
            i += 2
            continue
        if c == "$":
            if text.startswith("$$", i):
                j = text.find("$$", i + 2)
                if 0 < j and j - i < MAX_TEXT and not _BLANK.search(text, i, j):
                    out.append(Math(i, j + 2, text[i + 2:j], True))
                    i = j + 2
                    continue
                i += 2
                continue
            j = _find_end(text, i + 1, "$")
            if 0 < j and j - i < MAX_TEXT and j > i + 1 and not _BLANK.search(text, i, j):
                out.append(Math(i, j + 1, text[i + 1:j], False))
                i = j + 1
                continue
        i += 1
    return out


# ---------------------------------------------------------------- rows of a display

_NOISE = re.compile(r"\\(?:tag|label|eqref)\*?\{[^{}]*\}|\\(?:nonumber|notag|displaystyle|"
                    r"textstyle|qquad|quad|,|;|!)(?![a-zA-Z])|(?<!\\)\\\s")


def _top_level_amp(s: str) -> str:
    """Alignment ``&`` outside environments dropped; ``&`` of cases and matrices kept."""
    out, env, i = [], 0, 0
    while i < len(s):
        if s.startswith("\\begin{", i):
            env += 1
        elif s.startswith("\\end{", i):
            env -= 1
        if s[i] == "&" and env <= 0 and (i == 0 or s[i - 1] != "\\"):
            out.append(" ")
        else:
            out.append(s[i])
        i += 1
    return "".join(out)


_WRAPS = re.compile(r"\\(?:boxed|fbox|bbox|underbrace|overbrace|colorbox\s*\{[^{}]*\}|"
                    r"color\s*\{[^{}]*\}|textcolor\s*\{[^{}]*\})\s*\{")
# an equation number written by hand at the end of a row: \text{(3')}, (1), \tag-like
_HAND_TAG = re.compile(r"(?:\\text\s*\{\s*\(\s*\d+[a-z]?'*\s*\)\s*\}|\(\s*\d+[a-z]?'+\s*\))\s*$")


def _group_end(s: str, i: int) -> int:
    """The index just past the group that opens at s[i] == "{" (len(s) if unbalanced)."""
    depth = 0
    for j in range(i, len(s)):
        if s[j] == "{" and (j == 0 or s[j - 1] != "\\"):
            depth += 1
        elif s[j] == "}" and (j == 0 or s[j - 1] != "\\"):
            depth -= 1
            if depth == 0:
                return j + 1
    return len(s)


def unwrap(body: str) -> str:
    """``\\boxed{X}``, ``\\underbrace{X}_{note}`` and colours read as X: they mark the
    answer, they do not state anything."""
    for _ in range(50):
        m = _WRAPS.search(body)
        if not m:
            return body
        end = _group_end(body, m.end() - 1)
        inner = body[m.end():end - 1]
        rest = body[end:]
        if m.group(0).startswith(("\\underbrace", "\\overbrace")):
            note = re.match(r"\s*[_^]\s*", rest)
            if note:
                k = note.end()
                rest = rest[_group_end(rest, k):] if rest[k:k + 1] == "{" else rest[k + 1:]
        body = body[:m.start()] + inner + " " + rest
    return body


# x[c', 2j + k'], \text{if} i = i' \text{else} 0: an Iverson bracket said in words
_WORD = r"\\(?:text|mathrm|textrm)\s*\{\s*%s\s*\}"
_IF_ELSE = re.compile(r"(?<![<>!:\\])=(?P<value>[^=]+?),?\s*" + _WORD % r"(?:if|for|when)"
                      + r"\s*(?P<cond>[^{}\\]*?(?:\\(?:neq|ne|le|leq|ge|geq|prime)[^{}\\]*?|"
                      r"\^\{\\prime\}[^{}\\]*?)*)\s*,?\s*(?:" + _WORD % r"(?:else|otherwise)"
                      + r"\s*0|" + _WORD % r"(?:and|,)?" + r"\s*0\s*" + _WORD % r"otherwise"
                      + r"|" + _WORD % r"(?:and|,)?\s*0\s*otherwise" + r")\s*[.,]?\s*$")


def clean(body: str) -> str:
    """A formula without tags, labels, spacing commands, boxes and final punctuation."""
    s = _NOISE.sub(" ", unwrap(body))
    s = _top_level_amp(s)
    s = re.sub(r"\s+", " ", s).strip()
    s = _HAND_TAG.sub("", s)
    return iverson_words(re.sub(r"[\s.,;]+$", "", s).strip())


def iverson_words(row: str) -> str:
    """``A = B, \\text{if} i = i' \\text{else} 0`` as ``A = [i = i'] (B)``; other rows as
    they are."""
    s = re.sub(r"\s+", " ", _NOISE.sub(" ", row))
    word = _IF_ELSE.search(s)
    if not word or not re.search(r"=|\\neq?\b|<|>|\\le|\\ge", word.group("cond")):
        return row
    return f"{s[:word.start()]}= [{word.group('cond').strip()}] ({word.group('value').strip()})"


_SEPARATOR = re.compile(r",?\s*(?:\\qquad|\\quad|\\text\s*\{\s*(?:and|,)\s*\}|"
                        r"\\(?:Rightarrow|Longrightarrow|implies|therefore|rightarrow|"
                        r"longrightarrow)(?![a-zA-Z]))\s*|;\s*|"
                        r",\s*(?:\\[,;: ]\s*)*")
_RELATION = re.compile(r"(?<![<>!:\\])=|\\in(?![a-zA-Z])|\\(?:le|leq|ge|geq|approx)(?![a-zA-Z])")


_DELIMITER = re.compile(r"\\(?:left|right)(?![a-zA-Z])")


_SP = r"(?:\s|\\[;,:!]|\\q?quad(?![a-zA-Z])|~)"
_IDX = r"[a-z](?:'|\^\{?\s*\\prime\s*\}?)*"
_SPEC = (_IDX + r"(?:\s*,\s*" + _IDX + r")*\s*=\s*-?\d+(?:\s*,\s*(?:-?\d+|\\[lc]?dots))*")
# f[i, j] = ..., \;\; i=0 \;\; j=0, 1 \;\; k=0, 1, 2: the ranges of the indices after it
_TRAILING_RANGES = re.compile(r",?" + _SP + r"*(?:\\(?:;|q?quad)|,)" + _SP + r"*(" + _SPEC +
                              r"(?:" + _SP + r"+" + _SPEC + r")*)\s*[.,]?\s*$")
# two ranges or more, or one that lists values (a lone `a = 1` may be an answer)
RANGES_ONLY = re.compile(r"^\s*(?:" + _SPEC + r"(?:" + _SP + r"+" + _SPEC + r")+|" + _IDX +
                         r"\s*=\s*-?\d+\s*,\s*(?:-?\d+|\\[lc]?dots)[^=]*)\s*$")


def trailing_ranges(row: str) -> tuple[str, str]:
    """A row that ends with the ranges of its indices as the formula and those ranges
    (``''`` when it has none): each letter must be an index of the formula."""
    m = _TRAILING_RANGES.search(row)
    if not m:
        return row, ""
    head = row[:m.start()]
    letters = set(re.findall(r"([a-z])\s*(?:'|\^\{?\s*\\prime|,|=)", m.group(1)))
    if not EQ.search(head) or not all(
            re.search(rf"(?<![A-Za-z\\]){x}(?![A-Za-z])", head) for x in letters):
        return row, ""
    return head, m.group(1)


def split_statements(row: str) -> list[str]:
    """A row that writes several statements side by side (``f_W(x) \\in \\mathbb{R}^{1
    \\times 3}, \\quad f_W(x)[1, j] = ...``) as one row per statement: split at the
    top-level commas, ``\\quad`` and semicolons only when every piece states something
    (has a relation), so ``q_0[t], q_1[t] = ...`` stays whole."""
    row, ranges = trailing_ranges(iverson_words(row))
    if ranges:
        return [*split_statements(row), ranges]
    cuts: list[tuple[int, int]] = []
    depth, i = 0, 0
    while i < len(row):
        c = row[i]
        delim = _DELIMITER.match(row, i)
        if delim:  # \left( and \right) are not groups of their own (\rightarrow is no \right)
            i = delim.end()
            continue
        if c == "\\" and i + 1 < len(row) and not row[i + 1].isalpha():
            i += 2
            continue
        if row.startswith("\\begin{", i):
            depth += 1
        elif row.startswith("\\end{", i):
            depth -= 1
        elif c in "{[(":
            depth += 1
        elif c in "}])":
            depth -= 1
        elif depth == 0 and c in ",;\\":
            m = _SEPARATOR.match(row, i)
            if m and m.end() > i and (c != "\\" or re.search(r"quad|text|arrow|impl|there",
                                                             m.group(0))):
                cuts.append((i, m.end()))
                i = m.end()
                continue
        i += 1
    if not cuts:
        return [row]
    pieces, start = [], 0
    for a, b in cuts:
        pieces.append(row[start:a])
        start = b
    pieces.append(row[start:])
    pieces = [p for p in pieces if p.strip()]
    if len(pieces) < 2 or not all(_RELATION.search(p) for p in pieces):
        return [row]
    return pieces


_WRAPPER = re.compile(r"^\s*\\begin\{(align|aligned|gather|gathered|split|equation|multline|"
                      r"eqnarray|flalign|alignat)\*?\}(?:\{\d+\})?(.*)\\end\{\1\*?\}\s*$", re.S)


def split_rows(body: str, statements: bool = True) -> list[str]:
    """The top-level rows of a display (``\\\\`` or a blank line outside any environment or
    group); a row that starts with ``=`` continues the row before (a chained computation)."""
    wrapped = _WRAPPER.match(body)
    if wrapped:  # $$\begin{align} .. \end{align}$$: the rows of the environment
        body = wrapped.group(2)
    rows: list[str] = []
    depth, env, start, i = 0, 0, 0, 0
    while i < len(body):
        if body.startswith("\\begin{", i):
            env += 1
        elif body.startswith("\\end{", i):
            env -= 1
        elif body[i] == "{" and (i == 0 or body[i - 1] != "\\"):
            depth += 1
        elif body[i] == "}" and (i == 0 or body[i - 1] != "\\"):
            depth -= 1
        if depth == 0 and env <= 0:
            if body.startswith("\\\\", i):
                rows.append(body[start:i])
                i += 2
                start = i
                continue
            m = re.match(r"\n[ \t]*\n", body[i:])
            if m:
                rows.append(body[start:i])
                i += m.end()
                start = i
                continue
        i += 1
    rows.append(body[start:])
    if statements:
        rows = [p for r in rows for p in split_statements(r)]
    out: list[str] = []
    for r in (clean(x) for x in rows):
        if not r:
            continue
        if out and re.match(r"^(?:=|(?:\\approx|\\leq?|\\geq?|\\cdot|\\times|\\in)(?![a-zA-Z])|"
                            r"\+|-)", r):
            out[-1] = out[-1] + " " + r
        else:
            out.append(r)
    return out
