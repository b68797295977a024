"""Expressions: a recursive-descent grammar of homework LaTeX into SymPy."""

from __future__ import annotations

import sympy as sp

from symgrad.core.errors import LimitError, ParseError, SymgradError, UnknownNameError
from symgrad.core.ops import (
    OPS,
    At,
    AtTime,
    Diag,
    Hadamard,
    HadamardDiv,
    Softargmax,
    Stack,
    Transpose,
    relu,
    sigmoid,
)
from symgrad.core.ops import head as op_head
from symgrad.core.simplify import Iverson

from .lexer import (
    _ACCENTS,
    _DOTS,
    _FRACS,
    _FUNC_WORDS,
    _GREEK,
    _HADAMARD,
    _INDICATOR,
    _KEYWORDS,
    _MAX_NEST,
    _MULOPS,
    _NOT_A_SIZE,
    _OSLASH,
    _QUANTIFIERS,
    _REL_CMDS,
    _STOP_CMDS,
    _TRANSPOSE,
    _fail,
    _is_comma,
    _spell,
    _Tok,
)
from .names import (
    IMPLIED_BASE,
    Declarations,
    _Ctx,
    _ctx,
    _index_symbol,
    _scalar_symbol,
    _State,
    _tensor,
)


class _Parser:
    """Recursive descent over toks[lo:hi]; children share the state and the token list."""

    def __init__(self, st: _State, lo: int, hi: int, index: bool = False,
                 mode: str | None = None):
        self.st, self.i, self.hi = st, lo, hi
        self.toks, self.mate, self.ctx = st.toks, st.mate, st.ctx
        self.index = index
        self.mode = mode or st.mode

    # ------------------------------------------------------------------ helpers
    def peek(self, k: int = 0) -> _Tok | None:
        j = self.i + k
        return self.toks[j] if j < self.hi else None

    def take(self) -> _Tok:
        t = self.peek()
        if t is None:
            raise self.error("the end of the formula", "something is missing here")
        self.i += 1
        self.st.last = t.pos
        return t

    def at(self, kind: str, text: str | None = None, k: int = 0) -> bool:
        t = self.peek(k)
        return t is not None and t.kind == kind and (text is None or t.text == text)

    def tok_at(self, j: int, kind: str, text: str | None = None) -> bool:
        if j >= self.hi:
            return False
        t = self.toks[j]
        return t.kind == kind and (text is None or t.text == text)

    def pos(self) -> int:
        t = self.peek()
        if t is not None:
            return t.pos
        return self.toks[self.hi].pos if self.hi < len(self.toks) else len(self.st.text)

    def error(self, what: str, why: str = "", construct: str | None = None) -> ParseError:
        return _fail(what, self.pos(), why, construct)

    def child(self, lo: int, hi: int, index: bool | None = None,
              mode: str | None = None) -> _Parser:
        return _Parser(self.st, lo, hi, self.index if index is None else index,
                       mode or self.mode)

    def finish(self) -> None:
        t = self.peek()
        if t is not None:
            raise self.error(f"`{_spell(t)}`", "unexpected here", f"unexpected {_spell(t)}")

    def parse_range(self, lo: int, hi: int, index: bool | None = None,
                    mode: str | None = None) -> sp.Expr:
        p = self.child(lo, hi, index, mode)
        if lo >= hi:
            raise p.error("an empty group", "a formula is expected", "empty group")
        if p.mode != "dims" and not p.index:
            at = next((k for k in range(lo + 1, hi) if self.toks[k].key in _IF_WORDS
                       and self.depth0(lo, k)), None)
            if at is not None:
                return p.inline_cases(lo, at, hi)
        e = p.expr()
        p.finish()
        return e

    def inline_cases(self, lo: int, at: int, hi: int) -> sp.Expr:
        """`A \\text{ if } C, \\text{ else } B`, `A if C, B otherwise`, `A if C and 0
        otherwise`: Piecewise((A, C), (B, True)); without the other case, refused."""
        words = [k for k in range(at + 1, hi) if self.depth0(at + 1, k)
                 and self.toks[k].key in (("word", "else"), ("word", "otherwise"))]
        if not words:
            raise _fail("the condition", self.toks[at].pos, "say what the value is otherwise, "
                        "e.g. `\\text{, else } 0`, or use \\begin{cases}", "condition")
        w = words[0]
        if self.toks[w].text == "else":
            cond_hi, other = w, (w + 1, hi)
        else:
            seps = [k for k in range(at + 1, w) if self.depth0(at + 1, k) and (
                self.toks[k].key in (("sym", ","), ("sym", ";"), ("word", "and")))]
            if not seps or w + 1 != hi:
                raise _fail("the condition", self.toks[at].pos, "write `A if C, B otherwise`",
                            "condition")
            cond_hi, other = seps[-1], (seps[-1] + 1, w)
        while cond_hi > at + 1 and self.toks[cond_hi - 1].key in (("sym", ","), ("sym", ";"),
                                                                   ("word", "and")):
            cond_hi -= 1
        a, b = other
        while a < b and self.toks[a].kind == "sep":
            a += 1
        while b > a and self.toks[b - 1].key in (("sym", "."), ("sym", ","), ("sym", ";")):
            b -= 1
        end = at
        while end > lo and (self.toks[end - 1].kind == "sep" or self.toks[end - 1].key in (
                ("sym", ","), ("sym", ";"))):
            end -= 1
        value = self.parse_range(lo, end)
        cond = self.condition_range(at, cond_hi)
        rest = self.parse_range(a, b)
        return sp.Piecewise((value, cond), (rest, True))

    def split(self, lo: int, hi: int, pred) -> list[tuple[int, int]]:
        """Ranges of toks[lo:hi] between depth-0 tokens satisfying pred."""
        parts, start, k = [], lo, lo
        while k < hi:
            t = self.toks[k]
            if t.kind in ("open", "begin"):
                k = self.mate[k] + 1
                continue
            if pred(t):
                parts.append((start, k))
                start = k + 1
            k += 1
        parts.append((start, hi))
        return parts

    def arg_range(self) -> tuple[int, int]:
        """The next argument: a brace group's content, a bracket group, or one token."""
        t = self.peek()
        if t is None or t.kind in ("close", "end", "sep"):
            raise self.error("a command", "its argument is missing", "command argument")
        if t.key == ("open", "{"):
            j = self.mate[self.i]
            lo, self.i = self.i + 1, j + 1
            return lo, j
        if t.kind in ("open", "begin"):
            j = self.mate[self.i]
            lo, self.i = self.i, j + 1
            return lo, j + 1
        self.i += 1
        return self.i - 1, self.i

    def arg_expr(self) -> sp.Expr:
        lo, hi = self.arg_range()
        return self.parse_range(lo, hi)

    def starts_atom(self, t: _Tok | None) -> bool:
        if t is None:
            return False
        if t.kind in ("num", "name", "begin", "open") or t.key == ("sym", "|"):
            return True
        if t.kind == "word":
            return t.text.lower() not in _KEYWORDS
        if t.kind == "cmd":
            return t.text not in _STOP_CMDS
        return False

    # ------------------------------------------------------------------ grammar
    def expr(self) -> sp.Expr:
        terms = [self.signs() * self.hadamard()]
        while self.at("sym", "+") or self.at("sym", "-"):
            terms.append(self.signs() * self.hadamard())
        e = sp.Add(*terms)
        if self.mode == "formula" and not self.index and _ones_multiple(e):
            return e  # `\mathbf{1}` alone is the ones vector, sized by the other side
        return _settle_ones(e)

    def signs(self) -> int:
        sign = 1
        while self.at("sym", "+") or self.at("sym", "-"):
            if self.take().text == "-":
                sign = -sign
        if not self.starts_atom(self.peek()):
            t = self.peek()
            what = "the end of the formula" if t is None else f"`{_spell(t)}`"
            raise self.error(what, "a term is expected here", "missing term")
        return sign

    def ones_products(self, factors: list, pos: int) -> list:
        """`\\mathbf{1}^\\top v` and `v^\\top \\mathbf{1}` are sums of v's entries; a ones
        vector beside scalars is the scalar 1; beside a matrix it is refused, never dropped."""
        out, k = [], 0
        while k < len(factors):
            f = factors[k]
            if f == Transpose(_ONES):
                rest = factors[k + 1:]
                if not rest or all(r.is_commutative for r in rest) or any(
                        r.has(_ONES) for r in rest) or self.vector_length(sp.Mul(*rest)) is None:
                    return factors
                out.append(self.sum_entries(sp.Mul(*rest), pos))
                break
            if (isinstance(f, Transpose) and k + 1 < len(factors) and factors[k + 1] == _ONES
                    and self.vector_length(f.args[0]) is not None):
                out.append(self.sum_entries(f.args[0], pos))
                k += 2
                continue
            out.append(f)
            k += 1
        if len(out) == len(factors) and all(
                f == _ONES or (f.is_commutative and not f.has(_ONES)) for f in out):
            if self.mode == "formula" and not self.index and all(
                    f == _ONES or _coefficient(f) for f in out):
                return out  # settled by the sum it is in: alone, it is the ones vector
            return [sp.Integer(1) if f == _ONES else f for f in out]
        return out

    def sum_entries(self, v: sp.Expr, pos: int) -> sp.Expr:
        """The sum of the entries of the vector expression v, over its whole length."""
        n = self.vector_length(v)
        if n is None:
            raise _fail("the sum `\\mathbf{1}^\\top ...`", pos, "the length of the vector it "
                        "sums is not known; write the sum with an index, e.g. \\sum_k x_k",
                        "ones vector")
        used = ({s.name for s in v.free_symbols} | set(self.st.sum_bound)
                | set(self.st.lhs_bound) | set(self.ctx.tensors))
        k = _index_symbol(next(c for c in "kqrsuvwpabcdefg" if c not in used))
        if isinstance(v, sp.Symbol) and v.name in self.ctx.tensors:
            entry = sp.Indexed(sp.IndexedBase(v.name), *self.full_index(v.name, k))
        else:
            entry = At(v, k)
        return sp.Sum(entry, (k, IMPLIED_BASE, n - 1 + IMPLIED_BASE))

    def norm(self, t: _Tok) -> sp.Expr:
        """`\\|x\\|`, `\\lVert x \\rVert_2`: the Euclidean norm of a vector (a square root of
        a sum of squares); `\\|x\\|^2` its square, read as the sum."""
        k = self.i + 1
        while k < self.hi and self.toks[k].key != ("cmd", r"\Vert"):
            k = self.mate[k] + 1 if self.toks[k].kind in ("open", "begin") else k + 1
        if k >= self.hi:
            raise _fail("the norm `\\|`", t.pos, "it is never closed", "norm")
        v = self.parse_range(self.i + 1, k)
        self.i = k + 1
        frobenius = False
        if self.at("sym", "_") and self.tok_at(self.i + 1, "num", "1") and not v.is_commutative:
            self.i += 2  # \|x\|_1: the sum of the absolute values of the entries
            s = self.sum_entries(v, t.pos)
            if s.function.has(At):
                raise _fail("the norm", t.pos, "\\|v\\|_1 is read of a named vector: define "
                            "it first (r = A x - b, then \\|r\\|_1)", "norm")
            return sp.Sum(sp.Abs(s.function), *s.limits)
        if self.at("sym", "_") and self.tok_at(self.i + 1, "num", "2"):
            self.i += 2
        elif self.at("sym", "_") and self.tok_at(self.i + 1, "name", "F"):
            self.i, frobenius = self.i + 2, True
        elif self.at("sym", "_"):
            raise _fail("the norm", t.pos, "only the norms \\|x\\|, \\|x\\|_2, \\|x\\|_1 of a "
                        "vector and the Frobenius norm \\|A\\|_F are understood", "norm")
        if v.is_commutative:
            return sp.Abs(v)
        rows, cols = self.matrix_rows(v), self.matrix_cols(v)
        if frobenius or (self.vector_length(v) is None and rows is not None):
            if rows is None or cols is None:
                raise _fail("the norm", t.pos, "the size of the matrix is not known; write the "
                            "sum of squares with indices", "norm")
            used = ({s.name for s in v.free_symbols} | set(self.st.sum_bound)
                    | set(self.st.lhs_bound) | set(self.ctx.tensors))
            k1, k2 = (_index_symbol(c) for c in [c for c in "kqrsuvwp" if c not in used][:2])
            entry = At(v, k1, k2)
            squares = sp.Sum(entry ** 2, (k1, IMPLIED_BASE, rows - 1 + IMPLIED_BASE),
                             (k2, IMPLIED_BASE, cols - 1 + IMPLIED_BASE))
        else:
            squares = self.sum_entries(Hadamard(v, v), t.pos)
        if self.at("sym", "^") and self.tok_at(self.i + 1, "num", "2"):
            self.i += 2
            return squares
        return sp.sqrt(squares)

    def trace(self, t: _Tok) -> sp.Expr:
        """`\\mathrm{tr}(A)`: the sum of the diagonal of a square matrix expression."""
        self.take()
        j = self.mate[self.i]
        a = self.parse_range(self.i + 1, j)
        self.i = j + 1
        n = self.matrix_rows(a)
        if n is None:
            raise _fail("the trace", t.pos, "its argument must be a square matrix symgrad can "
                        "size; write the sum of the diagonal with an index", "trace")
        used = ({s.name for s in a.free_symbols} | set(self.st.sum_bound)
                | set(self.st.lhs_bound) | set(self.ctx.tensors))
        k = _index_symbol(next(c for c in "kqrsuvwpabcdefg" if c not in used))
        if isinstance(a, sp.Symbol) and a.name in self.ctx.tensors:
            entry = sp.Indexed(sp.IndexedBase(a.name), k, k)
        else:
            entry = At(a, k, k)
        return sp.Sum(entry, (k, IMPLIED_BASE, n - 1 + IMPLIED_BASE))

    def matrix_rows(self, a: sp.Expr) -> sp.Expr | None:
        return self.matrix_dims(a)[0]

    def matrix_cols(self, a: sp.Expr) -> sp.Expr | None:
        return self.matrix_dims(a)[1]

    def matrix_dims(self, a: sp.Expr) -> tuple:
        """(rows, columns) of a matrix expression (a vector is a column), None if unknown:
        declared tensors, transposes, products, sums, element-wise functions."""
        if isinstance(a, sp.Symbol) and a.name in self.ctx.tensors:
            shape = tuple(_size(d) for d in self.ctx.tensors[a.name].shape)
            return shape if len(shape) == 2 else (shape[0], sp.Integer(1)) if len(
                shape) == 1 else (None, None)
        if isinstance(a, AtTime):
            return self.matrix_dims(a.args[0])
        if isinstance(a, Transpose):
            rows, cols = self.matrix_dims(a.args[0])
            return cols, rows
        if isinstance(a, sp.Mul):
            nc = [f for f in a.args if not f.is_commutative]
            if not nc:
                return None, None
            return self.matrix_dims(nc[0])[0], self.matrix_dims(nc[-1])[1]
        if isinstance(a, (sp.Add, Hadamard, HadamardDiv)):
            dims = [self.matrix_dims(f) for f in a.args if not f.is_commutative]
            return next((d for d in dims if None not in d), (None, None))
        if isinstance(a, sp.Pow) and a.exp.is_commutative:
            return self.matrix_dims(a.base)
        if isinstance(a, sp.Function) and len(a.args) == 1 and not isinstance(a, (Diag, At)):
            return self.matrix_dims(a.args[0])
        return None, None

    def columns_of_one_length(self, a: sp.Expr, b: sp.Expr) -> bool:
        """Both column vectors (no scalar factor read as one), of one known length."""
        (ra, ca), (rb, cb) = self.matrix_dims(a), self.matrix_dims(b)
        return (ca == cb == 1 and ra is not None and ra == rb and ra != 1
                and self.vector_length(a) is not None and self.vector_length(b) is not None)

    def full_index(self, name: str, k: sp.Symbol) -> tuple:
        shape = tuple(self.ctx.tensors[name].shape)
        return tuple(k if d != 1 else IMPLIED_BASE for d in shape) if len(shape) > 1 else (k,)

    def vector_length(self, v: sp.Expr) -> sp.Expr | None:
        """The length of a vector expression (a declared vector, element-wise functions of
        one, Hadamard products, scalar multiples, sums, a matrix times a vector)."""
        if isinstance(v, sp.Symbol) and v.name in self.ctx.tensors:
            dims = [d for d in self.ctx.tensors[v.name].shape if d != 1]
            return _size(dims[0]) if len(dims) == 1 else None
        if isinstance(v, (AtTime, Transpose)):
            return self.vector_length(v.args[0])
        if isinstance(v, (sp.exp, sp.log, sp.tanh, Softargmax)) or (
                isinstance(v, sp.Function) and v.func in (sigmoid, relu)):
            return self.vector_length(v.args[0])
        if isinstance(v, (Hadamard, HadamardDiv, sp.Add)):
            return next((n for a in v.args if (n := self.vector_length(a)) is not None), None)
        if isinstance(v, sp.Pow) and v.exp.is_commutative:
            return self.vector_length(v.base)
        if isinstance(v, sp.Mul):
            nc = [a for a in v.args if not a.is_commutative]
            if len(nc) == 1:
                return self.vector_length(nc[0])
            head = nc[0] if nc else None
            if isinstance(head, sp.Symbol) and head.name in self.ctx.tensors:
                shape = self.ctx.tensors[head.name].shape
                return _size(shape[0]) if len(shape) == 2 else None
        return None

    def hadamard(self) -> sp.Expr:
        """Products joined by \\odot and \\oslash, from the left: a \\oslash b \\odot c is
        (a \\oslash b) \\odot c."""
        items = [self.product()]
        while (t := self.peek()) is not None and t.kind == "cmd" and (
                t.text in _HADAMARD or t.text == _OSLASH):
            self.take()
            if t.text == _OSLASH:
                items = [HadamardDiv(items[0] if len(items) == 1 else Hadamard(*items),
                                     self.product())]
            else:
                items = self.regroup(items, self.product())
        return items[0] if len(items) == 1 else Hadamard(*items)

    def regroup(self, items: list, right: sp.Expr) -> list:
        """``a \\odot b c^\\top`` with vectors a, b and a matrix b c^T: the only reading whose
        shapes fit is (a ⊙ b) c^T (a vector cannot be multiplied entry by entry with a
        matrix), so that is the reading. Otherwise ⊙ binds looser than products."""
        nc = [f for f in right.args if not f.is_commutative] if isinstance(right, sp.Mul) else []
        if len(nc) < 2:
            return [*items, right]
        n, m = self.vector_length(items[-1]), self.vector_length(nc[0])
        rows, cols = self.matrix_dims(right)
        if n is None or n != m or 1 in (rows, cols) or None in (rows, cols):
            return [*items, right]
        scalars = [f for f in right.args if f.is_commutative]
        return [sp.Mul(*scalars, Hadamard(*items, nc[0]), *nc[1:])]

    def product(self) -> sp.Expr:
        first = self.pos()
        factors = [self.postfix()]
        while (t := self.peek()) is not None:
            if (t.kind == "cmd" and t.text in _MULOPS) or t.key == ("sym", "*"):
                self.take()
                right = self.postfix()
                if t.text == r"\cdot" and self.columns_of_one_length(sp.Mul(*factors), right):
                    factors = [self.sum_entries(Hadamard(sp.Mul(*factors), right), t.pos)]
                else:  # w \cdot x of two vectors is their inner product; else a product
                    factors.append(right)
            elif t.key == ("sym", "/"):
                self.take()
                factors.append(sp.Pow(self.postfix(), -1))
            elif t.key == ("cmd", r"\otimes"):
                self.take()
                right = self.postfix()
                if (self.vector_length(right) is not None
                        and self.vector_length(factors[-1]) is not None):
                    factors.append(Transpose(right))  # a \\otimes b = a b^T for vectors
                else:
                    factors[-1] = Kron(factors[-1], right)
            elif self.starts_atom(t):
                factors.append(self.postfix())
            else:
                break
        if any(f.has(_ONES) for f in factors) and len(factors) > 1:
            factors = self.ones_products(factors, first)
        guards = [f.args[0].cond for f in factors if _is_iverson(f)]
        if guards and len(guards) < len(factors):
            rest = [f for f in factors if not _is_iverson(f)]
            cond = sp.And(*guards)
            summed = {str(v) for v in self.st.sum_bound}
            plain = all(i.is_Symbol or i.is_Integer
                        for e in sp.Mul(*rest).atoms(sp.Indexed) for i in e.indices)
            if self.st.sum_bound and (cond.has(sp.Indexed) or (
                    plain and len(summed) > 1 and {s.name for s in cond.free_symbols} & summed)):
                # a condition on entries ([z_r > 0]) or on a summation index whose factors
                # read no shifted position ([l = 2j + k] W_k) inside a sum: no index to keep
                # in range, and a Piecewise would be folded out of the sum by SymPy (an
                # outer sum over a factor that depends on its index moves it: k left free)
                return sp.Mul(*rest) * Iverson(cond)
            return sp.Piecewise((sp.Mul(*rest), cond), (0, True))
        return sp.Mul(*factors)

    def postfix(self) -> sp.Expr:
        """An atom with its superscripts and subscripts; counts the nesting depth."""
        self.st.nest += 1
        try:
            if self.st.nest > _MAX_NEST:
                raise LimitError(f"formula nested deeper than {_MAX_NEST} at position {self.pos()}")
            base, kind = self.atom()
            while True:
                if self.at("sym", "'") or (self.at("sym", "^") and self.at("cmd", r"\prime", 1)):
                    t = self.take()
                    if kind in ("number", "scalar", "index"):
                        raise _fail("a prime", t.pos, "only \\sigma' and the transpose of a "
                                    "tensor are understood", "prime")
                    if t.text == "^":
                        self.take()
                    base = Transpose(base)
                elif self.at("sym", "^"):
                    self.take()
                    base = self.superscript(base)
                elif self.at("sym", "_"):
                    t = self.take()
                    if kind in ("number", "scalar", "index"):
                        raise _fail("a subscript", t.pos, "only tensors and parenthesised "
                                    "expressions take indices", "subscript")
                    if isinstance(base, sp.Symbol) and base.name in self.ctx.tensors:
                        base = self.element(base.name, self.sub_items(base.name))
                    else:
                        base = At(base, *self.sub_items(None))
                elif (kind == "group" and self.at("open", "[") and not base.is_commutative
                      and not self.iverson_at(self.i) and not self.toks[self.i].sp):
                    # \left(\frac{\partial \ell}{\partial f}\right)[r]: an entry of the group
                    base = At(base, *self.bracket_items())
                else:
                    return base
                kind = "other"
        finally:
            self.st.nest -= 1

    def superscript(self, base: sp.Expr) -> sp.Expr:
        t = self.peek()
        if t is not None and (t.key == ("name", "T") or (t.kind == "cmd" and t.text in _TRANSPOSE)):
            self.take()
            return Transpose(base)
        if t is not None and t.key == ("cmd", r"\prime"):
            raise self.error("a prime", "only \\sigma' is understood", "prime")
        if t is not None and t.key == ("open", "{") and self.mate[self.i] == self.i + 3 and \
                self.tok_at(self.i + 1, "sym", "-") and self.is_transpose(self.i + 2):
            self.i += 4
            return Transpose(sp.Pow(base, -1))  # X^{-\top}: the transpose of the inverse
        exponent = self.arg_expr()
        if base.is_Number and exponent.is_Number and abs(exponent) > 64:
            raise LimitError(f"the power at position {t.pos} is too large to evaluate")
        return sp.Pow(base, exponent)

    def is_transpose(self, k: int) -> bool:
        t = self.toks[k]
        return t.key == ("name", "T") or (t.kind == "cmd" and t.text in _TRANSPOSE)

    def atom(self) -> tuple[sp.Expr, str]:
        t = self.peek()
        if t is None:
            raise self.error("the end of the formula", "a term is expected", "missing term")
        if self.st.macros:
            value = self.macro()
            if value is not None:
                return value, "other"
        kind, x = t.kind, t.text
        if kind == "num":
            self.take()
            if len(x) > 100:
                raise LimitError(f"the number at position {t.pos} has more than 100 digits")
            whole, _, frac = x.partition(".")
            return sp.Rational(int(whole or "0") * 10 ** len(frac) + int(frac or "0"),
                               10 ** len(frac)), "number"
        if kind == "open":
            return self.group_atom(t)
        if t.key == ("sym", "|"):
            return self.absolute(t), "other"
        if kind == "begin":
            return self.environment(), "other"
        if kind == "cmd":
            return self.command_atom(t)
        if kind == "word":
            if self.ctx.match(self.toks, self.i, self.hi, set(), ("tensor",)):
                return self.name()
            if x.lower() in _FUNC_WORDS:
                return self.function(_FUNC_WORDS[x.lower()]), "other"
            if x.lower() in ("max", "min"):
                return self.extremum(t), "other"
            if x.lower() in ("tr", "trace") and self.at("open", "(", 1):
                return self.trace(t), "other"
            if self.at("open", "(", 1):
                raise self.error(f"the function `{x}`", "it is not one symgrad knows ("
                                 + _KNOWN_FUNCTIONS + "); write it out with those",
                                 f"function {x}")
            raise UnknownNameError(f"unknown word `{x}` at position {t.pos}; "
                                   f"{self.ctx.declared()}", position=t.pos)
        if kind == "name":
            if (x == "e" and self.at("sym", "^", 1) and not self.is_declared()
                    and x not in self.st.sum_bound):
                self.i += 2
                return sp.exp(self.arg_expr()), "other"
            return self.name()
        raise self.error(f"`{_spell(t)}`", "a term is expected here", f"unexpected {_spell(t)}")

    def macro(self) -> sp.Expr | None:
        """A use of a local definition: `K_{eff}`, or `s_{j+1}` for `s_p = 2p - 1`."""
        for m in sorted(self.st.macros.values(), key=lambda m: -len(m.head)):
            n, i = len(m.head), self.i
            if tuple(t.key for t in self.toks[i:i + n]) != m.head or i + n > self.hi:
                continue
            j = i + n
            if m.param is None:
                if self.tok_at(j, "sym", "_") or self.tok_at(j, "open", "["):
                    continue
                self.i = j
                self.st.used.add(m.written)
                return m.value
            if not self.tok_at(j, "sym", "_") or j + 1 >= self.hi:
                continue
            if self.tok_at(j + 1, "open", "{"):
                lo, hi, end = j + 2, self.mate[j + 1], self.mate[j + 1] + 1
            else:
                lo, hi, end = j + 1, j + 2, j + 2
            arg = self.parse_range(lo, hi, index=True)
            self.i = end
            self.st.used.add(m.written)
            return m.value.xreplace({_index_symbol(m.param): arg})
        return None

    def absolute(self, t: _Tok) -> sp.Expr:
        """`|a - b|` -> Abs(a - b)."""
        k = self.i + 1
        while k < self.hi and self.toks[k].key != ("sym", "|"):
            k = self.mate[k] + 1 if self.toks[k].kind in ("open", "begin") else k + 1
        if k >= self.hi:
            raise _fail("the absolute value `|`", t.pos, "it is never closed", "absolute value")
        e = self.parse_range(self.i + 1, k)
        self.i = k + 1
        if not e.is_commutative:
            raise _fail("`|...|` of a tensor", t.pos, "write \\|x\\| for its norm, or |x_i| "
                        "for the absolute value of each entry", "absolute value")
        return sp.Abs(e)

    def is_declared(self) -> bool:
        return self.ctx.match(self.toks, self.i, self.hi, set(), ("tensor", "scalar")) is not None

    def group_atom(self, t: _Tok) -> tuple[sp.Expr, str]:
        k, x = self.i, t.text
        j = self.mate[k]
        if x == "(" and self.ctx.match(self.toks, k, self.hi, set(), ("tensor",)):
            return self.name()
        if x in ("(", "{"):
            e = self.parse_range(k + 1, j)
            self.i = j + 1
            return e, "group"
        if x == "[":
            return self.bracket_atom(), "other"
        if x in (r"\lfloor", r"\lceil"):
            e = self.parse_range(k + 1, j)
            self.i = j + 1
            return (sp.floor(e) if x == r"\lfloor" else sp.ceiling(e)), "other"
        if x == r"\langle":
            items = self.split(k + 1, j, _is_comma)
            for lo, hi in items:
                self.check_slice(lo, hi)
            if len(items) != 2:
                raise _fail(f"the inner product `{self.st.snip(k, j + 1)}`", t.pos,
                            "it takes two vectors, e.g. \\langle x, A x \\rangle",
                            "inner product")
            a, b = (self.parse_range(lo, hi) for lo, hi in items)
            if a.is_commutative or b.is_commutative:
                raise _fail(f"the inner product `{self.st.snip(k, j + 1)}`", t.pos,
                            "it takes two vectors, e.g. \\langle x, A x \\rangle",
                            "inner product")
            self.i = j + 1
            return self.sum_entries(Hadamard(a, b), t.pos), "other"
        raise _fail(f"`{x}`", t.pos, "sets are not formulas", "set")

    def command_atom(self, t: _Tok) -> tuple[sp.Expr, str]:
        x = t.text
        if x in _FRACS:
            return self.fraction(), "other"
        if x == r"\sqrt":
            self.take()
            if self.at("open", "["):  # \sqrt[3]{x}: the cube root, never sqrt(3) x
                k, j = self.i, self.mate[self.i]
                order = self.toks[k + 1] if j == k + 2 else None
                if order is None or order.kind != "num" or not order.text.isdigit() \
                        or int(order.text) < 2:
                    raise _fail("the root", t.pos, "write \\sqrt[k]{x} with a whole number "
                                "k >= 2, or x^{1/k}", "root")
                self.i = j + 1
                return sp.Pow(self.arg_expr(), sp.Rational(1, int(order.text))), "other"
            return sp.sqrt(self.arg_expr()), "other"
        if x in (r"\sum", r"\prod") or (x in (r"\Pi", r"\Sigma") and not self.is_declared()
                                          and self.at("sym", "_", 1)):
            return self.big_operator(), "other"
        if x in _DOTS:
            if self.mode != "system":
                raise self.error("the ellipsis", "write the sum or the general element",
                                 "ellipsis")
            self.take()
            return sp.Symbol("..."), "other"
        if x == r"\infty":
            self.take()
            return sp.oo, "number"
        if x == _INDICATOR:
            return self.indicator(t), "other"
        if x == r"\vec" and self.tok_at(self.i + 1, "num", "1"):
            self.i += 2
            return sp.Integer(1), "number"
        if x == r"\partial":
            raise self.error("`\\partial`", "write derivatives as \\frac{\\partial A}{\\partial B}",
                             "partial")
        if self.ctx.match(self.toks, self.i, self.hi, set(self.st.sum_bound), ("tensor",)):
            return self.name()
        if x == r"\sigma":
            return self.sigma(), "other"
        if x in (r"\tanh", r"\exp", r"\log", r"\ln") or x[1:] in _MATRIX_WORDS:
            return self.function(_FUNC_WORDS[x[1:]]), "other"
        if x in (r"\max", r"\min"):
            return self.extremum(t), "other"
        if x == r"\nabla":
            self.take()
            of, wrt = self.nabla_refs(t)
            return self.derivative_value(t, of, wrt), "other"
        if x == r"\Vert":
            return self.norm(t), "other"
        if x == r"\delta" and self.at("sym", "_", 1):
            self.i += 2
            if self.toks[self.i].key == ("open", "{"):
                equal = self.delta_equalities(self.i + 1, self.mate[self.i])
                if equal is not None:  # \delta_{a=c, l=d}: one delta per equality
                    self.i = self.mate[self.i] + 1
                    return equal, "other"
            items = self.sub_items(None, targets={2})
            if len(items) != 2:
                raise _fail("the Kronecker delta", t.pos, "it takes two indices", "delta")
            return sp.KroneckerDelta(*items), "other"
        if x == r"\pi" and not self.is_declared():
            self.take()
            return sp.pi, "number"
        if any(k == tuple(u.key for u in self.toks[self.i:self.i + len(k)])
               for k in self.ctx.loss):
            raise self.error(f"the loss `{x}`", "it appears only inside \\frac{\\partial ...}",
                             "loss")
        if x in _GREEK or x in _ACCENTS or x.startswith(("\\math", "\\R")):
            return self.name()
        raise self.error(f"the command `{x}`", "unknown command", f"command {x}")

    def indicator(self, t: _Tok) -> sp.Expr:
        """`\\mathbb{1}\\{c\\}`, `\\mathbb{1}[c]`, `\\mathbf{1}_{c}`: the Iverson bracket of c;
        without a condition (`\\mathbf{1} - c[t]`, `\\mathbf{1}_m`) the all-ones vector, i.e. the
        scalar 1 broadcast."""
        self.take()
        k = self.i + 1 if self.at("sym", "_") else self.i
        nxt = self.toks[k] if k < self.hi else None
        if nxt is None or nxt.kind != "open" or not self.split(k + 1, self.mate[k],
                                                               self.is_relation)[1:]:
            if k > self.i:
                self.take()
                self.sub_items(None)
            return _ONES
        j = self.mate[k]
        self.i = j + 1
        if j == k + 1:
            raise _fail("the indicator", t.pos, "its condition is empty", "indicator")
        return sp.Piecewise((1, self.index_condition(k + 1, j)), (0, True))

    # ------------------------------------------------------------------ names
    def name(self) -> tuple[sp.Expr, str]:
        """A tensor (element), a time-indexed tensor, a size, an index or a model variable."""
        st, ctx, i0 = self.st, self.ctx, self.i
        t = self.toks[i0]
        if self.mode == "dims":
            e = ctx.match(self.toks, i0, self.hi, set(), ("scalar",))
            if e is not None:
                self.i += len(e.keys)
                return _scalar_symbol(e.name), "scalar"
            if ctx.match(self.toks, i0, self.hi, set(), ("tensor",)):
                raise self.error(f"the tensor `{t.text}`", _NOT_A_SIZE,
                                 "tensor in a shape")
            raise self.unknown(t)
        follows_index = self.tok_at(i0 + 1, "sym", "_") or self.tok_at(i0 + 1, "open", "[")
        extra, marks = self.primes(i0 + 1) if t.kind == "name" else (0, "")
        width, letter = 1 + extra, t.text + marks
        if t.kind == "name" and not follows_index and (
                letter in st.sum_bound or letter in st.lhs_bound or (width > 1 and self.index)):
            self.i += width
            return _index_symbol(letter), "index"
        split = self.split_subscript_alias()
        if split is None:
            split = self.family_alias()
        if split is not None:
            return split, "other"
        bound = set(st.sum_bound)
        e = ctx.match(self.toks, i0, self.hi, bound, ("tensor",))
        if e is not None and not (self.index and len(e.keys) == 1 and t.kind == "name"
                                  and not follows_index):
            after = i0 + len(e.keys)
            if (not e.has_bracket and t.key in ctx.time_base and self.tok_at(after, "open", "[")
                    and not self.stacks_tensors(after)):  # W [h[t-1], x[t]]: not W at a step
                return self.time_ref(), "other"
            if (not e.has_bracket and len(e.keys) > 1 and e.name in ctx.timed_names
                    and self.tok_at(after, "open", "[") and not self.stacks_tensors(after)
                    and not self.iverson_at(after)):  # h^{(1)}[t-1]: that tensor at a step
                self.i = after
                return self.time_element(e.name), "other"
            self.i = after
            if self.at("open", "[") and self.reads_time(e.name, after):
                return self.time_element(e.name), "other"
            return self.tensor_indices(e.name), "tensor"
        if t.key in ctx.time_base and self.tok_at(i0 + 1, "open", "["):
            return self.time_ref(), "other"
        e = ctx.match(self.toks, i0, self.hi, bound, ("scalar",))
        if e is not None and not (self.mode == "system" and follows_index):
            self.i += len(e.keys)
            return _scalar_symbol(e.name), "scalar"
        if t.kind == "name" and (self.index or t.text in st.sum_bound or t.text in st.lhs_bound):
            self.i += width
            return _index_symbol(letter), "index"
        if self.mode == "system" and (t.kind == "name" or t.text in _GREEK):
            return self.model_variable(), "other"
        if t.text in ("I", r"\mathbb{I}") or t.key == ("word", "Id"):
            return self.identity(), "other"
        if t.key == ("name", "e") and self.at("sym", "_", 1):
            self.i += 2
            (k,) = self.sub_items(None)
            return UnitVector(k), "other"  # e_k: the k-th standard basis vector
        raise self.unknown(t)

    def identity(self) -> sp.Expr:
        """`I`, `I_n`, `\\mathbf{I}`, `\\mathbb{I}`: the identity matrix, its size set by
        the formula around it."""
        self.take()
        if self.at("sym", "_"):
            self.take()
            self.sub_items(None)
        return IDENTITY

    def primes(self, j: int) -> tuple[int, str]:
        """The primes (`'`, `^\\prime`) after an index letter at j: (tokens, "'" each)."""
        k, marks = j, ""
        while True:
            if self.tok_at(k, "sym", "'") and not self.toks[k].sp:
                k += 1
            elif self.tok_at(k, "sym", "^") and self.tok_at(k + 1, "cmd", r"\prime"):
                k += 2
            else:
                return k - j, marks
            marks += "'"

    def reads_time(self, name: str, k: int) -> bool:
        """`g[t]`, `g[T]`, `g[t, r]`: a time step of a tensor declared as a time derivative."""
        rank = self.ctx.time_tensors.get(name)
        if rank is None or self.iverson_at(k):
            return False
        parts = self.split(k + 1, self.mate[k], lambda u: u.key == ("sym", ","))
        if len(parts) == rank + 1:
            return True
        times = self.ctx.time_letters | set(self.st.time_vars)
        a, b = parts[0]
        return len(parts) == 1 and any(
            u.kind == "name" and u.text in times for u in self.toks[a:b])

    def time_element(self, name: str) -> sp.Expr:
        """`g[t]` -> g at step t; `g[t, r]` -> entry r of g at step t."""
        items = self.bracket_items()
        e = AtTime(_tensor(name), items[0])
        if len(items) > 1:
            e = At(e, *items[1:])
        if self.at("sym", "_"):
            self.take()
            e = At(e, *self.sub_items(name))
        elif (len(items) == 1 and self.at("open", "[") and not self.iverson_at(self.i)
              and not self.stacks_tensors(self.i)):
            e = At(e, *self.bracket_items())  # z[t][i]: entry i of z at step t
        return e

    def stacks_tensors(self, k: int) -> bool:
        """Whether the bracket group at k stacks tensors (`W [h[t-1], x[t]]`), not indices."""
        items = self.split(k + 1, self.mate[k], _is_stack_separator)
        bound = set(self.st.sum_bound) | set(self.st.lhs_bound)
        return len(items) > 1 and all(
            any(self.ctx.match(self.toks, m, b, bound, ("tensor",))
                and not (b - a == 1 and self.toks[a].text in bound) for m in range(a, b))
            for a, b in items)

    def iverson_at(self, k: int) -> bool:
        """Whether the bracket group at k holds a condition (an Iverson bracket)."""
        return bool(self.split(k + 1, self.mate[k], self.is_relation)[1:])

    def unknown(self, t: _Tok) -> UnknownNameError:
        spelled = t.text
        if t.text in _ACCENTS and self.peek(1) is not None:
            spelled = f"{t.text}{{{self.peek(1).text}}}"
        return UnknownNameError(f"unknown name `{spelled}` at position {t.pos}; "
                                f"{self.ctx.declared()}", position=t.pos)

    def tensor_indices(self, name: str) -> sp.Expr:
        idx: list = []
        # a number (a_1[t], w_0[t]) has no entries: a bracket after it groups a factor,
        # a_1[t] [(1 - a_1[t]) v_1[t] - ...]
        scalar = name in self.ctx.tensors and not self.ctx.tensors[name].shape
        while True:
            if self.at("sym", "_"):
                self.take()
                idx.extend(self.sub_items(name))
            elif (self.at("open", "[") and not scalar and not self.iverson_at(self.i)
                  and not self.stacks_tensors(self.i)):
                idx.extend(self.bracket_items())
            else:
                break
        if not idx:
            return _tensor(name)
        return self.element(name, idx)

    def element(self, name: str, idx: list) -> sp.Indexed:
        """Element of a declared tensor; in a system, a slice (too few indices) stays ordered."""
        rank = len(self.ctx.tensors[name].shape) if name in self.ctx.tensors else 0
        slice_ = self.mode == "system" and len(idx) < rank
        return sp.Indexed(sp.IndexedBase(name, commutative=not slice_), *idx)

    def time_ref(self) -> sp.Expr:
        """`h[t-2]`: a time step of a time-indexed tensor that no alias names (`g[t, r]`:
        entry r of g at step t)."""
        head = self.take()
        k = self.i
        if (self.at("open", "[") and self.mate[k] == k + 2
                and self.toks[k + 1].kind == "name"
                and self.toks[k + 1].text in self.st.lhs_bound
                and self.toks[k + 1].text not in self.ctx.time_letters | set(self.st.time_vars)):
            now = self.ctx.match([head, _Tok("open", "[", 0, 0), _Tok("name", "t", 0, 0),
                                  _Tok("close", "]", 0, 0)], 0, 4, set(), ("tensor",))
            if now is not None:  # `x[k]`, k a left-side index: entry k of x[t]
                self.i = k + 3
                return self.element(now.name, [_index_symbol(self.toks[k + 1].text)])
        return self.time_element(self.ctx.time_base[head.key])

    def split_subscript_alias(self) -> sp.Expr | None:
        """`W_{x, ij}` / `W_{x\\ ij}`: the tensor W_x with indices i, j."""
        i0 = self.i
        if not (self.tok_at(i0 + 1, "sym", "_") and self.tok_at(i0 + 2, "open", "{")):
            return None
        j = self.mate[i0 + 2]
        c = i0 + 3
        if c + 1 >= j:
            return None
        key = (self.toks[i0].key, ("sym", "_"), self.toks[c].key)
        e = self.ctx.exact.get(key)
        if e is None or e.kind != "tensor":
            return None
        if self.toks[c + 1].key == ("sym", ","):
            start = c + 2
        elif self.toks[c + 1].sp:
            start = c + 1
        else:
            return None
        self.i = j + 1
        return self.element(e.name, self.split_items(start, j, e.name))

    def family_alias(self) -> sp.Expr | None:
        """`a_i[t]` where `a[t]` is declared: element i of that tensor."""
        i0 = self.i
        if not self.tok_at(i0 + 1, "sym", "_") or i0 + 2 >= self.hi:
            return None
        sub = i0 + 2
        sub_end = self.mate[sub] + 1 if self.toks[sub].kind == "open" else sub + 1
        if not self.tok_at(sub_end, "open", "["):
            return None
        close = self.mate[sub_end]
        key = (self.toks[i0].key,) + tuple(u.key for u in self.toks[sub_end:close + 1])
        e = self.ctx.exact.get(key)
        if e is None or e.kind != "tensor" or e.bracket_letters & set(self.st.sum_bound):
            return None
        whole = self.ctx.match(self.toks, i0, self.hi, set(self.st.sum_bound), ("tensor",))
        if whole is not None and len(whole.keys) >= close + 1 - i0:
            return None  # `v_{1}[t]` is itself declared: that tensor, not slot 1 of v[t]
        self.i = sub
        items = self.sub_items(e.name)
        self.i = close + 1
        return self.element(e.name, items)

    def model_variable(self) -> sp.Expr:
        """In a system: an undeclared variable, `Q_i` family member, `q_i[t]` time step."""
        t = self.take()
        name = t.text.lstrip("\\")
        if self.at("sym", "_"):
            self.take()
            base = sp.Indexed(sp.IndexedBase(name, commutative=False), *self.sub_items(None))
        else:
            base = _tensor(name)
        if self.at("open", "["):
            k = self.i
            j = self.mate[k]
            self.check_slice(k + 1, j)
            base = AtTime(base, self.parse_range(k + 1, j, index=True))
            self.i = j + 1
        return base

    # ------------------------------------------------------------------ indices
    def sub_items(self, name: str | None, targets: set[int] | None = None) -> list:
        """The indices of a subscript just after `_`."""
        t = self.peek()
        if t is None:
            raise self.error("a subscript", "it is empty", "subscript")
        if t.key == ("open", "{"):
            j = self.mate[self.i]
            lo, hi, self.i = self.i + 1, j, j + 1
        elif t.kind == "open":
            j = self.mate[self.i]
            lo, hi, self.i = self.i, j + 1, j + 1
        elif t.kind in ("name", "num", "cmd", "word"):
            lo, hi = self.i, self.i + 1
            self.i += 1
        else:
            raise self.error("a subscript", f"`{_spell(t)}` is not an index", "subscript")
        return self.split_items(lo, hi, name, targets)

    def delta_equalities(self, lo: int, hi: int) -> sp.Expr | None:
        """``\\delta_{i=c, 2j+k=d}`` as the product of the Kronecker deltas of each
        equality; None when the subscript states none."""
        out = sp.Integer(1)
        for a, b in self.split(lo, hi, lambda u: u.key == ("sym", ",")):
            sides = self.split(a, b, lambda u: u.key == ("sym", "="))
            if len(sides) != 2:
                return None
            (p, q), (r, w) = sides
            out *= sp.KroneckerDelta(self.parse_range(p, q, index=True),
                                     self.parse_range(r, w, index=True))
        return out

    def split_items(self, lo: int, hi: int, name: str | None,
                    targets: set[int] | None = None) -> list:
        """Split a subscript into indices: commas, or juxtaposed letters/digits by rank."""
        if lo >= hi:
            raise _fail("a subscript", self.toks[lo - 1].pos, "it is empty", "subscript")
        if self.toks[lo].key == ("open", "(") and self.mate[lo] == hi - 1:
            lo, hi = lo + 1, hi - 1
        parts = self.split(lo, hi, lambda u: u.key == ("sym", ","))
        if len(parts) > 1:
            return [self.parse_range(a, b, index=True) for a, b in parts]
        units, k = [], lo
        while k < hi:
            u = self.toks[k]
            if (u.key == ("open", "(") and units and self.toks[units[-1][0]].kind == "name"
                    and max(self.ctx.rank(name) if targets is None else targets) > 1):
                units.append((k, self.mate[k] + 1))  # `x_{c'(2j+k')}`: x[c', 2j+k']
                k = self.mate[k] + 1
                continue
            if u.kind not in ("name", "num") or "." in u.text:
                return [self.parse_range(lo, hi, index=True)]
            width = 1 + (self.primes(k + 1)[0] if u.kind == "name" else 0)
            units.append((k, min(k + width, hi)))
            k += width
        toks = [self.toks[a] for a, _ in units]
        targets = targets if targets is not None else self.ctx.rank(name)
        whole = [self.child(a, b, index=True).expr() for a, b in units]
        digits: list = []
        for u, w in zip(toks, whole, strict=True):
            if u.kind == "num":
                digits.extend(sp.Integer(int(d)) for d in u.text)
            else:
                digits.append(w)
        letters = sum(1 for u in toks if u.kind == "name")
        if any(u.kind == "open" for u in toks):
            if len(whole) in targets:
                return whole
            return [self.parse_range(lo, hi, index=True)]
        if all(u.kind == "num" for u in toks) and len(digits) in targets:
            return digits
        if len(whole) in targets:
            return whole
        if len(digits) in targets and letters:
            return digits
        if len(whole) == 1 or letters == len(whole) or letters >= 2:
            return whole
        return [self.parse_range(lo, hi, index=True)]

    def enter_brackets(self, construct: str) -> tuple[int, int]:
        """Step over `[...]` at the cursor, refusing slices and empty brackets: (open, close)."""
        k = self.i
        j = self.mate[k]
        self.check_slice(k + 1, j)
        if j == k + 1:
            raise _fail("the brackets `[]`", self.toks[k].pos, "they are empty", construct)
        self.i = j + 1
        return k, j

    def bracket_items(self) -> list:
        k, j = self.enter_brackets("index")
        return [self.parse_range(a, b, index=True)
                for a, b in self.split(k + 1, j, lambda u: u.key == ("sym", ","))]

    def check_slice(self, lo: int, hi: int) -> None:
        for a, b in self.split(lo, hi, lambda u: u.key == ("sym", ",")):
            if len(self.split(a, b, lambda u: u.key == ("sym", ":"))) > 1:
                pos = self.toks[a].pos if a < b else self.toks[lo - 1].pos
                raise _fail(f"the slice `{self.st.snip(a, b)}`", pos,
                            "slices are not formulas; write the sum over the kernel taps",
                            "slice")

    def bracket_atom(self) -> sp.Expr:
        """`[a, b, ...]` -> Stack; `[cond]` -> Iverson bracket; `[a]` -> a."""
        k, j = self.enter_brackets("brackets")
        if self.split(k + 1, j, self.is_relation)[1:]:
            return sp.Piecewise((1, self.index_condition(k + 1, j)), (0, True))
        items = []
        rows = self.split(k + 1, j, lambda u: u.key == ("sym", ";"))
        split = _is_stack_separator if len(rows) > 1 else _is_comma
        for a, b in self.split(k + 1, j, split):
            if b > a and self.toks[a].kind == "cmd" and self.toks[a].text in _DOTS:
                items.append(sp.Symbol("..."))  # `\\dots w_k[t]`: the gap, then the last
                if b > a + 1:
                    items.append(self.parse_range(a + 1, b))
            else:
                items.append(self.parse_range(a, b))
        if len(items) == 1:
            return items[0]
        return VStack(*items) if len(rows) > 1 else Stack(*items)

    # ------------------------------------------------------------------ constructs
    def fraction(self) -> sp.Expr:
        t = self.take()
        braced = self.at("open", "{")
        a1, b1 = self.arg_range()
        first = self.toks[a1]
        if not braced and first.kind == "num" and first.text.isdigit() and len(first.text) > 1:
            if len(first.text) != 2:
                raise _fail(f"`\\frac{first.text}`", t.pos, "write \\frac{a}{b}", "fraction")
            return sp.Rational(int(first.text[0]), int(first.text[1]))
        a2, b2 = self.arg_range()
        if self.is_partial(a1) or self.is_partial(a2):
            if self.mode == "dims":
                raise _fail("the derivative", t.pos, _NOT_A_SIZE,
                            "derivative in a shape")
            if self.is_partial(a1) and a1 + 1 >= b1 and self.is_partial(a2) and a2 + 1 < b2:
                return self.derivative_of_next(t, a2 + 1, b2)
            of, wrt = self.refs_from(t, a1, b1, a2, b2)
            qualifier = self.evaluation_bar()
            return self.derivative_entry(t, self.derivative_value(t, of, wrt, qualifier))
        return self.parse_range(a1, b1) * sp.Pow(self.parse_range(a2, b2), -1)

    def derivative_of_next(self, t: _Tok, lo: int, hi: int) -> sp.Expr:
        """`\\frac{\\partial}{\\partial W[1, c', m']} \\left( \\sum_{c, m} W[1, c, m] x[c, ..]
        \\right)`: the derivative of the index expression after it by one entry, taken by
        SymPy (Kronecker deltas where the entry's indices meet the expression's)."""
        wrt = self.parse_range(lo, hi, mode="formula")
        if self.i >= self.hi:
            raise _fail("the derivative operator", t.pos, "write what it differentiates "
                        "after it", "derivative")
        operand = self.postfix()
        if not (isinstance(wrt, sp.Indexed) and operand.is_commutative
                and any(e.base == wrt.base for e in operand.atoms(sp.Indexed))):
            raise _fail("the derivative operator", t.pos, "write \\frac{\\partial A}{\\partial B}"
                        " with A and B inside (an operator applies here only to an index "
                        "expression, by one entry of a tensor in it)", "derivative")
        return sp.diff(operand, wrt)

    def derivative_entry(self, t: _Tok, value: sp.Expr) -> sp.Expr:
        """`\\frac{..}{..}[f, i]`, `\\frac{..}{..}_{1,j}`: an entry of the derivative's tensor."""
        head = value.args[0] if isinstance(value, AtTime) else value
        name = head.name if isinstance(head, sp.Symbol) else None
        idx: list = []
        while True:
            if self.at("open", "[") and not self.iverson_at(self.i):
                idx.extend(self.bracket_items())
            elif self.at("sym", "_"):
                self.take()
                idx.extend(self.sub_items(name))
            else:
                break
        if not idx:
            return value
        if name is None:
            raise _fail("the derivative", t.pos, "its entry is named twice", "derivative")
        if isinstance(value, AtTime):
            return At(value, *idx)
        return sp.Indexed(sp.IndexedBase(name), *idx)

    def is_partial(self, k: int) -> bool:
        """`\\partial`, or the `d` of `\\frac{d\\ell}{dW}` (an undeclared d before a name)."""
        t = self.toks[k]
        if t.key == ("cmd", r"\partial"):
            return True
        nxt = self.toks[k + 1] if k + 1 < len(self.toks) else None
        return (t.key in (("name", "d"), ("word", "d")) and nxt is not None
                and nxt.kind in ("name", "cmd", "open") and nxt.key != ("sym", "_")
                and not self.ctx.match(self.toks, k, k + 1, set(), ("tensor", "scalar"))
                and "d" not in self.st.sum_bound and "d" not in self.st.lhs_bound)

    def derivative_refs(self) -> tuple[tuple, tuple]:
        """At `\\frac{\\partial A}{\\partial B}`: the decoded references A and B."""
        t = self.take()
        if t.text == r"\nabla":
            return self.nabla_refs(t)
        if t.text not in _FRACS:
            raise _fail(f"`{t.text}`", t.pos, "a derivative \\frac{\\partial A}{\\partial B} "
                        "is expected", "derivative")
        a1, b1 = self.arg_range()
        a2, b2 = self.arg_range()
        return self.refs_from(t, a1, b1, a2, b2)

    def nabla_refs(self, t: _Tok) -> tuple[tuple, tuple]:
        """After `\\nabla`: `_{W_x} \\ell` -> (the loss, W_x), the gradient of the loss."""
        if not self.at("sym", "_"):
            raise _fail("the gradient", t.pos, "write the variable under it, e.g. "
                        "\\nabla_{W} \\ell", "gradient")
        self.take()
        wrt = self.ref(*self.arg_range(), numerator=False)
        full = self.ctx.match(self.toks, self.i, self.hi, set(), ("tensor",))
        if full is not None:  # a declared quantity, as in \\frac: \\nabla_x f, \\nabla_z L
            hi = self.i + len(full.keys)
            of = self.ref(self.i, hi, numerator=True)
            self.i = hi
            return of, wrt
        for n in (1, 2, 3, 4):
            if tuple(u.key for u in self.toks[self.i:self.i + n]) in self.ctx.loss_any:
                self.i += n
                return ("loss", (), None), wrt
        raise _fail("the gradient", t.pos, "write the loss after it, e.g. \\nabla_{W} \\ell",
                    "gradient")

    def refs_from(self, t: _Tok, a1: int, b1: int, a2: int, b2: int) -> tuple[tuple, tuple]:
        if not (self.is_partial(a1) and self.is_partial(a2)):
            raise _fail("the derivative", t.pos, "write \\frac{\\partial A}{\\partial B}",
                        "derivative")
        if a1 + 1 >= b1 or a2 + 1 >= b2:
            raise _fail("the derivative operator", t.pos,
                        "write \\frac{\\partial A}{\\partial B} with A and B inside", "derivative")
        return self.ref(a1 + 1, b1, numerator=True), self.ref(a2 + 1, b2, numerator=False)

    def ref(self, lo: int, hi: int, numerator: bool) -> tuple:
        """(name, indices, time) of the quantity A in `\\partial A`."""
        if self.toks[lo].key == ("open", "{") and self.mate[lo] == hi - 1:
            lo, hi = lo + 1, hi - 1
        keys = tuple(u.key for u in self.toks[lo:hi])
        full = self.ctx.match(self.toks, lo, hi, set(), ("tensor",))
        if numerator and keys in self.ctx.loss_any and not (full and len(full.keys) == hi - lo):
            return ("loss", (), None)
        e = self.parse_range(lo, hi, index=False, mode="formula")
        decoded = _decode(e, self.ctx)
        if decoded is None:
            raise _fail(f"the quantity `{self.st.snip(lo, hi)}`", self.toks[lo].pos,
                        "it is not a declared tensor", "derivative")
        return decoded

    def evaluation_bar(self) -> str | None:
        """`\\Big|_{\\text{direct}}` after a derivative: "direct" for the partial through
        that quantity alone; None without a bar. Other bars are refused, never dropped."""
        if not (self.at("sym", "|") and self.at("sym", "_", 1)):
            return None
        k, bar = self.i, self.take()
        self.take()
        lo, hi = self.arg_range()
        words = {u.text.lower() for u in self.toks[lo:hi] if u.kind in ("word", "name")}
        letters = "".join(u.text for u in self.toks[lo:hi] if u.kind == "name").lower()
        if words & _DIRECT_WORDS or any(w in letters for w in _DIRECT_WORDS):
            return "direct"
        raise _fail(f"the evaluation bar `{self.st.snip(k, self.i)}`", bar.pos,
                    "only |_{\\text{direct}} (the partial through this quantity alone) is "
                    "understood; write the quantity it means by its name", "evaluation bar")

    def derivative_value(self, t: _Tok, of: tuple, wrt: tuple,
                         qualifier: str | None = None) -> sp.Expr:
        """A derivative on a right side: the declared tensor that it names (e.g. g)."""
        try:
            return self.declared_derivative(t, of, wrt, qualifier)
        except ParseError:
            steps = self.as_step(of), self.as_step(wrt)
            if steps == (of, wrt) or (steps[0][2] is not None and steps[1][2] is not None
                                      and steps[0][0] != steps[1][0]):  # not one series
                raise
            return self.declared_derivative(t, *steps, qualifier)

    def as_step(self, ref: tuple) -> tuple:
        """`h[T]` declared as its own tensor h_T: the time step T of h."""
        step = self.ctx.step(ref[0])
        if ref[2] is not None or step is None:
            return ref
        base = self.ctx.time_base.get(step[0])
        base_step = self.ctx.step(base) if base else None
        if base is None or base == ref[0] or base_step is None or not isinstance(
                base_step[1], sp.Symbol):
            return ref
        return (base, ref[1], step[1])

    def declared_derivative(self, t: _Tok, of: tuple, wrt: tuple,
                            qualifier: str | None = None) -> sp.Expr:
        """The declared tensor named by the derivative of `of` in `wrt` (with the same
        evaluation bar, if any)."""
        for d_of, d_wrt, name, d_qualifier in self.ctx.derivs:
            if d_of == of[0] and d_wrt == wrt[0] and d_qualifier == qualifier:
                idx = tuple(of[1]) + tuple(wrt[1])
                if d_of == d_wrt and (of[2] is not None or wrt[2] is not None):
                    # a series by its own earlier step (dh[tau]/dh[tau-i], declared as
                    # dh[t]/dh[t-i]): the declared family over the lag, at the later step
                    now, before = (_index_symbol("t") if s is None else s
                                   for s in (of[2], wrt[2]))
                    lag = sp.Indexed(sp.IndexedBase(name, commutative=False),
                                     sp.expand(now - before))  # a matrix: products keep order
                    return At(AtTime(lag, now), *idx) if idx else AtTime(lag, now)
                if of[2] is not None and wrt[2] is not None:
                    break
                tau = of[2] if of[2] is not None else wrt[2]
                if tau is not None:
                    base = AtTime(_tensor(name), tau)
                    return At(base, *idx) if idx else base
                return sp.Indexed(sp.IndexedBase(name), *idx) if idx else _tensor(name)
        if qualifier is not None:
            raise _fail("the derivative", t.pos, f"this question gives no {qualifier} partial "
                        "of it", "derivative")
        raise _fail("the derivative", t.pos, "it is not a declared quantity; declare the given "
                    "gradient with this spelling as an alias", "derivative")

    def big_operator(self, reduce=None) -> sp.Expr:
        """`\\sum`, `\\prod` with limits; ``reduce``: a max or min over them instead."""
        t = self.take()
        limits = upper = None
        for _ in range(2):
            if self.at("sym", "_") and limits is None:
                self.take()
                limits = self.sum_limits(t, *self.arg_range())
            elif self.at("sym", "^") and upper is None:
                self.take()
                upper = self.arg_expr_index()
            else:
                break
        if limits is None:
            raise _fail("the sum", t.pos, "write the index and its bounds, e.g. \\sum_{m=1}^{K}",
                        "sum")
        if upper is not None:
            if len(limits) != 1 or limits[0][2] is not None:
                raise _fail("the sum", t.pos, "its upper bound is given twice", "sum")
            if limits[0][1] is None:
                raise _fail("the sum", t.pos, "write its lower bound too, e.g. \\sum_{m=1}^{K}",
                            "sum")
            limits[0] = (*limits[0][:2], upper)
        times = self.ctx.time_letters | set(self.st.time_vars) | {"t"}
        if self.ctx.time_letters:
            limits = [(v, sp.Integer(1), self.open_bound(t)) if lo is None and v in times
                      else (v, lo, hi) for v, lo, hi in limits]
        implied = [v for v, lo, hi in limits if hi is None and (
            lo is None or (v not in times and lo in (0, 1)))]
        limits = [(v, lo, hi if hi is not None or v in implied else self.open_bound(t))
                  for v, lo, hi in limits]
        times = self.ctx.time_letters | set(self.st.time_vars)
        timed = [v for v, lo, hi in limits if v in self.ctx.time_letters
                 or {s.name for s in sp.Tuple(lo or 0, hi or 0).free_symbols} & times]
        self.st.sum_bound.extend(v for v, _, _ in limits)
        self.st.time_vars.extend(timed)
        try:
            sign = 1
            while self.at("sym", "-") or self.at("sym", "+"):
                sign = -sign if self.take().text == "-" else sign
            if not self.starts_atom(self.peek()):
                raise _fail("the sum", t.pos, "it has no summand", "sum")
            start = self.i
            try:
                body = sign * self.hadamard()
            except UnknownNameError as err:
                if reduce is not None:
                    raise
                self.i = start
                return self.unrolled(limits, err)
        finally:
            del self.st.sum_bound[len(self.st.sum_bound) - len(limits):]
            del self.st.time_vars[len(self.st.time_vars) - len(timed):]
        if implied:
            limits = [(v, *self.implied_bounds(t, v, lo, body)) if v in implied else (v, lo, hi)
                      for v, lo, hi in limits]
        op = reduce or (sp.Sum if t.text in (r"\sum", r"\Sigma") else sp.Product)
        return op(body, *[(_index_symbol(v), lo, hi) for v, lo, hi in reversed(limits)])

    def implied_bounds(self, t: _Tok, var: str, lo: sp.Expr | None, body: sp.Expr) -> tuple:
        """Bounds of `\\sum_k` (or `\\sum_{k=0}`) from the axis k indexes in the summand
        (`W_{ik} x_k`): the whole axis, from the claim's index base unless a lower bound is
        written."""
        k = _index_symbol(var)
        dims, fixed = set(), set()
        for e in body.atoms(sp.Indexed):
            spec = self.ctx.tensors.get(str(e.base.label))
            if spec is None:
                continue
            shape = tuple(spec.shape)
            idx = tuple(e.indices)
            if len(idx) < len(shape):
                shape = tuple(d for d in shape if d != 1) if len(idx) == sum(
                    1 for d in shape if d != 1) else shape
            if len(idx) != len(shape):
                continue
            for axis, i in enumerate(idx):
                if i == k:
                    dims.add(_size(shape[axis]))
                    if axis == 0 and spec.base is not None:
                        fixed.add(spec.base)
        if len(dims) != 1:
            why = ("the tensors it indexes have different sizes along it" if dims else
                   "no tensor in the summand is indexed by it alone")
            raise _fail("the sum", t.pos, f"its bounds are not written and {why}; write them, "
                        "e.g. \\sum_{m=1}^{K}", "sum without bounds")
        first = lo if lo is not None else fixed.pop() if len(fixed) == 1 else IMPLIED_BASE
        return first, dims.pop() - 1 + first

    def open_bound(self, t: _Tok) -> sp.Expr:
        """The upper bound of `\\sum_{t \\ge T}`: the sequence length L, where it is declared."""
        for length in ("L", "K"):
            if length in self.ctx.scalars:
                return _scalar_symbol(length)
        raise _fail("the sum", t.pos, "it has no upper bound; write it, e.g. \\sum_{t=T}^{L}",
                    "sum without an upper bound")

    def unrolled(self, limits: list, err: UnknownNameError) -> sp.Expr:
        """`\\sum_{i=0}^{2} a_i[t] v_i[t]` over tensors v_0, v_1, v_2: the sum written out."""
        if len(limits) != 1 or self.st.unrolling:
            raise err
        (var, lo, hi), k = limits[0], self.i
        family = any(
            self.toks[m].key == ("sym", "_") and self.toks[m + 1].key == ("name", var)
            and any(len(e.keys) > 2 and e.keys[1] == ("sym", "_") and e.keys[2][0] == "num"
                    for e in self.ctx.by_first.get(self.toks[m - 1].key, ()))
            for m in range(k + 1, self.hi - 1))
        if not (family and lo.is_Integer and hi.is_Integer and 0 < hi - lo + 1 <= 16):
            raise err
        saved = list(self.st.toks)
        terms = []
        self.st.unrolling = True
        try:
            for value in range(int(lo), int(hi) + 1):
                for m in range(k, self.hi):
                    u = saved[m]
                    if u.key == ("name", var):
                        self.st.toks[m] = _Tok("num", str(value), u.pos, u.end, u.sp)
                self.i = k
                terms.append(self.hadamard())
        finally:
            self.st.toks[:] = saved
            self.st.unrolling = False
        return sp.Add(*terms)

    def sum_limits(self, t: _Tok, lo: int, hi: int) -> list:
        """The subscript of a sum: `m=1`, `t \\ge T`, `1 \\le r \\le n`, or a `\\substack` of
        these; (letter, lower, upper or None) per index, outermost first."""
        if self.tok_at(lo, "cmd", r"\substack") and self.tok_at(lo + 1, "open", "{"):
            j = self.mate[lo + 1]
            if j + 1 != hi:
                raise _fail("the sum", t.pos, "write its \\substack alone", "sum")
            rows = [r for r in self.split(lo + 2, j, lambda u: u.kind == "sep") if r[0] < r[1]]
            return [self.sum_row(t, a, b) for a, b in rows]
        items = self.split(lo, hi, _is_comma)
        if len(items) > 1 and all(b == a + 1 and self.toks[a].kind == "name"
                                  and len(self.toks[a].text) == 1 for a, b in items):
            return [(self.toks[a].text, None, None) for a, _ in items]
        return [self.sum_row(t, lo, hi)]

    def relation_pieces(self, lo: int, hi: int) -> tuple[list, list]:
        """toks[lo:hi] split at its relations outside brackets (`=`, `<`, `<=`, `\\le`,
        ...): the pieces between them as (start, end) and the relations as SymPy classes
        (`1 \\le r < n`: three pieces, Le and Lt)."""
        pieces, ops, start, k = [], [], lo, lo
        while k < hi:
            u = self.toks[k]
            if u.kind in ("open", "begin"):
                k = self.mate[k] + 1
                continue
            op, width = None, 1
            if u.kind == "cmd" and u.text in _REL_CMDS:
                op = _REL_CMDS[u.text]
            elif u.kind == "sym" and u.text in "=<>":
                op = {"=": sp.Eq, "<": sp.Lt, ">": sp.Gt}[u.text]
                if u.text != "=" and k + 1 < hi and self.tok_at(k + 1, "sym", "="):
                    op, width = (sp.Le if u.text == "<" else sp.Ge), 2
            if op is None:
                k += 1
                continue
            pieces.append((start, k))
            ops.append(op)
            k += width
            start = k
        pieces.append((start, hi))
        return pieces, ops

    def sum_row(self, t: _Tok, lo: int, hi: int) -> tuple:
        """`m=1` / `t \\ge T` / `t > T` / `1 \\le r \\le n` -> (letter, lower, upper or None)."""
        pieces, ops = self.relation_pieces(lo, hi)
        how = "write the index and its bounds, e.g. \\sum_{m=1}^{K} or \\sum_{1 \\le m \\le K}"

        def letter(piece):
            a, b = piece
            return self.toks[a].text if b == a + 1 and self.toks[a].kind == "name" else None

        def bound(piece, shift=0):
            if piece[0] >= piece[1]:
                raise _fail("the sum", t.pos, how, "sum")
            return self.parse_range(*piece, index=True) + shift

        if (hi - lo > 2 and letter((lo, lo + 1)) and self.tok_at(lo + 1, "cmd", r"\in")
                and self.tok_at(lo + 2, "open", "\\{") and self.mate[lo + 2] == hi - 1):
            # `i \in \{2j-1, \dots, 2j\}` or `i \in \{2j-1, 2j\}`: a range of consecutive values
            first, last, members = self.set_members(lo + 2)
            if members is not None and all(sp.expand(b - a) == 1 for a, b in
                                           zip(members, members[1:])):
                first, last = members[0], members[-1]
            if first is not None:
                return letter((lo, lo + 1)), first, last
        up, down = (sp.Le, sp.Lt), (sp.Ge, sp.Gt)
        if len(pieces) == 1 and letter(pieces[0]):
            return letter(pieces[0]), None, None
        if len(pieces) == 2 and letter(pieces[0]):
            var, op = letter(pieces[0]), ops[0]
            if op in (sp.Eq, *down):
                return var, bound(pieces[1], int(op is sp.Gt)), None
        elif len(pieces) == 2 and letter(pieces[1]) and ops[0] in up:
            return letter(pieces[1]), bound(pieces[0], int(ops[0] is sp.Lt)), None
        elif len(pieces) == 3 and letter(pieces[1]):
            var = letter(pieces[1])
            if ops[0] in up and ops[1] in up:
                return (var, bound(pieces[0], int(ops[0] is sp.Lt)),
                        bound(pieces[2], -int(ops[1] is sp.Lt)))
            if ops[0] in down and ops[1] in down:
                return (var, bound(pieces[2], int(ops[1] is sp.Gt)),
                        bound(pieces[0], -int(ops[0] is sp.Gt)))
        if len(pieces) >= 2 and not any(letter(x) for x in pieces):
            raise _fail("the sum", t.pos, "its index must be a single letter", "sum")
        raise _fail("the sum", t.pos, how, "sum")

    def arg_expr_index(self) -> sp.Expr:
        lo, hi = self.arg_range()
        return self.parse_range(lo, hi, index=True)

    def call_argument(self, allow_bare: bool) -> sp.Expr:
        t = self.peek()
        if t is not None and (t.key in (("open", "("), ("open", "{")) or (
                t.key == ("open", "[") and not self.iverson_at(self.i))):
            # diag[\sigma(z) \odot (1 - \sigma(z))]: a function's argument in any bracket
            j = self.mate[self.i]
            lo, self.i = self.i + 1, j + 1
            return self.parse_range(lo, j)
        if allow_bare and self.starts_atom(t):
            return self.postfix()
        raise self.error("a function", "write its argument in parentheses", "function argument")

    def function(self, kind: str) -> sp.Expr:
        self.take()
        power = None
        if kind in ("tanh", "exp", "log", "sigmoid") and self.at("sym", "^"):
            self.take()
            power = self.arg_expr()
        if kind == "softargmax" and self.at("open", "(") and self.split(
                self.i + 1, self.mate[self.i], _is_comma)[1:]:
            arg = self.bracket_atom()
        else:
            arg = self.call_argument(allow_bare=kind in ("exp", "log") or OPS[kind].matrix)
        e = op_head(kind)(arg)
        return e if power is None else sp.Pow(e, power)

    def extremum(self, t: _Tok) -> sp.Expr:
        """`\\max(0, z)` is ReLU(z); `\\max(a, b)`, `\\min(a, b)` of scalars or entries;
        `\\max_{i=a}^{b} x_i`, `\\max_k x_k` over an index, bounds read as a sum's."""
        if self.at("sym", "_", 1):
            big = t.text.lstrip("\\").lower() == "max"
            e = self.big_operator(op_head("maxover" if big else "minover"))
            if len(e.limits) != 1 or not e.function.is_commutative:
                raise _fail(f"`{t.text}`", t.pos, "a max or min runs over one index of "
                            "numbers, e.g. \\max_{i=1}^{k} x_i", "max over an index")
            return e
        self.take()
        if not self.at("open", "("):
            raise self.error(f"`{t.text}`", "write its arguments in parentheses, e.g. "
                             "\\max(0, z)", "max")
        j = self.mate[self.i]
        args = [self.parse_range(a, b) for a, b in self.split(self.i + 1, j, _is_comma)]
        self.i = j + 1
        if len(args) < 2:
            raise _fail(f"`{t.text}`", t.pos, "it needs two or more arguments", "max")
        big = t.text.lstrip("\\").lower() == "max"
        zero = [a == 0 for a in args]
        if big and len(args) == 2 and sum(zero) == 1:
            return relu(args[zero.index(False)])
        if not all(a.is_commutative for a in args):
            raise _fail(f"`{t.text}` of tensors", t.pos, "write it element by element, e.g. "
                        "y_i = \\max(a_i, b_i)", "max of tensors")
        return (sp.Max if big else sp.Min)(*args)

    def sigma(self) -> sp.Expr:
        self.take()
        prime = False
        if self.at("sym", "'"):
            self.take()
            prime = True
        elif self.at("sym", "^") and self.at("cmd", r"\prime", 1):
            self.i += 2
            prime = True
        s = sigmoid(self.call_argument(allow_bare=False))
        if not prime:
            return s
        return s * (1 - s) if s.is_commutative else Hadamard(s, 1 - s)

    def environment(self) -> sp.Expr:
        t = self.peek()
        k = self.i
        j = self.mate[k]
        if t.text not in ("cases", "dcases"):
            why = ("matrix literals are not checked; write the element formula"
                   if t.text.endswith("matrix") else "unsupported environment")
            raise _fail(f"`\\begin{{{t.text}}}`", t.pos, why, f"environment {t.text}")
        self.i = j + 1
        pieces = []
        for a, b in self.split(k + 1, j, lambda u: u.key == ("sep", "\\\\")):
            if a == b:
                continue
            cells = self.split(a, b, lambda u: u.key == ("sym", "&"))
            if len(cells) == 1:
                kw = [m for m in range(a, b) if self.toks[m].kind == "word"
                      and self.toks[m].text in _KEYWORDS and self.depth0(a, m)]
                cells = [(a, kw[0]), (kw[0], b)] if kw else cells
            if len(cells) != 2:
                raise _fail("a row of cases", self.toks[a].pos,
                            "write `value & condition`", "cases")
            (va, vb), (ca, cb) = cells
            while vb > va and self.toks[vb - 1].kind == "sym" and self.toks[vb - 1].text in ",.":
                vb -= 1
            pieces.append((self.parse_range(va, vb), self.condition_range(ca, cb)))
        if not pieces:
            raise _fail("the cases", t.pos, "they are empty", "cases")
        return sp.Piecewise(*pieces)

    def depth0(self, lo: int, k: int) -> bool:
        m = lo
        while m < k:
            if self.toks[m].kind in ("open", "begin"):
                m = self.mate[m]
                if m >= k:
                    return False
            m += 1
        return True

    def condition_range(self, lo: int, hi: int) -> sp.Basic:
        while hi > lo and self.toks[hi - 1].kind == "sym" and self.toks[hi - 1].text in ",.":
            hi -= 1
        if lo < hi and self.toks[lo].kind == "word" and self.toks[lo].text in ("if", "for", "when"):
            lo += 1
        while lo < hi and self.toks[lo].kind == "sep":
            lo += 1
        while hi > lo and self.toks[hi - 1].kind == "sep":
            hi -= 1
        while lo < hi and self.toks[lo].kind == "word" and self.toks[lo].text in _QUANTIFIERS:
            lo += 1
        if hi == lo + 1 and self.toks[lo].kind == "word" and self.toks[lo].text in (
                "else", "otherwise"):
            return sp.true
        if lo >= hi:
            raise _fail("a condition", self.toks[lo - 1].pos, "it is empty", "condition")
        return self.index_condition(lo, hi)

    def index_condition(self, lo: int, hi: int) -> sp.Basic:
        """The condition toks[lo:hi], its letters read as indices; whole tensors multiplied
        in it (`w^\\top x + b \\le 0`) keep their order, read as matrices."""
        p = self.child(lo, hi, index=True)
        c = p.condition()
        p.finish()
        if self.mode != "dims" and self.whole_tensors(c):
            p = self.child(lo, hi, index=False)
            c = p.condition()
            p.finish()
        return c

    def scalar_form(self, e: sp.Expr) -> sp.Expr:
        """A side of a comparison as a number: `w^\\top x` of two vectors as the sum of
        their entries' products (a relation compares numbers, never matrices)."""
        if e.is_commutative:
            return e

        def inner(m: sp.Expr) -> sp.Expr:
            nc = [f for f in m.args if not f.is_commutative]
            if len(nc) != 2 or not isinstance(nc[0], Transpose):
                return m
            a, b = nc[0].args[0], nc[1]
            if not all(isinstance(v, sp.Symbol) and v.name in self.ctx.tensors
                       and self.vector_length(v) is not None for v in (a, b)):
                return m
            s = self.sum_entries(a, self.pos())
            k = s.limits[0][0]
            entry = sp.Indexed(sp.IndexedBase(b.name), *self.full_index(b.name, k))
            scale = sp.Mul(*[f for f in m.args if f.is_commutative])
            return scale * sp.Sum(s.function * entry, *s.limits)

        numbers = {s: sp.Symbol(s.name) for s in e.free_symbols if isinstance(s, sp.Symbol)
                   and not s.is_commutative and s.name in self.ctx.tensors
                   and all(d == 1 for d in self.ctx.tensors[s.name].shape)}  # b in R
        return e.xreplace(numbers).replace(lambda m: isinstance(m, sp.Mul), inner)

    def whole_tensors(self, c: sp.Basic) -> bool:
        """A condition that transposes a declared tensor read as an index letter."""
        return any(s.name in self.ctx.tensors for t in c.atoms(Transpose)
                   for s in t.free_symbols if isinstance(s, sp.Symbol))

    def is_relation(self, t: _Tok) -> bool:
        return (t.kind == "sym" and t.text in "=<>") or (t.kind == "cmd" and (
            t.text in _REL_CMDS or t.text in (r"\in", r"\notin")))

    def condition(self) -> sp.Basic:
        disjuncts = [self.conjunction()]
        while self.at("word", "or") or self.at("cmd", r"\lor") or self.at("cmd", r"\vee"):
            self.take()
            disjuncts.append(self.conjunction())
        return sp.Or(*disjuncts)

    def conjunction(self) -> sp.Basic:
        parts = [self.chain()]
        while (self.at("sym", ",") or self.at("word", "and") or self.at("cmd", r"\land")
               or self.at("cmd", r"\wedge")):
            self.take()
            parts.append(self.chain())
        return sp.And(*parts)

    def chain(self) -> sp.Basic:
        left, relations = self.expr(), []
        while True:
            if self.at("cmd", r"\in") or self.at("cmd", r"\notin"):
                negate = self.take().text == r"\notin"
                inside = self.membership(left)
                relations.append(sp.Not(inside) if negate else inside)
                break
            op = self.relation_op()
            if op is None:
                break
            right = self.expr()
            relations.append(op(self.scalar_form(left), self.scalar_form(right)))
            left = right
        if not relations:
            raise self.error("a condition", "write a comparison such as `j = i` or "
                             "`1 \\le l \\le 3`", "condition")
        return sp.And(*relations)

    def membership(self, left: sp.Expr) -> sp.Basic:
        """`l \\in \\{2j-1, 2j, 2j+1\\}` -> Or of Eq; `i \\in \\{1, \\dots, k\\}` -> 1 <= i <= k."""
        t = self.peek()
        if t is not None and t.key in (("open", "["), ("open", "(")) and t.text in "[(":
            # k - 2(r-1) \in [1, 3]: an interval of integers (ends open with `(` or `)`)
            k, j = self.i, self.mate[self.i]
            parts = self.split(k + 1, j, lambda u: u.key == ("sym", ","))
            if len(parts) == 2:
                self.i = j + 1
                lo, hi = (self.parse_range(a, b, index=True) for a, b in parts)
                low = sp.Le(lo, left) if t.text == "[" else sp.Lt(lo, left)
                high = sp.Le(left, hi) if self.toks[j].text == "]" else sp.Lt(left, hi)
                return sp.And(low, high)
        if t is None or t.key != ("open", "\\{"):
            raise self.error("the set", "write it as \\{a, b, c\\} or \\{1, \\dots, k\\}", "set")
        k = self.i
        self.i = self.mate[k] + 1
        lo, hi, members = self.set_members(k)
        if members is None:
            return sp.And(sp.Le(lo, left), sp.Le(left, hi))
        return sp.Or(*[sp.Eq(left, m) for m in members])

    def set_members(self, k: int) -> tuple:
        """The members of the set group at k: (lo, hi, None) for a range with `\\dots`,
        else (None, None, members)."""
        j = self.mate[k]
        if j == k + 1:
            raise _fail("the set", self.toks[k].pos, "it is empty", "set")
        parts = self.split(k + 1, j, lambda u: u.key == ("sym", ","))
        dots = [b == a + 1 and self.toks[a].kind == "cmd" and self.toks[a].text in _DOTS
                for a, b in parts]
        if not any(dots):
            return None, None, [self.parse_range(a, b, index=True) for a, b in parts]
        if dots.count(True) != 1 or dots[0] or dots[-1]:
            raise _fail("the set", self.toks[k].pos, "write a range as \\{1, \\dots, k\\}", "set")
        at = dots.index(True)
        before = [self.parse_range(a, b, index=True) for a, b in parts[:at]]
        after = [self.parse_range(a, b, index=True) for a, b in parts[at + 1:]]
        items = before + after
        if any(sp.expand(b - a) != 1 for a, b in zip(before, before[1:])) or len(after) != 1:
            raise _fail("the set", self.toks[k].pos, "its members before `\\dots` must count "
                        "up by one, with one last member after it", "set")
        return items[0], items[-1], None

    def relation_op(self):
        t = self.peek()
        if t is None:
            return None
        if t.kind == "cmd" and t.text in _REL_CMDS:
            self.take()
            return _REL_CMDS[t.text]
        if t.kind == "sym" and t.text in "=<>!":
            self.take()
            if t.text == "!" or self.at("sym", "="):
                if t.text == "!" and not self.at("sym", "="):
                    raise _fail("`!`", t.pos, "factorials are not supported", "factorial")
                if self.at("sym", "="):
                    self.take()
                return {"<": sp.Le, ">": sp.Ge, "!": sp.Ne, "=": sp.Eq}[t.text]
            return {"<": sp.Lt, ">": sp.Gt, "=": sp.Eq}[t.text]
        return None


