"""Gradients returned instead of stored: ``gradients(outputs, inputs)``, as floats or as graphs.

Above :mod:`autograd_engine.value` (it makes Values: with ``create_graph=True`` each local
gradient ∂z/∂x is evaluated as a Value from the rule table's formula text, so the gradient can be
differentiated again) and :mod:`autograd_engine.backprop` (whose walk orders the nodes).
"""

from __future__ import annotations

from .backprop import topological_order
from .checks import computed_under_no_grad, no_graph_error, shown
from .grad_mode import enable_grad
from .rules import RULES, local_gradients
from .value import VALUE_MATH, Value, _to_float


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
    outs = _as_values(outputs, "outputs", Value)
    single = isinstance(inputs, Value)
    ins = _as_values(inputs, "inputs", Value)
    seeds = _seeds(grad_outputs, outs, Value, create_graph)
    for o in outs:
        if computed_under_no_grad(o):
            raise no_graph_error("gradients", "the output", o)
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


def local_gradient_values(v, m, value_type) -> list:
    """(parent, ∂v/∂parent as a Value or a number) for each edge of v, from the formula text."""
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
        for p, d in local_gradient_values(v, m, value_type):
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
