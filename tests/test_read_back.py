"""Everything symgrad prints reads back as correct (issue 24, item 4): the index and matrix
forms of every quantity of hw2's answers, and of the layers and matrix functions of the
documentation, checked by symgrad's own checker against its own derivation. The numeric
truth of each derivation is tested elsewhere against loops and finite differences; here a
printed form that the reader misreads (a dropped transpose, a lost factor) would fail."""

import pytest

import symgrad as sg
from symgrad.core.errors import ShapeError
from symgrad.problems.registry import get


def forms(q) -> list[tuple[str, str]]:
    """(form, LaTeX) of each form a quantity prints; a quantity with no matrix form (a
    rank-3 tensor) prints its index form only."""
    out = [("index", q.latex(form="index"))]
    try:
        out.append(("matrix", q.latex(form="matrix")))
    except ShapeError:
        pass
    return out


def answer_quantities():
    out = []
    for qid in get("hw2").questions:
        try:
            a = sg.answer(qid)
        except sg.SymgradError:
            continue
        out += [(qid, name, q) for name, q in (a.quantities or {}).items()]
    return out


def test_every_quantity_of_the_answers_reads_back():
    quantities = answer_quantities()
    assert len(quantities) >= 15
    for qid, name, q in quantities:
        for form, tex in forms(q):
            v = q.check(tex)
            assert v.verdict == "correct", f"{qid} {name} ({form}): {tex}\n{v.explanation}"


MODELS = [
    (r"f = \det(X)", {"X": "n x n"}, "f", "X"),
    (r"f = \log \det(X)", {"X": "n x n"}, "f", "X"),
    (r"f = \operatorname{tr}(A X^{-1} B)", {"A": "p x n", "X": "n x n", "B": "n x p"}, "f", "X"),
    (r"f = \|A x - b\|_2^2", {"A": "m x n", "x": "n", "b": "m"}, "f", "x"),
    (r"y = \operatorname{logsumexp}(x)", {"x": "n"}, "y", "x"),
    (r"y = \sum_i x_i", {"x": "n"}, "y", "x"),
    (r"y = \sigma(W x)", {"x": "n", "W": "m x n", "y": "m"}, "y", "W"),
    (r"c[t] = \sigma(W_c x[t] + W_h h[t-1]) \\ h[t] = c[t] \odot h[t-1] + (1 - c[t]) \odot "
     r"W_x x[t]", {"x": "n", "h": "m", "W_c": "m x n", "W_h": "m x m", "W_x": "m x n"},
     "h[t]", "h[t-1]"),
]


@pytest.mark.parametrize("equations, shapes, of, wrt", MODELS)
def test_the_documentations_derivations_read_back(equations, shapes, of, wrt):
    q = sg.Model.from_latex(equations, shapes=shapes).jacobian(of, wrt)
    for form, tex in forms(q):
        v = q.check(tex)
        assert v.verdict == "correct", f"{form}: {tex}\n{v.explanation}"


def test_the_layers_print_what_they_read_back():
    conv = sg.Conv1d(in_channels=5, length=7, kernel_size=3, stride=2)
    rnn = sg.GatedRNN(input_size=3, hidden_size=4)
    for q in (conv.jacobian("x"), conv.jacobian("W"), rnn.state_jacobian()):
        for form, tex in forms(q):
            assert q.check(tex).verdict == "correct", f"{form}: {tex}"
    # and a printed form changed by one sign is caught
    tex = rnn.state_jacobian().latex(form="matrix")
    assert "h[t-1] - W_x x[t]" in tex
    assert rnn.state_jacobian().check(tex.replace("h[t-1] - W_x x[t]", "h[t-1] + W_x x[t]")
                                      ).verdict == "incorrect"
