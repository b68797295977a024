"""Matrix functions of the one table of operations (issue 24, item 1): determinants,
log-determinants, inverses and matrix powers, norms, the inner product ``w \\cdot x`` and
element-wise division ``\\oslash``, through the public API (``sg.Model.from_latex``).

Every derivative is checked against central finite differences written here with NumPy,
on random non-symmetric matrices (well-conditioned: n I added) at several sizes; the
printed LaTeX is read back (by the checker and by ``Model.from_latex``), and a plausible
wrong variant is shown to differ numerically and not to be judged correct.
"""

import numpy as np
import pytest
import sympy as sp
from reference import grad_fd

import symgrad as sg

SIZES = (2, 3, 5)



def square(rng, n: int) -> np.ndarray:
    """A random non-symmetric, well-conditioned n x n matrix."""
    a = rng.normal(size=(n, n)) + n * np.eye(n)
    assert not np.allclose(a, a.T)
    return a


def close(a, b, tol=1e-5):
    np.testing.assert_allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float),
                               rtol=tol, atol=tol)


def derive(text: str, shapes: dict, of: str, wrt: str):
    return sg.Model.from_latex(text, shapes=shapes).jacobian(of, wrt)


def checks(q, claim: str) -> str:
    return q.check(claim).verdict


# determinants ---------------------------------------------------------------------------
def test_det_derivative_is_det_times_inverse_transpose():
    q = derive(r"f = \det(X)", {"X": "n x n"}, "f", "X")
    matrix = q.latex(form="matrix")
    assert matrix == r"\frac{\partial f}{\partial X} = f X^{-\top}"
    n = sp.Symbol("n", integer=True, positive=True)
    assert q.shape == (n, n)  # derived once, with a symbolic size
    rng = np.random.default_rng(0)
    for size in SIZES:
        X = square(rng, size)
        want = grad_fd(lambda X: np.linalg.det(X), {"X": X}, "X")
        close(q.evaluate({"X": X}), want)
        close(q.evaluate({"X": X}, form="matrix"), want)
        # the wrong variant det(X) X^{-1} (no transpose) differs on a non-symmetric X
        assert not np.allclose(np.linalg.det(X) * np.linalg.inv(X), want, atol=1e-4)


def test_det_derivative_reads_back_and_a_wrong_variant_is_caught():
    q = derive(r"f = \det(X)", {"X": "n x n"}, "f", "X")
    lhs = r"\frac{\partial f}{\partial X} = "
    assert checks(q, q.latex()) == "correct"
    assert checks(q, q.latex(form="matrix")) == "correct"
    assert checks(q, lhs + r"\det(X) X^{-\top}") == "correct"
    assert checks(q, lhs + r"\det X \left(X^{-1}\right)^\top") == "correct"
    # det(X) X^{-1} is the numerator layout (the transpose of the gradient): correct, named
    numerator = q.check(lhs + r"\det(X) X^{-1}")
    assert numerator.verdict == "correct"
    assert any(n.startswith("numerator layout") for n in numerator.notes)
    assert not any(n.startswith("numerator") for n in q.check(lhs + r"\det(X) X^{-\top}").notes)
    assert checks(q, lhs + r"|\det X| X^{-\top}") == "incorrect"
    assert checks(q, lhs + r"X^{-\top}") == "incorrect"


@pytest.mark.parametrize("text", [r"f = \log\det X", r"f = \log\det(X)",
                                  r"f = \log|\det X|", r"f = \ln|\det(X)|",
                                  r"f = \ln \left|\det X\right|"])
