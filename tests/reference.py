"""Helpers shared by the tests (numeric references independent of symgrad's derivations)."""

import json
import os
import re
from pathlib import Path

import numpy as np
import pytest

from symgrad.verify import check_claim


def sig(z):
    """The logistic sigmoid."""
    return 1.0 / (1.0 + np.exp(-z))


def central(f, a, eps=1e-6):
    """Central differences of f (array -> array) at a: shape f(a).shape + a.shape."""
    a = np.asarray(a, dtype=float)
    out = []
    for k in range(a.size):
        e = np.zeros(a.size)
        e[k] = eps
        e = e.reshape(a.shape)
        out.append((np.asarray(f(a + e)) - np.asarray(f(a - e))) / (2 * eps))
    return np.moveaxis(np.array(out), 0, -1).reshape(np.shape(f(a)) + a.shape)


def placements(n, k, s):
    """How many times a kernel of extent k fits on n positions with stride s (a loop)."""
    count, start = 0, 0
    while start + k <= n:
        count, start = count + 1, start + s
    return count


def ref_conv2d(x, W, stride):
    """Valid cross-correlation by explicit loops (x: (C, H, W), W: (F, C, KH, KW))."""
    F, _, KH, KW = W.shape
    out = np.zeros((F, placements(x.shape[1], KH, stride), placements(x.shape[2], KW, stride)))
    for f, i, j in np.ndindex(out.shape):
        patch = x[:, i * stride:i * stride + KH, j * stride:j * stride + KW]
        out[f, i, j] = np.sum(patch * W[f])
    return out


def ref_conv1d(x, W, stride):
    """Cross-correlation by numpy.correlate, valid part, then strided (x: (C, L))."""
    F, C, _ = W.shape
    return np.array([sum(np.correlate(x[c], W[f, c], mode="valid") for c in range(C))[::stride]
                     for f in range(F)])


def set_verdict(pset, qid, latex, index_base=1):
    """The verdict on a claim about question ``qid`` of problem set ``pset``."""
    return check_claim(pset.question(qid).context(), latex, index_base=index_base).verdict


def grad_fd(fun, arrays: dict, wrt: str, eps: float = 1e-6) -> np.ndarray:
    """d fun / d arrays[wrt] by central differences: the shape of fun's value followed by
    the shape of the variable (the numerator layout, the variable's shape for a scalar)."""
    x = np.asarray(arrays[wrt], dtype=float)
    value = np.asarray(fun(**arrays), dtype=float)
    out = np.zeros(value.shape + x.shape)
    for idx in np.ndindex(*x.shape):
        step = np.zeros_like(x)
        step[idx] = eps
        hi = np.asarray(fun(**{**arrays, wrt: x + step}), dtype=float)
        lo = np.asarray(fun(**{**arrays, wrt: x - step}), dtype=float)
        out[(Ellipsis, *idx)] = (hi - lo) / (2 * eps)
    return out


def balanced_braces(tex):
    """True when the unescaped braces of a LaTeX fragment balance."""
    depth = 0
    for ch in re.sub(r"\\[{}]", "", tex):
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


ROOT = Path(__file__).resolve().parents[1]
# ../shared beside the repository (cases/, seeds/, writeups/): CI has it, a fresh clone need not
SHARED = ROOT.parent / "shared"
SEED_CLAIMS = ("cases", "seed-claims.json")


def shared_required() -> bool:
    """True under CI=true, where a test that needs ../shared fails without it (else skips)."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def shared(*parts: str) -> Path:
    """A file under ../shared, for a test or a fixture: without it the test is skipped with the
    reason, or fails under CI=true. Not for import or collection time (see shared_cases)."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        reason = f"needs {path}: ../shared is not beside the repository {ROOT}"
        if shared_required():
            pytest.fail(f"{reason} (CI=true: it must be)", pytrace=False)
        pytest.skip(reason)
    return path


def shared_cases(*parts: str) -> list:
    """The "cases" of a JSON file under ../shared (default cases/seed-claims.json), safe at
    collection: [] when it is missing (parametrize with shared_params, which then skips)."""
    path = SHARED.joinpath(*(parts or SEED_CLAIMS))
    return json.loads(path.read_text())["cases"] if path.exists() else []


def shared_params(params, *parts: str, width: int = 1) -> list:
    """The parameters of a test on a file under ../shared (default cases/seed-claims.json); when
    the file is missing, one placeholder marked needs_shared, which tests/conftest.py skips (fails
    under CI=true) with the reason."""
    parts = parts or SEED_CLAIMS
    if SHARED.joinpath(*parts).exists():
        return list(params)
    return [pytest.param(*[None] * width, id="needs-shared",
                         marks=pytest.mark.needs_shared(*parts))]
