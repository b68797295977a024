"""Tests of symgrad.notation: homework LaTeX -> claims of SymPy expressions."""

import time

import pytest
import sympy as sp
from reference import shared_cases, shared_params

from symgrad.core.errors import LimitError, ParseError, SymgradError, UnknownNameError
from symgrad.core.ops import (
    At,
    AtTime,
    Diag,
    Hadamard,
    Softargmax,
    Stack,
    Transpose,
    relu,
    sigmoid,
)
from symgrad.notation import (
    Declarations,
    FormulaClaim,
    Ref,
    ShapeClaim,
    SystemClaim,
    TensorDecl,
    Unjudged,
    parse_claim,
    parse_expression,
)


def idx(name):
    return sp.Symbol(name, integer=True)


def size(name):
    return sp.Symbol(name, integer=True, positive=True)


def mat(name):
    return sp.Symbol(name, commutative=False)


def el(name, *indices):
    return sp.Indexed(sp.IndexedBase(name), *indices)


def fam(name, *indices):
    return sp.Indexed(sp.IndexedBase(name, commutative=False), *indices)


i, j, k, l, m_, c_, t = (idx(s) for s in ("i", "j", "k", "l", "m", "c", "t"))
n, m, K = size("n"), size("m"), size("K")

# 1.1.a: the student's `c` (channels) is declared as a size so the claim is checkable.
Q11A = Declarations(tensors=(), scalars=("c",))
Q11B = Declarations(tensors=(), scalars=("C", "H", "W", "K", "P", "S", "D", "F"))
CONV = Declarations(tensors=(
    TensorDecl("x", (5, 7), ("X", "x")),
    TensorDecl("W", (1, 5, 3), ("W",)),
    TensorDecl("y", (1, 3), (r"\hat{y}", "y", "f_W(x)", r"f_{W}(x)")),
    TensorDecl("g", (1, 3), (r"\frac{\partial \ell}{\partial f_W(x)}",)),
))
RNN = Declarations(tensors=(
    TensorDecl("x", (n,), ("x[t]", "x")),
    TensorDecl("h_prev", (m,), ("h[t-1]",)),
    TensorDecl("h", (m,), ("h[t]",)),
    TensorDecl("c", (m,), ("c[t]",)),
    TensorDecl("W_c", (m, n), ("W_c", "W_{c}")),
    TensorDecl("W_h", (m, m), ("W_h", "W_{h}")),
    TensorDecl("W_x", (m, n), ("W_x", "W_{x}")),
    TensorDecl("g", (m,), (r"\frac{\partial \ell}{\partial h[t]}",)),
), scalars=("n", "m", "K"))
ATT2 = Declarations(tensors=(
    TensorDecl("x", (n,), ("x[t]",)),
    TensorDecl("h", (n,), ("h[t]",)),
    TensorDecl("a", (3,), ("a[t]",)),
), scalars=("n",))
ATT_INF = Declarations(tensors=(
    TensorDecl("x", (n,), ("x[t]",)),
    TensorDecl("h", (n,), ("h[t]",)),
), scalars=("n",))
VEC = Declarations(tensors=(
    TensorDecl("z", (3,), ("z",)),
    TensorDecl("a", (3,), ("a",)),
    TensorDecl("W", (3, 3), ("W",)),
), scalars=("n",))
VEC_CONV = Declarations(tensors=(TensorDecl("W", (5, 3)), TensorDecl("x", (5, 7)),
                                 TensorDecl("y", (7,))))

DECLS = {"1.1.a": Q11A, "1.1.b": Q11B, "1.1.c.i": CONV, "1.1.c.ii": CONV, "1.1.c.iii": CONV,
         "1.2.1.b": RNN, "1.2.1.c": RNN, "1.2.2.b": ATT2, "1.2.2.d": ATT_INF}


def _conv_size(v):
    C, H, W, K_, P, S, D, F = (size(s) for s in "CHWKPSDF")
    return sp.floor((v - D * K_ + P + S) / S)


def _seed_expected():
    C, H, W, K_, P, S, D, F = (size(s) for s in "CHWKPSDF")
    y, y_w, y_x = Ref("y", None), Ref("y", "W"), Ref("y", "x")
    q_, k_, v_, w_ = (fam(s, i) for s in "qkvw")
    h_lag = AtTime(mat("h"), t - i)
    return [
        (ShapeClaim(None, (size("c"), 5, 2)),),
        (ShapeClaim(None, (5, 2)),),
        (ShapeClaim(None, (F, C, _conv_size(H), _conv_size(W))),),
        (ShapeClaim(None, (F, _conv_size(H), _conv_size(W))),),
        (ShapeClaim(None, (F, sp.floor((H + 2 * P - D * (K_ - 1) - 1) / S) + 1,
                           sp.floor((W + 2 * P - D * (K_ - 1) - 1) / S) + 1)),),
        (ShapeClaim(y, (1, 5, 3)),),
        (ShapeClaim(y, (5, 3)),),
        (FormulaClaim(Ref("y", None, (1, j, k)),
                      sp.Sum(el("W", j + m_) * el("x", j, 2 * k - 1 + m_), (m_, 1, 3))),),
        "slice",
        (ShapeClaim(y_w, (5, 3, 3)),),
        (ShapeClaim(y_x, (5, 3, 7)),),
        (ShapeClaim(Ref("c", None), (m,)),),
        (ShapeClaim(Ref("h", "W_x"), (m, m, n)),),
        (FormulaClaim(Ref("h", "W_x", (i,), (j, k)),
                      sp.Piecewise((At(1 - mat("c"), i) * el("x", k), sp.Eq(j, i)),
                                   (0, True))),),
        (ShapeClaim(Ref("a", None), (3,)),),
        (SystemClaim((
            (AtTime(q_, t), fam("Q", i) * h_lag),
            (AtTime(k_, t), fam("K", i) * h_lag),
            (AtTime(v_, t), fam("V", i) * h_lag),
            (AtTime(w_, t), Transpose(AtTime(q_, t)) * AtTime(k_, t)),
            (AtTime(mat("a"), t), Softargmax(Stack(AtTime(fam("w", 0), t), sp.Symbol("..."),
                                                   AtTime(fam("w", k), t)))),
            (mat("h"), sp.Sum(AtTime(fam("a", i), t) * AtTime(v_, t), (i, 0, k))),
        )),),
    ]


SEED = shared_cases()  # ../shared/cases/seed-claims.json ([] without it)


@pytest.mark.parametrize("number", shared_params(range(len(SEED))))
def test_seed_claims(number):
    case, expected = SEED[number], _seed_expected()[number]
    decls = DECLS[case["question"]]
    if expected == "slice":
        with pytest.raises(ParseError) as err:
            parse_claim(case["latex"], decls)
        position = case["latex"].index("2j:2j+3")
        assert err.value.position == position
        assert f"position {position}" in str(err.value)
        assert "`2j:2j+3`" in str(err.value) and err.value.construct == "slice"
        return
    assert parse_claim(case["latex"], decls) == expected


def test_every_seed_case_has_an_expectation():
    assert len(_seed_expected()) == len(SEED) or not SEED


# ----------------------------------------------------------------------------- shapes


@pytest.mark.parametrize("latex, dims", [
    (r"f_W(x) \in R^{5x3}", (5, 3)),
    (r"f_W(x) \in R^{1x5X3}", (1, 5, 3)),
    (r"f_W(x) \in \mathbb{R}^{1 \times 3}", (1, 3)),
    (r"f_{W}(x) \in \mathbb{R}^3", (3,)),
    (r"\hat y \in \mathcal{R}^{42X42X42}", (42, 42, 42)),
    (r"f_W(x) ∈ ℝ^{1×3}", (1, 3)),
    (r"\hat{y} \in \mathbb{R}", ()),
])
def test_shape_claims_conv(latex, dims):
    assert parse_claim(latex, CONV) == (ShapeClaim(Ref("y", None), dims),)


