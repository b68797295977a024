"""Back-propagation through time for a user-defined Model: gradients over K steps
(``Unrolled``), total Jacobians over k steps (``StepChain``) and the one numeric sequence
pass (``Sequence``) every layer's sequence quantities use.

``model`` is a ``core.model.Model``; it is annotated with its base ``Graph`` so that this
module does not import the model (``Model`` is built on these classes, not the reverse).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cached_property

import numpy as np
import sympy as sp

from .definitions import Graph, at_step, map_steps, parse_step
from .errors import ShapeError, UnknownNameError
from .evaluate import evaluate_element
from .matrix import to_matrix
from .model_quantity import ModelQuantity, dims_of
from .quantity import readable
from .tensor import Tensor, as_dim, as_expr, index, size


def _template(latex: str) -> str:
    """``c[t]`` -> ``c[{t}]`` (a format template), other braces escaped."""
    text = latex.replace("{", "{{").replace("}", "}}")
    if "[t" not in text:
        return text + "[{t}]"
    return map_steps(text, lambda d: "{t}" + (f"{d:+d}" if d else ""))


def _unused(model: Graph, head: str, sub: str) -> str:
    r"""``g[t]`` (``head`` + ``sub``), or ``\hat{g}[t]`` where the model has its own g[t]."""
    taken = {re.sub(r"\s+", "", t.latex) for t in model.tensors.values()}
    for h in (head, rf"\hat{{{head}}}", rf"\tilde{{{head}}}"):
        if re.sub(r"\s+", "", h + sub + "[t]") not in taken:
            return h + sub + "[t]"
    return rf"\bar{{{head}}}{sub}[t]"


class Unrolled:
    """A gradient over K steps of a recurrent model (back-propagation through time)."""

    def __init__(self, model: Graph, wrt: Tensor, outs: list[Tensor], steps, given: str,
                 sizes: Mapping | None, silent: set[str] = frozenset()) -> None:
        """``silent``: outputs (states) whose direct partials are zero; only their total
        gradients enter, back-propagated from the others'."""
        if model.kinds.get(wrt.name) != "param":
            params = [n for n, k in model.kinds.items() if k == "param"]
            raise UnknownNameError(f"grad(..., steps=...) is taken with respect to a "
                                   f"parameter shared by every step: {', '.join(params)}, "
                                   f"not {wrt.name!r}")
        try:
            self.steps = as_dim(steps, "steps")
        except ShapeError:
            raise ShapeError(f"steps must be the number of time steps K: a positive integer "
                             f"or a SymPy symbol, got {steps!r}") from None
        self.model, self.wrt, self.outs, self.given = model, wrt, outs, given
        self.sizes, self.silent = sizes, set(silent)
        used = {s.name for t in model.tensors.values() for d in t.shape
                for s in d.free_symbols} | set(model.tensors)
        self.K = size(next(n for n in ("K", "T", "S", "N", "K_t") if n not in used))
        single = len([o for o in outs if o.name not in self.silent]) == 1
        self.upstream: dict[str, tuple[Tensor, Tensor]] = {}
        for o in outs:
            single_ = single and o.name not in self.silent
            sub = "" if single_ else "_" + o.name
            lat = "" if single_ else "_{" + o.latex.replace("[t]", "") + "}"
            d = Tensor(model.fresh_name("delta" + sub), o.shape,
                       _unused(model, r"\delta", lat))
            g = Tensor(model.fresh_name("g" + sub), o.shape, _unused(model, "g", lat))
            self.upstream[o.name] = (d, g)
        self.timed = [n for n, k in model.kinds.items() if k != "param"]

    def _stack(self, t: Tensor) -> Tensor:
        return Tensor(t.name, (self.K, *t.shape), t.latex, t.style)

    def quantity(self) -> ModelQuantity:
        m, t = self.model, index("t")
        step, J0 = sp.Integer(0), None
        for o in self.outs:
            d, _ = self.upstream[o.name]
            e, J = m.gradient(o.name, self.wrt.name, d)
            if J0 is None:
                J0 = J
            step += e.xreplace(dict(zip(J, J0)))
        step, free = readable(step, J0, m.index_names(len(J0)))
        stacked = {n: self._stack(m.tensors[n]) for n in self.timed}
        stacked.update({d.name: self._stack(d) for d, _ in self.upstream.values()})
        lifted = step.replace(
            lambda e: isinstance(e, sp.Indexed) and str(e.base.label) in stacked,
            lambda e: stacked[str(e.base.label)][(t, *e.indices)])
        scalars = {sp.Symbol(n): s[t] for n, s in stacked.items() if s.rank == 1}
        lifted = lifted.xreplace(scalars)  # a scalar at each step (a loss l[t])
        element = sp.Sum(lifted, (t, 0, self.K - 1))
        step_matrix = to_matrix(step, free)
        matrix_form = None if step_matrix is None else sp.Sum(step_matrix, (t, 1, self.K))
        timed = {n: _template(s.latex) for n, s in stacked.items()}
        upstream = [d if self.given == "total" else g for o, (d, g) in self.upstream.items()
                    if self.given == "total" or o not in self.silent]
        params = [m.tensors[n] for n, k in m.kinds.items() if k == "param"]
        inputs = [stacked[n] for n, k in m.kinds.items() if k == "input"
                  and n not in m.lags] + params + [self._stack(u) for u in upstream]
        tensors = {**m.tensors, **stacked}
        tensors.update({g.name: self._stack(g) for _, g in self.upstream.values()})
        note = ("sum over t of the immediate terms, each contracted with delta[t]"
                if self.given == "total" else "back-propagation through time from g[t]")
        rec = ""
        if self.given == "direct":
            parts = [rf"{d.latex} = \frac{{\partial \ell}}{{\partial {o.latex}}}"
                     for o in self.outs for d in [self.upstream[o.name][0]]]
            rec = (", ".join(parts) + r" \text{ in total, back-propagated from } "
                   + ", ".join(self.upstream[o.name][1].latex for o in self.outs
                               if o.name not in self.silent))
        return ModelQuantity(
            r"\frac{\partial \ell}{\partial %s}" % self.wrt.latex, element, free,
            self.wrt.shape, tensors=tensors, inputs=inputs, lhs=(r"\ell", self.wrt),
            prepare=self._unroll, layout="gradient", structure=note,
            sizes={**m.parse_sizes(self.sizes), self.K: self.steps},
            size_names=m.size_names(self.K), model=m, timed=timed, time=t,
            matrix_form=matrix_form, recursion=rec)

    def _unroll(self, arrays: dict, sizes: dict) -> dict:
        """Forward over t from zero initial states; for ``direct``, delta[t] backwards."""
        K = int(sizes[self.K])
        seq = Sequence(self.model, arrays, sizes, K)
        env = dict(arrays)
        for n in self.timed:
            env[n] = seq.stacked(n)
        if self.given == "direct":
            given = {o.name: np.zeros((K, *seq.dims(o.name))) if o.name in self.silent
                     else arrays[self.upstream[o.name][1].name] for o in self.outs}
            delta = seq.backward(given)
            env.update({self.upstream[n][0].name: delta[n] for n in given})
        return env


