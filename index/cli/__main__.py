"""``python -m index.cli``: the core's commands alone (the ``kiji`` script adds the bot's)."""

import sys

from index.cli.main import main

sys.exit(main())
