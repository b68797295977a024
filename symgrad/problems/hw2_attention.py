"""Answers to homework 2, section 1.2.2 (AttentionRNN), built from symgrad.layers.attention_rnn.

Every formula below is produced by the engine (shapes, the defining systems, the chain-rule
factors, the Jacobian and both forms of dl/dh[T]); the prose around it says what was
assumed (layout, which gradients are known) and why the weights of AttentionRNN(inf) are
tied.
"""

from __future__ import annotations

import re

import sympy as sp
from sympy.printing.precedence import PRECEDENCE

from ..core.matrix import latex_matrix, transpose
from ..core.printing import IndexPrinter, shift_base
from ..core.quantity import Quantity
from ..core.tensor import size
from ..layers.attention_rnn import AttentionRNN
from .base import Answer, Question

_LAYOUT = (r"Layout: numerator layout, $\frac{\partial y}{\partial x} \in "
           r"\mathbb{R}^{m \times n}$ for $y \in \mathbb{R}^m$, $x \in \mathbb{R}^n$ "
           r"(row $j$ is $y_j$, column $l$ is $x_l$).")


class _Printer(IndexPrinter):
    """IndexPrinter that puts scalar tensors first: a_1[t] (v_1[t] - h[t]) (...)."""

    def _print_Mul(self, expr):
        scalars = sorted((f for f in expr.args
                          if isinstance(f, sp.Symbol) and f.name in self.tensors), key=str)
        others = [f for f in expr.args if f not in scalars]
        if not expr.is_commutative or not scalars or not others:
            return super()._print_Mul(expr)
        coeff, rest = sp.Mul(*others).as_coeff_Mul()
        body = " ".join(self._print(s) for s in scalars)
        if rest != 1:
            body += " " + self.parenthesize(rest, PRECEDENCE["Mul"], strict=True)
        if coeff == -1:
            return "- " + body
        return body if coeff == 1 else self._print(coeff) + " " + body


def index_form(q: Quantity, index_base: int = 1) -> str:
    """``lhs = rhs`` of a quantity in index form, scalar factors first."""
    rhs = _Printer(q.tensors).doprint(shift_base(q.element, q.indices, index_base,
                                                 time_axes=q.time_axes))
    return q.lhs_latex(index_base) + " = " + rhs


def _display(*lines: str) -> str:
    return r"\[ \begin{gathered} " + r" \\ ".join(lines) + r" \end{gathered} \]"


def _shape(att: AttentionRNN, name: str) -> str:
    dims = att.shape(name)
    return r" \times ".join(sp.latex(d) for d in dims) or "1"


def answer_1_2_2_b(index_base: int = 1) -> Answer:
    """Dimension of a[t]: one weight per attended vector."""
    two, general, inf = AttentionRNN(2), AttentionRNN(size("k")), AttentionRNN(None)
    text = "\n".join([
        r"$a[t] = \operatorname{softargmax}([w_0[t], w_1[t], w_2[t]])$ holds one weight per "
        r"attended vector ($x[t]$, $h[t-1]$, $h[t-2]$); each $w_i[t] = q_i[t]^{\top} k_i[t]$ "
        r"is a scalar, so",
        _display(r"a[t] \in \mathbb{R}^{%s}" % _shape(two, "a")),
        r"for AttentionRNN(2). In general AttentionRNN($k$) has "
        r"$a[t] \in \mathbb{R}^{%s}$ (the input and $k$ past states), and "
        r"AttentionRNN($\infty$) has $a[t] \in \mathbb{R}^{%s}$ at time $t$ (the input and "
        r"the $t - 1$ states that exist)." % (_shape(general, "a"), _shape(inf, "a")),
    ])
    q = two.output("a")
    return Answer("1.2.2.b", "Dimension of a[t]", text, q,
                  {"a": q, "a_k": general.output("a"), "a_inf": inf.output("a")})


def answer_1_2_2_c(index_base: int = 1) -> Answer:
    """The system of AttentionRNN(k): k + 1 slots, each with its own Q_i, K_i, V_i."""
    att = AttentionRNN(size("k"))
    system = att.equations()
    text = "\n".join([
        r"AttentionRNN($k$) attends over $x[t]$ and the last $k$ states "
        r"$h[t-1], \dots, h[t-k]$ (with $h[t] = 0$ for $t < 1$); $x[t], h[t] \in "
        r"\mathbb{R}^n$:",
        r"\[ " + system.latex() + r" \]",
        r"so $w[t], a[t] \in \mathbb{R}^{%s}$. There is no weight sharing: slot $i$ has its "
        r"own $Q_i, K_i, V_i$, so the cell has $3(k + 1)$ matrices of $n \times n$, and it "
        r"reads only the last $k$ states." % _shape(att, "a"),
        r"For $k = 2$ this is the homework's AttentionRNN(2), equations (3)--(8).",
    ])
    return Answer("1.2.2.c", "AttentionRNN(k)", text, None, {})


