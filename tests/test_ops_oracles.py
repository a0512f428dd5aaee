"""Every op against central finite differences and HIPS autograd at random points;
PyTorch parity where torch is installed."""

import importlib.util
import random
import zlib

import pytest

from autograd_engine import Value
from oracles import OPS, engine_grads, finite_differences, hips_grads

POINTS_PER_OP = 25


@pytest.mark.parametrize("case", OPS, ids=[c.name for c in OPS])
def test_op_against_finite_differences_and_hips_autograd(case):
    rng = random.Random(zlib.crc32(case.name.encode()))
    for _ in range(POINTS_PER_OP):
        point = case.sample(rng)
        value, grads = engine_grads(case.ours, point)
        assert value == pytest.approx(float(case.hips(*point)), rel=1e-12, abs=1e-12)
        assert grads == pytest.approx(hips_grads(case.hips, point), rel=1e-10, abs=1e-12)
        assert grads == pytest.approx(finite_differences(case.ours, point), rel=1e-5, abs=1e-6)


def test_every_rule_in_the_table_is_exercised():
    from autograd_engine import RULES

    seen = set()
    rng = random.Random(0)
    for case in OPS:
        xs = [Value(p) for p in case.sample(rng)]
        seen.update(v.op for v in case.ours(*xs).nodes())
    assert set(RULES) <= seen


HAS_TORCH = importlib.util.find_spec("torch") is not None


@pytest.mark.skipif(not HAS_TORCH, reason="PyTorch not installed (pip install torch==2.13.0)")
@pytest.mark.parametrize("case", OPS, ids=[c.name for c in OPS])
def test_op_matches_pytorch(case):
    import torch

    torch_fns = {
        "exp": torch.exp, "log": torch.log, "tanh": torch.tanh, "sigmoid": torch.sigmoid,
        "sqrt": torch.sqrt, "sin": torch.sin, "cos": torch.cos,
        "relu": torch.relu, "leaky_relu": lambda x: torch.nn.functional.leaky_relu(x, 0.1),
        "abs": torch.abs, "max": torch.maximum, "min": torch.minimum,
    }
    rng = random.Random(1)
    for _ in range(10):
        point = case.sample(rng)
        value, grads = engine_grads(case.ours, point)
        ts = [torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in point]
        out = torch_fns.get(case.name, case.hips)(*ts)  # the others are plain arithmetic
        out.backward()
        assert value == pytest.approx(out.item(), rel=1e-12)
        assert grads == pytest.approx([t.grad.item() for t in ts], rel=1e-10, abs=1e-12)


@pytest.mark.skipif(not HAS_TORCH, reason="PyTorch not installed (pip install torch==2.13.0)")
def test_conventions_match_pytorch_at_kinks():
    import torch

    def torch_grad(fn, *xs):
        ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
        fn(*ts).backward()
        return [t.grad.item() for t in ts]

    def ours(fn, *xs):
        vs = [Value(x) for x in xs]
        fn(*vs).backward()
        return [v.grad for v in vs]

    assert ours(lambda x: x.relu(), 0.0) == torch_grad(torch.relu, 0.0)
    assert ours(lambda x: abs(x), 0.0) == torch_grad(torch.abs, 0.0)
    assert ours(lambda x, y: x.max(y), 1.0, 1.0) == torch_grad(torch.maximum, 1.0, 1.0)
    assert ours(lambda x, y: x.min(y), 1.0, 1.0) == torch_grad(torch.minimum, 1.0, 1.0)
