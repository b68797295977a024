"""core.forward: the forward pass, vectorised and compiled once per array names and sizes."""

import numpy as np
import pytest
import sympy as sp
from sympy import tanh

from symgrad.core.errors import ShapeError
from symgrad.core.model import Model
from symgrad.core.tensor import index, size


def _layer():
    n = size("n")
    m = Model("layer")
    x = m.input("x", (n,))
    W = m.param("W", (n, n))
    i, q = index("i"), index("q")
    z = m.define("z", (n,), (i,), sp.Sum(W[i, q] * x[q], (q, 0, n - 1)))
    m.elementwise("y", tanh, z)
    m.softargmax("p", m.tensors["y"])
    return m, n


def test_forward_computes_every_definition_in_order():
    m, n = _layer()
    rng = np.random.default_rng(1)
    x, W = rng.normal(size=4), rng.normal(size=(4, 4))
    env = m.forward({"x": x, "W": W}, {n: 4})
    np.testing.assert_allclose(env["y"], np.tanh(W @ x), atol=1e-12)
    np.testing.assert_allclose(env["p"], np.exp(env["y"]) / np.exp(env["y"]).sum())
    only = m.forward({"x": x, "W": W}, {n: 4}, only={"z"})
    assert "z" in only and "y" not in only


def test_the_plan_is_made_once():
    m, n = _layer()
    arrays = {"x": np.ones(3), "W": np.eye(3)}
    m.forward(arrays, {n: 3})
    m.forward(arrays, {n: 3})
    assert len(m._plans) == 1


def test_an_unknown_size_is_named():
    m, n = _layer()
    with pytest.raises(ShapeError, match="pass the sizes by name"):
        m.forward({"x": np.ones(3), "W": np.eye(3)}, {})
