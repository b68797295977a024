"""Safe, reproducible output: atomic writes, a manifest that protects user edits, PDF builds."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path, PurePosixPath

from symgrad._version import __version__
from symgrad.core.errors import SymgradError
from symgrad.render.tikz import TIKZ_LIBRARIES

__all__ = [
    "LATEX_TIMEOUT",
    "MANIFEST_NAME",
    "PENDING_NAME",
    "UserEditedError",
    "PdfBuild",
    "answer_header",
    "build_pdf",
    "cached_answers",
    "check_output_dir",
    "save_answers_cache",
    "code_digest",
    "latex_warnings",
    "pdf_is_current",
    "preamble_lines",
    "preamble_tex",
    "strip_answer_header",
    "latex_document",
    "sha256_text",
    "write_atomic",
    "write_outputs",
]

MANIFEST_NAME = ".symgrad-manifest.json"
PENDING_NAME = ".symgrad-manifest.pending.json"
LATEX_TIMEOUT = 300.0
_AUX_SUFFIXES = (".aux", ".log", ".out", ".toc", ".fls", ".fdb_latexmk", ".synctex.gz")


class UserEditedError(SymgradError):
    """An output file changed since symgrad wrote it (or symgrad never wrote it)."""

    def __init__(self, message: str, paths: list[str]):
        super().__init__(message)
        self.paths = paths


def sha256_bytes(data: bytes) -> str:
    """Hex sha256 of bytes."""
    return hashlib.sha256(data).hexdigest()


def sha256_text(text: str) -> str:
    """Hex sha256 of text encoded as UTF-8 (what write_atomic stores)."""
    return sha256_bytes(text.encode("utf-8"))


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_atomic(path: str | os.PathLike[str], text: str | bytes) -> None:
    """Write text (UTF-8, newlines kept) or bytes via a synced temp file in the same folder."""
    target = Path(path)
    data = text if isinstance(text, bytes) else text.encode("utf-8")
    try:
        mode = target.stat().st_mode & 0o7777
    except FileNotFoundError:
        mode = 0o644
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as exc:
        raise SymgradError(f"cannot write {target}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(target.parent)


def _normalise(name: str) -> str:
    """A manifest key: a relative POSIX path inside the output directory."""
    if not isinstance(name, str) or not name or "\\" in name or "\0" in name:
        raise SymgradError(f"invalid output file name {name!r}")
    pure = PurePosixPath(name)
    if pure.is_absolute() or ".." in pure.parts or str(pure) in (".", ""):
        raise SymgradError(f"output file name {name!r} must be relative, inside the directory")
    key = str(pure)
    if PurePosixPath(key).name in (MANIFEST_NAME, PENDING_NAME):
        raise SymgradError(f"{name!r} is reserved for symgrad's manifest")
    return key


def _read_map(path: Path, force: bool) -> dict[str, str]:
    """A name -> sha256 JSON map; missing is empty; corrupt is an error unless forced."""
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        data = None
    if isinstance(data, dict) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()
    ):
        return data
    if force:
        return {}
    raise SymgradError(f"{path} is not a valid symgrad manifest; move it away or pass --force")


def _dump_map(data: Mapping[str, str]) -> str:
    return json.dumps(dict(data), sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def _current_sha(path: Path) -> str | None:
    """The sha256 of a file's bytes, None when it does not exist."""
    if not path.exists() and not path.is_symlink():
        return None
    if not path.is_file():
        raise SymgradError(f"{path} exists and is not a regular file; move it away")
    return sha256_bytes(path.read_bytes())


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """An exclusive advisory lock on the directory, where the platform has flock."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _save_manifest(out: Path, manifest: Mapping[str, str]) -> None:
    path = out / MANIFEST_NAME
    text = _dump_map(manifest)
    try:
        if path.read_text(encoding="utf-8") == text:
            return
    except (FileNotFoundError, UnicodeDecodeError):
        pass
    write_atomic(path, text)


def _refuse_conflicts(out: Path, current: Mapping[str, str | None], manifest: Mapping[str, str],
                      pending: Mapping[str, str], force: bool) -> None:
    """Raise UserEditedError naming every file that exists and is not symgrad's last write."""
    conflicts = []
    for key, sha in current.items():
        if sha is None or force:
            continue
        if sha in (manifest.get(key), pending.get(key)):
            continue
        reason = (
            "was edited since symgrad wrote it"
            if key in manifest
            else "exists but was not written by symgrad"
        )
        conflicts.append((key, reason))
    if conflicts:
        key, reason = conflicts[0]
        more = ""
        if len(conflicts) > 1:
            more = f" (also: {', '.join(str(out / k) for k, _ in conflicts[1:])})"
        raise UserEditedError(
            f"{out / key} {reason}; move it away or pass --force to overwrite{more}",
            [str(out / k) for k, _ in conflicts],
        )


