"""Losses against closed forms and central finite differences; softmax cross-entropy's
gradient is the backprop chapter's δₖ = yₖ − tₖ; every loss is replayable by the compiled tape."""

import math
import random

import pytest

import nn
from autograd_engine import Value, compile


def finite_diff(f, xs, h=1e-6):
    """Central differences (f(x + h) − f(x − h)) / 2h for each coordinate."""
    out = []
    for i in range(len(xs)):
        up, down = list(xs), list(xs)
        up[i] += h
        down[i] -= h
        out.append((f(up) - f(down)) / (2 * h))
    return out


def grads(loss_fn, xs, target):
    vs = [Value(x) for x in xs]
    loss = loss_fn(vs if len(vs) > 1 else vs[0], target)
    loss.backward()
    return loss.data, [v.grad for v in vs]


def softmax(a):
    m = max(a)
    e = [math.exp(x - m) for x in a]
    return [x / sum(e) for x in e]


# ---- softmax cross-entropy -----------------------------------------------------------------------
@pytest.mark.parametrize("logits, label", [([2.0, 1.0, 0.1], 0), ([-1.0, 3.0, 0.5, 0.0], 2), ([0.3, 0.3], 1)])
def test_softmax_cross_entropy_value_and_gradient_y_minus_t(logits, label):
    t = [1.0 if k == label else 0.0 for k in range(len(logits))]
    value, g = grads(nn.softmax_cross_entropy, logits, t)
    y = softmax(logits)
    assert value == pytest.approx(-sum(tk * math.log(yk) for tk, yk in zip(t, y)), rel=1e-12)
    assert g == pytest.approx([yk - tk for yk, tk in zip(y, t)], abs=1e-12)  # the backprop chapter: δₖ = yₖ − tₖ
    # the class index form is the same loss
    assert nn.softmax_cross_entropy([Value(a) for a in logits], label).data == pytest.approx(value, rel=1e-12)


def test_softmax_cross_entropy_soft_targets_against_finite_differences():
    logits, t = [0.7, -1.2, 2.1], [0.2, 0.5, 0.3]
    _, g = grads(nn.softmax_cross_entropy, logits, t)
    fd = finite_diff(lambda a: nn.softmax_cross_entropy([Value(x) for x in a], t).data, logits)
    assert g == pytest.approx(fd, abs=1e-7)
    assert g == pytest.approx([yk - tk for yk, tk in zip(softmax(logits), t)], abs=1e-12)


def test_softmax_cross_entropy_is_stable_for_huge_logits():
    """exp(1000) overflows a float; the max-shifted log-sum-exp does not."""
    value, g = grads(nn.softmax_cross_entropy, [1000.0, 0.0, -1000.0], [0.0, 1.0, 0.0])
    assert value == pytest.approx(1000.0, rel=1e-12)
    assert g == pytest.approx([1.0, -1.0, 0.0], abs=1e-12)


def test_softmax_shift_is_a_max_op_not_a_number_from_data():
    a = [Value(0.5), Value(2.0), Value(-1.0)]
    ops = [v.op for v in nn.softmax_cross_entropy(a, 1).nodes()]
    assert ops.count("max") == 2


# ---- binary cross-entropy with logits --------------------------------------------------------------
@pytest.mark.parametrize("z, t", [(0.8, 1.0), (-2.5, 1.0), (1.7, 0.0), (0.0, 0.0), (-0.3, 0.4)])
def test_bce_with_logits_value_and_gradient_sigma_minus_t(z, t):
    value, (g,) = grads(nn.binary_cross_entropy_with_logits, [z], t)
    s = 1 / (1 + math.exp(-z))
    assert value == pytest.approx(-(t * math.log(s) + (1 - t) * math.log(1 - s)), rel=1e-12)
    assert g == pytest.approx(s - t, abs=1e-12)
    if z != 0.0:  # |z| has a kink at 0
        fd = finite_diff(lambda v: nn.binary_cross_entropy_with_logits(Value(v[0]), t).data, [z])
        assert g == pytest.approx(fd[0], abs=1e-7)


def test_bce_with_logits_is_stable_at_plus_minus_1000():
    assert grads(nn.binary_cross_entropy_with_logits, [1000.0], 0.0) == (1000.0, [1.0])
    value, (g,) = grads(nn.binary_cross_entropy_with_logits, [-1000.0], 0.0)
    assert value == 0.0 and g == pytest.approx(0.0, abs=1e-300)


