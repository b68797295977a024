"""AttentionRNN(k) and AttentionRNN(inf): a recurrent cell that attends over past states.

The cell is one model with an index i over its attended slots (slot 0 reads x[t], slot
i >= 1 reads h[t-i]; 0-based like the homework), derived once with symbolic n and k and
then specialised, so deriving costs the same for every n and every k:
    s[i] = delta_{i0} x[t] + h[t-i]    q[i] = Q_i s[i]   k[i] = K_i s[i]   v[i] = V_i s[i]
    w[i] = q[i]^T k[i]                 a = softargmax(w)                  h[t] = sum_i a_i v[i]
AttentionRNN(inf) ties Q_1 = Q_2 = ... = Q_h (likewise K, V) and attends over the
p = t - 1 states that exist. Results print per slot: (Q_1)_{rl}, v_1[t], a_1[t].
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import NamedTuple

import numpy as np
import sympy as sp

from ..core.definitions import parse_step
from ..core.errors import ShapeError, UnknownNameError
from ..core.matrix import latex_matrix, to_matrix
from ..core.model import Model
from ..core.ops import Transpose
from ..core.quantity import Quantity, readable
from ..core.simplify import tidy
from ..core.tensor import Tensor, as_dim, as_expr, index, size
from ..core.unroll import Sequence, backward, total_jacobians

Size = int | sp.Expr

_N, _K, _P = size("n"), size("k"), size("p")
_TIME = size("t")
_SLOT_LATEX = {"Q": "Q_{%s}", "K": "K_{%s}", "V": "V_{%s}", "q": "q_{%s}[t]",
               "key": "k_{%s}[t]", "v": "v_{%s}[t]", "w": "w_{%s}[t]", "a": "a_{%s}[t]"}
_PARAMS = ("Q", "K", "V")
_BOUND = "rucdefbmz"  # no letter that names a tensor of the cell (s, g, ...)


def _frac(num: str, den: str) -> str:
    return r"\frac{\partial " + num + r"}{\partial " + den + "}"


@dataclass(frozen=True)
class _Cell:
    """The symbolic cell: model, slot-count symbol and the all-lags state Jacobian."""

    model: Model
    shared: bool
    states: sp.Symbol          # k, or p = t - 1 for AttentionRNN(inf)
    jacobian: sp.Expr          # d h[t]_j / d h[t-m-1]_l, in the model's intermediates
    indices: tuple             # (j, m, l)


def _fold_output(expr: sp.Expr, model: Model, j: sp.Symbol) -> sp.Expr:
    """Write sum_i a_i v_i[j] back as h[t]_j, the cell's own output."""
    a, v, ht = (model.tensors[n] for n in ("a", "v", "ht"))

    def back(s):
        if len(s.limits) == 1:
            var, lo, _ = s.limits[0]
            if lo == 0 and s.function == a[var] * v[var, j]:
                return ht[j]
        return s

    return expr.replace(lambda e: isinstance(e, sp.Sum), back)


def _collect(expr: sp.Expr) -> sp.Expr:
    """Group the terms by their inner-product sums: a V + a (v - h)(sum + sum)."""
    expr = sp.expand(expr)
    sums = sorted(expr.atoms(sp.Sum), key=sp.default_sort_key)
    groups: dict[sp.Expr, list[sp.Expr]] = {}
    for key, coeff in sp.collect(expr, sums, evaluate=False).items():
        groups.setdefault(sp.factor_terms(coeff), []).append(key)
    return sp.Add(*[c * sp.Add(*keys) for c, keys in groups.items()])


@cache
def _cell(shared: bool) -> _Cell:
    """Build and differentiate the cell once, with every size symbolic."""
    n, states = _N, (_P if shared else _K)
    slots = states + 1
    m = Model("AttentionRNN(inf)" if shared else "AttentionRNN(k)")
    x = m.input("x", (n,), "x[t]")
    h = m.lagged("ht", None, shape=(n,), rows=states, latex="h", name="h")
    nparam = 2 if shared else slots
    Q, K, V = (m.input(p, (nparam, n, n), p, kind="param") for p in _PARAMS)
    i, c, r, j = index("i"), index("c"), index("r"), index("j")
    tie = 1 - sp.KroneckerDelta(i, 0) if shared else i
    s = m.define("s", (slots, n), (i, c), sp.KroneckerDelta(i, 0) * x[c] + h[i - 1, c],
                 "s[t]")
    q, key, v = (m.define(name, (slots, n), (i, r),
                          sp.Sum(W[tie, r, c] * s[i, c], (c, 0, n - 1)), lat + "[t]")
                 for name, W, lat in (("q", Q, "q"), ("key", K, "k"), ("v", V, "v")))
    w = m.define("w", (slots,), (i,), sp.Sum(q[i, r] * key[i, r], (r, 0, n - 1)), "w[t]")
    a = m.softargmax("a", w, "a[t]")
    m.define("ht", (n,), (j,), sp.Sum(a[i] * v[i, j], (i, 0, states)), "h[t]")
    element, (jo,), (mo, lo) = m.derivative("ht", "h")
    element = _collect(_fold_output(element, m, jo))
    return _Cell(m, shared, states, element, (jo, mo, lo))


