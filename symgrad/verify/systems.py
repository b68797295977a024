"""A claimed system of equations judged against a reference model with recurrences.

The claim is read as a recurrence: whole definitions (``z[t] = ...``), families defined
slot by slot (``u_0[t] = ...``, ``u_i[t] = ...`` for every slot, ``u_{t-1}[t]``, ellipses
between written slots filled in), ranges that limit a rule's letter. Which weight each
slot reads and the window (the last slot a state's sum reaches) are read off the rules,
so a question's reference can say what is structurally wrong before anything runs. Then
the system and the reference (a ``core.Model``, run by ``core.unroll.Sequence``) are
simulated on the same random inputs and parameters, and their states compared step by
step.

Nothing here knows a particular model: the question's context gives a ``Reference``
(the model, the instances to run, how a claimed weight reads the model's parameters,
its structural findings and the words of its verdicts).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import sympy as sp

from ..core.model import Model
from ..core.ops import AtTime, Hadamard, Stack, Transposed, op_of
from ..core.unroll import Sequence
from .context import as_expr
from .numeric import ELEMENTWISE
from .verdict import Verdict

DOTS = "..."
TIME = "t"  # the step, as every write-up and context names it (u[t], s[t-1])


SLOT = sp.Symbol("slot", integer=True)


class SystemProblem(Exception):
    """The system is wrong in a way that can be said (incorrect)."""


class SystemUnreadable(SystemProblem):
    """A part of the system the checker cannot interpret (unparsed, naming it)."""

    def __init__(self, message: str, construct: str) -> None:
        super().__init__(message)
        self.construct = construct


@dataclass
class Rule:
    """``family_slot[t] = rhs``: for one slot, for every slot (``var`` is the slot), for
    the slot ``at`` (written with t and size letters, e.g. u_{t-1}[t]) or, filled in for
    an ellipsis, for the slots strictly ``between`` two others (``var`` is the slot)."""

    slot: int | None
    var: str | None
    rhs: sp.Expr
    at: sp.Expr | None = None
    between: tuple | None = None


@dataclass
class Claimed:
    """The equations of a claimed system, by what they define. ``declared`` are the
    reference's inputs and states (those the system defines whole are its states),
    ``sizes`` the size letters a slot or a range may be written with (besides t)."""

    rules: dict[str, list[Rule]] = field(default_factory=dict)
    whole: dict[str, sp.Expr] = field(default_factory=dict)
    ranges: dict[str, tuple] = field(default_factory=dict)
    declared: frozenset[str] = frozenset()
    sizes: frozenset[str] = frozenset()

    @classmethod
    def read(cls, equations, declared: set[str], ranges=(), *, states=(), sizes=()
             ) -> Claimed:
        """The rules of a system; ``ranges`` are qualifiers (symbol, lo, hi) such as
        `\\text{for } i = 1, \\dots, k` that limit the rules written with that letter;
        each of ``states`` must be defined."""
        out = cls(declared=frozenset(declared), sizes=frozenset(sizes))
        letters = {TIME, *sizes}
        for item in ranges:
            bounds = tuple(item[1:]) if isinstance(item, tuple) and len(item) == 3 else ()
            bounds = tuple(sp.Integer(b) if isinstance(b, int) else sp.oo if b is None else b
                           for b in bounds)  # `\\forall i \\ge 1`: every slot from 1 on
            if not bounds or not all(isinstance(b, sp.Expr) and {
                    x.name for x in b.free_symbols} <= letters for b in bounds):
                raise SystemUnreadable(f"the range {item} of a family index", "range")
            out.ranges[str(getattr(item[0], "name", item[0]))] = bounds
        last: tuple | None = None
        gap = False
        for lhs, rhs in equations:
            if _is_dots(lhs):
                gap = True
                continue
            head = lhs.args[0] if isinstance(lhs, AtTime) else lhs
            if isinstance(lhs, AtTime) and str(lhs.args[1]) != TIME:
                raise SystemProblem(f"the left side {sp.latex(lhs)} defines a value at time "
                                    f"{sp.latex(lhs.args[1])}, not at the step {TIME}")
            if isinstance(head, sp.Indexed):
                fam = str(head.base.label)
                (s,) = head.indices if len(head.indices) == 1 else (None,)
                if s is None:
                    raise SystemUnreadable(f"{sp.latex(lhs)} has more than one slot index",
                                           "slot")
                if s.is_Integer:
                    rule = Rule(int(s), None, rhs)
                elif isinstance(s, sp.Symbol):
                    rule = Rule(None, s.name, rhs)
                elif {x.name for x in s.free_symbols} <= letters:
                    rule = Rule(None, None, rhs, at=s)
                else:
                    words = " and ".join(sorted(letters - {TIME}))
                    raise SystemUnreadable(f"the slot {sp.latex(s)} of {fam} is not a number, "
                                           f"a letter or an expression in {TIME}"
                                           + (f" and {words}" if words else ""), "slot")
                if gap and last is not None and last[0] == fam and rule.var is None \
                        and last[1].var is None:
                    out.rules[fam].append(_between(fam, last[1], rule))
                out.rules.setdefault(fam, []).append(rule)
                last = (fam, rule)
            elif isinstance(head, sp.Symbol):
                out.whole[head.name] = rhs
                last = None
            else:
                raise SystemUnreadable(f"the left side {sp.latex(lhs)} is not a variable of "
                                       f"the model", "left side")
            gap = False
        for state in states:
            if state not in out.whole:
                raise SystemProblem(f"the system never defines {state}[{TIME}]")
        return out

    @property
    def states(self) -> list[str]:
        """The reference's names this system defines whole (its states)."""
        return [n for n in self.whole if n in self.declared]

    @property
    def inputs(self) -> list[str]:
        """The reference's names this system reads but does not define."""
        return sorted(self.declared - set(self.whole))

    def rule(self, fam: str, slot: int, value: Callable[[sp.Expr], int]) -> tuple[Rule, dict]:
        """The rule that defines ``fam`` at ``slot``; ``value`` evaluates a slot expression."""
        rules = self.rules.get(fam, [])
        for r in rules:
            if r.slot == slot:
                return r, {}
        for r in rules:
            if r.at is not None and value(r.at) == slot:
                return r, {}
        for r in rules:
            if r.between is not None and value(r.between[0]) < slot < value(r.between[1]):
                return r, {r.var: slot}
        generic = [r for r in rules if r.var is not None and r.between is None
                   and self._in_range(r.var, slot, value)]
        if generic:
            return generic[-1], {generic[-1].var: slot}
        raise SystemProblem(f"{fam}_{slot}[{TIME}] is used but never defined")

    def _in_range(self, var: str, slot: int, value: Callable[[sp.Expr], int]) -> bool:
        if var not in self.ranges:
            return True
        lo, hi = self.ranges[var]
        return value(lo) <= slot and (hi == sp.oo or slot <= value(hi))

    def window(self) -> sp.Expr | None:
        """The last slot attended to: the upper limit of the sum in a state's definition,
        or the last slot of a list the system writes."""
        for state in self.states:
            sums = list(self.whole[state].atoms(sp.Sum))
            if sums:
                return sums[0].limits[0][2]
        for e in self.whole.values():
            for s in e.atoms(Stack):
                last = s.args[-1]
                slot = _slot_of(last)
                if slot is not None:
                    return slot[1]
        return None


