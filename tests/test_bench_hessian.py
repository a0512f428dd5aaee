"""Smoke test of ``benchmarks/hessian.py`` (issue 12), no timing: on the benchmark's own
expression our Hessian (both modes) equals HIPS autograd's, PyTorch's and the closed form;
the "before" engine loads from git and its first-order W2-style losses equal ours and
micrograd's step by step."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("autograd")
pytest.importorskip("numpy")

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCH))

import hessian as hb  # noqa: E402


@pytest.fixture(scope="module")
def hessians():
    P = hb.problem(7)
    torch = _torch()
    return P, {name: fn() for name, fn in hb.hessian_cases(P, torch).items()}


def _torch():
    try:
        import torch
    except ImportError:
        return None
    return torch


def test_ours_equals_hips_on_the_benchmark_expression(hessians):
    P, H = hessians
    for name in ("ours forward", "ours reverse"):
        assert len(H[name]) == P.n and all(len(row) == P.n for row in H[name])
        assert hb.max_abs_diff(H[name], H["HIPS vector"]) < 1e-13, name
        assert hb.max_abs_diff(H[name], H["HIPS scalar"]) < 1e-13, name
    # not a trivial matrix: dense, with entries of both signs, symmetric
    flat = [x for row in H["ours reverse"] for x in row]
    assert min(flat) < -1e-3 and max(flat) > 1e-3 and all(abs(x) > 1e-12 for x in flat)
    Hr = H["ours reverse"]
    assert all(math.isclose(Hr[i][j], Hr[j][i], rel_tol=1e-12) for i in range(P.n) for j in range(i))


def test_every_engine_matches_the_closed_form(hessians):
    P, H = hessians
    exact = hb.hessian_closed_form(P)
    for name, M in H.items():
        assert hb.max_abs_diff(M, exact) < 1e-13, name
    if _torch() is None:
        pytest.skip("PyTorch not importable: its Hessian row is not checked")
    assert "torch vector" in H


def test_closed_form_catches_a_wrong_hessian():
    """The oracle is sharp: a sign flip or a transpose of one off-diagonal entry is seen."""
    P = hb.problem(4)
    exact = hb.hessian_closed_form(P)
    wrong = [row[:] for row in exact]
    wrong[0][1] = -wrong[0][1]
    assert hb.max_abs_diff(wrong, exact) > 1e-3
    with pytest.raises(ValueError, match="shape"):
        hb.max_abs_diff(exact, exact[:-1])
    with pytest.raises(ValueError, match="n and hidden"):
        hb.problem(0)


def test_before_engine_and_the_w2_style_step():
    pytest.importorskip("micrograd")
    old, why = hb.load_before()
    if old is None:
        pytest.skip(f"no git history here: {why}")
    import autograd_engine

    assert old.Value is not autograd_engine.Value  # really a second copy of the engine
    assert not hasattr(old, "gradients")  # ... from before issue 12
    X, T = hb.training.moons(6)
    from micrograd.engine import Value as MicroValue

    runs = [hb.demo_trainer(leaf, X, T) for leaf in (old.Value, autograd_engine.Value, MicroValue)]
    losses = [[step(k) for k in range(3)] for step in runs]
    for ls in losses[1:]:
        assert all(math.isclose(a, b, rel_tol=1e-12) for a, b in zip(ls, losses[0]))
    assert len(set(losses[0])) == 3  # it trains: the loss changes every step


def test_quick_run_prints_both_tables(tmp_path):
    out = tmp_path / "h.json"
    done = subprocess.run([sys.executable, str(BENCH / "hessian.py"), "--quick", "--ns", "3",
                           "--reps", "1", "--no-torch", "--json", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "## Hessian of f(x)" in done.stdout and "## First order" in done.stdout
    import json

    data = json.loads(out.read_text())
    assert {r["engine"] for r in data["hessian"]} >= {"ours forward", "ours reverse", "HIPS vector"}
    assert all(r["max_abs_err"] < 1e-13 for r in data["hessian"])
    after = [r for r in data["first_order"] if r["engine"] == "ours (after)"]
    assert len(after) == 3  # W1 at two sizes, the W2-style step
    if any(r["engine"] == "ours (before)" for r in data["first_order"]):
        assert all(r["before_over_after"] > 0 and r["before_over_after_backward"] > 0 for r in after)


def test_default_section_row_runs_and_agrees_with_the_closed_form():
    """Issue 21's row (``--default-only``), tiny and untimed: every engine's Hessian equals the
    closed form, and the table has a row per n."""
    out: dict = {}
    lines = hb.default_section((3, 5), 1, _torch(), out)
    assert [r["n"] for r in out["hessian_default"]] == [3, 5]
    assert all(r["max_abs_err"] < 1e-13 for r in out["hessian_default"])
    assert sum(line.startswith("| 3 |") or line.startswith("| 5 |") for line in lines) == 2
