"""Parameters held as arrays while they train: the values, the gradient and the optimizer's
state as a few arrays on the tape's device, instead of one Python ``Value`` each.

A tape normally reads every parameter's ``.data`` at each forward and adds into every
``.grad`` at each backward: P Python attribute accesses a pass, most of a small step's time.
:meth:`Tape.attach` links a tape to a :class:`ParameterArrays` instead; from then on

    forward reads   data[idx]            (one gather; idx = the tape's parameters' positions)
    backward adds   grad[idx] += ∂L/∂w   (one array op, refused whole if any entry is not finite)

and an optimizer updates ``data`` in place (:func:`nn.array_step.array_step`).  The Values
are current only at :meth:`ParameterArrays.write_back` (``fit`` calls it at the end, before
each ``on_epoch`` callback and whenever training stops), which sets every ``Value.data`` and
``Value.grad`` from the arrays in one pass.
"""

from __future__ import annotations

from operator import attrgetter
from typing import Any, Sequence

import numpy as np

from ..value import Value
from .backends import NUMPY

__all__ = ["ParameterArrays"]


class ParameterArrays:
    """``params`` (distinct Values) as arrays on a backend's device, in ``params`` order.

    ``data`` (P,) the values, ``grad`` (P,) the accumulated gradient, ``state`` the
    optimizer's arrays by name (filled by the optimizer that uses them, only those it uses).
    """

    def __init__(self, params: Sequence[Value], ops=NUMPY) -> None:
        self.params = list(params)
        if not all(isinstance(p, Value) for p in self.params):
            raise TypeError("ParameterArrays: params must be Values")
        self.position = {id(p): i for i, p in enumerate(self.params)}
        if len(self.position) != len(self.params):
            raise ValueError("ParameterArrays: a parameter is listed twice")
        self.ops = ops
        # deferred=True: attached tapes on a backend that checks results on the device (torch)
        # leave their finiteness flags in ``pending`` instead of reading them; :meth:`settle`
        # (called by nn.array_step with its own check) reads them all at once — one
        # synchronisation a training step instead of one a pass
        self.deferred = False
        self.pending: list = []  # (flags, restore, failed) per deferred pass
        self.state: dict = {}
        self.owner: Any = None  # e.g. the optimizer whose state ``state`` holds
        self.data: Any = None  # (P,) float64 on the backend's device
        self.grad: Any = None
        self.read()

    def __len__(self) -> int:
        return len(self.params)

    def read(self) -> None:
        """Take ``data`` and ``grad`` from the Values now (one pass over them)."""
        P = len(self.params)
        data = np.fromiter(map(attrgetter("data"), self.params), np.float64, P)
        grad = np.fromiter(map(attrgetter("grad"), self.params), np.float64, P)
        for name, a in (("data", data), ("grad", grad)):
            finite = np.isfinite(a)
            if not finite.all():
                i = int(np.argmin(finite))
                raise ValueError(f"ParameterArrays: parameter {i} ({self.params[i]!r}) has a "
                                 f"non-finite .{name}")
        self.data = self.ops.from_numpy(data)
        self.grad = self.ops.from_numpy(grad)

    def write_back(self) -> None:
        """Set every Value's ``.data`` and ``.grad`` from the arrays (one pass): the point at
        which the Values are current again."""
        data = self.ops.to_numpy(self.data).tolist()
        grad = self.ops.to_numpy(self.grad).tolist()
        for p, x, g in zip(self.params, data, grad):
            p.data = x
            p.grad = g

    def zero_grad(self) -> None:
        """grad ← 0 (one array op; the Values' ``.grad`` are left as they are)."""
        self.grad[...] = 0.0

    def defer(self, flags: list, restore, failed) -> None:
        """Keep a pass's device-side finiteness flags; on a false one :meth:`settle` calls
        ``restore()`` (undo what the pass wrote), then ``failed()`` (raise its error)."""
        self.pending.append((flags, restore, failed))

    def settle(self, more: Sequence = ()) -> bool:
        """Read the pending flags and ``more`` in one read of the device; True when all are
        true.  Otherwise every pending pass is undone (last first) and the first that
        failed raises its own error; False when none of them did (``more`` failed)."""
        pending, self.pending = self.pending, []
        flags = [f for fl, _, _ in pending for f in fl] + list(more)
        if not flags or self.ops.all_true(flags):
            return True
        for _, restore, _ in reversed(pending):
            if restore is not None:
                restore()
        for fl, _, failed in pending:
            if fl and not self.ops.all_true(fl):
                failed()
        return False

    def positions(self, params: Sequence[Value], who: str) -> np.ndarray:
        """The positions of ``params`` in these arrays; a ValueError naming ``who`` when one
        is not held here."""
        try:
            return np.fromiter((self.position[id(p)] for p in params), np.intp, len(params))
        except KeyError:
            missing = next(p for p in params if id(p) not in self.position)
            raise ValueError(f"{who}: parameter {missing!r} is not held by these "
                             "ParameterArrays") from None
