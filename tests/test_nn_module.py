"""nn modules: parameter counts and micrograd's order, single-output and one-unit models,
one dot node per neuron, initialisation schemes, errors."""

import math
import random

import pytest

import nn
from autograd_engine import Value

micrograd_nn = pytest.importorskip("micrograd.nn", reason="micrograd is in the [bench] extra")


def test_micrograd_demo_model_has_337_parameters_and_names():
    model = nn.MLP(2, [16, 16, 1], seed=0)
    assert len(model.parameters()) == (2 + 1) * 16 + (16 + 1) * 16 + (16 + 1) * 1 == 337
    names = [n for n, _ in model.named_parameters()]
    assert names[:3] == ["layers.0.neurons.0.w.0", "layers.0.neurons.0.w.1", "layers.0.neurons.0.b"]
    assert names[-1] == "layers.2.neurons.0.b" and len(set(names)) == 337
    assert repr(model) == "MLP(2, [16, 16, 1], activation='relu') with 337 parameters"


def _copy_into(theirs, ours):
    tp, op = theirs.parameters(), ours.parameters()
    assert len(tp) == len(op)
    for t, o in zip(tp, op):
        o.data = float(t.data)


@pytest.mark.parametrize("sizes", [[16, 16, 1], [4, 3], [5, 1]])
def test_parameter_order_matches_micrograd(sizes):
    """Copy micrograd's parameters into ours by position: outputs agree only if the order
    (layer, neuron, weights then bias) is the same."""
    random.seed(5)
    theirs = micrograd_nn.MLP(2, sizes)
    for p in theirs.parameters():  # micrograd's biases start at 0: give them values too
        p.data = random.uniform(-1, 1)
    ours = nn.MLP(2, sizes, seed=1)
    _copy_into(theirs, ours)
    rng = random.Random(3)
    for _ in range(10):
        x = [rng.uniform(-2, 2), rng.uniform(-2, 2)]
        t, o = theirs(x), ours(x)
        t = t if isinstance(t, list) else [t]
        o = o if isinstance(o, list) else [o]
        assert [v.data for v in o] == pytest.approx([v.data for v in t], rel=1e-12, abs=1e-12)


def test_same_global_seed_draws_the_same_weights_as_micrograd():
    random.seed(1337)
    theirs = micrograd_nn.MLP(2, [16, 16, 1])
    random.seed(1337)
    ours = nn.MLP(2, [16, 16, 1])  # seed=None: the module-level random, like micrograd
    assert [p.data for p in ours.parameters()] == [p.data for p in theirs.parameters()]


