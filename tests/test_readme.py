"""Every Python block of the README runs ON ITS OWN, in a fresh interpreter (a subprocess in an
empty directory), and prints what its comments say.

The README's convention: a line ending in ``# prints EXPECTED`` (up to " — ", the explanation)
prints EXPECTED, where ``…`` stands for anything and runs of whitespace match any whitespace.
To know which output belongs to which line, the test puts a marker print before each such line.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
FENCES = re.findall(r"^```(\S*)\n(.*?)^```", README.read_text(encoding="utf-8"), re.S | re.M)
PYTHON_TAGS = {"python", "py", "python3"}  # every one of them is run: a block fails alone whatever its tag
SHELL_TAGS = {"bash", "sh", "console"}
BLOCKS = [body for tag, body in FENCES if tag in PYTHON_TAGS]
PRINTS = re.compile(r"#\s*prints (.*?)(?: — .*)?$")
MARK = "@@readme-line-{}@@"


def claims(block: str) -> list[tuple[int, str]]:
    """(line number, expected output) for each ``# prints`` comment of a block."""
    return [(i, m.group(1).strip()) for i, line in enumerate(block.splitlines())
            if (m := PRINTS.search(line))]


def instrumented(block: str) -> str:
    lines = block.splitlines()
    for i, _ in reversed(claims(block)):
        indent = re.match(r"\s*", lines[i]).group(0)
        lines.insert(i, f"{indent}print({MARK.format(i)!r})")
    return "\n".join(lines) + "\n"


def run_alone(block: str, cwd: Path) -> dict[int, str]:
    """Run one block in a fresh interpreter; the output printed by each claimed line."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, "-c", instrumented(block)], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, f"the block fails on its own:\n{block}\n{done.stderr}"
    parts = re.split(r"@@readme-line-(\d+)@@\n", done.stdout)
    return {int(k): out for k, out in zip(parts[1::2], parts[2::2])}


def matches(expected: str, printed: str) -> bool:
    words = [re.escape(w) for w in expected.replace("…", " … ").split()]
    pattern = r"\s+".join(words).replace(r"\s+…\s+", r"(?:\s.*\s|\s+)").replace(r"…", ".*")
    return re.search(r"^\s*" + pattern + r"\s*$", " ".join(printed.split()), re.S) is not None


def test_the_readme_has_its_blocks_and_every_block_claims_some_output():
    assert len(BLOCKS) >= 4
    assert all(claims(block) for block in BLOCKS)  # a block whose output nobody checks proves little


def test_every_fence_tag_is_run_or_is_a_shell_session():
    """A ```py block (the player's) was skipped because only ```python blocks were run."""
    tags = {tag for tag, _ in FENCES}
    assert tags <= PYTHON_TAGS | SHELL_TAGS, tags - PYTHON_TAGS - SHELL_TAGS
    assert len(BLOCKS) == sum(tag in PYTHON_TAGS for tag, _ in FENCES) and "py" in tags


def test_the_matcher_is_strict():
    assert matches("7.0 9.0 2.0", "7.0 9.0 2.0\n") and not matches("7.0 9.0 2.0", "14.0 18.0 4.0\n")
    assert matches("(100,) …", "(100,) 68\n") and not matches("(100,) …", "(10,) 68\n")
    assert matches("… v2 → b 2 1 2 9 …", "step\n  5  v2 → b     2   1   2    9\n   6 v2 → c ...\n")
    assert not matches("… v2 → b 2 1 2 9 …", "  5  v2 → b     4   1   4    18\n")


@pytest.mark.parametrize("k", range(len(BLOCKS)))
def test_each_block_alone_prints_what_its_comments_say(k, tmp_path):
    if "numpy" in BLOCKS[k]:
        pytest.importorskip("numpy")
    if "draw_dot" in BLOCKS[k] or "play(" in BLOCKS[k] or "enable_graphviz_display" in BLOCKS[k]:
        pytest.importorskip("graphviz")
    if "import torch" in BLOCKS[k]:
        pytest.importorskip("torch")
    printed = run_alone(BLOCKS[k], tmp_path)
    for line, expected in claims(BLOCKS[k]):
        assert matches(expected, printed[line]), (
            f"README block {k + 1}, line {line + 1}: says it prints {expected!r}, printed {printed[line]!r}")


def test_the_picture_shows_the_gradients_the_text_printed(tmp_path):
    """Issue 16: the block ran a second backward pass before rendering, so the picture showed
    a 14, b 18, c 4 right after the text said 7, 9, 2."""
    pytest.importorskip("graphviz")
    (block,) = [b for b in BLOCKS if "render(f" in b]
    run_alone(block, tmp_path)
    svg = (tmp_path / "f.svg").read_text(encoding="utf-8")
    assert all(f"grad {g}" in svg for g in (7, 9, 2)) and "grad 18" not in svg and "grad 14" not in svg
