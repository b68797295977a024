"""TikZ diagrams: structure, receptive-field taps, determinism, and that they compile."""

from __future__ import annotations

import os
import re
import shutil

import numpy as np
import pytest

from symgrad.core.errors import LimitError, SymgradError
from symgrad.render.output import build_pdf, latex_document, write_atomic
from symgrad.render.tikz import (
    TIKZ_LIBRARIES,
    Node,
    attention_cell_diagram,
    cell_diagram,
    conv1d_receptive_fields,
    unrolled_diagram,
)

GATED = [
    Node("x", "x[t]", "input", ()),
    Node("h_prev", "h[t-1]", "state", ()),
    Node("W_c", "W_c", "param", ()),
    Node("W_h", "W_h", "param", ()),
    Node("W_x", "W_x", "param", ()),
    Node("z", "z[t]", "defined", ("W_c", "x", "W_h", "h_prev"), "+"),
    Node("c", "c[t]", "defined", ("z",), r"\sigma"),
    Node("u", "u[t]", "defined", ("W_x", "x"), r"W_x x"),
    Node("h", "h[t]", "defined", ("c", "h_prev", "u"), r"\odot,\,+"),
]

CHAIN = [
    Node("a", "a", "input", ()),
    Node("b", "b", "defined", ("a",), r"\exp"),
    Node("c", "c", "defined", ("b",), r"\log"),
    Node("d", "d", "defined", ("c", "a"), "+"),
    Node("e", "e", "defined", ("d", "a", "b"), r"\mathrm{softargmax}"),
]

SIMPLE_RNN = [
    Node("x", "x[t]", "input", ()),
    Node("h_prev", "h[t-1]", "state", ()),
    Node("W", "W", "param", ()),
    Node("U", "U", "param", ()),
    Node("h", "h[t]", "defined", ("W", "x", "U", "h_prev"), r"\tanh"),
    Node("y", "y[t]", "defined", ("h",), r"\mathrm{softargmax}"),
]

GRAPHS = {"gated": GATED, "chain": CHAIN, "simple_rnn": SIMPLE_RNN}


def _edges(nodes: list[Node]) -> int:
    return sum(len(set(n.deps)) for n in nodes)


def _is_environment(text: str) -> None:
    assert text.startswith("\\begin{tikzpicture}[")
    assert text.endswith("\\end{tikzpicture}\n")
    assert text.count("\\begin{tikzpicture}") == 1
    assert text.count("{") == text.count("}")
    assert "\\documentclass" not in text and "\\usetikzlibrary" not in text


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_cell_diagram_labels_and_arrows(name):
    nodes = GRAPHS[name]
    text = cell_diagram(nodes, title="A cell")
    _is_environment(text)
    for node in nodes:
        assert f"${node.latex}$" in text
        if node.op:
            assert f"${node.op}$" in text
    assert text.count("\\draw[sgedge]") == _edges(nodes)
    assert text.count("\\draw") == _edges(nodes)
    assert "A cell" in text


def test_cell_diagram_layers_left_to_right():
    text = cell_diagram(GATED)
    xs = {
        m.group(1): float(m.group(2))
        for m in re.finditer(r"\\node\[\w+\] \(n-([\w-]+)\) at \((-?[\d.]+),", text)
    }
    assert xs["x"] == xs["h-prev"] == 0
    assert xs["x"] < xs["z"] < xs["c"] < xs["h"]
    assert xs["z"] == xs["u"]
    for edge in re.findall(r"\\draw\[sgedge\] \(n-([\w-]+)\)(.*?)\(n-([\w-]+)\);", text):
        assert xs[edge[0]] < xs[edge[2]]


def test_cell_diagram_long_edge_routes_around_nodes():
    text = cell_diagram(GATED)
    (path,) = [
        ln
        for ln in text.splitlines()
        if ln.startswith("\\draw[sgedge] (n-h-prev)") and ln.endswith("(n-h);")
    ]
    assert path.count(" -- ") == 5
    single = [ln for ln in text.splitlines() if ln.startswith("\\draw[sgedge] (n-z) -- (n-c);")]
    assert len(single) == 1


