"""The backward pass, one edge at a time: what ``backward()`` does, made visible.

Every edge of the graph carries one application of the chain rule (Figure 6.2 of the textbook
chapter *Chapter 6: The Backprop Algorithm*):
a node ``z`` holding the upstream gradient ∂L/∂z sends

    ∂L/∂x += ∂L/∂z · ∂z/∂x

to its parent ``x``.  :func:`backward_steps` performs exactly these updates, in exactly the
order ``Value.backward()`` does (reverse topological order), and stops after each one to
report it as a :class:`Step`.  Where a Value feeds several nodes its gradient arrives in
several steps and adds up -- "gradients add at branches", in the words of Benedict Florance's
2018 blog post on backpropagation and local gradients: in f = (a+b)(b+c) at
a = −1, b = 3, c = 4, ``b`` receives 7 and then 2 more, ending at ∂f/∂b = 9.

Only the public ``Value`` API is used (``nodes()``, ``parents``, ``local_grads``).
"""

from __future__ import annotations

from typing import Iterable, Iterator, NamedTuple, Sequence

from ..rules import RULES, torch_template
from ..value import Value
from .naming import node_names  # noqa: F401  (public here since the walk-through first named nodes)


class Step(NamedTuple):
    """One edge of the backward pass: ``node`` (z) sends gradient to ``parent`` (x)."""

    index: int  # type: ignore[assignment]  #: 1-based position in the backward pass (shadows tuple.index)
    node: Value  #: z, the node sending gradient
    parent: Value  #: x, the parent receiving it
    upstream: float  #: ∂L/∂z, complete when z sends (all of z's children have sent)
    local: float  #: ∂z/∂x, stored on z at forward time
    contribution: float  #: ∂L/∂z · ∂z/∂x, added to x.grad
    parent_grad: float  #: x.grad after adding the contribution (its gradient so far in this pass)


def backward_steps(root: Value, grad: float = 1.0) -> Iterator[Step]:
    """Run ``root.backward(grad)`` lazily, yielding one :class:`Step` per edge.

    The ``.grad`` updates are exactly those of ``backward()``: every node sums this pass's
    contributions from 0, ``root.grad`` is seeded with ``grad`` and each step adds
    ``∂L/∂z · ∂z/∂x`` to its parent; at the end of the pass each leaf adds back what it held
    before (leaves accumulate across passes).  After the last step every ``.grad``
    equals what ``backward()`` gives.  A Value used twice by one node (``x * x``) is two
    edges, hence two steps; the number of steps is the number of edges of the graph.

    Bad arguments are refused at the call, with ``backward()``'s own errors (a non-number or
    non-finite ``grad``; a Value computed under ``no_grad()``, which has no graph).  The
    ``.grad`` updates start with the first step taken.

    Each step is what micrograd's per-node ``_backward()`` does for one edge: ``v._backward()``
    (Karpathy's lecture calls it by hand, ``o.grad = 1.0; o._backward(); n._backward(); …``)
    applies all of ``v``'s edges once, ``parent.grad += ∂v/∂parent · v.grad``; calling it on
    every node in reverse topological order, each once, is ``backward()`` (for ``.grad`` that
    started at 0), and is these steps grouped by the node that sends.

    A gradient that overflows float64 is ``backward()``'s ValueError too, raised at the step
    where it happens (naming the step, the node sending and the one receiving) before any
    non-finite number is stored or yielded; every ``.grad`` is then put back to what it held
    before the walk.
    """
    if not isinstance(root, Value):
        raise TypeError(f"backward_steps: root must be a Value, got {type(root).__name__} {root!r}")
    check_seed(root, grad)
    return _walk(root, float(grad))


def check_seed(root: Value, grad) -> None:
    """``backward()``'s own errors, before any step: a root computed under ``no_grad()`` (it
    has no graph), a ``grad`` that is not a finite number."""
    if root.is_leaf() and root.op:
        root.backward(grad)  # computed under no_grad(): backward()'s ValueError says so
    Value(0.0).backward(grad)  # backward()'s checks and messages for grad, on a throwaway leaf


