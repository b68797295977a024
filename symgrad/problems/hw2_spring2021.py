"""The Spring 2021 version of hw2 (CSCI-GA 2572 Deep Learning, Spring 2021, theory part):
``hw2-spring2021``.

Its questions are hw2's 1.1 and 1.2.1 with other sizes and notation: 1.1.a is a 3 x 3
convolution with stride 2 on a 10 x 11 image; in 1.1.c, x has 2 channels and length 5
(W in R^{1 x 2 x 3}); the gated RNN is 1.2 (a)-(d), written c_t = sigma(W_c x_t + W_z
z_{t-1}), z_t = c_t ⊙ z_{t-1} + (1 - c_t) ⊙ W_x x_t (the statement prints W_z z_t in
the gate, a typo for z_{t-1}). There is no AttentionRNN and no 1.3.

The checker contexts are hw2's builders (``hw2_contexts``) with these sizes and this
notation. The answers: 1.1.b is hw2's; 1.1.a and 1.1.c are the quantities of their
contexts (shape, index and matrix forms, ``ProblemSet.add_quantity``); 1.2 are hw2's
1.2.1 answers in this statement's letters (``z[t]`` for the state, ``W_z``).
"""

from __future__ import annotations

import re
from functools import cache

from . import hw2_years as years
from .base import ProblemSet, Question
from .hw2 import GIVEN as HW2_GIVEN
from .hw2 import SIZES as HW2_SIZES
from .hw2 import TITLES as HW2_TITLES

NAME = "hw2-spring2021"
TITLE = (r"Homework 2 (theory, Spring 2021): convolutions and recurrent networks --- answers "
         r"by symgrad")

# 1.1.a: a 3 x 3 kernel, stride 2, on a 10 x 11 image; 1.1.c: 2 channels, length 5
IMAGE, KERNEL, STRIDE = (10, 11), 3, 2
CONV1D = dict(in_channels=2, length=5, kernel_size=3, stride=2)

#: (id, plain statement, typeset statement)
_CONV = years.conv_statements(IMAGE, KERNEL, STRIDE, CONV1D)
_CATALOG = [
    ("1.1.a", *_CONV["1.1.a"]),
    ("1.1.b", *years.hw2_statement("1.1.b")),
    *((qid, *_CONV[qid]) for qid in ("1.1.c.i", "1.1.c.ii", "1.1.c.iii", "1.1.c.iv")),
    ("1.2.a", "Diagram of the gated recurrent network.",
     r"Diagram of the gated recurrent network."),
    ("1.2.b", "Dimension of the gate c_t.", r"Dimension of the gate $c_t$."),
    ("1.2.c", "Dimension and expression of dl/dW_x given dl/dz_t for t = 1..K; backward "
              "vs forward pass.",
     r"Dimension and expression of $\frac{\partial \ell}{\partial W_x}$ given "
     r"$\frac{\partial \ell}{\partial z_t}$ for $t = 1, \dots, K$; backward vs forward pass."),
    ("1.2.d", "Can the network have vanishing or exploding gradients, and why?",
     r"Can the network have vanishing or exploding gradients, and why?"),
]

#: Spring 2021's 1.2 (a)-(d) are hw2's 1.2.1.a-d
HW2_RNN = {"1.2.a": "1.2.1.a", "1.2.b": "1.2.1.b", "1.2.c": "1.2.1.c", "1.2.d": "1.2.1.d"}

#: what each question states as its data (see ProblemSet.given)
GIVEN = {
    "1.1.a": years.conv2d_given(IMAGE, KERNEL, STRIDE),
    "1.1.b": HW2_GIVEN["1.1.b"],
    "1.1.c": years.conv1d_given(CONV1D, domain=True),
    # equation (1) as printed (W_z z_t) and as meant (W_z z_{t-1})
    "1.2": (r"c_t = \sigma(W_c x_t + W_z z_t)",
            r"c_t = \sigma(W_c x_t + W_z z_{t-1})",
            r"z_t = c_t \odot z_{t-1} + (1 - c_t) \odot W_x x_t",
            r"x_t \in \mathbb{R}^n", r"z_t \in \mathbb{R}^m",
            r"W_c \in \mathbb{R}^{m \times n}", r"W_z \in \mathbb{R}^{m \times m}",
            r"W_x \in \mathbb{R}^{m \times n}"),
}

