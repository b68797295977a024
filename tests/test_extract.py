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


# ---------------------------------------------------------------- real write-ups' forms
FULL = QuestionTree(HW2.questions, HW2.titles, HW2.given, HW2.sizes)


def placed(tmp_path: Path, name: str, text: str):
    p = tmp_path / name
    p.write_text(text)
    return extract(FULL, read_writeup(p))


def test_problem_letter_headings_place_their_claims(tmp_path):
    # aditeya.md's numbering: # Problem 1.1, ## Problem c, ### Problem i, ## Problem 1.2.1 Part 1
    items = placed(tmp_path, "a.md", "# Problem 1.1: Convolutional Neural Networks\n\n"
                   "## Problem a\n\n$$5 \\times 2$$\n\n## Problem c\n\n### Problem ii\n\n"
                   "$$\\frac{\\partial f_W(x)}{\\partial W} \\in \\mathbb{R}^{1 \\times 3 \\times 1"
                   " \\times 5 \\times 3}$$\n\n# Problem 1.2\n\n## Problem 1.2.1 Part 1\n\n"
                   "### Problem b\n\nSo $c[t] \\in \\mathbb{R}^m$.\n\n# Problem 1.3: Debugging\n\n"
                   "## Problem 1\n\ntext\n\n## Problem 2\n\n$$\\log 4 = 1.386$$\n")
    assert [q for q, _ in kinds(items, "claim")] == ["1.1.a", "1.1.c.ii", "1.2.1.b", "1.3.2"]


def test_answer_to_headings_of_a_notebook_export(tmp_path):
    items = placed(tmp_path, "n.md", "## 1.1\n\n### Answer to (a)\n\n$$5 \\times 2$$\n\n"
                   "### 0.1 Answer to (b)\n\nThe output is $F \\times H' \\times W'$.\n")
    assert [q for q, _ in kinds(items, "claim")] == ["1.1.a", "1.1.b"]


def test_boxed_and_underbrace_are_read_as_their_content(tmp_path):
    items = placed(tmp_path, "b.md", "## 1.1.a\n\n$$\\boxed{5 \\times 2}$$\n\n## 1.2.1.d\n\n"
                   "$$\\frac{\\partial h[t]}{\\partial h[t-1]} = \\underbrace{\\operatorname{diag}"
                   "(c[t])}_{\\text{direct path}} + W_h$$\n")
    assert kinds(items, "claim") == [
        ("1.1.a", r"5 \times 2"),
        ("1.2.1.d", r"\frac{\partial h[t]}{\partial h[t-1]} = \operatorname{diag}(c[t]) + W_h")]


def test_copies_of_the_questions_data_are_restated_not_judged(tmp_path):
    items = placed(tmp_path, "r.md", "## 1.1.a\n\nWe are given an input of size $21 \\times 12$"
                   ", a kernel of size $4 \\times 5$, stride $S = 4$.\n\n"
                   "The output is $5 \\times 2$.\n\n## 1.2.1.b\n\nRecall $$c[t] = \\sigma(W_c x[t]"
                   " + W_h h[t - 1])$$ with $W_c \\in \\mathbb{R}^{m \\times n}$.\n")
    assert [r for _, r in kinds(items, "question")] == [
        r"21 \times 12", r"4 \times 5", "S = 4", r"c[t] = \sigma(W_c x[t] + W_h h[t - 1])",
        r"W_c \in \mathbb{R}^{m \times n}"]
    assert kinds(items, "claim") == [("1.1.a", r"5 \times 2")]


def test_an_output_that_copies_the_input_is_still_judged(tmp_path):
    # a wrong answer equal to the question's data is an answer, not a restatement
    items = placed(tmp_path, "w.md", "## 1.1.b\n\nThe output is $C \\times H \\times W$.\n")
    assert kinds(items, "claim") == [("1.1.b", r"C \times H \times W")]


