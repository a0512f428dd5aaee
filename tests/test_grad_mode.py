"""no_grad / enable_grad: as context managers and decorators (functions, generators, coroutines),
private to a thread and to an asyncio task."""

import asyncio
import threading

import pytest

from autograd_engine import Value, enable_grad, is_grad_enabled, no_grad


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


def test_no_grad_records_nothing_and_backward_says_so():
    x = Value(2.0)
    with no_grad():
        assert not is_grad_enabled()
        y = x * 3.0 + 1.0
        with enable_grad():
            z = x * 2.0
    assert is_grad_enabled()
    assert y.data == 7.0 and y.parents == () and y.is_leaf()
    assert z.parents == (x,)
    with pytest.raises(ValueError, match=r"no_grad\(\)"):
        y.backward()


def test_no_grad_as_a_decorator():
    @no_grad()
    def evaluate(v):
        return v * v

    assert evaluate(Value(3.0)).parents == ()
    assert is_grad_enabled()


def test_no_grad_is_private_to_a_thread():
    seen = {}
    inside, release = threading.Event(), threading.Event()

    def worker():
        with no_grad():
            inside.set()
            release.wait(5)

    t = threading.Thread(target=worker)
    t.start()
    inside.wait(5)
    seen["main"] = is_grad_enabled()
    seen["node"] = (Value(1.0) * 2.0).parents != ()
    release.set()
    t.join()
    assert seen == {"main": True, "node": True}


def test_no_grad_is_private_to_an_asyncio_task():
    async def evaluating(started, release):
        with no_grad():
            started.set()
            await release.wait()
            return (Value(1.0) * 2.0).parents

    async def training(started, release):
        await started.wait()
        parents = (Value(1.0) * 2.0).parents
        release.set()
        return parents

    async def main():
        started, release = asyncio.Event(), asyncio.Event()
        return await asyncio.gather(evaluating(started, release), training(started, release))

    ev, tr = asyncio.run(main())
    assert ev == () and len(tr) == 1
