"""symgrad review measured on whole write-ups of homework 2 with an answer key per claim.

``tests/data/review/corpus/`` holds write-ups in the styles students use (.tex, .md,
.ipynb; numbering ``1.1.c.iii``, ``1.1 (c) (iii)``, ``Q1.1.C.I Answer``, ``\\section*{1.1}``
then ``(a)``, ``Part (ii)``, ``**(b)**``, enumerate items; prose between claims,
definitions carried forward, wrong claims). Each ``NAME.key.json`` lists the claims a
grader would key: the question, a piece of the claim's LaTeX (``match``, compared without
spaces) and the truth (``correct``, ``incorrect`` or ``layout``), taken from the
homework's own answers (``sg.answer``) and worked out by hand (sizes, index offsets,
derivatives). A keyed claim counts as found and right when a claim under that question
contains its piece and has that verdict. The rate must be at least 0.85 and no wrong
claim may be called correct, under any question."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from symgrad.verify.review import Reviewer

CORPUS = Path(__file__).parent / "data" / "review" / "corpus"
WRITEUPS = sorted(p for p in CORPUS.iterdir() if p.suffix in (".tex", ".md", ".ipynb"))


def _norm(latex: str) -> str:
    s = re.sub(r"\\[,;:! ]|\\q?quad\b|\\left\b|\\right\b|\\limits\b", "", latex)
    return re.sub(r"\s+", "", s)


def _key(path: Path) -> list[dict]:
    return json.loads(path.with_name(path.stem + ".key.json").read_text())["claims"]


def score(review, key: list[dict]) -> tuple[list[tuple], list[tuple]]:
    """(misses, wrong claims called correct): a miss is a keyed claim not found under its
    question with its verdict; each found claim answers for one keyed claim at most."""
    used: set[int] = set()
    misses, false_ok = [], []
    for k in key:
        piece = _norm(k["match"])
        cands = [i for i, c in enumerate(review.claims) if piece in _norm(c.latex)]
        here = [i for i in cands if review.claims[i].question == k["question"]]
        hit = next((i for i in here if i not in used and
                    review.claims[i].verdict.verdict == k["truth"]), None)
        if hit is None:
            got = [(review.claims[i].question, review.claims[i].verdict.verdict) for i in cands]
            misses.append((k["question"], k["match"], k["truth"], got))
        else:
            used.add(hit)
        if k["truth"] != "correct":
            false_ok += [(k["question"], k["match"]) for i in cands
                         if review.claims[i].verdict.verdict == "correct"]
    return misses, false_ok


@pytest.fixture(scope="module")
def reviews():
    r = Reviewer()
    return {p.name: r.review_file(p) for p in WRITEUPS}


def test_corpus_has_every_format():
    assert {p.suffix for p in WRITEUPS} == {".tex", ".md", ".ipynb"}
    for p in WRITEUPS:
        assert p.with_name(p.stem + ".key.json").is_file(), p.name


def test_corpus_keyed_claims_found_and_right(reviews):
    total = 0
    misses, false_ok = [], []
    for p in WRITEUPS:
        review = reviews[p.name]
        assert review.error is None, (p.name, review.error)
        key = _key(p)
        m, f = score(review, key)
        total += len(key)
        misses += [(p.name, *x) for x in m]
        false_ok += [(p.name, *x) for x in f]
    rate = 1 - len(misses) / total
    print(f"\n{total} keyed claims in {len(WRITEUPS)} write-ups: found and right "
          f"{total - len(misses)} ({rate:.1%})")
    for miss in misses:
        print("  miss:", miss)
    assert not false_ok, false_ok
    assert rate >= 0.85, misses


@pytest.mark.parametrize("path", WRITEUPS, ids=lambda p: p.name)
def test_corpus_each_writeup_mostly_right(reviews, path):
    """No write-up is carried by the others: each alone is at least 75% found and right."""
    key = _key(path)
    misses, false_ok = score(reviews[path.name], key)
    assert not false_ok
    assert 1 - len(misses) / len(key) >= 0.75, misses
