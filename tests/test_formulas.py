"""The formulas of a text and their rows (symgrad/verify/formulas.py)."""

from symgrad.verify.formulas import MAX_MATH, find_math, split_rows, split_statements


def test_a_formula_longer_than_the_limit_is_found_and_marked():
    long = "x + " * (MAX_MATH // 4 + 10)
    (m,) = find_math(f"text $${long}$$ more")
    assert m.too_long and m.display


def test_statements_side_by_side_split_only_when_each_states_something():
    assert split_statements(r"f \in \mathbb{R}^{3}, \quad f[j] = 1") == [
        r"f \in \mathbb{R}^{3}", "f[j] = 1"]
    assert split_statements(r"q_0[t], q_1[t] = a, b") == [r"q_0[t], q_1[t] = a, b"]


def test_an_arrow_splits_statements_and_is_no_right_delimiter():
    row = r"&H_{in}=5, S[0]=2, D[0]=1. \rightarrow H_{out}=2."
    assert split_rows(row) == ["H_{in}=5", "S[0]=2", "D[0]=1", "H_{out}=2"]
    assert split_rows(r"y = \left( a \right), z = 1") == [r"y = \left( a \right)", "z = 1"]


def test_the_ranges_written_after_a_formula_are_split_off():
    row = (r"f[i, j] = \sum_{c=0}^{1} x[c, 2j+k] W[i, c, k], \;\;\;\; i=0 \;\; j=0, 1 "
           r"\;\; c^{\prime}=0, 1 \;\; k=0, 1, 2.")
    head, ranges = split_rows(row)
    assert head == r"f[i, j] = \sum_{c=0}^{1} x[c, 2j+k] W[i, c, k]"
    assert ranges.startswith("i=0") and ranges.endswith("k=0, 1, 2")
    # a letter the formula does not use is not a range of its indices
    assert split_rows(r"H_{out} = 2, \quad k = 3") == ["H_{out} = 2", "k = 3"]


def test_if_else_zero_in_words_is_an_iverson_bracket():
    row = r"\frac{\partial f}{\partial W}[i, j, i', k'] = x[2j+k'], \;\;\text{if}\;\; i=i' \;\text{else}\; 0."  # noqa: E501
    assert split_rows(row) == [r"\frac{\partial f}{\partial W}[i, j, i', k'] = [i=i'] (x[2j+k'])"]
    assert split_rows(r"y[i] = x[i] \text{ if } i \le 3, \text{ otherwise } 0") == \
        [r"y[i] = [i \le 3] (x[i])"]
    # a condition that is not a relation stays words
    assert split_rows(r"y = a, \text{if } b") == [r"y = a, \text{if } b"]


def test_a_row_that_starts_with_left_is_its_own_row():
    # \left( starts with the letters of \le: it is no continuation of the row before
    assert split_rows(r"A = 1 \\ \left( B \right)[1, c] = 2") == [
        "A = 1", r"\left( B \right)[1, c] = 2"]
    assert split_rows(r"A = 1 \\ \le 2") == [r"A = 1 \le 2"]
