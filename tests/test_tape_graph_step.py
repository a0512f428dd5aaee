"""A training step captured in a CUDA graph (``nn.graph_step.capture_step``): the same
numbers as the uncaptured step bit for bit, a failed step still named by its op and sample
and changing nothing, and what cannot be captured refused with a clear error.

The CUDA tests skip without a GPU; the same body run uncaptured (``graph=False``) is checked
here on the CPU: equal to the step, and reading nothing from the device."""

from __future__ import annotations

import contextlib

import numpy as np
import pytest

import nn
from autograd_engine import Value, compile
from nn.array_step import array_step
from nn.graph_step import capture_step
from test_tape_groups import batch, mlp_loss

torch = pytest.importorskip("torch")
cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device here")

MODELS = [(2, 16, 16, 1), (10, 128, 128, 10)]
OPTIMIZERS = {
    "sgd": lambda ps: nn.SGD(ps, lr=0.05),
    "momentum": lambda ps: nn.SGD(ps, lr=0.05, momentum=0.9, weight_decay=1e-3),
    "rmsprop": lambda ps: nn.RMSProp(ps, lr=0.01),
}


def _trainer(sizes, opt_name, device):
    model, fn, n = mlp_loss(sizes, seed=3)
    tape = compile(fn, n, backend="torch", device=device)
    opt = OPTIMIZERS[opt_name](model.parameters())
    held = tape.hold_parameters(opt.params)
    return tape, opt, held


def _uncaptured_step(tape, opt, held):
    """The benchmark's tape step (fit's way: the flags read once, by the update)."""
    held.deferred = True

    def step(X) -> float:
        held.zero_grad()
        loss = float(tape.forward(X).mean())
        tape.backward("mean")
        assert array_step(opt, held)
        return loss
    return step


def _same_steps(sizes, opt_name, device, graph, steps=5, B=64):
    tape_a, opt_a, held_a = _trainer(sizes, opt_name, device)
    tape_b, opt_b, held_b = _trainer(sizes, opt_name, device)
    eager = _uncaptured_step(tape_a, opt_a, held_a)
    captured = capture_step(tape_b, opt_b, warmup=2, graph=graph)
    for k in range(steps):
        X = batch(sizes, B, seed=k)
        XT = torch.from_numpy(X).to(device) if k % 2 else X  # both kinds of batch
        got, want = captured(XT), eager(XT)
        assert got == want, f"step {k}: captured {got!r} != uncaptured {want!r} ({got - want:+.3e})"
    assert opt_a.steps == opt_b.steps == steps
    diff = (held_a.data - held_b.data).abs().max().item()
    assert torch.equal(held_a.data, held_b.data), f"parameters differ by up to {diff:.3e}"
    assert torch.equal(held_a.grad, held_b.grad)
    assert held_a.state.keys() == held_b.state.keys()
    for name in held_a.state:
        assert torch.equal(held_a.state[name], held_b.state[name]), name
    return captured, tape_b, held_b


# ---- on the CPU: the body uncaptured, and the refusals -----------------------------------------
@pytest.mark.parametrize("opt_name", sorted(OPTIMIZERS))
@pytest.mark.parametrize("sizes", MODELS)
def test_the_body_of_the_captured_step_is_the_step_bit_for_bit(sizes, opt_name):
    _same_steps(sizes, opt_name, "cpu", graph=False)


@contextlib.contextmanager
def _no_host_reads(monkeypatch):
    """Every way of reading a tensor on the host, or making one from host numbers, raises."""
    def refuse(name):
        def f(*a, **k):
            raise AssertionError(f"the step called {name}")
        return f
    with monkeypatch.context() as m:
        for name in ("item", "tolist", "cpu", "numpy", "__bool__", "__float__", "__int__"):
            m.setattr(torch.Tensor, name, refuse(f"Tensor.{name}"))
        for name in ("tensor", "as_tensor", "from_numpy"):
            m.setattr(torch, name, refuse(f"torch.{name}"))
        yield


