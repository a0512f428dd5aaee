"""The training loop: :func:`fit`, with :func:`evaluate` and :func:`predict`.

One epoch is the backprop chapter's Figure 6.7: for each mini-batch of B samples, the forward pass, the
batch loss (1/B) Σₘ L(m) (+ λ·Σw²), the backward pass, and the optimizer's step
(w ← w − (η/B) Σₘ ∂L(m)/∂w for plain SGD).  After each epoch the validation loss is computed
under ``no_grad()``; with ``early_stopping=patience`` training stops once it has not improved
for ``patience`` epochs ("stop training when the validation loss rises") and the parameters
of the best epoch are restored.

``compiled=True`` runs the same computation on the compiled tape (``autograd_engine.compile``,
NumPy): the per-sample loss ``fn(features..., targets...)`` is traced once, then each batch is
one ``forward(X_batch)`` + ``backward("mean")`` over arrays (the L2 term, which depends on
the parameters only, is evaluated once per batch), and the optimizer's update is a few array
ops over all parameters (:mod:`nn.array_step`), written back into every ``Value.data``.
Losses, gradients and weights agree with the scalar engine to rounding (tested step by step).
"""

from __future__ import annotations

import math
import random
import sys
import time
from dataclasses import dataclass, field
from numbers import Real
from typing import Any, Callable, Optional, Sequence, Union

from autograd_engine import Value, no_grad
from autograd_engine.checks import check_finite_nonnegative

from .data import Dataset, batch_indices
from .losses import Loss, get_loss, l2 as l2_term, mean
from .module import Module
from .optim import DivergenceError, Optimizer
from .snapshots import Recorder, check_snapshots


@dataclass
class History:
    """Per-epoch records of a :func:`fit` run (``None`` where there is nothing to report).

    ``best_epoch`` is the 0-based epoch whose parameters the model ends with: the epoch of the
    lowest validation loss when ``early_stopping`` is on (those parameters are restored), the
    last epoch otherwise.  ``stopped_early`` says whether early stopping cut the run short.
    """

    loss: list[float] = field(default_factory=list)  # mean training batch loss, L2 included
    accuracy: list[float] = field(default_factory=list)  # on the training batches, before each step
    val_loss: list[Optional[float]] = field(default_factory=list)  # data loss only, no L2
    val_accuracy: list[Optional[float]] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)  # learning rate of the epoch's first step
    seconds: list[float] = field(default_factory=list)  # wall time of the epoch's training steps
    steps: int = 0  # optimizer steps taken (batches seen)
    best_epoch: Optional[int] = None
    stopped_early: bool = False
    snapshots: list[dict] = field(default_factory=list)  # fit(snapshots=K): see nn.snapshots
    loss_name: Optional[str] = None  # the loss trained on (nn.LOSSES' name), for the training view

    @property
    def epochs(self) -> int:
        return len(self.loss)


def _sizes(model: Module) -> tuple[int, int]:
    nin, nout = getattr(model, "nin", None), getattr(model, "nout", None)
    if not isinstance(model, Module) or not isinstance(nin, int) or not isinstance(nout, int):
        raise TypeError(f"fit: model must be an nn.MLP, Sequential, Linear or other nn.Module with "
                        f"int sizes nin and nout (a custom module reads them from its first and last "
                        f"sub-modules, or sets self.nin and self.nout), got {type(model).__name__}")
    return nin, nout


def _dataset(data, name: str, nin: int, who: str = "fit") -> Dataset:
    """``data`` as a non-empty Dataset whose points have ``nin`` features."""
    if isinstance(data, Dataset):
        out = data
    elif isinstance(data, (tuple, list)) and len(data) == 2:
        out = Dataset(list(data[0]), list(data[1]))
    else:
        raise TypeError(f"{who}: {name} must be an nn.Dataset or a pair (X, y), got {type(data).__name__}")
    if not len(out):
        raise ValueError(f"{who}: {name} is empty (no samples)")
    if out.n_features != nin:
        raise ValueError(f"{who}: {name} has points of {out.n_features} features but the model "
                         f"takes {nin} inputs")
    for i, x in enumerate(out.X):
        for j, v in enumerate(x):
            if isinstance(v, bool) or not isinstance(v, Real) or not math.isfinite(v):
                raise ValueError(f"{who}: {name} point {i} feature {j} is {v!r}; features must be "
                                 "finite numbers")
    return out


