"""The compiled tape on a GPU (``backend="torch"``) against the same MLP written by
hand in PyTorch, float64 both, on the same device.  Installs nothing; one process.

One training step = forward + backward + SGD update (η = 0.05) of the per-sample loss of
``benchmarks/mlp.py`` (hinge or softmax cross-entropy, + 10⁻⁴·Σw²), from the same initial
weights (``nn.MLP(seed=1337)``), with the loss read back as a Python float (one
synchronisation, both engines).  The batch is given two ways: as a NumPy array on the host
(copied to the device inside the step, both engines) and as a tensor already on the device.

    tape    compile(per_sample, n, backend="torch", device=D); parameters held on the device
            (tape.hold_parameters), nn.array_step for the update
    torch   one matrix product a layer, autograd, p -= η·p.grad under no_grad
    graph   (``--graph``, CUDA only) the tape's step captured once in a CUDA graph and
            replayed (``nn.graph_step.capture_step``): the same kernels as ``tape``, so its
            losses must equal the tape's at every step (the column says whether they did)

Timing: wall clock around each step with ``torch.cuda.synchronize()`` before and after (on a
GPU the CPU time says nothing); the engines alternate step by step, the ratio is the median
of paired per-step ratios.  The first steps are warm-up.  The table goes to stdout and, as
Markdown, to ``--out``.

    python benchmarks/mlp_gpu.py --device cuda --out gpu.md          # the target table
    python benchmarks/mlp_gpu.py --device cuda --graph --out gpu.md  # + the captured step
    python benchmarks/mlp_gpu.py --device cpu --quick --out cpu.md   # a smoke test anywhere
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(HERE.parent))

import numpy as np  # noqa: E402

import nn  # noqa: E402
from autograd_engine import compile as compile_tape  # noqa: E402
from mlp import LR, data, model_of, per_sample, torch_sgd_step, weights  # noqa: E402
from nn.array_step import array_step  # noqa: E402
from nn.graph_step import capture_step  # noqa: E402
from timing import median, paired_ratio  # noqa: E402

MODELS = ((2, 16, 16, 1), (10, 128, 128, 10), (64, 256, 256, 10))
BATCHES = (4096, 65536, 262144)
TARGET = 1.5


def big_data(sizes, B: int):
    """(X, T) for B samples: ``mlp.data``'s recipe, drawn in NumPy at any size."""
    if sizes[0] == 2 and sizes[-1] == 1 and B <= 4096:
        return data(sizes, B)
    rng = np.random.default_rng(1337)
    X = rng.normal(size=(B, sizes[0]))
    if sizes[-1] == 1:
        return X, np.sign(X[:, :1] + 1e-3)
    labels = np.argmax(X @ rng.normal(size=(sizes[0], sizes[-1])), axis=1)
    return X, np.eye(sizes[-1])[labels]


def tape_engine(torch, sizes, device: str):
    """(step(batch) -> loss, compile seconds): the tape on ``device``, parameters held there."""
    model = model_of(sizes)
    t0 = time.perf_counter()
    tape = compile_tape(per_sample(model, sizes[-1]), sizes[0] + sizes[-1], backend="torch",
                        device=device)
    seconds = time.perf_counter() - t0
    opt = nn.SGD(model.parameters(), lr=LR)
    held = tape.hold_parameters(opt.params)
    held.deferred = True  # as fit runs it: the device read once a step, by the update's check

    def step(XT) -> float:
        held.zero_grad()
        loss = float(tape.forward(XT).mean())
        tape.backward("mean")
        array_step(opt, held)
        return loss
    return step, seconds


def graph_engine(torch, sizes, device: str):
    """step(batch) -> loss: the tape's step (as ``tape_engine``'s) captured in a CUDA graph at
    its third call, replayed after."""
    model = model_of(sizes)
    tape = compile_tape(per_sample(model, sizes[-1]), sizes[0] + sizes[-1], backend="torch",
                        device=device)
    opt = nn.SGD(model.parameters(), lr=LR)
    tape.hold_parameters(opt.params)
    return capture_step(tape, opt, reduction="mean", warmup=2)


