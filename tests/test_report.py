"""The HTML pages of a class review (symgrad/render/html.py): MathML from latex2mathml, user
text escaped, nothing loaded from elsewhere, claims in the order written."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from symgrad.render import html as pages


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, list]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))


def _no_active_content(text: str) -> None:
    """As a browser parses it: no script element, no event handler, no link or source that
    runs code or reaches the network."""
    parser = _Tags()
    parser.feed(text)
    assert parser.tags
    for tag, attrs in parser.tags:
        assert tag not in ("script", "iframe", "object", "embed", "img", "link"), tag
        for key, value in attrs:
            assert not key.startswith("on"), (tag, key)
            if key in ("href", "src", "action"):
                assert not re.match(r"\s*(javascript|data|https?:|//)", value or "", re.I)


def test_formula_is_mathml():
    out = pages.math_html(r"\frac{\partial h[t]}{\partial W_x} \in \mathbb{R}^{m \times n}")
    assert out.count("<math") == 1 and "<mfrac>" in out and "<msup>" in out
    assert 'xmlns="http://www.w3.org/1998/Math/MathML"' in out


def test_hostile_latex_is_text_never_markup():
    for latex in (r"\href{javascript:alert(1)}{x}", r"\text{<script>alert(1)</script>}",
                  r"\text{<img src=x onerror=alert(1)>}", "<script>alert(1)</script>",
                  r"x \\ \text{</math><script>alert(1)</script>}"):
        out = pages.math_html(latex)
        _no_active_content(out)
    # latex2mathml puts href on an mrow: the attribute is dropped, the formula kept
    out = pages.math_html(r"\href{javascript:alert(1)}{x}")
    assert "<mi>x</mi>" in out and "href" not in out.split("title=")[0]
    # raw HTML in \text cannot become MathML: shown as the escaped LaTeX
    out = pages.math_html(r"\text{<b>bold</b>}")
    assert out.startswith("<code") and "&lt;b&gt;bold&lt;/b&gt;" in out


def test_unconvertible_formula_shows_the_escaped_latex():
    out = pages.math_html("x^{" * 3000)
    assert out.startswith('<code class="latex">')


def _record(name="alice.tex", claims=None, error=None):
    claims = claims if claims is not None else [
        {"question": "1.1.c.i", "latex": r"f_W(x) \in \mathbb{R}^{1 \times 3}",
         "verdict": "correct", "explanation": "right", "hint": None, "counterexample": None,
         "notes": [], "line": 9, "cell": None, "mistake": None},
        {"question": "1.1.a", "latex": r"5 \times 3 <script>", "verdict": "incorrect",
         "explanation": "3 should be 2 <b>", "hint": None, "line": 3, "cell": None,
         "counterexample": {"claimed": "5 x 3", "true": "1 x 5 x 2"}, "notes": ["n<1>"],
         "mistake": "shape: 5 x 3 instead of 1 x 5 x 2"}]
    return {"name": name, "file": f"c/{name}", "error": error, "problem_set": "hw2",
            "problem_set_why": "", "summary": None if error else {
                "claims": 2, "correct": 1, "incorrect": 1, "layout": 0, "unparsed": 0,
                "unplaced": 1},
            "questions": {} if error else {
                "1.1.a": {"status": "wrong", "claims": 1, "correct": 0, "score": 0,
                          "points": 1},
                "1.1.c.i": {"status": "right", "claims": 1, "correct": 1, "score": 1,
                            "points": 1}},
            "claims": [] if error else claims,
            "unplaced": [] if error else [{"question": "", "latex": "y = <i>", "line": 5,
                                            "cell": None, "reason": "no question <here>"}],
            "score": 1, "max_score": 2}


def test_writeup_page_lists_claims_in_the_order_written_escaped():
    page = pages.writeup_page(_record())
    _no_active_content(page)
    rows = re.findall(r'<tr class="claim"><td class="n">(\d+)</td>', page)
    assert rows == ["3", "5", "9"]                           # by line, not-placed included
    assert "3 should be 2 &lt;b&gt;" in page and "note: n&lt;1&gt;" in page
    assert "<b>claimed</b>: 5 x 3" in page and "no question &lt;here&gt;" in page
    assert 'http-equiv="Content-Security-Policy"' in page and "default-src 'none'" in page
    assert page.count("<math") == 3              # the two claims' formulas, the not placed
    err = pages.writeup_page(_record("bad.pdf", error="bad.pdf is a PDF <x>"))
    assert "could not be reviewed: bad.pdf is a PDF &lt;x&gt;" in err


def test_class_page_counts_and_groups():
    summary = {"writeups": [_record(), _record("x<y>.tex", error="boom")],
               "problem_sets": [{"name": "hw2", "title": "T", "students": 1, "questions": [
                   {"id": "1.1.a", "statement": "size <4x5>", "points": 1, "right": 0,
                    "wrong": 1, "not_judged": 0, "no_answer": 0, "groups": [
                        {"reason": "shape: 5 x 3", "count": 1, "students": ["alice.tex"],
                         "example": {"writeup": "alice.tex", "latex": r"5 \times 3",
                                     "verdict": "incorrect", "explanation": "e",
                                     "counterexample": {"claimed": "5 x 3"}, "line": 3}}]}]}]}
    page = pages.class_page(summary, {"alice.tex": "alice.tex.html",
                                      "x<y>.tex": "x_y_.tex.html"})
    _no_active_content(page)
    row = re.search(r'<tr id="row-q-hw2-1.1.a".*?</tr>', page).group(0)
    assert re.findall(r'class="n [a-z-]+">(\d+)<', row) == ["0", "1", "0", "0"]
    assert "1 student(s): shape: 5 x 3" in page and 'href="alice.tex.html"' in page
    assert "size &lt;4x5&gt;" in page and "x&lt;y&gt;.tex" in page and "error: boom" in page


def test_page_names_are_safe_and_unique():
    taken = {"index.html"}
    assert pages.page_name("carol/hw2.tex", taken) == "carol_hw2.tex.html"
    assert pages.page_name("carol hw2.tex", taken) == "carol_hw2.tex-2.html"
    assert pages.page_name("../../etc/passwd", taken) == "etc_passwd.html"
    assert pages.page_name("index", taken) == "writeup-index.html"
