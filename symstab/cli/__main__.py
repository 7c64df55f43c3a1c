"""``python -m symstab.cli``: the same as the ``symstab`` command."""

import sys

from . import main

sys.exit(main())
