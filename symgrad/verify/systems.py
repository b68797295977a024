"""Defining systems of AttentionRNN(k) and AttentionRNN(inf): a claimed system is read as
a recurrence (slot rules such as q_i[t] = Q_i h[t-i], ellipses expanded), its weight
sharing and attention window are compared with the model's, and it is run on random
sequences against the AttentionRNN layer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import sympy as sp

from ..core.ops import AtTime, Hadamard, Softargmax, Stack, Transposed
from .numeric import ELEMENTWISE
from .verdict import Verdict

ROLES = {"q": "Q", "k": "K", "v": "V"}
DOTS = "..."


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
    the slot ``at`` (written with t or k, e.g. q_{t-1}[t]) or, filled in for an ellipsis,
    for the slots strictly ``between`` two others (``var`` is the slot)."""

    slot: int | None
    var: str | None
    rhs: sp.Expr
    at: sp.Expr | None = None
    between: tuple | None = None


@dataclass
class Claimed:
    """The equations of a claimed system, by what they define."""

    rules: dict[str, list[Rule]] = field(default_factory=dict)
    whole: dict[str, sp.Expr] = field(default_factory=dict)
    ranges: dict[str, tuple] = field(default_factory=dict)

    @classmethod
    def read(cls, equations, declared: set[str], ranges=()) -> Claimed:
        """The rules of a system; ``ranges`` are qualifiers (symbol, lo, hi) such as
        `\\text{for } i = 1, \\dots, k` that limit the rules written with that letter."""
        out = cls()
        for item in ranges:
            bounds = tuple(item[1:]) if isinstance(item, tuple) and len(item) == 3 else ()
            bounds = tuple(sp.Integer(b) if isinstance(b, int) else sp.oo if b is None else b
                           for b in bounds)  # `\\forall i \\ge 1`: every slot from 1 on
            if not bounds or not all(isinstance(b, sp.Expr) and {
                    x.name for x in b.free_symbols} <= {"t", "k"} for b in bounds):
                raise SystemUnreadable(f"the range {item} of a family index", "range")
            out.ranges[str(getattr(item[0], "name", item[0]))] = bounds
        last: tuple | None = None
        gap = False
        for lhs, rhs in equations:
            if _is_dots(lhs):
                gap = True
                continue
            head = lhs.args[0] if isinstance(lhs, AtTime) else lhs
            if isinstance(lhs, AtTime) and str(lhs.args[1]) != "t":
                raise SystemProblem(f"the left side {sp.latex(lhs)} defines a value at time "
                                    f"{sp.latex(lhs.args[1])}, not at the step t")
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
                elif {x.name for x in s.free_symbols} <= {"t", "k"}:
                    rule = Rule(None, None, rhs, at=s)
                else:
                    raise SystemUnreadable(f"the slot {sp.latex(s)} of {fam} is not a number, "
                                           f"a letter or an expression in t and k", "slot")
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
        if "h" not in out.whole:
            raise SystemProblem("the system never defines h[t]")
        return out

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
        raise SystemProblem(f"{fam}_{slot}[t] is used but never defined")

    def _in_range(self, var: str, slot: int, value: Callable[[sp.Expr], int]) -> bool:
        if var not in self.ranges:
            return True
        lo, hi = self.ranges[var]
        return value(lo) <= slot and (hi == sp.oo or slot <= value(hi))

    def window(self) -> sp.Expr | None:
        """The last slot attended to: the upper limit of the sum in h[t]."""
        sums = list(self.whole["h"].atoms(sp.Sum))
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
    """The rule an ellipsis stands for between two written slots, e.g. Q_1 h[t-1], ...,
    Q_1 h[1] for slots 1 and t - 1: where the two right sides differ, a linear function of
    the slot (here h[t - slot])."""
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
    role: str
    slot: int | None
    param: str
    key: object


