"""One optimizer step as a few array ops over all parameters, for ``fit(compiled=True)``.

The compiled tape holds the parameters as one float64 array (``Tape.parameter_data``) and
the gradient of a backward pass as another (``Tape.parameter_grad``).  :func:`array_step`
applies the update of :mod:`nn.optim` to those arrays — the same formulas, in the same
order of float operations, so the new weights equal ``optimizer.step()``'s bit for bit:

=========  ===================================================================================
SGD        v ← μ·v + g (v = g at t = 1);  w ← w − η·v
AdaGrad    G ← G + g²;                     w ← w − η·g / (√G + ε)
RMSProp    s ← α·s + (1 − α)·g²;           w ← w − η·g / (√s + ε)
Adam       m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²;  w ← w − η·m̂ / (√v̂ + ε)
=========  ===================================================================================

and writes the result back into every ``Value.data`` (the Values stay the truth), the
optimizer's state lists and its step count (so ``optimizer.step()`` can carry on from
there).  A step that meets a non-finite gradient, or would make a parameter or the
optimizer's state (Adam's moments, AdaGrad's and RMSProp's sums) non-finite, raises the
:class:`nn.DivergenceError` of ``Optimizer.step`` naming the parameter and the step, and
changes nothing.  Optimizers of
other classes (or subclasses, which may change ``_update``) return False: the caller then
uses ``optimizer.step()``.
"""

from __future__ import annotations

import numpy as np

from .optim import SGD, AdaGrad, Adam, DivergenceError, Optimizer, RMSProp

_STATE = {SGD: ("velocity",), AdaGrad: ("sum_sq",), RMSProp: ("mean_sq",), Adam: ("m", "v")}


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


def array_step(optimizer: Optimizer, tape) -> bool:
    """``optimizer.step()`` for the parameters ``tape`` holds, as array ops; True if done.

    Needs the gradients to be exactly what the tape's last backward added (``.grad`` zeroed
    before it) and the parameters what its last forward read, as in ``fit``."""
    cls = type(optimizer)
    if cls not in _STATE:
        return False
    pos = _order(optimizer, tape)
    if pos is None:
        return False
    n = len(pos)
    w = np.empty(n)
    g = np.empty(n)
    w[pos] = tape.parameter_data(fresh=False)  # what the forward read (no one changed it
    # since: fit runs forward, backward, step); in the optimizer's order from here on
    g[pos] = tape.parameter_grad()
    lr = optimizer.current_lr()
    wd = optimizer.weight_decay
    if wd:
        g = g + wd * w
    finite = np.isfinite(g)
    if not finite.all():
        i = int(np.argmin(finite))
        raise DivergenceError(f"{cls.__name__}.step: the gradient of parameter {i} is {g[i]}",
                              step=optimizer.steps + 1, index=i, parameter=optimizer.params[i])
    t = optimizer.steps + 1
    with np.errstate(over="ignore", invalid="ignore"):  # checked below: a clear error instead
        new, state = _update(optimizer, cls, w, g, t)
        new = w - lr * new
    finite = np.isfinite(new)
    if not finite.all():
        i = int(np.argmin(finite))
        raise DivergenceError(f"{cls.__name__}.step: step {t} would make parameter {i} "
                              f"({optimizer.params[i]!r}) {new[i]} (lr={lr}); the parameters keep "
                              "their values", step=t, index=i, parameter=optimizer.params[i])
    for name, arr in state.items():  # as Optimizer.step: an overflowing g² would stall silently
        finite = np.isfinite(arr)
        if not finite.all():
            i = int(np.argmin(finite))
            raise DivergenceError(f"{cls.__name__}.step: step {t} would make the optimizer's {name!r} "
                                  f"of parameter {i} {arr[i]} (lr={lr}); the parameters keep their values",
                                  step=t, index=i, parameter=optimizer.params[i])
    optimizer.steps = t
    for name, arr in state.items():
        getattr(optimizer, name)[:] = arr.tolist()
    tape.assign_parameters(new[pos])
    return True


def _update(optimizer, cls, w, g, t: int):
    """The direction d of w ← w − η·d and the new state arrays (nn.optim's formulas, their
    float operations in the same order)."""
    state = {name: np.asarray(getattr(optimizer, name), dtype=np.float64) for name in _STATE[cls]}
    if cls is SGD:
        if optimizer.momentum:
            d = optimizer.momentum * state["velocity"] + g if t > 1 else g
            state["velocity"] = d
        else:
            d = g
    elif cls is AdaGrad:
        state["sum_sq"] = state["sum_sq"] + g * g
        d = g / (np.sqrt(state["sum_sq"]) + optimizer.eps)
    elif cls is RMSProp:
        a = optimizer.alpha
        state["mean_sq"] = a * state["mean_sq"] + (1.0 - a) * g * g
        d = g / (np.sqrt(state["mean_sq"]) + optimizer.eps)
    else:  # Adam
        b1, b2 = optimizer.betas
        state["m"] = m = b1 * state["m"] + (1.0 - b1) * g
        state["v"] = v = b2 * state["v"] + (1.0 - b2) * g * g
        d = (m / (1.0 - b1 ** t)) / (np.sqrt(v / (1.0 - b2 ** t)) + optimizer.eps)
    return d, state
