"""The vectorised evaluator of claimed right sides, against NumPy written out by hand."""

import numpy as np
import pytest
import sympy as sp

import symgrad as sg
from symgrad.core.errors import LimitError
from symgrad.core.ops import At, AtTime, Diag, Hadamard, Softargmax, Stack, Transpose, sigmoid
from symgrad.verify.numeric import ClaimProblem, Evaluator, Source, Unreadable, free_names

i, j, m, t = (sp.Symbol(n, integer=True) for n in "ijmt")
A, v, w = (sp.Symbol(n, commutative=False) for n in ("A", "v", "w"))
a = sp.IndexedBase("a")
RNG = np.random.default_rng(0)
ARR = {"A": RNG.normal(size=(3, 4)), "v": RNG.normal(size=4), "w": RNG.normal(size=3),
       "a": RNG.normal(size=5)}


def source(**kw):
    arrays = {**ARR, **kw.pop("arrays", {})}
    return Source(arrays=arrays, sizes={"n": 4}, shapes={k: np.shape(x) for k, x in
                                                       arrays.items()},
                  latex={k: k for k in arrays}, **kw)


def run(expr, free=(), base=1, **kw):
    ev = Evaluator(source(**kw), base, list(free), expr)
    return ev, ev.run(expr)


def test_element_sums_with_limits_that_depend_on_the_index():
    ev, val = run(sp.Sum(a[m], (m, 1, j)), [("j", 5)])
    np.testing.assert_allclose(val.a.ravel(), np.cumsum(ARR["a"]))
    ev, val = run(sp.Sum(a[m], (m, 0, j)), [("j", 5)], base=0)
    np.testing.assert_allclose(val.a.ravel(), np.cumsum(ARR["a"]))


def test_matrix_notation_follows_the_written_order():
    _, val = run(Transpose(w) * A * Diag(v) * v)
    np.testing.assert_allclose(val.a.reshape(()), ARR["w"] @ ARR["A"] @ (ARR["v"] ** 2))
    _, val = run(sigmoid(A * v) + Hadamard(w, w))
    np.testing.assert_allclose(val.a[:, 0], 1 / (1 + np.exp(-ARR["A"] @ ARR["v"]))
                               + ARR["w"] ** 2)
    _, val = run(Softargmax(Stack(At(w, 1), At(w, 2))))
    e = np.exp(ARR["w"][:2])
    np.testing.assert_allclose(val.a[:, 0], e / e.sum())


def test_products_that_do_not_fit_are_claim_problems():
    with pytest.raises(ClaimProblem, match="shapes do not fit"):
        run(v * A)
    with pytest.raises(ClaimProblem, match="Hadamard"):
        run(Hadamard(v, w))


def test_out_of_range_reads_are_findings_only_where_reached():
    ev, _ = run(a[j + 1], [("j", 5)])
    assert ev.findings and "reaches position 6" in ev.findings[0] and "j = 5" in ev.findings[0]
    guarded = sp.Piecewise((a[j + 1], sp.Le(j + 1, 5)), (0, True))
    ev, val = run(guarded, [("j", 5)])
    assert not ev.findings
    np.testing.assert_allclose(val.a.ravel(), np.append(ARR["a"][1:], 0))


def test_time_sums_read_the_series():
    xs = RNG.normal(size=(4, 3))
    hs = RNG.normal(size=(4, 3))
    expr = sp.Sum(AtTime(sp.Symbol("x", commutative=False), t) + AtTime(
        sp.Symbol("h", commutative=False), t - 1), (t, 1, 4))
    _, val = run(expr, arrays={"x": xs[-1], "h": hs[-1]}, series={"x": xs, "h": hs},
                 zero_before=frozenset({"h"}), time="t", now=3)
    np.testing.assert_allclose(val.a.reshape(val.trail)[:, 0], xs.sum(0) + hs[:3].sum(0))
    with pytest.raises(ClaimProblem, match="before the first step"):
        run(AtTime(sp.Symbol("x", commutative=False), t - 4),
            arrays={"x": xs[-1]}, series={"x": xs}, time="t", now=3)


def test_free_names_respect_the_scope_of_sums():
    assert free_names(sp.Sum(a[m] * a[j], (m, 1, i))) == ["i", "j"]
    assert "m" in free_names(a[m] + sp.Sum(a[m], (m, 1, 2)))


def test_limits_and_unsupported_constructs():
    with pytest.raises(LimitError):
        run(sp.Sum(a[1], (m, 1, 10**6)))
    with pytest.raises(Unreadable):
        run(sp.Integral(a[1], (m, 0, 1)))


