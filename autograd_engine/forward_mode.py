"""Forward-mode differentiation: push a tangent from one input forward through the graph.

Seed 002 ("Forward and backward modes") writes y = f(g(h(x))) = w₃ with w₀ = x and

1. **forward accumulation** computes  dwᵢ/dx = dwᵢ/dwᵢ₋₁ · dwᵢ₋₁/dx,
2. **reverse accumulation** computes  dy/dwᵢ = dy/dwᵢ₊₁ · dwᵢ₊₁/dwᵢ,

with the costs, for f: ℝⁿ → ℝᵐ, "forward: O(n·cost(f)), backward: O(m·cost(f))".

On a graph the forward recursion sums over a node's parents: seeded with ṫ(x) = 1 (and 0
for every other leaf), each node in topological order gets

    ṫ(z) = Σ_parents ∂z/∂p · ṫ(p)

and ṫ(root) = ∂root/∂x.  The local gradients ∂z/∂p are the ones stored on the graph at forward
time -- the same numbers ``backward()`` multiplies, only in the other order.  One forward pass
gives the derivative with respect to ONE input; a loss of n inputs needs n passes, where one
backward pass gives all n (seed 004: "reverse-mode differentiation gives us all of them ...
a thrice speedup" for f = (a+b)(b+c)).  :func:`forward_derivative` counts the passes.
"""

from __future__ import annotations

from typing import NamedTuple, Sequence, Union

from .value import Value


class ForwardResult(NamedTuple):
    """What :func:`forward_derivative` found, and what it cost."""

    value: float  #: the root's forward value
    derivative: Union[float, tuple[float, ...]]  #: ∂root/∂wrt (a tuple when wrt was a sequence)
    passes: int  #: tangent sweeps over the graph: one per input in wrt
    edge_visits: int  #: multiply-adds done: passes × edges (one backward pass visits each edge once)


def forward_derivative(root: Value, wrt: Union[Value, Sequence[Value]]) -> ForwardResult:
    """∂root/∂wrt by tangent propagation over ``root``'s recorded graph, one pass per input.

    ``wrt`` is one Value (``derivative`` is a float) or a sequence of Values (a tuple, one pass
    each).  A Value the root does not depend on gets 0.  ``wrt`` may be an interior node: its
    tangent is held at 1, which gives ∂root/∂node as ``backward()`` leaves it in ``node.grad``.
    No ``.grad`` is read or written.
    """
    if not isinstance(root, Value):
        raise TypeError(f"forward_derivative: root must be a Value, got {type(root).__name__} {root!r}")
    single = isinstance(wrt, Value)
    inputs = (wrt,) if single else _values(wrt)
    if root.is_leaf() and root.op:
        raise ValueError(
            f"forward_derivative: this Value (op {root.op!r}, data {root.data!r}) was computed under "
            "no_grad(), so no graph was recorded; compute it outside no_grad() to differentiate")
    order = root.nodes()
    edges = sum(len(v.parents) for v in order)
    derivatives = tuple(_tangent(order, x) for x in inputs)
    return ForwardResult(root.data, derivatives[0] if single else derivatives,
                         len(inputs), len(inputs) * edges)


def _tangent(order: list[Value], x: Value) -> float:
    """One forward pass seeded at x: ṫ(z) = Σ ∂z/∂p · ṫ(p), in topological order."""
    tangent: dict[Value, float] = {x: 1.0}
    get = tangent.get
    for z in order:
        if z is x or z.is_leaf():
            continue  # the seed stays 1; every other leaf is held fixed (ṫ = 0)
        t = 0.0
        for p, d in zip(z.parents, z.local_grads):
            t += d * get(p, 0.0)
        tangent[z] = t
    return get(order[-1], 0.0)


def _values(wrt) -> tuple[Value, ...]:
    try:
        xs = tuple(wrt)
    except TypeError:
        raise TypeError(f"forward_derivative: wrt must be a Value or a sequence of Values, "
                        f"got {type(wrt).__name__} {wrt!r}") from None
    for i, x in enumerate(xs):
        if not isinstance(x, Value):
            raise TypeError(f"forward_derivative: wrt[{i}] must be a Value, got {type(x).__name__} {x!r}")
    return xs
