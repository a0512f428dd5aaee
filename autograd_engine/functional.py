"""Derivatives as functions: ``grad``, ``value_and_grad``, ``jvp``, ``vjp``, ``jacobian``,
``hessian``, ``hvp`` — and forward mode on a recorded graph, ``forward_derivative``.

Nikolaj van Omme's talk *So you think you know backpropagation?* (Funartech, 2018) writes
y = f(g(h(x))) = w₃ with w₀ = x and two ways through the chain rule:

1. **forward accumulation** computes  dwᵢ/dx = dwᵢ/dwᵢ₋₁ · dwᵢ₋₁/dx,
2. **reverse accumulation** computes  dy/dwᵢ = dy/dwᵢ₊₁ · dwᵢ₊₁/dwᵢ,

with the costs, for f: ℝⁿ → ℝᵐ, "forward: O(n·cost(f)), backward: O(m·cost(f))" — and
reverse mode keeps every intermediate.  On a graph, forward mode pushes a tangent ṫ from the
inputs, each node in topological order getting

    ṫ(z) = Σ_parents ∂z/∂p · ṫ(p)

(the same local gradients ``backward()`` multiplies, in the other order): one pass gives J·v
for one direction v, so a full Jacobian takes n passes; reverse mode gives vᵀ·J for one
output weighting v, so m passes.  Every result here that costs more than one pass says how
many (``.passes``): run ``jacobian(f, mode="forward")`` and ``mode="reverse"`` side by side
and the talk's table comes out of the machine.

Composable, as in HIPS autograd and JAX: ``grad(grad(f))(x)`` is f″(x).  Inside a transform
the gradient is built as a graph (``gradients(..., create_graph=True)``), whose local
gradients come from the rule table's own formulas evaluated over Values, so an outer
transform can differentiate it again, to any order.

What is counted: a *pass* is one sweep of derivative propagation over a graph (one reverse
pass, or one tangent sweep), each costing about one evaluation of f.  Evaluating f once to
record its graph is not counted.

Names beside their peers: ``grad``, ``value_and_grad``, ``jvp``, ``jacobian``, ``hessian`` as
in JAX (``jax.grad``, ...) and HIPS autograd; ``vjp(f, primals, cotangents)`` and
``hvp(f, primals, v)`` return ``(value, product)`` as ``torch.autograd.functional.vjp``/
``hvp`` do; the graph-level primitive is :func:`autograd_engine.gradients`
(``torch.autograd.grad``).
"""

from __future__ import annotations

import inspect
from contextvars import ContextVar
from numbers import Real
from typing import Callable, NamedTuple, Sequence, Union

from .backprop import _local_values, gradients, topological_order
from .finite import finite_float, shown
from .grad_mode import enable_grad
from .value import VALUE_MATH, Value

__all__ = ["grad", "value_and_grad", "jvp", "vjp", "jacobian", "hessian", "hvp", "Result",
           "forward_derivative", "ForwardResult"]

Argnums = Union[int, Sequence[int], None]

# How many transforms are evaluating their function right now: inside one, gradients are
# built as graphs so that the outer transform can differentiate them again.
_DEPTH: ContextVar[int] = ContextVar("autograd_engine_transform_depth", default=0)


class Result(tuple):
    """A tuple that also says what it cost: ``passes`` (derivative sweeps over a graph),
    ``mode`` ("forward" or "reverse", or "forward-over-reverse" ...) and, for matrices, the
    function's ``value`` at the point."""

    def __new__(cls, items, passes: int, mode: str, value=None):
        self = super().__new__(cls, items)
        self.passes, self.mode, self.value = passes, mode, value
        return self

    def __repr__(self) -> str:
        return f"{tuple.__repr__(self)} (passes={self.passes}, mode={self.mode!r})"


# ---- reverse mode: grad, value_and_grad, vjp ---------------------------------------------
def grad(f: Callable, argnums: Union[int, Sequence[int]] = 0) -> Callable:
    """The derivative of a scalar function as a function: ``grad(f)(x) = f′(x)``.

    ``argnums`` picks the arguments to differentiate (an int gives one derivative, a tuple a
    tuple of them), as in JAX and HIPS autograd.  ``f`` takes numbers (each becomes a leaf
    Value) and returns one Value or number.  One reverse pass a call.  Composes:
    ``grad(grad(f))`` is f″, ``grad(lambda x: x * grad(f)(x))`` works too.  A function that
    does not depend on an argument has derivative 0 there.
    """
    vg = value_and_grad(f, argnums)

    def derivative(*args):
        return vg(*args)[1]

    derivative.__name__ = derivative.__qualname__ = f"grad({_name(f)})"
    derivative.__doc__ = f"The derivative of {_name(f)} with respect to argument(s) {argnums}."
    return derivative


