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


def test_no_summation_index_is_named_like_a_tensor():
    """Issue 13: d a / d q printed \\sum_q a_q K_{qj} while q is the tensor differentiated."""
    import re

    import symgrad as sg

    M = sg.Model.from_latex(r"s = \frac{K q}{\sqrt{d}} \\ a = \mathrm{softargmax}(s) \\ "
                            r"o = V^\top a", {"K": "T x d", "q": "d", "V": "T x d"})
    for of in ("a", "o"):
        q = M.jacobian(of, "q")
        bound = re.findall(r"\\sum_\{([a-z]+)=", q.latex())
        assert bound and not set(bound) & set(M.tensors), q.latex()
        assert q.check(q.latex()).verdict == "correct"
