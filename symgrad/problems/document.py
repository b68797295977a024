"""The write-up of any problem set, hw2 and sets written as data alike: one pasteable
``answer-<id>.tex`` per question (a comment header naming the packages it needs, then its
section), ``<name>.tex`` around them (``render.output.latex_document``), ``preamble.tex``
and the figures the answers show.

Nothing here knows a particular set: a question's statement is typeset from its
``statement_tex`` when the set gives one, else from its plain-text statement escaped for
LaTeX's text mode."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence

from .base import Answer, ProblemSet, Question

__all__ = ["INTRO", "answer_file", "document", "document_files", "escape_text", "file_names",
           "file_stem", "main_file", "section", "statement_latex"]

INTRO = (r"All results below were derived and printed by symgrad: index notation is "
         r"%s-based, Jacobians are in numerator layout (shape of the output followed "
         r"by the shape of the input), gradients of the loss in gradient layout (the "
         r"shape of the parameter).")

Files = dict[str, str | bytes]


def file_stem(qid: str) -> str:
    """``1.1.c.iii`` -> ``answer-1_1_c_iii`` (the answer file's name without .tex)."""
    return "answer-" + qid.replace(".", "_")


def main_file(pset: ProblemSet) -> str:
    """The name of the complete write-up: ``<set name>.tex``."""
    return pset.name + ".tex"


def file_names(pset: ProblemSet) -> list[str]:
    """The .tex files the write-up of ``pset`` consists of (figures aside)."""
    from ..render.output import PREAMBLE_NAME

    return ([file_stem(q.id) + ".tex" for q in pset.questions.values()]
            + [main_file(pset), PREAMBLE_NAME])


def escape_text(text: str) -> str:
    """Plain text for LaTeX's text mode: specials escaped, < and > (which print as
    other glyphs in text mode) set as math."""
    for a, b in (("\\", r"\textbackslash{}"), ("_", r"\_"), ("&", r"\&"), ("%", r"\%"),
                 ("#", r"\#"), ("$", r"\$"), ("<", r"$<$"), (">", r"$>$")):
        text = text.replace(a, b)
    return text


def statement_latex(question: Question) -> str:
    """A question's statement as typeset in the write-up."""
    return question.statement_tex or escape_text(question.statement)


def section(ans: Answer, statement: str) -> str:
    """One question's LaTeX: heading with its id, the statement (LaTeX), the answer."""
    return "\n".join([r"\subsection*{%s}" % ans.id, r"\emph{%s}" % statement, "",
                      ans.latex.strip(), ""])


def answer_file(pset: ProblemSet, qid: str, text: str) -> str:
    """An answer's pasteable file: a comment saying what it needs, then its section."""
    from ..render.output import answer_header

    return answer_header(f"Answer to {pset.name} question {qid}", text) + text


def _built(pset: ProblemSet, qid: str, index_base: int) -> tuple[str, Files]:
    """A question's section and the files its answer shows."""
    q = pset.question(qid)
    ans = q.build(index_base)
    return section(ans, statement_latex(q)), dict(ans.files)


def _background_worker(pset: ProblemSet, qids: Sequence[str], index_base: int, conn) -> None:
    """In the forked worker: build ``qids`` and send their sections and files. On any
    failure nothing is sent and the parent builds them itself (same results, same
    errors). Ctrl-C is the parent's to handle: it ends this process."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        conn.send({qid: _built(pset, qid, index_base) for qid in qids})
    except BaseException:
        pass
    finally:
        conn.close()


class _Background:
    """Questions built in a forked worker process while this one builds the others (only
    with fork and two CPUs or more; otherwise, or if the worker fails, nothing is
    collected and the caller builds them). ``close`` ends the worker if it still runs."""

    def __init__(self, pset: ProblemSet, qids: Sequence[str], index_base: int):
        self.proc = self.conn = None
        if not qids or (os.cpu_count() or 1) < 2:
            return
        import multiprocessing

        try:
            ctx = multiprocessing.get_context("fork")
        except ValueError:
            return
        self.conn, send = ctx.Pipe(duplex=False)
        self.proc = ctx.Process(target=_background_worker, daemon=True,
                                args=(pset, list(qids), index_base, send))
        try:
            self.proc.start()
        except OSError:
            self.proc = None
        finally:
            send.close()

    def collect(self) -> dict[str, tuple[str, Files]]:
        if self.proc is None:
            return {}
        try:
            return self.conn.recv()
        except (EOFError, OSError):
            return {}
        finally:
            self.close()

    def close(self) -> None:
        if self.proc is not None:
            if self.proc.is_alive():
                self.proc.terminate()
            self.proc.join()
            self.conn.close()
            self.proc = None


def document(pset: ProblemSet, index_base: int = 1, only: Sequence[str] | None = None,
             progress: Callable[[int, int, str], None] | None = None,
             previous: Mapping[str, Mapping[str, str | bytes]] | None = None,
             background: Sequence[str] = ()) -> tuple[Files, dict[str, Files]]:
    """Every file of the write-up of ``pset`` and the files of each question.

    The questions in ``only`` are computed afresh; every other question is taken from
    ``previous`` (question id -> its files, from an earlier run of the same code and set
    with the same index base) when it is there, and computed otherwise, so the main file
    is always the complete write-up. The questions to compute that are in ``background``
    (slow ones) are built in a worker process meanwhile, when the system allows; the
    files are the same either way."""
    from ..render.output import PREAMBLE_NAME, latex_document, preamble_tex, strip_answer_header

    fresh = {pset.question(q).id for q in only} if only else set()
    previous = previous or {}
    ids = [q.id for q in pset.questions.values()]
    todo = [qid for qid in ids if qid in fresh or qid not in previous]
    built: dict[str, tuple[str, Files]] = {}
    worker = _Background(pset, [qid for qid in todo if qid in background], index_base)
    try:
        for qid in todo:
            if progress:
                progress(todo.index(qid) + 1, len(todo), qid)
            if worker.proc is None or qid not in background:
                built[qid] = _built(pset, qid, index_base)
        built.update(worker.collect())
    finally:
        worker.close()
    files: Files = {}
    per_question: dict[str, Files] = {}
    parts = []
    for qid in ids:
        name = file_stem(qid) + ".tex"
        if qid in todo:
            text, shown = built[qid] if qid in built else _built(pset, qid, index_base)
            own: Files = {name: answer_file(pset, qid, text), **shown}
        else:
            own = dict(previous[qid])
            text = strip_answer_header(str(own[name]))
        per_question[qid] = own
        files.update(own)
        parts.append(text)
    intro = INTRO % index_base
    if pset.intro.strip():
        intro = pset.intro.strip() + "\n\n" + intro
    files[main_file(pset)] = latex_document(intro + "\n\n" + "\n".join(parts), pset.title)
    files[PREAMBLE_NAME] = preamble_tex()
    return files, per_question


def document_files(pset: ProblemSet, index_base: int = 1, only: Sequence[str] | None = None,
                   progress: Callable[[int, int, str], None] | None = None) -> Files:
    """Every file of the complete write-up of ``pset`` (see document)."""
    return document(pset, index_base, only, progress)[0]
