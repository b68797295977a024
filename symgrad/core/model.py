"""A model is a graph of named definitions in index notation; the chain rule runs over it.

Each definition states one tensor's element, e.g. ``c[i] = sigmoid(z[i])``. The total
derivative of a tensor with respect to another is the sum, over the tensors its
definition reads, of (partial derivative) x (total derivative of that tensor), with
the Kronecker-delta sums collapsed. Known derivative rules are stated in terms of the
named output (sigma' = c (1 - c), softargmax' = diag(a) - a a^T), so results are
written in the model's own intermediates.

Definitions may also be given in matrix notation (``define("c", sigmoid(W_c * x))`` with
non-commutative tensor symbols and the heads of ``symgrad.core.ops``); they are turned
into index notation here, naming the products and arguments that need a name. A tensor
read at an earlier time step (``h[t-1]``) is a lagged tensor (``h_prev``); with one, the
model is recurrent and ``grad(..., steps=K)`` back-propagates through time.
"""

from __future__ import annotations

import itertools
import keyword
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import sympy as sp

from .errors import ShapeError, SymgradError, UnknownNameError
from .evaluate import element_plan, evaluate_element
from .ops import OPS, At, Diag, Hadamard, Softargmax, Transposed, elementwise_ops, op_of
from .quantity import readable
from .services import service
from .shapes import ShapeSpec, dims_text, parse_shape
from .simplify import Ranges, canonical_sums, collapse, split_sums
from .tensor import Tensor, as_dim, as_expr, index, ranges_for, size
from .unroll import MatrixPrinter, ModelQuantity, StepChain, Unrolled
from .zero import Point

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


_ELEMENTWISE = elementwise_ops()  # {head: Op} from the one table of operations
_SLUG = {head: op.slug or op.name for head, op in {**_ELEMENTWISE,
                                                    Softargmax: op_of(Softargmax)}.items()}
_RESERVED = {"numpy", "builtins", "math", "mpmath", "range", "sum", "_at",
             *(f"_op_{name}" for name in OPS)}
_INDEX_LETTERS = "ijklpqrsuvabcdefgh"
GIVEN = ("total", "direct")


def _same(a: sp.Expr, b: sp.Expr) -> bool:
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


# matrix notation -> index notation -----------------------------------------------------
@dataclass
class _Term:
    """A matrix-notation operand: its shape and its element at given indices."""

    shape: tuple
    at: Callable[[tuple], sp.Expr]
    row: bool = False
    tensor: Tensor | None = None
    product: bool = False


def _scalar(e: sp.Expr) -> _Term:
    return _Term((), lambda I, e=e: e)


class _NotationError(SymgradError):
    """Internal carrier, re-raised with the definition's site."""