def check_output_dir(out_dir: str | os.PathLike[str], names: Iterable[str] = (), *,
                     force: bool = False) -> None:
    """Find the problems of an output folder before any work is done: a path that is a
    file, a folder that cannot be created or written, a corrupt manifest, and files that
    symgrad would overwrite (``names`` and every file it wrote there before) that were
    edited since, or were never symgrad's."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise SymgradError(f"{out} is a file, not a folder: give --out a folder (it is "
                           f"created when missing)")
    probe = out
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        raise SymgradError(f"cannot create output directory {out}: {probe} is a file")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise SymgradError(f"cannot write in {probe}: permission denied; choose another --out")
    if not out.is_dir():
        return
    manifest = _read_map(out / MANIFEST_NAME, force)
    pending = _read_map(out / PENDING_NAME, True)
    keys = sorted({_normalise(n) for n in names} | set(manifest))
    current = {}
    for key in keys:
        try:
            current[key] = _current_sha(out / key)
        except SymgradError:
            if key in manifest:
                raise
    _refuse_conflicts(out, current, manifest, pending, force)


ANSWERS_CACHE = ".symgrad-answers.json"


def cached_answers(out_dir: str | os.PathLike[str], key: str) -> dict[str, dict[str, str | bytes]]:
    """The files of each question that an earlier run with the same ``key`` (code and
    options) wrote under out_dir and that are still exactly as written: question id ->
    file name -> content (text for .tex, bytes otherwise)."""
    out = Path(out_dir)
    try:
        data = json.loads((out / ANSWERS_CACHE).read_text(encoding="utf-8"))
        manifest = _read_map(out / MANIFEST_NAME, True)
        if not isinstance(data, dict) or data.get("key") != key:
            return {}
        questions = data["questions"]
        found: dict[str, dict[str, str | bytes]] = {}
        for qid, shas in questions.items():
            files: dict[str, str | bytes] = {}
            for name, sha in shas.items():
                raw = (out / _normalise(name)).read_bytes()
                if sha256_bytes(raw) != sha or manifest.get(name) != sha:
                    break
                files[name] = raw.decode("utf-8") if name.endswith(".tex") else raw
            else:
                found[qid] = files
        return found
    except (OSError, ValueError, KeyError, TypeError, AttributeError, SymgradError):
        return {}


def save_answers_cache(out_dir: str | os.PathLike[str], key: str,
                       questions: Mapping[str, Mapping[str, str | bytes]]) -> None:
    """Record which files each question wrote under ``key`` (see cached_answers)."""
    data = {"key": key, "questions": {
        qid: {name: sha256_bytes(v if isinstance(v, bytes) else v.encode("utf-8"))
              for name, v in files.items()} for qid, files in questions.items()}}
    text = json.dumps(data, indent=1, sort_keys=True) + "\n"
    path = Path(out_dir) / ANSWERS_CACHE
    with contextlib.suppress(OSError):
        if path.read_text(encoding="utf-8") == text:
            return
    write_atomic(path, text)


def write_outputs(
    out_dir: str | os.PathLike[str], files: Mapping[str, str | bytes], *, force: bool = False
) -> list[str]:
    """Write files into out_dir, refusing to overwrite user edits; return the names written.

    Before writing, the new hashes go to a pending journal, so a run killed midway leaves
    every file old or new and the next run still recognises both as symgrad's.
    """
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SymgradError(f"cannot create output directory {out}: {exc.strerror}") from exc
    plan: dict[str, str | bytes] = {}
    for name, text in files.items():
        key = _normalise(name)
        if key in plan:
            raise SymgradError(f"output file {name!r} is given twice")
        if not isinstance(text, str | bytes):
            raise SymgradError(f"content of {name!r} must be text or bytes, "
                               f"not {type(text).__name__}")
        plan[key] = text
    with _locked(out):
        manifest = _read_map(out / MANIFEST_NAME, force)
        pending = _read_map(out / PENDING_NAME, True)
        current = {key: _current_sha(out / key) for key in plan}
        for key, sha in pending.items():
            if key not in plan:
                with contextlib.suppress(SymgradError):
                    if _current_sha(out / key) == sha:
                        manifest[key] = sha
        _refuse_conflicts(out, current, manifest, pending, force)
        new_sha = {key: sha256_bytes(text) if isinstance(text, bytes) else sha256_text(text)
                   for key, text in plan.items()}
        todo = [key for key in plan if current[key] != new_sha[key]]
        if todo:
            write_atomic(out / PENDING_NAME, _dump_map({k: new_sha[k] for k in todo}))
        for key in plan:
            if current[key] == new_sha[key]:
                manifest[key] = new_sha[key]
        written: list[str] = []
        try:
            for key in todo:
                target = out / key
                target.parent.mkdir(parents=True, exist_ok=True)
                write_atomic(target, plan[key])
                manifest[key] = new_sha[key]
                written.append(key)
        except BaseException:
            with contextlib.suppress(Exception):
                _finish(out, manifest)
            raise
        _finish(out, manifest)
        return written


def _finish(out: Path, manifest: dict[str, str]) -> None:
    """Save the manifest of the files that exist, then drop the pending journal."""
    _save_manifest(out, {k: v for k, v in manifest.items() if (out / k).is_file()})
    with contextlib.suppress(FileNotFoundError):
        os.unlink(out / PENDING_NAME)


PREAMBLE_NAME = "preamble.tex"


def preamble_lines(body: str | None = None) -> list[str]:
    """The preamble lines a LaTeX body written by symgrad needs (every one symgrad's
    answers may use when body is None): amsmath and amssymb always, graphicx for
    figures, TikZ with its libraries for diagrams."""
    lines = ["\\usepackage{amsmath}", "\\usepackage{amssymb}"]
    if body is None or "\\includegraphics" in body:
        lines.append("\\usepackage{graphicx}")
    if body is None or "\\begin{tikzpicture}" in body or "\\tikz" in body:
        lines += ["\\usepackage{tikz}", f"\\usetikzlibrary{{{','.join(TIKZ_LIBRARIES)}}}"]
    return lines


def preamble_tex() -> str:
    """``preamble.tex``: the packages of every answer, to ``\\input`` in one's own
    preamble before ``\\input{answer-...}``."""
    return ("% The packages symgrad's answers use. In your preamble: \\input{preamble.tex}\n"
            + "\n".join(preamble_lines()) + "\n")


def _graphics(body: str) -> list[str]:
    return sorted(set(re.findall(r"\\includegraphics(?:\[[^\]]*\])?\{([^}]*)\}", body)))


def answer_header(title: str, body: str) -> str:
    """The comment that opens a pasteable answer file: what it is and what it needs."""
    lines = [f"% {title}, written by symgrad.",
             "% To use it: \\input{this file} in a LaTeX document whose preamble has"]
    lines += ["%   " + line for line in preamble_lines(body)]
    lines.append(f"% (\\input{{{PREAMBLE_NAME}}}, written beside it, has every package an "
                 "answer uses).")
    figures = _graphics(body)
    if figures:
        lines.append(f"% It shows {', '.join(figures)}: keep it in the document's folder.")
    return "\n".join(lines) + "\n\n"


def strip_answer_header(text: str) -> str:
    """The body of an answer file: the text after its comment header."""
    lines = text.split("\n")
    i = 0
    while i < len(lines) and lines[i].startswith("%"):
        i += 1
    if i and i < len(lines) and lines[i] == "":
        i += 1
    return "\n".join(lines[i:])


def latex_document(body: str, title: str) -> str:
    """A complete article around body, with the packages and TikZ libraries symgrad uses."""
    text = body if body.endswith("\n") else body + "\n"
    return (
        "\\documentclass{article}\n"
        + "".join(line + "\n" for line in preamble_lines())
        + "\\usepackage[margin=2.5cm]{geometry}\n"
        "\\usepackage{hyperref}\n"
        f"\\title{{{title}}}\n"
        "\\author{}\n"
        "\\date{}\n"
        "\\begin{document}\n"
        "\\maketitle\n"
        f"{text}"
        "\\end{document}\n"
    )


def code_digest() -> str:
    """A digest of symgrad's own source (every .py of the package) and version: answers
    cached under it are recomputed whenever the code that wrote them changes."""
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256(f"symgrad {__version__}\0".encode())
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _require_default(require: bool | None) -> bool:
    if require is None:
        return os.environ.get("SYMGRAD_REQUIRE_LATEX") == "1"
    return require


def run_latex(cmd: list[str], cwd: Path, timeout: float, log: Path,
         env: Mapping[str, str] | None = None) -> int:
    """Run a TeX command quietly in its own process group, killing the group on timeout
    and on any interruption (Ctrl-C), so no TeX process outlives symgrad's wait."""
    try:
        proc = subprocess.Popen(
            cmd,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=None if env is None else {**os.environ, **env},
        )
    except OSError as exc:
        raise SymgradError(f"cannot run {cmd[0]}: {exc.strerror or exc}") from exc
    try:
        proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise SymgradError(
            f"{Path(cmd[0]).name} timed out after {timeout:g} s; see {log}"
        ) from None
    except BaseException:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(BaseException):
            proc.wait(timeout=10)
        raise
    return proc.returncode


