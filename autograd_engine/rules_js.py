"""The rule table as JavaScript: the formula text of ``rules.TABLE`` compiled with ``ast``.

The float, NumPy, Value and torch backends are all generated from the rows' text (``args``,
``z``, ``grads``); a page that computes forward passes and gradients in the browser (the
training view) gets its code the same way, so no derivative is written twice::

    rule("tanh", "tanh", "x", "m.tanh(x)", "1.0 - z * z")
      →  tanh: function (x) { const z = M.tanh(x); return [z, (1.0 - (z * z))]; }

Two modes, one translator:

* **scalar** (the rules): ``+ - * /`` are JavaScript's (IEEE doubles, as Python's floats), a
  comparison ``a > b`` is the number 0/1 (as Python's bool in arithmetic), ``m.where(c, a, b)``
  is ``c ? a : b`` (as :data:`~autograd_engine.rules.FLOAT_MATH`), ``m.<fn>`` is ``M.<fn>``;
* **vector** (formulas over whole vectors, such as a loss's C(a, t) and ∇_a C): every operator
  is a call ``V.add(p, q)`` ... that works element-wise on numbers and arrays, broadcasting a
  number (NumPy's semantics for the same text), and ``m.<fn>`` is ``V.<fn>``.

:data:`PRELUDE_JS` defines ``M`` and ``V``: plain ``Math`` functions, a sigmoid evaluated
without overflow like :func:`~autograd_engine.rules._sigmoid`, and the reductions.  Only the
syntax the table uses is accepted (names, numbers, arithmetic, one comparison, ``m.`` calls,
sum's ``(1.0,) * len(xs)``); anything else is a ValueError naming the formula, never text
pasted into the page.
"""

from __future__ import annotations

import ast
import json
import re

from .rules import TABLE, Rule

__all__ = ["PRELUDE_JS", "expression", "rule_function", "rules_javascript"]

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_RESERVED = {"M", "V", "Math", "function", "return", "const", "let", "var", "new", "this", "in",
             "of", "if", "else", "for", "while", "delete", "typeof", "void", "with", "yield"}

_SCALAR_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
_VECTOR_OPS = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.Pow: "pow"}
_COMPARE = {ast.Gt: ">", ast.GtE: ">=", ast.Lt: "<", ast.LtE: "<=", ast.Eq: "===", ast.NotEq: "!=="}
_VECTOR_COMPARE = {ast.Gt: "gt", ast.GtE: "ge", ast.Lt: "lt", ast.LtE: "le", ast.Eq: "eq", ast.NotEq: "ne"}

#: the m.<fn> a formula may call, and the prelude's M/V provides
FUNCTIONS = ("exp", "log", "log1p", "tanh", "pow", "sigmoid", "sign", "sin", "cos", "sqrt", "abs",
             "maximum", "minimum", "where", "sum", "dot", "max")

PRELUDE_JS = r"""
const M = {
  exp: Math.exp, log: Math.log, log1p: Math.log1p, tanh: Math.tanh, pow: Math.pow, sin: Math.sin,
  cos: Math.cos, sqrt: Math.sqrt, abs: Math.abs,
  // sigma(x) = 1/(1 + e^(-x)), with e^(-|x|) <= 1: no overflow at +-1000 (as rules._sigmoid)
  sigmoid: x => { if (x >= 0) return 1 / (1 + Math.exp(-x)); const e = Math.exp(x); return e / (1 + e); },
  sign: x => (x > 0 ? 1 : (x < 0 ? -1 : 0)),
  maximum: (x, y) => (x >= y ? x : y), minimum: (x, y) => (x <= y ? x : y),
  // left to right from 0.0, as Python's sum(xs, 0.0)
  sum: xs => { let s = 0.0; for (const x of xs) s += x; return s; },
  dot: (ws, xs) => { let s = 0.0; for (let i = 0; i < ws.length; i++) s += ws[i] * xs[i]; return s; },
  max: xs => xs.reduce((p, q) => (q > p ? q : p)),
};
const V = (() => {
  const map2 = f => (p, q) => {
    const pa = Array.isArray(p), qa = Array.isArray(q);
    if (!pa && !qa) return f(p, q);
    const n = pa ? p.length : q.length, out = new Array(n);
    for (let i = 0; i < n; i++) out[i] = f(pa ? p[i] : p, qa ? q[i] : q);
    return out;
  };
  const map1 = f => p => (Array.isArray(p) ? p.map(x => f(x)) : f(p));
  const V = {
    add: map2((p, q) => p + q), sub: map2((p, q) => p - q), mul: map2((p, q) => p * q),
    div: map2((p, q) => p / q), pow: map2(Math.pow), neg: map1(p => -p),
    gt: map2((p, q) => (p > q ? 1 : 0)), ge: map2((p, q) => (p >= q ? 1 : 0)),
    lt: map2((p, q) => (p < q ? 1 : 0)), le: map2((p, q) => (p <= q ? 1 : 0)),
    eq: map2((p, q) => (p === q ? 1 : 0)), ne: map2((p, q) => (p !== q ? 1 : 0)),
    maximum: map2(M.maximum), minimum: map2(M.minimum),
    sum: p => (Array.isArray(p) ? M.sum(p) : p), max: p => (Array.isArray(p) ? M.max(p) : p),
    dot: (p, q) => M.sum(V.mul(p, q)),
    where: (c, p, q) => {
      if (!Array.isArray(c)) return c ? p : q;
      return c.map((ci, i) => (ci ? (Array.isArray(p) ? p[i] : p) : (Array.isArray(q) ? q[i] : q)));
    },
  };
  for (const f of ["exp", "log", "log1p", "tanh", "sigmoid", "sign", "sin", "cos", "sqrt", "abs"]) V[f] = map1(M[f]);
  return V;
})();
"""
"""``M`` (numbers) and ``V`` (numbers and arrays, element-wise) for the generated code."""


