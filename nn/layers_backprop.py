"""Backprop as the textbooks write it: the layer recursion δ, beside the scalar graph.

The backprop chapter (*Chapter 6: The Backprop Algorithm*, §6.2), the gist *Notes on
Backpropagation* and the lecture *Back-Propagation* (*Data Science and Machine Learning*) do
not differentiate a scalar graph: they run a recursion over layers.  This module writes their
equations as NumPy code, one function per equation, and puts the numbers beside those of the
scalar engine, where δ_l,j is simply the ``.grad`` of the Value z_l,j.

Notation (the lecture's, with the gist's names alongside).  Layers l = 1..L, a_0 = x::

    forward    z_l = W_l a_(l−1) + b_l          a_l = S_l(z_l)
    δ_l := ∂C/∂z_l                              (chapter 6.10: δ_i^(r) = ∂L/∂a_i^(r))
    BP1        δ_L = ∇_a C ⊙ S′_L(z_L)          (gist; the lecture: δ_L = ∂S_L/∂z_L · ∂C/∂g)
    BP2        δ_l = (W_(l+1)ᵀ δ_(l+1)) ⊙ S′_l(z_l)   (lecture: δ_(l−1) = D_(l−1) W_lᵀ δ_l,
                                                 D = diag S′(z); chapter 6.17)
    BP3        ∂C/∂b_l = δ_l                    (chapter 6.12)
    BP4        ∂C/∂W_l = δ_l a_(l−1)ᵀ           (chapter 6.11, 6.13: ∂L/∂w_ij = δ_i z_j)

The chapter writes a for pre-activations and z for activations; the gist and the lecture (and
this module) the other way round.  Entries: ``W[l][j-1, k-1]`` is w[l][j][k], the weight from
input k of layer l−1 to neuron j of layer l (the gist's w_jk^l); layer numbers are the books'
(``PerLayer``: ``delta[1]`` is δ_1), positions inside a NumPy vector or matrix are 0-based.

BP1 for each supported loss (the model's last activation S_L is applied first; ``linear``
makes S′_L = 1):

=================  ==================================  ========================================
``cross_entropy``  C = −Σₖ tₖ log softmax(a)ₖ          ∇_a C = softmax(a_L) − t (chapter: δ_k =
                                                       y_k − t_k; lecture: δ_L = g − e_y)
``mse``            C = ‖a − t‖²                        ∇_a C = 2(a_L − t) (lecture: δ_L =
                                                       S′_L(z_L) ⊙ 2(g − y))
``bce``            C = −[t log σ(a) + (1−t) log(1−σ(a))]  ∇_a C = σ(a_L) − t
``hinge``          C = max(0, 1 − t·a), t = ±1          ∇_a C = −t · 𝟙[1 − t·a > 0]
=================  ==================================  ========================================

S′ is not written here: each activation's S and S′ are evaluated with the engine's own rule
table (``RULES[name].fn`` over NumPy arrays, as the compiled tape does), the one place the
project writes a derivative.  The ∇_a C column above are the books' closed forms: they are
what is being compared with the scalar graph, which differentiates the loss op by op.

Algorithm 1 (the lecture's, one sample) is :func:`algorithm1`; Algorithm 2 (the average over
a batch) :func:`algorithm2`; the chapter's Figure 6.7 update w ← w − (η/M) Σₘ ∂L(m)/∂w is
:func:`gradient_step`.  :func:`compare` and :func:`compare_batch` put the equations beside the
engine (the scalar graph, or the compiled tape for a batch) and report the largest difference;
:func:`delta_steps` groups the scalar walk-through by layer and neuron, so that the steps of
``backward_steps`` visibly add up to one entry of Wᵀδ ⊙ S′(z).

Covered models: ``nn.MLP``, ``nn.Layer`` and ``nn.Neuron`` (the forward pass is exactly
z = W a + b, a = S(z)) with the activations in :data:`ACTIVATION_RULES`; anything else is a
``TypeError``/``ValueError`` that names what is not covered.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence, Union

from autograd_engine import RULES, Value
from autograd_engine.checks import finite_float

from .losses import LOSSES, Loss, loss_formula_fn, mean
from .module import MLP, Layer, Module, Neuron, PerLayer, Trace

if TYPE_CHECKING:
    import numpy as np

    from autograd_engine.teach.walkthrough import Step

__all__ = [
    "ACTIVATION_RULES", "SUPPORTED_LOSSES", "Network", "Forward", "Gradients", "BatchGradients",
    "EngineGradients", "Comparison", "BatchComparison", "DeltaSteps",
    "network", "feedforward", "S", "S_prime", "grad_a_C", "cost", "target_vector",
    "bp1", "bp2", "bp3", "bp4", "algorithm1", "algorithm2", "gradient_step",
    "engine_gradients", "engine_batch_gradients", "compare", "compare_batch",
    "delta_steps", "format_delta_steps", "format_deltas",
]

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


# ---- BP1–BP4 ---------------------------------------------------------------------------------
def bp1(loss, a_L: "np.ndarray", z_L: "np.ndarray", activation: str, t: "np.ndarray") -> "np.ndarray":
    """BP1: δ_L = ∇_a C ⊙ S′_L(z_L) (the gist); the lecture's δ_L = ∂S_L/∂z_L · ∂C/∂g with
    ∂S_L/∂z_L = diag S′_L(z_L).  Softmax–cross-entropy on a linear output: δ_L = y − t."""
    return grad_a_C(loss, a_L, t) * S_prime(activation, z_L)


def bp2(W_next: "np.ndarray", delta_next: "np.ndarray", z: "np.ndarray", activation: str) -> "np.ndarray":
    """BP2: δ_l = (W_(l+1)ᵀ δ_(l+1)) ⊙ S′_l(z_l) — the lecture's δ_(l−1) = D_(l−1) W_lᵀ δ_l,
    the chapter's δ_i^(r) = f′(a_i^(r)) Σⱼ w_ji^(r+1) δ_j^(r+1) (6.17): entry i sums over the
    neurons j that z_l,i feeds, each δ_j times the weight w[l+1][j][i] on that edge."""
    return (W_next.T @ delta_next) * S_prime(activation, z)


def bp3(delta: "np.ndarray") -> "np.ndarray":
    """BP3: ∂C/∂b_l = δ_l (chapter 6.12: ∂z/∂b = 1)."""
    return delta.copy()


def bp4(delta: "np.ndarray", a_prev: "np.ndarray") -> "np.ndarray":
    """BP4: ∂C/∂W_l = δ_l a_(l−1)ᵀ, the outer product: ∂C/∂w[l][j][k] = δ_l,j · a_(l−1),k
    (chapter 6.11: the gradient at the right end of the link times the activation at its
    left end; 6.13 for l = 1, where a_0 = x)."""
    return _np().outer(delta, a_prev)


# ---- Algorithm 1 and 2 ---------------------------------------------------------------------
@dataclass(frozen=True)
class Gradients:
    """Algorithm 1's results for one sample: δ_l, ∂C/∂W_l, ∂C/∂b_l (``PerLayer``, l = 1..L),
    the forward pass and the cost C."""

    delta: PerLayer
    dW: PerLayer
    db: PerLayer
    forward: Forward
    cost: float


def _finite(who: str, named) -> None:
    """The engine's policy on the array path: every number finite, or a ValueError naming the
    quantity and its layer (never an inf or NaN returned with only a RuntimeWarning)."""
    np = _np()
    for name, xs in named:
        if not np.all(np.isfinite(xs)):
            raise ValueError(f"{_WHO}.{who}: {name} is not finite (float64 overflowed); the "
                             "weights or the input are too large for this loss (rescale them)")


def algorithm1(model, x, target, loss="mse") -> Gradients:
    """The lecture's Algorithm 1 (the gist's single-sample procedure): feed forward, BP1 at
    the output, BP2 down to layer 1, then BP3 and BP4 for every layer.  A z, a, δ, gradient or
    cost that overflows float64 is a ValueError naming it and its layer."""
    with _np().errstate(all="ignore"):  # overflow is checked below, with a message that names it
        g = _algorithm1(model, x, target, loss)
    L = len(g.delta)
    _finite("algorithm1", [(f"z_{l}", g.forward.z[l]) for l in range(1, L + 1)]
            + [(f"δ_{l}", g.delta[l]) for l in range(L, 0, -1)]
            + [(f"∂C/∂W_{l}", g.dW[l]) for l in range(1, L + 1)]
            + [(f"∂C/∂b_{l}", g.db[l]) for l in range(1, L + 1)] + [("the cost C", g.cost)])
    return g


def _algorithm1(model, x, target, loss) -> Gradients:
    net = network(model)
    fw = feedforward(net, x)
    t = target_vector(loss, target, net.sizes[-1])
    L = net.L
    delta: list = [None] * (L + 1)
    delta[L] = bp1(loss, fw.a[L], fw.z[L], net.S[L], t)
    for l in range(L - 1, 0, -1):
        delta[l] = bp2(net.W[l + 1], delta[l + 1], fw.z[l], net.S[l])
    dW = PerLayer(bp4(delta[l], fw.a[l - 1]) for l in range(1, L + 1))
    db = PerLayer(bp3(delta[l]) for l in range(1, L + 1))
    return Gradients(PerLayer(delta[1:]), dW, db, fw, cost(loss, fw.a[L], t))


@dataclass(frozen=True)
class BatchGradients:
    """Algorithm 2's results: the averages ∂C/∂W_l = (1/n) Σᵢ ∂C_i/∂W_l and ∂C/∂b_l, the mean
    cost, and each sample's :class:`Gradients` (empty with ``keep_samples=False``)."""

    dW: PerLayer
    db: PerLayer
    cost: float
    samples: tuple


