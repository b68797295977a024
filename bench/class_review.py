"""A class of 30 write-ups reviewed in one `symgrad review FOLDER --out REPORT` run, with
--jobs 1 and --jobs 2 (a fresh report folder each time, so no write-up is cached), then a
re-run with nothing changed (every write-up cached).

The class: the keyed write-ups of ../shared/writeups (when present, read from there) and the
keyed corpus of tests/data/review/corpus cycled, each copy with its output index renamed so
that no claim is a cached repeat of another's. Times are printed, never asserted.
Usage: python bench/class_review.py [N]   (N write-ups, default 30)"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "writeups"
CORPUS = ROOT / "tests" / "data" / "review" / "corpus"
LETTERS = ["j", "p", "q", "r", "u", "o"]


def make_class(folder: Path, n: int) -> int:
    """n write-ups under folder (the shared ones in student folders); returns how many."""
    k = 0
    for p in sorted(SHARED.glob("*")) if SHARED.is_dir() else []:
        if p.suffix in (".md", ".tex") and p.name != "README.md" and k < n:
            (folder / p.stem).mkdir()
            shutil.copyfile(p, folder / p.stem / p.name)
            k += 1
    src = sorted(p for p in CORPUS.iterdir() if p.suffix in (".tex", ".md", ".ipynb"))
    for i, p in zip(range(n - k), itertools.cycle(src), strict=False):
        letter = LETTERS[(i // len(src)) % len(LETTERS)]
        text = re.sub(r"(?<![A-Za-z\\])j(?![A-Za-z])", letter, p.read_text())
        (folder / f"student{i:02d}_{p.name}").write_text(text)
        k += 1
    return k


def run(folder: Path, out: Path, jobs: int) -> float:
    cpu = os.times()
    t = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "symgrad", "review", str(folder), "--out",
                        str(out), "--jobs", str(jobs)], capture_output=True, text=True,
                       cwd=ROOT)
    took = time.perf_counter() - t
    end = os.times()
    used = end.children_user + end.children_system - cpu.children_user - cpu.children_system
    print(f"  --jobs {jobs}: {took:.1f} s wall, {used:.1f} s of CPU", flush=True)
    if r.returncode not in (0, 1):
        sys.exit(f"symgrad review failed ({r.returncode}): {r.stderr[-2000:]}")
    return took


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "class"
        folder.mkdir()
        count = make_class(folder, n)
        one = run(folder, Path(tmp) / "r1", 1)
        two = run(folder, Path(tmp) / "r2", 2)
        again = run(folder, Path(tmp) / "r2", 2)
        print(f"load average before: {os.getloadavg()[0]:.2f} (other work on the cores "
              f"slows the parallel run)")
        print(f"{count} write-ups: --jobs 1 {one:.1f} s; --jobs 2 {two:.1f} s "
              f"({two / one:.2f} of one job); re-run, nothing changed: {again:.1f} s")


if __name__ == "__main__":
    main()
