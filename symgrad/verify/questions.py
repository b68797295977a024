"""Question numbering as students write it: ``1.1.c.iii``, ``1.1 (c) (iii)``,
``Q1.1.C.I Answer``, ``Part (ii)``, ``\\section*{1.1}`` then ``(a)``, enumerate items.

A :class:`QuestionTree` knows the ids of a problem set; :func:`read_label` reads one
line and says which question (absolute or relative) it names, if any."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["Label", "QuestionTree", "normal_form", "read_label"]

_VALUE = re.compile(r"^\s*([A-Za-z])\s*=\s*(\d+)\s*$")
_NORMAL = [(re.compile(p), r) for p, r in [
    (r"\\(?:left|right|big|Big|bigg|Bigg)(?![a-zA-Z])", ""),
    (r"\\(?:mathbf|boldsymbol|bm|mathrm|operatorname|text|textrm)\s*\{([^{}]*)\}", r"\1"),
    (r"\\(?:[,;:! ]|quad|qquad|displaystyle)", ""), (r"\\leq(?![a-zA-Z])", r"\\le"),
    (r"\\geq(?![a-zA-Z])", r"\\ge"), (r"\^\s*\{?\s*(?:T|\\top|\\intercal)\s*\}?", "^T"),
    (r"\\cdot(?![a-zA-Z])|\\ast(?![a-zA-Z])", "*"), (r"\\times(?![a-zA-Z])|×", "x"),
    (r"\\sigma(?![a-zA-Z])", "σ"), (r"\s+", ""), (r"\{([^{}])\}", r"\1"),
    (r"[.,;]+$", "")]]


_ATTRS = ("height", "width", "length", "size", "stride", "padding", "dilation", "channels",
          "filters")
_OBJECTS = {"input": "input", "image": "input", "sequence": "input", "kernel": "kernel",
            "filter": "kernel", "output": "output", "effective": "kernel effective"}


def size_key(phrase: str) -> str | None:
    """What a phrase names as a size, as ``object attribute`` (``the height of the input
    image`` -> ``input height``; ``the stride`` -> ``stride``); None for anything else."""
    words = re.findall(r"[a-z]+", phrase.lower())
    attrs = [w for w in words if w in _ATTRS]
    if len(attrs) != 1 or len(words) > 8:
        return None
    attr = attrs[0]
    if attr in ("stride", "padding", "dilation", "filters"):
        return attr
    objs = [_OBJECTS[w] for w in words if w in _OBJECTS]
    obj = "output" if "output" in objs else " ".join(dict.fromkeys(objs))
    if attr == "channels":
        return "input channels" if obj in ("", "input") else None
    if "kernel" in obj and "effective" in words:
        obj = "kernel effective"
    return f"{obj} {attr}" if obj else None


def normal_form(latex: str) -> str:
    """A formula with spacing, fonts, sizes and equivalent spellings folded, for comparing
    what a write-up copies with what a question states."""
    s = latex
    for rx, rep in _NORMAL:
        s = rx.sub(rep, s)
    return s


_ROMAN = {"i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x"}


class QuestionTree:
    """The ids of a problem set as a tree (``1.1.c.i`` is a child of ``1.1.c``)."""

    def __init__(self, ids: Iterable[str], titles: dict[str, str] | None = None,
                 given: dict[str, Iterable[str]] | None = None,
                 sizes: dict[str, dict[str, str]] | None = None,
                 aliases: dict[str, str] | None = None):
        self.leaves: list[str] = [i.lower() for i in ids]
        # the formulas each question or section states (normalised), and its parameters'
        # values (S = 4): a write-up that copies one restates the question
        self.given: dict[str, set[str]] = {}
        self.values: dict[str, dict[str, str]] = {}
        for node, formulas in (given or {}).items():
            for f in formulas:
                self.given.setdefault(node.lower(), set()).add(normal_form(f))
                m = _VALUE.match(f)
                if m:
                    self.values.setdefault(node.lower(), {})[m.group(1)] = m.group(2)

        # section titles of the problem set (regular expressions): a heading that says
        # "Recurrent Neural Networks" names 1.2 when LaTeX numbers the sections itself
        self.titles = {k: re.compile(v, re.I) for k, v in (titles or {}).items()}
        self.statements: dict[str, str] = {}
        self.nodes: dict[str, list[str]] = {}
        for qid in self.leaves:
            parts = qid.split(".")
            for k in range(1, len(parts) + 1):
                node = ".".join(parts[:k])
                parent = ".".join(parts[:k - 1])
                self.nodes.setdefault(node, [])
                kids = self.nodes.setdefault(parent, [])
                if node not in kids:
                    kids.append(node)

        self.sizes = {k.lower(): v for k, v in (sizes or {}).items()}
        # another numbering of the same questions (another year's "1.2.1" for our "1.2"),
        # longest first
        self.aliases = dict(sorted(((k.lower(), v.lower()) for k, v in (aliases or {}).items()),
                                   key=lambda kv: -len(kv[0])))

    @classmethod
    def of(cls, problems) -> QuestionTree:
        """The tree of a problem set, with its titles, data, sizes, aliases and the
        statement of each question (for placing by content)."""
        tree = cls(problems.questions, problems.titles, problems.given, problems.sizes,
                   problems.aliases)
        tree.statements = {
            q.lower(): f"{problems.question(q).statement} "
                       f"{getattr(problems.question(q), 'statement_tex', '')}"
            for q in problems.questions}
        return tree

    def canonical(self, qid: str) -> str:
        """``qid`` in the set's own numbering (an alias prefix replaced)."""
        for alias, target in self.aliases.items():
            if qid == alias or qid.startswith(alias + "."):
                return target + qid[len(alias):]
        return qid

    def size_named(self, qid: str | None, phrase: str) -> str | None:
        """The value of the size that prose names (``the height of the input image``) in
        question ``qid`` or a section above it, when the phrase names one."""
        key = size_key(phrase)
        node = qid or ""
        while key and node:
            if key in self.sizes.get(node, {}):
                return self.sizes[node][key]
            node = node.rpartition(".")[0]
        return None

    def restates(self, qid: str | None, row: str) -> bool:
        """Whether ``row`` copies a formula that question ``qid`` (or a section above it)
        states as its data: ``21 \\times 12``, ``S = 4``, the model's equations."""
        if not qid:
            return False
        several = re.match(r"^\s*([^=]+?,[^=]+?)\s*(\\in\b.*)$", row)
        if several and all(self.restates(qid, f"{name} {several.group(2)}")
                           for name in several.group(1).split(",")):
            return True  # x[t], h[t] \in R^n: each is given
        norm = normal_form(row)
        value = _VALUE.match(row)
        node = qid
        while node:
            if norm in self.given.get(node, ()):
                return True
            if value and self.values.get(node, {}).get(value.group(1)) == value.group(2):
                return True
            node = node.rpartition(".")[0]
        return False

    def is_node(self, qid: str) -> bool:
        return qid != "" and self.canonical(qid) in self.nodes

    def is_leaf(self, qid: str) -> bool:
        return qid in self.leaves

    def children(self, qid: str) -> list[str]:
        return self.nodes.get(qid, [])

    def child(self, qid: str, label: str) -> str | None:
        """The child of ``qid`` named ``label`` (``c``, ``iii``, ``2``), if there is one."""
        cand = f"{qid}.{label.lower()}" if qid else label.lower()
        return self.canonical(cand) if self.is_node(cand) else None

    def resolve(self, current: str | None, labels: list[str]) -> str | None:
        """A relative label path (``["c", "iii"]``) read under the current question: the
        nearest ancestor (or the question itself) that has the first label as a child."""
        if not labels:
            return None
        node = current or ""
        while True:
            first = self.child(node, labels[0])
            if first is not None:
                out = first
                for lab in labels[1:]:
                    out = self.child(out, lab)
                    if out is None:
                        return None
                return out
            if not node:
                return None
            node = node.rpartition(".")[0]

    def titled(self, title: str) -> str | None:
        """The section whose title a heading gives (only a whole-title match)."""
        t = re.sub(r"[^a-z0-9 ]+", " ", title.lower())
        t = re.sub(r"\s+", " ", t).strip()
        hits = [k for k, rx in self.titles.items() if rx.fullmatch(t)]
        return hits[0] if len(hits) == 1 else None

    def resolve_by_text(self, current: str | None, labels: list[str], text: str
                        ) -> str | None:
        """A relative label that names no child of the current question (``(b)`` right
        under ``1.2``, whose parts are ``1.2.1`` and ``1.2.2``), placed by the question it
        restates: the one descendant ending in the labels whose statement shares the most
        symbols and words with ``text``, when exactly one does."""
        if not current or not self.statements or not text:
            return None
        tail = "." + ".".join(labels)
        cands = [n for n in self.nodes if n.startswith(current + ".") and n.endswith(tail)]
        if len(cands) < 2:
            return cands[0] if cands else None
        words = _words(text)
        scores = sorted(((len(words & _words(self.statements.get(n, ""))), n) for n in cands),
                        reverse=True)
        if scores[0][0] >= 1 and scores[0][0] > scores[1][0]:
            return scores[0][1]
        return None

    def by_content(self, parts: list[str], counted: str, text: str) -> str | None:
        """The part among ``parts`` whose statement ``text`` restates, when it is clearly
        another one than the part its position gives (``counted``); else None."""
        if len(_words(self.statements.get(counted, ""))) < 3 or not text:
            return None  # a part whose statement says little (1.1.c: its parts ask)
        words = _words(text)
        score = {n: len(words & _words(self.statements.get(n, ""))) for n in parts}
        best = max(parts, key=lambda n: score[n])
        if best != counted and score[best] >= 4 and score[best] > 2 * score[counted] and \
                sum(v == score[best] for v in score.values()) == 1:
            return best
        return None

    def describe(self, qid: str) -> str:
        """``1.1.c`` -> ``1.1.c (parts i, ii, iii, iv)``."""
        kids = [k.rpartition(".")[2] for k in self.children(qid)]
        return f"{qid} (parts {', '.join(kids)})" if kids else qid


