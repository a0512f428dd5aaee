"""Neurons, layers and MLPs made of ``Value``s (micrograd-compatible, PyTorch-shaped).

A neuron computes ``act(Σᵢ wᵢxᵢ + b)`` (seed 000: aᵢ = Σⱼ wᵢⱼ zⱼ + bᵢ, zᵢ = f(aᵢ)).  The sum is
ONE n-ary node, ``Value.dot(w + [b], x + [1])``: a 16-input neuron is a dot node and an
activation node, not a 32-deep chain of ``*`` and ``+``.

Parameter order is micrograd's: layer by layer, neuron by neuron, each neuron's weights then
its bias, so ``MLP(2, [16, 16, 1])`` has (2+1)·16 + (16+1)·16 + (16+1)·1 = 337 parameters in
the same places as ``micrograd.nn.MLP(2, [16, 16, 1])``.

Initialisation (``init=``), each from a seeded ``random.Random`` (``seed=``: an int or a
``random.Random``; ``None`` draws from the module-level ``random`` like micrograd, so after
``random.seed(s)`` both libraries draw the very same weights):

=============  ===========================================================================
``"uniform"``  micrograd's wᵢ ~ U(−1, 1)
``"xavier"``   wᵢ ~ U(−1, 1) · nin^(−1/2), Var wᵢ = 1/(3·nin): keeps Var(Σ wᵢxᵢ) ≈ Var(x)/3
               whatever the fan-in (LeCun/Xavier scaling, for tanh and sigmoid)
``"he"``       wᵢ ~ U(−1, 1) · (2/nin)^(1/2), twice the variance: for relu, which zeroes half
=============  ===========================================================================

Biases start at 0, as in micrograd.

**Names in the books' notation.**  Layers are numbered l = 1..L (a_0 = x is the input, as in
the lecture *Back-Propagation*; layer L is the output), neurons j and inputs k from 1, as in
the gist *Notes on Backpropagation*: the weight from input/activation k of layer l−1 to neuron
j of layer l is labelled ``w[l][j][k]`` (the entry W_l[j, k], row j, column k: the gist's
w_jk^l), the bias of neuron j of layer l ``b[l][j]``.  All labels are 1-based, like the books;
a standalone Layer is layer 1, a standalone Neuron neuron 1 of layer 1.  Labels are set when a
module is built (they are not saved: :func:`nn.load` builds the model afresh, so they come
back).  :meth:`MLP.trace` also labels the graph's pre-activations ``z[l][j]`` (the dot nodes,
z_l = W_l a_(l−1) + b_l) and activations ``a[l][j]``: ``z[l][j].grad`` after ``backward()`` is
the books' δ_l,j = ∂C/∂z_l,j.
"""

from __future__ import annotations

import math
import random
from numbers import Real
from dataclasses import dataclass
from typing import Callable, Iterator, Sequence, Union

from autograd_engine import Value

Seed = Union[int, random.Random, None]

#: activation name -> function of a Value (seed 000's f in zᵢ = f(aᵢ))
ACTIVATIONS: dict[str, Callable[[Value], Value]] = {
    "relu": Value.relu,
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "leaky_relu": lambda a: a.leaky_relu(0.01),
    "linear": lambda a: a,
}

#: init name -> the scale s of wᵢ ~ U(−1, 1)·s for fan-in nin
INITS: dict[str, Callable[[int], float]] = {
    "uniform": lambda nin: 1.0,
    "xavier": lambda nin: nin ** -0.5,
    "he": lambda nin: math.sqrt(2.0 / nin),
}


def _rng(seed: Seed):
    if seed is None or seed is random:
        return random  # module-level, like micrograd
    if isinstance(seed, random.Random):
        return seed
    if isinstance(seed, int) and not isinstance(seed, bool):
        return random.Random(seed)
    raise TypeError(f"seed must be an int, a random.Random or None, got {type(seed).__name__} {seed!r}")


