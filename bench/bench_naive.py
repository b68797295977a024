"""Our dimension-generic gated-RNN state Jacobian against the naive SymPy route, cold and
warm, each measured in fresh processes (imports excluded from every clock).

The naive route builds explicit symbol matrices of the given sizes and calls
``Matrix.jacobian``; its cost grows with n = m. Ours derives once with symbolic sizes and
then specialises: **cold** is the first state Jacobian in a fresh process (the derivation,
SymPy's first-use costs, index and matrix LaTeX), **warm** is a second one at another size
in the same process (the derivation is cached: only specialising and printing). Cold is
what a command-line user pays; warm is what a notebook pays after the first call. The
naive route is timed once per fresh process (it has nothing to cache across sizes).

    python bench/bench_naive.py [--repeat N]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIZES = (4, 8, 16, 32)

NAIVE = r'''
import sys, time
import sympy as sp
sys.path.insert(0, sys.argv[2])
from symgrad.core.ops import sigmoid
n = m = int(sys.argv[1])
start = time.perf_counter()
x = sp.Matrix(sp.symbols(f"x0:{n}"))
h = sp.Matrix(sp.symbols(f"h0:{m}"))
Wc, Wh, Wx = (sp.Matrix(r, c, sp.symbols(f"{name}0:{r * c}"))
              for name, r, c in (("wc", m, n), ("wh", m, m), ("wx", m, n)))
c = (Wc * x + Wh * h).applyfunc(sigmoid)
u = Wx * x
out = sp.Matrix([c[i] * h[i] + (1 - c[i]) * u[i] for i in range(m)])
out.jacobian(h)
print(time.perf_counter() - start)
'''

OURS = r'''
import sys, time
sys.path.insert(0, sys.argv[2])
from symgrad.layers.gated_rnn import GatedRNN
n = int(sys.argv[1])

def once(size):
    start = time.perf_counter()
    q = GatedRNN(size, size).state_jacobian()
    q.latex()
    q.latex("matrix")
    return time.perf_counter() - start

cold = once(n)
warm = once(n + 1)  # another size: nothing of the specialised result is reused
print(cold, warm)
'''


def _run(code: str, n: int) -> list[float]:
    out = subprocess.run([sys.executable, "-c", code, str(n), str(ROOT)], check=True,
                         capture_output=True, text=True).stdout.split()
    return [float(v) for v in out]


def measure(repeat: int = 3) -> dict[int, tuple[float, float, float]]:
    """{n: (naive, symgrad cold, symgrad warm)} medians in seconds."""
    res = {}
    for n in SIZES:
        naive, cold, warm = [], [], []
        for _ in range(repeat):
            naive.append(_run(NAIVE, n)[0])
            c, w = _run(OURS, n)
            cold.append(c)
            warm.append(w)
        res[n] = (statistics.median(naive), statistics.median(cold), statistics.median(warm))
    return res


def main(repeat: int = 3) -> dict[int, tuple[float, float, float]]:
    res = measure(repeat)
    for n, (naive, cold, warm) in res.items():
        print(f"state Jacobian at n = m = {n:2d}: naive SymPy {naive:7.3f} s; symgrad cold "
              f"{cold:6.3f} s, warm {warm:6.3f} s; naive / symgrad = {naive / cold:6.1f}x "
              f"cold, {naive / warm:7.1f}x warm (medians of {repeat} fresh processes)")
    return res


if __name__ == "__main__":
    k = int(sys.argv[sys.argv.index("--repeat") + 1]) if "--repeat" in sys.argv else 3
    main(k)