def _walk(root: Value, grad: float) -> Iterator[Step]:
    if root.is_leaf():  # no edges: like backward(), a leaf root accumulates the seed
        total = root.grad + grad
        if total - total:  # inf or nan: backward()'s policy, the leaf keeps what it held
            raise _overflow(None, root, total)
        root.grad = total
        return
    order = root.nodes()
    # Every pass sums from zero; a leaf adds what it held before at the end of the pass
    # (as backward() and PyTorch's AccumulateGrad do), also when the walk is left early.
    before = {v: v.grad for v in order}
    for v in order:
        v.grad = 0.0
    root.grad = grad
    steps = pass_steps(root, grad, order)
    try:
        while True:
            try:
                step = next(steps)
            except StopIteration:
                break
            except ValueError:  # a product overflowed: backward()'s policy, nothing is lost
                for v, held in before.items():
                    v.grad = held
                before = {}
                raise
            step.parent.grad = step.parent_grad
            yield step
    finally:  # also when the walk is left early: the leaves add back what they held
        sums = [(v, held, held + v.grad) for v, held in before.items() if held and v.is_leaf()]
        bad = next(((v, total) for v, _, total in sums if total - total), None)
        if bad is not None:  # finite in this pass, but not once added to what the leaf held
            for v, held in before.items():
                v.grad = held
            raise _overflow(None, *bad)
        for v, _, total in sums:
            v.grad = total


def pass_steps(root: Value, grad: float = 1.0, order: Sequence[Value] | None = None) -> Iterator[Step]:
    """The steps of one backward pass from ``root`` seeded with ``grad`` (a checked float),
    computed on the side: the running sums live in a dict, and no ``.grad`` is read or
    written, so a picture of the pass never disturbs a training thread on the same graph.
    ``step.parent_grad`` is the parent's gradient so far in this pass (from 0).  A product that
    overflows float64 is :func:`backward_steps`' ValueError, raised before it is yielded."""
    order = root.nodes() if order is None else order
    got = {root: grad}
    index = 0
    for z in reversed(order):  # every child of z comes later in `order`: ∂L/∂z is complete
        upstream = got.get(z, 0.0)
        for x, local in zip(z.parents, z.local_grads):
            contribution = upstream * local
            index += 1
            total = got.get(x, 0.0) + contribution
            if total - total:  # inf or nan (inf - inf is nan): this product overflowed
                raise _overflow(Step(index, z, x, upstream, local, contribution, total), x, total)
            got[x] = total
            yield Step(index, z, x, upstream, local, contribution, total)


def _overflow(step: Step | None, x: Value, total: float) -> ValueError:
    """backward()'s error for a gradient that is not finite, naming the step and the node."""
    name = f"{'leaf' if x.is_leaf() else 'node'} {x.label!r}" if x.label else (
        "a leaf" if x.is_leaf() else f"a {x.op} node")
    if step is None:
        how = "adding this pass to the gradient the leaf held before overflowed float64"
    else:
        z = step.node
        zname = repr(z.label) if z.label else f"a {z.op} node"
        how = (f"at step {step.index} ({zname} sends ∂L/∂z · ∂z/∂x = {step.upstream:g} · {step.local:g} "
               f"= {step.contribution:g}) it overflowed float64")
    return ValueError(f"backward_steps: the gradient of {name} (data {x.data!r}) is {total!r}: {how}; "
                      "every gradient is left as it was before the walk (rescale the loss)")


# ---- text --------------------------------------------------------------------------------
def number(x: float) -> str:
    """A float for a table: 6 significant digits, integers without ``.0``, no ``-0``."""
    return f"{x + 0.0:.6g}"


