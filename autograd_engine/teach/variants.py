"""A variant per student: the same graph with other small values, every number exact by hand.

``variants(root, n, seed)`` rebuilds ``root``'s graph ``n`` times — the same ops in the same
shape, through the rule table (``Value.apply``) — with each input set to a small integer or half
(±½, ±1½, ±2, …, 4), drawn from ``random.Random(seed)``, so the same seed gives the same set.
A draw is kept only when

* every number a worksheet shows — each node's value, each step's ∂L/∂z, ∂z/∂x, contribution
  and the gradient so far, each final gradient — is a multiple of ⅛ no larger than 1000 in size
  (written exactly, worked by hand);
* no step is trivially 0 or 1 (unless ``allow_trivial=True``): an input is never 0 or 1, a local
  gradient whose rule computes it (not a constant like add's 1) is never 0 or 1, and no
  contribution is 0 — except through a switch (max, min, relu, abs) and downstream of the input
  it did not choose, where a 0 is the lesson;
* no max or min is a tie (which splits the gradient 0.5/0.5), unless ``allow_trivial``;
* it differs from every variant kept before.

A graph where such values are rare (``exp``, ``log``, ``tanh``) may yield fewer than ``n``: that
is a ValueError saying how many were found, never a sheet with 0.7310585786.
"""

from __future__ import annotations

import math
import random
from typing import Sequence

from ..rules import RULES
from ..value import Value
from ..backprop import forward_order
from .walkthrough import backward_steps

VALUES = tuple(x / 2 for x in range(-8, 9) if x not in (0, 2))
"""The inputs drawn from: integers and halves from −4 to 4, without 0 and 1."""

TRIVIAL_VALUES = tuple(x / 2 for x in range(-8, 9))
SWITCHES = frozenset({"max", "min", "relu", "abs", "leaky_relu"})
DENOMINATOR, LIMIT = 8, 1000.0
TRIES_PER_VARIANT = 400


def rebuild(root: Value, values: Sequence[float]) -> Value:
    """``root``'s graph again, its inputs (leaves, in computation order) set to ``values``:
    every op applied through its rule (``Value.apply``; ``Value.sum``/``Value.dot`` for the n-ary
    ones), labels kept.  A value outside an op's domain is the op's ValueError."""
    order = forward_order(root)
    leaves = [v for v in order if v.is_leaf()]
    if len(values) != len(leaves):
        raise ValueError(f"rebuild: {len(values)} values for a graph of {len(leaves)} inputs")
    new: dict[Value, Value] = {v: Value(float(x), v.label) for v, x in zip(leaves, values)}

    def operand(o):
        if isinstance(o, Value):
            return new[o]
        if isinstance(o, (tuple, list)):
            return [operand(e) for e in o]
        return o

    for v in order:
        if v.is_leaf():
            continue
        ops = [operand(o) for o in v.operands]
        if v.op == "sum":
            z = Value.sum(ops[0])
        elif v.op == "dot":
            z = Value.dot(*ops)
        elif v.op in RULES and isinstance(ops[0], Value):
            z = ops[0].apply(v.op, *ops[1:])
        else:
            raise ValueError(f"rebuild: cannot rebuild a {v.op!r} node (its rule is not in RULES)")
        z.label = v.label
        new[v] = z
    return new[root]


def _data(o) -> float:
    return o.data if isinstance(o, Value) else o


def _exact(x: float) -> bool:
    return abs(x) <= LIMIT and (x * DENOMINATOR).is_integer()


def _constant(formula: str) -> bool:
    try:
        float(formula)
        return True
    except ValueError:
        return False


def acceptable(root: Value, allow_trivial: bool = False) -> bool:
    """Whether every number of ``root``'s worksheet is exact by hand and (unless
    ``allow_trivial``) no step is trivially 0 or 1 (see the module docstring).  Leaves every
    ``.grad`` as it was."""
    order = root.nodes()
    if not all(_exact(v.data) for v in order):
        return False
    if not allow_trivial and any(v.is_leaf() and v.data in (0.0, 1.0) for v in order):
        return False
    if not allow_trivial and any(v.op in ("max", "min") and len(set(map(_data, v.operands))) < 2 for v in order):
        return False  # a tie splits the gradient 0.5/0.5: a lesson of its own, not a variant's accident
    held = [v.grad for v in order]
    try:
        for v in order:
            v.grad = 0.0
        seen: dict[Value, int] = {}
        for s in backward_steps(root):
            if not all(_exact(x) for x in (s.upstream, s.local, s.contribution, s.parent_grad)):
                return False
            if allow_trivial or s.node.op in SWITCHES:
                continue
            slot = seen.get(s.node, 0)
            seen[s.node] = slot + 1
            rule = s.node.rule
            formulas = rule.grads if rule else ()
            computed = slot < len(formulas) and not _constant(formulas[slot]) and len(s.node.parents) <= 2
            # a 0 upstream comes from a switch that chose the other input: that zero is the lesson
            if (computed and s.local in (0.0, 1.0)) or (s.contribution == 0.0 and s.upstream != 0.0):
                return False
        return True
    except ValueError:  # overflow: not a sheet for hand work
        return False
    finally:
        for v, g in zip(order, held):
            v.grad = g


def variants(root: Value, n: int, seed: int = 0, *, allow_trivial: bool = False) -> list[Value]:
    """``n`` variants of ``root``'s graph (see the module docstring), the same for the same
    ``seed``.  A ValueError when fewer than ``n`` acceptable, distinct ones turn up."""
    if not isinstance(root, Value):
        raise TypeError(f"variants: root must be a Value, got {type(root).__name__}")
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 1000:
        raise ValueError(f"variants: n must be an int from 1 to 1000, got {n!r}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"variants: seed must be an int, got {seed!r}")
    leaves = [v for v in forward_order(root) if v.is_leaf()]
    pool = TRIVIAL_VALUES if allow_trivial else VALUES
    rng = random.Random(seed)
    found: list[Value] = []
    seen: set[tuple[float, ...]] = set()
    possible = len(pool) ** len(leaves)
    for _ in range(TRIES_PER_VARIANT * n):
        if len(found) == n or len(seen) >= possible:
            break
        values = tuple(rng.choice(pool) for _ in leaves)
        if values in seen:
            continue
        seen.add(values)
        try:
            candidate = rebuild(root, values)
        except (ValueError, ArithmeticError):  # outside an op's domain (log of a negative, 1/0)
            continue
        if acceptable(candidate, allow_trivial):
            found.append(candidate)
    if len(found) < n:
        hint = "" if allow_trivial else "; allow_trivial=True admits 0 and 1"
        raise ValueError(
            f"variants: found {len(found)} of {n} variants whose every number is exact by hand (multiples of "
            f"1/{DENOMINATOR}, at most {LIMIT:g}){hint}; functions like exp, log and tanh rarely give exact "
            "numbers: make fewer variants or keep your own values")
    return found


def leaf_values(root: Value) -> dict[str, float]:
    """The inputs of ``root``'s graph by name (label), in computation order."""
    return {v.label: v.data for v in forward_order(root) if v.is_leaf()}


def is_exact(x: float) -> bool:
    """Whether ``x`` is a multiple of ⅛ no larger than 1000: a number written exactly by hand."""
    return math.isfinite(x) and _exact(x)
