"""Independent oracles for gradients: central finite differences and HIPS autograd.

Every op of the engine is listed here once with (a) how to apply it to Values, (b) the same
function written for HIPS ``autograd.numpy``, and (c) a sampler for points inside its domain,
away from kinks, so that finite differences are meaningful.
"""

from __future__ import annotations

import random
from typing import Callable, NamedTuple, Sequence

import autograd.numpy as anp
from autograd import grad as hips_grad

from autograd_engine import Value


class OpCase(NamedTuple):
    name: str
    ours: Callable  # (*Values) -> Value
    hips: Callable  # (*floats/boxes) -> float, written with autograd.numpy
    sample: Callable[[random.Random], tuple]


def _away_from(rng, lo, hi, kinks=(0.0,), gap=1e-2):
    while True:
        x = rng.uniform(lo, hi)
        if all(abs(x - k) > gap for k in kinks):
            return x


def _pair_apart(rng, lo=-3, hi=3, gap=1e-2):
    while True:
        x, y = rng.uniform(lo, hi), rng.uniform(lo, hi)
        if abs(x - y) > gap:
            return x, y


OPS: list[OpCase] = [
    OpCase("add", lambda x, y: x + y, lambda x, y: x + y, lambda r: (r.uniform(-3, 3), r.uniform(-3, 3))),
    OpCase("sub", lambda x, y: x - y, lambda x, y: x - y, lambda r: (r.uniform(-3, 3), r.uniform(-3, 3))),
    OpCase("mul", lambda x, y: x * y, lambda x, y: x * y, lambda r: (r.uniform(-3, 3), r.uniform(-3, 3))),
    OpCase("div", lambda x, y: x / y, lambda x, y: x / y, lambda r: (r.uniform(-3, 3), _away_from(r, -3, 3, gap=0.3))),
    OpCase("neg", lambda x: -x, lambda x: -x, lambda r: (r.uniform(-3, 3),)),
    OpCase("add_number", lambda x: x + 2.5, lambda x: x + 2.5, lambda r: (r.uniform(-3, 3),)),
    OpCase("radd_number", lambda x: 2.5 + x, lambda x: 2.5 + x, lambda r: (r.uniform(-3, 3),)),
    OpCase("rsub", lambda x: 1.5 - x, lambda x: 1.5 - x, lambda r: (r.uniform(-3, 3),)),
    OpCase("scale", lambda x: 3.0 * x, lambda x: 3.0 * x, lambda r: (r.uniform(-3, 3),)),
    OpCase("div_number", lambda x: x / 4.0, lambda x: x / 4.0, lambda r: (r.uniform(-3, 3),)),
    OpCase("rdiv", lambda x: 2.0 / x, lambda x: 2.0 / x, lambda r: (_away_from(r, -3, 3, gap=0.3),)),
    OpCase("pow_int", lambda x: x ** 3, lambda x: x ** 3, lambda r: (r.uniform(-3, 3),)),
    OpCase("pow_neg", lambda x: x ** -2, lambda x: x ** -2.0, lambda r: (_away_from(r, -3, 3, gap=0.3),)),
    OpCase("pow_frac", lambda x: x ** 0.5, lambda x: x ** 0.5, lambda r: (r.uniform(0.2, 5),)),
    OpCase("rpow", lambda x: 2.0 ** x, lambda x: 2.0 ** x, lambda r: (r.uniform(-3, 3),)),
    OpCase("vpow", lambda x, y: x ** y, lambda x, y: x ** y, lambda r: (r.uniform(0.2, 3), r.uniform(-2, 2))),
    OpCase("exp", lambda x: x.exp(), anp.exp, lambda r: (r.uniform(-3, 3),)),
    OpCase("log", lambda x: x.log(), anp.log, lambda r: (r.uniform(0.1, 5),)),
    OpCase("sqrt", lambda x: x.sqrt(), anp.sqrt, lambda r: (r.uniform(0.1, 5),)),
    OpCase("sin", lambda x: x.sin(), anp.sin, lambda r: (r.uniform(-6, 6),)),
    OpCase("cos", lambda x: x.cos(), anp.cos, lambda r: (r.uniform(-6, 6),)),
    OpCase("tanh", lambda x: x.tanh(), anp.tanh, lambda r: (r.uniform(-3, 3),)),
    OpCase("sigmoid", lambda x: x.sigmoid(), lambda x: 1 / (1 + anp.exp(-x)), lambda r: (r.uniform(-6, 6),)),
    OpCase("relu", lambda x: x.relu(), lambda x: anp.maximum(x, 0.0), lambda r: (_away_from(r, -3, 3),)),
    OpCase("leaky_relu", lambda x: x.leaky_relu(0.1), lambda x: anp.where(x > 0, x, 0.1 * x),
           lambda r: (_away_from(r, -3, 3),)),
    OpCase("abs", lambda x: abs(x), anp.abs, lambda r: (_away_from(r, -3, 3),)),
    OpCase("max", lambda x, y: x.max(y), anp.maximum, lambda r: _pair_apart(r)),
    OpCase("min", lambda x, y: x.min(y), anp.minimum, lambda r: _pair_apart(r)),
    OpCase("sum", lambda *xs: Value.sum(xs), lambda *xs: sum(xs), lambda r: tuple(r.uniform(-3, 3) for _ in range(4))),
    OpCase("dot", lambda a, b, c, d: Value.dot([a, b], [c, d]), lambda a, b, c, d: a * c + b * d,
           lambda r: tuple(r.uniform(-3, 3) for _ in range(4))),
    OpCase("dot_numbers", lambda a, b: Value.dot([a, b], [0.5, -2.0]), lambda a, b: 0.5 * a - 2.0 * b,
           lambda r: (r.uniform(-3, 3), r.uniform(-3, 3))),
]


def engine_grads(f: Callable, point: Sequence[float]) -> tuple[float, list[float]]:
    """f's value and gradient at ``point`` computed by our engine."""
    xs = [Value(p) for p in point]
    out = f(*xs)
    out.backward()
    return out.data, [x.grad for x in xs]


def finite_differences(f: Callable, point: Sequence[float], eps: float = 1e-6) -> list[float]:
    """Central differences (f(x+h) − f(x−h)) / 2h for each coordinate (the AD talk), on floats."""
    grads = []
    for i in range(len(point)):
        hi = list(point); hi[i] += eps
        lo = list(point); lo[i] -= eps
        grads.append((_plain(f, hi) - _plain(f, lo)) / (2 * eps))
    return grads


def _plain(f, point):
    return f(*[Value(p) for p in point]).data


def hips_grads(f: Callable, point: Sequence[float]) -> list[float]:
    """The gradient by HIPS autograd, an independent reverse-mode implementation."""
    return [float(hips_grad(lambda v, i=i: f(*[v if j == i else point[j] for j in range(len(point))]))(float(point[i])))
            for i in range(len(point))]
