"""nn written the PyTorch way: Module subclasses whose attributes register their parameters and
sub-modules in definition order, Linear / Sequential / activation modules that match MLP and
torch.nn exactly, train()/eval(), and state_dict()/load_state_dict()."""

import math
import random

import pytest

import nn
from autograd_engine import Value, no_grad


class Net(nn.Module):
    """A custom model as a PyTorch user writes it."""

    def __init__(self, hidden: int = 8, seed: int = 0):
        super().__init__()
        rng = random.Random(seed)
        self.fc1 = nn.Linear(2, hidden, seed=rng)
        self.act = nn.Tanh()
        self.fc2 = nn.Linear(hidden, 1, seed=rng)
        self.gain = Value(1.0)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x))) * self.gain


def test_attributes_register_in_definition_order_with_dotted_names():
    class M(nn.Module):
        def __init__(self):  # no super().__init__(): members are found from the attributes
            self.w = Value(0.5)
            self.fc = nn.Linear(2, 2, seed=0)
            self.pair = (Value(1.0), [Value(2.0), nn.Linear(1, 1, bias=False, seed=0)])
            self.heads = {"a": nn.Neuron(2, seed=0), "b": Value(3.0)}
            self.b = Value(-1.0)
            self.constant = 2.0  # a number is a constant, not a parameter
            self.name = "m"

    m = M()
    names = [n for n, _ in m.named_parameters()]
    assert names == ["w", "fc.weight.0.0", "fc.weight.0.1", "fc.weight.1.0", "fc.weight.1.1",
                     "fc.bias.0", "fc.bias.1", "pair.0", "pair.1.0", "pair.1.1.weight.0.0",
                     "heads.a.w.0", "heads.a.w.1", "heads.a.b", "heads.b", "b"]
    assert m.parameters()[0] is m.w and m.parameters()[-1] is m.b
    assert m.parameters()[5] is m.fc.bias[0]
    assert [n for n, _ in m.named_children()] == ["fc", "pair.1.1", "heads.a"]
    assert [n for n, _ in m.named_modules()] == ["", "fc", "pair.1.1", "heads.a"]


def test_members_are_read_live_so_appending_later_counts():
    """``self.layers = []`` then ``append``: the usual way to build a variable-depth model."""
    class Deep(nn.Module):
        def __init__(self, depth):
            self.layers = []
            for _ in range(depth):
                self.layers.append(nn.Linear(3, 3, seed=0))

    m = Deep(4)
    assert len(m.parameters()) == 4 * (9 + 3)
    m.layers.append(nn.Linear(3, 1, seed=0))
    assert len(m.parameters()) == 4 * 12 + 4
    del m.layers
    assert m.parameters() == []


def test_shared_parameters_and_modules_appear_once_and_cycles_end():
    shared = nn.Linear(2, 2, seed=0)

    class Tied(nn.Module):
        def __init__(self):
            self.enc = shared
            self.dec = shared  # weight tying
            self.w = Value(1.0)
            self.again = [self.w]
            self.me = self  # a reference cycle through the module tree

    m = Tied()
    names = [n for n, _ in m.named_parameters()]
    assert names == [f"enc.{n}" for n, _ in shared.named_parameters()] + ["w"]
    assert len(m.modules()) == 2


