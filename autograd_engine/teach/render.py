"""A graph as picture bytes: a graphviz graph or DOT source laid out (:mod:`.layout`), its fields
coloured and, for PNG, rasterised (:mod:`.svg`), and written atomically where asked.
:func:`~autograd_engine.teach.viz.render` adds Values (drawn with ``draw_dot`` first)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Union

from ..files import atomic_write, writable_target
from .layout import _layout_svg
from .svg import _colour_fields, _png

FORMATS = ("svg", "png")

PathLike = Union[str, os.PathLike]


def graph_source(obj, draw_kwargs: dict) -> str:
    """The DOT text of a graphviz graph (a Digraph, Graph or Source) or of DOT source itself."""
    if draw_kwargs:
        raise TypeError(f"render: the options {sorted(draw_kwargs)} apply only when drawing a Value")
    if isinstance(obj, str):
        return obj
    source = getattr(obj, "source", None)  # a graphviz.Digraph / Graph / Source
    if isinstance(source, str):
        return source
    raise TypeError(f"render: expected a Value, a graphviz graph or DOT source, got {type(obj).__name__}")


def render_source(source_of: Callable[[], str], path: PathLike | None, format: str) -> bytes:
    """The work of :func:`~autograd_engine.teach.viz.render`, the DOT text from ``source_of()``
    (called after the format and path are checked, before any layout)."""
    if format not in FORMATS:
        raise ValueError(f"render: format must be one of {FORMATS}, got {format!r}")
    target = None if path is None else _target(path)  # a bad path fails before the layout work
    ext = target.suffix.lower().lstrip(".") if target is not None else ""
    if target is not None and ext in FORMATS and ext != format:  # PNG bytes in a .svg file open nowhere
        raise ValueError(f"render: path {str(target)!r} ends in .{ext} but format is {format!r}; "
                         f"pass format={ext!r} or name the file {target.with_suffix('.' + format).name!r}")
    source = source_of()
    svg = _colour_fields(_layout_svg(source).decode("utf-8"))
    data = svg.encode("utf-8") if format == "svg" else _png(svg, source)
    if target is not None:
        atomic_write(target, lambda f: f.write(data), "render")
    return data


def render_graph(obj, path: PathLike | None = None, format: str = "svg") -> bytes:
    """:func:`~autograd_engine.teach.viz.render` of a graphviz graph or DOT source (what a
    GraphPicture's ``pipe()``, ``render()`` and display call)."""
    return render_source(lambda: graph_source(obj, {}), path, format)


def _target(path, who: str = "render") -> Path:
    """``path`` checked as a place to write a picture (:func:`files.writable_target`)."""
    return writable_target(path, who)
