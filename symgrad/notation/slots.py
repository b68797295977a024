"""A family's slots written with a letter (``q_i[t]``, ``\\frac{\\partial a_i[t]}{\\partial
h[t-1]}``): the claim at one slot, and sums over the slots written out term by term.

A question declares the slots of a family one by one (``q_0[t]``, ``q_1[t]``, ``q_2[t]``);
a writer states a claim for every slot with a letter, or sums over them. These rewrite the
text a writer typed (no evaluation): the letter as a number where it stands alone, and
``\\sum_{i=0}^{2} (...)`` with numeric bounds as the sum of its terms."""

from __future__ import annotations

import re

__all__ = ["at_slot", "slot_letters", "unroll_slot_sums"]

#: X_i[t] (or X_{i}[t]): a slot of family X named by the letter i
SLOT_LETTER = re.compile(r"(?<![A-Za-z\\])([A-Za-z])_\{?([a-z])\}?(\[t\])")
_SUM = re.compile(r"\\sum(?:\\limits)?\s*_\s*\{\s*([a-z])\s*=\s*(\d+)\s*\}\s*\^\s*"
                  r"(?:\{\s*(\d+)\s*\}|(\d))\s*")
_OPEN = {"(": ")", "[": "]", "{": "}"}


def slot_letters(latex: str) -> list[tuple[str, str]]:
    """The (family, letter) pairs of the slots written with a letter in ``latex``."""
    return [(name, letter) for name, letter, _ in SLOT_LETTER.findall(latex)]


def at_slot(latex: str, letter: str, slot: int) -> str:
    """``latex`` with the index letter ``letter`` replaced by ``slot`` wherever it stands
    alone (``a_i[t]``, ``\\delta_{i1}``; not inside ``\\sin`` or ``\\text{if}``)."""
    return re.sub(rf"(?<![A-Za-z\\]){letter}(?![A-Za-z])", str(slot), latex)


def _group_end(s: str, i: int) -> int | None:
    """The index after the group that opens at ``s[i]`` (``(``, ``[``, ``{``, or
    ``\\left(``), None when it does not close."""
    left = s.startswith("\\left", i)
    j = i + 5 if left else i
    if j >= len(s) or s[j] not in _OPEN:
        return None
    depth = 0
    k = j
    while k < len(s):
        c = s[k]
        if c in _OPEN and (k == 0 or s[k - 1] != "\\"):
            depth += 1
        elif c in ")]}" and (k == 0 or s[k - 1] != "\\"):
            depth -= 1
            if depth == 0:
                return k + 1
        k += 1
    return None


def _product_end(s: str, i: int) -> int | None:
    """Where the product that starts at ``s[i]`` ends: at the first ``+``, ``-``, ``=``,
    ``&`` or ``\\\\`` outside every group, or at a group that closes; None when empty."""
    depth, k = 0, i
    while k < len(s):
        c = s[k]
        if s.startswith(("\\left", "\\right"), k) and depth >= 0:
            step = 5 if s.startswith("\\left", k) else 6
            depth += 1 if step == 5 else -1
            if depth < 0:
                break
            k += step + 1
            continue
        if c in "([{" and (k == 0 or s[k - 1] != "\\"):
            depth += 1
        elif c in ")]}" and (k == 0 or s[k - 1] != "\\"):
            depth -= 1
            if depth < 0:
                break
        elif depth == 0 and (c in "+-=&" or s.startswith("\\\\", k)):
            break
        k += 1
    return k if s[i:k].strip() else None


def unroll_slot_sums(latex: str, families: set[str]) -> str:
    """``\\sum_{i=0}^{2} \\left( v_i[t] ... \\right)`` written out as the sum of its terms
    when its bracketed body names a slot of ``families`` by the sum's letter; other sums
    as they are."""
    out, pos = [], 0
    for m in _SUM.finditer(latex):
        if m.start() < pos:
            continue
        letter, lo = m.group(1), int(m.group(2))
        hi = int(m.group(3) or m.group(4))
        end = _group_end(latex, m.end())
        if end is None:  # \sum_{i=0}^{2} v_i[t] \frac{..}{..} + ...: the product after it
            end = _product_end(latex, m.end())
        if end is None or hi < lo or hi - lo > 16:
            continue
        body = latex[m.end():end]
        if not any(f == name and x == letter for name, x in slot_letters(body)
                   for f in families):
            continue
        terms = " + ".join(at_slot(body, letter, k) for k in range(lo, hi + 1))
        out.append(latex[pos:m.start()] + "\\left(" + terms + "\\right)")
        pos = end
    return "".join(out) + latex[pos:]