def test_values_an_op_made_are_not_parameters_even_under_no_grad():
    """Karpathy's makemore layers keep ``self.out``: neither it nor a no_grad output (a Value
    with no parents but an op) is a parameter; a Value() leaf is."""
    class Cache(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(2, 1, seed=0)

        def forward(self, x):
            self.out = self.fc(x)
            return self.out

    m = Cache()
    before = m.named_parameters()
    m([1.0, 2.0])
    assert m.out.op == "dot" and m.named_parameters() == before
    with no_grad():
        m([1.0, 2.0])
    assert m.out.is_leaf() and m.named_parameters() == before


def test_bad_dict_keys_are_a_clear_error():
    class M(nn.Module):
        def __init__(self):
            self.d = {"a.b": Value(1.0)}

    with pytest.raises(ValueError, match=r"d: a dict .* without '\.'"):
        M().parameters()


def test_forward_is_what_calling_runs_and_its_absence_is_named():
    class NoForward(nn.Module):
        pass

    with pytest.raises(NotImplementedError, match="NoForward: define forward"):
        NoForward()(1.0)
    assert Net()([0.5, -0.5]).data == pytest.approx(Net().forward([0.5, -0.5]).data, rel=0, abs=0)


def _copy_mlp_into_sequential(mlp, seq):
    """MLP's layers.i.neurons.j.w.k -> Sequential's (2i).weight.j.k (activations between)."""
    params = dict(seq.named_parameters())
    for i, layer in enumerate(mlp.layers):
        for j, n in enumerate(layer.neurons):
            for k, w in enumerate(n.w):
                params[f"{2 * i}.weight.{j}.{k}"].data = w.data
            params[f"{2 * i}.bias.{j}"].data = n.b.data


@pytest.mark.parametrize("act, module, sizes", [
    ("relu", nn.ReLU, [16, 16, 1]), ("tanh", nn.Tanh, [5, 3]), ("sigmoid", nn.Sigmoid, [4, 4, 2]),
    ("leaky_relu", nn.LeakyReLU, [6, 1]),
])
def test_sequential_matches_mlp_exactly_outputs_and_gradients(act, module, sizes):
    mlp = nn.MLP(2, sizes, activation=act, seed=3)
    for i, p in enumerate(mlp.parameters()):
        p.data += 0.01 * math.sin(i)  # non-zero biases
    dims = [2] + sizes
    mods = []
    for i in range(len(sizes)):
        mods.append(nn.Linear(dims[i], dims[i + 1], seed=i))
        if i < len(sizes) - 1:
            mods.append(module())
    seq = nn.Sequential(*mods)
    assert len(seq.parameters()) == len(mlp.parameters())
    _copy_mlp_into_sequential(mlp, seq)
    rng = random.Random(1)
    for _ in range(5):
        x = [rng.uniform(-2, 2), rng.uniform(-2, 2)]
        a, b = mlp(x), seq(x)
        a, b = (a if isinstance(a, list) else [a]), (b if isinstance(b, list) else [b])
        assert [v.data for v in a] == [v.data for v in b]  # bit for bit: the same nodes
        mlp.zero_grad(), seq.zero_grad()
        Value.sum(a).backward(), Value.sum(b).backward()
        params = dict(seq.named_parameters())
        for i, layer in enumerate(mlp.layers):
            for j, n in enumerate(layer.neurons):
                assert [w.grad for w in n.w] == [params[f"{2 * i}.weight.{j}.{k}"].grad
                                                 for k in range(len(n.w))]
                assert n.b.grad == params[f"{2 * i}.bias.{j}"].grad


def test_linear_draws_the_weights_a_layer_draws():
    """Linear(nin, nout) draws its rows as Layer draws its neurons: an MLP and a Sequential of
    Linears sharing one seeded generator get the same initial weights."""
    mlp = nn.MLP(2, [16, 16, 1], seed=1337)
    rng = random.Random(1337)
    seq = nn.Sequential(nn.Linear(2, 16, seed=rng), nn.ReLU(), nn.Linear(16, 16, seed=rng), nn.ReLU(),
                        nn.Linear(16, 1, seed=rng))
    mine = {n: p.data for n, p in seq.named_parameters()}
    for i, layer in enumerate(mlp.layers):
        for j, n in enumerate(layer.neurons):
            assert [w.data for w in n.w] == [mine[f"{2 * i}.weight.{j}.{k}"] for k in range(len(n.w))]
    x = [0.3, -0.8]
    assert seq(x).data == mlp(x).data


def test_sequential_and_linear_match_torch_nn_float64():
    torch = pytest.importorskip("torch", reason="PyTorch is the oracle here")
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 4),
                                 torch.nn.LeakyReLU(0.2), torch.nn.Linear(4, 2, bias=False),
                                 torch.nn.Sigmoid()).double()
    ours = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 4), nn.LeakyReLU(0.2),
                         nn.Linear(4, 2, bias=False), nn.Sigmoid())
    # the same names: torch's "0.weight"[j, k] is our "0.weight.j.k"
    params = dict(ours.named_parameters())
    for name, t in theirs.state_dict().items():
        for idx in (torch.cartesian_prod(*[torch.arange(s) for s in t.shape]).reshape(-1, t.dim())
                    .tolist()):
            params[".".join([name] + [str(i) for i in idx])].data = float(t[tuple(idx)])
    assert len(params) == sum(t.numel() for t in theirs.parameters())
    x = [0.7, -1.2, 0.4]
    out = ours(x)
    xt = torch.tensor(x, dtype=torch.float64)
    yt = theirs(xt)
    assert [v.data for v in out] == pytest.approx(yt.tolist(), rel=1e-13, abs=1e-15)
    (out[0] * 2.0 - out[1]).backward()
    (yt[0] * 2.0 - yt[1]).backward()
    for name, t in theirs.named_parameters():
        ours_grad = [params[".".join([name] + [str(i) for i in idx])].grad
                     for idx in torch.cartesian_prod(*[torch.arange(s) for s in t.shape])
                     .reshape(-1, t.dim()).tolist()]
        assert ours_grad == pytest.approx(t.grad.reshape(-1).tolist(), rel=1e-12, abs=1e-15), name


