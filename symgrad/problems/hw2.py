"""The hw2 catalog (CSCI-GA 2572 Deep Learning, Fall 2022, theory part): every question id,
our short statement of it (plain text and typeset), and the builder of its answer. The
write-up is assembled from the answers by ``problems.document``, the one writer of every
problem set, so every formula in it comes from the engine."""

from __future__ import annotations

import importlib
from collections.abc import Sequence

from . import document as _document
from .base import Answer, ProblemSet, Question, fitted
from .document import file_stem  # noqa: F401  (re-exported: answer-<id>.tex)

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

#: the section titles as written (with the usual misspellings), after lower-casing and
#: dropping punctuation and points
# section titles as headings write them, after any number (a heading "Problem 1.3:
# AttentionRNN(2)" of another year's numbering is 1.2.2 by its title)
_N = r"(?:problem |question |part |section )?(?:\d+(?: \d+)* )?"
TITLES = {
    "1": _N + r"theory",
    "1.1": _N + r"convolutional neural net(?:o)?works?(?: cnns?)?",
    "1.2": _N + r"recurrent neural networks?(?: rnns?)?",
    "1.2.2": _N + r"attention ?rnns?(?: (?:2|k|inf|infinity))?(?: networks?)?",
    "1.3": _N + r"debugging loss curves?",
}


def _slots(*rows: str) -> tuple[str, ...]:
    """A row of the AttentionRNN(2) system and its instances for slots 0, 1, 2."""
    out = []
    for row in rows:
        out.append(row)
        if "_i" in row:
            out += [row.replace("_i", f"_{i}") for i in range(3)]
    return tuple(out)


_ATT_ROWS = [r"q_0[t], q_1[t], q_2[t] = Q_0 x[t], Q_1 h[t-1], Q_2 h[t-2]",
             r"k_0[t], k_1[t], k_2[t] = K_0 x[t], K_1 h[t-1], K_2 h[t-2]",
             r"v_0[t], v_1[t], v_2[t] = V_0 x[t], V_1 h[t-1], V_2 h[t-2]"]
_ATT_ONE = [f"{r.split('=')[0].split(',')[i].strip()} = {r.split('=')[1].split(',')[i].strip()}"
            for r in _ATT_ROWS for i in range(3)]

#: what each question states as its data (see ProblemSet.given)
GIVEN = {
    "1.1.a": (r"21 \times 12", r"4 \times 5", "S = 4", "P = 0", "H = 21", "W = 12"),
    "1.1.b": (r"C \times H \times W", r"K \times K", r"H \ge K", r"W \ge K"),
    "1.1.c": (r"s[n] = (x * k)[n] = \sum_m x[n - m] k[m]",
              r"s[n] = (x * k)[n] = \sum_m x[n + m] k[m]",
              r"s[n] = (x * k)[n] = \sum_{m=-M}^{M} x[n + m] k[m]",
              r"x[n] \in \mathbb{R}^5", r"1 \le n \le 7", r"W \in \mathbb{R}^{1 \times 5 \times 3}",
              r"f_W(x) \in \mathbb{R}^{42 \times 42 \times 42}", r"f_W(x)[i, j, k] = 42",
              r"x \in \mathbb{R}^{5 \times 7}", "K = 3", "S = 2", "P = 0", "D = 1", "F = 1",
              "C = 5", "L = 7"),
    "1.2.1": (r"c[t] = \sigma(W_c x[t] + W_h h[t-1])",
              r"h[t] = c[t] \odot h[t-1] + (1 - c[t]) \odot W_x x[t]",
              r"x[t] \in \mathbb{R}^n", r"h[t] \in \mathbb{R}^m",
              r"W_c \in \mathbb{R}^{m \times n}",
              r"W_h \in \mathbb{R}^{m \times m}", r"W_x \in \mathbb{R}^{m \times n}", "h[0] = 0"),
    "1.2.2": (*_ATT_ROWS, *_ATT_ONE, *_slots(r"w_i[t] = q_i[t]^\top k_i[t]"),
              r"a[t] = \mathrm{softargmax}([w_0[t], w_1[t], w_2[t]])",
              r"h[t] = \sum_{i=0}^{2} a_i[t] v_i[t]", r"x[t] \in \mathbb{R}^n",
              r"h[t] \in \mathbb{R}^n", r"Q_i, K_i, V_i \in \mathbb{R}^{n \times n}",
              r"h[t] = 0"),
}


#: the sizes of each question by what prose calls them (see ProblemSet.sizes)
SIZES = {
    "1.1.a": {"input height": "21", "input width": "12", "kernel height": "4",
              "kernel width": "5", "stride": "4", "padding": "0", "dilation": "1"},
    "1.1.b": {"input height": "H", "input width": "W", "kernel size": "K", "kernel height": "K",
              "kernel width": "K", "stride": "S", "padding": "P", "dilation": "D",
              "filters": "F", "input channels": "C", "kernel effective size": "D(K - 1) + 1"},
    "1.1.c": {"input length": "7", "kernel size": "3", "kernel length": "3", "stride": "2",
              "padding": "0", "dilation": "1", "input channels": "5", "filters": "1"},
}


def _builder(qid: str, module: str):
    name = "answer_" + qid.replace(".", "_")

    def build(index_base: int = 1) -> Answer:
        mod = importlib.import_module(f"{__package__}.hw2_{module}")
        return fitted(getattr(mod, name)(index_base))

    return build


def _context(qid: str):
    def make():
        from .hw2_contexts import context

        return context(qid)

    return make


# the 1.2.1.d experiment and its matplotlib figure (which 1.3.1 shows too) are built in a
# worker process while the others are built
HW2 = ProblemSet("hw2", TITLE, given=GIVEN, titles=TITLES, sizes=SIZES, slow=("1.2.1.d", "1.3.1"))
for _qid, _statement, _module in _CATALOG:
    HW2.add(Question(_qid, _statement, _builder(_qid, _module), _context(_qid),
                     STATEMENTS_TEX[_qid]))


def answer(qid: str, index_base: int = 1) -> Answer:
    """The answer to one question of hw2, e.g. ``answer("1.2.2.e")``."""
    return HW2.answer(qid, index_base)


def document_files(index_base: int = 1, only: Sequence[str] | None = None,
                   progress=None) -> dict[str, str | bytes]:
    """Every file of the complete hw2 write-up (``document.document_files`` of HW2)."""
    return _document.document_files(HW2, index_base, only, progress)


def check(qid: str, latex: str, index_base: int = 1, definitions: Sequence[str] = ()):
    """Verdict on a hand-written claim for question ``qid`` (see symgrad.verify)."""
    from ..verify import check_claim

    return check_claim(HW2.question(qid).context(), latex, index_base=index_base,
                       definitions=definitions)
