"""What a picture of a graph refuses before any work: text that no file can hold and numbers
that are not finite.

A label or title is written into SVG and HTML as UTF-8; a lone surrogate (``"\\ud800"``, which
Python strings may hold) cannot be encoded, and would end in a raw ``UnicodeEncodeError`` deep
inside the renderer.  ``.data`` is finite when a Value is made, but it can be assigned NaN
afterwards; the page's JSON cannot hold NaN.  Both are ValueErrors naming the function and
the node.
"""

from __future__ import annotations

import math
from typing import Iterable

from ..checks import shown
from ..value import Value


def check_text(text: str, who: str, what: str) -> None:
    """``text`` encodable as UTF-8, or a ValueError naming ``who``, ``what`` and the position."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as e:
        bad = text[e.start]
        raise ValueError(f"{who}: {what} has a lone surrogate {ascii(bad)} at position {e.start}, "
                         "which no SVG or HTML file can hold (a string decoded with "
                         "errors='surrogateescape'?)") from None


def check_drawable(nodes: Iterable[Value], who: str) -> None:
    """Every node's label encodable and its ``.data`` and ``.grad`` finite."""
    for i, v in enumerate(nodes):
        name = f"node {i}" + (f" ({shown(v.label)})" if v.label.isprintable() else "")
        check_text(v.label, who, f"the label of {name}")
        for field in ("data", "grad"):
            x = getattr(v, field)
            try:
                ok = math.isfinite(x)
            except (TypeError, OverflowError):  # an int past float range assigned to .data
                ok = False
            if not ok:
                raise ValueError(f"{who}: {name} has .{field} = {shown(x)} (assigned after the graph was "
                                 "built?); a picture shows finite numbers only")
