"""Hessians: ours against HIPS autograd and PyTorch on one expression, and the
first-order float path of ``backward()`` before and after higher-order support, against micrograd.

    python benchmarks/hessian.py                    # the full run, a few minutes
    python benchmarks/hessian.py --quick            # tiny sizes, seconds
    python benchmarks/hessian.py --ns 10 --reps 3 --json out.json

**The expression.**  A one-hidden-layer tanh network's output as a function of its input,
with fixed weights (W: h × n, b, c; h = 8 hidden units, seeded):

    f(x) = Σₖ cₖ · tanh(Σᵢ Wₖᵢ xᵢ + bₖ),     H = Σₖ cₖ · tanh″(zₖ) · wₖ wₖᵀ

a dense Hessian of rank ≤ h.  Every engine computes the Hessian of this same f at the same
point:

=========================  ==========================================================================
``ours forward``           ``functional.hessian(f, mode="forward")``, the default: one
                           forward sweep carrying all n tangents and one reverse sweep whose
                           adjoints carry them too (forward-over-reverse, ``dual.py``), 2 passes
``ours reverse``           ``mode="reverse"``: n reverse passes, one per component of ∇f
                           (reverse-over-reverse), 1 + n passes
``HIPS vector``            ``autograd.hessian`` of f written with ``autograd.numpy`` on the vector x
                           (``np.dot(c, np.tanh(W @ x + b))``): how HIPS autograd is meant to be used
``HIPS scalar``            ``autograd.hessian`` of f written with scalar ops on x[i] (the same
                           scalar graph as ours)
``torch vector``           ``torch.autograd.functional.hessian`` of ``c @ tanh(W @ x + b)``, float64,
                           one thread (skipped when PyTorch is not importable)
=========================  ==========================================================================

Ours is a scalar engine: one graph node per scalar op, as HIPS scalar.  The vector rows do
the same arithmetic in a handful of NumPy / ATen calls, a ceiling rather than a peer.

**The first-order path** ("the float path of ``backward()`` must not get slower" when higher order came).
The engine before higher-order support (commit ``BEFORE``, loaded from git into a temporary directory as
the package ``autograd_engine_before``) and the engine in this checkout take turns with
micrograd on the suite's W1 chain (``graphs.chain``, ``graphs.run``) and on a W2-style step:
micrograd's demo loss on MLP(2, [16, 16, 1]), the *same* operator-only code on each engine's
Value (so the three graphs are identical and their losses agree), inputs wrapped as Values as
micrograd's demo does.  ``before ÷ after`` is the paired ratio of the old engine's time over
the new one's: 1 within noise means unchanged (> 1: the new one is faster).  A control,
``ours (after, copy)``, is the committed HEAD loaded from git exactly as the old engine is:
two copies of one code differ by a few per cent on a noisy machine, which sets the scale of
a difference worth believing.

Method as the rest of the suite (:mod:`timing`): engines take turns, the order rotated every
repetition; ratios are medians of paired per-repetition ratios; each turn starts from a
settled heap and its time includes one ``gc.collect()``.
"""

from __future__ import annotations

import argparse
import atexit
import datetime
import importlib
import io
import json
import math
import os
import random
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # the suite's modules, also when run from elsewhere

import engines  # noqa: E402
import graphs  # noqa: E402
import training  # noqa: E402
from timing import clock, median, paired_ratio, round_robin, settle  # noqa: E402

from autograd_engine import Value  # noqa: E402
from autograd_engine import functional as F  # noqa: E402

HIDDEN = 8
SEED = 12
#: the engine before higher-order support (its first commit is the next one: sqrt, sin, cos in the rules)
BEFORE = "ad9712be97a1af05806c5c385f41a71ec6acd78c"


@dataclass(frozen=True)
class Problem:
    """The benchmark expression's fixed weights and the point x₀ where its Hessian is taken."""

    W: tuple[tuple[float, ...], ...]  # h × n
    b: tuple[float, ...]
    c: tuple[float, ...]
    x0: tuple[float, ...]

    @property
    def n(self) -> int:
        return len(self.x0)


