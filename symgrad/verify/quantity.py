"""A checker context around one Quantity of the library (for ``Quantity.check``)."""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import sympy as sp

from ..core.errors import ShapeError
from ..core.quantity import Quantity
from ..core.tensor import Tensor
from ..core.unroll import Sequence
from .context import Context, Instance, TensorSpec, as_expr, quantity_truth

_TRIES = 200


def _key(q: Quantity) -> tuple[str, str | None]:
    num, den = q.lhs
    of = num.name if isinstance(num, Tensor) else ("loss" if isinstance(num, str) else None)
    wrt = den.name if isinstance(den, Tensor) else None
    return of or "value", wrt


def _dims(shape, subs: dict) -> tuple:
    out = []
    for d in shape:
        d = as_expr(d).xreplace(subs)
        out.append(int(d) if d.is_Integer else d)
    return tuple(out)


def _pick_sizes(q: Quantity, seed: int) -> dict[str, int]:
    """Small values of the quantity's free sizes for which every shape is positive, and
    every dimension that depends on them is at least 2 (so no axis becomes a singleton)."""
    free = q._free_sizes()
    if not free:
        return {}
    rng = np.random.default_rng(seed)
    sized = {k: as_expr(v) for k, v in q.sizes.items()}
    dims = [as_expr(d).xreplace(sized) for t in q.tensors.values() for d in t.shape]
    dims += [as_expr(d).xreplace(sized) for d in q._shape]
    # sizes of a cell's own (p: the states that exist at a step) are not the quantity's
    dims = [d for d in dims if d.free_symbols <= set(free.values())]
    for _ in range(_TRIES):
        values = {}
        for name, sym in free.items():
            low = 0 if sym.is_nonnegative and not sym.is_positive else 1
            values[name] = int(rng.integers(low, 3 if low == 0 else 9))
        subs = {sym: sp.Integer(values[name]) for name, sym in free.items()}
        if all(_fits(d, subs) for d in dims):
            return values
    raise ShapeError(f"no small sizes fit {q.name}; check it on concrete sizes")


def _fits(d: sp.Expr, subs: dict) -> bool:
    v = d.xreplace(subs)
    if not v.is_Integer:
        return False
    return int(v) >= (1 if d.is_number else 2)


def _expression(num) -> bool:
    """A left side written as an expression (``(dh[t]/dh[t-1])^T delta[t]``), not a loss."""
    return isinstance(num, str) and not num.lstrip().startswith(r"\frac") and " " in num.strip()


def _retried(q: Quantity, build) -> Callable[[int], Instance]:
    """Random instances from ``build(seed, sizes, attempt)``; sizes the quantity refuses (T
    past the sequence) and inputs where it is not finite (sqrt(v + eps) at eps < -v) are
    drawn again, so an instance depends only on its seed."""

    def instance(seed: int) -> Instance:
        for attempt in range(_TRIES):
            try:
                return build(seed, _pick_sizes(q, seed + 1000 * attempt), attempt)
            except ShapeError:
                if attempt == _TRIES - 1:
                    raise
        raise ShapeError(f"no small sizes fit {q.name}; check it on concrete sizes")

    return instance


def _random_inputs(q: Quantity, subs: dict, seed: int, sizes: dict, attempt: int
                   ) -> tuple[dict, dict, dict]:
    """Random inputs of ``q`` at ``sizes``: (given, every size bound, the prepared arrays);
    a ShapeError where ``q`` is not finite, so that other inputs are drawn."""
    bound = {sym: sp.Integer(sizes[name]) for name, sym in q._free_sizes().items()}
    rng = np.random.default_rng((100 + seed, attempt) if attempt else 100 + seed)
    given = {name: rng.normal(scale=0.8, size=tuple(
        int(d) for d in _dims(t.shape, {**subs, **bound}))) for name, t in q.inputs.items()}
    full = q.bind_sizes(given, sizes)
    env = q.prepare(dict(given), full) if q.prepare else dict(given)
    if not np.all(np.isfinite(q.value_in(env, full))):
        raise ShapeError(f"{q.name} is not finite at these inputs")
    return given, full, env


