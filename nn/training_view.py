"""Watch a network learn: one self-contained page linking the decision boundary to one edge's gradient.

``training_view(model, train, history)`` turns the snapshots of a ``fit(..., snapshots=K)``
run into a page (shown inline in a notebook, or ``.save("run.html")``) with

* the decision boundary (the output surface) over the 2-D input plane, with the training and
  validation points, played over the snapshots (scrubber, play/pause, keys ← → space Home End);
* the loss and accuracy curves with a cursor at the current snapshot;
* the network diagram in the gist's notation w[l][j][k] (the weight from neuron k of layer l−1
  to neuron j of layer l), edges coloured by weight, each neuron's own output a_l,j as a small
  heatmap over the plane (TensorFlow Playground's thumbnails);
* a click on the plane: that point's forward pass z_l = W_l a_(l−1) + b_l, a_l = S_l(z_l), its
  loss C, δ_l = ∂C/∂z_l by BP1 (δ_L = ∇_a C ⊙ S′_L(z_L)) and BP2 (δ_l = W_(l+1)ᵀ δ_(l+1) ⊙
  S′_l(z_l)), and ∂C/∂w[l][j][k] = δ_l,j · a_(l−1),k (BP4) — the names and numbers of
  :func:`nn.layers_backprop.algorithm1`; one click further, that sample's scalar graph stepped
  edge by edge (:mod:`nn.training_graph`: laid out once, the numbers of ``backward_steps``);
* a slider that drags the chosen weight or bias (the boundary and the loss move), and a
  prediction mode that asks which way that weight moves next (the sign of −∂C/∂w of the
  training loss) before it reveals the next snapshot, and keeps score.

No derivative is written for the page: its S, S′ are the activations' rows of the rule table and
its C, ∇_a C the losses' formula text (:data:`nn.losses.LOSS_FORMULAS`), both compiled to
JavaScript by :mod:`autograd_engine.rules_js`.  The page exposes ``window.trainingView.sample(k,
x, t)`` → ``{z, a, delta, loss}`` (``z[l]`` for l = 1..L, index 0 unused) for tests.

Like the backprop player the page loads nothing (CSS and script inlined, CSP ``default-src
'none'``), carries its data as escaped JSON in ``<script type="application/json"
id="training-data">`` and writes every label with ``textContent``.  Models: ``nn.MLP``,
``nn.Layer``, ``nn.Neuron`` with the activations of ``layers_backprop.ACTIVATION_RULES`` and
the built-in losses; inputs of another size than 2 get the curves and the diagram, no plane.
"""

from __future__ import annotations

import html
import math
import os
import re
from importlib import resources
from pathlib import Path
from typing import Optional, Sequence, Union

from autograd_engine.files import atomic_write, writable_target
from autograd_engine.rules_js import expression, rules_javascript
from autograd_engine.teach.player import json_for_script

from .data import Dataset
from .layers_backprop import ACTIVATION_RULES, _layers_of, network
from .losses import LOSS_FORMULAS, get_loss
from .training_graph import sample_graph
from . import train as _train
from .train import History

PathLike = Union[str, os.PathLike]

__all__ = ["TrainingView", "training_view", "training_data", "losses_javascript", "MAX_SNAPSHOTS"]

MAX_SNAPSHOTS = 1000
"""The most snapshots a page carries (each is every parameter): record fewer with
``fit(snapshots=K)``; a page of 200 snapshots of MLP(2, [16, 16, 1]) is about 1.3 MB."""

_ASSETS = "training_assets"
_WHO = "training_view"


def _dataset(data, name: str) -> Dataset:
    if isinstance(data, Dataset):
        return data
    if isinstance(data, (tuple, list)) and len(data) == 2:
        return Dataset([list(x) for x in data[0]], list(data[1]))
    raise TypeError(f"{_WHO}: {name} must be an nn.Dataset or a pair (X, y), got {type(data).__name__}")


def _finite_list(xs, who: str) -> list[float]:
    out = []
    for x in xs:
        if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
            raise ValueError(f"{_WHO}: {who} holds {x!r}; the page needs finite numbers")
        out.append(float(x))
    return out


