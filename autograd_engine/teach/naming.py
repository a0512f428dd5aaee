"""One name for every node, the same in every view: the pictures (``draw_dot``, step pictures),
the walk-through table (``format_steps``), ``autograd-engine trace``, the player, the δ tables of
``autograd-engine layers`` and the code of ``to_torch_code``.

The rule: a node's label if it has one; else ``f`` for the root and ``v1, v2, …`` for the
others, numbered without gaps in the order the expression computes them
(:func:`~autograd_engine.backprop.forward_order`: operands left to right, each before the node
it feeds), skipping names that labels already use.  In Benedict Florance's f = (a+b)(b+c) with
the leaves labelled, ``a + b`` is ``v1``, ``b + c`` is ``v2`` and the product ``f``.

Standard library only and at the base of :mod:`autograd_engine.teach`: every teaching module
imports it, it imports none of them.
"""

from __future__ import annotations

from ..backprop import forward_order
from ..value import Value

ROOT_NAME = "f"


def node_names(root: Value, order: list[Value] | None = None) -> dict[Value, str]:
    """Every node of ``root``'s graph → its name: its label; else ``f`` for the root (``f_`` …
    if a label already says ``f``) and ``v1, v2, …`` in computation order for the others,
    skipping numbers a label already uses.  ``order`` is ``forward_order(root)`` when the
    caller has it.  Computed without recursion (any depth works)."""
    if order is None:
        order = forward_order(root)
    taken = {v.label for v in order if v.label}
    names: dict[Value, str] = {}
    k = 0
    for v in order:
        if v.label:
            names[v] = v.label
        elif v is root:
            name = ROOT_NAME
            while name in taken:
                name += "_"
            names[v] = name
        else:
            k += 1
            while f"v{k}" in taken:
                k += 1
            names[v] = f"v{k}"
    return names
