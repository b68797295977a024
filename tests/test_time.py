"""Time references read once (symgrad.notation.time) and absolute steps in models and
layers: jacobian("h[3]", "h[0]") against explicit NumPy loops and central differences."""

import numpy as np
import pytest
import sympy as sp

import symgrad as sg
from symgrad.core.errors import ShapeError, SymgradError, UnknownNameError
from symgrad.notation.time import Step, at_step, map_steps, parse_step, step_latex

ELMAN = r"h[t] = \tanh(W h[t-1] + U x[t])"


# parsing and printing ----------------------------------------------------------------------
@pytest.mark.parametrize("text, name, offset, absolute", [
    ("h[t]", "h", 0, False), ("h[t-1]", "h", -1, False), ("h[t+2]", "h", 2, False),
    ("h[3]", "h", 3, True), ("h[0]", "h", 0, True), (r"\tilde{h}[t-1]", r"\tilde{h}", -1, False),
    ("W_x x[t]", "W_x x", 0, False), ("c[12]", "c", 12, True),
])
def test_parse_and_print_round_trip(text, name, offset, absolute):
    step = parse_step(text)
    assert step == Step(name, offset, absolute)
    assert step.latex() == text
    assert parse_step(step.latex()) == step
    assert step_latex(name, offset, absolute) == text


def test_symbolic_offsets_round_trip():
    k = sp.Symbol("k", integer=True, positive=True)
    step = parse_step("h[t-k]")
    assert not step.absolute and step.lag == k and step.latex() == "h[t-k]"
    assert parse_step("h[t-k+1]").latex() == "h[t-k+1]"
    assert parse_step("h[t-k+1]").lag == k - 1


@pytest.mark.parametrize("written, read", [
    ("h_{t-1}", "h[t-1]"), ("h^{(t-2)}", "h[t-2]"), ("h_t", "h[t]"), ("h[ t - 2 ]", "h[t-2]"),
    ("h(t-1)", "h[t-1]"),
])
def test_time_marks_as_written(written, read):
    assert parse_step(written).latex() == read


@pytest.mark.parametrize("text", ["W_c", "x[i]", "W[1,2]", r"U x[t] + W h[t-1]", "h"])
def test_not_a_time_reference(text):
    assert parse_step(text) is None


def test_steps_move():
    assert parse_step("h[t-1]").at(3) == Step("h", 2, True)
    assert parse_step("h[t]").shifted(-2).latex() == "h[t-2]"
    assert parse_step("h[3]").shifted(-1).latex() == "h[2]"
    assert parse_step("h[3]").lag is None and parse_step("h[t-2]").lag == 2
    assert at_step(r"c[t] \odot h[t-1] + x[t+1] h[t-k]", 3) == r"c[3] \odot h[2] + x[4] h[t-k]"
    assert map_steps("h[t-1] x[t]", lambda d: f"s{d}") == "h[s-1] x[s0]"


@pytest.mark.parametrize("text, words", [
    ("h[-1]", "negative"), ("h[1.5]", "whole number"), ("h[t-0.5]", "whole number"),
    ("h[t-1/2]", "whole number"),
])
def test_bad_steps_say_how_to_write_them(text, words):
    with pytest.raises(UnknownNameError) as info:
        parse_step(text)
    message = str(info.value)
    assert words in message and "h[0]" in message and "h[t-1]" in message
    assert "\n" not in message


# independent numeric references -------------------------------------------------------------
def _sigma(z):
    return 1.0 / (1.0 + np.exp(-z))


def _gated_step(h, x, W_c, W_h, W_x):
    c = np.empty(len(h))
    out = np.empty(len(h))
    for i in range(len(h)):
        z = sum(W_c[i, q] * x[q] for q in range(len(x))) + sum(W_h[i, r] * h[r]
                                                              for r in range(len(h)))
        c[i] = _sigma(z)
        u = sum(W_x[i, q] * x[q] for q in range(len(x)))
        out[i] = c[i] * h[i] + (1 - c[i]) * u
    return out, c


