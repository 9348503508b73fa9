"""`python -m workshop_lib.classroom ...`: what `python kit.py class ...` runs."""

import sys

from .cli import main

sys.exit(main(sys.argv[1:]))
