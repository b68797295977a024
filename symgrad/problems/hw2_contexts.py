"""Checker contexts for hw2: per question, the tensors a claim may name (with the
homework's spellings), the sizes, random consistent instances and the true quantities."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import sympy as sp

from ..core.errors import UnknownNameError
from ..core.ops import AtTime
from ..core.quantity import Quantity
from ..core.tensor import size
from ..core.unroll import backward, total_jacobians
from ..layers.conv import Conv1d, Conv2d, conv_output_shape
from ..verify.context import (
    Context,
    Grid,
    Instance,
    LazyArrays,
    TensorSpec,
    Truth,
    as_expr,
    quantity_truth,
)

IDS = ("1.1.a", "1.1.b", "1.1.c.i", "1.1.c.ii", "1.1.c.iii", "1.1.c.iv", "1.2.1.b",
       "1.2.1.c", "1.2.1.d", "1.2.2.b", "1.2.2.c", "1.2.2.d", "1.2.2.e", "1.2.2.f")

OUTPUT = (r"f_W(x)", r"f_{W}(x)", r"\hat{y}", r"\hat y", "y", r"f_W(X)", r"f_{W}(X)", "f(x)", "s",
          "f_W", "f_{W}", "f",
          r"(x * k)", r"(x \ast k)")
UPSTREAM = (r"\frac{\partial \ell}{\partial f_W(x)}",)
JACOBIAN = r"\frac{\partial f_W(x)}{\partial %s}"
CHANNELS = "the number of input channels, which the convolution sums over"


_NOT_CHECKABLE = {
    "1.2.1.a": "a diagram question (its answer is a drawing)",
    "1.2.2.a": "a diagram question (its answer is a drawing)",
    "1.3.1": "a question answered in prose",
    "1.3.2": "a question answered in prose",
    "1.3.3": "a question answered in prose",
    "1.3.4": "a question answered in prose",
}


def context(qid: str) -> Context:
    """The checker's context for one question of hw2, e.g. ``context("1.1.c.iii")``."""
    key = qid.strip().lower()
    if key not in _BUILDERS:
        kind = _NOT_CHECKABLE.get(key)
        if kind:
            raise UnknownNameError(f"{key} is {kind}, so there is no claim to check "
                                   f"(symgrad show {key} prints its answer); checkable "
                                   f"questions: {', '.join(IDS)}")
        raise UnknownNameError(f"no checker context for question {qid!r}; questions: "
                               f"{', '.join(IDS)}")
    return _BUILDERS[key]()


def _rng(seed: int, salt: int) -> np.random.Generator:
    return np.random.default_rng(1000 * salt + seed)


# convolutions -------------------------------------------------------------------------
def _conv_context(qid: str, title: str, conv: Conv1d | Conv2d, default, scalars=None,
                  fixed=None, about=None, out_shape=None) -> Context:
    """The tensors x, W, f_W(x) and g of one convolution, with its Jacobians and gradients."""
    subs = dict(conv.sizes)
    x_shape, w_shape = (tuple(int(as_expr(d).xreplace(subs))
                              for d in conv.model.tensors[name].shape) for name in ("x", "W"))
    y_shape = tuple(conv.output_shape)
    pad = any(int(v) > 0 for k, v in conv.sizes.items() if k.name.startswith("P"))
    upstream = TensorSpec("g", y_shape, UPSTREAM[0], ("g",), "the upstream gradient",
                          gradient=True)
    tensors = [TensorSpec("x", x_shape, "x", ("X",), "the input", padded=pad),
               # the statement's kernels are 0 outside their support (k[n] = 0 for |n| > M)
               TensorSpec("W", w_shape, "W", ("w",), "the filters", zero_outside=True),
               TensorSpec("y", y_shape, r"f_W(x)", OUTPUT, "the output"), upstream,
               *[TensorSpec(f"dy_d{v}", y_shape + shape, JACOBIAN % v, (),
                            f"the Jacobian of f_W(x) with respect to {v}")
                 for v, shape in (("W", w_shape), ("x", x_shape))]]
    out = conv.output
    spatial = ("output length",) if len(y_shape) == 2 else ("output height", "output width")
    labels_y = ("filters", *spatial)
    labels_w = ("filters", "channels", "taps") if len(w_shape) == 3 else (
        "filters", "channels", "kernel rows", "kernel columns")
    labels_x = ("channels", *(("positions",) if len(x_shape) == 2 else ("rows", "columns")))
    truths = {
        ("y", None): lambda: quantity_truth(out, "y", None, out_shape or y_shape, (),
                                            labels=labels_y),
        ("y", "W"): lambda: quantity_truth(conv.jacobian("W"), "y", "W", y_shape, w_shape,
                                           labels=labels_y + labels_w),
        ("y", "x"): lambda: quantity_truth(conv.jacobian("x"), "y", "x", y_shape, x_shape,
                                           labels=labels_y + labels_x),
        ("loss", "W"): lambda: quantity_truth(conv.grad("W"), "loss", "W", (), w_shape,
                                              labels=labels_w),
        ("loss", "x"): lambda: quantity_truth(conv.grad("x"), "loss", "x", (), x_shape,
                                              labels=labels_x),
        ("loss", "y"): lambda: Truth("loss", "y", (), y_shape, upstream.latex,
                                     lambda inst: inst.arrays["g"]),
    }

    def instance(seed: int) -> Instance:
        rng = _rng(seed, 1)
        x, W, g = (rng.normal(size=shape) for shape in (x_shape, w_shape, y_shape))
        arrays = {"x": x, "W": W, "y": out.evaluate(x=x, W=W), "g": g}
        lazy = {f"dy_d{v}": (y_shape + shape, lambda v=v: np.asarray(
            conv.jacobian(v).evaluate({"x": x, "W": W}), dtype=float))
            for v, shape in (("W", w_shape), ("x", x_shape))}  # derived if a claim reads it
        return Instance({}, LazyArrays(arrays, lazy), about=f"random x, W, g (seed {seed})")

    about_all = {"C": CHANNELS, "c": CHANNELS, **(about or {})}
    if x_shape[0] > 1:
        about_all[x_shape[0]] = CHANNELS
    return Context(qid, title, tensors, instance, truths, default, scalars=scalars,
                   about=about_all, fixed=fixed)


