"""The same graph in PyTorch: readable source for a scalar expression, and a check against it.

:func:`to_torch_code` writes a PyTorch script (or function) for the graph of a ``Value`` — one
line per node, in the order the expression computes them (``backprop.forward_order``), each
node named as the pictures and the walk-through name it (its label, else ``f`` for the root and
``v1, v2, …``; :mod:`autograd_engine.teach.naming`), made an identifier — and
:func:`check_with_torch` runs that script and compares the value and every leaf gradient with
our own backward pass.  Benedict Florance's example f = (a+b)(b+c) at a = −1, b = 3, c = 4
becomes::

    a = torch.tensor(-1.0, dtype=torch.float64, requires_grad=True)
    b = torch.tensor(3.0, dtype=torch.float64, requires_grad=True)
    c = torch.tensor(4.0, dtype=torch.float64, requires_grad=True)
    x = a + b  # 2.0
    y = b + c  # 7.0
    f = x * y  # 14.0
    f.backward()

and PyTorch gives ∂f/∂a = 7, ∂f/∂b = 9, ∂f/∂c = 2, like us.

**One table.**  Each rule of :data:`autograd_engine.rules.RULES` carries its PyTorch counterpart
in its ``torch`` field: an expression over the rule's operand names (``"x * y"`` for ``mul``,
whose operands are ``x y``; ``rules.torch_template`` makes it a template, ``"{x} * {y}"``).  Only forward expressions live here: PyTorch derives its own gradients,
and that is the point of the comparison — no derivative is written a second time.  A rule
without a template is an error naming the op (and a test fails when one is added).

**Conventions at kinks** agree with PyTorch 2.x, so the check is exact there too:
relu′(0) = 0 (``torch.relu``), |x|′(0) = 0 (``torch.abs``), leaky_relu′(0) = slope
(``torch.nn.functional.leaky_relu``), and a tie of ``max``/``min`` splits the gradient 0.5/0.5
(``torch.maximum``/``torch.minimum`` do the same for two tensors; note that the reductions
``torch.max(t)``/``torch.amax`` spread a tie evenly over all the tied entries, and
``torch.where(x > y, x, y)`` would send all of it to ``y`` — neither is used here).

Leaves become ``torch.tensor(x, dtype=torch.float64, requires_grad=True)`` (``repr`` of a float
round-trips exactly), plain-number operands stay Python numbers, and the n-ary nodes are
``torch.stack([...]).sum()`` and ``torch.dot(...)``.  The numbers then agree to rounding: the
association of a dot product or a sum may differ (BLAS), everything else is the same IEEE
operation.

PyTorch is imported only by :func:`check_with_torch` (``pip install 'autograd-engine[torch]'``);
:func:`to_torch_code` writes text and needs nothing but the engine.
"""

from __future__ import annotations

import inspect
import keyword
import math
import random
import re
import string
import unicodedata
from dataclasses import dataclass
from numbers import Real
from typing import Callable, Iterable, Sequence, Union

from .checks import computed_under_no_grad, finite_float, no_graph_error, shown
from .backprop import forward_order
from .grads import gradients
from .grad_mode import enable_grad
from .rules import RULES, torch_template
from .teach.naming import node_names  # the views' names (standard library only; teach never imports this module)
from .value import Value

__all__ = ["to_torch_code", "check_with_torch", "TorchCheck", "GradientCheck"]



def __getattr__(name: str):
    if name == "TORCH_OPS":  # the old per-op table, now read from the rules' ``torch`` field
        from types import MappingProxyType

        return MappingProxyType({n: torch_template(r) for n, r in RULES.items() if r.torch})
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

_TENSOR = "torch.tensor({}, dtype=torch.float64)"
_LEAF = "torch.tensor({}, dtype=torch.float64, requires_grad=True)"
_RESERVED = {"torch"}  # the one module name the generated code uses
_FORMATTER = string.Formatter()

