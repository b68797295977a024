"""HTML pages of a class review: ``index.html`` for the class and one page per write-up.

The pages are built from plain data (the JSON records of :mod:`symgrad.verify.grading`),
load nothing from elsewhere (the style is inline, a Content-Security-Policy forbids every
script), and show every piece of user text escaped. Mathematics is MathML from
``latex2mathml``, which browsers render natively; its output is parsed and rebuilt from an
allowlist of MathML elements and attributes (``latex2mathml`` passes ``\\text{<b>..}`` and
``\\href{javascript:..}`` through), and a formula it cannot convert safely is shown as its
escaped LaTeX."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence

__all__ = ["class_page", "math_html", "page_name", "writeup_page"]

MATHML_NS = "http://www.w3.org/1998/Math/MathML"

_ELEMENTS = frozenset(
    "math mrow mi mn mo ms mtext mspace mfrac msqrt mroot msub msup msubsup munder mover "
    "munderover mmultiscripts mprescripts none mtable mtr mtd mstyle mpadded mphantom "
    "menclose merror mfenced semantics annotation".split())
_ATTRIBUTES = frozenset(
    "display mathvariant stretchy fence separator form lspace rspace minsize maxsize "
    "symmetric largeop movablelimits accent accentunder columnalign rowalign columnspacing "
    "rowspacing columnlines rowlines frame framespacing equalrows equalcolumns displaystyle "
    "scriptlevel linethickness width height depth notation open close separators mathsize "
    "align columnwidth rowspan columnspan encoding".split())

MAX_MATH_CHARS = 4000

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:1.5em auto;max-width:72em;
padding:0 1em;color:#1b1b1b;line-height:1.4}
h1{font-size:1.5em}h2{font-size:1.25em;margin-top:1.6em}h3{font-size:1.05em;margin-bottom:.3em}
table{border-collapse:collapse;margin:.5em 0}
th,td{border:1px solid #ccc;padding:.25em .5em;vertical-align:top;text-align:left}
th{background:#f2f2f2}td.n{text-align:right;font-variant-numeric:tabular-nums}
.correct,.right{color:#106b21;font-weight:600}.incorrect,.wrong{color:#a3120e;font-weight:600}
.layout{color:#8a5300;font-weight:600}.unparsed,.not-judged,.no-answer{color:#555}
.error{color:#a3120e}code{background:#f6f6f6;padding:0 .2em;white-space:pre-wrap;
word-break:break-word}.small{font-size:.9em;color:#444}
math{font-size:1.1em}li{margin:.3em 0}.group{margin:.6em 0 .9em 0}
"""

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def esc(text) -> str:
    """User text as HTML text (quotes escaped too, so it is safe in attributes)."""
    return html.escape("" if text is None else str(text), quote=True)


def _clean(node: ET.Element) -> ET.Element:
    tag = node.tag.rsplit("}", 1)[-1]
    if tag not in _ELEMENTS:
        raise ValueError(f"element {tag!r} is not MathML this page shows")
    out = ET.Element(tag)
    for key, value in node.attrib.items():
        key = key.rsplit("}", 1)[-1]
        if key in _ATTRIBUTES and not re.search(r"[<>\"'`]|script|url\(", value, re.I):
            out.set(key, value)
    out.text, out.tail = node.text, node.tail
    for child in node:
        out.append(_clean(child))
    return out


def math_html(latex: str, display: bool = False) -> str:
    """A formula as sanitised MathML, or (when it cannot be converted) its escaped LaTeX."""
    latex = latex or ""
    if len(latex) <= MAX_MATH_CHARS and latex.strip():
        try:
            from latex2mathml.converter import convert

            raw = convert(latex, display="block" if display else "inline")
            tree = _clean(ET.fromstring(raw))
            if tree.tag != "math":
                raise ValueError("not a math element")
            tree.set("xmlns", MATHML_NS)
            text = ET.tostring(tree, encoding="unicode", method="html")
            return f'<span class="math" title="{esc(latex)}">{text}</span>'
        except Exception:  # any failure: the LaTeX as text
            pass
    return f'<code class="latex">{esc(latex)}</code>'


def page_name(name: str, taken: set[str]) -> str:
    """A file name for a write-up's page: its relative path with unsafe characters replaced
    (``alice/hw2.tex`` -> ``alice_hw2.tex.html``), numbered when two collide."""
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "writeup"
    if base.lower() == "index":
        base = "writeup-index"
    out, k = f"{base}.html", 2
    while out.lower() in taken:
        out, k = f"{base}-{k}.html", k + 1
    taken.add(out.lower())
    return out


