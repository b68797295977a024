"""The derivative of a product in one numerator (symgrad/notation/products.py)."""

import numpy as np

import symgrad as sg
from symgrad.notation.products import product_rule

SPELLED = ["a_1[t]", "v_1[t]", "h[t-1]"]


def test_a_product_with_a_scalar_factor_is_written_out():
    latex = r"\frac{\partial a_1[t]v_1[t]}{\partial h[t-1]} = 0"
    assert product_rule(latex, {"a_1[t]"}, SPELLED) == (
        r"\left(v_1[t] \frac{\partial a_1[t]}{\partial h[t-1]} + a_1[t] "
        r"\frac{\partial v_1[t]}{\partial h[t-1]}\right) = 0")
    # the scalar second, in parentheses
    assert product_rule(r"\frac{\partial (v_1[t] a_1[t])}{\partial h[t-1]}", {"a_1[t]"},
                        SPELLED).startswith(r"\left(v_1[t] \frac{\partial a_1[t]}")
    # two vectors (no scalar), or a name the question does not declare: as written
    assert product_rule(latex, set(), SPELLED) == latex
    assert product_rule(r"\frac{\partial a_1[t]u[t]}{\partial h[t-1]}", {"a_1[t]"},
                        SPELLED) == r"\frac{\partial a_1[t]u[t]}{\partial h[t-1]}"


def test_the_product_rule_reading_is_judged():
    # d(a v)/dz = v da/dz + a dv/dz for a scalar a(z), a vector v(z): central differences
    rng = np.random.default_rng(0)
    A, B = rng.normal(size=3), rng.normal(size=(3, 3))
    z = rng.normal(size=3)

    def f(z):
        return np.tanh(A @ z) * (B @ z)

    J = np.stack([(f(z + e) - f(z - e)) / 2e-6 for e in np.eye(3) * 1e-6], axis=1)
    a, da = np.tanh(A @ z), (1 - np.tanh(A @ z) ** 2) * A
    assert np.allclose(J, np.outer(B @ z, da) + a * B, atol=1e-6)
    right = (r"\frac{\partial h[t]}{\partial h[t-1]} = \frac{\partial a_0[t]v_0[t]}{\partial "
             r"h[t-1]} + \frac{\partial a_1[t]v_1[t]}{\partial h[t-1]} + \frac{\partial "
             r"a_2[t]v_2[t]}{\partial h[t-1]}")
    v = sg.check("1.2.2.e", right)
    assert v.verdict == "correct" and any("product rule" in n for n in v.notes)
    half = right.rsplit(" + ", 1)[0]
    assert sg.check("1.2.2.e", half).verdict == "incorrect"