def test_shape_claims_with_sizes():
    assert parse_claim(r"W_x \in R^{mxn}", RNN) == (ShapeClaim(Ref("W_x", None), (m, n)),)
    assert parse_claim(r"c[t] \in \mathbb{R}^{m}", RNN) == (ShapeClaim(Ref("c", None), (m,)),)
    assert parse_claim(r"\frac{\partial \ell}{\partial W_x} \in \mathbb{R}^{m \times n}", RNN) == (
        ShapeClaim(Ref("loss", "W_x"), (m, n)),)
    C, H, W, K_, P, S, D, F = (size(s) for s in "CHWKPSDF")
    seed = r"\in R^{(FxCx\lfloor (H-DK+0+S)/S \rfloor x \lfloor (W-DK+0+S)/S \rfloor)}"
    assert parse_claim(seed, Q11B) == (
        ShapeClaim(None, (F, C, sp.floor((H - D * K_ + S) / S), sp.floor((W - D * K_ + S) / S))),)
    assert parse_claim(r"F \times H", Q11B) == (ShapeClaim(None, (F, H)),)


def test_shape_of_several_subjects():
    assert parse_claim(r"W_c, W_x \in \mathbb{R}^{m \times n}", RNN) == (
        ShapeClaim(Ref("W_c", None), (m, n)), ShapeClaim(Ref("W_x", None), (m, n)))


def test_shape_rejects_tensors_and_unknown_sizes():
    with pytest.raises(ParseError, match="position 0"):
        parse_claim(r"x \times 3", CONV)
    with pytest.raises(ParseError):
        parse_claim(r"\frac{\partial \ell}{\partial y_i}", CONV)
    with pytest.raises(UnknownNameError, match="declared"):
        parse_claim(r"q \times 3", CONV)


# ----------------------------------------------------------------------------- formulas


def test_conv_element_formula_with_two_parts():
    claims = parse_claim(r"f_W(x) \in R^{1x3}, f_W(x)[1,j] = \sum_{c=1}^{5}\sum_{m=1}^{3} "
                         r"W_{1,c,m} x[c, 2j+m-2]", CONV)
    body = el("W", 1, c_, m_) * el("x", c_, 2 * j + m_ - 2)
    assert claims == (ShapeClaim(Ref("y", None), (1, 3)),
                      FormulaClaim(Ref("y", None, (1, j)),
                                   sp.Sum(sp.Sum(body, (m_, 1, 3)), (c_, 1, 5))))


def test_conv_jacobian_with_cases_and_chained_condition():
    (claim,) = parse_claim(
        r"\frac{\partial f_W(x)[1,j]}{\partial x[c, l]} = \begin{cases} W_{1,c,l-2j+2} & "
        r"1 \le l - 2j + 2 \le 3 \\ 0 & \text{otherwise}\end{cases}", CONV)
    assert claim.lhs == Ref("y", "x", (1, j), (c_, l))
    u = l - 2 * j + 2
    assert claim.rhs == sp.Piecewise((el("W", 1, c_, u), sp.And(sp.Le(1, u), sp.Le(u, 3))),
                                     (0, True))


def test_digit_subscripts_split_by_rank():
    (claim,) = parse_claim(
        r"\hat{y}_{1,2,3} = W_{21} * x_{25} + W_{22} * x_{26} + W_{23} * x_{27}", CONV)
    assert claim.lhs == Ref("y", None, (1, 2, 3))
    assert claim.rhs == sum(el("W", 2, q) * el("x", 2, 4 + q) for q in (1, 2, 3))
    (claim,) = parse_claim(r"\frac{\partial \hat{y}_{11}}{\partial W_{11}} = x_{11}", CONV)
    assert claim == FormulaClaim(Ref("y", "W", (1, 1), (1, 1)), el("x", 1, 1))
    assert parse_expression(r"x_{12}", RNN) == el("x", 12)


def test_letter_subscripts_and_index_only_on_wrt():
    (claim,) = parse_claim(r"\frac{\partial \hat{y}}{\partial W_{ijk}} = X_{1,i,2j+k-2}", CONV)
    assert claim == FormulaClaim(Ref("y", "W", (), (i, j, k)), el("x", 1, i, 2 * j + k - 2))
    (claim,) = parse_claim(
        r"\frac{\partial \hat y_{1,j}}{\partial W_{1,c,k}} = x_{c,2j-2+k}", CONV)
    assert claim == FormulaClaim(Ref("y", "W", (1, j), (1, c_, k)), el("x", c_, 2 * j - 2 + k))
    assert parse_expression(r"W_{jm} + W_{j,m} + x_{c,l} + x[c, 2j+m] + y[2j+m]", VEC_CONV) == (
        2 * el("W", j, m_) + el("x", c_, l) + el("x", c_, 2 * j + m_) + el("y", 2 * j + m_))


def test_seed_cases_with_floor_ceiling_and_if():
    (claim,) = parse_claim(
        r"\frac{\partial \hat{y}}{\partial x_{ijk}} = \begin{cases} W_{1,\lfloor k/j \rfloor} "
        r"& \text{if } \frac{k}{j} < 2\\ W_{1,\lceil k/j \rceil} & \text{if } 2 \le \frac{k}{j} "
        r"\le 3\\ 0 & \text{else} \end{cases}", CONV)
    assert claim.lhs == Ref("y", "x", (), (i, j, k))
    assert claim.rhs == sp.Piecewise(
        (el("W", 1, sp.floor(k / j)), k / j < 2),
        (el("W", 1, sp.ceiling(k / j)), sp.And(2 <= k / j, k / j <= 3)), (0, True))


def test_cases_without_ampersand():
    (claim,) = parse_claim(
        r"\frac{\partial h[t]}{\partial W_{x \ ijk}} = \begin{cases} (1 - c[t])_i * x[t]_k "
        r"\text{ if } j = i \\ 0 \text{ else} \end{cases}", RNN)
    assert claim.lhs == Ref("h", "W_x", (), (i, j, k))
    assert claim.rhs == sp.Piecewise((At(1 - mat("c"), i) * el("x", k), sp.Eq(j, i)), (0, True))


def test_conditions():
    e = parse_expression(
        r"\begin{cases} 1 & i = j \text{ and } j \ne 2 \\ 2 & i < j, j \neq 3 \\ "
        r"3 & i > j \text{ or } j = 1 \\ 4 & i \leq j \land j \geq 1 \\ 0 & \text{otherwise} "
        r"\end{cases}", VEC)
    assert e == sp.Piecewise(
        (1, sp.And(sp.Eq(i, j), sp.Ne(j, 2))), (2, sp.And(i < j, sp.Ne(j, 3))),
        (3, sp.Or(i > j, sp.Eq(j, 1))), (4, sp.And(i <= j, j >= 1)), (0, True))
    assert parse_expression(r"[i = j]", VEC) == sp.Piecewise((1, sp.Eq(i, j)), (0, True))


def test_matrix_formula_rnn():
    (claim,) = parse_claim(
        r"\frac{\partial h[t]}{\partial h[t-1]} = \mathrm{diag}(c[t]) + \mathrm{diag}((h[t-1] - "
        r"W_x x[t]) \odot c[t] \odot (1 - c[t])) W_h", RNN)
    c, hp, x, wx, wh = (mat(s) for s in ("c", "h_prev", "x", "W_x", "W_h"))
    assert claim.lhs == Ref("h", "h_prev")
    assert claim.rhs == Diag(c) + Diag(Hadamard(hp - wx * x, c, 1 - c)) * wh


def test_matrix_notation_keeps_order_and_transposes():
    a, w, z = mat("a"), mat("W"), mat("z")
    assert parse_expression(r"W^T a + a^\top W + a^{\top} z a^{T}", VEC) == (
        Transpose(w) * a + Transpose(a) * w + Transpose(a) * z * Transpose(a))
    assert parse_expression(r"a \circ z - a \odot W z", VEC) == (
        Hadamard(a, z) - Hadamard(a, w * z))
    assert parse_expression(r"\operatorname{diag}(a) - a a^T", VEC) == Diag(a) - a * Transpose(a)
    assert parse_expression(r"\text{softmax}(z) + \mathrm{softargmax}(W z)", VEC) == (
        Softargmax(z) + Softargmax(w * z))
    assert parse_expression(r"\mathrm{softargmax}([z_1, \dots, z_3])", VEC) == Softargmax(
        Stack(el("z", 1), sp.Symbol("..."), el("z", 3)))
    assert parse_expression(r"\mathrm{ReLU}(z_1)", VEC) == relu(el("z", 1))


