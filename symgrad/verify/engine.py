"""The verdict engine: parse a claim against a context, check each part, combine."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import sympy as sp

from ..core.errors import LimitError, ParseError, ShapeError, SymgradError, UnknownNameError
from ..notation import IMPLIED_BASE, offset_letters, parse_claim
from ..notation.products import product_rule
from ..notation.slots import at_slot, slot_letters, unroll_slot_sums
from .context import Context, as_expr
from .formula import FormulaCheck, ref_latex
from .numeric import ClaimProblem, Evaluator, Unreadable, dims_text
from .printing import printed
from .shapes import check_shape, differs, dims_latex
from .verdict import Verdict
from .where import WherePart, check_coverage, check_identity, read_where, tensors_read

_SEVERITY = {"incorrect": 0, "unparsed": 1, "layout": 2, "correct": 3}


def _ref(ctx: Context, ref) -> str:
    return ref_latex(ctx, ref.of, ref.wrt, ref.of_indices, ref.wrt_indices)


def claim_latex(ctx: Context, claim) -> str:
    """The claim as the checker understood it, printed back as LaTeX."""
    name = type(claim).__name__
    if name == "ShapeClaim":
        subject = _ref(ctx, claim.subject) if claim.subject else ctx.truth(None).latex
        return r"%s \in \mathbb{R}^{%s}" % (subject, dims_latex(claim.dims))
    if name == "FormulaClaim":
        return r"%s = %s" % (_ref(ctx, claim.lhs), printed(claim.rhs, ctx))
    if name == "ArithmeticClaim":
        return " = ".join(text for text, _ in claim.pieces)
    if name == "SizeClaim":
        return r"%s = %s" % (claim.written, printed(claim.value, ctx))
    if name == "Unjudged":
        return claim.written
    if name == "ExprShapeClaim":
        return r"%s \in \mathbb{R}^{%s}" % (claim.written, dims_latex(claim.dims))
    if name == "IdentityClaim":
        return claim.written
    return r",\ ".join(r"%s = %s" % (printed(a, ctx), printed(b, ctx))
                        for a, b in claim.equations)


def check_one(ctx: Context, claim, index_base: int, offsets: frozenset[str] = frozenset(),
              einstein: bool = False) -> Verdict:
    """The verdict on one parsed part of a claim; ``offsets``: letters the writer declared
    to count from 0 (see :func:`offset_reading`); ``einstein``: the writer declared
    Einstein's summation convention (a repeated index is summed)."""
    name = type(claim).__name__
    try:
        text = claim_latex(ctx, claim)
    except Exception:  # printing is a courtesy; the check does not depend on it
        text = ""
    try:
        if name == "ArithmeticClaim":
            return check_links(ctx, claim, text)
        if name == "SizeClaim":
            return check_size(ctx, claim, text)
        if name == "ExprShapeClaim":
            return check_expression_shape(ctx, claim, index_base, text)
        if name == "IdentityClaim":
            return check_expression_identity(ctx, claim, index_base, text)
        if name == "Unjudged":
            return Verdict("unparsed", f"`{claim.written}` was not judged: {claim.reason} "
                           f"(known: {ctx.known()}).", {"construct": "definition"}, None, text,
                           ["construct not judged: definition"])
        if name == "ShapeClaim":
            ref = claim.subject
            truth = ctx.truth(ref.of if ref else None, ref.wrt if ref else None)
            spec = ctx.tensors.get(ref.of) if ref is not None else None
            if spec is not None and spec.family and len(ref.of_indices) == 1 and \
                    not ref.wrt_indices and ref.wrt is None:
                return slot_shape(spec, list(claim.dims), text)
            if ref is not None and (ref.of_indices or ref.wrt_indices):
                if len(ref.of_indices) + len(ref.wrt_indices) == len(truth.shape) and \
                        all(as_expr(d) == 1 for d in claim.dims):
                    return Verdict("correct", f"{text}: each entry is a number.", None, None,
                                   text)
                return Verdict("incorrect", f"{text}: a shape is stated for a whole tensor, "
                               f"not for one entry.", claim_latex=text)
            v = check_shape(ctx, truth, list(claim.dims), text)
            if claim.values is not None and v.verdict == "correct":
                return check_values(ctx, truth, claim.values, text, v)
            return v
        if name == "FormulaClaim":
            same = sp.Symbol(claim.lhs.of, commutative=False) if claim.lhs.of else None
            if (claim.lhs.wrt is None and not claim.lhs.of_indices and same is not None
                    and claim.rhs == same and claim.lhs.of in ctx.tensors):
                spec = ctx.tensors[claim.lhs.of]
                return Verdict("correct", f"{text}: both sides name {spec.latex}"
                               f"{' (' + spec.about + ')' if spec.about else ''}, as the "
                               f"question does.", None, None, text,
                               ["a definition of notation, consistent with the question's"])
            truth = ctx.truth(claim.lhs.of, claim.lhs.wrt)
            base, problem = ranges_base(claim, truth, index_base)
            if problem:
                return Verdict("unparsed", problem, {"construct": "range"}, None, text,
                               ["construct not judged: range"])
            rhs = claim.rhs.xreplace({IMPLIED_BASE: base})
            lhs = _based_ref(claim.lhs, base)
            v = check_readings(ctx, truth, lhs, rhs, base, text, einstein)
            if v.verdict == "incorrect" and base == index_base:
                other = 1 - base
                w = check_readings(ctx, truth, _based_ref(claim.lhs, other),
                                   claim.rhs.xreplace({IMPLIED_BASE: other}), other, text,
                                   einstein)
                if w.verdict == "correct":
                    v = replace(v, hint=f"it is right read {other}-based: pass --index-base "
                                f"{other} (index_base={other} in Python)")
            if v.verdict == "incorrect" and base == 1:
                v = offset_reading(ctx, truth, lhs, rhs, text, v, offsets) or v
            if v.verdict == "incorrect":
                v = reversed_reading(ctx, truth, lhs, rhs, base, text, einstein) or v
            if v.verdict == "incorrect":
                v = axes_swapped_reading(ctx, truth, lhs, rhs, base, text, einstein) or v
            if base != index_base:
                v = replace(v, notes=[*v.notes, f"read {base}-based, as its ranges state"])
            return v
        if ctx.system is None:
            return Verdict("unparsed", f"question {ctx.qid} is not about a system of "
                           f"equations; write one formula per left side.", claim_latex=text)
        fixed = {IMPLIED_BASE: index_base}
        claim = replace(claim, equations=tuple((a.xreplace(fixed), b.xreplace(fixed))
                                               for a, b in claim.equations))
        return ctx.system(claim, index_base, text)
    except ClaimProblem as e:
        return Verdict("incorrect", str(e).rstrip(".") + ".", claim_latex=text)
    except Unreadable as e:
        return Verdict("unparsed", f"{e} (construct: {e.construct}).", claim_latex=text)
    except LimitError:
        raise
    except SymgradError as e:
        return content_error(e, text)
    except Exception as e:  # the engine boundary: a verdict, never a traceback
        return unexpected(e, name, text)


