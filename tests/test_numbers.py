"""Plain numbers meet Values: every path that takes a number checks it like a Value's data.

The class of bug: a fast path for plain-number operands that skipped the finiteness check
(``Value(1.0).max(float('nan'))`` gave data 1.0 and gradient 0 with no error), or let a
Python int reach ``.data``.  Every op that takes a number is tried with every kind of number.
"""

import math
from fractions import Fraction

import numpy as np
import pytest

from autograd_engine import Value, zero_grad

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
