"""The whole `symgrad answers --no-pdf` run vs a bare `python -c "import sympy, numpy"`."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time


def run(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    bare = min(run([sys.executable, "-c", "import sympy, numpy"]) for _ in range(3))
    with tempfile.TemporaryDirectory() as out:
        full = run([sys.executable, "-m", "symgrad", "answers", "--no-pdf", "--out", out])
    print(f"import sympy, numpy: {bare:.2f} s; symgrad answers --no-pdf: {full:.2f} s; "
          f"ratio {full / bare:.1f}")


if __name__ == "__main__":
    main()
