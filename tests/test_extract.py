"""Claims, definitions, restated questions and unplaced sections found in write-ups."""

from pathlib import Path

from symgrad.problems.hw2 import HW2
from symgrad.verify.extract import extract, find_math, split_rows
from symgrad.verify.questions import QuestionTree
from symgrad.verify.writeup import read_writeup

TREE = QuestionTree(HW2.questions)


def found(tmp_path: Path, name: str, text: str, systems=frozenset()):
    p = tmp_path / name
    p.write_text(text)
    return extract(TREE, read_writeup(p), frozenset(systems))


def kinds(items, kind):
    return [(f.question, f.latex) for f in items if f.kind == kind]


def test_find_math_delimiters_and_unbalanced_dollar():
    text = r"a $x=1$ b $$y=2$$ c \[z=3\] \(w=4\) \begin{align*}u&=5\end{align*} $broken" \
           "\n\n$v = 6$"
    assert [m.body for m in find_math(text)] == ["x=1", "y=2", "z=3", "w=4", "u&=5", "v = 6"]


def test_rows_split_outside_environments_and_chains_joined():
    body = r"H_{out} &= \frac{21-4}{4} + 1 \\ &= 5 \\ c[t] &= \begin{cases} 1 & a \\ 0 & b \end{cases}"  # noqa: E501
    rows = split_rows(body)
    assert rows[0] == r"H_{out} = \frac{21-4}{4} + 1 = 5"
    assert rows[1].startswith("c[t] = \\begin{cases} 1 & a \\\\ 0 & b")


def test_markdown_headings_answers_and_restated_question(tmp_path):
    items = found(tmp_path, "a.md", "## 1.1.C.I\nWhat is the dimension of $f_W(x)$?\n\n"
                  "$$f_W(x) \\in R^{42X42X42}$$\n\n## 1.1.C.I Answer\n$$f_W(x) \\in R^{1x3}$$\n\n"
                  "## 1.3.4 Answer\nExample answer format here\n\n$$f_W(x) \\in R^{42X42X42}$$\n")
    assert kinds(items, "claim") == [("1.1.c.i", r"f_W(x) \in R^{1x3}")]
    assert [q for q, _ in kinds(items, "question")] == ["1.1.c.i", "1.1.c.i", "1.3.4"]


def test_enumerate_items_are_parts(tmp_path):
    items = found(tmp_path, "a.tex", "\\section*{1.1}\n\\begin{enumerate}\n\\item $5 \\times 2$ is "
                  "the output: $y = 5 \\times 2$\n\\item[(c)]\n\\begin{enumerate}\n\\item $a = 1$\n"
                  "\\item $b = 2$\n\\end{enumerate}\n\\end{enumerate}\n")
    assert [q for q, _ in kinds(items, "claim")] == ["1.1.a", "1.1.c.i", "1.1.c.ii"]


def test_part_under_heading_and_unplaced_sections(tmp_path):
    items = found(tmp_path, "a.md", "# 1.1.c\nPart (ii)\n\n$$\\frac{\\partial f_W(x)}{\\partial W}"
                  " \\in \\mathbb{R}^{1 \\times 3 \\times 1 \\times 5 \\times 3}$$\n\n# 1.2.2\n"
                  "$a[t] \\in \\mathbb{R}^{3}$\n\n# Appendix\n$h[t] \\in \\mathbb{R}^{m}$\n")
    assert [q for q, _ in kinds(items, "claim")] == ["1.1.c.ii"]
    unplaced = [f for f in items if f.kind == "unplaced"]
    assert [f.latex for f in unplaced] == [r"a[t] \in \mathbb{R}^{3}", r"h[t] \in \mathbb{R}^{m}"]
    assert "no part is named" in unplaced[0].reason and "Appendix" in unplaced[1].reason


def test_definitions_carried_to_later_parts_only(tmp_path):
    items = found(tmp_path, "a.md", "## 1.1.c.i\nGoing forward, let $\\hat{y} = f_W(x)$ and write "
                  "$\\hat{y} \\in \\mathbb{R}^{1 \\times 3}$, where $o_j = 2j - 2$.\n\n## 1.1.c.ii\n"  # noqa: E501
                  "$$\\frac{\\partial \\hat{y}}{\\partial W} \\in R^{5x3x3}$$\n\n## 1.2.1.b\n"
                  "$$\\hat{y} = 1$$\n")
    assert kinds(items, "definition") == [("1.1.c.i", r"\hat{y} = f_W(x)"),
                                          ("1.1.c.i", "o_j := 2j - 2")]
    claims = [f for f in items if f.kind == "claim"]
    assert claims[0].definitions == (r"\hat{y} = f_W(x)",)
    assert claims[1].question == "1.1.c.ii" and claims[1].definitions == (r"\hat{y} = f_W(x)",)
    assert claims[2].question == "1.2.1.b" and claims[2].definitions == ()