def first_latex_error(log: Path) -> str:
    """The first ``! ...`` line of a TeX log, with its ``l.N`` line number when present."""
    try:
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return "no log was written"
    for i, line in enumerate(lines):
        if line.startswith("!"):
            where = next(
                (ln.split(" ", 1)[0] for ln in lines[i + 1 : i + 30] if ln.startswith("l.")),
                "",
            )
            return f"{line.strip()}" + (f" (input line {where[2:]})" if where else "")
    return "no '!' error line in the log"


_OVERFULL = re.compile(r"^(Overfull \\[hv]box \(([\d.]+)pt too (?:wide|high)\).*)$", re.M)
_MISSING = re.compile(r"^(Missing character: .*)$", re.M)
#: overfull boxes up to this many points are invisible in print and not reported
OVERFULL_TOLERANCE_PT = 1.0


def latex_warnings(log: str | os.PathLike[str]) -> list[str]:
    """The warnings of a TeX log that show in the PDF: overfull boxes over
    ``OVERFULL_TOLERANCE_PT`` and missing characters (a glyph the font lacks)."""
    try:
        text = Path(log).read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return []
    found = [m.group(1).strip() for m in _OVERFULL.finditer(text)
             if float(m.group(2)) > OVERFULL_TOLERANCE_PT]
    found += [m.group(1).strip() for m in _MISSING.finditer(text)]
    return found


