"""What every module stands on: :class:`Module` (parameters and sub-modules found from its
attributes, ``train()``/``eval()``, ``state_dict()``/``load_state_dict()``), the activation and
initialisation tables, and the checks the modules share (seeds, sizes, inputs, finite numbers).
See :mod:`nn.module` for the whole picture."""

from __future__ import annotations

import math
import random
from numbers import Real
from typing import Callable, Iterator, Mapping, NamedTuple, Union

from autograd_engine import Value
from autograd_engine.checks import shown

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
