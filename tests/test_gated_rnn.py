"""GatedRNN against an independent NumPy reference: finite differences and complex steps.

The reference below is written from the homework's equations only (no symgrad code):
c[t] = sigma(W_c x[t] + W_h h[t-1]), h[t] = c[t] * h[t-1] + (1 - c[t]) * W_x x[t],
h[0] = 0. Central differences check to 1e-6; complex-step derivatives (exact to
rounding, like autograd) check to 1e-9.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
import sympy as sp
from reference import central

import symgrad as sg
from symgrad.core.errors import ShapeError, SymgradError, UnknownNameError
from symgrad.core.tensor import size
from symgrad.layers.gated_rnn import GatedRNN

SIZES = [(3, 4), (4, 3), (1, 2), (2, 1), (1, 1)]
SEEDS = [0, 1, 2]
PARAMS = ["W_x", "W_c", "W_h"]


# independent reference ---------------------------------------------------------------
def ref_sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def ref_step(x, h_prev, W_c, W_h, W_x):
    c = ref_sigmoid(W_c @ x + W_h @ h_prev)
    return c * h_prev + (1 - c) * (W_x @ x)


def ref_states(xs, W_c, W_h, W_x):
    """h[1..K] as rows, and the h[t-1] each step read (h[0] = 0)."""
    m = W_h.shape[0]
    h = np.zeros(m, dtype=np.result_type(xs, W_c, W_h, W_x))
    hs, prevs = [], []
    for x in xs:
        prevs.append(h)
        h = ref_step(x, h, W_c, W_h, W_x)
        hs.append(h)
    return np.array(hs), np.array(prevs)




def complex_step(f, a, eps=1e-30):
    """d f / d a to rounding error: Im f(a + i eps e_k) / eps (f analytic)."""
    a = np.asarray(a, dtype=float)
    out = []
    for k in range(a.size):
        e = np.zeros(a.size, dtype=complex)
        e[k] = 1j * eps
        out.append(np.imag(f(a + e.reshape(a.shape))) / eps)
    return np.moveaxis(np.array(out), 0, -1).reshape(np.shape(f(a)) + a.shape)


def random_step(n, m, seed, scale=1.0):
    rng = np.random.default_rng(seed)
    return dict(x=rng.normal(size=n), h_prev=rng.normal(size=m),
                W_c=scale * rng.normal(size=(m, n)), W_h=scale * rng.normal(size=(m, m)),
                W_x=scale * rng.normal(size=(m, n)))


def random_sequence(n, m, K, seed):
    rng = np.random.default_rng(100 + seed)
    return dict(x=rng.normal(size=(K, n)), W_c=rng.normal(size=(m, n)),
                W_h=rng.normal(size=(m, m)), W_x=rng.normal(size=(m, n)),
                delta=rng.normal(size=(K, m)), g=rng.normal(size=(K, m)))


def ref_total(p, a, derivative):
    """sum_t <delta[t], h[t]> with h[t-1] frozen at the forward values: the immediate terms."""
    _, prevs = ref_states(a["x"], a["W_c"], a["W_h"], a["W_x"])

    def loss(w):
        args = {k: a[k] for k in ("W_c", "W_h", "W_x")} | {p: w}
        return sum(np.dot(a["delta"][t], ref_step(a["x"][t], prevs[t], **args))
                   for t in range(len(a["x"])))
    return derivative(loss, a[p])


def ref_direct(p, a, derivative):
    """l = sum_t <g[t], h[t]> over the unrolled forward pass: full BPTT."""
    def loss(w):
        args = {k: a[k] for k in ("W_c", "W_h", "W_x")} | {p: w}
        hs, _ = ref_states(a["x"], **args)
        return np.sum(a["g"] * hs)
    return derivative(loss, a[p])


def step_args(a, wrt):
    return {k: a[k] for k in ("x", "h_prev", "W_c", "W_h", "W_x") if k != wrt}


# one step ----------------------------------------------------------------------------
@pytest.mark.parametrize("n,m", SIZES)
@pytest.mark.parametrize("seed", SEEDS)
def test_state_jacobian_matches_reference(n, m, seed):
    a = random_step(n, m, seed)
    got = GatedRNN(n, m).state_jacobian().evaluate(**a)
    assert got.shape == (m, m)
    f = lambda h: ref_step(h_prev=h, **step_args(a, "h_prev"))  # noqa: E731
    np.testing.assert_allclose(got, central(f, a["h_prev"]), atol=1e-6, rtol=1e-6)
    np.testing.assert_allclose(got, complex_step(f, a["h_prev"]), atol=1e-12, rtol=1e-9)


@pytest.mark.parametrize("n,m", SIZES)
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("wrt", [*PARAMS, "x"])
def test_immediate_jacobians_match_reference(n, m, seed, wrt):
    a = random_step(n, m, seed)
    q = GatedRNN(n, m).jacobian(wrt)
    got = q.evaluate(**a)
    assert got.shape == (m, *a[wrt].shape) == q.shape
    f = lambda w: ref_step(**{wrt: w}, **step_args(a, wrt))  # noqa: E731
    np.testing.assert_allclose(got, central(f, a[wrt]), atol=1e-6, rtol=1e-6)
    np.testing.assert_allclose(got, complex_step(f, a[wrt]), atol=1e-12, rtol=1e-9)


def test_state_jacobian_is_written_in_the_intermediates():
    q = GatedRNN(3, 4).state_jacobian()
    assert not q.element.atoms(sp.Sum)
    assert {str(t.base.label) for t in q.element.atoms(sp.Indexed)} == {"c", "h_prev", "u",
                                                                          "W_h"}
    assert not q.element.has(sp.exp)
    i, j = q.indices
    c, hp, u, W_h = (sp.IndexedBase(s) for s in ("c", "h_prev", "u", "W_h"))
    want = c[i] * sp.KroneckerDelta(i, j) + c[i] * (1 - c[i]) * (hp[i] - u[i]) * W_h[i, j]
    assert sp.expand(q.element - want) == 0
    index = q.latex()
    assert r"\left(W_x x[t]\right)_{i}" in index and r"\delta_{ij}" in index
    assert r"h[t-1]_{i}" in index and r"\left(W_h\right)_{ij}" in index
    matrix = q.latex("matrix")
    assert matrix == (r"\frac{\partial h[t]}{\partial h[t-1]} = \operatorname{diag}\left("
                      r"c[t]\right) + \operatorname{diag}\left(\left(h[t-1] - W_x x[t]\right) "
                      r"\odot c[t] \odot \left(1 - c[t]\right)\right) W_h")
    assert q.latex(index_base=0) == index  # no index arithmetic to shift


def test_symbolic_sizes_derive_and_evaluate():
    n, m = size("n"), size("m")
    rnn = GatedRNN(n, m)
    q = rnn.state_jacobian()
    assert q.shape == (m, m)
    assert not q.element.atoms(sp.Sum)
    assert r"\operatorname{diag}" in q.latex("matrix")
    assert rnn.jacobian("W_x").shape == (m, m, n)
    assert rnn.grad("W_h", steps=size("K")).shape == (m, m)
    a = random_step(2, 3, 0)
    np.testing.assert_allclose(q.evaluate(**a), GatedRNN(2, 3).state_jacobian().evaluate(**a))
    s = random_sequence(2, 3, 4, 0)
    got = rnn.grad("W_x", steps=size("K"), given="direct").evaluate(**s)
    np.testing.assert_allclose(got, GatedRNN(2, 3).grad("W_x", 4, "direct").evaluate(**s))


def test_shapes():
    rnn = GatedRNN(3, 5)
    want = {"x": (3,), "h": (5,), "h_prev": (5,), "c": (5,), "z": (5,), "u": (5,),
            "W_c": (5, 3), "W_h": (5, 5), "W_x": (5, 3), "delta": (5,), "g": (5,)}
    for name, shape in want.items():
        assert rnn.shape(name) == shape
        assert all(type(d) is int for d in rnn.shape(name))
    assert GatedRNN(size("n"), 4).shape("W_c") == (4, size("n"))
    assert rnn.jacobian("W_c").shape == (5, 5, 3)
    assert rnn.jacobian("W_h").shape == (5, 5, 5)
    assert rnn.grad("W_c", 7).shape == (5, 3)


def test_cost_does_not_grow_with_size():
    small = GatedRNN(3, 4).state_jacobian()
    start = time.perf_counter()
    large = GatedRNN(3, 4000).state_jacobian()
    _ = large.matrix, large.latex(), large.latex("matrix")
    assert time.perf_counter() - start < 2.0
    assert large.element == small.element and large.shape == (4000, 4000)
    assert large.latex("matrix") == small.latex("matrix")


# sequences ---------------------------------------------------------------------------
@pytest.mark.parametrize("n,m", SIZES)
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("K", [1, 3, 6])
@pytest.mark.parametrize("p", PARAMS)
def test_grad_total_matches_reference(n, m, seed, K, p):
    a = random_sequence(n, m, K, seed)
    q = GatedRNN(n, m).grad(p, steps=K)
    got = q.evaluate(**{k: a[k] for k in ("x", "W_c", "W_h", "W_x", "delta")})
    assert got.shape == a[p].shape
    np.testing.assert_allclose(got, ref_total(p, a, central), atol=1e-6, rtol=1e-6)
    np.testing.assert_allclose(got, ref_total(p, a, complex_step), atol=1e-12, rtol=1e-9)


@pytest.mark.parametrize("n,m", SIZES)
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("K", [1, 2, 6])
@pytest.mark.parametrize("p", PARAMS)
def test_grad_direct_matches_unrolled_reference(n, m, seed, K, p):
    a = random_sequence(n, m, K, seed)
    q = GatedRNN(n, m).grad(p, steps=K, given="direct")
    got = q.evaluate(**{k: a[k] for k in ("x", "W_c", "W_h", "W_x", "g")})
    assert got.shape == a[p].shape
    np.testing.assert_allclose(got, ref_direct(p, a, central), atol=1e-6, rtol=1e-6)
    np.testing.assert_allclose(got, ref_direct(p, a, complex_step), atol=1e-12, rtol=1e-9)


def test_direct_equals_total_with_backpropagated_delta():
    n, m, K = 2, 3, 5
    a = random_sequence(n, m, K, 7)
    rnn = GatedRNN(n, m)
    hs, _ = ref_states(a["x"], a["W_c"], a["W_h"], a["W_x"])
    delta = np.zeros((K, m))
    for t in range(K):  # delta[t] = dl/dh[t] in total: complex step through the tail
        def tail(h, t=t):
            total, h_cur = np.dot(a["g"][t], h), h
            for s in range(t + 1, K):
                h_cur = ref_step(a["x"][s], h_cur, a["W_c"], a["W_h"], a["W_x"])
                total = total + np.dot(a["g"][s], h_cur)
            return total
        delta[t] = complex_step(tail, hs[t])
    seq = {k: a[k] for k in ("x", "W_c", "W_h", "W_x")}
    for p in PARAMS:
        np.testing.assert_allclose(rnn.grad(p, K).evaluate(**seq, delta=delta),
                                   rnn.grad(p, K, "direct").evaluate(**seq, g=a["g"]),
                                   atol=1e-12, rtol=1e-9)


def test_state_jacobians_along_a_sequence():
    n, m, K = 3, 2, 4
    a = random_sequence(n, m, K, 3)
    rnn = GatedRNN(n, m)
    seq = {k: a[k] for k in ("x", "W_c", "W_h", "W_x")}
    J = rnn.state_jacobians(K).evaluate(**seq)
    assert J.shape == (K, m, m)
    _, prevs = ref_states(a["x"], a["W_c"], a["W_h"], a["W_x"])
    for t in range(K):
        f = lambda h, t=t: ref_step(a["x"][t], h, a["W_c"], a["W_h"], a["W_x"])  # noqa: E731
        np.testing.assert_allclose(J[t], complex_step(f, prevs[t]), atol=1e-12, rtol=1e-9)


def test_backward_step_is_transposed_state_jacobian():
    a = random_step(3, 4, 5)
    delta = np.random.default_rng(5).normal(size=4)
    rnn = GatedRNN(3, 4)
    np.testing.assert_allclose(rnn.backward_step().evaluate(**a, delta=delta),
                               rnn.state_jacobian().evaluate(**a).T @ delta, atol=1e-12)
    assert "W_h^{\\top}" in rnn.backward_step().latex("matrix")


@pytest.mark.parametrize("name", ["z", "c", "u", "h"])
def test_values_are_the_forward_pass(name):
    a = random_step(3, 4, 1)
    z = a["W_c"] @ a["x"] + a["W_h"] @ a["h_prev"]
    c = ref_sigmoid(z)
    want = {"z": z, "c": c, "u": a["W_x"] @ a["x"], "h": ref_step(**a)}[name]
    np.testing.assert_allclose(GatedRNN(3, 4).value(name).evaluate(**a), want, atol=1e-12)


# printing ----------------------------------------------------------------------------
def test_gradient_latex():
    rnn = GatedRNN(size("n"), size("m"))
    K = size("K")
    total = rnn.grad("W_x", K)
    assert total.layout == "gradient"
    assert total.latex() == (r"\frac{\partial \ell}{\partial \left(W_x\right)_{ij}} = "
                             r"\sum_{t=1}^{K} \delta[t]_{i} \left(1 - c[t]_{i}\right) x[t]_{j}")
    assert total.latex(index_base=0) == total.latex()  # time stays 1..K
    assert total.latex("matrix") == (
        r"\frac{\partial \ell}{\partial W_x} = \sum_{t=1}^{K} \left(\delta[t] \odot "
        r"\left(1 - c[t]\right)\right) x[t]^{\top}")
    direct = rnn.grad("W_h", K, given="direct")
    text = direct.latex()
    assert r"\delta[K]_{j} = g[K]_{j}" in text and r"\delta[t+1]" in text
    assert r"h[t-1]_{j}" in text and r"\sum_{i=1}^{m}" in text
    assert r"\sum_{i=0}^{m - 1}" in direct.latex(index_base=0)
    assert r"W_h^{\top}" in direct.latex("matrix")
    assert r"\sum_{t=1}^{5}" in GatedRNN(2, 3).grad("W_c", 5).latex()


# errors and arguments ----------------------------------------------------------------
def test_errors():
    rnn = GatedRNN(2, 3)
    with pytest.raises(UnknownNameError, match="known: .*W_x"):
        rnn.shape("W")
    with pytest.raises(UnknownNameError, match="W_x, W_c, W_h"):
        rnn.jacobian("W")
    with pytest.raises(UnknownNameError, match="W_x, W_c, W_h"):
        rnn.grad("h", steps=3)
    with pytest.raises(SymgradError, match="'total'.*'direct'"):
        rnn.grad("W_x", steps=3, given="partial")
    for bad in (0, -2, True, 1.5):
        with pytest.raises(SymgradError, match="steps"):
            rnn.grad("W_x", steps=bad)
    with pytest.raises(ShapeError):
        GatedRNN(0, 3)
    with pytest.raises(ShapeError):
        rnn.state_jacobian().evaluate(**random_step(2, 4, 0))
    with pytest.raises(ShapeError):
        rnn.state_jacobian().latex(form="table")


def test_extra_arrays_are_ignored():
    a = random_step(2, 3, 0)
    rnn = GatedRNN(2, 3)
    extra = {**a, "delta": np.ones(3), "g": np.ones(3)}
    np.testing.assert_allclose(rnn.jacobian("W_x").evaluate(**extra),
                               rnn.jacobian("W_x").evaluate(**a))
    s = random_sequence(2, 3, 4, 0)
    np.testing.assert_allclose(rnn.grad("W_x", 4).evaluate(**s),
                               rnn.grad("W_x", 4).evaluate(
                                   **{k: s[k] for k in ("x", "W_c", "W_h", "W_x", "delta")}))


def test_state_jacobians_latex_has_no_control_characters():
    """Issue 13: a literal form feed ("\\f" in a non-raw string) started the LaTeX."""
    tex = sg.GatedRNN(3, 4).state_jacobians(5).latex()
    assert not any(ord(ch) < 32 for ch in tex), repr(tex[:40])
    assert tex.startswith(r"\frac{\partial h[t]_{i}}{\partial h[t-1]_{j}}")


def test_no_control_characters_in_symgrad_string_literals():
    """No string literal of symgrad holds a control character (a "\\f", "\\b", "\\r" or
    "\\t" meant as LaTeX in a non-raw string), except NUL checks in render."""
    import ast
    import re
    from pathlib import Path

    root = Path(sg.__file__).parent
    found = []
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = node.value
                bad = {ch for ch in text if ord(ch) < 32} - {"\n", "\x00", "\t", "\r"}
                # a tab or carriage return before letters is a mangled \text, \times, \rho
                bad |= {m for m in re.findall(r"[\t\r](?=[A-Za-z])", text)}
                if bad:
                    found.append(f"{path.relative_to(root)}:{node.lineno} {bad}")
    assert not found, found


def test_state_jacobians_print_time_consistently():
    """The stacked state Jacobians: time is printed 1..K at either index base (like the
    time sums), so the right side reads c[t] under the left side dh[t]/dh[t-1]; the
    matrix form's left side carries no indices."""
    q = sg.GatedRNN(3, 4).state_jacobians(5)
    for b in (0, 1):
        tex = q.latex(index_base=b)
        assert "c[t]_{i}" in tex and "h[t-1]_{i}" in tex and "t + 1" not in tex, tex
    m = q.latex(form="matrix")
    assert m.startswith(r"\frac{\partial h[t]}{\partial h[t-1]} = "), m


