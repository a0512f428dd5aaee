"""The rule table: one row carries every fact of an op, and ``rules.register`` adds an op that
every backend then serves (the Value method, backward, higher order, the NumPy and torch tapes,
the PyTorch code and check, the player, the pictures)."""

import math

import pytest

from autograd_engine import FLOAT_MATH, RULES, Value, _codegen, gradients, rules
from autograd_engine import value as value_module

def _softplus():  # the README's worked example, exactly
    return rules.rule("softplus", "softplus", "x", "m.log(1.0 + m.exp(x))", "m.sigmoid(x)",
                      method="softplus", torch="torch.nn.functional.softplus(x)", words="softplus smooths relu")


def _hypot():  # a binary op: both operands may be Values or numbers
    return rules.rule("hypot", "hypot", "x y", "m.sqrt(x * x + y * y)", "x / z", "y / z",
                      domain="(x, y) ≠ (0, 0)", method="hypot",
                      torch="torch.sqrt(x * x + y * y)", words="hypot: each side over the length")


@pytest.fixture
def registered():
    """softplus and hypot registered for one test, then removed again (RULES and Value)."""
    before = dict(RULES)
    rules.register(_softplus())
    rules.register(_hypot())
    yield
    for name in ("softplus", "hypot"):
        if hasattr(value_module.Value, name):
            delattr(value_module.Value, name)
        value_module._RULE_METHODS.pop(name, None)
    RULES.clear()
    RULES.update(before)


# ---- every row carries every fact ----------------------------------------------------------------
def test_every_row_names_its_method_torch_counterpart_and_words():
    for r in rules.TABLE:
        assert r.torch and r.words, r.name
        for name in r.methods:
            assert getattr(Value, name).__qualname__.startswith("RuleMethods."), (r.name, name)
    with_methods = {r.name for r in rules.TABLE if r.methods}
    assert with_methods == set(RULES) - {"sum", "dot"}  # the n-ary ones are Value.sum / Value.dot
    assert value_module.METHODS["mul"] == ("__mul__", "__rmul__")  # the old name reads the rows


@pytest.mark.parametrize("r", [r for r in rules.TABLE if r.methods], ids=lambda r: r.name)
def test_each_method_computes_its_rows_formulas(r):
    operands = [0.7, 1.3][:len(r.args)]
    z, *local = r.fn(FLOAT_MATH, *operands)
    x = Value(operands[0])
    others = [Value(o) if i < len(local) - 1 else o for i, o in enumerate(operands[1:])]
    for name in r.methods:
        if name.startswith("__r") and name != "__rpow__":  # __radd__ etc.: the same function as __add__
            assert getattr(Value, name) is getattr(Value, r.methods[0])
            continue
        out = getattr(x, name)(*others)
        assert out.op == r.name and out.data == z
        assert out.local_grads == tuple(local[:1 + sum(isinstance(o, Value) for o in others)])


def test_the_generated_methods_file_is_up_to_date():
    # fails when rules.TABLE changes and _value_ops.py was not regenerated
    assert _codegen.OUTPUT.read_text(encoding="utf-8") == _codegen.module_source(), \
        "autograd_engine/_value_ops.py is stale: run python -m autograd_engine._codegen"


def test_the_codegen_check_command_says_up_to_date(capsys):
    assert _codegen.main(["--check"]) == 0
    assert "up to date" in capsys.readouterr().out


# ---- register ------------------------------------------------------------------------------------
def test_a_registered_unary_and_binary_op_on_value_and_backward(registered):
    x, y = Value(0.3, "x"), Value(-1.2, "y")
    s = x.softplus()
    assert s.op == "softplus" and s.data == math.log1p(math.exp(0.3))
    h = x.hypot(y)
    assert h.data == pytest.approx(math.hypot(0.3, -1.2), rel=1e-15)
    assert x.hypot(2).data == pytest.approx(math.hypot(0.3, 2.0), rel=1e-15)  # a number operand
    f = s * h
    f.backward()
    sig = 1 / (1 + math.exp(-0.3))
    hyp = math.hypot(0.3, -1.2)
    assert x.grad == pytest.approx(sig * hyp + s.data * 0.3 / hyp, rel=1e-14)
    assert y.grad == pytest.approx(s.data * -1.2 / hyp, rel=1e-14)
    assert "softplus" in Value.softplus.__doc__ and "m.sigmoid(x)" in Value.softplus.__doc__
    with pytest.raises(ValueError, match=r"hypot\(.*\): hypot needs \(x, y\) ≠ \(0, 0\)"):
        Value(0.0).hypot(0.0)
    with pytest.raises(TypeError, match="hypot: unsupported operand of type 'str'"):
        x.hypot("1")


def test_a_registered_op_differentiates_to_any_order(registered):
    x = Value(0.3, "x")
    g = gradients(x.softplus(), x, create_graph=True)
    gg = gradients(g, x, create_graph=True)
    sig = 1 / (1 + math.exp(-0.3))
    assert g.data == pytest.approx(sig, rel=1e-15)
    assert gg.data == pytest.approx(sig * (1 - sig), rel=1e-14)  # softplus'' = σ(1 − σ)
    y = Value(0.4, "y")
    hy = gradients(gradients(x.hypot(y), y, create_graph=True), y)
    assert hy == pytest.approx(0.3 ** 2 / math.hypot(0.3, 0.4) ** 3, rel=1e-13)  # ∂²/∂y² = x²/r³


