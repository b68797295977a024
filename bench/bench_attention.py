"""Cost of deriving the AttentionRNN lag-1 state Jacobian as n and k grow.

Each case starts cold (SymPy's cache cleared, the symbolic cell rebuilt) and derives
dh[t]/dh[t-1] with its index form, matrix form and LaTeX. The cell is derived once with
symbolic n and k, so both ratios should stay near 1.

    python -m bench.bench_attention [--repeat 5]     (from the repository root)
"""

from __future__ import annotations

import argparse
import time

from sympy.core.cache import clear_cache

from symgrad.layers.attention_rnn import AttentionRNN, _cell


def derive_once(k: int | None, n: int) -> float:
    """Seconds to build the cell from scratch and derive the lag-1 Jacobian in every form."""
    _cell.cache_clear()
    clear_cache()
    start = time.perf_counter()
    jac = AttentionRNN(k, n).state_jacobian(1)
    jac.latex()
    jac.latex("matrix")
    return time.perf_counter() - start


def best(k: int | None, n: int, repeat: int) -> float:
    """Best of ``repeat`` cold derivations (less noise than the mean)."""
    return min(derive_once(k, n) for _ in range(repeat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    derive_once(2, 4)  # imports and first-call set-up, not part of any case
    cases = {"k=2, n=4": (2, 4), "k=2, n=4096": (2, 4096), "k=64, n=4": (64, 4),
             "inf, n=4": (None, 4)}
    times = {name: best(k, n, args.repeat) for name, (k, n) in cases.items()}
    for name, seconds in times.items():
        print(f"{name:>12}: {seconds * 1000:8.1f} ms")
    print(f"ratio n=4096 / n=4 (k=2): {times['k=2, n=4096'] / times['k=2, n=4']:.2f}")
    print(f"ratio k=64 / k=2 (n=4):   {times['k=64, n=4'] / times['k=2, n=4']:.2f}")


if __name__ == "__main__":
    main()
