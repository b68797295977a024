"""Quantities of user-defined models: names as written, and BPTT against finite differences."""

import numpy as np
import pytest
from reference import central

import symgrad as sg

ELMAN = r"h[t] = \tanh(W h[t-1] + U x[t])"
SHAPES = {"x": "n", "h": "m", "W": "m x m", "U": "m x n"}


def unrolled_loss(W, U, xs, g):
    h, total = np.zeros(W.shape[0]), 0.0
    for x, gt in zip(xs, g, strict=True):
        h = np.tanh(W @ h + U @ x)
        total += gt @ h
    return total


def test_evaluate_takes_names_as_written():
    m = sg.Model.from_latex(ELMAN, SHAPES)
    rng = np.random.default_rng(0)
    W, U, x, h = rng.normal(size=(3, 3)), rng.normal(size=(3, 2)), rng.normal(size=2), \
        rng.normal(size=3)
    q = m.jacobian("h[t]", "h[t-1]")
    got = q.evaluate({"W": W, "U": U, "x[t]": x, "h[t-1]": h})
    np.testing.assert_allclose(got, np.diag(1 - np.tanh(W @ h + U @ x) ** 2) @ W, atol=1e-12)


def test_bptt_from_direct_partials_matches_finite_differences():
    m = sg.Model.from_latex(ELMAN, SHAPES)
    rng = np.random.default_rng(1)
    W, U = 0.5 * rng.normal(size=(3, 3)), rng.normal(size=(3, 2))
    xs, g = rng.normal(size=(4, 2)), rng.normal(size=(4, 3))
    got = m.grad("W", steps=4, given="direct").evaluate({"W": W, "U": U, "x": xs, "g": g})
    ref = central(lambda Wv: unrolled_loss(Wv, U, xs, g), W)
    np.testing.assert_allclose(got, ref, atol=1e-7)


def elman_states(W, U, h0, xs):
    """Every state h[1..L] of the Elman recurrence from h[0] = h0."""
    out, h = [], h0
    for x in xs:
        h = np.tanh(W @ h + U @ x)
        out.append(h)
    return out


def test_multi_step_jacobian_is_a_product_of_named_steps():
    """Issue 13: dh[t]/dh[t-3] of a Model, total over the steps between, on a sequence."""
    m = sg.Model.from_latex(ELMAN, SHAPES)
    q = m.jacobian("h[t]", "h[t-3]")
    tex = q.latex(form="matrix")
    assert tex.startswith(r"\frac{\partial h[t]}{\partial h[t-3]} = \frac{\partial h[t]}"
                          r"{\partial h[t-1]} \frac{\partial h[t-1]}{\partial h[t-2]} "
                          r"\frac{\partial h[t-2]}{\partial h[t-3]}"), tex
    assert r"\sum_{p=1}^{m} \sum_{q=1}^{m}" in q.latex()
    assert r"\sum_{p=0}^{m - 1}" in q.latex(index_base=0)
    rng = np.random.default_rng(2)
    W, U = 0.8 * rng.normal(size=(3, 3)), rng.normal(size=(3, 2))
    xs, h0 = rng.normal(size=(5, 2)), rng.normal(size=3)
    start = elman_states(W, U, h0, xs[:2])[-1]  # h[2]; the result is dh[5]/dh[2]
    ref = central(lambda h: elman_states(W, U, h, xs[2:])[-1], start)
    np.testing.assert_allclose(q.evaluate(x=xs, W=W, U=U, h_init=h0), ref, atol=1e-8)
    np.testing.assert_allclose(q.evaluate({"x[t]": xs, "W": W, "U": U, "h[0]": h0}), ref,
                               atol=1e-8)
    window = q.evaluate(x=xs[2:], W=W, U=U, h_init=start)  # given h[t-3] itself
    np.testing.assert_allclose(window, ref, atol=1e-8)
    zero = central(lambda h: elman_states(W, U, h, xs[2:])[-1],
                   elman_states(W, U, np.zeros(3), xs[:2])[-1])
    np.testing.assert_allclose(q.evaluate(x=xs, W=W, U=U), zero, atol=1e-8)
    one = m.state_jacobian(steps=1).evaluate(x=xs[:1], W=W, U=U, h_init=h0)
    np.testing.assert_allclose(one, m.jacobian("h[t]", "h[t-1]").evaluate(
        x=xs[0], W=W, U=U, h_prev=h0), atol=1e-12)


