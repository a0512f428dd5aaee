"""The layout: the traced graph grouped by depth and op, its nodes laid out as rows of two
stores (V varies over the batch, S does not)."""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Sequence
from itertools import chain, compress, filterfalse, repeat
from operator import attrgetter
from typing import Any

try:
    import numpy as np
except ImportError as _e:  # pragma: no cover - exercised only without numpy
    raise ImportError(
        "the compiled tape needs NumPy: pip install 'autograd-engine[fast]'") from _e

from ..value import Value

__all__ = ["Group", "Layout", "NARY"]

NARY = ("sum", "dot")  # the rules whose operands are sequences


class Group:
    """k nodes of one op at one depth, replayed as one array op.

    ``nodes`` their positions on the tape; ``kind`` "V" (varies over the batch) or "S"
    (the same for every sample); ``out`` their output rows; ``operands`` one entry per
    operand position: ``("num", [k numbers])``, ``(kind, [k rows])``, or for the n-ary
    rules ``("nary", kinds, rows)`` with an (n × k) matrix of element kinds and rows.
    """

    __slots__ = ("op", "kind", "level", "nodes", "out", "operands", "keys", "sig")

    def __init__(self, op: str, kind: str, level: int, sig: tuple = ()) -> None:
        self.op, self.kind, self.level = op, kind, level
        self.nodes: list[int] = []
        self.keys: list = []  # per node: its operand keys (filled while grouping)
        self.sig = sig  # the operands' kinds, the same for all its nodes (while laying out)
        self.out: list[int] = []
        self.operands: list = []