def _rename_bound(expr: sp.Expr, taken: set[str]) -> sp.Expr:
    """Summation indices get short letters (r, s, ...) not used around them."""
    if isinstance(expr, sp.Sum):
        body, limits = expr.function, []
        used = set(taken) | {str(f) for f in expr.free_symbols}
        for var, lo, hi in expr.limits:
            name = next(x for x in _BOUND if x not in used)
            used.add(name)
            body = body.xreplace({var: index(name)})
            limits.append((index(name), lo, hi))
        return sp.Sum(_rename_bound(body, used), *limits)
    if not expr.args or isinstance(expr, sp.Indexed):
        return expr
    return expr.func(*[_rename_bound(a, taken) for a in expr.args])


def _slot_label(first: sp.Expr, base: str, shared: bool) -> str | None:
    if shared and base in _PARAMS:
        return {0: "0", 1: "h"}.get(int(first)) if first.is_Integer else None
    if first.is_Integer or first.is_Symbol:
        return str(first)
    return None


class _SlotView:
    """Rewrites stacked tensors at a fixed slot (Q[2, r, c] -> (Q_2)_{rc}) for printing.

    ``picks`` says how to get each new tensor's array from the forward pass, so the
    rewritten element still evaluates: name -> (stacked name, slot expression).
    """

    def __init__(self, cell: _Cell, allowed: set[sp.Symbol]) -> None:
        self.cell = cell
        self.allowed = allowed
        self.tensors: dict[str, Tensor] = {}
        self.picks: dict[str, tuple[str, sp.Expr]] = {}

    def _new(self, name: str, stacked: str, first: sp.Expr, shape: tuple, latex: str):
        self.tensors.setdefault(name, Tensor(name, shape, latex))
        self.picks[name] = (stacked, first)
        return self.tensors[name]

    def _one(self, e: sp.Indexed) -> sp.Expr:
        base, first, rest = str(e.base.label), e.indices[0], e.indices[1:]
        if first.free_symbols - self.allowed:
            return e
        if base in ("h", "s"):
            lag = sp.expand(first + 1) if base == "h" else first
            if lag == 0:
                return self.cell.model.tensors["x"][rest]
            label = _slot_label(lag, base, False)
            if label is None:
                return e
            t = self._new(f"h_{label}", "h", sp.expand(lag - 1), (_N,), f"h[t-{label}]")
            return t[rest]
        if base not in _SLOT_LATEX:
            return e
        label = _slot_label(first, base, self.cell.shared)
        if label is None:
            return e
        t = self._new(f"{base}_{label}", base, first, (_N,) * len(rest),
                      _SLOT_LATEX[base] % label)
        return t[rest] if rest else sp.Symbol(t.name)

    def __call__(self, expr: sp.Expr) -> sp.Expr:
        return expr.replace(lambda e: isinstance(e, sp.Indexed), self._one)

    def fill(self, env: dict, sizes: Mapping) -> dict:
        """Add the per-slot arrays to a forward-pass environment."""
        subs = {k: sp.Integer(v) for k, v in sizes.items()}
        for name, (stacked, first) in self.picks.items():
            env[name] = np.asarray(env[stacked])[int(as_expr(first).xreplace(subs))]
        return env


def _factor_left(expr: sp.Expr) -> sp.Expr:
    """u^T A + u^T B -> u^T (A + B) for matrix products sharing their left factor."""
    def pull(add: sp.Add) -> sp.Expr:
        heads = {t.args[0] if isinstance(t, sp.Mul) and not t.is_commutative
                 and t.args[0].is_commutative is False else None for t in add.args}
        if len(heads) != 1 or None in heads:
            return add
        (head,) = heads
        return head * sp.Add(*[sp.Mul(*t.args[1:]) for t in add.args])

    return expr.replace(lambda e: isinstance(e, sp.Add), pull)


def _query_first(mat: sp.Expr) -> sp.Expr:
    """Write an inner product k^T q as q^T k, the homework's order."""
    if isinstance(mat, sp.Mul) and len(mat.args) == 2 and isinstance(mat.args[0], Transpose):
        (u,), v = mat.args[0].args, mat.args[1]
        if str(v).startswith("q_"):
            return Transpose(v) * u
    return mat


def _lag_of(key: str) -> int | sp.Symbol | None:
    """``h[t-2]`` (or ``h_{t-2}``) -> 2, ``h[t-k]`` -> k: how far back a past state is."""
    step = parse_step(key)
    if step is None or step.absolute or step.name != "h":
        return None
    lag = step.lag
    if isinstance(lag, int):
        return lag if lag >= 0 else None
    return lag if lag.is_Symbol else None


def _row_lag(key: str) -> int | None:
    """The row lag of ``h[t-i]`` given to evaluate (a whole number), else None."""
    try:
        lag = _lag_of(key)
    except UnknownNameError:
        return None
    return lag if isinstance(lag, int) else None


