"""W2: micrograd's demo training step on every engine, and the compiled tape's scaling.

micrograd's ``demo.ipynb``: two-moons points (noise 0.1; built by ``nn.moons``, no sklearn),
MLP(2, [16, 16, 1]) with relu hidden layers, the SVM max-margin loss plus L2

    L = (1/B) Σ_b relu(1 − t_b·score_b) + α Σ_w w²,   α = 1e-4,  t_b = ±1

and SGD with learning rate 1 − 0.9·k/100 at step k.  Every engine trains its own copy of the
same initial weights (ours drawn by ``nn.MLP(seed=1337)``, copied into the others), so the
losses must agree step by step:

===============  ============================================================================
``ours``         ``nn.MLP`` (one dot node a neuron), ``nn.hinge``, ``nn.mean``, ``nn.l2``
``micrograd``    ``micrograd.nn.MLP`` and the demo's loss, verbatim
``torch-0d``     micrograd's graph with 0-d float64 tensors for the numbers
``torch-vec``    one matrix product a layer over the whole batch, float64 (the ceiling)
``tape``         ``autograd_engine.compile`` of our per-sample loss, replayed over the batch
===============  ============================================================================

GC modes.  ``auto``: automatic GC on during the step, as users run it.  ``managed``: automatic
GC off during the step, one ``gc.collect()`` at its end.  In both, a step's time includes one
``gc.collect()`` after it, so that each engine pays for reclaiming its own garbage and none is
collected on another engine's clock.
"""

from __future__ import annotations

import gc
import time
from typing import Callable

import nn
from autograd_engine import compile as compile_tape
from timing import GCClock, clock, median, paired_ratio, round_robin, settle

ALPHA = 1e-4
SIZES = (2, 16, 16, 1)
SEED = 1337


def lr(k: int, steps: int = 100) -> float:
    return 1.0 - 0.9 * k / steps


def moons(n: int) -> tuple[list[list[float]], list[float]]:
    """n moons points (noise 0.1, seeded) and labels ±1."""
    data = nn.moons(n, noise=0.1, seed=SEED)
    return data.X, [2.0 * c - 1.0 for c in data.y]


def our_model(sizes=SIZES) -> nn.MLP:
    return nn.MLP(sizes[0], list(sizes[1:]), seed=SEED)


def weights(model: nn.MLP) -> list[list[tuple[list[float], float]]]:
    """Per layer, per neuron: (weights, bias) as floats."""
    return [[([w.data for w in n.w], n.b.data) for n in layer.neurons] for layer in model.layers]


def _sgd(params, k: int) -> None:
    rate = lr(k)
    for p in params:
        p.data -= rate * p.grad


# ---- one trainer per engine: step(k) -> loss ------------------------------------------------
def ours_trainer(X, T, sizes=SIZES) -> Callable[[int], float]:
    model = our_model(sizes)
    params = model.parameters()

    def step(k: int) -> float:
        loss = nn.mean([nn.hinge(model(x), t) for x, t in zip(X, T)]) + nn.l2(params, ALPHA)
        model.zero_grad()
        loss.backward()
        _sgd(params, k)
        return loss.data

    return step


