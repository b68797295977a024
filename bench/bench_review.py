"""Per-claim cost of `symgrad review` (one process, derivations shared) against one cold
`symgrad check` (a new process per claim, as a script cutting claims by hand would run)."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT.parent / "shared" / "seeds" / "000_cceb4aa8b35596d4.txt"


def _write_up(folder: Path) -> Path:
    sys.path.insert(0, str(ROOT / "tests"))
    from test_review import _many_claims

    p = folder / "many.tex"
    p.write_text(_many_claims(70))
    return p


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        files = [_write_up(Path(tmp))] + ([SEED] if SEED.is_file() else [])
        t = time.perf_counter()
        r = subprocess.run([sys.executable, "-m", "symgrad", "check", "1.1.c.iii", "--latex",
                            r"\frac{\partial f_W(x)}{\partial x} \in \mathbb{R}^{1 \times 3 "
                            r"\times 5 \times 7}"], capture_output=True, text=True)
        cold = time.perf_counter() - t
        assert r.returncode == 0, r.stderr
        for f in files:
            t = time.perf_counter()
            out = subprocess.run([sys.executable, "-m", "symgrad", "review", str(f), "--json"],
                                 capture_output=True, text=True)
            whole = time.perf_counter() - t
            n = json.loads(out.stdout)["summary"]["claims"]
            print(f"review {f.name}: {n} claims in {whole:.2f} s (one process) = "
                  f"{whole / n:.3f} s per claim; one cold `symgrad check`: {cold:.2f} s; "
                  f"ratio cold check / review per claim = {cold / (whole / n):.1f}x")


if __name__ == "__main__":
    main()
