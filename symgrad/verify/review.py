"""Review whole write-ups: find the questions and claims (:mod:`.extract`), check every
claim in this process with the shared derivations of ``symgrad.check``, and report per
question (a terminal table, JSON, a file x question summary)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, MutableMapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..core.errors import SymgradError
from ..core.limits import CHECK_SECONDS, time_limit
from ..core.services import service
from .arithmetic import check_arithmetic
from .engine import EINSTEIN
from .engine import check as check_claim
from .extract import definition_text, extract, uses_name
from .questions import QuestionTree, normal_form
from .verdict import Verdict
from .writeup import Document, read_writeup

__all__ = ["ClaimResult", "FileReview", "Reviewer", "format_summary", "format_table",
           "review_json"]

VERDICT_ORDER = ("correct", "incorrect", "layout", "unparsed")


@dataclass
class ClaimResult:
    """One checked claim: where it is, what was checked, and the verdict."""

    question: str
    latex: str
    verdict: Verdict
    line: int
    cell: int | None
    start: int
    end: int
    spans: list[tuple[int, int]]
    definitions: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        """One JSON object per claim."""
        v = self.verdict.to_dict()
        return {"question": self.question, "latex": self.latex, "verdict": v["verdict"],
                "explanation": v["explanation"], "hint": v["hint"],
                "counterexample": v["counterexample"], "notes": v["notes"],
                "line": self.line, "cell": self.cell, "definitions": list(self.definitions)}


@dataclass
class FileReview:
    """The review of one file; ``error`` is set (one line) when it could not be read."""

    path: Path
    fmt: str = ""
    claims: list[ClaimResult] = field(default_factory=list)
    unplaced: list[dict] = field(default_factory=list)
    # what was shown but not judged, in order: definitions, restated question text and
    # claims that could not be placed (``kind``: definition, restated, not placed)
    shown: list[dict] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)
    error: str | None = None
    document: Document | None = None
    problems: str = ""  # the name of the problem set it was reviewed against
    problems_why: str = ""  # how that set was chosen, when review recognised it

    def summary(self) -> dict:
        """Counts of verdicts, and of what was skipped."""
        verdicts = Counter(c.verdict.verdict for c in self.claims)
        return {"claims": len(self.claims), **{k: verdicts.get(k, 0) for k in VERDICT_ORDER},
                "questions": len({c.question for c in self.claims}),
                "unplaced": len(self.unplaced), "definitions": self.counts["definition"],
                "question_text": self.counts["question"]}

    def to_dict(self) -> dict:
        return {"file": str(self.path), "format": self.fmt, "error": self.error,
                "problem_set": self.problems, "problem_set_why": self.problems_why,
                "summary": self.summary() if self.error is None else None,
                "claims": [c.to_dict() for c in self.claims], "unplaced": self.unplaced,
                "shown": self.shown}


# a claim that indexes position 0 (W[0, c, k], x_{0}, a sum from 0 over an index)
_ZERO_BASED = re.compile(r"\[\s*0\s*[,\]]|,\s*0\s*\]|_\{\s*0\s*,|_\{[^{}]*,\s*0\s*\}|"
                         r"\\sum(?:\\limits)?_\{\s*[a-z]\s*=\s*0\s*\}")


# ... a claim that counts from 1: a sum from 1, a range 1, 2, ..., position 1 first
_ONE_BASED = re.compile(r"\\sum(?:\\limits)?_\{\s*[a-z]'?\s*=\s*1\s*\}|\b[a-z]\s*=\s*1\s*,\s*(?:2|"
                        r"\\dots|\\ldots)|\[\s*1\s*,|_\{\s*1\s*,")


_FROM_0_PROSE = re.compile(r"\b(?:0|zero)-based\b|\b(?:run|runs|count|counts|start|starts|"
                           r"starting|go|goes)\s+(?:at|from)\s+\$?0\$?(?!\.\d)|\bfrom \$0\$ to",
                           re.I)


def counts_from_zero(claims: Sequence[str], prose: str = "") -> bool:
    """Whether a write-up counts positions from 0: at least two of its claims index
    position 0 (``i = 0``, ``\\sum_{k=0}``, ``W[0, c, k]``), or one does and its prose says so
    ("indices run from 0", "0-based"), and none counts from 1."""
    zero = sum(bool(_ZERO_BASED.search(c)) for c in claims)
    zero += 2 * bool(_FROM_0_PROSE.search(prose))
    return zero >= 2 and not any(_ONE_BASED.search(c) for c in claims)


def _one_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


class Reviewer:
    """Checks claims of many write-ups in one process; equal claims are checked once.

    ``checker(qid, latex, index_base, definitions)`` defaults to ``symgrad.check``."""

    def __init__(self, index_base: int = 1,
                 checker: Callable[..., Verdict] | None = None, problems=None):
        if index_base not in (0, 1):
            raise SymgradError(f"index base must be 0 or 1, not {index_base!r}")
        self.index_base = index_base
        # a ProblemSet, or the name or file of a registered one (default: the built-in)
        self.problems = problems if hasattr(problems, "questions") else \
            service("problem_set")(problems)
        self.tree = QuestionTree.of(self.problems)
        self._checker = checker
        self._cache: dict[tuple, Verdict] = {}
        # verdicts shared with other processes reviewing the same class (a Manager's dict):
        # a claim several students write is checked once across the workers
        self.shared: MutableMapping | None = None
        self._contexts: dict[str, object | None] = {}

    def context(self, qid: str):
        """The checker context of a question, or None when its answer is prose."""
        if qid not in self._contexts:
            make = self.problems.question(qid).context
            try:
                self._contexts[qid] = make() if make is not None else None
            except SymgradError:
                self._contexts[qid] = None
        return self._contexts[qid]

    def systems(self) -> frozenset[str]:
        return frozenset(q for q in self.tree.leaves
                         if getattr(self.context(q), "system", None) is not None)

    def _call(self, qid: str, latex: str, defs: tuple[str, ...], base: int | None = None
              ) -> Verdict:
        base = self.index_base if base is None else base
        if self._checker is not None:
            return self._checker(qid, latex, base, defs)
        with time_limit(CHECK_SECONDS, "checking the claim"):
            return check_claim(self.context(qid), latex, base, list(defs))

    def check(self, qid: str, latex: str, defs: tuple[str, ...] = (),
              from_zero: bool = False) -> Verdict:
        """The verdict on one claim (cached); never raises for the claim's content.
        ``from_zero``: the write-up counts positions from 0 (see :func:`counts_from_zero`),
        so a claim wrong 1-based is also read 0-based."""
        key = (qid, latex, defs, from_zero)
        if key not in self._cache and self.shared is not None:
            hit = self.shared.get((self.problems.name, self.index_base, *key))
            if hit is not None:
                self._cache[key] = hit
        if key not in self._cache:
            try:
                v = self._call(qid, latex, defs)
            except SymgradError as e:
                v = Verdict("unparsed", _one_line(e), claim_latex=latex)
            except Exception as e:  # one claim never stops the review of a folder
                v = Verdict("unparsed", f"the checker failed on this claim "
                            f"({type(e).__name__}: {_one_line(e)}); please report it",
                            claim_latex=latex)
            own = bool(_ZERO_BASED.search(latex))
            if v.verdict != "correct" and self.index_base == 1 and (own or from_zero):
                # f_W(x)[0, j] = \sum_{k=0}^{2} ...: position 0 exists only 0-based
                z = self._zero_based(qid, latex, defs)
                if z is not None and z.verdict in ("correct", "layout"):
                    why = "the claim indexes position 0" if own else \
                        "the write-up counts its positions from 0"
                    v = Verdict(z.verdict, z.explanation, z.counterexample, z.hint,
                                z.claim_latex, [*z.notes, f"read with 0-based indices ({why})"])
            if defs and v.verdict == "unparsed":
                plain = self.check(qid, latex)
                if plain.verdict != "unparsed":
                    v = Verdict(plain.verdict, plain.explanation, plain.counterexample,
                                plain.hint, plain.claim_latex,
                                [*plain.notes, "checked without the writer's definitions "
                                 f"({'; '.join(defs)}): with them the claim was not read"])
            self._cache[key] = v
            if self.shared is not None:
                self.shared[(self.problems.name, self.index_base, *key)] = v
        return self._cache[key]

    def share(self, shared: MutableMapping | None) -> None:
        """Share verdicts with the other processes of a class review (see ``shared``)."""
        self.shared = shared

    def given_shape(self, qid: str, latex: str) -> bool:
        """Whether ``latex`` states the shape of one of the question's given tensors
        (``x \\in \\mathbb{R}^{5 \\times 2}``) that the question does not ask about."""
        m = re.match(r"^\s*(.+?)\s*\\in\s*\\(?:mathbb\s*\{?\s*R\s*\}?|R\b|RR\b)", latex)
        ctx = self.context(qid)
        if m is None or ctx is None:
            return False
        name = re.sub(r"\s+", "", m.group(1))
        return any(name == re.sub(r"\s+", "", spelled) for t in ctx.tensors.values()
                   for spelled in (t.latex, *t.aliases))

    def misplaced(self, qid: str, latex: str, defs: tuple[str, ...], from_zero: bool,
                  verdict: Verdict) -> Verdict:
        """An incorrect claim that is right for another part of the same section (1.1.c.i's
        shape under 1.1.a) may be misplaced by a heading symgrad did not read: not judged,
        saying which question it answers, rather than a confident INCORRECT."""
        if not re.search(r"\\in\s*\\(?:mathbb|R\b|mathcal)", latex):
            # a bare shape (5 x 3) fits many parts: it names nothing; a formula about another
            # part's quantity does not read under this one (not judged, never incorrect)
            return verdict
        group = ".".join(qid.split(".")[:2])
        for other in self.tree.leaves:
            if other == qid or not other.startswith(group + ".") or self.context(other) is None:
                continue
            v = self.check(other, latex, defs, from_zero)
            if v.verdict == "correct":
                return Verdict("unparsed", f"not judged: under {qid} it does not hold "
                               f"({verdict.explanation}), but it is right for question "
                               f"{other}; check that it is placed under its question",
                               {"construct": "placement", "right_for": other}, None,
                               verdict.claim_latex, ["construct not judged: placement"])
        return verdict

    def _zero_based(self, qid: str, latex: str, defs: tuple[str, ...]) -> Verdict | None:
        try:
            return self._call(qid, latex, defs, 0)
        except Exception:  # the 0-based reading is only a second chance
            return None

    def data_conflicts(self, found: Sequence) -> dict[str, str]:
        """The questions whose text, as the write-up restates it, gives sizes (``10 \\times
        11``) that the problem set's data for them do not: another year's question.
        Question id -> the restated formula."""
        out: dict[str, str] = {}
        for f in found:
            if f.kind != "question" or not f.question:
                continue
            for chain in _CHAIN.findall(normal_form(f.latex)):
                node, chains, numbers = f.question, set(), set()
                while node:
                    for g in self.tree.given.get(node, ()):
                        chains.update(_CHAIN.findall(g))
                        numbers.update(re.findall(r"\d+", g))
                    node = node.rpartition(".")[0]
                if chains | numbers and chain not in chains and \
                        not set(chain.split("x")) <= numbers:
                    out.setdefault(f.question, f.latex)
        return out

    def review_document(self, doc: Document) -> FileReview:
        """Find and check every claim of a read write-up."""
        out = FileReview(doc.path, doc.fmt, document=doc, problems=self.problems.name)
        found = extract(self.tree, doc, self.systems())
        conflicts = self.data_conflicts(found)
        from_zero = counts_from_zero([f.latex for f in found if f.kind == "claim"], doc.text)
        # "I will use Einstein summation": a repeated index is summed in every claim
        einstein = (EINSTEIN,) if re.search(r"\beinstein", doc.text, re.I) else ()
        # definitions the checker found in what extract took for claims (n_H = 4): shown
        # as definitions and carried to the later claims of their section that use them
        learned: list[tuple[str, str]] = []
        for f in found:
            out.counts[f.kind] += 1
            if f.kind in ("definition", "question"):
                out.shown.append({"kind": "definition" if f.kind == "definition" else
                                  "restated", "question": f.question, "latex": f.latex,
                                  "line": doc.line(f.start), "cell": doc.cell(f.start),
                                  "reason": f.reason})
            if f.kind == "claim" and self.context(f.question) is None and \
                    (worked := check_arithmetic(f.checked)) is not None:
                # -\log(0.25) = \log(4) \approx 1.386 in a question answered in prose
                out.claims.append(ClaimResult(f.question, f.latex, worked, doc.line(f.start),
                                              doc.cell(f.start), f.start, f.end, list(f.spans)))
                continue
            if f.kind == "unplaced" or (f.kind == "claim" and self.context(f.question) is None):
                why = f.reason if f.kind == "unplaced" else \
                    f"question {f.question} is answered in prose; symgrad checks no formula " \
                    f"for it" + (f" ({f.reason})" if f.reason else "")
                out.unplaced.append({"question": f.question, "latex": f.latex,
                                     "line": doc.line(f.start), "cell": doc.cell(f.start),
                                     "reason": why})
                out.shown.append({"kind": "not placed", **out.unplaced[-1]})
                continue
            if f.kind == "refused":  # never read: not judged, with the reason
                out.claims.append(ClaimResult(f.question or "", f.latex,
                                              Verdict("unparsed", f.reason, claim_latex=""),
                                              doc.line(f.start), doc.cell(f.start), f.start,
                                              f.end, list(f.spans)))
                continue
            if f.kind != "claim":
                continue
            other = next((q for q in conflicts if f.question == q
                          or f.question.startswith(q + ".")), None)
            # a name defined in one part holds in that part (a writer reuses n_W in the
            # next), and never for a claim that defines it again
            own = _named(f.checked)
            extra = tuple(d for q, d in learned if q == f.question and d not in f.definitions
                          and uses_name(f.checked, d) and not (own and _named(d) == own))
            defs = (*f.definitions, *extra, *einstein)
            verdict = self.check(f.question, f.checked, defs, from_zero)
            if (verdict.counterexample or {}).get("construct") == "definition" and own:
                # n_H = 4 (never a letter: i = 0 is an index)
                learned.append((f.question, definition_text(f.checked)))
                _show_definition(out, f, doc, "a name the writer defines, carried to later "
                                              "parts")
                continue
            if verdict.verdict == "unparsed" and self.given_shape(f.question, f.checked):
                # x \in \mathbb{R}^{5 x 2} where the question asks about another quantity:
                # the writer's layout of a given tensor, shown, never judged as the answer
                _show_definition(out, f, doc, "the shape of a given tensor, as the writer "
                                              "lays it out")
                continue
            if other is not None and verdict.verdict != "unparsed":
                verdict = Verdict("unparsed", f"not judged: the write-up states question "
                                  f"{other} with other data (`{conflicts[other]}`) than problem "
                                  f"set {self.problems.name}; review it against its own year's "
                                  f"set (--set), or add that year as a problem set",
                                  {"construct": "other data"}, None, verdict.claim_latex,
                                  ["construct not judged: other data"])
            if verdict.verdict == "incorrect":
                verdict = self.misplaced(f.question, f.checked, defs, from_zero, verdict)
            if f.reason:  # how the claim was placed (by content): the verdict says so
                verdict = replace(verdict, notes=[*verdict.notes, f.reason])
            out.claims.append(ClaimResult(f.question, f.latex, verdict,
                                          doc.line(f.start), doc.cell(f.start), f.start, f.end,
                                          list(f.spans), (*f.definitions, *extra)))
        return out

    def review_file(self, path: str | Path) -> FileReview:
        """Review one file; a file that cannot be read gives a FileReview with ``error``."""
        try:
            doc = read_writeup(path)
        except SymgradError as e:
            return FileReview(Path(path), Path(path).suffix.lstrip(".").lower(),
                              error=_one_line(e))
        try:
            return self.review_document(doc)
        except SymgradError as e:
            return FileReview(doc.path, doc.fmt, error=_one_line(e), document=doc)
        except RecursionError:
            return FileReview(doc.path, doc.fmt, error="the write-up is nested too deeply "
                              "to read", document=doc)

    def review(self, paths: Iterable[str | Path]) -> list[FileReview]:
        return [self.review_file(p) for p in paths]


# a name with a subscript or a prime, then `=`: what a writer names (n_H, K_{eff}, H')
_NAMED = re.compile(r"^\s*(\\?[A-Za-z]+\s*(?:'|_\s*(?:\{[^{}=]+\}|[A-Za-z0-9])))\s*=(?!=)")


def _named(latex: str) -> str | None:
    """The name a claim defines (``n_H`` of ``n_H = 4``), spaces dropped, or None."""
    m = _NAMED.match(latex)
    return re.sub(r"\s+", "", m.group(1)) if m else None


def _show_definition(out: FileReview, f, doc: Document, reason: str) -> None:
    """Show what extract took for a claim as a definition (counted as one)."""
    out.counts["claim"] -= 1
    out.counts["definition"] += 1
    out.shown.append({"kind": "definition", "question": f.question, "latex": f.latex,
                      "line": doc.line(f.start), "cell": doc.cell(f.start), "reason": reason})
_CHAIN = re.compile(r"(?<![\d.])\d+(?:x\d+)+(?![\d.])")  # 10x11 in a normal form


def recognise(doc: Document, sets: Sequence) -> tuple[object, str, list]:
    """The problem set a write-up answers, among ``sets`` (ProblemSets, the default
    first): the one whose statement it copies most (its ``given`` data), then the one
    under whose questions most of its formulas fall. Also says why, and lists the other
    sets that what it copies does not rule out (the caller then decides by the verdicts)."""
    trees = [QuestionTree.of(s) for s in sets]
    founds = [extract(tree, doc) for tree in trees]
    # formulas read as the question's data, not as an answer ("4 \\times 5" is one year's
    # kernel and another year's output)
    formulas = {(f.question, f.latex) for found in founds for f in found
                if f.question and f.kind != "claim"}
    # a formula every set states (h[0] = 0 in two years of one homework) tells none apart
    told = {(q, x): [t.restates(q, x) for t in trees] for q, x in formulas}
    told = {key: hits for key, hits in told.items() if any(hits) and not all(hits)}
    scores = []
    for k, (s, found) in enumerate(zip(sets, founds, strict=True)):
        copied = sum(hits[k] for hits in told.values())
        placed = sum(f.kind == "claim" for f in found)
        scores.append((copied, placed, -k, s))
    scores.sort(key=lambda x: x[:3], reverse=True)
    best = scores[0]
    why = f"recognised: {best[0]} formula(s) of its statement copied, {best[1]} placed"
    if len(scores) > 1:
        why += f"; next {scores[1][3].name}: {scores[1][0]} copied, {scores[1][1]} placed"
    # what it copies does not decide (a write-up that restates little): the sets under
    # which it places about as many claims, for the caller to decide by the verdicts
    open_ = [x[3] for x in scores[1:] if x[0] + 2 > best[0] and best[1]
             and x[1] * 2 >= best[1]]
    return best[3], why, open_


class RecognisingReviewer:
    """Reviews each write-up against the problem set it answers (see :func:`recognise`),
    among the registered ones; the choice and why are in the review's ``problems_why``."""

    def __init__(self, index_base: int = 1, names: Sequence[str] | None = None):
        get = service("problem_set")
        names = list(names) if names is not None else service("problem_set_names")()
        self.sets = [get(n) for n in names]
        self.index_base = index_base
        self._reviewers: dict[str, Reviewer] = {}
        self.shared: MutableMapping | None = None
        self.problems = self.sets[0]

    def review_file(self, path: str | Path) -> FileReview:
        try:
            doc = read_writeup(path)
        except SymgradError:
            return self._reviewer(self.sets[0]).review_file(path)
        chosen, why, others = recognise(doc, self.sets)
        out = self._reviewer(chosen).review_file(path)
        if others:  # nothing it copies tells them apart: the set its answers check out in
            right = {out.problems: sum(c.verdict.ok for c in out.claims)}
            for pset in others:
                other = self._reviewer(pset).review_file(path)
                right[other.problems] = sum(c.verdict.ok for c in other.claims)
                if right[other.problems] > right[out.problems]:
                    out = other
            rest = ", ".join(f"{n} {k}" for n, k in right.items() if n != out.problems)
            why = (f"recognised by its verdicts: {right[out.problems]} claim(s) right against "
                   f"{out.problems} ({rest}; what it copies fits several: {why})")
        out.problems_why = why
        return out

    def review(self, paths: Iterable[str | Path]) -> list[FileReview]:
        return [self.review_file(p) for p in paths]

    def _reviewer(self, pset) -> Reviewer:
        if pset.name not in self._reviewers:
            self._reviewers[pset.name] = Reviewer(self.index_base, problems=pset)
            self._reviewers[pset.name].shared = self.shared
        return self._reviewers[pset.name]

    def share(self, shared: MutableMapping | None) -> None:
        """Share verdicts with the other processes of a class review (see Reviewer.shared)."""
        self.shared = shared
        for r in self._reviewers.values():
            r.shared = shared


