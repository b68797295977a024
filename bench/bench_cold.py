"""Cold starts: each README `symgrad check` example in a fresh process, against a bare
`python -c "import sympy, numpy"` measured in the same run (median of several runs,
interleaved so a change of load on the machine falls on every command alike).

Targets (issue 16): the shape claim `check 1.1.a --latex '5 \\times 2'` within 1.8x the bare
import, every README example within 2.5x.

    python bench/bench_cold.py [--repeat N]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

from bytecode import compile_package  # bench/ is on sys.path

ROOT = Path(__file__).resolve().parents[1]

BARE = [sys.executable, "-c", "import sympy, numpy"]
SHAPE = ("1.1.a", r"5 \times 2")
README = [  # the check examples of README.md, section 2 and the problem-set section
    ("1.1.b", r"F \times \lfloor \frac{H-DK+P+S}{S} \rfloor \times "
              r"\lfloor \frac{W-DK+P+S}{S} \rfloor"),
    ("1.1.c.i", r"\hat{y}_{1,j} = \sum_{c=1}^{5} \sum_{m=1}^{3} W_{1,c,m} x_{c,2j-1+m}"),
    ("1.2.1.c", r"\frac{\partial h[t]_i}{\partial (W_x)_{jk}} = \begin{cases} "
                r"(1 - c[t])_i x[t]_k & j = i \\ 0 & \text{else} \end{cases}"),
    ("1.1.c.ii", r"\frac{\partial \hat{y}}{\partial W} \in \mathbb{R}^{5 \times 3 \times 3}"),
]
HW1 = ("1.3.b", r"\frac{\partial \ell}{\partial z_3} = \frac{1}{K}(\hat{y} - y)^\top")


def commands() -> dict[str, list[str]]:
    sg = [sys.executable, "-m", "symgrad", "check"]
    out = {"check " + SHAPE[0]: sg + [SHAPE[0], "--latex", SHAPE[1]]}
    for qid, claim in README:
        out["check " + qid] = sg + [qid, "--latex", claim]
    out["check --set hw1 " + HW1[0]] = sg + ["--set", "hw1", HW1[0], HW1[1]]
    return out


def run(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(args, capture_output=True, cwd=ROOT)  # exit status 1 is a verdict
    return time.perf_counter() - start


def measure(repeat: int = 5) -> tuple[float, dict[str, float]]:
    cmds = commands()
    compile_package()
    bare: list[float] = []
    times: dict[str, list[float]] = {k: [] for k in cmds}
    for _ in range(repeat):
        bare.append(run(BARE))
        for name, args in cmds.items():
            times[name].append(run(args))
    return statistics.median(bare), {k: statistics.median(v) for k, v in times.items()}


def main(repeat: int = 5) -> tuple[float, dict[str, float]]:
    bare, times = measure(repeat)
    print(f"import sympy, numpy: {bare:.2f} s (median of {repeat} fresh processes)")
    for name, t in times.items():
        print(f"  symgrad {name:24s} {t:5.2f} s  {t / bare:4.2f}x the bare import")
    shape = times["check " + SHAPE[0]] / bare
    worst = max(times.values()) / bare
    print(f"targets: shape claim within 1.8x ({shape:.2f}x), every README example within "
          f"2.5x (worst {worst:.2f}x)")
    return bare, times


if __name__ == "__main__":
    n = int(sys.argv[sys.argv.index("--repeat") + 1]) if "--repeat" in sys.argv else 5
    main(n)