def quantity_context(q: Quantity) -> Context:
    """Tensors from ``q.tensors`` (aliases from their LaTeX), random instances of its inputs
    with small values for symbolic sizes, and ``q`` itself as the truth."""
    if getattr(q, "series", None):
        return _series_context(q)
    chain = _chain(q)
    if chain is not None:
        return _chain_context(q, *chain)
    subs = {k: as_expr(v) for k, v in q.sizes.items()}
    timed = set(getattr(q, "timed", {}) or {}) if getattr(q, "time", None) is not None else set()
    specs = []
    for t in q.tensors.values():
        shape = _dims(t.shape, subs)
        if t.name in timed:
            shape = shape[1:]
        aliases = tuple(a for a in (t.latex, t.name) if " " not in a or a.startswith(r"\frac"))
        specs.append(TensorSpec(t.name, shape, t.latex, aliases))
    num, _ = q.lhs
    if _expression(num):
        # a left side written as an expression (the product (dh[t]/dh[t-1])^T delta[t]):
        # the claim names this quantity by writing the same expression
        specs.append(TensorSpec("loss", _dims(q._shape, subs), num, (num,)))
    fixed = {s.name: int(v) for s, v in q.sizes.items()
             if isinstance(s, sp.Symbol) and as_expr(v).is_Integer}
    scalars = {s.name: s for s in q.sizes if isinstance(s, sp.Symbol)}
    scalars.update(q._free_sizes())
    of, wrt = _key(q)
    num, den = q.lhs
    of_shape = _dims(num.shape, subs) if isinstance(num, Tensor) else ()
    wrt_shape = _dims(den.shape, subs) if isinstance(den, Tensor) else ()
    if not isinstance(num, Tensor | str) or _expression(num):
        of_shape = _dims(q._shape, subs)

    def build(seed: int, sizes: dict, attempt: int) -> Instance:
        given, _, env = _random_inputs(q, subs, seed, sizes, attempt)
        series = {n: np.asarray(env[n]) for n in timed if n in env}
        arrays = {**given, **env}  # the inputs as given, then everything prepared from them
        for n, s in series.items():
            arrays[n] = s[-1]
        now = next(iter(series.values())).shape[0] - 1 if series else 0
        about = f"random inputs (seed {seed})" + (
            f", sizes {', '.join(f'{k}={v}' for k, v in sizes.items())}" if sizes else "")
        return Instance({**fixed, **sizes}, arrays, series, now, about)

    def inputs(inst: Instance) -> dict:
        return {n: (inst.series[n] if n in inst.series else inst.arrays[n]) for n in q.inputs}

    truth = quantity_truth(q, of, wrt, of_shape, wrt_shape, inputs=inputs)
    key = (of, wrt)
    return Context(q.name, q.name, specs, _retried(q, build), {key: lambda: truth}, key,
                   scalars=scalars, time="t" if timed else None,
                   zero_before=("h",) if "h" in timed else ())


# chains of one-step Jacobians ---------------------------------------------------------------
_NOW = re.compile(r"\[t\]$")
_BEFORE = re.compile(r"\[t-1\]$")


def _chain(q: Quantity) -> tuple | None:
    """(model, state, link, k) for the total Jacobian d s[t] / d s[t-k] of a model with one
    state read at t - 1 (a chain quantity, printed as a product of one-step Jacobians
    d s[t] / d s[t-1] defined after `where`); None for any other quantity."""
    model = getattr(q, "model", None)
    if model is None or getattr(q, "inits", None) is None or "D_total" not in q.tensors:
        return None
    lags = dict(getattr(model, "lags", {}) or {})
    if len(lags) != 1:
        return None
    (link, (state, lag)), = lags.items()
    num, den = q.lhs
    if lag != 1 or not isinstance(num, Tensor) or not isinstance(den, Tensor):
        return None
    s_latex, l_latex = model.tensors[state].latex, model.tensors[link].latex
    found = re.fullmatch(r"(.*)\[t-(\d+)\]", den.latex)
    if (not _NOW.search(s_latex) or not _BEFORE.search(l_latex) or found is None
            or num.latex != s_latex or found.group(1) != _NOW.sub("", s_latex)):
        return None
    return model, state, link, int(found.group(2))


