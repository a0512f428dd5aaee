"""Switching graph recording off: ``no_grad()`` and ``enable_grad()``.

The switch is a :class:`contextvars.ContextVar`, so it is private to each thread and to each
asyncio task: one task evaluating under ``no_grad()`` never stops another from recording.
Both work as context managers and as decorators, like ``torch.no_grad``.

As decorators they follow PyTorch's ``torch.autograd.grad_mode`` (its ``_wrap_generator``):
a plain function runs under the mode; a **generator function** runs each resume of its body
(every ``next``/``send``/``throw``/``close``) under the mode and gives the caller back its own
mode between resumes, so the code that consumes the generator keeps recording; a **coroutine
function** (``async def``) runs its body under the mode, across its ``await``\\ s (while it is
suspended, other tasks run in their own contexts, so they are not affected); an **async
generator function** gets the generator treatment.  Without this wrapping a decorator would
only cover the call that *creates* the generator or coroutine, and the body would silently
record a graph.
"""

from __future__ import annotations

import functools
import inspect
from contextvars import ContextVar
from typing import Any, Callable, TypeVar

_GRAD_ENABLED: ContextVar[bool] = ContextVar("autograd_engine_grad_enabled", default=True)

#: ``is_grad_enabled()`` -> bool: whether ops record a graph here and now.
is_grad_enabled = _GRAD_ENABLED.get

F = TypeVar("F", bound=Callable[..., Any])


class _GradMode:
    """A context manager setting recording to ``enabled``, and a decorator doing the same for
    each call (fresh state per call, so one decorated function is safe in many threads)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._tokens: list = []  # a stack: the same object may be entered again while inside

    def __enter__(self) -> None:
        self._tokens.append(_GRAD_ENABLED.set(self.enabled))

    def __exit__(self, *exc) -> None:
        _GRAD_ENABLED.reset(self._tokens.pop())

    def __repr__(self) -> str:
        return "no_grad()" if not self.enabled else "enable_grad()"

    def __call__(self, func: F) -> F:
        if not callable(func):
            raise TypeError(f"{self!r} decorates a function, got {type(func).__name__} {func!r}")
        enabled = self.enabled
        if inspect.isasyncgenfunction(func):
            return functools.wraps(func)(_async_generator(func, enabled))  # type: ignore[return-value]
        if inspect.isgeneratorfunction(func):
            return functools.wraps(func)(_generator(func, enabled))  # type: ignore[return-value]
        if inspect.iscoroutinefunction(func):
            @functools.wraps(func)
            async def coroutine(*args, **kwargs):
                with _GradMode(enabled):
                    return await func(*args, **kwargs)
            return coroutine  # type: ignore[return-value]

        @functools.wraps(func)
        def plain(*args, **kwargs):
            with _GradMode(enabled):
                return func(*args, **kwargs)
        return plain  # type: ignore[return-value]


def _generator(func: Callable, enabled: bool) -> Callable:
    """``func``'s generator, with every resume of its body under the mode (PyTorch's
    ``_wrap_generator``): the caller's own mode holds between resumes."""
    def wrapper(*args, **kwargs):
        with _GradMode(enabled):
            gen = func(*args, **kwargs)
            try:
                response = gen.send(None)
            except StopIteration as stop:
                return stop.value
        while True:
            try:
                request = yield response
            except GeneratorExit:
                with _GradMode(enabled):
                    gen.close()
                raise
            except BaseException as e:  # thrown in by the caller: pass it on to the body
                with _GradMode(enabled):
                    try:
                        response = gen.throw(e)
                    except StopIteration as stop:
                        return stop.value
            else:
                with _GradMode(enabled):
                    try:
                        response = gen.send(request)
                    except StopIteration as stop:
                        return stop.value
    return wrapper


def _async_generator(func: Callable, enabled: bool) -> Callable:
    """The same for an ``async def`` with ``yield``: each ``asend``/``athrow``/``aclose`` of the
    body runs under the mode."""
    async def wrapper(*args, **kwargs):
        with _GradMode(enabled):
            agen = func(*args, **kwargs)
        with _GradMode(enabled):
            try:
                response = await agen.asend(None)
            except StopAsyncIteration:
                return
        while True:
            try:
                request = yield response
            except GeneratorExit:
                with _GradMode(enabled):
                    await agen.aclose()
                raise
            except BaseException as e:
                with _GradMode(enabled):
                    try:
                        response = await agen.athrow(e)
                    except StopAsyncIteration:
                        return
            else:
                with _GradMode(enabled):
                    try:
                        response = await agen.asend(request)
                    except StopAsyncIteration:
                        return
    return wrapper


def no_grad(func: Callable | None = None):
    """Inside ``with no_grad():`` ops compute values but record no graph (no parents, no
    local gradients): evaluation is faster and keeps no memory alive.  A Value made here
    cannot be back-propagated; ``backward()`` on it raises a ValueError that says so.

    Also a decorator, ``@no_grad()`` or ``@no_grad``, for functions, generator functions
    (each resume runs under it) and ``async def`` functions, as ``torch.no_grad``."""
    return _GradMode(False) if func is None else _GradMode(False)(func)


def enable_grad(func: Callable | None = None):
    """Turn recording back on inside a ``no_grad()`` block (also a decorator, as ``no_grad``)."""
    return _GradMode(True) if func is None else _GradMode(True)(func)
