"""The training loop: :func:`fit`, with :func:`evaluate` and :func:`predict`.

One epoch is seed 000's Figure 6.7: for each mini-batch of B samples, the forward pass, the
batch loss (1/B) Σₘ L(m) (+ λ·Σw²), the backward pass, and the optimizer's step
(w ← w − (η/B) Σₘ ∂L(m)/∂w for plain SGD).  After each epoch the validation loss is computed
under ``no_grad()``; with ``early_stopping=patience`` training stops once it has not improved
for ``patience`` epochs ("stop training when the validation loss rises") and the parameters
of the best epoch are restored.

``compiled=True`` runs the same computation on the compiled tape (``autograd_engine.compile``,
NumPy): the per-sample loss ``fn(features..., targets...)`` is traced once, then each batch is
one ``forward(X_batch)`` + ``backward("mean")`` over arrays; the L2 term, which depends on the
parameters only, stays on the scalar engine.  Losses, gradients and weights agree with the
scalar engine to rounding (tested step by step).
"""

from __future__ import annotations

import math
import random
import sys
from dataclasses import dataclass, field
from typing import Callable, Optional, Sequence, Union

from autograd_engine import Value, no_grad

from .data import Dataset, batches
from .losses import Loss, get_loss, l2 as l2_term, mean
from .module import Module
from .optim import Optimizer


@dataclass
class History:
    """Per-epoch records of a :func:`fit` run (``None`` where there is nothing to report)."""

    loss: list[float] = field(default_factory=list)  # mean training batch loss, L2 included
    accuracy: list[float] = field(default_factory=list)  # on the training batches, before each step
    val_loss: list[Optional[float]] = field(default_factory=list)  # data loss only, no L2
    val_accuracy: list[Optional[float]] = field(default_factory=list)
    best_epoch: Optional[int] = None  # 0-based epoch whose parameters the model ends with
    stopped_early: bool = False

    @property
    def epochs(self) -> int:
        return len(self.loss)


def _sizes(model: Module) -> tuple[int, int]:
    nin, nout = getattr(model, "nin", None), getattr(model, "nout", None)
    if not isinstance(nin, int) or not isinstance(nout, int):
        raise TypeError(f"fit: model must be an nn.MLP, Layer or Neuron (with nin and nout), "
                        f"got {type(model).__name__}")
    return nin, nout


def _dataset(data, name: str) -> Dataset:
    if isinstance(data, Dataset):
        out = data
    elif isinstance(data, (tuple, list)) and len(data) == 2:
        out = Dataset(list(data[0]), list(data[1]))
    else:
        raise TypeError(f"fit: {name} must be an nn.Dataset or a pair (X, y), got {type(data).__name__}")
    if not len(out):
        raise ValueError(f"fit: {name} is empty")
    return out


def _data(out) -> list[float]:
    return [out.data] if isinstance(out, Value) else [o.data for o in out]