class Runner:
    """Runs a claimed system over a sequence; ``param`` gives each weight by its key."""

    def __init__(self, system: Claimed, xs: np.ndarray, k: int | None,
                 param: Callable[[Use], np.ndarray]) -> None:
        self.sys = system
        self.xs = xs
        self.k = k
        self.param = param
        self.H: dict[int, np.ndarray] = {}
        self.uses: list[Use] = []

    def run(self) -> np.ndarray:
        for t in range(1, len(self.xs) + 1):
            self.t = t
            self.memo: dict = {}
            self.busy: set = set()
            self.a_slots: list[int] = []
            value = np.asarray(self._whole("h"), dtype=float)
            n = self.xs.shape[1]
            if value.ndim == 0 and value == 0:  # a sum with no terms at this step
                value = np.zeros((n, 1))
            if value.shape != (n, 1):
                shape = " x ".join(str(d) for d in value.shape) or "a number"
                raise SystemProblem(f"h[{t}] comes out as {shape}, not a vector of {n}")
            self.H[t] = value
        return np.array([self.H[t][:, 0] for t in range(1, len(self.xs) + 1)])

    # values -------------------------------------------------------------------
    def _whole(self, name: str) -> np.ndarray:
        if name in self.memo:
            return self.memo[name]
        if name in self.busy:
            raise SystemProblem(f"{name}[t] is defined through itself")
        if name not in self.sys.whole:
            raise SystemProblem(f"{name}[t] is used but never defined")
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
            if slot not in self.a_slots:
                raise SystemProblem(f"{fam}_{slot}[t] is outside the slots "
                                    f"{self.a_slots} of {fam}[t]")
            return vec[self.a_slots.index(slot)]
        if key in self.busy:
            raise SystemProblem(f"{fam}_{slot}[t] is defined through itself")
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

    def _state(self, when: int, where) -> np.ndarray:
        if when == self.t:
            fam, slot = where if where else ("h", None)
            at = f" (in {fam}_{slot}[t])" if slot is not None else ""
            raise SystemProblem(f"h[t] is read on the right side{at}: the state being "
                                f"defined; slot 0 reads x[t]")
        if when > self.t:
            raise SystemProblem(f"h[{when}] is read at step {self.t}: a future state")
        return self.H.get(when, np.zeros((self.xs.shape[1], 1)))

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
            if e.name == "t":
                return float(self.t)
            if e.name == "k":
                if self.k is None:
                    raise SystemProblem("k is not a parameter of AttentionRNN(inf)")
                return float(self.k)
            if e.name == "x":
                return self.xs[self.t - 1][:, None]
            if e.name in ("h",):
                return self._state(self.t, where)
            if e.name in self.sys.whole:
                return self._whole(e.name)
            if e.name in self.sys.rules and e.name not in ("q", "k", "v") and where and \
                    where[0] in self.sys.whole:
                # `softargmax(w[t])` with w defined slot by slot (w_i[t] = ...): every slot
                last = self.k if self.k is not None else self.t - 1
                slots = list(range(0, last + 1))
                self.a_slots = slots
                values = [self._family(e.name, slot) for slot in slots]
                return np.array([float(np.asarray(v).ravel()[0]) for v in values]).reshape(-1, 1)
            if _is_dots(e):
                raise SystemUnreadable("an ellipsis outside a list cannot be expanded",
                                       "ellipsis")
            return self._use(where, e.name, None)
        if isinstance(e, AtTime):
            head, when = e.args
            if isinstance(head, sp.Symbol) and head.name in ("h", "x"):
                w = self._int(when, bind)
                if head.name == "x":
                    if w != self.t:
                        raise SystemProblem(f"x[{sp.latex(when)}] is read at step {self.t}")
                    return self.xs[w - 1][:, None]
                return self._state(w, where)
            if self._int(when, bind) != self.t:
                raise SystemUnreadable(f"{sp.latex(e)} is read at another time than t; the "
                                       f"checker runs the system one step at a time",
                                       "time step")
            return self.ev(head, bind, where)
        if isinstance(e, sp.Indexed):
            fam = str(e.base.label)
            if len(e.indices) != 1:
                raise SystemUnreadable(f"{sp.latex(e)} has more than one slot index", "slot")
            s = e.indices[0]
            if fam in self.sys.rules or fam in self.sys.whole:
                return self._family(fam, self._int(s, bind))
            free = {x.name for x in s.free_symbols} - set(bind) - {"t", "k"}
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
        if isinstance(e, Softargmax):
            z = np.asarray(self.ev(e.args[0], bind, where), dtype=float).reshape(-1, 1)
            if not z.size:
                return z
            z = np.exp(z - z.max())
            return z / z.sum()
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

    def _stack(self, e: Stack, bind: dict, where) -> np.ndarray:
        """`[w_0[t], \\dots, w_{t-1}[t]]`: ellipses expanded; a list ends at the slot of its
        last item, so [w_0, w_1, ..., w_{t-1}] at t = 1 is [w_0]."""
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
            self.a_slots = [s for s, _, _ in entries]
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
    sharing: dict[str, str]     # role -> "per slot" | "shared" | "one weight" | "mixed"
    keys: dict[str, dict]       # role -> slot -> key
    window: sp.Expr | None


