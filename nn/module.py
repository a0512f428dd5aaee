"""Neurons, layers and MLPs made of ``Value``s (micrograd-compatible), and the PyTorch-shaped
modules: :class:`Module` subclasses whose attributes are their parameters and sub-modules,
:class:`Linear`, :class:`Sequential` and the activation modules (:class:`ReLU`, :class:`Tanh`,
:class:`Sigmoid`, :class:`LeakyReLU`, :class:`Identity`), ``train()``/``eval()`` and
``state_dict()``/``load_state_dict()``.

A neuron computes ``act(Σᵢ wᵢxᵢ + b)`` (the backprop chapter: aᵢ = Σⱼ wᵢⱼ zⱼ + bᵢ, zᵢ = f(aᵢ)).  The sum is
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
from typing import Callable, Iterator, Mapping, NamedTuple, Sequence, Union

from autograd_engine import Value
from autograd_engine.checks import finite_float, shown

Seed = Union[int, random.Random, None]

#: activation name -> function of a Value (the chapter's f in zᵢ = f(aᵢ))
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


class IncompatibleKeys(NamedTuple):
    """What :meth:`Module.load_state_dict` did not match (as ``torch.nn.Module`` returns)."""

    missing_keys: list[str]
    unexpected_keys: list[str]


def _is_parameter(v: Value) -> bool:
    """A parameter is a leaf that no op made: ``Value(0.5)``.  A Value an op computed is not one,
    even under ``no_grad()`` (where it has no parents but keeps its op): a module that keeps its
    last output (``self.out = y``, as in Karpathy's makemore) does not grow a parameter."""
    return v.op == "" and v.is_leaf()


def _attribute_members(prefix: str, value) -> Iterator[tuple[str, Union[Value, "Module"]]]:
    """The parameters and modules in one attribute: a Value, a Module, or lists, tuples and
    dicts of them, nested (names ``prefix.i`` / ``prefix.key``, in order).  Anything else is
    not a member.  Walked with an explicit stack, so any nesting depth works."""
    stack = [(prefix, value)]
    while stack:
        name, v = stack.pop()
        if isinstance(v, Value):
            if _is_parameter(v):
                yield name, v
        elif isinstance(v, Module):
            yield name, v
        elif isinstance(v, (list, tuple)):
            stack.extend((f"{name}.{i}", x) for i, x in reversed(list(enumerate(v))))
        elif isinstance(v, dict):
            items = []
            for key, x in v.items():
                if isinstance(key, bool) or not isinstance(key, (str, int)) or key == "" or "." in str(key):
                    raise ValueError(f"{name}: a dict of parameters or modules needs str (or int) keys "
                                     f"without '.', got {key!r}")
                items.append((f"{name}.{key}", x))
            stack.extend(reversed(items))


class Module:
    """Base class: anything with parameters, written as in PyTorch.

    A subclass sets its parameters (Values), sub-modules, and lists/tuples/dicts of
    them as attributes, and defines ``forward`` (or ``__call__``)::

        class Net(nn.Module):
            def __init__(self):
                super().__init__()          # optional here, harmless
                self.fc1 = nn.Linear(2, 16)
                self.fc2 = nn.Linear(16, 1)
                self.scale = Value(1.0)     # a parameter too

            def forward(self, x):
                return self.fc2([h.relu() for h in self.fc1(x)]) * self.scale

    ``named_parameters()`` finds them in definition order (the order the attributes were first
    set, strictly, sub-modules' parameters in place: ``fc1.weight.0.0``, …, ``fc2.bias.0``,
    ``scale``; PyTorch lists a module's own parameters before its children's), each shared
    Value or module once, under its first name.  A parameter is a ``Value`` no op made (see
    :func:`_is_parameter`); plain numbers are constants.  Neuron, Layer and MLP list their
    members themselves (``_named_members``) to keep micrograd's order and names.

    ``nin``/``nout`` (what :func:`nn.fit` needs): a module that does not set them reads them
    from its sub-modules in definition order, ``nin`` from the first that has one and
    ``nout`` from the last (exact for :class:`Sequential`; a custom module whose first and
    last defined sub-modules are not its input and output layers sets ``self.nin``/``self.nout``).
    """

    #: True in training mode, False in evaluation mode (:meth:`train` / :meth:`eval`)
    training: bool = True

    def __init__(self) -> None:
        pass  # nothing to set up: members are found from the attributes when asked for

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def forward(self, *args, **kwargs):
        """The computation (PyTorch's name; ``model(x)`` calls it)."""
        raise NotImplementedError(f"{type(self).__name__}: define forward(self, x) (or __call__)")

    def __getattr__(self, name: str):
        # only reached when normal lookup fails: an instance attribute, class attribute or
        # property named nin/nout always wins over this inference
        if name in ("nin", "nout"):
            found = [getattr(m, name, None) for _, m in self.named_children()]
            found = [n for n in found if isinstance(n, int) and not isinstance(n, bool)]
            if found:
                return found[0] if name == "nin" else found[-1]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    # ---- members ----------------------------------------------------------------------------
    def _named_members(self) -> Iterator[tuple[str, Union[Value, "Module"]]]:
        """(name, Value or Module) directly in this module, in order: its attributes."""
        for name, value in list(vars(self).items()):
            yield from _attribute_members(name, value)

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, "Module"]]:
        """``(name, module)`` for this module (name ``prefix``) and every sub-module, pre-order,
        each once."""
        seen = {id(self)}
        yield prefix, self
        stack = [iter(self._named_members())]
        prefixes = [prefix]
        while stack:
            for name, m in stack[-1]:
                if isinstance(m, Module) and id(m) not in seen:
                    seen.add(id(m))
                    full = f"{prefixes[-1]}.{name}" if prefixes[-1] else name
                    yield full, m
                    stack.append(iter(m._named_members()))
                    prefixes.append(full)
                    break
            else:
                stack.pop()
                prefixes.pop()

    def modules(self) -> list["Module"]:
        """This module and every sub-module, pre-order."""
        return [m for _, m in self.named_modules()]

    def named_children(self) -> list[tuple[str, "Module"]]:
        """``(name, module)`` for the direct sub-modules, in order."""
        seen, out = {id(self)}, []
        for name, m in self._named_members():
            if isinstance(m, Module) and id(m) not in seen:
                seen.add(id(m))
                out.append((name, m))
        return out

    def children(self) -> list["Module"]:
        return [m for _, m in self.named_children()]

    def named_parameters(self) -> list[tuple[str, Value]]:
        """``(name, Value)`` for every parameter, in ``parameters()`` order
        (``"layers.0.neurons.3.w.1"``, ``"layers.0.neurons.3.b"``, ...); a Value reachable
        twice (a shared weight) is listed once, under its first name."""
        out: list[tuple[str, Value]] = []
        seen_p: set[int] = set()
        seen_m = {id(self)}
        stack, prefixes = [iter(self._named_members())], [""]
        while stack:  # depth first with an explicit stack: sub-module parameters in place
            for name, member in stack[-1]:
                full = prefixes[-1] + name
                if isinstance(member, Module):
                    if id(member) not in seen_m:
                        seen_m.add(id(member))
                        stack.append(iter(member._named_members()))
                        prefixes.append(full + ".")
                        break
                elif id(member) not in seen_p:
                    seen_p.add(id(member))
                    out.append((full, member))
            else:
                stack.pop()
                prefixes.pop()
        return out

    def parameters(self) -> list[Value]:
        """Every parameter Value, in definition order (micrograd's for Neuron/Layer/MLP)."""
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        """``p.grad = 0`` for every parameter (leaves accumulate across ``backward()``)."""
        for p in self.parameters():
            p.grad = 0.0

    # ---- modes --------------------------------------------------------------------------------
    def train(self, mode: bool = True) -> "Module":
        """Set ``training = mode`` on this module and every sub-module; returns self."""
        if not isinstance(mode, bool):
            raise TypeError(f"{type(self).__name__}.train: mode must be a bool, got {mode!r}")
        for m in self.modules():
            m.training = mode
        return self

    def eval(self) -> "Module":
        """Evaluation mode: ``train(False)``."""
        return self.train(False)

    # ---- state ----------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, float]:
        """``{name: p.data}`` for every parameter, in order: a snapshot (plain floats, not
        references; PyTorch's tensors share storage, a float cannot)."""
        return {name: p.data for name, p in self.named_parameters()}

    def load_state_dict(self, state: Mapping[str, float], strict: bool = True) -> IncompatibleKeys:
        """Set parameters from ``{name: number}``.  Every value is checked (a finite real
        number, not a bool) before any parameter changes, so a bad dict changes nothing.
        ``strict``: the names must match exactly (else ValueError listing the differences);
        otherwise the common names are loaded.  Returns the missing and unexpected names."""
        who = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state, Mapping):
            raise TypeError(f"{who}: expected a dict of parameter name -> number, got {type(state).__name__}")
        named = self.named_parameters()
        names = {n for n, _ in named}
        missing = [n for n, _ in named if n not in state]
        unexpected = [n for n in state if n not in names]
        if strict and (missing or unexpected):
            raise ValueError(f"{who}: {_mismatch(missing, unexpected)}")
        values = [(p, _finite(who, n, state[n])) for n, p in named if n in state]
        for p, x in values:
            p.data = x
        return IncompatibleKeys(missing, unexpected)

    # ---- description ------------------------------------------------------------------------
    def architecture(self) -> dict:
        """What rebuilds this module's shape (saved by :func:`nn.save`).  A custom module is
        described by its class only: :func:`nn.load` cannot rebuild it (a file never names
        code to run), :func:`nn.load_into` loads its parameters into one you build."""
        cls = type(self)
        return {"type": "custom", "class": f"{cls.__module__}.{cls.__qualname__}"}

    def __repr__(self) -> str:
        children = self.named_children()
        if not children:
            return f"{type(self).__name__}()"
        lines = [f"  ({name}): " + repr(m).replace("\n", "\n  ") for name, m in children]
        return f"{type(self).__name__}(\n" + "\n".join(lines) + "\n)"


