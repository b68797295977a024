"""AttentionRNN(k) and AttentionRNN(inf) closed forms against an independent NumPy reference.

The reference below is a plain unrolled forward pass written from the homework's
equations (stable softargmax, explicit loops over slots); derivatives are checked with
central finite differences of it, never with symgrad's own code.
"""

import time

import numpy as np
import pytest
import sympy as sp

from symgrad.core.errors import ShapeError, SymgradError, UnknownNameError
from symgrad.core.tensor import size
from symgrad.layers.attention_rnn import AttentionRNN, _cell

EPS = 1e-6
KS = [1, 2, 3, None]


# ---------------------------------------------------------------- independent reference
def softargmax(w):
    e = np.exp(w - np.max(w))
    return e / e.sum()


def ref_cell(x, past, Q, K, V, shared):
    """h[t] from x[t] and the past states [h[t-1], h[t-2], ...] (slot i reads past[i-1])."""
    sources = [x, *past]
    scores, values = [], []
    for i, s in enumerate(sources):
        p = (0 if i == 0 else 1) if shared else i
        q, k, v = Q[p] @ s, K[p] @ s, V[p] @ s
        scores.append(q @ k)
        values.append(v)
    a = softargmax(np.array(scores))
    return sum(a[i] * values[i] for i in range(len(sources)))


def ref_run(x, Q, K, V, k, bump=None):
    """All states h[1..L]; AttentionRNN(k) reads k states (zeros before t = 1), inf reads t-1.

    ``bump = (T, e)`` adds e to h[T] once it is computed, to differentiate the loss in h[T].
    """
    L, n = x.shape
    H = []
    for t in range(1, L + 1):
        count = t - 1 if k is None else k
        past = [H[t - i - 1] if t - i >= 1 else np.zeros(n) for i in range(1, count + 1)]
        h = ref_cell(x[t - 1], past, Q, K, V, k is None)
        if bump is not None and bump[0] == t:
            h = h + bump[1]
        H.append(h)
    return np.array(H)


def fd_state_jacobian(x, h, Q, K, V, shared, lag):
    n = x.size
    J = np.zeros((n, n))
    for col in range(n):
        hp, hm = h.copy(), h.copy()
        hp[lag - 1, col] += EPS
        hm[lag - 1, col] -= EPS
        J[:, col] = (ref_cell(x, list(hp), Q, K, V, shared)
                     - ref_cell(x, list(hm), Q, K, V, shared)) / (2 * EPS)
    return J


def fd_grad_state(x, Q, K, V, g, k, T):
    """dl/dh[T] for l = sum_t <g[t], h[t]> by central differences on h[T]."""
    n = x.shape[1]
    out = np.zeros(n)
    for c in range(n):
        e = np.zeros(n)
        e[c] = EPS
        up = (ref_run(x, Q, K, V, k, (T, e)) * g).sum()
        down = (ref_run(x, Q, K, V, k, (T, -e)) * g).sum()
        out[c] = (up - down) / (2 * EPS)
    return out


def params(rng, k, n, scale=0.5):
    slots = 2 if k is None else k + 1
    return tuple(rng.normal(size=(slots, n, n)) * scale for _ in range(3))


# ---------------------------------------------------------------- one-step Jacobians
@pytest.mark.parametrize("k", KS)
@pytest.mark.parametrize("n", [1, 2, 5])
def test_state_jacobian_every_lag_matches_finite_differences(k, n):
    rng = np.random.default_rng(10 * n + (k or 9))
    Q, K, V = params(rng, k, n)
    past = 4 if k is None else k
    x, h = rng.normal(size=n), rng.normal(size=(past, n))
    att = AttentionRNN(k, n)
    for lag in range(1, past + 1):
        got = att.state_jacobian(lag).evaluate(x=x, h=h, Q=Q, K=K, V=V)
        assert got.shape == (n, n)
        want = fd_state_jacobian(x, h, Q, K, V, k is None, lag)
        np.testing.assert_allclose(got, want, atol=1e-7, rtol=1e-6)


@pytest.mark.parametrize("k", KS)
def test_symbolic_sizes_bind_from_the_arrays(k):
    rng = np.random.default_rng(3)
    n = 3
    Q, K, V = params(rng, k, n)
    past = 2 if k is None else k
    x, h = rng.normal(size=n), rng.normal(size=(past, n))
    att = AttentionRNN(None if k is None else size("k"))
    got = att.state_jacobian(past).evaluate(x=x, h=h, Q=Q, K=K, V=V)
    np.testing.assert_allclose(got, fd_state_jacobian(x, h, Q, K, V, k is None, past),
                               atol=1e-7)