def test_a_shape_after_has_dimensions_is_the_shape_of_the_name_before(tmp_path):
    items = placed(tmp_path, "d.md", "## 1.1.c.ii\n\n- $f_W(x)$ has dimensions: $1 \\times 3$,"
                   " with indices $[1, i]$\n")
    assert kinds(items, "claim") == [("1.1.c.ii", r"f_W(x) \in \mathbb{R}^{1 \times 3}")]


def test_sizes_named_in_prose_are_definitions_of_the_questions_values(tmp_path):
    items = placed(tmp_path, "s.md", "## 1.1.a\n\nLet $H_{\\text{in}}, W_{\\text{in}}$ denote the"
                   " height and width of the input image, $K_h, K_w$ denote the height and "
                   "width of the kernel, $S$ the stride.\n\n$$H_{out} = \\left\\lfloor \\frac{"
                   "H_{\\text{in}} - K_h}{S} \\right\\rfloor + 1$$\n\n## 1.1.c.i\n\n"
                   "where $L_{in}$ is the input sequence length and $K$ is the kernel size.\n")
    assert [d for _, d in kinds(items, "definition")] == [
        r"H_{\text{in}} := 21", r"W_{\text{in}} := 12", "K_h := 4", "K_w := 5", "S := 4",
        "L_{in} := 7", "K := 3"]
    (claim,) = [f for f in items if f.kind == "claim"]
    assert {r"H_{\text{in}} := 21", "K_h := 4", "S := 4"} <= set(claim.definitions)


def test_a_name_the_writer_makes_up_is_a_definition_for_later_claims(tmp_path):
    items = placed(tmp_path, "k.md", "## 1.1.b\n\n$$K_{\\text{eff}} = K + (K - 1)(D - 1) = "
                   "D(K - 1) + 1$$\n\n$$H_{out} = \\left\\lfloor \\frac{H - K_{\\text{eff}} + 2P}"
                   "{S} \\right\\rfloor + 1$$\n")
    claims = [f for f in items if f.kind == "claim"]
    assert claims[0].latex == r"K_{\text{eff}} = K + (K - 1)(D - 1) = D(K - 1) + 1"
    assert claims[1].definitions == (r"K_{\text{eff}} := K + (K - 1)(D - 1)",)
    assert "(K + (K - 1)(D - 1))" in claims[1].checked


def test_a_named_size_is_read_as_its_value_not_as_an_entry(tmp_path):
    # W_{in} is the input width 12 here, never entry (i, n) of the filters W
    items = placed(tmp_path, "w.md", "## 1.1.a\n\nLet $W_{\\text{in}}$ denote the width of the "
                   "input image and $K_w$ the width of the kernel.\n\n$$W_{out} = \\left\\lfloor"
                   " \\frac{W_{\\text{in}} - K_w}{4} \\right\\rfloor + 1$$\n")
    (claim,) = [f for f in items if f.kind == "claim"]
    assert claim.checked == r"W_{out} = \left\lfloor \frac{(12) - (5)}{4} \right\rfloor + 1"


def test_a_formula_too_long_to_read_is_listed_not_dropped(tmp_path):
    items = placed(tmp_path, "l.md", "## 1.1.a\n\n$$" + "{" * 30000 + "x" + "}" * 30000 + "$$\n")
    (f,) = items
    assert f.kind == "refused" and "characters" in f.reason


def test_a_chain_about_a_derivative_is_judged_step_by_step(tmp_path):
    items = placed(tmp_path, "c.tex", "\\subsection*{1.2.2.e}\n\\begin{align*}\n"
                   "\\frac{\\partial h[t]}{\\partial h[t-1]} &= A \\\\\n &= B + C \\\\\n &+ D\n"
                   "\\end{align*}\n")
    assert [c for _, c in kinds(items, "claim")] == [
        r"\frac{\partial h[t]}{\partial h[t-1]} = A",
        r"\frac{\partial h[t]}{\partial h[t-1]} = B + C + D"]


