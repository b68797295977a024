"""Answers to hw2 1.3 (debugging the LSTM loss curves), every number derived in code."""

from __future__ import annotations

import numpy as np
import sympy as sp

from .base import Answer

NUM_CLASSES = 4
SEQ_STEPS = (60, 80)
RADII = (sp.Rational(9, 10), sp.Integer(1), sp.Rational(11, 10))
SPIKE_LOSS = 4
CLIP_TAU = 1
LOGIT_SCALE = 0.1
SAMPLES = 10_000
SEED = 0
FIGURE = "rnn_jacobian_norms.png"


def _num(x: object, digits: int = 3) -> str:
    """A float rounded to ``digits`` decimals."""
    return f"{float(x):.{digits}f}"


def _tex(expr: sp.Expr) -> str:
    """SymPy LaTeX with ln for the natural logarithm."""
    return sp.latex(expr, ln_notation=True)


def _sci(x: object) -> str:
    """Three significant digits (integers from 100 on), scientific outside [0.01, 10^4)."""
    x = float(x)
    if 100 <= abs(x) < 1e4:
        return f"{x:.0f}"
    if 0.01 <= abs(x) < 100:
        return f"{x:.3g}"
    mantissa, exponent = f"{x:.2e}".split("e")
    return rf"{mantissa} \times 10^{{{int(exponent)}}}"


def softmax_loss(logits: list, true_class: int = 0) -> sp.Expr:
    """Cross-entropy -log softmax(logits)[true_class] = log sum_k exp(z_k - z_y).

    Numerator and denominator of the softmax are divided by exp(z_y) (exact), so the
    true class contributes exp(0) = 1 and equal logits collect into one term."""
    p = 1 / sum(sp.exp(z - logits[true_class]) for z in logits)
    return sp.log(1 / p)


def jacobian_power_table() -> dict[tuple, sp.Float]:
    """rho^T, the scale of a product of T state Jacobians with spectral radius rho."""
    return {(r, t): sp.N(r**t) for r in RADII for t in SEQ_STEPS}


def margin_loss() -> tuple[sp.Symbol, sp.Expr]:
    """Loss of the true class 0 when the other classes have logit M (true logit 0)."""
    M = sp.Symbol("M", real=True)
    return M, softmax_loss([sp.Integer(0)] + [M] * (NUM_CLASSES - 1))


def spike_margin(level: float = SPIKE_LOSS) -> tuple[sp.Expr, sp.Float]:
    """The margin M at which the loss reaches ``level``: exact (the equation is linear in
    e^M) and by nsolve."""
    M, loss = margin_loss()
    # loss = log(a e^M + b) with a > 0: exponentiate, solve the linear equation for e^M
    w = sp.Dummy("w", positive=True)
    arg = loss.args[0].subs(sp.exp(M), w)
    if not (isinstance(loss, sp.log) and arg.is_polynomial(w) and sp.degree(arg, w) == 1):
        raise ArithmeticError(f"the margin loss {loss} is not log(a e^M + b)")
    a, b = sp.Poly(arg, w).all_coeffs()
    root = sp.log((sp.exp(level) - b) / a)
    numeric = sp.nsolve(loss - level, M, 1)
    if abs(sp.N(root) - numeric) > 1e-12:
        raise ArithmeticError("the exact and the nsolve spike margins disagree")
    return sp.log(sp.together(sp.expand_log(root, force=True).args[0])), numeric


def clip_by_norm(g: np.ndarray, tau: float) -> np.ndarray:
    """Gradient-norm clipping g * min(1, tau / ||g||)."""
    norm = float(np.linalg.norm(g))
    return g * min(1.0, tau / norm) if norm > 0 else g


def uniform_loss() -> sp.Expr:
    """Cross-entropy of equal logits over the classes: log K."""
    z = sp.Symbol("z", real=True)
    return softmax_loss([z] * NUM_CLASSES)


