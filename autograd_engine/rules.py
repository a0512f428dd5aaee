"""The gradient-flow rules: every op's forward value and local gradients, in one table.

Seed 000 (Figure 6.2) puts a node ``z = h(x, y)`` between an upstream gradient ∂L/∂z and its
inputs, and the chain rule sends back

    ∂L/∂x = ∂L/∂z · ∂z/∂x        ∂L/∂y = ∂L/∂z · ∂z/∂y

so an op is fully described by its forward value ``z`` and its *local gradients* ∂z/∂x, ∂z/∂y.
Each entry below gives exactly that, as one function ``f(m, *operands) -> (z, ∂z/∂x, ...)``.

``m`` is the math backend: :data:`FLOAT_MATH` for Python floats (the scalar engine); an array
backend (NumPy) gives the same formulas over a whole batch (the compiled tape).  Rules therefore
use only arithmetic, comparisons (``(x > y) * 1.0`` is a 0/1 step for floats and arrays alike)
and ``m.<function>``; they never branch on a value with ``if``.

The machinery that records nodes and walks the graph (``value.py``, ``backprop.py``) knows
nothing of calculus: a new op is one ``Rule`` line here plus a method that applies it.
"""

from __future__ import annotations

import math
from operator import mul as _mul
from types import SimpleNamespace
from typing import Callable, NamedTuple


class Rule(NamedTuple):
    """One op: name, the symbol drawn in graph pictures, the rule, and its domain.

    ``fn(m, *operands)`` returns ``(z, ∂z/∂operand_0, ∂z/∂operand_1, ...)``.  For the n-ary
    ops (``sum``, ``dot``) operands and local gradients are sequences.
    ``domain`` is said in the error raised when ``fn`` fails (log of 0, overflow, ...).
    """

    name: str
    symbol: str
    fn: Callable
    domain: str = ""


def _sigmoid(x: float) -> float:
    """σ(x) = 1/(1 + e^(−x)), evaluated without overflow at ±1000 (e^(−|x|) ≤ 1)."""
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _sign(x: float) -> float:
    """sign(x) ∈ {−1, 0, 1}: the derivative of |x|, taken as 0 at x = 0 (as PyTorch)."""
    return 1.0 if x > 0.0 else (-1.0 if x < 0.0 else 0.0)


FLOAT_MATH = SimpleNamespace(
    exp=math.exp, log=math.log, tanh=math.tanh, pow=math.pow, sigmoid=_sigmoid, sign=_sign,
    maximum=max, minimum=min, where=lambda c, a, b: a if c else b,
    sum=sum, dot=lambda ws, xs: sum(map(_mul, ws, xs)),
)
"""The float backend; an array backend supplies the same names (np.exp, np.where, ...)."""


# fmt: off
TABLE: tuple[Rule, ...] = (
    #    name          symbol  forward z, then the local gradients ∂z/∂x[, ∂z/∂y]      seed 000 Fig. 6.2 / why
    Rule("add",        "+",    lambda m, x, y: (x + y, 1.0, 1.0)),                    # add distributes ∂L/∂z
    Rule("sub",        "−",    lambda m, x, y: (x - y, 1.0, -1.0)),
    Rule("rsub",       "−",    lambda m, x, k: (k - x, -1.0)),                        # k − x, k a number
    Rule("mul",        "×",    lambda m, x, y: (x * y, y, x)),                        # multiply swaps; by a number k: scales by k
    Rule("div",        "÷",    lambda m, x, y: (x / y, 1.0 / y, -x / (y * y)),       "divisor ≠ 0"),
    Rule("rdiv",       "÷",    lambda m, x, k: ((z := k / x), -z / x),               "divisor ≠ 0"),    # k / x
    Rule("neg",        "−",    lambda m, x: (-x, -1.0)),
    Rule("pow",        "xⁿ",   lambda m, x, n: (m.pow(x, n), n * m.pow(x, n - 1)),   # n·x^(n−1), n a number
         "x > 0 for a fractional n, x ≠ 0 for n < 1, and a finite result"),
    Rule("rpow",       "aˣ",   lambda m, x, a: ((z := m.pow(a, x)), z * m.log(a)),   # z·ln(a), a a number
         "base a > 0 and a finite result"),
    Rule("vpow",       "xʸ",   lambda m, x, y: ((z := m.pow(x, y)), y * m.pow(x, y - 1), z * m.log(x)),
         "base x > 0 (the gradient w.r.t. the exponent is z·ln x) and a finite result"),
    Rule("exp",        "exp",  lambda m, x: ((z := m.exp(x)), z),                     # exp: z
         "a finite result (x ≤ 709.78)"),
    Rule("log",        "log",  lambda m, x: (m.log(x), 1.0 / x),                      # log: 1/x
         "x > 0"),
    Rule("tanh",       "tanh", lambda m, x: ((z := m.tanh(x)), 1.0 - z * z)),         # tanh: 1 − z²
    Rule("sigmoid",    "σ",    lambda m, x: ((z := m.sigmoid(x)), z * (1.0 - z))),    # sigmoid: z(1 − z)
    Rule("relu",       "relu", lambda m, x: (m.maximum(x, 0.0), (x > 0.0) * 1.0)),   # a switch; relu'(0) = 0
    Rule("leaky_relu", "lrelu", lambda m, x, s: (m.where(x > 0.0, x, s * x), m.where(x > 0.0, 1.0, s))),
    Rule("abs",        "|x|",  lambda m, x: (m.where(x < 0.0, -x, x), m.sign(x))),    # |x|' = sign(x), 0 at 0
    Rule("max",        "max",  lambda m, x, y: (m.maximum(x, y),                      # max is a switch;
                                                (x > y) + 0.5 * (x == y),             # a tie splits 0.5/0.5
                                                (y > x) + 0.5 * (x == y))),
    Rule("min",        "min",  lambda m, x, y: (m.minimum(x, y),
                                                (x < y) + 0.5 * (x == y),
                                                (y < x) + 0.5 * (x == y))),
    Rule("sum",        "Σ",    lambda m, xs: (m.sum(xs), (1.0,) * len(xs))),          # n-ary add: 1 to every input
    Rule("dot",        "·",    lambda m, ws, xs: (m.dot(ws, xs), xs, ws)),             # Σ wᵢxᵢ: ∂z/∂wᵢ = xᵢ, ∂z/∂xᵢ = wᵢ
)
# fmt: on

RULES: dict[str, Rule] = {r.name: r for r in TABLE}
