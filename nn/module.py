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

from .architecture import BUILDABLE, from_architecture  # noqa: F401
from .base import ACTIVATIONS, INITS, IncompatibleKeys, Module, Seed, _finite  # noqa: F401
from .micrograd_modules import MLP, Layer, Neuron  # noqa: F401
from .trace import PerLayer, Trace  # noqa: F401
from .torch_style import (ACTIVATION_MODULES, Identity, LeakyReLU, Linear, ReLU, Sequential,  # noqa: F401
                          Sigmoid, Tanh)
