"""The compiled tape: record a per-sample scalar graph once, replay it over a whole batch.

A model and its loss build a graph of the same shape for every sample; only the numbers
differ.  :func:`compile` traces ``fn`` once on placeholder inputs and turns the graph into a
*tape*.  :meth:`Tape.forward` evaluates it over arrays with one column per sample, and
:meth:`Tape.backward` runs the chain rule in reverse over the same arrays (*Chapter 6: The
Backprop Algorithm*, Fig. 6.2)::

    ∂L/∂x += ∂L/∂z · ∂z/∂x        element-wise over the batch, adding where x is used twice

and reduces over the batch for each parameter w::

    "sum":   w.grad += Σ_b ∂out_b/∂w        "mean":  w.grad += (1/B) Σ_b ∂out_b/∂w

exactly what ``Value.backward`` leaves in ``w.grad`` for ``Value.sum(outs)`` (or ``/ B``):
leaves accumulate across calls.

**Replayed by level, a group at a time.**  At compile time the nodes are grouped: nodes that
apply the same rule, sit at the same depth (1 + the depth of their deepest operand) and read
operands of the same kinds form one *group* — a layer's neurons, its activations, the k
squared errors of a k-output loss.  Nodes of one depth never depend on each other, so a group
is evaluated as ONE array op over a stacked array of shape (k, B): k nodes, B samples.  Rows
are laid out so that the operands of a group are, wherever the graph allows, one slice of
the work array (a view, no copy).  A layer's dot nodes ``Σᵢ wⱼᵢ xᵢ`` reading the same inputs
become one matrix product::

    z = W·X        W (k, n) a view of the k neurons' consecutive parameter rows,
                   X (n, B) the layer's inputs, one row per input

and their backward the two products of the chain rule, ∂L/∂W = G·Xᵀ and ∂L/∂X = Wᵀ·G.
Nothing of this knows what a layer is: grouping is read off the graph, and any traced
function replays the same way (a graph with no repeated structure gets groups of one).

**One source of truth for the calculus.**  Each group is replayed with
``RULES[op].fn(m, *stacked_operands)`` — the very rule functions of the scalar engine
(:mod:`autograd_engine.rules`), with an array backend ``m`` (:data:`ARRAY_MATH`, NumPy; or
the PyTorch one of :mod:`autograd_engine.tape_torch`) in place of ``math``.  For the n-ary
rules the stacked operands have shape (n, k, B) — operand index first, so ``m.sum`` and
``m.dot`` sum over the first axis exactly as they do for one node, and the rule's local
gradients (``xs`` and ``ws`` for dot) arrive stacked too.  The tape multiplies them by the
upstream gradient and sums over what the operand does not vary with (the batch for a
parameter, the group for a shared input): the chain rule, never a second copy of any
derivative.

**Parameters vs inputs.**  Inputs are the placeholders ``fn`` is called with (column ``j`` of
the batch feeds input ``j``).  Parameters are the other leaves that exist outside ``fn`` (the
same Value objects in every trace, e.g. model weights): they stay linked, ``forward`` reads
their current ``.data`` every call, ``backward`` adds into their ``.grad``.  The tape keeps
them as one array as well (:meth:`Tape.parameter_data`, :meth:`Tape.parameter_grad`,
:meth:`Tape.assign_parameters`), so an optimizer can update all of them in one array op and
write the result back to every Value.  Nodes that depend on parameters only (an L2 term
``Σ w²``) are evaluated once per batch, not once per sample.

**Limits: what cannot be replayed.**  The tape replays the *ops*; Python control flow runs
only while tracing.  Branches inside ops (``relu``, ``max``, ``min``, ``abs``,
``leaky_relu``) are fine — they are evaluated element-wise.  A Python ``if`` on ``.data``
inside ``fn``, or a number taken from ``.data`` (``x * y.data``, ``Value(x.data)``), would be
frozen at its traced value.  :func:`compile` therefore traces ``fn`` twice, on two different
inputs (every input's sign flipped between the traces), and raises a ``ValueError`` when the
two graphs differ — but a branch that the two traces happen to take alike cannot be seen.
Values made inside ``fn`` from parameters' ``.data`` (``Value(w.data)``, ``w.detach()``) are
frozen at trace time, and Values computed under ``no_grad()`` inside ``fn`` are refused.

**Errors.**  Forward runs under ``np.errstate`` raising on overflow, division by zero and
invalid results (and checks the matrix products, which do not raise), so a domain error (log
of x ≤ 0, exp overflow, ...) is a ``ValueError`` naming the op, the failing sample's index
and its operands — never a silent NaN.
"""

from __future__ import annotations

import random
from itertools import chain
from operator import attrgetter
from types import SimpleNamespace
from typing import Callable, Sequence

try:
    import numpy as np
except ImportError as _e:  # pragma: no cover - exercised only without numpy
    raise ImportError(
        "the compiled tape needs NumPy: pip install 'autograd-engine[fast]'") from _e

from .grad_mode import enable_grad
from .rules import RULES
from .stacked_dot import stacked_dot  # also the torch backend's (tape_torch.py)
from .value import Value

__all__ = ["compile", "Tape", "ARRAY_MATH"]

_NARY = ("sum", "dot")
_ARITH = (ArithmeticError, ValueError)  # FloatingPointError (np.errstate) is an ArithmeticError
_BACKENDS = ("numpy", "torch")


