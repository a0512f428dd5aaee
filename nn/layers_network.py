"""The layer equations' ground (see :mod:`nn.layers_backprop`): a model as the books' matrices W_l,
b_l and activations S_l, S and S′ from the engine's rule table, the forward pass, and each
supported loss's C and ∇_a C."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Union

from autograd_engine import RULES, Value

from .losses import LOSSES, Loss, loss_formula_fn
from .module import MLP, Layer, Module, Neuron, PerLayer

if TYPE_CHECKING:
    import numpy as np

#: activation name (of ``nn.ACTIVATIONS``) -> (rule of ``RULES``, its extra number operands),
#: or None for the identity: S(z) = z, S′(z) = 1.  An activation missing here has no
#: closed-form S′ for the equations and is refused by name.
ACTIVATION_RULES: dict[str, Union[tuple[str, tuple], None]] = {
    "relu": ("relu", ()),
    "tanh": ("tanh", ()),
    "sigmoid": ("sigmoid", ()),
    "leaky_relu": ("leaky_relu", (0.01,)),  # nn's leaky_relu uses slope 0.01
    "linear": None,
}

#: the losses whose BP1 (∇_a C) is written here, by their ``nn.LOSSES`` name
SUPPORTED_LOSSES = ("cross_entropy", "mse", "bce", "hinge")

_WHO = "layers_backprop"


def _np():
    try:
        import numpy
    except ImportError as e:  # pragma: no cover - numpy is in the [nn] extra
        raise ImportError("nn.layers_backprop needs NumPy: pip install 'autograd-engine[nn]'") from e
    return numpy


def _array_math():
    from autograd_engine.tape import ARRAY_MATH  # the rules' NumPy backend

    return ARRAY_MATH


# ---- the network as matrices -----------------------------------------------------------------
@dataclass(frozen=True)
class Network:
    """A model as the books draw it: ``W[l]`` (p_l × p_(l−1)), ``b[l]`` (p_l) and the
    activation name ``S[l]`` of each layer l = 1..L; ``sizes`` = (p_0, ..., p_L)."""

    W: PerLayer
    b: PerLayer
    S: PerLayer
    sizes: tuple

    @property
    def L(self) -> int:
        return len(self.W)


def _layers_of(model) -> list[list[Neuron]]:
    """The neurons of each layer of a covered model, or a TypeError naming what is not."""
    for kind in (MLP, Layer, Neuron):
        if isinstance(model, kind) and type(model).__call__ is not kind.__call__:
            raise TypeError(f"{_WHO}: {type(model).__name__} overrides {kind.__name__}'s forward "
                            f"pass; the layer equations cover nn.MLP, nn.Layer and nn.Neuron "
                            f"(z_l = W_l a_(l−1) + b_l, a_l = S_l(z_l)) only")
    if isinstance(model, MLP):
        return [list(layer.neurons) for layer in model.layers]
    if isinstance(model, Layer):
        return [list(model.neurons)]
    if isinstance(model, Neuron):
        return [[model]]
    what = f"the custom Module {type(model).__name__}" if isinstance(model, Module) else \
        f"{type(model).__name__} {model!r}"
    raise TypeError(f"{_WHO}: the layer equations cover nn.MLP, nn.Layer and nn.Neuron "
                    f"(z_l = W_l a_(l−1) + b_l, a_l = S_l(z_l)); got {what}")


def _activation(neurons: list[Neuron], l: int) -> str:
    names = {n.activation for n in neurons}
    if len(names) != 1:
        raise ValueError(f"{_WHO}: layer {l} mixes activations {sorted(names)}; the equations "
                         f"need one S_l per layer")
    (name,) = names
    if name not in ACTIVATION_RULES:
        raise ValueError(f"{_WHO}: layer {l}'s activation {name!r} has no closed-form S′ here "
                         f"(covered: {', '.join(ACTIVATION_RULES)}); add it to ACTIVATION_RULES "
                         f"with the rule of RULES that computes it")
    return name


def network(model) -> Network:
    """``model``'s weights as the matrices W_l and vectors b_l of the books (copies of
    ``.data``), with each layer's activation.  Refuses a model the equations do not cover."""
    if isinstance(model, Network):
        return model
    np = _np()
    layers = _layers_of(model)
    W, b, S = [], [], []
    for l, neurons in enumerate(layers, 1):
        S.append(_activation(neurons, l))
        W.append(np.array([[w.data for w in n.w] for n in neurons], dtype=float))
        b.append(np.array([n.b.data for n in neurons], dtype=float))
    sizes = (W[0].shape[1], *(w.shape[0] for w in W))
    return Network(PerLayer(W), PerLayer(b), PerLayer(S), sizes)