def text_table(header: Sequence[str], rows: Iterable[Sequence[str]], align: str = "") -> str:
    """Rows of cells as aligned columns; ``align`` has one ``<`` or ``>`` per column
    (default: first column left, the others right)."""
    rows = [list(map(str, r)) for r in rows]
    align = align or "<" + ">" * (len(header) - 1)
    widths = [max(len(c) for c in col) for col in zip(header, *rows)]
    lines = ["  ".join(f"{c:{a}{w}}" for c, a, w in zip(r, align, widths)).rstrip() for r in [header, *rows]]
    lines.insert(1, "  ".join("─" * w for w in widths))
    return "\n".join(lines)


STEP_HEADER = ("step", "node → parent", "∂L/∂z", "∂z/∂x", "contribution", "parent grad so far")
#: the same header in LaTeX (the formulas in math mode)
STEP_HEADER_LATEX = ("step", r"node $\to$ parent", r"$\partial L/\partial z$", r"$\partial z/\partial x$",
                     "contribution", "parent grad so far")
STEP_ALIGN = ">" + "<" + ">" * 4


def step_rows(steps: Sequence[Step]) -> list[tuple[str, ...]]:
    """One row of text per step: index, ``node → parent``, upstream, local, contribution and
    the parent's gradient so far (numbers by :func:`number`).  Nodes are named by
    :func:`node_names` of the graph of the first step's node (the root of a full pass)."""
    if not steps:
        return []
    names = node_names(steps[0].node)

    def name(v: Value) -> str:
        if v not in names:  # not below the first step's node: a slice of another pass
            names[v] = v.label or f"({v.op or 'leaf'})"
        return names[v]

    return [(str(s.index), f"{name(s.node)} → {name(s.parent)}", number(s.upstream), number(s.local),
             number(s.contribution), number(s.parent_grad)) for s in steps]


def format_steps(steps: Iterable[Step], fmt: str = "text") -> str:
    """The steps as a table with the columns step, node → parent, ∂L/∂z, ∂z/∂x, contribution
    (= ∂L/∂z · ∂z/∂x) and the parent's gradient so far.  Nodes are named by :func:`node_names`
    of the graph of the first step's node (the root of a full pass).

    ``fmt``: ``"text"`` (aligned columns, for a terminal), ``"markdown"`` (a GitHub table, for
    notes) or ``"latex"`` (a ``tabular`` for slides; labels escaped, numbers in math mode)."""
    from .tables import FORMATS, latex_number, latex_table, markdown_table

    if fmt not in FORMATS:
        raise ValueError(f"format_steps: fmt must be one of {', '.join(map(repr, FORMATS))}, got {fmt!r}")
    rows = step_rows(list(steps))
    if not rows:
        return "(no edges: the root is a leaf, its gradient is the seed)"
    if fmt == "markdown":
        return markdown_table(STEP_HEADER, rows, align=STEP_ALIGN)
    if fmt == "latex":
        from .tables import latex_escape

        cells = [(r[0], latex_escape(r[1]), *map(latex_number, r[2:])) for r in rows]
        return latex_table(STEP_HEADER_LATEX, cells, align=STEP_ALIGN, raw=True)
    return text_table(STEP_HEADER, rows, align=STEP_ALIGN)


def definition(v: Value, names: dict[Value, str] | None = None) -> str:
    """How node v was computed, in expression syntax over its operands' names: ``v1 * v2``
    (names from ``names``, else the operands' labels); ``""`` for a leaf."""
    if v.is_leaf():
        return ""

    def show(o) -> str:
        if isinstance(o, (tuple, list)):
            return "[" + ", ".join(map(show, o)) + "]"
        if isinstance(o, Value):
            return names[o] if names is not None and o in names else o.label
        return number(o)

    ops = [show(o) for o in v.operands]
    rule = RULES.get(v.op)
    if rule is not None and len(rule.args) == len(ops):
        template = torch_template(rule)
        if template and "torch" not in template and "." not in template:
            # an operator (x * y, k - x, a ** x, -x): its row's PyTorch expression is Python's too
            return template.format(**dict(zip(rule.args, ops)))
    return f"{v.op}({', '.join(ops)})"
