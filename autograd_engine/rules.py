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

Each row carries every fact of its op: besides the formulas, the ``Value`` method(s) that
apply it (``method``), its PyTorch counterpart (``torch``, an expression over the same operand
names, used by ``to_torch_code``) and the few words the backprop player says before the formula
(``words``: "multiply swaps").  The machinery that records nodes and walks the graph
(``value.py``, ``backprop.py``) knows nothing of calculus: a new op is one ``rule(...)`` line
here (then ``python -m autograd_engine._codegen`` rewrites the generated ``_value_ops.py``), or
one :func:`register` call at run time, and every backend serves it.
"""

from __future__ import annotations

import ast
import keyword
import math
import re
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
    compiled from them, and so are the scalar engine's float methods (``_value_ops.py``), with the
    formulas inlined — one source for the float path and the array path, and no function call
    per node on the float path.  A rule made directly from a function (``Rule(name, symbol,
    fn)``) works through ``Value.apply``.

    The other facts of the op: ``method``, the names of the ``Value`` methods compiled from the
    formulas, space-separated ("__mul__ __rmul__"; "" for none: ``Value.apply`` still applies
    it); ``torch``, the PyTorch expression of ``z`` over the operand names ("x * y"); ``words``,
    what the player says before the local gradient ("multiply swaps").
    """

    name: str
    symbol: str
    fn: Callable
    domain: str = ""
    args: tuple[str, ...] = ()
    z: str = ""
    grads: tuple[str, ...] = ()
    method: str = ""
    torch: str = ""
    words: str = ""

    @property
    def methods(self) -> tuple[str, ...]:
        """The ``Value`` methods that apply this rule (``method`` split at spaces)."""
        return tuple(self.method.split())


def rule(name: str, symbol: str, args: str, z: str, *grads: str, domain: str = "",
         method: str = "", torch: str = "", words: str = "") -> Rule:
    """A Rule from its formulas: ``args`` names the operands ("x y"), ``z`` is the forward value
    and ``grads`` the local gradients, Python expressions over the operands, ``z`` and ``m``;
    ``method``, ``torch`` and ``words`` as in :class:`Rule`."""
    if not name.isidentifier() or keyword.iskeyword(name):
        raise ValueError(f"rule: the name {name!r} must be a Python identifier")
    names = tuple(args.split())
    for a in names:
        if not a.isidentifier() or keyword.iskeyword(a) or a in ("m", "z"):
            raise ValueError(f"rule {name!r}: operand name {a!r} must be an identifier other than m and z")
    if not 1 <= len(grads) <= len(names):
        raise ValueError(f"rule {name!r}: give one local gradient for each of the first operands "
                         f"({len(names)} named: {args!r}), got {len(grads)}")
    for text in (z, *grads, *((torch,) if torch else ())):
        try:
            ast.parse(text, mode="eval")
        except SyntaxError as e:
            raise ValueError(f"rule {name!r}: {text!r} is not a Python expression ({e.msg})") from None
    source = f"def {name}(m, {', '.join(names)}):\n    z = {z}\n    return z, {', '.join(grads)}\n"
    namespace: dict = {}
    exec(compile(source, f"<rule {name}>", "exec"), namespace)
    return Rule(name, symbol, namespace[name], domain, names, z, grads, method, torch, words)


