"""The hw2 checker contexts: instances and truths against independent NumPy references."""

import numpy as np
import pytest

import symgrad as sg
from symgrad.core.errors import UnknownNameError
from symgrad.problems.hw2_contexts import IDS, context


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def ref_conv1d(x, W, stride):
    """Cross-correlation by numpy.correlate, valid part, then strided."""
    F, C, K = W.shape
    return np.array([sum(np.correlate(x[c], W[f, c], mode="valid") for c in range(C))[::stride]
                     for f in range(F)])


def ref_gated(xs, Wc, Wh, Wx):
    """The gated RNN by explicit loops from h[0] = 0: (h_prev, c, h) per step."""
    h = np.zeros(Wh.shape[0])
    out = []
    for x in xs:
        c = sigmoid(Wc @ x + Wh @ h)
        new = c * h + (1 - c) * (Wx @ x)
        out.append((h, c, new))
        h = new
    return out


def ref_attention(xs, Q, K, V, k):
    """AttentionRNN(k) (Q: (k+1, n, n)) or, for k None, AttentionRNN(inf) (Q: (2, n, n))."""
    L, n = xs.shape
    H = []
    for t in range(1, L + 1):
        lags = range(1, k + 1) if k is not None else range(1, t)
        states = [xs[t - 1]] + [H[t - i - 1] if t - i >= 1 else np.zeros(n) for i in lags]
        slot = (lambda i: i) if k is not None else (lambda i: min(i, 1))
        w = np.array([(Q[slot(i)] @ s) @ (K[slot(i)] @ s) for i, s in enumerate(states)])
        a = np.exp(w - w.max())
        a /= a.sum()
        H.append(sum(a[i] * (V[slot(i)] @ s) for i, s in enumerate(states)))
    return np.array(H)


def test_every_question_has_a_context():
    for qid in IDS:
        ctx = context(qid)
        assert ctx.qid == qid
        assert ctx.declarations().tensors
    assert context(" 1.1.C.III ").qid == "1.1.c.iii"


def test_unknown_question_lists_the_ids():
    with pytest.raises(UnknownNameError, match="1.1.a.*1.2.2.f"):
        context("1.9")


def test_conv_instances_match_numpy_correlate():
    ctx = context("1.1.c.i")
    for seed in range(3):
        inst = ctx.instance(seed)
        x, W = inst.arrays["x"], inst.arrays["W"]
        assert x.shape == (5, 7) and W.shape == (1, 5, 3)
        np.testing.assert_allclose(inst.arrays["y"], ref_conv1d(x, W, 2), atol=1e-12)
        np.testing.assert_allclose(ctx.truth("y").value(inst), ref_conv1d(x, W, 2),
                                   atol=1e-12)


def test_conv_truths_are_the_layer_derivatives():
    ctx = context("1.1.c.iv")
    inst = ctx.instance(0)
    x, W, g = (inst.arrays[k] for k in ("x", "W", "g"))
    # dl/dW by unit perturbations of the (linear) output, contracted with g
    expected = np.zeros_like(W)
    for idx in np.ndindex(W.shape):
        e = np.zeros_like(W)
        e[idx] = 1.0
        expected[idx] = np.sum(g * ref_conv1d(x, e, 2))
    np.testing.assert_allclose(ctx.truth("loss", "W").value(inst), expected, atol=1e-12)
    assert ctx.truth("y", "x").value(inst).shape == (1, 3, 5, 7)
    assert ctx.truth(None).shape == (1, 5, 3)


def test_shape_contexts():
    a = context("1.1.a").truth(None)
    assert [str(d) for d in a.shape] == ["F", "5", "2"]
    assert context("1.1.a").fixed["F"] == 1
    b = context("1.1.b")
    assert len(b.truth(None).shape) == 3
    pts = b.grid.points()
    assert np.all(pts["H"] + 2 * pts["P"] >= pts["D"] * (pts["K"] - 1) + 1)
    first = {n: int(v[0]) for n, v in pts.items()}
    assert first == {"C": 1, "F": 1, "H": 1, "W": 1, "K": 1, "S": 1, "D": 1, "P": 0}


