"""One epoch of ``nn.fit(..., compiled=True)`` against the same epoch written as a
PyTorch loop, in CPU time (``time.process_time``), one thread each.

What a user runs, not the tape's step alone: fit shuffles, slices the batches, steps, scores
each batch (accuracy) and reports the epoch's loss.  The PyTorch loop does the same —
``torch.randperm``, ``nn.Linear`` layers in float64, the same loss (+ 10⁻⁴·Σw²), plain SGD
(η = 0.05), the batch's correct count — from the same initial weights.

Steady state: the CPU time of ``fit(epochs=long)`` minus ``fit(epochs=short)``, over
``long − short`` epochs, so compile, first bind and warm-up cancel.  Repetitions alternate the
two engines (the order rotated), and the ratio is the median of the paired per-repetition
ratios (:mod:`timing`).  The machines are shared: the load average is printed with the table.

    python benchmarks/fit_epoch.py                  # the target cells (about 2 minutes)
    python benchmarks/fit_epoch.py --quick          # tiny, a smoke test
    python benchmarks/fit_epoch.py --out table.md   # also write the table
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(HERE.parent))

import numpy as np  # noqa: E402

import nn  # noqa: E402
from mlp import ALPHA, LR, SEED, model_of, weights  # noqa: E402
from timing import median, paired_ratio  # noqa: E402

MODELS = ((2, 64, 64, 1), (10, 128, 128, 10))
BATCHES = (32, 256)
TARGET = 1.5


def dataset(sizes, n: int) -> nn.Dataset:
    """Two moons for a one-output model, else Gaussian features labelled by the argmax of a
    fixed random projection."""
    nin, nout = sizes[0], sizes[-1]
    if nout == 1:
        return nn.moons(n, noise=0.1, seed=SEED)
    rng = np.random.default_rng(SEED)
    X = rng.normal(size=(n, nin))
    y = np.argmax(X @ rng.normal(size=(nin, nout)), axis=1)
    return nn.Dataset(X.tolist(), y.tolist())


def ours(sizes, data: nn.Dataset, B: int, epochs: int) -> float:
    """CPU seconds of fit(compiled=True) for ``epochs`` epochs (a fresh model)."""
    model = model_of(sizes)
    loss = "hinge" if sizes[-1] == 1 else "cross_entropy"
    t0 = time.process_time()
    nn.fit(model, loss, nn.SGD(model.parameters(), lr=LR), data, epochs=epochs, batch_size=B,
           compiled=True, l2=ALPHA, progress=False, seed=0)
    return time.process_time() - t0


def torch_loop(torch, sizes, data: nn.Dataset, B: int, epochs: int) -> float:
    """CPU seconds of the same training as a PyTorch loop."""
    f64 = torch.float64
    layers = []
    for W, b in weights(model_of(sizes)):
        lin = torch.nn.Linear(W.shape[1], W.shape[0], dtype=f64)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(W))
            lin.bias.copy_(torch.from_numpy(b))
        layers.append(lin)
    params = [p for lin in layers for p in lin.parameters()]
    opt = torch.optim.SGD(params, lr=LR)
    X = torch.tensor(data.X, dtype=f64)
    y = torch.tensor(data.y)
    one = sizes[-1] == 1
    T = (2.0 * y - 1.0).to(f64) if one else None
    n = len(data)
    gen = torch.Generator().manual_seed(0)
    t0 = time.process_time()
    for _ in range(epochs):
        perm = torch.randperm(n, generator=gen)
        total = correct = 0.0
        for start in range(0, n, B):
            idx = perm[start:start + B]
            h = X[idx]
            for i, lin in enumerate(layers):
                h = lin(h)
                if i < len(layers) - 1:
                    h = torch.relu(h)
            if one:
                data_loss = torch.relu(1 - T[idx] * h[:, 0]).mean()
                right = ((h[:, 0] > 0).long() == y[idx]).sum()
            else:
                data_loss = torch.nn.functional.cross_entropy(h, y[idx])
                right = (h.argmax(dim=1) == y[idx]).sum()
            loss = data_loss + ALPHA * sum((p * p).sum() for p in params)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
            correct += right.item()
    return time.process_time() - t0


def cell(torch, sizes, B: int, n: int, short: int, long: int, reps: int) -> dict:
    data = dataset(sizes, n)
    runs = {"fit": lambda e: ours(sizes, data, B, e),
            "torch": lambda e: torch_loop(torch, sizes, data, B, e)}
    per_epoch: dict[str, list[float]] = {k: [] for k in runs}
    for r in range(reps):
        for name in (list(runs) if r % 2 == 0 else list(runs)[::-1]):
            t_short, t_long = runs[name](short), runs[name](long)
            per_epoch[name].append(max(t_long - t_short, 1e-9) / (long - short))
    ratio = paired_ratio(per_epoch["fit"], per_epoch["torch"])
    return {"model": list(sizes), "batch": B, "samples": n,
            "fit_epoch_s": median(per_epoch["fit"]), "torch_epoch_s": median(per_epoch["torch"]),
            "ratio": ratio, "met": ratio <= TARGET}


def markdown(rows: list[dict], load: str) -> str:
    out = [f"One epoch of `fit(compiled=True)` ÷ a PyTorch loop's epoch (CPU time, one thread "
           f"each, steady state; target ≤ {TARGET}). Load average at the start: {load}.", "",
           "| model | batch | samples | fit epoch | PyTorch epoch | ratio | target |",
           "|---|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        out.append(f"| {tuple(r['model'][:1]) + (list(r['model'][1:]),)} | {r['batch']} | "
                   f"{r['samples']} | {r['fit_epoch_s'] * 1e3:.1f} ms | "
                   f"{r['torch_epoch_s'] * 1e3:.1f} ms | {r['ratio']:.2f}× | "
                   f"{'met' if r['met'] else 'missed'} |")
    return "\n".join(out) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="tiny sizes (a smoke test)")
    ap.add_argument("--out", type=Path, help="also write the Markdown table here")
    ap.add_argument("--reps", type=int, default=None)
    args = ap.parse_args(argv)
    try:
        import torch
    except ImportError:
        print("fit_epoch: needs PyTorch (pip install torch==2.13.0)", file=sys.stderr)
        return 2
    torch.set_num_threads(1)
    if args.quick:
        models, batches, n, short, long, reps = ((2, 4, 1), (3, 5, 3)), (8,), 32, 1, 3, 1
    else:
        models, batches, n, short, long, reps = MODELS, BATCHES, 1024, 2, 7, 3
    reps = args.reps or reps
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    rows = [cell(torch, sizes, B, n, short, long, reps) for sizes in models for B in batches]
    text = markdown(rows, load)
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
