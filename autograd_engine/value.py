"""``Value``: a scalar that records the computation graph it came from.

Each op looks up its rule in :mod:`autograd_engine.rules`, evaluates the forward value and
the local gradients ∂z/∂x as plain floats, and stores them on the new node.  Nothing else is
stored: no closure, no reference from a parent to its children, so a graph holds no reference
cycle and is freed by reference counting the moment its root goes.

Node layout (``__slots__`` and an empty ``__dict__`` slot for a user's own attributes; 104
bytes a node with the float it holds, the dict made only when one is set):

=================  ==========================================================================
``data``, ``grad``  the forward value and ∂L/∂(this node)
``op``, ``label``   the rule's name ("" for a leaf) and a name for pictures
``_a``, ``_da``     first operand (a Value) and its local gradient ∂z/∂a
``_b``, ``_db``     second operand: a Value with its local gradient, or a plain number with
                    ``_db = None`` (``2 * v`` makes no node for the 2)
n-ary               ``_a`` tuple of Value parents, ``_da`` their local gradients,
                    ``_b`` the rule's operands as given, ``_db = None`` (sum, dot, apply)
leaf                ``_a = None``
=================  ==========================================================================
"""

from __future__ import annotations

import linecache
import math
import operator
from numbers import Real
from types import MappingProxyType, SimpleNamespace
from typing import Callable, Iterable, Mapping, Union

from . import _value_ops, backprop, rules
from ._value_ops import RuleMethods
from .checks import short as _short
from .grad_mode import is_grad_enabled
from .rules import FLOAT_MATH as _M
from .rules import RULES, Rule

Number = Union[int, float]
_INF = math.inf
_FAILURES = _value_ops._FAILURES  # what math raises for a domain or overflow

_new = object.__new__


