"""Question numbering as students write it, read by symgrad.verify.questions."""

import pytest

from symgrad.problems.hw2 import HW2
from symgrad.verify.questions import QuestionTree, read_label

TREE = QuestionTree(HW2.questions)


@pytest.mark.parametrize("line, qid, answer", [
    ("1.1.c.iii", "1.1.c.iii", False),
    ("1.1 (c) (iii)", "1.1.c.iii", False),
    ("Q1.1.C.I Answer", "1.1.c.i", True),
    ("**Q1.1.C.I Answer**", "1.1.c.i", True),
    ("#### 5.5.2 1.1.C.I Answer", "1.1.c.i", True),   # PDF section number before the id
    ("# 5.3 1.1 B", "1.1.b", False),
    ("## Problem 1.2.2 (e)", "1.2.2.e", False),
    (r"\section*{1.1}", "1.1", False),
    (r"\subsection{1.2.1 Gated RNN}", "1.2.1", False),
    ("6.20 1.2.2.F Answer", "1.2.2.f", True),
    ("1.3.4", "1.3.4", False),
    # a label followed by its answer's formula on the same line
    ("**1.1 a)** $5 \\times 2$", "1.1.a", False),
    ("1.2.1 (b) $c[t] \\in \\mathbb{R}^m$", "1.2.1.b", False),
    ("Problem 1.2.1, part (b): $c[t] \\in \\mathbb{R}^m$", "1.2.1.b", False),
])
def test_absolute_ids(line, qid, answer):
    lab = read_label(TREE, line)
    assert lab is not None and lab.absolute == qid and lab.answer == answer


@pytest.mark.parametrize("line, rel", [
    ("(a)", ("a",)), ("Part (ii)", ("ii",)), ("(c) (iii)", ("c", "iii")),
    (r"\subsection*{(b)}", ("b",)), ("### Part (b)", ("b",)),
    ("(a) The output is $5 \\times 2$.", ("a",)),
    ("Part c.i: $f_W(x) \\in \\mathbb{R}^{1 \\times 3}$", ("c", "i")),
    ("Part (c)(iii)", ("c", "iii")),
    ("Part a. The output", ("a",)),
])
def test_relative_labels(line, rel):
    lab = read_label(TREE, line)
    assert lab is not None and lab.absolute is None and lab.relative == rel


@pytest.mark.parametrize("line", ["Recalling 1.1.c.ii we see", "(23)", "- 4 Section 1: Theory",
                                  "The output has 5 rows.", "1.2 $x$ is the input",
                                  "Part 1.2 of the text"])
def test_prose_is_no_label(line):
    assert read_label(TREE, line) is None


def test_resolve_relative_under_current():
    assert TREE.resolve("1.1.c", ["ii"]) == "1.1.c.ii"
    assert TREE.resolve("1.1.c.i", ["ii"]) == "1.1.c.ii"      # a sibling part
    assert TREE.resolve("1.1.b", ["c"]) == "1.1.c"
    assert TREE.resolve("1.1", ["c", "iii"]) == "1.1.c.iii"
    assert TREE.resolve("1.1.b", ["g"]) is None                # no such part: not guessed
    assert TREE.resolve(None, ["a"]) is None


def test_heading_without_id_is_reported():
    lab = read_label(TREE, "## Afterthoughts")
    assert lab is not None and lab.absolute is None and not lab.relative and lab.heading == 2


def test_sections_placed_by_the_homeworks_titles():
    from symgrad.problems.hw2 import TITLES as HW2_TITLES

    tree = QuestionTree(HW2.questions, HW2_TITLES)
    assert read_label(tree, r"\section{Convolutional Neural Networks}").absolute == "1.1"
    assert read_label(tree, "## 1.2 Recurrent Neural Networks (30 pts)").absolute == "1.2"
    assert read_label(tree, r"\subsection{Part 1}").relative == ("1",)
    assert read_label(tree, r"\noindent\textbf{Q1.1.A Answer}").absolute == "1.1.a"


def test_another_numbering_of_the_same_questions():
    from symgrad.problems import registry

    s = registry.get("hw2-spring2021")
    tree = QuestionTree(s.questions, s.titles, s.given, s.sizes, s.aliases)
    assert read_label(tree, "## 1.2.1 (b)").absolute == "1.2.b"       # Fall 2022's numbering
    assert read_label(tree, "## 1.2 (c)").absolute == "1.2.c"
    assert tree.resolve("1.2.a", ["d"]) == "1.2.d"
