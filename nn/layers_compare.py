"""The layer equations beside the scalar engine: the engine's δ and gradients (one sample, or a
batch through the scalar graph or the compiled tape), the comparisons with their largest
difference, and the δ table (see :mod:`nn.layers_backprop`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from autograd_engine import Value

from .layers_equations import BatchGradients, Gradients, _batch, algorithm1, algorithm2
from .layers_network import _WHO, Network, S_prime, _input, _layers_of, _loss_name, _np, network, target_vector
from .losses import LOSSES, mean
from .module import Neuron, PerLayer, Trace

# ---- the same numbers from the scalar engine -------------------------------------------------
@dataclass(frozen=True)
class EngineGradients:
    """What the scalar graph holds after ``backward()``: δ_l,j = ``z[l][j].grad`` (the dot
    node z_l,j), ``dW[l][j-1, k-1]`` = ``w[l][j][k].grad``, ``db`` the biases' grads, the cost
    C = the loss Value's data, and the :class:`~nn.module.Trace` of the forward pass."""

    delta: PerLayer
    dW: PerLayer
    db: PerLayer
    cost: float
    trace: Trace
    root: Value


def _engine_loss(loss):
    return LOSSES[_loss_name(loss)].fn


def _grads(layers: list[list[Neuron]]):
    np = _np()
    dW = PerLayer(np.array([[w.grad for w in n.w] for n in ns]) for ns in layers)
    db = PerLayer(np.array([n.b.grad for n in ns]) for ns in layers)
    return dW, db


def engine_gradients(model, x, target, loss="mse") -> EngineGradients:
    """The scalar engine on one sample: ``model.trace(x)``, the loss, ``backward()``.  The
    parameters' ``.grad`` are zeroed first and left holding ∂C/∂w of this sample."""
    np = _np()
    layers = _layers_of(model)
    net = network(model)
    _input(net, x)
    t = target_vector(loss, target, net.sizes[-1])
    model.zero_grad()
    tr = model.trace(x if not isinstance(x, Value) else [x])
    C = _engine_loss(loss)(tr.output, t.tolist())
    C.backward()
    delta = PerLayer(np.array([z.grad for z in tr.z[l]]) for l in range(1, tr.L + 1))
    dW, db = _grads(layers)
    return EngineGradients(delta, dW, db, C.data, tr, C)


def engine_batch_gradients(model, X: Sequence, T: Sequence, loss="mse",
                           compiled: bool = False) -> tuple[PerLayer, PerLayer, float]:
    """(∂C/∂W_l, ∂C/∂b_l, C) for C = (1/n) Σᵢ C_i, from the engine: the scalar graph of the
    batch mean (``compiled=False``), or the compiled tape — the per-sample loss traced once and
    replayed over the batch as NumPy arrays, ``backward("mean")`` (what ``nn.fit(compiled=
    True)`` runs).  The parameters' ``.grad`` are zeroed first and left holding the result."""
    np = _np()
    X, T = _batch(X, T, f"{_WHO}.engine_batch_gradients")
    layers = _layers_of(model)
    net = network(model)
    fn = _engine_loss(loss)
    targets = [target_vector(loss, t, net.sizes[-1]) for t in T]
    X = [_input(net, x, f"input {i}") for i, x in enumerate(X)]
    model.zero_grad()
    if compiled:
        from autograd_engine import compile

        d, k = net.sizes[0], net.sizes[-1]

        def per_sample(*v: Value) -> Value:
            return fn(model(list(v[:d])), list(v[d:]))
        tape = compile(per_sample, d + k)
        batch = np.column_stack([np.array(X), np.array(targets)])
        value = float(np.mean(tape.forward(batch)))
        tape.backward("mean")
    else:
        C = mean([fn(model(x.tolist()), t.tolist()) for x, t in zip(X, targets)])
        C.backward()
        value = C.data
    dW, db = _grads(layers)
    return dW, db, value


