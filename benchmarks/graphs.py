"""W1 (deep chain) and W3 (wide graphs): build a graph, backpropagate, free it, each timed.

A graph workload is ``setup`` (make the leaves: untimed, they are the inputs) and
``forward`` (the op nodes: timed), written with Python operators only so that every engine of
:mod:`engines` runs the same code.  One repetition of one engine times three phases::

    forward   build the graph (automatic GC on, as users run it)
    backward  root.backward()
    free      del root (and leaves) + gc.collect(): a graph with reference cycles
              (micrograd's closures) is only reclaimed here, by the cyclic GC

and the share of all that time spent inside the cyclic GC (``gc.callbacks``).  Before the
timed phases, :func:`timing.settle` collects and freezes everything alive (the leaves, the
other engines' state), so collections scan only what the timed phases make.
"""

from __future__ import annotations

import gc
import random
from dataclasses import dataclass
from typing import Any, Callable

from timing import phases, settle


def chain_forward(x, levels: int):
    """W1: ``x = (x*1.0001 + 0.5).relu()`` ``levels`` times: 3 op nodes per level."""
    for _ in range(levels):
        x = (x * 1.0001 + 0.5).relu()
    return x


def tree_sum(xs: list):
    """Σ xs as pairwise adds (depth log₂ n, so micrograd's recursive sort copes)."""
    while len(xs) > 1:
        pairs = [xs[i] + xs[i + 1] for i in range(0, len(xs) - 1, 2)]
        xs = pairs + xs[-1:] if len(xs) % 2 else pairs
    return xs[0]


@dataclass(frozen=True)
class Graph:
    """One graph workload at one size, for the scalar engines (and optionally a vectorized
    PyTorch version of the same function)."""

    name: str
    size: int
    op_nodes: int  # op nodes of the scalar graph (leaves excluded)
    setup: Callable[[Any], list]  # engine -> leaves
    forward: Callable[[list], Any]  # leaves -> root


def chain(levels: int) -> Graph:
    return Graph("chain", levels, 3 * levels, lambda E: [E.leaf(0.1)],
                 lambda leaves: chain_forward(leaves[0], levels))


def _pairs(n: int, seed: int = 0) -> list[float]:
    rng = random.Random(seed)
    return [rng.uniform(-1.0, 1.0) for _ in range(2 * n)]


def fan_in(n: int) -> Graph:
    """W3 fan-in: Σᵢ aᵢ·bᵢ over n pairs of leaves, the sum a tree of pairwise adds
    (n products + n − 1 adds)."""
    data = _pairs(n)
    return Graph("fan-in", n, 2 * n - 1, lambda E: [E.leaf(x) for x in data],
                 lambda leaves: tree_sum([a * b for a, b in zip(leaves[:n], leaves[n:])]))


def fan_in_nary(n: int) -> Graph:
    """W3 fan-in with our n-ary node: ``Value.sum`` of the n products (n + 1 op nodes)."""
    from autograd_engine import Value

    data = _pairs(n)
    return Graph("fan-in", n, n + 1, lambda E: [E.leaf(x) for x in data],
                 lambda leaves: Value.sum([a * b for a, b in zip(leaves[:n], leaves[n:])]))


def fan_out(n: int) -> Graph:
    """W3 fan-out: one leaf x used by n nodes x·kᵢ (plain-number kᵢ), summed as a tree
    (n products + n − 1 adds); backward adds n contributions into x.grad."""
    ks = _pairs(n)[:n]
    return Graph("fan-out", n, 2 * n - 1, lambda E: [E.leaf(0.5)],
                 lambda leaves: tree_sum([leaves[0] * k for k in ks]))


def torch_vectorized(graph: Graph, torch) -> Graph | None:
    """The same function as one or two tensor ops (the ceiling), or None when a graph has no
    parallelism to vectorize (a chain)."""
    f64 = torch.float64
    n = graph.size
    if graph.name == "fan-in":
        data = _pairs(n)

        def setup(E):
            return [torch.tensor(data[:n], dtype=f64, requires_grad=True),
                    torch.tensor(data[n:], dtype=f64, requires_grad=True)]

        return Graph(graph.name, n, graph.op_nodes, setup, lambda lv: (lv[0] * lv[1]).sum())
    if graph.name == "fan-out":
        ks = torch.tensor(_pairs(n)[:n], dtype=f64)

        def setup(E):
            return [torch.tensor(0.5, dtype=f64, requires_grad=True)]

        return Graph(graph.name, n, graph.op_nodes, setup, lambda lv: (lv[0] * ks).sum())
    return None


def run(graph: Graph, engine) -> dict[str, float]:
    """One repetition: setup (untimed), then forward, backward, free timed; ``gc`` the
    seconds inside the cyclic GC over the three; ``check`` the first leaf's gradient."""
    state: dict = {"leaves": graph.setup(engine)}
    settle()
    out: dict[str, Any] = {}

    def forward():
        state["root"] = graph.forward(state["leaves"])

    def backward():
        state["root"].backward()

    def free():
        out["check"] = _grad(state["leaves"][0])
        state.clear()  # drops the root and the leaves: the whole graph is garbage now
        gc.collect()

    out.update(phases([("forward", forward), ("backward", backward), ("free", free)]))
    return out


def _grad(leaf) -> float:
    """The gradient of the first leaf (of the first element, for a vectorized leaf)."""
    g = leaf.grad
    if hasattr(g, "reshape"):  # a torch tensor, 0-d or vectorized
        g = g.reshape(-1)[0].item()
    return float(g)
