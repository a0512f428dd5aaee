"""One sample's scalar graph for the training view, laid out once for the model's architecture.

The graph of one sample's loss C(x, t) has the same nodes and edges for every point and every
snapshot: only the numbers change.  So Python builds it once (``model.trace(x)`` and the loss,
at a stand-in point), lays it out as the backprop player does (:func:`~autograd_engine.teach.
player.player_data`, :func:`~autograd_engine.teach.player.layout_svg`) and describes its
structure as data: each node's name (:mod:`autograd_engine.teach.naming`), its rule's name and
its operands — a node, a parameter (its index in ``model.parameters()``), an input ``x_i``, a
target ``t_j`` or a constant of the expression — and, per edge, which operand (and element) it
is.  The page then evaluates every node with ``RULES`` (the rule table compiled to JavaScript by
:mod:`autograd_engine.rules_js`: ``[z, ∂z/∂operand …]``, no derivative written for it) and walks
the edges in the order of :func:`~autograd_engine.teach.walkthrough.backward_steps` (given here
as ``steps``), summing ∂C/∂x += ∂C/∂z · ∂z/∂x from the seed 1.
"""

from __future__ import annotations

import re
from typing import Optional

from autograd_engine.teach.player import MAX_NODES, _four, player_data
from autograd_engine.value import Value

__all__ = ["sample_graph", "sample_root", "MAX_GRAPH_NODES"]

MAX_GRAPH_NODES = MAX_NODES
"""The largest sample graph the page carries (the player's own default limit, 300 Values)."""

_WIDE = -1.234e-05  # "-1.234e-05": as wide as a number in 4 significant digits gets
_LAYOUTS: dict = {}  # structure -> svg: a live view redraws the page often, the layout is the same


def sample_root(model, loss, x, t) -> Value:
    """C for one sample: the loss of ``model.trace(x)``'s output against the target vector ``t``
    (what :meth:`nn.training_view.TrainingView.player` plays), labelled ``C``."""
    root = loss.fn(model.trace(x).output, t)
    root.label = "C"
    return root


def _operand(o, refs: dict[int, dict]):
    if isinstance(o, (tuple, list)):
        return [_operand(e, refs) for e in o]
    if id(o) in refs:
        return refs[id(o)]
    if isinstance(o, bool) or not isinstance(o, (int, float)):
        raise TypeError(f"training_view: an operand {o!r} of the sample graph is not a number")
    return {"c": float(o)}


def _locals(v: Value) -> list[list[int]]:
    """For each edge of ``v`` (the order of ``v.parents``): [operand, element] (element −1 for a
    single Value) — where its local gradient sits in the rule's ``[z, ∂z/∂operand …]``."""
    out = []
    for i, o in enumerate(v.operands):
        if isinstance(o, (tuple, list)):
            out += [[i, k] for k, e in enumerate(o) if isinstance(e, Value)]
        elif isinstance(o, Value):
            out.append([i, -1])
    return out


_TEXT = re.compile(r"(<text\b[^>]*>)([^<]*)(</text>)")
_NUMBER = re.compile(r"(?<![\w\[\].#&])-?\d+(?:\.\d+)?(?:e[-+]?\d+)?(?![\w\]])")


def _symbolic(svg: str, names: dict[str, str]) -> str:
    """The stand-in inputs and targets in the picture's op records and constant boxes written as
    x1, x2, t1 … (a node's own data and grad fields the page rewrites with its numbers)."""
    def text(m):
        if 'data-field="data"' in m.group(1) or 'data-field="grad"' in m.group(1):
            return m.group(0)
        return m.group(1) + _NUMBER.sub(lambda n: names.get(n.group(0), n.group(0)), m.group(2)) + m.group(3)
    return _TEXT.sub(text, svg)


