"""The edges of issue 15/16: grad mode on generators and coroutines, non-finite gradients in
the teaching tools, training that diverges, CLI inputs that must answer in seconds."""

from __future__ import annotations

import asyncio
import math

import pytest

from autograd_engine import Value, enable_grad, is_grad_enabled, no_grad


# ---- @no_grad() on generators and coroutines (as torch.no_grad) --------------------------
@pytest.mark.parametrize("bare", [False, True])
def test_no_grad_generator_each_resume_runs_under_the_mode(bare):
    x = Value(2.0)
    seen = []

    def body():
        seen.append(is_grad_enabled())
        got = yield x * 3
        seen.append(is_grad_enabled())
        yield x * got
        seen.append(is_grad_enabled())
        return "done"

    gen = (no_grad(body) if bare else no_grad()(body))()
    first = next(gen)
    assert is_grad_enabled()  # the caller records between resumes
    second = gen.send(4.0)
    assert (first.data, second.data) == (6.0, 8.0)
    assert first.is_leaf() and second.is_leaf()  # no graph recorded inside the body
    with pytest.raises(StopIteration) as stop:
        next(gen)
    assert stop.value.value == "done"
    assert seen == [False, False, False]
    assert (x * 2).parents  # recording is back on
    # and torch does the same
    torch = pytest.importorskip("torch")
    t = torch.ones(1, requires_grad=True)

    @torch.no_grad()
    def tg():
        yield t * 2
    assert not next(tg()).requires_grad


def test_no_grad_generator_throw_and_close_run_under_the_mode():
    log = []

    @no_grad()
    def body():
        try:
            yield 1
        except KeyError:
            log.append(("throw", is_grad_enabled()))
            yield 2
        finally:
            log.append(("finally", is_grad_enabled()))

    gen = body()
    next(gen)
    assert gen.throw(KeyError("k")) == 2
    gen.close()
    assert log == [("throw", False), ("finally", False)]
    assert is_grad_enabled()


def test_enable_grad_generator_inside_no_grad():
    @enable_grad()
    def body():
        yield Value(1.0) * 2

    with no_grad():
        gen = body()
        z = next(gen)
        assert not is_grad_enabled()
    assert z.parents


def test_no_grad_async_def_body_runs_under_the_mode_and_other_tasks_record():
    x = Value(3.0)

    @no_grad()
    async def evaluate():
        await asyncio.sleep(0)
        inner = x * x
        await asyncio.sleep(0)
        return inner, is_grad_enabled()

    async def other():
        await asyncio.sleep(0)
        return x * 2, is_grad_enabled()

    async def main():
        return await asyncio.gather(evaluate(), other())

    (a, mode_a), (b, mode_b) = asyncio.run(main())
    assert (a.data, mode_a) == (9.0, False) and a.is_leaf()
    assert (b.data, mode_b) == (6.0, True) and b.parents
    assert asyncio.iscoroutinefunction(evaluate)
    assert is_grad_enabled()


def test_no_grad_async_generator():
    @no_grad()
    async def agen():
        yield is_grad_enabled()
        yield is_grad_enabled()

    async def main():
        return [m async for m in agen()], is_grad_enabled()

    assert asyncio.run(main()) == ([False, False], True)


def test_decorated_plain_function_keeps_name_and_refuses_non_callables():
    @no_grad()
    def f(v):
        """doc"""
        return v * 2, is_grad_enabled()

    z, mode = f(Value(1.0))
    assert (mode, z.is_leaf(), f.__name__, f.__doc__) == (False, True, "f", "doc")
    with pytest.raises(TypeError, match="decorates a function"):
        no_grad()(3)
    with no_grad():  # the context manager, re-entered through one object
        cm = no_grad()
        with cm:
            with cm:
                assert not is_grad_enabled()
    assert is_grad_enabled()


