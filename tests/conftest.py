"""Shared test settings: hypothesis without deadlines (these machines have 2 noisy cores)."""

import os
import stat

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "default", deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.load_profile("default")


@pytest.fixture(params=["fifo", "link to /dev/null"])
def special(request, tmp_path):
    """A path with a FIFO at it, or a symlink to a character device; afterwards it must still be
    exactly that (nothing renamed over it)."""
    path = tmp_path / "target.out"
    if request.param == "fifo":
        os.mkfifo(path)
        kind = stat.S_ISFIFO
    else:
        os.symlink(os.devnull, path)
        kind = stat.S_ISCHR
    yield path
    assert kind(os.stat(path).st_mode), "the special file was replaced"