def conv2d_context(qid: str, height: int, width: int, kernel: int | tuple[int, int],
                   stride: int) -> Context:
    """The context of "the output size of a convolution with this kernel and stride on a
    height x width image" (one channel, no padding; any number F of filters)."""
    conv = Conv2d(in_channels=1, height=height, width=width, kernel_size=kernel,
                  stride=stride)
    kh, kw = kernel if isinstance(kernel, tuple) else (kernel, kernel)
    F = size("F")
    scalars = {"C": size("C"), "c": size("c"), "F": F}
    return _conv_context(qid, f"output of a {kh} x {kw} convolution, stride {stride}, on "
                         f"{height} x {width}", conv, ("y", None), scalars=scalars,
                         fixed={"F": 1, "C": 1, "c": 1},
                         about={"F": "the number of filters"},
                         out_shape=(F, *(int(d) for d in conv.output_shape[1:])))


def conv1d_context(qid: str, default, title: str, in_channels: int = 5, length: int = 7,
                   kernel_size: int = 3, stride: int = 2) -> Context:
    """The context of a question about one 1-D convolution (one filter, no padding, no
    dilation): its output, Jacobians and gradients; hw2's sizes by default."""
    conv = Conv1d(in_channels=in_channels, length=length, kernel_size=kernel_size,
                  stride=stride)
    return _conv_context(qid, title, conv, default)


@cache
def _c11a() -> Context:
    return conv2d_context("1.1.a", 21, 12, (4, 5), 4)


@cache
def _c11b() -> Context:
    names = ("C", "H", "W", "K", "S", "D", "F")
    syms = {n: size(n) for n in names}
    syms["P"] = sp.Symbol("P", integer=True, nonnegative=True)
    C, H, W, K, S, D, F, P = (syms[n] for n in (*names, "P"))
    dims = conv_output_shape((C, H, W), kernel_size=K, stride=S, padding=P, dilation=D,
                             filters=F)
    tensors = [TensorSpec("x", (C, H, W), "x", ("X",), "the input"),
               TensorSpec("y", dims, r"f_W(x)", OUTPUT + ("output", "ouput"), "the output")]
    labels = ("filters", "output height", "output width")
    shown = tuple(f"floor(({n} + 2P - D(K - 1) - 1)/S) + 1" for n in "HW")
    truth = Truth("y", None, dims, (), r"f_W(x)", None, None, labels, ("F", *shown))
    grid = Grid({"C": range(1, 4), "F": range(1, 4), "H": range(1, 13), "W": range(1, 13),
                 "K": range(1, 5), "S": range(1, 4), "D": range(1, 4), "P": range(0, 3)},
                lambda v: (v["H"] + 2 * v["P"] >= v["D"] * (v["K"] - 1) + 1)
                & (v["W"] + 2 * v["P"] >= v["D"] * (v["K"] - 1) + 1),
                "H + 2P >= D(K - 1) + 1 and W + 2P >= D(K - 1) + 1")

    def instance(seed: int) -> Instance:
        raise UnknownNameError("1.1.b asks for a shape; element formulas are checked in "
                               "1.1.c")

    about = {"C": CHANNELS, "F": "the number of filters"}
    return Context("1.1.b", "output shape of a K x K convolution", tensors, instance,
                   {("y", None): lambda: truth}, ("y", None), scalars=syms, about=about,
                   grid=grid)


def shape_context() -> Context:
    """The context of 1.1.b (the output shape of a general convolution)."""
    return _c11b()


def _c11c(qid: str, default, title: str) -> Context:
    return conv1d_context(qid, default, title)


# the gated RNN ------------------------------------------------------------------------
_RNN_SIZES = ((3, 4, 4), (2, 3, 3), (4, 2, 5))  # (n, m, K) per seed


def _tensor_truth(name: str, shape: tuple, latex: str) -> Truth:
    return Truth(name, None, shape, (), latex, lambda inst: inst.arrays[name])


