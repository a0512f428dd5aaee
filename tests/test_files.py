"""atomic_write: the whole new file or the old one untouched, with the usual permissions."""

import os
import stat

import pytest

import nn
from autograd_engine import Value
from autograd_engine.files import atomic_write, check_writable


def test_the_new_file_has_the_permissions_open_would_give(tmp_path):
    old = os.umask(0o022)
    try:
        atomic_write(tmp_path / "a.bin", lambda f: f.write(b"new"))
        os.umask(0o077)
        atomic_write(tmp_path / "b.bin", lambda f: f.write(b"new"))
    finally:
        os.umask(old)
    assert (tmp_path / "a.bin").read_bytes() == b"new"
    assert stat.S_IMODE((tmp_path / "a.bin").stat().st_mode) == 0o644  # not mkstemp's 0o600
    assert stat.S_IMODE((tmp_path / "b.bin").stat().st_mode) == 0o600


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "model.json"
    path.write_bytes(b"old")

    def half_then_fail(f):
        f.write(b"ne")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        atomic_write(path, half_then_fail)
    assert path.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.json"]


def test_a_missing_directory_is_an_error_not_a_file_elsewhere(tmp_path):
    with pytest.raises(FileNotFoundError):
        atomic_write(tmp_path / "nope" / "x.bin", lambda f: f.write(b"x"))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o755])
def test_rewriting_a_file_keeps_its_permissions_whatever_the_umask(tmp_path, mode):
    """Re-saving a private (0o600) model file must not make it world-readable (0o644)."""
    path = tmp_path / "model.json"
    path.write_bytes(b"old")
    os.chmod(path, mode)
    old = os.umask(0o022)
    try:
        atomic_write(path, lambda f: f.write(b"new"))
        assert stat.S_IMODE(path.stat().st_mode) == mode
        os.umask(0o077)  # a stricter umask does not strip an existing file's bits either
        atomic_write(path, lambda f: f.write(b"newer"))
    finally:
        os.umask(old)
    assert path.read_bytes() == b"newer"
    assert stat.S_IMODE(path.stat().st_mode) == mode
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.json"]


def test_atomic_write_refuses_a_special_file_before_writing(special):
    called = []
    with pytest.raises(ValueError, match="not a regular file; nothing was written"):
        atomic_write(special, lambda f: called.append(f))
    assert not called
    assert [p.name for p in special.parent.iterdir()] == [special.name]  # no temporary left


def test_render_and_player_save_refuse_a_special_file(special):
    from autograd_engine.teach.viz import render

    x = Value(1.0, "x")
    with pytest.raises(ValueError, match="render: .* not a regular file"):
        render(x * x, special)  # refused before the layout: no Graphviz needed
    pytest.importorskip("graphviz")
    from autograd_engine.teach.player import Player

    with pytest.raises(ValueError, match="Player.save: .* not a regular file"):
        Player({"title": "t", "steps": []}, "<svg/>").save(special)


def test_the_training_view_refuses_a_special_file_and_a_bad_path_by_name(special, tmp_path):
    view = object.__new__(nn.TrainingView)  # save() reads only .html, after its path checks
    view.html = "<p>page</p>"
    with pytest.raises(ValueError, match="TrainingView.save: .* not a regular file"):
        view.save(special)
    with pytest.raises(FileNotFoundError, match="TrainingView.save: the directory"):
        view.save(tmp_path / "missing" / "run.html")
    with pytest.raises(TypeError, match="TrainingView.save: path must be a str or os.PathLike"):
        view.save(3)
    assert view.save(tmp_path / "run.html").read_text() == "<p>page</p>"


def test_a_directory_is_still_an_is_a_directory_error(tmp_path):
    with pytest.raises(IsADirectoryError, match="nn.save: is a directory"):
        nn.save(nn.MLP(2, [1]), tmp_path)
    check_writable(tmp_path / "new.json")  # nothing there: fine
    os.symlink(tmp_path / "nowhere", tmp_path / "dangling")
    check_writable(tmp_path / "dangling")  # os.replace replaces the link itself, not a target