def test_gated_rnn_instances_match_loops():
    ctx = context("1.2.1.c")
    for seed in range(3):
        inst = ctx.instance(seed)
        a = inst.arrays
        xs, deltas = inst.series["x"], inst.series["delta"]
        steps = ref_gated(xs, a["W_c"], a["W_h"], a["W_x"])
        h_prev, c, h = steps[inst.now]
        np.testing.assert_allclose(a["h_prev"], h_prev, atol=1e-12)
        np.testing.assert_allclose(a["c"], c, atol=1e-12)
        np.testing.assert_allclose(a["h"], h, atol=1e-12)
        expected = sum(np.outer(d * (1 - s[1]), x) for d, s, x in zip(deltas, steps, xs))
        np.testing.assert_allclose(ctx.truth("loss", "W_x").value(inst), expected,
                                   atol=1e-12)
        jac = ctx.truth("h", "W_x").value(inst)
        m, n = a["W_x"].shape
        assert jac.shape == (m, m, n)
        np.testing.assert_allclose(jac[np.arange(m), np.arange(m)],
                                   np.outer(1 - c, a["x"]), atol=1e-12)


def test_gated_rnn_derives_other_jacobians():
    ctx = context("1.2.1.d")
    inst = ctx.instance(1)
    a = inst.arrays
    got = ctx.truth("c", "W_c").value(inst)
    m, n = a["W_c"].shape
    expected = np.zeros((m, m, n))
    expected[np.arange(m), np.arange(m)] = np.outer(a["c"] * (1 - a["c"]), a["x"])
    np.testing.assert_allclose(got, expected, atol=1e-12)
    with pytest.raises(UnknownNameError):
        ctx.truth("h", "nothing")


def test_attention_instances_match_reference():
    ctx = context("1.2.2.e")
    for seed in range(2):
        inst = ctx.instance(seed)
        a = inst.arrays
        H = ref_attention(inst.series["x"], a["Q@"], a["K@"], a["V@"], 2)
        np.testing.assert_allclose(inst.series["h"], H, atol=1e-10)
        np.testing.assert_allclose(a["h"], H[inst.now], atol=1e-10)
        np.testing.assert_allclose(a["h_1"], H[inst.now - 1], atol=1e-10)
        assert a["a"].shape == (3,) and np.isclose(a["a"].sum(), 1)


def test_attention_state_jacobian_by_finite_differences():
    ctx = context("1.2.2.e")
    inst = ctx.instance(0)
    a = inst.arrays
    x, window, Q, K, V = a["x"], a["h@"], a["Q@"], a["K@"], a["V@"]

    def step(h1):
        states = [x, h1, window[1]]
        w = np.array([(Q[i] @ s) @ (K[i] @ s) for i, s in enumerate(states)])
        e = np.exp(w - w.max())
        return sum(e[i] / e.sum() * (V[i] @ s) for i, s in enumerate(states))

    eps = 1e-6
    n = x.size
    fd = np.array([(step(window[0] + eps * np.eye(n)[j]) - step(window[0] - eps * np.eye(n)[j]))
                   / (2 * eps) for j in range(n)]).T
    np.testing.assert_allclose(ctx.truth("h", "h_1").value(inst), fd, atol=1e-6)


def test_attention_gradient_truth_by_finite_differences():
    ctx = context("1.2.2.f")
    inst = ctx.instance(0)
    a, T = inst.arrays, inst.sizes["T"]
    xs, g, Q, K, V = inst.series["x"], inst.series["g"], a["Q@"], a["K@"], a["V@"]
    k = inst.sizes["k"]
    H = ref_attention(xs, Q, K, V, k)

    def loss(hT):
        """sum_t g[t] . h[t] for t >= T, re-running the cell from T + 1 with h[T] = hT."""
        Hs = list(H[:T - 1]) + [hT]
        for t in range(T + 1, len(xs) + 1):
            states = [xs[t - 1]] + [Hs[t - i - 1] if t - i >= 1 else np.zeros(len(hT))
                                    for i in range(1, k + 1)]
            w = np.array([(Q[i] @ s) @ (K[i] @ s) for i, s in enumerate(states)])
            e = np.exp(w - w.max())
            Hs.append(sum(e[i] / e.sum() * (V[i] @ s) for i, s in enumerate(states)))
        return sum(g[t - 1] @ Hs[t - 1] for t in range(T, len(xs) + 1))

    eps = 1e-6
    n = H.shape[1]
    fd = np.array([(loss(H[T - 1] + eps * np.eye(n)[j]) - loss(H[T - 1] - eps * np.eye(n)[j]))
                   / (2 * eps) for j in range(n)])
    np.testing.assert_allclose(ctx.truth("loss", "h_T").value(inst), fd, atol=1e-6)


def test_system_contexts_have_no_instances():
    ctx = context("1.2.2.d")
    assert ctx.system is not None
    with pytest.raises(UnknownNameError, match="system"):
        ctx.instance(0)


