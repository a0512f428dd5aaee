"""What a newcomer reads names its sources and its numbers honestly (issue 16): the README and
the notebooks cite each source by title and author, never as "seed 00N"; notebook prose quotes no
timings (the code prints what its run measured); every notebook is committed with its outputs."""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SEED = re.compile(r"seed[ _]?0\d\d|seed blog|the seed\b", re.I)
TIMING = re.compile(r"(?<![\w.])\d[\d.,]*\s*(?:ms|µs|s|seconds?|minutes?)\b|\d+(?:\.\d+)?\s*× faster")


def cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def test_the_readme_names_every_source_in_a_references_section():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert not SEED.search(text)
    refs = text.split("## References", 1)[1]
    for must in ("*Chapter 6: The Backprop Algorithm*", "*Notes on Backpropagation*", "hustwj",
                 "Nikolaj van Omme", "*So you think you know backpropagation?*", "Funartech, 2018",
                 "*Back-Propagation*", "*Data Science and Machine Learning*", "Benedict Florance"):
        assert must in refs, must
    assert "Figure 6.2 of the textbook chapter *Chapter 6: The Backprop Algorithm*" in " ".join(text.split())


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebooks_cite_sources_by_name_and_quote_no_timings(path):
    for k, cell in enumerate(cells(path)):
        source = "".join(cell["source"])
        assert not SEED.search(source), f"{path.name} cell {k}: {SEED.search(source).group(0)!r}"
        if cell["cell_type"] == "markdown":
            assert not TIMING.search(source), f"{path.name} cell {k} quotes a timing: {TIMING.search(source).group(0)!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebooks_are_committed_executed_with_outputs(path):
    code = [c for c in cells(path) if c["cell_type"] == "code" and "".join(c["source"]).strip()]
    assert code and all(c.get("execution_count") for c in code)
    assert sum(bool(c.get("outputs")) for c in code) >= len(code) // 2


def test_the_best_epoch_is_named_1_based_like_the_plot():
    (cell,) = [c for c in cells(ROOT / "notebooks" / "training_an_mlp.ipynb") if "best_epoch" in "".join(c["source"])]
    source = "".join(cell["source"])
    assert "at epoch {best + 1}" in source and "stopped after epoch {history3.epochs}" in source
    printed = "".join("".join(o.get("text", "")) for o in cell["outputs"])
    stopped, best = map(int, re.search(r"stopped after epoch (\d+) .* at epoch (\d+),", printed).groups())
    assert stopped == best + 25  # early_stopping=25: stopped 25 epochs after the best, both 1-based
