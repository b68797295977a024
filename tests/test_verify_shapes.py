"""Shape claims: closed forms over a parameter grid, hints, and the layout rules."""

import itertools

import numpy as np
import sympy as sp

from symgrad.core.tensor import size
from symgrad.problems.hw2_contexts import context
from symgrad.verify.context import Context, Truth
from symgrad.verify.shapes import DimComparer, check_shape, grid_eval, numerator_hint

H, P, D, K, S = (size(n) for n in "HPDKS")
TRUE = sp.floor((H + 2 * P - D * (K - 1) - 1) / S) + 1


def test_grid_eval_matches_python_integer_arithmetic():
    values = {n: np.array(v) for n, v in zip("HPDKS", zip(*itertools.product(
        range(1, 9), range(0, 3), range(1, 3), range(1, 4), range(1, 4))), strict=True)}
    got = grid_eval(TRUE, values)
    want = [(h + 2 * p - d * (k - 1) - 1) // s + 1 for h, p, d, k, s in zip(
        *(values[n] for n in "HPDKS"), strict=True)]
    np.testing.assert_array_equal(got, want)


def test_numerator_hint_reads_floor_and_ceiling_forms():
    claimed = sp.floor((H - D * K + P + S) / S)
    assert numerator_hint(claimed, TRUE).startswith("the numerator differs by D + P - 1")
    assert numerator_hint(sp.ceiling((H + 2 * P - D * (K - 1)) / S), TRUE) is None


def test_equivalent_rewrites_are_equal_on_the_grid():
    ctx = context("1.1.b")
    same = DimComparer(ctx)
    assert same(sp.ceiling((H + 2 * P - D * (K - 1)) / S), TRUE).same
    res = same(sp.floor((H + 2 * P - D * K) / S) + 1, TRUE)
    assert not res.same and res.params["D"] == 2 and (res.claimed, res.true) == (0, 1)


def _ctx(shape, labels=(), fixed=None):
    n, m = size("n"), size("m")
    truth = Truth("y", None, shape, (), "y", labels=labels)
    return Context("test", "test", [], lambda seed: None, {("y", None): lambda: truth},
                   ("y", None), scalars={"n": n, "m": m}, fixed=fixed), truth


def test_layout_rules_for_shapes():
    n, m = size("n"), size("m")
    ctx, truth = _ctx((1, m, 1, n, 3))
    assert check_shape(ctx, truth, [m, n, 3], "").verdict == "correct"
    assert check_shape(ctx, truth, [m, 3 * n], "").verdict == "correct"
    assert check_shape(ctx, truth, [n, m, 3], "").verdict == "layout"
    bad = check_shape(ctx, truth, [m, n], "")
    assert bad.verdict == "incorrect" and "missing" in bad.explanation


def test_a_named_size_is_not_a_number_that_happens_to_match():
    ctx = context("1.1.a")
    truth = ctx.truth(None)
    v = check_shape(ctx, truth, [size("c"), 5, 2], "")
    assert v.verdict == "incorrect" and "input channels" in v.explanation
    assert check_shape(ctx, truth, [size("F"), 5, 2], "").verdict == "correct"