def test_subscripts_on_groups_and_time_vectors():
    c, x, wx = mat("c"), mat("x"), mat("W_x")
    assert parse_expression(r"(1 - c[t])_i", RNN) == At(1 - c, i)
    assert parse_expression(r"(W_x x[t])_i", RNN) == At(wx * x, i)
    assert parse_expression(r"x[t]_k + h[t-1]_j + (W_x)_{ij} + W_{x, ij}", RNN) == (
        el("x", k) + el("h_prev", j) + 2 * el("W_x", i, j))
    (claim,) = parse_claim(
        r"\frac{\partial h[t]_i}{\partial (W_x)_{jk}} = (1 - c[t])_i x[t]_k \delta_{ij}", RNN)
    assert claim == FormulaClaim(Ref("h", "W_x", (i,), (j, k)),
                                 At(1 - c, i) * el("x", k) * sp.KroneckerDelta(i, j))


def test_time_brackets_not_declared_become_attime():
    assert parse_expression(r"h[t-2]", RNN) == AtTime(mat("h"), t - 2)
    assert parse_expression(r"h[t-2]_i", RNN) == At(AtTime(mat("h"), t - 2), i)


def test_bptt_sum_over_time_uses_time_steps_and_upstream_gradient():
    (claim,) = parse_claim(
        r"\frac{\partial \ell}{\partial W_x} = \sum_{t=1}^{K} ((1 - c[t]) \circ "
        r"\frac{\partial \ell}{\partial h[t]}) x[t]^\top", RNN)
    c, g, x = (AtTime(mat(s), t) for s in ("c", "g", "x"))
    assert claim.lhs == Ref("loss", "W_x")
    assert claim.rhs == sp.Sum(Hadamard(1 - c, g) * Transpose(x), (t, 1, K))


def test_upstream_gradient_on_the_right():
    (claim,) = parse_claim(
        r"\frac{\partial \ell}{\partial W_{1,c,k}} = \sum_{j=1}^{3} \frac{\partial \ell}"
        r"{\partial f_W(x)[1,j]} x_{c, 2j+k-2}", CONV)
    assert claim == FormulaClaim(Ref("loss", "W", (), (1, c_, k)),
                                 sp.Sum(el("g", 1, j) * el("x", c_, 2 * j + k - 2), (j, 1, 3)))
    assert parse_expression(r"\frac{\partial l}{\partial y_i}", CONV) == el("g", i)
    assert parse_expression(r"\frac{\partial \mathcal{L}}{\partial \hat{y}}", CONV) == mat("g")
    with pytest.raises(ParseError, match="not a declared quantity"):
        parse_expression(r"\frac{\partial \ell}{\partial x_i}", CONV)


def test_loss_refs():
    for latex in (r"\frac{\partial \ell}{\partial W_x} = 0",
                  r"\frac{\partial l}{\partial W_{x}} = 0",
                  r"\dfrac{\partial L}{\partial{W_x}} = 0"):
        assert parse_claim(latex, RNN) == (FormulaClaim(Ref("loss", "W_x"), sp.Integer(0)),)


def test_functions_and_arithmetic():
    z1, z2, z3 = (el("z", q) for q in (1, 2, 3))
    s = sigmoid(z1)
    assert parse_expression(r"\sigma(z_1) + \sigma'(z_2)", VEC) == s + sigmoid(z2) * (
        1 - sigmoid(z2))
    assert parse_expression(r"\sigma'(z)", VEC) == Hadamard(sigmoid(mat("z")),
                                                            1 - sigmoid(mat("z")))
    assert parse_expression(r"\tanh(z_1) + \exp(z_2) + e^{z_3} + \ln(z_1) + \log z_2",
                            VEC) == sp.tanh(z1) + sp.exp(z2) + sp.exp(z3) + sp.log(z1) + sp.log(z2)
    assert parse_expression(r"\left( z_1 \right) \cdot z_2 \, \; \times z_3 * 2", VEC) == (
        2 * z1 * z2 * z3)
    assert parse_expression(r"\frac{1}{2} + \frac12 + \frac{12}{5} + 0.5 + .25 + z_1^{2}",
                            VEC) == sp.Rational(83, 20) + z1**2
    assert parse_expression(r"\lceil n/2 \rceil + \lfloor \frac{n}{3} \rfloor", VEC) == (
        sp.ceiling(size("n") / 2) + sp.floor(size("n") / 3))
    assert parse_expression(r"\sum_{i=1}^{n} z_i", VEC) == sp.Sum(el("z", i), (i, 1, size("n")))
    assert parse_expression(r"\delta_{ij} + \delta_{i,j} + \delta_{12}", VEC) == (
        2 * sp.KroneckerDelta(i, j))


def test_separators():
    claims = parse_claim(r"z_1 = 2; z_2 = 3 \\ z_3 = 4 \quad a_1 = 0.", VEC)
    assert claims == (FormulaClaim(Ref("z", None, (1,)), sp.Integer(2)),
                      FormulaClaim(Ref("z", None, (2,)), sp.Integer(3)),
                      FormulaClaim(Ref("z", None, (3,)), sp.Integer(4)),
                      FormulaClaim(Ref("a", None, (1,)), sp.Integer(0)))
    assert parse_claim(r"z_1 = 1 = 1.0", VEC) == (
        FormulaClaim(Ref("z", None, (1,)), sp.Integer(1)),) * 2


def test_system_of_defining_equations():
    (claim,) = parse_claim(
        r"c[t] = \sigma(W_c x[t] + W_h h[t-1]),\ h[t] = c[t] \odot h[t-1] + (1 - c[t]) \odot "
        r"W_x x[t]", RNN)
    c, x, hp = mat("c"), mat("x"), mat("h_prev")
    assert claim == SystemClaim((
        (c, sigmoid(mat("W_c") * x + mat("W_h") * hp)),
        (mat("h"), Hadamard(c, hp) + Hadamard(1 - c, mat("W_x") * x))))


def test_tuple_assignment_with_ellipses():
    (claim,) = parse_claim(
        r"q_0[t], q_1[t], q_2[t], \dots q_k[t] = Q_0x[t], Q_1h[t-1], Q_2h[t-2], \dots Q_kh[t-k]",
        ATT_INF)
    dots = sp.Symbol("...")
    assert claim == SystemClaim((
        (AtTime(fam("q", 0), t), fam("Q", 0) * mat("x")),
        (AtTime(fam("q", 1), t), fam("Q", 1) * AtTime(mat("h"), t - 1)),
        (AtTime(fam("q", 2), t), fam("Q", 2) * AtTime(mat("h"), t - 2)),
        (dots, dots),
        (AtTime(fam("q", k), t), fam("Q", k) * AtTime(mat("h"), t - k)),
    ))
    with pytest.raises(ParseError, match="tuple assignment"):
        parse_claim(r"q_0[t], q_1[t] = Q_0 x[t]", ATT_INF)


# ----------------------------------------------------------------------------- refusals


def test_unknown_names_list_declarations():
    with pytest.raises(UnknownNameError) as err:
        parse_claim(r"y_{1} = q", CONV)
    message = str(err.value)
    assert "`q`" in message and "position 8" in message and r"\hat{y}" in message
    with pytest.raises(UnknownNameError, match=r"\\hat\{z\}"):
        parse_expression(r"\hat{z}", VEC)
    with pytest.raises(UnknownNameError):
        parse_expression(r"z_1 + i", VEC)


@pytest.mark.parametrize("latex, construct", [
    (r"\input{/etc/passwd}", r"command \input"),
    (r"__import__('os')", "missing term"),
    (r"{x", "unbalanced bracket"),
    (r"x}", "unbalanced bracket"),
    (r"(x]", "unbalanced bracket"),
    (r"\begin{bmatrix} 1 & 2 \end{bmatrix}", "environment bmatrix"),
    (r"y_1 = \sum_m W_m", "sum without bounds"),
    (r"y_1 = \sum_{m=1} W_m", "sum without bounds"),
    (r"y_1 = \langle x_1, W_1 \rangle", "inner product"),
    (r"y_1 = W_1 @ x", "the character `@`"),
    (r"y_1 = \partial W", "partial"),
    (r"y_1 = \ell", "loss"),
    (r"y_1 = ", "equation"),
    (r"", "empty claim"),
])
def test_parse_errors_name_position_and_construct(latex, construct):
    with pytest.raises(ParseError) as err:
        parse_claim(latex, CONV)
    assert err.value.construct == construct
    assert err.value.position is not None and f"position {err.value.position}" in str(err.value)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("latex", [
    "{" * 100000 + "}" * 100000,
    "x" * 20001,
    "(" * 101 + "1" + ")" * 101,
    r"\sum_{i=1}^{2}" * 150 + "i",
    r"2^{2^{2^{2^{2^{2}}}}}",
    "9" * 5000,
])
def test_limits(latex):
    start = time.perf_counter()
    with pytest.raises(LimitError):
        parse_claim(latex, CONV)
    assert time.perf_counter() - start < 2


