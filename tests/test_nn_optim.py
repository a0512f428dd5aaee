"""Optimizers: each update rule against updates computed by hand on f(w) = w²/2 (so g = w),
then convergence on an ill-conditioned quadratic; schedules; zero_grad; errors."""

import math

import pytest

import nn
from autograd_engine import Value


def run(opt_cls, steps, w0=1.0, **kw):
    """w after each of `steps` steps on f(w) = w²/2 (∂f/∂w = w)."""
    w = Value(w0)
    opt = opt_cls([w], **kw)
    out = []
    for _ in range(steps):
        opt.zero_grad()
        (0.5 * w * w).backward()
        opt.step()
        out.append(w.data)
    return out


def test_sgd_is_w_minus_lr_g_closed_form():
    # w_k = w0·(1 − η)^k for g = w
    assert run(nn.SGD, 5, lr=0.1) == pytest.approx([0.9 ** k for k in range(1, 6)], rel=1e-14)


def test_sgd_momentum_by_hand():
    # v1 = g1 = 1, w1 = 0.9;  v2 = 0.9·1 + 0.9 = 1.8, w2 = 0.72;  v3 = 0.9·1.8 + 0.72 = 2.34, w3 = 0.486
    assert run(nn.SGD, 3, lr=0.1, momentum=0.9) == pytest.approx([0.9, 0.72, 0.486], rel=1e-14)


def test_sgd_weight_decay_adds_decay_times_w_to_the_gradient():
    # g = w + 0.5·w: w_k = (1 − 0.1·1.5)^k
    assert run(nn.SGD, 4, lr=0.1, weight_decay=0.5) == pytest.approx([0.85 ** k for k in range(1, 5)], rel=1e-14)


def test_lr_schedules_callable_and_step_based():
    # step_decay(0.1, 0.5, 2): η = 0.1, 0.1, 0.05, 0.05
    assert run(nn.SGD, 4, lr=nn.step_decay(0.1, 0.5, 2)) == pytest.approx(
        [0.9, 0.81, 0.81 * 0.95, 0.81 * 0.95 ** 2], rel=1e-14)
    assert run(nn.SGD, 2, lr=lambda k: 0.5 / (k + 1)) == pytest.approx([0.5, 0.5 * 0.75], rel=1e-14)
    decay = nn.linear_decay(1.0, 0.1, 100)  # micrograd's demo: 1 − 0.9·k/100
    assert [decay(k) for k in (0, 50, 99, 100, 150)] == pytest.approx([1.0, 0.55, 1 - 0.891, 0.1, 0.1])


def test_adagrad_by_hand():
    # G1 = 1, w1 = 1 − 0.1·1/1 = 0.9;  G2 = 1 + 0.81, w2 = 0.9 − 0.1·0.9/√1.81
    w = run(nn.AdaGrad, 2, lr=0.1, eps=1e-300)  # ε > 0 is required; 1e-300 vanishes beside √G
    assert w == pytest.approx([0.9, 0.9 - 0.09 / math.sqrt(1.81)], rel=1e-14)


def test_rmsprop_by_hand():
    # s1 = 0.1·1², w1 = 1 − 0.1/√0.1;  s2 = 0.9·0.1 + 0.1·w1², w2 = w1 − 0.1·w1/√s2
    w1 = 1 - 0.1 / math.sqrt(0.1)
    s2 = 0.9 * 0.1 + 0.1 * w1 * w1
    w = run(nn.RMSProp, 2, lr=0.1, alpha=0.9, eps=1e-300)
    assert w == pytest.approx([w1, w1 - 0.1 * w1 / math.sqrt(s2)], rel=1e-14)


