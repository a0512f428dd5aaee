"""The layer equations (BP1–BP4, Algorithms 1–2, Figure 6.7) against the scalar engine, the
compiled tape and PyTorch, and the equations' own mistakes caught."""

from __future__ import annotations

import random

import numpy as np
import pytest

import nn
from autograd_engine import Value
from nn import layers_backprop as lb
from nn import layers_equations
from nn.module import PerLayer

LOSS_NOUT = {"cross_entropy": None, "mse": None, "bce": 1, "hinge": 1}


def random_case(rng: random.Random, activation: str, loss: str, depth=None, width=None):
    """A random MLP (depth 1–4, widths 1–16), an input and a target for ``loss``."""
    depth = depth or rng.randint(1, 4)
    nin = width or rng.randint(1, 16)
    sizes = [width or rng.randint(1, 16) for _ in range(depth)]
    sizes[-1] = LOSS_NOUT[loss] or sizes[-1]
    last = rng.choice(list(lb.ACTIVATION_RULES))
    model = nn.MLP(nin, sizes, activation=activation, last_activation=last, init="xavier",
                   seed=rng.randrange(10**6))
    for p in model.parameters():  # non-zero biases too, so a missing b would show
        if p.label.startswith("b"):
            p.data = rng.uniform(-0.5, 0.5)
    x = [rng.uniform(-1, 1) for _ in range(nin)]
    k = sizes[-1]
    if loss == "cross_entropy":
        t = rng.randrange(k) if rng.random() < 0.5 else np.eye(k)[rng.randrange(k)].tolist()
    elif loss == "mse":
        t = [rng.uniform(-1, 1) for _ in range(k)]
    elif loss == "bce":
        t = rng.random()
    else:
        t = rng.choice((-1.0, 1.0))
    return model, x, t


# ---- equality with the scalar engine ---------------------------------------------------------
@pytest.mark.parametrize("loss", lb.SUPPORTED_LOSSES)
@pytest.mark.parametrize("activation", list(nn.ACTIVATIONS))
def test_algorithm1_equals_scalar_engine_on_random_mlps(activation, loss):
    if activation not in lb.ACTIVATION_RULES:  # an activation added to nn without a rule here
        with pytest.raises(ValueError, match=f"{activation!r} has no closed-form S′"):
            lb.compare(nn.MLP(2, [2, 1], activation=activation), [0.1, 0.2], 1.0, loss)
        return
    rng = random.Random(f"{activation}-{loss}")
    for _ in range(4):
        model, x, t = random_case(rng, activation, loss)
        c = lb.compare(model, x, t, loss)
        assert c.max_diff <= 1e-12, (model, c.where, c.max_diff)
        # δ_l,j is literally the .grad of the Value z_l,j, and ∂C/∂w is each weight's .grad
        for l, zs in enumerate(c.engine.trace.z, 1):
            assert [z.grad for z in zs] == c.engine.delta[l].tolist()
            assert all(z.label == f"z[{l}][{j}]" for j, z in enumerate(zs, 1))
        first = model.layers[0].neurons[0]
        assert first.w[0].grad == c.engine.dW[1][0, 0]
        assert c.layers.dW[1][0, 0] == pytest.approx(c.layers.delta[1][0] * x[0], abs=1e-15)


@pytest.mark.parametrize("depth", [1, 2, 3, 4])
def test_depths_and_extreme_widths(depth):
    for width in (1, 16):
        model, x, t = random_case(random.Random(depth * width), "tanh", "mse", depth, width)
        assert lb.compare(model, x, t, "mse").max_diff <= 1e-12


def test_layer_and_neuron_are_one_layer_networks():
    layer = nn.Layer(3, 2, activation="sigmoid", seed=1)
    c = lb.compare(layer, [0.3, -0.2, 0.9], [0.0, 1.0], "mse")
    assert c.max_diff <= 1e-12 and len(c.layers.delta) == 1
    neuron = nn.Neuron(2, activation="tanh", seed=2)
    c = lb.compare(neuron, [0.5, 1.5], -1.0, "hinge")
    assert c.max_diff <= 1e-12 and c.layers.dW[1].shape == (1, 2)


