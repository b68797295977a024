"""The whole `symgrad answers --no-pdf` run on a fresh folder vs a bare
`python -c "import sympy, numpy"`: medians of 3 fresh processes each, run alternately."""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time

from bytecode import compile_package  # bench/ is on sys.path

RUNS = 3
TARGET = 4.0


def run(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    compile_package()
    bare, full = [], []
    for _ in range(RUNS):
        bare.append(run([sys.executable, "-c", "import sympy, numpy"]))
        with tempfile.TemporaryDirectory() as out:
            full.append(run([sys.executable, "-m", "symgrad", "answers", "--no-pdf",
                             "--out", out]))
    b, f = statistics.median(bare), statistics.median(full)
    print(f"import sympy, numpy: {b:.2f} s; symgrad answers --no-pdf (fresh folder): "
          f"{f:.2f} s (medians of {RUNS} fresh processes); ratio {f / b:.1f} "
          f"(target within {TARGET:g}x)")


if __name__ == "__main__":
    main()
