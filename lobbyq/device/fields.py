"""The device file's own typed read: serial ports as pyserial opens them.

The general machinery (`Fields`, `read_toml`) is `lobbyq.core.fields`, shared
by every file lobbyq reads; only what knows about serial ports is here.
"""

from __future__ import annotations

from lobbyq.core.fields import Fields

SERIAL_SCHEMES = ("loop", "spy", "rfc2217", "socket", "alt", "hwgrep", "cp2110")


class DeviceFields(Fields):
    """`Fields` plus serial port URLs, for the ``[serial]`` table."""

    def serial_url(
        self, key: str, *, required: bool = False, extra_schemes: tuple[str, ...] = ()
    ) -> str | None:
        """A port as pyserial opens it: a device path or a URL (``spy://``, ``rfc2217://``)."""
        value = self.string(key, required=required, example="/dev/lobbyq-bus")
        if value is None:
            return None
        scheme, sep, _rest = value.partition("://")
        if sep:
            if scheme not in SERIAL_SCHEMES + extra_schemes:
                self.add(
                    key,
                    f"URL scheme {scheme!r} is not a serial port",
                    f"use a device path such as /dev/lobbyq-bus or one of "
                    f"{', '.join(s + '://' for s in SERIAL_SCHEMES + extra_schemes)}",
                )
                return None
            return value
        if not value.startswith("/"):
            self.add(
                key,
                f"{value!r} is not an absolute device path",
                "use the stable udev name, e.g. /dev/lobbyq-bus (see deploy/udev)",
            )
            return None
        return value
