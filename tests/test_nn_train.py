"""nn.fit: XOR learned with MSE (the AD talk), micrograd's moons demo step by step against
micrograd itself and to 100% accuracy on the compiled tape, early stopping on a validation
loss that must rise (closed-form numbers), the history, the progress bar, evaluation under
no_grad(), and bad arguments."""

import math
import sys

import pytest

import nn
from autograd_engine import Value, is_grad_enabled


def close(a, b, rel=1e-9):
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-300)


def demo_model(seed=1337):
    """micrograd's demo model, MLP(2, [16, 16, 1]) with relu hidden layers."""
    return nn.MLP(2, [16, 16, 1], seed=seed)


def demo_optimizer(model):
    return nn.SGD(model.parameters(), lr=nn.linear_decay(1.0, 0.1, 100))  # 1 − 0.9·k/100


# ---- XOR (the AD talk) --------------------------------------------------------------------------
def test_xor_is_learned_with_mse():
    """The AD talk's example: (0,0)→0, (0,1)→1, (1,0)→1, (1,1)→0 with L = (1/|X|) Σ ‖y − ŷ‖²."""
    data = nn.xor()
    model = nn.MLP(2, [4, 1], activation="tanh", seed=0)
    hist = nn.fit(model, "mse", nn.SGD(model.parameters(), lr=0.1, momentum=0.9), data, epochs=300)
    assert hist.loss[-1] < 1e-4
    truth = {(0.0, 0.0): 0, (0.0, 1.0): 1, (1.0, 0.0): 1, (1.0, 1.0): 0}
    for x, (y,) in zip(data.X, nn.outputs(model, data.X)):
        assert abs(y - truth[tuple(x)]) < 0.02
    assert nn.predict(model, data.X, "mse") == [truth[tuple(x)] for x in data.X]


def test_xor_is_not_linear():
    """Without a hidden layer the best least-squares fit to XOR is the constant 1/2 (w = 0,
    b = 1/2, by symmetry), whose MSE is exactly 1/4 (the AD talk: 'XOR: not linear')."""
    model = nn.MLP(2, [1], seed=0)
    hist = nn.fit(model, "mse", nn.SGD(model.parameters(), lr=0.2), nn.xor(), epochs=300)
    assert hist.loss[-1] == pytest.approx(0.25, rel=1e-6)
    w1, w2, b = (p.data for p in model.parameters())
    assert (w1, w2, b) == pytest.approx((0.0, 0.0, 0.5), abs=1e-6)


