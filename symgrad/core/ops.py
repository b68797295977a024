"""SymPy function heads shared by the core, the LaTeX parser and the verifier, and the one
table of operations (``OPS``): each op's derivative rule, NumPy form, LaTeX and parser
names together, read by the model (chain rule), core.evaluate (lambdify), the matrix
printer, and offered to the reader and the verifier (``parser_words``, ``numpy_forms``).

Index notation uses SymPy's own `Indexed`, `Sum`, `KroneckerDelta` and `Piecewise`;
the heads below add the few operations of deep-learning layers that SymPy lacks, and
the matrix-notation operations (non-commutative tensor symbols combined with `Diag`,
`Hadamard`, `Transpose`, ...) that a hand derivation may use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import sympy as sp
from sympy.concrete.expr_with_limits import ExprWithLimits

from .simplify import Iverson


def top_script(text: str) -> bool:
    """True when ``text`` carries a superscript (or prime) outside every brace and bracket,
    so another superscript after it (``^{2}``, ``^{\\top}``) would be a double superscript:
    ``W^{(2)}``, ``h^{(1)}_{k}``, ``h'``."""
    depth = 0
    for ch in text:
        if ch in "{([":
            depth += 1
        elif ch in "})]":
            depth -= 1
        elif ch in "^'" and depth == 0:
            return True
    return False


def script_base(text: str) -> str:
    """``text`` made safe to carry a superscript: parenthesised when it has one already."""
    return r"\left(%s\right)" % text if top_script(text) else text


def _group(printer, arg, script: bool = False) -> str:
    """Print an operand, in parentheses when it is a sum or a product, or (``script``, for
    an operand that gets a superscript) when it carries one already:
    ``\\left(W^{(2)}\\right)^{\\top}``, never ``W^{(2)}^{\\top}``."""
    text = printer._print(arg)
    if isinstance(arg, sp.Add | sp.Mul) or (isinstance(arg, sp.Symbol) and " " in text):
        return r"\left(%s\right)" % text
    return script_base(text) if script else text


class sigmoid(sp.Function):
    """Element-wise logistic sigmoid, sigma(z) = 1 / (1 + exp(-z))."""

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return OPS["sigmoid"].rule(self, self.args[0])

    def _eval_rewrite_as_exp(self, z: sp.Expr, **kwargs) -> sp.Expr:
        return 1 / (1 + sp.exp(-z))

    def _latex(self, printer, exp=None) -> str:
        return OPS["sigmoid"].latex_call(printer._print(self.args[0]), exp)


class relu(sp.Function):
    """Element-wise rectified linear unit, max(z, 0)."""

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return OPS["relu"].rule(self, self.args[0])

    def _latex(self, printer, exp=None) -> str:
        return OPS["relu"].latex_call(printer._print(self.args[0]), exp)


class Diag(sp.Function):
    """Matrix notation: the diagonal matrix of a vector."""

    nargs = 1

    def _latex(self, printer, exp=None) -> str:
        return OPS["diag"].latex_call(printer._print(self.args[0]))


class Hadamard(sp.Function):
    """Matrix notation: element-wise product of same-shaped operands."""

    def _latex(self, printer, exp=None) -> str:
        return r" \odot ".join(_group(printer, a) for a in self.args)


class HadamardDiv(sp.Function):
    """Matrix notation: element-wise division a \\oslash b of same-shaped operands."""

    nargs = 2

    def _latex(self, printer, exp=None) -> str:
        text = r" %s " % OPS["oslash"].latex
        text = text.join(r"\mathbf{1}" if a == 1 else r"\left(%s\right)" % printer._print(a)
                         if isinstance(a, Hadamard | HadamardDiv) else _group(printer, a)
                         for a in self.args)
        return text if exp is None else r"\left(%s\right)^{%s}" % (text, exp)