def _slot_expr(rule: Rule) -> sp.Expr:
    return sp.Integer(rule.slot) if rule.slot is not None else rule.at


def _between(fam: str, first: Rule, last: Rule) -> Rule:
    """The rule an ellipsis stands for between two written slots, e.g. U s[t-1], ...,
    U s[1] for slots 1 and t - 1: where the two right sides differ, a linear function of
    the slot (here s[t - slot])."""
    lo, hi = _slot_expr(first), _slot_expr(last)
    try:
        rhs = _interpolate(first.rhs, last.rhs, lo, hi)
    except SystemUnreadable as e:
        raise SystemUnreadable(f"the ellipsis between {fam}_{sp.latex(lo)}[t] and "
                               f"{fam}_{sp.latex(hi)}[t]: {e}", "ellipsis") from None
    return Rule(None, SLOT.name, rhs, between=(lo, hi))


def _is_index(e) -> bool:
    return isinstance(e, sp.Expr) and e.is_commutative and not e.has(sp.Indexed, AtTime) \
        and all(isinstance(s, sp.Symbol) for s in e.free_symbols)


def _interpolate(a, b, lo: sp.Expr, hi: sp.Expr):
    if a == b:
        return a
    if _is_index(a) and _is_index(b):
        num, den = sp.fraction(sp.cancel((b - a) / (hi - lo)))
        if not den.is_number or den == 0:
            raise SystemUnreadable(f"{sp.latex(a)} and {sp.latex(b)} do not change by a "
                                   f"whole step per slot", "ellipsis")
        return sp.expand(a + (SLOT - lo) * num / den)
    if type(a) is not type(b) or len(a.args) != len(b.args) or not a.args:
        raise SystemUnreadable(f"{sp.latex(a)} and {sp.latex(b)} do not have one form",
                               "ellipsis")
    if isinstance(a, sp.Indexed):
        if a.base != b.base:
            raise SystemUnreadable(f"{sp.latex(a)} and {sp.latex(b)} name different "
                                   f"weights", "ellipsis")
        return a.base[tuple(_interpolate(x, y, lo, hi) for x, y in
                            zip(a.indices, b.indices, strict=True))]
    return a.func(*[_interpolate(x, y, lo, hi) for x, y in zip(a.args, b.args, strict=True)])


