"""The graph machinery: order the nodes, then send gradients back along the stored edges.

Nothing here knows an op's calculus: each node already holds its local gradients ∂z/∂x
(computed at forward time by :mod:`autograd_engine.rules`), so backprop is the chain rule
∂L/∂x += ∂L/∂z · ∂z/∂x applied edge by edge, in reverse topological order.

No recursion anywhere: a chain of millions of nodes works under the default recursion limit.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .value import Value


def topological_order(root: Value, zero_interior: bool = False) -> list[Value]:
    """Every node ``root`` depends on, parents before children, ``root`` last.

    An iterative depth-first search: a node is pushed back under a ``None`` marker when it
    is expanded and emitted when the marker comes off the stack, i.e. after all its parents.
    ``zero_interior`` also resets the ``.grad`` of every non-leaf node on the way (backward).
    """
    order: list[Value] = []
    seen: set[Value] = set()
    stack: list = [root]
    push, pop, emit, mark = stack.append, stack.pop, order.append, seen.add
    while stack:
        v = pop()
        if v is None:  # the marker: all parents of the node below it are emitted
            emit(pop())
            continue
        if v in seen:
            continue
        mark(v)
        a = v._a
        if a is None:  # a leaf
            emit(v)
            continue
        if zero_interior:
            v.grad = 0.0
        push(v)
        push(None)
        if a.__class__ is tuple:
            stack.extend(a)
        else:
            push(a)
            if v._db is not None:
                push(v._b)
    return order


def backward(root: Value, grad: float = 1.0) -> None:
    """Fill ``.grad`` with ∂root/∂node · grad for every node of ``root``'s graph.

    Leaves accumulate; interior nodes start from zero in every call (see ``Value.backward``).
    """
    if grad.__class__ is not float:
        if isinstance(grad, bool) or not isinstance(grad, (int, float)):
            raise TypeError(f"backward: grad must be a number, got {type(grad).__name__} {grad!r}")
        grad = float(grad)
    if not math.isfinite(grad):
        raise ValueError(f"backward: grad must be finite, got {grad!r}")
    if root._a is None:
        if root.op:
            raise ValueError(
                f"backward: this Value (op {root.op!r}, data {root.data!r}) was computed under "
                "no_grad(), so no graph was recorded; compute it outside no_grad() to differentiate")
        root.grad += grad  # a leaf: ∂root/∂root = 1, accumulated like any leaf
        return
    order = topological_order(root, zero_interior=True)
    root.grad = grad
    for v in reversed(order):
        a = v._a
        if a is None:
            continue
        g = v.grad
        if a.__class__ is tuple:  # n-ary: one local gradient per parent
            for p, d in zip(a, v._da):
                p.grad += g * d
        else:
            a.grad += g * v._da
            d = v._db
            if d is not None:
                v._b.grad += g * d
