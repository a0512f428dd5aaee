"""Measurements that need a fresh process (run by ``run.py``, one subprocess each; prints one
line of JSON).

    python benchmarks/probe.py memory ENGINE LEVELS   W4: bytes per op node, freeing without GC
    python benchmarks/probe.py depth LEVELS           the deep chain: time and peak memory

A fresh interpreter has no garbage of earlier workloads, no grown allocator pools and no
raised high-water mark of resident memory, so what it reports belongs to one graph.
"""

from __future__ import annotations

import gc
import json
import resource
import sys
import time
import tracemalloc

from engines import ours, raise_recursion_limit, scalar_engines
from graphs import chain_forward
from timing import GCClock, settle


def memory(engine_name: str, levels: int) -> dict:
    """The W1 chain of ``levels`` levels (3 op nodes each) with the cyclic GC disabled:

    * ``graph_bytes_per_node``: memory the graph holds after the forward pass (tracemalloc),
      over its op nodes — every object it keeps alive counts (micrograd's constant nodes for
      1.0001 and 0.5, closures, sets; our floats);
    * ``backward_peak_bytes_per_node``: the peak during ``backward()`` over the same count;
    * ``nodes_left``: nodes still alive after ``del root`` (reference counting alone), and
      ``gc_collected``: what ``gc.collect()`` then finds unreachable (0 and 0 when the graph
      holds no reference cycle).
    """
    E = scalar_engines(include_torch=False)[engine_name]
    raise_recursion_limit(3 * levels)
    gc.collect()
    gc.disable()
    x0 = E.leaf(0.1)
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    root = chain_forward(x0, levels)
    graph = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.reset_peak()
    root.backward()
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    del root
    left = sum(1 for o in gc.get_objects() if type(o) is E.value_type) - 1  # minus the leaf x0
    collected = gc.collect()
    nodes = 3 * levels
    return {"engine": engine_name, "levels": levels, "op_nodes": nodes,
            "graph_bytes_per_node": graph / nodes, "backward_peak_bytes_per_node": peak / nodes,
            "nodes_left": left, "gc_collected": collected}


def depth(levels: int) -> dict:
    """Our engine on a ``levels``-deep chain (3 op nodes each), automatic GC on: build and
    backward times, ``del`` time, the share of it all inside the cyclic GC, and the process's
    peak resident memory (VmHWM, see `_maxrss`)."""
    E = ours()
    settle()  # as in run.py: collections scan only the graph, not the imports
    base = _maxrss()
    x0 = E.leaf(0.1)
    with GCClock() as gcc:
        t0 = time.perf_counter()
        root = chain_forward(x0, levels)
        t1 = time.perf_counter()
        root.backward()
        t2 = time.perf_counter()
        del root
        t3 = time.perf_counter()
    return {"levels": levels, "op_nodes": 3 * levels, "build_s": t1 - t0, "backward_s": t2 - t1,
            "free_s": t3 - t2, "build_backward_s": t2 - t0,
            "gc_share": gcc.seconds / (t3 - t0), "peak_rss_bytes": _maxrss(),
            "baseline_rss_bytes": base, "leaf_grad": x0.grad}


def _maxrss() -> int:
    """Peak resident set size of this process, in bytes: Linux's VmHWM (its own, whereas
    ru_maxrss starts from the parent's peak at fork), else ru_maxrss (KiB; bytes on macOS)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return 1024 * int(line.split()[1])
    except OSError:
        pass
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return r if sys.platform == "darwin" else 1024 * r


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[0] == "memory":
        result = memory(argv[1], int(argv[2]))
    elif len(argv) == 2 and argv[0] == "depth":
        result = depth(int(argv[1]))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
