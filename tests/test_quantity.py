"""Quantity: shapes, LaTeX, evaluation with size binding and clear errors."""

import numpy as np
import pytest

import symgrad as sg


def test_quantity_interface():
    q = sg.Conv1d(in_channels=2, length=5, kernel_size=2).jacobian("x")
    assert q.shape == (1, 4, 2, 5) and len(q.indices) == 4
    assert q.latex().startswith(r"\frac{\partial f_W(x)[f, j]}{\partial x[c, l]}")
    assert "$$" in q._repr_latex_()
    x, W = np.ones((2, 5)), np.ones((1, 2, 2))
    assert q.evaluate(x=x, W=W).shape == (1, 4, 2, 5)
    assert q.evaluate({"x": x, "W": W}).shape == (1, 4, 2, 5)
    with pytest.raises(sg.ShapeError, match="needs the arrays W"):
        q.evaluate(x=x)
    with pytest.raises(sg.ShapeError, match="form must be"):
        q.latex(form="tensor")
