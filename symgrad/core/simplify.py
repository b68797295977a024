"""Range-aware simplification of index expressions.

Sums over Kronecker deltas collapse (with the range and divisibility conditions that
the collapse implies), and conditions that the index ranges already guarantee are
dropped. What is left is an ``Iverson`` bracket, printed as ``cases`` by the printer.
``Ranges`` maps each index symbol to its inclusive ``(low, high)`` bounds.
"""

from __future__ import annotations

import math
from functools import lru_cache

import sympy as sp
from sympy.core.relational import Relational

Ranges = dict


class Iverson(sp.Function):
    """[cond]: 1 where the condition on indices holds, else 0."""

    nargs = 1

    @classmethod
    def eval(cls, cond):
        if cond is sp.true:
            return sp.Integer(1)
        if cond is sp.false:
            return sp.Integer(0)
        return None

    def _eval_derivative(self, s):
        return sp.Integer(0)


def linear_bounds(expr: sp.Expr, ranges: Ranges) -> tuple[sp.Expr, sp.Expr] | None:
    """Smallest and largest value of an expression linear in the ranged indices."""
    expr = sp.expand(expr)
    variables = [v for v in expr.free_symbols if v in ranges]
    lo = hi = expr.subs({v: 0 for v in variables})
    for v in variables:
        coeff = sp.diff(expr, v)
        if coeff.free_symbols & set(ranges):
            return None
        a, b = ranges[v]
        if coeff.is_nonnegative:
            lo, hi = lo + coeff * a, hi + coeff * b
        elif coeff.is_nonpositive:
            lo, hi = lo + coeff * b, hi + coeff * a
        else:
            return None
    return sp.expand(lo), sp.expand(hi)


def decide(rel: sp.Basic, ranges: Ranges) -> bool | None:
    """True or False when the index ranges settle the relation, else None."""
    if not isinstance(rel, Relational):
        return None
    if isinstance(rel, sp.Eq | sp.Ne):
        bounds = linear_bounds(rel.lhs - rel.rhs, ranges)
        if bounds is None:
            return None
        lo, hi = bounds
        equal = None
        if lo.is_positive or hi.is_negative:
            equal = False
        elif lo == 0 and hi == 0:
            equal = True
        if equal is None:
            return None
        return equal if isinstance(rel, sp.Eq) else not equal
    if isinstance(rel, sp.Ge | sp.Gt):
        e = rel.lhs - rel.rhs
    else:
        e = rel.rhs - rel.lhs
    if isinstance(rel, sp.Gt | sp.Lt):
        e = e - 1  # integers: e > 0 is e - 1 >= 0
    bounds = linear_bounds(e, ranges)
    if bounds is None:
        return None
    lo, hi = bounds
    if lo.is_nonnegative:
        return True
    if hi.is_negative:
        return False
    return None


def _decide_divisible(cond: sp.Basic) -> bool | None:
    """Settle ``Eq(Mod(a, d), 0)`` when ``d`` is 1 or ``a`` is a multiple of ``d``: the
    quotient in lowest terms (``cancel``, then distributed) is an integer expression. An
    exact structural test: no ``simplify`` used as a yes/no question."""
    if isinstance(cond, sp.Eq) and isinstance(cond.lhs, sp.Mod) and cond.rhs == 0:
        a, d = cond.lhs.args
        if d == 1 or _integer_quotient(a, d):
            return True
    return None


@lru_cache(maxsize=4096)
def _integer_quotient(a: sp.Expr, d: sp.Expr) -> bool:
    q = a / d
    if q.is_integer:
        return True
    q = sp.cancel(q)
    return bool(q.is_integer or sp.expand(q).is_integer)


def _plain_floor(a: sp.Expr) -> bool:
    """``floor(p / s)`` with p a polynomial of degree at most 1 whose integer coefficients
    have no common factor and s one symbol: nothing in it cancels."""
    if not isinstance(a, sp.floor):
        return False
    num, den = a.args[0].as_numer_denom()
    if not (den.is_Symbol and num.free_symbols):
        return False
    poly = sp.expand(num).as_poly(*sorted(num.free_symbols, key=str))
    if poly is None or den in num.free_symbols:
        return False
    coeffs = poly.coeffs()
    if not (all(c.is_Integer for c in coeffs) and math.gcd(*(int(c) for c in coeffs)) == 1):
        return False
    return poly.total_degree() <= 1 or _dilated(num)