_INSTALL = ("pip install 'autograd-engine[torch]' (on a machine without a GPU, first "
            "pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu: "
            "the pinned CPU wheel, not gigabytes of CUDA)")


def template_fields(template: str) -> set[str]:
    """The operand names a template (``rules.torch_template``) refers to (``{x}`` → ``x``)."""
    return {f for _, f, _, _ in _FORMATTER.parse(template) if f is not None}


def import_torch(who: str):
    """``torch``, or a ModuleNotFoundError that names ``who``, the extra and the CPU wheel."""
    try:
        import torch
    except ImportError as e:
        raise ModuleNotFoundError(f"{who} needs PyTorch: {_INSTALL}", name="torch") from e
    return torch


# ---- names ------------------------------------------------------------------------------------
def _identifier(label: str) -> str:
    """``label`` as a Python identifier: NFKC-normalised (as Python reads identifiers), every
    character that cannot be in a name replaced by ``_``, runs of ``_`` squeezed
    (``w[1][2][3]`` → ``w_1_2_3``), ``_`` in front of a leading digit; "" if nothing is left."""
    text = unicodedata.normalize("NFKC", label)
    out = re.sub(r"__+", "_", "".join(ch if ("_" + ch).isidentifier() else "_" for ch in text)).strip("_")
    if out and not out[0].isidentifier():  # a leading digit
        out = "_" + out
    return out


class _Names:
    """Unique identifiers, given out in order: a label's identifier, else the fallback."""

    def __init__(self, taken: Iterable[str] = ()) -> None:
        self.used = set(_RESERVED) | set(taken)

    def new(self, label: str, fallback: str) -> str:
        base = _identifier(label) or fallback
        if keyword.iskeyword(base) or keyword.issoftkeyword(base):
            base += "_"
        name, k = base, 2
        while name in self.used:
            name, k = f"{base}_{k}", k + 1
        self.used.add(name)
        return name


# ---- rendering ---------------------------------------------------------------------------------
def _comment(text: object) -> str:
    """Any text (a function's ``__qualname__``, a number's repr) made safe for one ``#`` comment
    of the generated source: every character that is not printable -- a newline, which would
    end the comment and start code, a lone surrogate, which cannot be encoded -- written as its
    escape (``\\n``, ``\\ud800``).  Names are made identifiers by :func:`_identifier`, numbers
    literals by :func:`_number`; nothing else of the caller's reaches the source."""
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in str(text))


def _number(x) -> str:
    """A plain-number operand as an exact literal: ints stay ints (``x ** 2``), every other real
    is a float (``repr`` round-trips); negatives in parentheses (``(-2.0) ** x`` ≠ ``-2.0 ** x``).
    Written by ``int``'s and ``float``'s own repr, never the operand's: an ``IntEnum``
    (``<HTTPStatus.OK: 200>``) or a ``numpy.float64`` (``np.float64(2.0)``) is its number."""
    if isinstance(x, int):  # bool and IntEnum too: int.__repr__ of the value, a plain literal
        text = int.__repr__(int(x))
    else:
        text = float.__repr__(float(x))
    return f"({text})" if text.startswith("-") else text


def _data(v: Value) -> str:
    """``v.data`` as a float literal, by ``float``'s own repr (a ``numpy.float64`` assigned to
    ``.data`` would write ``np.float64(2.0)``, which the generated code cannot run)."""
    x = float(v.data)
    if not math.isfinite(x):  # .data assigned after the graph was built: no literal for it
        raise ValueError(f"to_torch_code: node {v.label or v.op or 'leaf'!r} has .data = {x!r}; "
                         "Values hold finite numbers only")
    return float.__repr__(x)


def _operand(x, names: dict[int, str]) -> str:
    if isinstance(x, Value):
        return names[id(x)]
    if isinstance(x, (tuple, list)):  # an n-ary operand group: a 1-d tensor
        if not x:
            return "torch.zeros(0, dtype=torch.float64)"
        if not any(isinstance(e, Value) for e in x):
            return _TENSOR.format("[" + ", ".join(_number(e).strip("()") for e in x) + "]")
        parts = [names[id(e)] if isinstance(e, Value) else _TENSOR.format(_number(e).strip("()"))
                 for e in x]
        return "torch.stack([" + ", ".join(parts) + "])"
    return _number(x)


