"""atomic_write: the whole new file or the old one untouched, with the usual permissions."""

import os
import stat

import pytest

from autograd_engine.files import atomic_write


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