def value_and_grad(f: Callable, argnums: Union[int, Sequence[int]] = 0) -> Callable:
    """``value_and_grad(f)(x) = (f(x), f′(x))``, from one evaluation and one reverse pass."""
    who = "value_and_grad"
    _check_callable(f, who)
    _check_argnums(argnums, who)

    def value_and_derivative(*args):
        leaves, picked, graph = _inputs(f, args, argnums, who)
        out = _call(f, leaves, who)
        if isinstance(out, (list, tuple)):
            raise TypeError(f"{who}: {_name(f)} must return one number (a scalar Value), got a "
                            f"{type(out).__name__} of {len(out)}; for several outputs use jacobian or vjp")
        out = _output(out, _name(f), who)
        gs = _reverse(out, [leaves[i] for i in picked], 1.0, graph)
        value = out if graph else out.data
        return value, (gs[0] if isinstance(argnums, int) else tuple(gs))

    value_and_derivative.__name__ = f"value_and_grad({_name(f)})"
    return value_and_derivative


def vjp(f: Callable, primals: Sequence, cotangents=None) -> Result:
    """``(f(x), vᵀ·J)``: the vector–Jacobian product at ``primals`` for output weights
    ``cotangents`` (one per output; default 1 for a scalar output) — one reverse pass,
    whatever the number of inputs.  ``vjp(f, x)`` of a scalar f is ``(f(x), ∇f(x))``."""
    who = "vjp"
    _check_callable(f, who)
    primals = _sequence(primals, "primals", who)
    leaves, picked, graph = _inputs(f, primals, None, who)
    outs, single = _outputs(_call(f, leaves, who), _name(f), who)
    if cotangents is None:
        if not single:
            raise ValueError(f"{who}: {_name(f)} has {len(outs)} outputs: give one cotangent per output")
        cotangents = [1.0]
    cotangents = _numbers(cotangents if not isinstance(cotangents, Real) else [cotangents],
                          "cotangents", who, len(outs))
    gs = _reverse(outs, leaves, cotangents, graph)
    return Result((_data(outs, single, graph), tuple(gs)), passes=1, mode="reverse")


# ---- forward mode: jvp --------------------------------------------------------------------
def jvp(f: Callable, primals: Sequence, tangents: Sequence) -> Result:
    """``(f(x), J·v)``: the Jacobian–vector product at ``primals`` in direction ``tangents``
    (one per argument), by one forward tangent sweep: ṫ(z) = Σ ∂z/∂p · ṫ(p).  A scalar f gives
    the directional derivative ∇f·v."""
    who = "jvp"
    _check_callable(f, who)
    primals = _sequence(primals, "primals", who)
    tangents = _numbers(tangents, "tangents", who, len(primals))
    leaves, _, graph = _inputs(f, primals, None, who)
    outs, single = _outputs(_call(f, leaves, who), _name(f), who)
    ts = _tangents(outs, dict(zip(leaves, tangents)), graph)
    return Result((_data(outs, single, graph), ts[0] if single else tuple(ts)), passes=1, mode="forward")


# ---- matrices: jacobian, hessian, hvp -----------------------------------------------------
def jacobian(f: Callable, argnums: Argnums = None, mode: str = "auto") -> Callable:
    """The Jacobian J[i][j] = ∂fᵢ/∂xⱼ of f: ℝⁿ → ℝᵐ as a function of the point.

    ``mode="forward"``: n tangent sweeps, one column each; ``"reverse"``: m reverse passes, one
    row each; ``"auto"``: the cheaper (forward when n < m).  ``argnums`` picks the arguments
    (default all).  The result is a :class:`Result`: rows of floats, with ``passes``, ``mode``
    and ``value`` (f's outputs)."""
    who = "jacobian"
    _check_callable(f, who)
    _check_argnums(argnums, who)
    _check_mode(mode, ("auto", "forward", "reverse"), who)

    def jac(*args):
        leaves, picked, graph = _inputs(f, args, argnums, who)
        outs, single = _outputs(_call(f, leaves, who), _name(f), who)
        xs = [leaves[i] for i in picked]
        n, m = len(xs), len(outs)
        how = ("forward" if n < m else "reverse") if mode == "auto" else mode
        if how == "forward":
            order = topological_order(*outs)  # one graph, n sweeps
            cols = [_tangents(outs, {x: 1.0}, graph, order) for x in xs]
            rows = [tuple(c[i] for c in cols) for i in range(m)]
            passes = n
        else:
            rows = [tuple(_reverse(o, xs, 1.0, graph)) for o in outs]
            passes = m
        return Result(rows, passes=passes, mode=how, value=_data(outs, single, graph))

    jac.__name__ = f"jacobian({_name(f)})"
    return jac


