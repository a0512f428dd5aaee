"""The benchmark suite: our scalar engine against micrograd and PyTorch, and
the compiled tape.  Prints Markdown tables; ``--json FILE`` also writes every number.

    python benchmarks/run.py                 # the full run (see benchmarks/README.md)
    python benchmarks/run.py --quick         # tiny sizes, well under a minute
    python benchmarks/run.py --workloads w1,w4 --reps 3 --json out.json

Workloads: w1 deep chain, w2 micrograd's demo step (and the tape), w3 wide graphs (fan-in,
fan-out), w4 memory per node and freeing without the GC, depth (a 1e6-level chain, ours
only), scaling (the tape's step time against batch and model size), mlp (the tape at scale: the
tape at scale against PyTorch and a hand-written NumPy MLP, and the tape on PyTorch), hessian
(benchmarks/hessian.py: Hessians vs HIPS autograd and PyTorch; backward before and after).

In one process the engines take turns, the order rotated every repetition, and every
speed-up is the median of per-repetition paired ratios (:mod:`timing`).  Each table shows the
workload's target beside the measured value.  Exit status 1 when W2's losses disagree.
"""

from __future__ import annotations

import os

# One thread for NumPy's BLAS as for PyTorch (set before NumPy is imported); OPENBLAS_CORETYPE,
# if the machine sets it, is left alone.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import datetime
import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # the suite's modules, also when run from elsewhere

import engines  # noqa: E402
import graphs  # noqa: E402
import mlp  # noqa: E402
import training  # noqa: E402
from timing import column, median, paired_ratio, round_robin, settle  # noqa: E402

WORKLOADS = ("w1", "w2", "w3", "w4", "depth", "scaling", "mlp", "hessian")
LOSS_TOL = 1e-9  # the tape's loss equals the scalar engine's to this relative error


@dataclass(frozen=True)
class Plan:
    """Sizes and repetitions of one run."""

    chain_levels: tuple[int, ...]
    chain_reps: tuple[int, ...]  # per level
    fan_in: int
    fan_out: int
    wide_reps: int
    demo_n: int
    demo_steps: int
    tape_repeats: int
    memory_levels: int
    depth_levels: int
    scale_batches: tuple[int, ...]
    scale_models: tuple[tuple[int, ...], ...]
    scale_steps: int
    mlp_models: tuple[tuple[int, ...], ...] = mlp.MODELS
    mlp_batches: tuple[int, ...] = mlp.BATCHES
    mlp_reps: tuple[int, int] = (15, 7)  # steps per cell: batch ≤ 256, batch 4096


FULL = Plan((1_000, 10_000, 100_000), (15, 7, 5), 100_000, 50_000, 5, 100, 10, 5, 20_000,
            1_000_000, (100, 1_000, 3_000, 10_000), ((2, 16, 16, 1), (2, 64, 64, 1)), 15)
QUICK = Plan((100, 1_000), (3, 3), 1_000, 1_000, 3, 20, 2, 2, 1_000, 10_000, (100, 1_000),
             ((2, 16, 16, 1),), 3, ((2, 16, 16, 1), (3, 8, 3)), (32, 256), (2, 2))


# ---- targets ----------------------------------------------------------------------------------
@dataclass
class Targets:
    """Every target checked in this run: (what, target text, measured text, met)."""

    rows: list[dict] = field(default_factory=list)

    def check(self, what: str, measured: float, op: str, bound: float, unit: str = "×",
              issue: int = 6) -> tuple[str, str]:
        """Record one target; returns its (target, met) cells for a table row."""
        met = measured >= bound if op == "≥" else measured <= bound
        target = f"{op} {_num(bound)}{unit}"
        self.rows.append({"issue": issue, "what": what, "target": target,
                          "measured": f"{_num(measured)}{unit}", "value": measured, "met": met})
        return target, "yes" if met else "**no**"


def cells(*checks: tuple[str, str]) -> str:
    """The "target | met" cells of a row with one or more targets."""
    if not checks:
        return "— | —"
    return "; ".join(t for t, _ in checks) + " | " + "; ".join(m for _, m in checks)


