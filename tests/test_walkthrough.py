"""The edge-by-edge walk-through: the same .grad updates as backward(), one edge per step."""

import math

import pytest
from hypothesis import given, settings

from autograd_engine import Value, no_grad, zero_grad
from autograd_engine.teach.walkthrough import Step, backward_steps, format_steps, node_names
from test_properties import build, programs


def florance_example():
    """f = (a+b)(b+c) at a = −1, b = 3, c = 4: x = 2, y = 7, f = 14 (Florance's blog post)."""
    a, b, c = Value(-1.0, "a"), Value(3.0, "b"), Value(4.0, "c")
    x, y = a + b, b + c
    x.label, y.label = "x", "y"
    f = x * y
    f.label = "f"
    return a, b, c, x, y, f


def test_florance_example_step_by_step_b_receives_7_then_2():
    a, b, c, x, y, f = florance_example()
    steps = list(backward_steps(f))
    got = [(s.index, s.node.label, s.parent.label, s.upstream, s.local, s.contribution, s.parent_grad)
           for s in steps]
    assert got == [
        (1, "f", "x", 1.0, 7.0, 7.0, 7.0),  # ∂f/∂x = y
        (2, "f", "y", 1.0, 2.0, 2.0, 2.0),  # ∂f/∂y = x
        (3, "x", "a", 7.0, 1.0, 7.0, 7.0),  # add distributes
        (4, "x", "b", 7.0, 1.0, 7.0, 7.0),  # b: 7 ...
        (5, "y", "b", 2.0, 1.0, 2.0, 9.0),  # ... then 2 more: gradients add at branches
        (6, "y", "c", 2.0, 1.0, 2.0, 2.0),
    ]
    assert (a.grad, b.grad, c.grad, x.grad, y.grad, f.grad) == (7.0, 9.0, 2.0, 7.0, 2.0, 1.0)


def test_the_table_reads_like_the_steps():
    *_, f = florance_example()
    lines = format_steps(backward_steps(f)).splitlines()
    assert lines[0].split() == ["step", "node", "→", "parent", "∂L/∂z", "∂z/∂x", "contribution",
                                "parent", "grad", "so", "far"]
    assert set(lines[1]) <= {"─", " "}
    rows = [line.split() for line in lines[2:]]
    assert rows[3] == ["4", "x", "→", "b", "7", "1", "7", "7"]
    assert rows[4] == ["5", "y", "→", "b", "2", "1", "2", "9"]
    assert len(rows) == 6
    assert format_steps([]).startswith("(no edges")


def test_unlabelled_nodes_are_named_f_and_v1_v2_without_gaps_in_computation_order():
    u, w = Value(2.0), Value(5.0, "w")
    p = u * w
    z = (p + u).tanh()
    names = node_names(z)
    assert (names[u], names[w], names[p], names[z.parents[0]], names[z]) == ("v1", "w", "v2", "v3", "f")
    table = format_steps(backward_steps(z))
    assert "f → v3" in table and "v2 → w" in table and "v2 → v1" in table


def test_the_python_walk_through_and_the_cli_name_nodes_alike():
    """One naming: the table of an unlabelled-interior Python graph reads like ``trace``'s."""
    from autograd_engine.cli.trace import build, trace_text

    a, b, c = Value(-1.0, "a"), Value(3.0, "b"), Value(4.0, "c")
    f = (a + b) * (b + c)  # interior nodes and the root left unlabelled
    python_table = format_steps(backward_steps(f))
    cli_text = trace_text(build("(a+b)*(b+c)", {"a": -1.0, "b": 3.0, "c": 4.0}))
    assert python_table in cli_text
    assert [line.split()[1:4] for line in python_table.splitlines()[2:]] == [
        ["f", "→", "v1"], ["f", "→", "v2"], ["v1", "→", "a"], ["v1", "→", "b"], ["v2", "→", "b"], ["v2", "→", "c"]]
    taken = node_names(Value(1.0, "f") * Value(2.0, "v1"))  # labels keep their names; no clash
    assert sorted(taken.values()) == ["f", "f_", "v1"]


def test_a_value_used_twice_by_one_node_is_two_steps():
    x = Value(3.0, "x")
    y = x * x
    steps = list(backward_steps(y))
    assert [(s.parent is x, s.local, s.parent_grad) for s in steps] == [(True, 3.0, 3.0), (True, 3.0, 6.0)]
    assert x.grad == 6.0  # d(x²)/dx = 2x


def test_steps_are_taken_lazily():
    a, b, c, x, y, f = florance_example()
    walk = backward_steps(f)
    assert (f.grad, x.grad, a.grad) == (0.0, 0.0, 0.0)  # nothing done before the first step
    first = next(walk)
    assert (first.parent, f.grad, x.grad, y.grad, a.grad) == (x, 1.0, 7.0, 0.0, 0.0)
    assert [s.index for s in walk] == [2, 3, 4, 5, 6]


def test_seed_gradient_scales_every_step():
    a, b, c, x, y, f = florance_example()
    steps = list(backward_steps(f, grad=2))
    assert steps[0].upstream == 2.0
    assert (a.grad, b.grad, c.grad) == (14.0, 18.0, 4.0)


def test_a_leaf_root_has_no_steps_and_accumulates_the_seed_like_backward():
    a = Value(1.5)
    assert list(backward_steps(a)) == []
    assert list(backward_steps(a, 2.0)) == []
    assert a.grad == 3.0


