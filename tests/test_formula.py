"""Element formulas judged by symgrad.verify.formula: the left side's fixed positions."""

import numpy as np
import pytest

import symgrad as sg
from symgrad.problems.hw2_contexts import context


@pytest.mark.parametrize("slot", [0, 1, 2])
def test_a_slot_named_on_the_left_is_read_in_the_questions_own_numbering(slot):
    # AttentionRNN(2) numbers its slots 0, 1, 2 (w_i[t] = q_i[t]^T k_i[t], eq. 6); w_1[t] on the
    # left side is slot 1, not the first entry of w[t] read 1-based
    claim = rf"w_{slot}[t] = q_{slot}[t]^\top k_{slot}[t]"
    assert sg.check("1.2.2.e", claim).verdict == "correct"
    other = (slot + 1) % 3
    wrong = rf"w_{slot}[t] = q_{other}[t]^\top k_{other}[t]"
    assert sg.check("1.2.2.e", wrong).verdict == "incorrect"


def test_the_slot_reading_agrees_with_numpy():
    # the truth of w_1[t] computed here from the instance's own q and k with numpy
    ctx = context("1.2.2.e")
    inst = ctx.instance(0)
    q1, k1 = inst.arrays["q_1"], inst.arrays["k_1"]
    assert np.isclose(inst.arrays["w"][1], q1 @ k1)
    assert sg.check("1.2.2.e", r"w_1[t] = h[t-1]^\top Q_1^\top K_1 h[t-1]").verdict == "correct"
    assert sg.check("1.2.2.e", r"w_1[t] = h[t-1]^\top Q_1 K_1 h[t-1]").verdict == "incorrect"


def _conv1d_jacobian_x(W: np.ndarray, n: int, stride: int) -> np.ndarray:
    """d f / d x of f[i, j] = sum_{c,k} x[c, stride j + k] W[i, c, k] by central
    differences on a random x (an independent reference: no formula of symgrad)."""
    F, C, K = W.shape
    out = (n - K) // stride + 1
    rng = np.random.default_rng(3)
    x0 = rng.normal(size=(C, n))

    def f(x):
        return np.array([[sum(x[c, stride * j + k] * W[i, c, k] for c in range(C)
                              for k in range(K)) for j in range(out)] for i in range(F)])

    J = np.zeros((F, out, C, n))
    for c in range(C):
        for m in range(n):
            e = np.zeros_like(x0)
            e[c, m] = 1e-6
            J[:, :, c, m] = (f(x0 + e) - f(x0 - e)) / 2e-6
    return J


def test_a_kernel_read_outside_its_taps_is_zero_as_the_question_defines_it():
    # W[i, c', k' - 2j] with the kernel 0 outside its taps: the reference agrees, so the
    # claim is right, and the verdict says how it read W
    W = np.random.default_rng(0).normal(size=(1, 2, 3))
    J = _conv1d_jacobian_x(W, 5, 2)
    zero_outside = np.array([[[[W[i, c, m - 2 * j] if 0 <= m - 2 * j < 3 else 0.0
                                for m in range(5)] for c in range(2)] for j in range(2)]
                             for i in range(1)])
    assert np.allclose(J, zero_outside, atol=1e-6)
    claim = r"\frac{\partial f}{\partial x}[i, j, c', k'] = W[i, c', k'-2j]"
    v = sg.check("1.1.c.iii", claim, set="hw2-spring2021", index_base=0)
    assert v.verdict == "correct" and "reading W as 0 outside its entries" in v.explanation
    shifted = r"\frac{\partial f}{\partial x}[i, j, c', k'] = W[i, c', k'-2j+1]"
    assert sg.check("1.1.c.iii", shifted, set="hw2-spring2021", index_base=0).verdict == \
        "incorrect"
    # the input is not zero outside by the question's definition: still an error
    off = r"\frac{\partial f}{\partial W}[i, j, i', c', k'] = [i=i'] x[c', 2j+k'+1]"
    v = sg.check("1.1.c.ii", off, set="hw2-spring2021", index_base=0)
    assert v.verdict == "incorrect" and "reaches position 5" in v.explanation


