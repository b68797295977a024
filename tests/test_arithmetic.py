"""Arithmetic on numbers in questions answered in prose (symgrad/verify/arithmetic.py)."""

import math

from symgrad.verify.arithmetic import check_arithmetic


def test_a_chain_of_numbers_is_checked_to_the_digits_written():
    # the loss of a uniform guess over 4 classes: -log(1/4) = log 4 = 1.3863
    assert abs(-math.log(0.25) - 1.3863) < 5e-5
    for claim in (r"\text{Loss}_{\text{initial}} = -\log(0.25) = \log(4) \approx 1.386",
                  r"-\log(0.25) = \log 4 \approx 1.39", r"\frac{1}{4} = 0.25 = 25\%",
                  r"-\log(0.05) \approx 3.0"):
        assert check_arithmetic(claim).verdict == "correct", claim
    wrong = check_arithmetic(r"-\log(0.25) = \log(4) \approx 1.46")
    assert wrong.verdict == "incorrect" and "1.38629" in wrong.explanation
    assert check_arithmetic(r"\frac{1}{4} = 0.4").verdict == "incorrect"


def test_what_names_anything_is_no_arithmetic():
    for claim in (r"\text{Loss} = -\log(p_{\text{correct}})", r"1/K = 1/4 = 0.25", "x = 2",
                  r"5 \times 2"):
        assert check_arithmetic(claim) is None, claim