def test_log_det_derivative_is_the_inverse_transpose(text):
    q = derive(text, {"X": "n x n"}, "f", "X")
    assert q.latex(form="matrix") == r"\frac{\partial f}{\partial X} = X^{-\top}"
    rng = np.random.default_rng(1)
    absolute = "|" in text
    for size in SIZES:
        X = square(rng, size)
        if absolute:  # log|det X| is defined for either sign of det X
            X[0] = -X[0]
        assert np.linalg.det(X) < 0 if absolute else np.linalg.det(X) > 0
        want = grad_fd(lambda X: np.log(abs(np.linalg.det(X))), {"X": X}, "X")
        close(q.evaluate({"X": X}), want)
        close(q.evaluate({"X": X}, form="matrix"), want)
        assert not np.allclose(np.linalg.inv(X), want, atol=1e-4)
    assert checks(q, q.latex()) == "correct"
    assert checks(q, r"\frac{\partial f}{\partial X} = X^{-T}") == "correct"
    numerator = q.check(r"\frac{\partial f}{\partial X} = X^{-1}")  # numerator layout
    assert numerator.verdict == "correct"
    assert any(n.startswith("numerator layout") for n in numerator.notes)
    assert checks(q, r"\frac{\partial f}{\partial X} = -X^{-\top}") == "incorrect"
    assert checks(q, r"\frac{\partial f}{\partial X} = X") == "incorrect"


def test_hessian_of_log_det():
    h = sg.Model.from_latex(r"f = \log\det X", shapes={"X": "n x n"}).hessian("f", "X")
    rng = np.random.default_rng(15)
    for size in SIZES:
        X = square(rng, size)

        def grad(X):
            return np.linalg.inv(X).T  # d log det X / dX, the known closed form
        close(h.evaluate({"X": X}), grad_fd(grad, {"X": X}, "X"))


def test_det_of_a_product_and_through_a_named_determinant():
    shapes = {"A": "n x n", "X": "n x n", "B": "n x n"}
    q = derive(r"f = \det(A X B)", shapes, "f", "X")
    assert q.latex(form="matrix") == (
        r"\frac{\partial f}{\partial X} = f A^{\top} \left(A X B\right)^{-\top} B^{\top}")
    chained = derive(r"d = \det(X) \\ f = \log d", {"X": "n x n"}, "f", "X")
    assert chained.latex(form="matrix") == r"\frac{\partial f}{\partial X} = X^{-\top}"
    rng = np.random.default_rng(2)
    for size in SIZES:
        A, X, B = (square(rng, size) for _ in range(3))
        want = grad_fd(lambda A, X, B: np.linalg.det(A @ X @ B), {"A": A, "X": X, "B": B}, "X")
        close(q.evaluate({"A": A, "X": X, "B": B}), want, 1e-4)
        close(q.evaluate({"A": A, "X": X, "B": B}, form="matrix"), want, 1e-4)
        close(chained.evaluate({"X": X}),
              grad_fd(lambda X: np.log(np.linalg.det(X)), {"X": X}, "X"))
    assert checks(q, q.latex(form="matrix")) == "correct"
    assert checks(q, r"\frac{\partial f}{\partial X} = \det(A X B) A^\top (A X B)^{-\top} "
                     r"B^\top") == "correct"
    assert checks(q, r"\frac{\partial f}{\partial X} = \det(A X B) (A X B)^{-\top}") \
        != "correct"


def test_det_of_a_matrix_that_is_not_square_is_refused():
    with pytest.raises(sg.SymgradError, match="square"):
        sg.Model.from_latex(r"f = \det(B)", shapes={"B": "m x n"})


# inverses and powers --------------------------------------------------------------------
def test_trace_of_a_product_with_an_inverse():
    shapes = {"A": "p x n", "X": "n x n", "B": "n x p"}
    q = derive(r"f = \operatorname{tr}(A X^{-1} B)", shapes, "f", "X")
    assert q.latex(form="matrix") == (
        r"\frac{\partial f}{\partial X} = - X^{-\top} A^{\top} B^{\top} X^{-\top}")
    rng = np.random.default_rng(3)
    for size in SIZES:
        p = size + 1
        A, B = rng.normal(size=(p, size)), rng.normal(size=(size, p))
        X = square(rng, size)
        data = {"A": A, "X": X, "B": B}
        want = grad_fd(lambda A, X, B: np.trace(A @ np.linalg.inv(X) @ B), data, "X")
        close(q.evaluate(data), want)
        close(q.evaluate(data, form="matrix"), want)
        inv = np.linalg.inv(X)
        assert not np.allclose(-inv @ A.T @ B.T @ inv, want, atol=1e-4)  # no transposes
    # dimension-generic: written in whole matrices, no entry of any n x n matrix spelled out
    assert not q.matrix.atoms(sp.Indexed) and not q.matrix.has(sp.Sum)
    assert checks(q, q.latex()) == "correct"
    assert checks(q, q.latex(form="matrix")) == "correct"
    assert checks(q, r"\frac{\partial f}{\partial X} = - X^{-1} A^{\top} B^{\top} X^{-1}") \
        != "correct"
    assert checks(q, r"\frac{\partial f}{\partial X} = X^{-\top} A^{\top} B^{\top} X^{-\top}") \
        == "incorrect"


