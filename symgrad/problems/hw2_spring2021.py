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
from dataclasses import replace
from functools import cache

from .base import Answer, ProblemSet, Question, fitted
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
_CATALOG = [
    ("1.1.a", "Output size of a 3x3 convolution with stride 2 on a 10x11 image.",
     r"Output size of a $3 \times 3$ convolution with stride 2 on a $10 \times 11$ image."),
    ("1.1.b", "Output shape of a K x K convolution (padding P, stride S, dilation D, F "
              "filters) on a C x H x W input.",
     r"Output shape of a $K \times K$ convolution (padding $P$, stride $S$, dilation $D$, "
     r"$F$ filters) on a $C \times H \times W$ input."),
    ("1.1.c.i", "Dimension and elements of the output of a 1-D convolution (2 channels, "
                "length 5, kernel 3, stride 2).",
     r"Dimension and elements of the output $f_W(x)$ of a 1-D convolution (2 channels, "
     r"length 5, kernel 3, stride 2)."),
    ("1.1.c.ii", "Dimension and values of the Jacobian of that output with respect to W.",
     r"Dimension and values of the Jacobian $\frac{\partial f_W(x)}{\partial W}$."),
    ("1.1.c.iii", "Dimension and values of the Jacobian of that output with respect to x.",
     r"Dimension and values of the Jacobian $\frac{\partial f_W(x)}{\partial x}$."),
    ("1.1.c.iv", "Dimension and expression of dl/dW given dl/df_W(x); compare with (i).",
     r"Dimension and expression of $\frac{\partial \ell}{\partial W}$ given "
     r"$\frac{\partial \ell}{\partial f_W(x)}$; compare with (i)."),
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
    "1.1.a": (r"10 \times 11", r"3 \times 3", "S = 2", "P = 0", "H = 10", "W = 11", "K = 3"),
    "1.1.b": HW2_GIVEN["1.1.b"],
    "1.1.c": (r"s[n] = (x * k)[n] = \sum_m x[n - m] k[m]",
              r"s[n] = (x * k)[n] = \sum_m x[n + m] k[m]",
              r"s[n] = (x * k)[n] = \sum_{m=-M}^{M} x[n + m] k[m]",
              r"x : \{1, 2, 3, 4, 5\} \in \mathbb{R}^2",
              r"x : \{1, 2, 3, 4, 5\} \to \mathbb{R}^2",
              r"x[n] \in \mathbb{R}^2", r"1 \le n \le 5", r"W \in \mathbb{R}^{1 \times 2 \times 3}",
              r"f_W(x) \in \mathbb{R}^{42 \times 42 \times 42}", r"f_W(x)[i, j, k] = 42",
              r"x \in \mathbb{R}^{2 \times 5}", "K = 3", "S = 2", "P = 0", "D = 1", "F = 1",
              "C = 2", "L = 5"),
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
    "1.1.a": {"input height": str(IMAGE[0]), "input width": str(IMAGE[1]),
              "kernel height": str(KERNEL), "kernel width": str(KERNEL),
              "kernel size": str(KERNEL), "stride": str(STRIDE), "padding": "0",
              "dilation": "1"},
    "1.1.b": HW2_SIZES["1.1.b"],
    "1.1.c": {"input length": str(CONV1D["length"]), "kernel size": str(CONV1D["kernel_size"]),
              "kernel length": str(CONV1D["kernel_size"]), "stride": str(CONV1D["stride"]),
              "padding": "0", "dilation": "1", "input channels": str(CONV1D["in_channels"]),
              "filters": "1"},
}

#: section titles (hw2's, without its 1.3)
TITLES = {k: v for k, v in HW2_TITLES.items() if k in ("1", "1.1", "1.2")}


# checker contexts ----------------------------------------------------------------------
def _rnn_notation():
    from .hw2_contexts import RNNNotation

    return RNNNotation(state="z", recurrent="W_z", preactivation=None)


_CONV_DEFAULTS = {"1.1.c.i": (("y", None), "output of the 1-D convolution"),
                  "1.1.c.ii": (("y", "W"), "Jacobian of f_W(x) w.r.t. W"),
                  "1.1.c.iii": (("y", "x"), "Jacobian of f_W(x) w.r.t. x"),
                  "1.1.c.iv": (("loss", "W"), "dl/dW given dl/df_W(x)")}
