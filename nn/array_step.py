"""One optimizer step as a few array ops over all parameters, for ``fit(compiled=True)``.

While a compiled model trains, its parameters, their gradient and the optimizer's state are
arrays (:class:`autograd_engine.tape.ParameterArrays`, on the tape's device).
:func:`array_step` applies the update of :mod:`nn.optim` to those arrays — the optimizer's own
formula (:meth:`nn.Optimizer.direction`, read here over the arrays' math backend, there over
floats), so the same float operations in the same order, and the new weights equal
``optimizer.step()``'s bit for bit:

=========  ===================================================================================
SGD        v ← μ·v + g (v = g at t = 1);  w ← w − η·v      (g ← g + λ·w first, with weight decay)
AdaGrad    G ← G + g²;                     w ← w − η·g / (√G + ε)
RMSProp    s ← α·s + (1 − α)·g²;           w ← w − η·g / (√s + ε)
Adam       m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²;  w ← w − η·m̂ / (√v̂ + ε)
=========  ===================================================================================

Only the state an optimizer uses is an array (plain SGD has none: its ``velocity`` list is
never read).  The Values and the optimizer's state lists are brought up to date by
:func:`write_back` — never per parameter per step.  A step that meets a non-finite gradient,
or would make a parameter or the optimizer's state (Adam's moments, AdaGrad's and RMSProp's
sums) non-finite, raises the :class:`nn.DivergenceError` of ``Optimizer.step`` naming the
parameter and the step, and changes nothing; finiteness is one reduction per step (x·0 is 0
for a finite x, NaN otherwise: one sum over g·0 + w'·0 + state'·0).  Optimizers of other
classes (or subclasses, which may change ``direction`` or ``_update``) are not handled:
:func:`supports` says so and the caller uses ``optimizer.step()``.

``array_step(optimizer, tape)`` on a tape that is not attached to arrays keeps its older
meaning: the update of what the tape's last forward read and backward added, written back
into every ``Value.data`` and the optimizer's lists.
"""

from __future__ import annotations

import numpy as np

from autograd_engine.tape import ParameterArrays, Tape
from autograd_engine.tape.backends import NUMPY

from .optim import SGD, AdaGrad, Adam, DivergenceError, Optimizer, RMSProp

_SUPPORTED = (SGD, AdaGrad, RMSProp, Adam)


def supports(optimizer: Optimizer) -> bool:
    """Whether :func:`array_step` can take ``optimizer``'s steps (its exact class is one of
    SGD, AdaGrad, RMSProp, Adam)."""
    return type(optimizer) in _SUPPORTED


def array_step(optimizer: Optimizer, target) -> bool:
    """``optimizer.step()`` as array ops; True if done, False for an optimizer or parameter
    set it does not handle.

    ``target`` a :class:`ParameterArrays` holding exactly ``optimizer.params`` (in order), a
    tape attached to one, or (the older use) an unattached tape whose last backward put the
    whole gradient into ``.grad`` (zeroed before it) after its forward read the parameters."""
    if not supports(optimizer):
        return False
    if isinstance(target, Tape) and target.attached is None:
        return _step_through_values(optimizer, target)
    held = target if isinstance(target, ParameterArrays) else target.attached
    if held is None:
        raise TypeError(f"array_step: need ParameterArrays or a tape, got {type(target).__name__}")
    if not own(optimizer, held):
        return False
    new, state = _checked_update(optimizer, held.data, held.grad, held.state, held.ops, held)
    for name, arr in state.items():  # SGD's first velocity is g itself: not the grad array,
        if arr is held.grad:  # which the next step zeroes in place
            state[name] = arr * 1.0
    held.data[...] = new
    held.state.update(state)
    optimizer.steps += 1
    return True


def own(optimizer: Optimizer, held: ParameterArrays) -> bool:
    """Make ``held.state`` ``optimizer``'s state (read from its lists once, when ``held``
    last served another optimizer); False when ``held`` does not hold exactly
    ``optimizer.params`` in order."""
    if held.owner is not optimizer:  # the same parameters in the same order; its state, once
        if len(held.params) != len(optimizer.params) or \
                any(a is not b for a, b in zip(held.params, optimizer.params)):
            return False
        held.state = {name: held.ops.from_numpy(np.asarray(getattr(optimizer, name), np.float64))
                      for name in optimizer._used_buffers()}
        held.owner = optimizer
    return True


def write_back(optimizer: Optimizer, held: ParameterArrays) -> None:
    """Make the Values (``.data``, ``.grad``) and ``optimizer``'s state lists current from the
    arrays: one pass over the parameters."""
    held.write_back()
    if held.owner is optimizer:
        for name, arr in held.state.items():
            getattr(optimizer, name)[:] = held.ops.to_numpy(arr).tolist()


