"""Output files: atomic writes, the manifest that protects user edits, PDF builds."""

from __future__ import annotations

import hashlib
import json
import os
import shutil

import pytest

from symgrad.core.errors import SymgradError
from symgrad.render import output
from symgrad.render.output import (
    MANIFEST_NAME,
    PENDING_NAME,
    UserEditedError,
    build_pdf,
    latex_document,
    write_atomic,
    write_outputs,
)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _manifest(out) -> dict[str, str]:
    return json.loads((out / MANIFEST_NAME).read_text())


def test_write_atomic_replaces_and_leaves_no_temp(tmp_path):
    target = tmp_path / "a.tex"
    write_atomic(target, "one\n")
    write_atomic(target, "two ∑\r\n")
    assert target.read_bytes() == "two ∑\r\n".encode()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.tex"]


def test_write_atomic_keeps_old_content_on_failure(tmp_path, monkeypatch):
    target = tmp_path / "a.tex"
    write_atomic(target, "old")

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        write_atomic(target, "new")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.tex"]


def test_write_atomic_missing_directory(tmp_path):
    with pytest.raises(SymgradError, match="cannot write"):
        write_atomic(tmp_path / "nope" / "a.tex", "x")


def test_write_outputs_first_run_and_manifest_format(tmp_path):
    out = tmp_path / "outputs"
    files = {"b.tex": "B\n", "a.tex": "A\n", "sub/c.tex": "C\n"}
    assert write_outputs(out, files) == ["b.tex", "a.tex", "sub/c.tex"]
    assert (out / "sub" / "c.tex").read_text() == "C\n"
    raw = (out / MANIFEST_NAME).read_text()
    assert raw.endswith("}\n")
    assert list(json.loads(raw)) == ["a.tex", "b.tex", "sub/c.tex"]
    assert json.loads(raw) == {k: _sha(v) for k, v in files.items()}
    assert raw == json.dumps(json.loads(raw), sort_keys=True, indent=2) + "\n"
    assert not (out / PENDING_NAME).exists()


def test_unchanged_files_not_rewritten(tmp_path):
    write_outputs(tmp_path, {"a.tex": "A", "b.tex": "B"})
    before = {p: os.stat(tmp_path / p).st_ino for p in ("a.tex", "b.tex", MANIFEST_NAME)}
    assert write_outputs(tmp_path, {"a.tex": "A", "b.tex": "B"}) == []
    assert write_outputs(tmp_path, {"a.tex": "A", "b.tex": "B2"}) == ["b.tex"]
    assert os.stat(tmp_path / "a.tex").st_ino == before["a.tex"]
    assert os.stat(tmp_path / "b.tex").st_ino != before["b.tex"]
    assert _manifest(tmp_path)["b.tex"] == _sha("B2")


def test_edited_file_refused_before_anything_is_written(tmp_path):
    write_outputs(tmp_path, {"a.tex": "A", "b.tex": "B"})
    (tmp_path / "b.tex").write_text("B, with my own notes")
    manifest = (tmp_path / MANIFEST_NAME).read_text()
    with pytest.raises(UserEditedError) as info:
        write_outputs(tmp_path, {"a.tex": "A2", "b.tex": "B2"})
    message = str(info.value)
    assert "b.tex was edited since symgrad wrote it" in message
    assert "move it away or pass --force to overwrite" in message
    assert str(tmp_path / "b.tex") in message and "a.tex" not in message
    assert isinstance(info.value, SymgradError)
    assert (tmp_path / "a.tex").read_text() == "A"
    assert (tmp_path / "b.tex").read_text() == "B, with my own notes"
    assert (tmp_path / MANIFEST_NAME).read_text() == manifest


def test_unknown_file_refused(tmp_path):
    (tmp_path / "hw2.tex").write_text("someone else's")
    with pytest.raises(UserEditedError, match=r"hw2\.tex exists but was not written by symgrad"):
        write_outputs(tmp_path, {"hw2.tex": "ours", "other.tex": "x"})
    assert not (tmp_path / "other.tex").exists()
    assert not (tmp_path / MANIFEST_NAME).exists()


def test_several_conflicts_all_named(tmp_path):
    (tmp_path / "a.tex").write_text("1")
    (tmp_path / "b.tex").write_text("2")
    with pytest.raises(UserEditedError) as info:
        write_outputs(tmp_path, {"a.tex": "x", "b.tex": "y"})
    assert info.value.paths == [str(tmp_path / "a.tex"), str(tmp_path / "b.tex")]
    assert "b.tex" in str(info.value)


