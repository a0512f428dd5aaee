"""The worked numbers of the seeds, exactly."""

import math

import pytest

from autograd_engine import RULES, Value


def test_florance_example_f_equals_a_plus_b_times_b_plus_c():
    # Florance's blog post: f = (a+b)(b+c) at a = -1, b = 3, c = 4
    a, b, c = Value(-1.0, "a"), Value(3.0, "b"), Value(4.0, "c")
    x = a + b
    y = b + c
    f = x * y
    assert (x.data, y.data, f.data) == (2.0, 7.0, 14.0)
    f.backward()
    assert (a.grad, b.grad, c.grad) == (7.0, 9.0, 2.0)
    assert (x.grad, y.grad, f.grad) == (7.0, 2.0, 1.0)


def test_florance_example_f_equals_x_times_y():
    x, y = Value(-2.0), Value(3.0)
    f = x * y
    f.backward()
    assert f.data == -6.0
    assert (x.grad, y.grad) == (3.0, -2.0)  # "increasing x by ε increases f by 3ε"


# the backprop chapter, Figure 6.2: each rule on a one-node graph, with an upstream gradient ∂L/∂z = 5
UPSTREAM = 5.0


def test_rule_addition_distributes():
    x, y = Value(1.5), Value(-4.0)
    (x + y).backward(UPSTREAM)
    assert x.grad == y.grad == UPSTREAM


def test_rule_multiplication_by_a_constant_scales():
    x = Value(1.5)
    z = 3.0 * x
    z.backward(UPSTREAM)
    assert x.grad == 3.0 * UPSTREAM
    assert z.parents == (x,) and z.local_grads == (3.0,)  # no node for the constant


def test_rule_multiplication_swaps():
    x, y = Value(1.5), Value(-4.0)
    (x * y).backward(UPSTREAM)
    assert x.grad == -4.0 * UPSTREAM and y.grad == 1.5 * UPSTREAM


def test_rule_max_is_a_switch():
    x, y = Value(2.0), Value(-1.0)
    (x.max(y)).backward(UPSTREAM)
    assert (x.grad, y.grad) == (UPSTREAM, 0.0)


def test_rule_sigmoid_gives_z_times_one_minus_z():
    x = Value(0.7)
    z = x.sigmoid()
    z.backward(UPSTREAM)
    s = 1 / (1 + math.exp(-0.7))
    assert z.data == pytest.approx(s, rel=1e-15)
    assert x.grad == pytest.approx(s * (1 - s) * UPSTREAM, rel=1e-15)


def test_rule_multiple_inputs_multiple_outputs_sum():
    # the backprop chapter, Figure 6.3: ∂L/∂a = Σ_k ∂L/∂y_k · ∂y_k/∂a
    a = Value(2.0)
    y1, y2, y3 = a * 3.0, a.tanh(), a * a
    L = y1 + y2 + y3
    L.backward()
    assert a.grad == pytest.approx(3.0 + (1 - math.tanh(2.0) ** 2) + 2 * 2.0, rel=1e-15)


@pytest.mark.parametrize("x, expected", [(0.5, 1 - math.tanh(0.5) ** 2), (-2.0, 1 - math.tanh(-2.0) ** 2)])
def test_rule_tanh_one_minus_z_squared(x, expected):
    v = Value(x)
    v.tanh().backward()
    assert v.grad == pytest.approx(expected, rel=1e-15)


def test_rule_exp_is_z_and_log_is_one_over_x():
    x = Value(1.3)
    z = x.exp()
    z.backward()
    assert x.grad == z.data == math.exp(1.3)
    y = Value(2.5)
    y.log().backward()
    assert y.grad == 1 / 2.5


def test_rule_pow_n_x_to_the_n_minus_one_and_z_ln_a():
    x = Value(1.7)
    (x ** 3).backward()
    assert x.grad == pytest.approx(3 * 1.7 ** 2, rel=1e-15)
    e = Value(1.7)
    z = 2.0 ** e
    z.backward()
    assert e.grad == pytest.approx(z.data * math.log(2.0), rel=1e-15)


def test_every_rule_has_a_symbol_and_a_callable():
    assert {"add", "mul", "max", "sigmoid", "tanh", "exp", "log", "pow", "rpow", "relu", "sum", "dot"} <= set(RULES)
    for rule in RULES.values():
        assert rule.symbol and callable(rule.fn)