def test_depth_100_is_accepted():
    assert parse_expression("(" * 100 + "1" + ")" * 100, CONV) == 1
    assert parse_expression("{" * 100 + "1" + "}" * 100, CONV) == 1


def test_hostile_inputs_fail_quickly_with_symgrad_errors():
    for latex in ("-" * 15000 + "2", r"\frac" * 3000, "[" * 99 + "]" * 99, "\\" * 5000,
                  r"\text{" * 50 + "}" * 50, "x_" * 5000, "^" * 5000):
        start = time.perf_counter()
        try:
            parse_claim(latex, CONV)
        except SymgradError:
            pass
        assert time.perf_counter() - start < 2


def test_parse_expression_rejects_claims():
    with pytest.raises(ParseError):
        parse_expression(r"y_1 = 2", CONV)


def test_system_keeps_order_of_slices_and_reads_size_letters_as_families():
    decls = Declarations(tensors=(
        TensorDecl("x", (n,), ("x[t]",)), TensorDecl("h", (n,), ("h[t]",)),
        TensorDecl("Q", (3, n, n), ("Q",)), TensorDecl("a", (3,), ("a[t]",)),
    ), scalars=("n", "k"))
    (claim,) = parse_claim(r"q_i[t] = h[t-i]^T Q_i,\ h[t] = \sum_{i=0}^{k} a_i[t] k_i[t]", decls)
    q_slice = sp.Indexed(sp.IndexedBase("Q", commutative=False), i)
    assert claim == SystemClaim((
        (AtTime(fam("q", i), t), Transpose(AtTime(mat("h"), t - i)) * q_slice),
        (mat("h"), sp.Sum(el("a", i) * AtTime(fam("k", i), t), (i, 0, size("k")))),
    ))
    assert claim.equations[0][1].args[0] == Transpose(AtTime(mat("h"), t - i))


def test_braces_and_hats_in_references():
    assert parse_claim(r"\frac{\partial \hat{y_1}}{\partial W_1} = x_1", CONV) == (
        FormulaClaim(Ref("y", "W", (1,), (1,)), el("x", 1)),)
    assert parse_claim(r"\hat{y}_{(1,2)} = 0", CONV) == (
        FormulaClaim(Ref("y", None, (1, 2)), sp.Integer(0)),)
    assert parse_claim(r"\frac{\partial{h[t]}}{\partial{h[t-1]}} = W_h", RNN) == (
        FormulaClaim(Ref("h", "h_prev"), mat("W_h")),)
    assert parse_claim(r"h[t]_i = \begin{cases} 1 & \text{if} j=i \\ 0 & \text{otherwise}"
                       r"\end{cases}", RNN)[0].rhs == sp.Piecewise((1, sp.Eq(i, j)), (0, True))


# ----------------------------------------------------------------------------- red-team constructs

T_, L_ = size("T"), size("L")
f_, fp, r_ = idx("f"), idx("f'"), idx("r")
# 1.2.2.f: h[T] is its own tensor; g and D are the given derivatives at step t
GRAD = Declarations(tensors=(
    TensorDecl("x", (n,), ("x[t]",)),
    TensorDecl("h_T", (n,), ("h[T]",)),
    TensorDecl("h", (n,), ("h[t]",)),
    TensorDecl("D", (n, n), (r"\frac{\partial h[t]}{\partial h[T]}",)),
    TensorDecl("g", (n,), (r"\frac{\partial \ell}{\partial h[t]}",)),
), scalars=("n", "k", "T", "L"), loss=(r"\ell", "l", r"\mathcal{L}"))
ATT_SLOTS = Declarations(tensors=(
    TensorDecl("h", (n,), ("h[t]",)), TensorDecl("h_1", (n,), ("h[t-1]",)),
    TensorDecl("a", (3,), ("a[t]",)),
    *(TensorDecl(f"v_{q}", (n,), (f"v_{q}[t]",)) for q in range(3)),
), scalars=("n",))


@pytest.mark.parametrize("latex, decls, dims", [
    (r"R^m", RNN, (m,)),
    (r"R^{1 \times 5 \times 2}", Q11A, (1, 5, 2)),
    (r"\mathbb{R}^{3}", ATT2, (3,)),
    (r"\mathbb{R}^{18 \times 8}", Q11A, (18, 8)),
    (r"R^{5x2}", Q11A, (5, 2)),
    (r"(5, 2)", Q11A, (5, 2)),
    (r"5x2", Q11A, (5, 2)),
])
def test_bare_shapes(latex, decls, dims):
    assert parse_claim(latex, decls) == (ShapeClaim(None, dims),)


def test_definition_followed_by_its_shape():
    c = Ref("c", None)
    assert parse_claim(r"c[t] = \sigma\left(W_c x[t] + W_h h[t-1]\right) \in \mathbb{R}^{m}",
                       RNN) == (FormulaClaim(c, sigmoid(mat("W_c") * mat("x")
                                                        + mat("W_h") * mat("h_prev"))),
                                ShapeClaim(c, (m,)))
    assert parse_claim(r"c[t] = \sigma(\cdot) \in \mathbb{R}^m", RNN) == (ShapeClaim(c, (m,)),)


def test_entries_of_the_upstream_gradient():
    for latex in (r"\frac{\partial \ell}{\partial f_W(x)}[1, j]",
                  r"\frac{\partial \ell}{\partial f_W(x)}_{1,j}",
                  r"\frac{\partial \ell}{\partial \hat{y}_{1,j}}"):
        assert parse_expression(latex, CONV) == el("g", 1, j)
    (claim,) = parse_claim(
        r"\frac{\partial \ell}{\partial W[f, c, k]} = \sum_{i=1}^{3} \frac{\partial \ell}"
        r"{\partial f_W(x)}[f, i] x[c, k + 2 i - 2]", CONV)
    assert claim == FormulaClaim(Ref("loss", "W", (), (f_, c_, k)),
                                 sp.Sum(el("g", f_, i) * el("x", c_, k + 2 * i - 2), (i, 1, 3)))
    u = l - 2 * i + 2
    (claim,) = parse_claim(
        r"\frac{\partial \ell}{\partial x[c, l]} = \sum_{i=1}^{3} W[1, c, l - 2 i + 2] "
        r"\frac{\partial \ell}{\partial f_W(x)}[1, i] \left[1 \le l - 2 i + 2 \le 3\right]", CONV)
    assert claim.rhs == sp.Sum(sp.Piecewise(
        (el("W", 1, c_, u) * el("g", 1, i), sp.And(sp.Le(1, u), sp.Le(u, 3))), (0, True)),
        (i, 1, 3))


def test_time_steps_of_declared_derivatives():
    g, D = mat("g"), mat("D")
    (claim,) = parse_claim(
        r"\frac{\partial \ell}{\partial h[T]} = g[T] + \sum_{t=T+1}^{L} \left(\frac{\partial h[t]}"
        r"{\partial h[T]}\right)^{\top} g[t]", GRAD)
    assert claim == FormulaClaim(Ref("loss", "h_T"), AtTime(g, T_) + sp.Sum(
        Transpose(AtTime(D, t)) * AtTime(g, t), (t, T_ + 1, L_)))
    (claim,) = parse_claim(
        r"\frac{\partial \ell}{\partial h[T]_{j}} = \sum_{\substack{1 \leq r \leq n\\T \leq t "
        r"\leq L}} D[t, r, j] g[t, r]", GRAD)
    assert claim == FormulaClaim(Ref("loss", "h_T", (), (j,)), sp.Sum(
        At(AtTime(D, t), r_, j) * At(AtTime(g, t), r_), (t, T_, L_), (r_, 1, n)))
    assert parse_expression(r"g[j] + \frac{\partial \ell}{\partial h[T]}", GRAD) == (
        el("g", j) + AtTime(g, T_))


