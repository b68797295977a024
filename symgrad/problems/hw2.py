"""The hw2 catalog (CSCI-GA 2572 Deep Learning, Fall 2022, theory part): every question id,
our short statement of it, and the builder of its answer. The whole write-up is assembled
here from the answers, so every formula in it comes from the engine."""

from __future__ import annotations

import importlib
from collections.abc import Sequence

from .base import Answer, ProblemSet, Question

TITLE = r"Homework 2 (theory): convolutions and recurrent networks --- answers by symgrad"

_CATALOG = [
    ("1.1.a", "Output size of a 4x5 convolution with stride 4 on a 21x12 image.", "conv"),
    ("1.1.b", "Output shape of a K x K convolution (padding P, stride S, dilation D, F "
              "filters) on a C x H x W input.", "conv"),
    ("1.1.c.i", "Dimension and elements of the output of a 1-D convolution (5 channels, "
                "length 7, kernel 3, stride 2).", "conv"),
    ("1.1.c.ii", "Dimension and values of the Jacobian of that output with respect to W.",
     "conv"),
    ("1.1.c.iii", "Dimension and values of the Jacobian of that output with respect to x.",
     "conv"),
    ("1.1.c.iv", "Dimension and expression of dl/dW given dl/df_W(x); compare with (i).",
     "conv"),
    ("1.2.1.a", "Diagram of the gated recurrent network.", "diagrams"),
    ("1.2.1.b", "Dimension of the gate c[t].", "rnn"),
    ("1.2.1.c", "Dimension and expression of dl/dW_x given dl/dh[t]; backward vs forward "
                "pass.", "rnn"),
    ("1.2.1.d", "Can the network have vanishing or exploding gradients, and why?", "rnn"),
    ("1.2.2.a", "Diagram of AttentionRNN(2).", "diagrams"),
    ("1.2.2.b", "Dimension of the attention weights a[t].", "attention"),
    ("1.2.2.c", "The system of equations of AttentionRNN(k).", "attention"),
    ("1.2.2.d", "The system of equations of AttentionRNN(inf), with weight sharing.",
     "attention"),
    ("1.2.2.e", "The Jacobian dh[t]/dh[t-1] of AttentionRNN(2).", "attention"),
    ("1.2.2.f", "dl/dh[T] for AttentionRNN(k) given dh[t]/dh[T] for t > T.", "attention"),
    ("1.3.1", "What caused the spikes in the loss curve?", "loss"),
    ("1.3.2", "How can a spike exceed the initial loss?", "loss"),
    ("1.3.3", "How can the spikes be fixed?", "loss"),
    ("1.3.4", "Why are the loss and accuracy at these values before training?", "loss"),
]


#: the statements as they are typeset in the write-up (the catalog's are plain text, for
#: the terminal): every symbol and formula in math mode
STATEMENTS_TEX = {
    "1.1.a": r"Output size of a $4 \times 5$ convolution with stride 4 on a $21 \times 12$ "
             r"image.",
    "1.1.b": r"Output shape of a $K \times K$ convolution (padding $P$, stride $S$, dilation "
             r"$D$, $F$ filters) on a $C \times H \times W$ input.",
    "1.1.c.i": r"Dimension and elements of the output $f_W(x)$ of a 1-D convolution (5 "
               r"channels, length 7, kernel 3, stride 2).",
    "1.1.c.ii": r"Dimension and values of the Jacobian $\frac{\partial f_W(x)}{\partial W}$.",
    "1.1.c.iii": r"Dimension and values of the Jacobian $\frac{\partial f_W(x)}{\partial x}$.",
    "1.1.c.iv": r"Dimension and expression of $\frac{\partial \ell}{\partial W}$ given "
                r"$\frac{\partial \ell}{\partial f_W(x)}$; compare with (i).",
    "1.2.1.a": r"Diagram of the gated recurrent network.",
    "1.2.1.b": r"Dimension of the gate $c[t]$.",
    "1.2.1.c": r"Dimension and expression of $\frac{\partial \ell}{\partial W_x}$ given "
               r"$\frac{\partial \ell}{\partial h[t]}$; backward vs forward pass.",
    "1.2.1.d": r"Can the network have vanishing or exploding gradients, and why?",
    "1.2.2.a": r"Diagram of $\mathrm{AttentionRNN}(2)$.",
    "1.2.2.b": r"Dimension of the attention weights $a[t]$.",
    "1.2.2.c": r"The system of equations of $\mathrm{AttentionRNN}(k)$.",
    "1.2.2.d": r"The system of equations of $\mathrm{AttentionRNN}(\infty)$, with weight "
               r"sharing.",
    "1.2.2.e": r"The Jacobian $\frac{\partial h[t]}{\partial h[t-1]}$ of "
               r"$\mathrm{AttentionRNN}(2)$.",
    "1.2.2.f": r"$\frac{\partial \ell}{\partial h[T]}$ for $\mathrm{AttentionRNN}(k)$ given "
               r"$\frac{\partial h[t]}{\partial h[T]}$ for $t > T$.",
    "1.3.1": r"What caused the spikes in the loss curve?",
    "1.3.2": r"How can a spike exceed the initial loss?",
    "1.3.3": r"How can the spikes be fixed?",
    "1.3.4": r"Why are the loss and accuracy at these values before training?",
}