def _based_ref(ref, base: int):
    """The left side with the reader's implied first index (a singleton axis) as ``base``."""
    fix = {IMPLIED_BASE: sp.Integer(base)}
    def fixed(indices):
        return tuple(i.xreplace(fix) if isinstance(i, sp.Basic) else i for i in indices)

    return replace(ref, of_indices=fixed(ref.of_indices), wrt_indices=fixed(ref.wrt_indices))


def check_values(ctx: Context, truth, values: tuple, text: str, shape: Verdict) -> Verdict:
    """`c[t] \\in (0,1)^m`: every entry of the quantity, on random instances, in the
    interval."""
    low, high, open_low, open_high = (float(values[0]), float(values[1]), *values[2:])
    shown = ("(" if open_low else "[") + f"{values[0]}, {values[1]}" + (")" if open_high
                                                                        else "]")
    for seed in (0, 1, 2):
        inst = ctx.instance(seed)
        a = np.asarray(truth.array(inst), dtype=float)
        bad = ~(((a > low) if open_low else (a >= low)) & ((a < high) if open_high
                                                              else (a <= high)))
        if bad.any():
            where = np.unravel_index(int(np.argmax(bad)), a.shape)
            entry = ", ".join(str(int(w) + 1) for w in where)
            return Verdict("incorrect", f"{truth.latex} has the claimed shape, but its entry "
                           f"({entry}) is {a[where]:.6g}, outside {shown} ({inst.about}).",
                           {"entry": entry, "value": f"{a[where]:.6g}",
                            "instance": inst.about}, None, text, shape.notes)
    return replace(shape, explanation=shape.explanation.rstrip(".") + f", and every entry "
                   f"lies in {shown} (3 random instances).")


