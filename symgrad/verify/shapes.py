"""Shape claims: dimensions compared symbolically, over a grid of small parameters, and
by the layout rules (dropped singletons, in-order flattening, permuted axes)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import sympy as sp

from ..core.simplify import simplest
from .context import Context, Truth, as_expr
from .numeric import ClaimProblem, Unreadable
from .verdict import Verdict


def canon(expr: sp.Expr, ctx: Context) -> sp.Expr:
    """The claim's size symbols replaced by the context's own (matched by name)."""
    expr = as_expr(expr)
    subs = {s: ctx.scalars[s.name] for s in expr.free_symbols
            if isinstance(s, sp.Symbol) and s.name in ctx.scalars}
    return expr.xreplace(subs)


def text(expr) -> str:
    """Plain text of a dimension: 5, m, floor((H + 2*P - D*(K - 1) - 1)/S) + 1."""
    return str(as_expr(expr))


def dims_latex(dims) -> str:
    return r" \times ".join(sp.latex(as_expr(d)) for d in dims) or "1"


def dims_text(dims) -> str:
    return " x ".join(_wrapped(text(d)) for d in dims) or "1"


def _wrapped(t: str) -> str:
    return f"({t})" if " " in t else t


_FUNCS = {sp.floor: np.floor, sp.ceiling: np.ceil, sp.Abs: np.abs}


def grid_eval(expr: sp.Expr, values: dict[str, np.ndarray]) -> np.ndarray:
    """A size expression over arrays of parameter values (no user text is evaluated)."""
    e = expr
    if isinstance(e, sp.Symbol):
        if e.name not in values:
            raise ClaimProblem(f"{e.name} is not a parameter of this question")
        return np.asarray(values[e.name], dtype=float)
    if isinstance(e, sp.Number):
        return np.asarray(float(e))
    if isinstance(e, sp.Add):
        return sum((grid_eval(a, values) for a in e.args), np.asarray(0.0))
    if isinstance(e, sp.Mul):
        out = np.asarray(1.0)
        for a in e.args:
            out = out * grid_eval(a, values)
        return out
    if isinstance(e, sp.Pow):
        return np.power(grid_eval(e.base, values), grid_eval(e.exp, values))
    if type(e) in _FUNCS:
        return _FUNCS[type(e)](grid_eval(e.args[0], values))
    if isinstance(e, sp.Min | sp.Max):
        fn = np.minimum if isinstance(e, sp.Min) else np.maximum
        out = grid_eval(e.args[0], values)
        for a in e.args[1:]:
            out = fn(out, grid_eval(a, values))
        return out
    if isinstance(e, sp.Mod):
        return np.mod(grid_eval(e.args[0], values), grid_eval(e.args[1], values))
    raise Unreadable(f"a dimension written with {type(e).__name__}", type(e).__name__)


def zero(number: sp.Expr) -> bool:
    """A number is 0: exact for rationals, ``simplify`` only for the rest (surds)."""
    if number.is_Rational:
        return number == 0
    return bool(sp.simplify(number) == 0)


def differs(e: sp.Expr, tries: int = 4) -> bool:
    """True when ``e`` is nonzero at some point of small positive integers, so not
    identically 0 (an exact certificate; False means only "not shown")."""
    syms = sorted(e.free_symbols, key=str)
    rng = np.random.default_rng(0)
    for _ in range(tries):
        v = e.xreplace({s: sp.Integer(int(rng.integers(1, 10))) for s in syms})
        if v.is_Rational and v != 0:
            return True
        if not syms:
            break
    return False


def depends_on(e: sp.Expr, s: sp.Symbol, tries: int = 4) -> bool:
    """True when changing ``s`` alone changes the value of ``e`` at some point of small
    positive integers (so every form of ``e`` has ``s``); False means only "not shown"."""
    syms = sorted(e.free_symbols, key=str)
    rng = np.random.default_rng(1)
    for _ in range(tries):
        vals = {v: sp.Integer(int(rng.integers(1, 10))) for v in syms}
        va = e.xreplace(vals)
        vb = e.xreplace({**vals, s: vals[s] + int(rng.integers(1, 4))})
        if va.is_Rational and vb.is_Rational and va != vb:
            return True
    return False


@dataclass
class Compare:
    """The outcome of comparing one claimed dimension with a true one."""

    same: bool
    why: str = ""
    params: dict | None = None
    claimed: float | None = None
    true: float | None = None


class DimComparer:
    """Compares dimensions: exactly, after fixed sizes, over the grid or random sizes."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.fixed = {ctx.scalars[n]: sp.Integer(v) for n, v in ctx.fixed.items()
                      if n in ctx.scalars}
        self._points = ctx.grid.points() if ctx.grid else None
        self._cache: dict = {}

    def __call__(self, a: sp.Expr, b: sp.Expr) -> Compare:
        key = (a, b)
        if key not in self._cache:
            self._cache[key] = self._compare(as_expr(a), as_expr(b))
        return self._cache[key]

    def _compare(self, a: sp.Expr, b: sp.Expr) -> Compare:
        if a == b or (not differs(a - b) and sp.simplify(a - b) == 0):
            return Compare(True)
        foreign = a.free_symbols - b.free_symbols  # simplify(a) has no more symbols than a
        if foreign and not all(depends_on(a, s) for s in foreign):
            foreign = sp.simplify(a).free_symbols - b.free_symbols
        foreign = sorted(s.name for s in foreign)
        if foreign:
            return Compare(False, f"it does not depend on {', '.join(foreign)}")
        fa, fb = a.xreplace(self.fixed), b.xreplace(self.fixed)
        if fa.is_number and fb.is_number:
            return Compare(zero(fa - fb), "", None, float(fa), float(fb))
        if fa.is_number != fb.is_number:
            return Compare(False)
        if self._points is not None:
            return self._on_grid(fa, fb)
        return self._random(fa, fb)

    def _on_grid(self, a: sp.Expr, b: sp.Expr) -> Compare:
        pts = self._points
        with np.errstate(all="ignore"):
            va = np.broadcast_to(grid_eval(a, pts), next(iter(pts.values())).shape)
            vb = np.broadcast_to(grid_eval(b, pts), va.shape)
        bad = ~np.isclose(va, vb)
        if not bad.any():
            return Compare(True)
        k = int(np.argmax(bad))
        params = {n: int(v[k]) for n, v in pts.items()}
        return Compare(False, "", params, float(va[k]), float(vb[k]))

    def _random(self, a: sp.Expr, b: sp.Expr) -> Compare:
        syms = sorted(a.free_symbols | b.free_symbols, key=str)
        rng = np.random.default_rng(0)
        for _ in range(24):
            vals = {s: sp.Integer(int(rng.integers(1, 10))) for s in syms}
            va, vb = a.xreplace(vals), b.xreplace(vals)
            if not zero(va - vb):
                params = {s.name: int(v) for s, v in vals.items()}
                return Compare(False, "", params, float(va), float(vb))
        return Compare(True)


