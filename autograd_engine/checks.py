"""The checks every layer shares: is a number finite, was a graph recorded — one wording each.

The lowest layer of the package (standard library only): the graph walk (``backprop``), the
Values (``value``), the transforms (``grads``, ``functional``) and the tools above them import
these instead of writing the test and its message again.
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Any

_LOG10_2 = math.log10(2)

NO_GRAPH = "so no graph was recorded; compute it outside no_grad() to differentiate"
"""What a node computed under ``no_grad()`` means for differentiating it, in one wording."""


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


# ---- plain numbers given as settings: one policy --------------------------------------------
# A real number that fits in a finite float, or a ValueError naming the function and the operand.
# Python's int has no upper bound: float(10**400) raises a raw OverflowError, and past 4,300
# digits even str(n) is refused, so an error message that prints such a number fails itself;
# :func:`shown` is what every message prints.


def shown(x: object) -> str:
    """``x`` for an error message, short and never failing: an int past 128 bits by its number
    of digits (≈ bit_length·log₁₀2, without ``str``), anything else by its ``repr``
    cut to its first characters and length."""
    if isinstance(x, int) and not isinstance(x, bool) and x.bit_length() > 128:
        return f"an integer of about {int(x.bit_length() * _LOG10_2)} digits"
    try:
        text = repr(x)
    except ValueError:  # a Fraction of huge ints, a NumPy object array of them, ...
        return f"a {type(x).__name__} too long to print"
    return text if len(text) <= 40 else f"{text[:12]}…({len(text)} characters)"


def finite_float(x: object, who: str, name: str, lo: float = -math.inf, hi: float = math.inf,
                 *, positive: bool = False, what: str = "") -> float:
    """``x`` as a float with lo ≤ x < hi (0 < x too when ``positive``): any real number but a
    bool (int, float, NumPy scalar, ``Fraction``).  A ValueError naming ``who`` and ``name``
    otherwise: a non-number, an int past float range (10**400), NaN, ±inf.  ``what`` words the
    range in the message (default "a number in [lo, hi)")."""
    if isinstance(x, bool) or not isinstance(x, Real):
        raise ValueError(f"{who}: {name} must be a number, got {type(x).__name__} {shown(x)}")
    try:
        f = float(x)
    except OverflowError:
        raise ValueError(f"{who}: {name} is {shown(x)}, too large for a float") from None
    if not (lo <= f < hi and math.isfinite(f)) or (positive and f <= 0.0):
        low = "(0" if positive and lo <= 0.0 else f"[{lo:g}"
        raise ValueError(f"{who}: {name} must be {what or f'a number in {low}, {hi:g})'}, got {shown(x)}")
    return f


short = shown  # the older name, kept for the callers that use it
