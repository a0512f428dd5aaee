"""``autograd-engine layers``: the per-layer δ table of one sample, equations beside the engine.

    autograd-engine layers --sizes 3,4,3,2 --activation tanh --loss cross_entropy \\
        --x 0.5,-1,2 --target 1 --steps --plot net.png

builds ``MLP(3, [4, 3, 2])`` (or loads one with ``--load model.json``), runs Algorithm 1 (BP1–BP4
of :mod:`nn.layers_backprop`) and the scalar engine on the sample, and prints per layer and neuron
z_l,j, S′(z_l,j), δ_l,j from the equations and ``z[l][j].grad`` from the graph, with the largest
difference over every δ, ∂C/∂w and ∂C/∂b.  ``--steps`` adds each δ written out as the steps of the
backward walk-through; ``--plot`` saves the network diagram (needs matplotlib).
"""

from __future__ import annotations

import argparse
import os
import random
import sys

from autograd_engine.checks import shown

from .module import ACTIVATIONS, INITS, MLP

MAX_WEIGHTS = 100_000  # a table for one sample; a bigger model is refused rather than slow


def _numbers(text: str) -> list[float]:
    try:
        return [float(s) for s in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers like 0.5,-1,2, got {text!r}") from None


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(s) for s in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated layer sizes like 3,4,2, got {text!r}") from None
    if len(sizes) < 2 or any(n < 1 for n in sizes):
        raise argparse.ArgumentTypeError(f"expected the input size then at least one layer size, "
                                         f"each ≥ 1, got {text!r}")
    return sizes


def register(subparsers) -> None:
    from .layers_backprop import ACTIVATION_RULES, SUPPORTED_LOSSES

    p = subparsers.add_parser(
        "layers", help="the per-layer δ table (BP1–BP4) of one sample, beside the engine",
        description="Run the textbook layer equations (BP1–BP4, Algorithm 1) and the scalar engine on "
                    "one sample and print δ_l,j per layer and neuron from both, with the largest difference.")
    p.add_argument("--sizes", type=_sizes, default=[3, 4, 3, 2],
                   help="input size, then the size of each layer (default 3,4,3,2)")
    p.add_argument("--activation", choices=sorted(set(ACTIVATIONS) & set(ACTIVATION_RULES)), default="tanh")
    p.add_argument("--last-activation", choices=sorted(set(ACTIVATIONS) & set(ACTIVATION_RULES)),
                   default="linear")
    p.add_argument("--init", choices=sorted(INITS), default="xavier")
    p.add_argument("--loss", choices=SUPPORTED_LOSSES, default="cross_entropy")
    p.add_argument("--load", metavar="MODEL.json", help="use a saved model instead of --sizes")
    p.add_argument("--x", type=_numbers, default=None,
                   help="the input, e.g. --x=0.5,-1,2 (default: random from --seed)")
    p.add_argument("--target", type=_numbers, default=None,
                   help="the target: a class index for cross_entropy, numbers for mse, ±1 for hinge, "
                        "[0, 1] for bce (default: class/first target 1 or 1.0)")
    p.add_argument("--seed", type=int, default=0, help="seed for the weights and the default input")
    p.add_argument("--steps", action="store_true", help="also write each δ as the walk-through's steps")
    p.add_argument("--plot", metavar="IMAGE", help="save the network diagram coloured by δ and ∂C/∂w")
    p.set_defaults(handler=run)


def _error(message: str, code: int = 2) -> int:
    print(f"autograd-engine layers: error: {message}", file=sys.stderr)
    return code


def _target(loss: str, given, nout: int):
    if given is None:
        if loss == "cross_entropy":
            return min(1, nout - 1)
        return [1.0] * nout
    if loss == "cross_entropy" and len(given) == 1 and given[0].is_integer():
        return int(given[0])  # a class index
    return given


def run(args: argparse.Namespace) -> int:
    from . import layers_backprop as lb

    if args.plot is not None and not os.path.isdir(os.path.dirname(os.path.abspath(args.plot))):
        return _error(f"argument --plot: the directory of {args.plot!r} does not exist")
    if args.plot is not None:  # a wrong extension or a FIFO/device at the path: refused before any work
        try:
            from .plot import check_image_path

            check_image_path(args.plot, "argument --plot")
        except ImportError as e:
            return _error(f"argument --plot: needs matplotlib ({e})")
        except (OSError, ValueError) as e:
            return _error(str(e))
    try:
        if args.load:
            from .io import load

            model = load(args.load)
        else:
            nin, *nouts = args.sizes
            weights = sum((a + 1) * b for a, b in zip(args.sizes, args.sizes[1:]))
            if weights > MAX_WEIGHTS:
                return _error(f"argument --sizes: {shown(weights)} parameters is more than {MAX_WEIGHTS} "
                              "(this prints a table per neuron for one sample)")
            model = MLP(nin, nouts, activation=args.activation, last_activation=args.last_activation,
                        init=args.init, seed=args.seed)
        net = lb.network(model)
        rng = random.Random(args.seed)
        x = args.x if args.x is not None else [round(rng.uniform(-1, 1), 3) for _ in range(net.sizes[0])]
        t = _target(args.loss, args.target, net.sizes[-1])
        comparison = lb.compare(model, x, t, args.loss)
    except (TypeError, ValueError, OSError, ImportError) as e:  # OSError: --load of a directory, a missing
        # file; ImportError: NumPy missing, one line naming the extra
        return _error(f"{e.strerror} ({e.filename!r})" if isinstance(e, OSError) and e.filename else str(e))
    print(f"{model}; loss {args.loss}; x = {list(x)}, t = {t}")
    print(comparison.table())
    if args.steps:
        groups, steps = lb.delta_steps(model, x, t, args.loss)
        print()
        print(lb.format_delta_steps(groups, steps[0].node if steps else None))
    if args.plot:
        try:
            from .diagram import draw_network

            draw_network(model, x, t, args.loss, path=args.plot)
        except (OSError, ImportError, ValueError) as e:
            return _error(str(e), 1)
        print(f"saved the network diagram to {args.plot}")
    return 0