def _page(title: str, body: str) -> str:
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{esc(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
            f"{body}\n</body>\n</html>\n")


def _value(value) -> str:
    if isinstance(value, Mapping):
        return ", ".join(f"{k} = {_value(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return "(" + ", ".join(_value(v) for v in value) + ")"
    return str(value)


def counterexample_html(example) -> str:
    """A counterexample (a mapping of plain values) as an escaped list."""
    if not example:
        return ""
    if not isinstance(example, Mapping):
        return f"<div class=\"small\">counterexample: {esc(_value(example))}</div>"
    parts = "".join(f"<li><b>{esc(k)}</b>: {esc(_value(v))}</li>" for k, v in example.items()
                    if v is not None and v != {} and v != [])
    return f"<div class=\"small\">counterexample:<ul>{parts}</ul></div>" if parts else ""


STATUS_WORDS = {"right": "right", "wrong": "wrong", "not judged": "not judged",
                "no answer": "no answer"}


def _status(status: str) -> str:
    return f'<span class="{esc(status.replace(" ", "-"))}">{esc(status)}</span>'


def class_page(summary: Mapping, pages: Mapping[str, str]) -> str:
    """``index.html``: per problem set and question the counts of students right, wrong and
    not judged, the wrong answers grouped by what is wrong (largest group first, one example
    with its counterexample), then every write-up with a link to its page."""
    writeups: Sequence[Mapping] = summary["writeups"]
    body = [f"<h1>symgrad review of {len(writeups)} write-up(s)</h1>"]
    errors = [w for w in writeups if w.get("error")]
    body.append(f"<p class=\"small\">{len(writeups) - len(errors)} reviewed, {len(errors)} "
                f"could not be reviewed. A student is <b>right</b> on a question when a claim "
                f"there is correct and none is wrong, <b>wrong</b> when a claim is incorrect "
                f"or in another layout, <b>not judged</b> when no claim there could be "
                f"read.</p>")
    for pset in summary["problem_sets"]:
        body.append(f"<h2>Problem set {esc(pset['name'])}: {esc(pset.get('title', ''))} "
                    f"({pset['students']} write-up(s))</h2>")
        rows = ["<table class=\"questions\"><tr><th>question</th><th>right</th><th>wrong</th>"
                "<th>not judged</th><th>no answer</th><th>points</th><th>statement</th></tr>"]
        for q in pset["questions"]:
            anchor = f"q-{esc(pset['name'])}-{esc(q['id'])}"
            rows.append(f"<tr id=\"row-{anchor}\" data-question=\"{esc(q['id'])}\">"
                        f"<td><a href=\"#{anchor}\">{esc(q['id'])}</a></td>"
                        f"<td class=\"n right\">{q['right']}</td>"
                        f"<td class=\"n wrong\">{q['wrong']}</td>"
                        f"<td class=\"n not-judged\">{q['not_judged']}</td>"
                        f"<td class=\"n no-answer\">{q['no_answer']}</td>"
                        f"<td class=\"n\">{esc(_value(q['points']))}</td>"
                        f"<td class=\"small\">{esc(q.get('statement', ''))}</td></tr>")
        rows.append("</table>")
        body.extend(rows)
        for q in pset["questions"]:
            if not q["groups"]:
                continue
            anchor = f"q-{esc(pset['name'])}-{esc(q['id'])}"
            body.append(f"<h3 id=\"{anchor}\">{esc(q['id'])}: {q['wrong']} wrong</h3><ol>")
            for g in q["groups"]:
                ex = g["example"]
                who = ", ".join(f"<a href=\"{esc(pages.get(n, '#'))}\">{esc(n)}</a>"
                                for n in g["students"])
                body.append(
                    f"<li class=\"group\"><b>{g['count']} student(s): {esc(g['reason'])}</b>"
                    f" <span class=\"small\">({who})</span><br>"
                    f"for example {esc(ex['writeup'])}, line {esc(ex['line'])}: "
                    f"{math_html(ex['latex'])}<div class=\"small\">"
                    f"<span class=\"{esc(ex['verdict'])}\">{esc(ex['verdict'])}</span>: "
                    f"{esc(ex['explanation'])}</div>{counterexample_html(ex['counterexample'])}"
                    f"</li>")
            body.append("</ol>")
    body.append("<h2>Write-ups</h2><table class=\"writeups\"><tr><th>write-up</th>"
                "<th>problem set</th><th>correct</th><th>incorrect</th><th>layout</th>"
                "<th>not judged</th><th>score</th></tr>")
    for w in writeups:
        link = f"<a href=\"{esc(pages.get(w['name'], '#'))}\">{esc(w['name'])}</a>"
        if w.get("error"):
            body.append(f"<tr><td>{link}</td><td colspan=\"6\" class=\"error\">error: "
                        f"{esc(w['error'])}</td></tr>")
            continue
        s = w["summary"]
        body.append(f"<tr><td>{link}</td><td>{esc(w.get('problem_set'))}</td>"
                    f"<td class=\"n\">{s['correct']}</td><td class=\"n\">{s['incorrect']}</td>"
                    f"<td class=\"n\">{s['layout']}</td><td class=\"n\">{s['unparsed']}</td>"
                    f"<td class=\"n\">{esc(_value(w.get('score', '')))} / "
                    f"{esc(_value(w.get('max_score', '')))}</td></tr>")
    body.append("</table>")
    return _page("symgrad class review", "\n".join(body))


def writeup_page(record: Mapping, index: str = "index.html") -> str:
    """One write-up: its questions' status, then each claim in the order written with its
    verdict, explanation, counterexample and source line, and what was not placed."""
    name = record["name"]
    body = [f"<p><a href=\"{esc(index)}\">&larr; the class</a></p>",
            f"<h1>{esc(name)}</h1>"]
    if record.get("error"):
        body.append(f"<p class=\"error\">This write-up could not be reviewed: "
                    f"{esc(record['error'])}</p>")
        return _page(f"symgrad review: {name}", "\n".join(body))
    s = record["summary"]
    body.append(f"<p class=\"small\">{esc(record.get('file', ''))}; problem set "
                f"{esc(record.get('problem_set'))} ({esc(record.get('problem_set_why') or '')})"
                f"<br>{s['claims']} claim(s): {s['correct']} correct, {s['incorrect']} "
                f"incorrect, {s['layout']} layout, {s['unparsed']} not judged; "
                f"{s['unplaced']} formula(s) not placed under a question.</p>")
    body.append("<table class=\"status\"><tr><th>question</th><th>status</th><th>claims</th>"
                "<th>correct</th><th>score</th></tr>")
    for qid, q in record["questions"].items():
        body.append(f"<tr data-question=\"{esc(qid)}\"><td>{esc(qid)}</td>"
                    f"<td>{_status(q['status'])}</td><td class=\"n\">{q['claims']}</td>"
                    f"<td class=\"n\">{q['correct']}</td><td class=\"n\">"
                    f"{esc(_value(q.get('score', '')))} / {esc(_value(q.get('points', '')))}"
                    f"</td></tr>")
    body.append("</table><h2>Claims, in the order written</h2>")
    items = [("claim", c) for c in record["claims"]] + \
        [("not placed", u) for u in record.get("unplaced", [])]
    items.sort(key=lambda x: (x[1].get("cell") or 0, x[1].get("line") or 0))
    body.append("<table class=\"claims\"><tr><th>line</th><th>question</th><th>claim</th>"
                "<th>verdict</th><th>why</th></tr>")
    for kind, c in items:
        where = str(c.get("line"))
        if c.get("cell") is not None:
            where = f"cell {c['cell']}, line {c.get('line')}"
        if kind == "claim":
            verdict = c["verdict"]
            why = esc(c.get("explanation"))
            if c.get("hint"):
                why += f"<div class=\"small\">hint: {esc(c['hint'])}</div>"
            why += counterexample_html(c.get("counterexample"))
            why += "".join(f"<div class=\"small\">note: {esc(n)}</div>"
                           for n in c.get("notes") or ())
            shown = verdict if verdict != "unparsed" else "not judged"
        else:
            verdict, shown, why = "unparsed", "not placed", esc(c.get("reason"))
        body.append(f"<tr class=\"claim\"><td class=\"n\">{esc(where)}</td>"
                    f"<td>{esc(c.get('question') or '')}</td><td>{math_html(c['latex'])}</td>"
                    f"<td class=\"{esc(verdict)}\">{esc(shown)}</td><td>{why}</td></tr>")
    body.append("</table>")
    return _page(f"symgrad review: {name}", "\n".join(body))
