"""The console's one exception family, so a caller catches the console's errors by one name."""

from __future__ import annotations

from lobbyq.core.errors import LobbyqError


class ConsoleError(LobbyqError):
    """Base of every error the console raises: a form, an account, a view it cannot read."""
