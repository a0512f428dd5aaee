"""Parameters held as arrays while a compiled model trains (issue 26): the tape reads and
writes ParameterArrays instead of every Value, the optimizers update those arrays bit for bit
as ``optimizer.step()``, and ``fit`` brings the Values up to date at stated points (each
``on_epoch`` callback, its end); ``Tape.backward`` never leaves a non-finite gradient (issue
20, class 3).  Every test runs on both backends (torch where it is installed)."""

from __future__ import annotations

import numpy as np
import pytest

import nn
from autograd_engine import Value, compile
from autograd_engine.tape import ParameterArrays
from nn.array_step import array_step, write_back
from nn.train import _Engine
from test_tape_groups import batch, mlp_loss

BACKENDS = ["numpy", "torch"]

OPTIMIZERS = {
    "sgd": lambda ps: nn.SGD(ps, lr=0.1),
    "momentum": lambda ps: nn.SGD(ps, lr=0.1, momentum=0.9),  # its first velocity is g itself
    "momentum + decay": lambda ps: nn.SGD(ps, lr=nn.linear_decay(0.5, 0.1, 5), momentum=0.9,
                                          weight_decay=1e-3),
    "adam": lambda ps: nn.Adam(ps, lr=0.01, weight_decay=1e-4),
    "adagrad": lambda ps: nn.AdaGrad(ps, lr=0.05),
    "rmsprop": lambda ps: nn.RMSProp(ps, lr=0.01),
}
STATE = ("velocity", "m", "v", "sum_sq", "mean_sq")


@pytest.fixture(params=BACKENDS)
def backend(request):
    if request.param == "torch":
        pytest.importorskip("torch")
    return request.param


def _data(n=24, seed=3):
    return nn.moons(n, noise=0.1, seed=seed)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_the_array_step_over_held_arrays_equals_optimizer_step_bit_for_bit(name, backend):
    """The same gradients in, the same weights, state and step count out, bit for bit (the
    scalar optimizer is handed the tape's gradient each step)."""
    sizes = (3, 5, 2)
    (m_a, fn_a, n), (m_b, _, _) = mlp_loss(sizes, seed=9), mlp_loss(sizes, seed=9)
    tape_a = compile(fn_a, n, backend=backend)
    opt_a, opt_b = OPTIMIZERS[name](m_a.parameters()), OPTIMIZERS[name](m_b.parameters())
    held = tape_a.hold_parameters(opt_a.params)
    X = batch(sizes, 8)
    before = [p.data for p in m_a.parameters()]
    for _ in range(4):
        held.zero_grad()
        tape_a.forward(X)
        tape_a.backward()
        for p, g in zip(m_b.parameters(), held.ops.to_numpy(held.grad).tolist()):
            p.grad = g
        assert array_step(opt_a, held) is True
        opt_b.step()
    assert [p.data for p in m_a.parameters()] == before  # no Value touched while training
    write_back(opt_a, held)
    assert [p.data for p in m_a.parameters()] == [p.data for p in m_b.parameters()]
    assert [p.grad for p in m_a.parameters()] == [p.grad for p in m_b.parameters()]
    assert opt_a.steps == opt_b.steps == 4
    for attr in STATE:
        assert getattr(opt_a, attr, None) == getattr(opt_b, attr, None)


def test_plain_sgd_keeps_no_state_arrays():
    model, fn, n = mlp_loss((2, 3, 1))
    tape = compile(fn, n)
    opt = nn.SGD(model.parameters(), lr=0.1)
    held = tape.hold_parameters(opt.params)
    tape.forward(batch((2, 3, 1), 4))
    tape.backward()
    array_step(opt, held)
    assert held.state == {}  # its velocity list is never read, so never converted


def test_a_diverging_step_over_held_arrays_names_the_parameter_and_changes_nothing(backend):
    model, fn, n = mlp_loss((2, 3, 1))
    tape = compile(fn, n, backend=backend)
    opt = nn.SGD(model.parameters(), lr=1e308)
    held = tape.hold_parameters(opt.params)
    tape.forward(batch((2, 3, 1), 4) * 10)
    tape.backward()
    data = held.ops.to_numpy(held.data).copy()
    with pytest.raises(nn.DivergenceError, match=r"SGD.step: step 1 would make parameter \d+") as e:
        array_step(opt, held)
    assert e.value.parameter is opt.params[e.value.index] and e.value.step == 1
    assert (held.ops.to_numpy(held.data) == data).all() and opt.steps == 0


