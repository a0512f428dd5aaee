"""compile(): trace ``fn`` twice on placeholder inputs, check that the two traces build the
same graph (a graph that depends on the inputs' values cannot be replayed), lay it out and
return the :class:`~.replay.Tape`."""

from __future__ import annotations

import random
from itertools import filterfalse
from typing import Callable, Sequence

from ..grad_mode import enable_grad
from ..value import Value
from .backends import ops_for
from .layout import NARY, Layout
from .replay import ARITH, Tape

__all__ = ["compile"]


def compile(fn: Callable[..., Value], n_inputs: int, *,
            trace_inputs: Sequence[Sequence[float]] | None = None,
            backend: str = "numpy", device=None) -> Tape:
    """Trace ``fn(*inputs)`` on ``n_inputs`` placeholder Values and return its :class:`Tape`.

    ``fn`` returns ONE Value: the per-sample scalar (e.g. a per-sample loss; add an L2 term
    to it and the mean over the batch is ``mean loss + L2``).  Targets are inputs too.  It
    may instead return ``(scalar, [v₁, …, v_k])``: Values of its graph (a model's outputs
    under the loss) whose numbers each forward keeps too, read by :meth:`Tape.watched` — the
    outputs and the loss from one pass.

    ``fn`` is traced twice, on two different random inputs (the second with every sign
    flipped; if ``fn`` raises a domain error there, on two inputs in (0, 1)); the traces must
    build the same graph, or a ``ValueError`` explains which node depends on ``.data``.
    ``trace_inputs`` — two rows of ``n_inputs`` numbers inside ``fn``'s domain — replaces
    the random placeholders.

    ``backend="numpy"`` (default) replays on NumPy arrays; ``backend="torch"`` on float64
    PyTorch tensors (``device="cpu"``, ``"cuda"``, ...; needs the ``[torch]`` extra) — the
    same rules, the same numbers to rounding.
    """
    if not callable(fn):
        raise TypeError(f"compile: fn must be callable, got {type(fn).__name__} {fn!r}")
    if isinstance(n_inputs, bool) or not isinstance(n_inputs, int) or n_inputs < 1:
        raise TypeError(f"compile: n_inputs must be a positive int, got {n_inputs!r}")
    ops = ops_for(backend, device)
    if trace_inputs is not None:
        rows = [_trace_row(r, n_inputs) for r in trace_inputs]
        if len(rows) != 2 or rows[0] == rows[1]:
            raise ValueError("compile: trace_inputs must be two different rows of "
                             f"{n_inputs} numbers")
        (inputs1, root1, watch1), (inputs2, root2, watch2) = (_trace(fn, r) for r in rows)
    else:
        rng = random.Random(20240607)
        wide = [rng.choice((-1.0, 1.0)) * rng.uniform(0.5, 1.5) for _ in range(n_inputs)]
        try:
            (inputs1, root1, watch1) = _trace(fn, wide)
            (inputs2, root2, watch2) = _trace(fn, [-x * rng.uniform(0.5, 1.5) for x in wide])
        except ARITH as e:  # e.g. log(x) of an input: retry inside (0, 1)
            try:
                (inputs1, root1, watch1) = _trace(fn, [rng.uniform(0.1, 0.45) for _ in range(n_inputs)])
                (inputs2, root2, watch2) = _trace(fn, [rng.uniform(0.55, 0.9) for _ in range(n_inputs)])
            except ARITH as e2:
                raise ValueError(
                    f"compile: fn fails on placeholder inputs ({e2}); pass "
                    "trace_inputs=[row1, row2], two different rows inside fn's domain") from e
    order1, order2 = root1.nodes(), root2.nodes()
    pos1, pos2 = _positions(order1), _positions(order2)
    # the leaves of both traces: the parameters (fn's own constants are new Values each time);
    # the nodes of both, less the few op nodes (a Value is a leaf in both or in neither)
    shared = (pos1.keys() & pos2.keys()).difference(map(id, filterfalse(Value.is_leaf, order2)))
    problem = _compare(order1, inputs1, order2, inputs2, shared, pos1, pos2)
    if problem:
        raise ValueError(problem)
    _check_watched(pos1, watch1, pos2, watch2)
    return Tape(Layout(order2, inputs2, shared, watch2), n_inputs, ops)


def _positions(order: list[Value]) -> dict[int, int]:
    """Each node's position in ``order``, by id (built once, read by every check)."""
    return dict(zip(map(id, order), range(len(order))))


def _check_watched(pos1: dict, watch1: list, pos2: dict, watch2: list) -> None:
    """The watched Values must be nodes of the graph, the same ones in both traces."""
    for j, (a, b) in enumerate(zip(watch1, watch2)):
        if id(b) not in pos2:
            raise ValueError(f"compile: watched Value {j} ({b!r}) is not in the graph of fn's "
                             "scalar; only Values the scalar is computed from can be watched")
        if pos1.get(id(a)) != pos2[id(b)]:
            raise ValueError(f"compile: watched Value {j} is a different node in the two traces")
    if len(watch1) != len(watch2):
        raise ValueError("compile: fn watches a different number of Values in the two traces")


