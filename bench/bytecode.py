"""Cold starts are measured as a user runs the installed command: with symgrad's modules
compiled to bytecode once, as `pip install` does. Without it, and with
PYTHONDONTWRITEBYTECODE set (as on the development machine), every fresh process would
compile symgrad's source again (about 0.16 s), while the bare `import sympy, numpy` it is
compared with reads SymPy's and NumPy's installed bytecode."""

from __future__ import annotations

import compileall
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def compile_package() -> None:
    """Write the bytecode of every module of symgrad (in its __pycache__ folders)."""
    compileall.compile_dir(ROOT / "symgrad", quiet=1)
