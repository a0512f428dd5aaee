"""The compiled tape against the scalar engine: same values, same gradients, same errors.

The oracle throughout is the scalar engine itself, run one sample at a time: the tape must
give ``fn(row)`` for every row, and ``Σ_b ∂fn(row_b)/∂w`` (``"sum"``) or that over B
(``"mean"``) in every parameter's ``.grad`` — what ``Value.backward`` accumulates in a leaf
when each sample's output is back-propagated in turn.
"""

from __future__ import annotations

import math
import random
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd_engine import RULES, FLOAT_MATH, Value, compile, no_grad
from autograd_engine.tape import ARRAY_MATH, Tape


# ---- the scalar oracle -------------------------------------------------------------------------
def scalar_run(fn, params, X, reduction="sum"):
    """Per-sample outputs and the reduced parameter gradients, by the scalar engine."""
    saved = [p.grad for p in params]
    for p in params:
        p.grad = 0.0
    outs = []
    for row in np.asarray(X, dtype=float):
        out = fn(*[Value(float(v)) for v in row])
        out.backward()
        outs.append(out.data)
    grads = [p.grad / (len(outs) if reduction == "mean" else 1) for p in params]
    for p, g in zip(params, saved):
        p.grad = g
    return outs, grads


def tape_run(tape, X, reduction="sum"):
    """Per-sample outputs and the gradients the tape adds into .grad (from zero)."""
    for p in tape.parameters:
        p.grad = 0.0
    outs = tape.forward(X)
    tape.backward(reduction)
    return outs.tolist(), [p.grad for p in tape.parameters]


def assert_close(got, want, rel=1e-10, abs_=1e-12):
    assert len(got) == len(want)
    for i, (a, b) in enumerate(zip(got, want)):
        assert math.isclose(a, b, rel_tol=rel, abs_tol=abs_), f"entry {i}: {a!r} != {b!r}"


# ---- the backend and the import contract --------------------------------------------------------
def test_array_math_offers_exactly_the_float_backend_names():
    assert set(vars(ARRAY_MATH)) == set(vars(FLOAT_MATH))


def test_array_math_matches_float_math_elementwise():
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.uniform(-800, 800, 50), [0.0, -0.0, 1000.0, -1000.0, 5.0]])
    y = rng.uniform(0.1, 3.0, x.size)
    for name in ("tanh", "sigmoid", "sign"):
        want = [getattr(FLOAT_MATH, name)(float(v)) for v in x]
        assert_close(getattr(ARRAY_MATH, name)(x).tolist(), want, rel=1e-15, abs_=0.0)
    assert_close(ARRAY_MATH.pow(y, x / 400).tolist(), [math.pow(a, b) for a, b in zip(y, x / 400)],
                 rel=1e-15, abs_=0.0)
    assert ARRAY_MATH.pow(np.array([-2.0]), 3).tolist() == [math.pow(-2.0, 3)] == [-8.0]
    with np.errstate(invalid="raise"):  # like math.pow(-8, 1/3), outside the domain is an error
        with pytest.raises(FloatingPointError):
            ARRAY_MATH.pow(np.array([-8.0]), 1 / 3)
    rows = rng.normal(size=(4, 6))
    assert_close(ARRAY_MATH.sum(rows).tolist(), [sum(map(float, c)) for c in rows.T], rel=1e-14)
    assert_close(ARRAY_MATH.dot(rows[:2], rows[2:]).tolist(),
                 [FLOAT_MATH.dot(a.tolist(), b.tolist()) for a, b in zip(rows[:2].T, rows[2:].T)],
                 rel=1e-14)
    assert ARRAY_MATH.sum([np.array([1.0, 2.0]), 3.0]).tolist() == [4.0, 5.0]


