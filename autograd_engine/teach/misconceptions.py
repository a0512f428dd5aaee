"""Misconceptions about backprop, each a wrong rule: a catalogue, a student who holds one, and
a diagnosis from a student's answers.

The rule table (:mod:`autograd_engine.rules`) says everything the backward pass needs about an
op: its local gradients ∂z/∂x.  The chain rule on one edge (Figure 6.2 of the textbook chapter
*Chapter 6: The Backprop Algorithm*) and the sum at a branch do the rest:

    contribution = ∂L/∂z · ∂z/∂x          ∂L/∂x += contribution

A student who gets backprop wrong in a consistent way holds a *different* table or a different
one of these two lines: "multiply swaps" forgotten is the row ``mul`` with its local gradients
``x, y`` instead of ``y, x``; "gradients add at branches" forgotten is ``=`` instead of ``+=``.
:data:`MISCONCEPTIONS` lists such mutations; :func:`replay` walks the graph in the order of
:func:`~autograd_engine.teach.walkthrough.backward_steps` with a (mutated) table compiled by the
same :func:`~autograd_engine.rules.rule` as the real one, and says what that student writes for
the parent's gradient after every step.  :func:`diagnose` compares a student's answers with
every student of the catalogue and names the closest.
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Callable, Iterable, Mapping, NamedTuple, Sequence

from ..rules import FLOAT_MATH, RULES, Rule, rule
from ..value import Value
from .walkthrough import node_names, number

NONE = "none"
"""The name :func:`diagnose` gives a student whose answers follow the correct rules."""

REL_TOL, ABS_TOL = 1e-3, 1e-6
"""How close an answer must be to count as the same number: a student writing 0.197 for
σ′ = 0.19661… is right (three significant digits), 0.2 is not."""


def _mutated(**grads: tuple[str, ...]) -> dict[str, Rule]:
    """Rows of the rule table with their local-gradient formulas replaced (same names, operands
    and forward formula), each compiled by :func:`~autograd_engine.rules.rule` like the real
    rows; the other rows stay the real ones."""
    table = {}
    for name, formulas in grads.items():
        r = RULES[name]
        table[name] = rule(r.name, r.symbol, " ".join(r.args), r.z, *formulas, domain=r.domain)
    return table


def _chain(upstream: float, local: float) -> float:
    """The chain rule on one edge: ∂L/∂z · ∂z/∂x."""
    return upstream * local


def _add(held: float, contribution: float) -> float:
    """Gradients add at branches: ∂L/∂x += contribution."""
    return held + contribution


class Misconception(NamedTuple):
    """A wrong way to do backprop, as a mutation of the rule table or of the two lines that
    apply it; ``graph`` at ``at`` is the smallest graph where it gives a wrong answer."""

    name: str
    description: str  #: one line, what the student does
    expression: str  #: the smallest graph where it shows, as text ("x - y")
    at: Mapping[str, float]  #: the values of its variables
    graph: Callable[..., Value]  #: builds it from Values named as in ``at``
    table: Mapping[str, Rule] = {}  #: the rows the student has wrong (op → mutated row)
    chain: Callable[[float, float], float] = _chain  #: contribution from (upstream, local)
    accumulate: Callable[[float, float], float] = _add  #: new gradient from (held, contribution)

    def example(self) -> Value:
        """The smallest graph where the misconception gives a wrong answer (leaves labelled by
        their variable names, the root ``f``)."""
        root = self.graph(*(Value(float(x), name) for name, x in self.at.items()))
        root.label = root.label or "f"
        return root


_CATALOGUE = (
    Misconception("overwrite_at_branch",
                  "a node used twice keeps the last gradient that arrives instead of the sum",
                  "x * x", {"x": 3.0}, lambda x: x * x, accumulate=lambda held, contribution: contribution),
    Misconception("local_only",
                  "the contribution is the local gradient ∂z/∂x alone, without the upstream factor ∂L/∂z",
                  "(x + y) * w", {"x": 1.0, "y": 2.0, "w": 3.0}, lambda x, y, w: (x + y) * w,
                  chain=lambda upstream, local: local),
    Misconception("no_swap",
                  "the local gradient of x·y with respect to x is taken as x instead of y",
                  "x * y", {"x": 2.0, "y": 5.0}, lambda x, y: x * y, table=_mutated(mul=("x", "y"))),
    Misconception("max_to_both",
                  "max (and min) passes the gradient to both inputs instead of the larger (smaller) one",
                  "max(x, y)", {"x": 3.0, "y": 1.0}, lambda x, y: x.max(y),
                  table=_mutated(max=("1.0", "1.0"), min=("1.0", "1.0"))),
    Misconception("sign_slip",
                  "∂(x − y)/∂y taken as +1 and ∂(x / y)/∂y as +z/y: the minus sign of the second operand dropped",
                  "x - y", {"x": 5.0, "y": 2.0}, lambda x, y: x - y,
                  table=_mutated(sub=("1.0", "1.0"), rsub=("1.0",), div=("1.0 / y", "z / y"), rdiv=("z / x",))),
    Misconception("sigmoid_of_input",
                  "σ′ evaluated as x(1 − x) with the input x instead of z(1 − z) with the output z = σ(x)",
                  "sigmoid(x)", {"x": 0.0}, lambda x: x.sigmoid(), table=_mutated(sigmoid=("x * (1.0 - x)",))),
    Misconception("power_rule",
                  "∂xⁿ/∂x taken as n·xⁿ instead of n·xⁿ⁻¹",
                  "x ** 2", {"x": 3.0}, lambda x: x ** 2, table=_mutated(pow=("n * m.pow(x, n)",))),
)

MISCONCEPTIONS: dict[str, Misconception] = {m.name: m for m in _CATALOGUE}
"""name → :class:`Misconception`: its one-line ``description`` and ``example()``, the smallest
graph where it shows."""


# ---- a student who holds one -----------------------------------------------------------------
def _data(operand):
    if isinstance(operand, Value):
        return operand.data
    if isinstance(operand, (tuple, list)):
        return type(operand)(_data(o) for o in operand)
    return operand


def _local_grads(z: Value, table: Mapping[str, Rule]) -> tuple[float, ...]:
    """∂z/∂parent for each of ``z.parents``: from ``table``'s (mutated) row for ``z.op`` applied
    to the operands' forward values, or, for an op the student has right, the node's own
    ``local_grads`` (what the real row computed at forward time)."""
    row = table.get(z.op)
    if row is None:
        return z.local_grads
    _, *grads = row.fn(FLOAT_MATH, *map(_data, z.operands))
    out: list[float] = []
    for i, operand in enumerate(z.operands):
        if isinstance(operand, Value):
            out.append(float(grads[i]))
        elif isinstance(operand, (tuple, list)):
            out.extend(float(g) for o, g in zip(operand, grads[i]) if isinstance(o, Value))
    return tuple(out)


def replay(root: Value, misconception: str | Misconception | None = None, grad: float = 1.0, *,
           carry: bool = True) -> list[float]:
    """What a student holding ``misconception`` (a name of :data:`MISCONCEPTIONS`, or None /
    ``"none"`` for the correct rules) writes for the parent's gradient after each step of
    ``backward_steps(root, grad)``, in the same order: the walk of ``backward()`` (every node
    in reverse topological order sends to its parents in order), with the student's table,
    chain rule and accumulation.

    ``carry=True`` (a worksheet): the student's own numbers flow on, so a wrong gradient makes
    the steps after it wrong too.  ``carry=False`` (the player's quiz, which shows the right
    number after each answer): every step starts from the correct gradients so far, and only
    the step itself is done the student's way.  No ``.grad`` is touched."""
    return [after for _, after in replay_steps(root, misconception, grad, carry=carry)]


