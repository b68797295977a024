"""The gated RNN of hw2 1.2.1, its Jacobians and back-propagation through time.

One step is a graph of named definitions (0-based indices, derived once with symbolic
sizes n, m and then specialised):
    z[i] = sum_q W_c[i,q] x[q] + sum_r W_h[i,r] h_prev[r],   c[i] = sigma(z[i]),
    u[i] = sum_q W_x[i,q] x[q],   h[i] = c[i] h_prev[i] + (1 - c[i]) u[i].
The chain rule of the core writes every result in these intermediates (c[t], W_x x[t]).
Gradients over a sequence of K steps sum the immediate terms of each step over time,
read from time-stacked tensors (row t - 1 of an array is time t; h[0] = 0); given only
the direct partials g[t], delta[t] comes from the state Jacobians' closed form. (The
sequence numbers agree with core/unroll's pass over this model, ``self.model.grad``, to
rounding; this vectorised pass stays because hw2 1.2.1.d's chaotic "large" regime prints
numbers that depend on its rounding: see tests/test_gated_rnn.py.)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache, cached_property

import numpy as np
import sympy as sp

from ..core.errors import ShapeError, UnknownNameError
from ..core.matrix import to_matrix
from ..core.model import Model
from ..core.ops import Hadamard, sigmoid
from ..core.printing import IndexPrinter, TimePrinter, shift_base, to_cases
from ..core.quantity import Quantity, readable
from ..core.tensor import Tensor, as_dim, as_expr, index, size
from ..core.unroll import StepChain, run_sequence

Size = int | sp.Expr

PARAMS = ("W_x", "W_c", "W_h")
GIVEN = ("total", "direct")
_STEP_INPUTS = ("x", "h_prev", "W_c", "W_h", "W_x")
_FAMILY = {"x", "h_prev", "h", "W_c", "W_h", "W_x", "delta", "g"}
_TIMED = {"x": "x[{t}]", "c": "c[{t}]", "u": "W_x x[{t}]", "h_prev": "h[{t}-1]",
          "h": "h[{t}]", "z": "z[{t}]", "delta": r"\delta[{t}]", "g": "g[{t}]"}
_LATEX = {name: tpl.format(t="t") for name, tpl in _TIMED.items()}


@cache
def _symbolic() -> tuple[Model, dict[str, sp.Symbol]]:
    """The one-step model with symbolic sizes n, m, from its two equations in matrix
    notation: c[t] = sigma(W_c x[t] + W_h h[t-1]), h[t] = c[t] ⊙ h[t-1] + (1 - c[t]) ⊙ W_x x[t]
    (built once per process)."""
    n, m, K = size("n"), size("m"), size("K")
    model = Model("GatedRNN")
    model.input("x", (n,), _LATEX["x"])
    model.state("h", (m,), latex=_LATEX["h_prev"])
    for name, shape in (("W_c", (m, n)), ("W_h", (m, m)), ("W_x", (m, n))):
        model.param(name, shape)
    x, h_prev, W_c, W_h, W_x = model.symbols("x", "h_prev", "W_c", "W_h", "W_x")
    model.define("z", W_c * x + W_h * h_prev, latex=_LATEX["z"])
    c = model.define("c", sigmoid(model.sym("z")), latex=_LATEX["c"])
    u = model.define("u", W_x * x, latex=_LATEX["u"])
    c, u = model.sym(c.name), model.sym(u.name)
    model.define("h", Hadamard(c, h_prev) + Hadamard(1 - c, u), latex=_LATEX["h"])
    return model, {"n": n, "m": m, "K": K}


def _frac(top: str, bottom: str) -> str:
    return r"\frac{\partial " + top + r"}{\partial " + bottom + "}"


class RNNQuantity(Quantity):
    """A Quantity of the gated RNN: printed in the homework's time notation.

    Arrays of the RNN that a quantity does not read are accepted and ignored; a
    sequence quantity (``timed``) prints stacked tensors as ``c[t]_i``, and may carry
    a matrix form and the recursion its ``delta`` obeys.
    """

    def __init__(self, *args, timed: Mapping[str, str] | None = None,
                 matrix_form: sp.Expr | None = None, time: sp.Symbol | None = None,
                 recursion: dict[str, str] | None = None, time_index: bool = False,
                 matrix_lhs: str = "", step: Quantity | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.step = step  # stacked over time: the one-step quantity each entry t is
        self.time_index = time_index  # the first index is the (stacked) time step
        self.matrix_lhs = matrix_lhs
        self.timed = dict(timed or {})
        self.time = time
        self.recursion = dict(recursion or {})
        self._matrix_form = matrix_form

    @cached_property
    def matrix(self) -> sp.Expr | None:
        """The matrix-notation form (diag, Hadamard, transposes, sum over time), or None."""
        if self.timed:
            if self._matrix_form is None:
                return None
            return self._matrix_form.xreplace(self._subs)
        return to_matrix(self.element, self.indices)

    def _printer(self, shift: int = 0) -> TimePrinter:
        column = self.indices[-1] if self.indices else None
        return TimePrinter(self.tensors, self.timed, shift, column)

    def latex(self, form: str = "index", index_base: int = 1) -> str:
        """``lhs = rhs`` in index form (1-based by default) or matrix form; for a
        gradient from direct partials, followed by the recursion of delta[t]."""
        self.check_latex_args(form, index_base)
        if form == "matrix":
            if self.matrix is None:
                raise ShapeError(f"{self.name} has no matrix form; use form='index'")
            keep = () if self.time is None else (self.time,)
            rhs = self._printer().doprint(shift_base(self.matrix, (), index_base, keep))
            text = f"{self.matrix_lhs or self.lhs_latex(indexed=False)} = {rhs}"
        else:
            element, indices = self.element, self.indices
            if self.time is not None and index_base == 0:
                element = _time_from_one(element, self.time)
            if self.time_index and index_base == 0:  # time prints 1..K at either base
                t, indices = indices[0], indices[1:]
                element = element.xreplace({t: t - 1})
            element = shift_base(element, indices, index_base)
            printer = self._printer(1 - index_base)
            split = to_cases(element)
            if split is None:
                rhs = printer.doprint(element)
            else:
                rhs = (r"\begin{cases} " + printer.doprint(split[0]) + r" & \text{if } "
                       + printer._print_condition(split[1])
                       + r" \\ 0 & \text{otherwise} \end{cases}")
            text = f"{self.lhs_latex(index_base)} = {rhs}"
        if self.recursion:
            key = form if form == "matrix" else f"index{index_base}"
            text += r", \quad \text{where } " + self.recursion[key]
        return text

    def check(self, latex: str, index_base: int = 1):
        """Verdict on a claim; a quantity stacked over time (dh[t]/dh[t-1] for every t) is
        claimed as the formula of one step t, so the claim is judged as that step's."""
        if self.step is not None:
            return self.step.check(latex, index_base=index_base)
        return super().check(latex, index_base=index_base)

    def evaluate(self, arrays: Mapping[str, np.ndarray] | None = None, /, *,
                 form: str = "index", **kwargs) -> np.ndarray:
        """The numeric array for concrete inputs, keyed x, h_prev, ... or as written
        (``"x[t]"``, ``"h[t-1]"``); other arrays of the RNN are ignored."""
        written = {re.sub(r"\s+", "", v): k for k, v in _LATEX.items()}
        arrays = {written.get(re.sub(r"\s+", "", k), k): v for k, v in dict(arrays or {}).items()}
        keep = {k: v for k, v in arrays.items() if k in self.inputs or k not in _FAMILY}
        kwargs = {k: v for k, v in kwargs.items() if k in self.inputs or k not in _FAMILY}
        return super().evaluate(keep, form=form, **kwargs)


