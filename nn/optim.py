"""Optimizers: update parameters from their ``.grad``, as ``torch.optim`` does.

One step of each, for a parameter w with gradient g = ∂L/∂w (+ weight_decay·w, the gradient
of an L2 term (weight_decay/2)·w²), at step t = 1, 2, ... with learning rate η:

=========  ===================================================================================
SGD        v ← μ·v + g (v = g at t = 1);  w ← w − η·v          (μ = 0: seed 000's w ← w − η g)
AdaGrad    G ← G + g²;                     w ← w − η·g / (√G + ε)
RMSProp    s ← α·s + (1 − α)·g²;           w ← w − η·g / (√s + ε)
Adam       m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²;  m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ);
           w ← w − η·m̂ / (√v̂ + ε)
=========  ===================================================================================

These are PyTorch's defaults and formulas (``torch.optim.SGD/Adagrad/RMSprop/Adam``).
``lr`` is a number or a schedule: a function of the step index k = 0, 1, ... returning η
(:func:`linear_decay` is micrograd's demo, η = 1 − 0.9·k/100; :func:`step_decay` multiplies
η by γ every n steps).
"""

from __future__ import annotations

import math
from typing import Callable, Iterable, Union

from autograd_engine import Value

Schedule = Union[float, Callable[[int], float]]


def linear_decay(start: float, end: float, steps: int) -> Callable[[int], float]:
    """η(k) = start + (end − start)·k/steps, then ``end`` from step ``steps`` on.
    ``linear_decay(1.0, 0.1, 100)`` is micrograd's demo schedule 1 − 0.9·k/100."""
    if steps < 1:
        raise ValueError(f"linear_decay: steps must be ≥ 1, got {steps!r}")
    return lambda k: start + (end - start) * min(k, steps) / steps


