"""Value: the constructor, the ops on numbers and Values (data always a finite float, errors that
name the op and operand), detach, n-ary nodes, and a graph freed by reference counting."""

import gc
import math
from fractions import Fraction

import numpy as np
import pytest

from autograd_engine import Value, zero_grad


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


def test_numpy_array_on_the_left_is_refused_clearly():
    with pytest.raises(TypeError, match="mul.*numpy"):
        np.array([1.0, 2.0]) * Value(1.0)


def test_numpy_scalar_is_a_number():
    assert (np.float64(2.0) * Value(3.0)).data == 6.0
    assert (Value(3.0) + np.int64(2)).data == 5.0


def test_detach_cuts_the_graph():
    x = Value(3.0)
    y = x.detach() * x  # gradient flows only through the second factor
    y.backward()
    assert x.grad == 3.0
    assert x.detach().is_leaf() and x.detach().data == 3.0


def test_bool_operands_are_numbers_like_pytorch():
    x = Value(3.0)
    assert (x * True).data == 3.0 and (x + False).data == 3.0 and Value(True).data == 1.0


def test_nary_nodes_are_one_node():
    ws = [Value(float(i)) for i in range(1000)]
    xs = [float(i % 7) for i in range(1000)]
    z = Value.dot(ws, xs)
    assert len(z.nodes()) == 1001
    z.backward()
    assert [w.grad for w in ws] == xs
    s = Value.sum(ws + [2.0])
    assert s.data == sum(range(1000)) + 2.0 and len(s.parents) == 1000


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


#: every way a plain number enters an op: name -> (Value, number) -> Value
NUMBER_OPS = {
    "add": lambda v, k: v + k, "radd": lambda v, k: k + v, "sub": lambda v, k: v - k,
    "rsub": lambda v, k: k - v, "mul": lambda v, k: v * k, "rmul": lambda v, k: k * v,
    "div": lambda v, k: v / k, "rdiv": lambda v, k: k / v, "pow": lambda v, k: v ** k,
    "rpow": lambda v, k: k ** v, "max": lambda v, k: v.max(k), "min": lambda v, k: v.min(k),
    "leaky_relu": lambda v, k: v.leaky_relu(k),
    "sum": lambda v, k: Value.sum([v, k]), "dot": lambda v, k: Value.dot([v], [k]),
    "apply": lambda v, k: v.apply("mul", k),
}


BAD = [float("nan"), float("inf"), -float("inf"), 10 ** 400, -(10 ** 400), np.float64("nan"), np.inf]


@pytest.mark.parametrize("op", sorted(NUMBER_OPS))
@pytest.mark.parametrize("k", BAD, ids=["nan", "inf", "-inf", "10**400", "-10**400", "np.nan", "np.inf"])
def test_a_non_finite_or_huge_number_is_refused_by_every_op(op, k):
    with pytest.raises(ValueError, match="not finite|too large for a float|needs"):
        NUMBER_OPS[op](Value(1.5), k)


@pytest.mark.parametrize("op", sorted(NUMBER_OPS))
@pytest.mark.parametrize("k", [3, True, np.int64(2), Fraction(1, 2), np.float32(0.5)],
                         ids=["int", "bool", "np.int64", "Fraction", "np.float32"])
def test_data_is_always_a_float(op, k):
    v = Value(1.5)
    out = NUMBER_OPS[op](v, k)
    assert out.data.__class__ is float and math.isfinite(out.data)
    out.backward()
    assert v.grad.__class__ is float


def test_max_of_a_larger_int_is_a_float():
    assert Value(1.0).max(3).data.__class__ is float and Value(1.0).max(3).data == 3.0
    assert Value.sum([]).data.__class__ is float and Value.dot([], []).data == 0.0


@pytest.mark.parametrize("call,msg", [
    (lambda: Value.sum(None), "sum: values must be an iterable"),
    (lambda: Value.sum(3), "sum: values must be an iterable"),
    (lambda: Value.dot(3, 4), "dot: ws must be an iterable"),
    (lambda: Value.dot([1.0], Value(2.0)), "dot: xs must be an iterable"),
    (lambda: zero_grad(3.0), "zero_grad: argument 0 must be a Value"),
    (lambda: Value.sum(["a"]), "sum: unsupported operand of type 'str'"),
])
def test_raw_errors_now_name_the_op(call, msg):
    with pytest.raises(TypeError, match=msg):
        call()
