"""Convolution layers (cross-correlation, zero padding, stride, dilation, F filters).

The layer is one definition, derived once with symbolic sizes and then specialised:
    y[f, j] = sum_c sum_k W[f, c, k] x[c, S j + D k - P]
(0-based; x reads 0 outside its range, which is the zero padding). Its Jacobians and
gradients come from the chain rule of the core; nothing is built entry by entry.
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Sequence
from functools import cache

import sympy as sp

from ..core.errors import ShapeError
from ..core.model import Model
from ..core.quantity import Quantity, readable
from ..core.simplify import Iverson
from ..core.tensor import Tensor, as_dim, as_expr, index, size

Size = int | sp.Expr


def _per_axis(value, n: int, what: str) -> tuple:
    if isinstance(value, tuple | list):
        if len(value) != n:
            raise ShapeError(f"{what} has {len(value)} entries for {n} spatial axes")
        return tuple(value)
    return (value,) * n


def _check(value, what: str, minimum: int) -> sp.Expr:
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = int(value)  # NumPy integers as sizes, as Model takes them
    if isinstance(value, bool) or not isinstance(value, int | sp.Expr):
        raise ShapeError(f"{what} must be an integer or a SymPy symbol, got {value!r}")
    if isinstance(value, int) and value < minimum:
        raise ShapeError(f"{what} must be at least {minimum}, got {value}")
    return as_expr(value)


def output_length(n: Size, kernel: Size, stride: Size, padding: Size, dilation: Size) -> Size:
    """floor((n + 2P - D(K - 1) - 1) / S) + 1: the dilated kernel spans D(K - 1) + 1 inputs."""
    out = sp.floor((n + 2 * padding - dilation * (kernel - 1) - 1) / stride) + 1
    if out.is_number:
        if out < 1:
            raise ShapeError(
                f"the dilated kernel spans D(K-1)+1 = {dilation * (kernel - 1) + 1} positions "
                f"but the padded input has only {n + 2 * padding}; use a smaller kernel, "
                f"dilation or a larger padding")
        return int(out)
    return out


def conv_output_shape(input_shape: Sequence[Size], kernel_size: Size | Sequence[Size],
                      stride: Size | Sequence[Size] = 1, padding: Size | Sequence[Size] = 0,
                      dilation: Size | Sequence[Size] = 1, filters: Size = 1) -> tuple:
    """(F, out_1, ..., out_d) for an input (C, n_1, ..., n_d); ints or SymPy symbols. A
    two-entry shape with as many channels as positions or more, like (32, 32), is read as
    a 1-D input, with a warning (an image is (channels, height, width))."""
    shape = tuple(input_shape)
    if len(shape) == 2 and all(isinstance(n, int) for n in shape) and shape[0] >= shape[1]:
        warnings.warn(f"conv_output_shape reads {shape} as {shape[0]} channels of length "
                      f"{shape[1]} (a 1-D convolution); for an image give "
                      f"(channels, height, width)", stacklevel=2)
    return _output_shape(shape, kernel_size, stride, padding, dilation, filters)


def _output_shape(input_shape: Sequence[Size], kernel_size, stride, padding, dilation,
                  filters: Size) -> tuple:
    if len(input_shape) < 2:
        raise ShapeError("input_shape is (channels, size_1, ...): give at least one spatial "
                         f"size, got {tuple(input_shape)}")
    spatial = [as_dim(n, "input size") for n in input_shape[1:]]
    as_dim(input_shape[0], "channel count")
    d = len(spatial)
    K = [_check(k, "kernel_size", 1) for k in _per_axis(kernel_size, d, "kernel_size")]
    S = [_check(s, "stride", 1) for s in _per_axis(stride, d, "stride")]
    P = [_check(p, "padding", 0) for p in _per_axis(padding, d, "padding")]
    D = [_check(x, "dilation", 1) for x in _per_axis(dilation, d, "dilation")]
    F = _check(filters, "filters", 1)
    dims = [output_length(n, k, s, p, x) for n, k, s, p, x in zip(spatial, K, S, P, D)]
    first = int(F) if F.is_Integer else F
    return (first, *[int(x) if isinstance(x, sp.Integer) else x for x in dims])


_AXES = {1: ["L"], 2: ["H", "W_in"]}
_OUT = {1: ["j"], 2: ["i", "j"]}
_TAPS = {1: ["k"], 2: ["p", "q"]}
_POS = {1: ["l"], 2: ["u", "v"]}


@cache
def _symbolic(ndim: int):
    """The convolution model with every size symbolic, built once per dimension."""
    C, F = size("C"), size("F")
    n = [size(a) for a in _AXES[ndim]]
    suffix = [""] if ndim == 1 else ["_h", "_w"]
    K = [size("K" + s) for s in suffix]
    S = [size("S" + s) for s in suffix]
    D = [size("D" + s) for s in suffix]
    P = [sp.Symbol("P" + s, integer=True, nonnegative=True) for s in suffix]
    out = [sp.floor((a + 2 * p - d * (k - 1) - 1) / s) + 1 for a, k, s, p, d in zip(n, K, S, P, D)]
    m = Model(f"Conv{ndim}d")
    x = m.input("x", (C, *n), "x", "bracket")
    W = m.input("W", (F, C, *K), "W", "bracket", kind="param")
    f, c = index("f"), index("c")
    js = [index(a) for a in _OUT[ndim]]
    ks = [index(a + "_0") for a in _TAPS[ndim]]
    pos = [s * j + d * k - p for s, j, d, k, p in zip(S, js, D, ks, P)]
    # zero padding, stated: x is read only inside its range (so every derivative carries
    # the range its formula holds on, instead of relying on reads outside x being 0)
    inside = sp.And(*[sp.And(sp.Le(0, e), sp.Le(e, a - 1)) for e, a in zip(pos, n)])
    body = W[(f, c, *ks)] * x[(c, *pos)] * Iverson(inside)
    y = m.define("y", (F, *out), (f, *js), sp.Sum(body, (c, 0, C - 1),
                                                   *[(k, 0, kk - 1) for k, kk in zip(ks, K)]),
                 r"f_W(x)", "bracket")
    syms = {"C": C, "F": F, "n": n, "K": K, "S": S, "P": P, "D": D}
    return m, syms, y


class _ConvNd:
    ndim = 1

    def __init__(self, in_channels: Size, spatial: Sequence[Size], kernel_size, stride,
                 padding, dilation, filters: Size) -> None:
        self.model, self._syms, y = _symbolic(self.ndim)
        d = self.ndim
        values = {
            "C": [in_channels], "F": [filters], "n": list(spatial),
            "K": list(_per_axis(kernel_size, d, "kernel_size")),
            "S": list(_per_axis(stride, d, "stride")),
            "P": list(_per_axis(padding, d, "padding")),
            "D": list(_per_axis(dilation, d, "dilation")),
        }
        minimum = {"C": 1, "F": 1, "n": 1, "K": 1, "S": 1, "P": 0, "D": 1}
        names = {"C": "in_channels", "F": "filters", "n": "input size", "K": "kernel_size",
                 "S": "stride", "P": "padding", "D": "dilation"}
        self.sizes: dict = {}
        for key, vals in values.items():
            syms = self._syms[key] if isinstance(self._syms[key], list) else [self._syms[key]]
            for sym, v in zip(syms, vals, strict=True):
                self.sizes[sym] = _check(v, names[key], minimum[key])
        self.output_shape = _output_shape(
            (in_channels, *spatial), values["K"], values["S"], values["P"], values["D"],
            filters)
        self._y = y
        self._g = Tensor("g", y.shape, r"\frac{\partial \ell}{\partial f_W(x)}", "bracket")

    def _free_sizes(self) -> tuple:
        return tuple(s for s, v in self.sizes.items() if not v.is_number)

    def _quantity(self, name, element, old, new, shape, lhs, inputs, structure="",
                  layout="numerator") -> Quantity:
        element, _ = readable(element, old, new)
        tensors = {**self.model.tensors, "g": self._g}
        free = tuple(s for s in element.free_symbols | {d for s in shape for d in
                                                          as_expr(s).free_symbols}
                     if s in self.sizes)
        return Quantity(name, element, tuple(index(n) for n in new), shape, tensors=tensors,
                        inputs=inputs, lhs=lhs, structure=structure, layout=layout,
                        sizes=self.sizes, size_names=tuple(sorted(set(free) | set(
                            self._free_sizes()), key=str)))

    def _names(self, wrt: str) -> list[str]:
        d = self.ndim
        if wrt == "y":
            return ["f", *_OUT[d]]
        if wrt == "W":
            return ["f'", "c", *_TAPS[d]] if True else []
        return ["c", *_POS[d]]

    @property
    def output(self) -> Quantity:
        """f_W(x), shape (F, out...)."""
        d = self.model.definitions["y"]
        x, W = self.model.tensors["x"], self.model.tensors["W"]
        return self._quantity(r"f_W(x)", d.expr, d.indices, self._names("y"), self._y.shape,
                              (self._y, None), (x, W), "cross-correlation of x with W")

    def jacobian(self, wrt: str) -> Quantity:
        """d f_W(x) / d wrt in numerator layout: shape (F, out..., *shape(wrt))."""
        self._check_name(wrt)
        element, I, J = self.model.derivative("y", wrt)
        wrt_t = self.model.tensors[wrt]
        new = self._names("y") + (self._names("W") if wrt == "W" else self._names("x"))
        x, W = self.model.tensors["x"], self.model.tensors["W"]
        note = ("entries of x: each output reads the taps of one filter"
                if wrt == "W" else "entries of W: each output depends on the inputs its "
                "(strided, dilated) window covers")
        return self._quantity(r"\frac{\partial f_W(x)}{\partial %s}" % wrt, element, I + J, new,
                              self._y.shape + wrt_t.shape, (self._y, wrt_t), (x, W), note)

    def grad(self, wrt: str) -> Quantity:
        """dl/d wrt given g = dl/df_W(x): same shape as ``wrt`` (gradient layout)."""
        self._check_name(wrt)
        element, J = self.model.gradient("y", wrt, self._g)
        wrt_t = self.model.tensors[wrt]
        names = [n.rstrip("'") for n in self._names(wrt)]
        x, W = self.model.tensors["x"], self.model.tensors["W"]
        if wrt == "W":
            note = ("the cross-correlation of the input x with the upstream gradient g "
                    "dilated by the stride S (and with the kernel dilation D as its stride)")
        else:
            note = ("a transposed convolution of the upstream gradient g with W: g dilated "
                    "by the stride S, correlated with the flipped kernel")
        return self._quantity(r"\frac{\partial \ell}{\partial %s}" % wrt, element, J, names,
                              wrt_t.shape, (r"\ell", wrt_t), (x, W, self._g), note,
                              layout="gradient")

    def _check_name(self, wrt: str) -> None:
        if wrt not in ("W", "x"):
            raise ShapeError(f"a convolution differentiates with respect to 'W' or 'x', "
                             f"not {wrt!r}")


class Conv1d(_ConvNd):
    """1-D convolution layer: x (C, L), W (F, C, K), output (F, L_out)."""

    ndim = 1

    def __init__(self, in_channels: Size, length: Size, kernel_size: Size, stride: Size = 1,
                 padding: Size = 0, dilation: Size = 1, filters: Size = 1) -> None:
        super().__init__(in_channels, (length,), kernel_size, stride, padding, dilation,
                         filters)


class Conv2d(_ConvNd):
    """2-D convolution layer: x (C, H, W), W (F, C, KH, KW), output (F, H', W')."""

    ndim = 2

    def __init__(self, in_channels: Size, height: Size, width: Size, kernel_size,
                 stride=1, padding=0, dilation=1, filters: Size = 1) -> None:
        super().__init__(in_channels, (height, width), kernel_size, stride, padding, dilation,
                         filters)