def check_readings(ctx: Context, truth, lhs, rhs: sp.Expr, base: int, text: str,
                   einstein: bool = False) -> Verdict:
    """A formula judged in each meaning its question allows for its symbols (1.2.2.f: the
    Jacobians of a sum over all later states are total, of the k states h[T] feeds
    one-step partials); correct if right in one, which the note names."""
    readings = ctx.readings(rhs) if ctx.readings is not None else []
    if not readings:
        return FormulaCheck(ctx, truth, lhs, rhs, base, text, einstein).run()
    verdicts = []
    for meaning, note in readings:
        v = FormulaCheck(ctx, truth, lhs, rhs.xreplace(meaning), base, text, einstein).run()
        v = replace(v, notes=[*v.notes, note])
        if v.verdict == "correct":
            return v
        verdicts.append(v)
    return verdicts[0]


#: a definition that says the writer uses Einstein's summation convention (review passes it
#: for a write-up that says so; sg.check(..., definitions=[EINSTEIN]) in Python)
EINSTEIN = r"\text{Einstein summation}"
_AT_ZERO = re.compile(r"(\S+) has [^;]* entries; [^;]*? reaches position 0 on axis (\d+) ")


def offset_reading(ctx: Context, truth, lhs, rhs: sp.Expr, text: str, first: Verdict,
                   offsets: frozenset[str]) -> Verdict | None:
    """A 1-based claim read with kernel offsets counted from 0, as many writers count
    them (``\\sum_{m=0}^{2} W[1, c, m] x[c, 2i - 1 + m]``): each tensor axis the claim
    reads at position 0 is shifted by one, and each left-side index the writer declared to
    start at 0 (``m \\in \\{0, 1, 2\\}``, also for ``m'``) is one less than its position.
    Without such a declaration, only axes indexed by a summation index from 0 move.
    The verdict when that reading is right, saying so; None when it is not."""
    names = {t.latex: t.name for t in ctx.tensors.values()}
    axes = {(names[m.group(1)], int(m.group(2)) - 1) for m in _AT_ZERO.finditer(first.explanation)
            if m.group(1) in names}
    if not offsets:
        # without the writer's word that it counts from 0, only an axis read through a
        # summation index that starts at 0 (W[1, c, m], m = 0..2); x_{c, 2j+k-3} that
        # reaches 0 is an off-by-one, not an offset
        zero = {v for s in rhs.atoms(sp.Sum) for v, lo, _hi in s.limits if lo == 0}
        axes = {(n, k) for n, k in axes if any(
            str(e.base.label) == n and k < len(e.indices) and e.indices[k] in zero
            for e in rhs.atoms(sp.Indexed))}
    bound = [i for i in (*lhs.of_indices, *lhs.wrt_indices) if isinstance(i, sp.Symbol)
             and i.name.rstrip("'") in offsets]
    if not axes and not bound:
        return None

    def shifted(e: sp.Indexed) -> sp.Expr:
        idx = [i + 1 if (str(e.base.label), k) in axes else i for k, i in enumerate(e.indices)]
        return e.base[tuple(idx)]

    moved = rhs.xreplace({i: i - 1 for i in bound}) if bound else rhs
    if axes:
        moved = moved.replace(lambda e: isinstance(e, sp.Indexed) and any(
            (str(e.base.label), k) in axes for k in range(len(e.indices))), shifted)
    v = check_readings(ctx, truth, lhs, moved, 1, text)
    if v.verdict != "correct":
        return None
    said = [f"{ctx.tensors[n].latex}'s axis {k + 1}" for n, k in sorted(axes)] + \
        [f"the index {i.name}" for i in bound]
    return replace(v, notes=[*v.notes, f"read with {', '.join(said)} counted from 0 (kernel "
                             f"offsets, as the claim writes them), the other positions from 1"])


def _evaluate_whole(ctx: Context, inst, expr: sp.Expr, base: int) -> tuple[np.ndarray, list]:
    """An expression's value on one instance, as an array of its matrix shape (a vector
    is a column); the loss gradients are read as rows where the products need them."""
    try:
        v = Evaluator(ctx.source(inst), base, [], expr).run(expr)
        note = []
    except ClaimProblem:
        rows = frozenset(t.name for t in ctx.tensors.values()
                         if t.gradient and len(t.shape) == 1)
        if not rows:
            raise
        v = Evaluator(replace(ctx.source(inst), rows=rows), base, [], expr).run(expr)
        note = ["numerator layout (row vector): the loss gradients are read as 1 x n rows"]
    return (v.a.reshape(v.trail) if v.m else v.a.reshape(())), note