def _step_latex(latex: str, shift: int) -> str:
    """``h[t]`` at t - shift (``h[t-2]``)."""
    return _NOW.sub(f"[t-{shift}]" if shift else "[t]", latex)


def _chain_context(q: Quantity, model, state: str, link: str, k: int) -> Context:
    """The context of d s[t] / d s[t-k]: the model's tensors as series over the steps of a
    random sequence (x[t], c[t], h[t-1], ...), the one-step Jacobian d s[t] / d s[t-1] as
    a series (what the definition after `where` names) and, read at the last step t,
    d s[t-r] / d s[t-r-1] for r = 1..k-1 (the shifted factors of the product)."""
    subs = {kk: as_expr(v) for kk, v in q.sizes.items()}
    kinds = model.kinds
    step_names = [n for n in model.tensors if kinds.get(n) != "param"]
    state_latex = model.tensors[state].latex
    one_step = model.jacobian(state, link)
    jac = "J_step"
    while jac in q.tensors or jac in model.tensors:
        jac = "_" + jac
    shape = _dims(model.tensors[state].shape + model.tensors[link].shape, subs)

    def frac(r: int) -> str:
        return (rf"\frac{{\partial {_step_latex(state_latex, r)}}}"
                rf"{{\partial {_step_latex(state_latex, r + 1)}}}")

    # the left side's s[t] and s[t-k] first, so that the derivative names the quantity;
    # s[t] is the state at each step, s[t-k] the state k steps before the last
    num, den = q.lhs
    specs = []
    for name, t in [*((n, q.tensors[n]) for n in (num.name, den.name)),
                    *model.tensors.items(),
                    *((n, t) for n, t in q.tensors.items()
                      if n not in model.tensors and n not in (num.name, den.name))]:
        specs.append(TensorSpec(name, _dims(t.shape, subs), t.latex,
                                tuple(a for a in (t.latex, name) if " " not in a)))
    # s[t-2], ..., s[t-k+1]: the states between (each factor names its two steps)
    between = {f"_{state}_{r}": r for r in range(2, k)}
    for name, r in between.items():
        latex = _step_latex(state_latex, r)
        specs.append(TensorSpec(name, _dims(model.tensors[state].shape, subs), latex,
                                (latex,)))
    specs.append(TensorSpec(jac, shape, frac(0), (frac(0),)))
    shifted = {f"{jac}_{r}": r for r in range(1, k)}
    for name, r in shifted.items():
        specs.append(TensorSpec(name, shape, frac(r), (frac(r),)))
    fixed = {s.name: int(v) for s, v in q.sizes.items()
             if isinstance(s, sp.Symbol) and as_expr(v).is_Integer}
    scalars = {s.name: s for s in q.sizes if isinstance(s, sp.Symbol)}
    scalars.update(q._free_sizes())
    stacked = [n for n in q.inputs if n in model.tensors and kinds.get(n) != "param"]
    init = next(n for n in q.inputs if n not in model.tensors)

    def build(seed: int, sizes: dict, attempt: int) -> Instance:
        given, full, env = _random_inputs(q, subs, seed, sizes, attempt)
        steps = given[stacked[0]].shape[0] if stacked else 0
        run = Sequence(model, given, full, steps, inits={state: given[init]})
        series = {n: run.stacked(n) for n in step_names}
        series[jac] = np.array([one_step.evaluate({n: run.envs[t][n] for n in one_step.inputs})
                                for t in range(1, steps + 1)])
        series[num.name] = series[state]
        arrays = {**given, **env}
        arrays[den.name] = series[state][steps - 1 - k] if steps > k else given[init]
        for n, v in series.items():
            arrays[n] = v[-1]
        for n, r in shifted.items():
            arrays[n] = series[jac][steps - 1 - r]
        for n, r in between.items():
            arrays[n] = series[state][steps - 1 - r] if steps > r else given[init]
        about = f"a random sequence (seed {seed})" + (
            f", sizes {', '.join(f'{kk}={v}' for kk, v in sizes.items())}" if sizes else "")
        return Instance({**fixed, **sizes}, arrays, series, steps - 1, about)

    def inputs(inst: Instance) -> dict:
        return {n: inst.series[n] if n in stacked else inst.arrays[n] for n in q.inputs}

    of, wrt = _key(q)
    truth = quantity_truth(q, of, wrt, _dims(num.shape, subs), _dims(den.shape, subs),
                           inputs=inputs)
    key = (of, wrt)
    return Context(q.name, q.name, specs, _retried(q, build), {key: lambda: truth}, key,
                   scalars=scalars, time="t")


