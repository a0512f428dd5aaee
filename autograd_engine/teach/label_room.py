"""Where a step picture's edge label goes: beside its edge, crossed by no other edge.

A step picture (:func:`~autograd_engine.teach.pictures.step_pictures`) pins every node where
one layout put it and lets neato draw each edge as a straight line from node to node (into a
dot record's field for a neuron's term).  The highlighted edge's label,
``∂f/∂v1 · ∂v1/∂b = 2 × 1 = 2``, is a text pinned on its own; put where the first layout left
room, it was crossed by the other edges into the same op.  :func:`place_label` knows every
segment the frame will draw and every node's box, and picks the free spot nearest the edge's
middle.  Plain geometry over the layout's numbers: it imports nothing of the drawing code.
"""

from __future__ import annotations

from typing import Iterable, Optional

CHAR_PT, LINE_PT, PAD_PT = 6.2, 13.0, 3.0
"""A 10-pt DejaVu Sans character is about 6 pt wide on average (``∂`` and digits included), a
line about 13 pt high; the label's white box adds ``PAD_PT`` on each side."""
STEP_PT = 4.0  # the search grid
REACH_PT = (160.0, 90.0)  # how far from the edge's middle a label may go, across and up or down


def label_size(text: str) -> tuple[float, float]:
    """Width and height in points of the box drawn behind a 10-pt label."""
    return len(text) * CHAR_PT + 2 * PAD_PT, LINE_PT + 2 * PAD_PT


def _crosses(seg, box) -> bool:
    """Whether segment ((x0, y0), (x1, y1)) meets the rectangle (left, bottom, right, top):
    Liang-Barsky clipping of the segment's parameter t in [0, 1] to the box."""
    (x0, y0), (x1, y1) = seg
    left, bottom, right, top = box
    dx, dy = x1 - x0, y1 - y0
    lo, hi = 0.0, 1.0
    for p, q in ((-dx, x0 - left), (dx, right - x0), (-dy, y0 - bottom), (dy, top - y0)):
        if p == 0.0:
            if q < 0.0:
                return False  # parallel to this side and outside it
            continue
        t = q / p
        if p < 0.0:
            lo = max(lo, t)
        else:
            hi = min(hi, t)
        if lo > hi:
            return False
    return True


def _overlaps(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def node_box(node: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """(left, bottom, right, top) in points of a laid-out node (x, y in points, width and height
    in inches, as Graphviz's JSON gives them)."""
    x, y, w, h = node
    return x - 36.0 * w, y - 36.0 * h, x + 36.0 * w, y + 36.0 * h


def end_point(nodes: dict, name: str, field: Optional[tuple[int, int]] = None) -> tuple[float, float]:
    """Where an edge meets node ``name``: its centre, or for ``field = (k, n)`` the middle of
    field k of a record of n fields stacked top to bottom (a neuron's terms)."""
    x, y, w, h = nodes[name]
    if field is None:
        return x, y
    k, n = field
    return x, y + 36.0 * h - 72.0 * h * (k + 0.5) / n


def place_label(nodes: dict, bb: tuple, segments: Iterable, edge: tuple, text: str,
                prefer: Optional[tuple[float, float]] = None) -> tuple[float, float]:
    """The centre (x, y), in points, for ``text``'s box: inside the drawing's box ``bb``,
    overlapping no node of ``nodes`` (name -> (x, y, width in, height in)) and crossed by no
    segment of ``segments`` (every edge the frame draws, ``edge`` -- the labelled one --
    included), as near as possible to ``prefer`` (default: the middle of ``edge``), searched
    within ``REACH_PT`` of it.

    Where no spot there is free, the spot crossed by the fewest segments (the label's white
    box, drawn over the edges, keeps it readable there too)."""
    (tx, ty), (hx, hy) = edge
    px, py = prefer if prefer is not None else ((tx + hx) / 2, (ty + hy) / 2)
    w, h = label_size(text)
    x0, y0, x1, y1 = bb
    gap = 2.0
    reach_x, reach_y = REACH_PT
    xs = _grid(max(x0 + w / 2, px - reach_x), min(x1 - w / 2, px + reach_x), px)
    ys = _grid(max(y0 + h / 2, py - reach_y), min(y1 - h / 2, py + reach_y), py)
    # only what can touch a box centred in the searched region
    region = (xs[0] - w / 2 - gap, ys[0] - h / 2 - gap, xs[-1] + w / 2 + gap, ys[-1] + h / 2 + gap)
    boxes = [b for b in map(node_box, nodes.values()) if _overlaps(b, region)]
    near = [s for s in segments if _crosses(s, region)]
    best, fewest = (px, py), len(near) + 1
    for x, y in sorted(((x, y) for x in xs for y in ys), key=lambda c: (c[0] - px) ** 2 + (c[1] - py) ** 2):
        box = (x - w / 2 - gap, y - h / 2 - gap, x + w / 2 + gap, y + h / 2 + gap)
        if any(_overlaps(box, b) for b in boxes):
            continue
        crossed = 0
        for s in near:
            if _crosses(s, box):
                crossed += 1
                if crossed >= fewest:
                    break
        if not crossed:
            return x, y
        if crossed < fewest:
            best, fewest = (x, y), crossed
    return best


def _grid(lo: float, hi: float, around: float) -> list[float]:
    """Points STEP_PT apart from ``lo`` to ``hi`` (the middle alone if ``hi < lo``), ``around``
    among them when inside."""
    if hi < lo:
        return [(lo + hi) / 2]
    around = min(max(around, lo), hi)
    n_down, n_up = int((around - lo) / STEP_PT), int((hi - around) / STEP_PT)
    return [around - k * STEP_PT for k in range(n_down, 0, -1)] + [around + k * STEP_PT for k in range(n_up + 1)]
