"""The backprop player: one self-contained HTML page that plays the forward and backward pass.

``play(root)`` lays the graph out **once** (``viz.draw_dot`` + ``viz.render``: system ``dot``,
else the in-process WebAssembly Graphviz) and embeds it as SVG; the page then only changes
colours and numbers.  What it shows is data, produced here from the engine's own walk-through:

* forward phase: the nodes in the order the expression computes them
  (:func:`~autograd_engine.backprop.forward_order`) light up one by one with
  their values, each with its rule's forward formula ``z = …`` from :data:`~autograd_engine.RULES`;
* backward phase: one edge per step, exactly the steps of
  :func:`~autograd_engine.teach.walkthrough.backward_steps` — the chain rule of the textbook
  chapter *Chapter 6: The Backprop Algorithm* (Figure 6.2) on one edge,

      ∂L/∂x += ∂L/∂z · ∂z/∂x,

  with the upstream ∂L/∂z, the local gradient ∂z/∂x and its formula from the rule table
  ("multiply swaps: ∂z/∂x = y = 7"), the contribution, and the parent's gradient before → after.
  In Benedict Florance's f = (a+b)(b+c) at a = −1, b = 3, c = 4, ``b`` visibly gets 7, then 2
  more: 9.

So the page and the Python walk-through cannot disagree.  Labels and numbers travel as JSON in a
``<script type="application/json">`` (``<``, ``>``, ``&`` escaped as ``\\u003c`` …) and the page
inserts text with ``textContent`` only: a label ``<img src=x onerror=alert(1)>`` is shown as
text.  The page loads nothing: its CSS and script are inlined from the package data in
``player_assets/``.

``play()`` leaves every ``.grad`` as it was: it walks one pass from zero on the side (a leaf that
already held a gradient is noted on the last frame, since ``backward()`` would add to it).
"""

from __future__ import annotations

import html
import json
import os
import re
import xml.etree.ElementTree as ET
from importlib import resources
from pathlib import Path
from typing import Union

from ..files import atomic_write, writable_target
from ..backprop import forward_order
from ..value import Value
from .drawable import check_drawable, check_text
from .naming import node_names
from .walkthrough import _overflow, check_seed, number, pass_steps

PathLike = Union[str, os.PathLike]

MAX_NODES = 300
"""Default limit on the Values of a played graph (and 4 × that on its edges): the layout and
the page grow with the graph, and a backward pass of thousands of steps teaches nothing.
``play(root, max_nodes=N)`` raises it."""

EDGES_PER_NODE = 4  # the edge limit is EDGES_PER_NODE * max_nodes (n-ary nodes have many edges)

_ASSETS = "player_assets"
_SVG_NS = "http://www.w3.org/2000/svg"
_SVG_TAGS = {"svg", "g", "title", "polygon", "polyline", "path", "ellipse", "text", "tspan", "defs",
             "linearGradient", "radialGradient", "stop"}
_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"


def __getattr__(name: str):
    if name == "DESCRIPTIONS":  # the old per-op table, now read from the rules' ``words``
        from types import MappingProxyType

        from ..rules import RULES

        return MappingProxyType({n: r.words for n, r in RULES.items() if r.words})
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# ---- formulas as text ------------------------------------------------------------------------
def _words(v: Value) -> str:
    """The few words said before a node's formula ("multiply swaps"): its rule's ``words``."""
    rule = v.rule
    return (rule.words if rule is not None else "") or v.op


def pretty(formula: str) -> str:
    """A rule's formula text for reading: ``m.`` dropped, ``1.0`` → ``1``, ``*`` → ``·``
    (``"n * m.pow(x, n - 1)"`` → ``"n · pow(x, n − 1)"``)."""
    text = re.sub(r"\bm\.", "", formula)
    text = re.sub(r"\b(\d+)\.0\b", r"\1", text)
    text = text.replace("**", "^").replace(" * ", " · ").replace(" - ", " − ")
    return re.sub(r"^-", "−", text)


_REPEAT = re.compile(r"^\(([^,()]+),\)\s*\*\s*len\((\w+)\)$")  # sum's "(1.0,) * len(xs)"


def _element_formula(formula: str, group: str, k: int) -> str:
    """The local gradient of element k (counted from 1, as labels ``w[1][1][1]`` and the
    picture's dot terms ``w1·x1`` count) of a sequence operand (``sum``, ``dot``): sum's
    ``(1.0,) * len(xs)`` is 1 for every element; dot's ``xs`` (for ws) is ``xs[k]``."""
    m = _REPEAT.match(formula.strip())
    if m:
        return pretty(m.group(1))
    return pretty(re.sub(r"\b(ws|xs)\b", lambda n: f"{n.group(1)}[{k}]", formula))