def test_invisible_characters_and_bold_labels_before_the_question_restated(tmp_path):
    items = placed(tmp_path, "z.md", "## 1.1 Convolutional Neural Networks\n\n**c) For this "
                   "section, we are going to work with 1-dimensional convolutions.**\n\n"
                   "\u200b\t(i) \n\n\u200b\t\tOutput dimension: $f_W(x) \\in \\mathbb{R}^{1 "
                   "\\times 3}$.\n")
    assert kinds(items, "claim") == [("1.1.c.i", r"f_W(x) \in \mathbb{R}^{1 \times 3}")]


def test_a_count_is_not_a_name_in_prose(tmp_path):
    # "the output will have $F$ channels": F counts channels, it does not denote them
    items = placed(tmp_path, "f.md", "## 1.1.b\n\nIf $F$ filters are applied then the output "
                   "will have $F$ channels, then $C_{out} = F$.\n")
    assert kinds(items, "definition") == []


def test_a_shape_written_with_equals_and_sizes_written_by_their_role(tmp_path):
    items = placed(tmp_path, "s.md", "## 1.1.c.iii\n\n$$\\frac{\\partial f_W(x)}{\\partial x} = "
                   "1 \\times 3 \\times 5 \\times 7$$\n\n## 1.1.a\n\n$$H_{out} = \\left\\lfloor"
                   "\\frac{H_{in}-K[0]}{S[0]}+1\\right\\rfloor$$\n")
    claims = [f for f in items if f.kind == "claim"]
    assert claims[0].latex == (r"\frac{\partial f_W(x)}{\partial x} \in \mathbb{R}^{1 \times 3 "
                               r"\times 5 \times 7}")
    assert claims[1].checked == r"H_{out} = \left\lfloor\frac{(21)-(4)}{(4)}+1\right\rfloor"


def test_an_answer_after_a_bold_question_on_its_line_is_judged(tmp_path):
    items = placed(tmp_path, "b.md", "## 1.2.1\n\n**b. What is the dimension of $c[t]$?** "
                   "$c[t] \\in \\mathbb{R}^m$.\n")
    assert kinds(items, "claim") == [("1.2.1.b", r"c[t] \in \mathbb{R}^m")]


def test_sizes_named_after_the_claim_that_uses_them_are_read_as_their_values(tmp_path):
    items = placed(tmp_path, "o.md", "## 1.1.b\n\nThus, the output dimension is,\n\n$$\\boxed{F"
                   " \\times H_{\\text{out}} \\times W_{\\text{out}}}$$\n\nwhere\n\n"
                   "$$H_{\\text{out}} = A + 1, \\quad W_{\\text{out}} = B + 1$$\n")
    claims = [f for f in items if f.kind == "claim"]
    assert claims[0].checked == r"F \times (A + 1) \times (B + 1)"
    assert claims[1].checked == r"H_{\text{out}} = A + 1"      # its own name is kept


def test_a_systems_tensor_shapes_are_definitions_and_copied_data_is_restated(tmp_path):
    p = tmp_path / "y.md"
    p.write_text("## 1.2.2.d\n\n$$\\begin{aligned} h[t] &= \\sum_{i=0}^{t-1} a_i[t] v_i[t] "
                 "\\\\ x[t], h[t] &\\in \\mathbb{R}^n \\\\ Q_h, K_h &\\in \\mathbb{R}^{n "
                 "\\times n} \\end{aligned}$$\n")
    items = extract(FULL, read_writeup(p), frozenset({"1.2.2.c", "1.2.2.d"}))
    assert kinds(items, "question") == [("1.2.2.d", r"x[t], h[t] \in \mathbb{R}^n")]
    assert kinds(items, "definition") == [("1.2.2.d", r"Q_h, K_h \in \mathbb{R}^{n \times n}")]


def test_an_example_with_other_values_is_not_judged(tmp_path):
    items = placed(tmp_path, "e.md", "## 1.1.a\n\nFor example, let $H_{in}=5$, $S=2$ and $K=2$, "
                   "then we got $H_{out}=2.5$, that makes no sense.\n\nThe output is $5 \\times "
                   "2$.\n")
    assert kinds(items, "claim") == [("1.1.a", r"5 \times 2")]
    assert ("1.1.a", "H_{out}=2.5") in kinds(items, "skipped")


