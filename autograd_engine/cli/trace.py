"""``autograd-engine trace`` and ``autograd-engine demo``: backprop, step by step, in a terminal.

    autograd-engine trace "(a+b)*(b+c)" a=-1 b=3 c=4 [--svg FILE] [--png FILE] [--steps DIR] [--html FILE]

prints the forward values, the backward pass edge by edge (:mod:`.walkthrough`) and the final
gradients; the options also draw the graph, or one picture per step (the ``[viz]`` extra).

The expression is parsed with :mod:`ast` and evaluated by walking a whitelist -- numbers,
variable names, ``+ - * / **``, unary ``-``/``+`` and calls to the functions in
:data:`FUNCTIONS` -- never by ``eval``.  Anything else, a missing or repeated variable, or a
value outside an op's domain is one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import ast
import keyword
import math
import operator
import sys
import unicodedata
from pathlib import Path
from typing import Callable, NamedTuple, Union

from ..files import check_writable
from ..grad_mode import no_grad
from ..rules import RULES
from ..value import Value, zero_grad
from ..teach.walkthrough import backward_steps, definition, format_steps, node_names, number, text_table

PROG = "autograd-engine"
VIZ_EXTRA = "pip install 'autograd-engine[viz]'"
MAX_LENGTH = 2000  #: characters; a longer expression is not something to read step by step
MAX_DEPTH = 200  #: operations nested in one another (a ** a ** …, - - a, f(f(…))); a flat a + b + … is not nested
#: --steps draws one picture per edge: refused when pictures × layout_cost of one picture is more
#: (a*a*…*a with 40 factors, 79 pictures of cost 1561, is 123,000: a few seconds; 100 factors
#: would be 199 pictures of cost 9901, minutes)
MAX_STEP_WORK = 200_000

#: function name -> (number of arguments, how to apply it to a Value): every public method of
#: a rule of the table (relu, tanh, max, ...), read from the rows
FUNCTIONS: dict[str, tuple[int, Callable]] = {
    name: (len(r.args), getattr(Value, name))
    for r in RULES.values() for name in r.methods if not name.startswith("_")
}
_BINARY: dict[type, Callable] = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
           ast.Div: operator.truediv, ast.Pow: operator.pow}
_UNARY: dict[type, Callable] = {ast.USub: operator.neg, ast.UAdd: operator.pos}
_NOT_ALLOWED = {  # a clearer word than the node's class name for what people try
    ast.Attribute: "attribute access", ast.Subscript: "subscripting", ast.Lambda: "lambda",
    ast.Compare: "comparison", ast.BoolOp: "and/or", ast.IfExp: "if-else", ast.NamedExpr: ":=",
}

Operand = Union[Value, float]


class TraceError(ValueError):
    """Bad input to ``trace``: the message is the one line the command prints."""


# ---- the expression ----------------------------------------------------------------------
def parse_assignments(items: list[str]) -> dict[str, float]:
    """``["a=-1", "b=3"]`` -> ``{"a": -1.0, "b": 3.0}``; each name once, each value a finite number."""
    values: dict[str, float] = {}
    for item in items:
        name, eq, text = item.partition("=")
        # Python's parser NFKC-normalises identifiers in the expression (ｘ is x there), so the
        # names given here are normalised the same way, or ｘ=3 would never reach ｘ*2
        name = unicodedata.normalize("NFKC", name.strip())
        if not eq or not name.isidentifier() or keyword.iskeyword(name):
            raise TraceError(f"expected a variable value like a=-1, got {item!r}")
        if name in FUNCTIONS:
            raise TraceError(f"{name!r} is a function name; pick another variable name")
        if name in values:
            raise TraceError(f"variable {name!r} is given twice")
        try:
            x = float(text)
        except ValueError:
            raise TraceError(f"the value of {name!r} must be a number, got {text!r}") from None
        if not math.isfinite(x):
            raise TraceError(f"the value of {name!r} must be finite, got {text!r}")
        values[name] = x
    return values


class Traced(NamedTuple):
    """An expression's graph: the root, the leaves by variable name, and every node in the
    order the expression computes it (left to right, inner before outer)."""

    root: Value
    leaves: dict[str, Value]
    nodes: list[Value]


def build(expression: str, values: dict[str, float]) -> Traced:
    """The graph of ``expression`` with the variables set to ``values``.

    Leaves are labelled with their variable names, the result ``f`` and the nodes in between
    ``v1, v2, ...`` in the order they are computed (names of variables are skipped)."""
    if len(expression) > MAX_LENGTH:
        raise TraceError(f"the expression is {len(expression)} characters long; at most {MAX_LENGTH}")
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as e:
        raise TraceError(f"cannot parse {_short(expression)!r}: {e.msg}") from None
    except (ValueError, RecursionError, MemoryError) as e:  # e.g. a 5000-digit integer literal
        raise TraceError(f"cannot parse the expression: {e}") from None
    ev = _Evaluator({name: Value(x, name) for name, x in values.items()})
    try:
        root = ev.evaluate(tree.body)
    except ValueError as e:  # an op's domain (log of a negative number, overflow, ...)
        raise TraceError(str(e)) from None
    unused = [name for name in values if name not in ev.used]
    if unused:
        raise TraceError(f"variable {unused[0]!r} is given but the expression does not use it")
    if not isinstance(root, Value):
        raise TraceError(f"the expression {_short(expression)!r} has no variables: nothing to differentiate")
    nodes = list(ev.leaves.values()) + ev.made  # every node made feeds the root
    _label([v for v in nodes if not v.label], root, set(values))
    return Traced(root, ev.leaves, nodes)


def _short(text: str, n: int = 40) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


class _Evaluator:
    """Walks the whitelisted syntax tree: a Value for a sub-expression with variables, a float
    for a constant one (constants make no nodes, as in ``2 * v``)."""

    def __init__(self, leaves: dict[str, Value]) -> None:
        self.leaves = leaves
        self.used: set[str] = set()
        self.made: list[Value] = []  # nodes in the order they are computed

    def evaluate(self, node: ast.AST, depth: int = 0) -> Operand:
        if depth > MAX_DEPTH:
            raise TraceError(f"the expression is nested too deeply (more than {MAX_DEPTH} operations inside "
                             "one another)")
        depth += 1
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                raise TraceError(f"only numbers are allowed as constants, got {node.value!r}")
            x = float(node.value) if isinstance(node.value, float) or abs(node.value) < 2 ** 1000 else math.inf
            if not math.isfinite(x):
                raise TraceError(f"the number {_short(ast.unparse(node), 20)} is too large for a float")
            return x
        if isinstance(node, ast.Name):
            if node.id in FUNCTIONS:
                raise TraceError(f"{node.id!r} is a function: call it, e.g. {node.id}(x)")
            if node.id not in self.leaves:
                raise TraceError(f"no value given for variable {node.id!r} (add {node.id}=NUMBER)")
            self.used.add(node.id)
            return self.leaves[node.id]
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            # a + b + c + … is flat to a reader but nests to the left in Python's tree: walk
            # that left spine in a loop, not counted as nesting (202 terms are not "deep")
            spine = []
            while isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
                spine.append(node)
                node = node.left
            acc = self.evaluate(node, depth)
            for b in reversed(spine):
                acc = self.apply(_BINARY[type(b.op)], acc, self.evaluate(b.right, depth))
            return acc
        if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
            return self.apply(_UNARY[type(node.op)], self.evaluate(node.operand, depth))
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitXor):  # a^b from maths notation
            raise TraceError(f"^ is not a power in Python (it is bitwise xor): use ** for powers, e.g. "
                             f"{_short(ast.unparse(ast.BinOp(node.left, ast.Pow(), node.right)))!r}")
        what = _NOT_ALLOWED.get(type(node)) or (
            f"the operator {type(node.op).__name__}" if isinstance(node, (ast.BinOp, ast.UnaryOp))
            else type(node).__name__)
        raise TraceError(f"{what} is not allowed in an expression ({_short(ast.unparse(node))!r}); "
                         "use numbers, variables, + - * / ** and " + "/".join(FUNCTIONS))

    def call(self, node: ast.Call, depth: int) -> Operand:
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if name not in FUNCTIONS:
            shown = name or _short(ast.unparse(node.func))
            raise TraceError(f"unknown function {shown!r}; the functions are " + ", ".join(FUNCTIONS))
        arity, method = FUNCTIONS[name]
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args) or len(node.args) != arity:
            raise TraceError(f"{name} takes {arity} argument{'s' if arity > 1 else ''}, "
                             f"got {_short(ast.unparse(node))!r}")
        args = [self.evaluate(a, depth) for a in node.args]
        if not isinstance(args[0], Value) and isinstance(args[-1], Value):
            args.reverse()  # max(2, x) = max(x, 2): the method belongs to the Value
        return self.apply(method, *args)

    def apply(self, fn: Callable, *args: Operand) -> Operand:
        """fn on Values records a node; on numbers only, the same op runs on a throwaway Value
        under no_grad(), so constants get the engine's domain checks and make no nodes."""
        if any(isinstance(a, Value) for a in args):
            z = fn(*args)
            if z.op:  # +x is x itself
                self.made.append(z)
            return z
        first = args[0]
        with no_grad():
            return fn(first if isinstance(first, Value) else Value(first), *args[1:]).data


