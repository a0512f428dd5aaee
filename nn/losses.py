"""Per-sample losses, written only with Value ops so the compiled tape can replay them.

Each loss takes one sample's model output (a Value, or a list of Values) and its target
(numbers or Values — the tape passes targets in as input Values) and returns one Value.
Nothing branches on ``.data``: the log-sum-exp shift is a ``max`` op, and the stable
binary cross-entropy uses ``relu``/``abs``, which the tape evaluates element-wise.

A batch loss is the mean of the per-sample losses (*Chapter 6: The Backprop Algorithm*, eq. 6.5: the gradient step uses
(1/B) Σₘ ∂L(m)/∂w), plus an L2 term λ·Σw² on the parameters (van Omme's talk *So you think you know backpropagation?*).

:class:`Loss` bundles a per-sample loss with how class labels become targets and how a
model's output becomes a predicted class, so :func:`nn.fit` can report accuracy; ``LOSSES``
names the built-in ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any, Callable, NamedTuple, Optional, Sequence, Union

from autograd_engine import Value

Scalar = Union[Value, float, int]


def _seq(x, who: str) -> list:
    if isinstance(x, (Value, Real)):
        return [x]
    if isinstance(x, (str, bytes)):
        raise TypeError(f"{who}: expected a Value, a number or a sequence of them, got the text {x!r}")
    try:
        return list(x)
    except TypeError:
        raise TypeError(f"{who}: expected a Value, a number or a sequence of them, "
                        f"got {type(x).__name__} {x!r}") from None


def _pair(output, target, who: str) -> tuple[list, list]:
    ys, ts = _seq(output, who), _seq(target, who)
    if len(ys) != len(ts):
        raise ValueError(f"{who}: {len(ys)} outputs but {len(ts)} targets")
    if not ys:
        raise ValueError(f"{who}: empty output")
    return ys, ts


def mse(output, target) -> Value:
    """Squared error of one sample, ‖y − ŷ‖² = Σₖ (yₖ − tₖ)² (the AD talk's XOR loss; the batch
    loss is its mean, L = (1/|X|) Σ ‖y − ŷ‖²).  ∂/∂yₖ = 2(yₖ − tₖ)."""
    ys, ts = _pair(output, target, "mse")
    diffs = [y - t for y, t in zip(ys, ts)]
    return Value.dot(diffs, diffs)


def softmax_cross_entropy(logits, target) -> Value:
    """L = −Σₖ tₖ log yₖ with yₖ = exp(aₖ) / Σⱼ exp(aⱼ) (the backprop chapter), for logits a and a target
    t: one-hot numbers or Values, or a class index (an int in 0..K−1; anything else is a
    ValueError).

    log yₖ = aₖ − lse(a) with the log-sum-exp taken stably, shifted by m = max(a) (a chain of
    ``max`` ops, so the tape replays it per sample)::

        lse(a) = m + log Σⱼ exp(aⱼ − m)          every exp(aⱼ − m) ≤ 1: no overflow

    Its gradient is the chapter's δₖ = ∂L/∂aₖ = yₖ − tₖ (for Σₖ tₖ = 1); the shift m cancels
    exactly (∂lse/∂m = 1 − Σⱼ yⱼ = 0).
    """
    a = _seq(logits, "softmax_cross_entropy")
    if isinstance(target, Integral) and not isinstance(target, bool):  # int, numpy integers
        target = _onehot(_class_index("softmax_cross_entropy", target, len(a)), len(a))
    a, t = _pair(a, target, "softmax_cross_entropy")
    a = [ak if isinstance(ak, Value) else Value(ak) for ak in a]
    m = a[0]
    for ak in a[1:]:
        m = m.max(ak)  # the shift as an op, not a number read from .data
    lse = m + Value.sum([(ak - m).exp() for ak in a]).log()
    return -Value.dot(t, [ak - lse for ak in a])


def binary_cross_entropy_with_logits(logit, target) -> Value:
    """L = −[t log σ(z) + (1 − t) log(1 − σ(z))] for a logit z and t ∈ [0, 1], computed as

        L = max(z, 0) − z·t + log(1 + exp(−|z|))

    which never takes exp of a large positive number nor log of 0.  ∂L/∂z = σ(z) − t.
    """
    (z,), (t,) = _pair(logit, target, "binary_cross_entropy_with_logits")
    z = z if isinstance(z, Value) else Value(z)
    # max(z, 0) rather than relu: its tie rule gives 1/2 at z = 0, where |z| gives 0, so the
    # gradient there is σ(0) − t = 1/2 − t exactly (relu'(0) = 0 would give −t)
    return z.max(0.0) - z * t + (1.0 + (-z.abs()).exp()).log()


def hinge(score, target) -> Value:
    """SVM max-margin loss max(0, 1 − t·s) for a score s and t ∈ {−1, +1} (micrograd's demo):
    zero once the sample is on the right side with margin 1; ∂L/∂s = −t inside the margin.

    A number target other than −1 or +1 is **refused** with a ValueError, not converted: with
    t = 0 the loss would be the constant 1 and nothing would be learnt.  Class labels 0/1 (what
    the datasets give) become t = 2·label − 1; the ``"hinge"`` entry of :data:`LOSSES`, which
    :func:`nn.fit` uses, does this conversion.  A Value target (the compiled tape passes
    targets in as Values) is not checked: its number is only known at run time."""
    (s,), (t,) = _pair(score, target, "hinge")
    if not isinstance(t, Value) and t not in (-1, 1):
        raise ValueError(f"hinge: the target must be -1 or +1, got {t!r}; for class labels 0/1 use "
                         "2·label − 1 (nn.fit's loss 'hinge' converts them)")
    s = s if isinstance(s, Value) else Value(s)
    return (1.0 - t * s).relu()


def l2(parameters: Sequence[Value], lam: float) -> Value:
    """λ·Σ w² over ``parameters`` (the AD talk's regulariser Ω; micrograd's ``alpha * sum(p*p)``),
    one dot node: ∂/∂w = 2λw."""
    ps = list(parameters)
    return lam * Value.dot(ps, ps)


def mean(losses: Sequence[Value]) -> Value:
    """(1/B) Σ L(m): the batch loss of the chapter's eq. 6.5."""
    losses = list(losses)
    if not losses:
        raise ValueError("mean: no losses (an empty batch)")
    return Value.sum(losses) / len(losses)


# ---- the losses as formula text ------------------------------------------------------------
class LossFormula(NamedTuple):
    """One built-in loss as text over one sample's output vector ``a`` (a_L) and target ``t``,
    the way the rule table writes an op: C(a, t) and the gradient ∇_a C (BP1's first factor).
    Arithmetic is element-wise, ``m.sum``/``m.max`` reduce a vector, ``m.maximum``/``m.where``
    choose element-wise (NumPy's semantics).  :mod:`nn.layers_backprop` evaluates this text
    with NumPy, :mod:`autograd_engine.rules_js` compiles it to the training view's JavaScript:
    each loss's derivative is written once, here."""

    name: str
    C: str
    grad: str


# fmt: off
LOSS_FORMULAS: dict[str, LossFormula] = {f.name: f for f in (
    #            name             C(a, t)                                                ∇_a C
    LossFormula("mse",           "m.sum((a - t) * (a - t))",                            "2.0 * (a - t)"),
    # max(a, 0) − a·t + log(1 + e^(−|a|)): never exp of a large number nor log 0
    LossFormula("bce",           "m.sum(m.maximum(a, 0.0) - a * t + m.log1p(m.exp(-m.abs(a))))",
                                 "m.sigmoid(a) - t"),
    # the switch 1[1 − t·a > 0] is relu's (0 exactly at the margin, as relu'(0) = 0)
    LossFormula("hinge",         "m.sum(m.maximum(1.0 - t * a, 0.0))",
                                 "-t * m.where(1.0 - t * a > 0.0, 1.0, 0.0)"),
    # −Σ t·(a − lse(a)), lse shifted by max(a); ∇ = (Σt)·softmax(a) − t (y − t for one-hot t)
    LossFormula("cross_entropy", "-m.sum(t * (a - (m.max(a) + m.log(m.sum(m.exp(a - m.max(a)))))))",
                                 "m.sum(t) * m.exp(a - m.max(a)) / m.sum(m.exp(a - m.max(a))) - t"),
)}
# fmt: on


def loss_formula_fn(name: str) -> Callable:
    """``fn(m, a, t) -> (C, ∇_a C)`` compiled from :data:`LOSS_FORMULAS`' text (as
    ``rules.rule`` compiles a row), for a backend ``m`` with the names the text uses."""
    f = LOSS_FORMULAS[name]
    fn = _COMPILED.get(name)
    if fn is None or getattr(fn, "__formula__", None) is not f:  # text replaced at run time: recompiled
        source = f"def {name}_formula(m, a, t):\n    return {f.C}, {f.grad}\n"
        namespace: dict = {}
        exec(compile(source, f"<loss {name}>", "exec"), namespace)
        fn = namespace[f"{name}_formula"]
        fn.__formula__ = f
        _COMPILED[name] = fn
    return fn


_COMPILED: dict[str, Callable] = {}


# ---- losses as training objectives ----------------------------------------------------------
def _argmax(xs: Sequence[float]) -> int:
    return max(range(len(xs)), key=xs.__getitem__)


def _onehot(label: int, k: int) -> list[float]:
    return [1.0 if j == label else 0.0 for j in range(k)]


@dataclass(frozen=True)
class Loss:
    """A per-sample loss with its conventions for class labels 0..K−1.

    ``fn(output, target)`` the loss; ``target(label, nout)`` the target row for a label
    (numbers, one per target input of the tape); ``predict(outputs)`` the class the model's
    output data (a list of floats) says; ``predict_rows(np, outputs)`` the same rule over a
    (B, k) array of outputs, one class a row (the compiled tape's accuracy; None: ``predict``
    row by row).  The two sit in one row so that they are read, and tested, together.
    """

    name: str
    fn: Callable[..., Value]
    target: Callable[[int, int], list[float]]
    predict: Callable[[list[float]], int]
    predict_rows: Optional[Callable[[Any, Any], Any]] = None

    def __call__(self, output, target) -> Value:
        return self.fn(output, target)


def _one_output(name: str, nout: int) -> None:
    if nout != 1:
        raise ValueError(f"loss {name!r} needs a model with one output unit, this one has {nout}")


def _class_index(who: str, label, k: int) -> int:
    """``label`` as a class index 0..k−1: an integer (or an integral float such as 1.0); a
    fraction, a bool, text or an index out of range is a ValueError (1.5 would otherwise be an
    all-zero one-hot target, whose loss is 0)."""
    if isinstance(label, Integral) and not isinstance(label, bool):
        index = int(label)
    elif isinstance(label, Real) and not isinstance(label, bool) and float(label).is_integer():
        index = int(float(label))
    else:
        raise ValueError(f"{who}: label {label!r} is not a class index (an integer 0..{k - 1})")
    if not 0 <= index < k:
        raise ValueError(f"{who}: label {label!r} is out of range for {k} classes (0..{k - 1})")
    return index


def _binary_target(name: str, lo: float):
    def target(label: int, nout: int) -> list[float]:
        _one_output(name, nout)
        index = _class_index(f"loss {name!r} is for two classes (labels 0 and 1)", label, 2)
        return [1.0 if index == 1 else lo]
    return target


def _mse_target(label: int, nout: int) -> list[float]:
    if nout == 1:  # a regression-style target: the label as a number, two classes 0/1
        who = "loss 'mse' with one output is for two classes (labels 0 and 1)"
        return [float(_class_index(who, label, 2))]
    return _onehot(_class_index("loss 'mse'", label, nout), nout)


def _ce_target(label: int, nout: int) -> list[float]:
    return _onehot(_class_index("loss 'cross_entropy'", label, nout), nout)


LOSSES: dict[str, Loss] = {
    # name: per-sample loss, label -> target, output -> predicted class
    "hinge": Loss("hinge", hinge, _binary_target("hinge", -1.0), lambda y: int(y[0] > 0),
                  lambda np, o: (o[:, 0] > 0).astype(int)),
    "bce": Loss("bce", binary_cross_entropy_with_logits, _binary_target("bce", 0.0),
                lambda y: int(y[0] > 0), lambda np, o: (o[:, 0] > 0).astype(int)),
    "mse": Loss("mse", mse, _mse_target,
                lambda y: int(y[0] > 0.5) if len(y) == 1 else _argmax(y),
                lambda np, o: (o[:, 0] > 0.5).astype(int) if o.shape[1] == 1 else np.argmax(o, axis=1)),
    "cross_entropy": Loss("cross_entropy", softmax_cross_entropy, _ce_target, _argmax,
                          lambda np, o: np.argmax(o, axis=1)),  # the first largest, as _argmax
}


def get_loss(loss: Union[str, Loss]) -> Loss:
    """A :class:`Loss` from its name in ``LOSSES`` (or the Loss itself)."""
    if isinstance(loss, Loss):
        return loss
    if loss in LOSSES:
        return LOSSES[loss]
    raise ValueError(f"loss must be a nn.Loss or one of {', '.join(map(repr, LOSSES))}; got {loss!r}")