# ---- hinge, mse, l2 --------------------------------------------------------------------------------
@pytest.mark.parametrize("s, t, value, grad", [
    (0.3, 1.0, 0.7, -1.0),    # inside the margin: 1 − t·s, ∂/∂s = −t
    (-0.5, -1.0, 0.5, 1.0),
    (1.5, 1.0, 0.0, 0.0),     # beyond the margin: no loss, no gradient
    (0.5, -1.0, 1.5, 1.0),    # wrong side
])
def test_hinge_closed_form(s, t, value, grad):
    v, (g,) = grads(nn.hinge, [s], t)
    assert (v, g) == pytest.approx((value, grad), abs=1e-15)


def test_mse_closed_form_and_finite_differences():
    ys, ts = [0.5, -1.0, 2.0], [1.0, 0.0, 2.5]
    value, g = grads(nn.mse, ys, ts)
    assert value == pytest.approx(0.25 + 1.0 + 0.25, rel=1e-12)   # ‖y − t‖²
    assert g == pytest.approx([2 * (y - t) for y, t in zip(ys, ts)], abs=1e-12)
    assert g == pytest.approx(finite_diff(lambda v: nn.mse([Value(x) for x in v], ts).data, ys), abs=1e-7)


def test_l2_is_lambda_sum_of_squares_with_gradient_2_lambda_w():
    ws = [Value(x) for x in (0.5, -2.0, 3.0)]
    reg = nn.l2(ws, 1e-4)
    assert reg.data == pytest.approx(1e-4 * (0.25 + 4 + 9), rel=1e-12)
    reg.backward()
    assert [w.grad for w in ws] == pytest.approx([2e-4 * w.data for w in ws], rel=1e-12)


def test_mean_is_the_batch_average():
    losses = [Value(1.0), Value(2.0), Value(6.0)]
    m = nn.mean(losses)
    m.backward()
    assert m.data == 3.0 and [v.grad for v in losses] == pytest.approx([1 / 3] * 3)


def test_targets_may_be_values_with_gradients_of_their_own():
    a, t = [Value(1.0), Value(-1.0)], [Value(0.25), Value(0.75)]
    loss = nn.softmax_cross_entropy(a, t)
    loss.backward()
    y = softmax([1.0, -1.0])
    assert [v.grad for v in t] == pytest.approx([-math.log(yk) for yk in y], rel=1e-12)  # ∂L/∂tₖ = −log yₖ


# ---- traceable: the tape replays each loss per sample ----------------------------------------------
@pytest.mark.parametrize("name, n_out, target_of", [
    ("cross_entropy", 3, lambda r: [1.0, 0.0, 0.0] if r < 1 / 3 else ([0.0, 1.0, 0.0] if r < 2 / 3 else [0.0, 0.0, 1.0])),
    ("bce", 1, lambda r: [float(r > 0.5)]),
    ("hinge", 1, lambda r: [1.0 if r > 0.5 else -1.0]),
    ("mse", 2, lambda r: [r, 1 - r]),
])
def test_every_loss_compiles_and_matches_the_scalar_engine(name, n_out, target_of):
    np = pytest.importorskip("numpy")
    loss = nn.LOSSES[name]
    model = nn.MLP(2, [5, n_out], seed=3)
    params = model.parameters()
    n_t = n_out

    def per_sample(x0, x1, *t):
        return loss.fn(model([x0, x1]), t[0] if n_t == 1 else list(t))

    tape = compile(per_sample, 2 + n_t)
    rng = random.Random(8)
    rows = [[rng.uniform(-2, 2), rng.uniform(-2, 2)] + target_of(rng.random()) for _ in range(12)]
    out = tape.forward(np.array(rows))
    model.zero_grad()
    tape.backward("sum")
    tape_grads = [p.grad for p in params]
    model.zero_grad()
    scalar = [per_sample(*map(Value, r)) for r in rows]
    Value.sum(scalar).backward()
    assert out.tolist() == pytest.approx([s.data for s in scalar], rel=1e-12, abs=1e-14)
    assert tape_grads == pytest.approx([p.grad for p in params], rel=1e-9, abs=1e-12)


