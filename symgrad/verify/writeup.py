"""A student's write-up read as text: ``.tex``, ``.md``, ``.txt`` or a Jupyter ``.ipynb``.

The scanned text keeps every offset of the input (comments, code and the LaTeX preamble
are blanked with spaces, never removed), so a position maps back to a line (and a cell)."""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import SymgradError

__all__ = ["FORMATS", "MAX_BYTES", "Document", "WriteupError", "read_writeup"]

MAX_BYTES = 5_000_000
FORMATS = {".tex": "tex", ".md": "md", ".markdown": "md", ".txt": "txt", ".ipynb": "ipynb"}


class WriteupError(SymgradError):
    """A write-up that cannot be read (format, size, encoding, malformed notebook)."""


@dataclass
class Document:
    """The scanned ``text`` of a write-up; ``cells`` are (start, end, index, type) spans of
    a notebook's cells in ``text``; ``raw`` is the file's own text."""

    path: Path
    fmt: str
    text: str
    raw: str
    cells: list[tuple[int, int, int, str]] = field(default_factory=list)
    notebook: dict | None = None
    macros: dict[str, tuple[int, str]] = field(default_factory=dict)
    _starts: list[int] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        self._starts = [0] + [m.end() for m in re.finditer("\n", self.text)]

    def line(self, offset: int) -> int:
        """The 1-based line of an offset (within its cell for a notebook)."""
        n = bisect.bisect_right(self._starts, offset)
        cell = self.cell(offset)
        if cell is None:
            return n
        return n - bisect.bisect_right(self._starts, self.cells[cell][0]) + 1

    def cell(self, offset: int) -> int | None:
        """The index of the notebook cell holding an offset (None outside notebooks)."""
        for start, end, index, _kind in self.cells:
            if start <= offset < end or (offset == end and start == end):
                return index
        return None


def _blank(text: str, start: int, end: int) -> str:
    """Replace text[start:end] with spaces, keeping its newlines."""
    return text[:start] + re.sub(r"[^\n]", " ", text[start:end]) + text[end:]


def _blank_all(text: str, pattern: re.Pattern) -> str:
    for m in reversed(list(pattern.finditer(text))):
        text = _blank(text, m.start(), m.end())
    return text


_TEX_COMMENT = re.compile(r"(?<!\\)%[^\n]*")
_TEX_VERBATIM = re.compile(r"\\begin\{(verbatim|lstlisting|minted|comment)\*?\}.*?"
                           r"\\end\{\1\*?\}", re.S)
_TEX_VERB = re.compile(r"\\verb\*?([^a-zA-Z\s]).*?\1")
_MD_FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.S | re.M)
_MD_CODE = re.compile(r"(?<!`)`[^`\n]+`(?!`)")
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)


def scan_tex(raw: str) -> str:
    """LaTeX with comments, verbatim and the preamble blanked (and invisible characters
    made spaces, as in Markdown)."""
    text = _blank_all(_INVISIBLE.sub(" ", raw), _TEX_COMMENT)
    text = _blank_all(text, _TEX_VERBATIM)
    text = _blank_all(text, _TEX_VERB)
    begin = text.find("\\begin{document}")
    if begin >= 0:
        text = _blank(text, 0, begin + len("\\begin{document}"))
    end = text.find("\\end{document}")
    if end >= 0:
        text = _blank(text, end, len(text))
    return text


_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00a0]")


def scan_markdown(raw: str) -> str:
    """Markdown with fenced code, inline code and HTML comments blanked, and invisible
    characters (zero-width spaces, no-break spaces) made spaces, one for one."""
    text = _INVISIBLE.sub(" ", raw)
    text = _blank_all(text, _MD_FENCE)
    text = _blank_all(text, _HTML_COMMENT)
    return _blank_all(text, _MD_CODE)


def _decode(data: bytes, path: Path) -> str:
    if len(data) > MAX_BYTES:
        raise WriteupError(f"{path.name} has {len(data)} bytes; the limit is {MAX_BYTES}")
    if b"\x00" in data:
        raise WriteupError(f"{path.name} contains NUL bytes; it is not a text write-up")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise WriteupError(f"{path.name} is not valid UTF-8 (byte {e.start}); save it as "
                           f"UTF-8") from None


def _notebook(raw: str, path: Path) -> tuple[str, dict, list[tuple[int, int, int, str]]]:
    try:
        nb = json.loads(raw)
    except json.JSONDecodeError as e:
        raise WriteupError(f"{path.name} is not a notebook: invalid JSON at line {e.lineno}"
                           ) from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise WriteupError(f"{path.name} is not a notebook: no list of cells")
    if nb.get("nbformat") != 4:
        raise WriteupError(f"{path.name} is nbformat {nb.get('nbformat')!r}; only nbformat "
                           f"4 notebooks are read (jupyter nbconvert --to notebook upgrades)")
    parts: list[str] = []
    cells: list[tuple[int, int, int, str]] = []
    pos = 0
    for i, cell in enumerate(nb["cells"]):
        if not isinstance(cell, dict):
            raise WriteupError(f"{path.name}: cell {i} is not an object")
        src = cell.get("source", "")
        if isinstance(src, list) and all(isinstance(x, str) for x in src):
            src = "".join(src)
        if not isinstance(src, str):
            raise WriteupError(f"{path.name}: cell {i} has no text source")
        kind = str(cell.get("cell_type", ""))
        body = scan_markdown(src) if kind == "markdown" else re.sub(r"[^\n]", " ", src)
        parts.append(body + "\n\n")  # a cell ends a paragraph
        cells.append((pos, pos + len(body), i, kind))
        pos += len(body) + 2
    return "".join(parts), nb, cells


