"""``python -m convzoo.cli``."""

import sys

from . import main

sys.exit(main())
