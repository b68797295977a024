"""SymPy function heads shared by the core, the LaTeX parser and the verifier.

Index notation uses SymPy's own `Indexed`, `Sum`, `KroneckerDelta` and `Piecewise`;
the heads below add the few operations of deep-learning layers that SymPy lacks, and
the matrix-notation operations (non-commutative tensor symbols combined with `Diag`,
`Hadamard`, `Transpose`, ...) that a hand derivation may use.
"""

from __future__ import annotations

import sympy as sp


def _group(printer, arg) -> str:
    """Print an operand, in parentheses when it is a sum or a product."""
    text = printer._print(arg)
    if isinstance(arg, sp.Add | sp.Mul) or (isinstance(arg, sp.Symbol) and " " in text):
        return r"\left(%s\right)" % text
    return text


class sigmoid(sp.Function):
    """Element-wise logistic sigmoid, sigma(z) = 1 / (1 + exp(-z))."""

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        s = sigmoid(self.args[0])
        return s * (1 - s)

    def _eval_rewrite_as_exp(self, z: sp.Expr, **kwargs) -> sp.Expr:
        return 1 / (1 + sp.exp(-z))

    def _latex(self, printer, exp=None) -> str:
        body = r"\sigma\left(%s\right)" % printer._print(self.args[0])
        return body if exp is None else r"%s^{%s}" % (body, exp)


class relu(sp.Function):
    """Element-wise rectified linear unit, max(z, 0)."""

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return sp.Heaviside(self.args[0], 0)

    def _latex(self, printer, exp=None) -> str:
        return r"\operatorname{ReLU}\left(%s\right)" % printer._print(self.args[0])


class Diag(sp.Function):
    """Matrix notation: the diagonal matrix of a vector."""

    nargs = 1

    def _latex(self, printer, exp=None) -> str:
        return r"\operatorname{diag}\left(%s\right)" % printer._print(self.args[0])


class Hadamard(sp.Function):
    """Matrix notation: element-wise product of same-shaped operands."""

    def _latex(self, printer, exp=None) -> str:
        return r" \odot ".join(_group(printer, a) for a in self.args)


class Transposed(sp.Function):
    """Matrix notation: transpose of a matrix or vector (``Transpose`` is an alias)."""

    nargs = 1

    def _latex(self, printer, exp=None) -> str:
        return r"%s^{\top}" % _group(printer, self.args[0])


Transpose = Transposed


class Softargmax(sp.Function):
    """Matrix notation: softargmax (softmax) of a vector."""

    nargs = 1

    def _latex(self, printer, exp=None) -> str:
        return r"\operatorname{softargmax}\left(%s\right)" % printer._print(self.args[0])


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
        return sp.Integer(0)

    def _latex(self, printer, exp=None) -> str:
        return r"\mathbb{1}\left[%s > 0\right]" % printer._print(self.args[0])


class Ones(sp.Function):
    """Matrix notation: the ones vector of a given length, printed \\mathbf{1}."""

    nargs = 1
    is_commutative = False

    def _latex(self, printer, exp=None) -> str:
        return r"\mathbf{1}"