def test_bilinear_form_with_an_inverse():
    shapes = {"a": "n", "X": "n x n", "b": "n"}
    q = derive(r"f = a^\top X^{-1} b", shapes, "f", "X")
    assert q.latex(form="matrix") == (
        r"\frac{\partial f}{\partial X} = - X^{-\top} a b^{\top} X^{-\top}")
    rng = np.random.default_rng(4)
    for size in SIZES:
        data = {"a": rng.normal(size=size), "X": square(rng, size), "b": rng.normal(size=size)}
        want = grad_fd(lambda a, X, b: a @ np.linalg.inv(X) @ b, data, "X")
        close(q.evaluate(data), want)
        close(q.evaluate(data, form="matrix"), want)
    assert checks(q, q.latex()) == "correct"
    assert checks(q, q.latex(form="matrix")) == "correct"
    assert checks(q, r"\frac{\partial f}{\partial X} = - X^{-\top} b a^{\top} X^{-\top}") \
        == "incorrect"


def test_the_inverse_as_a_definition_and_its_derivative_read_back_by_the_reader():
    q = derive(r"Y = X^{-1}", {"X": "n x n"}, "Y", "X")  # n x n x n x n
    rng = np.random.default_rng(5)
    for size in SIZES:
        X = square(rng, size)
        close(q.evaluate({"X": X}), grad_fd(lambda X: np.linalg.inv(X), {"X": X}, "X"))
    # the printed matrix forms, read by Model.from_latex as definitions, give the numbers
    det = derive(r"f = \det(X)", {"X": "n x n"}, "f", "X").latex(form="matrix")
    inv = derive(r"f = \operatorname{tr}(A X^{-1} B)", {"A": "n x n", "X": "n x n",
                                                          "B": "n x n"}, "f", "X")
    rhs_det = det.split("=", 1)[1].replace("f", r"\det(X)")
    rhs_inv = inv.latex(form="matrix").split("=", 1)[1]
    m = sg.Model.from_latex(f"g = {rhs_det} \\\\ h = {rhs_inv}",
                            shapes={"X": "n x n", "A": "n x n", "B": "n x n"})
    for size in SIZES:
        X, A, B = square(rng, size), rng.normal(size=(size, size)), rng.normal(size=(size, size))
        close(m.value("g").evaluate({"X": X}), np.linalg.det(X) * np.linalg.inv(X).T)
        i = np.linalg.inv(X)
        close(m.value("h").evaluate({"X": X, "A": A, "B": B}), -i.T @ A.T @ B.T @ i.T)
        index = m.value("h").latex()
        assert r"\left(X^{-1}\right)" in index


def test_matrix_powers_in_a_trace():
    shapes = {"X": "n x n", "A": "n x n"}
    cases = [(r"f = \operatorname{tr}(X X)", lambda X, A: np.trace(X @ X)),
             (r"f = \mathrm{Tr}(X^3)", lambda X, A: np.trace(X @ X @ X)),
             (r"f = \mathrm{tr}(X^2 A)", lambda X, A: np.trace(X @ X @ A)),
             (r"f = \operatorname{Tr}(X^{-2} A)",
              lambda X, A: np.trace(np.linalg.inv(X @ X) @ A))]
    rng = np.random.default_rng(6)
    for text, fn in cases:
        q = derive(text, shapes, "f", "X")
        assert q.matrix is not None, text
        for size in SIZES:
            data = {"X": square(rng, size), "A": rng.normal(size=(size, size))}
            want = grad_fd(fn, data, "X")
            given = {k: v for k, v in data.items() if k in q.inputs}
            close(q.evaluate(given), want, 1e-4)
            close(q.evaluate(given, form="matrix"), want, 1e-4)
        assert checks(q, q.latex(form="matrix")) == "correct", text