def _short(v: Verdict, width: int = 70) -> str:
    if v.counterexample and v.verdict != "unparsed":
        ce = v.counterexample
        text = ", ".join(f"{k} = {ce[k]}" for k in ("entry", "claimed", "true", "dimension",
                                                     "parameters", "position", "construct")
                         if k in ce and ce[k] is not None)
        if not text:
            text = ", ".join(f"{k} = {val}" for k, val in list(ce.items())[:3])
    else:
        text = v.explanation
    text = re.sub(r"\s+", " ", text)
    return text if len(text) <= width else text[:width - 3] + "..."


def format_table(review: FileReview) -> str:
    """The per-question table of one file."""
    name = review.path.name
    if review.error:
        return f"{name}: error: {review.error}"
    s = review.summary()
    chosen = f"problem set {review.problems}" + (f", {review.problems_why}"
                                                 if review.problems_why else "")
    lines = [f"{name} ({chosen}): {s['claims']} claim(s) placed under "
             f"{s['questions']} question(s), {s['unplaced']} not placed: "
             + ", ".join(f"{s[k]} {k}" for k in VERDICT_ORDER[:3])
             + f", {s['unparsed']} not judged; shown, not judged: {s['question_text']} "
             f"restated from the question, {s['definitions']} definition(s)"]
    head = f"{'question':<10} {'claims':>6} {'correct':>7} {'incorr.':>7} {'layout':>6} " \
           f"{'unparsed':>8}  first problem (line: counterexample or reason)"
    lines += [head, "-" * len(head)]
    order = {q: i for i, q in enumerate(review_questions(review))}
    for qid in sorted(order, key=order.get):
        cs = [c for c in review.claims if c.question == qid]
        n = Counter(c.verdict.verdict for c in cs)
        bad = next((c for c in cs if c.verdict.verdict != "correct"), None)
        first = f"line {bad.line}: {_short(bad.verdict)}" if bad else ""
        lines.append(f"{qid:<10} {len(cs):>6} {n['correct']:>7} {n['incorrect']:>7} "
                     f"{n['layout']:>6} {n['unparsed']:>8}  {first}")
    for u in review.unplaced:
        where = f"line {u['line']}" + (f" (cell {u['cell']})" if u["cell"] is not None else "")
        lines.append(f"not placed, {where}: {u['latex'][:50]} -- {u['reason']}")
    return "\n".join(lines)