# ---- the array backend: FLOAT_MATH's names over NumPy arrays ---------------------------------
def _sigmoid(x):
    """σ(x) = 1/(1 + e^(−x)) for x ≥ 0 and e^x/(1 + e^x) for x < 0: e^(−|x|) ≤ 1 never
    overflows (the float rule's two branches, taken element-wise)."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0.0, 1.0 / (1.0 + e), e / (1.0 + e))


def _sum(xs):
    """Σ xᵢ over the first axis: a (n, ...) array of n operand rows — (n, B) for one node,
    (n, k, B) for a group of k nodes — or any sequence of arrays and numbers (added left to
    right, like the float ``sum``)."""
    if isinstance(xs, np.ndarray):
        return xs.sum(axis=0)
    return sum(xs)


def _dot(ws, xs):
    """Σᵢ wᵢ·xᵢ over the first axis.

    One node: (n, B) arrays, or (n, 1) for operands that are the same for every sample
    (parameters).  A group of k nodes: (n, k, B) stacks, where a size-1 axis broadcasts — k
    neurons' weights (n, k, 1) against their shared inputs (n, 1, B) is the matrix product
    Wᵀ·X, (k, n)·(n, B) → (k, B), the array meaning of Σᵢ wⱼᵢ xᵢ for every j and sample."""
    if isinstance(ws, np.ndarray) and isinstance(xs, np.ndarray):
        if ws.ndim == xs.ndim == 3:
            return stacked_dot(ws, xs, np.broadcast_arrays, np.einsum)
        if ws.ndim == xs.ndim == 2:
            if ws.shape[1] == 1 and xs.shape[1] != 1:
                return np.dot(ws[:, 0], xs)
            if xs.shape[1] == 1 and ws.shape[1] != 1:
                return np.dot(xs[:, 0], ws)
            return np.einsum("ij,ij->j", ws, xs)
    return sum(w * x for w, x in zip(ws, xs))


def _where(c, a, b):
    """a where c, else b, element-wise (``np.where``), for float64 arrays chosen by a bit
    mask: (bits(a) & m) | (bits(b) & ~m) with m all ones where c.  The same numbers, bit
    for bit, without a branch per element: ``np.where`` on a random mask (relu) costs
    ~4 ns an element in mispredicted branches, the mask ~0.6 ns."""
    if not (isinstance(c, np.ndarray) and c.dtype == np.bool_ and c.size >= 1024):
        return np.where(c, a, b)
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype != np.float64 or b.dtype != np.float64:
        return np.where(c, a, b)
    shape = np.broadcast_shapes(c.shape, a.shape, b.shape)
    if c.shape != shape:
        return np.where(c, a, b)
    mask = c.view(np.uint8).astype(np.int64)
    np.negative(mask, out=mask)  # 1 → −1: every bit set where c
    if b.ndim or b != 0.0 or np.signbit(b):
        other = np.invert(mask)
        np.bitwise_and(np.broadcast_to(b, shape).view(np.int64), other, out=other)
    else:  # b = +0.0 has no bits set (relu)
        other = None
    np.bitwise_and(np.broadcast_to(a, shape).view(np.int64), mask, out=mask)
    if other is not None:
        np.bitwise_or(mask, other, out=mask)
    return mask.view(np.float64)


ARRAY_MATH = SimpleNamespace(
    exp=np.exp, log=np.log, tanh=np.tanh, pow=np.float_power, sigmoid=_sigmoid, sign=np.sign,
    sin=np.sin, cos=np.cos, sqrt=np.sqrt,
    maximum=np.maximum, minimum=np.minimum, where=_where, sum=_sum, dot=_dot,
)
"""The array backend of the rules: ``FLOAT_MATH``'s names, element-wise over NumPy arrays.
``pow`` is ``np.float_power`` (float64 throughout, like ``math.pow``); outside its domain it
gives nan/inf, which ``np.errstate`` turns into an error just as ``math.pow`` raises."""

_ERRSTATE = dict(over="raise", divide="raise", invalid="raise", under="ignore")


class _NumpyOps:
    """The few array operations the tape's own machinery needs (gathers, scatters, products),
    for NumPy; :mod:`autograd_engine.tape_torch` gives the same for PyTorch tensors."""

    name = "numpy"
    math = ARRAY_MATH
    check_finite = False  # np.errstate raises instead (matrix products are checked apart)
    ndarray = np.ndarray

    def zeros(self, shape):
        return np.zeros(shape)

    def index(self, rows):
        return np.asarray(rows, dtype=np.intp)

    def asarray(self, values):
        return np.asarray(values, dtype=np.float64)

    def permute(self, a, axes):
        return a.transpose(axes)

    def add_at(self, store, idx, values):
        np.add.at(store, idx, values)

    def sum(self, a, axis):
        return a.sum(axis=axis, keepdims=True)

    def einsum(self, sub, *ops):
        return np.einsum(sub, *ops)

    def errstate(self):
        return np.errstate(**_ERRSTATE)

    def all_finite(self, a) -> bool:
        return bool(np.isfinite(a).all())

    def from_numpy(self, A):
        return A

    def to_numpy(self, a):
        return np.asarray(a)

    def tolist(self, a):
        return a.tolist()

    def broadcast_to(self, a, shape):
        return np.broadcast_to(a, shape)


_NUMPY = _NumpyOps()


def _ops_for(backend: str, device):
    if backend == "numpy":
        if device not in (None, "cpu"):
            raise ValueError(f"compile: the numpy backend runs on the CPU; device={device!r} "
                             "needs backend='torch'")
        return _NUMPY
    if backend == "torch":
        from .tape_torch import torch_ops

        return torch_ops(device)
    raise ValueError(f"compile: backend must be one of {', '.join(map(repr, _BACKENDS))}, "
                     f"got {backend!r}")


# ---- compile: trace twice, compare, lay out rows ----------------------------------------------
def compile(fn: Callable[..., Value], n_inputs: int, *,
            trace_inputs: Sequence[Sequence[float]] | None = None,
            backend: str = "numpy", device=None) -> Tape:
    """Trace ``fn(*inputs)`` on ``n_inputs`` placeholder Values and return its :class:`Tape`.

    ``fn`` returns ONE Value: the per-sample scalar (e.g. a per-sample loss; add an L2 term
    to it and the mean over the batch is ``mean loss + L2``).  Targets are inputs too.

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
    ops = _ops_for(backend, device)
    if trace_inputs is not None:
        rows = [_trace_row(r, n_inputs) for r in trace_inputs]
        if len(rows) != 2 or rows[0] == rows[1]:
            raise ValueError("compile: trace_inputs must be two different rows of "
                             f"{n_inputs} numbers")
        (inputs1, root1), (inputs2, root2) = (_trace(fn, r) for r in rows)
    else:
        rng = random.Random(20240607)
        wide = [rng.choice((-1.0, 1.0)) * rng.uniform(0.5, 1.5) for _ in range(n_inputs)]
        try:
            (inputs1, root1) = _trace(fn, wide)
            (inputs2, root2) = _trace(fn, [-x * rng.uniform(0.5, 1.5) for x in wide])
        except _ARITH as e:  # e.g. log(x) of an input: retry inside (0, 1)
            try:
                (inputs1, root1) = _trace(fn, [rng.uniform(0.1, 0.45) for _ in range(n_inputs)])
                (inputs2, root2) = _trace(fn, [rng.uniform(0.55, 0.9) for _ in range(n_inputs)])
            except _ARITH as e2:
                raise ValueError(
                    f"compile: fn fails on placeholder inputs ({e2}); pass "
                    "trace_inputs=[row1, row2], two different rows inside fn's domain") from e
    order1, order2 = root1.nodes(), root2.nodes()
    leaves1 = {id(v) for v in order1 if v.is_leaf()}
    shared = {id(v) for v in order2 if v.is_leaf() and id(v) in leaves1}
    problem = _compare(order1, inputs1, order2, inputs2, shared)
    if problem:
        raise ValueError(problem)
    return Tape(_Layout(order2, inputs2, shared), n_inputs, ops)


