"""``python -m bot``: the command line (same as the ``incident-bot`` script)."""

import sys

from bot.cli import main

sys.exit(main())
