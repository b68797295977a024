"""Grading a class (issue 25): a folder reviewed in one run over several processes, a cache of
unchanged write-ups, summary.json / summary.csv, Gradescope results, the example autograder."""

from __future__ import annotations

import csv
import json
import os
import pty
import subprocess
import sys
import time
from pathlib import Path

import pytest

from symgrad.cli import main
from symgrad.verify import grading
from symgrad.verify.review import FileReview

ROOT = Path(__file__).resolve().parents[1]
AUTOGRADER = ROOT / "examples" / "gradescope" / "run_autograder"


def tex_writeup(a: str, ci: str, extra: str = "") -> str:
    """A small hw2 write-up: 1.1.a (output size 5 x 2) and 1.1.c.i (shape 1 x 3)."""
    return (f"\\section*{{1.1}}\n\\subsection*{{(a)}}\nThe output is ${a}$.\n\n"
            f"\\subsection*{{(c)}}\n(i)\n\\[ {ci} \\]\n{extra}\n")


RIGHT_A, WRONG_A, LAYOUT_A = r"5 \times 2", r"5 \times 3", r"2 \times 5"
RIGHT_CI = r"f_W(x) \in \mathbb{R}^{1 \times 3}"
HOSTILE = ("Notes <script>alert(1)</script>.\n\n"
           r"\[ f_W(x) = \href{javascript:alert(2)}{x} \]" "\n\n"
           r"\[ f_W(x) = \text{<script>alert(3)</script>} \]" "\n")