def test_ranges_after_a_formula_are_shown_not_judged(tmp_path):
    text = ("## 1.1.c.i\n$$f_W(x)[1, j] = \\sum_{c=1}^{5} \\sum_{k=1}^{3} W[1, c, k] "
            "x[c, 2j + k - 2], \\;\\; j=1, 2, 3 \\;\\; k=1, 2, 3.$$\n")
    items = found(tmp_path, "r.md", text)
    assert [f.kind for f in items] == ["claim", "skipped"]
    assert "the ranges of the indices" in items[1].reason


def test_a_primed_kernel_size_is_the_writers_own_name(tmp_path):
    # K' = K + (K-1)(D-1) = D(K-1) + 1: one identity (it holds: 3 + 2*1 = 2*2 + 1 for K=3,
    # D=2), and K' is defined for the claims after it
    assert 3 + (3 - 1) * (2 - 1) == 2 * (3 - 1) + 1
    items = found(tmp_path, "k.md", "## 1.1.b\n$$K' = K+(K - 1)(D - 1) = D(K-1)+1$$\n")
    assert kinds(items, "claim") == [("1.1.b", "K' = K+(K - 1)(D - 1) = D(K-1)+1")]


def test_a_solution_after_the_statement_is_the_answer(tmp_path):
    # xiangpan's structure: the parts stated as items, then \textbf{Solution:} and a heading
    # per part: what comes after the answer label is the answer, not the question again
    text = ("\\subsection{Convolutional Neural Networks}\n\\begin{enumerate}\n\\item (2 pts) "
            "What is the output dimension for an input of size $21 \\times 12$?\n\\item (3 pts)"
            " What is the output shape?\n\\end{enumerate}\n\n\\textbf{Solution:}\n\n"
            "\\subsection*{(a)}\n$$5 \\times 2$$\n\\subsection*{(b)}\nThe output is "
            "$F \\times H' \\times W'$.\n")
    items = placed(tmp_path, "s.tex", text)
    assert kinds(items, "claim") == [("1.1.a", r"5 \times 2"),
                                     ("1.1.b", r"F \times H' \times W'")]
    assert kinds(items, "question") == [("1.1.a", r"21 \times 12")]


def test_a_shape_the_same_as_another_is_the_shape_of_its_subject(tmp_path):
    items = placed(tmp_path, "d.md", "## 1.1.c.iii\n\nThe dimension of $\\frac{\\partial \\ell}"
                   "{\\partial W}$ is the same as the dimension of $W$, which is "
                   "$\\mathbb{R}^{1 \\times 5 \\times 3}$.\n")
    assert kinds(items, "claim") == [
        ("1.1.c.iii", r"\frac{\partial \ell}{\partial W} \in \mathbb{R}^{1 \times 5 \times 3}")]


def test_a_shape_with_no_subject_is_shown_not_judged(tmp_path):
    items = placed(tmp_path, "n.md", "## 1.1.c.iii\n\nWe get\n\n$$\\mathbb{R}^{1 \\times 5 "
                   "\\times 3}$$\n")
    refused = [f for f in items if f.kind == "refused"]
    assert [f.latex for f in refused] == [r"\mathbb{R}^{1 \times 5 \times 3}"]
    assert "no subject" in refused[0].reason and "\\in" in refused[0].reason


