"""The compiled tape: record a per-sample scalar graph once, replay it over a whole batch.

A model and its loss build a graph of the same shape for every sample; only the numbers
differ.  :func:`compile` traces ``fn`` once on placeholder inputs and turns the graph into a
*tape*.  :meth:`Tape.forward` evaluates it over arrays with one column per sample, and
:meth:`Tape.backward` runs the chain rule in reverse over the same arrays (*Chapter 6: The
Backprop Algorithm*, Fig. 6.2)::

    ∂L/∂x += ∂L/∂z · ∂z/∂x        element-wise over the batch, adding where x is used twice

and reduces over the batch for each parameter w::

    "sum":   w.grad += Σ_b ∂out_b/∂w        "mean":  w.grad += (1/B) Σ_b ∂out_b/∂w

exactly what ``Value.backward`` leaves in ``w.grad`` for ``Value.sum(outs)`` (or ``/ B``):
leaves accumulate across calls.

**Replayed by level, a group at a time.**  At compile time the nodes are grouped: nodes that
apply the same rule, sit at the same depth (1 + the depth of their deepest operand) and read
operands of the same kinds form one *group* — a layer's neurons, its activations, the k
squared errors of a k-output loss.  Nodes of one depth never depend on each other, so a group
is evaluated as ONE array op over a stacked array of shape (k, B): k nodes, B samples.  Rows
are laid out so that the operands of a group are, wherever the graph allows, one slice of
the work array (a view, no copy).  A layer's dot nodes ``Σᵢ wⱼᵢ xᵢ`` reading the same inputs
become one matrix product::

    z = W·X        W (k, n) a view of the k neurons' consecutive parameter rows,
                   X (n, B) the layer's inputs, one row per input

and their backward the two products of the chain rule, ∂L/∂W = G·Xᵀ and ∂L/∂X = Wᵀ·G.
Nothing of this knows what a layer is: grouping is read off the graph, and any traced
function replays the same way (a graph with no repeated structure gets groups of one).

**One source of truth for the calculus.**  Each group is replayed with
``RULES[op].fn(m, *stacked_operands)`` — the very rule functions of the scalar engine
(:mod:`autograd_engine.rules`), with an array backend ``m`` (:data:`ARRAY_MATH`, NumPy; or
the PyTorch one of :mod:`autograd_engine.tape.torch_backend`) in place of ``math``.  For the n-ary
rules the stacked operands have shape (n, k, B) — operand index first, so ``m.sum`` and
``m.dot`` sum over the first axis exactly as they do for one node, and the rule's local
gradients (``xs`` and ``ws`` for dot) arrive stacked too.  The tape multiplies them by the
upstream gradient and sums over what the operand does not vary with (the batch for a
parameter, the group for a shared input): the chain rule, never a second copy of any
derivative.

**Parameters vs inputs.**  Inputs are the placeholders ``fn`` is called with (column ``j`` of
the batch feeds input ``j``).  Parameters are the other leaves that exist outside ``fn`` (the
same Value objects in every trace, e.g. model weights): they stay linked, ``forward`` reads
their current ``.data`` every call, ``backward`` adds into their ``.grad``.  The tape keeps
them as one array as well (:meth:`Tape.parameter_data`, :meth:`Tape.parameter_grad`,
:meth:`Tape.assign_parameters`).  For training, :meth:`Tape.hold_parameters` (or
:meth:`Tape.attach`) moves them into :class:`ParameterArrays` on the tape's device: forward
gathers ``data[idx]``, backward adds into ``grad[idx]`` (one op each, no Value touched), an
optimizer updates the arrays, and ``write_back()`` makes the Values current at the points the
caller chooses.  Nodes that depend on parameters only (an L2 term ``Σ w²``) are evaluated
once per batch, not once per sample.  ``fn`` may also return ``(scalar, [v₁…v_k])``: the
numbers of the watched Values (a model's outputs) are read after a forward with
:meth:`Tape.watched`, so a loss and the outputs it scored come from one pass.

**Limits: what cannot be replayed.**  The tape replays the *ops*; Python control flow runs
only while tracing.  Branches inside ops (``relu``, ``max``, ``min``, ``abs``,
``leaky_relu``) are fine — they are evaluated element-wise.  A Python ``if`` on ``.data``
inside ``fn``, or a number taken from ``.data`` (``x * y.data``, ``Value(x.data)``), would be
frozen at its traced value.  :func:`compile` therefore traces ``fn`` twice, on two different
inputs (every input's sign flipped between the traces), and raises a ``ValueError`` when the
two graphs differ — but a branch that the two traces happen to take alike cannot be seen.
Values made inside ``fn`` from parameters' ``.data`` (``Value(w.data)``, ``w.detach()``) are
frozen at trace time, and Values computed under ``no_grad()`` inside ``fn`` are refused.

**Errors.**  Forward runs under ``np.errstate`` raising on overflow, division by zero and
invalid results (and checks the matrix products, which do not raise), so a domain error (log
of x ≤ 0, exp overflow, ...) is a ``ValueError`` naming the op, the failing sample's index
and its operands — never a silent NaN.  PyTorch raises nothing: the torch backend gathers a
finiteness flag per group on the device and reads them once a pass; when one is false the
pass is replayed checking each group at once, for the same error.  A backward pass that
would leave a parameter's gradient non-finite is refused whole, no gradient changed.
"""

from __future__ import annotations

# The package, one concern a module (lower first; each imports only those above it):
#   kernels   — the rules' array backend over NumPy (ARRAY_MATH) and the stacked dot product
#   backends  — the few array operations the replay needs, for NumPy; torch_backend for PyTorch
#   tracing   — compile(): trace fn twice, check the two graphs agree, build the Tape
#   layout    — the traced graph grouped by depth and laid out in rows of two stores
#   rows      — rows as blocks and views; the backward pass's gradient writers
#   parameters — parameters held as arrays while they train (Tape.attach)
#   replay    — the Tape: bind a batch size, forward and backward over arrays
from .kernels import ARRAY_MATH, stacked_dot
from .parameters import ParameterArrays
from .replay import Tape
from .tracing import compile

__all__ = ["compile", "Tape", "ARRAY_MATH", "ParameterArrays", "stacked_dot"]