def test_softmax_cross_entropy_delta_is_y_minus_t():
    """The chapter's δ_k = y_k − t_k at the logit layer, on numbers."""
    model = nn.MLP(2, [3, 3], activation="relu", seed=3)
    g = lb.algorithm1(model, [0.4, -0.7], 2, "cross_entropy")
    a = g.forward.a[2]
    y = np.exp(a) / np.exp(a).sum()
    assert g.delta[2] == pytest.approx(y - [0, 0, 1], abs=1e-15)
    assert g.delta[2].sum() == pytest.approx(0.0, abs=1e-15)


def test_squared_error_delta_is_the_lectures():
    """The lecture's δ_L = S′(z_L) ⊙ 2(g − y) for a sigmoid output."""
    model = nn.MLP(2, [2], activation="tanh", last_activation="sigmoid", seed=4)
    g = lb.algorithm1(model, [1.0, -2.0], [0.25, 0.75], "mse")
    out = g.forward.a[1]
    assert g.delta[1] == pytest.approx(out * (1 - out) * 2 * (out - [0.25, 0.75]), abs=1e-15)


# ---- the tests can fail: broken equations are caught -----------------------------------------
def _bp2_sign(W, d, z, act):
    return -(W.T @ d) * lb.S_prime(act, z)


def _bp2_transposed(W, d, z, act):
    return (W @ d) * lb.S_prime(act, z)


def _bp2_no_sprime(W, d, z, act):
    return W.T @ d


def _bp1_no_sprime(loss, a, z, act, t):
    return lb.grad_a_C(loss, a, t)


def _bp4_transposed(d, a):
    return np.outer(d, a).T.reshape(len(d), len(a))  # square layers: a δᵀ, the transpose


@pytest.mark.parametrize("name, broken", [
    ("bp2", _bp2_sign), ("bp2", _bp2_transposed), ("bp2", _bp2_no_sprime),
    ("bp1", _bp1_no_sprime), ("bp4", _bp4_transposed)])
def test_a_broken_equation_is_detected(monkeypatch, name, broken):
    # square layers, so a transposed W or δaᵀ still has the right shape and only the numbers
    # can tell; tanh and a sigmoid output, so S′ ≠ 1
    model = nn.MLP(4, [4, 4, 4], activation="tanh", last_activation="sigmoid", seed=5)
    x, t = [0.3, -0.8, 0.5, 0.1], [0.0, 1.0, 0.5, 0.2]
    assert lb.compare(model, x, t, "mse").max_diff <= 1e-12
    monkeypatch.setattr(layers_equations, name, broken)  # where Algorithm 1 finds the equations
    c = lb.compare(model, x, t, "mse")
    assert c.max_diff > 1e-3, (name, broken.__name__, c.max_diff)


# ---- Algorithm 2, the compiled tape, Figure 6.7 --------------------------------------------
@pytest.mark.parametrize("loss", lb.SUPPORTED_LOSSES)
def test_algorithm2_equals_scalar_batch_and_compiled_tape(loss):
    rng = random.Random(loss)
    model, _, _ = random_case(rng, "tanh", loss, depth=3, width=5)
    X, T = [], []
    for _ in range(7):
        _, x, t = random_case(rng, "tanh", loss, depth=3, width=5)
        X.append(x)
        T.append(t)
    for compiled in (False, True):
        b = lb.compare_batch(model, X, T, loss, compiled=compiled)
        assert b.max_diff <= 1e-12, (compiled, b.where, b.max_diff)
    eq = lb.algorithm2(model, X, T, loss)
    assert eq.dW[2] == pytest.approx(sum(g.dW[2] for g in eq.samples) / 7, abs=1e-15)
    lean = lb.algorithm2(model, X, T, loss, keep_samples=False)
    assert lean.samples == () and all((lean.dW[l] == eq.dW[l]).all() for l in (1, 2, 3))
    # the batch average is not any one sample's gradient
    assert np.abs(eq.dW[1] - eq.samples[0].dW[1]).max() > 1e-6


