"""Element and matrix formulas: the right side evaluated over every index of concrete
instances and compared with the truth, with the layout rules of the design."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, replace

import numpy as np
import sympy as sp

from ..core.ops import At, AtTime
from ..core.printing import shift_base
from ..notation import IDENTITY, ONES
from .context import Context, Instance, Truth, as_expr, singles
from .numeric import ClaimProblem, Evaluator, Mismatch, Unreadable, dims_text, free_names
from .printing import printed
from .verdict import Verdict

SEEDS = (0, 1, 2)
BUDGET = 8.0
_NONSCALAR = ("At", "AtTime", "Transposed", "Hadamard", "Diag", "Softargmax", "Stack",
              "VStack", "Kron")
ROW_NOTE = "numerator layout (row vector): the loss gradients are read as 1 x n rows"
TIES = ("ties: where several entries attain a max (or min), the derivative is 1 at each "
        "of them; the max is not differentiable there (PyTorch passes the gradient to one "
        "of them); random instances have no ties, so they do not test this")


def _argmax(truth: Truth) -> bool:
    """A truth that differentiates a max or min over entries (its condition x_j = y_i)."""
    q = truth.quantity
    element = getattr(q, "element", None) if q is not None else None
    return isinstance(element, sp.Basic) and any(
        c.has(sp.Indexed) for c in element.atoms(sp.Eq))


@dataclass
class Axis:
    """One axis of the truth as the left side binds it: a letter or a fixed position."""

    name: str | None
    const: int | None
    size: int


def close(claimed: np.ndarray, true: np.ndarray) -> np.ndarray:
    flat = np.asarray(true, dtype=float).reshape(-1)
    finite = np.abs(flat[np.isfinite(flat)])  # NaN or inf in the truth set no scale
    scale = max(1.0, float(finite.max()) if finite.size else 1.0)
    with np.errstate(invalid="ignore"):
        return np.isfinite(claimed) & np.isclose(claimed, true, rtol=1e-6, atol=1e-9 * scale)


def _num(v: float) -> float:
    v = float(v)
    return int(v) if v.is_integer() else round(v, 10)


def ref_latex(ctx: Context, of: str, wrt: str | None, of_idx=(), wrt_idx=()) -> str:
    def name(t: str, idx) -> str:
        head = r"\ell" if t == "loss" else ctx.tensors[t].latex if t in ctx.tensors else t
        if not idx:
            return head
        if "_" in head or " " in head or "(" in head:
            head = r"\left(%s\right)" % head
        return "%s_{%s}" % (head, ",".join(sp.latex(i) for i in idx))

    top = name(of, of_idx)
    return top if wrt is None else r"\frac{\partial %s}{\partial %s}" % (top, name(wrt, wrt_idx))


class FormulaCheck:
    """Checks ``lhs = rhs`` for one context and index base."""

    def __init__(self, ctx: Context, truth: Truth, ref, rhs: sp.Expr, base: int,
                 claim_latex: str, einstein: bool = False) -> None:
        self.ctx, self.truth, self.ref, self.rhs = ctx, truth, ref, rhs
        self.einstein = einstein  # the writer declared Einstein's summation convention
        self.base = base
        self.claim_latex = claim_latex
        self.start = time.monotonic()
        self.notes: list[str] = []
        self.rows: frozenset = frozenset()
        self.written_sums = False  # the right side as written sums over some index

    def verdict(self, kind: str, explanation: str, counter=None, hint=None) -> Verdict:
        return Verdict(kind, explanation, counter, hint, self.claim_latex, self.notes)

    def run(self) -> Verdict:
        if self.truth.value is None:
            return self.verdict("unparsed", f"question {self.ctx.qid} is about a shape: "
                                f"state it as {self.truth.latex} \\in \\mathbb{{R}}^{{...}}")
        lhs_names = [s.name for i in (*self.ref.of_indices, *self.ref.wrt_indices)
                     for s in as_expr(i).free_symbols if s.name not in self.ctx.scalars]
        allowed = (set(lhs_names) | set(self.ctx.scalars) | set(self.ctx.tensors)
                   | {IDENTITY.name, ONES.name})
        if self.ctx.time:
            allowed.add(self.ctx.time)
        unbound = [n for n in free_names(self.rhs) if n not in allowed]
        self.written_sums = bool(self.rhs.atoms(sp.Sum))
        for name in list(unbound):
            summed = self._einstein(name)
            if summed is not None:
                self.rhs = summed
                unbound.remove(name)
                self._note(f"summed over the repeated index {name} of the chain rule "
                           f"(Einstein convention: the left side does not bind {name})")
            elif self.einstein and (summed := self._declared_einstein(name)) is not None:
                self.rhs = summed
                unbound.remove(name)
                self._note(f"summed over the repeated index {name}: the write-up declares "
                           f"Einstein's summation convention")
        if unbound:
            bound = ", ".join(dict.fromkeys(lhs_names)) or "no index"
            wrong = self.verdict("incorrect", f"the index {', '.join(unbound)} is free on "
                                 f"the right side but not bound on the left (which binds "
                                 f"{bound}).")
            return self._implied_sum(unbound, set(lhs_names)) or wrong
        return self._judge()

    def _implied_sum(self, unbound: list[str], bound: set[str]) -> Verdict | None:
        """The verdict read with Einstein's convention though the write-up does not declare
        it (``x_{c(2j+k)} \\delta_{i'i} \\delta_{c'c} \\delta_{k'k}`` sums over c and k)
        and writes no sum of its own, when that reading is right; None otherwise: then the
        free index is the error."""
        if self.written_sums:
            return None  # it writes its sums: the index it leaves free is a sum forgotten
        saved, notes = self.rhs, list(self.notes)
        for name in unbound:
            # only a Kronecker delta with an index of the left side says the sum is meant
            # (g_{1j} x_{c,2j+k} without a sum may be a sum forgotten)
            summed = self._through_delta(name, bound)
            if summed is None:
                self.rhs = saved
                return None
            self.rhs = summed
        v = self._judge()
        if v.verdict != "correct":
            self.rhs, self.notes = saved, notes
            return None
        return replace(v, notes=[*v.notes, f"read with Einstein's convention: summed over "
                                 f"{', '.join(unbound)}, which the left side does not bind"])

    def _through_delta(self, name: str, bound: set[str]) -> sp.Expr | None:
        """The sum over ``name`` of a right side whose every term has a Kronecker delta
        pairing ``name`` with an index of the left side: that index put in its place."""
        out = []
        for term in sp.Add.make_args(sp.expand(self.rhs)):
            delta = next((d for d in term.atoms(sp.KroneckerDelta)
                          if {s.name for s in d.free_symbols} & {name}
                          and any(isinstance(a, sp.Symbol) and a.name in bound
                                  for a in d.args)), None)
            if delta is None:
                return None
            var = next(s for s in delta.free_symbols if s.name == name)
            other = next(a for a in delta.args if isinstance(a, sp.Symbol) and a.name in bound)
            if not isinstance(delta.args[0], sp.Symbol) or not isinstance(delta.args[1],
                                                                           sp.Symbol):
                return None
            out.append(term.xreplace({delta: sp.Integer(1)}).xreplace({var: other}))
        return sp.Add(*out)

    def _judge(self) -> Verdict:
        """The verdict on a claim whose indices are all bound."""
        if _argmax(self.truth):
            self._note(TIES)
        try:
            try:
                return self._check()
            except Mismatch:
                alternative = self._as_rows()
                if alternative is not None:
                    return alternative
                raise
        except ClaimProblem as e:
            found = [str(e).rstrip(".")] + [r for r in self._ranks() if r not in str(e)]
            return self.verdict("incorrect", "; ".join(found) + ".")
        except Unreadable as e:
            return self.verdict("unparsed", f"{e} (construct: {e.construct}).")

    def _einstein(self, name: str) -> sp.Expr | None:
        """The right side summed over ``name`` when every term repeats it in exactly two
        factors, one of them a Jacobian symbol such as dy_j/dW_{c,k}; else None."""
        dim = None
        for term in sp.Add.make_args(self.rhs):
            uses = [e for e in term.atoms(sp.Indexed, At)
                    if any(name in {s.name for s in as_expr(i).free_symbols}
                           for i in _entry(e)[1])]
            if len(uses) != 2 or name in {s.name for s in term.xreplace(
                    {e: sp.Symbol("@") for e in uses}).free_symbols}:
                return None
            for e in uses:
                head, idx = _entry(e)
                spec = self.ctx.tensors.get(head)
                if spec is None or not _is_jacobian(spec):
                    continue
                axes = [k for k in range(len(spec.shape)) if len(idx) == len(spec.shape)
                        or k not in singles(spec.shape)]
                if len(axes) != len(idx):
                    continue
                for k, i in zip(axes, idx, strict=True):
                    if isinstance(i, sp.Symbol) and i.name == name:
                        dim = dim or spec.shape[k]
            if dim is None:
                return None
        return self._summed(name, dim)

    def _declared_einstein(self, name: str) -> sp.Expr | None:
        """The right side summed over ``name`` when every term repeats it (in two or more
        factors, Kronecker deltas too) and some tensor is indexed by it alone, which gives
        its range; else None."""
        dim = None
        for term in sp.Add.make_args(sp.expand(self.rhs)):
            uses = [e for e in term.atoms(sp.Indexed, sp.KroneckerDelta)
                    if name in {s.name for s in e.free_symbols}]
            if len(uses) < 2:
                return None
            for e in uses:
                if not isinstance(e, sp.Indexed):
                    continue
                spec = self.ctx.tensors.get(str(e.base.label))
                if spec is None or len(e.indices) != len(spec.shape):
                    continue
                for k, i in enumerate(e.indices):
                    if isinstance(i, sp.Symbol) and i.name == name:
                        dim = dim or spec.shape[k]
        if dim is None:
            return None
        return self._summed(name, dim)

    def _summed(self, name: str, dim) -> sp.Expr:
        """The right side summed over the index ``name`` along an axis of size ``dim``."""
        var = next(s for s in self.rhs.free_symbols if s.name == name)
        return sp.Sum(self.rhs, (var, self.base, as_expr(dim) + self.base - 1))

    def _check(self) -> Verdict:
        if self.ref.of_indices or self.ref.wrt_indices:
            return self.element()
        return self.whole()

    def _as_rows(self) -> Verdict | None:
        """The claim with the loss gradients read as row vectors (numerator layout), for a
        product that does not fit with columns, e.g. dl/dh[t] dh[t]/dh[T]."""
        rows = frozenset(t.name for t in self.ctx.tensors.values()
                         if t.gradient and len(t.shape) == 1)
        used = {str(getattr(a, "name", "")) for a in self.rhs.atoms(sp.Symbol)} | {
            str(a.base.label) for a in self.rhs.atoms(sp.Indexed)}
        if self.rows or not self.truth.is_gradient or not rows & used:
            return None
        saved = list(self.notes)
        self.rows, self.notes = rows & used, [ROW_NOTE]
        try:
            verdict = self._check()
        except (ClaimProblem, Unreadable):
            verdict = None
        if verdict is None or verdict.verdict not in ("correct", "incorrect"):
            self.rows, self.notes = frozenset(), saved
            return None
        return verdict

    def _source(self, inst: Instance):
        source = self.ctx.source(inst)
        return replace(source, rows=self.rows) if self.rows else source

    def _ranks(self) -> list[str]:
        """Tensors on the right side read with the wrong number of indices."""
        out = []
        for e in sorted(self.rhs.atoms(sp.Indexed), key=sp.default_sort_key):
            spec = self.ctx.tensors.get(str(e.base.label))
            if spec is None:
                continue
            rank = len(spec.shape)
            if len(e.indices) not in (rank, rank - len(singles(spec.shape))):
                out.append(f"{spec.latex} has {rank} axes ({dims_text(spec.shape)}) but "
                           f"{printed(e, self.ctx)} gives {len(e.indices)}")
        return out

    # element formulas -------------------------------------------------------------
    def _bind(self, shape: tuple) -> list[Axis]:
        """Left-side indices -> axes of the truth (restoring dropped singleton axes)."""
        n_of = len(self.truth.of_shape)
        of_idx, wrt_idx = tuple(self.ref.of_indices), tuple(self.ref.wrt_indices)
        if not of_idx and n_of and len(wrt_idx) == len(shape):
            # `\frac{\partial h[t]}{\partial W_{x,ijk}}`: every index on the denominator,
            # read positionally in numerator layout (the axes of h[t], then of W_x)
            of_idx, wrt_idx = wrt_idx[:n_of], wrt_idx[n_of:]
            self._note("the indices written on the denominator are read in numerator "
                       "layout: the first for the numerator's axes")
        if of_idx and not wrt_idx and singles(self.truth.wrt_shape) != tuple(
                range(len(self.truth.wrt_shape))):
            # \frac{\partial a_i[t]}{\partial h[t-1]}: an entry of the numerator, the whole
            # denominator (a row per entry): not read yet, so not judged
            raise Unreadable("a left side that indexes one side of the derivative and not "
                             "the other is not read yet; index both, or neither",
                             "left-side index")
        parts = [(of_idx, shape[:n_of], self.ref.of, self.truth.of_shape),
                 (wrt_idx, shape[n_of:], self.ref.wrt, self.truth.wrt_shape)]
        axes: list[Axis] = []
        for idx, dims, who, declared in parts:
            idx = list(idx)
            extra = len(idx) - len(dims)
            consts = [k for k, i in enumerate(idx) if as_expr(i) == self.base]
            kept = [i for k, i in enumerate(idx) if k not in set(consts[:extra])]
            if 0 < extra <= len(consts) and all(
                    as_expr(i) == self.base for i, d in zip(kept, dims) if d == 1):
                idx = kept
                self._note("an extra index fixed at the first position read as a singleton "
                           "axis the claim adds (e.g. 1 x 1 x 3 for 1 x 3)")
            if len(idx) != len(dims):
                single = singles(declared)
                keep = [k for k in range(len(dims)) if k not in single]
                if len(idx) != len(keep):
                    name = ref_latex(self.ctx, who, None) if who else ""
                    raise ClaimProblem(
                        f"{name} has {len(dims)} ax{'is' if len(dims) == 1 else 'es'} "
                        f"({dims_text(dims)}) but the left side indexes it with {len(idx)}"
                        + (f" ({', '.join(sp.latex(i) for i in idx)})" if idx else ""))
                full: list = [sp.Integer(self.base)] * len(dims)
                for k, v in zip(keep, idx, strict=True):
                    full[k] = v
                if len(keep) < len(dims) and idx:
                    self._note("singleton dimension dropped in the left side's indices")
                idx = full
            spec = self.ctx.tensors.get(who) if who else None
            for k, (i, d) in enumerate(zip(idx, dims, strict=True)):
                i = as_expr(i)
                # a tensor's own numbering of its first axis (w_0[t], w_1[t], w_2[t])
                base = spec.base if spec is not None and spec.base is not None and k == 0 \
                    else self.base
                if i.is_Integer:
                    if not base <= int(i) < base + d:
                        raise ClaimProblem(f"the left side fixes position {i} on axis "
                                           f"{k + self.base} of a {dims_text(dims)} tensor")
                    axes.append(Axis(None, int(i) - base, d))
                elif isinstance(i, sp.Symbol):
                    axes.append(Axis(i.name, None, d))
                else:
                    raise Unreadable(f"the left-side index {sp.latex(i)} is not a letter or a "
                                     f"number", "left-side index")
        return axes

    def _note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def _free(self, axes: list[Axis]) -> list[tuple[str, int]]:
        sizes: dict[str, int] = {}
        for a in axes:
            if a.name is not None:
                sizes[a.name] = min(sizes.get(a.name, a.size), a.size)
        return list(sizes.items())

    def _evaluate(self, inst: Instance, free: list[tuple[str, int]]):
        """The right side over the grid of ``free``, and the out-of-range findings."""
        src = self._source(inst)
        ev = Evaluator(src, self.base, free, self.rhs)
        v = ev.run(self.rhs)
        self.outside = ev.outside - src.zero_outside
        for note in sorted(ev.notes):
            self._note(note)
        if v.m and v.trail != (1,) * v.m:
            raise ClaimProblem(f"the right side is a {dims_text(v.trail)} value but the left "
                               f"side names one entry")
        sizes = tuple(s for _, s in free)
        a = v.a.reshape(v.a.shape[:len(free)])
        return np.broadcast_to(a, sizes).astype(float), ev.findings

    def _claimed(self, inst: Instance, free: list[tuple[str, int]]) -> np.ndarray:
        claimed, findings = self._evaluate(inst, free)
        if findings:
            raise _Findings(findings)
        return claimed

    def _true(self, T: np.ndarray, axes: list[Axis], free: list[tuple[str, int]]) -> np.ndarray:
        pos = {name: k for k, (name, _) in enumerate(free)}
        idx = []
        for a in axes:
            if a.name is None:
                idx.append(a.const)
            else:
                shape = [1] * len(free)
                shape[pos[a.name]] = free[pos[a.name]][1]
                idx.append(np.arange(free[pos[a.name]][1]).reshape(shape))
        return np.broadcast_to(T[tuple(idx)], tuple(s for _, s in free))

    def element(self) -> Verdict:
        axes = self._bind(self.truth.array(self.ctx.instance(SEEDS[0])).shape)
        if self._symbolic(axes):
            self._note("identical to the derived formula after renaming the indices")
            return self.verdict("correct", f"{self._lhs()} is the derived formula.")
        checked = 0
        for seed in SEEDS:
            inst = self.ctx.instance(seed)
            T = self.truth.array(inst)
            axes = self._bind(T.shape)
            free = self._free(axes)
            try:
                claimed = self._claimed(inst, free)
            except _Findings as f:
                layout, swap = self._permuted(inst, axes, free)
                return layout or self._findings(f.items, inst, axes, T, swap)
            true = self._true(T, axes, free)
            ok = close(claimed, true)
            checked += ok.size
            if not ok.all():
                return self._element_mismatch(inst, axes, free, claimed, true, ok)
            if time.monotonic() - self.start > BUDGET:
                break
        return self.verdict("correct", f"every entry agrees with {self.truth.latex} "
                            f"({checked} entries over {len(SEEDS)} random instances).")

    def _lhs(self) -> str:
        return ref_latex(self.ctx, self.ref.of, self.ref.wrt, self.ref.of_indices,
                         self.ref.wrt_indices)

    def _findings(self, items: list[str], inst, axes, T, swap: str | None = None) -> Verdict:
        explanation = "; ".join(items) + "."
        free = self._free(axes)
        claimed, _ = self._evaluate(inst, free)
        if close(claimed, self._true(T, axes, free)).all():
            if not self.outside:
                # W[i, c', k' - 2j]: the question defines its kernel as 0 outside its taps
                return self._zero_outside(items)
            explanation += (" Read as 0 outside the tensor, the values would agree with the "
                            "truth: state the range as a condition (cases).")
        return self.verdict("incorrect", explanation, {"finding": items[0]},
                            swap or position_hint(self.truth, self.rhs, axes, self.base,
                                                  self.ctx))

    def _zero_outside(self, items: list[str]) -> Verdict:
        """Correct when read as 0 outside tensors that the question defines so, at every
        instance, saying so."""
        checked = 0
        for seed in SEEDS:
            inst = self.ctx.instance(seed)
            T = self.truth.array(inst)
            axes = self._bind(T.shape)
            free = self._free(axes)
            claimed, _ = self._evaluate(inst, free)
            ok = close(claimed, self._true(T, axes, free))
            if not ok.all() or self.outside:
                return self._element_mismatch(inst, axes, free, claimed,
                                              self._true(T, axes, free), ok)
            checked += ok.size
        name = items[0].split(" has ")[0]
        self._note(f"{name} read as 0 outside its entries, as the question defines it "
                   f"({items[0]})")
        return self.verdict("correct", f"every entry agrees with {self.truth.latex} "
                            f"({checked} entries over {len(SEEDS)} random instances), reading "
                            f"{name} as 0 outside its entries as the question does.")

    def _entry(self, free, flat: int, shape) -> dict:
        where = np.unravel_index(flat, shape) if shape else ()
        return {name: int(w) + self.base for (name, _), w in zip(free, where, strict=True)}

    def _element_mismatch(self, inst, axes, free, claimed, true, ok) -> Verdict:
        layout, swap = self._permuted(inst, axes, free)
        if layout is not None:
            return layout
        flat = int(np.argmax(~ok.ravel()))
        entry = self._entry(free, flat, ok.shape)
        c, t = claimed.ravel()[flat], true.ravel()[flat]
        counter = {"entry": entry, "claimed": _num(c), "true": _num(t)}
        if inst.about:
            counter["instance"] = inst.about
        at = ", ".join(f"{k} = {v}" for k, v in entry.items())
        explanation = (f"at {at} the right side gives {_num(c):.6g}, the true value is "
                       f"{_num(t):.6g}" if at else
                       f"the right side gives {_num(c):.6g}, the true value is {_num(t):.6g}")
        if inst.about:
            explanation += f" ({inst.about})"
        hint = swap or self._hint(claimed, true, axes)
        return self.verdict("incorrect", explanation[0].upper() + explanation[1:] + ".",
                            counter, hint)

    def _permuted(self, inst, axes: list[Axis], free) -> tuple[Verdict | None, str | None]:
        """Another order of the left side's letters under which every value agrees: a
        layout verdict when that moves letters to axes of other sizes (the claim lays the
        axes out otherwise), else a hint (the left side binds the letters, so swapping
        letters between axes of one size is a wrong formula, not a layout)."""
        names = [a.name for a in axes if a.name is not None]
        if len(set(names)) != len(names) or len(names) < 2 or len(names) > 5:
            return None, None
        T = self.truth.array(inst)
        slots = [k for k, a in enumerate(axes) if a.name is not None]
        for perm in itertools.permutations(slots):
            if list(perm) == slots or time.monotonic() - self.start > BUDGET:
                continue
            moved = list(axes)
            for src, dst in zip(slots, perm, strict=True):
                moved[dst] = Axis(axes[src].name, None, axes[dst].size)
            moved_free = self._free(moved)
            try:
                claimed = self._claimed(inst, moved_free)
            except (ClaimProblem, _Findings):
                continue
            if not close(claimed, self._true(T, moved, moved_free)).all():
                continue
            if all(axes[src].size == axes[dst].size for src, dst in zip(slots, perm,
                                                                         strict=True)):
                return None, _swap_hint(axes, moved)
            order = ", ".join(a.name for a in moved if a.name is not None)
            return self.verdict("layout", f"the right side has the right values, but for "
                                f"the indices in the order ({order}): numerator layout "
                                f"binds the left side's indices to the axes "
                                f"{dims_text(self.truth.shape)} in order."), None
        return None, None

    def _hint(self, claimed, true, axes) -> str | None:
        nz = np.abs(true) > 1e-12
        if nz.any() and np.allclose(claimed[~nz], 0):
            ratio = claimed[nz] / true[nz]
            if np.allclose(ratio, ratio.flat[0]) and not np.isclose(ratio.flat[0], 1):
                r = ratio.flat[0]
                return ("the sign is flipped" if np.isclose(r, -1) else
                        f"the right side is {_num(r):.6g} times the true value")
        return (position_hint(self.truth, self.rhs, axes, self.base, self.ctx)
                or self._difference(axes))

    def _difference(self, axes: list[Axis]) -> str | None:
        """'the right side minus the true value simplifies to ...', where that is cheap."""
        q = self.truth.quantity
        if not self._comparable(axes):
            return None
        claim0 = self._zero_based(self.rhs, q, axes)
        if claim0 is None:
            return None
        const = {i: sp.Integer(a.const) for i, a in zip(q.indices, axes, strict=True)
                 if a.name is None}
        diff = sp.factor(sp.expand(claim0 - _deltas(q.element.xreplace(const))))
        if diff == 0 or sp.count_ops(diff) > 40:
            return None
        diff = shift_base(diff, q.indices, self.base).xreplace(
            {i: sp.Symbol(a.name, integer=True) for i, a in zip(q.indices, axes, strict=True)
             if a.name is not None})
        diff = diff.replace(lambda d: isinstance(d, sp.KroneckerDelta), _split_delta)
        return f"the right side minus the true value simplifies to {printed(diff, self.ctx)}"

    def _comparable(self, axes: list[Axis]) -> bool:
        q, rhs = self.truth.quantity, self.rhs
        return not (q is None or not rhs.is_commutative or rhs.has(sp.Sum, sp.Piecewise)
                    or any(type(f).__name__ in _NONSCALAR for f in rhs.atoms(sp.Function))
                    or len(q.indices) != len(axes) or sp.count_ops(rhs) > 200)

    def _symbolic(self, axes: list[Axis]) -> bool:
        """Exact equality with the derived element, where that is cheap."""
        q, rhs = self.truth.quantity, self.rhs
        if not self._comparable(axes):
            return False
        try:
            claim0 = self._zero_based(rhs, q, axes)
        except (ClaimProblem, KeyError):
            return False
        if claim0 is None:
            return False
        const = {i: sp.Integer(a.const) for i, a in zip(q.indices, axes, strict=True)
                 if a.name is None}
        return sp.expand(claim0 - _deltas(q.element.xreplace(const))) == 0

    def _zero_based(self, rhs, q, axes):
        names = {}
        for i, a in zip(q.indices, axes, strict=True):
            if a.name is not None:
                if a.name in names:
                    return None
                names[a.name] = i + self.base
        if {s.name for s in rhs.free_symbols if isinstance(s, sp.Symbol)} - set(names) \
                - set(self.ctx.tensors):
            return None

        def fix(e):
            if isinstance(e, sp.Symbol) and e.name in names:
                return names[e.name]
            if isinstance(e, sp.Symbol) and e.name in self.ctx.tensors:
                return sp.Symbol(e.name)
            return e

        out = rhs.replace(lambda e: isinstance(e, sp.Symbol), fix)
        for e in list(out.atoms(sp.Indexed)):
            name = str(e.base.label)
            if name not in q.tensors:
                return None
            shape = q.tensors[name].shape
            idx = list(e.indices)
            if len(idx) != len(shape):
                keep = [k for k, d in enumerate(shape) if d == 1]
                if len(idx) + len(keep) != len(shape):
                    return None
                for k in keep:
                    idx.insert(k, sp.Integer(self.base))
            new = q.tensors[name][tuple(sp.expand(p - self.base) for p in idx)]
            out = out.xreplace({e: new})
        return _deltas(out)

    # whole (matrix) formulas ------------------------------------------------------
    def whole(self) -> Verdict:
        chosen = None
        for seed in SEEDS:
            inst = self.ctx.instance(seed)
            T = self.truth.array(inst)
            ev = Evaluator(self._source(inst), self.base, [], self.rhs)
            row = (1,) + T.shape if T.ndim == 1 and self._scalar_of() else None
            v = ev.run(self.rhs, T.shape if T.ndim == 2 else T.shape + (1,) if T.ndim == 1
                       else None, row)
            for note in sorted(ev.notes):
                self._note(note)
            if ev.findings:
                return self.verdict("incorrect", "; ".join(ev.findings) + ".",
                                    {"finding": ev.findings[0]})
            claimed = v.a.reshape(v.trail) if v.m else v.a.reshape(())
            if claimed.shape == () and T.shape and self.rhs == 0:
                # dv_0[t]/dh[t-1] = 0: the zero tensor of the left side's shape
                claimed = np.zeros(T.shape)
                self._note("0 read as the zero tensor of the left side's shape")
            options = self._arrangements(claimed.shape, T.shape)
            if chosen is not None:
                options = [o for o in options if o[3] == chosen[3]]
            if not options:
                return self.verdict(
                    "incorrect", f"the right side is {_shape_words(claimed.shape)}, "
                    f"{self.truth.latex} is {dims_text(T.shape)} ({inst.about}).",
                    {"claimed shape": dims_text(claimed.shape),
                     "true shape": dims_text(T.shape)})
            match = next((o for o in options
                          if close(claimed.reshape(o[1](T).shape), o[1](T)).all()), None)
            if match is None:
                true = options[0][1](T)
                ok = close(claimed.reshape(true.shape), true)
                flat = int(np.argmax(~ok.ravel()))
                where = np.unravel_index(flat, ok.shape)
                entry = ", ".join(str(int(w) + self.base) for w in where)
                c, t = claimed.ravel()[flat], true.ravel()[flat]
                counter = {"entry": [int(w) + self.base for w in where], "claimed": _num(c),
                           "true": _num(t), "instance": inst.about}
                what = f"entry ({entry}) of the right side" if entry else "the right side"
                return self.verdict("incorrect", f"{what} is "
                                    f"{_num(c):.6g}, the true value is {_num(t):.6g} "
                                    f"({inst.about}).",
                                    counter, self._whole_hint(claimed, T))
            chosen = match
            if time.monotonic() - self.start > BUDGET:
                break
        kind, _, note, _ = chosen
        if kind == "layout":
            return self.verdict("layout", f"the right side has the values of "
                                f"{self.truth.latex} ({dims_text(self.truth.shape)}) with its "
                                f"axes in another order: {note}.")
        if note:
            self._note(note)
        return self.verdict("correct", f"the right side equals {self.truth.latex} "
                            f"({len(SEEDS)} random instances, every entry).")

    def _scalar_of(self) -> bool:
        """A derivative of a scalar (the loss, or a scalar quantity of a model): both
        layouts are accepted, the verdict saying which one the claim used."""
        return self.truth.is_gradient or (self.truth.wrt is not None and not any(
            d != 1 for d in self.truth.of_shape))

    def _arrangements(self, cs: tuple, ts: tuple) -> list:
        """Ways the claimed array can line up with the truth, in order of preference:
        (kind, view of T, note, tag); the tag is the same across instances."""
        grad = self._scalar_of()
        grad_note = "gradient layout (the shape of the parameter)" if grad else ""
        if self.rows:
            grad_note = ""
        numerator = "numerator layout (the transpose of the gradient layout)"
        if grad and len(ts) == 1 and ts[0] != 1 and cs == (1, ts[0]):
            grad_note = f"numerator layout (a 1 x {ts[0]} row, the transpose of the " \
                        f"gradient layout)"
        c_sq = tuple(d for d in cs if d != 1)
        t_sq = tuple(d for d in ts if d != 1)
        dropped = "singleton dimension dropped" if len(t_sq) < len(ts) and cs != ts else ""
        out = []
        if cs == ts or c_sq == t_sq:
            out.append(("correct", lambda T: T.reshape(c_sq), "; ".join(
                n for n in (grad_note, dropped) if n), "same"))
        if int(np.prod(c_sq)) == int(np.prod(t_sq)) and len(c_sq) < len(t_sq) \
                and _is_grouping(c_sq, t_sq):
            out.append(("correct", lambda T: T.reshape(c_sq),
                        f"axes flattened in order ({dims_text(t_sq)} as {dims_text(c_sq)})",
                        "flat"))
        for perm in itertools.permutations(range(len(t_sq))):
            if tuple(t_sq[p] for p in perm) != c_sq or list(perm) == sorted(perm):
                continue
            reverse = list(perm) == sorted(perm, reverse=True)
            if grad and reverse:
                kind, note = "correct", numerator
            else:
                kind = "layout"
                note = ("it is the transpose of numerator layout (denominator layout)"
                        if len(perm) == 2 else
                        f"its axes come in the order ({', '.join(str(p + 1) for p in perm)}) "
                        f"of numerator layout")
            out.append((kind, lambda T, perm=perm: T.reshape(t_sq).transpose(perm), note,
                        ("perm", perm)))
        return out

    def _whole_hint(self, claimed: np.ndarray, T: np.ndarray) -> str | None:
        c = claimed.reshape(-1)
        t = T.reshape(-1)
        if c.size == t.size:
            if np.allclose(c, -t):
                return "the sign is flipped"
        if claimed.ndim == 2 and claimed.shape[0] == claimed.shape[1] and claimed.size == \
                T.size and np.allclose(claimed.T.reshape(T.shape), T):
            return "the right side is the transpose of the true matrix"
        return None


def _deltas(e: sp.Expr) -> sp.Expr:
    """Kronecker deltas in one normal form: delta(i + 1, j + 1) is delta(i - j, 0)."""
    return e.replace(lambda d: isinstance(d, sp.KroneckerDelta),
                     lambda d: sp.KroneckerDelta(sp.expand(d.args[0] - d.args[1]), 0))


def _split_delta(d: sp.KroneckerDelta) -> sp.Expr:
    """delta(i - j + 1, 1) printed as delta(i, j): positive terms against negative ones."""
    terms = sp.Add.make_args(sp.expand(d.args[0] - d.args[1]))
    plus = sp.Add(*[t for t in terms if not t.could_extract_minus_sign()])
    minus = sp.Add(*[-t for t in terms if t.could_extract_minus_sign()])
    return sp.KroneckerDelta(plus, minus)


def _entry(e) -> tuple[str, tuple]:
    """(tensor name, indices) of an entry: W[c, k], or (h[t])_i of a time step."""
    if isinstance(e, sp.Indexed):
        return str(e.base.label), tuple(e.indices)
    head = e.args[0].args[0] if isinstance(e.args[0], AtTime) else e.args[0]
    return str(getattr(head, "name", "")), tuple(e.args[1:])


def _is_jacobian(spec) -> bool:
    """A declared derivative of the model (not a given gradient of the loss)."""
    return not spec.gradient and any(a.lstrip().startswith(r"\frac")
                                     for a in (spec.latex, *spec.aliases))


def _swap_hint(axes: list[Axis], moved: list[Axis]) -> str:
    changed = [(a.name, b.name) for a, b in zip(axes, moved, strict=True) if a.name != b.name]
    if len(changed) == 2:
        return f"it would match with {changed[0][0]} and {changed[1][0]} swapped"
    order = ", ".join(a.name for a in moved if a.name is not None)
    return f"it would match with the indices in the order ({order})"


class _Findings(Exception):
    def __init__(self, items: list[str]) -> None:
        super().__init__("; ".join(items))
        self.items = items


def _is_grouping(claimed: tuple, true: tuple) -> bool:
    if not claimed:
        return not true
    acc = 1
    for k, d in enumerate(true):
        acc *= d
        if acc == claimed[0]:
            return _is_grouping(claimed[1:], true[k + 1:])
        if acc > claimed[0]:
            return False
    return False


def _shape_words(shape: tuple) -> str:
    if not shape:
        return "a single number"
    if len(shape) == 2 and shape[1] == 1:
        return f"a vector of {shape[0]} entries"
    return f"{dims_text(shape)}"


def position_hint(truth: Truth, rhs: sp.Expr, axes: list[Axis], base: int,
                  ctx: Context) -> str | None:
    """Where the claim reads a tensor at another position than the derived formula, e.g.
    'x is read at 2 k - 1 + m on axis 2, the derived formula reads 2 k + m - 2'."""
    q = truth.quantity
    if q is None or len(q.indices) != len(axes):
        return None
    written = shift_base(q.element, q.indices, base)
    rename = {}
    for i, a in zip(q.indices, axes, strict=True):
        rename[i] = sp.Symbol(a.name, integer=True) if a.name else sp.Integer(a.const + base)
    written = written.xreplace(rename)

    def accesses(e) -> dict:
        out: dict = {}
        for node in e.atoms(sp.Indexed):
            name = str(node.base.label)
            shape = ctx.tensors[name].shape if name in ctx.tensors else None
            idx = list(node.indices)
            if shape is not None and len(idx) < len(shape):
                keep = [k for k, d in enumerate(shape) if d != 1]
                if len(keep) == len(idx):
                    full = [sp.Integer(base)] * len(shape)
                    for k, v in zip(keep, idx, strict=True):
                        full[k] = v
                    idx = full
            out.setdefault(name, []).append(tuple(idx))
        return out

    mine, theirs = accesses(rhs), accesses(written)
    claim_bound = {v.name for s in rhs.atoms(sp.Sum) for v, *_ in s.limits}
    true_bound = {v for s in written.atoms(sp.Sum) for v, *_ in s.limits}
    mapping: dict = {}
    for name in mine.keys() & theirs.keys():
        if len(mine[name]) == len(theirs[name]) == 1:
            for c, t in zip(mine[name][0], theirs[name][0]):
                if isinstance(c, sp.Symbol) and c.name in claim_bound and t in true_bound:
                    mapping[t] = c
    for name in sorted(mine.keys() & theirs.keys()):
        if len(mine[name]) != 1 or len(theirs[name]) != 1:
            continue
        c_idx, t_idx = mine[name][0], theirs[name][0]
        if len(c_idx) != len(t_idx):
            continue
        for k, (c, t) in enumerate(zip(c_idx, t_idx, strict=True)):
            t = as_expr(t).xreplace(mapping)
            t = t.xreplace({s: sp.Symbol(s.name, integer=True) for s in t.free_symbols})
            c = as_expr(c).xreplace({s: sp.Symbol(s.name, integer=True)
                                        for s in as_expr(c).free_symbols})
            diff = sp.expand(c - t)
            if diff != 0:
                label = ctx.tensors[name].latex if name in ctx.tensors else name
                off = " (off by one)" if diff in (1, -1) else ""
                return (f"{label} is read at position {_plain(c)} on axis {k + base}, the "
                        f"derived formula reads {_plain(t)}{off}")
    return None


def _plain(e: sp.Expr) -> str:
    return sp.sstr(e).replace("*", " ")
