"""The documented examples run as written: the example notebook in a real Jupyter kernel,
and every Python block of README.md and examples/*.md (issue 14: undefined names and
`...` placeholders made them fail when pasted). A block's expression followed by a comment
that states its value (a Python literal, or printed LaTeX with `...` for omitted parts)
is checked against that value."""

from __future__ import annotations

import ast
import io
import re
import shutil
import tokenize
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "examples" / "hw2.ipynb"
DOCS = [ROOT / "README.md", *sorted((ROOT / "examples").glob("*.md"))]


def test_notebook_executes():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    latex = [o for o in outputs if "text/latex" in o.get("data", {})]
    assert len(latex) >= 3
    # sg.answer(...) shows as Markdown with math, never as a LaTeX document fragment
    # (issue 14: \paragraph and TikZ that MathJax cannot render)
    answers = [o["data"]["text/markdown"] for o in outputs
               if "text/markdown" in o.get("data", {})]
    assert len(answers) >= 2
    for md in answers:
        assert "$$" in md or "$" in md
        for fragment in ("\\paragraph", "\\subsection", "\\begin{tikzpicture}",
                         "\\begin{itemize}", "\\emph", "\\["):
            assert fragment not in md, fragment
    if shutil.which("pdflatex") and shutil.which("pdftoppm"):
        assert any("](data:image/png;base64," in md for md in answers)


def test_notebook_is_committed_with_its_outputs():
    """The example notebook is committed executed: every code cell has run, in order, and
    every cell whose last line is an expression shows its value."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1))
    for c in code:
        last = ast.parse(c.source).body[-1]
        if isinstance(last, ast.Expr) and not (isinstance(last.value, ast.Call) and
                                               getattr(last.value.func, "id", "") == "print"):
            assert any(o.output_type == "execute_result" for o in c.outputs), c.source


def python_blocks(path: Path) -> list[tuple[int, str]]:
    """(first line, code) of each ```python block of a Markdown file."""
    text = path.read_text(encoding="utf-8")
    return [(text[:m.start()].count("\n") + 2, m.group(1))
            for m in re.finditer(r"^```python\n(.*?)^```", text, re.S | re.M)]


def _comments(code: str) -> dict[int, str]:
    out = {}
    for tok in tokenize.generate_tokens(io.StringIO(code).readline):
        if tok.type == tokenize.COMMENT:
            out[tok.start[0]] = tok.string[1:].strip()
    return out


def _stated_value(lines: list[str], comments: dict[int, str], end: int) -> str | None:
    """The comment on an expression's last line and the comment lines right after it."""
    parts = [comments[end]] if end in comments else []
    k = end + 1
    while k <= len(lines) and lines[k - 1].lstrip().startswith("#"):
        parts.append(comments[k])
        k += 1
    return " ".join(parts) if parts else None


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _in_order(fragments: list[str], text: str) -> bool:
    at = 0
    for frag in fragments:
        frag = frag.strip()
        if not frag:
            continue
        at = text.find(frag, at)
        if at < 0:
            return False
        at += len(frag)
    return True


def _check_value(value, stated: str, where: str) -> None:
    literal = None
    for text in (stated, stated.split(";")[0]):
        try:
            literal = ast.literal_eval(text)
            break
        except (ValueError, SyntaxError):
            continue
    if isinstance(literal, str) and isinstance(value, str) and "..." in literal:
        stated, literal = literal, None
    if literal is not None:
        assert value == literal, f"{where}: the comment says {literal!r}, the code gives {value!r}"
    elif isinstance(value, str) and "\\" in stated:       # printed LaTeX
        assert _in_order(_squash(stated).split("..."), _squash(value)), \
            f"{where}: the comment says\n  {stated}\nthe code gives\n  {value}"


def run_block(code: str, namespace: dict, where: str) -> None:
    lines = code.splitlines()
    comments = _comments(code)
    for node in ast.parse(code).body:
        if isinstance(node, ast.Expr):
            value = eval(compile(ast.Expression(node.value), where, "eval"), namespace)
            stated = _stated_value(lines, comments, node.end_lineno)
            if stated:
                _check_value(value, stated, f"{where}, line {node.lineno}")
        else:
            exec(compile(ast.Module([node], []), where, "exec"), namespace)


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_python_block_runs_as_written(doc, monkeypatch, tmp_path):
    """The blocks of one page run in order in one session, as a reader pastes them."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    blocks = python_blocks(doc)
    assert blocks, f"{doc.name} has no python block"
    namespace: dict = {"__name__": "__main__"}
    for line, code in blocks:
        assert "..." not in re.sub(r"#.*", "", code), f"{doc.name}:{line}: a placeholder"
        run_block(code, namespace, f"{doc.name}:{line}")


def test_the_checker_of_stated_values_catches_a_wrong_comment():
    with pytest.raises(AssertionError, match="the comment says"):
        run_block("x = (1, 2)\nx  # (1, 3)\n", {}, "t")
    with pytest.raises(AssertionError, match="the comment says"):
        run_block("s = r'\\frac{a}{b} = c'\ns\n# \\frac{a}{b} = d\n", {}, "t")
    run_block("s = r'\\frac{a}{b} = c + d'\ns\n# \\frac{a}{b} ... d\n", {}, "t")


def console_commands(path: Path) -> list[tuple[str, list[str], int | None]]:
    """(command, expected output lines, stated exit status) of each `$ symgrad check|show`
    line of the ```console blocks."""
    text = path.read_text(encoding="utf-8")
    found = []
    for block in re.findall(r"^```console\n(.*?)^```", text, re.S | re.M):
        lines = block.splitlines()
        for i, line in enumerate(lines):
            if not line.startswith("$ symgrad "):
                continue
            rest = []
            for other in lines[i + 1:]:
                if other.startswith("$ "):
                    break
                rest.append(other)
            status = None
            j = i + 1 + len(rest)
            if j < len(lines) and lines[j] == "$ echo $?":
                status = int(lines[j + 1])
            found.append((line[2:], rest, status))
    return found


def test_readme_console_commands_give_what_the_readme_shows(capsys, monkeypatch, tmp_path):
    import shlex

    from symgrad.cli import main

    monkeypatch.chdir(tmp_path)
    commands = [c for c in console_commands(ROOT / "README.md")
                if c[0].split()[1] in ("check", "show", "list")]
    assert len(commands) >= 5
    for command, expected, status in commands:
        code = main(shlex.split(command)[1:])
        out = capsys.readouterr().out
        if status is not None:
            assert code == status, command
        if command.split()[1] == "check":
            word = expected[0].split(":")[0]
            assert out.startswith(word + ":"), f"{command}\n{out}"
            assert code == (0 if word == "CORRECT" else 1), command
        shown = [ln for ln in expected if ln.strip() and ln.strip() != "..."]
        for line in shown[-1:]:
            fragments = _squash(line).split("...")
            assert _in_order(fragments, _squash(out)), f"{command}: {line!r} not in\n{out}"
