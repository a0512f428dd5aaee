"""The backprop player: the page's data is the walk-through's, the page is safe and self-contained,
and in a real browser (Debian's Chromium driven by Playwright) every frame shows exactly what
``backward_steps()`` computes, stepping back undoes one step, nothing moves, the quiz scores,
and labels that look like markup stay text.

Numbers are Benedict Florance's f = (a+b)(b+c) at a = −1, b = 3, c = 4: x = 2, y = 7, f = 14,
∂f/∂a = 7, ∂f/∂b = 9 (7, then 2 more), ∂f/∂c = 2.
"""

from __future__ import annotations

import html
import json
import math
import random
import re
import tomllib
from html.parser import HTMLParser
from pathlib import Path

import pytest

pytest.importorskip("graphviz")

from autograd_engine import RULES, Value, play  # noqa: E402
from autograd_engine.backprop import forward_order  # noqa: E402
from autograd_engine.teach import player as player_module  # noqa: E402
from autograd_engine.teach.naming import node_names  # noqa: E402
from autograd_engine.teach.player import MAX_NODES, Player, json_for_script, player_data, pretty  # noqa: E402
from autograd_engine.teach.walkthrough import backward_steps, number  # noqa: E402
from test_properties import BINARY, NARY, UNARY, build  # noqa: E402
from test_walkthrough import florance_example  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
XSS_IMG = "<img src=x onerror=window.__pwned=1;alert(1)>"
XSS_SCRIPT = "</script><script>window.__pwned=2;alert(2)</script>"


def four(x: float) -> str:
    return format(x + 0.0, ".4g")


def random_program(rng: random.Random):
    """A program in test_properties' format (the same ops, fan-out everywhere), drawn from rng."""
    n_inputs = rng.randint(1, 3)
    steps = []
    for i in range(rng.randint(2, 5)):
        avail = n_inputs + i
        kind = rng.choice("ubn")
        if kind == "u":
            steps.append(("u", rng.choice(sorted(UNARY)), rng.randrange(avail)))
        elif kind == "b":
            steps.append(("b", rng.choice(sorted(BINARY)), rng.randrange(avail), rng.randrange(avail)))
        else:
            steps.append(("n", rng.choice(sorted(NARY)), *[rng.randrange(avail) for _ in range(rng.randint(1, 3))]))
    return steps, [rng.uniform(-2, 2) for _ in range(n_inputs)]


def oracle(root: Value) -> list[tuple]:
    """After each step of backward_steps(): (step, every node's .grad in forward order)."""
    order = forward_order(root)
    return [(s, [v.grad for v in order]) for s in backward_steps(root)]


# ---- the data, without a browser -------------------------------------------------------------
def test_the_steps_are_backward_steps_and_play_changes_no_gradient():
    a, b, c, x, y, f = florance_example()
    data = player_data(f)
    assert [v.grad for v in (a, b, c, x, y, f)] == [0.0] * 6  # play() shows a pass, it makes none
    order = forward_order(f)
    names = [n["name"] for n in data["nodes"]]
    assert names == [v.label for v in order] == ["a", "b", "x", "c", "y", "f"]
    got = [(names[s["child"]], names[s["parent"]], s["upstream"], s["local"], s["contribution"], s["before"],
            s["after"]) for s in data["steps"]]
    assert got == [("f", "x", 1, 7, 7, 0, 7), ("f", "y", 1, 2, 2, 0, 2), ("x", "a", 7, 1, 7, 0, 7),
                   ("x", "b", 7, 1, 7, 0, 7), ("y", "b", 2, 1, 2, 7, 9), ("y", "c", 2, 1, 2, 0, 2)]
    final = {n["name"]: n["final"] for n in data["nodes"]}
    assert final == {"a": 7, "b": 9, "c": 2, "x": 7, "y": 2, "f": 1}
    assert data["steps"][4]["text"] == {"upstream": "2", "local": "1", "contribution": "2", "before": "7", "after": "9"}


