"""Cost of `symgrad review` against a baseline measured in the same run: one cold
`symgrad check` (a new process per claim, as a script cutting claims by hand would run).

Prints, for a 70-claim write-up, the seed, and a grader's folder of 30 write-ups (the keyed
corpus of tests/data/review/corpus, each copy with its index letters renamed so that no
claim is a cached repeat of another), the time of one `symgrad review` process, the time
per claim, and the ratio of the cold check to the per-claim cost. The issue's budgets
(70 claims < 10 s, 30 write-ups < 3 min) are printed beside the times, never asserted."""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT.parent / "shared" / "seeds" / "000_cceb4aa8b35596d4.txt"
CORPUS = ROOT / "tests" / "data" / "review" / "corpus"
LETTERS = ["j", "p", "q", "r", "u", "o"]


def _seventy(folder: Path) -> Path:
    sys.path.insert(0, str(ROOT / "tests"))
    from test_review import _many_claims

    p = folder / "many.tex"
    p.write_text(_many_claims(70))
    return p


def _thirty(folder: Path) -> list[Path]:
    """30 write-ups: the corpus cycled, copy k with the output index j renamed."""
    src = sorted(p for p in CORPUS.iterdir() if p.suffix in (".tex", ".md", ".ipynb"))
    out = []
    for k, p in zip(range(30), itertools.cycle(src), strict=False):
        letter = LETTERS[(k // len(src)) % len(LETTERS)]
        text = re.sub(r"(?<![A-Za-z\\])j(?![A-Za-z])", letter, p.read_text())
        q = folder / f"student{k:02d}_{p.name}"
        q.write_text(text)
        out.append(q)
    return out


def _review(paths: list[Path]) -> tuple[float, dict]:
    t = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "symgrad", "review", *map(str, paths), "--json"],
                       capture_output=True, text=True, cwd=ROOT)
    whole = time.perf_counter() - t
    return whole, json.loads(r.stdout)["summary"]


def main() -> None:
    t = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "symgrad", "check", "1.1.c.iii", "--latex",
                        r"\frac{\partial f_W(x)}{\partial x} \in \mathbb{R}^{1 \times 3 "
                        r"\times 5 \times 7}"], capture_output=True, text=True, cwd=ROOT)
    cold = time.perf_counter() - t
    assert r.returncode == 0, r.stderr
    print(f"baseline: one cold `symgrad check`: {cold:.2f} s")
    with tempfile.TemporaryDirectory() as tmp:
        runs = [("70-claim write-up", [_seventy(Path(tmp))], "budget 10 s")]
        if SEED.is_file():
            runs.append(("the seed", [SEED], ""))
        folder = Path(tmp) / "folder"
        folder.mkdir()
        runs.append(("30 write-ups (one process)", _thirty(folder), "budget 180 s"))
        for name, paths, budget in runs:
            whole, s = _review(paths)
            n = max(s["claims"], 1)
            print(f"review {name}: {s['claims']} claims in {whole:.2f} s ({budget or 'no budget'})"
                  f" = {whole / n:.3f} s per claim; cold check / review per claim = "
                  f"{cold / (whole / n):.1f}x")


if __name__ == "__main__":
    main()
