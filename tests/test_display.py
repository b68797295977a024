"""Displays broken to fit a plain article's text width (render.display), so that pasted
answers do not overflow (issue 14)."""

from __future__ import annotations

import re

from symgrad.render.display import DISPLAY_WIDTH, break_line, fit_displays, width

LONG = " + ".join(rf"a_{{{k}}} \left(x_{{{k}}} - y_{{{k}}}\right)^{{2}}" for k in range(12))


def _balanced(tex: str) -> bool:
    return tex.count("{") == tex.count("}") and tex.count(r"\left") == tex.count(r"\right") \
        and tex.count(r"\bigl") == tex.count(r"\bigr") \
        and tex.count(r"\begin{") == tex.count(r"\end{")


def test_short_displays_are_left_alone():
    tex = r"Text \[ f(x) = x^{2} \] and \[ \begin{gathered} a = b \\ c = d \end{gathered} \]"
    assert fit_displays(tex) == tex


def test_a_long_formula_is_broken_at_its_operators():
    lines = break_line("f = " + LONG)
    assert len(lines) > 1
    assert all(width(line) <= DISPLAY_WIDTH for line in lines)
    assert all(line.startswith("+") for line in lines[1:])
    assert " ".join(lines).split() == ("f = " + LONG).split()
    out = fit_displays(r"\[ f = " + LONG + r" \]")
    assert r"\begin{aligned} &f = " in out and r" \\ &\quad + " in out and _balanced(out)


def test_rows_of_gathered_aligned_and_gather_are_broken_alone():
    gathered = fit_displays(r"\[ \begin{gathered} y = 1 \\ f = " + LONG
                            + r" \end{gathered} \]")
    assert gathered.startswith(r"\[ \begin{gathered} y = 1 \\ \begin{aligned} &f = ")
    assert _balanced(gathered)
    aligned = fit_displays(r"\[ \begin{aligned} y &= 1 \\ f &= " + LONG
                           + r" \end{aligned} \]")
    assert r"f &= a_{0}" in aligned and r"\\ &\quad + " in aligned and _balanced(aligned)
    gather = fit_displays("\\begin{gather*}\ny = 1, \\\\\nf = " + LONG + "\n\\end{gather*}")
    assert gather.startswith("\\begin{gather*}\ny = 1, \\\\") and _balanced(gather)


def test_a_wide_left_right_group_is_opened_to_break_inside():
    inner = r"\left(" + LONG + r"\right)"
    lines = break_line(r"\ell = \mathbf{1}^{\top} " + inner)
    assert len(lines) > 1 and r"\bigl(" in lines[0] and r"\bigr)" in lines[-1]
    assert _balanced(" ".join(lines))


def test_a_cases_condition_list_continues_on_its_own_row():
    tex = (r"\[ J = \begin{cases} W[\frac{P + S + l - S j - 1}{D} + 1] & \text{if } 1 \le "
           r"\frac{P + S + l - S j - 1}{D} + 1 \le K,\ D \mid D + P + S + l - S j - 1 \\ "
           r"0 & \text{otherwise} \end{cases} \]")
    out = fit_displays(tex)
    assert r"\le K, \\ & \quad D \mid" in out and _balanced(out)
    assert len(re.findall(r"\\\\", out)) == 2