@dataclass(frozen=True)
class RNNNotation:
    """How a statement of the gated RNN spells it: the state's letter (``h``: h[t],
    h[t-1]; its subscript forms h_t, h_{t-1} are read too), the gate's recurrent weights,
    and the gate's pre-activation (None: the statement does not name it)."""

    state: str = "h"
    recurrent: str = "W_h"
    preactivation: str | None = "z"


def rnn_context(qid: str, title: str, default,
                notation: RNNNotation = RNNNotation()) -> Context:
    """The context of a question about the gated RNN, in a statement's notation (hw2's
    h[t], W_h by default)."""
    from .hw2_rnn import rnn, steps_symbol

    r = rnn()
    n, m, K = size("n"), size("m"), steps_symbol()
    model = r.model
    state = notation.state
    specs = [
        TensorSpec("x", (n,), "x[t]", ("x",), "the input"),
        TensorSpec("h_prev", (m,), f"{state}[t-1]", (), "the previous state"),
        TensorSpec("h", (m,), f"{state}[t]", (state,), "the state"),
        TensorSpec("c", (m,), "c[t]", ("c", "C[t]"), "the gate"),  # C[t]: the gate, capital
        *([TensorSpec("z", (m,), f"{notation.preactivation}[t]", (),
                      "the gate's pre-activation")] if notation.preactivation else []),
        TensorSpec("u", (m,), "u[t]", (), "W_x x[t]"),
        TensorSpec("W_c", (m, n), "W_c", (), "the gate's input weights"),
        TensorSpec("W_h", (m, m), notation.recurrent, (), "the gate's recurrent weights"),
        TensorSpec("W_x", (m, n), "W_x", (), "the input weights"),
        TensorSpec("delta", (m,), r"\delta[t]",
                   (r"\frac{\partial \ell}{\partial %s[t]}" % state,),
                   f"the total gradient dl/d{state}[t]", gradient=True),
    ]
    wrt = {"W_x": (m, n), "W_c": (m, n), "W_h": (m, m), "x": (n,), "h_prev": (m,)}
    specs += [TensorSpec(f"dh_d{w}", (m, *shape), r"\frac{\partial %s[t]}{\partial %s}"
                         % (state, _latex(specs, w)), (), f"the immediate Jacobian of {state}[t] "
                         f"with respect to {_latex(specs, w)}") for w, shape in wrt.items()]
    # the gate's Jacobians, a factor of many hand derivations (diag(h[t-1] - W_x x[t])
    # \frac{\partial c[t]}{\partial h[t-1]}): made only when a claim reads one
    gate_wrt = {w: wrt[w] for w in ("h_prev", "x", "W_c", "W_h")}
    specs += [TensorSpec(f"dc_d{w}", (m, *shape), r"\frac{\partial c[t]}{\partial %s}"
                         % _latex(specs, w), (), f"the Jacobian of the gate c[t] with respect "
                         f"to {_latex(specs, w)}") for w, shape in gate_wrt.items()]
    jacobians = {w: r.jacobian(w) for w in wrt}
    shapes = {t.name: t.shape for t in specs}

    def gate_jacobian(w: str) -> Quantity:
        element, I, J = model.derivative("c", w)
        return Quantity(rf"\frac{{\partial c[t]}}{{\partial {_latex(specs, w)}}}", element,
                        I + J, shapes["c"] + shapes[w], tensors=model.tensors,
                        inputs=tuple(model.tensors[k] for k in ("x", "h_prev", "W_c", "W_h",
                                                                "W_x")),
                        lhs=(model.tensors["c"], model.tensors[w]), prepare=model.forward,
                        sizes=r.sizes, size_names=(n, m))
    seq = ("x", "W_c", "W_h", "W_x", "delta")

    def instance(seed: int) -> Instance:
        nn, mm, KK = _RNN_SIZES[seed % len(_RNN_SIZES)]
        rng = _rng(seed, 2)
        params = {w: rng.normal(scale=0.8, size=(mm, nn if w != "W_h" else mm))
                  for w in ("W_c", "W_h", "W_x")}
        xs, deltas = rng.normal(size=(KK, nn)), rng.normal(size=(KK, mm))
        series = {k: [] for k in ("h_prev", "z", "c", "u", "h")}
        h = np.zeros(mm)
        for x in xs:
            env = model.forward({**params, "x": x, "h_prev": h}, {n: nn, m: mm})
            for k in series:
                series[k].append(env[k])
            h = env["h"]
        series = {"x": xs, "delta": deltas, **{k: np.array(v) for k, v in series.items()}}
        for w, q in jacobians.items():
            series[f"dh_d{w}"] = np.array([q.evaluate(
                {"x": xs[s], "h_prev": series["h_prev"][s], **params}, n=nn, m=mm)
                for s in range(KK)], dtype=float)
        now = KK - 1
        arrays = {**params, **{k: v[now] for k, v in series.items()}}
        point = {"x": xs[now], "h_prev": series["h_prev"][now], **params}
        lazy = {f"dc_d{w}": ((mm, *(mm if d == m else nn if d == n else d for d in shape)),
                             lambda w=w: np.asarray(gate_jacobian(w).evaluate(point, n=nn, m=mm),
                                                    dtype=float))
                for w, shape in gate_wrt.items()}
        arrays = LazyArrays(arrays, lazy)
        return Instance({"n": nn, "m": mm, "K": KK}, arrays, series, now,
                        f"n={nn}, m={mm}, K={KK}, random weights and inputs (seed {seed}), "
                        f"t = K")

    def sequence(inst: Instance) -> dict:
        return {k: inst.series[k] if k in ("x", "delta") else inst.arrays[k] for k in seq}

    truths = {(name, None): (lambda name=name: _tensor_truth(name, shapes[name],
                                                               _latex(specs, name)))
              for name in shapes}
    for name in ("z", "c", "u", "h"):
        truths[(name, None)] = lambda name=name: quantity_truth(
            r.value(name), name, None, (m,), ())
    for w in ("W_x", "W_c", "W_h", "x", "h_prev"):
        truths[("h", w)] = lambda w=w: quantity_truth(r.jacobian(w), "h", w, (m,), shapes[w])
    for w in ("W_x", "W_c", "W_h"):
        truths[("loss", w)] = lambda w=w: quantity_truth(r.grad(w, K), "loss", w, (),
                                                         shapes[w], inputs=sequence)
    truths[("loss", "h")] = lambda: Truth("loss", "h", (), (m,), specs[-1].latex,
                                          lambda inst: inst.arrays["delta"])

    def derive(of: str, wrt: str | None) -> Truth:
        if of not in model.tensors or wrt not in model.tensors:
            raise UnknownNameError(f"question {qid} has no quantity d {of} / d {wrt}; the "
                                   f"model's tensors are {', '.join(model.tensors)} (and "
                                   f"the loss)")
        element, I, J = model.derivative(of, wrt)
        inputs = tuple(model.tensors[k] for k in ("x", "h_prev", "W_c", "W_h", "W_x"))
        q = Quantity(rf"\frac{{\partial {_latex(specs, of)}}}{{\partial {_latex(specs, wrt)}}}",
                     element, I + J, shapes[of] + shapes[wrt], tensors=model.tensors,
                     inputs=inputs, lhs=(model.tensors[of], model.tensors[wrt]),
                     prepare=model.forward, sizes=r.sizes, size_names=(n, m))
        return quantity_truth(q, of, wrt, shapes[of], shapes[wrt])

    return Context(qid, title, specs, instance, truths, default,
                   scalars={"n": n, "m": m, "K": K}, derive=derive, time="t",
                   zero_before=("h",),
                   about={"n": "the input size", "m": "the hidden size",
                          "K": "the number of steps"})