def test_products_are_evaluated_in_the_order_of_their_index():
    _, val = run(sp.Product(a[m], (m, 1, 4)))
    np.testing.assert_allclose(val.a.reshape(()), np.prod(ARR["a"][:4]))
    _, val = run(sp.Product(a[m], (m, 1, j)), [("j", 5)])
    np.testing.assert_allclose(val.a.ravel(), np.cumprod(ARR["a"]))
    Ms = RNG.normal(size=(3, 2, 2))
    M = sp.Symbol("M", commutative=False)
    _, val = run(sp.Product(AtTime(M, t), (t, 1, 3)), arrays={"M": Ms[-1]}, series={"M": Ms},
                 time="t", now=2)
    np.testing.assert_allclose(val.a.reshape(2, 2), Ms[0] @ Ms[1] @ Ms[2])
    _, val = run(sp.Product(a[m], (m, 3, 2)))
    assert val.a.reshape(()) == 1.0
    with pytest.raises(LimitError):
        run(sp.Product(a[1], (m, 1, 10**4)))


def test_slot_families_give_a_slot_as_a_vector():
    fam = RNG.normal(size=(3, 4))
    f = sp.IndexedBase("f")
    kw = {"arrays": {"f": fam}, "families": frozenset({"f"}), "bases": {"f": 0}}
    _, val = run(sp.Sum(a[m + 1] * f[m], (m, 0, 2)), **kw)
    np.testing.assert_allclose(val.a.reshape(4), ARR["a"][:3] @ fam)
    _, val = run(f[2, j], [("j", 4)], **kw)
    np.testing.assert_allclose(val.a.ravel(), fam[2])
    ev, _ = run(f[3], **kw)
    assert ev.findings and "reaches position 3" in ev.findings[0]


def test_a_slot_moved_ahead_of_a_matrix_is_unreadable_not_wrong():
    f = sp.IndexedBase("f")
    kw = {"arrays": {"f": RNG.normal(size=(3, 3))}, "families": frozenset({"f"}),
          "bases": {"f": 0}}
    with pytest.raises(Unreadable, match="order"):
        run(A * f[1], **kw)


def test_rows_and_contraction_with_a_tensor_of_three_axes():
    J = RNG.normal(size=(4, 4, 3))
    Js = sp.Symbol("J", commutative=False)
    with pytest.raises(ClaimProblem, match="do not fit"):
        run(v * Js, arrays={"J": J})
    _, val = run(v * Js, arrays={"J": J}, rows=frozenset({"v"}))
    assert val.trail == (1, 4, 3)
    np.testing.assert_allclose(val.a.reshape(4, 3), np.tensordot(ARR["v"], J, 1))


def test_an_unexpected_failure_names_the_construct(monkeypatch):
    def broken(self, e, env):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(Evaluator, "_pow", broken)
    with pytest.raises(Unreadable, match="could not evaluate") as info:
        run(a[1] + a[2] ** 2)
    assert info.value.construct == "Pow" and "ZeroDivisionError" in str(info.value)


@pytest.mark.parametrize("claim, verdict", [
    (r"\frac{\partial y}{\partial x} = I + W", "correct"),
    (r"\frac{\partial y}{\partial x} = W + I_n", "correct"),
    (r"\frac{\partial y}{\partial x} = \mathbf{I} W + I", "correct"),
    (r"\frac{\partial y}{\partial x} = (I + W^\top)^\top", "correct"),
    (r"\frac{\partial y}{\partial x} = W", "incorrect"),
    (r"\frac{\partial y}{\partial x} = 2 I + W", "incorrect"),
    (r"\frac{\partial y}{\partial x} = \exp(I) + W", "unparsed"),
])
def test_the_identity_takes_its_size_from_the_formula(claim, verdict):
    J = sg.Model.from_latex(r"y = x + W x", {"W": "n x n", "x": "n"}).jacobian("y", "x")
    assert J.check(claim).verdict == verdict
    alone = sg.Model.from_latex(r"y = 3 x", {"x": "n"}).jacobian("y", "x")
    assert alone.check(r"\frac{\partial y}{\partial x} = 3 I").verdict == "correct"
    assert alone.check(r"\frac{\partial y}{\partial x} = I").verdict == "incorrect"


def test_a_scaled_softmax_argument_does_not_make_claims_unreadable():
    M = sg.Model.from_latex(r"a = \mathrm{softargmax}(K q/\sqrt{d})", {"K": "T x d", "q": "d"})
    J = M.jacobian("a", "q")
    assert J.check(J.latex()).verdict == "correct"
    right = r"\frac{\partial a}{\partial q} = (\mathrm{diag}(a) - a a^\top) K / \sqrt{d}"
    assert J.check(right).verdict == "correct"
    assert J.check(right.replace(r" / \sqrt{d}", "")).verdict == "incorrect"