class Model:
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

    @classmethod
    def from_latex(cls, text: str, shapes: Mapping[str, ShapeSpec], name: str = "model",
                   index_base: int = 1) -> Model:
        """A model from equations in homework LaTeX, one per line or separated by ``\\\\``.

        ``shapes`` maps names as written (``x`` covers ``x[t]``, ``h`` covers ``h[t]``
        and ``h[t-1]``) to shapes such as ``"m x n"``; see ``symgrad.notation.equations``.
        """
        return service("model_from_latex")(text, shapes, name=name, index_base=index_base)

    # building -----------------------------------------------------------------
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
        missing = self._reads(expr) - set(self.tensors)
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
                                 or not all(_same(a, b) for a, b in zip(want, shape))):
            raise ShapeError(f"{name} has shape {dims_text(shape)} but its earlier steps "
                             f"were declared {dims_text(want)}")

    def elementwise(self, name: str, fn: type[sp.Function], arg: Tensor, latex: str = "",
                    style: str = "subscript") -> Tensor:
        """``name = fn(arg)`` element by element, its derivative written with ``name``."""
        entry = _ELEMENTWISE[fn]
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

    # matrix notation ------------------------------------------------------------
    def equation(self, name: str, rhs: sp.Expr, indices: Sequence[sp.Symbol] | None = None,
                 shape: ShapeSpec | None = None, latex: str = "", style: str = "subscript",
                 where: str = "", star: bool = False) -> Tensor:
        """Define ``name`` from a matrix-notation right side (or an element, with ``indices``).

        ``rhs`` uses non-commutative tensor symbols (``sym``), products (matrix-vector,
        matrix-matrix, outer), ``Hadamard``, ``Transposed``, ``Diag``, element-wise
        sigmoid / tanh / exp / log / relu, ``Softargmax`` (row-wise for a matrix), sums,
        ``At(expr, i)`` entries and full index notation. Products inside Hadamard products
        and arguments of element-wise functions become named intermediates. ``shape``,
        when given, is checked; ``where`` prefixes error messages (an equation's text).
        With ``star`` (the equation wrote ``*``), a product of two operands of one shape
        that is no matrix product is read as element-wise, and a note is added to ``notes``.
        """
        where = where or f"the definition of {name}"
        declared = None if shape is None else parse_shape(shape)
        self._star = star
        try:
            return self._define_matrix(name, as_expr(rhs), latex, style, where, declared,
                                       None if indices is None else tuple(indices))
        except _NotationError as exc:
            raise ShapeError(f"{where}: {exc}") from None
        finally:
            self._star = False

    def concat(self, name: str, parts: Sequence[sp.Expr], latex: str = "", where: str = ""
               ) -> Tensor:
        """``name = [p_1; p_2; ...]``: column vectors (matrix notation) stacked into one."""
        where = where or f"the definition of {name}"
        tensors = []
        try:
            for p in parts:
                p = as_expr(p)
                term = self._convert(p, where, name)
                if len(term.shape) != 1 or term.row:
                    raise _NotationError(f"cannot stack {self._operand(p, term)}: only column "
                                         f"vectors are concatenated")
                tensors.append(self._as_tensor(p, where, f"{name}_part"))
        except _NotationError as exc:
            raise ShapeError(f"{where}: {exc}") from None
        i, offset, expr = self.fresh_index("i"), sp.Integer(0), sp.Integer(0)
        for t in tensors:
            a = self.fresh_index("a")
            expr += sp.Sum(t[a] * sp.KroneckerDelta(i, a + offset), (a, 0, t.shape[0] - 1))
            offset += t.shape[0]
        return self.define(name, (offset,), (i,), expr, latex or r"\left[%s\right]" % "; ".join(
            t.latex for t in tensors))

    def _define_matrix(self, name: str, rhs: sp.Expr, latex: str, style: str, where: str,
                       declared: tuple | None, indices: tuple | None) -> Tensor:
        fn = type(rhs)
        if indices is None and (fn in _ELEMENTWISE or fn is Softargmax):
            arg = self._convert(rhs.args[0], where, name)
            if arg.shape:
                argt = self._as_tensor(rhs.args[0], where, f"z_{name}")
                self._check_declared(name, declared, argt.shape, where)
                if fn is Softargmax:
                    return self.softargmax(name, argt, latex, style)
                return self.elementwise(name, fn, argt, latex, style)
        term = self._convert(rhs, where, name)
        if indices is not None:
            if term.shape:
                raise _NotationError(f"the left side {name} is indexed but the right side is "
                                     f"a {dims_text(term.shape)} {self._kind(term)}")
            expr = term.at(())
            shape_ = declared if declared is not None else self._infer(name, indices, expr)
            if len(shape_) != len(indices):
                raise _NotationError(f"{name} has {len(shape_)} axes, written with "
                                     f"{len(indices)} indices")
            return self.define(name, shape_, indices, expr, latex, style)
        self._check_declared(name, declared, term.shape, where)
        idx = self.fresh_indices(len(term.shape))
        return self.define(name, term.shape, idx, term.at(idx), latex, style)

    def _check_declared(self, name: str, declared: tuple | None, shape: tuple, where: str
                        ) -> None:
        if declared is not None and (len(declared) != len(shape) or not all(
                _same(a, b) for a, b in zip(declared, shape))):
            raise _NotationError(f"{name} is declared {dims_text(declared)} but the right "
                                 f"side is {dims_text(shape)}")

    def _infer(self, name: str, indices: tuple, expr: sp.Expr) -> tuple:
        """Sizes of the left side's indices from the tensors that the right side reads."""
        out = []
        for i in indices:
            found = None
            for acc in sorted(expr.atoms(sp.Indexed), key=sp.default_sort_key):
                t = self.tensors.get(str(acc.base.label))
                if t is not None and i in acc.indices:
                    found = t.shape[list(acc.indices).index(i)]
                    break
            if found is None:
                raise _NotationError(f"the size of {name}'s index {i} cannot be inferred; "
                                     f"declare the shape of {name}")
            out.append(found)
        return tuple(out)

    def _latex_of(self, e: sp.Expr) -> str:
        return MatrixPrinter(self.tensors).doprint(e)

    def _kind(self, term: _Term) -> str:
        return {0: "scalar", 1: "row vector" if term.row else "vector", 2: "matrix"}.get(
            len(term.shape), "tensor")

    def _operand(self, e: sp.Expr, term: _Term) -> str:
        return f"{self._latex_of(e)} ({dims_text(term.shape)}{', a row' if term.row else ''})"

    def _as_tensor(self, e: sp.Expr, where: str, hint: str) -> Tensor:
        """A tensor for a matrix expression: itself, or a named intermediate."""
        if isinstance(e, sp.Symbol) and e.name in self.tensors and not e.is_integer:
            return self.tensors[e.name]
        if e in self._auto:
            return self.tensors[self._auto[e]]
        bound = sorted(s.name for s in e.free_symbols if s.is_integer and not s.is_positive)
        if bound:
            raise _NotationError(f"{self._latex_of(e)} depends on the index {bound[0]}: "
                                 f"define it as its own equation")
        name = self._auto_name(e, hint)
        text = self._latex_of(e)
        if e.has(sp.Sum, sp.Indexed):
            stem, _, sub = name.partition("_")
            text = f"{stem}_{{{sub}}}" if sub else stem
        tensor = self._define_matrix(name, e, text, "subscript", where, None, None)
        self._auto[e] = name
        return tensor

    def _auto_name(self, e: sp.Expr, hint: str) -> str:
        parts = []
        for f in sp.Mul.make_args(e) if isinstance(e, sp.Mul) else ():
            if isinstance(f, sp.Symbol) and f.name in self.tensors:
                parts.append(f.name)
            elif isinstance(f, Transposed) and isinstance(f.args[0], sp.Symbol):
                parts.append(f.args[0].name + "T")
            elif not f.is_number:
                parts = []
                break
        if type(e) in _SLUG and isinstance(e.args[0], sp.Symbol):
            parts = [_SLUG[type(e)], e.args[0].name]
        stem = identifier("_".join(parts) if parts else hint)
        name, k = stem, 1
        while name in self.tensors or name in self._base_shapes:
            k += 1
            name = f"{stem}{k}"
        return name

    def _convert(self, e: sp.Expr, where: str, owner: str) -> _Term:
        """A matrix-notation expression as a _Term (shape + element)."""
        if isinstance(e, sp.Symbol):
            t = self.tensors.get(e.name)
            if t is not None and not e.is_integer:
                return _Term(t.shape, lambda I, t=t: t[I], tensor=t)
            if not e.is_commutative:
                raise UnknownNameError(f"{where}: {e.name} is not a tensor of {self.name}; "
                                       f"declared: {', '.join(self.tensors)}")
            return _scalar(e)
        if isinstance(e, sp.Indexed):
            return self._element(e, where)
        if isinstance(e, At):
            inner = self._convert(e.args[0], where, owner)
            idx = tuple(e.args[1:])
            if len(idx) != len(inner.shape):
                raise _NotationError(f"{self._operand(e.args[0], inner)} has "
                                     f"{len(inner.shape)} axes, indexed with {len(idx)}")
            return _scalar(inner.at(idx))
        if isinstance(e, sp.Sum):
            body = self._convert(e.function, where, owner)
            return _Term(body.shape, lambda I: sp.Sum(body.at(I), *e.limits), row=body.row)
        if isinstance(e, sp.Add):
            return self._elementwise_terms(e, list(e.args), where, owner, sp.Add, "add")
        if isinstance(e, Hadamard):
            return self._elementwise_terms(e, list(e.args), where, owner, sp.Mul, "hadamard")
        if isinstance(e, sp.Mul):
            return self._product(e, where, owner)
        if isinstance(e, sp.Pow):
            return self._power(e, where, owner)
        if isinstance(e, Transposed):
            return self._transpose(self._convert(e.args[0], where, owner))
        if isinstance(e, Diag):
            v = self._convert(e.args[0], where, owner)
            if len(v.shape) != 1:
                raise _NotationError(f"diag takes a vector, not {self._operand(e.args[0], v)}")
            return _Term((v.shape[0],) * 2,
                         lambda I: v.at(I[:1]) * sp.KroneckerDelta(I[0], I[1]))
        if type(e) in _ELEMENTWISE or isinstance(e, Softargmax):
            arg = self._convert(e.args[0], where, owner)
            if not arg.shape:
                if isinstance(e, Softargmax):
                    raise _NotationError(f"softargmax of the scalar {self._latex_of(e.args[0])}")
                return _scalar(type(e)(arg.at(())))
            if arg.row:
                raise _NotationError(f"{self._operand(e.args[0], arg)}: apply element-wise "
                                     f"functions to column vectors")
            t = self._as_tensor(e, where, f"{_SLUG[type(e)]}_{owner}")
            return _Term(t.shape, lambda I, t=t: t[I], tensor=t)
        if isinstance(e, sp.Expr) and e.is_commutative and not e.has(At):
            unknown = self._reads(e) - set(self.tensors)
            unknown |= {str(a.base.label) for a in e.atoms(sp.Indexed)} - set(self.tensors)
            if unknown:
                raise UnknownNameError(f"{where}: unknown tensors {sorted(unknown)}")
            return _scalar(e)
        raise _NotationError(f"{type(e).__name__} is not supported in a definition "
                             f"({self._latex_of(e)})")

    def _element(self, e: sp.Indexed, where: str) -> _Term:
        name = str(e.base.label)
        t = self.tensors.get(name)
        if t is None:
            raise UnknownNameError(f"{where}: {name} is not a tensor of {self.name}; "
                                   f"declared: {', '.join(self.tensors)}")
        idx = tuple(e.indices)
        if len(idx) == t.rank:
            return _scalar(t[idx])
        if len(idx) < t.rank:
            return _Term(t.shape[len(idx):], lambda I, t=t, idx=idx: t[(*idx, *I)])
        raise _NotationError(f"{t.latex} has {t.rank} axes, indexed with {len(idx)}")

    def _elementwise_terms(self, e: sp.Expr, args: list, where: str, owner: str, op,
                           what: str) -> _Term:
        terms = [self._convert(a, where, owner) for a in args]
        if what == "hadamard":
            terms = [self._named(a, t, where) if t.product else t for a, t in zip(args, terms)]
        return self._broadcast(list(zip(args, terms)), op, what)

    def _broadcast(self, pairs: list, op, what: str) -> _Term:
        """Operands combined entry by entry; lower ranks broadcast over the leading axes."""
        shaped = [(a, t) for a, t in pairs if t.shape]
        if not shaped:
            return _scalar(op(*[t.at(()) for _, t in pairs]))
        a0, t0 = max(shaped, key=lambda p: len(p[1].shape))
        r0 = len(t0.shape)
        for a, t in shaped:
            r = len(t.shape)
            if not (all(_same(x, y) for x, y in zip(t.shape, t0.shape[r0 - r:]))
                    and (r < r0 or t.row == t0.row)):
                verb = {"add": "add", "hadamard": "multiply element-wise"}.get(what, what)
                raise _NotationError(f"cannot {verb} {self._operand(a0, t0)} and "
                                     f"{self._operand(a, t)}")
        terms = [t for _, t in pairs]

        def at(I):
            return op(*[t.at(tuple(I[len(I) - len(t.shape):])) if t.shape else t.at(())
                        for t in terms])
        return _Term(t0.shape, at, row=t0.row)

    def _named(self, e: sp.Expr, term: _Term, where: str) -> _Term:
        t = self._as_tensor(e, where, "prod")
        return _Term(t.shape, lambda I, t=t: t[I], row=term.row, tensor=t)

    def _product(self, e: sp.Mul, where: str, owner: str) -> _Term:
        scalars, chain, divisors = [], [], []
        for a in e.args:
            t = self._convert(a, where, owner)
            if t.shape and isinstance(a, sp.Pow) and a.exp.is_number and a.exp < 0:
                divisors.append((a, t))
            else:
                (chain if t.shape else scalars).append((a, t))
        if divisors:
            rest = sp.Mul(*[a for a, _ in scalars + chain])
            return self._broadcast([(rest, self._convert(rest, where, owner)), *divisors],
                                   sp.Mul, "divide element-wise")
        if not chain:
            return _scalar(sp.Mul(*[t.at(()) for _, t in scalars]))
        acc = self._chain(chain, where)
        coeff = [t for _, t in scalars]

        def at(I):
            return sp.Mul(*[t.at(()) for t in coeff]) * acc.at(I)
        return _Term(acc.shape, at, row=acc.row, product=acc.product)

    def _chain(self, chain: list, where: str) -> _Term:
        """Matrix products left to right; with ``*`` written, a chain that is none is split
        into two chains of one shape, multiplied element-wise (``W x * U h``)."""
        acc_e, acc = chain[0]
        try:
            for b_e, b in chain[1:]:
                acc = self._matmul(acc_e, acc, b_e, b)
                acc_e = acc_e * b_e
            return acc
        except _NotationError as exc:
            if not self._star:
                raise
            error = exc
        for k in range(1, len(chain)):
            try:
                a, b = self._chain(chain[:k], where), self._chain(chain[k:], where)
            except _NotationError:
                continue
            if (a.shape and a.row == b.row and len(a.shape) == len(b.shape)
                    and all(_same(x, y) for x, y in zip(a.shape, b.shape))):
                a_e = sp.Mul(*[e for e, _ in chain[:k]])
                b_e = sp.Mul(*[e for e, _ in chain[k:]])
                return self._star_product(a_e, a, b_e, b, where)
        raise error

    def _star_product(self, a_e: sp.Expr, a: _Term, b_e: sp.Expr, b: _Term, where: str
                      ) -> _Term:
        """``a * b`` of one shape, no matrix product: element-wise, noted in ``notes``."""
        note = (f"{where}: {self._latex_of(a_e)} * {self._latex_of(b_e)} is read as the "
                f"element-wise (Hadamard) product")
        if note not in self.notes:
            self.notes.append(note)
        pairs = [(e, self._named(e, t, where) if t.product else t)
                 for e, t in ((a_e, a), (b_e, b))]
        return self._broadcast(pairs, sp.Mul, "hadamard")

    def _matmul(self, a_e: sp.Expr, a: _Term, b_e: sp.Expr, b: _Term) -> _Term:
        ra, rb = len(a.shape), len(b.shape)
        if ra > 2 or rb > 2:
            raise _NotationError(f"{self._operand(a_e, a)} times {self._operand(b_e, b)}: "
                                 f"write products of tensors of rank 3 or more as index sums")
        if ra == 1 and not a.row and rb == 1 and b.row:
            return _Term(a.shape + b.shape, lambda I: a.at(I[:1]) * b.at(I[1:]), product=True)
        inner_a = a.shape[-1]
        inner_b = b.shape[0]
        if (ra == 1 and not a.row) or (rb == 1 and b.row):
            raise _NotationError(
                f"cannot multiply {self._operand(a_e, a)} by {self._operand(b_e, b)}: "
                + (r"use \odot for the element-wise product or transpose one of them"
                   if ra == rb == 1 else "the sizes do not chain"))
        if not _same(inner_a, inner_b):
            raise _NotationError(f"cannot multiply {self._operand(a_e, a)} by "
                                 f"{self._operand(b_e, b)}: the inner sizes {inner_a} and "
                                 f"{inner_b} differ")
        q = self.fresh_index("q")
        lim = (q, 0, inner_a - 1)
        if ra == 2 and rb == 2:
            return _Term((a.shape[0], b.shape[1]), lambda I: sp.Sum(
                a.at((I[0], q)) * b.at((q, I[1])), lim), product=True)
        if ra == 2:
            return _Term((a.shape[0],), lambda I: sp.Sum(a.at((I[0], q)) * b.at((q,)), lim),
                         product=True)
        if rb == 2:
            return _Term((b.shape[1],), lambda I: sp.Sum(a.at((q,)) * b.at((q, I[0])), lim),
                         row=True, product=True)
        return _Term((), lambda I: sp.Sum(a.at((q,)) * b.at((q,)), lim), product=True)

    def _power(self, e: sp.Pow, where: str, owner: str) -> _Term:
        base = self._convert(e.base, where, owner)
        ex = self._convert(e.exp, where, owner)
        if ex.shape:
            raise _NotationError(f"the exponent {self._latex_of(e.exp)} must be a scalar")
        if len(base.shape) == 2:
            raise _NotationError(f"{self._operand(e.base, base)} to a power: matrix powers "
                                 f"are not supported")
        return _Term(base.shape, lambda I: sp.Pow(base.at(I) if base.shape else base.at(()),
                                                  ex.at(())), row=base.row)

    def _transpose(self, t: _Term) -> _Term:
        if len(t.shape) == 0:
            return t
        if len(t.shape) == 1:
            return _Term(t.shape, t.at, row=not t.row, product=t.product)
        if len(t.shape) == 2:
            return _Term(t.shape[::-1], lambda I: t.at(I[::-1]), product=t.product)
        raise _NotationError("the transpose of a tensor of rank 3 or more is ambiguous")

    # structure ----------------------------------------------------------------
    def _reads(self, expr: sp.Expr) -> set[str]:
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
            hit = self._read_cache[name] = (d, frozenset(self._reads(d.expr)))
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
            m = re.fullmatch(r"(.+?)\[t(?:-(\d+|[A-Za-z]))?\]", key)
            if m:
                base = self._written(m.group(1))
                lag = None if (m.group(2) or "0").isalpha() else int(m.group(2) or 0)
                if base is not None and lag == 0:
                    return base
                for lname, (b, k) in self.lags.items():
                    if b == base and k == lag:
                        return lname
            base = self._written(key)
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

    def _history_row(self, name: str) -> tuple[str, int] | None:
        """``h[t-r]`` read through a history ``h_hist`` (a sum over h[t-i]): (hist, r - 1)."""
        m = re.fullmatch(r"(.+?)\[t-(\d+)\]", time_key(name))
        base = self._written(m.group(1)) if m else None
        if base is None:
            return None
        lag = int(m.group(2))
        for lname, (b, k) in self.lags.items():
            rows = self.tensors[lname].shape[0]
            if b == base and k is None and lag >= 1 and not (rows.is_Integer and lag > rows):
                return lname, lag - 1
        return None

    def _written(self, key: str) -> str | None:
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

    # calculus -----------------------------------------------------------------
    def partial(self, of: str, dep: str, I: tuple, K: tuple) -> sp.Expr:
        """d of[I] / d dep[K], treating every other tensor as independent."""
        d = self.definitions[of]
        if dep in d.rules:
            return d.rules[dep](I, K)
        ranges = {**ranges_for(I, d.tensor.shape), **ranges_for(K, self.tensors[dep].shape)}
        p = collapse(sp.diff(d.at(I), self.tensors[dep][K]), ranges)
        return sp.factor_terms(self._fold(p))

    def _fold(self, expr: sp.Expr) -> sp.Expr:
        """Write element-wise definitions back by name, e.g. sigmoid(z[a]) -> c[a]."""
        for d in self.definitions.values():
            if isinstance(d.expr, sp.Function) and all(isinstance(i, sp.Symbol)
                                                       for i in d.indices):
                wild = {i: sp.Wild(f"w{n}") for n, i in enumerate(d.indices)}
                expr = expr.replace(d.expr.xreplace(wild), d.tensor[tuple(wild.values())])
        return expr

    def derivative(self, of: str, wrt: str) -> tuple[sp.Expr, tuple, tuple]:
        """Total derivative d of[I] / d wrt[J] in closed form: (element, I, J)."""
        self.tensor(of), self.tensor(wrt)
        key = (of, wrt)
        if key not in self._memo:
            I = self.fresh_indices(self.tensors[of].rank, "i")
            J = self.fresh_indices(self.tensors[wrt].rank, "j")
            # one J per variable: a derivative reused at the next level of the chain rule
            # is renamed only along the path to its I, its already simplified rest shared
            # (so the memo of collapse and tidy finds it); the names drawn above are still
            # drawn, so every other index keeps its name
            J = self._wrt_indices.setdefault(wrt, J)
            self._memo[key] = (self._total(of, wrt, I, J), I, J)
        return self._memo[key]

    def _total(self, of: str, wrt: str, I: tuple, J: tuple) -> sp.Expr:
        if of == wrt:
            return sp.Mul(*map(sp.KroneckerDelta, I, J))
        if of not in self.definitions or not self.depends(of, wrt):
            return sp.Integer(0)
        ranges: Ranges = {**ranges_for(I, self.tensors[of].shape),
                          **ranges_for(J, self.tensors[wrt].shape)}
        total = sp.Integer(0)
        for dep in sorted(self.reads(of)):
            if not self.depends(dep, wrt):
                continue
            K = self.fresh_indices(self.tensors[dep].rank)
            p = self.partial(of, dep, I, K)
            if p == 0:
                continue
            inner, I2, J2 = self.derivative(dep, wrt)
            renames = {a: b for a, b in (*zip(I2, K), *zip(J2, J)) if a != b}
            inner = inner.xreplace(renames) if renames else inner
            limits = [(k, 0, n - 1) for k, n in zip(K, self.tensors[dep].shape)]
            total += sp.Sum(p * inner, *limits) if limits else p * inner
        return collapse(total, ranges)

    def differentiate(self, element: sp.Expr, indices: tuple, shape: tuple, wrt: str
                      ) -> tuple[sp.Expr, tuple]:
        """d element / d wrt[J] for an element written in this model's tensors (any other
        tensor it reads is held fixed), by the chain rule over the graph: (element, J)."""
        w = self.tensor(wrt)
        J = self.fresh_indices(w.rank, "j")
        ranges: Ranges = {**ranges_for(indices, shape), **ranges_for(J, w.shape)}
        total = sp.Integer(0)
        for dep in sorted(self._reads(element)):
            if dep not in self.tensors or not self.depends(dep, wrt):
                continue
            t = self.tensors[dep]
            K = self.fresh_indices(t.rank)
            p = sp.diff(element, t[K]).replace(lambda e: isinstance(e, sp.DiracDelta),
                                               lambda e: sp.Integer(0))
            if p == 0:
                continue
            inner, I2, J2 = self.derivative(dep, wrt)
            inner = inner.xreplace({**dict(zip(I2, K)), **dict(zip(J2, J))})
            limits = [(k, 0, n - 1) for k, n in zip(K, t.shape)]
            total += sp.Sum(p * inner, *limits) if limits else p * inner
        return sp.factor_terms(self._fold(collapse(total, ranges))), J

    def hessian(self, of: str, wrt: str, sizes: Mapping | None = None) -> ModelQuantity:
        """d^2 of / d wrt^2 (shape of ``of`` + shape of ``wrt`` twice), e.g. A + A^T for
        f = x^T A x."""
        return self.jacobian(of, wrt, sizes=sizes).jacobian(wrt, hessian=True)

    def gradient(self, of: str, wrt: str, upstream: Tensor) -> tuple[sp.Expr, tuple]:
        """sum_I upstream[I] d of[I] / d wrt[J]: the gradient given dl/d of (element, J)."""
        element, I, J = self.derivative(of, wrt)
        limits = [(i, 0, n - 1) for i, n in zip(I, self.tensors[of].shape)]
        body = upstream[I] * element
        ranges = ranges_for(J, self.tensors[wrt].shape)
        return collapse(sp.Sum(body, *limits) if limits else body, ranges), J

    def _inline_linear(self, expr: sp.Expr) -> sp.Expr:
        """Defined tensors whose definitions are polynomials in tensors (no functions), such
        as a mean or a centred vector, replaced by their definitions, recursively."""
        for _ in range(len(self.definitions) + 1):
            subs = {}
            for a in expr.atoms(sp.Indexed, sp.Symbol):
                name = str(a.base.label) if isinstance(a, sp.Indexed) else a.name
                d = self.definitions.get(name)
                if d is None or d.expr.has(sp.Function) or (isinstance(a, sp.Symbol)
                                                            and d.tensor.rank):
                    continue
                subs[a] = d.at(a.indices) if isinstance(a, sp.Indexed) else d.expr
            if not subs:
                return expr
            expr = expr.xreplace(subs)
        return expr

    def _vanishes(self, expr: sp.Expr, point: Point | None = None) -> bool:
        """True when a sum (or a sum of terms) is identically zero by the definitions, e.g.
        sum_k d_k with d = x - mu and mu the mean of x. A value nonzero at one point
        settles it first (``core.zero``): expanding nested sums is exponential in depth."""
        full = self._inline_linear(expr)
        if full == expr and not expr.has(sp.Sum):
            return False
        point = point or self._point()
        if point.certainly_nonzero(full):
            return False
        for _ in range(2):
            full = canonical_sums(split_sums(sp.expand(full)))
        return full == 0

    def _point(self) -> Point:
        """A point at which to evaluate expressions in this model's tensors."""
        return Point({n: t.shape for n, t in self.tensors.items()}, set(self._size_names()))

    def tidy_terms(self, element: sp.Expr) -> sp.Expr:
        """Terms that vanish identically dropped, sums equal up to their index merged,
        sums of a one-hot vector written 1."""
        def unit(e):
            (v, lo, hi), body = e.limits[0], e.function
            if len(e.limits) != 1 or not isinstance(body, sp.Indexed) or body.indices != (v,):
                return False
            name = str(body.base.label)
            return name in self.one_hot and lo == 0 and \
                sp.expand(hi - self.tensors[name].shape[0] + 1) == 0

        if self.one_hot:
            element = element.replace(lambda e: isinstance(e, sp.Sum) and unit(e),
                                      lambda e: sp.Integer(1))

        point = self._point()

        def walk(e):
            if not isinstance(e, sp.Expr) or not e.args or isinstance(e, sp.Indexed):
                return e
            if isinstance(e, sp.Sum | sp.Add) and e.has(sp.Sum) and self._vanishes(e, point):
                return sp.Integer(0)
            return e.func(*[walk(a) for a in e.args])

        out = walk(element)
        if out != element:
            out = sp.factor_terms(out)
        merged = canonical_sums(out)
        if len(merged.atoms(sp.Sum)) < len(out.atoms(sp.Sum)):
            out = sp.factor_terms(merged)
        return out

    def forward(self, arrays: dict, sizes: dict, only: set[str] | None = None) -> dict:
        """Every defined tensor (or those in ``only``) from the given arrays, in definition
        order (vectorised)."""
        env = dict(arrays)
        plan = self._forward_plan(frozenset(arrays), sizes, only)
        if plan is not None:
            for name, run in plan:
                env[name] = run(self._stable(name, env))
            return env
        subs = {k: as_expr(v) for k, v in sizes.items()}
        for name, d in self.definitions.items():
            if only is not None and name not in only:
                continue
            dims = [n.xreplace(subs) for n in d.tensor.shape]
            if any(not n.is_Integer for n in dims):
                raise ShapeError(f"the size of {d.tensor.latex} ({dims_text(dims)}) is not "
                                 f"known; pass the sizes by name to evaluate()")
            env[name] = evaluate_element(d.expr, d.indices, [int(n) for n in dims],
                                         self._stable(name, env), sizes)
        return env

    def _stable(self, name: str, env: dict) -> dict:
        """The arrays a definition reads; a softargmax reads its argument less its maximum
        along the last axis (the same value, without overflow)."""
        d = self.definitions[name]
        if d.op != "softargmax":
            return env
        (arg,) = self.reads(name)
        if arg not in env:
            return env
        z = np.asarray(env[arg], dtype=float)
        return {**env, arg: z - np.max(z, axis=-1, keepdims=True)} if z.size else env

    def _forward_plan(self, given: frozenset, sizes: dict, only: set[str] | None):
        """The compiled steps of ``forward`` for these array names and sizes, made once
        (a sequence pass runs the same definitions at every step); None when a size or an
        array is missing, where ``forward`` says which."""
        try:
            key = (given, tuple(sorted((str(k), int(v)) for k, v in sizes.items())),
                   None if only is None else frozenset(only), len(self.definitions))
        except (TypeError, ValueError):
            return None
        plans = self.__dict__.setdefault("_plans", {})
        if key in plans:
            return plans[key]
        subs = {k: as_expr(v) for k, v in sizes.items()}
        available, steps = set(given), []
        for name, d in self.definitions.items():
            if only is not None and name not in only:
                continue
            dims = [n.xreplace(subs) for n in d.tensor.shape]
            run = None if any(not n.is_Integer for n in dims) else element_plan(
                d.expr, d.indices, [int(n) for n in dims], frozenset(available), sizes)
            if run is None:
                plans[key] = None
                return None
            steps.append((name, run))
            available.add(name)
        plans[key] = steps
        return steps

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

    # results --------------------------------------------------------------------
    def _index_names(self, count: int) -> list[str]:
        taken = set(self.tensors) | {s.name for t in self.tensors.values() for d in t.shape
                                     for s in d.free_symbols} | {"t"}
        pool = [c for c in _INDEX_LETTERS if c not in taken]
        pool += [f"i_{k}" for k in range(count)]
        return pool[:count]

    def _sizes(self, sizes: Mapping | None) -> dict:
        out = {}
        for k, v in (sizes or {}).items():
            out[size(k) if isinstance(k, str) else k] = as_dim(v, f"size {k}")
        return out

    def _size_names(self, *extra: sp.Symbol) -> tuple:
        free = set(extra)
        for t in self.tensors.values():
            for d in t.shape:
                free |= {s for s in d.free_symbols if s.is_positive}
        return tuple(sorted(free, key=str))

    def _step_inputs(self, names: set[str]) -> tuple[Tensor, ...]:
        need = self.needed(names)
        return tuple(t for n, t in self.tensors.items()
                     if n not in self.definitions and n in need)

    def _quantity(self, name: str, element: sp.Expr, old: tuple, shape: tuple, lhs: tuple,
                  sizes: Mapping | None, reads: set[str], **kwargs) -> ModelQuantity:
        element, free = readable(self.tidy_terms(element), old, self._index_names(len(old)))
        reads = reads | {str(a.base.label) for a in element.atoms(sp.Indexed)}
        reads |= {s.name for s in element.free_symbols if s.name in self.tensors
                  and not s.is_integer}
        inputs = kwargs.pop("inputs", None) or self._step_inputs(reads)
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
                prepare=prepare, sizes=self._sizes(sizes), size_names=self._size_names(),
                model=self, **kwargs)
        q.required = frozenset(t.name for t in inputs if t.name in need)
        return q

    def value(self, name: str, sizes: Mapping | None = None) -> ModelQuantity:
        """The defining equation of a tensor, as a Quantity (evaluate: the forward pass)."""
        t = self.tensor(self.resolve(name))
        if t.name not in self.definitions:
            raise UnknownNameError(f"{t.latex} is an input of {self.name}, not defined by it")
        d = self.definitions[t.name]
        return self._quantity(t.latex, d.expr, d.indices, t.shape, (t, None), sizes,
                              self.reads(t.name), structure=f"definition of {t.latex}")

    def jacobian(self, of: str, wrt: str, sizes: Mapping | None = None) -> ModelQuantity:
        """d of / d wrt in numerator layout (shape of ``of`` + shape of ``wrt``), the other
        inputs held fixed; names as written (``"h[t]"``, ``"h[t-1]"``, ``"W_c"``).

        A state at a step the model does not read (``"h[t-3]"``, or ``"h[t-k]"``) gives the
        total Jacobian over those steps (a product of one-step Jacobians; see
        ``StepChain``) when every state is read at t-1 only.
        """
        o = self.tensor(self.resolve(of))
        row = None
        try:
            w = self.tensor(self.resolve(wrt))
        except UnknownNameError:
            row = self._history_row(wrt)
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
        return self._quantity(frac, element, I + J, o.shape + den.shape, (o, den), sizes,
                              {o.name}, structure="immediate: inputs and earlier states "
                              "held fixed" + note, tensors={**self.tensors, den.name: den})

    def _multi_step(self, of: str, wrt: str) -> tuple[str, sp.Expr] | None:
        """``h[t-3]`` (not declared) of a state h: (h, 3), for the total d of / d h[t-3]."""
        m = re.fullmatch(r"(.+?)\[t-(\d+|[A-Za-z]\w*)\]", time_key(wrt))
        base = self._written(m.group(1)) if m else None
        if base is None or base not in self.states() or of not in self.definitions:
            return None
        if any(lag != 1 for b, lag in self.lags.values() if b in self.definitions):
            return None  # h[t-2] or a history is read directly: no single route back
        k = m.group(2)
        return base, sp.Integer(int(k)) if k.isdigit() else size(k)

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
                return self._quantity(r"\frac{\partial %s}{\partial %s}" % (o.latex, w.latex),
                                      element, J, w.shape, (o, w), sizes, {o.name},
                                      layout="gradient",
                                      structure=f"the gradient of the scalar {o.latex}")
            g = Tensor(self._fresh_name("g"), o.shape,
                       r"\frac{\partial \ell}{\partial %s}" % o.latex, o.style)
            element, J = self.gradient(o.name, w.name, g)
            inputs = (*self._step_inputs({o.name}), g)
            return self._quantity(r"\frac{\partial \ell}{\partial %s}" % w.latex, element, J,
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

    def _fresh_name(self, stem: str) -> str:
        name, k = stem, 1
        while name in self.tensors:
            k += 1
            name = f"{stem}{k}"
        return name

    # printing ----------------------------------------------------
    def latex(self, index_base: int = 1) -> str:
        """The model's definitions in index notation, one per line (``\\\\``)."""
        return r" \\ ".join(self.value(n).latex(index_base=index_base)
                            for n in self.definitions)

    def __repr__(self) -> str:
        return (f"<Model {self.name}: {len(self.tensors) - len(self.definitions)} inputs, "
                f"{len(self.definitions)} definitions>")