def _latex(specs, name: str) -> str:
    return next(t.latex for t in specs if t.name == name)


# AttentionRNN -------------------------------------------------------------------------
_ATT_SIZES = ((3, 2), (2, 3), (4, 2))  # (n, k) per seed, k used where k is symbolic
_STEPS = 5


def _slots(k: int, n) -> list[TensorSpec]:
    specs = []
    for i in range(k + 1):
        for head in ("Q", "K", "V"):
            specs.append(TensorSpec(f"{head}_{i}", (n, n), f"{head}_{i}", (), "a weight"))
        for head in ("q", "k", "v"):
            specs.append(TensorSpec(f"{head}_{i}", (n,), f"{head}_{i}[t]", (), "a projection"))
        specs.append(TensorSpec(f"w_{i}", (), f"w_{i}[t]", (), f"the score of slot {i}"))
        specs.append(TensorSpec(f"a_{i}", (), f"a_{i}[t]", (), f"the weight of slot {i}"))
    return specs


def _attention_step(att, k: int, seed: int, salt: int, nn: int):
    """A random sequence through AttentionRNN(k): the forward pass at its last step."""
    rng = _rng(seed, salt)
    Q, K, V = (rng.normal(scale=0.7, size=(k + 1, nn, nn)) for _ in range(3))
    xs = rng.normal(size=(_STEPS, nn))
    H, J = att.unroll(xs, Q, K, V, {size("k"): k})
    now = _STEPS - 1
    window = np.array([H[now - i] for i in range(1, k + 1)])
    env = att.model.forward({"x": xs[now], "h": window, "Q": Q, "K": K, "V": V},
                            {size("n"): nn, size("k"): k})
    return Q, K, V, xs, H, J, window, env, now