# ---- S and S′ from the rule table ----------------------------------------------------------
def _rule(activation: str) -> Union[tuple[str, tuple], None]:
    if activation not in ACTIVATION_RULES:
        raise ValueError(f"{_WHO}: activation {activation!r} has no closed-form S′ here "
                         f"(covered: {', '.join(ACTIVATION_RULES)})")
    return ACTIVATION_RULES[activation]


def S(activation: str, z: "np.ndarray") -> "np.ndarray":
    """a = S(z), element-wise, with the forward formula of the activation's rule."""
    spec = _rule(activation)
    if spec is None:
        return _np().array(z, dtype=float)
    name, extra = spec
    return _np().asarray(RULES[name].fn(_array_math(), _np().asarray(z, dtype=float), *extra)[0], dtype=float)


def S_prime(activation: str, z: "np.ndarray") -> "np.ndarray":
    """S′(z), element-wise: the local gradient ∂a/∂z of the activation's rule in ``RULES``
    (σ′ = σ(1 − σ), tanh′ = 1 − tanh², relu′ = 𝟙[z > 0], ...); 1 for ``linear``.  The diagonal
    of the lecture's D_l = diag(S′(z_l))."""
    np = _np()
    spec = _rule(activation)
    z = np.asarray(z, dtype=float)
    if spec is None:
        return np.ones_like(z)
    name, extra = spec
    return np.asarray(RULES[name].fn(_array_math(), z, *extra)[1], dtype=float) * np.ones_like(z)


# ---- forward ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Forward:
    """One sample's forward pass: ``a[0]`` = x, ``a[l]`` and ``z[l]`` (``PerLayer``) for
    l = 1..L, NumPy vectors."""

    z: PerLayer
    a: tuple


def _vector(x, who: str):
    """x as a 1-D float vector: a number or Value is one entry; a sequence of numbers/Values."""
    from numbers import Real

    np = _np()
    items = [x] if isinstance(x, (Value, Real)) else x
    if isinstance(items, (str, bytes)) or not hasattr(items, "__iter__"):
        raise TypeError(f"{who}: expected a sequence of numbers, got {type(x).__name__} {x!r}")
    out = []
    for xi in items:
        if isinstance(xi, Value):
            out.append(xi.data)
        elif isinstance(xi, Real):
            out.append(float(xi))
        else:
            raise TypeError(f"{who}: expected a sequence of numbers, got an entry "
                            f"{type(xi).__name__} {xi!r}")
    v = np.array(out, dtype=float)
    if not np.isfinite(v).all():
        raise ValueError(f"{who}: the numbers must be finite, got {x!r}")
    return v


def _input(net: "Network", x, who: str = "the input x"):
    """x checked against layer 1: a ValueError naming the layer when its size does not fit."""
    v = _vector(x, f"{_WHO}: {who}")
    if v.shape != (net.sizes[0],):
        raise ValueError(f"{_WHO}: layer 1 takes {net.sizes[0]} inputs (W_1 is "
                         f"{net.W[1].shape[0]}×{net.W[1].shape[1]}), got {who} with {v.size}")
    return v


