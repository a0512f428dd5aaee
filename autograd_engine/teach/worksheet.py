"""Worksheets: a graph and its backward pass on paper, with chosen cells left blank, and the key.

``worksheet(root, blanks="grad", fmt="md"|"latex"|"html", key=False)`` writes, for the graph of
``root`` at its current values:

* the graph: every node, how it was computed and its forward value, and its gradient ∂f/∂node
  at the end of the pass (HTML also draws the picture of :mod:`~autograd_engine.teach.viz`,
  with "?" in the blank fields);
* the backward pass, one edge per step, in the walk-through's columns (step, node → parent,
  ∂L/∂z, ∂z/∂x, contribution = ∂L/∂z · ∂z/∂x, the parent's gradient so far), with the chain
  rule of the textbook chapter *Chapter 6: The Backprop Algorithm* (Figure 6.2) as the
  instruction: ∂L/∂x += ∂L/∂z · ∂z/∂x.

``blanks`` chooses what the student fills in: ``"data"`` (the forward values of the nodes that
are not inputs), ``"local"`` (the local gradients ∂z/∂x), ``"grad"`` (upstream, contribution and
the gradients so far, and every gradient of the graph but the seed), or ``"all"``; several as a
list.  ``key=True`` fills every blank, marked, from the engine's own backward pass
(:func:`~autograd_engine.teach.walkthrough.backward_steps`); the ``.grad`` of the graph are left
as they were.  HTML is one self-contained page (no script, a strict Content-Security-Policy) that
prints on A4 and Letter alike; LaTeX is a whole ``article`` that compiles with pdflatex.
"""

from __future__ import annotations

import html
from typing import Iterable, NamedTuple, Sequence

from ..value import Value
from .tables import latex_escape, latex_number, latex_table, markdown_escape, markdown_table
from .walkthrough import STEP_ALIGN, STEP_HEADER, STEP_HEADER_LATEX, backward_steps, definition, node_names, number

KINDS = ("data", "local", "grad")
MAX_STEPS = 200
"""Longest backward pass a worksheet is made for (it is worked by hand, and HTML lays it out)."""
FORMATS = ("md", "latex", "html")
_FORMAT_ALIASES = {"markdown": "md", "tex": "latex"}

INSTRUCTION = ("Fill in the blanks. Forward: each node from its inputs. Backward: start from ∂f/∂f = {seed}; "
               "every step is one edge, ∂L/∂x += ∂L/∂z · ∂z/∂x, and a node used twice adds both contributions.")


class Cell(NamedTuple):
    """One number on the sheet: its text, and whether the student fills it in."""

    text: str
    blank: bool = False


class Sheet(NamedTuple):
    """What a worksheet says, before it is written in a format."""

    title: str
    given: list[tuple[str, str]]  #: (input name, value)
    graph: list[tuple[str, str, Cell, Cell]]  #: (node, computed as, value, ∂f/∂node)
    steps: list[tuple[str, str, Cell, Cell, Cell, Cell]]  #: the step table's rows
    seed: str
    root_name: str


def _kinds(blanks) -> frozenset[str]:
    items = [blanks] if isinstance(blanks, str) else blanks
    try:
        items = list(items)
    except TypeError:
        raise TypeError(f"worksheet: blanks must be a str or a list of them, got {type(blanks).__name__}") from None
    kinds: set[str] = set()
    for item in items:
        if item == "all":
            kinds.update(KINDS)
        elif item in KINDS:
            kinds.add(item)
        elif item != "none":
            raise ValueError(f"worksheet: blanks must be among 'data', 'local', 'grad', 'all' or 'none', got {item!r}")
    return frozenset(kinds)