def check_expression_identity(ctx: Context, claim, base: int, text: str) -> Verdict:
    """`A = B` between expressions of declared tensors: both sides evaluated on three
    random instances; equal values (same entries, a vector as column or row) or not."""
    notes: list = []
    for seed in range(3):
        inst = ctx.instance(seed)
        (a, na), (b, nb) = (_evaluate_whole(ctx, inst, e, base) for e in (claim.lhs, claim.rhs))
        notes = list(dict.fromkeys([*notes, *na, *nb]))
        if a.size != b.size or (a.squeeze().shape != b.squeeze().shape and b.size > 1):
            shown = " x ".join(map(str, b.shape)) or "a number"
            return Verdict("incorrect", f"the two sides have different shapes: "
                           f"{' x '.join(map(str, a.shape)) or 'a number'} and {shown} "
                           f"({inst.about}).", None, None, text, notes)
        a, b = a.reshape(-1), np.broadcast_to(b.reshape(-1), a.reshape(-1).shape)
        bad = ~np.isclose(a, b, rtol=1e-7, atol=1e-9)
        if bad.any():
            k = int(np.argmax(bad))
            return Verdict("incorrect", f"the two sides differ: entry {k + base} of the left "
                           f"is {a[k]:.6g}, of the right {b[k]:.6g} ({inst.about}).",
                           {"claimed": f"{b[k]:.6g}", "true": f"{a[k]:.6g}"}, None, text,
                           notes)
    return Verdict("correct", "the two sides agree on every entry (3 random instances).",
                   None, None, text, notes)


def check_expression_shape(ctx: Context, claim, base: int, text: str) -> Verdict:
    """`W_c x[t] \\in \\mathbb{R}^m`: the expression evaluated on random instances of
    several sizes, its shape against the claimed one (a vector is an n x 1 column; a row
    claimed for a column, or the reverse, is a layout difference)."""
    note = []
    for seed in range(3):
        inst = ctx.instance(seed)
        try:
            v = Evaluator(ctx.source(inst), base, [], claim.expr).run(claim.expr)
        except ClaimProblem:
            # (dl/dh[t])^T ⊙ (1 - c[t]): the loss gradient as a row, in numerator layout
            rows = frozenset(t.name for t in ctx.tensors.values()
                             if t.gradient and len(t.shape) == 1)
            if not rows:
                raise
            src = replace(ctx.source(inst), rows=rows)
            v = Evaluator(src, base, [], claim.expr).run(claim.expr)
            note = ["numerator layout (row vector): the loss gradients are read as 1 x n rows"]
        got = tuple(v.trail) if v.m else ()
        subs = {s: sp.Integer(val) for s in set().union(*[as_expr(d).free_symbols
                                                          for d in claim.dims])
                for k, val in inst.sizes.items() if s.name == k}
        claimed = []
        for d in claim.dims:
            d = as_expr(d).xreplace(subs)
            if not d.is_Integer:
                return Verdict("unparsed", f"{text}: the size {sp.latex(d)} is not one the "
                               f"question declares", {"construct": "shape"}, None, text)
            claimed.append(int(d))
        column = got + (1,) if len(got) == 1 else got
        if tuple(claimed) in (got, column) or (len(claimed) == 1 and got == (claimed[0], 1)):
            continue
        squeezed = tuple(d for d in got if d != 1)
        if len(got) == 2 and 1 in got and tuple(d for d in claimed if d != 1) == squeezed:
            return Verdict("layout", f"{claim.written} is {dims_text(got)} ({inst.about}); the "
                           f"claim gives the transposed {dims_text(tuple(claimed))}.", None,
                           None, text)
        shown = dims_text(got) if got else "a single number"
        return Verdict("incorrect", f"{claim.written} is {shown} ({inst.about}); the claim "
                       f"gives {dims_text(tuple(claimed))}.",
                       {"claimed": dims_text(tuple(claimed)), "true": dims_text(got)}, None,
                       text)
    return Verdict("correct", f"{claim.written} has that shape (3 random instances).", None,
                   None, text, note)