class Layout:
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

    def __init__(self, order: list[Value], inputs: list[Value], shared: set,
                 watched: Sequence[Value] = ()) -> None:
        input_pos = {id(x): j for j, x in enumerate(inputs)}
        self.op_nodes: list[Value] = list(filterfalse(Value.is_leaf, order))
        leaves = list(filter(Value.is_leaf, order))
        leaf_ids = list(map(id, leaves))
        # a key: a Value's id, ("num", x) for a number operand, or ("c", ...) for the
        # constant row of a number inside an n-ary operand
        kind_of: dict[Hashable, str]  # key -> "V" (varies over the batch) / "S"
        consts: dict[Hashable, float]  # key -> a constant's value
        kind_of, consts = _leaves(leaves, leaf_ids, input_pos, shared)
        level: dict[int, int] = {}  # an op node's id -> its depth (a leaf's: 0, not stored)
        groups: dict[tuple, Group] = {}
        known: dict[int, tuple] = {}  # an n-ary operand sequence's id -> its keys and kinds
        s_nodes: list[int] = []  # the op nodes of parameters and constants only

        for t, v in enumerate(self.op_nodes):
            keys: list[Any]  # per operand: its key (n-ary: the list of its elements' keys)
            sig: tuple  # the operands' kinds ("n" a number; n-ary: a tuple per operand)
            kinds: Iterator[str]  # all of them, flat
            if v.op in NARY:
                keys, sig, lv = _nary_keys(v.operands, kind_of, consts, level, known)
                kinds = chain.from_iterable(sig)
            else:
                keys = [id(o) if isinstance(o, Value) else ("num", float(o)) for o in v.operands]
                sig = tuple(kind_of[k_] if k_.__class__ is int else "n" for k_ in keys)
                kinds = iter(sig)
                lv = 1 + max(map(level.get, keys, repeat(0)), default=0)  # a number's key: 0
            kind = "V" if "V" in kinds else "S"
            kind_of[id(v)] = kind
            if kind == "S":
                s_nodes.append(id(v))
            level[id(v)] = lv
            gkey = (lv, v.op, kind, sig)  # the nodes grouped together
            group = groups.get(gkey)
            if group is None:
                group = groups[gkey] = Group(v.op, kind, lv, sig)
            group.nodes.append(t)
            group.keys.append(keys)

        # rows, from the output down
        rows: dict = {id(x): j for j, x in enumerate(inputs)}
        count = {"V": len(inputs), "S": 0}
        s_level: list[int] = []  # S row -> the level of the group that gave it (for params)
        level_now = [0]

        def place(keys) -> None:
            for k_ in keys:
                if k_ not in rows:
                    kd = kind_of[k_]
                    rows[k_] = count[kd]
                    count[kd] += 1
                    if kd == "S":
                        s_level.append(level_now[0])

        ordered = sorted(groups.values(), key=lambda g: -g.level)  # stable: first seen first
        node_id = [id(v) for v in self.op_nodes]
        for g in ordered:
            level_now[0] = g.level
            place([node_id[t] for t in g.nodes])
            perm = sorted(range(len(g.nodes)), key=lambda j: rows[node_id[g.nodes[j]]])
            g.nodes = [g.nodes[j] for j in perm]
            g.keys = [g.keys[j] for j in perm]
            if g.op in NARY:
                for gi in range(len(g.keys[0])):
                    one_kind = len(set(g.sig[gi])) == 1  # then so are its unplaced keys
                    last: list | None = None
                    for node_keys in g.keys:
                        if node_keys[gi] is last:  # the sequence the previous node read
                            continue
                        last = node_keys[gi]
                        new = _unplaced(last, rows)
                        if not new:
                            continue
                        new_kinds = {g.sig[gi][0]} if one_kind else set(
                            map(kind_of.__getitem__, new))
                        if len(new_kinds) == 1:  # one block of consecutive rows
                            kd = new_kinds.pop()
                            rows.update(zip(new, range(count[kd], count[kd] + len(new))))
                            count[kd] += len(new)
                            if kd == "S":
                                s_level.extend(repeat(g.level, len(new)))
                        else:  # V rows and S rows, each consecutive
                            place([k_ for k_ in new if kind_of[k_] == "V"])
                            place([k_ for k_ in new if kind_of[k_] == "S"])
            else:
                for p in range(len(g.keys[0])):
                    place([ks[p] for ks in g.keys if not isinstance(ks[p], tuple)])
        root = order[-1]
        place([id(root)])

        # S: parameters first (one array ↔ tape.parameters), then the rest.  The parameters
        # keep the blocks their groups laid out, the blocks in the order of the graph (the
        # shallowest group's first): a model's first layer first, as model.parameters() and
        # an L2 term over them list them, so both read the parameters as one slice
        is_param = list(map(shared.__contains__, leaf_ids))  # (shared: leaves of both traces)
        params, pids = list(compress(leaves, is_param)), list(compress(leaf_ids, is_param))
        by_row = np.fromiter(map(rows.__getitem__, pids), np.intp, len(pids))
        by_level = np.asarray(s_level, dtype=np.intp)[by_row]
        params = list(map(params.__getitem__, np.lexsort((by_row, by_level)).tolist()))
        # then the other S rows (constants, nodes of parameters only: few) in their order
        others = [k_ for k_ in chain(consts, s_nodes) if kind_of[k_] == "S" and k_ in rows]
        s_keys = list(map(id, params)) + sorted(others, key=rows.__getitem__)
        rows.update(zip(s_keys, range(len(s_keys))))

        def spec(k_):
            return kind_of[k_], rows[k_]

        for g in ordered:
            g.out = [rows[node_id[t]] for t in g.nodes]
            if g.op in NARY:
                for gi in range(len(g.keys[0])):
                    g.operands.append(("nary",) + _nary_rows([ks[gi] for ks in g.keys],
                                                             g.sig[gi], rows))
            else:
                for p in range(len(g.keys[0])):
                    col = [ks[p] for ks in g.keys]
                    if isinstance(col[0], tuple):  # ("num", x)
                        g.operands.append(("num", [c[1] for c in col]))
                    else:
                        g.operands.append((kind_of[col[0]], [rows[c] for c in col]))
            g.keys, g.sig = [], ()
        self.groups = sorted(ordered, key=lambda g: g.level)  # forward order
        self.params = params
        self.n_var, self.n_inv = count["V"], count["S"]
        self.consts = [(kind_of[k_], rows[k_], x) for k_, x in consts.items() if k_ in rows]
        self.dead = {"V": np.zeros(self.n_var, dtype=bool), "S": np.zeros(self.n_inv, dtype=bool)}
        self.dead["V"][: len(inputs)] = True  # inputs and constants: no one reads their grads
        for kd, r, _ in self.consts:
            self.dead[kd][r] = True
        self.root = spec(id(root))
        self.watched = [spec(id(v)) for v in watched]  # (store, row) of each watched node
        self.ops = [v.op for v in self.op_nodes]
        del self.op_nodes  # the tape keeps no reference to the traced graph


