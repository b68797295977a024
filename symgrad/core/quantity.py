"""A derived result: shape, element formula, matrix form, LaTeX and numeric evaluation."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import cached_property, lru_cache

import numpy as np
import sympy as sp

from .errors import ShapeError, UnknownNameError
from .evaluate import evaluate_element, evaluate_matrix, tensor_names
from .matrix import latex_matrix, to_matrix
from .printing import IndexPrinter, latex_element, shift_base
from .services import service
from .simplify import simplest, tidy
from .tensor import Tensor, as_expr, index, ranges_for

Prepare = Callable[[dict, dict], dict]
Side = Tensor | str | None


_BOUND_NAMES = "qrspuvabdeg"


@lru_cache(maxsize=4096)
def _dim(d: sp.Expr):
    """A dimension as printed: an int, or simplified once (an atom is its own form)."""
    if d.is_Integer:
        return int(d)
    d = simplest(d)
    return int(d) if d.is_Integer else d


def readable(element: sp.Expr, old: Sequence[sp.Symbol], new: Sequence[str]) -> tuple:
    """Rename free indices to ``new`` and summation indices to short unused letters (no
    two summation indices to one letter)."""
    free = [index(n) for n in new]
    element = element.xreplace(dict(zip(old, free, strict=True)))
    taken = {s.name for s in element.free_symbols} | set(new)
    pool = [n for n in _BOUND_NAMES if n not in taken]
    renames: dict = {}
    for s in sorted(element.atoms(sp.Sum), key=sp.default_sort_key):
        for v, _, _ in s.limits:
            if v in renames or not ("_" in v.name or v.name in new):
                continue
            stem = v.name.split("_")[0]
            if stem in taken:
                stem = next((n for n in pool if n not in taken), f"{stem}{len(renames)}")
            taken.add(stem)
            renames[v] = index(stem)
    return element.xreplace(renames), tuple(free)


def unclash(element: sp.Expr, names: set[str]) -> sp.Expr:
    """Rename summation indices spelled like a tensor (``\\sum_q a_q K_{qj}`` beside a
    tensor q) to unused short letters."""
    bound = {v for s in element.atoms(sp.Sum) for v, _, _ in s.limits}
    clash = sorted((v for v in bound if v.name in names), key=str)
    if not clash:
        return element
    taken = names | {s.name for s in element.free_symbols} | {v.name for v in bound}
    pool = [n for n in _BOUND_NAMES + "wxyz" if n not in taken]
    renames = {}
    for n, v in enumerate(clash):
        renames[v] = index(pool[n] if n < len(pool) else f"{v.name}{n}")
    return element.xreplace(renames)


def latex_dims(shape: Sequence) -> str:
    """``a \\times b`` for a shape, sums in parentheses."""
    printer = IndexPrinter({})
    parts = [printer.doprint(d) for d in shape]
    parts = [r"\left(%s\right)" % t if isinstance(as_expr(d), sp.Add) else t
             for d, t in zip(shape, parts)]
    return r" \times ".join(parts) or "1"


class Quantity:
    """One tensor-valued result of symgrad, e.g. a Jacobian or a gradient.

    ``element`` is the SymPy formula of the entry at ``indices`` (0-based, numerator
    layout unless ``layout`` says otherwise); ``inputs`` are the arrays ``evaluate``
    takes; ``prepare`` turns them into every tensor the element reads (a forward pass).
    ``time_axes`` names, per tensor, the axes that count time steps or lags (``g[t, j]``,
    ``J[t, i, r, j]``): printed and read 1-based, as the homework writes time, at either
    index base; only the other (array) axes follow ``index_base``.
    """

    def __init__(self, name: str, element: sp.Expr, indices: Sequence[sp.Symbol],
                 shape: Sequence, *, tensors: Mapping[str, Tensor],
                 inputs: Sequence[Tensor], lhs: tuple[Side, Side] = (None, None),
                 prepare: Prepare | None = None, layout: str = "numerator",
                 structure: str = "", sizes: Mapping[sp.Symbol, object] | None = None,
                 size_names: Sequence[sp.Symbol] = (),
                 time_axes: Mapping[str, Sequence[int]] | None = None) -> None:
        self.name = name
        self.indices = tuple(indices)
        self._shape = tuple(as_expr(d) for d in shape)
        self.tensors = dict(tensors)
        self.inputs = {t.name: t for t in inputs}
        self.lhs = lhs
        self.prepare = prepare
        self.layout = layout
        self.structure = structure
        self.sizes = dict(sizes or {})
        self.size_names = tuple(size_names)
        self.time_axes = {n: tuple(a) for n, a in (time_axes or {}).items() if a}
        self.required: frozenset[str] | None = None  # inputs evaluate needs (None: all)
        self.element = unclash(tidy(as_expr(element).xreplace(self._subs), self.ranges),
                               set(self.tensors))

    # structure ----------------------------------------------------------------
    @property
    def _subs(self) -> dict:
        return {k: as_expr(v) for k, v in self.sizes.items()}

    @property
    def shape(self) -> tuple:
        subs = self._subs
        return tuple(_dim(d.xreplace(subs) if subs else d) for d in self._shape)

    @property
    def ranges(self) -> dict:
        return ranges_for(self.indices, [as_expr(d) for d in self.shape])

    @cached_property
    def matrix(self) -> sp.Expr | None:
        """The matrix-notation form (diag, Hadamard, transposes), or None."""
        return to_matrix(self.element, self.indices, self.shape)

    # printing -----------------------------------------------------------------
    def _side_latex(self, side: Side, idx: list[str]) -> str:
        if side is None:
            return ""
        if isinstance(side, str):
            return side
        if not idx:
            return side.latex
        elem = side[tuple(sp.Symbol(i) for i in idx)] if side.rank else sp.Symbol(side.name)
        return IndexPrinter(self.tensors).doprint(elem)

    def lhs_latex(self, index_base: int = 1, indexed: bool = True) -> str:
        num, den = self.lhs
        names = [sp.latex(i) for i in self.indices] if indexed else []
        n = num.rank if isinstance(num, Tensor) else 0
        top = self._side_latex(num, names[:n] if indexed else [])
        if den is None and isinstance(num, str) and names and not num.lstrip().startswith(
                r"\frac"):
            # an expression on the left ((dh[t]/dh[t-1])^T delta[t]): its entry j
            return r"\left(%s\right)_{%s}" % (num, ",".join(names))
        if den is None:
            return top or self.name
        bottom = self._side_latex(den, names[n:] if indexed else [])
        return r"\frac{\partial %s}{\partial %s}" % (top, bottom)

    def shape_latex(self) -> str:
        dims = latex_dims(self.shape)
        return r"%s \in \mathbb{R}^{%s}" % (self.lhs_latex(indexed=False), dims)

    @staticmethod
    def check_latex_args(form: str, index_base: int) -> None:
        """Refuse a form other than index/matrix and an index base other than 0/1."""
        if form not in ("index", "matrix"):
            raise ShapeError(f"form must be 'index' or 'matrix', not {form!r}")
        if index_base not in (0, 1):
            raise ShapeError(f"index_base must be 0 or 1, not {index_base!r}")

    def latex(self, form: str = "index", index_base: int = 1) -> str:
        """``lhs = rhs`` in index form (1-based by default) or matrix form."""
        self.check_latex_args(form, index_base)
        if form == "matrix":
            if self.matrix is None:
                raise ShapeError(f"{self.name} has no matrix form; use form='index'")
            return r"%s = %s" % (self.lhs_latex(indexed=False),
                                 latex_matrix(self.matrix, self.tensors, index_base))
        rhs = latex_element(shift_base(self.element, self.indices, index_base,
                                       time_axes=self.time_axes), self.tensors)
        return r"%s = %s" % (self.lhs_latex(index_base), rhs)

    def _repr_latex_(self) -> str:
        parts = [self.shape_latex(), self.latex("index")]
        if self.matrix is not None:
            parts.append(self.latex("matrix"))
        return "$$" + r" \\ ".join(r"\displaystyle " + p for p in parts) + "$$"

    def __repr__(self) -> str:
        return f"<Quantity {self.name}: shape {self.shape}, {self.layout} layout>"

    # numbers ------------------------------------------------------------------
    def _free_sizes(self) -> dict:
        """Size symbols a caller may set by name: those the values are written in."""
        out = {}
        for v in self.sizes.values():
            out.update({s.name: s for s in as_expr(v).free_symbols})
        for s in self.size_names:
            if s not in self.sizes:
                out.setdefault(s.name, s)
        return out

    def bind_sizes(self, arrays: Mapping[str, np.ndarray], extra: Mapping[str, int]) -> dict:
        """Sizes implied by the arrays' shapes and size keywords, for model and user symbols."""
        known = self._free_sizes()
        bound: dict = {}
        for key, value in extra.items():
            if key not in known:
                raise UnknownNameError(
                    f"evaluate() got an unexpected argument {key!r}; it takes the arrays "
                    f"{', '.join(self.inputs)}" + (f" and sizes {', '.join(sorted(known))}"
                                                    if known else ""))
            bound[known[key]] = int(value)

        def dims(t: Tensor) -> tuple:
            ints = {k: sp.Integer(v) for k, v in bound.items()}
            return tuple(as_expr(d).xreplace(self._subs).xreplace(ints) for d in t.shape)

        for name, array in arrays.items():
            t = self.inputs[name]
            if np.ndim(array) != t.rank:
                raise ShapeError(f"{name} must have {t.rank} axes {t.shape}, "
                                 f"got shape {np.shape(array)}")
            for d, n in zip(dims(t), np.shape(array)):
                if d.is_Symbol:
                    bound[d] = n
        for name, array in arrays.items():
            want = dims(self.inputs[name])
            if any(not w.is_Integer for w in want) or tuple(int(w) for w in want) != \
                    np.shape(array):
                raise ShapeError(f"{name} must have shape {tuple(want)}, "
                                 f"got {np.shape(array)}")
        full = dict(bound)
        for sym, value in self.sizes.items():
            v = as_expr(value).xreplace({k: sp.Integer(n) for k, n in bound.items()})
            if v.is_Integer:
                full[sym] = int(v)
        return full

    def evaluate(self, arrays: Mapping[str, np.ndarray] | None = None, /, *,
                 form: str = "index", **kwargs) -> np.ndarray:
        """The numeric array of this quantity for concrete inputs (see ``inputs``);
        ``form="matrix"`` evaluates the matrix form instead (the same numbers)."""
        self.check_latex_args(form, 1)
        if form == "matrix" and self.matrix is None:
            raise ShapeError(f"{self.name} has no matrix form")
        env, sizes = self.environment(arrays, **kwargs)
        return self.value_in(env, sizes, form)

    def environment(self, arrays: Mapping[str, np.ndarray] | None = None, /,
                    **kwargs) -> tuple[dict, dict]:
        """The arrays this quantity is evaluated from (its inputs and what ``prepare``
        computes from them, e.g. a sequence pass) and the sizes bound by them."""
        given = dict(arrays or {})
        given.update({k: v for k, v in kwargs.items() if k in self.inputs})
        extra = {k: v for k, v in kwargs.items() if k not in self.inputs}
        needed = (self.inputs if self.required is None else self.required) \
            if self.prepare else tensor_names(self.element)
        missing = [n for n in self.inputs if n in needed and n not in given]
        if missing:
            raise ShapeError(f"evaluate() needs the arrays {', '.join(missing)} "
                             f"(it takes {', '.join(self.inputs)})")
        unknown = [k for k in given if k not in self.inputs]
        if unknown:
            raise UnknownNameError(f"evaluate() got unknown arrays {unknown}; "
                                   f"it takes {', '.join(self.inputs)}")
        given = {k: np.asarray(v, dtype=float) for k, v in given.items()}
        sizes = self.bind_sizes(given, extra)
        return (self.prepare(given, sizes) if self.prepare else given), sizes

    def value_in(self, env: Mapping[str, np.ndarray], sizes: Mapping,
                 form: str = "index") -> np.ndarray:
        """The numeric array from an ``environment`` (one sequence pass serves both)."""
        subs = {k: as_expr(v) for k, v in sizes.items()}
        shape = [as_expr(d).xreplace(self._subs).xreplace(subs) for d in self._shape]
        if any(not d.is_Integer for d in shape):
            raise ShapeError(f"cannot evaluate {self.name}: sizes {shape} are not all known; "
                             f"pass them, e.g. evaluate(..., "
                             f"{', '.join(n + '=2' for n in sorted(self._free_sizes())[:2])})")
        if any(int(d) < 1 for d in shape):
            raise ShapeError(f"{self.name} would have shape {tuple(shape)}: the sizes do not "
                             f"fit together")
        if form == "matrix":
            value = evaluate_matrix(self.matrix.xreplace(subs), env, sizes)
            want = [int(d) for d in shape]
            if value.shape != tuple((want + [1, 1])[:2]) and not (
                    len(want) == 1 and value.shape == (1, want[0])):
                raise ShapeError(f"the matrix form of {self.name} is {value.shape}, "
                                 f"not {tuple(want)}")
            return value.reshape(want)
        element = self.element.xreplace(subs)
        return evaluate_element(element, self.indices, [int(d) for d in shape], env, sizes)

    def jacobian(self, wrt: str):
        """Differentiate again (a quantity of a ``Model`` supports it)."""
        raise ShapeError(f"{self.name} is not written over a Model's graph, so it cannot be "
                         f"differentiated again; build the layer with sg.Model and use "
                         f"Model.jacobian(...).jacobian({wrt!r}) or Model.hessian")

    def check(self, latex: str, index_base: int = 1):
        """Verdict on a hand-written claim about this quantity (see symgrad.verify)."""
        judged = self._time_padded() if index_base == 0 and self.time_axes else self
        return service("check_quantity")(judged, latex, index_base=index_base)

    def _time_padded(self) -> Quantity:
        """The same quantity with an empty step 0 before every time and lag axis, so a
        claim read 0-based finds step t (written 1-based) at position t on those axes.
        Its inputs carry that step too (dropped before the forward pass)."""
        axes = {n: set(a) for n, a in self.time_axes.items() if n in self.tensors}

        def padded(t: Tensor) -> Tensor:
            on = axes.get(t.name, ())
            return Tensor(t.name, tuple(d + 1 if k in on else d for k, d in enumerate(t.shape)),
                          t.latex, t.style)

        def shift(e: sp.Indexed) -> sp.Indexed:
            on = axes.get(str(e.base.label), ())
            return sp.Indexed(e.base, *[i + 1 if k in on else i for k, i in enumerate(e.indices)])

        def cut(name: str, value, pad: bool) -> np.ndarray:
            value = np.asarray(value, dtype=float)
            if pad:
                return np.pad(value, [(1, 0) if k in axes[name] else (0, 0)
                                      for k in range(value.ndim)])
            return value[tuple(slice(1, None) if k in axes[name] else slice(None)
                               for k in range(value.ndim))]

        element = self.element.replace(lambda e: isinstance(e, sp.Indexed), shift)
        inner = self.prepare

        def prepare(arrays: dict, sizes: dict) -> dict:
            given = {n: cut(n, v, False) if n in axes else v for n, v in arrays.items()}
            env = {**given, **(inner(dict(given), sizes) if inner else {})}
            return {n: cut(n, v, True) if n in axes else v for n, v in env.items()}

        return Quantity(self.name, element, self.indices, self._shape,
                        tensors={n: padded(t) for n, t in self.tensors.items()},
                        inputs=tuple(padded(t) for t in self.inputs.values()), lhs=self.lhs,
                        prepare=prepare, layout=self.layout, structure=self.structure,
                        sizes=self.sizes, size_names=self.size_names)
