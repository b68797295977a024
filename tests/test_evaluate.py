"""Vectorised evaluation of index expressions, including zero padding and dilation gaps."""

import numpy as np
import sympy as sp

from symgrad.core.evaluate import _at, evaluate_element
from symgrad.core.simplify import Iverson
from symgrad.core.tensor import index


def test_at_reads_zero_outside_and_at_fractions():
    a = np.arange(5.0)
    got = _at(a, (np.array([-1, 0, 4, 5, 1.5, 2.0000000000001]),))
    np.testing.assert_array_equal(got, [0, 0, 4, 0, 0, 2])


def test_evaluate_matches_loops():
    i, j, k = index("i"), index("j"), index("k")
    A = sp.IndexedBase("A")
    e = sp.Sum(A[i, k] * A[k, j], (k, 0, 2)) * Iverson(sp.Le(i, j)) + sp.KroneckerDelta(i, j)
    a = np.random.default_rng(1).normal(size=(3, 3))
    got = evaluate_element(e, (i, j), (3, 3), {"A": a}, {})
    ref = np.triu(a @ a) + np.eye(3)
    np.testing.assert_allclose(got, ref)
