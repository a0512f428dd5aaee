"""backward(): seeds, accumulation across calls, branches, topological order, depth, and every
number a seed may be."""

import math
import sys
from fractions import Fraction

import numpy as np
import pytest

from autograd_engine import Value, gradients, zero_grad
from autograd_engine.teach.gradient_check import gradcheck


@pytest.mark.parametrize("seed", ["1", None, float("nan"), math.inf])
def test_backward_seed_is_checked(seed):
    with pytest.raises((TypeError, ValueError), match="^backward"):
        (Value(1.0) * 2.0).backward(seed)


def florance_example():
    a, b, c = Value(-1.0, "a"), Value(3.0, "b"), Value(4.0, "c")
    x, y = a + b, b + c
    return (a, b, c), (x, y), x * y


def test_backward_twice_leaves_accumulate_exactly_twice_interior_recomputed():
    (a, b, c), (x, y), f = florance_example()
    f.backward()
    f.backward()
    assert (a.grad, b.grad, c.grad) == (14.0, 18.0, 4.0)  # exactly 2x (PyTorch semantics)
    assert (x.grad, y.grad, f.grad) == (7.0, 2.0, 1.0)  # micrograd would give 3x on b's path


def test_a_pass_is_summed_apart_from_what_a_leaf_held_before():
    # x's contributions cancel to ~1e-54 (+0.1 and −0.1 through tanh(x) and tanh(−x)); summed
    # into a leaf already holding that much the tiny part would be rounded away, so, as
    # PyTorch's AccumulateGrad, each pass sums from zero and is then added: exactly 2x.
    x = Value(4.520963178805327e-53)
    u = abs(x * x + 0.5)
    f = abs(u * u + 0.5) + x.tanh() * 0.1 + (-x).tanh() * 0.1 + u.tanh() * 0.1
    f.backward()
    first = x.grad
    assert first != 0.0 and abs(first) < 1e-50
    f.backward()
    assert x.grad == 2 * first


def test_a_gradient_overflow_is_an_error_and_the_leaves_keep_their_gradients():
    w = Value(2.0, "w")
    w.grad = 5.0
    y = (w * 1e-300) * 1e300  # data 2.0, but ∂L/∂(w·1e−300) = 1e10 · 1e300 overflows
    with pytest.raises(ValueError, match=r"backward: the gradient of leaf 'w' \(data 2.0\) is inf"):
        y.backward(1e10)
    assert w.grad == 5.0
    y.backward()
    assert w.grad == 6.0


def test_zero_grad_resets_the_leaves_of_a_graph():
    (a, b, c), _, f = florance_example()
    f.backward()
    zero_grad(f)
    assert (a.grad, b.grad, c.grad) == (0.0, 0.0, 0.0)
    f.backward()
    assert (a.grad, b.grad, c.grad) == (7.0, 9.0, 2.0)


def test_backward_seed_scales_every_gradient():
    (a, b, c), _, f = florance_example()
    f.backward(-0.5)
    assert (a.grad, b.grad, c.grad) == (-3.5, -4.5, -1.0)


def test_backward_on_a_leaf_gives_one():
    v = Value(3.0)
    v.backward()
    assert v.grad == 1.0


def test_gradients_add_at_branches():
    x = Value(3.0)
    (x * x).backward()
    assert x.grad == 6.0
    a = Value(-2.0)
    (a + a).backward()
    assert a.grad == 2.0


def test_nodes_is_a_topological_order():
    _, _, f = florance_example()
    order = f.nodes()
    pos = {id(v): i for i, v in enumerate(order)}
    assert order[-1] is f and len(order) == 6
    for v in order:
        assert all(pos[id(p)] < pos[id(v)] for p in v.parents)


def test_million_level_chain_under_default_recursion_limit():
    assert sys.getrecursionlimit() <= 10_000
    x0 = Value(0.3)
    x = x0
    for _ in range(1_000_000):
        x = (x * 1.0000001 + 0.5).relu()  # 3,000,000 nodes
    x.backward()
    assert x0.grad == pytest.approx(1.0000001 ** 1_000_000, rel=1e-9)
    del x  # freeing must not recurse either


@pytest.mark.parametrize("grad", [np.float64(2.0), Fraction(1, 2), np.int32(3), 2])
def test_backward_takes_every_number_the_ops_take(grad):
    v = Value(2.0)
    (v * v).backward(grad)
    assert v.grad == 4.0 * float(grad)


@pytest.mark.parametrize("grad,err", [(10 ** 400, ValueError), (float("nan"), ValueError), (np.inf, ValueError),
                                      ("1", TypeError), (None, TypeError), (True, TypeError), (Value(1.0), TypeError)])
def test_backward_refuses_a_bad_seed_naming_backward(grad, err):
    v = Value(2.0)
    with pytest.raises(err, match="^backward: grad"):
        (v * v).backward(grad)
    assert v.grad == 0.0


def test_bool_seeds_are_refused_everywhere_and_fractions_accepted_everywhere():
    x = Value(2.0, "x")
    y = x * x
    with pytest.raises(TypeError, match="grad must be a number"):
        y.backward(True)
    with pytest.raises(TypeError, match="gradients: grad_outputs must be numbers, got bool"):
        gradients(y, x, True)
    assert gradients(y, x, Fraction(1, 2)) == 2.0
    report = gradcheck(lambda v: v * v, [Fraction(3, 2)])
    assert report.passed and report.inputs[0].analytic == 3.0