def _plane(points: Sequence[Sequence[float]]) -> dict:
    """The square of the input plane shown: the points' box, 10 % wider each side."""
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    pad_x = (max(xs) - min(xs)) * 0.1 or 1.0
    pad_y = (max(ys) - min(ys)) * 0.1 or 1.0
    return {"x0": min(xs) - pad_x, "x1": max(xs) + pad_x, "y0": min(ys) - pad_y, "y1": max(ys) + pad_y}


def _predict_kind(loss: str, nout: int) -> str:
    """How the page reads a class from the output, as nn.LOSSES' ``predict`` does."""
    if nout > 1:
        return "argmax"
    return "half" if loss == "mse" else "sign"


def training_data(model, train, history: History, val=None, loss=None, title: Optional[str] = None) -> dict:
    """Everything the page shows, as plain data (what ``<script id="training-data">`` holds)."""
    if not isinstance(history, History):
        raise TypeError(f"{_WHO}: history must be the nn.History that fit returns, got {type(history).__name__}")
    snaps = history.snapshots
    if not snaps:
        raise ValueError(f"{_WHO}: the history has no snapshots; train with nn.fit(..., snapshots=50)")
    if len(snaps) > MAX_SNAPSHOTS:
        raise ValueError(f"{_WHO}: {len(snaps)} snapshots are more than the page carries "
                         f"({MAX_SNAPSHOTS}); record fewer with fit(..., snapshots=K)")
    if title is not None and not isinstance(title, str):
        raise TypeError(f"{_WHO}: title must be a str, got {type(title).__name__}")
    L = get_loss(loss if loss is not None else (history.loss_name or "hinge"))
    if L.name not in LOSS_FORMULAS or get_loss(L.name) is not L:
        raise ValueError(f"{_WHO}: the loss {L.name!r} has no formula text; the page covers "
                         f"{', '.join(LOSS_FORMULAS)}")
    layers = _layers_of(model)  # a TypeError naming what is not covered
    net = network(model)
    params = model.parameters()
    where = {id(p): i for i, p in enumerate(params)}
    for s in snaps:
        if len(s["params"]) != len(params):
            raise ValueError(f"{_WHO}: a snapshot holds {len(s['params'])} parameters but the model "
                             f"has {len(params)}; pass the model that was trained")
    index = [[{"w": [where[id(w)] for w in n.w], "b": where[id(n.b)]} for n in neurons] for neurons in layers]
    acts = []
    for name in net.S:
        spec = ACTIVATION_RULES[name]
        acts.append({"name": name, "rule": spec[0] if spec else None, "extra": list(spec[1]) if spec else []})
    train = _dataset(train, "train")
    val = _dataset(val, "val") if val is not None else None
    nin, nout = net.sizes[0], net.sizes[-1]
    for d, name in ((train, "train"), (val, "val")):
        if d is not None and d.n_features != nin:
            raise ValueError(f"{_WHO}: {name} has points of {d.n_features} features but the model takes {nin}")
    classes = sorted({int(c) for c in train.y} | ({int(c) for c in val.y} if val else set()))
    targets = {str(c): L.target(c, nout) for c in classes}
    records = []
    for s in snaps:
        records.append({"step": int(s["step"]), "epoch": int(s["epoch"]),
                        "params": _finite_list(s["params"], "a snapshot's parameters"),
                        **{key: s.get(key) for key in ("loss", "accuracy", "val_loss", "val_accuracy")}})

    def points(d: Optional[Dataset]):
        return None if d is None else {"X": [_finite_list(x, "a point") for x in d.X], "y": [int(c) for c in d.y]}

    every = train.X + (val.X if val else [])
    graph, svg, note = sample_graph(model, L, nin, nout)
    return {
        "version": 1,
        "title": title if title is not None else f"{type(model).__name__}{list(net.sizes)} learning ({L.name})",
        "loss": L.name, "sizes": list(net.sizes), "activations": acts, "index": index,
        "predict": _predict_kind(L.name, nout), "classes": classes, "targets": targets,
        "plane": _plane(every) if nin == 2 else None,
        "train": points(train), "val": points(val), "snapshots": records,
        "graph": graph, "graph_note": note, "graph_svg": svg,
    }