def _trace_row(row, n: int) -> list[float]:
    try:
        out = [float(x) for x in row]
    except (TypeError, ValueError) as e:
        raise TypeError(f"compile: trace_inputs rows must be numbers ({e})") from None
    if len(out) != n:
        raise ValueError(f"compile: a trace_inputs row has {len(out)} numbers, fn takes {n}")
    return out


def _trace(fn, row: list[float]) -> tuple[list[Value], Value]:
    inputs = [Value(x, f"x{j}") for j, x in enumerate(row)]
    with enable_grad():  # compile() may be called under no_grad()
        out = fn(*inputs)
    if not isinstance(out, Value):
        raise TypeError(f"compile: fn must return one Value (the per-sample scalar), got "
                        f"{type(out).__name__}")
    return inputs, out


# ---- the two traces must build the same graph ---------------------------------------------------
def _compare(order1, inputs1, order2, inputs2, shared: set) -> str | None:
    """None when the traces build the same graph, else the message naming the first node
    that differs.  Walks both orders in step: the same op, operands at the same positions
    (or the same parameter objects, or equal numbers) — one pass, no signature lists."""
    pos1 = {id(v): i for i, v in enumerate(order1)}
    pos2 = {id(v): i for i, v in enumerate(order2)}
    in1 = {id(x): j for j, x in enumerate(inputs1)}
    in2 = {id(x): j for j, x in enumerate(inputs2)}

    def same_operand(a, b) -> bool:
        if isinstance(a, Value):
            return isinstance(b, Value) and (a is b or pos1[id(a)] == pos2[id(b)])
        return not isinstance(b, Value) and a == b

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
            if ok and v1.op in _NARY:
                ok = all(a == b or (len(a) == len(b) and all(map(same_operand, a, b)))
                         for a, b in zip(o1, o2))
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


# ---- the layout: levels, groups, rows -----------------------------------------------------------
class _Group:
    """k nodes of one op at one depth, replayed as one array op.

    ``nodes`` their positions on the tape; ``kind`` "V" (varies over the batch) or "S"
    (the same for every sample); ``out`` their output rows; ``operands`` one entry per
    operand position: ``("num", [k numbers])``, ``(kind, [k rows])``, or for the n-ary
    rules ``("nary", kinds, rows)`` with an (n × k) matrix of element kinds and rows.
    """

    __slots__ = ("op", "kind", "level", "nodes", "out", "operands", "keys")

    def __init__(self, op: str, kind: str, level: int) -> None:
        self.op, self.kind, self.level = op, kind, level
        self.nodes: list[int] = []
        self.keys: list = []  # per node: its operand keys (filled while grouping)
        self.out: list[int] = []
        self.operands: list = []