def test_names_the_writer_declares_and_defines_are_definitions(tmp_path):
    # gcalbertini's 1.1.b: sizes declared in prose, then named sums of them
    items = placed(tmp_path, "g.tex", "\\section*{1.1}\n\\begin{enumerate}\n\\item a\n\\item "
                   "Given an input of dimension $C \\times H \\times W$ what\n\n"
                   "Define Padding along height on top $P_{H1}$\\\\\n\n"
                   "Define Stride vertical $S_{H}$\\\\\n\n"
                   "\\begin{flalign*} H_P & = P_{H1} + P_{H2} + H \\\\ f_{ij} & = 1 \\end{flalign*}"
                   "\n\\end{enumerate}\n")
    assert kinds(items, "definition") == [("1.1.b", r"P_{H1} \in \mathbb{R}"),
                                          ("1.1.b", r"S_{H} \in \mathbb{R}"),
                                          ("1.1.b", "H_P = P_{H1} + P_{H2} + H")]
    assert kinds(items, "claim") == [("1.1.b", "f_{ij} = 1")]  # an entry, not a name


def test_a_shape_after_a_text_row_that_announces_the_output_is_the_answer(tmp_path):
    items = placed(tmp_path, "o.tex", "\\section*{1.1}\n\\subsection*{(b)}\n"
                   "\\begin{flalign*} & \\text{Thus the output dimension is: } \\\\ F \\times & "
                   "\\left(H - K + 1\\right) \\\\ \\times & \\left(W - K + 1\\right)"
                   "\\end{flalign*}\n")
    assert kinds(items, "claim") == [
        ("1.1.b", r"F \times \left(H - K + 1\right) \times \left(W - K + 1\right)")]


def test_a_worked_answer_with_pytorchs_names_and_a_plain_text_shape(tmp_path):
    # xiangpan's 1.1.a (a 21 x 12 input, a 4 x 5 kernel, stride 4 in this set): the sizes
    # listed in one inline formula, PyTorch's formula with its names, letters for the
    # question's numbers, and the answer as plain text on a line of its own
    items = placed(tmp_path, "p.tex", "\\section*{1.1}\n\\subsection*{(a)}\n$\nH_{in} = 21\\\\\n"
                   "stride = 4\n$\n\n\\begin{equation} H_{\\text {out }}=\\left\\lfloor\\frac{"
                   "H_{\\text {in }}+2 \\times \\text { padding }[0]-\\text { dilation }[0] \\times"
                   "\\left(\\text { kernel }_{\\text {size }}[0]-1\\right)-1}{\\text { stride }[0]}"
                   "+1\\right\\rfloor \\end{equation}\n\n"
                   "$W_{out} = (W_{in} - 5 + 2P)/S + 1 = 2$\n\n5 x 2\n")
    assert kinds(items, "definition") == [("1.1.a", "H_{in} = 21")]
    assert kinds(items, "question") == [("1.1.a", "stride = 4")]
    claims = [f for f in items if f.kind == "claim"]
    assert [f.latex for f in claims][-1] == "5 x 2"
    assert claims[-1].checked == r"5 \times 2"
    # PyTorch's names and the letters read as the question's values
    assert "(0)" in claims[0].checked and "(4)" in claims[0].checked
    assert "(12)" in claims[1].checked and "(4)" in claims[1].checked


def test_channels_out_named_sizes_of_a_chain_and_a_hypothesis(tmp_path):
    items = placed(tmp_path, "c.tex", "\\section*{1.1}\n\\subsection*{(b)}\n\\begin{align} "
                   "H_{out} &= \\left\\lfloor \\frac{H + 2P - K}{S} \\right\\rfloor + 1 \\\\ &= "
                   "\\lfloor \\frac{H+2P-K}{2} \\rfloor + 1 \\end{align}\n\nOutput dimension is\n"
                   "$$C_{\\text {out }} \\times H_{out} \\times W$$\nIf $C_{out} = C_{in}$, then "
                   "the output dimension is $$C \\times H_{out} \\times W$$\n")
    assert ("1.1.b", "C_{out} = C_{in}") in kinds(items, "skipped")
    answer = [f for f in items if f.kind == "claim" and "times" in f.latex]
    assert "(F)" in answer[0].checked and r"\left\lfloor \frac{H + 2P - K}{S}" in answer[0].checked
    assert answer[1].checked.startswith("C \\times")