def _slots(v: Value) -> list[tuple[str, str]]:
    """For each parent slot of ``v`` (the order of ``v.parents``): (the rule's name for the
    operand, the rule's formula of ∂z/∂operand), from the rule table's text."""
    rule = v.rule
    args = rule.args if rule else ()
    grads = rule.grads if rule else ()
    out = []
    for i, operand in enumerate(v.operands):
        name = args[i] if i < len(args) else f"operand {i}"
        formula = grads[i] if i < len(grads) else ""
        if isinstance(operand, (tuple, list)):
            for k, element in enumerate(operand):
                if isinstance(element, Value):
                    out.append((f"{name}[{k + 1}]", _element_formula(formula, name, k + 1) if formula else ""))
        elif isinstance(operand, Value):
            out.append((name, pretty(formula) if formula else ""))
    return out


def _operand_text(operand, names: list[str], index: dict[int, int]) -> str:
    return names[index[id(operand)]] if isinstance(operand, Value) else number(operand)


def _bindings(v: Value, names: list[str], index: dict[int, int], limit: int = 8) -> list[list[str]]:
    """(rule operand name, what it is bound to, its value) for the forward panel; long
    sequences are cut at ``limit`` entries with an ellipsis row."""
    rule = v.rule
    args = rule.args if rule else ()
    rows: list[list[str]] = []
    for i, operand in enumerate(v.operands):
        name = args[i] if i < len(args) else f"operand {i}"
        items = list(enumerate(operand)) if isinstance(operand, (tuple, list)) else [(None, operand)]
        for k, item in items:
            if len(rows) >= limit:
                rows.append(["…", f"{sum(len(o) if isinstance(o, (tuple, list)) else 1 for o in v.operands)} "
                                  "operands in all", ""])
                return rows
            value = item.data if isinstance(item, Value) else item
            rows.append([name if k is None else f"{name}[{k + 1}]", _operand_text(item, names, index), number(value)])
    return rows


# ---- the data the page plays ---------------------------------------------------------------
def _four(x: float) -> str:
    """A number as the graph picture shows it (``viz``: 4 significant digits, no ``-0``)."""
    return format(x + 0.0, ".4g")