def test_cell_diagram_deterministic_and_order_sensitive():
    assert cell_diagram(GATED, "t") == cell_diagram(list(GATED), "t")
    assert cell_diagram(GATED) == cell_diagram(tuple(GATED))


def test_duplicate_deps_count_once():
    nodes = [Node("x", "x", "input", ()), Node("y", "y", "defined", ("x", "x"), r"\cdot")]
    assert cell_diagram(nodes).count("\\draw[sgedge]") == 1


@pytest.mark.parametrize(
    ("nodes", "message"),
    [
        ([], "at least one node"),
        ([Node("x", "x", "input", ()), Node("x", "x", "input", ())], "defined twice"),
        ([Node("x", "x", "input", ("y",))], "cannot have dependencies"),
        ([Node("x", "x", "weird", ())], "kind"),
        ([Node("y", "y", "defined", ("q",))], "'q'"),
        ([Node("2x", "x", "input", ())], "identifier"),
        ([Node("x", "x_{1", "input", ())], "unbalanced"),
        (
            [Node("a", "a", "defined", ("b",)), Node("b", "b", "defined", ("a",))],
            "cycle",
        ),
    ],
)
def test_cell_diagram_rejects_bad_graphs(nodes, message):
    with pytest.raises(SymgradError, match=message):
        cell_diagram(nodes)


def test_cell_diagram_size_limit():
    nodes = [Node(f"n{i}", "n", "input", ()) for i in range(500)]
    with pytest.raises(LimitError):
        cell_diagram(nodes)


def test_unrolled_diagram_relative_steps():
    text = unrolled_diagram(GATED)
    _is_environment(text)
    for time in ("t-1", "t", "t+1"):
        for label in ("x", "z", "c", "u", "h"):
            assert f"{label}[{time}]" in text
        assert f"step ${time}$" in text
    assert "h[t-2]" in text and "h[t+2]" not in text
    assert "= 0" not in text
    assert text.count("-box)") == 3
    assert "shared by every step: $W_c$, $W_h$, $W_x$" in text
    for s in (1, 2):
        assert re.search(
            rf"\\draw\[sgedge\] \(s{s}-h\) to\[out=0, in=180\] node\[above, "
            rf"sglabel\] \{{\$h\[[^]]+\]\$\}} \(s{s + 1}-port\);",
            text,
        )


def test_unrolled_diagram_from_time_one_shows_zero_state():
    text = unrolled_diagram(GATED, steps=4, start=1)
    assert "$h[0] = 0$" in text
    for time in range(1, 5):
        assert f"x[{time}]" in text and f"c[{time}]" in text and f"h[{time}]" in text
    assert "x[0]" not in text and "x[5]" not in text


def test_unrolled_diagram_other_names_and_outputs():
    text = unrolled_diagram(SIMPLE_RNN, steps=2)
    assert "y[t-1]" in text and "y[t]" in text
    assert len(re.findall(r"\\node\[anchor=south, inner sep=2pt\] \(s\d-[a-z]-out\)", text)) == 4
    assert unrolled_diagram(SIMPLE_RNN, steps=2) == text
    assert "(s1-exit) to[out=0, in=180]" in text and "(s2-exit) to[out=0, in=180]" in text


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"state": "nope"}, "no node 'nope'"),
        ({"state_prev": "x"}, "must be state"),
        ({"input": "h_prev"}, "must be input"),
        ({"steps": 0}, "at least 1"),
        ({"steps": "3"}, "integer"),
    ],
)
def test_unrolled_diagram_rejects(kwargs, message):
    with pytest.raises(SymgradError, match=message):
        unrolled_diagram(GATED, **kwargs)
    with pytest.raises(LimitError):
        unrolled_diagram(GATED, steps=100)