class _Layout:
    """The graph of the second trace, grouped by level and laid out in rows.

    Rows live in two stores: ``V`` (n_var, B) for nodes that vary over the batch (the inputs
    and everything computed from them) and ``S`` (n_inv, 1) for nodes that do not
    (parameters first, then constants and nodes of parameters only).  A (·, 1) row
    broadcasts against (·, B).  A number inside an n-ary operand group (the 1 that a bias
    multiplies) gets a constant row of its group's kind, so a layer's inputs with their 1
    are one slice of V.

    Rows are assigned from the output down: each group first places its own outputs (when
    its consumer has not already), sorts its nodes by those rows, then places its operands
    consecutively in that order — so a layer's outputs, the next layer's inputs and the
    activations between them line up as slices, and a layer's weights as one block.
    """

    def __init__(self, order: list[Value], inputs: list[Value], shared: set) -> None:
        input_pos = {id(x): j for j, x in enumerate(inputs)}
        varies: dict[int, bool] = {}
        level: dict[int, int] = {}
        kind_of = {}  # key -> "V" / "S"
        consts: dict = {}  # key -> a constant's value
        self.op_nodes: list[Value] = []
        groups: dict[tuple, _Group] = {}

        for v in order:
            if v.is_leaf():
                vid = id(v)
                if vid in input_pos:
                    varies[vid], kind_of[vid] = True, "V"
                else:
                    if v.op:
                        raise ValueError(
                            f"compile: fn computes a Value under no_grad() (op {v.op!r}, data "
                            f"{v.data!r}); the tape cannot replay it: compute it with grad "
                            "enabled")
                    varies[vid], kind_of[vid] = False, "S"
                    if vid not in shared:
                        consts[vid] = v.data
                level[vid] = 0
                continue
            parents = v.parents
            pids = list(map(id, parents))
            vary = any(map(varies.__getitem__, pids))
            varies[id(v)] = vary
            lv = 1 + max(map(level.__getitem__, pids), default=0)
            level[id(v)] = lv
            kind = "V" if vary else "S"
            kind_of[id(v)] = kind
            t = len(self.op_nodes)
            self.op_nodes.append(v)
            ops = v.operands
            if v.op in _NARY:
                keys, sig = [], []
                for grp in ops:
                    ks = list(map(id, grp))
                    kinds = list(map(kind_of.get, ks))  # None for a number
                    if None in kinds:
                        gk = "V" if "V" in kinds else "S"
                        last, gap = None, 0
                        for i, x in enumerate(grp):
                            if isinstance(x, Value):
                                last, gap = ks[i], 0
                            else:  # a number: a constant row, shared by groups alike up to here
                                gap += 1
                                k_ = ("c", gk, float(x), last, gap)
                                kind_of[k_] = gk
                                consts[k_] = float(x)
                                ks[i], kinds[i] = k_, gk
                    keys.append(ks)
                    sig.append(tuple(kinds))
                gkey = (lv, v.op, kind, tuple(sig))
            else:
                keys = [id(o) if isinstance(o, Value) else ("num", float(o)) for o in ops]
                sig = tuple(("V" if varies[id(o)] else "S") if isinstance(o, Value) else "n"
                            for o in ops)
                gkey = (lv, v.op, kind, sig)
            g = groups.get(gkey)
            if g is None:
                g = groups[gkey] = _Group(v.op, kind, lv)
            g.nodes.append(t)
            g.keys.append(keys)

        # rows, from the output down
        rows: dict = {id(x): j for j, x in enumerate(inputs)}
        count = {"V": len(inputs), "S": 0}

        def place(keys) -> None:
            for k_ in keys:
                if k_ not in rows:
                    kd = kind_of[k_]
                    rows[k_] = count[kd]
                    count[kd] += 1

        ordered = sorted(groups.values(), key=lambda g: -g.level)  # stable: first seen first
        node_id = [id(v) for v in self.op_nodes]
        for g in ordered:
            place([node_id[t] for t in g.nodes])
            perm = sorted(range(len(g.nodes)), key=lambda j: rows[node_id[g.nodes[j]]])
            g.nodes = [g.nodes[j] for j in perm]
            g.keys = [g.keys[j] for j in perm]
            if g.op in _NARY:
                for gi in range(len(g.keys[0])):
                    for ks in g.keys:
                        new = list(dict.fromkeys(k_ for k_ in ks[gi] if k_ not in rows))
                        if not new:
                            continue
                        kinds = set(map(kind_of.__getitem__, new))
                        if len(kinds) == 1:  # one block of consecutive rows
                            kd = kinds.pop()
                            rows.update(zip(new, range(count[kd], count[kd] + len(new))))
                            count[kd] += len(new)
                        else:  # V rows and S rows, each consecutive
                            place([k_ for k_ in new if kind_of[k_] == "V"])
                            place([k_ for k_ in new if kind_of[k_] == "S"])
            else:
                for p in range(len(g.keys[0])):
                    place([ks[p] for ks in g.keys if not isinstance(ks[p], tuple)])
        root = order[-1]
        place([id(root)])

        # S: parameters first, in row order (one array ↔ tape.parameters), then the rest
        params = sorted((v for v in order if v.is_leaf() and id(v) in shared),
                        key=lambda v: rows[id(v)])
        pset = {id(v) for v in params}
        s_keys = sorted((k_ for k_ in rows if kind_of.get(k_) == "S"), key=rows.__getitem__)
        s_keys = [k_ for k_ in s_keys if k_ in pset] + [k_ for k_ in s_keys if k_ not in pset]
        for r, k_ in enumerate(s_keys):
            rows[k_] = r

        def spec(k_):
            return kind_of[k_], rows[k_]

        vkeys = {k_ for k_, kd in kind_of.items() if kd == "V"}
        for g in ordered:
            g.out = [rows[node_id[t]] for t in g.nodes]
            if g.op in _NARY:
                k = len(g.keys)
                for gi in range(len(g.keys[0])):
                    n = len(g.keys[0][gi])
                    flat = list(chain.from_iterable(ks[gi] for ks in g.keys))  # node-major
                    isv = np.fromiter(map(vkeys.__contains__, flat), bool, k * n)
                    rws = np.fromiter(map(rows.__getitem__, flat), np.intp, k * n)
                    g.operands.append(("nary", isv.reshape(k, n).T, rws.reshape(k, n).T))
            else:
                for p in range(len(g.keys[0])):
                    col = [ks[p] for ks in g.keys]
                    if isinstance(col[0], tuple):  # ("num", x)
                        g.operands.append(("num", [c[1] for c in col]))
                    else:
                        g.operands.append((kind_of[col[0]], [rows[c] for c in col]))
            g.keys = []
        self.groups = sorted(ordered, key=lambda g: g.level)  # forward order
        self.params = params
        self.n_var, self.n_inv = count["V"], count["S"]
        self.consts = [(kind_of[k_], rows[k_], x) for k_, x in consts.items() if k_ in rows]
        self.dead = {"V": np.zeros(self.n_var, dtype=bool), "S": np.zeros(self.n_inv, dtype=bool)}
        self.dead["V"][: len(inputs)] = True  # inputs and constants: no one reads their grads
        for kd, r, _ in self.consts:
            self.dead[kd][r] = True
        self.root = spec(id(root))
        self.ops = [v.op for v in self.op_nodes]
        del self.op_nodes  # the tape keeps no reference to the traced graph


