"""The README's Python examples run as printed, in order, and say what the README says."""

import contextlib
import io
import os
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


@pytest.fixture(scope="module")
def readme_run(tmp_path_factory):
    pytest.importorskip("numpy")
    pytest.importorskip("graphviz")
    ns: dict = {}
    printed = []
    here = os.getcwd()
    os.chdir(tmp_path_factory.mktemp("readme"))  # the examples write f.png where they run
    try:
        for block in BLOCKS:
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                exec(compile(block, str(README), "exec"), ns)
            printed.append(out.getvalue())
        ns["files"] = sorted(p.name for p in Path.cwd().iterdir())
    finally:
        os.chdir(here)
    return ns, printed


def out(printed, marker: str) -> str:
    """What the README block containing ``marker`` printed."""
    return printed[next(i for i, b in enumerate(BLOCKS) if marker in b)]


def test_the_example_prints_seed_004s_gradients(readme_run):
    ns, printed = readme_run
    assert out(printed, "a, b, c = Value(-1.0").splitlines()[0] == "7.0 9.0 2.0"
    assert ns["f"].local_grads == (7.0, 2.0)


def test_the_teaching_tools_example(readme_run):
    ns, printed = readme_run
    text = out(printed, "format_steps(backward_steps(f))")
    assert "   5  v2 → b             2      1             2                   9" in text
    assert "passed" in text
    assert ns["files"] == ["f.png"]


def test_the_five_line_training_reaches_100_percent(readme_run):
    ns, printed = readme_run
    assert out(printed, "nn.fit(").strip() == "1.0" and ns["history"].accuracy[-1] == 1.0


def test_the_tape_example_gives_the_scalar_engines_mean_loss(readme_run):
    ns, printed = readme_run
    nn, model, train, t = ns["nn"], ns["model"], ns["train"], ns["t"]
    scalar = [nn.hinge(model(x), ti).data for x, ti in zip(train.X, t)]
    assert ns["losses"].tolist() == pytest.approx(scalar, rel=1e-12, abs=1e-15)
    assert out(printed, "compile(").startswith("(100,) ")


def test_the_higher_order_example_prints_what_its_comments_say(readme_run):
    ns, printed = readme_run
    block = next(b for b in BLOCKS if "create_graph=True" in b)
    said = [line.split("# ")[-1] for line in block.splitlines() if line.startswith("print(")]
    assert out(printed, "create_graph=True").splitlines() == [s.split(": ")[-1] for s in said]
