"""Verdicts of symgrad.verify.engine on worked computations and identities."""

import numpy as np

import symgrad as sg


def test_an_identity_between_expressions_is_judged():
    # K + (K - 1)(D - 1) = D(K - 1) + 1 holds for every K, D (checked here by enumeration)
    assert all(k + (k - 1) * (d - 1) == d * (k - 1) + 1 for k in range(1, 9) for d in range(1, 9))
    v = sg.check("1.1.b", r"K_{\text{eff}} = K + (K - 1)(D - 1) = D(K - 1) + 1",
                 definitions=[r"K_{\text{eff}} := K + (K - 1)(D - 1)"])
    assert v.verdict == "correct" and "identity" in v.explanation
    # without the definition the name is the writer's own, and the identity is what it states
    assert sg.check("1.1.b", r"K_{\text{eff}} = K + (K - 1)(D - 1) = D(K - 1) + 1").ok
    w = sg.check("1.1.b", r"K_{\text{eff}} = K + (K - 1)(D - 1) = D(K - 1)",
                 definitions=[r"K_{\text{eff}} := K + (K - 1)(D - 1)"])
    assert w.verdict == "incorrect"


def test_a_number_that_names_nothing_is_not_judged():
    assert sg.check("1.1.b", r"2 + 3 = 5").verdict == "unparsed"


def _conv1d(x, W, stride=2):
    """f[j] = sum_c sum_m W[c, m] x[c, stride j + m], by explicit loops (0-based)."""
    C, K = W.shape
    L = (x.shape[1] - K) // stride + 1
    return np.array([sum(W[c, m] * x[c, stride * j + m] for c in range(C) for m in range(K))
                     for j in range(L)])


def test_kernel_offsets_counted_from_0_beside_1_based_positions():
    # the reference: a kernel offset m = 0..2 reads W[c, m] (0-based) and x at 2j - 1 + m
    # (1-based j, 1-based positions) - so the claim below is this loop, as written
    rng = np.random.default_rng(0)
    x, W = rng.normal(size=(5, 7)), rng.normal(size=(5, 3))
    by_claim = [sum(W[c, m] * x[c, (2 * j - 1 + m) - 1] for c in range(5) for m in range(3))
                for j in range(1, 4)]
    assert np.allclose(by_claim, _conv1d(x, W))
    v = sg.check("1.1.c.i", r"f_W(x)[1, j] = \sum_{c=1}^{5} \sum_{m=0}^{2} W[1, c, m] "
                 r"x[c, 2j - 1 + m]")
    assert v.verdict == "correct" and any("counted from 0" in n for n in v.notes)
    # still wrong read either way: x one step too far
    assert sg.check("1.1.c.i", r"f_W(x)[1, j] = \sum_{c=1}^{5} \sum_{m=0}^{2} W[1, c, m] "
                    r"x[c, 2j + m]").verdict == "incorrect"
    # an off-by-one that reaches position 0 is not an offset the writer declared
    assert sg.check("1.1.c.ii", r"\frac{\partial \hat{y}_{j}}{\partial W_{c,k}} = "
                    r"x_{c,2j+k-3}").verdict == "incorrect"


def test_a_declared_offset_letter_counts_from_0_on_the_left_side():
    claim = r"\frac{\partial f_W(x)[1, i]}{\partial W[1, c', m']} = x[c', 2i - 1 + m']"
    assert sg.check("1.1.c.ii", claim).verdict == "incorrect"       # m' = 1..3: x[8]
    v = sg.check("1.1.c.ii", claim, definitions=[r"m \in \{0, 1, 2\}"])
    assert v.verdict == "correct" and any("m'" in n for n in v.notes)
    wrong = r"\frac{\partial f_W(x)[1, i]}{\partial W[1, c', m']} = x[c', 2i + m']"
    assert sg.check("1.1.c.ii", wrong, definitions=[r"m \in \{0, 1, 2\}"]).verdict == \
        "incorrect"