# ---- the tape -------------------------------------------------------------------------------
def _consecutive(rows: list[int]) -> bool:
    return bool(rows) and rows == list(range(rows[0], rows[0] + len(rows)))


class Tape:
    """A compiled per-sample graph: ``forward(X)`` over a batch, ``backward(reduction)``.

    Made by :func:`compile`.  ``parameters`` lists the linked parameter Values (in the order
    of :meth:`parameter_data`); ``len(tape)`` is the number of op nodes, ``tape.groups`` the
    number of array ops one forward pass makes.
    """

    def __init__(self, layout: _Layout, n_inputs: int, ops=_NUMPY) -> None:
        self.n_inputs = n_inputs
        self.parameters: list[Value] = layout.params
        self.backend = ops.name
        self._ops_impl = ops
        self._layout = layout
        self._ops = layout.ops
        self._groups = layout.groups
        self._rules = [RULES[g.op].fn for g in layout.groups]
        self._P = len(layout.params)
        self._S = ops.zeros((layout.n_inv, 1))
        self._GS = ops.zeros((layout.n_inv, 1))
        for kind, row, x in layout.consts:
            if kind == "S":
                self._S[row, 0] = x
        self._get_data = attrgetter("data")
        self._bound_B = -1
        self._locals: list | None = None
        self._B = 0
        self._data: np.ndarray | None = None  # the parameter values the last forward read
        self._grad: np.ndarray | None = None  # what the last backward added into .grad

    def __len__(self) -> int:
        """The number of op nodes on the tape."""
        return len(self._ops)

    def __repr__(self) -> str:
        return (f"Tape({self.n_inputs} inputs, {len(self.parameters)} parameters, "
                f"{len(self)} ops)")

    @property
    def ops(self) -> list[str]:
        """The op of every node, in topological order (a node after its operands)."""
        return list(self._ops)

    @property
    def groups(self) -> int:
        """How many array ops one forward pass makes (groups of same-op, same-depth nodes)."""
        return len(self._groups)

    # ---- binding rows to arrays for one batch size ----------------------------------------
    def _bind(self, B: int) -> None:
        """Allocate V and G for batch size B and pre-build every group's operand views,
        gathers and gradient scatters, so the forward and backward loops do no lookups
        (rebuilt only when B changes)."""
        L, xp = self._layout, self._ops_impl
        V = xp.zeros((L.n_var, B))
        G = xp.zeros((L.n_var, B))
        for kind, row, x in L.consts:
            if kind == "V":
                V[row] = x
        self._V, self._G = V, G
        stores = {"V": (V, G), "S": (self._S, self._GS)}
        fwd = []
        for gi, g in enumerate(L.groups):
            store = stores[g.kind][0]
            k = len(g.nodes)
            static, dyn = [], []
            for pos, opd in enumerate(g.operands):
                value, gather = self._reader(opd, k, B, stores)
                static.append(value)
                if gather is not None:
                    dyn.append((pos, gather))
            if _consecutive(g.out):
                out, oidx = store[g.out[0]: g.out[0] + k], None
            else:
                out, oidx = None, xp.index(g.out)
            check = xp.check_finite or g.op in _NARY  # matrix products raise no FP errors
            fwd.append((gi, self._rules[gi], tuple(static), tuple(dyn), out, oidx, store, check))
        # backward, built in its own (reverse) order: a row's first contribution in a pass is
        # written, later ones added; rows added to before any write are zeroed per pass
        written = {"V": np.zeros(L.n_var, dtype=bool), "S": np.zeros(L.n_inv, dtype=bool)}
        zero = np.zeros(L.n_var, dtype=bool)
        kind, row = L.root
        written[kind][row] = True
        bwd = []
        for gi in reversed(range(len(L.groups))):
            g = L.groups[gi]
            k = len(g.nodes)
            gstore = stores[g.kind][1]
            gview = gstore[g.out[0]: g.out[0] + k] if _consecutive(g.out) else None
            gidx = None if gview is not None else xp.index(g.out)
            handlers = []
            for pos, opd in enumerate(g.operands, start=1):
                h = self._scatter(opd, g, B, stores, written, zero)
                if h is not None:
                    handlers.append((pos, h))
            if handlers:
                bwd.append((gi, gview, gidx, gstore, tuple(handlers)))
        self._zero = _runs(np.flatnonzero(zero).tolist())
        self._fwd, self._bwd, self._bound_B = fwd, bwd, B

    def _reader(self, opd, k: int, B: int, stores):
        """An operand of a group: (a fixed value or view, None) or (None, a gather)."""
        xp = self._ops_impl
        if opd[0] == "num":
            xs = opd[1]
            if all(x == xs[0] for x in xs):
                return xs[0], None
            return xp.asarray(xs).reshape(k, 1), None
        if opd[0] != "nary":
            kind, rows = opd
            store = stores[kind][0]
            if all(r == rows[0] for r in rows):
                return store[rows[0]: rows[0] + 1], None
            if _consecutive(rows):
                return store[rows[0]: rows[0] + k], None
            idx = xp.index(rows)
            return None, lambda: store[idx]
        _, isv, rows = opd
        isv, rows = _shared_columns(isv, rows)
        n, kk = rows.shape
        if not rows.size:
            return xp.zeros((0, kk, 1)), None
        if isv.all() or not isv.any():
            store = stores["V" if isv.flat[0] else "S"][0]
            view = _block(xp, store, rows)
            if view is not None:
                return view, None
            idx = xp.index(rows)
            return None, lambda: store[idx]
        # a group mixing rows of V and S (and numbers): one buffer, refilled each forward
        V, S = stores["V"][0], stores["S"][0]
        fk, fr = isv.ravel(), rows.ravel()
        vp, sp = xp.index(np.flatnonzero(fk)), xp.index(np.flatnonzero(~fk))
        vr, sr = xp.index(fr[fk]), xp.index(fr[~fk])
        buf = xp.zeros((n, kk, B))
        flat = buf.reshape(n * kk, B)

        def mixed():
            flat[vp] = V[vr]
            flat[sp] = S[sr]
            return buf
        return None, mixed

    def _scatter(self, opd, g: _Group, B: int, stores, written: dict, zero):
        """The backward handler of one operand position of group g, or None (a number, or
        only inputs and constants, whose gradients no one reads)."""
        xp = self._ops_impl
        k = len(g.nodes)
        Bn = B if g.kind == "V" else 1
        dead = self._layout.dead
        if opd[0] == "num":
            return None
        check = xp.check_finite
        if opd[0] != "nary":
            kind, rows = opd
            rows = np.asarray(rows, dtype=np.intp)
            if dead[kind][rows].all():
                return None
            store = stores[kind][1]
            shared = bool((rows == rows[0]).all())
            urows = rows[:1] if shared else rows
            red0 = shared and k > 1
            red1 = kind == "S" and Bn > 1
            if shared or _consecutive(rows.tolist()):
                view, idx = store[urows[0]: urows[0] + len(urows)], None
            else:
                view, idx = None, xp.index(rows)
            write = _writer(xp, store, view, idx, urows, kind, written, zero, check)

            def h(g_, d):
                c = g_ if d.__class__ is float and d == 1.0 else g_ * d
                if red0:
                    c = xp.sum(c, 0)
                if red1:
                    c = xp.sum(c, 1)
                write(c)
            return h
        _, isv, rows = opd
        isv, rows = _shared_columns(isv, rows)
        n, kk = rows.shape
        fk, fr = isv.ravel(), rows.ravel()
        if not fr.size or (dead["V"][fr[fk]].all() and dead["S"][fr[~fk]].all()):
            return None
        Bo = B if fk.any() else 1
        outs = "i" + ("j" if kk > 1 else "") + ("b" if Bo > 1 else "")
        gs = "j" + ("b" if Bn > 1 else "")
        shape = (n, kk, Bo)
        if fk.all() or not fk.any():
            kind = "V" if fk[0] else "S"
            store = stores[kind][1]
            view = _block(xp, store, rows)
            idx = None if view is not None else xp.index(fr)
            write = _writer(xp, store, view, idx, fr, kind, written, zero, check,
                            flat_shape=(n * kk, Bo))
        else:
            write = _mixed_writer(xp, stores, fk, fr, written, zero, check, n * kk)

        def h(g_, L):
            write(_contract(xp, g_, L, gs, outs, shape, k, Bn))
        return h

    # ---- forward --------------------------------------------------------------------------
    def forward(self, X):
        """fn evaluated for every row of ``X`` (shape (B, n_inputs)): an array (B,) — NumPy
        float64, or a float64 tensor on the tape's device for the torch backend.

        Reads every parameter's current ``.data``; keeps the local gradients for backward.
        """
        xp = self._ops_impl
        X = self._check_batch(X)
        self._locals = None  # until this forward completes, there is nothing to backward
        B = X.shape[0]
        if B != self._bound_B:
            self._bind(B)
        S, P = self._S, self._P
        if P:
            data = np.fromiter(map(self._get_data, self.parameters), np.float64, P)
            if not np.isfinite(data).all():
                bad = next(p for p in self.parameters if not np.isfinite(p.data))
                raise ValueError(f"Tape.forward: parameter {bad!r} is not finite")
            S[:P, 0] = xp.from_numpy(data)
            self._data = data
        self._V[: self.n_inputs] = xp.from_numpy(np.ascontiguousarray(X.T))
        M = xp.math
        locs: list = [None] * len(self._groups)
        with xp.errstate():
            for gi, fn, static, dyn, out, oidx, store, check in self._fwd:
                args = static
                if dyn:
                    args = list(static)
                    for pos, gather in dyn:
                        args[pos] = gather()
                try:
                    res = fn(M, *args)
                except _ARITH as e:
                    raise self._domain_error(gi, args, e) from None
                if check and not all(xp.all_finite(r) for r in res  # (operands: checked)
                                     if isinstance(r, xp.ndarray) and
                                     not any(r is a for a in args)):
                    raise self._domain_error(gi, args, None)
                if out is not None:
                    out[...] = res[0]
                else:
                    store[oidx] = res[0]
                locs[gi] = res
        self._locals, self._B = locs, B
        kind, row = self._layout.root
        if kind == "V":
            return self._V[row].clone() if xp.name == "torch" else self._V[row].copy()
        return self._S[row, 0] + xp.zeros(B)

    def _check_batch(self, X) -> np.ndarray:
        n = self.n_inputs
        want = f"X must be numbers of shape (batch, {n}), one row per sample"
        if isinstance(X, getattr(self._ops_impl, "ndarray", ())) and self.backend == "torch":
            X = self._ops_impl.to_numpy(X)  # a tensor batch (from any device)
        try:
            A = np.asarray(X)
        except ValueError as e:  # ragged rows
            raise ValueError(f"Tape.forward: {want} ({e})") from None
        if A.dtype.kind not in "biuf":
            raise TypeError(f"Tape.forward: {want}; got an array of dtype {A.dtype}")
        if A.ndim != 2:
            raise ValueError(f"Tape.forward: {want}; got shape {A.shape} (one sample: [row]; "
                             "one input: X.reshape(-1, 1))")
        if A.shape[1] != n:
            raise ValueError(f"Tape.forward: X has {A.shape[1]} columns but the tape has {n} "
                             f"inputs; {want}")
        if A.shape[0] == 0:
            raise ValueError(f"Tape.forward: X is an empty batch; {want}")
        A = A.astype(np.float64, copy=False)
        finite = np.isfinite(A)
        if not finite.all():
            i, j = np.argwhere(~finite)[0]
            raise ValueError(f"Tape.forward: X[{i}, {j}] = {A[i, j]} is not finite")
        return A

    def _domain_error(self, gi: int, args, cause: BaseException | None) -> ValueError:
        """Find the first failing sample (and node) of group gi and say what the op needs."""
        xp = self._ops_impl
        g = self._groups[gi]
        rule, op = RULES[g.op], g.op
        k, B = len(g.nodes), self._V.shape[1]
        Bn = B if g.kind == "V" else 1
        args = [xp.to_numpy(a) if isinstance(a, xp.ndarray) else a for a in args]
        with np.errstate(all="ignore"):
            try:
                res = rule.fn(ARRAY_MATH, *args)
            except _ARITH:
                res = ()
        ok = np.ones((k, Bn), dtype=bool)
        for r in res:
            a = np.isfinite(np.asarray(r, dtype=float))
            if op in _NARY and a.ndim == 3:
                a = a.all(axis=0)
            elif op in _NARY and a.ndim:
                a = np.asarray(a.all())
            ok &= np.broadcast_to(a, (k, Bn)) if a.ndim < 2 or a.shape[-1] in (1, Bn) \
                else np.broadcast_to(a.all(), (k, Bn))
        need = rule.domain or "a finite result"
        j, i = 0, None
        if not ok.all():
            i = int(np.argmin(ok.all(axis=0)))  # the first failing sample
            j = int(np.argmin(ok[:, i]))  # and the first failing node there
        node = g.nodes[j]
        if g.kind == "S":
            where, shown = "for every sample (the node depends on parameters only)", ""
        elif i is None:
            where, shown = "at some sample", ""
        else:
            where = f"at sample {i}"
            shown = "" if op in _NARY else \
                "; operands there: " + ", ".join(_at(a, j, i) for a in args)
        why = "the result is not finite" if cause is None else f"{type(cause).__name__}: {cause}"
        return ValueError(f"Tape.forward: {op} fails {where} (node {node} of the tape): {op} "
                          f"needs {need} ({why}){shown}")

    # ---- backward -------------------------------------------------------------------------
    def backward(self, reduction: str = "mean") -> None:
        """Add d(reduced output)/d w into ``w.grad`` for every parameter w.

        ``reduction="sum"``: Σ_b ∂out_b/∂w;  ``"mean"``: (1/B) Σ_b ∂out_b/∂w — the same
        numbers ``Value.backward`` gives for ``Value.sum(outs)`` (``/ B``).  Parameters
        accumulate across calls, like leaves of the scalar engine.
        """
        if reduction not in ("mean", "sum"):
            raise ValueError(f"Tape.backward: reduction must be 'mean' or 'sum', got {reduction!r}")
        if self._locals is None:
            raise RuntimeError("Tape.backward: call forward(X) first")
        xp = self._ops_impl
        B = self._B
        G, GS = self._G, self._GS
        for a, b in self._zero:
            G[a:b] = 0.0
        GS[...] = 0.0
        kind, row = self._layout.root
        if kind == "V":
            G[row] = 1.0 / B if reduction == "mean" else 1.0
        else:  # the output is the same for every sample: Σ_b gives B copies
            GS[row, 0] = 1.0 if reduction == "mean" else float(B)
        locs = self._locals
        with xp.errstate():
            for gi, gview, gidx, gstore, handlers in self._bwd:
                g_ = gview if gview is not None else gstore[gidx]
                res = locs[gi]
                try:
                    for pos, h in handlers:
                        h(g_, res[pos])
                except _ARITH as e:
                    grp = self._groups[gi]
                    raise ValueError(f"Tape.backward: the gradient at node {grp.nodes[0]} "
                                     f"({grp.op}) is not finite ({e})") from None
        P = self._P
        if P:
            d = xp.to_numpy(GS[:P, 0])
            if not np.isfinite(d).all():
                bad = self.parameters[int(np.argmin(np.isfinite(d)))]
                raise ValueError(f"Tape.backward: the gradient of parameter {bad!r} is not "
                                 "finite (it overflows along the chain rule); .grad unchanged")
            self._grad = d.copy()
            for p, x in zip(self.parameters, d.tolist()):
                p.grad += x

    # ---- the parameters as one array (for vectorized optimizers) --------------------------
    def parameter_data(self, fresh: bool = True) -> np.ndarray:
        """The parameters' ``.data`` as one float64 array, in ``tape.parameters`` order:
        read from the Values now, or (``fresh=False``) the values the last forward read."""
        if fresh or self._data is None:
            return np.fromiter(map(self._get_data, self.parameters), np.float64, self._P)
        return self._data.copy()

    def parameter_grad(self) -> np.ndarray:
        """What the last :meth:`backward` added into the parameters' ``.grad``, as one array
        (equal to ``[p.grad ...]`` when the grads were zero before it)."""
        g = self._grad
        if g is None:
            raise RuntimeError("Tape.parameter_grad: call backward() first")
        return g.copy()

    def assign_parameters(self, values) -> None:
        """Set every parameter's ``.data`` from one array (``tape.parameters`` order): the
        result of an optimizer's array update, written back so that the Values stay the
        truth.  Refuses a wrong length or a non-finite entry, and then changes nothing."""
        a = np.asarray(values, dtype=np.float64)
        if a.shape != (self._P,):
            raise ValueError(f"Tape.assign_parameters: need {self._P} values, got shape {a.shape}")
        finite = np.isfinite(a)
        if not finite.all():
            i = int(np.argmin(finite))
            raise ValueError(f"Tape.assign_parameters: value {a[i]} for parameter {i} "
                             f"({self.parameters[i]!r}) is not finite; nothing changed")
        for p, x in zip(self.parameters, a.tolist()):
            p.data = x
        self._data = None  # the Values changed: the next forward reads them


