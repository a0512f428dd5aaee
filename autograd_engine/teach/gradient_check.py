"""Gradient checking: compare backprop's gradient with central finite differences.

Nikolaj van Omme's talk *So you think you know backpropagation?* (Funartech, 2018), in its part
"Gradient Checking II", asks how researchers became confident about their
gradients before automatic differentiation, and answers

    ∂L/∂xᵢ(a) = lim_{ε→0} [L(a + ε·eᵢ) − L(a − ε·eᵢ)] / 2ε

:func:`gradcheck` evaluates that quotient at a small ε for every input and compares it with
the analytic gradient from ``backward()``.  The check costs 2n extra forward passes for n
inputs (the textbook chapter *Chapter 6: The Backprop Algorithm*: one-sided differences need "a million and one forward passes" for a million
parameters, where backprop needs two passes) -- which is why it is a test, not a training method.

A wrong rule in :data:`~autograd_engine.rules.RULES` (say tanh' = 1 − z instead of 1 − z²)
shows up as a large error on the inputs whose path goes through that op.

(The module is not called ``gradcheck``: ``autograd_engine.gradcheck`` is the function, and a
submodule of that name would replace it as the package's attribute when imported.)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Real
from typing import Callable, Sequence

from ..grads import gradients
from ..checks import finite_float
from ..grad_mode import no_grad
from ..value import Value
from .walkthrough import number, text_table


class GradcheckError(AssertionError):
    """The analytic and numeric gradients disagree beyond tolerance.

    An AssertionError (a test of your rules fails, it is not bad input); ``.report`` holds the
    full :class:`GradcheckReport`."""

    def __init__(self, report: GradcheckReport) -> None:
        super().__init__(str(report))
        self.report = report


@dataclass(frozen=True)
class InputCheck:
    """One input: its value, backprop's ∂f/∂x, the central difference and how far apart."""

    name: str
    value: float
    analytic: float
    numeric: float
    abs_error: float  #: |analytic − numeric|
    rel_error: float  #: |analytic − numeric| / max(|analytic|, |numeric|), 0 when both are 0
    passed: bool  #: |analytic − numeric| ≤ atol + rtol·|numeric|
    excess: float  #: |analytic − numeric| / (atol + rtol·|numeric|): > 1 fails


@dataclass(frozen=True)
class GradcheckReport:
    """The per-input comparison; ``str()`` is a table with the worst input named."""

    output: float  #: f at the point
    inputs: tuple[InputCheck, ...]
    eps: float
    atol: float
    rtol: float
    order: int = 1  #: 1: ∂f/∂xᵢ against differences of f; 2: ∂²f/∂xᵢ∂xⱼ against differences of ∇f

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.inputs)

    @property
    def worst(self) -> InputCheck | None:
        """The input furthest out of tolerance (largest ``excess``); None with no inputs."""
        return max(self.inputs, key=lambda c: c.excess, default=None)

    @property
    def evaluations(self) -> int:
        """Evaluations the numeric side took: 2 of f per input (order 1), or 2 of ∇f (one
        forward and one backward pass each) per input (order 2, n² entries)."""
        n = len(self.inputs) if self.order == 1 else math.isqrt(len(self.inputs))
        return 2 * n

    def __str__(self) -> str:
        if self.order == 1:
            numeric, what = "(f(x+ε) − f(x−ε)) / 2ε", "evaluations of f"
        else:
            numeric, what = "(∇f(x+εeⱼ) − ∇f(x−εeⱼ))ᵢ / 2ε", "evaluations of ∇f"
        head = (f"gradcheck (order {self.order}): f = {number(self.output)}; numeric = {numeric} with "
                f"ε = {self.eps:g} ({self.evaluations} {what})\n"
                f"an input passes if |analytic − numeric| ≤ {self.atol:g} + {self.rtol:g}·|numeric|")
        rows = [(c.name, number(c.value), number(c.analytic), number(c.numeric), f"{c.abs_error:.2e}",
                 f"{c.rel_error:.2e}", "ok" if c.passed else "FAIL") for c in self.inputs]
        table = text_table(("input", "value", "analytic", "numeric", "abs error", "rel error", ""), rows)
        w = self.worst
        verdict = "passed" if self.passed else "FAILED"
        tail = f"{verdict}; worst: {w.name} (abs error {w.abs_error:.2e}, rel error {w.rel_error:.2e})" if w else verdict
        return f"{head}\n{table}\n{tail}"