def sheet(root: Value, blanks="grad", grad: float = 1.0, title: str | None = None) -> Sheet:
    """The contents of a worksheet of ``root``'s graph (see the module docstring); the numbers
    come from ``backward_steps(root, grad)``, after which every ``.grad`` is put back."""
    if not isinstance(root, Value):
        raise TypeError(f"worksheet: root must be a Value, got {type(root).__name__} {root!r}")
    if title is not None and not isinstance(title, str):
        raise TypeError(f"worksheet: title must be a str, got {type(title).__name__}")
    kinds = _kinds(blanks)
    order = root.nodes()
    edges = sum(len(v.parents) for v in order)
    if edges > MAX_STEPS:
        raise ValueError(f"worksheet: the graph has {edges} backward steps, more than {MAX_STEPS}; a worksheet is "
                         "worked by hand: give it a smaller expression")
    held = [v.grad for v in order]
    try:
        for v in order:  # one pass from zero: a leaf's gradient held from before is not on the sheet
            v.grad = 0.0
        steps = list(backward_steps(root, grad))
        final = {v: v.grad for v in order}
    finally:
        for v, g in zip(order, held):
            v.grad = g
    names = node_names(root)
    from ..backprop import forward_order  # inputs first, each node after its inputs

    forward = forward_order(root)
    graph = [(names[v], definition(v, names), Cell(number(v.data), "data" in kinds and not v.is_leaf()),
              Cell(number(final[v]), "grad" in kinds and v is not root)) for v in forward]
    g, loc = "grad" in kinds, "local" in kinds
    rows = [(str(s.index), f"{names[s.node]} → {names[s.parent]}", Cell(number(s.upstream), g),
             Cell(number(s.local), loc), Cell(number(s.contribution), g or loc), Cell(number(s.parent_grad), g))
            for s in steps]
    given = [(names[v], number(v.data)) for v in forward if v.is_leaf()]
    root_name = names[root]
    if title is None:
        title = f"Backprop worksheet: {root_name} = {expression(forward, names)}" if steps else \
            f"Backprop worksheet: {root_name}"
    return Sheet(title, given, graph, rows, number(float(grad)), root_name)


_PRECEDENCE = {"add": 1, "sub": 1, "rsub": 1, "mul": 2, "div": 2, "rdiv": 2, "neg": 3, "pow": 4, "vpow": 4, "rpow": 4}


def expression(forward: list[Value], names: dict[Value, str], limit: int = 120) -> str:
    """The root's formula over the inputs, every unlabelled node inlined (``(a + b) * (b + c)``),
    built in computation order (no recursion), with the parentheses Python's precedence needs;
    past ``limit`` characters, the root's own definition over node names (``v1 * v2``), which
    the graph table explains."""
    text: dict[Value, str] = {}
    root = forward[-1]
    for v in forward:
        if v.is_leaf() or (v.label and v is not root):
            text[v] = names[v]
            continue
        mine = _PRECEDENCE.get(v.op)
        right = v.parents[-1] if v.op not in ("rsub", "rdiv", "rpow", "neg") else v.parents[0]
        inner = {}
        for o in v.parents:
            theirs = None if o.is_leaf() or (o.label and o is not root) else _PRECEDENCE.get(o.op)
            wrap = mine is not None and theirs is not None and (
                theirs < mine or (theirs == mine and (o is right or mine == 4)))
            inner[o] = f"({text[o]})" if wrap else text[o]
        text[v] = definition(v, inner)
        if len(text[v]) > limit:
            return definition(root, names) or names[root]
    return text[root]


def worksheet(root: Value, blanks="grad", fmt: str = "md", key: bool = False, *, grad: float = 1.0,
              title: str | None = None) -> str:
    """A worksheet (``key=False``) or its answer key (``key=True``) for ``root``'s graph, as
    ``fmt`` ``"md"`` (Markdown), ``"latex"`` (a whole document) or ``"html"`` (a page with
    the graph's picture; needs the ``[viz]`` extra).  ``blanks``: ``"data"``, ``"local"``,
    ``"grad"``, ``"all"`` or a list of them (see the module docstring)."""
    fmt = _FORMAT_ALIASES.get(fmt, fmt) if isinstance(fmt, str) else fmt
    if fmt not in FORMATS:
        raise ValueError(f"worksheet: fmt must be 'md', 'latex' or 'html', got {fmt!r}")
    if not isinstance(key, bool):
        raise TypeError(f"worksheet: key must be True or False, got {key!r}")
    s = sheet(root, blanks, grad, title)
    if fmt == "md":
        return markdown(s, key)
    if fmt == "latex":
        return latex(s, key)
    return page(s, key, root, grad)