def test_gradient_step_is_figure_6_7_and_matches_sgd():
    X = [[0.2, -0.4, 0.9], [-1.0, 0.3, 0.1], [0.5, 0.5, -0.5], [0.0, 1.0, 0.2]]
    T = [0, 2, 1, 2]
    a = nn.MLP(3, [5, 3], activation="sigmoid", seed=7)
    b = nn.MLP(3, [5, 3], activation="sigmoid", seed=7)
    before = [p.data for p in a.parameters()]
    g = lb.gradient_step(a, X, T, "cross_entropy", eta=0.5)
    C = nn.mean([nn.softmax_cross_entropy(b(x), t) for x, t in zip(X, T)])
    b.zero_grad()
    C.backward()
    nn.SGD(b.parameters(), lr=0.5).step()
    for pa, pb in zip(a.parameters(), b.parameters()):
        assert pa.data == pytest.approx(pb.data, abs=1e-12)
    # each parameter moved by −η·(its own averaged gradient): w with ∂C/∂w, b with ∂C/∂b
    w = a.layers[1].neurons[2].w[4]
    assert w.data == pytest.approx(before[5 * 4 + 2 * 6 + 4] - 0.5 * g.dW[2][2, 4], abs=1e-15)
    assert a.layers[1].neurons[2].b.data == pytest.approx(before[5 * 4 + 2 * 6 + 5] - 0.5 * g.db[2][2], abs=1e-15)
    with pytest.raises(ValueError, match="eta must be a positive"):
        lb.gradient_step(a, X, T, "cross_entropy", eta=0)


# ---- PyTorch --------------------------------------------------------------------------------
def test_against_pytorch():
    torch = pytest.importorskip("torch", reason="PyTorch is not installed")
    F = torch.nn.functional
    acts = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid,
            "leaky_relu": lambda z: F.leaky_relu(z, 0.01), "linear": lambda z: z}
    rng = random.Random(11)
    for activation in lb.ACTIVATION_RULES:
        for loss in lb.SUPPORTED_LOSSES:
            model, x, t = random_case(rng, activation, loss)
            net, g = lb.network(model), lb.algorithm1(model, x, t, loss)
            Ws = [torch.tensor(net.W[l], requires_grad=True) for l in range(1, net.L + 1)]
            bs = [torch.tensor(net.b[l], requires_grad=True) for l in range(1, net.L + 1)]
            a, zs = torch.tensor(x, dtype=torch.float64), []
            for l in range(net.L):
                z = Ws[l] @ a + bs[l]
                z.retain_grad()
                zs.append(z)
                a = acts[net.S[l + 1]](z)
            tv = torch.tensor(lb.target_vector(loss, t, net.sizes[-1]))
            if loss == "cross_entropy":
                C = -(tv * torch.log_softmax(a, 0)).sum()
            elif loss == "mse":
                C = ((a - tv) ** 2).sum()
            elif loss == "bce":
                C = F.binary_cross_entropy_with_logits(a, tv, reduction="sum")
            else:
                C = torch.relu(1 - tv * a).sum()
            C.backward()
            assert g.cost == pytest.approx(C.item(), abs=1e-12)
            for l in range(net.L):
                np.testing.assert_allclose(g.delta[l + 1], zs[l].grad.numpy(), rtol=0, atol=1e-12)
                np.testing.assert_allclose(g.dW[l + 1], Ws[l].grad.numpy(), rtol=0, atol=1e-12)
                np.testing.assert_allclose(g.db[l + 1], bs[l].grad.numpy(), rtol=0, atol=1e-12)