def test_declared_jacobians_are_the_truths():
    ctx = context("1.1.c.iv")
    inst = ctx.instance(1)
    for v in ("W", "x"):
        np.testing.assert_allclose(inst.arrays[f"dy_d{v}"], ctx.truth("y", v).value(inst))
    ctx = context("1.2.1.c")
    inst = ctx.instance(2)
    for w in ("W_x", "W_c", "W_h", "x", "h_prev"):
        series = inst.series[f"dh_d{w}"]
        assert series.shape[0] == inst.sizes["K"]
        np.testing.assert_allclose(series[inst.now], ctx.truth("h", w).value(inst))


def test_the_value_family_and_the_given_gradient_at_T():
    ctx = context("1.2.2.e")
    inst = ctx.instance(0)
    assert ctx.tensors["v"].family
    for i in range(3):
        np.testing.assert_allclose(inst.arrays["v"][i], inst.arrays[f"v_{i}"])
    ctx = context("1.2.2.f")
    inst = ctx.instance(1)
    np.testing.assert_allclose(inst.arrays["g_T"], inst.series["g"][inst.sizes["T"] - 1])
    assert "L" in ctx.loss and ctx.tensors["g"].gradient


# 1.2.2.f: two consistent answers, and the mixtures of them ------------------------------
_F_CLAIMS = [
    (r"g[T] + \sum_{t=T+1}^{L} \left(\frac{\partial h[t]}{\partial h[T]}\right)^\top g[t]",
     "correct", "total Jacobian"),
    (r"g[T] + \sum_{t > T} \left(\frac{\partial h[t]}{\partial h[T]}\right)^\top g[t]",
     "correct", "total Jacobian"),
    (r"g[T] + \sum_{i=1}^{k} \left(\frac{\partial h[T+i]}{\partial h[T]}\right)^\top "
     r"\frac{\partial \ell}{\partial h[T+i]}", "correct", "one-step partial"),
    (r"g[T] + \sum_{t=T+1}^{T+k} \left(\frac{\partial h[t]}{\partial h[T]}\right)^\top "
     r"\frac{\partial \ell}{\partial h[t]}", "correct", "one-step partial"),
    (r"g[T] + \sum_{i=1}^{k} \frac{\partial \ell}{\partial h[T+i]} "
     r"\frac{\partial h[T+i]}{\partial h[T]}", "correct", "one-step partial"),
    # mixtures: total Jacobians with total gradients count later paths twice; one-step
    # partials with direct partials miss them
    (r"g[T] + \sum_{t=T+1}^{L} \left(\frac{\partial h[t]}{\partial h[T]}\right)^\top "
     r"\frac{\partial \ell}{\partial h[t]}", "incorrect", "total Jacobian"),
    (r"g[T] + \sum_{i=1}^{k} \left(\frac{\partial h[T+i]}{\partial h[T]}\right)^\top g[T+i]",
     "incorrect", "one-step partial"),
    (r"\sum_{i=1}^{k} \left(\frac{\partial h[T+i]}{\partial h[T]}\right)^\top "
     r"\frac{\partial \ell}{\partial h[T+i]}", "incorrect", "one-step partial"),
    # evaluation bars name the direct partial; the writer's own dl/dh[T] on the right is
    # direct (a total gradient there would be circular), and so are their other dl/dh[t]
    (r"\frac{\partial \ell}{\partial h[T]}\Big|_{\text{direct}} + \sum_{t > T} "
     r"\frac{\partial \ell}{\partial h[t]}\Big|_{\text{direct}} "
     r"\frac{\partial h[t]}{\partial h[T]}", "correct", "total Jacobian"),
    (r"\frac{\partial \ell}{\partial h[T]}\bigg|_{direct} + \sum_{i=1}^{k} "
     r"\left(\frac{\partial h[T+i]}{\partial h[T]}\right)^\top "
     r"\frac{\partial \ell}{\partial h[T+i]}", "correct", "one-step partial"),
    (r"\sum_{t=T}^{L} \frac{\partial \ell}{\partial h[t]} \frac{\partial h[t]}{\partial h[T]}",
     "correct", "circular"),
    (r"\frac{\partial \ell}{\partial h[T]} + \sum_{t=T+1}^{L} \frac{\partial \ell}{\partial h[t]} "
     r"\frac{\partial h[t]}{\partial h[T]}", "correct", "circular"),
]


