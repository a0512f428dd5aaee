"""Benchmark: the compiled tape against the scalar engine (and PyTorch) on micrograd's demo.

micrograd's demo (``demo.ipynb``): 100 two-moons points (noise 0.1), MLP(2, [16, 16, 1]) with
relu hidden layers, the SVM "max-margin" loss

    L = (1/B) Σ_b relu(1 − y_b·score_b) + α Σ_w w²,   α = 1e-4

and 100 steps of SGD with learning rate 1 − 0.9·k/100.  The same model (same initial weights)
is trained three ways, step by step in one loop so that machine noise hits all of them alike:

* the scalar engine — one ``Value`` graph over the whole batch, ``backward()``;
* the tape — ``compile`` the per-sample loss once, then ``forward(X)`` / ``backward("mean")``;
* PyTorch (when installed), vectorized over the batch in float64.

Every step checks that the losses agree (relative difference ≤ 1e-9).  Speed ratios are the
median over steps of the paired per-step ratios.  A second table shows how a tape step grows
with the batch (100 → 10,000 samples) and the model.  Prints Markdown.

    python benchmarks/tape_bench.py            # the full run (about two minutes)
    python benchmarks/tape_bench.py --quick    # a few steps, small tables (seconds)
"""

from __future__ import annotations

import argparse
import math
import platform
import random
import statistics
import sys
import time

import numpy as np

from autograd_engine import Value, compile

ALPHA = 1e-4
REL_TOL = 1e-9


# ---- data and model (built from Values only) ---------------------------------------------------
def make_moons(n: int, noise: float = 0.1, seed: int = 1337) -> tuple[np.ndarray, np.ndarray]:
    """sklearn's ``make_moons`` without sklearn: two interleaved half circles plus Gaussian
    noise; labels ±1 as in micrograd's demo."""
    rng = np.random.default_rng(seed)
    n_out = n // 2
    n_in = n - n_out
    t_out, t_in = np.linspace(0, math.pi, n_out), np.linspace(0, math.pi, n_in)
    X = np.vstack([np.column_stack([np.cos(t_out), np.sin(t_out)]),
                   np.column_stack([1 - np.cos(t_in), 1 - np.sin(t_in) - 0.5])])
    y = np.hstack([-np.ones(n_out), np.ones(n_in)])
    X = X + rng.normal(scale=noise, size=X.shape)
    perm = rng.permutation(n)
    return X[perm], y[perm]


class MLP:
    """micrograd's MLP from Values: weights uniform(−1, 1), bias 0, relu on hidden layers,
    each neuron one ``Value.dot`` node plus its bias."""

    def __init__(self, sizes: list[int], seed: int = 1337) -> None:
        rng = random.Random(seed)
        self.layers = [[([Value(rng.uniform(-1, 1)) for _ in range(nin)], Value(0.0))
                        for _ in range(nout)] for nin, nout in zip(sizes, sizes[1:])]
        self.params = [p for layer in self.layers for ws, b in layer for p in (*ws, b)]

    def __call__(self, xs: list) -> Value:
        last = len(self.layers) - 1
        for i, layer in enumerate(self.layers):
            out = [Value.dot(ws, xs) + b for ws, b in layer]
            xs = out if i == last else [o.relu() for o in out]
        return xs[0]


def sample_loss(model: MLP):
    """The per-sample loss the tape compiles: hinge + the L2 term (its batch mean is L)."""
    def fn(x0, x1, y):
        return (1 + -y * model([x0, x1])).relu() + ALPHA * Value.dot(model.params, model.params)
    return fn


def sgd(params: list[Value], k: int, steps: int = 100) -> None:
    lr = 1.0 - 0.9 * k / steps
    for p in params:
        p.data -= lr * p.grad


# ---- one training step of each engine -----------------------------------------------------------
def scalar_step(model: MLP, X: np.ndarray, y: np.ndarray, k: int, steps: int) -> float:
    fn = sample_loss(model)
    rows = X.tolist()
    losses = [fn(Value(a), Value(b), Value(t)) for (a, b), t in zip(rows, y.tolist())]
    loss = Value.sum(losses) / len(losses)
    for p in model.params:
        p.grad = 0.0
    loss.backward()
    sgd(model.params, k, steps)
    return loss.data