def test_force_overwrites(tmp_path):
    write_outputs(tmp_path, {"a.tex": "A"})
    (tmp_path / "a.tex").write_text("edited")
    (tmp_path / "b.tex").write_text("foreign")
    assert write_outputs(tmp_path, {"a.tex": "A", "b.tex": "B"}, force=True) == ["a.tex", "b.tex"]
    assert (tmp_path / "a.tex").read_text() == "A"
    assert _manifest(tmp_path) == {"a.tex": _sha("A"), "b.tex": _sha("B")}


def test_identical_foreign_file_is_adopted_with_force_only(tmp_path):
    (tmp_path / "a.tex").write_text("A")
    with pytest.raises(UserEditedError):
        write_outputs(tmp_path, {"a.tex": "A"})
    assert write_outputs(tmp_path, {"a.tex": "A"}, force=True) == []
    assert _manifest(tmp_path) == {"a.tex": _sha("A")}


def test_manifest_keeps_other_entries_and_drops_deleted(tmp_path):
    write_outputs(tmp_path, {"a.tex": "A", "b.tex": "B"})
    write_outputs(tmp_path, {"c.tex": "C"})
    assert set(_manifest(tmp_path)) == {"a.tex", "b.tex", "c.tex"}
    (tmp_path / "b.tex").unlink()
    write_outputs(tmp_path, {"a.tex": "A2"})
    assert set(_manifest(tmp_path)) == {"a.tex", "c.tex"}


@pytest.mark.parametrize("name", ["/abs.tex", "../up.tex", "a/../../b", "", MANIFEST_NAME])
def test_bad_names_rejected(tmp_path, name):
    with pytest.raises(SymgradError):
        write_outputs(tmp_path, {name: "x"})


def test_corrupt_manifest(tmp_path):
    (tmp_path / MANIFEST_NAME).write_text("{not json")
    with pytest.raises(SymgradError, match="not a valid symgrad manifest"):
        write_outputs(tmp_path, {"a.tex": "A"})
    assert write_outputs(tmp_path, {"a.tex": "A"}, force=True) == ["a.tex"]
    assert _manifest(tmp_path) == {"a.tex": _sha("A")}


def _fail_on(monkeypatch, victim):
    real = os.replace

    def replace(src, dst):
        if os.fspath(dst) == os.fspath(victim):
            raise OSError("killed")
        return real(src, dst)

    monkeypatch.setattr(os, "replace", replace)


