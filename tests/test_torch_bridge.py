"""nn.MLP.to_torch / from_torch: the same model in PyTorch, weights, outputs and gradients to
1e-12 for every activation and depths 1-3, a model trained by nn.fit keeping its accuracy, and
the layers that cannot be mapped refused by name."""

from __future__ import annotations

import itertools
import random
import sys

import pytest

import nn
from autograd_engine import Value

torch = pytest.importorskip("torch", reason="PyTorch not installed (pip install torch==2.13.0)")

from nn.torch_bridge import torch_activation  # noqa: E402

SIZES = {1: [3], 2: [5, 2], 3: [4, 6, 3]}
TOL = 1e-12


def close(a: float, b: float) -> bool:
    return abs(a - b) <= TOL * max(1.0, abs(a), abs(b))


def linears(seq) -> list:
    return [m for m in seq if isinstance(m, torch.nn.Linear)]


def compare(model: nn.MLP, seq, rng: random.Random, batch: int = 4) -> None:
    """Outputs and every parameter gradient of Σ_b Σ_k c_bk·out_bk, ours against torch's."""
    X = [[rng.uniform(-2, 2) for _ in range(model.nin)] for _ in range(batch)]
    C = [[rng.uniform(-1, 1) for _ in range(model.nout)] for _ in range(batch)]
    model.zero_grad()
    outs = [model(x) for x in X]
    outs = [[o] if isinstance(o, Value) else o for o in outs]
    Value.sum([c * o for cs, os in zip(C, outs) for c, o in zip(cs, os)]).backward()

    seq.zero_grad()
    T = seq(torch.tensor(X, dtype=torch.float64))
    (T * torch.tensor(C, dtype=torch.float64)).sum().backward()
    for ob, tb in zip(outs, T.tolist()):
        assert all(close(o.data, t) for o, t in zip(ob, tb)), (ob, tb)
    for layer, lin in zip(model.layers, linears(seq)):
        for j, n in enumerate(layer.neurons):
            assert all(close(w.grad, lin.weight.grad[j, k].item()) for k, w in enumerate(n.w))
            assert close(n.b.grad, lin.bias.grad[j].item())


def test_every_activation_has_a_torch_module_computing_the_same():
    # fails when nn.ACTIVATIONS gains an entry the bridge cannot map
    xs = [-3.0, -0.5, 0.0, 0.5, 3.0]
    for name, act in nn.ACTIVATIONS.items():
        module = torch_activation(name)
        t = torch.tensor(xs, dtype=torch.float64)
        theirs = (t if module is None else module(t)).tolist()
        assert [act(Value(x)).data for x in xs] == pytest.approx(theirs, rel=1e-15, abs=0), name


@pytest.mark.parametrize("depth", sorted(SIZES))
@pytest.mark.parametrize("act", sorted(nn.ACTIVATIONS))
def test_round_trip_for_every_activation_and_depth(act, depth):
    rng = random.Random(f"{act}{depth}")
    model = nn.MLP(3, SIZES[depth], activation=act, last_activation=act, seed=rng.randrange(1000))
    seq = model.to_torch()
    assert all(p.dtype == torch.float64 for p in seq.parameters())
    assert len(linears(seq)) == depth
    # our parameter order is the rows of each weight with their bias after them
    flat = []
    for lin in linears(seq):
        for j in range(lin.out_features):
            flat += lin.weight[j].tolist() + [lin.bias[j].item()]
    assert flat == [p.data for p in model.parameters()]
    compare(model, seq, rng)
    back = nn.MLP.from_torch(seq)
    assert [p.data for p in back.parameters()] == [p.data for p in model.parameters()]
    assert (back.nin, back.nouts, back.last_activation) == (3, SIZES[depth], act)
    if depth > 1:
        assert back.activation == act
    compare(back, seq, rng)


@pytest.mark.parametrize("hidden,last", list(itertools.product(sorted(nn.ACTIVATIONS), repeat=2)))
def test_every_pair_of_hidden_and_last_activation(hidden, last):
    rng = random.Random(f"{hidden}/{last}")
    model = nn.MLP(2, [4, 3], activation=hidden, last_activation=last, seed=7)
    seq = model.to_torch()
    compare(model, seq, rng, batch=2)
    back = nn.MLP.from_torch(seq)
    assert (back.activation, back.last_activation) == (hidden, last)


def test_a_torch_built_model_comes_over_with_its_outputs_and_gradients():
    torch.manual_seed(0)
    seq = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 8), torch.nn.Tanh(),
                              torch.nn.Linear(8, 2), torch.nn.Identity()).double()
    model = nn.MLP.from_torch(seq)
    assert (model.nin, model.nouts, model.activation, model.last_activation) == (4, [8, 8, 2], "tanh", "linear")
    compare(model, seq, random.Random(1))
    single = nn.MLP.from_torch(torch.nn.Linear(3, 1, dtype=torch.float64))
    assert single.nouts == [1]