def _mismatch(missing: list[str], unexpected: list[str]) -> str:
    def show(names: list[str]) -> str:
        return f"{len(names)} ({', '.join(map(repr, names[:3]))}{', ...' if len(names) > 3 else ''})"
    return f"parameter names do not match: missing {show(missing)}, unexpected {show(unexpected)}"


def _finite(who: str, name: str, x) -> float:
    """x as a finite float, or a ValueError naming the parameter (a bool, a string, a NaN, an
    integer too large for a float)."""
    if isinstance(x, Real) and not isinstance(x, bool):
        try:
            f = float(x)
        except (OverflowError, ValueError):
            f = math.nan
        if math.isfinite(f):
            return f
    # str() of a huge int is slow (and refused past 4300 digits): finite.shown says its size
    raise ValueError(f"{who}: parameter {name!r} is {shown(x)}, not a finite number")


def _inputs(x, nin: int, who: Module) -> tuple:
    """x as a tuple of nin Values/numbers followed by the constant 1.0 (the bias's input in
    ``w·x + b = (w, b)·(x, 1)``); one Value or number is a 1-element input (so a layer of one
    unit, which returns a single Value, can feed the next layer).  ``who`` names the caller in
    an error message, built only when raising (``repr`` per call cost 12% of a forward)."""
    if x.__class__ is list or x.__class__ is tuple:  # the usual case, checked first
        if len(x) == nin:
            return (*x, 1.0)
        xs = x
    elif isinstance(x, (Value, Real)):
        xs = (x,)
    else:
        try:
            xs = tuple(x)
        except TypeError:
            raise TypeError(f"{who!r}: input must be a sequence of {nin} numbers or Values, "
                            f"got {type(x).__name__} {x!r}") from None
    if len(xs) != nin:
        raise ValueError(f"{who!r}: expected {nin} inputs, got {len(xs)}")
    return (*xs, 1.0)


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