def make_class(folder: Path) -> Path:
    """Five write-ups with known verdicts: 1.1.a right once, wrong three times (two share one
    mistake, 5 x 3, one is in another order), a student folder, a hostile .md and a PDF."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "alice.tex").write_text(tex_writeup(RIGHT_A, RIGHT_CI))
    (folder / "bob.tex").write_text(tex_writeup(WRONG_A, RIGHT_CI))
    (folder / "carol").mkdir(exist_ok=True)
    (folder / "carol" / "hw2.tex").write_text(tex_writeup(WRONG_A, RIGHT_CI))
    (folder / "dave.md").write_text(
        "# 1.1\n## (a)\nThe output is $2 \\times 5$.\n\n## (c)\n(i)\n$$" + RIGHT_CI + "$$\n\n"
        + HOSTILE.replace("\\[", "$$").replace("\\]", "$$"))
    (folder / "erin.pdf").write_bytes(b"%PDF-1.4\n")
    (folder / ".hidden").mkdir(exist_ok=True)
    (folder / ".hidden" / "skip.tex").write_text(tex_writeup(WRONG_A, RIGHT_CI))
    return folder


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """The class reviewed once over two processes: (folder, report folder, exit status,
    stdout)."""
    tmp = tmp_path_factory.mktemp("class")
    folder = make_class(tmp / "class")
    out = tmp / "report"
    r = subprocess.run([sys.executable, "-m", "symgrad", "review", str(folder), "--out",
                        str(out), "--jobs", "2"], capture_output=True, text=True, cwd=ROOT,
                       timeout=300)
    return folder, out, r


def test_collect_walks_folders_skips_hidden_and_names_by_relative_path(tmp_path):
    folder = make_class(tmp_path / "c")
    (folder / "notes.py").write_text("print(1)")
    out = folder / "report"
    out.mkdir()
    (out / "x.md").write_text("# 1.1")
    names = [e.name for e in grading.collect([folder], exclude=out)]
    assert names == ["alice.tex", "bob.tex", "dave.md", "erin.pdf", "carol/hw2.tex"]
    assert [e.name for e in grading.collect([folder / "bob.tex", folder / "carol" / "hw2.tex"])
            ] == ["bob.tex", "hw2.tex"]
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(grading.SymgradError, match="holds no write-up"):
        grading.collect([empty])
    assert grading.collect([empty], allow_empty=True) == []


def test_folder_review_lines_report_and_failures_go_on(report):
    folder, out, r = report
    assert r.returncode == 2, r.stderr          # the PDF is a failure; the others go on
    lines = [x for x in r.stdout.splitlines() if x.startswith("[")]
    assert len(lines) == 5 and all("/5]" in x for x in lines)
    assert any("erin.pdf: error: erin.pdf is a PDF" in x and "source" in x for x in lines)
    assert any("carol/hw2.tex: 2 claim(s): 1 correct, 1 incorrect" in x for x in lines)
    assert "\r" not in r.stderr and "%|" not in r.stderr      # no progress bar off a terminal
    assert sorted(p.name for p in out.iterdir()) == sorted([
        ".symgrad-review-cache.json", "alice.tex.html", "bob.tex.html", "carol_hw2.tex.html",
        "dave.md.html", "erin.pdf.html", "index.html", "summary.csv", "summary.json"])
    assert not list(folder.rglob("*.html"))                 # nothing beside the inputs


def test_summary_json_per_writeup_question_and_claim(report):
    _folder, out, _r = report
    data = json.loads((out / "summary.json").read_text())
    assert data["schema"] == "symgrad-review/1"
    by = {w["name"]: w for w in data["writeups"]}
    assert by["erin.pdf"]["error"].startswith("erin.pdf is a PDF")
    bob = by["bob.tex"]
    assert bob["questions"]["1.1.a"]["status"] == "wrong"
    assert bob["questions"]["1.1.c.i"]["status"] == "right"
    claim = next(c for c in bob["claims"] if c["question"] == "1.1.a")
    assert claim["verdict"] == "incorrect" and claim["line"] == 3
    assert claim["counterexample"] == {"claimed": "5 x 3", "true": "1 x 5 x 2"}
    assert claim["explanation"] and claim["mistake"] == "shape: 5 x 3 instead of 1 x 5 x 2"
    assert by["alice.tex"]["score"] == 2 and by["alice.tex"]["max_score"] == 14
    (hw2,) = data["problem_sets"]
    q = next(q for q in hw2["questions"] if q["id"] == "1.1.a")
    assert (q["right"], q["wrong"], q["not_judged"], q["no_answer"]) == (1, 3, 0, 0)
    assert [(g["count"], g["reason"]) for g in q["groups"]] == [
        (2, "shape: 5 x 3 instead of 1 x 5 x 2"),
        (1, "axes in another order: 2 x 5 instead of 1 x 5 x 2")]
    assert q["groups"][0]["students"] == ["bob.tex", "carol/hw2.tex"]
    assert q["groups"][0]["example"]["counterexample"]["claimed"] == "5 x 3"


def test_summary_csv_one_row_per_writeup_one_column_per_question(report):
    _folder, out, _r = report
    rows = list(csv.DictReader((out / "summary.csv").open()))
    assert [r["writeup"] for r in rows] == ["alice.tex", "bob.tex", "dave.md", "erin.pdf",
                                            "carol/hw2.tex"]
    head = list(rows[0])
    assert head[:4] == ["writeup", "file", "problem_set", "error"]
    assert head[4:18] == [q for q, _s, _v in grading.graded_questions(
        grading._problem_set("hw2"))]
    alice, bob, dave, erin, _carol = rows
    assert (alice["1.1.a"], bob["1.1.a"], dave["1.1.a"]) == ("right", "wrong", "wrong")
    assert alice["1.1.b"] == "no answer" and alice["score"] == "2" and bob["score"] == "1"
    assert erin["error"] and erin["1.1.a"] == ""


def test_rerun_reviews_only_the_changed_writeups(tmp_path):
    folder = tmp_path / "c"
    folder.mkdir()
    for k in range(3):
        (folder / f"s{k}.tex").write_text(tex_writeup(RIGHT_A, RIGHT_CI))
    out = tmp_path / "report"
    argv = ["review", str(folder), "--out", str(out), "--jobs", "1"]
    assert main(argv) == 0
    (folder / "s1.tex").write_text(tex_writeup(WRONG_A, RIGHT_CI))
    calls = []
    real = grading.review_entry
    grading.review_entry = lambda rv, e, t=None: calls.append(e.name) or real(rv, e, t)
    try:
        assert main(argv) == 1
    finally:
        grading.review_entry = real
    assert calls == ["s1.tex"]
    data = json.loads((out / "summary.json").read_text())
    assert [w["questions"]["1.1.a"]["status"] for w in data["writeups"]] == \
        ["right", "wrong", "right"]


def test_two_jobs_give_the_records_of_one(tmp_path):
    folder = make_class(tmp_path / "c")
    entries = grading.collect([folder])
    one = grading.review_all(entries, jobs=1)
    two = grading.review_all(entries, jobs=2)

    def plain(records):
        return [(r["name"], r["error"], [(c["question"], c["verdict"], c["line"])
                                         for c in r["claims"]]) for r in records]
    assert plain(one) == plain(two)
    assert [r["name"] for r in two] == [e.name for e in entries]     # in the order given


class _Slow:
    def review_file(self, path):
        time.sleep(5)
        return FileReview(Path(path))


class _Broken:
    def review_file(self, path):
        raise ZeroDivisionError("boom")


def test_a_writeup_that_times_out_or_crashes_is_an_error_record(tmp_path):
    p = tmp_path / "a.tex"
    p.write_text("x")
    e = grading.Entry(p, "a.tex")
    t = time.perf_counter()
    rec = grading.review_entry(_Slow(), e, timeout=0.5)
    assert time.perf_counter() - t < 3
    assert "took longer than 0.5 s" in rec["error"] and rec["claims"] == []
    rec = grading.review_entry(_Broken(), e)
    assert "ZeroDivisionError" in rec["error"]


def test_progress_bar_only_on_a_terminal(tmp_path):
    folder = tmp_path / "c"
    folder.mkdir()
    for k in range(2):
        (folder / f"s{k}.tex").write_text(tex_writeup(RIGHT_A, RIGHT_CI))
    master, slave = pty.openpty()
    r = subprocess.run([sys.executable, "-m", "symgrad", "review", str(folder), "--jobs", "1"],
                       stdout=slave, stderr=subprocess.PIPE, cwd=ROOT, timeout=300)
    os.close(slave)
    shown = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    os.close(master)
    assert r.returncode == 0
    assert b"[2/2] s1.tex" in shown
    assert b"write-up" in r.stderr and b"1/2 [" in r.stderr      # tqdm's bar on stderr


def test_bad_usage_is_one_line_and_status_2(tmp_path, capsys):
    p = tmp_path / "a.tex"
    p.write_text(tex_writeup(RIGHT_A, RIGHT_CI))
    assert main(["review", str(p), "--jobs", "0"]) == 2
    err = capsys.readouterr().err
    assert "--jobs needs a number of processes >= 1" in err and "Traceback" not in err
    bad = tmp_path / "points.toml"
    bad.write_text('"1.1.a" = "two"')
    assert main(["review", str(p), "--points", str(bad)]) == 2
    assert "must map question ids to numbers" in capsys.readouterr().err
    assert main(["review", str(tmp_path / "nothing-here"), "--jobs", "1"]) == 2


# -- Gradescope --------------------------------------------------------------------------------

def _valid_gradescope(data: dict) -> None:
    """Gradescope's documented fields and their types."""
    assert isinstance(data["tests"], list) and data["tests"]
    assert isinstance(data.get("score", 0), int | float)
    for t in data["tests"]:
        assert set(t) <= {"name", "number", "score", "max_score", "output", "visibility",
                          "status", "tags", "extra_data", "name_format", "output_format"}
        assert isinstance(t["name"], str) and isinstance(t["number"], str)
        assert isinstance(t["score"], int | float) and isinstance(t["max_score"], int | float)
        assert 0 <= t["score"] <= t["max_score"]
        assert isinstance(t["output"], str)
        assert t["visibility"] in ("hidden", "after_due_date", "after_published", "visible")
    assert data.get("visibility", "visible") in ("hidden", "after_due_date", "after_published",
                                                 "visible")