def _dilated(num: sp.Expr) -> bool:
    """``L + 2P - D(K - 1) - 1``: terms c X and c X (Y + d), every symbol in one term, one
    c X with c > 0 (simplify keeps these as written; without a positive term it
    distributes the sign. Checked against simplify on 2,381 random such numerators)."""
    if not num.is_Add:
        return False
    seen: set = set()
    positive = False
    for term in num.args:
        c, rest = term.as_coeff_Mul()
        if rest == 1:
            continue
        if rest.free_symbols & seen:
            return False
        seen |= rest.free_symbols
        if rest.is_Symbol:
            positive |= bool(c > 0)
            continue
        factors = rest.as_ordered_factors()
        if len(factors) != 2 or not any(f.is_Symbol for f in factors) or not any(
                f.is_Add and len(f.args) == 2 and any(a.is_Integer for a in f.args)
                and any(a.is_Symbol for a in f.args) for f in factors):
            return False
    return positive


def simplest(e: sp.Expr) -> sp.Expr:
    """``sp.simplify(e)``, without running it where its answer is ``e`` itself: a
    polynomial of degree at most 1 with integer coefficients that have no common factor
    (checked against ``simplify`` on every such polynomial in 4 symbols with coefficients
    -2..2); a number or a symbol."""
    if e.is_Atom:
        return e
    if e.is_Add and all(a.is_Integer or _plain_floor(a) for a in e.args):
        return e  # floor((L + 2P - D(K-1) - 1)/S) + 1: an output size, already simplest
    syms = sorted(e.free_symbols, key=str)
    if syms and (e.is_Add or e.is_Mul):
        poly = e.as_poly(*syms)
        if poly is not None and poly.total_degree() <= 1 and poly.as_expr() == e:
            coeffs = poly.coeffs()
            if all(c.is_Integer for c in coeffs) and \
                    math.gcd(*(int(c) for c in coeffs)) == 1:
                return e
    return sp.simplify(e)


def simplify_condition(cond: sp.Basic, ranges: Ranges) -> sp.Basic:
    """Drop the parts of a conjunction that the ranges imply; False if one is impossible."""
    if cond in (sp.true, sp.false):
        return cond
    kept = []
    for part in sp.And.make_args(cond):
        verdict = decide(part, ranges)
        if verdict is None:
            verdict = _decide_divisible(part)
        if verdict is True:
            continue
        if verdict is False:
            return sp.false
        kept.append(part)
    return sp.And(*kept)


def _has_delta_in(expr: sp.Expr, v: sp.Symbol) -> bool:
    return any(v in d.free_symbols for d in _deltas(expr))


_DELTAS: dict = {}


def _deltas(expr: sp.Basic) -> frozenset:
    """The Kronecker deltas in ``expr`` (memoised per subtree)."""
    if isinstance(expr, sp.KroneckerDelta):
        return frozenset((expr,))
    if not expr.args:
        return frozenset()
    out = _DELTAS.get(expr)
    if out is None:
        out = frozenset().union(*(_deltas(a) for a in expr.args))
        if len(_DELTAS) > _MEMO_LIMIT:
            _DELTAS.clear()
        _DELTAS[expr] = out
    return out


def _distribute(expr: sp.Expr, v: sp.Symbol) -> list[sp.Expr]:
    """Terms of an expression, distributing only the sums that hold a delta in ``v``."""
    if expr.is_Add:
        return [t for a in expr.args for t in _distribute(a, v)]
    if expr.is_Mul:
        parts: list[list[sp.Expr]] = [[]]
        for f in expr.args:
            if (f.is_Add or f.is_Mul) and _has_delta_in(f, v):
                subs = _distribute(f, v)
                parts = [p + [s] for p in parts for s in subs]
            else:
                parts = [p + [f] for p in parts]
        return [sp.Mul(*p) for p in parts]
    return [expr]


def _solve_delta(delta: sp.KroneckerDelta, v: sp.Symbol, ranges: Ranges):
    """Solve delta's equation for ``v``: (solution, divisibility condition) or None."""
    d = sp.expand(delta.args[0] - delta.args[1])
    coeff = sp.diff(d, v)
    if coeff == 0 or v in coeff.free_symbols or coeff.free_symbols & set(ranges):
        return None
    rest = sp.expand(d - coeff * v)
    if coeff.could_extract_minus_sign():
        coeff, rest = -coeff, -rest
    if coeff == 1:
        return -rest, sp.true
    return -rest / coeff, sp.Eq(sp.Mod(-rest, coeff), 0)


