"""Depth: the deep-transition RNN of issue 16, a chain of k equations
(``z_1[t] = tanh(W_1 x[t] + U h[t-1])``, ``z_j[t] = tanh(W_j z_{j-1}[t])``,
``h[t] = sigma(W_c h[t-1]) (.) h[t-1] + z_{k-1}[t]``), and ``jacobian("h[t]", "h[t-1]")``.

Each k is timed in a fresh process (median of several runs; the model is built before the
clock starts, so the time is the derivation and its tidying), and printed with its ratio to
k = 2 measured in the same run. Targets: k = 16 within 12x k = 2 and under 0.3 s.

    python bench/bench_depth.py [--repeat N]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEPTHS = (2, 4, 8, 16)

CHILD = r'''
import sys, time
sys.path.insert(0, sys.argv[2])
import symgrad as sg
k = int(sys.argv[1])
lines = [r"z_1[t] = \tanh(W_1 x[t] + U h[t-1])"]
lines += [rf"z_{{{j}}}[t] = \tanh(W_{{{j}}} z_{{{j - 1}}}[t])" for j in range(2, k)]
lines.append(rf"h[t] = \sigma(W_c h[t-1]) \odot h[t-1] + z_{{{k - 1}}}[t]")
shapes = {"x": "n", "h": "m", "U": "m x m", "W_1": "m x n", "W_c": "m x m"}
shapes.update({f"z_{j}": "m" for j in range(1, k)})
shapes.update({f"W_{j}": "m x m" for j in range(2, k)})
model = sg.Model.from_latex(r" \\ ".join(lines), shapes)
start = time.perf_counter()
q = model.jacobian("h[t]", "h[t-1]")
elapsed = time.perf_counter() - start
print(elapsed, q.element.count_ops())
'''


def once(k: int) -> tuple[float, int]:
    out = subprocess.run([sys.executable, "-c", CHILD, str(k), str(ROOT)], check=True,
                         capture_output=True, text=True).stdout.split()
    return float(out[0]), int(out[1])


def measure(repeat: int = 5) -> dict[int, tuple[float, int]]:
    """{k: (median seconds, operations in the result)}; depths interleaved, so a load
    change on the machine falls on every depth alike."""
    runs: dict[int, list[float]] = {k: [] for k in DEPTHS}
    ops: dict[int, int] = {}
    for _ in range(repeat):
        for k in DEPTHS:
            t, ops[k] = once(k)
            runs[k].append(t)
    return {k: (statistics.median(v), ops[k]) for k, v in runs.items()}


def main(repeat: int = 5) -> dict[int, tuple[float, int]]:
    res = measure(repeat)
    base = res[DEPTHS[0]][0]
    for k, (t, n_ops) in res.items():
        print(f"deep-transition RNN, {k:2d} equations: jacobian h[t] by h[t-1] "
              f"{t * 1e3:6.0f} ms (median of {repeat}, fresh processes), {n_ops:3d} "
              f"operations in the result, {t / base:5.1f}x the 2-equation chain")
    t16 = res[16][0]
    print(f"targets: 16 equations within 12x of 2 ({t16 / base:.1f}x) and under 0.3 s "
          f"({t16:.2f} s)")
    return res


if __name__ == "__main__":
    n = int(sys.argv[sys.argv.index("--repeat") + 1]) if "--repeat" in sys.argv else 5
    main(n)
