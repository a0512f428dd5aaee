"""BP1–BP4 as NumPy code, one function per equation, and the algorithms built from them:
Algorithm 1 (one sample), Algorithm 2 (a batch's average), the chapter's Figure 6.7 update
(see :mod:`nn.layers_backprop`)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

from autograd_engine.checks import finite_float

from .layers_network import (_WHO, Forward, S_prime, _layers_of, _np, cost, feedforward, grad_a_C, network,
                             target_vector)
from .module import PerLayer

if TYPE_CHECKING:
    import numpy as np

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
