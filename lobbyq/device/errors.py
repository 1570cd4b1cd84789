"""One exception family for the technician tools, rooted in lobbyq's own base.

The CLI catches :class:`DeviceToolError` and `lobbyq.core.errors.ConfigError`
(the one error of every config file, device and branch files included) and
prints the message, which is written for the technician at the branch: what
is wrong and what to do.
"""

from __future__ import annotations

from lobbyq.core.errors import LobbyqError


class DeviceToolError(LobbyqError):
    """Base of every error raised by ``lobbyq.device``."""


class ProvisionError(DeviceToolError):
    """Provisioning cannot write a consistent set of files."""


class BusToolError(DeviceToolError):
    """A scan, address change, flash or self-test step failed on the bus."""