_STOP = {"the", "and", "for", "what", "with", "this", "that", "are", "is", "of", "an", "a",
         "provide", "expression", "dimension", "dimensions", "values", "value", "write",
         "down", "you", "your", "from", "given", "will", "be", "its", "all", "there", "can"}


def _words(text: str) -> set[str]:
    """Symbols (c[t], a[t], w_x) and words of a question's text, for matching."""
    t = re.sub(r"\\(?:mathbf|mathrm|text|left|right|big)\b|[{}$\\]", "", text.lower())
    t = re.sub(r"\s*([\[\]_])\s*", r"\1", t)
    symbols = set(re.findall(r"[a-z]+_?[a-z0-9]*\[[^\]]*\]|[a-z]_[a-z0-9]+", t))
    words = {w for w in re.findall(r"[a-z]{3,}", text.lower()) if w not in _STOP}
    return symbols | words


@dataclass(frozen=True)
class Label:
    """What a line names: an absolute id, a relative label path, or only "Answer".

    ``heading`` is the heading level (1 = top) when the line is a heading, else 0;
    ``answer`` says that the line opens an answer (``Answer``, ``Solution``)."""

    absolute: str | None
    relative: tuple[str, ...]
    answer: bool
    heading: int
    title: str


_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_TEX_HEADING = re.compile(r"^\\(part|chapter|section|subsection|subsubsection|paragraph|"
                          r"subparagraph)\*?\s*(?:\[[^\]]*\])?\s*\{((?:[^{}]|\{[^{}]*\})*)\}")