def _attention_context(qid: str, title: str, default) -> Context:
    from ..layers.attention_rnn import AttentionRNN

    k = 2
    n = size("n")
    att = AttentionRNN(k=k, input_size=n)
    model = att.model
    specs = [TensorSpec("x", (n,), "x[t]", ("x",), "the input"),
             TensorSpec("h", (n,), "h[t]", ("h",), "the state"),
             *[TensorSpec(f"h_{i}", (n,), f"h[t-{i}]", (), "a past state")
               for i in range(1, k + 1)],
             *_slots(k, n),
             TensorSpec("w", (size("k") + 1,), "w[t]", (), "the attention scores", base=0),
             TensorSpec("a", (size("k") + 1,), "a[t]", (), "the attention weights", base=0),
             TensorSpec("v", (k + 1, n), "v[t]", (), "the values v_i[t], slot i = 0..k",
                        base=0, family=True)]
    # the one-step Jacobians of its intermediates, which a claim may write on its right
    # side (v_0[t] \frac{\partial a_0[t]}{\partial h[t-1]}): a scalar's is a 1 x n row
    steps = [(f"{head}_{i}", f"h_{lag}") for head in ("a", "w", "v", "q", "k")
             for i in range(k + 1) for lag in range(1, k + 1)]
    specs += [TensorSpec(f"d{of}_d{wrt}", ((1, n) if of[0] in "aw" else (n, n)),
                         rf"\frac{{\partial {of}[t]}}{{\partial h[t-{wrt[2:]}]}}",
                         (rf"\frac{{\partial {of}}}{{\partial h[t-{wrt[2:]}]}}",),
                         "a one-step Jacobian") for of, wrt in steps]
    shapes = {t.name: t.shape for t in specs}

    def instance(seed: int) -> Instance:
        nn = _ATT_SIZES[seed % len(_ATT_SIZES)][0]
        Q, K, V, xs, H, J, window, env, now = _attention_step(att, k, seed, 3, nn)
        arrays = {"x": xs[now], "h": env["ht"], "w": env["w"], "a": env["a"],
                  "v": np.asarray(env["v"], dtype=float),
                  "h@": window, "Q@": Q, "K@": K, "V@": V}
        for i in range(k + 1):
            arrays.update({f"Q_{i}": Q[i], f"K_{i}": K[i], f"V_{i}": V[i],
                           f"q_{i}": env["q"][i], f"k_{i}": env["key"][i],
                           f"v_{i}": env["v"][i], f"w_{i}": env["w"][i],
                           f"a_{i}": env["a"][i]})
        for i in range(1, k + 1):
            arrays[f"h_{i}"] = window[i - 1]
        lazy = {f"d{of}_d{wrt}": ((1, nn) if of[0] in "aw" else (nn, nn),
                                  lambda of=of, wrt=wrt: np.asarray(
                                      _slot_truth(of, wrt).value(inst), dtype=float).reshape(
                                          (1, nn) if of[0] in "aw" else (nn, nn)))
                for of, wrt in steps}  # derived only if a claim reads it
        inst = Instance({"n": nn, "k": k}, LazyArrays(arrays, lazy), {"x": xs, "h": H}, now,
                        f"n={nn}, a random sequence of {_STEPS} steps (seed {seed}), t = "
                        f"{_STEPS}")
        return inst

    def step_inputs(inst: Instance) -> dict:
        return {"x": inst.arrays["x"], "h": inst.arrays["h@"], "Q": inst.arrays["Q@"],
                "K": inst.arrays["K@"], "V": inst.arrays["V@"]}

    truths = {(name, None): (lambda name=name: _tensor_truth(name, shapes[name],
                                                               _latex(specs, name)))
              for name in shapes}
    for lag in range(1, k + 1):
        truths[("h", f"h_{lag}")] = lambda lag=lag: quantity_truth(
            att.state_jacobian(lag), "h", f"h_{lag}", (n,), (n,), inputs=step_inputs)
    truths[("a", "w")] = lambda: quantity_truth(
        att.jacobian_parts(1)["da/dw"], "a", "w", (k + 1,), (k + 1,), inputs=step_inputs)
    names = {"h": "ht", "x": "x", "a": "a", "w": "w"}
    # every tensor of the claim's spelling as (model tensor, slot or None): q_1[t] is slot 1
    # of q, h[t-1] slot 0 of the window h, Q_2 slot 2 of Q
    slots = {**{name: (model_name, None) for name, model_name in names.items()},
             "v": ("v", None),
             **{f"h_{lag}": ("h", lag - 1) for lag in range(1, k + 1)},
             **{f"{head}_{i}": (tensor, i) for i in range(k + 1)
                for head, tensor in (("q", "q"), ("k", "key"), ("v", "v"), ("Q", "Q"),
                                     ("K", "K"), ("V", "V"), ("w", "w"), ("a", "a"))}}

    def derive(of: str, wrt: str | None) -> Truth:
        if of in slots and wrt in slots and not (of in names and wrt in names):
            return _slot_truth(of, wrt)
        if of not in names or wrt not in names:
            raise UnknownNameError(
                f"question {qid} derives its tensors (h[t], a[t], w[t], q_i[t], k_i[t], "
                f"v_i[t]) with respect to x[t], h[t-i] (i = 1..{k}) or its weights, not "
                f"d {of} / d {wrt}")
        element, I, J = model.derivative(names[of], names[wrt])
        inputs = tuple(model.tensors[t] for t in ("x", "h", "Q", "K", "V"))
        q = Quantity(rf"\frac{{\partial {_latex(specs, of)}}}{{\partial {_latex(specs, wrt)}}}",
                     element, I + J, shapes[of] + shapes[wrt], tensors=model.tensors,
                     inputs=inputs, lhs=(model.tensors[names[of]], model.tensors[names[wrt]]),
                     prepare=model.forward, sizes=att.sizes,
                     size_names=(n,))
        return quantity_truth(q, of, wrt, shapes[of], shapes[wrt], inputs=step_inputs)

    def _slot_truth(of: str, wrt: str) -> Truth:
        """d of / d wrt for slots of the model's tensors: the derivative of the whole
        tensors, evaluated, then read at the two slots."""
        (m_of, i_of), (m_wrt, i_wrt) = slots[of], slots[wrt]
        element, I, J = model.derivative(m_of, m_wrt)
        t_of, t_wrt = model.tensors[m_of], model.tensors[m_wrt]
        q = Quantity(rf"\frac{{\partial {_latex(specs, of)}}}{{\partial {_latex(specs, wrt)}}}",
                     element, I + J, tuple(t_of.shape) + tuple(t_wrt.shape),
                     tensors=model.tensors,
                     inputs=tuple(model.tensors[t] for t in ("x", "h", "Q", "K", "V")),
                     lhs=(t_of, t_wrt), prepare=model.forward, sizes=att.sizes,
                     size_names=(n,))
        whole = quantity_truth(q, m_of, m_wrt, t_of.shape, t_wrt.shape, inputs=step_inputs)
        at = ((i_of,) if i_of is not None else (slice(None),) * len(t_of.shape)) + \
             ((i_wrt,) if i_wrt is not None else (slice(None),) * len(t_wrt.shape))
        if i_of is not None:
            at = (i_of, *(slice(None),) * (len(t_of.shape) - 1)) + at[1:]
        if i_wrt is not None:
            at = at[:len(at) - 1] + (i_wrt, *(slice(None),) * (len(t_wrt.shape) - 1))
        return Truth(of, wrt, shapes[of], shapes[wrt],
                     rf"\frac{{\partial {_latex(specs, of)}}}{{\partial {_latex(specs, wrt)}}}",
                     lambda inst: whole.value(inst)[at])

    return Context(qid, title, specs, instance, truths, default,
                   scalars={"n": n, "k": size("k")}, fixed={"k": k},
                   derive=derive, time="t", zero_before=("h",),
                   about={"n": "the state size", "k": "the window (AttentionRNN(2): k = 2)",
                          3: "k + 1 = 3 slots: x[t], h[t-1], h[t-2]"})


