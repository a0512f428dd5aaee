"""Writes the scalar engine's float methods from the rule table: ``_value_ops.py`` and run-time rules.

Each method inlines its rule's formulas (:mod:`autograd_engine.rules`) between the same few
lines of bookkeeping: read the operands' floats, evaluate z and the local gradients, refuse a
non-finite result, store a node.  Generating them (as dataclasses and PyTorch's
``derivatives.yaml`` do) keeps each formula written once while the float path pays no function
call or tuple per node.

The methods of the table's rules are generated into a checked-in file, ``_value_ops.py``, so
that readers, IDEs and type checkers see real source (a test fails when it is stale); rewrite it
with ``python -m autograd_engine._codegen``.  A rule added at run time (``rules.register``) gets
its methods from :func:`method_source`, the same text, compiled there and then.

Imports only :mod:`autograd_engine.rules`: it writes text, it runs nothing.
"""

from __future__ import annotations

import ast
import math
import sys
import textwrap
from pathlib import Path
from typing import Iterable

from .rules import TABLE, Rule

OUTPUT = Path(__file__).with_name("_value_ops.py")

_OPERAND = {  # how a method reads its operands: a Value (X), a Value or a number (Y), a number
    # A plain-number operand is checked like a Value's data: a finite float (an int becomes a
    # float, so .data is always a float; 10**400 or nan is a ValueError naming the op).
    "value": "    {x} = _X.data\n",
    "either": ("    _c = _Y.__class__\n"
               "    if _c is Value:\n        {y} = _Y.data  # type: ignore[union-attr]\n"
               "    elif _c is float and _Y - _Y == 0.0:\n        {y} = _Y  # type: ignore[assignment]\n"  # finite: nan/inf − itself is nan
               "    else:  # an int, a non-finite float, another kind of number, or an error\n"
               "        {y}, _c = _operand(_Y, {op!r}, _X)\n"),
    "number": ("    if {y}.__class__ is not float or not -_INF < {y} < _INF:\n"
               "        {y} = _to_float({y}, {op!r}, _X)\n"),
}

_STORE = {  # how the node keeps its operands (see the layout table in value.py's docstring)
    "value": "        _v._a = _X\n        _v._da = _d0\n        _v._b = _v._db = None\n",
    "either": ("        _v._a = _X\n        _v._da = _d0\n"
               "        if _c is Value:\n            _v._b = _Y\n            _v._db = _d1\n"
               "        else:\n            _v._b = {y}\n            _v._db = None\n"),
    "number": "        _v._a = _X\n        _v._da = _d0\n        _v._b = {y}\n        _v._db = None\n",
}


def _is_finite_by_construction(formula: str, args: tuple[str, ...], z_checked: bool = True) -> bool:
    """Whether a (float) formula is finite whatever the operands' values, so needs no check: a
    number; the first operand (a Value's data, always finite); z when it is checked; a bare
    operand as a local gradient (z uses it, so a non-finite one fails z's check); their
    negations; and choices ``a if c else b`` between such."""
    finite = {args[0]} | ({"z"} if z_checked else set())

    def ok(node: ast.AST, top: bool) -> bool:
        if isinstance(node, ast.Constant):
            return isinstance(node.value, (int, float)) and math.isfinite(node.value)
        if isinstance(node, ast.Name):
            return node.id in finite or (top and node.id in args)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            return ok(node.operand, False)
        if isinstance(node, ast.IfExp):
            return ok(node.body, False) and ok(node.orelse, False)
        return False

    return ok(ast.parse(formula, mode="eval").body, True)


class _WhereToIf(ast.NodeTransformer):
    """``m.where(c, a, b)`` → ``a if c else b``: an element-wise choice, for one float (no call)."""

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        f = node.func
        if (isinstance(f, ast.Attribute) and f.attr == "where" and isinstance(f.value, ast.Name)
                and f.value.id == "m" and len(node.args) == 3 and not node.keywords):
            return ast.IfExp(test=node.args[0], body=node.args[1], orelse=node.args[2])
        return node


