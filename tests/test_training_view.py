"""Watching a network learn: fit's snapshots, the rule table compiled to JavaScript, and the
training view's page — in Debian's Chromium via Playwright (as the backprop player), where the
page's own forward and backward pass must give layers_backprop.algorithm1's numbers.
"""

from __future__ import annotations

import html
import json
import math
import random
import re
import time
from pathlib import Path

import pytest

np = pytest.importorskip("numpy")

import nn  # noqa: E402
from autograd_engine import FLOAT_MATH, Value  # noqa: E402
from autograd_engine.rules import TABLE  # noqa: E402
from autograd_engine.rules_js import expression, rule_function, rules_javascript  # noqa: E402
from nn import layers_backprop as lb  # noqa: E402
from nn.losses import LOSS_FORMULAS, LOSSES, loss_formula_fn  # noqa: E402
from nn.snapshots import planned_epochs  # noqa: E402
from nn.training_view import MAX_SNAPSHOTS, losses_javascript, training_data  # noqa: E402

XSS = "<img src=x onerror=window.__pwned=1>"


def run(sizes=(2, [8, 8, 1]), loss="hinge", epochs=12, k=5, compiled=False, val=True, seed=3, **kw):
    train = nn.moons(40, noise=0.1, seed=1)
    v = nn.moons(20, noise=0.1, seed=2) if val else None
    model = nn.MLP(sizes[0], sizes[1], seed=seed, **kw)
    h = nn.fit(model, loss, nn.SGD(model.parameters(), lr=0.1), train, epochs=epochs, val=v,
               snapshots=k, compiled=compiled)
    return model, train, v, h


# ---- recording -------------------------------------------------------------------------------
@pytest.mark.parametrize("epochs, k", [(1, 2), (10, 4), (100, 7), (5, 50), (99, 10)])
def test_planned_snapshots_are_evenly_spaced_bounded_and_keep_first_and_last(epochs, k):
    kept = planned_epochs(epochs, k)
    assert kept[0] == 0 and kept[-1] == epochs and len(kept) <= k
    assert kept == sorted(set(kept))
    if epochs + 1 >= k:
        assert len(kept) == k
        gaps = np.diff(kept)
        assert gaps.max() - gaps.min() <= 1  # even spacing, to rounding


def test_snapshots_hold_the_run_in_parameter_order_and_end_at_the_trained_model():
    model = nn.MLP(2, [4, 1], seed=0)
    init = [p.data for p in model.parameters()]
    train, val = nn.moons(30, seed=1), nn.moons(10, seed=2)
    h = nn.fit(model, "hinge", nn.SGD(model.parameters(), lr=0.1), train, epochs=9, val=val, snapshots=4)
    assert len(h.snapshots) == 4 and h.loss_name == "hinge"
    assert [s["epoch"] for s in h.snapshots] == [0, 3, 6, 9]
    assert [s["step"] for s in h.snapshots] == [0, 3, 6, 9]  # full batch: one step an epoch
    assert h.snapshots[0]["params"] == init
    assert h.snapshots[-1]["params"] == [p.data for p in model.parameters()]
    last = h.snapshots[-1]
    assert (last["loss"], last["accuracy"]) == nn.evaluate(model, "hinge", train)
    assert (last["val_loss"], last["val_accuracy"]) == nn.evaluate(model, "hinge", val)


def test_snapshots_on_the_compiled_tape_are_the_scalar_engines():
    *_, scalar = run(compiled=False)
    *_, tape = run(compiled=True)
    assert [(s["epoch"], s["step"]) for s in scalar.snapshots] == [(s["epoch"], s["step"]) for s in tape.snapshots]
    for a, b in zip(scalar.snapshots, tape.snapshots):
        assert np.allclose(a["params"], b["params"], rtol=0, atol=1e-12)
        assert math.isclose(a["loss"], b["loss"], abs_tol=1e-12) and a["accuracy"] == b["accuracy"]