def test_each_local_gradient_quotes_its_rule_from_the_table():
    *_, f = florance_example()
    edges = player_data(f)["edges"]
    mul = [e for e in edges if e["op"] == "mul"]
    assert [(e["arg"], e["formula"], e["words"]) for e in mul] == [("x", "y", "multiply swaps"), ("y", "x", "multiply swaps")]
    assert {(e["arg"], e["formula"]) for e in edges if e["op"] == "add"} == {("x", "1"), ("y", "1")}
    u, w = Value(0.5, "u"), Value(2.0, "w")
    z = (u * w).tanh() + Value.dot([u, w], [w, 3.0]) + Value.sum([u, w, u]) + u ** 3
    by_op = {}
    for e in player_data(z)["edges"]:
        by_op.setdefault(e["op"], []).append((e["arg"], e["formula"]))
    assert by_op["tanh"] == [("x", pretty(RULES["tanh"].grads[0]))] == [("x", "1 − z · z")]
    assert by_op["dot"] == [("ws[1]", "xs[1]"), ("ws[2]", "xs[2]"), ("xs[1]", "ws[1]")]  # xs[2] = 3 is a number
    assert by_op["sum"] == [("xs[1]", "1"), ("xs[2]", "1"), ("xs[3]", "1")]
    assert by_op["pow"] == [("x", "n · pow(x, where(n == 0, 1, n − 1))")]  # x⁰'s slope is 0 at 0 too
    assert all(rule.words for rule in RULES.values())  # every rule of the table has its words
    from autograd_engine.teach import player as player_module  # the old table's name reads the rows

    assert player_module.DESCRIPTIONS["mul"] == "multiply swaps"


def test_graphs_over_the_limit_are_refused_with_how_to_raise_it():
    v = Value(0.5)
    for _ in range(MAX_NODES):
        v = v * 1.01
    with pytest.raises(ValueError, match=r"301 Values .*max_nodes=300.*play\(root, max_nodes=301\)"):
        play(v)
    assert len(player_data(v, max_nodes=301)["steps"]) == 300
    x = Value(1.0)
    with pytest.raises(ValueError, match=r"2 Values and 1300 edges.*max_nodes=325"):
        play(Value.sum([x] * 1300))  # an n-ary node: few Values, many edges
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="max_nodes must be a positive int"):
            play(x, max_nodes=bad)
    with pytest.raises(TypeError, match="play: root must be a Value, got float"):
        play(3.0)
    with pytest.raises(TypeError, match="title must be a str"):
        play(x * 2, title=3)


def test_labels_are_data_never_markup_in_the_saved_page():
    a, b = Value(1.0, XSS_IMG), Value(2.0, XSS_SCRIPT)
    c = a * b
    c.label = "{{JS}} & {{DATA}}"  # placeholders in a label are not filled in
    p = play(c, title=XSS_SCRIPT)
    blob = re.search(r'<script type="application/json" id="player-data">(.*?)</script>', p.html, re.S).group(1)
    assert "<" not in blob and ">" not in blob and "&" not in blob
    assert json.loads(blob) == json.loads(json_for_script(p.data)) == p.data
    assert [n["label"] for n in json.loads(blob)["nodes"]][-1] == "{{JS}} & {{DATA}}"
    assert "<img" not in p.html and "<script>window" not in p.html
    tags = _tags(p.html)
    assert [t for t, _ in tags if t == "script"] == ["script", "script"]  # the data and the player
    assert not [t for t, _ in tags if t in ("img", "iframe", "object", "embed", "link", "a")]


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _tags(text: str) -> list[tuple[str, dict]]:
    parser = _Collect()
    parser.feed(text)
    return parser.tags


def test_the_page_is_self_contained_and_loads_nothing():
    *_, f = florance_example()
    page = play(f).html
    for tag, attrs in _tags(page):
        assert not {"src", "href", "xlink:href"} & set(attrs), (tag, attrs)
    urls = set(re.findall(r"https?://[^\s\"'<>]+", page))
    assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}  # namespace names
    assert "default-src 'none'" in page  # and the CSP refuses any load that would slip in


def test_notebook_display_is_an_iframe_whose_srcdoc_is_the_page(tmp_path):
    *_, f = florance_example()
    p = play(f)
    shown = p._repr_html_()
    tags = _tags(shown)
    assert [t for t, _ in tags] == ["iframe"]  # everything else is inside the attribute
    assert tags[0][1]["srcdoc"] == p.html and tags[0][1]["sandbox"] == "allow-scripts"
    assert "6 backward steps" in repr(p) and p.n_steps == 6