@pytest.mark.parametrize("sizes", MODELS)
def test_the_body_reads_nothing_from_the_device_and_copies_nothing_to_it(sizes, monkeypatch):
    """What a CUDA graph cannot hold: a read of the device (.item(), bool(t), .cpu(), ...)
    or a host→device copy (torch.tensor of a number) in forward, backward or the update."""
    tape, opt, held = _trainer(sizes, "momentum", "cpu")
    step = capture_step(tape, opt, graph=False)
    step(batch(sizes, 32))  # the first step makes what a step makes once
    with _no_host_reads(monkeypatch):
        step._body()
    assert step._out is not None


def test_a_cpu_tape_is_refused_saying_what_a_graph_needs():
    tape, opt, held = _trainer((2, 4, 1), "sgd", "cpu")
    with pytest.raises(ValueError, match=r"capture_step: a CUDA graph needs a tape on the torch "
                                         r"backend on a CUDA device; this tape runs on "
                                         r"backend='torch', device='cpu' \(compile\(fn, n, "
                                         r"backend='torch', device='cuda'\)"):
        capture_step(tape, opt)
    model, fn, n = mlp_loss((2, 4, 1))
    tape = compile(fn, n)
    opt = nn.SGD(model.parameters(), lr=0.1)
    tape.hold_parameters(opt.params)
    with pytest.raises(ValueError, match=r"backend='numpy', device='cpu'"):
        capture_step(tape, opt)


@pytest.mark.parametrize("make, says", [
    (lambda ps: nn.Adam(ps, lr=0.01), "Adam's bias correction"),
    (lambda ps: nn.SGD(ps, lr=nn.linear_decay(0.1, 0.01, 10)), "a learning-rate schedule"),
])
def test_what_a_graph_cannot_replay_is_refused(make, says):
    model, fn, n = mlp_loss((2, 4, 1))
    tape = compile(fn, n, backend="torch")
    opt = make(model.parameters())
    tape.hold_parameters(opt.params)
    with pytest.raises(ValueError, match=f"capture_step: {says}"):
        capture_step(tape, opt, graph=False)


def test_unheld_parameters_and_changed_hyper_parameters_are_refused():
    model, fn, n = mlp_loss((2, 4, 1))
    tape = compile(fn, n, backend="torch")
    opt = nn.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match=r"capture_step: the parameters must be held on the "
                                         r"device: held = tape.hold_parameters"):
        capture_step(tape, opt, graph=False)
    tape.hold_parameters(opt.params)
    step = capture_step(tape, opt, graph=False)
    X = batch((2, 4, 1), 8)
    step(X)
    opt.lr = 0.2
    with pytest.raises(ValueError, match="capture_step: the optimizer's hyper-parameters changed"):
        step(X)
    opt.lr = 0.1
    with pytest.raises(ValueError, match=r"capture_step: the step is made for batches of shape "
                                         r"\(8, 3\), got \(4, 3\)"):
        step(X[:4])


def _log_step(device, graph):
    w = Value(1.0, "w")
    tape = compile(lambda x: (w * x).log(), 1, backend="torch", device=device)
    opt = nn.SGD([w], lr=0.01, momentum=0.9)  # w stays > 0 over the good steps
    held = tape.hold_parameters(opt.params)
    return capture_step(tape, opt, warmup=2, graph=graph), opt, held


def _planted(step, opt, held, device, good_steps):
    good = torch.tensor([[1.0], [2.0]], dtype=torch.float64, device=device)
    for _ in range(good_steps):
        step(good)
    data, steps = held.data.clone(), opt.steps
    state = {k: a.clone() for k, a in held.state.items()}
    bad = torch.tensor([[1.0], [-2.0]], dtype=torch.float64, device=device)
    with pytest.raises(ValueError, match=r"Tape.forward: log fails at sample 1"):
        step(bad)
    assert torch.equal(held.data, data) and opt.steps == steps and held.pending == []
    for k, a in state.items():
        assert torch.equal(held.state[k], a)
    with pytest.raises(ValueError, match=r"Tape.forward: X\[0, 0\] = inf is not finite"):
        step(torch.tensor([[float("inf")], [2.0]], dtype=torch.float64, device=device))
    assert torch.equal(held.data, data) and opt.steps == steps
    step(good)  # and the next good step is taken
    assert opt.steps == steps + 1 and not torch.equal(held.data, data)


def test_a_planted_non_finite_is_named_by_the_uncaptured_step_and_changes_nothing():
    step, opt, held = _log_step("cpu", graph=False)
    _planted(step, opt, held, "cpu", good_steps=3)