def structure(system: Claimed) -> Structure:
    """Which weight each slot of q, k, v reads (a rule over slot i reading Q_i is per slot,
    one reading Q_h or Q is shared), and the attention window."""
    keys: dict[str, dict] = {}
    sharing = {}
    for role in ROLES:
        by_slot: dict = {}
        how = "unknown"
        for rule in system.rules.get(role, []):
            params = _params(rule.rhs)
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


def _params(e: sp.Expr) -> list[tuple[str, object, set]]:
    """Weights a right side reads: (name, key, names in the key)."""
    out = []
    for node in sp.preorder_traversal(e):
        if isinstance(node, sp.Indexed) and str(node.base.label) not in ROLES \
                and str(node.base.label) not in ("w", "a") and len(node.indices) == 1:
            idx = node.indices[0]
            key = int(idx) if idx.is_Integer else str(idx)
            out.append((str(node.base.label), key, {x.name for x in idx.free_symbols}))
        elif isinstance(node, sp.Symbol) and not node.is_commutative and node.name not in (
                "x", "h", "a", DOTS):
            out.append((node.name, None, set()))
    return out


def _name(key) -> str:
    param, k = key
    return param if k is None else f"{param}_{k}"


# verdicts ---------------------------------------------------------------------------------
def check_system(claim, index_base: int, text: str, shared: bool) -> Verdict:
    """Verdict on a claimed system for AttentionRNN(k) (``shared`` False) or (inf)."""
    from ..layers.attention_rnn import AttentionRNN

    model = "AttentionRNN(inf)" if shared else "AttentionRNN(k)"
    try:
        system = Claimed.read(claim.equations, {"x", "h"}, getattr(claim, "ranges", ()))
        st = structure(system)
    except SystemUnreadable as e:
        return _unreadable(e, text)
    except SystemProblem as e:
        return Verdict("incorrect", f"{e}.", None, None, text)
    findings = _structural(st, shared)
    if findings:
        return Verdict("incorrect", " ".join(findings), {"window": _plain(st.window),
                       "weights": {r: {s: _name(k) for s, k in by.items()}
                                   for r, by in st.keys.items()}}, None, text)
    n, steps = 3, 5
    for seed in (0, 1):
        for k in ((None,) if shared else (2, 3)):
            rng = np.random.default_rng(50 + seed)
            slots = 2 if shared else k + 1
            Q, K, V = (rng.normal(scale=0.7, size=(slots, n, n)) for _ in range(3))
            xs = rng.normal(size=(steps, n))
            true = {"Q": Q, "K": K, "V": V}
            H, _ = AttentionRNN(k=k, input_size=n).unroll(xs, Q, K, V)
            bound: dict = {}

            def param(use: Use, true=true, bound=bound):
                key = (use.param, use.key)
                if key not in bound:
                    if use.role not in ROLES or use.slot is None:
                        raise SystemProblem(f"{_name(key)} is not read by q_i, k_i or v_i")
                    index = (0 if use.slot == 0 else 1) if shared else use.slot
                    bound[key] = true[ROLES[use.role]][index]
                return bound[key]

            try:
                got = Runner(system, xs, k, param).run()
            except SystemUnreadable as e:
                return _unreadable(e, text)
            except SystemProblem as e:
                return Verdict("incorrect", f"{e}.", None, None, text)
            ok = np.isclose(got, H, rtol=1e-6, atol=1e-9)
            if not ok.all():
                t, j = (int(v) for v in np.argwhere(~ok)[0])
                label = model if shared else f"AttentionRNN({k})"
                counter = {"k": k, "t": t + 1, "entry": j + index_base,
                           "claimed": float(got[t, j]), "true": float(H[t, j])}
                return Verdict("incorrect", f"run on a random sequence (n = {n}), the system "
                               f"gives h[{t + 1}]_{j + index_base} = {got[t, j]:.6g}, "
                               f"{label} gives {H[t, j]:.6g}.", counter, None, text)
    what = ("shared weights over every past state, window t - 1" if shared else
            "weights per slot, window k")
    return Verdict("correct", f"the system defines {model} ({what}): run on random "
                   f"sequences it reproduces the layer's h[t] at every step"
                   + ("" if shared else " for k = 2 and 3") + ".", None, None, text)