def problem(n: int, hidden: int = HIDDEN, seed: int = SEED) -> Problem:
    """Weights Wₖᵢ ~ N(0, 1/n) (so zₖ = wₖ·x stays O(1)), bₖ ~ U(−½, ½), cₖ ~ N(0, 1), and
    x₀ ~ U(−1, 1)ⁿ, all seeded."""
    if n < 1 or hidden < 1:
        raise ValueError(f"problem: n and hidden must be ≥ 1, got n={n}, hidden={hidden}")
    rng = random.Random(seed)
    W = tuple(tuple(rng.gauss(0.0, 1.0 / math.sqrt(n)) for _ in range(n)) for _ in range(hidden))
    b = tuple(rng.uniform(-0.5, 0.5) for _ in range(hidden))
    c = tuple(rng.gauss(0.0, 1.0) for _ in range(hidden))
    x0 = tuple(rng.uniform(-1.0, 1.0) for _ in range(n))
    return Problem(W, b, c, x0)


# ---- the expression, once per engine ------------------------------------------------------
def f_ours(P: Problem) -> Callable:
    """f(x₁, …, xₙ) = Σₖ cₖ tanh(wₖ·x + bₖ) on Values: one dot node per hidden unit."""
    W, b, c = P.W, P.b, P.c

    def f(*xs):
        return Value.sum([ck * (Value.dot(wk, xs) + bk).tanh() for wk, bk, ck in zip(W, b, c)])

    return f


def f_hips_vector(P: Problem) -> Callable:
    import autograd.numpy as anp
    import numpy as np

    W, b, c = np.array(P.W), np.array(P.b), np.array(P.c)
    return lambda x: anp.dot(c, anp.tanh(anp.dot(W, x) + b))


def f_hips_scalar(P: Problem) -> Callable:
    """The same scalar graph as ours: x[i] are scalar nodes, products and sums one by one."""
    import autograd.numpy as anp

    W, b, c, n = P.W, P.b, P.c, P.n

    def f(x):
        xs = [x[i] for i in range(n)]
        return sum(ck * anp.tanh(sum(w * xi for w, xi in zip(wk, xs)) + bk)
                   for wk, bk, ck in zip(W, b, c))

    return f


def f_torch_vector(P: Problem, torch) -> Callable:
    W, b, c = (torch.tensor(a, dtype=torch.float64) for a in (P.W, P.b, P.c))
    return lambda x: c @ torch.tanh(W @ x + b)


def hessian_closed_form(P: Problem) -> list[list[float]]:
    """H = Σₖ cₖ tanh″(zₖ) wₖwₖᵀ with tanh″(z) = −2 tanh z (1 − tanh² z): an oracle that no
    engine computed."""
    H = [[0.0] * P.n for _ in range(P.n)]
    for wk, bk, ck in zip(P.W, P.b, P.c):
        t = math.tanh(sum(w * x for w, x in zip(wk, P.x0)) + bk)
        s = ck * -2.0 * t * (1.0 - t * t)
        for i in range(P.n):
            for j in range(P.n):
                H[i][j] += s * wk[i] * wk[j]
    return H


def hessian_cases(P: Problem, torch=None) -> dict[str, Callable[[], list[list[float]]]]:
    """name -> a zero-argument call computing the Hessian at x₀ as a list of rows."""
    import autograd
    import numpy as np

    f = f_ours(P)
    x0 = np.array(P.x0)
    cases = {
        "ours forward": lambda: [list(r) for r in F.hessian(f, mode="forward")(*P.x0)],
        "ours reverse": lambda: [list(r) for r in F.hessian(f, mode="reverse")(*P.x0)],
        "HIPS vector": lambda: autograd.hessian(f_hips_vector(P))(x0).tolist(),
        "HIPS scalar": lambda: autograd.hessian(f_hips_scalar(P))(x0).tolist(),
    }
    if torch is not None:
        ft = f_torch_vector(P, torch)
        xt = torch.tensor(P.x0, dtype=torch.float64)
        cases["torch vector"] = lambda: torch.autograd.functional.hessian(ft, xt).tolist()
    return cases


def max_abs_diff(A: Sequence[Sequence[float]], B: Sequence[Sequence[float]]) -> float:
    if len(A) != len(B) or any(len(a) != len(b) for a, b in zip(A, B)):
        raise ValueError("max_abs_diff: the matrices differ in shape")
    return max(abs(x - y) for a, b in zip(A, B) for x, y in zip(a, b))