def gradcheck(f: Callable[..., Value], inputs: Sequence, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_on_failure: bool = True, order: int = 1) -> GradcheckReport:
    """Check ``f``'s backprop gradient against (f(x + ε) − f(x − ε)) / 2ε, input by input.

    ``f`` takes one Value per input and returns a scalar Value; ``inputs`` are numbers or Values
    (only their ``.data`` and ``.label`` are used: ``f`` runs on fresh leaves, so no ``.grad`` of
    yours changes).  An input passes if ``|analytic − numeric| ≤ atol + rtol·|numeric|``.
    Returns a :class:`GradcheckReport`; on a mismatch raises :class:`GradcheckError` (carrying
    the report) unless ``raise_on_failure=False``.

    A gradient that is not finite -- backprop's (``backward()`` refuses it) or the central
    difference's -- is a ValueError naming the input, never an inf in the report.

    Keep the point away from kinks (relu at 0, ties of max/min): there the two one-sided
    slopes differ and no single number is "the" derivative.

    ``order=2`` checks second derivatives, as HIPS autograd's ``check_grads(order=2)`` and
    PyTorch's ``gradgradcheck`` do: every entry ∂²f/∂xᵢ∂xⱼ of the Hessian, built by
    differentiating the gradient's own graph (``gradients(..., create_graph=True)``), against
    the central difference of backprop's gradient, (∂f/∂xᵢ(x + εeⱼ) − ∂f/∂xᵢ(x − εeⱼ)) / 2ε.
    The default ε = 1e-6 suits both orders (the differences are of ∇f, not of f twice).
    """
    if not callable(f):
        raise TypeError(f"gradcheck: f must be callable, got {type(f).__name__} {f!r}")
    point, names = _point(inputs)
    eps, atol, rtol = (finite_float(val, "gradcheck", arg, 0.0, what="a finite number ≥ 0")
                       for arg, val in (("eps", eps), ("atol", atol), ("rtol", rtol)))  # 10**400 too
    if eps == 0:
        raise ValueError("gradcheck: eps must be > 0")
    if order not in (1, 2) or isinstance(order, bool):
        raise ValueError(f"gradcheck: order must be 1 or 2, got {order!r}")
    if order == 2:
        return _finish(_second_order(f, point, names, eps, atol, rtol), raise_on_failure)

    xs = [Value(p, n) for p, n in zip(point, names)]
    out = _call(f, xs, "at the point")
    try:  # gradients(), not backward(): a Value f closes over keeps its .grad
        analytic = gradients(out, xs, allow_unused=True)
    except ValueError as e:  # backward()'s policy: an overflowing gradient is refused, not inf
        raise ValueError(f"gradcheck: the analytic gradient is not finite at this point: {e}") from None
    checks = []
    for i, name in enumerate(names):
        hi = _call(f, _shifted(point, i, eps), f"at {name} + eps", graph=False).data
        lo = _call(f, _shifted(point, i, -eps), f"at {name} - eps", graph=False).data
        g = 0.0 if analytic[i] is None else analytic[i]
        checks.append(_compare(name, point[i], g, (hi - lo) / (2 * eps), atol, rtol))
    return _finish(GradcheckReport(out.data, tuple(checks), float(eps), float(atol), float(rtol)),
                   raise_on_failure)


