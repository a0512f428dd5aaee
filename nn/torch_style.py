"""The PyTorch-shaped modules: :class:`Linear`, :class:`Sequential` and the activation modules
(:class:`ReLU`, :class:`Tanh`, :class:`Sigmoid`, :class:`LeakyReLU`, :class:`Identity`), each
making the very nodes the micrograd-style modules make."""

from __future__ import annotations

from numbers import Real
from typing import Callable, Iterator, Mapping, Union

from autograd_engine import Value
from autograd_engine.checks import finite_float

from .base import INITS, Module, Seed, _choice, _inputs, _positive_int, _rng

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
