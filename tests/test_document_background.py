"""problems.document builds the questions named ``background`` in a forked worker: same
files, same order, and the parent builds them itself when the worker cannot (issue 16)."""

import os

import pytest

from symgrad.problems.base import Answer, ProblemSet, Question
from symgrad.problems.document import document

PARENT = os.getpid()


def _set(fail_in_worker: bool = False) -> ProblemSet:
    pset = ProblemSet("tiny", "Tiny")

    def build(qid):
        def make(index_base: int = 1) -> Answer:
            in_worker = os.getpid() != PARENT
            if fail_in_worker and in_worker:
                raise RuntimeError("worker failure")
            body = f"answer {qid} base {index_base}"
            files = {f"{qid}.png": f"png {qid}".encode()} if qid == "b" else {}
            return Answer(qid, qid, body, files=files)
        return make

    for qid in ("a", "b", "c"):
        pset.add(Question(qid, f"question {qid}", build(qid)))
    return pset


def _where(pset: ProblemSet) -> dict[str, int]:
    """Which process built each question (the builders record it)."""
    seen = {}
    for qid, q in list(pset.questions.items()):
        inner = q.build

        def build(index_base: int = 1, qid=qid, inner=inner) -> Answer:
            seen[qid] = os.getpid()
            return inner(index_base)
        pset.questions[qid] = Question(q.id, q.statement, build)
    return seen


@pytest.mark.parametrize("fail_in_worker", [False, True])
def test_background_questions_give_the_same_files(fail_in_worker):
    plain, _ = document(_set())
    calls = []
    files, per_question = document(_set(fail_in_worker), background=("b",),
                                   progress=lambda n, total, qid: calls.append((n, qid)))
    assert files == plain and list(files) == list(plain)
    assert calls == [(1, "a"), (2, "b"), (3, "c")]
    assert per_question["b"]["b.png"] == b"png b"


def test_background_question_is_built_elsewhere_when_fork_is_there():
    pset = _set()
    seen = _where(pset)
    document(pset, background=("b",))
    assert seen["a"] == seen["c"] == PARENT
    # the worker's record stays in the worker: the parent never built b
    assert "b" not in seen or (os.cpu_count() or 1) < 2


def test_an_error_in_the_parent_ends_the_worker():
    pset = _set()

    def boom(index_base: int = 1) -> Answer:
        raise KeyError("parent failure")
    pset.questions["c"] = Question("c", "question c", boom)
    with pytest.raises(KeyError, match="parent failure"):
        document(pset, background=("b",))
    assert not [p for p in __import__("multiprocessing").active_children()]
