"""The Verdict record: fields, JSON form and terminal form."""

import json

import numpy as np
import pytest

from symgrad.verify import Verdict


def test_fields_and_ok():
    v = Verdict("layout", "Axes in another order.", notes=["gradient layout"])
    assert not v.ok and v.counterexample is None and v.notes == ["gradient layout"]
    assert Verdict("correct", "Fine.").ok
    with pytest.raises(ValueError):
        Verdict("maybe", "?")


def test_to_dict_is_json_ready_with_numpy_values():
    v = Verdict("incorrect", "Entry differs.", {"entry": {"j": np.int64(2)},
                                                "claimed": np.float64(0.5),
                                                "true": np.array([1.0, 2.0])}, "a hint", "x")
    d = v.to_dict()
    assert json.loads(json.dumps(d)) == d
    # claimed and true are always text, whatever their type (one type per JSON field)
    assert d["counterexample"] == {"entry": {"j": 2}, "claimed": "0.5", "true": "[1, 2]"}
    assert d["ok"] is False and d["hint"] == "a hint" and d["claim_latex"] == "x"


def test_format_is_a_few_lines():
    v = Verdict("incorrect", "Entry differs.", {"claimed": 0.123456789}, "look here",
                r"y = x", ["singleton dimension dropped"])
    lines = v.format().splitlines()
    assert lines[0] == "INCORRECT: Entry differs."
    assert any("claimed = 0.123457" in line for line in lines)
    assert any(line.strip() == "hint: look here" for line in lines)
    assert str(v) == v.format()