def test_multi_step_with_a_symbolic_number_of_steps():
    m = sg.Model.from_latex(ELMAN, SHAPES)
    q = m.jacobian("h[t]", "h[t-k]")
    assert r"\prod_{s=0}^{k - 1}" in q.latex(form="matrix")
    rng = np.random.default_rng(3)
    W, U, xs = 0.8 * rng.normal(size=(2, 2)), rng.normal(size=(2, 2)), rng.normal(size=(4, 2))
    ref = central(lambda h: elman_states(W, U, h, xs[1:])[-1],
                  elman_states(W, U, np.zeros(2), xs[:1])[-1])
    np.testing.assert_allclose(q.evaluate(x=xs, W=W, U=U, k=3), ref, atol=1e-8)
    with pytest.raises(sg.SymgradError, match="at least 5 steps"):
        q.evaluate(x=xs, W=W, U=U, k=5)


LSTM = r"""
f[t] = \sigma(W_f x[t] + U_f h[t-1]) \\
i[t] = \sigma(W_i x[t] + U_i h[t-1]) \\
o[t] = \sigma(W_o x[t] + U_o h[t-1]) \\
g[t] = \tanh(W_g x[t] + U_g h[t-1]) \\
c[t] = f[t] \odot c[t-1] + i[t] \odot g[t] \\
h[t] = o[t] \odot \tanh(c[t])
"""


def test_multi_step_through_two_states_holds_the_other_fixed():
    """LSTM dh[t]/dh[t-2]: through h and c, with c[t-2] held fixed (forward recursion)."""
    shapes = {"x": "d", "h": "m", "c": "m",
              **{f"{w}_{k}": s for k in "fiog" for w, s in (("W", "m x d"), ("U", "m x m"))}}
    m = sg.Model.from_latex(LSTM, shapes)
    q = m.jacobian("h[t]", "h[t-2]")
    assert r"D_{c}[t-2] = 0" in q.latex() and r"D_{h}[t-2] = I" in q.latex()
    rng = np.random.default_rng(5)
    P = {f"{w}_{k}": rng.normal(size=(3, 2 if w == "W" else 3)) for k in "fiog" for w in "WU"}
    xs, h0, c0 = rng.normal(size=(3, 2)), rng.normal(size=3), rng.normal(size=3)

    def sig(z):
        return 1 / (1 + np.exp(-z))

    def run(h, c, seq):
        for x in seq:
            f, i, o = (sig(P[f"W_{k}"] @ x + P[f"U_{k}"] @ h) for k in "fio")
            g = np.tanh(P["W_g"] @ x + P["U_g"] @ h)
            c = f * c + i * g
            h = o * np.tanh(c)
        return h, c

    h1, c1 = run(h0, c0, xs[:1])
    ref = central(lambda h: run(h, c1, xs[1:])[0], h1)
    got = q.evaluate(x=xs, h_init=h0, c_init=c0, **P)
    np.testing.assert_allclose(got, ref, atol=1e-8)


def test_bptt_of_one_state_goes_through_the_others():
    """LSTM dl/dU_f with the loss on h only (of="h", direct partials g[t]): h[t] reaches
    h[t+2] through c[t+1] -> c[t+2] as well, a path through the state c that is not given."""
    shapes = {"x": "d", "h": "m", "c": "m",
              **{f"{w}_{k}": s for k in "fiog" for w, s in (("W", "m x d"), ("U", "m x m"))}}
    m = sg.Model.from_latex(LSTM, shapes)
    rng = np.random.default_rng(7)
    P = {f"{w}_{k}": 0.8 * rng.normal(size=(3, 2 if w == "W" else 3))
         for k in "fiog" for w in "WU"}
    xs, gs = rng.normal(size=(4, 2)), rng.normal(size=(4, 3))

    def sig(z):
        return 1 / (1 + np.exp(-z))

    def loss(U_f):
        h, c, total = np.zeros(3), np.zeros(3), 0.0
        for x, g_t in zip(xs, gs, strict=True):
            Us = {**P, "U_f": U_f}
            f, i, o = (sig(Us[f"W_{k}"] @ x + Us[f"U_{k}"] @ h) for k in "fio")
            c = f * c + i * np.tanh(Us["W_g"] @ x + Us["U_g"] @ h)
            h = o * np.tanh(c)
            total += g_t @ h
        return total

    q = m.grad("U_f", of="h", steps=4, given="direct")
    got = q.evaluate({**P, "x": xs, "g2": gs})  # g names the LSTM's own g[t]
    np.testing.assert_allclose(got, central(loss, P["U_f"]), atol=1e-7)


