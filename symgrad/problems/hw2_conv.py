"""Answers to hw2 section 1.1 (convolutions), built from the conv layer's derivations."""

from __future__ import annotations

import sympy as sp

from ..core.printing import IndexPrinter
from ..core.quantity import latex_dims
from ..core.tensor import size
from ..layers.conv import Conv1d, conv_output_shape
from .base import Answer

HW_CONV = dict(in_channels=5, length=7, kernel_size=3, stride=2, padding=0, dilation=1,
               filters=1)


def _dims(shape) -> str:
    return latex_dims(shape)


def _display(*lines: str) -> str:
    return "\n".join(r"\[ %s \]" % line for line in lines)


def _homework_conv() -> Conv1d:
    return Conv1d(**HW_CONV)


def _general_conv() -> Conv1d:
    C, L, K, S, D, F = (size(n) for n in "CLKSDF")
    P = sp.Symbol("P", integer=True, nonnegative=True)
    return Conv1d(in_channels=C, length=L, kernel_size=K, stride=S, padding=P, dilation=D,
                  filters=F)


def _window(conv: Conv1d, index_base: int = 1) -> str:
    """The input positions output j reads (in the index base), from the layer's own sizes."""
    j = sp.Symbol("j")
    S, D, P, K = (int(conv.sizes[conv._syms[key][0]]) for key in ("S", "D", "P", "K"))
    b = index_base
    return ", ".join(sp.latex(sp.Symbol("x")) + "[c, %s]" % IndexPrinter({}).doprint(
        sp.expand(S * (j - b) + D * k - P + b)) for k in range(K))


def answer_1_1_a(index_base: int = 1) -> Answer:
    H, W, K, S = 21, 12, (4, 5), 4
    shape = conv_output_shape((1, H, W), kernel_size=K, stride=S)
    latex = "\n".join([
        r"With no padding and no dilation, a kernel of extent $K$ fits at "
        r"$\lfloor (n - K)/S \rfloor + 1$ positions along an axis of length $n$:",
        _display(r"\left\lfloor \frac{%d - %d}{%d} \right\rfloor + 1 = %d, \qquad "
                 r"\left\lfloor \frac{%d - %d}{%d} \right\rfloor + 1 = %d"
                 % (H, K[0], S, shape[1], W, K[1], S, shape[2])),
        r"so the output is $%s$ per filter; with the single filter of the question, "
        r"$f(x) \in \mathbb{R}^{%s}$ (the number of output channels is the number of "
        r"filters, not the number of input channels)." % (_dims(shape[1:]), _dims(shape)),
    ])
    return Answer("1.1.a", "Output size of a 4 x 5 convolution with stride 4 on 21 x 12",
                  latex)


def answer_1_1_b(index_base: int = 1) -> Answer:
    C, H, W, K, S, D, F = (size(n) for n in "CHWKSDF")
    P = sp.Symbol("P", integer=True, nonnegative=True)
    shape = conv_output_shape((C, H, W), kernel_size=K, stride=S, padding=P, dilation=D,
                              filters=F)
    latex = "\n".join([
        r"Each filter spans all $C$ input channels and produces one output map, so the "
        r"output has $F$ channels. Along a spatial axis of length $H$, padding adds $P$ "
        r"zeros on both sides ($H + 2P$ positions); a kernel of size $K$ with dilation $D$ "
        r"reads $K$ positions spread over an extent of $D(K-1)+1$; with stride $S$ the "
        r"number of placements is the number of start positions $0, S, 2S, \dots$ with "
        r"$sS + D(K-1) + 1 \le H + 2P$:",
        _display(r"f(x) \in \mathbb{R}^{%s}" % _dims(shape)),
        r"For $P = 0$, $D = S = 1$ this is $(H-K+1) \times (W-K+1)$.",
    ])
    return Answer("1.1.b", "Output shape of a general 2-D convolution", latex)


