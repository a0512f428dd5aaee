"""The compiled tape on PyTorch: the rule table's formulas over float64 tensors.

``compile(fn, n, backend="torch", device="cuda")`` replays the same tape as the NumPy
backend — the same groups, the same rows, the same rule functions ``RULES[op].fn(m, ...)`` —
with ``m`` = :func:`torch_math`, a namespace with ``FLOAT_MATH``'s names (exp, log, tanh,
pow, sigmoid, sign, sin, cos, sqrt, maximum, minimum, where, sum, dot) over tensors.  No
derivative is written here: PyTorch is used as an array library, its autograd stays off.

Everything is float64 (``pow`` is ``torch.float_power``, numbers become float64 tensors),
so the results equal the NumPy tape's to rounding (~1e-15 relative).  PyTorch does not
raise on overflow or a domain error the way ``np.errstate`` does, so every group's result
and local gradients are checked for non-finite entries, and a failure is reported the same
way as on NumPy (the op, the first failing sample, its operands).

PyTorch is imported on first use; without it the error names the extra to install.
"""

from __future__ import annotations

import contextlib
from types import SimpleNamespace

import numpy as np

from .batch import check_batch_shape
from .kernels import stacked_dot

__all__ = ["torch_math", "torch_ops"]


def _torch():
    try:
        import torch
    except ImportError as e:
        raise ImportError("the compiled tape's torch backend needs PyTorch: "
                          "pip install 'autograd-engine[torch]'") from e
    return torch


def torch_math(device=None):
    """``FLOAT_MATH``'s names over float64 tensors on ``device`` (numbers are accepted
    wherever the float backend accepts them, and become float64 tensors)."""
    torch = _torch()
    f64 = torch.float64
    dev = torch.device(device or "cpu")
    T = torch.Tensor

    consts: dict = {}  # a number's 0-d tensor, made once: no host→device copy per call

    def t(x):
        """A number as a float64 0-d tensor on the device, made on its first use and reused
        (the same tensor, so the same kernels; and a step that makes no host→device copy
        can be captured in a CUDA graph).  Keyed by the float's bits (−0.0 ≠ 0.0)."""
        if isinstance(x, T):
            return x
        x = float(x)
        key = x.hex()
        c = consts.get(key)
        if c is None:
            c = consts[key] = torch.tensor(x, dtype=f64, device=dev)
        return c

    def unary(f):
        return lambda x: f(t(x))

    def where(c, a, b):
        return torch.where(t(c).bool() if not isinstance(c, T) else c, t(a), t(b))

    def sqrt(x):
        """√x, correctly rounded: PyTorch's CPU kernel is off by an ulp for ~1 % of inputs
        (CUDA's is IEEE), so on the CPU the tensor's memory goes through NumPy's (no copy)."""
        x = t(x)
        if x.device.type == "cpu":
            return torch.from_numpy(np.sqrt(x.numpy()))
        return torch.sqrt(x)

    def sum_(xs):
        """Σ over the first axis (see the NumPy backend's ``sum``)."""
        if isinstance(xs, T):
            return xs.sum(dim=0)
        return sum(xs)

    def dot(ws, xs):
        """Σᵢ wᵢ·xᵢ over the first axis; (n, k, B) stacks broadcast over size-1 axes, k
        weight rows against shared inputs being the matrix product Wᵀ·X."""
        if isinstance(ws, T) and isinstance(xs, T):
            if ws.dim() == xs.dim() == 3:
                return stacked_dot(ws, xs, torch.broadcast_tensors, torch.einsum)
            if ws.dim() == xs.dim() == 2:
                ws, xs = torch.broadcast_tensors(ws, xs)
                return torch.einsum("ij,ij->j", ws, xs)
        return sum(w * x for w, x in zip(ws, xs))

    return SimpleNamespace(
        exp=unary(torch.exp), log=unary(torch.log), tanh=unary(torch.tanh),
        pow=lambda x, y: torch.float_power(t(x), t(y)), sigmoid=unary(torch.sigmoid),
        sign=unary(torch.sign), sin=unary(torch.sin), cos=unary(torch.cos),
        sqrt=sqrt, maximum=lambda x, y: torch.maximum(t(x), t(y)),
        minimum=lambda x, y: torch.minimum(t(x), t(y)), where=where, sum=sum_, dot=dot,
    )


