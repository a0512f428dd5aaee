"""``autograd-engine train``: train an MLP on a toy dataset from the command line.

    autograd-engine train moons --hidden 16,16 --epochs 100 --lr 0.1 --batch-size 32 \\
        --optimizer sgd --seed 1337 --save model.json --plot boundary.png --html run.html

prints a progress bar (on a terminal) and the final training and validation accuracy.
Every failure is one line on stderr: exit status 2 for a bad argument (checked before
training where it can be: a missing directory, a missing extra, a noise level that makes
infinite points, settings whose loss cannot be computed at all), 1 for a run that failed
(training diverged -- the line names the epoch, the step and the parameter -- or a file could
not be written).
"""

from __future__ import annotations

import argparse
import importlib
import math
import os
import sys

from autograd_engine.files import check_writable

from .data import DATASETS, split
from .io import save
from .losses import LOSSES
from .module import ACTIVATIONS, INITS, MLP
from .optim import OPTIMIZERS, DivergenceError
from .train import evaluate, fit

#: the extra with everything ``train``'s options need (NumPy for --compiled, matplotlib, tqdm)
NN_EXTRA = "pip install 'autograd-engine[nn]'"

# Bounds, so that every command line under 1 KB ends in bounded memory (as ``layers`` bounds
# its model): the model, the data, the epochs, and the graph one step builds.
MAX_PARAMETERS = 100_000  #: the model's weights and biases (``layers``: MAX_WEIGHTS)
MAX_SAMPLES = 100_000  #: --samples
MAX_EPOCHS = 100_000  #: --epochs
MAX_CLASSES = 100  #: --classes
MAX_STEP_WORK = 5_000_000  #: samples in one step × parameters: the size of one step's graph


def _sizes(text: str) -> list[int]:
    """'16,16' -> [16, 16]; every size a positive int, the whole model (checked in ``run``)
    at most MAX_PARAMETERS weights."""
    try:
        sizes = [int(s) for s in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated layer sizes like 16,16, got {text[:60]!r}") from None
    if any(n < 1 for n in sizes):
        raise argparse.ArgumentTypeError(f"layer sizes must be ≥ 1, got {text[:60]!r}")
    if any(n > MAX_PARAMETERS for n in sizes):
        raise argparse.ArgumentTypeError(f"a layer of more than {MAX_PARAMETERS:,} units is more than train "
                                         f"builds (nn.cli_train.MAX_PARAMETERS), got {text[:60]!r}")
    return sizes


def _bounded(kind, lo: float, hi: float = float("inf"), what: str = ""):
    """An argparse type: a number of ``kind`` with lo ≤ x < hi (or lo < x when lo is open)."""
    def parse(text: str):
        try:
            x = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what or kind.__name__}, got {text[:60]!r}") from None
        if not lo <= x < hi:
            raise argparse.ArgumentTypeError(f"must be {what or f'in [{lo}, {hi})'}, got {text[:60]!r}")
        return x
    return parse