# recursions over series ----------------------------------------------------------------
def _series_context(q: Quantity) -> Context:
    r"""The context of a quantity printed as a recursion over series that its ``prepare``
    computes (``q.series``: name -> one step of the tensor, the key of its values stacked
    over the steps 1..L, the first lag of a family over lags, zero before step 1), e.g.
    AttentionRNN's total Jacobian ``D[\tau] = \sum_i \frac{\partial h[\tau]}{\partial
    h[\tau-i]} D[\tau-i]``: those tensors as series over the steps of a random sequence
    (read at the last step t when written without a step), the left side's tensors (its
    s[t-k] at step L - k) and the parameters as they are."""
    subs = {k: as_expr(v) for k, v in q.sizes.items()}
    series = dict(q.series)
    num, den = q.lhs
    specs = []
    for name, t in [*((n, q.tensors[n]) for n in (num.name, den.name) if n not in series),
                    *((n, s.tensor) for n, s in series.items()),
                    *((n, t) for n, t in q.inputs.items() if n not in series)]:
        s = series.get(name)
        base = s.base if s is not None else None
        specs.append(TensorSpec(name, _dims(t.shape, subs), t.latex, (t.latex,),
                                base=base, family=base is not None))
    fixed = {s.name: int(v) for s, v in q.sizes.items()
             if isinstance(s, sp.Symbol) and as_expr(v).is_Integer}
    scalars = {s.name: s for s in q.sizes if isinstance(s, sp.Symbol)}
    scalars.update(q._free_sizes())

    def build(seed: int, sizes: dict, attempt: int) -> Instance:
        given, _, env = _random_inputs(q, subs, seed, sizes, attempt)
        stacked = {n: np.asarray(env[s.values], dtype=float) for n, s in series.items()}
        steps = next(iter(stacked.values())).shape[0]
        arrays = {**given, **env}
        for n, v in stacked.items():
            arrays[n] = v[-1]
        about = f"a random sequence (seed {seed})" + (
            f", sizes {', '.join(f'{k}={v}' for k, v in sizes.items())}" if sizes else "")
        return Instance({**fixed, **sizes}, arrays, stacked, steps - 1, about)

    def inputs(inst: Instance) -> dict:
        return {n: inst.series[n] if n in series else inst.arrays[n] for n in q.inputs}

    retried = _retried(q, build)
    free = q._free_sizes()
    length = next((str(q.inputs[n].shape[0]) for n in series if n in q.inputs), None)

    def instance(seed: int) -> Instance:
        """Seed 0 is the shortest sequence the quantity takes: the first steps of a
        recursion (t - k = 1) are where a wrong sum or start shows."""
        if seed == 0 and length in free:
            sizes = _pick_sizes(q, seed)
            for steps in range(1, _TRIES):
                try:
                    return build(seed, {**sizes, length: steps}, 0)
                except ShapeError:
                    continue
        return retried(seed)

    of, wrt = _key(q)
    truth = quantity_truth(q, of, wrt, _dims(num.shape, subs), _dims(den.shape, subs),
                           inputs=inputs)
    key = (of, wrt)
    return Context(q.name, q.name, specs, instance, {key: lambda: truth}, key,
                   scalars=scalars, time="t",
                   zero_before=tuple(n for n, s in series.items() if s.zero_before))
