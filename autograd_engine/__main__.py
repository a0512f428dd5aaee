"""``python -m autograd_engine ...`` runs the ``autograd-engine`` command line."""

import sys

from .cli.main import main

sys.exit(main())
