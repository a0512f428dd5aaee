"""Timing helpers shared by every workload: a clock for time spent in the cyclic GC, phase
timers, the round-robin schedule and paired ratios.

Method.  All engines run in one process and take turns: repetition r runs every
engine once, in an order rotated by r, so slow drifts of a noisy machine (another job, CPU
frequency, thermal state) hit every engine alike.  A speed-up of A over B is then the median
over repetitions of the paired ratio

    speed-up = median_r ( t_B[r] / t_A[r] )

which cancels what is common to one repetition and ignores outlier repetitions.
"""

from __future__ import annotations

import gc
import statistics
import time
from typing import Callable, Sequence

clock = time.perf_counter


class GCClock:
    """Seconds spent inside CPython's cyclic garbage collector, from ``gc.callbacks``
    ("start"/"stop" around every collection, automatic or ``gc.collect()``)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.collections = 0
        self._t0 = 0.0

    def _callback(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._t0 = clock()
        else:
            self.seconds += clock() - self._t0
            self.collections += 1

    def __enter__(self) -> GCClock:
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *exc) -> None:
        gc.callbacks.remove(self._callback)


def settle() -> None:
    """Collect garbage, then move everything alive to the GC's permanent generation
    (``gc.freeze``): the next timed code pays neither for an earlier turn's garbage nor for
    rescanning objects it did not make (imports, results, other engines' models).  Frozen
    objects are still freed by reference counting."""
    gc.collect()
    gc.freeze()


def phases(steps: Sequence[tuple[str, Callable[[], None]]]) -> dict[str, float]:
    """Run ``steps`` in order, timing each; also returns ``"total"`` and ``"gc"`` (seconds
    inside the cyclic GC over all steps)."""
    out: dict[str, float] = {}
    with GCClock() as gcc:
        for name, fn in steps:
            t0 = clock()
            fn()
            out[name] = clock() - t0
    out["total"] = sum(out.values())
    out["gc"] = gcc.seconds
    return out


def round_robin(names: Sequence[str], reps: int,
                run_one: Callable[[str, int], dict[str, float]],
                progress: Callable[[str], None] | None = None) -> dict[str, list[dict]]:
    """``run_one(name, r)`` for every engine name and repetition r, engines taking turns in
    an order rotated by one each repetition; returns each engine's list of samples (in
    repetition order, so samples pair up across engines)."""
    samples: dict[str, list[dict]] = {n: [] for n in names}
    k = len(names)
    for r in range(reps):
        for name in (names[(r + i) % k] for i in range(k)):
            if progress:
                progress(f"{name} rep {r + 1}/{reps}")
            samples[name].append(run_one(name, r))
    return samples


def paired_ratio(num: Sequence[float], den: Sequence[float]) -> float:
    """median_r num[r] / den[r]: how many times ``den`` fits in ``num``, repetition by
    repetition (num = the slower engine's times gives the speed-up of ``den``)."""
    if len(num) != len(den) or not num:
        raise ValueError(f"paired_ratio: need equal, non-empty samples ({len(num)}, {len(den)})")
    return statistics.median(a / b for a, b in zip(num, den))


def median(xs: Sequence[float]) -> float:
    return statistics.median(xs)


def column(samples: list[dict], key: str) -> list[float]:
    """One phase's times across repetitions."""
    return [s[key] for s in samples]