def test_shapes_in_prose_get_their_subject(tmp_path):
    items = found(tmp_path, "a.txt", "# 1.2.1.B Answer\nThe dimmension of c[t] is $R^m$\n\n"
                  "# 1.2.2.B Answer\na[t] is $\\in \\mathbb{R}^3$ and a vector $\\in R^{1x3}$.\n\n"
                  "# 1.1.A Answer\nThus our output would be a **cx5x2** here, for a "
                  "$4 \\times 5$ kernel.\n")
    assert kinds(items, "claim") == [("1.2.1.b", "c[t] \\in R^m"),
                                     ("1.2.2.b", "a[t] \\in \\mathbb{R}^3"),
                                     ("1.1.a", "c \\times 5 \\times 2")]


def test_system_answer_is_one_claim(tmp_path):
    items = found(tmp_path, "a.md", "## 1.2.2.c\n$$q_i[t] = Q_i h[t-i]$$\n\n$$w_i[t] = q_i[t]^T "
                  "k_i[t]$$\n\n## 1.2.2.e\n$$a = 1$$\n", systems={"1.2.2.c"})
    assert kinds(items, "claim") == [("1.2.2.c", r"q_i[t] = Q_i h[t-i] \\ w_i[t] = q_i[t]^T k_i[t]"),  # noqa: E501
                                     ("1.2.2.e", "a = 1")]


def test_writer_macros_expanded_for_the_checker_claim_kept_as_written(tmp_path):
    items = found(tmp_path, "a.tex",
                  "\\documentclass{article}\n"
                  "\\newcommand{\\pd}[2]{\\frac{\\partial #1}{\\partial #2}}\n"
                  "\\begin{document}\n\\section*{1.1.c.ii}\n"
                  "\\[ \\pd{f_W(x)}{W} \\in "
                  "\\mathbb{R}^{1 \\times 3 \\times 1 \\times 5 \\times 3} \\]\n"
                  "\\end{document}\n")
    c = next(f for f in items if f.kind == "claim")
    assert c.latex.startswith(r"\pd{f_W(x)}{W}")
    assert c.checked.startswith(r"\frac{\partial f_W(x)}{\partial W}")


def test_bold_restated_questions_place_parts_and_are_not_claims(tmp_path):
    from symgrad.verify.review import Reviewer

    p = tmp_path / "a.md"
    p.write_text("## Recurrent Neural Networks\n\n**b. What is the dimension of $c[t]$?**\n\n"
                 "It is $c[t] \\in \\mathbb{R}^{m}$.\n")
    items = extract(Reviewer().tree, read_writeup(p))
    assert kinds(items, "claim") == [("1.2.1.b", r"c[t] \in \mathbb{R}^{m}")]
    assert ("1.2.1.b", "c[t]") in kinds(items, "question")


def test_side_by_side_statements_split_and_bare_answer_after_label(tmp_path):
    items = found(tmp_path, "a.md", "**(a)** $5 \\times 2$\n\n## 1.1.c.i\n"
                  "$$f_W(x) \\in \\mathbb{R}^{1 \\times 3}, \\qquad f_W(x)[1, j] = 0$$\n")
    assert [x[1] for x in kinds(items, "claim")][-2:] == [r"f_W(x) \in \mathbb{R}^{1 \times 3}",
                                                           "f_W(x)[1, j] = 0"]


def test_definition_after_its_use_in_the_section(tmp_path):
    items = found(tmp_path, "a.md", "## 1.1 (b)\nThe output is $F \\times H_{out} \\times W_{out}$ "
                  "with\n\n$$H_{out} = H + 1$$\n")
    c = next(f for f in items if f.kind == "claim" and "F" in f.latex)
    assert c.definitions == ("H_{out} = H + 1",)


def test_a_set_of_values_is_a_shape_claim(tmp_path):
    items = found(tmp_path, "a.md", "## 1.2.1.b\n\n$c[t] \\in (0,1)^m$ and "
                  "$h[t] \\in [-1, 1]^{m}$\n")
    assert kinds(items, "claim") == [("1.2.1.b", r"c[t] \in (0,1)^m"),
                                     ("1.2.1.b", r"h[t] \in [-1, 1]^{m}")]