def replay_steps(root: Value, misconception: str | Misconception | None = None, grad: float = 1.0, *,
                 carry: bool = True) -> list[tuple[float, float]]:
    """:func:`replay` with each step's contribution too: ``(contribution, parent's gradient
    after)`` per step, as the student computes them."""
    m = _lookup(misconception, "replay")
    if not isinstance(root, Value):
        raise TypeError(f"replay: root must be a Value, got {type(root).__name__}")
    table, chain, accumulate = ({}, _chain, _add) if m is None else (m.table, m.chain, m.accumulate)
    order = root.nodes()
    student = {v: 0.0 for v in order}
    correct = dict(student)
    student[root] = correct[root] = float(grad)
    out = []
    for z in reversed(order):  # as backward(): every child of z has sent before z sends
        for x, local, right in zip(z.parents, _local_grads(z, table), z.local_grads):
            held = student if carry else correct
            contribution = chain(held[z], local)
            answer = accumulate(held[x], contribution)
            correct[x] = _add(correct[x], _chain(correct[z], right))
            student[x] = answer
            out.append((contribution, answer))
    return out


def _lookup(name, who: str) -> Misconception | None:
    if name is None or name == NONE:
        return None
    if isinstance(name, Misconception):
        return name
    if not isinstance(name, str):
        raise TypeError(f"{who}: a misconception is named by a str, got {type(name).__name__}")
    if name not in MISCONCEPTIONS:
        raise ValueError(f"{who}: no misconception named {name!r}; the names are "
                         + ", ".join(MISCONCEPTIONS))
    return MISCONCEPTIONS[name]


def same(answer: float, expected: float) -> bool:
    """Whether a student's number is the expected one (within :data:`REL_TOL`, :data:`ABS_TOL`)."""
    return math.isclose(answer, expected, rel_tol=REL_TOL, abs_tol=ABS_TOL)


