"""Our dimension-generic gated-RNN state Jacobian vs the naive SymPy route.

The naive route builds explicit symbol matrices of the given sizes and calls
``Matrix.jacobian``; its cost grows with n and m. Ours derives once with symbolic sizes
(the cache is cleared for a fair cold start) and then specialises.
"""

from __future__ import annotations

import time

import sympy as sp

from symgrad.core.ops import sigmoid
from symgrad.layers import gated_rnn


def naive(n: int, m: int) -> float:
    start = time.perf_counter()
    x = sp.Matrix(sp.symbols(f"x0:{n}"))
    h = sp.Matrix(sp.symbols(f"h0:{m}"))
    Wc, Wh, Wx = (sp.Matrix(r, c, sp.symbols(f"{name}0:{r * c}"))
                  for name, r, c in (("wc", m, n), ("wh", m, m), ("wx", m, n)))
    c = (Wc * x + Wh * h).applyfunc(sigmoid)
    u = Wx * x
    out = sp.Matrix([c[i] * h[i] + (1 - c[i]) * u[i] for i in range(m)])
    out.jacobian(h)
    return time.perf_counter() - start


def ours(n: int, m: int) -> float:
    gated_rnn._symbolic.cache_clear()
    start = time.perf_counter()
    q = gated_rnn.GatedRNN(n, m).state_jacobian()
    q.latex()
    q.latex("matrix")
    return time.perf_counter() - start


def main() -> None:
    for size in (8, 16):
        t_naive, t_ours = naive(size, size), ours(size, size)
        print(f"state Jacobian at n = m = {size:2d}: naive SymPy {t_naive:7.3f} s, symgrad "
              f"{t_ours:6.3f} s, naive / symgrad = {t_naive / t_ours:6.1f}")


if __name__ == "__main__":
    main()