def test_adam_by_hand():
    # step 1: m = 0.1, v = 0.001, m̂ = v̂ = 1 (bias correction): w1 = 1 − 0.1
    # step 2: g = 0.9, m = 0.09 + 0.09 = 0.18, v = 0.000999 + 0.00081 = 0.001809,
    #         m̂ = 0.18/0.19, v̂ = 0.001809/0.001999
    m_hat, v_hat = 0.18 / 0.19, 0.001809 / 0.001999
    w = run(nn.Adam, 2, lr=0.1, eps=1e-300)
    assert w == pytest.approx([0.9, 0.9 - 0.1 * m_hat / math.sqrt(v_hat)], rel=1e-12)


@pytest.mark.parametrize("g0", [1e-3, 2.0, 500.0])
def test_adam_first_step_moves_by_lr_whatever_the_gradient_scale(g0):
    w = run(nn.Adam, 1, w0=g0, lr=0.01, eps=1e-300)
    assert w[0] == pytest.approx(g0 - 0.01, rel=1e-12)


@pytest.mark.parametrize("opt_cls, kw, steps", [
    (nn.SGD, {"lr": 0.04}, 400),
    (nn.SGD, {"lr": 0.02, "momentum": 0.9}, 400),
    (nn.AdaGrad, {"lr": 1.0}, 600),
    (nn.RMSProp, {"lr": nn.step_decay(0.1, 0.5, 100)}, 1200),
    (nn.Adam, {"lr": nn.step_decay(0.2, 0.5, 150)}, 1200),
])
def test_every_optimizer_converges_on_an_ill_conditioned_quadratic(opt_cls, kw, steps):
    """f = (a − 3)² + 10(b + 1)², minimum at (3, −1)."""
    a, b = Value(0.0), Value(0.0)
    opt = opt_cls([a, b], **kw)
    for _ in range(steps):
        opt.zero_grad()
        ((a - 3) ** 2 + 10 * (b + 1) ** 2).backward()
        opt.step()
    assert (a.data, b.data) == pytest.approx((3.0, -1.0), abs=1e-3)
    assert opt.steps == steps


def test_zero_grad_and_repr():
    w = Value(2.0)
    opt = nn.SGD([w], lr=0.1)
    (w * w).backward()
    assert w.grad == 4.0
    opt.zero_grad()
    assert w.grad == 0.0
    assert repr(opt) == "SGD(1 parameters, lr=0.1, steps=0)"


def test_non_finite_gradient_is_refused_before_any_update():
    a, b = Value(1.0), Value(2.0)
    a.grad, b.grad = 1.0, math.inf
    with pytest.raises(ValueError, match="gradient of parameter 1 is inf"):
        nn.SGD([a, b], lr=0.1).step()
    assert (a.data, b.data) == (1.0, 2.0)


@pytest.mark.parametrize("make, error, match", [
    (lambda: nn.SGD([], lr=0.1), ValueError, "empty"),
    (lambda: nn.SGD([1.0], lr=0.1), TypeError, "Values"),
    (lambda: nn.SGD([Value(1.0) * 2], lr=0.1), ValueError, "not a leaf"),
    (lambda: nn.SGD([Value(1.0)], lr=-1), ValueError, "lr"),
    (lambda: nn.SGD([Value(1.0)], lr=0.1, momentum=1.5), ValueError, "momentum"),
    (lambda: nn.Adam([Value(1.0)], betas=0.9), ValueError, "betas"),
    (lambda: nn.SGD([Value(1.0)], lr=lambda k: "fast").step(), ValueError, "lr at step 0"),
    (lambda: nn.step_decay(0.1, 0.5, 0), ValueError, "every"),
])
def test_bad_arguments(make, error, match):
    with pytest.raises(error, match=match):
        make()


@pytest.mark.parametrize("make", [lambda ps: nn.SGD(ps, lr=0.1), lambda ps: nn.SGD(ps, lr=0.1, momentum=0.9),
                                  lambda ps: nn.AdaGrad(ps), lambda ps: nn.RMSProp(ps), lambda ps: nn.Adam(ps)])