def answer_1_1_c_i(index_base: int = 1) -> Answer:
    conv = _homework_conv()
    y = conv.output
    general = _general_conv().output
    diagram = ""
    try:
        from ..render.tikz import conv1d_receptive_fields

        diagram = "\n".join([r"\begin{center}",
                             conv1d_receptive_fields(7, 3, stride=2, index_base=index_base),
                             r"\end{center}"])
    except ImportError:
        diagram = ""
    latex = "\n".join([
        r"The layer cross-correlates each of the $5$ input channels with its row of the "
        r"kernel and sums over channels; with stride $2$ and no padding the kernel fits at "
        r"$\lfloor (7-3)/2 \rfloor + 1 = %d$ positions:" % conv.output_shape[1],
        _display(y.shape_latex(), y.latex(index_base=index_base)),
        r"Output position $j$ reads the inputs $%s$ (%d-based)." % (_window(conv, index_base),
                                                                  index_base),
        diagram,
        r"In general (stride $S$, zero padding $P$, dilation $D$, $F$ filters, and $x$ read "
        r"as $0$ outside its range):",
        _display(general.latex(index_base=index_base)),
    ])
    return Answer("1.1.c.i", "Shape and elements of the 1-D convolution's output", latex, y)


def answer_1_1_c_ii(index_base: int = 1) -> Answer:
    conv = _homework_conv()
    jw = conv.jacobian("W")
    latex = "\n".join([
        r"In numerator layout the Jacobian of $f_W(x) \in \mathbb{R}^{1 \times 3}$ with "
        r"respect to $W \in \mathbb{R}^{1 \times 5 \times 3}$ has the axes of $f_W(x)$ "
        r"followed by those of $W$:",
        _display(jw.shape_latex()),
        r"Differentiating the element formula of (i), only the term with the same filter, "
        r"channel and tap survives (the sums over $c$ and $k$ collapse on Kronecker deltas):",
        _display(jw.latex(index_base=index_base)),
        r"(with one filter $f = f' = %d$; in general the entry carries "
        r"$\delta_{ff'}$). Each output reads the input window its taps cover." % index_base,
    ])
    return Answer("1.1.c.ii", "Jacobian of the output with respect to W", latex, jw)


def answer_1_1_c_iii(index_base: int = 1) -> Answer:
    conv = _homework_conv()
    jx = conv.jacobian("x")
    general = _general_conv().jacobian("x")
    latex = "\n".join([
        r"In numerator layout, $\frac{\partial f_W(x)}{\partial x}$ has the axes of "
        r"$f_W(x)$ followed by those of $x \in \mathbb{R}^{5 \times 7}$:",
        _display(jx.shape_latex()),
        r"Differentiating the element formula of (i) with respect to $x[c, l]$ keeps the "
        r"one tap $k$ that reads position $l$, which exists only when $l$ lies in the "
        r"window of output $j$:",
        _display(jx.latex(index_base=index_base)),
        r"In general (stride $S$, padding $P$, dilation $D$) the tap must be an integer "
        r"in range, and the dilation must divide the offset:",
        _display(general.latex(index_base=index_base)),
    ])
    return Answer("1.1.c.iii", "Jacobian of the output with respect to x", latex, jx)


def _summation_index(latex: str) -> str:
    """The index a printed formula sums over (its first \\sum), for the prose about it."""
    import re

    found = re.search(r"\\sum_\{(\w+)\s*=", latex)
    return found.group(1) if found else "j"


def answer_1_1_c_iv(index_base: int = 1) -> Answer:
    conv = _homework_conv()
    gw = conv.grad("W")
    gx = conv.grad("x")
    latex = "\n".join([
        r"Given $\frac{\partial \ell}{\partial f_W(x)} \in \mathbb{R}^{1 \times 3}$, the "
        r"chain rule sums the Jacobian of (ii) against it; the gradient has the shape of "
        r"$W$ (gradient layout; the classic numerator layout of a scalar's derivative "
        r"would write it transposed, as a $3 \times 5 \times 1$ array):",
        _display(gw.shape_latex(), gw.latex(index_base=index_base)),
        r"\paragraph{Similarity with (i).} Both are cross-correlations of the input $x$: "
        r"(i) slides the kernel $W$ over $x$ and sums over channels and taps; here the "
        r"upstream gradient plays the role of the kernel. It is %s." % gw.structure,
        r"\paragraph{Differences.} The sum runs over output positions $%s$ instead of "
        r"taps and channels; the stride of (i) becomes a dilation of the gradient; the "
        r"result has the shape of $W$ (one value per filter, channel and tap) instead of "
        r"the shape of the output." % _summation_index(gw.latex(index_base=index_base)),
        r"For completeness, the gradient with respect to the input is %s:" % gx.structure,
        _display(gx.latex(index_base=index_base)),
    ])
    return Answer("1.1.c.iv", "Gradient of the loss with respect to W", latex, gw,
                  {"x": gx})