def losses_javascript() -> str:
    """``const LOSSES = {name: {C(a, t), grad(a, t)}, …};`` compiled from LOSS_FORMULAS' text
    (vector mode: the formulas' NumPy semantics, element-wise over arrays)."""
    lines = ["const LOSSES = {"]
    for f in LOSS_FORMULAS.values():
        lines.append(f"  // {f.name}: C = {f.C}; grad_a C = {f.grad}")
        lines.append(f"  {f.name}: {{C: (a, t) => {expression(f.C, ('a', 't'), vector=True)}, "
                     f"grad: (a, t) => {expression(f.grad, ('a', 't'), vector=True)}}},")
    lines.append("};")
    return "\n".join(lines) + "\n"


def _asset(name: str) -> str:
    return resources.files(__package__).joinpath(_ASSETS).joinpath(name).read_text(encoding="utf-8")


def page(data: dict) -> str:
    """The self-contained page: template, CSS, the generated calculus, the view's script, data."""
    generated = rules_javascript() + losses_javascript()
    shown = {key: v for key, v in data.items() if key != "graph_svg"}  # the SVG goes in as markup, once
    parts = {"TITLE": html.escape(data["title"]), "CSS": _asset("training.css"), "GENERATED": generated,
             "JS": _asset("sample_graph.js") + "\n" + _asset("training.js"), "DATA": json_for_script(shown),
             "SVG": data.get("graph_svg") or ""}
    return re.sub(r"\{\{(TITLE|CSS|GENERATED|JS|DATA|SVG)\}\}", lambda m: parts[m.group(1)], _asset("training.html"))


class TrainingView:
    """A training run as a page: ``.html``, ``.data``; shown inline in a notebook (a sandboxed
    ``<iframe srcdoc>``) and written with :meth:`save`."""

    def __init__(self, data: dict, model=None) -> None:
        self.data = data
        self.model = model
        self.html = page(data)

    def __repr__(self) -> str:
        return f"<TrainingView {self.data['title']!r}: {len(self.data['snapshots'])} snapshots>"

    def _repr_html_(self) -> str:
        return (f'<iframe srcdoc="{html.escape(self.html, quote=True)}" sandbox="allow-scripts" '
                f'title="{html.escape(self.data["title"], quote=True)}" '
                f'style="width: 100%; height: 820px; border: 1px solid #ddd;"></iframe>')

    def player(self, k: int, x, target, *, max_nodes: int = 5000):
        """One click further: the scalar graph of one sample's loss at snapshot ``k`` in the
        backprop player (:func:`autograd_engine.play`), stepping edge by edge — the names of
        the page and of ``layers_backprop`` (``w[l][j][k]``, ``z[l][j]``, ``a[l][j]``); the
        final gradient of each ``w[l][j][k]`` is the page's ∂C/∂w.  ``target`` is a class
        label or a target vector, as ``layers_backprop.algorithm1`` takes it.  Needs the
        [viz] extra; the model's parameters are left as they were."""
        from autograd_engine.teach.player import play

        from .layers_backprop import target_vector

        if self.model is None:
            raise ValueError("TrainingView.player: this view was made without its model")
        snaps = self.data["snapshots"]
        if isinstance(k, bool) or not isinstance(k, int) or not -len(snaps) <= k < len(snaps):
            raise ValueError(f"TrainingView.player: k must be a snapshot index 0..{len(snaps) - 1}, got {k!r}")
        loss = get_loss(self.data["loss"])
        nout = self.data["sizes"][-1]
        if isinstance(target, int) and not isinstance(target, bool) and self.data["loss"] != "cross_entropy":
            target = loss.target(target, nout)
        t = target_vector(loss.name, target, nout).tolist()
        params = self.model.parameters()
        saved = [p.data for p in params]
        try:
            for p, v in zip(params, snaps[k]["params"]):
                p.data = v
            root = loss.fn(self.model.trace(x).output, t)
            root.label = "C"
            return play(root, max_nodes=max_nodes, title=f"C at snapshot {k + 1 if k >= 0 else len(snaps) + k + 1}, "
                                                           f"x = {list(x)}, t = {t}")
        finally:
            for p, v in zip(params, saved):
                p.data = v

    def save(self, path: PathLike) -> Path:
        """Write the page to ``path`` atomically (the old file or the whole new one). Returns it."""
        target = writable_target(path, "TrainingView.save")  # before any work: no FIFO or device replaced
        content = self.html.encode("utf-8")
        atomic_write(target, lambda f: f.write(content), "TrainingView.save")
        return target