_NEWCOMMAND = re.compile(r"\\(?:re)?newcommand\*?\s*\{?\s*\\([A-Za-z]+)\s*\}?\s*(?:\[\s*(\d)\s*\])?"
                         r"\s*\{((?:[^{}]|\{(?:[^{}]|\{[^{}]*\})*\})*)\}|\\providecommand\*?\s*\{?\s*"
                         r"\\([A-Za-z]+)\s*\}?\s*(?:\[\s*(\d)\s*\])?\s*\{((?:[^{}]|\{(?:[^{}]|\{[^{}]*\})*"
                         r"\})*)\}")
_DEF = re.compile(r"\\def\s*\\([A-Za-z]+)\s*\{((?:[^{}]|\{(?:[^{}]|\{[^{}]*\})*\})*)\}")
_OPERATOR = re.compile(r"\\DeclareMathOperator\*?\s*\{\s*\\([A-Za-z]+)\s*\}\s*\{([^{}]*)\}")
# \DeclarePairedDelimiter\floor{\lfloor}{\rfloor} (mathtools): \floor{x}, \floor*{x}
_PAIRED = re.compile(r"\\DeclarePairedDelimiter\s*\{?\s*\\([A-Za-z]+)\s*\}?\s*"
                     r"\{\s*(\\?[^{}\s]+)\s*\}\s*\{\s*(\\?[^{}\s]+)\s*\}")
MAX_MACROS = 200


def read_macros(text: str) -> dict[str, tuple[int, str]]:
    """The writer's own macros (``\\newcommand{\\pd}[2]{\\frac{\\partial #1}{\\partial #2}}``,
    ``\\def\\R{\\mathbb{R}}``, ``\\DeclareMathOperator{\\diag}{diag}``): name -> (number of
    arguments, body). Only macros without optional arguments; at most MAX_MACROS."""
    out: dict[str, tuple[int, str]] = {}
    for m in _NEWCOMMAND.finditer(text):
        name, n, body = (m.group(1), m.group(2), m.group(3)) if m.group(1) else \
            (m.group(4), m.group(5), m.group(6))
        if name not in out or not m.group(4):
            out[name] = (int(n or 0), body)
    for m in _DEF.finditer(text):
        out.setdefault(m.group(1), (0, m.group(2)))
    for m in _OPERATOR.finditer(text):
        out.setdefault(m.group(1), (0, f"\\operatorname{{{m.group(2)}}}"))
    for m in _PAIRED.finditer(text):
        out.setdefault(m.group(1), (1, f"\\left{m.group(2)} #1 \\right{m.group(3)}"))
    return dict(list(out.items())[:MAX_MACROS])


def expand_macros(body: str, macros: dict[str, tuple[int, str]], limit: int = 20_000) -> str:
    """``body`` with the writer's macros replaced by their definitions (nested ones too, a
    bounded number of times, so a recursive macro cannot run away)."""
    if not macros:
        return body
    pattern = re.compile(r"\\(" + "|".join(sorted(map(re.escape, macros), key=len,
                                                    reverse=True)) + r")(?![A-Za-z])")
    for _ in range(8):
        out, pos, changed = [], 0, False
        for m in pattern.finditer(body):
            if m.start() < pos:
                continue
            n, text = macros[m.group(1)]
            args, j = [], m.end()
            if n and body.startswith("*{", j):  # \floor*{x}: the starred (sized) form
                j += 1
            for _k in range(n):
                while j < len(body) and body[j] == " ":
                    j += 1
                if j < len(body) and body[j] == "{":
                    depth, k = 0, j
                    while k < len(body):
                        depth += body[k] == "{"
                        depth -= body[k] == "}"
                        if depth == 0:
                            break
                        k += 1
                    args.append(body[j + 1:k])
                    j = k + 1
                elif j < len(body):
                    args.append(body[j])
                    j += 1
            if len(args) < n:
                continue
            for i, a in enumerate(args, 1):
                text = text.replace(f"#{i}", a)
            out.append(body[pos:m.start()])
            out.append(text if n else text + " ")
            pos, changed = j, True
        out.append(body[pos:])
        body = "".join(out)
        if not changed or len(body) > limit:
            break
    return body


def read_writeup(path: str | Path) -> Document:
    """Read a write-up; a WriteupError (one line) when it is not one symgrad can read."""
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise WriteupError(f"{path.name}: unknown format {path.suffix or '(none)'!r}; "
                           f"review reads .tex, .md, .txt and .ipynb")
    try:
        if not path.is_file():
            raise WriteupError(f"{path}: no such file")
        data = path.read_bytes()
    except OSError as e:
        raise WriteupError(f"cannot read {path}: {e.strerror}") from None
    raw = _decode(data, path)
    if fmt == "ipynb":
        text, nb, cells = _notebook(raw, path)
        return Document(path, fmt, text, raw, cells, nb, read_macros(text))
    text = scan_tex(raw) if fmt == "tex" else scan_markdown(raw)
    return Document(path, fmt, text, raw, macros=read_macros(
        _blank_all(raw, _TEX_COMMENT) if fmt == "tex" else text))
