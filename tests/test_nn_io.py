"""Save/load: an exact round trip, atomic writes, and every bad file refused with a clear
ValueError and the model left unchanged."""

import json
import math
import os
import re

import pytest

import nn
from test_checks import _named_value_error


@pytest.fixture
def saved(tmp_path):
    model = nn.MLP(2, [5, 3], activation="tanh", seed=4)
    for i, p in enumerate(model.parameters()):
        p.data += 0.001 * i  # biases non-zero too
    path = tmp_path / "model.json"
    nn.save(model, path)
    return model, path


def test_round_trip_gives_identical_parameters_and_predictions(saved):
    model, path = saved
    loaded = nn.load(path)
    assert loaded.architecture() == model.architecture()
    assert [p.data for p in loaded.parameters()] == [p.data for p in model.parameters()]  # bit for bit
    pts = nn.spirals(30, seed=1).X
    assert nn.outputs(loaded, pts) == nn.outputs(model, pts)
    other = nn.MLP(2, [5, 3], activation="tanh", seed=99)
    assert nn.load_into(other, path) is other
    assert [p.data for p in other.parameters()] == [p.data for p in model.parameters()]


def test_file_layout(saved):
    model, path = saved
    doc = json.loads(path.read_text())
    assert doc["format"] == "autograd-engine.nn" and doc["version"] == 1
    assert doc["architecture"] == {"type": "MLP", "nin": 2, "nouts": [5, 3], "activation": "tanh",
                                   "last_activation": "linear"}
    assert list(doc["parameters"]) == [n for n, _ in model.named_parameters()]


