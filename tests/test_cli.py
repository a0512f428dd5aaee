"""The command line as a whole: every bad command is one line on stderr and exit code 2."""

import time

import pytest

from autograd_engine.cli import main


def cli(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def one_line(err: str, command: str) -> None:
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith(f"autograd-engine {command}: error: ") or err.startswith("autograd-engine: error: "), err
    assert "Traceback" not in err


@pytest.mark.parametrize("args, match", [
    (["train", "moons", "--hidden", "100000,100000"], "argument --hidden: .* parameters is more than"),
    (["train", "moons", "--samples", "100000000"], "argument --samples: must be an integer from 1 to"),
    (["train", "moons", "--epochs", "1000000000"], "argument --epochs: must be an integer from 1 to"),
    (["train", "moons", "--plot", "boundary.txt"], "argument --plot: .* not an image format"),
    (["train", "moons", "--hidden", "x"], "argument --hidden: expected comma-separated"),
    (["train"], "the following arguments are required: dataset"),
    (["nonsense"], "invalid choice"),
    (["trace", "a*b", "a=1", "b=2", "--html", "x.htm"], "--html 'x.htm': .* does not end in .html"),
    (["demo", "--html", "x"], "--html 'x': .* does not end in .html"),
    (["layers", "--load", "."], "is a directory"),
    (["layers", "--load", "missing-model.json"], "No such file"),
])
def test_every_bad_command_line_is_one_line_and_exit_2(capsys, args, match):
    import re

    if "--plot" in args:
        pytest.importorskip("matplotlib")
    if "--html" in args:
        pytest.importorskip("graphviz")
    start = time.process_time()
    try:
        code = main(args)
    except SystemExit as e:  # argparse's own errors exit from parse_args
        code = e.code
    assert code == 2
    out, err = capsys.readouterr()
    assert "after" not in out  # nothing trained
    one_line(err, args[0])
    assert re.search(match, err), err
    assert time.process_time() - start < 10  # refused up front (before: gigabytes, or a whole run)
