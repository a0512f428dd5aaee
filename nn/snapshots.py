"""Snapshots of a training run, for watching a network learn (``nn.fit(..., snapshots=K)``).

A snapshot is the state after some number of epochs — epoch 0 is the untrained model — as
plain data: ``{"step", "epoch", "params", "loss", "accuracy", "val_loss", "val_accuracy"}``,
``params`` the numbers of ``model.parameters()`` in that order, the losses and accuracies
those parameters give (data loss, no L2) on the training and validation sets.

At most K snapshots are kept, evenly spaced over the planned epochs 0..E::

    kept epochs = { round(i·E/(K−1)) : i = 0..K−1 }        (the first, 0, and the last, E)

so memory is bounded by K·(P + 7) numbers for P parameters, whatever E is.  A run that stops
early (``early_stopping``) adds the state it ends with as its last snapshot, dropping the
kept one before it if that would make K + 1.
"""

from __future__ import annotations

from typing import Callable, Optional

__all__ = ["Recorder", "planned_epochs"]


def planned_epochs(epochs: int, k: int) -> list[int]:
    """The epochs 0..``epochs`` a K-snapshot recording keeps: evenly spaced, first and last
    included, at most ``k`` of them (fewer when there are fewer epochs than snapshots)."""
    if k >= epochs + 1:
        return list(range(epochs + 1))
    return sorted({round(i * epochs / (k - 1)) for i in range(k)})


def check_snapshots(k) -> None:
    """``k`` as fit's ``snapshots=``: None or an int ≥ 2 (the first and the last)."""
    if k is not None and (isinstance(k, bool) or not isinstance(k, int) or k < 2):
        raise ValueError(f"fit: snapshots must be an int ≥ 2 (the first and the last state are "
                         f"both kept) or None, got {k!r}")


class Recorder:
    """Keeps the snapshots of one run.  ``params()`` gives the model's parameters now, in
    ``model.parameters()`` order; ``evaluate(data) -> (loss, accuracy)`` measures a dataset at
    them (fit's engine, so compiled runs stay compiled and read their parameter arrays)."""

    def __init__(self, k: int, epochs: int, params: Callable[[], list[float]],
                 evaluate: Callable, train, val=None) -> None:
        self.k = k
        self.keep = set(planned_epochs(epochs, k))
        self.params, self.evaluate, self.train, self.val = params, evaluate, train, val
        self.snapshots: list[dict] = []

    def _snapshot(self, epoch: int, step: int, val_result: Optional[tuple] = None) -> dict:
        loss, acc = self.evaluate(self.train)
        if self.val is None:
            val_loss, val_acc = None, None
        else:
            val_loss, val_acc = val_result if val_result is not None else self.evaluate(self.val)
        return {"step": step, "epoch": epoch, "params": self.params(),
                "loss": loss, "accuracy": acc, "val_loss": val_loss, "val_accuracy": val_acc}

    def epoch_end(self, epoch: int, step: int, val_result: Optional[tuple] = None) -> None:
        """Called with 0 before training and with the number of epochs done after each one;
        ``val_result`` is (loss, accuracy) on the validation set at these parameters when the
        caller has just measured it (fit has), so it is not measured twice."""
        if epoch in self.keep:
            self.snapshots.append(self._snapshot(epoch, step, val_result))

    def finish(self, epoch: int, step: int) -> list[dict]:
        """The run is over after ``epoch`` epochs and ``step`` steps: make sure the model's final
        state is the last snapshot (early stopping ends before the plan, and may have restored
        an earlier epoch's parameters), within K.  Returns the snapshots."""
        final = self.params()
        last: Optional[dict] = self.snapshots[-1] if self.snapshots else None
        if last is None or last["params"] != final:
            if len(self.snapshots) >= self.k:  # K ≥ 2: the one dropped is never the first
                self.snapshots.pop()
            self.snapshots.append(self._snapshot(epoch, step))
        return self.snapshots
