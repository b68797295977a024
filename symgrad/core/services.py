"""Services that live above core, registered by the packages that provide them.

core imports nothing above it: ``Model.from_latex`` needs the LaTeX reader
(``symgrad.notation``) and ``Quantity.check`` the checker (``symgrad.verify``); those
packages register themselves here when ``symgrad`` is imported.
"""

from __future__ import annotations

from collections.abc import Callable

from .errors import SymgradError

_PROVIDED: dict[str, Callable] = {}


def provide(name: str, fn: Callable) -> None:
    """Register ``fn`` as the service ``name``."""
    _PROVIDED[name] = fn


def service(name: str) -> Callable:
    """The registered service ``name``."""
    try:
        return _PROVIDED[name]
    except KeyError:
        raise SymgradError(f"{name} is not available: import symgrad (the package) first") from None
