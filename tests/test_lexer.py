"""The lexer (symgrad/notation/lexer.py): tokens whose positions index the typed text."""

from __future__ import annotations

import pytest

from symgrad.core.errors import LimitError, ParseError
from symgrad.notation.lexer import MAX_LENGTH, _tokens


def keys(text):
    return [t.key for t in _tokens(text)[0]]


def test_positions_index_the_text_as_typed():
    text = r"y_j = \mathbf{W} x  % a comment"
    toks, _ = _tokens(text)
    assert [text[t.pos:t.end] for t in toks] == ["y", "_", "j", "=", "W", "x"]


@pytest.mark.parametrize("text, expected", [
    (r"\|x\|", [("cmd", r"\Vert"), ("name", "x"), ("cmd", r"\Vert")]),
    (r"\lVert x \rVert", [("cmd", r"\Vert"), ("name", "x"), ("cmd", r"\Vert")]),
    (r"a \;\; b", [("name", "a"), ("sep", "quad"), ("name", "b")]),
    (r"a \; b", [("name", "a"), ("name", "b")]),
    (r"a \\ b", [("name", "a"), ("sep", "\\\\"), ("name", "b")]),
    (r"\text{ if } x", [("word", "if"), ("name", "x")]),
    (r"3 \mid l", [("num", "3"), ("cmd", r"\mid"), ("name", "l")]),
])
def test_tokens_of_constructs_students_write(text, expected):
    assert keys(text) == expected


def test_bad_input_is_a_parse_error_or_a_limit():
    with pytest.raises(ParseError):
        _tokens("{x")
    with pytest.raises(LimitError):
        _tokens("x" * (MAX_LENGTH + 1))


def test_three_dots_are_an_ellipsis():
    from symgrad.notation.lexer import token_keys

    assert token_keys("q_0[t], ..., q_k[t]") == token_keys(r"q_0[t], \dots, q_k[t]")


def test_a_greek_letter_summed_over_is_an_index_letter():
    # \prod_{\tau=...} h[\tau]: the same verdicts as with a Latin letter
    import symgrad as sg

    for right, wrong in [
        (r"\frac{\partial \ell}{\partial h[T]} = \sum_{\tau=T}^{L} \frac{\partial \ell}"
         r"{\partial h[\tau]} \frac{\partial h[\tau]}{\partial h[T]}",
         r"\frac{\partial \ell}{\partial h[T]} = \sum_{\tau=T+1}^{L} \frac{\partial \ell}"
         r"{\partial h[\tau]} \frac{\partial h[\tau]}{\partial h[T]}"),
        (r"\frac{\partial \ell}{\partial W_x} = \sum_{\tau=1}^{K} \left(\frac{\partial \ell}"
         r"{\partial h[\tau]} \odot (1 - c[\tau])\right) x[\tau]^\top",
         r"\frac{\partial \ell}{\partial W_x} = \sum_{\tau=1}^{K} \left(\frac{\partial \ell}"
         r"{\partial h[\tau]} \odot c[\tau]\right) x[\tau]^\top")]:
        qid = "1.2.2.f" if "h[T]" in right else "1.2.1.c"
        assert sg.check(qid, right).verdict == "correct"
        assert sg.check(qid, wrong).verdict == "incorrect"
    # \sigma stays the sigmoid and \tau outside a sum's index is not touched
    summed = keys(r"\sum_{\tau=1}^{3} \sigma(\tau)")
    assert ("name", "τ") in summed and ("cmd", r"\sigma") in summed
    assert ("cmd", r"\tau") in keys(r"\tau + 1")
