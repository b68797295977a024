"""Answers to the diagram questions (1.2.1.a, 1.2.2.a): TikZ drawn from the model graphs."""

from __future__ import annotations

from ..core.model import Model
from ..render.tikz import Node, attention_cell_diagram, cell_diagram, unrolled_diagram
from .base import Answer


def model_nodes(model: Model) -> list[Node]:
    """The model's graph of named definitions as diagram nodes."""
    return [Node(name, latex, kind, deps, op) for name, latex, kind, deps, op in model.graph()]


def _center(picture: str) -> str:
    return "\n".join([r"\begin{center}", picture.rstrip(), r"\end{center}"])


def answer_1_2_1_a(index_base: int = 1) -> Answer:
    from ..layers.gated_rnn import GatedRNN

    rnn = GatedRNN(input_size=3, hidden_size=4)
    nodes = model_nodes(rnn.model)
    names = ", ".join(f"${n.latex}$" for n in nodes if n.kind == "defined")
    latex = "\n".join([
        r"The cell, drawn from the model's graph of named definitions (%s): the gate "
        r"$c[t]$ mixes the previous state $h[t-1]$ with the candidate $W_x x[t]$." % names,
        _center(cell_diagram(nodes, title="one step")),
        r"Unrolled over time, the state $h[t]$ is passed to the next step; $h[0] = 0$, and "
        r"the same weights $W_c, W_h, W_x$ are used at every step:",
        _center(unrolled_diagram(nodes, steps=3)),
    ])
    return Answer("1.2.1.a", "Diagram of the gated recurrent network", latex)


def answer_1_2_2_a(index_base: int = 1) -> Answer:
    latex = "\n".join([
        r"AttentionRNN(2): the current input and the two previous states each give a query, "
        r"a key and a value; the scores $w_i[t] = q_i[t]^\top k_i[t]$ go through a "
        r"softargmax, and $h[t]$ is the $a[t]$-weighted sum of the values.",
        _center(attention_cell_diagram(2)),
    ])
    return Answer("1.2.2.a", "Diagram of AttentionRNN(2)", latex)