def _float_formula(formula: str) -> str:
    return ast.unparse(_WhereToIf().visit(ast.parse(formula, mode="eval")))


def compilable(rule: Rule) -> bool:
    """Whether a float method can be generated for ``rule``: formula text, one or two operands."""
    return bool(rule.grads) and 1 <= len(rule.args) <= 2


def method_source(rule: Rule, method: str) -> str:
    """The source of the float method ``method`` of a one- or two-operand rule, its formulas
    inlined; a function at module level whose first parameter ``_X`` is the Value."""
    if not compilable(rule):
        raise ValueError(f"rule {rule.name!r}: a Value method needs formula text and one or two "
                         f"operands (it has {len(rule.args)}); apply it with Value.apply")
    args, grads, op = rule.args, rule.grads, rule.name
    x = args[0]
    y = args[1] if len(args) > 1 else None
    second = "" if y is None else ("either" if len(grads) == 2 else "number")
    params = "_X" if y is None else ("_X, _Y: Value | float" if second == "either" else f"_X, {y}: float")
    operands = "(_X,)" if y is None else ("(_X, _Y)" if second == "either" else f"(_X, {y})")
    formulas = ", ".join(f"∂z/∂{a} = {g}" for a, g in zip(args, grads))
    src = f"def {method}({params}) -> Value:\n"
    doc = f"z = {rule.z};  {formulas}  (rule {op!r} in rules.RULES)".replace("\\", "\\\\").replace('"', '\\"')
    src += f'    """{doc}"""\n'
    if second == "number":
        src += _OPERAND["number"].format(y=y, op=op)
    src += _OPERAND["value"].format(x=x)
    if second == "either":
        src += _OPERAND["either"].format(y=y, op=op)
    zf, gfs = _float_formula(rule.z), [_float_formula(g) for g in grads]
    src += f"    try:\n        z = {zf}\n"
    src += "".join(f"        _d{i} = {g}\n" for i, g in enumerate(gfs))
    src += f"    except _FAILURES as e:\n        raise _domain_error({op!r}, {operands}, e) from None\n"
    # z − z is 0.0 for a finite z, and NaN (truthy) for ±inf or NaN
    checks = [] if _is_finite_by_construction(zf, args[:1], z_checked=False) else ["z - z"]
    checks += [f"_d{i} - _d{i}" for i, g in enumerate(gfs) if not _is_finite_by_construction(g, args)]
    if checks:
        src += f"    if {' or '.join(checks)}:\n        raise _domain_error({op!r}, {operands}, None)\n"
    src += f"    _v = _new(Value)\n    _v.data = z\n    _v.grad = 0.0\n    _v.label = ''\n    _v.op = {op!r}\n"
    src += "    if _recording():\n" + _STORE[second or "value"].format(y=y)
    src += "    else:  # under no_grad(): the op's name, no graph behind it\n"
    src += "        _v._a = _v._da = _v._b = _v._db = None\n    return _v\n"
    return src


_HEADER = '''\
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
'''


def module_source(rules: Iterable[Rule] = TABLE) -> str:
    """The text of ``_value_ops.py``: one method per name in each rule's ``method``."""
    out = [_HEADER]
    for rule in rules:
        names = rule.methods
        if not names:
            continue
        out.append("\n" + textwrap.indent(method_source(rule, names[0]), "    "))
        out.extend(f"    {alias} = {names[0]}\n" for alias in names[1:])
    return "".join(out)


def main(argv: list[str] | None = None) -> int:
    """``python -m autograd_engine._codegen [--check]``: rewrite ``_value_ops.py``, or (with
    ``--check``) exit 1 when it differs from what the table gives."""
    argv = sys.argv[1:] if argv is None else argv
    text = module_source()
    if argv == ["--check"]:
        stale = not OUTPUT.exists() or OUTPUT.read_text(encoding="utf-8") != text
        print(f"{OUTPUT.name} is {'stale: run python -m autograd_engine._codegen' if stale else 'up to date'}")
        return 1 if stale else 0
    if argv:
        print("usage: python -m autograd_engine._codegen [--check]", file=sys.stderr)
        return 2
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
