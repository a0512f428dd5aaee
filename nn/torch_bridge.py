"""An MLP to ``torch.nn.Sequential`` and back, with the very same weights (float64).

Our layer l holds its neurons j, each with weights ``w[k]`` and a bias ``b``, computing
act(Σₖ wₖxₖ + b); ``torch.nn.Linear(nin, nout)`` computes x Wᵀ + b with ``weight`` of shape
(nout, nin).  So neuron j of a layer is row j: ``weight[j, k] = neurons[j].w[k]``,
``bias[j] = neurons[j].b`` — the same matrix W_l[j, k] as the books' w_jk^l — and our
parameter order (layer by layer, neuron by neuron, weights then bias) reads the rows of
``weight`` with their bias after each.

Activations map to modules by the op each one applies (found by applying it once to a Value,
so the table below cannot disagree with :data:`nn.module.ACTIVATIONS`):

============  =====================================================================
relu          ``torch.nn.ReLU()``
tanh          ``torch.nn.Tanh()``
sigmoid       ``torch.nn.Sigmoid()``
leaky_relu    ``torch.nn.LeakyReLU(negative_slope)`` with our slope (0.01)
linear        no module (``from_torch`` also reads ``torch.nn.Identity()`` as linear)
============  =====================================================================

``to_torch`` writes ``Linear, act, Linear, act, ..., Linear[, last act]``; ``from_torch`` reads
exactly that shape and refuses anything else with the layer it cannot map.  PyTorch is
imported on use (``pip install 'autograd-engine[torch]'``).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from autograd_engine import Value

from .base import ACTIVATIONS
from .micrograd_modules import MLP

if TYPE_CHECKING:  # pragma: no cover
    import torch

__all__ = ["to_torch", "from_torch", "torch_activation"]

#: the op an activation applies -> the torch.nn module class that applies it
_OP_MODULES = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid", "leaky_relu": "LeakyReLU"}


def import_torch(who: str):
    """PyTorch, or an ImportError saying how to install it (autograd_engine.torch_code's, read
    on use, so that ``import nn``, which imports this bridge, stays light)."""
    from autograd_engine.torch_code import import_torch as imported

    return imported(who)


def _probe(name: str) -> tuple[str | None, tuple]:
    """(the op ``ACTIVATIONS[name]`` applies, its number operands), or (None, ()) for the
    identity; a ValueError when it is not one op of ``_OP_MODULES`` on its input."""
    x = Value(-0.5)
    out = ACTIVATIONS[name](x)
    if out is x:
        return None, ()
    if not (isinstance(out, Value) and out.op in _OP_MODULES and out.parents == (x,)):
        raise ValueError(f"to_torch: activation {name!r} has no torch.nn counterpart "
                         f"(nn.torch_bridge maps the single ops {', '.join(_OP_MODULES)}); "
                         "add one to nn/torch_bridge.py")
    return out.op, tuple(out.operands[1:])


def torch_activation(name: str) -> "torch.nn.Module | None":
    """The ``torch.nn`` module for activation ``name`` of ``nn.ACTIVATIONS`` (None for linear)."""
    if name not in ACTIVATIONS:
        raise ValueError(f"to_torch: unknown activation {name!r}; nn.ACTIVATIONS has {', '.join(ACTIVATIONS)}")
    torch = import_torch("to_torch")
    op, numbers = _probe(name)
    if op is None:
        return None
    return getattr(torch.nn, _OP_MODULES[op])(*numbers)


def to_torch(model: MLP) -> "torch.nn.Sequential":
    """``torch.nn.Sequential(Linear, act, ..., Linear[, last act])`` in float64 with ``model``'s
    weights: ``weight[j, k] = layers[l].neurons[j].w[k]``, ``bias[j] = layers[l].neurons[j].b``.
    The copy is independent: training one leaves the other alone."""
    if not isinstance(model, MLP):
        raise TypeError(f"to_torch: expected an nn.MLP, got {type(model).__name__}")
    torch = import_torch("to_torch")
    modules = []
    for layer in model.layers:
        linear = torch.nn.Linear(layer.nin, layer.nout, dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(torch.tensor([[w.data for w in n.w] for n in layer.neurons], dtype=torch.float64))
            linear.bias.copy_(torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64))
        modules.append(linear)
        act = torch_activation(layer.activation)
        if act is not None:
            modules.append(act)
    return torch.nn.Sequential(*modules)


def _activation_name(module, where: str) -> str:
    """The name in ``nn.ACTIVATIONS`` of a torch activation module, or a ValueError."""
    torch = import_torch("from_torch")
    if isinstance(module, torch.nn.Identity):
        return next(n for n in ACTIVATIONS if _probe(n)[0] is None)
    for name in ACTIVATIONS:
        op, numbers = _probe(name)
        if op is None or not isinstance(module, getattr(torch.nn, _OP_MODULES[op])):
            continue
        if op == "leaky_relu" and module.negative_slope != numbers[0]:
            raise ValueError(f"from_torch: {where} is {module!r}, but nn's {name!r} has slope "
                             f"{numbers[0]} (negative_slope={module.negative_slope} cannot be mapped)")
        return name
    ops = {_probe(n)[0] for n in ACTIVATIONS}
    supported = ", ".join(f"{_OP_MODULES[op]}" for op in sorted(o for o in ops if o is not None))
    raise ValueError(f"from_torch: {where} is {module!r}, which is neither torch.nn.Linear nor an "
                     f"activation nn has ({supported}, Identity)")


def _numbers(t, where: str) -> list:
    """A parameter tensor as nested Python floats (float64: float32 values convert exactly)."""
    values = t.detach().to("cpu").double().tolist()
    flat = values if not values or not isinstance(values[0], list) else [x for row in values for x in row]
    if not all(math.isfinite(x) for x in flat):
        raise ValueError(f"from_torch: {where} holds a non-finite number (nan or inf)")
    return values


def from_torch(module) -> MLP:
    """An ``nn.MLP`` with the weights of ``module``: a ``torch.nn.Sequential`` of Linear layers,
    each followed by at most one activation (ReLU, Tanh, Sigmoid, LeakyReLU with our slope,
    Identity), one activation for all hidden layers — the shape :func:`to_torch` writes — or a
    single ``torch.nn.Linear``.  Anything else (a Conv layer, bias=False, sizes that do not
    chain, two activations in a row) is a ValueError naming the layer; not a torch module, a
    TypeError."""
    torch = import_torch("from_torch")
    if isinstance(module, torch.nn.Linear):
        children = [module]
    elif isinstance(module, torch.nn.Sequential):
        children = list(module)
    else:
        raise TypeError(f"from_torch: expected a torch.nn.Sequential (or one torch.nn.Linear), "
                        f"got {type(module).__name__}")
    if not children:
        raise ValueError("from_torch: the Sequential is empty")
    linears: list = []  # each Linear with the activation that follows it
    acts: list[str] = []
    act_where: list[str] = []  # where each Linear's activation was read, for errors
    for i, child in enumerate(children):
        where = f"layer {i} ({child!r})" if len(repr(child)) < 80 else f"layer {i} ({type(child).__name__})"
        if isinstance(child, torch.nn.Linear):
            if child.bias is None:
                raise ValueError(f"from_torch: {where} has no bias (bias=False); every neuron of nn "
                                 "has one — rebuild it with bias=True (and zero bias to keep it)")
            if linears and child.in_features != linears[-1].out_features:
                raise ValueError(f"from_torch: {where} takes {child.in_features} inputs but the "
                                 f"layer before gives {linears[-1].out_features}")
            linears.append(child)
            acts.append("linear")
            act_where.append(f"{where}, with no activation after it")
            continue
        name = _activation_name(child, where)
        if not linears:
            raise ValueError(f"from_torch: {where} comes before any Linear layer; an nn.MLP starts with one")
        if not isinstance(children[i - 1], torch.nn.Linear):
            raise ValueError(f"from_torch: {where} follows another activation; nn applies one per layer")
        acts[-1] = name
        act_where[-1] = where
    for k in range(1, len(acts) - 1):
        if acts[k] != acts[0]:
            raise ValueError(f"from_torch: {act_where[k]} is {acts[k]}, but the first hidden layer's "
                             f"activation is {acts[0]} ({act_where[0]}); the hidden layers use different "
                             "activations, and an nn.MLP has one for all hidden layers and one for the last")
    activation = acts[0] if len(acts) > 1 else "relu"  # one layer: no hidden activation to take
    model = MLP(linears[0].in_features, [lin.out_features for lin in linears], activation=activation,
                last_activation=acts[-1], seed=0)
    for k, (layer, lin) in enumerate(zip(model.layers, linears)):
        W = _numbers(lin.weight, f"Linear {k}'s weight")
        b = _numbers(lin.bias, f"Linear {k}'s bias")
        for n, row, bj in zip(layer.neurons, W, b):
            for w, x in zip(n.w, row):
                w.data = x
            n.b.data = bj
    return model


# MLP.to_torch() and nn.MLP.from_torch(...) call these (nn/__init__.py imports this module)
MLP._torch_bridge.update(to_torch=to_torch, from_torch=from_torch)
