"""Optimizers: update parameters from their ``.grad``, as ``torch.optim`` does.

One step of each, for a parameter w with gradient g = ∂L/∂w (+ weight_decay·w, the gradient
of an L2 term (weight_decay/2)·w²), at step t = 1, 2, ... with learning rate η:

=========  ===================================================================================
SGD        v ← μ·v + g (v = g at t = 1);  w ← w − η·v          (μ = 0: the chapter's w ← w − η g)
AdaGrad    G ← G + g²;                     w ← w − η·g / (√G + ε)
RMSProp    s ← α·s + (1 − α)·g²;           w ← w − η·g / (√s + ε)
Adam       m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²;  m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ);
           w ← w − η·m̂ / (√v̂ + ε)
=========  ===================================================================================

These are PyTorch's defaults and formulas (``torch.optim.SGD/Adagrad/RMSprop/Adam``).
``lr`` is a number or a schedule: a function of the step index k = 0, 1, ... returning η
(:func:`linear_decay` is micrograd's demo, η = 1 − 0.9·k/100; :func:`step_decay` multiplies
η by γ every n steps).

Each optimizer writes its formula once, as :meth:`Optimizer.direction` over a math backend ``m``
(as the rules of ``autograd_engine.rules`` are): :data:`~autograd_engine.rules.FLOAT_MATH` and
one parameter's floats for ``optimizer.step()``, an array backend's ``math`` and every parameter
at once for :mod:`nn.array_step` — the same operations in the same order, so both give the
same weights bit for bit.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Iterable, Union

from autograd_engine import Value
from autograd_engine.checks import finite_float, shown
from autograd_engine.rules import FLOAT_MATH

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


def _number(who: str, name: str, x, lo: float = 0.0, hi: float = math.inf, positive: bool = False) -> float:
    """The one policy of autograd_engine.checks: a huge int or a non-finite number is a
    ValueError naming the optimizer and the setting (never a raw OverflowError)."""
    return finite_float(x, who, name, lo, hi, positive=positive)


class DivergenceError(ValueError):
    """A step would make a parameter non-finite: training diverged.  ``step`` is the 1-based
    optimizer step, ``index`` the parameter's position in the optimizer's list, ``parameter``
    the Value; the parameters keep their last finite values."""

    def __init__(self, message: str, *, step: int | None = None, index: int | None = None,
                 parameter: Value | None = None) -> None:
        super().__init__(message)
        self.step, self.index, self.parameter = step, index, parameter

_shown = shown  # x for an error message, short: a huge int by its size (its str() is refused)


class Optimizer:
    """Holds the parameters and the learning rate; subclasses write their formula in
    :meth:`direction` (or, per parameter over floats only, override :meth:`_update`)."""

    def __init__(self, params: Iterable[Value], lr: Schedule, weight_decay: float = 0.0) -> None:
        who = type(self).__name__
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{who}: got an empty parameter list")
        first: dict[int, int] = {}
        for i, p in enumerate(self.params):
            if not isinstance(p, Value):
                raise TypeError(f"{who}: parameters must be Values, got {type(p).__name__} {p!r}")
            if not p.is_leaf():
                raise ValueError(f"{who}: parameter {p!r} is not a leaf; pass model.parameters()")
            j = first.setdefault(id(p), i)
            if j != i:  # it would be stepped twice per step(), with its state kept twice
                raise ValueError(f"{who}: parameter {i} is the same Value as parameter {j} ({p!r}); "
                                 "give each parameter once")
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
        """Update every parameter from its ``.grad``.

        All or nothing: every new value is computed and checked before any is written, so a
        step that would make a parameter non-finite (a learning rate too large, training that
        diverges) raises a :class:`DivergenceError` naming the parameter and the step, and the
        parameters, the optimizer's state (momentum, moments) and its step count stay as they
        were after the last good step."""
        who = type(self).__name__
        lr = self.current_lr()
        wd = self.weight_decay
        params = self.params
        grads = [p.grad + wd * p.data if wd else p.grad for p in params]
        t = self.steps + 1
        for i, g in enumerate(grads):  # checked before any update: never half a step
            if g - g:  # inf or nan
                raise DivergenceError(f"{who}.step {t}: the gradient of {self._name(i)} is {g}; no "
                                      "parameter was changed", step=t, index=i, parameter=params[i])
        state = self._state()
        self.steps = t
        try:
            new = [p.data - lr * self._update(i, g) for i, (p, g) in enumerate(zip(params, grads))]
        except BaseException:
            self._restore(state, t - 1)
            raise
        for i, x in enumerate(new):
            if x - x:  # inf or nan: put everything back as it was, then say which and where
                self._restore(state, t - 1)
                p = params[i]
                raise DivergenceError(
                    f"{who}.step {t}: {self._name(i)} would become {x} (data {p.data!r}, gradient "
                    f"{grads[i]!r}, lr {lr!r}): training diverged; every parameter keeps its value from "
                    "before this step (lower the learning rate)", step=t, index=i, parameter=p)
        for k in state:  # an overflowing g² would stall training silently (a step of g/∞ = 0)
            i = next((i for i, x in enumerate(getattr(self, k)) if x - x), None)  # type: ignore[assignment]
            if i is not None:
                x = getattr(self, k)[i]
                self._restore(state, t - 1)
                raise DivergenceError(
                    f"{who}.step {t}: the optimizer's {k!r} of {self._name(i)} would become {x} (gradient "
                    f"{grads[i]!r}): training diverged; every parameter keeps its value from before this "
                    "step (lower the learning rate, or rescale the loss)", step=t, index=i, parameter=params[i])
        for p, x in zip(params, new):
            p.data = x

    def _name(self, i: int) -> str:
        label = self.params[i].label
        return f"parameter {i} ({label!r})" if label else f"parameter {i}"

    def _state(self) -> dict[str, list]:
        """Copies of the per-parameter state lists (velocity, moments, ...), to undo a step."""
        return {k: list(v) for k, v in vars(self).items()
                if k != "params" and isinstance(v, list) and all(x.__class__ is float for x in v)}

    def _restore(self, state: dict[str, list], steps: int) -> None:
        for k, v in state.items():
            getattr(self, k)[:] = v
        self.steps = steps

    def direction(self, m, g, state: dict[str, Any], t: int) -> tuple[Any, dict[str, Any]]:
        """The optimizer's formula: (d, new state) of w ← w − η·d at step t = 1, 2, ...

        ``g`` is the gradient (weight decay already added), ``state`` the buffers of
        :meth:`_used_buffers` by name, and ``m`` the math backend: ``FLOAT_MATH`` with one
        parameter's floats (``step()``), an array backend's ``math`` with arrays over every
        parameter (:mod:`nn.array_step`).  Only arithmetic and ``m.<function>``, never an
        ``if`` on ``g`` or the state (on ``t`` or a hyperparameter is fine), so both backends
        do the same operations in the same order.  Pure: the new values of the buffers it
        writes are returned, nothing is changed."""
        raise NotImplementedError

    def _used_buffers(self) -> tuple[str, ...]:
        """The buffers :meth:`direction` reads and writes (all of ``_buffers`` unless a
        hyperparameter switches one off)."""
        return self._buffers

    def _update(self, i: int, g: float) -> float:
        """The direction d for parameter i, moved by w ← w − η·d: :meth:`direction` over
        floats, its new state written into the buffers' entry i."""
        names = self._used_buffers()
        if not names:  # plain SGD: no state to read or write (and the demo's step, kept quick)
            return self.direction(FLOAT_MATH, g, {}, self.steps)[0]
        d, new = self.direction(FLOAT_MATH, g, {k: getattr(self, k)[i] for k in names}, self.steps)
        for k, x in new.items():
            getattr(self, k)[i] = x
        return d

    # ---- state: what a checkpoint holds (as torch.optim's state_dict / load_state_dict) -----
    #: the per-parameter buffers (lists aligned with ``params``) and the hyperparameters
    _buffers: tuple[str, ...] = ()
    _hyper: tuple[str, ...] = ()

    def state_dict(self) -> dict:
        """Everything the next step depends on, as plain data (JSON-ready)::

            {"type": "Adam", "steps": 12, "lr": 0.001,
             "hyperparameters": {"betas": [0.9, 0.999], "eps": 1e-08, "weight_decay": 0.0},
             "state": {"m": [...], "v": [...]}}       # one number per parameter, in order

        ``steps`` is also the schedule's position k; a schedule (a function) cannot be
        stored, so ``"lr"`` is then ``"schedule"`` and the optimizer it is loaded into must be
        built with the same schedule."""
        hyper = {name: list(v) if isinstance(v, tuple) else v
                 for name, v in ((n, getattr(self, n)) for n in self._hyper + ("weight_decay",))}
        return {"type": type(self).__name__, "steps": self.steps,
                "lr": "schedule" if callable(self.lr) else self.lr,
                "hyperparameters": hyper,
                "state": {name: list(getattr(self, name)) for name in self._buffers}}

    def load_state_dict(self, state: dict) -> None:
        """Restore what :meth:`state_dict` returned: step count, buffers and hyperparameters
        (a constant lr too, as torch.optim does).  Everything is checked first (the type, one
        finite number per parameter in every buffer, each hyperparameter in its range), so a
        bad state raises ValueError and changes nothing."""
        self._apply_state(self._checked_state(state))

    def _checked_state(self, state) -> dict:
        """``state`` validated and converted (floats, tuples), ready for :meth:`_apply_state`."""
        who = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state, dict):
            raise ValueError(f"{who}: expected a dict (from state_dict()), got {type(state).__name__}")
        expected = {"type", "steps", "lr", "hyperparameters", "state"}
        if set(state) != expected:
            raise ValueError(f"{who}: expected the keys {sorted(expected)}, got {sorted(map(_shown, state))}")
        if state["type"] != type(self).__name__:
            raise ValueError(f"{who}: the state is of a {_shown(state['type'])} optimizer, not "
                             f"{type(self).__name__!r}")
        steps = state["steps"]
        if isinstance(steps, bool) or not isinstance(steps, int) or not 0 <= steps < 2 ** 53:
            raise ValueError(f"{who}: steps must be an int in [0, 2**53), got {_shown(steps)}")
        lr = state["lr"]
        if lr == "schedule" or callable(self.lr):
            if not (lr == "schedule" and callable(self.lr)):
                raise ValueError(
                    f"{who}: the saved optimizer ran with "
                    f"{'a learning-rate schedule' if lr == 'schedule' else f'the constant lr {_shown(lr)}'}"
                    f" but this one has {'a schedule' if callable(self.lr) else f'the constant lr {_shown(self.lr)}'}"
                    f": build it with {'the same schedule' if lr == 'schedule' else 'a constant lr'} "
                    f"(a schedule's position is the step count, restored)")
        else:
            lr = _number(who, "lr", lr)
        hyper = state["hyperparameters"]
        names = set(self._hyper) | {"weight_decay"}
        if not isinstance(hyper, dict) or set(hyper) != names:
            raise ValueError(f"{who}: hyperparameters must be a dict with {sorted(names)}, got "
                             f"{sorted(map(_shown, hyper)) if isinstance(hyper, dict) else _shown(hyper)}")
        hyper = {n: self._check_hyper(who, n, x) for n, x in hyper.items()}
        buffers = state["state"]
        if not isinstance(buffers, dict) or set(buffers) != set(self._buffers):
            raise ValueError(f"{who}: state must be a dict with the buffers {list(self._buffers)}")
        out = {}
        for name, xs in buffers.items():
            if not isinstance(xs, list) or len(xs) != len(self.params):
                raise ValueError(f"{who}: buffer {name!r} must be a list of {len(self.params)} "
                                 f"numbers (one per parameter)")
            vals = []
            for i, x in enumerate(xs):
                ok = isinstance(x, (int, float)) and not isinstance(x, bool)
                f = float(x) if ok and (isinstance(x, float) or abs(x) < 2 ** 1000) else math.nan
                if not math.isfinite(f) or (name in self._non_negative and f < 0):
                    need = "a finite number ≥ 0" if name in self._non_negative else "a finite number"
                    raise ValueError(f"{who}: {name}[{i}] is {_shown(x)}, not {need}")
                vals.append(f)
            out[name] = vals
        return {"steps": steps, "lr": lr, "hyper": hyper, "buffers": out}

    _non_negative: tuple[str, ...] = ()  # buffers of squares: a negative one has no √

    def _check_hyper(self, who: str, name: str, x):
        if name == "betas":
            if not isinstance(x, (list, tuple)) or len(x) != 2:
                raise ValueError(f"{who}: betas must be a pair (β₁, β₂), got {_shown(x)}")
            return (_number(who, "β₁", x[0], 0.0, 1.0), _number(who, "β₂", x[1], 0.0, 1.0))
        hi = 1.0 if name in ("momentum", "alpha") else math.inf
        return _number(who, name, x, 0.0, hi, positive=name == "eps")

    def _apply_state(self, checked: dict) -> None:
        self.steps = checked["steps"]
        if not callable(self.lr):
            self.lr = checked["lr"]
        for name, x in checked["hyper"].items():
            setattr(self, name, x)
        for name, xs in checked["buffers"].items():
            setattr(self, name, xs)

    def __repr__(self) -> str:
        lr = "schedule" if callable(self.lr) else self.lr
        return f"{type(self).__name__}({len(self.params)} parameters, lr={lr}, steps={self.steps})"


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum μ: v ← μv + g, w ← w − ηv."""

    _buffers, _hyper, _non_negative = ('velocity',), ('momentum',), ()

    def __init__(self, params: Iterable[Value], lr: Schedule = 0.1, momentum: float = 0.0,
                 weight_decay: float = 0.0) -> None:
        super().__init__(params, lr, weight_decay)
        self.momentum = _number("SGD", "momentum", momentum, 0.0, 1.0)
        self.velocity = [0.0] * len(self.params)

    def _used_buffers(self) -> tuple[str, ...]:
        return self._buffers if self.momentum else ()  # plain SGD: its velocity is never read

    def direction(self, m, g, state, t):
        """v ← μ·v + g (v = g at t = 1); d = v.  Without momentum d = g."""
        if not self.momentum:
            return g, {}
        v = self.momentum * state["velocity"] + g if t > 1 else g
        return v, {"velocity": v}


class AdaGrad(Optimizer):
    """Per-parameter rates shrinking with the sum of squared gradients: G ← G + g²,
    w ← w − η g/(√G + ε)."""

    _buffers, _hyper, _non_negative = ('sum_sq',), ('eps',), ('sum_sq',)

    def __init__(self, params: Iterable[Value], lr: Schedule = 0.01, eps: float = 1e-10,
                 weight_decay: float = 0.0) -> None:
        super().__init__(params, lr, weight_decay)
        self.eps = _number("AdaGrad", "eps", eps, positive=True)  # ε = 0 would divide by √0
        self.sum_sq = [0.0] * len(self.params)

    def direction(self, m, g, state, t):
        """G ← G + g²;  d = g / (√G + ε)."""
        G = state["sum_sq"] + g * g
        return g / (m.sqrt(G) + self.eps), {"sum_sq": G}


class RMSProp(Optimizer):
    """AdaGrad with a moving average instead of a sum: s ← αs + (1 − α)g², w ← w − η g/(√s + ε)."""

    _buffers, _hyper, _non_negative = ('mean_sq',), ('alpha', 'eps'), ('mean_sq',)

    def __init__(self, params: Iterable[Value], lr: Schedule = 0.01, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0.0) -> None:
        super().__init__(params, lr, weight_decay)
        self.alpha = _number("RMSProp", "alpha", alpha, 0.0, 1.0)
        self.eps = _number("RMSProp", "eps", eps, positive=True)  # ε = 0 would divide by √0
        self.mean_sq = [0.0] * len(self.params)

    def direction(self, m, g, state, t):
        """s ← α·s + (1 − α)·g²;  d = g / (√s + ε)."""
        a = self.alpha
        s = a * state["mean_sq"] + (1.0 - a) * g * g
        return g / (m.sqrt(s) + self.eps), {"mean_sq": s}


class Adam(Optimizer):
    """Momentum (m) and RMSProp (v) with bias correction: w ← w − η m̂/(√v̂ + ε)."""

    _buffers, _hyper, _non_negative = ('m', 'v'), ('betas', 'eps'), ('v',)

    def __init__(self, params: Iterable[Value], lr: Schedule = 0.001,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0) -> None:
        super().__init__(params, lr, weight_decay)
        try:
            b1, b2 = betas
        except (TypeError, ValueError):
            raise ValueError(f"Adam: betas must be a pair (β₁, β₂), got {_shown(betas)}") from None
        self.betas = (_number("Adam", "β₁", b1, 0.0, 1.0), _number("Adam", "β₂", b2, 0.0, 1.0))
        self.eps = _number("Adam", "eps", eps, positive=True)  # ε = 0 would divide by √0
        self.m = [0.0] * len(self.params)
        self.v = [0.0] * len(self.params)

    def direction(self, m, g, state, t):
        """m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²;  d = m̂ / (√v̂ + ε) with
        m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ)."""
        b1, b2 = self.betas
        first = b1 * state["m"] + (1.0 - b1) * g  # the moments m and v (``m`` is the backend)
        second = b2 * state["v"] + (1.0 - b2) * g * g
        m_hat, v_hat = first / (1.0 - b1 ** t), second / (1.0 - b2 ** t)
        return m_hat / (m.sqrt(v_hat) + self.eps), {"m": first, "v": second}


OPTIMIZERS = {"sgd": SGD, "adam": Adam, "adagrad": AdaGrad, "rmsprop": RMSProp}
