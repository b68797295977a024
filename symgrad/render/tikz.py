"""TikZ diagrams of model graphs: one cell, an unrolled RNN, AttentionRNN(k), conv taps.

Every function returns a complete ``tikzpicture`` environment (no preamble) built from
absolute coordinates and fixed formatting, so the text is byte-for-byte deterministic.
Labels are math-mode LaTeX produced by symgrad itself and are inserted verbatim.
"""

from __future__ import annotations

import colorsys
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from symgrad.core.definitions import map_steps
from symgrad.core.errors import LimitError, SymgradError

__all__ = [
    "MAX_NODES",
    "Node",
    "TIKZ_LIBRARIES",
    "attention_cell_diagram",
    "cell_diagram",
    "conv1d_receptive_fields",
    "unrolled_diagram",
]

TIKZ_LIBRARIES: tuple[str, ...] = ("arrows.meta", "positioning", "calc", "fit", "backgrounds")

MAX_NODES = 80
MAX_STEPS = 8
MAX_ATTENTION_K = 6
MAX_CONV_CELLS = 64

_KINDS = ("input", "param", "state", "defined")
_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")

TEXT_WIDTH = 11.5

_STYLES = r"""
  >={Stealth[length=2mm]},
  sgedge/.style={->, thick, rounded corners=4pt},
  sglink/.style={->, semithick, rounded corners=3pt},
  sginput/.style={draw, rectangle, fill=blue!8, minimum height=6mm, inner sep=3pt},
  sgstate/.style={draw, rectangle, fill=orange!15, minimum height=6mm, inner sep=3pt},
  sgparam/.style={draw, rectangle, fill=gray!15, font=\footnotesize, inner sep=2pt},
  sgdef/.style={draw, rounded corners=3mm, fill=green!8, align=center, inner sep=3pt,
    minimum width=9mm, minimum height=8mm},
  sgsmall/.style={draw, rounded corners=2mm, fill=green!8, align=center, inner sep=2pt,
    font=\footnotesize, minimum width=7mm, minimum height=6mm},
  sgcell/.style={draw, rounded corners=2mm, fill=gray!4, inner sep=3mm},
  sgshared/.style={draw, dashed, rounded corners=2mm, inner sep=2mm},
  sgop/.style={draw, rectangle, fill=yellow!15, align=center, inner sep=4pt},
  sgcellbox/.style={draw, minimum width=8mm, minimum height=6mm, inner sep=1pt},
  sgpadbox/.style={draw, dashed, minimum width=8mm, minimum height=6mm, inner sep=1pt,
    text=gray},
  sgtap/.style={semithick},
  sglabel/.style={font=\scriptsize, inner sep=1pt},
  sgnote/.style={font=\small, align=center},
  sgtitle/.style={font=\bfseries}
]
"""
_END = "\\end{tikzpicture}\n"


def _fit_scale(width: float) -> float | None:
    """The scale that fits an estimated width (cm) into the text width, None if it fits."""
    return TEXT_WIDTH / width if width > TEXT_WIDTH else None


def _begin(scale: float | None = None) -> str:
    """The opening of a tikzpicture with symgrad's styles, scaled down when too wide."""
    head = "\\begin{tikzpicture}["
    if scale is not None:
        head += f"scale={math.floor(scale * 100) / 100:.2f}, transform shape,"
    return head + _STYLES


@dataclass(frozen=True)
class Node:
    """One named definition of a model graph, with its LaTeX label and operation."""

    name: str
    latex: str
    kind: str
    deps: tuple[str, ...]
    op: str = ""


def _num(value: float) -> str:
    """A coordinate with at most three decimals and no negative zero."""
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _pt(x: float, y: float) -> str:
    return f"({_num(x)},{_num(y)})"


def _tikz_name(name: str, prefix: str = "n") -> str:
    """A TikZ node name for a python name (underscores become hyphens)."""
    return f"{prefix}-{name.replace('_', '-')}"


def _check_label(text: str, what: str) -> None:
    depth = 0
    for ch in text:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth < 0:
            break
    if depth != 0:
        raise SymgradError(f"unbalanced braces in the LaTeX label of {what}: {text!r}")