def _attention_grad_context() -> Context:
    from ..layers.attention_rnn import AttentionRNN

    n, k, T, L = size("n"), size("k"), size("T"), size("L")
    att = AttentionRNN(k=k, input_size=n)
    q = att.grad_state("T", "L", via="total")
    # h[T] is declared before h[t]: the parser reads h[t - 1] through the last declared
    # four-token spelling h[.]
    specs = [TensorSpec("x", (n,), "x[t]", ("x",), "the input"),
             TensorSpec("h_T", (n,), "h[T]", (), "the state at T"),
             TensorSpec("h", (n,), "h[t]", ("h",), "the state"),
             TensorSpec("D", (n, n), r"\frac{\partial h[t]}{\partial h[T]}", (),
                        "the total Jacobian of h[t] with respect to h[T]"),
             TensorSpec("g_T", (n,), "g[T]",
                        (r"\frac{\partial \ell}{\partial h[T]}\Big|_{\text{direct}}",),
                        "the direct partial of the loss with respect to h[T]",
                        gradient=True),
             TensorSpec("g", (n,), "g[t]",
                        (r"\frac{\partial \ell}{\partial h[t]}\Big|_{\text{direct}}",),
                        "the direct partial of the loss with respect to h[t]",
                        gradient=True),
             TensorSpec("delta", (n,), r"\frac{\partial \ell}{\partial h[t]}",
                        (r"\delta[t]",),
                        "the total gradient of the loss with respect to h[t]", gradient=True),
             TensorSpec("Jp", (n, n), r"J[t]", (),
                        "the one-step partial Jacobian of h[t] with respect to h[T]")]

    def instance(seed: int) -> Instance:
        nn, kk = _ATT_SIZES[seed % len(_ATT_SIZES)]
        big = AttentionRNN(k=kk, input_size=n)
        rng = _rng(seed, 4)
        Q, K, V = (rng.normal(scale=0.7, size=(kk + 1, nn, nn)) for _ in range(3))
        xs, g = rng.normal(size=(_STEPS, nn)), rng.normal(size=(_STEPS, nn))
        H, J = big.unroll(xs, Q, K, V)
        TT = 2
        D = total_jacobians(J, TT)
        delta, Jp = backward(g, J), np.zeros_like(D)
        for r in range(_STEPS):
            i = r + 1 - TT
            Jp[r] = np.eye(nn) if i == 0 else J[r, i - 1] if 1 <= i <= J.shape[1] else 0.0
        arrays = {"x": xs[-1], "h": H[-1], "h_T": H[TT - 1], "D": D[-1], "g": g[-1],
                  "g_T": g[TT - 1], "delta": delta[-1], "Jp": Jp[-1],
                  "Q@": Q, "K@": K, "V@": V}
        return Instance({"n": nn, "k": kk, "T": TT, "L": _STEPS, "K": _STEPS}, arrays,
                        {"x": xs, "h": H, "D": D, "g": g, "delta": delta, "Jp": Jp},
                        _STEPS - 1,
                        f"n={nn}, k={kk}, T={TT}, L={_STEPS} steps, random weights (seed {seed})")

    def inputs(inst: Instance) -> dict:
        a = inst.arrays
        return {"x": inst.series["x"], "Q": a["Q@"], "K": a["K@"], "V": a["V@"],
                "g": inst.series["g"]}

    truth = quantity_truth(q, "loss", "h_T", (), (n,), inputs=inputs)
    truths = {("loss", "h_T"): lambda: truth}
    return Context("1.2.2.f", "dl/dh[T] for AttentionRNN(k)", specs, instance, truths,
                   ("loss", "h_T"), scalars={"n": n, "k": k, "T": T, "L": L, "K": size("K")},
                   loss=(r"\ell", "l", "L", r"\mathcal{L}"), time="t", zero_before=("h",),
                   about={"n": "the state size", "L": "the number of steps",
                          "K": "the number of steps, as 1.2.1 names it (t = 1..K)"},
                   readings=_jacobian_readings)