# ---- diagnosis --------------------------------------------------------------------------------
def _check_items(items) -> list[tuple[Value, list[float | None]]]:
    checked = []
    for k, item in enumerate(items):
        if not (isinstance(item, (tuple, list)) and len(item) == 2):
            raise TypeError(f"diagnose: item {k} must be a pair (root, answers), got {type(item).__name__}")
        root, answers = item
        if not isinstance(root, Value):
            raise TypeError(f"diagnose: item {k}: root must be a Value, got {type(root).__name__}")
        if isinstance(answers, (str, bytes)) or not isinstance(answers, Iterable):
            raise TypeError(f"diagnose: item {k}: answers must be a sequence of numbers or None")
        answers = list(answers)
        steps = sum(len(v.parents) for v in root.nodes())
        if len(answers) != steps:
            raise ValueError(f"diagnose: item {k}: {len(answers)} answers for a graph of {steps} backward steps "
                             "(one per step of backward_steps(root), None where unanswered)")
        for j, a in enumerate(answers):
            if a is None:
                continue
            if isinstance(a, bool) or not isinstance(a, Real):
                raise TypeError(f"diagnose: item {k}, answer {j + 1}: expected a number or None, got {a!r}")
            if not math.isfinite(a):
                raise ValueError(f"diagnose: item {k}, answer {j + 1}: {a!r} is not a finite number")
        checked.append((root, [None if a is None else float(a) for a in answers]))
    return checked


def diagnose(items: Iterable[tuple[Value, Sequence[float | None]]]) -> list[tuple[str, float]]:
    """Which misconception explains a student's answers best: ``(name, score)`` pairs, best first,
    ``"none"`` among them for the correct rules.

    ``items``: pairs ``(root, answers)``, ``answers`` aligned with ``backward_steps(root)``, each
    the parent's gradient after that step as the student computed it (None if unanswered).
    A candidate's score is the fraction of answered steps where the student wrote what that
    candidate's :func:`replay` writes (equal within :func:`same`).  Ties are broken by
    evidence: the answered steps where the candidate differs from the correct rules and the
    student agreed with it (for ``"none"``: the steps where some misconception differs from
    the correct answer and the student was right anyway); a full tie goes to ``"none"``, the
    simplest explanation.  No answers at all: every score is 0 and ``"none"`` comes first.
    """
    checked = _check_items(items)
    names = [NONE, *MISCONCEPTIONS]
    agree = dict.fromkeys(names, 0)
    evidence = dict.fromkeys(names, 0)
    answered = 0
    for root, answers in checked:
        expected = {name: replay(root, name) for name in names}
        correct = expected[NONE]
        for j, a in enumerate(answers):
            if a is None:
                continue
            answered += 1
            differs = [n for n in MISCONCEPTIONS if not same(expected[n][j], correct[j])]
            for name in names:
                if same(a, expected[name][j]):
                    agree[name] += 1
                    if name == NONE and differs or name != NONE and name in differs:
                        evidence[name] += 1
    score = {name: agree[name] / answered if answered else 0.0 for name in names}
    ranked = sorted(names, key=lambda n: (-score[n], -evidence[n], names.index(n)))
    return [(name, score[name]) for name in ranked]


# ---- what the player's quiz carries ------------------------------------------------------------
def counterexample(name: str) -> str:
    """Where misconception ``name`` first goes wrong on its smallest graph, in words:
    ``"f = x - y at x = 5, y = 2: after step 2 (f → y) ∂f/∂y is -1 so far, not 1"``."""
    m = _lookup(name, "counterexample")
    if m is None:
        raise ValueError("counterexample: the correct rules have no counterexample")
    root = m.example()
    wrong, right = replay(root, m), replay(root)
    names = node_names(root)
    at = ", ".join(f"{k} = {number(float(x))}" for k, x in m.at.items())
    edges = [(z, x) for z in reversed(root.nodes()) for x in z.parents]
    for k, ((z, x), w, r) in enumerate(zip(edges, wrong, right), 1):
        if not same(w, r):
            return (f"{names[root]} = {m.expression} at {at}: after step {k} ({names[z]} → {names[x]}) "
                    f"∂{names[root]}/∂{names[x]} is {number(r)} so far, not {number(w)}")
    raise AssertionError(f"misconception {name!r} does not show on its own example")  # a test keeps this true


def quiz_data(root: Value, grad: float = 1.0) -> dict:
    """For the player's quiz: per misconception, its description, where it shows and what a
    student holding it answers at each step of ``root``'s graph (``contribution`` and
    ``after``, the parent's new gradient, one of each per step, each step from the correct
    numbers so far, as the page shows them), so the page only compares numbers."""
    out = {}
    for name, m in MISCONCEPTIONS.items():
        steps = replay_steps(root, m, grad, carry=False)
        out[name] = {"description": m.description, "example": counterexample(name),
                     "contribution": [c for c, _ in steps], "after": [a for _, a in steps]}
    return out
