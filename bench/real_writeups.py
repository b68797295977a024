"""Review measured on real write-ups: found-and-right, false CORRECT, false INCORRECT.

Every keyed write-up is reviewed with `symgrad review` (in this process) and each keyed
claim is matched to what review reported under the same question (the most similar
LaTeX). A claim is *found and right* when its verdict is the key's truth (``layout``
counts for a ``layout`` truth and for a ``correct`` one it explains; either verdict for an
``ambiguous`` claim). Claims keyed ``restated`` or ``definition`` must not be judged at all:
a verdict on one is counted as found and right only when review showed it as such.

Each write-up is reviewed against the problem set review recognises for it (the key's
``set``, when it names one, must be the set review chose: a claim keyed against another
set is then counted as not found). A claim marked ``question_differs`` (its year's question
differs from the set it is keyed by) is left out.

Keys are ``NAME.key.json`` beside their documents (``../shared/writeups/``) or in
``tests/data/writeups/`` with the documents in a folder given as an argument (other
people's text stays outside the repository):

    python bench/real_writeups.py [FOLDER ...]     # default: ../shared/writeups
"""

from __future__ import annotations

import difflib
import json
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared" / "writeups"
KEYS = ROOT / "tests" / "data" / "writeups"
FORMATS = (".tex", ".md", ".ipynb", ".txt")
JUDGED = {"correct", "incorrect", "layout"}


@dataclass
class Score:
    """The measure of one write-up."""

    name: str
    keyed: int = 0
    right: int = 0
    false_correct: int = 0
    false_incorrect: int = 0
    seconds: float = 0.0
    misses: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.right / self.keyed if self.keyed else 1.0

    def line(self) -> str:
        return (f"{self.name}: {self.right}/{self.keyed} keyed claims found and judged right "
                f"({100 * self.rate:.0f}%), {self.false_correct} false CORRECT, "
                f"{self.false_incorrect} false INCORRECT, {self.seconds:.1f} s")


def keyed_documents(folders: list[Path]) -> list[tuple[Path, Path]]:
    """(document, key) pairs: a key beside its document, or in tests/data/writeups."""
    out = []
    for folder in folders:
        for doc in sorted(folder.iterdir()):
            if doc.suffix not in FORMATS:
                continue
            key = doc.with_name(doc.stem + ".key.json")
            if not key.is_file():
                key = KEYS / (doc.stem + ".key.json")
            if key.is_file():
                out.append((doc, key))
    return out


def _norm(s: str) -> str:
    return re.sub(r"\s+|\\[,;!: ]|\\(?:left|right|big|Big|bigg|Bigg)\b", "", s or "")


def _sim(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, _norm(a), _norm(b)).ratio()


def _entries(review) -> list[dict]:
    """Everything review reported for one file: judged claims and what it did not judge."""
    out = [{"question": c.question, "latex": c.latex, "verdict": c.verdict.verdict}
           for c in review.claims]
    out += [{"question": s.get("question") or "", "latex": s["latex"], "verdict": s["kind"]}
            for s in review.shown]
    return out


def _parts(latex: str) -> list[str]:
    """A keyed claim as the statements review splits it into (``A = 0, \\quad B = 0``)."""
    from symgrad.verify.extract import split_rows

    return split_rows(latex) or [latex]


_WORST = ("incorrect", "unparsed", "layout", "correct")


def _match(k: dict, cands: list[dict]) -> dict | None:
    """The review entry for a keyed claim: the most similar, or, when the keyed claim is
    several statements, the worst verdict over the best match of each."""
    best = max(cands, key=lambda g: _sim(g["latex"], k["latex"]), default=None)
    if best is not None and _sim(best["latex"], k["latex"]) >= 0.5:
        whole = best
    else:
        # one row of a system that review judges whole: the claim that contains it
        inside = [g for g in cands if len(_norm(k["latex"])) > 12
                  and _norm(k["latex"]) in _norm(g["latex"])]
        whole = min(inside, key=lambda g: len(g["latex"])) if inside else None
    parts = _parts(k["latex"])
    if len(parts) < 2 or not cands:
        return whole
    picked = []
    for part in parts:
        g = max(cands, key=lambda g: _sim(g["latex"], part))
        if _sim(g["latex"], part) < 0.8:
            return whole
        picked.append(g)
    verdicts = [g["verdict"] for g in picked]
    worst = next((v for v in _WORST if v in verdicts), verdicts[0])
    return {"latex": k["latex"], "verdict": worst, "question": k["question"]}


def score(doc: Path, key: Path, reviewer) -> Score:
    """Review ``doc`` and compare with ``key``."""
    t = time.perf_counter()
    review = reviewer.review_file(doc)
    s = Score(doc.name, seconds=time.perf_counter() - t)
    if review.error:
        s.misses.append(f"error: {review.error}")
    got = _entries(review)
    for k in json.loads(key.read_text()):
        if k.get("question_differs"):
            continue
        s.keyed += 1
        if k.get("set", "hw2") != review.problems:
            s.misses.append(f"{k['question']}: reviewed against {review.problems}, keyed "
                            f"against {k.get('set')}")
            continue
        role, truth = k.get("role", "answer"), k["truth"]
        cands = [g for g in got if str(g["question"]).lower() == k["question"]]
        best = _match(k, cands)
        if best is None:
            s.misses.append(f"{k['question']}: not found: {k['latex'][:70]}")
            continue
        v = best["verdict"]
        if role in ("restated", "definition"):
            ok = v in ("restated", "definition") or v == truth
        else:
            ok = v == truth or (truth == "correct" and v == "layout") or (
                k.get("ambiguous") and v in JUDGED)
        if ok:
            s.right += 1
            continue
        s.false_correct += v == "correct" and truth == "incorrect"
        s.false_incorrect += (v == "incorrect" and truth in ("correct", "layout")
                              and role not in ("restated", "definition"))
        s.misses.append(f"{k['question']}: {v} (key {truth}, {role}): {k['latex'][:70]}")
    return s


def evaluate(folders: list[Path]) -> list[Score]:
    import symgrad  # noqa: F401  (registers the problem sets)
    from symgrad.verify.review import RecognisingReviewer

    reviewer = RecognisingReviewer()
    return [score(doc, key, reviewer) for doc, key in keyed_documents(folders)]


def main(argv: list[str]) -> int:
    verbose = "-v" in argv
    folders = [Path(a) for a in argv if a != "-v"] or [SHARED]
    missing = [f for f in folders if not f.is_dir()]
    if missing:
        print(f"no such folder: {missing[0]}", file=sys.stderr)
        return 2
    scores = evaluate([f for f in folders if f.is_dir()])
    for s in scores:
        print(s.line())
        if verbose:
            for m in s.misses:
                print(f"    {m}")
    keyed = sum(s.keyed for s in scores)
    right = sum(s.right for s in scores)
    print(f"all: {right}/{keyed} found and judged right ({100 * right / max(keyed, 1):.0f}%), "
          f"{sum(s.false_correct for s in scores)} false CORRECT, "
          f"{sum(s.false_incorrect for s in scores)} false INCORRECT "
          f"(standard: >= 85%, 0 and 0)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