class PdfBuild(type(Path())):  # type: ignore[misc]
    """The path of a built PDF, with what the build found: ``.warnings`` (see
    latex_warnings), ``.log`` (kept beside the PDF when there are warnings, else None)
    and ``.rebuilt`` (False when the PDF was already up to date)."""

    warnings: list[str]
    log: Path | None
    rebuilt: bool


def _result(pdf: Path, warnings: list[str], log: Path | None, rebuilt: bool) -> PdfBuild:
    out = PdfBuild(pdf)
    out.warnings, out.log, out.rebuilt = warnings, log, rebuilt
    return out


_STAMP_SUFFIX = ".pdf-stamp.json"
_INPUT_SUFFIXES = (".tex", ".png", ".jpg", ".jpeg", ".pdf", ".eps", ".sty", ".cls", ".bib")


def _stamp_path(tex: Path) -> Path:
    return tex.parent / f".{tex.stem}{_STAMP_SUFFIX}"


def _build_key(tex: Path, tool: str) -> str:
    """A digest of everything the PDF depends on: the files of the folder LaTeX may read
    (sources and figures), symgrad's version and the TeX tool used."""
    digest = hashlib.sha256(f"symgrad {__version__}\0{tool}\0".encode())
    own_pdf = tex.with_suffix(".pdf").name
    for path in sorted(tex.parent.iterdir()):
        if (path.name.startswith(".") or path.name == own_pdf
                or path.suffix.lower() not in _INPUT_SUFFIXES or not path.is_file()):
            continue
        digest.update(path.name.encode() + b"\0" + sha256_bytes(path.read_bytes()).encode())
    return digest.hexdigest()