def hessian(f: Callable, argnums: Argnums = None, mode: str = "forward") -> Callable:
    """The Hessian H[i][j] = ∂²f/∂xᵢ∂xⱼ of a scalar f as a function of the point.

    The gradient is built once as a graph (one reverse pass with ``create_graph``), then
    differentiated: ``mode="forward"`` (forward-over-reverse) by n tangent sweeps over the
    gradient's graph, ``"reverse"`` (reverse-over-reverse) by n reverse passes, one row each;
    both 1 + n passes.  The result is a :class:`Result` of rows with ``passes``."""
    who = "hessian"
    _check_callable(f, who)
    _check_argnums(argnums, who)
    _check_mode(mode, ("forward", "reverse"), who)

    def hess(*args):
        leaves, picked, graph = _inputs(f, args, argnums, who)
        xs = [leaves[i] for i in picked]
        out, g = _gradient_graph(f, leaves, xs, who)
        if mode == "forward":
            order = topological_order(*g)  # the gradient's graph, ordered once for its n sweeps
            cols = [_tangents(g, {x: 1.0}, graph, order) for x in xs]
            rows = [tuple(c[i] for c in cols) for i in range(len(xs))]
        else:
            rows = [tuple(_reverse(gi, xs, 1.0, graph)) for gi in g]
        return Result(rows, passes=1 + len(xs), mode=f"{mode}-over-reverse",
                      value=out if graph else out.data)

    hess.__name__ = f"hessian({_name(f)})"
    return hess


def hvp(f: Callable, primals: Sequence, v: Sequence) -> Result:
    """``(f(x), H·v)``: a Hessian–vector product without forming the Hessian (the trick behind
    Hessian-free optimisation): H·v = ∇(∇f · v), one reverse pass that builds ∇f as a graph and
    one reverse pass through ∇f · v — 2 passes, whatever n."""
    who = "hvp"
    _check_callable(f, who)
    primals = _sequence(primals, "primals", who)
    v = _numbers(v, "v", who, len(primals))
    leaves, _, graph = _inputs(f, primals, None, who)
    out = _output(_call(f, leaves, who), _name(f), who)
    with enable_grad():
        g = _graph_grads(out, leaves)
        gv = Value.sum([gi * vi for gi, vi in zip(g, v)])
    hv = _reverse(gv, leaves, 1.0, graph)
    return Result((out if graph else out.data, tuple(hv)), passes=2, mode="reverse-over-reverse")


# ---- forward mode on a recorded graph ----------------------------------------------------
class ForwardResult(NamedTuple):
    """What :func:`forward_derivative` found, and what it cost."""

    value: float  #: the root's forward value
    derivative: Union[float, tuple[float, ...]]  #: ∂root/∂wrt (a tuple when wrt was a sequence)
    passes: int  #: tangent sweeps over the graph: one per input in wrt
    edge_visits: int  #: multiply-adds done: passes × edges (one backward pass visits each edge once)


def forward_derivative(root: Value, wrt: Union[Value, Sequence[Value]]) -> ForwardResult:
    """∂root/∂wrt by tangent propagation over ``root``'s recorded graph, one pass per input.

    ``wrt`` is one Value (``derivative`` is a float) or a sequence of Values (a tuple, one pass
    each).  A Value the root does not depend on gets 0.  ``wrt`` may be an interior node: its
    tangent is held at 1, which gives ∂root/∂node as ``backward()`` leaves it in ``node.grad``.
    No ``.grad`` is read or written.  A derivative that overflows float64 is a ValueError, as
    in ``backward()``.  (Benedict Florance's blog post: reverse mode gives all of ∂f/∂a, ∂f/∂b,
    ∂f/∂c of f = (a+b)(b+c) in one pass, forward mode needs three.)
    """
    who = "forward_derivative"
    if not isinstance(root, Value):
        raise TypeError(f"{who}: root must be a Value, got {type(root).__name__} {root!r}")
    single = isinstance(wrt, Value)
    inputs = (wrt,) if single else _value_sequence(wrt, who)
    if root.is_leaf() and root.op:
        raise ValueError(
            f"{who}: this Value (op {root.op!r}, data {root.data!r}) was computed under "
            "no_grad(), so no graph was recorded; compute it outside no_grad() to differentiate")
    order = root.nodes()
    edges = sum(len(v.parents) for v in order)
    derivatives = tuple(_sweep(order, {x: 1.0}, [root], False)[0] for x in inputs)
    for x, d in zip(inputs, derivatives):
        _finite(d, x, who)
    return ForwardResult(root.data, derivatives[0] if single else derivatives,
                         len(inputs), len(inputs) * edges)