def _leaves(leaves: list[Value], ids: list[int], input_pos: dict,
            shared: set) -> tuple[dict, dict]:
    """The leaves' kinds (an input varies over the batch, a parameter or a constant does
    not) and the constants' values, by id, set in bulk: a 19k-parameter model has 19k
    leaves, and a Python statement per leaf was a third of the layout's time."""
    if any(map(attrgetter("op"), leaves)):  # a leaf with an op was computed under no_grad()
        for v in leaves:
            if v.op and id(v) not in input_pos:
                raise ValueError(
                    f"compile: fn computes a Value under no_grad() (op {v.op!r}, data "
                    f"{v.data!r}); the tape cannot replay it: compute it with grad enabled")
    kind_of: dict[Hashable, str] = dict.fromkeys(ids, "S")
    for x in input_pos:
        if x in kind_of:
            kind_of[x] = "V"
    consts: dict[Hashable, float] = {}
    if set(ids).difference(shared, input_pos):  # constants made inside fn (often none)
        consts.update((i, v.data) for i, v in zip(ids, leaves)
                      if i not in shared and i not in input_pos)
    return kind_of, consts


def _nary_keys(operands: tuple, kind_of: dict, consts: dict, level: dict,
               known: dict) -> tuple[list, tuple, int]:
    """An n-ary node's operand keys (one list per operand sequence), their kinds (one
    tuple per sequence) and the node's level (1 + its deepest operand's).  A number in a
    sequence (the 1 a bias multiplies) gets the key of a constant row of the sequence's
    kind, shared by nodes alike up to that element.

    ``known`` maps a sequence's id to its keys, kinds and deepest level: a layer's neurons
    share one tuple of inputs, read once instead of once per neuron (the tuples live as
    long as the graph, so an id is not reused meanwhile)."""
    keys, sig, deepest = [], [], 0
    for grp in operands:
        done = known.get(id(grp))
        if done is not None:
            keys.append(done[0])
            sig.append(done[1])
            deepest = max(deepest, done[2])
            continue
        ks: list[Hashable] = list(map(id, grp))
        kinds: list[str | None] = list(map(kind_of.get, ks))  # None for a number
        if None in kinds:
            gk = "V" if "V" in kinds else "S"
            first = kinds.index(None)  # the elements before it are Values: no test each
            last, gap = (ks[first - 1] if first else None), 0
            for i in range(first, len(grp)):
                if kinds[i] is not None:  # a Value
                    last, gap = ks[i], 0
                else:  # a number: a constant row, shared by groups alike up to here
                    gap += 1
                    x = float(grp[i])
                    k_ = ("c", gk, x, last, gap)
                    kind_of[k_] = gk
                    consts[k_] = x
                    ks[i], kinds[i] = k_, gk
        # a leaf's level, a number's: 0 (most sequences, a neuron's weights, hold no node)
        lv = 0 if level.keys().isdisjoint(ks) else max(map(level.get, ks, repeat(0)))
        keys.append(ks)
        sig.append(tuple(kinds))
        known[id(grp)] = ks, sig[-1], lv
        deepest = max(deepest, lv)
    return keys, tuple(sig), 1 + deepest


def _unplaced(keys: list, rows: dict) -> list:
    """``keys`` that have no row yet, once each, in order.  Set operations on the dict views
    answer the common cases (a neuron's weights: all new; a layer's inputs after its first
    neuron: none) without a Python test per key."""
    fresh = dict.fromkeys(keys)
    if fresh.keys() <= rows.keys():
        return []
    if rows.keys().isdisjoint(fresh):
        return list(fresh)
    return [k_ for k_ in fresh if k_ not in rows]


def _nary_rows(keys: list[list], kinds: tuple, rows: dict) -> tuple[np.ndarray, np.ndarray]:
    """One n-ary operand position of a group of k nodes as (n × k) matrices: whether each
    element varies over the batch, and its row.  The kinds are the group's own (one tuple
    for all its nodes); nodes that share one sequence (a layer's inputs) share one column."""
    k, n = len(keys), len(kinds)
    isv = np.tile(np.fromiter(map("V".__eq__, kinds), bool, n), (k, 1))
    if all(ks is keys[0] for ks in keys):
        rws = np.tile(np.fromiter(map(rows.__getitem__, keys[0]), np.intp, n), (k, 1))
    else:
        flat = chain.from_iterable(keys)  # node-major
        rws = np.fromiter(map(rows.__getitem__, flat), np.intp, k * n).reshape(k, n)
    return isv.T, rws.T