def test_sequential_names_container_api_and_sizes():
    seq = nn.Sequential({"fc1": nn.Linear(2, 3, seed=0), "act": nn.ReLU(), "out": nn.Linear(3, 1, seed=0)})
    assert [n for n, _ in seq.named_parameters()][:2] == ["fc1.weight.0.0", "fc1.weight.0.1"]
    assert (seq.nin, seq.nout, len(seq)) == (2, 1, 3)
    assert isinstance(seq[1], nn.ReLU) and seq["out"] is seq[-1] and isinstance(seq[:2], nn.Sequential)
    assert seq[:2].nout == 3
    assert [type(m).__name__ for m in seq] == ["Linear", "ReLU", "Linear"]
    s = nn.Sequential(nn.Linear(2, 2, seed=0)).append(nn.Tanh()).append(nn.Linear(2, 4, seed=0))
    assert s.nout == 4 and [n for n, _ in s.named_children()] == ["0", "1", "2"]
    assert repr(s) == "Sequential(\n  (0): Linear(2, 2)\n  (1): Tanh()\n  (2): Linear(2, 4)\n)"


def test_activation_modules_apply_elementwise_and_identity_passes_through():
    vs = [Value(-1.5), Value(0.0), Value(2.0)]
    assert [v.data for v in nn.ReLU()(vs)] == [0.0, 0.0, 2.0]
    assert nn.Tanh()(Value(0.5)).data == math.tanh(0.5)
    assert nn.Sigmoid()(0.0).data == 0.5  # a number is a constant input
    assert [v.data for v in nn.LeakyReLU(0.1)(vs)] == [-0.15000000000000002, 0.0, 2.0]
    assert nn.Identity()(vs) is vs
    assert nn.ReLU().parameters() == []