def test_the_shape_of_an_expression_of_declared_tensors():
    # W_c is m x n and x[t] is n, so W_c x[t] is an m-vector (m = 4, n = 3 in the instances;
    # the claim is judged on three instances of several sizes)
    verdicts = {claim: sg.check(q, claim).verdict for q, claim in [
        ("1.2.1.b", r"W_c x[t] \in \mathbb{R}^m"),
        ("1.2.1.b", r"W_c x[t] + W_h h[t-1] \in \mathbb{R}^{m \times 1}"),
        ("1.2.1.b", r"W_c x[t] \in \mathbb{R}^n"),
        ("1.2.1.b", r"x[t]^\top \in \mathbb{R}^{n}"),               # a row written as R^n
        ("1.2.2.b", r"[w_0[t], w_1[t], w_2[t]] \in \mathbb{R}^3"),
        ("1.2.2.b", r"w_i[t] \in \mathbb{R}"),                      # each score is a number
        ("1.2.1.c", r"(\frac{\partial \ell}{\partial h[t]})^T \odot (1 - c[t]) \in "
                    r"\mathbb{R}^{m \times 1}")]}
    assert list(verdicts.values()) == ["correct", "correct", "incorrect", "layout", "correct",
                                       "correct", "correct"]


def test_an_identity_between_expressions_of_the_questions_tensors():
    # sum_i a_i (delta_i1 - a_1) v_i = a_1 (v_1 - h) when h = sum_i a_i v_i, sum_i a_i = 1:
    # checked here with random softmax weights and vectors
    rng = np.random.default_rng(4)
    w, v = rng.normal(size=3), rng.normal(size=(3, 4))
    a = np.exp(w) / np.exp(w).sum()
    h = a @ v
    lhs = sum(a[i] * ((i == 1) - a[1]) * v[i] for i in range(3))
    assert np.allclose(lhs, a[1] * (v[1] - h))
    left = r"\sum_{i=0}^{2} a_i[t](\delta_{i1} - a_1[t]) v_i[t]"
    assert sg.check("1.2.2.e", left + r" = a_1[t] (v_1[t] - h[t])").verdict == "correct"
    assert sg.check("1.2.2.e", left + r" = a_1[t] (v_1[t] + h[t])").verdict == "incorrect"
    assert sg.check("1.2.2.b", r"\sum_{i=0}^{2} a_i[t] = 1").verdict == "correct"


def test_a_loss_derivative_indexed_in_numerator_layout_is_a_layout_difference():
    # dl/dW[k, c, f] (the axes of W[f, c, k] reversed) with the given gradient indexed
    # [j, f] the same way: the values are right, in the other layout
    rng = np.random.default_rng(6)
    x, g = rng.normal(size=(5, 7)), rng.normal(size=3)
    grad = np.array([[sum(g[j] * x[c, 2 * j + k] for j in range(3)) for k in range(3)]
                     for c in range(5)])                   # dl/dW[c, k] by explicit loops
    fd = np.zeros((5, 3))
    for c in range(5):
        for k in range(3):
            W = np.zeros((5, 3))
            W[c, k] = 1.0                                   # f is linear in W
            fd[c, k] = g @ np.array([np.sum(W * x[:, 2 * j:2 * j + 3]) for j in range(3)])
    assert np.allclose(grad, fd)
    claim = (r"\frac{\partial \ell}{\partial W}[k, c, f] = \sum_{j=1}^{3} \frac{\partial \ell}"
             r"{\partial f_W(x)}[j, f] x[c, 2j + k - 2]")
    v = sg.check("1.1.c.iv", claim)
    assert v.verdict == "layout" and any("numerator layout" in n for n in v.notes)
    assert sg.check("1.1.c.iv", claim.replace("k - 2", "k - 1")).verdict == "incorrect"


def test_a_reversed_loss_derivative_with_a_sum_whose_bounds_are_implied():
    # dl/dW[c, b, a] (W[a, b, c] reversed) = sum_j g[j, a] x[b, 2j + c], the sum's bounds
    # not written: in the reversed reading j runs along the given gradient's positions
    rng = np.random.default_rng(1)
    x, g = rng.normal(size=(2, 5)), rng.normal(size=(1, 2))

    def loss(W):  # l = sum_{a,j} g[a, j] f[a, j] for the stride-2 conv of the question
        return sum(g[a, j] * sum(x[b, 2 * j + c] * W[a, b, c] for b in range(2)
                                 for c in range(3)) for a in range(1) for j in range(2))

    W0, eps = rng.normal(size=(1, 2, 3)), 1e-6
    fd = np.zeros_like(W0)
    for i in np.ndindex(W0.shape):
        e = np.zeros_like(W0)
        e[i] = eps
        fd[i] = (loss(W0 + e) - loss(W0 - e)) / (2 * eps)
    claimed = np.array([[[sum(g[a, j] * x[b, 2 * j + c] for j in range(2)) for c in range(3)]
                         for b in range(2)] for a in range(1)])
    assert np.allclose(fd, claimed, atol=1e-6)
    right = (r"\frac{\partial l}{\partial W}[c, b, a] = \sum\limits_{j} "
             r"\frac{\partial l}{\partial f_W}[j, a] x[b, 2 j + c]")
    v = sg.check("1.1.c.iv", right, set="hw2-spring2021", index_base=0)
    assert v.verdict == "layout" and "numerator layout" in v.explanation
    assert sg.check("1.1.c.iv", right.replace("2 j + c", "2 j + c + 1"), set="hw2-spring2021",
                    index_base=0).verdict == "incorrect"


