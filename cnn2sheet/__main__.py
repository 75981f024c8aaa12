"""``python -m cnn2sheet``."""

import sys

from cnn2sheet.cli import main

sys.exit(main())
