"""Property tests: random expression DAGs with shared subexpressions (fan-out) and any mix of
ops, differentiated by the engine and by HIPS autograd, and checked by finite differences."""

import math

import autograd.numpy as anp
import pytest
from autograd import grad as hips_grad
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from autograd_engine import Value

# Each op is total on the reals (so any random program is valid) and smooth enough for
# finite differences; the raw domain-limited primitives appear inside safe compositions.
UNARY = {
    "neg": (lambda v: -v, lambda a: -a),
    "tanh": (lambda v: v.tanh(), anp.tanh),
    "sigmoid": (lambda v: v.sigmoid(), lambda a: 1 / (1 + anp.exp(-a))),
    "exp_tanh": (lambda v: v.tanh().exp(), lambda a: anp.exp(anp.tanh(a))),
    "log_1p_sq": (lambda v: (1 + v * v).log(), lambda a: anp.log(1 + a * a)),
    "square": (lambda v: v ** 2, lambda a: a ** 2),
    "cube_scaled": (lambda v: 0.1 * v ** 3, lambda a: 0.1 * a ** 3),
    "recip_1p_sq": (lambda v: 1 / (1 + v * v), lambda a: 1 / (1 + a * a)),
    "sqrt_1p_sq": (lambda v: (1 + v * v) ** 0.5, lambda a: (1 + a * a) ** 0.5),
    "two_pow_tanh": (lambda v: 2 ** v.tanh(), lambda a: 2 ** anp.tanh(a)),
    "scale_shift": (lambda v: 0.5 * v - 1.5, lambda a: 0.5 * a - 1.5),
    "rsub": (lambda v: 1 - v, lambda a: 1 - a),
    "leaky_sq": (lambda v: (v * v + 0.25).leaky_relu(0.2), lambda a: a * a + 0.25),
    "relu_shift": (lambda v: (v * v + 0.5).relu(), lambda a: a * a + 0.5),
    "abs_shift": (lambda v: abs(v * v + 0.5), lambda a: a * a + 0.5),
}
BINARY = {
    "add": (lambda x, y: x + y, lambda a, b: a + b),
    "sub": (lambda x, y: x - y, lambda a, b: a - b),
    "mul": (lambda x, y: x * y, lambda a, b: a * b),
    "div_safe": (lambda x, y: x / (1 + y * y), lambda a, b: a / (1 + b * b)),
    "vpow_safe": (lambda x, y: (1 + x * x) ** y.tanh(), lambda a, b: (1 + a * a) ** anp.tanh(b)),
    "max": (lambda x, y: x.max(y * 0.5 + 0.1), lambda a, b: anp.maximum(a, b * 0.5 + 0.1)),
    "min": (lambda x, y: x.min(y * 0.5 + 0.1), lambda a, b: anp.minimum(a, b * 0.5 + 0.1)),
}
NARY = {
    "sum": (lambda vs: Value.sum(vs), lambda xs: sum(xs)),
    "dot": (lambda vs: Value.dot(vs, vs[::-1]), lambda xs: sum(a * b for a, b in zip(xs, xs[::-1]))),
}


@st.composite
def programs(draw):
    n_inputs = draw(st.integers(1, 4))
    steps = []
    for i in range(draw(st.integers(1, 12))):
        avail = n_inputs + i
        kind = draw(st.sampled_from(["u", "b", "n"]))
        if kind == "u":
            steps.append(("u", draw(st.sampled_from(sorted(UNARY))), draw(st.integers(0, avail - 1))))
        elif kind == "b":
            steps.append(("b", draw(st.sampled_from(sorted(BINARY))),
                          draw(st.integers(0, avail - 1)), draw(st.integers(0, avail - 1))))
        else:
            k = draw(st.integers(1, min(4, avail)))
            steps.append(("n", draw(st.sampled_from(sorted(NARY))),
                          *draw(st.lists(st.integers(0, avail - 1), min_size=k, max_size=k))))
    point = draw(st.lists(st.floats(-2, 2, allow_nan=False), min_size=n_inputs, max_size=n_inputs))
    return steps, point


def run(program, inputs, ours: bool):
    nodes = list(inputs)
    pick = 0 if ours else 1
    for step in program:
        kind, name, *args = step
        if kind == "u":
            nodes.append(UNARY[name][pick](nodes[args[0]]))
        elif kind == "b":
            nodes.append(BINARY[name][pick](nodes[args[0]], nodes[args[1]]))
        else:
            nodes.append(NARY[name][pick]([nodes[a] for a in args]))
    # the output uses every node once more: fan-out everywhere
    out = nodes[-1]
    for v in nodes[:-1]:
        out = out + (v.tanh() if ours else anp.tanh(v)) * 0.1
    return out


def build(prog):
    """Run a random program on fresh leaves of our engine: (inputs, output)."""
    steps, point = prog
    xs = [Value(p) for p in point]
    return xs, run(steps, xs, ours=True)


def differentiate(prog):
    """Run a random program on fresh leaves and backprop: (inputs, output)."""
    xs, out = build(prog)
    out.backward()
    return xs, out


@settings(max_examples=400)
@given(programs())
def test_random_dags_match_hips_autograd(prog):
    steps, point = prog
    xs, out = differentiate(prog)
    ours = [x.grad for x in xs]
    f = lambda arr: run(steps, [arr[i] for i in range(len(point))], ours=False)
    theirs = hips_grad(f)(anp.array(point, dtype=float))
    assert out.data == pytest.approx(float(f(anp.array(point, dtype=float))), rel=1e-9, abs=1e-9)
    assert ours == pytest.approx([float(t) for t in theirs], rel=1e-8, abs=1e-9)


@settings(max_examples=200)
@given(programs())
def test_random_dags_match_finite_differences(prog):
    steps, point = prog
    xs, out = differentiate(prog)
    # finite differences are meaningless across a kink of max/min: keep away from ties
    assume(all(abs(v.operands[0].data - v.operands[1].data) > 1e-3 for v in out.nodes() if v.op in ("max", "min")))
    eps = 1e-6
    for i, x in enumerate(xs):
        hi = [Value(p + (eps if j == i else 0.0)) for j, p in enumerate(point)]
        lo = [Value(p - (eps if j == i else 0.0)) for j, p in enumerate(point)]
        numeric = (run(steps, hi, True).data - run(steps, lo, True).data) / (2 * eps)
        scale = max(1.0, abs(numeric), abs(x.grad))
        assert abs(x.grad - numeric) <= 1e-4 * scale, (x.grad, numeric)


@settings(max_examples=200)
@given(programs())
def test_backward_twice_doubles_leaves_and_recomputes_interior(prog):
    xs, out = differentiate(prog)
    first = [x.grad for x in xs]
    interior = {id(v): v.grad for v in out.nodes() if not v.is_leaf()}
    out.backward()
    assert [x.grad for x in xs] == pytest.approx([2 * g for g in first], rel=1e-12, abs=0)
    assert {id(v): v.grad for v in out.nodes() if not v.is_leaf()} == interior
    assert all(math.isfinite(x.grad) for x in xs)
