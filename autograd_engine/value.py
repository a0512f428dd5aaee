"""``Value``: a scalar that records the computation graph it came from.

Each op looks up its rule in :mod:`autograd_engine.rules`, evaluates the forward value and
the local gradients ∂z/∂x as plain floats, and stores them on the new node.  Nothing else is
stored: no closure, no reference from a parent to its children, so a graph holds no reference
cycle and is freed by reference counting the moment its root goes.

Node layout (``__slots__``; 96 bytes a node with the float it holds):

=================  ==========================================================================
``data``, ``grad``  the forward value and ∂L/∂(this node)
``op``, ``label``   the rule's name ("" for a leaf) and a name for pictures
``_a``, ``_da``     first operand (a Value) and its local gradient ∂z/∂a
``_b``, ``_db``     second operand: a Value with its local gradient, or a plain number with
                    ``_db = None`` (``2 * v`` makes no node for the 2)
n-ary (sum, dot)    ``_a`` tuple of Value parents, ``_da`` their local gradients,
                    ``_b`` the rule's operands as given, ``_db = None``
leaf                ``_a = None``
=================  ==========================================================================
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Iterable, Union

from . import backprop
from .grad_mode import is_grad_enabled
from .rules import FLOAT_MATH as _M
from .rules import RULES, Rule

Number = Union[int, float]
_INF = math.inf
_FAILURES = (ArithmeticError, ValueError, TypeError)  # what math raises for a domain or overflow

_new = object.__new__


def _node(op: str, z: float, a, da, b, db) -> Value:
    """A new node holding z and, unless under no_grad(), its operands and local gradients."""
    v = _new(Value)
    v.data, v.grad, v.label, v.op = z, 0.0, "", op
    if is_grad_enabled():
        v._a, v._da, v._b, v._db = a, da, b, db
    else:  # under no_grad(): a value with its op's name but no graph behind it
        v._a = v._b = v._da = v._db = None
    return v


def _binary(op: str, doc: str = ""):
    """The method ``x op y`` for a Value x and a Value or plain number y (then only x gets a
    gradient: ``2 * v`` makes one node, not a node for the 2)."""
    fn = RULES[op].fn

    def method(x: Value, y) -> Value:
        yc = y.__class__
        if yc is Value:
            yd = y.data
        elif yc is float or yc is int:
            yd = y
        elif isinstance(y, Value):
            yd, yc = y.data, Value
        else:
            yd = _to_float(y, op, x)
        try:
            z, dx, dy = fn(_M, x.data, yd)
        except _FAILURES as e:
            raise _domain_error(op, (x, y), e) from None
        if not (-_INF < z < _INF and -_INF < dx < _INF and -_INF < dy < _INF):
            raise _domain_error(op, (x, y), None)
        if yc is Value:
            return _node(op, z, x, dx, y, dy)
        return _node(op, z, x, dx, yd, None)

    method.__name__, method.__doc__ = op, doc or f"z = {op}(x, y)  (rule {op!r} in RULES)"
    return method


def _with_number(op: str):
    """The method for an op of one Value and one plain number: ``k - x``, ``x ** n``, ..."""
    fn = RULES[op].fn

    def method(x: Value, k) -> Value:
        kc = k.__class__
        if kc is not float and kc is not int:
            k = _to_float(k, op, x)
        try:
            z, dx = fn(_M, x.data, k)
        except _FAILURES as e:
            raise _domain_error(op, (x, k), e) from None
        if not (-_INF < z < _INF and -_INF < dx < _INF):
            raise _domain_error(op, (x, k), None)
        return _node(op, z, x, dx, k, None)

    method.__name__, method.__doc__ = op, f"z = {op}(x, k) for a number k (rule {op!r} in RULES)"
    return method


def _unary(op: str, doc: str = ""):
    """The method for a one-input op: ``x.exp()``, ``-x``, ..."""
    fn = RULES[op].fn

    def method(x: Value) -> Value:
        try:
            z, dx = fn(_M, x.data)
        except _FAILURES as e:
            raise _domain_error(op, (x,), e) from None
        if not -_INF < dx < _INF:  # e.g. log'(x) = 1/x at x = 1e-310
            raise _domain_error(op, (x,), None)
        return _node(op, z, x, dx, None, None)

    method.__name__, method.__doc__ = op, doc or f"z = {op}(x)  (rule {op!r} in RULES)"
    return method


_vpow = _binary("vpow")  # x ** y, both Values
_pow = _with_number("pow")  # x ** n, n a number


class Value:
    """A scalar node of a computation graph.

    ``Value(data, label="")`` makes a leaf.  Arithmetic with Values or plain numbers on either
    side (``a * b``, ``2 * a``, ``1 - a``, ``a ** 2``, ``2 ** a``) and the methods ``exp log tanh
    sigmoid relu leaky_relu max min abs`` make new nodes; ``backward()`` fills every ``.grad``.

    ``bool`` operands count as the numbers 1 and 0, as in PyTorch (``True * v`` is ``v``).
    Non-finite data (nan, ±inf) is refused: it could only produce silent NaN gradients.
    """

    __slots__ = ("data", "grad", "label", "op", "_a", "_b", "_da", "_db")
    __array_ufunc__ = None  # numpy defers to our __radd__ etc., which refuse arrays clearly

    def __init__(self, data: Number, label: str = "") -> None:
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
        parent x, and gradients add where a Value is used more than once (seed 000: the
        multiple-output rule ∂L/∂a = Σₖ ∂L/∂yₖ · ∂yₖ/∂a).

        Across calls: **leaves accumulate** (two calls give exactly twice the leaf grads, as in
        PyTorch; zero them with ``zero_grad(root)``), while interior nodes are recomputed from
        zero in every call (micrograd adds them again, giving 3x on the second call).
        """
        backprop.backward(self, grad)

    def detach(self) -> Value:
        """A new leaf with the same data, cut off from this graph (no gradient flows back)."""
        return Value(self.data, self.label)

    # ---- arithmetic -----------------------------------------------------------------------
    # Each op method is made from its rule by _binary/_with_number/_unary below.
    __add__ = __radd__ = _binary("add")
    __sub__ = _binary("sub")
    __rsub__ = _with_number("rsub")  # k - x
    __mul__ = __rmul__ = _binary("mul")
    __truediv__ = _binary("div")
    __rtruediv__ = _with_number("rdiv")  # k / x
    __neg__ = _unary("neg")

    def __pos__(self):
        return self

    def __pow__(self, other, modulo=None):
        if modulo is not None:
            raise TypeError("pow: a modulo argument is not supported for Values")
        if isinstance(other, Value):
            return _vpow(self, other)
        return _pow(self, other)

    __rpow__ = _with_number("rpow")  # a ** x

    # ---- functions ------------------------------------------------------------------------
    exp = _unary("exp", "e^x; ∂z/∂x = z.")
    log = _unary("log", "ln x (x > 0); ∂z/∂x = 1/x.")
    tanh = _unary("tanh", "tanh x; ∂z/∂x = 1 − z².")
    sigmoid = _unary("sigmoid", "σ(x) = 1/(1+e^(−x)), stable at ±1000; ∂z/∂x = z(1 − z).")
    relu = _unary("relu", "max(x, 0); ∂z/∂x = 1 for x > 0, else 0 (0 at x = 0, as PyTorch).")
    abs = __abs__ = _unary("abs", "|x|; ∂z/∂x = sign(x), taken as 0 at x = 0 (as PyTorch).")
    max = _binary("max", "max(x, y) is a switch: the larger input gets ∂L/∂z; a tie splits it 0.5/0.5.")
    min = _binary("min", "min(x, y): the smaller input gets ∂L/∂z; a tie splits it 0.5/0.5.")
    _lrelu = _with_number("leaky_relu")

    def leaky_relu(self, slope: Number = 0.01) -> Value:
        """x for x > 0, slope·x otherwise; ∂z/∂x = 1 or slope (slope at x = 0)."""
        return self._lrelu(slope)

    @staticmethod
    def sum(values: Iterable) -> Value:
        """Σ xᵢ as one node (∂z/∂xᵢ = 1), however many inputs: no 2n-deep chain of adds."""
        xs = tuple(values)
        xd = [_data_of(x, "sum") for x in xs]
        return _nary("sum", (xs,), (xd,))

    @staticmethod
    def dot(ws: Iterable, xs: Iterable) -> Value:
        """Σ wᵢ·xᵢ as one node: ∂z/∂wᵢ = xᵢ and ∂z/∂xᵢ = wᵢ (multiply swaps, add distributes)."""
        ws, xs = tuple(ws), tuple(xs)
        if len(ws) != len(xs):
            raise ValueError(f"dot: the two sequences differ in length ({len(ws)} and {len(xs)})")
        wd = [_data_of(w, "dot") for w in ws]
        xd = [_data_of(x, "dot") for x in xs]
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
        from .viz import repr_mimebundle

        return repr_mimebundle(self, include, exclude)