def _num(x: float) -> str:
    if x == 0 or 0.01 <= abs(x) < 1e4:
        return f"{x:.3g}" if abs(x) < 100 else f"{x:.0f}"
    return f"{x:.1e}"


def _pow10(n: int) -> str:
    """1000 -> "1e3" (sizes in labels)."""
    return f"{n:.0e}".replace("e+0", "e").replace("e+", "e")


def _ns(seconds: float, nodes: int) -> str:
    return f"{1e9 * seconds / nodes:,.0f}"


def _ms(seconds: float) -> str:
    return f"{1e3 * seconds:,.2f} ms" if seconds < 1 else f"{seconds:,.2f} s"


def _say(msg: str) -> None:
    print(f"  … {msg}", file=sys.stderr, flush=True)


# ---- W1 and W3: graph workloads ----------------------------------------------------------------
def graph_table(title: str, cases: list[tuple[str, dict]], reps: list[int],
                targets_for, T: Targets, recorded: list) -> list[str]:
    """Run each case (label, {engine: (engine, graph)}) round-robin and tabulate it."""
    lines = [f"## {title}\n",
             "Times in **ns per op node** (leaves excluded; a chain level is 3 op nodes), the "
             "median over repetitions; speed-up = median of paired ratios micrograd ÷ engine.\n",
             "| case | engine | op nodes | forward | backward | free | total | GC share | "
             "speed-up vs micrograd | target | met |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|"]
    for (label, entries), r in zip(cases, reps):
        samples = round_robin(list(entries), r, lambda name, _: graphs.run(entries[name][1],
                                                                          entries[name][0]),
                              lambda m: _say(f"{label}: {m}"))
        micro = column(samples["micrograd"], "total") if "micrograd" in samples else None
        for name, ss in samples.items():
            g = entries[name][1]
            tot = column(ss, "total")
            speed = paired_ratio(micro, tot) if micro else None
            rec = {"case": label, "engine": name, "size": g.size, "op_nodes": g.op_nodes, "reps": r,
                   **{k: median(column(ss, k)) for k in ("forward", "backward", "free", "total")},
                   "gc_share": sum(column(ss, "gc")) / sum(tot),
                   "speedup_vs_micrograd": speed, "check_grad": ss[0]["check"], "samples": ss}
            rec["ns_per_node"] = 1e9 * rec["total"] / g.op_nodes
            recorded.append(rec)
            tgt = cells(*targets_for(label, name, rec, T))
            per_node = name != "torch-vec"
            times = [_ns(rec[k], g.op_nodes) if per_node else _ms(rec[k])
                     for k in ("forward", "backward", "free", "total")]
            lines.append(f"| {label} | {name} | {g.op_nodes:,} | {' | '.join(times)} | "
                         f"{100 * rec['gc_share']:.0f}% | "
                         f"{f'{speed:.1f}×' if speed else '—'} | {tgt} |")
        grads = {name: ss[0]["check"] for name, ss in samples.items()}
        ref = grads.get("ours")
        bad = [n for n, g in grads.items() if ref and abs(g - ref) > 1e-9 * max(1.0, abs(ref))]
        if bad:
            lines.append(f"| {label} | gradient check | | | | | | | **differs: {bad}** | | |")
    lines.append("")
    if any(name == "torch-vec" for _, e in cases for name in e):
        lines.append("torch-vec rows give milliseconds per graph, not per node: the whole "
                     "graph is one or two tensor ops.\n")
    return lines


