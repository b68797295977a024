"""Claims in a write-up: the math of each answer, placed under its question.

Walks a :class:`~symgrad.verify.writeup.Document` in order: headings and labels move the
current question (:mod:`symgrad.verify.questions`); every display or inline formula is
then a claim, a definition the writer makes (carried to later parts), restated question
text, prose math (a symbol, a range), or a claim in a section that names no question
(reported as unplaced, never guessed)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from .formulas import (
    EQ,
    MAX_MATH,
    RANGES_ONLY,
    Math,
    clean,
    find_math,
    split_rows,
    split_statements,
)
from .questions import QUESTION_TITLE, Label, QuestionTree, absolute_id, read_label
from .writeup import Document, expand_macros

__all__ = ["Found", "Math", "definition_text", "extract", "find_math", "split_rows", "uses_name"]


@dataclass
class Found:
    """What the walk found for one formula (or a group of them).

    ``kind``: ``claim`` (to check), ``definition``, ``question`` (restated question text),
    ``unplaced`` (a claim under no question) or ``skipped`` (prose math)."""

    kind: str
    question: str | None
    latex: str
    source: str
    start: int
    end: int
    reason: str = ""
    definitions: tuple[str, ...] = ()
    section: int = 0
    spans: list[tuple[int, int]] = field(default_factory=list)
    check: str = ""  # what the checker reads when it differs from the writer's ``latex``
                     # (the writer's own macros expanded)

    @property
    def checked(self) -> str:
        return self.check or self.latex




# ---------------------------------------------------------------- reading a formula

_RSPACE = (r"(?:\\mathbb\s*\{?\s*R\s*\}?|\\mathcal\s*\{\s*R\s*\}|\\R\b|\\Re\b|\\real\b|R"
           # or a set of values: (0,1)^m, [-1, 1]^{n}
           r"|(?:\\left)?[\(\[]\s*-?\d+(?:\.\d+)?\s*,\s*-?\d+(?:\.\d+)?\s*(?:\\right)?[\)\]])")
_SHAPE = re.compile(r"\\in\s*" + _RSPACE + r"\s*\^")
_BARE_SHAPE = re.compile(r"^\s*(?:\\in\s*)?" + _RSPACE + r"\s*\^")
_EQ = EQ
_DEFINE_EQ = re.compile(r":=|\\coloneqq|\\triangleq|\\equiv|\\stackrel\{[^{}]*def[^{}]*\}\{=\}|"
                        r"\\overset\{[^{}]*def[^{}]*\}\{=\}|=:")
_PRODUCT = re.compile(r"^\s*\(?\s*[A-Za-z0-9]{1,3}(?:\s*(?:\\times|\\cdot|x|X|×)\s*"
                      r"[A-Za-z0-9]{1,3})+\s*\)?\s*$")
_RANGE = re.compile(r"^\s*[a-zA-Z](?:\s*,\s*[a-zA-Z])*\s*\\in\s*(?:\\\{|\[|\\left|\{|\d|\\mathbb"
                    r"\s*\{?\s*[NZ])|\\l(?:e|eq)\b.*\\l(?:e|eq)\b|^\s*[a-zA-Z]\s*(?:<|>|\\le|\\ge)")
_WORD_SUBJECT = re.compile(r"^\s*(?:\\text\w*\s*\{\s*)?(?:the\s+)?(?:output|ouput|outptu|out|"
                           r"result|answer|shape|dimension|dim|size)(?:\s+(?:shape|size|dim"
                           r"(?:ension)?s?))?\s*\}?\s*(\\in\b|=)", re.I)
_QUESTION_PROSE = re.compile(r"\?\s*$|example answer format|provide an expression|what is the "
                             r"dimension|defined as follows|we define an?\s|is defined as|write "
                             r"(?:out|down) the|you may (?:use|safely)", re.I)
_DEFINE_PROSE = re.compile(r"(?:\blet|\bletting|\bdefine|\bdefining|\bdenote|\bdenoting|\bset|"
                           r"\bgoing forward,?\s*let|\bwe write|\bwriting|\bwrite|\bassume|\bcall|"
                           r"\bintroduce|\bintroducing|\bshorthand|\bnotation)\s*(?:that\s*|"
                           r"us\s*)?$", re.I)
_WHERE_PROSE = re.compile(r"(?:\bwhere|\bwith|\bhere)\s*$", re.I)
# "the output (dimension) is", "its shape will be": a bare shape that follows is the answer
_OUTPUT_IS = re.compile(r"\b(?:output|ouput|answer|result)(?:\s+(?:dimensions?|shape|size))?\s+"
                        r"(?:is|are|will\s+be|would\s+be|has|becomes)\s*(?:of\s+)?(?:dimensions?\s+|"
                        r"shape\s+|size\s+)?(?:in\s+)?[:,]?\s*$", re.I)
# a shape written after a definition on the same row (d := ... \in \mathbb{R}^{1 \times m})
_TRAILING_SHAPE = re.compile(r"\\in\s*" + _RSPACE + r"\s*\^\s*(?:\{[^{}]*\}|\w)\s*$")
# a shape written as a tuple: (5, 2)
_TUPLE = re.compile(r"^\s*\(\s*[A-Za-z0-9]{1,3}(?:\s*,\s*[A-Za-z0-9]{1,3})+\s*\)\s*$")
# a size the writer names while stating it (H_{out} = ..., W' = ..., L_o = ...)
_NAMED_SIZE = re.compile(r"^\s*[A-Za-z](?:\s*'|\s*_\s*\{?\s*(?:out|o|output|new|"
                         r"\\text\s*\{\s*out\s*\}|\\mathrm\s*\{\s*out\s*\})\s*\}?)\s*$")
# prose that introduces a formula the writer starts from (the model restated), not a claim
_GIVEN_PROSE = re.compile(r"(?:\brecall(?:\s+that)?|\bdifferentiating|\bstarting\s+from|\busing|"
                          r"\bexpanding|\bplugging\s+in|\bsubstituting)\s*:?\s*$", re.I)
_NOTATION_AFTER = re.compile(r"^\s*(?:denotes|is the|stands for|represents|means|is an?\b)",
                             re.I)
_SIMPLE_NAME = re.compile(r"^\s*(?:\\[a-zA-Z]+\s*\{\s*[A-Za-z]\s*\}|\\[a-zA-Z]+|[A-Za-z])"
                          r"(?:\s*_\s*(?:\{[^{}]*\}|[A-Za-z0-9]))?(?:\s*\^\s*\{?\s*\(?\w+\)?\s*"
                          r"\}?)?(?:\s*\[\s*t\s*\])?\s*$")
_DIM_OF = re.compile(r"(?:dimensions?|dimmensions?|shape|size)\s+of\s+(?:the\s+)?(?:output\s+)?"
                     r"(\$[^$]+\$|[^\s$]+)\s+(?:is|will be|would be|should be|must be|=)\s*"
                     r"(?:a\s+|an\s+)?(?:in\s+)?$", re.I)
_IS_DIM = re.compile(r"^\s*(?:is|are|will be|would be|should be|must be|has|have)(?:\s+(?:of\s+)?"
                     r"(?:the\s+|a\s+)?(?:dimensions?|dimmensions?|shape|size))?(?:\s+of)?\s*"
                     r"(?:in\s*)?$", re.I)
# "the dimension of $A$ is the same as the dimension of $W$, which is $R^{..}$": A's shape
_DIM_SAME = re.compile(r"(?:dimensions?|shape|size)\s+of\s+(?:the\s+)?(\$[^$]+\$)\s+(?:is|are)\s+"
                       r"(?:the\s+)?same\s+as\s+(?:that\s+of\s+|the\s+(?:dimensions?|shape|size)\s+"
                       r"of\s+)?(?:the\s+)?\$[^$]+\$\s*,?\s*(?:which\s+is|i\.\s?e\.,?|that\s+is,?|=)\s*"
                       r"(?:in\s+)?$", re.I)
_TOKEN_IS = re.compile(r"(?:^|\s)([A-Za-z\\][\w\\{}\[\]\-+^()]*?)\s+(?:is|are)\s*$")
_TRAILING_FRAC = re.compile(r"(\\frac\s*\{\s*\\partial[^{}]*(?:\{[^{}]*\}[^{}]*)*\}\s*\{\s*"
                            r"\\partial[^{}]*(?:\{[^{}]*(?:\{[^{}]*\}[^{}]*)*\}[^{}]*)*\})\s*$")


_STATES = re.compile(r"(?:\bis|\bare|\bbe|\bgives?|\bget|\bwas|\bhas|\bhave|\bequals?|"
                     r"\bsize|\bdimensions?|\bdimmension|\bshape|:|=)\s*,?\s*(?:an?\s+|the\s+)?$",
                     re.I)


# a name the writer makes up: a letter with a word as subscript (K_{eff}, K_{\text{eff}})
_OWN_NAME = re.compile(r"^\s*[A-Za-z]_\{\s*(?:\\(?:text|mathrm|textrm|operatorname)\s*\{\s*)?"
                       r"[A-Za-z]{2,}"
                       r"\s*\}?\s*\}\s*$")


# S = S_W = S_H: sizes written by letter and per axis, taken to be equal
_SIZES_EQUAL = re.compile(r"^\s*[KSPD]\s*(?:=\s*[KSPD]\s*_\s*(?:\{\s*[HWhw]\w?\s*\}|[HWhw])\s*)+$")
# a name the writer declares in prose: "Define Padding along height on top $P_{H1}$"
_DECLARE_LINE = re.compile(r"(?:^|\n|[.:;]\s)\s*(?:define|let|denote)\b[^$.\n]*$", re.I)
# H_P, H_{PK}, W_{PKS}: a capital with a capital subscript, the writer's name for a size
_OWN_SIZE = re.compile(r"^\s*[A-Z]_(?:[A-Z]|\{\s*[A-Z][A-Z0-9]{0,4}\s*\})\s*$")
# a name declared without a value: `P_{H1} \in \mathbb{R}`
_DECLARED = re.compile(r"^(.*?)\\in\s*\\mathbb\s*\{?\s*[RZN]\s*\}?\s*$")


# K' = K + (K - 1)(D - 1): a primed kernel size, stride, padding or dilation is the writer's
# own name (a primed H or W is the output's size)
_PRIMED_PARAMETER = re.compile(r"^\s*[KSPD]\s*(?:'|\^\s*\{?\s*\\prime\s*\}?)+\s*$")


# c = c', m = n' - 2i + 1: one index in terms of others (letters, primes, numbers, + and -)
_INDEX_RELATION = re.compile(r"^\s*[a-z]'*\s*=\s*(?:[a-z]'*|\d+|[+\-\s])*[a-z]'"
                             r"(?:[a-z]'*|\d+|[+\-\s])*$|^\s*[a-z0-9+\-\s]*[a-z]\s*=\s*[a-z]'+\s*$"
                             # k = j, i = 0: an index letter set to another or to a number
                             r"|^\s*[ijklpqr]\s*=\s*(?:[ijklpqr]|\d+)\s*$")
# sizes written by their role: H_{in} (the input height), K[0] (the kernel's first axis)
_AXIS_WORD = {"H": "height", "W": "width", "L": "length"}
_INPUT_SIZE = re.compile(r"(?<![\\A-Za-z])(?:([HWL])_\{?\s*(?:\\(?:text|mathrm)\s*\{\s*)?in"
                         r"\s*\}?\s*\}?(?![A-Za-z])|([KSPD])\[\s*([01])\s*\]|"
                         # PyTorch's names: \text{padding}[0], \text{kernel}_{\text{size}}[1]
                         r"\\(?:text|mathrm|operatorname)\s*\{\s*(padding|stride|dilation|kernel)\s*\}"
                         r"(?:\s*_\s*\{\s*\\(?:text|mathrm)\s*\{\s*size\s*\}\s*\})?\s*\[\s*([01])\s*\]|"
                         # the channels in and out: C_{in}, C_{\text{out}} (the filters)
                         r"C_\{?\s*(?:\\(?:text|mathrm)\s*\{\s*)?(in|out)\s*\}?\s*\}?(?![A-Za-z]))")
# "If $C_{out} = C_{in}$, then": a hypothesis
_IF_PROSE = re.compile(r"(?:^|[\s(])(?:if|suppose|supposing|assuming)\s*$", re.I)
# "It has dimension", "This tensor have dimensions", "The Jacobian is of size": a bare shape
# after it is the shape of the quantity the question asks for
_PRONOUN_HAS = re.compile(r"(?:^|[.:;]\s+|\n)\s*(?:it|this(?:\s+(?:tensor|matrix|vector|"
                          r"jacobian|derivative|gradient|quantity))?|the\s+(?:tensor|jacobian|"
                          r"derivative|gradient|result))\s+(?:has|have|is|are|will\s+be|lies\s+in)"
                          r"\s+(?:of\s+)?(?:the\s+)?(?:dimensions?|shape|size)?\s*(?:of\s+the\s+"
                          r"output\s*)?(?:in\s+)?$", re.I)
# a sentence about the output: an inline shape in it is the answer
_OUTPUT_WORD = re.compile(r"\b(?:output|ouput|outputs|result|answer)\b", re.I)
# a size written as its word: "stride = 2", "\text{padding} = 0"
_WORD_SIZE = re.compile(r"^\s*(?:\\(?:text|mathrm)\s*\{\s*)?([a-z]+)\s*\}?\s*=\s*(\d+)\s*$")
# a kernel size, stride, padding or dilation written as its letter
_SIZE_LETTER = re.compile(r"(?<![\\A-Za-z_{])[KSPD](?![A-Za-z_'{\[(^])")
_EQ_SHAPE = re.compile(r"^(.+?)(?<![<>!:\\])=\s*([A-Za-z0-9]{1,3}(?:\s*\\times\s*"
                       r"[A-Za-z0-9]{1,3})+)\s*$")
_FROM_ZERO = re.compile(r"^\s*[a-zA-Z]'*\s*\\in\s*\\\{\s*0\s*,")
_NUMBER_END = re.compile(r"^\s*-?\d+(?:\.\d+)?\s*(?:\\%)?\s*$")


def _links(row: str) -> list[str]:
    """The sides of a chain ``A = B = C`` at its top-level ``=`` (not inside braces,
    brackets or environments, not ``:=``, ``\\le``, ``\\neq``); none when a top-level comma,
    space or word follows the first statement (``..., \\;\\; i = 0 \\;\\; j = 0, 1``: ranges)."""
    out, depth, start = [], 0, 0
    for i, c in enumerate(row):
        if depth == 0 and (c == "," or row.startswith(("\\;", "\\quad", "\\qquad", "\\text",
                                                         "\\forall", "\\,", "\\ "), i)):
            return []
        if c in "{[(":
            depth += 1
        elif c in "}])":
            depth -= 1
        elif row.startswith("\\begin", i):
            depth += 1
        elif row.startswith("\\end", i):
            depth -= 1
        elif c == "=" and depth == 0 and (i == 0 or row[i - 1] not in ":<>!\\"):
            out.append(row[start:i].strip())
            start = i + 1
    out.append(row[start:].strip())
    return [p for p in out if p]


def _lhs(row: str) -> str:
    m = _DEFINE_EQ.search(row) or _EQ.search(row)
    return row[:m.start()] if m else ""


def definition_text(row: str) -> str:
    """A definition as the checker reads it, marked as one: ``K_{eff} \\coloneqq ...``,
    ``let s_p = 2p - 1`` -> ``K_{eff} := ...``, ``s_p := 2p - 1`` (a name the question
    declares, such as ``s`` for the output, is then the writer's own)."""
    s = re.sub(r"^\s*\\text\{\s*(?:let|where|define)\s*\}\s*", "", row, flags=re.I)
    m = _DEFINE_EQ.search(s) or _EQ.search(s)
    if m is None:
        return clean(s)
    lhs, rhs = (s[m.end():], s[:m.start()]) if m.group(0) == "=:" else (s[:m.start()],
                                                                         s[m.end():])
    # a name with a parameter (s_j, g_t) is marked, so that it is read as the writer's own
    # even where the question declares the letter; other definitions read as equations
    p = re.match(r"^\s*\\?[A-Za-z]+\s*_\s*\{?\s*([a-z])\s*\}?\s*$", lhs)
    eq = ":=" if p and re.search(r"(?<![A-Za-z\\])" + p.group(1) + r"(?![A-Za-z])", rhs) else "="
    return clean(f"{lhs.rstrip()} {eq} {rhs.lstrip()}")


# where an answer starts inside a question's paragraph: a box or solution environment, a
# "Solution:" / "Answer:" word in bold, italics or at a line's start
_ANSWER_START = re.compile(
    r"\\begin\s*\{\s*(?:tcolorbox|solution|answer|mdframed|framed|shaded|proof|sol|ans)\*?"
    r"\s*\}|\\(?:textbf|textit|emph|underline)\s*\{\s*(?:solution|answer|sol|ans)\b[^{}]*\}|"
    r"(?:^|\n)\s*(?:\*\*|__)?\s*(?:solution|answer|sol|ans)\s*[:.]", re.I)


def _opens_answer(before: str) -> bool:
    """Whether ``before`` ends by opening an answer box with nothing in it yet
    (``\\begin{tcolorbox} \\begin{flalign*}`` before ``5 \\times 2``)."""
    starts = list(_ANSWER_START.finditer(before))
    return bool(starts) and not re.sub(r"\\begin\s*\{[^{}]*\}|\\noindent|\\\\", "",
                                       before[starts[-1].end():]).strip()


def _paragraph(text: str) -> str:
    """The last paragraph of ``text``, from where its answer starts if it has one."""
    starts = list(_ANSWER_START.finditer(text))
    if starts:
        text = text[starts[-1].end():]
    parts = re.split(r"\n[ \t]*\n", text)
    for p in reversed(parts):
        if p.strip():
            return p
    return ""


# a sentence that sets other values than the question's: "For example, let $H_{in} = 5$"
_EXAMPLE = re.compile(r"\b(?:for example|for instance|e\.\s?g\.|say)\b[^$]*\blet\b|"
                      r"\b(?:for example|for instance|e\.\s?g\.),?\s+(?:if|suppose|take)\b", re.I)


def _sentence_start(text: str, at: int) -> str:
    """The sentence that ``at`` stands in, up to ``at``."""
    start = max(text.rfind(". ", 0, at), text.rfind("\n\n", 0, at), 0)
    return text[start:at]


def _sentence(text: str) -> str:
    return re.split(r"[.!?:;]\s|\n[ \t]*\n", text)[-1]


_NAME_ONLY = re.compile(r"^(?:\\(?:mathbf|boldsymbol|bm)\s*\{[^{}]*\}|\\?[A-Za-z]+)"
                        r"(?:_\{?[\w\\]+\}?)?"
                        r"(?:\([^()]{1,6}\))?(?:\[[^\]]{1,12}\])?$")
_HAS_DIM = re.compile(r"^\s*(?:has|have|is|are)?\s*(?:of\s+)?(?:the\s+)?(?:dimensions?|shape|size)"
                      r"?\s*(?:of\s+)?[:=]?\s*$", re.I)


def _named_before(prev: Math | None, before: str) -> str | None:
    """The tensor named by the formula just before, when only "has dimensions:" or the
    like stands between them (``$W$ has dimensions: $1 \\times 5 \\times 3$``)."""
    if prev is None or prev.display or "\n" in before.strip(" \t") or not _HAS_DIM.match(before):
        return None
    body = clean(prev.body)
    return body if len(body) <= 30 and _NAME_ONLY.match(body) else None


_NAME_LIST = re.compile(r"^\s*(?:[A-Za-z](?:_\{(?:[^{}]|\{[^{}]*\})*\}|_\w|')?\s*(?:,\s*|$))+$")
_DECLARE = re.compile(r"\b(?:let|denote[sd]?|denoting|where|be|is|are|represents?|stands? for)\b",
                      re.I)
# "$H_{in}$ denote(s) the height ...", "$S$ the stride": a verb, or "the" ("$F$ channels"
# counts channels; it names nothing)
_PHRASE = re.compile(r"^\s*(?:,?\s*(?:denotes?|be|is|are|represents?|stands? for|as|for)\s+"
                     r"(?:the\s+)?|,?\s*the\s+)((?:number of\s+)?[a-z][a-z ]{2,60}?)\s*"
                     r"(?=[,.;:$)]|\band\b\s*\$|$)",
                     re.I)


def _declared_sizes(walk: _Walk, m: Math, text: str) -> list[tuple[str, str]]:
    """Names a sentence declares as the question's sizes: ``Let $H_{in}, W_{in}$ denote the
    height and width of the input image``, ``$K$ is the kernel size``, ``$S$ the stride``:
    (name, value) pairs with the values the problem set gives those sizes."""
    if m.display or not _NAME_LIST.match(m.body) or not walk.current:
        return []
    if not _DECLARE.search(_sentence_start(text, m.start) + text[m.start:m.start + 200]):
        return []
    nxt = text.find("$", m.end)
    following = text[m.end:nxt if 0 <= nxt < m.end + 120 else m.end + 120]
    got = _PHRASE.match(following)
    if got is None:
        return []
    names = [n.strip() for n in m.body.split(",") if n.strip()]
    phrase = got.group(1).strip()
    two = re.match(r"^(\w+) and (\w+) (of .*)$", phrase)
    phrases = ([f"{two.group(1)} {two.group(3)}", f"{two.group(2)} {two.group(3)}"]
               if two and len(names) == 2 else [phrase] * (len(names) == 1))
    out = []
    for name, ph in zip(names, phrases, strict=False):
        value = walk.tree.size_named(walk.current, ph)
        if value is not None and value.replace(" ", "") != name.replace(" ", ""):
            out.append((name, value))
    return out


def _subject(row: str, before: str, prev: Math | None, text: str) -> str | None:
    """Who a bare shape (``$R^{m}$``, ``$\\in R^{3}$``) is about, from the prose before it."""
    para = _paragraph(before)
    # "... the same as the dimension of $W$, which is": the sentence spans the formula before
    wide = _paragraph(text[max(0, prev.start - 300):prev.end] + before) if prev else para
    m = _DIM_OF.search(para) or _DIM_SAME.search(wide)
    if m:
        return m.group(1).strip("$ ")
    adjacent = not before.strip() and row.lstrip().startswith("\\in")  # $X$ $\in R^{..}$
    if prev is not None and (_IS_DIM.match(before) or adjacent) and "\n\n" not in before:
        body = clean(prev.body)
        if _TRAILING_FRAC.search(body):
            return _TRAILING_FRAC.search(body).group(1)
        if _SIMPLE_NAME.match(body) or re.match(r"^[A-Za-z](?:_\w|_\{[^{}]*\})?\[[^\]]*\]$",
                                                body):
            return body
    if row.lstrip().startswith("\\in"):
        m = _TOKEN_IS.search(_sentence(before))
        if m and re.search(r"[\[_]", m.group(1)):
            return m.group(1)
    return None


def _item_text(text: str, at: int) -> str:
    """What an item asks: its text up to its answer, its next item or a blank line."""
    piece = text[at:at + 400]
    stop = [m.start() for m in (_ANSWER_START.search(piece), re.search(r"\n[ \t]*\n|\\item\b|"
                                                                     r"\\begin\{", piece)) if m]
    return piece[:min(stop)] if stop else piece


def _last_space(row: str) -> str:
    """``C[t] \\in (\\mathbb{R}^{..} + \\mathbb{R}^{..}) \\in \\mathbb{R}^{m}``: a chain of spaces
    says the last one (the steps before it are the writer's working)."""
    cuts, depth = [], 0
    for m in re.finditer(r"[{(\[]|[})\]]|\\in(?![a-zA-Z])", row):
        tok = m.group(0)
        if tok in "{([":
            depth += 1
        elif tok in "})]":
            depth -= 1
        elif depth == 0:
            cuts.append(m)
    if len(cuts) < 2 or "=" in row:
        return row
    return f"{row[:cuts[0].start()].rstrip()} \\in {row[cuts[-1].end():].strip()}"


def _said_output(rows: list[str]) -> bool:
    """Whether the row before is text that announces the output (``\\text{Thus the output
    dimension is:}``)."""
    if not rows:
        return False
    m = re.fullmatch(r"\s*&?\s*\\(?:text|mathrm|textrm)\s*\{([^{}]*)\}\s*&?\s*", rows[-1])
    return bool(m and _OUTPUT_IS.search(m.group(1).rstrip(" :")))


def _product_shape(row: str) -> str:
    parts = re.split(r"\s*(?:\\times|\\cdot|x|X|×)\s*", row.strip().strip("()"))
    return " \\times ".join(p for p in parts if p)


class _Walk:
    """The state of the walk: the current question and whether it is an answer."""

    def __init__(self, tree: QuestionTree, doc: Document):
        self.tree, self.doc = tree, doc
        self.current: str | None = None
        self.answer = True
        self.level = 0
        self.why = "before the first question heading"
        self.section = 0
        self.enums: list[list] = []
        # (question, position) of each answer label: a section is its question's statement
        # when an answer label for it comes later
        self.answered: set[tuple[str, int]] = set()
        self.pos = 0  # where the walk is in the text
        self.note = ""
        self.question_math: set[str] = set()
        self.definitions: list[tuple[str, str]] = []
        # (question, section, position, text) of every definition, for the ones written
        # after the claim that uses them ("... C x H_out x W_out, with H_out = ...")
        self.later: list[tuple[str, int, int, str]] = []
        # names the writer gave the question's sizes (H_{in} for 21, K_{eff}): replaced by
        # their values in the text the checker reads, so that W_{in} is never entry (i, n) of W
        self.named: list[tuple[str, str, str]] = []
        self.since = 0  # where the current section's label line ends in the text
        self.since_line = 0  # and where it starts
        self.restated = (0, 0)  # a heading line that restates its question

    def is_question_section(self, qid: str, answer: bool) -> bool:
        if answer or not self.answered:
            return False
        return any(at > self.pos and (a == qid or a.startswith(qid + ".")
                                      or qid.startswith(a + "."))
                   for a, at in self.answered)

    def move(self, qid: str | None, answer: bool, level: int, why: str = "",
             note: str = "") -> None:
        self.current, self.level, self.section = qid, level, self.section + 1
        self.answer = not (qid and self.is_question_section(qid, answer))
        self.why = why
        self.note = note  # how the section was placed, when a reader should know it

    def label(self, lab: Label) -> None:
        if lab.absolute:
            self.move(lab.absolute, lab.answer, lab.heading or self.level)
            return
        if lab.relative:
            target = self.tree.resolve(self.current, list(lab.relative))
            if target is None:
                target = self.tree.resolve_by_text(self.current, list(lab.relative), lab.title)
            if target is not None:
                self.move(target, lab.answer, lab.heading or self.level)
            elif lab.heading:
                where = f" under {self.current}" if self.current else ""
                self.move(None, True, lab.heading, f"heading '{lab.title}' names part "
                          f"({')('.join(lab.relative)}) of no question{where}")
            return
        if lab.answer:
            self.answer = True
            self.section += 1
            return
        if lab.heading and lab.heading < 6 and (self.level == 0 or lab.heading <= self.level):
            self.move(None, True, lab.heading, f"heading '{lab.title}' names no question")

    def define(self, qid: str | None, definition: str, at: int) -> None:
        """A definition made at ``at``: it holds for the rest of the question, and for a
        claim before it in the same section that uses it."""
        self.definitions.append((qid or "", definition))
        self.later.append((qid or "", self.section, at, definition))

    def substitute(self, qid: str | None, latex: str) -> str:
        """``latex`` with the sizes the writer named replaced by their values."""
        own = _lhs(latex).strip()
        for where, name, value in reversed(self.named):
            g = self.group(where)
            if qid and (qid == g or qid.startswith(g + ".")) and name in latex and name != own:
                pattern = r"(?<![\\A-Za-z_])" + re.escape(name) + r"(?![A-Za-z_{^'])"
                latex = re.sub(pattern, lambda _m, v=value: f"({v})", latex)
        # a named size on the left (C_{out} = F) is what the claim is about: kept
        keep = len(_lhs(latex)) if own and _NAMED_SIZE.match(own) else 0
        head, latex = latex[:keep], latex[keep:]
        latex = _INPUT_SIZE.sub(lambda m: self._size_of(qid, m), latex)
        return head + _SIZE_LETTER.sub(lambda m: self._letter_size(qid, m, own), latex)

    def _letter_size(self, qid: str | None, m: re.Match, own: str) -> str:
        """K, S, P, D in a question that gives them as numbers (21 x 12 input, 4 x 5
        kernel): their values, the kernel's only when it is square; a letter the writer
        defines stays."""
        letter = m.group(0)
        if not qid or any(_lhs(d).strip() == letter for _, d in self.definitions) or \
                own == letter:
            return letter
        what = {"K": "kernel size", "S": "stride", "P": "padding", "D": "dilation"}[letter]
        value = self.tree.size_named(qid, what)
        if letter == "K":
            h, w = (self.tree.size_named(qid, f"kernel {a}") for a in ("height", "width"))
            value = value if value is not None else (h if h == w else None)
        return f"({value})" if value is not None and value.isdigit() else letter

    def _size_of(self, qid: str | None, m: re.Match) -> str:
        """H_{in}, W_{\\text{in}}, L_{in}: the input's height, width or length; K[0], S[1]:
        a kernel's, stride's, padding's or dilation's size on axis 0 or 1 - when the
        question gives that size (else the text is left as written)."""
        if m.group(1):
            key = f"input {_AXIS_WORD[m.group(1)]}"
        elif m.group(6):
            key = "input channels" if m.group(6) == "in" else "filters"
        else:
            what = m.group(4) or {"K": "kernel", "S": "stride", "P": "padding",
                                  "D": "dilation"}[m.group(2)]
            axis = int(m.group(5) or m.group(3))
            key = f"kernel {('height', 'width')[axis]}" if what == "kernel" else what
        value = self.tree.size_named(qid, key) if qid else None
        if value is None and key.startswith("kernel "):
            value = self.tree.size_named(qid, "kernel size") if qid else None
        return f"({value})" if value is not None else m.group(0)

    def group(self, qid: str) -> str:
        """Where a definition made under qid holds: the question and its later parts
        (``1.1.c.i`` -> ``1.1.c``), never across questions about different layers."""
        if not self.tree.is_leaf(qid):
            return qid
        parent = qid.rpartition(".")[0]
        return parent if parent.count(".") >= 2 else qid

    def defs_for(self, qid: str | None, row: str) -> tuple[str, ...]:
        if qid is None:
            return ()
        out = []
        for where, d in self.definitions:
            g = self.group(where)
            if qid != g and not qid.startswith(g + "."):
                continue
            if uses_name(row, d) or _FROM_ZERO.match(d):  # counting from 0 holds for what follows
                out.append(d)
        return tuple(dict.fromkeys(out))


def _bold_end(line: str) -> int:
    """Where a line's label ends: after its bold part (``**b. What is ...?** $c_t \\in
    \\mathbb{R}^m$``: the answer after it is no part of the restated question), else the
    line's end."""
    m = re.match(r"^(\s*(?:[-*>]\s+)?)(\*\*|__)", line)
    if m:
        close = line.find(m.group(2), m.end())
        if close > 0:
            return close + 2
    return len(line)


_BOLD = re.compile(r"(?<!\*)\*\*(?!\*)(.+?)(?<!\*)\*\*(?!\*)|__(.+?)__", re.S)


def _in_bold_question(text: str, at: int) -> bool:
    """Whether position ``at`` lies in bold text of its paragraph that asks a question
    (``**Given an input of dimension $10 \\times 11$, what ... ?**``, over lines too)."""
    lo = max(text.rfind("\n\n", 0, at), 0)
    hi = text.find("\n\n", at)
    hi = len(text) if hi < 0 else hi
    for b in _BOLD.finditer(text, lo, hi):
        if b.start() < at < b.end():
            return "?" in (b.group(1) or b.group(2) or "")
    return False


def _events(tree: QuestionTree, doc: Document, maths: list[Math]) -> list[tuple]:
    text = doc.text
    inside = [(m.start, m.end) for m in maths]
    events: list[tuple] = []
    k = 0
    for lm in re.finditer(r"[^\n]*", text):
        s = lm.start()
        while k < len(inside) and inside[k][1] <= s:
            k += 1
        if k < len(inside) and inside[k][0] < s:
            continue
        line = lm.group(0)
        if not line.strip():
            continue
        whole = re.match(r"^\s*(?:#|\*\*|__|(?:\\noindent\s*)?\\textbf\b)", line)
        lab = read_label(tree, line if whole else re.sub(r"\$[^$]*\$.*$", "", line))
        if lab is not None:
            # the label ends where the line's first formula starts (the prose between
            # them, "Let", "The output is", belongs to that formula)
            j = k
            while j < len(inside) and inside[j][0] < s:
                j += 1
            same_line = j < len(inside) and inside[j][0] < lm.end()
            events.append((s, 0, "label", lab, s if same_line else lm.end(),
                           s + _bold_end(line)))
    if doc.fmt == "tex":
        for m in re.finditer(r"\\begin\{enumerate\}|\\end\{enumerate\}|\\item(?:\s*\[([^\]]*)\])?",
                             text):
            if any(a <= m.start() < b for a, b in inside):
                continue
            kind = ("enum_begin" if m.group(0).startswith("\\begin") else
                    "enum_end" if m.group(0).startswith("\\end") else "item")
            events.append((m.start(), 1, kind, m.group(1), m.end()))
        for m in re.finditer(r"\\setcounter\s*\{\s*enum(i{1,4}|iv)\s*\}\s*\{\s*(\d+)\s*\}", text):
            depth = 4 if m.group(1) == "iv" else len(m.group(1))
            events.append((m.start(), 1, "enum_count", (depth, int(m.group(2))), m.end()))
    for m in maths:
        events.append((m.start, 2, "math", m, m.end))
    events.sort(key=lambda e: (e[0], e[1]))
    return events


def _first_parts(tree: QuestionTree, events: list[tuple]) -> list[tuple]:
    """A heading that names a question with parts of parts (1.2: 1.2.1, 1.2.2) names its
    first part when the write-up heads a later part of it on its own and never the first
    ("Problem 1.2: Recurrent Neural Networks", then "Problem 1.3: AttentionRNN(2)", which is
    1.2.2 by its title: the first is 1.2.1)."""
    named = [e[3].absolute for e in events if e[2] == "label" and e[3].absolute]
    out = []
    for e in events:
        lab = e[3] if e[2] == "label" else None
        kids = tree.children(lab.absolute) if lab is not None and lab.absolute else []
        if kids and all(tree.children(k) for k in kids):
            first, later = kids[0], kids[1:]
            under = [n for n in named if n == first or n.startswith(first + ".")]
            if not under and any(n == k or n.startswith(k + ".") for n in named
                                 for k in later):
                e = (*e[:3], replace(lab, absolute=first), *e[4:])
        out.append(e)
    return out


def extract(tree: QuestionTree, doc: Document, systems: frozenset[str] = frozenset()
            ) -> list[Found]:
    """Everything found in the write-up, in order. ``systems`` are the questions whose
    answer is one system of equations: their formulas in one section are one claim."""
    text = doc.text
    maths = find_math(text)
    if doc.macros:
        maths = [x if x.too_long else
                 Math(x.start, x.end, body, x.display, x.body if body != x.body else "",
                      plain=x.plain)
                 for x in maths for body in [expand_macros(x.body, doc.macros)]]
    bold = [Math(a, b, body, False) for a, b, body in bold_shapes(doc)
            if not any(x.start <= a < x.end for x in maths)]
    events = _first_parts(tree, _events(tree, doc, maths))
    events += [(x.start, 2, "math", x, x.end) for x in bold]
    events.sort(key=lambda e: (e[0], e[1]))
    walk = _Walk(tree, doc)
    for e in events:
        if e[2] == "label" and e[3].answer and (e[3].absolute or walk.current):
            walk.answered.add((e[3].absolute or walk.current, e[0]))
    # relative answer labels name their question only once the walk is there: a first
    # pass over labels fills ``answered`` with the resolved ids too
    probe = _Walk(tree, doc)
    for e in events:
        if e[2] == "label":
            was = probe.current
            probe.label(e[3])
            # an answer label that names no question ("(a) Answer:" under "Part 1") makes
            # no section a statement
            if e[3].answer and probe.current and (e[3].absolute or probe.current != was):
                walk.answered.add((probe.current, e[0]))
    found: list[Found] = []
    last = 0
    prev: Math | None = None
    label: Label | None = None
    for e in events:
        kind = e[2]
        walk.pos = e[0]
        if kind == "label":
            walk.label(e[3])
            last, prev, label = e[4], None, e[3]
            walk.since = e[5]
            walk.since_line = e[0]
            if e[3].heading and QUESTION_TITLE.search(e[3].title):
                walk.restated = (e[0], e[5])  # **a. Given ... $21 \times 12$ ...?**
            continue
        if kind == "enum_begin":
            walk.enums.append([walk.current, 0, False])
            continue
        if kind == "enum_end":
            if walk.enums:
                base, _n, moved = walk.enums.pop()
                if moved:
                    walk.move(base, True, walk.level)
            continue
        if kind == "enum_count":
            depth, count = e[3]
            if 0 < depth <= len(walk.enums):
                walk.enums[depth - 1][1] = count
            continue
        if kind == "item":
            if not walk.enums:
                continue
            top = walk.enums[-1]
            top[1] += 1
            base = top[0]
            target = None
            if e[3]:
                rel = re.findall(r"[a-z]+", e[3].lower())
                target = tree.resolve(base, rel) if rel else None
                if target is None:  # \item[1.2.1], \item[Q1.1 (b)]: a question's number
                    target = absolute_id(tree, e[3])[0]
            elif base and tree.children(base) and top[1] <= len(tree.children(base)):
                target = tree.children(base)[top[1] - 1]
                # an unlabelled item that restates another part (a part added in this
                # year's set shifts the count): placed by what it asks
                said = tree.by_content(tree.children(base), target, _item_text(text, e[4]))
                note = ""
                if said is not None:
                    note = (f"placed by content: item {top[1]} of {base} asks what {said} "
                            f"asks, not {target}")
                    target = said
            if target is not None:
                walk.move(target, True, walk.level, note=note if not e[3] else "")
                top[2] = True
            last, prev, label = e[4], None, None
            continue
        m: Math = e[3]
        before = text[last:m.start]
        after = text[m.end:m.end + 80]
        lead = walk.current is not None and (
            (prev is None and _only_label(before, label)) or _opens_answer(before))
        found.extend(_classify(walk, m, before, after, prev, text, systems, lead))
        last, prev = m.end, m
    _forward_definitions(found, walk)
    for f in found:  # the sizes the writer named, by their values (see _Walk.substitute)
        if f.kind == "claim":
            named = walk.substitute(f.question, f.checked)
            f.check = named if named != f.latex else f.check
    return _join_systems(found, systems)


def uses_name(row: str, definition: str) -> bool:
    """Whether ``row`` uses the name ``definition`` defines (its head letter will do: a
    definition of ``s_p`` serves ``s_j``; one of ``m \\in \\{0, 1, 2\\}`` serves ``m'``)."""
    zero = _FROM_ZERO.match(definition) or _DECLARED.match(definition)
    lhs = definition[:definition.index("\\in")].strip() if zero else _lhs(definition).strip()
    head = re.split(r"[_\[(^']", lhs, maxsplit=1)[0].strip()
    return bool(lhs) and (lhs in row or bool(head and re.search(
        r"(?<![A-Za-z\\])" + re.escape(head) + r"(?![A-Za-z])", row)))


def _forward_definitions(found: list[Found], walk: _Walk) -> None:
    """A claim that uses a name its section defines only after it (``the output is
    $C \\times H_{out} \\times W_{out}$ with $$H_{out} = ...$$``) gets that definition."""
    for f in found:
        if f.kind != "claim":
            continue
        extra = [d for q, sec, pos, d in walk.later
                 if q == f.question and sec == f.section and pos > f.start
                 and d not in f.definitions and _lhs(d).strip() not in _lhs(f.latex)
                 and uses_name(f.latex, d)]
        if extra:
            f.definitions = tuple(dict.fromkeys((*f.definitions, *extra)))


# words that may stand between a question's label and a formula that is its whole answer
_LABEL_WORDS = {"answer", "answers", "solution", "solutions", "sol", "soln", "ans", "part",
                "question", "problem", "exercise", "textbf", "item", "section", "subsection",
                "subsubsection", "paragraph", "emph"}


def _only_label(before: str, label: Label | None) -> bool:
    """Whether ``before`` holds nothing but the label itself (``**(a)**``, ``1.1.c.iii
    Answer:``): no prose that would make the next formula something else."""
    names = set(_LABEL_WORDS)
    if label is not None:
        names |= {x.lower() for x in label.relative}
        if label.absolute:
            names |= set(label.absolute.lower().split("."))
    return all(w.lower() in names for w in re.findall(r"[A-Za-z]{2,}", before))


def _classify(walk: _Walk, m: Math, before: str, after: str, prev: Math | None, text: str,
              systems: frozenset[str], lead: bool = False) -> list[Found]:
    """``lead``: the formula follows its question's label with no prose in between (a bare
    ``5 \\times 2`` or ``\\mathbb{R}^{m}`` there is the answer)."""
    qid = walk.current
    since = walk.since if walk.since <= m.start else walk.since_line
    window = _paragraph(text[max(0, since, m.start - 400):m.start])
    # a displayed formula after a blank line is not part of the question's paragraph above
    apart = m.display and bool(re.search(r"\n[ \t]*\n\s*$", text[max(0, m.start - 400):m.start]))
    one = qid in systems
    # an inline formula of several rows ($C_{in} = 1 \\ H_{in} = 10$) is read row by row
    rows = (split_rows(m.body, statements=not one) if m.display or "\\\\" in m.body else
            [clean(x) for x in ([m.body] if one else split_statements(m.body))])
    out: list[Found] = []
    source = text[m.start:m.end]
    written: list[str] = []
    if m.written:
        written = (split_rows(m.written, statements=not one) if m.display else
                   [clean(x) for x in ([m.written] if one else split_statements(m.written))])
        if len(written) != len(rows):
            written = []
    at = [0]

    def found(kind: str, latex: str, reason: str = "", defs: tuple[str, ...] = ()) -> None:
        shown, check = latex, ""
        reason = reason or (walk.note if kind == "claim" else "")
        if written and latex == rows[at[0]] and written[at[0]] != latex:
            shown, check = written[at[0]], latex
        elif m.plain and latex != m.body:
            shown, check = m.body, latex  # "3 x 4" as written, 3 \times 4 for the checker
        out.append(Found(kind, qid, shown, source, m.start, m.end, reason, defs, walk.section,
                         [(m.start, m.end)], check))

    if m.too_long:
        return [Found("refused", qid, m.written + " ...", text[m.start:m.start + 200], m.start,
                      m.end, f"the formula has {m.end - m.start} characters; symgrad reads "
                      f"formulas of at most {MAX_MATH}", (), walk.section, [(m.start, m.end)])]
    declared = _declared_sizes(walk, m, text)
    if declared:
        for name, value in declared:
            d = f"{name} := {value}"
            walk.define(qid, d, m.start)
            walk.named.append((qid or "", name, value))
            found("definition", d, "a size the writer names in prose")
        return out
    for at[0], row in enumerate(rows):
        if not row:
            continue
        row = _last_space(row)
        norm = re.sub(r"\s+", "", row)
        if re.match(r"^\s*(?:=|\\approx|\\le|\\ge|<|>)", row) and not m.display:
            found("skipped", row, "a fragment of a sentence (stride $= 2$)")
            continue
        if not m.display and _EXAMPLE.search(_sentence_start(text, m.start)):
            # "For example, let $H_{in}=5$, $S=2$, then we got $H_{out}=2.5$": other data
            found("skipped", row, "an example with other values than the question's")
            continue
        if walk.restated[0] <= m.start < walk.restated[1]:
            found("question", row, "restates the question (in its heading)")
            continue
        if _in_bold_question(text, m.start):
            found("question", row, "restates the question (in bold, asking it)")
            continue
        if not walk.answer:
            walk.question_math.add(norm)
            found("question", row, "restates the question")
            continue
        if ((norm in walk.question_math and qid not in systems)
                or (_QUESTION_PROSE.search(window.rstrip()) and not apart)):
            found("question", row, "restates the question")
            continue
        # an equation the question gives stays in a system's answer (w_i[t] = q_i^T k_i)
        if walk.tree.restates(qid, row) and not (one and _EQ.search(row)) and not (
                (lead and len(rows) == 1) or _OUTPUT_IS.search(_sentence(before))):
            found("question", row, "copies the question's data")
            continue
        has_eq = bool(_EQ.search(row) or _DEFINE_EQ.search(row))
        shape = bool(_SHAPE.search(row)) and not row.lstrip().startswith("\\in")
        if one and shape and not has_eq:
            # Q_0, K_0, Q_h \in R^{n x n} in a system's answer: the shapes of its tensors
            walk.define(qid, row, m.start)
            found("definition", row, "the shapes of the system's tensors")
            continue
        lhs = _lhs(row)
        sentence = _sentence(before)
        tail = _TRAILING_SHAPE.search(row) if has_eq and shape else None
        if tail and (_DEFINE_EQ.search(row) or _DEFINE_PROSE.search(sentence)) and \
                not _SHAPE.search(row[:tail.start()]):
            # let d := \frac{..} \in R^{1 x m}: a definition, and a shape of the name
            d = definition_text(row[:tail.start()])
            walk.define(qid, d, m.start)
            found("definition", d, "a definition, carried to later parts")
            row = f"{_lhs(d).strip()} {tail.group(0).strip()}"
            has_eq, lhs = False, ""
        if has_eq and RANGES_ONLY.match(row):
            found("skipped", row, "the ranges of the indices")
            continue
        if has_eq and not shape and not _DEFINE_EQ.search(row) and _INDEX_RELATION.match(row):
            # "only the term where $c = c'$ and $m = n' - 2i + 1$": a condition, not a claim
            found("skipped", row, "a relation between indices")
            continue
        if has_eq and not shape and (_DEFINE_EQ.search(row) or _DEFINE_PROSE.search(sentence) or
                                     (_WHERE_PROSE.search(sentence) and _SIMPLE_NAME.match(lhs)
                                      and not re.search(r"\\partial|\\frac", lhs))):
            walk.define(qid, definition_text(row), m.start)
            found("definition", definition_text(row), "a definition, carried to later parts")
            continue
        if _IF_PROSE.search(sentence) and not m.display:
            found("skipped", row, "an assumption (if ...), not a claim")
            continue
        if _GIVEN_PROSE.search(sentence) and not m.display:
            found("skipped", row, "the formula the writer starts from")
            continue
        if _RANGE.search(row) and not has_eq and not shape:
            if _FROM_ZERO.match(row):
                # m \in \{0, 1, 2\}: the writer counts this index from 0 from here on
                walk.define(qid, row, m.start)
                found("definition", row, "an index counted from 0")
                continue
            found("skipped", row, "an index range")
            continue
        latex = None
        product = _EQ_SHAPE.match(row) if has_eq and not shape else None
        if product and ("\\partial" in product.group(1) or _NAME_ONLY.match(product.group(1))):
            # \frac{\partial f_W(x)}{\partial x} = 1 \times 2 \times 2 \times 5: its shape
            latex = (f"{product.group(1).strip()} \\in \\mathbb{{R}}^{{"
                     f"{_product_shape(product.group(2))}}}")
            found("claim", latex, "", walk.defs_for(qid, latex))
            continue
        if shape or has_eq:
            latex = row
            w = _WORD_SUBJECT.match(row)
            if w and w.group(1) == "\\in":
                latex = row[w.start(1):]
                latex = _BARE_SHAPE.sub(lambda x: x.group(0).replace("\\in", ""), latex, 1)
                latex = latex.replace("\\in", "", 1).strip()
            elif w and "\\times" in row[w.end():] and not _EQ.search(row[w.end():]):
                latex = row[w.end():].strip()  # \text{Output size} = F \times ...
        elif _BARE_SHAPE.match(row):
            subject = _subject(row, before, prev, text)
            if subject is None and (lead or _OUTPUT_IS.search(_sentence(before))) and \
                    len(rows) == 1:
                found("claim", row, "", walk.defs_for(qid, row)) if qid and \
                    walk.tree.is_leaf(qid) else found("unplaced", row, walk.why)
                continue
            if subject is None and _PRONOUN_HAS.search(_sentence_start(text, m.start)) and \
                    len(rows) == 1 and qid and walk.tree.is_leaf(qid):
                # "This tensor has dimensions $R^{2 x 2 x 3}$", "It has dimension $R^{..}$":
                # the quantity the question asks for, and the verdict says it read so
                found("claim", row, "read as the dimension of the quantity the question asks "
                      "for (the sentence names it 'it' / 'this tensor')",
                      walk.defs_for(qid, row))
                continue
            if subject is None:
                found("refused", row, "a shape with no subject: write what it is the shape "
                      "of (X \\in \\mathbb{R}^{...})")
                continue
            latex = f"{subject} {row}" if row.lstrip().startswith("\\in") else \
                f"{subject} \\in {row}"
        elif m.plain and _PRODUCT.match(row):
            latex = _product_shape(row)  # "3 x 4" on a line of its own: the answer
        elif ((lead and len(rows) == 1) or _said_output(rows[:at[0]])) and "\\times" in row \
                and not re.search(r"\\frac\s*\{\s*\\partial", row):
            # the answer after its label, or after "\text{Thus the output dimension is:}"
            latex = _product_shape(row) if _PRODUCT.match(row) else row
        elif _STATES.search(before) and (m.display or re.search(
                r"output|dimension|dimmension|shape|size", window, re.I)):
            subject = _named_before(prev, before)
            if subject and (_PRODUCT.match(row) or _TUPLE.match(row)):
                # "$W$ has dimensions: $1 \times 5 \times 3$": the shape of W
                dims = _product_shape(row.replace(",", " x "))
                latex = f"{subject} \\in \\mathbb{{R}}^{{{dims}}}"
            elif not m.display and not _OUTPUT_WORD.search(_sentence_start(text, m.start)) \
                    and not re.search(r"(?:dimensions?|shape|size)\s+of\b", window, re.I):
                pass  # "for the input, it is size $H \\times W$": the size of another thing
            elif _PRODUCT.match(row) and re.search(r"\\times|x|X", row):
                latex = _product_shape(row)
            elif _TUPLE.match(row):
                latex = row
            elif "\\times" in row:
                latex = row
        if latex is None and _SIMPLE_NAME.match(row) and _DECLARE_LINE.search(before):
            # "Define Padding along height on top $P_{H1}$": the writer's own scalar
            d = f"{row.strip()} \\in \\mathbb{{R}}"
            walk.define(qid, d, m.start)
            found("definition", d, "a name the writer declares, carried to later parts")
            continue
        if latex is None and (qid is None or not walk.tree.is_leaf(qid)) and (
                "\\times" in row or _PRODUCT.match(row)):
            # a bare shape where no question is named: listed, never dropped
            found("unplaced", row, walk.why or (f"under {walk.tree.describe(qid)}, which has "
                                                f"parts; no part is named" if qid else
                                                "under no question"))
            continue
        if latex is None:
            found("skipped", row, "no statement (a symbol or an expression)")
            continue
        if _NOTATION_AFTER.match(after) and not m.display and not has_eq:
            found("skipped", row, "notation")
            continue
        if qid is None or not walk.tree.is_leaf(qid):
            why = walk.why or (f"under {walk.tree.describe(qid)}, which has parts; no part "
                               f"is named" if qid else "under no question")
            found("unplaced", latex, why)
            continue
        if latex != row and walk.tree.restates(qid, latex):
            found("question", latex, "copies the question's data")
            continue
        word = _WORD_SIZE.match(row)
        if word and walk.tree.size_named(qid, word.group(1)) == word.group(2):
            found("question", row, "copies the question's data")  # stride = 2
            continue
        if has_eq and _SIZES_EQUAL.match(row):
            # S = S_W = S_H, K = K_W: the writer takes per-axis sizes to be one (shown; the
            # claims after it use the letter, which needs no definition)
            found("definition", row, "an assumption that these sizes are equal")
            continue
        own = (_OWN_NAME.match(lhs) or _PRIMED_PARAMETER.match(lhs) or _OWN_SIZE.match(lhs)
               ) if (has_eq and latex == row) else None
        if own and len(_EQ.findall(row)) == 1 and not _NAMED_SIZE.match(lhs) and \
                not _DEFINE_EQ.search(row) and not re.match(r"^\s*[a-z]_\{?\s*[a-z]{1,2}\s*\}?\s*$",
                                                             lhs):  # f_{ij} = ...: an entry
            # H_P = P_{H1} + P_{H2} + H: the writer names a size for the claims after it
            walk.define(qid, definition_text(row), m.start)
            found("definition", definition_text(row), "a name the writer defines, carried "
                  "to later parts")
            continue
        if own and len(_EQ.findall(row)) >= 2 and (
                not _NAMED_SIZE.match(lhs) or _PRIMED_PARAMETER.match(lhs)):
            # K_{eff} = K + (K - 1)(D - 1) = D(K - 1) + 1: the writer names K_eff (for the
            # claims after it) and states that the two expressions are equal
            first = row[len(lhs):].split("=", 2)[1]
            found("claim", latex, "", walk.defs_for(qid, latex))
            walk.define(qid, f"{lhs.strip()} := {first.strip()}", m.start)
            walk.named.append((qid or "", lhs.strip(), first.strip()))
            continue
        links = _links(latex) if has_eq and latex == row else []
        if len(links) > 2 and not _NUMBER_END.match(links[-1]) and not _DEFINE_EQ.search(row):
            # dh[t]/dh[t-1] = A = B = C: each step is a statement about the left side,
            # judged on its own, so that the verdict points at the step that goes wrong (a
            # worked computation ending on a number is checked link by link as one claim)
            for link in links[1:]:
                step = f"{links[0]} = {link}"
                if walk.tree.restates(qid, step):
                    found("question", step, "copies the question's data")
                else:
                    found("claim", step, "", walk.defs_for(qid, step))
            if _NAMED_SIZE.match(lhs):  # H_{out} = A = B: H_out is A for the claims after
                walk.named.append((qid or "", lhs.strip(), links[1]))
            continue
        found("claim", latex, "", walk.defs_for(qid, latex))
        if has_eq and _NAMED_SIZE.match(lhs) and not _DEFINE_EQ.search(row):
            # H_{out} = ... is checked, and names the size for the claims after it (and
            # before it: "F x H_out x W_out, where H_out = ...")
            walk.define(qid, definition_text(row), m.start)
            value = _links(row)[1:2] or [row[len(lhs):].split("=", 2)[1]]
            walk.named.append((qid or "", lhs.strip(), value[0].strip()))
    return out


_BOLD_SHAPE = re.compile(r"\*\*\s*([A-Za-z0-9]{1,3}(?:\s*[x×]\s*[A-Za-z0-9]{1,3})+)\s*\*\*")


def bold_shapes(doc: Document) -> list[tuple[int, int, str]]:
    """Shapes a Markdown writer typed in bold prose (``our output would be a **cx5x2**``)."""
    if doc.fmt not in ("md", "txt", "ipynb"):
        return []
    out = []
    for m in _BOLD_SHAPE.finditer(doc.text):
        sentence = _sentence(doc.text[max(0, m.start() - 200):m.start()])
        if re.search(r"output|dimension|dimmension|shape|size", sentence, re.I):
            out.append((m.start(), m.end(), _product_shape(m.group(1))))
    return out


def _join_systems(found: list[Found], systems: frozenset[str]) -> list[Found]:
    """The formulas of one answer section to a system question, as one claim."""
    out: list[Found] = []
    for f in found:
        last = out[-1] if out else None
        if (f.kind == "claim" and f.question in systems and last is not None and
                last.kind == "claim" and last.question == f.question and
                last.section == f.section):
            if f.latex not in last.latex.split(" \\\\ "):
                if f.check or last.check:
                    last.check = f"{last.checked} \\\\ {f.checked}"
                last.latex = f"{last.latex} \\\\ {f.latex}"
            if (f.start, f.end) not in last.spans:
                last.spans.append((f.start, f.end))
            last.end = max(last.end, f.end)
            last.source = f"{last.source}\n{f.source}" if f.source != last.source \
                else last.source
            continue
        out.append(f)
    return out
