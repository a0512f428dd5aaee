"""The player's focus view: on a graph too big to read whole (a 60-Value MLP loss), the page
opens zoomed on the current step -- the sending node, its op, the receiving node and the edge --
with every text there drawn at ≥ 11 px at the default window size, the rest faded, following
each step; a small graph (Benedict Florance's f = (a+b)(b+c)) opens whole, as before.
Checked in Debian's Chromium."""

from __future__ import annotations

import pytest

pytest.importorskip("graphviz")

from autograd_engine import Value, play  # noqa: E402
from test_player import Page  # noqa: E402  (browser: conftest.py's Chromium fixture)

MIN_PX = 11

# per text: its font size in screen px (font-size × the screen scale) and whether its box lies
# inside the visible graph area
_TEXTS_JS = """(sel) => {
  const area = document.getElementById('graph').getBoundingClientRect();
  return [...document.querySelectorAll(sel)].map(t => {
    const r = t.getBoundingClientRect(), m = t.getScreenCTM();
    const px = parseFloat(t.getAttribute('font-size') || getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b);
    const inside = r.left >= area.left - 1 && r.right <= area.right + 1 && r.top >= area.top - 1 && r.bottom <= area.bottom + 1;
    return [t.textContent, px, inside];
  });
}"""


def jump(page: Page, frame: int) -> None:
    """To a frame with the scrubber, as a user dragging it (one event, not a click per frame)."""
    page.page.evaluate("(f) => { const s = document.getElementById('scrub'); s.value = String(f); "
                       "s.dispatchEvent(new Event('input')); }", frame)


def mlp_loss():
    nn = pytest.importorskip("nn")
    model = nn.MLP(3, [4, 4, 1], seed=0)
    return nn.mse(model([0.5, -1.0, 2.0]), [0.25])


@pytest.fixture
def open_player(browser, tmp_path):
    pages = []

    def opener(root: Value) -> Page:
        page = Page(browser, play(root), tmp_path / f"p{len(pages)}.html")
        pages.append(page)
        return page

    yield opener
    for page in pages:
        errors = page.errors
        page.page.close()
        assert not errors, errors


def test_a_big_graph_opens_focused_on_each_step_at_a_readable_size(open_player):
    root = mlp_loss()
    page = open_player(root)
    assert page.n == 60
    assert page.page.is_checked("#focus")  # whole, its text would be a few px: focus is on
    first = page.n + 2
    for frame in (first, first + 9, first + page.e // 2, page.done - 1):
        jump(page, frame)
        texts = page.page.evaluate(_TEXTS_JS, "#graph g.near text")
        step = page.page.evaluate("() => +document.body.dataset.step")
        assert texts, frame
        for text, px, inside in texts:
            assert px >= MIN_PX, (frame, text, px)
        sender_receiver = page.page.evaluate(
            _TEXTS_JS, "#graph g.sender text, #graph g.receiver text")
        assert len(sender_receiver) == 6 and all(inside for *_, inside in sender_receiver), (frame, sender_receiver)
        assert step == frame - first + 1
        faded = page.page.evaluate("() => getComputedStyle(document.querySelector('#graph g.node:not(.near)')).opacity")
        assert float(faded) < 1  # the rest is faded
    page.page.uncheck("#focus")  # the whole picture again: that is what was unreadable
    whole = page.page.evaluate(_TEXTS_JS, "#graph g[data-node] text")
    assert max(px for _, px, _ in whole) < MIN_PX


def test_a_small_graph_opens_whole_and_readable(open_player):
    a, b, c = Value(-1.0, "a"), Value(3.0, "b"), Value(4.0, "c")
    page = open_player((a + b) * (b + c))
    assert not page.page.is_checked("#focus")
    jump(page, page.n + 2 + 4)
    texts = page.page.evaluate(_TEXTS_JS, "#graph g[data-node] text")
    assert len(texts) == 18 and all(px >= MIN_PX and inside for _, px, inside in texts), texts