def _batch(X, T, who: str) -> tuple[list, list]:
    X, T = list(X), list(T)
    if not X:
        raise ValueError(f"{who}: the batch is empty")
    if len(X) != len(T):
        raise ValueError(f"{who}: {len(X)} inputs but {len(T)} targets")
    return X, T


def algorithm2(model, X: Sequence, T: Sequence, loss="mse", keep_samples: bool = True) -> BatchGradients:
    """The lecture's Algorithm 2: run Algorithm 1 on every (xᵢ, tᵢ) and average, the gradient
    of the training loss (1/n) Σᵢ C_i (the gist's C = (1/M) Σₘ C_m; the chapter's eq. 6.1).
    ``keep_samples=False`` keeps only the running sums (memory of one sample, not n)."""
    X, T = _batch(X, T, f"{_WHO}.algorithm2")
    net = network(model)
    n, samples = len(X), []
    dW = [0.0] * net.L
    db = [0.0] * net.L
    total = 0.0
    for x, t in zip(X, T):
        g = algorithm1(net, x, t, loss)
        for l in range(net.L):
            dW[l] = dW[l] + g.dW[l + 1]
            db[l] = db[l] + g.db[l + 1]
        total += g.cost
        if keep_samples:
            samples.append(g)
    out = BatchGradients(PerLayer(d / n for d in dW), PerLayer(d / n for d in db), total / n,
                         tuple(samples))
    _finite("algorithm2", [(f"the mean ∂C/∂W_{l}", out.dW[l]) for l in range(1, net.L + 1)]
            + [(f"the mean ∂C/∂b_{l}", out.db[l]) for l in range(1, net.L + 1)]
            + [("the mean cost", out.cost)])  # each sample's was finite; the sums may not be
    return out


