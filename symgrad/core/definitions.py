"""A model's definitions and its graph: declared tensors, named definitions in index
notation, lagged tensors (``h[t-1]``), and the names they are read by.

``Graph`` is the base of ``core.model.Model``: it declares and defines tensors and answers
what each definition reads and how a name as written (``h[t-1]``, ``\\mathbf{W}``)
resolves. The chain rule (``core.chain_rule``), the forward pass (``core.forward``), the
matrix-notation reader (``core.matrix_notation``) and the results (``core.results``) are
built on it. Definitions given in matrix notation are passed on to ``equation``
(``core.matrix_notation.MatrixNotation``).
"""

from __future__ import annotations

import itertools
import keyword
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import sympy as sp

from .errors import ShapeError, UnknownNameError
from .ops import OPS, elementwise_ops
from .services import service
from .shapes import ShapeSpec, dims_text, parse_shape
from .tensor import Tensor, as_dim, as_expr, index

Rule = Callable[[tuple, tuple], sp.Expr]


@dataclass(frozen=True)
class Definition:
    """``tensor[indices] = expr``, with optional partial-derivative rules per dependency."""

    tensor: Tensor
    indices: tuple[sp.Symbol, ...]
    expr: sp.Expr
    rules: dict[str, Rule] = field(default_factory=dict)
    op: str = ""

    def at(self, indices: Sequence[sp.Expr]) -> sp.Expr:
        return self.expr.xreplace(dict(zip(self.indices, indices, strict=True)))


ELEMENTWISE = elementwise_ops()  # {head: Op} from the one table of operations
_RESERVED = {"numpy", "builtins", "math", "mpmath", "range", "sum", "_at",
             *(f"_op_{name}" for name in OPS)}


def same_dim(a: sp.Expr, b: sp.Expr) -> bool:
    return a == b or sp.simplify(as_expr(a) - as_expr(b)) == 0


_DECOR = re.compile(r"\\(?:mathbf|boldsymbol|bm|vec|hat|tilde|bar|overline|widehat|widetilde|"
                    r"mathrm|mathit|mathsf|mathcal|check|dot|ddot)\s*\{([^{}]*)\}")


def _plain(text: str) -> str:
    r"""A name without decorations or spaces: ``\mathbf{W}`` -> ``W``, ``\alpha`` -> ``alpha``."""
    s = re.sub(r"\s+", "", text)
    s = re.sub(r"\[t\]$", "", s)
    while _DECOR.search(s):
        s = _DECOR.sub(r"\1", s)
    return re.sub(r"_\{(\w)\}", r"_\1", s.replace("\\", ""))


def time_key(text: str) -> str:
    """``h_t``, ``h_{t-1}``, ``h(t)``, ``h^{(t-1)}`` -> ``h[t]``, ``h[t-1]`` (other names
    unchanged): the notation layer's reading of time marks (one resolver for claims, models
    and these keys)."""
    return service("time_key")(text)


def parse_step(text: str):
    """``h[t-1]``, ``h[t-k]``, ``h[3]`` as the notation layer's ``Step`` (name, offset,
    absolute; ``symgrad.notation.time``), None for a name without a time mark; a negative
    or fractional step is an ``UnknownNameError``."""
    return service("parse_step")(text)


def map_steps(text: str, fn: Callable[[int], str]) -> str:
    """Every time mark ``[t]``, ``[t-1]``, ``[t+2]`` of a display string replaced by
    ``[fn(offset)]`` (``symgrad.notation.time``)."""
    return service("map_steps")(text, fn)


def at_step(text: str, t: int) -> str:
    """A display string written at the absolute step ``t``: ``c[t] h[t-1]`` -> ``c[3] h[2]``."""
    return map_steps(text, lambda d: str(t + d))


def identifier(text: str) -> str:
    """A Python identifier for a name as written: ``\\tilde{h}`` -> ``tilde_h``."""
    s = re.sub(r"\\([A-Za-z]+)\s*\{([^{}]*)\}", r"\1_\2", text)
    s = re.sub(r"[^0-9A-Za-z_]+", "_", s.replace("\\", "")).strip("_")
    s = re.sub(r"_+", "_", s)
    if not s or s[0].isdigit():
        s = "v_" + s
    if keyword.iskeyword(s) or s in _RESERVED:
        s += "_"
    return s