class Transposed(sp.Function):
    """Matrix notation: transpose of a matrix or vector (``Transpose`` is an alias)."""

    nargs = 1

    def _latex(self, printer, exp=None) -> str:
        a = self.args[0]
        if isinstance(a, sp.Pow) and a.exp == -1 and not a.base.is_commutative:
            text = r"%s^{-\top}" % _group(printer, a.base, script=True)  # X^{-T}
        else:
            text = r"%s^{\top}" % _group(printer, a, script=True)
        return text if exp is None else r"\left(%s\right)^{%s}" % (text, exp)


Transpose = Transposed


class Softargmax(sp.Function):
    """Matrix notation: softargmax (softmax) of a vector."""

    nargs = 1

    def _latex(self, printer, exp=None) -> str:
        return OPS["softargmax"].latex_call(printer._print(self.args[0]))


class At(sp.Function):
    """Matrix notation indexed: At(expr, i, j) is entry (i, j) of a matrix expression."""

    def _latex(self, printer, exp=None) -> str:
        idx = ",".join(printer._print(a) for a in self.args[1:])
        return r"\left(%s\right)_{%s}" % (printer._print(self.args[0]), idx)


class AtTime(sp.Function):
    """A time-indexed tensor not declared under its own name, e.g. h[t-i]."""

    nargs = 2

    def _latex(self, printer, exp=None) -> str:
        return r"%s[%s]" % (printer._print(self.args[0]), printer._print(self.args[1]))


class Stack(sp.Function):
    """Matrix notation: the vector [a_0, a_1, ...] of scalars (ellipses expanded)."""

    def _latex(self, printer, exp=None) -> str:
        return r"\left[%s\right]" % ", ".join(printer._print(a) for a in self.args)


class Indicator(sp.Function):
    """Matrix notation: the element-wise indicator 1[v > 0] of a vector (ReLU')."""

    nargs = 1

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return OPS["indicator"].rule(self, self.args[0])

    def _latex(self, printer, exp=None) -> str:
        return r"%s\left[%s > 0\right]" % (OPS["indicator"].latex, printer._print(self.args[0]))


class _WholeMatrix(sp.Function):
    """A function of a whole square matrix. In index notation its first argument is the
    tensor as a whole (its ``IndexedBase``); in matrix notation (as read), a matrix
    expression. Its derivative by an entry X[k, l] of that tensor is the table's rule."""

    is_commutative = True

    def _eval_derivative(self, s):
        if isinstance(s, sp.Indexed) and s.base == self.args[0]:
            return op_of(self).rule(self, s)
        return sp.Integer(0)

    def _whole(self, printer, script: bool = False) -> str:
        """The matrix as printed; ``script``: made safe to carry a superscript."""
        text = printer._print(self.args[0])
        return r"\left(%s\right)" % text if script and " " in text else (
            script_base(text) if script else text)


class Det(_WholeMatrix):
    """The determinant of a square matrix; |det X| is ``AbsDet``."""

    nargs = 1

    def _eval_Abs(self):
        return AbsDet(self.args[0])

    def _latex(self, printer, exp=None) -> str:
        return OPS["det"].latex_call(self._whole(printer), exp)


class AbsDet(_WholeMatrix):
    """|det X|, so that log|det X| differentiates to X^{-T} for any sign of det X."""

    nargs = 1

    def _latex(self, printer, exp=None) -> str:
        text = r"\left|%s\right|" % OPS["det"].latex_call(self._whole(printer))
        return text if exp is None else r"%s^{%s}" % (text, exp)


class InverseEntry(_WholeMatrix):
    """Index notation: InverseEntry(X, i, j) is entry (i, j) of X^{-1} (matrix notation
    writes the inverse as the power ``X**-1`` of a non-commutative symbol)."""

    nargs = 3

    def _latex(self, printer, exp=None) -> str:
        idx = [printer._print(a) for a in self.args[1:]]
        sub = "".join(idx) if all(len(i) == 1 for i in idx) else ",".join(idx)
        text = r"\left(%s^{-1}\right)_{%s}" % (self._whole(printer, script=True), sub)
        return text if exp is None else r"\left(%s\right)^{%s}" % (text, exp)