def test_chain_rule_in_numerator_layout_and_the_loss_L():
    chain = sp.Sum(AtTime(mat("g"), t) * AtTime(mat("D"), t), (t, T_, L_))
    for latex in (r"\frac{\partial \ell}{\partial h[T]} = \sum_{t=T}^{L} \frac{\partial \ell}"
                  r"{\partial h[t]} \frac{\partial h[t]}{\partial h[T]}",
                  r"\frac{\partial L}{\partial h[T]} = \sum_{t \geq T} \frac{\partial L}"
                  r"{\partial h[t]} \frac{\partial h[t]}{\partial h[T]}"):
        assert parse_claim(latex, GRAD) == (FormulaClaim(Ref("loss", "h_T"), chain),)


@pytest.mark.parametrize("latex, limits", [
    (r"\sum_{t \geq T} g[t]", (t, T_, L_)),
    (r"\sum_{t > T} g[t]", (t, T_ + 1, L_)),
    (r"\sum_{t=T} g[t]", (t, T_, L_)),
    (r"\sum_{T < t \le L} g[t]", (t, T_ + 1, L_)),
])
def test_sums_with_inequalities_and_open_upper_bound(latex, limits):
    assert parse_expression(latex, GRAD) == sp.Sum(AtTime(mat("g"), t), limits)


def test_open_upper_bound_needs_a_declared_length():
    without = Declarations(RNN.tensors, scalars=("n", "m"))
    with pytest.raises(ParseError) as err:
        parse_expression(r"\sum_{t \geq 1} x[t]", without)
    assert err.value.construct == "sum without an upper bound"
    assert parse_expression(r"\sum_{t \geq 1} x[t]", RNN) == sp.Sum(
        AtTime(mat("x"), t), (t, 1, size("K")))
    assert parse_expression(r"\sum_{t} x[t]", RNN) == sp.Sum(AtTime(mat("x"), t), (t, 1, size("K")))
    assert parse_expression(r"\sum_{1 \le i \le n} z_i", VEC) == sp.Sum(el("z", i), (i, 1, n))


def test_iverson_brackets_and_indicators():
    u = l - 2 * j + 2
    inside = sp.And(sp.Le(1, u), sp.Le(u, 3))
    assert parse_expression(r"W_{c,l-2j+2} \left[1 \le l-2j+2 \le 3\right]", VEC_CONV) == (
        sp.Piecewise((el("W", c_, u), inside), (0, True)))
    assert parse_expression(r"\sum_{k=1}^{3} W_{c,k} [l = 2j+k-2]", VEC_CONV) == sp.Sum(
        sp.Piecewise((el("W", c_, k), sp.Eq(l, 2 * j + k - 2)), (0, True)), (k, 1, 3))
    for latex in (r"\mathbb{1}\{1 \le l-2j+2 \le 3\}", r"\mathbb{1}[1 \le l-2j+2 \le 3]",
                  r"\mathbf{1}_{1 \le l-2j+2 \le 3}", r"\mathds{1}\{1 \le l-2j+2 \le 3\}"):
        assert parse_expression(latex, VEC_CONV) == sp.Piecewise((1, inside), (0, True))
    assert parse_expression(r"\mathbb{1} W_{c,1}", VEC_CONV) == el("W", c_, 1)


def test_conditions_with_absolute_values_and_sets():
    cases = (r"\begin{cases} W_{c,l-2j+2} & \text{if } %s \\ 0 & \text{otherwise} "
             r"\end{cases}")
    w = el("W", c_, l - 2 * j + 2)
    assert parse_expression(cases % r"|l-2j| \le 1", VEC_CONV) == sp.Piecewise(
        (w, sp.Le(sp.Abs(l - 2 * j), 1)), (0, True))
    assert parse_expression(cases % r"\lvert l-2j \rvert \le 1", VEC_CONV) == sp.Piecewise(
        (w, sp.Le(sp.Abs(l - 2 * j), 1)), (0, True))
    assert parse_expression(cases % r"l \in \{2j-1, 2j, 2j+1\}", VEC_CONV) == sp.Piecewise(
        (w, sp.Or(sp.Eq(l, 2 * j - 1), sp.Eq(l, 2 * j), sp.Eq(l, 2 * j + 1))), (0, True))
    assert parse_expression(r"[i \in \{1, \dots, n\}]", VEC) == sp.Piecewise(
        (1, sp.And(sp.Le(1, i), sp.Le(i, n))), (0, True))
    assert parse_expression(r"[i \notin \{1, 2\}]", VEC) == sp.Piecewise(
        (1, sp.Not(sp.Or(sp.Eq(i, 1), sp.Eq(i, 2)))), (0, True))


def test_primed_index_letters():
    (claim,) = parse_claim(r"\frac{\partial f_W(x)[f,j]}{\partial W[f',c,k]} = \delta_{ff'} "
                           r"x[c,2j+k-2]", CONV)
    assert claim == FormulaClaim(Ref("y", "W", (f_, j), (fp, c_, k)),
                                 sp.KroneckerDelta(f_, fp) * el("x", c_, 2 * j + k - 2))
    assert parse_expression(r"\delta_{f f^\prime}", CONV) == sp.KroneckerDelta(f_, fp)


def test_outer_product_and_time_subscripts():
    c, g, x = (AtTime(mat(s), t) for s in ("c", "g", "x"))
    (claim,) = parse_claim(
        r"\frac{\partial \ell}{\partial W_x} = \sum_{t=1}^{K} ((1 - c[t]) \odot "
        r"\frac{\partial \ell}{\partial h[t]}) \otimes x[t]", RNN)
    assert claim.rhs == sp.Sum(Hadamard(1 - c, g) * Transpose(x), (t, 1, K))
    assert parse_claim(r"h_t = c_t \odot h_{t-1} + (1 - c_t) \odot W_x x_t", RNN) == parse_claim(
        r"h[t] = c[t] \odot h[t-1] + (1 - c[t]) \odot W_x x[t]", RNN)
    assert parse_claim(r"\frac{\partial h_t}{\partial h_{t-1}} = W_h", RNN) == (
        FormulaClaim(Ref("h", "h_prev"), mat("W_h")),)
    assert parse_expression(r"h_{t-2} + x_{t}", RNN) == AtTime(mat("h"), t - 2) + mat("x")


def test_sum_over_numbered_tensors_is_written_out():
    assert parse_expression(r"\sum_{i=0}^{2} a_i[t] v_i[t]", ATT_SLOTS) == sum(
        (el("a", q) * mat(f"v_{q}") for q in range(3)), sp.Integer(0))
    with pytest.raises(UnknownNameError):
        parse_expression(r"\sum_{i=0}^{2} a_i[t] u_i[t]", ATT_SLOTS)


def _system(latex, decls=ATT_INF):
    (claim,) = parse_claim(latex, decls)
    assert isinstance(claim, SystemClaim)
    return claim


def test_aligned_and_gathered_environments():
    q0, qi = (AtTime(fam("q", s), t) for s in (0, i))
    expected = SystemClaim((
        (q0, fam("Q", 0) * mat("x")),
        (qi, fam("Q", i) * AtTime(mat("h"), t - i)),
        (mat("h"), sp.Sum(AtTime(fam("a", i), t) * AtTime(fam("v", i), t), (i, 0, k))),
    ))
    rows = (r"q_0[t] &= Q_0 x[t], & q_i[t] &= Q_i h[t-i] \\ h[t] &= \sum_{i=0}^{k} a_i[t] "
            r"v_i[t] \\ &\text{with } Q_i \in \mathbb{R}^{n \times n} \text{ (no sharing)}")
    for env in ("aligned", "align*", "gathered"):
        text = rows.replace("&", "") if env == "gathered" else rows
        system, aside = parse_claim(rf"\begin{{{env}}} {text} \end{{{env}}}", ATT_INF)
        assert system == expected
        assert isinstance(aside, Unjudged) and aside.written.startswith("Q_i")
    assert parse_claim(r"\begin{gathered} a[t] \in \mathbb{R}^{3} \end{gathered}", ATT2) == (
        ShapeClaim(Ref("a", None), (3,)),)