def test_an_implied_sum_through_kronecker_deltas_is_read_when_it_is_right():
    # d f_ij / d W_{i'c'k'} = x_{c(2j+k)} delta delta delta: the sums over c and k are
    # implied (Einstein); summed, it is x[c', 2j + k'] when i = i'
    right = (r"\frac{\partial f_{ij}}{\partial W_{i'c'k'}} = x_{c(2j+k)}\delta_{i'i}"
             r"\delta_{c'c}\delta_{k'k}")
    v = sg.check("1.1.c.ii", right, set="hw2-spring2021", index_base=0)
    assert v.verdict == "correct" and any("Einstein" in n for n in v.notes)
    wrong = right.replace("2j+k", "2j+k+1").replace("x_{c(2j+k+1)}", "x_{c(2j+k+1)}")
    v = sg.check("1.1.c.ii", wrong, set="hw2-spring2021", index_base=0)
    assert v.verdict == "incorrect" and "free on the right side" in v.explanation


def test_kronecker_deltas_written_as_equalities():
    a = r"\frac{\partial f}{\partial W}[a, b, e, d, c] = x[d, 2b + c]\delta_{a=e}"
    b = r"\frac{\partial f}{\partial W}[a, b, e, d, c] = x[d, 2b + c]\delta_{ae}"
    va, vb = (sg.check("1.1.c.ii", s, set="hw2-spring2021", index_base=0) for s in (a, b))
    assert va.verdict == vb.verdict == "correct"
    wrong = r"\frac{\partial f}{\partial W}[a, b, e, d, c] = x[d, 2b + c]\delta_{a=e, d=c}"
    assert sg.check("1.1.c.ii", wrong, set="hw2-spring2021", index_base=0).verdict == \
        "incorrect"


def test_a_juxtaposed_subscript_with_a_bracketed_index_for_a_tensor_with_a_unit_axis():
    # W is 1 x 2 x 3: W_{ic(k-2j)} is W[i, c, k - 2j]
    right = r"\frac{\partial f_{ij}}{\partial x_{ck}} = W_{ic(k-2j)}"
    assert sg.check("1.1.c.iii", right, set="hw2-spring2021", index_base=0).verdict == \
        "correct"
    wrong = r"\frac{\partial f_{ij}}{\partial x_{ck}} = W_{ic(k-2j+1)}"
    assert sg.check("1.1.c.iii", wrong, set="hw2-spring2021", index_base=0).verdict == \
        "incorrect"


def test_a_condition_written_as_an_interval_of_integers():
    # df[r]/dx[c, k] = W[1, c, k - 2(r-1)] where 1 <= k - 2(r-1) <= 3, else 0
    W = np.random.default_rng(1).normal(size=(1, 5, 3))
    J = _conv1d_jacobian_x(W, 7, 2)
    assert np.allclose(J[0, 1, 2, 2:5], W[0, 2, :], atol=1e-6) and np.allclose(J[0, 1, 2, :2], 0)
    right = (r"\frac{\partial f_W(x)}{\partial x}[r,c,k] = \begin{cases} W_{1,c,k-2(r-1)} & "
             r"\text{if } k-2(r-1) \in [1,3] \\ 0 & \text{otherwise} \end{cases}")
    assert sg.check("1.1.c.iii", right).verdict == "correct"
    assert sg.check("1.1.c.iii", right.replace("[1,3]", "[1,2]")).verdict == "incorrect"
    assert sg.check("1.1.c.iii", right.replace("[1,3]", "(0,4)")).verdict == "correct"


def test_an_entry_of_a_bracketed_derivative():
    # (dl/df)[r] is entry r of the given gradient, not a product with [r]
    right = (r"\left( \frac{\partial \ell }{\partial W}\right)[1,c,k] = \sum_{r = 1}^{3}"
             r"\left(\frac{\partial \ell}{\partial f_W(x)}\right)[r]\, x[c, k+2(r-1)]")
    assert sg.check("1.1.c.iv", right).verdict == "correct"
    assert sg.check("1.1.c.iv", right.replace("k+2(r-1)", "k+2r-1")).verdict == "incorrect"
    # an Iverson bracket after a group stays a condition
    assert sg.check("1.1.c.i", r"f_W(x)[1, j] = \sum_{c=1}^{5} \sum_{k=1}^{3} (W[1, c, k] "
                    r"x[c, 2j + k - 2])[k \ge 1]").verdict == "correct"
