"""The verdict engine: parse a claim against a context, check each part, combine."""

from __future__ import annotations

from ..core.errors import ParseError, ShapeError, SymgradError
from .context import Context
from .formula import FormulaCheck, ref_latex
from .numeric import ClaimProblem, Unreadable
from .printing import printed
from .shapes import check_shape, dims_latex
from .verdict import Verdict

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
    return r",\ ".join(r"%s = %s" % (printed(a, ctx), printed(b, ctx))
                        for a, b in claim.equations)


def check_one(ctx: Context, claim, index_base: int) -> Verdict:
    """The verdict on one parsed part of a claim."""
    name = type(claim).__name__
    try:
        text = claim_latex(ctx, claim)
    except Exception:  # printing is a courtesy; the check does not depend on it
        text = ""
    try:
        if name == "ShapeClaim":
            ref = claim.subject
            truth = ctx.truth(ref.of if ref else None, ref.wrt if ref else None)
            if ref is not None and (ref.of_indices or ref.wrt_indices):
                return Verdict("incorrect", f"{text}: a shape is stated for a whole tensor, "
                               f"not for one entry.", claim_latex=text)
            return check_shape(ctx, truth, list(claim.dims), text)
        if name == "FormulaClaim":
            truth = ctx.truth(claim.lhs.of, claim.lhs.wrt)
            return FormulaCheck(ctx, truth, claim.lhs, claim.rhs, index_base, text).run()
        if ctx.system is None:
            return Verdict("unparsed", f"question {ctx.qid} is not about a system of "
                           f"equations; write one formula per left side.", claim_latex=text)
        return ctx.system(claim, index_base, text)
    except ClaimProblem as e:
        return Verdict("incorrect", str(e).rstrip(".") + ".", claim_latex=text)
    except Unreadable as e:
        return Verdict("unparsed", f"{e} (construct: {e.construct}).", claim_latex=text)
    except SymgradError:
        raise
    except Exception as e:  # the engine boundary: a verdict, never a traceback
        return unexpected(e, name, text)


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


def check(ctx: Context, latex: str, index_base: int = 1) -> Verdict:
    """Parse ``latex`` with the context's declarations and check every part; a failure
    that is not a SymgradError becomes an ``unparsed`` verdict, never a traceback."""
    from ..latex.parse import parse_claim

    if index_base not in (0, 1):
        raise ShapeError(f"index_base must be 0 or 1, not {index_base!r}")
    try:
        try:
            claims = parse_claim(latex, ctx.declarations())
        except ParseError as e:
            where = f" at position {e.position}" if e.position is not None else ""
            return Verdict("unparsed", f"the claim could not be read{where}: {e}",
                           {"position": e.position, "construct": e.construct}, None, latex,
                           [f"construct not understood: {e.construct}"] if e.construct
                           else [])
        return combine([check_one(ctx, c, index_base) for c in claims])
    except SymgradError:
        raise
    except Exception as e:  # the engine boundary: still a verdict
        return unexpected(e, "claim", latex)