def test_shapes_of_the_slots_written_with_a_letter():
    # AttentionRNN(2) declares q_0[t], q_1[t], q_2[t] (each n, like h[t-i]); q_i[t] means
    # every slot; v_i[t] is one slot of the family v, not an entry of a vector
    ctx = __import__("symgrad.problems.hw2_contexts", fromlist=["context"]).context("1.2.2.b")
    inst = ctx.instance(0)
    n = inst.sizes["n"]
    assert all(np.shape(inst.arrays[f"q_{k}"]) == (n,) for k in range(3))
    for claim, verdict in [(r"q_i[t], k_i[t] \in \mathbb{R}^n", "correct"),
                           (r"q_i[t], k_i[t] \in \mathbb{R}^{n \times n}", "incorrect"),
                           (r"v_i[t] \in \mathbb{R}^{n}", "correct"),
                           (r"v_i[t] \in \mathbb{R}^{n \times n}", "incorrect")]:
        v = sg.check("1.2.2.b", claim)
        assert v.verdict == verdict, (claim, v.format())
    assert "every slot i = 0..2" in sg.check("1.2.2.b", r"q_i[t] \in \mathbb{R}^n").explanation


def test_a_derivative_of_every_slot_written_with_a_letter():
    # d a_i / d w_j = a_i (delta_ij - a_j) for a = softargmax(w), checked here by central
    # differences; only w_1[t] reads h[t-1] in AttentionRNN(2), so the j = 1 term remains
    rng = np.random.default_rng(2)
    w = rng.normal(size=3)

    def softargmax(z):
        e = np.exp(z - z.max())
        return e / e.sum()

    a = softargmax(w)
    J = np.array([(softargmax(w + 1e-6 * np.eye(3)[j]) - softargmax(w - 1e-6 * np.eye(3)[j]))
                  / 2e-6 for j in range(3)]).T
    assert np.allclose(J, np.diag(a) - np.outer(a, a), atol=1e-6)
    right = (r"\frac{\partial a_i[t]}{\partial h[t-1]} = a_i[t](\delta_{i1} - a_1[t]) h[t-1]^\top "
             r"(Q_1^\top K_1 + K_1^\top Q_1)")
    v = sg.check("1.2.2.e", right)
    assert v.verdict == "correct" and "every slot i = 0..2" in v.explanation
    v = sg.check("1.2.2.e", right.replace(r"- a_1[t]", r"- a_i[t]"))
    assert v.verdict == "incorrect" and v.explanation.startswith("at slot i = ")


def test_the_input_indexed_position_first_is_read_so():
    # x[n] in R^5 is the vector of channels at position n, so x[n, c] is position first:
    # f[r] = sum_{c,k} x[k + 2(r-1), c] W[1, c, k] by explicit loops on x stored [c, n]
    rng = np.random.default_rng(4)
    x, W = rng.normal(size=(5, 7)), rng.normal(size=(1, 5, 3))
    f = [sum(x[c, k + 2 * r] * W[0, c, k] for c in range(5) for k in range(3)) for r in range(3)]
    xt = x.T  # the writer's x[n, c]
    assert np.allclose(f, [sum(xt[k + 2 * r, c] * W[0, c, k] for c in range(5) for k in range(3))
                           for r in range(3)])
    right = r"f_W(x)[r] = \sum_{c=1}^{5}\sum_{k=1}^{3} x[k+2(r-1), c]W_{1,c,k}"
    v = sg.check("1.1.c.i", right)
    assert v.verdict == "correct" and any("other order" in n for n in v.notes)
    assert sg.check("1.1.c.i", right.replace("k+2(r-1)", "k+2r")).verdict == "incorrect"
    # a weight matrix is never read transposed
    assert sg.check("1.2.1.c", r"\frac{\partial \ell}{\partial (W_x)_{ij}} = \sum_{t=1}^{K} "
                    r"\frac{\partial \ell}{\partial h[t]_j} (1 - c[t]_j) x[t]_i").verdict != \
        "correct"
