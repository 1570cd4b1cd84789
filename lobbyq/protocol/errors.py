"""The protocol package's one exception family, rooted in lobbyq's base.

Its own module so `topics` and `messages` share it without importing each
other.
"""

from __future__ import annotations

from lobbyq.core.errors import LobbyqError


class ProtocolError(LobbyqError):
    """A payload or topic that is not valid lobbyq protocol; the text says why."""
