"""Tell systemd an app is ready and still alive (``Type=notify``, ``WatchdogSec=``).

The units in ``deploy/systemd`` start each app as ``Type=notify`` with a
watchdog: systemd counts the app as started only after ``READY=1`` and kills
and restarts it when ``WATCHDOG=1`` stops arriving, which catches a main loop
that hangs (a stuck serial read, a deadlock) and not just a crash. This is
the whole protocol, in pure Python over the ``NOTIFY_SOCKET`` datagram
socket, so the apps need no libsystemd binding.

Use from a main loop::

    notifier = Notifier.from_environ()
    ...set up...
    notifier.ready("serving counter 3")
    while running:
        step()
        notifier.watchdog()   # cheap: sends at most every WatchdogSec/2

Outside systemd (``NOTIFY_SOCKET`` unset: a terminal, the demo, tests) every
call is a no-op returning False. A send failure is logged once, never raised:
a missing notification is systemd's problem to act on, not a reason to stop
serving customers.

| message | meaning |
|---|---|
| ``READY=1`` | start-up finished; dependants may start |
| ``STATUS=<text>`` | one line shown by ``systemctl status`` |
| ``WATCHDOG=1`` | still alive; resets the ``WatchdogSec`` timer |
| ``RELOADING=1`` / ``STOPPING=1`` | reloading config / shutting down cleanly |
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable, Mapping
from typing import Protocol

Clock = Callable[[], float]

#: While an app waits for its broker, it says why again this often (log and STATUS=).
WAIT_REPEAT_S = 30.0
#: With no error to report yet (a connect still under way), how long before saying so.
WAIT_GRACE_S = 5.0


class BrokerLink(Protocol):
    """What ``supervise`` needs of a bus to wait for it (``drivers.mqtt.client.MqttBus``)."""

    @property
    def connected(self) -> bool: ...

    @property
    def last_error(self) -> str | None: ...


class LinkWatch:
    """Says, at once and every ``repeat_s``, why an app is not on its broker yet.

    Pure bookkeeping over an injected clock: ``check`` returns the line to
    log and show in ``systemctl status`` when one is due, else None.
    ``where`` names the broker (its redacted URL) so the line can be acted
    on without reading the device file. A wait with no error yet (the first
    connect under way) is reported after ``grace_s``, so a normal start logs
    nothing.
    """

    def __init__(
        self,
        where: str,
        *,
        repeat_s: float = WAIT_REPEAT_S,
        grace_s: float = WAIT_GRACE_S,
        clock: Clock,
    ) -> None:
        self.where = where
        self.repeat_s = repeat_s
        self.grace_s = grace_s
        self._clock = clock
        self._since: float | None = None
        self._said_at: float | None = None
        self._said: str | None = None

    def waiting_line(self, reason: str | None) -> str:
        why = reason or "no answer yet"
        return f"waiting for the broker at {self.where}: {why}"

    def check(self, connected: bool, reason: str | None) -> str | None:
        now = self._clock()
        if connected:
            self._since = self._said_at = self._said = None
            return None
        if self._since is None:
            self._since = now
        if reason is None and now - self._since < self.grace_s:
            return None
        line = self.waiting_line(reason)
        due = self._said_at is None or now - self._said_at >= self.repeat_s
        if due or (reason is not None and line != self._said):
            self._said_at, self._said = now, line
            return line
        return None


class Notifier:
    """A connection to systemd's notify socket, or a no-op when there is none."""

    def __init__(
        self,
        address: str | None,
        *,
        watchdog_interval: float | None = None,
        clock: Clock = time.monotonic,
        logger: logging.Logger | None = None,
    ) -> None:
        self._address = address
        self.watchdog_interval = watchdog_interval
        self._clock = clock
        self._log = logger or logging.getLogger("lobbyq.sdnotify")
        self._sock: socket.socket | None = None
        self._last_ping: float | None = None
        self._warned = False

    @classmethod
    def from_environ(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        pid: int | None = None,
        clock: Clock = time.monotonic,
        logger: logging.Logger | None = None,
    ) -> Notifier:
        """Read ``NOTIFY_SOCKET``, ``WATCHDOG_USEC`` and ``WATCHDOG_PID`` as systemd sets them."""
        env = os.environ if environ is None else environ
        address = env.get("NOTIFY_SOCKET") or None
        interval = None
        usec = env.get("WATCHDOG_USEC", "")
        wpid = env.get("WATCHDOG_PID", "")
        mine = str(os.getpid() if pid is None else pid)
        if usec.isdigit() and int(usec) > 0 and (not wpid or wpid == mine):
            interval = int(usec) / 1_000_000
        return cls(address, watchdog_interval=interval, clock=clock, logger=logger)

    @property
    def enabled(self) -> bool:
        return self._address is not None

    def notify(self, *fields: str) -> bool:
        """Send ``KEY=value`` lines in one datagram; True if it was sent."""
        if self._address is None:
            return False
        message = "\n".join(fields).encode("utf-8")
        try:
            if self._sock is None:
                addr = self._address
                if addr.startswith("@"):  # abstract namespace socket
                    addr = "\0" + addr[1:]
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
                try:
                    sock.connect(addr)
                except OSError:
                    sock.close()
                    raise
                self._sock = sock
            self._sock.sendall(message)
            return True
        except OSError as exc:
            if not self._warned:
                self._log.warning("cannot notify systemd at %s: %s", self._address, exc)
                self._warned = True
            self.close()
            return False

    def ready(self, status: str = "") -> bool:
        fields = ["READY=1"]
        if status:
            fields.append(f"STATUS={_one_line(status)}")
        return self.notify(*fields)

    def status(self, text: str) -> bool:
        return self.notify(f"STATUS={_one_line(text)}")

    def reloading(self) -> bool:
        return self.notify("RELOADING=1")

    def stopping(self) -> bool:
        return self.notify("STOPPING=1")

    def watchdog(self, *, force: bool = False) -> bool:
        """Ping the watchdog; rate-limited to half the interval so loops can call it freely."""
        if self.watchdog_interval is None or self._address is None:
            return False
        now = self._clock()
        if (
            not force
            and self._last_ping is not None
            and now - self._last_ping < self.watchdog_interval / 2
        ):
            return False
        sent = self.notify("WATCHDOG=1")
        if sent:
            self._last_ping = now
        return sent

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None


