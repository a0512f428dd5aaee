"""The graph machinery: order the nodes, then send gradients back along the stored edges.

Nothing here knows an op's calculus: each node already holds its local gradients ∂z/∂x
(computed at forward time by :mod:`autograd_engine.rules`), so backprop is the chain rule
∂L/∂x += ∂L/∂z · ∂z/∂x applied edge by edge, in reverse topological order.

No recursion anywhere: a chain of millions of nodes works under the default recursion limit.
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Any, Protocol, TypeVar

from .checks import computed_under_no_grad, no_graph_error, shown


class Node(Protocol):
    """What the walk needs from a node (``value.Value`` is one; this module never imports it).

    ``_a`` is None for a leaf, the first parent, or a tuple of parents (an n-ary node) whose
    local gradients ∂z/∂parent are the tuple ``_da``; otherwise ``_da`` is ∂z/∂_a and, when
    ``_db`` is not None, ``_b`` is the second parent and ``_db`` its local gradient."""

    data: float
    grad: float
    label: str
    op: str
    _a: Any
    _b: Any
    _da: Any
    _db: Any

    @property
    def parents(self) -> tuple[Any, ...]:
        """The Value operands in the order they were written (what :func:`forward_order` reads)."""
        ...


N = TypeVar("N", bound=Node)


def topological_order(root: N, *more: N) -> list[N]:
    """Every node ``root`` depends on, parents before children, ``root`` last.

    An iterative depth-first search: a node is pushed back under a ``None`` marker when it
    is expanded and emitted when the marker comes off the stack, i.e. after all its parents.
    ``backward`` walks the same way, so both see the interior nodes in the same order.
    With several roots, one walk with one visited set orders all their graphs (a node they
    share is expanded once), the roots in the order given where none depends on another.
    """
    order: list[N] = []
    seen: set[N] = set()
    stack: list = [*reversed(more), root]
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
        push(v)
        push(None)
        if a.__class__ is tuple:
            stack.extend(a)
        else:
            push(a)
            if v._db is not None:
                push(v._b)
    return order


def forward_order(root: N, limit: float = math.inf) -> list[N]:
    """The nodes of ``root``'s graph in the order a left-to-right evaluation computes them:
    parents before children, each node's operands visited in the order they were written
    (``(a + b) * (b + c)`` gives a, b, a+b, c, b+c, the product), ``root`` last.

    The one order in which the teaching views number nodes (``v1, v2, …``) and
    ``to_torch_code`` writes its lines, so code and pictures read like what was typed.
    (:func:`topological_order` is also parents-first but visits the last operand first:
    it is the order of ``backward``.)  Iterative, so any depth works; an OverflowError once
    more than ``limit`` nodes are seen (a caller's bound, checked before walking all of a
    huge graph).
    """
    order: list[N] = []
    seen: set[N] = set()
    stack: list = [(root, False)]
    while stack:
        v, expanded = stack.pop()
        if expanded:  # every parent is emitted
            order.append(v)
            continue
        if v in seen:
            continue
        seen.add(v)
        if len(seen) > limit:
            raise OverflowError(f"more than {limit} nodes")
        stack.append((v, True))
        stack.extend((p, False) for p in reversed(v.parents) if p not in seen)
    return order


def _seed(grad, who: str) -> float:
    """The seed ∂L/∂root as a finite float: any real number the ops accept (int, NumPy scalar,
    Fraction), but not a bool; a TypeError or ValueError naming ``who`` otherwise."""
    if isinstance(grad, bool) or not isinstance(grad, Real):
        raise TypeError(f"{who}: grad must be a number, got {type(grad).__name__} {shown(grad)}")
    try:
        f = float(grad)
    except OverflowError:
        raise ValueError(f"{who}: grad {shown(grad)} is too large for a float") from None  # 400 digits: the first ones
    if not math.isfinite(f):
        raise ValueError(f"{who}: grad must be finite, got {shown(grad)}")
    return f


def backward(root: Node, grad: float = 1.0) -> None:
    """Fill ``.grad`` with ∂root/∂node · grad for every node of ``root``'s graph.

    Leaves accumulate; interior nodes start from zero in every call (see ``Value.backward``).
    """
    if grad.__class__ is not float or not -math.inf < grad < math.inf:
        grad = _seed(grad, "backward")
    if root._a is None:
        if computed_under_no_grad(root):
            raise no_graph_error("backward", "this Value", root)
        root.grad += grad  # a leaf: ∂root/∂root = 1, accumulated like any leaf
        return
    # topological_order's walk, written out again on purpose: this is the hot loop, and a shared
    # helper would cost a call per node.  Instead of a "seen" set, each visited node's .grad is
    # set to `mark`, a zero made for this pass: the reset interior nodes need anyway, and `is`
    # tells a visited node apart from any other zero.  Leaves are not ordered (they only
    # receive), but their gradient so far is set aside, so this pass sums into a zero and is
    # added at the end as PyTorch's AccumulateGrad does: two passes give exactly 2x.
    mark = float("0")
    order: list[Node] = []
    leaves: list[Node] = []
    held: list[float] = []  # two flat lists, not (leaf, grad) tuples: tuples would wake the GC
    stack: list = [root]
    push, pop, emit = stack.append, stack.pop, order.append
    while stack:
        v = pop()
        if v is None:  # all parents of the node below the marker are emitted
            emit(pop())
            continue
        if v.grad is mark:  # visited already
            continue
        a = v._a
        if a is None:
            leaves.append(v)
            held.append(v.grad)
            v.grad = mark
            continue
        v.grad = mark
        push(v)
        push(None)
        if a.__class__ is tuple:
            stack.extend(a)
        else:
            push(a)
            if v._db is not None:
                push(v._b)
    # The chain rule, children before parents: ∂L/∂x += ∂L/∂z · ∂z/∂x for every edge.
    root.grad = grad
    for v in reversed(order):
        g = v.grad
        a = v._a
        if a.__class__ is tuple:  # n-ary: one local gradient per parent
            for p, d in zip(a, v._da):
                p.grad += g * d
        else:
            a.grad += g * v._da
            d = v._db
            if d is not None:
                v._b.grad += g * d
    for v, before in zip(leaves, held):  # leaves accumulate across passes: before + this pass
        g = before + v.grad if before else v.grad
        if g - g:  # inf or nan (inf - inf is nan, and nan is true): a product overflowed
            for u, b in zip(leaves, held):
                u.grad = b  # nothing is lost: every leaf keeps the gradient it had
            name = f"leaf {v.label!r}" if v.label else "a leaf"
            raise ValueError(
                f"backward: the gradient of {name} (data {v.data!r}) is {g!r}: a product of local "
                "gradients overflowed float64; leaf gradients are left as they were (rescale the loss)")
        v.grad = g
