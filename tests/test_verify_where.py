r"""Where-definitions of a quantity's own tensors (verify/where.py): the recursion after
`, \quad \text{where } \delta[3] = g[3], \quad \delta[t] = ... \ (t < 3)` that
GatedRNN.grad(..., given="direct") prints is judged as identities between the series the
quantity computes, and the claim is correct only if the formula and every part hold."""

from __future__ import annotations

import pytest

import symgrad as sg
from symgrad.core.tensor import size
from symgrad.verify import quantity_context
from symgrad.verify.where import read_where

WEIGHTS = ("W_x", "W_c", "W_h")
REST = (r"W_h^{\top} \left(\left(h[t] - W_x x[t+1]\right) \odot c[t+1] \odot \delta[t+1] "
        r"\odot \left(1 - c[t+1]\right)\right)")


def direct(w="W_x", sizes=(3, 4)):
    return sg.GatedRNN(*sizes).grad(w, steps=3, given="direct")


def main_formula(q, form="matrix", base=1) -> str:
    return q.latex(form=form, index_base=base).split(r", \quad \text{where")[0]


def matrix(q, fixed=r"\delta[3] = g[3]", step=r"g[t] + c[t+1] \odot \delta[t+1] + " + REST,
           rng=r"\ (t < 3)") -> str:
    return (main_formula(q) + r", \quad \text{where } " + fixed + r", \quad \delta[t] = "
            + step + " " + rng)


@pytest.mark.parametrize("w", WEIGHTS)
@pytest.mark.parametrize("sizes", [(3, 4), (size("n"), size("m"))], ids=["3x4", "nxm"])
@pytest.mark.parametrize("base", [0, 1])
@pytest.mark.parametrize("form", ["index", "matrix"])
def test_the_printed_recursion_is_correct(w, sizes, base, form):
    q = direct(w, sizes)
    tex = q.latex(form=form, index_base=base)
    assert r"\text{where }" in tex
    v = q.check(tex, index_base=base)
    assert v.verdict == "correct", v.explanation
    # the formula and both definitions were judged, each named
    assert v.explanation.count("part ") == 3
    assert "holds at every step t = 1..2" in v.explanation


def test_the_where_part_is_split_off_at_its_separator():
    q = direct()
    tex = q.latex(form="matrix")
    where = read_where(quantity_context(q), tex)
    assert where is not None and where.own
    assert where.main == main_formula(q)
    assert [i.written for i in where.identities] == [
        r"\delta[3] = g[3]", r"\delta[t] = g[t] + c[t+1] \odot \delta[t+1] + " + REST]
    assert where.identities[1].steps == (1, 2)  # t < 3: steps 1 and 2, 1-based
    assert where.identities[0].steps is None


@pytest.mark.parametrize("base", [0, 1])
@pytest.mark.parametrize("old,new,form", [
    (r"\delta[t] = g[t] + c[t+1]", r"\delta[t] = g[t] - c[t+1]", "matrix"),
    (r"\delta[3] = g[3]", r"\delta[3] = 0", "matrix"),
    (r"\delta[3] = g[3]", r"\delta[2] = g[2]", "matrix"),
    (r"W_h^{\top} \left(", r"W_h \left(", "matrix"),
    (r"= g[t]_{j} + c[t+1]_{j}", r"= g[t]_{j} - c[t+1]_{j}", "index"),
    (r"\left(W_h\right)_{ij}", r"\left(W_h\right)_{ji}", "index"),
    (r"\delta[3]_{j} = g[3]_{j}", r"\delta[3]_{j} = 0", "index"),
    (r"\left(1 - c[t+1]_{i}\right) \left(h[t]_{i}", r"\left(h[t]_{i}", "index"),
], ids=["sign", "zero-last", "wrong-step", "transposed-W", "idx-sign", "idx-transposed",
        "idx-zero-last", "idx-dropped-factor"])
def test_a_mutated_recursion_is_incorrect_and_names_the_part(old, new, form, base):
    q = direct()
    tex = q.latex(form=form, index_base=base)
    wrong = tex.replace(old, new)
    assert wrong != tex
    v = q.check(wrong, index_base=base)
    assert v.verdict == "incorrect", v.explanation
    assert "after `where` does not hold" in v.explanation
    part = v.counterexample["part"]
    assert part in wrong and "=" in part
    assert "left" in v.counterexample and "right" in v.counterexample


@pytest.mark.parametrize("rng,missing", [(r"\ (t < 2)", "2"), (r"\ (t = 1)", "2")])
def test_a_range_that_leaves_a_step_undefined_is_incorrect(rng, missing):
    q = direct()
    v = q.check(matrix(q, rng=rng))
    assert v.verdict == "incorrect", v.explanation
    assert v.counterexample["undefined"] == [rf"\delta[{missing}]"]
    assert f"leaves \\delta[{missing}] undefined" in v.explanation