_MATRIX_WORDS = {w for w, name in _FUNC_WORDS.items() if OPS[name].matrix}  # \det
_KNOWN_FUNCTIONS = (r"\sigma, \tanh, \exp, \log, ReLU, softmax, diag, \det, \max, \min, "
                    r"\lfloor\rfloor, \sqrt")


_ONES = ONES = sp.Symbol("all_ones_vector", commutative=False)


class VStack(sp.Function):
    """`[a; b]`: vectors stacked into one longer column (a comma list `[a, b]` is a Stack:
    its vectors side by side as the columns of a matrix, its scalars one column)."""

    is_commutative = False


class UnitVector(sp.Function):
    """`e_k`: the k-th standard basis vector (in the claim's index base), its length set by
    the formula around it (the checker sizes it)."""

    nargs = 1
    is_commutative = False


class Kron(sp.Function):
    """`A \\otimes B` of matrices: the Kronecker product (the checker evaluates it)."""

    nargs = 2
    is_commutative = False

IDENTITY = sp.Symbol("identity_matrix", commutative=False)
"""The identity matrix a claim writes (`I`); its size comes from the formula around it."""


def _ones_multiple(e: sp.Expr) -> bool:
    """`\\mathbf{1}`, `\\frac{1}{n} \\mathbf{1}`: a multiple of the ones vector alone."""
    if e == _ONES:
        return True
    return isinstance(e, sp.Mul) and e.args.count(_ONES) == 1 and all(
        f == _ONES or _coefficient(f) for f in e.args)


