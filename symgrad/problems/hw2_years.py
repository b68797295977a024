"""What hw2's other years share (``hw2-spring2021``, ``hw2-spring2022``, ``hw2-fall2024``).

Each year is hw2 with other sizes, notation or numbering. This module writes the parts
that follow from a year's sizes alone: the statements, given data, sizes, checker contexts
and answers of its convolutions (1.1.a, 1.1.c), and answers or contexts taken from hw2's
under another id (another year's numbering of the same question)."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import replace
from functools import cache

from .base import Answer, ProblemSet, fitted

#: a year's 1-D convolution of 1.1.c: in_channels, length, kernel_size, stride
Conv1dSizes = Mapping[str, int]

#: 1.1.c's parts: (the context's default quantity, the context's title)
CONV_DEFAULTS = {"1.1.c.i": (("y", None), "output of the 1-D convolution"),
                 "1.1.c.ii": (("y", "W"), "Jacobian of f_W(x) w.r.t. W"),
                 "1.1.c.iii": (("y", "x"), "Jacobian of f_W(x) w.r.t. x"),
                 "1.1.c.iv": (("loss", "W"), "dl/dW given dl/df_W(x)")}

#: the titles of 1.1.c's answers
CONV_TITLES = {"1.1.c.i": "Shape and elements of the 1-D convolution's output",
               "1.1.c.ii": "Jacobian of the output with respect to W",
               "1.1.c.iii": "Jacobian of the output with respect to x",
               "1.1.c.iv": "Gradient of the loss with respect to W"}

#: the three definitions of 1.1.c's statement (convolution, cross-correlation, finite kernel)
CROSS_CORRELATION = (r"s[n] = (x * k)[n] = \sum_m x[n - m] k[m]",
                     r"s[n] = (x * k)[n] = \sum_m x[n + m] k[m]",
                     r"s[n] = (x * k)[n] = \sum_{m=-M}^{M} x[n + m] k[m]")


def kernel_dims(kernel: int | tuple[int, int]) -> tuple[int, int]:
    """(height, width) of a kernel given as one size or two."""
    return kernel if isinstance(kernel, tuple) else (kernel, kernel)


def _power(n: int) -> str:
    text = str(n)
    return text if len(text) == 1 else "{" + text + "}"


# statements, given data, sizes ---------------------------------------------------------
def conv_statements(image: tuple[int, int], kernel, stride: int,
                    conv1d: Conv1dSizes) -> dict[str, tuple[str, str]]:
    """1.1.a's and 1.1.c's statements, (plain, typeset), for a year's sizes."""
    kh, kw = kernel_dims(kernel)
    sizes = (f"{conv1d['in_channels']} channels, length {conv1d['length']}, kernel "
             f"{conv1d['kernel_size']}, stride {conv1d['stride']}")
    return {
        "1.1.a": (f"Output size of a {kh}x{kw} convolution with stride {stride} on a "
                  f"{image[0]}x{image[1]} image.",
                  rf"Output size of a ${kh} \times {kw}$ convolution with stride {stride} on "
                  rf"a ${image[0]} \times {image[1]}$ image."),
        "1.1.c.i": (f"Dimension and elements of the output of a 1-D convolution ({sizes}).",
                    r"Dimension and elements of the output $f_W(x)$ of a 1-D convolution "
                    f"({sizes})."),
        "1.1.c.ii": ("Dimension and values of the Jacobian of that output with respect to W.",
                     r"Dimension and values of the Jacobian "
                     r"$\frac{\partial f_W(x)}{\partial W}$."),
        "1.1.c.iii": ("Dimension and values of the Jacobian of that output with respect to "
                      "x.",
                      r"Dimension and values of the Jacobian "
                      r"$\frac{\partial f_W(x)}{\partial x}$."),
        "1.1.c.iv": ("Dimension and expression of dl/dW given dl/df_W(x); compare with (i).",
                     r"Dimension and expression of $\frac{\partial \ell}{\partial W}$ given "
                     r"$\frac{\partial \ell}{\partial f_W(x)}$; compare with (i)."),
    }