# ---- side by side ----------------------------------------------------------------------------
def _largest(pairs) -> tuple[float, str]:
    """The largest |a − b| over named array pairs, and the entry where it is (1-based, as the
    labels: ``"w[2][1][3]"``)."""
    np = _np()
    worst, where = -1.0, ""
    for name, a, b in pairs:
        d = np.atleast_1d(np.abs(np.asarray(a, dtype=float) - np.asarray(b, dtype=float)))
        if d.max() > worst:
            i = np.unravel_index(int(d.argmax()), d.shape)
            worst = float(d.max())
            where = name if name == "C" else name + "".join(f"[{int(k) + 1}]" for k in i)
    return worst, where


@dataclass(frozen=True)
class Comparison:
    """The equations (:class:`Gradients`) beside the scalar engine (:class:`EngineGradients`)
    for one sample; ``max_diff`` the largest absolute difference over every δ, ∂C/∂w, ∂C/∂b
    and C, at ``where`` (e.g. ``"δ[2][1]"``, ``"w[1][3][2]"``)."""

    layers: Gradients
    engine: EngineGradients
    max_diff: float
    where: str
    network: Network

    def table(self) -> str:
        """The per-layer δ table: δ_l,j from the equations and from z_l,j.grad, side by side."""
        return format_deltas(self)


def compare(model, x, target, loss="mse") -> Comparison:
    """Algorithm 1 and the scalar engine on the same sample, with the largest difference.
    Leaves the parameters' ``.grad`` at ∂C/∂w of this sample."""
    net = network(model)
    eq = algorithm1(net, x, target, loss)
    en = engine_gradients(model, x, target, loss)
    pairs = [("C", eq.cost, en.cost)]
    for l in range(1, len(eq.delta) + 1):
        pairs += [(f"δ[{l}]", eq.delta[l], en.delta[l]), (f"w[{l}]", eq.dW[l], en.dW[l]),
                  (f"b[{l}]", eq.db[l], en.db[l])]
    worst, where = _largest(pairs)
    return Comparison(eq, en, worst, where, net)


@dataclass(frozen=True)
class BatchComparison:
    """Algorithm 2 beside the engine's batch gradients (the scalar graph of the mean loss, or
    the compiled tape): ``engine`` is ``(dW, db, C)``; ``max_diff`` at ``where``."""

    layers: BatchGradients
    engine: tuple
    compiled: bool
    max_diff: float
    where: str


def compare_batch(model, X: Sequence, T: Sequence, loss="mse", compiled: bool = False) -> BatchComparison:
    """Algorithm 2 and the engine's gradient of the batch mean loss, side by side."""
    eq = algorithm2(model, X, T, loss)
    dW, db, value = engine_batch_gradients(model, X, T, loss, compiled=compiled)
    pairs = [("C", eq.cost, value)]
    for l in range(1, len(dW) + 1):
        pairs += [(f"w[{l}]", eq.dW[l], dW[l]), (f"b[{l}]", eq.db[l], db[l])]
    worst, where = _largest(pairs)
    return BatchComparison(eq, (dW, db, value), compiled, worst, where)


def _num(x: float) -> str:
    return f"{float(x) + 0.0:.6g}"


def format_deltas(comparison: Comparison) -> str:
    """The δ table of one sample: layer, neuron, z_l,j, S′(z_l,j), δ_l,j from the equations
    (BP1 at L, BP2 below), δ_l,j = z[l][j].grad from the engine, and their difference."""
    from autograd_engine.teach.walkthrough import text_table

    eq, en = comparison.layers, comparison.engine
    rows = []
    L = len(eq.delta)
    for l in range(1, L + 1):
        sp = S_prime(comparison.network.S[l], eq.forward.z[l])
        for j in range(len(eq.delta[l])):
            rows.append((f"{l}", f"{j + 1}", "BP1" if l == L else "BP2", _num(eq.forward.z[l][j]),
                         _num(sp[j]), _num(eq.delta[l][j]), _num(en.delta[l][j]),
                         f"{abs(eq.delta[l][j] - en.delta[l][j]):.1e}"))
    header = ("l", "j", "eq.", "z_l,j", "S′(z_l,j)", "δ_l,j (equations)", "z[l][j].grad (engine)", "|diff|")
    table = text_table(header, rows, align=">>^" + ">" * 5)
    return (f"{table}\nC = {_num(eq.cost)}; largest difference over every δ, ∂C/∂w, ∂C/∂b: "
            f"{comparison.max_diff:.1e} (at {comparison.where})")