def review_questions(review: FileReview) -> list[str]:
    return list(dict.fromkeys(c.question for c in review.claims))


def format_summary(reviews: Sequence[FileReview], order: Sequence[str] = ()) -> str:
    """A file x question table (correct/claims in each cell) in Markdown, for a grader;
    ``order``: the problem set's question ids."""
    order = {q.lower(): i for i, q in enumerate(order)}
    qids = sorted({q for r in reviews for q in review_questions(r)},
                  key=lambda q: (order.get(q, len(order)), q))
    head = "| file | " + " | ".join(qids) + " | correct / claims |"
    lines = [head, "|" + "---|" * (len(qids) + 2)]
    for r in reviews:
        if r.error:
            lines.append(f"| {r.path.name} | " + " | ".join("" for _ in qids)
                         + f" | error: {r.error} |")
            continue
        cells = []
        for q in qids:
            cs = [c for c in r.claims if c.question == q]
            ok = sum(c.verdict.ok for c in cs)
            cells.append(f"{ok}/{len(cs)}" if cs else "-")
        s = r.summary()
        lines.append(f"| {r.path.name} | " + " | ".join(cells) + f" | {s['correct']}/"
                     f"{s['claims']} |")
    return "\n".join(lines) + "\n"


def review_json(reviews: Sequence[FileReview]) -> dict:
    """Every file, every claim (with its file) and a summary, JSON-ready."""
    claims = [{"file": str(r.path), **c.to_dict()} for r in reviews for c in r.claims]
    total = Counter(c["verdict"] for c in claims)
    return {"files": [r.to_dict() for r in reviews], "claims": claims,
            "summary": {"files": len(reviews), "errors": sum(r.error is not None
                                                              for r in reviews),
                        "claims": len(claims), **{k: total.get(k, 0) for k in VERDICT_ORDER},
                        "unplaced": sum(len(r.unplaced) for r in reviews)}}