def _elman_step(h, x, W, U):
    out = np.empty(len(h))
    for i in range(len(h)):
        out[i] = np.tanh(sum(W[i, r] * h[r] for r in range(len(h)))
                         + sum(U[i, q] * x[q] for q in range(len(x))))
    return out, None


def _run(step, h0, xs, params, start, stop, pick=0):
    """The state (pick=0) or the gate (pick=1) at step ``stop`` from h[start] = h0;
    xs[tau - 1] is x[tau]."""
    h, out = np.array(h0, dtype=float), None
    for tau in range(start + 1, stop + 1):
        h, c = step(h, xs[tau - 1], *params)
        out = (h, c)[pick]
    return out


def _reference(step, h_init, xs, params, a, b, pick=0, eps=1e-6):
    """d (h or c)[a] / d h[b] by central differences of the explicit loops."""
    h_b = _run(step, h_init, xs, params, 0, b) if b > 0 else np.array(h_init, dtype=float)
    cols = []
    for j in range(len(h_b)):
        e = np.zeros(len(h_b))
        e[j] = eps
        up = _run(step, h_b + e, xs, params, b, a, pick)
        down = _run(step, h_b - e, xs, params, b, a, pick)
        cols.append((up - down) / (2 * eps))
    return np.array(cols).T


def _gated_arrays(rng, n, m, rows):
    return dict(x=rng.normal(size=(rows, n)), W_c=rng.normal(size=(m, n)),
                W_h=rng.normal(size=(m, m)), W_x=rng.normal(size=(m, n)),
                h_init=rng.normal(size=m))


SIZES = [(3, 2), (2, 4), (5, 3)]


@pytest.mark.parametrize("n, m", SIZES)
@pytest.mark.parametrize("a, b", [(3, 0), (4, 1), (2, 1)])
def test_gated_rnn_absolute_jacobian_matches_loops(n, m, a, b):
    rng = np.random.default_rng(100 * n + 10 * m + a + b)
    arr = _gated_arrays(rng, n, m, rows=a + 2)  # later rows are not read
    q = sg.GatedRNN(n, m).jacobian(f"h[{a}]", f"h[{b}]")
    got = q.evaluate(**arr)
    params = (arr["W_c"], arr["W_h"], arr["W_x"])
    want = _reference(_gated_step, arr["h_init"], arr["x"], params, a, b)
    assert got.shape == (m, m)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)
    # the relative result at t := a, on x[1..a]
    rel = sg.GatedRNN(n, m).state_jacobian(steps=a - b)  # d h[t] / d h[t-k] over a sequence
    rel_arr = {**arr, "x": arr["x"][:a]}
    np.testing.assert_allclose(rel.evaluate(**rel_arr), got, rtol=1e-10, atol=1e-12)


def test_gated_rnn_absolute_jacobian_of_the_gate():
    rng = np.random.default_rng(7)
    arr = _gated_arrays(rng, 3, 2, rows=4)
    q = sg.GatedRNN(3, 2).jacobian("c[4]", "h[1]")
    params = (arr["W_c"], arr["W_h"], arr["W_x"])
    want = _reference(_gated_step, arr["h_init"], arr["x"], params, 4, 1, pick=1)
    np.testing.assert_allclose(q.evaluate(**arr), want, rtol=1e-6, atol=1e-8)
    assert "c[4]" in q.latex() and "h[1]" in q.latex() and "[t" not in q.latex()


def test_gated_rnn_absolute_jacobian_is_printed_at_its_steps():
    q = sg.GatedRNN(3, 2).jacobian("h[3]", "h[0]")
    for form in ("index", "matrix"):
        text = q.latex(form)
        for mark in ("h[3]", "h[2]", "h[1]", "h[0]", "x[3]", "c[3]"):
            assert mark in text, (form, mark)
        assert "[t" not in text
    assert r"\frac{\partial h[3]_{i}}{\partial h[0]_{j}}" in q.latex()
    assert r"\frac{\partial h[4]}{\partial h[1]}" in sg.GatedRNN(3, 2).jacobian(
        "h[4]", "h[1]").latex("matrix")
    # relative results are printed relative to t, as before
    assert "h[t-3]" in sg.GatedRNN(3, 2).jacobian("h[t]", "h[t-3]").latex()


