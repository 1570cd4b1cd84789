"""The counter's one exception family, so a caller catches the counter's errors by one name."""

from __future__ import annotations

from lobbyq.core.errors import LobbyqError


class CounterError(LobbyqError):
    """Base of every error the counter raises."""