class LogSumExp(_WholeMatrix):
    """log sum_k exp(x_k) of a whole vector; its derivative by x_k is the softmax,
    exp(x_k - out), written with the named output."""

    nargs = 1

    def _latex(self, printer, exp=None) -> str:
        return OPS["logsumexp"].latex_call(self._whole(printer), exp)


class Extremum(ExprWithLimits):
    """max (``MaxOver``) or min (``MinOver``) of a body over a range of an index, e.g. a
    pooling window: ``MaxOver(x[i], (i, 2 j, 2 j + 1))``. Its derivative is the body's
    derivative at the entries that attain it (the argmax); where several entries tie, each
    of them gets that derivative (the max is not differentiable there)."""

    is_commutative = True

    def _eval_derivative(self, s):
        (v, lo, hi), = self.limits
        w = sp.Symbol(v.name + "'", **v.assumptions0)  # not the bound index of self
        f = self.function.xreplace({v: w})
        return sp.Sum(sp.diff(f, s) * Iverson(sp.Eq(f, self)), (w, lo, hi))

    def _latex(self, printer, exp=None) -> str:
        (v, lo, hi), = self.limits
        text = r"%s_{%s=%s}^{%s} %s" % (op_of(self).latex, printer._print(v),
                                         printer._print(lo), printer._print(hi),
                                         _group(printer, self.function))
        return text if exp is None else r"\left(%s\right)^{%s}" % (text, exp)


class MaxOver(Extremum):
    """max_{i=lo}^{hi} f(i)."""


class MinOver(Extremum):
    """min_{i=lo}^{hi} f(i)."""


class Ones(sp.Function):
    """Matrix notation: the ones vector of a given length, printed \\mathbf{1}."""

    nargs = 1
    is_commutative = False

    def _latex(self, printer, exp=None) -> str:
        return r"\mathbf{1}"


# the one table of operations ------------------------------------------------------------
def _np_sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z, dtype=float)))


