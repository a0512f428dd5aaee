"""Σᵢ wᵢ·xᵢ over stacks of operand rows, for any array library: the compiled tape's dot product.

Its own module so that the tape's NumPy backend (``tape.py``) and its PyTorch backend
(``tape_torch.py``) both use it without importing each other.
"""

from __future__ import annotations

from typing import Callable


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
