"""Convolution closed forms against independent NumPy references (loops, numpy.correlate)."""

import itertools

import numpy as np
import pytest
import sympy as sp

import symgrad as sg
from symgrad.core.tensor import size


def ref_conv1d(x, W, stride, padding, dilation):
    """Explicit loops over a zero-padded input."""
    C, L = x.shape
    F, _, K = W.shape
    xp = np.zeros((C, L + 2 * padding))
    xp[:, padding:padding + L] = x
    L_out = (L + 2 * padding - dilation * (K - 1) - 1) // stride + 1
    y = np.zeros((F, L_out))
    for f in range(F):
        for j in range(L_out):
            for c in range(C):
                for k in range(K):
                    y[f, j] += W[f, c, k] * xp[c, j * stride + k * dilation]
    return y


def ref_conv1d_correlate(x, W, stride, padding, dilation):
    """numpy.correlate on the padded input with the dilated kernel, then strided."""
    C, L = x.shape
    F, _, K = W.shape
    xp = np.pad(x, ((0, 0), (padding, padding)))
    out = []
    for f in range(F):
        total = 0
        for c in range(C):
            kern = np.zeros(dilation * (K - 1) + 1)
            kern[::dilation] = W[f, c]
            total = total + np.correlate(xp[c], kern, mode="valid")
        out.append(total[::stride])
    return np.array(out)


def ref_conv2d(x, W, stride, padding, dilation):
    C, H, Wd = x.shape
    F, _, KH, KW = W.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    xp = np.zeros((C, H + 2 * ph, Wd + 2 * pw))
    xp[:, ph:ph + H, pw:pw + Wd] = x
    Ho = (H + 2 * ph - dh * (KH - 1) - 1) // sh + 1
    Wo = (Wd + 2 * pw - dw * (KW - 1) - 1) // sw + 1
    y = np.zeros((F, Ho, Wo))
    for f, i, j, c, p, q in itertools.product(range(F), range(Ho), range(Wo), range(C),
                                              range(KH), range(KW)):
        y[f, i, j] += W[f, c, p, q] * xp[c, i * sh + p * dh, j * sw + q * dw]
    return y


def ref_jacobians(forward, x, W):
    """Exact Jacobians of a bilinear map by unit perturbations (no derivation involved)."""
    y = forward(x, W)
    jx = np.zeros(y.shape + x.shape)
    jw = np.zeros(y.shape + W.shape)
    for idx in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[idx] = 1.0
        jx[(...,) + idx] = forward(e, W)
    for idx in np.ndindex(W.shape):
        e = np.zeros_like(W)
        e[idx] = 1.0
        jw[(...,) + idx] = forward(x, e)
    return y, jx, jw


CONFIGS_1D = [  # C, L, K, S, P, D, F
    (5, 7, 3, 2, 0, 1, 1), (3, 11, 3, 2, 1, 2, 2), (2, 9, 2, 3, 2, 1, 3), (1, 5, 5, 1, 0, 1, 1),
    (4, 10, 3, 1, 3, 3, 2), (2, 8, 1, 2, 1, 1, 1), (3, 13, 4, 3, 2, 2, 2),
]


@pytest.mark.parametrize("C,L,K,S,P,D,F", CONFIGS_1D)
def test_conv1d_against_loops_and_correlate(C, L, K, S, P, D, F):
    rng = np.random.default_rng(C * 100 + L)
    conv = sg.Conv1d(in_channels=C, length=L, kernel_size=K, stride=S, padding=P, dilation=D,
                     filters=F)
    for _ in range(3):
        x, W = rng.normal(size=(C, L)), rng.normal(size=(F, C, K))
        g = rng.normal(size=conv.output_shape)

        def fwd(a, b):
            return ref_conv1d(a, b, S, P, D)

        y, jx, jw = ref_jacobians(fwd, x, W)
        assert conv.output_shape == y.shape
        np.testing.assert_allclose(conv.output.evaluate(x=x, W=W), y, atol=1e-12)
        np.testing.assert_allclose(ref_conv1d_correlate(x, W, S, P, D), y, atol=1e-12)
        np.testing.assert_allclose(conv.jacobian("x").evaluate(x=x, W=W), jx, atol=1e-12)
        np.testing.assert_allclose(conv.jacobian("W").evaluate(x=x, W=W), jw, atol=1e-12)
        np.testing.assert_allclose(conv.grad("W").evaluate(x=x, W=W, g=g),
                                   np.tensordot(g, jw, axes=2), atol=1e-12)
        np.testing.assert_allclose(conv.grad("x").evaluate(x=x, W=W, g=g),
                                   np.tensordot(g, jx, axes=2), atol=1e-12)