def _blank_or(cell: Cell, key: bool, blank: str, answer: str, plain: str) -> str:
    if not cell.blank:
        return plain
    return answer if key else blank


# ---- Markdown ----------------------------------------------------------------------------------
def markdown(s: Sheet, key: bool) -> str:
    """The sheet in Markdown: blanks as ``____``, the key's answers in bold."""
    def cell(c: Cell) -> str:
        return _blank_or(c, key, r"\_\_\_\_", f"**{markdown_escape(c.text)}**", markdown_escape(c.text))

    given = ", ".join(f"{markdown_escape(n)} = {v}" for n, v in s.given)
    graph = markdown_table(("node", "computed as", "value", f"∂{s.root_name}/∂node"),
                           [(markdown_escape(n), markdown_escape(d), cell(v), cell(g)) for n, d, v, g in s.graph],
                           align="<<>>", raw=True)
    steps = markdown_table(STEP_HEADER, [(i, markdown_escape(e), *map(cell, cs)) for i, e, *cs in s.steps],
                           align=STEP_ALIGN, raw=True)
    head = f"# {markdown_escape(s.title)}{' — answer key' if key else ''}"
    return (f"{head}\n\nInputs: {given}\n\n{markdown_escape(INSTRUCTION.format(seed=s.seed))}\n\n"
            f"## The graph\n\n{graph}\n\n## The backward pass, one edge per step\n\n{steps}\n")


# ---- LaTeX -------------------------------------------------------------------------------------
def latex(s: Sheet, key: bool) -> str:
    """The sheet as a LaTeX ``article``: blanks as rules to write on, the key's answers in bold."""
    def cell(c: Cell) -> str:
        return _blank_or(c, key, r"\rule{1.6cm}{0.4pt}", rf"\textbf{{{latex_number(c.text)}}}", latex_number(c.text))

    given = ", ".join(f"{latex_escape(n)} = {latex_number(v)}" for n, v in s.given)
    graph = latex_table(("node", "computed as", "value", rf"$\partial {_math_name(s.root_name)}/\partial$node"),
                        [(latex_escape(n), latex_escape(d), cell(v), cell(g)) for n, d, v, g in s.graph],
                        align="<<>>", raw=True)
    steps = latex_table(STEP_HEADER_LATEX,
                        [(i, latex_escape(e), *map(cell, cs)) for i, e, *cs in s.steps], align=STEP_ALIGN, raw=True)
    return "\n".join([
        r"\documentclass[11pt]{article}",
        r"\usepackage[utf8]{inputenc}",
        r"\usepackage[margin=2cm]{geometry}",
        r"\renewcommand{\arraystretch}{1.6}",
        r"\pagestyle{empty}",
        r"\begin{document}",
        rf"\section*{{{latex_escape(s.title)}{' --- answer key' if key else ''}}}",
        rf"Inputs: {given}.\par\medskip",
        latex_escape(INSTRUCTION.format(seed=s.seed)) + r"\par\bigskip",
        r"\subsection*{The graph}", graph, r"\bigskip",
        r"\subsection*{The backward pass, one edge per step}", steps,
        r"\end{document}", ""])


def _math_name(name: str) -> str:
    return rf"\mathrm{{{latex_escape(name)}}}" if name.isascii() and name.isidentifier() else latex_escape(name)


