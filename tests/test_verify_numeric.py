"""The vectorised evaluator of claimed right sides, against NumPy written out by hand."""

import numpy as np
import pytest
import sympy as sp

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
