"""Answers in Jupyter (issue 14): Markdown with math, tables, figures and diagrams as images."""

from __future__ import annotations

import os
import shutil

import pytest

import symgrad as sg
from symgrad.render.notebook import answer_markdown, tikz_png


def test_answer_markdown_converts_the_document_fragment():
    tex = (r"\paragraph{Dimension.} It is \emph{small}: $x \in \mathbb{R}^{n}$, i.e.\ 50\% "
           "of it.\n\\[ a = b \\\\ c \\]\n\\begin{itemize}\n\\item one\n\\item two\n"
           "\\end{itemize}\n\\begin{center}\n\\begin{tabular}{lc}\nA & $B$ \\\\\n\\hline\n"
           "1 & 2 \\\\\n\\end{tabular}\n\\end{center}\n\\begin{gather*}\nx = 1, \\\\\ny = 2\n"
           "\\end{gather*}\n\\includegraphics[width=0.8\\linewidth]{f.png}")
    md = answer_markdown(tex, {"f.png": b"\x89PNG"}, "1.1: title")
    assert md.startswith("### 1.1: title\n\n**Dimension.** It is *small*: $x \\in "
                         "\\mathbb{R}^{n}$, i.e. 50% of it.")
    assert "$$a = b \\\\ c$$" in md                 # math is kept as written
    assert "\n- one\n- two" in md
    assert "| A | $B$ |\n|---|---|\n| 1 | 2 |" in md
    assert "$$\\begin{gathered} x = 1, \\\\ y = 2 \\end{gathered}$$" in md
    assert "![f.png](data:image/png;base64,iVBORw==)" in md


def test_answer_reprs():
    ans = sg.answer("1.2.1.d")
    md = ans._repr_markdown_()
    assert md.startswith("### 1.2.1.d") and "| regime |" in md
    assert "![rnn_jacobian_norms.png](data:image/png;base64," in md
    assert sg.answer("1.2.2.d")._repr_latex_() is None   # no quantity: Markdown only
    assert sg.answer("1.2.1.b")._repr_latex_().startswith("$$")
    assert repr(sg.answer("1.1.a")).startswith("<Answer 1.1.a:")


def test_diagrams_are_images_or_a_note(monkeypatch):
    md = sg.answer("1.2.2.a")._repr_markdown_()
    if shutil.which("pdflatex") and shutil.which("pdftoppm"):
        assert "![diagram " in md and "](data:image/png;base64," in md
    tikz_png.cache_clear()
    monkeypatch.setattr(shutil, "which", lambda name: None)
    md = answer_markdown(r"\begin{tikzpicture}\draw (0,0) -- (1,1);\end{tikzpicture}")
    assert "A TikZ diagram" in md and "tikzpicture" not in md
    tikz_png.cache_clear()


@pytest.mark.skipif(not (shutil.which("pdflatex") and shutil.which("pdftoppm"))
                    and not os.environ.get("SYMGRAD_REQUIRE_LATEX"),
                    reason="pdflatex and pdftoppm are needed to draw a diagram (CI installs "
                           "them and sets SYMGRAD_REQUIRE_LATEX)")
def test_tikz_png_is_a_cropped_image():
    png = tikz_png(r"\begin{tikzpicture}\draw (0,0) rectangle (2,1);\end{tikzpicture}")
    assert png is not None and png.startswith(b"\x89PNG")
    assert tikz_png(r"\begin{tikzpicture}\undefinedmacro\end{tikzpicture}") is None