def sum_over(body: sp.Expr, v: sp.Symbol, lo: sp.Expr, hi: sp.Expr, ranges: Ranges) -> sp.Expr:
    """Sum ``body`` over ``v`` in [lo, hi], collapsing Kronecker deltas in ``v``."""
    collapsed, kept = [], []
    for term in _distribute(body, v):
        if v not in _free(term):
            collapsed.append(term * (hi - lo + 1))
            continue
        factors = list(sp.Mul.make_args(term))
        for n, f in enumerate(factors):  # noqa: B007 (n is the position found)
            if isinstance(f, sp.KroneckerDelta) and v in _free(f):
                solved = _solve_delta(f, v, ranges)
                if solved is not None:
                    break
        else:
            kept.append(term)
            continue
        sol, divisible = solved
        rest = sp.Mul(*(factors[:n] + factors[n + 1:])).xreplace({v: sol})
        cond = simplify_condition(sp.And(sp.Le(lo, sol), sp.Le(sol, hi), divisible), ranges)
        collapsed.append(tidy(rest * Iverson(cond), ranges))
    for term in kept:
        outside = [f for f in sp.Mul.make_args(term) if v not in _free(f)]
        inside = [f for f in sp.Mul.make_args(term) if v in _free(f)]
        collapsed.append(sp.Mul(*outside) * sp.Sum(sp.Mul(*inside), (v, lo, hi)))
    return sp.Add(*collapsed)


# Memo of tidy and collapse. Both are pure functions of the expression and of the ranges
# of the index symbols free in it, so a subtree already simplified (a definition's
# derivative reused, reindexed, at the next level of the chain rule: only the path to its
# free indices is new) costs one lookup, and a Jacobian's cost grows with the number of
# definitions it passes through, not with the size of everything below each of them.
_MEMO_LIMIT = 200_000
_FREE: dict = {}
_TIDY: dict = {}
_COLLAPSE: dict = {}
STATS = {"tidy": 0, "collapse": 0}  # calls that did work (memo misses), for tests


def clear_memo() -> None:
    """Forget the memo of ``tidy`` and ``collapse`` (and the counts in ``STATS``)."""
    _FREE.clear()
    _TIDY.clear()
    _COLLAPSE.clear()
    _DELTAS.clear()
    STATS.update(tidy=0, collapse=0)


def _free(expr: sp.Basic) -> frozenset:
    """The symbols free in ``expr`` (memoised per subtree; a superset is harmless: it is
    only intersected with the ranged indices)."""
    if not expr.args:
        return frozenset((expr,)) if isinstance(expr, sp.Symbol) else frozenset()
    out = _FREE.get(expr)
    if out is None:
        if isinstance(expr, sp.Sum):
            bound = {lim[0] for lim in expr.limits}
            out = set(_free(expr.function)) - bound
            for lim in expr.limits:
                for b in lim[1:]:
                    out |= _free(b)
            out = frozenset(out)
        elif getattr(expr, "bound_symbols", None):
            out = frozenset(expr.free_symbols)
        else:
            out = frozenset().union(*(_free(a) for a in expr.args))
        if len(_FREE) > _MEMO_LIMIT:
            _FREE.clear()
        _FREE[expr] = out
    return out


def _key(expr: sp.Basic, ranges: Ranges) -> tuple:
    return expr, frozenset((v, ranges[v]) for v in _free(expr) if v in ranges)


def _remember(memo: dict, key: tuple, value: sp.Basic) -> sp.Basic:
    if len(memo) > _MEMO_LIMIT:
        memo.clear()
    memo[key] = value
    return value


def _rebuilt(expr: sp.Basic, args: list) -> sp.Basic:
    """``expr`` with new arguments; ``expr`` itself when none changed."""
    if all(a is b for a, b in zip(args, expr.args)):
        return expr
    return expr.func(*args)


def _memoised(table: dict, stat: str, work, expr: sp.Expr, ranges: Ranges) -> sp.Expr:
    """``work(expr, ranges)`` once per subexpression and the ranges of its free indices
    (atoms and conditions come back as they are)."""
    if not isinstance(expr, sp.Basic) or not expr.args:
        return expr
    if isinstance(expr, Relational | sp.And | sp.Or | sp.Not):
        return expr
    key = _key(expr, ranges)
    out = table.get(key)
    if out is None:
        STATS[stat] += 1
        out = _remember(table, key, work(expr, ranges))
    return out


def tidy(expr: sp.Expr, ranges: Ranges) -> sp.Expr:
    """Merge Iverson brackets of each product and simplify their conditions."""
    return _memoised(_TIDY, "tidy", _tidy, expr, ranges)


