"""One naming for every view (teach/naming.py): the root ``f``, unlabelled nodes ``v1, v2, …`` in the
order the expression computes them, labels where given — the same in the player, ``draw_dot``,
the step pictures, ``format_steps``, ``trace`` and ``to_torch_code``; and one computation order
(``backprop.forward_order``) behind all of them.

Graphs: Benedict Florance's f = (a+b)(b+c) at a = −1, b = 3, c = 4 (leaves labelled, the sums
not), and the squared error of a 2-3-1 MLP (parameters labelled ``w[l][j][k]``, the rest not).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from autograd_engine import Value
from autograd_engine.backprop import forward_order
from autograd_engine.teach.naming import node_names
from autograd_engine.teach.walkthrough import backward_steps, format_steps

ROOT = Path(__file__).resolve().parents[1]


def florance():
    a, b, c = Value(-1.0, "a"), Value(3.0, "b"), Value(4.0, "c")
    x, y = a + b, b + c
    return (a, b, c, x, y), x * y


def mlp_loss():
    nn = pytest.importorskip("nn")
    model = nn.MLP(2, [3, 1], seed=1)
    return nn.mse(model([0.5, -1.0]), [0.25])


def walkthrough_names(root: Value) -> list[tuple[str, str]]:
    """(child, parent) names of every step, read from format_steps' printed table."""
    rows = format_steps(backward_steps(root)).splitlines()[2:]
    for v in forward_order(root):
        v.grad = 0.0  # the walk left its gradients on the graph
    return [re.match(r"\s*\d+\s+(\S+) → (\S+)", row).groups() for row in rows]


# ---- the rule, and one order ----------------------------------------------------------------
def test_root_is_f_unlabelled_nodes_count_in_computation_order_labels_stay():
    (a, b, c, x, y), f = florance()
    assert node_names(f) == {a: "a", b: "b", x: "v1", c: "c", y: "v2", f: "f"}
    p, q, r = Value(1.0), Value(2.0), Value(3.0)
    g = (p + q) * (q + r)  # nothing labelled: leaves are numbered too, in the order computed
    assert [node_names(g)[v] for v in (p, q, g.parents[0], r, g.parents[1], g)] == ["v1", "v2", "v3", "v4", "v5", "f"]
    taken = Value(1.0, "v1") * Value(2.0, "f")
    assert sorted(node_names(taken).values()) == ["f", "f_", "v1"]  # a label's name is never reused


def test_one_computation_order_for_the_names_and_the_generated_code():
    from autograd_engine import torch_code
    from autograd_engine.teach import walkthrough

    assert torch_code.forward_order is forward_order
    assert not hasattr(walkthrough, "_computation_order")
    (a, b, c, x, y), f = florance()
    assert forward_order(f) == [a, b, x, c, y, f]


def test_viz_and_walkthrough_do_not_import_each_other():
    """Neither module names the other in any import, not even inside a function."""
    def imports(module: str) -> set[str]:
        tree = ast.parse((ROOT / "autograd_engine" / "teach" / f"{module}.py").read_text(encoding="utf-8"))
        found = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                found.add(node.module or "")
                found.update(f"{node.module or ''}.{n.name}".lstrip(".") for n in node.names)
            elif isinstance(node, ast.Import):
                found.update(n.name for n in node.names)
        return found

    assert not any("viz" in m for m in imports("walkthrough")), imports("walkthrough")
    assert not any("walkthrough" in m for m in imports("viz")), imports("viz")
    assert imports("naming") <= {"__future__", "__future__.annotations", "backprop", "backprop.forward_order",
                                 "value", "value.Value"}  # the base of teach: the engine only


# ---- every view says the same ---------------------------------------------------------------
@pytest.mark.parametrize("graph", ["florance", "mlp"])
def test_player_data_names_are_the_walkthroughs(graph):
    pytest.importorskip("graphviz")
    from autograd_engine.teach.player import player_data

    f = florance()[1] if graph == "florance" else mlp_loss()
    data = player_data(f)
    names = [n["name"] for n in data["nodes"]]
    steps = walkthrough_names(f)
    order = forward_order(f)
    for s, (z, x) in zip(data["steps"], steps, strict=True):
        assert (names[s["child"]], names[s["parent"]]) == (z, x)
    assert names == [node_names(f)[v] for v in order]
    assert data["title"] == "backprop of f"


@pytest.mark.parametrize("graph", ["florance", "mlp"])
def test_draw_dot_records_and_step_pictures_use_the_same_names(graph):
    pytest.importorskip("graphviz")
    from autograd_engine import draw_dot, step_pictures

    f = florance()[1] if graph == "florance" else mlp_loss()
    names = node_names(f)
    dot = draw_dot(f)
    records = dict(re.findall(r'^\s*(v\d+) \[label="\{?([^|"]*)\|', dot.source, re.M))
    assert [records[f"v{i}"].strip("{} ") for i in range(len(names))] == [names[v] for v in forward_order(f)]
    if graph == "florance":
        texts = [pic.source for _, pic in step_pictures(f)]
        assert "∂f/∂v2 · ∂v2/∂b = 2 × 1 = 2" in texts[4]  # step 5: y (v2) sends 2 to b


def test_trace_and_torch_code_use_the_same_names(capsys):
    from autograd_engine import to_torch_code
    from autograd_engine.cli import main

    p, q, r = Value(-1.0), Value(3.0), Value(4.0)
    code = to_torch_code((p + q) * (q + r))
    assert "v3 = v1 + v2  # 2.0" in code and "v5 = v2 + v4  # 7.0" in code and "f = v3 * v5  # 14.0" in code
    assert main(["trace", "(a + b) * (b + c)", "a=-1", "b=3", "c=4"]) == 0
    out = capsys.readouterr().out
    assert "f → v1" in out and "v2 → c" in out


# ---- in the browser -------------------------------------------------------------------------
@pytest.mark.parametrize("graph", ["florance", "mlp"])
def test_the_player_page_shows_the_walkthrough_names_in_every_box(browser, tmp_path, graph):
    pytest.importorskip("graphviz")
    from test_player import Page

    from autograd_engine import play

    f = florance()[1] if graph == "florance" else mlp_loss()
    steps = walkthrough_names(f)
    names = [node_names(f)[v] for v in forward_order(f)]
    page = Page(browser, play(f), tmp_path / "names.html")
    try:
        shown = page.page.evaluate("""() => {
          const out = [];
          document.querySelectorAll('g[data-node]').forEach(g => {
            out[+g.dataset.node] = [...g.querySelectorAll('text[data-field="label"]')].map(t => t.textContent).join(""); });
          return [out, document.title];
        }""")
        assert shown == [names, "backprop of f"]  # every record's name cell, none empty
        page.step_to(page.n + 1)  # the seed
        for z, x in steps:
            page.page.click("#step")
            assert f"Backward step" in (what := page.page.text_content("#what")) and f": {z} → {x} " in what
        assert not page.errors, page.errors
    finally:
        page.page.close()