def w1(plan: Plan, reps: int | None, torch_ok: bool, T: Targets, out: dict) -> list[str]:
    limit = engines.raise_recursion_limit(3 * max(plan.chain_levels))
    E = engines.scalar_engines(torch_ok)
    cases = [(f"chain {_pow10(n)}", {k: (e, graphs.chain(n)) for k, e in E.items()})
             for n in plan.chain_levels]
    lo, hi = min(plan.chain_levels), max(plan.chain_levels)

    def targets_for(label, name, rec, T):
        """W1's targets, at the sizes they were set for only."""
        n = rec["size"]
        if name != "ours" or n not in (1_000, 10_000, 100_000):
            return []
        checks = [T.check(f"W1 {label}: ns per op node (total)", rec["ns_per_node"], "≤", 1000,
                          " ns")]
        if n in (1_000, 100_000):
            checks.append(T.check(f"W1 {label}: speed-up vs micrograd",
                                  rec["speedup_vs_micrograd"], "≥", 5 if n == 1_000 else 10))
        return checks

    out["w1"] = []
    lines = graph_table("W1 deep chain: x = (x*1.0001 + 0.5).relu()", cases,
                        [reps or r for r in plan.chain_reps], targets_for, T, out["w1"])
    note = (f"micrograd's backward sorts the graph recursively: `sys.setrecursionlimit({limit})` "
            "was set for this run.  PyTorch vectorized does not apply (a chain has no parallelism)."
            "  Free = `del` + `gc.collect()`; GC share = time inside the cyclic GC "
            "(`gc.callbacks`) over forward + backward + free.\n")
    out["recursion_limit"] = limit
    return lines + [note]


def w3(plan: Plan, reps: int | None, torch, T: Targets, out: dict) -> list[str]:
    E = engines.scalar_engines(torch is not None)
    cases = []
    for label, make, n in (("fan-in", graphs.fan_in, plan.fan_in),
                           ("fan-out", graphs.fan_out, plan.fan_out)):
        g = make(n)
        entries = {k: (e, g) for k, e in E.items()}
        if label == "fan-in":
            entries["ours (Value.sum)"] = (E["ours"], graphs.fan_in_nary(n))
        if torch is not None:
            entries["torch-vec"] = (None, graphs.torch_vectorized(g, torch))
        cases.append((f"{label} {n:,}", entries))

    def targets_for(label, name, rec, T):
        fan_in = label.startswith("fan-in")
        if name != "ours" or rec["size"] < (100_000 if fan_in else 50_000):
            return []  # the targets, at the sizes they were set for only
        bound = 5 if fan_in else 12
        return [T.check(f"W3 {label}: speed-up vs micrograd", rec["speedup_vs_micrograd"], "≥",
                        bound)]

    out["w3"] = []
    lines = graph_table("W3 wide graphs", cases, [reps or plan.wide_reps] * 2, targets_for, T,
                        out["w3"])
    return lines + ["Fan-in: Σᵢ aᵢ·bᵢ over n pairs of leaves, summed as a tree of pairwise "
                    "adds (micrograd's recursive sort needs a shallow graph); `ours (Value.sum)` "
                    "is the same sum as one n-ary node.  Fan-out: one leaf x used by n products "
                    "x·kᵢ, summed as a tree.\n"]