def gradient_step(model, X: Sequence, T: Sequence, loss="mse", eta: float = 0.1) -> BatchGradients:
    """The chapter's Figure 6.7 update on one batch of M samples, applied to the model's
    parameters in place::

        w_ij^(r) ← w_ij^(r) − (η/M) Σₘ ∂L(m)/∂w_ij^(r)      b_i^(r) ← b_i^(r) − (η/M) Σₘ ∂L(m)/∂b_i^(r)

    each parameter with *its own* gradient.  (The gist's mini-batch step pairs w^l with
    Σ ∇_b C_m and b^l with Σ ∇_w C_m — a slip: the correct rule is w^l → w^l − (η/M) Σₘ ∇_w C_m
    and b^l → b^l − (η/M) Σₘ ∇_b C_m, as above.)  Returns the averaged gradients used."""
    eta = finite_float(eta, f"{_WHO}.gradient_step", "eta", positive=True,
                       what="a positive finite number")  # 10**400: a ValueError, not OverflowError
    g = algorithm2(model, X, T, loss, keep_samples=False)
    new = []  # every new value computed and checked before any is written: all or nothing
    for l, neurons in enumerate(_layers_of(model), 1):
        for j, n in enumerate(neurons):
            for k, w in enumerate(n.w):
                new.append((w, float(w.data - eta * g.dW[l][j, k]), f"w[{l}][{j + 1}][{k + 1}]"))
            new.append((n.b, float(n.b.data - eta * g.db[l][j]), f"b[{l}][{j + 1}]"))
    for p, x, name in new:
        if not math.isfinite(x):  # .data is always a finite float (never numpy.float64)
            raise ValueError(f"{_WHO}.gradient_step: {name} would become {x} (η = {eta:g}); "
                             "no parameter was changed (lower eta)")
    for p, x, _ in new:
        p.data = x
    return g


