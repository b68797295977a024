"""Published matrix-calculus identities (The Matrix Cookbook, ch. 2; Parr & Howard) derived
through the public API, each compared with central differences at two sizes, its
published closed form judged by `Quantity.check`, and a plausible wrong variant that must
not be judged correct. Prints one line per identity and the totals; asserts nothing.

Usage: python bench/matrix_identities.py"""

from __future__ import annotations

import sys
import time

import numpy as np

import symgrad as sg

# (model, shapes, of, wrt, published form, wrong variant, f(arrays) for the numeric check)
IDENTITIES = [
    (r"f = \det(X)", {"X": "n x n"}, "f", "X", r"\det(X) X^{-\top}", r"\det(X) X",
     lambda a: np.linalg.det(a["X"])),
    (r"f = \log \det(X)", {"X": "n x n"}, "f", "X", r"X^{-\top}", r"X^{-2}",
     lambda a: np.log(abs(np.linalg.det(a["X"])))),
    (r"f = \operatorname{tr}(A X)", {"A": "n x n", "X": "n x n"}, "f", "X", r"A^{\top}",
     r"2 A", lambda a: np.trace(a["A"] @ a["X"])),
    (r"f = \operatorname{tr}(A X^{-1} B)", {"A": "p x n", "X": "n x n", "B": "n x p"}, "f",
     "X", r"- X^{-\top} A^{\top} B^{\top} X^{-\top}", r"X^{-\top} A^{\top} B^{\top} X^{-\top}",
     lambda a: np.trace(a["A"] @ np.linalg.inv(a["X"]) @ a["B"])),
    (r"f = a^\top X b", {"a": "n", "X": "n x n", "b": "n"}, "f", "X", r"a b^{\top}",
     r"2 a b^{\top}", lambda a: a["a"] @ a["X"] @ a["b"]),
    (r"f = a^\top X^{-1} b", {"a": "n", "X": "n x n", "b": "n"}, "f", "X",
     r"- X^{-\top} a b^{\top} X^{-\top}", r"X^{-\top} a b^{\top} X^{-\top}",
     lambda a: a["a"] @ np.linalg.inv(a["X"]) @ a["b"]),
    (r"f = x^\top A x", {"x": "n", "A": "n x n"}, "f", "x", r"(A + A^{\top}) x", r"2 A x",
     lambda a: a["x"] @ a["A"] @ a["x"]),
    (r"f = \|x\|_2^2", {"x": "n"}, "f", "x", r"2 x", r"x", lambda a: a["x"] @ a["x"]),
    (r"f = \|A x - b\|_2^2", {"A": "m x n", "x": "n", "b": "m"}, "f", "x",
     r"2 A^{\top} (A x - b)", r"A^{\top} (A x - b)",
     lambda a: np.sum((a["A"] @ a["x"] - a["b"]) ** 2)),
    (r"f = \|X\|_F^2", {"X": "m x n"}, "f", "X", r"2 X", r"X", lambda a: np.sum(a["X"] ** 2)),
    (r"f = \operatorname{tr}(X^\top X)", {"X": "m x n"}, "f", "X", r"2 X", r"X^{\top}",
     lambda a: np.trace(a["X"].T @ a["X"])),
    (r"y = \sum_i x_i", {"x": "n"}, "y", "x", r"\mathbf{1}^\top", r"2 \mathbf{1}^\top",
     lambda a: np.sum(a["x"])),
    (r"y = w \cdot x", {"w": "n", "x": "n"}, "y", "w", r"x^\top", r"w^\top",
     lambda a: a["w"] @ a["x"]),
    (r"y = \operatorname{logsumexp}(x)", {"x": "n"}, "y", "x", r"\operatorname{softmax}(x)",
     r"\exp(x)", lambda a: np.log(np.sum(np.exp(a["x"])))),
]


def central(f, arrays: dict, wrt: str, eps: float = 1e-6) -> np.ndarray:
    x = arrays[wrt]
    out = np.zeros(x.shape)
    for idx in np.ndindex(*x.shape):
        step = np.zeros_like(x)
        step[idx] = eps
        out[idx] = (f({**arrays, wrt: x + step}) - f({**arrays, wrt: x - step})) / (2 * eps)
    return out


def instance(shapes: dict, sizes: dict, rng) -> dict:
    out = {}
    for name, shape in shapes.items():
        dims = [sizes[d.strip()] for d in shape.split("x")] if shape else []
        a = rng.normal(size=dims)
        if len(dims) == 2 and dims[0] == dims[1]:
            a = a + dims[0] * np.eye(dims[0])   # well conditioned, not symmetric
        out[name] = a
    return out


def run(identity) -> tuple[bool, bool, bool, str]:
    model, shapes, of, wrt, published, wrong, f = identity
    q = sg.Model.from_latex(model, shapes=shapes).jacobian(of, wrt)
    rng = np.random.default_rng(0)
    agree = True
    for sizes in ({"n": 3, "m": 4, "p": 2}, {"n": 5, "m": 2, "p": 3}):
        arrays = instance(shapes, sizes, rng)
        got = np.asarray(q.evaluate(arrays), dtype=float)
        fd = central(f, arrays, wrt)
        agree &= got.size == fd.size and np.allclose(got.reshape(fd.shape), fd, atol=1e-5)
    lhs = rf"\frac{{\partial {of}}}{{\partial {wrt}}} = "
    right = q.check(lhs + published).verdict == "correct"
    caught = q.check(lhs + wrong).verdict != "correct"
    return agree, right, caught, q.latex(form="matrix")


def main() -> int:
    t = time.perf_counter()
    rows = [run(i) for i in IDENTITIES]
    for identity, (agree, right, caught, tex) in zip(IDENTITIES, rows, strict=True):
        print(f"{identity[0]:40} numeric {'ok ' if agree else 'BAD'} published "
              f"{'correct' if right else 'NOT   '} wrong variant {'caught' if caught else 'MISSED'}"
              f"  {tex}")
    n = len(rows)
    print(f"{n} identities in {time.perf_counter() - t:.1f} s: {sum(r[0] for r in rows)} agree "
          f"with central differences, {sum(r[1] for r in rows)} published forms judged "
          f"correct, {sum(r[2] for r in rows)} wrong variants caught")
    return 0


if __name__ == "__main__":
    sys.exit(main())