class Value(RuleMethods):
    """A scalar node of a computation graph.

    ``Value(data, label="")`` makes a leaf.  Arithmetic with Values or plain numbers on either
    side (``a * b``, ``2 * a``, ``1 - a``, ``a ** 2``, ``2 ** a``) and the methods ``exp log sqrt sin cos
    tanh sigmoid relu leaky_relu max min abs`` make new nodes; ``backward()`` fills every ``.grad``.

    ``bool`` operands count as the numbers 1 and 0, as in PyTorch (``True * v`` is ``v``).
    Non-finite data (nan, ±inf) is refused: it could only produce silent NaN gradients.

    The op methods (``__mul__``, ``tanh``, ...) are generated from the rule table into
    ``_value_ops.py`` (inherited from ``RuleMethods``); a rule added with ``rules.register``
    gets its methods here at run time.
    """

    # "__dict__": a user's own attributes (micrograd ports keep optimizer state, p.m and p.v,
    # or a colour for their pictures, on the Value); the dict is made only when one is set
    __slots__ = ("data", "grad", "label", "op", "_a", "_b", "_da", "_db", "__dict__")
    __array_ufunc__ = None  # numpy defers to our __radd__ etc., which refuse arrays clearly

    def __init__(self, data: Number | Real, label: str = "") -> None:
        if data.__class__ is not float or not -_INF < data < _INF:
            data = _to_float(data, "Value", None)
        if label.__class__ is not str:
            raise TypeError(f"Value: label must be a str, got {type(label).__name__} {label!r}")
        self.data = data
        self.grad = 0.0
        self.label = label
        self.op = ""
        self._a = self._b = self._da = self._db = None

    # ---- the graph, read-only -------------------------------------------------------------
    @property
    def parents(self) -> tuple[Value, ...]:
        """The Values this node was computed from (plain-number operands are not nodes)."""
        a = self._a
        if a is None:
            return ()
        if a.__class__ is tuple:
            return a
        return (a,) if self._db is None else (a, self._b)

    @property
    def local_grads(self) -> tuple[float, ...]:
        """∂self/∂parent for each of ``parents``, computed at forward time."""
        a = self._a
        if a is None:
            return ()
        if a.__class__ is tuple:
            return self._da
        return (self._da,) if self._db is None else (self._da, self._db)

    @property
    def operands(self) -> tuple:
        """The arguments the rule was applied to, Values and plain numbers, in order
        (``RULES[v.op].fn(m, *v.operands)`` recomputes the node); ``()`` for a leaf."""
        if self._a is None:
            return ()
        if self._a.__class__ is tuple:
            return self._b
        return (self._a,) if self._b is None else (self._a, self._b)

    @property
    def rule(self) -> Rule | None:
        """The gradient-flow rule that made this node (None for a leaf)."""
        return RULES.get(self.op) if self._a is not None else None

    @property
    def _prev(self) -> set[Value]:
        """micrograd's name for the parents, as a set (micrograd's and the lecture's drawing
        code read ``_prev`` and ``_op``); read-only here: the graph is fixed once built."""
        return set(self.parents)

    @property
    def _op(self) -> str:
        """micrograd's op text: the rule's symbol ("+", "×", "tanh", ...), "" for a leaf."""
        rule = self.rule
        return rule.symbol if rule is not None else ""

    def is_leaf(self) -> bool:
        """True for a Value with no recorded parents: made by the user, by ``detach()`` or
        under ``no_grad()``.  Leaves accumulate ``.grad`` across ``backward()`` calls."""
        return self._a is None

    def nodes(self) -> list[Value]:
        """Every Value this one depends on, itself last, each after all of its parents
        (a topological order, computed without recursion)."""
        return backprop.topological_order(self)

    def backward(self, grad: Number = 1.0) -> None:
        """Reverse-mode differentiation: ``.grad`` of every node becomes ∂self/∂node · grad.

        Visits the graph in reverse topological order; each node sends ∂L/∂z · ∂z/∂x to each
        parent x, and gradients add where a Value is used more than once (the multiple-output
        rule of *Chapter 6: The Backprop Algorithm*, ∂L/∂a = Σₖ ∂L/∂yₖ · ∂yₖ/∂a).

        Across calls: **leaves accumulate** (two calls give exactly twice the leaf grads, as in
        PyTorch; zero them with ``zero_grad(root)``), while interior nodes are recomputed from
        zero in every call (micrograd adds them again, giving 3x on the second call).
        """
        backprop.backward(self, grad)

    def _backward(self) -> None:
        """micrograd's step for one node, as Karpathy's lecture calls it by hand
        (``o.grad = 1.0; o._backward(); n._backward(); …``): send this node's gradient to each
        parent once,

            parent.grad += ∂self/∂parent · self.grad,

        one chain-rule term per edge, as the lecture's closure does (a Value used twice,
        ``x * x``, is two edges, so two terms).  Call it on a node after all of its children,
        each node once; ``backward()`` does exactly this for every node in reverse topological
        order, and ``backward_steps`` shows it one edge at a time.  A leaf has no edges: nothing
        happens.  A sum that overflows float64 is a ValueError and no ``.grad`` is changed."""
        g = self.grad
        sums: dict[Value, float] = {}
        for p, local in zip(self.parents, self.local_grads):  # a parent used twice gets both terms
            sums[p] = sums.get(p, p.grad) + local * g
        for total in sums.values():
            if total - total:  # inf or nan
                raise ValueError(f"_backward: the gradient sent to a parent of {self!r} is {total!r} "
                                 "(overflowed float64); no .grad was changed")
        for p, total in sums.items():
            p.grad = total

    def detach(self) -> Value:
        """A new leaf with the same data, cut off from this graph (no gradient flows back)."""
        return Value(self.data, self.label)

    # ---- arithmetic and functions: methods generated from the rule table (_value_ops.py) ----
    def __pos__(self):
        return self

    def __pow__(self, other, modulo=None):
        """x ** n for a number n (n·x^(n−1)), or x ** y for a Value y (also z·ln x to y)."""
        if modulo is not None:
            raise TypeError("pow: a modulo argument is not supported for Values")
        if isinstance(other, Value):
            return self._vpow(other)
        return self._pow(other)

    def leaky_relu(self, slope: Number = 0.01) -> Value:
        """x for x > 0, slope·x otherwise; ∂z/∂x = 1 or slope (slope at x = 0)."""
        return self._leaky_relu(slope)

    def apply(self, op: str, *others) -> Value:
        """``RULES[op]`` (looked up now) applied to this Value and ``others`` (Values or
        numbers): the generic path for any rule, including one added to ``RULES`` at run time.
        Operands past the rule's local gradients must be plain numbers."""
        rule = RULES.get(op)
        if rule is None:
            raise ValueError(f"apply: no rule named {op!r} in RULES")
        operands = (self, *others)
        data = [_data_of(x, op) for x in operands]
        try:
            z, *local = rule.fn(_M, *data)
        except _FAILURES as e:
            raise _domain_error(op, operands, e) from None
        if not all(-_INF < d < _INF for d in (z, *local)):
            raise _domain_error(op, operands, None)
        for i, x in enumerate(operands[len(local):], len(local)):
            if isinstance(x, Value):
                raise TypeError(f"{op}: operand {i} must be a plain number (no gradient flows to it)")
        parents = tuple((x, d) for x, d in zip(operands, local) if isinstance(x, Value))
        return _node(op, z, tuple(p for p, _ in parents), tuple(d for _, d in parents), operands)

    @staticmethod
    def sum(values: Iterable) -> Value:
        """Σ xᵢ as one node (∂z/∂xᵢ = 1), however many inputs: no 2n-deep chain of adds."""
        xs = _sequence(values, "sum", "values")
        xd = [x.data if x.__class__ is Value else _data_of(x, "sum") for x in xs]  # no call per Value
        return _nary("sum", (xs,), (xd,))

    @staticmethod
    def dot(ws: Iterable, xs: Iterable) -> Value:
        """Σ wᵢ·xᵢ as one node: ∂z/∂wᵢ = xᵢ and ∂z/∂xᵢ = wᵢ (multiply swaps, add distributes)."""
        ws, xs = _sequence(ws, "dot", "ws"), _sequence(xs, "dot", "xs")
        if len(ws) != len(xs):
            raise ValueError(f"dot: the two sequences differ in length ({len(ws)} and {len(xs)})")
        wd = [w.data if w.__class__ is Value else _data_of(w, "dot") for w in ws]
        xd = [x.data if x.__class__ is Value else _data_of(x, "dot") for x in xs]
        return _nary("dot", (ws, xs), (wd, xd))

    # ---- display --------------------------------------------------------------------------
    def __repr__(self) -> str:
        extra = f", label={self.label!r}" if self.label else ""
        if self.op:
            extra += f", op={self.op!r}"
        return f"Value(data={self.data!r}, grad={self.grad!r}{extra})"

    def __format__(self, spec: str) -> str:
        return format(self.data, spec) if spec else repr(self)

    def _repr_mimebundle_(self, include=None, exclude=None):
        """Jupyter shows a Value as the picture of its graph (needs the ``[viz]`` extra)."""
        from .teach.viz import repr_mimebundle

        return repr_mimebundle(self, include, exclude)


