"""Helpers shared by the tests (numeric references independent of symgrad's derivations)."""

import re
from pathlib import Path

import numpy as np


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


def balanced_braces(tex):
    """True when the unescaped braces of a LaTeX fragment balance."""
    depth = 0
    for ch in re.sub(r"\\[{}]", "", tex):
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def shared(*parts: str) -> Path:
    """A file under ../shared (beside the repository); a test that needs it fails without it."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: the tests need ../shared beside the "
                                f"repository (as in CI)")
    return path