def test_gradescope_results_with_points_from_a_file(tmp_path):
    sub = tmp_path / "submission"
    sub.mkdir()
    (sub / "answers.tex").write_text(tex_writeup(WRONG_A, RIGHT_CI))
    points = tmp_path / "points.toml"
    points.write_text('"1.1.a" = 3\n"1.1.c.i" = 2.5\n')
    results = tmp_path / "results.json"
    assert main(["review", str(sub), "--gradescope", str(results), "--points",
                 str(points)]) == 1
    data = json.loads(results.read_text())
    _valid_gradescope(data)
    tests = {t["name"].split(":")[0]: t for t in data["tests"]}
    assert (tests["1.1.a"]["score"], tests["1.1.a"]["max_score"]) == (0, 3)
    assert "5 x 3" in tests["1.1.a"]["output"] and "line 3" in tests["1.1.a"]["output"]
    assert (tests["1.1.c.i"]["score"], tests["1.1.c.i"]["max_score"]) == (2.5, 2.5)
    assert tests["1.1.b"]["max_score"] == 1 and tests["1.1.b"]["score"] == 0
    assert data["score"] == 2.5 and [t["number"] for t in data["tests"]][:2] == ["1", "2"]


def test_points_the_problem_set_declares_are_read():
    class Q:
        def __init__(self, qid):
            self.statement, self.context = f"question {qid}", lambda: object()

    class Set:
        questions = {"a": Q("a"), "b": Q("b")}
        points = {"a": 4}

    assert grading.graded_questions(Set()) == [("a", "question a", 4), ("b", "question b", 1)]
    assert grading.graded_questions(Set(), {"b": 2.0}) == [("a", "question a", 4),
                                                            ("b", "question b", 2.0)]