def _data(out) -> list[float]:
    return [out.data] if isinstance(out, Value) else [o.data for o in out]


class _Engine:
    """Evaluates the model and the loss on batches, on the scalar engine or on tapes.

    Compiled, it keeps one tape per purpose and batch size, each traced once: the training
    objective (per-sample loss + λ·Σw²: the L2 term is a parameter-only node the tape
    evaluates once per batch, so the batch mean is mean(L) + λ·Σw²), the data loss for
    evaluation, and the model's outputs for accuracy and predictions.
    """

    def __init__(self, model: Module, loss: Loss, compiled: bool, lam: float = 0.0,
                 backend: str = "numpy") -> None:
        self.model, self.loss, self.lam = model, loss, lam
        self.nin, self.nout = _sizes(model)
        self.params = model.parameters()
        self.compiled = compiled
        self._tapes: dict = {}
        self._matrices: list = []  # (data set, its arrays), the last two
        self.held: Any = None  # ParameterArrays: the parameters while training runs on tapes
        self._optimizer: Optional[Optimizer] = None  # the optimizer self.held was made for
        if compiled:
            self._np, compile_ = _tape_api()
            self._compile = lambda fn, n: compile_(fn, n, backend=backend)
            from . import array_step  # the update as array ops (imports NumPy)

            self._arrays = array_step

    def targets(self, data: Dataset) -> list[list[float]]:
        return [self.loss.target(c, self.nout) for c in data.y]

    def _correct(self, outs, data: Dataset) -> int:
        return sum(self.loss.predict(o) == c for o, c in zip(outs, data.y))

    # ---- scalar engine --------------------------------------------------------------------
    def _scalar(self, data: Dataset) -> tuple[Value, list[list[float]]]:
        outs = [self.model(x) for x in data.X]
        losses = [self.loss.fn(o, t) for o, t in zip(outs, self.targets(data))]
        return mean(losses), [_data(o) for o in outs]

    # ---- compiled tape ---------------------------------------------------------------------
    def _tape(self, key, B: int, fn: Callable[..., Value], n_inputs: int):
        """The tape of ``fn`` for batches of B rows, traced on first use.  One per batch size:
        a tape binds its work arrays to the size of its batch, and re-binding for every short
        last batch or validation pass would cost more than a forward pass each time."""
        tape = self._tapes.get((key, B))
        if tape is None:
            tape = self._tapes[key, B] = self._compile(fn, n_inputs)
        if self.held is not None and tape.attached is not self.held:
            tape.attach(self.held)
        return tape

    def _loss_fn(self, data: Dataset, lam: float):
        """fn(x₁..x_d, t₁..t_k) = L(model(x), t) (+ λ·Σw²) for one sample, watching the model's
        outputs (accuracy comes from the same forward pass)."""
        model, fn, d, params = self.model, self.loss.fn, self.nin, self.params
        n_t = len(self.loss.target(data.y[0], self.nout))

        def per_sample(*inputs: Value):
            t = inputs[d:]
            y = model(list(inputs[:d]))
            out = fn(y, t[0] if n_t == 1 else list(t))
            return (out + l2_term(params, lam) if lam else out), _outputs_of(y)
        return per_sample

    def _loss_tape(self, data: Dataset, lam: float):
        n_t = len(self.loss.target(data.y[0], self.nout))
        return self._tape(("loss", lam), len(data), self._loss_fn(data, lam), self.nin + n_t)

    def _matrix(self, data: Dataset):
        np = self._np
        return np.column_stack([np.asarray(data.X, dtype=float),
                                np.asarray(self.targets(data), dtype=float)])

    def outputs(self, X: Sequence[Sequence[float]]) -> list[list[float]]:
        """The model's output data for every row of X (under ``no_grad()`` when scalar)."""
        if not self.compiled:
            with no_grad():
                return [_data(self.model(x)) for x in X]
        np, model, d = self._np, self.model, self.nin
        A = np.asarray(X, dtype=float).reshape(len(X), d)

        def watch_outputs(*x: Value):
            outs = _outputs_of(model(list(x)))
            return Value.sum(outs), outs
        tape = self._tape("out", len(A), watch_outputs, d)
        tape.forward(A)
        self._settle()
        return _host(np, tape.watched()).tolist()

    # ---- what fit needs ---------------------------------------------------------------------
    def train_step(self, batch: Dataset, optimizer: Optimizer) -> tuple[float, int]:
        """One step of the chapter's Figure 6.7 on a batch: returns (batch loss, correct count)."""
        return self.train_step_at(batch, None, optimizer)

    def train_step_at(self, data: Dataset, idx: Optional[list[int]],
                      optimizer: Optimizer) -> tuple[float, int]:
        """:meth:`train_step` on the samples ``idx`` of ``data`` (None: all of them).  On tapes
        the batch is rows of ``data``'s matrix, built once per data set."""
        if not self.compiled:
            return self._scalar_step(data if idx is None else data[idx], optimizer)
        M, labels = self._matrix_of(data)
        if idx is not None:
            rows = self._np.asarray(idx, dtype=self._np.intp)
            M, labels = M[rows], labels[rows]
        tape = self._tape(("loss", self.lam), len(M), self._loss_fn(data, self.lam),
                          M.shape[1])
        held = self._hold(optimizer, tape)
        if held:  # the parameters live in arrays: zero, forward, backward, update
            self.held.zero_grad()
        else:
            for p in self.params:
                p.grad = 0.0
        value = float(tape.forward(M).mean())
        tape.backward("mean")
        right = self._correct_array(tape.watched(), labels)
        if held:
            self._arrays.array_step(optimizer, self.held)
        else:
            optimizer.step()
        return value, right

    def _scalar_step(self, batch: Dataset, optimizer: Optimizer) -> tuple[float, int]:
        for p in self.params:
            p.grad = 0.0
        total, outs = self._scalar(batch)
        if self.lam:
            total = total + l2_term(self.params, self.lam)
        total.backward()
        optimizer.step()
        return total.data, self._correct(outs, batch)

    def _matrix_of(self, data: Dataset):
        """(rows [features | targets], labels) of ``data`` as arrays; the last two data sets'
        are kept (the training and the validation set), so an epoch converts nothing."""
        for key, out in self._matrices:
            if key is data:
                return out
        np = self._np
        out = (self._matrix(data), np.asarray(data.y))
        self._matrices = [(data, out)] + self._matrices[:1]
        return out

    def _correct_array(self, outs, labels) -> int:
        """The correct count from a tape's watched outputs (B, k): as NumPy for the built-in
        losses' conventions, else each row through ``loss.predict``."""
        np = self._np
        outs = _host(np, outs)
        rule = self.loss.predict_rows
        if rule is None:
            return sum(self.loss.predict(o) == c for o, c in zip(outs.tolist(), labels.tolist()))
        return int((rule(np, outs) == labels).sum())

    def _hold(self, optimizer: Optimizer, tape) -> bool:
        """Hold the parameters as arrays for ``optimizer`` (decided once per optimizer): when
        :mod:`nn.array_step` does its update over arrays and it holds every parameter of the
        model (and of the tape)."""
        if self._optimizer is optimizer:
            return self.held is not None
        self.write_back()
        for t in self._tapes.values():
            t.detach()
        self._optimizer, self.held = optimizer, None
        mine = {id(p) for p in self.params}
        if not (self._arrays.supports(optimizer) and len(optimizer.params) == len(mine)
                and all(id(p) in mine for p in optimizer.params)
                and all(id(p) in mine for p in tape.parameters)):
            return False
        self.held = tape.hold_parameters(optimizer.params)
        self.held.deferred = True  # torch: one read of the device a step (nn.array_step's)
        for t in self._tapes.values():
            t.attach(self.held)
        return True

    def write_back(self) -> None:
        """Make the parameters' Values (and the optimizer's state lists) current from the
        arrays they live in while training runs on tapes."""
        if self.held is not None and self._optimizer is not None:
            self._arrays.write_back(self._optimizer, self.held)

    def current_parameters(self) -> list[float]:
        """The parameters' numbers now, in ``model.parameters()`` order (their Values made
        current first: a snapshot is one of fit's stated points)."""
        self.write_back()
        return [p.data for p in self.params]
    def _settle(self) -> None:
        """A forward pass outside a training step is checked now, not with the next step."""
        if self.held is not None and self.held.pending:
            self.held.settle()

    def read_values(self) -> None:
        """Take the parameters (and the optimizer's state) from the Values and lists again,
        after code that may have changed them (an ``on_epoch`` callback)."""
        if self.held is not None:
            self.held.read()
            self.held.owner = None  # the optimizer's state arrays: re-read at the next step

    def snapshot(self) -> list:
        """The parameters' numbers now (to restore with :meth:`restore`)."""
        if self.held is not None:
            return self._np.asarray(self.held.ops.to_numpy(self.held.data)).copy()
        return [p.data for p in self.params]

    def restore(self, saved) -> None:
        if self.held is not None:
            self.held.data[...] = self.held.ops.from_numpy(saved)
            self.write_back()
            return
        for p, x in zip(self.params, saved):
            p.data = x

    def evaluate(self, data: Dataset) -> tuple[float, float]:
        """(mean data loss, accuracy) on data; builds no graph and leaves every .grad alone."""
        if self.compiled:
            tape = self._loss_tape(data, 0.0)
            M, labels = self._matrix_of(data)
            value = float(tape.forward(M).mean())
            self._settle()
            return value, self._correct_array(tape.watched(), labels) / len(data)
        else:
            with no_grad():
                total, outs = self._scalar(data)
            value = total.data
        return value, self._correct(outs, data) / len(data)