_TEX_LEVEL = {"part": 1, "chapter": 1, "section": 1, "subsection": 2, "subsubsection": 3,
              "paragraph": 4, "subparagraph": 5}
_BOLD_LINE = re.compile(r"^(?:[-*]\s+)?(?:\*\*|__|\\textbf\{)(.+?)(?:\*\*|__|\})[:.]?\s*$")
_ANSWER = re.compile(r"\b(answers?|solutions?|soln|sol)\b\.?", re.I)
_NUMBER = re.compile(r"(?<![\w.])(q|question|problem|exercise|section|part)?\s*"
                     r"(\d+(?:\.\d+)*)(?![\d])", re.I)
_TOKEN = re.compile(r"\s*[.,\s]?\s*(?:part\s*)?\(?\s*([a-z]{1,4})\s*\)?(?![a-z])", re.I)
_REL_LINE = re.compile(r"^(?:part\s*|question\s*|problem\s*)?((?:\(\s*[a-z]{1,4}\s*\)\s*)+|"
                       r"[a-z]{1,4}\)|[a-z]{1,4}\.(?=\s*$|\s+(?:[A-Z]|\$|\\[(\[]))|"
                       r"(?<=part )[a-z]{1,4}\b)", re.I)
# a heading that restates its question (**a. Given an input ...?**, **(i) What is ...**)
QUESTION_TITLE = re.compile(r"\?|^\W*(?:\(?[a-z]{1,4}[.)]\s*)?(?:given|what|provide|suppose|assume|"
                            r"draw|write|explain|extend|modify|can|in this section|now,?\s+"
                            r"suppose|how)\b", re.I)
