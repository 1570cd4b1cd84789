"""The lobby kiosk's customer side: flow, layout, painting, content.

:class:`KioskError` is the one exception family of the kiosk app (unreadable
catalogs, a directory of another format, no usable font), rooted in lobbyq's
`LobbyqError`; a wrong ``[kiosk]`` table or slide file is the shared
`lobbyq.core.errors.ConfigError`, like every other config file. The queue
engine (``lobbyq.engine``) has its own.
"""

from lobbyq.core.errors import LobbyqError


class KioskError(LobbyqError):
    """The kiosk cannot do what it was configured to; the text says what to fix."""