def test_save_writes_atomically_and_refuses_bad_paths(tmp_path):
    *_, f = florance_example()
    p = play(f)
    target = tmp_path / "f.html"
    target.write_text("old")
    assert p.save(target) == target and target.read_text(encoding="utf-8") == p.html
    assert [q.name for q in tmp_path.iterdir()] == ["f.html"]  # no temporary file left
    with pytest.raises(FileNotFoundError, match="does not exist"):
        p.save(tmp_path / "missing" / "f.html")
    with pytest.raises(IsADirectoryError, match="is a directory"):
        p.save(tmp_path)
    with pytest.raises(TypeError, match="path must be a str"):
        p.save(3)


def test_every_svg_edge_and_record_is_tagged_for_the_page():
    u = Value(1.5, "u")
    z = u * u + (2 * u).exp()  # a Value used twice by one node: two edges with one Graphviz name
    p = play(z)
    tags = _tags(p.svg)
    edges = [a for t, a in tags if t == "g" and "data-edge" in a]
    assert sorted(int(a["data-edge"]) for a in edges) == list(range(len(p.data["edges"])))
    for a in edges:
        e = p.data["edges"][int(a["data-edge"])]
        assert (int(a["data-parent"]), int(a["data-child"])) == (e["parent"], e["child"])
    assert sorted(int(a["data-node"]) for t, a in tags if t == "g" and "data-node" in a) == list(range(len(p.data["nodes"])))
    assert len([a for t, a in tags if t == "text" and a.get("data-field") == "grad"]) == len(p.data["nodes"])
    assert not [t for t, _ in tags if t == "title"]


def test_the_assets_ship_as_package_data():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    globs = config["tool"]["setuptools"]["package-data"]["autograd_engine.teach"]
    folder = ROOT / "autograd_engine" / "teach"
    shipped = {p for g in globs for p in folder.glob(g)}
    assert {p for p in (folder / "player_assets").iterdir() if p.is_file()} <= shipped
    assert {"player.html", "player.css", "player.js"} <= {p.name for p in shipped}
    assert "browser" in config["project"]["optional-dependencies"]["dev"][0]