def test_an_attached_tape_touches_no_value_and_gives_the_gradient_as_one_array(backend):
    sizes = (2, 4, 1)
    (m_a, fn_a, n), (m_b, fn_b, _) = mlp_loss(sizes, seed=4), mlp_loss(sizes, seed=4)
    tape_a, tape_b = compile(fn_a, n, backend=backend), compile(fn_b, n)
    held = tape_a.hold_parameters()
    for p in m_a.parameters():  # changed after holding: the tape no longer reads the Values
        p.data, p.grad = 99.0, 5.0
    X = batch(sizes, 6)
    m_b.zero_grad()
    assert np.allclose(np.asarray(tape_a.forward(X)), tape_b.forward(X), rtol=1e-12, atol=0)
    tape_a.backward()
    tape_b.backward()
    assert all(p.data == 99.0 and p.grad == 5.0 for p in m_a.parameters())
    g = tape_a.parameter_grad()
    assert np.allclose(g, [p.grad for p in tape_b.parameters], rtol=1e-12, atol=0)
    tape_a.assign_parameters(tape_a.parameter_data() - 0.1 * g)  # an update: one array op
    held.write_back()
    assert np.allclose([p.data for p in tape_a.parameters],
                       [p.data - 0.1 * p.grad for p in tape_b.parameters], rtol=1e-12, atol=0)
    tape_a.detach()
    tape_a.forward(X)  # detached: reads the Values again
    assert tape_a.parameter_data().tolist() == [p.data for p in tape_a.parameters]


def test_attach_refuses_arrays_that_miss_a_parameter_or_live_elsewhere():
    model, fn, n = mlp_loss((2, 3, 1))
    tape = compile(fn, n)
    with pytest.raises(ValueError, match="Tape.attach: parameter .* is not held"):
        tape.attach(ParameterArrays(model.parameters()[:-1]))
    with pytest.raises(TypeError, match="Tape.attach: need ParameterArrays"):
        tape.attach([1.0])
    torch = pytest.importorskip("torch")  # noqa: F841
    other = compile(fn, n, backend="torch")
    with pytest.raises(ValueError, match="Tape.attach: the arrays live on numpy"):
        other.attach(ParameterArrays(model.parameters()))


# ---- issue 20, class 3: a backward pass never leaves a non-finite .grad -------------------------
@pytest.mark.parametrize("attached", [False, True])
def test_backward_refuses_a_pass_that_would_leave_an_infinite_grad(backend, attached):
    """This pass's gradient of w is 1e308, finite; added to the 1.7e308 already in w.grad it
    is inf.  Refused as the scalar engine refuses it: every gradient as it was."""
    w, v = Value(1e-10, "w"), Value(3.0, "v")
    tape = compile(lambda x: w * x + v, 1, backend=backend)
    w.grad, v.grad = 1.7e308, 1.0
    held = tape.hold_parameters() if attached else None
    tape.forward(np.array([[1e308]]))
    with pytest.raises(ValueError, match="Tape.backward: .*every .grad unchanged"):
        tape.backward("sum")
    if held is not None:
        held.write_back()
    assert (w.grad, v.grad) == (1.7e308, 1.0)
    with pytest.raises(ValueError, match="leaf gradients are left as they were"):
        (w * 1e308 + v).backward()  # the scalar engine's own refusal of the same pass
    assert (w.grad, v.grad) == (1.7e308, 1.0)


# ---- fit: the Values are current in every on_epoch callback and after fit -----------------------
@pytest.mark.parametrize("name", ["momentum + decay", "adam"])
def test_fit_compiled_values_are_current_in_each_callback_and_after_fit(name, backend):
    data, val = _data(), _data(12, seed=5)
    runs = {}
    for compiled in (False, True):
        model = nn.MLP(2, [6, 1], seed=1)
        opt = OPTIMIZERS[name](model.parameters())
        seen = []

        def on_epoch(epoch, hist, model=model, seen=seen):
            seen.append(([p.data for p in model.parameters()], [p.grad for p in model.parameters()],
                         model.state_dict()))
        hist = nn.fit(model, "hinge", opt, data, epochs=3, batch_size=8, val=val, l2=1e-3,
                      compiled=compiled, on_epoch=on_epoch, progress=False,
                      backend=backend if compiled else "numpy")
        runs[compiled] = (seen, [p.data for p in model.parameters()],
                          [p.grad for p in model.parameters()], hist, opt)
    (s0, d0, g0, h0, o0), (s1, d1, g1, h1, o1) = runs[False], runs[True]
    assert len(s1) == 3
    for (da, ga, sa), (db, gb, sb) in zip(s0, s1):
        assert np.allclose(da, db, rtol=1e-12, atol=1e-15)
        assert np.allclose(ga, gb, rtol=1e-9, atol=1e-15)
        assert sa.keys() == sb.keys()
    assert np.allclose(d0, d1, rtol=1e-12, atol=1e-15) and np.allclose(g0, g1, rtol=1e-9, atol=1e-15)
    assert np.allclose(h0.loss, h1.loss, rtol=1e-12) and h0.accuracy == h1.accuracy
    assert h0.val_accuracy == h1.val_accuracy and o0.steps == o1.steps
    for attr in STATE:
        a, b = getattr(o0, attr, None), getattr(o1, attr, None)
        assert (a is None) == (b is None) and (a is None or np.allclose(a, b, rtol=1e-9, atol=1e-15))