@pytest.mark.parametrize("sizes", [(3, 4), (size("n"), size("m"))])
def test_state_jacobians_are_checked_as_the_formula_of_one_step(sizes):
    """The stacked dh[t]/dh[t-1] (t = 1..K) prints the formula of step t; its own checker
    reads that formula as the one-step Jacobian (the stack's entries, see
    test_state_jacobians_along_a_sequence): correct in both forms at both bases, and a
    changed formula is incorrect."""
    rnn = GatedRNN(*sizes)
    q = rnn.state_jacobians(3)
    for base in (0, 1):
        for form in ("index", "matrix"):
            tex = q.latex(form=form, index_base=base)
            assert tex == rnn.state_jacobian().latex(form=form, index_base=base)
            assert q.check(tex, index_base=base).verdict == "correct", tex
    wrong = q.latex().replace(r"c[t]_{i} \delta_{ij}", r"c[t]_{j} \delta_{ij} + 1", 1)
    assert wrong != q.latex() and q.check(wrong).verdict == "incorrect"


@pytest.mark.parametrize("n,m,k,L", [(3, 4, 3, 5), (2, 2, 1, 1), (1, 3, 4, 4), (2, 3, 2, 6)])
def test_multi_step_state_jacobian_matches_complex_step(n, m, k, L):
    """Issue 13: total dh[t]/dh[t-k], given h[t-k] (from any h[0]), on a sequence."""
    a = random_sequence(n, m, L, n + m + k)
    h0 = np.random.default_rng(k).normal(size=m)
    params = {w: a[w] for w in ("W_c", "W_h", "W_x")}

    def run(h, xs):
        for x in xs:
            h = ref_step(x, h, **params)
        return h

    start = run(h0.astype(complex), a["x"][:L - k])
    ref = complex_step(lambda h: run(h, a["x"][L - k:]), start.real)
    q = GatedRNN(n, m).state_jacobian(steps=k)
    np.testing.assert_allclose(q.evaluate(x=a["x"], h_init=h0, **params), ref, atol=1e-12)
    assert q.latex(form="matrix").count(r"\frac{\partial h[") == k + 2
    assert rf"\partial h[t-{k}]" in q.latex()
    if k == 1:
        np.testing.assert_allclose(
            q.evaluate(x=a["x"], h_init=h0, **params),
            GatedRNN(n, m).state_jacobian().evaluate(x=a["x"][0], h_prev=h0, **params),
            atol=1e-12)


