"""The graph machinery: order the nodes, then send gradients back along the stored edges.

Nothing here knows an op's calculus: each node already holds its local gradients ∂z/∂x
(computed at forward time by :mod:`autograd_engine.rules`), so backprop is the chain rule
∂L/∂x += ∂L/∂z · ∂z/∂x applied edge by edge, in reverse topological order.

No recursion anywhere: a chain of millions of nodes works under the default recursion limit.
"""

from __future__ import annotations

import math
from numbers import Real
from typing import TYPE_CHECKING

from .finite import shown

if TYPE_CHECKING:
    from .value import Value


def topological_order(root: Value, *more: Value) -> list[Value]:
    """Every node ``root`` depends on, parents before children, ``root`` last.

    An iterative depth-first search: a node is pushed back under a ``None`` marker when it
    is expanded and emitted when the marker comes off the stack, i.e. after all its parents.
    ``backward`` walks the same way, so both see the interior nodes in the same order.
    With several roots, one walk with one visited set orders all their graphs (a node they
    share is expanded once), the roots in the order given where none depends on another.
    """
    order: list[Value] = []
    seen: set[Value] = set()
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


def _seed(grad, who: str) -> float:
    """The seed ∂L/∂root as a finite float: any real number the ops accept (int, NumPy scalar,
    Fraction), but not a bool; a TypeError or ValueError naming ``who`` otherwise."""
    if isinstance(grad, bool) or not isinstance(grad, Real):
        raise TypeError(f"{who}: grad must be a number, got {type(grad).__name__} {shown(grad)}")
    try:
        f = float(grad)
    except OverflowError:
        raise ValueError(f"{who}: grad {shown(grad)} is too large for a float") from None
    if not math.isfinite(f):
        raise ValueError(f"{who}: grad must be finite, got {shown(grad)}")
    return f


def backward(root: Value, grad: float = 1.0) -> None:
    """Fill ``.grad`` with ∂root/∂node · grad for every node of ``root``'s graph.

    Leaves accumulate; interior nodes start from zero in every call (see ``Value.backward``).
    """
    if grad.__class__ is not float or not -math.inf < grad < math.inf:
        grad = _seed(grad, "backward")
    if root._a is None:
        if root.op:
            raise ValueError(
                f"backward: this Value (op {root.op!r}, data {root.data!r}) was computed under "
                "no_grad(), so no graph was recorded; compute it outside no_grad() to differentiate")
        root.grad += grad  # a leaf: ∂root/∂root = 1, accumulated like any leaf
        return
    # topological_order's walk, written out again on purpose: this is the hot loop, and a shared
    # helper would cost a call per node.  Instead of a "seen" set, each visited node's .grad is
    # set to `mark`, a zero made for this pass: the reset interior nodes need anyway, and `is`
    # tells a visited node apart from any other zero.  Leaves are not ordered (they only
    # receive), but their gradient so far is set aside, so this pass sums into a zero and is
    # added at the end as PyTorch's AccumulateGrad does: two passes give exactly 2x.
    mark = float("0")
    order: list[Value] = []
    leaves: list[Value] = []
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


# ---- gradients as values, or as graphs ----------------------------------------------------
def gradients(outputs, inputs, grad_outputs=None, *, create_graph: bool = False,
              allow_unused: bool = False):
    """∂outputs/∂inputs, returned instead of written into ``.grad`` (as ``torch.autograd.grad``
    and TensorFlow's ``tf.gradients`` do).

    ``outputs`` is a Value or a sequence of Values, ``inputs`` a Value or a sequence of Values
    (leaves or interior nodes); the result has the shape of ``inputs``: one gradient, or a
    tuple.  With several outputs the gradients add, each weighted by its ``grad_outputs``
    entry (default 1): Σₖ vₖ ∂yₖ/∂x, a vector–Jacobian product.  No ``.grad`` is read or
    written, so it can run in the middle of a training step.

    ``create_graph=False``: floats, from the local gradients stored at forward time.
    ``create_graph=True``: Values whose graph can be differentiated again, to any order.  Each
    local gradient ∂z/∂x is then evaluated as a Value, from the rule table's own formula text
    with Values as the backend (``rules.local_gradients``, ``value.VALUE_MATH``): mul's
    ∂z/∂x = y is the Value y, tanh's 1 − z² is a small graph over the node z, and the chain
    rule ∂L/∂x += ∂L/∂z · ∂z/∂x is recorded like any other arithmetic.

    An input the outputs do not depend on is a ValueError naming it, or ``None`` with
    ``allow_unused=True`` (as in PyTorch).  A gradient that overflows float64 is a ValueError.
    """
    from .grad_mode import enable_grad
    from .value import VALUE_MATH, Value

    outs = _as_values(outputs, "outputs", Value)
    single = isinstance(inputs, Value)
    ins = _as_values(inputs, "inputs", Value)
    seeds = _seeds(grad_outputs, outs, Value, create_graph)
    for o in outs:
        if o._a is None and o.op:
            raise ValueError(
                f"gradients: the output (op {o.op!r}, data {o.data!r}) was computed under no_grad(), "
                "so no graph was recorded; compute it outside no_grad() to differentiate")
    order = topological_order(*outs)
    got: dict = {}
    for o, s in zip(outs, seeds):
        got[o] = got[o] + s if o in got else s
    if create_graph:
        with enable_grad():
            try:
                _walk_graph(order, got, VALUE_MATH, Value)
            except ValueError as e:
                raise ValueError(f"gradients: building the gradient graph failed: {e}") from None
    else:
        _walk_floats(order, got)
    result = []
    for i, x in enumerate(ins):
        g = got.get(x)
        name = f"input {x.label!r}" if x.label else f"inputs[{i}]" if not single else "the input"
        if g is None:
            if not allow_unused:
                raise ValueError(
                    f"gradients: {name} (data {x.data!r}) is not used to compute the outputs, so it "
                    "has no gradient; pass allow_unused=True to get None for it")
        elif create_graph:
            g = g if isinstance(g, Value) else Value(g)  # a constant: a leaf with no graph
        elif g - g:  # inf or nan: a product of local gradients overflowed float64
            raise ValueError(f"gradients: the gradient of {name} (data {x.data!r}) is {g!r}: a product "
                             "of local gradients overflowed float64 (rescale the output)")
        result.append(g)
    return result[0] if single else tuple(result)


