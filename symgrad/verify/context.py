"""A question's context: its tensors, sizes, random instances and the truth of each
quantity a claim's left side can name."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import sympy as sp

from ..core.errors import UnknownNameError
from ..core.quantity import Quantity
from .numeric import Source
from .printing import printed

LOSS = (r"\ell", "l", "L", r"\mathcal{L}")


@dataclass(frozen=True)
class TensorSpec:
    """A tensor of a question: shape (ints or size symbols), LaTeX name and aliases.
    ``family``: the first axis numbers slots from ``base`` (``v_i[t]`` is slot i, a
    vector); ``gradient``: a given gradient of the loss (a row in numerator layout);
    ``padded``: read as 0 outside its entries; ``zero_outside``: 0 outside by the question's
    definition (a kernel), so a claim right when it is read so is correct, saying so."""

    name: str
    shape: tuple
    latex: str
    aliases: tuple[str, ...] = ()
    about: str = ""
    padded: bool = False
    zero_outside: bool = False
    base: int | None = None
    family: bool = False
    gradient: bool = False


class LazyArrays(dict):
    """An instance's arrays, some made on first read (a Jacobian that only a claim naming
    it needs): ``LazyArrays(arrays, {name: (shape, make)})``. ``in``, ``get`` and ``[]``
    see the lazy ones; ``shape_of`` answers without making them."""

    def __init__(self, arrays: Mapping[str, np.ndarray],
                 lazy: Mapping[str, tuple[tuple, Callable[[], np.ndarray]]]) -> None:
        super().__init__(arrays)
        self._lazy = dict(lazy)

    def __missing__(self, name: str) -> np.ndarray:
        if name not in self._lazy:
            raise KeyError(name)
        _, make = self._lazy.pop(name)
        value = self[name] = make()
        return value

    def __contains__(self, name: object) -> bool:
        return dict.__contains__(self, name) or name in self._lazy

    def get(self, name: str, default=None):
        return self[name] if name in self else default

    def shape_of(self, name: str) -> tuple:
        if not dict.__contains__(self, name) and name in self._lazy:
            return tuple(self._lazy[name][0])
        return tuple(np.shape(self[name]))


@dataclass
class Instance:
    """Concrete sizes and arrays (every input, parameter and intermediate); ``series``
    holds time-stacked arrays (row r is step r + 1) for sums over time."""

    sizes: dict[str, int]
    arrays: dict[str, np.ndarray]
    series: dict[str, np.ndarray] = field(default_factory=dict)
    now: int = 0
    about: str = ""


@dataclass
class Truth:
    """The true value of what a left side names: ``of`` (a tensor or "loss") differentiated
    with respect to ``wrt``; shape of_shape + wrt_shape; ``value`` gives the array."""

    of: str
    wrt: str | None
    of_shape: tuple
    wrt_shape: tuple
    latex: str
    value: Callable[[Instance], np.ndarray] | None = None
    quantity: Quantity | None = None
    labels: tuple[str, ...] = ()
    display: tuple[str, ...] = ()

    _arrays: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def shape(self) -> tuple:
        return tuple(self.of_shape) + tuple(self.wrt_shape)

    def array(self, inst: Instance) -> np.ndarray:
        """The true array on one instance (computed once per instance)."""
        key = id(inst)
        if key not in self._arrays or self._arrays[key][0] is not inst:
            self._arrays[key] = (inst, np.asarray(self.value(inst), dtype=float))
        return self._arrays[key][1]

    @property
    def is_gradient(self) -> bool:
        return self.of == "loss"


@dataclass(frozen=True)
class Grid:
    """Small integer values of a closed form's parameters, with its validity condition."""

    ranges: Mapping[str, Sequence[int]]
    valid: Callable[[Mapping[str, np.ndarray]], np.ndarray]
    condition: str

    def points(self) -> dict[str, np.ndarray]:
        """Every valid combination, ordered so the first failing one is the smallest."""
        names = list(self.ranges)
        mesh = np.meshgrid(*[np.asarray(self.ranges[n]) for n in names], indexing="ij")
        flat = {n: m.ravel() for n, m in zip(names, mesh, strict=True)}
        keep = self.valid(flat)
        flat = {n: v[keep] for n, v in flat.items()}
        distance = sum(flat[n] - min(self.ranges[n]) for n in names)
        order = np.lexsort([flat[n] for n in reversed(names)] + [distance])
        return {n: v[order] for n, v in flat.items()}


Key = tuple[str, str | None]