# ---- HTML --------------------------------------------------------------------------------------
_CSS = """
body { font-family: "DejaVu Sans", Arial, sans-serif; max-width: 180mm; margin: 1.5em auto; color: #111; }
h1 { font-size: 1.35em; } h2 { font-size: 1.1em; margin-top: 1.4em; }
table { border-collapse: collapse; margin: 0.5em 0; page-break-inside: avoid; }
th, td { border: 1px solid #999; padding: 0.3em 0.6em; text-align: right; }
th:nth-child(2), td:nth-child(2) { text-align: left; }
.blank { display: inline-block; min-width: 4.5em; height: 1.3em; border-bottom: 1px solid #333; }
.answer { font-weight: bold; color: #c62828; }
figure { margin: 0.5em 0; text-align: center; page-break-inside: avoid; }
figure svg { max-width: 100%; height: auto; }
@page { margin: 15mm; }  /* no size: the printer's A4 or Letter, the content fits both (180 mm wide) */
@media print { body { margin: 0; max-width: none; } a { color: inherit; } }
"""


def page(s: Sheet, key: bool, root: Value | None = None, grad: float = 1.0) -> str:
    """The sheet as a self-contained HTML page (no script; CSS and the SVG picture inline)."""
    esc = html.escape

    def cell(c: Cell) -> str:
        return _blank_or(c, key, '<span class="blank"></span>', f'<span class="answer">{esc(c.text)}</span>', esc(c.text))

    def table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
        head = "".join(f"<th>{esc(h)}</th>" for h in header)
        body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    picture = _picture(root, s, key, grad) if root is not None else ""
    given = ", ".join(f"{esc(n)} = {esc(v)}" for n, v in s.given)
    graph = table(("node", "computed as", "value", f"∂{s.root_name}/∂node"),
                  [(esc(n), esc(d), cell(v), cell(g)) for n, d, v, g in s.graph])
    steps = table(STEP_HEADER, [(esc(i), esc(e), *map(cell, cs)) for i, e, *cs in s.steps])
    title = esc(s.title + (" — answer key" if key else ""))
    csp = "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; script-src 'none'"
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta http-equiv="Content-Security-Policy" content="{csp}">\n<title>{title}</title>\n'
            f"<style>{_CSS}</style>\n</head>\n<body>\n<h1>{title}</h1>\n<p>Inputs: {given}</p>\n"
            f"<p>{esc(INSTRUCTION.format(seed=s.seed))}</p>\n<h2>The graph</h2>\n{picture}\n{graph}\n"
            f"<h2>The backward pass, one edge per step</h2>\n{steps}\n</body>\n</html>\n")


def _picture(root: Value, s: Sheet, key: bool, grad: float) -> str:
    """The graph's picture (the player's layout of :mod:`viz`'s drawing), its fields showing the
    sheet's numbers: "?" where the student fills in, the answer on the key."""
    import xml.etree.ElementTree as ET

    from .player import layout_svg, player_data  # the player's one layout, its fields tagged
    from .viz import _num as _four  # numbers as the pictures write them

    _SVG_NS = "http://www.w3.org/2000/svg"

    data = player_data(root, grad, max_nodes=max(len(root.nodes()), 1))
    svg = layout_svg(root, data, rankdir="LR")
    names = node_names(root)
    cells = {name: (value, gradient) for name, _, value, gradient in s.graph}
    order = root.nodes()
    ET.register_namespace("", _SVG_NS)
    tree = ET.fromstring(svg)
    for text in tree.iter(f"{{{_SVG_NS}}}text"):
        field, node = text.get("data-field"), text.get("data-node")
        if field not in ("data", "grad") or node is None:
            continue
        v = order[int(node)]
        value, gradient = cells[names[v]]
        c = value if field == "data" else gradient
        shown = _four(v.data) if field == "data" else _four(data["nodes"][int(node)]["final"])
        text.text = f"{field} {'?' if c.blank and not key else shown}"
    for el in tree.iter():  # the page has no script: the player's hooks are only clutter here
        for name in [n for n in el.attrib if n.startswith("data-")]:
            del el.attrib[name]
    return f'<figure role="img" aria-label="the computation graph">{ET.tostring(tree, encoding="unicode")}</figure>'