def _checked_update(optimizer: Optimizer, w, g, state: dict, ops, held=None):
    """(new w, new state) of one step over arrays of any backend, refused as a whole with a
    DivergenceError when anything it would make is not finite.  With ``held``, its pending
    passes' flags are read together with this check (one read of the device a step); a
    failed pass raises its own error first."""
    t = optimizer.steps + 1
    lr = optimizer.current_lr()
    g, new, new_state, probe = unchecked_update(optimizer, w, g, state, t, lr, ops)
    with np.errstate(over="ignore", invalid="ignore"):  # checked below: a clear error instead
        if held is not None and held.pending:
            finite = held.settle([ops.finite_flag(probe)])  # raises a failed pass's error
        else:
            finite = ops.all_finite(probe)
    if not finite:
        _refuse(optimizer, ops.to_numpy(g), ops.to_numpy(new),
                {k: ops.to_numpy(a) for k, a in new_state.items()}, t, lr)
    return new, new_state


def unchecked_update(optimizer: Optimizer, w, g, state: dict, t: int, lr: float, ops):
    """(g with weight decay, new w, new state, probe) of step ``t`` at rate ``lr``: array ops
    only, nothing read from the device.  ``probe`` is finite exactly when the gradient, the
    new parameters and the new state all are (x·0 is 0 for a finite x, NaN otherwise).
    :func:`_checked_update` reads it; a captured step (:mod:`nn.graph_step`) folds it into
    its one flag."""
    wd = optimizer.weight_decay
    with np.errstate(over="ignore", invalid="ignore"):  # checked by the caller
        if wd:
            g = g + wd * w
        d, new_state = optimizer.direction(ops.math, g, state, t)
        new = w - lr * d
        probe = g * 0.0 + new * 0.0
        for arr in new_state.values():
            probe = probe + arr * 0.0
    return g, new, new_state, probe


def _refuse(optimizer: Optimizer, g: np.ndarray, new: np.ndarray, state: dict, t: int, lr):
    """The DivergenceError of a step that would leave something non-finite (Optimizer.step's
    order: the gradient, then the parameters, then the optimizer's state)."""
    who = type(optimizer).__name__
    # as Optimizer.step, the state too: an overflowing g² would stall training silently
    for what, arr in (("gradient", g), ("parameter", new), *state.items()):
        finite = np.isfinite(arr)
        if finite.all():
            continue
        i = int(np.argmin(finite))
        p = optimizer.params[i]
        if what == "gradient":
            said = f"the gradient of parameter {i} is {arr[i]}"
        elif what == "parameter":
            said = f"step {t} would make parameter {i} ({p!r}) {arr[i]} (lr={lr}); the parameters keep their values"
        else:
            said = (f"step {t} would make the optimizer's {what!r} of parameter {i} {arr[i]} "
                    f"(lr={lr}); the parameters keep their values")
        raise DivergenceError(f"{who}.step: {said}", step=t, index=i, parameter=p)
    raise AssertionError("unreachable: a non-finite probe with every entry finite")


# ---- the older use: a tape that reads and writes the Values -------------------------------------
def _order(optimizer: Optimizer, tape) -> np.ndarray | None:
    """pos[i] = the optimizer's index of tape parameter i, or None when they differ."""
    cache = getattr(tape, "_optimizer_order", None)
    if cache is not None and cache[0] is optimizer:
        return cache[1]
    where = {id(p): i for i, p in enumerate(optimizer.params)}
    if len(where) != len(optimizer.params) or len(where) != len(tape.parameters) or \
            any(id(p) not in where for p in tape.parameters):
        return None
    pos = np.fromiter((where[id(p)] for p in tape.parameters), np.intp, len(where))
    tape._optimizer_order = (optimizer, pos)
    return pos


def _step_through_values(optimizer: Optimizer, tape) -> bool:
    pos = _order(optimizer, tape)
    if pos is None:
        return False
    n = len(pos)
    w, g = np.empty(n), np.empty(n)
    w[pos] = tape.parameter_data(fresh=False)  # what the forward read; optimizer order from here
    g[pos] = tape.parameter_grad()
    state = {name: np.asarray(getattr(optimizer, name), dtype=np.float64)
             for name in optimizer._used_buffers()}
    new, state = _checked_update(optimizer, w, g, state, NUMPY)
    optimizer.steps += 1
    for name, arr in state.items():
        getattr(optimizer, name)[:] = arr.tolist()
    tape.assign_parameters(new[pos])
    return True