def _is_dots(e) -> bool:
    return isinstance(e, sp.Symbol) and e.name == DOTS


def _slot_of(e) -> tuple[str, sp.Expr] | None:
    head = e.args[0] if isinstance(e, AtTime) else e
    if isinstance(head, sp.Indexed) and len(head.indices) == 1:
        return str(head.base.label), head.indices[0]
    return None


@dataclass
class Use:
    """A weight read by a right side: the family (or whole definition) ``role`` at
    ``slot`` reads the weight ``param`` with subscript ``key`` (``U_i`` at slot 2:
    param U, key "i"; ``W_s``: param W, key "s", or param W_s, key None)."""

    role: str | None
    slot: int | None
    param: str
    key: object

    @property
    def name(self) -> str:
        return _name((self.param, self.key))


class Runner:
    """Runs a claimed system over a sequence; ``param`` gives each weight it reads.

    ``inputs``: the sequence of the one input (steps, ...) or {name: sequence};
    ``window``: the last slot of a family read as a whole (``f(z[t])``, z_i[t] defined
    slot by slot), or None for every earlier step (t - 1); ``scalars``: the size letters
    the system may write (None: not a parameter of ``model``), by default the letter of
    the system's own window set to ``window``; ``shapes``: each state's shape (default:
    the input's); ``hint``: said when a right side reads the state being defined. States
    before step 1 are zero.
    """

    def __init__(self, system: Claimed, inputs, window: int | None,
                 param: Callable[[Use], np.ndarray], *,
                 scalars: Mapping[str, int | None] | None = None,
                 shapes: Mapping[str, tuple] | None = None, model: str = "the model",
                 hint: str = "") -> None:
        self.sys = system
        if not isinstance(inputs, Mapping):
            names = system.inputs
            if len(names) != 1:
                raise SystemProblem(f"one input sequence given for the inputs {names}")
            inputs = {names[0]: inputs}
        self.inputs = {n: np.asarray(v, dtype=float) for n, v in inputs.items()}
        self.steps = len(next(iter(self.inputs.values())))
        self.window = window
        if scalars is None:
            end = system.window()
            scalars = {s.name: window for s in getattr(end, "free_symbols", ())
                       if s.name != TIME} if window is not None else {}
        self.scalars = dict(scalars)
        self.states = system.states
        if not self.states:
            raise SystemProblem(f"the system defines none of "
                                f"{', '.join(sorted(system.declared)) or 'the states'}")
        if shapes is None:
            first = next(iter(self.inputs.values()))
            shapes = {n: first.shape[1:] for n in self.states}
        self.shapes = {n: tuple(int(d) for d in shape) for n, shape in shapes.items()}
        self.model = model
        self.hint = hint
        self.param = param
        self.H: dict[str, dict[int, np.ndarray]] = {n: {} for n in self.states}
        self.uses: list[Use] = []

    def run(self) -> np.ndarray:
        """Every state at every step; returns the first state's (steps, ...) values."""
        for t in range(1, self.steps + 1):
            self.t = t
            self.memo: dict = {}
            self.busy: set = set()
            self.whole_slots: list[int] = []
            for name in self.states:
                self.H[name][t] = self._step(name)
        return self.stacked(self.states[0])

    def stacked(self, name: str) -> np.ndarray:
        """The values of state ``name`` at steps 1..L, one row each."""
        return np.array([self.H[name][t].reshape(self.shapes[name])
                         for t in range(1, self.steps + 1)])

    def _step(self, name: str) -> np.ndarray:
        value = np.asarray(self._whole(name), dtype=float)
        want = self._column(self.shapes[name])
        if value.ndim == 0 and value == 0:  # a sum with no terms at this step
            value = np.zeros(want)
        if value.shape != want:
            shape = " x ".join(str(d) for d in value.shape) or "a number"
            size = " x ".join(str(d) for d in self.shapes[name])
            what = f"a vector of {size}" if len(self.shapes[name]) == 1 else f"{size}"
            raise SystemProblem(f"{name}[{self.t}] comes out as {shape}, not {what}")
        return value

    @staticmethod
    def _column(shape: tuple) -> tuple:
        return (shape[0], 1) if len(shape) == 1 else tuple(shape)

    # values -------------------------------------------------------------------
    def _whole(self, name: str) -> np.ndarray:
        if name in self.memo:
            return self.memo[name]
        if name in self.busy:
            raise SystemProblem(f"{name}[{TIME}] is defined through itself")
        if name not in self.sys.whole:
            raise SystemProblem(f"{name}[{TIME}] is used but never defined")
        self.busy.add(name)
        value = self.ev(self.sys.whole[name], {}, (name, None))
        self.busy.discard(name)
        self.memo[name] = value
        return value

    def _family(self, fam: str, slot: int) -> np.ndarray:
        key = (fam, slot)
        if key in self.memo:
            return self.memo[key]
        if fam in self.sys.whole:
            vec = self._whole(fam)
            if slot not in self.whole_slots:
                raise SystemProblem(f"{fam}_{slot}[{TIME}] is outside the slots "
                                    f"{self.whole_slots} of {fam}[{TIME}]")
            return vec[self.whole_slots.index(slot)]
        if key in self.busy:
            raise SystemProblem(f"{fam}_{slot}[{TIME}] is defined through itself")
        rule, bind = self.sys.rule(fam, slot, lambda e: self._int(e, {}))
        self.busy.add(key)
        value = self.ev(rule.rhs, bind, (fam, slot))
        self.busy.discard(key)
        self.memo[key] = value
        return value

    def _int(self, e, bind) -> int:
        v = self.ev(e, bind, None)
        v = float(np.asarray(v).ravel()[0]) if np.size(v) == 1 else None
        if v is None or not float(v).is_integer():
            raise SystemUnreadable(f"{sp.latex(e)} is not a whole number", "slot")
        return int(v)

    def _state(self, name: str, when: int, where) -> np.ndarray:
        if when == self.t:
            if name in self.busy:
                fam, slot = where if where else (name, None)
                at = f" (in {fam}_{slot}[{TIME}])" if slot is not None else ""
                hint = f"; {self.hint}" if self.hint else ""
                raise SystemProblem(f"{name}[{TIME}] is read on the right side{at}: the "
                                    f"state being defined{hint}")
            return self._whole(name)  # another state of the same step
        if when > self.t:
            raise SystemProblem(f"{name}[{when}] is read at step {self.t}: a future state")
        return self.H[name].get(when, np.zeros(self._column(self.shapes[name])))

    def _input(self, name: str, when: int, written) -> np.ndarray:
        if when != self.t:
            raise SystemProblem(f"{name}[{sp.latex(written)}] is read at step {self.t}")
        value = self.inputs[name][when - 1]
        return value[:, None] if value.ndim == 1 else value

    def ev(self, e, bind: dict, where):
        """The value of ``e`` at step t; an unexpected failure names the construct."""
        try:
            return self._ev(e, bind, where)
        except SystemProblem:
            raise
        except Exception as exc:
            raise SystemUnreadable(f"the checker could not run {sp.latex(e)} "
                                   f"({type(exc).__name__}: {exc})", type(e).__name__) from exc

    def _ev(self, e, bind: dict, where):
        if isinstance(e, sp.Number):
            return float(e)
        if isinstance(e, sp.Symbol):
            if e.name in bind:
                return float(bind[e.name])
            if e.name == TIME:
                return float(self.t)
            if e.name in self.scalars:
                if self.scalars[e.name] is None:
                    raise SystemProblem(f"{e.name} is not a parameter of {self.model}")
                return float(self.scalars[e.name])
            if e.name in self.inputs:
                return self._input(e.name, self.t, TIME)
            if e.name in self.H:
                return self._state(e.name, self.t, where)
            if e.name in self.sys.whole:
                return self._whole(e.name)
            if e.name in self.sys.rules and where and where[0] in self.sys.whole:
                # `f(z[t])` with z defined slot by slot (z_i[t] = ...): every slot
                whole = self._whole_family(e.name)
                if whole is not None:
                    return whole
            if _is_dots(e):
                raise SystemUnreadable("an ellipsis outside a list cannot be expanded",
                                       "ellipsis")
            return self._use(where, e.name, None)
        if isinstance(e, AtTime):
            head, when = e.args
            if isinstance(head, sp.Symbol) and (head.name in self.H or
                                                head.name in self.inputs):
                w = self._int(when, bind)
                if head.name in self.inputs:
                    return self._input(head.name, w, when)
                return self._state(head.name, w, where)
            if self._int(when, bind) != self.t:
                raise SystemUnreadable(f"{sp.latex(e)} is read at another time than {TIME}; "
                                       f"the checker runs the system one step at a time",
                                       "time step")
            return self.ev(head, bind, where)
        if isinstance(e, sp.Indexed):
            fam = str(e.base.label)
            if len(e.indices) != 1:
                raise SystemUnreadable(f"{sp.latex(e)} has more than one slot index", "slot")
            s = e.indices[0]
            if fam in self.sys.rules or fam in self.sys.whole:
                return self._family(fam, self._int(s, bind))
            free = {x.name for x in s.free_symbols} - set(bind) - {TIME, *self.scalars}
            key = s.name if free and isinstance(s, sp.Symbol) else self._int(s, bind)
            return self._use(where, fam, key)
        if isinstance(e, sp.Add):
            out = 0.0
            for a in e.args:
                out = out + self.ev(a, bind, where)
            return out
        if isinstance(e, sp.Mul):
            out = None
            for f in e.args:
                v = self.ev(f, bind, where)
                out = v if out is None else _times(out, v)
            return out
        if isinstance(e, sp.Pow):
            return np.power(self.ev(e.base, bind, where), self.ev(e.exp, bind, where))
        if isinstance(e, Transposed):
            return np.asarray(self.ev(e.args[0], bind, where)).T
        if isinstance(e, Hadamard):
            out = self.ev(e.args[0], bind, where)
            for a in e.args[1:]:
                out = out * self.ev(a, bind, where)
            return out
        if type(e) in ELEMENTWISE and len(e.args) == 1:
            return ELEMENTWISE[type(e)](np.asarray(self.ev(e.args[0], bind, where), dtype=float))
        op = op_of(e)
        if op is not None and len(e.args) == 1 and op.numpy(np.ones(2)).ndim == 1:
            # an operation on a whole vector (the one table's NumPy form), kept a column
            z = np.asarray(self.ev(e.args[0], bind, where), dtype=float).reshape(-1)
            return np.asarray(op.numpy(z), dtype=float).reshape(-1, 1)
        if isinstance(e, Stack):
            return self._stack(e, bind, where)
        if isinstance(e, sp.Sum):
            (v, lo, hi), = e.limits if len(e.limits) == 1 else (None,)
            if v is None:
                raise SystemUnreadable("a sum over several indices", "sum")
            out = 0.0
            for s in range(self._int(lo, bind), self._int(hi, bind) + 1):
                out = out + self.ev(e.function, {**bind, v.name: s}, where)
            return out
        raise SystemUnreadable(f"the checker cannot run {type(e).__name__} in a system",
                               type(e).__name__)

    def _whole_family(self, fam: str) -> np.ndarray | None:
        """The slots 0..window (or 0..t-1) of a family of numbers, as one column; None when
        its slots are not numbers (the name is then read as a weight)."""
        last = self.window if self.window is not None else self.t - 1
        slots = list(range(0, last + 1))
        values = [np.asarray(self._family(fam, slot)) for slot in slots]
        if any(v.size != 1 for v in values):
            return None
        self.whole_slots = slots
        return np.array([float(v.ravel()[0]) for v in values]).reshape(-1, 1)

    def _stack(self, e: Stack, bind: dict, where) -> np.ndarray:
        """`[z_0[t], \\dots, z_{t-1}[t]]`: ellipses expanded; a list ends at the slot of its
        last item, so [z_0, z_1, ..., z_{t-1}] at t = 1 is [z_0]."""
        items = list(e.args)
        entries: list = []  # (slot, item, family): an item, or a slot an ellipsis adds
        k = 0
        while k < len(items):
            item = items[k]
            if _is_dots(item):
                before, after = _slot_of(items[k - 1]) if k else None, (
                    _slot_of(items[k + 1]) if k + 1 < len(items) else None)
                if before is None or after is None or before[0] != after[0]:
                    raise SystemUnreadable("an ellipsis needs the same variable on both sides",
                                           "ellipsis")
                lo = self._int(before[1], bind) + 1
                hi = self._int(after[1], bind) - 1
                entries.extend((s, None, before[0]) for s in range(lo, hi + 1))
                k += 1
                continue
            found = _slot_of(item)
            slot = self._int(found[1], bind) if found else None
            k += 1
            last = entries[-1][0] if entries else None
            if k > 1 and _is_dots(items[k - 2]) and slot is not None and last is not None \
                    and slot <= last:
                entries = [x for x in entries if x[0] is None or x[0] <= slot]
                continue
            entries.append((slot, item, None))
        values = [self._family(fam, s) if fam is not None else self.ev(item, bind, where)
                  for s, item, fam in entries]
        if where and where[0] in self.sys.whole:
            self.whole_slots = [s for s, _, _ in entries]
        return np.array([float(np.asarray(v).ravel()[0]) for v in values]).reshape(-1, 1)

    def _use(self, where, param: str, key) -> np.ndarray:
        role, slot = where if where else (None, None)
        use = Use(role, slot, param, key)
        self.uses.append(use)
        return self.param(use)