def answer_1_2_2_d(index_base: int = 1) -> Answer:
    """The system of AttentionRNN(inf): every past state, one shared Q_h, K_h, V_h."""
    att = AttentionRNN(None)
    system = att.equations()
    # the system's closing remark ('with Q_i = Q_h, ... (weight sharing)') as a sentence
    # after the display: inside the aligned block it would be wider than a plain article
    found = re.search(r"\s*\\\\\s*&\s*(\\text\{with \}.*?)\s*(\\end\{aligned\})",
                      system.latex(), re.S)
    display = system.latex()
    if found:
        display = display[:found.start()] + " " + found.group(2) + display[found.end():]
    text = "\n".join([
        r"AttentionRNN($\infty$) attends over $x[t]$ and every past state "
        r"$h[t-1], \dots, h[1]$, i.e. over the $t - 1$ states that exist at time $t$:",
        r"\[ " + display + r" \]",
        *([r"$%s$." % found.group(1)] if found else []),
        r"What ties the weights: $Q_1 = Q_2 = \dots = Q_h$, $K_1 = K_2 = \dots = K_h$ and "
        r"$V_1 = V_2 = \dots = V_h$; the input keeps its own $Q_0, K_0, V_0$. The network "
        r"then has six $n \times n$ matrices whatever $t$ is, and $a[t] \in "
        r"\mathbb{R}^{%s}$ grows with $t$." % _shape(att, "a"),
        r"Writing AttentionRNN($k$) again with $k$ replaced by $T$ (a separate $Q_i, K_i, "
        r"V_i$ for every lag) is not AttentionRNN($\infty$): without sharing the number of "
        r"parameters grows with $t$, so no fixed network reads every past state; and $k$ is "
        r"not a parameter of AttentionRNN($\infty$), whose window is the whole past. The "
        r"weight sharing is what makes one network of fixed size attend over all of it.",
    ])
    return Answer("1.2.2.d", "AttentionRNN(inf)", text, None, {})


def answer_1_2_2_e(index_base: int = 1) -> Answer:
    """dh[t]/dh[t-1] for AttentionRNN(2), by the chain rule through the softargmax."""
    att = AttentionRNN(2)
    jac = att.state_jacobian(1)
    parts = att.jacobian_parts(1)
    general = AttentionRNN(size("k")).state_jacobian("i")
    dw = parts["dw/dh"]
    dw_row = latex_matrix(transpose(dw.matrix), dw.tensors)
    mat = jac.latex("matrix")
    text = "\n".join([
        r"$h[t] = \sum_{i=0}^{2} a_i[t] v_i[t]$ reads $h[t-1]$ in two places: through "
        r"$v_1[t] = V_1 h[t-1]$, and through $q_1[t], k_1[t]$ into the score "
        r"$w_1[t] = q_1[t]^{\top} k_1[t]$, which the softargmax passes to every $a_i[t]$. "
        r"$h[t-2]$ does not depend on $h[t-1]$, so this partial derivative is also the total "
        r"one-step derivative. By the product rule,",
        _display(r"\frac{\partial h[t]}{\partial h[t-1]} = a_1[t] \frac{\partial v_1[t]}"
                 r"{\partial h[t-1]} + \sum_{i=0}^{2} v_i[t] \frac{\partial a_i[t]}{\partial "
                 r"w_1[t]} \frac{\partial w_1[t]}{\partial h[t-1]}"),
        r"with the three factors (each derived by the engine):",
        _display(parts["dv/dh"].latex("matrix"),
                 parts["dw/dh"].lhs_latex(indexed=False) + " = " + dw_row
                 + r" \quad \text{(a row: } 1 \times n\text{)}",
                 parts["da/dw"].latex("matrix") + r", \quad \text{i.e. } "
                 + index_form(parts["da/dw"], index_base)),
        r"Only $w_1[t]$ depends on $h[t-1]$, so",
        _display(r"\frac{\partial a_i[t]}{\partial h[t-1]} = a_i[t] (\delta_{i1} - a_1[t]) "
                 r"\frac{\partial w_1[t]}{\partial h[t-1]}, \qquad \sum_i v_i[t] a_i[t] "
                 r"(\delta_{i1} - a_1[t]) = a_1[t] (v_1[t] - h[t]).") + " Hence",
        _display(mat, index_form(jac, index_base)),
        r"an $n \times n$ matrix: $a_1[t] V_1$ plus a rank-one correction. Writing out "
        r"$q_1[t] = Q_1 h[t-1]$ and $k_1[t] = K_1 h[t-1]$ gives the equivalent form",
        _display(att.state_jacobian(1, form="states").latex("matrix")),
        _LAYOUT,
        r"The same derivation for any lag $i$ of AttentionRNN($k$) (and of "
        r"AttentionRNN($\infty$) with $Q_i, K_i, V_i$ replaced by $Q_h, K_h, V_h$):",
        _display(general.latex("matrix")),
    ])
    return Answer("1.2.2.e", "dh[t]/dh[t-1] for AttentionRNN(2)", text, jac,
                  {"jacobian": jac, "general": general, **parts})


