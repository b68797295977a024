"""The ``symgrad`` command: write the answers, show one, check a hand derivation."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

from .core.errors import SymgradError

MAX_CLAIM_BYTES = 100_000

EPILOG = """examples:
  symgrad answers                      write outputs/*.tex (and hw2.pdf with LaTeX present)
  symgrad show 1.2.1.c                 print one answer's LaTeX
  symgrad check 1.1.a --latex '5 \\times 2'
  echo 'c[t] \\in \\mathbb{R}^{m}' | symgrad check 1.2.1.b -
"""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="symgrad", epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Symbolic Jacobians and gradients of deep-learning layers: answers to "
                    "hw2 as LaTeX, and a checker for hand derivations.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    a = sub.add_parser("answers", help="write the LaTeX answers (and a PDF) for every question",
                       description="Write one .tex per question and hw2.tex under DIR; build "
                                   "hw2.pdf with latexmk when pdflatex is installed.")
    a.add_argument("--out", default="outputs", metavar="DIR", help="output folder "
                   "(default: outputs)")
    a.add_argument("--only", nargs="+", metavar="ID", help="only these question ids")
    a.add_argument("--index-base", type=int, choices=(0, 1), default=1,
                   help="print indices 1-based (default, as the homework) or 0-based")
    a.add_argument("--pdf", dest="pdf", action="store_true", default=None,
                   help="build the PDF (default: when pdflatex is installed)")
    a.add_argument("--no-pdf", dest="pdf", action="store_false", help="do not build the PDF")
    a.add_argument("--force", action="store_true",
                   help="overwrite files under DIR that were edited since symgrad wrote them")
    s = sub.add_parser("show", help="print one answer's LaTeX")
    s.add_argument("id", help="question id, e.g. 1.2.2.e")
    s.add_argument("--index-base", type=int, choices=(0, 1), default=1)
    c = sub.add_parser("check", help="check a hand-written claim (LaTeX) for a question",
                       description="Exit status 0: correct; 1: incorrect or layout; "
                                   "2: unparsed or bad usage.")
    c.add_argument("id", help="question id, e.g. 1.1.c.iii")
    c.add_argument("source", nargs="?", help="'-' to read the claim from standard input")
    c.add_argument("--latex", help="the claim, e.g. 'f_W(x) \\in \\mathbb{R}^{1 \\times 3}'")
    c.add_argument("--file", help="read the claim from this file")
    c.add_argument("--index-base", type=int, choices=(0, 1), default=1,
                   help="the index base the claim uses (default 1)")
    c.add_argument("--json", action="store_true", help="print the verdict as JSON")
    sub.add_parser("list", help="list the question ids")
    return p


def _decode(data: bytes, where: str) -> str:
    if len(data) > MAX_CLAIM_BYTES:
        raise SymgradError(f"the claim from {where} has {len(data)} bytes; the limit is "
                           f"{MAX_CLAIM_BYTES}")
    if b"\x00" in data:
        raise SymgradError(f"the claim from {where} contains a NUL byte; pass LaTeX text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise SymgradError(f"the claim from {where} is not valid UTF-8 (byte {e.start}); "
                           f"save it as UTF-8") from None


def _claim(args) -> str:
    given = [x is not None for x in (args.latex, args.file, args.source)]
    if sum(given) != 1:
        raise SymgradError("give the claim once: --latex 'TEXT', --file PATH, or - for stdin")
    if args.latex is not None:
        return _decode(args.latex.encode("utf-8", "surrogateescape"), "--latex")
    if args.file is not None:
        try:
            return _decode(Path(args.file).read_bytes(), args.file)
        except OSError as e:
            raise SymgradError(f"cannot read {args.file}: {e.strerror}") from None
    if args.source != "-":
        raise SymgradError(f"unexpected argument {args.source!r}; use - to read stdin")
    return _decode(sys.stdin.buffer.read(MAX_CLAIM_BYTES + 1), "standard input")


def _answers(args) -> int:
    from .latex.output import build_pdf, write_outputs
    from .problems.hw2 import document_files

    def progress(n, total, qid):
        print(f"[{n}/{total}] {qid}", file=sys.stderr, flush=True)

    files = document_files(args.index_base, args.only, progress)
    written = write_outputs(args.out, files, force=args.force)
    print(f"wrote {len(written)} file(s) under {args.out}/ ({len(files)} up to date in all)")
    want_pdf = args.pdf if args.pdf is not None else shutil.which("pdflatex") is not None
    if want_pdf:
        if shutil.which("pdflatex") is None:
            print("note: pdflatex is not installed; the .tex files are written, no PDF "
                  "(Debian: apt-get install texlive-latex-recommended texlive-pictures "
                  "latexmk)", file=sys.stderr)
            return 0
        print("building the PDF with latexmk ...", file=sys.stderr, flush=True)
        pdf = build_pdf(Path(args.out) / "hw2.tex")
        if pdf is not None:
            print(f"wrote {pdf}")
    elif args.pdf is None:
        print("note: pdflatex not found, so no PDF was built (the .tex files are complete)",
              file=sys.stderr)
    return 0


def _check(args) -> int:
    from . import check

    verdict = check(args.id, _claim(args), index_base=args.index_base)
    if args.json:
        print(json.dumps(verdict.to_dict(), indent=2, sort_keys=True))
    else:
        print(verdict.format())
    return {"correct": 0, "incorrect": 1, "layout": 1}.get(verdict.verdict, 2)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "answers":
            return _answers(args)
        if args.command == "show":
            from .problems.hw2 import answer

            print(answer(args.id, args.index_base).latex)
            return 0
        if args.command == "check":
            return _check(args)
        if args.command == "list":
            from .problems.hw2 import HW2

            for q in HW2.questions.values():
                print(f"{q.id:10s} {q.statement}")
            return 0
        parser.print_help()
        return 2
    except SymgradError as e:
        print(f"symgrad: error: {str(e).splitlines()[0] if str(e) else type(e).__name__}",
              file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("symgrad: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