# ---- δ as the sum over the scalar graph's edges -------------------------------------------------
def test_delta_steps_add_up_to_one_entry_of_WT_delta_times_S_prime():
    model = nn.MLP(3, [4, 3, 2], activation="tanh", seed=8)
    x, t = [0.5, -0.2, 0.8], [0.1, -0.3]
    groups, steps = lb.delta_steps(model, x, t, "mse")
    g = lb.algorithm1(model, x, t, "mse")
    net = lb.network(model)
    for l, row in enumerate(groups, 1):
        for j, d in enumerate(row, 1):
            assert d.delta == d.z.grad == pytest.approx(g.delta[l][j - 1], abs=1e-13)
            if l < len(groups):
                # one step per neuron of layer l+1: upstream δ_(l+1),i, local w[l+1][i][j]
                assert len(d.terms) == net.sizes[l + 1]
                for s in d.terms:
                    i = int(s.node.label.split("[")[2].rstrip("]"))
                    assert s.upstream == pytest.approx(g.delta[l + 1][i - 1], abs=1e-13)
                    assert s.local == net.W[l + 1][i - 1, j - 1]
                assert d.upstream == pytest.approx((net.W[l + 1].T @ g.delta[l + 1])[j - 1], abs=1e-13)
            if l == len(groups):
                assert d.activation is None and d.upstream == d.delta  # linear output
                continue
            # then one step a → z with local S′(z_l,j): the sum times S′ is δ_l,j
            assert d.activation.parent is d.z and d.activation.node is d.a
            assert d.activation.contribution == d.upstream * d.activation.local == d.delta
    text = lb.format_delta_steps(groups, steps[0].node)
    assert "δ[1][2] = S′(z[1][2]) · Σᵢ w[2][i][2] δ[2][i]" in text
    assert "δ[2][3] × w[2][3][1]" in text and "(BP1)" in text
    heads = [line.split(" = ")[0] for line in text.splitlines() if line.startswith("δ[")]
    layers = [int(h[2:h.index("]")]) for h in heads]
    assert layers == sorted(layers, reverse=True) and layers[0] == len(groups) and layers[-1] == 1  # L..1, as backward


def test_delta_steps_linear_output_has_no_activation_step():
    model = nn.MLP(2, [2, 2], activation="relu", seed=9)
    groups, _ = lb.delta_steps(model, [1.0, 0.5], 0, "cross_entropy")
    for d in groups[2]:
        assert d.activation is None and d.a is d.z
        assert d.upstream == d.delta


def test_delta_table_prints_both_columns():
    c = lb.compare(nn.MLP(2, [3, 1], activation="sigmoid", seed=1), [0.5, 0.5], 1.0, "bce")
    text = c.table()
    assert "z[l][j].grad (engine)" in text and "BP1" in text and "BP2" in text
    assert f"{c.max_diff:.1e}" in text


# ---- labels and traces ---------------------------------------------------------------------------
def test_parameter_labels_in_the_books_notation(tmp_path):
    model = nn.MLP(2, [3, 1], seed=0)
    names = [p.label for p in model.parameters()]
    assert names[:3] == ["w[1][1][1]", "w[1][1][2]", "b[1][1]"]
    assert names[-4:] == ["w[2][1][1]", "w[2][1][2]", "w[2][1][3]", "b[2][1]"]
    assert len(set(names)) == len(names)
    # w[l][j][k] is the entry W_l[j, k]: row j (the neuron), column k (its input)
    net = lb.network(model)
    assert model.layers[0].neurons[2].w[1].label == "w[1][3][2]"
    assert net.W[1][2, 1] == model.layers[0].neurons[2].w[1].data
    assert nn.Neuron(3).w[2].label == "w[1][1][3]" and nn.Neuron(3).b.label == "b[1][1]"
    assert nn.Layer(2, 3).neurons[2].b.label == "b[1][3]"
    nn.save(model, tmp_path / "m.json")
    assert [p.label for p in nn.load(tmp_path / "m.json").parameters()] == names


def test_trace_keeps_the_graph_values():
    model = nn.MLP(2, [3, 2], activation="tanh", seed=1)
    tr = model.trace([0.5, -1.0])
    assert tr.L == 2 and tr.a[0] == [0.5, -1.0]
    assert [v.data for v in tr.output] == [v.data for v in model([0.5, -1.0])]
    assert tr.a[1][0].op == "tanh" and tr.a[1][0].parents == (tr.z[1][0],)
    assert tr.a[2][1] is tr.z[2][1]  # a linear output: a_L is z_L
    assert tr.z[2][0].label == "z[2][1]" and tr.a[1][2].label == "a[1][3]"
    assert tr.z[-1] is tr.z[2]
    with pytest.raises(IndexError, match="numbered 1..2"):
        tr.z[0]
    assert isinstance(tr.z, PerLayer)
    assert list(reversed(tr.z)) == [tr.z[2], tr.z[1]]  # every layer, L first (not L−1 … 1)
    single = nn.MLP(2, [1]).trace([1.0, 2.0]).output
    assert isinstance(single, Value)


