"""Answers to hw2 1.2.1 (b)-(d), the gated RNN, built from the GatedRNN layer's derivations.

Every formula comes from a Quantity of the layer; the norm bound of (d) is derived from
the state Jacobian's matrix form by the rules in ``norm_bound``, and the experiment of
(d) evaluates the state Jacobians through the layer's quantity.
"""

from __future__ import annotations

import io
from functools import cache

import numpy as np
import sympy as sp

from ..core.ops import Diag, Hadamard
from ..core.quantity import latex_dims
from ..core.tensor import size
from ..layers.gated_rnn import GatedRNN, RNNQuantity, TimePrinter
from .base import Answer

FIGURE = "rnn_jacobian_norms.png"
STEPS = 300
HIDDEN = 32
SEED = 0
# (label, scale of W_h, scale of W_x): entries N(0, scale^2 / size); W_c has scale 1
REGIMES = (("small", 0.1, 0.3), ("moderate", 1.0, 3.0), ("large", 3.0, 10.0))


# the engine's results ------------------------------------------------------------------
@cache
def rnn() -> GatedRNN:
    """The gated RNN with symbolic sizes n (input) and m (hidden)."""
    return GatedRNN(size("n"), size("m"))


def steps_symbol() -> sp.Symbol:
    return size("K")


def _display(*lines: str) -> str:
    return "\n".join(r"\[ " + line + r" \]" for line in lines)


def _lines(equations: str) -> str:
    """Equations joined by ``, \\quad`` shown one per line."""
    parts = equations.split(r", \quad ")
    return "\n".join([r"\begin{gather*}", (r", \\" + "\n").join(parts), r"\end{gather*}"])


def _shape(name: str) -> str:
    return latex_dims(rnn().shape(name))


# 1.2.1.b ---------------------------------------------------------------------------
def answer_1_2_1_b(index_base: int = 1) -> Answer:
    """c[t] has the hidden size m: W_c x[t] and W_h h[t-1] are in R^m and sigma keeps it."""
    r = rnn()
    z, c = r.value("z"), r.value("c")
    latex = "\n".join([
        r"\paragraph{Dimension of the gate.} The gate is the element-wise sigmoid of",
        _display(z.latex(index_base=index_base) + r", \qquad " + c.latex(index_base=index_base),
                 z.latex("matrix") + r", \qquad " + c.latex("matrix")),
        rf"With $W_c \in \mathbb{{R}}^{{{_shape('W_c')}}}$, "
        rf"$x[t] \in \mathbb{{R}}^{{{_shape('x')}}}$, "
        rf"$W_h \in \mathbb{{R}}^{{{_shape('W_h')}}}$ and "
        rf"$h[t-1] \in \mathbb{{R}}^{{{_shape('h_prev')}}}$, both products are in "
        rf"$\mathbb{{R}}^{{{_shape('z')}}}$, and $\sigma$ acts entry by entry, so",
        _display(rf"c[t] \in \mathbb{{R}}^{{{_shape('c')}}}"),
        r"the hidden size: $c[t]$ gates $h[t-1]$ entry by entry in "
        r"$h[t] = c[t] \odot h[t-1] + (1 - c[t]) \odot W_x x[t]$, so it must have the "
        r"shape of $h[t]$.",
    ])
    return Answer("1.2.1.b", "Dimension of the gate c[t]", latex, quantity=c,
                  quantities={"z": z, "c": c})


# 1.2.1.c ---------------------------------------------------------------------------
def gradient_quantities() -> dict[str, RNNQuantity]:
    """The quantities of 1.2.1.c: immediate dh/dW_x, dl/dW_x (total and direct given)."""
    r, K = rnn(), steps_symbol()
    return {"jacobian_W_x": r.jacobian("W_x"), "grad_W_x": r.grad("W_x", K),
            "grad_W_x_direct": r.grad("W_x", K, given="direct"),
            "backward_step": r.backward_step(), "h": r.value("h")}


