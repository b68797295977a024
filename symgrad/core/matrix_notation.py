"""Definitions in matrix notation turned into index notation.

``define("c", sigmoid(W_c * x))`` with non-commutative tensor symbols (``sym``) and the
heads of ``symgrad.core.ops``: products, Hadamard products, transposes, ``diag``,
element-wise functions, softargmax, sums and entries become elements in index notation,
the products and arguments that need a name becoming named intermediates.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sympy as sp

from .definitions import ELEMENTWISE, Graph, identifier, same_dim
from .errors import ShapeError, SymgradError, UnknownNameError
from .ops import (
    At,
    Diag,
    Hadamard,
    HadamardDiv,
    InverseEntry,
    Softargmax,
    Transposed,
    matrix_heads,
    op_of,
)
from .printing import MatrixPrinter
from .shapes import ShapeSpec, dims_text, parse_shape
from .tensor import Tensor, as_expr

_SLUG = {head: op.slug or op.name for head, op in {**ELEMENTWISE,
                                                    Softargmax: op_of(Softargmax)}.items()}


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


_ENTRYWISE = {Hadamard: (sp.Mul, "hadamard"),
              HadamardDiv: (lambda a, b: a / b, "divide element-wise")}


class _NotationError(SymgradError):
    """Internal carrier, re-raised with the definition's site."""


