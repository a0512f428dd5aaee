"""Bad input: a TypeError/ValueError naming the op and operand, never a raw traceback from
inside, a silent NaN or a wrong gradient."""

import math

import numpy as np
import pytest

from autograd_engine import Value


@pytest.mark.parametrize("bad, hint", [
    ("2", "float"), (None, "None"), ([1.0, 2.0], "Value.sum"), (np.array([1.0, 2.0]), "element"),
    (1 + 2j, "real"), ({"a": 1}, "element"),
])
@pytest.mark.parametrize("op, apply", [
    ("add", lambda v, o: v + o), ("add", lambda v, o: o + v), ("mul", lambda v, o: v * o),
    ("mul", lambda v, o: o * v), ("sub", lambda v, o: v - o), ("div", lambda v, o: v / o),
    ("max", lambda v, o: v.max(o)), ("pow", lambda v, o: v ** o),
])
def test_non_numeric_operands_raise_type_error_naming_the_op(op, apply, bad, hint):
    with pytest.raises(TypeError) as info:
        apply(Value(2.0, "v"), bad)
    msg = str(info.value)
    assert msg.startswith(("add", "mul", "sub", "div", "rsub", "rdiv", "max", "pow"))
    assert hint in msg


@pytest.mark.parametrize("bad", ["x", None, [1.0], float("nan"), float("inf"), 10 ** 400, 1 + 1j])
def test_value_constructor_refuses_bad_data(bad):
    with pytest.raises((TypeError, ValueError), match=r"^Value"):
        Value(bad)


def test_label_must_be_text():
    with pytest.raises(TypeError, match="label"):
        Value(1.0, label=3)


@pytest.mark.parametrize("expr, op, needle", [
    (lambda: Value(0.0).log(), "log", "x > 0"),
    (lambda: Value(-1.0).log(), "log", "x > 0"),
    (lambda: Value(1e-310).log(), "log", "log"),  # 1/x overflows: no inf gradient
    (lambda: Value(0.0) ** -1, "pow", "x ≠ 0"),
    (lambda: Value(-8.0) ** (1 / 3), "pow", "fractional"),
    (lambda: Value(0.0) ** 0.5, "pow", "pow"),  # derivative 0.5·0^(−0.5) is infinite
    (lambda: Value(2.0) / Value(0.0), "div", "divisor"),
    (lambda: Value(2.0) / 0, "div", "divisor"),
    (lambda: 1.0 / Value(0.0), "rdiv", "divisor"),
    (lambda: Value(1000.0).exp(), "exp", "finite"),
    (lambda: Value(10.0) ** 400, "pow", "finite"),
    (lambda: (-2.0) ** Value(0.5), "rpow", "a > 0"),
    (lambda: Value(-2.0) ** Value(2.0), "vpow", "x > 0"),
    (lambda: Value(1e200) * Value(1e200), "mul", "finite"),
    (lambda: Value(1e308) + 1e308, "add", "finite"),
    (lambda: Value(1.0) * float("nan"), "mul", "nan"),
])
def test_domain_errors_are_value_errors_naming_op_and_operand(expr, op, needle):
    with pytest.raises(ValueError) as info:
        expr()
    msg = str(info.value)
    assert msg.startswith(op)
    assert needle in msg
    e = info.value
    assert e.__cause__ is None and (e.__context__ is None or e.__suppress_context__)  # no inner traceback


def test_dot_length_mismatch():
    with pytest.raises(ValueError, match="dot: .*length"):
        Value.dot([Value(1.0)], [1.0, 2.0])


def test_sum_of_bad_element_names_sum():
    with pytest.raises(TypeError, match="^sum"):
        Value.sum([Value(1.0), "x"])


@pytest.mark.parametrize("seed", ["1", None, float("nan"), math.inf])
def test_backward_seed_is_checked(seed):
    with pytest.raises((TypeError, ValueError), match="^backward"):
        (Value(1.0) * 2.0).backward(seed)


def test_numpy_array_on_the_left_is_refused_clearly():
    with pytest.raises(TypeError, match="mul.*numpy"):
        np.array([1.0, 2.0]) * Value(1.0)


def test_numpy_scalar_is_a_number():
    assert (np.float64(2.0) * Value(3.0)).data == 6.0
    assert (Value(3.0) + np.int64(2)).data == 5.0