def test_bad_arguments_are_refused_at_the_call_like_backward():
    with no_grad():
        z = Value(2.0) * Value(3.0)
    with pytest.raises(ValueError, match="no_grad"):
        backward_steps(z)
    *_, f = florance_example()
    with pytest.raises(TypeError, match="grad must be a number"):
        backward_steps(f, "1")
    with pytest.raises(ValueError, match="grad must be finite"):
        backward_steps(f, math.inf)
    with pytest.raises(TypeError, match="root must be a Value"):
        backward_steps(3.0)
    assert f.grad == 0.0  # refused before touching anything


@settings(max_examples=150)
@given(programs())
def test_random_graphs_walk_to_exactly_backwards_gradients(prog):
    _, out = build(prog)
    nodes = out.nodes()
    out.backward()
    expected = [v.grad for v in nodes]
    out.backward()
    expected_twice = [v.grad for v in nodes]
    zero_grad(out)

    steps = list(backward_steps(out))
    assert [v.grad for v in nodes] == expected  # bit for bit: the same additions in the same order
    assert len(steps) == sum(len(v.parents) for v in nodes)  # one step per edge
    assert [s.index for s in steps] == list(range(1, len(steps) + 1))
    received: dict[Value, float] = {}
    for s in steps:
        assert isinstance(s, Step)
        assert s.upstream == s.node.grad  # a node sends only once its gradient is complete
        assert s.contribution == s.upstream * s.local
        received[s.parent] = received.get(s.parent, 0.0) + s.contribution
        assert s.parent_grad == received[s.parent]  # the parent's gradient so far
    assert all(received.get(v, 0.0) == v.grad for v in nodes if v is not out)

    # a second walk: leaves accumulate, interior nodes are recomputed -- as a second backward()
    list(backward_steps(out))
    assert [v.grad for v in nodes] == expected_twice


def test_one_picture_per_step_with_the_current_edge_highlighted():
    pytest.importorskip("graphviz")
    from autograd_engine.teach.pictures import step_pictures

    a, b, c, x, y, f = florance_example()
    pictures = list(step_pictures(f))
    assert [s.index for s, _ in pictures] == [1, 2, 3, 4, 5, 6]
    sources = [dot.source for _, dot in pictures]
    assert len(set(sources)) == 6  # the highlight moves
    # the picture of step 5 is drawn when b has received 7 then 2: its edge label is ∂y/∂b
    assert "∂f/∂y · ∂y/∂b = 2 × 1 = 2" in sources[4] and "∂y/∂b" not in sources[3]
    assert (a.grad, b.grad, c.grad) == (7.0, 9.0, 2.0)


def overflowing():
    """∂f/∂a = 1e300 · 1e300 overflows; the forward values are finite (f = 1e300)."""
    a, b = Value(1e-300, "a"), Value(2.0, "b")
    return a, b, a * 1e300 * 1e300 + b


def test_backward_and_backward_steps_refuse_the_same_overflow_and_keep_the_leaves():
    from autograd_engine.teach.walkthrough import backward_steps

    a, b, f = overflowing()
    a.grad, b.grad = 5.0, 7.0
    with pytest.raises(ValueError, match="leaf 'a'"):
        f.backward()
    assert (a.grad, b.grad) == (5.0, 7.0)
    before = {v: v.grad for v in f.nodes()}
    steps = backward_steps(f)
    seen = []
    with pytest.raises(ValueError, match=r"gradient of leaf 'a' .* is inf: at step 4 .*overflowed") as err:
        for s in steps:
            seen.append(s)
            assert all(math.isfinite(v.grad) for v in f.nodes())  # never an inf in between
    assert "left as it was" in str(err.value)
    assert [s.index for s in seen] == [1, 2, 3]  # detected at the step where it happens
    assert all(math.isfinite(s.contribution) and math.isfinite(s.parent_grad) for s in seen)
    assert {v: v.grad for v in f.nodes()} == before  # every gradient as it was, nothing lost
    assert (a.grad, b.grad) == (5.0, 7.0)


def test_backward_steps_refuses_an_overflow_when_adding_what_the_leaf_held():
    from autograd_engine.teach.walkthrough import backward_steps

    x = Value(0.5, "x")
    f = x * 1e308
    x.grad = 1e308  # this pass adds 1e308: finite on its own, inf once added
    with pytest.raises(ValueError, match="leaf 'x'.*held before"):
        list(backward_steps(f))
    assert x.grad == 1e308
    with pytest.raises(ValueError, match="leaf 'x'"):
        f.backward()  # backward() agrees
    assert x.grad == 1e308
    leaf = Value(1.0)
    leaf.grad = 1e308
    with pytest.raises(ValueError, match="a leaf"):
        list(backward_steps(leaf, 1e308))
    assert leaf.grad == 1e308


def test_backward_steps_still_matches_backward_and_keeps_accumulating():
    from autograd_engine.teach.walkthrough import backward_steps

    a, b, c = Value(-1.0), Value(3.0), Value(4.0)
    f = (a + b) * (b + c)
    f.backward()
    list(backward_steps(f))
    assert (a.grad, b.grad, c.grad) == (14.0, 18.0, 4.0)
    steps = backward_steps(f)
    next(steps)
    steps.close()  # left early: the leaves keep what they held plus this pass so far
    assert (a.grad, b.grad, c.grad) == (14.0, 18.0, 4.0)