_TOTAL_READING = (r"read as the sum over every later state: \frac{\partial h[t]}{\partial h[T]} "
                  r"is the total Jacobian (every path from h[T] to h[t]), which pairs with the "
                  r"direct partials g[t]")
_DIRECT_READING = (r"; the claim's \frac{\partial \ell}{\partial h[t]} are read as the direct "
                   r"partials g[t]: it also counts \frac{\partial \ell}{\partial h[T]} on the "
                   r"right, where a total gradient would make the equation circular")
_PARTIAL_READING = (r"read as the recursion over the k states h[T] feeds: "
                    r"\frac{\partial h[T+i]}{\partial h[T]} is the one-step partial Jacobian "
                    r"(other states fixed), which pairs with the total gradients "
                    r"\frac{\partial \ell}{\partial h[T+i]}")


def _jacobian_readings(rhs: sp.Expr) -> list[tuple[dict, str]]:
    """1.2.2.f's two consistent answers: a sum over every later state (upper bound L) uses
    total Jacobians, a sum over the k states h[T] feeds uses one-step partial Jacobians;
    a claim without such a sum is judged in both."""
    D, delta, g, Jp = (sp.Symbol(x, commutative=False) for x in ("D", "delta", "g", "Jp"))
    if not rhs.has(D):
        return []
    sums = [s for s in rhs.atoms(sp.Sum) if s.function.has(D)]
    at_T = [e for e in rhs.atoms(AtTime) if e.args[0] == delta and str(e.args[1]) == "T"]
    T = sp.Symbol("T", integer=True, positive=True)
    circular = bool(at_T) or any(s.function.has(delta) and (lo - T).is_nonpositive
                                 for s in sums for _, lo, _ in s.limits)
    readings = [({delta: g} if circular else {},
                 _TOTAL_READING + (_DIRECT_READING if circular else "")),
                ({D: Jp, **{e: AtTime(g, e.args[1]) for e in at_T}}, _PARTIAL_READING)]
    spans = [sp.expand(hi - lo + 1) for s in sums for _, lo, hi in s.limits]
    names = [{x.name for x in d.free_symbols} for d in spans]
    if any(str(d) == "k" for d in spans):
        return readings[1:]
    if any("L" in x for x in names) or any(d.has(sp.oo) for d in spans):
        return readings[:1]
    return readings


# the systems of 1.2.2.c and 1.2.2.d ---------------------------------------------------------
# What a claimed system is judged against: the AttentionRNN layer's model, run for k = 2 and
# 3 (AttentionRNN(k)) or with its window growing with t (AttentionRNN(inf)); a claimed weight
# in the rule of q, k or v at slot i reads Q, K or V of that slot (slot 0 is x[t]'s; for
# AttentionRNN(inf) every past slot reads the one shared Q_h, K_h, V_h).
_ROLES = {"q": "Q", "k": "K", "v": "V"}


def _attention_bind(shared: bool):
    from ..verify.systems import SystemProblem

    def bind(use, params):
        if use.role not in _ROLES or use.slot is None:
            raise SystemProblem(f"{use.name} is not read by q_i, k_i or v_i")
        index = (0 if use.slot == 0 else 1) if shared else use.slot
        return params[_ROLES[use.role]][index]

    return bind


