"""The chain rule over a graph of named definitions, against finite differences."""

import numpy as np
import pytest
import sympy as sp
from reference import central

import symgrad as sg
from symgrad.core.errors import UnknownNameError
from symgrad.core.evaluate import evaluate_element
from symgrad.core.model import Model
from symgrad.core.ops import Transposed, sigmoid
from symgrad.core.tensor import index, size


def small_mlp():
    n, m = size("n"), size("m")
    M = Model("mlp")
    x = M.input("x", (n,))
    W = M.input("W", (m, n), kind="param")
    i, q = index("i"), index("q")
    z = M.define("z", (m,), (i,), sp.Sum(W[i, q] * x[q], (q, 0, n - 1)))
    a = M.elementwise("a", sigmoid, z)
    M.softargmax("p", a)
    return M, n, m


def test_results_are_written_with_named_intermediates():
    M, n, m = small_mlp()
    e, I, J = M.derivative("a", "x")
    assert not e.has(sigmoid) and not e.has(sp.exp)
    assert e.has(M.tensors["a"].base)
    e, I, J = M.derivative("p", "z")
    assert not e.has(sp.Sum)


@pytest.mark.parametrize("nn,mm", [(3, 4), (1, 2), (4, 1)])
def test_jacobians_match_finite_differences(nn, mm):
    M, n, m = small_mlp()
    rng = np.random.default_rng(nn * 10 + mm)
    x, W = rng.normal(size=nn), rng.normal(size=(mm, nn))
    sizes = {n: nn, m: mm}

    def forward(xv, Wv):
        return M.forward({"x": xv, "W": Wv}, sizes)

    env = forward(x, W)
    for of, wrt in [("p", "x"), ("p", "W"), ("a", "x"), ("z", "W")]:
        e, I, J = M.derivative(of, wrt)
        shape = env[of].shape + env[wrt].shape
        got = evaluate_element(e, I + J, shape, env, sizes)
        ref = np.zeros(shape)
        base = {"x": x, "W": W}
        for idx in np.ndindex(base[wrt].shape):
            up, down = {k: v.copy() for k, v in base.items()}, {k: v.copy()
                                                                for k, v in base.items()}
            up[wrt][idx] += 1e-6
            down[wrt][idx] -= 1e-6
            ref[(...,) + idx] = (forward(**{"xv": up["x"], "Wv": up["W"]})[of]
                                 - forward(**{"xv": down["x"], "Wv": down["W"]})[of]) / 2e-6
        np.testing.assert_allclose(got, ref, atol=1e-7)


def test_undeclared_tensor_is_named():
    M = Model("bad")
    i = index("i")
    with pytest.raises(UnknownNameError, match="undeclared"):
        M.define("y", (2,), (i,), sp.IndexedBase("nope")[i])


def test_graph_lists_reads():
    M, _, _ = small_mlp()
    rows = {name: reads for name, _, _, reads, _ in M.graph()}
    assert rows["z"] == ("W", "x") and rows["p"] == ("a",)


def test_grad_of_a_scalar_loss_needs_no_upstream_gradient():
    """Issue 13: Model.grad of a scalar loss printed d ell / d ell and needed g=1."""
    import numpy as np
    from reference import central

    import symgrad as sg

    M = sg.Model.from_latex(r"z = W x \\ \ell = \sum_i \tanh(z_i)^2", {"x": "n", "W": "m x n"})
    q = M.grad("W")
    assert "g" not in q.inputs and r"\partial \ell}{\partial \ell" not in q.latex()
    assert q.latex().startswith(r"\frac{\partial \ell}{\partial W_{ij}}"), q.latex()
    rng = np.random.default_rng(4)
    x, W = rng.normal(size=3), rng.normal(size=(2, 3))
    ref = central(lambda A: np.sum(np.tanh(A @ x) ** 2), W)
    np.testing.assert_allclose(q.evaluate(x=x, W=W), ref, atol=1e-8)
    np.testing.assert_allclose(M.grad("x").evaluate(x=x, W=W),
                               central(lambda v: np.sum(np.tanh(W @ v) ** 2), x), atol=1e-8)
    assert q.check(q.latex()).verdict == "correct"


def _quadratic():
    M = Model("quadratic")
    M.input("x", "n")
    M.param("A", "n x n")
    x, A = M.symbols("x", "A")
    M.define("f", Transposed(x) * A * x)
    return M