class Context:
    """Everything the checker needs about one question."""

    def __init__(self, qid: str, title: str, tensors: Sequence[TensorSpec],
                 instance: Callable[[int], Instance], truths: Mapping[Key, Callable[[], Truth]],
                 default: Key | None = None, scalars: Mapping[str, sp.Symbol] | None = None,
                 about: Mapping[object, str] | None = None, loss: Sequence[str] = LOSS,
                 index_base: int = 1, derive: Callable[[str, str | None], Truth] | None = None,
                 grid: Grid | None = None, fixed: Mapping[str, int] | None = None,
                 time: str | None = None, zero_before: Sequence[str] = (),
                 system: Callable | None = None,
                 readings: Callable[[sp.Expr], list[tuple[dict, str]]] | None = None
                 ) -> None:
        self.qid = qid
        self.title = title
        self.tensors = {t.name: t for t in tensors}
        self._make = instance
        self._instances: dict[int, Instance] = {}
        self._truths = dict(truths)
        self._cache: dict[Key, Truth] = {}
        self.default = default
        self.scalars = dict(scalars or {})
        self.about = dict(about or {})
        self.loss = tuple(loss)
        self.index_base = index_base
        self.derive = derive
        self.grid = grid
        self.fixed = dict(fixed or {})
        self.time = time
        self.zero_before = frozenset(zero_before)
        self.system = system
        self.readings = readings  # rhs -> [(xreplace mapping, note)]: the meanings to judge

    def __repr__(self) -> str:
        return f"<Context {self.qid}: {', '.join(self.tensors)}>"

    def instance(self, seed: int) -> Instance:
        """The random instance of a seed (made once, then reused)."""
        if seed not in self._instances:
            self._instances[seed] = self._make(seed)
        return self._instances[seed]

    def declarations(self):
        """The parser's declarations: tensors with aliases, sizes and loss spellings."""
        from ..notation import Declarations, TensorDecl

        decls = tuple(TensorDecl(t.name, tuple(t.shape), tuple(dict.fromkeys(
            (t.latex, *t.aliases))), t.base) for t in self.tensors.values())
        return Declarations(decls, tuple(self.scalars), self.loss)

    def known(self) -> str:
        names = [t.latex for t in self.tensors.values()] + list(self.scalars)
        return ", ".join(names)

    def answers_for(self, of: str, wrt: str | None = None) -> bool:
        """Whether a left side naming ``of`` (by ``wrt``) has a truth of its own here (one
        of the context's quantities, or one it derives on demand)."""
        return (of, wrt) in self._truths or self.derive is not None

    def truth(self, of: str | None, wrt: str | None = None) -> Truth:
        """The truth for a left side: the default quantity when ``of`` is None."""
        key = self.default if of is None else (of, wrt)
        if key is None:
            raise UnknownNameError(f"question {self.qid} needs the claim to name its "
                                   f"subject; known: {self.known()}")
        if key not in self._cache:
            if key in self._truths:
                self._cache[key] = self._truths[key]()
            elif self.derive is not None:
                self._cache[key] = self.derive(*key)
            else:
                raise UnknownNameError(self._unknown(key))
        return self._cache[key]

    def _unknown(self, key: Key) -> str:
        of, wrt = key
        what = of if wrt is None else f"d {of} / d {wrt}"
        keys = [k[0] if k[1] is None else f"d {k[0]}/d {k[1]}" for k in self._truths]
        return (f"question {self.qid} has no quantity {what}; it knows "
                f"{', '.join(keys)} (tensors: {self.known()})")

    def source(self, inst: Instance) -> Source:
        """The arrays a claim's right side reads, for one instance."""
        arrays = inst.arrays
        shapes = {name: (arrays.shape_of(name) if isinstance(arrays, LazyArrays)
                         else tuple(np.shape(arrays[name])))
                  for name in self.tensors if name in arrays}
        return Source(arrays=inst.arrays, sizes=dict(inst.sizes), shapes=shapes,
                      latex={t.name: t.latex for t in self.tensors.values()},
                      series=inst.series, zero_before=self.zero_before,
                      padded=frozenset(t.name for t in self.tensors.values() if t.padded),
                      zero_outside=frozenset(t.name for t in self.tensors.values()
                                             if t.zero_outside),
                      bases={t.name: t.base for t in self.tensors.values() if t.base is not None},
                      singles={t.name: singles(t.shape) for t in self.tensors.values()},
                      time=self.time, now=inst.now, show=lambda e: printed(e, self),
                      families=frozenset(t.name for t in self.tensors.values() if t.family))


def as_expr(value) -> sp.Expr:
    """A size or index as a SymPy expression (ints become Integers; never text)."""
    if isinstance(value, bool) or not isinstance(value, int | sp.Basic):
        raise TypeError(f"expected an int or a SymPy expression, got {value!r}")
    return sp.Integer(value) if isinstance(value, int) else value


def singles(shape) -> tuple[int, ...]:
    """Axes of a declared shape that are 1 for every instance (droppable singletons)."""
    return tuple(k for k, d in enumerate(shape) if as_expr(d) == 1)


def quantity_truth(q: Quantity, of: str, wrt: str | None, of_shape: tuple, wrt_shape: tuple,
                   inputs: Callable[[Instance], dict] | None = None,
                   labels: tuple[str, ...] = ()) -> Truth:
    """A Truth whose values come from a Quantity of the library."""
    free = q._free_sizes()

    def value(inst: Instance) -> np.ndarray:
        arrays = inputs(inst) if inputs else {n: inst.arrays[n] for n in q.inputs}
        extra = {n: inst.sizes[n] for n in free if n in inst.sizes}
        return np.asarray(q.evaluate(arrays, **extra), dtype=float)

    latex = q.lhs_latex(indexed=False)
    return Truth(of, wrt, tuple(of_shape), tuple(wrt_shape), latex, value, q, labels)