# ---- the same numbers from the scalar engine -------------------------------------------------
@dataclass(frozen=True)
class EngineGradients:
    """What the scalar graph holds after ``backward()``: δ_l,j = ``z[l][j].grad`` (the dot
    node z_l,j), ``dW[l][j-1, k-1]`` = ``w[l][j][k].grad``, ``db`` the biases' grads, the cost
    C = the loss Value's data, and the :class:`~nn.module.Trace` of the forward pass."""

    delta: PerLayer
    dW: PerLayer
    db: PerLayer
    cost: float
    trace: Trace
    root: Value


def _engine_loss(loss):
    return LOSSES[_loss_name(loss)].fn


def _grads(layers: list[list[Neuron]]):
    np = _np()
    dW = PerLayer(np.array([[w.grad for w in n.w] for n in ns]) for ns in layers)
    db = PerLayer(np.array([n.b.grad for n in ns]) for ns in layers)
    return dW, db


def engine_gradients(model, x, target, loss="mse") -> EngineGradients:
    """The scalar engine on one sample: ``model.trace(x)``, the loss, ``backward()``.  The
    parameters' ``.grad`` are zeroed first and left holding ∂C/∂w of this sample."""
    np = _np()
    layers = _layers_of(model)
    net = network(model)
    _input(net, x)
    t = target_vector(loss, target, net.sizes[-1])
    model.zero_grad()
    tr = model.trace(x if not isinstance(x, Value) else [x])
    C = _engine_loss(loss)(tr.output, t.tolist())
    C.backward()
    delta = PerLayer(np.array([z.grad for z in tr.z[l]]) for l in range(1, tr.L + 1))
    dW, db = _grads(layers)
    return EngineGradients(delta, dW, db, C.data, tr, C)


def engine_batch_gradients(model, X: Sequence, T: Sequence, loss="mse",
                           compiled: bool = False) -> tuple[PerLayer, PerLayer, float]:
    """(∂C/∂W_l, ∂C/∂b_l, C) for C = (1/n) Σᵢ C_i, from the engine: the scalar graph of the
    batch mean (``compiled=False``), or the compiled tape — the per-sample loss traced once and
    replayed over the batch as NumPy arrays, ``backward("mean")`` (what ``nn.fit(compiled=
    True)`` runs).  The parameters' ``.grad`` are zeroed first and left holding the result."""
    np = _np()
    X, T = _batch(X, T, f"{_WHO}.engine_batch_gradients")
    layers = _layers_of(model)
    net = network(model)
    fn = _engine_loss(loss)
    targets = [target_vector(loss, t, net.sizes[-1]) for t in T]
    X = [_input(net, x, f"input {i}") for i, x in enumerate(X)]
    model.zero_grad()
    if compiled:
        from autograd_engine import compile

        d, k = net.sizes[0], net.sizes[-1]

        def per_sample(*v: Value) -> Value:
            return fn(model(list(v[:d])), list(v[d:]))
        tape = compile(per_sample, d + k)
        batch = np.column_stack([np.array(X), np.array(targets)])
        value = float(np.mean(tape.forward(batch)))
        tape.backward("mean")
    else:
        C = mean([fn(model(x.tolist()), t.tolist()) for x, t in zip(X, targets)])
        C.backward()
        value = C.data
    dW, db = _grads(layers)
    return dW, db, value


# ---- side by side ----------------------------------------------------------------------------
def _largest(pairs) -> tuple[float, str]:
    """The largest |a − b| over named array pairs, and the entry where it is (1-based, as the
    labels: ``"w[2][1][3]"``)."""
    np = _np()
    worst, where = -1.0, ""
    for name, a, b in pairs:
        d = np.atleast_1d(np.abs(np.asarray(a, dtype=float) - np.asarray(b, dtype=float)))
        if d.max() > worst:
            i = np.unravel_index(int(d.argmax()), d.shape)
            worst = float(d.max())
            where = name if name == "C" else name + "".join(f"[{int(k) + 1}]" for k in i)
    return worst, where


