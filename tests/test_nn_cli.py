"""``autograd-engine train`` as a subprocess: the printed accuracies are those of the saved
model, which is the model the library trains with the same settings; --plot writes a PNG;
bad arguments exit 2 with argparse's one-line error and no traceback."""

import re
import subprocess
import sys

import pytest

import nn
from test_cli import cli, one_line

ACCURACY = re.compile(r"after (\d+) epochs: train accuracy ([\d.]+)% \(loss ([\d.]+)\), "
                      r"validation accuracy ([\d.]+)% \(loss ([\d.]+)\)")


def train_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "autograd_engine.cli", "train", *args],
                          capture_output=True, text=True, timeout=120, cwd=cwd)


def test_train_moons_saves_the_model_the_library_trains_and_plots_it(tmp_path):
    model_path, png = tmp_path / "model.json", tmp_path / "boundary.png"
    run = train_cli("moons", "--samples", "60", "--hidden", "8,8", "--epochs", "30", "--lr", "0.2",
                    "--seed", "1", "--compiled", "--save", str(model_path), "--plot", str(png))
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""  # not a terminal: no progress bar
    (epochs, train_acc, train_loss, val_acc, val_loss), = ACCURACY.findall(run.stdout)
    assert epochs == "30"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # the same training through the library: the CLI's defaults (val 0.2, l2 1e-4, full batch)
    train, val = nn.split(nn.moons(60, seed=1), 0.8, 0.2, seed=1)
    model = nn.MLP(2, [8, 8, 1], seed=1)
    nn.fit(model, "hinge", nn.SGD(model.parameters(), lr=0.2), train, epochs=30, l2=1e-4,
           val=val, seed=1, compiled=True)
    loaded = nn.load(model_path)
    assert loaded.architecture() == model.architecture()
    assert [p.data for p in loaded.parameters()] == [p.data for p in model.parameters()]
    grid = [[x / 4, y / 4] for x in range(-6, 11) for y in range(-4, 7)]
    assert nn.predict(loaded, grid) == nn.predict(model, grid)
    # the printed numbers are the loaded model's
    for data, acc, loss in ((train, train_acc, train_loss), (val, val_acc, val_loss)):
        ours_loss, ours_acc = nn.evaluate(loaded, "hinge", data)
        assert f"{ours_acc:.1%}" == f"{acc}%"
        assert f"{ours_loss:.4f}" == loss


def test_train_xor_on_the_scalar_engine_prints_both_accuracies():
    run = train_cli("xor", "--samples", "20", "--hidden", "4", "--activation", "tanh",
                    "--epochs", "150", "--lr", "0.5", "--seed", "0")
    assert run.returncode == 0, run.stderr
    assert "xor: 16 training and 4 validation points, 2 classes" in run.stdout
    (_, train_acc, _, val_acc, _), = ACCURACY.findall(run.stdout)
    assert (train_acc, val_acc) == ("100.0", "100.0")  # the four corners, learned


@pytest.mark.parametrize("args, message", [
    (["spiral"], "argument dataset: invalid choice: 'spiral'"),
    (["moons", "--hidden", "16,x"], "argument --hidden: expected comma-separated layer sizes"),
    (["moons", "--lr", "-1"], "argument --lr: must be a positive number, got '-1'"),
    (["moons", "--batch-size", "0"], "argument --batch-size: must be a positive integer, got '0'"),
])
def test_bad_arguments_exit_2_with_one_line_error(args, message):
    run = train_cli(*args)
    assert run.returncode == 2
    assert run.stdout == ""
    assert "Traceback" not in run.stderr
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("autograd-engine train: error: ") and message in last


