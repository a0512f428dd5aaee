"""``python -m autograd_engine.cli`` runs the command line."""

import sys

from .main import main

sys.exit(main())
