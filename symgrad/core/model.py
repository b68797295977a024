"""A model is a graph of named definitions in index notation; the chain rule runs over it.

Each definition states one tensor's element, e.g. ``c[i] = sigmoid(z[i])``. The total
derivative of a tensor with respect to another is the sum, over the tensors its
definition reads, of (partial derivative) x (total derivative of that tensor), with
the Kronecker-delta sums collapsed. Known derivative rules are stated in terms of the
named output (sigma' = c (1 - c), softargmax' = diag(a) - a a^T), so results are
written in the model's own intermediates.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import sympy as sp

from .errors import ShapeError, UnknownNameError
from .evaluate import evaluate_element
from .ops import sigmoid
from .simplify import Ranges, collapse
from .tensor import Tensor, index, ranges_for

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


_ELEMENTWISE: dict = {
    sigmoid: (r"\sigma", lambda out, arg: out * (1 - out)),
    sp.tanh: (r"\tanh", lambda out, arg: 1 - out**2),
    sp.exp: (r"\exp", lambda out, arg: out),
}


class Model:
    """Tensors (inputs, parameters, states) and the definitions computed from them."""

    def __init__(self, name: str = "model") -> None:
        self.name = name
        self.tensors: dict[str, Tensor] = {}
        self.kinds: dict[str, str] = {}
        self.definitions: dict[str, Definition] = {}
        self._counter = itertools.count()
        self._memo: dict[tuple[str, str], tuple[sp.Expr, tuple, tuple]] = {}

    # building -----------------------------------------------------------------
    def _add(self, tensor: Tensor, kind: str) -> Tensor:
        if tensor.name in self.tensors:
            raise ShapeError(f"{tensor.name} is defined twice in {self.name}")
        self.tensors[tensor.name] = tensor
        self.kinds[tensor.name] = kind
        return tensor

    def input(self, name: str, shape: Sequence, latex: str = "", style: str = "subscript",
              kind: str = "input") -> Tensor:
        """Declare a tensor the model reads: ``kind`` is input, param or state."""
        return self._add(Tensor(name, tuple(shape), latex, style), kind)

    def define(self, name: str, shape: Sequence, indices: Sequence[sp.Symbol], expr: sp.Expr,
               latex: str = "", style: str = "subscript", rules: dict[str, Rule] | None = None,
               op: str = "") -> Tensor:
        """Define ``name[indices] = expr`` from tensors declared before it."""
        tensor = Tensor(name, tuple(shape), latex, style)
        missing = self._reads(expr) - set(self.tensors)
        if missing:
            raise UnknownNameError(f"{name} reads undeclared tensors {sorted(missing)}; "
                                   f"declared: {sorted(self.tensors)}")
        self._add(tensor, "defined")
        self.definitions[name] = Definition(tensor, tuple(indices), expr, rules or {}, op)
        return tensor

    def elementwise(self, name: str, fn: type[sp.Function], arg: Tensor, latex: str = "",
                    style: str = "subscript") -> Tensor:
        """``name = fn(arg)`` element by element, its derivative written with ``name``."""
        op, rule = _ELEMENTWISE[fn]
        idx = self.fresh_indices(arg.rank)
        out = Tensor(name, arg.shape)

        def partial(I, K):
            return rule(out[I], arg[I]) * sp.Mul(*map(sp.KroneckerDelta, I, K))

        return self.define(name, arg.shape, idx, fn(arg[idx]), latex, style,
                           {arg.name: partial}, op)

    def softargmax(self, name: str, arg: Tensor, latex: str = "", style: str = "subscript"
                   ) -> Tensor:
        """``name = softargmax(arg)`` for a vector; d name_i / d arg_j = a_i (delta_ij - a_j)."""
        (i,), r = self.fresh_indices(1), self.fresh_index("r")
        expr = sp.exp(arg[i]) / sp.Sum(sp.exp(arg[r]), (r, 0, arg.shape[0] - 1))
        out = Tensor(name, arg.shape)

        def partial(I, K):
            return out[I] * (sp.KroneckerDelta(I[0], K[0]) - out[K])

        return self.define(name, arg.shape, (i,), expr, latex, style, {arg.name: partial},
                           "softargmax")

    def fresh_index(self, stem: str = "k") -> sp.Symbol:
        return index(f"{stem}_{next(self._counter)}")

    def fresh_indices(self, n: int, stem: str = "k") -> tuple[sp.Symbol, ...]:
        return tuple(self.fresh_index(stem) for _ in range(n))

    # structure ----------------------------------------------------------------
    def _reads(self, expr: sp.Expr) -> set[str]:
        names = {str(b.label) for b in expr.atoms(sp.Indexed) for b in [b.base]}
        names |= {s.name for s in expr.free_symbols if s.name in self.tensors}
        return names

    def reads(self, name: str) -> set[str]:
        """Names of the tensors that ``name``'s definition reads directly."""
        d = self.definitions.get(name)
        return self._reads(d.expr) if d else set()

    def depends(self, name: str, on: str) -> bool:
        if name == on:
            return True
        return any(self.depends(dep, on) for dep in self.reads(name))

    def tensor(self, name: str) -> Tensor:
        if name not in self.tensors:
            raise UnknownNameError(f"no tensor {name!r} in {self.name}; "
                                   f"known: {', '.join(self.tensors)}")
        return self.tensors[name]

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
            inner = inner.xreplace({**dict(zip(I2, K)), **dict(zip(J2, J))})
            limits = [(k, 0, n - 1) for k, n in zip(K, self.tensors[dep].shape)]
            total += sp.Sum(p * inner, *limits) if limits else p * inner
        return collapse(total, ranges)

    def gradient(self, of: str, wrt: str, upstream: Tensor) -> tuple[sp.Expr, tuple]:
        """sum_I upstream[I] d of[I] / d wrt[J]: the gradient given dl/d of (element, J)."""
        element, I, J = self.derivative(of, wrt)
        limits = [(i, 0, n - 1) for i, n in zip(I, self.tensors[of].shape)]
        body = upstream[I] * element
        ranges = ranges_for(J, self.tensors[wrt].shape)
        return collapse(sp.Sum(body, *limits) if limits else body, ranges), J

    def forward(self, arrays: dict, sizes: dict) -> dict:
        """Every defined tensor from the given arrays, in definition order (vectorised)."""
        env = dict(arrays)
        subs = {k: sp.sympify(v) for k, v in sizes.items()}
        for name, d in self.definitions.items():
            shape = [int(n.xreplace(subs)) for n in d.tensor.shape]
            env[name] = evaluate_element(d.expr, d.indices, shape, env, sizes)
        return env

    def graph(self) -> list[tuple[str, str, str, tuple[str, ...], str]]:
        """(name, latex, kind, reads, op) for every tensor, in definition order."""
        return [(n, t.latex, self.kinds[n], tuple(sorted(self.reads(n))),
                 self.definitions[n].op if n in self.definitions else "")
                for n, t in self.tensors.items()]