def test_1_2_2_f_other_evaluation_bars_are_refused_not_dropped():
    v = sg.check("1.2.2.f", r"\frac{\partial \ell}{\partial h[T]} = "
                 r"\frac{\partial \ell}{\partial h[T]}\Big|_{h[T-1] \text{ fixed}}")
    assert v.verdict == "unparsed" and "evaluation bar" in v.explanation


@pytest.mark.parametrize("rhs, verdict, reading", _F_CLAIMS)
def test_1_2_2_f_accepts_both_consistent_answers_and_names_the_one_used(rhs, verdict, reading):
    v = sg.check("1.2.2.f", r"\frac{\partial \ell}{\partial h[T]} = " + rhs)
    assert v.verdict == verdict, v.explanation
    assert any(reading in note for note in v.notes), v.notes
    if verdict == "incorrect":
        assert v.counterexample


def test_1_2_2_f_total_gradients_follow_the_recursion():
    from symgrad.core.unroll import backward

    rng = np.random.default_rng(0)
    J, g = rng.normal(size=(4, 2, 3, 3)), rng.normal(size=(4, 3))
    delta = backward(g, J)
    assert np.allclose(delta[3], g[3])
    assert np.allclose(delta[2], g[2] + J[3, 0].T @ g[3])
    assert np.allclose(delta[1], g[1] + J[2, 0].T @ delta[2] + J[3, 1].T @ delta[3])


def test_attention_intermediates_can_be_differentiated_slot_by_slot():
    import numpy as np

    import symgrad as sg

    # an independent reference: w_1 = (Q_1 h)^T (K_1 h), its gradient by central differences
    rng = np.random.default_rng(3)
    Q1, K1, h = rng.normal(size=(3, 3)), rng.normal(size=(3, 3)), rng.normal(size=3)
    w1 = lambda v: (Q1 @ v) @ (K1 @ v)  # noqa: E731
    fd = np.array([(w1(h + e) - w1(h - e)) / 2e-6 for e in np.eye(3) * 1e-6])
    assert np.allclose(fd, h @ (Q1.T @ K1 + K1.T @ Q1), atol=1e-6)
    assert not np.allclose(fd, h @ (Q1.T @ K1), atol=1e-3)
    verdicts = {claim: sg.check("1.2.2.e", claim).verdict for claim in (
        r"\frac{\partial w_1[t]}{\partial h[t-1]} = h[t-1]^\top (Q_1^\top K_1 + K_1^\top Q_1)",
        r"\frac{\partial w_1[t]}{\partial h[t-1]} = h[t-1]^\top Q_1^\top K_1",
        r"\frac{\partial v_1[t]}{\partial h[t-1]} = V_1",      # v_1 = V_1 h[t-1]
        r"\frac{\partial v_0[t]}{\partial h[t-1]} = 0",        # v_0 = V_0 x[t]: the zero matrix
        r"\frac{\partial v_1[t]}{\partial h[t-1]} = 0",
        r"\frac{\partial w_2[t]}{\partial h[t-1]} = 0")}       # w_2 reads h[t-2] only
    assert list(verdicts.values()) == ["correct", "incorrect", "correct", "correct",
                                       "incorrect", "correct"]


def test_the_sequence_length_may_be_called_K_in_1_2_2_f():
    import symgrad as sg

    # K is 1.2.1's name of the sequence length (t = 1..K); the sum stops at the last step
    claim = (r"\frac{\partial \ell}{\partial h[T]} = \frac{\partial \ell}{\partial h[T]}"
             r"\bigg|_{\text{direct}} + \sum_{t=T+1}^{\min(T+k, K)} \frac{\partial \ell}"
             r"{\partial h[t]} \frac{\partial h[t]}{\partial h[T]}")
    assert sg.check("1.2.2.f", claim).verdict == "correct"
    assert sg.check("1.2.2.f", claim.replace(r"\min(T+k, K)", "T+k+1")).verdict == "incorrect"