def _attention_findings(shared: bool):
    """What is structurally wrong with a system for AttentionRNN(k) or (inf): its weight
    sharing (per slot or tied) and its window (k, or the t - 1 past states)."""

    def findings(st) -> list[str]:
        window = st.window
        syms = {s.name for s in window.free_symbols} if window is not None else set()
        per_slot = [r for r, how in st.sharing.items() if how == "per slot"]
        tied = [r for r, how in st.sharing.items() if how in ("shared", "one weight")]
        out = []
        if shared:
            if per_slot and "k" in syms:
                weights = ", ".join(sorted({_ROLES[r] + "_i" for r in per_slot}))
                out.append(f"This is AttentionRNN(k): no weight sharing ({weights} per lag) "
                           f"and a fixed window of k past states; k is not a parameter of "
                           f"AttentionRNN(inf), which reads every one of the t - 1 past "
                           f"states with one shared Q_h, K_h, V_h (and Q_0, K_0, V_0 for "
                           f"x[t]).")
                return out
            if per_slot:
                out.append("No weight sharing: each lag has its own weights, so the "
                           "parameters would grow with t; AttentionRNN(inf) ties Q_1 = Q_2 = "
                           "... = Q_h (likewise K and V).")
            if "k" in syms or (window is not None and "t" not in syms):
                out.append(f"The window ends at slot {window}: AttentionRNN(inf) attends over "
                           f"all t - 1 past states, and k is not one of its parameters.")
            for r, how in st.sharing.items():
                if how == "one weight":
                    out.append(f"{r}_0[t] uses the same weight as the past states; x[t] has "
                               f"its own Q_0, K_0, V_0.")
            return out
        if tied:
            out.append("The past states share one weight: that is the weight sharing of "
                       "AttentionRNN(inf); AttentionRNN(k) has its own Q_i, K_i, V_i for each "
                       "slot i = 0..k.")
        if window is not None and "k" not in syms:
            out.append(f"The window ends at slot {window}; AttentionRNN(k) attends over x[t] "
                       f"and the last k states, slots 0..k.")
        return out

    return findings


@cache
def attention_reference(shared: bool):
    """The reference a system of AttentionRNN(k) (``shared`` False) or AttentionRNN(inf)
    is judged against (``symgrad.verify.systems``)."""
    from ..layers.attention_rnn import AttentionRNN
    from ..verify.systems import Reference, Variant

    n = 3
    variants = []
    for k in ((None,) if shared else (2, 3)):
        layer = AttentionRNN(k=k, input_size=n)
        sizes, growing = layer.run_sizes(n)
        label = "AttentionRNN(inf)" if shared else f"AttentionRNN({k})"
        variants.append(Variant(label, sizes, {"k": k}, k, growing))
    # one symbolic cell for every k: the variants set its sizes
    return Reference(
        "AttentionRNN(inf)" if shared else "AttentionRNN(k)", layer.model, tuple(variants),
        bind=_attention_bind(shared), families=tuple(_ROLES),
        findings=_attention_findings(shared),
        summary=("shared weights over every past state, window t - 1" if shared else
                 "weights per slot, window k"),
        hint="slot 0 reads x[t]", source="the layer")


def check_attention_system(claim, index_base: int, text: str, shared: bool):
    """A claimed system of equations for AttentionRNN(k) or AttentionRNN(inf)."""
    from ..verify.systems import check_system

    return check_system(claim, index_base, text, attention_reference(shared))


def _register_attention_references() -> None:
    from ..verify.systems import register_reference

    for shared in (False, True):
        register_reference(shared, lambda shared=shared: attention_reference(shared))


_register_attention_references()


def _system_context(qid: str, shared: bool) -> Context:
    n = size("n")
    specs = [TensorSpec("x", (n,), "x[t]", ("x",), "the input"),
             TensorSpec("h", (n,), "h[t]", ("h",), "the state")]
    what = "AttentionRNN(inf)" if shared else "AttentionRNN(k)"

    def instance(seed: int) -> Instance:
        raise UnknownNameError(f"question {qid} asks for the system of {what}: write its "
                               f"equations, e.g. q_i[t] = ..., a[t] = ..., h[t] = ...")

    def system(claim, index_base: int, text: str):
        return check_attention_system(claim, index_base, text, shared)

    return Context(qid, f"the system of {what}", specs, instance, {}, None,
                   scalars={"n": n}, time="t", zero_before=("h",), system=system)


_BUILDERS = {
    "1.1.a": _c11a,
    "1.1.b": _c11b,
    "1.1.c.i": cache(lambda: _c11c("1.1.c.i", ("y", None), "output of the 1-D convolution")),
    "1.1.c.ii": cache(lambda: _c11c("1.1.c.ii", ("y", "W"), "Jacobian of f_W(x) w.r.t. W")),
    "1.1.c.iii": cache(lambda: _c11c("1.1.c.iii", ("y", "x"), "Jacobian of f_W(x) w.r.t. x")),
    "1.1.c.iv": cache(lambda: _c11c("1.1.c.iv", ("loss", "W"), "dl/dW given dl/df_W(x)")),
    "1.2.1.b": cache(lambda: rnn_context("1.2.1.b", "dimension of c[t]", ("c", None))),
    "1.2.1.c": cache(lambda: rnn_context("1.2.1.c", "dl/dW_x over K steps",
                                          ("loss", "W_x"))),
    "1.2.1.d": cache(lambda: rnn_context("1.2.1.d", "the state Jacobian dh[t]/dh[t-1]",
                                          ("h", "h_prev"))),
    "1.2.2.b": cache(lambda: _attention_context("1.2.2.b", "dimension of a[t]", ("a", None))),
    "1.2.2.c": cache(lambda: _system_context("1.2.2.c", shared=False)),
    "1.2.2.d": cache(lambda: _system_context("1.2.2.d", shared=True)),
    "1.2.2.e": cache(lambda: _attention_context("1.2.2.e", "dh[t]/dh[t-1] of AttentionRNN(2)",
                                                ("h", "h_1"))),
    "1.2.2.f": cache(_attention_grad_context),
}
