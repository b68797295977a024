"""The Fall 2024 version of hw2 (CSCI-GA 2572 Deep Learning, Fall 2024, theory part):
``hw2-fall2024``.

Its questions are hw2's (Fall 2022) with other sizes and numbering:

- 1.1.a is a 3 x 5 convolution with stride 2 on a 17 x 11 image; 1.1.b's kernel is
  H_K x W_K (hw2's is K x K); in 1.1.c, x[n] in R^7 for 1 <= n <= 11 (7 channels, length
  11), kernel size 3, stride 2 (W in R^{1 x 7 x 3});
- 1.2.1 (the gated RNN, hw2's notation) has a new part (c), the Jacobians dh[t]/dh[t-1]
  and dc[t]/dh[t-1]; its (d) and (e) are hw2's 1.2.1.c and 1.2.1.d;
- 1.2.2 (AttentionRNN) has no diagram: its (a)-(e) are hw2's 1.2.2.b-f (its (c) also
  asks how many weight matrices AttentionRNN(inf) needs, which hw2's answer says);
- 1.3 (debugging loss curves) is lettered (a)-(d), hw2's 1.3.1-1.3.4 (a write-up's
  1.3.1-1.3.4 are read as 1.3.a-d).

The checker contexts are hw2's builders (``hw2_contexts``) with these sizes, hw2's own
contexts under this numbering, and 1.1.b's shape with a rectangular kernel. The answers:
1.1.a and 1.1.c are the quantities of their contexts (``hw2_years``); 1.1.b and 1.2.1.c
are built here from the conv and gated-RNN layers; the rest are hw2's.
"""

from __future__ import annotations

from functools import cache

from . import hw2_years as years
from .base import Answer, ProblemSet, Question, fitted
from .hw2 import GIVEN as HW2_GIVEN
from .hw2 import TITLES as HW2_TITLES

NAME = "hw2-fall2024"
TITLE = (r"Homework 2 (theory, Fall 2024): convolutions and recurrent networks --- answers "
         r"by symgrad")

# 1.1.a: a 3 x 5 kernel, stride 2, on a 17 x 11 image; 1.1.c: 7 channels, length 11,
# kernel 3, stride 2
IMAGE, KERNEL, STRIDE = (17, 11), (3, 5), 2
CONV1D = dict(in_channels=7, length=11, kernel_size=3, stride=2)

#: Fall 2024's questions that are hw2's under another id (or the same)
HW2_IDS = {"1.2.1.a": "1.2.1.a", "1.2.1.b": "1.2.1.b", "1.2.1.d": "1.2.1.c",
           "1.2.1.e": "1.2.1.d", "1.2.2.a": "1.2.2.b", "1.2.2.b": "1.2.2.c",
           "1.2.2.c": "1.2.2.d", "1.2.2.d": "1.2.2.e", "1.2.2.e": "1.2.2.f",
           "1.3.a": "1.3.1", "1.3.b": "1.3.2", "1.3.c": "1.3.3", "1.3.d": "1.3.4"}
#: questions answered by a drawing or in prose: nothing to check
NOT_CHECKABLE = ("1.2.1.a", "1.3.a", "1.3.b", "1.3.c", "1.3.d")

IDS = ("1.1.a", "1.1.b", "1.1.c.i", "1.1.c.ii", "1.1.c.iii", "1.1.c.iv", "1.2.1.a",
       "1.2.1.b", "1.2.1.c", "1.2.1.d", "1.2.1.e", "1.2.2.a", "1.2.2.b", "1.2.2.c",
       "1.2.2.d", "1.2.2.e", "1.3.a", "1.3.b", "1.3.c", "1.3.d")

_OWN = {
    **years.conv_statements(IMAGE, KERNEL, STRIDE, CONV1D),
    "1.1.b": ("Output shape of an H_K x W_K convolution (padding P, stride S, dilation D, "
              "F filters) on a C x H x W input.",
              r"Output shape of an $H_K \times W_K$ convolution (padding $P$, stride $S$, "
              r"dilation $D$, $F$ filters) on a $C \times H \times W$ input."),
    "1.2.1.c": ("The Jacobians dh[t]/dh[t-1] and dc[t]/dh[t-1].",
                r"The Jacobians $\frac{\partial h[t]}{\partial h[t-1]}$ and "
                r"$\frac{\partial c[t]}{\partial h[t-1]}$."),
}

#: (id, plain statement, typeset statement)
_CATALOG = [(qid, *(_OWN[qid] if qid in _OWN else years.hw2_statement(HW2_IDS[qid])))
            for qid in IDS]