def reversed_reading(ctx: Context, truth, lhs, rhs: sp.Expr, base: int, text: str,
                     einstein: bool) -> Verdict | None:
    """A derivative of the scalar loss indexed in classic numerator layout, the axes of the
    variable reversed (``\\frac{\\partial l}{\\partial W}[c, b, a]`` for W[a, b, c]), with
    the given gradient indexed the same way: a layout verdict when that reading is right."""
    if not truth.is_gradient or len(lhs.wrt_indices) < 2 or lhs.of_indices:
        return None
    given = {t.name for t in ctx.tensors.values() if t.gradient}

    def turned(e: sp.Indexed) -> sp.Expr:
        return e.base[tuple(reversed(e.indices))]

    moved = rhs.replace(lambda e: isinstance(e, sp.Indexed) and str(e.base.label) in given
                        and len(e.indices) > 1, turned)
    moved = _bounds_turned(ctx, rhs, moved, given, base)
    flipped = replace(lhs, wrt_indices=tuple(reversed(lhs.wrt_indices)))
    v = check_readings(ctx, truth, flipped, moved, base, text, einstein)
    if v.verdict != "correct":
        return None
    return Verdict("layout", f"{v.explanation} Read in numerator layout: the claim indexes "
                   f"the derivative of the loss (and the given gradient) with the axes "
                   f"reversed.", v.counterexample, v.hint, v.claim_latex,
                   [*v.notes, "numerator layout: axes of the loss's derivatives reversed"])


def axes_swapped_reading(ctx: Context, truth, lhs, rhs: sp.Expr, base: int, text: str,
                         einstein: bool) -> Verdict | None:
    """A claim that indexes a two-axis input with its axes in the other order
    (``x[k + 2(r-1), c]``, position first, for x[c, n]: the question writes x[n] for the
    channels at position n), read so: correct, saying so, when that reading is right."""
    inputs = [t for t in ctx.tensors.values() if len(t.shape) == 2 and not t.gradient
              and t.about == "the input" and not t.family]  # never a weight matrix
    for t in inputs:
        read = [e for e in rhs.atoms(sp.Indexed) if str(e.base.label) == t.name
                and len(e.indices) == 2]
        if not read:
            continue
        moved = rhs.replace(lambda e, name=t.name: isinstance(e, sp.Indexed)
                            and str(e.base.label) == name and len(e.indices) == 2,
                            lambda e: e.base[tuple(reversed(e.indices))])
        v = check_readings(ctx, truth, lhs, moved, base, text, einstein)
        if v.verdict == "correct":
            return replace(v, notes=[*v.notes, f"{t.latex} indexed with its two axes in the "
                                     f"other order (position first, as {t.latex}[n] is the "
                                     f"vector at position n)"])
    return None


def _bounds_turned(ctx: Context, rhs: sp.Expr, moved: sp.Expr, given: set[str],
                   base: int) -> sp.Expr:
    """``moved`` with the sums whose range came from an axis of a turned gradient
    (``\\sum_j g[j, a]``, bounds not written) over the range of that axis turned."""
    sizes = {t.name: t.shape for t in ctx.tensors.values() if t.name in given}

    def axis_size(e: sp.Expr, var) -> int | None:
        for g in e.atoms(sp.Indexed):
            name = str(g.base.label)
            if name in sizes and len(g.indices) == len(sizes[name]):
                for k, i in enumerate(g.indices):
                    if i == var:
                        return sizes[name][k]
        return None

    old = {v: axis_size(s.function, v) for s in rhs.atoms(sp.Sum) for v, _, _ in s.limits}

    def widen(s: sp.Sum) -> sp.Expr:
        limits = []
        for var, lo, hi in s.limits:
            was, now = old.get(var), axis_size(s.function, var)
            if not (was is None or now is None or was == now or lo != base
                    or hi != base + was - 1):
                hi = base + now - 1
            limits.append((var, lo, hi))
        return sp.Sum(s.function, *limits)

    return moved.replace(lambda e: isinstance(e, sp.Sum), widen)


def _is_zero(e: sp.Expr) -> bool:
    """Whether e is identically 0: a value at small integers settles most cases exactly;
    only the rest go to simplify."""
    e = sp.Integer(e) if isinstance(e, int) else e
    if differs(e):
        return False
    return sp.simplify(e) == 0