def chance_accuracy() -> sp.Expr:
    """P(prediction = label) for a label-independent predictor and uniform labels."""
    q = sp.symbols(f"q:{NUM_CLASSES}", nonnegative=True)
    total = sum(qk * sp.Rational(1, NUM_CLASSES) for qk in q)
    return sp.expand(total.subs(q[-1], 1 - sum(q[:-1])))


def _normal_moment(e: int) -> sp.Integer:
    """E[u^e] for a standard normal u."""
    return sp.Integer(0) if e % 2 else sp.factorial2(e - 1)


def small_logit_excess() -> sp.Expr:
    """Second-order mean excess of the loss over log K for iid logits N(0, s^2)."""
    eps, s = sp.symbols("epsilon s", positive=True)
    u = sp.symbols(f"u:{NUM_CLASSES}", real=True)
    loss = sp.log(sum(sp.exp(eps * uk) for uk in u)) - eps * u[0]
    # Taylor: the eps^2 coefficient is the second derivative at eps = 0, halved
    quad = sp.expand(sp.diff(loss, eps, 2).subs(eps, 0) / 2)
    mean = sum(c * sp.Mul(*(_normal_moment(e) for e in mono))
               for mono, c in sp.Poly(quad, *u).terms())
    return sp.factor_terms(mean * s**2)