def test_a_matrix_times_a_vector_with_powers_and_inverses():
    rng = np.random.default_rng(7)
    for text, fn in [(r"y = A^2 x", lambda A, x: A @ A @ x),
                     (r"y = A^{-1} x", lambda A, x: np.linalg.solve(A, x))]:
        m = sg.Model.from_latex(text, {"x": "n", "A": "n x n"})
        for wrt in ("x", "A"):
            q = m.jacobian("y", wrt)
            for size in SIZES:
                data = {"A": square(rng, size), "x": rng.normal(size=size)}
                close(q.evaluate(data), grad_fd(fn, data, wrt), 1e-4)


def test_fractional_matrix_powers_are_refused():
    with pytest.raises(sg.SymgradError, match="whole powers"):
        sg.Model.from_latex(r"y = A^{1/2} x", {"x": "n", "A": "n x n"})


# norms and inner products ---------------------------------------------------------------
NORMS = [
    (r"f = \|x\|_2^2", {"x": "n"}, "x", lambda x: x @ x),
    (r"f = \|x\|^2", {"x": "n"}, "x", lambda x: x @ x),
    (r"f = \|x\|_2", {"x": "n"}, "x", lambda x: np.sqrt(x @ x)),
    (r"f = \lVert x \rVert", {"x": "n"}, "x", lambda x: np.sqrt(x @ x)),
    (r"f = \|X\|_F^2", {"X": "m x n"}, "X", lambda X: np.sum(X * X)),
    (r"f = \|X\|_F", {"X": "m x n"}, "X", lambda X: np.sqrt(np.sum(X * X))),
]


@pytest.mark.parametrize("text,shapes,wrt,fn", NORMS, ids=[c[0] for c in NORMS])
def test_norm_derivatives(text, shapes, wrt, fn):
    q = derive(text, shapes, "f", wrt)
    rng = np.random.default_rng(8)
    for size in SIZES:
        x = rng.normal(size=(size + 1, size) if wrt == "X" else size)
        want = grad_fd(lambda **a: fn(a[wrt]), {wrt: x}, wrt)
        close(q.evaluate({wrt: x}), want)
        close(q.evaluate({wrt: x}, form="matrix"), want)
    assert checks(q, q.latex()) == "correct"
    assert checks(q, q.latex(form="matrix")) == "correct"


def test_least_squares_gradient():
    shapes = {"A": "m x n", "x": "n", "b": "m"}
    q = derive(r"f = \|A x - b\|_2^2", shapes, "f", "x")
    assert q.latex(form="matrix") == (
        r"\frac{\partial f}{\partial x} = 2 A^{\top} \left(A x - b\right)")
    rng = np.random.default_rng(9)
    for size in SIZES:
        data = {"A": rng.normal(size=(size + 2, size)), "x": rng.normal(size=size),
                "b": rng.normal(size=size + 2)}
        want = grad_fd(lambda A, x, b: np.sum((A @ x - b) ** 2), data, "x")
        close(q.evaluate(data), want)
        close(q.evaluate(data, form="matrix"), want)
    assert checks(q, r"\frac{\partial f}{\partial x} = 2 A^\top (A x - b)") == "correct"
    assert checks(q, r"\frac{\partial f}{\partial x} = A^\top (A x - b)") == "incorrect"
    assert checks(q, r"\frac{\partial f}{\partial x} = 2 (A x - b)^\top A") != "incorrect"


def test_l1_norm_of_a_vector_and_of_a_named_residual():
    shapes = {"A": "m x n", "x": "n", "b": "m"}
    rng = np.random.default_rng(13)
    for text, fn in [(r"f = \|x\|_1", lambda A, x, b: np.sum(np.abs(x))),
                     (r"r = A x - b \\ f = \|r\|_1", lambda A, x, b: np.sum(np.abs(A @ x - b)))]:
        q = derive(text, shapes, "f", "x")
        for size in SIZES:
            data = {"A": rng.normal(size=(size + 1, size)), "x": rng.normal(size=size),
                    "b": rng.normal(size=size + 1)}
            given = {k: v for k, v in data.items() if k in q.inputs}
            want = grad_fd(fn, data, "x")
            close(q.evaluate(given), want)
            close(q.evaluate(given, form="matrix"), want)
        assert checks(q, q.latex()) == "correct"
    with pytest.raises(sg.SymgradError, match="named vector"):
        sg.Model.from_latex(r"f = \|A x - b\|_1", shapes=shapes)