def answer_1_2_1_c(index_base: int = 1) -> Answer:
    """dl/dW_x in R^{m x n} (gradient layout): the sum over t of the immediate terms."""
    q = gradient_quantities()
    jac, grad, direct = q["jacobian_W_x"], q["grad_W_x"], q["grad_W_x_direct"]
    m, n = rnn().shape("W_x")
    b = index_base
    latex = "\n".join([
        r"\paragraph{Dimension.} $W_x$ enters every step, and $\ell$ is a scalar. In the "
        r"gradient layout (the shape of the parameter, used below)",
        _display(grad.shape_latex()),
        r"In the classic numerator layout, where the derivative of a scalar with respect "
        r"to an "
        rf"${latex_dims((m, n))}$ matrix is laid out ${latex_dims((n, m))}$, "
        rf"$\partial \ell / \partial W_x \in \mathbb{{R}}^{{{latex_dims((n, m))}}}$ is the "
        r"transpose of the result below.",
        r"\paragraph{Derivation.} Let $\delta[t] = \partial \ell / \partial h[t] \in "
        rf"\mathbb{{R}}^{{{_shape('h')}}}$ be the given gradients, read as the \emph{{total}} "
        r"derivatives (everything that flows from $h[t]$ into $\ell$, through later steps "
        r"too). $W_x$ reaches $\ell$ only through the $h[t]$, and the dependence of "
        r"$h[t-1]$ on $W_x$ is already inside $\delta[t-1]$, so the chain rule needs only "
        r"the \emph{immediate} Jacobian of one step, with $h[t-1]$ held fixed (numerator "
        rf"layout, $\mathbb{{R}}^{{{latex_dims(jac.shape)}}}$; $\delta_{{ij}}$ is the "
        r"Kronecker delta):",
        _display(jac.latex(index_base=b)),
        r"Summing over the steps and the entries of $h[t]$,",
        _display(r"\frac{\partial \ell}{\partial \left(W_x\right)_{ij}} = \sum_{t=1}^{K} "
                 r"\sum_{k=%s}^{%s} \delta[t]_{k} \frac{\partial h[t]_{k}}{\partial "
                 r"\left(W_x\right)_{ij}}" % (b, "m" if b else "m - 1")),
        r"and the Kronecker delta collapses the sum over $k$:",
        _display(grad.latex(index_base=b), grad.latex("matrix")),
        r"If instead only the direct partials $g[t] = \partial^{+} \ell / \partial h[t]$ "
        r"are known (e.g.\ a loss on every output), the same formula holds with the total "
        r"gradients obtained by back-propagation through time (below).",
        r"\paragraph{Backward and forward pass.} The forward pass runs "
        r"$t = 1, \dots, K$:",
        _display(q["h"].latex("matrix")),
        r"and the backward pass runs the same gated recurrence backwards in time, "
        r"$t = K, \dots, 1$:",
        _lines(direct.recursion["matrix"]),
        r"\begin{itemize}",
        r"\item Both are leaky, gated recurrences: the same gate $c$ keeps a fraction of "
        r"the carried vector ($c[t] \odot h[t-1]$ forward, $c[t+1] \odot \delta[t+1]$ "
        r"backward) and a new term is injected at every step ($(1 - c[t]) \odot W_x x[t]$ "
        r"forward, $g[t]$ backward).",
        r"\item The backward pass uses the transposed weights ($W_h^{\top}$) and the "
        r"values stored by the forward pass ($c[t]$, $h[t-1]$, $W_x x[t]$); it is linear "
        r"in $\delta$ and has the same cost, $O(K(m^2 + mn))$.",
        r"\item The gradient reuses the forward pass's input gate: each step contributes "
        r"the outer product of $\delta[t] \odot (1 - c[t])$ with $x[t]$, where the forward "
        r"pass adds $(1 - c[t]) \odot W_x x[t]$; both are sums over the same $K$ steps.",
        r"\end{itemize}",
    ])
    return Answer("1.2.1.c", "dl/dW_x and back-propagation through time", latex,
                  quantity=grad, quantities=q)