class Graph:
    """Tensors (inputs, parameters, states) and the definitions computed from them."""

    def __init__(self, name: str = "model") -> None:
        self.name = name
        self.tensors: dict[str, Tensor] = {}
        self.kinds: dict[str, str] = {}
        self.definitions: dict[str, Definition] = {}
        self.lags: dict[str, tuple[str, int | None]] = {}
        self.source: dict[str, str] = {}
        self.notes: list[str] = []
        self._star = False
        self._base_shapes: dict[str, tuple] = {}
        self._auto: dict[sp.Basic, str] = {}
        self._counter = itertools.count()
        self._memo: dict[tuple[str, str], tuple[sp.Expr, tuple, tuple]] = {}
        self._wrt_indices: dict[str, tuple[sp.Symbol, ...]] = {}
        self._read_cache: dict[str, tuple[Definition, frozenset]] = {}
        self._depends_cache: dict[tuple[str, str, int], bool] = {}
        self.one_hot: set[str] = set()

    def _add(self, tensor: Tensor, kind: str) -> Tensor:
        if tensor.name in self.tensors:
            raise ShapeError(f"{tensor.name} is defined twice in {self.name}")
        self.tensors[tensor.name] = tensor
        self.kinds[tensor.name] = kind
        return tensor

    def input(self, name: str, shape: ShapeSpec, latex: str = "", style: str = "subscript",
              kind: str = "input") -> Tensor:
        """Declare a tensor the model reads: ``kind`` is input, param or state.

        ``shape`` is a tuple of sizes or a string such as ``"m x n"``.
        """
        return self._add(Tensor(name, parse_shape(shape), latex, style), kind)

    def declare_one_hot(self, name: str) -> None:
        """Declare a vector one-hot (or any distribution): its entries sum to 1, so
        sum_k y_k is written 1 in results (softmax + cross-entropy gives p - y)."""
        t = self.tensor(self.resolve(name))
        if t.rank != 1:
            raise ShapeError(f"only a vector is one-hot; {t.latex} has shape "
                             f"{dims_text(t.shape)}")
        self.one_hot.add(t.name)

    def param(self, name: str, shape: ShapeSpec, latex: str = "") -> Tensor:
        """Declare a parameter (shared by every time step)."""
        return self.input(name, shape, latex, kind="param")

    def lagged(self, base: str, lag: int | None = 1, shape: ShapeSpec | None = None,
               rows: int | sp.Expr | None = None, latex: str = "", kind: str = "state",
               name: str = "") -> Tensor:
        """``base`` at time t - lag: ``h_prev`` for h[t-1], ``h_prev2`` for h[t-2].

        ``lag=None`` declares the history ``h_hist`` with ``rows`` rows, row r holding
        h[t-r-1] (for sums over h[t-i]). ``base`` may be defined later (a state).
        ``name`` replaces the default name.
        """
        if base in self.tensors:
            base_shape = self.tensors[base].shape
            if shape is not None and parse_shape(shape) != base_shape:
                raise ShapeError(f"{base} has shape {dims_text(base_shape)}, not "
                                 f"{dims_text(parse_shape(shape))}")
        elif base in self._base_shapes:
            base_shape = self._base_shapes[base]
        elif shape is not None:
            base_shape = parse_shape(shape)
        else:
            raise ShapeError(f"the shape of {base} is not known: give shape=")
        self._base_shapes.setdefault(base, base_shape)
        if lag is None:
            if rows is None:
                raise ShapeError(f"the history of {base} needs rows= (how many steps back)")
            name = name or f"{base}_hist"
            full = (as_dim(rows, "rows"), *base_shape)
            text = latex or rf"{base}_{{\mathrm{{past}}}}"
        else:
            if isinstance(lag, bool) or not isinstance(lag, int) or lag < 1:
                raise ShapeError(f"a lag is a positive integer, got {lag!r}")
            name = name or f"{base}_prev" + ("" if lag == 1 else str(lag))
            full = base_shape
            text = latex or f"{base}[t-{lag}]"
        if name in self.tensors:
            if self.lags.get(name) != (base, lag) or self.tensors[name].shape != full:
                raise ShapeError(f"{name} is already a tensor of {self.name}")
            return self.tensors[name]
        tensor = self._add(Tensor(name, full, text), kind)
        self.lags[name] = (base, lag)
        return tensor

    def state(self, name: str, shape: ShapeSpec, lag: int = 1, latex: str = "") -> Tensor:
        """Declare the state ``name`` read at t - lag (``h_prev``); define ``name`` later."""
        return self.lagged(name, lag, shape, latex=latex)

    def sym(self, name: str) -> sp.Symbol:
        """The matrix-notation symbol of a tensor (non-commutative)."""
        self.tensor(name)
        return sp.Symbol(name, commutative=False)

    def symbols(self, *names: str) -> tuple[sp.Symbol, ...]:
        """Matrix-notation symbols of several tensors."""
        return tuple(self.sym(n) for n in names)

    def define(self, name: str, shape: ShapeSpec | sp.Basic,
               indices: Sequence[sp.Symbol] | None = None, expr: sp.Expr | None = None,
               latex: str = "", style: str = "subscript", rules: dict[str, Rule] | None = None,
               op: str = "") -> Tensor:
        """Define ``name[indices] = expr`` from tensors declared before it.

        In matrix notation, ``define(name, rhs)`` with ``rhs`` built from ``sym(...)``
        symbols and the heads of ``symgrad.core.ops`` (shape inferred; see ``equation``).
        """
        if indices is None and expr is None:
            if not isinstance(shape, sp.Basic):
                raise ShapeError(f"define({name!r}, ...) takes a shape, indices and an "
                                 f"element, or one matrix-notation expression")
            return self.equation(name, shape, latex=latex, style=style)
        if indices is None or expr is None:
            raise ShapeError(f"define({name!r}, ...) in index notation needs indices and expr")
        tensor = Tensor(name, parse_shape(shape), latex, style)
        missing = self.expr_reads(expr) - set(self.tensors)
        if missing:
            raise UnknownNameError(f"{name} reads undeclared tensors {sorted(missing)}; "
                                   f"declared: {sorted(self.tensors)}")
        self._check_state_shape(name, tensor.shape)
        self._add(tensor, "defined")
        self.definitions[name] = Definition(tensor, tuple(indices), expr, rules or {}, op)
        return tensor

    def _check_state_shape(self, name: str, shape: tuple) -> None:
        want = self._base_shapes.get(name)
        if want is not None and (len(want) != len(shape)
                                 or not all(same_dim(a, b) for a, b in zip(want, shape))):
            raise ShapeError(f"{name} has shape {dims_text(shape)} but its earlier steps "
                             f"were declared {dims_text(want)}")

    def elementwise(self, name: str, fn: type[sp.Function], arg: Tensor, latex: str = "",
                    style: str = "subscript") -> Tensor:
        """``name = fn(arg)`` element by element, its derivative written with ``name``."""
        entry = ELEMENTWISE[fn]
        op, rule = entry.latex, entry.rule
        idx = self.fresh_indices(arg.rank)
        out = Tensor(name, arg.shape)

        def partial(I, K):
            return rule(out[I], arg[I]) * sp.Mul(*map(sp.KroneckerDelta, I, K))

        return self.define(name, arg.shape, idx, fn(arg[idx]), latex, style,
                           {arg.name: partial}, op)

    def softargmax(self, name: str, arg: Tensor, latex: str = "", style: str = "subscript"
                   ) -> Tensor:
        """``name = softargmax(arg)`` over the last axis (row-wise for a matrix);
        for a vector, d name_i / d arg_j = a_i (delta_ij - a_j)."""
        if arg.rank < 1:
            raise ShapeError(f"softargmax of the scalar {arg.latex} is 1; give a vector")
        idx, r = self.fresh_indices(arg.rank), self.fresh_index("r")
        lead = idx[:-1]
        expr = sp.exp(arg[idx]) / sp.Sum(sp.exp(arg[(*lead, r)]), (r, 0, arg.shape[-1] - 1))
        out = Tensor(name, arg.shape)

        def partial(I, K):
            same = sp.Mul(*map(sp.KroneckerDelta, I[:-1], K[:-1]))
            return same * out[I] * (sp.KroneckerDelta(I[-1], K[-1]) - out[(*I[:-1], K[-1])])

        return self.define(name, arg.shape, idx, expr, latex, style, {arg.name: partial},
                           "softargmax")

    def fresh_index(self, stem: str = "k") -> sp.Symbol:
        return index(f"{stem}_{next(self._counter)}")

    def fresh_indices(self, n: int, stem: str = "k") -> tuple[sp.Symbol, ...]:
        return tuple(self.fresh_index(stem) for _ in range(n))

    def fresh_name(self, stem: str) -> str:
        """A tensor name not yet taken: ``stem``, ``stem2``, ..."""
        name, k = stem, 1
        while name in self.tensors:
            k += 1
            name = f"{stem}{k}"
        return name

    _fresh_name = fresh_name  # the name symgrad.notation.equations calls

    # structure ----------------------------------------------------------------
    def expr_reads(self, expr: sp.Expr) -> set[str]:
        """Names of the tensors that an expression reads."""
        names = {str(b.label) for b in expr.atoms(sp.Indexed) for b in [b.base]}
        names |= {s.name for s in expr.free_symbols
                  if s.name in self.tensors and not s.is_integer}
        return names

    def reads(self, name: str) -> set[str]:
        """Names of the tensors that ``name``'s definition reads directly."""
        d = self.definitions.get(name)
        if d is None:
            return set()
        hit = self._read_cache.get(name)
        if hit is None or hit[0] is not d:  # computed once per definition
            hit = self._read_cache[name] = (d, frozenset(self.expr_reads(d.expr)))
        return set(hit[1])

    def depends(self, name: str, on: str) -> bool:
        if name == on:
            return True
        key = (name, on, len(self.definitions))
        if key not in self._depends_cache:
            self._depends_cache[key] = any(self.depends(dep, on) for dep in self.reads(name))
        return self._depends_cache[key]

    def tensor(self, name: str) -> Tensor:
        if name not in self.tensors:
            raise UnknownNameError(f"no tensor {name!r} in {self.name}; "
                                   f"known: {', '.join(self.tensors)}")
        return self.tensors[name]

    def resolve(self, name: str) -> str:
        """The internal name of a tensor named as written: ``h[t-1]`` -> ``h_prev``;
        ``h_{t-1}`` and ``h^{(t-1)}`` as well, and ``y`` for ``\\mathbf{y}`` if unambiguous."""
        if name in self.tensors:
            return name
        raw = re.sub(r"\s+", "", name)
        for key in dict.fromkeys((raw, time_key(raw))):
            for t in self.tensors.values():
                if re.sub(r"\s+", "", t.latex) == key:
                    return t.name
            step = parse_step(key)
            if step is not None and not step.absolute:
                base = self.written_name(step.name)
                lag = step.lag if isinstance(step.lag, int) else None
                if base is not None and lag == 0:
                    return base
                for lname, (b, k) in self.lags.items():
                    if b == base and k == lag:
                        return lname
            base = self.written_name(key)
            if base is not None:
                return base
        raise UnknownNameError(f"no tensor {name!r} in {self.name}; known: "
                               + ", ".join(self._known()))

    def _known(self) -> list[str]:
        """Names as written, with the rows of each history (``h[t-1]``, ...)."""
        out = []
        for n, t in self.tensors.items():
            base, lag = self.lags.get(n, (None, 0))
            rows = t.shape[0] if lag is None else None
            if rows is not None and rows.is_Integer:
                latex = re.sub(r"\[t\]$", "", self.tensors[base].latex)
                steps = ", ".join(f"{latex}[t-{r + 1}]" for r in range(int(rows)))
                out.append(f"{t.latex} (rows {steps}; jacobian() takes each row)")
            else:
                out.append(t.latex)
        return out

    def history_row(self, name: str) -> tuple[str, int] | None:
        """``h[t-r]`` read through a history ``h_hist`` (a sum over h[t-i]): (hist, r - 1)."""
        step = parse_step(name)
        if step is None or step.absolute or not isinstance(step.lag, int) or step.lag < 0:
            return None
        base = self.written_name(step.name)
        if base is None:
            return None
        lag = step.lag
        for lname, (b, k) in self.lags.items():
            rows = self.tensors[lname].shape[0]
            if b == base and k is None and lag >= 1 and not (rows.is_Integer and lag > rows):
                return lname, lag - 1
        return None

    def written_name(self, key: str) -> str | None:
        for t in self.tensors.values():
            if t.name == key or re.sub(r"\s+|\[t\]$", "", t.latex) == key:
                return t.name
        ident = identifier(key)
        if ident in self.tensors:
            return ident
        plain = _plain(key)
        hits = [t.name for t in self.tensors.values()
                if t.name not in self.lags and _plain(t.latex) == plain]
        return hits[0] if len(hits) == 1 else None

    def states(self) -> dict[str, list[str]]:
        """Defined tensors read at earlier steps, with their lagged tensors."""
        out: dict[str, list[str]] = {}
        for lname, (base, _) in self.lags.items():
            if base in self.definitions:
                out.setdefault(base, []).append(lname)
        return out

    def needed(self, names: set[str]) -> set[str]:
        """The tensors in ``names`` and every tensor their definitions read, recursively."""
        out, todo = set(), list(names)
        while todo:
            n = todo.pop()
            if n in out or n not in self.tensors:
                continue
            out.add(n)
            todo.extend(self.reads(n))
        return out

    def graph(self) -> list[tuple[str, str, str, tuple[str, ...], str]]:
        """(name, latex, kind, reads, op) for every tensor, in definition order."""
        return [(n, t.latex, self.kinds[n], tuple(sorted(self.reads(n))),
                 self.definitions[n].op if n in self.definitions else "")
                for n, t in self.tensors.items()]

    def size_names(self, *extra: sp.Symbol) -> tuple:
        """The model's sizes (positive symbols in shapes) and ``extra``, sorted."""
        free = set(extra)
        for t in self.tensors.values():
            for d in t.shape:
                free |= {s for s in d.free_symbols if s.is_positive}
        return tuple(sorted(free, key=str))