def feedforward(model, x) -> Forward:
    """z_l = W_l a_(l−1) + b_l and a_l = S_l(z_l) for l = 1..L, from a_0 = x (the gist's
    "Feedforward" step; the chapter's Figure 6.7 step 2a)."""
    net = network(model)
    a = [_input(net, x)]
    z = []
    for l in range(1, net.L + 1):
        z.append(net.W[l] @ a[-1] + net.b[l])
        a.append(S(net.S[l], z[-1]))
    return Forward(PerLayer(z), tuple(a))


# ---- losses: C and ∇_a C ---------------------------------------------------------------------
def _loss_name(loss) -> str:
    if isinstance(loss, Loss):
        name = loss.name
        if LOSSES.get(name) is not loss and not (name in LOSSES and LOSSES[name].fn is loss.fn):
            raise ValueError(f"{_WHO}: the custom loss {name!r} has no BP1 here; covered: "
                             f"{', '.join(SUPPORTED_LOSSES)}")
    else:
        name = loss
    if name not in SUPPORTED_LOSSES:
        raise ValueError(f"{_WHO}: loss {name!r} has no BP1 (∇_a C) here; covered: "
                         f"{', '.join(SUPPORTED_LOSSES)}")
    return name


def target_vector(loss, target, nout: int) -> "np.ndarray":
    """t as a vector of the output layer's size: a class index becomes a one-hot vector for
    ``cross_entropy``; ``bce`` and ``hinge`` need one output unit and one number."""
    np = _np()
    name = _loss_name(loss)
    if name == "cross_entropy" and isinstance(target, int) and not isinstance(target, bool):
        if not 0 <= target < nout:
            raise ValueError(f"{_WHO}: class index {target} is out of range for the {nout} "
                             f"neurons of the output layer")
        t = np.zeros(nout)
        t[target] = 1.0
        return t
    t = _vector(target, f"{_WHO}: the target t")
    if name in ("bce", "hinge") and nout != 1:
        raise ValueError(f"{_WHO}: loss {name!r} needs an output layer of one neuron, this one "
                         f"has {nout}")
    if t.shape != (nout,):
        raise ValueError(f"{_WHO}: the output layer has {nout} neurons but the target has "
                         f"{t.size} entries")
    if name == "hinge" and not np.isin(t, (-1.0, 1.0)).all():
        raise ValueError(f"{_WHO}: the hinge loss takes t = ±1, got {t.tolist()}")
    return t


def _loss_math():
    """The NumPy backend of :data:`~nn.losses.LOSS_FORMULAS`: the rules' array backend plus the
    reductions ``sum``/``max`` and ``log1p``, ``abs``."""
    from types import SimpleNamespace

    np = _np()
    return SimpleNamespace(**{**vars(_array_math()), "sum": np.sum, "max": np.max,
                              "log1p": np.log1p, "abs": np.abs})


def grad_a_C(loss, a_L: "np.ndarray", t: "np.ndarray") -> "np.ndarray":
    """∇_a C at the output a_L for target t: the books' closed forms (see the module table),
    evaluated from their formula text in :data:`nn.losses.LOSS_FORMULAS` (the same text the
    training view compiles to JavaScript).

    For ``cross_entropy`` it is (Σₖ tₖ)·softmax(a) − t, which is the chapter's y − t for a
    target that sums to 1 (one-hot: the lecture's g − e_y).  The hinge's switch 𝟙[1 − t·a > 0]
    is the relu rule's own (0 exactly at the margin, as the engine's relu′(0) = 0)."""
    a = _np().asarray(a_L, dtype=float)
    return _np().asarray(loss_formula_fn(_loss_name(loss))(_loss_math(), a, t)[1], dtype=float) * _np().ones_like(a)


def cost(loss, a_L: "np.ndarray", t: "np.ndarray") -> float:
    """C for one sample, from the output a_L (stable forms, as ``nn.losses``; the text of
    :data:`nn.losses.LOSS_FORMULAS`)."""
    a = _np().asarray(a_L, dtype=float)
    return float(loss_formula_fn(_loss_name(loss))(_loss_math(), a, t)[0])