def _label(unlabelled: list[Value], root: Value, taken: set[str]) -> None:
    """Name the root ``f`` and the other nodes ``v1, v2, ...``, skipping variable names: the
    one naming of :func:`~autograd_engine.teach.walkthrough.node_names`, made the labels."""
    names = node_names(root)
    for v in unlabelled:
        v.label = names[v]


# ---- printing ----------------------------------------------------------------------------
def trace_text(traced: Traced) -> str:
    """Forward values, the walk-through table and the gradients (runs the backward pass)."""
    root, name = traced.root, traced.root.label
    rows = [(v.label, "" if v.is_leaf() else definition(v), number(v.data)) for v in traced.nodes]
    forward = text_table(("node", "computed as", "value"), rows, align="<<>")
    try:
        table = format_steps(backward_steps(root))
    except ValueError as e:  # a gradient overflowed float64: backward()'s policy, one line here
        raise TraceError(f"backward pass: {str(e).removeprefix('backward_steps: ')}") from None
    grads = "\n".join(f"  ∂{name}/∂{x} = {number(v.grad)}" for x, v in traced.leaves.items())
    return (f"forward pass, each node after its inputs:\n{forward}\n\n"
            f"backward pass, one edge per step (∂L/∂x += ∂L/∂z · ∂z/∂x, L = {name}):\n{table}\n\n"
            f"gradients:\n{grads}")