@pytest.mark.parametrize("rng", [r"\ (t < 4)", r"\ (t > 0)", ""])
def test_a_range_past_the_last_step_is_incorrect(rng):
    q = direct()
    v = q.check(matrix(q, rng=rng))
    assert v.verdict == "incorrect", v.explanation
    assert "past the last step 3" in v.explanation


def test_the_last_step_alone_does_not_define_every_step():
    q = direct()
    v = q.check(main_formula(q) + r", \quad \text{where } \delta[3] = g[3]")
    assert v.verdict == "incorrect"
    assert v.counterexample["undefined"] == [r"\delta[1]", r"\delta[2]"]


@pytest.mark.parametrize("spelling", [
    matrix(direct(), rng=r"\ (t \le 2)"),
    matrix(direct(), rng=r"\ (1 \le t < 3)"),
    matrix(direct(), rng=r"\quad (1 \le t \le 2)"),
    matrix(direct(), rng=r"\text{ for } t = 1, \dots, K-1"),
    matrix(direct(), fixed=r"\delta[K] = g[K]", rng=r"\ (t < K)"),
    matrix(direct(), fixed=r"\delta[3] := g[3]"),
    matrix(direct(), step=r"g[t] + \mathrm{diag}(c[t+1]) \delta[t+1] + " + REST),
    matrix(direct(), step=REST + r" + \delta[t+1] \odot c[t+1] + g[t]"),
    main_formula(direct()) + r" \text{ where } \delta[t] = g[t] + c[t+1] \odot \delta[t+1] + "
    + REST + r" \ (t < 3) \text{ and } \delta[3] = g[3]",
    matrix(direct()) + r", \quad h[t] = c[t] \odot h[t-1] + (1 - c[t]) \odot W_x x[t]",
], ids=["le", "two-sided-lt", "quad-range", "for-dots", "K", "coloneq", "diag", "reordered",
        "step-first", "extra-true-identity"])
def test_equivalent_hand_spellings_are_correct(spelling):
    v = direct().check(spelling)
    assert v.verdict == "correct", v.explanation


def test_a_false_extra_identity_makes_the_claim_incorrect():
    q = direct()
    v = q.check(matrix(q) + r", \quad h[t] = c[t] \odot h[t-1] + c[t] \odot W_x x[t]")
    assert v.verdict == "incorrect"
    assert v.counterexample["part"].startswith("h[t] =")


def test_a_wrong_main_formula_is_incorrect_whatever_the_recursion():
    q = direct()
    wrong = matrix(q).replace(r"\left(1 - c[t]\right)\right) x[t]", r"c[t]\right) x[t]")
    v = q.check(wrong)
    assert v.verdict == "incorrect"
    assert "part 1 (incorrect)" in v.explanation


@pytest.mark.parametrize("text,construct", [
    (matrix(direct(), rng=r"\ (t < )"), "range"),
    (matrix(direct(), step=REST.replace("W_h^", "W_y^")), "unknown name"),
    (matrix(direct(), rng=r"\ (t < 3) \text{ for } t = 1, 2"), "range"),
    (matrix(direct()) + r", \quad \text{and } \sigma", "left side"),
    (matrix(direct(), step=r"g[t] + \left(\frac{\partial h[t+1]}{\partial h[t]}\right)^{\top} "
                           r"\delta[t+1]"), "derivative"),
], ids=["empty-bound", "unknown-weight", "range-twice", "trailing-part",
        "undeclared-jacobian"])
def test_what_is_not_understood_is_refused_with_its_position(text, construct):
    v = direct().check(text)
    assert v.verdict == "unparsed", v.explanation
    assert v.counterexample["construct"] == construct
    assert isinstance(v.counterexample["position"], int)


def test_a_local_name_after_where_is_still_the_readers():
    """`where s = 2` defines a name of the writer's own, read by notation/ as before."""
    q = direct()
    assert read_where(quantity_context(q), main_formula(q) + r", \quad \text{where } s = 2") \
        is None


# chains of one-step Jacobians (verify/quantity.py): d h[t]/d h[t-k] printed as a product
# of d h[t-r]/d h[t-r-1], the first defined after `where`
def chain(kind="gated", k=2):
    if kind == "gated":
        return sg.GatedRNN(3, 4).state_jacobian(steps=k)
    model = sg.Model.from_latex(
        r"c[t] = \sigma(W_c x[t] + W_h h[t-1]) \\ "
        r"h[t] = c[t] \odot h[t-1] + (1 - c[t]) \odot W_x x[t]",
        {"x": "n", "h": "m", "W_c": "m x n", "W_h": "m x m", "W_x": "m x n"})
    return model.jacobian("h[t]", f"h[t-{k}]")