_positive_int = _bounded(int, 1, what="a positive integer")
_positive = _bounded(float, 1e-300, what="a positive number")
_fraction = _bounded(float, 0.0, 1.0, what="a fraction in [0, 1)")
_non_negative = _bounded(float, 0.0, what="a number ≥ 0")


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "train", help="train an MLP on a toy dataset",
        description="Train an MLP on a toy 2-D dataset and report the training and validation accuracy.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)  # every option shows its default
    p.add_argument("dataset", choices=sorted(DATASETS), help="the toy dataset")
    p.add_argument("--samples", type=_bounded(int, 1, MAX_SAMPLES + 1, f"an integer from 1 to {MAX_SAMPLES:,}"),
                   default=200, help="number of points")
    p.add_argument("--noise", type=_non_negative, default=None,
                   help="noise level; None is the dataset's own")
    p.add_argument("--classes", type=_bounded(int, 2, MAX_CLASSES + 1, f"an integer from 2 to {MAX_CLASSES}"), default=3,
                   help="classes for spirals and blobs")
    p.add_argument("--hidden", type=_sizes, default="16,16", help="hidden layer sizes")
    p.add_argument("--activation", choices=sorted(ACTIVATIONS), default="relu", help="hidden-layer activation")
    p.add_argument("--init", choices=sorted(INITS), default="uniform", help="weight initialisation")
    p.add_argument("--loss", choices=sorted(LOSSES), default=None,
                   help="None is hinge for two classes, cross_entropy for more")
    p.add_argument("--optimizer", choices=sorted(OPTIMIZERS), default="sgd", help="the update rule")
    p.add_argument("--lr", type=_positive, default=0.1, help="learning rate")
    p.add_argument("--momentum", type=_fraction, default=0.0, help="SGD momentum")
    p.add_argument("--l2", type=_non_negative, default=1e-4, help="L2 penalty λ")
    p.add_argument("--epochs", type=_bounded(int, 1, MAX_EPOCHS + 1, f"an integer from 1 to {MAX_EPOCHS:,}"),
                   default=100, help="passes over the training set")
    p.add_argument("--batch-size", type=_positive_int, default=None,
                   help="samples per step; None is the full training set")
    p.add_argument("--val", type=_bounded(float, 0.01, 1.0, what="a fraction in (0, 1)"), default=0.2,
                   help="fraction held out for validation")
    p.add_argument("--patience", type=_positive_int, default=None,
                   help="early stopping: epochs without a better validation loss; None is off")
    p.add_argument("--seed", type=int, default=0, help="seed for data, weights and batch order")
    p.add_argument("--compiled", action="store_true", help=f"train on the NumPy tape (faster; {NN_EXTRA})")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--save", metavar="MODEL.json", help="save the trained model")
    p.add_argument("--plot", metavar="IMAGE", help=f"save the decision boundary (matplotlib: {NN_EXTRA})")
    p.add_argument("--html", metavar="RUN.html",
                   help=f"save the training view: the run as one self-contained page (NumPy: {NN_EXTRA})")
    p.add_argument("--snapshots", type=_bounded(int, 2, what="an integer ≥ 2"), default=100,
                   help="states of the run the --html page keeps (evenly spaced)")
    p.set_defaults(handler=run)


def _error(message: str, code: int = 2) -> int:
    """One line on stderr; exit 2 for a bad argument or setting, 1 for a run that failed
    (training diverged, a file could not be written)."""
    print(f"autograd-engine train: error: {' '.join(str(message).split())}", file=sys.stderr)
    return code


def _missing_extra(args: argparse.Namespace) -> str | None:
    """What an option needs that is not installed, checked before any training."""
    needs = [("--compiled", args.compiled, "numpy", "NumPy"), ("--plot", args.plot, "matplotlib", "matplotlib"),
             ("--html", args.html, "numpy", "NumPy")]
    for flag, asked, module, what in needs:
        if asked:
            try:
                importlib.import_module(module)
            except ImportError:
                return f"argument {flag}: needs {what}, which is not installed: {NN_EXTRA}"
    return None


def _finite_points(data) -> bool:
    return all(math.isfinite(v) for x in data.X for v in x)


