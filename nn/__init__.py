"""nn: neurons, layers and MLPs built on ``autograd_engine.Value``'s public API, with losses,
optimizers, toy datasets, a training loop, save/load and plots.

Training in five lines (micrograd's demo)::

    import nn
    train = nn.moons(100, noise=0.1, seed=1337)
    model = nn.MLP(2, [16, 16, 1], seed=1337)
    opt = nn.SGD(model.parameters(), lr=nn.linear_decay(1.0, 0.1, 100))
    history = nn.fit(model, "hinge", opt, train, epochs=100, l2=1e-4)

Or the PyTorch way: ``nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 1))``, or a
``nn.Module`` subclass whose attributes are its layers and parameters; ``nn.save(model, path,
optimizer=opt)`` keeps the optimizer's state with the weights.

Pure Python apart from the optional parts: ``fit(compiled=True)`` (NumPy), the progress bar
(tqdm) and :mod:`nn.plot` (matplotlib), all in the ``[nn]`` extra and imported on use.
"""

from .data import DATASETS, Dataset, batches, blobs, circles, moons, spirals, split, xor
from .io import load, load_into, save
from .losses import (LOSSES, Loss, binary_cross_entropy_with_logits, get_loss, hinge, l2, mean,
                     mse, softmax_cross_entropy)
from .module import (ACTIVATION_MODULES, ACTIVATIONS, INITS, MLP, Identity, IncompatibleKeys, Layer,
                     LeakyReLU, Linear, Module, Neuron, ReLU, Sequential, Sigmoid, Tanh)
from .optim import (OPTIMIZERS, SGD, AdaGrad, Adam, DivergenceError, Optimizer, RMSProp, linear_decay,
                    step_decay)
from .train import History, evaluate, fit, outputs, predict
from .training_view import LiveView, TrainingView, training_view
from . import torch_bridge  # noqa: F401  (MLP.to_torch / from_torch: the bridge registers them)

__all__ = [
    "Module", "Neuron", "Layer", "MLP", "ACTIVATIONS", "INITS",
    "Linear", "Sequential", "ReLU", "Tanh", "Sigmoid", "LeakyReLU", "Identity", "ACTIVATION_MODULES",
    "IncompatibleKeys",
    "mse", "softmax_cross_entropy", "binary_cross_entropy_with_logits", "hinge", "l2", "mean",
    "Loss", "LOSSES", "get_loss",
    "Optimizer", "SGD", "Adam", "AdaGrad", "RMSProp", "OPTIMIZERS", "linear_decay", "step_decay",
    "DivergenceError",
    "Dataset", "xor", "moons", "circles", "spirals", "blobs", "DATASETS", "split", "batches",
    "fit", "evaluate", "predict", "outputs", "History", "training_view", "TrainingView", "LiveView",
    "save", "load", "load_into",
]
