"""Grading a class: a folder of write-ups reviewed in one run, in parallel, with a cache.

- :func:`collect` walks folders for write-ups (``.tex .md .ipynb .txt``; a ``.pdf`` is
  listed too, to be reported with a request for its source);
- :func:`review_all` reviews them over ``jobs`` worker processes (each keeps one
  :class:`~symgrad.verify.review.Reviewer`, so equal claims are checked once per worker),
  re-using the cached record of every write-up whose text has not changed;
- :func:`record` turns a :class:`FileReview` into the plain JSON record everything else is
  built from; :func:`class_summary` groups the class's mistakes per question;
- :func:`write_report` writes ``index.html``, one page per write-up, ``summary.json`` and
  ``summary.csv``; :func:`gradescope_results` is Gradescope's autograder ``results.json``.

Every file is written atomically. The record's fields are documented in README ("Grading
a class")."""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import csv
import hashlib
import io
import json
import multiprocessing as mp
import os
import re
import signal
import threading
import tomllib
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import LimitError, SymgradError
from ..core.services import service
from ..render import html as pages
from ..render.output import code_digest, write_atomic
from .review import FileReview, RecognisingReviewer, Reviewer

__all__ = ["SCHEMA", "Entry", "class_summary", "collect", "gradescope_results", "load_points",
           "record", "review_all", "write_report"]

SCHEMA = "symgrad-review/1"
SUFFIXES = (".tex", ".md", ".markdown", ".ipynb", ".txt")
CACHE_NAME = ".symgrad-review-cache.json"
STATUSES = ("right", "wrong", "not judged", "no answer")


@dataclass(frozen=True)
class Entry:
    """A write-up to review: its path, and its name in the report (its path relative to the
    folder given, or its file name)."""

    path: Path
    name: str


def _skip(part: str) -> bool:
    return part.startswith(".") or part in ("__pycache__", ".ipynb_checkpoints")


def collect(args: Sequence[str | os.PathLike], exclude: Path | None = None,
            allow_empty: bool = False) -> list[Entry]:
    """The write-ups named by ``args``: a file as itself, a folder as every write-up under it
    (recursively, hidden folders and ``exclude`` skipped, sorted), one entry per file. A
    folder with none is an error unless ``allow_empty`` (a Gradescope submission)."""
    out: list[Entry] = []
    names: set[str] = set()
    excluded = exclude.resolve() if exclude is not None else None

    def add(path: Path, name: str) -> None:
        base, k = name, 2
        while name in names:
            name, k = f"{base} ({k})", k + 1
        names.add(name)
        out.append(Entry(path, name))

    for arg in args:
        p = Path(arg)
        if not p.is_dir():
            add(p, p.name)
            continue
        found = []
        for root, dirs, files in os.walk(p):
            here = Path(root)
            dirs[:] = sorted(d for d in dirs if not _skip(d)
                             and (excluded is None or (here / d).resolve() != excluded))
            for f in sorted(files):
                if not _skip(f) and Path(f).suffix.lower() in (*SUFFIXES, ".pdf"):
                    found.append(here / f)
        if not found and not allow_empty:
            raise SymgradError(f"{p} holds no write-up (.tex, .md, .ipynb, .txt)")
        for f in found:
            add(f, f.relative_to(p).as_posix())
    return out


# -- one write-up -------------------------------------------------------------------------

def _status(counts: Counter) -> str:
    if counts["incorrect"] or counts["layout"]:
        return "wrong"
    if counts["correct"]:
        return "right"
    return "not judged" if counts["unparsed"] else "no answer"


def _shape_like(value) -> bool:
    return isinstance(value, str) and bool(re.fullmatch(r"[\w\s()+\-*/]+( x [\w\s()+\-*/]+)+",
                                                       value))


