"""The chain rule over a model's graph of definitions.

The total derivative of a tensor with respect to another is the sum, over the tensors its
definition reads, of (partial derivative) x (total derivative of that tensor), with the
Kronecker-delta sums collapsed. Known derivative rules are stated in terms of the named
output (sigma' = c (1 - c), softargmax' = diag(a) - a a^T), so results are written in the
model's own intermediates; terms that vanish by the definitions are dropped.
"""

from __future__ import annotations

import sympy as sp

from .definitions import Graph
from .ops import Extremum
from .simplify import Ranges, canonical_sums, collapse, split_sums
from .tensor import Tensor, ranges_for
from .zero import Point


class ChainRule(Graph):
    """Partial and total derivatives of a model's definitions, in closed form."""

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
            if isinstance(d.expr, sp.Function | Extremum) and all(isinstance(i, sp.Symbol)
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
        for dep in sorted(self.expr_reads(element)):
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
        return Point({n: t.shape for n, t in self.tensors.items()}, set(self.size_names()))

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