def test_one_sequence_pass_serves_both_recursions():
    """core.unroll's Sequence: the total gradients (backward) and the total Jacobians
    (total_jacobians) of the Elman recurrence against finite differences."""
    from symgrad.core.tensor import size
    from symgrad.core.unroll import Sequence, total_jacobians

    m = sg.Model.from_latex(ELMAN, SHAPES)
    rng = np.random.default_rng(8)
    W, U = 0.6 * rng.normal(size=(3, 3)), rng.normal(size=(3, 2))
    xs, g = rng.normal(size=(5, 2)), rng.normal(size=(5, 3))
    seq = Sequence(m, {"W": W, "U": U, "x": xs}, {size("n"): 2, size("m"): 3}, 5)
    np.testing.assert_allclose(seq.stacked("h"), elman_states(W, U, np.zeros(3), xs),
                               atol=1e-12)
    (name,) = m.states()
    delta = seq.backward({name: g})[name]

    def tail_loss(h2):  # the loss from step 3 on, as a function of h[2]
        return sum(gt @ h for gt, h in zip(g[2:], elman_states(W, U, h2, xs[2:]),
                                           strict=True))

    h2 = seq.stacked("h")[1]
    np.testing.assert_allclose(delta[1], g[1] + central(tail_loss, h2), atol=1e-7)
    D = total_jacobians(seq.jacobians(), 2)
    np.testing.assert_allclose(D[4], central(lambda h: elman_states(W, U, h, xs[2:])[-1], h2),
                               atol=1e-7)
    np.testing.assert_allclose(D[1], np.eye(3))
    assert not D[0].any()


def test_given_total_for_one_of_several_states_is_refused():
    shapes = {"x": "d", "h": "m", "c": "m",
              **{f"{w}_{k}": s for k in "fiog" for w, s in (("W", "m x d"), ("U", "m x m"))}}
    m = sg.Model.from_latex(LSTM, shapes)
    with pytest.raises(sg.SymgradError, match=r"flows through c\[t\]"):
        m.grad("U_f", of="h", steps=3)
    # the upstream gradient is not printed g[t]: that is the LSTM's own gate
    assert r"back-propagated from } \hat{g}[t]" in m.grad("U_f", of="h", steps=3,
                                                          given="direct").latex()


def test_bptt_from_an_output_that_is_not_a_state():
    """y[t] = V h[t] with the loss on y only: the gradient flows back through h."""
    m = sg.Model.from_latex(ELMAN + r" \\ y[t] = V h[t]", {**SHAPES, "V": "p x m", "y": "p"})
    rng = np.random.default_rng(9)
    W, U, V = 0.6 * rng.normal(size=(3, 3)), rng.normal(size=(3, 2)), rng.normal(size=(2, 3))
    xs, gy = rng.normal(size=(4, 2)), rng.normal(size=(4, 2))
    q = m.grad("W", of="y", steps=4, given="direct")
    (g,) = [n for n in q.inputs if n.startswith("g")]
    got = q.evaluate({"W": W, "U": U, "V": V, "x": xs, g: gy})
    ref = central(lambda Wv: sum(gt @ (V @ h) for gt, h in
                                 zip(gy, elman_states(Wv, U, np.zeros(3), xs), strict=True)), W)
    np.testing.assert_allclose(got, ref, atol=1e-7)