def _normalise(text: str) -> str:
    text = re.sub(r"\([^()]*(?:seed|random)[^()]*\)", "", text)
    text = re.sub(r"-?\d+\.\d+(e-?\d+)?", "#", text)
    text = re.split(r"(?<=[a-z)])[.;]\s", text)[0]
    return re.sub(r"\s+", " ", text).strip(" .;")[:160]


def mistake(claim: Mapping) -> str:
    """What is wrong with a claim, in words that are equal for equal mistakes: the key its
    group in the class report has (``a shape of 3 x 3 x 5 instead of 1 x 5 x 3``, ``the
    layout: axes in another order``, the checker's hint, or its explanation without the
    numbers of one instance)."""
    v, ce = claim["verdict"], claim.get("counterexample") or {}
    if isinstance(ce, Mapping) and _shape_like(ce.get("claimed")) and _shape_like(ce.get("true")):
        what = "axes in another order" if v == "layout" else "shape"
        return f"{what}: {ce['claimed']} instead of {ce['true']}"
    if v == "layout":
        return "right values in another layout (axes in another order)"
    if v == "unparsed":
        construct = ce.get("construct") if isinstance(ce, Mapping) else None
        return f"not read: {construct}" if construct else "not read"
    if claim.get("hint"):
        return str(claim["hint"])
    if isinstance(ce, Mapping) and "entry" in ce:
        return "wrong values"
    return _normalise(claim.get("explanation") or "incorrect")


def record(review: FileReview, name: str, digest: str = "") -> dict:
    """A write-up's review as plain JSON: ``name``, ``file``, ``sha256``, ``format``,
    ``error``, ``problem_set``, ``problem_set_why``, ``summary`` (counts), ``questions``
    ({id: status, claims and per-verdict counts}), ``claims`` (in the order written, each with
    ``question``, ``latex``, ``verdict``, ``explanation``, ``hint``, ``counterexample``,
    ``notes``, ``line``, ``cell``, ``mistake``) and ``unplaced``."""
    data = review.to_dict()
    claims = data["claims"]
    for c in claims:
        c["mistake"] = mistake(c) if c["verdict"] != "correct" else None
    questions: dict[str, dict] = {}
    for c in claims:
        q = questions.setdefault(c["question"], {"claims": 0, "correct": 0, "incorrect": 0,
                                                 "layout": 0, "unparsed": 0})
        q["claims"] += 1
        q[c["verdict"]] += 1
    for q in questions.values():
        q["status"] = _status(Counter(q))
    return {"name": name, "file": data["file"], "sha256": digest, "format": data["format"],
            "error": data["error"], "problem_set": data["problem_set"],
            "problem_set_why": data["problem_set_why"], "summary": data["summary"],
            "questions": questions, "claims": claims, "unplaced": data["unplaced"]}


def error_record(entry: Entry, message: str, digest: str = "") -> dict:
    return {"name": entry.name, "file": str(entry.path), "sha256": digest,
            "format": entry.path.suffix.lstrip(".").lower(), "error": message,
            "problem_set": None, "problem_set_why": "", "summary": None, "questions": {},
            "claims": [], "unplaced": []}


