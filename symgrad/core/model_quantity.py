"""Quantities of a user-defined Model: names as written (``x[t]``, ``h[t-1]``), second
derivatives; ``core.unroll`` builds its sequence quantities on them.

``model`` is a ``core.model.Model``; it is annotated with its base ``Graph`` so that this
module does not import the model (``Model`` is built on the quantities, not the reverse).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cached_property

import numpy as np
import sympy as sp

from .definitions import Graph
from .errors import ShapeError, UnknownNameError
from .matrix import latex_matrix, to_matrix
from .printing import TimePrinter, shift_base, to_cases
from .quantity import Quantity
from .tensor import Tensor, as_expr


class ModelQuantity(Quantity):
    """A Quantity of a Model: ``evaluate`` takes names as written (``x[t]``, ``h[t-1]``)
    and ignores the model's other arrays; sequence results print stacked tensors as c[t]_i."""

    def __init__(self, *args, model: Graph, timed: Mapping[str, str] | None = None,
                 time: sp.Symbol | None = None, matrix_form: sp.Expr | None = None,
                 recursion: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.model = model
        self.timed = dict(timed or {})
        self.time = time
        self.recursion = recursion
        self._matrix_form = matrix_form

    @cached_property
    def matrix(self) -> sp.Expr | None:
        """The matrix-notation form, or None."""
        if self.timed:
            return None if self._matrix_form is None else self._matrix_form.xreplace(self._subs)
        return to_matrix(self.element, self.indices, self.shape)

    def jacobian(self, wrt: str, hessian: bool = False) -> ModelQuantity:
        """Differentiate again: d (this quantity) / d wrt, numerator layout (the axes of
        this quantity, then those of ``wrt``); second derivatives and Hessians."""
        if self.timed or self.time is not None:
            raise ShapeError(f"{self.name} is a quantity over time steps; differentiate its "
                             f"one-step form instead")
        m = self.model
        w = m.tensor(m.resolve(wrt))
        element, J = m.differentiate(self.element, self.indices, self.shape, w.name)
        num = Tensor("_outer", self._shape, self.lhs_latex(indexed=False))
        inputs = [*self.inputs.values()]
        inputs += [t for t in m.step_inputs(m.expr_reads(element)) if t.name not in self.inputs]
        return m.quantity(self.name, element, self.indices + J, self._shape + w.shape,
                           (num, w), self.sizes, set(), tensors={**self.tensors, num.name: num},
                           inputs=inputs, cls=SecondQuantity,
                           structure=f"the Jacobian of {self.name} with respect to {w.latex}",
                           outer=self, hessian=hessian)

    def _key(self, key: str) -> str | None:
        if key in self.inputs:
            return key
        flat = re.sub(r"\s+", "", key)
        for t in self.inputs.values():
            if re.sub(r"\s+", "", t.latex) == flat:
                return t.name
        try:
            return self.model.resolve(key)
        except UnknownNameError:
            return None

    def evaluate(self, arrays: Mapping[str, np.ndarray] | None = None, /, *,
                 form: str = "index", **kwargs) -> np.ndarray:
        """The numeric array for concrete inputs, keyed by internal names or names as
        written; arrays of the model that this quantity does not read are ignored."""
        known = set(self.model.tensors) | set(self.tensors)
        given: dict = {}
        rest: dict = {}
        for k, v in [*dict(arrays or {}).items(), *kwargs.items()]:
            name = self._key(k)
            if k in kwargs and k not in self.inputs and k in self._free_sizes():
                rest[k] = v
            elif name in self.inputs:
                given[name] = v
            elif name in known:
                continue
            elif k in kwargs:
                rest[k] = v
            else:
                raise UnknownNameError(f"evaluate() got an unknown array {k!r}; it takes "
                                       + ", ".join(f"{t.name} ({t.latex})"
                                                   for t in self.inputs.values()))
        return super().evaluate(given, form=form, **rest)

    def latex(self, form: str = "index", index_base: int = 1) -> str:
        """``lhs = rhs`` in index form (1-based by default) or matrix form."""
        if not self.timed:
            return super().latex(form, index_base)
        self.check_latex_args(form, index_base)
        if form == "matrix":
            if self.matrix is None:
                raise ShapeError(f"{self.name} has no matrix form; use form='index'")
            rhs = latex_matrix(self.matrix, self.tensors, index_base,
                               keep=() if self.time is None else (self.time,))
            text = f"{self.lhs_latex(indexed=False)} = {rhs}"
        else:
            element = self.element
            if index_base == 0 and self.time is not None:
                t = self.time
                element = element.replace(
                    lambda e: isinstance(e, sp.Sum) and e.limits[0][0] == t,
                    lambda e: sp.Sum(e.function.xreplace({t: t - 1}),
                                     (t, e.limits[0][1] + 1, e.limits[0][2] + 1)))
            element = shift_base(element, self.indices, index_base)
            printer = TimePrinter(self.tensors, self.timed, 1 - index_base,
                                      self.indices[-1] if self.indices else None)
            split = to_cases(element)
            if split is None:
                rhs = printer.doprint(element)
            else:
                rhs = (r"\begin{cases} " + printer.doprint(split[0]) + r" & \text{if } "
                       + printer._print_condition(split[1]) + r" \\ 0 & \text{otherwise} "
                       r"\end{cases}")
            text = f"{self.lhs_latex(index_base)} = {rhs}"
        if self.recursion:
            text += r", \quad \text{where } " + self.recursion
        return text


def dims_of(t: Tensor, subs: dict) -> tuple[int, ...]:
    dims = [as_expr(d).xreplace(subs) for d in t.shape]
    if any(not d.is_Integer for d in dims):
        free = sorted({s.name for d in dims for s in d.free_symbols})
        raise ShapeError(f"the shape of {t.latex} is not known; pass "
                         + ", ".join(f"{n}=..." for n in free) + " to evaluate()")
    return tuple(int(d) for d in dims)


class SecondQuantity(ModelQuantity):
    """The Jacobian of a quantity: printed d(first)/d wrt, or d^2 f / dx_i dx_j."""

    def __init__(self, *args, outer: ModelQuantity, hessian: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.outer = outer
        self.hessian = hessian

    def lhs_latex(self, index_base: int = 1, indexed: bool = True) -> str:
        num, w = self.lhs
        names = [sp.latex(i) for i in self.indices] if indexed else []
        n = len(self.outer.indices)
        f, x = self.outer.lhs
        if (self.hessian and isinstance(f, Tensor) and f.rank == 0 and isinstance(x, Tensor)
                and x.name == w.name and w.rank == 1):
            if not indexed:
                return r"\frac{\partial^{2} %s}{\partial %s^{2}}" % (f.latex, w.latex)
            a, b = (self._side_latex(w, [i]) for i in names)
            return r"\frac{\partial^{2} %s}{\partial %s \partial %s}" % (f.latex, a, b)
        top = self._side_latex(num, names[:n]) if indexed else num.latex
        bottom = self._side_latex(w, names[n:]) if indexed else w.latex
        return r"\frac{\partial %s}{\partial %s}" % (top, bottom)