#: what each question states as its data (see ProblemSet.given)
GIVEN = {
    "1.1.a": years.conv2d_given(IMAGE, KERNEL, STRIDE),
    "1.1.b": (r"C \times H \times W", r"H_K \times W_K", r"H \ge H_K", r"W \ge W_K"),
    "1.1.c": years.conv1d_given(CONV1D),
    "1.2.1": HW2_GIVEN["1.2.1"],
    "1.2.2": HW2_GIVEN["1.2.2"],
}

#: the sizes of each question by what prose calls them (see ProblemSet.sizes)
SIZES = {
    "1.1.a": years.conv2d_sizes(IMAGE, KERNEL, STRIDE),
    "1.1.b": {"input height": "H", "input width": "W", "kernel height": "H_K",
              "kernel width": "W_K", "stride": "S", "padding": "P", "dilation": "D",
              "filters": "F", "input channels": "C"},
    "1.1.c": years.conv1d_sizes(CONV1D),
}

#: section titles (hw2's)
TITLES = dict(HW2_TITLES)

#: another numbering of 1.3 (Fall 2022's 1.3.1-1.3.4)
ALIASES = {f"1.3.{n}": f"1.3.{letter}" for n, letter in zip("1234", "abcd", strict=True)}


# 1.1.b: a rectangular kernel -----------------------------------------------------------
def _kernel_sizes():
    """The sizes of 1.1.b: C, H, W, H_K, W_K, S, D, F (positive) and P (non-negative)."""
    import sympy as sp

    from ..core.tensor import size

    syms = {n: size(n) for n in ("C", "H", "W", "H_K", "W_K", "S", "D", "F")}
    syms["P"] = sp.Symbol("P", integer=True, nonnegative=True)
    return syms


def _shape_1_1_b() -> tuple:
    from ..layers.conv import conv_output_shape

    s = _kernel_sizes()
    return conv_output_shape((s["C"], s["H"], s["W"]), kernel_size=(s["H_K"], s["W_K"]),
                             stride=s["S"], padding=s["P"], dilation=s["D"], filters=s["F"])


def _shape_context():
    """1.1.b's context: the output shape of an H_K x W_K convolution, checked as a closed
    form on a grid of small sizes."""
    from ..core.errors import UnknownNameError
    from ..verify.context import Context, Grid, Instance, TensorSpec, Truth
    from .hw2_contexts import CHANNELS, OUTPUT

    syms = _kernel_sizes()
    dims = _shape_1_1_b()
    tensors = [TensorSpec("x", (syms["C"], syms["H"], syms["W"]), "x", ("X",), "the input"),
               TensorSpec("y", dims, r"f_W(x)", OUTPUT + ("output", "ouput"), "the output")]
    shown = tuple(f"floor(({n} + 2P - D({n}_K - 1) - 1)/S) + 1" for n in "HW")
    truth = Truth("y", None, dims, (), r"f_W(x)", None, None,
                  ("filters", "output height", "output width"), ("F", *shown))
    ranges = {"C": range(1, 3), "F": range(1, 3), "H": range(1, 10), "W": range(1, 10),
              "H_K": range(1, 4), "W_K": range(1, 4), "S": range(1, 4), "D": range(1, 3),
              "P": range(0, 3)}
    grid = Grid(ranges,
                lambda v: (v["H"] + 2 * v["P"] >= v["D"] * (v["H_K"] - 1) + 1)
                & (v["W"] + 2 * v["P"] >= v["D"] * (v["W_K"] - 1) + 1),
                "H + 2P >= D(H_K - 1) + 1 and W + 2P >= D(W_K - 1) + 1")

    def instance(seed: int) -> Instance:
        raise UnknownNameError("1.1.b asks for a shape; element formulas are checked in "
                               "1.1.c")

    return Context("1.1.b", "output shape of an H_K x W_K convolution", tensors, instance,
                   {("y", None): lambda: truth}, ("y", None), scalars=syms,
                   about={"C": CHANNELS, "F": "the number of filters"}, grid=grid)


def answer_1_1_b(index_base: int = 1) -> Answer:
    from ..core.quantity import latex_dims

    shape = _shape_1_1_b()
    latex = "\n".join([
        r"Each filter spans all $C$ input channels and produces one output map, so the "
        r"output has $F$ channels. Along the height, padding adds $P$ zeros on both sides "
        r"($H + 2P$ positions); the kernel's $H_K$ rows with dilation $D$ spread over an "
        r"extent of $D(H_K - 1) + 1$; with stride $S$ the number of placements is the "
        r"number of start positions $0, S, 2S, \dots$ with $sS + D(H_K - 1) + 1 \le H + "
        r"2P$. The width is the same with $W$ and $W_K$:",
        r"\[ f_W(x) \in \mathbb{R}^{%s} \]" % latex_dims(shape),
        r"For $P = 0$, $D = S = 1$ this is $(H - H_K + 1) \times (W - W_K + 1)$.",
    ])
    return Answer("1.1.b", "Output shape of a general 2-D convolution", latex)


