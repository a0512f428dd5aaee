"""The array operations the tape's machinery needs (gathers, scatters, products), per
backend: NumPy here, PyTorch in :mod:`.torch_backend` (imported only when asked for)."""

from __future__ import annotations

try:
    import numpy as np
except ImportError as _e:  # pragma: no cover - exercised only without numpy
    raise ImportError(
        "the compiled tape needs NumPy: pip install 'autograd-engine[fast]'") from _e

from .kernels import ARRAY_MATH, ERRSTATE

BACKENDS = ("numpy", "torch")


class NumpyBackend:
    """The few array operations the tape's own machinery needs (gathers, scatters, products),
    for NumPy; :mod:`.torch_backend` gives the same for PyTorch tensors."""

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

    def constant(self, values: tuple):
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
        return np.errstate(**ERRSTATE)

    def all_finite(self, a) -> bool:
        return bool(np.isfinite(a).all())

    def finite_flag(self, a) -> bool:
        return bool(np.isfinite(a).all())

    def all_true(self, flags: list) -> bool:
        return all(flags)

    def from_numpy(self, A):
        return A

    def to_numpy(self, a):
        return np.asarray(a)

    def tolist(self, a):
        return a.tolist()

    def broadcast_to(self, a, shape):
        return np.broadcast_to(a, shape)


NUMPY = NumpyBackend()


def ops_for(backend: str, device):
    if backend == "numpy":
        if device not in (None, "cpu"):
            raise ValueError(f"compile: the numpy backend runs on the CPU; device={device!r} "
                             "needs backend='torch'")
        return NUMPY
    if backend == "torch":
        from .torch_backend import torch_ops

        return torch_ops(device)
    raise ValueError(f"compile: backend must be one of {', '.join(map(repr, BACKENDS))}, "
                     f"got {backend!r}")