def _time_from_one(element: sp.Expr, t: sp.Symbol) -> sp.Expr:
    """Rewrite the sum over 0-based time t as a sum over t = 1..K (for 0-based printing)."""
    def shift(s):
        ((_, lo, hi),) = s.limits
        return sp.Sum(s.function.xreplace({t: t - 1}), (t, lo + 1, hi + 1))
    return element.replace(lambda e: isinstance(e, sp.Sum) and e.limits[0][0] == t, shift)


class GatedRNN:
    """c[t] = sigma(W_c x[t] + W_h h[t-1]), h[t] = c[t] * h[t-1] + (1 - c[t]) * W_x x[t].

    ``input_size`` n and ``hidden_size`` m are positive ints or SymPy symbols. Every
    result is a Quantity: derived once for symbolic sizes, then specialised.
    """

    def __init__(self, input_size: Size, hidden_size: Size) -> None:
        self.model, self._syms = _symbolic()
        n = as_dim(input_size, "input_size")
        m = as_dim(hidden_size, "hidden_size")
        self.input_size = int(n) if n.is_Integer else n
        self.hidden_size = int(m) if m.is_Integer else m
        self.sizes: dict = {self._syms["n"]: n, self._syms["m"]: m}

    # shapes -------------------------------------------------------------------
    def _dims(self, shape) -> tuple:
        subs = {k: as_expr(v) for k, v in self.sizes.items()}
        dims = [as_expr(d).xreplace(subs) for d in shape]
        return tuple(int(d) if d.is_Integer else d for d in dims)

    def _known(self) -> list[str]:
        return [*self.model.tensors, "delta", "g"]

    def shape(self, name: str) -> tuple:
        """Shape of a named quantity of one step: x, h, h_prev, z, c, u, W_c, W_h, W_x, delta,
        g (ints, or symbols for symbolic sizes)."""
        if name in ("delta", "g"):
            return self._dims(self.model.tensors["h"].shape)
        if name not in self.model.tensors:
            raise UnknownNameError(f"the gated RNN has no quantity {name!r}; known: "
                                   f"{', '.join(self._known())}")
        return self._dims(self.model.tensors[name].shape)

    # one step -----------------------------------------------------------------
    def _free_sizes(self, *extra: sp.Symbol) -> tuple:
        free: set = set(extra)
        for v in self.sizes.values():
            free |= as_expr(v).free_symbols
        return tuple(sorted(free, key=str))

    def _step(self, name: str, element: sp.Expr, old: tuple, new: list[str], shape: tuple,
              lhs: tuple, structure: str) -> RNNQuantity:
        element, free = readable(element, old, new)
        inputs = tuple(self.model.tensors[k] for k in _STEP_INPUTS)
        return RNNQuantity(name, element, free, shape, tensors=self.model.tensors,
                           inputs=inputs, lhs=lhs, prepare=self.model.forward,
                           structure=structure, sizes=self.sizes,
                           size_names=self._free_sizes())

    def value(self, name: str) -> RNNQuantity:
        """The defining equation of one intermediate (z, c, u or h) as a Quantity."""
        if name not in self.model.definitions:
            raise UnknownNameError(f"the gated RNN defines no {name!r}; defined: "
                                   f"{', '.join(self.model.definitions)}")
        d = self.model.definitions[name]
        return self._step(d.tensor.latex, d.expr, d.indices, ["i"], d.tensor.shape,
                          (d.tensor, None), f"definition of {d.tensor.latex}")

    def state_jacobian(self, steps: Size | None = None) -> RNNQuantity:
        """dh[t]/dh[t-1] in numerator layout, (m, m): written in c[t] and W_x x[t].

        With ``steps=k``: the total dh[t]/dh[t-k], a product of k one-step Jacobians;
        evaluate(x=(L, n), W_c, W_h, W_x, h_init=h[0] (zero if omitted)) gives
        dh[L]/dh[L-k] for L >= k.
        """
        if steps is not None:
            return StepChain(self.model, "h", "h", steps, self.sizes).quantity()
        element, I, J = self.model.derivative("h", "h_prev")
        h, h_prev = self.model.tensors["h"], self.model.tensors["h_prev"]
        return self._step(_frac("h[t]", "h[t-1]"), element, I + J, ["i", "j"],
                          h.shape + h_prev.shape, (h, h_prev),
                          "the gate c[t] on the diagonal plus the gate's sensitivity "
                          "c(1 - c) times (h[t-1] - W_x x[t]) along the rows of W_h")

    def jacobian(self, wrt: str, of_wrt: str | None = None):
        """Immediate dh[t]/d wrt (h[t-1] held fixed) in numerator layout, e.g. (m, m, n)
        for W_x; ``wrt`` is W_x, W_c, W_h, x or h_prev.

        With two names, ``jacobian(of, wrt)`` in the time notation of ``Model``:
        ``jacobian("h[t]", "h[t-1]")``, ``jacobian("c[t]", "h[t-1]")``, and the total
        ``jacobian("h[t]", "h[t-3]")`` over three steps (a product of one-step Jacobians).
        """
        if of_wrt is not None:
            of, wrt = wrt, of_wrt
            try:
                of_name, wrt_name = self.model.resolve(of), self.model.resolve(wrt)
            except UnknownNameError:
                return self.model.jacobian(of, wrt, sizes=self.sizes)
            if of_name == "h" and wrt_name in (*PARAMS, "x", "h_prev"):
                return self.jacobian(wrt_name)
            return self.model.jacobian(of, wrt, sizes=self.sizes)
        allowed = (*PARAMS, "x", "h_prev")
        if wrt not in allowed:
            raise UnknownNameError(f"jacobian() differentiates h[t] with respect to one of "
                                   f"{', '.join(allowed)}, not {wrt!r}")
        if wrt == "h_prev":
            return self.state_jacobian()
        element, I, J = self.model.derivative("h", wrt)
        h, w = self.model.tensors["h"], self.model.tensors[wrt]
        new = ["i", "j", "k"][: len(I + J)]
        return self._step(_frac("h[t]", w.latex), element, I + J, new, h.shape + w.shape,
                          (h, w), "immediate: h[t-1] held fixed")

    # sequences ----------------------------------------------------------------
    def _stacked(self) -> dict[str, Tensor]:
        """Time-stacked tensors (K, size): row t - 1 holds the tensor at time t."""
        K, n, m = self._syms["K"], self._syms["n"], self._syms["m"]
        return {name: Tensor(name, (K, n if name == "x" else m), latex)
                for name, latex in _LATEX.items()}

    def _lift(self, element: sp.Expr, t: sp.Symbol) -> sp.Expr:
        """The same formula at time t: every per-step tensor T[i] read as T[t, i]."""
        stacked = self._stacked()
        return element.replace(
            lambda e: isinstance(e, sp.Indexed) and str(e.base.label) in stacked,
            lambda e: stacked[str(e.base.label)][(t, *e.indices)])

    def _sequence(self, name: str, element: sp.Expr, indices: tuple, shape: tuple, lhs: tuple,
                  steps: Size, given: str, **kwargs) -> RNNQuantity:
        try:
            K = as_dim(steps, "steps")
        except ShapeError:
            raise ShapeError(f"steps must be the number of time steps K: a positive integer "
                             f"or a SymPy symbol, got {steps!r}") from None
        stacked = self._stacked()
        params = tuple(self.model.tensors[k] for k in ("W_c", "W_h", "W_x"))
        upstream = {"total": (stacked["delta"],), "direct": (stacked["g"],)}.get(given, ())
        return RNNQuantity(
            name, element, indices, shape, tensors={**self.model.tensors, **stacked},
            inputs=(stacked["x"], *params, *upstream), lhs=lhs,
            prepare=lambda arrays, sizes: self._unroll(arrays, given), timed=_TIMED,
            sizes={**self.sizes, self._syms["K"]: K},
            size_names=self._free_sizes(self._syms["K"]), **kwargs)

    def state_jacobians(self, steps: Size) -> RNNQuantity:
        """dh[t]/dh[t-1] for t = 1..K along the sequence from h[0] = 0, shape (K, m, m).

        evaluate(x=(K, n), W_c, W_h, W_x): every step's state Jacobian in one call.
        """
        step = self.state_jacobian()
        t = index("t")
        lhs = r"\frac{\partial h[t]_{i}}{\partial h[t-1]_{j}}"
        return self._sequence(_frac("h[t]", "h[t-1]"), self._lift(step.element, t),
                              (t, *step.indices), (self._syms["K"], *step._shape),
                              (lhs, None), steps, "none", matrix_form=step.matrix,
                              time_index=True, matrix_lhs=_frac("h[t]", "h[t-1]"),
                              structure=step.structure, step=step)

    def grad(self, wrt: str, steps: Size, given: str = "total") -> RNNQuantity:
        """dl/d wrt over K = ``steps`` steps, in gradient layout (the shape of ``wrt``).

        ``given="total"``: delta[t] = dl/dh[t] are the total gradients and the result is
        the sum over t of delta[t] contracted with the immediate dh[t]/d wrt.
        ``given="direct"``: g[t] are the direct partials and delta[t] follows from
        delta[K] = g[K], delta[t] = g[t] + (dh[t+1]/dh[t])^T delta[t+1].
        """
        if wrt not in PARAMS:
            raise UnknownNameError(f"grad() is taken with respect to one of "
                                   f"{', '.join(PARAMS)}, not {wrt!r}")
        if given not in GIVEN:
            raise UnknownNameError(f"given must be 'total' (delta[t] = dl/dh[t] known) or "
                                   f"'direct' (only the direct partials g[t]), not {given!r}")
        delta = Tensor("delta", (self._syms["m"],), _LATEX["delta"])
        step, J = self.model.gradient("h", wrt, delta)
        step, free = readable(step, J, ["i", "j"])
        t = index("t")
        element = sp.Sum(self._lift(step, t), (t, 0, self._syms["K"] - 1))
        step_matrix = to_matrix(step, free)
        matrix_form = None if step_matrix is None else sp.Sum(step_matrix,
                                                              (t, 1, self._syms["K"]))
        w = self.model.tensors[wrt]
        note = ("sum over t of the immediate terms, each contracted with delta[t]"
                if given == "total" else
                "back-propagation through time: the gated recurrence run backwards")
        recursion = self._recursion(steps) if given == "direct" else None
        return self._sequence(_frac(r"\ell", w.latex), element, free, w.shape, (r"\ell", w),
                              steps, given, layout="gradient", structure=note,
                              matrix_form=matrix_form, time=t, recursion=recursion)

    def backward_step(self) -> RNNQuantity:
        """(dh[t]/dh[t-1])^T delta[t]: what delta[t] sends back to h[t-1], shape (m,)."""
        delta = Tensor("delta", (self._syms["m"],), _LATEX["delta"])
        element, J = self.model.gradient("h", "h_prev", delta)
        element, free = readable(element, J, ["j"])
        name = r"\left(" + _frac("h[t]", "h[t-1]") + r"\right)^{\top} \delta[t]"
        inputs = (*[self.model.tensors[k] for k in _STEP_INPUTS], delta)
        return RNNQuantity(name, element, free, delta.shape, lhs=(name, None),
                           tensors={**self.model.tensors, "delta": delta}, inputs=inputs,
                           prepare=self.model.forward, sizes=self.sizes,
                           size_names=self._free_sizes(),
                           structure="the state Jacobian's transpose applied to delta[t]")

    def _recursion(self, steps: Size) -> dict[str, str]:
        """delta[t] = g[t] + (dh[t+1]/dh[t])^T delta[t+1], printed from the closed form."""
        back = self.backward_step()
        ahead = {"c": "c[t+1]", "u": "W_x x[t+1]", "h_prev": "h[t]", "delta": r"\delta[t+1]"}
        tensors = {**back.tensors, **{name: Tensor(name, back.tensors[name].shape, latex)
                                      for name, latex in ahead.items()}}
        K = sp.latex(as_expr(steps))
        (j,) = back.indices
        jj = sp.latex(j)
        out = {}
        for base in (0, 1):
            rhs = IndexPrinter(tensors).doprint(shift_base(back.element, back.indices, base))
            out[f"index{base}"] = (rf"\delta[{K}]_{{{jj}}} = g[{K}]_{{{jj}}}, \quad "
                                   rf"\delta[t]_{{{jj}}} = g[t]_{{{jj}}} + {rhs} \ (t < {K})")
        rhs = TimePrinter(tensors, {}).doprint(to_matrix(back.element, back.indices))
        out["matrix"] = rf"\delta[{K}] = g[{K}], \quad \delta[t] = g[t] + {rhs} \ (t < {K})"
        return out

    def _unroll(self, arrays: dict, given: str) -> dict:
        """The sequence pass from h[0] = 0 by core's one back-propagation through time
        (core/unroll over this layer's Model): the forward pass over t, and for ``direct``
        the total gradients delta[t] = g[t] + (dh[t+1]/dh[t])^T delta[t+1]."""
        x, W_h = (np.asarray(arrays[k], dtype=float) for k in ("x", "W_h"))
        K, m = x.shape[0], W_h.shape[0]
        sizes = dict(zip((self._syms[k] for k in "nmK"), (x.shape[1], m, K), strict=True))
        return run_sequence(self.model, ["h"], arrays, sizes, K,
                            "direct" if given == "direct" else "total")

    def __repr__(self) -> str:
        return f"GatedRNN(input_size={self.input_size}, hidden_size={self.hidden_size})"
