"""Forward mode (tangents pushed from one input) agrees with reverse mode on every op and on
random graphs, and needs one pass per input where backward() needs one pass for all (the AD talk)."""

import math
import random
import zlib

import pytest
from hypothesis import given, settings

from autograd_engine import Value, forward_derivative, no_grad
from autograd_engine.functional import ForwardResult
from oracles import OPS  # covers every rule in RULES (test_ops_oracles checks that)
from test_properties import build, programs


@pytest.mark.parametrize("case", OPS, ids=[c.name for c in OPS])
def test_forward_mode_equals_reverse_mode_on_every_op(case):
    rng = random.Random(zlib.crc32(case.name.encode()))
    for _ in range(10):
        xs = [Value(p) for p in case.sample(rng)]
        out = case.ours(*xs)
        fwd = forward_derivative(out, xs)
        out.backward()
        assert fwd.derivative == pytest.approx([x.grad for x in xs], rel=1e-12, abs=1e-15)
        assert fwd.value == out.data
        assert fwd.passes == len(xs)


def test_florance_example_three_inputs_three_forward_passes():
    a, b, c = Value(-1.0, "a"), Value(3.0, "b"), Value(4.0, "c")
    x, y = a + b, b + c
    f = x * y
    res = forward_derivative(f, [a, b, c])
    assert res == ForwardResult(14.0, (7.0, 9.0, 2.0), 3, 18)  # 6 edges visited in each of 3 passes
    one = forward_derivative(f, b)  # Florance's blog post pushes b forward: ∂f/∂b = 9
    assert (one.derivative, one.passes, one.edge_visits) == (9.0, 1, 6)
    assert (a.grad, b.grad, c.grad, f.grad) == (0.0, 0.0, 0.0, 0.0)  # no .grad touched
    # an interior node: its tangent held at 1 gives ∂f/∂x = y = 7, backward()'s x.grad
    assert forward_derivative(f, x).derivative == 7.0
    assert forward_derivative(f, f).derivative == 1.0
    assert forward_derivative(f, Value(5.0)).derivative == 0.0  # f does not depend on it
    assert forward_derivative(f, []).passes == 0


def test_ad_talk_chain_forward_accumulation():
    """y = f(g(h(x))): dw₃/dx = dw₃/dw₂ · dw₂/dw₁ · dw₁/dx, here y = exp(tanh(x²))."""
    x = Value(0.7)
    y = (x ** 2).tanh().exp()
    w1 = 0.7 ** 2
    w2 = math.tanh(w1)
    expected = math.exp(w2) * (1.0 - w2 ** 2) * (2 * 0.7)
    assert forward_derivative(y, x).derivative == pytest.approx(expected, rel=1e-14)


def test_a_leaf_root():
    a = Value(2.0)
    assert forward_derivative(a, a).derivative == 1.0
    assert forward_derivative(a, [Value(1.0), a]).derivative == (0.0, 1.0)


def test_bad_arguments():
    a = Value(1.0)
    with no_grad():
        z = a * 2
    with pytest.raises(ValueError, match="no_grad"):
        forward_derivative(z, a)
    with pytest.raises(TypeError, match="wrt must be a Value or a sequence"):
        forward_derivative(a * 2, 3.0)
    with pytest.raises(TypeError, match=r"wrt\[1\] must be a Value"):
        forward_derivative(a * 2, [a, 1.0])
    with pytest.raises(TypeError, match="root must be a Value"):
        forward_derivative(2.0, a)


@settings(max_examples=150)
@given(programs())
def test_forward_mode_equals_reverse_mode_on_random_graphs(prog):
    xs, out = build(prog)
    fwd = forward_derivative(out, xs)
    out.backward()
    assert fwd.derivative == pytest.approx([x.grad for x in xs], rel=1e-9, abs=1e-12)
    edges = sum(len(v.parents) for v in out.nodes())
    assert (fwd.passes, fwd.edge_visits) == (len(xs), len(xs) * edges)
