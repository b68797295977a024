"""Shapes written as text (``"m x n"``, ``"3 x 5"``, ``"(T, d)"``, ``"4x3"``), read without eval."""

from __future__ import annotations

import operator
import re
from collections.abc import Sequence

import sympy as sp

from .errors import ShapeError
from .tensor import as_dim, size

ShapeSpec = str | int | sp.Expr | Sequence

_DIM_TOKEN = re.compile(r"\s*(?:(\d+)|([A-Za-z][A-Za-z0-9_]*)|(//|\\times|[-+*/(),×]))")


class _DimParser:
    """``m x n``, ``3 x 5``, ``(T, d)``, ``floor((L - K)/2) + 1``: sizes, no eval."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.toks: list[str] = []
        self.spans: list[tuple[int, int]] = []
        pos = 0
        while pos < len(text):
            if text[pos:].strip() == "":
                break
            m = _DIM_TOKEN.match(text, pos)
            if m is None or m.end() == pos:
                raise ShapeError(f"cannot read the shape {text!r} at position {pos}: write "
                                 f"sizes separated by ' x ', e.g. 'm x n'")
            self.toks.append(m.group(m.lastindex))
            self.spans.append((m.start(m.lastindex), m.end()))
            pos = m.end()
        self.k = 0

    def peek(self) -> str | None:
        return self.toks[self.k] if self.k < len(self.toks) else None

    def take(self) -> str:
        t = self.peek()
        if t is None:
            raise ShapeError(f"the shape {self.text!r} ends too early")
        self.k += 1
        return t

    def dims(self) -> tuple:
        if not self.toks or self.toks == ["(", ")"]:
            return ()
        if self.toks[0] == "(" and self._mate(0) == len(self.toks) - 1:
            self.toks = self.toks[1:-1]
        if not self.toks:
            return ()
        out = [self.sum()]
        while self.peek() in ("x", ",", "×", r"\times"):
            self.take()
            out.append(self.sum())
        if self.peek() is not None:
            raise ShapeError(f"cannot read the shape {self.text!r}: unexpected {self.peek()!r}")
        return tuple(out)

    def _mate(self, k: int) -> int:
        depth = 0
        for j in range(k, len(self.toks)):
            depth += {"(": 1, ")": -1}.get(self.toks[j], 0)
            if depth == 0:
                return j
        raise ShapeError(f"unbalanced parentheses in the shape {self.text!r}")

    def sum(self) -> sp.Expr:
        out = self.prod()
        while self.peek() in ("+", "-"):
            out = out + self.prod() if self.take() == "+" else out - self.prod()
        return out

    def prod(self) -> sp.Expr:
        out = self.unary()
        while self.peek() in ("*", "/", "//") or self._implicit():
            op = "*" if self._implicit() else self.take()
            rhs = self.unary()
            out = out * rhs if op == "*" else out / rhs if op == "/" else sp.floor(out / rhs)
        return out

    def _implicit(self) -> bool:
        """A product written without ``*``: ``2K``, ``2(K-1)``, ``D(K-1)`` (no space
        between; ``m n`` stays an error, not m times n)."""
        k = self.k
        if k == 0 or k >= len(self.toks) or self.spans[k - 1][1] != self.spans[k][0]:
            return False
        left, right = self.toks[k - 1], self.toks[k]
        if right == "(":
            return left == ")" or left.isdigit() or (left[0].isalpha() and left not in (
                "x", "floor", "ceil", "ceiling"))
        return left.isdigit() and right[0].isalpha() and right != "x"

    def unary(self) -> sp.Expr:
        if self.peek() == "-":
            self.take()
            return -self.unary()
        t = self.take()
        if t.isdigit():
            return sp.Integer(int(t))
        if t == "(":
            e = self.sum()
            if self.take() != ")":
                raise ShapeError(f"unbalanced parentheses in the shape {self.text!r}")
            return e
        if t in ("floor", "ceil", "ceiling") and self.peek() == "(":
            self.take()
            e = self.sum()
            if self.take() != ")":
                raise ShapeError(f"unbalanced parentheses in the shape {self.text!r}")
            return sp.floor(e) if t == "floor" else sp.ceiling(e)
        if t == "x" or not (t[0].isalpha()):
            raise ShapeError(f"cannot read the shape {self.text!r}: unexpected {t!r}")
        return size(t)


_COMPACT = re.compile(r"^\s*(\d+|[A-Za-z])(\s*[xX]\s*(\d+|[A-Za-z]))+\s*$")
_REALS = re.compile(r"^\s*(?:(?:\\mathbb\s*\{?\s*R\s*\}?|\\R|ℝ)\s*(?:\^\s*(.*))?|R\s*\^\s*(.*))$",
                    re.S)


def _strip_reals(spec: str) -> str:
    r"""``\mathbb{R}^{m \times n}``, ``R^{m x n}``, ``\mathbb{R}^n`` -> ``m \times n``, ``n``."""
    m = _REALS.match(spec)
    if m is None:
        return spec
    rest = (m.group(1) or m.group(2) or "").strip()
    if rest.startswith("{") and rest.endswith("}"):
        rest = rest[1:-1]
    return rest


def _integral(spec: object) -> int | None:
    """A NumPy or other integer (not bool) as an int, else None."""
    if isinstance(spec, bool) or isinstance(spec, str | sp.Expr):
        return None
    try:
        return operator.index(spec)
    except TypeError:
        return None


def parse_shape(spec: ShapeSpec) -> tuple:
    """A shape from a tuple of ints / symbols / strings, or a string such as ``"m x n"``.

    Sizes are ints, names (positive integer symbols) or expressions of them with
    ``+ - * / //`` and ``floor(...)``; dimensions are separated by `` x ``, ``×`` or commas.
    """
    if isinstance(spec, str):
        spec = _strip_reals(spec)
        if _COMPACT.match(spec):
            spec = " x ".join(p for p in re.split(r"\s*[xX]\s*", spec.strip()))
        return tuple(as_dim(d, "size") for d in _DimParser(spec).dims())
    if isinstance(spec, bool):
        raise ShapeError(f"a shape must be a string or a tuple of sizes, got {spec!r}")
    if _integral(spec) is not None:
        return (as_dim(_integral(spec), "size"),)
    if isinstance(spec, sp.Expr):
        return (as_dim(spec, "size"),)
    if isinstance(spec, Sequence) or hasattr(spec, "tolist"):
        out = []
        for d in spec:
            if isinstance(d, str):
                dims = _DimParser(d).dims()
                if len(dims) != 1:
                    raise ShapeError(f"{d!r} is not one size")
                out.append(as_dim(dims[0], "size"))
            else:
                k = _integral(d)
                out.append(as_dim(d if k is None else k, "size"))
        return tuple(out)
    raise ShapeError(f"a shape must be a string or a tuple of sizes, got {spec!r}")


def dims_text(shape: Sequence) -> str:
    """``m x n`` for a shape (``scalar`` for rank 0)."""
    return " x ".join(str(d) for d in shape) or "scalar"