def _node(op: str, z: float, parents: tuple, grads: tuple, operands: tuple) -> Value:
    """A node in the n-ary layout (``_a`` parents, ``_da`` their local gradients, ``_b`` the
    operands as given), or a value with no graph under ``no_grad()``."""
    v = _new(Value)
    v.data, v.grad, v.label, v.op = z, 0.0, "", op
    if is_grad_enabled():
        v._a, v._da, v._b, v._db = parents, grads, operands, None
    else:
        v._a = v._da = v._b = v._db = None
    return v


_JUST_VALUE = {Value}


def _nary(op: str, operands: tuple, data: tuple) -> Value:
    """sum / dot: one node whose parents are the Value operands, in order."""
    z, *local = RULES[op].fn(_M, *data)
    if not -_INF < z < _INF:
        raise ValueError(f"{op}: the result over {len(operands[0])} operands overflows to {z}")
    parents, grads = [], []
    for seq, ds in zip(operands, local):
        if set(map(type, seq)) <= _JUST_VALUE:  # all Values (a neuron's weights): no test per item
            parents += seq
            grads += ds
            continue
        for p, d in zip(seq, ds):
            if isinstance(p, Value):
                parents.append(p)
                grads.append(d)
    return _node(op, z, tuple(parents), tuple(grads), operands)


