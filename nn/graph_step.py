"""A whole training step of the compiled tape captured once in a CUDA graph, then replayed.

On a GPU the torch tape's step is bound by Python and kernel launches (one Python dispatch
and a few launches per group, forward and backward).  :func:`capture_step` records the
step's kernels once — forward, backward, the update of :func:`nn.array_step.array_step` over
the held arrays — into a ``torch.cuda.CUDAGraph``, and each call after that is

    copy the batch into a static buffer;  graph.replay();  read (loss, all-finite) once

The kernels replayed are the uncaptured step's kernels, in its order, on the same buffers:
the numbers are bit for bit those of ::

    held.zero_grad(); loss = float(tape.forward(X).mean()); tape.backward(reduction)
    array_step(optimizer, held)                       # held.deferred = True

The captured body adds only copies (a snapshot of the parameters, their gradient and the
optimizer's state, to undo a failed step) and the stacking of the finiteness flags into one.
When the flag read after a replay is false, the snapshot is restored and the step is run
again uncaptured on the same batch, which raises the error it always raises (the op and the
sample of a forward that fails, the refused backward, the ``DivergenceError``): a failed step
changes nothing, as before.

PyTorch's capture recipe (https://pytorch.org/docs/stable/notes/cuda.html#cuda-graphs):
the first ``warmup`` calls run the body eagerly on a side stream (real training steps; the
first also makes everything a step makes once: the tape's work arrays for this batch size,
its number constants, the optimizer's state arrays, cuBLAS's workspace), the later ones
under ``torch.cuda.set_sync_debug_mode("error")`` so that anything that would make the host
wait for the device is refused with a clear error before capture; the next call captures
(``torch.cuda.graph``) and replays.

What a graph cannot follow is refused when the step is made: another device than CUDA, a
learning-rate schedule (η is baked in), Adam (its bias correction 1 − βᵗ changes every step),
an optimizer class :func:`nn.array_step.supports` does not handle.  Changing the optimizer's
hyper-parameters afterwards is refused at the next call.  A batch of another shape needs
another captured step.  ``graph=False`` runs the same body uncaptured every call (to compare
with, and to test the logic on a machine without CUDA).
"""

from __future__ import annotations

from typing import Any

from autograd_engine.tape import ParameterArrays, Tape

from .array_step import array_step, own, supports, unchecked_update
from .optim import Adam, Optimizer

__all__ = ["capture_step", "CapturedStep"]

WHO = "capture_step"
_HYPER = ("lr", "weight_decay", "momentum", "alpha", "eps")
# the tape's attributes the captured kernels read or write (work arrays, views, index
# tensors inside the pre-built closures) or that say what the last pass left: put back
# before every replay, so a forward of another batch size in between changes nothing
_TAPE_STATE = ("_V", "_G", "_fwd", "_bwd", "_zero", "_bound_B", "_locals", "_B",
               "_grad_array", "_arrays_idx")


def capture_step(tape: Tape, optimizer: Optimizer, held: ParameterArrays | None = None, *,
                 reduction: str = "mean", warmup: int = 3, graph: bool = True) -> "CapturedStep":
    """A training step of ``tape`` (``backend="torch"`` on a CUDA device, parameters held on
    the device: ``held`` or ``tape.attached``) with ``optimizer``, captured in a CUDA graph
    at its ``warmup + 1``-th call and replayed after: ``loss = step(X)``.  See the module
    docstring; raises ``ValueError`` for what cannot be captured."""
    return CapturedStep(tape, optimizer, held, reduction=reduction, warmup=warmup, graph=graph)


