"""Allow `python -m lobbyq`."""

import sys

from lobbyq.cli import main

sys.exit(main())