def _builder(qid: str, module: str):
    name = "answer_" + qid.replace(".", "_")

    def build(index_base: int = 1) -> Answer:
        mod = importlib.import_module(f"{__package__}.hw2_{module}")
        return getattr(mod, name)(index_base)

    return build


def _context(qid: str):
    def make():
        from .hw2_contexts import context

        return context(qid)

    return make


HW2 = ProblemSet("hw2", TITLE)
for _qid, _statement, _module in _CATALOG:
    HW2.add(Question(_qid, _statement, _builder(_qid, _module), _context(_qid)))


def answer(qid: str, index_base: int = 1) -> Answer:
    """The answer to one question of hw2, e.g. ``answer("1.2.2.e")``."""
    return HW2.answer(qid, index_base)


def file_stem(qid: str) -> str:
    return "answer-" + qid.replace(".", "_")


def section(ans: Answer, statement: str) -> str:
    """One question's LaTeX: heading with its id, our statement (typeset as math where
    STATEMENTS_TEX has it, else escaped plain text), the answer."""
    tex = STATEMENTS_TEX.get(ans.id) if statement == _PLAIN.get(ans.id) else None
    return "\n".join([r"\subsection*{%s}" % ans.id, r"\emph{%s}" % (tex or _escape(statement)),
                      "", ans.latex.strip(), ""])


_PLAIN = {qid: statement for qid, statement, _ in _CATALOG}


def _escape(text: str) -> str:
    """Plain text for LaTeX's text mode: specials escaped, < and > (which print as
    other glyphs in text mode) set as math."""
    for a, b in (("\\", r"\textbackslash{}"), ("_", r"\_"), ("&", r"\&"), ("%", r"\%"),
                 ("#", r"\#"), ("$", r"\$"), ("<", r"$<$"), (">", r"$>$")):
        text = text.replace(a, b)
    return text


def answer_file(qid: str, text: str) -> str:
    """An answer's pasteable file: a comment saying what it needs, then its section."""
    from ..render.output import answer_header

    return answer_header(f"Answer to hw2 question {qid}", text) + text


def document(index_base: int = 1, only: Sequence[str] | None = None, progress=None,
             previous: dict[str, dict[str, str | bytes]] | None = None
             ) -> tuple[dict[str, str | bytes], dict[str, dict[str, str | bytes]]]:
    """Every file of the write-up (one .tex per question, hw2.tex, preamble.tex, figures)
    and the files of each question.

    The questions in ``only`` are computed afresh; every other question is taken from
    ``previous`` (question id -> its files, from an earlier run of the same code with the
    same index base) when it is there, and computed otherwise, so hw2.tex is always the
    complete write-up."""
    from ..render.output import latex_document, preamble_tex, strip_answer_header

    fresh = {HW2.question(q).id for q in only} if only else set()
    previous = previous or {}
    todo = [qid for qid in HW2.questions if qid in fresh or qid not in previous]
    files: dict[str, str | bytes] = {}
    per_question: dict[str, dict[str, str | bytes]] = {}
    parts = []
    for qid in HW2.questions:
        name = file_stem(qid) + ".tex"
        if qid in todo:
            if progress:
                progress(todo.index(qid) + 1, len(todo), qid)
            q = HW2.question(qid)
            ans = q.build(index_base)
            text = section(ans, q.statement)
            own: dict[str, str | bytes] = {name: answer_file(qid, text), **ans.files}
        else:
            own = dict(previous[qid])
            text = strip_answer_header(str(own[name]))
        per_question[qid] = own
        files.update(own)
        parts.append(text)
    intro = (r"All results below were derived and printed by symgrad: index notation is "
             r"%s-based, Jacobians are in numerator layout (shape of the output followed "
             r"by the shape of the input), gradients of the loss in gradient layout (the "
             r"shape of the parameter)." % index_base)
    files["hw2.tex"] = latex_document(intro + "\n\n" + "\n".join(parts), TITLE)
    files["preamble.tex"] = preamble_tex()
    return files, per_question


def document_files(index_base: int = 1, only: Sequence[str] | None = None,
                   progress=None) -> dict[str, str | bytes]:
    """Every file of the complete write-up (see document)."""
    return document(index_base, only, progress)[0]


def check(qid: str, latex: str, index_base: int = 1, definitions: Sequence[str] = ()):
    """Verdict on a hand-written claim for question ``qid`` (see symgrad.verify)."""
    from ..verify import check_claim

    return check_claim(HW2.question(qid).context(), latex, index_base=index_base,
                       definitions=definitions)