def test_range_qualifiers_of_systems():
    h_sum = sp.Sum(AtTime(fam("a", j), t) * AtTime(fam("v", j), t), (j, 0, t - 1))
    claim = _system(r"q_0[t] = Q_0 x[t],\ q_i[t] = Q_h h[t-i] \text{ for } i = 1, \dots, t-1,\ "
                    r"h[t] = \sum_{j=0}^{t-1} a_j[t] v_j[t]")
    assert claim.equations[1] == (AtTime(fam("q", i), t),
                                  fam("Q", idx("h")) * AtTime(mat("h"), t - i))
    assert claim.equations[2] == (mat("h"), h_sum)
    assert claim.ranges == ((i, 1, t - 1),)
    claim = _system(r"q_i[t] = Q h[t-i] \text{ for every } 1 \le i < t, \quad "
                    r"h[t] = \sum_{j=0}^{t-1} a_j[t] v_j[t]")
    assert claim.ranges == ((i, 1, t - 1),)
    # the letter of a qualified rule is renamed where an unqualified rule uses it too
    claim = _system(r"q_i[t] = Q_i h[t-i] \text{ for } i = 1, \dots, k, \quad w_i[t] = q_i[t]^T "
                    r"k_i[t] \quad i \in \{0, \dots, k\}, \quad h[t] = \sum_{i=0}^{k} a_i[t] "
                    r"v_i[t]")
    assert claim.equations[0] == (AtTime(fam("q", j), t), fam("Q", j) * AtTime(mat("h"), t - j))
    assert claim.equations[1][0] == AtTime(fam("w", i), t)
    assert claim.ranges == ((j, 1, k), (i, 0, k))
    with pytest.raises(ParseError) as err:
        parse_claim(r"q_i[t] = Q h[t-i] \text{ for } i = 1, \dots", ATT_INF)
    assert err.value.construct == "qualifier"
    (formula,) = parse_claim(r"y_j = x_j \text{ for } j = 1, \dots, 3", CONV)
    assert formula.ranges == ((j, 1, 3),)
    with pytest.raises(ParseError) as err:
        parse_claim(r"y_j = x_j \text{ for } p = 1, \dots, 3", CONV)
    assert err.value.construct == "range"


def test_tuple_assignment_up_to_a_time_dependent_slot():
    claim = _system(r"q_0[t], q_1[t], \dots, q_{t-1}[t] = Q_0 x[t], Q_1 h[t-1], \dots, Q_1 h[1] "
                    r"\\ w_i[t] = q_i[t]^T k_i[t] \\ h[t] = \sum_{i=0}^{t-1} a_i[t] v_i[t]")
    assert claim.equations[:3] == (
        (AtTime(fam("q", 0), t), fam("Q", 0) * mat("x")),
        (AtTime(fam("q", 1), t), fam("Q", 1) * AtTime(mat("h"), t - 1)),
        (AtTime(fam("q", j), t), fam("Q", 1) * AtTime(mat("h"), t - j)),
    )
    assert claim.ranges == ((j, 1, t - 1),)
    with pytest.raises(ParseError) as err:
        parse_claim(r"q_0[t], q_1[t], \dots, q_{t-1}[t] = Q_0 x[t], Q_1 h[t-1], \dots, Q_2 x[t] "
                    r"\\ h[t] = \sum_{i=0}^{t-1} a_i[t] v_i[t]", ATT_INF)
    assert err.value.construct == "tuple assignment"


def test_tuple_rules_are_tried_within_a_budget():
    row = (r"q_0[t], q_1[t], \dots, q_{t-1}[t] = Q_0 x[t], Q_1 K_1 V_1 A_1 B_1 C_1, \dots, "
           r"Q_{t-1} K_{t-1} V_{t-1} A_{t-1} B_{t-1} C_{t-1}")
    start = time.perf_counter()
    with pytest.raises(LimitError):
        parse_claim(r" \\ ".join([row] * 60) + r" \\ h[t] = x[t]", ATT_INF)
    assert time.perf_counter() - start < 2


H_ = AtTime(mat("h"), t - i)


def test_index_ranges_beside_a_system():
    tail = r", \; w_i[t] = q_i[t]^T k_i[t]"
    for qualifier, hi in ((r"(1 \le i \le k)", k), (r"(i = 1, \ldots, t-1)", t - 1),
                          (r"(1 \le i < t)", t - 1), (r"\forall i \in \{1, \dots, k\}", k),
                          (r", \ i = 1, \dots, k", k), (r"\quad (1 \le i \le k)", k)):
        claim = _system(r"q_i[t] = Q_i h[t-i] \; " + qualifier + tail)
        assert claim.equations[0] == (AtTime(fam("q", j), t), fam("Q", j) * AtTime(
            mat("h"), t - j))
        assert claim.ranges == ((j, 1, hi),)
    claim = _system(r"q_i[t] = Q_i h[t-i] (1 + i)" + tail)
    assert claim.ranges == () and claim.equations[0][1].has(H_, 1 + i)


def test_commentary_in_text_is_dropped():
    for latex in (r"\text{dimension } 5 \times 2", r"\text{output dimension: } 5 \times 2",
                  r"\text{The output is } 5\times2", r"\textrm{shape} \; 5 \times 2",
                  r"\mathbb{R}^{5\times2} \text{ (one filter)}",
                  r"5 \times 2 \quad \text{(row vectors)}", r"\mathrm{dimension}\ 5 \times 2"):
        assert parse_claim(latex, Q11A) == (ShapeClaim(None, (5, 2)),), latex
    with pytest.raises(ParseError):  # never dropped: `h[t]` alone is read, and is no claim
        parse_claim(r"c[t] \in \mathbb{R}^m, \text{ the same as } h[t]", RNN)
    (claim,) = parse_claim(r"y_j = \sum_{k=1}^{3} W_{1,c,k} x_{c,k} \text{ where } c = 1", CONV)
    assert isinstance(claim, FormulaClaim)
    assert parse_claim(r"\text{dimension } 1 \times 3, \quad y_j = x_{1,j}", CONV) == (
        ShapeClaim(None, (1, 3)), FormulaClaim(Ref("y", None, (j,)), el("x", 1, j)))
    with pytest.raises(ParseError, match="the function `sign`"):
        parse_expression(r"\text{sign}(x_{1,1})", CONV)
    assert parse_expression(r"\text{diag}(c[t])", RNN) == Diag(mat("c"))
    cases = r"\begin{cases} 1 & \text{if } i = j \\ 0 & \text{otherwise} \end{cases}"
    assert parse_expression(cases, VEC) == sp.Piecewise((1, sp.Eq(i, j)), (0, True))


def test_prime_transposes():
    assert parse_expression(r"x[t]' + W_x' + x^{\prime}", RNN) == (
        2 * Transpose(mat("x")) + Transpose(mat("W_x")))
    claim = _system(r"w_i[t] = q_i[t]' k_i[t] \\ h[t] = x[t]")
    assert claim.equations[0][1] == Transpose(AtTime(fam("q", i), t)) * AtTime(fam("k", i), t)
    (f,) = parse_claim(r"\frac{\partial y_j}{\partial x_{c,l'}} = W_{c,l'-2j+2}", CONV)
    assert f.lhs.wrt_indices == (c_, idx("l'"))
    s = sigmoid(mat("z"))
    assert parse_expression(r"\sigma'(z)", VEC) == Hadamard(s, 1 - s)
    with pytest.raises(ParseError):
        parse_expression(r"n'", RNN)


def test_shifted_left_side_index_is_renamed():
    (f,) = parse_claim(r"\frac{\partial y_j}{\partial W_{c,m+1}} = x_{c,2j-1+m}", CONV)
    assert f.lhs.wrt_indices == (c_, m_) and f.rhs == el("x", c_, 2 * j + m_ - 2)
    (f,) = parse_claim(r"y_{j+1} = x_{1,j}", CONV)
    assert f.lhs.of_indices == (j,) and f.rhs == el("x", 1, j - 1)
    (f,) = parse_claim(r"\frac{\partial y_j}{\partial x_{c,2j+1}} = W_{1,c,3}", CONV)
    assert f.lhs.wrt_indices == (c_, 2 * j + 1)


