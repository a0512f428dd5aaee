"""to_torch_code / check_with_torch: every rule's PyTorch counterpart, generated code that reads
like the graph, and the comparison with PyTorch on single ops, kinks and random DAGs.

Tests that run PyTorch are skipped where it is not installed; the table, the code text and the
errors need only the engine."""

from __future__ import annotations

import ast
import enum
import importlib.util
import math
import random
import re
import sys
import zlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd_engine import RULES, Value, no_grad, rules
from autograd_engine import check_with_torch, to_torch_code
from autograd_engine.torch_code import forward_order, template_fields
from oracles import OPS  # one case or more per rule, with samplers inside each rule's domain
from test_properties import build, programs

HAS_TORCH = importlib.util.find_spec("torch") is not None
needs_torch = pytest.mark.skipif(not HAS_TORCH, reason="PyTorch not installed (pip install torch==2.13.0)")


def florance_example():
    a, b, c = Value(-1.0, "a"), Value(3.0, "b"), Value(4.0, "c")
    x = a + b
    x.label = "x"
    y = b + c
    y.label = "y"
    f = x * y
    f.label = "f"
    return f, (a, b, c)


# ---- the one table ------------------------------------------------------------------------------
def test_every_rule_has_a_torch_expression_over_exactly_its_operands():
    # fails as soon as a rule is added to rules.TABLE without its PyTorch counterpart
    missing = sorted(name for name, rule in RULES.items() if not rule.torch)
    assert not missing, f"rules without a torch expression in rules.TABLE: {missing}"
    for name, rule in RULES.items():
        assert template_fields(rules.torch_template(rule)) == set(rule.args), name


def test_the_torch_expression_becomes_a_template_over_operands_only():
    row = rules.rule("t", "t", "x s", "x", "1.0", torch="torch.nn.functional.leaky_relu(x, s).x + {s}")
    assert rules.torch_template(row) == "torch.nn.functional.leaky_relu({x}, {s}).x + {{{s}}}"
    from autograd_engine import torch_code  # the old table's name still reads, from the rows

    assert torch_code.TORCH_OPS["mul"] == "{x} * {y}" and set(torch_code.TORCH_OPS) == set(RULES)


def test_a_rule_without_a_template_is_an_error_naming_the_op_and_the_table(monkeypatch):
    cube = rules.rule("cube", "x³", "x", "x * x * x", "3.0 * x * x")
    monkeypatch.setitem(RULES, "cube", cube)
    root = Value(2.0, "x").apply("cube")
    with pytest.raises(ValueError, match=r"to_torch_code: op 'cube' has no PyTorch counterpart.*torch="):
        to_torch_code(root)


# ---- the code -----------------------------------------------------------------------------------
def test_the_blog_posts_example_reads_like_the_graph():
    f, _ = florance_example()
    code = to_torch_code(f)
    assert [line for line in code.splitlines() if line and not line.startswith("#")] == [
        "import torch",
        "a = torch.tensor(-1.0, dtype=torch.float64, requires_grad=True)",
        "b = torch.tensor(3.0, dtype=torch.float64, requires_grad=True)",
        "c = torch.tensor(4.0, dtype=torch.float64, requires_grad=True)",
        "x = a + b  # 2.0",
        "y = b + c  # 7.0",
        "f = x * y  # 14.0",
        "f.backward()  # every leaf's .grad now holds ∂f/∂leaf",
    ]


def test_labels_become_identifiers_and_repeats_get_suffixes():
    w = Value(0.5, "w[1][2][3]")
    kw = Value(1.0, "lambda")
    t = Value(2.0, "torch")  # the module's own name is never shadowed
    d = Value(3.0, "2x")
    same = Value(4.0, "w[1][2][3]")
    sym = Value(5.0, "∂f/∂x")
    blank = Value(6.0)
    root = Value.sum([w, kw, t, d, same, sym, blank])
    code = to_torch_code(root)
    names = [line.split(" = ")[0] for line in code.splitlines() if "requires_grad=True" in line]
    assert names == ["w_1_2_3", "lambda_", "torch_2", "_2x", "w_1_2_3_2", "f_x", "v1"]
    assert f"f = torch.stack([{', '.join(names)}]).sum()" in code
    compile(code, "<test>", "exec")  # valid Python