def test_single_output_model_returns_a_value_and_multi_output_a_list():
    assert isinstance(nn.MLP(2, [4, 1], seed=0)([1.0, 2.0]), Value)
    out = nn.MLP(2, [4, 3], seed=0)([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 3


def test_one_unit_hidden_layer_works_and_backpropagates():
    """micrograd's MLP(2, [16, 1, 1]) crashes (a one-unit layer returns a Value, which the
    next layer cannot zip); ours feeds the Value on."""
    model = nn.MLP(2, [16, 1, 1], activation="tanh", seed=2)
    y = model([0.5, -1.0])
    assert isinstance(y, Value)
    # closed form through the chain: y = w3·tanh(Σ w2ⱼ hⱼ + b2) + b3
    h = [n([0.5, -1.0]).data for n in model.layers[0].neurons]
    (n2,), (n3,) = model.layers[1].neurons, model.layers[2].neurons
    z2 = math.tanh(sum(w.data * hj for w, hj in zip(n2.w, h)) + n2.b.data)
    assert y.data == pytest.approx(n3.w[0].data * z2 + n3.b.data, rel=1e-12)
    y.backward()
    assert n3.w[0].grad == pytest.approx(z2, rel=1e-12)
    assert n2.b.grad == pytest.approx(n3.w[0].data * (1 - z2 * z2), rel=1e-12)
    with pytest.raises(TypeError):
        micrograd_nn.MLP(2, [16, 1, 1])([0.5, -1.0])


def test_a_neuron_is_one_dot_node_then_its_activation():
    neuron = nn.Neuron(16, activation="tanh", seed=0)
    x = [0.1 * i for i in range(16)]
    y = neuron(x)
    assert y.op == "tanh"
    (a,) = y.parents
    assert a.op == "dot" and a.parents == tuple(neuron.w) + (neuron.b,)
    assert len(y.nodes()) == 16 + 1 + 2  # the leaves, the dot, the tanh: no chain of adds
    assert a.data == pytest.approx(sum(w.data * xi for w, xi in zip(neuron.w, x)), rel=1e-12)


@pytest.mark.parametrize("act, f", [
    ("relu", lambda a: max(a, 0.0)), ("tanh", math.tanh), ("sigmoid", lambda a: 1 / (1 + math.exp(-a))),
    ("leaky_relu", lambda a: a if a > 0 else 0.01 * a), ("linear", lambda a: a),
])
def test_activations(act, f):
    neuron = nn.Neuron(2, activation=act, seed=4)
    for x in ([1.0, -2.0], [-1.5, 0.5], [2.0, 2.0]):
        a = neuron.w[0].data * x[0] + neuron.w[1].data * x[1] + neuron.b.data
        assert neuron(x).data == pytest.approx(f(a), rel=1e-12, abs=1e-15)


def test_last_layer_is_linear_by_default_and_hidden_layers_use_the_activation():
    model = nn.MLP(3, [4, 5, 2], activation="tanh", seed=0)
    assert [n.activation for layer in model.layers for n in layer.neurons] == ["tanh"] * 9 + ["linear"] * 2
    model = nn.MLP(3, [4, 2], last_activation="sigmoid", seed=0)
    assert {n.activation for n in model.layers[-1].neurons} == {"sigmoid"}


@pytest.mark.parametrize("init, bound", [("uniform", lambda n: 1.0), ("xavier", lambda n: n ** -0.5),
                                         ("he", lambda n: (2 / n) ** 0.5)])
def test_initialisation_bounds_seeding_and_zero_biases(init, bound):
    model = nn.MLP(50, [40, 1], init=init, seed=9)
    w1 = [w.data for n in model.layers[0].neurons for w in n.w]
    assert max(map(abs, w1)) <= bound(50)
    assert max(map(abs, w1)) > 0.95 * bound(50)  # the whole range is used: 2,000 draws
    assert all(n.b.data == 0.0 for layer in model.layers for n in layer.neurons)
    again = nn.MLP(50, [40, 1], init=init, seed=9)
    assert [p.data for p in again.parameters()] == [p.data for p in model.parameters()]
    assert [p.data for p in nn.MLP(50, [40, 1], init=init, seed=10).parameters()] != w1


def test_zero_grad_and_layer_returns():
    model = nn.MLP(2, [3, 1], seed=0)
    model([1.0, 1.0]).backward()
    assert any(p.grad for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())
    assert isinstance(nn.Layer(2, 1, seed=0)([1.0, 2.0]), Value)
    assert repr(nn.Layer(2, 3)) == "Layer(2, 3, activation='relu')"


@pytest.mark.parametrize("make, error, match", [
    (lambda: nn.MLP(2, []), ValueError, "nouts"),
    (lambda: nn.MLP(2, 16), ValueError, "nouts"),
    (lambda: nn.MLP(0, [1]), ValueError, "nin"),
    (lambda: nn.MLP(2, [4, 0]), ValueError, "layer size"),
    (lambda: nn.MLP(2, [4, 1], activation="softmax"), ValueError, "activation"),
    (lambda: nn.MLP(2, [4, 1], init="zeros"), ValueError, "init"),
    (lambda: nn.MLP(2, [4, 1], seed="x"), TypeError, "seed"),
    (lambda: nn.MLP(2, [4, 1], seed=0)([1.0, 2.0, 3.0]), ValueError, "expected 2 inputs"),
    (lambda: nn.MLP(2, [4, 1], seed=0)(None), TypeError, "input"),
    (lambda: nn.Neuron(2, seed=0)(["a", 1.0]), TypeError, "dot"),
])
def test_bad_arguments_get_clear_errors(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_the_forward_builds_no_error_message_unless_it_raises(monkeypatch):
    """repr(self) per call in case an error needed it cost 12% of a forward: messages are
    built only when raising, and still name the module then."""
    calls = []
    for cls in (nn.Neuron, nn.Layer, nn.MLP, nn.Linear):
        monkeypatch.setattr(cls, "__repr__", lambda self, c=cls: calls.append(c) or c.__name__)
    model = nn.MLP(2, [4, 4, 1], seed=0)
    model([0.5, -0.5])
    model.layers[0]((0.5, -0.5))
    model.layers[0].neurons[0]([0.5, -0.5])
    nn.Linear(2, 3, seed=0)([1.0, 2.0])
    assert calls == []
    with pytest.raises(ValueError, match="^Layer: expected 2 inputs, got 3$"):
        model([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="^Neuron: expected 2 inputs, got 1$"):
        model.layers[0].neurons[0]([1.0])


def test_a_weight_replaced_in_the_list_is_the_one_the_neuron_uses():
    """Nothing is cached between calls: the (w, b) tuple is built from the live list."""
    neuron = nn.Neuron(2, activation="linear", seed=0)
    neuron.w[1] = Value(5.0)
    neuron.b = Value(-1.0)
    y = neuron([0.0, 2.0])
    assert y.data == 9.0
    y.backward()
    assert neuron.w[1].grad == 2.0 and neuron.b.grad == 1.0
    assert neuron.parameters()[1] is neuron.w[1]


def test_inputs_of_any_sequence_type_still_work():
    model = nn.MLP(2, [3, 1], seed=0)
    ref = model([0.25, -1.0]).data
    assert model((0.25, -1.0)).data == ref
    assert model(iter([0.25, -1.0])).data == ref
    assert model([Value(0.25), -1.0]).data == ref
    assert nn.MLP(1, [2, 1], seed=0)(Value(0.5)).data == nn.MLP(1, [2, 1], seed=0)([0.5]).data
