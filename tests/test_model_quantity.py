"""core.model_quantity: quantities of a Model, keyed by names as written, differentiated again."""

import numpy as np
import pytest
import sympy as sp
from sympy import tanh

from symgrad.core.errors import ShapeError, UnknownNameError
from symgrad.core.model import Model
from symgrad.core.model_quantity import ModelQuantity, SecondQuantity, dims_of
from symgrad.core.tensor import Tensor, size


def _model():
    m = Model("q")
    m.input("x", "n")
    m.state("h", "n")
    m.param("W", "n x n")
    W, x, h = m.symbols("W", "x", "h_prev")
    m.define("h", tanh(W * x) + h)
    return m


def test_evaluate_takes_names_as_written_and_ignores_other_arrays():
    m = _model()
    q = m.jacobian("h[t]", "x[t]")
    rng = np.random.default_rng(5)
    x, h, W = rng.normal(size=3), rng.normal(size=3), rng.normal(size=(3, 3))
    got = q.evaluate({"x[t]": x, "h[t-1]": h, "W": W})
    np.testing.assert_allclose(got, (1 - np.tanh(W @ x) ** 2)[:, None] * W, atol=1e-12)
    with pytest.raises(UnknownNameError, match="unknown array"):
        q.evaluate({"x": x, "W": W, "nope": x})


def test_a_second_derivative_is_a_second_quantity():
    m = _model()
    q = m.jacobian("h[t]", "x[t]")
    second = q.jacobian("x[t]")
    assert isinstance(second, SecondQuantity) and isinstance(second, ModelQuantity)
    assert second.shape == q.shape + (size("n"),)
    with pytest.raises(ShapeError, match="over time steps"):
        m.grad("W", steps=2).jacobian("x")


def test_dims_of_names_the_missing_sizes():
    t = Tensor("A", (size("n"), 2))
    assert dims_of(t, {size("n"): sp.Integer(4)}) == (4, 2)
    with pytest.raises(ShapeError, match="n=..."):
        dims_of(t, {})
