r"""Derive a Jacobian or gradient of any model written in LaTeX (``symgrad derive``), and
check a claim against it (``symgrad check --model``).

    from symgrad.problems.derive import derivation
    d = derivation(read_model_file("gru.tex"), of="h[t]", wrt="h[t-1]")
    d.quantity.latex("matrix"); d.steps(index_base=1)
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from ..core.errors import SymgradError, UnknownNameError
from ..core.model import Model
from ..core.quantity import Quantity, readable
from .modelfile import ModelSource

__all__ = ["Derivation", "derivation"]


@dataclass
class Derivation:
    """A model, what is differentiated, and the resulting Quantity."""

    model: Model
    of: str
    wrt: str
    quantity: Quantity
    kind: str  # "jacobian" or "gradient"
    through_time: bool = False

    def result(self, form: str = "index", index_base: int = 1) -> str:
        if form == "matrix" and self.quantity.matrix is None:
            raise SymgradError(f"{self.quantity.name} has no matrix form; use --form index")
        return self.quantity.latex(form, index_base=index_base)

    def steps(self, form: str = "index", index_base: int = 1) -> list[str]:
        """The derivation: the model's definitions, the local derivative of every link
        between ``of`` and ``wrt``, the chain rule, the result's shape and the result."""
        m = self.model
        lines = [r"\text{model:}"]
        lines += [src for src in m.source.values()] or [m.latex(index_base)]
        if not self.through_time:
            links = self._links()
            if links:
                lines.append(r"\text{local derivatives (other inputs held fixed):}")
                for of, dep in links:
                    q = _partial(m, of, dep)
                    lines.append(q.latex(self._form(q, form), index_base=index_base))
                lines.append(r"\text{chain rule: } " + self._chain())
        lines.append(self.quantity.shape_latex())
        lines.append(self.result(self._form(self.quantity, form), index_base))
        return lines

    @staticmethod
    def _form(q: Quantity, form: str) -> str:
        return form if form == "index" or q.matrix is not None else "index"

    def _names(self) -> tuple[str, str]:
        return self.model.resolve(self.of), self.model.resolve(self.wrt)

    def _links(self) -> list[tuple[str, str]]:
        """(definition, what it reads) on a path from ``of`` down to ``wrt``."""
        m = self.model
        try:
            of, wrt = self._names()
        except UnknownNameError:
            return []
        out, todo, seen = [], [of], set()
        while todo:
            name = todo.pop(0)
            if name in seen or name not in m.definitions:
                continue
            seen.add(name)
            for dep in sorted(m.reads(name)):
                if m.depends(dep, wrt):
                    out.append((name, dep))
                    todo.append(dep)
        return out

    def _chain(self) -> str:
        m = self.model
        of, wrt = self._names()

        def frac(a: str, b: str, d: str = r"\partial") -> str:
            return r"\frac{%s %s}{%s %s}" % (d, m.tensors[a].latex, d, m.tensors[b].latex)

        total = r"\mathrm{d}"
        terms = []
        for dep in sorted(m.reads(of)):
            if not m.depends(dep, wrt):
                continue
            terms.append(frac(of, dep) if dep == wrt
                         else frac(of, dep) + " " + frac(dep, wrt, total))
        return frac(of, wrt, total) + " = " + (" + ".join(terms) or "0")


def _partial(m: Model, of: str, dep: str) -> Quantity:
    """d of / d dep with every other tensor held fixed (one link of the chain rule)."""
    a, b = m.tensors[of], m.tensors[dep]
    I = m.fresh_indices(a.rank, "i")
    K = m.fresh_indices(b.rank, "j")
    element, free = readable(m.partial(of, dep, I, K), I + K, _index_names(m, len(I + K)))
    return Quantity(r"\frac{\partial %s}{\partial %s}" % (a.latex, b.latex), element, free,
                    a.shape + b.shape, tensors=m.tensors, inputs=(), lhs=(a, b))


def _index_names(m: Model, count: int) -> list[str]:
    taken = set(m.tensors) | {s.name for t in m.tensors.values() for d in t.shape
                              for s in d.free_symbols} | {"t"}
    pool = [c for c in "ijklpqrsuv" if c not in taken]
    return (pool + [f"i_{k}" for k in range(count)])[:count]


def derivation(src: ModelSource | Model, of: str | None, wrt: str,
               time_steps: int | str | None = None, given: str = "total") -> Derivation:
    """d of / d wrt of a model: a Jacobian in numerator layout, or the gradient of a scalar
    ``of`` (default: the model's last definition) in the shape of ``wrt``; with
    ``time_steps`` the gradient of a recurrent model through that many steps."""
    model = src if isinstance(src, Model) else src.build()
    if of is None:
        if not model.definitions:
            raise SymgradError(f"{model.name} defines nothing to differentiate")
        of = model.tensors[list(model.definitions)[-1]].latex
    name = model.resolve(of)
    model.resolve(wrt)
    if time_steps is not None:
        steps = time_steps
        if isinstance(steps, str):
            steps = int(steps) if steps.isdigit() else sp.Symbol(steps, integer=True,
                                                                  positive=True)
        if isinstance(steps, int) and steps < 1:
            raise SymgradError(f"--time-steps must be at least 1, not {steps}")
        q = model.grad(wrt, steps=steps, given=given, of=of if model.tensors[name].shape == ()
                       else None)
        return Derivation(model, of, wrt, q, "gradient", through_time=True)
    if not model.tensors[name].shape and name in model.definitions:
        return Derivation(model, of, wrt, model.grad(wrt, of=of), "gradient")
    return Derivation(model, of, wrt, model.jacobian(of, wrt), "jacobian")
