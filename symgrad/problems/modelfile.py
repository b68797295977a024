r"""Models written in files: LaTeX equations with their shapes in comment lines.

    % shapes: x: n, h: m, W_c: m x n, W_h: m x m, W_x: m x n
    c[t] = \sigma(W_c x[t] + W_h h[t-1]) \\
    h[t] = c[t] \odot h[t-1] + (1 - c[t]) \odot W_x x[t]

Directives are LaTeX comments, so the file still compiles inside a document:
``% shapes: NAME: SHAPE, NAME: SHAPE, ...`` (any number of such lines; a shape is what
``Model.from_latex`` takes: ``m x n``, ``(T, d)``, ``3 x 5``, empty for a scalar),
``% name: LSTM`` and ``% index-base: 0`` (the base of index notation in the equations,
1 by default). Everything else that is not a comment is the equations, one per line or
separated by ``\\``; ``\[ \]``, ``$$`` and ``align``-like environments may wrap them.
The same ``NAME: SHAPE, ...`` text is accepted as a model's shapes in a problem-set file.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import SymgradError
from ..core.model import Model

__all__ = ["ModelSource", "build_model", "parse_shapes", "read_model_file", "read_model_text"]

MAX_MODEL_BYTES = 200_000
_DIRECTIVE = re.compile(r"^\s*%+\s*([A-Za-z][A-Za-z_ -]*?)\s*:(.*)$")
_KNOWN = {"shapes": "shapes", "shape": "shapes", "name": "name", "index-base": "index_base",
          "index base": "index_base", "index_base": "index_base"}


@dataclass
class ModelSource:
    """The equations of a model, its shapes as written, a name and an index base."""

    equations: str
    shapes: dict[str, str] = field(default_factory=dict)
    name: str = "model"
    index_base: int = 1
    where: str = "the model"

    def build(self) -> Model:
        return build_model(self)


def _split_top(text: str, sep: str) -> list[str]:
    """Split on ``sep`` outside (), [] and {}."""
    parts, depth, start = [], 0, 0
    for k, ch in enumerate(text):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == sep and depth == 0:
            parts.append(text[start:k])
            start = k + 1
    parts.append(text[start:])
    return parts


def parse_shapes(text: str, where: str = "shapes") -> dict[str, str]:
    """``"x: n, h: m, W_c: m x n"`` -> ``{"x": "n", "h": "m", "W_c": "m x n"}``."""
    out: dict[str, str] = {}
    for item in _split_top(text, ","):
        if not item.strip():
            continue
        pieces = _split_top(item, ":")
        if len(pieces) < 2 or not pieces[0].strip():
            raise SymgradError(f"{where}: cannot read {item.strip()!r}; write NAME: SHAPE, "
                               f"e.g. 'W_c: m x n' (entries separated by commas)")
        name, shape = pieces[0].strip(), ":".join(pieces[1:]).strip()
        if name in out:
            raise SymgradError(f"{where}: {name} is given a shape twice; keep one")
        out[name] = shape
    return out


def _int_base(value: str, where: str) -> int:
    if value.strip() not in ("0", "1"):
        raise SymgradError(f"{where}: index-base must be 0 or 1, not {value.strip()!r}")
    return int(value)


def read_model_text(text: str, where: str = "the model") -> ModelSource:
    """Equations and ``% shapes:`` / ``% name:`` / ``% index-base:`` directives."""
    shapes: dict[str, str] = {}
    name, base = "model", 1
    body = []
    for n, line in enumerate(text.splitlines(), 1):
        m = _DIRECTIVE.match(line)
        key = _KNOWN.get(m.group(1).strip().lower()) if m else None
        if key is None:
            body.append(line)
            continue
        at = f"{where}, line {n}"
        value = m.group(2).strip()
        if key == "shapes":
            for k, v in parse_shapes(value, at).items():
                if k in shapes:
                    raise SymgradError(f"{at}: {k} is given a shape twice; keep one")
                shapes[k] = v
        elif key == "name":
            name = value or name
        else:
            base = _int_base(value, at)
    equations = "\n".join(body)
    for delim in (r"\[", r"\]", "$$"):
        equations = equations.replace(delim, "\n")
    if not re.sub(r"(?<!\\)%[^\n]*", "", equations).strip():
        raise SymgradError(f"{where} has no equations; write one per line, e.g. "
                           r"'h[t] = \tanh(W h[t-1] + U x[t])'")
    if not shapes:
        raise SymgradError(f"{where} declares no shapes; add a line such as "
                           f"'% shapes: x: n, h: m, W: m x m'")
    return ModelSource(equations, shapes, name, base, where)


def read_model_file(path: str) -> ModelSource:
    """A model from a .tex file, or from standard input for ``-``."""
    if path == "-":
        data, where = sys.stdin.buffer.read(MAX_MODEL_BYTES + 1), "standard input"
    else:
        where = path
        try:
            data = Path(path).read_bytes()
        except OSError as e:
            raise SymgradError(f"cannot read the model {path}: {e.strerror}") from None
    if len(data) > MAX_MODEL_BYTES:
        raise SymgradError(f"the model in {where} is over {MAX_MODEL_BYTES} bytes; "
                           f"a model is a few equations")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise SymgradError(f"the model in {where} is not valid UTF-8 (byte {e.start}); "
                           f"save it as UTF-8") from None
    return read_model_text(text, where)


def build_model(src: ModelSource) -> Model:
    """``Model.from_latex`` on a source; errors name where the model came from."""
    try:
        return Model.from_latex(src.equations, src.shapes, name=src.name,
                                index_base=src.index_base)
    except SymgradError as e:
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        try:
            again = type(e)(f"{src.where}: {first}")
        except TypeError:
            again = SymgradError(f"{src.where}: {first}")
        raise again from None


def shapes_from(value: object, where: str) -> dict[str, str]:
    """A model's shapes in a data file: a table of NAME = SHAPE or a 'NAME: SHAPE, ...'
    string."""
    if isinstance(value, str):
        return parse_shapes(value, where)
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            if isinstance(v, int) and not isinstance(v, bool):
                v = str(v)
            if not isinstance(v, str):
                raise SymgradError(f"{where}: the shape of {k} must be a string such as "
                                   f"'m x n', not {v!r}")
            out[str(k)] = v
        return out
    raise SymgradError(f"{where} must be a table (x = \"n\") or a string "
                       f"('x: n, W: m x n'), not {type(value).__name__}")