def test_save_is_atomic_and_leaves_no_temporary_file(saved, tmp_path, monkeypatch):
    model, path = saved
    before = path.read_bytes()

    def failing_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        nn.save(nn.MLP(2, [5, 3], activation="tanh", seed=0), path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.json"]


def _edit(path, fn):
    doc = json.loads(path.read_text())
    fn(doc)
    path.write_text(json.dumps(doc))


def _set_param(name, value):
    return lambda d: d["parameters"].__setitem__(name, value)


BAD = {
    "truncated": (lambda p: p.write_text(p.read_text()[: len(p.read_text()) // 2]), "not valid JSON"),
    "empty": (lambda p: p.write_text(""), "not valid JSON"),
    "binary": (lambda p: p.write_bytes(b"\xff\xfe\x00garbage"), "UTF-8"),
    "not an object": (lambda p: p.write_text("[1, 2]"), "not an autograd-engine model"),
    "other format": (lambda p: _edit(p, lambda d: d.__setitem__("format", "keras")), "not an autograd-engine model"),
    "wrong version": (lambda p: _edit(p, lambda d: d.__setitem__("version", 2)), "version 2 is not supported"),
    "no parameters": (lambda p: _edit(p, lambda d: d.pop("parameters")), "parameters"),
    "NaN": (lambda p: p.write_text(p.read_text().replace('"layers.1.neurons.2.b": ', '"layers.1.neurons.2.b": NaN, "x": ', 1)),
            "not finite"),
    "overflow": (lambda p: _edit(p, _set_param("layers.0.neurons.0.w.1", 1e308)) or
                 p.write_text(p.read_text().replace("1e+308", "1e999")), "not a finite number"),
    "string": (lambda p: _edit(p, _set_param("layers.0.neurons.0.b", "0.5")), "not a finite number"),
    "bool": (lambda p: _edit(p, _set_param("layers.0.neurons.0.b", True)), "not a finite number"),
    "missing": (lambda p: _edit(p, lambda d: d["parameters"].pop("layers.1.neurons.0.w.3")), "missing"),
    "extra": (lambda p: _edit(p, _set_param("layers.2.neurons.0.b", 0.0)), "unexpected"),
    "architecture": (lambda p: _edit(p, lambda d: d["architecture"].__setitem__("nouts", [4, 3])),
                     "architecture"),
    "activation": (lambda p: _edit(p, lambda d: d["architecture"].__setitem__("activation", "relu")),
                   "does not match"),
    "unknown type": (lambda p: _edit(p, lambda d: d["architecture"].__setitem__("type", "CNN")),
                     "architecture"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_file_is_refused_and_the_model_is_unchanged(saved, case):
    model, path = saved
    spoil, match = BAD[case]
    spoil(path)
    target = nn.MLP(2, [5, 3], activation="tanh", seed=7)
    before = [p.data for p in target.parameters()]
    with pytest.raises(ValueError, match=match):
        nn.load_into(target, path)
    assert [p.data for p in target.parameters()] == before  # never a partial load
    if case == "activation":  # a consistent file of another model: load builds that model
        assert nn.load(path).activation == "relu"
    else:
        with pytest.raises(ValueError, match=match):
            nn.load(path)


def test_load_into_a_model_of_another_shape_names_both(saved):
    _, path = saved
    with pytest.raises(ValueError, match=r"'nouts': \[5, 3\].*'nouts': \[4, 3\]"):
        nn.load_into(nn.MLP(2, [4, 3], activation="tanh", seed=0), path)


def test_missing_file_is_a_file_not_found_error_naming_it(tmp_path):
    """As open() and torch.load say it: FileNotFoundError, not ValueError."""
    for fn in (nn.load, lambda p: nn.load_into(nn.MLP(2, [1], seed=0), p)):
        with pytest.raises(FileNotFoundError, match="nope.json") as e:
            fn(tmp_path / "nope.json")
        assert "nn.load" in str(e.value) and e.value.filename == str(tmp_path / "nope.json")


# ---- hostile files: refused fast, before anything is allocated -----------------------------------
import stat  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

from nn import io as nn_io  # noqa: E402


def _fast(fn, seconds=5.0):
    """fn()'s exception, raised within ``seconds`` (a daemon thread: a blocking read or a
    runaway allocation fails the test instead of hanging the suite)."""
    box = {}

    def run():
        try:
            fn()
        except BaseException as e:  # noqa: BLE001 - handed to the test
            box["e"] = e

    start = time.perf_counter()
    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(seconds)
    assert not t.is_alive(), f"did not finish in {seconds} s"
    assert time.perf_counter() - start < seconds
    assert "e" in box, "no error raised"
    return box["e"]


def _doc(arch, params=None, **extra):
    return json.dumps({"format": "autograd-engine.nn", "version": 1, "architecture": arch,
                       "parameters": params or {}, **extra})


@pytest.mark.parametrize("nouts, match", [
    ([2000, 2000], "declares more than 1,000,000 parameters"),  # under MAX_WIDTH
    ([600, 600], r"declares 362,400 parameters but the file stores 0 \(362,400 missing\)"),
    ([1e6, 1e6], r"nouts\[0\] must be an int from 1 to 100,000"),
    ([10 ** 6, 1], r"nouts\[0\] must be an int"),
    ([1] * 1001, "1 to 1,000 layer sizes"),
    ([True], "must be an int"),
])
def test_a_small_file_declaring_a_huge_model_is_refused_before_building_it(tmp_path, nouts, match):
    """Issue: a 181-byte file declaring [2000, 2000] took 27 s and 1.7 GB before its error."""
    path = tmp_path / "huge.json"
    path.write_text(_doc({"type": "MLP", "nin": 2, "nouts": nouts, "activation": "relu",
                          "last_activation": "linear"}))
    e = _fast(lambda: nn.load(path), 2.0)
    assert isinstance(e, ValueError) and str(path) in str(e) and re.search(match, str(e)), str(e)
    # into a model: the bounds are checked too, then the architecture is compared
    e = _fast(lambda: nn.load_into(nn.MLP(2, [3], seed=0), path), 2.0)
    assert isinstance(e, ValueError) and str(path) in str(e)


def test_the_declared_count_must_equal_the_stored_count_before_building(tmp_path, monkeypatch):
    path = tmp_path / "m.json"
    path.write_text(_doc({"type": "Linear", "nin": 3, "nout": 2}, {"weight.0.0": 1.0}))
    built = []
    monkeypatch.setattr(nn_io, "from_architecture", lambda a: built.append(a))
    with pytest.raises(ValueError, match=r"declares 8 parameters but the file stores 1 \(7 missing\)"):
        nn.load(path)
    assert built == []


@pytest.mark.parametrize("arch, match", [
    ({"type": "Sequential", "modules": [{"type": "Linear", "nin": 2, "nout": 0}]}, r"modules\[0\]\.nout"),
    ({"type": "Sequential", "modules": [{"type": "Conv2d"}]}, "unknown architecture type 'Conv2d'"),
    ({"type": "Sequential", "modules": [{"type": "ReLU"}], "names": ["a.b"]}, "names must be"),
    ({"type": "Sequential", "modules": [{"type": "ReLU"}, {"type": "ReLU"}], "names": ["a", "a"]},
     "names must be"),
    ({"type": "Sequential", "modules": {"0": {"type": "ReLU"}}}, "modules must be a list"),
    ({"type": "LeakyReLU", "negative_slope": "0.1"}, "negative_slope"),
    ({"type": "Linear", "nin": 2, "nout": 2, "bias": 1}, "bias must be true or false"),
    ({"type": "Linear", "nin": 2, "nout": 2, "init": "he"}, "a Linear has the fields"),
    ({"type": "ReLU", "inplace": True}, "a ReLU has the fields"),
    ({"type": "Neuron", "nin": 2, "activation": "gelu"}, "activation must be one of"),
    ({"type": "custom", "class": 3}, "class must be a class name"),
    ("MLP", "needs an \"architecture\" object"),
])
def test_every_architecture_field_is_checked(tmp_path, arch, match):
    path = tmp_path / "m.json"
    path.write_text(_doc(arch))
    with pytest.raises(ValueError, match=match):
        nn.load(path)


def test_nesting_and_module_counts_are_bounded(tmp_path):
    arch = {"type": "ReLU"}
    for _ in range(nn_io.MAX_DEPTH + 1):
        arch = {"type": "Sequential", "modules": [arch]}
    path = tmp_path / "deep.json"
    path.write_text(_doc(arch))
    with pytest.raises(ValueError, match="nested more than 32 deep"):
        nn.load(path)
    wide = {"type": "Sequential", "modules": [{"type": "Sequential", "modules": [{"type": "ReLU"}] * 1000}] * 11}
    path.write_text(_doc(wide))
    assert "more than 10,000 modules" in str(_fast(lambda: nn.load(path)))


def test_deeply_nested_json_is_a_value_error_not_a_recursion_error(tmp_path):
    path = tmp_path / "nested.json"
    depth = sys.getrecursionlimit() * 20
    path.write_text('{"format": "autograd-engine.nn", "version": 1, "architecture": '
                    + "[" * depth + "]" * depth + "}")
    e = _fast(lambda: nn.load(path))
    assert isinstance(e, ValueError) and "nested too deeply" in str(e) and str(path) in str(e)


def test_a_400_digit_integer_parameter_is_a_value_error_not_an_overflow_error(saved):
    model, path = saved
    doc = json.loads(path.read_text())
    doc["parameters"]["layers.0.neurons.0.b"] = 10 ** 399 * 9  # json writes the 400 digits
    path.write_text(json.dumps(doc))
    for fn in (lambda: nn.load(path), lambda: nn.load_into(nn.MLP(2, [5, 3], activation="tanh"), path)):
        with pytest.raises(ValueError, match=r"'layers.0.neurons.0.b' is an integer of about 400 digits"):
            fn()
    doc["parameters"]["layers.0.neurons.0.b"] = 3  # a small int is a number like any other
    path.write_text(json.dumps(doc))
    assert nn.load(path).layers[0].neurons[0].b.data == 3.0


def test_a_symlink_to_dev_zero_and_a_device_are_refused_without_reading(tmp_path):
    if not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero")
    link = tmp_path / "model.json"
    link.symlink_to("/dev/zero")
    for target in (link, "/dev/zero"):
        e = _fast(lambda: nn.load(target))
        assert isinstance(e, ValueError) and "a character device" in str(e) and str(target) in str(e)


def test_a_fifo_is_refused_instead_of_blocking_forever(tmp_path):
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this system")
    fifo = tmp_path / "model.json"
    os.mkfifo(fifo)
    e = _fast(lambda: nn.load(fifo))
    assert isinstance(e, ValueError) and "FIFO" in str(e) and str(fifo) in str(e)


def test_a_fifo_swapped_in_after_the_stat_does_not_block_either(tmp_path, monkeypatch):
    """The stat says a regular file, then the path is a FIFO: the open is non-blocking and the
    descriptor is checked again."""
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this system")
    regular = tmp_path / "regular.json"
    regular.write_text("{}")
    fifo = tmp_path / "model.json"
    os.mkfifo(fifo)
    real_stat = os.stat
    monkeypatch.setattr(os, "stat", lambda p, *a, **k: real_stat(regular) if str(p) == str(fifo)
                        else real_stat(p, *a, **k))
    e = _fast(lambda: nn.load(fifo))
    assert isinstance(e, ValueError) and "FIFO" in str(e)


def test_a_directory_and_an_unreadable_file_are_what_the_os_says(tmp_path):
    e = _fast(lambda: nn.load(tmp_path))
    assert isinstance(e, IsADirectoryError) and "nn.load" in str(e) and e.filename == str(tmp_path)
    if os.geteuid() != 0:  # root reads anything
        p = tmp_path / "secret.json"
        p.write_text("{}")
        p.chmod(0)
        with pytest.raises(PermissionError, match="nn.load"):
            nn.load(p)


def test_a_file_larger_than_the_bound_is_refused_before_reading(saved, monkeypatch):
    _, path = saved
    monkeypatch.setattr(nn_io, "MAX_BYTES", 100)
    with pytest.raises(ValueError, match=r"bytes is larger than a model file may be \(100 bytes"):
        nn.load(path)


@pytest.mark.parametrize("version", [True, 1.0, "1", None, 10 ** 400])
def test_only_the_integer_1_is_version_1(saved, version):
    _, path = saved
    _edit(path, lambda d: d.__setitem__("version", version))
    with pytest.raises(ValueError, match="is not supported"):
        nn.load(path)


def test_duplicate_keys_and_unknown_sections_are_refused(saved):
    _, path = saved
    text = path.read_text()
    path.write_text(text.replace('"layers.0.neurons.0.b": ', '"layers.0.neurons.0.b": 1.0, "layers.0.neurons.0.b": ', 1))
    with pytest.raises(ValueError, match="'layers.0.neurons.0.b' appears twice"):
        nn.load(path)
    path.write_text(text)
    _edit(path, lambda d: d.__setitem__("pickle", "cos\nsystem\n"))
    with pytest.raises(ValueError, match=r"unexpected keys \['pickle'\]"):
        nn.load(path)


def test_resaving_keeps_a_private_files_mode(saved):
    model, path = saved
    os.chmod(path, 0o600)
    nn.save(model, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_save_refuses_a_non_finite_parameter_naming_it_and_writes_nothing(saved):
    model, path = saved
    before = path.read_bytes()
    model.layers[1].neurons[2].w[0].data = -math.inf  # as a diverged optimizer leaves it
    with pytest.raises(ValueError, match=r"nn.save: parameter 'layers.1.neurons.2.w.0' is -inf"):
        nn.save(model, path)
    assert path.read_bytes() == before


@pytest.mark.parametrize("make", [
    lambda: nn.Sequential(nn.Linear(2, 4, seed=1), nn.LeakyReLU(0.2), nn.Linear(4, 3, bias=False, seed=2),
                          nn.Sigmoid()),
    lambda: nn.Sequential({"enc": nn.Sequential(nn.Linear(2, 2, seed=3), nn.Tanh()), "id": nn.Identity(),
                           "out": nn.Layer(2, 2, activation="tanh", seed=4)}),
    lambda: nn.Linear(3, 1, seed=5),
    lambda: nn.Neuron(3, activation="sigmoid", seed=6),
])
def test_torch_style_modules_round_trip_through_load(tmp_path, make):
    model = make()
    for i, p in enumerate(model.parameters()):
        p.data += 0.01 * i
    path = tmp_path / "m.json"
    nn.save(model, path)
    loaded = nn.load(path)
    assert type(loaded) is type(model) and loaded.architecture() == model.architecture()
    assert loaded.state_dict() == model.state_dict()
    x = [0.3, -0.4, 0.5][: model.nin]
    out, ref = loaded(x), model(x)
    assert [v.data for v in (out if isinstance(out, list) else [out])] == \
        [v.data for v in (ref if isinstance(ref, list) else [ref])]


# ---- the optimizer's state in the file ------------------------------------------------------------
@pytest.fixture
def checkpoint(tmp_path):
    model = nn.MLP(2, [3, 1], seed=0)
    opt = nn.Adam(model.parameters(), lr=0.01)
    for x in ([1.0, 2.0], [-1.0, 0.5]):
        opt.zero_grad()
        model(x).backward()
        opt.step()
    path = tmp_path / "ckpt.json"
    nn.save(model, path, optimizer=opt)
    return model, opt, path


def test_the_optimizer_section_layout_and_load_returning_both(checkpoint):
    model, opt, path = checkpoint
    sec = json.loads(path.read_text())["optimizer"]
    assert sec["type"] == "Adam" and sec["steps"] == 2 and sec["lr"] == 0.01
    assert sec["parameters"] == [n for n, _ in model.named_parameters()]
    assert sec["state"]["m"] == opt.m and sec["state"]["v"] == opt.v
    m2, o2 = nn.load(path, optimizer=nn.Adam)
    assert o2.params == m2.parameters() and o2.state_dict() == opt.state_dict()
    assert nn.load(path).state_dict() == model.state_dict()  # without optimizer=: the model only


def test_the_optimizer_is_matched_by_name_whatever_its_parameter_order(checkpoint):
    model, opt, path = checkpoint
    m2 = nn.MLP(2, [3, 1], seed=5)
    o2 = nn.Adam(list(reversed(m2.parameters())), lr=0.01)
    nn.load_into(m2, path, optimizer=o2)
    assert o2.m == list(reversed(opt.m)) and o2.steps == 2


def _spoil_opt(fn):
    return lambda d: fn(d["optimizer"])


OPT_BAD = {
    "type": (_spoil_opt(lambda o: o.__setitem__("type", "SGD")), "'SGD' optimizer, not 'Adam'"),
    "steps bool": (_spoil_opt(lambda o: o.__setitem__("steps", True)), "steps must be an int"),
    "steps huge": (_spoil_opt(lambda o: o.__setitem__("steps", 10 ** 400)), r"about 40\d digits"),
    "short buffer": (_spoil_opt(lambda o: o["state"]["m"].pop()), "one list of 13 numbers"),
    "negative v": (_spoil_opt(lambda o: o["state"]["v"].__setitem__(3, -1.0)), r"v\[3\] is -1.0, not a finite number ≥ 0"),
    "string m": (_spoil_opt(lambda o: o["state"]["m"].__setitem__(0, "0")), r"m\[0\] is '0'"),
    "huge m": (_spoil_opt(lambda o: o["state"]["m"].__setitem__(0, 10 ** 400)), r"m\[0\] is an integer"),
    "betas": (_spoil_opt(lambda o: o["hyperparameters"].__setitem__("betas", [0.9, 1.5])), "β₂"),
    "unknown name": (_spoil_opt(lambda o: o["parameters"].__setitem__(0, "nope")), "distinct names"),
    "twice": (_spoil_opt(lambda o: o["parameters"].__setitem__(0, o["parameters"][1])), "distinct names"),
    "schedule": (_spoil_opt(lambda o: o.__setitem__("lr", "schedule")), "learning-rate schedule"),
    "missing": (lambda d: d.pop("optimizer"), "holds no optimizer state"),
}


@pytest.mark.parametrize("case", sorted(OPT_BAD))
def test_a_bad_optimizer_section_changes_neither_model_nor_optimizer(checkpoint, case):
    _, _, path = checkpoint
    spoil, match = OPT_BAD[case]
    _edit(path, spoil)
    model = nn.MLP(2, [3, 1], seed=9)
    opt = nn.Adam(model.parameters(), lr=0.5)
    before = (model.state_dict(), opt.state_dict())
    with pytest.raises(ValueError, match=match) as e:
        nn.load_into(model, path, optimizer=opt)
    assert str(path) in str(e.value)
    assert (model.state_dict(), opt.state_dict()) == before
    with pytest.raises(ValueError, match=match):
        nn.load(path, optimizer=nn.Adam)


def test_save_refuses_an_optimizer_of_another_model(tmp_path):
    model = nn.MLP(2, [2, 1], seed=0)
    with pytest.raises(ValueError, match="parameter 0 is not one of the model's"):
        nn.save(model, tmp_path / "x.json", optimizer=nn.SGD(nn.MLP(2, [1]).parameters()))
    assert list(tmp_path.iterdir()) == []


def test_nn_save_refuses_a_special_file(special):
    with pytest.raises(ValueError, match="nn.save: .* not a regular file"):
        nn.save(nn.MLP(2, [2, 1]), special)


def test_a_small_model_file_with_a_huge_number_is_a_named_error(tmp_path):
    model = nn.Sequential(nn.Linear(2, 1), nn.LeakyReLU(0.1))
    path = tmp_path / "m.json"
    nn.save(model, path, nn.Adam(model.parameters()))
    doc = json.loads(path.read_text())
    doc["architecture"]["modules"][1]["negative_slope"] = 10 ** 401
    path.write_text(json.dumps(doc))
    assert path.stat().st_size < 1024
    _named_value_error(lambda: nn.load(path), "negative_slope")
    doc["architecture"]["modules"][1]["negative_slope"] = 0.1
    doc["optimizer"]["lr"] = 10 ** 401
    path.write_text(json.dumps(doc))
    _named_value_error(lambda: nn.load(path, optimizer=nn.Adam), "lr")
