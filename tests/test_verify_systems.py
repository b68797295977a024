"""Defining systems of AttentionRNN(k) / AttentionRNN(inf), read and run as recurrences."""

from dataclasses import replace

import numpy as np
import pytest
import sympy as sp

from symgrad.core.ops import AtTime
from symgrad.layers.attention_rnn import AttentionRNN
from symgrad.notation import SystemClaim, parse_claim
from symgrad.problems.hw2_contexts import context
from symgrad.verify import check_claim
from symgrad.verify.systems import (
    Claimed,
    Runner,
    SystemProblem,
    SystemUnreadable,
    check_system,
    structure,
)

PER_SLOT = (r"q_0[t] = Q_0 x[t],\ q_i[t] = Q_i h[t-i],\ k_0[t] = K_0 x[t],\ k_i[t] = K_i h[t-i],"
            r"\ v_0[t] = V_0 x[t],\ v_i[t] = V_i h[t-i],\ w_i[t] = q_i[t]^T k_i[t],\ a[t] = "
            r"\mathrm{softargmax}([w_0[t], \dots, w_k[t]]),\ h[t] = \sum_{i=0}^{k} a_i[t] "
            r"v_i[t]")
SHARED = (PER_SLOT.replace("Q_i", "Q_h").replace("K_i", "K_h").replace("V_i", "V_h")
          .replace("w_k[t]", "w_{t-1}[t]").replace("^{k}", "^{t-1}"))


def system(text: str, qid: str = "1.2.2.c") -> Claimed:
    (claim,) = parse_claim(text, context(qid).declarations())
    return Claimed.read(claim.equations, {"x", "h"})


def run(sys: Claimed, k, Q, K, V, xs):
    true = {"Q": Q, "K": K, "V": V}

    def param(use):
        index = use.slot if k is not None else min(use.slot, 1)
        return true[use.param][index]

    return Runner(sys, xs, k, param).run()


@pytest.mark.parametrize("k", [1, 2, 4])
def test_per_slot_system_runs_as_attention_rnn_k(k):
    rng = np.random.default_rng(k)
    Q, K, V = (rng.normal(scale=0.7, size=(k + 1, 3, 3)) for _ in range(3))
    xs = rng.normal(size=(6, 3))
    H, _ = AttentionRNN(k=k, input_size=3).unroll(xs, Q, K, V)
    np.testing.assert_allclose(run(system(PER_SLOT), k, Q, K, V, xs), H, atol=1e-12)


def test_shared_system_runs_as_attention_rnn_inf():
    rng = np.random.default_rng(9)
    Q, K, V = (rng.normal(scale=0.7, size=(2, 3, 3)) for _ in range(3))
    xs = rng.normal(size=(6, 3))
    H, _ = AttentionRNN(k=None, input_size=3).unroll(xs, Q, K, V)
    np.testing.assert_allclose(run(system(SHARED, "1.2.2.d"), None, Q, K, V, xs), H,
                               atol=1e-12)


def test_structure_reads_sharing_and_window():
    st = structure(system(PER_SLOT))
    assert st.sharing == {"q": "per slot", "k": "per slot", "v": "per slot"}
    assert str(st.window) == "k"
    st = structure(system(SHARED, "1.2.2.d"))
    assert st.sharing["q"] == "shared" and str(st.window) == "t - 1"


def test_reading_the_state_being_defined_is_said():
    sys = system(PER_SLOT.replace(r"q_0[t] = Q_0 x[t],\ ", ""))
    rng = np.random.default_rng(0)
    Q, K, V = (rng.normal(size=(3, 3, 3)) for _ in range(3))
    with pytest.raises(SystemProblem, match=r"h\[t\] is read on the right side"):
        run(sys, 2, Q, K, V, rng.normal(size=(3, 3)))


TUPLE_D = (r"q_0[t], q_1[t], \dots, q_{t-1}[t] = Q_0 x[t], Q_1 h[t-1], \dots, Q_1 h[1] \\ "
           r"k_0[t], k_1[t], \dots, k_{t-1}[t] = K_0 x[t], K_1 h[t-1], \dots, K_1 h[1] \\ "
           r"v_0[t], v_1[t], \dots, v_{t-1}[t] = V_0 x[t], V_1 h[t-1], \dots, V_1 h[1] \\ "
           r"w_i[t] = q_i[t]^T k_i[t] \\ a[t] = \text{softargmax}([w_0[t], \dots, w_{t-1}[t]])"
           r" \\ h[t] = \sum_{i=0}^{t-1} a_i[t] v_i[t]")