def run(args: argparse.Namespace) -> int:
    for flag, path in (("--save", args.save), ("--plot", args.plot), ("--html", args.html)):
        # checked before training, so a typo does not cost a whole run
        if path is not None and not os.path.isdir(os.path.dirname(os.path.abspath(path))):
            return _error(f"argument {flag}: the directory of {path!r} does not exist")
        try:  # a FIFO or a device at the path is refused, never replaced (not /dev/full either)
            if path is not None:
                check_writable(path, f"argument {flag}")
        except (OSError, ValueError) as e:
            return _error(str(e))
    missing = _missing_extra(args)
    if missing:
        return _error(missing)
    if args.plot is not None:  # the extension names an image format, before training
        from .plot import check_image_path

        try:
            check_image_path(args.plot, "argument --plot")
        except ValueError as e:
            return _error(str(e))
    make = DATASETS[args.dataset]
    kw = {"n": args.samples, "seed": args.seed}
    if args.dataset in ("spirals", "blobs"):
        kw["k"] = args.classes
    if args.noise is not None:
        kw["std" if args.dataset == "blobs" else "noise"] = args.noise
    try:
        data = make(**kw)
        train, val = split(data, 1.0 - args.val, args.val, seed=args.seed)
    except ValueError as e:
        return _error(str(e))
    if not _finite_points(data):
        return _error(f"argument --noise: {args.noise:g} is so large that points overflow float64 "
                      "(use a noise level like 0.1)")
    k = data.n_classes
    loss = args.loss or ("hinge" if k == 2 else "cross_entropy")
    nout = 1 if loss in ("hinge", "bce") or (loss == "mse" and k == 2) else k
    if loss in ("hinge", "bce") and k != 2:
        return _error(f"argument --loss: {loss!r} is for two classes; {args.dataset} has {k} "
                      "(use --loss cross_entropy)")
    sizes = [data.n_features, *args.hidden, nout]
    n_params = sum((a + 1) * b for a, b in zip(sizes, sizes[1:]))
    if n_params > MAX_PARAMETERS:
        return _error(f"argument --hidden: {n_params:,} parameters is more than train builds "
                      f"({MAX_PARAMETERS:,}, nn.cli_train.MAX_PARAMETERS)")
    batch = min(args.batch_size or len(train), len(train))
    if batch * n_params > MAX_STEP_WORK:
        fits = max(1, MAX_STEP_WORK // n_params)
        return _error(f"argument --batch-size: a step over {batch:,} samples of a {n_params:,}-parameter model "
                      f"builds a graph of {batch * n_params:,} weight uses, more than {MAX_STEP_WORK:,} "
                      f"(nn.cli_train.MAX_STEP_WORK); pass --batch-size {fits} or less")
    model = MLP(data.n_features, args.hidden + [nout], activation=args.activation,
                init=args.init, seed=args.seed)
    opt_kw = {"momentum": args.momentum} if args.optimizer == "sgd" else {}
    opt = OPTIMIZERS[args.optimizer](model.parameters(), lr=args.lr, **opt_kw)
    print(f"{args.dataset}: {len(train)} training and {len(val)} validation points, {k} classes; "
          f"{model}; loss {loss}, {args.optimizer} lr={args.lr}")
    try:
        hist = fit(model, loss, opt, train, epochs=args.epochs, batch_size=args.batch_size, val=val,
                   early_stopping=args.patience, compiled=args.compiled, l2=args.l2,
                   progress=False if args.quiet else None, seed=args.seed,
                   snapshots=args.snapshots if args.html else None)
        train_loss, train_acc = evaluate(model, loss, train, compiled=args.compiled)
        val_loss, val_acc = evaluate(model, loss, val, compiled=args.compiled)
    except DivergenceError as e:  # the run failed: exit 1, with the step and the parameter
        return _error(str(e).removeprefix("fit: ").replace("lower the learning rate", "try a smaller --lr"), 1)
    except ValueError as e:  # the settings cannot train at all (e.g. --l2 1e308): a bad argument
        return _error(str(e).removeprefix("fit: "))
    except ImportError as e:
        return _error(str(e))
    stop = f" (stopped early, kept epoch {(hist.best_epoch or 0) + 1})" if hist.stopped_early else ""
    print(f"after {hist.epochs} epochs{stop}: train accuracy {train_acc:.1%} (loss {train_loss:.4f}), "
          f"validation accuracy {val_acc:.1%} (loss {val_loss:.4f})")
    try:
        if args.save:
            save(model, args.save)
            print(f"saved the model to {args.save}")
        if args.plot:
            from .plot import decision_boundary

            # the training points as training points, the validation points as validation
            decision_boundary(model, train, loss, path=args.plot, val=val,
                              title=f"{args.dataset}: train {train_acc:.0%}, validation {val_acc:.0%}")
            print(f"saved the decision boundary to {args.plot}")
        if args.html:
            from .training_view import training_view

            training_view(model, train, hist, val=val, title=f"{args.dataset}: {model}").save(args.html)
            print(f"saved the training view ({len(hist.snapshots)} snapshots) to {args.html}")
    except (OSError, ImportError, ValueError) as e:
        return _error(str(e), 1)
    return 0
