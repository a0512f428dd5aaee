"""Backward across calls, no_grad, detach, zero_grad, the documented conventions, depth
and freeing by reference counting."""

import asyncio
import gc
import math
import sys
import threading

import pytest

from autograd_engine import Value, enable_grad, is_grad_enabled, no_grad, zero_grad


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


def test_no_grad_records_nothing_and_backward_says_so():
    x = Value(2.0)
    with no_grad():
        assert not is_grad_enabled()
        y = x * 3.0 + 1.0
        with enable_grad():
            z = x * 2.0
    assert is_grad_enabled()
    assert y.data == 7.0 and y.parents == () and y.is_leaf()
    assert z.parents == (x,)
    with pytest.raises(ValueError, match=r"no_grad\(\)"):
        y.backward()


def test_no_grad_as_a_decorator():
    @no_grad()
    def evaluate(v):
        return v * v

    assert evaluate(Value(3.0)).parents == ()
    assert is_grad_enabled()


def test_no_grad_is_private_to_a_thread():
    seen = {}
    inside, release = threading.Event(), threading.Event()

    def worker():
        with no_grad():
            inside.set()
            release.wait(5)

    t = threading.Thread(target=worker)
    t.start()
    inside.wait(5)
    seen["main"] = is_grad_enabled()
    seen["node"] = (Value(1.0) * 2.0).parents != ()
    release.set()
    t.join()
    assert seen == {"main": True, "node": True}


def test_no_grad_is_private_to_an_asyncio_task():
    async def evaluating(started, release):
        with no_grad():
            started.set()
            await release.wait()
            return (Value(1.0) * 2.0).parents

    async def training(started, release):
        await started.wait()
        parents = (Value(1.0) * 2.0).parents
        release.set()
        return parents

    async def main():
        started, release = asyncio.Event(), asyncio.Event()
        return await asyncio.gather(evaluating(started, release), training(started, release))

    ev, tr = asyncio.run(main())
    assert ev == () and len(tr) == 1


def test_detach_cuts_the_graph():
    x = Value(3.0)
    y = x.detach() * x  # gradient flows only through the second factor
    y.backward()
    assert x.grad == 3.0
    assert x.detach().is_leaf() and x.detach().data == 3.0


# ---- conventions -------------------------------------------------------------------------
def test_relu_derivative_at_zero_is_zero():
    x = Value(0.0)
    x.relu().backward()
    assert x.grad == 0.0
    assert Value(-3.0).relu().data == 0.0


def test_max_and_min_split_a_tie():
    for method in ("max", "min"):
        x, y = Value(1.0), Value(1.0)
        getattr(x, method)(y).backward()
        assert (x.grad, y.grad) == (0.5, 0.5)
    x = Value(2.0)
    x.max(x).backward()
    assert x.grad == 1.0
    v = Value(4.0)
    v.max(4.0).backward()
    assert v.grad == 0.5


def test_abs_derivative_at_zero_is_zero():
    x = Value(0.0)
    abs(x).backward()
    assert x.grad == 0.0


@pytest.mark.parametrize("x, z", [(1000.0, 1.0), (-1000.0, 0.0), (-745.0, math.exp(-745.0))])
def test_sigmoid_is_stable_at_extremes(x, z):
    v = Value(x)
    s = v.sigmoid()
    s.backward()
    assert s.data == pytest.approx(z, rel=1e-9, abs=0)
    assert v.grad == pytest.approx(z * (1 - z), abs=1e-300)


def test_leaky_relu_slope():
    x = Value(-2.0)
    y = x.leaky_relu(0.1)
    y.backward()
    assert (y.data, x.grad) == (pytest.approx(-0.2), 0.1)
    assert y.operands == (x, 0.1)


def test_bool_operands_are_numbers_like_pytorch():
    x = Value(3.0)
    assert (x * True).data == 3.0 and (x + False).data == 3.0 and Value(True).data == 1.0


# ---- structure, depth, memory --------------------------------------------------------------
def test_nary_nodes_are_one_node():
    ws = [Value(float(i)) for i in range(1000)]
    xs = [float(i % 7) for i in range(1000)]
    z = Value.dot(ws, xs)
    assert len(z.nodes()) == 1001
    z.backward()
    assert [w.grad for w in ws] == xs
    s = Value.sum(ws + [2.0])
    assert s.data == sum(range(1000)) + 2.0 and len(s.parents) == 1000


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


def _count_values():
    return sum(1 for o in gc.get_objects() if type(o) is Value)


def test_graph_freed_by_reference_counting_alone():
    gc.collect()
    gc.disable()
    try:
        before = _count_values()
        x = Value(1.0)
        y = x
        for _ in range(1000):
            y = (y * 0.5).tanh() + x
        y.backward()
        assert _count_values() - before >= 3000
        del y, x
        assert _count_values() == before  # no cycle: nothing left for the cyclic GC
    finally:
        gc.enable()
