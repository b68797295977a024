"""Claims in the notation of real write-ups (tests/data/real_claims.json: the source of each,
its truth derived by hand and confirmed with NumPy references), through sg.check."""

import json
from pathlib import Path

import pytest

import symgrad as sg

CASES = json.loads((Path(__file__).parent / "data" / "real_claims.json").read_text())["cases"]

# Known misses: the checker reads these differently from the truth (never CORRECT for a
# wrong claim; the test below holds that for every case).
KNOWN_MISSES = {
    2: "2021 notation H_{in}, K[0], S[0] for sizes is not declared in this homework",
    14: "2021 notation H_{in}, P[0], D[0] for sizes",
    25: "2021 notation H_{in}, K[0], S[0] for sizes",
    39: "slices `W[1,:,k]^\\top x[:, j]`",
    44: "a range for two letters at once (`i, i' = 0`)",
    49: "the 2021 homework's axis order [c, i, j, k]",
    63: "a literal bmatrix Jacobian",
    86: "the derivative of an expression, \\frac{\\partial W_x x_{t-1}}{\\partial W_x}",
    87: "\\partial W for W_x",
}


def _verdict(case):
    return sg.check(case["question"], case["latex"], index_base=case.get("index_base", 1))


@pytest.mark.parametrize("number", [
    pytest.param(n, marks=[pytest.mark.xfail(reason=KNOWN_MISSES[n], strict=True)]
                 if n in KNOWN_MISSES else [], id=f"{n}-{c['question']}")
    for n, c in enumerate(CASES)])
def test_real_claim(number):
    case = CASES[number]
    v = _verdict(case)
    assert v.verdict == case["expected"], f"{case['source']}: {case.get('note', '')}\n{v}"


def test_no_wrong_claim_is_called_correct():
    wrong = [c for c in CASES if c["expected"] != "correct"]
    called_correct = [c["latex"] for c in wrong if _verdict(c).verdict == "correct"]
    assert not called_correct


def test_the_collection_names_its_sources():
    assert len(CASES) >= 100
    assert all(c["source"] and c["expected"] in ("correct", "incorrect", "layout")
               for c in CASES)
