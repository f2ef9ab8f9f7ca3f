"""``python -m symhess.cli``: the same as the ``symhess`` command."""

import sys

from .entry import main

sys.exit(main())