# ---- operands and errors -------------------------------------------------------------------
def _sequence(xs, op: str, what: str) -> tuple:
    if isinstance(xs, (Value, str, bytes)) or not hasattr(xs, "__iter__"):
        raise TypeError(f"{op}: {what} must be an iterable of Values and numbers, not a value {_kind(xs)}")
    return tuple(xs)


def _operand(y, op: str, x: object) -> tuple[float, type]:
    """The second operand of a binary op when it is neither a Value nor a float/int: a Value
    subclass, a bool or another real number (numpy.float64, Fraction, ...), or an error."""
    if isinstance(y, Value):
        return y.data, Value
    return _to_float(y, op, x), float


def _data_of(x, op: str) -> float:
    if isinstance(x, Value):
        return x.data
    return _to_float(x, op, None)


def _to_float(y, op: str, x: object) -> float:
    """A plain number as a finite float, or a TypeError/ValueError that names the op."""
    if isinstance(y, Real) and not isinstance(y, Value):
        try:
            f = float(y)
        except OverflowError:
            raise ValueError(f"{op}: the number {_short(y)} is too large for a float") from None
        if -_INF < f < _INF:
            return f
        raise ValueError(f"{op}: operand {y!r} is not finite; Values hold finite numbers only")
    raise TypeError(f"{op}: unsupported operand {_kind(y)}{' with ' + _show(x) if x is not None else ''}; "
                    f"{_hint(y)}")


def _kind(y) -> str:
    t = type(y)
    name = t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"
    try:
        text = repr(y)
    except ValueError:  # a list holding a 5,000-digit int: its repr is refused, the type is enough
        text = "…" * 41
    return f"of type {name!r}" + (f" ({text})" if len(text) <= 40 else "")


def _hint(y) -> str:
    if y is None:
        return "got None: is a variable unset?"
    if isinstance(y, (str, bytes)):
        return "Values combine with numbers and Values: convert text with float(...)"
    if isinstance(y, Value):
        return "a Value holds a number: use v.data or v.detach()"
    if type(y).__module__ == "numpy":
        return ("Value is a scalar: combine one Value per element, float(x) for a numpy "
                "scalar, or autograd_engine's compiled tape for whole arrays")
    if isinstance(y, (list, tuple, set, dict, range)) or hasattr(y, "__iter__"):
        return ("Value is a scalar: operate element by element, or use Value.sum(values) / "
                "Value.dot(ws, xs) for many Values at once")
    if isinstance(y, complex):
        return "Values are real numbers"
    return "Values combine with int, float and Value operands"


def _show(x) -> str:
    if isinstance(x, Value):
        name = f", label={x.label!r}" if x.label else ""
        return f"Value(data={x.data!r}{name})"
    return repr(x)


def _domain_error(op: str, operands: tuple, cause: BaseException | None) -> ValueError:
    rule = RULES[op]
    what = ", ".join(_show(x) for x in operands)
    need = rule.domain or "a finite result"
    if cause is None:
        why = " (the value or its local gradient is not a finite float)"
    else:
        why = f" ({type(cause).__name__}: {cause})"
    return ValueError(f"{op}({what}): {op} needs {need}{why}")


def zero_grad(*roots: Value) -> None:
    """Set ``.grad = 0.0`` on every leaf of the graphs of ``roots`` (between backward calls,
    since leaves accumulate)."""
    for i, root in enumerate(roots):
        if not isinstance(root, Value):
            raise TypeError(f"zero_grad: argument {i} must be a Value (a root of a graph), got {_kind(root)}")
        for v in backprop.topological_order(root):
            if v._a is None:
                v.grad = 0.0


# ---- the Value backend: the rule table's formulas over Values -----------------------------
def _unary(method: str, fallback: Callable) -> Callable:
    def f(x):
        return getattr(x, method)() if isinstance(x, Value) else fallback(x)

    f.__name__ = method
    return f


def _value_pow(x, n):
    """x ** n for Values and numbers; x ** 0 is the constant 1 and x ** 1 is x itself, so
    differentiating n·x^(n−1) again never asks for 0 ** −1 (PyTorch masks the same case)."""
    if isinstance(n, Value):
        return x ** n if isinstance(x, Value) else n.__rpow__(x)
    if isinstance(x, Value):
        return 1.0 if n == 0 else (x if n == 1 else x._pow(n))
    return _M.pow(x, n)