def _sha(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


@contextlib.contextmanager
def deadline(seconds: float | None) -> Iterator[None]:
    """LimitError in the main thread after ``seconds`` (SIGUSR1 from a timer thread, so the
    SIGALRM limit of each claim inside still works); unbounded elsewhere."""
    if not seconds or threading.current_thread() is not threading.main_thread() \
            or not hasattr(signal, "pthread_kill"):
        yield
        return

    def expire(signum, frame):
        raise LimitError(f"the review took longer than {seconds:g} s and was stopped")

    previous = signal.signal(signal.SIGUSR1, expire)
    main = threading.main_thread().ident
    timer = threading.Timer(seconds, lambda: signal.pthread_kill(main, signal.SIGUSR1))
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        signal.signal(signal.SIGUSR1, previous)


def make_reviewer(problem_set: str | None, index_base: int):
    """The set given (a name or a .toml path), or recognition among the registered sets."""
    if problem_set:
        return Reviewer(index_base=index_base, problems=problem_set)
    return RecognisingReviewer(index_base=index_base)


def review_entry(reviewer, entry: Entry, timeout: float | None = None) -> dict:
    """The record of one write-up; every failure is a record with ``error``."""
    digest = _sha(entry.path)
    if entry.path.suffix.lower() == ".pdf":
        return error_record(entry, f"{entry.path.name} is a PDF: symgrad reads the source of a "
                            f"write-up; submit the .tex, .md or .ipynb it was made from",
                            digest)
    try:
        with deadline(timeout):
            rv = reviewer.review_file(entry.path)
        return record(rv, entry.name, digest)
    except LimitError as e:
        return error_record(entry, str(e).splitlines()[0], digest)
    except Exception as e:  # one write-up never stops the class
        return error_record(entry, f"the review failed ({type(e).__name__}: "
                            f"{str(e).splitlines()[0] if str(e) else ''}); please report it",
                            digest)


_WORKER: dict = {}


def warm(reviewer) -> None:
    """Build the checker context of every question (about 1.6 s for the registered sets), so
    that worker processes forked after it share them instead of each building its own."""
    for r in [reviewer._reviewer(s) for s in reviewer.sets] if hasattr(reviewer, "sets") \
            else [reviewer]:
        for q in r.problems.questions:
            ctx = r.context(q)
            if ctx is None or ctx.default is None:
                continue
            try:  # the default truth and the instances every claim of it is checked on
                ctx.truth(None)
                for seed in range(3):
                    ctx.instance(seed)
            except SymgradError:
                continue
        r.systems()


def _init_worker(problem_set: str | None, index_base: int, shared=None) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # the parent handles ^C
    if _WORKER.get("key") != (problem_set, index_base):   # not forked from a warm parent
        _WORKER.update(key=(problem_set, index_base),
                       reviewer=make_reviewer(problem_set, index_base))
    _WORKER["reviewer"].share(shared)  # a claim several students write: checked once


def _work(entry: Entry, timeout: float | None) -> dict:
    return review_entry(_WORKER["reviewer"], entry, timeout)


def cache_key(digest: str, problem_set: str | None, index_base: int) -> str:
    return hashlib.sha256(f"{SCHEMA} {code_digest()} set={problem_set or ''} "
                          f"base={index_base} {digest}".encode()).hexdigest()


def load_cache(path: Path | None) -> dict:
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data.get("entries", {}) if isinstance(data, dict) and \
        data.get("schema") == SCHEMA else {}


def save_cache(path: Path, entries: Mapping) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps({"schema": SCHEMA, "entries": entries}, sort_keys=True))