def _check_int(value: object, what: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SymgradError(f"{what} must be an integer, got {value!r}")
    if value < low:
        raise SymgradError(f"{what} must be at least {low}, got {value}")
    return value


def _check_nodes(nodes: Sequence[Node]) -> dict[str, Node]:
    """Validate a model graph and return it by name, in the given order."""
    if not isinstance(nodes, Sequence) or isinstance(nodes, str):
        raise SymgradError("nodes must be a sequence of Node")
    if not nodes:
        raise SymgradError("a diagram needs at least one node")
    if len(nodes) > MAX_NODES:
        raise LimitError(f"a diagram takes at most {MAX_NODES} nodes, got {len(nodes)}")
    by_name: dict[str, Node] = {}
    for node in nodes:
        if not isinstance(node, Node):
            raise SymgradError(f"expected a Node, got {node!r}")
        if not _NAME_RE.match(node.name):
            raise SymgradError(f"node name {node.name!r} is not a plain identifier")
        if node.name in by_name:
            raise SymgradError(f"node {node.name!r} is defined twice")
        if node.kind not in _KINDS:
            raise SymgradError(
                f"node {node.name!r} has kind {node.kind!r}; expected one of {', '.join(_KINDS)}"
            )
        if node.kind != "defined" and node.deps:
            raise SymgradError(f"{node.kind} node {node.name!r} cannot have dependencies")
        if not node.latex:
            raise SymgradError(f"node {node.name!r} has an empty LaTeX label")
        _check_label(node.latex, repr(node.name))
        _check_label(node.op, f"the operation of {node.name!r}")
        by_name[node.name] = node
    for node in nodes:
        for dep in node.deps:
            if dep not in by_name:
                raise SymgradError(
                    f"node {node.name!r} depends on {dep!r}, which is not a node of the graph"
                )
            if dep == node.name:
                raise SymgradError(f"node {node.name!r} depends on itself")
    return by_name


def _deps(node: Node) -> list[str]:
    """Dependencies without repeats, in their given order."""
    return list(dict.fromkeys(node.deps))


def _depths(by_name: dict[str, Node], inside: set[str]) -> dict[str, int]:
    """Longest-path depth of each defined node counting only dependencies in ``inside``."""
    depth: dict[str, int] = {}
    state: dict[str, int] = {}
    for start in by_name:
        if start in depth:
            continue
        stack = [(start, False)]
        while stack:
            name, done = stack.pop()
            if done:
                ins = [d for d in _deps(by_name[name]) if d in inside]
                if by_name[name].kind == "defined":
                    depth[name] = 1 + max((depth[d] for d in ins), default=0)
                else:
                    depth[name] = 0
                state[name] = 2
                continue
            if state.get(name) == 2:
                continue
            if state.get(name) == 1:
                raise SymgradError(f"the model graph has a cycle through {name!r}")
            state[name] = 1
            stack.append((name, True))
            for dep in reversed(_deps(by_name[name])):
                if state.get(dep) == 1:
                    raise SymgradError(f"the model graph has a cycle through {dep!r}")
                if state.get(dep) != 2:
                    stack.append((dep, False))
    return depth


class _Layout:
    """Layered placement: columns given, long edges split by dummies, rows by barycentres."""

    def __init__(
        self,
        order: list[str],
        edges: list[tuple[str, str]],
        col: dict[str, int],
        pin_first: bool = False,
    ):
        self.col = dict(col)
        ncols = max(self.col[n] for n in order) + 1
        self.layers: list[list[str]] = [[] for _ in range(ncols)]
        for name in order:
            self.layers[self.col[name]].append(name)
        self.preds: dict[str, list[str]] = {n: [] for n in order}
        self.succs: dict[str, list[str]] = {n: [] for n in order}
        self.chains: dict[tuple[str, str], list[str]] = {}
        for u, v in edges:
            chain = [u]
            for c in range(self.col[u] + 1, self.col[v]):
                dummy = f"#{len(self.col)}"
                self.col[dummy] = c
                self.layers[c].append(dummy)
                self.preds[dummy] = []
                self.succs[dummy] = []
                chain.append(dummy)
            chain.append(v)
            for a, b in zip(chain, chain[1:], strict=False):
                self.succs[a].append(b)
                self.preds[b].append(a)
            self.chains[(u, v)] = chain
        self.row: dict[str, float] = {}
        self._index_all()
        for _ in range(4):
            for c in range(1, ncols):
                self._reorder(c, self.preds)
            for c in range(ncols - 2, 0 if pin_first else -1, -1):
                self._reorder(c, self.succs)
        for c in range(1, ncols):
            self._reorder(c, self.preds)

    def _index_all(self) -> None:
        for layer in self.layers:
            self._index(layer)

    def _index(self, layer: list[str]) -> None:
        mid = (len(layer) - 1) / 2
        for i, name in enumerate(layer):
            self.row[name] = i - mid

    def _reorder(self, c: int, nbrs: dict[str, list[str]]) -> None:
        layer = self.layers[c]

        def key(name: str) -> tuple[float, float]:
            near = nbrs[name]
            centre = sum(self.row[m] for m in near) / len(near) if near else self.row[name]
            return (round(centre, 9), self.row[name])

        layer.sort(key=key)
        self._index(layer)

    def place(
        self, widths: dict[str, float], gap: float, rowsep: float, first: float | None = None
    ) -> None:
        """Column centres from estimated node widths; ``first`` is the gap after column 0."""
        self.rowsep = rowsep
        self.half: list[float] = []
        self.colx: list[float] = []
        right = 0.0
        for c, layer in enumerate(self.layers):
            half = max((widths.get(n, 0.0) / 2 for n in layer), default=0.0)
            if c == 0:
                x = 0.0
            else:
                x = right + (gap if first is None or c > 1 else first) + half
            self.half.append(half)
            self.colx.append(x)
            right = x + half

    def xy(self, name: str) -> tuple[float, float]:
        return (self.colx[self.col[name]], -self.row[name] * self.rowsep)

    def dummies(self) -> list[str]:
        return [n for n in self.col if n.startswith("#") and n[1:].isdigit()]

    def path(self, edge: tuple[str, str], names: dict[str, str], x0: float = 0.0) -> str:
        """A TikZ path along an edge; a long edge runs through its dummies' rows."""
        parts = []
        for item in self.chains[edge]:
            if item in names:
                parts.append(f"({names[item]})")
                continue
            c = self.col[item]
            y = -self.row[item] * self.rowsep
            parts.append(_pt(x0 + self.colx[c] - self.half[c], y))
            parts.append(_pt(x0 + self.colx[c] + self.half[c], y))
        return " -- ".join(parts)


_SKIP_CMDS = {
    "left",
    "right",
    "mathrm",
    "operatorname",
    "text",
    "mathbf",
    "mathit",
    "big",
    "Big",
    "displaystyle",
    "scriptsize",
    "footnotesize",
    "small",
    "top",
}
_SPACE_CMDS = {",": 0.3, ";": 0.5, "quad": 2.0, "qquad": 4.0, "!": -0.3, " ": 0.5, ":": 0.4}


def tikz_width(latex: str, char: float) -> float:
    """A generous estimate (cm) of typeset math width, at ``char`` cm per character."""
    total, i, script = 0.0, 0, 0
    while i < len(latex):
        ch = latex[i]
        if ch == "\\":
            m = re.match(r"\\([A-Za-z]+|.)", latex[i:])
            cmd = m.group(1) if m else ""
            i += len(cmd) + 1
            if cmd in _SPACE_CMDS:
                total += _SPACE_CMDS[cmd] * char
            elif cmd == "top":
                total += 0.6 * char
            elif cmd not in _SKIP_CMDS:
                total += (
                    (1.6 if cmd in ("sum", "prod", "odot") else 1.0)
                    * char
                    * (0.7 if script else 1.0)
                )
            if script == 1:
                script = 0
            continue
        if ch in "^_":
            script = 2 if latex[i + 1 : i + 2] == "{" else 1
            i += 1
            continue
        if ch == "{":
            i += 1
            continue
        if ch == "}":
            script = 0 if script == 2 else script
            i += 1
            continue
        if ch != " ":
            total += char * (0.7 if script else 1.0) * (1.4 if ch in "+-=" else 1.0)
            if script == 1:
                script = 0
        i += 1
    return total


def _node_width(node: Node, small: bool = False) -> float:
    """Estimated width (cm) of a node as cell_diagram or unrolled_diagram draws it."""
    main = 0.15 if small or node.kind == "param" else 0.19
    width = tikz_width(node.latex, main)
    if node.kind == "defined" and node.op:
        width = max(width, tikz_width(node.op, 0.14 if small else 0.16))
    return max(width + 0.3, 0.9 if node.kind == "defined" else 0.5)


def _defined_label(node: Node, small: bool = False) -> str:
    size = r"\scriptsize" if small else r"\footnotesize"
    if node.op:
        return f"{{{size}${node.op}$}}\\\\${node.latex}$"
    return f"${node.latex}$"


def _style_for(node: Node) -> str:
    return {"input": "sginput", "param": "sgparam", "state": "sgstate"}.get(node.kind, "sgdef")


def cell_diagram(nodes: Sequence[Node], title: str = "") -> str:
    """A layered left-to-right data-flow diagram of one cell of a model graph."""
    by_name = _check_nodes(nodes)
    depth = _depths(by_name, set(by_name))
    col: dict[str, int] = {}
    consumers: dict[str, list[int]] = {n: [] for n in by_name}
    for node in by_name.values():
        for dep in _deps(node):
            consumers[dep].append(depth[node.name])
    for name, node in by_name.items():
        if node.kind == "param" and consumers[name]:
            col[name] = max(0, min(consumers[name]) - 1)
        else:
            col[name] = depth[name]
    edges = [(d, n.name) for n in by_name.values() for d in _deps(n)]
    layout = _Layout(list(by_name), edges, col)
    layout.place({n: _node_width(node) for n, node in by_name.items()}, 1.2, 1.4)
    names = {n: _tikz_name(n) for n in by_name}
    out = [_begin(_fit_scale(layout.colx[-1] + layout.half[-1] + layout.half[0]))]
    for name, node in by_name.items():
        text = _defined_label(node) if node.kind == "defined" else f"${node.latex}$"
        out.append(
            f"\\node[{_style_for(node)}] ({names[name]}) at {_pt(*layout.xy(name))} {{{text}}};\n"
        )
    for edge in edges:
        out.append(f"\\draw[sgedge] {layout.path(edge, names)};\n")
    if title:
        out.append(
            "\\node[sgtitle, anchor=south] at ($(current bounding box.north)+(0,0.2)$) "
            f"{{{title}}};\n"
        )
    out.append(_END)
    return "".join(out)


def _shift_time(latex: str, offset: int, start: int | None) -> str:
    """Rewrite ``[t]``, ``[t-1]``, ... in a label for the step ``t + offset``."""

    return map_steps(latex, lambda delta: _time(offset + delta, start))


def _time(offset: int, start: int | None) -> str:
    if start is not None:
        return str(start + offset)
    if offset == 0:
        return "t"
    return f"t{offset:+d}"


def unrolled_diagram(
    nodes: Sequence[Node],
    steps: int = 3,
    state: str = "h",
    state_prev: str = "h_prev",
    input: str = "x",
    *,
    start: int | None = None,
) -> str:
    """A recurrent cell unrolled over ``steps`` time steps (t-1, t, t+1 by default).

    With ``start`` the steps are numbered from it; ``start=1`` shows ``h[0] = 0``.
    """
    by_name = _check_nodes(nodes)
    _check_int(steps, "steps", 1)
    if steps > MAX_STEPS:
        raise LimitError(f"an unrolled diagram shows at most {MAX_STEPS} steps, got {steps}")
    if start is not None:
        _check_int(start, "start", 1)
    for name, kind in ((state, "defined"), (state_prev, "state"), (input, "input")):
        if name not in by_name:
            raise SymgradError(f"the cell has no node {name!r} (needed as {kind})")
        if by_name[name].kind != kind:
            raise SymgradError(f"node {name!r} must be {kind}, not {by_name[name].kind}")
    defined = [n for n, node in by_name.items() if node.kind == "defined"]
    externals = [input] + [
        n
        for n, node in by_name.items()
        if node.kind in ("input", "state") and n not in (state_prev, input)
    ]
    params = [n for n, node in by_name.items() if node.kind == "param"]
    ports = {state_prev: "#state"} | {e: f"#in-{e}" for e in externals}
    depth = _depths(by_name, set(defined) | set(ports))
    col = {n: depth[n] for n in defined} | {p: 0 for p in ports.values()}
    edges = []
    for name in defined:
        for dep in _deps(by_name[name]):
            if by_name[dep].kind == "defined":
                edges.append((dep, name))
            elif dep in ports:
                edges.append((ports[dep], name))
    order = [*ports.values(), *defined]
    exit_edges = []
    if col[state] < max(col.values()):
        col["#exit"] = max(col.values()) + 1
        order.append("#exit")
        exit_edges.append((state, "#exit"))
    layout = _Layout(order, edges + exit_edges, col, pin_first=True)
    sinks = [n for n in defined if n != state and not any(n in by_name[m].deps for m in defined)]
    offsets = [i - (0 if start is not None else steps // 2) for i in range(steps)]
    gap = 1.6
    widths = {n: _node_width(by_name[n], small=True) for n in defined}
    layout.place(widths, 0.5, 1.0, first=0.5)
    box = layout.colx[-1] + layout.half[-1] + 0.6
    total = steps * box + (steps + 1) * gap + 1.0
    out = [_begin(_fit_scale(total))]
    for s, offset in enumerate(offsets, start=1):
        pre = f"s{s}"
        names = {n: _tikz_name(n, pre) for n in defined}
        names["#state"] = f"{pre}-port"
        for ext in externals:
            names[ports[ext]] = _tikz_name(ext, f"{pre}-port")
        x0 = (s - 1) * (box + gap)

        def pos(name: str, x0: float = x0) -> tuple[float, float]:
            x, y = layout.xy(name)
            return (x0 + x, y)

        for port in ports.values():
            out.append(f"\\coordinate ({names[port]}) at {_pt(*pos(port))};\n")
            out.append(f"\\fill ({names[port]}) circle (1.3pt);\n")
        for name in defined:
            node = by_name[name]
            shifted = Node(name, _shift_time(node.latex, offset, start), node.kind, (), node.op)
            out.append(
                f"\\node[sgsmall] ({names[name]}) at {_pt(*pos(name))} "
                f"{{{_defined_label(shifted, small=True)}}};\n"
            )
        fit = "".join(f"({names[n]})" for n in [*ports.values(), *defined])
        fit += "".join(_pt(*pos(d)) for d in layout.dummies())
        out.append(
            "\\begin{scope}[on background layer]\n"
            f"\\node[sgcell, fit={{{fit}}}] ({pre}-box) {{}};\n"
            "\\end{scope}\n"
            f"\\node[sglabel, anchor=south west] at ({pre}-box.north west) "
            f"{{step ${_time(offset, start)}$}};\n"
        )
        for edge in edges:
            out.append(f"\\draw[sglink] {layout.path(edge, names, x0)};\n")
        if exit_edges:
            out.append(f"\\coordinate ({pre}-exit) at {_pt(*pos('#exit'))};\n")
        for i, ext in enumerate(externals):
            node = by_name[ext]
            ename = _tikz_name(ext, pre)
            port = names[ports[ext]]
            text = _shift_time(node.latex, offset, start)
            out.append(
                f"\\node[{_style_for(node)}, anchor=north] ({ename}) at "
                f"($({port} |- {pre}-box.south)+({_num(-1.4 * i)},-0.45)$) {{${text}$}};\n"
                f"\\draw[sgedge] ({ename}) {'--' if i == 0 else '|-'} ({port});\n"
            )
        for sink in [state, *sinks]:
            oname = f"{names[sink]}-out"
            text = _shift_time(by_name[sink].latex, offset, start)
            out.append(
                f"\\node[anchor=south, inner sep=2pt] ({oname}) at "
                f"($({names[sink]} |- {pre}-box.north)+(0,0.45)$) {{${text}$}};\n"
                f"\\draw[sgedge] ({names[sink]}) -- ({oname});\n"
            )
    state_latex = by_name[state].latex
    prev = _shift_time(state_latex, offsets[0] - 1, start)
    left = f"${prev} = 0$" if start == 1 else "$\\cdots$"
    arrow_label = "" if start == 1 else f"node[above, sglabel] {{${prev}$}} "
    out.append(
        f"\\node[anchor=east] (s0-h) at ($(s1-port)+(-{_num(gap + 0.3)},0)$) {{{left}}};\n"
        f"\\draw[sgedge] (s0-h) -- {arrow_label}(s1-port);\n"
    )
    for s, offset in enumerate(offsets, start=1):
        label = _shift_time(state_latex, offset, start)
        src = _tikz_name(state, f"s{s}")
        path = f"({src})"
        if exit_edges:
            names = {state: src, "#exit": f"s{s}-exit"}
            path = layout.path(exit_edges[0], names, (s - 1) * (box + gap))
        if s < steps:
            dst = f"(s{s + 1}-port)"
        else:
            level = f"s{s}-exit" if exit_edges else src
            out.append(
                f"\\node[anchor=west] (s{s}-end) at "
                f"($(s{s}-box.east |- {level})+({_num(gap - 0.3)},0)$) {{$\\cdots$}};\n"
            )
            dst = f"(s{s}-end)"
        out.append(
            f"\\draw[sgedge] {path} to[out=0, in=180] node[above, sglabel] {{${label}$}} {dst};\n"
        )
    if params:
        plist = ", ".join(f"${by_name[p].latex}$" for p in params)
        out.append(
            "\\node[sgnote, anchor=north] at ($(current bounding box.south)+(0,-0.15)$) "
            f"{{parameters shared by every step: {plist}}};\n"
        )
    out.append(_END)
    return "".join(out)


def attention_cell_diagram(k: int | None = 2) -> str:
    """The AttentionRNN(k) cell; ``k=None`` draws AttentionRNN(inf) with shared weights."""
    if k is not None:
        _check_int(k, "k", 1)
        if k > MAX_ATTENTION_K:
            raise LimitError(f"the attention diagram draws k <= {MAX_ATTENTION_K}, got {k}")
        groups: list[tuple[str, str, tuple[str, str, str]] | None] = [
            (str(i), "x[t]" if i == 0 else f"h[t-{i}]", (f"Q_{i}", f"K_{i}", f"V_{i}"))
            for i in range(k + 1)
        ]
        upper, size = str(k), str(k + 1)
    else:
        shared = ("Q_h", "K_h", "V_h")
        groups = [
            ("0", "x[t]", ("Q_0", "K_0", "V_0")),
            ("1", "h[t-1]", shared),
            None,
            ("t-1", "h[1]", shared),
        ]
        upper, size = "t-1", "t"
    gsep, y_src, y_qkv, y_w, y_sm, y_a, y_lane, y_h = 3.4, 0.0, 1.8, 3.3, 4.7, 6.0, 6.5, 7.4
    real = [(i, g) for i, g in enumerate(groups) if g is not None]
    nw = len(real)
    sm_x = (len(groups) - 1) * gsep + 2.8
    centre = (len(groups) - 1) * gsep / 2
    out = [_begin(_fit_scale(sm_x + 2.5 + (2.0 if k is None else 0.0)))]
    for gi, group in enumerate(groups):
        cx = gi * gsep
        if group is None:
            for y, nm in ((y_src, "src"), (y_qkv, "qkv"), (y_w, "w")):
                out.append(f"\\node (dots-{nm}) at {_pt(cx, y)} {{$\\cdots$}};\n")
            continue
        idx, src, (pq, pk, pv) = group
        sub = f"{{{idx}}}"
        spread = 1.0 if len(idx) == 1 else 1.3
        style = "sginput" if gi == 0 else "sgstate"
        out.append(f"\\node[{style}] (src-{gi}) at {_pt(cx, y_src)} {{${src}$}};\n")
        for letter, dx, param, side in (
            ("q", -spread, pq, "left"),
            ("k", 0.0, pk, "left"),
            ("v", spread, pv, "right"),
        ):
            out.append(
                f"\\node[sgsmall] ({letter}-{gi}) at {_pt(cx + dx, y_qkv)} "
                f"{{${letter}_{sub}[t]$}};\n"
            )
            out.append(
                f"\\draw[sgedge] ($(src-{gi}.north)+({_num(dx / 4)},0)$) -- "
                f"node[sglabel, {side}, pos=0.5] {{${param}$}} ({letter}-{gi});\n"
            )
        out.append(
            f"\\node[sgsmall] (w-{gi}) at {_pt(cx - 0.5, y_w)} "
            f"{{$w_{sub}[t] = q_{sub}[t]^{{\\top}} k_{sub}[t]$}};\n"
        )
        out.append(f"\\draw[sgedge] (q-{gi}) -- (w-{gi});\n")
        out.append(f"\\draw[sgedge] (k-{gi}) -- (w-{gi});\n")
    sm_height = max(0.9, 0.22 * (nw + 1))
    out.append(
        f"\\node[sgop, minimum height={_num(sm_height)}cm] (sm) at {_pt(sm_x, y_sm)} "
        "{$\\mathrm{softargmax}$};\n"
    )
    for rank, (gi, _group) in enumerate(real):
        dy = ((nw - 1) / 2 - rank) * 0.2
        out.append(f"\\draw[sgedge] (w-{gi}.north) |- ($(sm.west)+(0,{_num(dy)})$);\n")
    out.append(
        f"\\node[sgsmall] (a) at {_pt(sm_x, y_a)} {{$a[t] \\in \\mathbb{{R}}^{{{size}}}$}};\n"
        "\\draw[sgedge] (sm) -- (a);\n"
    )
    out.append(
        f"\\node[sgop] (h) at {_pt(centre, y_h)} "
        f"{{$h[t] = \\sum_{{i=0}}^{{{upper}}} a_i[t]\\, v_i[t]$}};\n"
        "\\draw[sgedge] (a) |- (h);\n"
    )
    for gi, _group in real:
        out.append(f"\\draw[sgedge] (v-{gi}) -- (v-{gi} |- 0,{_num(y_lane)}) -- (h);\n")
    if k is None:
        fit = "(q-1)(v-1)(dots-qkv)" + f"(q-{len(groups) - 1})(v-{len(groups) - 1})"
        out.append(
            "\\begin{scope}[on background layer]\n"
            f"\\node[sgshared, fit={{{fit}}}] (shared) {{}};\n"
            "\\end{scope}\n"
            "\\node[sgnote, anchor=west] at (shared.east) "
            "{shared weights\\\\$Q_h, K_h, V_h$};\n"
        )
    out.append(_END)
    return "".join(out)


def conv_output_length(
    length: int, kernel_size: int, stride: int, dilation: int, padding: int
) -> int:
    """floor((L + 2P - D(K - 1) - 1) / S) + 1, the output length of a 1-d convolution."""
    return (length + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1


def conv1d_taps(
    length: int, kernel_size: int, stride: int = 1, dilation: int = 1, padding: int = 0
) -> list[list[int]]:
    """For each output position (1-based), the 1-based input positions its taps read."""
    _check_int(length, "length", 1)
    _check_int(kernel_size, "kernel_size", 1)
    _check_int(stride, "stride", 1)
    _check_int(dilation, "dilation", 1)
    _check_int(padding, "padding", 0)
    if length + 2 * padding > MAX_CONV_CELLS:
        raise LimitError(
            f"the receptive-field diagram draws at most {MAX_CONV_CELLS} input cells "
            f"(length + 2 padding), got {length + 2 * padding}"
        )
    l_out = conv_output_length(length, kernel_size, stride, dilation, padding)
    if l_out < 1:
        raise SymgradError(
            f"no output position: floor((L + 2P - D(K-1) - 1)/S) + 1 = {l_out} for L={length}, "
            f"K={kernel_size}, S={stride}, D={dilation}, P={padding}; the dilated kernel "
            f"spans {dilation * (kernel_size - 1) + 1} cells but the padded input has "
            f"{length + 2 * padding}"
        )
    return [
        [(j - 1) * stride + (m - 1) * dilation + 1 - padding for m in range(1, kernel_size + 1)]
        for j in range(1, l_out + 1)
    ]


def _pos_name(pos: int) -> str:
    return f"x{pos}" if pos >= 0 else f"xm{-pos}"


def _colour(j: int) -> str:
    hue = ((j - 1) * 0.618033988749895) % 1.0
    r, g, b = colorsys.hsv_to_rgb(hue, 0.85, 0.8)
    return ",".join(str(round(255 * c)) for c in (r, g, b))


def conv1d_receptive_fields(
    length: int, kernel_size: int, stride: int = 1, dilation: int = 1, padding: int = 0,
    index_base: int = 1,
) -> str:
    """Input cells, output cells, and for each output the lines to the input taps it reads;
    the cells are labelled from ``index_base`` (x_1 ... x_L, or x_0 ... x_{L-1})."""
    if index_base not in (0, 1):
        raise SymgradError(f"index_base must be 0 or 1, not {index_base!r}")
    shift = index_base - 1
    taps = conv1d_taps(length, kernel_size, stride, dilation, padding)
    l_out = len(taps)
    cell, y_out = 0.9, 2.6

    def xpos(pos: int) -> float:
        return (pos + padding - 1) * cell

    out = [_begin(_fit_scale(max((length + 2 * padding) * cell + 2.2, 13.0)))]
    for j in range(1, l_out + 1):
        out.append(f"\\definecolor{{sgrf{j}}}{{RGB}}{{{_colour(j)}}}\n")
    for pos in range(1 - padding, length + padding + 1):
        if 1 <= pos <= length:
            out.append(
                f"\\node[sgcellbox] ({_pos_name(pos)}) at {_pt(xpos(pos), 0)} "
                f"{{$x_{{{pos + shift}}}$}};\n"
            )
        else:
            out.append(f"\\node[sgpadbox] ({_pos_name(pos)}) at {_pt(xpos(pos), 0)} {{$0$}};\n")
    readers: dict[int, list[int]] = {}
    for j, row in enumerate(taps, start=1):
        for pos in row:
            readers.setdefault(pos, []).append(j)
    for j, row in enumerate(taps, start=1):
        x = sum(xpos(p) for p in row) / len(row)
        out.append(
            f"\\node[sgcellbox, draw=sgrf{j}, very thick] (y{j}) at {_pt(x, y_out)} "
            f"{{$y_{{{j + shift}}}$}};\n"
        )
    for j, row in enumerate(taps, start=1):
        step_out = min(0.6 / len(row), 0.15)
        for m, pos in enumerate(row, start=1):
            dx_out = (m - (len(row) + 1) / 2) * step_out
            who = readers[pos]
            step_in = min(0.6 / len(who), 0.15)
            dx_in = (who.index(j) + 1 - (len(who) + 1) / 2) * step_in
            pad = ", dashed" if not 1 <= pos <= length else ""
            out.append(
                f"\\draw[sgtap, sgrf{j}{pad}] ($(y{j}.south)+({_num(dx_out)},0)$) -- "
                f"($({_pos_name(pos)}.north)+({_num(dx_in)},0)$);\n"
            )
    left = xpos(1 - padding) - 0.7
    out.append(f"\\node[sgnote, anchor=east] at {_pt(left, 0)} {{input $x$}};\n")
    out.append(f"\\node[sgnote, anchor=east] at {_pt(left, y_out)} {{output $y$}};\n")
    formula = (
        f"$L={length},\\ K={kernel_size},\\ S={stride},\\ D={dilation},\\ P={padding}:\\quad "
        "L_{\\mathrm{out}} = \\left\\lfloor \\frac{L + 2P - D(K-1) - 1}{S} \\right\\rfloor + 1"
        f" = {l_out}$"
    )
    out.append(
        f"\\node[sgnote, anchor=south] at ($(current bounding box.north)+(0,0.2)$) {{{formula}}};\n"
    )
    out.append(_END)
    return "".join(out)
