"""Neurons, layers and MLPs made of ``Value``s, micrograd-compatible (parameter order, ``init``,
labels in the books' notation: see :mod:`nn.module`), and their :meth:`MLP.trace`."""

from __future__ import annotations

from typing import Callable, Sequence, Union

from autograd_engine import Value

from .base import ACTIVATIONS, INITS, Module, Seed, _choice, _inputs, _positive_int, _rng
from .trace import PerLayer, Trace

class Neuron(Module):
    """``act(Σᵢ wᵢxᵢ + b)`` as one dot node and one activation node."""

    def __init__(self, nin: int, activation: str = "relu", init: str = "uniform",
                 seed: Seed = None) -> None:
        self.nin = _positive_int("Neuron: nin", nin)
        self.activation = _choice("Neuron: activation", activation, ACTIVATIONS)
        self.init = _choice("Neuron: init", init, INITS)
        rng, scale = _rng(seed), INITS[init](nin)
        self.w = [Value(rng.uniform(-1, 1) * scale) for _ in range(nin)]
        self.b = Value(0.0)
        self._act = ACTIVATIONS[activation]
        self.label_parameters(1, 1)

    nout = 1

    def label_parameters(self, l: int, j: int) -> None:
        """Label the weights ``w[l][j][k]`` (k = 1..nin) and the bias ``b[l][j]``: this is
        neuron j of layer l (1-based, the books' numbering)."""
        for k, w in enumerate(self.w, 1):
            w.label = f"w[{l}][{j}][{k}]"
        self.b.label = f"b[{l}][{j}]"
        self.position = (l, j)

    def _pre_and_post(self, xs: list) -> tuple[Value, Value]:
        """(z, a): the dot node z = Σₖ wₖxₖ + b and a = S(z), the very nodes ``__call__`` makes
        (a is z itself for the linear activation)."""
        z = Value.dot((*self.w, self.b), (*xs, 1.0))
        return z, self._act(z)

    def trace(self, x) -> "Trace":
        """The forward pass of this neuron as a one-layer :class:`Trace`."""
        return _trace([self], [list(_inputs(x, self.nin, self)[:-1])])

    def __call__(self, x) -> Value:
        return self._forward(_inputs(x, self.nin, self))

    def _forward(self, xs1: tuple) -> Value:
        """act((w, b)·(x, 1)) for inputs already checked, with the 1 appended (a Layer checks
        them once for all its neurons).  The one tuple (w₁..w_n, b) is built per call, not
        cached, so a weight replaced in ``self.w`` is always the one used."""
        return self._act(Value.dot((*self.w, self.b), xs1))

    def _named_members(self):
        yield from ((f"w.{i}", w) for i, w in enumerate(self.w))
        yield "b", self.b

    def architecture(self) -> dict:
        return {"type": "Neuron", "nin": self.nin, "activation": self.activation}

    def __repr__(self) -> str:
        return f"Neuron({self.nin}, activation={self.activation!r})"