# ---- pictures ----------------------------------------------------------------------------
def _add_picture_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("pictures (need the [viz] extra)")
    g.add_argument("--svg", metavar="FILE", help="draw the graph with its values and gradients as SVG")
    g.add_argument("--png", metavar="FILE", help="the same as PNG")
    g.add_argument("--steps", metavar="DIR", help="one picture per backward step: DIR/step_01.svg, ...")
    g.add_argument("--steps-format", choices=("svg", "png"), default="svg", help="format of the step pictures")
    g.add_argument("--html", metavar="FILE", help="the backprop player: one self-contained page that plays the "
                   "forward and backward pass step by step, with a quiz mode (open it in a browser)")
    g.add_argument("--quiz", action="store_true", help="with --html: the page opens in quiz mode (the student "
                   "predicts every step; wrong answers are matched against known misconceptions)")


def _write_pictures(root: Value, args: argparse.Namespace) -> list[str]:
    """The pictures asked for (after the backward pass, so they show the gradients)."""
    if not (args.svg or args.png or args.steps or args.html):
        return []
    from ..teach import viz  # the optional dependency, only now
    from ..teach.pictures import step_pictures

    written = []
    for path, fmt in ((args.svg, "svg"), (args.png, "png")):
        if path:
            viz.render(root, path=path, format=fmt)
            written.append(path)
    if args.html:
        from ..teach.player import play

        zero_grad(root)  # the player shows one pass from zero: no gradient held from the trace
        expr = getattr(args, "expression", None)  # trace's; demo's graph has its own name
        play(root, title=f"f = {expr}" if expr else None, quiz=args.quiz).save(args.html)
        written.append(f"{args.html} (the backprop player: open it in a browser)")
    if args.steps:
        folder = Path(args.steps)
        folder.mkdir(parents=True, exist_ok=True)
        zero_grad(root)  # walk the pass again from the start: leaves would otherwise accumulate twice
        pictures = list(step_pictures(root))
        width = max(2, len(str(len(pictures))))
        for step, picture in pictures:
            path = folder / f"step_{step.index:0{width}d}.{args.steps_format}"
            viz.render(picture, path=str(path), format=args.steps_format)
        written.append(f"{folder}{'/' if pictures else ''} ({len(pictures)} step pictures)")
    return written


