"""Defining systems of AttentionRNN(k) / AttentionRNN(inf), read and run as recurrences."""

import numpy as np
import pytest

from symgrad.latex.parse import parse_claim
from symgrad.layers.attention_rnn import AttentionRNN
from symgrad.problems.hw2_contexts import context
from symgrad.verify.systems import Claimed, Runner, SystemProblem, structure

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