LAYER_NORM = (r"\mu = \frac{1}{n}\mathbf{1}^\top x \\ d = x - \mu \\ "
              r"v = \frac{1}{n}\mathbf{1}^\top (d \odot d) \\ y = \frac{d}{\sqrt{v + 0.001}}")


@pytest.mark.parametrize("claim, verdict", [
    (r"\frac{1}{\sqrt{v + 0.001}} (I - \frac{1}{n}\mathbf{1}\mathbf{1}^\top "
     r"- \frac{1}{n (v + 0.001)} d d^\top)", "correct"),
    (r"\frac{1}{\sqrt{v + 0.001}} (I - \frac{1}{n} - \frac{1}{n (v + 0.001)} d d^\top)",
     "correct"),
    (r"\frac{1}{\sqrt{v + 0.001}} (I - \mathbf{1}\mathbf{1}^\top "
     r"- \frac{1}{n (v + 0.001)} d d^\top)", "incorrect"),
    (r"\frac{1}{\sqrt{v + 0.001}} (I - \frac{1}{n (v + 0.001)} d d^\top)", "incorrect"),
])
def test_ones_vectors_in_matrix_claims_take_their_size_from_the_formula(claim, verdict):
    J = sg.Model.from_latex(LAYER_NORM, {"x": "n"}).jacobian("y", "x")
    assert J.check(r"\frac{\partial y}{\partial x} = " + claim).verdict == verdict
    assert J.check(J.latex(form="matrix")).verdict == "correct"


@pytest.mark.parametrize("claim, verdict", [
    (r"W^\top \mathbf{1}", "correct"), (r"\mathbf{1}^\top W", "correct"),
    (r"W \mathbf{1}", "incorrect"), (r"W^\top", "incorrect"),
])
def test_sums_written_with_ones(claim, verdict):
    q = sg.Model.from_latex(r"s = \mathbf{1}^\top W x", {"W": "m x n", "x": "n"}).jacobian("s", "x")
    assert q.check(r"\frac{\partial s}{\partial x} = " + claim).verdict == verdict


@pytest.mark.parametrize("claim, verdict", [
    (r"\operatorname{diag}\left(\mathbb{1}\left[z > 0\right]\right) W", "correct"),
    (r"\mathrm{diag}(\mathbb{1}[W x > 0]) W", "correct"),
    (r"\mathrm{diag}([z > 0]) W", "correct"),
    (r"\mathrm{diag}(\mathbb{1}[z < 0]) W", "incorrect"),
    (r"W", "incorrect"),
])
def test_relu_derivative_as_an_elementwise_indicator(claim, verdict):
    J = sg.Model.from_latex(r"z = W x \\ h = \mathrm{ReLU}(z)", {"W": "m x n", "x": "n"}
                            ).jacobian("h", "x")
    assert J.check(r"\frac{\partial h}{\partial x} = " + claim).verdict == verdict


def test_max_and_min_of_entries_are_evaluated():
    v = sg.Model.from_latex(r"y_i = \max(x_i, 2 x_i - 1)", {"x": "n"}).value("y")
    assert v.check(r"y_i = \max(x_i, 2x_i - 1)").verdict == "correct"
    assert v.check(r"y_i = \min(x_i, 2x_i - 1)").verdict == "incorrect"


def test_divisibility_and_rational_bounds_are_compared_exactly():
    conv = sg.Conv1d(in_channels=1, length=5, kernel_size=2, stride=3, padding=2, dilation=3)
    J = conv.jacobian("x")
    for base in (0, 1):
        tex = J.latex(index_base=base)
        assert r"3 \mid l" in tex
        assert J.check(tex, index_base=base).verdict == "correct"
    assert J.check(J.latex().replace(r"3 \mid l + 1", r"3 \mid l")).verdict == "incorrect"


def test_a_size_named_like_a_tensor_is_the_size_in_a_sum_bound():
    """W is h x n and h = tanh(W x): symgrad prints \\sum_{k=1}^{h}, the size h."""
    import symgrad as sg

    m = sg.Model.from_latex(r"h = \tanh(W x) \\ y = V h", {"W": "h x n", "x": "n",
                                                            "V": "k x h"})
    q = m.jacobian("y", "x")
    assert r"\sum_{k=1}^{h}" in q.latex()
    assert q.check(q.latex()).verdict == "correct"
    wrong = (r"\frac{\partial y_{i}}{\partial x_{j}} = \sum_{r=1}^{n} \left(1 - h_{r}^{2}"
             r"\right) V_{ir} W_{rj}")
    assert q.check(wrong).verdict == "incorrect"