def run_sequence(model: Graph, outs: list[str], arrays: dict, sizes: dict, steps: int,
                 given: str = "total") -> dict:
    """The one back-propagation through time, for a layer's own sequence quantities: the
    forward pass over ``steps`` steps from zero initial states (every non-parameter tensor
    stacked over t), and for ``given="direct"`` the total gradients ``delta`` of ``outs``
    back-propagated from their direct partials ``g``."""
    wrt = next(model.tensors[n] for n, k in model.kinds.items() if k == "param")
    run = Unrolled(model, wrt, [model.tensors[o] for o in outs], steps, given, None)
    return run._unroll(arrays, {**sizes, run.K: int(steps)})


# multi-step Jacobians ---------------------------------------------------------------------
def _frac(top: str, bottom: str) -> str:
    return r"\frac{\partial %s}{\partial %s}" % (top, bottom)


def _head(latex: str) -> str:
    """``h[t]`` -> ``h``: a tensor's name as written, without its time mark."""
    step = parse_step(latex)
    if step is not None and step.offset == 0 and not step.absolute:
        return step.name
    return latex[:-3] if latex.endswith("[t]") else latex


def _at_time(latex: str, shift: str) -> str:
    """``h[t]`` written at ``shift`` (``t-1`` -> ``h[t-1]``, ``\\tau`` -> ``h[\\tau]``)."""
    return f"{_head(latex)}[{shift}]"


