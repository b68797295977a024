"""Question catalogs: id -> statement, answer builder (and, for the checker, a context)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..core.errors import UnknownNameError
from ..core.quantity import Quantity
from ..verify import quantity_context


@dataclass(frozen=True)
class Answer:
    """The answer to one question: LaTeX body (result and derivation) and its results."""

    id: str
    title: str
    latex: str
    quantity: Quantity | None = None
    quantities: dict[str, Quantity] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)

    def _repr_latex_(self) -> str:
        return self.latex


@dataclass(frozen=True)
class Question:
    """One question: its id (1.1.c.iii), our short statement and its answer builder."""

    id: str
    statement: str
    build: Callable[[int], Answer]
    context: Callable[[], object] | None = None


@dataclass
class ProblemSet:
    """An ordered catalog of questions."""

    name: str
    title: str
    questions: dict[str, Question] = field(default_factory=dict)
    intro: str = ""
    source: str = ""

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
            raise UnknownNameError(f"no question {qid!r} in {self.name}; questions: "
                                   f"{', '.join(self.questions)}")
        return self.questions[key]

    def answer(self, qid: str, index_base: int = 1) -> Answer:
        return self.question(qid).build(index_base)
