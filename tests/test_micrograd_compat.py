"""A micrograd user's script runs unchanged after switching the import, with the same numbers
(micrograd's own test expression), and where micrograd is wrong we differ on purpose."""

import pytest

from autograd_engine import Value as Ours

micrograd_engine = pytest.importorskip("micrograd.engine", reason="micrograd is in the [bench] extra")


def micrograd_test_sanity_check(Value):
    # micrograd/test/test_engine.py::test_sanity_check, verbatim apart from the Value class
    x = Value(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    return y.data, x.grad


def micrograd_test_more_ops(Value):
    a = Value(-4.0)
    b = Value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    return g.data, a.grad, b.grad


@pytest.mark.parametrize("script", [micrograd_test_sanity_check, micrograd_test_more_ops])
def test_same_numbers_as_micrograd(script):
    theirs = script(micrograd_engine.Value)
    ours = script(Ours)
    assert ours == pytest.approx(theirs, rel=1e-12)
    # the values micrograd's test asserts against PyTorch
    if script is micrograd_test_more_ops:
        assert ours == pytest.approx((24.70408163265306, 138.83381924198252, 645.5772594752186), rel=1e-12)


def test_repr_shows_data_and_grad_like_micrograd():
    v = Ours(2.0)
    assert repr(v).startswith("Value(data=2.0, grad=0.0")


def test_second_backward_differs_from_micrograd_on_purpose():
    def twice(Value):
        a, b = Value(2.0), Value(3.0)
        y = (a * b) * a
        y.backward()
        y.backward()
        return a.grad

    assert twice(Ours) == 2 * 12.0  # leaves accumulate exactly twice
    assert twice(micrograd_engine.Value) != 2 * 12.0  # micrograd re-adds interior grads


def lecture_draw_dot(root):
    """The drawing code of micrograd's lecture (trace/draw_dot), verbatim apart from names."""
    from graphviz import Digraph

    def trace(root):
        nodes, edges = set(), set()

        def build(v):
            if v not in nodes:
                nodes.add(v)
                for child in v._prev:
                    edges.add((child, v))
                    build(child)
        build(root)
        return nodes, edges

    dot = Digraph(format='svg', graph_attr={'rankdir': 'LR'})
    nodes, edges = trace(root)
    for n in nodes:
        uid = str(id(n))
        dot.node(name=uid, label="{ %s | data %.4f | grad %.4f }" % (n.label, n.data, n.grad), shape='record')
        if n._op:
            dot.node(name=uid + n._op, label=n._op)
            dot.edge(uid + n._op, uid)
    for n1, n2 in edges:
        dot.edge(str(id(n1)), str(id(n2)) + n2._op)
    return dot


def test_the_lectures_drawing_code_runs_on_our_values():
    pytest.importorskip("graphviz")
    a, b, c = Ours(-1.0, "a"), Ours(3.0, "b"), Ours(4.0, "c")
    x = a + b
    x.label = "x"
    f = x * (b + c)
    f.label = "f"
    f.backward()
    src = lecture_draw_dot(f).source
    assert src.count("shape=record") == 6  # a, b, c, x, b+c, f
    assert src.count("->") == 3 + 6  # each op node into its result; 6 operand edges into op nodes
    assert 'label="×"' in src and 'label="+"' in src
    assert "{ f | data 14.0000 | grad 1.0000 }" in src and "{ b | data 3.0000 | grad 9.0000 }" in src
    assert f._prev == {x, f.parents[1]} and a._prev == set() and a._op == "" and f._op == "×"
    with pytest.raises(AttributeError):
        f._prev = set()