class AttentionQuantity(Quantity):
    """A Quantity of AttentionRNN: ``evaluate`` also takes the names as written, ``"x[t]"``
    for x and ``"h[t-1]"``, ..., ``"h[t-k]"`` for the rows of h (h[i-1] = h[t-i])."""

    def evaluate(self, arrays: Mapping[str, np.ndarray] | None = None, /, *,
                 form: str = "index", **kwargs) -> np.ndarray:
        given = dict(arrays or {})
        for k in [k for k in kwargs if k not in self.inputs and not k.isidentifier()]:
            given[k] = kwargs.pop(k)
        out, rows = {}, {}
        for key, value in given.items():
            flat = re.sub(r"\s+", "", key)
            lag = _row_lag(flat)
            if flat in ("x[t]", "x_t", "x_{t}") and "x" in self.inputs:
                out["x"] = value
            elif lag and "h" in self.inputs and self.inputs["h"].rank == 2:
                rows[lag] = np.asarray(value, dtype=float)
            else:
                out[key] = value
        if rows and "h" not in out and "h" not in kwargs:
            if sorted(rows) != list(range(1, len(rows) + 1)):
                raise ShapeError(f"give every past state h[t-1], ..., h[t-{max(rows)}]: "
                                 f"got h[t-i] for i in {sorted(rows)}")
            out["h"] = np.stack([rows[i] for i in sorted(rows)])
        elif rows:
            raise ShapeError("give h as one array or as h[t-1], h[t-2], ..., not both")
        return super().evaluate(out, form=form, **kwargs)


class AttentionSystem(tuple):
    """The defining equations (SymPy, index form, stacked over slots) and their LaTeX."""

    def __new__(cls, equations, latex_text: str, sharing: str, parameters: tuple):
        obj = super().__new__(cls, equations)
        obj._latex = latex_text
        obj.sharing = sharing
        obj.parameters = parameters
        return obj

    def latex(self) -> str:
        """The system as the homework writes it, with ellipses and the weight sharing."""
        return self._latex

    def _repr_latex_(self) -> str:
        return "$$" + self._latex + "$$"


