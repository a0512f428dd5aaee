"""gradcheck: central differences (f(x+ε) − f(x−ε)) / 2ε (the AD talk) against backprop; passes
on every op, and catches a wrong rule registered in RULES, naming the worst input."""

import math
import random
import zlib

import pytest

from autograd_engine import RULES, Rule, Value
from autograd_engine.teach.gradient_check import GradcheckError, GradcheckReport, gradcheck
from oracles import OPS  # covers every rule in RULES (test_ops_oracles checks that)


@pytest.mark.parametrize("case", OPS, ids=[c.name for c in OPS])
def test_every_op_passes(case):
    rng = random.Random(zlib.crc32(case.name.encode()))
    for _ in range(5):
        point = case.sample(rng)
        report = gradcheck(case.ours, point)
        assert report.passed and report.worst.excess <= 1.0
        assert len(report.inputs) == len(point) and report.evaluations == 2 * len(point)
        assert report.output == pytest.approx(case.ours(*map(Value, point)).data, rel=1e-15)


def test_florance_example_product_numbers():
    """f = x·y at x = −2, y = 3: ∂f/∂x = 3, ∂f/∂y = −2 (Florance's blog post)."""
    x, y = Value(-2.0, "x"), Value(3.0, "y")
    report = gradcheck(lambda p, q: p * q, [x, y])
    (cx, cy) = report.inputs
    assert (cx.name, cx.value, cx.analytic, cy.name, cy.analytic) == ("x", -2.0, 3.0, "y", -2.0)
    assert cx.numeric == pytest.approx(3.0, abs=1e-8) and cy.numeric == pytest.approx(-2.0, abs=1e-8)
    assert cx.abs_error == abs(cx.analytic - cx.numeric)
    assert (x.grad, y.grad) == (0.0, 0.0)  # f ran on fresh leaves


def _bad_tanh_rule(monkeypatch):
    """tanh with the derivative 1 − z instead of 1 − z²."""
    monkeypatch.setitem(RULES, "bad_tanh", Rule("bad_tanh", "tanh", lambda m, x: ((z := m.tanh(x)), 1.0 - z)))


def test_a_wrong_rule_is_caught_and_the_worst_input_named(monkeypatch):
    _bad_tanh_rule(monkeypatch)
    f = lambda a, b: (a * b).apply("bad_tanh") + a  # noqa: E731  (∂/∂b goes only through bad_tanh)
    with pytest.raises(GradcheckError) as info:
        gradcheck(f, [Value(0.5, "a"), Value(1.2, "b")])
    report = info.value.report
    assert isinstance(info.value, AssertionError)
    assert not report.passed
    a, b = report.inputs
    z = math.tanh(0.6)
    assert b.analytic == pytest.approx((1 - z) * 0.5, rel=1e-12)  # what the wrong rule says
    assert b.numeric == pytest.approx((1 - z * z) * 0.5, rel=1e-6)  # the truth
    assert report.worst is b and not b.passed
    assert "worst: b" in str(info.value) and "FAIL" in str(info.value)


def test_report_instead_of_raising(monkeypatch):
    _bad_tanh_rule(monkeypatch)
    report = gradcheck(lambda x: x.apply("bad_tanh"), [0.3], raise_on_failure=False)
    assert isinstance(report, GradcheckReport) and not report.passed
    assert report.inputs[0].rel_error > 0.1
    # at 0 the two derivatives agree (1 − 0 = 1 − 0²): no check can see that bug there
    assert gradcheck(lambda x: x.apply("bad_tanh"), [0.0]).passed


def test_a_lost_gradient_path_is_caught():
    """A detach() in the wrong place: b's gradient through b² is lost."""
    f = lambda a, b: a * b + (b * b).detach()  # noqa: E731
    report = gradcheck(f, [2.0, 3.0], raise_on_failure=False)
    a, b = report.inputs
    assert a.passed and (a.name, b.name) == ("x0", "x1")
    assert (b.analytic, b.numeric) == (2.0, pytest.approx(2.0 + 2 * 3.0, rel=1e-6))
    assert report.worst is b and not report.passed


def test_the_report_reads_as_a_table():
    report = gradcheck(lambda x, y: x * y + y.exp(), [Value(1.0, "x"), 0.5])
    lines = str(report).splitlines()
    assert "(f(x+ε) − f(x−ε)) / 2ε" in lines[0] and "4 evaluations" in lines[0]
    assert lines[2].split() == ["input", "value", "analytic", "numeric", "abs", "error", "rel", "error"]
    x_row, y_row = lines[4].split(), lines[5].split()
    assert x_row[:4] == ["x", "1", "0.5", "0.5"] and x_row[-1] == "ok"
    assert y_row[:3] == ["x1", "0.5", f"{1 + math.exp(0.5):.6g}"]
    assert lines[-1].startswith("passed; worst:")


def test_tolerances_decide():
    # a gradient off by 1e-4 relative: fails with rtol 1e-5, passes with the default 1e-3
    f = lambda x: x * 2 + (x * 2e-4).detach()  # noqa: E731  analytic 2, numeric 2.0002
    assert gradcheck(f, [1.0], atol=0, rtol=1e-3).passed
    assert not gradcheck(f, [1.0], atol=0, rtol=1e-5, raise_on_failure=False).passed
    assert gradcheck(f, [1.0], atol=1e-3, rtol=0).passed


def test_bad_arguments():
    with pytest.raises(TypeError, match="f must return a Value"):
        gradcheck(lambda x: 2.0, [1.0])
    with pytest.raises(TypeError, match=r"inputs\[1\] must be a number or a Value"):
        gradcheck(lambda x, y: x * y, [1.0, "2"])
    with pytest.raises(TypeError, match="wrap it"):
        gradcheck(lambda x: x, 1.0)
    with pytest.raises(ValueError, match="eps must be > 0"):
        gradcheck(lambda x: x, [1.0], eps=0)
    with pytest.raises(ValueError, match="rtol must be a finite number"):
        gradcheck(lambda x: x, [1.0], rtol=-1)
    with pytest.raises(ValueError, match="f failed at x0 - eps: log"):
        gradcheck(lambda x: x.log(), [1e-7], eps=1e-6)  # the point is closer to the edge than eps
    with pytest.raises(TypeError, match="f must be callable"):
        gradcheck(3, [1.0])


def test_gradcheck_refuses_non_finite_gradients_on_either_side():
    from autograd_engine import gradcheck

    with pytest.raises(ValueError, match="gradcheck: the analytic gradient is not finite"):
        gradcheck(lambda a: a * 1e300 * 1e300, [1e-300])
    with pytest.raises(ValueError, match=r"gradcheck: the central difference for input x0 is inf"):
        gradcheck(lambda a: a * 1e308, [0.0], eps=1.5)
    assert gradcheck(lambda a: a * 1e300, [1.0]).passed  # large but finite is checked as usual
