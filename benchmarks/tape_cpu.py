"""The tape-step table: one training step of the compiled tape (parameters held as arrays)
against vectorized PyTorch and the hand-written NumPy MLP, in CPU time (``time.process_time``),
one thread each, plus compile + first bind for each model.

The engines are ``benchmarks/mlp.py``'s (same models, data, loss, SGD, initial weights); they
take turns step by step, the order rotated every repetition, and each ratio is the median of
the paired per-step ratios.  The machines are shared: the load average is printed with the
table.

    python benchmarks/tape_cpu.py                  # the 9 target cells (about a minute)
    python benchmarks/tape_cpu.py --quick --out t.md
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

import mlp  # noqa: E402
from autograd_engine import compile as compile_tape  # noqa: E402
from timing import median, paired_ratio  # noqa: E402

TARGET = 1.5


def compile_and_bind(sizes) -> float:
    """CPU seconds of compile + the first forward (the bind) at batch 32, median of three."""
    X, T = mlp.data(sizes, 32)
    XT = mlp.np.column_stack([X, T])
    out = []
    for _ in range(3):
        model = mlp.model_of(sizes)
        fn = mlp.per_sample(model, sizes[-1])
        t0 = time.process_time()
        tape = compile_tape(fn, sizes[0] + sizes[-1])
        tape.forward(XT)
        out.append(time.process_time() - t0)
    return median(out)


def cell(torch, sizes, B: int, reps: int) -> dict:
    X, T = mlp.data(sizes, B)
    run = {"tape": mlp.tape_trainer(sizes, X, T), "numpy": mlp.numpy_trainer(sizes, X, T),
           "torch": mlp.torch_trainer(torch, sizes, X, T)}
    for step in run.values():
        step(0)
    names = list(run)
    t: dict[str, list[float]] = {n: [] for n in names}
    loss: dict[str, float] = {}
    for r in range(reps):
        for name in (names[(r + i) % 3] for i in range(3)):
            t0 = time.process_time()
            loss[name] = run[name](r + 1)
            t[name].append(time.process_time() - t0)
    return {"model": list(sizes), "batch": B, "tape_ms": median(t["tape"]) * 1e3,
            "over_torch": paired_ratio(t["tape"], t["torch"]),
            "over_numpy": paired_ratio(t["tape"], t["numpy"]),
            "loss_rel_diff": abs(loss["tape"] - loss["torch"]) / abs(loss["torch"])}


def markdown(rows, compiles, load: str) -> str:
    out = [f"One training step, tape (parameters held as arrays) ÷ PyTorch vectorized and ÷ "
           f"NumPy by hand (CPU time, paired, one thread each; target tape ÷ PyTorch ≤ "
           f"{TARGET}). Load average at the start: {load}.", "",
           "| model | batch | tape step | tape ÷ PyTorch | tape ÷ NumPy | compile + first bind |",
           "|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        key = tuple(r["model"])
        out.append(f"| ({key[0]}, {list(key[1:])}) | {r['batch']:,} | {r['tape_ms']:.2f} ms | "
                   f"{r['over_torch']:.2f} | {r['over_numpy']:.2f} | "
                   f"{compiles[key] * 1e3:.0f} ms |")
    return "\n".join(out) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    if args.quick:
        models, batches, reps = ((2, 4, 1),), (8,), (3, 3)
    else:
        models, batches, reps = mlp.MODELS, mlp.BATCHES, (41, 11)
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    compiles = {tuple(s): compile_and_bind(s) for s in models}
    rows = [cell(torch, s, B, reps[B > 256]) for s in models for B in batches]
    text = markdown(rows, compiles, load)
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