class ChainQuantity(ModelQuantity):
    """The total Jacobian d s[t] / d s[t-k] of a recurrent model over k steps.

    Printed as a product of named one-step Jacobians (one state read at t-1) or as the
    forward recursion of the total Jacobians (several states, lags or histories);
    evaluated on a sequence: ``x`` (L, ...) holds x[1..L], ``<s>_init`` the state s[0]
    (zero when omitted), and the result is d s[L] / d s[L-k] (L >= k). At absolute steps
    (d s[a] / d s[b], ``StepChain(at=a)``) it is d s[a] / d s[b] from x[1..a] (L >= a;
    later rows are not read).
    """

    def __init__(self, *args, index_text: dict, matrix_text: str, inits: dict,
                 **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._index_text = index_text
        self._matrix_text = matrix_text
        self.inits = inits

    @cached_property
    def matrix(self) -> sp.Expr | None:
        """A matrix form exists (the product or recursion); see ``latex(form="matrix")``."""
        return None

    def latex(self, form: str = "index", index_base: int = 1) -> str:
        """The product of one-step Jacobians (or their recursion), index or matrix form."""
        self.check_latex_args(form, index_base)
        if form == "matrix":
            return self._matrix_text
        return self._index_text[index_base]

    def _key(self, key: str) -> str | None:
        flat = re.sub(r"\s+", "", key)
        for name, aliases in self.inits.items():
            if flat in aliases:
                return name
        return super()._key(key)

    def evaluate(self, arrays: Mapping[str, np.ndarray] | None = None, /, *,
                 form: str = "index", **kwargs) -> np.ndarray:
        """d s[L] / d s[L-k] on the sequence given (initial states zero unless given)."""
        arrays = dict(arrays or {})
        have = {self._key(k) for k in [*arrays, *kwargs]}
        missing = [n for n in self.inits if n not in have]
        if missing:
            known = {self._key(k): np.asarray(v, dtype=float)
                     for k, v in [*arrays.items(), *kwargs.items()]
                     if self._key(k) in self.inputs}
            sizes = self.bind_sizes(known, {k: v for k, v in kwargs.items()
                                            if k in self._free_sizes()})
            subs = {s: sp.Integer(v) for s, v in sizes.items()}
            for n in missing:
                dims = [as_expr(d).xreplace(self._subs).xreplace(subs)
                        for d in self.inputs[n].shape]
                if all(d.is_Integer for d in dims):
                    arrays[n] = np.zeros([int(d) for d in dims])
        return super().evaluate(arrays, form=form, **kwargs)


class StepChain:
    """Total d of[t] / d base[t-k] over k steps: forward-mode along the sequence."""

    def __init__(self, model: Graph, of: str, base: str, steps, sizes: Mapping | None,
                 at: int | None = None) -> None:
        """``at``: the absolute step a of ``of`` (d of[a] / d base[a-k]); None: relative to t."""
        self.model, self.of, self.base, self.at = model, of, base, at
        try:
            self.k = as_dim(steps, "steps")
        except ShapeError:
            raise ShapeError(f"steps must be a positive integer or a SymPy symbol, "
                             f"got {steps!r}") from None
        self.sizes = sizes
        self.states = list(model.states())
        if base not in self.states:
            raise UnknownNameError(f"{base} is not a state of {model.name} (a tensor read "
                                   f"at an earlier step); states: {', '.join(self.states)}")
        used = {s.name for t in model.tensors.values() for d in t.shape
                for s in d.free_symbols} | set(model.tensors) | {s.name for s in
                                                                  self.k.free_symbols}
        self.L = size(next(n for n in ("L", "T", "N", "L_t") if n not in used))
        self.links = [(ln, b, lag) for ln, (b, lag) in model.lags.items()
                      if b in self.states]

    def _stack(self, t: Tensor) -> Tensor:
        return Tensor(t.name, (self.L, *t.shape), t.latex, t.style)

    def _when(self, back) -> str:
        """The step ``back`` steps before the result's: ``t``, ``t-2``, ``t-k``, ``t-i``; at
        an absolute step a, ``a - back`` (``a-i`` for the letter i)."""
        if self.at is not None:
            if isinstance(back, str):
                return f"{self.at}-{back}"
            return str(self.at - int(back))
        if not isinstance(back, str) and as_expr(back) == 0:
            return "t"
        return f"t-{back if isinstance(back, str) else sp.latex(back)}"

    def _at_step(self, text: str) -> str:
        """A one-step formula printed at t, written at the absolute step (or as it is)."""
        return text if self.at is None else at_step(text, self.at)

    @property
    def simple(self) -> bool:
        """One state read only at t-1, and d base[t] asked: a product of one-step Jacobians."""
        return (self.of == self.base and len(self.links) == 1 and self.links[0][2] == 1
                and self.model.tensors[self.base].rank == 1)

    def quantity(self) -> ChainQuantity:
        m = self.model
        o, b = m.tensors[self.of], m.tensors[self.base]
        D = Tensor("D_total", o.shape + b.shape, "D")
        idx = tuple(index(f"d_{n}") for n in range(D.rank))
        element = D[idx]
        stacked = {n: self._stack(t) for n, t in m.tensors.items()
                   if m.kinds[n] == "input" and n not in m.lags}
        params = [t for n, t in m.tensors.items() if m.kinds[n] == "param"]
        inits, aliases = {}, {}
        self.init_names = {}
        for s in self.states:
            t = m.tensors[s]
            name = self.init_names[s] = m.fresh_name(f"{s}_init")
            inits[name] = Tensor(name, t.shape, _at_time(t.latex, "0"))
            aliases[name] = {f"{s}0", f"{s}[0]", re.sub(r"\s+", "", _at_time(t.latex, "0"))}
        inputs = [*stacked.values(), *params, *inits.values()]
        num, den = _at_time(o.latex, self._when(0)), _at_time(b.latex, self._when(self.k))
        tensors = {**m.tensors, **stacked, **inits, D.name: D,
                   "_num": Tensor("_num", o.shape, num), "_den": Tensor("_den", b.shape, den)}
        index_text, matrix_text, note = self._printed(num, den)
        return ChainQuantity(
            _frac(num, den), element, idx, o.shape + b.shape, tensors=tensors,
            inputs=inputs, lhs=(tensors["_num"], tensors["_den"]), prepare=self._prepare,
            structure=note, sizes={**m.parse_sizes(self.sizes)},
            size_names=m.size_names(self.L, *self.k.free_symbols), model=m,
            index_text=index_text, matrix_text=matrix_text,
            inits={n: a for n, a in aliases.items()})

    # printing --------------------------------------------------------------------------
    def _one_step(self, base: int) -> str:
        ln = self.links[0][0]
        text = self.model.jacobian(self.base, ln, sizes=self.sizes).latex(index_base=base)
        return self._at_step(text) + self._likewise()

    def _likewise(self) -> str:
        """At absolute steps: the one-step formula holds at every step of the product."""
        if self.at is None or not self.k.is_Integer or int(self.k) < 2:
            return ""
        first = self.at - int(self.k) + 1
        steps = ", ".join(str(s) for s in range(self.at - 1, first - 1, -1))
        return rf" \text{{ (and alike at steps {steps})}}"

    def _printed(self, num: str, den: str) -> tuple[dict, str, str]:
        m, k = self.model, self.k
        lat = m.tensors[self.base].latex
        if self.simple:
            letters = [c for c in "pqrsuvw" if c not in m.tensors] + [f"r_{n}" for n in
                                                                     range(1, 20)]
            if k.is_Integer:
                steps = [(_at_time(lat, self._when(s)), _at_time(lat, self._when(s + 1)))
                         for s in range(int(k))]
                mat = " ".join(_frac(a, b) for a, b in steps)
                free = ["i", *letters[: int(k) - 1], "j"]
                size_ = m.tensors[self.base].shape[0].xreplace(
                    {a: as_expr(v) for a, v in m.parse_sizes(self.sizes).items()})
                index_text = {}
                for base in (0, 1):
                    hi = sp.latex(size_ - 1 + base)
                    sums = "".join(rf"\sum_{{{v}={base}}}^{{{hi}}} " for v in free[1:-1])
                    body = " ".join(_frac(f"{a}_{{{free[s]}}}", f"{b}_{{{free[s + 1]}}}")
                                    for s, (a, b) in enumerate(steps))
                    index_text[base] = (f"{_frac(num + '_{i}', den + '_{j}')} = {sums}{body}"
                                        rf", \quad \text{{where }} {self._one_step(base)}")
            else:
                s = "s" if "s" not in m.tensors else "u"
                mat = (rf"\prod_{{{s}=0}}^{{{sp.latex(k - 1)}}} "
                       + _frac(_at_time(lat, f"t-{s}"), _at_time(lat, f"t-{s}-1"))
                       + rf" \quad \text{{(ordered: }} {s} = 0 \text{{ on the left)}}")
                head = mat.split(r" \quad")[0]
                index_text = {base: (f"{_frac(num + '_{i}', den + '_{j}')} = "
                                     rf"\left({head}\right)_{{ij}}"
                                     rf", \quad \text{{where }} {self._one_step(base)}")
                              for base in (0, 1)}
            matrix_text = (rf"{_frac(num, den)} = {mat}, \quad \text{{where }} "
                           + self._one_step_matrix())
            return index_text, matrix_text, "a product of one-step Jacobians along the sequence"
        text = self._recursion(num, den)
        note = ("forward recursion of the total Jacobians D_s[tau] = d s[tau] / d "
                f"{self.base}[t-k] over every state s")
        return {0: text, 1: text}, text, note

    def _one_step_matrix(self) -> str:
        q = self.model.jacobian(self.base, self.links[0][0], sizes=self.sizes)
        return self._at_step(q.latex("matrix") if q.matrix is not None else q.latex()) \
            + self._likewise()

    def _recursion(self, num: str, den: str) -> str:
        m, start, now = self.model, self._when(self.k), self._when(0)
        tau = r"\tau"
        lines = []
        for s in self.states:
            lat = m.tensors[s].latex
            terms = []
            for ln, b, lag in self.links:
                if not m.depends(s, ln):
                    continue
                blat = m.tensors[b].latex
                if lag is None:
                    part = _frac(_at_time(lat, tau), _at_time(blat, tau + "-i"))
                    terms.append(rf"\sum_{{i}} {part} D_{{{self._short(b)}}}[{tau}-i]")
                else:
                    terms.append(_frac(_at_time(lat, tau), _at_time(blat, f"{tau}-{lag}"))
                                 + rf" D_{{{self._short(b)}}}[{tau}-{lag}]")
            rhs = " + ".join(terms) or "0"
            lines.append(rf"D_{{{self._short(s)}}}[{tau}] = {rhs}")
        starts = ", ".join(rf"D_{{{self._short(s)}}}[{start}] = "
                           + ("I" if s == self.base else "0") for s in self.states)
        result = (rf"D_{{{self._short(self.of)}}}[{now}]" if self.of in self.states else
                  self._of_line())
        return (rf"{_frac(num, den)} = {result}, \quad \text{{where }} "
                + r", \ ".join(lines) + rf" \ ({start} < {tau} \le {now}), \ " + starts
                + rf", \ D_{{\cdot}}[\tau] = 0 \ (\tau < {start})")

    def _of_line(self) -> str:
        m = self.model
        lat = m.tensors[self.of].latex
        terms = [_frac(_at_time(lat, self._when(0)),
                       _at_time(m.tensors[b].latex, self._when(lag if lag else "i")))
                 + rf" D_{{{self._short(b)}}}[{self._when(lag if lag else 'i')}]"
                 for ln, b, lag in self.links if m.depends(self.of, ln)]
        return " + ".join(terms) or "0"

    def _short(self, s: str) -> str:
        return _head(self.model.tensors[s].latex)

    # numbers ---------------------------------------------------------------------------
    def _prepare(self, arrays: dict, sizes: dict) -> dict:
        subs = {kk: sp.Integer(v) for kk, v in sizes.items()}
        L = int(sizes[self.L])
        k = as_expr(self.k).xreplace(subs)
        if not k.is_Integer:
            raise ShapeError(f"steps = {self.k} is symbolic: pass its value, e.g. "
                             f"evaluate(..., {self.k}=2)")
        k = int(k)
        if self.at is not None:  # d of[a] / d base[a-k] reads x[1..a] only
            if L < self.at:
                raise ShapeError(f"d {self.of}[{self.at}]/d {self.base}[{self.at - k}] needs "
                                 f"the inputs of steps 1..{self.at}: give {self.at} rows, "
                                 f"got {L}")
            L = self.at
            arrays = {**arrays, **{n: np.asarray(arrays[n])[:L] for n, t in
                                   self.model.tensors.items() if n in arrays and
                                   self.model.kinds[n] == "input" and n not in self.model.lags}}
            sizes = {**sizes, self.L: L}
        if k > L:
            raise ShapeError(f"d {self.base}[t]/d {self.base}[t-{k}] needs at least {k} "
                             f"steps of the sequence, got {L}")
        inits = {s: arrays[self.init_names[s]] for s in self.states}
        seq = Sequence(self.model, arrays, sizes, L, inits=inits)
        total = seq.total(self.of, self.base, L - k)
        return {**arrays, "D_total": total}


# the one back-propagation through time ------------------------------------------------------
def backward(g: np.ndarray, J: np.ndarray) -> np.ndarray:
    """Total gradients delta[t] = g[t] + sum_i J[t+i, i]^T delta[t+i], rows t = 0..L-1 for
    steps 1..L, J[t, i-1] = d s[t+1] / d s[t+1-i] (the state vector s)."""
    L, P = J.shape[:2]
    delta = np.array(g, dtype=float)
    for t in range(L - 1, -1, -1):
        for i in range(1, min(P, L - 1 - t) + 1):
            delta[t] += J[t + i, i - 1].T @ delta[t + i]
    return delta


def total_jacobians(J: np.ndarray, T: int) -> np.ndarray:
    """D[t-1] = d s[t] / d s[T] for t = 1..L (0 <= T <= L, T = 0 the initial state):
    D[T] = I, D[t] = sum_i J[t, i] D[t-i] over the steps after T, 0 before T."""
    L, P, n, _ = J.shape
    D = np.zeros((L + 1, n, n))
    D[T] = np.eye(n)
    for t in range(T + 1, L + 1):
        for i in range(1, min(P, t - T) + 1):
            D[t] += J[t - 1, i - 1] @ D[t - i]
    return D[1:]


class Sequence:
    """A model run over steps 1..L: the forward pass from the initial states (``inits`` at
    step 0, zero before), the one-step partial Jacobians of its states (the engine's closed
    forms evaluated) and the two recursions over them, ``backward`` and
    ``total_jacobians``, on the vector of every state. Every sequence quantity of every
    layer is computed here.

    ``growing`` names the size of a history that holds every earlier state: at step t it
    is t - 1 (AttentionRNN(inf)).
    """

    def __init__(self, model: Graph, arrays: Mapping, sizes: Mapping, steps: int,
                 inits: Mapping | None = None, growing: sp.Symbol | None = None) -> None:
        self.model, self.L, self.growing = model, int(steps), growing
        self.sizes = {k: int(v) for k, v in sizes.items()}
        self.inits = dict(inits or {})
        self.first = 0 if inits is not None else 1
        self.states = list(model.states())
        dims = {s: self.dims(s, 1) for s in self.states}
        self.block: dict[str, tuple[int, int]] = {}
        at = 0
        for s in self.states:
            size_ = int(np.prod(dims[s]))
            self.block[s] = (at, at + size_)
            at += size_
        self.N = at
        params = {n: arrays[n] for n, k in model.kinds.items() if k == "param"}
        self.envs: dict[int, dict] = {}
        for tau in range(1, self.L + 1):
            a = dict(params)
            for n, k in model.kinds.items():
                if k == "input" and n not in model.lags:
                    a[n] = np.asarray(arrays[n], dtype=float)[tau - 1]
            for n, (b, lag) in model.lags.items():
                if lag is None:
                    rows = max(self.dims(n, tau)[0], 1)
                    a[n] = np.array([self._value(b, tau - r - 1, arrays)
                                     for r in range(rows)])
                else:
                    a[n] = self._value(b, tau - lag, arrays)
            self.envs[tau] = model.forward(a, self.at(tau))

    def at(self, tau: int) -> dict:
        """The sizes at step ``tau``."""
        if self.growing is None:
            return self.sizes
        return {**self.sizes, self.growing: tau - 1}

    def dims(self, name: str, tau: int = 1) -> tuple[int, ...]:
        """The shape of ``name`` at step ``tau``."""
        return dims_of(self.model.tensors[name],
                        {k: sp.Integer(v) for k, v in self.at(tau).items()})

    def _value(self, b: str, tau: int, arrays: Mapping) -> np.ndarray:
        if tau >= 1:
            if b in self.model.definitions:
                return self.envs[tau][b]
            return np.asarray(arrays[b], dtype=float)[tau - 1]
        if tau == 0 and b in self.inits:
            return np.asarray(self.inits[b], dtype=float)
        return np.zeros(self.dims(b, 1))

    def stacked(self, name: str) -> np.ndarray:
        """``name`` at every step, stacked: row t - 1 holds step t."""
        return np.array([self.envs[tau][name] for tau in range(1, self.L + 1)])

    def partials(self, of: str, tau: int) -> dict[int, np.ndarray]:
        """{i: d of[tau] / d s[tau - i]} (rows: of flattened; columns: the state vector),
        for every step tau - i >= the first one."""
        m, sizes = self.model, self.at(tau)
        rows = int(np.prod(self.dims(of, tau)))
        out: dict[int, np.ndarray] = {}
        for ln, (b, lag) in m.lags.items():
            if b not in self.block or not m.depends(of, ln):
                continue
            shape = self.dims(of, tau) + self.dims(ln, tau)
            backs = [(lag, None)] if lag is not None else [
                (r + 1, r) for r in range(shape[len(self.dims(of, tau))])]
            backs = [(i, r) for i, r in backs if tau - i >= self.first]
            if not backs:
                continue
            e, I, J = m.derivative(of, ln)
            jac = evaluate_element(e, I + J, shape, self.envs[tau], sizes)
            lo, hi = self.block[b]
            for i, r in backs:
                part = jac if r is None else np.take(jac, r, axis=len(I))
                out.setdefault(i, np.zeros((rows, self.N)))[:, lo:hi] += \
                    part.reshape(rows, -1)
        return out

    def jacobians(self, after: int = 0) -> np.ndarray:
        """J (L, P, N, N): J[t-1, i-1] = d s[t] / d s[t-i], the state vector s (zero for
        the steps t <= ``after``, which a recursion from step ``after`` does not read)."""
        parts = {(tau, s): self.partials(s, tau) for tau in range(after + 1, self.L + 1)
                 for s in self.states}
        P = max([i for p in parts.values() for i in p] or [1])
        J = np.zeros((self.L, P, self.N, self.N))
        for (tau, s), p in parts.items():
            lo, hi = self.block[s]
            for i, blk in p.items():
                J[tau - 1, i - 1, lo:hi] = blk
        return J

    def backward(self, given: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Total gradients delta[t] of each tensor in ``given`` (its direct partials g[t],
        stacked over t), back-propagated through every state; a tensor that is not a state
        passes its g into the states it reads."""
        G = np.zeros((self.L, self.N))
        for name, g in given.items():
            if name in self.block:
                lo, hi = self.block[name]
                G[:, lo:hi] += np.asarray(g, dtype=float).reshape(self.L, -1)
                continue
            flat = np.asarray(g, dtype=float).reshape(self.L, -1)
            for tau in range(1, self.L + 1):
                for i, blk in self.partials(name, tau).items():
                    if tau - i >= 1:
                        G[tau - i - 1] += blk.T @ flat[tau - 1]
        delta = backward(G, self.jacobians())
        out = {}
        for name, g in given.items():
            if name in self.block:
                lo, hi = self.block[name]
                out[name] = delta[:, lo:hi].reshape(np.shape(g))
            else:
                out[name] = np.array(g, dtype=float)
        return out

    def total(self, of: str, base: str, T: int) -> np.ndarray:
        """d of[L] / d base[T] over every path (other states at T held fixed)."""
        D = total_jacobians(self.jacobians(after=T), T)
        lo, hi = self.block[base]
        if of in self.block:
            a, b = self.block[of]
            out = D[self.L - 1][a:b, lo:hi]
        else:
            out = sum((blk @ (np.eye(self.N) if self.L - i == T else D[self.L - i - 1])
                       for i, blk in self.partials(of, self.L).items() if self.L - i >= T),
                      np.zeros((int(np.prod(self.dims(of, self.L))), self.N)))[:, lo:hi]
        return out.reshape(self.dims(of, self.L) + self.dims(base, self.L))
