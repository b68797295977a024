"""The symgrad command as a user runs it: help, show, list, errors, exit statuses."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from symgrad.cli import main


def run(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "symgrad", *args], capture_output=True,
                          text=True, input=stdin, timeout=300)


def test_help_lists_commands():
    r = run("--help")
    assert r.returncode == 0
    for cmd in ("answers", "show", "check", "list", "review"):
        assert cmd in r.stdout


def test_help_of_every_subcommand_documents_every_option():
    """A new user's --help pass: the top level names problem sets and derive; every
    subcommand's options have a help text (show's --index-base had none)."""
    from symgrad.cli import _parser

    r = run("--help")
    assert "--set" in r.stdout and "derive" in r.stdout and "problem sets" in r.stdout
    parser = _parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    for name, p in sub.choices.items():
        for action in p._actions:
            assert action.help, (name, action.option_strings or action.dest)
    answers = run("answers", "--help").stdout
    assert "hw2.tex" not in answers and "NAME.tex" in answers


def test_answers_names_the_pdf_as_the_user_named_the_folder(tmp_path, monkeypatch, capsys):
    import shutil

    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex is not installed")
    monkeypatch.chdir(tmp_path)
    set_file = tmp_path / "mini.toml"
    set_file.write_text("name = 'mini'\ntitle = 'Mini'\n[models.m]\nequations = 'a = W x'\n"
                        "shapes = 'x: n, W: m x n'\n[[questions]]\nid = '1'\n"
                        "statement = 'da/dx'\nderive = [{ what = 'jacobian', of = 'a', "
                        "wrt = 'x' }]\n")
    assert main(["answers", "--set", "mini.toml", "--out", "out", "--pdf"]) == 0
    assert "wrote out/mini.pdf\n" in capsys.readouterr().out
    assert main(["answers", "--set", "mini.toml", "--out", "out", "--pdf"]) == 0
    assert "out/mini.pdf is up to date" in capsys.readouterr().out


def test_show_prints_engine_latex(capsys):
    assert main(["show", "1.1.c.iii"]) == 0
    out = capsys.readouterr().out
    assert r"1 \le l - 2 j + 2 \le 3" in out


def test_unknown_question_is_one_line_exit_2():
    r = run("show", "9.9.z")
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "no question" in r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize("args", [["check", "1.1.a"], ["check", "1.1.a", "--latex", "1",
                                                        "--file", "x"]])
def test_check_needs_exactly_one_claim(args, capsys):
    assert main(args) == 2
    assert "give the claim once" in capsys.readouterr().err


def test_check_file_with_nul_or_bad_utf8(tmp_path, capsys):
    nul = tmp_path / "nul.tex"
    nul.write_bytes(b"5 \\times\x00 2")
    bad = tmp_path / "bad.tex"
    bad.write_bytes(b"5 \\times \xff 2")
    assert main(["check", "1.1.a", "--file", str(nul)]) == 2
    assert "NUL" in capsys.readouterr().err
    assert main(["check", "1.1.a", "--file", str(bad)]) == 2
    assert "UTF-8" in capsys.readouterr().err
    assert main(["check", "1.1.a", "--file", str(tmp_path / "missing.tex")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_list(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "1.2.2.f" in out and "1.3.4" in out


def test_killed_answers_run_leaves_old_or_new_files(tmp_path):
    import os
    import signal
    import time

    from symgrad.problems.hw2 import document_files

    out = tmp_path / "out"
    only = ["1.1.a", "1.1.b", "1.1.c.i", "1.1.c.ii", "1.1.c.iii", "1.1.c.iv", "1.2.1.b"]
    assert main(["answers", "--out", str(out), "--no-pdf", "--index-base", "0",
                 "--only", *only]) == 0
    old = {p.name: p.read_bytes() for p in out.iterdir()}
    new = {k: v.encode() if isinstance(v, str) else v
           for k, v in document_files(1, only).items()}
    for delay in (0.5, 1.5, 3.0):
        proc = subprocess.Popen([sys.executable, "-m", "symgrad", "answers", "--out", str(out),
                                 "--no-pdf", "--only", *only], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(delay)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        for path in out.iterdir():
            if path.name.startswith(".symgrad") or path.name.endswith(".tmp"):
                continue
            data = path.read_bytes()
            assert data in (old.get(path.name), new.get(path.name)), path.name
    assert main(["answers", "--out", str(out), "--no-pdf", "--only", *only]) == 0
    for name, data in new.items():
        assert (out / name).read_bytes() == data


@pytest.mark.parametrize("args", [["check", "1.1.a", "--latex", "-x", "--json"],
                                  ["check", "1.1.a", "--latex=-x", "--json"]])
def test_check_claim_starting_with_minus(args, capsys):
    assert main(args) == 2
    data = json.loads(capsys.readouterr().out)
    assert data["verdict"] == "unparsed" and data["claim_latex"] == "-x"


def test_check_positional_claim(capsys):
    assert main(["check", "1.1.a", "5 \\times 2", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["verdict"] == "correct"
    assert main(["check", "1.1.a", "c \\times 5 \\times 2"]) == 1
    assert capsys.readouterr().out.startswith("INCORRECT")


@pytest.mark.parametrize("args, words", [
    (["check", "--json"], "required: id"),
    (["check", "1.1.a", "--json"], "give the claim once"),
    (["check", "9.9.z", "--latex", "x", "--json"], "no question"),
    (["check", "1.1.a", "--latex", "x", "--index-base", "7", "--json"], "invalid choice"),
    (["check", "1.1.a", "--json", "--latex"], "expected one argument"),
])
def test_check_json_usage_errors(args, words, capsys):
    assert main(args) == 2
    out = capsys.readouterr()
    data = json.loads(out.out)
    assert words in data["error"] and data["verdict"] is None


def test_usage_error_without_json_is_usage_and_one_line(capsys):
    assert main(["check"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: symgrad check") and "symgrad: error: " in err


def test_review_json_and_exit_status(tmp_path):
    data_dir = Path(__file__).parent / "data" / "review"
    r = run("review", str(data_dir / "student.md"), str(data_dir / "broken.ipynb"), "--json")
    assert r.returncode == 2                      # a file could not be read
    data = json.loads(r.stdout)
    assert data["summary"]["errors"] == 1 and data["summary"]["claims"] == 6
    assert {c["question"] for c in data["claims"]} >= {"1.1.a", "1.1.c.iii"}
    assert all(set(c) >= {"question", "latex", "verdict", "explanation", "hint", "line"}
               for c in data["claims"])
    r = run("review", str(data_dir / "student.md"), "--out", str(tmp_path / "o"))
    assert r.returncode == 1                      # some claim is wrong
    assert "1.1.c.i" in r.stdout and (tmp_path / "o" / "student.reviewed.md").is_file()


def test_review_refuses_the_input_folder(tmp_path, capsys):
    src = tmp_path / "a.md"
    src.write_text("## 1.1.a\nThe output is $5 \\times 2$.\n")
    assert main(["review", str(src), "--out", str(tmp_path)]) == 2
    assert "writes nothing beside" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.md"]


# --- answers: the output folder, the cache, --only, the PDF (issue 14) ---------------------

@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """A complete output folder written once by `symgrad answers --no-pdf`."""
    from symgrad.render import output

    out = tmp_path_factory.mktemp("written") / "out"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(output, "code_digest", lambda: "fixed")
        assert main(["answers", "--out", str(out), "--no-pdf"]) == 0
    return out


@pytest.fixture
def out_dir(written, tmp_path, monkeypatch):
    """A private copy of the written folder; symgrad's code digest held fixed, so the
    cache is not invalidated by edits of the working tree while the test runs."""
    import shutil

    from symgrad.render import output

    monkeypatch.setattr(output, "code_digest", lambda: "fixed")
    out = tmp_path / "out"
    shutil.copytree(written, out)
    return out


def _sections(tex: str) -> list[str]:
    import re

    return re.findall(r"\\subsection\*\{([^}]*)\}", tex)


def test_rerun_with_nothing_changed_computes_and_writes_nothing(out_dir, capsys):
    import time

    before = {p.name: p.stat().st_mtime_ns for p in out_dir.iterdir()}
    start = time.perf_counter()
    assert main(["answers", "--out", str(out_dir), "--no-pdf"]) == 0
    assert time.perf_counter() - start < 1.0
    out = capsys.readouterr()
    assert "nothing changed" in out.out and "[1/" not in out.err
    assert {p.name: p.stat().st_mtime_ns for p in out_dir.iterdir()} == before


def test_only_refreshes_its_answers_inside_the_complete_writeup(out_dir, capsys):
    from symgrad.problems.hw2 import HW2

    full = (out_dir / "hw2.tex").read_text()
    assert main(["answers", "--out", str(out_dir), "--no-pdf", "--only", "1.1.a"]) == 0
    err = capsys.readouterr().err
    assert "[1/1] 1.1.a" in err
    assert _sections((out_dir / "hw2.tex").read_text()) == list(HW2.questions)
    assert (out_dir / "hw2.tex").read_text() == full
    capsys.readouterr()
    assert main(["answers", "--out", str(out_dir), "--no-pdf", "--only", "1.2.2.e",
                 "1.1.b"]) == 0
    assert capsys.readouterr().err.count("[") == 2
    assert (out_dir / "hw2.tex").read_text() == full


def test_output_folder_problems_are_found_before_any_work(out_dir, tmp_path, capsys):
    a_file = tmp_path / "notes.txt"
    a_file.write_text("mine")
    assert main(["answers", "--out", str(a_file), "--no-pdf"]) == 2
    err = capsys.readouterr().err
    assert "is a file, not a folder" in err and "[1/" not in err
    assert a_file.read_text() == "mine"
    assert main(["answers", "--out", str(a_file / "sub"), "--no-pdf"]) == 2
    assert "is a file" in capsys.readouterr().err
    edited = out_dir / "answer-1_3_4.tex"
    edited.write_text("my own answer")
    (out_dir / ".symgrad-answers.json").unlink()
    assert main(["answers", "--out", str(out_dir), "--no-pdf"]) == 2
    err = capsys.readouterr().err
    assert str(edited) in err and "--force" in err and "[1/" not in err
    assert edited.read_text() == "my own answer"


def test_pdf_asked_without_pdflatex_fails_before_writing(tmp_path, monkeypatch, capsys):
    import shutil

    monkeypatch.setattr(shutil, "which", lambda name: None)
    out = tmp_path / "out"
    assert main(["answers", "--out", str(out), "--pdf"]) == 2
    err = capsys.readouterr().err
    assert "pdflatex is not installed" in err and "--no-pdf" in err and "[1/" not in err
    assert not out.exists()


def _needs_latex():
    import os
    import shutil

    if shutil.which("pdflatex") is None or shutil.which("latexmk") is None:
        if os.environ.get("SYMGRAD_REQUIRE_LATEX") == "1":
            pytest.fail("pdflatex and latexmk are required (SYMGRAD_REQUIRE_LATEX=1)")
        pytest.skip("pdflatex/latexmk are not installed")


_RUN_CLI = """
import sys
from symgrad.render import output
output.code_digest = lambda: "fixed"
from symgrad.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_ctrl_c_during_the_pdf_build_keeps_the_old_pdf_and_the_next_run_works(out_dir):
    """SIGINT at several moments of the LaTeX build: hw2.pdf is the old one or a complete
    new one, nothing is left that breaks the next run (issue 14: a stale .fdb_latexmk made
    every later run fail, and 3 of 4 interruptions corrupted hw2.pdf)."""
    import signal
    import time

    from symgrad.render.output import pdf_is_current

    _needs_latex()
    cmd = [sys.executable, "-c", _RUN_CLI, "answers", "--out", str(out_dir), "--pdf"]
    assert subprocess.run(cmd, capture_output=True, timeout=300).returncode == 0
    pdf = out_dir / "hw2.pdf"
    old = pdf.read_bytes()
    for delay in (0.0, 0.4, 1.0, 2.0, 3.5):
        (out_dir / ".hw2.pdf-stamp.json").unlink(missing_ok=True)    # force a rebuild
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                text=True)
        for line in proc.stderr:
            if line.startswith("building the PDF"):
                break
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=120)
        data = pdf.read_bytes()
        assert data == old or (data.startswith(b"%PDF") and data.rstrip().endswith(b"%%EOF"))
        old = data          # (a build folder a signal in its cleanup left: next run)
    for suffix in (".fdb_latexmk", ".aux"):          # what an old symgrad left behind
        (out_dir / ("hw2" + suffix)).write_text("garbage {")
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert pdf_is_current(out_dir / "hw2.tex") and pdf.read_bytes().startswith(b"%PDF")
    assert not [p for p in out_dir.iterdir() if p.is_dir()], "a build folder is left"
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert "hw2.pdf is up to date" in r.stdout and "building" not in r.stderr


