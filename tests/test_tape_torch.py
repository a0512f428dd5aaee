"""The compiled tape on PyTorch (issue 14): the same rules replayed over float64 tensors give
the NumPy tape's numbers (and so the scalar engine's) to ~1e-12, train the same model with
``fit(compiled=True, backend="torch")``, and fail as clearly on a domain error.  Skipped
without PyTorch; the message naming the extra is tested without it."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import nn
from autograd_engine import compile
from test_tape import OP_CASES, W, _op_batch, assert_close, scalar_run
from test_tape_groups import batch, mlp_loss

torch = pytest.importorskip("torch", reason="PyTorch is not installed (pip install 'autograd-engine[torch]')")


def run(tape, X, reduction="sum"):
    for p in tape.parameters:
        p.grad = 0.0
    out = tape.forward(X)
    tape.backward(reduction)
    if isinstance(out, torch.Tensor):
        assert out.dtype == torch.float64
        out = out.cpu().numpy()
    return out.tolist(), [p.grad for p in tape.parameters]


@pytest.mark.parametrize("op", sorted(OP_CASES))
@pytest.mark.parametrize("where", ["per-sample operands", "parameter-only operands"])
def test_every_op_on_torch_equals_the_numpy_tape(op, where):
    f = OP_CASES[op]
    w1, w2, w3, w4 = W
    if where == "per-sample operands":
        fn = lambda x, y: f(x, y, w1, w2)  # noqa: E731
    else:
        fn = lambda x, y: f(w3 * 1.0, w4 * 1.0, w1, w2) * x + y  # noqa: E731
    X = _op_batch()
    t_np, t_torch = compile(fn, 2), compile(fn, 2, backend="torch")
    assert t_torch.backend == "torch" and t_torch.ops == t_np.ops
    want_out, want_grads = run(t_np, X)
    got_out, got_grads = run(t_torch, X)
    assert_close(got_out, want_out, rel=1e-12, abs_=1e-14)
    assert_close(got_grads, want_grads, rel=1e-12, abs_=1e-14)


@pytest.mark.parametrize("sizes", [(2, 16, 16, 1), (6, 12, 5)])
def test_a_model_on_torch_equals_the_scalar_engine(sizes):
    _, fn, n = mlp_loss(sizes, seed=5)
    tape = compile(fn, n, backend="torch", device="cpu")
    X = batch(sizes, 9)
    want_out, want_grads = scalar_run(fn, tape.parameters, X, "mean")
    got_out, got_grads = run(tape, torch.from_numpy(X), "mean")  # a tensor batch is accepted
    assert_close(got_out, want_out, rel=1e-12, abs_=1e-15)
    assert_close(got_grads, want_grads, rel=1e-12, abs_=1e-15)


def test_fit_on_the_torch_tape_equals_fit_on_the_numpy_tape():
    data = nn.moons(48, noise=0.1, seed=3)
    runs = {}
    for backend in ("numpy", "torch"):
        model = nn.MLP(2, [8, 8, 1], seed=1)
        hist = nn.fit(model, "hinge", nn.SGD(model.parameters(), lr=0.1, momentum=0.9), data,
                      epochs=3, batch_size=16, l2=1e-4, val=data, compiled=True, seed=2,
                      backend=backend)
        runs[backend] = hist.loss + hist.val_loss, [p.data for p in model.parameters()]
    assert_close(runs["torch"][0], runs["numpy"][0], rel=1e-12)
    assert_close(runs["torch"][1], runs["numpy"][1], rel=1e-11, abs_=1e-14)


def test_domain_errors_on_torch_are_as_clear_as_on_numpy():
    w = W[0].__class__(1.0)
    tape = compile(lambda x: (x * w).log(), 1, backend="torch")
    with pytest.raises(ValueError, match=r"log fails at sample 2 .*x > 0.*operands there: -3\.0"):
        tape.forward([[1.0], [2.0], [-3.0], [-4.0]])
    with pytest.raises(RuntimeError, match="call forward"):
        tape.backward()
    tape = compile(lambda x: (x * w).exp(), 1, backend="torch")
    with pytest.raises(ValueError, match=r"exp fails at sample 1 .*finite result"):
        tape.forward([[1.0], [800.0]])
    tape = compile(lambda x: ((x * w) * 1e-200).log() * 1e200, 1, backend="torch",
                   trace_inputs=[[1.0], [2.0]])
    tape.forward([[1.0]])
    with pytest.raises(ValueError, match=r"Tape.backward: the gradient at node \d+ \(log\)"):
        tape.backward()


def test_backend_and_device_are_checked():
    w = W[0]
    model = nn.MLP(2, [2, 1], seed=0)
    with pytest.raises(ValueError, match="pass compiled=True"):
        nn.fit(model, "hinge", nn.SGD(model.parameters()), nn.moons(8, seed=0), epochs=1,
               backend="torch")
    with pytest.raises(ValueError, match="backend must be one of 'numpy', 'torch'"):
        compile(lambda x: x * w, 1, backend="jax")
    with pytest.raises(ValueError, match="needs backend='torch'"):
        compile(lambda x: x * w, 1, device="cuda")
    with pytest.raises(ValueError, match="device 'no-such-device' is not available"):
        compile(lambda x: x * w, 1, backend="torch", device="no-such-device")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device here")
def test_the_tape_runs_on_a_gpu():  # pragma: no cover - needs a GPU
    _, fn, n = mlp_loss((2, 8, 1))
    X = batch((2, 8, 1), 5)
    want = run(compile(fn, n), X)
    got = run(compile(fn, n, backend="torch", device="cuda"), X)
    assert_close(got[0], want[0], rel=1e-12)
    assert_close(got[1], want[1], rel=1e-12, abs_=1e-15)


def test_without_torch_the_backend_names_the_extra():
    code = ("import sys; sys.modules['torch'] = None\n"
            "from autograd_engine import compile, Value\n"
            "w = Value(1.0)\n"
            "try:\n    compile(lambda x: x * w, 1, backend='torch')\n"
            "except ImportError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert "pip install 'autograd-engine[torch]'" in out.stdout