def _consistent(out, names) -> None:
    manifest = _manifest(out)
    for name in names:
        assert manifest[name] == _sha((out / name).read_text())
    leftovers = [p.name for p in out.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


def test_run_failing_midway_leaves_old_or_new_and_manifest_consistent(tmp_path, monkeypatch):
    old = {"a.tex": "A1", "b.tex": "B1", "c.tex": "C1"}
    new = {"a.tex": "A2", "b.tex": "B2", "c.tex": "C2"}
    write_outputs(tmp_path, old)
    _fail_on(monkeypatch, tmp_path / "b.tex")
    with pytest.raises(OSError, match="killed"):
        write_outputs(tmp_path, new)
    assert [(tmp_path / n).read_text() for n in ("a.tex", "b.tex", "c.tex")] == [
        "A2",
        "B1",
        "C1",
    ]
    _consistent(tmp_path, old)
    assert not (tmp_path / PENDING_NAME).exists()
    monkeypatch.undo()
    assert write_outputs(tmp_path, new) == ["b.tex", "c.tex"]
    _consistent(tmp_path, new)


def test_hard_kill_before_manifest_is_recovered_from_journal(tmp_path, monkeypatch):
    old = {"a.tex": "A1", "b.tex": "B1"}
    new = {"a.tex": "A2", "b.tex": "B2"}
    write_outputs(tmp_path, old)
    _fail_on(monkeypatch, tmp_path / "b.tex")
    monkeypatch.setattr(output, "_finish", lambda out, manifest: None)
    with pytest.raises(OSError):
        write_outputs(tmp_path, new)
    assert (tmp_path / PENDING_NAME).exists()
    assert _manifest(tmp_path)["a.tex"] == _sha("A1")
    assert (tmp_path / "a.tex").read_text() == "A2"
    monkeypatch.undo()
    assert write_outputs(tmp_path, new) == ["b.tex"]
    _consistent(tmp_path, new)
    assert not (tmp_path / PENDING_NAME).exists()


def test_journal_does_not_excuse_real_edits(tmp_path, monkeypatch):
    write_outputs(tmp_path, {"a.tex": "A1", "b.tex": "B1"})
    _fail_on(monkeypatch, tmp_path / "b.tex")
    monkeypatch.setattr(output, "_finish", lambda out, manifest: None)
    with pytest.raises(OSError):
        write_outputs(tmp_path, {"a.tex": "A2", "b.tex": "B2"})
    monkeypatch.undo()
    (tmp_path / "a.tex").write_text("my edit")
    with pytest.raises(UserEditedError, match="a.tex"):
        write_outputs(tmp_path, {"a.tex": "A3", "b.tex": "B3"})


def test_latex_document():
    doc = latex_document("Hello $x$", "Homework 2")
    assert doc.startswith("\\documentclass{article}\n")
    for package in ("amsmath", "amssymb", "graphicx", "tikz", "hyperref"):
        assert f"\\usepackage{{{package}}}" in doc
    assert "\\usepackage[margin=2.5cm]{geometry}" in doc
    assert "\\usetikzlibrary{arrows.meta,positioning,calc,fit,backgrounds}" in doc
    assert "\\title{Homework 2}" in doc and "\\date{}" in doc and "\\today" not in doc
    assert doc.index("\\maketitle") < doc.index("Hello $x$") < doc.index("\\end{document}")
    assert doc.endswith("\\end{document}\n")
    assert latex_document("Hello $x$", "Homework 2") == doc


def _latex_available() -> bool:
    if shutil.which("pdflatex") is None:
        if os.environ.get("SYMGRAD_REQUIRE_LATEX") == "1":
            pytest.fail("pdflatex is not installed but SYMGRAD_REQUIRE_LATEX=1")
        pytest.skip("pdflatex is not installed")
    return True


def _visible(folder) -> list[str]:
    """The files a user sees (symgrad's own dot-files aside); no build folder is left."""
    assert not [p for p in folder.iterdir() if p.name.startswith(".") and p.is_dir()]
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


def test_build_pdf_success_cleans_aux(tmp_path):
    _latex_available()
    tex = tmp_path / "doc.tex"
    write_atomic(tex, latex_document("Some math: $\\sigma(z)$.", "Test"))
    pdf = build_pdf(tex)
    assert pdf == tex.with_suffix(".pdf") and pdf.is_file()
    assert _visible(tmp_path) == ["doc.pdf", "doc.tex"]
    assert pdf.rebuilt and pdf.warnings == [] and pdf.log is None


def test_build_pdf_reports_first_error_line(tmp_path):
    _latex_available()
    tex = tmp_path / "broken.tex"
    write_atomic(tex, latex_document("Fine.\n\\undefinedmacro\n\\alsoundefined", "Broken"))
    with pytest.raises(SymgradError) as info:
        build_pdf(tex)
    message = str(info.value)
    assert "! Undefined control sequence." in message
    assert str(tmp_path / "broken.log") in message
    assert "input line 15" in message
    assert (tmp_path / "broken.log").is_file()


def test_build_pdf_without_pdflatex(tmp_path, monkeypatch):
    tex = tmp_path / "doc.tex"
    tex.write_text(latex_document("x", "t"))
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.delenv("SYMGRAD_REQUIRE_LATEX", raising=False)
    assert build_pdf(tex) is None
    with pytest.raises(SymgradError, match="pdflatex is not installed"):
        build_pdf(tex, require=True)
    monkeypatch.setenv("SYMGRAD_REQUIRE_LATEX", "1")
    with pytest.raises(SymgradError, match="SYMGRAD_REQUIRE_LATEX"):
        build_pdf(tex)
    assert build_pdf(tex, require=False) is None


def test_build_pdf_pdflatex_fallback(tmp_path, monkeypatch):
    _latex_available()
    real = shutil.which
    monkeypatch.setattr(shutil, "which", lambda name: None if name == "latexmk" else real(name))
    tex = tmp_path / "doc.tex"
    write_atomic(tex, latex_document("Fallback.", "T"))
    assert build_pdf(tex) == tex.with_suffix(".pdf")
    assert _visible(tmp_path) == ["doc.pdf", "doc.tex"]


def test_build_pdf_timeout(tmp_path, monkeypatch):
    _latex_available()
    tex = tmp_path / "doc.tex"
    write_atomic(tex, latex_document("Slow.", "T"))
    monkeypatch.setattr(output, "LATEX_TIMEOUT", 0.001)
    with pytest.raises(SymgradError, match="timed out after 0.001 s"):
        build_pdf(tex)


def test_build_pdf_missing_file(tmp_path):
    with pytest.raises(SymgradError, match="does not exist"):
        build_pdf(tmp_path / "nope.tex")


def test_build_pdf_survives_stale_state_of_an_interrupted_build(tmp_path):
    """A half-written .fdb_latexmk/.aux and a leftover build folder beside the file made
    every later latexmk run fail ("no '!' error line in the log")."""
    _latex_available()
    tex = tmp_path / "doc.tex"
    write_atomic(tex, latex_document("Stale state. \\ref{x}", "T"))
    (tmp_path / "doc.fdb_latexmk").write_text("# Fdb version 3\n[\"pdflatex\"] garbage\n")
    (tmp_path / "doc.aux").write_text("\\relax\n\\garbage{\n")
    (tmp_path / "doc.fls").write_bytes(b"\x00\x01")
    (tmp_path / ".doc.build-abc").mkdir()
    (tmp_path / ".doc.build-abc" / "doc.pdf").write_text("half")
    pdf = build_pdf(tex)
    assert pdf.read_bytes().startswith(b"%PDF")
    assert _visible(tmp_path) == ["doc.pdf", "doc.tex"]


def test_build_pdf_not_rebuilt_when_nothing_changed(tmp_path):
    _latex_available()
    tex = tmp_path / "doc.tex"
    write_atomic(tex, latex_document("Once.", "T"))
    first = build_pdf(tex)
    assert first.rebuilt and output.pdf_is_current(tex)
    inode = os.stat(first).st_ino
    again = build_pdf(tex)
    assert not again.rebuilt and os.stat(again).st_ino == inode
    write_atomic(tex, latex_document("Twice.", "T"))
    assert not output.pdf_is_current(tex)
    assert build_pdf(tex).rebuilt
    (tmp_path / "fig.png").write_bytes(b"not really a png")   # an input beside it changed
    assert not output.pdf_is_current(tex)
    assert build_pdf(tex, force=True).rebuilt


def test_build_pdf_failure_keeps_old_pdf_and_log(tmp_path):
    _latex_available()
    tex = tmp_path / "doc.tex"
    write_atomic(tex, latex_document("Good.", "T"))
    old = build_pdf(tex).read_bytes()
    write_atomic(tex, latex_document("Bad \\undefinedmacro", "T"))
    with pytest.raises(SymgradError, match="Undefined control sequence"):
        build_pdf(tex)
    assert (tmp_path / "doc.pdf").read_bytes() == old
    assert "Undefined control sequence" in (tmp_path / "doc.log").read_text()
    assert _visible(tmp_path) == ["doc.log", "doc.pdf", "doc.tex"]
    write_atomic(tex, latex_document("Good again.", "T"))
    assert build_pdf(tex).rebuilt and not (tmp_path / "doc.log").exists()


def test_build_pdf_reports_warnings_that_show_and_keeps_the_log(tmp_path):
    _latex_available()
    tex = tmp_path / "doc.tex"
    wide = "\\[ " + " + ".join(["x_{%d}" % i for i in range(60)]) + " \\]"
    write_atomic(tex, latex_document("Wide: " + wide + "\nText > here.", "T"))
    pdf = build_pdf(tex)
    assert any(w.startswith("Overfull \\hbox") for w in pdf.warnings), pdf.warnings
    assert pdf.log == tmp_path / "doc.log" and pdf.log.is_file()
    log = tmp_path / "w.log"
    log.write_text("Overfull \\hbox (0.5pt too wide) in paragraph\n"
                   "Overfull \\hbox (55.1pt too wide) in paragraph at lines 3--4\n"
                   "Missing character: There is no ^^A in font cmr10!\n")
    assert output.latex_warnings(log) == [
        "Overfull \\hbox (55.1pt too wide) in paragraph at lines 3--4",
        "Missing character: There is no ^^A in font cmr10!"]


_INTERRUPTED_BUILD = """
import sys
from symgrad.render.output import build_pdf
build_pdf(sys.argv[1], force=True)
"""


@pytest.mark.parametrize("delay", [0.2, 0.6, 1.2, 2.0])
def test_build_pdf_interrupted_leaves_the_old_pdf_and_a_working_next_run(tmp_path, delay):
    import signal
    import subprocess
    import sys
    import time

    _latex_available()
    tex = tmp_path / "doc.tex"
    body = "\n\n".join("Page %d. \\[ \\sum_{i=1}^{n} x_i \\] \\newpage" % i for i in range(40))
    write_atomic(tex, latex_document(body, "Old"))
    old = build_pdf(tex).read_bytes()
    write_atomic(tex, latex_document(body.replace("Page", "Seite"), "New"))
    proc = subprocess.Popen([sys.executable, "-c", _INTERRUPTED_BUILD, str(tex)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=120)
    data = (tmp_path / "doc.pdf").read_bytes()
    if data != old:                           # the new one, complete (moved in whole)
        assert data.startswith(b"%PDF") and data.rstrip().endswith(b"%%EOF")
    else:
        assert proc.returncode != 0 and not output.pdf_is_current(tex)
    new = build_pdf(tex)     # also removes a build folder a signal in cleanup may leave
    assert new.read_bytes().startswith(b"%PDF") and output.pdf_is_current(tex)
    assert not [p for p in tmp_path.iterdir() if p.is_dir()], "build folder left behind"
