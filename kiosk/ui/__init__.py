"""The lobby kiosk's customer side: flow, layout, painting, content.

:class:`KioskError` is the one exception family of the kiosk app: bad
``[kiosk]`` configuration, unreadable catalogs, a directory of another
format, no usable font. The queue engine (``lobbyq.engine``) has its own.
"""


class KioskError(Exception):
    """The kiosk cannot do what it was configured to; the text says what to fix."""