# ---- W2 ----------------------------------------------------------------------------------------
def w2(plan: Plan, steps: int | None, torch, T: Targets, out: dict) -> tuple[list[str], bool]:
    steps = steps or plan.demo_steps
    engines.raise_recursion_limit(10_000)
    lines = [f"## W2 micrograd's demo: one SGD step of MLP(2, [16, 16, 1]) on {plan.demo_n} "
             f"moons points\n",
             f"{steps} steps per GC mode, engines taking turns step by step (each trains its "
             "own copy of the same initial weights).  Step time = median; speed-ups = median "
             "of paired per-step ratios.\n"]
    out["w2"] = {}
    agree = True
    for mode in ("auto", "managed"):
        r = training.demo(plan.demo_n, steps, mode, torch, lambda m: _say(f"W2 {mode}: {m}"))
        out["w2"][mode] = r
        eng = r["engines"]
        lines += [f"### GC {mode}: " + ("automatic GC on, as users run it" if mode == "auto" else
                                        "automatic GC off in the step, one gc.collect() per step"),
                  "", "| engine | step | GC share | speed-up vs micrograd | ours ÷ engine | "
                  "loss vs ours (max rel) | target | met |",
                  "|---|---:|---:|---:|---:|---:|---|---|"]
        for name, e in eng.items():
            sp = paired_ratio(eng["micrograd"]["times"], e["times"])
            vs_ours = paired_ratio(eng["ours"]["times"], e["times"])
            e["speedup_vs_micrograd"], e["ours_over_engine"] = sp, vs_ours
            checks = []
            demo_size = plan.demo_n == 100  # the targets are for micrograd's demo, 100 points
            if name == "ours" and demo_size:
                checks = [T.check(f"W2 GC {mode}: step speed-up vs micrograd", sp, "≥",
                                  10 if mode == "auto" else 4)]
            elif name == "tape" and mode == "auto":
                checks = [T.check("W2 tape: losses equal to the scalar engine's (max rel)",
                                  e["max_rel_loss_diff_vs_ours"], "≤", LOSS_TOL, "", issue=7)]
                if demo_size:
                    checks.append(T.check("W2 tape: step speed-up vs our scalar engine", vs_ours,
                                          "≥", 50, issue=7))
                if demo_size and "torch-vec" in eng:
                    tv = paired_ratio(e["times"], eng["torch-vec"]["times"])
                    e["over_torch_vec"] = tv
                    checks.append(T.check("W2 tape: step time ÷ PyTorch vectorized", tv, "≤", 5,
                                          issue=7))
            lines.append(f"| {name} | {_ms(e['step_s'])} | {100 * e['gc_share']:.0f}% | "
                         f"{sp:.1f}× | {vs_ours:.1f}× | {e['max_rel_loss_diff_vs_ours']:.1e} | "
                         f"{cells(*checks)} |")
        worst = max(e["max_rel_loss_diff_vs_ours"] for e in eng.values())
        agree = agree and worst <= LOSS_TOL
        lines += ["", f"Losses agree step by step across engines: max relative difference "
                  f"{worst:.1e} ({'≤' if worst <= LOSS_TOL else '>'} {LOSS_TOL:g}).\n"]
    _say("W2: the whole demo on the tape")
    tt = training.tape_training(plan.demo_n, 100, plan.tape_repeats)
    out["w2"]["tape_training"] = tt
    t1 = t2 = cells()
    if plan.demo_n == 100:
        t1 = cells(T.check("Tape: 100 steps of the demo, compile included", tt["total_s"], "≤",
                           1.0, " s", issue=7))
        t2 = cells(T.check("Tape: accuracy after 100 steps", 100 * tt["accuracy"], "≥", 100,
                           "%", issue=7))
    lines += ["| the demo on the tape (100 steps) | measured | target | met |",
              "|---|---:|---|---|",
              f"| total, compile included (median of {plan.tape_repeats}) | "
              f"{tt['total_s']:.3f} s | {t1} |",
              f"| accuracy after 100 steps | {100 * tt['accuracy']:.0f}% | {t2} |", "",
              f"The tape: {tt['ops_per_sample']} ops per sample, {tt['parameters']} parameters; "
              f"final loss {tt['final_loss']:.6f}.  In every step's time: one gc.collect() after "
              "the step, so each engine pays for reclaiming its own garbage.\n"]
    return lines, agree


