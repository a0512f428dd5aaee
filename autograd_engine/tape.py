"""The compiled tape: record a per-sample scalar graph once, replay it over a whole batch.

A model and its loss build a graph of the same shape for every sample; only the numbers
differ.  :func:`compile` traces ``fn`` once on placeholder inputs and turns the graph into a
*tape*: its nodes in topological order, each with an integer slot for its output and for each
operand.  :meth:`Tape.forward` then evaluates every node over NumPy arrays of shape ``(B,)``
(one entry per sample), :meth:`Tape.backward` runs the chain rule in reverse over the same
arrays (seed 000, Fig. 6.2)::

    ∂L/∂x += ∂L/∂z · ∂z/∂x        element-wise over the batch, adding where x is used twice

and reduces over the batch for each parameter w::

    "sum":   w.grad += Σ_b ∂out_b/∂w        "mean":  w.grad += (1/B) Σ_b ∂out_b/∂w

exactly what ``Value.backward`` leaves in ``w.grad`` for ``Value.sum(outs)`` (or ``/ B``):
leaves accumulate across calls.

**One source of truth for the calculus.**  Each node is replayed with
``RULES[op].fn(ARRAY_MATH, *operands)`` — the very rule functions of the scalar engine
(:mod:`autograd_engine.rules`), with :data:`ARRAY_MATH`, a NumPy namespace with the names of
``FLOAT_MATH``, in place of ``math``.  There is no second copy of any derivative here.

**Parameters vs inputs.**  Inputs are the placeholders ``fn`` is called with (column ``j`` of
the batch feeds input ``j``).  Parameters are the other leaves that exist outside ``fn`` (the
same Value objects in every trace, e.g. model weights): they stay linked, ``forward`` reads
their current ``.data`` every call, ``backward`` adds into their ``.grad``.  Nodes that depend
on parameters only (an L2 term ``Σ w²``) are evaluated once per batch, not once per sample.

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
invalid results, so a domain error (log of x ≤ 0, exp overflow, ...) is a ``ValueError``
naming the op, the failing sample's index and its operands — never a silent NaN.
"""

from __future__ import annotations

import random
from types import SimpleNamespace
from typing import Callable, Sequence

try:
    import numpy as np
except ImportError as _e:  # pragma: no cover - exercised only without numpy
    raise ImportError(
        "the compiled tape needs NumPy: pip install 'autograd-engine[fast]'") from _e

from .grad_mode import enable_grad
from .rules import RULES
from .value import Value

__all__ = ["compile", "Tape", "ARRAY_MATH"]

_NARY = ("sum", "dot")
_ARITH = (ArithmeticError, ValueError)  # FloatingPointError (np.errstate) is an ArithmeticError