def test_a_claim_may_use_the_one_step_jacobians_of_the_intermediates():
    import numpy as np

    import symgrad as sg

    # an independent AttentionRNN(2) step in NumPy: the product rule
    # dh/dh[t-1] = sum_i v_i da_i/dh[t-1] + a_1 V_1 holds by central differences
    rng = np.random.default_rng(5)
    n = 3
    Q, K, V = (rng.normal(size=(3, n, n)) for _ in range(3))
    x, h1, h2 = (rng.normal(size=n) for _ in range(3))

    def parts(g):
        ins = [x, g, h2]
        q, kk, v = ([M[i] @ ins[i] for i in range(3)] for M in (Q, K, V))
        w = np.array([q[i] @ kk[i] for i in range(3)])
        a = np.exp(w - w.max()) / np.exp(w - w.max()).sum()
        return a, np.array(v), a @ np.array(v)

    def fd(f):
        return np.stack([(f(h1 + e) - f(h1 - e)) / 2e-6 for e in np.eye(n) * 1e-6], axis=-1)

    a, v, _ = parts(h1)
    da = fd(lambda g: parts(g)[0])                      # 3 x n: row i is da_i/dh[t-1]
    assert np.allclose(fd(lambda g: parts(g)[2]),
                       sum(np.outer(v[i], da[i]) for i in range(3)) + a[1] * V[1], atol=1e-5)
    right = (r"\frac{\partial h[t]}{\partial h[t-1]} = v_0[t]\frac{\partial a_0[t]}{\partial "
             r"h[t-1]} + a_1[t]\frac{\partial v_1[t]}{\partial h[t-1]} + v_1[t]\frac{\partial "
             r"a_1[t]}{\partial h[t-1]} + v_2[t]\frac{\partial a_2[t]}{\partial h[t-1]}")
    assert sg.check("1.2.2.e", right).verdict == "correct"
    wrong = right.replace(r" + a_1[t]\frac{\partial v_1[t]}{\partial h[t-1]}", "")
    assert sg.check("1.2.2.e", wrong).verdict == "incorrect"
    # a slot letter on the left is read at every slot (a_i h[t-1]^T is none of da_i/dh[t-1])
    v = sg.check("1.2.2.e", r"\frac{\partial a_i[t]}{\partial h[t-1]} = a_i[t] h[t-1]^\top")
    assert v.verdict == "incorrect" and v.explanation.startswith("at slot i = ")


def test_the_gates_jacobian_is_a_factor_a_claim_may_use():
    # dh[t]/dh[t-1] = diag(c[t]) + diag(h[t-1] - W_x x[t]) dc[t]/dh[t-1], with
    # dc[t]/dh[t-1] = diag(c (1 - c)) W_h: checked here by central differences first
    rng = np.random.default_rng(3)
    for n, m in ((3, 4), (2, 5)):
        Wc, Wh, Wx = rng.normal(size=(m, n)), rng.normal(size=(m, m)), rng.normal(size=(m, n))
        x, hp = rng.normal(size=n), rng.normal(size=m)

        def step(h, Wc=Wc, Wh=Wh, Wx=Wx, x=x):
            c = sigmoid(Wc @ x + Wh @ h)
            return c * h + (1 - c) * (Wx @ x), c

        eps = 1e-6
        fd_h = np.stack([(step(hp + eps * e)[0] - step(hp - eps * e)[0]) / (2 * eps)
                         for e in np.eye(m)], axis=1)
        fd_c = np.stack([(step(hp + eps * e)[1] - step(hp - eps * e)[1]) / (2 * eps)
                         for e in np.eye(m)], axis=1)
        c = step(hp)[1]
        assert np.allclose(fd_c, np.diag(c * (1 - c)) @ Wh, atol=1e-6)
        assert np.allclose(fd_h, np.diag(c) + np.diag(hp - Wx @ x) @ fd_c, atol=1e-6)
    J = r"\frac{\partial c[t]}{\partial h[t-1]}"
    lhs = r"\frac{\partial h[t]}{\partial h[t-1]}"
    right = sg.check("1.2.1.d", rf"{lhs} = \operatorname{{diag}}(c[t]) + "
                     rf"\operatorname{{diag}}(h[t-1] - W_x x[t]) {J}")
    assert right.verdict == "correct"
    wrong = sg.check("1.2.1.d", rf"{lhs} = \operatorname{{diag}}(c[t]) + "
                     rf"\operatorname{{diag}}(h[t-1] + W_x x[t]) {J}")
    assert wrong.verdict == "incorrect"
    assert sg.check("1.2.1.d", rf"{J} = \operatorname{{diag}}(c[t] \odot (1 - c[t])) W_h"
                    ).verdict == "correct"
    assert sg.check("1.2.1.d", rf"{J} = \operatorname{{diag}}(c[t] \odot (1 - c[t])) W_c"
                    ).verdict == "incorrect"


def test_the_gate_written_with_a_capital():
    assert sg.check("1.2.1.b", r"C[t] \in \mathbb{R}^m").verdict == "correct"
    assert sg.check("1.2.1.b", r"C[t] \in \mathbb{R}^n").verdict == "incorrect"
    assert sg.check("1.1.b", r"C \times H \times W").verdict == "incorrect"  # C: channels