def _outputs_of(y) -> list[Value]:
    """A model's output as a list of Values (one output unit: a Value)."""
    return [y] if isinstance(y, Value) else list(y)


def _host(np, out):
    """A tape's output as a NumPy array (the torch backend returns a tensor)."""
    return out if isinstance(out, np.ndarray) else out.detach().cpu().numpy()


def _tape_api():
    try:
        import numpy as np

        from autograd_engine import compile
    except ImportError as e:
        raise ImportError("fit(compiled=True) needs the compiled tape and NumPy: "
                          "pip install 'autograd-engine[nn]'") from e
    return np, compile


def _progress_bar(epochs: int, progress: Optional[bool]):
    """A tqdm bar over the epochs on stderr, or None: shown when ``progress`` is True, or when
    it is None and stderr is a terminal (so logs, pipes and notebooks stay quiet)."""
    show = progress if progress is not None else sys.stderr.isatty()
    if not show:
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        if progress:
            raise ImportError("the progress bar needs tqdm: pip install 'autograd-engine[nn]'") from None
        return None
    return tqdm(total=epochs, desc="training", unit="epoch", file=sys.stderr)


def _check_fit_args(model: Module, optimizer, epochs, batch_size, l2, early_stopping, val) -> None:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"fit: optimizer must be an nn optimizer such as "
                        f"nn.SGD(model.parameters(), lr=0.1) (nn.OPTIMIZERS: sgd, adam, adagrad, "
                        f"rmsprop), got {optimizer!r}")
    mine = {id(p) for p in model.parameters()}
    if any(id(p) not in mine for p in optimizer.params):
        raise ValueError("fit: optimizer holds parameters that are not the model's; "
                         "build it from model.parameters()")
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"fit: epochs must be a positive int, got {epochs!r}")
    if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, int)
                                   or batch_size < 1):
        raise ValueError(f"fit: batch_size must be a positive int or None (the full batch), "
                         f"got {batch_size!r}")
    check_finite_nonnegative(l2, "fit", "l2")
    if early_stopping is not None:
        if isinstance(early_stopping, bool) or not isinstance(early_stopping, int) or early_stopping < 1:
            raise ValueError(f"fit: early_stopping is a patience in epochs (int ≥ 1), got {early_stopping!r}")
        if val is None:
            raise ValueError("fit: early_stopping needs a validation set (val=...)")


