"""Hessians of the reference identities (issue 24, item 5): x^T A x, ||A x - b||^2,
logsumexp and log det X, derived with symbolic sizes, printed in index (and, where it
exists, matrix) form, evaluated with NumPy and compared with central differences of the
gradient written independently here, at several sizes, on non-symmetric matrices."""

import numpy as np
import pytest
from reference import grad_fd

import symgrad as sg

SIZES = (2, 3, 5)


def hessian(equation, shapes, of, wrt):
    return sg.Model.from_latex(equation, shapes=shapes).hessian(of, wrt)


@pytest.mark.parametrize("n", SIZES)
def test_quadratic_form_and_least_squares(n):
    rng = np.random.default_rng(n)
    A, x = rng.normal(size=(n, n)), rng.normal(size=n)
    H = hessian(r"f = x^\top A x", {"x": "n", "A": "n x n"}, "f", "x")
    fd = grad_fd(lambda x, A: (A + A.T) @ x, {"x": x, "A": A}, "x")   # d grad / dx
    np.testing.assert_allclose(H.evaluate({"x": x, "A": A}), fd, atol=1e-6)
    assert H.latex(form="matrix").endswith(r"= A + A^{\top}")
    m = n + 1
    B, b = rng.normal(size=(m, n)), rng.normal(size=m)
    H = hessian(r"f = \|A x - b\|_2^2", {"A": "m x n", "x": "n", "b": "m"}, "f", "x")
    fd = grad_fd(lambda x, A, b: 2 * A.T @ (A @ x - b), {"x": x, "A": B, "b": b}, "x")
    np.testing.assert_allclose(H.evaluate({"x": x, "A": B, "b": b}), fd, atol=1e-6)
    assert H.latex(form="matrix").endswith(r"= 2 A^{\top} A")


@pytest.mark.parametrize("n", SIZES)
def test_logsumexp_hessian_is_diag_p_minus_p_p_transpose(n):
    x = np.random.default_rng(10 + n).normal(size=n)
    H = hessian(r"y = \operatorname{logsumexp}(x)", {"x": "n"}, "y", "x")

    def softmax(x):
        e = np.exp(x - x.max())
        return e / e.sum()

    np.testing.assert_allclose(H.evaluate({"x": x}), grad_fd(softmax, {"x": x}, "x"),
                               atol=1e-6)
    p = softmax(x)
    assert not np.allclose(H.evaluate({"x": x}), np.diag(p))   # the outer product counts


@pytest.mark.parametrize("n", SIZES)
def test_log_det_hessian_by_entries(n):
    rng = np.random.default_rng(20 + n)
    X = rng.normal(size=(n, n)) + n * np.eye(n)   # well conditioned, not symmetric
    H = hessian(r"f = \log \det(X)", {"X": "n x n"}, "f", "X")
    fd = grad_fd(lambda X: np.linalg.inv(X).T, {"X": X}, "X")       # d X^{-T} / dX
    np.testing.assert_allclose(H.evaluate({"X": X}), fd, atol=1e-5)
    assert "X^{-1}" in H.latex(form="index")


@pytest.mark.parametrize("n", SIZES)
def test_softmax_cross_entropy_hessian(n):
    # L = -sum_i y_i log softmax(z)_i: H = (sum y) (diag p - p p^T), p = softmax(z)
    rng = np.random.default_rng(30 + n)
    z, y = rng.normal(size=n), rng.random(size=n)
    H = hessian(r"p = \operatorname{softmax}(z) \\ L = -\sum_i y_i \log p_i",
                {"z": "n", "y": "n"}, "L", "z")

    def grad(z, y):
        e = np.exp(z - z.max())
        return y.sum() * e / e.sum() - y

    np.testing.assert_allclose(H.evaluate({"z": z, "y": y}),
                               grad_fd(grad, {"z": z, "y": y}, "z"), atol=1e-6)
    assert r"\operatorname{diag}\left(p\right)" in H.latex(form="matrix")