def _tidy(expr: sp.Expr, ranges: Ranges) -> sp.Expr:
    if isinstance(expr, sp.Sum):
        inner = dict(ranges)
        inner.update({v: (a, b) for v, a, b in expr.limits})
        body = tidy(expr.function, inner)
        single = {v: a for v, a, b in expr.limits if a == b}
        limits = [lim for lim in expr.limits if lim[0] not in single]
        body = tidy(body.xreplace(single), ranges) if single else body
        if not single and body is expr.function:
            return expr
        return sp.Sum(body, *limits) if limits else body
    if isinstance(expr, Iverson):
        return Iverson(simplify_condition(expr.args[0], ranges))
    if isinstance(expr, sp.KroneckerDelta):
        verdict = decide(sp.Eq(*expr.args), ranges)
        return expr if verdict is None else sp.Integer(int(verdict))
    args = [tidy(a, ranges) for a in expr.args]
    if isinstance(expr, sp.Mul):
        conds = [a.args[0] for a in args if isinstance(a, Iverson)]
        if len(conds) > 1:
            others = [a for a in args if not isinstance(a, Iverson)]
            return sp.Mul(*others) * Iverson(simplify_condition(sp.And(*conds), ranges))
    return _rebuilt(expr, args)


def collapse(expr: sp.Expr, ranges: Ranges) -> sp.Expr:
    """Collapse every delta sum in ``expr`` (bottom-up) and tidy the conditions."""
    return _memoised(_COLLAPSE, "collapse", _collapse, expr, ranges)


def _collapse(expr: sp.Expr, ranges: Ranges) -> sp.Expr:
    if isinstance(expr, sp.Sum):
        single = {v: a for v, a, b in expr.limits if sp.expand(b - a) == 0}
        limits = tuple(lim for lim in expr.limits if lim[0] not in single)
        if not limits:  # a sum over one value is its term: K = 1 leaves k = 0
            return collapse(expr.function.xreplace(single), ranges)
        inner = dict(ranges)
        inner.update({v: (a, b) for v, a, b in limits})
        body = expr.function.xreplace(single) if single else expr.function
        result = collapse(body, inner)
        for n, (v, a, b) in enumerate(limits):
            outer = dict(ranges)
            outer.update({w: (p, q) for w, p, q in limits[n + 1:]})
            result = sum_over(result, v, a, b, outer)
        return tidy(result, ranges)
    return tidy(_rebuilt(expr, [collapse(a, ranges) for a in expr.args]), ranges)


def split_sums(expr: sp.Expr) -> sp.Expr:
    """Sums distributed over their terms, with factors free of the summation index (and
    terms free of it, times the count) taken outside: a normal form for comparing sums."""
    if not isinstance(expr, sp.Basic) or not expr.args:
        return expr
    if isinstance(expr, sp.Sum):
        out = split_sums(expr.function)
        for v, lo, hi in expr.limits:
            out = _split_one(sp.expand(out), v, lo, hi)
        return out
    return expr.func(*[split_sums(a) for a in expr.args])


def _split_one(body: sp.Expr, v: sp.Symbol, lo: sp.Expr, hi: sp.Expr) -> sp.Expr:
    terms = []
    for term in sp.Add.make_args(body):
        outside = [f for f in sp.Mul.make_args(term) if v not in f.free_symbols]
        inside = [f for f in sp.Mul.make_args(term) if v in f.free_symbols]
        count = sp.Mul(*outside)
        terms.append(count * (sp.Sum(sp.Mul(*inside), (v, lo, hi)) if inside
                              else hi - lo + 1))
    return sp.Add(*terms)


def canonical_sums(expr: sp.Expr, stems: str = "qrsuvw", depth: int = 0) -> sp.Expr:
    """Summation indices renamed by nesting depth (``q_c0`` outermost), so sums that differ
    only in the name of their index become one term."""
    if not isinstance(expr, sp.Basic) or not expr.args:
        return expr
    if isinstance(expr, sp.Sum) or type(expr).__name__ in ("MaxOver", "MinOver"):
        renames, limits = {}, []
        for n, (v, lo, hi) in enumerate(expr.limits):
            d = depth + n
            stem = stems[d] if d < len(stems) else f"z{d}"
            new = sp.Symbol(f"{stem}_c{d}", integer=True)
            renames[v] = new
            limits.append((new, lo, hi))
        body = canonical_sums(expr.function.xreplace(renames), stems,
                              depth + len(expr.limits))
        return type(expr)(body, *limits)
    return expr.func(*[canonical_sums(a, stems, depth) for a in expr.args])