def test_an_unlabelled_item_is_placed_by_what_it_asks_and_says_so(tmp_path):
    # a write-up of the year before, whose third item asks what this year's fourth part
    # asks (a part was added): placed by content, with a note; by count otherwise
    from symgrad.problems.registry import get

    fall = QuestionTree.of(get("hw2-fall2024"))
    p = tmp_path / "f.tex"
    p.write_text("\\subsection*{Problem 1.2.1: Recurrent Neural Networks}\n\\begin{enumerate}\n"
                 "\\item Draw a diagram for this RNN.\n\\item What is the dimension of $c[t]$?\n\n"
                 "$c[t] \\in \\mathbb{R}^m$\n\\item Suppose that we run the RNN to get a sequence"
                 " of $h[t]$ for t from 1 to K. Assuming we know the derivative $\\frac{\\partial"
                 " \\ell}{\\partial h[t]}$, provide the dimension of and an expression for values "
                 "of $\\frac{\\partial \\ell}{\\partial W_x}$. What are the similarities between "
                 "the backward and forward pass of this RNN?\n\n$$\\frac{\\partial \\ell}{\\partial"
                 " W_x} = \\sum_{t=1}^{K} \\frac{\\partial \\ell}{\\partial h[t]} \\frac{\\partial "
                 "h[t]}{\\partial W_x}$$\n\\end{enumerate}\n")
    items = extract(fall, read_writeup(p))
    claims = [f for f in items if f.kind == "claim"]
    assert [f.question for f in claims] == ["1.2.1.d"]
    assert "placed by content" in claims[0].reason
    # by count when the item asks what its position asks
    assert [f.question for f in items if "c[t]" in f.latex] == ["1.2.1.b", "1.2.1.b"]


def test_a_bare_shape_where_no_question_is_named_is_listed_not_dropped(tmp_path):
    items = placed(tmp_path, "n.md", "### 1. (a)\n$$5 \\times 2$$\n### 3. (b)\n"
                   "$$c[t] \\in \\mathbb{R}^m$$\n")
    unplaced = [f for f in items if f.kind == "unplaced"]
    assert [f.latex for f in unplaced] == [r"5 \times 2", r"c[t] \in \mathbb{R}^m"]
    assert "'1. (a)' names no question" in unplaced[0].reason


def test_letter_items_items_with_numbers_and_answers_that_name_no_part(tmp_path):
    items = placed(tmp_path, "l.md", "## 1.1 Convolutional Neural Networks\n\na. The output is "
                   "$5 \\times 2$.\n\nb. $F \\times H \\times W$\n\nc.\n   i. $f_W(x) \\in "
                   "\\mathbb{R}^{1 \\times 3}$\n")
    assert [q for q, _ in kinds(items, "claim")] == ["1.1.a", "1.1.b", "1.1.c.i"]
    items = placed(tmp_path, "n.tex", "\\begin{enumerate}\n\\item[1.1]\n\\begin{enumerate}\n"
                   "\\item[(b)] $F \\times H \\times W$\n\\end{enumerate}\n\\item[1.2.1]\n"
                   "\\begin{enumerate}\n\\item[(b)] $c[t] \\in \\mathbb{R}^m$\n\\end{enumerate}\n"
                   "\\end{enumerate}\n")
    assert [q for q, _ in kinds(items, "claim")] == ["1.1.b", "1.2.1.b"]
    # "(a) Answer:" under "# Part 1" names no part: not placed, never "restated"
    items = placed(tmp_path, "p.md", "# Part 1\n\n**(a)** Answer: $5 \\times 2$\n")
    assert [f.kind for f in items] == ["unplaced"]


def test_an_inline_size_of_another_thing_is_not_the_answer(tmp_path):
    # tongshanyin's 1.1.b: the input's size and the padded size on the way to the output
    items = placed(tmp_path, "t.tex", "\\section*{1.1}\n\\subsection*{(b)}\nFor a single image"
                   " in input, it is size $H\\times W$. Use padding $P$, the size becomes "
                   "$(H+2P)\\times(W+2P)$. So the output dimension is $F \\times H' \\times W'$."
                   "\n\nDimension of $\\frac{\\partial f_W(x)}{\\partial W}$: $1 \\times 2 \\times"
                   " 3,$\n")
    # the shape after "Dimension of X:" is a claim (its subject found from the prose)
    assert [x for _, x in kinds(items, "claim")] == [r"F \times H' \times W'",
                                                     r"1 \times 2 \times 3"]