# a label word and one part (Part 1, Problem a, Question (iv), Q2, Sub-part b)
_PART_WORD = re.compile(r"^(?:part|problem|question|exercise|task|sub-?(?:part|problem|question)|"
                        r"q)\s*[.#:]?\s*\(?\s*([a-h]|[ivx]{1,4}|\d{1,2})\s*\)?(?!\w|\.\d)", re.I)
# an exporter's or writer's prefix before a label: "0.1 Answer to (i)", "Solution for part b"
_ANSWER_TO = re.compile(r"^(?:\d+(?:\.\d+)*\.?\s+)?(?:answers?|solutions?|soln|sol\.?)\s*"
                        r"(?:to|for|of)?\s*(?:the\s+)?:?\s*(?=\S)", re.I)
_STRIP = re.compile(r"^(?:[-*>]\s+)+")
# spacing and layout commands a LaTeX writer puts before a label (\noindent\textbf{Q1.1.A})
_LEADING_TEX = re.compile(r"^(?:\s*\\(?:noindent|indent|medskip|bigskip|smallskip|newline|par|"
                          r"clearpage|newpage|pagebreak|centering|large|Large|normalsize)\b\s*|"
                          r"\s*\\vspace\*?\s*\{[^{}]*\}\s*)+")
_TEX_BOLD_START = re.compile(r"^\\(?:textbf|textit|emph|underline|textsc)\s*"
                             r"\{((?:[^{}]|\{[^{}]*\})*)\}")


def _tokens_after(tree: QuestionTree, node: str, text: str) -> tuple[str, int]:
    """Extend ``node`` with the letter/roman tokens that follow it while they name nodes."""
    pos = 0
    while True:
        m = _TOKEN.match(text, pos)
        if not m:
            return node, pos
        tok = m.group(1).lower()
        nxt = tree.child(node, tok)
        if nxt is None:
            return node, pos
        node, pos = nxt, m.end()


def absolute_id(tree: QuestionTree, text: str) -> tuple[str | None, int]:
    """The deepest question id written in ``text`` (``5.5.1 1.1.C.I`` -> ``1.1.c.i``) and
    where it ends; section numbers of a converted PDF (``5.5.1``) name no question."""
    best: tuple[str | None, int] = (None, 0)
    for m in _NUMBER.finditer(text):
        num = m.group(2)
        if not tree.is_node(num) or ("." not in num and (
                not m.group(1) or m.group(1).lower() == "part"
                or len(tree.children("")) < 2)):
            continue  # "Part 1" under 1.2, "Problem 2" under 1.3: a part of the current one
        node, used = _tokens_after(tree, tree.canonical(num), text[m.end():])
        if best[0] is None or node.count(".") > best[0].count("."):
            best = (node, m.end() + used)
    return best


# a further part after a part word: "Part c.i", "Part c(ii)", "Part (c)(iii)"
_MORE_PART = re.compile(r"\.?\s*\(?\s*([ivx]{1,4}|[a-h])\s*\)?(?![\w.])", re.I)


