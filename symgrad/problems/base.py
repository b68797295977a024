"""Question catalogs: id -> statement, answer builder (and, for the checker, a context)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..core.errors import UnknownNameError
from ..core.quantity import Quantity
from ..verify import quantity_context

_ROMAN = {"1": "i", "2": "ii", "3": "iii", "4": "iv", "5": "v", "6": "vi", "7": "vii",
          "8": "viii", "9": "ix"}


def suggest_ids(key: str, ids: list[str]) -> str:
    """The ids a mistyped question id probably means: `1.2.2e` -> 1.2.2.e, `1.1.c.3` ->
    1.1.c.iii, `1.1.c` -> its parts, else the closest spellings ('' when none)."""
    import difflib
    import re

    key = re.sub(r"[\s_,;:/-]+", ".", key.strip().lower()).strip(".")
    key = re.sub(r"(?<=\d)(?=[a-z])|(?<=[a-z])(?=\d)", ".", key)
    parts = key.split(".")
    if len(parts) > 1 and parts[-1] in _ROMAN and parts[-2].isalpha():
        parts[-1] = _ROMAN[parts[-1]]
    key = ".".join(parts)
    if key in ids:
        return key
    parts = [q for q in ids if q.startswith(key + ".")]
    if parts:
        return " or ".join([", ".join(parts[:-1]), parts[-1]] if len(parts) > 1 else parts)
    return " or ".join(difflib.get_close_matches(key, ids, n=3, cutoff=0.75))


@dataclass(frozen=True)
class Answer:
    """The answer to one question: LaTeX body (result and derivation) and its results."""

    id: str
    title: str
    latex: str
    quantity: Quantity | None = None
    quantities: dict[str, Quantity] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"<Answer {self.id}: {self.title}>"

    def _repr_markdown_(self) -> str:
        """Jupyter: Markdown with math, diagrams and figures as images (the LaTeX body is
        a document fragment that MathJax cannot render)."""
        from ..render.notebook import answer_markdown

        return answer_markdown(self.latex, self.files, f"{self.id}: {self.title}")

    def _repr_latex_(self) -> str | None:
        """Jupyter's LaTeX view: the answer's result as math (MathJax renders it); the
        whole answer is the Markdown view, which notebooks prefer."""
        return self.quantity._repr_latex_() if self.quantity is not None else None


def fitted(answer: Answer) -> Answer:
    """The answer with every display too wide for a plain article's text broken into lines
    (render.display.fit_displays), so that it can be pasted anywhere."""
    from dataclasses import replace

    from ..render.display import fit_displays

    latex = fit_displays(answer.latex)
    return answer if latex == answer.latex else replace(answer, latex=latex)


@dataclass(frozen=True)
class Question:
    """One question: its id (1.1.c.iii), our short statement (plain text, for the terminal),
    its answer builder, its checker context, and the statement as typeset in the write-up
    (LaTeX; empty: the plain statement, escaped)."""

    id: str
    statement: str
    build: Callable[[int], Answer]
    context: Callable[[], object] | None = None
    statement_tex: str = ""


@dataclass
class ProblemSet:
    """An ordered catalog of questions."""

    name: str
    title: str
    questions: dict[str, Question] = field(default_factory=dict)
    intro: str = ""
    source: str = ""
    #: the formulas each question (or section: ``1.1.c``) states as its data, as LaTeX
    #: (``21 \times 12``, ``S = 4``, the model's equations): a write-up that copies one is
    #: restating the question, not answering it
    given: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: the question's sizes by what prose calls them (``input height``: ``21``, ``kernel
    #: size``: ``K``): a writer's "let $H_{in}$ denote the height of the input" is then the
    #: definition ``H_{in} := 21``
    sizes: dict[str, dict[str, str]] = field(default_factory=dict)
    #: another numbering of the same questions, by id prefix: {"1.2.1": "1.2"} reads a
    #: write-up's 1.2.1.b as this set's 1.2.b (another year's numbering of one question)
    aliases: dict[str, str] = field(default_factory=dict)
    #: questions slow to answer, built in a worker process while the others are built
    slow: tuple[str, ...] = ()
    #: section titles as regular expressions over lower-cased words (``1.2``: recurrent
    #: neural networks), for write-ups whose headings give titles instead of numbers
    titles: dict[str, str] = field(default_factory=dict)

    def add(self, question: Question) -> None:
        self.questions[question.id] = question

    def add_quantity(self, qid: str, quantity: Quantity, statement: str = "",
                     title: str = "") -> Question:
        """Add a question answered by ``quantity`` (shape, index and matrix forms) and
        checkable against it."""

        def build(index_base: int = 1) -> Answer:
            parts = [statement] if statement else []
            parts.append(r"\[ " + quantity.shape_latex() + r" \]")
            parts.append(r"\[ " + quantity.latex(index_base=index_base) + r" \]")
            if quantity.matrix is not None:
                parts.append(r"\[ " + quantity.latex("matrix", index_base=index_base) + r" \]")
            return Answer(qid, title or quantity.name, "\n".join(parts), quantity=quantity)

        question = Question(qid, statement or title or quantity.name, build,
                            lambda: quantity_context(quantity))
        self.add(question)
        return question

    def question(self, qid: str) -> Question:
        key = qid.strip().lower()
        if key not in self.questions:
            hint = suggest_ids(key, list(self.questions))
            raise UnknownNameError(f"no question {qid!r} in {self.name}"
                                   + (f"; did you mean {hint}?" if hint else "")
                                   + f" (questions: {', '.join(self.questions)})")
        return self.questions[key]

    def answer(self, qid: str, index_base: int = 1) -> Answer:
        return self.question(qid).build(index_base)