def torch_engine(torch, sizes, device: str):
    """step(batch) -> loss: the MLP by hand in PyTorch, float64 on ``device``
    (``mlp.torch_sgd_step``, the CPU benchmark's step)."""
    f64 = torch.float64
    ws = weights(model_of(sizes))
    Ws = [torch.tensor(W, dtype=f64, device=device, requires_grad=True) for W, _ in ws]
    bs = [torch.tensor(b, dtype=f64, device=device, requires_grad=True) for _, b in ws]
    nin = sizes[0]
    step_on = torch_sgd_step(torch, sizes, Ws, bs)

    def step(XT) -> float:
        if not isinstance(XT, torch.Tensor):
            XT = torch.from_numpy(XT).to(device)
        return step_on(XT[:, :nin], XT[:, nin:])
    return step


def timed(torch, device: str, step, batch) -> tuple[float, float]:
    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)
    sync()
    t0 = time.perf_counter()
    loss = step(batch)
    sync()
    return time.perf_counter() - t0, loss


def cell(torch, sizes, B: int, device: str, steps: int, warmup: int, graph: bool = False) -> dict:
    """One (model, batch) cell; ``graph``: the captured step as a third engine (CUDA only),
    in the same rotation, its ratio paired with the same PyTorch steps."""
    X, T = big_data(sizes, B)
    host = np.ascontiguousarray(np.column_stack([X, T]))
    on_device = torch.from_numpy(host).to(device)
    row = {"model": list(sizes), "batch": B}
    for where, batch in (("numpy", host), ("tensor", on_device)):
        tape, compile_s = tape_engine(torch, sizes, device)
        ref = torch_engine(torch, sizes, device)
        engines = [("tape", tape), ("torch", ref)]
        if graph:
            engines.append(("graph", graph_engine(torch, sizes, device)))
        times: dict[str, list[float]] = {name: [] for name, _ in engines}
        losses: dict[str, list[float]] = {name: [] for name, _ in engines}
        graph_error = None
        for k in range(warmup + steps):
            r = k % len(engines)  # the order rotated step by step
            for name, step in engines[r:] + engines[:r]:
                try:
                    t, loss = timed(torch, device, step, batch)
                except Exception as e:  # the captured step failing: said in the table, not fatal
                    if name != "graph":
                        raise
                    traceback.print_exc()
                    graph_error = f"{type(e).__name__}: {str(e).splitlines()[0][:150]}"
                    engines = [(n, s) for n, s in engines if n != "graph"]
                    continue
                losses[name].append(loss)
                if k >= warmup:
                    times[name].append(t)
        first = {name: ls[0] for name, ls in losses.items() if ls}
        row[where] = {"tape_s": median(times["tape"]), "torch_s": median(times["torch"]),
                      "ratio": paired_ratio(times["tape"], times["torch"]),
                      "first_loss_rel_diff": abs(first["tape"] - first["torch"]) / abs(first["torch"])}
        if graph and graph_error:
            row[where].update(graph_error=graph_error)
        elif graph:
            row[where].update(graph_s=median(times["graph"]),
                              graph_ratio=paired_ratio(times["graph"], times["torch"]),
                              graph_same=losses["graph"] == losses["tape"])
        row["compile_s"] = compile_s
        del tape, ref, engines
        if device.startswith("cuda"):
            gc.collect()  # a tape and its pre-built closures are a reference cycle
            torch.cuda.empty_cache()
    return row