def test_hessian_of_a_quadratic_form_is_a_plus_a_transpose():
    """Issue 13: Model.hessian; d^2 (x^T A x) / dx^2 = A + A^T."""
    H = _quadratic().hessian("f", "x")
    assert H.latex(form="matrix") == r"\frac{\partial^{2} f}{\partial x^{2}} = A + A^{\top}"
    assert H.latex().startswith(r"\frac{\partial^{2} f}{\partial x_{i} \partial x_{j}} = ")
    rng = np.random.default_rng(6)
    x, A = rng.normal(size=4), rng.normal(size=(4, 4))
    np.testing.assert_allclose(H.evaluate(x=x, A=A), A + A.T, atol=1e-12)
    np.testing.assert_allclose(central(lambda v: central(lambda u: u @ A @ u, v, 1e-4), x, 1e-4),
                               H.evaluate(x=x, A=A), atol=1e-5)


def test_hessian_of_a_loss_through_intermediates():
    """Second derivatives through the graph: l = sum_i tanh(z_i)^2, z = W x."""
    M = sg.Model.from_latex(r"z = W x \\ a = \tanh(z)", {"x": "n", "W": "m x n"})
    first = M.jacobian("a", "x")
    second = first.jacobian("x")
    assert second.shape == (size("m"), size("n"),
                            size("n"))
    rng = np.random.default_rng(7)
    x, W = rng.normal(size=3), rng.normal(size=(2, 3))
    ref = central(lambda v: central(lambda u: np.tanh(W @ u), v, eps=1e-4), x, eps=1e-4)
    np.testing.assert_allclose(second.evaluate(x=x, W=W), ref, atol=1e-6)
    mixed = first.jacobian("W")
    ref = central(lambda B: central(lambda u: np.tanh(B @ u), x, eps=1e-4), W, eps=1e-4)
    np.testing.assert_allclose(mixed.evaluate(x=x, W=W), ref, atol=1e-6)


def test_grad_names_the_loss_first():
    """Issue 13: grad(loss, wrt) errored about a parameter shared by every step."""
    M = sg.Model.from_latex(r"z = W x \\ a = \tanh(z)", {"x": "n", "W": "m x n"})
    i = index("i")
    M.define("loss", (), (), sp.Sum(M.tensors["a"][i] ** 2, (i, 0, M.tensors["a"].shape[0] - 1)),
             latex=r"\ell")
    q = M.grad("loss", "W")
    assert "g" not in q.inputs and r"\partial \ell}{\partial \ell" not in q.latex()
    rng = np.random.default_rng(8)
    x, W = rng.normal(size=3), rng.normal(size=(2, 3))
    np.testing.assert_allclose(q.evaluate(x=x, W=W),
                               central(lambda B: np.sum(np.tanh(B @ x) ** 2), W), atol=1e-8)
    np.testing.assert_allclose(M.grad(r"\ell", "x").evaluate(x=x, W=W),
                               central(lambda v: np.sum(np.tanh(W @ v) ** 2), x), atol=1e-8)


def layer_norm():
    n = size("n")
    M = Model("layernorm")
    x = M.input("x", (n,))
    M.param("epsilon", (), latex=r"\epsilon")
    i, q, r = index("i"), index("q"), index("r")
    M.define("mu", (), (), sp.Sum(x[q], (q, 0, n - 1)) / n, latex=r"\mu")
    d = M.define("d", (n,), (i,), x[i] - sp.Symbol("mu"))
    M.define("v", (), (), sp.Sum(d[r] ** 2, (r, 0, n - 1)) / n)
    M.define("y", (n,), (i,), d[i] / sp.sqrt(sp.Symbol("v") + sp.Symbol("epsilon")))
    return M


def test_terms_that_vanish_by_the_definitions_are_dropped():
    """Issue 13: sum_k d_k (d = x - mu, mu the mean) is zero; it was printed and kept."""
    M = layer_norm()
    q = M.jacobian("y", "x")
    assert r"\sum" not in q.latex(), q.latex()
    assert r"\sum" not in M.jacobian("v", "x").latex()
    rng = np.random.default_rng(9)
    for size_ in (1, 2, 5):
        x = rng.normal(size=size_)

        def ref(v):
            d = v - v.mean()
            return d / np.sqrt((d ** 2).mean() + 0.3)

        np.testing.assert_allclose(q.evaluate(x=x, epsilon=0.3), central(ref, x), atol=1e-8)
    n = size("n")
    x = M.tensors["x"]
    k = index("k")
    assert M.tidy_terms(sp.Symbol("mu") * n - sp.Sum(x[k], (k, 0, n - 1))) == 0


