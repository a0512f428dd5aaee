"""The gradient-flow rules: every op's forward value and local gradients, in one table.

The textbook chapter *Chapter 6: The Backprop Algorithm* (its Figure 6.2) puts a node
``z = h(x, y)`` between an upstream gradient ∂L/∂z and its inputs, and the chain rule sends back

    ∂L/∂x = ∂L/∂z · ∂z/∂x        ∂L/∂y = ∂L/∂z · ∂z/∂y

so an op is fully described by its forward value ``z`` and its *local gradients* ∂z/∂x, ∂z/∂y.
Each entry below gives exactly that: the operands' names, the formula of ``z`` and one formula
per local gradient — text, like PyTorch's ``derivatives.yaml``, compiled once into a function
``fn(m, *operands) -> (z, ∂z/∂x, ...)`` and into the scalar engine's methods.

``m`` is the math backend: :data:`FLOAT_MATH` for Python floats (the scalar engine); an array
backend (NumPy) gives the same formulas over a whole batch (the compiled tape).  Rules therefore
use only arithmetic, comparisons (``(x > y) * 1.0`` is a 0/1 step for floats and arrays alike)
and ``m.<function>``; they never branch on a value with ``if``: ``m.where(c, a, b)`` chooses
element-wise (the float methods compile it to ``a if c else b``).

The machinery that records nodes and walks the graph (``value.py``, ``backprop.py``) knows
nothing of calculus: a new op is one ``rule(...)`` line here plus the name of the ``Value``
method that applies it (``Value.apply`` applies any rule without one).
"""

from __future__ import annotations

import ast
import math
from operator import mul as _mul
from types import SimpleNamespace
from typing import Callable, NamedTuple


class Rule(NamedTuple):
    """One op: its name, the symbol drawn in graph pictures, the rule, and its domain.

    ``fn(m, *operands)`` returns ``(z, ∂z/∂operand_0, ∂z/∂operand_1, ...)``: one local
    gradient per operand that may be a Value (trailing operands without one are plain numbers,
    like the ``n`` of ``x ** n``).  For the n-ary ops (``sum``, ``dot``) operands and local
    gradients are sequences.  ``domain`` is said in the error raised when ``fn`` fails.

    Rules of the table also keep their formulas as text (``args``, ``z``, ``grads``): ``fn`` is
    compiled from them, and so are the scalar engine's float methods (``value.py``), with the
    formulas inlined — one source for the float path and the array path, and no function call
    per node on the float path.  A rule made directly from a function (``Rule(name, symbol,
    fn)``) works through ``Value.apply``.
    """

    name: str
    symbol: str
    fn: Callable
    domain: str = ""
    args: tuple[str, ...] = ()
    z: str = ""
    grads: tuple[str, ...] = ()


def rule(name: str, symbol: str, args: str, z: str, *grads: str, domain: str = "") -> Rule:
    """A Rule from its formulas: ``args`` names the operands ("x y"), ``z`` is the forward value
    and ``grads`` the local gradients, Python expressions over the operands, ``z`` and ``m``."""
    names = tuple(args.split())
    source = f"def {name}(m, {', '.join(names)}):\n    z = {z}\n    return z, {', '.join(grads)}\n"
    namespace: dict = {}
    exec(compile(source, f"<rule {name}>", "exec"), namespace)
    return Rule(name, symbol, namespace[name], domain, names, z, grads)


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
    sin=math.sin, cos=math.cos, sqrt=math.sqrt,
    maximum=max, minimum=min, where=lambda c, a, b: a if c else b,
    sum=lambda xs: sum(xs, 0.0), dot=lambda ws, xs: sum(map(_mul, ws, xs), 0.0),  # 0.0: Σ of nothing is a float
)
"""The float backend; an array backend supplies the same names (np.exp, np.where, ...)."""


