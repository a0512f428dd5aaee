"""The ``autograd-engine`` command line: ``main`` builds the parser from the subcommand modules
(``trace``/``demo`` here, ``train`` from ``nn``)."""

from .main import build_parser, main

__all__ = ["build_parser", "main"]