@pytest.mark.parametrize("kind,k", [("gated", 2), ("gated", 3), ("model", 3)])
@pytest.mark.parametrize("base", [0, 1])
@pytest.mark.parametrize("form", ["index", "matrix"])
def test_a_chain_of_one_step_jacobians_is_correct(kind, k, base, form):
    q = chain(kind, k)
    v = q.check(q.latex(form=form, index_base=base), index_base=base)
    assert v.verdict == "correct", v.explanation
    assert "part 2 (correct): the definition" in v.explanation


@pytest.mark.parametrize("old,new,where", [
    (r"c[t]_{i} \delta_{ij} + c[t]_{i} \left(1", r"c[t]_{i} \delta_{ij} - c[t]_{i} \left(1",
     True),
    (r"\left(W_h\right)_{ij}", r"\left(W_h\right)_{ji}", True),
    (r"c[t]_{i} \delta_{ij} + ", "", True),
    (r"\frac{\partial h[t-1]_{p}}{\partial h[t-2]_{j}}",
     r"\frac{\partial h[t-1]_{j}}{\partial h[t-2]_{p}}", False),
    (r"\frac{\partial h[t-1]_{p}}{\partial h[t-2]_{j}}",
     r"\frac{\partial h[t]_{p}}{\partial h[t-1]_{j}}", False),
], ids=["sign", "transposed-W", "no-identity-part", "swapped-factor", "same-step-twice"])
def test_a_mutated_chain_is_incorrect(old, new, where):
    q = chain()
    tex = q.latex()
    wrong = tex.replace(old, new)
    assert wrong != tex
    v = q.check(wrong)
    assert v.verdict == "incorrect", v.explanation
    if where:
        assert v.counterexample["part"].startswith(r"\frac{\partial h[t]_{i}}")
        assert {"i", "j", "t"} <= set(v.counterexample)


def test_a_chain_in_matrix_notation_with_a_wrong_definition_is_incorrect():
    q = chain()
    wrong = q.latex(form="matrix").replace(r"\right) W_h", r"\right) W_h^{\top}")
    v = q.check(wrong)
    assert v.verdict == "incorrect"
    assert "after `where` does not hold" in v.explanation


# a recursion over a step letter of its own (AttentionRNN's total Jacobian): the range
# `(t-2 < \tau \le t)` binds \tau as the step the definitions run over, t is the last step,
# and dh[\tau]/dh[\tau-i] reads the one-step Jacobian at lag i of the step \tau
def total(k=2):
    return sg.AttentionRNN(k, 3).total_jacobian(2)


UPPER = {1: "1", 2: "2", None: r"\tau-1"}
JAC = r"\frac{\partial h[\tau]}{\partial h[\tau-i]}"


@pytest.mark.parametrize("k", [1, 2, None])
@pytest.mark.parametrize("base", [0, 1])
def test_attention_total_jacobian_recursion_is_correct(k, base):
    q = total(k)
    v = q.check(q.latex(index_base=base), index_base=base)
    assert v.verdict == "correct", v.explanation
    # the formula and the three definitions were judged, each over its own steps
    assert v.explanation.count("part ") == 4
    assert r"holds at every step \tau = " in v.explanation


def test_the_step_letter_of_a_range_runs_and_t_stays_the_last_step():
    q = total()
    where = read_where(quantity_context(q), q.latex())
    assert where is not None and where.own
    step, start, before = where.identities
    assert [i.clock for i in where.identities] == [r"\tau"] * 3
    assert [str(b) for b in step.steps] == ["t - 1", "t"]  # t-2 < \tau \le t
    assert start.steps is None and str(start.lhs) == "AtTime(D_total, t - 2)"
    assert before.steps[0] == 1 and str(before.steps[1]) == "t - 3"


@pytest.mark.parametrize("k", [1, 2, None])
@pytest.mark.parametrize("old,new,what", [
    (r"D[t-2] = I", r"D[t-2] = 0", "part"),
    (r"\sum_{i=1}^", r"\sum_{i=2}^", "part"),
    (JAC + r" D[\tau-i]", r"D[\tau-i] " + JAC, "part"),
    (r"(t-2 < \tau \le t)", r"(t-2 \le \tau \le t)", "part"),
    (r"(t-2 < \tau \le t)", r"(t-1 < \tau \le t)", "undefined"),
    (r"(\tau < t-2)", r"(\tau < t-3)", "undefined"),
    (r"D[\tau] = 0", r"D[\tau] = I", "part"),
    (r"= D[t],", r"= D[t-1],", "entry"),
], ids=["start-0", "missing-lag", "transposed-product", "range-from-start",
        "range-short", "zero-range-short", "zero-is-I", "main-step"])
