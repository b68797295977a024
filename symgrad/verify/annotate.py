"""Annotated copies of reviewed write-ups, in the input's own format.

``.tex`` -> the student's document with a coloured verdict box after each checked claim,
compiled to PDF as untrusted input (no shell escape, reads and writes kept to a private
build folder inside the output folder, a time limit); ``.md``/``.txt`` -> a verdict note
under each claim; ``.ipynb`` -> a verdict cell after each checked cell. Several files ->
``review-summary.md`` (file x question) as well. Nothing is written outside ``out``."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from ..core.errors import SymgradError
from ..render.output import first_latex_error, run_latex, write_atomic, write_outputs
from .review import ClaimResult, FileReview, format_summary

__all__ = ["annotate_markdown", "annotate_notebook", "annotate_tex", "compile_untrusted",
           "output_name", "write_annotated"]

LATEX_TIMEOUT = 60.0
COLOURS = {"correct": "sgcorrect", "incorrect": "sgincorrect", "layout": "sglayout",
           "unparsed": "sgunparsed"}
MAX_NOTE = 420

_PREAMBLE = r"""% --- added by symgrad review ---
\usepackage{xcolor}
\definecolor{sgcorrect}{RGB}{0,120,40}
\definecolor{sgincorrect}{RGB}{190,20,20}
\definecolor{sglayout}{RGB}{200,110,0}
\definecolor{sgunparsed}{RGB}{90,90,90}
\providecommand{\symgradverdict}[3]{\par\smallskip\noindent\fcolorbox{#1}{#1!7}{%
\parbox{\dimexpr\linewidth-2\fboxsep-2\fboxrule\relax}{\footnotesize
\textbf{\textcolor{#1}{#2}}\enspace #3}}\par\smallskip}
% --- end of symgrad review ---
"""

_MATH_ENVS = r"(?:equation|align|gather|multline|eqnarray|displaymath|flalign|alignat)\*?"
# a paragraph ends at a blank line, an item, a heading, or a list or other environment; a
# display formula is part of the paragraph around it
_PARA_END = re.compile(r"\n[ \t]*\n|\n(?=[ \t]*(?:\\(?:item|(?:sub)*section|paragraph)\b|"
                       r"\\(?:begin|end)\s*\{(?!" + _MATH_ENVS + r"\})|#{1,6}\s))")
# a paragraph that stops on these words goes on into the formula after it
_GOES_ON = re.compile(r"(?:[:,]|\b(?:with|where|and|then|so|is|are|gives?|get|have|as|by|"
                      r"that|hence|thus|therefore|be)\s*)$", re.I)
_DISPLAY_START = re.compile(r"\s*(?:\$\$|\\\[|\\begin\s*\{" + _MATH_ENVS + r"\})")


def _note_text(c: ClaimResult) -> tuple[str, str]:
    v = c.verdict
    head = f"{c.question}: {v.verdict.upper()}"
    body = re.sub(r"\s+", " ", v.explanation).strip()
    # the list of declared names belongs in --json, not beside the student's text
    body = re.sub(r";\s*declared tensors:.*$", "", body)
    if len(body) > MAX_NOTE:
        body = body[:MAX_NOTE - 3] + "..."
    if v.hint:
        body += f" Hint: {v.hint}"
    return head, body


def _insert_points(text: str, claims: Sequence[ClaimResult]) -> list[tuple[int, list]]:
    """Where each claim's note goes: the end of the paragraph holding the claim."""
    points: dict[int, list] = {}
    for c in claims:
        end = max(e for _s, e in c.spans) if c.spans else c.end
        m = _PARA_END.search(text, end)
        while m and _GOES_ON.search(text[max(end, m.start() - 40):m.start()].rstrip()) and \
                _DISPLAY_START.match(text, m.end()):
            m = _PARA_END.search(text, m.end() + 1)  # "... with" + the display after it
        at = m.start() + 1 if m else len(text)
        points.setdefault(at, []).append(c)
    return sorted(points.items())


def _splice(text: str, points: list[tuple[int, list]], render) -> str:
    out, last = [], 0
    for at, cs in points:
        out.append(text[last:at])
        out.append(render(cs))
        last = at
    out.append(text[last:])
    return "".join(out)


_TEX_ESCAPE = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&",
               "%": r"\%", "#": r"\#", "_": r"\_", "^": r"\^{}", "~": r"\~{}",
               "<": r"\textless{}", ">": r"\textgreater{}"}


# commands a verdict may show as math (anything else stays escaped text)
_SAFE_COMMANDS = {
    "frac", "partial", "left", "right", "mathbb", "mathbf", "mathrm", "operatorname", "sum",
    "prod", "lfloor", "rfloor", "lceil", "rceil", "cdot", "times", "top", "odot", "circ",
    "hat", "ell", "le", "leq", "ge", "geq", "ne", "neq", "dots", "ldots", "cdots", "sigma",
    "delta", "alpha", "beta", "gamma", "lambda", "mu", "theta", "tanh", "exp", "log", "diag",
    "infty", "in", "mathcal", "text", "qquad", "quad", "tilde", "bar", "nabla", "epsilon",
    "varepsilon", "pi", "tau", "omega", "phi", "psi", "rho", "eta", "kappa", "nu", "xi",
    "zeta", "chi", "begin", "end", "cases", "otherwise", "sqrt", "max", "min", "substack"}
_MATHY = re.compile(r"\\[A-Za-z]+|[A-Za-z0-9)\]]\s*[_^]|[{}]")
_GLUE = re.compile(r"^(?:[=+\-*/<>]|\(*(?:\d+|[A-Za-z])?\)*,?)$")


def _math_runs(text: str) -> list[tuple[bool, str]]:
    """``text`` cut into prose and LaTeX runs (``\\frac{..}{..} is 1 x 3`` -> a math run,
    then prose). A run must have balanced braces; its trailing punctuation is prose."""
    words = text.split(" ")
    out: list[tuple[bool, str]] = []
    i = 0
    while i < len(words):
        if _MATHY.search(words[i]):
            j = i + 1
            while j < len(words) and not re.search(r"[.;:]$", words[j - 1]):
                if _MATHY.search(words[j]):
                    j += 1
                    continue
                k = j
                while k < len(words) and _GLUE.match(words[k]) and not _MATHY.search(words[k]):
                    k += 1
                if k < len(words) and k > j and _MATHY.search(words[k]):
                    j = k + 1
                    continue
                break
            while j + 1 < len(words) and re.fullmatch(r"[=+\-*/]", words[j]) and \
                    re.fullmatch(r"\d+|[A-Za-z]", words[j + 1].rstrip(".,;:")):
                j += 2  # "... \rfloor + 1"
            run = " ".join(words[i:j])
            tail = re.search(r"[.,;:]+$", run)
            if tail and run.count("{") == run[:tail.start()].count("{"):
                run, punct = run[:tail.start()], tail.group(0)
            else:
                punct = ""
            depth, ok = 0, True
            for ch in run:
                depth += (ch == "{") - (ch == "}")
                ok = ok and depth >= 0
            if ok and depth == 0 and run.count("\\left") == run.count("\\right"):
                out.append((True, run))
                if punct:
                    out.append((False, punct))
            else:
                out.append((False, " ".join(words[i:j])))
            i = j
        else:
            out.append((False, words[i]))
            i += 1
    merged: list[tuple[bool, str]] = []
    for is_math, w in out:
        if merged and not is_math and not merged[-1][0]:
            sep = "" if re.fullmatch(r"[.,;:]+", w) else " "
            merged[-1] = (False, merged[-1][1] + sep + w)
        else:
            merged.append((is_math, w))
    return merged


def _tex_math_ok(run: str) -> bool:
    return all(cmd in _SAFE_COMMANDS for cmd in re.findall(r"\\([A-Za-z]+)", run)) and \
        not re.search(r"[#%&$~]|\\\\|\^\^", run) and len(run) < 300


def tex_note(s: str) -> str:
    """A verdict's text for a LaTeX box: its formulas typeset when they use only
    well-known commands, everything else escaped (no command of the student's comes
    through)."""
    parts = []
    for is_math, run in _math_runs(s):
        text = f"${run}$" if is_math and _tex_math_ok(run) else tex_escape(run)
        if parts and not re.match(r"[.,;:]", run):
            parts.append(" ")
        parts.append(text)
    return "".join(parts)


def md_note(s: str) -> str:
    """A verdict's text for Markdown: formulas as $...$, the rest escaped."""
    parts = []
    for is_math, run in _math_runs(s):
        text = f"${run}$" if is_math and "$" not in run else _md_escape(run)
        if parts and not re.match(r"[.,;:]", run):
            parts.append(" ")
        parts.append(text)
    return "".join(parts)


def tex_escape(s: str) -> str:
    """Plain text safe inside a LaTeX paragraph (no command can come through)."""
    s = "".join(_TEX_ESCAPE.get(ch, ch) for ch in s)
    return "".join(ch if ord(ch) < 128 else "?" for ch in s)


def annotate_tex(review: FileReview) -> str:
    """The student's LaTeX with a verdict box after the paragraph of each checked claim."""
    doc = review.document
    raw = doc.raw

    def render(cs: list[ClaimResult]) -> str:
        boxes = []
        for c in cs:
            head, body = _note_text(c)
            boxes.append(f"\\symgradverdict{{{COLOURS[c.verdict.verdict]}}}"
                         f"{{{tex_escape(head)}}}{{{tex_note(body)}}}\n")
        return "".join(boxes)

    text = _splice(raw, _insert_points(doc.text, review.claims), render)
    m = re.search(r"\\documentclass\s*(?:\[[^\]]*\])?\s*\{[^}]*\}[^\n]*\n", text)
    if m:
        return text[:m.end()] + _PREAMBLE + text[m.end():]
    return ("\\documentclass{article}\n\\usepackage{amsmath}\n\\usepackage{amssymb}\n"
            + _PREAMBLE + "\\begin{document}\n" + text + "\n\\end{document}\n")


def _md_escape(s: str) -> str:
    return re.sub(r"([\\`*_\[\]<>|])", r"\\\1", s)


_MARKS = {"correct": "\u2705", "incorrect": "\u274c", "layout": "\u2194\ufe0f",
          "unparsed": "\u2754"}


def _md_note(c: ClaimResult) -> str:
    head, body = _note_text(c)
    return (f"> {_MARKS.get(c.verdict.verdict, '')} **symgrad {head}** (line {c.line}): "
            f"{md_note(body)}\n")


def annotate_markdown(review: FileReview) -> str:
    """Markdown (or text) with a verdict note under the paragraph of each claim."""
    doc = review.document

    def render(cs: list[ClaimResult]) -> str:
        return "\n" + "".join(_md_note(c) + ">\n" for c in cs[:-1]) + _md_note(cs[-1]) + "\n"

    text = doc.raw if doc.raw.endswith("\n") else doc.raw + "\n"
    return _splice(text, _insert_points(text, review.claims), render)


def annotate_notebook(review: FileReview) -> str:
    """The notebook with a Markdown verdict cell after each cell holding checked claims."""
    doc = review.document
    nb = json.loads(json.dumps(doc.notebook))
    by_cell: dict[int, list[ClaimResult]] = {}
    for c in review.claims:
        if c.cell is not None:
            by_cell.setdefault(c.cell, []).append(c)
    cells = []
    with_ids = (nb.get("nbformat_minor", 0) or 0) >= 5
    for i, cell in enumerate(nb["cells"]):
        cells.append(cell)
        if i in by_cell:
            cs = by_cell[i]
            new = {"cell_type": "markdown",
                   "metadata": {"symgrad": {"verdicts": [
                       {"question": c.question, "verdict": c.verdict.verdict,
                        "line": c.line} for c in cs]}},
                   "source": "\n".join(_md_note(c) for c in cs).rstrip("\n")}
            if with_ids:
                new["id"] = f"symgrad-review-{i}"
            cells.append(new)
    nb["cells"] = cells
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def compile_untrusted(tex: Path, timeout: float = LATEX_TIMEOUT) -> Path:
    """Compile a student's .tex as untrusted input: pdflatex without shell escape, with
    ``openin_any=p``/``openout_any=p`` (no absolute paths, no ``..``, no dot files), run
    in a private folder beside ``tex`` holding only a copy of it, under ``timeout``
    seconds; the PDF is moved beside ``tex``. A SymgradError (one line) when it fails."""
    pdflatex = shutil.which("pdflatex")
    if pdflatex is None:
        raise SymgradError("pdflatex is not installed")
    tex = tex.resolve()
    build = Path(tempfile.mkdtemp(prefix=".symgrad-build-", dir=tex.parent))
    try:
        source = tex.read_text(encoding="utf-8", errors="replace")
        log = build / "review.log"
        cmd = [pdflatex, "-no-shell-escape", "-interaction=nonstopmode",
               "-cnf-line=openin_any=p", "-cnf-line=openout_any=p",
               "-cnf-line=shell_escape=f", "-cnf-line=max_print_line=1000", "review.tex"]
        dropped: list[str] = []
        runs = 0
        while True:
            (build / "review.tex").write_text(source, encoding="utf-8")
            runs += 1
            try:
                run_latex(cmd, build, timeout, log)
            except SymgradError:
                raise SymgradError(f"{tex.name}: LaTeX stopped at the time limit of "
                                   f"{timeout:g} s (an endless macro?); no PDF") from None
            text = log.read_text(encoding="utf-8", errors="replace") if log.is_file() else ""
            missing = _MISSING_STY.search(text)
            if missing and len(dropped) < MAX_DROPPED and missing.group(1) not in dropped:
                # a package this TeX installation lacks (fullpage, enumitem): the student's
                # layout is lost, not the annotated copy
                without = _drop_package(source, missing.group(1))
                if without != source:
                    source = without
                    dropped.append(missing.group(1))
                    (build / "review.pdf").unlink(missing_ok=True)
                    continue
            if "Rerun to get" not in text or runs >= MAX_DROPPED + 2:
                break
        if dropped:
            write_atomic(tex, source)
        pdf = build / "review.pdf"
        if not pdf.is_file():
            raise SymgradError(f"{tex.name}: LaTeX produced no PDF: {first_latex_error(log)}")
        target = tex.with_suffix(".pdf")
        os.replace(pdf, target)
        return target
    finally:
        shutil.rmtree(build, ignore_errors=True)


MAX_DROPPED = 4
_MISSING_STY = re.compile(r"File `([A-Za-z0-9_\-]+)\.sty' not found")


def _drop_package(source: str, package: str) -> str:
    """``source`` with ``package`` taken out of its \\usepackage lines (commented, with a
    note, so the annotated copy says what was left out)."""
    def edit(m: re.Match) -> str:
        names = [n.strip() for n in m.group(2).split(",")]
        if package not in names:
            return m.group(0)
        keep = [n for n in names if n != package]
        note = f"% symgrad review: package {package} is not installed here; left out\n"
        if not keep:
            return note + "% " + m.group(0)
        return note + f"\\usepackage{m.group(1) or ''}{{{', '.join(keep)}}}"
    out = re.sub(r"\\usepackage\s*(\[[^\]]*\])?\s*\{([^{}]*)\}", edit, source)
    if package == "enumitem" and out != source:
        # its options on lists ([label=(\alph*)]) and \setlist would be typeset as text
        out = re.sub(r"(\\begin\s*\{(?:enumerate|itemize|description)\})\s*\[[^\]\n]*\]", r"\1",
                     out)
        out = re.sub(r"^[ \t]*\\setlist\b[^\n]*$", r"% \g<0>", out, flags=re.M)
    return out


def output_name(review: FileReview, taken: set[str]) -> str:
    """``answers.tex`` -> ``answers.reviewed.tex`` (numbered when two inputs share a name)."""
    stem, suffix = review.path.stem, review.path.suffix.lower()
    name, k = f"{stem}.reviewed{suffix}", 2
    while name in taken:
        name, k = f"{stem}-{k}.reviewed{suffix}", k + 1
    taken.add(name)
    return name


def write_annotated(reviews: Sequence[FileReview], out: str | Path, *, pdf: bool = True,
                    timeout: float = LATEX_TIMEOUT, force: bool = False) -> list[str]:
    """Write an annotated copy of each reviewed file (and a summary for several files)
    into ``out``; returns one line per file: what was written, or that file's error."""
    out = Path(out)
    notes: list[str] = []
    taken: set[str] = set()
    for r in reviews:
        if r.error is not None or r.document is None:
            notes.append(f"{r.path.name}: not annotated: {r.error}")
            continue
        name = output_name(r, taken)
        try:
            fmt = r.document.fmt
            text = (annotate_tex(r) if fmt == "tex" else annotate_notebook(r)
                    if fmt == "ipynb" else annotate_markdown(r))
            write_outputs(out, {name: text}, force=force)
            notes.append(f"wrote {out / name}")
            if fmt == "tex" and pdf and shutil.which("pdflatex"):
                notes.append(f"wrote {compile_untrusted(out / name, timeout)}")
        except SymgradError as e:
            notes.append(f"{r.path.name}: error: {str(e).splitlines()[0]}")
    if len(reviews) > 1:
        with contextlib.suppress(OSError):
            out.mkdir(parents=True, exist_ok=True)
        write_atomic(out / "review-summary.md", "# symgrad review\n\n" + format_summary(reviews))
        notes.append(f"wrote {out / 'review-summary.md'}")
    return notes