def test_equal_sums_are_merged():
    n = size("n")
    M = Model("sums")
    x = M.input("x", (n,))
    q, r = index("q"), index("r")
    M.define("f", (), (), sp.Sum(x[q], (q, 0, n - 1)) * sp.Sum(x[r], (r, 0, n - 1)))
    J = M.jacobian("f", "x")
    assert J.latex().count(r"\sum") == 1, J.latex()
    v = np.arange(1.0, 4.0)
    np.testing.assert_allclose(J.evaluate(x=v), central(lambda u: u.sum() ** 2, v), atol=1e-8)


def test_forward_softargmax_does_not_overflow():
    """A softargmax evaluates at z - max(z): the same value, finite for large scores."""
    m = Model("soft")
    z = m.input("z", (size("n"),))
    m.softargmax("p", z)
    big = np.array([1000.0, 999.0, -5.0])
    p = m.forward({"z": big}, {size("n"): 3})["p"]
    ref = np.exp(big - big.max()) / np.exp(big - big.max()).sum()
    np.testing.assert_allclose(p, ref, rtol=1e-12)
    rows = m.forward({"z": np.array([1.0, 2.0, 3.0])}, {size("n"): 3})["p"]
    np.testing.assert_allclose(rows, np.exp([1, 2, 3]) / np.exp([1, 2, 3]).sum(), rtol=1e-12)


def test_evaluate_needs_only_what_the_result_reads():
    """The Hessian of x^T A x / 2 + b^T x + c reads A alone: evaluate takes A without b, c
    (and still takes every input); a missing array that is read is named."""
    m = sg.Model.from_latex(r"g = \frac{1}{2} x^\top A x + b^\top x + c",
                            {"x": "n", "A": "n x n", "b": "n", "c": "1"})
    rng = np.random.default_rng(3)
    A, x, b, c = rng.normal(size=(3, 3)), rng.normal(size=3), rng.normal(size=3), \
        rng.normal(size=1)
    H = m.hessian("g", "x")
    np.testing.assert_allclose(H.evaluate({"A": A}, n=3)[0], (A + A.T) / 2, atol=1e-12)
    np.testing.assert_allclose(H.evaluate({"A": A, "x": x, "b": b, "c": c})[0], (A + A.T) / 2,
                               atol=1e-12)
    with pytest.raises(sg.SymgradError, match="needs the arrays b"):
        m.jacobian("g", "x").evaluate({"A": A, "x": x})


PUBLIC = ["concat", "declare_one_hot", "define", "depends", "derivative", "differentiate",
          "elementwise", "equation", "forward", "fresh_index", "fresh_indices", "from_latex",
          "grad", "gradient", "graph", "hessian", "input", "jacobian", "lagged", "latex",
          "needed", "param", "partial", "reads", "resolve", "softargmax", "state",
          "state_jacobian", "states", "sym", "symbols", "tensor", "tidy_terms", "value"]


def test_model_keeps_its_public_api():
    """Model is put together from one module of core per concern; every public method
    and attribute it had stays (issue 23)."""
    assert sg.Model is Model and all(callable(getattr(Model, n)) for n in PUBLIC)
    m = Model("api")
    for attr in ("name", "tensors", "kinds", "definitions", "lags", "source", "notes",
                 "one_hot"):
        assert hasattr(m, attr)
    from symgrad.core.model import identifier, time_key  # noqa: F401  (notation imports these)


def test_core_has_no_import_cycle():
    """core/model and core/unroll (and every other module of core) import one way."""
    grimp = pytest.importorskip("grimp")
    graph = grimp.build_graph("symgrad", cache_dir=None)
    core = {m for m in graph.modules if m.startswith("symgrad.core.")}
    for m in core:
        for d in graph.find_modules_directly_imported_by(m) & core:
            assert not graph.chain_exists(importer=d, imported=m), (m, d)
    assert not graph.direct_import_exists(importer="symgrad.core.unroll",
                                          imported="symgrad.core.model")
    assert not graph.direct_import_exists(importer="symgrad.core.model",
                                          imported="symgrad.core.unroll")