class TorchBackend:
    """The tape machinery's array operations (see ``backends.NumpyBackend``) for tensors."""

    name = "torch"
    check_finite = True  # torch does not raise on overflow or a domain error: check results

    def __init__(self, device) -> None:
        torch = _torch()
        try:
            self.device = torch.device(device or "cpu")
        except (RuntimeError, TypeError, ValueError) as e:
            raise ValueError(f"compile: device {device!r} is not available to PyTorch: not a device name ({e}); "
                             f"{_devices_here(torch)}") from None
        if self.device.type == "meta":
            raise ValueError(f"compile: device {device!r} is not available to PyTorch for numbers (a meta device has "
                             f"shapes only); {_devices_here(torch)}")
        try:
            torch.zeros(1, dtype=torch.float64, device=self.device)
        except (AssertionError, RuntimeError, TypeError, ValueError) as e:
            # AssertionError: "Torch not compiled with CUDA enabled" (a CPU build)
            raise ValueError(f"compile: device {device!r} is not available to PyTorch "
                             f"({str(e).splitlines()[0][:200]}); {_devices_here(torch)}") \
                from None
        self.torch = torch
        self.ndarray = torch.Tensor
        self.math = torch_math(self.device)
        self._constants: dict = {}

    def as_batch(self, X, n: int, want: str):
        """A tensor batch as float64 (B, n) on this device: used where it is when it is
        already that (no copy, no host synchronisation); moved or converted once otherwise.
        Sparse, meta, complex and other non-number tensors are refused, saying what is
        supported."""
        torch = self.torch
        _supported(X, want)
        check_batch_shape(tuple(X.shape), n, want, "a tensor of shape")
        return X.detach().to(device=self.device, dtype=torch.float64)

    def finite_flag(self, a):
        """A 0-d bool tensor on the device: every entry of ``a`` finite (not read here)."""
        return self.torch.isfinite(a).all()

    def all_true(self, flags: list) -> bool:
        """Every flag true: ONE read from the device (the pass's only synchronisation)."""
        if len(flags) == 1:
            return bool(flags[0])
        return bool(self.torch.stack(flags).all())

    def zeros(self, shape):
        return self.torch.zeros(shape, dtype=self.torch.float64, device=self.device)

    def index(self, rows):
        return self.torch.as_tensor(np.asarray(rows, dtype=np.int64), device=self.device)

    def asarray(self, values):
        return self.torch.tensor(values, dtype=self.torch.float64, device=self.device)

    def constant(self, values: tuple):
        """``asarray(values)`` made once per distinct tuple of numbers and reused: the local
        gradients a rule gives as numbers are the same every pass (no host→device copy per
        pass).  Callers must not write into it."""
        key = tuple(float(v).hex() for v in values)
        c = self._constants.get(key)
        if c is None:
            c = self._constants[key] = self.asarray([float(v) for v in values])
        return c

    def permute(self, a, axes):
        return a.permute(*axes)

    def add_at(self, store, idx, values):
        store.index_add_(0, idx.reshape(-1), values.reshape(-1, store.shape[1]))

    def sum(self, a, axis):
        return a.sum(dim=axis, keepdim=True)

    def einsum(self, sub, *ops):
        return self.torch.einsum(sub, *ops)

    def errstate(self):
        return contextlib.nullcontext()

    def all_finite(self, a) -> bool:
        # one reduction: a sum is finite only if every entry is (a NaN or ±inf survives it);
        # the exact element-wise test only when the sum is not (it may just overflow)
        return bool(self.torch.isfinite(a.sum())) or bool(self.torch.isfinite(a).all())

    def from_numpy(self, A):
        return self.torch.from_numpy(np.ascontiguousarray(A, dtype=np.float64)).to(self.device)

    def to_numpy(self, a):
        return a.detach().cpu().numpy()

    def tolist(self, a):
        return a.tolist()

    def broadcast_to(self, a, shape):
        return self.torch.broadcast_to(a, shape)


def _devices_here(torch) -> str:
    """What the torch backend can run on in this process, for error messages."""
    n = torch.cuda.device_count() if torch.cuda.is_available() else 0
    cuda = (f"'cuda' or 'cuda:0'…'cuda:{n - 1}'" if n > 1 else "'cuda' or 'cuda:0'") if n \
        else "no CUDA device (this PyTorch is a CPU build or sees no GPU)"
    return f"the torch backend runs on 'cpu' or a device that holds float64 numbers: here {cuda}"


def _supported(X, want: str) -> None:
    """Refuse a tensor the tape cannot read as numbers, saying what it accepts."""
    torch = _torch()
    ok = "a dense (strided) tensor of bool, integer or floating dtype (float64, float32, " \
         "float16, bfloat16: converted to float64 exactly)"
    if X.layout != torch.strided:
        raise TypeError(f"Tape.forward: X is a {X.layout} tensor; {want}: {ok} (X.to_dense())")
    if X.device.type == "meta":
        raise ValueError(f"Tape.forward: X is a meta tensor (a shape without numbers); {want}: "
                         f"{ok}")
    if X.is_complex() or X.dtype not in _NUMBER_DTYPES(torch):
        raise TypeError(f"Tape.forward: {want}; got a tensor of dtype {X.dtype}: {ok}")


def _NUMBER_DTYPES(torch) -> tuple:
    return (torch.float64, torch.float32, torch.float16, torch.bfloat16, torch.bool, torch.uint8,
            torch.int8, torch.int16, torch.int32, torch.int64)


def host_copy(X, want: str) -> np.ndarray:
    """A PyTorch tensor given to the NumPy backend: checked as :meth:`TorchBackend.as_batch`
    checks it, then float64 on the host (bfloat16 has no NumPy dtype: converted first)."""
    torch = _torch()
    _supported(X, want)
    return X.detach().to(device="cpu", dtype=torch.float64).numpy()


_CACHE: dict = {}


def torch_ops(device=None) -> TorchBackend:
    """The torch backend for ``device`` (one per device)."""
    key = str(device or "cpu")
    if key not in _CACHE:
        _CACHE[key] = TorchBackend(device)
    return _CACHE[key]