CONFIGS_2D = [  # C, H, W, K, S, P, D, F
    (2, 6, 7, (2, 3), (2, 1), (1, 0), (1, 2), 2),
    (1, 5, 5, 3, 1, 1, 1, 1),
    (3, 7, 6, (3, 2), (3, 2), (2, 1), (2, 1), 2),
]


@pytest.mark.parametrize("C,H,Wd,K,S,P,D,F", CONFIGS_2D)
def test_conv2d_against_loops(C, H, Wd, K, S, P, D, F):
    rng = np.random.default_rng(H * Wd)

    def pair(v):
        return v if isinstance(v, tuple) else (v, v)

    conv = sg.Conv2d(in_channels=C, height=H, width=Wd, kernel_size=K, stride=S, padding=P,
                     dilation=D, filters=F)
    KH, KW = pair(K)
    x, W = rng.normal(size=(C, H, Wd)), rng.normal(size=(F, C, KH, KW))

    def fwd(a, b):
        return ref_conv2d(a, b, pair(S), pair(P), pair(D))

    y, jx, jw = ref_jacobians(fwd, x, W)
    g = rng.normal(size=y.shape)
    assert conv.output_shape == y.shape
    np.testing.assert_allclose(conv.output.evaluate(x=x, W=W), y, atol=1e-12)
    np.testing.assert_allclose(conv.jacobian("x").evaluate(x=x, W=W), jx, atol=1e-12)
    np.testing.assert_allclose(conv.jacobian("W").evaluate(x=x, W=W), jw, atol=1e-12)
    np.testing.assert_allclose(conv.grad("W").evaluate(x=x, W=W, g=g),
                               np.tensordot(g, jw, axes=3), atol=1e-12)
    np.testing.assert_allclose(conv.grad("x").evaluate(x=x, W=W, g=g),
                               np.tensordot(g, jx, axes=3), atol=1e-12)


@pytest.mark.filterwarnings("ignore:conv_output_shape reads")  # short 1-D inputs on purpose
def test_output_shape_grid_matches_reference_formula():
    for H, K, S, P, D in itertools.product(range(1, 13), range(1, 5), range(1, 4), range(0, 3),
                                           range(1, 3)):
        span = D * (K - 1) + 1
        if span > H + 2 * P:
            with pytest.raises(sg.ShapeError):
                sg.conv_output_shape((1, H), kernel_size=K, stride=S, padding=P, dilation=D)
            continue
        expected = len(range(0, H + 2 * P - span + 1, S))
        assert sg.conv_output_shape((3, H), kernel_size=K, stride=S, padding=P, dilation=D,
                                    filters=4) == (4, expected)


def test_homework_numbers():
    assert sg.conv_output_shape((1, 21, 12), kernel_size=(4, 5), stride=4) == (1, 5, 2)
    conv = sg.Conv1d(in_channels=5, length=7, kernel_size=3, stride=2)
    assert conv.output_shape == (1, 3)
    assert conv.jacobian("W").shape == (1, 3, 1, 5, 3)
    assert conv.jacobian("x").shape == (1, 3, 5, 7)
    assert conv.grad("W").shape == (1, 5, 3)