def test_a_float32_module_converts_exactly():
    torch.manual_seed(1)
    seq32 = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))
    model = nn.MLP.from_torch(seq32)
    want = [x for lin in linears(seq32) for j in range(lin.out_features)
            for x in lin.weight[j].double().tolist() + [lin.bias[j].double().item()]]
    assert [p.data for p in model.parameters()] == want
    compare(model, seq32.double(), random.Random(2))


def test_the_copies_are_independent():
    model = nn.MLP(2, [3, 1], seed=3)
    before = [p.data for p in model.parameters()]
    seq = model.to_torch()
    with torch.no_grad():
        for p in seq.parameters():
            p.add_(1.0)
    assert [p.data for p in model.parameters()] == before
    back = nn.MLP.from_torch(seq)
    back.parameters()[0].data = 99.0
    assert seq[0].weight[0, 0].item() != 99.0


def test_a_model_trained_by_fit_keeps_its_accuracy_in_torch():
    train = nn.moons(100, noise=0.1, seed=1337)
    model = nn.MLP(2, [8, 8, 1], seed=1337)
    opt = nn.SGD(model.parameters(), lr=0.5)
    hist = nn.fit(model, "hinge", opt, train, epochs=40, l2=1e-4, compiled=True)
    ours = nn.predict(model, train.X)
    acc = sum(p == c for p, c in zip(ours, train.y)) / len(train)
    assert acc >= 0.85 and hist.loss[-1] < hist.loss[0]  # it learned something worth keeping
    seq = model.to_torch()
    with torch.no_grad():
        scores = seq(torch.tensor(train.X, dtype=torch.float64))[:, 0]
    theirs = (scores > 0).long().tolist()  # hinge's convention: class 1 where the score is > 0
    assert theirs == ours
    ours_scores = [model(x).data for x in train.X]
    assert all(close(a, b) for a, b in zip(ours_scores, scores.tolist()))


# ---- what cannot be mapped --------------------------------------------------------------------------
L = torch.nn.Linear


@pytest.mark.parametrize("layers,pattern", [
    (lambda: [L(2, 3), torch.nn.Conv2d(1, 1, 3)], r"layer 1 \(Conv2d.*neither torch.nn.Linear nor an activation"),
    (lambda: [L(2, 3, bias=False), torch.nn.ReLU(), L(3, 1)], r"layer 0 .*bias=False"),
    (lambda: [L(2, 3), torch.nn.ReLU(), L(4, 1)], r"layer 2 .*takes 4 inputs but the layer before gives 3"),
    (lambda: [L(2, 3), torch.nn.GELU(), L(3, 1)], r"layer 1 \(GELU.*neither"),
    (lambda: [L(2, 3), torch.nn.LeakyReLU(0.2), L(3, 1)], r"layer 1 .*slope 0.01 \(negative_slope=0.2"),
    (lambda: [torch.nn.ReLU(), L(2, 1)], r"layer 0 \(ReLU\(\)\) comes before any Linear"),
    (lambda: [L(2, 3), torch.nn.ReLU(), torch.nn.Tanh(), L(3, 1)], r"layer 2 \(Tanh\(\)\) follows another activation"),
    (lambda: [L(2, 3), torch.nn.ReLU(), L(3, 3), torch.nn.Tanh(), L(3, 1)], r"layer 3 \(Tanh\(\)\) is tanh, but the first hidden layer's activation is relu \(layer 1"),
    (lambda: [L(2, 3), torch.nn.Dropout(0.5), L(3, 1)], r"layer 1 \(Dropout"),
    (lambda: [], r"the Sequential is empty"),
])
def test_layers_that_cannot_be_mapped_are_named(layers, pattern):
    with pytest.raises(ValueError, match=rf"from_torch: {pattern}"):
        nn.MLP.from_torch(torch.nn.Sequential(*layers()))


def test_non_finite_weights_and_wrong_types_are_refused():
    seq = torch.nn.Sequential(L(2, 1))
    with torch.no_grad():
        seq[0].weight[0, 1] = float("nan")
    with pytest.raises(ValueError, match=r"from_torch: Linear 0's weight holds a non-finite"):
        nn.MLP.from_torch(seq)
    with pytest.raises(TypeError, match=r"from_torch: expected a torch.nn.Sequential .*got dict"):
        nn.MLP.from_torch({"weight": 1})
    with pytest.raises(TypeError, match=r"from_torch: expected a torch.nn.Sequential .*got Conv1d"):
        nn.MLP.from_torch(torch.nn.Conv1d(1, 1, 2))
    from nn.torch_bridge import to_torch

    with pytest.raises(TypeError, match=r"to_torch: expected an nn.MLP, got Layer"):
        to_torch(nn.Layer(2, 3))


def test_without_torch_the_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(ModuleNotFoundError, match=r"to_torch needs PyTorch: pip install 'autograd-engine\[torch\]'"):
        nn.MLP(2, [1]).to_torch()
    with pytest.raises(ModuleNotFoundError, match=r"from_torch needs PyTorch.*torch==2.13.0"):
        nn.MLP.from_torch(None)
