"""Safe, reproducible output: atomic writes, a manifest that protects user edits, PDF builds."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path, PurePosixPath

from symgrad.core.errors import SymgradError
from symgrad.render.tikz import TIKZ_LIBRARIES

__all__ = [
    "LATEX_TIMEOUT",
    "MANIFEST_NAME",
    "PENDING_NAME",
    "UserEditedError",
    "build_pdf",
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


def latex_document(body: str, title: str) -> str:
    """A complete article around body, with the packages and TikZ libraries symgrad uses."""
    text = body if body.endswith("\n") else body + "\n"
    return (
        "\\documentclass{article}\n"
        "\\usepackage{amsmath}\n"
        "\\usepackage{amssymb}\n"
        "\\usepackage{mathtools}\n"
        "\\usepackage{graphicx}\n"
        "\\usepackage[margin=2.5cm]{geometry}\n"
        "\\usepackage{tikz}\n"
        f"\\usetikzlibrary{{{','.join(TIKZ_LIBRARIES)}}}\n"
        "\\usepackage{hyperref}\n"
        f"\\title{{{title}}}\n"
        "\\author{}\n"
        "\\date{}\n"
        "\\begin{document}\n"
        "\\maketitle\n"
        f"{text}"
        "\\end{document}\n"
    )


def _require_default(require: bool | None) -> bool:
    if require is None:
        return os.environ.get("SYMGRAD_REQUIRE_LATEX") == "1"
    return require


def _run(cmd: list[str], cwd: Path, timeout: float, log: Path) -> int:
    """Run a TeX command quietly in its own process group, killing the group on timeout."""
    try:
        proc = subprocess.Popen(
            cmd,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
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
    return proc.returncode


def _first_error(log: Path) -> str:
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


def build_pdf(tex_path: str | os.PathLike[str], *, require: bool | None = None) -> Path | None:
    """Compile a .tex file to PDF with latexmk (or pdflatex twice); None without pdflatex."""
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
    flags = ["-interaction=nonstopmode", "-halt-on-error"]
    latexmk = shutil.which("latexmk")
    if latexmk is not None:
        code = _run([latexmk, "-pdf", *flags, name], cwd, LATEX_TIMEOUT, log)
    else:
        code = 0
        for _ in range(2):
            code = _run([pdflatex, *flags, name], cwd, LATEX_TIMEOUT, log)
            if code != 0:
                break
    if code != 0 or not pdf.is_file():
        raise SymgradError(f"LaTeX failed on {tex}: {_first_error(log)}; see {log}")
    if latexmk is not None:
        _run([latexmk, "-c", name], cwd, LATEX_TIMEOUT, log)
    else:
        for suffix in _AUX_SUFFIXES:
            with contextlib.suppress(FileNotFoundError):
                tex.with_suffix(suffix).unlink()
    return pdf