def pdf_is_current(tex_path: str | os.PathLike[str]) -> bool:
    """True when the PDF beside ``tex_path`` was built by symgrad from the files that are
    there now (nothing to rebuild)."""
    tex = Path(tex_path).resolve()
    pdf = tex.with_suffix(".pdf")
    tool = shutil.which("latexmk") or shutil.which("pdflatex") or ""
    try:
        stamp = json.loads(_stamp_path(tex).read_text(encoding="utf-8"))
        return (pdf.is_file() and stamp.get("key") == _build_key(tex, tool)
                and stamp.get("pdf") == sha256_bytes(pdf.read_bytes()))
    except (OSError, ValueError, AttributeError):
        return False


def _clean_stale(tex: Path) -> None:
    """Remove what an interrupted build of tex may have left: auxiliary files beside it
    (a half-written .fdb_latexmk or .aux breaks every later latexmk run) and private
    build folders."""
    for suffix in _AUX_SUFFIXES:
        with contextlib.suppress(FileNotFoundError, IsADirectoryError):
            tex.with_suffix(suffix).unlink()
    for path in tex.parent.glob(f".{tex.stem}.build-*"):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)


def build_pdf(tex_path: str | os.PathLike[str], *, require: bool | None = None,
              force: bool = False) -> PdfBuild | None:
    """Compile a .tex file to PDF with latexmk (or pdflatex twice); None without pdflatex.

    LaTeX runs in a private folder beside the file; the PDF is then moved into place with
    one atomic rename, so an interruption (Ctrl-C, kill, timeout, LaTeX error) leaves the
    previous PDF intact and nothing that disturbs the next run. The log is kept beside the
    file when the build fails or warns. A PDF already built from the same inputs is not
    rebuilt unless ``force``.
    """
    tex = Path(tex_path).resolve()
    if not tex.is_file():
        raise SymgradError(f"{tex} does not exist")
    pdflatex = shutil.which("pdflatex")
    if pdflatex is None:
        if _require_default(require):
            raise SymgradError(
                "pdflatex is not installed but a PDF is required (SYMGRAD_REQUIRE_LATEX=1); "
                "install texlive-latex-base, texlive-latex-recommended, texlive-pictures, latexmk"
            )
        return None
    cwd, name = tex.parent, tex.name
    log = tex.with_suffix(".log")
    pdf = tex.with_suffix(".pdf")
    latexmk = shutil.which("latexmk")
    tool = latexmk or pdflatex
    with _locked(cwd):
        if not force and pdf_is_current(tex):
            kept = log if log.is_file() else None
            return _result(pdf, latex_warnings(log) if kept else [], kept, False)
        _clean_stale(tex)
        key = _build_key(tex, tool)
        build = Path(tempfile.mkdtemp(dir=cwd, prefix=f".{tex.stem}.build-"))
        built_log = build / log.name
        try:
            flags = ["-interaction=nonstopmode", "-halt-on-error"]
            if latexmk is not None:
                code = run_latex([latexmk, "-pdf", *flags, f"-outdir={build.name}", name], cwd,
                            LATEX_TIMEOUT, log)
            else:
                code = 0
                for _ in range(2):
                    code = run_latex([pdflatex, *flags, f"-output-directory={build.name}", name],
                                cwd, LATEX_TIMEOUT, log)
                    if code != 0:
                        break
            built = build / pdf.name
            if code != 0 or not built.is_file():
                with contextlib.suppress(OSError):
                    os.replace(built_log, log)
                raise SymgradError(f"LaTeX failed on {tex}: {first_latex_error(log)}; see {log}")
            warnings = latex_warnings(built_log)
            os.replace(built, pdf)
            if warnings:
                os.replace(built_log, log)
            else:
                with contextlib.suppress(FileNotFoundError):
                    log.unlink()
            _fsync_dir(cwd)
            write_atomic(_stamp_path(tex), json.dumps(
                {"key": key, "pdf": sha256_bytes(pdf.read_bytes())}, indent=2) + "\n")
        finally:
            shutil.rmtree(build, ignore_errors=True)
    return _result(pdf, warnings, log if warnings else None, True)