def test_the_code_is_stable_across_identical_graphs():
    assert to_torch_code(florance_example()[0]) == to_torch_code(florance_example()[0])
    prog = ([("b", "mul", 0, 1), ("u", "tanh", 2)], [0.3, -0.7])
    assert to_torch_code(build(prog)[1]) == to_torch_code(build(prog)[1])


def test_numbers_are_exact_literals_and_negatives_are_parenthesised():
    x = Value(0.1, "x")
    code = to_torch_code((-2.0) / x.tanh() * -3.25 + x ** 3 - (1 / 3) + Value.dot([x, 0.1], [-1.5, 2.0]))
    assert "(-2.0) / " in code and "* (-3.25)" in code and " ** 3.0 " in code and repr(1 / 3) in code
    assert "torch.tensor([-1.5, 2.0], dtype=torch.float64)" in code
    assert "torch.stack([x, torch.tensor(0.1, dtype=torch.float64)])" in code


def test_forward_order_follows_the_source_and_any_depth_works():
    f, (a, b, c) = florance_example()
    assert [v.label for v in forward_order(f)] == ["a", "b", "x", "c", "y", "f"]
    v = Value(0.5, "x0")
    for _ in range(20_000):  # far past the recursion limit
        v = v * 1.0
    code = to_torch_code(v, max_nodes=30_000)
    assert code.count("\n") > 20_000


def test_a_function_becomes_a_def_with_its_parameters_and_captured_leaves_outside():
    w = Value(0.75, "w")

    def neuron(x1, x2):
        return Value.dot([w, w], [x1, x2]).tanh()

    code = to_torch_code(neuron, [0.5, -2.0])
    assert "w = torch.tensor(0.75, dtype=torch.float64, requires_grad=True)" in code
    assert "def neuron(x1, x2):" in code
    assert "    v1 = torch.dot(torch.stack([w, w]), torch.stack([x1, x2]))  # -1.125" in code
    assert "x1 = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)" in code
    assert "out = neuron(x1, x2)\nout.backward()" in code
    assert w.grad == 0.0  # tracing builds a graph, it runs no backward pass
    lam = to_torch_code(lambda a, b: a * b)  # default inputs: fixed numbers in (0.1, 1)
    assert "def fn(a, b):" in lam and lam == to_torch_code(lambda a, b: a * b)