def _coefficient(f: sp.Expr) -> bool:
    """A number or a size (`2`, `\\frac{1}{n}`), not an entry of a tensor."""
    return f.is_commutative and not f.has(_ONES, sp.Indexed, sp.Function, sp.Sum)


def _settle_ones(e: sp.Expr) -> sp.Expr:
    """The ones vector as the scalar 1 (broadcast) wherever that is what it means; kept as
    \\mathbf{1} in matrix products (1 1^T, W 1, 1^T alone), which the checker sizes."""
    if e == _ONES:
        return sp.Integer(1)
    if not e.args:
        return e
    if isinstance(e, Transpose) and e.args[0] == _ONES:
        return e
    marks = (_ONES, Transpose(_ONES))
    if isinstance(e, sp.Mul) and any(f in marks for f in e.args) and (
            Transpose(_ONES) in e.args or e.args.count(_ONES) > 1 or any(
                (not f.is_commutative or f.has(sp.Sum)) and f not in marks for f in e.args)):
        return sp.Mul(*[f if f in marks else _settle_ones(f) for f in e.args])
    return e.func(*[_settle_ones(a) for a in e.args])


def _size(d) -> sp.Expr:
    return sp.Integer(d) if isinstance(d, int) else d


_IF_WORDS = (("word", "if"), ("word", "when"))
_DIRECT_WORDS = {"direct", "explicit", "local", "immediate"}