# ---- the machinery -------------------------------------------------------------------------
def _sweep(order: list, seeds: dict, outs: list, graph: bool) -> list:
    """One forward pass: ṫ(z) = Σ ∂z/∂p · ṫ(p) in topological order, seeded tangents held
    (a seeded interior node keeps its seed: ∂root/∂node).  With ``graph`` the tangents are
    Values built from the rule table's formulas over Values, so they can be differentiated."""
    tangent = dict(seeds)
    get = tangent.get
    for z in order:
        if z in seeds or z._a is None:
            continue
        t = 0.0
        for p, d in (_local_values(z, VALUE_MATH, Value) if graph else zip(z.parents, z.local_grads)):
            tp = get(p)
            if tp is not None and not (tp.__class__ is float and tp == 0.0):
                t = t + d * tp
        tangent[z] = t
    return [get(o, 0.0) for o in outs]


def _tangents(outs: list, seeds: dict, graph: bool, order: list | None = None) -> list:
    """One tangent sweep over the graph of ``outs`` (``order``: its topological order, when the
    caller sweeps the same graph many times)."""
    order = topological_order(*outs) if order is None else order
    if graph:
        with enable_grad():
            ts = _sweep(order, seeds, outs, True)
        return ts
    ts = _sweep(order, seeds, outs, False)
    for o, t in zip(outs, ts):
        _finite(t, o, "jvp")
    return ts


def _reverse(outs, xs: list, cotangents, graph: bool) -> list:
    """Σₖ cₖ ∂outₖ/∂x for each x by one reverse pass; 0 where an x is not used (as JAX)."""
    gs = gradients(outs, xs, cotangents, create_graph=graph, allow_unused=True)
    return [0.0 if g is None else g for g in gs]


def _graph_grads(out: Value, xs: list) -> list:
    gs = gradients(out, xs, create_graph=True, allow_unused=True)
    return [Value(0.0) if g is None else g for g in gs]


def _gradient_graph(f: Callable, leaves: list, xs: list, who: str) -> tuple[Value, list]:
    """f's output and its gradient with respect to ``xs`` built as a graph."""
    out = _output(_call(f, leaves, who), _name(f), who)
    with enable_grad():
        return out, _graph_grads(out, xs)


def _inputs(f: Callable, args: Sequence, argnums: Argnums, who: str) -> tuple[list, list, bool]:
    """Leaf Values for f's arguments, the differentiated positions, and whether to build the
    derivatives as graphs (inside another transform, or when given Values)."""
    try:
        signature = inspect.signature(f)
    except (TypeError, ValueError):  # no signature (a builtin): let the call tell
        signature = None
    if signature is not None:
        try:
            signature.bind(*args)
        except TypeError as e:
            raise TypeError(f"{who}: {_name(f)} cannot be called with {len(args)} argument(s): {e}") from None
    names = _parameter_names(signature, len(args))
    leaves, graph = [], _DEPTH.get() > 0
    for i, a in enumerate(args):
        if isinstance(a, Value):
            leaves.append(a)
            graph = True
        elif isinstance(a, Real) and not isinstance(a, bool):
            try:
                leaves.append(Value(a, names[i]))
            except ValueError as e:
                raise ValueError(f"{who}: argument {i} ({names[i]}): {e}") from None
        else:
            raise TypeError(f"{who}: argument {i} ({names[i]}) must be a number or a Value, got "
                            f"{type(a).__name__} {a!r}")
    if argnums is None:
        picked = list(range(len(args)))
    else:
        picked = [argnums] if isinstance(argnums, int) else list(argnums)
        for i in picked:
            if not -len(args) <= i < len(args):
                raise ValueError(f"{who}: argnums {i} is out of range for {len(args)} argument(s)")
        picked = [i % len(args) for i in picked]
    if not picked:
        raise ValueError(f"{who}: no argument to differentiate ({_name(f)} was given none)")
    return leaves, picked, graph


