"""Forward-over-reverse in one sweep: a Hessian from numbers that carry all n tangents.

A dual number ``Dual(v, t)`` is a value v with a tangent vector t = (∂v/∂x₁, …, ∂v/∂xₙ): the
forward mode of the AD literature with all n directions at once (Griewank and Walther's
"vector mode").  Differentiating the *reverse* pass in this mode gives the Hessian:

    ḡ(x) = Σ_z ḡ(z) · ∂z/∂x                                  (the reverse pass, backward())
    (ḡ(x))˙ = Σ_z [ (ḡ(z))˙ · ∂z/∂x  +  ḡ(z) · (∂z/∂x)˙ ]     (its tangent: one row of H at x)

so H[i] is the tangent of the adjoint of xᵢ.  The values ∂z/∂x are the floats every node
stored at forward time; their tangents (∂z/∂x)˙ come from the rule table's own local-gradient
formulas (``rules.local_gradients``) evaluated over dual numbers (:data:`DUAL_MATH`, a fourth
backend beside floats, arrays and Values), so no second derivative is written anywhere.

One forward tangent sweep plus one reverse sweep over f's graph, reading the node slots as
``backward()`` does; the cost is the graph's edges times n (each step a vector operation),
against building ∇f as a graph of Values and sweeping it n times.
"""

from __future__ import annotations

import math
from itertools import islice
from typing import TYPE_CHECKING

from .rules import FLOAT_MATH, RULES, local_gradients

if TYPE_CHECKING:
    from .value import Value


class Unit:
    """The tangent of the input xᵢ: the unit vector eᵢ of length n, kept sparse (a dot node over
    n inputs then costs n, not n², to push forward)."""

    __slots__ = ("i", "n")

    def __init__(self, i: int, n: int) -> None:
        self.i, self.n = i, n

    def dense(self) -> list[float]:
        t = [0.0] * self.n
        t[self.i] = 1.0
        return t


def _scaled(s: float, t):
    """s·t for a tangent t (None is the zero vector)."""
    if t is None or s == 0.0:
        return None
    if t.__class__ is Unit:
        out = [0.0] * t.n
        out[t.i] = s
        return out
    return [s * b for b in t] if s != 1.0 else list(t)


def _axpy(acc, s: float, t):
    """acc + s·t as a new vector (acc or t may be None, the zero vector)."""
    if t is None or s == 0.0:
        return acc if acc is None or acc.__class__ is list else acc.dense()
    if acc is None:
        return _scaled(s, t)
    if acc.__class__ is Unit:
        acc = acc.dense()
    if t.__class__ is Unit:
        acc = list(acc)
        acc[t.i] += s
        return acc
    return [a + s * b for a, b in zip(acc, t)]  # a comprehension: ~2x faster than map(add, ...)


def _axpy_into(acc: list, s: float, t) -> list:
    """acc + s·t, reusing acc when acc is a vector this sweep owns."""
    if t.__class__ is Unit:
        acc[t.i] += s
        return acc
    return [a + s * b for a, b in zip(acc, t)]


class Dual:
    """A value with its tangent vector: ``v`` a float, ``t`` a list, a :class:`Unit` or None
    (zero).  Arithmetic follows the sum, product and quotient rules."""

    __slots__ = ("v", "t")

    def __init__(self, v: float, t=None) -> None:
        self.v, self.t = v, t

    def __add__(self, o):
        if o.__class__ is Dual:
            return Dual(self.v + o.v, _axpy(self.t, 1.0, o.t))
        return Dual(self.v + o, self.t)

    __radd__ = __add__

    def __sub__(self, o):
        if o.__class__ is Dual:
            return Dual(self.v - o.v, _axpy(self.t, -1.0, o.t))
        return Dual(self.v - o, self.t)

    def __rsub__(self, o):
        return Dual(o - self.v, _scaled(-1.0, self.t))

    def __neg__(self):
        return Dual(-self.v, _scaled(-1.0, self.t))

    def __mul__(self, o):
        if o.__class__ is Dual:  # (uv)˙ = u̇v + uv̇
            return Dual(self.v * o.v, _axpy(_scaled(o.v, self.t), self.v, o.t))
        return Dual(self.v * o, _scaled(o, self.t))

    __rmul__ = __mul__

    def __truediv__(self, o):
        if o.__class__ is Dual:  # (u/w)˙ = (u̇ − (u/w)·ẇ) / w
            q = self.v / o.v
            return Dual(q, _scaled(1.0 / o.v, _axpy(self.t, -q, o.t)))
        return Dual(self.v / o, _scaled(1.0 / o, self.t))

    def __rtruediv__(self, o):  # (k/w)˙ = −(k/w²)·ẇ
        q = o / self.v
        return Dual(q, _scaled(-q / self.v, self.t))


