"""Switching graph recording off: ``no_grad()`` and ``enable_grad()``.

The switch is a :class:`contextvars.ContextVar`, so it is private to each thread and to each
asyncio task: one task evaluating under ``no_grad()`` never stops another from recording.
Both work as context managers and as decorators, like ``torch.no_grad``.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from typing import Iterator

_GRAD_ENABLED: ContextVar[bool] = ContextVar("autograd_engine_grad_enabled", default=True)

#: ``is_grad_enabled()`` -> bool: whether ops record a graph here and now.
is_grad_enabled = _GRAD_ENABLED.get


@contextmanager
def _grad_mode(enabled: bool) -> Iterator[None]:
    token = _GRAD_ENABLED.set(enabled)
    try:
        yield
    finally:
        _GRAD_ENABLED.reset(token)


def no_grad():
    """Inside ``with no_grad():`` ops compute values but record no graph (no parents, no
    local gradients): evaluation is faster and keeps no memory alive.  A Value made here
    cannot be back-propagated; ``backward()`` on it raises a ValueError that says so."""
    return _grad_mode(False)


def enable_grad():
    """Turn recording back on inside a ``no_grad()`` block."""
    return _grad_mode(True)