class Linear(Module):
    """``y = W·x + b``: ``nout`` outputs, each ``yⱼ = Σₖ Wⱼₖ xₖ + bⱼ`` (PyTorch's ``nn.Linear``,
    weight of shape (nout, nin)), no activation.

    Each yⱼ is one dot node ``(Wⱼ, bⱼ)·(x, 1)``, the very node a linear :class:`Neuron` makes,
    so ``Sequential(Linear(2, 16), ReLU(), Linear(16, 1))`` with MLP's weights gives MLP's
    outputs and gradients exactly.  Parameters in PyTorch's order: ``weight.j.k`` row by row,
    then ``bias.j``.  Weights are drawn row by row as a Layer draws them neuron by neuron
    (``init``, ``seed`` as for :class:`MLP`), biases start at 0.  Returns a list of Values, or a
    single Value when ``nout == 1`` (as Layer and MLP do).
    """

    def __init__(self, nin: int, nout: int, bias: bool = True, init: str = "uniform",
                 seed: Seed = None) -> None:
        self.nin = _positive_int("Linear: nin", nin)
        self.nout = _positive_int("Linear: nout", nout)
        if not isinstance(bias, bool):
            raise TypeError(f"Linear: bias must be True or False, got {bias!r}")
        _choice("Linear: init", init, INITS)
        rng, scale = _rng(seed), INITS[init](nin)
        self.weight = [[Value(rng.uniform(-1, 1) * scale) for _ in range(nin)] for _ in range(nout)]
        self.bias = [Value(0.0) for _ in range(nout)] if bias else None

    def forward(self, x) -> Union[Value, list[Value]]:
        xs1 = _inputs(x, self.nin, self)
        if self.bias is None:
            xs = xs1[:-1]
            out = [Value.dot(row, xs) for row in self.weight]
        else:
            out = [Value.dot((*row, b), xs1) for row, b in zip(self.weight, self.bias)]
        return out[0] if len(out) == 1 else out

    __call__ = forward  # skip Module.__call__'s extra call: this is the hot path

    def architecture(self) -> dict:
        return {"type": "Linear", "nin": self.nin, "nout": self.nout, "bias": self.bias is not None}

    def __repr__(self) -> str:
        return f"Linear({self.nin}, {self.nout}{'' if self.bias is not None else ', bias=False'})"