# ---- bad input ----------------------------------------------------------------------------------
class Custom(nn.Module):
    def __call__(self, x):
        return x


class SkipMLP(nn.MLP):
    def __call__(self, x):
        return super().__call__(x)


@pytest.mark.parametrize("model, message", [
    (Custom(), "custom Module Custom"),
    (SkipMLP(2, [2]), "SkipMLP overrides MLP's forward pass"),
    ("not a model", "nn.MLP, nn.Layer and nn.Neuron"),
])
def test_models_the_equations_do_not_cover(model, message):
    with pytest.raises(TypeError, match=message):
        lb.algorithm1(model, [1.0, 2.0], [0.0, 0.0], "mse")


def test_activation_without_closed_form_derivative(monkeypatch):
    monkeypatch.setitem(nn.ACTIVATIONS, "softsign", lambda a: a / (1 + a.abs()))
    model = nn.MLP(2, [3, 1], activation="softsign")
    with pytest.raises(ValueError, match="layer 1's activation 'softsign' has no closed-form S′"):
        lb.compare(model, [1.0, 2.0], 0.5, "mse")


@pytest.mark.parametrize("call, error, message", [
    (lambda m: lb.algorithm1(m, [1.0, 2.0], [0, 0], "mse"), ValueError, "layer 1 takes 3 inputs"),
    (lambda m: lb.compare(m, [1.0], [0, 0], "mse"), ValueError, "layer 1 takes 3 inputs"),
    (lambda m: lb.algorithm1(m, [1, 2, 3], [0, 0, 0], "mse"), ValueError, "output layer has 2 neurons"),
    (lambda m: lb.algorithm1(m, [1, 2, 3], 5, "cross_entropy"), ValueError, "class index 5 is out of range"),
    (lambda m: lb.algorithm1(m, [1, 2, 3], 1.0, "bce"), ValueError, "needs an output layer of one neuron"),
    (lambda m: lb.algorithm1(m, [1, 2, 3], [0, 0], "l1"), ValueError, "loss 'l1' has no BP1"),
    (lambda m: lb.algorithm1(m, [1, 2, float("nan")], [0, 0], "mse"), ValueError, "must be finite"),
    (lambda m: lb.algorithm1(m, [1, "a", 3], [0, 0], "mse"), TypeError, "sequence of numbers"),
    (lambda m: lb.algorithm1(m, [[1, 2, 3]], [0, 0], "mse"), TypeError, "an entry list"),
    (lambda m: lb.algorithm1(m, "123", [0, 0], "mse"), TypeError, "sequence of numbers"),
    (lambda m: lb.algorithm2(m, [], [], "mse"), ValueError, "the batch is empty"),
    (lambda m: lb.algorithm2(m, [[1, 2, 3]], [], "mse"), ValueError, "1 inputs but 0 targets"),
    (lambda m: lb.compare_batch(m, [[1, 2]], [[0, 0]], "mse", compiled=True), ValueError, "layer 1 takes 3"),
])
def test_bad_shapes_and_arguments(call, error, message):
    with pytest.raises(error, match=message):
        call(nn.MLP(3, [4, 2], seed=0))


def test_hinge_targets_are_plus_minus_one():
    with pytest.raises(ValueError, match="t = ±1"):
        lb.algorithm1(nn.MLP(2, [1]), [1, 2], 0.5, "hinge")


