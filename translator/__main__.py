"""`python -m translator` runs the same CLI as the `translator` script."""

import sys

from translator.cli import main

sys.exit(main())
