"""The tape at scale (and the tape on PyTorch): the compiled tape at scale against vectorized PyTorch
and a hand-written NumPy MLP, one thread each.

Models MLP(2, [16, 16, 1]), MLP(2, [64, 64, 1]) with micrograd's demo loss (hinge + 10⁻⁴·Σw²,
two-moons points) and MLP(10, [128, 128, 10]) with softmax cross-entropy + 10⁻⁴·Σw² (ten
Gaussian features, the class the argmax of a fixed random projection), at batches 32, 256
and 4096.  One training step = forward + backward + SGD update (η = 0.05), from the same
initial weights (``nn.MLP(seed=1337)``, copied into the others) on every engine:

===============  ============================================================================
``tape``         ``compile`` of our per-sample loss (NumPy), parameters held as arrays
                 (``tape.hold_parameters``), ``nn.array_step`` for the update
``tape-torch``   the same tape with ``backend="torch"`` (float64 tensors, CPU)
``torch-vec``    hand-written PyTorch: one matrix product a layer, float64, autograd
``numpy``        hand-written NumPy: the same MLP, forward and backward written by hand
===============  ============================================================================

Engines take turns step by step (round robin); ratios are medians of paired per-step ratios.
Every engine's loss must agree with the tape's at every step (the max relative difference
is reported), and the tape's loss and gradient equal the scalar engine's on the first 16
samples (checked once per model: the scalar engine at 4096 × 19k would take minutes).
"""

from __future__ import annotations

import time

import numpy as np

import nn
from autograd_engine import compile as compile_tape
from nn.array_step import array_step
from timing import median, paired_ratio, round_robin, settle
from training import timed_step

ALPHA = 1e-4
LR = 0.05
SEED = 1337
MODELS = ((2, 16, 16, 1), (2, 64, 64, 1), (10, 128, 128, 10))
BATCHES = (32, 256, 4096)


def data(sizes, B: int) -> tuple[np.ndarray, np.ndarray]:
    """(X (B, nin), T): targets ±1 (one output) or one-hot rows."""
    nin, nout = sizes[0], sizes[-1]
    if nin == 2 and nout == 1:
        d = nn.moons(B, noise=0.1, seed=SEED)
        return np.asarray(d.X, dtype=float), np.asarray([[2.0 * c - 1.0] for c in d.y])
    rng = np.random.default_rng(SEED)
    X = rng.normal(size=(B, nin))
    labels = np.argmax(X @ rng.normal(size=(nin, nout)), axis=1)
    return X, np.eye(nout)[labels]


def model_of(sizes) -> nn.MLP:
    return nn.MLP(sizes[0], list(sizes[1:]), seed=SEED)


def per_sample(model: nn.MLP, nout: int):
    params = model.parameters()
    nin = model.nin
    if nout == 1:
        return lambda *v: nn.hinge(model(list(v[:nin])), v[nin]) + nn.l2(params, ALPHA)
    return lambda *v: (nn.losses.softmax_cross_entropy(model(list(v[:nin])), list(v[nin:]))
                       + nn.l2(params, ALPHA))


def weights(model: nn.MLP) -> list[tuple[np.ndarray, np.ndarray]]:
    return [(np.array([[w.data for w in n.w] for n in layer.neurons]),
             np.array([n.b.data for n in layer.neurons])) for layer in model.layers]


# ---- the engines: step(k) -> loss ----------------------------------------------------------------
def tape_trainer(sizes, X, T, backend: str = "numpy"):
    model = model_of(sizes)
    params = model.parameters()
    opt = nn.SGD(params, lr=LR)
    t0 = time.perf_counter()
    tape = compile_tape(per_sample(model, sizes[-1]), sizes[0] + sizes[-1], backend=backend)
    t1 = time.perf_counter()
    XT = np.column_stack([X, T])
    held = tape.hold_parameters(params)  # parameters, gradient, state: arrays while training
    tape.forward(XT)  # the first bind: the work arrays for this batch size
    t2 = time.perf_counter()

    def step(k: int) -> float:
        held.zero_grad()
        loss = float(tape.forward(XT).mean())
        tape.backward("mean")
        array_step(opt, held)
        return loss

    step.tape, step.compile_s, step.bind_s = tape, t1 - t0, t2 - t1  # type: ignore[attr-defined]
    return step


def torch_sgd_step(torch, sizes, Ws, bs):
    """step_on(X, T) -> loss: one SGD step of the MLP written by hand in PyTorch (a matrix
    product a layer, autograd, p -= η·p.grad), the same loss as ``per_sample``; shared with
    ``mlp_gpu.py``, which runs it on a GPU."""
    params = [p for pair in zip(Ws, bs) for p in pair]
    one = sizes[-1] == 1

    def step_on(X, T) -> float:
        h = X
        for i, (W, b) in enumerate(zip(Ws, bs)):
            h = h @ W.T + b
            if i < len(Ws) - 1:
                h = torch.relu(h)
        if one:
            data_loss = torch.relu(1 - T[:, 0] * h[:, 0]).mean()
        else:
            data_loss = (torch.logsumexp(h, dim=1) - (T * h).sum(dim=1)).mean()
        loss = data_loss + ALPHA * sum((p * p).sum() for p in params)
        for p in params:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= LR * p.grad
        return loss.item()

    return step_on


def torch_trainer(torch, sizes, X, T):
    f64 = torch.float64
    ws = weights(model_of(sizes))
    Ws = [torch.tensor(W, dtype=f64, requires_grad=True) for W, _ in ws]
    bs = [torch.tensor(b, dtype=f64, requires_grad=True) for _, b in ws]
    Xt, Tt = torch.tensor(X, dtype=f64), torch.tensor(T, dtype=f64)
    step_on = torch_sgd_step(torch, sizes, Ws, bs)

    def step(k: int) -> float:
        return step_on(Xt, Tt)

    return step