# ---- the picture --------------------------------------------------------------------------------
def test_network_diagram_colours_neurons_by_delta_and_edges_by_gradient(tmp_path):
    pytest.importorskip("matplotlib")
    import matplotlib
    matplotlib.use("Agg")
    from nn.diagram import draw_network

    model = nn.MLP(3, [4, 2], activation="tanh", seed=2)
    x, t = [0.5, -1.0, 2.0], 1
    ax = draw_network(model, x, t, "cross_entropy", path=tmp_path / "net.png")
    g = lb.algorithm1(model, x, t, "cross_entropy")
    lines = ax.collections[0]
    assert len(lines.get_segments()) == 3 * 4 + 4 * 2
    np.testing.assert_array_equal(lines.get_array(), np.concatenate([g.dW[1].ravel(), g.dW[2].ravel()]))
    circles = [p for p in ax.patches if hasattr(p, "get_radius")]
    assert len(circles) == 3 + 4 + 2
    # the neuron with the largest |δ| has the most saturated colour of the scale
    deltas = np.concatenate([g.delta[1], g.delta[2]])
    faces = [c.get_facecolor() for c in circles[3:]]
    cmap = matplotlib.colormaps["coolwarm"]
    extreme = cmap(0.0) if deltas[np.abs(deltas).argmax()] < 0 else cmap(1.0)
    assert faces[int(np.abs(deltas).argmax())] == pytest.approx(extreme)
    # every δ printed on a neuron is legible on its colour: WCAG contrast ratio ≥ 4.5
    from matplotlib.colors import to_rgba
    from nn.diagram import _luminance

    def contrast(a, b):
        la, lb_ = sorted((_luminance(to_rgba(a)), _luminance(to_rgba(b))), reverse=True)
        return (la + 0.05) / (lb_ + 0.05)

    labels = {(round(t.get_position()[0], 6), round(t.get_position()[1], 6)): t for t in ax.texts}
    for circle in circles[3:]:
        text = labels[(round(circle.center[0], 6), round(circle.center[1], 6))]
        assert contrast(text.get_color(), circle.get_facecolor()) >= 4.5, (text.get_text(), circle.get_facecolor())
    assert (tmp_path / "net.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match="more than max_edges=10"):
        draw_network(model, x, t, "cross_entropy", max_edges=10)
    matplotlib.pyplot.close("all")


@pytest.mark.parametrize("sizes", [[3, 4, 3, 2], [2, 3, 2], [3, 8, 8, 8, 2]])
def test_network_diagram_is_readable_at_its_size(tmp_path, sizes):
    """`layers --plot` drew 375×530 px with 6.5-pt text (issue 24): the canvas now grows with
    the layer count and the widest layer, and no text is under 12 px (9 pt at 96 dpi)."""
    pytest.importorskip("matplotlib")
    import re

    import matplotlib
    matplotlib.use("Agg")
    from nn.diagram import draw_network

    nin, *outs = sizes
    model = nn.MLP(nin, outs, activation="tanh", seed=1)
    draw_network(model, [0.5] * nin, 1, "cross_entropy", path=tmp_path / "net.svg")
    matplotlib.pyplot.close("all")
    svg = (tmp_path / "net.svg").read_text()
    width_pt, height_pt = (float(v) for v in re.search(r'<svg[^>]*width="([\d.]+)pt" height="([\d.]+)pt"', svg).groups())
    px = 4 / 3  # an SVG point is 4/3 of a CSS pixel
    assert width_pt * px >= 130 * len(sizes), (width_pt, sizes)
    assert height_pt * px >= 80 * max(sizes) + 150, (height_pt, sizes)
    # matplotlib writes each text as glyph paths under `scale(s -s)`, s = font size in pt / 100
    scales = [float(s) for s in re.findall(r"scale\(([\d.]+) -[\d.]+\)", svg)]
    assert len(scales) >= sum(sizes) + len(sizes)  # every neuron's δ or input, every layer's name
    assert min(scales) * 100 * px >= 12, min(scales)


def test_readme_example():
    import contextlib
    import io
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    (block,) = [b for b in re.findall(r"```python\n(.*?)```", text, re.S) if "layers_backprop" in b]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(block, "README.md", "exec"), {})
    assert "z[l][j].grad (engine)" in out.getvalue()
    line = out.getvalue().splitlines()[0]
    first, *numbers = line.replace("[", " ").replace("]", " ").split()
    assert first == "True"  # max_diff ≤ 1e-12
    assert [float(v) for v in numbers] == pytest.approx([0.58223931, -0.58223931] * 2, abs=1e-8)