def torch_template(rule: Rule) -> str:
    """The rule's ``torch`` expression as a ``str.format`` template over its operands
    (``"x * y"`` → ``"{x} * {y}"``): each operand name that is not an attribute (``.x``) becomes
    a field; other braces are doubled.  "" when the rule has no PyTorch counterpart."""
    if not rule.torch:
        return ""
    text = rule.torch.replace("{", "{{").replace("}", "}}")
    if not rule.args:
        return text
    names = "|".join(re.escape(a) for a in sorted(rule.args, key=len, reverse=True))
    return re.sub(rf"(?<![\w.])({names})(?!\w)", r"{\1}", text)


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
# Each row: the formulas (the textbook chapter's Figure 6.2 at a glance), then the op's other facts:
# the Value method(s), the PyTorch expression of z over the same operands, and the player's words.
TABLE: tuple[Rule, ...] = (
    #    name          symbol   operands  forward z                     local gradients ∂z/∂x[, ∂z/∂y]
    rule("add",        "+",     "x y",    "x + y",                      "1.0", "1.0",
         method="__add__ __radd__", torch="x + y", words="add distributes"),
    rule("sub",        "−",     "x y",    "x - y",                      "1.0", "-1.0",
         method="__sub__", torch="x - y", words="subtract: +1 and −1"),
    rule("rsub",       "−",     "x k",    "k - x",                      "-1.0",                                     # k − x, k a number
         method="__rsub__", torch="k - x", words="k − x gives −1"),
    rule("mul",        "×",     "x y",    "x * y",                      "y", "x",                                   # a number k scales by k
         method="__mul__ __rmul__", torch="x * y", words="multiply swaps"),
    rule("div",        "÷",     "x y",    "x / y",                      "1.0 / y", "-z / y",                        domain="divisor ≠ 0",
         method="__truediv__", torch="x / y", words="divide"),
    rule("rdiv",       "÷",     "x k",    "k / x",                      "-z / x",                                   domain="divisor ≠ 0",
         method="__rtruediv__", torch="k / x", words="k / x"),
    rule("neg",        "−",     "x",      "-x",                         "-1.0",
         method="__neg__", torch="-x", words="negate"),
    rule("pow",        "xⁿ",    "x n",    "m.pow(x, n)",                "n * m.pow(x, m.where(n == 0, 1.0, n - 1))",  # n a number; x⁰: 0·x¹ = 0, also at 0
         domain="x > 0 for a fractional n (x = 0 too when n > 1), x ≠ 0 for n < 0, "
                "and a finite result",
         method="_pow", torch="x ** n", words="power rule n·xⁿ⁻¹"),
    rule("rpow",       "aˣ",    "x a",    "m.pow(a, x)",                "z * m.log(m.where(a == 0, 1.0, a))",       # a a number; ln 1 = 0 at a = 0
         domain="base a > 0, or a = 0 with x ≥ 0 (0 ** x: ∂/∂x = 0, as PyTorch), and a finite result",
         method="__rpow__", torch="a ** x", words="aˣ gives z·ln a"),
    rule("vpow",       "xʸ",    "x y",    "m.pow(x, y)",                "y * m.pow(x, y - 1)",                      # y·x^(y−1) and z·ln x,
                                                                        "z * m.log(m.where(x == 0, 1.0, x))",       # 0 at x = 0 (ln 1)
         domain="base x > 0, or x = 0 with y ≥ 1 (0 ** y = 0 with ∂/∂y = 0, as PyTorch; below 1 the "
                "slope in x is infinite), and a finite result",
         method="_vpow", torch="x ** y", words="xʸ"),
    rule("exp",        "exp",   "x",      "m.exp(x)",                   "z",
         domain="a finite result (x ≤ 709.78)",
         method="exp", torch="torch.exp(x)", words="exp is its own derivative"),
    rule("log",        "log",   "x",      "m.log(x)",                   "1.0 / x",                                  domain="x > 0",
         method="log", torch="torch.log(x)", words="log gives 1/x"),
    rule("sqrt",       "√",     "x",      "m.sqrt(x)",                  "0.5 / z",                                  domain="x > 0",
         method="sqrt", torch="torch.sqrt(x)", words="√x gives 1/(2√x)"),
    rule("sin",        "sin",   "x",      "m.sin(x)",                   "m.cos(x)",
         method="sin", torch="torch.sin(x)", words="sin gives cos x"),
    rule("cos",        "cos",   "x",      "m.cos(x)",                   "-m.sin(x)",
         method="cos", torch="torch.cos(x)", words="cos gives −sin x"),
    rule("tanh",       "tanh",  "x",      "m.tanh(x)",                  "1.0 - z * z",
         method="tanh", torch="torch.tanh(x)", words="tanh gives 1 − z²"),
    rule("sigmoid",    "σ",     "x",      "m.sigmoid(x)",               "z * (1.0 - z)",
         method="sigmoid", torch="torch.sigmoid(x)", words="sigmoid gives z(1 − z)"),
    rule("relu",       "relu",  "x",      "m.where(x > 0.0, x, 0.0)",   "m.where(x > 0.0, 1.0, 0.0)",               # relu'(0) = 0 in both
         method="relu", torch="torch.relu(x)", words="relu is a switch (relu′(0) = 0)"),
    rule("leaky_relu", "lrelu", "x s",    "m.where(x > 0.0, x, s * x)", "m.where(x > 0.0, 1.0, s)",                 # the slope at 0 in both
         method="_leaky_relu", torch="torch.nn.functional.leaky_relu(x, s)", words="leaky relu: 1 or the slope"),
    rule("abs",        "|x|",   "x",      "m.where(x < 0.0, -x, x)",    "m.sign(x)",                                # sign(0) = 0 in both
         method="abs __abs__", torch="torch.abs(x)", words="|x|′ = sign(x), 0 at 0"),
    rule("max",        "max",   "x y",    "m.maximum(x, y)",            "(x > y) + 0.5 * (x == y)",
                                                                        "(y > x) + 0.5 * (x == y)",                 # a tie splits 0.5/0.5 in both
         method="max", torch="torch.maximum(x, y)", words="max is a switch (a tie splits 0.5/0.5)"),
    rule("min",        "min",   "x y",    "m.minimum(x, y)",            "(x < y) + 0.5 * (x == y)",
                                                                        "(y < x) + 0.5 * (x == y)",
         method="min", torch="torch.minimum(x, y)", words="min is a switch (a tie splits 0.5/0.5)"),
    rule("sum",        "Σ",     "xs",     "m.sum(xs)",                  "(1.0,) * len(xs)",                         # Value.sum: one node
         torch="xs.sum()", words="n-ary add: 1 to every input"),
    rule("dot",        "·",     "ws xs",  "m.dot(ws, xs)",              "xs", "ws",                                 # Value.dot: one node
         torch="torch.dot(ws, xs)", words="Σ wᵢxᵢ: ∂z/∂wᵢ = xᵢ, ∂z/∂xᵢ = wᵢ"),
)
# fmt: on

