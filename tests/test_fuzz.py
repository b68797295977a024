"""Fuzzing the checker: homework-style LaTeX from a small grammar, plus random mutations.

Every call must end in bounded time with a Verdict or a SymgradError, never another
exception.
"""

import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symgrad as sg

ATOMS = ["x[c, 2j + k - 2]", r"W_{1,c,k}", r"\hat{y}_{1,j}", "c[t]_i", r"(W_x)_{ij}",
         r"h[t-1]_j", r"\delta_{ij}", "x[t]_k", "a_1[t]", "V_1", "Q_1^T K_1", "1", "2",
         "n", "m", "K", "S", "P", "D", r"\sigma(z_i)", r"(1 - c[t])_i", "10^{99}",
         r"\frac{\partial \ell}{\partial W_x}", "h[t]"]
OPS = [" + ", " - ", " ", r" \odot ", r" \cdot ", " \\times "]
WRAP = [r"\sum_{{k=1}}^{{3}} {}", r"\left({}\right)", r"\mathrm{{diag}}({})", r"\sigma({})",
        r"\lfloor \frac{{{}}}{{S}} \rfloor", r"\begin{{cases}} {} & i = j \\ 0 & "
        r"\text{{else}} \end{{cases}}", "{}^T", r"\exp({})", "{}^{{10^{{10}}}}"]
HEADS = [r"f_W(x)[1, j] = ", r"\frac{\partial \hat{y}_{1,j}}{\partial x_{c,l}} = ",
         r"\frac{\partial h[t]_i}{\partial h[t-1]_j} = ",
         r"\frac{\partial h[t]}{\partial h[t-1]} = ", r"\frac{\partial \ell}{\partial W_x} = ",
         r"f_W(x) \in \mathbb{R}^{", "", r"\frac{\partial h[t]}{\partial W_x} \in R^{"]
QUESTIONS = ["1.1.b", "1.1.c.i", "1.1.c.iii", "1.2.1.c", "1.2.2.e"]


@st.composite
def expressions(draw, depth=3):
    if depth == 0 or draw(st.booleans()):
        return draw(st.sampled_from(ATOMS))
    if draw(st.booleans()):
        return draw(st.sampled_from(WRAP)).format(draw(expressions(depth=depth - 1)))
    return draw(expressions(depth=depth - 1)) + draw(st.sampled_from(OPS)) + \
        draw(expressions(depth=depth - 1))


@st.composite
def claims(draw):
    text = draw(st.sampled_from(HEADS)) + draw(expressions())
    if text.count("{") > text.count("}"):
        text += "}"
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["delete", "swap", "insert", "big"]))
        if not text:
            break
        pos = draw(st.integers(0, len(text) - 1))
        if kind == "delete":
            text = text[:pos] + text[pos + 1:]
        elif kind == "swap" and pos + 1 < len(text):
            text = text[:pos] + text[pos + 1] + text[pos] + text[pos + 2:]
        elif kind == "insert":
            text = text[:pos] + draw(st.sampled_from(list("{}[]()_^\\&=,"))) + text[pos:]
        else:
            text = text[:pos] + "9" * draw(st.integers(20, 400)) + text[pos:]
    return text


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(qid=st.sampled_from(QUESTIONS), text=claims())
def test_checker_survives_fuzzed_claims(qid, text):
    start = time.perf_counter()
    try:
        verdict = sg.check(qid, text)
    except sg.SymgradError as e:
        assert str(e) and "\n" not in str(e).strip()
    else:
        assert verdict.verdict in {"correct", "incorrect", "layout", "unparsed"}
    assert time.perf_counter() - start < 15
