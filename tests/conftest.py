"""Shared test settings: hypothesis without deadlines (these machines have 2 noisy cores); the
special-file fixture; the one Chromium the browser tests drive."""

import os
import shutil
import stat
from pathlib import Path

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


CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright, one per test module (../shared/notes/browser-tests.md:
    Playwright cannot download its own browser here); without either the test skips, saying why."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="the browser tests need playwright: "
                                   "pip install 'autograd-engine[browser]'")
    chromium = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if chromium is None:
        pytest.skip("no Chromium on this machine (apt-get install -y chromium); .ci/run installs it as root")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield b
        b.close()