@dataclass(frozen=True)
class Comparison:
    """The equations (:class:`Gradients`) beside the scalar engine (:class:`EngineGradients`)
    for one sample; ``max_diff`` the largest absolute difference over every δ, ∂C/∂w, ∂C/∂b
    and C, at ``where`` (e.g. ``"δ[2][1]"``, ``"w[1][3][2]"``)."""

    layers: Gradients
    engine: EngineGradients
    max_diff: float
    where: str
    network: Network

    def table(self) -> str:
        """The per-layer δ table: δ_l,j from the equations and from z_l,j.grad, side by side."""
        return format_deltas(self)


def compare(model, x, target, loss="mse") -> Comparison:
    """Algorithm 1 and the scalar engine on the same sample, with the largest difference.
    Leaves the parameters' ``.grad`` at ∂C/∂w of this sample."""
    net = network(model)
    eq = algorithm1(net, x, target, loss)
    en = engine_gradients(model, x, target, loss)
    pairs = [("C", eq.cost, en.cost)]
    for l in range(1, len(eq.delta) + 1):
        pairs += [(f"δ[{l}]", eq.delta[l], en.delta[l]), (f"w[{l}]", eq.dW[l], en.dW[l]),
                  (f"b[{l}]", eq.db[l], en.db[l])]
    worst, where = _largest(pairs)
    return Comparison(eq, en, worst, where, net)


@dataclass(frozen=True)
class BatchComparison:
    """Algorithm 2 beside the engine's batch gradients (the scalar graph of the mean loss, or
    the compiled tape): ``engine`` is ``(dW, db, C)``; ``max_diff`` at ``where``."""

    layers: BatchGradients
    engine: tuple
    compiled: bool
    max_diff: float
    where: str


def compare_batch(model, X: Sequence, T: Sequence, loss="mse", compiled: bool = False) -> BatchComparison:
    """Algorithm 2 and the engine's gradient of the batch mean loss, side by side."""
    eq = algorithm2(model, X, T, loss)
    dW, db, value = engine_batch_gradients(model, X, T, loss, compiled=compiled)
    pairs = [("C", eq.cost, value)]
    for l in range(1, len(dW) + 1):
        pairs += [(f"w[{l}]", eq.dW[l], dW[l]), (f"b[{l}]", eq.db[l], db[l])]
    worst, where = _largest(pairs)
    return BatchComparison(eq, (dW, db, value), compiled, worst, where)


def _num(x: float) -> str:
    return f"{float(x) + 0.0:.6g}"


def format_deltas(comparison: Comparison) -> str:
    """The δ table of one sample: layer, neuron, z_l,j, S′(z_l,j), δ_l,j from the equations
    (BP1 at L, BP2 below), δ_l,j = z[l][j].grad from the engine, and their difference."""
    from autograd_engine.teach.walkthrough import text_table

    eq, en = comparison.layers, comparison.engine
    rows = []
    L = len(eq.delta)
    for l in range(1, L + 1):
        sp = S_prime(comparison.network.S[l], eq.forward.z[l])
        for j in range(len(eq.delta[l])):
            rows.append((f"{l}", f"{j + 1}", "BP1" if l == L else "BP2", _num(eq.forward.z[l][j]),
                         _num(sp[j]), _num(eq.delta[l][j]), _num(en.delta[l][j]),
                         f"{abs(eq.delta[l][j] - en.delta[l][j]):.1e}"))
    header = ("l", "j", "eq.", "z_l,j", "S′(z_l,j)", "δ_l,j (equations)", "z[l][j].grad (engine)", "|diff|")
    table = text_table(header, rows, align=">>^" + ">" * 5)
    return (f"{table}\nC = {_num(eq.cost)}; largest difference over every δ, ∂C/∂w, ∂C/∂b: "
            f"{comparison.max_diff:.1e} (at {comparison.where})")


