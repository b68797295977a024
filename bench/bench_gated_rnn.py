"""Cost of the gated RNN's closed forms: derived once for symbolic sizes, then specialised.

Prints the cold derivation time (first use in the process: building the model and running
the chain rule) and the derive+specialise time of the state Jacobian, the immediate
dh/dW_x and the BPTT gradient at hidden size 4 and at 4000, with their ratio (about 1:
the sizes never enter the derivation).

    python bench/bench_gated_rnn.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from symgrad.layers.gated_rnn import GatedRNN  # noqa: E402


def specialise(m: int) -> None:
    """Derive (memoised) and specialise every closed form at hidden size m, with its LaTeX."""
    rnn = GatedRNN(8, m)
    q = rnn.state_jacobian()
    q.latex("matrix")
    q.latex()
    rnn.jacobian("W_x").latex()
    rnn.grad("W_x", steps=10, given="direct").latex()


def timed(m: int, repeats: int = 7) -> float:
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        specialise(m)
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def main() -> None:
    start = time.perf_counter()
    specialise(4)
    cold = time.perf_counter() - start
    small, large = timed(4), timed(4000)
    print(f"cold derivation (first use, m = 4): {cold * 1e3:8.1f} ms")
    print(f"derive + specialise at m = 4:       {small * 1e3:8.1f} ms")
    print(f"derive + specialise at m = 4000:    {large * 1e3:8.1f} ms")
    print(f"ratio m = 4000 / m = 4:             {large / small:8.2f}")


if __name__ == "__main__":
    main()