def _times(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.size == 1 or b.size == 1:
        return a.reshape(()) * b if a.size == 1 else a * b.reshape(())
    if a.ndim == 2 and b.ndim == 2 and a.shape[1] == b.shape[0]:
        return a @ b
    raise SystemProblem(f"a product of a {a.shape[0]} x {a.shape[1]} and a {b.shape[0]} x "
                        f"{b.shape[1]} value")


# structure ------------------------------------------------------------------------------
@dataclass
class Structure:
    sharing: dict[str, str]     # family -> "per slot" | "shared" | "one weight" | "mixed"
    keys: dict[str, dict]       # family -> slot -> key
    window: sp.Expr | None


def structure(system: Claimed, families=None) -> Structure:
    """Which weight each slot of a family reads (a rule over slot i reading U_i is per slot,
    one reading U_h or U is shared), and the window. ``families``: those to describe
    (default: every family whose rules read a weight)."""
    if families is None:
        families = [f for f, rules in system.rules.items()
                    if any(_params(r.rhs, system) for r in rules)]
    keys: dict[str, dict] = {}
    sharing = {}
    for role in families:
        by_slot: dict = {}
        how = "unknown"
        for rule in system.rules.get(role, []):
            params = _params(rule.rhs, system)
            if rule.slot is not None:
                by_slot[rule.slot] = params[0] if params else None
                continue
            if rule.at is not None:
                continue
            slot_dependent = [p for p in params if rule.var in p[2]]
            if slot_dependent:
                how = "per slot"
                by_slot.setdefault(1, slot_dependent[0][:2])
            elif params:
                how = "shared"
                by_slot.setdefault(1, params[0][:2])
        past = {s: key for s, key in by_slot.items() if s >= 1 and key is not None}
        if how == "unknown" and len(past) >= 2:
            distinct = {k[:2] for k in past.values()}
            how = ("per slot" if len(distinct) == len(past) else
                   "shared" if len(distinct) == 1 else "mixed")
        if how == "shared" and 0 in by_slot and by_slot[0] is not None and 1 in by_slot \
                and by_slot[0][:2] == by_slot[1][:2]:
            how = "one weight"
        keys[role] = {s: k[:2] for s, k in by_slot.items() if k is not None}
        sharing[role] = how
    return Structure(sharing, keys, system.window())


def _params(e: sp.Expr, system: Claimed) -> list[tuple[str, object, set]]:
    """Weights a right side reads: (name, key, names in the key). A name the system
    defines, and the reference's inputs and states, are no weights."""
    own = set(system.rules) | set(system.whole) | set(system.declared)
    out = []
    for node in sp.preorder_traversal(e):
        if isinstance(node, sp.Indexed) and str(node.base.label) not in own \
                and len(node.indices) == 1:
            idx = node.indices[0]
            key = int(idx) if idx.is_Integer else str(idx)
            out.append((str(node.base.label), key, {x.name for x in idx.free_symbols}))
        elif isinstance(node, sp.Symbol) and not node.is_commutative and \
                node.name not in own and node.name != DOTS:
            out.append((node.name, None, set()))
    return out


def _name(key) -> str:
    param, k = key
    return param if k is None else f"{param}_{k}"


# the reference ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Variant:
    """One instance of the reference to run: ``sizes`` of its model, the values of the size
    letters a system may write (``scalars``; None: not a parameter of this model), the
    ``window`` (the last slot of a family read whole; None: every earlier step), the size
    that grows with t (``growing``: a history of every earlier state) and its ``label``."""

    label: str
    sizes: Mapping[sp.Symbol, int]
    scalars: Mapping[str, int | None] = field(default_factory=dict)
    window: int | None = None
    growing: sp.Symbol | None = None


Bind = Callable[[Use, Mapping[str, np.ndarray]], np.ndarray]
Findings = Callable[[Structure], list[str]]


@dataclass(frozen=True)
class Reference:
    """The model a claimed system must define, as a question's context gives it.

    ``model`` is a ``core.Model`` with recurrences (its inputs, parameters and states, named
    as a write-up names them: s[t] is the state s); ``variants`` the instances to run, each
    on ``seeds`` random draws (parameters with scale ``scale``, then the inputs, over
    ``steps`` steps). ``bind(use, params)`` gives the array a claimed weight reads, given
    the model's parameters (default: the parameter of that name); the first array a weight
    gets is the one it keeps, so weights a system ties must be tied in the model.
    ``families`` are those whose weight sharing ``structure`` describes, ``findings`` says
    what is structurally wrong (before any run); ``summary`` describes the model in the
    verdict, ``hint`` is said when a system reads the state being defined, ``source`` names
    what the states come from (the layer, the model)."""

    name: str
    model: Model
    variants: tuple[Variant, ...]
    bind: Bind | None = None
    families: tuple[str, ...] | None = None
    findings: Findings | None = None
    summary: str = ""
    hint: str = ""
    source: str = "the model"
    steps: int = 5
    seeds: tuple[int, ...] = (0, 1)
    scale: float = 0.7
    seed_base: int = 50

    @property
    def states(self) -> dict[str, str]:
        """{name in a write-up: the model's tensor} for every state."""
        return {_written(self.model.tensors[n]): n for n in self.model.states()}

    @property
    def inputs(self) -> dict[str, str]:
        return {_written(t): n for n, t in self.model.tensors.items()
                if self.model.kinds[n] == "input" and n not in self.model.lags}

    @property
    def params(self) -> dict[str, str]:
        return {_written(t): n for n, t in self.model.tensors.items()
                if self.model.kinds[n] == "param"}

    @property
    def sizes(self) -> set[str]:
        """The size letters a system may write."""
        return {n for v in self.variants for n in v.scalars}

    def draw(self, variant: Variant, seed: int) -> tuple[dict, dict]:
        """Random parameters and input sequences (by the model's names), in the model's
        order: parameters first, then inputs."""
        rng = np.random.default_rng(self.seed_base + seed)
        sizes = {k: sp.Integer(v) for k, v in variant.sizes.items()}
        params, inputs = {}, {}
        for kind, out, extra, scale in (("param", params, (), self.scale),
                                        ("input", inputs, (self.steps,), 1.0)):
            for n in (self.params if kind == "param" else self.inputs).values():
                shape = self._dims(n, sizes)
                out[n] = (rng.normal(scale=scale, size=(*extra, *shape)) if scale != 1.0
                          else rng.normal(size=(*extra, *shape)))
        return params, inputs

    def _dims(self, name: str, sizes: Mapping) -> tuple[int, ...]:
        return tuple(int(as_expr(d).xreplace(sizes)) for d in self.model.tensors[name].shape)

    def run(self, variant: Variant, params: Mapping, inputs: Mapping) -> dict[str, np.ndarray]:
        """The reference's states over the steps: {write-up name: (steps, ...)}."""
        seq = Sequence(self.model, {**params, **inputs}, variant.sizes, self.steps,
                       growing=variant.growing)
        return {w: seq.stacked(n) for w, n in self.states.items()}

    def shapes(self, variant: Variant) -> dict[str, tuple[int, ...]]:
        sizes = {k: sp.Integer(v) for k, v in variant.sizes.items()}
        return {w: self._dims(n, sizes) for w, n in self.states.items()}


def _written(tensor) -> str:
    """The name a write-up gives a tensor: s for s[t], W_s for W_s."""
    text = re.sub(r"\s+", "", tensor.latex or "")
    text = re.sub(r"\[t\]$", "", text)
    return text if re.fullmatch(r"[A-Za-z]+(_[A-Za-z0-9]+)?", text) else tensor.name


def _by_name(reference: Reference) -> Bind:
    params = reference.params

    def bind(use: Use, arrays: Mapping[str, np.ndarray]) -> np.ndarray:
        name = use.name
        if name not in params:
            raise SystemProblem(f"{name} is not a weight of {reference.name} (its weights: "
                                f"{', '.join(params)})")
        value = np.asarray(arrays[params[name]], dtype=float)
        return value[:, None] if value.ndim == 1 else value

    return bind


_REGISTERED: dict[object, Callable[[], Reference]] = {}


def register_reference(key, build: Callable[[], Reference]) -> None:
    """Name a reference so that ``check_system(..., key)`` finds it (a problem set
    registers those of its questions)."""
    _REGISTERED[key] = build


# verdicts ---------------------------------------------------------------------------------
def check_system(claim, index_base: int, text: str, shared) -> Verdict:
    """Verdict on a claimed system: ``shared`` is the ``Reference`` it must define, or the
    key a reference was registered under (``register_reference``)."""
    if isinstance(shared, Reference):
        ref = shared
    elif shared in _REGISTERED:
        ref = _REGISTERED[shared]()
    else:
        raise KeyError(f"no reference model registered as {shared!r}")
    states = list(ref.states)
    try:
        system = Claimed.read(claim.equations, {*ref.inputs, *states},
                              getattr(claim, "ranges", ()), states=states, sizes=ref.sizes)
        st = structure(system, ref.families)
    except SystemUnreadable as e:
        return _unreadable(e, text)
    except SystemProblem as e:
        return Verdict("incorrect", f"{e}.", None, None, text)
    findings = ref.findings(st) if ref.findings is not None else []
    if findings:
        return Verdict("incorrect", " ".join(findings), {"window": _plain(st.window),
                       "weights": {r: {s: _name(k) for s, k in by.items()}
                                   for r, by in st.keys.items()}}, None, text)
    bind = ref.bind or _by_name(ref)
    for seed in ref.seeds:
        for variant in ref.variants:
            params, arrays = ref.draw(variant, seed)
            true = ref.run(variant, params, arrays)
            bound: dict = {}

            def param(use: Use, params=params, bound=bound):
                key = (use.param, use.key)
                if key not in bound:
                    bound[key] = bind(use, params)
                return bound[key]

            inputs = {w: arrays[n] for w, n in ref.inputs.items()}
            try:
                runner = Runner(system, inputs, variant.window, param,
                                scalars=variant.scalars, shapes=ref.shapes(variant),
                                model=ref.name, hint=ref.hint)
                runner.run()
            except SystemUnreadable as e:
                return _unreadable(e, text)
            except SystemProblem as e:
                return Verdict("incorrect", f"{e}.", None, None, text)
            for state in states:
                got, H = runner.stacked(state), true[state]
                ok = np.isclose(got, H, rtol=1e-6, atol=1e-9)
                if ok.all():
                    continue
                t, *at = (int(v) for v in np.argwhere(~ok)[0])
                entry = ",".join(str(j + index_base) for j in at)
                shown = ", ".join(f"{s} = {v}" for s, v in variant.sizes.items()
                                  if str(s) not in variant.scalars)
                counter = {**variant.scalars, "t": t + 1,
                           "entry": at[0] + index_base if len(at) == 1 else entry,
                           "claimed": float(got[(t, *at)]), "true": float(H[(t, *at)])}
                if len(states) > 1:
                    counter["state"] = state
                return Verdict("incorrect", f"run on a random sequence ({shown}), the system "
                               f"gives {state}[{t + 1}]_{entry} = {got[(t, *at)]:.6g}, "
                               f"{variant.label} gives {H[(t, *at)]:.6g}.", counter, None, text)
    what = f" ({ref.summary})" if ref.summary else ""
    names = ", ".join(f"{s}[{TIME}]" for s in states)
    return Verdict("correct", f"the system defines {ref.name}{what}: run on random "
                   f"sequences it reproduces {ref.source}'s {names} at every step"
                   f"{_over(ref.variants)}.", None, None, text)


def _over(variants) -> str:
    """`` for k = 2 and 3``: the size letters the variants set, when they differ."""
    if len(variants) < 2:
        return ""
    parts = []
    for name in dict.fromkeys(n for v in variants for n in v.scalars):
        values = [str(v.scalars.get(name)) for v in variants]
        if len(set(values)) > 1:
            text = values[0] if len(values) == 1 else (
                ", ".join(values[:-1]) + " and " + values[-1])
            parts.append(f"{name} = {text}")
    return f" for {'; '.join(parts)}" if parts else ""


def _unreadable(e: SystemUnreadable, text: str) -> Verdict:
    return Verdict("unparsed", f"the system could not be read as a recurrence: {e} "
                   f"(construct: {e.construct}).", {"construct": e.construct}, None, text,
                   [f"construct not understood: {e.construct}"])


def _plain(e) -> str | None:
    return None if e is None else str(e)
