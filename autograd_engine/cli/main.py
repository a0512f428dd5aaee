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


class Parser(argparse.ArgumentParser):
    """argparse with the project's CLI rule: a bad argument is ONE line on stderr and exit
    status 2 (argparse's own prints the usage first, 2–13 lines), and an argument that starts
    with ``-`` but is no option of the command (``trace "-a*b" a=1 b=2``: an expression) is a
    positional argument, not an unknown option."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {' '.join(message.split())} (see {self.prog} --help)\n")

    def _parse_optional(self, arg_string):
        parsed = super()._parse_optional(arg_string)
        first = parsed[0] if isinstance(parsed, list) and parsed else parsed  # a list from 3.12 on
        if first is not None and first[0] is None and arg_string[1:2] != "-":
            return None  # "-a*b", "-x": no option of this command; an expression (or an error)
        return parsed


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
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
