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
