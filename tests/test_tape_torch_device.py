"""The torch backend stays on its device (issue 26) and says what it supports (issue 20,
class 7): a tensor batch is used where it is, a training step reads the device once per pass
(one finiteness flag, the error still naming the op and the sample), and odd batches and
devices — meta, sparse, complex, bfloat16, ``cuda:99`` on a CPU build — get clear errors or
exact conversions, never a raw PyTorch traceback."""

from __future__ import annotations

import numpy as np
import pytest

import nn
from autograd_engine import Value, compile
from nn.array_step import array_step
from test_tape_groups import batch, mlp_loss

torch = pytest.importorskip("torch")


def _tape():
    w = Value(2.0, "w")
    return compile(lambda x, y: w * x + y, 2, backend="torch"), w


@pytest.mark.parametrize("device", ["meta", "cuda:99", "no-such-device"])
def test_a_device_without_numbers_is_refused_saying_what_runs(device):
    if device == "cuda:99" and torch.cuda.is_available() and torch.cuda.device_count() > 99:
        pytest.skip("this machine has a 100th GPU")
    with pytest.raises(ValueError, match=r"compile: device .* is not available to PyTorch.*"
                                         r"the torch backend runs on 'cpu'"):
        compile(lambda x: x * 2.0, 1, backend="torch", device=device)


@pytest.mark.parametrize("backend", ["torch", "numpy"])
@pytest.mark.parametrize("make, error, says", [
    (lambda: torch.ones(3, 2, device="meta"), ValueError, "X is a meta tensor"),
    (lambda: torch.ones(3, 2).to_sparse(), TypeError, r"X is a torch.sparse_coo tensor.*to_dense"),
    (lambda: torch.ones(3, 2, dtype=torch.complex128), TypeError, "dtype torch.complex128"),
    (lambda: torch.ones(3), ValueError, r"shape \(3,\)"),
    (lambda: torch.ones(3, 5), ValueError, "X has 5 columns"),
    (lambda: torch.ones(0, 2), ValueError, "empty batch"),
])
def test_odd_tensor_batches_get_errors_naming_what_is_supported(backend, make, error, says):
    w = Value(2.0, "w")
    tape = compile(lambda x, y: w * x + y, 2, backend=backend)
    with pytest.raises(error, match=f"Tape.forward: .*{says}"):
        tape.forward(make())


@pytest.mark.parametrize("dtype", ["bfloat16", "float16", "float32", "int64", "bool"])
def test_narrow_dtypes_are_converted_to_float64_exactly(dtype):
    tape, _ = _tape()
    X = torch.tensor([[1.5, -2.0], [0.25, 1.0]]).to(getattr(torch, dtype))
    want = 2.0 * X[:, 0].double() + X[:, 1].double()  # every such number is a float64
    out = tape.forward(X)
    assert out.dtype == torch.float64 and torch.equal(out, want)


