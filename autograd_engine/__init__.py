"""autograd-engine: a scalar reverse-mode automatic-differentiation engine for learning backprop.

>>> from autograd_engine import Value
>>> a, b, c = Value(-1.0, "a"), Value(3.0, "b"), Value(4.0, "c")
>>> f = (a + b) * (b + c)        # Benedict Florance: x = a + b = 2, y = b + c = 7, f = 14
>>> f.backward()
>>> a.grad, b.grad, c.grad       # ∂f/∂a = y, ∂f/∂b = y + x (gradients add at branches), ∂f/∂c = x
(7.0, 9.0, 2.0)
"""

from .grads import gradients
from .grad_mode import enable_grad, is_grad_enabled, no_grad
from .rules import FLOAT_MATH, RULES, Rule
from .value import Value, as_value, zero_grad

__version__ = "0.1.0"

# Teaching tools and the compiled tape load on first use: `import autograd_engine` stays
# standard-library only and fast; each module names the extra it needs when that is missing.
_LAZY = {
    "draw_dot": "teach.viz", "render": "teach.viz", "enable_graphviz_display": "teach.viz",
    "backward_steps": "teach.walkthrough", "format_steps": "teach.walkthrough",
    "step_pictures": "teach.pictures", "Step": "teach.walkthrough",
    "grad": "functional", "value_and_grad": "functional", "jvp": "functional", "vjp": "functional",
    "jacobian": "functional", "hessian": "functional", "hvp": "functional", "Result": "functional",
    "forward_derivative": "functional", "ForwardResult": "functional",
    "gradcheck": "teach.gradient_check", "GradcheckError": "teach.gradient_check",
    "GradcheckReport": "teach.gradient_check",
    "compile": "tape", "Tape": "tape",
    "to_torch_code": "torch_code", "check_with_torch": "torch_code",

    "play": "teach.player", "Player": "teach.player",
    "worksheet": "teach.worksheet", "variants": "teach.variants", "diagnose": "teach.misconceptions",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])

__all__ = [
    "Value", "as_value", "zero_grad", "gradients", "no_grad", "enable_grad", "is_grad_enabled",
    "RULES", "Rule", "FLOAT_MATH", "__version__",
]