def test_symbolic_sizes_derive():
    C, L, K, S, P, D, F = (size(n) for n in "CLKSPDF")
    shape = sg.conv_output_shape((C, L, L), kernel_size=K, stride=S, padding=P, dilation=D,
                                 filters=F)
    assert shape[0] == F and shape[1] == sp.floor((L + 2 * P - D * (K - 1) - 1) / S) + 1
    conv = sg.Conv1d(in_channels=C, length=L, kernel_size=K, stride=S, padding=P, dilation=D,
                     filters=F)
    jx = conv.jacobian("x")
    assert jx.shape[2:] == (C, L)
    assert jx.element.has(sp.Mod)  # divisibility by the dilation stays explicit
    assert "x" in str(conv.jacobian("W").element)
    x = np.arange(14.0).reshape(2, 7)
    W = np.ones((1, 2, 3))
    got = conv.output.evaluate(x=x, W=W, S=2, P=0, D=1)
    np.testing.assert_allclose(got, ref_conv1d(x, W, 2, 0, 1))


def test_latex_is_readable_and_one_based():
    conv = sg.Conv1d(in_channels=5, length=7, kernel_size=3, stride=2)
    text = conv.jacobian("x").latex()
    assert r"\begin{cases}" in text and r"1 \le l - 2 j + 2 \le 3" in text
    assert "2 j" in conv.output.latex(index_base=0)
    assert "dilated by the stride" in conv.grad("W").structure
    assert "transposed convolution" in conv.grad("x").structure


@pytest.mark.parametrize("kwargs,message", [
    (dict(in_channels=5, length=2, kernel_size=3), "kernel spans"),
    (dict(in_channels=0, length=7, kernel_size=3), "at least 1"),
    (dict(in_channels=5, length=7, kernel_size=3, stride=0), "stride"),
    (dict(in_channels=5, length=7, kernel_size=3, padding=-1), "padding"),
])
def test_bad_sizes_raise_clear_errors(kwargs, message):
    with pytest.raises(sg.SymgradError, match=message):
        sg.Conv1d(**kwargs)


def test_evaluate_rejects_wrong_shapes_and_names():
    conv = sg.Conv1d(in_channels=5, length=7, kernel_size=3, stride=2)
    with pytest.raises(sg.ShapeError, match="x must have shape"):
        conv.output.evaluate(x=np.zeros((5, 8)), W=np.zeros((1, 5, 3)))
    with pytest.raises(sg.SymgradError, match="unexpected argument"):
        conv.output.evaluate(x=np.zeros((5, 7)), W=np.zeros((1, 5, 3)), y=1)
    with pytest.raises(sg.SymgradError, match="wrt|'W' or 'x'"):
        conv.jacobian("b")


def _conv1d_check(conv, C, L, K, S, P, D, F, rng):
    x, W = rng.normal(size=(C, L)), rng.normal(size=(F, C, K))
    y, jx, jw = ref_jacobians(lambda a, b: ref_conv1d(a, b, S, P, D), x, W)
    g = rng.normal(size=y.shape)
    assert conv.output_shape == y.shape
    np.testing.assert_allclose(conv.jacobian("x").evaluate(x=x, W=W), jx, atol=1e-12)
    np.testing.assert_allclose(conv.jacobian("W").evaluate(x=x, W=W), jw, atol=1e-12)
    np.testing.assert_allclose(conv.grad("x").evaluate(x=x, W=W, g=g),
                               np.tensordot(g, jx, axes=2), atol=1e-12)
    np.testing.assert_allclose(conv.grad("W").evaluate(x=x, W=W, g=g),
                               np.tensordot(g, jw, axes=2), atol=1e-12)


def test_rational_tap_is_compared_exactly():
    """Issue 13: the tap (l + 2)/3 - j of stride 3, dilation 3 was compared in floating
    point, so output 2 read 0 instead of W[1, 1, 1] at input position 2."""
    conv = sg.Conv1d(in_channels=1, length=5, kernel_size=2, stride=3, padding=2, dilation=3)
    x, W = np.arange(1.0, 6.0).reshape(1, 5), np.array([[[7.0, 11.0]]])
    J = conv.jacobian("x").evaluate(x=x, W=W)
    assert J[0, 1, 0, 1] == 7.0  # 0-based: output 1 reads x[1] through tap 0
    _conv1d_check(conv, 1, 5, 2, 3, 2, 3, 1, np.random.default_rng(0))