def _is_stack_separator(t: _Tok) -> bool:
    return t.key in (("sym", ","), ("sym", ";"))


def _decode(e: sp.Expr, ctx: _Ctx) -> tuple | None:
    """(name, indices, time) of a parsed reference, or None if it names no tensor."""
    if isinstance(e, sp.Symbol) and not e.is_commutative and e.name in ctx.tensors:
        return (e.name, (), None)
    if isinstance(e, sp.Indexed) and str(e.base.label) in ctx.tensors:
        return (str(e.base.label), tuple(e.indices), None)
    if isinstance(e, AtTime) and isinstance(e.args[0], sp.Symbol):
        return (e.args[0].name, (), e.args[1])
    if isinstance(e, At) and isinstance(e.args[0], AtTime) and isinstance(
            e.args[0].args[0], sp.Symbol):
        return (e.args[0].args[0].name, tuple(e.args[1:]), e.args[0].args[1])
    return None


def _guarded(fn, text: str, decls: Declarations, mode: str):
    if not isinstance(decls, Declarations):
        raise TypeError("decls must be a Declarations")
    st = None
    try:
        st = _State.make(text, _ctx(decls), mode)
        return fn(st)
    except SymgradError:
        raise
    except RecursionError:
        raise LimitError("the formula is nested too deeply") from None
    except Exception as exc:
        pos = st.last if st is not None else 0
        raise ParseError(f"could not read the formula at position {pos}: "
                         f"{type(exc).__name__}: {exc}".splitlines()[0],
                         position=pos, construct="formula") from None


def parse_expression(text: str, decls: Declarations) -> sp.Expr:
    """Parse one bare formula (no `=`, no separators) into a SymPy expression."""

    def run(st: _State) -> sp.Expr:
        p = _Parser(st, 0, len(st.toks))
        e = p.expr()
        p.finish()
        return e

    return _guarded(run, text, decls, "formula")

def _is_iverson(e: sp.Expr) -> bool:
    """An Iverson bracket [c] = Piecewise((1, c), (0, True)); a product with one is 0
    wherever c fails, whatever the other factors read there (Knuth's strong zero)."""
    return (isinstance(e, sp.Piecewise) and len(e.args) == 2 and e.args[0].expr == 1
            and e.args[1].expr == 0 and e.args[1].cond is sp.true)