def _np_softargmax(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(z - np.max(z, axis=-1, keepdims=True)) if z.size else z
    return e / np.sum(e, axis=-1, keepdims=True) if z.size else z


def _np_heaviside(z):
    z = np.asarray(z, dtype=float)
    return np.where(z > 0, 1.0, np.where(z < 0, 0.0, 0.5))


def _np_diag(v):
    return np.diag(np.ravel(v))


def _np_max(*args):
    out = args[0]
    for a in args[1:]:
        out = np.maximum(out, a)
    return out


def _np_min(*args):
    out = args[0]
    for a in args[1:]:
        out = np.minimum(out, a)
    return out


def _np_window(body, index, lo, hi, top: bool):
    """max (``top``) or min of ``body`` over the leading axis of ``index``, where
    lo <= index <= hi (a window that moves with the other indices)."""
    body, index = np.asarray(body, dtype=float), np.asarray(index)
    shape = np.broadcast_shapes(body.shape, index.shape, np.shape(lo), np.shape(hi))
    inside = np.broadcast_to((index >= lo) & (index <= hi), shape)
    fill = -np.inf if top else np.inf
    picked = np.where(inside, np.broadcast_to(body, shape), fill)
    return picked.max(axis=0) if top else picked.min(axis=0)


def _np_inverse(a):
    return np.linalg.inv(np.asarray(a, dtype=float))


def _np_det(a):
    return np.linalg.det(np.asarray(a, dtype=float))


def _np_logsumexp(x):
    """log sum exp over the last axis, shifted by the max (no overflow at large x)."""
    x = np.asarray(x, dtype=float)
    top = np.max(x, axis=-1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    return (top + np.log(np.sum(np.exp(x - top), axis=-1, keepdims=True)))[..., 0]


def _inverse_rule(out, entry):
    """d (X^{-1})_{ij} / d X_{kl} = -(X^{-1})_{ik} (X^{-1})_{lj}."""
    (X, i, j), (k, l) = out.args, entry.indices
    return -InverseEntry(X, i, k) * InverseEntry(X, l, j)


@dataclass(frozen=True)
class Op:
    """One operation: its SymPy head, derivative rule, NumPy form, LaTeX and parser names.

    ``derivative(out, arg)`` is d out / d arg for an element-wise op, written with the
    named output where it can be (sigma' = out (1 - out), tanh' = 1 - out^2, exp' = out),
    so results read in the model's own intermediates; None for an op with no element-wise
    rule (softargmax's is diag(a) - a a^T, stated by ``Model.softargmax``; diag is linear).
    ``numpy`` is the vectorised NumPy form (core.evaluate's lambdify and verify's numeric
    evaluator both use it); ``latex`` the LaTeX head as printed in matrix notation;
    ``words`` the names the reader takes for it (``\\mathrm{softmax}``, ``\\ln``); ``slug``
    names an intermediate the model creates for it (``sigma_z``).

    A ``matrix`` op is a function of a whole square matrix (det, |det|, the inverse's
    entries), or of a whole vector when ``operand`` is "vector" (logsumexp): its
    ``derivative(out, entry)`` is d out / d X[k, l] for the entry X[k, l] of its matrix
    (det' = det(X) X^{-T}; logsumexp' = exp(x_k - out), the softmax), and ``numpy``
    takes the whole array (a vector along its last axis).
    """

    name: str
    head: Callable
    numpy: Callable
    latex: str
    words: tuple[str, ...] = ()
    derivative: Callable[[sp.Expr, sp.Expr], sp.Expr] | None = None
    elementwise: bool = True
    slug: str = ""
    matrix: bool = False
    operand: str = "square"

    def rule(self, out: sp.Expr, arg: sp.Expr) -> sp.Expr:
        """d out / d arg (element-wise), in terms of the named output and the argument."""
        if self.derivative is None:
            raise KeyError(f"{self.name} has no element-wise derivative rule")
        return self.derivative(out, arg)

    def latex_call(self, arg: str, exp: str | None = None) -> str:
        """``\\tanh\\left(z\\right)``; a power follows the call: ``\\sigma\\left(z\\right)^{2}``."""
        text = r"%s\left(%s\right)" % (self.latex, arg)
        return text if exp is None else r"%s^{%s}" % (text, exp)


OPS: dict[str, Op] = {op.name: op for op in (
    Op("sigmoid", sigmoid, _np_sigmoid, r"\sigma", ("sigmoid",),
       lambda out, arg: out * (1 - out), slug="sigma"),
    Op("tanh", sp.tanh, np.tanh, r"\tanh", ("tanh",), lambda out, arg: 1 - out**2),
    Op("exp", sp.exp, np.exp, r"\exp", ("exp",), lambda out, arg: out),
    Op("log", sp.log, np.log, r"\log", ("log", "ln"), lambda out, arg: 1 / arg),
    Op("relu", relu, lambda z: np.maximum(np.asarray(z, dtype=float), 0.0),
       r"\operatorname{ReLU}", ("relu",), lambda out, arg: sp.Heaviside(arg, 0)),
    Op("softargmax", Softargmax, _np_softargmax, r"\operatorname{softargmax}",
       ("softargmax", "softmax"), elementwise=False),
    Op("diag", Diag, _np_diag, r"\operatorname{diag}", ("diag",), elementwise=False),
    Op("indicator", Indicator, lambda z: (np.asarray(z, dtype=float) > 0).astype(float),
       r"\mathbb{1}", (), lambda out, arg: sp.Integer(0)),
    Op("heaviside", sp.Heaviside, _np_heaviside, r"\mathbb{1}", (),
       lambda out, arg: sp.Integer(0)),
    Op("abs", sp.Abs, np.abs, r"\operatorname{abs}", ("abs",),
       lambda out, arg: sp.sign(arg)),
    Op("sqrt", sp.sqrt, np.sqrt, r"\sqrt", ("sqrt",), lambda out, arg: 1 / (2 * out)),
    Op("max", sp.Max, _np_max, r"\max", ("max",), elementwise=False),
    Op("min", sp.Min, _np_min, r"\min", ("min",), elementwise=False),
    Op("floor", sp.floor, np.floor, r"\operatorname{floor}", ("floor",),
       lambda out, arg: sp.Integer(0)),
    Op("ceil", sp.ceiling, np.ceil, r"\operatorname{ceil}", ("ceil",),
       lambda out, arg: sp.Integer(0)),
    Op("sin", sp.sin, np.sin, r"\sin", ("sin",), lambda out, arg: sp.cos(arg)),
    Op("cos", sp.cos, np.cos, r"\cos", ("cos",), lambda out, arg: -sp.sin(arg)),
    # a \oslash b is read into index notation as a_i / b_i: SymPy's quotient rule
    # differentiates it (d/da = 1/b, d/db = -a/b^2), as it does x_i y_i for \odot
    Op("oslash", HadamardDiv, np.divide, r"\oslash", (), elementwise=False),
    Op("det", Det, _np_det, r"\det", ("det",),
       lambda out, e: out * InverseEntry(e.base, e.indices[1], e.indices[0]),
       elementwise=False, matrix=True),
    Op("absdet", AbsDet, lambda a: np.abs(_np_det(a)), r"\left|\det\right|", (),
       lambda out, e: out * InverseEntry(e.base, e.indices[1], e.indices[0]),
       elementwise=False, matrix=True),
    Op("inverse", InverseEntry, _np_inverse, r"^{-1}", (), _inverse_rule,
       elementwise=False, matrix=True),
    Op("maxover", MaxOver, lambda *a: _np_window(*a, top=True), r"\max", (),
       elementwise=False),
    Op("minover", MinOver, lambda *a: _np_window(*a, top=False), r"\min", (),
       elementwise=False),
    Op("logsumexp", LogSumExp, _np_logsumexp, r"\operatorname{logsumexp}",
       ("logsumexp", "lse"), lambda out, e: sp.exp(e - out),
       elementwise=False, matrix=True, operand="vector"),
)}

_BY_HEAD: dict = {op.head: op for op in OPS.values()}


def op_of(head) -> Op | None:
    """The table's entry for a SymPy head (``sp.tanh``, ``sigmoid``) or an expression of it."""
    if isinstance(head, sp.Basic):
        head = type(head)
    return _BY_HEAD.get(head)


def elementwise_ops() -> dict:
    """{SymPy head: Op} for the element-wise operations with a derivative rule (what
    ``Model.elementwise`` and matrix-notation definitions accept)."""
    return {op.head: op for op in OPS.values() if op.elementwise and op.derivative
            and op.name in ("sigmoid", "tanh", "exp", "log", "relu")}


def numpy_forms(elementwise: bool = True) -> dict:
    """{SymPy head: vectorised NumPy function} of the element-wise operations of the table
    (all of them with ``elementwise=False``), for a numeric evaluator:
    ``ELEMENTWISE = numpy_forms()``."""
    return {op.head: op.numpy for op in OPS.values()
            if (op.elementwise or not elementwise) and isinstance(op.head, type)}


def parser_words() -> dict[str, str]:
    """{word the reader takes (``softmax``, ``ln``): the op's name (``softargmax``, ``log``)}
    for the functions written as words (``\\mathrm{word}``, ``\\operatorname{word}``,
    ``\\word``); max and min have their own grammar (``\\max(0, z)`` is ReLU)."""
    return {w: op.name for op in OPS.values() for w in op.words
            if op.name not in ("max", "min", "abs", "sqrt", "sin", "cos")}


def matrix_heads() -> tuple:
    """The SymPy heads of the functions of a whole matrix (det, |det|, inverse entries)."""
    return tuple(op.head for op in OPS.values() if op.matrix)


def head(name: str):
    """The SymPy head of an op by its table name: ``head("softargmax")`` -> Softargmax."""
    return OPS[name].head