@pytest.mark.parametrize("k", [1, 2, 3])
def test_attention_cell_diagram_k(k):
    text = attention_cell_diagram(k)
    _is_environment(text)
    assert "$x[t]$" in text
    for i in range(1, k + 1):
        assert f"$h[t-{i}]$" in text
    assert f"h[t-{k + 1}]" not in text
    for i in range(k + 1):
        for letter in ("q", "k", "v"):
            assert f"${letter}_{{{i}}}[t]$" in text
        for param in ("Q", "K", "V"):
            assert f"${param}_{i}$" in text
        assert f"$w_{{{i}}}[t] = q_{{{i}}}[t]^{{\\top}} k_{{{i}}}[t]$" in text
    assert "softargmax" in text and f"\\mathbb{{R}}^{{{k + 1}}}" in text
    assert f"h[t] = \\sum_{{i=0}}^{{{k}}} a_i[t]\\, v_i[t]" in text
    assert "shared weights" not in text
    assert text.count("\\draw[sgedge]") == (k + 1) * 7 + 2


def test_attention_cell_diagram_infinite():
    text = attention_cell_diagram(None)
    assert "shared weights" in text and "$Q_h$" in text and "$V_h$" in text
    assert "$Q_0$" in text and "$h[1]$" in text and "\\cdots" in text
    assert "q_{t-1}[t]" in text and "\\sum_{i=0}^{t-1}" in text
    assert attention_cell_diagram(None) == text
    assert attention_cell_diagram(2) == attention_cell_diagram()


@pytest.mark.parametrize("k", [0, -1, True, 2.0])
def test_attention_cell_diagram_rejects(k):
    with pytest.raises(SymgradError):
        attention_cell_diagram(k)


def _drawn_taps(text: str) -> dict[int, list[int]]:
    taps: dict[int, list[int]] = {}
    pattern = re.compile(
        r"\\draw\[sgtap, sgrf(\d+)(?:, dashed)?\] \(\$\(y(\d+)\.south\)\+\([^)]*\)\$\) -- "
        r"\(\$\(x(m?)(\d+)\.north\)\+\([^)]*\)\$\);"
    )
    for m in pattern.finditer(text):
        assert m.group(1) == m.group(2)
        pos = -int(m.group(4)) if m.group(3) else int(m.group(4))
        taps.setdefault(int(m.group(2)), []).append(pos)
    assert sum(len(v) for v in taps.values()) == text.count("\\draw[sgtap")
    return taps


def _reference_taps(length, kernel, stride, dilation, padding) -> dict[int, list[int]]:
    """Windows of a padded array of positions, by slicing (independent of the formula)."""
    positions = np.arange(1 - padding, length + padding + 1)
    span = dilation * (kernel - 1) + 1
    out: dict[int, list[int]] = {}
    start, j = 0, 1
    while start + span <= len(positions):
        out[j] = positions[start : start + span : dilation].tolist()
        start += stride
        j += 1
    return out


CONV_CASES = [
    (7, 3, 2, 1, 0),
    (7, 3, 1, 1, 0),
    (8, 3, 1, 2, 2),
    (10, 2, 3, 3, 1),
    (5, 5, 1, 1, 0),
    (6, 1, 2, 1, 3),
    (9, 4, 2, 2, 2),
    (3, 3, 1, 2, 2),
]


