"""After layout: the data and grad fields coloured in the SVG (the WebAssembly Graphviz has no
per-field colours), and the SVG turned into a PNG with resvg and a real font."""

from __future__ import annotations

import importlib.util
import re
import shutil
from pathlib import Path
from typing import Any

from .style import DATA_COLOUR, FONT, GRAD_COLOUR, INSTALL_HINT, _graphviz


_VALUE_NODE = re.compile(r'(<g id="node\d+" class="node">\s*<title>v\d+</title>.*?</g>)', re.S)
_TEXT = re.compile(r"<text (?![^>]*\bfill=)")  # a text without a colour of its own (fontcolor)


def _colour_fields(svg: str) -> str:
    """Colour each Value record's last two fields (data, grad) green and red.

    Graphviz writes a record's fields as ``<text>`` elements in order, inside the node's
    ``<g>`` whose ``<title>`` is our node name ``v<i>`` (op and constant nodes have other
    names), so the position identifies the field whatever the user's label says.  A text
    that already has a colour (``fontcolor`` set on the graph) keeps it: a second ``fill``
    attribute would make the SVG invalid XML.
    """
    def paint(m: re.Match) -> str:
        group = m.group(1)
        starts = [t.start() for t in _TEXT.finditer(group)]
        for pos, colour in reversed(list(zip(starts[-2:], (DATA_COLOUR, GRAD_COLOUR)))):
            group = group[:pos] + f'<text fill="{colour}" ' + group[pos + len("<text "):]
        return group

    return _VALUE_NODE.sub(paint, svg)


def _font_file() -> str | None:
    """matplotlib's DejaVu Sans, found without importing matplotlib (it is in the [viz] extra)."""
    spec = importlib.util.find_spec("matplotlib")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder, "mpl-data", "fonts", "ttf", "DejaVuSans.ttf")
        if path.is_file():
            return str(path)
    return None


def _png(svg: str, source: str) -> bytes:
    """SVG → PNG with resvg, given a real font (without one resvg draws no text at all)."""
    try:
        import resvg_py
    except ImportError as e:
        if shutil.which("dot"):  # system Graphviz can still make a PNG (without the colours)
            return _graphviz().pipe("dot", "png", source.encode("utf-8"), quiet=True)
        raise ImportError(f"render: PNG output needs resvg-py; {INSTALL_HINT}") from e
    font = _font_file()
    fonts: dict[str, Any] = {"font_files": [font], "font_family": FONT, "sans_serif_family": FONT,
             "serif_family": FONT} if font else {}
    # dpi 96 resolves Graphviz's pt units; zoom 2 for a sharp picture on high-density screens
    return bytes(resvg_py.svg_to_bytes(svg_string=svg, dpi=96.0, zoom=2.0, background="white", **fonts))