def _value_compare(op: str, a, b) -> float:
    """A comparison in a local-gradient formula, on the numbers: 1.0 or 0.0, a constant."""
    a = a.data if isinstance(a, Value) else a
    b = b.data if isinstance(b, Value) else b
    return float(_COMPARE[op](a, b))


def _value_sum(xs):
    return Value.sum(xs) if any(isinstance(x, Value) for x in xs) else _M.sum(xs)


def _value_dot(ws, xs):
    values = any(isinstance(x, Value) for x in (*ws, *xs))
    return Value.dot(ws, xs) if values else _M.dot(ws, xs)


def _value_extreme(method: str, fallback: Callable) -> Callable:
    def f(x, y):
        if isinstance(x, Value):
            return getattr(x, method)(y)
        return getattr(y, method)(x) if isinstance(y, Value) else fallback(x, y)

    return f


_COMPARE = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le,
            "==": operator.eq, "!=": operator.ne}

VALUE_MATH = SimpleNamespace(
    exp=_unary("exp", _M.exp), log=_unary("log", _M.log), tanh=_unary("tanh", _M.tanh),
    sigmoid=_unary("sigmoid", _M.sigmoid), sqrt=_unary("sqrt", _M.sqrt),
    sin=_unary("sin", _M.sin), cos=_unary("cos", _M.cos),
    sign=lambda x: _M.sign(x.data if isinstance(x, Value) else x),  # piecewise constant: (sign x)' = 0
    pow=_value_pow, maximum=_value_extreme("max", max), minimum=_value_extreme("min", min),
    where=lambda c, a, b: a if c else b, compare=_value_compare, sum=_value_sum, dot=_value_dot,
)
"""The third backend of the rule table, beside floats and NumPy arrays: the same names over
Values, so a local gradient ∂z/∂x is itself a node of a graph and can be differentiated again
(``rules.local_gradients``).  Comparisons give constants, so the local gradient of a switch
(relu, abs, max, min, leaky_relu) is piecewise constant: relu″ = |x|″ = 0, and max/min pass a
constant 1, 0 or ½ (the tie split) whose own derivative is 0."""


def as_value(x, label: str = "") -> Value:
    """``x`` itself if it is a Value, otherwise a new leaf ``Value(x, label)``."""
    return x if isinstance(x, Value) else Value(x, label)


# ---- the generated methods: their names from value.py, and methods for run-time rules -----
vars(_value_ops).update(Value=Value, _domain_error=_domain_error, _operand=_operand, _to_float=_to_float)

_RULE_METHODS: dict[str, str] = {name: r.name for r in rules.TABLE for name in r.methods}  # method -> rule


def _add_methods(rule: Rule) -> None:
    """Compile and attach the float methods of a rule added with ``rules.register``."""
    names = rule.methods
    if not names:
        return
    for name in names:
        owner = _RULE_METHODS.get(name)
        if owner is None and hasattr(Value, name):
            raise ValueError(f"register: rule {rule.name!r}: Value already has {name!r}, which no rule "
                             "made; choose another method name")
        if owner is not None and owner != rule.name:
            raise ValueError(f"register: rule {rule.name!r}: Value.{name} applies rule {owner!r}; "
                             "choose another method name")
    from ._codegen import method_source  # only for run-time rules: importing value stays lean

    source = method_source(rule, names[0])
    filename = f"<autograd_engine rule {rule.name!r}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)  # inspect, tracebacks
    namespace = dict(vars(_value_ops))
    exec(compile(source, filename, "exec"), namespace)
    for name in names:
        setattr(Value, name, namespace[names[0]])
        _RULE_METHODS[name] = rule.name


rules.on_register(_add_methods)


def __getattr__(name: str) -> Mapping[str, tuple[str, ...]]:
    if name == "METHODS":  # the old per-op table, now read from the rules' own ``method``
        return MappingProxyType({r.name: r.methods for r in RULES.values() if r.methods})
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