def test_all_ones_vector_and_indicators():
    for ones in (r"\mathbf{1}", r"\vec{1}", r"\mathbb{1}", r"\boldsymbol{1}", r"\mathbf{1}_m"):
        assert parse_expression(ones + r" - c[t]", RNN) == 1 - mat("c"), ones
    assert parse_expression(r"\text{diag}(1 - c[t])", RNN) == Diag(1 - mat("c"))
    inside = sp.Piecewise((1, sp.Eq(i, j)), (0, True))
    for latex in (r"\mathbb{1}\{i = j\}", r"\mathbb{1}[i = j]", r"\mathbf{1}_{i=j}"):
        assert parse_expression(latex, VEC) == inside


def test_output_aliases_as_the_question_names_them():
    decls = Declarations(tensors=(
        TensorDecl("x", (5, 7)), TensorDecl("W", (1, 5, 3)),
        TensorDecl("y", (1, 3), ("f(x)", "s", r"(x * k)", r"(x \ast k)"))))
    assert parse_claim(r"f(x) \in \mathbb{R}^{1 \times 3}", decls) == (
        ShapeClaim(Ref("y", None), (1, 3)),)
    for lhs in ("s[j]", r"(x * k)[j]", r"(x \ast k)[j]"):
        (f,) = parse_claim(lhs + r" = x[1, j]", decls)
        assert f.lhs == Ref("y", None, (j,)), lhs


def test_worked_computations_and_other_sets():
    latex = (r"\left\lfloor \frac{21-4}{4} \right\rfloor + 1 \times \left\lfloor \frac{12-5}{4} "
             r"\right\rfloor + 1 = 5 \times 2")
    links, shape = parse_claim(latex, Q11A)
    assert shape == ShapeClaim(None, (5, 2))
    assert [value for _, value in links.pieces] == [sp.Tuple(5, 2)] * 2
    assert parse_claim(r"c[t] \in \left[0, 1\right]^{m}", RNN) == (
        ShapeClaim(Ref("c", None), (m,), (0, 1, False, False)),)
    assert parse_claim(r"c[t] \in (0,1)^m", RNN) == (
        ShapeClaim(Ref("c", None), (m,), (0, 1, True, True)),)
    assert parse_claim(r"\dim c[t] = m", RNN) == (ShapeClaim(Ref("c", None), (m,)),)
    assert parse_claim(r"\text{dim}(c[t]) = m", RNN) == (ShapeClaim(Ref("c", None), (m,)),)
    assert parse_claim(r"a[t] \in \Delta^{2} \subset \mathbb{R}^{3}", ATT2) == (
        ShapeClaim(Ref("a", None), (3,)),)
    with pytest.raises(ParseError):
        parse_claim(r"c[t] \in [0, 1]", RNN)


def test_softargmax_of_listed_scores():
    claim = _system(r"a[t] = \text{softmax}(w_0[t], \ldots, w_k[t]) \\ h[t] = x[t]")
    assert claim.equations[0][1] == Softargmax(Stack(
        AtTime(fam("w", 0), t), sp.Symbol("..."), AtTime(fam("w", k), t)))


# never judged on part of a claim; local definitions; worked computations (issue 11) ---------
STRIDE_IGNORED = (r"f_W(x) \in \mathbb{R}^{1\times 3}, \text{ with } f_W(x)[1,j] = "
                  r"\sum_{c=1}^{5}\sum_{k=1}^{3} W[1,c,k] x[c, j+k]")


@pytest.mark.parametrize("joiner", [r"\text{ with }", r"\text{ where }", r"\text{ and }",
                                    r"\text{ since }", r"\text{ s.t. }", r"\text{ because }"])
def test_joining_words_never_hide_a_part(joiner):
    import symgrad as sg

    claim = STRIDE_IGNORED.replace(r"\text{ with }", joiner)
    v = sg.check("1.1.c.i", claim)
    assert v.verdict == "incorrect", v.format()
    right = claim.replace("j+k]", "2j+k-2]")
    assert sg.check("1.1.c.i", right).verdict == "correct"


def test_local_definitions_with_a_parameter_and_helper_sizes():
    import symgrad as sg

    base = r"f_W(x)[1,j] = \sum_{c=1}^{5}\sum_{k=1}^{3} W[1,c,k] x[c, s_j+k-1]"
    assert sg.check("1.1.c.i", base + r" \text{ where } s_p = 2p - 1").verdict == "correct"
    assert sg.check("1.1.c.i", base + r" \text{ where } s_p = 2p").verdict == "incorrect"
    assert sg.check("1.1.c.i", r"g_j := 2j - 1, \quad f_W(x)[1,j] = \sum_{c=1}^{5}"
                    r"\sum_{k=1}^{3} W[1,c,k] x[c, g_j+k-1]").verdict == "correct"
    keff = r"\text{let } K_{eff} = D(K-1)+1, \quad H_{out} = \lfloor \frac{H + 2P - K_{eff}}{S} "
    assert sg.check("1.1.b", keff + r"\rfloor + 1").verdict == "correct"
    assert sg.check("1.1.b", keff + r"+ 1 \rfloor + 1").verdict == "incorrect"
    named = (r"H_{\text{out}} = \lfloor \frac{H + 2P - D(K-1) - 1}{S} \rfloor + 1, W_{\text{out}} "
             r"= \lfloor \frac{W + 2P - D(K-1) - 1}{S} \rfloor + 1, f_W(x) \in "
             r"\mathbb{R}^{F \times H_{\text{out}} \times W_{\text{out}}}")
    assert sg.check("1.1.b", named).verdict == "correct"
    assert sg.check("1.1.a", r"F \times 5 \times 2 \text{ with } F = 1").verdict == "correct"


def test_definitions_from_earlier_in_a_write_up():
    import symgrad as sg

    claim = r"f_W(x)[1,j] = \sum_{c=1}^{5}\sum_{k=1}^{3} W[1,c,k] x[c, s_j+k-1]"
    v = sg.check("1.1.c.i", claim, definitions=[r"\text{let } s_p = 2p - 1"])
    assert v.verdict == "correct", v.format()
    v = sg.check("1.1.c.i", claim, definitions=[r"s_p := 2p + 1"])
    assert v.verdict == "incorrect"


def test_a_definition_nothing_uses_is_not_judged():
    import symgrad as sg

    v = sg.check("1.1.c.i", r"f_W(x) \in \mathbb{R}^{1 \times 3} \text{ where } t_p = 2p - 1")
    assert v.verdict == "unparsed" and "t_p" in v.explanation


def test_every_link_of_a_worked_computation_is_checked():
    import symgrad as sg

    ok = (r"H_{out} = \lfloor\frac{21-4}{4}\rfloor + 1 = 5, \quad "
          r"W_{out} = \lfloor\frac{12-5}{4}\rfloor + 1 = 2")
    assert sg.check("1.1.a", ok).verdict == "correct"
    v = sg.check("1.1.a", ok.replace("= 2", "= 3"))
    assert v.verdict == "incorrect" and "does not hold" in v.explanation
    v = sg.check("1.1.a", r"H_{out} = \lfloor\frac{21-4}{4}\rfloor = 4")
    assert v.verdict == "incorrect"
    assert sg.check("1.1.a", r"\frac{21-4}{4}+1 = 5.25").verdict == "incorrect"
    assert sg.check("1.1.a", r"\lfloor\frac{21-4}{4}\rfloor + 1 = 5").verdict == "correct"
    assert sg.check("1.1.a", r"\lfloor\frac{21-4}{4}\rfloor = 4").verdict == "unparsed"


def test_ranges_after_a_formula_and_their_index_base():
    import symgrad as sg

    formula = r"f_W(x)[1, j] = \sum_{c=1}^{5} \sum_{m=1}^{3} W[1, c, m] x[c, 2(j-1) + m]"
    assert sg.check("1.1.c.i", formula + r", \quad j = 1, 2, 3").verdict == "correct"
    assert sg.check("1.1.c.i", formula + r" \text{ for } 1 \le j \le 3").verdict == "correct"
    assert sg.check("1.1.c.i", formula + r", \quad j = 1, 2").verdict == "unparsed"
    zero = r"f_W(x)[0, j] = \sum_{c=0}^{4} \sum_{m=0}^{2} W[0, c, m] x[c, 2j + m]"
    v = sg.check("1.1.c.i", zero + r", \quad j = 0, 1, 2")
    assert v.verdict == "correct" and "read 0-based, as its ranges state" in v.notes
    assert sg.check("1.1.c.i", zero, index_base=0).verdict == "correct"
    assert sg.check("1.1.c.i", zero).verdict == "incorrect"