def test_the_formula_is_written_once_and_both_steps_read_it(make, monkeypatch):
    """``optimizer.step()`` (floats) and ``nn.array_step`` (arrays) both apply the class's
    ``direction`` over a math backend: a changed formula changes both."""
    np = pytest.importorskip("numpy")
    from autograd_engine.tape import ParameterArrays
    from nn.array_step import array_step

    cls = type(make([Value(0.0)]))
    formula = cls.direction
    monkeypatch.setattr(cls, "direction", lambda self, m, g, state, t: (lambda d, s: (2.0 * d, s))(
        *formula(self, m, g, state, t)))
    a, b = [Value(1.0), Value(-2.0)], [Value(1.0), Value(-2.0)]
    opt_a, opt_b, held = make(a), make(b), ParameterArrays(b)
    for p in a:
        p.grad = 0.5 * p.data
    held.grad = np.array([0.5 * p.data for p in b])
    opt_a.step()
    assert array_step(opt_b, held)
    assert [p.data for p in a] == held.data.tolist()
    monkeypatch.setattr(cls, "direction", formula)
    c = [Value(1.0), Value(-2.0)]
    opt_c = make(c)
    for p in c:
        p.grad = 0.5 * p.data
    opt_c.step()
    assert [p.data for p in c] != [p.data for p in a]  # the doubled formula moved both twice as far
def optimizer_state(opt):
    return {k: list(v) for k, v in vars(opt).items() if isinstance(v, list) and k != "params"}


@pytest.mark.parametrize("opt_cls, kw", [(nn.SGD, {}), (nn.SGD, {"momentum": 0.9}), (nn.Adam, {}),
                                         (nn.RMSProp, {}), (nn.AdaGrad, {})])
def test_a_step_that_would_make_a_parameter_non_finite_is_refused_whole(opt_cls, kw):
    u, w = Value(1.0, "u"), Value(1.0, "w")
    opt = opt_cls([u, w], lr=1e-3, **kw)
    for _ in range(3):  # some good steps first: momentum and moments hold state
        u.grad, w.grad = 1e3, 1e-3
        opt.step()
    # the next step moves u by a large but finite amount, and w past -1.8e308: -inf
    w.data = -1.5e308
    state, before = optimizer_state(opt), (u.data, w.data, opt.steps)
    u.grad, w.grad = 1e-3, 1e150
    opt.lr = 1e300 if opt_cls is nn.SGD else 1e308
    with pytest.raises(nn.DivergenceError, match=rf"{opt_cls.__name__}.step 4: parameter 1 \('w'\) would "
                                                 r"become -inf .*keeps its value") as err:
        opt.step()
    assert err.value.step == 4 and err.value.index == 1 and err.value.parameter is w
    assert (u.data, w.data, opt.steps) == before  # u was not written either: all or nothing
    assert optimizer_state(opt) == state  # nor the momentum / moments
    assert isinstance(err.value, ValueError)
    opt.lr = 1e-3  # and the optimizer goes on from where it was
    w.data, w.grad = 1.0, 1e-3
    opt.step()
    assert opt.steps == 4 and u.data != before[0]


def test_an_overflowing_second_moment_is_refused_not_stored():
    w = Value(1.0, "w")
    opt = nn.AdaGrad([w], lr=1e-300)  # the step itself is tiny, but G = g² overflows
    w.grad = 1e200
    with pytest.raises(nn.DivergenceError, match="'sum_sq' of parameter 0"):
        opt.step()
    assert (w.data, opt.sum_sq, opt.steps) == (1.0, [0.0], 0)


def test_an_optimizer_refuses_one_value_given_twice():
    w, b = Value(1.0), Value(2.0)
    for cls in nn.OPTIMIZERS.values():
        with pytest.raises(ValueError, match=r"parameter 2 is the same Value as parameter 0"):
            cls([w, b, w])


@pytest.mark.parametrize("opt", [nn.Adam, nn.AdaGrad, nn.RMSProp])
def test_eps_zero_is_refused(opt):
    with pytest.raises(ValueError, match="eps must be a number in \\(0"):
        opt([Value(1.0)], eps=0)
