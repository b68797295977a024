r"""An answer as Jupyter shows it: Markdown with math (what MathJax renders), instead of the
LaTeX document fragment of the write-up (``\paragraph``, ``itemize``, ``tabular``, TikZ,
``\includegraphics``), which MathJax cannot render.

Displays become ``$$ ... $$``; headings, emphasis, lists and tables become Markdown;
figures are embedded as PNG; a TikZ diagram is compiled to a PNG when pdflatex and
pdftoppm are installed (cached per diagram), and otherwise named in a note."""

from __future__ import annotations

import base64
import functools
import hashlib
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

__all__ = ["answer_markdown", "tikz_png"]

_TIKZ = re.compile(r"\\begin\{tikzpicture\}.*?\\end\{tikzpicture\}", re.S)
_GRAPHIC = re.compile(r"\\includegraphics(?:\[[^\]]*\])?\{([^}]*)\}")
_TABULAR = re.compile(r"\\begin\{tabular\}\{[^}]*\}(.*?)\\end\{tabular\}", re.S)
_DISPLAY = re.compile(r"\\\[(.*?)\\\]", re.S)
_GATHER = re.compile(r"\\begin\{(gather|align|multline|equation)\*?\}(.*?)"
                     r"\\end\{\1\*?\}", re.S)
_TIMEOUT = 60.0


def _braced(command: str, text: str, fmt: str) -> str:
    r"""Every ``\command{arg}`` (one level of nested braces in arg) as ``fmt % arg``."""
    pattern = re.compile(r"\\%s\*?\{((?:[^{}]|\{[^{}]*\})*)\}" % command)
    return pattern.sub(lambda m: fmt % m.group(1), text)


def _png_uri(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


@functools.lru_cache(maxsize=64)
def tikz_png(tikz: str, dpi: int = 110) -> bytes | None:
    """A TikZ picture compiled to a cropped PNG, or None without pdflatex and pdftoppm
    (or when it does not compile)."""
    pdflatex, pdftoppm = shutil.which("pdflatex"), shutil.which("pdftoppm")
    if pdflatex is None or pdftoppm is None:
        return None
    from .output import preamble_lines

    with tempfile.TemporaryDirectory(prefix="symgrad-tikz-") as tmp:
        folder = Path(tmp)
        (folder / "d.tex").write_text(
            "\\documentclass{article}\n" + "\n".join(preamble_lines(tikz)) + "\n"
            "\\usepackage[paperwidth=40cm,paperheight=40cm,margin=1cm]{geometry}\n"
            "\\pagestyle{empty}\n\\begin{document}\n\\noindent " + tikz
            + "\n\\end{document}\n", encoding="utf-8")
        try:
            subprocess.run([pdflatex, "-interaction=nonstopmode", "-halt-on-error",
                            "-no-shell-escape", "d.tex"], cwd=folder, capture_output=True,
                           timeout=_TIMEOUT, check=True)
            subprocess.run([pdftoppm, "-png", "-r", str(dpi), "-singlefile", "d.pdf", "d"],
                           cwd=folder, capture_output=True, timeout=_TIMEOUT, check=True)
        except (OSError, subprocess.SubprocessError):
            return None
        return _crop(folder / "d.png")


def _crop(path: Path, margin: int = 6) -> bytes | None:
    try:
        from PIL import Image, ImageChops
    except ImportError:
        return path.read_bytes()
    import io

    with Image.open(path) as im:
        rgb = im.convert("RGB")
        box = ImageChops.difference(rgb, Image.new("RGB", rgb.size, "white")).getbbox()
        if box is None:
            return None
        left, top, right, bottom = box
        rgb = rgb.crop((max(left - margin, 0), max(top - margin, 0),
                        min(right + margin, rgb.width), min(bottom + margin, rgb.height)))
        buf = io.BytesIO()
        rgb.save(buf, format="PNG", optimize=True)
        return buf.getvalue()


def _table(body: str) -> str:
    rows = [r.strip() for r in body.replace(r"\hline", "").split(r"\\")]
    rows = [r for r in rows if r]
    if not rows:
        return ""
    cells = [[c.strip() for c in r.split("&")] for r in rows]
    width = max(len(c) for c in cells)
    lines = ["| " + " | ".join(cells[0] + [""] * (width - len(cells[0]))) + " |",
             "|" + "---|" * width]
    lines += ["| " + " | ".join(c + [""] * (width - len(c))) + " |" for c in cells[1:]]
    return "\n\n" + "\n".join(lines) + "\n\n"


def _math_block(math: str) -> str:
    return "\n\n$$" + " ".join(math.split()) + "$$\n\n"


def answer_markdown(latex: str, files: dict[str, bytes] | None = None,
                    title: str = "") -> str:
    """Markdown (with $...$ math) for an answer's LaTeX body, figures embedded."""
    files = files or {}
    text = _TIKZ.sub(lambda m: _diagram(m.group(0)), latex)
    text = _GRAPHIC.sub(lambda m: _figure(m.group(1), files), text)
    text = text.replace("---", "—").replace("--", "–")       # prose dashes (not TikZ's)
    text = _TABULAR.sub(lambda m: _table(m.group(1)), text)
    text = _GATHER.sub(lambda m: _math_block(r"\begin{gathered}" + m.group(2)
                                             + r"\end{gathered}"
                                             if m.group(1) in ("gather", "multline")
                                             else r"\begin{aligned}" + m.group(2)
                                             + r"\end{aligned}"
                                             if m.group(1) == "align" else m.group(2)),
                       text)
    text = _DISPLAY.sub(lambda m: _math_block(m.group(1)), text)
    stash: list[str] = []

    def keep(m: re.Match[str]) -> str:
        stash.append(m.group(0))
        return f"\x00{len(stash) - 1}\x00"

    text = re.sub(r"\$\$.*?\$\$|(?<!\\)\$.*?(?<!\\)\$", keep, text, flags=re.S)
    text = re.sub(r"\\begin\{(center|itemize|enumerate)\}|\\end\{(center|itemize|enumerate)\}",
                  "\n", text)
    text = re.sub(r"^[ \t]*\\item[ \t]*", "- ", text, flags=re.M)
    text = _braced("subsection", text, "\n### %s\n")
    text = _braced("paragraph", text, "\n**%s**")
    text = _braced("textbf", text, "**%s**")
    text = _braced("emph", text, "*%s*")
    text = _braced("textit", text, "*%s*")
    text = re.sub(r"(?<!\\)~", " ", text)
    text = re.sub(r"\\(?=[ \n])", "", text)          # control spaces: i.e.\ x
    for a, b in ((r"\%", "%"), (r"\&", "&"), (r"\#", "#"), (r"\_", "_")):
        text = text.replace(a, b)
    text = re.sub("\x00(\\d+)\x00", lambda m: stash[int(m.group(1))], text)
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    if title:
        text = f"### {title}\n\n{text}"
    return text + "\n"


def _diagram(tikz: str) -> str:
    png = tikz_png(tikz)
    if png is None:
        return ("\n\n*(A TikZ diagram: `symgrad answers` compiles it into the PDF; it is "
                "shown here when pdflatex and pdftoppm are installed.)*\n\n")
    digest = hashlib.sha256(tikz.encode()).hexdigest()[:8]
    return f"\n\n![diagram {digest}]({_png_uri(png)})\n\n"


def _figure(name: str, files: dict[str, bytes]) -> str:
    data = files.get(name)
    if data is None:
        return f"\n\n*(figure {name})*\n\n"
    return f"\n\n![{name}]({_png_uri(data)})\n\n"
