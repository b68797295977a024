"""core.results: a model's definitions, Jacobians, Hessians and gradients as Quantities."""

import numpy as np
import pytest
from reference import central

from symgrad.core.errors import UnknownNameError
from symgrad.core.model import Model
from symgrad.core.model_quantity import ModelQuantity
from symgrad.core.ops import Transposed, sigmoid
from symgrad.core.results import GIVEN


def _rnn():
    m = Model("rnn")
    m.input("x", "n")
    m.state("h", "n")
    m.param("W", "n x n")
    m.param("U", "n x n")
    W, x, U, h = m.symbols("W", "x", "U", "h_prev")
    m.define("h", sigmoid(W * x + U * h))
    return m


def test_results_are_model_quantities():
    m = _rnn()
    for q in (m.value("h"), m.jacobian("h[t]", "h[t-1]"), m.state_jacobian(),
              m.grad("W"), m.grad("W", steps=3)):
        assert isinstance(q, ModelQuantity) and q.model is m
    assert GIVEN == ("total", "direct")
    with pytest.raises(UnknownNameError, match="input"):
        m.value("x")


def test_the_state_jacobian_matches_finite_differences():
    m = _rnn()
    rng = np.random.default_rng(2)
    x, h, W, U = (rng.normal(size=s) for s in (3, 3, (3, 3), (3, 3)))
    J = m.state_jacobian().evaluate({"x[t]": x, "h[t-1]": h, "W": W, "U": U})
    ref = central(lambda v: 1 / (1 + np.exp(-(W @ x + U @ v))), h)
    np.testing.assert_allclose(J, ref, atol=1e-8)


def test_a_hessian_and_the_helpers():
    m = Model("quadratic")
    m.input("x", "n")
    m.param("A", "n x n")
    x, A = m.symbols("x", "A")
    m.define("f", Transposed(x) * A * x)
    H = m.hessian("f", "x")
    a = np.arange(9.0).reshape(3, 3)
    np.testing.assert_allclose(H.evaluate(A=a, n=3), a + a.T)
    assert m.index_names(2) == ["i", "j"]
    assert [t.name for t in m.step_inputs({"f"})] == ["x", "A"]
