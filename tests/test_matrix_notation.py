"""core.matrix_notation: definitions in matrix notation, turned into index notation."""

import pytest
import sympy as sp

from symgrad.core.errors import ShapeError
from symgrad.core.model import Model
from symgrad.core.ops import Hadamard, Transposed, sigmoid


def _rnn():
    m = Model("gated")
    m.input("x", "n")
    m.state("h", "m")
    m.param("W", "m x n")
    m.param("U", "m x m")
    return m


def test_products_are_index_sums_and_functions_name_their_argument():
    m = _rnn()
    W, x, U, h = m.symbols("W", "x", "U", "h_prev")
    c = m.define("c", sigmoid(W * x + U * h))
    assert c.shape == m.tensors["h_prev"].shape
    (arg,) = m.reads("c")
    assert m.reads(arg) == {"W", "x", "U", "h_prev"}
    assert m.definitions[arg].expr.has(sp.Sum)


def test_hadamard_operands_that_are_products_are_named():
    m = _rnn()
    W, x, h = m.symbols("W", "x", "h_prev")
    m.define("h", Hadamard(h, W * x))
    assert "W_x" in m.tensors and m.reads("h") == {"h_prev", "W_x"}


def test_shapes_that_do_not_chain_are_errors_at_the_definition():
    m = _rnn()
    W, x = m.symbols("W", "x")
    with pytest.raises(ShapeError, match="the definition of y: cannot multiply"):
        m.define("y", x * W)
    with pytest.raises(ShapeError, match="declared"):
        m.equation("y", W * x, shape="n")


def test_a_star_product_of_one_shape_is_element_wise_and_noted():
    m = _rnn()
    W, x, h = m.symbols("W", "x", "h_prev")
    m.equation("y", W * x * h, star=True)
    assert any("Hadamard" in note for note in m.notes)


def test_concat_and_the_printer():
    m = _rnn()
    x, h = m.symbols("x", "h_prev")
    v = m.concat("v", [x, h])
    assert v.shape == (m.tensors["x"].shape[0] + m.tensors["h_prev"].shape[0],)
    assert m.latex_of(Transposed(x)) == m._latex_of(Transposed(x))
    assert r"\top" in m.latex_of(Transposed(x))