# 1.2.1.c: the one-step Jacobians -------------------------------------------------------
def _displayed(q, index_base: int) -> list[str]:
    """A Jacobian's shape, index form and matrix form, each displayed."""
    return [r"\[ %s \]" % text for text in (q.shape_latex(), q.latex(index_base=index_base),
                                            q.latex("matrix"))]


def answer_1_2_1_c(index_base: int = 1) -> Answer:
    from .hw2_rnn import rnn

    r = rnn()
    dc, dh = r.jacobian("c[t]", "h[t-1]"), r.state_jacobian()
    latex = "\n".join([
        r"Write $z[t] = W_c x[t] + W_h h[t-1]$ for the gate's pre-activation, so $c[t] = "
        r"\sigma(z[t])$ and $\sigma'(z[t]) = c[t] \odot (1 - c[t])$. The gate depends on "
        r"$h[t-1]$ only through $W_h h[t-1]$ (numerator layout):",
        *_displayed(dc, index_base),
        r"The state $h[t] = c[t] \odot h[t-1] + (1 - c[t]) \odot W_x x[t]$ depends on "
        r"$h[t-1]$ directly and through the gate; by the product rule, with the Jacobian "
        r"of the gate above:",
        *_displayed(dh, index_base),
        r"The first term copies the state through the open gate; the second is "
        r"$\operatorname{diag}(h[t-1] - W_x x[t]) \frac{\partial c[t]}{\partial h[t-1]}$.",
    ])
    return fitted(Answer("1.2.1.c", "The Jacobians dh[t]/dh[t-1] and dc[t]/dh[t-1]", latex,
                         quantity=dh, quantities={"dh/dh_prev": dh, "dc/dh_prev": dc}))


# checker contexts ----------------------------------------------------------------------
_RNN_DEFAULTS = {"1.2.1.c": (("h", "h_prev"), "dh[t]/dh[t-1] and dc[t]/dh[t-1]"),
                 "1.2.1.d": (("loss", "W_x"), "dl/dW_x over K steps"),
                 "1.2.1.e": (("h", "h_prev"), "the state Jacobian dh[t]/dh[t-1]")}


@cache
def context(qid: str):
    """The checker's context for one question of hw2-fall2024."""
    from . import hw2_contexts as hc

    if qid == "1.1.b":
        return _shape_context()
    if qid.startswith("1.1."):
        return years.conv_context(qid, IMAGE, KERNEL, STRIDE, CONV1D)
    if qid in _RNN_DEFAULTS:
        default, title = _RNN_DEFAULTS[qid]
        return hc.rnn_context(qid, title, default)
    return years.hw2_context(HW2_IDS[qid], qid)


#: hw2's references to its questions, in this year's numbering
_REFERENCES = years.cross_references({
    "Question~1.2.1(d)": "Question~1.2.1(e)",
    "1.3.1 the model": "1.3(a) the model",
    "(the gain of 1.3.1)": "(the gain of 1.3(a))",
    "one-step partial Jacobians of (e)": "one-step partial Jacobians of (d)"})

_OWN_ANSWERS = {"1.1.b": answer_1_1_b, "1.2.1.c": answer_1_2_1_c}


def _build(qid: str):
    if qid in _OWN_ANSWERS:
        return _OWN_ANSWERS[qid]
    if qid in HW2_IDS:
        return years.hw2_build(qid, HW2_IDS[qid], _REFERENCES)
    return years.conv_build(NAME, TITLE, context, qid, IMAGE, KERNEL, STRIDE)


def problem_set() -> ProblemSet:
    """The hw2-fall2024 problem set (a fresh one; ``registry.get`` keeps one)."""
    pset = ProblemSet(NAME, TITLE, given=GIVEN, titles=TITLES, sizes=SIZES,
                      slow=("1.2.1.e", "1.3.a"), aliases=ALIASES)
    for qid, statement, statement_tex in _CATALOG:
        ctx = None if qid in NOT_CHECKABLE else (lambda qid=qid: context(qid))
        pset.add(Question(qid, statement, _build(qid), ctx, statement_tex))
    return pset