# ---- δ as a sum over the scalar graph's edges ------------------------------------------------
@dataclass(frozen=True)
class DeltaSteps:
    """The steps of the scalar walk-through that make δ_l,j (chapter 6.14–6.16).

    ``terms`` are the steps into a_l,j — one per edge leaving it: for a hidden layer each is
    z_(l+1),i → a_l,j with upstream δ_(l+1),i and local gradient w[l+1][i][j], so their sum is
    the entry j of W_(l+1)ᵀ δ_(l+1); for the output layer they come from the loss's graph and
    sum to ∂C/∂a_L,j.  ``activation`` is the step a_l,j → z_l,j, that sum times S′(z_l,j): δ_l,j
    (None for the linear activation, where a_l,j is z_l,j and the sum is δ_l,j itself).
    """

    l: int
    j: int
    z: Value
    a: Value
    terms: tuple
    activation: "Step | None"
    last: bool

    @property
    def upstream(self) -> float:
        """Σ over ``terms`` of upstream × local: (W_(l+1)ᵀ δ_(l+1))_j, or ∂C/∂a_L,j."""
        return sum(s.contribution for s in self.terms)  # in step order: exactly the .grad sum

    @property
    def delta(self) -> float:
        """δ_l,j = z_l,j.grad at the end of the pass."""
        return self.z.grad


def delta_steps(model, x, target, loss="mse") -> tuple[PerLayer, list]:
    """Run the scalar walk-through (``backward_steps``) on one sample and group its steps by
    layer and neuron: returns (``PerLayer`` of lists of :class:`DeltaSteps`, neuron j at index
    j − 1; all the steps).  The parameters' ``.grad`` are zeroed first."""
    from autograd_engine.teach.walkthrough import backward_steps

    net = network(model)
    t = target_vector(loss, target, net.sizes[-1])
    _input(net, x)
    model.zero_grad()
    tr = model.trace(x)
    root = _engine_loss(loss)(tr.output, t.tolist())
    steps = list(backward_steps(root))
    into: dict[int, list] = {}
    for s in steps:
        into.setdefault(id(s.parent), []).append(s)
    layers = []
    for l in range(1, tr.L + 1):
        row = []
        for j, (z, a) in enumerate(zip(tr.z[l], tr.a[l]), 1):
            linear = a is z
            terms = tuple(into.get(id(a), ()))
            act = None if linear else into[id(z)][0]
            row.append(DeltaSteps(l, j, z, a, terms, act, l == tr.L))
        layers.append(row)
    return PerLayer(layers), steps


def format_delta_steps(groups: PerLayer, root: "Value | None" = None) -> str:
    """Each δ_l,j written out as its steps: the terms δ_(l+1),i × w[l+1][i][j] adding up to
    (Wᵀδ)_j, then × S′(z_l,j) = δ_l,j (BP2 as the chapter's 6.17, edge by edge).  Layers are
    listed L, L−1, …, 1: the order the backward pass computes them (δ_L first, by BP1)."""
    from autograd_engine.teach.naming import node_names
    from autograd_engine.teach.walkthrough import number

    names = node_names(root) if root is not None else {}

    def name(v: Value) -> str:
        return v.label or names.get(v, f"({v.op or 'leaf'})")

    out = []
    for row in reversed(groups):  # backward: δ_L, then δ_(L−1) from it, …, δ_1
        for g in row:
            l, j = g.l, g.j
            if g.last:
                out.append(f"δ[{l}][{j}] = ∂C/∂a[{l}][{j}] · S′(z[{l}][{j}])   (BP1)")
            else:
                out.append(f"δ[{l}][{j}] = S′(z[{l}][{j}]) · Σᵢ w[{l + 1}][i][{j}] δ[{l + 1}][i]   (BP2)")
            for s in g.terms:
                if g.last:
                    what = f"∂C/∂({name(s.node)}) × ∂({name(s.node)})/∂({name(s.parent)})"
                else:
                    i = s.node.label.rsplit("[", 1)[-1].rstrip("]")
                    what = f"δ[{l + 1}][{i}] × w[{l + 1}][{i}][{j}]"
                out.append(f"  step {s.index:>4}  {name(s.node)} → {name(s.parent)}:  {what} = "
                           f"{number(s.upstream)} × {number(s.local)} = {number(s.contribution)}")
            total = f"∂C/∂a[{l}][{j}]" if g.last else f"(W{l + 1}ᵀ δ{l + 1})[{j}]"
            out.append(f"  {'':>9}  sum: {total} = {number(g.upstream)}")
            if g.activation is not None:
                s = g.activation
                out.append(f"  step {s.index:>4}  {name(s.node)} → {name(s.parent)}:  "
                           f"× S′(z[{l}][{j}]) = {number(s.upstream)} × {number(s.local)} = "
                           f"{number(s.contribution)} = δ[{l}][{j}]")
            else:
                out.append(f"  {'':>9}  linear activation: S′ = 1, δ[{l}][{j}] = {number(g.delta)}")
    return "\n".join(out)