def test_evaluate_takes_names_as_written():
    """Issue 13: every quantity accepts "x[t]", "h[t-1]" as well as x, h_prev."""
    a = random_step(3, 2, 11)
    q = GatedRNN(3, 2).state_jacobian()
    written = {"x[t]": a["x"], "h[t-1]": a["h_prev"],
               **{k: a[k] for k in ("W_c", "W_h", "W_x")}}
    np.testing.assert_array_equal(q.evaluate(written), q.evaluate(**a))


def test_sequences_agree_with_the_bptt_of_core_unroll():
    """Issue 13: GatedRNN is a definition over Model; its sequence numbers agree with
    core/unroll's pass over the same model (Model.grad) and with central differences of an
    independent NumPy loop."""
    rng = np.random.default_rng(11)
    n, m, K = 3, 4, 5
    xs = rng.normal(size=(K, n))
    W = {k: 0.7 * rng.normal(size=(m, n if k != "W_h" else m)) for k in ("W_c", "W_h", "W_x")}
    g = rng.normal(size=(K, m))
    rnn = GatedRNN(n, m)

    def loss(Wx):
        hs, _ = ref_states(xs, W["W_c"], W["W_h"], Wx)
        return float(np.sum(g * hs))

    want = central(loss, W["W_x"])
    got = rnn.grad("W_x", steps=K, given="direct").evaluate(x=xs, g=g, **W)
    np.testing.assert_allclose(got, want, atol=1e-7)
    same = rnn.model.grad("W_x", steps=K, given="direct").evaluate(x=xs, g=g, **W)
    np.testing.assert_allclose(got, same, atol=1e-12)


