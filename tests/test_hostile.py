"""Hostile input through the CLI: bounded time, exit 1 or 2, one short message, nothing runs."""

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

CORPUS = [
    r"__import__('os').system('touch {canary}')",
    r"\input{/etc/passwd}",
    r"\include{{canary}} \write18{touch {canary}}",
    r"\begin{cases} 1 & i = j \\ 0",
    r"f_W(x) \in \mathbb{R}^{-3 \times 5}",
    r"f_W(x) \in \mathbb{R}^{10^{100} \times 5}",
    r"x^{9^{9^{9^{9}}}}",
    r"\sum_{i=1}^{10^{12}} \sum_{j=1}^{10^{12}} i j",
    r"f_W(x)[1,j] = \prod_{i=1}^{100000000} 2",
    "{" * 5000 + "x" + "}" * 5000,
    r"\left(" * 300 + "x" + r"\right)" * 300,
    r"\frac{\partial}{\partial}",
    r"f_W(x)[1, j] = " + " + ".join(f"x[c, {n}]" for n in range(4000)),
    "x" * 1_000_000,
    r"\end{cases} \begin{matrix} 1 & 2",
    r"W_{99999999999999999999999999}",
    r"\frac{\partial \hat{y}_{1,j}}{\partial W_{1,c,k}} = x[c, 2j + k - 2]^{10^{10}}",
]


def run_check(qid, *args, stdin=None, tmp):
    start = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "symgrad", "check", qid, *args],
                       capture_output=True, input=stdin, timeout=60, cwd=tmp)
    return r, time.perf_counter() - start


CASES = [(text, via) for text in CORPUS for via in ("latex", "file")
         if via == "file" or len(text) < 100_000]  # 1 MB goes through a file, not argv


@pytest.mark.parametrize("text,via", CASES, ids=[f"hostile{n}" for n in range(len(CASES))])
def test_hostile_claims_end_cleanly(text, via, tmp_path):
    canary = tmp_path / "PWNED"
    text = text.replace("{canary}", str(canary))
    if via == "latex":
        r, seconds = run_check("1.1.c.i", "--latex", text, tmp=tmp_path)
    else:
        path = tmp_path / "claim.tex"
        path.write_text(text)
        r, seconds = run_check("1.1.c.i", "--file", str(path), tmp=tmp_path)
    out, err = r.stdout.decode(), r.stderr.decode()
    assert r.returncode in (1, 2), (out, err)
    assert seconds < 15
    assert "Traceback" not in out + err
    assert len(err) < 2000
    assert not canary.exists()


def test_binary_input_is_refused(tmp_path):
    for data in (b"5 \\times \x00 2", b"\xff\xfe\x00", b"\xc3\x28"):
        path = tmp_path / "claim.bin"
        path.write_bytes(data)
        r, _ = run_check("1.1.a", "--file", str(path), tmp=tmp_path)
        assert r.returncode == 2 and b"Traceback" not in r.stderr
        r, _ = run_check("1.1.a", "-", stdin=data, tmp=tmp_path)
        assert r.returncode == 2 and b"Traceback" not in r.stderr


def test_no_eval_exec_or_sympify_of_text_in_the_source():
    pattern = re.compile(r"(?<!def )\b(eval|exec|sympify|parse_expr)\s*\(|\bsp\.S\(")
    offenders = []
    for path in (ROOT / "symgrad").rglob("*.py"):
        for n, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("#", 1)[0]
            if pattern.search(code) and "literal_eval" not in code:
                offenders.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not offenders, "\n".join(offenders)
