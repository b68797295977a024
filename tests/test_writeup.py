"""Reading write-ups: formats, offsets kept, malformed files refused in one line."""

import json

import pytest

from symgrad.core.errors import SymgradError
from symgrad.verify.writeup import read_writeup


def test_tex_comments_and_preamble_blanked_offsets_kept(tmp_path):
    src = "\\documentclass{article}\n\\newcommand{\\x}{$a=1$}\n\\begin{document}\n" \
          "% $b = 2$\nText $c = 3$.\n\\end{document}\n"
    p = tmp_path / "a.tex"
    p.write_text(src)
    doc = read_writeup(p)
    assert len(doc.text) == len(src) and "$a=1$" not in doc.text and "$b = 2$" not in doc.text
    at = doc.text.index("$c = 3$")
    assert src[at:at + 7] == "$c = 3$" and doc.line(at) == 5


def test_markdown_code_is_not_read(tmp_path):
    p = tmp_path / "a.md"
    p.write_text("## 1.1.a\n```\n$x = 1$\n```\nThe output is `$y$` and $5 \\times 2$.\n")
    doc = read_writeup(p)
    assert "$x = 1$" not in doc.text and "`$y$`" not in doc.text and "$5 \\times 2$" in doc.text


def test_notebook_cells_and_lines(tmp_path):
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "markdown", "id": "a", "metadata": {}, "source": ["# 1.1.a\n", "x\n", "$5 \\times 2$"]},  # noqa: E501
        {"cell_type": "code", "id": "b", "metadata": {}, "outputs": [], "execution_count": None,
         "source": "y = '$1 = 2$'"}]}
    p = tmp_path / "a.ipynb"
    p.write_text(json.dumps(nb))
    doc = read_writeup(p)
    at = doc.text.index("$5")
    assert doc.cell(at) == 0 and doc.line(at) == 3
    assert "$1 = 2$" not in doc.text                      # code cells are not claims


@pytest.mark.parametrize("name, data, words", [
    ("a.md", b"## 1.1.a\n$5$\x00", "NUL"),
    ("a.md", b"## 1.1.a \xff\xfe", "UTF-8"),
    ("a.ipynb", b"{\"cells\": [", "invalid JSON"),
    ("a.ipynb", b"{\"nbformat\": 3, \"cells\": []}", "nbformat 3"),
    ("a.ipynb", b"{\"nbformat\": 4, \"cells\": [{\"cell_type\": \"markdown\", \"source\": 5}]}",
     "no text source"),
    ("a.docx", b"PK", "unknown format"),
])
def test_malformed_files_one_line_error(tmp_path, name, data, words):
    p = tmp_path / name
    p.write_bytes(data)
    with pytest.raises(SymgradError) as e:
        read_writeup(p)
    assert words in str(e.value) and "\n" not in str(e.value)