# 1.2.1.d: the bound ----------------------------------------------------------------
class MaxEntry(sp.Function):
    """max_i v_i of a vector expression (matrix notation)."""

    nargs = 1


class MaxAbs(sp.Function):
    """max_i |v_i| of a vector expression: the operator norm of diag(v)."""

    nargs = 1


class OpNorm(sp.Function):
    """The spectral norm ||A||_2 of a matrix."""

    nargs = 1


def _gates() -> set[str]:
    """Names of the model's sigmoid outputs: entries in (0, 1), sigma' = c (1 - c) <= 1/4."""
    model = rnn().model
    return {name for name, d in model.definitions.items() if d.op == r"\sigma"}


def norm_bound(matrix: sp.Expr, gates: set[str]) -> sp.Expr:
    """An upper bound on the spectral norm of a matrix expression.

    Triangle inequality over sums, submultiplicativity over products,
    ||diag(v)|| = max_i |v_i|, |c_i| = c_i for a gate, and c_i (1 - c_i) <= 1/4.
    """
    if isinstance(matrix, sp.Add):
        return sp.Add(*[norm_bound(a, gates) for a in matrix.args])
    if isinstance(matrix, sp.Mul):
        coeff = sp.Mul(*[abs(f) for f in matrix.args if f.is_number])
        return coeff * sp.Mul(*[norm_bound(f, gates) for f in matrix.args if not f.is_number])
    if isinstance(matrix, Diag):
        return _diag_bound(matrix.args[0], gates)
    if isinstance(matrix, sp.Symbol):
        return OpNorm(matrix)
    raise ValueError(f"no norm rule for {matrix}")


def _diag_bound(v: sp.Expr, gates: set[str]) -> sp.Expr:
    factors = list(v.args) if isinstance(v, Hadamard) else [v]
    coeff = sp.Integer(1)
    for g in sorted(gates):
        gate = sp.Symbol(g, commutative=False)
        if gate in factors and 1 - gate in factors:
            factors.remove(gate)
            factors.remove(1 - gate)
            coeff *= sp.Rational(1, 4)
    if not factors:
        return coeff
    if len(factors) == 1 and factors[0].is_Symbol and factors[0].name in gates:
        return coeff * MaxEntry(factors[0])
    return coeff * MaxAbs(factors[0] if len(factors) == 1 else Hadamard(*factors))


def bound_latex(bound: sp.Expr, tensors: dict) -> str:
    """LaTeX of a bound: max over entries, |.| and ||.||_2 written out."""
    printer = TimePrinter(tensors, {})

    def entry(v):
        text = printer.doprint(v)
        return (r"\left(" + text + r"\right)_{i}") if not v.is_Symbol else text + "_{i}"

    def factor(f) -> str:
        if isinstance(f, MaxEntry):
            return r"\max_{i} " + entry(f.args[0])
        if isinstance(f, MaxAbs):
            return r"\max_{i} \left|" + entry(f.args[0]) + r"\right|"
        if isinstance(f, OpNorm):
            return r"\lVert " + printer.doprint(f.args[0]) + r" \rVert_{2}"
        return sp.latex(f)

    def term(t) -> str:
        coeff, factors = t.as_coeff_mul()
        ordered = sorted(factors, key=lambda f: isinstance(f, OpNorm))
        parts = ([] if coeff == 1 else [sp.latex(coeff)]) + [factor(f) for f in ordered]
        return " ".join(parts)

    terms = sorted(sp.Add.make_args(bound), key=lambda t: len(t.atoms(sp.Function)))
    return " + ".join(term(t) for t in terms)