def _elementwise(who: "Module", f: Callable[[Value], Value], x):
    """f on a Value, or on each Value of a list/tuple (a plain number is a constant Value)."""
    if x.__class__ is Value:
        return f(x)
    if isinstance(x, (list, tuple)):
        return [f(v) if v.__class__ is Value else f(_constant(who, v)) for v in x]
    return f(_constant(who, x))


def _constant(who: "Module", x) -> Value:
    if isinstance(x, Value):
        return x
    if isinstance(x, Real) and not isinstance(x, bool):
        return Value(x)
    raise TypeError(f"{who!r}: input must be a Value, a number or a list of them, "
                    f"got {type(x).__name__} {x!r}"[:300])


class _Activation(Module):
    """An element-wise activation as a module: applied to a Value or to each Value of a list
    (what :class:`Linear` returns), the same node a Neuron's activation makes.  No parameters."""

    _fn: Callable[[Value], Value]

    def forward(self, x):
        return _elementwise(self, type(self)._fn, x)

    __call__ = forward

    def architecture(self) -> dict:
        return {"type": type(self).__name__}

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class ReLU(_Activation):
    """relu(a) = max(a, 0), with relu′(0) = 0 (PyTorch's convention)."""
    _fn = staticmethod(Value.relu)


class Tanh(_Activation):
    """tanh(a), tanh′ = 1 − tanh²."""
    _fn = staticmethod(Value.tanh)


class Sigmoid(_Activation):
    """σ(a) = 1/(1 + e⁻ᵃ), σ′ = σ(1 − σ)."""
    _fn = staticmethod(Value.sigmoid)


class Identity(_Activation):
    """The input, unchanged (MLP's "linear" activation; PyTorch's ``nn.Identity``)."""

    def forward(self, x):
        return x

    __call__ = forward


class LeakyReLU(_Activation):
    """leaky_relu(a) = a for a > 0, slope·a otherwise (PyTorch's default slope 0.01, MLP's
    "leaky_relu")."""

    def __init__(self, negative_slope: float = 0.01) -> None:
        self.negative_slope: float = finite_float(negative_slope, "LeakyReLU", "negative_slope",
                                           what="a finite number")  # 10**401 too: a ValueError

    def forward(self, x):
        slope = self.negative_slope
        return _elementwise(self, lambda a: a.leaky_relu(slope), x)

    __call__ = forward

    def architecture(self) -> dict:
        return {"type": "LeakyReLU", "negative_slope": self.negative_slope}

    def __repr__(self) -> str:
        return f"LeakyReLU(negative_slope={self.negative_slope!r})"