def ranges_base(claim, truth, index_base: int) -> tuple[int, str]:
    """The index base a formula's stated ranges imply (`j = 0, 1, 2` is 0-based), and what
    is wrong with them if they are not whole axes of the left side."""
    indices = list(claim.lhs.of_indices) + list(claim.lhs.wrt_indices)
    shape = list(truth.of_shape) + list(truth.wrt_shape)
    if not claim.ranges or len(indices) != len(shape):
        return index_base, ""
    bases = set()
    summed = {v: (a, b) for s in claim.rhs.atoms(sp.Sum) for v, a, b in s.limits}
    for var, lo, hi in claim.ranges:
        axis = next((k for k, i in enumerate(indices) if i == var), None)
        if axis is None and var in summed:
            if all(_is_zero(x - y) for x, y in zip((lo, hi), summed[var], strict=True)):
                continue  # `c = 0, ..., 4` restating the range of a sum's index
            return index_base, (f"the range {lo}..{hi} of {var} is not the range of its sum "
                                f"({summed[var][0]}..{summed[var][1]}).")
        if axis is None:
            return index_base, f"the range of {var} does not name an index of the left side."
        for base in (0, 1):
            if _is_zero(lo - base) and _is_zero(hi - (shape[axis] - 1 + base)):
                bases.add(base)
                break
        else:
            return index_base, (f"the range {lo}..{hi} of {var} is not the whole axis "
                                f"(1..{shape[axis]}); a formula on part of an axis is not "
                                f"judged.")
    if len(bases) > 1:
        return index_base, "the ranges mix 0-based and 1-based indices."
    return (bases.pop() if bases else index_base), ""


def content_error(e: SymgradError, text: str) -> Verdict:
    """An ``unparsed`` verdict for what is wrong with the claim's content (an unknown
    name, a construct not read), with its position where known."""
    position = getattr(e, "position", None)
    found = re.search(r"at position (\d+)", str(e))
    if position is None and found:
        position = int(found.group(1))
    construct = getattr(e, "construct", None) or {
        "UnknownNameError": "unknown name", "ShapeError": "shape"}.get(type(e).__name__,
                                                                      type(e).__name__)
    where = f" at position {position}" if position is not None else ""
    return Verdict("unparsed", f"the claim could not be read{where}: {e}",
                   {"position": position, "construct": construct}, None, text,
                   [f"construct not understood: {construct}"])


def _equal(a: sp.Expr, b: sp.Expr) -> dict | None:
    """None if a == b for every size; else the sizes of a counterexample (dimension
    lists are equal when they have the same length and equal entries)."""
    if isinstance(a, sp.Tuple) or isinstance(b, sp.Tuple):
        a, b = (x if isinstance(x, sp.Tuple) else sp.Tuple(x) for x in (a, b))
        if len(a) != len(b):
            return {}
        for x, y in zip(a, b, strict=True):
            bad = _equal(x, y)
            if bad is not None:
                return bad
        return None
    if _is_zero(a - b):
        return None
    names = sorted(a.free_symbols | b.free_symbols, key=str)
    rng = np.random.default_rng(0)
    for _ in range(40):
        values = {s: int(v) for s, v in zip(names, rng.integers(1, 13, len(names)),
                                            strict=True)}
        diff = (a - b).xreplace(values)
        if diff.is_number and not _is_zero(diff):
            return {str(s): v for s, v in values.items()}
    return {}


def check_links(ctx: Context, claim, text: str) -> Verdict:
    """A worked computation: every link holds; a number it ends on must be the size of
    an axis of the question's result, else the claim does not say what it computes."""
    (first, a), *rest = claim.pieces
    for written, b in rest:
        bad = _equal(a, b)
        if bad is not None:
            shown = {"left": str(a), "right": str(b), **bad}
            where = f" for {', '.join(f'{k} = {v}' for k, v in bad.items())}" if bad else ""
            return Verdict("incorrect", f"the computation `{first} = {written}` does not "
                           f"hold{where}: {a} is not {b}.", shown, None, text)
        first, a = written, b
    if isinstance(a, sp.Tuple):  # a shape worked out; its last form is checked as a shape
        return Verdict("correct", "the computation of the shape holds.", None, None, text)
    truth = ctx.truth(None) if ctx.default is not None else None
    if truth is not None and truth.labels and a.is_number and not a.is_Integer:
        return Verdict("incorrect", f"the computation gives {a}, but every size of "
                       f"{truth.latex} is a whole number (a floor is missing?).",
                       {"value": str(a)}, "sizes are whole numbers: floor((n - K)/S) + 1",
                       text)
    if a.is_Integer and truth is not None:
        for label, dim in zip(truth.labels, truth.of_shape, strict=False):
            if sp.Integer(dim) == a if isinstance(dim, int) else dim == a:
                return Verdict("correct", f"the computation holds and gives {a}, the "
                               f"{label} of {truth.latex}.", None, None, text,
                               [f"read as the {label}"])
    if not a.is_number and len(claim.pieces) > 1:
        return Verdict("correct", f"the identity `{text}` holds for every value of its "
                       f"symbols.", None, None, text,
                       ["an identity between expressions; it names no quantity of the question"])
    return Verdict("unparsed", f"the computation `{text}` holds, but the claim does not say "
                   f"which quantity it computes; name it (e.g. `H_{{out}} = ...`).",
                   {"construct": "computation"}, None, text,
                   ["construct not judged: computation"])