def training_view(model, train, history: History, *, val=None, loss=None,
                  title: Optional[str] = None) -> TrainingView:
    """The training view of a ``fit(..., snapshots=K)`` run: ``model`` the trained model (its
    structure; the numbers come from ``history.snapshots``), ``train`` (and ``val``) the data
    it was trained on, ``loss`` defaults to the one fit used.  Show it in a notebook or
    ``.save("run.html")``."""
    return TrainingView(training_data(model, train, history, val=val, loss=loss, title=title), model)


# ---- live, in a notebook -----------------------------------------------------------------------
def _notebook_display():
    """IPython's ``display`` when a kernel is running, else None (a script, a terminal, CI)."""
    try:
        from IPython import get_ipython
        from IPython.display import HTML, display
    except ImportError:
        return None
    if get_ipython() is None or not hasattr(get_ipython(), "kernel"):
        return None

    def show(view: TrainingView, handle):
        if handle is None:
            return display(HTML(view._repr_html_()), display_id=True)
        handle.update(HTML(view._repr_html_()))
        return handle
    return show


class LiveView:
    """``on_epoch`` for :func:`nn.fit` that shows the training view while the run goes on
    (``fit(..., live=True)`` makes one): after each epoch it records the model's parameters
    and, at most once every ``min_interval`` seconds (and after the last epoch), redraws the
    page in place in the notebook's output (an IPython display handle).  Outside a notebook
    it only records.  At most ``snapshots`` states are kept: when full, every other one is
    dropped (the first and the newest stay), so memory is bounded however long the run."""

    def __init__(self, model, train, val=None, *, loss: str = "hinge", epochs: Optional[int] = None,
                 snapshots: int = 100, min_interval: float = 0.25, evaluate=None, then=None,
                 display=None) -> None:
        if isinstance(snapshots, bool) or not isinstance(snapshots, int) or snapshots < 2:
            raise ValueError(f"LiveView: snapshots must be an int ≥ 2, got {snapshots!r}")
        if isinstance(min_interval, bool) or not isinstance(min_interval, (int, float)) or not min_interval >= 0:
            raise ValueError(f"LiveView: min_interval must be a number of seconds ≥ 0, got {min_interval!r}")
        from .train import evaluate as nn_evaluate

        self.model, self.train, self.val, self.loss = model, _dataset(train, "train"), val, loss
        self.epochs, self.k, self.min_interval, self.then = epochs, snapshots, float(min_interval), then
        self.evaluate = evaluate or (lambda data: nn_evaluate(model, loss, data))
        self.params = model.parameters()
        self.history = History(loss_name=loss)
        self.updates = 0
        self._display = display if display is not None else _notebook_display()
        self._handle = None
        self._last = -math.inf
        self._record(0, 0)

    def _record(self, epoch: int, step: int, val_result: Optional[tuple] = None) -> None:
        loss, acc = self.evaluate(self.train)
        vl, va = None, None
        if self.val is not None:  # fit has just measured it at these parameters: not twice
            vl, va = val_result if val_result is not None else self.evaluate(_dataset(self.val, "val"))
        snaps = self.history.snapshots
        if len(snaps) >= self.k:  # thin: keep the first and every other one after it
            snaps[:] = snaps[::2]
        snaps.append({"step": step, "epoch": epoch, "params": [p.data for p in self.params],
                      "loss": loss, "accuracy": acc, "val_loss": vl, "val_accuracy": va})

    def __call__(self, epoch: int, history: History) -> None:
        import time

        measured = (history.val_loss[-1], history.val_accuracy[-1]) if history.val_loss and history.val_loss[-1] is not None else None
        self._record(epoch + 1, history.steps, measured)
        now = time.monotonic()
        last_epoch = self.epochs is not None and epoch + 1 >= self.epochs
        if self._display is not None and (last_epoch or now - self._last >= self.min_interval):
            self._last = now
            self.updates += 1
            self._handle = self._display(self.view(), self._handle)
        if self.then is not None:
            self.then(epoch, history)

    def view(self) -> TrainingView:
        """The page as it stands: every state recorded so far, opened at the newest."""
        data = training_data(self.model, self.train, self.history, val=self.val, loss=self.loss)
        data["start"] = "last"
        return TrainingView(data, self.model)


_train.LIVE_VIEW = LiveView  # what fit(live=True) shows (nn.train imports no page)