def _unary(name: str):
    """``m.<name>`` over duals: (f(v), f′(v)·t), with f and f′ read from the rule of the same name
    (``RULES[name].fn(FLOAT_MATH, v)`` gives z and ∂z/∂x), so no derivative is written here;
    plain numbers pass through to the float backend."""
    f = getattr(FLOAT_MATH, name)

    def g(x):
        if x.__class__ is not Dual:
            return f(x)
        z, d = RULES[name].fn(FLOAT_MATH, x.v)
        return Dual(z, None if x.t is None else _scaled(d, x.t))

    g.__name__ = name
    return g


def _pow(x, y):
    """xʸ over duals: ∂/∂x from the ``pow`` row (y·x^(y−1), 0 for y = 0), ∂/∂y from the ``rpow``
    row (xʸ·ln x, 0 at x = 0: the table's convention for 0 ** y)."""
    xd, yd = x.__class__ is Dual, y.__class__ is Dual
    xv, yv = (x.v if xd else x), (y.v if yd else y)
    z = math.pow(xv, yv)
    t = None
    if xd and x.t is not None:
        t = _scaled(RULES["pow"].fn(FLOAT_MATH, xv, yv)[1], x.t)
    if yd and y.t is not None:
        t = _axpy(t, RULES["rpow"].fn(FLOAT_MATH, yv, xv)[1], y.t)
    return Dual(z, t) if xd or yd else z


def _value(x):
    return x.v if x.__class__ is Dual else x


def _sign(x) -> float:
    v = _value(x)
    return 1.0 if v > 0.0 else (-1.0 if v < 0.0 else 0.0)


_COMPARE = {">": float.__gt__, ">=": float.__ge__, "<": float.__lt__, "<=": float.__le__,
            "==": float.__eq__, "!=": float.__ne__}


def _compare(op: str, a, b) -> float:
    """A comparison in a local-gradient formula: a constant 1.0 or 0.0 (its tangent is 0)."""
    return 1.0 if _COMPARE[op](float(_value(a)), float(_value(b))) else 0.0


class _Math:
    """The rule table's backend names over duals (``m.exp``, ``m.where``, ...)."""

    exp = staticmethod(_unary("exp"))
    log = staticmethod(_unary("log"))
    tanh = staticmethod(_unary("tanh"))
    sigmoid = staticmethod(_unary("sigmoid"))
    sqrt = staticmethod(_unary("sqrt"))
    sin = staticmethod(_unary("sin"))
    cos = staticmethod(_unary("cos"))
    pow = staticmethod(_pow)
    sign = staticmethod(_sign)  # piecewise constant: its tangent is 0
    compare = staticmethod(_compare)

    @staticmethod
    def where(c, a, b):
        return a if c else b


DUAL_MATH = _Math()
"""The fourth backend of the rule table: its names over :class:`Dual` numbers."""


def _edges(v: Value) -> tuple[tuple, tuple]:
    """v's Value parents and their stored local gradients, read from the slots."""
    a = v._a
    if a.__class__ is tuple:
        return a, v._da
    if v._db is None:
        return (a,), (v._da,)
    return (a, v._b), (v._da, v._db)


def _local_tangents(v: Value, tangent: dict, value_type) -> list:
    """(∂v/∂p)˙ for each Value parent p of v (None where it is 0), from the rule's formula text
    evaluated over duals."""
    rule = RULES.get(v.op)
    if rule is None:
        raise ValueError(f"no rule named {v.op!r} in RULES for a node of the graph")
    lg = local_gradients(rule)
    get = tangent.get

    def dual(x):
        return Dual(x.data, get(x)) if x.__class__ is value_type or isinstance(x, value_type) else x

    z = Dual(v.data, get(v))
    a = v._a
    if a.__class__ is not tuple:
        local = lg(DUAL_MATH, z, dual(a), dual(v._b)) if v._b is not None else lg(DUAL_MATH, z, dual(a))
        local = local[:1] if v._db is None else local[:2]
    else:
        operands = v._b
        if operands and isinstance(operands[0], value_type):  # Value.apply: a flat operand list
            local = [d for x, d in zip(operands, lg(DUAL_MATH, z, *map(dual, operands)))
                     if isinstance(x, value_type)]
        else:  # sum / dot: sequences of operands, sequences of local gradients
            seqs = [[dual(x) for x in seq] for seq in operands]
            local = [d for seq, ds in zip(operands, lg(DUAL_MATH, z, *seqs)) for x, d in zip(seq, ds)
                     if isinstance(x, value_type)]
    return [d.t if d.__class__ is Dual else None for d in local]


