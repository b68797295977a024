"""A checker context for any model without time steps: every tensor it declares or
defines, random instances from a forward pass, and the truth of every derivative a claim's
left side can name (``d z_2/d z_1``, ``d ell/d W^{(1)}``), derived by the engine on demand.
Used by problem sets written as data, so a question needs no Python of its own."""

from __future__ import annotations

import numpy as np
import sympy as sp

from ..core.errors import UnknownNameError
from ..core.model import Model
from ..core.tensor import as_expr
from ..verify.context import LOSS, Context, Instance, TensorSpec, Truth, quantity_truth

__all__ = ["model_context"]

_SIZES = (3, 2, 4)


def _size_symbols(model: Model) -> dict[str, sp.Symbol]:
    out: dict[str, sp.Symbol] = {}
    for t in model.tensors.values():
        for d in t.shape:
            out.update({s.name: s for s in as_expr(d).free_symbols})
    return dict(sorted(out.items()))


def _loss(model: Model) -> str | None:
    """The model's scalar loss: its last scalar definition, when it is spelled as one."""
    scalars = [n for n, d in model.definitions.items() if not d.tensor.shape]
    if scalars and model.tensors[scalars[-1]].latex in LOSS:
        return scalars[-1]
    return None


def model_context(model: Model, qid: str, title: str,
                  default: tuple[str, str | None] | None) -> Context:
    """The context of a question about ``model`` (a model without time steps)."""
    if model.lags:
        raise UnknownNameError(f"question {qid}: a model with time steps is checked through "
                               f"its quantity, not a model context")
    syms = _size_symbols(model)
    loss = _loss(model)
    specs = [TensorSpec(n, tuple(t.shape), t.latex, (t.name,) if t.name != t.latex else ())
             for n, t in model.tensors.items() if n != loss]
    if default is not None and default[0] == loss:
        default = ("loss", default[1])

    def instance(seed: int) -> Instance:
        rng = np.random.default_rng(1000 + seed)
        sizes = {name: _SIZES[(seed + k) % len(_SIZES)] for k, name in enumerate(syms)}
        bound = {syms[k]: v for k, v in sizes.items()}
        given = {}
        for n, t in model.tensors.items():
            if n in model.definitions:
                continue
            shape = tuple(int(as_expr(d).xreplace(bound)) for d in t.shape)
            given[n] = rng.normal(scale=0.8, size=shape)
        arrays = model.forward(given, bound)
        arrays = {k: np.asarray(v, dtype=float) for k, v in arrays.items()}
        about = f"random inputs (seed {seed})" + (
            f", sizes {', '.join(f'{k}={v}' for k, v in sizes.items())}" if sizes else "")
        return Instance(sizes, arrays, {}, 0, about)

    def value_truth(name: str) -> Truth:
        t = model.tensors[name]
        return Truth(name, None, tuple(t.shape), (), t.latex,
                     lambda inst: inst.arrays[name])

    def derive(of: str, wrt: str | None) -> Truth:
        name = loss if of == "loss" else of
        if name is None or name not in model.tensors or (wrt is not None
                                                         and wrt not in model.tensors):
            raise UnknownNameError(
                f"question {qid} has no quantity "
                f"{of if wrt is None else f'd {of} / d {wrt}'}; the model's tensors are "
                f"{', '.join(t.latex for t in model.tensors.values())}")
        if wrt is None:
            return value_truth(name)
        if of == "loss":
            q = model.grad(wrt, of=name)
        else:
            q = model.jacobian(name, wrt)

        def inputs(inst: Instance) -> dict:
            return {n: inst.arrays[n] for n in q.inputs}

        return quantity_truth(q, of, wrt, tuple(model.tensors[name].shape),
                              tuple(model.tensors[wrt].shape), inputs=inputs)

    return Context(qid, title, specs, instance, {}, default, scalars=syms, derive=derive)
