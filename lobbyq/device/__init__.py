"""Technician tools for a branch: provision, scan, address, flash, self-test, watch.

``cli`` is the ``lobbyq device`` subcommand; the rest are small modules, one
per flow, that the CLI wires to real ports and the broker. ``config`` is also
what every app uses to read its ``/etc/lobbyq/<device>.toml``.
"""