def _check_picture_options(args: argparse.Namespace) -> None:
    """Refuse what would fail only after the trace is printed: a missing extra or directory."""
    if getattr(args, "quiz", False) and not args.html:
        raise TraceError("--quiz is an option of the player: add --html FILE")
    if not (args.svg or args.png or args.steps or args.html):
        return
    try:
        import graphviz  # noqa: F401  (draw_dot needs it whichever engine lays the graph out)
    except ImportError:
        raise TraceError(f"pictures need the [viz] extra: {VIZ_EXTRA}") from None
    for option, path in (("--svg", args.svg), ("--png", args.png), ("--html", args.html)):
        if path and not Path(path).parent.is_dir():
            raise TraceError(f"{option}: the directory {str(Path(path).parent)!r} does not exist")
        fmt = option[2:]
        if path and Path(path).suffix.lower() != f".{fmt}":  # PNG bytes in a .svg file open nowhere
            other = {"svg": "png", "png": "svg"}.get(fmt)  # --html has no other format to suggest
            hint = (f"use --{other} {path!r} for {other.upper()}"
                    if other and Path(path).suffix.lower() == f".{other}"
                    else f"name it {str(Path(path).with_suffix('.' + fmt))!r}" if Path(path).name
                    else f"give a file name ending in .{fmt}")
            raise TraceError(f"{option} {path!r}: the file would hold {fmt.upper()} but its name does not end "
                             f"in .{fmt}; {hint}")
        if path:
            try:  # a FIFO or device node at the path is refused, not replaced
                check_writable(path, option)
            except (ValueError, OSError) as e:
                raise TraceError(str(e)) from None
    if args.steps and Path(args.steps).exists() and not Path(args.steps).is_dir():
        raise TraceError(f"--steps: {args.steps!r} exists and is not a directory")


def _check_step_pictures(root: Value, args: argparse.Namespace) -> None:
    """Refuse --steps before the trace is printed when the pictures would take minutes."""
    if not args.steps:
        return
    from ..teach import viz

    steps = sum(len(v.parents) for v in root.nodes())
    try:
        cost = viz.layout_cost(viz.draw_dot(root).source)
    except ValueError as e:  # more Values than draw_dot draws
        raise TraceError(f"--steps: {e}") from None
    if steps * cost > MAX_STEP_WORK:
        raise TraceError(
            f"--steps: {steps} pictures of a graph whose layout costs {cost} (nodes and virtual nodes) is "
            f"{steps * cost:,} units of layout work, more than {MAX_STEP_WORK:,} (minutes of Graphviz); "
            "trace a smaller expression, or draw the whole graph once with --svg")


def _pictures_or_error(root: Value, args: argparse.Namespace, command: str) -> int:
    try:
        written = _write_pictures(root, args)
    except ImportError as e:
        msg = str(e) if "autograd-engine[viz]" in str(e) else f"pictures need the [viz] extra: {VIZ_EXTRA} ({e})"
        return _fail(command, msg)
    except (RuntimeError, ValueError) as e:  # no rendering engine, a graph too large to draw, ...
        return _fail(command, str(e))
    except OSError as e:
        return _fail(command, f"cannot write {e.filename or 'the picture'}: {e.strerror or e}", code=1)
    for what in written:
        print(f"wrote {what}")
    return 0


def _fail(command: str, message: str, code: int = 2) -> int:
    print(f"{PROG} {command}: error: {' '.join(str(message).split())}", file=sys.stderr)
    return code


