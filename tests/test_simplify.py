"""Range-aware simplification: delta sums collapse, implied conditions vanish."""

import itertools

import numpy as np
import sympy as sp

from symgrad.core.simplify import Iverson, collapse, decide, linear_bounds, simplify_condition
from symgrad.core.tensor import index, size

i, j, k, q = (index(s) for s in "ijkq")
n, m = size("n"), size("m")
W, x = sp.IndexedBase("W"), sp.IndexedBase("x")


def test_delta_sum_collapses_without_conditions_when_ranges_match():
    e = sp.Sum(W[i, q] * x[q], (q, 0, n - 1)).diff(x[j])
    assert collapse(e, {i: (0, m - 1), j: (0, n - 1)}) == W[i, j]


def test_delta_sum_keeps_the_condition_ranges_do_not_imply():
    e = sp.Sum(W[k] * sp.KroneckerDelta(j, 2 * i + k), (k, 0, 2))
    out = collapse(e, {i: (0, 2), j: (0, 6)})
    assert out.has(Iverson) and out.has(W[j - 2 * i])
    for ii, jj in itertools.product(range(3), range(7)):
        want = 1 if 0 <= jj - 2 * ii <= 2 else 0
        got = out.subs({i: ii, j: jj}).replace(lambda a: isinstance(a, sp.Indexed),
                                               lambda a: 1)
        assert got == want


def test_non_unit_coefficient_adds_divisibility():
    D = size("D")
    e = sp.Sum(W[k] * sp.KroneckerDelta(j, D * k), (k, 0, 2))
    out = collapse(e, {j: (0, 8)})
    assert out.has(sp.Mod)
    assert out.subs(D, 1).has(sp.Mod) is False


def test_decide_and_bounds():
    r = {i: (0, n - 1)}
    assert linear_bounds(2 * i + 1, r) == (1, 2 * n - 1)
    assert decide(sp.Ge(i, 0), r) is True
    assert decide(sp.Le(i, n - 1), r) is True
    assert decide(sp.Lt(i, 0), r) is False
    assert decide(sp.Le(i, 3), r) is None
    assert simplify_condition(sp.And(sp.Ge(i, 0), sp.Le(i, 3)), r) == sp.Le(i, 3)


def test_collapse_agrees_numerically_with_the_sum():
    rng = np.random.default_rng(0)
    w = rng.normal(size=3)
    e = sp.Sum(sp.IndexedBase("w")[k] * sp.KroneckerDelta(j, 2 * i + k - 1), (k, 0, 2))
    out = collapse(e, {i: (0, 3), j: (0, 8)})
    for ii, jj in itertools.product(range(4), range(9)):
        direct = sum(w[kk] for kk in range(3) if jj == 2 * ii + kk - 1)
        val = out.subs({i: ii, j: jj}).replace(
            lambda a: isinstance(a, sp.Indexed),
            lambda a: sp.Float(w[int(a.indices[0])]) if 0 <= a.indices[0] < 3 else 0)
        assert abs(float(val) - direct) < 1e-12


def test_plain_output_sizes_skip_simplify_and_match_it():
    import sympy as sp

    from symgrad.core.simplify import simplest

    L, P, D, K, S = sp.symbols("L P D K S", integer=True, positive=True)
    for e in [sp.floor((-D * (K - 1) + L + 2 * P - 1) / S) + 1, sp.floor((2 * L + 2) / S) + 1,
              sp.floor((L - K) / S) + 1, sp.floor((L + S) / S) + 1]:
        assert simplest(e) == sp.simplify(e)


def test_dilated_output_sizes_are_kept_exactly_where_simplify_keeps_them():
    """Random numerators c X + c X (Y + d) + c: simplest() skips simplify only where
    simplify would return the expression unchanged."""
    import random

    import sympy as sp

    from symgrad.core.simplify import simplest

    D, K, L, P, S = sp.symbols("D K L P S", integer=True, positive=True)
    rng = random.Random(3)
    checked = 0
    while checked < 25:
        pool = [D, K, L, P]
        rng.shuffle(pool)
        terms = []
        while pool and len(terms) < 3:
            c = rng.choice([-2, -1, 1, 2])
            if len(pool) >= 2 and rng.random() < 0.5:
                terms.append(c * pool.pop() * (pool.pop() + rng.choice([-1, 1, 2])))
            else:
                terms.append(c * pool.pop())
        num = sp.Add(*terms, rng.choice([-1, 0, 1]))
        if not num.is_Add:
            continue
        e = sp.floor(num / S) + rng.choice([0, 1])
        assert simplest(e) == sp.simplify(e), e
        checked += 1