def _autograde(tmp_path, files: dict[str, str | bytes]) -> dict:
    sub, res = tmp_path / "submission", tmp_path / "results"
    sub.mkdir()
    for name, text in files.items():
        (sub / name).write_bytes(text if isinstance(text, bytes) else text.encode())
    env = {**os.environ, "AUTOGRADER_SUBMISSION": str(sub),
           "AUTOGRADER_RESULTS": str(res / "results.json"),
           "AUTOGRADER_SOURCE": str(tmp_path / "source"),
           "SYMGRAD_CMD": f"{sys.executable} -m symgrad", "PYTHONPATH": str(ROOT)}
    r = subprocess.run(["bash", str(AUTOGRADER)], env=env, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    return json.loads((res / "results.json").read_text())


def test_example_autograder_end_to_end(tmp_path):
    (tmp_path / "source").mkdir()
    (tmp_path / "source" / "points.toml").write_text('"1.1.a" = 2\n')
    data = _autograde(tmp_path, {"hw2.tex": tex_writeup(RIGHT_A, RIGHT_CI),
                                 "figure.png": b"\x89PNG"})
    _valid_gradescope(data)
    tests = {t["name"].split(":")[0]: t for t in data["tests"]}
    assert (tests["1.1.a"]["score"], tests["1.1.a"]["max_score"]) == (2, 2)
    assert data["score"] == 3 and "hw2.tex" in data["output"]


def test_example_autograder_asks_for_the_source_of_a_pdf(tmp_path):
    data = _autograde(tmp_path, {"hw2.pdf": b"%PDF-1.4\n"})
    _valid_gradescope(data)
    assert data["score"] == 0 and "hw2.pdf is a PDF" in data["output"]
    assert "submit the .tex" in data["output"]


def test_workers_share_verdicts_of_the_claims_students_have_in_common(tmp_path):
    # two students with the same claim: reviewed over 2 processes, checked once (the
    # second worker finds the verdict the first stored)
    import multiprocessing as mp

    from symgrad.verify.review import Reviewer

    shared = mp.get_context("fork").Manager().dict()
    first, second = Reviewer(), Reviewer()
    first.share(shared)
    second.share(shared)
    calls = []
    second._checker = lambda *a: calls.append(a)  # never asked: the verdict is shared
    v1 = first.check("1.1.a", r"5 \times 2")
    v2 = second.check("1.1.a", r"5 \times 2")
    assert v1.verdict == v2.verdict == "correct" and calls == []
