"""One exception family for everything symgrad refuses, so callers catch one type."""


class SymgradError(Exception):
    """Base class: a problem with the user's request, explained in one line."""


class ShapeError(SymgradError):
    """Shapes or sizes that do not fit together."""


class UnknownNameError(SymgradError):
    """A tensor, quantity, parameter or question that is not declared (with its position
    in the user's text, where there is one)."""

    def __init__(self, message: str, position: int | None = None):
        super().__init__(message)
        self.position = position


class ParseError(SymgradError):
    """LaTeX that could not be read; says where and which construct."""

    def __init__(self, message: str, position: int | None = None, construct: str | None = None):
        super().__init__(message)
        self.position = position
        self.construct = construct


class LimitError(SymgradError):
    """Input or work beyond the bounds symgrad accepts (size, depth, time)."""