def player_data(root: Value, grad: float = 1.0, max_nodes: int = MAX_NODES, title: str | None = None) -> dict:
    """Everything the page shows, as plain data: the nodes in forward (topological) order, the
    edges, and one record per step of :func:`backward_steps` (numbers as floats and as text).

    Leaves every ``.grad`` as it found it.  Refuses a graph of more than ``max_nodes`` Values
    or ``4 * max_nodes`` edges with a ValueError saying how to raise the limit."""
    if not isinstance(root, Value):
        raise TypeError(f"play: root must be a Value, got {type(root).__name__} {root!r}")
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1:
        raise ValueError(f"play: max_nodes must be a positive int, got {max_nodes!r}")
    if title is not None and not isinstance(title, str):
        raise TypeError(f"play: title must be a str, got {type(title).__name__}")
    if title is not None:
        check_text(title, "play", "the title")
    order = forward_order(root)  # draw_dot's order too: node i here is the picture's record v<i>
    n_edges = sum(len(v.parents) for v in order)
    if len(order) > max_nodes or n_edges > EDGES_PER_NODE * max_nodes:
        need = max(len(order), -(-n_edges // EDGES_PER_NODE))
        raise ValueError(
            f"play: the graph has {len(order)} Values and {n_edges} edges, more than max_nodes={max_nodes} "
            f"(and {EDGES_PER_NODE} × max_nodes edges) allow; play a smaller sub-expression, or pass "
            f"play(root, max_nodes={need}) to lay it out anyway (large graphs are slow to lay out and "
            "hard to follow)")
    check_drawable(order, "play")  # before any work: a lone surrogate, a NaN .data
    index = {id(v): i for i, v in enumerate(order)}
    by_node = node_names(root, order)  # the names of draw_dot, format_steps and trace
    names = [by_node[v] for v in order]

    saved = [v.grad for v in order]  # read, never written: play() shows a pass, it makes none
    check_seed(root, grad)  # backward()'s own errors for grad and for a root without a graph
    seed = float(grad)
    steps = list(pass_steps(root, seed))  # backward_steps' order; on the side: no .grad changes, not for a moment

    slots = {i: _slots(v) for i, v in enumerate(order) if not v.is_leaf()}
    edges: list[dict] = []
    edge_of: dict[tuple[int, int], int] = {}
    for i, v in enumerate(order):
        for slot, (parent, local) in enumerate(zip(v.parents, v.local_grads)):
            arg, formula = slots[i][slot] if slot < len(slots[i]) else (f"operand {slot}", "")
            rule = v.rule
            edge_of[(i, slot)] = len(edges)
            edges.append({"child": i, "parent": index[id(parent)], "slot": slot, "op": v.op,
                          "symbol": rule.symbol if rule else v.op, "arg": arg, "formula": formula,
                          "words": _words(v)})

    running = [0.0] * len(order)
    running[-1] = seed
    last_in = [-1] * len(order)  # the last step into each node: after it, its gradient is complete
    records: list[dict] = []
    sent: dict[int, int] = {}
    for k, s in enumerate(steps):
        z, p = index[id(s.node)], index[id(s.parent)]
        slot = sent.get(z, 0)
        sent[z] = slot + 1
        before = running[p]
        running[p] = s.parent_grad
        last_in[p] = k
        records.append({
            "edge": edge_of[(z, slot)], "child": z, "parent": p,
            "upstream": s.upstream, "local": s.local, "contribution": s.contribution,
            "before": before, "after": s.parent_grad,
            "text": {key: number(getattr(s, key)) for key in ("upstream", "local", "contribution")}
            | {"before": number(before), "after": number(s.parent_grad)},
            "after4": _four(s.parent_grad),
        })

    for i, v in enumerate(order):  # backward()'s policy: a leaf's sum must stay finite too
        total = saved[i] + running[i]
        if v.is_leaf() and saved[i] and total - total:
            raise _overflow(None, v, total)

    nodes = []
    for i, v in enumerate(order):
        rule = v.rule
        node = {"name": names[i], "label": v.label, "op": v.op, "leaf": v.is_leaf(),
                "symbol": (rule.symbol if rule else v.op) if v.op else "",
                "data": v.data, "data6": number(v.data), "data4": _four(v.data),
                "final": running[i], "final6": number(running[i]), "final4": _four(running[i]),
                "held": saved[i] if v.is_leaf() else 0.0, "lastIn": last_in[i]}
        if v.is_leaf():
            node["held6"] = number(saved[i])
            node["accumulated6"] = number(saved[i] + running[i]) if saved[i] else number(running[i])
        else:
            node["z"] = pretty(rule.z) if rule and rule.z else ""
            node["bind"] = _bindings(v, names, index)
            node["words"] = _words(v)
        nodes.append(node)

    root_name = names[-1]
    return {"version": 1, "title": title if title is not None else f"backprop of {root_name}",
            "root": len(order) - 1, "seed": seed, "seed6": number(seed), "seed4": _four(seed),
            "nodes": nodes, "edges": edges, "steps": records}


def quiz_options(root: Value, data: dict, grad: float = 1.0, *, quiz: bool = False, ask=None,
                 hints: bool = True) -> dict:
    """The quiz's part of the page's data: whether the page opens in quiz mode (``start``),
    the steps not asked (``skip``, 0-based: shown as in a demonstration), ``hints`` and, per
    misconception of :mod:`.misconceptions`, what a student holding it answers at each step
    (:func:`~.misconceptions.quiz_data`): the page compares a wrong answer with those and, after
    ``after_wrong`` wrong answers, names the misconception that explains most of them."""
    from .misconceptions import quiz_data

    if not isinstance(quiz, bool):
        raise TypeError(f"play: quiz must be True or False, got {quiz!r}")
    if not isinstance(hints, bool):
        raise TypeError(f"play: hints must be True or False, got {hints!r}")
    n = len(data["steps"])
    if ask is None:
        asked = set(range(n))
    else:
        if isinstance(ask, (str, bytes)) or not hasattr(ask, "__iter__"):
            raise TypeError(f"play: ask must be step numbers (1 to {n}), got {ask!r}")
        asked = set()
        for k in ask:
            if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= n:
                raise ValueError(f"play: ask holds step numbers from 1 to {n} (the backward steps), got {k!r}")
            asked.add(k - 1)
    return {"start": quiz, "skip": [k for k in range(n) if k not in asked], "hints": hints, "afterWrong": 2,
            "misconceptions": quiz_data(root, grad)}


# ---- the picture -------------------------------------------------------------------------------
def _widest(values) -> float:
    """The value whose text is widest; on a tie one that is not 0, so that the picture laid
    out with these values shows a backward pass (not draw_dot's "grad —" of one not run)."""
    return max(values, key=lambda x: (len(_four(x)), x != 0))


def layout_svg(root: Value, data: dict, rankdir: str = "LR") -> str:
    """The graph laid out once, as SVG markup tagged for the page's script.

    Each record is drawn with the widest number its grad field will show, so the boxes fit
    every frame; Graphviz's output is parsed as XML, checked against a list of plain SVG
    elements (nothing that can run or load anything), and serialized again by ElementTree,
    which escapes every text.  Value records get ``data-node``, their fields ``data-field``
    (label, data, grad), op nodes ``data-op``, edges ``data-edge`` (parent → op, the edge of a
    backward step) or ``data-out`` (op → its Value)."""
    from .viz import draw_dot, render  # the [viz] extra, only now

    order = forward_order(root)
    shown: list[list[float]] = [[0.0, n["final"]] for n in data["nodes"]]
    shown[data["root"]].append(data["seed"])
    for s in data["steps"]:
        shown[s["parent"]].append(s["after"])
    saved = [(v.grad, v.label) for v in order]
    try:
        for v, values in zip(order, shown):
            v.grad = _widest(values)
            # Graphviz reads entities in labels ("&amp;" would be drawn "&"): escape "&" so the
            # box is laid out for the label's own text (the text itself is set below)
            v.label = v.label.replace("&", "&amp;")
        dot = draw_dot(root, rankdir=rankdir, max_nodes=max(len(order), 1))
        # draw_dot's "no backward pass has run" caption describes the Values as they are now,
        # not the frames the page plays (which show every gradient): the page has no caption
        for key in ("label", "labelloc", "fontsize"):
            dot.graph_attr.pop(key, None)
    finally:
        for v, (g, label) in zip(order, saved):
            v.grad, v.label = g, label
    svg = render(dot, format="svg").decode("utf-8")
    return _tag_svg(svg, data)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _tag_svg(svg: str, data: dict) -> str:
    ET.register_namespace("", _SVG_NS)
    ET.register_namespace("xlink", "http://www.w3.org/1999/xlink")
    tree = ET.fromstring(svg)
    for el in tree.iter():
        tag = _local(el.tag)
        if tag not in _SVG_TAGS or not el.tag.startswith("{" + _SVG_NS):
            raise RuntimeError(f"play: unexpected element <{tag}> in Graphviz's SVG")
        for name in list(el.attrib):
            if _local(name).lower().startswith("on") or "href" in name.lower():
                del el.attrib[name]
    edges_by_title: dict[str, list[int]] = {}
    for k, e in enumerate(data["edges"]):
        edges_by_title.setdefault(f"v{e['parent']}->v{e['child']}op", []).append(k)
    groups = []
    for g in tree.iter(f"{{{_SVG_NS}}}g"):
        title = g.find(f"{{{_SVG_NS}}}title")
        if title is not None:
            groups.append((g, title))
    # edges in the order Graphviz was given them (ids edge1, edge2, ...): a Value used twice by
    # one node (x * x) is two edges with one title, told apart by their order
    def order_key(item):
        m = re.search(r"\d+", item[0].get("id", ""))
        return int(m.group()) if m else 0

    n_values = len(data["nodes"])
    for g, title in sorted(groups, key=order_key):
        name = (title.text or "").strip()
        g.remove(title)  # Graphviz's node names as tooltips would only confuse
        if g.get("class") == "node":
            m = re.fullmatch(r"v(\d+)(op)?", name)
            if not m or int(m.group(1)) >= n_values:
                continue  # a constant's box (v3k1)
            if m.group(2):
                g.set("data-op", m.group(1))
                continue
            g.set("data-node", m.group(1))
            texts = list(g.iter(f"{{{_SVG_NS}}}text"))
            for field, t in zip(("data", "grad"), texts[-2:]):
                t.set("data-field", field)
                t.set("data-node", m.group(1))
            label = texts[:-2]
            for t in label:
                t.set("data-field", "label")
            if label:  # the label as data, whatever Graphviz made of it
                label[0].text = data["nodes"][int(m.group(1))]["name"]
                for t in label[1:]:
                    g.remove(t)
        elif g.get("class") == "edge":
            name = re.sub(r":t\d+(?=->|$)", "", name)  # into a dot node's term field (v5op:t0)
            if name in edges_by_title and edges_by_title[name]:
                g.set("data-edge", str(edges_by_title[name].pop(0)))
                ends = re.fullmatch(r"v(\d+)->v(\d+)op", name)
                if ends is None:  # not an edge this page drew
                    continue
                parent, child = ends.groups()
                g.set("data-parent", parent)  # from Graphviz's own name of the edge
                g.set("data-child", child)
            else:
                m = re.fullmatch(r"v(\d+)op->v(\d+)", name)
                if m and m.group(1) == m.group(2):
                    g.set("data-out", m.group(1))
    for el in tree.iter():
        el.attrib.pop(_XML_SPACE, None)  # white-space is set in the page's CSS
    return ET.tostring(tree, encoding="unicode")


# ---- the page ----------------------------------------------------------------------------------
def _asset(name: str) -> str:
    return resources.files(__package__).joinpath(_ASSETS).joinpath(name).read_text(encoding="utf-8")


def json_for_script(obj) -> str:
    """JSON that is safe inside ``<script type="application/json">``: ``<``, ``>`` and ``&``
    as ``\\u003c``, ``\\u003e``, ``\\u0026``, so no text can close the element or open a comment."""
    text = json.dumps(obj, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def page(data: dict, svg: str) -> str:
    """The self-contained page: the template with its CSS, script, SVG and data inlined."""
    parts = {"TITLE": html.escape(data["title"]), "CSS": _asset("player.css"),
             "JS": _asset("player.js") + "\n" + _asset("quiz.js"),  # quiz.js: the quiz's diagnosis
             "SVG": svg, "DATA": json_for_script(data)}
    # one pass: text put in (a label saying {{JS}}) is never scanned for placeholders again
    return re.sub(r"\{\{(TITLE|CSS|JS|SVG|DATA)\}\}", lambda m: parts[m.group(1)], _asset("player.html"))


class Player:
    """A played graph: ``.html`` the page, ``.data`` what it shows; shown inline in a notebook
    (an ``<iframe srcdoc>``, so its script runs) and written with :meth:`save`."""

    def __init__(self, data: dict, svg: str) -> None:
        self.data = data
        self.svg = svg
        self.html = page(data, svg)

    @property
    def n_steps(self) -> int:
        return len(self.data["steps"])

    def __repr__(self) -> str:
        return (f"<Player {self.data['title']!r}: {len(self.data['nodes'])} Values, "
                f"{self.n_steps} backward steps>")

    def _repr_html_(self) -> str:
        """The page in a sandboxed iframe (scripts run, isolated from the notebook)."""
        m = re.search(r'height="([\d.]+)pt"', self.svg)
        graph = float(m.group(1)) * 4 / 3 if m else 300.0
        height = int(min(900, max(460, graph + 330)))
        return (f'<iframe srcdoc="{html.escape(self.html, quote=True)}" sandbox="allow-scripts" '
                f'title="{html.escape(self.data["title"], quote=True)}" '
                f'style="width: 100%; height: {height}px; border: 1px solid #ddd;"></iframe>')

    def save(self, path: PathLike) -> Path:
        """Write the page to ``path`` as one self-contained HTML file (atomically: the old file
        or the whole new one, never a part).  Returns the path."""
        target = writable_target(path, "Player.save")  # render's checks, before anything is written
        content = self.html.encode("utf-8")
        atomic_write(target, lambda f: f.write(content), "Player.save")
        return target


def play(root: Value, grad: float = 1.0, *, max_nodes: int = MAX_NODES, title: str | None = None,
         rankdir: str = "LR", quiz: bool = False, ask=None, hints: bool = True) -> Player:
    """The backprop player for ``root``'s graph: forward values in topological order, then the
    backward pass of ``root.backward(grad)`` one edge at a time (∂L/∂x += ∂L/∂z · ∂z/∂x), with
    a quiz mode.  Show it in a notebook (the last expression of a cell) or ``.save("f.html")``.

    Needs the ``[viz]`` extra for the layout (``pip install 'autograd-engine[viz]'``).  Graphs
    of more than ``max_nodes`` Values (default 300) or ``4 * max_nodes`` edges are refused with
    a ValueError; pass ``max_nodes=`` to raise the limit.  No ``.grad`` is changed.

    The quiz (see :func:`quiz_options`): ``quiz=True`` opens the page in quiz mode, ``ask`` the
    step numbers (1-based) the student answers (the others are shown; default all),
    ``hints=False`` hides the rule hints until a step is answered."""
    data = player_data(root, grad, max_nodes=max_nodes, title=title)
    data["quiz"] = quiz_options(root, data, grad, quiz=quiz, ask=ask, hints=hints)
    return Player(data, layout_svg(root, data, rankdir=rankdir))