def _tuple_rules(last_rhs) -> list:
    """q_0[t], q_1[t], ..., q_{t-1}[t] = Q_0 x[t], Q_1 h[t-1], ..., <last_rhs> as the reader
    leaves a tuple with an ellipsis, with the other rules of SHARED."""
    (claim,) = parse_claim(SHARED, context("1.2.2.d").declarations())
    t = sp.Symbol("t", integer=True)
    q, Q = (sp.IndexedBase(n, commutative=False) for n in "qQ")
    x, h, dots = (sp.Symbol(n, commutative=False) for n in ("x", "h", "..."))
    tuple_q = [(AtTime(q[0], t), Q[0] * x), (AtTime(q[1], t), Q[1] * AtTime(h, t - 1)),
               (dots, dots), (AtTime(q[t - 1], t), last_rhs)]
    rest = [(lhs, rhs) for lhs, rhs in claim.equations if "q" not in str(lhs)]
    return tuple_q + rest


def test_an_ellipsis_between_written_slots_is_filled_in():
    Q, h = sp.IndexedBase("Q", commutative=False), sp.Symbol("h", commutative=False)
    sys = Claimed.read(_tuple_rules(Q[1] * AtTime(h, 1)), {"x", "h"})
    between = [r for r in sys.rules["q"] if r.between is not None]
    assert len(between) == 1 and str(between[0].rhs) == "Q[1]*AtTime(h, -slot + t)"
    assert [str(r.at) for r in sys.rules["q"] if r.at is not None] == ["t - 1"]
    rng = np.random.default_rng(4)
    Qs, Ks, Vs = (rng.normal(scale=0.7, size=(2, 3, 3)) for _ in range(3))
    xs = rng.normal(size=(6, 3))
    H, _ = AttentionRNN(k=None, input_size=3).unroll(xs, Qs, Ks, Vs)
    np.testing.assert_allclose(run(sys, None, Qs, Ks, Vs, xs), H, atol=1e-12)
    assert check_claim(context("1.2.2.d"), TUPLE_D).verdict == "correct"
    assert check_claim(context("1.2.2.c"), TUPLE_D).verdict == "incorrect"


def test_what_the_reader_cannot_interpret_is_unparsed():
    Q, h, x = (sp.IndexedBase("Q", commutative=False),
               *(sp.Symbol(n, commutative=False) for n in "hx"))
    odd = _tuple_rules(Q[1] * AtTime(h, 1) + x)
    with pytest.raises(SystemUnreadable, match="ellipsis"):
        Claimed.read(odd, {"x", "h"})
    v = check_system(SystemClaim(tuple(odd)), 1, "", shared=True)
    assert v.verdict == "unparsed" and "ellipsis" in v.explanation


@pytest.mark.parametrize("change", [("^{t-1}", "^{t-2}"), ("w_{t-1}[t]", "w_{t-2}[t]"),
                                    ("sum_{i=0}", "sum_{i=1}")])
def test_a_window_that_leaves_out_a_slot_is_incorrect_not_a_crash(change):
    v = check_claim(context("1.2.2.d"), SHARED.replace(*change))
    assert v.verdict == "incorrect", v.format()


def test_a_list_ends_at_its_last_slot():
    listed = SHARED.replace(r"[w_0[t], \dots", r"[w_0[t], w_1[t], \dots")
    assert check_claim(context("1.2.2.d"), listed).verdict == "correct"


def test_ranges_limit_the_rules_written_with_their_letter():
    text = (SHARED.replace(r"q_0[t] = Q_0 x[t],\ ", "").replace("q_i[t] = Q_h h[t-i]",
            "q_j[t] = Q_h h[t-j]").replace("k_i[t] = K_h h[t-i]", "k_j[t] = K_h h[t-j]")
            .replace("v_i[t] = V_h h[t-i]", "v_j[t] = V_h h[t-j]"))
    (claim,) = parse_claim(text, context("1.2.2.d").declarations())
    j, t = sp.Symbol("j", integer=True), sp.Symbol("t", integer=True)
    v = check_system(replace(claim, ranges=((j, sp.Integer(1), t - 1),)), 1, "", True)
    assert v.verdict == "incorrect" and "q_0[t] is used but never defined" in v.explanation
    v = check_system(replace(claim, ranges=((j, sp.Integer(0), t - 1),)), 1, "", True)
    assert v.verdict == "incorrect" and "h[t] is read on the right side" in v.explanation