class _PretendCuda:
    """torch.cuda's calls the captured step makes, on the CPU: capturing runs nothing (the
    body's writes are undone, as a capture executes no kernel), a replay runs the body again
    into the captured output.  Checks the warm-up / capture / replay bookkeeping here; the
    real graph is checked by the CUDA tests below."""

    def __init__(self, step, monkeypatch):
        self.step, self.modes, self.replays, self.captures = step, [], 0, 0
        step.graph, step._stream = True, self
        cuda = torch.cuda
        monkeypatch.setattr(cuda, "current_stream", lambda device=None: self)
        monkeypatch.setattr(cuda, "stream", lambda s: contextlib.nullcontext())
        monkeypatch.setattr(cuda, "device", lambda d: contextlib.nullcontext())
        monkeypatch.setattr(cuda, "get_sync_debug_mode", lambda: 0)
        monkeypatch.setattr(cuda, "set_sync_debug_mode", self.modes.append)
        monkeypatch.setattr(cuda, "CUDAGraph", lambda: self)
        monkeypatch.setattr(cuda, "graph", self.capturing)

    def wait_stream(self, other):
        pass

    @contextlib.contextmanager
    def capturing(self, g):
        held = self.step.held
        saved = held.data.clone(), held.grad.clone(), {k: a.clone() for k, a in held.state.items()}
        yield
        held.data.copy_(saved[0])
        held.grad.copy_(saved[1])
        for k, a in saved[2].items():
            held.state[k].copy_(a)
        self.captures += 1

    def replay(self):
        self.step._out.copy_(self.step._body())
        self.replays += 1


@pytest.mark.parametrize("opt_name", ["momentum", "rmsprop"])
def test_the_warm_up_capture_and_replay_bookkeeping_with_a_pretend_cuda(opt_name, monkeypatch):
    sizes = (3, 5, 3)
    tape_a, opt_a, held_a = _trainer(sizes, opt_name, "cpu")
    tape_b, opt_b, held_b = _trainer(sizes, opt_name, "cpu")
    eager = _uncaptured_step(tape_a, opt_a, held_a)
    step = capture_step(tape_b, opt_b, warmup=2, graph=False)
    cuda = _PretendCuda(step, monkeypatch)
    for k in range(6):
        X = batch(sizes, 16, seed=k)
        assert step(X) == eager(X), f"step {k}"
        assert step.captured == (k >= 2) and cuda.replays == max(0, k - 1)
        if k == 3:  # a forward of another batch size between two replays
            tape_b.forward(torch.zeros(5, tape_b.n_inputs, dtype=torch.float64))
    assert cuda.captures == 1 and cuda.modes == ["error", 0]  # the 2nd warm-up checked syncs
    assert torch.equal(held_a.data, held_b.data) and opt_a.steps == opt_b.steps == 6
    for name in held_a.state:
        assert torch.equal(held_a.state[name], held_b.state[name])


def test_a_planted_non_finite_after_a_pretend_capture_is_named(monkeypatch):
    step, opt, held = _log_step("cpu", graph=False)
    cuda = _PretendCuda(step, monkeypatch)
    _planted(step, opt, held, "cpu", good_steps=4)
    assert step.captured and cuda.replays >= 4


# ---- on a CUDA device: the graph -----------------------------------------------------------------
@cuda
@pytest.mark.parametrize("opt_name", sorted(OPTIMIZERS))
@pytest.mark.parametrize("sizes", MODELS)
def test_the_captured_step_is_the_uncaptured_step_bit_for_bit(sizes, opt_name):
    step, tape, held = _same_steps(sizes, opt_name, "cuda", graph=True)
    assert step.captured  # steps 3–5 were replays of the graph
    # a forward of another batch size in between changes neither the graph nor its numbers
    tape.forward(torch.zeros(5, tape.n_inputs, dtype=torch.float64, device="cuda"))
    X = torch.from_numpy(batch(sizes, 64, seed=9)).cuda()
    data = held.data.clone()
    loss = step(X)
    assert np.isfinite(loss) and not torch.equal(held.data, data)


@cuda
def test_a_planted_non_finite_after_capture_still_raises_the_named_error():
    step, opt, held = _log_step("cuda", graph=True)
    _planted(step, opt, held, "cuda", good_steps=4)
    assert step.captured