# --- CLI usability (issue 14) -------------------------------------------------------------

def test_version(capsys):
    from symgrad import __version__

    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"symgrad {__version__}\n"
    assert "--version" in run("--help").stdout


@pytest.mark.parametrize("args, usage", [
    (["answers", "--ouy", "x"], "usage: symgrad answers"),
    (["check", "1.1.a", "--latx", "1"], "usage: symgrad check"),
    (["show", "1.1.a", "--bogus"], "usage: symgrad show"),
])
def test_mistyped_option_prints_the_subcommands_usage(args, usage, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith(usage) and "unrecognized arguments" in err


@pytest.mark.parametrize("qid, meant", [
    ("1.1.c.3", "did you mean 1.1.c.iii?"),
    ("1.2.2e", "did you mean 1.2.2.e?"),
    ("1.1.c", "did you mean 1.1.c.i, 1.1.c.ii, 1.1.c.iii or 1.1.c.iv?"),
])
def test_unknown_ids_get_did_you_mean(qid, meant, capsys):
    assert main(["show", qid]) == 2
    assert meant in capsys.readouterr().err
    assert main(["check", qid, "x", "--json"]) == 2
    assert meant in json.loads(capsys.readouterr().out)["error"]


@pytest.mark.parametrize("qid, kind", [("1.2.1.a", "a diagram question"),
                                       ("1.2.2.a", "a diagram question"),
                                       ("1.3.2", "answered in prose")])
def test_check_of_a_question_without_claims_says_what_it_is(qid, kind, capsys):
    assert main(["check", qid, "x"]) == 2
    err = capsys.readouterr().err
    assert kind in err and f"symgrad show {qid}" in err


def test_json_counterexample_values_are_always_text(capsys):
    claims = [("1.1.a", r"c \times 5 \times 2"),
              ("1.1.b", r"F \times \lfloor \frac{H-DK+P+S}{S} \rfloor \times "
                        r"\lfloor \frac{W-DK+P+S}{S} \rfloor")]
    for qid, claim in claims:
        assert main(["check", qid, claim, "--json"]) == 1
        example = json.loads(capsys.readouterr().out)["counterexample"]
        assert isinstance(example["claimed"], str) and isinstance(example["true"], str)