def conv2d_given(image: tuple[int, int], kernel, stride: int) -> tuple[str, ...]:
    """1.1.a's data as the statement gives it (a square kernel also as K = ...)."""
    kh, kw = kernel_dims(kernel)
    return (rf"{image[0]} \times {image[1]}", rf"{kh} \times {kw}", f"S = {stride}", "P = 0",
            f"H = {image[0]}", f"W = {image[1]}", *((f"K = {kh}",) if kh == kw else ()))


def conv1d_given(conv1d: Conv1dSizes, domain: bool = False) -> tuple[str, ...]:
    """1.1.c's data: the definitions, x's channels and length (``domain``: also written
    x : {1, ..., L} -> R^C, as some years do), W's shape and the answer format."""
    C, L, K, S = (conv1d[k] for k in ("in_channels", "length", "kernel_size", "stride"))
    points = ", ".join(str(n) for n in range(1, L + 1))
    domains = (rf"x : \{{{points}\}} \in \mathbb{{R}}^{_power(C)}",
               rf"x : \{{{points}\}} \to \mathbb{{R}}^{_power(C)}") if domain else ()
    return (*CROSS_CORRELATION, *domains,
            rf"x[n] \in \mathbb{{R}}^{_power(C)}", rf"1 \le n \le {L}",
            rf"W \in \mathbb{{R}}^{{1 \times {C} \times {K}}}",
            r"f_W(x) \in \mathbb{R}^{42 \times 42 \times 42}", r"f_W(x)[i, j, k] = 42",
            rf"x \in \mathbb{{R}}^{{{C} \times {L}}}", f"K = {K}", f"S = {S}", "P = 0",
            "D = 1", "F = 1", f"C = {C}", f"L = {L}")


def conv2d_sizes(image: tuple[int, int], kernel, stride: int) -> dict[str, str]:
    """1.1.a's sizes by what prose calls them (a square kernel also as ``kernel size``)."""
    kh, kw = kernel_dims(kernel)
    square = {"kernel size": str(kh)} if kh == kw else {}
    return {"input height": str(image[0]), "input width": str(image[1]),
            "kernel height": str(kh), "kernel width": str(kw), **square,
            "stride": str(stride), "padding": "0", "dilation": "1"}


def conv1d_sizes(conv1d: Conv1dSizes) -> dict[str, str]:
    """1.1.c's sizes by what prose calls them."""
    return {"input length": str(conv1d["length"]), "kernel size": str(conv1d["kernel_size"]),
            "kernel length": str(conv1d["kernel_size"]), "stride": str(conv1d["stride"]),
            "padding": "0", "dilation": "1", "input channels": str(conv1d["in_channels"]),
            "filters": "1"}


# checker contexts ----------------------------------------------------------------------
def conv_context(qid: str, image: tuple[int, int], kernel, stride: int,
                 conv1d: Conv1dSizes):
    """The checker's context of 1.1.a or a part of 1.1.c with a year's sizes."""
    from . import hw2_contexts as hc

    if qid == "1.1.a":
        return hc.conv2d_context(qid, *image, kernel, stride)
    default, title = CONV_DEFAULTS[qid]
    return hc.conv1d_context(qid, default, title, **conv1d)


def year_context(qid: str, image: tuple[int, int], kernel, stride: int, conv1d: Conv1dSizes,
                 rnn_defaults: Mapping[str, tuple], notation=None):
    """The checker's context of a question of a year's homework: hw2's output-shape
    question, the year's convolutions, its gated RNN (``rnn_defaults``: qid -> (default
    quantity, title)) in the year's ``notation``."""
    from . import hw2_contexts as hc

    if qid == "1.1.b":
        return hc.shape_context()
    if qid.startswith("1.1."):
        return conv_context(qid, image, kernel, stride, conv1d)
    default, title = rnn_defaults[qid]
    return hc.rnn_context(qid, title, default, *([notation] if notation else []))


