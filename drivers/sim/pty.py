"""The device end of a simulated serial cable, built on a pseudo-terminal pair.

A simulator holds the pty master; the application opens the slave exactly as
it would open a USB-serial adapter, through ``serial.serial_for_url``. The
slave is reached through a stable symlink (like a udev name such as
``/dev/lobbyq-keypad``) so that an unplug followed by a replug, which makes a
new pty with a new ``/dev/pts/N``, looks to the application like the same
port coming back: exactly the path a real reconnect takes.
"""

from __future__ import annotations

import contextlib
import os
import select
import termios
import tty
from pathlib import Path

from drivers.errors import DriverError


class PtyPortError(DriverError):
    """The simulated cable is unplugged or was closed."""


class PtyPort:
    """Device side of one simulated serial link.

    ``link`` is where the stable name goes; the application's URL is
    ``str(port.link)``. ``unplug()`` closes the master so the application's
    next read fails the way a pulled USB cable does; ``replug()`` makes a fresh
    pty behind the same name.
    """

    def __init__(self, link: str | os.PathLike[str]) -> None:
        self.link = Path(link)
        self._master: int | None = None
        self._slave: int | None = None
        self.replug()

    @property
    def url(self) -> str:
        """The pyserial URL the application opens."""
        return str(self.link)

    @property
    def plugged(self) -> bool:
        return self._master is not None

    def replug(self) -> None:
        """Create a new pty and point the stable name at it."""
        if self._master is not None:
            return
        master, slave = os.openpty()
        tty.setraw(master)
        tty.setraw(slave)
        attrs = termios.tcgetattr(slave)
        attrs[3] &= ~termios.ECHO
        termios.tcsetattr(slave, termios.TCSANOW, attrs)
        os.set_blocking(master, False)
        self._master = master
        # Keep our own slave fd open so the master never sees EIO (hang-up)
        # while the application is between a close and a reopen.
        self._slave = slave
        tmp = self.link.with_name(self.link.name + ".new")
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        tmp.symlink_to(os.ttyname(slave))
        tmp.replace(self.link)

    def unplug(self) -> None:
        """Pull the cable: the application's reads and writes start failing.

        The stable name goes too, as udev removes ``/dev/lobbyq-*`` when a USB
        adapter is pulled; a stale link could otherwise point at a ``/dev/pts``
        number the kernel hands to another pty, and a reconnecting driver
        would open a stranger's port.
        """
        with contextlib.suppress(FileNotFoundError):
            self.link.unlink()
        for fd in (self._master, self._slave):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._master = None
        self._slave = None

    def close(self) -> None:
        """Unplug and remove the stable name."""
        self.unplug()
        with contextlib.suppress(FileNotFoundError):
            self.link.unlink()

    def fileno(self) -> int:
        if self._master is None:
            raise PtyPortError("simulated port is unplugged")
        return self._master

    def write(self, data: bytes) -> None:
        """Send bytes to the application (device -> host)."""
        fd = self.fileno()
        view = memoryview(data)
        while view:
            try:
                n = os.write(fd, view)
            except BlockingIOError:
                select.select([], [fd], [], 0.1)
                continue
            view = view[n:]

    def read(self, timeout: float | None = None) -> bytes:
        """Bytes the application sent (host -> device); b"" on timeout."""
        fd = self.fileno()
        ready, _, _ = select.select([fd], [], [], timeout)
        if not ready:
            return b""
        try:
            return os.read(fd, 4096)
        except BlockingIOError:
            return b""
        except OSError as exc:  # EIO: nothing more to read on this pty
            raise PtyPortError(str(exc)) from exc