def simulate_initial(seed: int = SEED, n: int = SAMPLES,
                     scale: float = LOGIT_SCALE) -> tuple[float, float]:
    """Mean cross-entropy and accuracy of small random logits against uniform labels."""
    rng = np.random.default_rng(seed)
    logits = scale * rng.standard_normal((n, NUM_CLASSES))
    labels = rng.integers(0, NUM_CLASSES, size=n)
    shifted = logits - logits.max(axis=1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = float(-logp[np.arange(n), labels].mean())
    acc = float((logits.argmax(axis=1) == labels).mean())
    return loss, acc


def answer_1_3_1(index_base: int = 1) -> Answer:
    """1.3.1: the spikes are exploding gradients through 60-80 recurrent steps."""
    table = jacobian_power_table()
    t_lo, t_hi = SEQ_STEPS
    rows = " \\\\\n".join(
        rf"${_num(r, 1)}$ & ${_sci(table[r, t_lo])}$ & ${_sci(table[r, t_hi])}$" for r in RADII)
    latex = rf"""\paragraph{{Cause: exploding gradients.}}
The sequences of the temporal-order task are {t_lo}--{t_hi} steps long, and the label
depends on symbols seen early in the sequence, so the loss is back-propagated through
the whole recurrence. By the chain rule,
\begin{{equation*}}
\frac{{\partial \ell}}{{\partial \theta}}
= \sum_{{t=1}}^{{T}} \frac{{\partial \ell}}{{\partial h[T]}}
\Bigl(\prod_{{s=t+1}}^{{T}} J[s]\Bigr) \frac{{\partial^{{+}} h[t]}}{{\partial \theta}},
\qquad J[s] = \frac{{\partial h[s]}}{{\partial h[s-1]}},
\end{{equation*}}
($\partial^{{+}}$: the direct dependence at step $t$), a product of up to $T-1$ state
Jacobians. As in Question~1.2.1(d), where
$J[s] = \operatorname{{diag}}(c[s]) + \operatorname{{diag}}\bigl((h[s-1] - W_x x[s])
\odot c[s] \odot (1 - c[s])\bigr) W_h$, the norm of such a product behaves like
$\rho^{{T}}$ for the typical gain $\rho$ of one step
($\lVert \prod_s J[s] \rVert \le \prod_s \lVert J[s] \rVert$):
\begin{{center}}
\begin{{tabular}}{{c|c|c}}
$\rho$ & $\rho^{{{t_lo}}}$ & $\rho^{{{t_hi}}}$ \\
\hline
{rows}
\end{{tabular}}
\end{{center}}
\begin{{center}}
\includegraphics[width=0.7\linewidth]{{{FIGURE}}}
\end{{center}}
A gain only slightly above one is amplified by orders of magnitude over {t_lo}--{t_hi}
steps. The LSTM's additive cell path fights vanishing gradients, but the gates and
$W_h$ still multiply along the recurrence, so exploding gradients remain possible: the
loss surface has steep ``cliffs''. When a batch lands on one, the gradient norm is
huge and a single optimiser step moves the weights far outside the region where the
local linear model of the loss holds, into a region where the network makes confident
wrong predictions. The loss (and the test loss) jumps up and the accuracy drops, and
the following epochs slowly recover, which gives the spike shape of the curve.
"""
    from .hw2_rnn import figure_png

    return Answer(id="1.3.1", title="What caused the spikes", latex=latex,
                  files={FIGURE: figure_png()})


def answer_1_3_2(index_base: int = 1) -> Answer:
    """1.3.2: cross-entropy is unbounded above, so a confident wrong model exceeds ln 4."""
    M, loss = margin_loss()
    at_zero = loss.subs(M, 0)
    # loss - M = log(e^{-M} (3 e^M + 1)) = log(3 + e^{-M}), continuous in e^{-M} -> 0
    rest = sp.log(sp.expand(sp.exp(-M) * loss.args[0]))
    if sp.expand(sp.exp(rest) - sp.exp(loss - M)) != 0 or rest.has(sp.exp(M)):
        raise ArithmeticError("the margin loss is not M + log(c + o(1))")
    offset = rest.subs(M, sp.oo)
    limit = (M + rest).subs(M, sp.oo)
    exact, numeric = spike_margin()
    p_true = sp.exp(-SPIKE_LOSS)
    logits = ", ".join(["0"] + ["M"] * (NUM_CLASSES - 1))
    latex = rf"""\paragraph{{Cross-entropy is unbounded above.}}
The loss of a sample with logits $z$ and label $y$ is
\begin{{equation*}}
\ell = -\ln \operatorname{{softmax}}(z)_y = \ln \sum_{{k}} e^{{z_k - z_y}}
\ \ge\ \max_{{k}} (z_k - z_y),
\end{{equation*}}
which is $0$ for a perfect prediction but grows without bound as $p_y \to 0$. With the
true class $0$ and logits $z = ({logits})$ (all wrong classes ahead by the margin $M$),
\begin{{gather*}}
\ell(M) = {_tex(loss)}, \qquad \ell(0) = {_tex(at_zero)} \approx {_num(at_zero)}, \\
\lim_{{M \to \infty}} \ell(M) = {_tex(limit)}, \qquad \ell(M) - M \to {_tex(offset)}.
\end{{gather*}}
The initial, uniform model sits at $M = 0$ with loss ${_tex(at_zero)} \approx
{_num(at_zero)}$; the loss exceeds ${SPIKE_LOSS}$ as soon as
$M > {_tex(exact)} \approx {_num(numeric)}$, i.e.\ when the true class gets
probability below $e^{{-{SPIKE_LOSS}}} \approx {_num(p_true, 4)}$. The untrained
model is uncertain, so it is never very wrong; after the exploding-gradient step of
1.3.1 the model is confident, and on the samples where it is confidently wrong the loss
grows about linearly in the margin. The average loss of the epoch can therefore be well
above the initial ${_tex(at_zero)} \approx {_num(at_zero)}$.
"""
    return Answer(id="1.3.2", title="Why a spike can exceed the initial loss", latex=latex)


def answer_1_3_3(index_base: int = 1) -> Answer:
    """1.3.3: gradient clipping and other fixes."""
    rho, steps = RADII[-1], SEQ_STEPS[-1]
    g_norm = float(rho**steps)
    g = np.full(NUM_CLASSES, g_norm / np.sqrt(NUM_CLASSES))
    clipped = float(np.linalg.norm(clip_by_norm(g, CLIP_TAU)))
    latex = rf"""\paragraph{{Fixes.}}
\begin{{itemize}}
\item \emph{{Gradient-norm clipping}} between the backward pass and the optimiser step
(in PyTorch, the function \texttt{{clip\_grad\_norm\_}} of \texttt{{torch.nn.utils}}, called
after \texttt{{loss.backward()}}). With the global norm
$\lVert g \rVert = \bigl(\sum_{{p}} \lVert g_p \rVert_2^2\bigr)^{{1/2}}$ over all
parameters and a threshold $\tau$,
\begin{{equation*}}
g \leftarrow g \cdot \min\Bigl(1, \frac{{\tau}}{{\lVert g \rVert}}\Bigr),
\qquad \text{{so}} \quad \lVert g \rVert \leftarrow \min(\lVert g \rVert, \tau).
\end{{equation*}}
The direction of the step is kept and only its length is bounded. For instance a
gradient of norm ${_num(rho, 1)}^{{{steps}}} \approx {_sci(g_norm)}$ (the gain of 1.3.1) clipped
at $\tau = {CLIP_TAU}$ has norm ${_num(clipped)}$.
\item \emph{{Gradient-value clipping}},
$g_i \leftarrow \max(-c, \min(g_i, c))$ (\texttt{{clip\_grad\_value\_}} in PyTorch):
also bounds the step, but changes its direction.
\item A \emph{{lower learning rate}}, a learning-rate \emph{{warm-up}} or a decay
schedule, so that even a large gradient moves the weights less.
\item Architectures and initialisations: gated cells (the LSTM already used, or a
GRU), an orthogonal initialisation of $W_h$ or a positive forget-gate bias keep the
state Jacobians near norm one.
\end{{itemize}}
The extra-credit task asks to change only the training procedure, not the model or
the random seed, so gradient-norm clipping (possibly with a smaller learning rate) is
the fix of choice.
"""
    return Answer(id="1.3.3", title="How to fix the spikes", latex=latex)


def answer_1_3_4(index_base: int = 1) -> Answer:
    """1.3.4: initial loss ln 4 and accuracy 1/4 for a near-uniform softmax."""
    k = NUM_CLASSES
    loss0 = uniform_loss()
    neg_log = -sp.log(sp.Rational(1, k))
    if sp.expand_log(loss0 - neg_log) != 0:
        raise ArithmeticError("uniform softmax loss is not -log(1/K)")
    acc = chance_accuracy()
    s = sp.Symbol("s", positive=True)
    excess = small_logit_excess()
    sim_loss, sim_acc = simulate_initial()
    predicted = float(loss0 + excess.subs(s, LOGIT_SCALE))
    latex = rf"""\paragraph{{Initial loss and accuracy.}}
The temporal-order task has {k} classes with uniform labels. Before training, the weights
are small and random, so the logits are nearly equal and the softmax is nearly uniform,
$p_k \approx 1/{k}$. With equal logits $z$,
\begin{{equation*}}
\ell = -\ln \frac{{e^{{z}}}}{{{k} e^{{z}}}} = -\ln \frac{{1}}{{{k}}} = {_tex(loss0)}
\approx {_num(loss0)},
\end{{equation*}}
which is the starting value of the loss curves. Its accuracy: whatever class the
untrained model prefers (with probabilities $q_k$, independent of the input), the
label is uniform and independent of it, so
\begin{{equation*}}
P(\hat y = y) = \sum_{{k}} q_k \cdot \frac{{1}}{{{k}}} = {_tex(acc)}
= {_num(100 * acc, 0)}\%,
\end{{equation*}}
the chance level of the accuracy curves. Small random logits, i.i.d.\
$\mathcal{{N}}(0, s^2)$, raise the mean loss only at second order:
$\operatorname{{E}}[\ell] \approx {_tex(loss0)} + {_tex(excess)}$. A simulation
(NumPy, seed {SEED}) with $s = {LOGIT_SCALE}$ and {SAMPLES:,} uniform labels gives mean
loss ${_num(sim_loss)}$ (second-order prediction ${_num(predicted)}$, ${_tex(loss0)} \approx
{_num(loss0)}$) and accuracy ${_num(sim_acc)}$ (chance ${_num(acc)}$).
"""
    return Answer(id="1.3.4", title="Initial loss and accuracy", latex=latex)