# ---- the array backend: FLOAT_MATH's names over NumPy arrays ---------------------------------
def _sigmoid(x):
    """σ(x) = 1/(1 + e^(−x)) for x ≥ 0 and e^x/(1 + e^x) for x < 0: e^(−|x|) ≤ 1 never
    overflows (the float rule's two branches, taken element-wise)."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0.0, 1.0 / (1.0 + e), e / (1.0 + e))


def _sum(xs):
    """Σ xᵢ over the first axis: a (k, B) array of k operand rows, or any sequence of arrays
    and numbers (added left to right, like the float ``sum``)."""
    if isinstance(xs, np.ndarray):
        return xs.sum(axis=0)
    return sum(xs)


def _dot(ws, xs):
    """Σ wᵢ·xᵢ over the first axis.  Operand groups arrive as (k, B) arrays, or (k, 1) for
    groups that are the same for every sample (parameters): then one matrix-vector product."""
    if isinstance(ws, np.ndarray) and isinstance(xs, np.ndarray) and ws.ndim == xs.ndim == 2:
        if ws.shape[1] == 1 and xs.shape[1] != 1:
            return np.dot(ws[:, 0], xs)
        if xs.shape[1] == 1 and ws.shape[1] != 1:
            return np.dot(xs[:, 0], ws)
        return np.einsum("ij,ij->j", ws, xs)
    return sum(w * x for w, x in zip(ws, xs))


ARRAY_MATH = SimpleNamespace(
    exp=np.exp, log=np.log, tanh=np.tanh, pow=np.float_power, sigmoid=_sigmoid, sign=np.sign,
    sin=np.sin, cos=np.cos, sqrt=np.sqrt,
    maximum=np.maximum, minimum=np.minimum, where=np.where, sum=_sum, dot=_dot,
)
"""The array backend of the rules: ``FLOAT_MATH``'s names, element-wise over NumPy arrays.
``pow`` is ``np.float_power`` (float64 throughout, like ``math.pow``); outside its domain it
gives nan/inf, which ``np.errstate`` turns into an error just as ``math.pow`` raises."""

_ERRSTATE = dict(over="raise", divide="raise", invalid="raise", under="ignore")


# ---- compile: trace twice, compare, lay out slots ----------------------------------------------
def compile(fn: Callable[..., Value], n_inputs: int, *,
            trace_inputs: Sequence[Sequence[float]] | None = None) -> Tape:
    """Trace ``fn(*inputs)`` on ``n_inputs`` placeholder Values and return its :class:`Tape`.

    ``fn`` returns ONE Value: the per-sample scalar (e.g. a per-sample loss; add an L2 term
    to it and the mean over the batch is ``mean loss + L2``).  Targets are inputs too.

    ``fn`` is traced twice, on two different random inputs (the second with every sign
    flipped; if ``fn`` raises a domain error there, on two inputs in (0, 1)); the traces must
    build the same graph, or a ``ValueError`` explains which node depends on ``.data``.
    ``trace_inputs`` — two rows of ``n_inputs`` numbers inside ``fn``'s domain — replaces
    the random placeholders.
    """
    if not callable(fn):
        raise TypeError(f"compile: fn must be callable, got {type(fn).__name__} {fn!r}")
    if isinstance(n_inputs, bool) or not isinstance(n_inputs, int) or n_inputs < 1:
        raise TypeError(f"compile: n_inputs must be a positive int, got {n_inputs!r}")
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
    return Tape(_Layout(root1, inputs1, root2, inputs2), n_inputs)


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


class _Layout:
    """The graph of the second trace, checked against the first, laid out in slots.

    Slots are rows of two stores: ``V`` (n_var, B) for nodes that vary over the batch (the
    inputs and everything computed from them) and ``S`` (n_inv, 1) for nodes that do not
    (parameters, constants, nodes of parameters only).  A (1,) row broadcasts against (B,).
    """

    def __init__(self, root1, inputs1, root2, inputs2) -> None:
        order1, order2 = root1.nodes(), root2.nodes()
        leaves1 = {id(v) for v in order1 if v.is_leaf()}
        shared = {id(v) for v in order2 if v.is_leaf() and id(v) in leaves1}
        sig1 = _signature(order1, inputs1, shared)
        sig2 = _signature(order2, inputs2, shared)
        if sig1 != sig2:
            raise ValueError(_difference(sig1, sig2))

        input_pos = {id(x): j for j, x in enumerate(inputs2)}
        # 1. which nodes vary over the batch: the inputs and everything computed from them
        varies: dict[int, bool] = {}
        for v in order2:
            if v.is_leaf():
                if v.op and id(v) not in input_pos:
                    raise ValueError(
                        f"compile: fn computes a Value under no_grad() (op {v.op!r}, data "
                        f"{v.data!r}); the tape cannot replay it: compute it with grad enabled")
                varies[id(v)] = id(v) in input_pos
            else:
                varies[id(v)] = any(varies[id(p)] for p in v.parents)

        # 2. rows: an n-ary operand group gets consecutive rows where it can (a neuron's
        #    weights, a layer's outputs), so it is read and written as a view, not gathered
        rows: dict = {id(x): ("V", j) for j, x in enumerate(inputs2)}
        count = {"V": len(inputs2), "S": 0}
        consts: list[tuple[int, float]] = []

        def new_row(key, kind: str, const=None) -> None:
            rows[key] = (kind, count[kind])
            if const is not None:
                consts.append((count[kind], float(const)))
            count[kind] += 1

        def key_of(v, gi, i, x):  # a number in an n-ary group is a constant of its own
            return id(x) if isinstance(x, Value) else (id(v), gi, i)

        nary = [v for v in order2 if v.op in _NARY and not v.is_leaf()]
        for v in nary:
            for gi, group in enumerate(v.operands):
                keys = [key_of(v, gi, i, x) for i, x in enumerate(group)]
                kinds = {"V" if isinstance(x, Value) and varies[id(x)] else "S" for x in group}
                if len(kinds) == 1 and len(set(keys)) == len(keys) and \
                        not any(k in rows for k in keys):
                    for k, x in zip(keys, group):
                        new_row(k, next(iter(kinds)),
                                None if isinstance(x, Value) else x)
        for v in order2:
            if id(v) not in rows:
                new_row(id(v), "V" if varies[id(v)] else "S",
                        v.data if v.is_leaf() and id(v) not in shared else None)
            if v.op in _NARY and not v.is_leaf():
                for gi, group in enumerate(v.operands):
                    for i, x in enumerate(group):
                        if not isinstance(x, Value) and (id(v), gi, i) not in rows:
                            new_row((id(v), gi, i), "S", x)

        # 3. the nodes, each with its output row and its operands' rows (or plain numbers)
        self.params = [v for v in order2 if v.is_leaf() and id(v) in shared]
        self.param_rows = [rows[id(v)][1] for v in self.params]
        self.const_rows = consts
        self.nodes: list[tuple] = []  # (op, out slot, operand specs)
        for v in order2:
            if v.is_leaf():
                continue
            if v.op in _NARY:
                specs = [tuple(rows[key_of(v, gi, i, x)] for i, x in enumerate(group))
                         for gi, group in enumerate(v.operands)]
            else:
                specs = [rows[id(o)] if isinstance(o, Value) else ("num", o) for o in v.operands]
            self.nodes.append((v.op, rows[id(v)], specs))
        self.n_var, self.n_inv = count["V"], count["S"]
        self.root = rows[id(root2)]


def _signature(order: list[Value], inputs: list[Value], shared: set[int]) -> list:
    """The graph as comparable data: per node its op and operands (input j, a parameter's
    identity, a constant's value, an earlier node's position, a number)."""
    pos: dict[int, int] = {}
    input_pos = {id(x): j for j, x in enumerate(inputs)}

    def operand(x):
        if isinstance(x, Value):
            return ("node", pos[id(x)])
        return ("number", x)

    sig = []
    for i, v in enumerate(order):
        pos[id(v)] = i
        if v.is_leaf():
            if id(v) in input_pos:
                sig.append(("input", input_pos[id(v)]))
            elif id(v) in shared:
                sig.append(("parameter", id(v)))
            else:
                sig.append(("constant", v.op, v.data))
        else:
            sig.append((v.op, tuple(tuple(map(operand, o)) if isinstance(o, (tuple, list))
                                    else operand(o) for o in v.operands)))
    return sig


def _difference(sig1: list, sig2: list) -> str:
    head = ("compile: fn builds different graphs for two different inputs, so its structure "
            "depends on the inputs' values — a Python `if` on .data, or a number or Value taken "
            "from .data, inside fn cannot be replayed over a batch (use element-wise ops: relu, "
            "max, min, abs, leaky_relu). ")
    for i, (a, b) in enumerate(zip(sig1, sig2)):
        if a != b:
            return head + f"First difference at node {i}: {_show(a)} vs {_show(b)}."
    return head + f"The traces have {len(sig1)} and {len(sig2)} nodes."


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
        return f"node {o[1]}" if o[0] == "node" else repr(o[1])
    return f"op {kind!r} of ({', '.join(map(one, entry[1]))})"


# ---- the tape -------------------------------------------------------------------------------
class Tape:
    """A compiled per-sample graph: ``forward(X)`` over a batch, ``backward(reduction)``.

    Made by :func:`compile`.  ``parameters`` lists the linked parameter Values.
    """

    def __init__(self, layout: _Layout, n_inputs: int) -> None:
        self.n_inputs = n_inputs
        self.parameters: list[Value] = layout.params
        self._layout = layout
        self._ops = [op for op, _, _ in layout.nodes]
        self._rules = [RULES[op] for op in self._ops]
        self._S = np.zeros((layout.n_inv, 1))
        self._GS = np.zeros((layout.n_inv, 1))
        for row, x in layout.const_rows:
            self._S[row, 0] = x
        self._param_rows = np.array(layout.param_rows, dtype=np.intp)
        self._bound_B = -1
        self._locals: list | None = None
        self._B = 0

    def __len__(self) -> int:
        """The number of op nodes on the tape."""
        return len(self._ops)

    def __repr__(self) -> str:
        return (f"Tape({self.n_inputs} inputs, {len(self.parameters)} parameters, "
                f"{len(self)} ops)")

    @property
    def ops(self) -> list[str]:
        """The op of every node, in the order the tape evaluates them."""
        return list(self._ops)

    # ---- binding slots to arrays for one batch size ---------------------------------------
    def _bind(self, B: int) -> None:
        """Allocate V and G for batch size B and pre-build every node's operand views, so the
        forward and backward loops do no lookups (rebuilt only when B changes)."""
        L = self._layout
        V = np.zeros((L.n_var, B))
        G = np.zeros((L.n_var, B))
        S, GS = self._S, self._GS
        store = {"V": V, "S": S}
        gstore = {"V": G, "S": GS}
        fwd, bwd = [], []
        for k, (op, (okind, orow), specs) in enumerate(L.nodes):
            nary = op in _NARY
            out = store[okind][orow]
            if nary:
                args = None
                gathers = tuple(_gatherer(V, S, group, B) for group in specs)
            else:
                args = tuple(store[s[0]][s[1]] if s[0] != "num" else s[1] for s in specs)
                gathers = None
            fwd.append((self._rules[k].fn, args, gathers, out))
            bwd.append((k, gstore[okind][orow]))
        # Backward, built in its own (reverse) order: no edge into an input or a constant (no
        # one reads those gradients), and a row's first contribution is written, not added.
        dead = {("V", j) for j in range(self.n_inputs)} | {("S", r) for r, _ in L.const_rows}
        written: set = set()
        steps = []
        for k, g in reversed(bwd):
            op, (okind, _), specs = L.nodes[k]
            handlers = []
            for pos, spec in enumerate(specs, start=1):
                if op in _NARY:
                    h = _nary_handler(G, GS, spec, okind, dead, written)
                elif spec[0] != "num" and spec not in dead:
                    target = gstore[spec[0]][spec[1]]
                    if spec[0] == "S" and okind == "V":
                        h = _reduce_edge(target)
                    else:
                        h = _edge(target, first=spec not in written)
                    written.add(spec)
                else:
                    h = None
                if h is not None:
                    handlers.append((pos, h))
            steps.append((k, g, tuple(handlers)))
        self._V, self._G, self._fwd, self._bwd, self._bound_B = V, G, fwd, steps, B

    # ---- forward --------------------------------------------------------------------------
    def forward(self, X) -> np.ndarray:
        """fn evaluated for every row of ``X`` (shape (B, n_inputs)): a float64 array (B,).

        Reads every parameter's current ``.data``; keeps the local gradients for backward.
        """
        X = self._check_batch(X)
        self._locals = None  # until this forward completes, there is nothing to backward
        B = X.shape[0]
        if B != self._bound_B:
            self._bind(B)
        S = self._S
        if len(self.parameters):
            S[self._param_rows, 0] = [p.data for p in self.parameters]
            if not np.isfinite(S[self._param_rows, 0]).all():
                bad = next(p for p in self.parameters if not np.isfinite(p.data))
                raise ValueError(f"Tape.forward: parameter {bad!r} is not finite")
        self._V[: self.n_inputs] = X.T
        M = ARRAY_MATH
        locs: list = [None] * len(self._fwd)
        with np.errstate(**_ERRSTATE):
            for k, (fn, args, gathers, out) in enumerate(self._fwd):
                if gathers is not None:
                    args = [g() for g in gathers]
                try:
                    res = fn(M, *args)
                except _ARITH as e:
                    raise self._domain_error(k, args, e) from None
                out[...] = res[0]
                locs[k] = res
        self._locals, self._B = locs, B
        kind, row = self._layout.root
        if kind == "V":
            return self._V[row].copy()
        return np.full(B, S[row, 0])

    def _check_batch(self, X) -> np.ndarray:
        n = self.n_inputs
        want = f"X must be numbers of shape (batch, {n}), one row per sample"
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

    def _domain_error(self, k: int, args, cause: BaseException) -> ValueError:
        """Find the first failing sample of node k and say what the op needs there."""
        rule, (op, (kind, _), _) = self._rules[k], self._layout.nodes[k]
        B = self._V.shape[1]
        with np.errstate(all="ignore"):
            try:
                res = rule.fn(ARRAY_MATH, *args)
            except _ARITH:
                res = ()
        ok = np.ones(B, dtype=bool)
        for r in res:
            a = np.isfinite(np.asarray(r, dtype=float))
            ok &= np.broadcast_to(a.all(axis=0) if a.ndim == 2 else a, (B,))
        need = rule.domain or "a finite result"
        if kind == "S":
            where, shown = "for every sample (the node depends on parameters only)", ""
        elif ok.all():
            where, shown = "at some sample", ""
        else:
            i = int(np.argmin(ok))
            where = f"at sample {i}"
            shown = "" if op in _NARY else \
                "; operands there: " + ", ".join(_at(a, i) for a in args)
        return ValueError(f"Tape.forward: {op} fails {where} (node {k} of the tape): {op} "
                          f"needs {need} ({type(cause).__name__}: {cause}){shown}")

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
        B = self._B
        G, GS = self._G, self._GS
        G.fill(0.0)
        GS.fill(0.0)
        kind, row = self._layout.root
        if kind == "V":
            G[row] = 1.0 / B if reduction == "mean" else 1.0
        else:  # the output is the same for every sample: Σ_b gives B copies
            GS[row, 0] = 1.0 if reduction == "mean" else float(B)
        locs = self._locals
        with np.errstate(**_ERRSTATE):
            for k, g, handlers in self._bwd:
                res = locs[k]
                try:
                    for pos, h in handlers:
                        h(g, res[pos])
                except _ARITH as e:
                    raise ValueError(f"Tape.backward: the gradient at node {k} "
                                     f"({self._ops[k]}) is not finite ({e})") from None
        if len(self.parameters):
            for p, d in zip(self.parameters, GS[self._param_rows, 0].tolist()):
                p.grad += d


# ---- operand gathering and gradient scattering ------------------------------------------------
def _rows(rows: list[int]):
    """A slice when the rows are consecutive (a view, no copy), else an index array."""
    if rows == list(range(rows[0], rows[0] + len(rows))):
        return slice(rows[0], rows[0] + len(rows))
    return np.array(rows, dtype=np.intp)


def _split(group: tuple) -> tuple[list[int], list[int], list[int], list[int]]:
    vpos = [i for i, s in enumerate(group) if s[0] == "V"]
    spos = [i for i, s in enumerate(group) if s[0] == "S"]
    return vpos, [group[i][1] for i in vpos], spos, [group[i][1] for i in spos]


def _gatherer(V, S, group: tuple, B: int) -> Callable[[], np.ndarray]:
    """A function returning an n-ary operand group as one array: (k, B), or (k, 1) when no
    operand varies over the batch."""
    vpos, vrows, spos, srows = _split(group)
    if not vpos:
        idx = _rows(srows)
        if isinstance(idx, slice):
            view = S[idx]
            return lambda: view
        return lambda: S[idx]
    if not spos:
        idx = _rows(vrows)
        if isinstance(idx, slice):
            view = V[idx]
            return lambda: view
        return lambda: V[idx]
    vp, vr, sp, sr = (_rows(a) for a in (vpos, vrows, spos, srows))  # slices where they can be
    out = np.empty((len(group), B))  # this node's own buffer: refilled by every forward only

    def mixed():
        out[vp] = V[vr]
        out[sp] = S[sr]
        return out
    return mixed


def _edge(target: np.ndarray, first: bool):
    """∂L/∂x += ∂L/∂z · ∂z/∂x, element-wise (x varies over the batch, or z does not); the
    first contribution to a row in a backward pass is written directly (one array op)."""
    mul = np.multiply
    if first:
        def h(g, d):
            mul(g, d, out=target)
    else:
        def h(g, d):
            if d.__class__ is float and d == 1.0:  # add, sub: pass ∂L/∂z through unchanged
                target.__iadd__(g)
            else:
                target.__iadd__(g * d)
    return h


def _reduce_edge(target: np.ndarray):
    """x is the same for every sample, z is not: ∂L/∂x += Σ_b ∂L/∂z_b · ∂z_b/∂x."""
    def h(g, d):
        if d.__class__ is np.ndarray and d.shape == g.shape:
            target.__iadd__(np.dot(g, d))
        else:
            target.__iadd__(g.sum() * d)
    return h


def _scatter(store: np.ndarray, idx, values: np.ndarray, unique: bool) -> None:
    if unique:
        store[idx] += values
    else:  # an operand repeated in one group (dot(ws, [x, x])): add each occurrence
        np.add.at(store, idx, values)


def _nary_handler(G, GS, group: tuple, node_kind: str, dead: set, written: set):
    """Scatter an n-ary node's gradient into its operands' rows: element-wise into varying
    rows, reduced over the batch (Σ_b) into rows that are the same for every sample.
    Rows in ``dead`` (inputs, constants) get nothing; ``written`` tracks first writes."""
    k = len(group)
    live = [i for i, s in enumerate(group) if s not in dead]
    if not live:
        return None
    vpos = [i for i in live if group[i][0] == "V"]
    spos = [i for i in live if group[i][0] == "S"]
    vrows, srows = [group[i][1] for i in vpos], [group[i][1] for i in spos]
    vsel = None if len(vpos) in (0, k) else _rows(vpos)  # a slice (a view) where consecutive
    ssel = None if len(spos) in (0, k) else _rows(spos)
    vidx = _rows(vrows) if vrows else None
    sidx = _rows(srows) if srows else None
    vuniq = len(set(vrows)) == len(vrows)
    suniq = len(set(srows)) == len(srows)
    vfirst = vuniq and isinstance(vidx, slice) and not any(("V", r) in written for r in vrows)
    written.update(group[i] for i in live)
    vview = G[vidx] if vfirst else None
    GS0 = GS[:, 0]
    mul = np.multiply

    def h(g, local):
        L = local if local.__class__ is np.ndarray else np.asarray(local, dtype=float)
        if L.ndim < 2:
            L = L.reshape(k, 1)
        if vidx is not None:
            Lv = L if vsel is None else L[vsel]
            if vview is not None:
                mul(Lv, g, out=vview)
            else:
                _scatter(G, vidx, Lv * g, vuniq)
        if sidx is not None:
            Ls = L if ssel is None else L[ssel]
            if node_kind == "S" or Ls.shape[1] == g.shape[0]:
                t = np.dot(Ls, g)  # (k, B) · (B,): Σ_b local_b · g_b
            else:
                t = Ls[:, 0] * g.sum()
            _scatter(GS0, sidx, t, suniq)
    return h


def _at(a, i: int) -> str:
    if isinstance(a, np.ndarray):
        return repr(float(a[i] if a.shape[0] > 1 else a[0]))
    return repr(a)