def test_early_stopping_ends_the_snapshots_at_the_restored_parameters():
    train, val = nn.moons(30, seed=1), nn.moons(10, seed=5)
    model = nn.MLP(2, [4, 1], seed=0)
    h = nn.fit(model, "hinge", nn.SGD(model.parameters(), lr=2.0), train, epochs=60, val=val,
               early_stopping=2, snapshots=5)
    assert len(h.snapshots) <= 5
    assert h.snapshots[-1]["params"] == [p.data for p in model.parameters()]
    assert h.snapshots[-1]["epoch"] == h.best_epoch + 1


@pytest.mark.parametrize("bad", [1, 0, -3, True, 2.5, "10"])
def test_a_bad_snapshot_count_is_refused_by_name(bad):
    model = nn.MLP(2, [2, 1], seed=0)
    with pytest.raises(ValueError, match="snapshots"):
        nn.fit(model, "hinge", nn.SGD(model.parameters(), lr=0.1), nn.moons(10, seed=1), epochs=2, snapshots=bad)


# ---- the calculus as JavaScript ----------------------------------------------------------------
def test_every_rule_compiles_and_odd_syntax_is_refused():
    text = rules_javascript()
    for r in TABLE:
        assert f'"{r.name}": function' in text
    assert rule_function(TABLE[0]) == "function (x, y) { const z = (x + y); return [z, 1.0, 1.0]; }"
    for bad in ["__import__('os')", "x.__class__", "m.system(x)", "y", "x if x else 1", "lambda: 1",
                "'a'", "[x for x in y]", "1 < x < 2", "os.exp(x)"]:
        with pytest.raises(ValueError, match="rules_js"):
            expression(bad, ("x",))
    with pytest.raises(ValueError, match="operand name"):
        expression("x", ("function",))


def test_the_loss_formulas_are_the_losses():
    rng = random.Random(0)
    m = lb._loss_math()
    for name, f in LOSS_FORMULAS.items():
        for _ in range(20):
            n = 3 if name in ("cross_entropy", "mse") else 1
            a = np.array([rng.uniform(-3, 3) for _ in range(n)])
            if name == "cross_entropy":
                t = np.eye(n)[rng.randrange(n)]
            elif name == "hinge":
                t = np.array([rng.choice([-1.0, 1.0])])
            elif name == "mse":
                t = np.array([rng.uniform(-1, 1) for _ in range(n)])
            else:
                t = np.array([float(rng.randrange(2))])
            C, g = loss_formula_fn(name)(m, a, t)
            ys = [Value(x) for x in a]
            out = LOSSES[name].fn(ys if n > 1 else ys[0], t.tolist() if n > 1 else float(t[0]))
            out.backward()
            assert math.isclose(C, out.data, rel_tol=1e-12, abs_tol=1e-12), name
            assert np.allclose(g, [y.grad for y in ys], rtol=1e-12, atol=1e-12), name


# ---- the page without a browser -----------------------------------------------------------------
def test_the_page_carries_escaped_data_and_no_markup_from_names():
    model, train, val, h = run(epochs=4, k=3)
    view = nn.training_view(model, train, h, val=val, title=XSS + "</script>")
    assert XSS not in view.html and "</script><" not in view.html.split('id="training-data">')[1].split("</script>")[0]
    data = json.loads(re.search(r'id="training-data">(.*?)</script>', view.html, re.S).group(1))
    assert data["title"] == XSS + "</script>" and data["loss"] == "hinge"
    assert [s["params"] for s in data["snapshots"]] == [s["params"] for s in h.snapshots]
    assert "Content-Security-Policy" in view.html and "default-src 'none'" in view.html
    assert re.search(r"<(link|img|iframe)\b|src=|href=", view.html.replace("src=x", "")) is None
    assert 'sandbox="allow-scripts"' in view._repr_html_()
    assert html.escape(view.html, quote=True) in view._repr_html_()


