"""The float methods of ``Value``, one per rule of ``rules.TABLE``: GENERATED, do not edit.

Written by ``python -m autograd_engine._codegen`` from the rule table (a test fails when this
file is stale).  Each method inlines its rule's formulas between the same lines of bookkeeping;
``Value`` inherits them from :class:`RuleMethods`.  Names the methods need from ``value.py``
(``Value`` and its operand checks) are bound there, once ``Value`` exists.
"""

# fmt: off
# ruff: noqa
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from .grad_mode import is_grad_enabled as _recording
from .rules import FLOAT_MATH as m

if TYPE_CHECKING:
    from .value import Value, _domain_error, _operand, _to_float

_new = object.__new__
_INF = math.inf
_FAILURES = (ArithmeticError, ValueError, TypeError)  # what math raises for a domain or overflow


class RuleMethods:
    """The methods compiled from the rule table; ``Value`` is the one class that inherits them."""

    __slots__ = ()
    # Value's slots, declared for the methods below (see the node layout in value.py)
    data: float
    grad: float
    label: str
    op: str
    _a: Any
    _da: Any
    _b: Any
    _db: Any

    def __add__(_X, _Y: Value | float) -> Value:
        """z = x + y;  ∂z/∂x = 1.0, ∂z/∂y = 1.0  (rule 'add' in rules.RULES)"""
        x = _X.data
        _c = _Y.__class__
        if _c is Value:
            y = _Y.data  # type: ignore[union-attr]
        elif _c is float and _Y - _Y == 0.0:
            y = _Y  # type: ignore[assignment]
        else:  # an int, a non-finite float, another kind of number, or an error
            y, _c = _operand(_Y, 'add', _X)
        try:
            z = x + y
            _d0 = 1.0
            _d1 = 1.0
        except _FAILURES as e:
            raise _domain_error('add', (_X, _Y), e) from None
        if z - z:
            raise _domain_error('add', (_X, _Y), None)
        _v = _new(Value)
        _v.data = z
        _v.grad = 0.0
        _v.label = ''
        _v.op = 'add'
        if _recording():
            _v._a = _X
            _v._da = _d0
            if _c is Value:
                _v._b = _Y
                _v._db = _d1
            else:
                _v._b = y
                _v._db = None
        else:  # under no_grad(): the op's name, no graph behind it
            _v._a = _v._da = _v._b = _v._db = None
        return _v
    __radd__ = __add__

    def __sub__(_X, _Y: Value | float) -> Value:
        """z = x - y;  ∂z/∂x = 1.0, ∂z/∂y = -1.0  (rule 'sub' in rules.RULES)"""
        x = _X.data
        _c = _Y.__class__
        if _c is Value:
            y = _Y.data  # type: ignore[union-attr]
        elif _c is float and _Y - _Y == 0.0:
            y = _Y  # type: ignore[assignment]
        else:  # an int, a non-finite float, another kind of number, or an error
            y, _c = _operand(_Y, 'sub', _X)
        try:
            z = x - y
            _d0 = 1.0
            _d1 = -1.0
        except _FAILURES as e:
            raise _domain_error('sub', (_X, _Y), e) from None
        if z - z:
            raise _domain_error('sub', (_X, _Y), None)
        _v = _new(Value)
        _v.data = z
        _v.grad = 0.0
        _v.label = ''
        _v.op = 'sub'
        if _recording():
            _v._a = _X
            _v._da = _d0
            if _c is Value:
                _v._b = _Y
                _v._db = _d1
            else:
                _v._b = y
                _v._db = None
        else:  # under no_grad(): the op's name, no graph behind it
            _v._a = _v._da = _v._b = _v._db = None
        return _v

    def __rsub__(_X, k: float) -> Value:
        """z = k - x;  ∂z/∂x = -1.0  (rule 'rsub' in rules.RULES)"""
        if k.__class__ is not float or not -_INF < k < _INF:
            k = _to_float(k, 'rsub', _X)
        x = _X.data
        try:
            z = k - x
            _d0 = -1.0
        except _FAILURES as e:
            raise _domain_error('rsub', (_X, k), e) from None
        if z - z:
            raise _domain_error('rsub', (_X, k), None)
        _v = _new(Value)
        _v.data = z
        _v.grad = 0.0
        _v.label = ''
        _v.op = 'rsub'
        if _recording():
            _v._a = _X
            _v._da = _d0
            _v._b = k
            _v._db = None
        else:  # under no_grad(): the op's name, no graph behind it
            _v._a = _v._da = _v._b = _v._db = None
        return _v

    def __mul__(_X, _Y: Value | float) -> Value:
        """z = x * y;  ∂z/∂x = y, ∂z/∂y = x  (rule 'mul' in rules.RULES)"""
        x = _X.data
        _c = _Y.__class__
        if _c is Value:
            y = _Y.data  # type: ignore[union-attr]
        elif _c is float and _Y - _Y == 0.0:
            y = _Y  # type: ignore[assignment]
        else:  # an int, a non-finite float, another kind of number, or an error
            y, _c = _operand(_Y, 'mul', _X)
        try:
            z = x * y
            _d0 = y
            _d1 = x
        except _FAILURES as e:
            raise _domain_error('mul', (_X, _Y), e) from None
        if z - z:
            raise _domain_error('mul', (_X, _Y), None)
        _v = _new(Value)
        _v.data = z
        _v.grad = 0.0
        _v.label = ''
        _v.op = 'mul'
        if _recording():
            _v._a = _X
            _v._da = _d0
            if _c is Value:
                _v._b = _Y
                _v._db = _d1
            else:
                _v._b = y
                _v._db = None
        else:  # under no_grad(): the op's name, no graph behind it
            _v._a = _v._da = _v._b = _v._db = None
        return _v
    __rmul__ = __mul__

    def __truediv__(_X, _Y: Value | float) -> Value:
        """z = x / y;  ∂z/∂x = 1.0 / y, ∂z/∂y = -z / y  (rule 'div' in rules.RULES)"""
        x = _X.data
        _c = _Y.__class__
        if _c is Value:
            y = _Y.data  # type: ignore[union-attr]
        elif _c is float and _Y - _Y == 0.0:
            y = _Y  # type: ignore[assignment]
        else:  # an int, a non-finite float, another kind of number, or an error
            y, _c = _operand(_Y, 'div', _X)
        try:
            z = x / y
            _d0 = 1.0 / y
            _d1 = -z / y
        except _FAILURES as e:
            raise _domain_error('div', (_X, _Y), e) from None
        if z - z or _d0 - _d0 or _d1 - _d1:
            raise _domain_error('div', (_X, _Y), None)
        _v = _new(Value)
        _v.data = z
        _v.grad = 0.0
        _v.label = ''
        _v.op = 'div'
        if _recording():
            _v._a = _X
            _v._da = _d0
            if _c is Value:
                _v._b = _Y
                _v._db = _d1
            else:
                _v._b = y
                _v._db = None
        else:  # under no_grad(): the op's name, no graph behind it
            _v._a = _v._da = _v._b = _v._db = None
        return _v

    def __rtruediv__(_X, k: float) -> Value:
        """z = k / x;  ∂z/∂x = -z / x  (rule 'rdiv' in rules.RULES)"""
        if k.__class__ is not float or not -_INF < k < _INF:
            k = _to_float(k, 'rdiv', _X)
        x = _X.data
        try:
            z = k / x
            _d0 = -z / x
        except _FAILURES as e:
            raise _domain_error('rdiv', (_X, k), e) from None
        if z - z or _d0 - _d0:
            raise _domain_error('rdiv', (_X, k), None)
        _v = _new(Value)
        _v.data = z
        _v.grad = 0.0
        _v.label = ''
        _v.op = 'rdiv'
        if _recording():
            _v._a = _X
            _v._da = _d0
            _v._b = k
            _v._db = None
        else:  # under no_grad(): the op's name, no graph behind it
            _v._a = _v._da = _v._b = _v._db = None
        return _v

    def __neg__(_X) -> Value:
        """z = -x;  ∂z/∂x = -1.0  (rule 'neg' in rules.RULES)"""
        x = _X.data
        try:
            z = -x
            _d0 = -1.0
        except _FAILURES as e:
            raise _domain_error('neg', (_X,), e) from None
        _v = _new(Value)
        _v.data = z
        _v.grad = 0.0
        _v.label = ''
        _v.op = 'neg'
        if _recording():
            _v._a = _X
            _v._da = _d0
            _v._b = _v._db = None
        else:  # under no_grad(): the op's name, no graph behind it
            _v._a = _v._da = _v._b = _v._db = None
        return _v

    def _pow(_X, n: float) -> Value:
        """z = m.pow(x, n);  ∂z/∂x = n * m.pow(x, m.where(n == 0, 1.0, n - 1))  (rule 'pow' in rules.RULES)"""
        if n.__class__ is not float or not -_INF < n < _INF:
            n = _to_float(n, 'pow', _X)
        x = _X.data
        try:
            z = m.pow(x, n)
            _d0 = n * m.pow(x, 1.0 if n == 0 else n - 1)
        except _FAILURES as e:
            raise _domain_error('pow', (_X, n), e) from None
        if z - z or _d0 - _d0:
            raise _domain_error('pow', (_X, n), None)
        _v = _new(Value)
        _v.data = z
        _v.grad = 0.0
        _v.label = ''
        _v.op = 'pow'
        if _recording():
            _v._a = _X
            _v._da = _d0
            _v._b = n
            _v._db = None
        else:  # under no_grad(): the op's name, no graph behind it
            _v._a = _v._da = _v._b = _v._db = None
        return _v

    def __rpow__(_X, a: float) -> Value:
        """z = m.pow(a, x);  ∂z/∂x = z * m.log(m.where(a == 0, 1.0, a))  (rule 'rpow' in rules.RULES)"""
        if a.__class__ is not float or not -_INF < a < _INF:
            a = _to_float(a, 'rpow', _X)
        x = _X.data
        try:
            z = m.pow(a, x)
            _d0 = z * m.log(1.0 if a == 0 else a)
        except _FAILURES as e:
            raise _domain_error('rpow', (_X, a), e) from None
        if z - z or _d0 - _d0:
            raise _domain_error('rpow', (_X, a), None)
        _v = _new(Value)
        _v.data = z
        _v.grad = 0.0
        _v.label = ''
        _v.op = 'rpow'
        if _recording():
            _v._a = _X
            _v._da = _d0
            _v._b = a
            _v._db = None
        else:  # under no_grad(): the op's name, no graph behind it
            _v._a = _v._da = _v._b = _v._db = None
        return _v

    def _vpow(_X, _Y: Value | float) -> Value:
        """z = m.pow(x, y);  ∂z/∂x = y * m.pow(x, y - 1), ∂z/∂y = z * m.log(m.where(x == 0, 1.0, x))  (rule 'vpow' in rules.RULES)"""
        x = _X.data
        _c = _Y.__class__
        if _c is Value:
            y = _Y.data  # type: ignore[union-attr]
        elif _c is float and _Y - _Y == 0.0:
            y = _Y  # type: ignore[assignment]
        else:  # an int, a non-finite float, another kind of number, or an error
            y, _c = _operand(_Y, 'vpow', _X)
        try:
            z = m.pow(x, y)
            _d0 = y * m.pow(x, y - 1)
            _d1 = z * m.log(1.0 if x == 0 else x)
        except _FAILURES as e:
            raise _domain_error('vpow', (_X, _Y), e) from None
        if z - z or _d0 - _d0 or _d1 - _d1:
            raise _domain_error('vpow', (_X, _Y), None)
        _v = _new(Value)
        _v.data = z
        _v.grad = 0.0
        _v.label = ''
        _v.op = 'vpow'
        if _recording():
            _v._a = _X
            _v._da = _d0
            if _c is Value:
                _v._b = _Y
                _v._db = _d1
            else:
                _v._b = y
                _v._db = None
        else:  # under no_grad(): the op's name, no graph behind it
            _v._a = _v._da = _v._b = _v._db = None
        return _v

    def exp(_X) -> Value:
        """z = m.exp(x);  ∂z/∂x = z  (rule 'exp' in rules.RULES)"""
        x = _X.data
        try:
            z = m.exp(x)
            _d0 = z
        except _FAILURES as e:
            raise _domain_error('exp', (_X,), e) from None
        if z - z:
            raise _domain_error('exp', (_X,), None)
        _v = _new(Value)
        _v.data = z
        _v.grad = 0.0
        _v.label = ''
        _v.op = 'exp'
        if _recording():
            _v._a = _X
            _v._da = _d0
            _v._b = _v._db = None
        else:  # under no_grad(): the op's name, no graph behind it
            _v._a = _v._da = _v._b = _v._db = None
        return _v

    def log(_X) -> Value:
        """z = m.log(x);  ∂z/∂x = 1.0 / x  (rule 'log' in rules.RULES)"""
        x = _X.data
        try:
            z = m.log(x)
            _d0 = 1.0 / x
        except _FAILURES as e:
            raise _domain_error('log', (_X,), e) from None
        if z - z or _d0 - _d0:
            raise _domain_error('log', (_X,), None)
        _v = _new(Value)
        _v.data = z
        _v.grad = 0.0
        _v.label = ''
        _v.op = 'log'
        if _recording():
            _v._a = _X
            _v._da = _d0
            _v._b = _v._db = None
        else:  # under no_grad(): the op's name, no graph behind it
            _v._a = _v._da = _v._b = _v._db = None
        return _v

    def sqrt(_X) -> Value:
        """z = m.sqrt(x);  ∂z/∂x = 0.5 / z  (rule 'sqrt' in rules.RULES)"""
        x = _X.data
        try:
            z = m.sqrt(x)
            _d0 = 0.5 / z
        except _FAILURES as e:
            raise _domain_error('sqrt', (_X,), e) from None
        if z - z or _d0 - _d0:
            raise _domain_error('sqrt', (_X,), None)
        _v = _new(Value)
        _v.data = z
        _v.grad = 0.0
        _v.label = ''
        _v.op = 'sqrt'
        if _recording():
            _v._a = _X
            _v._da = _d0
            _v._b = _v._db = None
        else:  # under no_grad(): the op's name, no graph behind it
            _v._a = _v._da = _v._b = _v._db = None
        return _v

    def sin(_X) -> Value:
        """z = m.sin(x);  ∂z/∂x = m.cos(x)  (rule 'sin' in rules.RULES)"""
        x = _X.data
        try:
            z = m.sin(x)
            _d0 = m.cos(x)
        except _FAILURES as e:
            raise _domain_error('sin', (_X,), e) from None
        if z - z or _d0 - _d0:
            raise _domain_error('sin', (_X,), None)
        _v = _new(Value)
        _v.data = z
        _v.grad = 0.0
        _v.label = ''
        _v.op = 'sin'
        if _recording():
            _v._a = _X
            _v._da = _d0
            _v._b = _v._db = None
        else:  # under no_grad(): the op's name, no graph behind it
            _v._a = _v._da = _v._b = _v._db = None
        return _v

    def cos(_X) -> Value:
        """z = m.cos(x);  ∂z/∂x = -m.sin(x)  (rule 'cos' in rules.RULES)"""
        x = _X.data
        try:
            z = m.cos(x)
            _d0 = -m.sin(x)
        except _FAILURES as e:
            raise _domain_error('cos', (_X,), e) from None
        if z - z or _d0 - _d0:
            raise _domain_error('cos', (_X,), None)
        _v = _new(Value)
        _v.data = z
        _v.grad = 0.0
        _v.label = ''
        _v.op = 'cos'
        if _recording():
            _v._a = _X
            _v._da = _d0
            _v._b = _v._db = None
        else:  # under no_grad(): the op's name, no graph behind it
            _v._a = _v._da = _v._b = _v._db = None
        return _v

    def tanh(_X) -> Value:
        """z = m.tanh(x);  ∂z/∂x = 1.0 - z * z  (rule 'tanh' in rules.RULES)"""
        x = _X.data
        try:
            z = m.tanh(x)
            _d0 = 1.0 - z * z
        except _FAILURES as e:
            raise _domain_error('tanh', (_X,), e) from None
        if z - z or _d0 - _d0:
            raise _domain_error('tanh', (_X,), None)
        _v = _new(Value)
        _v.data = z
        _v.grad = 0.0
        _v.label = ''
        _v.op = 'tanh'
        if _recording():
            _v._a = _X
            _v._da = _d0
            _v._b = _v._db = None
        else:  # under no_grad(): the op's name, no graph behind it
            _v._a = _v._da = _v._b = _v._db = None
        return _v

    def sigmoid(_X) -> Value:
        """z = m.sigmoid(x);  ∂z/∂x = z * (1.0 - z)  (rule 'sigmoid' in rules.RULES)"""
        x = _X.data
        try:
            z = m.sigmoid(x)
            _d0 = z * (1.0 - z)
        except _FAILURES as e:
            raise _domain_error('sigmoid', (_X,), e) from None
        if z - z or _d0 - _d0:
            raise _domain_error('sigmoid', (_X,), None)
        _v = _new(Value)
        _v.data = z
        _v.grad = 0.0
        _v.label = ''
        _v.op = 'sigmoid'
        if _recording():
            _v._a = _X
            _v._da = _d0
            _v._b = _v._db = None
        else:  # under no_grad(): the op's name, no graph behind it
            _v._a = _v._da = _v._b = _v._db = None
        return _v

    def relu(_X) -> Value:
        """z = m.where(x > 0.0, x, 0.0);  ∂z/∂x = m.where(x > 0.0, 1.0, 0.0)  (rule 'relu' in rules.RULES)"""
        x = _X.data
        try:
            z = x if x > 0.0 else 0.0
            _d0 = 1.0 if x > 0.0 else 0.0
        except _FAILURES as e:
            raise _domain_error('relu', (_X,), e) from None
        _v = _new(Value)
        _v.data = z
        _v.grad = 0.0
        _v.label = ''
        _v.op = 'relu'
        if _recording():
            _v._a = _X
            _v._da = _d0
            _v._b = _v._db = None
        else:  # under no_grad(): the op's name, no graph behind it
            _v._a = _v._da = _v._b = _v._db = None
        return _v

    def _leaky_relu(_X, s: float) -> Value:
        """z = m.where(x > 0.0, x, s * x);  ∂z/∂x = m.where(x > 0.0, 1.0, s)  (rule 'leaky_relu' in rules.RULES)"""
        if s.__class__ is not float or not -_INF < s < _INF:
            s = _to_float(s, 'leaky_relu', _X)
        x = _X.data
        try:
            z = x if x > 0.0 else s * x
            _d0 = 1.0 if x > 0.0 else s
        except _FAILURES as e:
            raise _domain_error('leaky_relu', (_X, s), e) from None
        if z - z or _d0 - _d0:
            raise _domain_error('leaky_relu', (_X, s), None)
        _v = _new(Value)
        _v.data = z
        _v.grad = 0.0
        _v.label = ''
        _v.op = 'leaky_relu'
        if _recording():
            _v._a = _X
            _v._da = _d0
            _v._b = s
            _v._db = None
        else:  # under no_grad(): the op's name, no graph behind it
            _v._a = _v._da = _v._b = _v._db = None
        return _v

    def abs(_X) -> Value:
        """z = m.where(x < 0.0, -x, x);  ∂z/∂x = m.sign(x)  (rule 'abs' in rules.RULES)"""
        x = _X.data
        try:
            z = -x if x < 0.0 else x
            _d0 = m.sign(x)
        except _FAILURES as e:
            raise _domain_error('abs', (_X,), e) from None
        if _d0 - _d0:
            raise _domain_error('abs', (_X,), None)
        _v = _new(Value)
        _v.data = z
        _v.grad = 0.0
        _v.label = ''
        _v.op = 'abs'
        if _recording():
            _v._a = _X
            _v._da = _d0
            _v._b = _v._db = None
        else:  # under no_grad(): the op's name, no graph behind it
            _v._a = _v._da = _v._b = _v._db = None
        return _v
    __abs__ = abs

    def max(_X, _Y: Value | float) -> Value:
        """z = m.maximum(x, y);  ∂z/∂x = (x > y) + 0.5 * (x == y), ∂z/∂y = (y > x) + 0.5 * (x == y)  (rule 'max' in rules.RULES)"""
        x = _X.data
        _c = _Y.__class__
        if _c is Value:
            y = _Y.data  # type: ignore[union-attr]
        elif _c is float and _Y - _Y == 0.0:
            y = _Y  # type: ignore[assignment]
        else:  # an int, a non-finite float, another kind of number, or an error
            y, _c = _operand(_Y, 'max', _X)
        try:
            z = m.maximum(x, y)
            _d0 = (x > y) + 0.5 * (x == y)
            _d1 = (y > x) + 0.5 * (x == y)
        except _FAILURES as e:
            raise _domain_error('max', (_X, _Y), e) from None
        if z - z or _d0 - _d0 or _d1 - _d1:
            raise _domain_error('max', (_X, _Y), None)
        _v = _new(Value)
        _v.data = z
        _v.grad = 0.0
        _v.label = ''
        _v.op = 'max'
        if _recording():
            _v._a = _X
            _v._da = _d0
            if _c is Value:
                _v._b = _Y
                _v._db = _d1
            else:
                _v._b = y
                _v._db = None
        else:  # under no_grad(): the op's name, no graph behind it
            _v._a = _v._da = _v._b = _v._db = None
        return _v

    def min(_X, _Y: Value | float) -> Value:
        """z = m.minimum(x, y);  ∂z/∂x = (x < y) + 0.5 * (x == y), ∂z/∂y = (y < x) + 0.5 * (x == y)  (rule 'min' in rules.RULES)"""
        x = _X.data
        _c = _Y.__class__
        if _c is Value:
            y = _Y.data  # type: ignore[union-attr]
        elif _c is float and _Y - _Y == 0.0:
            y = _Y  # type: ignore[assignment]
        else:  # an int, a non-finite float, another kind of number, or an error
            y, _c = _operand(_Y, 'min', _X)
        try:
            z = m.minimum(x, y)
            _d0 = (x < y) + 0.5 * (x == y)
            _d1 = (y < x) + 0.5 * (x == y)
        except _FAILURES as e:
            raise _domain_error('min', (_X, _Y), e) from None
        if z - z or _d0 - _d0 or _d1 - _d1:
            raise _domain_error('min', (_X, _Y), None)
        _v = _new(Value)
        _v.data = z
        _v.grad = 0.0
        _v.label = ''
        _v.op = 'min'
        if _recording():
            _v._a = _X
            _v._da = _d0
            if _c is Value:
                _v._b = _Y
                _v._db = _d1
            else:
                _v._b = y
                _v._db = None
        else:  # under no_grad(): the op's name, no graph behind it
            _v._a = _v._da = _v._b = _v._db = None
        return _v