def test_single_tap_condition_is_printed_once():
    conv = sg.Conv1d(in_channels=1, length=5, kernel_size=1, stride=3, padding=2, dilation=3)
    tex = conv.jacobian("x").latex()
    body = tex.split(r"\text{if }")[1].split(r"\\")[0]
    assert body.count(r"\le") == 0 and body.count("=") == 1, tex
    _conv1d_check(conv, 1, 5, 1, 3, 2, 3, 1, np.random.default_rng(1))


def test_random_configurations_against_loops():
    """Random stride/padding/dilation/sizes, 1-D and 2-D, against explicit loops."""
    rng = np.random.default_rng(13)
    done = 0
    while done < 25:
        C, F, K, S, D = (int(v) for v in rng.integers(1, 4, size=5))
        P, L = int(rng.integers(0, 4)), int(rng.integers(1, 10))
        if L + 2 * P < D * (K - 1) + 1:
            continue
        conv = sg.Conv1d(in_channels=C, length=L, kernel_size=K, stride=S, padding=P,
                         dilation=D, filters=F)
        _conv1d_check(conv, C, L, K, S, P, D, F, rng)
        done += 1
    done = 0
    while done < 8:
        C, F = (int(v) for v in rng.integers(1, 3, size=2))
        K, S, D = (tuple(int(v) for v in rng.integers(1, 4, size=2)) for _ in range(3))
        P = tuple(int(v) for v in rng.integers(0, 3, size=2))
        H, Wd = (int(v) for v in rng.integers(1, 8, size=2))
        if any(n + 2 * p < d * (k - 1) + 1 for n, p, d, k in zip((H, Wd), P, D, K)):
            continue
        conv = sg.Conv2d(in_channels=C, height=H, width=Wd, kernel_size=K, stride=S,
                         padding=P, dilation=D, filters=F)
        x, W = rng.normal(size=(C, H, Wd)), rng.normal(size=(F, C, *K))
        y, jx, jw = ref_jacobians(lambda a, b, S=S, P=P, D=D: ref_conv2d(a, b, S, P, D), x, W)
        g = rng.normal(size=y.shape)
        assert conv.output_shape == y.shape
        np.testing.assert_allclose(conv.jacobian("x").evaluate(x=x, W=W), jx, atol=1e-12)
        np.testing.assert_allclose(conv.jacobian("W").evaluate(x=x, W=W), jw, atol=1e-12)
        np.testing.assert_allclose(conv.grad("x").evaluate(x=x, W=W, g=g),
                                   np.tensordot(g, jx, axes=3), atol=1e-12)
        np.testing.assert_allclose(conv.grad("W").evaluate(x=x, W=W, g=g),
                                   np.tensordot(g, jw, axes=3), atol=1e-12)
        done += 1


def test_padding_is_stated_where_a_formula_reads_outside_x():
    """Issue 13: dl/dW printed sum_i g[f, i] x[c, k + 2i - 3], reading x outside its
    range and relying on an unstated zero padding; symgrad's checker called it incorrect."""
    conv = sg.Conv1d(in_channels=2, length=7, kernel_size=3, stride=2, padding=1)
    q = conv.grad("W")
    assert r"\left[1 \le k + 2 i - 3 \le 7\right]" in q.latex()
    assert q.check(q.latex()).verdict == "correct"
    unpadded = sg.Conv1d(in_channels=2, length=7, kernel_size=3, stride=2, padding=0)
    assert r"\le" not in unpadded.grad("W").latex()  # the ranges imply it: no condition


def test_numpy_sizes_and_an_ambiguous_two_entry_shape():
    import warnings

    numpy_sized = sg.Conv1d(in_channels=np.int64(2), length=np.int64(7), kernel_size=np.int64(2))
    plain = sg.Conv1d(in_channels=2, length=7, kernel_size=2)
    assert numpy_sized.output_shape == plain.output_shape
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert sg.conv_output_shape((32, 32), kernel_size=3) == (1, 30)
        assert sg.conv_output_shape((3, 32), kernel_size=3) == (1, 30)
    assert len(caught) == 1 and "(channels, height, width)" in str(caught[0].message)