#: What ``fit(live=True)`` shows: ``LIVE_VIEW(model, train, val, loss=, epochs=, evaluate=, then=)``
#: makes an ``on_epoch``.  :mod:`nn.training_view` sets it to its ``LiveView`` when imported (nn
#: imports it), so this lower layer never imports the page's module.
LIVE_VIEW: Optional[Callable[..., Callable[[int, History], None]]] = None


def fit(model: Module, loss: Union[str, Loss], optimizer: Optimizer, train, epochs: int = 100,
        batch_size: Optional[int] = None, val=None, early_stopping: Optional[int] = None,
        compiled: bool = False, progress: Optional[bool] = None, l2: float = 0.0,
        shuffle: bool = True, seed: int = 0,
        on_epoch: Optional[Callable[[int, History], None]] = None,
        backend: str = "numpy", snapshots: Optional[int] = None, live: bool = False) -> History:
    """Train ``model`` on ``train`` (a :class:`~nn.data.Dataset` or a pair (X, y)).

    Each epoch: for every mini-batch (the backprop chapter's Figure 6.7), zero the gradients, forward, the
    batch loss (1/B) Σₘ L(m) + λ·Σw², backward, ``optimizer.step()``; then, with ``val``,
    the validation loss and accuracy under ``no_grad()`` (no graph, no ``.grad`` touched).

    ``loss`` a name in ``nn.LOSSES`` ("hinge", "bce", "mse", "cross_entropy") or an
    :class:`~nn.losses.Loss`; ``batch_size=None`` is full-batch gradient descent; ``l2`` is
    λ; ``early_stopping=patience`` (needs ``val``) stops once the validation loss has not gone
    below its best for ``patience`` epochs in a row and restores the best epoch's parameters
    (``History.best_epoch``); ``compiled=True`` runs on the compiled tape, same numbers
    (``backend="torch"``: the tape on PyTorch tensors, needs the ``[torch]`` extra);
    ``progress`` True/False forces the tqdm bar on/off (default: on when stderr is a
    terminal); ``seed`` fixes the batch order (reshuffled every epoch when ``shuffle``);
    ``on_epoch(epoch, history)`` is called after each epoch; ``snapshots=K`` keeps at most K
    evenly spaced states of the run in ``History.snapshots`` (epoch 0 and the final state
    included; parameters, step, epoch, training/validation loss and accuracy: see
    :mod:`nn.snapshots`), for :func:`nn.training_view`; ``live=True`` shows that view in a
    notebook while training runs, redrawn a few times a second at most
    (:class:`nn.training_view.LiveView`; outside a notebook it shows nothing).  Returns the
    :class:`History`.

    Training that diverges stops with a :class:`~nn.optim.DivergenceError` (a ValueError)
    naming the epoch, the step and, where one is to blame, the parameter: an optimizer step
    that would make a parameter non-finite, or a loss or gradient that overflows float64 with
    the parameters the last step made.  The parameters keep their last finite values.  A
    loss that cannot be computed even before the first step (say l2=1e308) is a ValueError.
    """
    L = get_loss(loss)
    nin, _ = _sizes(model)
    _check_fit_args(model, optimizer, epochs, batch_size, l2, early_stopping, val)
    check_snapshots(snapshots)
    train = _dataset(train, "train", nin)
    val = _dataset(val, "val", nin) if val is not None else None
    if backend != "numpy" and not compiled:
        raise ValueError(f"fit: backend={backend!r} is the compiled tape's; pass compiled=True")
    engine = _Engine(model, L, compiled, float(l2), backend)
    engine.targets(train)  # a bad label is its own error, before any step
    if val is not None:
        engine.targets(val)
    names = {id(p): name for name, p in model.named_parameters()}
    rng = random.Random(seed)
    hist = History(loss_name=L.name)
    best, best_data, best_epoch, waited = math.inf, None, 0, 0
    if live:
        if LIVE_VIEW is None:
            raise ImportError("fit(live=True) needs the training view: import nn.training_view")
        on_epoch = LIVE_VIEW(model, train, val, loss=L.name, epochs=epochs, evaluate=engine.evaluate, then=on_epoch)
    recorder = Recorder(snapshots, epochs, engine.current_parameters, engine.evaluate, train, val) if snapshots else None
    if recorder is not None:
        recorder.epoch_end(0, 0)
    steps_at = [0]  # optimizer steps done after each epoch
    bar = _progress_bar(epochs, progress)
    try:
        for epoch in range(epochs):
            hist.lr.append(optimizer.current_lr())
            total = correct = 0.0
            start = time.perf_counter()
            for idx in batch_indices(len(train), batch_size, shuffle, rng):
                try:
                    value, right = engine.train_step_at(train, idx, optimizer)
                except (ValueError, ArithmeticError) as e:
                    raise _diverged(e, epoch, hist.steps, names, l2) from None
                total += value * len(idx)
                correct += right
                hist.steps += 1
            hist.seconds.append(time.perf_counter() - start)
            hist.loss.append(total / len(train))
            hist.accuracy.append(correct / len(train))
            shown = {"loss": f"{hist.loss[-1]:.4f}", "acc": f"{hist.accuracy[-1]:.1%}"}
            if val is not None:
                try:
                    vl, va = engine.evaluate(val)
                except (ValueError, ArithmeticError) as e:
                    raise _diverged(e, epoch, hist.steps, names, l2, "the validation loss") from None
                hist.val_loss.append(vl)
                hist.val_accuracy.append(va)
                shown.update(val_loss=f"{vl:.4f}", val_acc=f"{va:.1%}")
                if vl < best:
                    best, best_data, best_epoch, waited = vl, engine.snapshot(), epoch, 0
                else:
                    waited += 1
            else:
                hist.val_loss.append(None)
                hist.val_accuracy.append(None)
            if bar is not None:
                bar.set_postfix(shown, refresh=False)
                bar.update(1)
            steps_at.append(hist.steps)
            if recorder is not None:
                recorder.epoch_end(epoch + 1, hist.steps, None if val is None else (vl, va))
            if on_epoch is not None:
                engine.write_back()  # the Values are current in every callback
                on_epoch(epoch, hist)
                engine.read_values()  # and what the callback sets is what trains on
            if early_stopping is not None and waited >= early_stopping:
                hist.stopped_early = True
                break
    finally:
        engine.write_back()  # the Values are current once fit returns or raises
        if bar is not None:
            bar.close()
    if early_stopping is not None and best_data is not None:
        engine.restore(best_data)  # the best epoch's parameters
        hist.best_epoch = best_epoch
    else:
        hist.best_epoch = hist.epochs - 1
    if recorder is not None:
        done = hist.best_epoch + 1
        hist.snapshots = recorder.finish(done, steps_at[done])
    return hist