def test_importing_the_package_does_not_import_numpy():
    code = "import sys, autograd_engine; assert 'numpy' not in sys.modules, 'numpy imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_without_numpy_the_tape_names_the_extra_to_install():
    code = ("import sys; sys.modules['numpy'] = None\n"
            "import autograd_engine\n"
            "try:\n    autograd_engine.compile\nexcept ImportError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert "pip install 'autograd-engine[fast]'" in out.stdout


# ---- Florance's blog post over a batch ----------------------------------------------------------------------
def test_florance_example_over_a_batch():
    """f = (a + b)(b + c), a and c inputs, b a parameter = 3: at a = −1, c = 4 the blog's
    x = 2, y = 7, f = 14 and ∂f/∂b = y + x = 9; a second row adds its own ∂f/∂b."""
    b = Value(3.0, "b")
    tape = compile(lambda a, c: (a + b) * (b + c), 2)
    assert tape.parameters == [b] and len(tape) == 3
    out = tape.forward([[-1.0, 4.0], [1.0, 1.0]])
    assert out.tolist() == [14.0, 16.0]  # (1 + 3)(3 + 1) = 16
    tape.backward("sum")
    assert b.grad == 9.0 + 8.0  # ∂f/∂b = (b + c) + (a + b) per row
    tape.backward("mean")
    assert b.grad == 17.0 + 8.5


# ---- every op of the rule table, replayed -------------------------------------------------------
W = [Value(v, f"w{i}") for i, v in enumerate((0.7, -1.3, 0.6, 1.1))]

# f(a, b, w1, w2): a in [-2, 2], b in [0.5, 2] (positive, so logs, roots and divisions are defined)
OP_CASES = {
    "add": lambda a, b, w1, w2: a + w1,
    "sub": lambda a, b, w1, w2: w1 - a,
    "rsub": lambda a, b, w1, w2: 1.5 - a * w1,
    "mul": lambda a, b, w1, w2: a * w1 * b,
    "div": lambda a, b, w1, w2: a / (b + w1),
    "rdiv": lambda a, b, w1, w2: 2.0 / (b + w1),
    "neg": lambda a, b, w1, w2: -(a * w1),
    "pow": lambda a, b, w1, w2: (b + w1) ** 1.5 + (a * w2) ** 3,
    "rpow": lambda a, b, w1, w2: 2.0 ** (a * w1),
    "vpow": lambda a, b, w1, w2: (b + w1) ** (a * w2),
    "exp": lambda a, b, w1, w2: (a * w1).exp(),
    "log": lambda a, b, w1, w2: (b + w1).log(),
    "sqrt": lambda a, b, w1, w2: (b + w1).sqrt(),
    "sin": lambda a, b, w1, w2: (a * w1 + w2).sin(),
    "cos": lambda a, b, w1, w2: (a * w1 + w2).cos(),
    "tanh": lambda a, b, w1, w2: (a * w1 + w2).tanh(),
    "sigmoid": lambda a, b, w1, w2: (a * w1 + w2).sigmoid(),
    "relu": lambda a, b, w1, w2: (a * w1 + w2).relu(),
    "leaky_relu": lambda a, b, w1, w2: (a * w1 + w2).leaky_relu(0.1),
    "abs": lambda a, b, w1, w2: abs(a * w1 + w2),
    "max": lambda a, b, w1, w2: (a * w1).max(b * w2) + a.max(a),  # a.max(a): a tie, 0.5/0.5
    "min": lambda a, b, w1, w2: (a * w1).min(b * w2) + b.min(b),
    "sum": lambda a, b, w1, w2: Value.sum([a, w1, b * w2, 2.0]),
    "dot": lambda a, b, w1, w2: Value.dot([w1, w2, a], [a, b, 0.5]) + Value.dot([a, a], [w1, w1]),
}


def _op_batch(seed=0, n=7):
    rng = np.random.default_rng(seed)
    X = np.column_stack([rng.uniform(-2, 2, n), rng.uniform(0.5, 2, n)])
    X[0] = [0.0, 1.0]  # relu, abs and max exactly at their switch points
    return X


def test_every_rule_has_a_case():
    assert set(OP_CASES) == set(RULES)


@pytest.mark.parametrize("op", sorted(OP_CASES))
@pytest.mark.parametrize("where", ["per-sample operands", "parameter-only operands"])
def test_every_op_replays_like_the_scalar_engine(op, where):
    f = OP_CASES[op]
    w1, w2, w3, w4 = W
    if where == "per-sample operands":
        fn = lambda x, y: f(x, y, w1, w2)  # noqa: E731
    else:  # the op's node is the same for every sample: evaluated once, its gradient Σ_b
        fn = lambda x, y: f(w3 * 1.0, w4 * 1.0, w1, w2) * x + y  # noqa: E731
    tape = compile(fn, 2)
    assert op in tape.ops
    X = _op_batch()
    want_out, want_grads = scalar_run(fn, tape.parameters, X)
    got_out, got_grads = tape_run(tape, X)
    assert_close(got_out, want_out)
    assert_close(got_grads, want_grads)
    for row in X:  # and each sample on its own (a batch of one)
        want_out, want_grads = scalar_run(fn, tape.parameters, row[None])
        got_out, got_grads = tape_run(tape, row[None])
        assert_close(got_out, want_out)
        assert_close(got_grads, want_grads)


# ---- random models and batches (hypothesis) -----------------------------------------------------
def make_mlp(rng: random.Random, sizes, act):
    """An MLP built from Values: per neuron a weight list and a bias; dot + bias, then act."""
    layers = [[([Value(rng.uniform(-1, 1)) for _ in range(nin)], Value(rng.uniform(-0.5, 0.5)))
               for _ in range(nout)] for nin, nout in zip(sizes, sizes[1:])]
    params = [p for layer in layers for ws, b in layer for p in (*ws, b)]

    def model(xs):
        for i, layer in enumerate(layers):
            out = [Value.dot(ws, xs) + b for ws, b in layer]
            xs = [getattr(o, act)() for o in out] if i < len(layers) - 1 else out
        return xs

    return model, params


LOSSES = {
    "hinge": lambda score, t: (1 - t * score).relu(),
    "mse": lambda score, t: (score - t) ** 2,
    "bce": lambda score, t: -(t * score.sigmoid().log() + (1 - t) * (1 - score.sigmoid()).log()),
}


@given(seed=st.integers(0, 10**6), n_in=st.integers(1, 3),
       hidden=st.lists(st.integers(1, 5), min_size=0, max_size=2),
       act=st.sampled_from(["relu", "tanh", "sigmoid"]), loss=st.sampled_from(sorted(LOSSES)),
       batch=st.integers(1, 9), l2=st.booleans(), reduction=st.sampled_from(["sum", "mean"]))
def test_tape_gradients_equal_summed_scalar_gradients(seed, n_in, hidden, act, loss, batch, l2,
                                                      reduction):
    rng = random.Random(seed)
    model, params = make_mlp(rng, [n_in, *hidden, 1], act)
    alpha = 1e-3 if l2 else 0.0

    def fn(*row):
        score = model(list(row[:-1]))[0]
        return LOSSES[loss](score, row[-1]) + alpha * Value.dot(params, params)

    X = np.array([[rng.uniform(-2, 2) for _ in range(n_in)] + [rng.choice((0.0, 1.0))]
                  for _ in range(batch)])
    tape = compile(fn, n_in + 1)
    assert {id(p) for p in tape.parameters} == {id(p) for p in params}
    want_out, want_grads = scalar_run(fn, tape.parameters, X, reduction)
    got_out, got_grads = tape_run(tape, X, reduction)
    assert_close(got_out, want_out, rel=1e-12)
    assert_close(got_grads, want_grads, rel=1e-9, abs_=1e-12)


# ---- reduction and accumulation -----------------------------------------------------------------
def _small_tape():
    model, params = make_mlp(random.Random(3), [2, 4, 1], "tanh")
    tape = compile(lambda x0, x1, t: (model([x0, x1])[0] - t) ** 2, 3)
    X = np.random.default_rng(3).normal(size=(6, 3))
    return tape, params, X


def test_mean_is_sum_over_batch_size():
    tape, params, X = _small_tape()
    _, g_sum = tape_run(tape, X, "sum")
    _, g_mean = tape_run(tape, X, "mean")
    assert_close(g_mean, [g / 6 for g in g_sum], rel=1e-14, abs_=1e-300)
    assert any(g != 0.0 for g in g_sum)


def test_backward_accumulates_into_grad_like_value_backward():
    tape, params, X = _small_tape()
    _, g1 = tape_run(tape, X, "sum")
    assert {id(p) for p in tape.parameters} == {id(p) for p in params}
    tape.backward("sum")  # a second call on the same forward: exactly twice
    assert [p.grad for p in tape.parameters] == [2 * g for g in g1]
    for p in params:
        p.grad = 0.5
    tape.backward("sum")  # adds to what is there
    assert [p.grad for p in tape.parameters] == [0.5 + g for g in g1]


def test_forward_reads_parameters_current_data():
    w = Value(2.0, "w")
    tape = compile(lambda x: w * x, 1)
    assert tape.forward([[3.0]]).tolist() == [6.0]
    w.data = -1.0
    assert tape.forward([[3.0]]).tolist() == [-3.0]


def test_output_that_does_not_depend_on_the_inputs():
    """fn = w²: the same for every sample; the sum over B samples has gradient B · 2w."""
    w = Value(1.5, "w")
    tape = compile(lambda x: w * w, 1)
    assert tape.forward(np.zeros((4, 1))).tolist() == [2.25] * 4
    tape.backward("sum")
    assert w.grad == 4 * 3.0
    w.grad = 0.0
    tape.backward("mean")
    assert w.grad == 3.0


def test_output_that_is_an_input_or_a_parameter():
    tape = compile(lambda x, y: y, 2)
    assert tape.forward([[1.0, 2.0], [3.0, 4.0]]).tolist() == [2.0, 4.0]
    assert tape.parameters == [] and len(tape) == 0
    tape.backward()  # nothing to fill, and no error
    w = Value(5.0)
    tape = compile(lambda x: w, 1)
    assert tape.forward([[1.0], [2.0]]).tolist() == [5.0, 5.0]
    tape.backward("sum")
    assert w.grad == 2.0


def test_constants_made_inside_fn_are_not_parameters():
    w = Value(2.0)
    tape = compile(lambda x: x * w + Value(0.5, "c"), 1)
    assert tape.parameters == [w]
    assert tape.forward([[1.0]]).tolist() == [2.5]


def test_compile_under_no_grad_still_records():
    w = Value(2.0)
    with no_grad():
        tape = compile(lambda x: (x * w).exp(), 1)
    assert tape.ops == ["mul", "exp"]


def test_inputs_outside_the_wide_trace_domain_fall_back_to_positive_placeholders():
    w = Value(1.0)
    tape = compile(lambda x: (x * w).log(), 1)
    out = tape.forward([[math.e], [1.0]])
    assert_close(out.tolist(), [1.0, 0.0], rel=1e-15)
    tape.backward("sum")
    assert w.grad == 2.0  # ∂ log(xw)/∂w = 1/w per sample


def test_trace_inputs_are_used_when_given():
    w = Value(1.0)
    tape = compile(lambda x: (x - 2.0).log() * w, 1, trace_inputs=[[3.0], [5.0]])
    assert_close(tape.forward([[3.0 + 1e-300], [2.0 + math.e]]).tolist(), [0.0, 1.0])
    with pytest.raises(ValueError, match="two different rows"):
        compile(lambda x: x * w, 1, trace_inputs=[[1.0], [1.0]])
    with pytest.raises(ValueError, match="has 2 numbers, fn takes 1"):
        compile(lambda x: x * w, 1, trace_inputs=[[1.0, 2.0], [3.0, 4.0]])


# ---- structure that depends on data: the traced-twice check ------------------------------------
def test_python_if_on_data_is_detected():
    w = Value(0.5)

    def fn(x):
        h = x * w
        return h.tanh() if h.data > 0 else h.exp()  # a Python branch: not replayable

    with pytest.raises(ValueError, match=r"Python `if` on \.data.*'tanh'.*'exp'|'exp'.*'tanh'"):
        compile(fn, 1)


def test_numbers_and_values_taken_from_data_are_detected():
    w = Value(0.5)
    with pytest.raises(ValueError, match="different graphs"):
        compile(lambda x: w * x.data, 1)
    with pytest.raises(ValueError, match="constant Value"):
        compile(lambda x: w * Value(x.data), 1)
    with pytest.raises(ValueError, match="different graphs"):
        compile(lambda x: w * x.detach(), 1)


def test_values_computed_under_no_grad_inside_fn_are_refused():
    w = Value(0.5)

    def fn(x):
        with no_grad():
            shift = w * 2
        return x - shift

    with pytest.raises(ValueError, match="no_grad"):
        compile(fn, 1)


def test_branches_inside_ops_are_fine():
    """relu / max are evaluated element-wise: one tape serves samples on both sides."""
    w = Value(1.0)
    fn = lambda x: (x * w).relu() + (x * w).max(-x)  # noqa: E731
    tape = compile(fn, 1)
    X = np.array([[-2.0], [3.0], [0.0]])
    want_out, want_grads = scalar_run(fn, [w], X)
    got_out, got_grads = tape_run(tape, X)
    assert got_out == want_out == [2.0, 6.0, 0.0]
    assert_close(got_grads, want_grads)


# ---- bad input --------------------------------------------------------------------------------
def test_compile_arguments_are_checked():
    with pytest.raises(TypeError, match="fn must be callable"):
        compile(3, 1)
    for bad in (0, -1, True, 2.0, "2"):
        with pytest.raises(TypeError, match="n_inputs must be a positive int"):
            compile(lambda x: x, bad)
    with pytest.raises(TypeError, match="must return one Value"):
        compile(lambda x: [x], 1)
    with pytest.raises(TypeError, match="must return one Value"):
        compile(lambda x: 1.0, 1)


@pytest.mark.parametrize("X, error, match", [
    ([[1.0, 2.0, 3.0]], ValueError, "X has 3 columns but the tape has 2 inputs"),
    ([1.0, 2.0], ValueError, r"got shape \(2,\).*reshape"),
    (np.zeros((2, 2, 2)), ValueError, r"got shape \(2, 2, 2\)"),
    (np.zeros((0, 2)), ValueError, "empty batch"),
    ([["a", "b"]], TypeError, "X must be numbers"),
    ([[1 + 2j, 0]], TypeError, "dtype complex"),
    ([[1.0, None]], TypeError, "dtype object"),
    ([[1.0, 2.0], [3.0]], ValueError, "X must be numbers"),
    ([[1.0, 2.0], [3.0, float("nan")]], ValueError, r"X\[1, 1\] = nan is not finite"),
])
def test_bad_batches_get_clear_errors(X, error, match):
    w = Value(1.0)
    tape = compile(lambda x, y: x * w + y, 2)
    with pytest.raises(error, match=match):
        tape.forward(X)


def test_backward_arguments_and_order_are_checked():
    w = Value(1.0)
    tape = compile(lambda x: x * w, 1)
    with pytest.raises(RuntimeError, match="call forward"):
        tape.backward()
    tape.forward([[1.0]])
    with pytest.raises(ValueError, match="'mean' or 'sum'"):
        tape.backward("max")


def test_domain_errors_name_the_op_and_the_sample():
    w = Value(1.0)
    tape = compile(lambda x: (x * w).log(), 1)
    with pytest.raises(ValueError, match=r"log fails at sample 2 .*x > 0.*operands there: -3\.0"):
        tape.forward([[1.0], [2.0], [-3.0], [-4.0]])
    with pytest.raises(RuntimeError, match="call forward"):  # a failed forward leaves nothing
        tape.backward()
    tape = compile(lambda x: (x * w).exp(), 1)
    with pytest.raises(ValueError, match=r"exp fails at sample 1 .*finite result"):
        tape.forward([[1.0], [800.0]])
    tape = compile(lambda x: w / x, 1)
    with pytest.raises(ValueError, match=r"div fails at sample 0 .*divisor"):
        tape.forward([[0.0], [1.0]])
    tape = compile(lambda x: (x * w) ** 0.5, 1)
    with pytest.raises(ValueError, match=r"pow fails at sample 1"):
        tape.forward([[4.0], [-4.0]])


def test_domain_errors_of_parameter_only_nodes_and_bad_parameters():
    w = Value(1.0)
    tape = compile(lambda x: x * w.log(), 1)
    w.data = -1.0
    with pytest.raises(ValueError, match="log fails for every sample"):
        tape.forward([[1.0]])
    w.data = float("inf")
    with pytest.raises(ValueError, match="parameter .* is not finite"):
        tape.forward([[1.0]])


def test_repr_and_len():
    w = Value(1.0)
    tape = compile(lambda x, y: (x * w + y).tanh(), 2)
    assert isinstance(tape, Tape)
    assert repr(tape) == "Tape(2 inputs, 1 parameters, 3 ops)" and len(tape) == 3


# ---- a training run, step by step ---------------------------------------------------------------
def test_training_with_the_tape_matches_the_scalar_engine_step_by_step():
    """micrograd's demo in small: hinge loss + L2, SGD with a decaying rate; two copies of one
    model, one trained by the scalar engine on the batch graph, one by the tape."""
    rng = np.random.default_rng(7)
    X = rng.normal(size=(24, 2))
    y = np.where(X[:, 0] * X[:, 1] > 0, 1.0, -1.0)  # XOR-like quadrants
    (m_s, p_s), (m_t, p_t) = (make_mlp(random.Random(11), [2, 8, 8, 1], "relu") for _ in "st")
    alpha, steps = 1e-4, 15

    def per_sample(model, params):
        def fn(x0, x1, t):
            return (1 - t * model([x0, x1])[0]).relu() + alpha * Value.dot(params, params)
        return fn

    fn_s = per_sample(m_s, p_s)
    tape = compile(per_sample(m_t, p_t), 3)
    XY = np.column_stack([X, y])
    for k in range(steps):
        loss = Value.sum([fn_s(*map(Value, row)) for row in XY.tolist()]) / len(XY)
        for p in p_s:
            p.grad = 0.0
        loss.backward()
        tape_loss = float(np.mean(tape.forward(XY)))
        for p in p_t:
            p.grad = 0.0
        tape.backward("mean")
        assert math.isclose(tape_loss, loss.data, rel_tol=1e-9), k
        first = loss.data if k == 0 else first
        assert_close([p.grad for p in p_t], [p.grad for p in p_s], rel=1e-9, abs_=1e-13)
        lr = 1.0 - 0.9 * k / steps
        for p in (*p_s, *p_t):
            p.data -= lr * p.grad
    assert_close([p.data for p in p_t], [p.data for p in p_s], rel=1e-9)
    assert loss.data < 0.7 * first  # and it did learn something


def test_gradient_overflow_in_backward_is_an_error_not_inf():
    """Forward is finite (log(1e-200) · 1e200 ≈ −4.6e202) but ∂/∂a = 1e200 · 1/a = 1e400."""
    w = Value(1.0)
    tape = compile(lambda x: ((x * w) * 1e-200).log() * 1e200, 1, trace_inputs=[[1.0], [2.0]])
    assert np.isfinite(tape.forward([[1.0]])).all()
    with pytest.raises(ValueError, match=r"Tape.backward: the gradient at node \d+ \(log\)"):
        tape.backward()