def micrograd_trainer(X, T, sizes=SIZES) -> Callable[[int], float]:
    from micrograd.engine import Value
    from micrograd.nn import MLP

    model = MLP(sizes[0], list(sizes[1:]))
    for p, q in zip(model.parameters(), our_model(sizes).parameters()):
        p.data = q.data

    def step(k: int) -> float:  # the demo's loss(), verbatim
        inputs = [list(map(Value, xrow)) for xrow in X]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(T, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = ALPHA * sum((p * p for p in model.parameters()))
        total_loss = data_loss + reg_loss
        model.zero_grad()
        total_loss.backward()
        _sgd(model.parameters(), k)
        return total_loss.data

    return step


def _torch_sgd_step(torch, loss, params, k: int) -> float:
    """Backward from fresh gradients and one SGD update with the demo's lr(k): the loss."""
    for p in params:
        p.grad = None
    loss.backward()
    with torch.no_grad():
        for p in params:
            p -= lr(k) * p.grad
    return loss.item()


def torch_0d_trainer(torch, X, T, sizes=SIZES) -> Callable[[int], float]:
    f64 = torch.float64
    layers = [[([torch.tensor(w, dtype=f64, requires_grad=True) for w in ws],
                torch.tensor(b, dtype=f64, requires_grad=True)) for ws, b in layer]
              for layer in weights(our_model(sizes))]
    params = [p for layer in layers for ws, b in layer for p in (*ws, b)]
    last = len(layers) - 1

    def model(x):
        for i, layer in enumerate(layers):
            acts = [sum((w * xi for w, xi in zip(ws, x)), b) for ws, b in layer]
            x = acts if i == last else [a.relu() for a in acts]
        return x[0]

    def step(k: int) -> float:
        losses = [(1 + -t * model(x)).relu() for x, t in zip(X, T)]
        loss = sum(losses) * (1.0 / len(losses)) + ALPHA * sum(p * p for p in params)
        return _torch_sgd_step(torch, loss, params, k)

    return step


def torch_vec_trainer(torch, X, T, sizes=SIZES) -> Callable[[int], float]:
    f64 = torch.float64
    ws = weights(our_model(sizes))
    Ws = [torch.tensor([w for w, _ in layer], dtype=f64, requires_grad=True) for layer in ws]
    bs = [torch.tensor([b for _, b in layer], dtype=f64, requires_grad=True) for layer in ws]
    params = [p for pair in zip(Ws, bs) for p in pair]
    Xt, Tt = torch.tensor(X, dtype=f64), torch.tensor(T, dtype=f64)

    def step(k: int) -> float:
        h = Xt
        for i, (W, b) in enumerate(zip(Ws, bs)):
            h = h @ W.T + b
            if i < len(Ws) - 1:
                h = torch.relu(h)
        loss = torch.relu(1 - Tt * h[:, 0]).mean() + ALPHA * sum((p * p).sum() for p in params)
        return _torch_sgd_step(torch, loss, params, k)

    return step


def sample_loss(model: nn.MLP):
    """The per-sample loss the tape compiles; its batch mean is L (the L2 term is the same for
    every sample, and the tape evaluates it once per batch)."""
    params = model.parameters()
    return lambda x0, x1, t: nn.hinge(model([x0, x1]), t) + nn.l2(params, ALPHA)


def tape_trainer(X, T, sizes=SIZES, model: nn.MLP | None = None) -> Callable[[int], float]:
    import numpy as np

    model = model or our_model(sizes)
    params = model.parameters()
    tape = compile_tape(sample_loss(model), 3)
    XT = np.column_stack([np.asarray(X), np.asarray(T)])

    def step(k: int) -> float:
        loss = float(tape.forward(XT).mean())
        for p in params:
            p.grad = 0.0
        tape.backward("mean")
        _sgd(params, k)
        return loss

    step.tape = tape  # type: ignore[attr-defined]
    return step


def trainers(X, T, torch, sizes=SIZES, names=None) -> dict[str, Callable[[int], float]]:
    """A fresh trainer per engine, all from the same initial weights."""
    out = {"ours": ours_trainer(X, T, sizes), "micrograd": micrograd_trainer(X, T, sizes)}
    if torch is not None:
        out["torch-0d"] = torch_0d_trainer(torch, X, T, sizes)
        out["torch-vec"] = torch_vec_trainer(torch, X, T, sizes)
    out["tape"] = tape_trainer(X, T, sizes)
    return {k: v for k, v in out.items() if names is None or k in names}


def timed_step(step: Callable[[int], float], k: int, mode: str) -> dict[str, float]:
    """One training step in GC ``mode`` ("auto" or "managed"), its garbage collected on its
    own clock; also the seconds spent inside the cyclic GC."""
    settle()
    with GCClock() as gcc:
        if mode == "managed":
            gc.disable()
        try:
            t0 = clock()
            loss = step(k)
            gc.collect()
            t = clock() - t0
        finally:
            gc.enable()
    return {"step": t, "gc": gcc.seconds, "loss": loss}


def demo(n: int, steps: int, mode: str, torch, progress=None, names=None) -> dict:
    """W2 in one GC mode: ``steps`` steps, engines taking turns step by step."""
    X, T = moons(n)
    if torch is not None:  # PyTorch's first backward initializes its engine: not a step's cost
        for make in (torch_0d_trainer, torch_vec_trainer):
            make(torch, X[:2], T[:2])(0)
    run = trainers(X, T, torch, names=names)
    settle()
    samples = round_robin(list(run), steps, lambda name, k: timed_step(run[name], k, mode),
                          progress)
    ref = [s["loss"] for s in samples["ours"]]
    out = {"mode": mode, "n": n, "steps": steps, "engines": {}}
    for name, ss in samples.items():
        times = [s["step"] for s in ss]
        losses = [s["loss"] for s in ss]
        out["engines"][name] = {
            "step_s": median(times),
            "gc_share": sum(s["gc"] for s in ss) / sum(times),
            "times": times, "losses": losses,
            "max_rel_loss_diff_vs_ours": max(abs(a - b) / abs(b) for a, b in zip(losses, ref)),
        }
    return out


def tape_training(n: int, steps: int, repeats: int) -> dict:
    """The whole demo on the tape from fresh weights, compile included (median of repeats),
    and the accuracy it ends with."""
    import numpy as np

    X, T = moons(n)
    totals = []
    for _ in range(repeats):
        model = our_model()
        t0 = time.perf_counter()
        step = tape_trainer(X, T, model=model)
        for k in range(steps):
            loss = step(k)
        totals.append(time.perf_counter() - t0)
    score = compile_tape(lambda a, b: model([a, b]), 2)  # forward only, for the accuracy
    acc = float(np.mean((score.forward(np.asarray(X)) > 0) == (np.asarray(T) > 0)))
    return {"steps": steps, "n": n, "total_s": median(totals),
            "final_loss": loss, "accuracy": acc, "ops_per_sample": len(step.tape),
            "parameters": len(step.tape.parameters)}


def scaling(batches: list[int], models: list[tuple], steps: int, torch, progress=None) -> list:
    """Median step time of the tape (and PyTorch vectorized, paired) per batch and model."""
    rows = []
    for sizes in models:
        for n in batches:
            X, T = moons(n)
            run = {"tape": tape_trainer(X, T, sizes)}
            if torch is not None:
                run["torch-vec"] = torch_vec_trainer(torch, X, T, sizes)
            for step in run.values():
                step(0)  # warm-up: the tape allocates its batch arrays on the first call
            samples = round_robin(list(run), steps,
                                  lambda name, k: timed_step(run[name], k + 1, "auto"),
                                  progress and (lambda m: progress(f"batch {n} {m}")))
            t = {name: [s["step"] for s in ss] for name, ss in samples.items()}
            row = {"model": list(sizes), "batch": n,
                   "parameters": len(run["tape"].tape.parameters),
                   "ops_per_sample": len(run["tape"].tape),
                   "tape_step_s": median(t["tape"])}
            if "torch-vec" in t:
                row["torch_vec_step_s"] = median(t["torch-vec"])
                row["tape_over_torch_vec"] = paired_ratio(t["tape"], t["torch-vec"])
            rows.append(row)
    return rows