# ---- the command line ------------------------------------------------------------------------
def layers_cli(*args):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "autograd_engine.cli", "layers", *args],
                          capture_output=True, text=True, timeout=120)


def test_cli_prints_the_delta_table_of_the_library(tmp_path):
    png = tmp_path / "net.png"
    run = layers_cli("--sizes", "3,4,2", "--activation", "sigmoid", "--loss", "mse", "--x=0.5,-1,2",
                     "--target=0.25,0.75", "--seed", "3", "--steps", "--plot", str(png))
    assert run.returncode == 0, run.stderr
    model = nn.MLP(3, [4, 2], activation="sigmoid", init="xavier", seed=3)
    c = lb.compare(model, [0.5, -1.0, 2.0], [0.25, 0.75], "mse")
    assert c.table() in run.stdout
    assert "δ[1][4] = S′(z[1][4]) · Σᵢ w[2][i][4] δ[2][i]   (BP2)" in run.stdout
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("args, message", [
    (("--x=1,2",), "layer 1 takes 3 inputs"),
    (("--sizes", "2,1", "--loss", "hinge", "--target=0.5"), "t = ±1"),
    (("--sizes", "2",), "argument --sizes"),
    (("--plot", "/no/such/dir/net.png"), "does not exist"),
])
def test_cli_bad_input_is_one_line_and_exit_2(args, message):
    run = layers_cli(*args)
    assert run.returncode == 2 and message in run.stderr and "Traceback" not in run.stderr


def test_one_neuron_reads_as_w_dot_x_plus_b():
    pytest.importorskip("graphviz")
    from nn.diagram import draw_neuron

    model = nn.MLP(3, [4, 2], activation="tanh", seed=1)
    x = [0.5, -1.0, 2.0]
    src = draw_neuron(model, x, 1, "cross_entropy", l=1, j=3).source
    g = lb.algorithm1(model, x, 1, "cross_entropy")
    n = model.layers[0].neurons[2]
    from autograd_engine.teach.walkthrough import number
    for k in range(3):  # each weight paired with its input, through its product
        assert f"w[1][3][{k + 1}]" in src and f"x[{k + 1}]" in src
        assert f"× = {number(n.w[k].data * x[k])}" in src
        assert f"grad {number(g.dW[1][2, k])}" in src
    assert "b[1][3]" in src and f"z[1][3].grad = δ = {number(g.delta[1][2])}" in src
    assert f"S′(z) = {number(lb.S_prime('tanh', g.forward.z[1])[2])}" in src
    with pytest.raises(ValueError, match="layer 2 has neurons 1..2"):
        draw_neuron(model, x, 1, "cross_entropy", l=2, j=3)
    with pytest.raises(ValueError, match="numbered 1..2"):
        draw_neuron(model, x, 1, "cross_entropy", l=0, j=1)


def test_algorithm1_and_2_refuse_an_overflow_by_name():
    pytest.importorskip("numpy")
    from nn import layers_backprop as lb

    model = nn.MLP(2, [3, 1], activation="tanh")
    for p in model.parameters():
        p.data = 1e200
    with pytest.raises(ValueError, match=r"algorithm1: z_1 is not finite"):
        lb.algorithm1(model, [1e200, 1e200], [1.0])
    with pytest.raises(ValueError, match=r"algorithm1: z_1 is not finite"):
        lb.algorithm2(model, [[1e200, 1e200]], [[1.0]])


def test_gradient_step_writes_finite_python_floats_or_nothing():
    pytest.importorskip("numpy")
    from nn import layers_backprop as lb

    model = nn.MLP(2, [3, 1], activation="relu", seed=1)
    lb.gradient_step(model, [[0.5, -0.2]], [[1.0]], eta=0.1)
    assert {type(p.data) for p in model.parameters()} == {float}
    for p in model.parameters():
        p.data = 1e150
    before = [p.data for p in model.parameters()]
    with pytest.raises(ValueError, match="not finite|would become"):
        lb.gradient_step(model, [[1e150, 1e150]], [[1.0]], eta=1e300)
    assert [p.data for p in model.parameters()] == before