def tape_step(tape, params, XY: np.ndarray, k: int, steps: int) -> float:
    loss = float(tape.forward(XY).mean())
    for p in params:
        p.grad = 0.0
    tape.backward("mean")
    sgd(params, k, steps)
    return loss


class TorchMLP:
    """The same MLP in PyTorch float64, initialized from the Value model's numbers."""

    def __init__(self, model: MLP) -> None:
        import torch

        self.torch = torch
        self.Ws = [torch.tensor([[w.data for w in ws] for ws, _ in layer], dtype=torch.float64,
                                requires_grad=True) for layer in model.layers]
        self.bs = [torch.tensor([b.data for _, b in layer], dtype=torch.float64,
                                requires_grad=True) for layer in model.layers]
        self.params = [t for pair in zip(self.Ws, self.bs) for t in pair]

    def step(self, X, y, k: int, steps: int) -> float:
        torch = self.torch
        h = X
        for i, (W, b) in enumerate(zip(self.Ws, self.bs)):
            h = h @ W.T + b
            if i < len(self.Ws) - 1:
                h = torch.relu(h)
        data_loss = torch.relu(1 - y * h[:, 0]).mean()
        reg = ALPHA * sum((p * p).sum() for p in self.params)
        loss = data_loss + reg
        for p in self.params:
            p.grad = None
        loss.backward()
        lr = 1.0 - 0.9 * k / steps
        with torch.no_grad():
            for p in self.params:
                p -= lr * p.grad
        return loss.item()


def accuracy(model: MLP, X: np.ndarray, y: np.ndarray) -> float:
    score = compile(lambda a, b: model([a, b]), 2)  # a tape for the scores, forward only
    return float(np.mean((score.forward(X) > 0) == (y > 0)))


# ---- the demo -----------------------------------------------------------------------------------
def demo(steps: int, n: int = 100, sizes=(2, 16, 16, 1), repeats: int = 5) -> dict:
    X, y = make_moons(n)
    XY = np.column_stack([X, y])
    scalar_model, tape_model = MLP(list(sizes)), MLP(list(sizes))
    t0 = time.perf_counter()
    tape = compile(sample_loss(tape_model), 3)
    compile_time = time.perf_counter() - t0
    try:
        torch_model = TorchMLP(MLP(list(sizes)))
        Xt, yt = torch_model.torch.tensor(X), torch_model.torch.tensor(y)
    except ImportError:
        torch_model = None
    times = {"scalar": [], "tape": [], "torch": []}
    worst = 0.0
    worst_torch = 0.0
    for k in range(steps):
        t0 = time.perf_counter()
        ls = scalar_step(scalar_model, X, y, k, steps)
        t1 = time.perf_counter()
        lt = tape_step(tape, tape_model.params, XY, k, steps)
        t2 = time.perf_counter()
        times["scalar"].append(t1 - t0)
        times["tape"].append(t2 - t1)
        worst = max(worst, abs(lt - ls) / abs(ls))
        if torch_model is not None:
            t3 = time.perf_counter()
            lp = torch_model.step(Xt, yt, k, steps)
            times["torch"].append(time.perf_counter() - t3)
            worst_torch = max(worst_torch, abs(lp - ls) / abs(ls))
    result = {
        "steps": steps, "compile": compile_time, "worst_rel": worst, "final_loss": ls,
        "acc_scalar": accuracy(scalar_model, X, y), "acc_tape": accuracy(tape_model, X, y),
        "times": times, "worst_rel_torch": worst_torch if torch_model else None,
        "n_ops": len(tape), "n_params": len(tape.parameters),
    }
    # the whole training with the tape, from fresh weights, compile included: median of repeats
    totals = []
    for _ in range(repeats):
        model = MLP(list(sizes))
        t0 = time.perf_counter()
        tp = compile(sample_loss(model), 3)
        for k in range(steps):
            tape_step(tp, model.params, XY, k, steps)
        totals.append(time.perf_counter() - t0)
    result["total_tape"] = statistics.median(totals)
    return result


def paired_ratio(num: list[float], den: list[float]) -> float:
    return statistics.median(a / b for a, b in zip(num, den))


