"""Building the DOT picture of a Value's graph (:func:`draw_dot`): one record per Value, one node per
op, the highlighted edge and its chain-rule label, the direction (:func:`auto_rankdir`), and the
frames pinned to one layout that the step pictures use."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..backprop import forward_order
from ..value import Value
from . import label_room
from .drawable import check_drawable
from .layout import Layout
from .naming import node_names  # the one naming of every view
from .picture import GraphPicture
from .style import FONT, HIGHLIGHT_COLOUR, HIGHLIGHT_FILL, _graphviz, _num, _record_text

if TYPE_CHECKING:  # pragma: no cover
    import graphviz

MAX_NODES = 500
"""Default limit on the Values drawn: Graphviz's layout time grows fast with size, and a
picture of thousands of nodes teaches nothing.  ``draw_dot(root, max_nodes=N)`` raises it."""



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

    _graphviz()  # the [viz] extra, or an ImportError naming it (GraphPicture() may be cached)
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