class _Engine:
    """Evaluates the model and the loss on batches, on the scalar engine or on tapes."""

    def __init__(self, model: Module, loss: Loss, compiled: bool) -> None:
        self.model, self.loss = model, loss
        self.nin, self.nout = _sizes(model)
        self.compiled = compiled
        self._loss_tape = None
        self._out_tapes = None
        if compiled:
            self._np, self._compile = _tape_api()

    # ---- targets --------------------------------------------------------------------------
    def targets(self, data: Dataset) -> list[list[float]]:
        return [self.loss.target(c, self.nout) for c in data.y]

    def _per_sample(self, n_targets: int) -> Callable[..., Value]:
        model, fn, d = self.model, self.loss.fn, self.nin

        def per_sample(*inputs: Value) -> Value:
            t = inputs[d:]
            return fn(model(list(inputs[:d])), t[0] if n_targets == 1 else list(t))
        return per_sample

    # ---- scalar engine --------------------------------------------------------------------
    def _scalar(self, data: Dataset) -> tuple[Value, list[list[float]]]:
        outs = [self.model(x) for x in data.X]
        losses = [self.loss.fn(o, t) for o, t in zip(outs, self.targets(data))]
        return mean(losses), [_data(o) for o in outs]

    # ---- compiled tape ---------------------------------------------------------------------
    def _matrix(self, data: Dataset):
        np = self._np
        return np.column_stack([np.asarray(data.X, dtype=float).reshape(len(data), self.nin),
                                np.asarray(self.targets(data), dtype=float)])

    def _tape(self, data: Dataset):
        if self._loss_tape is None:
            n_t = len(self.loss.target(data.y[0], self.nout))
            self._loss_tape = self._compile(self._per_sample(n_t), self.nin + n_t)
        return self._loss_tape

    def outputs(self, X: Sequence[Sequence[float]]) -> list[list[float]]:
        """The model's output data for every row of X."""
        if not self.compiled:
            with no_grad():
                return [_data(self.model(x)) for x in X]
        if self._out_tapes is None:
            model, nout = self.model, self.nout
            self._out_tapes = [
                self._compile((lambda *x: model(list(x))) if nout == 1 else
                              (lambda *x, k=k: model(list(x))[k]), self.nin)
                for k in range(nout)]
        A = self._np.asarray(X, dtype=float).reshape(len(X), self.nin)
        cols = [t.forward(A) for t in self._out_tapes]
        return self._np.column_stack(cols).tolist()

    # ---- what fit needs ---------------------------------------------------------------------
    def train_step(self, batch: Dataset, optimizer: Optimizer, lam: float) -> tuple[float, int]:
        """One step of seed 000's Fig. 6.7 on a batch: returns (batch loss, correct count)."""
        params = self.model.parameters()
        self.model.zero_grad()
        reg = l2_term(params, lam) if lam else None
        if self.compiled:
            tape = self._tape(batch)
            value = float(self._np.mean(tape.forward(self._matrix(batch))))
            tape.backward("mean")
            if reg is not None:
                reg.backward()  # adds 2λw: the tape's mean plus the scalar engine's L2 term
                value += reg.data
            outs = self.outputs(batch.X)
        else:
            total, outs = self._scalar(batch)
            if reg is not None:
                total = total + reg
            total.backward()
            value = total.data
        optimizer.step()
        correct = sum(self.loss.predict(o) == c for o, c in zip(outs, batch.y))
        return value, correct

    def evaluate(self, data: Dataset) -> tuple[float, float]:
        """(mean loss, accuracy) on data, recording no graph."""
        if self.compiled:
            value = float(self._np.mean(self._tape(data).forward(self._matrix(data))))
            outs = self.outputs(data.X)
        else:
            with no_grad():
                total, outs = self._scalar(data)
            value = total.data
        correct = sum(self.loss.predict(o) == c for o, c in zip(outs, data.y))
        return value, correct / len(data)


def _tape_api():
    try:
        import numpy as np

        from autograd_engine import compile
    except ImportError as e:
        raise ImportError("fit(compiled=True) needs the compiled tape and NumPy: "
                          "pip install 'autograd-engine[nn]'") from e
    return np, compile


def _progress_bar(epochs: int, progress: Optional[bool]):
    """A tqdm bar over the epochs, or None: shown when ``progress`` is True, or when it is None
    and stderr is a terminal."""
    show = progress if progress is not None else sys.stderr.isatty()
    if not show:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        if progress:
            raise ImportError("the progress bar needs tqdm: pip install 'autograd-engine[nn]'") from None
        return None
    return tqdm(total=epochs, desc="training", unit="epoch", file=sys.stderr)