def scaling(plan: Plan, torch, out: dict) -> list[str]:
    rows = training.scaling(list(plan.scale_batches), list(plan.scale_models), plan.scale_steps,
                            torch, lambda m: _say(f"scaling {m}"))
    out["scaling"] = rows
    lines = ["## Tape scaling: step time against batch size and model size\n",
             f"Median of {plan.scale_steps} steps; tape ÷ PyTorch vectorized is the median of "
             "paired ratios.\n",
             "| model | parameters | ops/sample | batch | tape step | PyTorch vectorized step | "
             "tape ÷ PyTorch |", "|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        m = r["model"]
        tv = r.get("torch_vec_step_s")
        ratio = f"{r['tape_over_torch_vec']:.2f}×" if tv else "—"
        lines.append(f"| MLP({m[0]}, {m[1:]}) | {r['parameters']} | {r['ops_per_sample']} | "
                     f"{r['batch']:,} | {_ms(r['tape_step_s'])} | {_ms(tv) if tv else '—'} | "
                     f"{ratio} |")
    return lines + [""]


def mlp_table(plan: Plan, torch, T: Targets, out: dict) -> list[str]:
    """The tape at scale (and the tape on PyTorch's row)."""
    full = plan.mlp_models == mlp.MODELS
    rows, checks = mlp.table(plan.mlp_models, plan.mlp_batches,
                             lambda s, B: plan.mlp_reps[B > 256], torch,
                             lambda m: _say(f"mlp {m}"))
    out["mlp"] = {"rows": rows, "scalar_checks": checks}
    lines = ["## The tape at scale: one training step against PyTorch and hand-written NumPy\n",
             "One step = forward + backward + SGD update, float64, one thread each (PyTorch "
             "`set_num_threads(1)`, NumPy's BLAS `OPENBLAS_NUM_THREADS=1`); engines take turns "
             "step by step; ratios are medians of paired per-step ratios.  Losses: hinge + "
             "10⁻⁴·Σw² (one output), softmax cross-entropy + 10⁻⁴·Σw² (ten).  Compile = tracing "
             "twice, comparing, grouping; first bind = the first forward at that batch size.\n",
             "| model (params, ops/sample, array ops) | batch | tape | PyTorch | NumPy by hand | "
             "tape ÷ PyTorch | tape ÷ NumPy | compile / first bind | target | met |",
             "|---|---:|---:|---:|---:|---:|---:|---|---|---|"]
    for r in rows:
        m, st = r["model"], r["step_s"]
        checks_ = []
        if full:
            if "tape_over_torch_vec" in r:
                checks_.append(T.check(f"MLP{tuple(m)} batch {r['batch']}: tape ÷ PyTorch",
                                       r["tape_over_torch_vec"], "≤", 1.5, issue=17))
            checks_.append(T.check(f"MLP{tuple(m)} batch {r['batch']}: tape ÷ NumPy by hand",
                                   r["tape_over_numpy"], "≤", 3, issue=17))
            if m == [10, 128, 128, 10] and r["batch"] == 32:
                checks_.append(T.check("MLP(10, [128, 128, 10]): compile + first bind",
                                       1e3 * (r["compile_s"] + r["first_bind_s"]), "≤", 100,
                                       " ms", issue=17))
        tv = r.get("tape_over_torch_vec")
        lines.append(
            f"| MLP({m[0]}, {m[1:]}) ({r['parameters']:,}, {r['ops_per_sample']}, "
            f"{r['groups']}) | {r['batch']:,} | {_ms(st['tape'])} | "
            f"{_ms(st['torch-vec']) if 'torch-vec' in st else '—'} | {_ms(st['numpy'])} | "
            f"{f'{tv:.2f}×' if tv else '—'} | {r['tape_over_numpy']:.2f}× | "
            f"{_ms(r['compile_s'])} / {_ms(r['first_bind_s'])} | {cells(*checks_)} |")
    worst = max(max(v for k, v in r["loss_max_rel_diff_vs_tape"].items()) for r in rows)
    loss_ok = max(c["loss_rel_diff"] for c in checks)
    grad_ok = max(c["grad_max_diff_over_max_grad"] for c in checks)
    t1 = T.check("Tape at scale: loss and gradient vs the scalar engine (16 samples)",
                 max(loss_ok, grad_ok), "≤", 1e-12, "", issue=17)
    lines += ["", f"Every engine's loss agrees with the tape's at every step: max relative "
              f"difference {worst:.1e}.  The tape against the scalar engine on the first 16 "
              f"samples of each model: loss {loss_ok:.1e} (relative), gradient {grad_ok:.1e} "
              f"(max difference ÷ max |gradient|); target {t1[0]}: {t1[1]}.\n"]
    if torch is not None:
        lines += ["### The tape on PyTorch (`backend=\"torch\"`, CPU)\n",
                  "| model | batch | tape on torch | tape on NumPy | hand-written PyTorch | "
                  "torch tape ÷ NumPy tape | torch tape ÷ PyTorch | compile / first bind |",
                  "|---|---:|---:|---:|---:|---:|---:|---|"]
        for r in rows:
            m, st = r["model"], r["step_s"]
            lines.append(f"| MLP({m[0]}, {m[1:]}) | {r['batch']:,} | {_ms(st['tape-torch'])} | "
                         f"{_ms(st['tape'])} | {_ms(st['torch-vec'])} | "
                         f"{r['tape_torch_over_tape']:.2f}× | "
                         f"{r['tape_torch_over_torch_vec']:.2f}× | "
                         f"{_ms(r['tape_torch_compile_s'])} / "
                         f"{_ms(r['tape_torch_first_bind_s'])} |")
        lines.append("")
    return lines


# ---- W4 and depth: fresh subprocesses ----------------------------------------------------------
def _probe(*args: str) -> dict:
    done = subprocess.run([sys.executable, str(HERE / "probe.py"), *args], capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"probe {' '.join(args)} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def w4(plan: Plan, T: Targets, out: dict) -> list[str]:
    lines = [f"## W4 memory: the W1 chain at {plan.memory_levels:,} levels "
             f"({3 * plan.memory_levels:,} op nodes), a fresh process per engine\n",
             "Bytes per op node = memory the graph holds after forward (tracemalloc: every "
             "object it keeps alive) ÷ op nodes.  Freeing: cyclic GC disabled, `del root`, then "
             "count the engine's nodes still alive and what `gc.collect()` finds.\n",
             "| engine | graph bytes/op node | peak in backward bytes/op node | nodes left after "
             "`del root` | gc.collect() found | target | met |",
             "|---|---:|---:|---:|---:|---|---|"]
    out["w4"] = []
    for name in ("ours", "micrograd"):
        _say(f"W4 {name}")
        r = _probe("memory", name, str(plan.memory_levels))
        out["w4"].append(r)
        checks = []
        if name == "ours":
            checks = [T.check("W4: bytes per op node", r["graph_bytes_per_node"], "≤", 150, " B"),
                      T.check("W4: objects left for the cyclic GC after del root",
                              r["nodes_left"] + r["gc_collected"], "≤", 0, " objects")]
        tgt = cells(*checks)
        lines.append(f"| {name} | {r['graph_bytes_per_node']:.0f} | "
                     f"{r['backward_peak_bytes_per_node']:.0f} | {r['nodes_left']:,} | "
                     f"{r['gc_collected']:,} | {tgt} |")
    return lines + ["", "PyTorch is not in this table: tracemalloc does not see its C++ "
                    "allocations.\n"]


def depth(plan: Plan, T: Targets, out: dict) -> list[str]:
    n = plan.depth_levels
    _say(f"depth: {n:,} levels")
    r = _probe("depth", str(n))
    out["depth"] = r
    gib = r["peak_rss_bytes"] / 2**30
    full = n >= 1_000_000
    t = m = cells()
    if full:
        t = cells(T.check(f"Depth {_pow10(n)} levels: build + backward", r["build_backward_s"],
                          "≤", 6, " s"))
        m = cells(T.check(f"Depth {_pow10(n)} levels: peak memory (process RSS)", gib, "≤", 1.2,
                          " GiB"))
    return [f"## Depth: a {n:,}-level chain ({3 * n:,} op nodes), ours only, a fresh process\n",
            "micrograd cannot run it (its recursive sort); automatic GC on.\n",
            "| quantity | measured | target | met |", "|---|---:|---|---|",
            f"| build (forward) | {r['build_s']:.2f} s | — | — |",
            f"| backward | {r['backward_s']:.2f} s | — | — |",
            f"| build + backward | {r['build_backward_s']:.2f} s | {t} |",
            f"| free (`del root`) | {r['free_s']:.2f} s | — | — |",
            f"| GC share of all that | {100 * r['gc_share']:.0f}% | — | — |",
            f"| peak resident memory | {gib:.2f} GiB (baseline "
            f"{r['baseline_rss_bytes'] / 2**20:.0f} MiB) | {m} |", ""]


# ---- main ----------------------------------------------------------------------------------------
def write_json_atomic(path: Path, data: dict) -> None:
    """Write JSON atomically (the project's writer: temp file + os.replace, never half a file)."""
    from autograd_engine.files import atomic_write

    text = json.dumps(data, indent=1)
    atomic_write(path.resolve(), lambda f: f.write(text.encode("utf-8")))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="Full run: about 10 minutes on a 2-core machine.")
    ap.add_argument("--quick", action="store_true", help="tiny sizes (a smoke test, < 1 minute)")
    ap.add_argument("--workloads", default=",".join(WORKLOADS),
                    help=f"comma-separated subset of {','.join(WORKLOADS)} (default: all)")
    ap.add_argument("--reps", type=int, help="repetitions per W1/W3 case (default: per size)")
    ap.add_argument("--steps", type=int, help="W2 steps per GC mode")
    ap.add_argument("--no-torch", action="store_true", help="leave PyTorch out even if installed")
    ap.add_argument("--json", type=Path, metavar="FILE", help="also write every number as JSON")
    args = ap.parse_args(argv)
    chosen = [w.strip() for w in args.workloads.split(",") if w.strip()]
    unknown = [w for w in chosen if w not in WORKLOADS]
    if unknown or not chosen:
        ap.error(f"--workloads: unknown {unknown or 'empty'}; choose from {', '.join(WORKLOADS)}")
    for name in ("reps", "steps"):
        v = getattr(args, name)
        if v is not None and v < 1:
            ap.error(f"--{name} must be ≥ 1, got {v}")
    if args.json is not None and not args.json.resolve().parent.is_dir():
        ap.error(f"--json: directory {args.json.resolve().parent} does not exist")
    args.chosen = chosen
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    plan = QUICK if args.quick else FULL
    torch = None if args.no_torch else engines.torch_or_none()
    import micrograd.nn  # noqa: F401  (imported now, so frozen below with the rest)

    # Everything imported so far (PyTorch alone is ~10^5 objects) goes to the GC's permanent
    # generation: collections scan only what the workloads make, as in a program that
    # imports no more than the engine it uses (every timed turn settles the same way).
    settle()
    T = Targets()
    started = datetime.datetime.now(datetime.timezone.utc)
    out: dict = {"meta": {"versions": engines.versions(), "cpus": os.cpu_count(),
                          "mode": "quick" if args.quick else "full", "workloads": args.chosen,
                          "plan": plan.__dict__, "started": started.isoformat(timespec="seconds"),
                          "torch_threads": 1 if torch is not None else None}}
    v = out["meta"]["versions"]
    print("# autograd-engine benchmarks\n")
    print(f"{v['implementation']} {v['python']}, autograd-engine {v['autograd-engine']}, "
          f"micrograd {v['micrograd']}, NumPy {v['numpy']}, PyTorch "
          f"{v['torch'] + ' (1 thread)' if torch is not None else 'not used'}; "
          f"{v['processor']}, {os.cpu_count()} CPUs, {v['system']}.  "
          f"{'`--quick`: tiny sizes, the numbers mean little' if args.quick else 'Full run'}.\n")
    sections: list[str] = []
    agree = True
    for w in args.chosen:
        print(f"[{w}]", file=sys.stderr, flush=True)
        if w == "w1":
            sections += w1(plan, args.reps, torch is not None, T, out)
        elif w == "w2":
            lines, agree = w2(plan, args.steps, torch, T, out)
            sections += lines
        elif w == "w3":
            sections += w3(plan, args.reps, torch, T, out)
        elif w == "w4":
            sections += w4(plan, T, out)
        elif w == "depth":
            sections += depth(plan, T, out)
        elif w == "scaling":
            sections += scaling(plan, torch, out)
        elif w == "mlp":
            sections += mlp_table(plan, torch, T, out)
        elif w == "hessian":  # benchmarks/hessian.py (Hessians; backward before/after)
            import hessian

            sections += hessian.sections(args.quick, torch, out)
        print("\n".join(sections), flush=True)
        sections = []
    out["targets"] = T.rows
    out["losses_agree"] = agree
    elapsed = datetime.datetime.now(datetime.timezone.utc) - started
    out["meta"]["seconds"] = elapsed.total_seconds()
    print("## Targets\n\n| target | measured | met |\n|---|---:|---|")
    for t in T.rows:
        print(f"| {t['what']}: {t['target']} | {t['measured']} | "
              f"{'yes' if t['met'] else '**no**'} |")
    met = sum(t["met"] for t in T.rows)
    print(f"\n{met} of {len(T.rows)} targets met; run took {out['meta']['seconds']:.0f} s.")
    if args.json:
        write_json_atomic(args.json, out)
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