def _singleton(d: sp.Expr, fixed: dict) -> bool:
    return as_expr(d).xreplace(fixed) == 1


def _groupings(claimed: list, true: list, same) -> list[tuple[int, int]] | None:
    """Consecutive runs of ``true`` whose products are the claimed dimensions, in order."""
    if not claimed:
        return [] if not true else None
    for end in range(1, len(true) + 1):
        if same(claimed[0], sp.Mul(*true[:end])).same:
            rest = _groupings(claimed[1:], true[end:], same)
            if rest is not None:
                return [(0, end)] + [(a + end, b + end) for a, b in rest]
    return None


def _permutation(claimed: list, true: list, same) -> tuple[int, ...] | None:
    if len(claimed) != len(true) or len(true) > 7:
        return None
    for perm in itertools.permutations(range(len(true))):
        if all(same(c, true[p]).same for c, p in zip(claimed, perm, strict=True)):
            return perm
    return None


def _align(claimed: list, true: list, same, fixed: dict) -> list[tuple[str, int, int]]:
    """Edit script claimed -> true: ("match" | "differ", i, j), ("extra", i, -1),
    ("missing", -1, j); skipping a true singleton is free."""
    n, m = len(claimed), len(true)
    cost = np.full((n + 1, m + 1), np.inf)
    cost[0, 0] = 0
    step: dict = {}
    for i in range(n + 1):
        for j in range(m + 1):
            if i and cost[i - 1, j] + 1 < cost[i, j]:
                cost[i, j], step[i, j] = cost[i - 1, j] + 1, "extra"
            if j:
                c = 0 if _singleton(true[j - 1], fixed) else 1
                if cost[i, j - 1] + c < cost[i, j]:
                    cost[i, j], step[i, j] = cost[i, j - 1] + c, "missing"
            if i and j:
                ok = same(claimed[i - 1], true[j - 1]).same
                c = cost[i - 1, j - 1] + (0 if ok else _distance(claimed[i - 1], true[j - 1]))
                if c < cost[i, j] or (c == cost[i, j] and ok):
                    cost[i, j], step[i, j] = c, "match" if ok else "differ"
    ops = []
    i, j = n, m
    while i or j:
        s = step[i, j]
        if s == "extra":
            ops.append((s, i - 1, -1))
            i -= 1
        elif s == "missing":
            ops.append((s, -1, j - 1))
            j -= 1
        else:
            ops.append((s, i - 1, j - 1))
            i, j = i - 1, j - 1
    return ops[::-1]


