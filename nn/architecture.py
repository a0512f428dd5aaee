"""A module rebuilt from the ``architecture()`` dict a file keeps: :func:`from_architecture`."""

from __future__ import annotations

from .base import Module
from .micrograd_modules import MLP, Layer, Neuron
from .torch_style import Identity, LeakyReLU, Linear, ReLU, Sequential, Sigmoid, Tanh

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