def sample_graph(model, loss, nin: int, nout: int, max_nodes: int = MAX_GRAPH_NODES) -> tuple[Optional[dict], str, str]:
    """(the structure, the SVG, a note) of one sample's graph; the structure is None with a note
    saying why when the graph has more than ``max_nodes`` Values (or 4 × as many edges), or
    when there is no Graphviz to lay it out (the [viz] extra)."""
    params = model.parameters()
    saved = [p.data for p in params]
    # stand-ins: fresh float objects (operands are told by identity) whose text is found nowhere
    # else in the picture, so that it can name them x1, x2, t1 (the page's numbers change)
    xs = [float(f"{0.3719 + 0.001 * i:.4f}") for i in range(nin)]
    ts = [float(f"{0.6173 + 0.001 * j:.4f}") for j in range(nout)]
    try:
        for p in params:  # the structure only: the model's own numbers (NaN mid-run, say) are not read
            p.data = 0.0
        try:
            root = sample_root(model, loss, list(xs), list(ts))
        except ValueError:  # hinge takes only t = ±1
            ts = [float(v) + 0.0 for v in loss.target(0, nout)]
            root = sample_root(model, loss, list(xs), list(ts))
        try:
            data = player_data(root, max_nodes=max_nodes, title="C")
        except ValueError as e:
            if "max_nodes" not in str(e):
                raise
            n = len(root.nodes())
            return None, "", (f"This sample's scalar graph has {n} Values, more than the {max_nodes} the page "
                              "steps through")
        from autograd_engine.backprop import forward_order

        order = forward_order(root)  # player_data's node order
        refs: dict[int, dict] = {id(v): {"n": i} for i, v in enumerate(order)}
        refs.update({id(v): {"x": i} for i, v in enumerate(xs)})
        refs.update({id(v): {"t": j} for j, v in enumerate(ts)})
        where = {id(p): i for i, p in enumerate(params)}
        nodes = []
        for v, d in zip(order, data["nodes"]):
            node: dict = {"name": d["name"], "op": d["op"], "symbol": d["symbol"]}
            if v.is_leaf():
                node["param"] = where.get(id(v))
                if node["param"] is None:
                    node["const"] = v.data
            else:
                if v.rule is None or not v.rule.z:
                    raise TypeError(f"training_view: the node {d['name']} ({v.op}) has no rule with formula text")
                node.update({"rule": v.rule.name, "operands": _operand(v.operands, refs),
                             "z": d.get("z", ""), "words": d.get("words", "")})
            nodes.append(node)
        local_of = {}
        for i, v in enumerate(order):
            for slot, where_ in enumerate(_locals(v)):
                local_of[(i, slot)] = where_
        edges = [{"child": e["child"], "parent": e["parent"], "arg": e["arg"], "formula": e["formula"],
                  "words": e["words"], "local": local_of[(e["child"], e["slot"])]} for e in data["edges"]]
        graph = {"nodes": nodes, "edges": edges, "steps": [s["edge"] for s in data["steps"]], "root": data["root"]}
        key = (repr(graph), type(loss).__name__)
        svg = _LAYOUTS.get(key)
        if svg is None:
            try:
                from autograd_engine.teach.player import layout_svg

                # every box sized for the widest number it may show at another point or snapshot
                for v in order:
                    v.data = _WIDE
                wide = {**data, "nodes": [{**n, "final": _WIDE} for n in data["nodes"]],
                        "steps": [{**s, "after": _WIDE} for s in data["steps"]]}
                svg = _symbolic(layout_svg(root, wide), {**{_four(v): f"x{i + 1}" for i, v in enumerate(xs)},
                                                         **{_four(v): f"t{j + 1}" for j, v in enumerate(ts)}})
            except (ImportError, RuntimeError, OSError) as e:
                return None, "", f"Laying out this sample's scalar graph needs Graphviz (the [viz] extra): {e}"
            if len(_LAYOUTS) > 8:
                _LAYOUTS.clear()
            _LAYOUTS[key] = svg
        return graph, svg, ""
    finally:
        for p, v in zip(params, saved):
            p.data = v