def evaluate_bound(bound: sp.Expr, env: dict, norms: dict | None = None) -> float:
    """The bound for the arrays of one step (c, h_prev, u, W_h, ...); ``norms``: operator
    norms computed once for the parameters (W_h is the same at every step)."""
    def vec(e):
        if e.is_Symbol:
            return np.asarray(env[e.name], dtype=float)
        if e.is_number:
            return float(e)
        parts = [vec(a) for a in e.args]
        if isinstance(e, sp.Add):
            return sum(parts)
        if isinstance(e, sp.Mul | Hadamard):
            return np.prod(np.broadcast_arrays(*parts), axis=0)
        raise ValueError(f"cannot evaluate {e}")

    def scalar(e):
        if isinstance(e, MaxEntry):
            return float(np.max(vec(e.args[0])))
        if isinstance(e, MaxAbs):
            return float(np.max(np.abs(vec(e.args[0]))))
        if isinstance(e, OpNorm):
            name = e.args[0].name
            if norms is not None and name in norms:
                return norms[name]
            return float(np.linalg.norm(env[name], 2))
        if e.is_number:
            return float(e)
        parts = [scalar(a) for a in e.args]
        return float(np.sum(parts)) if isinstance(e, sp.Add) else float(np.prod(parts))

    return scalar(bound)


def state_jacobian_bound() -> tuple[RNNQuantity, sp.Expr]:
    """The state Jacobian and the bound on its norm derived from its matrix form."""
    q = rnn().state_jacobian()
    return q, norm_bound(q.matrix, _gates())


# 1.2.1.d: the experiment -----------------------------------------------------------
def jacobian_norms(scale_h: float, scale_x: float, steps: int = STEPS, hidden: int = HIDDEN,
                   seed: int = SEED) -> dict[str, np.ndarray]:
    """||dh[t]/dh[0]||_2 for t = 1..steps on random weights and inputs, with the bound.

    The state Jacobians come from the layer's ``state_jacobians`` quantity; their product
    is renormalised at every step, so its log-norm stays exact without overflow.
    """
    rng = np.random.default_rng(seed)
    scale = 1.0 / np.sqrt(hidden)
    arrays = {"W_c": scale * rng.standard_normal((hidden, hidden)),
              "W_h": scale_h * scale * rng.standard_normal((hidden, hidden)),
              "W_x": scale_x * scale * rng.standard_normal((hidden, hidden)),
              "x": rng.standard_normal((steps, hidden))}
    q = GatedRNN(hidden, hidden).state_jacobians(steps)
    env, sizes = q.environment(arrays)  # one sequence pass: the Jacobians and the bound
    jacobians = q.value_in(env, sizes)
    _, bound = state_jacobian_bound()
    norms = {"W_h": float(np.linalg.norm(arrays["W_h"], 2))}  # one SVD, not one per step
    product, log_norm = np.eye(hidden), 0.0
    log10_norms, log10_bounds = np.zeros(steps), np.zeros(steps)
    for t in range(steps):
        product = jacobians[t] @ product
        s = np.linalg.norm(product, 2)
        log_norm += np.log10(s) if s > 0 else -np.inf
        product = product / s if s > 0 else product
        log10_norms[t] = log_norm
        step_env = {"c": env["c"][t], "h_prev": env["h_prev"][t], "u": env["u"][t],
                    "W_h": arrays["W_h"]}
        log10_bounds[t] = np.log10(evaluate_bound(bound, step_env, norms))
    return {"log10_norm": log10_norms, "log10_bound": np.cumsum(log10_bounds)}


@cache
def experiment(steps: int = STEPS, hidden: int = HIDDEN, seed: int = SEED) -> dict:
    """The three regimes of REGIMES: label -> log10 norms and bounds over the steps."""
    return {label: jacobian_norms(sh, sx, steps, hidden, seed)
            for label, sh, sx in REGIMES}