def test_a_tensor_batch_is_used_on_its_device_and_a_step_reads_the_device_once_a_pass():
    sizes = (2, 4, 1)
    (m_a, fn_a, n), (m_b, fn_b, _) = mlp_loss(sizes, seed=3), mlp_loss(sizes, seed=3)
    tape = compile(fn_a, n, backend="torch")
    opt = nn.SGD(m_a.parameters(), lr=0.1, momentum=0.9)
    held = tape.hold_parameters(opt.params)
    ops = held.ops
    X = batch(sizes, 8)
    XT = torch.from_numpy(X)
    reads = []
    real_all_true, real_to_numpy = ops.all_true, ops.to_numpy
    ops.all_true = lambda flags: reads.append(len(flags)) or real_all_true(flags)

    def no_host(a):
        raise AssertionError("a step copied an array to the host")
    ops.to_numpy = no_host
    try:
        for _ in range(2):
            held.zero_grad()
            out = tape.forward(XT)
            tape.backward("mean")
            array_step(opt, held)
    finally:
        ops.all_true, ops.to_numpy = real_all_true, real_to_numpy
    assert len(reads) == 2 * 2  # one read of the device per forward and per backward
    held.deferred = True  # as fit runs it: every flag read with the update's check
    reads.clear()
    ops.all_true = lambda flags: reads.append(len(flags)) or real_all_true(flags)
    ops.to_numpy = no_host
    try:
        held.zero_grad()
        tape.forward(XT)
        tape.backward("mean")
        array_step(opt, held)
    finally:
        ops.all_true, ops.to_numpy = real_all_true, real_to_numpy
    assert len(reads) == 1 and reads[0] > 10  # ONE read a training step, of every flag
    held.deferred = False
    out = tape.forward(XT)
    assert isinstance(out, torch.Tensor)
    # the same numbers as the NumPy tape trained the usual way
    tape_b = compile(fn_b, n)
    opt_b = nn.SGD(m_b.parameters(), lr=0.1, momentum=0.9)
    for _ in range(3):
        opt_b.zero_grad()
        out_b = tape_b.forward(X)
        tape_b.backward("mean")
        opt_b.step()
    out_b = tape_b.forward(X)
    assert np.allclose(out.numpy(), out_b, rtol=1e-12, atol=1e-15)
    held.write_back()
    assert np.allclose([p.data for p in m_a.parameters()], [p.data for p in m_b.parameters()],
                       rtol=1e-12, atol=1e-15)


def test_a_non_finite_tensor_batch_is_named_by_its_entry():
    tape, _ = _tape()
    with pytest.raises(ValueError, match=r"Tape.forward: X\[1, 0\] = inf is not finite"):
        tape.forward(torch.tensor([[1.0, 2.0], [float("inf"), 0.0]]))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device here")
def test_a_cuda_tape_takes_a_cuda_batch_in_place():
    w = Value(2.0, "w")
    tape = compile(lambda x: (w * x).log(), 1, backend="torch", device="cuda")
    X = torch.tensor([[1.0], [3.0]], dtype=torch.float64, device="cuda")
    out = tape.forward(X)
    assert out.device.type == "cuda" and torch.allclose(out.cpu(), torch.log(2.0 * X.cpu()[:, 0]))
    with pytest.raises(ValueError, match=r"log fails at sample 1"):
        tape.forward(torch.tensor([[1.0], [-3.0]], device="cuda"))


def test_a_deferred_check_still_names_the_op_and_sample_and_changes_nothing():
    """With the flags read once a step (fit's way), a forward that fails is reported by the
    update's check with the forward's own error; the parameters, their gradient and the
    optimizer are left as they were."""
    w = Value(1.0, "w")
    tape = compile(lambda x: (w * x).log(), 1, backend="torch")
    opt = nn.SGD([w], lr=0.1, momentum=0.9)
    held = tape.hold_parameters(opt.params)
    held.deferred = True
    tape.forward(torch.tensor([[1.0], [2.0]]))
    tape.backward("mean")
    array_step(opt, held)  # a good step
    data, grad = held.data.clone(), held.grad.clone()
    held.zero_grad()
    tape.forward(torch.tensor([[1.0], [-2.0]]))  # log of a negative number at sample 1: not read yet
    tape.backward("mean")
    with pytest.raises(ValueError, match=r"Tape.forward: log fails at sample 1"):
        array_step(opt, held)
    assert torch.equal(held.data, data) and opt.steps == 1 and held.pending == []
    assert torch.equal(held.grad, torch.zeros_like(grad))  # as zero_grad left it


def test_a_deferred_backward_that_would_overflow_a_gradient_is_undone():
    w, v = Value(1e-10, "w"), Value(3.0, "v")
    tape = compile(lambda x: w * x + v, 1, backend="torch")
    opt = nn.SGD([w, v], lr=0.1)
    held = tape.hold_parameters(opt.params)
    held.deferred = True
    held.grad[...] = torch.tensor([1.7e308, 1.0], dtype=torch.float64)
    tape.forward(torch.tensor([[1e308]], dtype=torch.float64))
    tape.backward("sum")
    with pytest.raises(ValueError, match="Tape.backward: .*every .grad unchanged"):
        array_step(opt, held)
    assert held.grad.tolist() == [1.7e308, 1.0] and opt.steps == 0