def _call(f: Callable, leaves: list, who: str):
    token = _DEPTH.set(_DEPTH.get() + 1)
    try:
        with enable_grad():
            return f(*leaves)
    finally:
        _DEPTH.reset(token)


def _output(out, name: str, who: str) -> Value:
    if isinstance(out, Value):
        if out._a is None and out.op:
            raise ValueError(f"{who}: {name} computed its output under no_grad(), so it has no graph")
        return out
    if isinstance(out, Real) and not isinstance(out, bool):
        return Value(out)  # a constant: derivative 0 everywhere
    raise TypeError(f"{who}: {name} must return a Value or a number, got {type(out).__name__} {out!r}")


def _outputs(out, name: str, who: str) -> tuple[list, bool]:
    if isinstance(out, (list, tuple)):
        if not out:
            raise ValueError(f"{who}: {name} returned no outputs")
        return [_output(o, name, who) for o in out], False
    return [_output(out, name, who)], True


def _data(outs: list, single: bool, graph: bool):
    vals = outs if graph else [o.data for o in outs]
    return vals[0] if single else tuple(vals)


def _finite(d, x, who: str) -> None:
    if d.__class__ is float and d - d:
        name = f"{x.label!r}" if getattr(x, "label", "") else "an input"
        raise ValueError(f"{who}: the derivative with respect to {name} is {d!r}: a product of local "
                         "gradients overflowed float64 (rescale the function)")


def _check_callable(f, who: str) -> None:
    if not callable(f):
        raise TypeError(f"{who}: f must be a function, got {type(f).__name__} {f!r}")


def _check_argnums(argnums, who: str) -> None:
    ok = argnums is None or (isinstance(argnums, int) and not isinstance(argnums, bool)) or (
        isinstance(argnums, (tuple, list)) and all(isinstance(i, int) and not isinstance(i, bool)
                                                    for i in argnums))
    if not ok:
        raise TypeError(f"{who}: argnums must be an int or a tuple of ints, got {argnums!r}")


def _check_mode(mode, modes: tuple, who: str) -> None:
    if mode not in modes:
        raise ValueError(f"{who}: mode must be one of {', '.join(map(repr, modes))}, got {mode!r}")


def _sequence(xs, what: str, who: str) -> list:
    if isinstance(xs, (Real, Value)) and not isinstance(xs, bool):
        return [xs]
    if not isinstance(xs, (list, tuple)):
        raise TypeError(f"{who}: {what} must be a number or a list/tuple of numbers, got "
                        f"{type(xs).__name__} {xs!r}")
    return list(xs)


def _numbers(xs, what: str, who: str, n: int) -> list[float]:
    xs = _sequence(xs, what, who)
    if len(xs) != n:
        raise ValueError(f"{who}: {what} must have {n} entries (one per "
                         f"{'output' if what == 'cotangents' else 'argument'}), got {len(xs)}")
    out = []
    for i, x in enumerate(xs):
        if isinstance(x, bool) or not isinstance(x, Real):
            raise TypeError(f"{who}: {what}[{i}] must be a number, got {type(x).__name__} {shown(x)}")
        out.append(finite_float(x, who, f"{what}[{i}]", what="finite"))  # 10**5000: named, never str()'d
    return out


def _value_sequence(wrt, who: str) -> tuple[Value, ...]:
    try:
        xs = tuple(wrt)
    except TypeError:
        raise TypeError(f"{who}: wrt must be a Value or a sequence of Values, "
                        f"got {type(wrt).__name__} {wrt!r}") from None
    for i, x in enumerate(xs):
        if not isinstance(x, Value):
            raise TypeError(f"{who}: wrt[{i}] must be a Value, got {type(x).__name__} {x!r}")
    return xs


def _parameter_names(signature: inspect.Signature | None, n: int) -> list[str]:
    """Labels for the leaves: f's parameter names where it has them (pictures read x, y)."""
    params = [] if signature is None else [
        p.name for p in signature.parameters.values() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return [params[i] if i < len(params) else f"x{i}" for i in range(n)]


def _name(f) -> str:
    return getattr(f, "__name__", type(f).__name__)