@pytest.mark.parametrize("text,fn,wrt", [
    (r"f = w \cdot x", lambda w, x, A: w @ x, "x"),
    (r"f = w \cdot x", lambda w, x, A: w @ x, "w"),
    (r"f = x \cdot \tanh(x)", lambda w, x, A: x @ np.tanh(x), "x"),
    (r"f = x \cdot (A x)", lambda w, x, A: x @ A @ x, "x"),
    (r"f = 2 w \cdot x + 1", lambda w, x, A: 2 * (w @ x) + 1, "x"),
])
def test_cdot_of_two_vectors_is_their_inner_product(text, fn, wrt):
    q = derive(text, {"w": "n", "x": "n", "A": "n x n"}, "f", wrt)
    assert q.shape == (sp.Symbol("n", integer=True, positive=True),)
    rng = np.random.default_rng(10)
    for size in SIZES:
        data = {"w": rng.normal(size=size), "x": rng.normal(size=size),
                "A": rng.normal(size=(size, size))}
        want = grad_fd(fn, data, wrt)
        close(q.evaluate({k: v for k, v in data.items() if k in q.inputs}), want)
    assert checks(q, q.latex()) == "correct"


def test_cdot_with_a_scalar_is_still_a_product():
    q = derive(r"y = a \cdot x", {"a": "", "x": "n"}, "y", "x")
    rng = np.random.default_rng(11)
    a, x = rng.normal(), rng.normal(size=4)
    close(q.evaluate({"a": a, "x": x}), a * np.eye(4))


# element-wise division ------------------------------------------------------------------
@pytest.mark.parametrize("text,fn,wrt", [
    (r"y = x \oslash w", lambda x, w, A: x / w, "x"),
    (r"y = x \oslash w", lambda x, w, A: x / w, "w"),
    (r"y = (A x) \oslash w", lambda x, w, A: (A @ x) / w, "x"),
    (r"y = x \oslash w \odot x", lambda x, w, A: x / w * x, "x"),
    (r"y = \exp(x) \oslash (\mathbf{1}^\top \exp(x))",
     lambda x, w, A: np.exp(x) / np.sum(np.exp(x)), "x"),
])
def test_elementwise_division(text, fn, wrt):
    q = derive(text, {"x": "n", "w": "n", "A": "n x n"}, "y", wrt)
    rng = np.random.default_rng(12)
    for size in SIZES:
        data = {"x": rng.normal(size=size), "w": rng.uniform(1, 2, size=size),
                "A": rng.normal(size=(size, size))}
        want = grad_fd(fn, data, wrt)
        close(q.evaluate({k: v for k, v in data.items() if k in q.inputs}), want)
        if q.matrix is not None:
            close(q.evaluate({k: v for k, v in data.items() if k in q.inputs},
                             form="matrix"), want)
    assert checks(q, q.latex()) == "correct"


def test_a_reciprocal_prints_with_the_ones_vector_and_reads_back():
    q = derive(r"y = x \oslash w", {"x": "n", "w": "n"}, "y", "x")
    assert q.latex(form="matrix") == (
        r"\frac{\partial y}{\partial x} = \operatorname{diag}\left(\mathbf{1} \oslash w\right)")
    assert checks(q, q.latex(form="matrix")) == "correct"
    assert checks(q, r"\frac{\partial y}{\partial x} = \operatorname{diag}(w)") == "incorrect"
    w = np.random.default_rng(14).uniform(1, 2, size=4)
    close(q.evaluate({"w": w}, form="matrix"), np.diag(1 / w))


def test_oslash_prints_and_reads_back():
    q = derive(r"y = x \oslash w \odot x", {"x": "n", "w": "n"}, "y", "x")
    matrix = q.latex(form="matrix")
    assert r"\oslash" in matrix
    assert checks(q, matrix) == "correct"
    wrong = matrix.replace(r"\oslash", r"\odot")
    assert checks(q, wrong) == "incorrect"