class MatrixNotation(Graph):
    """The reader of definitions in matrix notation (``equation``, ``concat``)."""

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
        if indices is None and (fn in ELEMENTWISE or fn is Softargmax):
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
                same_dim(a, b) for a, b in zip(declared, shape))):
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

    def latex_of(self, e: sp.Expr) -> str:
        """A matrix-notation expression as LaTeX."""
        return MatrixPrinter(self.tensors).doprint(e)

    _latex_of = latex_of  # the name symgrad.notation.equations calls

    def _kind(self, term: _Term) -> str:
        return {0: "scalar", 1: "row vector" if term.row else "vector", 2: "matrix"}.get(
            len(term.shape), "tensor")

    def _operand(self, e: sp.Expr, term: _Term) -> str:
        return f"{self.latex_of(e)} ({dims_text(term.shape)}{', a row' if term.row else ''})"

    def _as_tensor(self, e: sp.Expr, where: str, hint: str) -> Tensor:
        """A tensor for a matrix expression: itself, or a named intermediate."""
        if isinstance(e, sp.Symbol) and e.name in self.tensors and not e.is_integer:
            return self.tensors[e.name]
        if e in self._auto:
            return self.tensors[self._auto[e]]
        bound = sorted(s.name for s in e.free_symbols if s.is_integer and not s.is_positive)
        if bound:
            raise _NotationError(f"{self.latex_of(e)} depends on the index {bound[0]}: "
                                 f"define it as its own equation")
        name = self._auto_name(e, hint)
        text = self.latex_of(e)
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
        if isinstance(e, Hadamard | HadamardDiv):  # \\odot, \\oslash
            return self._elementwise_terms(e, list(e.args), where, owner, *_ENTRYWISE[type(e)])
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
        if type(e) in ELEMENTWISE or isinstance(e, Softargmax):
            arg = self._convert(e.args[0], where, owner)
            if not arg.shape:
                if isinstance(e, Softargmax):
                    raise _NotationError(f"softargmax of the scalar {self.latex_of(e.args[0])}")
                return _scalar(type(e)(arg.at(())))
            if arg.row:
                raise _NotationError(f"{self._operand(e.args[0], arg)}: apply element-wise "
                                     f"functions to column vectors")
            t = self._as_tensor(e, where, f"{_SLUG[type(e)]}_{owner}")
            return _Term(t.shape, lambda I, t=t: t[I], tensor=t)
        if isinstance(e, sp.Function) and e.has(*matrix_heads()):  # det X, |det X|^2
            return self._whole_matrix(e, where, owner)
        if isinstance(e, sp.Expr) and e.is_commutative and not e.has(At):
            unknown = self.expr_reads(e) - set(self.tensors)
            unknown |= {str(a.base.label) for a in e.atoms(sp.Indexed)} - set(self.tensors)
            if unknown:
                raise UnknownNameError(f"{where}: unknown tensors {sorted(unknown)}")
            return _scalar(e)
        raise _NotationError(f"{type(e).__name__} is not supported in a definition "
                             f"({self.latex_of(e)})")

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
            if not (all(same_dim(x, y) for x, y in zip(t.shape, t0.shape[r0 - r:]))
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
            if (t.shape and isinstance(a, sp.Pow) and a.exp.is_number and a.exp < 0
                    and len(t.shape) < 2):  # x / y of vectors; a matrix's is its inverse
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
                    and all(same_dim(x, y) for x, y in zip(a.shape, b.shape))):
                a_e = sp.Mul(*[e for e, _ in chain[:k]])
                b_e = sp.Mul(*[e for e, _ in chain[k:]])
                return self._star_product(a_e, a, b_e, b, where)
        raise error

    def _star_product(self, a_e: sp.Expr, a: _Term, b_e: sp.Expr, b: _Term, where: str
                      ) -> _Term:
        """``a * b`` of one shape, no matrix product: element-wise, noted in ``notes``."""
        note = (f"{where}: {self.latex_of(a_e)} * {self.latex_of(b_e)} is read as the "
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
        if not same_dim(inner_a, inner_b):
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
            raise _NotationError(f"the exponent {self.latex_of(e.exp)} must be a scalar")
        if len(base.shape) == 2:
            return self._matrix_power(e, base, where, owner)
        return _Term(base.shape, lambda I: sp.Pow(base.at(I) if base.shape else base.at(()),
                                                  ex.at(())), row=base.row)

    def _square(self, e: sp.Expr, term: _Term, what: str) -> None:
        if len(term.shape) != 2 or not same_dim(*term.shape):
            raise _NotationError(f"{what} of {self._operand(e, term)}: it takes a square "
                                 f"matrix")

    def _matrix_power(self, e: sp.Pow, base: _Term, where: str, owner: str) -> _Term:
        """X^k for a whole number k: X^{-1} the inverse (entries ``InverseEntry`` of the
        tensor, or of a named intermediate for an expression), X^2 = X X, X^0 = I."""
        self._square(e.base, base, "a power")
        k = e.exp
        if not k.is_Integer:
            raise _NotationError(f"{self._operand(e.base, base)} to the power "
                                 f"{self.latex_of(k)}: only whole powers of a matrix")
        if k < 0:
            inner = e.base if k == -1 else sp.Pow(e.base, -k)
            t = self._as_tensor(inner, where, f"{owner}_inv")
            return _Term(t.shape, lambda I, X=t.base: InverseEntry(X, *I))
        if k == 0:
            return _Term(base.shape, lambda I: sp.KroneckerDelta(*I))
        acc = base
        for _ in range(int(k) - 1):
            acc = self._matmul(e.base, acc, e.base, base)
        return acc

    def _whole_matrix(self, e: sp.Function, where: str, owner: str) -> _Term:
        """det(A), |det(A)| of a square matrix expression: the function of the tensor as a
        whole (a named intermediate for an expression such as A X B); a scalar function of
        them (sqrt(det X)) converts its arguments."""
        arg = e.args[0]
        if isinstance(arg, sp.IndexedBase):  # already in index notation
            return _scalar(e)
        if not isinstance(e, matrix_heads()):
            args = [self._convert(a, where, owner) for a in e.args]
            if any(t.shape for t in args):
                raise _NotationError(f"{self.latex_of(e)}: a function of a matrix here")
            return _scalar(e.func(*[t.at(()) for t in args]))
        term = self._convert(arg, where, owner)
        if op_of(e).operand == "vector":
            if len(term.shape) != 1:
                raise _NotationError(f"{op_of(e).latex} of {self._operand(arg, term)}: it "
                                     f"takes a vector")
        else:
            self._square(arg, term, op_of(e).latex)
        t = self._as_tensor(arg, where, f"{op_of(e).name}_{owner}")
        return _scalar(e.func(t.base, *e.args[1:]))

    def _transpose(self, t: _Term) -> _Term:
        if len(t.shape) == 0:
            return t
        if len(t.shape) == 1:
            return _Term(t.shape, t.at, row=not t.row, product=t.product)
        if len(t.shape) == 2:
            return _Term(t.shape[::-1], lambda I: t.at(I[::-1]), product=t.product)
        raise _NotationError("the transpose of a tensor of rank 3 or more is ambiguous")