# ---- rows, blocks, gathers and scatters ---------------------------------------------------------
def _runs(rows: list[int]) -> list[tuple[int, int]]:
    """Sorted rows as [start, stop) runs."""
    out: list[list[int]] = []
    for r in rows:
        if out and out[-1][1] == r:
            out[-1][1] = r + 1
        else:
            out.append([r, r + 1])
    return [(a, b) for a, b in out]


def _shared_columns(isv: np.ndarray, rows: np.ndarray):
    """An (n × k) operand matrix whose k columns are all the same (k neurons reading the same
    inputs) as one column (n × 1), else unchanged."""
    if rows.shape[1] > 1 and (rows == rows[:, :1]).all() and (isv == isv[:, :1]).all():
        return isv[:, :1], rows[:, :1]
    return isv, rows


def _block(xp, store, rows: np.ndarray):
    """The (n, k, ·) view of ``store`` for an (n × k) row matrix laid out as one block:
    element-major (row of (i, j) = s + i·k + j) or node-major (s + j·n + i, a neuron's
    weights consecutive); None otherwise."""
    n, k = rows.shape
    s = int(rows[0, 0])
    Bs = store.shape[1]
    span = np.arange(s, s + n * k)
    if (rows.ravel() == span).all():
        return store[s: s + n * k].reshape(n, k, Bs)
    if (rows.T.ravel() == span).all():
        return xp.permute(store[s: s + n * k].reshape(k, n, Bs), (1, 0, 2))
    return None