def test_a_registered_op_on_the_numpy_tape(registered):
    np = pytest.importorskip("numpy")
    from autograd_engine.tape import compile

    w = Value(0.8, "w")
    tape = compile(lambda a, b: (a * w).softplus() + (b * w).hypot(a), 2)
    X = np.array([[0.3, -1.2], [1.5, 0.4], [-0.7, 2.0]])
    want = []
    for a, b in X:  # the scalar engine, row by row; w's gradient accumulates over the rows
        f = (Value(a) * w).softplus() + (Value(b) * w).hypot(Value(a))
        f.backward()
        want.append(f.data)
    grad, w.grad = w.grad, 0.0
    out = tape.forward(X)
    tape.backward("sum")
    assert tape.parameters == [w]
    assert out.tolist() == pytest.approx(want, rel=1e-14)
    assert w.grad == pytest.approx(grad, rel=1e-13)


def test_a_registered_op_in_pytorch_code_check_and_torch_tape(registered):
    from autograd_engine.torch_code import to_torch_code

    x, y = Value(0.3, "x"), Value(-1.2, "y")
    f = x.softplus() * x.hypot(y)
    code = to_torch_code(f)
    assert "torch.nn.functional.softplus(x)" in code and "torch.sqrt(x * x + y * y)" in code
    pytest.importorskip("torch")
    from autograd_engine.tape import compile
    from autograd_engine.torch_code import check_with_torch

    report = check_with_torch(f)
    assert report.passed, str(report)
    np = pytest.importorskip("numpy")
    fn = lambda a, b: a.softplus() * a.hypot(b)  # noqa: E731
    X = np.array([[0.3, -1.2], [1.5, 0.4]])
    t_np, t_torch = compile(fn, 2), compile(fn, 2, backend="torch")
    assert t_torch.forward(X).tolist() == pytest.approx(t_np.forward(X).tolist(), rel=1e-14)


def test_a_registered_op_in_the_player_and_pictures(registered):
    from autograd_engine.teach.player import player_data

    x, y = Value(0.3, "x"), Value(-1.2, "y")
    data = player_data(x.softplus() + x.hypot(y))
    words = {e["op"]: (e["words"], e["formula"]) for e in data["edges"]}
    assert words["softplus"] == ("softplus smooths relu", "sigmoid(x)")
    assert words["hypot"][0] == "hypot: each side over the length"
    pytest.importorskip("graphviz")
    from autograd_engine.teach.viz import draw_dot

    source = draw_dot(x.softplus()).source
    assert "softplus" in source


def test_register_refuses_what_it_cannot_serve():
    with pytest.raises(ValueError, match="a rule named 'tanh' exists already; pass replace=True"):
        rules.register(rules.rule("tanh", "tanh", "x", "m.tanh(x)", "1.0 - z * z", method="tanh"))
    with pytest.raises(ValueError, match=r"uses m\.erf, which not every backend has"):
        rules.register(rules.rule("erfish", "erf", "x", "m.erf(x)", "1.0", method="erfish"))
    with pytest.raises(ValueError, match="Value already has 'backward', which no rule made"):
        rules.register(rules.rule("bw", "bw", "x", "x", "1.0", method="backward"))
    with pytest.raises(ValueError, match=r"Value\.tanh applies rule 'tanh'"):
        rules.register(rules.rule("tanh2", "tanh", "x", "m.tanh(x)", "1.0 - z * z", method="tanh"))
    with pytest.raises(TypeError, match="register: row must be a Rule"):
        rules.register("softplus")
    with pytest.raises(ValueError, match="give one local gradient for each of the first operands"):
        rules.rule("nograd", "n", "x", "x")
    with pytest.raises(ValueError, match="is not a Python expression"):
        rules.rule("bad", "b", "x", "x +", "1.0")
    assert not {"erfish", "bw", "tanh2"} & set(RULES) and not hasattr(Value, "erfish")


def test_relu_derivative_at_zero_is_zero():
    x = Value(0.0)
    x.relu().backward()
    assert x.grad == 0.0
    assert Value(-3.0).relu().data == 0.0


def test_max_and_min_split_a_tie():
    for method in ("max", "min"):
        x, y = Value(1.0), Value(1.0)
        getattr(x, method)(y).backward()
        assert (x.grad, y.grad) == (0.5, 0.5)
    x = Value(2.0)
    x.max(x).backward()
    assert x.grad == 1.0
    v = Value(4.0)
    v.max(4.0).backward()
    assert v.grad == 0.5


def test_abs_derivative_at_zero_is_zero():
    x = Value(0.0)
    abs(x).backward()
    assert x.grad == 0.0


@pytest.mark.parametrize("x, z", [(1000.0, 1.0), (-1000.0, 0.0), (-745.0, math.exp(-745.0))])
def test_sigmoid_is_stable_at_extremes(x, z):
    v = Value(x)
    s = v.sigmoid()
    s.backward()
    assert s.data == pytest.approx(z, rel=1e-9, abs=0)
    assert v.grad == pytest.approx(z * (1 - z), abs=1e-300)


def test_leaky_relu_slope():
    x = Value(-2.0)
    y = x.leaky_relu(0.1)
    y.backward()
    assert (y.data, x.grad) == (pytest.approx(-0.2), 0.1)
    assert y.operands == (x, 0.1)