def plot_png(results: dict) -> bytes:
    """The log10 norms against the number of steps, as deterministic PNG bytes."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 3.8))
    ax = fig.subplots()
    for (label, sh, sx), data in zip(REGIMES, results.values(), strict=True):
        steps = np.arange(1, len(data["log10_norm"]) + 1)
        ax.plot(steps, data["log10_norm"],
                label=rf"{label}: $W_h$ scale {sh:g}, $W_x$ scale {sx:g}")
    ax.axhline(0.0, color="0.5", linewidth=0.8)
    ax.set_xlabel("number of steps $t$")
    ax.set_ylabel(r"$\log_{10} \|\partial h[t] / \partial h[0]\|_2$")
    ax.set_title(f"Products of state Jacobians, hidden size {HIDDEN}, random weights")
    ax.legend(fontsize=8)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, metadata={"Software": None})
    return buf.getvalue()


@cache
def figure_png() -> bytes:
    """The plot of the experiment, built once per process (1.2.1.d and 1.3.1 use it)."""
    return plot_png(experiment())


def _sci(log10: float) -> str:
    exponent = int(np.floor(log10))
    return rf"{10 ** (log10 - exponent):.1f} \times 10^{{{exponent}}}"


def answer_1_2_1_d(index_base: int = 1) -> Answer:
    """Yes, both: the product of state Jacobians shrinks or grows geometrically."""
    q, bound = state_jacobian_bound()
    tensors = dict(q.tensors)
    bound_text = bound_latex(bound, tensors)
    results = experiment()
    small_bound = results[REGIMES[0][0]]["log10_bound"][-1]
    rows = []
    for (label, sh, sx), data in zip(REGIMES, results.values(), strict=True):
        final = data["log10_norm"][-1]
        rows.append(rf"{label} & ${sh:g}$ & ${sx:g}$ & ${_sci(final)}$ & "
                    rf"${final / STEPS:+.3f}$ & ${data['log10_bound'][-1] / STEPS:.2f}$ \\")
    latex = "\n".join([
        r"\paragraph{Yes, both.} A loss at step $T$ reaches $h[s]$, $s < T$, through the "
        r"product of the state Jacobians of the steps in between:",
        _display(r"\frac{\partial h[T]}{\partial h[s]} = \frac{\partial h[T]}{\partial "
                 r"h[T-1]} \cdots \frac{\partial h[s+1]}{\partial h[s]}, \qquad \delta[s] = "
                 r"\sum_{T \ge s} \left(\frac{\partial h[T]}{\partial h[s]}\right)^{\top} "
                 r"g[T]."),
        r"The state Jacobian, from the chain rule over the model "
        r"(numerator layout, $" + latex_dims(q.shape) + "$):",
        _display(q.latex(index_base=index_base), q.latex("matrix")),
        r"\paragraph{A bound.} By the triangle inequality, "
        r"$\lVert AB \rVert_2 \le \lVert A \rVert_2 \lVert B \rVert_2$, "
        r"$\lVert \operatorname{diag}(v) \rVert_2 = \max_i |v_i|$, $c[t]_i \in (0, 1)$ and "
        r"$\sigma'(z) = c(1 - c) \le \frac{1}{4}$:",
        _display(r"\left\lVert \frac{\partial h[t]}{\partial h[t-1]} \right\rVert_{2} \le "
                 + bound_text + r", \qquad \left\lVert \frac{\partial h[T]}{\partial h[s]} "
                 r"\right\rVert_{2} \le \prod_{t=s+1}^{T} \left\lVert \frac{\partial h[t]}"
                 r"{\partial h[t-1]} \right\rVert_{2}."),
        r"Since $h[t]$ is a convex combination of $h[t-1]$ and $W_x x[t]$ and $h[0] = 0$, "
        r"$|h[t-1]_i| \le \max_{s < t} |(W_x x[s])_i|$, so the second term is at most "
        r"$\frac{1}{2} \max_{s \le t} \lVert W_x x[s] \rVert_{\infty} \lVert W_h "
        r"\rVert_{2}$.",
        r"\begin{itemize}",
        r"\item \emph{Vanishing.} If the gates stay below $\bar c < 1$ and "
        r"$\frac{1}{2} \max_s \lVert W_x x[s] \rVert_\infty \lVert W_h \rVert_2 < 1 - "
        r"\bar c$, every factor has norm at most $\rho < 1$ and "
        r"$\lVert \partial h[T] / \partial h[s] \rVert_2 \le \rho^{T-s} \to 0$: "
        r"gradients from distant steps vanish exponentially. This is the case for small "
        r"$W_h$ or small inputs, and for gates that tend to close ($c \to 0$, the state "
        r"is overwritten by $W_x x[t]$). On a converged trajectory (constant input) "
        r"$h[t-1] = W_x x[t]$, the second term is zero and the product is "
        r"$\operatorname{diag}(\prod_t c[t])$, which vanishes unless $c \approx 1$.",
        r"\item \emph{No vanishing with open gates.} With $c[t] \approx 1$ the Jacobian "
        r"is close to the identity: the state is copied, and so is the gradient (the "
        r"mechanism of the LSTM's forget gate).",
        r"\item \emph{Exploding.} The bound exceeds $1$ only through the second term,",
        r"\[ \tfrac{1}{4} \max_i |h[t-1]_i - (W_x x[t])_i| \lVert W_h \rVert_2 > 1 - "
        r"\max_i c[t]_i, \]",
        r"i.e.\ large $W_h$ together with a state far from the input "
        r"drive $W_x x[t]$ (large $W_x$ or inputs) and gates in their linear range (where "
        r"$c(1 - c)$ is not small). Then the norms can grow geometrically. The bound is "
        r"only necessary: large $W_h$ also saturates the gates, which shrinks "
        r"$c(1 - c)$ and limits the growth.",
        r"\end{itemize}",
        r"\paragraph{Experiment.} Hidden and input size " + str(HIDDEN) + r", "
        rf"{STEPS} steps, weights with i.i.d.\ entries $\mathcal{{N}}(0, s^2/{HIDDEN})$ "
        r"($s = 1$ for $W_c$), inputs $x[t] \sim \mathcal{N}(0, I)$, NumPy seed "
        rf"{SEED}; the state Jacobians are those above, evaluated along the trajectory "
        r"from $h[0] = 0$. The columns: the scales $s$ of $W_h$ and $W_x$, the norm of "
        r"the whole Jacobian, its $\log_{10}$ growth per step, and the $\log_{10}$ of the "
        r"bound per step.",
        r"\begin{center}",
        r"\begin{tabular}{lccccc}",
        r"regime & $W_h$ & $W_x$ & "
        rf"$\lVert \partial h[{STEPS}] / \partial h[0] \rVert_2$ & "
        r"$\log_{10}$ per step & bound \\",
        r"\hline",
        *rows,
        r"\end{tabular}",
        r"\end{center}",
        r"\begin{center}",
        r"\includegraphics[width=0.8\linewidth]{" + FIGURE + "}",
        r"\end{center}",
        r"Only the product of $\lVert W_h \rVert$ and the size of $W_x x[t]$ matters "
        r"(scaling $W_x$ by $a$ and $W_h$ by $1/a$ scales $h$ by $a$ and leaves the "
        r"gates and the Jacobians unchanged, since $W_c$ sees only $x[t]$): when it is "
        r"small the norms vanish geometrically, when it is large they explode. In the "
        r"small regime the bound itself decays (the product of the per-step bounds is "
        rf"${_sci(small_bound)}$ after {STEPS} steps), so the vanishing is guaranteed; in "
        r"the other two the bound exceeds one and is silent: it is a worst case over "
        r"entries and directions, and the measured norms stay far below it.",
    ])
    return Answer("1.2.1.d", "Vanishing and exploding gradients in the gated RNN", latex,
                  quantity=q, quantities={"state_jacobian": q},
                  files={FIGURE: figure_png()})
