"""The walk-through as pictures: one graph picture per backward step, laid out once.

Joins the two halves of the teaching tools: the steps of
:func:`~autograd_engine.teach.walkthrough.backward_steps` and the records of
:func:`~autograd_engine.teach.viz.draw_dot` (which know nothing of each other).  Needs the
``[viz]`` extra.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from ..backprop import forward_order
from ..value import Value
from . import viz
from .walkthrough import Step, backward_steps

if TYPE_CHECKING:  # pragma: no cover
    import graphviz  # type: ignore[import-untyped]


def step_pictures(root: Value, grad: float = 1.0, **draw_kwargs) -> Iterator[tuple[Step, graphviz.Digraph]]:
    """The walk-through as pictures: after each step, ``draw_dot(root, highlight=(node, parent))``
    with the gradients so far, the step's edge labelled upstream × local = contribution
    (``∂f/∂y · ∂y/∂b = 2 × 1 = 2``).  Needs the ``[viz]`` extra.

    **The layout does not move between frames.**  The graph is laid out once, with every
    edge's label and every node's widest gradient text in place (found by walking the pass
    once beforehand and putting every ``.grad`` back as it was), and every frame pins each
    node there (``pos="x,y!"``, fixed sizes, drawn by neato), so only colours and numbers
    change from one picture to the next.  ``draw_kwargs`` go to ``draw_dot`` (``rankdir``,
    ``max_nodes``).  The ``.grad`` updates are those of :func:`backward_steps`, taken lazily.
    """
    rankdir = draw_kwargs.pop("rankdir", "auto")
    max_nodes = draw_kwargs.pop("max_nodes", viz.MAX_NODES)
    if draw_kwargs:
        raise TypeError(f"step_pictures: unexpected keyword arguments {sorted(draw_kwargs)}")
    viz.draw_dot(root, rankdir=rankdir, max_nodes=max_nodes)  # checks arguments, size, extra, now
    nodes = forward_order(root)  # draw_dot's order: node i of the template is node i here
    index = {v: i for i, v in enumerate(nodes)}
    held = [v.grad for v in nodes]
    widest = {i: "" for i in range(len(nodes))}
    labels = {}
    try:  # the rehearsal: every text each frame will show, so one layout has room for all
        seen: dict[Value, int] = {}
        for s in backward_steps(root, grad):
            i, p = index[s.node], seen.get(s.node, 0)
            seen[s.node] = p + 1
            labels[(i, p)] = viz.edge_text(s, root)
            for v in (s.node, s.parent):
                text = f"grad {viz._num(v.grad)}"
                if len(text) > len(widest[index[v]]):
                    widest[index[v]] = text
    finally:
        for v, g in zip(nodes, held):
            v.grad = g
    for i, v in enumerate(nodes):
        widest[i] = widest[i] or f"grad {viz._num(v.grad)}"
    template = viz._draw(root, rankdir, None, max_nodes, template={"grad": widest, "edges": labels})
    layout = viz.layout_of(template)
    return _frames(root, grad, rankdir, max_nodes, layout)


def _frames(root, grad, rankdir, max_nodes, layout):
    seen: dict[Value, int] = {}
    for s in backward_steps(root, grad):
        p = seen.get(s.node, 0)
        seen[s.node] = p + 1
        yield s, viz._draw(root, rankdir, (s.node, s.parent), max_nodes, edge_index=p, layout=layout)