def _relative(text: str) -> tuple[tuple[str, ...], int]:
    m = _PART_WORD.match(text)
    if m:
        labels, end = [m.group(1).lower()], m.end()
        more = _MORE_PART.match(text, end)
        while more and more.end() > end:
            labels.append(more.group(1).lower())
            end = more.end()
            more = _MORE_PART.match(text, end)
        return tuple(labels), end
    m = _REL_LINE.match(text)
    if not m:
        return (), 0
    labels = tuple(x.lower() for x in re.findall(r"[a-z]+", m.group(1), re.I))
    return labels, m.end()


def read_label(tree: QuestionTree, line: str) -> Label | None:
    """The question a line names, or None. Headings (Markdown ``#``, ``\\section``, a bold
    line) may name a question anywhere in their text; a body line only at its start."""
    s = _LEADING_TEX.sub("", line.strip())
    if not s:
        return None
    level, bold = 0, False
    m = _MD_HEADING.match(s)
    t = _TEX_HEADING.match(s)
    b = _BOLD_LINE.match(_STRIP.sub("", s))
    if m:
        level, title = len(m.group(1)), m.group(2)
    elif t:
        level, title = _TEX_LEVEL[t.group(1)], t.group(2)
    elif b:
        level, title = 6, b.group(1)
    else:
        title = _STRIP.sub("", s)
        bold = bool(re.match(r"(?:\*\*|__|\\textbf\s*\{)", title))
        t2 = _TEX_BOLD_START.match(title)
        if t2:  # \textbf{Q1.1.A Answer} followed by text on the same line
            title = t2.group(1) + " " + title[t2.end():]
    title = re.sub(r"\*\*|__|\\textbf\{|\\emph\{|[{}]", " ", title).strip()
    answer = bool(_ANSWER.search(title))
    if level:
        qid, _end = absolute_id(tree, title)
        if qid is not None:
            # "Problem 1.3: AttentionRNN(2)" in another year's numbering: its title names
            # the question (1.2.2) when it names another one than its number
            named = tree.titled(title[_end:])
            if named is not None and not (named == qid or qid.startswith(named + ".")
                                          or named.startswith(qid + ".")):
                qid = named
        lead = _ANSWER_TO.match(title)
        if qid is None and lead and _relative(title[lead.end():])[0]:
            title = title[lead.end():]  # "### 0.1 Answer to (i)": the label after it
        if qid is not None:
            return Label(qid, (), answer, level, title)
        rel, end = _relative(title)
        if rel and not title[end:].strip(" .:-—"):
            return Label(None, rel, answer, level, title)
        if rel and all(x in _ROMAN or len(x) == 1 for x in rel):
            # **a. Given an input ...?**, **c) For this section, ...**: the label, then the
            # question restated (or a title)
            return Label(None, rel, answer, level, title)
        named = tree.titled(re.sub(r"\(\s*\d+\s*(?:pts?|points?)\s*\)", "", title, flags=re.I))
        if named is not None:
            return Label(named, (), answer, level, title)
        if rel and answer:
            return Label(None, rel, answer, level, title)
        return Label(None, (), answer, level, title)
    # a body line: a label only at its start, followed by nothing, a colon, or text
    start = re.match(r"^(?:\d+(?:\.\d+)*\s+)?(?:(?:q|question|problem|exercise|section)\s*)?"
                     r"(?=1\.\d)", title, re.I)
    if start is not None:
        qid, end = absolute_id(tree, title[:start.end() + 40])
        # a label followed by its answer's formula: "**1.1 a)** $5 \times 2$", "1.1 (b) $..$"
        closed = bold or title[:end].rstrip().endswith(")")
        if qid is not None and (end >= len(title) or
                                re.match(r"\s*(?:[:.)\-—]|answers?\b|solutions?\b|$)",
                                         title[end:], re.I) or
                                (closed and re.match(r"\s*(?:\$|\\\(|\\\[)", title[end:]))):
            rest = title[end:]
            return Label(qid, (), bool(_ANSWER.match(rest.strip(" :.)-"))), 0, title)
    rel, end = _relative(title)
    if rel and (end >= len(title) or title[end - 1] in " \t" or title[end] in " :.\t"):
        if all(x in _ROMAN or len(x) == 1 for x in rel):
            rest = title[end:].strip()
            return Label(None, rel, bool(_ANSWER.match(rest.strip(" :."))), 0, title)
    return None
