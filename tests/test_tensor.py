"""Tensors and their shapes."""

import pytest
import sympy as sp

from symgrad.core.errors import ShapeError
from symgrad.core.tensor import Tensor, as_dim, index, ranges_for, size


def test_shapes_accept_ints_and_symbols_and_reject_the_rest():
    n = size("n")
    t = Tensor("W", (n, 3))
    assert t.rank == 2 and t.shape == (n, sp.Integer(3))
    for bad in (0, -1, 2.5, True, "n"):
        with pytest.raises(ShapeError):
            as_dim(bad)


def test_indexing_checks_rank():
    t = Tensor("W", (2, 3))
    i = index("i")
    with pytest.raises(ShapeError, match="2 axes"):
        t[i]
    assert ranges_for((i,), (4,)) == {i: (0, 3)}