def _diverged(e: Exception, epoch: int, steps: int, names: dict[int, str], l2: float,
              what: str = "the loss or its gradient") -> ValueError:
    """fit's error for a step that cannot be taken: a :class:`DivergenceError` naming the epoch,
    the step and the parameter once training has moved the parameters, a ValueError (bad
    settings or data) when even the first batch cannot be computed.  The parameters keep
    their last finite values either way (the optimizer writes none of a failed step)."""
    if isinstance(e, DivergenceError):
        name = names.get(id(e.parameter)) if e.parameter is not None else None
        named = f" (the model's {name})" if name else ""
        return DivergenceError(f"fit: training diverged in epoch {epoch + 1}: {e}{named}",
                               step=e.step, index=e.index, parameter=e.parameter)
    # the compiled tape's "fn fails on placeholder inputs" is about its trace; the cause is the op
    cause = e.__cause__ if isinstance(e.__cause__, (ValueError, ArithmeticError)) else e
    if steps == 0:
        setting = f" with l2 = {l2:g}" if l2 else ""
        return ValueError(f"fit: {what} cannot be computed at the initial parameters{setting}: {cause}")
    return DivergenceError(
        f"fit: training diverged in epoch {epoch + 1}: after {steps} optimizer step{'s' * (steps > 1)} "
        f"{what} is no longer finite ({cause}); the parameters keep their values from step {steps}, "
        "the last finite ones (lower the learning rate)", step=steps + 1)