def _plain(value):
    """NumPy and other integral scalars as int (bool stays bool, to be refused)."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool | int):
        return int(value)
    return value


def _check_size(value, what: str) -> sp.Expr:
    value = _plain(value)
    if value is None or isinstance(value, bool) or not isinstance(value, int | sp.Expr):
        raise ShapeError(f"{what} must be a positive integer or a SymPy symbol, got {value!r}")
    return as_dim(value, what)


def _int(value) -> int | sp.Expr:
    value = as_expr(value)
    return int(value) if value.is_Integer else value


class AttentionRNN:
    """AttentionRNN(k) (``k`` an int or symbol >= 1) or AttentionRNN(inf) (``k=None``).

    Evaluate arguments: ``x`` (n,), ``h`` (k, n) with ``h[i-1] = h[t-i]`` (for inf: the
    p = t - 1 states that exist), ``Q, K, V`` (k + 1, n, n) (for inf: (2, n, n), [0] for
    x[t] and [1] shared by every past state).
    """

    def __init__(self, k: Size | None = 2, input_size: Size = _N) -> None:
        if k is sp.oo or (isinstance(k, float) and k == float("inf")):
            raise ShapeError("AttentionRNN(inf) is written AttentionRNN(k=None): it attends over "
                             "every past state, with Q_h, K_h, V_h shared by all of them")
        self.shared = k is None
        self.k = None if self.shared else _int(_check_size(k, "k"))
        self.input_size = _int(_check_size(input_size, "input_size"))
        self._cell = _cell(self.shared)
        self.model = self._cell.model
        self.sizes: dict = {}
        if as_expr(self.input_size) != _N:
            self.sizes[_N] = as_expr(self.input_size)
        if not self.shared and as_expr(self.k) != _K:
            self.sizes[_K] = as_expr(self.k)

    def __repr__(self) -> str:
        return f"AttentionRNN({'inf' if self.shared else self.k}, input_size={self.input_size})"

    # structure ------------------------------------------------------------------------
    def _dim(self, d: sp.Expr):
        d = as_expr(d).xreplace(self.sizes)
        if self.shared:
            d = d.xreplace({_P: _TIME - 1})
        return _int(sp.expand(d))

    @property
    def n_slots(self) -> int | sp.Expr:
        """How many vectors a[t] weighs: k + 1, or t for AttentionRNN(inf)."""
        return self._dim(self._cell.states + 1)

    def shape(self, name: str) -> tuple:
        """Shape of a named tensor of the cell: x, h, q, k, v (n,), w, a, Q, K, V.

        A slot suffix names one of them (``q_0``, ``w_1``, ``Q_h``): w_i and a_i are scalars.
        """
        base, _, slot = name.partition("_")
        n = self._dim(_N)
        if base in ("x", "h", "q", "k", "v"):
            return (n,)
        if base in _PARAMS:
            return (n, n)
        if base in ("w", "a"):
            return () if slot else (self.n_slots,)
        raise UnknownNameError(f"no tensor {name!r} in {self!r}; known: x, h, q, k, v, w, a, "
                               f"Q, K, V (and slots such as q_0, a_1, Q_1)")

    def _slots(self, count: int = 3) -> list[str]:
        """Slot labels as the equations print them, with an ellipsis for a long list."""
        last = sp.latex(self.k) if not self.shared else "t-1"
        if not self.shared and isinstance(self.k, int) and self.k <= count:
            return [str(i) for i in range(self.k + 1)]
        return ["0", "1", r"\dots", last]

    def equations(self) -> AttentionSystem:
        """The defining system: SymPy equations (index form, stacked over slots) and LaTeX."""
        m = self.model
        eqs = [sp.Eq(m.tensors[name][d.indices], d.expr.xreplace(self.sizes), evaluate=False)
               for name, d in m.definitions.items()]
        return AttentionSystem(eqs, self._system_latex(), self.sharing(),
                               self.parameter_names())

    def parameter_names(self) -> tuple[str, ...]:
        """The distinct parameter matrices: Q_0..Q_k, K_.., V_.. or Q_0, Q_h, K_0, ..."""
        if self.shared:
            return tuple(f"{p}_{s}" for p in _PARAMS for s in ("0", "h"))
        if isinstance(self.k, int):
            return tuple(f"{p}_{i}" for p in _PARAMS for i in range(self.k + 1))
        return tuple(f"{p}_i" for p in _PARAMS)

    def sharing(self) -> str:
        """Which weights are tied, in one sentence."""
        if self.shared:
            return ("Weight sharing: every past state h[t-i], i = 1, ..., t-1, is read with "
                    "the same Q_h, K_h, V_h (Q_1 = Q_2 = ... = Q_h, likewise K and V); x[t] "
                    "keeps Q_0, K_0, V_0. The parameters do not depend on t, so the window "
                    "grows with t: six n x n matrices for every sequence length.")
        return ("No sharing: slot i has its own Q_i, K_i, V_i, 3(k + 1) matrices of n x n, "
                "and only the last k states are read.")

    def _slot_rhs(self, name: str, slot: int | str) -> str:
        """Engine form of one slot of a definition, e.g. q at slot 1 -> Q_1 h[t-1]."""
        d = self.model.definitions[name]
        symbolic = isinstance(slot, str)
        at = index("i") if symbolic else sp.Integer(slot)
        view = _SlotView(self._cell, {at})
        rest = d.indices[1:]
        expr = tidy(d.at((at, *rest)), {at: (1, self._cell.states)} if symbolic else {})
        body = view(expr)
        mat = to_matrix(body, rest)
        if mat is not None and not rest:
            mat = _query_first(mat)
        text = latex_matrix(mat if mat is not None else body,
                            {**self.model.tensors, **view.tensors})
        if symbolic and slot != "i":
            text = text.replace("{i}", "{" + slot + "}")
            text = text.replace("h[t-i]", "h[1]" if self.shared else f"h[t-{slot}]")
        return text

    def _system_latex(self) -> str:
        slots = self._slots()
        last = slots[-1]
        rows = []
        for name, lat in (("q", "q"), ("key", "k"), ("v", "v")):
            lhs, rhs = [], []
            for s in slots:
                if s == r"\dots":
                    lhs.append(s)
                    rhs.append(s)
                    continue
                lhs.append(f"{lat}_{{{s}}}[t]")
                rhs.append(self._slot_rhs(name, int(s) if s.isdigit() else s))
            rows.append(", ".join(lhs) + " &= " + ", ".join(rhs))
        span = r"\{" + ", ".join(slots) + r"\}"
        rows.append(r"w_{i}[t] &= " + self._slot_rhs("w", "i") + r", \quad i \in " + span)
        ws = ", ".join(s if s == r"\dots" else f"w_{{{s}}}[t]" for s in slots)
        rows.append(r"a[t] &= \operatorname{softargmax}\left(\left[" + ws + r"\right]\right)")
        i, j = index("i"), index("j")
        view = _SlotView(self._cell, {i})
        body = view(self.model.tensors["a"][i] * self.model.tensors["v"][i, j])
        hsum = latex_matrix(to_matrix(body, (j,)), {**self.model.tensors, **view.tensors})
        rows.append(r"h[t] &= \sum_{i=0}^{" + last + "} " + hsum)
        if self.shared:
            rows.append(r"&\text{with } Q_i = Q_h,\ K_i = K_h,\ V_i = V_h \text{ for every } "
                        r"i \ge 1 \text{ (weight sharing)}")
        else:
            rows.append(r"&\text{with } Q_i, K_i, V_i \in \mathbb{R}^{n \times n} "
                        r"\text{ for } i \in " + span + r" \text{ (no sharing)}")
        return r"\begin{aligned} " + r" \\ ".join(rows) + r" \end{aligned}"

    def output(self, name: str = "h") -> Quantity:
        """The value of one cell tensor (h[t], a[t] or w[t]) as a Quantity of x, h, Q, K, V."""
        key = {"h": "ht", "a": "a", "w": "w"}.get(name)
        if key is None:
            raise UnknownNameError(f"output() gives 'h', 'a' or 'w', not {name!r}")
        d = self.model.definitions[key]
        new = ("j",) if key == "ht" else ("i",)
        element, idx = readable(_rename_bound(d.expr, set(new)), d.indices, new)
        return AttentionQuantity(d.tensor.latex, element, idx, d.tensor.shape,
                        tensors=self.model.tensors, inputs=self._inputs(),
                        lhs=(d.tensor, None), prepare=self._forward, layout="numerator",
                        structure=f"the cell's {d.tensor.latex}", sizes=self.sizes,
                        size_names=self._size_names())

    # calculus -------------------------------------------------------------------------
    def _inputs(self) -> tuple[Tensor, ...]:
        return tuple(self.model.tensors[n] for n in ("x", "h", *_PARAMS))

    def _size_names(self, *extra: sp.Symbol, states: bool = True) -> tuple:
        names = {_N} | ({self._cell.states} if states or not self.shared else set())
        names -= {k for k, v in self.sizes.items() if v.is_number}
        return tuple(sorted(names | set(extra), key=str))

    def _forward(self, arrays: dict, sizes: Mapping) -> dict:
        """The cell's forward pass, given only its own sizes (n and k or p)."""
        own = {k: v for k, v in sizes.items() if k in (_N, self._cell.states)}
        return self.model.forward(arrays, own)

    def _lag(self, lag: int | sp.Symbol | str) -> sp.Expr:
        lag = _plain(lag)
        if isinstance(lag, bool) or not isinstance(lag, str | int | sp.Symbol | sp.Integer):
            raise ShapeError(f"lag must be a positive integer or a symbol, got {lag!r}")
        lag = size(lag) if isinstance(lag, str) else as_expr(lag)
        if lag.is_Symbol:
            lag = size(lag.name)
        taken = {"j", "l", "n", "p", "g", *_BOUND, *self.model.tensors}
        if lag.is_Symbol and lag.name in taken:
            raise ShapeError(f"lag symbol {lag} clashes with a name of the cell; use e.g. "
                             f"'i' (taken: {', '.join(sorted(taken))})")
        if lag.is_Integer:
            if lag < 1:
                raise ShapeError(f"lag must be at least 1, got {lag}")
            if not self.shared and isinstance(self.k, int) and lag > self.k:
                raise ShapeError(f"AttentionRNN({self.k}) reads h[t-1]..h[t-{self.k}]; "
                                 f"lag {lag} is out of range 1..{self.k}")
        return lag

    def _specialise(self, element: sp.Expr, free: tuple, lag: sp.Expr,
                    extra_ranges: dict) -> tuple[sp.Expr, tuple, _SlotView]:
        """Tidy at a lag, rewrite per slot, rename indices to j, l and bound ones to r."""
        ranges = {**extra_ranges, **{f: (0, _N - 1) for f in free}}
        if lag.is_Symbol:
            ranges[lag] = (1, self._cell.states)
        view = _SlotView(self._cell, set(lag.free_symbols))
        names = ("j", "l")[-len(free):] if len(free) == 1 else ("j", "l")
        element = _rename_bound(view(tidy(element, ranges)), set(names))
        element, new = readable(element, free, names)
        return element, new, view

    def state_jacobian(self, lag: int | sp.Symbol | str = 1, form: str = "attention",
                       steps: Size | None = None) -> Quantity:
        """Partial dh[t]/dh[t-lag] (n x n, numerator layout), other states held fixed;
        with ``steps=k`` the total dh[t]/dh[t-k] over every path (see ``total_jacobian``).

        From the chain rule of the core: h[t] = sum_i a_i v_i reads h[t-lag] through v_lag
        and, through w_lag and the softargmax (diag(a) - a a^T), through every a_i:
        a_lag V_lag + a_lag (v_lag - h[t]) (k_lag^T Q_lag + q_lag^T K_lag). With
        ``form="states"`` q and k are written out: ... h[t-lag]^T (K^T Q + Q^T K).
        """
        if steps is not None:
            return self.total_jacobian(steps)
        if form not in ("attention", "states"):
            raise ShapeError(f"form must be 'attention' or 'states', not {form!r}")
        lag = self._lag(lag)
        cell = self._cell
        j, m, l = cell.indices
        element = cell.jacobian.xreplace({m: lag - 1})
        if form == "states":
            element = self._expand_qk(element)
        element, new, view = self._specialise(element, (j, l), lag, {})
        label = sp.latex(lag)
        ht = Tensor("ht", (_N,), "h[t]")
        den = Tensor(f"h_{label}", (_N,), f"h[t-{label}]")
        tensors = {**self.model.tensors, **view.tensors, "ht": ht, den.name: den}

        def prepare(arrays: dict, sizes: dict) -> dict:
            subs = {k: sp.Integer(v) for k, v in sizes.items()}
            states, at = (int(as_expr(e).xreplace(subs)) for e in (cell.states, lag))
            if not 1 <= at <= states:
                raise ShapeError(f"lag {at} needs h[t-{at}], but h holds {states} past "
                                 f"state(s)")
            return view.fill(self._forward(arrays, sizes), sizes)

        what = "inf" if self.shared else str(self.k)
        jac = AttentionQuantity(
            _frac("h[t]", f"h[t-{label}]"), element, new, (_N, _N), tensors=tensors,
            inputs=self._inputs(), lhs=(ht, den), prepare=prepare, layout="numerator",
            structure=f"AttentionRNN({what}): a_i V_i + a_i (v_i - h[t]) (k_i^T Q_i + "
                      f"q_i^T K_i) at i = {label}; softargmax' = diag(a) - a a^T",
            sizes=self.sizes, size_names=self._size_names(*lag.free_symbols))
        if form == "states" and jac.matrix is not None:
            jac.__dict__["matrix"] = _factor_left(jac.matrix)  # seeds the cached property
        return jac

    def jacobian(self, of: str, wrt: str) -> Quantity:
        """d of / d wrt in the time notation of ``Model``: ``jacobian("h[t]", "h[t-i]")`` is
        the partial state Jacobian at lag i when the cell reads h[t-i] (every i for
        AttentionRNN(inf)), and the total Jacobian over every path when it does not
        (i > k), as ``Model.jacobian`` does for a state it does not read."""
        flat_of, flat_wrt = (re.sub(r"\s+", "", v) for v in (of, wrt))
        lag = _lag_of(flat_wrt)
        if flat_of not in ("h[t]", "h_t", "h_{t}", "h") or lag is None:
            raise UnknownNameError(f"AttentionRNN.jacobian differentiates h[t] with respect "
                                   f"to an earlier state h[t-i], not {of!r} by {wrt!r}; see "
                                   f"jacobian_parts() for a[t], w[t] and v[t]")
        value = lag if isinstance(lag, int) else lag.name
        if isinstance(value, int) and not self.shared and isinstance(self.k, int) \
                and value > self.k:
            return self.total_jacobian(value)
        return self.state_jacobian(lag=value)

    def total_jacobian(self, steps: Size | str) -> Quantity:
        """Total dh[t]/dh[t-k] (n x n) for k = ``steps``, counting every path through the
        states between: D[t-k] = I, D[tau] = sum_i dh[tau]/dh[tau-i] D[tau-i].

        Evaluate on a sequence: x (L, n) holds x[1..L], Q, K, V; the result is
        dh[L]/dh[L-k] (1 <= L - k), h[tau] = 0 for tau < 1.
        """
        k_ = size(steps) if isinstance(steps, str) else as_dim(_plain(steps), "steps")
        L_ = size("L")
        n, (j, l) = _N, (index("j"), index("l"))
        seq_x = Tensor("x", (L_, n), "x", "bracket")
        D = Tensor("D_total", (n, n), "D")
        kk = sp.latex(k_)
        num, den = Tensor("ht", (n,), "h[t]"), Tensor("h_k", (n,), f"h[t-{kk}]")
        upper = r"\tau-1" if self.shared else sp.latex(self._cell.states.xreplace(self.sizes))
        text = (_frac("h[t]", f"h[t-{kk}]") + r" = D[t], \quad \text{where } D[\tau] = "
                rf"\sum_{{i=1}}^{{{upper}}} " + _frac(r"h[\tau]", r"h[\tau-i]")
                + rf" D[\tau-i] \ (t-{kk} < \tau \le t), \ D[t-{kk}] = I, \ D[\tau] = 0 "
                rf"\ (\tau < t-{kk})")

        def prepare(arrays: dict, sizes: dict) -> dict:
            subs = {a: sp.Integer(v) for a, v in sizes.items()}
            L, k = int(L_.xreplace(subs)), as_expr(k_).xreplace(subs)
            if not k.is_Integer:
                raise ShapeError(f"steps = {k_} is symbolic: pass its value, e.g. "
                                 f"evaluate(..., {k_}=2)")
            if not 1 <= L - int(k) < L:
                raise ShapeError(f"dh[t]/dh[t-{k}] at t = L = {L} needs 1 <= L - {k}: "
                                 f"give at least {int(k) + 1} steps of x")
            H, J = self.unroll(arrays["x"], arrays["Q"], arrays["K"], arrays["V"], sizes)
            total = total_jacobians(J, L - int(k))
            # every lag i = 1..max(L, P) of dh[tau]/dh[tau-i]: 0 past the states the cell
            # reads (i > k) and where h[tau-i] is a base case (i >= tau)
            lags = np.zeros((L, max(L, J.shape[1])) + J.shape[2:])
            lags[:, :J.shape[1]] = J
            return {"D_total": total[L - 1], "h_k": H[L - 1 - int(k)],
                    "x[steps]": arrays["x"], "h[steps]": H, "D[steps]": total,
                    "J[steps]": lags}

        params = tuple(self.model.tensors[p] for p in _PARAMS)
        q = _TextQuantity(
            _frac("h[t]", f"h[t-{kk}]"), D[j, l], (j, l), (n, n),
            tensors={**self.model.tensors, "x": seq_x, D.name: D, "ht": num, "h_k": den},
            inputs=(seq_x, *params), lhs=(num, den), prepare=prepare, text=text,
            structure="total Jacobian over every path: forward recursion over one-step "
                      "partial Jacobians", sizes=self.sizes,
            size_names=self._size_names(L_, *k_.free_symbols, states=False))
        # what the printed recursion reads at every step tau = 1..L (prepare stacks them)
        q.series = {
            "x": Series(Tensor("x", (n,), "x[t]"), "x[steps]"),
            "ht": Series(Tensor("ht", (n,), "h[t]"), "h[steps]", zero_before=True),
            "D_total": Series(Tensor("D_total", (n, n), "D[t]"), "D[steps]",
                              zero_before=True),
            "J_lag": Series(Tensor("J_lag", (L_, n, n), _frac("h[t]", "h[t-i]")),
                            "J[steps]", base=1),
        }
        return q

    def _expand_qk(self, element: sp.Expr) -> sp.Expr:
        """Replace q, k (and the slot input s) by their definitions: Q_i h[t-i], K_i h[t-i]."""
        defs = self.model.definitions

        def expand(e):
            return defs[str(e.base.label)].at(e.indices)

        for names in (("q", "key"), ("s",)):
            element = element.replace(
                lambda e, names=names: isinstance(e, sp.Indexed) and str(e.base.label) in names,
                expand)
        return element

    def jacobian_parts(self, lag: int | sp.Symbol | str = 1) -> dict[str, Quantity]:
        """The chain-rule factors of the lag Jacobian, each derived by the core.

        ``da/dw`` (softargmax', diag(a) - a a^T), ``dw/dh`` (dw_lag/dh[t-lag], a row in
        numerator layout) and ``dv/dh`` (V_lag); with them dh[t]/dh[t-lag] =
        a_lag dv_lag/dh[t-lag] + sum_i v_i (da_i/dw_lag) (dw_lag/dh[t-lag]).
        """
        lag = self._lag(lag)
        cell, m = self._cell, self.model
        label = sp.latex(lag)
        i, p = index("i"), index("p")
        a_t, w_t = m.tensors["a"], m.tensors["w"]
        out = {"da/dw": AttentionQuantity(
            _frac("a[t]", "w[t]"), sp.expand(m.definitions["a"].rules["w"]((i,), (p,))),
            (i, p), (cell.states + 1, cell.states + 1), tensors=m.tensors,
            inputs=self._inputs(), lhs=(a_t, w_t), layout="numerator",
            prepare=self._forward, structure="a_i (delta_ip - a_p)",
            sizes=self.sizes, size_names=self._size_names())}
        for name, lat, key in (("w", "w_{%s}[t]", "dw/dh"), ("v", "v_{%s}[t]", "dv/dh")):
            element, I, J = m.derivative(name, "h")
            sub = {I[0]: lag, J[0]: lag - 1}
            el, new, view = self._specialise(sp.expand(element.xreplace(sub)),
                                             (*I[1:], J[1]), lag, {})
            num = Tensor(f"{name}_{label}", (_N,) * len(I[1:]), lat % label)
            den = Tensor(f"h_{label}", (_N,), f"h[t-{label}]")

            def prepare(arr, sz, view=view):
                return view.fill(self._forward(arr, sz), sz)

            out[key] = AttentionQuantity(
                _frac(lat % label, f"h[t-{label}]"), el, new, (_N,) * len(new),
                tensors={**m.tensors, **view.tensors, num.name: num, den.name: den},
                inputs=self._inputs(), lhs=(num, den), prepare=prepare, layout="numerator",
                sizes=self.sizes, size_names=self._size_names(*lag.free_symbols))
        return out

    # sequences ------------------------------------------------------------------------
    def _k_int(self, sizes: Mapping | None = None) -> int:
        k = as_expr(self.k).xreplace({s: sp.Integer(v) for s, v in (sizes or {}).items()})
        if not k.is_Integer:
            raise ShapeError(f"k = {self.k} is symbolic: pass its value, e.g. "
                             f"evaluate(..., {self.k}=2)")
        return int(k)

    def run_sizes(self, n: int) -> tuple[dict, sp.Symbol | None]:
        """The sizes its model runs with on vectors of ``n`` (``core.unroll.Sequence``), and
        the size that grows with t (AttentionRNN(inf)'s p = t - 1 past states) or None."""
        if self.shared:
            return {_N: int(n)}, self._cell.states
        return {_N: int(n), self._cell.states: self._k_int()}, None

    def unroll(self, x: np.ndarray, Q: np.ndarray, K: np.ndarray, V: np.ndarray,
               sizes: Mapping | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Forward pass over a sequence, and every one-step partial state Jacobian.

        Returns H (L, n) with H[t-1] = h[t], and J (L, P, n, n) with J[t-1, i-1] =
        dh[t]/dh[t-i] (the engine's closed form evaluated; zero where h[t-i] is a base
        case). P = k, or max(L - 1, 1) for AttentionRNN(inf). h[t] = 0 for t < 1.
        """
        x, Q, K, V = (np.asarray(a, dtype=float) for a in (x, Q, K, V))
        if x.ndim != 2:
            raise ShapeError(f"x must be a sequence (L, n), got shape {x.shape}")
        L, n = x.shape
        cell = self._cell
        sizes = {_N: n} if self.shared else {_N: n, cell.states: self._k_int(sizes)}
        seq = Sequence(self.model, {"x": x, "Q": Q, "K": K, "V": V}, sizes, L,
                       growing=cell.states if self.shared else None)
        J = seq.jacobians()
        P = max(L - 1, 1) if self.shared else sizes[cell.states]
        out = np.zeros((L, P, n, n))
        out[:, :min(P, J.shape[1])] = J[:, :P]
        return seq.stacked("ht"), out

    def grad_state(self, T: Size | str, steps: Size | str, via: str = "recursion"
                   ) -> Quantity:
        """dl/dh[T] (gradient layout, (n,)) from the direct partials g[t] = dl/dh[t].

        ``via="recursion"``: g[T] + sum_{i=1}^{k} J[T+i, i]^T delta[T+i], with one-step
        partial Jacobians J[t, i] = dh[t]/dh[t-i] and total gradients delta[t] = dl/dh[t]
        (every later step for AttentionRNN(inf)). ``via="total"``: sum_{t=T}^{L}
        D[t]^T g[t], with total Jacobians D[t] = dh[t]/dh[T] that count every path.
        Evaluate with x (L, n), Q, K, V and g (L, n); h[t] = 0 for t < 1, 1 <= T <= L.
        """
        if via not in ("recursion", "total"):
            raise ShapeError(f"via must be 'recursion' or 'total', not {via!r}")
        T_, L_ = (size(v) if isinstance(v, str) else _plain(v) for v in (T, steps))
        for v, what in ((T_, "T"), (L_, "steps")):
            if isinstance(v, bool) or not isinstance(v, int | sp.Expr) or (
                    isinstance(v, int | sp.Integer) and v < 1):
                raise ShapeError(f"{what} must be a positive integer or a symbol, got {v!r}")
        T_, L_ = as_expr(T_), as_expr(L_)
        if T_.is_Integer and L_.is_Integer and T_ > L_:
            raise ShapeError(f"T = {T_} is outside the sequence 1..{L_}")
        n = _N
        seq_x = Tensor("x", (L_, n), "x", "bracket")
        g = Tensor("g", (L_, n), "g", "bracket")
        h_T = Tensor("h_T", (n,), f"h[{sp.latex(T_)}]")
        j, r, u, t = index("j"), index("r"), index("i"), index("t")
        if via == "recursion":
            P = self._cell.states if not self.shared else L_ - 1
            delta = Tensor("delta", (L_, n), r"\delta", "bracket")
            J = Tensor("J", (L_, P, n, n), "J", "bracket")
            # h[T] feeds h[T+1..T+k], but only the steps that exist (T + i <= L)
            last = (sp.Min(self._cell.states, L_ - T_) if not self.shared else L_ - T_) - 1
            element = g[T_ - 1, j] + sp.Sum(delta[T_ + u, r] * J[T_ + u, u, r, j],
                                            (r, 0, n - 1), (u, 0, last))
            extra = {"delta": delta, "J": J}
            time_axes = {"g": (0,), "delta": (0,), "J": (0, 1)}
            span = "every later step" if self.shared else "the next k steps"
            note = (f"recursion over {span} with one-step partial Jacobians J[t, i] = "
                    f"dh[t]/dh[t-i] and total gradients delta[t] = dl/dh[t]")
        else:
            D = Tensor("D", (L_, n, n), "D", "bracket")
            element = sp.Sum(g[t, r] * D[t, r, j], (r, 0, n - 1), (t, T_ - 1, L_ - 1))
            extra = {"D": D}
            time_axes = {"g": (0,), "D": (0,)}
            note = ("sum over every later step with total Jacobians D[t] = dh[t]/dh[T] "
                    "(D[T] = I) and direct partials g[t]")

        def prepare(arrays: dict, sizes: dict) -> dict:
            subs = {k: sp.Integer(v) for k, v in sizes.items()}
            L, at = int(L_.xreplace(subs)), int(T_.xreplace(subs))
            if not 1 <= at <= L:
                raise ShapeError(f"T = {at} is outside the sequence 1..{L}")
            _, Jarr = self.unroll(arrays["x"], arrays["Q"], arrays["K"], arrays["V"], sizes)
            if via == "recursion":
                return {"g": arrays["g"], "delta": backward(arrays["g"], Jarr), "J": Jarr}
            return {"g": arrays["g"], "D": total_jacobians(Jarr, at)}

        params = tuple(self.model.tensors[p] for p in _PARAMS)
        return AttentionQuantity(
            _frac(r"\ell", f"h[{sp.latex(T_)}]"), element, (j,), (n,),
            tensors={**self.model.tensors, "x": seq_x, "g": g, "h_T": h_T, **extra},
            inputs=(seq_x, *params, g), lhs=(r"\ell", h_T), prepare=prepare,
            layout="gradient", structure=note, sizes=self.sizes,
            size_names=self._size_names(*(T_.free_symbols | L_.free_symbols), states=False),
            time_axes={"x": (0,), **time_axes})


class Series(NamedTuple):
    """A tensor that a quantity's printed recursion reads at every step 1..L: ``tensor``
    is one step of it (its LaTeX at step t), ``values`` the key of its values stacked over
    the steps in what ``prepare`` returns, ``base`` the first lag of a family over lags
    (dh[t]/dh[t-i], i = 1, 2, ...) and ``zero_before`` whether it is 0 before step 1."""

    tensor: Tensor
    values: str
    base: int | None = None
    zero_before: bool = False


class _TextQuantity(AttentionQuantity):
    """A quantity evaluated from prepared arrays and printed as its recursion."""

    def __init__(self, *args, text: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.text = text

    @property
    def matrix(self) -> None:
        return None

    def latex(self, form: str = "index", index_base: int = 1) -> str:
        """The recursion that defines it (the same in index and matrix form)."""
        self.check_latex_args(form, index_base)
        return self.text
