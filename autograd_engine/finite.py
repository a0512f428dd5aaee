"""One policy for the plain numbers a caller passes as a setting (a learning rate, a step size ε,
a slope read from a model file): a real number that fits in a finite float, or a ValueError
that names the function and the operand.

Python's ``int`` has no upper bound: ``float(10**400)`` raises a raw ``OverflowError``, and past
4,300 digits even ``str(n)`` is refused (``sys.set_int_max_str_digits``), so an error message
that prints such a number fails itself.  :func:`shown` is what every message here prints.
"""

from __future__ import annotations

import math
from numbers import Real

_LOG10_2 = math.log10(2)


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