def _expression(v: Value, names: dict[int, str]) -> str:
    """The right-hand side for node v: its rule's template filled with its operands."""
    rule = RULES.get(v.op)
    template = torch_template(rule) if rule is not None else ""
    if rule is None or not template:
        raise ValueError(f"to_torch_code: op {v.op!r} has no PyTorch counterpart; give its rule a torch "
                         f"expression over its operands (rules.rule(..., torch=...), in RULES)")
    operands = v.operands
    if len(operands) != len(rule.args):
        raise ValueError(f"to_torch_code: node {names[id(v)]} ({v.op}) has {len(operands)} operands, "
                         f"its rule names {len(rule.args)} ({' '.join(rule.args)})")
    return template.format(**{a: _operand(x, names) for a, x in zip(rule.args, operands)})


@dataclass(frozen=True)
class _Program:
    """Generated source and the names it gives: the root's variable and each leaf's, module-level."""

    code: str
    root: Value
    root_name: str
    leaves: tuple[tuple[Value, str], ...]  # (leaf, its module-level name), in order


def _bounded_order(root: Value, max_nodes: int, who: str) -> list[Value]:
    """forward_order, refused past max_nodes (one line each) before walking all of a huge graph."""
    try:
        return forward_order(root, max_nodes)
    except OverflowError:
        raise ValueError(f"{who}: the graph has more than max_nodes={max_nodes} nodes (one line of "
                         "code each); pass a larger max_nodes to write it anyway") from None


def _not_a_root(root, who: str) -> TypeError:
    return TypeError(f"{who}: expected a Value (the root of a scalar expression) or a callable "
                     f"taking Values, got {type(root).__name__} {root!r:.60}")


def _check_root(root, who: str) -> Value:
    if not isinstance(root, Value):
        raise _not_a_root(root, who)
    if computed_under_no_grad(root):
        raise no_graph_error(who, "this Value", root, "so it has no graph to write; compute it outside no_grad()")
    return root


def _header(title: str) -> list[str]:
    return [f"# {_comment(title)}", "# written by autograd_engine.to_torch_code: one line per node, float64 throughout",
            "import torch", ""]


def _root_program(root: Value, max_nodes: int, backward: bool, who: str) -> _Program:
    order = _bounded_order(root, max_nodes, who)
    namer, names, shown = _Names(), {}, node_names(root, order)
    for v in order:  # the pictures' names (f, v1, v2, …, labels), as identifiers
        names[id(v)] = namer.new(shown[v], "v")
    leaves = [v for v in order if v.is_leaf()]
    lines = _header(f"PyTorch version of a scalar graph of {len(order)} nodes")
    lines += [f"{names[id(v)]} = {_LEAF.format(_data(v))}" for v in leaves]
    lines.append("")
    lines += [f"{names[id(v)]} = {_expression(v, names)}  # {_data(v)}"
              for v in order if not v.is_leaf()]
    r = names[id(root)]
    if backward:
        lines += ["", f"{r}.backward()  # every leaf's .grad now holds ∂{r}/∂leaf"]
    return _Program("\n".join(lines) + "\n", root, r, tuple((v, names[id(v)]) for v in leaves))