def fit(model: Module, loss: Union[str, Loss], optimizer: Optimizer, train, epochs: int = 100,
        batch_size: Optional[int] = None, val=None, early_stopping: Optional[int] = None,
        compiled: bool = False, progress: Optional[bool] = None, l2: float = 0.0,
        shuffle: bool = True, seed: int = 0,
        on_epoch: Optional[Callable[[int, History], None]] = None) -> History:
    """Train ``model`` on ``train`` (a :class:`~nn.data.Dataset` or a pair (X, y)).

    ``loss`` a name in ``nn.LOSSES`` ("hinge", "bce", "mse", "cross_entropy") or an
    :class:`~nn.losses.Loss`; ``batch_size=None`` is full-batch gradient descent;
    ``l2`` adds λ·Σw² to every batch loss; ``early_stopping=patience`` needs ``val``;
    ``compiled=True`` uses the NumPy tape; ``progress`` True/False forces the tqdm bar on/off
    (default: on when stderr is a terminal); ``seed`` fixes the batch order (reshuffled every
    epoch when ``shuffle``); ``on_epoch(epoch, history)`` is called after each epoch.
    Returns the :class:`History`.
    """
    L = get_loss(loss)
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"fit: optimizer must be an nn optimizer (SGD, Adam, ...), got {optimizer!r}")
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"fit: epochs must be a positive int, got {epochs!r}")
    if not isinstance(l2, (int, float)) or not 0 <= l2 < math.inf:
        raise ValueError(f"fit: l2 must be a finite number ≥ 0, got {l2!r}")
    train = _dataset(train, "train")
    val = _dataset(val, "val") if val is not None else None
    if early_stopping is not None:
        if val is None:
            raise ValueError("fit: early_stopping needs a validation set (val=...)")
        if isinstance(early_stopping, bool) or not isinstance(early_stopping, int) or early_stopping < 1:
            raise ValueError(f"fit: early_stopping is a patience in epochs (int ≥ 1), got {early_stopping!r}")
    engine = _Engine(model, L, compiled)
    params = model.parameters()
    rng = random.Random(seed)
    hist = History()
    best, best_data, best_epoch, waited = math.inf, None, 0, 0
    bar = _progress_bar(epochs, progress)
    try:
        for epoch in range(epochs):
            total = correct = 0.0
            for batch in batches(train, batch_size, shuffle, rng):
                value, right = engine.train_step(batch, optimizer, l2)
                total += value * len(batch)
                correct += right
            hist.loss.append(total / len(train))
            hist.accuracy.append(correct / len(train))
            shown = {"loss": f"{hist.loss[-1]:.4f}", "acc": f"{hist.accuracy[-1]:.1%}"}
            if val is not None:
                vl, va = engine.evaluate(val)
                hist.val_loss.append(vl)
                hist.val_accuracy.append(va)
                shown.update(val_loss=f"{vl:.4f}", val_acc=f"{va:.1%}")
                if vl < best:
                    best, best_data, best_epoch, waited = vl, [p.data for p in params], epoch, 0
                else:
                    waited += 1
            else:
                hist.val_loss.append(None)
                hist.val_accuracy.append(None)
            if bar is not None:
                bar.set_postfix(shown, refresh=False)
                bar.update(1)
            if on_epoch is not None:
                on_epoch(epoch, hist)
            if early_stopping is not None and waited >= early_stopping:
                hist.stopped_early = True
                break
    finally:
        if bar is not None:
            bar.close()
    if early_stopping is not None and best_data is not None:
        for p, x in zip(params, best_data):  # restore the best epoch's parameters
            p.data = x
        hist.best_epoch = best_epoch
    else:
        hist.best_epoch = hist.epochs - 1
    return hist


def evaluate(model: Module, loss: Union[str, Loss], data, compiled: bool = False) -> tuple[float, float]:
    """(mean per-sample loss, accuracy) of ``model`` on ``data``, under ``no_grad()``."""
    return _Engine(model, get_loss(loss), compiled).evaluate(_dataset(data, "data"))


def predict(model: Module, X: Sequence[Sequence[float]], loss: Union[str, Loss] = "hinge",
            compiled: bool = False) -> list[int]:
    """The class ``loss``'s convention reads from the model's output for each row of X
    (hinge/bce: score > 0; cross_entropy: argmax; mse: > 0.5 or argmax)."""
    L = get_loss(loss)
    return [L.predict(o) for o in _Engine(model, L, compiled).outputs(list(X))]


def outputs(model: Module, X: Sequence[Sequence[float]], compiled: bool = False) -> list[list[float]]:
    """The model's output numbers for each row of X (a list of nout floats per row)."""
    return _Engine(model, get_loss("mse"), compiled).outputs(list(X))
