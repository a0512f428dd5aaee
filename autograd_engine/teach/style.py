"""What every picture of a graph shares: the font, the colours, numbers and labels as a picture
writes them, and the optional graphviz package (imported on use, with the install hint)."""

from __future__ import annotations

import re

INSTALL_HINT = "pip install 'autograd-engine[viz]'"
FONT = "DejaVu Sans"
"""One font for every engine: system ``dot`` finds it through fontconfig, and the PNG step
hands resvg the file matplotlib ships, so both renderings carry the same, readable text."""

DATA_COLOUR, GRAD_COLOUR = "#1a7f37", "#c62828"  # forward values green, gradients red (Figure 6.4, as above)
HIGHLIGHT_COLOUR, HIGHLIGHT_FILL = "#e69f00", "#fff4d6"


def _num(x: float) -> str:
    """A number as it appears in a picture: 4 significant digits (``-1``, ``0.5``, ``1.235e+04``);
    ``+ 0.0`` turns a gradient of −0.0 (say relu's 0 times a negative upstream) into ``0``."""
    return format(x + 0.0, ".4g")


def _record_text(s: str) -> str:
    """Escape the characters a Graphviz record label treats as structure."""
    return re.sub(r'([\\{}|<>"])', r"\\\1", s).replace("\n", " ")


def _graphviz():
    try:
        import graphviz
    except ImportError as e:
        raise ImportError(f"drawing graphs needs the graphviz package: {INSTALL_HINT}") from e
    return graphviz
