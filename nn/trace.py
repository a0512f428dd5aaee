"""The records of one forward pass kept per layer: :class:`Trace` (``z[l]``, ``a[l]``, the
output) and :class:`PerLayer`, a tuple numbered by layer 1..L as in the books."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from autograd_engine import Value

class PerLayer(tuple):
    """A tuple numbered by layer as in the books: ``t[l]`` is layer l for l = 1..L (``t[-1]``
    the last); ``len`` and iteration go over layers 1..L.  There is no layer 0 (that is the
    input x = a_0, kept in ``Trace.a[0]``)."""

    __slots__ = ()

    def __getitem__(self, l):
        if isinstance(l, int) and not isinstance(l, bool):
            if 1 <= l <= len(self):
                return tuple.__getitem__(self, l - 1)
            if -len(self) <= l < 0:
                return tuple.__getitem__(self, l)
        raise IndexError(f"layers are numbered 1..{len(self)}, as in the books; there is no layer {l!r}")

    def __reversed__(self):
        # reversed() would otherwise index from len − 1 down to 0 through __getitem__ above,
        # i.e. layers L−1 … 1, and stop silently at the missing layer 0
        return reversed(tuple(self))

    def __repr__(self) -> str:
        return "PerLayer(" + ", ".join(f"{l}: {v!r}" for l, v in enumerate(self, 1)) + ")"


@dataclass(frozen=True)
class Trace:
    """One forward pass, kept per layer (from :meth:`MLP.trace`).

    ``a[0]`` is the input x (numbers or Values, as given), ``a[l]`` the activations a_l and
    ``z[l]`` the pre-activations z_l = W_l a_(l−1) + b_l of layer l = 1..L (``z`` is a
    :class:`PerLayer`); each is a list of Values of the scalar graph, neuron j at index j − 1,
    labelled ``z[l][j]`` and ``a[l][j]``.  For the linear activation a_l,j is z_l,j itself.
    ``output`` is what the module's ``__call__`` returns (one Value for one output unit).
    """

    z: PerLayer
    a: tuple
    output: Union[Value, list]

    @property
    def L(self) -> int:
        """The number of layers."""
        return len(self.z)