def check_size(ctx: Context, claim, text: str) -> Verdict:
    """`H_{out} = value`: the value against that axis of the question's result."""
    truth = ctx.truth(None) if ctx.default is not None else None
    if truth is None or claim.axis not in truth.labels:
        return Verdict("unparsed", f"`{claim.written}` reads as the {claim.axis}, but the "
                       f"result of question {ctx.qid} has none; it was not judged.",
                       {"construct": "size"}, None, text, ["construct not judged: size"])
    k = truth.labels.index(claim.axis)
    dims = list(truth.of_shape)
    dims[k] = claim.value
    v = check_shape(ctx, truth, dims, text)
    if v.verdict == "correct":
        return Verdict("correct", f"{claim.written} = {printed(claim.value, ctx)} is the "
                       f"{claim.axis} of {truth.latex}.", None, None, text, v.notes)
    return v


def unexpected(error: Exception, what: str, text: str) -> Verdict:
    """An ``unparsed`` verdict for a failure the checker did not foresee, naming it."""
    construct = {"ShapeClaim": "shape claim", "FormulaClaim": "formula",
                 "SystemClaim": "system of equations"}.get(what, what)
    detail = str(error).splitlines()[0] if str(error) else ""
    return Verdict("unparsed", f"the checker could not evaluate this {construct} "
                   f"({type(error).__name__}{': ' + detail if detail else ''}); "
                   f"please report it (construct: {construct}).",
                   {"construct": construct, "error": type(error).__name__}, None, text,
                   [f"construct not evaluated: {construct}"])


def combine(parts: list[Verdict]) -> Verdict:
    """One verdict for several parts: the worst part decides, every part is reported."""
    if len(parts) == 1:
        return parts[0]
    worst = min(parts, key=lambda v: _SEVERITY[v.verdict])
    lines = [f"part {k} ({v.verdict}): {v.explanation}" for k, v in enumerate(parts, 1)]
    notes = [n for v in parts for n in v.notes]
    return Verdict(worst.verdict, " ".join(lines), worst.counterexample, worst.hint,
                   r",\quad ".join(v.claim_latex for v in parts),
                   list(dict.fromkeys(notes)))


def check_where(ctx: Context, where: WherePart, index_base: int,
                definitions: Sequence[str]) -> Verdict:
    """A formula with where-definitions of the context's own tensors: the main formula as
    any claim, every definition as an identity; correct only if every part is."""
    claims = parse_claim(where.main, ctx.declarations(), definitions=definitions)
    parts = [check_one(ctx, c, index_base) for c in claims]
    parts += [check_identity(ctx, ident, index_base) for ident in where.identities]
    used = set().union(*[tensors_read(getattr(c, "rhs", None)) for c in claims])
    parts += check_coverage(ctx, where, used)
    return combine(parts)


def slot_shape(spec, dims: list, text: str) -> Verdict:
    """A shape stated for one slot of a family (``v_i[t] \\in \\mathbb{R}^n``)."""
    want = [as_expr(d) for d in spec.shape[1:]]
    got = [as_expr(d) for d in dims if as_expr(d) != 1] or [sp.Integer(1)]
    shown = " x ".join(str(d) for d in want) or "1"
    if got == (want or [sp.Integer(1)]):
        return Verdict("correct", f"{text}: each slot of {spec.latex} is {shown}.", None, None,
                       text)
    return Verdict("incorrect", f"{text}: each slot of {spec.latex} is {shown}, the claim "
                   f"gives {' x '.join(str(d) for d in got)}.", claim_latex=text)


def product_claims(ctx: Context, latex: str, index_base: int, definitions: Sequence[str]
                   ) -> Verdict | None:
    """A claim that differentiates a product in one numerator (``\\frac{\\partial a_0[t]
    v_0[t]}{\\partial h[t-1]}``), read with the product rule; None when it has none or the
    rewritten claim is not judged either."""
    spellings = sorted((t.latex for t in ctx.tensors.values()), key=len, reverse=True)
    scalars = {t.latex for t in ctx.tensors.values() if tuple(t.shape) == ()}
    rewritten = product_rule(latex, scalars, spellings)
    if rewritten == latex:
        return None
    v = check(ctx, rewritten, index_base, definitions)
    if v.verdict == "unparsed":
        return None
    return replace(v, claim_latex=latex,
                   notes=[*v.notes, "the derivative of a product read by the product rule"])