class _Translator:
    def __init__(self, formula: str, names: tuple[str, ...], vector: bool) -> None:
        self.formula, self.names, self.vector = formula, set(names), vector

    def fail(self, what: str) -> ValueError:
        return ValueError(f"rules_js: {what} in the formula {self.formula!r}")

    def __call__(self, node: ast.AST, boolean: bool = False) -> str:
        if isinstance(node, ast.Expression):
            return self(node.body)
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                raise self.fail(f"the constant {node.value!r} is not a number")
            return repr(float(node.value))
        if isinstance(node, ast.Name):
            if node.id not in self.names:
                raise self.fail(f"the name {node.id!r} is not an operand ({', '.join(sorted(self.names))})")
            return node.id
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.USub):
                return f"V.neg({self(node.operand)})" if self.vector else f"(-{self(node.operand)})"
            if isinstance(node.op, ast.UAdd):
                return self(node.operand)
            raise self.fail(f"the operator {type(node.op).__name__}")
        if isinstance(node, ast.BinOp):
            repeat = self._repeat(node)
            if repeat is not None:
                return repeat
            if self.vector and type(node.op) in _VECTOR_OPS:
                return f"V.{_VECTOR_OPS[type(node.op)]}({self(node.left)}, {self(node.right)})"
            if not self.vector and isinstance(node.op, ast.Pow):
                return f"M.pow({self(node.left)}, {self(node.right)})"
            if not self.vector and type(node.op) in _SCALAR_OPS:
                return f"({self(node.left)} {_SCALAR_OPS[type(node.op)]} {self(node.right)})"
            raise self.fail(f"the operator {type(node.op).__name__}")
        if isinstance(node, ast.Compare):
            if len(node.ops) != 1 or type(node.ops[0]) not in _COMPARE:
                raise self.fail("a chained or unknown comparison")
            left, right = self(node.left), self(node.comparators[0])
            if self.vector:
                return f"V.{_VECTOR_COMPARE[type(node.ops[0])]}({left}, {right})"
            test = f"({left} {_COMPARE[type(node.ops[0])]} {right})"
            return test if boolean else f"({test} ? 1.0 : 0.0)"  # a bool in arithmetic is 0/1
        if isinstance(node, ast.Call):
            return self._call(node)
        raise self.fail(f"the syntax {type(node).__name__}")

    def _repeat(self, node: ast.BinOp):
        """sum's ``(1.0,) * len(xs)``: one 1.0 per element."""
        if (isinstance(node.op, ast.Mult) and isinstance(node.left, ast.Tuple) and len(node.left.elts) == 1
                and isinstance(node.right, ast.Call) and isinstance(node.right.func, ast.Name)
                and node.right.func.id == "len" and len(node.right.args) == 1):
            return f"new Array({self(node.right.args[0])}.length).fill({self(node.left.elts[0])})"
        return None

    def _call(self, node: ast.Call) -> str:
        f = node.func
        if not (isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "m"
                and f.attr in FUNCTIONS) or node.keywords:
            raise self.fail(f"the call {ast.unparse(node)!r} (only m.<fn> of {', '.join(FUNCTIONS)})")
        if f.attr == "where" and not self.vector:
            if len(node.args) != 3:
                raise self.fail("m.where takes (condition, a, b)")
            c, a, b = node.args
            return f"({self(c, boolean=True)} ? {self(a)} : {self(b)})"
        space = "V" if self.vector else "M"
        return f"{space}.{f.attr}({', '.join(self(a) for a in node.args)})"


def expression(formula: str, names, vector: bool = False) -> str:
    """One formula (Python expression text over ``names`` and ``m``) as a JavaScript expression."""
    names = tuple(names)
    for n in names:
        if not _NAME.match(n) or n in _RESERVED:
            raise ValueError(f"rules_js: {n!r} cannot be an operand name in JavaScript")
    try:
        tree = ast.parse(formula, mode="eval")
    except SyntaxError as e:
        raise ValueError(f"rules_js: the formula {formula!r} is not an expression: {e.msg}") from None
    return _Translator(formula, names, vector)(tree)


def rule_function(rule: Rule) -> str:
    """A rule as ``function (operands) { const z = …; return [z, ∂z/∂x, …]; }``: the same
    value as ``rule.fn(FLOAT_MATH, …)``, as a JavaScript array."""
    if not rule.z:
        raise ValueError(f"rules_js: rule {rule.name!r} has no formula text (it was made from a function)")
    names = (*rule.args, "z")
    z = expression(rule.z, rule.args)
    grads = ", ".join(expression(g, names) for g in rule.grads)
    return f"function ({', '.join(rule.args)}) {{ const z = {z}; return [z, {grads}]; }}"


def rules_javascript(rules=TABLE) -> str:
    """``const RULES = {name: function …, …};`` for every rule (the whole table by default),
    after :data:`PRELUDE_JS`; each line says which row it came from."""
    lines = ["// generated by autograd_engine.rules_js from the rule table (rules.py); do not edit",
             PRELUDE_JS.strip(), "const RULES = {"]
    for r in rules:
        lines.append(f"  // {r.name}: z = {r.z}; " + "; ".join(
            f"dz/d{a} = {g}" for a, g in zip(r.args, r.grads)))
        lines.append(f"  {json.dumps(r.name)}: {rule_function(r)},")
    lines.append("};")
    return "\n".join(lines) + "\n"