# ---- micrograd's demo ---------------------------------------------------------------------------
def micrograd_demo_losses(model, X, y, steps):
    """micrograd's demo loop verbatim (demo.ipynb), on micrograd's own engine."""
    from micrograd.engine import Value as MValue

    ys = [2 * c - 1 for c in y]  # labels ±1
    out = []
    for k in range(steps):
        scores = [model(list(map(MValue, x))) for x in X]
        losses = [(1 + -yi * si).relu() for yi, si in zip(ys, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = 1e-4 * sum((p * p for p in model.parameters()))
        total = data_loss + reg_loss
        acc = sum((yi > 0) == (si.data > 0) for yi, si in zip(ys, scores)) / len(ys)
        model.zero_grad()
        total.backward()
        lr = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= lr * p.grad
        out.append((total.data, acc))
    return out


def test_micrograd_demo_matches_micrograd_and_the_tape_step_by_step():
    """The same weights trained three ways — micrograd's demo loop on micrograd, fit on the
    scalar engine, fit on the compiled tape — give the same loss and accuracy at every step
    and the same weights after (rel ≤ 1e-9)."""
    micrograd_nn = pytest.importorskip("micrograd.nn", reason="micrograd is in the [bench] extra")
    steps = 3
    data = nn.moons(30, noise=0.1, seed=1337)  # micrograd takes seconds a step on 100 points
    theirs = micrograd_nn.MLP(2, [16, 16, 1])
    start = [p.data for p in demo_model().parameters()]
    for p, x in zip(theirs.parameters(), start):  # same parameter order: copy by position
        p.data = x
    reference = micrograd_demo_losses(theirs, data.X, data.y, steps)
    runs = {}
    for compiled in (False, True):
        model = demo_model()
        hist = nn.fit(model, "hinge", demo_optimizer(model), data, epochs=steps, l2=1e-4,
                      compiled=compiled)
        runs[compiled] = hist, [p.data for p in model.parameters()]
    for hist, weights in runs.values():
        assert hist.lr == pytest.approx([1.0 - 0.9 * k / 100 for k in range(steps)], rel=1e-15)
        for (loss, acc), ours, our_acc in zip(reference, hist.loss, hist.accuracy):
            assert close(ours, loss)
            assert our_acc == acc
        assert all(close(a, p.data) for a, p in zip(weights, theirs.parameters()))
    # the two engines of ours agree far below the 1e-9 the tape promises
    assert all(close(a, b, 1e-12) for a, b in zip(runs[False][0].loss, runs[True][0].loss))


def test_micrograd_demo_reaches_100_percent_training_accuracy_on_the_tape():
    data = nn.moons(100, noise=0.1, seed=1337)
    model = demo_model()
    hist = nn.fit(model, "hinge", demo_optimizer(model), data, epochs=100, l2=1e-4, compiled=True)
    assert hist.epochs == hist.steps == 100
    assert hist.accuracy[-1] == 1.0
    assert hist.loss[-1] < 0.1 * hist.loss[0]
    _, accuracy = nn.evaluate(model, "hinge", data)  # the scalar engine agrees on the final model
    assert accuracy == 1.0
    assert nn.predict(model, data.X) == data.y


# ---- mini-batches, multi-class, validation: scalar and tape agree -------------------------------
def test_minibatch_cross_entropy_adam_with_validation_same_on_both_engines():
    train, val = nn.split(nn.spirals(60, k=3, seed=3), 0.75, 0.25, seed=3)
    hists = []
    for compiled in (False, True):
        model = nn.MLP(2, [8, 3], activation="tanh", seed=5)
        opt = nn.Adam(model.parameters(), lr=0.05)
        hists.append(nn.fit(model, "cross_entropy", opt, train, epochs=3, batch_size=16, val=val,
                            l2=1e-3, compiled=compiled, seed=7))
    scalar, tape = hists
    assert scalar.steps == tape.steps == 3 * math.ceil(45 / 16)
    for field in ("loss", "val_loss"):
        assert all(close(a, b) for a, b in zip(getattr(scalar, field), getattr(tape, field)))
    assert scalar.accuracy == tape.accuracy and scalar.val_accuracy == tape.val_accuracy


# ---- early stopping (the backprop chapter: stop training when the validation loss rises) --------------------
def one_weight_model():
    """y = w·x + b with w = b = 0."""
    model = nn.MLP(1, [1], seed=0)
    for p in model.parameters():
        p.data = 0.0
    return model


def test_early_stopping_stops_when_the_validation_loss_rises_and_restores_the_best_epoch():
    """Train on x = 1 → 1, validate on x = 1 → 0: every step moves y = w + b towards 1, so the
    validation loss y² can only rise.  With L = (y − 1)², ∂L/∂w = ∂L/∂b = 2(y − 1), η = 0.1:
    step 1 from y = 0 gives w = b = 0.2, y = 0.4, val loss 0.16; step 2 gives w = b = 0.32,
    y = 0.64, val loss 0.4096; ...  Patience 2: epochs 1 and 2 do not improve on epoch 0, so
    training stops after epoch 2 (0-based) and the parameters of epoch 0 come back."""
    model = one_weight_model()
    train, val = nn.Dataset([[1.0]], [1]), nn.Dataset([[1.0]], [0])
    hist = nn.fit(model, "mse", nn.SGD(model.parameters(), lr=0.1), train, epochs=50, val=val,
                  early_stopping=2)
    assert hist.stopped_early
    assert hist.epochs == 3
    assert hist.best_epoch == 0
    assert hist.val_loss[:2] == pytest.approx([0.16, 0.4096], rel=1e-12)
    assert hist.val_loss == sorted(hist.val_loss)  # it rose every epoch
    assert [p.data for p in model.parameters()] == pytest.approx([0.2, 0.2], rel=1e-12)


def test_without_a_rise_training_runs_every_epoch_and_keeps_the_last():
    model = one_weight_model()
    data = nn.Dataset([[1.0]], [1])
    hist = nn.fit(model, "mse", nn.SGD(model.parameters(), lr=0.1), data, epochs=6, val=data,
                  early_stopping=1)
    assert not hist.stopped_early and hist.epochs == 6 and hist.best_epoch == 5
    # y_k = 1 − 0.6^k (each step removes 4η = 40% of the gap): val loss 0.6^(2k)
    assert hist.val_loss == pytest.approx([0.6 ** (2 * k) for k in range(1, 7)], rel=1e-12)
    assert sum(p.data for p in model.parameters()) == pytest.approx(1 - 0.6 ** 6, rel=1e-12)


# ---- the history --------------------------------------------------------------------------------
def test_history_records_every_epoch():
    """Full batch on x = 1 → 1 from y = 0 with η = 0.1: the loss before step k is
    (0.6^k)² and the schedule's rates are recorded per epoch."""
    model = one_weight_model()
    data = nn.Dataset([[1.0]], [1])
    opt = nn.SGD(model.parameters(), lr=nn.step_decay(0.1, 1.0, 2))
    hist = nn.fit(model, "mse", opt, data, epochs=4)
    assert hist.epochs == 4 and hist.steps == 4 and opt.steps == 4
    assert hist.loss == pytest.approx([0.6 ** (2 * k) for k in range(4)], rel=1e-12)
    assert hist.accuracy == [0.0, 0.0, 1.0, 1.0]  # y = 0, 0.4 ≤ 0.5 < 0.64, 0.784
    assert hist.lr == [0.1] * 4
    assert hist.val_loss == [None] * 4 and hist.val_accuracy == [None] * 4
    assert len(hist.seconds) == 4 and all(s >= 0 for s in hist.seconds)
    assert hist.best_epoch == 3 and not hist.stopped_early


def test_mini_batches_count_steps_and_the_schedule_follows_them():
    data = nn.moons(10, seed=0)
    model = nn.MLP(2, [4, 1], seed=0)
    opt = nn.SGD(model.parameters(), lr=nn.linear_decay(1.0, 0.1, 100))
    hist = nn.fit(model, "hinge", opt, data, epochs=3, batch_size=4)
    assert hist.steps == opt.steps == 9  # ⌈10/4⌉ = 3 batches an epoch
    assert hist.lr == pytest.approx([1.0, 1.0 - 0.9 * 3 / 100, 1.0 - 0.9 * 6 / 100])


# ---- progress bar -------------------------------------------------------------------------------
def quick_fit(**kw):
    model = one_weight_model()
    return nn.fit(model, "mse", nn.SGD(model.parameters(), lr=0.1), nn.Dataset([[1.0]], [1]),
                  epochs=3, **kw)


def test_progress_bar_is_quiet_when_stderr_is_not_a_terminal(capfd):
    assert not sys.stderr.isatty()
    quick_fit()
    assert capfd.readouterr() == ("", "")


def test_progress_bar_shows_when_forced_or_on_a_terminal(capsys, monkeypatch):
    quick_fit(progress=True)
    out, err = capsys.readouterr()
    assert out == "" and "training" in err and "3/3" in err and "loss=" in err
    monkeypatch.setattr(sys, "stderr", type("Tty", (), {
        "isatty": lambda self: True, "write": sys.stderr.write, "flush": sys.stderr.flush})())
    quick_fit()
    assert "3/3" in capsys.readouterr().err
    quick_fit(progress=False)
    assert capsys.readouterr().err == ""


# ---- evaluation builds no graph and leaves gradients alone ---------------------------------------
class Spy(nn.MLP):
    """An MLP that records, for each call, whether gradients were recorded and whether its
    output is a graph node with parents."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.calls = []

    def __call__(self, x):
        out = super().__call__(x)
        self.calls.append((is_grad_enabled(), bool(out.parents)))
        return out


def test_evaluate_builds_no_graph_and_keeps_grads():
    model = Spy(2, [4, 1], seed=0)
    data = nn.moons(12, seed=1)
    for i, p in enumerate(model.parameters()):
        p.grad = 0.5 + i
    for compiled in (False, True):
        loss, acc = nn.evaluate(model, "hinge", data, compiled=compiled)
        assert [p.grad for p in model.parameters()] == [0.5 + i for i in range(len(model.parameters()))]
        direct = sum(max(0.0, 1 - (2 * c - 1) * model(x).data) for x, c in zip(data.X, data.y)) / 12
        assert close(loss, direct)
    assert model.calls[:12] == [(False, False)] * 12  # the scalar evaluation


def test_fit_validates_under_no_grad_and_validation_does_not_touch_grads():
    train, val = nn.moons(8, seed=2), nn.moons(5, seed=3)
    model = Spy(2, [4, 1], seed=0)
    nn.fit(model, "hinge", nn.SGD(model.parameters(), lr=0.1), train, epochs=2, val=val)
    per_epoch = [(True, True)] * 8 + [(False, False)] * 5  # train batch, then validation
    assert model.calls == per_epoch * 2
    grads_with_val = [p.grad for p in model.parameters()]
    twin = nn.MLP(2, [4, 1], seed=0)
    nn.fit(twin, "hinge", nn.SGD(twin.parameters(), lr=0.1), train, epochs=2)
    assert grads_with_val == [p.grad for p in twin.parameters()]  # the last step's, untouched


# ---- bad arguments -------------------------------------------------------------------------------
def _bad(**kw):
    model = nn.MLP(2, [4, 1], seed=0)
    args = dict(loss="hinge", optimizer=nn.SGD(model.parameters(), lr=0.1),
                train=nn.moons(10, seed=0), epochs=2)
    args.update(kw)
    return model, args


@pytest.mark.parametrize("kw, error, match", [
    ({"loss": "svm"}, ValueError, r"loss must be .* 'hinge'.*got 'svm'"),
    ({"optimizer": "adam"}, TypeError, r"fit: optimizer must be an nn optimizer.*got 'adam'"),
    ({"optimizer": nn.SGD(nn.MLP(2, [1]).parameters(), lr=0.1)}, ValueError,
     "optimizer holds parameters that are not the model's"),
    ({"train": nn.Dataset([], [])}, ValueError, "fit: train is empty"),
    ({"train": ([], [])}, ValueError, "fit: train is empty"),
    ({"val": nn.Dataset([], [])}, ValueError, "fit: val is empty"),
    ({"train": nn.Dataset([[1.0, 2.0, 3.0]], [1])}, ValueError,
     "fit: train has points of 3 features but the model takes 2 inputs"),
    ({"val": nn.Dataset([[1.0]], [1])}, ValueError, "fit: val has points of 1 features"),
    ({"train": [[1.0, 2.0]]}, TypeError, r"fit: train must be an nn.Dataset or a pair \(X, y\)"),
    ({"batch_size": 0}, ValueError, r"fit: batch_size must be a positive int or None \(the full batch\), got 0"),
    ({"batch_size": 2.5}, ValueError, "fit: batch_size"),
    ({"epochs": 0}, ValueError, "fit: epochs must be a positive int"),
    ({"l2": -1e-4}, ValueError, "fit: l2 must be"),
    ({"early_stopping": 3}, ValueError, r"early_stopping needs a validation set"),
    ({"early_stopping": 0, "val": nn.moons(4)}, ValueError, "early_stopping is a patience"),
    ({"train": nn.Dataset([[0.0, 0.0]], [2])}, ValueError, r"'hinge' is for two classes"),
])
@pytest.mark.parametrize("compiled", [False, True])
def test_bad_arguments_get_clear_errors_before_any_step(kw, error, match, compiled):
    model, args = _bad(**kw)
    before = [p.data for p in model.parameters()]
    with pytest.raises(error, match=match):
        nn.fit(model, args.pop("loss"), args.pop("optimizer"), args.pop("train"),
               compiled=compiled, **args)
    assert [p.data for p in model.parameters()] == before


def test_fit_refuses_what_is_not_a_model():
    with pytest.raises(TypeError, match="fit: model must be an nn.MLP"):
        nn.fit(lambda x: Value(0.0), "hinge", nn.SGD([Value(1.0)], lr=0.1), nn.moons(4))


@pytest.mark.parametrize("compiled", [False, True])
@pytest.mark.parametrize("opt", [lambda ps: nn.SGD(ps, lr=1e307), lambda ps: nn.SGD(ps, lr=1e307, momentum=0.9),
                                 lambda ps: nn.RMSProp(ps, lr=1e307), lambda ps: nn.SGD(ps, lr=1e300)])
def test_fit_that_diverges_stops_with_the_epoch_and_finite_parameters(opt, compiled):
    if compiled:
        pytest.importorskip("numpy")
    train = nn.moons(40, noise=0.1, seed=1)
    model = nn.MLP(2, [8, 1], seed=1)
    with pytest.raises(nn.DivergenceError, match=r"fit: training diverged in epoch \d+") as err:
        nn.fit(model, "hinge", opt(model.parameters()), train, epochs=20, compiled=compiled)
    assert "compile:" not in str(err.value)  # not misreported as a tracing failure
    assert all(math.isfinite(p.data) for p in model.parameters())


def test_fit_names_the_models_parameter():
    train = ([[1e3, 1e3], [-1e3, -1e3]], [0, 1])  # first-layer gradients ~1e3: η·g overflows
    model = nn.MLP(2, [8, 1], seed=1)
    opt = nn.SGD(model.parameters(), lr=1e307)
    with pytest.raises(nn.DivergenceError, match=r"SGD.step 1: parameter \d+ (\('[^']*'\) )?would become .*the model's layers"):
        nn.fit(model, "hinge", opt, train, epochs=2)


def test_fit_refuses_settings_whose_loss_overflows_before_any_step():
    train = nn.moons(40, noise=0.1, seed=1)
    model = nn.MLP(2, [8, 1], seed=1)
    before = [p.data for p in model.parameters()]
    with pytest.raises(ValueError, match="cannot be computed at the initial parameters with l2 = 1e"):
        nn.fit(model, "hinge", nn.SGD(model.parameters()), train, epochs=2, l2=1e308)
    assert [p.data for p in model.parameters()] == before
    with pytest.raises(ValueError, match=r"train point 0 feature 1 is inf"):
        nn.fit(model, "hinge", nn.SGD(model.parameters()), ([[0.0, math.inf]], [0]), epochs=1)
