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
  symgrad check 1.1.a '5 \\times 2'        the claim as a positional argument
  echo 'c[t] \\in \\mathbb{R}^{m}' | symgrad check 1.2.1.b -
  symgrad review answers.tex notes.md --out reviewed/
  symgrad answers --set myset.toml        write outputs/<name>/ for a set written as data
  symgrad list --set myset.toml           its questions (sets: a name or a .toml path)
  symgrad derive gru.tex --of 'h[t]' --wrt 'h[t-1]'
"""


class UsageError(SymgradError):
    """Bad command-line usage (what argparse would print before exiting with 2)."""


class _Parser(argparse.ArgumentParser):
    """An argparse parser whose usage errors are exceptions, so --json can report them."""

    def error(self, message: str):  # type: ignore[override]
        e = UsageError(message)
        e.usage = self.format_usage()
        raise e



def _parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="symgrad", epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Symbolic Jacobians and gradients of deep-learning layers: answers to "
                    "problem sets as LaTeX (hw2 built in, others written as data with "
                    "--set), a checker for hand derivations, and derivations of any model "
                    "written in LaTeX.")
    p.add_argument("-V", "--version", action="store_true", help="print the version and exit")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    a = sub.add_parser("answers", help="write the LaTeX answers (and a PDF) for every question",
                       description="Write one .tex per question, NAME.tex (the whole "
                                   "write-up) and preamble.tex under DIR; build NAME.pdf with "
                                   "latexmk when pdflatex is installed. NAME is the problem "
                                   "set's name (hw2 by default).")
    a.add_argument("--out", metavar="DIR", help="output folder (default: outputs for hw2, "
                   "outputs/NAME for the set NAME)")
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
    s.add_argument("--index-base", type=int, choices=(0, 1), default=1,
                   help="print indices 1-based (default, as the homework) or 0-based")
    for sp_ in (a, s):
        _set_option(sp_)
    c = sub.add_parser("check", help="check a hand-written claim (LaTeX) for a question",
                       description="Exit status 0: correct; 1: incorrect or layout; "
                                   "2: unparsed or bad usage.")
    c.add_argument("id", nargs="?", help="question id, e.g. 1.1.c.iii (none with --model)")
    c.add_argument("source", nargs="?", help="the claim, or '-' to read it from standard "
                   "input (a claim starting with '-': --latex=-x or -- -x)")
    c.add_argument("--latex", help="the claim, e.g. 'f_W(x) \\in \\mathbb{R}^{1 \\times 3}'")
    c.add_argument("--file", help="read the claim from this file")
    c.add_argument("--index-base", type=int, choices=(0, 1), default=1,
                   help="the index base the claim uses (default 1)")
    c.add_argument("--json", action="store_true", help="print the verdict as JSON")
    _set_option(c)
    _model_options(c, "check the claim against d OF / d WRT of the model in this .tex file "
                   "('-': standard input) instead of a question")
    _set_option(sub.add_parser("list", help="list the question ids and statements"))
    _derive_parser(sub)
    r = sub.add_parser("review", help="check every claim of whole write-ups (.tex .md .ipynb "
                       ".txt)", description="Find the questions and claims of each write-up, "
                       "check every claim, print a table per question. Exit status 0: every "
                       "claim correct; 1: some claim is not; 2: a file could not be read or "
                       "bad usage.")
    r.add_argument("files", nargs="+", metavar="FILE_OR_DIR", help="write-ups to review; a "
                   "folder: every .tex .md .ipynb .txt under it (a .pdf is reported)")
    r.add_argument("--out", metavar="DIR", help="write the report here: index.html (the "
                   "class), one .html per write-up, summary.json, summary.csv; for files, also "
                   "annotated copies (and a PDF for .tex when pdflatex is installed)")
    r.add_argument("--jobs", type=int, metavar="N", help="review over N processes "
                   "(default: every core); given, or with a folder, one line per write-up")
    r.add_argument("--gradescope", metavar="RESULTS", help="write Gradescope autograder "
                   "results (results.json) for one student's submission")
    r.add_argument("--points", metavar="FILE", help="points per question (JSON or TOML: "
                   "\"1.1.a\" = 2); default the problem set's points, else 1 each")
    r.add_argument("--timeout", type=float, default=600.0, metavar="SECONDS",
                   help="time limit of one write-up's review (default 600)")
    r.add_argument("--json", action="store_true", help="print one object per claim and a "
                   "summary as JSON")
    r.add_argument("--index-base", type=int, choices=(0, 1), default=1,
                   help="the index base the write-ups use (default 1)")
    r.add_argument("--no-pdf", dest="pdf", action="store_false", default=True,
                   help="do not compile annotated .tex files")
    r.add_argument("--force", action="store_true", help="overwrite annotated copies under "
                   "DIR that were edited since symgrad wrote them")
    r.add_argument("--latex-timeout", type=float, default=60.0, metavar="SECONDS",
                   help="time limit of one LaTeX compilation (default 60)")
    _set_option(r)
    return p


def _set_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--set", metavar="SET", help="the problem set: a registered name (hw2, "
                   "the default, and the sets shipped in symgrad/problems/sets) or the path of a "
                   "problem-set .toml file")


def _model_options(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("--model", metavar="MODEL", help=what)
    p.add_argument("--of", metavar="NAME", help="what is differentiated, as the equations "
                   "write it, e.g. h[t] (default: the model's last definition)")
    p.add_argument("--wrt", metavar="NAME", help="with respect to what, e.g. h[t-1] or W_c")
    p.add_argument("--time-steps", metavar="K", help="gradient of a recurrent model through "
                   "K steps (a number or a size name such as K)")
    p.add_argument("--given", choices=("total", "direct"), default="total",
                   help="with --time-steps: the known dl/dh[t] are total (default) or direct")


def _derive_parser(sub) -> None:
    d = sub.add_parser(
        "derive", help="derive a Jacobian or gradient of a model written in LaTeX",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Print d OF / d WRT of the model in MODEL (a .tex file, or '-' for "
                    "standard input) as LaTeX: a Jacobian in numerator layout, or the "
                    "gradient of a scalar OF in the shape of WRT.",
        epilog="MODEL: the equations, one per line or separated by \\\\, and their "
               "shapes in comment lines:\n"
               "  % shapes: x: n, h: m, W_c: m x n, W_h: m x m, W_x: m x n\n"
               "  c[t] = \\sigma(W_c x[t] + W_h h[t-1]) \\\\\n"
               "  h[t] = c[t] \\odot h[t-1] + (1 - c[t]) \\odot W_x x[t]\n"
               "optional: '% name: GRU', '% index-base: 0' (index notation in the "
               "equations).")
    d.add_argument("model", metavar="MODEL", help="the model's .tex file, or '-'")
    _model_options(d, argparse.SUPPRESS)
    d.add_argument("--form", choices=("index", "matrix"), default="index",
                   help="index notation (default) or matrix notation")
    d.add_argument("--steps", action="store_true", help="print the derivation: the model, "
                   "the local derivative of every link, the chain rule, then the result")
    d.add_argument("--index-base", type=int, choices=(0, 1), default=1,
                   help="print indices 1-based (default) or 0-based")
    d.add_argument("--json", action="store_true", help="print the result as JSON")


def _require_id(parser: argparse.ArgumentParser, args) -> None:
    """``check`` needs a question id unless it checks against --model."""
    if args.command == "check" and args.id is None and args.model is None:
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        sub.choices["check"].error("the following arguments are required: id (or --model "
                                   "FILE --of NAME --wrt NAME)")


def _problem_set(args):
    from .problems import registry

    return registry.get(getattr(args, "set", None))


def _derivation(args, model_path: str):
    from .problems.derive import derivation
    from .problems.modelfile import read_model_file

    if not args.wrt:
        raise SymgradError("--wrt is missing: say with respect to what, e.g. --wrt h[t-1]")
    return derivation(read_model_file(model_path), args.of, args.wrt,
                      time_steps=args.time_steps, given=args.given)


def _derive(args) -> int:
    d = _derivation(args, args.model)
    result = d.result(args.form, args.index_base)
    steps = d.steps(args.form, args.index_base) if args.steps else []
    if args.json:
        data = {"of": d.of, "wrt": d.wrt, "kind": d.kind, "shape": [str(x) for x in
                d.quantity.shape], "layout": d.quantity.layout, "form": args.form,
                "index_base": args.index_base, "latex": result,
                "shape_latex": d.quantity.shape_latex()}
        if args.steps:
            data["steps"] = steps
        print(json.dumps(data, indent=2))
    else:
        print("\n".join(steps) if steps else result)
    return 0


def _check_model(args) -> int:
    if args.set:
        raise SymgradError("give --model or --set, not both")
    if args.id is not None and args.source is not None:
        raise SymgradError("with --model there is no question id: give only the claim")
    if args.id is not None:
        args.source = args.id
    d = _derivation(args, args.model)
    if args.model == "-" and args.source == "-":
        raise SymgradError("the model and the claim cannot both come from standard input")
    return _print_verdict(args, d.quantity.check(_claim(args), index_base=args.index_base))


def _check_set(args) -> int:
    from . import check

    if args.id is None:
        raise SymgradError("the question id is missing, e.g. symgrad check 1.1.b --latex "
                           "'CLAIM'")
    verdict = check(args.id, _claim(args), index_base=args.index_base,
                    set=getattr(args, "set", None))
    return _print_verdict(args, verdict)


def _print_verdict(args, verdict) -> int:
    if args.json:
        print(json.dumps(_verdict_json(verdict), indent=2, sort_keys=True))
    else:
        print(verdict.format())
    return {"correct": 0, "incorrect": 1, "layout": 1}.get(verdict.verdict, 2)


def _verdict_json(verdict) -> dict:
    """A verdict as JSON, with one type per field: the counterexample's ``claimed`` and
    ``true`` are always text (a number as it prints), whatever the claim was."""
    data = verdict.to_dict()
    example = data.get("counterexample")
    if isinstance(example, dict):
        for key in ("claimed", "true"):
            if key in example and example[key] is not None and not isinstance(example[key], str):
                example[key] = str(example[key])
    return data


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
        return _decode(args.source.encode("utf-8", "surrogateescape"), "the argument")
    return _decode(sys.stdin.buffer.read(MAX_CLAIM_BYTES + 1), "standard input")


PDF_TOOLS = ("Debian/Ubuntu: apt-get install texlive-latex-base texlive-latex-recommended "
             "texlive-pictures latexmk")


def _answers(args) -> int:
    """``answers``: the write-up of a problem set (hw2 by default) under --out."""
    import hashlib

    from .problems.document import document, file_names, main_file
    from .problems.registry import DEFAULT
    from .render.output import (
        build_pdf,
        cached_answers,
        check_output_dir,
        code_digest,
        pdf_is_current,
        save_answers_cache,
        sha256_bytes,
        write_outputs,
    )

    pset = _problem_set(args)
    out = Path(args.out if args.out is not None else
               "outputs" if pset.name == DEFAULT else os.path.join("outputs", pset.name))
    only = [pset.question(q).id for q in args.only] if args.only else None
    have_pdflatex = shutil.which("pdflatex") is not None
    if args.pdf and not have_pdflatex:
        raise SymgradError(f"--pdf: pdflatex is not installed, so no PDF can be built "
                           f"({PDF_TOOLS}); --no-pdf writes the .tex files only")
    check_output_dir(out, file_names(pset), force=args.force)      # before any work

    def progress(n, total, qid):
        print(f"[{n}/{total}] {qid}", file=sys.stderr, flush=True)

    source = b""
    if pset.source:
        try:
            source = Path(pset.source).read_bytes()
        except OSError:
            source = pset.source.encode()
    key = hashlib.sha256(f"{code_digest()} set={pset.name} {sha256_bytes(source)} "
                         f"index_base={args.index_base}".encode()).hexdigest()
    previous = cached_answers(out, key)
    computed = [q.id for q in pset.questions.values()
                if (only and q.id in only) or q.id not in previous]
    files, per_question = document(pset, args.index_base, only, progress, previous,
                                   background=pset.slow)
    written = write_outputs(out, files, force=args.force)
    save_answers_cache(out, key, per_question)
    if written or computed:
        print(f"wrote {len(written)} file(s) under {out}/ ({len(files)} up to date in all)")
    else:
        print(f"nothing changed: the {len(files)} files under {out}/ are up to date")
    want_pdf = args.pdf if args.pdf is not None else have_pdflatex
    if want_pdf:
        main = out / main_file(pset)
        if not pdf_is_current(main):
            print("building the PDF with latexmk ...", file=sys.stderr, flush=True)
        pdf = build_pdf(main)
        if pdf is not None:
            shown = main.with_suffix(".pdf")           # as the user named the folder
            print(f"wrote {shown}" if pdf.rebuilt else f"{shown} is up to date")
            for warning in pdf.warnings:
                print(f"warning: LaTeX: {warning}", file=sys.stderr)
            if pdf.warnings:
                print(f"note: the LaTeX log is kept in {pdf.log}", file=sys.stderr)
    elif args.pdf is None:
        print(f"note: pdflatex not found, so no PDF was built (the .tex files are "
              f"complete; {PDF_TOOLS})", file=sys.stderr)
    return 0


def _review(args) -> int:
    from .render.output import write_atomic
    from .verify import grading
    from .verify.review import (
        RecognisingReviewer,
        Reviewer,
        format_summary,
        format_table,
        review_json,
    )

    if args.jobs is not None and args.jobs < 1:
        raise UsageError(f"--jobs needs a number of processes >= 1, not {args.jobs}")
    out = Path(args.out) if args.out else None
    entries = grading.collect(args.files, exclude=out, allow_empty=bool(args.gradescope))
    if out is not None:
        for e in entries:
            if e.path.resolve().parent == out.resolve():
                raise SymgradError(f"--out {out} is the folder of {e.path}; symgrad writes "
                                   f"nothing beside the write-ups it reads: choose another "
                                   f"folder")
    points = grading.load_points(args.points) if args.points else None
    if args.gradescope and Path(args.gradescope).is_dir():
        raise SymgradError(f"--gradescope {args.gradescope} is a folder: give the file, e.g. "
                           f"{Path(args.gradescope) / 'results.json'}")
    written: list[str] = []
    reviews = []
    if args.jobs is not None or args.gradescope or any(Path(f).is_dir() for f in args.files):
        total, bar = len(entries), None
        if sys.stdout.isatty() and not args.json:
            from tqdm import tqdm

            bar = tqdm(total=total, unit="write-up", file=sys.stderr, leave=False)
        n = [0]

        def done(rec, cached):
            n[0] += 1
            if rec.get("error"):
                line = f"[{n[0]}/{total}] {rec['name']}: error: {rec['error']}"
            else:
                s = rec["summary"]
                line = (f"[{n[0]}/{total}] {rec['name']}: {s['claims']} claim(s): "
                        f"{s['correct']} correct, {s['incorrect']} incorrect, {s['layout']} "
                        f"layout, {s['unparsed']} not judged" + (" (unchanged)" if cached
                                                                   else ""))
            if args.json:
                return
            if bar is not None:
                bar.write(line, file=sys.stdout)
                bar.update()
            else:
                print(line, flush=True)

        try:
            records = grading.review_all(
                entries, jobs=args.jobs, problem_set=args.set, index_base=args.index_base,
                timeout=args.timeout, done=done,
                cache=out / grading.CACHE_NAME if out is not None else None) \
                if entries else []
        finally:
            if bar is not None:
                bar.close()
    else:
        # with --set, that set; without it, the set each write-up answers (recognised)
        reviewer = Reviewer(index_base=args.index_base, problems=_problem_set(args)) \
            if args.set else RecognisingReviewer(index_base=args.index_base)
        records = []
        for e in entries:
            rv = grading.review_entry(reviewer, e, args.timeout) if \
                e.path.suffix.lower() == ".pdf" else None
            if rv is not None:
                records.append(rv)
                print(f"{e.name}: error: {rv['error']}", file=sys.stderr)
                continue
            rv = reviewer.review_file(e.path)
            reviews.append(rv)
            records.append(grading.record(rv, e.name))
            if not args.json:
                print(format_table(rv), file=sys.stderr if rv.error else sys.stdout, flush=True)
                print()
        if len(reviews) > 1 and not args.json:
            print(format_summary(reviews, list(reviewer.problems.questions)))
        if out is not None and reviews:
            from .verify.annotate import write_annotated

            for note in write_annotated(reviews, out, pdf=args.pdf, timeout=args.latex_timeout,
                                        force=args.force):
                written.append(note)
                if not args.json:
                    print(note, file=sys.stderr)
    summary = grading.class_summary(records, points, args.set)
    if out is not None:
        options = {"set": args.set, "index_base": args.index_base, "points": args.points}
        for path in grading.write_report(out, records, summary, options):
            written.append(f"wrote {path}")
        if not args.json:
            print(f"wrote the report: {out / 'index.html'} (and summary.json, summary.csv, "
                  f"{len(records)} write-up page(s))", file=sys.stderr)
    if args.gradescope:
        results = grading.gradescope_results(records, points, args.set)
        write_atomic(args.gradescope, json.dumps(results, indent=1) + "\n")
        written.append(f"wrote {args.gradescope}")
        if not args.json:
            print(f"wrote {args.gradescope}: score {results['score']:g} of "
                  f"{sum(t['max_score'] for t in results['tests']):g}", file=sys.stderr)
    if args.json:
        if reviews and len(reviews) == len(records):
            data = review_json(reviews)
        else:
            data = {"writeups": records, **summary}
        data["written"] = written
        print(json.dumps(data, indent=2))
    if any(r.get("error") for r in records):
        return 2
    return 0 if all(c["verdict"] == "correct" for r in records for c in r["claims"]) else 1


def _argv(argv: list[str]) -> list[str]:
    """``--latex -x`` -> ``--latex=-x``: a claim may start with a minus sign."""
    out: list[str] = []
    i = 0
    while i < len(argv):
        if argv[i] in ("--latex", "--file") and i + 1 < len(argv):
            out.append(f"{argv[i]}={argv[i + 1]}")
            i += 2
            continue
        if argv[i] == "--":
            out.extend(argv[i:])
            break
        out.append(argv[i])
        i += 1
    return out


def _fail(message: str, as_json: bool) -> int:
    if as_json:
        print(json.dumps({"error": message, "verdict": None}, indent=2))
    else:
        print(f"symgrad: error: {message}", file=sys.stderr)
    return 2


def run() -> None:
    """The ``symgrad`` command: ``main``, then exit at once. Every output is written and
    closed by then, so the interpreter's teardown of SymPy's caches (about 0.15 s) is
    skipped; an uncaught exception still exits the usual way, with its traceback."""
    code = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (BrokenPipeError, ValueError):  # a reader that left (| head), a closed stream
        code = code or 1
    os._exit(code or 0)


def main(argv: list[str] | None = None) -> int:
    """The command line: runs the subcommand in ``argv`` and returns the exit status."""
    argv = _argv(list(sys.argv[1:] if argv is None else argv))
    as_json = "--json" in argv[:argv.index("--")] if "--" in argv else "--json" in argv
    parser = _parser()
    if argv[:1] in (["--version"], ["-V"]):
        from . import __version__

        print(f"symgrad {__version__}")
        return 0
    try:
        args, extra = parser.parse_known_args(argv)
        if extra:            # the subcommand's usage, not the top level's
            sub = parser._subparsers._group_actions[0].choices.get(args.command, parser)
            sub.error(f"unrecognized arguments: {' '.join(extra)}")
        _require_id(parser, args)
    except UsageError as e:
        if not as_json:
            print(getattr(e, "usage", "").rstrip(), file=sys.stderr)
        return _fail(str(e).split("\n")[0], as_json)
    try:
        if args.command == "derive":
            return _derive(args)
        if args.command == "answers":
            return _answers(args)
        if args.command == "show":
            print(_problem_set(args).answer(args.id, args.index_base).latex)
            return 0
        if args.command == "check":
            if args.model is not None:
                return _check_model(args)
            return _check_set(args)
        if args.command == "review":
            return _review(args)
        if args.command == "list":
            for q in _problem_set(args).questions.values():
                print(f"{q.id:10s} {q.statement}")
            return 0
        parser.print_help()
        return 2
    except SymgradError as e:
        return _fail(str(e).splitlines()[0] if str(e) else type(e).__name__, as_json)
    except KeyboardInterrupt:
        print("symgrad: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