@pytest.mark.parametrize("k", KS)
def test_symbolic_lag_evaluates_at_any_lag(k):
    rng = np.random.default_rng(4)
    n = 3
    Q, K, V = params(rng, k, n)
    past = 3 if k is None else k
    x, h = rng.normal(size=n), rng.normal(size=(past, n))
    jac = AttentionRNN(k, n).state_jacobian("i")
    for lag in range(1, past + 1):
        np.testing.assert_allclose(jac.evaluate(x=x, h=h, Q=Q, K=K, V=V, i=lag),
                                   fd_state_jacobian(x, h, Q, K, V, k is None, lag), atol=1e-7)


def test_large_scores_stay_finite():
    """The softargmax is evaluated stably: scores of several hundred do not overflow."""
    rng = np.random.default_rng(5)
    n = 4
    Q, K, V = params(rng, 2, n, scale=6.0)
    x, h = rng.normal(size=n) * 3, rng.normal(size=(2, n)) * 3
    got = AttentionRNN(2, n).state_jacobian(1).evaluate(x=x, h=h, Q=Q, K=K, V=V)
    assert np.all(np.isfinite(got))
    scores = [Q[0] @ x @ (K[0] @ x), Q[1] @ h[0] @ (K[1] @ h[0])]
    assert max(abs(s) for s in scores) > 100
    np.testing.assert_allclose(got, fd_state_jacobian(x, h, Q, K, V, False, 1),
                               rtol=1e-4, atol=1e-4)


# ---------------------------------------------------------------- closed forms
def test_lag_jacobian_is_the_person_written_form():
    jac = AttentionRNN(2, 4).state_jacobian(1)
    assert jac.shape == (4, 4)
    assert jac.latex("matrix") == (
        r"\frac{\partial h[t]}{\partial h[t-1]} = a_{1}[t] V_{1} + a_{1}[t] "
        r"\left(v_{1}[t] - h[t]\right) \left(k_{1}[t]^{\top} Q_{1} + q_{1}[t]^{\top} "
        r"K_{1}\right)")
    index_form = jac.latex()
    for part in (r"\frac{\partial h[t]_{j}}{\partial h[t-1]_{l}}",
                 r"a_{1}[t] \left(V_{1}\right)_{jl}",
                 r"v_{1}[t]_{j} - h[t]_{j}", r"\sum_{r=1}^{4} q_{1}[t]_{r} \left(K_{1}\right)_{rl}",
                 r"\sum_{r=1}^{4} k_{1}[t]_{r} \left(Q_{1}\right)_{rl}"):
        assert part in index_form
    assert r"\sum_{r=0}^{3}" in jac.latex(index_base=0)


def test_general_lag_and_weight_sharing_in_the_closed_form():
    general = AttentionRNN(size("k")).state_jacobian("i")
    assert general.latex("matrix").endswith(
        r"a_{i}[t] V_{i} + a_{i}[t] \left(v_{i}[t] - h[t]\right) \left(k_{i}[t]^{\top} Q_{i} "
        r"+ q_{i}[t]^{\top} K_{i}\right)")
    tied = AttentionRNN(None).state_jacobian(3).latex("matrix")
    assert r"a_{3}[t] V_{h}" in tied and r"k_{3}[t]^{\top} Q_{h}" in tied


@pytest.mark.parametrize("k, lag", [(1, 1), (2, 2), (3, 2), (None, 2)])
def test_equivalent_form_with_the_past_state(k, lag):
    """a_i V_i + a_i (v_i - h[t]) h[t-i]^T (Q_i^T K_i + K_i^T Q_i), written from scratch."""
    rng = np.random.default_rng(6)
    n = 4
    Q, K, V = params(rng, k, n)
    past = 3 if k is None else k
    x, h = rng.normal(size=n), rng.normal(size=(past, n))
    p = 1 if k is None else lag
    sources = [x, *h]
    w = np.array([(Q[min(i, 1) if k is None else i] @ s) @ (K[min(i, 1) if k is None else i] @ s)
                  for i, s in enumerate(sources)])
    a = softargmax(w)
    hs = h[lag - 1]
    v = V[p] @ hs
    ht = ref_cell(x, list(h), Q, K, V, k is None)
    want = a[lag] * V[p] + a[lag] * np.outer(v - ht, hs @ (Q[p].T @ K[p] + K[p].T @ Q[p]))
    got = AttentionRNN(k, n).state_jacobian(lag).evaluate(x=x, h=h, Q=Q, K=K, V=V)
    np.testing.assert_allclose(got, want, atol=1e-12)