def _one_line(text: str) -> str:
    return " ".join(text.split())


class ReadyGate:
    """READY once the broker link is up; until then ``STATUS=`` and the log say why.

    One ``turn()`` per pass of a service's main loop. Shared by ``supervise``
    and by the apps that run their own loop (the kiosk's screen loop), so
    every service tells systemd the same thing at the same moment. Without a
    ``link`` the service counts as connected at once.
    """

    def __init__(
        self,
        notifier: Notifier,
        status: str,
        *,
        link: BrokerLink | None = None,
        where: str = "",
        clock: Clock = time.monotonic,
        logger: logging.Logger | None = None,
    ) -> None:
        self.notifier = notifier
        self.status = status
        self.link = link
        self._log = logger or logging.getLogger("lobbyq.sdnotify")
        self._watch = LinkWatch(where or "its URL", clock=clock)
        self.ready = False
        self._waiting = False

    def turn(self) -> None:
        """Send READY, STATUS= and the log line that are due now."""
        n, link = self.notifier, self.link
        up = link is None or link.connected
        if up and not self.ready:
            n.ready(self.status)
            self.ready = True
            if self._waiting:
                self._log.info("connected to the broker at %s: %s", self._watch.where, self.status)
        elif up and self._waiting:
            n.status(self.status)
            self._log.info("back on the broker at %s", self._watch.where)
        self._waiting = not up
        line = self._watch.check(up, None if link is None else link.last_error)
        if line is not None:
            self._log.error("%s", line)
            n.status(line)


def supervise(
    alive: Callable[[], bool],
    status: str,
    *,
    notifier: Notifier | None = None,
    pump: Callable[[], bool] | None = None,
    period_s: float = 1.0,
    logger: logging.Logger | None = None,
    link: BrokerLink | None = None,
    where: str = "",
    clock: Clock = time.monotonic,
) -> int:
    """A service's main loop: READY once connected, then a watchdog ping while ``alive()``.

    With ``link`` (the app's MQTT bus), READY waits until the link is up, so
    systemd and ``install.sh``'s health check do not count an app that
    cannot reach its broker as started; meanwhile ``STATUS=`` and the log
    say what it waits for and why (the TLS or socket error), at once and
    every ``WAIT_REPEAT_S``, and again whenever the link is lost later.
    Returns 1 when ``alive()`` turns false (systemd's ``Restart=on-failure``
    then restarts the app), 0 on SIGTERM or Ctrl-C. ``pump`` runs each turn
    (a window's event pump); when it returns False the loop ends cleanly.
    The ping comes from this loop, never from a timer thread, so a hung app
    stops pinging and is restarted.
    """
    import signal
    import sys

    log = logger or logging.getLogger("lobbyq.sdnotify")
    n = notifier or Notifier.from_environ()
    gate = ReadyGate(n, status, link=link, where=where, clock=clock, logger=log)
    if threading_is_main():
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        while True:
            if pump is not None and not pump():
                return 0
            if not alive():
                log.error("a worker stopped: exiting so systemd restarts the service")
                return 1
            gate.turn()
            n.watchdog()
            time.sleep(period_s if pump is None else min(period_s, 0.05))
    except (KeyboardInterrupt, SystemExit):
        n.stopping()
        return 0


def threading_is_main() -> bool:
    """Signal handlers can only be set from the main thread."""
    import threading

    return threading.current_thread() is threading.main_thread()