class Layer(Module):
    """``nout`` neurons reading the same inputs.  Returns a list of Values, or a single Value
    when ``nout == 1`` (micrograd's convention; a single Value is accepted as input too)."""

    def __init__(self, nin: int, nout: int, activation: str = "relu", init: str = "uniform",
                 seed: Seed = None) -> None:
        _positive_int("Layer: nout", nout)
        rng = _rng(seed)
        self.neurons = [Neuron(nin, activation, init, rng) for _ in range(nout)]
        self.nin, self.nout, self.activation = nin, nout, activation
        self.label_parameters(1)

    def label_parameters(self, l: int) -> None:
        """This is layer l: label neuron j's parameters ``w[l][j][k]`` and ``b[l][j]``."""
        for j, n in enumerate(self.neurons, 1):
            n.label_parameters(l, j)
        self.position = l

    def trace(self, x) -> "Trace":
        """The forward pass of this layer as a one-layer :class:`Trace`."""
        return _trace([self], [list(_inputs(x, self.nin, self)[:-1])])

    def __call__(self, x) -> Union[Value, list[Value]]:
        xs1 = _inputs(x, self.nin, self)
        out = [n._forward(xs1) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def _named_members(self):
        return ((f"neurons.{i}", n) for i, n in enumerate(self.neurons))

    def architecture(self) -> dict:
        return {"type": "Layer", "nin": self.nin, "nout": self.nout, "activation": self.activation}

    def __repr__(self) -> str:
        return f"Layer({self.nin}, {self.nout}, activation={self.activation!r})"


class MLP(Module):
    """A multi-layer perceptron: ``MLP(nin, [h₁, ..., h_R, nout])``.

    Hidden layers use ``activation``; the last layer uses ``last_activation`` (linear by
    default, as in micrograd: raw scores or logits for the loss).  A model with one output
    unit returns a single Value; hidden layers of one unit work (``MLP(2, [16, 1, 1])``).
    """

    def __init__(self, nin: int, nouts: Sequence[int], activation: str = "relu",
                 last_activation: str = "linear", init: str = "uniform", seed: Seed = None) -> None:
        _positive_int("MLP: nin", nin)
        if isinstance(nouts, (int, str)) or not nouts:
            raise ValueError(f"MLP: nouts must be a non-empty list of layer sizes, got {nouts!r}")
        nouts = [_positive_int("MLP: every layer size", n) for n in nouts]
        _choice("MLP: activation", activation, ACTIVATIONS)
        _choice("MLP: last_activation", last_activation, ACTIVATIONS)
        rng = _rng(seed)
        sizes = [nin] + nouts
        self.layers = [Layer(sizes[i], sizes[i + 1],
                             activation if i < len(nouts) - 1 else last_activation, init, rng)
                       for i in range(len(nouts))]
        self.nin, self.nouts = nin, nouts
        self.activation, self.last_activation = activation, last_activation
        for l, layer in enumerate(self.layers, 1):  # the books' numbering: layer 1 reads x
            layer.label_parameters(l)

    def trace(self, x) -> "Trace":
        """The forward pass, keeping per layer the pre-activations z_l and activations a_l as
        the Values of the scalar graph (labelled ``z[l][j]``, ``a[l][j]``).  ``trace(x).output``
        is what ``model(x)`` returns; after ``loss(trace.output, t).backward()``,
        ``trace.z[l][j - 1].grad`` is δ_l,j."""
        return _trace(self.layers, [list(_inputs(x, self.nin, self.layers[0])[:-1])])

    @property
    def nout(self) -> int:
        return self.nouts[-1]

    def __call__(self, x) -> Union[Value, list[Value]]:
        for layer in self.layers:
            x = layer(x)
        return x

    def _named_members(self):
        return ((f"layers.{i}", layer) for i, layer in enumerate(self.layers))

    def architecture(self) -> dict:
        return {"type": "MLP", "nin": self.nin, "nouts": list(self.nouts),
                "activation": self.activation, "last_activation": self.last_activation}

    def __repr__(self) -> str:
        last = "" if self.last_activation == "linear" else f", last_activation={self.last_activation!r}"
        return (f"MLP({self.nin}, {self.nouts}, activation={self.activation!r}{last}) "
                f"with {len(self.parameters())} parameters")

    #: ``to_torch`` and ``from_torch`` of :mod:`nn.torch_bridge`, put here by the bridge when
    #: ``nn`` is imported: the bridge depends on the modules, not the reverse
    _torch_bridge: dict[str, Callable] = {}

    def to_torch(self):
        """This model as a float64 ``torch.nn.Sequential`` (Linear + activation modules) with the
        same weights, neuron j of layer l as row j of ``Linear.weight``: see :mod:`nn.torch_bridge`."""
        return self._torch_bridge["to_torch"](self)

    @classmethod
    def from_torch(cls, module) -> "MLP":
        """An MLP with the weights of a ``torch.nn.Sequential`` of Linear layers and activations
        (what :meth:`to_torch` writes); a ValueError names a layer it cannot map."""
        return cls._torch_bridge["from_torch"](module)


def _trace(layers: Sequence[Union[Layer, Neuron]], a: list) -> Trace:
    zs = []
    for l, layer in enumerate(layers, 1):
        z_l, a_l = [], []
        for j, n in enumerate(layer.neurons if isinstance(layer, Layer) else [layer], 1):
            z, act = n._pre_and_post(a[-1])
            z.label = f"z[{l}][{j}]"
            if act is not z:
                act.label = f"a[{l}][{j}]"
            z_l.append(z)
            a_l.append(act)
        zs.append(z_l)
        a.append(a_l)
    last = a[-1]
    return Trace(PerLayer(zs), tuple(a), last[0] if len(last) == 1 else list(last))