def test_train_plot_legend_counts_training_and_validation_points_apart(tmp_path, monkeypatch, capsys):
    """The plot was given all 60 points as "training points (60)" and no validation set."""
    pytest.importorskip("matplotlib")
    from autograd_engine.cli import main
    from nn import plot

    seen = {}
    real = plot.decision_boundary

    def spy(model, data, loss="hinge", **kw):
        ax = real(model, data, loss, **kw)
        seen["legend"] = [t.get_text() for t in ax.get_legend().get_texts()]
        return ax

    monkeypatch.setattr(plot, "decision_boundary", spy)
    png = tmp_path / "b.png"
    assert main(["train", "moons", "--samples", "60", "--hidden", "4", "--epochs", "2", "--seed", "1",
                 "--plot", str(png)]) == 0
    assert "training points (48)" in seen["legend"] and "validation points (12)" in seen["legend"]
    assert "48 training and 12 validation points" in capsys.readouterr().out


def test_layers_without_numpy_is_one_line_naming_the_extra():
    code = ("import sys; sys.modules['numpy'] = None\n"  # as if NumPy were not installed
            "from autograd_engine.cli import main\nsys.exit(main(['layers']))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr.count("\n") == 1 and "Traceback" not in run.stderr
    assert run.stderr.startswith("autograd-engine layers: error: ") and "pip install 'autograd-engine[nn]'" in run.stderr


def train_main(capsys, *args):
    from autograd_engine.cli import main

    code = main(["train", "moons", "--samples", "40", "--hidden", "4", "--epochs", "3", "--quiet", *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("args, code, message", [
    (["--lr", "1e300"], 1, r"training diverged in epoch 1: after 1 optimizer step .* \(try a smaller --lr\)"),
    (["--lr", "1e300", "--compiled"], 1, r"training diverged in epoch 1: after 1 optimizer step"),
    (["--noise", "1e308"], 2, r"argument --noise: 1e\+308 is so large that points overflow"),
    (["--noise", "1e308", "--compiled"], 2, r"argument --noise"),
    (["--l2", "1e308"], 2, r"cannot be computed at the initial parameters with l2 = 1e\+308"),
    (["--l2", "1e308", "--compiled"], 2, r"cannot be computed at the initial parameters with l2 = 1e\+308"),
])
def test_train_that_cannot_work_is_one_line(capsys, args, code, message):
    if "--compiled" in args:
        pytest.importorskip("numpy")
    got, out, err = train_main(capsys, *args)
    assert got == code
    assert len(err.strip().splitlines()) == 1 and err.startswith("autograd-engine train: error: ")
    assert re.search(message, err), err
    assert "compile:" not in err and "Traceback" not in err
    assert "after" not in out  # no accuracy line as if training had worked


def test_train_divergence_as_a_subprocess_has_no_traceback():
    import subprocess
    import sys

    run = subprocess.run([sys.executable, "-m", "autograd_engine.cli", "train", "moons", "--samples", "40",
                          "--epochs", "2", "--lr", "1e300"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 1 and len(run.stderr.strip().splitlines()) == 1, run.stderr
    assert "training diverged" in run.stderr


@pytest.mark.parametrize("option, module", [(["--compiled"], "numpy"), (["--plot", "b.png"], "matplotlib")])
def test_train_checks_the_extras_before_training(capsys, monkeypatch, tmp_path, option, module):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, module, None)  # import fails as if not installed
    code, out, err = train_main(capsys, *option)
    assert code == 2 and out == ""  # refused before the data, the model or a single epoch
    assert err.strip() == (f"autograd-engine train: error: argument {option[0]}: needs "
                           f"{'NumPy' if module == 'numpy' else 'matplotlib'}, which is not installed: "
                           "pip install 'autograd-engine[nn]'")


def test_train_help_shows_every_default(capsys):
    from autograd_engine.cli import main

    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for default in ["(default: 200)", "(default: 16,16)", "(default: relu)", "(default: uniform)", "(default: sgd)",
                    "(default: 0.1)", "(default: 0.0001)", "(default: 100)", "(default: 0.2)", "(default: 0)"]:
        assert default in text, default
    assert text.count("(default:") >= 20


def test_train_save_to_a_special_file_is_refused_before_training(capsys, special):
    code, out, err = cli(capsys, "train", "moons", "--samples", "20", "--epochs", "1", "--quiet",
                         "--save", str(special))
    assert code == 2 and out == ""  # nothing trained
    one_line(err, "train")
    assert "argument --save" in err and "not a regular file" in err
