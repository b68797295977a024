"""The registry of problem sets: a name -> loader table, and sets read from files.

Built in: ``hw2`` (Python, the default) and every ``*.toml`` in ``symgrad/problems/sets``
under the ``name`` it declares. ``get("path/to/set.toml")`` reads any file; ``register``
adds a set from code (a loader returning a ProblemSet)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..core.errors import SymgradError, UnknownNameError
from ..core.services import provide
from .base import ProblemSet

__all__ = ["DEFAULT", "SETS_DIR", "get", "names", "register"]

DEFAULT = "hw2"
SETS_DIR = Path(__file__).resolve().parent / "sets"

_LOADERS: dict[str, Callable[[], ProblemSet]] = {}
_CACHE: dict[str, ProblemSet] = {}


def register(name: str, loader: Callable[[], ProblemSet]) -> None:
    """Make a problem set available by name (loaded on first use)."""
    _LOADERS[name] = loader
    _CACHE.pop(name, None)


def _hw2() -> ProblemSet:
    from .hw2 import HW2

    return HW2


def _data_file(path: Path) -> Callable[[], ProblemSet]:
    def load() -> ProblemSet:
        from .dataset import load_set

        return load_set(path)

    return load


def _builtin() -> None:
    if DEFAULT in _LOADERS:
        return
    register(DEFAULT, _hw2)
    register("hw2-spring2021", lambda: __import__(f"{__package__}.hw2_spring2021",
                                                  fromlist=["*"]).problem_set())
    register("hw2-spring2022", lambda: __import__(f"{__package__}.hw2_spring2022",
                                                  fromlist=["*"]).problem_set())
    register("hw2-fall2024", lambda: __import__(f"{__package__}.hw2_fall2024",
                                                fromlist=["*"]).problem_set())
    from .dataset import read_set

    for path in sorted(SETS_DIR.glob("*.toml")):
        register(read_set(path).name, _data_file(path))


def names() -> list[str]:
    """The names of the registered sets (the default first)."""
    _builtin()
    return list(_LOADERS)


def _is_path(spec: str) -> bool:
    return spec.endswith((".toml", ".TOML")) or "/" in spec or "\\" in spec


def get(spec: str | None = None) -> ProblemSet:
    """A problem set by registered name (default hw2) or by the path of a .toml file."""
    _builtin()
    spec = DEFAULT if spec is None else str(spec)
    if spec in _LOADERS:
        if spec not in _CACHE:
            _CACHE[spec] = _LOADERS[spec]()
        return _CACHE[spec]
    if _is_path(spec) or Path(spec).is_file():
        if not Path(spec).is_file():
            raise SymgradError(f"no problem-set file {spec}; pass the path of a .toml file "
                               f"or one of the sets {', '.join(_LOADERS)}")
        from .dataset import load_set

        return load_set(spec)
    raise UnknownNameError(f"no problem set {spec!r}; pass the path of a .toml file or one "
                           f"of {', '.join(_LOADERS)}")


provide("problem_set", get)
provide("problem_set_names", names)
