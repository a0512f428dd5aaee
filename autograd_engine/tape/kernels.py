"""The rules' array backend: ``FLOAT_MATH``'s names element-wise over NumPy arrays
(:data:`ARRAY_MATH`), and the stacked dot product both array backends share."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Callable

try:
    import numpy as np
except ImportError as _e:  # pragma: no cover - exercised only without numpy
    raise ImportError(
        "the compiled tape needs NumPy: pip install 'autograd-engine[fast]'") from _e

__all__ = ["ARRAY_MATH", "stacked_dot", "ERRSTATE"]


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


def stacked_dot(ws, xs, broadcast: Callable, einsum: Callable):
    """Σᵢ wᵢ·xᵢ of (n, k, B) stacks, for any array library (``broadcast``, ``einsum`` its
    own): k weight rows (n, k, 1) against shared inputs (n, 1, B) are the matrix product
    Wᵀ·X (and the mirror case); any other mix of size-1 axes broadcasts."""
    _, kw, bw = ws.shape
    _, kx, bx = xs.shape
    if bw == 1 and kx == 1:
        return ws[:, :, 0].T @ xs[:, 0, :]
    if kw == 1 and bx == 1:
        return xs[:, :, 0].T @ ws[:, 0, :]
    ws, xs = broadcast(ws, xs)
    return einsum("ikb,ikb->kb", ws, xs)


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

ERRSTATE = dict(over="raise", divide="raise", invalid="raise", under="ignore")