def test_a_mutated_attention_recursion_is_incorrect(k, old, new, what):
    q = total(k)
    tex = q.latex()
    wrong = tex.replace(old, new)
    assert wrong != tex
    v = q.check(wrong)
    assert v.verdict == "incorrect", v.explanation
    assert what in v.counterexample
    if what == "part":
        assert v.counterexample["part"] in wrong


@pytest.mark.parametrize("k,upper", [(2, "1"), (1, "0"), (None, r"\tau-2")])
def test_a_wrong_upper_bound_of_the_lags_is_incorrect(k, upper):
    """A lag left out shows at the shortest sequence (t - 2 = 1), which one instance is."""
    q = total(k)
    wrong = q.latex().replace(rf"\sum_{{i=1}}^{{{UPPER[k]}}}", rf"\sum_{{i=1}}^{{{upper}}}")
    v = q.check(wrong)
    assert v.verdict == "incorrect", v.explanation
    assert v.counterexample["part"].startswith(r"D[\tau] = \sum_{i=1}^{" + upper)


F = r"\frac{\partial h[%s]}{\partial h[%s]}"
LHS = r"\frac{\partial h[t]}{\partial h[t-2]} = "


@pytest.mark.parametrize("k,text", [
    (2, LHS + r"D[t], \quad \text{where } D[s] = \sum_{i=1}^{k} " + F % ("s", "s-i")
     + r" D[s-i] \ (t-2 < s \le t), \ D[t-2] = I, \ D[s] = 0 \ (s < t-2)"),
    (2, LHS + r"D[t], \quad \text{where } D[\tau] = \sum_{i=1}^{k} " + JAC
     + r" D[\tau-i] \ (t-1 \le \tau \le t), \quad D[t-2] = I, \quad D[\tau] = 0 "
       r"\ (1 \le \tau < t-2)"),
    (1, LHS + F % ("t", "t-1") + F % ("t-1", "t-2")),
    (2, LHS + F % ("t", "t-1") + F % ("t-1", "t-2") + " + " + F % ("t", "t-2")),
], ids=["latin-letter", "other-ranges", "product-k1", "paths-k2"])
def test_hand_written_attention_total_jacobians_are_correct(k, text):
    for base in (0, 1):
        v = total(k).check(text, index_base=base)
        assert v.verdict == "correct", v.explanation


@pytest.mark.parametrize("k,text", [
    (1, LHS + F % ("t-1", "t-2") + F % ("t", "t-1")),
    (2, LHS + F % ("t", "t-1") + F % ("t-1", "t-2")),
], ids=["product-reversed", "path-missing"])
def test_hand_written_attention_products_that_are_wrong_are_incorrect(k, text):
    v = total(k).check(text)
    assert v.verdict == "incorrect", v.explanation


@pytest.mark.parametrize("old,new,construct", [
    (r"D[t-2] = I", r"D[t-2] = \foo", "command \\foo"),
    (r"(t-2 < \tau \le t)", r"(t-2 < \tau \le t \le \sigma)", "range"),
    (r"(\tau < t-2)", r"(\tau < t-2) \ D[", "unbalanced bracket"),
], ids=["unknown-command", "two-step-letters", "unclosed"])
def test_an_unreadable_attention_recursion_is_refused_with_its_position(old, new, construct):
    q = total()
    v = q.check(q.latex().replace(old, new))
    assert v.verdict == "unparsed", v.explanation
    assert v.counterexample["construct"] == construct
    assert isinstance(v.counterexample["position"], int)


def test_a_range_empty_on_every_instance_is_not_judged_correct():
    """`(\\tau < t-9)` names no step of the instances: nothing was compared, so the part is
    refused, not judged correct (an empty range on some instances only is no failure)."""
    q = total()
    tex = q.latex() + r", \ D[\tau] = I \ (\tau < t-9)"
    v = q.check(tex)
    assert v.verdict == "unparsed", v.explanation
    assert "names no step" in v.explanation
    assert v.counterexample["construct"] == "range"


@pytest.mark.parametrize("k,steps", [("k", 2), (3, 1), (5, 2), (2, 3), (None, 3)])
def test_attention_total_jacobian_is_correct_when_the_lags_outnumber_the_steps(k, steps):
    """k symbolic or larger than a short sequence: lags i >= tau read the base case h = 0
    (one-step Jacobian 0), not past the end of the series."""
    att = sg.AttentionRNN(size(k) if isinstance(k, str) else k, 2)
    q = att.total_jacobian(steps)
    v = q.check(q.latex())
    assert v.verdict == "correct", v.explanation