@pytest.mark.parametrize(("length", "kernel", "stride", "dilation", "padding"), CONV_CASES)
def test_conv1d_receptive_fields_taps(length, kernel, stride, dilation, padding):
    text = conv1d_receptive_fields(length, kernel, stride, dilation, padding)
    _is_environment(text)
    expected = _reference_taps(length, kernel, stride, dilation, padding)
    assert _drawn_taps(text) == expected
    l_out = (length + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1
    assert len(expected) == l_out
    assert f"= {l_out}$" in text
    for j in range(1, l_out + 1):
        assert f"(y{j})" in text and f"$y_{{{j}}}$" in text
    for pos in range(1, length + 1):
        assert f"$x_{{{pos}}}$" in text
    assert text.count("\\node[sgpadbox]") == 2 * padding
    colours = re.findall(r"\\definecolor\{sgrf\d+\}\{RGB\}\{([\d,]+)\}", text)
    assert len(colours) == l_out == len(set(colours))
    assert conv1d_receptive_fields(length, kernel, stride, dilation, padding) == text


def test_conv1d_homework_case():
    text = conv1d_receptive_fields(7, 3, stride=2)
    assert _drawn_taps(text) == {1: [1, 2, 3], 2: [3, 4, 5], 3: [5, 6, 7]}


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ((3, 4), "no output position"),
        ((5, 3, 1, 3, 0), "no output position"),
        ((0, 1), "at least 1"),
        ((5, 3, 0), "at least 1"),
        ((5, 3, 1, 1, -1), "at least 0"),
        ((5, 3.0), "integer"),
    ],
)
def test_conv1d_rejects(args, error):
    with pytest.raises(SymgradError, match=error):
        conv1d_receptive_fields(*args)
    with pytest.raises(LimitError):
        conv1d_receptive_fields(100, 3, padding=1)


def test_libraries_constant():
    assert TIKZ_LIBRARIES == ("arrows.meta", "positioning", "calc", "fit", "backgrounds")


def _need_pdflatex() -> None:
    if shutil.which("pdflatex") is None:
        if os.environ.get("SYMGRAD_REQUIRE_LATEX") == "1":
            pytest.fail("pdflatex is not installed but SYMGRAD_REQUIRE_LATEX=1")
        pytest.skip("pdflatex is not installed")


DIAGRAMS = {
    "cell_gated": lambda: cell_diagram(GATED, title="Gated RNN cell"),
    "cell_chain": lambda: cell_diagram(CHAIN),
    "unrolled_gated": lambda: unrolled_diagram(GATED),
    "unrolled_start": lambda: unrolled_diagram(SIMPLE_RNN, steps=4, start=1),
    "attention_2": lambda: attention_cell_diagram(2),
    "attention_inf": lambda: attention_cell_diagram(None),
    "conv_hw": lambda: conv1d_receptive_fields(7, 3, stride=2),
    "conv_pad": lambda: conv1d_receptive_fields(8, 3, stride=1, dilation=2, padding=2),
}


@pytest.mark.parametrize("name", sorted(DIAGRAMS))
def test_diagram_compiles(name, tmp_path):
    _need_pdflatex()
    tex = tmp_path / f"{name}.tex"
    write_atomic(tex, latex_document(DIAGRAMS[name](), name.replace("_", " ")))
    pdf = build_pdf(tex, require=True)
    assert pdf is not None and pdf.is_file()
    assert pdf.read_bytes().startswith(b"%PDF")
    assert not (tmp_path / f"{name}.aux").exists()


def test_conv1d_receptive_fields_labels_follow_the_index_base():
    one = conv1d_receptive_fields(7, 3, stride=2, padding=1)
    zero = conv1d_receptive_fields(7, 3, stride=2, padding=1, index_base=0)
    assert re.findall(r"\{\$x_\{(\d+)\}\$\}", one) == [str(i) for i in range(1, 8)]
    assert re.findall(r"\{\$x_\{(\d+)\}\$\}", zero) == [str(i) for i in range(7)]
    assert re.findall(r"\{\$y_\{(\d+)\}\$\}", zero) == ["0", "1", "2", "3"]
    # only the labels differ: the same nodes, taps and colours
    assert re.sub(r"\{\$[xy]_\{\d+\}\$\}", "", one) == re.sub(r"\{\$[xy]_\{\d+\}\$\}", "", zero)
    with pytest.raises(SymgradError, match="index_base"):
        conv1d_receptive_fields(7, 3, index_base=2)