def test_bad_arguments_are_named():
    model, train, val, h = run(epochs=2, k=2)
    with pytest.raises(ValueError, match="no snapshots"):
        nn.training_view(model, train, nn.History())
    with pytest.raises(TypeError, match="history"):
        nn.training_view(model, train, {"snapshots": []})
    with pytest.raises(ValueError, match="parameters"):
        nn.training_view(nn.MLP(2, [3, 1], seed=0), train, h)
    with pytest.raises(TypeError, match="nn.MLP"):
        nn.training_view(nn.Sequential(nn.Linear(2, 1)), train, h)
    big = nn.History(snapshots=h.snapshots * (MAX_SNAPSHOTS // 2 + 1), loss_name="hinge")
    with pytest.raises(ValueError, match="more than the page carries"):
        training_data(model, train, big)


def test_save_is_atomic_and_refuses_a_directory(tmp_path):
    model, train, val, h = run(epochs=2, k=2)
    view = nn.training_view(model, train, h)
    target = tmp_path / "run.html"
    assert view.save(target) == target and target.read_text(encoding="utf-8") == view.html
    assert [p.name for p in tmp_path.iterdir()] == ["run.html"]
    with pytest.raises(IsADirectoryError):
        view.save(tmp_path)
    with pytest.raises(FileNotFoundError):
        view.save(tmp_path / "no" / "run.html")


# ---- in a real browser ------------------------------------------------------------------------
class Page:
    def __init__(self, browser, view, path: Path):
        view.save(path)
        self.errors: list[str] = []
        self.page = browser.new_page(viewport={"width": 1300, "height": 850})
        self.page.on("console", lambda m: self.errors.append(f"console: {m.text}") if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        start = time.perf_counter()
        self.page.goto(path.resolve().as_uri())
        self.page.wait_for_selector("body[data-ready='1']")
        self.seconds = time.perf_counter() - start

    def js(self, code: str, *args):
        return self.page.evaluate(code, *args)


@pytest.fixture
def open_view(browser, tmp_path):
    pages = []

    def opener(view, name="run.html") -> Page:
        p = Page(browser, view, tmp_path / name)
        pages.append(p)
        return p
    yield opener
    for p in pages:
        assert p.errors == [], p.errors
        p.page.close()


def test_the_generated_rules_give_the_float_backends_numbers(browser):
    page = browser.new_page()
    try:
        page.set_content("<html><body></body></html>")
        page.add_script_tag(content=rules_javascript() + losses_javascript() + "window.R = RULES; window.LS = LOSSES;")
        rng = random.Random(1)
        cases = []
        for r in TABLE:
            for _ in range(6):
                if r.name in ("sum", "dot"):
                    n = rng.randint(0, 4)
                    ops = [[rng.uniform(-2, 2) for _ in range(n)] for _ in r.args]
                elif r.name in ("log", "sqrt"):
                    ops = [rng.uniform(0.1, 3)]
                elif r.name == "pow":
                    ops = [rng.uniform(0.1, 3), rng.choice([2.0, 3.0, 0.5, -1.5])]
                elif r.name == "rpow":
                    ops = [rng.uniform(-2, 2), rng.uniform(0.2, 3)]
                elif r.name == "vpow":
                    ops = [rng.uniform(0.1, 3), rng.uniform(-2, 2)]
                elif r.name in ("div", "rdiv"):
                    ops = [rng.uniform(0.5, 2) * rng.choice([-1, 1]) for _ in r.args]
                elif r.name == "leaky_relu":
                    ops = [rng.uniform(-2, 2), 0.01]
                else:
                    ops = [rng.choice([rng.uniform(-3, 3), 0.0, 1.5]) for _ in r.args]
                cases.append((r.name, ops))
        cases += [("max", [1.5, 1.5]), ("min", [-2.0, -2.0]), ("relu", [0.0]), ("abs", [0.0]), ("sigmoid", [-800.0])]
        got = page.evaluate("cases => cases.map(([n, ops]) => window.R[n](...ops))", cases)
        for (name, ops), js in zip(cases, got):
            want = TABLE[[r.name for r in TABLE].index(name)].fn(FLOAT_MATH, *ops)
            flat_w = [x for w in want for x in (w if isinstance(w, (list, tuple)) else [w])]
            flat_j = [x for w in js for x in (w if isinstance(w, list) else [w])]
            assert np.allclose(flat_j, flat_w, rtol=1e-12, atol=1e-14), (name, ops, js, want)
        m = lb._loss_math()
        for name in LOSS_FORMULAS:
            a, t = ([0.3, -1.2, 2.0], [0.0, 1.0, 0.0]) if name in ("cross_entropy", "mse") else ([0.7], [1.0 if name != "hinge" else -1.0])
            C, g = loss_formula_fn(name)(m, np.array(a), np.array(t))
            js = page.evaluate("([n, a, t]) => [window.LS[n].C(a, t), window.LS[n].grad(a, t)]", [name, a, t])
            assert math.isclose(js[0], C, rel_tol=1e-12) and np.allclose(js[1], g, rtol=1e-12, atol=1e-15), name
    finally:
        page.close()


@pytest.mark.parametrize("loss, sizes, kw", [("hinge", (2, [8, 8, 1]), {}), ("cross_entropy", (2, [6, 2]), {"activation": "tanh"}),
                                              ("bce", (2, [5, 1]), {"activation": "sigmoid"}), ("mse", (2, [4, 4, 1]), {})])
def test_the_pages_backprop_is_algorithm1_at_three_snapshots(open_view, loss, sizes, kw):
    model, train, val, h = run(sizes=sizes, loss=loss, epochs=10, k=6, **kw)
    page = open_view(nn.training_view(model, train, h, val=val))
    L = lb.network(model).L
    for k in (0, 2, len(h.snapshots) - 1):
        for p, x in zip(model.parameters(), h.snapshots[k]["params"]):
            p.data = x
        for x, label in list(zip(train.X, train.y))[:3] + [([0.123, -0.77], 1)]:
            t = LOSSES[loss].target(label, model.nout)
            eq = lb.algorithm1(model, x, t, loss)
            got = page.js("([k, x, t]) => window.trainingView.sample(k, x, t)", [k, x, t])
            assert got["z"][0] is None and got["delta"][0] is None  # index 0 unused
            assert math.isclose(got["loss"], eq.cost, rel_tol=1e-12, abs_tol=1e-12)
            for l in range(1, L + 1):
                assert np.allclose(got["z"][l], eq.forward.z[l], rtol=0, atol=1e-12)
                assert np.allclose(got["a"][l], eq.forward.a[l], rtol=0, atol=1e-12)
                assert np.allclose(got["delta"][l], eq.delta[l], rtol=0, atol=1e-12)
                assert np.allclose(got["dW"][l], eq.dW[l], rtol=0, atol=1e-12)


def test_the_last_snapshot_is_the_trained_model_and_a_heatmap_cell_is_its_prediction(open_view):
    model, train, val, h = run(epochs=8, k=4)
    page = open_view(nn.training_view(model, train, h, val=val))
    page.js("() => window.trainingView.show(3)")
    grid = page.js("() => window.trainingView.grid()")
    rng = random.Random(0)
    for _ in range(5):
        r, c = rng.randrange(50), rng.randrange(50)
        x = [grid["xs"][c], grid["ys"][r]]
        assert math.isclose(grid["out"][r][c][0], model(x).data, rel_tol=0, abs_tol=1e-12)
    # a neuron's thumbnail is that neuron's own output a[1][3] over the plane
    unit = page.js("() => window.trainingView.unit(1, 2)")
    tr = model.trace([grid["xs"][7], grid["ys"][4]])
    assert math.isclose(unit[4 * 50 + 7], tr.a[1][2].data, abs_tol=1e-12)


def test_dragging_a_weight_moves_the_boundary_as_python_computes_it(open_view):
    model, train, val, h = run(epochs=6, k=3)
    page = open_view(nn.training_view(model, train, h, val=val))
    page.page.keyboard.press("End")  # the trained model's snapshot
    page.js("() => window.trainingView.choose(2, 3, 5, false)")  # w[2][3][5]
    assert page.page.text_content("#weight-name") == "w[2][3][5]"
    page.page.fill("#weight", "1.75")  # a range input: fill sets the value and fires input
    grid = page.js("() => window.trainingView.grid()")
    model.layers[1].neurons[2].w[4].data = 1.75
    for r, c in [(0, 0), (10, 40), (25, 25), (49, 3)]:
        x = [grid["xs"][c], grid["ys"][r]]
        assert math.isclose(grid["out"][r][c][0], model(x).data, abs_tol=1e-12)
    live = float(page.page.text_content("#live-loss"))
    assert math.isclose(live, nn.evaluate(model, "hinge", train)[0], rel_tol=1e-5)
    page.page.click("#reset")
    assert page.js("() => window.trainingView.state().edits") == {}


def test_clicking_the_plane_shows_that_points_passes_and_prediction_mode_scores(open_view):
    model, train, val, h = run(epochs=6, k=4)
    page = open_view(nn.training_view(model, train, h, val=val, title=XSS))
    assert page.page.text_content("#title") == XSS  # text, not markup
    assert page.js("() => window.__pwned") is None
    box = page.page.locator("#plane").bounding_box()
    page.page.mouse.click(box["x"] + 30, box["y"] + 40)
    assert "C = " in page.page.text_content("#detail-head")
    rows = page.page.locator("#detail tr").count()
    assert rows == 1 + 8 + 8 + 1 + 1  # header, a row per neuron, ∂C/∂w of the chosen weight
    page.page.check("#predict")
    page.page.keyboard.press("ArrowRight")
    assert page.page.is_visible("#question") and page.js("() => window.trainingView.state().k") == 0
    page.page.click("#up")
    assert page.js("() => window.trainingView.state().k") == 1
    score = page.js("() => window.trainingView.state().score")
    assert score["asked"] == 1 and page.page.text_content("#score") == f"score {score['right']} / 1"
    # the answer is scored against the sign of −∂C/∂w of the training loss at snapshot 1
    for p, x in zip(model.parameters(), h.snapshots[0]["params"]):
        p.data = x
    g = lb.algorithm2(model, train.X, [LOSSES["hinge"].target(c, 1) for c in train.y], "hinge").dW[1][0, 0]
    assert score["right"] == int(-g > 0)


def test_a_model_without_a_2d_input_gets_curves_and_diagram_and_says_so(open_view):
    train = nn.Dataset([[0.1, 0.2, 0.3], [0.5, -0.1, 0.0], [1.0, 1.0, -1.0]], [0, 1, 1])
    model = nn.MLP(3, [3, 1], seed=0)
    h = nn.fit(model, "hinge", nn.SGD(model.parameters(), lr=0.1), train, epochs=3, snapshots=3)
    page = open_view(nn.training_view(model, train, h))
    assert page.page.is_hidden("#plane-box")
    assert "needs 2 inputs" in page.page.text_content("#no-plane")
    got = page.js("() => window.trainingView.sample(2, [0.1, 0.2, 0.3], [1])")
    assert math.isclose(got["loss"], lb.algorithm1(model, [0.1, 0.2, 0.3], [1.0], "hinge").cost, abs_tol=1e-12)


def test_a_page_of_200_snapshots_of_a_16_16_mlp_is_small_and_opens_quickly(open_view):
    train = nn.moons(100, noise=0.1, seed=1)
    model = nn.MLP(2, [16, 16, 1], seed=3)
    h = nn.fit(model, "hinge", nn.SGD(model.parameters(), lr=0.1), train, epochs=199, snapshots=200, compiled=True)
    view = nn.training_view(model, train, h)
    size = len(view.html.encode("utf-8"))
    assert size < 2_000_000  # 337 parameters × 200 snapshots: about 1.4 MB
    page = open_view(view)
    assert page.seconds < 6.0  # ~0.3 s on an idle machine; loose, the test machines are shared
    page.page.keyboard.press("End")
    assert page.js("() => window.trainingView.state().k") == 199


# ---- live in a notebook ------------------------------------------------------------------------
def test_fit_live_redraws_in_place_at_a_bounded_rate(monkeypatch):
    import importlib

    tv = importlib.import_module("nn.training_view")  # the module (nn.training_view is the function)

    shown = []

    def fake_display(view, handle):
        shown.append((view, handle))
        return "handle"
    monkeypatch.setattr(tv, "_notebook_display", lambda: fake_display)
    model = nn.MLP(2, [4, 1], seed=0)
    train = nn.moons(20, seed=1)
    seen = []
    h = nn.fit(model, "hinge", nn.SGD(model.parameters(), lr=0.1), train, epochs=30, live=True,
               on_epoch=lambda e, hist: seen.append(e))
    assert seen == list(range(30))  # the caller's own on_epoch still runs
    assert 2 <= len(shown) < 30  # the first epoch, then at most one every 0.25 s, and the last
    assert shown[0][1] is None and all(handle == "handle" for _, handle in shown[1:])  # updated in place
    last = shown[-1][0].data
    assert last["start"] == "last" and last["snapshots"][-1]["params"] == [p.data for p in model.parameters()]
    assert last["snapshots"][-1]["epoch"] == 30 and h.epochs == 30


def test_a_live_view_keeps_a_bounded_number_of_states_and_is_quiet_outside_a_notebook():
    model = nn.MLP(2, [3, 1], seed=0)
    train = nn.moons(10, seed=1)
    live = nn.LiveView(model, train, loss="hinge", snapshots=8, min_interval=0)
    assert live._display is None  # no kernel here: nothing is shown, nothing fails
    nn.fit(model, "hinge", nn.SGD(model.parameters(), lr=0.1), train, epochs=40, on_epoch=live)
    snaps = live.history.snapshots
    assert len(snaps) <= 8 and snaps[0]["epoch"] == 0 and snaps[-1]["epoch"] == 40
    assert [s["epoch"] for s in snaps] == sorted(s["epoch"] for s in snaps)
    assert live.updates == 0
    with pytest.raises(ValueError, match="snapshots"):
        nn.LiveView(model, train, snapshots=1)


# ---- the command line --------------------------------------------------------------------------
def test_train_html_writes_the_page_of_the_run(tmp_path):
    import subprocess
    import sys

    page, model_path = tmp_path / "run.html", tmp_path / "model.json"
    args = [sys.executable, "-m", "autograd_engine.cli", "train", "moons", "--samples", "40", "--hidden", "4",
            "--epochs", "12", "--seed", "1", "--compiled", "--snapshots", "5", "--save", str(model_path),
            "--html", str(page)]
    run_ = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert run_.returncode == 0, run_.stderr
    assert f"saved the training view (5 snapshots) to {page}" in run_.stdout
    data = json.loads(re.search(r'id="training-data">(.*?)</script>', page.read_text(encoding="utf-8"), re.S).group(1))
    assert [s["epoch"] for s in data["snapshots"]] == [0, 3, 6, 9, 12]
    assert data["snapshots"][-1]["params"] == [p.data for p in nn.load(model_path).parameters()]
    bad = subprocess.run(args[:-1] + [str(tmp_path / "no" / "run.html")], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "argument --html: the directory" in bad.stderr and "Traceback" not in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1


# ---- one click further: the sample's scalar graph in the backprop player -------------------------
def test_a_samples_player_ends_with_the_pages_gradients(open_view):
    pytest.importorskip("graphviz")
    model, train, val, h = run(sizes=(2, [3, 1]), epochs=4, k=3)
    view = nn.training_view(model, train, h, val=val)
    before = [p.data for p in model.parameters()]
    x, label = train.X[0], train.y[0]
    player = view.player(1, x, label)
    assert [p.data for p in model.parameters()] == before  # the model is left as it was
    final = {n["label"]: n["final"] for n in player.data["nodes"] if n["label"]}
    page = open_view(view)
    got = page.js("([x, t]) => window.trainingView.sample(1, x, t)", [x, LOSSES["hinge"].target(label, 1)])
    assert math.isclose(final["w[2][1][3]"], got["dW"][2][0][2], abs_tol=1e-12)
    assert math.isclose(final["w[1][2][1]"], got["dW"][1][1][0], abs_tol=1e-12)
    assert math.isclose(final["z[1][2]"], got["delta"][1][1], abs_tol=1e-12)
    assert math.isclose(player.data["nodes"][player.data["root"]]["data"], got["loss"], abs_tol=1e-12)
    box = page.page.locator("#plane").bounding_box()
    page.page.mouse.click(box["x"] + 20, box["y"] + 20)
    assert "view.player(0, [" in page.page.text_content("#detail-more")
    with pytest.raises(ValueError, match="snapshot index"):
        view.player(3, x, label)


def test_the_edges_show_each_weights_gradient_at_the_clicked_point(open_view):
    model, train, val, h = run(sizes=(2, [4, 1]), epochs=4, k=3)
    page = open_view(nn.training_view(model, train, h, val=val))
    box = page.page.locator("#plane").bounding_box()
    page.page.mouse.click(box["x"] + 200, box["y"] + 150)
    point = page.js("() => window.trainingView.state().point")
    got = page.js("([x, t]) => window.trainingView.sample(0, x, t)", [point["x"], point["t"]])
    page.page.select_option("#edge-mode", "gradient")
    title = page.page.text_content('#edges line[data-l="1"][data-j="2"][data-k="1"] title')
    assert title.startswith("w[1][3][2] = ") and "δ[1][3] · a[0][2]" in title
    want = got["dW"][1][2][1]
    assert math.isclose(float(title.rsplit("= ", 1)[1].split()[0]), want, rel_tol=1e-5, abs_tol=1e-12)
    widths = page.js("() => [...document.querySelectorAll('#edges line')].map(e => +e.getAttribute('stroke-width'))")
    grads = [abs(g) for row in got["dW"][1] for g in row] + [abs(g) for row in got["dW"][2] for g in row]
    assert widths.index(max(widths)) == grads.index(max(grads))  # the widest edge carries the largest |∂C/∂w|


@pytest.mark.parametrize("loss, sizes, kw", [("hinge", (2, [3, 1]), {}), ("cross_entropy", (2, [3, 2]), {"activation": "tanh"}),
                                              ("mse", (2, [2, 2, 1]), {}), ("bce", (2, [3, 1]), {"activation": "sigmoid"})])
def test_the_pages_scalar_graph_steps_are_backward_steps_edge_by_edge(open_view, loss, sizes, kw):
    pytest.importorskip("graphviz")
    from autograd_engine.teach.walkthrough import backward_steps
    from nn.training_graph import sample_root

    model, train, val, h = run(sizes=sizes, loss=loss, epochs=4, k=3, **kw)
    view = nn.training_view(model, train, h, val=val)
    assert view.data["graph"] is not None and view.data["graph_svg"].startswith("<svg")
    page = open_view(view)
    L = LOSSES[loss]
    for k in (0, len(h.snapshots) - 1):
        for (x, label) in [(train.X[0], train.y[0]), ([0.3, -0.6], 1)]:
            t = L.target(label, model.nout)
            got = page.js("([k, x, t]) => window.trainingView.graph(k, x, t)", [k, x, t])
            player = view.player(k, x, label)  # the player's own names and order
            assert [n["name"] for n in player.data["nodes"]] == got["names"]
            for p, v in zip(model.parameters(), h.snapshots[k]["params"]):
                p.data = v
            root = sample_root(model, L, x, t)
            want = list(backward_steps(root))
            assert len(want) == len(got["steps"]) == len(player.data["steps"])
            names = dict(zip(_order(root), got["names"]))  # the same structure: forward order, node by node
            for w, g in zip(want, got["steps"]):
                assert (names[w.node], names[w.parent]) == (g["node"], g["parent"])
                for key in ("upstream", "local", "contribution", "parent_grad"):
                    assert math.isclose(getattr(w, key), g[key], rel_tol=1e-12, abs_tol=1e-12), (key, w, g)
            assert math.isclose(root.data, got["values"][-1], rel_tol=1e-12, abs_tol=1e-12)
            sample = page.js("([k, x, t]) => window.trainingView.sample(k, x, t)", [k, x, t])
            final = dict(zip(got["names"], got["grad"]))
            for l in range(1, len(sample["dW"])):
                for j, row in enumerate(sample["dW"][l]):
                    assert math.isclose(final[f"z[{l}][{j + 1}]"], sample["delta"][l][j], abs_tol=1e-12)
                    for q, d in enumerate(row):
                        assert math.isclose(final[f"w[{l}][{j + 1}][{q + 1}]"], d, rel_tol=1e-12, abs_tol=1e-12)
    # one click further, in the page: the step text and the active edge follow next/prev
    box = page.page.locator("#plane").bounding_box()
    page.page.mouse.click(box["x"] + 60, box["y"] + 70)
    assert page.page.is_visible("#graph-open") and not page.page.is_visible("#graph-svg")
    page.page.click("#graph-open")
    page.page.click("#graph-next")
    page.page.click("#graph-next")
    state = page.js("() => window.trainingView.state()")
    assert state["graphOpen"] and state["graphStep"] == 2
    got = page.js("([k, x, t]) => window.trainingView.graph(k, x, t)", [state["k"], state["point"]["x"], state["point"]["t"]])
    s = got["steps"][2]
    text = page.page.text_content("#graph-step")
    assert text.startswith(f"{s['node']} sends to {s['parent']}: ") and page.page.text_content("#graph-count") == f"step 3/{len(got['steps'])}"
    active = page.js("() => [...document.querySelectorAll('#graph-svg g.active')].map(g => g.dataset.edge)")
    assert active == [str(view.data["graph"]["steps"][2])]
    page.page.click("#graph-prev")
    assert page.js("() => window.trainingView.state().graphStep") == 1


def _order(root):
    from autograd_engine.backprop import forward_order
    return forward_order(root)


def test_a_graph_too_big_to_step_keeps_the_python_hint(open_view):
    model, train, val, h = run(sizes=(2, [16, 16, 1]), epochs=2, k=2)
    view = nn.training_view(model, train, h)
    assert view.data["graph"] is None and "more than the 300" in view.data["graph_note"]
    page = open_view(view)
    box = page.page.locator("#plane").bounding_box()
    page.page.mouse.click(box["x"] + 30, box["y"] + 30)
    note = page.page.text_content("#graph-note")
    assert "more than the 300" in note and "view.player(0, [" in note
    assert not page.page.is_visible("#graph-open") and page.js("() => window.trainingView.graph(0, [0, 0], [1])") is None


def test_without_graphviz_the_page_keeps_the_python_call(monkeypatch):
    import autograd_engine.teach.player as player
    from nn import training_graph

    def no_layout(*a, **k):
        raise ImportError("no Graphviz found")
    monkeypatch.setattr(player, "layout_svg", no_layout)
    monkeypatch.setattr(training_graph, "_LAYOUTS", {})
    model, train, val, h = run(sizes=(2, [3, 1]), epochs=2, k=2)
    view = nn.training_view(model, train, h)
    assert view.data["graph"] is None and "Graphviz" in view.data["graph_note"]
    assert [p.data for p in model.parameters()] == h.snapshots[-1]["params"]  # the model is left as it was


def test_the_sample_graphs_names_are_text_never_markup(open_view):
    pytest.importorskip("graphviz")
    model, train, val, h = run(sizes=(2, [2, 1]), epochs=2, k=2)
    model.layers[0].neurons[0].w[0].label = XSS
    view = nn.training_view(model, train, h)
    assert XSS not in view.html and XSS in [n["name"] for n in view.data["graph"]["nodes"]]
    page = open_view(view)
    box = page.page.locator("#plane").bounding_box()
    page.page.mouse.click(box["x"] + 40, box["y"] + 40)
    page.page.click("#graph-open")
    for _ in range(len(view.data["graph"]["steps"]) - 1):
        page.page.click("#graph-next")
    assert XSS in page.page.text_content("#graph-svg") + page.page.text_content("#graph-step")
    assert page.js("() => window.__pwned === undefined && document.querySelectorAll('#graph-box img').length === 0")
