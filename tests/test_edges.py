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