def _trace_row(row, n: int) -> list[float]:
    try:
        out = [float(x) for x in row]
    except (TypeError, ValueError) as e:
        raise TypeError(f"compile: trace_inputs rows must be numbers ({e})") from None
    if len(out) != n:
        raise ValueError(f"compile: a trace_inputs row has {len(out)} numbers, fn takes {n}")
    return out


def _trace(fn, row: list[float]) -> tuple[list[Value], Value, list[Value]]:
    inputs = [Value(x, f"x{j}") for j, x in enumerate(row)]
    with enable_grad():  # compile() may be called under no_grad()
        out = fn(*inputs)
    watched: list = []
    if isinstance(out, tuple) and len(out) == 2 and isinstance(out[0], Value):
        out, watched = out
        watched = list(watched) if isinstance(watched, (list, tuple)) else [watched]
        if not all(isinstance(v, Value) for v in watched):
            raise TypeError("compile: fn's watched Values (the second of the pair it returns) "
                            "must be Values")
    if not isinstance(out, Value):
        raise TypeError(f"compile: fn must return one Value (the per-sample scalar), got "
                        f"{type(out).__name__}")
    return inputs, out, watched


# ---- the two traces must build the same graph ---------------------------------------------------
def _compare(order1, inputs1, order2, inputs2, shared: set, pos1: dict,
             pos2: dict) -> str | None:
    """None when the traces build the same graph, else the message naming the first node
    that differs.  Walks both orders in step: the same op, operands at the same positions
    (or the same parameter objects, or equal numbers) — one pass, no signature lists."""
    in1 = {id(x): j for j, x in enumerate(inputs1)}
    in2 = {id(x): j for j, x in enumerate(inputs2)}
    alike: set[tuple[int, int]] = set()  # ids of n-ary operand sequences found alike

    def same_operand(a, b) -> bool:
        if isinstance(a, Value):
            return isinstance(b, Value) and (a is b or pos1[id(a)] == pos2[id(b)])
        return not isinstance(b, Value) and a == b

    def same_sequence(a, b) -> bool:
        """A layer's neurons share one tuple of inputs: compared once, not per neuron (the
        tuples live as long as the graphs, so their ids are not reused meanwhile)."""
        if a == b or (id(a), id(b)) in alike:
            return True
        if len(a) == len(b) and all(map(same_operand, a, b)):
            alike.add((id(a), id(b)))
            return True
        return False

    for i, (v1, v2) in enumerate(zip(order1, order2)):
        if v1 is v2:
            continue
        ok = v1.op == v2.op and v1.is_leaf() == v2.is_leaf()
        if ok and v1.is_leaf():
            if id(v1) in in1 or id(v2) in in2:
                ok = in1.get(id(v1)) == in2.get(id(v2))
            else:  # two different leaves: constants made inside fn, equal ones only
                ok = id(v1) not in shared and id(v2) not in shared and v1.data == v2.data
        elif ok:
            o1, o2 = v1.operands, v2.operands
            ok = len(o1) == len(o2)
            if ok and v1.op in NARY:
                ok = all(map(same_sequence, o1, o2))
            elif ok:
                ok = all(map(same_operand, o1, o2))
        if not ok:
            return _difference(i, _entry(v1, pos1, in1, shared), _entry(v2, pos2, in2, shared))
    if len(order1) != len(order2):
        return _DIFF_HEAD + f"The traces have {len(order1)} and {len(order2)} nodes."
    return None


def _entry(v, pos: dict, input_pos: dict, shared: set) -> tuple:
    """One node as comparable data, for messages: its op and operands (input j, a
    parameter, a constant's value, an earlier node's position, a number)."""
    def operand(x):
        return ("node", pos[id(x)]) if isinstance(x, Value) else ("number", x)

    if v.is_leaf():
        if id(v) in input_pos:
            return ("input", input_pos[id(v)])
        if id(v) in shared:
            return ("parameter", id(v))
        return ("constant", v.op, v.data)
    return (v.op, tuple(tuple(map(operand, o)) if isinstance(o, (tuple, list)) else operand(o)
                        for o in v.operands))


_DIFF_HEAD = ("compile: fn builds different graphs for two different inputs, so its structure "
              "depends on the inputs' values — a Python `if` on .data, or a number or Value "
              "taken from .data, inside fn cannot be replayed over a batch (use element-wise "
              "ops: relu, max, min, abs, leaky_relu). ")


def _difference(i: int, a: tuple, b: tuple) -> str:
    return _DIFF_HEAD + f"First difference at node {i}: {_show(a)} vs {_show(b)}."


def _show(entry: tuple) -> str:
    kind = entry[0]
    if kind == "parameter":
        return "a parameter"
    if kind == "constant":
        return f"a constant Value {entry[2]!r} made inside fn"
    if kind == "input":
        return f"input {entry[1]}"

    def one(o):
        if isinstance(o, tuple) and o and isinstance(o[0], tuple):  # an n-ary group
            return "[" + ", ".join(map(one, o)) + "]"
        if isinstance(o, tuple) and not o:
            return "[]"
        return f"node {o[1]}" if o[0] == "node" else repr(o[1])
    return f"op {kind!r} of ({', '.join(map(one, entry[1]))})"