def test_loss_conventions_for_labels():
    assert nn.LOSSES["hinge"].target(0, 1) == [-1.0] and nn.LOSSES["hinge"].target(1, 1) == [1.0]
    assert nn.LOSSES["bce"].target(0, 1) == [0.0]
    assert nn.LOSSES["cross_entropy"].target(2, 3) == [0.0, 0.0, 1.0]
    assert nn.LOSSES["cross_entropy"].predict([0.1, 2.0, -1.0]) == 1
    assert nn.LOSSES["hinge"].predict([-0.2]) == 0 and nn.LOSSES["mse"].predict([0.7]) == 1


@pytest.mark.parametrize("call, error, match", [
    (lambda: nn.mse([Value(1.0), Value(2.0)], [1.0]), ValueError, "2 outputs but 1 targets"),
    (lambda: nn.softmax_cross_entropy([Value(1.0), Value(2.0)], 2), ValueError, "out of range"),
    (lambda: nn.hinge(Value(1.0), "yes"), TypeError, "sequence"),
    (lambda: nn.mean([]), ValueError, "empty batch"),
    (lambda: nn.get_loss("nll"), ValueError, "cross_entropy"),
    (lambda: nn.LOSSES["hinge"].target(2, 1), ValueError, "two classes"),
    (lambda: nn.LOSSES["hinge"].target(1, 3), ValueError, "one output unit"),
])
def test_bad_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize("label", [1.5, True, "1", -1, 3, math.nan])
def test_cross_entropy_refuses_a_label_that_is_not_a_class_index(label):
    with pytest.raises(ValueError, match="cross_entropy'?: label"):
        nn.LOSSES["cross_entropy"].target(label, 3)
    model = nn.MLP(2, [3], seed=0)
    with pytest.raises(ValueError, match="label"):
        nn.fit(model, "cross_entropy", nn.SGD(model.parameters()), ([[0.0, 1.0]], [label]), epochs=1)
    if isinstance(label, int) and not isinstance(label, bool):
        with pytest.raises(ValueError, match="softmax_cross_entropy: label"):
            nn.softmax_cross_entropy([Value(0.0)] * 3, label)


def test_cross_entropy_accepts_integral_labels_and_matches_torch():
    np = pytest.importorskip("numpy")
    assert nn.LOSSES["cross_entropy"].target(np.int64(2), 3) == [0.0, 0.0, 1.0]
    assert nn.LOSSES["cross_entropy"].target(1.0, 3) == [0.0, 1.0, 0.0]
    torch = pytest.importorskip("torch")
    logits = [0.5, -1.0, 2.0]
    want = torch.nn.functional.cross_entropy(torch.tensor([logits], dtype=torch.float64), torch.tensor([2]))
    assert nn.softmax_cross_entropy(logits, np.int64(2)).data == pytest.approx(want.item(), rel=1e-12)


def test_hinge_refuses_0_1_targets_and_fit_converts_labels():
    with pytest.raises(ValueError, match=r"hinge: the target must be -1 or \+1, got 0"):
        nn.hinge(Value(0.3), 0)
    with pytest.raises(ValueError, match="hinge: the target"):
        nn.hinge(Value(0.3), 0.5)
    assert nn.hinge(Value(0.3), -1).data == pytest.approx(1.3)
    assert nn.hinge(Value(0.3), 1).data == pytest.approx(0.7)
    assert nn.LOSSES["hinge"].target(0, 1) == [-1.0] and nn.LOSSES["hinge"].target(1, 1) == [1.0]
    assert "refused" in nn.hinge.__doc__


@pytest.mark.parametrize("name", sorted(nn.LOSSES))
def test_a_losss_array_prediction_is_its_prediction_row_by_row(name):
    """``predict_rows`` (the compiled tape's accuracy) says what ``predict`` says of each row,
    ties and the thresholds included: the two forms of one rule, in one row of LOSSES."""
    np = pytest.importorskip("numpy")
    loss = nn.LOSSES[name]
    rng = np.random.default_rng(0)
    for k in ((1,) if name in ("hinge", "bce") else (1, 3)):
        outs = np.round(rng.normal(size=(200, k)), 1)  # rounded: ties and exact 0 / 0.5 occur
        outs[:4] = [[0.0] * k, [0.5] * k, [-0.0] * k, [1.0] * k]
        assert loss.predict_rows(np, outs).tolist() == [loss.predict(row) for row in outs.tolist()]