def _writer(xp, store, view, idx, rows, kind: str, written: dict, zero, check: bool,
            flat_shape=None):
    """Write or add a contribution into gradient rows: into a view, written when this is the
    rows' first contribution in a pass, else added; or by index (add_at where a row
    repeats).  ``written``/``zero`` mark rows (per store) already written in the pass being
    built / to be zeroed at its start."""
    rows = np.asarray(rows, dtype=np.intp)
    unique = len(np.unique(rows)) == len(rows)
    seen = written[kind][rows]
    first = view is not None and unique and not seen.any()
    if not first and kind == "V":
        zero[rows[~seen]] = True
    written[kind][rows] = True
    m = len(rows)

    def chk(c):
        if check and not xp.all_finite(c):
            raise FloatingPointError("a non-finite gradient")

    if view is not None:
        if first:
            def w(c):
                chk(c)
                view[...] = c
        else:
            def w(c):
                chk(c)
                view.__iadd__(c)
        return w
    if unique:
        def w(c):
            chk(c)
            if flat_shape is not None:
                c = c.reshape(flat_shape)
            store[idx] = store[idx] + c
        return w

    def w(c):
        chk(c)
        if flat_shape is not None:
            c = c.reshape(flat_shape)
        xp.add_at(store, idx, xp.broadcast_to(c, (m, store.shape[1])))
    return w


