"""Pictures of training: the decision boundary with the data, and the loss curve.

Needs matplotlib (the ``[nn]`` extra), imported on first use.  The boundary evaluates the
model on a grid with the compiled tape (one NumPy pass per output instead of 10,000 scalar
forward passes).  ``path=`` saves the figure atomically (temporary file + ``os.replace``).
"""

from __future__ import annotations

import io
import os
from typing import Optional, Union

from .data import Dataset
from autograd_engine.files import atomic_write, check_writable
from .losses import Loss, get_loss
from .module import Module
from .train import History, outputs


def _pyplot():
    try:
        import matplotlib.pyplot as plt  # picks a headless backend when there is no display
    except ImportError as e:
        raise ImportError("nn.plot needs matplotlib: pip install 'autograd-engine[nn]'") from e
    return plt


def check_image_path(path, who: str = "nn.plot") -> None:
    """Refuse, before any work, a path matplotlib cannot write a picture to: a name ending in
    an extension that is no image format it knows (``boundary.txt``), or a FIFO, device or
    socket already there (:func:`~autograd_engine.files.check_writable`).  ValueErrors naming
    ``who``."""
    from matplotlib.backend_bases import FigureCanvasBase  # the [nn] extra, only now

    fmt = os.path.splitext(os.fspath(path))[1].lstrip(".").lower() or "png"
    formats = FigureCanvasBase.get_supported_filetypes()
    if fmt not in formats:
        raise ValueError(f"{who}: {os.fspath(path)[:200]!r} ends in .{fmt[:20]}, which is not an image "
                         f"format matplotlib writes (use .png, .svg or .pdf; all: {', '.join(sorted(formats))})")
    check_writable(path, who)


def _save(fig, path) -> None:
    fmt = os.path.splitext(os.fspath(path))[1].lstrip(".").lower() or "png"
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=120, bbox_inches="tight")
    atomic_write(path, lambda f: f.write(buf.getvalue()), "nn.plot")


def decision_boundary(model: Module, data: Dataset, loss: Union[str, Loss] = "hinge",
                      resolution: int = 120, ax=None, path=None, title: Optional[str] = None,
                      val: Optional[Dataset] = None):
    """Colour the plane by the class the model predicts (``loss``'s convention: score > 0
    for hinge/bce, argmax for cross_entropy) and scatter ``data`` on top; ``val``, if given,
    is drawn too, as hollow triangles (training points are filled circles), so the points
    the model learned from and those it is judged on can be told apart.  The axes are labelled
    x₁ and x₂ (the two input features) and a legend names each class and each set.
    Returns the Axes."""
    if path is not None:
        check_image_path(path, "decision_boundary")  # before any drawing
    if data.n_features != 2:
        raise ValueError(f"decision_boundary: needs 2-D points, the data has {data.n_features} features")
    if val is not None and val.n_features != 2:
        raise ValueError(f"decision_boundary: needs 2-D points, the validation data has {val.n_features} features")
    plt = _pyplot()
    import numpy as np
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    L = get_loss(loss)
    X = np.asarray(data.X, dtype=float)
    y = np.asarray(data.y)
    Xv = np.asarray(val.X, dtype=float) if val is not None else np.empty((0, 2))
    yv = np.asarray(val.y) if val is not None else np.empty(0, dtype=int)
    every = np.vstack([X, Xv])
    pad = 0.25 * (every.max(axis=0) - every.min(axis=0)) + 1e-9
    lo, hi = every.min(axis=0) - pad, every.max(axis=0) + pad
    xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    grid = np.column_stack([xx.ravel(), yy.ravel()])
    classes = np.array([L.predict(o) for o in outputs(model, grid.tolist(), compiled=True)])
    if ax is None:
        fig, ax = plt.subplots(figsize=(5, 5))
    k = int(max(classes.max(), y.max(), yv.max() if len(yv) else 0)) + 1
    cmap = plt.get_cmap("coolwarm" if k == 2 else "viridis", k)
    ax.contourf(xx, yy, classes.reshape(xx.shape), levels=np.arange(k + 1) - 0.5, cmap=cmap, alpha=0.35)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap=cmap, vmin=-0.5, vmax=k - 0.5, s=18, marker="o",
               edgecolors="k", linewidths=0.4, label=f"training ({len(X)})")
    if val is not None:
        ax.scatter(Xv[:, 0], Xv[:, 1], facecolors="none", edgecolors=cmap(yv), s=40, marker="^",
                   linewidths=1.2, label=f"validation ({len(Xv)})")
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_xlabel("x₁ (feature 1)")
    ax.set_ylabel("x₂ (feature 2)")
    handles: list = [Patch(facecolor=cmap(c), alpha=0.6, label=f"predicted class {c}") for c in range(k)]
    handles.append(Line2D([], [], marker="o", linestyle="", color="gray", markeredgecolor="k",
                          label=f"training points ({len(X)})"))
    if val is not None:
        handles.append(Line2D([], [], marker="^", linestyle="", markerfacecolor="none", markeredgecolor="gray",
                              label=f"validation points ({len(Xv)})"))
    ax.legend(handles=handles, loc="best", fontsize=8, framealpha=0.8)
    ax.set_title(title or "decision boundary")
    if path is not None:
        _save(ax.figure, path)
    return ax


def loss_curve(history: History, ax=None, path=None, title: Optional[str] = None):
    """Training (and validation) loss per epoch, accuracy on a second axis; the epoch whose
    parameters the model kept is marked.  Returns the Axes."""
    if path is not None:
        check_image_path(path, "loss_curve")  # before any drawing
    plt = _pyplot()
    if ax is None:
        fig, ax = plt.subplots(figsize=(6, 3.5))
    epochs = range(1, history.epochs + 1)
    ax.plot(epochs, history.loss, label="training loss", color="C0")
    if any(v is not None for v in history.val_loss):
        ax.plot(epochs, history.val_loss, label="validation loss", color="C1")
    if history.best_epoch is not None and history.best_epoch < history.epochs - 1:
        ax.axvline(history.best_epoch + 1, color="gray", linestyle=":", label="best epoch (kept)")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    acc = ax.twinx()
    acc.plot(epochs, history.accuracy, color="C2", alpha=0.6, linestyle="--", label="training accuracy")
    acc.set_ylim(0, 1.02)
    acc.set_ylabel("accuracy")
    lines = ax.get_legend_handles_labels()
    more = acc.get_legend_handles_labels()
    ax.legend(lines[0] + more[0], lines[1] + more[1], loc="center right", fontsize=8)
    ax.set_title(title or "loss curve")
    if path is not None:
        _save(ax.figure, path)
    return ax
