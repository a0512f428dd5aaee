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

Every transform differentiates with respect to **fresh variables** (JAX's rule, and HIPS
autograd's): a number argument becomes a new leaf, a Value argument ``a`` a new node
x = a + 0 tied to it, and the derivative is taken with respect to x.  A use of ``a`` that
``f`` closes over is therefore not counted — d/dx [x · ∂(x·y)/∂y at y = x] is 1, not 2: the
perturbation confusion of Siskind and Pearlmutter (2005) — while an outer derivative sees
both paths, through the tie and through the closure.  **Results keep their graph** when they
depend on a Value with a graph: when ``f`` is given Values, runs inside another transform, or
closes over a Value (a parameter) that is not a constant made under ``no_grad()``; they are
then Values that ``backward()`` and outer transforms differentiate (a gradient penalty trains
on the right gradient).  Otherwise they are plain floats.

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
from typing import Any, Callable, NamedTuple, Sequence, Union

from .backprop import topological_order
from .checks import computed_under_no_grad, finite_float, no_graph_error, shown
from .dual import hessian_rows
from .grads import _walk_floats, _walk_graph, gradients, local_gradient_values
from .grad_mode import enable_grad
from .value import _FAILURES, VALUE_MATH, Value

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

    passes: int
    mode: str
    value: Any

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
    tuple of them), as in JAX and HIPS autograd.  ``f`` takes numbers or Values (each enters
    ``f`` as a fresh variable, see the module docstring) and returns one Value or number.  One reverse pass a call.  Composes:
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
        order = None
        if not graph:  # one walk tells whether f closes over a Value and orders the pass
            graph, order = _closure_and_order(out, leaves)
        out = _output(out, _name(f), who)
        xs = [leaves[i] for i in picked]
        gs = _float_reverse(out, xs, order) if order is not None and not graph else _reverse(out, xs, 1.0, graph)
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
    raw = _call(f, leaves, who)
    outs, single = _outputs(raw, _name(f), who)
    graph = graph or _closes_over(raw, leaves)
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
    raw = _call(f, leaves, who)
    outs, single = _outputs(raw, _name(f), who)
    graph = graph or _closes_over(raw, leaves)
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
        raw = _call(f, leaves, who)
        outs, single = _outputs(raw, _name(f), who)
        graph = graph or _closes_over(raw, leaves)
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

    ``mode="forward"`` (forward-over-reverse, the default): one sweep forward carrying all n
    tangents at once and one reverse sweep whose adjoints carry them too (:mod:`.dual`): H[i]
    is the tangent of ∂f/∂xᵢ — 2 passes over f's graph, each step a vector of n.
    ``"reverse"`` (reverse-over-reverse): ∇f built once as a graph (one reverse pass with
    ``create_graph``), then n reverse passes over it, one row each: 1 + n passes.  When the
    Hessian must keep its graph (inside another transform, or when f is given or closes over
    Values) ``"forward"`` builds ∇f as a graph and sweeps it n times (1 + n passes).  The
    result is a :class:`Result` of rows with ``passes``."""
    who = "hessian"
    _check_callable(f, who)
    _check_argnums(argnums, who)
    _check_mode(mode, ("forward", "reverse"), who)

    def hess(*args):
        leaves, picked, graph = _inputs(f, args, argnums, who)
        xs = [leaves[i] for i in picked]
        raw = _call(f, leaves, who)
        out = _output(raw, _name(f), who)
        graph = graph or _closes_over(raw, leaves)
        if mode == "forward" and not graph:
            order = topological_order(out)
            try:
                rows = hessian_rows(out, xs, order, Value)
            except _FAILURES as e:
                raise ValueError(f"{who}: a second derivative failed at this point: {e}") from None
            for x, row in zip(xs, rows):
                total = sum(row)
                if total - total:  # inf or nan somewhere (or a sum that overflows): find it
                    for h in row:
                        _finite(h, x, who)
            return Result(map(tuple, rows), passes=2, mode="forward-over-reverse", value=out.data)
        with enable_grad():  # constants as leaves: the sweeps below read 0 from them
            g = [gi if isinstance(gi, Value) else Value(gi) for gi in _graph_grads(out, xs)]
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
    raw = _call(f, leaves, who)
    out = _output(raw, _name(f), who)
    graph = graph or _closes_over(raw, leaves)
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


def forward_derivative(root: Value, wrt: Union[Value, Sequence[Value]],
                       create_graph: bool | None = None) -> ForwardResult:
    """∂root/∂wrt by tangent propagation over ``root``'s recorded graph, one pass per input.

    ``wrt`` is one Value (``derivative`` is a float) or a sequence of Values (a tuple, one pass
    each).  A Value the root does not depend on gets 0.  ``wrt`` may be an interior node: its
    tangent is held at 1, which gives ∂root/∂node as ``backward()`` leaves it in ``node.grad``.
    No ``.grad`` is read or written.  A derivative that overflows float64 is a ValueError, as
    in ``backward()``.  ``create_graph``: derivatives as Values whose graph can be
    differentiated again (default: inside a transform, so ``grad`` of a function that calls
    ``forward_derivative`` is right; floats otherwise).  (Benedict Florance's blog post:
    reverse mode gives all of ∂f/∂a, ∂f/∂b, ∂f/∂c of f = (a+b)(b+c) in one pass, forward mode
    needs three.)
    """
    who = "forward_derivative"
    if not isinstance(root, Value):
        raise TypeError(f"{who}: root must be a Value, got {type(root).__name__} {root!r}")
    single = isinstance(wrt, Value)
    inputs = (wrt,) if single else _value_sequence(wrt, who)
    if computed_under_no_grad(root):
        raise no_graph_error(who, "this Value", root)
    order = root.nodes()
    edges = sum(len(v.parents) for v in order)
    graph = _DEPTH.get() > 0 if create_graph is None else bool(create_graph)
    if graph:
        with enable_grad():
            derivatives = tuple(_sweep(order, {x: 1.0}, [root], True)[0] for x in inputs)
    else:
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
        for p, d in (local_gradient_values(z, VALUE_MATH, Value) if graph else zip(z.parents, z.local_grads)):
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
    """Σₖ cₖ ∂outₖ/∂x for each x by one reverse pass; 0 where an x is not used (as JAX).
    With ``graph``, a derivative that is a constant stays a float (``gradients`` would make it
    a new leaf Value, which an enclosing transform would take for a parameter f closes over)."""
    if not graph:
        gs = gradients(outs, xs, cotangents, create_graph=False, allow_unused=True)
        return [0.0 if g is None else g for g in gs]
    outs = outs if isinstance(outs, list) else [outs]
    cs = cotangents if isinstance(cotangents, list) else [cotangents] * len(outs)
    got: dict = {}
    for o, c in zip(outs, cs):
        got[o] = got[o] + c if o in got else c
    with enable_grad():
        try:
            _walk_graph(topological_order(*outs), got, VALUE_MATH, Value)
        except ValueError as e:
            raise ValueError(f"gradients: building the gradient graph failed: {e}") from None
    return [got.get(x, 0.0) for x in xs]


def _graph_grads(out: Value, xs: list) -> list:
    return _reverse(out, xs, 1.0, True)


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
            leaves.append(_tie(a, names[i]))
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


def _tie(a: Value, label: str) -> Value:
    """A fresh variable for the Value argument ``a``: a new node x = a + 0 (∂x/∂a = 1).  ``f``
    is differentiated with respect to x, so a use of ``a`` that ``f`` closes over is not
    counted (no perturbation confusion, Siskind and Pearlmutter 2005); the result depends on
    ``a`` through x, so an outer derivative or ``backward()`` sees both paths."""
    with enable_grad():
        x: Value = a + 0.0  # type: ignore[operator,assignment]  # the op methods are compiled from rules.py
    x.label = label
    return x


def _closure_and_order(raw, leaves: list) -> tuple[bool, list | None]:
    """:func:`_closes_over` for one output, with the topological order it walked (for the
    reverse pass that follows, so the first-order path walks the graph no more than before)."""
    if not isinstance(raw, Value):
        return _closes_over(raw, leaves), None
    order = topological_order(raw)
    own = set(leaves)
    for v in order:
        if v._a is None and not v.op and v not in own:
            return True, order
    return False, order


def _float_reverse(out: Value, xs: list, order: list) -> list:
    """∂out/∂x as floats by one reverse pass over ``order`` (``gradients`` without its own
    walk to order the graph); 0 where x is not used."""
    got: dict = {out: 1.0}
    _walk_floats(order, got)
    gs = []
    for i, x in enumerate(xs):
        g = got.get(x, 0.0)
        if g - g:  # inf or nan: a product of local gradients overflowed float64
            name = f"input {x.label!r}" if x.label else f"inputs[{i}]"
            raise ValueError(f"gradients: the gradient of {name} (data {x.data!r}) is {g!r}: a product "
                             "of local gradients overflowed float64 (rescale the output)")
        gs.append(g)
    return gs


def _closes_over(raw, leaves: list) -> bool:
    """Whether f's outputs (``raw``: what f returned) depend on a Value with a graph that is not one of the transform's
    own leaves (a parameter f closes over): then the results must be Values that keep the
    dependence.  Values made under no_grad() are constants."""
    outs = [o for o in (raw if isinstance(raw, (list, tuple)) else (raw,)) if isinstance(o, Value)]
    if not outs:
        return False
    own = set(leaves)
    for v in topological_order(*outs):
        if v._a is None and not v.op and v not in own:
            return True
    return False


def _call(f: Callable, leaves: list, who: str):
    token = _DEPTH.set(_DEPTH.get() + 1)
    try:
        with enable_grad():
            return f(*leaves)
    finally:
        _DEPTH.reset(token)


def _output(out, name: str, who: str) -> Value:
    if isinstance(out, Value):
        if computed_under_no_grad(out):  # its message names f, not the node
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