def test_fit_compiled_updates_no_value_inside_an_epoch():
    model = nn.MLP(2, [4, 1], seed=2)
    opt = nn.SGD(model.parameters(), lr=0.1)
    engine = _Engine(model, nn.losses.get_loss("hinge"), True)
    before = [p.data for p in model.parameters()]
    data = _data(16)
    for _ in range(3):
        engine.train_step(data, opt)
    assert [p.data for p in model.parameters()] == before and opt.steps == 3
    engine.write_back()
    assert [p.data for p in model.parameters()] != before


def test_fit_compiled_early_stopping_restores_the_best_epoch_from_the_arrays():
    data, val = _data(), _data(12, seed=6)
    out = []
    for compiled in (False, True):
        model = nn.MLP(2, [6, 1], seed=1)
        hist = nn.fit(model, "hinge", nn.SGD(model.parameters(), lr=2.0), data, epochs=12,
                      batch_size=4, val=val, early_stopping=2, compiled=compiled, progress=False)
        out.append((hist.best_epoch, [p.data for p in model.parameters()]))
    assert out[0][0] == out[1][0]
    assert np.allclose(out[0][1], out[1][1], rtol=1e-12, atol=1e-15)


def test_the_loss_tape_watches_the_model_outputs(backend):
    m = nn.MLP(3, [4, 2], seed=1)

    def f(a, b, c, t0, t1):
        y = m([a, b, c])
        return nn.losses.softmax_cross_entropy(y, [t0, t1]), y
    tape = compile(f, 5, backend=backend)
    X = np.random.default_rng(0).random((6, 5))
    with pytest.raises(RuntimeError, match="Tape.watched: call forward"):
        tape.watched()
    tape.forward(X)
    W = np.asarray(tape.watched())
    assert W.shape == (6, 2)
    want = [[o.data for o in m(list(r[:3]))] for r in X]
    assert np.allclose(W, want, rtol=1e-12, atol=1e-15)
    with pytest.raises(ValueError, match="watched Value 0 .* is not in the graph"):
        compile(lambda x: (x * 2, [Value(1.0) * 3]), 1)


def test_what_an_on_epoch_callback_sets_is_what_fit_compiled_trains_on():
    data = _data()
    out = []
    for compiled in (False, True):
        model = nn.MLP(2, [5, 1], seed=3)
        opt = nn.SGD(model.parameters(), lr=0.1, momentum=0.5)

        def on_epoch(epoch, hist, model=model, opt=opt):
            model.parameters()[0].data = 0.25  # as a user might: clip, reset, load
            opt.velocity[0] = 0.0
        nn.fit(model, "hinge", opt, data, epochs=3, batch_size=8, compiled=compiled,
               on_epoch=on_epoch, progress=False)
        out.append([p.data for p in model.parameters()])
    assert out[1][0] == 0.25 and np.allclose(out[0], out[1], rtol=1e-12, atol=1e-15)


def test_fit_compiled_divergence_is_the_same_error_on_both_backends(backend):
    """On torch the step's flags are read once, by the update's check; the error is still the
    forward's own (op, sample), wrapped by fit, and the parameters stay finite."""
    model = nn.MLP(2, [8, 1], seed=0)
    with pytest.raises(nn.DivergenceError, match=r"epoch 1: after 1 optimizer step .*"
                                                 r"Tape.forward: dot fails at sample 0"):
        nn.fit(model, "mse", nn.SGD(model.parameters(), lr=1e150), _data(32), epochs=5,
               batch_size=8, compiled=True, backend=backend, progress=False)
    assert all(np.isfinite(p.data) and np.isfinite(p.grad) for p in model.parameters())
