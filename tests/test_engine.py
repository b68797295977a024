"""Verdicts of symgrad.verify.engine on worked computations and identities."""

import symgrad as sg


def test_an_identity_between_expressions_is_judged():
    # K + (K - 1)(D - 1) = D(K - 1) + 1 holds for every K, D (checked here by enumeration)
    assert all(k + (k - 1) * (d - 1) == d * (k - 1) + 1 for k in range(1, 9) for d in range(1, 9))
    v = sg.check("1.1.b", r"K_{\text{eff}} = K + (K - 1)(D - 1) = D(K - 1) + 1",
                 definitions=[r"K_{\text{eff}} := K + (K - 1)(D - 1)"])
    assert "part 1 (correct)" in v.explanation
    w = sg.check("1.1.b", r"K_{\text{eff}} = K + (K - 1)(D - 1) = D(K - 1)",
                 definitions=[r"K_{\text{eff}} := K + (K - 1)(D - 1)"])
    assert w.verdict == "incorrect"


def test_a_number_that_names_nothing_is_not_judged():
    assert sg.check("1.1.b", r"2 + 3 = 5").verdict == "unparsed"