def test_trace_html_writes_the_player(tmp_path, capsys):
    from autograd_engine.cli.main import main

    out = tmp_path / "trace.html"
    assert main(["trace", "(a+b)*(b+c)", "a=-1", "b=3", "c=4", "--html", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out and out.is_file()
    data = json.loads(re.search(r'id="player-data">(.*?)</script>', out.read_text(encoding="utf-8"), re.S).group(1))
    assert {n["name"]: n["final"] for n in data["nodes"] if n["leaf"]} == {"a": 7, "b": 9, "c": 2}
    assert all(n["held"] == 0 for n in data["nodes"])  # the trace's own backward pass is not added
    assert main(["trace", "a*b", "a=1", "b=2", "--html", str(tmp_path / "no" / "x.html")]) == 2
    assert "--html: the directory" in capsys.readouterr().err


# ---- in a real browser -------------------------------------------------------------------------
class Page:
    """A saved player opened from file://, with every console error, page error and dialog kept."""

    def __init__(self, browser, player: Player, path: Path):
        player.save(path)
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.page = browser.new_page(viewport={"width": 1100, "height": 700})
        self.page.on("console", lambda m: self.errors.append(f"console: {m.text}") if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.goto(path.resolve().as_uri())
        self.page.wait_for_selector("body[data-ready='1']")
        self.n = len(player.data["nodes"])
        self.e = len(player.data["steps"])
        self.done = self.n + 2 + self.e  # frames: start, forward..., seed, edges..., done

    def state(self) -> dict:
        return self.page.evaluate(_STATE_JS)

    def state_and_geometry(self, press: str = "") -> list:
        """Optionally click a button (its click handler runs as for a user's click), then read
        the DOM: one round trip to the browser."""
        click = f"document.getElementById('{press}').click();" if press else ""
        return self.page.evaluate(f"() => {{ {click} return [({_STATE_JS})(), ({_GEOMETRY_JS})()]; }}")

    def step_to(self, frame: int) -> None:
        self.page.click("#start")
        for _ in range(frame):
            self.page.click("#step")


_STATE_JS = """() => {
  const q = id => document.getElementById(id).textContent;
  const grads = [], shown = [], datas = [];
  document.querySelectorAll('text[data-field="grad"]').forEach(t => {
    const i = +t.getAttribute('data-node'); grads[i] = t.getAttribute('data-value'); shown[i] = t.textContent; });
  document.querySelectorAll('text[data-field="data"]').forEach(t => { datas[+t.getAttribute('data-node')] = t.textContent; });
  const pick = sel => { const g = document.querySelector(sel); return g ? g : null; };
  const active = [...document.querySelectorAll('g.edge.active[data-edge]')].map(g => [+g.dataset.parent, +g.dataset.child]);
  const sender = pick('g.sender[data-node]'), receiver = pick('g.receiver[data-node]');
  return {frame: +document.body.dataset.frame, phase: q('phase'), what: q('what'), upstream: q('upstream'),
          local: q('local'), contribution: q('contribution'), before: q('grad-before'), after: q('grad-after'),
          rule: q('rule'), score: q('score'), feedback: q('feedback'), grads, shown, datas, active,
          sender: sender && +sender.dataset.node, receiver: receiver && +receiver.dataset.node,
          play: q('play')};
}"""

_GEOMETRY_JS = """() => {
  const svg = document.querySelector('#graph svg'), attrs = ['points', 'd', 'cx', 'cy', 'rx', 'ry', 'x', 'y'];
  const out = [...svg.querySelectorAll('polygon, polyline, path, ellipse, text')].map(
    el => [el.tagName, ...attrs.map(a => el.getAttribute(a))]);
  const r = svg.getBoundingClientRect(), b = svg.querySelector('g').getBBox();
  out.push([r.x, r.y, r.width, r.height], [b.x, b.y, b.width, b.height]);
  return out.map(row => row.join(' ')).join(' | ');  // one string: cheap to send back every frame
}"""


@pytest.fixture
def open_page(browser, tmp_path):
    pages = []

    def opener(player: Player, name: str = "player.html") -> Page:
        page = Page(browser, player, tmp_path / name)
        pages.append(page)
        return page

    yield opener
    for page in pages:
        errors, dialogs = page.errors, page.dialogs
        page.page.close()
        assert not errors, errors  # a page that throws can still look fine
        assert not dialogs, dialogs


def check_every_frame(page: Page, root: Value, back: bool = False, keys: bool = False) -> None:
    """Step through every frame: the DOM equals backward_steps() after each step (and with
    ``back``, stepping back restores the previous frame exactly); nothing moves."""
    expected = oracle(root)
    order = forward_order(root)
    by_node = node_names(root)
    names = [by_node[v] for v in order]
    index = {id(v): i for i, v in enumerate(order)}
    for v in order:
        v.grad = 0.0  # the oracle's walk left the pass's gradients on the graph
    assert len(expected) == page.e
    page.page.click("#start")
    previous, geometry = page.state_and_geometry()
    assert previous["frame"] == 0 and all(g is None for g in previous["grads"])
    for frame in range(1, page.done + 1):
        if keys:
            page.page.keyboard.press("ArrowRight")  # the step key (the focus is on a button)
            st, now = page.state_and_geometry()
        else:
            st, now = page.state_and_geometry(press="step")
        assert now == geometry  # the layout never moves
        assert st["frame"] == frame
        if frame <= page.n:  # forward: nodes light up in topological order with their values
            assert st["datas"][frame - 1] == f"data {four(order[frame - 1].data)}"
            assert all(d == "data ?" for d in st["datas"][frame:])
            assert all(g is None for g in st["grads"])
        elif frame == page.n + 1:  # the seed
            assert [float(g) for g in st["grads"]] == [0.0] * (page.n - 1) + [1.0]
        elif frame < page.done:
            step, grads = expected[frame - page.n - 2]
            z, x = index[id(step.node)], index[id(step.parent)]
            assert f"{names[z]} → {names[x]}" in st["what"]
            assert (st["sender"], st["receiver"]) == (z, x)
            assert st["active"] == [[x, z]] or (st["active"] and all(a == [x, z] for a in st["active"]))
            assert (st["upstream"], st["local"], st["contribution"], st["after"]) == (
                number(step.upstream), number(step.local), number(step.contribution), number(step.parent_grad))
            assert [float(g) for g in st["grads"]] == grads  # every node's gradient, exactly
            assert st["shown"] == [f"grad {four(g)}" for g in grads]
            assert st["rule"]  # the rule's formula is shown
        else:
            assert "Done" in st["what"]
        if back:
            assert page.state_and_geometry(press="back") == [previous, geometry]  # exactly one step undone
            assert page.state_and_geometry(press="step") == [st, geometry]
        previous = st


def test_florance_example_every_frame_in_the_browser(open_page):
    a, b, c, x, y, f = florance_example()
    page = open_page(play(f))
    check_every_frame(page, f, back=True, keys=True)
    page.step_to(page.n + 2 + 4)  # step 5: y → b
    st = page.state()
    assert st["before"] == "7" and st["after"] == "9"  # b visibly gets 7, then 2 more: 9
    page.step_to(page.n + 2)  # step 1: f → x
    assert "multiply swaps: ∂z/∂x = y = 7" in page.state()["rule"]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_graphs_every_frame_in_the_browser(open_page, seed):
    rng = random.Random(seed)
    _, out = build(random_program(rng))
    page = open_page(play(out))
    check_every_frame(page, out)


def test_playing_to_the_end_gives_backward(open_page):
    *_, f = florance_example()
    page = open_page(play(f))
    page.page.evaluate("() => { const s = document.getElementById('speed'); s.value = s.max; }")
    page.page.click("#play")
    page.page.wait_for_function(f"() => document.body.dataset.frame === '{page.done}'", timeout=10_000)
    st = page.state()
    assert st["play"] == "▶ play"  # stopped by itself
    f.backward()
    assert [float(g) for g in st["grads"]] == [v.grad for v in forward_order(f)]
    assert "∂f/∂a = 7" in page.page.text_content("#forward-rule")


def test_keyboard(open_page):
    *_, f = florance_example()
    page = open_page(play(f))
    kb = page.page.keyboard
    kb.press("End")
    assert page.state()["frame"] == page.done
    kb.press("Home")
    for _ in range(3):
        kb.press("ArrowRight")
    kb.press("ArrowLeft")
    assert page.state()["frame"] == 2
    page.page.evaluate("() => { document.getElementById('speed').value = 0; }")  # slowest: 1.6 s a frame
    page.page.click("#step")  # the focus is now on a button: space must not also click it
    kb.press(" ")
    assert page.state()["play"] == "❚❚ pause"
    kb.press(" ")
    st = page.state()
    assert st["play"] == "▶ play" and st["frame"] == 3


def test_neuron_and_mlp_with_a_loss(open_page):
    nn = pytest.importorskip("nn")
    neuron = nn.Neuron(3, activation="tanh", seed=0)
    model = nn.MLP(2, [3, 1], seed=1)
    for name, root in (("neuron", neuron([0.5, -1.0, 2.0])), ("mlp", nn.mse(model([0.5, -1.0]), [0.25]))):
        page = open_page(play(root), f"{name}.html")
        page.page.keyboard.press("End")
        st = page.state()
        root.backward()
        assert [float(g) for g in st["grads"]] == [v.grad for v in forward_order(root)]


def test_quiz_right_scores_wrong_does_not_and_shows_the_rule(open_page):
    *_, f = florance_example()
    page = open_page(play(f))
    pg = page.page
    pg.check("#quiz")
    first = page.n + 2
    page.step_to(first)  # step 1: f → x, contribution 1 · 7 = 7
    st = page.state()
    assert (st["upstream"], st["local"], st["contribution"], st["after"]) == ("1", "?", "?", "?")
    assert st["shown"][forward_order(f).index(f.parents[0])] == "grad ?"  # gradients hidden
    pg.fill("#answer", "7")
    pg.press("#answer", "Enter")
    st = page.state()
    assert st["score"] == "score 1 / 6" and "Right" in st["feedback"] and st["contribution"] == "7"
    pg.click("#step")  # step 2: f → y, contribution 2
    pg.fill("#answer", "7")
    pg.click("#check")
    st = page.state()
    assert st["score"] == "score 1 / 6" and "multiply swaps: ∂z/∂y = x" in st["feedback"]
    assert st["contribution"] == "?"
    pg.fill("#answer", "2.001")  # within the tolerance, on a second try: right, no point
    pg.click("#check")
    assert page.state()["score"] == "score 1 / 6" and page.state()["contribution"] == "2"
    pg.click("#step")  # step 3: revealed, no point
    pg.click("#reveal")
    assert page.state()["contribution"] == "7" and page.state()["score"] == "score 1 / 6"
    pg.click("#step")  # step 4: x → b
    pg.select_option("#ask", "after")
    pg.fill("#answer", "7")
    pg.click("#check")
    pg.click("#step")  # step 5: y → b, b's new gradient 7 + 2 = 9
    pg.fill("#answer", "9")
    pg.click("#check")
    assert page.state()["score"] == "score 3 / 6"
    pg.keyboard.press("End")
    assert "Quiz score: 3 of 6 (1 revealed)" in page.state()["what"]


def test_markup_in_labels_and_title_stays_text(open_page):
    a, b = Value(1.0, XSS_IMG), Value(2.0, XSS_SCRIPT)
    c = a * b
    c.label = "&amp; \"q\" 'x'"
    page = open_page(play(c, title=XSS_IMG + XSS_SCRIPT))
    pg = page.page
    page.step_to(page.done)
    page.step_to(page.n + 2)
    assert pg.evaluate("() => document.querySelectorAll('img, iframe, object, embed').length") == 0
    assert pg.evaluate("() => document.scripts.length") == 2
    assert pg.evaluate("() => window.__pwned") is None
    labels = pg.evaluate("() => [...document.querySelectorAll('text[data-field=label]')].map(t => t.textContent)")
    assert sorted(labels) == sorted([XSS_IMG, XSS_SCRIPT, c.label])
    assert pg.text_content("#title") == XSS_IMG + XSS_SCRIPT and pg.title() == XSS_IMG + XSS_SCRIPT
    assert f"{c.label} → " in page.state()["what"]


def test_the_notebook_iframe_runs_the_page(browser, tmp_path):
    a = Value(2.0, XSS_IMG)
    p = play(a * a)
    host = tmp_path / "notebook.html"
    host.write_text(f"<!DOCTYPE html><meta charset='utf-8'><body>{p._repr_html_()}</body>", encoding="utf-8")
    page = browser.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("dialog", lambda d: (errors.append(d.message), d.dismiss()))
    page.goto(host.as_uri())
    frame = page.frame_locator("iframe")
    frame.locator("body[data-ready='1']").wait_for()
    frame.locator("#end").click()
    assert frame.locator("#phase").text_content() == "done"
    assert frame.locator("text[data-field=grad][data-node='0']").text_content() == "grad 4"  # ∂(a·a)/∂a = 2a
    assert page.evaluate("() => document.querySelectorAll('img').length") == 0
    page.close()
    assert not errors, errors


def test_screenshot_is_not_blank(open_page, tmp_path):
    image = pytest.importorskip("PIL.Image")
    np = pytest.importorskip("numpy")
    *_, f = florance_example()
    page = open_page(play(f))
    page.step_to(page.n + 2 + 4)
    shot = tmp_path / "player.png"  # a test artifact, kept in pytest's tmp_path
    page.page.screenshot(path=str(shot))
    pixels = np.asarray(image.open(shot).convert("RGB"), dtype=int).reshape(-1, 3)
    assert (pixels != 255).any(axis=1).mean() > 0.02

    def near(colour, tol=60):
        return int((np.abs(pixels - np.array(colour)) < tol).all(axis=1).sum())

    assert near((0x1A, 0x7F, 0x37)) > 50 and near((0xC6, 0x28, 0x28)) > 50  # green data, red gradients
    assert near((0xE6, 0x9F, 0x00)) > 50  # the highlighted edge


@pytest.mark.parametrize("what", ["label", "title", "nan"])
def test_lone_surrogates_and_nan_data_are_named_errors(what):
    pytest.importorskip("graphviz")
    from autograd_engine.teach.player import player_data
    from autograd_engine.teach.viz import draw_dot

    a = Value(1.0, "x\ud800" if what == "label" else "x")
    y = a * Value(2.0, "b")
    if what == "nan":
        a.data = math.nan
    title = "t\udfff" if what == "title" else None
    match = "lone surrogate" if what != "nan" else r"\.data = nan"
    with pytest.raises(ValueError, match=f"play: .*{match}"):
        player_data(y, title=title)
    if what != "title":
        with pytest.raises(ValueError, match=f"draw_dot: .*{match}"):
            draw_dot(y)
