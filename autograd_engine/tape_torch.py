"""Moved: the compiled tape's PyTorch backend is :mod:`autograd_engine.tape.torch_backend`
(this name is kept so that old imports still work)."""

from .tape.torch_backend import torch_math, torch_ops

__all__ = ["torch_math", "torch_ops"]