def _unreadable(e: SystemUnreadable, text: str) -> Verdict:
    return Verdict("unparsed", f"the system could not be read as a recurrence: {e} "
                   f"(construct: {e.construct}).", {"construct": e.construct}, None, text,
                   [f"construct not understood: {e.construct}"])


def _plain(e) -> str | None:
    return None if e is None else str(e)


def _structural(st: Structure, shared: bool) -> list[str]:
    window = st.window
    syms = {s.name for s in window.free_symbols} if window is not None else set()
    per_slot = [r for r, how in st.sharing.items() if how == "per slot"]
    tied = [r for r, how in st.sharing.items() if how in ("shared", "one weight")]
    out = []
    if shared:
        if per_slot and "k" in syms:
            weights = ", ".join(sorted({ROLES[r] + "_i" for r in per_slot}))
            out.append(f"This is AttentionRNN(k): no weight sharing ({weights} per lag) and a "
                       f"fixed window of k past states; k is not a parameter of "
                       f"AttentionRNN(inf), which reads every one of the t - 1 past states "
                       f"with one shared Q_h, K_h, V_h (and Q_0, K_0, V_0 for x[t]).")
            return out
        if per_slot:
            out.append("No weight sharing: each lag has its own weights, so the parameters "
                       "would grow with t; AttentionRNN(inf) ties Q_1 = Q_2 = ... = Q_h "
                       "(likewise K and V).")
        if "k" in syms or (window is not None and "t" not in syms):
            out.append(f"The window ends at slot {window}: AttentionRNN(inf) attends over all "
                       f"t - 1 past states, and k is not one of its parameters.")
        for r, how in st.sharing.items():
            if how == "one weight":
                out.append(f"{r}_0[t] uses the same weight as the past states; x[t] has its "
                           f"own Q_0, K_0, V_0.")
        return out
    if tied:
        out.append("The past states share one weight: that is the weight sharing of "
                   "AttentionRNN(inf); AttentionRNN(k) has its own Q_i, K_i, V_i for each "
                   "slot i = 0..k.")
    if window is not None and "k" not in syms:
        out.append(f"The window ends at slot {window}; AttentionRNN(k) attends over x[t] "
                   f"and the last k states, slots 0..k.")
    return out
