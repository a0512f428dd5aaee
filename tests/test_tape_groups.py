"""The tape replayed by level (issue 17): groups of same-op, same-depth nodes as one array op,
a layer as one matrix product; the same numbers as the scalar engine on models, on graphs
whose groups share, repeat and permute operands, and on empty n-ary nodes; the parameters as
one array and the optimizers' array step (equal to ``optimizer.step()`` bit for bit)."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from autograd_engine import Value, compile
from autograd_engine.tape import ARRAY_MATH
from nn.array_step import array_step
from test_tape import assert_close, scalar_run, tape_run


def mlp_loss(sizes, seed=0, l2=1e-4, act="relu"):
    model = nn.MLP(sizes[0], list(sizes[1:]), activation=act, seed=seed)
    nin, nout = sizes[0], sizes[-1]
    params = model.parameters()

    def fn(*v):
        out = model(list(v[:nin]))
        loss = nn.hinge(out, v[nin]) if nout == 1 else \
            nn.losses.softmax_cross_entropy(out, list(v[nin:]))
        return loss + nn.l2(params, l2)
    return model, fn, nin + nout


def batch(sizes, B, seed=1):
    rng = np.random.default_rng(seed)
    nin, nout = sizes[0], sizes[-1]
    X = rng.normal(size=(B, nin))
    Y = np.sign(rng.normal(size=(B, 1))) if nout == 1 else np.eye(nout)[rng.integers(0, nout, B)]
    return np.column_stack([X, Y])


# ---- a layer is one matrix product -----------------------------------------------------------
def test_an_mlp_replays_as_a_few_array_ops_not_one_per_node():
    _, fn, n = mlp_loss((2, 16, 16, 1))
    tape = compile(fn, n)
    # dot, relu, dot, relu, dot (the layers), hinge's mul/rsub/relu, the L2 dot/mul/add
    assert len(tape) == 71 and tape.n_groups <= 11


def test_the_layer_dot_is_a_matrix_product_of_the_weight_rows(monkeypatch):
    """The stacked dot gets the layer's weights as an (n, k, 1) stack and the shared inputs as
    (n, 1, B): one product for all k neurons."""
    _, fn, n = mlp_loss((3, 8, 1), l2=0.0)
    tape = compile(fn, n)
    seen = []
    real = ARRAY_MATH.dot

    def spy(ws, xs):
        seen.append((np.shape(ws), np.shape(xs)))
        return real(ws, xs)
    monkeypatch.setattr(ARRAY_MATH, "dot", spy)
    tape.forward(batch((3, 8, 1), 5))
    assert ((4, 8, 1), (4, 1, 5)) in seen  # 3 inputs and the bias' 1; 8 neurons; 5 samples
    assert ((9, 1, 1), (9, 1, 5)) in seen  # the output neuron


@pytest.mark.parametrize("sizes, B", [((2, 16, 16, 1), 7), ((5, 12, 9, 4), 6), ((3, 1, 1), 4)])
def test_models_equal_the_scalar_engine(sizes, B):
    _, fn, n = mlp_loss(sizes, seed=3)
    tape = compile(fn, n)
    X = batch(sizes, B)
    want_out, want_grads = scalar_run(fn, tape.parameters, X, "mean")
    got_out, got_grads = tape_run(tape, X, "mean")
    assert_close(got_out, want_out, rel=1e-12, abs_=1e-15)
    assert_close(got_grads, want_grads, rel=1e-12, abs_=1e-15)


# ---- graphs that are not layers ----------------------------------------------------------------
W = [Value(v) for v in (0.7, -1.3, 0.6, 1.1, -0.4)]

SHAPES = {
    # one input read by every node of a group (a shared operand: gradients add over the group)
    "shared operand": lambda a, b: Value.sum([a * w for w in W]) + Value.sum([w * b for w in W]),
    # the same node twice in one group's operands, and an operand repeated inside a dot
    "repeats": lambda a, b: Value.dot([W[0], W[1], a], [a, a, a]) + (a * b) * (a * b),
    # a group whose operands are in another order than their rows (permuted reads)
    "permuted": lambda a, b: _permuted(a, b),
    # parameter-only nodes mixed with per-sample ones in one n-ary group
    "mixed kinds": lambda a, b: Value.sum([a, W[0] * W[1], 2.0, b * W[2], W[3]]) *
    Value.dot([W[0], a, 3.0], [b, W[1], W[4]]),
    # numbers that differ across a group (a column of numbers per node)
    "numbers": lambda a, b: Value.sum([(a * w) ** p + (w - a) * c
                                       for w, p, c in zip(W, (2, 3, 2, 1, 3), (1.0, -2.0, 0.5, 3.0, 1.0))]),
}


def _permuted(a, b):
    hs = [(a * w + b).tanh() for w in W]
    return Value.dot(W, hs[::-1]) + Value.dot(hs[1::2], hs[::2][:2]) + Value.sum(hs[2:] + hs[:2])


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_graphs_of_every_shape_equal_the_scalar_engine(name):
    fn = SHAPES[name]
    tape = compile(fn, 2)
    X = np.random.default_rng(4).uniform(-1.5, 1.5, size=(6, 2))
    want_out, want_grads = scalar_run(fn, tape.parameters, X)
    got_out, got_grads = tape_run(tape, X)
    assert_close(got_out, want_out, rel=1e-12, abs_=1e-14)
    assert_close(got_grads, want_grads, rel=1e-12, abs_=1e-14)
    assert tape.n_groups < len(tape) or name == "mixed kinds"  # one node of each op there


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10**6), width=st.integers(1, 6), depth=st.integers(1, 3),
       batch_size=st.integers(1, 5))
def test_random_wide_graphs_equal_the_scalar_engine(seed, width, depth, batch_size):
    """Random layers of random ops over random subsets of the previous layer: groups of every
    size, operands shared, repeated and out of row order."""
    rng = random.Random(seed)
    params = [Value(rng.uniform(-1, 1)) for _ in range(4)]
    plan = []
    for _ in range(depth):
        plan.append([(rng.choice(["mul", "add", "tanh", "dot", "sum", "sigmoid", "max"]),
                      [rng.randrange(width + 2) for _ in range(3)], rng.randrange(4))
                     for _ in range(width)])

    def fn(a, b):
        prev = [a, b, a * params[0], b + params[1]]
        for layer in plan:
            cur = []
            for op, idx, p in layer:
                x, y, z = (prev[i % len(prev)] for i in idx)
                if op == "mul":
                    cur.append(x * y)
                elif op == "add":
                    cur.append(x + params[p])
                elif op == "tanh":
                    cur.append((x * params[p]).tanh())
                elif op == "sigmoid":
                    cur.append(x.sigmoid())
                elif op == "max":
                    cur.append(x.max(y))
                elif op == "dot":
                    cur.append(Value.dot([x, params[p], 0.5], [y, z, x]))
                else:
                    cur.append(Value.sum([x, y, z, params[p]]))
            prev = cur
        return Value.sum(prev)

    tape = compile(fn, 2)
    X = np.array([[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(batch_size)])
    want_out, want_grads = scalar_run(fn, tape.parameters, X)
    got_out, got_grads = tape_run(tape, X)
    assert_close(got_out, want_out, rel=1e-12, abs_=1e-13)
    assert_close(got_grads, want_grads, rel=1e-11, abs_=1e-13)


# ---- empty n-ary nodes (issue 15) -----------------------------------------------------------------
@pytest.mark.parametrize("empty", [lambda: Value.sum([]), lambda: Value.dot([], [])])
def test_an_empty_sum_or_dot_is_zero_with_no_gradient(empty):
    w = Value(2.0)
    for fn in (lambda x: x * w + empty(), lambda x: (x * w).exp() * empty() + x * w,
               lambda x: empty()):
        tape = compile(fn, 1)
        X = np.array([[1.0], [-2.0]])
        want_out, want_grads = scalar_run(fn, tape.parameters, X)
        got_out, got_grads = tape_run(tape, X)
        assert got_out == want_out
        assert got_grads == want_grads


# ---- the array backend's choice ---------------------------------------------------------------
def test_where_is_np_where_bit_for_bit():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(40, 64))
    x[0, :4] = [0.0, -0.0, 5e-324, -5e-324]
    c = x > 0
    for a, b in [(x, 0.0), (1.0, 0.0), (-x, x), (1.0, 0.01), (x, 0.01 * x), (x, -0.0)]:
        got, want = ARRAY_MATH.where(c, a, b), np.where(c, a, b)
        assert got.shape == want.shape and got.dtype == np.float64
        assert (got.view(np.int64) == want.view(np.int64)).all()
    assert ARRAY_MATH.where(c[:1], x, 0.0).shape == (40, 64)  # broadcasting falls back


# ---- the parameters as one array ----------------------------------------------------------------
def test_parameter_arrays_follow_the_values():
    model, fn, n = mlp_loss((2, 3, 1))
    tape = compile(fn, n)
    assert {id(p) for p in tape.parameters} == {id(p) for p in model.parameters()}
    assert tape.parameter_data().tolist() == [p.data for p in tape.parameters]
    with pytest.raises(RuntimeError, match="backward"):
        tape.parameter_grad()
    for p in tape.parameters:
        p.grad = 0.0
    tape.forward(batch((2, 3, 1), 4))
    tape.backward()
    assert tape.parameter_grad().tolist() == [p.grad for p in tape.parameters]
    read = [p.data for p in tape.parameters]
    tape.parameters[0].data += 1.0  # the Values are the truth; fresh=False: what forward read
    assert tape.parameter_data(fresh=False).tolist() == read
    assert tape.parameter_data()[0] == read[0] + 1.0
    tape.parameters[0].data -= 1.0
    new = tape.parameter_data() + 1.0
    tape.assign_parameters(new)
    assert [p.data for p in tape.parameters] == new.tolist()
    before = tape.parameter_data()
    bad = new.copy()
    bad[3] = np.inf
    with pytest.raises(ValueError, match="parameter 3 .* not finite; nothing changed"):
        tape.assign_parameters(bad)
    with pytest.raises(ValueError, match="need 13 values"):
        tape.assign_parameters(new[:-1])
    assert (tape.parameter_data() == before).all()


OPTIMIZERS = {
    "sgd": lambda ps: nn.SGD(ps, lr=0.1),
    "momentum + decay": lambda ps: nn.SGD(ps, lr=nn.linear_decay(0.5, 0.1, 5), momentum=0.9,
                                          weight_decay=1e-3),
    "adam": lambda ps: nn.Adam(ps, lr=0.01, weight_decay=1e-4),
    "adagrad": lambda ps: nn.AdaGrad(ps, lr=0.05),
    "rmsprop": lambda ps: nn.RMSProp(ps, lr=0.01),
}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_the_array_step_equals_optimizer_step_bit_for_bit(name):
    sizes = (3, 5, 2)
    (m_a, fn_a, n), (m_b, fn_b, _) = mlp_loss(sizes, seed=9), mlp_loss(sizes, seed=9)
    tape_a, tape_b = compile(fn_a, n), compile(fn_b, n)
    opt_a, opt_b = OPTIMIZERS[name](m_a.parameters()), OPTIMIZERS[name](m_b.parameters())
    X = batch(sizes, 8)
    for _ in range(4):
        for tape, opt in ((tape_a, opt_a), (tape_b, opt_b)):
            opt.zero_grad()
            tape.forward(X)
            tape.backward()
        assert array_step(opt_a, tape_a) is True
        opt_b.step()
        assert [p.data for p in m_a.parameters()] == [p.data for p in m_b.parameters()]
        assert opt_a.steps == opt_b.steps
        for attr in ("velocity", "m", "v", "sum_sq", "mean_sq"):
            assert getattr(opt_a, attr, None) == getattr(opt_b, attr, None)


def test_the_array_step_refuses_a_diverging_step_and_changes_nothing():
    model, fn, n = mlp_loss((2, 3, 1))
    tape = compile(fn, n)
    opt = nn.SGD(model.parameters(), lr=1e308)
    model.zero_grad()
    tape.forward(batch((2, 3, 1), 4) * 10)
    tape.backward()
    before = [p.data for p in model.parameters()]
    with pytest.raises(ValueError, match=r"SGD.step: step 1 would make parameter \d+"):
        array_step(opt, tape)
    assert [p.data for p in model.parameters()] == before and opt.steps == 0


def test_the_array_step_refuses_an_overflowing_optimizer_state_as_optimizer_step_does():
    """g² overflowing Adam's v would make every later step g/∞ = 0: a silent stall. Both the
    array path and Optimizer.step refuse it with a DivergenceError, changing nothing."""
    m = nn.MLP(2, [4, 1], seed=0)
    tape = compile(lambda x1, x2, t: nn.hinge(m([x1, x2]), t), 3)
    X = np.array([[1e160, 1e160, 1.0], [-1e160, -1e160, -1.0]])
    for step in (lambda opt: array_step(opt, tape), lambda opt: opt.step()):
        opt = nn.Adam(m.parameters(), lr=0.01)
        m.zero_grad()
        tape.forward(X)
        tape.backward("mean")
        before = [p.data for p in m.parameters()]
        with pytest.raises(nn.DivergenceError, match="'v' of parameter 0"):
            step(opt)
        assert [p.data for p in m.parameters()] == before and opt.steps == 0 and opt.v == [0.0] * len(before)


def test_other_optimizers_and_parameter_sets_fall_back():
    model, fn, n = mlp_loss((2, 3, 1))
    tape = compile(fn, n)

    class MySGD(nn.SGD):
        pass
    assert array_step(MySGD(model.parameters()), tape) is False
    assert array_step(nn.SGD(model.parameters()[:-1]), tape) is False


def test_fit_compiled_trains_like_the_scalar_engine_with_adam():
    data = nn.moons(40, noise=0.1, seed=2)
    runs = []
    for compiled in (False, True):
        model = nn.MLP(2, [6, 1], seed=4)
        hist = nn.fit(model, "hinge", nn.Adam(model.parameters(), lr=0.02), data, epochs=4,
                      batch_size=16, l2=1e-3, compiled=compiled, seed=1)
        runs.append((hist.loss, [p.data for p in model.parameters()]))
    assert_close(runs[1][0], runs[0][0], rel=1e-12)
    assert_close(runs[1][1], runs[0][1], rel=1e-10, abs_=1e-13)
    assert math.isfinite(runs[1][0][-1])
