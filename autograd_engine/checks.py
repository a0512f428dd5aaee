"""The checks every layer shares: is a number finite, was a graph recorded — one wording each.

The lowest layer of the package (standard library only): the graph walk (``backprop``), the
Values (``value``), the transforms (``grads``, ``functional``) and the tools above them import
these instead of writing the test and its message again.
"""

from __future__ import annotations

import math
from typing import Any

NO_GRAPH = "so no graph was recorded; compute it outside no_grad() to differentiate"
"""What a node computed under ``no_grad()`` means for differentiating it, in one wording."""


def short(y: object) -> str:
    """repr(y), or its first digits and length when that is long (a 400-digit int)."""
    text = repr(y)
    return text if len(text) <= 40 else f"{text[:12]}…({len(text)} characters)"


def computed_under_no_grad(v: Any) -> bool:
    """Whether a node was made by an op under ``no_grad()``: it names its op, but recorded no
    parents (a leaf made by the user has no op)."""
    return v._a is None and bool(v.op)


def no_graph_error(who: str, what: str, v: Any, consequence: str = NO_GRAPH) -> ValueError:
    """The error for differentiating (or writing out) ``v``, a node computed under ``no_grad()``:
    ``"{who}: {what} (op 'mul', data 2.0) was computed under no_grad(), {consequence}"``."""
    return ValueError(f"{who}: {what} (op {v.op!r}, data {v.data!r}) was computed under no_grad(), {consequence}")


def check_finite_nonnegative(val: Any, who: str, arg: str) -> None:
    """Refuse anything but an int or float that is finite and ≥ 0 (a tolerance, a weight decay):
    ``ValueError("{who}: {arg} must be a finite number ≥ 0, got {val!r}")``; bools are refused."""
    if isinstance(val, bool) or not isinstance(val, (int, float)) or not 0 <= val < math.inf:
        raise ValueError(f"{who}: {arg} must be a finite number ≥ 0, got {val!r}")