#: the sizes of each question by what prose calls them (see ProblemSet.sizes)
SIZES = {
    "1.1.a": years.conv2d_sizes(IMAGE, KERNEL, STRIDE),
    "1.1.b": HW2_SIZES["1.1.b"],
    "1.1.c": years.conv1d_sizes(CONV1D),
}

#: section titles (hw2's, without its 1.3)
TITLES = {k: v for k, v in HW2_TITLES.items() if k in ("1", "1.1", "1.2")}


# checker contexts ----------------------------------------------------------------------
def _rnn_notation():
    from .hw2_contexts import RNNNotation

    return RNNNotation(state="z", recurrent="W_z", preactivation=None)


_RNN_DEFAULTS = {"1.2.b": (("c", None), "dimension of c_t"),
                 "1.2.c": (("loss", "W_x"), "dl/dW_x over K steps"),
                 "1.2.d": (("h", "h_prev"), "the state Jacobian dz_t/dz_{t-1}")}


@cache
def context(qid: str):
    """The checker's context for one question of hw2-spring2021."""
    return years.year_context(qid, IMAGE, KERNEL, STRIDE, CONV1D, _RNN_DEFAULTS,
                              _rnn_notation())


def _context(qid: str):
    return lambda: context(qid)


# answers -------------------------------------------------------------------------------
#: hw2's letters -> this statement's: the gate's pre-activation z[t] (unnamed here) is
#: p[t], the state h[t] (and h alone, in prose) is z[t], W_h is W_z (order matters: z is
#: renamed before h)
_LETTERS = ((re.compile(r"(?<![A-Za-z\\])z\["), "p["),
            (re.compile(r"\\sigma'\(z\)"), r"\\sigma'(p)"),
            (re.compile(r"(?<![A-Za-z\\])h\["), "z["),
            (re.compile(r"(?<=\$)h(?=\$)"), "z"),
            (re.compile(r"W_h(?![A-Za-z])"), "W_z"),
            (re.compile(r"W_\{h\}"), "W_{z}"))

_NOTATION_NOTE = (r"\emph{Notation.} The state $z_t$ of the statement is written $z[t]$ "
                  r"(so $z_{t-1}$ is $z[t-1]$, $z_0 = z[0] = 0$), $x_t$ is $x[t]$, $c_t$ is "
                  r"$c[t]$, and $p[t] = W_c x[t] + W_z z[t-1]$ is the gate's pre-activation; "
                  r"the gate reads $z_{t-1}$, as equation (2) does (equation (1) prints "
                  r"$W_z z_t$).")


def in_spring_notation(latex: str) -> str:
    """hw2's gated-RNN LaTeX in Spring 2021's letters (h[t] -> z[t], W_h -> W_z)."""
    for rx, new in _LETTERS:
        latex = rx.sub(new, latex)
    return latex


def _build(qid: str):
    if qid == "1.1.b":
        return years.hw2_build(qid)
    if qid in HW2_RNN:
        # hw2's answer to the same question (1.2.1.x), in this statement's letters
        return years.hw2_build(qid, HW2_RNN[qid], in_spring_notation, _NOTATION_NOTE)
    return years.conv_build(NAME, TITLE, context, qid, IMAGE, KERNEL, STRIDE)


def problem_set() -> ProblemSet:
    """The hw2-spring2021 problem set (a fresh one; ``registry.get`` keeps one)."""
    # later years number the recurrent part 1.2.1 (Fall 2022's "1.2.1 Part 1")
    pset = ProblemSet(NAME, TITLE, given=GIVEN, titles=TITLES, sizes=SIZES, slow=("1.2.d",),
                      aliases={"1.2.1": "1.2"})
    for qid, statement, statement_tex in _CATALOG:
        ctx = None if qid == "1.2.a" else _context(qid)
        pset.add(Question(qid, statement, _build(qid), ctx, statement_tex))
    return pset
