"""The write-up of any problem set: one .tex per question and ``<name>.tex`` around them
(``render.output.latex_document``), the same layout for hw2 and for sets written as data."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .base import Answer, ProblemSet

__all__ = ["INTRO", "document_files", "file_stem", "main_file", "section"]

INTRO = (r"All results below were derived and printed by symgrad: index notation is "
         r"%s-based, Jacobians are in numerator layout (shape of the output followed "
         r"by the shape of the input), gradients of the loss in gradient layout (the "
         r"shape of the parameter).")


def file_stem(qid: str) -> str:
    return "answer-" + qid.replace(".", "_")


def main_file(pset: ProblemSet) -> str:
    return pset.name + ".tex"


def _escape(text: str) -> str:
    return text.replace("_", r"\_").replace("&", r"\&").replace("%", r"\%")


def section(ans: Answer, statement: str) -> str:
    """One question's LaTeX: heading with its id, the statement, the answer."""
    return "\n".join([r"\subsection*{%s}" % ans.id, r"\emph{%s}" % _escape(statement), "",
                      ans.latex.strip(), ""])


def document_files(pset: ProblemSet, index_base: int = 1, only: Sequence[str] | None = None,
                   progress: Callable[[int, int, str], None] | None = None
                   ) -> dict[str, str | bytes]:
    """Every file of the write-up: one .tex per question, the document, and figures."""
    from ..render.output import latex_document

    ids = [pset.question(q).id for q in only] if only else [
        q.id for q in pset.questions.values()]
    files: dict[str, str | bytes] = {}
    parts = []
    for n, qid in enumerate(ids, 1):
        if progress:
            progress(n, len(ids), qid)
        q = pset.question(qid)
        ans = q.build(index_base)
        text = section(ans, q.statement)
        files[file_stem(qid) + ".tex"] = text
        files.update(ans.files)
        parts.append(text)
    intro = INTRO % index_base
    if pset.intro.strip():
        intro = pset.intro.strip() + "\n\n" + intro
    files[main_file(pset)] = latex_document(intro + "\n\n" + "\n".join(parts), pset.title)
    return files
