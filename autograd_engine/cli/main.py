"""The ``autograd-engine`` command line.

Each subcommand lives in its own module with a ``register(subparsers)`` function that adds
its parser and sets ``handler``; modules import their optional dependencies only when run.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from .. import __version__

#: modules that add subcommands (``trace``/``demo`` and ``worksheet`` from the teaching tools, ``train`` and
#: ``layers`` from nn)
COMMAND_MODULES = ("autograd_engine.cli.trace", "autograd_engine.cli.worksheet", "nn.cli_train", "nn.cli_layers")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="autograd-engine",
        description="A scalar reverse-mode autodiff engine: trace backprop step by step, train small MLPs.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name != name:  # the module exists but something it imports is missing
                raise
            continue
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    return int(handler(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
