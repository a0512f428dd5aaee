"""Save/load: an exact round trip, atomic writes, and every bad file refused with a clear
ValueError and the model left unchanged."""

import json
import os

import pytest

import nn


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