# ---- one policy for every path that computes a gradient: refuse non-finite, keep .grad ------
def overflowing():
    """∂f/∂a = 1e300 · 1e300 overflows; the forward values are finite (f = 1e300)."""
    a, b = Value(1e-300, "a"), Value(2.0, "b")
    return a, b, a * 1e300 * 1e300 + b


def test_backward_and_backward_steps_refuse_the_same_overflow_and_keep_the_leaves():
    from autograd_engine.teach.walkthrough import backward_steps

    a, b, f = overflowing()
    a.grad, b.grad = 5.0, 7.0
    with pytest.raises(ValueError, match="leaf 'a'"):
        f.backward()
    assert (a.grad, b.grad) == (5.0, 7.0)
    before = {v: v.grad for v in f.nodes()}
    steps = backward_steps(f)
    seen = []
    with pytest.raises(ValueError, match=r"gradient of leaf 'a' .* is inf: at step 4 .*overflowed") as err:
        for s in steps:
            seen.append(s)
            assert all(math.isfinite(v.grad) for v in f.nodes())  # never an inf in between
    assert "left as it was" in str(err.value)
    assert [s.index for s in seen] == [1, 2, 3]  # detected at the step where it happens
    assert all(math.isfinite(s.contribution) and math.isfinite(s.parent_grad) for s in seen)
    assert {v: v.grad for v in f.nodes()} == before  # every gradient as it was, nothing lost
    assert (a.grad, b.grad) == (5.0, 7.0)


def test_backward_steps_refuses_an_overflow_when_adding_what_the_leaf_held():
    from autograd_engine.teach.walkthrough import backward_steps

    x = Value(0.5, "x")
    f = x * 1e308
    x.grad = 1e308  # this pass adds 1e308: finite on its own, inf once added
    with pytest.raises(ValueError, match="leaf 'x'.*held before"):
        list(backward_steps(f))
    assert x.grad == 1e308
    with pytest.raises(ValueError, match="leaf 'x'"):
        f.backward()  # backward() agrees
    assert x.grad == 1e308
    leaf = Value(1.0)
    leaf.grad = 1e308
    with pytest.raises(ValueError, match="a leaf"):
        list(backward_steps(leaf, 1e308))
    assert leaf.grad == 1e308


def test_backward_steps_still_matches_backward_and_keeps_accumulating():
    from autograd_engine.teach.walkthrough import backward_steps

    a, b, c = Value(-1.0), Value(3.0), Value(4.0)
    f = (a + b) * (b + c)
    f.backward()
    list(backward_steps(f))
    assert (a.grad, b.grad, c.grad) == (14.0, 18.0, 4.0)
    steps = backward_steps(f)
    next(steps)
    steps.close()  # left early: the leaves keep what they held plus this pass so far
    assert (a.grad, b.grad, c.grad) == (14.0, 18.0, 4.0)


def test_trace_cli_refuses_the_overflow_in_one_line(capsys):
    from autograd_engine.cli import main

    assert main(["trace", "a*1e300*1e300", "a=1e-300"]) == 2
    out, err = capsys.readouterr()
    assert out == ""  # nothing printed as if it had worked, no "∂f/∂a = inf"
    assert len(err.strip().splitlines()) == 1
    assert "gradient of leaf 'a'" in err and "inf" in err and "overflowed" in err
    assert main(["trace", "a*1e300", "a=1e-300"]) == 0  # 1e300 is fine
    assert "∂f/∂a = 1e+300" in capsys.readouterr().out


def test_gradcheck_refuses_non_finite_gradients_on_either_side():
    from autograd_engine import gradcheck

    with pytest.raises(ValueError, match="gradcheck: the analytic gradient is not finite"):
        gradcheck(lambda a: a * 1e300 * 1e300, [1e-300])
    with pytest.raises(ValueError, match=r"gradcheck: the central difference for input x0 is inf"):
        gradcheck(lambda a: a * 1e308, [0.0], eps=1.5)
    assert gradcheck(lambda a: a * 1e300, [1.0]).passed  # large but finite is checked as usual
