"""The player says only true things: no caption left over from the static picture, the panel in
the rule's own variables with each bound to its node ("z = x · y with z = f, x = v1, y = v2"),
indices counted from 1 as the labels are, and during the backward pass the active edge pointing
the way the gradient flows (from the op back to the parent).  Checked in Debian's Chromium.

Graph: Benedict Florance's f = (a+b)(b+c) at a = −1, b = 3, c = 4 (x = a + b, y = b + c unlabelled,
so the pictures call them v1 and v2).
"""

from __future__ import annotations

import re

import pytest

pytest.importorskip("graphviz")

from autograd_engine import Value, play  # noqa: E402
from autograd_engine.teach.player import player_data  # noqa: E402
from test_player import Page  # noqa: E402  (browser: conftest.py's Chromium fixture)


def florance():
    a, b, c = Value(-1.0, "a"), Value(3.0, "b"), Value(4.0, "c")
    return (a + b) * (b + c)


def test_no_caption_from_the_static_picture_in_the_page():
    # every gradient of this pass prints as one character (7, 9, 2, 1): the widths the page was
    # laid out with used to look like "no backward pass has run" to draw_dot
    svg = play(florance()).svg
    assert "no backward pass" not in svg and "grad —" not in svg


def test_sequence_operands_count_from_one_like_the_labels():
    w = [Value(0.5, "w[1][1][1]"), Value(-2.0, "w[1][1][2]")]
    z = Value.dot(w, [Value(3.0, "x[1]"), 4.0])
    data = player_data(z)
    assert [e["arg"] for e in data["edges"]] == ["ws[1]", "ws[2]", "xs[1]"]
    assert [b[0] for b in data["nodes"][-1]["bind"]] == ["ws[1]", "ws[2]", "xs[1]", "xs[2]"]
    assert data["edges"][0]["formula"] == "xs[1]"


@pytest.fixture
def page(browser, tmp_path):
    opened = Page(browser, play(florance()), tmp_path / "truth.html")
    yield opened
    errors = opened.errors
    opened.page.close()
    assert not errors, errors


def test_no_frame_says_no_backward_pass_has_run(page):
    for frame in range(page.done + 1):
        page.page.evaluate(f"() => {{ document.getElementById('scrub').value = '{frame}'; "
                           "document.getElementById('scrub').dispatchEvent(new Event('input')); }")
        shown = page.page.text_content("#graph")
        assert "no backward pass" not in shown and "grad —" not in shown, frame


def test_the_panel_speaks_in_the_rules_variables_and_binds_them(page):
    page.step_to(page.n + 2 + 5)  # step 6: v2 = b + c sends 2 to c, its operand y
    header = page.page.text_content("#row-local th")
    rule = page.page.text_content("#rule")
    assert header == "local ∂z/∂y"  # the rule's own variable, the one the rule text differentiates by
    assert rule.startswith("add distributes: ∂z/∂y = 1") and "(z = x + y with z = v2, x = b, y = c)" in rule
    assert page.page.text_content("#local-name") == "∂v2/∂c"  # the same derivative in the graph's names
    page.step_to(page.n + 2 + 1)  # step 2: f = v1 · v2 sends 7 · 2 to v2, its operand y
    assert page.page.text_content("#row-local th") == "local ∂z/∂y"
    assert "multiply swaps: ∂z/∂y = x = 2   (z = x · y with z = f, x = v1, y = v2)" in page.page.text_content("#rule")
    page.step_to(page.n + 2)  # step 1: to v1, operand x
    assert page.page.text_content("#row-local th") == "local ∂z/∂x"


def test_the_active_edge_points_the_way_the_gradient_flows(page):
    page.step_to(page.n + 2 + 4)  # step 5: v2 → b
    got = page.page.evaluate("""() => {
      const g = document.querySelector('g.edge.active[data-edge]');
      const path = g.querySelector('path'), head = g.querySelector('polygon');
      const centre = el => { const b = el.getBBox(); return [b.x + b.width / 2, b.y + b.height / 2]; };
      const start = path.getPointAtLength(0), end = path.getPointAtLength(path.getTotalLength());
      const parent = centre(document.querySelector(`g[data-node="${g.dataset.parent}"]`));
      const dist = (p, c) => Math.hypot(p.x - c[0], p.y - c[1]);
      return {marker: getComputedStyle(path).markerStart, head: getComputedStyle(head).visibility,
              marker_exists: !!document.getElementById('flow-back'),
              start_to_parent: dist(start, parent), end_to_parent: dist(end, parent),
              parent: +g.dataset.parent, child: +g.dataset.child};
    }""")
    assert got["marker"] == 'url("#flow-back")' and got["head"] == "hidden" and got["marker_exists"]
    # the reversed arrowhead sits at the path's start, which is the parent's end: it points at b
    assert got["start_to_parent"] < got["end_to_parent"]
    page.step_to(page.n)  # forward frames: edges point forward as drawn, nothing reversed
    assert page.page.evaluate("() => document.querySelectorAll('g.edge.active').length") == 0