def _distance(a: sp.Expr, b: sp.Expr) -> float:
    """Cost of reading claimed ``a`` as a wrong version of ``b``: lower when they share
    their symbols (a wrong formula for the same size) than when they do not."""
    sa, sb = as_expr(a).free_symbols, as_expr(b).free_symbols
    union = sa | sb
    return 1.1 + (0.2 * len(union - (sa & sb)) / len(union) if union else 0.0)


def _floor_form(e: sp.Expr) -> tuple[sp.Expr, sp.Expr] | None:
    """floor(N / S) + c, ceiling(N / S) + c -> (N', S) with the sum as floor(N' / S)."""
    e = sp.expand(e)
    rounds = [t for t in sp.Add.make_args(e) if isinstance(t, sp.floor | sp.ceiling)]
    if len(rounds) != 1:
        return None
    rest = e - rounds[0]
    num, den = sp.fraction(sp.together(rounds[0].args[0]))
    if isinstance(rounds[0], sp.ceiling):
        num = num + den - 1
    return sp.expand(num + rest * den), den


def numerator_hint(claimed: sp.Expr, true: sp.Expr) -> str | None:
    """'the numerator differs by P + D - 1' when both sides are floor(N / S) forms."""
    a, b = _floor_form(claimed), _floor_form(true)
    if a is None or b is None or differs(a[1] - b[1]) or sp.simplify(a[1] - b[1]) != 0:
        return None
    diff = simplest(sp.expand(b[0] - a[0]))
    if diff == 0:
        return None
    return (f"the numerator differs by {text(diff)} (true minus claimed, both written as "
            f"floor(N/{text(b[1])}))")


def _about(ctx: Context, d: sp.Expr) -> str:
    d = as_expr(d)
    key = d.name if isinstance(d, sp.Symbol) else (int(d) if d.is_Integer else None)
    note = ctx.about.get(key)
    return f"{text(d)} ({note})" if note else text(d)