def _timed(fn: Callable) -> tuple[float, object]:
    settle()
    t0 = clock()
    out = fn()
    import gc

    gc.collect()
    return clock() - t0, out


def hessian_section(ns: Sequence[int], reps: int, torch, out: dict,
                    progress: Callable[[str], None] = lambda m: None) -> list[str]:
    lines = [f"## Hessian of f(x) = Σₖ cₖ tanh(wₖ·x + bₖ), h = {HIDDEN} hidden units\n",
             "Median time of one Hessian over repetitions; ratio = median of paired ratios "
             "engine ÷ ours reverse (< 1: faster than ours).  max |ΔH| is against the closed "
             "form Σₖ cₖ tanh″(zₖ) wₖwₖᵀ.\n",
             "| n | engine | passes | Hessian | engine ÷ ours reverse | max \\|ΔH\\| vs closed form |",
             "|---:|---|---:|---:|---:|---:|"]
    out["hessian"] = []
    for n in ns:
        P = problem(n)
        cases = hessian_cases(P, torch)
        exact = hessian_closed_form(P)
        for fn in cases.values():  # warm-up: first calls import and initialise
            fn()
        samples = round_robin(list(cases), reps, lambda name, r: {"t": _timed(cases[name])},
                              lambda m: progress(f"hessian n={n}: {m}"))
        ref = [s["t"][0] for s in samples["ours reverse"]]
        for name, ss in samples.items():
            times = [s["t"][0] for s in ss]
            H = ss[0]["t"][1]
            err = max_abs_diff(H, exact)
            ratio = paired_ratio(times, ref)
            passes = (2 if name == "ours forward" else 1 + n) if name.startswith("ours") else None
            out["hessian"].append({"n": n, "engine": name, "median_s": median(times),
                                   "times": times, "over_ours_reverse": ratio,
                                   "max_abs_err": err, "passes": passes})
            lines.append(f"| {n} | {name} | {passes if passes else '—'} | {_ms(median(times))} | "
                         f"{ratio:.3g}× | {err:.1e} |")
    if torch is None:
        lines.append("\nPyTorch is not importable here: its row is left out.")
    lines.append("")
    return lines


def default_section(ns: Sequence[int], reps: int, torch, out: dict, rev: str | None = None,
                    progress: Callable[[str], None] = lambda m: None) -> list[str]:
    """The default-Hessian row: the default ``hessian`` against ``torch.autograd.functional.hessian``
    (non-vectorized), paired; with ``rev``, also the default mode of the engine at git revision
    ``rev`` (the old default: ∇f built as a graph of Values, then n tangent sweeps over it)."""
    old = load_revision(rev, "autograd_engine_i21_before")[0] if rev else None
    lines = [f"## Default `hessian` against PyTorch, h = {HIDDEN} hidden units\n",
             "Median CPU time of one Hessian; ratios are medians of paired per-repetition ratios.\n",
             "| n | ours default | ours reverse | " + ("before (default) | " if old else "")
             + "torch | default ÷ torch | " + ("before ÷ default | " if old else "") + "max \\|ΔH\\| |",
             "|---:|---:|---:|" + ("---:|" if old else "") + "---:|---:|" + ("---:|" if old else "") + "---:|"]
    out["hessian_default"] = []
    for n in ns:
        P = problem(n)
        f = f_ours(P)
        cases = {"default": lambda: [list(r) for r in F.hessian(f)(*P.x0)],
                 "reverse": lambda: [list(r) for r in F.hessian(f, mode="reverse")(*P.x0)]}
        if old is not None:
            W, b, c = P.W, P.b, P.c
            OV = old.Value
            f_old = lambda *xs: OV.sum([ck * (OV.dot(wk, xs) + bk).tanh() for wk, bk, ck in zip(W, b, c)])  # noqa: E731
            old_hessian = importlib.import_module(f"{old.__name__}.functional").hessian
            cases["before"] = lambda: [list(r) for r in old_hessian(f_old)(*P.x0)]
        if torch is not None:
            ft = f_torch_vector(P, torch)
            xt = torch.tensor(P.x0, dtype=torch.float64)
            cases["torch"] = lambda: torch.autograd.functional.hessian(ft, xt).tolist()
        exact = hessian_closed_form(P)
        for fn in cases.values():
            fn()
        samples = round_robin(list(cases), reps, lambda name, r: {"t": _timed(cases[name])},
                              lambda m: progress(f"default hessian n={n}: {m}"))
        times = {k: [s["t"][0] for s in v] for k, v in samples.items()}
        err = max(max_abs_diff(samples[k][0]["t"][1], exact) for k in samples)
        row = {"n": n, "median_s": {k: median(v) for k, v in times.items()}, "max_abs_err": err}
        cells = [str(n), _ms(median(times["default"])), _ms(median(times["reverse"]))]
        if old is not None:
            cells.append(_ms(median(times["before"])))
        if torch is not None:
            row["default_over_torch"] = paired_ratio(times["default"], times["torch"])
            cells += [_ms(median(times["torch"])), f"{row['default_over_torch']:.2f}×"]
        else:
            cells += ["—", "—"]
        if old is not None:
            row["before_over_default"] = paired_ratio(times["before"], times["default"])
            cells.append(f"{row['before_over_default']:.1f}×")
        cells.append(f"{err:.1e}")
        out["hessian_default"].append(row)
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    return lines