@pytest.mark.parametrize("make, error, match", [
    (lambda: nn.Linear(0, 3), ValueError, "Linear: nin"),
    (lambda: nn.Linear(2, 3, bias=1), TypeError, "bias"),
    (lambda: nn.Linear(2, 3, seed=0)([1.0]), ValueError, r"Linear\(2, 3\): expected 2 inputs"),
    (lambda: nn.Linear(2, 3, seed=0)(None), TypeError, r"Linear\(2, 3\): input"),
    (lambda: nn.Sequential(nn.Linear(2, 3), lambda x: x), TypeError, "Sequential: 1: expected an nn.Module"),
    (lambda: nn.Sequential({"a.b": nn.ReLU()}), ValueError, "without '.'"),
    (lambda: nn.ReLU()("x"), TypeError, r"ReLU\(\): input"),
    (lambda: nn.LeakyReLU(float("nan")), ValueError, "negative_slope"),
    (lambda: nn.MLP(2, [3]).train(1), TypeError, "mode must be a bool"),
])
def test_bad_arguments_get_clear_errors(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_train_and_eval_set_the_flag_recursively():
    m = Net()
    assert m.training and m.fc1.training
    assert m.eval() is m
    assert [x.training for x in m.modules()] == [False] * 4
    m.train()
    assert all(x.training for x in m.modules())
    mlp = nn.MLP(2, [3, 1], seed=0).eval()
    assert not any(n.training for layer in mlp.layers for n in layer.neurons)


def test_state_dict_round_trip_and_strictness():
    a, b = Net(seed=1), Net(seed=2)
    state = a.state_dict()
    assert list(state) == [n for n, _ in a.named_parameters()] and state["gain"] == 1.0
    assert b.load_state_dict(state) == nn.IncompatibleKeys([], [])
    assert b.state_dict() == state
    x = [0.1, 0.2]
    assert b(x).data == a(x).data
    # strict: a missing or an extra name is an error, and nothing changes
    c = Net(seed=3)
    before = c.state_dict()
    bad = dict(state)
    del bad["gain"]
    bad["bogus"] = 1.0
    with pytest.raises(ValueError, match=r"missing 1 \('gain'\), unexpected 1 \('bogus'\)"):
        c.load_state_dict(bad)
    assert c.state_dict() == before
    keys = c.load_state_dict(bad, strict=False)
    assert keys.missing_keys == ["gain"] and keys.unexpected_keys == ["bogus"]
    assert c.state_dict() == {**state, "gain": before["gain"]}


@pytest.mark.parametrize("bad, shown", [(float("nan"), "nan"), (True, "True"), ("0.5", "'0.5'"),
                                        (10 ** 400, "an integer of about 400 digits")])
def test_load_state_dict_refuses_a_bad_value_and_changes_nothing(bad, shown):
    m = Net()
    before = m.state_dict()
    state = {**before, "fc1.bias.3": bad}
    with pytest.raises(ValueError, match=f"'fc1.bias.3' is {shown}"):
        m.load_state_dict(state)
    assert m.state_dict() == before


def test_nin_nout_come_from_the_sub_modules_unless_set():
    assert (Net().nin, Net().nout) == (2, 1)

    class Scalar(nn.Module):  # no sub-modules: it says its sizes itself
        def __init__(self):
            self.w, self.nin, self.nout = Value(2.0), 1, 1

        def forward(self, x):
            return self.w * x[0]

    assert (Scalar().nin, Scalar().nout) == (1, 1)
    with pytest.raises(AttributeError, match="nin"):
        nn.ReLU().nin


def _train(model, opt_factory, data, epochs):
    opt = opt_factory(model.parameters())
    nn.fit(model, "hinge", opt, data, epochs=epochs, batch_size=10, seed=4, progress=False)
    return opt


def test_custom_model_end_to_end_fit_save_load_same_predictions(tmp_path):
    data = nn.moons(40, noise=0.1, seed=2)
    model = Net(hidden=8, seed=5)
    _train(model, lambda ps: nn.SGD(ps, lr=0.1), data, epochs=5)
    path = tmp_path / "net.json"
    nn.save(model, path)
    with pytest.raises(ValueError, match=r"custom module \(.*Net\).*nn.load_into"):
        nn.load(path)
    fresh = nn.load_into(Net(hidden=8, seed=99), path)
    X = nn.spirals(20, seed=1).X
    assert nn.outputs(fresh, X) == nn.outputs(model, X)
    assert nn.predict(fresh, X) == nn.predict(model, X)
    assert fresh.state_dict() == model.state_dict()
    with pytest.raises(ValueError, match="parameters do not match"):  # another shape: refused
        nn.load_into(Net(hidden=4), path)


def test_sequential_trains_the_same_scalar_and_compiled_and_round_trips(tmp_path):
    pytest.importorskip("numpy", reason="compiled=True needs NumPy")
    data = nn.moons(30, noise=0.1, seed=3)

    def make():
        return nn.Sequential(nn.Linear(2, 6, seed=1), nn.ReLU(), nn.Linear(6, 1, seed=2))

    a, b = make(), make()
    ha = nn.fit(a, "hinge", nn.SGD(a.parameters(), lr=0.05), data, epochs=3, progress=False)
    hb = nn.fit(b, "hinge", nn.SGD(b.parameters(), lr=0.05), data, epochs=3, progress=False,
                compiled=True)
    assert hb.loss == pytest.approx(ha.loss, rel=1e-12)
    assert [p.data for p in b.parameters()] == pytest.approx([p.data for p in a.parameters()], rel=1e-12)
    nn.save(a, tmp_path / "seq.json")
    loaded = nn.load(tmp_path / "seq.json")
    assert isinstance(loaded, nn.Sequential) and loaded.architecture() == a.architecture()
    assert nn.outputs(loaded, data.X) == nn.outputs(a, data.X)


OPTIMIZERS = {
    "sgd": lambda ps: nn.SGD(ps, lr=0.05),
    "momentum": lambda ps: nn.SGD(ps, lr=0.05, momentum=0.9, weight_decay=1e-3),
    "adam": lambda ps: nn.Adam(ps, lr=0.01),
    "adagrad": lambda ps: nn.AdaGrad(ps, lr=0.05),
    "rmsprop": lambda ps: nn.RMSProp(ps, lr=0.01),
    "schedule": lambda ps: nn.SGD(ps, lr=nn.linear_decay(0.2, 0.01, 6), momentum=0.5),
}


@pytest.mark.parametrize("kind", sorted(OPTIMIZERS))
def test_resuming_from_a_checkpoint_equals_training_straight_through(tmp_path, kind):
    """3 epochs, save model + optimizer, load both into fresh objects, 3 more epochs: the very
    same weights as 3 more epochs on the originals (each fit call draws the same batch order).  Fails if any of the step count (bias correction, the
    schedule's position, momentum's first step), a buffer or a hyperparameter is lost."""
    data = nn.moons(30, noise=0.1, seed=6)
    make = OPTIMIZERS[kind]
    first = Net(seed=7)
    opt = _train(first, make, data, epochs=3)
    path = tmp_path / "ckpt.json"
    nn.save(first, path, optimizer=opt)
    resumed = Net(seed=0)
    opt2 = make(resumed.parameters())
    nn.load_into(resumed, path, optimizer=opt2)
    assert opt2.state_dict() == opt.state_dict()
    nn.fit(resumed, "hinge", opt2, data, epochs=3, batch_size=10, seed=4, progress=False)
    nn.fit(first, "hinge", opt, data, epochs=3, batch_size=10, seed=4, progress=False)
    assert resumed.state_dict() == first.state_dict()  # bit for bit
    if kind != "sgd":  # plain SGD has no state: the checkpoint matters for the others
        cold = nn.load_into(Net(seed=0), path)  # the weights without the optimizer's state
        nn.fit(cold, "hinge", make(cold.parameters()), data, epochs=3, batch_size=10, seed=4,
               progress=False)
        assert cold.state_dict() != first.state_dict()


def test_fit_names_what_a_custom_module_without_sizes_needs():
    class Bare(nn.Module):
        def __init__(self):
            self.w = Value(1.0)

        def forward(self, x):
            return self.w * x[0]

    with pytest.raises(TypeError, match=r"sets self.nin and self.nout\), got Bare"):
        nn.fit(Bare(), "mse", nn.SGD(Bare().parameters()), ([[1.0]], [1.0]), epochs=1)


def test_optimizer_state_dict_is_a_copy_and_a_bad_state_changes_nothing():
    model = nn.MLP(2, [2, 1], seed=0)
    opt = nn.SGD(model.parameters(), lr=0.1, momentum=0.9)
    opt.zero_grad()
    model([1.0, -1.0]).backward()
    opt.step()
    state = opt.state_dict()
    assert state["type"] == "SGD" and state["steps"] == 1 and state["hyperparameters"]["momentum"] == 0.9
    state["state"]["velocity"][0] = 123.0  # the caller's copy: the optimizer is not touched
    assert opt.velocity[0] != 123.0
    other = nn.SGD(model.parameters(), lr=0.5, momentum=0.1)
    before = other.state_dict()
    for bad, match in [({**state, "type": "Adam"}, "'Adam' optimizer, not 'SGD'"),
                       ({**state, "hyperparameters": {"momentum": 1.0, "weight_decay": 0.0}}, "momentum"),
                       ({**state, "lr": -1.0}, "lr must be a number"),
                       ({**state, "extra": 1}, "expected the keys")]:
        with pytest.raises(ValueError, match=match):
            other.load_state_dict(bad)
        assert other.state_dict() == before
    other.load_state_dict(state)
    assert (other.lr, other.momentum, other.steps, other.velocity[0]) == (0.1, 0.9, 1, 123.0)


def test_a_schedule_cannot_be_stored_so_both_sides_must_have_one():
    ps = nn.MLP(2, [1], seed=0).parameters()
    sched = nn.SGD(ps, lr=nn.step_decay(0.1, 0.5, 2))
    sched.steps = 5
    state = sched.state_dict()
    assert state["lr"] == "schedule"
    with pytest.raises(ValueError, match="ran with a learning-rate schedule but this one has the constant lr 0.1"):
        nn.SGD(ps, lr=0.1).load_state_dict(state)
    with pytest.raises(ValueError, match="constant lr 0.1 but this one has a schedule"):
        nn.SGD(ps, lr=nn.step_decay(0.1, 0.5, 2)).load_state_dict(nn.SGD(ps, lr=0.1).state_dict())
    resumed = nn.SGD(ps, lr=nn.step_decay(0.1, 0.5, 2))
    resumed.load_state_dict(state)
    assert resumed.current_lr() == 0.1 * 0.5 ** 2  # the schedule's position: step 5
