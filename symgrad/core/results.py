"""A model's results as Quantities: its definitions, Jacobians, Hessians and gradients
(through time with ``steps``, by ``core.unroll``)."""

from __future__ import annotations

from collections.abc import Mapping

import sympy as sp

from .chain_rule import ChainRule
from .definitions import parse_step, time_key
from .errors import ShapeError, UnknownNameError
from .forward import Forward
from .matrix_notation import MatrixNotation
from .model_quantity import ModelQuantity
from .quantity import readable
from .tensor import Tensor, as_dim, size
from .unroll import StepChain, Unrolled

_INDEX_LETTERS = "ijklpqrsuvabcdefgh"
GIVEN = ("total", "direct")


def _is_lag(lag) -> bool:
    """A whole number of steps back >= 0, or a symbol (``h[t-k]``)."""
    return (lag >= 0) if isinstance(lag, int) else lag.is_Symbol


class Results(MatrixNotation, ChainRule, Forward):
    """Quantities of a model: ``value``, ``jacobian``, ``state_jacobian``, ``hessian``,
    ``grad``."""

    def quantity(self, name: str, element: sp.Expr, old: tuple, shape: tuple, lhs: tuple,
                  sizes: Mapping | None, reads: set[str], **kwargs) -> ModelQuantity:
        """A result element as a ``ModelQuantity``: indices renamed readably, terms tidied,
        evaluation by the forward pass of what it reads."""
        element, free = readable(self.tidy_terms(element), old, self.index_names(len(old)))
        reads = reads | {str(a.base.label) for a in element.atoms(sp.Indexed)}
        reads |= {s.name for s in element.free_symbols if s.name in self.tensors
                  and not s.is_integer}
        inputs = kwargs.pop("inputs", None) or self.step_inputs(reads)
        tensors = kwargs.pop("tensors", None) or self.tensors
        # evaluate needs only what the printed result reads (the Hessian of
        # x^T A x / 2 + b^T x + c reads A alone); given every input, it computes every
        # tensor of the quantity (a claim may name one the result does not read)
        own = {str(a.base.label) for a in element.atoms(sp.Indexed)} | {
            s.name for s in element.free_symbols if s.name in self.tensors and not s.is_integer}
        need, every = self.needed(own), self.needed(reads)
        full = {n for n in every if n not in self.definitions}

        def prepare(arrays: dict, sizes_: dict) -> dict:
            return self.forward(arrays, sizes_, every if full <= set(arrays) else need)

        cls = kwargs.pop("cls", ModelQuantity)
        q = cls(name, element, free, shape, tensors=tensors, inputs=inputs, lhs=lhs,
                prepare=prepare, sizes=self.parse_sizes(sizes), size_names=self.size_names(),
                model=self, **kwargs)
        q.required = frozenset(t.name for t in inputs if t.name in need)
        return q

    def value(self, name: str, sizes: Mapping | None = None) -> ModelQuantity:
        """The defining equation of a tensor, as a Quantity (evaluate: the forward pass)."""
        t = self.tensor(self.resolve(name))
        if t.name not in self.definitions:
            raise UnknownNameError(f"{t.latex} is an input of {self.name}, not defined by it")
        d = self.definitions[t.name]
        return self.quantity(t.latex, d.expr, d.indices, t.shape, (t, None), sizes,
                              self.reads(t.name), structure=f"definition of {t.latex}")

    def jacobian(self, of: str, wrt: str, sizes: Mapping | None = None) -> ModelQuantity:
        """d of / d wrt in numerator layout (shape of ``of`` + shape of ``wrt``), the other
        inputs held fixed; names as written (``"h[t]"``, ``"h[t-1]"``, ``"W_c"``).

        A state at a step the model does not read (``"h[t-3]"``, or ``"h[t-k]"``) gives the
        total Jacobian over those steps (a product of one-step Jacobians; see
        ``StepChain``) when every state is read at t-1 only.
        """
        absolute = self._absolute(of, wrt, sizes)
        if absolute is not None:
            return absolute
        o = self.tensor(self.resolve(of))
        row = None
        try:
            w = self.tensor(self.resolve(wrt))
        except UnknownNameError:
            row = self.history_row(wrt)
            if row is None:
                chain = self._multi_step(o.name, wrt)
                if chain is None:
                    raise
                return StepChain(self, o.name, chain[0], chain[1], sizes).quantity()
            w = self.tensors[row[0]]
        element, I, J = self.derivative(o.name, w.name)
        den, note = w, ""
        if row is not None:
            element, J = element.xreplace({J[0]: row[1]}), J[1:]
            den = Tensor(f"{w.name}_row{row[1] + 1}", w.shape[1:], time_key(wrt))
            note = f"; {den.latex} is row {row[1] + 1} of {w.latex} ({w.name})"
        frac = r"\frac{\partial %s}{\partial %s}" % (o.latex, den.latex)
        return self.quantity(frac, element, I + J, o.shape + den.shape, (o, den), sizes,
                              {o.name}, structure="immediate: inputs and earlier states "
                              "held fixed" + note, tensors={**self.tensors, den.name: den})

    def _multi_step(self, of: str, wrt: str) -> tuple[str, sp.Expr] | None:
        """``h[t-3]`` (not declared) of a state h: (h, 3), for the total d of / d h[t-3]."""
        step = parse_step(wrt)
        if step is None or step.absolute or not _is_lag(step.lag):
            return None
        base = self.written_name(step.name)
        if base is None or base not in self.states() or of not in self.definitions:
            return None
        if any(lag != 1 for b, lag in self.lags.values() if b in self.definitions):
            return None  # h[t-2] or a history is read directly: no single route back
        return base, sp.Integer(step.lag) if isinstance(step.lag, int) else step.lag

    def _absolute(self, of: str, wrt: str, sizes: Mapping | None) -> ModelQuantity | None:
        """``jacobian("h[3]", "h[0]")``: the total d h[3] / d h[0] over the 3 steps between,
        the relative d h[t] / d h[t-3] at t := 3, printed and evaluated at those steps.
        None when neither name is an absolute step (names the model declares come first)."""
        steps = []
        for text in (of, wrt):
            try:
                self.resolve(text)
                steps.append(None)
            except UnknownNameError:
                steps.append(parse_step(text))
        if not any(s is not None and s.absolute for s in steps):
            return None
        so, sw = (parse_step(text) for text in (of, wrt))
        if so is None or sw is None or not (so.absolute and sw.absolute):
            raise UnknownNameError(f"jacobian({of!r}, {wrt!r}): name two steps of the model's "
                                   f"tensors, both whole numbers (jacobian('h[3]', 'h[0]')) or "
                                   f"both relative to t (jacobian('h[t]', 'h[t-3]'))")
        a, b = so.offset, sw.offset
        if a == b:
            raise ShapeError(f"{so.latex()} and {sw.latex()} are at the same step: ask the "
                             f"Jacobian with respect to an earlier step, e.g. "
                             f"jacobian({so.latex()!r}, {sw.shifted(-1).latex()!r})"
                             if a > 0 else f"{so.latex()} is the initial state: ask a later "
                             f"step with respect to it, e.g. jacobian('{so.name}[1]', "
                             f"{sw.latex()!r})")
        if b > a:
            raise ShapeError(f"{so.latex()} comes before {sw.latex()} and does not depend on "
                             f"it (the Jacobian is zero); for the other direction ask "
                             f"jacobian({sw.latex()!r}, {so.latex()!r})")
        name = self.written_name(so.name)
        chain = None if name is None else self._multi_step(name, f"{sw.name}[t-{a - b}]")
        if chain is None:
            states = ", ".join(self.tensors[s].latex for s in self.states()) or "none"
            raise UnknownNameError(f"jacobian({of!r}, {wrt!r}): absolute steps take a tensor "
                                   f"the model defines with respect to an earlier state, "
                                   f"every state read at t-1 only (states of {self.name}: "
                                   f"{states})")
        return StepChain(self, name, chain[0], chain[1], sizes, at=a).quantity()

    def state_jacobian(self, sizes: Mapping | None = None, steps: int | sp.Expr | None = None
                       ) -> ModelQuantity:
        """d s[t] / d s[t-1] for the model's one state s; with ``steps=k`` the total
        d s[t] / d s[t-k] over k steps (a product of one-step Jacobians)."""
        states = self.states()
        pairs = [(s, n) for s, names in states.items() for n in names if self.lags[n][1] == 1]
        if len(pairs) != 1:
            raise UnknownNameError(f"{self.name} has {len(pairs)} states read at t-1; use "
                                   f"jacobian(of, wrt) with one of "
                                   f"{', '.join(self.tensors[n].latex for _, n in pairs)}")
        if steps is not None:
            return StepChain(self, pairs[0][0], pairs[0][0], steps, sizes).quantity()
        return self.jacobian(*pairs[0], sizes=sizes)

    def hessian(self, of: str, wrt: str, sizes: Mapping | None = None) -> ModelQuantity:
        """d^2 of / d wrt^2 (shape of ``of`` + shape of ``wrt`` twice), e.g. A + A^T for
        f = x^T A x."""
        return self.jacobian(of, wrt, sizes=sizes).jacobian(wrt, hessian=True)

    def grad(self, wrt: str, steps: int | sp.Expr | None = None, given: str = "total",
             of: str | None = None, sizes: Mapping | None = None) -> ModelQuantity:
        """dl/d wrt in gradient layout (the shape of ``wrt``); ``grad(loss, wrt)`` names
        the loss first.

        Without ``steps``: one evaluation, given ``g = dl/d of`` (``of`` defaults to the
        last definition). With ``steps=K`` (a recurrent model, ``wrt`` a parameter): over K
        steps from zero initial states; ``given="total"`` takes delta[t] = dl/ds[t] for
        every state s (arrays (K, ...) named ``delta``, or ``delta_<s>`` for several
        states) and sums delta[t] against the immediate ds[t]/d wrt; ``given="direct"``
        takes the direct partials g[t] (``g`` / ``g_<s>``) and back-propagates them.
        """
        if isinstance(steps, str):  # grad(of, wrt): the loss first, as in d of / d wrt
            of, wrt, steps = wrt, steps, None
        w = self.tensor(self.resolve(wrt))
        if given not in GIVEN:
            raise UnknownNameError(f"given must be 'total' (delta[t] = dl/ds[t] known) or "
                                   f"'direct' (only the direct partials g[t]), not {given!r}")
        outs = self._outputs(of, steps is not None)
        if steps is None:
            (o,) = outs
            if not o.shape:  # a scalar loss: its gradient is its Jacobian, no upstream g
                element, _, J = self.derivative(o.name, w.name)
                return self.quantity(r"\frac{\partial %s}{\partial %s}" % (o.latex, w.latex),
                                      element, J, w.shape, (o, w), sizes, {o.name},
                                      layout="gradient",
                                      structure=f"the gradient of the scalar {o.latex}")
            g = Tensor(self.fresh_name("g"), o.shape,
                       r"\frac{\partial \ell}{\partial %s}" % o.latex, o.style)
            element, J = self.gradient(o.name, w.name, g)
            inputs = (*self.step_inputs({o.name}), g)
            return self.quantity(r"\frac{\partial \ell}{\partial %s}" % w.latex, element, J,
                                  w.shape, (r"\ell", w), sizes, {o.name}, layout="gradient",
                                  inputs=inputs, tensors={**self.tensors, g.name: g},
                                  structure=f"given {g.latex}")
        silent: set[str] = set()
        if of is not None:
            others = [self.tensors[s] for s in self.states() if s != outs[0].name]
            if others and given == "total":
                names = ", ".join(t.latex for t in others)
                raise ShapeError(f"the gradient also flows through {names}, whose total "
                                 f"gradients are not given: use given='direct' (g[t] of "
                                 f"{outs[0].latex} only) or leave out of= (delta[t] of "
                                 f"every state)")
            outs += others
            silent = {t.name for t in others}
        return Unrolled(self, w, outs, steps, given, sizes, silent).quantity()

    def _outputs(self, of: str | None, through_time: bool) -> list[Tensor]:
        if of is not None:
            return [self.tensor(self.resolve(of))]
        if through_time and self.states():
            return [self.tensors[s] for s in self.states()]
        if not self.definitions:
            raise UnknownNameError(f"{self.name} defines nothing to differentiate")
        return [list(self.definitions.values())[-1].tensor]

    def index_names(self, count: int) -> list[str]:
        """``count`` index letters that no tensor or size of the model uses."""
        taken = set(self.tensors) | {s.name for t in self.tensors.values() for d in t.shape
                                     for s in d.free_symbols} | {"t"}
        pool = [c for c in _INDEX_LETTERS if c not in taken]
        pool += [f"i_{k}" for k in range(count)]
        return pool[:count]

    def parse_sizes(self, sizes: Mapping | None) -> dict:
        """Sizes given by name or symbol, as SymPy sizes."""
        out = {}
        for k, v in (sizes or {}).items():
            out[size(k) if isinstance(k, str) else k] = as_dim(v, f"size {k}")
        return out

    def step_inputs(self, names: set[str]) -> tuple[Tensor, ...]:
        """The inputs (tensors not defined) that ``names`` read, recursively."""
        need = self.needed(names)
        return tuple(t for n, t in self.tensors.items()
                     if n not in self.definitions and n in need)
