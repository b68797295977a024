"""Annotated copies: .md notes, .ipynb verdict cells, .tex boxes compiled as untrusted input."""

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from symgrad.core.errors import SymgradError
from symgrad.verify.annotate import (
    annotate_markdown,
    annotate_notebook,
    annotate_tex,
    compile_untrusted,
    md_note,
    tex_escape,
    tex_note,
    write_annotated,
)
from symgrad.verify.review import Reviewer

DATA = Path(__file__).parent / "data" / "review"
REQUIRE = os.environ.get("SYMGRAD_REQUIRE_LATEX") == "1"
needs_latex = pytest.mark.skipif(shutil.which("pdflatex") is None and not REQUIRE,
                                 reason="pdflatex is not installed")


@pytest.fixture(scope="module")
def reviewer():
    return Reviewer()


def test_markdown_notes_under_claims_and_text_kept(reviewer):
    r = reviewer.review_file(DATA / "student.md")
    out = annotate_markdown(r)
    notes = [ln for ln in out.splitlines() if re.match(r"> \S+ \*\*symgrad", ln)]
    assert len(notes) == len(r.claims)
    assert "> \u274c **symgrad 1.1.c.i: INCORRECT**" in out
    kept = [ln for ln in out.splitlines() if not ln.startswith(">")]
    assert [ln for ln in kept if ln.strip()] == \
        [ln for ln in (DATA / "student.md").read_text().splitlines() if ln.strip()]


def test_notebook_verdict_cells_validate_and_run(reviewer, tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    r = reviewer.review_file(DATA / "student.ipynb")
    nb = nbformat.reads(annotate_notebook(r), as_version=4)
    nbformat.validate(nb)
    kinds = [c.get("metadata", {}).get("symgrad") is not None for c in nb.cells]
    assert sum(kinds) == len({c.cell for c in r.claims})
    first = next(i for i, k in enumerate(kinds) if k)
    assert "1.1.a: " in nb.cells[first].source and first == 2   # after its cell
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3").execute()


def test_tex_escape_lets_no_command_through():
    s = tex_escape(r"\input{/etc/passwd} $x_1^2$ 50% #1 & ~ \write18{rm}")
    assert "\\input" not in s and "\\write18" not in s and " {/etc" not in s
    assert "\\textbackslash{}input\\{/etc/passwd\\}" in s


def test_tex_boxes_beside_each_claim(reviewer):
    r = reviewer.review_file(DATA / "student.tex")
    tex = annotate_tex(r)
    assert tex.count("\\symgradverdict{sg") == len(r.claims)
    assert tex.index("\\usepackage{xcolor}") < tex.index("\\begin{document}")
    assert tex.index("1.1.c.i: INCORRECT") > tex.index("x[c, 2j+k-1]")


@needs_latex
def test_annotated_tex_compiles(reviewer, tmp_path):
    r = reviewer.review_file(DATA / "student.tex")
    notes = write_annotated([r], tmp_path)
    pdf = tmp_path / "student.reviewed.pdf"
    assert f"wrote {pdf}" in notes and pdf.read_bytes().startswith(b"%PDF")
    assert not any(p.name.startswith(".symgrad-build") for p in tmp_path.iterdir())


@needs_latex
def test_hostile_tex_is_contained(reviewer, tmp_path):
    before = sorted(p.name for p in DATA.iterdir())
    out = tmp_path / "out"
    rs = reviewer.review([DATA / n for n in ("hostile_input.tex", "hostile_write18.tex",
                                             "hostile_loop.tex", "student.tex")])
    notes = write_annotated(rs, out, timeout=5)
    errors = [n for n in notes if ": error: " in n]
    assert len(errors) == 3
    assert "/etc/passwd" in errors[0]
    assert "can't write" in errors[1]
    assert "time limit of 5 s" in errors[2]
    assert f"wrote {out / 'student.reviewed.pdf'}" in notes            # the others go on
    passwd = Path("/etc/passwd").read_text().splitlines()[0]
    for p in out.rglob("*"):
        if p.is_file():
            assert passwd not in p.read_text(errors="replace")
    assert not (tmp_path / "symgrad-escaped.txt").exists()
    assert not any(tmp_path.rglob("symgrad-pwned")) and not Path("symgrad-pwned").exists()
    assert sorted(p.name for p in DATA.iterdir()) == before             # input untouched


def test_compile_without_pdflatex_is_an_error(monkeypatch, tmp_path):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    tex = tmp_path / "a.tex"
    tex.write_text("x")
    with pytest.raises(SymgradError):
        compile_untrusted(tex)


def test_summary_file_for_several_files(reviewer, tmp_path):
    rs = reviewer.review([DATA / "student.md", DATA / "broken.ipynb"])
    notes = write_annotated(rs, tmp_path, pdf=False)
    summary = (tmp_path / "review-summary.md").read_text()
    assert "| student.md |" in summary and "broken.ipynb" in summary
    assert any("broken.ipynb: not annotated" in n for n in notes)
    assert json.loads(json.dumps(notes)) == notes


def test_notes_typeset_formulas_and_keep_commands_out():
    text = (r"H_{out} = \left\lfloor{\frac{H + 2 P - 1}{S}}\right\rfloor + 1 is the output "
            r"height of f_W(x). x_{c,k + 2 j - 1} reaches position 8")
    assert md_note(text) == (r"$H_{out} = \left\lfloor{\frac{H + 2 P - 1}{S}}\right\rfloor + 1$"
                             r" is the output height of $f_W(x)$. $x_{c,k + 2 j - 1}$ reaches "
                             r"position 8")
    assert tex_note(text).startswith(r"$H_{out} = \left\lfloor")
    # a student's command echoed in a verdict is never typeset
    hostile = tex_note(r"\input{/etc/passwd} and \write18{ls} are x_{1}")
    assert "\\input{" not in hostile and "\\write18{" not in hostile
    assert "$x_{1}$" in hostile


def test_missing_package_left_out_not_the_whole_pdf(tmp_path):
    if shutil.which("pdflatex") is None:
        if os.environ.get("SYMGRAD_REQUIRE_LATEX") == "1":
            pytest.fail("pdflatex is required (SYMGRAD_REQUIRE_LATEX=1)")
        pytest.skip("pdflatex is not installed")
    tex = tmp_path / "a.reviewed.tex"
    tex.write_text("\\documentclass{article}\n\\usepackage{amsmath,symgradnosuchpkg}\n"
                   "\\begin{document}\nHello $x^2$.\n\\end{document}\n")
    pdf = compile_untrusted(tex)
    assert pdf.is_file()
    assert "package symgradnosuchpkg is not installed here" in tex.read_text()
    assert "\\usepackage{amsmath}" in tex.read_text()