def _positional(fn: Callable, who: str) -> tuple[list[str], list[str], bool]:
    """fn's required and optional positional parameter names, and whether it takes *args."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return [], [], True  # a builtin without a signature: the caller says how many inputs
    required: list[str] = []
    optional: list[str] = []
    star = False
    for p in sig.parameters.values():
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            (required if p.default is p.empty else optional).append(p.name)
        elif p.kind is p.VAR_POSITIONAL:
            star = True
        elif p.kind is p.KEYWORD_ONLY and p.default is p.empty:
            raise TypeError(f"{who}: fn has a required keyword-only parameter {p.name!r}; "
                            "wrap it so that it takes Values positionally only")
    return required, optional, star


def _trace_inputs(fn: Callable, inputs, who: str) -> tuple[list[str], list[float]]:
    """The names and values of the leaves fn is traced at."""
    required, optional, star = _positional(fn, who)
    if inputs is None:
        if star:
            raise TypeError(f"{who}: fn takes *args (or shows no signature): pass inputs=[...] "
                            "with one number per argument")
        rng = random.Random(0)  # inside every rule's domain (log, sqrt need x > 0)
        point = [round(rng.uniform(0.1, 1.0), 4) for _ in required]
    else:
        if isinstance(inputs, (Value, Real)) or isinstance(inputs, (str, bytes)):
            raise TypeError(f"{who}: inputs must be a sequence of numbers (one per argument of fn), "
                            f"got {type(inputs).__name__} {inputs!r}; wrap one number: [x]")
        point = []
        for i, x in enumerate(inputs):
            x = x.data if isinstance(x, Value) else x
            if isinstance(x, bool) or not isinstance(x, Real):
                raise TypeError(f"{who}: input {i} must be a finite number, got {type(x).__name__} {shown(x)}")
            point.append(finite_float(x, who, f"input {i}", what="a finite number"))  # 10**400: ValueError
        n_max = math.inf if star else len(required) + len(optional)
        if not len(required) <= len(point) <= n_max:
            want = f"{len(required)}" + ("" if n_max == len(required) else
                                          f" to {n_max}" if n_max < math.inf else " or more")
            raise TypeError(f"{who}: fn takes {want} positional arguments, but inputs has {len(point)} numbers")
    params = required + optional
    names = [params[i] if i < len(params) else f"x{i}" for i in range(len(point))]
    if inputs is not None:  # a Value's label names its input
        names = [x.label if isinstance(x, Value) and x.label else n for n, x in zip(names, inputs)]
    return names, point


def _fn_program(fn: Callable, inputs, max_nodes: int, backward: bool, who: str) -> _Program:
    labels, point = _trace_inputs(fn, inputs, who)
    xs = [Value(p, label) for p, label in zip(point, labels)]
    with enable_grad():
        try:
            root = fn(*xs)
        except (ArithmeticError, ValueError, TypeError) as e:
            try:
                wrapped = type(e)(f"{who}: tracing fn at inputs {point} failed: {e}")
            except Exception:  # an exception type with another signature: as it was
                raise e from None
            raise wrapped from e
    if not isinstance(root, Value):
        hint = (" (one Value per output: combine them with Value.sum, or write one per output)"
                if isinstance(root, (list, tuple)) else "")
        raise TypeError(f"{who}: fn must return one Value (the scalar root), got "
                        f"{type(root).__name__}{hint}")
    _check_root(root, who)
    order = _bounded_order(root, max_nodes, who)
    input_ids = {id(x) for x in xs}
    captured = [v for v in order if v.is_leaf() and id(v) not in input_ids]  # parameters fn closes over
    captured_ids = {id(v) for v in captured}
    raw = getattr(fn, "__name__", "")
    raw = raw if isinstance(raw, str) else ""  # a callable object's attribute may be anything
    fname = _Names().new("" if raw == "<lambda>" else raw, "fn")
    module, names, shown = _Names([fname]), {}, node_names(root, order)
    for v in order:
        if id(v) in captured_ids:
            names[id(v)] = module.new(shown[v], "v")
    arg_names = [module.new(x.label, f"x{i}") for i, x in enumerate(xs)]
    for x, name in zip(xs, arg_names):
        names[id(x)] = name
    local = _Names(module.used)  # the body's names must not shadow a module-level one
    for v in order:
        if id(v) not in names:
            names[id(v)] = local.new(shown[v], "v")
    title = "a lambda" if raw == "<lambda>" else getattr(fn, "__qualname__", fname)
    title = title if isinstance(title, str) else fname
    lines = _header(f"PyTorch version of {title}, traced at {point}")  # _header escapes it
    if captured:
        lines.append("# leaves fn does not receive (its parameters), as they were when traced")
        lines += [f"{names[id(v)]} = {_LEAF.format(_data(v))}" for v in captured]
        lines.append("")
    lines.append(f"def {fname}({', '.join(arg_names)}):")
    lines += [f"    {names[id(v)]} = {_expression(v, names)}  # {_data(v)}"
              for v in order if not v.is_leaf()]
    lines += [f"    return {names[id(root)]}", ""]
    lines += [f"{n} = {_LEAF.format(_data(x))}" for x, n in zip(xs, arg_names)]
    out = module.new(root.label or "out", "out")
    lines.append(f"{out} = {fname}({', '.join(arg_names)})")
    if backward:
        lines.append(f"{out}.backward()  # every leaf's .grad now holds ∂{out}/∂leaf")
    leaves = tuple((v, names[id(v)]) for v in captured) + tuple(zip(xs, arg_names))
    return _Program("\n".join(lines) + "\n", root, out, leaves)


def _program(fn_or_root, inputs, max_nodes: int, backward: bool, who: str) -> _Program:
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1:
        raise ValueError(f"{who}: max_nodes must be a positive int, got {max_nodes!r}")
    if isinstance(fn_or_root, Value):
        if inputs is not None:
            raise TypeError(f"{who}: inputs= is for a function; a Value already holds its numbers")
        return _root_program(_check_root(fn_or_root, who), max_nodes, backward, who)
    if callable(fn_or_root) and not isinstance(fn_or_root, type):
        return _fn_program(fn_or_root, inputs, max_nodes, backward, who)
    raise _not_a_root(fn_or_root, who)


def to_torch_code(fn_or_root: Union[Value, Callable[..., Value]], inputs: Sequence | None = None, *,
                  max_nodes: int = 10_000, backward: bool = True) -> str:
    """PyTorch source computing the same scalar as ``fn_or_root``, one line per node.

    ``fn_or_root`` is a ``Value`` (its whole graph is written as a script: the leaves as
    ``torch.tensor(x, dtype=torch.float64, requires_grad=True)``, then each node in forward
    order) or a function taking Values and returning one Value: it is traced by calling it on
    leaf Values named after its parameters, at ``inputs`` (one number per argument; by default
    fixed numbers in (0.1, 1), inside every rule's domain), and written as a ``def`` plus the
    call; leaves it does not receive (model weights) become module-level tensors.  Variables
    are named by the labels (made identifiers: ``w[1][2][3]`` → ``w_1_2_3``, repeats get ``_2``)
    or ``v<k>``, k the node's place in the forward order.  Each line ends with our value as a
    comment.  ``backward`` appends ``root.backward()``.  Graphs over ``max_nodes`` are refused.

    Like any trace, a function's Python control flow on ``.data`` is frozen at the traced point.
    """
    return _program(fn_or_root, inputs, max_nodes, backward, "to_torch_code").code


# ---- the check ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class GradientCheck:
    """One number compared: the root's value or a leaf's gradient, ours against PyTorch's."""

    name: str
    ours: float
    torch: float
    abs_diff: float  #: |ours − torch|
    rel_diff: float  #: |ours − torch| / max(|ours|, |torch|), 0 when both are 0
    passed: bool  #: |ours − torch| ≤ atol + rtol·|torch|


def _compare(name: str, ours: float, theirs: float, atol: float, rtol: float) -> GradientCheck:
    d = abs(ours - theirs)
    scale = max(abs(ours), abs(theirs))
    return GradientCheck(name, ours, theirs, d, d / scale if scale else 0.0, d <= atol + rtol * abs(theirs))


@dataclass(frozen=True)
class TorchCheck:
    """What :func:`check_with_torch` found: the root's value and each leaf's gradient, ours and
    PyTorch's; ``str()`` is a table with the largest differences."""

    code: str  #: the generated PyTorch source that was run
    value: GradientCheck  #: the root: ours vs PyTorch's forward value
    grads: tuple[GradientCheck, ...]  #: ∂root/∂leaf per leaf, in the code's order
    atol: float
    rtol: float

    @property
    def checks(self) -> tuple[GradientCheck, ...]:
        return (self.value, *self.grads)

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def max_abs_diff(self) -> float:
        """The largest |ours − torch| over the value and every gradient."""
        return max(c.abs_diff for c in self.checks)

    @property
    def max_rel_diff(self) -> float:
        """The largest relative difference over the value and every gradient."""
        return max(c.rel_diff for c in self.checks)

    @property
    def worst(self) -> GradientCheck:
        """The entry with the largest absolute difference."""
        return max(self.checks, key=lambda c: c.abs_diff)

    def __str__(self) -> str:
        rows = [("", "ours", "PyTorch", "abs diff", "rel diff", "")]
        rows += [(c.name, repr(c.ours), repr(c.torch), f"{c.abs_diff:.2e}", f"{c.rel_diff:.2e}",
                  "ok" if c.passed else "FAIL") for c in self.checks]
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        table = "\n".join("  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows)
        verdict = "passed" if self.passed else "FAILED"
        return (f"check_with_torch: {len(self.grads)} leaf gradients and the value, ours vs PyTorch "
                f"(float64); an entry passes if |ours − torch| ≤ {self.atol:g} + {self.rtol:g}·|torch|\n"
                f"{table}\n{verdict}; largest abs diff {self.max_abs_diff:.2e} ({self.worst.name}), "
                f"largest rel diff {self.max_rel_diff:.2e}")


def check_with_torch(fn_or_root: Union[Value, Callable[..., Value]], inputs: Sequence | None = None, *,
                     atol: float = 1e-12, rtol: float = 1e-12, max_nodes: int = 10_000) -> TorchCheck:
    """Run :func:`to_torch_code`'s source in PyTorch and compare with our engine.

    The generated code is executed in a fresh namespace; PyTorch's value of the root and
    ``.grad`` of every leaf are compared with ours (computed by :func:`gradients`, which returns
    them and reads or writes no ``.grad``: nothing of yours changes, not even for a moment).
    An entry passes if ``|ours − torch| ≤ atol + rtol·|torch|``.  Returns a :class:`TorchCheck`
    (``.passed``, ``.max_abs_diff``, ``.max_rel_diff``, ``.worst``; ``print`` it for the table).
    """
    who = "check_with_torch"
    atol, rtol = (finite_float(val, who, arg, 0.0, what="a finite number ≥ 0")  # 10**400 too
                  for arg, val in (("atol", atol), ("rtol", rtol)))
    prog = _program(fn_or_root, inputs, max_nodes, True, who)
    torch = import_torch(who)

    # ours: returned by gradients(), never written into .grad (a training thread on the same
    # graph sees no change, not even a moment's); an unused input's gradient is 0, as backward gives
    leaves = [v for v, _ in prog.leaves]
    got = gradients(prog.root, leaves, allow_unused=True)
    ours = [0.0 if g is None else g for g in got]

    namespace: dict = {"__name__": "__autograd_engine_torch_check__"}
    with torch.enable_grad():
        exec(compile(prog.code, "<to_torch_code>", "exec"), namespace)
    out = namespace[prog.root_name]
    value = _compare(prog.root_name, prog.root.data, float(out.detach()), atol, rtol)
    grads = []
    for (v, name), g in zip(prog.leaves, ours):
        t = namespace[name].grad  # None: no path from the root (an unused input)
        grads.append(_compare(f"∂{prog.root_name}/∂{name}", g, 0.0 if t is None else float(t), atol, rtol))
    return TorchCheck(prog.code, value, tuple(grads), float(atol), float(rtol))