def answer_1_2_2_f(index_base: int = 1) -> Answer:
    """dl/dh[T] for AttentionRNN(k): total Jacobians with direct partials, or the recursion."""
    att = AttentionRNN(size("k"))
    total = att.grad_state("T", steps="L", via="total")
    recursion = att.grad_state("T", steps="L")
    inf = AttentionRNN(None).grad_state("T", steps="L")
    text = "\n".join([
        r"Let the sequence run $t = 1, \dots, L$ and write $g[t] = \frac{\partial \ell}"
        r"{\partial h[t]}\big|_{\text{direct}}$ for the partial derivative of $\ell$ in "
        r"$h[t]$ alone (e.g.\ through an output read from $h[t]$). Given the total "
        r"Jacobians $\frac{\partial h[t]}{\partial h[T]}$ for $t > T$, which already count "
        r"every path from $h[T]$ to $h[t]$, the loss reaches $h[T]$ once through each later "
        r"state:",
        _display(r"\frac{\partial \ell}{\partial h[T]} = g[T] + \sum_{t=T+1}^{L} "
                 r"\left(\frac{\partial h[t]}{\partial h[T]}\right)^{\top} g[t]",
                 index_form(total, index_base)),
        r"with $D[t] = \frac{\partial h[t]}{\partial h[T]}$ ($D[T] = I$). The $\ell$-"
        r"gradients here must be the direct partials $g[t]$: pairing total Jacobians with "
        r"total gradients would count the paths through later states twice.",
        r"Equivalently, as a recursion: $h[T]$ feeds directly only $h[T+1], \dots, h[T+k]$ "
        r"(the next $k$ steps), so with the one-step partial Jacobians of (e), "
        r"$J[t, i] = \frac{\partial h[t]}{\partial h[t-i]}$ (other states held fixed), and "
        r"the total gradients $\delta[t] = \frac{\partial \ell}{\partial h[t]}$ of those "
        r"steps,",
        _display(r"\frac{\partial \ell}{\partial h[T]} = g[T] + \sum_{i=1}^{k} "
                 r"\left(\frac{\partial h[T+i]}{\partial h[T]}\right)^{\top} "
                 r"\frac{\partial \ell}{\partial h[T+i]}",
                 index_form(recursion, index_base)),
        r"(terms with $T + i > L$ vanish). The difference: the sum uses total Jacobians over "
        r"every later step and direct partials; the recursion uses partial Jacobians over "
        r"the $k$ steps $h[T]$ feeds and total gradients, which carry the rest. For "
        r"AttentionRNN($\infty$) $h[T]$ feeds every later state, so the recursion runs over "
        r"every later step:",
        _display(index_form(inf, index_base)),
        r"Layout: gradient layout, $\frac{\partial \ell}{\partial h[T]} \in \mathbb{R}^{n}$ "
        r"(a column; the numerator-layout $1 \times n$ row is its transpose).",
    ])
    return Answer("1.2.2.f", "dl/dh[T] for AttentionRNN(k)", text, recursion,
                  {"recursion": recursion, "total": total, "inf": inf})


QUESTIONS = (
    Question("1.2.2.b", "What is the dimension of a[t]?", answer_1_2_2_b),
    Question("1.2.2.c", "Write the system of equations of AttentionRNN(k).", answer_1_2_2_c),
    Question("1.2.2.d", "Write the system of equations of AttentionRNN(inf) (weight sharing).",
             answer_1_2_2_d),
    Question("1.2.2.e", "The expression for dh[t]/dh[t-1] for AttentionRNN(2).",
             answer_1_2_2_e),
    Question("1.2.2.f", "Given dh[t]/dh[T] for t > T, the expression for dl/dh[T] for "
             "AttentionRNN(k).", answer_1_2_2_f),
)