def _default_loss(model: Module, loss: Union[str, Loss, None]) -> Loss:
    """``loss``, or the usual one for the model's outputs: hinge for one, cross-entropy for more."""
    if loss is None:
        return get_loss("hinge" if _sizes(model)[1] == 1 else "cross_entropy")
    return get_loss(loss)


def evaluate(model: Module, loss: Union[str, Loss], data, compiled: bool = False) -> tuple[float, float]:
    """(mean per-sample loss, accuracy) of ``model`` on ``data``, under ``no_grad()``."""
    L = get_loss(loss)
    nin, _ = _sizes(model)
    return _Engine(model, L, compiled).evaluate(_dataset(data, "data", nin, "evaluate"))


def predict(model: Module, X: Sequence[Sequence[float]], loss: Union[str, Loss, None] = None,
            compiled: bool = False) -> list[int]:
    """The class ``loss``'s convention reads from the model's output for each row of X
    (hinge/bce: score > 0; cross_entropy: argmax; mse: > 0.5 or argmax).  ``loss=None``:
    hinge's for a one-output model, cross-entropy's (argmax) otherwise."""
    L = _default_loss(model, loss)
    return [L.predict(o) for o in _Engine(model, L, compiled).outputs(list(X))]


def outputs(model: Module, X: Sequence[Sequence[float]], compiled: bool = False) -> list[list[float]]:
    """The model's output numbers for each row of X (a list of nout floats per row)."""
    return _Engine(model, get_loss("mse"), compiled).outputs(list(X))