class CapturedStep:
    """``step(X) -> float``: one training step on the batch ``X`` ((B, n) NumPy or tensor, B
    fixed by the first call), the loss (the batch's mean output before the update) as a
    float.  ``captured`` says whether the graph has been recorded yet."""

    def __init__(self, tape: Tape, optimizer: Optimizer, held: ParameterArrays | None = None,
                 *, reduction: str = "mean", warmup: int = 3, graph: bool = True) -> None:
        if not isinstance(tape, Tape):
            raise TypeError(f"{WHO}: need a compiled Tape, got {type(tape).__name__}")
        ops = tape._backend
        where = getattr(ops, "device", "cpu")
        if tape.backend != "torch" or (graph and ops.device.type != "cuda"):
            raise ValueError(
                f"{WHO}: a CUDA graph needs a tape on the torch backend on a CUDA device; this "
                f"tape runs on backend={tape.backend!r}, device={str(where)!r} (compile(fn, n, "
                "backend='torch', device='cuda'); graph=False runs the same step uncaptured)")
        held = tape.attached if held is None else held
        if held is None:
            raise ValueError(f"{WHO}: the parameters must be held on the device: "
                             "held = tape.hold_parameters(optimizer.params)")
        if tape.attached is not held:
            raise ValueError(f"{WHO}: the tape is not attached to these ParameterArrays "
                             "(tape.attach(held))")
        if not supports(optimizer):
            raise ValueError(f"{WHO}: {type(optimizer).__name__} is not an optimizer "
                             "nn.array_step handles (SGD, AdaGrad, RMSProp: their exact classes)")
        if type(optimizer) is Adam:
            raise ValueError(f"{WHO}: Adam's bias correction 1 − βᵗ changes every step and a "
                             "graph replays the numbers it was captured with: use SGD, AdaGrad "
                             "or RMSProp, or the uncaptured step")
        if callable(optimizer.lr):
            raise ValueError(f"{WHO}: a learning-rate schedule changes η every step and a graph "
                             "replays the η it was captured with: use a constant lr, or the "
                             "uncaptured step")
        if not own(optimizer, held):
            raise ValueError(f"{WHO}: held must hold exactly optimizer.params, in order")
        if reduction not in ("mean", "sum"):
            raise ValueError(f"{WHO}: reduction must be 'mean' or 'sum', got {reduction!r}")
        if graph and (not isinstance(warmup, int) or warmup < 2):
            raise ValueError(f"{WHO}: warmup must be an int ≥ 2 (the first eager step makes what "
                             f"a step makes once, the next checks that it reads nothing from the "
                             f"device), got {warmup!r}")
        self.tape, self.optimizer, self.held = tape, optimizer, held
        self.reduction, self.warmup, self.graph = reduction, warmup, graph
        self._torch = torch = ops.torch
        self._device = ops.device
        self._hyper = _hyper(optimizer)
        # the static buffers: the batch (made at the first call), and the arrays the step
        # updates in place, with their snapshots (restored when a replay's flag is false)
        self._x: Any = None  # torch is optional: its tensors and graphs are Any to the checker
        self._data, self._grad, self._state = held.data, held.grad, dict(held.state)
        self._bk_data, self._bk_grad = torch.empty_like(held.data), torch.empty_like(held.grad)
        self._bk_state = {k: torch.empty_like(a) for k, a in self._state.items()}
        self._out: Any = None  # (2,) float64: the loss and 1.0 when every flag is true
        self._graph: Any = None
        self._tape_state: dict = {}
        self._warm = 0
        self._stream: Any = torch.cuda.Stream(device=self._device) if graph else None

    @property
    def captured(self) -> bool:
        """Whether the step has been captured (every later call is a replay)."""
        return self._graph is not None

    def __call__(self, X) -> float:
        if _hyper(self.optimizer) != self._hyper:
            raise ValueError(f"{WHO}: the optimizer's hyper-parameters changed since the step "
                             f"was made ({dict(self._hyper)} → {dict(_hyper(self.optimizer))}); "
                             "make a new capture_step")
        held, tape = self.held, self.tape
        if tape.attached is not held or held.owner is not self.optimizer:
            raise ValueError(f"{WHO}: the tape or its ParameterArrays changed hands since the "
                             "step was made; make a new capture_step")
        self._load(X)
        self._adopt()
        if not self.graph:
            self._out = self._body()
        elif self._graph is not None:
            self._replay()
        elif self._warm < self.warmup or self.optimizer.steps < 1:
            self._out = self._side(checked=self._warm >= 1)
        else:
            self._capture()
            self._replay()
        return self._finish()

    # ---- the parts of a call ------------------------------------------------------------------
    def _load(self, X) -> None:
        """The batch into the static buffer (checked as Tape.forward checks it)."""
        torch = self._torch
        n = self.tape.n_inputs
        src = self.tape._check_batch(X)  # a float64 (B, n) tensor on the device
        if self._x is None:
            self._x = torch.empty(src.shape, dtype=torch.float64, device=self._device)
        elif src.shape != self._x.shape:
            raise ValueError(f"{WHO}: the step is made for batches of shape "
                             f"{tuple(self._x.shape)}, got {tuple(src.shape)}; make another "
                             f"capture_step for batches of {src.shape[0]} (n = {n})")
        self._x.copy_(src)

    def _adopt(self) -> None:
        """Keep the held arrays in the static buffers: an array something else put in their
        place (``held.read()``, an uncaptured ``array_step``) is copied in and replaced."""
        held = self.held
        if held.data is not self._data:
            self._data.copy_(held.data)
            held.data = self._data
        if held.grad is not self._grad:
            self._grad.copy_(held.grad)
            held.grad = self._grad
        for name, buf in self._state.items():
            if held.state.get(name) is not buf:
                buf.copy_(held.state[name])
                held.state[name] = buf

    def _body(self):
        """The step's kernels, nothing read from the device: the uncaptured step's own
        calls (tape.forward, .mean(), tape.backward, the update of array_step), the update
        written in place, the finiteness flags stacked into one.  Returns (loss, ok)."""
        torch, held, opt, tape = self._torch, self.held, self.optimizer, self.tape
        self._bk_data.copy_(held.data)
        self._bk_grad.copy_(held.grad)
        for name, buf in self._bk_state.items():
            buf.copy_(held.state[name])
        held.pending = []
        deferred, held.deferred = held.deferred, True  # the passes' flags kept, not read
        try:
            held.zero_grad()
            loss = tape.forward(self._x).mean()
            tape.backward(self.reduction)
        finally:
            held.deferred = deferred
        _, new, new_state, probe = unchecked_update(opt, held.data, held.grad, held.state,
                                                    opt.steps + 1, opt.current_lr(), held.ops)
        flags = [f for fl, _, _ in held.pending for f in fl]
        flags.append(held.ops.finite_flag(probe))
        held.pending = []
        held.data[...] = new
        for name, arr in new_state.items():  # in place: the graph's buffers stay the state
            held.state[name].copy_(arr)
        ok = torch.stack(flags).all()
        return torch.stack([loss, ok.to(loss.dtype)])

    def _side(self, checked: bool):
        """The body run eagerly on a side stream (the recipe's warm-up); ``checked``: under
        sync debug mode "error", so an op that would make the host wait is refused."""
        torch = self._torch
        cur = torch.cuda.current_stream(self._device)
        self._stream.wait_stream(cur)
        try:
            with torch.cuda.device(self._device), torch.cuda.stream(self._stream):
                if not checked:
                    return self._body()
                before = torch.cuda.get_sync_debug_mode()
                torch.cuda.set_sync_debug_mode("error")
                try:
                    return self._body()
                except RuntimeError as e:
                    self._undo()
                    raise RuntimeError(
                        f"{WHO}: the step makes the host wait for the device "
                        f"({str(e).splitlines()[0][:200]}), so it cannot be captured in a CUDA "
                        "graph; nothing was changed (run the step uncaptured)") from e
                finally:
                    torch.cuda.set_sync_debug_mode(before)
        finally:
            cur.wait_stream(self._stream)
            self._warm += 1

    def _capture(self) -> None:
        torch, tape = self._torch, self.tape
        if tape._bound_B != self._x.shape[0]:  # bound outside the capture (it copies indices)
            tape._bind(self._x.shape[0])
        g = torch.cuda.CUDAGraph()
        try:
            with torch.cuda.device(self._device), torch.cuda.graph(g):
                out = self._body()
        except RuntimeError as e:
            self.held.pending = []
            raise RuntimeError(f"{WHO}: capturing the step in a CUDA graph failed "
                               f"({str(e).splitlines()[0][:300]}); nothing was changed (run the "
                               "step uncaptured)") from e
        self._graph, self._out = g, out
        self._tape_state = {k: getattr(tape, k) for k in _TAPE_STATE}

    def _replay(self) -> None:
        tape = self.tape
        for k, v in self._tape_state.items():  # what the graph's kernels were recorded on
            setattr(tape, k, v)
        with self._torch.cuda.device(self._device):
            self._graph.replay()

    def _finish(self) -> float:
        """ONE read of the device: the loss and the flag.  A false flag: undo, and run the
        step uncaptured on the same batch for its error."""
        loss, ok = self._out.tolist()
        if ok == 1.0:
            self.optimizer.steps += 1
            return loss
        return self._fallback()

    def _undo(self) -> None:
        held = self.held
        held.pending = []
        self._data.copy_(self._bk_data)
        self._grad.copy_(self._bk_grad)
        for name, buf in self._state.items():
            buf.copy_(self._bk_state[name])

    def _fallback(self) -> float:
        """A flag was false: restore the parameters, gradient and state as they were before
        the step, then take the step uncaptured — it raises the failed pass's own error."""
        held, tape = self.held, self.tape
        self._undo()
        deferred, held.deferred = held.deferred, True  # as the uncaptured step runs
        try:
            held.zero_grad()
            loss = float(tape.forward(self._x).mean())
            tape.backward(self.reduction)
            array_step(self.optimizer, held)  # raises (a forward's op and sample, ...)
        finally:
            held.deferred = deferred
            held.pending = []
        self._adopt()  # not expected: the uncaptured step passed where the captured failed
        return loss


def _hyper(optimizer: Optimizer) -> tuple:
    return tuple((k, getattr(optimizer, k)) for k in _HYPER if hasattr(optimizer, k))
