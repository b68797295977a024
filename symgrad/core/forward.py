"""The forward pass of a model: every definition evaluated on concrete arrays, in
definition order, vectorised (``core.evaluate``)."""

from __future__ import annotations

import numpy as np

from .definitions import Graph
from .errors import ShapeError
from .evaluate import element_plan, evaluate_element
from .shapes import dims_text
from .tensor import as_expr


class Forward(Graph):
    """Numeric evaluation of a model's definitions."""

    def forward(self, arrays: dict, sizes: dict, only: set[str] | None = None) -> dict:
        """Every defined tensor (or those in ``only``) from the given arrays, in definition
        order (vectorised)."""
        env = dict(arrays)
        plan = self._forward_plan(frozenset(arrays), sizes, only)
        if plan is not None:
            for name, run in plan:
                env[name] = run(self._stable(name, env))
            return env
        subs = {k: as_expr(v) for k, v in sizes.items()}
        for name, d in self.definitions.items():
            if only is not None and name not in only:
                continue
            dims = [n.xreplace(subs) for n in d.tensor.shape]
            if any(not n.is_Integer for n in dims):
                raise ShapeError(f"the size of {d.tensor.latex} ({dims_text(dims)}) is not "
                                 f"known; pass the sizes by name to evaluate()")
            env[name] = evaluate_element(d.expr, d.indices, [int(n) for n in dims],
                                         self._stable(name, env), sizes)
        return env

    def _stable(self, name: str, env: dict) -> dict:
        """The arrays a definition reads; a softargmax reads its argument less its maximum
        along the last axis (the same value, without overflow)."""
        d = self.definitions[name]
        if d.op != "softargmax":
            return env
        (arg,) = self.reads(name)
        if arg not in env:
            return env
        z = np.asarray(env[arg], dtype=float)
        return {**env, arg: z - np.max(z, axis=-1, keepdims=True)} if z.size else env

    def _forward_plan(self, given: frozenset, sizes: dict, only: set[str] | None):
        """The compiled steps of ``forward`` for these array names and sizes, made once
        (a sequence pass runs the same definitions at every step); None when a size or an
        array is missing, where ``forward`` says which."""
        try:
            key = (given, tuple(sorted((str(k), int(v)) for k, v in sizes.items())),
                   None if only is None else frozenset(only), len(self.definitions))
        except (TypeError, ValueError):
            return None
        plans = self.__dict__.setdefault("_plans", {})
        if key in plans:
            return plans[key]
        subs = {k: as_expr(v) for k, v in sizes.items()}
        available, steps = set(given), []
        for name, d in self.definitions.items():
            if only is not None and name not in only:
                continue
            dims = [n.xreplace(subs) for n in d.tensor.shape]
            run = None if any(not n.is_Integer for n in dims) else element_plan(
                d.expr, d.indices, [int(n) for n in dims], frozenset(available), sizes)
            if run is None:
                plans[key] = None
                return None
            steps.append((name, run))
            available.add(name)
        plans[key] = steps
        return steps