def _choice(kind: str, name, table: dict) -> str:
    if name not in table:
        raise ValueError(f"{kind} must be one of {', '.join(map(repr, table))}; got {name!r}")
    return name


def _positive_int(name: str, n) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"{name} must be a positive int, got {n!r}")
    return n


class Module:
    """Base class: anything with parameters.  Subclasses list their sub-modules and leaf
    Values in ``_named_members()``; the rest follows."""

    def _named_members(self) -> Iterator[tuple[str, Union[Value, "Module"]]]:
        return iter(())

    def named_parameters(self) -> list[tuple[str, Value]]:
        """``(name, Value)`` for every parameter, in ``parameters()`` order
        (``"layers.0.neurons.3.w.1"``, ``"layers.0.neurons.3.b"``, ...)."""
        out = []
        for name, member in self._named_members():
            if isinstance(member, Module):
                out.extend((f"{name}.{sub}", p) for sub, p in member.named_parameters())
            else:
                out.append((name, member))
        return out

    def parameters(self) -> list[Value]:
        """Every parameter Value, in micrograd's order."""
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        """``p.grad = 0`` for every parameter (leaves accumulate across ``backward()``)."""
        for p in self.parameters():
            p.grad = 0.0

    def architecture(self) -> dict:
        """What rebuilds this module's shape (saved by :func:`nn.save`)."""
        raise NotImplementedError(f"{type(self).__name__} does not describe its architecture")

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _inputs(x, nin: int, who: str) -> list:
    """x as a list of nin Values/numbers; one Value or number is a 1-element input (so a
    layer of one unit, which returns a single Value, can feed the next layer)."""
    if isinstance(x, (Value, Real)):
        xs = [x]
    else:
        try:
            xs = list(x)
        except TypeError:
            raise TypeError(f"{who}: input must be a sequence of {nin} numbers or Values, "
                            f"got {type(x).__name__} {x!r}") from None
    if len(xs) != nin:
        raise ValueError(f"{who}: expected {nin} inputs, got {len(xs)}")
    return xs


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
        z = Value.dot(self.w + [self.b], xs + [1.0])
        return z, self._act(z)

    def trace(self, x) -> "Trace":
        """The forward pass of this neuron as a one-layer :class:`Trace`."""
        return _trace([self], [_inputs(x, self.nin, repr(self))])

    def __call__(self, x) -> Value:
        xs = _inputs(x, self.nin, repr(self))
        return self._act(Value.dot(self.w + [self.b], xs + [1.0]))

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
        return _trace([self], [_inputs(x, self.nin, repr(self))])

    def __call__(self, x) -> Union[Value, list[Value]]:
        xs = _inputs(x, self.nin, repr(self))
        out = [n(xs) for n in self.neurons]
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
        return _trace(self.layers, [_inputs(x, self.nin, repr(self.layers[0]))])

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

    def to_torch(self):
        """This model as a float64 ``torch.nn.Sequential`` (Linear + activation modules) with the
        same weights, neuron j of layer l as row j of ``Linear.weight``: see :mod:`nn.torch_bridge`."""
        from .torch_bridge import to_torch

        return to_torch(self)

    @classmethod
    def from_torch(cls, module) -> "MLP":
        """An MLP with the weights of a ``torch.nn.Sequential`` of Linear layers and activations
        (what :meth:`to_torch` writes); a ValueError names a layer it cannot map."""
        from .torch_bridge import from_torch

        return from_torch(module)


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


def from_architecture(arch: dict) -> Module:
    """A new module (fresh initial weights) of the shape ``arch`` describes."""
    kind = arch.get("type") if isinstance(arch, dict) else None
    if kind == "MLP":
        return MLP(arch["nin"], arch["nouts"], arch["activation"], arch["last_activation"], seed=0)
    if kind == "Layer":
        return Layer(arch["nin"], arch["nout"], arch["activation"], seed=0)
    if kind == "Neuron":
        return Neuron(arch["nin"], arch["activation"], seed=0)
    raise ValueError(f"unknown architecture {arch!r}: expected a dict with type MLP, Layer or Neuron")