def numpy_trainer(sizes, X, T):
    """The MLP by hand: aₗ = Hₗ₋₁Wₗᵀ + bₗ, Hₗ = relu(aₗ); backward δ = ∂L/∂a layer by layer,
    ∂L/∂W = δᵀH + 2αW, ∂L/∂H = δW (Chapter 6: The Backprop Algorithm, eq. 6.3–6.6)."""
    ws = [(W.copy(), b.copy()) for W, b in weights(model_of(sizes))]
    one = sizes[-1] == 1
    B = len(X)

    def step(k: int) -> float:
        Hs, As = [X], []
        h = X
        for i, (W, b) in enumerate(ws):
            a = h @ W.T + b
            As.append(a)
            h = np.maximum(a, 0.0) if i < len(ws) - 1 else a
            Hs.append(h)
        reg = ALPHA * sum(float((W * W).sum() + (b * b).sum()) for W, b in ws)
        if one:
            margin = 1.0 - T[:, 0] * h[:, 0]
            loss = float(np.maximum(margin, 0.0).mean()) + reg
            delta = (-(T[:, 0]) * (margin > 0.0) / B)[:, None]
        else:
            m = h.max(axis=1, keepdims=True)
            e = np.exp(h - m)
            s = e.sum(axis=1, keepdims=True)
            lse = m[:, 0] + np.log(s[:, 0])
            loss = float((lse - (T * h).sum(axis=1)).mean()) + reg
            delta = (e / s - T) / B
        for i in reversed(range(len(ws))):
            W, b = ws[i]
            gW = delta.T @ Hs[i] + 2 * ALPHA * W
            gb = delta.sum(axis=0) + 2 * ALPHA * b
            if i:
                delta = (delta @ W) * (As[i - 1] > 0.0)
            W -= LR * gW
            b -= LR * gb
        return loss

    return step


# ---- the scalar engine's check ------------------------------------------------------------------
def scalar_check(sizes, n: int = 16) -> dict:
    """Loss and gradients of the tape against the scalar engine on n samples (max rel. diff)."""
    X, T = data(sizes, max(n, 32))
    X, T = X[:n], T[:n]
    model = model_of(sizes)
    fn = per_sample(model, sizes[-1])
    params = model.parameters()
    tape = compile_tape(fn, sizes[0] + sizes[-1])
    model.zero_grad()
    tape_loss = float(tape.forward(np.column_stack([X, T])).mean())
    tape.backward("mean")
    tape_grad = {id(p): p.grad for p in params}
    model.zero_grad()
    from autograd_engine import Value

    losses = [fn(*map(Value, row)) for row in np.column_stack([X, T]).tolist()]
    total = Value.sum(losses) / n
    total.backward()
    scale = max(abs(p.grad) for p in params)
    rel = max(abs(tape_grad[id(p)] - p.grad) for p in params) / scale
    return {"samples": n, "loss_rel_diff": abs(tape_loss - total.data) / abs(total.data),
            "grad_max_diff_over_max_grad": rel}


# ---- one cell of the table ----------------------------------------------------------------------
def cell(sizes, B: int, reps: int, torch, progress=None) -> dict:
    X, T = data(sizes, B)
    run = {"tape": tape_trainer(sizes, X, T), "numpy": numpy_trainer(sizes, X, T)}
    if torch is not None:
        run["torch-vec"] = torch_trainer(torch, sizes, X, T)
        run["tape-torch"] = tape_trainer(sizes, X, T, backend="torch")
    for name, step in run.items():
        step(0)  # warm-up (PyTorch's first backward, first allocations)
    settle()
    samples = round_robin(list(run), reps, lambda name, k: timed_step(run[name], k + 1, "auto"),
                          progress)
    t = {name: [s["step"] for s in ss] for name, ss in samples.items()}
    losses = {name: [s["loss"] for s in ss] for name, ss in samples.items()}
    tape = run["tape"].tape
    row = {"model": list(sizes), "batch": B, "parameters": len(tape.parameters),
           "ops_per_sample": len(tape), "groups": tape.n_groups, "reps": reps,
           "compile_s": run["tape"].compile_s, "first_bind_s": run["tape"].bind_s,
           "step_s": {name: median(ts) for name, ts in t.items()}, "times": t,
           "loss_max_rel_diff_vs_tape": {
               name: max(abs(a - b) / abs(b) for a, b in zip(ls, losses["tape"]))
               for name, ls in losses.items()}}
    row["tape_over_numpy"] = paired_ratio(t["tape"], t["numpy"])
    if torch is not None:
        row["tape_over_torch_vec"] = paired_ratio(t["tape"], t["torch-vec"])
        row["tape_torch_over_torch_vec"] = paired_ratio(t["tape-torch"], t["torch-vec"])
        row["tape_torch_over_tape"] = paired_ratio(t["tape-torch"], t["tape"])
        row["tape_torch_compile_s"] = run["tape-torch"].compile_s
        row["tape_torch_first_bind_s"] = run["tape-torch"].bind_s
    return row


def table(models, batches, reps_for, torch, progress=None) -> tuple[list[dict], list[dict]]:
    rows, checks = [], []
    for sizes in models:
        checks.append({"model": list(sizes), **scalar_check(sizes)})
        for B in batches:
            rows.append(cell(sizes, B, reps_for(sizes, B), torch,
                             progress and (lambda m, s=sizes, b=B: progress(f"{s} batch {b} {m}"))))
    return rows, checks