# fmt: off
TABLE: tuple[Rule, ...] = (
    #    name          symbol   operands  forward z                     local gradients ∂z/∂x[, ∂z/∂y]               Chapter 6, Fig. 6.2 / why
    rule("add",        "+",     "x y",    "x + y",                      "1.0", "1.0"),                             # add distributes ∂L/∂z
    rule("sub",        "−",     "x y",    "x - y",                      "1.0", "-1.0"),
    rule("rsub",       "−",     "x k",    "k - x",                      "-1.0"),                                   # k − x, k a number
    rule("mul",        "×",     "x y",    "x * y",                      "y", "x"),                                 # multiply swaps; a number k scales by k
    rule("div",        "÷",     "x y",    "x / y",                      "1.0 / y", "-z / y",                       domain="divisor ≠ 0"),
    rule("rdiv",       "÷",     "x k",    "k / x",                      "-z / x",                                  domain="divisor ≠ 0"),
    rule("neg",        "−",     "x",      "-x",                         "-1.0"),
    rule("pow",        "xⁿ",    "x n",    "m.pow(x, n)",                "n * m.pow(x, m.where(n == 0, 1.0, n - 1))",  # n·x^(n−1), n a number;
         domain="x > 0 for a fractional n (but 0 ** n with n > 1 is 0, slope 0), x ≠ 0 for n < 0, "  # x⁰: 0·x¹ = 0, also at 0
                "and a finite result"),
    rule("rpow",       "aˣ",    "x a",    "m.pow(a, x)",                "z * m.log(m.where(a == 0, 1.0, a))",      # z·ln(a), a a number;
         domain="base a > 0, or a = 0 with x ≥ 0 (0 ** x: ∂/∂x = 0, as PyTorch), and a finite result"),  # ln 1 = 0 at a = 0
    rule("vpow",       "xʸ",    "x y",    "m.pow(x, y)",                "y * m.pow(x, y - 1)",                     # y·x^(y−1) and z·ln x,
                                                                        "z * m.log(m.where(x == 0, 1.0, x))",      # 0 at x = 0 (ln 1)
         domain="base x > 0, or x = 0 with y ≥ 1 (0 ** y = 0 with ∂/∂y = 0, as PyTorch; below 1 the "
                "slope in x is infinite), and a finite result"),
    rule("exp",        "exp",   "x",      "m.exp(x)",                   "z",                                       # exp: z
         domain="a finite result (x ≤ 709.78)"),
    rule("log",        "log",   "x",      "m.log(x)",                   "1.0 / x",                     domain="x > 0"),  # log: 1/x
    rule("sqrt",       "√",     "x",      "m.sqrt(x)",                  "0.5 / z",                     domain="x > 0"),  # √x: 1/(2√x)
    rule("sin",        "sin",   "x",      "m.sin(x)",                   "m.cos(x)"),                               # sin: cos x
    rule("cos",        "cos",   "x",      "m.cos(x)",                   "-m.sin(x)"),                              # cos: −sin x
    rule("tanh",       "tanh",  "x",      "m.tanh(x)",                  "1.0 - z * z"),                            # tanh: 1 − z²
    rule("sigmoid",    "σ",     "x",      "m.sigmoid(x)",               "z * (1.0 - z)"),                          # sigmoid: z(1 − z)
    rule("relu",       "relu",  "x",      "m.where(x > 0.0, x, 0.0)",   "m.where(x > 0.0, 1.0, 0.0)"),             # a switch; relu'(0) = 0
    rule("leaky_relu", "lrelu", "x s",    "m.where(x > 0.0, x, s * x)", "m.where(x > 0.0, 1.0, s)"),
    rule("abs",        "|x|",   "x",      "m.where(x < 0.0, -x, x)",    "m.sign(x)"),                              # |x|' = sign(x), 0 at 0
    rule("max",        "max",   "x y",    "m.maximum(x, y)",            "(x > y) + 0.5 * (x == y)",                # max is a switch;
                                                                        "(y > x) + 0.5 * (x == y)"),               # a tie splits 0.5/0.5
    rule("min",        "min",   "x y",    "m.minimum(x, y)",            "(x < y) + 0.5 * (x == y)",
                                                                        "(y < x) + 0.5 * (x == y)"),
    rule("sum",        "Σ",     "xs",     "m.sum(xs)",                  "(1.0,) * len(xs)"),                       # n-ary add: 1 to every input
    rule("dot",        "·",     "ws xs",  "m.dot(ws, xs)",              "xs", "ws"),                               # Σ wᵢxᵢ: ∂z/∂wᵢ = xᵢ, ∂z/∂xᵢ = wᵢ
)
# fmt: on

RULES: dict[str, Rule] = {r.name: r for r in TABLE}


class _CompareToCall(ast.NodeTransformer):
    """``a > b`` → ``m.compare(">", a, b)``: the backend decides what a comparison is."""

    _SYMBOL = {ast.Gt: ">", ast.GtE: ">=", ast.Lt: "<", ast.LtE: "<=", ast.Eq: "==", ast.NotEq: "!="}

    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        self.generic_visit(node)
        if len(node.ops) != 1:
            raise ValueError(f"rules: a chained comparison is not supported: {ast.unparse(node)}")
        op = ast.Constant(self._SYMBOL[type(node.ops[0])])
        func = ast.Attribute(value=ast.Name("m", ast.Load()), attr="compare", ctx=ast.Load())
        return ast.Call(func=func, args=[op, node.left, node.comparators[0]], keywords=[])


_LOCAL_GRADS: dict[str, Callable] = {}


def local_gradients(rule: Rule) -> Callable:
    """``lg(m, z, *operands) -> (∂z/∂operand_0, ...)``: the rule's local-gradient formulas,
    compiled from the same text as ``rule.fn``, for a backend whose numbers are themselves
    graph nodes (``Value``, for derivatives of derivatives).

    Two differences from ``fn``: ``z`` is passed in (the node already computed, so the
    gradient graph refers to it instead of recomputing it), and every comparison ``a > b``
    becomes ``m.compare(">", a, b)``, so the backend turns a switch into a constant 0/1 —
    the local gradient of relu, abs, max and min is piecewise constant, its derivative 0.
    """
    if not rule.grads:
        raise ValueError(
            f"rule {rule.name!r} has no formula text (it was made from a function): derivatives of "
            "its derivative need a rule(...) entry with formulas")
    lg = _LOCAL_GRADS.get(rule.name)
    if lg is None or lg.__rule__ is not rule:  # a rule replaced in RULES at run time is recompiled
        grads = [ast.unparse(_CompareToCall().visit(ast.parse(g, mode="eval"))) for g in rule.grads]
        source = (f"def {rule.name}_local_gradients(m, z, {', '.join(rule.args)}):\n"
                  f"    return ({', '.join(grads)},)\n")
        namespace: dict = {}
        exec(compile(source, f"<rule {rule.name} local gradients>", "exec"), namespace)
        lg = namespace[f"{rule.name}_local_gradients"]
        lg.__rule__ = rule
        _LOCAL_GRADS[rule.name] = lg
    return lg