_RNN_DEFAULTS = {"1.2.b": (("c", None), "dimension of c_t"),
                 "1.2.c": (("loss", "W_x"), "dl/dW_x over K steps"),
                 "1.2.d": (("h", "h_prev"), "the state Jacobian dz_t/dz_{t-1}")}


@cache
def context(qid: str):
    """The checker's context for one question of hw2-spring2021."""
    from . import hw2_contexts as hc

    if qid == "1.1.a":
        return hc.conv2d_context(qid, *IMAGE, KERNEL, STRIDE)
    if qid == "1.1.b":
        return hc.shape_context()
    if qid in _CONV_DEFAULTS:
        default, title = _CONV_DEFAULTS[qid]
        return hc.conv1d_context(qid, default, title, **CONV1D)
    default, title = _RNN_DEFAULTS[qid]
    return hc.rnn_context(qid, title, default, _rnn_notation())


def _context(qid: str):
    return lambda: context(qid)


# answers -------------------------------------------------------------------------------
def _axis_text() -> str:
    """1.1.a's count of kernel placements along each axis, from the layer's output shape."""
    from ..layers.conv import conv_output_shape

    shape = conv_output_shape((1, *IMAGE), kernel_size=KERNEL, stride=STRIDE)
    counts = r", \qquad ".join(
        r"\left\lfloor \frac{%d - %d}{%d} \right\rfloor + 1 = %s" % (n, KERNEL, STRIDE, out)
        for n, out in zip(IMAGE, shape[1:], strict=True))
    return (r"With no padding and no dilation, a kernel of extent $K$ fits at "
            r"$\lfloor (n - K)/S \rfloor + 1$ positions along an axis of length $n$:"
            "\n" r"\[ %s \]" "\n" r"and the single filter gives one output channel:" % counts)


def _quantity_build(qid: str, title: str, statement=lambda: ""):
    """An answer built from the quantity of the question's context (its default truth):
    shape, index and matrix forms, as ``ProblemSet.add_quantity`` writes them."""

    def build(index_base: int = 1) -> Answer:
        quantity = context(qid).truth(None).quantity
        scratch = ProblemSet(NAME, TITLE)
        question = scratch.add_quantity(qid, quantity, statement(), title)
        return fitted(question.build(index_base))

    return build


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


def _rnn_build(qid: str):
    """hw2's answer to the same question (1.2.1.x), in this statement's letters."""

    def build(index_base: int = 1) -> Answer:
        from .hw2 import answer

        a = answer(HW2_RNN[qid], index_base)
        latex = _NOTATION_NOTE + "\n\n" + in_spring_notation(a.latex)
        return replace(a, id=qid, title=in_spring_notation(a.title), latex=latex)

    return build


def _hw2_build(qid: str):
    def build(index_base: int = 1) -> Answer:
        from .hw2 import answer

        return answer(qid, index_base)

    return build


_TITLES = {"1.1.a": "Output size of a 3 x 3 convolution with stride 2 on 10 x 11",
           "1.1.c.i": "Shape and elements of the 1-D convolution's output",
           "1.1.c.ii": "Jacobian of the output with respect to W",
           "1.1.c.iii": "Jacobian of the output with respect to x",
           "1.1.c.iv": "Gradient of the loss with respect to W"}


def _build(qid: str):
    if qid == "1.1.b":
        return _hw2_build(qid)
    if qid in HW2_RNN:
        return _rnn_build(qid)
    return _quantity_build(qid, _TITLES[qid], _axis_text if qid == "1.1.a" else lambda: "")


def problem_set() -> ProblemSet:
    """The hw2-spring2021 problem set (a fresh one; ``registry.get`` keeps one)."""
    # later years number the recurrent part 1.2.1 (Fall 2022's "1.2.1 Part 1")
    pset = ProblemSet(NAME, TITLE, given=GIVEN, titles=TITLES, sizes=SIZES, slow=("1.2.d",),
                      aliases={"1.2.1": "1.2"})
    for qid, statement, statement_tex in _CATALOG:
        ctx = None if qid == "1.2.a" else _context(qid)
        pset.add(Question(qid, statement, _build(qid), ctx, statement_tex))
    return pset