def _nary(op: str, operands: tuple, data: tuple) -> Value:
    """sum / dot: one node whose parents are the Value operands, in order."""
    z, *local = RULES[op].fn(_M, *data)
    if not -_INF < z < _INF:
        raise ValueError(f"{op}: the result over {len(operands[0])} operands overflows to {z}")
    parents, grads = [], []
    for seq, ds in zip(operands, local):
        for p, d in zip(seq, ds):
            if isinstance(p, Value):
                parents.append(p)
                grads.append(d)
    return _node(op, z, tuple(parents), tuple(grads), operands, None)


# ---- operands and errors -------------------------------------------------------------------
def _data_of(x, op: str) -> float:
    if isinstance(x, Value):
        return x.data
    return _to_float(x, op, None)


def _to_float(y, op: str, x: Value | None) -> float:
    """A plain number as a finite float, or a TypeError/ValueError that names the op."""
    if isinstance(y, Real) and not isinstance(y, Value):
        try:
            f = float(y)
        except OverflowError:
            raise ValueError(f"{op}: the number {y!r} is too large for a float") from None
        if -_INF < f < _INF:
            return f
        raise ValueError(f"{op}: operand {y!r} is not finite; Values hold finite numbers only")
    raise TypeError(f"{op}: unsupported operand {_kind(y)}{' with ' + _show(x) if x is not None else ''}; "
                    f"{_hint(y)}")


def _kind(y) -> str:
    t = type(y)
    name = t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"
    text = repr(y)
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
    for root in roots:
        for v in backprop.topological_order(root):
            if v._a is None:
                v.grad = 0.0


def as_value(x, label: str = "") -> Value:
    """``x`` itself if it is a Value, otherwise a new leaf ``Value(x, label)``."""
    return x if isinstance(x, Value) else Value(x, label)