def _compare(name: str, value: float, analytic: float, numeric: float, atol: float, rtol: float) -> InputCheck:
    if not math.isfinite(numeric):  # the same policy for the other gradient: no silent inf
        raise ValueError(
            f"gradcheck: the central difference for input {name} is {numeric!r}: the difference "
            "quotient overflowed float64; check at a point where f is smaller")
    err = abs(analytic - numeric)
    scale = max(abs(analytic), abs(numeric))
    bound = atol + rtol * abs(numeric)
    return InputCheck(name, value, analytic, numeric, err, err / scale if scale else 0.0,
                      err <= bound, err / bound if bound else (float("inf") if err else 0.0))


def _finish(report: GradcheckReport, raise_on_failure: bool) -> GradcheckReport:
    if raise_on_failure and not report.passed:
        raise GradcheckError(report)
    return report


def _gradient(f: Callable, xs: list[Value], where: str, create_graph: bool) -> tuple[Value, tuple]:
    out = _call(f, xs, where)
    try:
        return out, gradients(out, xs, create_graph=create_graph, allow_unused=True)
    except ValueError as e:
        raise ValueError(f"gradcheck: the gradient failed {where}: {e}") from e


def _second_order(f: Callable, point: list[float], names: list[str], eps: float, atol: float,
                  rtol: float) -> GradcheckReport:
    """Every ∂²f/∂xᵢ∂xⱼ: reverse over the gradient's graph, against differences of ∇f."""
    xs = [Value(p, n) for p, n in zip(point, names)]
    out, grads = _gradient(f, xs, "at the point", create_graph=True)
    rows = []
    for g in grads:  # row i of the Hessian: ∇(∂f/∂xᵢ); an unused input contributes 0
        row = gradients(g, xs, allow_unused=True) if g is not None else (None,) * len(xs)
        rows.append([0.0 if h is None else h for h in row])
    columns = []
    for j, name in enumerate(names):
        _, hi = _gradient(f, _shifted(point, j, eps), f"at {name} + eps", create_graph=False)
        _, lo = _gradient(f, _shifted(point, j, -eps), f"at {name} - eps", create_graph=False)
        columns.append([((h or 0.0) - (l or 0.0)) / (2 * eps) for h, l in zip(hi, lo)])
    checks = tuple(_compare(f"∂²f/∂{names[i]}∂{names[j]}", point[j], rows[i][j], columns[j][i], atol, rtol)
                   for i in range(len(xs)) for j in range(len(xs)))
    return GradcheckReport(out.data, checks, float(eps), float(atol), float(rtol), order=2)


def _point(inputs) -> tuple[list[float], list[str]]:
    if isinstance(inputs, (Value, Real)):
        raise TypeError("gradcheck: inputs must be a sequence of numbers or Values (one per argument of f), "
                        f"got a single {type(inputs).__name__}; wrap it: [x]")
    point, names = [], []
    for i, x in enumerate(inputs):
        if isinstance(x, Value):
            point.append(x.data)
            names.append(x.label or f"x{i}")
        elif isinstance(x, Real) and not isinstance(x, bool):  # as grad takes: int, float, Fraction, ...
            point.append(Value(x).data)  # Value's checks: finite, float
            names.append(f"x{i}")
        else:
            raise TypeError(f"gradcheck: inputs[{i}] must be a number or a Value, got {type(x).__name__} {x!r}")
    return point, names


def _shifted(point: list[float], i: int, h: float) -> list[Value]:
    return [Value(p + h if j == i else p) for j, p in enumerate(point)]


def _call(f: Callable, xs: list[Value], where: str, graph: bool = True) -> Value:
    """f(*xs), checked to be a Value; ``graph=False`` evaluates under no_grad() (values only)."""
    try:
        if graph:
            out = f(*xs)
        else:
            with no_grad():
                out = f(*xs)
    except (ValueError, ArithmeticError) as e:  # a domain error: the point or eps is too close to an edge
        raise ValueError(f"gradcheck: f failed {where}: {e}") from e
    if not isinstance(out, Value):
        raise TypeError(f"gradcheck: f must return a Value (a scalar), got {type(out).__name__} {out!r}")
    return out
