"""Smoke tests of issue 26's benchmark scripts at tiny sizes on the CPU: each runs as a
subprocess, exits 0 and writes its Markdown table where ``--out`` says (no timing asserted:
these machines are shared).  ``mlp_gpu.py --device cpu`` is the GPU script the lead runs on a
GPU machine with ``--device cuda``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("numpy")

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"


def _run(tmp_path, script: str, *args: str) -> str:
    out = tmp_path / "table.md"
    done = subprocess.run([sys.executable, str(BENCH / script), *args, "--out", str(out)],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    text = out.read_text(encoding="utf-8")
    assert text in done.stdout
    return text


def test_the_gpu_script_runs_on_the_cpu_and_writes_its_table(tmp_path):
    text = _run(tmp_path, "mlp_gpu.py", "--device", "cpu", "--quick")
    assert "| (3, [5, 3]) | 64 |" in text and "batch on the device" in text
    rows = [line for line in text.splitlines() if line.startswith("| (")]
    assert len(rows) == 4
    for line in rows:  # the two engines' first losses agree
        assert float(line.split("|")[7]) < 1e-12


def test_the_gpu_script_says_when_there_is_no_cuda(tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    done = subprocess.run([sys.executable, str(BENCH / "mlp_gpu.py"), "--device", "cuda"],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 2 and "no CUDA device" in done.stderr


def test_the_fit_epoch_benchmark_writes_its_table(tmp_path):
    text = _run(tmp_path, "fit_epoch.py", "--quick")
    assert "| (3, [5, 3]) | 8 | 32 |" in text and "Load average" in text


def test_the_gpu_scripts_graph_column_on_the_cpu(tmp_path, monkeypatch):
    """``--graph`` on a CPU says n/a; the graph engine's bookkeeping (a third engine in the
    rotation, its losses compared with the tape's at every step) checked here with the
    captured step's body run uncaptured (graph=False), as a CUDA graph cannot run here."""
    text = _run(tmp_path, "mlp_gpu.py", "--device", "cpu", "--quick", "--graph")
    rows = [line for line in text.splitlines() if line.startswith("| (")]
    assert len(rows) == 4 and all(line.count("n/a (CPU)") == 4 for line in rows)
    assert "graph ÷ PyTorch, device batch" in text and "Captured step (`--graph`): n/a (CPU)" in text
    import importlib

    monkeypatch.syspath_prepend(str(BENCH))
    mlp_gpu = importlib.import_module("mlp_gpu")
    import torch

    from nn.graph_step import capture_step

    def uncaptured(torch_, sizes, device):
        model = mlp_gpu.model_of(sizes)
        tape = mlp_gpu.compile_tape(mlp_gpu.per_sample(model, sizes[-1]), sizes[0] + sizes[-1],
                                    backend="torch", device=device)
        opt = mlp_gpu.nn.SGD(model.parameters(), lr=mlp_gpu.LR)
        tape.hold_parameters(opt.params)
        return capture_step(tape, opt, graph=False)
    monkeypatch.setattr(mlp_gpu, "graph_engine", uncaptured)
    row = mlp_gpu.cell(torch, (3, 5, 3), 16, "cpu", steps=2, warmup=3, graph=True)
    assert row["numpy"]["graph_same"] and row["tensor"]["graph_same"]
    line = mlp_gpu.markdown([row], "cuda", "pretend", graph=True).splitlines()[4]
    assert line.endswith(" ms | yes |") and line.count("×") == 4
    # a captured step that fails is said in the table; the other engines' numbers stay
    calls = []

    def failing(torch_, sizes, device):
        def step(batch):
            calls.append(1)
            if len(calls) > 1:
                raise RuntimeError("capture_step: capturing the step in a CUDA graph failed (x)")
            return 0.0
        return step
    monkeypatch.setattr(mlp_gpu, "graph_engine", failing)
    row = mlp_gpu.cell(torch, (3, 5, 3), 16, "cpu", steps=2, warmup=3, graph=True)
    assert row["tensor"]["graph_error"].startswith("RuntimeError: capture_step: capturing")
    text = mlp_gpu.markdown([row], "cuda", "pretend", graph=True)
    assert "error (below) |" in text and "Captured step failed: RuntimeError" in text
    assert row["tensor"]["ratio"] > 0
