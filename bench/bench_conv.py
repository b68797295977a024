"""Derivation cost of the conv Jacobians at the homework's sizes vs sizes 1000x larger.

Each measurement clears the derivation cache, so both derive from scratch (symbolic sizes,
then specialisation); the ratio should be near 1 because nothing is built per entry.
"""

from __future__ import annotations

import time

from symgrad.layers import conv as conv_module


def derive(**sizes) -> float:
    conv_module._symbolic.cache_clear()
    start = time.perf_counter()
    c = conv_module.Conv1d(**sizes)
    for q in (c.jacobian("W"), c.jacobian("x"), c.grad("W"), c.grad("x")):
        q.latex()
    return time.perf_counter() - start


def main() -> None:
    small = dict(in_channels=5, length=7, kernel_size=3, stride=2)
    large = dict(in_channels=5000, length=7000, kernel_size=3000, stride=2)
    derive(**small)
    t_small = min(derive(**small) for _ in range(3))
    t_large = min(derive(**large) for _ in range(3))
    print(f"conv Jacobians: homework sizes {t_small:.3f} s, 1000x sizes {t_large:.3f} s, "
          f"ratio {t_large / t_small:.2f}")


if __name__ == "__main__":
    main()