def scaling(batches: list[int], models: list[tuple], steps: int) -> list[tuple]:
    """Median step time of the tape (and PyTorch) per batch size and model."""
    rows = []
    for sizes in models:
        for n in batches:
            X, y = make_moons(n)
            XY = np.column_stack([X, y])
            model = MLP(list(sizes))
            tape = compile(sample_loss(model), 3)
            tape_step(tape, model.params, XY, 0, 100)  # warm-up: allocates the batch arrays
            t_tape = []
            t_torch = []
            try:
                tm = TorchMLP(MLP(list(sizes)))
                Xt, yt = tm.torch.tensor(X), tm.torch.tensor(y)
                tm.step(Xt, yt, 0, 100)
            except ImportError:
                tm = None
            for k in range(1, steps + 1):
                t0 = time.perf_counter()
                tape_step(tape, model.params, XY, k, 100)
                t_tape.append(time.perf_counter() - t0)
                if tm is not None:
                    t0 = time.perf_counter()
                    tm.step(Xt, yt, k, 100)
                    t_torch.append(time.perf_counter() - t0)
            rows.append((sizes, n, len(model.params), len(tape), statistics.median(t_tape),
                         statistics.median(t_torch) if tm else None,
                         paired_ratio(t_tape, t_torch) if tm else None))
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a few steps and small tables")
    args = ap.parse_args(argv)
    steps = 5 if args.quick else 100
    try:
        import torch
        torch.set_num_threads(1)
        torch_version = torch.__version__
    except ImportError:
        torch_version = None
    print("# Compiled tape benchmark\n")
    print(f"Python {platform.python_version()}, NumPy {np.__version__}, "
          f"PyTorch {torch_version or 'not installed'} (1 thread), {platform.machine()}, "
          f"{'--quick' if args.quick else 'full run'}.\n")

    r = demo(steps, repeats=2 if args.quick else 5)
    ms = lambda s: f"{1e3 * s:.2f} ms"  # noqa: E731
    t = r["times"]
    print(f"## micrograd's demo: MLP(2, [16, 16, 1]), 100 moons, {steps} SGD steps\n")
    print(f"Tape: {r['n_ops']} ops per sample, {r['n_params']} parameters, "
          f"compiled in {ms(r['compile'])}.\n")
    print("| engine | median step | scalar / engine (paired median) | loss vs scalar (max rel) |")
    print("|---|---:|---:|---:|")
    print(f"| scalar engine | {ms(statistics.median(t['scalar']))} | 1.0× | — |")
    print(f"| tape | {ms(statistics.median(t['tape']))} | "
          f"{paired_ratio(t['scalar'], t['tape']):.0f}× | {r['worst_rel']:.1e} |")
    if t["torch"]:
        print(f"| PyTorch float64 | {ms(statistics.median(t['torch']))} | "
              f"{paired_ratio(t['scalar'], t['torch']):.0f}× | {r['worst_rel_torch']:.1e} |")
    print()
    if t["torch"]:
        print(f"Tape / PyTorch step time (paired median): "
              f"{paired_ratio(t['tape'], t['torch']):.2f}×.  ", end="")
    print(f"All {steps} steps with the tape, compile included (median of repeats): "
          f"{r['total_tape']:.3f} s.  Final loss {r['final_loss']:.6f}; accuracy scalar "
          f"{100 * r['acc_scalar']:.0f}%, tape {100 * r['acc_tape']:.0f}%.\n")
    ok = r["worst_rel"] <= REL_TOL
    print(f"Same loss at every step (rel ≤ {REL_TOL:g}): {'yes' if ok else 'NO'}.\n")

    batches = [100, 1000] if args.quick else [100, 1000, 3000, 10000]
    models = [(2, 16, 16, 1)] if args.quick else [(2, 16, 16, 1), (2, 64, 64, 1)]
    print("## Scaling: median step time of the tape\n")
    print("| model | params | ops/sample | batch | tape step | PyTorch step | tape / PyTorch |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for sizes, n, n_params, n_ops, tt, tp, ratio in scaling(batches, models,
                                                            3 if args.quick else 15):
        name = f"MLP({sizes[0]}, {list(sizes[1:])})"
        print(f"| {name} | {n_params} | {n_ops} | {n:,} | {ms(tt)} | "
              f"{ms(tp) if tp else '—'} | {f'{ratio:.2f}×' if ratio else '—'} |")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