def _slots(ctx: Context, names: set[str]) -> list[int]:
    """The slots 0, 1, ... the context declares for every family in ``names``."""
    spelled = {t.latex for t in ctx.tensors.values()}
    slots = sorted({int(m.group(2)) for t in spelled
                    if (m := re.fullmatch(r"([A-Za-z])_(\d+)\[t\]", t)) and m.group(1) in names})
    if not all(f"{name}_{k}[t]" in spelled for name in names for k in slots):
        return []
    return slots


def slot_claims(ctx: Context, latex: str, index_base: int, definitions: Sequence[str]
                ) -> Verdict | None:
    """A claim about the slots of a family written with a letter (``q_i[t], k_i[t] \\in
    \\mathbb{R}^n``, ``\\frac{\\partial a_i[t]}{\\partial h[t-1]} = a_i[t] (\\delta_{i1} -
    a_1[t]) ...``, or a sum over the slots ``\\sum_{i=0}^{2} (v_i[t] ...)``), the context
    declaring q_0[t], q_1[t], ...: sums written out, and a letter on the left side checked
    at every slot; None when the claim is not of that form or a slot is not judged."""
    names = {name for name, _ in slot_letters(latex)}
    if not names:
        return None
    unrolled = unroll_slot_sums(latex, names)
    lhs = re.split(r"(?<![<>!:\\])=|\\in(?![a-zA-Z])", unrolled, maxsplit=1)[0]
    letters = {letter for _, letter in slot_letters(lhs)}
    if not letters and unrolled != latex:
        v = check(ctx, unrolled, index_base, definitions)
        return None if v.verdict == "unparsed" else replace(
            v, claim_latex=latex, notes=[*v.notes, "the sum over the slots written out"])
    if len(letters) != 1:
        return None
    letter = next(iter(letters))
    if letter in ctx.scalars or re.search(rf"\\(?:sum|prod)\s*_\s*\{{?\s*{letter}\b",
                                          unrolled):
        return None
    slots = _slots(ctx, {name for name, x in slot_letters(unrolled) if x == letter})
    if not slots:
        return None
    parts = [check(ctx, at_slot(unrolled, letter, k), index_base, definitions) for k in slots]
    if any(p.verdict == "unparsed" for p in parts):
        return None
    v = combine(parts)
    bad = next((p for p in parts if p.verdict == v.verdict), parts[0])
    at, span = slots[parts.index(bad)], f"{slots[0]}..{slots[-1]}"
    said = (f"at every slot {letter} = {span} (as at {letter} = {at}: {bad.explanation})"
            if v.ok else f"at slot {letter} = {at} (of {span}): {bad.explanation}")
    return replace(v, claim_latex=latex, explanation=said,
                   notes=[*v.notes, f"{letter} read as every slot {span}, each checked"])


def check(ctx: Context, latex: str, index_base: int = 1, definitions: Sequence[str] = ()
          ) -> Verdict:
    """Parse ``latex`` with the context's declarations (and the reader's earlier
    ``definitions``, e.g. ``s_p = 2p - 1``) and check every part; a failure that is not a
    SymgradError becomes an ``unparsed`` verdict, never a traceback."""
    if index_base not in (0, 1):
        raise ShapeError(f"index_base must be 0 or 1, not {index_base!r}")
    einstein = EINSTEIN in definitions
    definitions = [d for d in definitions if d != EINSTEIN]
    try:
        try:
            where = read_where(ctx, latex, definitions)
            claims = None
            if where is None or not where.own:
                try:
                    claims = parse_claim(latex, ctx.declarations(), definitions=definitions)
                except (ParseError, ShapeError, UnknownNameError):
                    if where is None:
                        raise
            if claims is None:
                return check_where(ctx, where, index_base, definitions)
        except (UnknownNameError, ParseError) as e:
            return (product_claims(ctx, latex, index_base, definitions)
                    or slot_claims(ctx, latex, index_base, definitions)
                    or content_error(e, latex))
        except ShapeError as e:
            return content_error(e, latex)
        offsets = offset_letters(definitions)
        v = combine([check_one(ctx, c, index_base, offsets, einstein) for c in claims])
        if v.verdict == "unparsed":
            return slot_claims(ctx, latex, index_base, definitions) or v
        return v
    except LimitError:
        raise
    except SymgradError as e:
        return content_error(e, latex)
    except Exception as e:  # the engine boundary: still a verdict
        return unexpected(e, "claim", latex)