# ---- first order: the float path before and after ------------------------------------------
def load_revision(rev: str = BEFORE, name: str = "autograd_engine_before"):
    """The package ``autograd_engine`` at git revision ``rev``, importable as ``name`` (it only
    uses relative imports); ``(module, None)``, or ``(None, reason)`` when git or the revision
    is not there (e.g. a source archive without history)."""
    root = HERE.parent
    try:
        tar = subprocess.run(["git", "-C", str(root), "archive", rev, "autograd_engine"],
                             capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        detail = getattr(e, "stderr", b"") or str(e).encode()
        return None, f"git archive {rev[:12]} failed: {detail.decode(errors='replace').strip()}"
    tmp = Path(tempfile.mkdtemp(prefix=f"{name}_"))
    atexit.register(shutil.rmtree, tmp, ignore_errors=True)
    with tarfile.open(fileobj=io.BytesIO(tar)) as t:
        if hasattr(tarfile, "data_filter"):  # Python ≥ 3.11.4: refuse links and absolute paths
            t.extractall(tmp, filter="data")
        else:  # our own git archive of one directory: nothing to refuse
            t.extractall(tmp)
    (tmp / "autograd_engine").rename(tmp / name)
    sys.path.insert(0, str(tmp))
    return importlib.import_module(name), None


def load_before(rev: str = BEFORE):
    """The engine before higher-order support as ``autograd_engine_before`` (see :func:`load_revision`)."""
    return load_revision(rev, "autograd_engine_before")


def demo_trainer(leaf: Callable[[float], object], X, T, sizes=training.SIZES) -> Callable[[int], float]:
    """micrograd's demo step written once with operators, for any engine's Value (``leaf``):
    the W2 weights (``training.weights``), inputs wrapped as Values, hinge + 10⁻⁴·Σw², SGD."""
    layers = [[([leaf(w) for w in ws], leaf(b)) for ws, b in layer]
              for layer in training.weights(training.our_model(sizes))]
    params = [p for layer in layers for ws, b in layer for p in (*ws, b)]
    last = len(layers) - 1

    def model(x):
        for i, layer in enumerate(layers):
            acts = [sum((w * xi for w, xi in zip(ws, x)), b) for ws, b in layer]
            x = acts if i == last else [a.relu() for a in acts]
        return x[0]

    def step(k: int) -> float:
        inputs = [[leaf(v) for v in row] for row in X]
        losses = [(1 + -t * model(x)).relu() for x, t in zip(inputs, T)]
        loss = sum(losses) * (1.0 / len(losses)) + training.ALPHA * sum(p * p for p in params)
        for p in params:
            p.grad = 0.0
        t0 = clock()
        loss.backward()
        step.backward_times.append(clock() - t0)  # type: ignore[attr-defined]
        rate = training.lr(k)
        for p in params:
            p.data -= rate * p.grad
        return loss.data

    step.backward_times = []  # type: ignore[attr-defined]
    return step


def first_order_section(levels: Sequence[int], chain_reps: int, demo_n: int, steps: int,
                        out: dict, rev: str = BEFORE,
                        progress: Callable[[str], None] = lambda m: None) -> list[str]:
    old, why = load_before(rev)
    E = {"micrograd": engines.micrograd()}
    if old is not None:
        E["ours (before)"] = engines.Engine("ours (before)", old.Value, old.Value)
    E["ours (after)"] = engines.ours()
    if old is not None:
        # The control: the committed HEAD loaded exactly as "before" is (a second copy of the
        # package from git), so before ÷ copy compares like with like, and copy vs after
        # shows how far two copies of the same code drift apart on this machine.
        head, _ = load_revision("HEAD", "autograd_engine_head_copy")
        if head is not None:
            E["ours (after, copy)"] = engines.Engine("ours (after, copy)", head.Value, head.Value)
    limit = engines.raise_recursion_limit(3 * max(levels))
    lines = [f"## First order: the float path before and after higher-order support, vs micrograd\n",
             f"before = the engine at `{rev[:7]}` (just before higher-order support), after = this checkout; "
             "after, copy = the committed HEAD loaded from git the same way as before (a control: "
             "its ratio to before compares like with like, and its distance from after is the "
             "noise between two copies of one code).  Speed-up = median of paired ratios "
             "micrograd ÷ engine; before ÷ after = median of paired ratios (1 = unchanged, > 1: "
             f"after is faster).  micrograd's recursive sort: `sys.setrecursionlimit({limit})`.\n"]
    if old is None:
        lines.append(f"The engine before higher-order support could not be loaded ({why}): no before row.\n")
    lines += ["| workload | engine | total | of which backward() | speed-up vs micrograd | "
              "before ÷ after (total) | before ÷ after (backward) |",
              "|---|---|---:|---:|---:|---:|---:|"]
    out["first_order"] = []

    def add(label: str, times: dict[str, list[float]], back: dict[str, list[float]],
            unit: Callable[[float], str]) -> None:
        for name, ts in times.items():
            sp = paired_ratio(times["micrograd"], ts) if name != "micrograd" else None
            ba = bb = None
            if name.startswith("ours (after") and "ours (before)" in times:
                ba = paired_ratio(times["ours (before)"], ts)
                bb = paired_ratio(back["ours (before)"], back[name])
            out["first_order"].append({"workload": label, "engine": name, "median_s": median(ts),
                                       "times": ts, "backward_times": back[name],
                                       "speedup_vs_micrograd": sp, "before_over_after": ba,
                                       "before_over_after_backward": bb})
            lines.append(f"| {label} | {name} | {unit(median(ts))} | {unit(median(back[name]))} | "
                         f"{f'{sp:.1f}×' if sp else '—'} | {f'{ba:.3f}' if ba else '—'} | "
                         f"{f'{bb:.3f}' if bb else '—'} |")

    for n in levels:
        g = graphs.chain(n)
        label = f"W1 chain {n:,} (ns per op node)"
        samples = round_robin(list(E), chain_reps, lambda name, r: graphs.run(g, E[name]),
                              lambda m: progress(f"{label}: {m}"))
        checks = {name: ss[0]["check"] for name, ss in samples.items()}
        bad = [k for k, v in checks.items() if not math.isclose(v, 1.0001 ** n, rel_tol=1e-9)]
        if bad:
            raise RuntimeError(f"W1 chain {n}: the leaf gradient differs from 1.0001^{n} for {bad}")
        add(label, {k: [s["total"] for s in ss] for k, ss in samples.items()},
            {k: [s["backward"] for s in ss] for k, ss in samples.items()},
            lambda s, nodes=g.op_nodes: f"{1e9 * s / nodes:,.0f}")

    X, T = training.moons(demo_n)
    steps_by = {name: demo_trainer(e.leaf, X, T) for name, e in E.items()}
    settle()
    samples = round_robin(list(E), steps,
                          lambda name, k: training.timed_step(steps_by[name], k, "auto"),
                          lambda m: progress(f"W2-style step: {m}"))
    losses = {k: [s["loss"] for s in ss] for k, ss in samples.items()}
    ref = losses["ours (after)"]
    worst = max(abs(a - b) / abs(b) for ls in losses.values() for a, b in zip(ls, ref))
    if worst > 1e-12:
        raise RuntimeError(f"W2-style step: the engines' losses differ (max relative {worst:.1e})")
    add(f"W2-style demo step, {demo_n} points", {k: [s["step"] for s in ss]
                                                  for k, ss in samples.items()},
        {k: steps_by[k].backward_times for k in samples}, _ms)
    lines += ["", f"Losses agree step by step across the engines (max relative difference "
              f"{worst:.1e}); W1 leaf gradients equal 1.0001ⁿ.\n"]
    return lines


# ---- command line ---------------------------------------------------------------------------
def _ms(seconds: float) -> str:
    return f"{1e3 * seconds:,.2f} ms" if seconds < 1 else f"{seconds:,.2f} s"


def _say(msg: str) -> None:
    print(f"  … {msg}", file=sys.stderr, flush=True)


def sections(quick: bool, torch, out: dict, reps: int | None = None, ns=None,
             rev: str = BEFORE) -> list[str]:
    """Every table of this benchmark (``benchmarks/run.py`` includes them as workload
    ``hessian``)."""
    ns = ns or ((3, 10) if quick else (10, 100))
    lines = hessian_section(ns, reps or (2 if quick else 7), torch, out, _say)
    levels = (100, 1_000) if quick else (1_000, 10_000, 100_000)
    lines += first_order_section(levels, reps or (2 if quick else 11), 20 if quick else 100,
                                 2 if quick else 21, out, rev, _say)
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="tiny sizes (a smoke test, seconds)")
    ap.add_argument("--ns", help="comma-separated input sizes n (default 10,100; quick 3,10)")
    ap.add_argument("--reps", type=int, help="repetitions per case (default 7; quick 2)")
    ap.add_argument("--before", default=BEFORE, help="git revision of the 'before' engine")
    ap.add_argument("--no-torch", action="store_true", help="leave PyTorch out even if installed")
    ap.add_argument("--json", type=Path, metavar="FILE", help="also write every number as JSON")
    ap.add_argument("--default-only", action="store_true",
                    help="only the default hessian against PyTorch (the default-Hessian row)")
    ap.add_argument("--default-before", metavar="REV",
                    help="with --default-only: also time the default mode at git revision REV")
    args = ap.parse_args(argv)
    ns = None
    if args.ns:
        try:
            ns = tuple(int(s) for s in args.ns.split(",") if s.strip())
        except ValueError:
            ap.error(f"--ns: comma-separated integers, got {args.ns!r}")
        if not ns or min(ns) < 1 or max(ns) > 1000:
            ap.error(f"--ns: sizes from 1 to 1000 (a Hessian costs n² memory), got {args.ns!r}")
    if args.reps is not None and args.reps < 1:
        ap.error(f"--reps must be ≥ 1, got {args.reps}")
    if args.json is not None and not args.json.resolve().parent.is_dir():
        ap.error(f"--json: directory {args.json.resolve().parent} does not exist")
    torch = None if args.no_torch else engines.torch_or_none()
    import autograd  # noqa: F401  (imported before settling, like everything else)
    import micrograd.nn  # noqa: F401

    settle()
    v = engines.versions()
    from importlib.metadata import version

    out: dict = {"meta": {"versions": {**v, "autograd": version("autograd")},
                          "cpus": os.cpu_count(), "quick": args.quick,
                          "started": datetime.datetime.now(datetime.timezone.utc)
                          .isoformat(timespec="seconds")}}
    print("# Hessian and first-order benchmarks\n")
    print(f"{v['implementation']} {v['python']}, HIPS autograd {version('autograd')}, micrograd "
          f"{v['micrograd']}, NumPy {v['numpy']}, PyTorch "
          f"{v['torch'] + ' (1 thread)' if torch is not None else 'not used'}; {v['processor']}, "
          f"{os.cpu_count()} CPUs.{'  `--quick`: tiny sizes, the numbers mean little.' if args.quick else ''}\n")
    if args.default_only:
        lines = default_section(ns or (10, 100, 300), args.reps or 5, torch, out, args.default_before, _say)
    else:
        lines = sections(args.quick, torch, out, args.reps, ns, args.before)
    print("\n".join(lines), flush=True)
    if args.json:
        from autograd_engine.files import atomic_write

        text = json.dumps(out, indent=1)
        atomic_write(args.json.resolve(), lambda f: f.write(text.encode("utf-8")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