def test_chain_rule_parts():
    att = AttentionRNN(2, 3)
    parts = att.jacobian_parts(1)
    assert parts["da/dw"].latex("matrix").endswith(
        r"\operatorname{diag}\left(a[t]\right) - a[t] a[t]^{\top}")
    assert parts["dv/dh"].latex("matrix").endswith("= V_{1}")
    assert parts["dw/dh"].latex("matrix").endswith(r"K_{1}^{\top} q_{1}[t] + Q_{1}^{\top} k_{1}[t]")
    rng = np.random.default_rng(7)
    Q, K, V = params(rng, 2, 3)
    x, h = rng.normal(size=3), rng.normal(size=(2, 3))
    w = np.array([(Q[i] @ s) @ (K[i] @ s) for i, s in enumerate([x, *h])])
    a = softargmax(w)
    got = parts["da/dw"].evaluate(x=x, h=h, Q=Q, K=K, V=V)
    np.testing.assert_allclose(got, np.diag(a) - np.outer(a, a), atol=1e-12)
    dw = parts["dw/dh"].evaluate(x=x, h=h, Q=Q, K=K, V=V)
    np.testing.assert_allclose(dw, (Q[1].T @ K[1] + K[1].T @ Q[1]) @ h[0], atol=1e-12)


# ---------------------------------------------------------------- sequences
@pytest.mark.parametrize("k", KS)
@pytest.mark.parametrize("n", [2, 3])
def test_unroll_matches_the_reference_forward_pass(k, n):
    rng = np.random.default_rng(8)
    Q, K, V = params(rng, k, n)
    x = rng.normal(size=(6, n))
    H, J = AttentionRNN(k, n).unroll(x, Q, K, V)
    np.testing.assert_allclose(H, ref_run(x, Q, K, V, k), atol=1e-12)
    assert J.shape == (6, 5 if k is None else k, n, n)