def test_time_written_with_parentheses_and_superscripts():
    import symgrad as sg

    assert sg.check("1.2.1.b", r"c^{(t)} \in \mathbb{R}^m").verdict == "correct"
    claim = (r"\frac{\partial \ell}{\partial W_x} = \sum_{t=1}^{K} \left(\frac{\partial \ell}"
             r"{\partial h(t)} \odot (1 - c(t))\right) x(t)^\top")
    assert sg.check("1.2.1.c", claim).verdict == "correct"
    assert sg.check("1.2.1.c", claim.replace("(1 - c(t))", "c(t)")).verdict == "incorrect"


def test_an_entry_of_a_derivative_in_brackets():
    import symgrad as sg

    claim = r"\frac{\partial f_W(x)}{\partial W}[1, j, 1, c, k] = x[c, 2j + k - 2]"
    assert sg.check("1.1.c.ii", claim).verdict == "correct"
    assert sg.check("1.1.c.ii", claim.replace("- 2]", "- 1]")).verdict == "incorrect"
    grad = (r"\frac{\partial\ell}{\partial W}[1, c, k]=\sum_{j=1}^{3} \frac{\partial\ell}"
            r"{\partial f_W(x)}[1, j] x[c, 2j+k-2]")
    assert sg.check("1.1.c.iv", grad).verdict == "correct"


def test_content_errors_are_verdicts_with_positions():
    import symgrad as sg

    v = sg.check("1.1.c.i", r"f_W(x)[1, j] = Z_{j}")
    assert v.verdict == "unparsed" and v.counterexample["position"] == 15
    v = sg.check("1.1.b", r"F \times \text{floor}(\frac{H+2P-D(K-1)-1}{S}) + 1")
    assert v.verdict != "correct"


def test_the_writers_own_scalars_are_free_sizes_any_value():
    # "Define the padding on top $P_{H1}$" (carried as P_{H1} \in R) and the per-axis sizes
    # S_H, K_H, D_H of a declared stride, kernel and dilation: an identity over them is
    # checked for every value, and a wrong one is caught with its values
    import symgrad as sg

    defs = [r"P_{H1} \in \mathbb{R}", r"P_{H2} \in \mathbb{R}", r"H_P = P_{H1} + P_{H2} + H"]
    lhs = r"H_{PKS} = \left\lfloor \frac{H_P - [D_H(K_H - 1)+1]+S_H}{S_H} \right\rfloor"
    rhs = r"\left\lfloor\frac{P_{H1} + P_{H2} + H - [D_H(K_H - 1)+1]}{S_H}\right\rfloor"
    # floor((x + s) / s) = floor(x / s) + 1 for whole x and s >= 1, checked independently
    assert all((x + s) // s == x // s + 1 for x in range(-20, 20) for s in range(1, 7))
    assert sg.check("1.1.b", f"{lhs} = {rhs} + 1", definitions=defs).verdict == "correct"
    wrong = sg.check("1.1.b", f"{lhs} = {rhs} + 2", definitions=defs)
    assert wrong.verdict == "incorrect" and "does not hold for" in wrong.explanation
    # a name never declared is not judged, never a guess; declared, it is any value
    own = r"H_{Q} = Z_{top} + 1 = 2 + Z_{top} - 1"
    assert sg.check("1.1.b", own).verdict == "unparsed"
    assert sg.check("1.1.b", own, definitions=[r"Z_{top} \in \mathbb{R}"]).verdict == "correct"
    # H_1 is no per-axis size of a kernel, stride, padding or dilation: not judged
    assert sg.check("1.1.b", r"H_{PK} = H_1 - 1 = P_{H1} + P_{H2} + H - 1",
                    definitions=defs).verdict == "unparsed"


def test_a_definition_that_cannot_be_read_stops_only_the_claims_that_use_it():
    import symgrad as sg

    bad = r"H_{PK} := H_1 - [D_H(K_H - 1)+1]"
    assert sg.check("1.1.b", r"K_{eff} = K + (K-1)(D-1) = D(K-1)+1",
                    definitions=[bad]).verdict == "correct"
    assert sg.check("1.1.b", r"H_{Q} = H_{PK} + 1 = 1 + H_{PK}",
                    definitions=[bad]).verdict == "unparsed"


def test_words_that_name_the_answer_on_the_left():
    import symgrad as sg

    # 1.1.a: floor((21 - 4)/4) + 1 = 5, floor((12 - 5)/4) + 1 = 2
    assert ((21 - 4) // 4 + 1, (12 - 5) // 4 + 1) == (5, 2)
    assert sg.check("1.1.a", r"\text{Output} = 5 \times 2").verdict == "correct"
    assert sg.check("1.1.a", r"\text{Output size} = 6 \times 2").verdict == "incorrect"
    # the input's size is no answer: not judged, saying why
    v = sg.check("1.1.a", r"\text{Input size} = 21 \times 12")
    assert v.verdict == "unparsed" and "the left side is words (`Input size`)" in v.explanation


def test_a_derivative_operator_on_the_expression_it_differentiates():
    import symgrad as sg

    lhs = (r"\frac{\partial f_W(x)[1, i]}{\partial W[1, c', m']} = "
           r"\frac{\partial}{\partial W[1, c', m']}")
    right = lhs + r" \left( \sum_{c=1}^{5} \sum_{m=1}^{3} W[1, c, m] \cdot x[c, 2i - 2 + m] \right)"
    wrong = lhs + r" \left( \sum_{c=1}^{5} \sum_{m=1}^{3} W[1, c, m] \cdot x[c, 2i + m - 3] \right)"
    assert sg.check("1.1.c.ii", right).verdict == "correct"
    assert sg.check("1.1.c.ii", wrong).verdict == "incorrect"


def test_a_shape_worked_out_from_the_writers_named_sizes():
    import symgrad as sg

    # spring 2021's 1.1.a: a 10 x 11 image, a 3 x 3 kernel, stride 2 -> 4 x 5
    assert ((10 - 3) // 2 + 1, (11 - 3) // 2 + 1) == (4, 5)
    defs = ["n_H = 4", "n_W = 5"]
    right = sg.check("1.1.a", r"n_H \times n_W = 4 \times 5", definitions=defs,
                     set="hw2-spring2021")
    assert right.verdict == "correct"
    assert sg.check("1.1.a", r"n_H \times n_W = 4 \times 6", definitions=defs,
                    set="hw2-spring2021").verdict == "incorrect"


def test_an_entry_of_a_tensor_at_a_step_written_with_two_brackets():
    import symgrad as sg

    # tongshanyin's z[t][p]: entry p of z at step t, as h[t]_p
    right = (r"\frac{\partial \ell}{\partial W_x}[i, j] = \sum_{t=1}^{K} \sum_{p=1}^{m} "
             r"\frac{\partial \ell}{\partial h[t][p]} \frac{\partial h[t][p]}{\partial W_x[i, j]}")
    assert sg.check("1.2.1.c", right).verdict == "correct"
    # the immediate Jacobian is diagonal in (p, i): only p = i adds, so this is right too
    assert sg.check("1.2.1.c", right.replace(r"\sum_{p=1}^{m} ", "").replace("[p]", "[i]")
                    ).verdict == "correct"
    assert sg.check("1.2.1.c", right.replace("^{K}", "^{K-1}")).verdict == "incorrect"


def test_a_functions_argument_in_square_brackets():
    import symgrad as sg

    # gcalbertini's diag[...]: dc[t]/dh[t-1] = diag(c (1 - c)) W_h
    right = r"\frac{\partial c[t]}{\partial h[t-1]} = diag[c[t] \odot (1 - c[t])] W_h"
    assert sg.check("1.2.1.d", right).verdict == "correct"
    assert sg.check("1.2.1.d", r"\frac{\partial c[t]}{\partial h[t-1]} = diag[c[t]] W_h"
                    ).verdict == "incorrect"