def test_a_chain_of_spaces_says_the_last(tmp_path):
    items = placed(tmp_path, "c.tex", "\\subsection*{1.2.1 (b)}\n\\begin{align}\n    c[t] &\\in "
                   "(\\mathbb{R}^{(m \\times n)(n)} +\\mathbb{R}^{(m \\times m)(m)})\\\\\n"
                   "    &\\in \\mathbb{R}^{m}\n\\end{align}\n")
    assert kinds(items, "claim") == [("1.2.1.b", r"c[t] \in \mathbb{R}^{m}")]


def test_a_shape_whose_subject_is_it_is_the_questions_quantity_and_says_so(tmp_path):
    # yerephy's 1.1.c.ii/iii: "This tensor have dimensions $R^{..}$", "It has dimension ..."
    items = placed(tmp_path, "y.md", "## 1.1.c.ii\n$$\\frac{\\partial f}{\\partial W}[i, j] = "
                   "x[c, 2j + k]$$\n\nThis tensor have dimensions $\\mathbb{R}^{3 \\times 5 "
                   "\\times 3}$ or $\\mathbb{R}^{1 \\times 3 \\times 5 \\times 3}$ if we count i."
                   "\n\n## 1.1.c.iii\nIt has dimension $\\mathbb{R}^{1 \\times 3 \\times 5 \\times"
                   " 7}$ .\n")
    claims = [f for f in items if f.kind == "claim" and f.latex.startswith("\\mathbb")]
    assert [(f.question, f.latex) for f in claims] == [
        ("1.1.c.ii", r"\mathbb{R}^{3 \times 5 \times 3}"),
        ("1.1.c.iii", r"\mathbb{R}^{1 \times 3 \times 5 \times 7}")]
    assert all("read as the dimension of the quantity" in f.reason for f in claims)
    # the second shape of the sentence has no subject of its own: not judged, listed
    assert [f.latex for f in items if f.kind == "refused"] == [
        r"\mathbb{R}^{1 \times 3 \times 5 \times 3}"]


def test_a_space_right_after_the_formula_it_is_about(tmp_path):
    # blueblazin's "Dimension of $\frac{\partial f_W(x)}{\partial W}$ $\in \R^{...},$"
    items = placed(tmp_path, "b.md", "## 1.1.c.ii\nDimension of $\\frac{\\partial f_W(x)}"
                   "{\\partial W}$ $\\in \\mathbb{R}^{1 \\times 3 \\times 1 \\times 5 "
                   "\\times 3},$\n")
    assert kinds(items, "claim") == [("1.1.c.ii", r"\frac{\partial f_W(x)}{\partial W} \in "
                                      r"\mathbb{R}^{1 \times 3 \times 1 \times 5 \times 3}")]


def test_an_index_set_to_another_or_to_a_number_is_a_relation_not_a_claim(tmp_path):
    items = found(tmp_path, "k.md", "## 1.2.1.c\nonly the term $k = j$ survives, and for "
                  "$i = 0$ the sum is empty.\n")
    assert [(f.kind, f.latex) for f in items] == [("skipped", "k = j"), ("skipped", "i = 0")]


def test_per_axis_sizes_taken_equal_are_an_assumption_shown_not_judged(tmp_path):
    items = placed(tmp_path, "a.tex", "\\section*{1.1}\n\\subsection*{(b)}\n\\begin{flalign*} "
                   "S & = S_W = S_H \\\\ K & = K_H \\end{flalign*}\n")
    assert kinds(items, "definition") == [("1.1.b", "S = S_W = S_H"), ("1.1.b", "K = K_H")]
    assert kinds(items, "claim") == []
