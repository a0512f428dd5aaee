"""The scalar engines under test, behind one small interface.

Every graph workload is written once with Python operators (``x * 1.0001 + 0.5``, ``.relu()``)
and runs unchanged on each engine; an engine only says how to make a leaf, how to
backpropagate from a root and how to read a gradient:

===============  ==============================================================================
``ours``         ``autograd_engine.Value`` (the installed package: whatever is on main)
``micrograd``    ``micrograd.engine.Value`` (``micrograd==0.1.0``; recursive topological sort)
``torch-0d``     PyTorch float64 0-d tensors: the same scalar graph, one autograd node per op
===============  ==============================================================================

PyTorch vectorized (one tensor op for a whole layer or batch: the ceiling) has no scalar
interface; the workloads that can use it build it themselves (see ``torch_or_none``).
Every engine's nodes have ``.backward()`` and ``.grad``, which the workloads call directly.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any, Callable

from autograd_engine import Value as OurValue


@dataclass(frozen=True)
class Engine:
    """How a workload talks to one scalar engine."""

    name: str
    leaf: Callable[[float], Any]  # a new leaf holding a float
    value_type: type  # the node class (W4 counts the nodes left after ``del root``)


def _torch():
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)  # 2 noisy cores, shared: one thread, like the pure-Python engines
    return torch


def torch_or_none():
    """The torch module (set to one thread), or None when PyTorch is not installed."""
    return _torch()


def ours() -> Engine:
    return Engine("ours", OurValue, OurValue)


def micrograd() -> Engine:
    from micrograd.engine import Value

    return Engine("micrograd", Value, Value)


def torch_0d() -> Engine | None:
    torch = _torch()
    if torch is None:
        return None

    def leaf(x: float):
        return torch.tensor(x, dtype=torch.float64, requires_grad=True)

    return Engine("torch-0d", leaf, torch.Tensor)


def scalar_engines(include_torch: bool = True) -> dict[str, Engine]:
    """Every scalar engine available here, by name (torch-0d only when PyTorch imports)."""
    out = {"ours": ours(), "micrograd": micrograd()}
    if include_torch:
        t = torch_0d()
        if t is not None:
            out[t.name] = t
    return out


def raise_recursion_limit(nodes: int) -> int:
    """micrograd's ``backward`` sorts the graph recursively: one Python frame per node along
    the deepest path.  Raise the limit to fit ``nodes`` and return the new limit."""
    limit = max(sys.getrecursionlimit(), 2 * nodes + 10_000)
    sys.setrecursionlimit(limit)
    return limit


def versions() -> dict[str, str | None]:
    """The versions of everything measured."""
    import platform
    from importlib.metadata import PackageNotFoundError, version

    def ver(name: str) -> str | None:
        try:
            return version(name)
        except PackageNotFoundError:
            return None

    return {"python": platform.python_version(), "implementation": platform.python_implementation(),
            "autograd-engine": ver("autograd-engine"), "micrograd": ver("micrograd"),
            "numpy": ver("numpy"), "torch": ver("torch"), "machine": platform.machine(),
            "processor": _cpu_name(), "system": platform.platform()}


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or "unknown"