# ---- errors -------------------------------------------------------------------------------------
@pytest.mark.parametrize("who", [to_torch_code, check_with_torch])
def test_bad_inputs_are_clear_errors_naming_the_function(who):
    name = who.__name__
    with pytest.raises(TypeError, match=rf"{name}: expected a Value .* or a callable taking Values, got float"):
        who(3.0)
    with pytest.raises(TypeError, match=rf"{name}: expected a Value .*got list"):
        who([Value(1.0)])
    with pytest.raises(TypeError, match=rf"{name}: fn must return one Value .*got list.*Value.sum"):
        who(lambda a, b: [a, b], [1.0, 2.0])
    with pytest.raises(TypeError, match=rf"{name}: fn must return one Value .*got float"):
        who(lambda a: 2.0, [1.0])
    with pytest.raises(TypeError, match=rf"{name}: fn takes 2 positional arguments, but inputs has 3 numbers"):
        who(lambda a, b: a * b, [1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match=rf"{name}: fn takes \*args.*inputs="):
        who(lambda *xs: Value.sum(xs))
    with pytest.raises(TypeError, match=rf"{name}: input 1 must be a finite number, got str"):
        who(lambda a, b: a * b, [1.0, "2"])
    with pytest.raises(TypeError, match=rf"{name}: inputs= is for a function"):
        who(Value(1.0) * 2, [1.0])
    with pytest.raises(ValueError, match=rf"{name}: tracing fn at inputs \[-1.0\] failed: log"):
        who(lambda a: a.log(), [-1.0])
    with no_grad():
        frozen = Value(2.0) * 3
    with pytest.raises(ValueError, match=rf"{name}: this Value .* computed under no_grad"):
        who(frozen)
    chain = Value(1.0)
    for _ in range(50):
        chain = chain + 1
    with pytest.raises(ValueError, match=rf"{name}: the graph has more than max_nodes=40 nodes"):
        who(chain, max_nodes=40)


def test_without_torch_check_names_the_extra_and_the_cpu_wheel_while_the_code_still_comes(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now fails as if not installed
    f, _ = florance_example()
    assert "x = a + b" in to_torch_code(f)  # writing code needs no torch
    with pytest.raises(ModuleNotFoundError) as info:
        check_with_torch(f)
    msg = str(info.value)
    assert msg.startswith("check_with_torch needs PyTorch")
    assert "pip install 'autograd-engine[torch]'" in msg and "torch==2.13.0" in msg and "CUDA" in msg


# ---- against PyTorch ----------------------------------------------------------------------------
@needs_torch
def test_the_blog_posts_example_in_torch_gives_7_9_2():
    f, (a, b, c) = florance_example()
    report = check_with_torch(f)
    assert report.passed and report.max_abs_diff == 0.0
    assert [g.torch for g in report.grads] == [7.0, 9.0, 2.0]  # ∂f/∂a = y, ∂f/∂b = y + x, ∂f/∂c = x
    assert report.value.torch == 14.0
    assert "passed; largest abs diff 0.00e+00" in str(report)


@needs_torch
@pytest.mark.parametrize("case", OPS, ids=[c.name for c in OPS])
def test_every_rules_code_matches_our_engine_at_random_points(case):
    rng = random.Random(zlib.crc32(case.name.encode()))
    for _ in range(8):
        xs = [Value(p, f"x{i}") for i, p in enumerate(case.sample(rng))]
        report = check_with_torch(case.ours(*xs))
        assert report.passed, str(report)
        assert report.max_rel_diff <= 1e-12 and len(report.grads) == len(xs)


def test_the_per_rule_cases_cover_every_rule():
    seen = set()
    rng = random.Random(0)
    for case in OPS:
        seen.update(v.op for v in case.ours(*[Value(p) for p in case.sample(rng)]).nodes())
    assert set(RULES) <= seen


KINKS = {  # our conventions where a derivative has a kink: PyTorch's, exactly
    "relu(0)": (lambda x: x.relu(), [0.0], [0.0]),
    "|x| at 0": (lambda x: abs(x), [0.0], [0.0]),
    "leaky_relu(0)": (lambda x: x.leaky_relu(0.2), [0.0], [0.2]),
    "max tie": (lambda x, y: x.max(y), [1.5, 1.5], [0.5, 0.5]),
    "min tie": (lambda x, y: x.min(y), [-2.0, -2.0], [0.5, 0.5]),
    "max tie, shared": (lambda x: x.max(x), [0.7], [1.0]),
    "pow 0": (lambda x: x ** 0, [3.0], [0.0]),
}


@needs_torch
@pytest.mark.parametrize("name", KINKS)
def test_conventions_at_kinks_are_pytorchs(name):
    fn, point, grads = KINKS[name]
    report = check_with_torch(fn, point)
    assert [g.ours for g in report.grads] == grads
    assert [g.torch for g in report.grads] == grads and report.max_abs_diff == 0.0


@needs_torch
def test_number_operands_on_either_side_and_the_generic_apply_path():
    x, y = Value(0.8, "x"), Value(-1.3, "y")
    exprs = [2 ** x, 2.5 ** y, x ** -2, (-1.5) - y, -4.0 / y, 3 * x, x * -0.5, y / 7, 1 - x,
             x.apply("pow", 2.5), y.apply("leaky_relu", -0.3), Value.sum([x, 2.0, y, -1.0]),
             Value.sum([]) + x, Value.dot([], []) + x, Value.dot([0.5, x], [y, -2.0]),
             x.sqrt() + x.sin() * y.cos() - y.exp().log(), True * x + False]
    for e in exprs:
        report = check_with_torch(e)
        assert report.passed, str(report)


@needs_torch
def test_a_wrong_counterpart_is_caught(monkeypatch):
    monkeypatch.setitem(RULES, "tanh", RULES["tanh"]._replace(torch="torch.sin(x)"))
    x = Value(0.4, "x")
    report = check_with_torch((x * 2).tanh())
    assert not report.passed and report.max_abs_diff > 1e-3
    assert "FAILED" in str(report)


@needs_torch
def test_a_wrong_rule_of_ours_is_caught(monkeypatch):
    # tanh' written as 1 − z instead of 1 − z²: PyTorch derives its own gradient and disagrees
    monkeypatch.setitem(RULES, "tanh", rules.rule("tanh", "tanh", "x", "m.tanh(x)", "1.0 - z",
                                                        torch="torch.tanh(x)"))
    x = Value(0.4, "x")
    report = check_with_torch((x * 2).apply("tanh"))
    assert report.value.passed and not report.grads[0].passed
    assert report.worst.name == "∂f/∂x"


@needs_torch
def test_the_users_gradients_are_left_as_they_were():
    f, (a, b, c) = florance_example()
    a.grad, b.grad = 5.0, -1.0
    check_with_torch(f)
    assert (a.grad, b.grad, c.grad) == (5.0, -1.0, 0.0)


@needs_torch
def test_a_function_with_captured_parameters_and_an_unused_input():
    w = Value(-0.6, "w")
    report = check_with_torch(lambda x, unused: (w * x).sigmoid() + w, [1.7, 3.0])
    by_name = {g.name: g for g in report.grads}
    assert set(by_name) == {"∂out/∂w", "∂out/∂x", "∂out/∂unused"}
    assert by_name["∂out/∂unused"].ours == by_name["∂out/∂unused"].torch == 0.0
    assert report.passed


@needs_torch
@settings(max_examples=120)
@given(programs())
def test_random_dags_with_shared_subexpressions_match_torch(prog):
    xs, out = build(prog)
    for i, x in enumerate(xs):
        x.label = f"x{i}"
    report = check_with_torch(out)
    assert report.passed, str(report) + "\n" + report.code
    assert len(report.grads) == len(xs)


@needs_torch
def test_a_deep_chain_runs_in_torch():
    v = x = Value(0.5, "x")
    for _ in range(3_000):
        v = (v * 0.999).tanh() + 0.001
    report = check_with_torch(v)
    assert report.passed and len(report.grads) == 1


# ---- the README's section ------------------------------------------------------------------------
README = Path(__file__).resolve().parents[1] / "README.md"


def readme_torch_block() -> str:
    """The code of "When you outgrow scalars" (fenced ``python3`` so that test_readme, which runs
    without PyTorch, leaves it to this test)."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## When you outgrow scalars", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```python3\n(.*?)```", section, re.S)
    return block


@needs_torch
def test_the_readme_section_runs_as_printed(capsys):
    ns: dict = {}
    exec(compile(readme_torch_block(), str(README), "exec"), ns)
    out = capsys.readouterr().out
    assert "x = a + b  # 2.0" in out and out.split()[-2:] == ["True", "True"]  # same, report.passed
    assert ns["report"].passed and ns["same"]
    assert ns["back"].parameters()[0].data == ns["model"].parameters()[0].data
    assert math.isclose(ns["report"].max_abs_diff, 0.0, abs_tol=1e-12)


#: text with what breaks naive code generation: newlines, quotes, lone surrogates, control chars
odd_text = st.lists(st.sampled_from(["\n", "\r", "\x0b", "\x0c", "\u2028", "\x85", "'", '"', "#", "\\",
                                     "\ud800", "\udfff", "\x00", "import os", ";", "(", ")", "a", "é", " "]),
                    min_size=1, max_size=12).map("".join) | st.text()


_ALLOWED_TOP = (ast.Import, ast.Assign, ast.FunctionDef, ast.Expr)


def assert_only_the_graph(code: str) -> None:
    """The source compiles, and its statements are ``import torch``, assignments, one def and
    ``.backward()`` calls: no caller's text became code."""
    tree = ast.parse(code)
    for node in tree.body:
        assert isinstance(node, _ALLOWED_TOP), ast.dump(node)
        if isinstance(node, ast.Import):
            assert [a.name for a in node.names] == ["torch"]
        if isinstance(node, ast.Expr):
            assert isinstance(node.value, ast.Call) and node.value.func.attr == "backward"
    assert "import os" not in "".join(line.split("#")[0] for line in code.splitlines())


@settings(max_examples=150)
@given(qualname=odd_text, label=odd_text)
def test_odd_qualnames_and_labels_never_become_code(qualname, label):
    def f(x, y):
        return x * y + Value(0.5, label)

    f.__qualname__ = qualname
    assert_only_the_graph(to_torch_code(f, [1.0, 2.0]))
    a = Value(1.0, label)
    assert_only_the_graph(to_torch_code(a * 3 + a))


def test_a_newline_in_qualname_does_not_run_in_check_with_torch(tmp_path):
    pytest.importorskip("torch")
    from autograd_engine.torch_code import check_with_torch

    marker = tmp_path / "pwned"

    def f(x):
        return x * x

    f.__qualname__ = f"f\nopen({str(marker)!r}, 'w').write('x')\n#"
    assert check_with_torch(f, [1.5]).passed
    assert not marker.exists()


class Status(enum.IntEnum):
    OK = 200


def test_an_intenum_operand_and_a_numpy_data_make_code_that_runs():
    np = pytest.importorskip("numpy")
    x = Value(0.5, "x")
    code = to_torch_code(x * Status.OK + x ** Status.OK)
    assert "Status" not in code and "<" not in code
    compile(code, "<test>", "exec")
    y = Value(1.0, "y")
    z = y * 3.0
    y.data = np.float64(2.0)  # assigned directly: not a float
    code = to_torch_code(z)
    assert "np.float64" not in code and "y = torch.tensor(2.0," in code
    torch = pytest.importorskip("torch")
    from autograd_engine.torch_code import check_with_torch

    assert check_with_torch(x * Status.OK + x ** 2).passed
    ns: dict = {}
    exec(compile(code, "<test>", "exec"), ns)
    assert isinstance(ns["y"], torch.Tensor)


class Spy(Value):
    """A leaf that counts writes to its .grad (a training thread would see each one)."""

    __slots__ = ()
    writes = 0

    def __setattr__(self, name, value):
        if name == "grad" and hasattr(self, "grad"):
            type(self).writes += 1
        super().__setattr__(name, value)


def test_player_data_and_check_with_torch_write_no_grad():
    from autograd_engine.teach.player import player_data

    a, b = Spy(0.5, "a"), Spy(-1.5, "b")
    a.grad = 7.0  # held from an earlier pass: shown, not changed
    y = (a * b + a).tanh()
    Spy.writes = 0
    data = player_data(y)
    assert Spy.writes == 0 and a.grad == 7.0 and b.grad == 0.0
    assert data["nodes"][[n["label"] for n in data["nodes"]].index("a")]["held"] == 7.0
    pytest.importorskip("torch")
    from autograd_engine.torch_code import check_with_torch

    assert check_with_torch(y).passed
    assert Spy.writes == 0 and a.grad == 7.0
