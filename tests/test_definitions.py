"""core.definitions: declarations, definitions in index notation, the graph, names as written."""

import pytest
import sympy as sp

from symgrad.core.definitions import Definition, Graph, identifier, same_dim
from symgrad.core.errors import ShapeError, UnknownNameError
from symgrad.core.model import Model
from symgrad.core.tensor import index, size


def test_model_is_built_on_the_graph():
    assert issubclass(Model, Graph)


def test_a_definition_reads_and_depends():
    n = size("n")
    m = Model("g")
    x = m.input("x", (n,))
    i, q = index("i"), index("q")
    m.param("W", "n x n")
    y = m.define("y", (n,), (i,), sp.Sum(m.tensors["W"][i, q] * x[q], (q, 0, n - 1)))
    m.define("s", (), (), sp.Sum(y[q], (q, 0, n - 1)))
    assert m.reads("y") == {"W", "x"} and m.reads("x") == set()
    assert m.depends("s", "x") and not m.depends("y", "s")
    assert m.needed({"s"}) == {"s", "y", "W", "x"}
    assert m.expr_reads(y[i] * x[i]) == {"y", "x"}
    d = m.definitions["y"]
    assert isinstance(d, Definition) and d.at((sp.Integer(0),)).has(x[q])


def test_lagged_tensors_resolve_as_written():
    m = Model("rnn")
    m.input("x", "n")
    m.state("h", "n")
    m.lagged("h", 2)
    m.lagged("h", None, rows=3)
    x, h_prev = m.symbols("x", "h_prev")
    m.define("h", x + h_prev)
    assert m.resolve("h[t-1]") == "h_prev" and m.resolve("h_{t-2}") == "h_prev2"
    assert m.resolve("h[t]") == "h" and m.states() == {"h": ["h_prev", "h_prev2", "h_hist"]}
    assert m.history_row("h[t-3]") == ("h_hist", 2) and m.history_row("h[t-4]") is None
    assert m.written_name(r"\mathbf{x}") == "x"
    with pytest.raises(UnknownNameError, match=r"rows h\[t-1\], h\[t-2\], h\[t-3\]"):
        m.resolve("q")


def test_declarations_are_checked():
    m = Model("bad")
    m.input("x", "n")
    with pytest.raises(ShapeError, match="defined twice"):
        m.input("x", "n")
    with pytest.raises(ShapeError, match="positive integer"):
        m.lagged("x", 0)
    m.state("h", "n")
    with pytest.raises(ShapeError, match="earlier steps"):
        m.define("h", (size("m"),), (index("i"),), sp.Integer(0))


def test_fresh_names_and_identifiers():
    m = Model("names")
    m.input("g", "n")
    assert m.fresh_name("g") == "g2" and m.fresh_name("delta") == "delta"
    assert m._fresh_name("g") == "g2"  # the name symgrad.notation calls
    assert identifier(r"\tilde{h}") == "tilde_h" and identifier("lambda") == "lambda_"
    assert same_dim(size("n") + 1 - 1, size("n")) and not same_dim(size("n"), size("m"))
    assert m.size_names(size("K")) == (size("K"), size("n"))
