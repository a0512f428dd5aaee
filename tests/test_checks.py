"""The shared checks (checks.py): finite numbers, and huge ints named, never str()-ed."""

import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from autograd_engine import Value
from autograd_engine.checks import finite_float, shown
from autograd_engine.teach.gradient_check import gradcheck


#: ints past float range, some past Python's 4,300-digit str() limit
huge_ints = st.integers(min_value=309, max_value=6000).map(lambda d: 10 ** d + 7) | st.just(-(10 ** 5000))


def _named_value_error(fn, who: str):
    with pytest.raises(ValueError) as e:
        fn()
    message = str(e.value)
    assert who in message and "Exceeds the limit" not in message, message
    return message


@settings(max_examples=30)
@given(n=huge_ints)
def test_huge_ints_in_settings_are_value_errors_naming_the_setting(n):
    p = [Value(1.0)]
    _named_value_error(lambda: nn.SGD(p, lr=n), "SGD: lr")
    _named_value_error(lambda: nn.Adam(p, weight_decay=n), "Adam: weight_decay")
    _named_value_error(lambda: gradcheck(lambda x: x * x, [1.0], eps=n), "gradcheck: eps")
    _named_value_error(lambda: nn.LeakyReLU(n), "LeakyReLU: negative_slope")
    opt = nn.SGD(p, lr=0.1)
    state = opt.state_dict()
    _named_value_error(lambda: opt.load_state_dict({**state, "lr": n}), "load_state_dict: lr")
    assert shown(n).startswith("an integer of about ")
    _named_value_error(lambda: Value(1.0) * n, "mul")
    with pytest.raises(TypeError, match="add: unsupported operand of type 'list'"):
        Value(1.0) + [n]  # the message names the type; the huge int's str() is never taken
    with pytest.raises(TypeError, match="backward: grad must be a number, got list"):
        Value(1.0).backward([n])


def test_finite_float_takes_every_real_but_bool():
    assert finite_float(Fraction(1, 4), "f", "x") == 0.25
    for bad in (True, "1", None, math.nan, math.inf):
        with pytest.raises(ValueError, match="f: x must be"):
            finite_float(bad, "f", "x")


def test_assign_parameters_refuses_a_huge_int_by_name_and_changes_nothing():
    np = pytest.importorskip("numpy")
    from autograd_engine import compile as compile_tape

    model = nn.MLP(2, [3, 1], seed=0)
    tape = compile_tape(lambda a, b: model([a, b]), 2)
    tape.forward(np.zeros((4, 2)))
    before = [p.data for p in tape.parameters]
    values = [0.5] * len(tape.parameters)
    values[2] = 10 ** 5000  # past float range and past Python's int-to-str limit
    _named_value_error(lambda: tape.assign_parameters(values), "Tape.assign_parameters")
    assert [p.data for p in tape.parameters] == before