RULES: dict[str, Rule] = {r.name: r for r in TABLE}
"""Every rule by name: the table's, and those added by :func:`register`."""

_ON_REGISTER: list[Callable[[Rule], None]] = []  # backends that build something per rule (Value's methods)


def on_register(callback: Callable[[Rule], None]) -> None:
    """Have ``callback(rule)`` called for every rule :func:`register` adds (a backend that
    compiles something per rule, such as ``Value``'s methods, listens here: this module
    imports no backend)."""
    _ON_REGISTER.append(callback)


def register(row: Rule, *, replace: bool = False) -> Rule:
    """Add ``row`` (made with :func:`rule`) to :data:`RULES` at run time; every backend serves it.

    The ``Value`` methods named by ``row.method`` are compiled from its formulas, as the table's
    are; ``backward``, derivatives of any order, the NumPy and torch tapes, ``to_torch_code`` /
    ``check_with_torch`` (through ``row.torch``), the player (``row.words``) and the pictures
    (``row.symbol``) read it from :data:`RULES`.  The formulas may use only the functions every
    backend has (``m.exp``, ``m.log``, ``m.sigmoid``, ... the names of :data:`FLOAT_MATH`)::

        register(rule("softplus", "softplus", "x", "m.log(1.0 + m.exp(x))", "m.sigmoid(x)",
                      method="softplus", torch="torch.nn.functional.softplus(x)",
                      words="softplus smooths relu"))

    A name already in :data:`RULES` is a ValueError unless ``replace=True``.
    """
    if not isinstance(row, Rule):
        raise TypeError(f"register: row must be a Rule made with rules.rule(...), got {type(row).__name__}")
    if row.name in RULES and not replace:
        raise ValueError(f"register: a rule named {row.name!r} exists already; pass replace=True to replace it")
    if row.method and not row.grads:
        raise ValueError(f"register: rule {row.name!r} names methods ({row.method}) but has no formula "
                         "text to compile them from; make it with rules.rule(...)")
    unknown = sorted(_backend_names(row) - set(vars(FLOAT_MATH)))
    if unknown:
        raise ValueError(f"register: rule {row.name!r} uses m.{', m.'.join(unknown)}, which not every "
                         f"backend has; use {', '.join(sorted(vars(FLOAT_MATH)))}")
    for name in row.methods:
        if not name.isidentifier():
            raise ValueError(f"register: rule {row.name!r}: method name {name!r} is not an identifier")
    for callback in _ON_REGISTER:  # first, so a refused method name leaves RULES as it was
        callback(row)
    RULES[row.name] = row
    return row


def _backend_names(row: Rule) -> set[str]:
    """The ``m.<name>`` functions the formulas of ``row`` call."""
    names = set()
    for text in (row.z, *row.grads):
        for node in ast.walk(ast.parse(text or "0", mode="eval")):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "m":
                names.add(node.attr)
    return names


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
    if lg is None or getattr(lg, "__rule__", None) is not rule:  # a rule replaced in RULES at run time is recompiled
        grads = [ast.unparse(_CompareToCall().visit(ast.parse(g, mode="eval"))) for g in rule.grads]
        source = (f"def {rule.name}_local_gradients(m, z, {', '.join(rule.args)}):\n"
                  f"    return ({', '.join(grads)},)\n")
        namespace: dict = {}
        exec(compile(source, f"<rule {rule.name} local gradients>", "exec"), namespace)
        lg = namespace[f"{rule.name}_local_gradients"]
        lg.__rule__ = rule  # type: ignore[attr-defined]
        _LOCAL_GRADS[rule.name] = lg
    return lg