@pytest.mark.parametrize("qid, swap, verdict", [
    ("1.2.2.c", False, "correct"), ("1.2.2.c", True, "incorrect"), ("1.2.2.d", False, "correct"),
])
def test_softargmax_of_a_family_defined_slot_by_slot(qid, swap, verdict):
    import symgrad as sg

    text = (r"q_0[t] = Q_0 x[t], k_0[t] = K_0 x[t], v_0[t] = V_0 x[t], \quad q_i[t] = Q_i h[t-i], "
            r"k_i[t] = K_i h[t-i], v_i[t] = V_i h[t-i] \text{ for } 1 \le i \le k, \quad "
            r"w_i[t] = q_i[t]^\top k_i[t], \quad a[t] = \mathrm{softargmax}(w[t]), \quad "
            r"h[t] = \sum_{i=0}^{k} a_i[t] v_i[t]")
    if qid == "1.2.2.d":
        text = (text.replace("Q_i", "Q_h").replace("K_i", "K_h").replace("V_i", "V_h")
                .replace(r"\sum_{i=0}^{k}", r"\sum_{i=0}^{t-1}").replace(r"1 \le i \le k",
                                                                         r"1 \le i \le t-1"))
    if swap:
        text = text.replace(r"q_i[t]^\top k_i[t]", r"q_i[t]^\top v_i[t]")
    assert sg.check(qid, text).verdict == verdict


def test_a_system_of_another_recurrent_model_is_judged_against_its_reference():
    """Any model with recurrences: an Elman RNN h[t] = tanh(W_h h[t-1] + W_x x[t]) from
    Model.from_latex is the reference; the truth is an explicit NumPy loop."""
    import symgrad as sg
    from symgrad.core.tensor import size
    from symgrad.verify.context import Context, TensorSpec
    from symgrad.verify.systems import Reference, Variant

    m, n = size("m"), size("n")
    model = sg.Model.from_latex(r"h[t] = \tanh(W_h h[t-1] + W_x x[t])", shapes={
        "h": ("m",), "x": ("n",), "W_h": ("m", "m"), "W_x": ("m", "n")})
    ref = Reference("the Elman RNN", model, (Variant("the Elman RNN", {m: 2, n: 3}),))

    def instance(seed):
        raise AssertionError("a system is judged by running it, not on instances")

    ctx = Context("elman", "the system of the Elman RNN",
                  [TensorSpec("x", (n,), "x[t]", ("x",)), TensorSpec("h", (m,), "h[t]", ("h",))],
                  instance, {}, None, scalars={"m": m, "n": n}, time="t", zero_before=("h",),
                  system=lambda claim, base, text: check_system(claim, base, text, ref))

    def loop(f, W_h, W_x, xs):
        h, out = np.zeros(W_h.shape[0]), []
        for x in xs:
            h = f(W_h @ h + W_x @ x)
            out.append(h)
        return np.array(out)

    variant = ref.variants[0]
    params, inputs = ref.draw(variant, ref.seeds[0])
    truth = loop(np.tanh, params["W_h"], params["W_x"], inputs["x"])
    np.testing.assert_allclose(ref.run(variant, params, inputs)["h"], truth, atol=1e-12)

    right = r"z[t] = W_h h[t-1] + W_x x[t], \quad h[t] = \tanh(z[t])"
    v = check_claim(ctx, right)
    assert v.verdict == "correct", v.format()
    assert check_claim(ctx, r"z[t] = W_x x[t] + W_h h[t-1] \\ h[t] = \tanh(z[t])").ok

    v = check_claim(ctx, right.replace(r"\tanh", r"\sigma"))
    assert v.verdict == "incorrect", v.format()
    wrong = loop(lambda z: 1 / (1 + np.exp(-z)), params["W_h"], params["W_x"], inputs["x"])
    c = v.counterexample
    t, j = c["t"] - 1, c["entry"] - 1
    assert np.isclose(c["claimed"], wrong[t, j]) and np.isclose(c["true"], truth[t, j])
    assert not np.isclose(wrong[t, j], truth[t, j])

    v = check_claim(ctx, right.replace("W_x x[t]", "U x[t]"))
    assert v.verdict == "incorrect" and "U is not a weight of the Elman RNN" in v.explanation
