"""Checker throughput on a Jacobian of about a million entries: vectorised vs per-entry subs.

The vectorised path is `Quantity.check` on a correct element formula (it evaluates the claim
over the whole index grid of several random instances). The baseline substitutes each entry
into the SymPy element on a sample and is extrapolated to all entries.
"""

from __future__ import annotations

import time

import numpy as np
import sympy as sp

from symgrad.layers.conv import Conv1d

CLAIM = (r"\frac{\partial f_W(x)[f, j]}{\partial x[c, l]} = \begin{cases} W[f, c, l - j + 1] "
         r"& 1 \le l - j + 1 \le 3 \\ 0 & \text{otherwise} \end{cases}")


def main() -> None:
    conv = Conv1d(in_channels=20, length=100, kernel_size=3, filters=5)
    q = conv.jacobian("x")
    entries = int(np.prod(q.shape))
    start = time.perf_counter()
    verdict = q.check(CLAIM)
    vectorised = time.perf_counter() - start
    assert verdict.verdict == "correct", verdict.explanation
    W = np.random.default_rng(0).normal(size=(5, 20, 3))
    values = {sp.Indexed("W", *idx): W[idx] for idx in np.ndindex(W.shape)}
    rng = np.random.default_rng(1)
    sample = [tuple(int(rng.integers(0, n)) for n in q.shape) for _ in range(200)]
    start = time.perf_counter()
    for idx in sample:
        e = q.element.subs(dict(zip(q.indices, idx)))
        e.xreplace({k: sp.Float(v) for k, v in values.items() if k in e.atoms(sp.Indexed)})
    per_entry = (time.perf_counter() - start) / len(sample)
    print(f"checker on a {entries:,}-entry Jacobian: vectorised {vectorised:.2f} s "
          f"(3 instances); per-entry subs {per_entry * 1e3:.2f} ms/entry, about "
          f"{per_entry * entries:.0f} s for one instance; ratio "
          f"{per_entry * entries / vectorised:.0f}x")


if __name__ == "__main__":
    main()