def review_all(entries: Sequence[Entry], *, jobs: int | None = None,
               problem_set: str | None = None, index_base: int = 1,
               timeout: float | None = None, cache: Path | None = None,
               done: Callable[[dict, bool], None] | None = None) -> list[dict]:
    """The records of ``entries`` in their order. Write-ups whose text, options and symgrad
    are unchanged since the run that wrote ``cache`` are not reviewed again; the others are
    reviewed over ``jobs`` processes (default: every core; 1: in this process). ``done(rec,
    cached)`` is called as each finishes."""
    jobs = max(1, jobs or os.cpu_count() or 1)
    old = load_cache(cache)
    results: dict[int, dict] = {}
    todo: list[tuple[int, Entry, str]] = []
    for i, e in enumerate(entries):
        key = cache_key(_sha(e.path), problem_set, index_base)
        hit = old.get(e.name)
        if hit and hit.get("key") == key and hit.get("record", {}).get("error") is None:
            rec = dict(hit["record"], file=str(e.path))
            results[i] = rec
            if done:
                done(rec, True)
        else:
            todo.append((i, e, key))
    keys = {i: key for i, _e, key in todo}
    if jobs == 1 or len(todo) <= 1:
        reviewer = make_reviewer(problem_set, index_base) if todo else None
        for i, e, _key in todo:
            results[i] = review_entry(reviewer, e, timeout)
            if done:
                done(results[i], False)
    else:
        if _WORKER.get("key") != (problem_set, index_base):
            _WORKER.update(key=(problem_set, index_base),
                           reviewer=make_reviewer(problem_set, index_base))
        fork = "fork" in mp.get_all_start_methods()
        # the largest write-ups first, so that no worker is left with one at the end
        todo.sort(key=lambda t: -_size(t[1].path))
        if fork:
            # one reviewed here builds what the others need (the contexts and
            # truths of the sets it is checked against), shared by the forked workers
            i, e, _key = todo.pop()  # the smallest: warms what the others need
            results[i] = review_entry(_WORKER["reviewer"], e, timeout)
            if done:
                done(results[i], False)
        else:
            warm(_WORKER["reviewer"])
        manager = mp.get_context("fork" if fork else None).Manager()
        shared = manager.dict()
        with manager, cf.ProcessPoolExecutor(max_workers=min(jobs, len(todo)),
                                             mp_context=mp.get_context("fork") if fork else
                                             None, initializer=_init_worker,
                                             initargs=(problem_set, index_base, shared)) as pool:
            futures = {pool.submit(_work, e, timeout): (i, e) for i, e, _key in todo}
            try:
                for f in cf.as_completed(futures):
                    i, e = futures[f]
                    try:
                        results[i] = f.result()
                    except Exception as exc:  # a worker that died (killed, out of memory)
                        results[i] = error_record(e, f"the review process failed "
                                                  f"({type(exc).__name__})", _sha(e.path))
                    if done:
                        done(results[i], False)
            except BaseException:
                for f in futures:
                    f.cancel()
                raise
    if cache is not None:
        keep = {e.name: {"key": keys.get(i) or old[e.name]["key"], "record": results[i]}
                for i, e in enumerate(entries) if results[i].get("error") is None}
        save_cache(cache, keep)
    return [results[i] for i in range(len(entries))]


# -- the class ------------------------------------------------------------------------------