#: the activation modules by name (the names ACTIVATIONS gives MLP)
ACTIVATION_MODULES: dict[str, type] = {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid,
                                        "leaky_relu": LeakyReLU, "linear": Identity}


def _child_name(name) -> str:
    if not isinstance(name, str) or not name or "." in name:
        raise ValueError(f"Sequential: a module name must be a non-empty str without '.', got {name!r}")
    return name


class Sequential(Module):
    """Modules applied in order, each to the previous one's output (PyTorch's
    ``nn.Sequential``): ``Sequential(Linear(2, 16), ReLU(), Linear(16, 1))``, or from a dict
    ``{"fc1": Linear(2, 16), ...}`` to name them.  Parameters are named ``0.weight.0.0``, …
    (PyTorch's names); ``nin`` is the first module's that has one, ``nout`` the last's."""

    def __init__(self, *modules) -> None:
        if len(modules) == 1 and isinstance(modules[0], Mapping):
            items = [(_child_name(k), m) for k, m in modules[0].items()]
        else:
            items = [(str(i), m) for i, m in enumerate(modules)]
        for name, m in items:
            if not isinstance(m, Module):
                raise TypeError(f"Sequential: {name}: expected an nn.Module (Linear, ReLU, ...), "
                                f"got {type(m).__name__} {m!r}"[:300])
        self._modules: dict[str, Module] = dict(items)

    def forward(self, x):
        for m in self._modules.values():
            x = m(x)
        return x

    __call__ = forward

    def _named_members(self):
        return iter(list(self._modules.items()))

    def append(self, module: Module) -> "Sequential":
        """Add ``module`` at the end (named by its position); returns self."""
        if not isinstance(module, Module):
            raise TypeError(f"Sequential.append: expected an nn.Module, got {type(module).__name__}")
        self._modules[str(len(self._modules))] = module
        return self

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(list(self._modules.values()))

    def __getitem__(self, i):
        mods = list(self._modules.values())
        if isinstance(i, slice):
            return Sequential(*mods[i])
        if isinstance(i, str):
            return self._modules[i]
        return mods[i]

    def architecture(self) -> dict:
        arch = {"type": "Sequential", "modules": [m.architecture() for m in self._modules.values()]}
        names = list(self._modules)
        if names != [str(i) for i in range(len(names))]:
            arch["names"] = names
        return arch


#: architecture "type" -> the module class nn.load may rebuild from a file
BUILDABLE = ("MLP", "Layer", "Neuron", "Linear", "Sequential", "ReLU", "Tanh", "Sigmoid",
             "LeakyReLU", "Identity")


def from_architecture(arch: dict) -> Module:
    """A new module (fresh initial weights) of the shape ``arch`` describes.  Files are
    validated (types, sizes, bounds) by :mod:`nn.io` before this allocates anything."""
    kind = arch.get("type") if isinstance(arch, dict) else None
    if kind == "MLP":
        return MLP(arch["nin"], arch["nouts"], arch["activation"], arch["last_activation"], seed=0)
    if kind == "Layer":
        return Layer(arch["nin"], arch["nout"], arch["activation"], seed=0)
    if kind == "Neuron":
        return Neuron(arch["nin"], arch["activation"], seed=0)
    if kind == "Linear":
        return Linear(arch["nin"], arch["nout"], arch.get("bias", True), seed=0)
    if kind == "LeakyReLU":
        return LeakyReLU(arch.get("negative_slope", 0.01))
    if kind in ("ReLU", "Tanh", "Sigmoid", "Identity"):
        return {"ReLU": ReLU, "Tanh": Tanh, "Sigmoid": Sigmoid, "Identity": Identity}[kind]()
    if kind == "Sequential":
        mods = [from_architecture(a) for a in arch["modules"]]
        names = arch.get("names")
        return Sequential(dict(zip(names, mods))) if names is not None else Sequential(*mods)
    if kind == "custom":
        raise ValueError(f"the model is a custom module ({arch.get('class')}), which a file cannot "
                         f"rebuild: build one and load its parameters with nn.load_into(model, path)")
    raise ValueError(f"unknown architecture {arch!r}: expected a dict with type "
                     f"{', '.join(BUILDABLE)}")