def _as_values(xs, what: str, value_type) -> list:
    if isinstance(xs, value_type):
        return [xs]
    try:
        xs = list(xs)
    except TypeError:
        raise TypeError(f"gradients: {what} must be a Value or a sequence of Values, got "
                        f"{type(xs).__name__} {xs!r}") from None
    if not xs:
        raise ValueError(f"gradients: {what} is empty")
    for i, x in enumerate(xs):
        if not isinstance(x, value_type):
            raise TypeError(f"gradients: {what}[{i}] must be a Value, got {type(x).__name__} {x!r}")
    return xs


def _seeds(grad_outputs, outs: list, value_type, create_graph: bool) -> list:
    from .value import _to_float

    if grad_outputs is None:
        return [1.0] * len(outs)
    seeds = [grad_outputs] if len(outs) == 1 and not isinstance(grad_outputs, (list, tuple)) \
        else list(grad_outputs) if isinstance(grad_outputs, (list, tuple)) else None
    if seeds is None or len(seeds) != len(outs):
        raise ValueError(f"gradients: grad_outputs must give one number per output ({len(outs)}), "
                         f"got {shown(grad_outputs)}")
    checked = []
    for s in seeds:
        if isinstance(s, value_type):
            checked.append(s if create_graph else s.data)
        elif isinstance(s, bool):  # backward(True) refuses a bool seed; so does this, by one rule
            raise TypeError(f"gradients: grad_outputs must be numbers, got bool {s!r} (a seed is "
                            "∂L/∂output: pass 1.0, not True)")
        else:
            checked.append(_to_float(s, "gradients: grad_outputs", None))
    return checked


def _walk_floats(order: list, got: dict) -> None:
    get = got.get
    for v in reversed(order):
        g = get(v)
        if g is None or v._a is None:
            continue
        for p, d in zip(v.parents, v.local_grads):
            c = g * d
            got[p] = got[p] + c if p in got else c


def _local_values(v, m, value_type) -> list:
    """(parent, ∂v/∂parent as a Value or a number) for each edge of v, from the formula text."""
    from .rules import RULES, local_gradients

    rule = RULES.get(v.op)
    if rule is None:
        raise ValueError(f"no rule named {v.op!r} in RULES for a node of the graph")
    lg = local_gradients(rule)
    a = v._a
    if a.__class__ is not tuple:  # one or two operands: (x,), (x, y) or (x, number)
        local = lg(m, v, *v.operands)
        return [(a, local[0])] if v._db is None else [(a, local[0]), (v._b, local[1])]
    operands = v._b
    if operands and isinstance(operands[0], value_type):  # Value.apply: a flat operand list
        local = lg(m, v, *operands)
        return [(x, d) for x, d in zip(operands, local) if isinstance(x, value_type)]
    local = lg(m, v, *operands)  # sum / dot: sequences of operands, sequences of local gradients
    return [(x, d) for seq, ds in zip(operands, local) for x, d in zip(seq, ds)
            if isinstance(x, value_type)]


def _walk_graph(order: list, got: dict, m, value_type) -> None:
    """The chain rule with every product and sum recorded: gradients that are graphs.
    Constants stay numbers where they can (∂z/∂x = 1 passes the Value on untouched)."""
    get = got.get
    for v in reversed(order):
        g = get(v)
        if g is None or v._a is None:
            continue
        for p, d in _local_values(v, m, value_type):
            if d.__class__ is float and d == 1.0:
                c = g
            elif g.__class__ is float and g == 1.0:
                c = d
            else:
                c = g * d
                if c.__class__ is float and c - c:  # two constants whose product overflowed
                    raise ValueError(f"at a node (op {v.op!r}) the product of local gradients "
                                     f"overflowed float64 to {c!r} (rescale the output)")
            old = get(p)
            if old is None:
                got[p] = c
            elif not (c.__class__ is float and c == 0.0):
                got[p] = old + c