def hessian_rows(out: Value, xs: list, order: list, value_type) -> list[list[float]]:
    """H[i][j] = ∂²out/∂xᵢ∂xⱼ of the recorded graph ``order`` (a topological order ending at
    ``out``) with respect to the leaves ``xs``, by one vector-tangent forward sweep and one
    reverse sweep whose adjoints are duals (forward-over-reverse).  Rows are lists of floats
    (not yet checked to be finite)."""
    n = len(xs)
    tangent: dict = {}
    for i, x in enumerate(xs):
        t = tangent.get(x)
        tangent[x] = Unit(i, n) if t is None else _axpy(t, 1.0, Unit(i, n))  # a leaf given twice
    # forward: ż = Σ_p ∂z/∂p · ṗ, every direction at once
    get = tangent.get
    for z in order:
        if z._a is None or z in tangent:
            continue
        acc = None
        parents, ds = _edges(z)
        for p, d in zip(parents, ds):
            tp = get(p)
            if tp is None or d == 0.0:
                continue
            acc = _scaled(d, tp) if acc is None else _axpy_into(acc, d, tp)
        if acc is not None:
            tangent[z] = acc
    # reverse, with dual adjoints: ḡ(p) += ḡ(z)·∂z/∂p and (ḡ(p))˙ += (ḡ(z))˙·∂z/∂p + ḡ(z)·(∂z/∂p)˙.
    # H is symmetric: the row of xᵢ is summed from column i on (its columns j < i are row j's
    # entry i), which halves the work on the edges into the inputs, the bulk of it.  Leaves
    # that are not inputs need no adjoint at all.
    first = {x: i for i, x in enumerate(xs)}
    adj: dict = {out: 1.0}
    adj_t: dict = {}
    for z in reversed(order):
        if z._a is None:
            continue
        g = adj.get(z)
        if g is None:
            continue
        gt = adj_t.get(z)
        parents, ds = _edges(z)
        lts = (_local_tangents(z, tangent, value_type)  # (∂z/∂p)˙ = 0 when no operand moves
               if g != 0.0 and any(p in tangent for p in parents) else None)
        for k, p in enumerate(parents):
            d = ds[k]
            lt = None if lts is None else lts[k]
            if p._a is None:  # a leaf: only an input's row is wanted, from its own column on
                col = first.get(p)
                if col is None:
                    continue
                acc = adj_t.get(p)
                if gt is not None and d != 0.0:
                    acc = _tail_axpy(acc, d, gt, col, n)
                if lt is not None:
                    acc = _tail_axpy(acc, g, lt, col, n)
                if acc is not None:
                    adj_t[p] = acc
                continue
            old = adj.get(p)
            adj[p] = g * d if old is None else old + g * d
            acc = adj_t.get(p)
            if gt is not None and d != 0.0:
                acc = _scaled(d, gt) if acc is None else _axpy_into(acc, d, gt)
            if lt is not None:
                acc = _scaled(g, lt) if acc is None else _axpy_into(acc, g, lt)
            if acc is not None:
                adj_t[p] = acc
    rows: list[list[float]] = []
    for i, x in enumerate(xs):
        t = adj_t.get(x)
        row = [0.0] * n if t is None else t
        for j in range(i):  # the lower triangle from the rows above: H[i][j] = H[j][i]
            row[j] = rows[j][i]
        rows.append(row)
    return rows


def _tail_axpy(acc, s: float, t, i: int, n: int) -> list:
    """acc + s·t on entries i.. only (entries before i are left as they are, unread)."""
    if acc is None:
        acc = [0.0] * n
    if t.__class__ is Unit:
        acc[t.i] += s
    elif i == 0:
        acc = [a + s * b for a, b in zip(acc, t)]
    else:
        acc[i:] = [a + s * b for a, b in zip(islice(acc, i, None), islice(t, i, None))]
    return acc