def test_the_sequence_pass_is_core_unroll(monkeypatch):
    """Issue 13 item 5: GatedRNN has no forward or backward pass of its own; every sequence
    quantity (state_jacobians, grad total/direct) runs core/unroll's one BPTT."""
    import symgrad.core.unroll as unroll

    calls = []
    real = unroll.Unrolled._unroll

    def counted(self, arrays, sizes):
        calls.append(self.given)
        return real(self, arrays, sizes)

    monkeypatch.setattr(unroll.Unrolled, "_unroll", counted)
    a = random_sequence(2, 3, 4, 5)
    rnn = GatedRNN(2, 3)
    params = {k: a[k] for k in ("W_c", "W_h", "W_x")}
    rnn.state_jacobians(4).evaluate(x=a["x"], **params)
    rnn.grad("W_h", steps=4).evaluate(x=a["x"], delta=a["g"], **params)
    rnn.grad("W_h", steps=4, given="direct").evaluate(x=a["x"], g=a["g"], **params)
    assert calls == ["total", "total", "direct"]


def test_jacobian_in_the_time_notation_of_model():
    """Issue 13: GatedRNN.jacobian(of, wrt) with Model's time notation: the one-step
    Jacobians, c[t] by h[t-1], and the total dh[t]/dh[t-2] on a sequence (central
    differences of an independent NumPy loop)."""
    rng = np.random.default_rng(4)
    n, m = 2, 3
    rnn = GatedRNN(n, m)
    W = {k: 0.8 * rng.normal(size=(m, n if k != "W_h" else m)) for k in ("W_c", "W_h", "W_x")}
    x, h_prev = rng.normal(size=n), rng.normal(size=m)
    assert rnn.jacobian("h[t]", "h[t-1]").latex() == rnn.state_jacobian().latex()
    assert rnn.jacobian("h[t]", "W_x").latex() == rnn.jacobian("W_x").latex()
    dc = rnn.jacobian("c[t]", "h[t-1]").evaluate({"x[t]": x, "h[t-1]": h_prev, **W})
    want = central(lambda v: ref_sigmoid(W["W_c"] @ x + W["W_h"] @ v), h_prev)
    np.testing.assert_allclose(dc, want, atol=1e-8)
    xs, h0 = rng.normal(size=(4, n)), rng.normal(size=m)

    def last(v):  # h[4] from h[2] = v
        h = v
        for t in (2, 3):
            h = ref_step(xs[t], h, W["W_c"], W["W_h"], W["W_x"])
        return h

    states = [h0]
    for t in range(2):
        states.append(ref_step(xs[t], states[-1], W["W_c"], W["W_h"], W["W_x"]))
    total = rnn.jacobian("h[t]", "h[t-2]").evaluate(x=xs, h_init=h0, **W)
    np.testing.assert_allclose(total, central(last, states[2]), atol=1e-7)
