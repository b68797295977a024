"""core.chain_rule: partial and total derivatives over the graph, in closed form."""

import numpy as np
import sympy as sp
from reference import central

from symgrad.core.evaluate import evaluate_element
from symgrad.core.model import Model
from symgrad.core.ops import sigmoid
from symgrad.core.tensor import Tensor, index, size


def _mlp():
    n, m = size("n"), size("m")
    M = Model("mlp")
    x = M.input("x", (n,))
    W = M.param("W", (m, n))
    i, q = index("i"), index("q")
    z = M.define("z", (m,), (i,), sp.Sum(W[i, q] * x[q], (q, 0, n - 1)))
    M.elementwise("a", sigmoid, z)
    return M, n, m


def test_the_derivative_is_written_with_the_named_output():
    M, n, m = _mlp()
    e, I, J = M.derivative("a", "z")
    a = M.tensors["a"]
    assert e.has(a[I]) and not e.has(sp.exp)
    assert M.derivative("a", "z") is M.derivative("a", "z")  # memoised
    assert M.derivative("z", "a")[0] == 0


def test_total_derivative_and_gradient_match_finite_differences():
    M, n, m = _mlp()
    rng = np.random.default_rng(0)
    x, W = rng.normal(size=3), rng.normal(size=(2, 3))
    sizes = {n: 3, m: 2}
    env = M.forward({"x": x, "W": W}, sizes)
    e, I, J = M.derivative("a", "x")
    got = evaluate_element(e, I + J, [2, 3], env, sizes)
    ref = central(lambda v: 1 / (1 + np.exp(-(W @ v))), x)
    np.testing.assert_allclose(got, ref, atol=1e-8)
    g = Tensor("g", (m,))
    e, J = M.gradient("a", "W", g)
    up = rng.normal(size=2)
    got = evaluate_element(e, J, [2, 3], {**env, "g": up}, sizes)
    ref = central(lambda A: up @ (1 / (1 + np.exp(-(A @ x)))), W)
    np.testing.assert_allclose(got, ref, atol=1e-8)


def test_differentiate_an_element_of_the_models_tensors():
    """d (sum_k a_k) / d x by the chain rule over the graph, against finite differences."""
    M, n, m = _mlp()
    k = index("k")
    e, J = M.differentiate(sp.Sum(M.tensors["a"][k], (k, 0, m - 1)), (), (), "x")
    rng = np.random.default_rng(1)
    x, W = rng.normal(size=3), rng.normal(size=(2, 3))
    sizes = {n: 3, m: 2}
    got = evaluate_element(e, J, [3], M.forward({"x": x, "W": W}, sizes), sizes)
    ref = central(lambda v: np.sum(1 / (1 + np.exp(-(W @ v)))), x)
    np.testing.assert_allclose(got, ref, atol=1e-8)


def test_sums_that_vanish_by_the_definitions_are_dropped():
    n = size("n")
    M = Model("centred")
    x = M.input("x", (n,))
    i, k = index("i"), index("k")
    mu = M.define("mu", (), (), sp.Sum(x[k], (k, 0, n - 1)) / n)
    d = M.define("d", (n,), (i,), x[i] - mu[()])
    assert M.tidy_terms(sp.Sum(d[k], (k, 0, n - 1)) + x[i]) == x[i]