def step_decay(lr: float, gamma: float, every: int) -> Callable[[int], float]:
    """η(k) = lr·γ^⌊k/every⌋ (PyTorch's StepLR): the rate drops by γ every ``every`` steps."""
    if every < 1:
        raise ValueError(f"step_decay: every must be ≥ 1, got {every!r}")
    return lambda k: lr * gamma ** (k // every)


def _number(who: str, name: str, x, lo: float = 0.0, hi: float = math.inf) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not lo <= x < hi:
        raise ValueError(f"{who}: {name} must be a number in [{lo}, {hi}), got {x!r}")
    return float(x)


class Optimizer:
    """Holds the parameters and the learning rate; subclasses implement :meth:`_update`."""

    def __init__(self, params: Iterable[Value], lr: Schedule, weight_decay: float = 0.0) -> None:
        who = type(self).__name__
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{who}: got an empty parameter list")
        for p in self.params:
            if not isinstance(p, Value):
                raise TypeError(f"{who}: parameters must be Values, got {type(p).__name__} {p!r}")
            if not p.is_leaf():
                raise ValueError(f"{who}: parameter {p!r} is not a leaf; pass model.parameters()")
        if not callable(lr):
            _number(who, "lr", lr)
        self.lr = lr
        self.weight_decay = _number(who, "weight_decay", weight_decay)
        self.steps = 0  # number of step() calls so far: the schedule's k

    def current_lr(self) -> float:
        """η for the next step (the schedule evaluated at k = steps)."""
        lr = self.lr(self.steps) if callable(self.lr) else self.lr
        return _number(type(self).__name__, f"lr at step {self.steps}", lr)

    def zero_grad(self) -> None:
        """``p.grad = 0`` for every parameter (before the next ``backward()``)."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        """Update every parameter from its ``.grad``."""
        lr = self.current_lr()
        wd = self.weight_decay
        grads = [p.grad + wd * p.data if wd else p.grad for p in self.params]
        for i, g in enumerate(grads):  # checked before any update: never half a step
            if not math.isfinite(g):
                raise ValueError(f"{type(self).__name__}.step: the gradient of parameter {i} is {g}")
        self.steps += 1
        for i, (p, g) in enumerate(zip(self.params, grads)):
            p.data -= lr * self._update(i, g)

    def _update(self, i: int, g: float) -> float:
        """The direction d for parameter i, moved by w ← w − η·d."""
        raise NotImplementedError

    def __repr__(self) -> str:
        lr = "schedule" if callable(self.lr) else self.lr
        return f"{type(self).__name__}({len(self.params)} parameters, lr={lr}, steps={self.steps})"


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum μ: v ← μv + g, w ← w − ηv."""

    def __init__(self, params: Iterable[Value], lr: Schedule = 0.1, momentum: float = 0.0,
                 weight_decay: float = 0.0) -> None:
        super().__init__(params, lr, weight_decay)
        self.momentum = _number("SGD", "momentum", momentum, 0.0, 1.0)
        self.velocity = [0.0] * len(self.params)

    def _update(self, i: int, g: float) -> float:
        if not self.momentum:
            return g
        v = self.momentum * self.velocity[i] + g if self.steps > 1 else g
        self.velocity[i] = v
        return v


class AdaGrad(Optimizer):
    """Per-parameter rates shrinking with the sum of squared gradients: G ← G + g²,
    w ← w − η g/(√G + ε)."""

    def __init__(self, params: Iterable[Value], lr: Schedule = 0.01, eps: float = 1e-10,
                 weight_decay: float = 0.0) -> None:
        super().__init__(params, lr, weight_decay)
        self.eps = _number("AdaGrad", "eps", eps)
        self.sum_sq = [0.0] * len(self.params)

    def _update(self, i: int, g: float) -> float:
        self.sum_sq[i] += g * g
        return g / (math.sqrt(self.sum_sq[i]) + self.eps)


class RMSProp(Optimizer):
    """AdaGrad with a moving average instead of a sum: s ← αs + (1 − α)g², w ← w − η g/(√s + ε)."""

    def __init__(self, params: Iterable[Value], lr: Schedule = 0.01, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0.0) -> None:
        super().__init__(params, lr, weight_decay)
        self.alpha = _number("RMSProp", "alpha", alpha, 0.0, 1.0)
        self.eps = _number("RMSProp", "eps", eps)
        self.mean_sq = [0.0] * len(self.params)

    def _update(self, i: int, g: float) -> float:
        s = self.alpha * self.mean_sq[i] + (1.0 - self.alpha) * g * g
        self.mean_sq[i] = s
        return g / (math.sqrt(s) + self.eps)


class Adam(Optimizer):
    """Momentum (m) and RMSProp (v) with bias correction: w ← w − η m̂/(√v̂ + ε)."""

    def __init__(self, params: Iterable[Value], lr: Schedule = 0.001,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0) -> None:
        super().__init__(params, lr, weight_decay)
        try:
            b1, b2 = betas
        except (TypeError, ValueError):
            raise ValueError(f"Adam: betas must be a pair (β₁, β₂), got {betas!r}") from None
        self.betas = (_number("Adam", "β₁", b1, 0.0, 1.0), _number("Adam", "β₂", b2, 0.0, 1.0))
        self.eps = _number("Adam", "eps", eps)
        self.m = [0.0] * len(self.params)
        self.v = [0.0] * len(self.params)

    def _update(self, i: int, g: float) -> float:
        b1, b2 = self.betas
        t = self.steps
        self.m[i] = m = b1 * self.m[i] + (1.0 - b1) * g
        self.v[i] = v = b2 * self.v[i] + (1.0 - b2) * g * g
        m_hat, v_hat = m / (1.0 - b1 ** t), v / (1.0 - b2 ** t)
        return m_hat / (math.sqrt(v_hat) + self.eps)


OPTIMIZERS = {"sgd": SGD, "adam": Adam, "adagrad": AdaGrad, "rmsprop": RMSProp}
