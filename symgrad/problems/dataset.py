r"""Problem sets written as data: one TOML file, read into a ProblemSet.

The schema (every key is checked; unknown keys are errors, so typos do not pass):

    name = "mlp"                      # required: letters, digits, - and _; names <name>.tex
    title = "Backpropagation ..."     # required: the document's title (LaTeX)
    intro = '''...'''                 # optional: LaTeX before the first question

    [models.regression]               # one table per model; the key names it
    title = "ReLU, identity, MSE"     # optional: how answers refer to the model
    equations = '''
    z_1 = W^{(1)} x + b^{(1)} \\ ...
    '''                               # required: what Model.from_latex reads
    shapes = { x = "n", "W^{(1)}" = "m x n" }   # or "x: n, W^{(1)}: m x n"
    index_base = 1                    # optional: base of index notation in the equations

    [[questions]]
    id = "1.2.c"                      # required, unique (matched case-insensitively)
    statement = "..."                 # required: the question, short, plain text
    statement_tex = '...'             # optional: the statement typeset in the write-up
    model = "regression"              # optional: default the first model
    compare = "regression"            # optional: say for each result whether it changed
    prose = '''...'''                 # optional: LaTeX before the results
    after = '''...'''                 # optional: LaTeX after the results
    derive = [                        # what the engine derives, in order
      { what = "gradient", wrt = "W^{(1)}" },
      { what = "jacobian", of = "z_2", wrt = "z_1", form = "both" },
    ]

Kinds (``what``): ``shape`` (of a tensor, or of d of/d wrt), ``value`` (a definition;
``expand = true`` writes it in the model's inputs only), ``jacobian`` (of, wrt),
``gradient`` (wrt; ``of`` defaults to the model's last definition; ``steps`` and
``given`` for a recurrent model), ``system`` (every equation of the model; ``expand``).
Item options: ``model``, ``form`` (index, matrix or both), ``text`` (LaTeX before it),
``simplify`` (a rational simplification of the closed form).

LaTeX belongs in literal strings ('...' or '''...'''): in "..." TOML reads \t, \f, \b,
\n, \r as escapes, which turns ``\times`` into a tab; symgrad refuses such strings.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import sympy as sp

from ..core.errors import SymgradError, UnknownNameError
from ..core.model import Model
from ..core.quantity import Quantity, latex_dims
from .base import Answer, ProblemSet, Question, fitted
from .modelfile import ModelSource, build_model, shapes_from

__all__ = ["KINDS", "DataSet", "load_set", "read_set"]

KINDS = ("shape", "value", "jacobian", "gradient", "system")
FORMS = ("index", "matrix", "both")
_TOP = {"name", "title", "intro", "models", "questions", "given", "aliases"}
_MODEL = {"title", "equations", "shapes", "index_base"}
_QUESTION = {"id", "statement", "statement_tex", "title", "model", "compare", "prose", "after",
             "derive", "given"}
_ITEM = {"what", "of", "wrt", "model", "form", "text", "expand", "steps", "given", "simplify"}
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
_ESCAPES = {chr(9): r"\t", chr(12): r"\f", chr(8): r"\b", chr(13): r"\r"}
MAX_SET_BYTES = 1_000_000


def _fail(where: str, message: str) -> SymgradError:
    return SymgradError(f"{where}: {message}")


def _keys(table: Mapping, allowed: set, where: str) -> None:
    extra = sorted(set(table) - allowed)
    if extra:
        raise _fail(where, f"unknown key {extra[0]!r}; the keys are "
                           f"{', '.join(sorted(allowed))}")


def _text(table: Mapping, key: str, where: str, required: bool = False) -> str:
    value = table.get(key)
    if value is None:
        if required:
            raise _fail(where, f"{key} is missing; add {key} = '...'")
        return ""
    if not isinstance(value, str):
        raise _fail(where, f"{key} must be a string, not {type(value).__name__}")
    for ch, esc in _ESCAPES.items():
        if ch in value:
            raise _fail(where, f"{key} contains the escape {esc} (TOML read a LaTeX command "
                               f"such as \\times in a \"...\" string); write LaTeX in "
                               f"'...' or '''...''' literal strings")
    return value


@dataclass
class Item:
    """One result a question derives."""

    what: str
    model: str
    of: str = ""
    wrt: str = ""
    form: str = "both"
    text: str = ""
    expand: bool = False
    steps: int | str | None = None
    given: str = "total"
    simplify: bool = False
    where: str = ""


@dataclass
class DataQuestion:
    id: str
    statement: str
    title: str
    model: str
    compare: str
    prose: str
    after: str
    items: list[Item] = field(default_factory=list)
    statement_tex: str = ""
    given: tuple[str, ...] = ()  # formulas the question states (review: "restated")


@dataclass
class DataSet:
    """A problem set read from a file, before the engine derives anything."""

    name: str
    title: str
    intro: str
    models: dict[str, ModelSource]
    model_titles: dict[str, str]
    questions: list[DataQuestion]
    path: str = ""
    #: formulas the statement gives, by question or section id (``[given]`` in the file)
    given: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: another numbering of the same questions (``[aliases]``: "1.2.1" = "1.2")
    aliases: dict[str, str] = field(default_factory=dict)
    _built: dict[str, Model] = field(default_factory=dict, repr=False)

    def model(self, key: str) -> Model:
        if key not in self._built:
            self._built[key] = build_model(self.models[key])
        return self._built[key]

    def problem_set(self) -> ProblemSet:
        return _problem_set(self)


def read_set(path: str | Path) -> DataSet:
    """Read and validate a problem-set file (no derivation yet)."""
    p = Path(path)
    where = str(path)
    try:
        data = p.read_bytes()
    except OSError as e:
        raise SymgradError(f"cannot read the problem set {where}: {e.strerror}; pass the "
                           f"path of a .toml file") from None
    if len(data) > MAX_SET_BYTES:
        raise _fail(where, f"over {MAX_SET_BYTES} bytes; a problem set is a short text file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise _fail(where, f"not valid UTF-8 (byte {e.start}); save it as UTF-8") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise _fail(where, f"invalid TOML: {str(e).splitlines()[0]}; LaTeX goes in '...' "
                           f"or '''...''' strings") from None
    return parse_set(raw, where)


def parse_set(raw: Mapping, where: str = "the problem set") -> DataSet:
    """Validate the parsed TOML of a problem set."""
    _keys(raw, _TOP, where)
    name = _text(raw, "name", where, required=True)
    if not _NAME.fullmatch(name):
        raise _fail(where, f"name {name!r} must be letters, digits, - and _ (it names the "
                           f"output file), e.g. name = \"mlp\"")
    title = _text(raw, "title", where, required=True)
    intro = _text(raw, "intro", where)
    models_raw = raw.get("models")
    if not isinstance(models_raw, Mapping) or not models_raw:
        raise _fail(where, "no models; add a [models.NAME] table with equations and shapes")
    models: dict[str, ModelSource] = {}
    titles: dict[str, str] = {}
    for key, table in models_raw.items():
        at = f"{where}, models.{key}"
        if not isinstance(table, Mapping):
            raise _fail(at, "must be a table with equations and shapes")
        _keys(table, _MODEL, at)
        equations = _text(table, "equations", at, required=True)
        if "shapes" not in table:
            raise _fail(at, "shapes is missing; add shapes = { x = \"n\", W = \"m x n\" }")
        shapes = shapes_from(table["shapes"], f"{at}.shapes")
        base = table.get("index_base", 1)
        if base not in (0, 1) or isinstance(base, bool):
            raise _fail(at, f"index_base must be 0 or 1, not {base!r}")
        models[key] = ModelSource(equations, shapes, key, base, at)
        titles[key] = _text(table, "title", at) or key
    qs_raw = raw.get("questions")
    if not isinstance(qs_raw, list) or not qs_raw:
        raise _fail(where, "no questions; add [[questions]] tables with id and statement")
    questions: list[DataQuestion] = []
    seen: set[str] = set()
    first = next(iter(models))
    for n, table in enumerate(qs_raw, 1):
        at = f"{where}, question {n}"
        if not isinstance(table, Mapping):
            raise _fail(at, "must be a table ([[questions]])")
        _keys(table, _QUESTION, at)
        qid = _text(table, "id", at, required=True).strip()
        at = f"{where}, question {qid}"
        if not qid or any(c.isspace() for c in qid):
            raise _fail(at, "an id is one word such as 1.2.c")
        if qid.lower() in seen:
            raise _fail(at, "this id is used twice; ids must be unique")
        seen.add(qid.lower())
        model = _model_key(table.get("model", first), models, at, "model")
        compare = table.get("compare")
        compare = _model_key(compare, models, at, "compare") if compare is not None else ""
        derive = table.get("derive", [])
        if not isinstance(derive, list):
            raise _fail(at, "derive must be a list of tables, e.g. derive = [{ what = "
                            "\"jacobian\", of = \"z_2\", wrt = \"z_1\" }]")
        statement = _text(table, "statement", at, required=True)
        bad = sorted({c for c in statement if c in "\\^{}$#~"})
        if bad:
            raise _fail(at, f"the statement is plain text (it is printed as written); "
                            f"{' '.join(bad)} would be LaTeX: write e.g. dl/dW(1) here and "
                            f"the LaTeX in prose")
        q = DataQuestion(qid, statement,
                         _text(table, "title", at), model, compare, _text(table, "prose", at),
                         _text(table, "after", at))
        q.statement_tex = _text(table, "statement_tex", at).strip()
        given = table.get("given", [])
        if not isinstance(given, list) or not all(isinstance(g, str) for g in given):
            raise _fail(at, "given must be a list of LaTeX strings, e.g. given = ['x \\in "
                            "\\mathbb{R}^n']")
        q.given = tuple(given)
        for k, item in enumerate(derive, 1):
            q.items.append(_item(item, models, model, f"{at}, derive {k}"))
        if not q.items and not q.prose and not q.after:
            raise _fail(at, "derives nothing and has no prose; add derive = [...] or prose")
        questions.append(q)
    aliases = raw.get("aliases", {})
    if not isinstance(aliases, Mapping) or not all(isinstance(v, str) for v in aliases.values()):
        raise _fail(f"{where}, aliases", "must be a table of ids, e.g. [aliases] \"1.2.1\" = "
                                         "\"1.2\" (another numbering -> this set's)")
    return DataSet(name, title, intro, models, titles, questions, where,
                   _given(raw.get("given", {}), where), dict(aliases))


def _given(table: object, where: str) -> dict[str, tuple[str, ...]]:
    """``[given]``: section or question id -> the formulas its statement gives."""
    at = f"{where}, given"
    if not isinstance(table, Mapping):
        raise _fail(at, "must be a table of lists, e.g. [given] \"1.2\" = ['z_1 = W x']")
    out = {}
    for key, formulas in table.items():
        if not isinstance(formulas, list) or not all(isinstance(f, str) for f in formulas):
            raise _fail(f"{at}.{key}", "must be a list of LaTeX strings")
        out[str(key).lower()] = tuple(formulas)
    return out


def _model_key(value: object, models: Mapping, where: str, key: str) -> str:
    if not isinstance(value, str) or value not in models:
        raise _fail(where, f"{key} = {value!r} is not a model of this set; models: "
                           f"{', '.join(models)}")
    return value


def _item(table: object, models: Mapping, model: str, at: str) -> Item:
    if not isinstance(table, Mapping):
        raise _fail(at, "must be a table such as { what = \"gradient\", wrt = \"W\" }")
    _keys(table, _ITEM, at)
    what = table.get("what")
    if what not in KINDS:
        raise _fail(at, f"what = {what!r}; it must be one of {', '.join(KINDS)}")
    item = Item(what, _model_key(table.get("model", model), models, at, "model"), where=at)
    for key in ("of", "wrt", "text"):
        setattr(item, key, _text(table, key, at))
    form = table.get("form", "both")
    if form not in FORMS:
        raise _fail(at, f"form = {form!r}; it must be one of {', '.join(FORMS)}")
    item.form = form
    for key in ("expand", "simplify"):
        value = table.get(key, False)
        if not isinstance(value, bool):
            raise _fail(at, f"{key} must be true or false, not {value!r}")
        setattr(item, key, value)
    steps = table.get("steps")
    if steps is not None and not (isinstance(steps, str) and _NAME.fullmatch(steps)
                                  or isinstance(steps, int) and not isinstance(steps, bool)
                                  and steps >= 1):
        raise _fail(at, f"steps must be a positive integer or a size name, not {steps!r}")
    item.steps = steps
    given = table.get("given", "total")
    if given not in ("total", "direct"):
        raise _fail(at, f"given must be 'total' or 'direct', not {given!r}")
    item.given = given
    need = {"shape": ("of",), "value": ("of",), "jacobian": ("of", "wrt"),
            "gradient": ("wrt",), "system": ()}[what]
    for key in need:
        if not getattr(item, key):
            raise _fail(at, f"a {what} needs {key} = '...' (a tensor as the equations "
                            f"write it)")
    return item


# deriving ---------------------------------------------------------------------------------
@dataclass
class Result:
    """One derived item: its LaTeX lines and the quantity behind it (if any)."""

    lines: list[str]
    quantity: Quantity | None = None
    key: tuple[str, str | None] | None = None


def _display(lines: list[str]) -> str:
    if len(lines) == 1:
        return r"\[ " + lines[0] + r" \]"
    return r"\[ \begin{gathered} " + r" \\ ".join(lines) + r" \end{gathered} \]"


def _resolve(model: Model, name: str, at: str) -> str:
    try:
        return model.resolve(name)
    except UnknownNameError as e:
        raise _fail(at, str(e).splitlines()[0]) from None


def _expanded(model: Model, expr: sp.Expr) -> sp.Expr:
    """``expr`` with every defined tensor replaced by its definition, recursively."""
    for _ in range(len(model.definitions) + 1):
        hits = {a: model.definitions[str(a.base.label)].at(a.indices)
                for a in expr.atoms(sp.Indexed) if str(a.base.label) in model.definitions}
        scalars = {s: model.definitions[s.name].expr for s in expr.free_symbols
                   if s.name in model.definitions and not s.is_integer
                   and not model.definitions[s.name].indices}
        if not hits and not scalars:
            break
        expr = expr.xreplace({**hits, **scalars})
    return _rename_dummies(model, expr)


def _rename_dummies(model: Model, expr: sp.Expr) -> sp.Expr:
    """Summation indices of an expansion renamed k, p, q, ... in the order they appear
    (the definitions' own dummies are numbered, e.g. q_3)."""
    taken = set(model.tensors) | {s.name for s in expr.free_symbols}
    taken |= {s.name for t in model.tensors.values() for d in t.shape
              for s in d.free_symbols}
    pool = [c for c in "kpqrsuvabcdefgh" if c not in taken]
    dummies: list[sp.Symbol] = []
    for node in sp.preorder_traversal(expr):
        if isinstance(node, sp.Sum):
            dummies += [lim[0] for lim in node.limits if lim[0] not in dummies]
    if len(dummies) > len(pool):
        return expr
    return expr.xreplace({d: sp.Symbol(pool[k], integer=True)
                          for k, d in enumerate(dummies)})


def value_quantity(model: Model, name: str, expand: bool = False) -> Quantity:
    """The definition of ``name`` as a Quantity (ReLU kept as ReLU for printing), its
    intermediates written out when ``expand``."""
    d = model.definitions.get(name)
    t = model.tensor(name)
    if d is None:
        raise UnknownNameError(f"{t.latex} is an input of {model.name}, not defined by it")
    expr = _expanded(model, d.expr) if expand else _rename_dummies(model, d.expr)
    reads = model.needed({name})
    inputs = tuple(model.tensors[n] for n in model.tensors
                   if n in reads and n not in model.definitions)
    sizes = sorted({s for x in model.tensors.values() for dim in x.shape
                    for s in dim.free_symbols}, key=str)
    return Quantity(t.latex, expr, d.indices, t.shape, tensors=model.tensors, inputs=inputs,
                    lhs=(t, None), prepare=lambda a, s: model.forward(a, s, reads),
                    structure=f"definition of {t.latex}", size_names=tuple(sizes))


def _simplified(q: Quantity) -> Quantity:
    """The same quantity with its element simplified (rational functions cancelled)."""
    element = sp.factor_terms(sp.factor(sp.cancel(sp.together(q.element))))
    if element == q.element or sp.count_ops(element) >= sp.count_ops(q.element):
        return q
    return Quantity(q.name, element, q.indices, q._shape, tensors=q.tensors,
                    inputs=tuple(q.inputs.values()), lhs=q.lhs, prepare=q.prepare,
                    layout=q.layout, structure=q.structure, sizes=q.sizes,
                    size_names=q.size_names)


_DOUBLE_SUP = re.compile(r"(?<![{\\\w])([A-Za-z]+\^\{[^{}]*\})\^")


def _braced(latex: str) -> str:
    r"""``W^{(2)}^{\top}`` (a double superscript, a LaTeX error) as ``{W^{(2)}}^{\top}``."""
    return _DOUBLE_SUP.sub(r"{\1}^", latex)


def _forms(q: Quantity, form: str, base: int, shape: bool = True) -> list[str]:
    lines = [q.shape_latex()] if shape else []
    matrix = q.matrix is not None and form in ("matrix", "both")
    if form in ("index", "both") or not matrix:
        lines.append(q.latex("index", index_base=base))
    if matrix:
        lines.append(q.latex("matrix", index_base=base))
    return [_braced(line) for line in lines]


def _loss_name(model: Model, of: str, at: str) -> str:
    if of:
        return _resolve(model, of, at)
    if not model.definitions:
        raise _fail(at, f"{model.name} defines nothing to differentiate")
    return list(model.definitions)[-1]


def derive_item(model: Model, item: Item, base: int) -> Result:
    """The LaTeX (and quantity) of one item on one model."""
    at = item.where
    try:
        if item.what == "system":
            lines = []
            for name in model.definitions:
                q = value_quantity(model, name, item.expand)
                lines.extend(_forms(q, item.form, base, shape=False)
                             if item.form != "both" else _forms(q, "matrix", base, False))
            return Result(lines)
        if item.what in ("shape", "value") and not item.wrt:
            name = _resolve(model, item.of, at)
            if item.what == "shape":
                t = model.tensor(name)
                return Result([r"%s \in \mathbb{R}^{%s}" % (t.latex, latex_dims(t.shape))],
                              key=(name, None))
            q = value_quantity(model, name, item.expand)
            q = _simplified(q) if item.simplify else q
            return Result(_forms(q, item.form, base), q, (name, None))
        if item.what == "gradient":
            of = _loss_name(model, item.of, at)
            wrt = _resolve(model, item.wrt, at)
            steps = item.steps
            if isinstance(steps, str):
                steps = sp.Symbol(steps, integer=True, positive=True)
            q = model.grad(wrt, steps=steps, given=item.given, of=of)
            key = ("loss" if not model.tensors[of].shape else of, wrt)
        else:
            of, wrt = _resolve(model, item.of, at), _resolve(model, item.wrt, at)
            q = model.jacobian(item.of, item.wrt)
            key = (of, wrt)
        q = _simplified(q) if item.simplify else q
        if item.what == "shape":
            return Result([q.shape_latex()], q, key)
        return Result(_forms(q, item.form, base), q, key)
    except SymgradError as e:
        message = str(e).splitlines()[0] if str(e) else type(e).__name__
        if message.startswith(at):
            raise
        raise _fail(at, message) from None


def _answer(ds: DataSet, q: DataQuestion, base: int) -> Answer:
    parts = [q.prose.strip()] if q.prose.strip() else []
    quantities: dict[str, Quantity] = {}
    first: Quantity | None = None
    for item in q.items:
        res = derive_item(ds.model(item.model), item, base)
        if item.text.strip():
            parts.append(item.text.strip())
        parts.append(_display(res.lines))
        if q.compare and q.compare != item.model:
            other = derive_item(ds.model(q.compare), item, base)
            label = ds.model_titles[q.compare]
            if other.lines == res.lines:
                parts.append(r"\emph{Unchanged from %s.}" % label)
            else:
                parts.append(r"\emph{Changed; with %s it was}" % label)
                parts.append(_display(other.lines))
        if res.quantity is not None:
            quantities[res.quantity.name] = res.quantity
            first = first or res.quantity
    if q.after.strip():
        parts.append(q.after.strip())
    return fitted(Answer(q.id, q.title or q.statement, "\n".join(parts), quantity=first,
                         quantities=quantities))


def _problem_set(ds: DataSet) -> ProblemSet:
    from .context import model_context

    pset = ProblemSet(ds.name, ds.title, intro=ds.intro, source=ds.path, given=dict(ds.given),
                      aliases=dict(ds.aliases))
    for q in ds.questions:
        def build(index_base: int = 1, q=q) -> Answer:
            return _answer(ds, q, index_base)

        def context(q=q):
            return _context(ds, q, model_context)

        pset.questions[q.id.lower()] = Question(q.id, q.statement, build, context,
                                                q.statement_tex)
        if q.given:
            pset.given[q.id.lower()] = q.given
    return pset


def _context(ds: DataSet, q: DataQuestion, make: Callable):
    """The checker context of a question: its model, every tensor and derivative of it,
    the question's first result as the default subject."""
    key, quantity, model = None, None, ds.model(q.model)
    for item in q.items:
        if item.model != q.model or item.what == "system":
            continue
        res = derive_item(model, item, 1)
        key, quantity = res.key, res.quantity
        break
    if model.lags:  # a recurrent model: checked against the question's first result
        if quantity is None:
            raise SymgradError(f"question {q.id} derives nothing on its recurrent model "
                               f"{q.model}, so there is nothing to check a claim against")
        from ..verify import quantity_context

        return quantity_context(quantity)
    return make(model, q.id, q.statement, key)


def load_set(path: str | Path) -> ProblemSet:
    """A ProblemSet from a problem-set file."""
    return read_set(path).problem_set()