def relabelled(context, qid: str):
    """A context under another question's id (a shallow copy: it shares its instances
    and truths with the original)."""
    if context.qid == qid:
        return context
    out = copy.copy(context)
    out.qid = qid
    return out


@cache
def hw2_context(source: str, qid: str):
    """hw2's context of question ``source``, as question ``qid`` of another year."""
    from .hw2_contexts import context

    return relabelled(context(source), qid)


# answers -------------------------------------------------------------------------------
def axis_text(image: tuple[int, int], kernel, stride: int) -> str:
    """1.1.a's count of kernel placements along each axis, from the layer's output shape."""
    from ..layers.conv import conv_output_shape

    dims = kernel_dims(kernel)
    shape = conv_output_shape((1, *image), kernel_size=kernel, stride=stride)
    counts = r", \qquad ".join(
        r"\left\lfloor \frac{%d - %d}{%d} \right\rfloor + 1 = %s" % (n, k, stride, out)
        for n, k, out in zip(image, dims, shape[1:], strict=True))
    return (r"With no padding and no dilation, a kernel of extent $K$ fits at "
            r"$\lfloor (n - K)/S \rfloor + 1$ positions along an axis of length $n$:"
            "\n" r"\[ %s \]" "\n" r"and the single filter gives one output channel:" % counts)


def quantity_build(name: str, title_text: str, context: Callable[[str], object], qid: str,
                   title: str, statement: Callable[[], str] = lambda: ""):
    """An answer built from the quantity of the question's context (its default truth):
    shape, index and matrix forms, as ``ProblemSet.add_quantity`` writes them."""

    def build(index_base: int = 1) -> Answer:
        quantity = context(qid).truth(None).quantity
        scratch = ProblemSet(name, title_text)
        question = scratch.add_quantity(qid, quantity, statement(), title)
        return fitted(question.build(index_base))

    return build


def conv_build(name: str, title_text: str, context: Callable[[str], object], qid: str,
               image: tuple[int, int], kernel, stride: int):
    """The answer of 1.1.a or a part of 1.1.c: the quantity of its context (1.1.a with
    the count of placements along each axis first)."""
    if qid == "1.1.a":
        kh, kw = kernel_dims(kernel)
        title = (f"Output size of a {kh} x {kw} convolution with stride {stride} on "
                 f"{image[0]} x {image[1]}")
        return quantity_build(name, title_text, context, qid, title,
                              lambda: axis_text(image, kernel, stride))
    return quantity_build(name, title_text, context, qid, CONV_TITLES[qid])


def hw2_build(qid: str, source: str | None = None,
              rename: Callable[[str], str] | None = None, note: str = ""):
    """hw2's answer to question ``source`` (default: ``qid``) as question ``qid``: its
    LaTeX and title passed through ``rename`` (a year's letters), after ``note``."""

    def build(index_base: int = 1) -> Answer:
        from .hw2 import answer

        a = answer(source or qid, index_base)
        if source in (None, qid) and rename is None and not note:
            return a
        latex = rename(a.latex) if rename else a.latex
        title = rename(a.title) if rename else a.title
        return replace(a, id=qid, title=title, latex=note + "\n\n" + latex if note else latex)

    return build


def hw2_statement(source: str) -> tuple[str, str]:
    """hw2's statement of a question, (plain, typeset)."""
    from .hw2 import HW2

    q = HW2.question(source)
    return q.statement, q.statement_tex


def cross_references(pairs: Mapping[str, str]) -> Callable[[str], str]:
    """A function that rewrites hw2's references to its own questions in an answer's text
    (``Question~1.2.1(d)``) as another year numbers them, by exact phrases."""

    def rename(text: str) -> str:
        for old, new in pairs.items():
            text = text.replace(old, new)
        return text

    return rename
