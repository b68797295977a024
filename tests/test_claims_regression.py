"""The red team's student-style claims on hw2 (202 in round 1, 140 in round 2; every
question with a checker context, about half of them wrong) with the verdict each should get:
a regression test of the verdict engine and of the LaTeX reader in front of it.

The claims are data, in tests/data/regression_claims.json (its "fields" say what each means)."""

import json
from pathlib import Path

import pytest

import symgrad as sg

DATA = json.loads((Path(__file__).parent / "data" / "regression_claims.json").read_text())
CLAIMS = DATA["cases"]
FIELDS = {"number", "round", "question", "index_base", "expected", "latex", "why"}


def _param(case):
    xfail = case.get("xfail")
    marks = [pytest.mark.xfail(reason=xfail["reason"], strict=xfail["strict"])] if xfail else []
    return pytest.param(case, id=f"{case['number']}-{case['question']}", marks=marks)


@pytest.mark.parametrize("case", [_param(c) for c in CLAIMS])
def test_claim(case):
    v = sg.check(case["question"], case["latex"], index_base=case["index_base"])
    assert v.verdict == case["expected"], f"{case['why']}\n{v.format()}"
    assert v.explanation


def test_the_data_is_whole():
    assert len(CLAIMS) == 342 and [c["number"] for c in CLAIMS] == list(range(342))
    assert all(FIELDS <= set(c) <= FIELDS | {"xfail"} for c in CLAIMS)
    assert {c["expected"] for c in CLAIMS} == {"correct", "incorrect", "layout", "unparsed"}
    assert len({c["question"] for c in CLAIMS}) == 13
    assert {c["index_base"] for c in CLAIMS} == {0, 1}
    assert [c["round"] for c in CLAIMS] == [1] * 202 + [2] * 140
    assert all(set(c["xfail"]) == {"reason", "strict"} for c in CLAIMS if "xfail" in c)
