"""One exception family for the whole ``drivers`` package.

Callers catch ``DriverError`` to handle any device trouble; the subclasses
say what kind, so an app can tell "the cable is out" (wait, show a notice)
from "the device said something we do not understand" (log and carry on).
The transport turns ``OSError`` and ``serial.SerialException`` into
``LinkDown`` at its boundary, so nothing above it ever sees pyserial's types.
"""

from __future__ import annotations

from lobbyq.core.errors import LobbyqError


class DriverError(LobbyqError):
    """Base of every error raised by ``drivers``."""


class FrameError(DriverError):
    """A frame that cannot be decoded: bad framing, CRC, length or field.

    ``reason`` is a short stable token (``"crc"``, ``"length"``...) so a
    counter of bad frames can be kept per reason; ``frame`` holds the raw
    bytes for the flight recorder when they are safe to keep.
    """

    def __init__(self, reason: str, detail: str = "", frame: bytes = b"") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
        self.frame = frame


class LinkDown(DriverError):
    """The port is absent, unplugged, or closed: nothing can be sent now."""


class DeviceTimeout(DriverError):
    """A device did not answer within its deadline (after any retries)."""


class DeviceRefused(DriverError):
    """A device answered with a NAK or an error code instead of doing the job.

    ``code`` is the device's error code from the protocol's table.
    """

    def __init__(self, code: int, detail: str = "") -> None:
        super().__init__(f"device refused (code 0x{code:02X}){': ' + detail if detail else ''}")
        self.code = code
        self.detail = detail


class ImageError(DriverError):
    """A firmware image that must not be flashed: bad magic, length or CRC."""
