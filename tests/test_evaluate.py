"""Vectorised evaluation of index expressions, including zero padding and dilation gaps."""

import numpy as np
import sympy as sp

from symgrad.core.evaluate import _at, evaluate_element, evaluate_matrix
from symgrad.core.ops import Diag, Indicator, Ones, Transpose
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


def test_evaluate_matrix_reads_identity_ones_and_indicators():
    """The matrix-form interpreter: I sized by its neighbours, ones vectors, 1[v > 0]."""
    A, v = (sp.Symbol(s, commutative=False) for s in ("A", "v"))
    I = sp.Symbol("I", commutative=False)
    rng = np.random.default_rng(0)
    env = {"A": rng.normal(size=(3, 3)), "v": rng.normal(size=3)}
    n = sp.Integer(3)
    got = evaluate_matrix(2 * I + A - Ones(n) * Transpose(Ones(n)) + Diag(Indicator(v)) * A,
                          env, {})
    want = 2 * np.eye(3) + env["A"] - 1 + np.diag(env["v"] > 0) @ env["A"]
    np.testing.assert_allclose(got, want, atol=1e-12)
    np.testing.assert_allclose(evaluate_matrix(Transpose(Ones(n)) * v, env, {}),
                               [[env["v"].sum()]], atol=1e-12)