def load_points(path: str | os.PathLike) -> dict[str, float]:
    """A points file: JSON or TOML mapping question ids to points (``"1.1.a" = 2``)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
        data = json.loads(text) if p.suffix.lower() == ".json" else tomllib.loads(text)
    except OSError as e:
        raise SymgradError(f"cannot read the points file {p}: {e.strerror}") from None
    except ValueError as e:
        raise SymgradError(f"the points file {p} is not valid "
                           f"{'JSON' if p.suffix.lower() == '.json' else 'TOML'}: "
                           f"{str(e).splitlines()[0]}") from None
    data = data.get("points", data) if isinstance(data, dict) else data
    if not isinstance(data, dict) or not all(isinstance(v, int | float) and
                                             not isinstance(v, bool) and v >= 0
                                             for v in data.values()):
        raise SymgradError(f"the points file {p} must map question ids to numbers >= 0")
    return {str(k).lower(): float(v) for k, v in data.items()}


def _problem_set(name: str):
    return service("problem_set")(name)


_CHECKABLE: dict[int, tuple[object, bool]] = {}


def _checkable(question) -> bool:
    """Whether symgrad checks claims of a question (its context builds and is not None)."""
    key = id(question)
    if key not in _CHECKABLE or _CHECKABLE[key][0] is not question:
        try:
            ok = question.context is not None and question.context() is not None
        except SymgradError:
            ok = False
        _CHECKABLE[key] = (question, ok)
    return _CHECKABLE[key][1]


def graded_questions(pset, points: Mapping[str, float] | None = None) -> list[tuple]:
    """(id, statement, points) of every question of a set that symgrad checks (a question
    with a checker context). Points: ``points`` (a course's file), else the set's own
    ``points`` mapping when it has one, else 1 per question."""
    own = getattr(pset, "points", None) or {}
    out = []
    for qid, q in pset.questions.items():
        if not _checkable(q) and qid not in (points or {}):
            continue
        value = (points or {}).get(qid.lower(), own.get(qid, 1))
        out.append((qid, q.statement, value))
    return out


def _score(rec: dict, graded: Sequence[tuple]) -> None:
    total = 0.0
    for qid, _statement, value in graded:
        q = rec["questions"].get(qid)
        if q is not None:
            q["points"] = value
            q["score"] = value if q["status"] == "right" else 0
            total += q["score"]
    rec["score"] = total
    rec["max_score"] = sum(v for _q, _s, v in graded)


def class_summary(records: Sequence[dict], points: Mapping[str, float] | None = None,
                  problem_set: str | None = None) -> dict:
    """Per problem set and question: students right, wrong, not judged, no answer, and the
    wrong answers grouped by :func:`mistake` (largest group first; a student counts once in
    a group, with one example). Adds ``score``/``max_score`` to each record."""
    sets: dict[str, list[dict]] = {}
    for r in records:
        if r.get("error") is None:
            sets.setdefault(r["problem_set"], []).append(r)
    if not sets and problem_set:
        sets[_problem_set(problem_set).name] = []
    out = []
    for name, recs in sets.items():
        pset = _problem_set(name)
        graded = graded_questions(pset, points)
        for r in recs:
            _score(r, graded)
        ids = [q for q, _s, _v in graded]
        ids += sorted({q for r in recs for q in r["questions"]} - set(ids))
        statements = {q: s for q, s, _v in graded}
        value = {q: v for q, _s, v in graded}
        questions = []
        for qid in ids:
            counts = Counter(r["questions"].get(qid, {}).get("status", "no answer")
                             for r in recs)
            groups: dict[str, dict] = {}
            for r in recs:
                seen = set()
                for c in r["claims"]:
                    if c["question"] != qid or c["verdict"] not in ("incorrect", "layout"):
                        continue
                    key = c["mistake"]
                    g = groups.setdefault(key, {"reason": key, "count": 0, "students": [],
                                                "example": {"writeup": r["name"], **c}})
                    if key not in seen:
                        seen.add(key)
                        g["count"] += 1
                        g["students"].append(r["name"])
            ordered = sorted(groups.values(), key=lambda g: (-g["count"], g["reason"]))
            for g in ordered:
                g["example"] = {k: g["example"].get(k) for k in
                                ("writeup", "latex", "verdict", "explanation", "hint",
                                 "counterexample", "line", "cell")}
            questions.append({"id": qid, "statement": statements.get(qid, ""),
                              "points": value.get(qid, 0), "right": counts["right"],
                              "wrong": counts["wrong"], "not_judged": counts["not judged"],
                              "no_answer": counts["no answer"], "groups": ordered})
        out.append({"name": name, "title": pset.title, "students": len(recs),
                    "questions": questions})
    return {"problem_sets": out}


def summary_csv(records: Sequence[dict], summary: Mapping) -> str:
    """One row per write-up, one column per question (its status: right, wrong, not judged,
    no answer; empty for another set's question), then counts and the score."""
    qids = list(dict.fromkeys(q["id"] for s in summary["problem_sets"] for q in s["questions"]))
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["writeup", "file", "problem_set", "error", *qids, "claims", "correct",
                "incorrect", "layout", "not_judged", "score", "max_score"])
    own = {s["name"]: {q["id"] for q in s["questions"]} for s in summary["problem_sets"]}
    for r in records:
        if r.get("error"):
            w.writerow([r["name"], r["file"], "", r["error"], *[""] * len(qids),
                        *[""] * 7])
            continue
        mine = own.get(r["problem_set"], set())
        cells = [r["questions"].get(q, {}).get("status", "no answer") if q in mine else ""
                 for q in qids]
        s = r["summary"]
        w.writerow([r["name"], r["file"], r["problem_set"], "", *cells, s["claims"],
                    s["correct"], s["incorrect"], s["layout"], s["unparsed"],
                    _num(r.get("score", 0)), _num(r.get("max_score", 0))])
    return buf.getvalue()


def _num(x) -> str:
    x = float(x)
    return str(int(x)) if x.is_integer() else f"{x:g}"


def write_report(out: Path, records: Sequence[dict], summary: Mapping,
                 options: Mapping | None = None) -> list[Path]:
    """``index.html``, one page per write-up, ``summary.json`` and ``summary.csv`` under
    ``out``; returns what was written."""
    from .._version import __version__

    out.mkdir(parents=True, exist_ok=True)
    taken: set[str] = {"index.html"}
    names = {r["name"]: pages.page_name(r["name"], taken) for r in records}
    written = []
    for r in records:
        r["page"] = names[r["name"]]
        write_atomic(out / names[r["name"]], pages.writeup_page(r))
        written.append(out / names[r["name"]])
    data = {"schema": SCHEMA, "symgrad": __version__, "options": dict(options or {}),
            **summary, "writeups": list(records)}
    write_atomic(out / "index.html", pages.class_page(data, names))
    write_atomic(out / "summary.json", json.dumps(data, indent=1, sort_keys=False) + "\n")
    write_atomic(out / "summary.csv", summary_csv(records, summary))
    written += [out / "index.html", out / "summary.json", out / "summary.csv"]
    return written


# -- Gradescope -----------------------------------------------------------------------------

def gradescope_results(records: Sequence[dict], points: Mapping[str, float] | None = None,
                       problem_set: str | None = None, visibility: str = "visible") -> dict:
    """Gradescope's autograder results for one submission (every write-up in ``records`` is
    the same student's): one test per checked question of the problem set, with ``name``,
    ``number``, ``score``, ``max_score``, ``output`` and ``visibility``, and the total
    ``score``. A question scores its points when it is right (a claim correct, none wrong)."""
    ok = [r for r in records if r.get("error") is None]
    errors = [f"{r['name']}: {r['error']}" for r in records if r.get("error")]
    if ok:
        name = Counter(r["problem_set"] for r in ok).most_common(1)[0][0]
    else:
        name = problem_set or None
    pset = _problem_set(name)
    graded = graded_questions(pset, points)
    tests = []
    for k, (qid, statement, value) in enumerate(graded, 1):
        claims = [c for r in ok if r["problem_set"] == pset.name for c in r["claims"]
                  if c["question"] == qid]
        status = _status(Counter(c["verdict"] for c in claims))
        lines = [f"{status}: " + {
            "right": "a claim is correct and none is wrong.",
            "wrong": "a claim is incorrect (or in another layout).",
            "not judged": "symgrad could not read the claims here; a grader will look.",
            "no answer": "no claim was found under this question."}[status]]
        for c in claims:
            where = f"line {c['line']}" + (f", cell {c['cell']}" if c.get("cell") is not None
                                           else "")
            lines.append(f"- {c['verdict']} ({where}): {c['latex']}\n  {c['explanation']}")
            ce = c.get("counterexample")
            if ce and c["verdict"] != "correct":
                lines.append(f"  counterexample: {json.dumps(ce, sort_keys=True)}")
            if c.get("hint"):
                lines.append(f"  hint: {c['hint']}")
        tests.append({"name": f"{qid}: {statement}"[:200], "number": str(k),
                      "score": value if status == "right" else 0, "max_score": value,
                      "output": "\n".join(lines), "visibility": visibility})
    intro = [f"Reviewed by symgrad against problem set {pset.name}: "
             f"{', '.join(r['name'] for r in ok) or 'no readable write-up'}."]
    if errors:
        intro += ["Not reviewed:", *errors]
    if not records:
        intro.append("The submission holds no write-up (.tex, .md, .ipynb, .txt).")
    return {"score": sum(t["score"] for t in tests), "output": "\n".join(intro),
            "visibility": visibility, "stdout_visibility": "hidden", "tests": tests}
