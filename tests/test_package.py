"""The package surface: `import autograd_engine` loads the standard library only, and every lazily
exported name resolves to the object its module defines."""

import importlib
import subprocess
import sys

import pytest

import autograd_engine


def test_importing_the_core_loads_only_the_standard_library():
    code = ("import sys; before = set(sys.modules)\n"
            "import autograd_engine, autograd_engine.files\n"
            "new = {m.split('.')[0] for m in set(sys.modules) - before}\n"
            "print(sorted(new - set(sys.stdlib_module_names) - {'autograd_engine'}))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("name", sorted(autograd_engine._LAZY))
def test_every_lazy_name_is_its_modules_object(name):
    needs = {"tape": "numpy", "teach.viz": "graphviz"}.get(autograd_engine._LAZY[name])
    if needs:
        pytest.importorskip(needs)
    module = importlib.import_module(f"autograd_engine.{autograd_engine._LAZY[name]}")
    assert getattr(autograd_engine, name) is getattr(module, name)
    assert name in dir(autograd_engine)


def test_gradcheck_is_the_function_not_a_submodule():
    from autograd_engine import GradcheckError, gradcheck

    assert callable(gradcheck) and issubclass(GradcheckError, AssertionError)
    report = gradcheck(lambda x: x * x, [3.0])
    assert report.passed and report.inputs[0].analytic == 6.0


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="has no attribute 'draw_graph'"):
        autograd_engine.draw_graph


def test_python_dash_m_runs_the_command_line():
    out = subprocess.run([sys.executable, "-m", "autograd_engine", "trace", "(a+b)*(b+c)", "a=-1", "b=3", "c=4"],
                         capture_output=True, text=True, check=True)
    assert "14" in out.stdout and "9" in out.stdout
    help_ = subprocess.run([sys.executable, "-m", "autograd_engine", "--help"], capture_output=True, text=True)
    assert help_.returncode == 0 and "trace" in help_.stdout and "train" in help_.stdout
