"""Shapes written as text."""

import pytest
import sympy as sp

from symgrad.core.errors import ShapeError
from symgrad.core.shapes import dims_text, parse_shape
from symgrad.core.tensor import size


def test_shape_strings():
    m, n = size("m"), size("n")
    assert parse_shape("m x n") == (m, n)
    assert parse_shape("3 \\times 5") == (3, 5)
    assert parse_shape("(T, d)") == (size("T"), size("d"))
    assert parse_shape("4x3") == (4, 3) and parse_shape("mxn") == (m, n)
    assert parse_shape(("m", 3)) == (m, 3)
    assert parse_shape("floor((L - 3)/2) + 1") == (sp.floor((size("L") - 3) / 2) + 1,)
    assert dims_text((m, 3)) == "m x 3" and dims_text(()) == "scalar"


@pytest.mark.parametrize("bad", ["m x", "__import__('os')", "0 x 3", "m ** n", True])
def test_bad_shapes_are_shape_errors(bad):
    with pytest.raises(ShapeError):
        parse_shape(bad)


def test_numpy_ints_and_real_space_strings():
    import numpy as np

    m, n = size("m"), size("n")
    assert parse_shape(np.int64(4)) == (4,)
    assert parse_shape((np.int64(3), "n")) == (3, n)
    assert parse_shape(r"\mathbb{R}^{m \times n}") == (m, n)
    assert parse_shape(r"\mathbb{R}^{3\times 4}") == (3, 4)
    assert parse_shape("R^{m x n}") == (m, n)
    assert parse_shape(r"\mathbb{R}^n") == (n,)
    assert parse_shape(r"\mathbb{R}") == ()
    assert parse_shape(r"m \times n") == (m, n)
    assert parse_shape("R") == (size("R"),)


@pytest.mark.parametrize("spec,dims", [
    ("H-2(K-1)", lambda H, K, D, F: (H - 2 * (K - 1),)),
    ("F x (H-2(K-1))", lambda H, K, D, F: (F, H - 2 * (K - 1))),
    ("2K x H", lambda H, K, D, F: (2 * K, H)),
    ("D(K-1)+1", lambda H, K, D, F: (D * (K - 1) + 1,)),
])
def test_a_product_written_without_a_star(spec, dims):
    H, K, D, F = (size(n) for n in "HKDF")
    assert parse_shape(spec) == dims(H, K, D, F)


@pytest.mark.parametrize("spec", ["m n", "2 n", "2x"])
def test_sizes_side_by_side_are_not_a_product(spec):
    with pytest.raises(ShapeError, match="the shape"):
        parse_shape(spec)