def markdown(rows: list[dict], device: str, name: str, graph: bool = False) -> str:
    """The table; ``graph``: four more columns, the captured step's (n/a on a CPU)."""
    on_cuda = device.startswith("cuda")
    extra_head = " graph ÷ PyTorch, NumPy batch | graph ÷ PyTorch, device batch | graph step " \
                 "(device batch) | graph losses = tape's (every step) |" if graph else ""
    extra_rule = "---:|---:|---:|:---:|" if graph else ""
    out = [f"Tape (`backend=\"torch\"`, `device=\"{device}\"`) ÷ hand-written PyTorch float64 on the "
           f"same device ({name}); one training step, median of paired per-step ratios "
           f"(wall clock, synchronised); target ≤ {TARGET}.", "",
           "| model | batch | batch as NumPy | batch on the device | tape step (device batch) | "
           "PyTorch step | first-loss rel. diff | compile |" + extra_head,
           "|---|---:|---:|---:|---:|---:|---:|---:|" + extra_rule]
    for r in rows:
        n, t = r["numpy"], r["tensor"]
        model = f"({r['model'][0]}, {list(r['model'][1:])})"
        out.append(f"| {model} | {r['batch']:,} | {n['ratio']:.2f}× | {t['ratio']:.2f}× | "
                   f"{t['tape_s'] * 1e3:.2f} ms | {t['torch_s'] * 1e3:.2f} ms | "
                   f"{max(n['first_loss_rel_diff'], t['first_loss_rel_diff']):.1e} | "
                   f"{r['compile_s']:.2f} s |" + (_graph_cells(r, on_cuda) if graph else ""))
    met = all(r[w]["ratio"] <= TARGET for r in rows for w in ("numpy", "tensor"))
    out += ["", f"Every cell ≤ {TARGET}: {'met' if met else 'missed'}."]
    if graph and on_cuda:
        cells = [r[w] for r in rows for w in ("numpy", "tensor")]
        errors = sorted({c["graph_error"] for c in cells if "graph_error" in c})
        met = all(c.get("graph_ratio", 1e9) <= TARGET for c in cells)
        same = all(c.get("graph_same", False) for c in cells)
        out += [f"Captured step (`--graph`): every cell ≤ {TARGET}: {'met' if met else 'missed'}; "
                f"its losses equal the uncaptured tape's at every step of every cell: "
                f"{'yes' if same else 'NO'}."]
        out += [f"Captured step failed: {e}" for e in errors]
    elif graph:
        out += ["Captured step (`--graph`): n/a (CPU) — CUDA graphs need a CUDA device."]
    return "\n".join(out) + "\n"


def _graph_cells(r: dict, on_cuda: bool) -> str:
    if not on_cuda:
        return " n/a (CPU) |" * 4
    n, t = r["numpy"], r["tensor"]
    if "graph_error" in n or "graph_error" in t:
        return " error | error | error | error (below) |"
    same = "yes" if n["graph_same"] and t["graph_same"] else "NO"
    return (f" {n['graph_ratio']:.2f}× | {t['graph_ratio']:.2f}× | {t['graph_s'] * 1e3:.2f} ms | "
            f"{same} |")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cuda", help="cuda (default), cuda:N or cpu")
    ap.add_argument("--out", type=Path, help="write the Markdown table here")
    ap.add_argument("--quick", action="store_true", help="tiny sizes (a smoke test)")
    ap.add_argument("--steps", type=int, default=None, help="timed steps per engine and cell")
    ap.add_argument("--graph", action="store_true",
                    help="also the tape's step captured in a CUDA graph (CUDA only; n/a on a CPU)")
    args = ap.parse_args(argv)
    try:
        import torch
    except ImportError:
        print("mlp_gpu: needs PyTorch", file=sys.stderr)
        return 2
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        print(f"mlp_gpu: no CUDA device here for --device {args.device}", file=sys.stderr)
        return 2
    if args.quick:
        models, batches, steps, warmup = ((2, 4, 1), (3, 5, 3)), (16, 64), 3, 1
    else:
        models, batches, steps, warmup = MODELS, BATCHES, 10, 3
    steps = args.steps or steps
    graph = args.graph and args.device.startswith("cuda")
    if graph:
        warmup = max(warmup, 3)  # the captured step captures at its third call: not timed
    name = torch.cuda.get_device_name(args.device) if args.device.startswith("cuda") \
        else f"CPU, {os.cpu_count()} cores"
    rows = []
    t0 = time.perf_counter()
    for sizes in models:
        for B in batches:
            rows.append(cell(torch, sizes, B, args.device, steps, warmup, graph))
            r = rows[-1]
            more = f"; graph {_graph_cells(r, True)}" if graph else ""
            print(f"# {sizes} batch {B}: numpy {r['numpy']['ratio']:.2f}×, tensor "
                  f"{r['tensor']['ratio']:.2f}×{more} ({time.perf_counter() - t0:.0f} s)",
                  file=sys.stderr, flush=True)
    text = markdown(rows, args.device, name, args.graph)
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