# ---- commands ----------------------------------------------------------------------------
def register(subparsers) -> None:
    fns = ", ".join(FUNCTIONS)
    p = subparsers.add_parser(
        "trace", help="show the backward pass of an expression edge by edge",
        description="Build the graph of an expression, run backprop and print every step: forward values, "
                    "each edge's ∂L/∂z · ∂z/∂x, and the final gradients.",
        epilog=f"Expressions use numbers, variables, + - * / **, unary minus and {fns}. "
               'Quote the expression; if it starts with "-", put -- before it.',
    )
    p.add_argument("expression", help='e.g. "(a+b)*(b+c)"')
    p.add_argument("values", nargs="*", metavar="NAME=VALUE", help="the value of each variable, e.g. a=-1")
    _add_picture_options(p)
    p.set_defaults(handler=run_trace)

    d = subparsers.add_parser(
        "demo", help="a short tour: the sources' examples traced step by step, forward vs reverse mode, a gradient check",
        description="A short tour of backprop on small examples; writes files only when asked.")
    _add_picture_options(d)
    d.set_defaults(handler=run_demo)


def run_trace(args: argparse.Namespace) -> int:
    try:
        _check_picture_options(args)
        traced = build(args.expression, parse_assignments(args.values))
        _check_step_pictures(traced.root, args)
        text = trace_text(traced)
    except TraceError as e:
        return _fail("trace", str(e))
    values = ", ".join(f"{k} = {number(v.data)}" for k, v in traced.leaves.items())
    name = "" if traced.root.is_leaf() else f"{traced.root.label} = "
    print(f"{name}{args.expression}   at {values}\n\n{text}")
    return _pictures_or_error(traced.root, args, "trace")


def run_demo(args: argparse.Namespace) -> int:
    from ..functional import forward_derivative
    from ..teach.gradient_check import gradcheck

    try:
        _check_picture_options(args)
    except TraceError as e:
        return _fail("demo", str(e))

    print("1. Benedict Florance's 2018 blog post on backpropagation and local gradients: f = (a+b)(b+c)\n"
          "   at a = -1, b = 3, c = 4. Gradients add at branches: "
          "b feeds both sums,\n   so it receives 7 from a+b and then 2 more from b+c.\n")
    traced = build("(a+b)*(b+c)", {"a": -1.0, "b": 3.0, "c": 4.0})
    print(trace_text(traced))

    x, y = Value(-2.0, "x"), Value(3.0, "y")
    f = x * y
    f.backward()
    print(f"\n2. The same blog post: f = x·y at x = -2, y = 3 gives ∂f/∂x = y = {number(x.grad)} and ∂f/∂y = x = "
          f"{number(y.grad)}:\n   increasing x by ε raises f by 3ε; increasing y by ε lowers it by 2ε.")

    inputs = list(traced.leaves.values())
    fwd = forward_derivative(traced.root, inputs)
    derivative = fwd.derivative if isinstance(fwd.derivative, tuple) else (fwd.derivative,)
    print(f"\n3. Forward mode vs reverse mode (Nikolaj van Omme's talk “So you think you know backpropagation?”,\n   Funartech, 2018): forward mode pushes ṫ(z) = Σ ∂z/∂p · ṫ(p) from ONE "
          f"input,\n   so ∂f/∂(a, b, c) = ({', '.join(map(number, derivative))}) took {fwd.passes} forward "
          f"passes ({fwd.edge_visits} edge visits);\n   one backward pass gave all three "
          f"({fwd.edge_visits // fwd.passes} edge visits).")

    report = gradcheck(lambda a, b, c: (a + b) * (b + c), inputs)
    print("\n4. Gradient check (the same talk): (f(x+ε) − f(x−ε)) / 2ε for each input against backprop:")
    print(report)
    print("\nTry: autograd-engine trace \"tanh(w*x + b)\" w=0.5 x=2 b=-0.5 --steps steps/")
    print("     autograd-engine demo --html player.html   (this example in the backprop player, with a quiz)")
    return _pictures_or_error(traced.root, args, "demo")