def _mixed_writer(xp, stores, fk: np.ndarray, fr: np.ndarray, written: dict, zero,
                  check: bool, m: int):
    """Scatter an (n, k, B) contribution whose elements are rows of V and of S: element-wise
    into V, summed over the batch into S."""
    G, GS = stores["V"][1], stores["S"][1]
    vrows, srows = fr[fk], fr[~fk]
    wv = _writer(xp, G, None, xp.index(vrows), vrows, "V", written, zero, check) \
        if len(vrows) else None
    ws = _writer(xp, GS, None, xp.index(srows), srows, "S", written, zero, check) \
        if len(srows) else None
    vp, sp = xp.index(np.flatnonzero(fk)), xp.index(np.flatnonzero(~fk))

    def w(c):
        flat = c.reshape(m, c.shape[-1])
        if wv is not None:
            wv(flat[vp])
        if ws is not None:
            ws(xp.sum(flat[sp], 1))
    return w


def _contract(xp, g, L, gs: str, outs: str, shape: tuple, k: int, Bn: int):
    """∂L/∂(operand element i of node j, sample b) = g[j, b] · local[i, j, b], summed over
    what the operand does not vary with (the samples of a parameter, the nodes of a shared
    input): the chain rule for an n-ary group, as one product where it is one (G·Xᵀ, Wᵀ·G)."""
    n, kk, Bo = shape
    if isinstance(L, (tuple, list)):  # a number per element (sum: 1 for each)
        if all(x.__class__ is float and x == L[0] for x in L):
            base = g if L[0] == 1.0 else g * L[0]
            if kk == 1 and k > 1:
                base = xp.sum(base, 0)
            if Bo == 1 and Bn > 1:
                base = xp.sum(base, 1)
            return xp.broadcast_to(base.reshape(1, kk, Bo), shape)
        L = xp.asarray([float(x) for x in L]).reshape(n, 1, 1)
    _, kL, BL = L.shape
    Ls = "i" + ("j" if kL > 1 else "") + ("b" if BL > 1 else "")
    L2 = L.reshape((n,) + ((kL,) if kL > 1 else ()) + ((BL,) if BL > 1 else ()))
    g2 = g if Bn > 1 else g[:, 0]
    key = (gs, Ls, outs)
    if key == ("jb", "ib", "ij"):
        c = L2 @ g2.T  # a layer's weights: G·Xᵀ
    elif key == ("jb", "ij", "ib"):
        c = L2 @ g2  # a layer's shared inputs: Wᵀ·G
    elif key == ("jb", "ib", "i"):
        c = L2 @ xp.sum(g2, 0)[0]
    elif key == ("jb", "ij", "ijb"):
        c = L2[:, :, None] * g2[None]
    elif key == ("jb", "ib", "ijb"):
        c = L2[:, None, :] * g2[None]
    elif key == ("jb", "ib", "ib"):
        c = L2 * xp.sum(g2, 0)
    else:
        c = xp.einsum(f"{gs},{Ls}->{outs}", g2, L2)
    return c.reshape(shape)


def _at(a, j: int, i: int) -> str:
    if isinstance(a, np.ndarray):
        a2 = a.reshape((1,) * (2 - a.ndim) + a.shape) if a.ndim < 2 else a
        return repr(float(a2[min(j, a2.shape[0] - 1), min(i, a2.shape[1] - 1)]))
    return repr(a)