def check_shape(ctx: Context, truth: Truth, dims: list, claim_latex: str) -> Verdict:
    """Verdict on ``subject in R^{dims}`` against the truth's shape."""
    same = DimComparer(ctx)
    claimed = [canon(d, ctx) for d in dims]
    true = [as_expr(d) for d in truth.shape]
    fixed = same.fixed
    name = truth.latex
    shown = _shown(truth, fixed)
    labels = f" ({' x '.join(truth.labels)})" if truth.labels else ""

    def ok(notes: list[str], how: str = "") -> Verdict:
        return Verdict("correct", f"{name} is {shown}{labels}{how}.", None, None, claim_latex,
                       notes)

    grad_note = ["gradient layout (the shape of the parameter)"] if truth.is_gradient else []
    forms = [(true, grad_note)]
    if truth.is_gradient and len(true) > 1:
        forms.append((true[::-1], ["numerator layout (the transpose of the gradient layout)"]))
    for form, notes in forms:
        if len(claimed) == len(form) and all(same(c, t).same for c, t in zip(claimed, form)):
            return ok(notes)
    for form, notes in forms:
        kept = [t for t in form if not _singleton(t, fixed)]
        claim_kept = [c for c in claimed if c != 1]
        if len(kept) < len(form) or len(claim_kept) < len(claimed):
            if len(claim_kept) == len(kept) and all(same(c, t).same
                                                    for c, t in zip(claim_kept, kept)):
                return ok(notes + [f"singleton dimension dropped (the full shape is "
                                   f"{dims_text(form)})"])
        groups = _groupings(claim_kept, kept, same) if len(claim_kept) < len(kept) else None
        if groups:
            runs = ", ".join(dims_text(kept[a:b]) for a, b in groups if b - a > 1)
            return ok(notes + [f"axes flattened in order ({runs} as one axis)"])
    kept = [t for t in true if not _singleton(t, fixed)]
    claim_kept = [c for c in claimed if c != 1]
    perm = _permutation(claim_kept, kept, same)
    if perm is not None:
        names = [lab for t, lab in zip(true, truth.labels) if not _singleton(t, fixed)]
        order = ""
        if len(names) == len(kept):
            order = (f" (the claim orders the axes {' x '.join(names[p] for p in perm)}, "
                     f"numerator layout {' x '.join(names)})")
        return Verdict("layout", f"{name} has the dimensions {dims_text(claimed)} in another "
                       f"order: numerator layout gives {shown}{labels}{order}.",
                       {"claimed": dims_text(claimed), "true": shown}, None, claim_latex, [])
    return _incorrect(ctx, truth, claimed, true, same, claim_latex)


def _incorrect(ctx, truth, claimed, true, same, claim_latex) -> Verdict:
    ops = _align(claimed, true, same, same.fixed)
    parts, hint, counter = [], None, None
    for op, i, j in ops:
        if op == "extra":
            parts.append(f"{_about(ctx, claimed[i])} is an extra dimension")
        elif op == "missing" and not _singleton(true[j], same.fixed):
            label = f" ({truth.labels[j]})" if j < len(truth.labels) else ""
            parts.append(f"the dimension {_dim(truth, j)}{label} is missing")
        elif op == "differ":
            res = same(claimed[i], true[j])
            label = truth.labels[j] if j < len(truth.labels) else None
            shown = _dim(truth, j)
            if label is None:
                label = ctx.about.get(shown) if isinstance(shown, str) else None
            sentence = (f"{_about(ctx, claimed[i])} should be {shown}"
                        + (f" ({label})" if label else ""))
            if res.params:
                sentence += (f": for {_params(res.params)} the claim gives "
                             f"{_num(res.claimed)}, the true value is {_num(res.true)}")
                if counter is None:
                    counter = {"dimension": i + 1, "parameters": res.params,
                               "claimed": res.claimed, "true": res.true}
            parts.append(sentence)
            hint = hint or numerator_hint(claimed[i], true[j])
    extra = [claimed[i] for op, i, _ in ops if op == "extra"]
    if hint is None and extra:
        hint = "an extra dimension " + ", ".join(text(e) for e in extra)
    if counter is None:
        counter = {"claimed": dims_text(claimed), "true": _shown(truth, same.fixed)}
    labels = f" ({' x '.join(truth.labels)})" if truth.labels else ""
    explanation = (f"{truth.latex} is {_shown(truth, same.fixed)}{labels}, the claim gives "
                   f"{dims_text(claimed)}: " + "; ".join(parts) + ".")
    if ctx.grid is not None and any(op == "differ" for op, _, _ in ops):
        explanation += f" (Checked over small parameters with {ctx.grid.condition}.)"
    return Verdict("incorrect", explanation, counter, hint, claim_latex, [])


def _dim(truth: Truth, j: int) -> str:
    return truth.display[j] if truth.display else text(truth.shape[j])


def _shown(truth: Truth, fixed: dict) -> str:
    if truth.display:
        return " x ".join(_wrapped(d) for d in truth.display)
    return dims_text([as_expr(d).xreplace(fixed) for d in truth.shape])


def _params(p: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in p.items())


def _num(v) -> str:
    if v is None:
        return "?"
    return str(int(v)) if float(v).is_integer() else f"{v:.4g}"
