"""Problem sets as data (hw1 is only a TOML file), the registry, `symgrad derive` and
`symgrad check --model` on models read from .tex files.

hw1's closed forms are checked against a NumPy two-layer network written here, with
central finite differences for the gradients of the loss."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from reference import central, sig

import symgrad as sg
from symgrad.cli import main
from symgrad.problems import registry
from symgrad.problems.dataset import parse_set, read_set
from symgrad.problems.document import document_files
from symgrad.problems.modelfile import read_model_file

ROOT = Path(__file__).resolve().parent.parent
HW1 = ROOT / "symgrad" / "problems" / "sets" / "hw1.toml"
MODELS = Path(__file__).resolve().parent / "data" / "models"
IDS = ["1.2.a", "1.2.b", "1.2.c", "1.2.d", "1.3.a", "1.3.b", "1.3.c"]


@pytest.fixture(scope="module")
def hw1():
    return registry.get(str(HW1))


@pytest.fixture(scope="module")
def files(hw1):
    return document_files(hw1)


# the set is data only ----------------------------------------------------------------------
def test_hw1_has_no_python_of_its_own():
    hits = [str(p.relative_to(ROOT)) for p in (ROOT / "symgrad").rglob("*.py")
            if "hw1" in p.name or re.search(r"hw1|homework ?1", p.read_text(), re.I)]
    assert hits == []
    assert [p.name for p in (ROOT / "symgrad").rglob("*hw1*")] == ["hw1.toml"]


def test_registry_finds_sets_by_name_and_path(hw1):
    assert registry.names()[:1] == ["hw2"] and "hw1" in registry.names()
    assert registry.get().name == "hw2"
    assert registry.get("hw1").name == "hw1" == hw1.name
    assert list(q.id for q in hw1.questions.values()) == IDS
    with pytest.raises(sg.SymgradError, match="no problem set 'hw9'.*hw1"):
        registry.get("hw9")


def test_committed_hw1_outputs_are_what_the_command_writes(files):
    for name, content in files.items():
        committed = (ROOT / "outputs" / "hw1" / name).read_bytes()
        assert committed == content.encode("utf-8"), \
            f"outputs/hw1/{name} is stale: run `symgrad answers --set hw1`"
    assert set(files) == {p.name for p in (ROOT / "outputs" / "hw1").glob("*.tex")}


def test_every_answer_is_in_the_document(hw1, files):
    doc = files["hw1.tex"]
    for qid in IDS:
        assert r"\subsection*{%s}" % qid in doc
    assert r"\operatorname{diag}\left(\hat{y} \odot \left(1 - \hat{y}\right)\right)" in doc
    assert r"\frac{\partial \ell}{\partial z_3} = \frac{1}{K} \left(\hat{y} - y\right)" in doc
    assert r"\frac{\partial \ell}{\partial W^{(2)}} = 2 \left(\hat{y} - y\right) z_2^{\top}" \
        in doc


# one writer for every set (issue 15) -------------------------------------------------------
def test_one_document_writer_for_every_set(hw1, files):
    """hw2 and hw1 are written by problems.document alone: the same pasteable answer files
    (header naming the packages), preamble.tex, statements typeset from statement_tex."""
    import inspect

    from symgrad.problems import document, hw2
    from symgrad.render.output import preamble_tex, strip_answer_header

    source = inspect.getsource(hw2)
    assert "latex_document" not in source and "answer_header" not in source
    assert "def section" not in source and "def document(" not in source
    assert "_escape" not in source
    hw2_files = hw2.document_files(1, ["1.1.a"])
    for pset, written in ((hw1, files), (hw2.HW2, hw2_files)):
        assert written[pset.name + ".tex"].startswith("\\documentclass{article}")
        assert written["preamble.tex"] == preamble_tex()
        assert set(document.file_names(pset)) <= set(written)
        for q in pset.questions.values():
            text = written[document.file_stem(q.id) + ".tex"]
            assert text.startswith(f"% Answer to {pset.name} question {q.id}, written by")
            assert strip_answer_header(text) in written[pset.name + ".tex"]
    statement = strip_answer_header(files["answer-1_2_d.tex"]).splitlines()[1]
    assert r"$\frac{\partial \ell}{\partial \hat{y}}$" in statement
    assert "dl/d" not in statement and "\\_" not in statement


def test_a_set_without_statement_tex_escapes_its_plain_statement(tmp_path):
    path = bad_set(tmp_path, GOOD.replace("'The Jacobian of a with respect to x.'",
                                          "'Is 50% of a_1 > 0 & x < 1?'"))
    files = document_files(registry.get(str(path)))
    assert r"\emph{Is 50\% of a\_1 $>$ 0 \& x $<$ 1?}" in files["answer-1.tex"]


def test_answers_with_a_set_cache_only_and_preflight(tmp_path, capsys):
    """--only, the answers cache and the output-folder checks work for a data set as for
    hw2 (they were hw2's alone: --only wrote a one-question hw1.tex)."""
    out = tmp_path / "hw1"
    assert main(["answers", "--set", "hw1", "--out", str(out), "--no-pdf"]) == 0
    full = (out / "hw1.tex").read_text()
    capsys.readouterr()
    assert main(["answers", "--set", "hw1", "--out", str(out), "--no-pdf"]) == 0
    assert "nothing changed" in capsys.readouterr().out
    assert main(["answers", "--set", "hw1", "--out", str(out), "--no-pdf", "--only",
                 "1.2.D"]) == 0
    assert capsys.readouterr().err.count("[") == 1
    assert (out / "hw1.tex").read_text() == full
    (out / "answer-1_2_a.tex").write_text("mine")
    assert main(["answers", "--set", "hw1", "--out", str(out), "--no-pdf", "--only",
                 "1.2.d"]) == 2
    err = capsys.readouterr().err
    assert "answer-1_2_a.tex was edited" in err and "[1/" not in err


def test_answers_with_a_set_defaults_to_outputs_name(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    path = bad_set(tmp_path, GOOD)
    assert main(["answers", "--set", str(path), "--no-pdf"]) == 0
    assert (tmp_path / "outputs" / "mini" / "mini.tex").is_file()
    assert "under outputs/mini/" in capsys.readouterr().out


def test_readme_problem_set_excerpt_is_a_valid_set():
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"```toml\n(.*?)```", readme, re.S).group(1)
    import tomllib

    pset = parse_set(tomllib.loads(block), "README").problem_set()
    assert pset.name == "hw1" and list(pset.questions) == ["1.2.d"]
    assert r"\delta_{ij}" in pset.answer("1.2.d").latex


# hw1 against an independent NumPy network --------------------------------------------------
def forward(P, x, y, f, g, loss):
    z1 = P["W_1"] @ x + P["b_1"]
    z2 = f(z1)
    z3 = P["W_2"] @ z2 + P["b_2"]
    yh = g(z3)
    return z1, z2, z3, yh, loss(yh, y)


def relu(z):
    return np.maximum(z, 0.0)


def mse(yh, y):
    return np.sum((yh - y) ** 2)


def bce(yh, y):
    return -np.mean(y * np.log(yh) + (1 - y) * np.log(1 - yh))


VARIANTS = {"1.2": (relu, lambda z: z, mse), "1.3.a": (sig, sig, mse),
            "1.3.b": (sig, sig, bce)}
GRADS = {"1.2": "1.2.c", "1.3.a": "1.3.a", "1.3.b": "1.3.b"}


def instance(seed, n=4, m=3, K=2):
    rng = np.random.default_rng(seed)
    P = {"W_1": rng.normal(size=(m, n)), "b_1": rng.normal(size=m),
         "W_2": rng.normal(size=(K, m)), "b_2": rng.normal(size=K)}
    return P, rng.normal(size=n), rng.uniform(0.05, 0.95, size=K)


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("seed, sizes", [(0, (4, 3, 2)), (1, (2, 5, 3)), (2, (3, 1, 1))])
def test_gradients_match_finite_differences(hw1, variant, seed, sizes):
    f, g, loss = VARIANTS[variant]
    P, x, y = instance(seed, *sizes)
    ans = hw1.answer(GRADS[variant])
    grads = {k: q for k, q in ans.quantities.items() if k.startswith(r"\frac{\partial \ell}"
                                                                     r"{\partial W") or
             k.startswith(r"\frac{\partial \ell}{\partial b")}
    assert len(grads) == 4
    for name, q in grads.items():
        p = re.search(r"\\partial ([Wb])\^\{\((\d)\)\}", name)
        key = f"{p.group(1)}_{p.group(2)}"

        def L(v, key=key):
            return forward({**P, key: v}, x, y, f, g, loss)[-1]

        got = q.evaluate({"x": x, "y": y, **P})
        np.testing.assert_allclose(got, central(L, P[key]), atol=1e-6, rtol=1e-6)


@pytest.mark.parametrize("variant, qid", [("1.2", "1.2.d"), ("1.3.a", "1.3.a"),
                                          ("1.3.b", "1.3.b")])
def test_local_derivatives_match_the_reference(hw1, variant, qid):
    f, g, loss = VARIANTS[variant]
    P, x, y = instance(7)
    z1, z2, z3, yh, _ = forward(P, x, y, f, g, loss)
    q = hw1.answer(qid).quantities
    arrays = {"x": x, "y": y, **P}
    dl_dyh = q[r"\frac{\partial \ell}{\partial \hat{y}}"].evaluate(arrays)
    np.testing.assert_allclose(dl_dyh, central(lambda v: loss(v, y), yh), atol=1e-6)
    dz2 = q[r"\frac{\partial z_2}{\partial z_1}"].evaluate(arrays)
    np.testing.assert_allclose(dz2, central(f, z1), atol=1e-6)
    dyh = q[r"\frac{\partial \hat{y}}{\partial z_3}"].evaluate(arrays)
    np.testing.assert_allclose(dyh, central(g, z3), atol=1e-6)
    if variant == "1.2":  # the facts of the homework
        np.testing.assert_allclose(dl_dyh, 2 * (yh - y))
        np.testing.assert_allclose(dz2, np.diag((z1 > 0).astype(float)))
        np.testing.assert_allclose(dyh, np.eye(len(yh)))
    if variant == "1.3.b":
        np.testing.assert_allclose(dl_dyh, ((1 - y) / (1 - yh) - y / yh) / len(y))
        dz3 = q[r"\frac{\partial \ell}{\partial z_3}"].evaluate(arrays)
        np.testing.assert_allclose(dz3, (yh - y) / len(y), atol=1e-12)


def test_forward_pass_is_written_in_the_inputs_only(hw1):
    text = hw1.answer("1.2.b").latex
    from symgrad.render.display import _split_rows

    body = text[text.index(r"\begin{gathered}") + 16:text.rindex(r"\end{gathered}")]
    lines = _split_rows(body)         # (a long row is an aligned block of its own)
    assert len(lines) == 5
    for line in lines:
        rhs = line.split(" = ", 1)[1]
        assert not re.search(r"z_\d|\\hat\{y\}", rhs), line
    assert r"z_2 = \operatorname{ReLU}\left(b^{(1)} + W^{(1)} x\right)" in text


# checking claims of hw1 --------------------------------------------------------------------
@pytest.mark.parametrize("qid, claim, verdict", [
    ("1.2.d", r"\frac{\partial \ell}{\partial \hat{y}} = 2(\hat{y} - y)^\top", "correct"),
    ("1.2.d", r"\frac{\partial z_2}{\partial z_1} \in \mathbb{R}^{m \times m}", "correct"),
    ("1.2.d", r"\frac{\partial \hat{y}_i}{\partial (z_3)_j} = \delta_{ij}", "correct"),
    ("1.2.d", r"\frac{\partial \ell}{\partial \hat{y}} = (\hat{y} - y)^\top", "incorrect"),
    ("1.2.c", r"\frac{\partial \ell}{\partial W^{(2)}} = 2(\hat{y} - y) z_2^\top", "correct"),
    ("1.2.c", r"\frac{\partial \ell}{\partial b^{(2)}} = 2(\hat{y} - y)", "correct"),
    ("1.2.c", r"\frac{\partial \ell}{\partial b^{(1)}} = 2 (W^{(2)})^\top (\hat{y} - y)",
     "incorrect"),
    ("1.3.a", r"\frac{\partial \hat{y}}{\partial z_3} = \mathrm{diag}(\hat{y} \odot "
              r"(1 - \hat{y}))", "correct"),
    ("1.3.b", r"\frac{\partial \ell}{\partial z_3} = \frac{1}{K}(\hat{y} - y)^\top", "correct"),
    ("1.3.b", r"\frac{\partial \ell}{\partial z_3} = (\hat{y} - y)^\top", "incorrect"),
])
def test_hw1_claims_are_checked(qid, claim, verdict, capsys):
    code = main(["check", "--set", str(HW1), qid, claim, "--json"])
    data = json.loads(capsys.readouterr().out)
    assert data["verdict"] == verdict, data
    assert code == (0 if verdict == "correct" else 1)


# the command line ---------------------------------------------------------------------------
def test_list_and_show_with_a_set(capsys):
    assert main(["list", "--set", "hw1"]) == 0
    out = capsys.readouterr().out
    assert [line.split()[0] for line in out.splitlines()] == IDS
    assert main(["show", "--set", str(HW1), "1.2.D"]) == 0
    assert r"\delta_{ij}" in capsys.readouterr().out


def test_answers_with_a_set_builds_its_pdf(tmp_path):
    require = os.environ.get("SYMGRAD_REQUIRE_LATEX") == "1"
    if shutil.which("pdflatex") is None:
        if require:
            pytest.fail("pdflatex is required (SYMGRAD_REQUIRE_LATEX=1) but not installed")
        pytest.skip("pdflatex is not installed")
    out = tmp_path / "hw1"
    r = subprocess.run([sys.executable, "-m", "symgrad", "answers", "--set", str(HW1), "--out",
                        str(out), "--pdf"], capture_output=True, text=True, timeout=600,
                       cwd=ROOT)
    assert r.returncode == 0, r.stderr
    pdf = out / "hw1.pdf"
    assert pdf.is_file() and pdf.stat().st_size > 20_000
    assert (out / "hw1.tex").read_bytes() == (ROOT / "outputs" / "hw1" / "hw1.tex").read_bytes()


def bad_set(tmp_path, text):
    path = tmp_path / "set.toml"
    path.write_text(text)
    return path


GOOD = """name = "mini"
title = 'A small set'
[models.mlp]
equations = 'z = W x \\\\ a = \\sigma(z)'
shapes = 'x: n, W: m x n'
[[questions]]
id = "1"
statement = 'The Jacobian of a with respect to x.'
derive = [{ what = "jacobian", of = 'a', wrt = 'x' }]
"""


@pytest.mark.parametrize("text, words", [
    ("name = 'mini\n", "invalid TOML"),
    (GOOD.replace('model', 'modle', 1).replace("[models.mlp]", "[modles.mlp]"),
     "unknown key 'modles'"),
    (GOOD + "model = 'rnn'\n", "model = 'rnn' is not a model of this set; models: mlp"),
    (GOOD.replace("'The Jacobian of a with respect to x.'", '"\\times a"'),
     "contains the escape \\t"),
    (GOOD.replace("shapes = 'x: n, W: m x n'", ""), "shapes is missing"),
    (GOOD.replace('"jacobian"', '"hessian"'), "what = 'hessian'; it must be one of"),
    (GOOD.replace("of = 'a'", "of = 'q'"), "no tensor 'q'"),
    (GOOD.replace("statement = 'The", "statement = '$W^{(1)}$ The"), "plain text"),
    (GOOD + '[[questions]]\nid = "1"\nstatement = "again"\nprose = "x"\n', "used twice"),
])
def test_set_errors_are_one_line_naming_the_fix(tmp_path, text, words, capsys):
    path = bad_set(tmp_path, text)
    code = main(["show", "--set", str(path), "1"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("symgrad: error: ") and words in err, err


def test_unknown_question_and_missing_file(tmp_path, capsys):
    path = bad_set(tmp_path, GOOD)
    assert main(["check", "--set", str(path), "9", "x"]) == 2
    err = capsys.readouterr().err
    assert "no question '9' in mini" in err and "questions: 1" in err
    assert main(["list", "--set", str(tmp_path / "nope.toml")]) == 2
    assert "no problem-set file" in capsys.readouterr().err
    assert main(["check", "--set", str(path), "1",
                 r"\frac{\partial a}{\partial x} = \mathrm{diag}(a \odot (1 - a)) W"]) == 0


def test_parse_set_reads_a_table_of_shapes():
    ds = parse_set({"name": "s", "title": "t", "models": {"m": {
        "equations": "y = W x", "shapes": {"x": "n", "W": "m x n"}}},
        "questions": [{"id": "a", "statement": "s", "derive": [
            {"what": "shape", "of": "y"}]}]})
    assert ds.problem_set().answer("a").latex == r"\[ y \in \mathbb{R}^{m} \]"
    assert read_set(HW1).models["regression"].shapes["W^{(1)}"] == "m x n"


# derive and check --model on models in files -----------------------------------------------
CASES = [("gru.tex", "h[t]", "h[t-1]"), ("gru.tex", "h[t]", "U_z"),
         ("lstm.tex", "c[t]", "c[t-1]"), ("lstm.tex", "h[t]", "h[t-1]"),
         ("attention.tex", "Y", "W_v"), ("attention.tex", "Y", "X")]


def api_model(file):
    src = read_model_file(str(MODELS / file))
    return sg.Model.from_latex(src.equations, src.shapes, name=src.name)


@pytest.mark.parametrize("file, of, wrt", CASES)
def test_derive_prints_what_the_api_derives(file, of, wrt, capsys):
    q = api_model(file).jacobian(of, wrt)
    assert main(["derive", str(MODELS / file), "--of", of, "--wrt", wrt, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["latex"] == q.latex() and data["kind"] == "jacobian"
    assert data["shape"] == [str(d) for d in q.shape]
    if q.matrix is not None:
        assert main(["derive", str(MODELS / file), "--of", of, "--wrt", wrt, "--form",
                     "matrix", "--index-base", "0"]) == 0
        assert capsys.readouterr().out.strip() == q.latex("matrix", index_base=0)


def test_derive_steps_and_through_time(capsys):
    assert main(["derive", str(MODELS / "gru.tex"), "--of", "h[t]", "--wrt", "h[t-1]",
                 "--steps"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == r"\text{model:}" and out[1].startswith("z[t] = ")
    assert r"\frac{\partial h[t]_{i}}{\partial z[t]_{j}} = \left(h[t-1]_{i} - " \
           r"\tilde{h}[t]_{i}\right) \delta_{ij}" in out
    assert out[-1] == api_model("gru.tex").jacobian("h[t]", "h[t-1]").latex()
    assert main(["derive", str(MODELS / "gru.tex"), "--wrt", "U_z", "--time-steps", "4"]) == 0
    grad = api_model("gru.tex").grad("U_z", steps=4)
    assert capsys.readouterr().out.strip() == grad.latex()


def test_derive_reads_standard_input():
    text = "% shapes: x: n, W: m x n\nz = W x \\\\ a = \\tanh(z)\n"
    r = subprocess.run([sys.executable, "-m", "symgrad", "derive", "-", "--of", "a", "--wrt",
                        "x", "--form", "matrix"], input=text, capture_output=True, text=True,
                       timeout=300, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == (r"\frac{\partial a}{\partial x} = \operatorname{diag}\left(1 - "
                                r"a \odot a\right) W") or "diag" in r.stdout


@pytest.mark.parametrize("args, words", [
    (["derive", "nope.tex", "--wrt", "x"], "cannot read the model nope.tex"),
    (["derive", str(MODELS / "gru.tex"), "--of", "h[t]"], "--wrt is missing"),
    (["derive", str(MODELS / "gru.tex"), "--of", "h[t]", "--wrt", "q"], "no tensor 'q'"),
    (["derive", str(MODELS / "attention.tex"), "--of", "Y", "--wrt", "X", "--form",
      "matrix"], "has no matrix form; use --form index"),
])
def test_derive_errors_are_one_line(args, words, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and words in err, err


def test_model_file_without_shapes(tmp_path, capsys):
    path = tmp_path / "m.tex"
    path.write_text("y = W x\n")
    assert main(["derive", str(path), "--wrt", "x"]) == 2
    assert "declares no shapes; add a line such as '% shapes:" in capsys.readouterr().err


@pytest.mark.parametrize("file, of, wrt", CASES[:4])
def test_check_model_agrees_with_quantity_check(file, of, wrt, capsys):
    q = api_model(file).jacobian(of, wrt)
    right = q.latex("matrix") if q.matrix is not None else q.latex()
    wrong = right.replace(" = ", " = 2 ", 1)
    for claim, code in ((right, 0), (wrong, 1)):
        assert q.check(claim).verdict == ("correct" if code == 0 else "incorrect")
        assert main(["check", "--model", str(MODELS / file), "--of", of, "--wrt", wrt,
                     "--latex", claim, "--json"]) == code
        assert json.loads(capsys.readouterr().out)["verdict"] == q.check(claim).verdict


def test_hw1_answers_paste_into_a_plain_article(tmp_path, files):
    """Each hw1 answer \\input into a plain article after \\input{preamble.tex}: it compiles
    with no overfull box over 1pt (the expanded losses are broken into lines)."""
    if shutil.which("pdflatex") is None:
        if os.environ.get("SYMGRAD_REQUIRE_LATEX") == "1":
            pytest.fail("pdflatex is required (SYMGRAD_REQUIRE_LATEX=1) but not installed")
        pytest.skip("pdflatex is not installed")
    from symgrad.render.output import build_pdf, write_outputs

    write_outputs(tmp_path, files)
    tex = tmp_path / "paste.tex"
    tex.write_text("\\documentclass{article}\n\\input{preamble.tex}\n\\begin{document}\n"
                   + "".join(f"\\input{{answer-{q.replace('.', '_')}}}\n" for q in IDS)
                   + "\\end{document}\n")
    pdf = build_pdf(tex, require=True)
    assert pdf.warnings == [], pdf.warnings


def test_a_data_set_states_its_given_formulas(tmp_path):
    from symgrad.problems.dataset import load_set

    text = (ROOT / "symgrad" / "problems" / "sets" / "hw1.toml").read_text()
    assert "z_2 = f(z_1)" in load_set(ROOT / "symgrad" / "problems" / "sets" / "hw1.toml"
                                      ).given["1"]
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace('[given]\n"1" = [', '[given]\n"1" = 3\n"9" = ['))
    with pytest.raises(sg.SymgradError, match="given.1: must be a list of LaTeX strings"):
        load_set(bad)