@pytest.mark.parametrize("k", KS)
@pytest.mark.parametrize("n", [1, 3])
@pytest.mark.parametrize("via", ["recursion", "total"])
def test_grad_state_matches_finite_differences(k, n, via):
    rng = np.random.default_rng(20 + n + (k or 7))
    Q, K, V = params(rng, k, n)
    L = 7
    x, g = rng.normal(size=(L, n)), rng.normal(size=(L, n))
    att = AttentionRNN(k, n)
    for T in (1, 2, L // 2 + 1, L - 1, L):
        got = att.grad_state(T, steps=L, via=via).evaluate(x=x, Q=Q, K=K, V=V, g=g)
        assert got.shape == (n,)
        np.testing.assert_allclose(got, fd_grad_state(x, Q, K, V, g, k, T), atol=1e-7,
                                   rtol=1e-6)


@pytest.mark.parametrize("k", KS)
def test_both_ways_agree_and_need_every_later_step(k):
    """The recursion and the total-Jacobian sum agree; dropping the later steps does not."""
    rng = np.random.default_rng(9)
    n, L, T = 3, 6, 2
    Q, K, V = params(rng, k, n)
    x, g = rng.normal(size=(L, n)), rng.normal(size=(L, n))
    att = AttentionRNN(k, n)
    arrays = dict(x=x, Q=Q, K=K, V=V, g=g)
    rec = att.grad_state(T, steps=L).evaluate(**arrays)
    tot = att.grad_state(T, steps=L, via="total").evaluate(**arrays)
    np.testing.assert_allclose(rec, tot, atol=1e-12)
    assert not np.allclose(rec, g[T - 1])


def test_symbolic_grad_state_prints_and_evaluates():
    rng = np.random.default_rng(11)
    n, L = 2, 5
    Q, K, V = params(rng, 2, n)
    x, g = rng.normal(size=(L, n)), rng.normal(size=(L, n))
    q = AttentionRNN(size("k"), n).grad_state("T", steps="L")
    text = q.latex()
    assert text.startswith(r"\frac{\partial \ell}{\partial h[T]_{j}} = g[T, j] + \sum")
    assert r"J[T + i, i, r, j] \delta[T + i, r]" in text
    got = q.evaluate(x=x, Q=Q, K=K, V=V, g=g, k=2, T=3)
    np.testing.assert_allclose(got, fd_grad_state(x, Q, K, V, g, 2, 3), atol=1e-7)
    inf = AttentionRNN(None).grad_state("T", steps="L")
    assert r"1 \leq i \leq L - T" in inf.latex()
    total = AttentionRNN(2).grad_state("T", steps="L", via="total")
    assert r"T \leq t \leq L" in total.latex()


@pytest.mark.parametrize("via", ["recursion", "total"])
def test_grad_state_keeps_time_and_lags_one_based_at_index_base_0(via):
    """Only the array axes (r, j) follow index_base; time steps and lags are written as the
    homework writes them (1-based time, lags 1..k), and symgrad's checker reads them so."""
    q = AttentionRNN(2, 3).grad_state(2, steps=5, via=via)
    zero, one = q.latex(index_base=0), q.latex(index_base=1)
    if via == "recursion":
        assert r"g[2, j] + \sum_{\substack{0 \leq r \leq 2\\1 \leq i \leq 2}} " \
            r"J[i + 2, i, r, j] \delta[i + 2, r]" in zero
        assert r"\substack{1 \leq r \leq 3\\1 \leq i \leq 2}" in one
        stale = (r"\frac{\partial \ell}{\partial h[2]_{j}} = g[1, j] + \sum_{r=0}^{2}"
                 r"\sum_{i=0}^{1} J[i + 2, i, r, j] \delta[i + 2, r]")
    else:
        assert r"\substack{0 \leq r \leq 2\\2 \leq t \leq 5}} D[t, r, j] g[t, r]" in zero
        stale = (r"\frac{\partial \ell}{\partial h[2]_{j}} = \sum_{r=0}^{2}\sum_{t=1}^{4} "
                 r"D[t, r, j] g[t, r]")
    for base, text in ((0, zero), (1, one)):
        assert q.check(text, index_base=base).verdict == "correct", text
    # the old form, time read 0-based, is now wrong at base 0
    assert q.check(stale, index_base=0).verdict == "incorrect"
    symbolic = AttentionRNN(size("k"), 3).grad_state("T", steps="L", via=via).latex(
        index_base=0)
    assert "T - 1" not in symbolic and "L - 1" not in symbolic
    assert ("g[T, j]" if via == "recursion" else r"T \leq t \leq L") in symbolic


def test_answer_1_2_2_f_at_index_base_0_writes_time_as_the_homework():
    """`symgrad show 1.2.2.f --index-base 0`: only r, j start at 0."""
    from symgrad.problems.hw2_attention import answer_1_2_2_f

    text = answer_1_2_2_f(index_base=0).latex
    assert "T - 1" not in text and "L - 1" not in text and r"0 \leq i" not in text
    assert r"g[T, j] + \sum_{\substack{0 \leq r \leq n - 1\\1 \leq i \leq " \
        r"\min\left(k, L - T\right)}} J[T + i, i, r, j]" in text
    assert r"\substack{0 \leq r \leq n - 1\\T \leq t \leq L}" in text


@pytest.mark.parametrize("k", [2, 3])
def test_grad_state_sums_only_over_steps_that_exist(k):
    """With T + k > L the recursion stops at L: min(k, L - T) terms, a number when the
    sizes are known; the value is still dl/dh[T] (central differences)."""
    n, L, T = 2, 4, 3
    rng = np.random.default_rng(31 + k)
    Q, K, V = params(rng, k, n)
    x, g = rng.normal(size=(L, n)), rng.normal(size=(L, n))
    q = AttentionRNN(k, n).grad_state(T, steps=L)
    for base in (0, 1):
        text = q.latex(index_base=base)
        assert r"\sum_{r=%d}^{%d} J[4, 1, r, j] \delta[4, r]" % (base, n - 1 + base) in text
        assert q.check(text, index_base=base).verdict == "correct", text
    np.testing.assert_allclose(q.evaluate(x=x, Q=Q, K=K, V=V, g=g),
                               fd_grad_state(x, Q, K, V, g, k, T), atol=1e-7)
    general = AttentionRNN(size("k"), n).grad_state("T", steps="L").latex()
    assert r"1 \leq i \leq \min\left(k, L - T\right)" in general
    reads = AttentionRNN(k, n).grad_state("T", steps="L")
    np.testing.assert_allclose(reads.evaluate(x=x, Q=Q, K=K, V=V, g=g, T=T),
                               fd_grad_state(x, Q, K, V, g, k, T), atol=1e-7)


# ---------------------------------------------------------------- structure and errors
def test_shapes():
    assert AttentionRNN(2, 4).shape("a") == (3,)
    assert AttentionRNN(2).shape("h") == (size("n"),)
    k = size("k")
    assert AttentionRNN(k).shape("a") == (k + 1,)
    assert AttentionRNN(None, 5).shape("a") == (size("t"),)
    assert AttentionRNN(None, 5).shape("Q_h") == (5, 5)
    assert AttentionRNN(3, 2).shape("w_1") == ()
    with pytest.raises(UnknownNameError):
        AttentionRNN(2).shape("z")


def test_equations():
    system = AttentionRNN(2).equations()
    assert all(isinstance(e, sp.Eq) for e in system) and len(system) == 7
    text = system.latex()
    assert r"q_{0}[t], q_{1}[t], q_{2}[t] &= Q_{0} x[t], Q_{1} h[t-1], Q_{2} h[t-2]" in text
    assert r"w_{i}[t] &= q_{i}[t]^{\top} k_{i}[t]" in text
    assert r"h[t] &= \sum_{i=0}^{2} a_{i}[t] v_{i}[t]" in text
    general = AttentionRNN(size("k")).equations().latex()
    assert r"\dots, Q_{k} h[t-k]" in general
    inf = AttentionRNN(None).equations()
    assert r"Q_{0} x[t], Q_{h} h[t-1], \dots, Q_{h} h[1]" in inf.latex()
    assert r"\sum_{i=0}^{t-1}" in inf.latex()
    assert "Q_h" in inf.sharing and inf.parameters == ("Q_0", "Q_h", "K_0", "K_h", "V_0",
                                                        "V_h")


def test_errors_are_clear():
    att = AttentionRNN(2, 3)
    for bad in (0, 3, -1, 1.5):
        with pytest.raises(ShapeError):
            att.state_jacobian(bad)
    for T, L in ((0, 4), (5, 4), (1, 0)):
        with pytest.raises(SymgradError):
            att.grad_state(T, steps=L)
    with pytest.raises(ShapeError):
        att.grad_state(1, steps=3, via="forward")
    for k in (0, -2, True, 1.5):
        with pytest.raises(ShapeError):
            AttentionRNN(k)
    rng = np.random.default_rng(0)
    Q, K, V = params(rng, None, 3)
    with pytest.raises(ShapeError, match="past state"):
        AttentionRNN(None, 3).state_jacobian(3).evaluate(
            x=np.ones(3), h=np.ones((2, 3)), Q=Q, K=K, V=V)
    Q, K, V = params(rng, 2, 3)
    with pytest.raises(ShapeError):
        att.grad_state(2, steps=4).evaluate(x=np.ones((4, 3)), Q=Q, K=K, V=V,
                                            g=np.ones((5, 3)))
    symbolic = AttentionRNN(2, 3).grad_state("T", steps=4)
    with pytest.raises(ShapeError, match="outside"):
        symbolic.evaluate(x=np.ones((4, 3)), Q=Q, K=K, V=V, g=np.ones((4, 3)), T=6)


# ---------------------------------------------------------------- cost
def test_derivation_does_not_grow_with_n_or_k():
    """One symbolic cell serves every n and k; the specialised forms are equally small."""
    small, big = AttentionRNN(2, 4).state_jacobian(1), AttentionRNN(2, 4096).state_jacobian(1)
    assert sp.count_ops(small.element) == sp.count_ops(big.element)
    assert AttentionRNN(64, 4).model is AttentionRNN(2, 4).model
    _cell.cache_clear()
    start = time.perf_counter()
    AttentionRNN(64, 4096).state_jacobian(64).latex("matrix")
    assert time.perf_counter() - start < 10


@pytest.mark.parametrize("k", KS)
@pytest.mark.parametrize("steps", [1, 2, 3])
def test_total_state_jacobian_over_steps_matches_finite_differences(k, steps):
    """Issue 13: total dh[t]/dh[t-steps] (every path), evaluated on a sequence."""
    rng = np.random.default_rng(40 + steps + (k or 9))
    n, L = 2, 6
    Q, K, V = params(rng, k, n)
    x = rng.normal(size=(L, n))
    T = L - steps
    ref = np.zeros((n, n))
    for c in range(n):
        e = np.zeros(n)
        e[c] = EPS
        ref[:, c] = (ref_run(x, Q, K, V, k, (T, e))[-1]
                     - ref_run(x, Q, K, V, k, (T, -e))[-1]) / (2 * EPS)
    q = AttentionRNN(k, n).state_jacobian(steps=steps)
    np.testing.assert_allclose(q.evaluate(x=x, Q=Q, K=K, V=V), ref, atol=1e-7)
    assert rf"\partial h[t-{steps}]" in q.latex()
    assert not [ch for ch in q.latex() if ord(ch) < 32], q.latex()
    with pytest.raises(ShapeError, match="at least"):
        q.evaluate(x=x[:steps], Q=Q, K=K, V=V)


def test_evaluate_keys_as_written_and_jacobian_in_time_notation():
    """Issue 13: every quantity takes "x[t]" and "h[t-1]", ..., "h[t-k]" as well as x, h;
    jacobian(of, wrt) in Model's time notation (partial where the cell reads h[t-i], total
    over every path beyond k), checked against central differences of ref_cell."""
    from reference import central

    rng = np.random.default_rng(21)
    n, k = 3, 2
    att = AttentionRNN(k=k, input_size=n)
    x, h = rng.normal(size=n), rng.normal(size=(k, n))
    Q, K, V = (0.6 * rng.normal(size=(k + 1, n, n)) for _ in range(3))
    for lag in (1, 2):
        q = att.jacobian("h[t]", f"h[t-{lag}]")
        written = q.evaluate({"x[t]": x, "h[t-1]": h[0], "h[t-2]": h[1], "Q": Q, "K": K,
                              "V": V})

        def f(v, lag=lag):
            past = h.copy()
            past[lag - 1] = v
            return ref_cell(x, past, Q, K, V, False)

        np.testing.assert_allclose(written, central(f, h[lag - 1]), atol=1e-7)
        np.testing.assert_allclose(written, q.evaluate(x=x, h=h, Q=Q, K=K, V=V), atol=1e-14)
    with pytest.raises(ShapeError):
        att.state_jacobian(1).evaluate({"x[t]": x, "h[t-2]": h[1], "Q": Q, "K": K, "V": V})
    assert att.jacobian("h[t]", "h[t-3]").latex() == att.total_jacobian(3).latex()
    with pytest.raises(UnknownNameError):
        att.jacobian("a[t]", "h[t-1]")
    out = att.output("h").evaluate({"x[t]": x, "h": h, "Q": Q, "K": K, "V": V})
    np.testing.assert_allclose(out, ref_cell(x, h, Q, K, V, False), atol=1e-12)


@pytest.mark.parametrize("k", [sp.oo, float("inf")])
def test_infinity_points_to_k_none(k):
    with pytest.raises(ShapeError, match=r"k=None"):
        AttentionRNN(k=k, input_size=3)


def test_numpy_integers_are_sizes():
    from symgrad.layers.gated_rnn import GatedRNN

    assert AttentionRNN(k=np.int64(2), input_size=np.int64(3)).shape("a") == (3,)
    assert GatedRNN(np.int64(3), np.int64(4)).shape("c") == (4,)


@pytest.mark.parametrize("k", [1, 2, None])
def test_total_jacobian_declares_the_series_its_recursion_reads(k):
    """D[tau] = dh[tau]/dh[t-2] at every step (I at t-2, 0 before) and the one-step
    Jacobians dh[tau]/dh[tau-i] at every lag i = 1..L, 0 past the states the cell reads:
    what the checker judges the printed recursion with."""
    att = AttentionRNN(k, 2)
    q = att.total_jacobian(2)
    assert set(q.series) == {"x", "ht", "D_total", "J_lag"}
    assert q.series["J_lag"].base == 1
    rng = np.random.default_rng(0)
    L, n = 5, 2
    slots = 2 if k is None else k + 1
    arrays = {"x": rng.normal(size=(L, n)),
              **{p: rng.normal(size=(slots, n, n)) for p in ("Q", "K", "V")}}
    env, _ = q.environment(arrays)
    D, J, H = env["D[steps]"], env["J[steps]"], env["h[steps]"]
    assert J.shape == (L, L, n, n) and H.shape == (L, n)
    np.testing.assert_allclose(D[L - 1], q.evaluate(arrays))
    np.testing.assert_allclose(D[L - 3], np.eye(n))
    assert not D[:L - 3].any()
    for tau in range(L - 1, L + 1):
        want = sum(J[tau - 1, i - 1] @ D[tau - i - 1] for i in range(1, tau))
        np.testing.assert_allclose(D[tau - 1], want)
    if k is not None:
        assert not J[:, k:].any()