def _elman(rng, n, m, rows):
    return dict(W=rng.normal(size=(n, n)) * 0.8, U=rng.normal(size=(n, m)),
                x=rng.normal(size=(rows, m)), h_init=rng.normal(size=n))


@pytest.mark.parametrize("n, m", SIZES)
@pytest.mark.parametrize("a, b", [(3, 0), (4, 1), (5, 4)])
def test_elman_absolute_jacobian_matches_loops(n, m, a, b):
    model = sg.Model.from_latex(ELMAN, shapes={"W": "n x n", "U": "n x m", "x": "m",
                                               "h": "n"})
    rng = np.random.default_rng(1000 * n + 100 * m + 10 * a + b)
    arr = _elman(rng, n, m, rows=a + 1)
    q = model.jacobian(f"h[{a}]", f"h[{b}]")
    got = q.evaluate({"h[0]": arr["h_init"]}, W=arr["W"], U=arr["U"], x=arr["x"])
    want = _reference(_elman_step, arr["h_init"], arr["x"], (arr["W"], arr["U"]), a, b)
    assert got.shape == (n, n)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)
    text = q.latex()
    assert f"h[{a}]" in text and f"h[{b}]" in text and "[t" not in text


def test_elman_absolute_equals_relative_at_t_equal_a():
    model = sg.Model.from_latex(ELMAN, shapes={"W": "n x n", "U": "n x m", "x": "m",
                                               "h": "n"})
    arr = _elman(np.random.default_rng(3), 4, 2, rows=6)
    a = model.jacobian("h[3]", "h[0]").evaluate(**arr)
    r = model.jacobian("h[t]", "h[t-3]").evaluate(**{**arr, "x": arr["x"][:3]})
    np.testing.assert_allclose(a, r, rtol=1e-12)
    assert not np.allclose(a, model.jacobian("h[t]", "h[t-3]").evaluate(**arr))


# errors -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def elman():
    return sg.Model.from_latex(ELMAN, shapes={"W": "n x n", "U": "n x m", "x": "m", "h": "n"})


@pytest.mark.parametrize("of, wrt, kind, words", [
    ("h[0]", "h[3]", ShapeError, "jacobian('h[3]', 'h[0]')"),
    ("h[3]", "h[3]", ShapeError, "jacobian('h[3]', 'h[2]')"),
    ("h[-1]", "h[0]", UnknownNameError, "negative"),
    ("h[3]", "h[2.5]", UnknownNameError, "whole number"),
    ("h[3]", "h[t-1]", UnknownNameError, "jacobian('h[3]', 'h[0]')"),
    ("h[3]", "W", UnknownNameError, "jacobian('h[t]', 'h[t-3]')"),
    ("h[3]", "x[1]", UnknownNameError, "earlier state"),
])
def test_bad_absolute_steps(elman, of, wrt, kind, words):
    with pytest.raises(kind) as info:
        elman.jacobian(of, wrt)
    assert words in str(info.value) and "\n" not in str(info.value)
    assert isinstance(info.value, SymgradError)


def test_gated_rnn_bad_steps():
    rnn = sg.GatedRNN(3, 2)
    with pytest.raises(ShapeError, match="comes before"):
        rnn.jacobian("h[0]", "h[3]")
    with pytest.raises(UnknownNameError, match="negative"):
        rnn.jacobian("h[3]", "h[-2]")


def test_too_few_inputs_for_the_step(elman):
    arr = _elman(np.random.default_rng(5), 3, 2, rows=2)
    with pytest.raises(ShapeError, match="steps 1..3"):
        elman.jacobian("h[3]", "h[0]").evaluate(**arr)
