"""Host side of a keyboard-wedge card reader, through Linux evdev.

The reader is a keyboard: the kiosk must *grab* its input device so that the
digits it types never reach the touch UI (or a text field), and read its key
events itself. The ``evdev`` package is imported only when a wedge reader is
started, so it is not a dependency of anything else; without it,
:meth:`WedgeReader.start` raises :class:`WedgeUnavailable` saying so.

The event source is injected (``open_events``) so tests and the demo can
drive the real loop without a kernel device.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import select
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from drivers.errors import DriverError
from drivers.identity import IdentityHasher
from drivers.magstripe.driver import IdentityCallback, SwipeHandler
from drivers.magstripe.wedge import KeyEvent, WedgeParser
from drivers.readers import HealthCallback, ReaderCore, RejectCallback
from drivers.recorder import FlightRecorder

EV_KEY = 1

EventSource = Callable[[str, threading.Event], Iterable[KeyEvent]]
"""``open_events(path, stop)``: open the device now (raising ``OSError`` if it is
absent) and return its key events, ending soon after ``stop`` is set."""

_POLL_S = 0.2  # how often a quiet device checks for stop


class WedgeUnavailable(DriverError):
    """The keyboard-wedge reader cannot run here (no evdev package or device)."""


def _import_evdev() -> Any:
    try:
        return importlib.import_module("evdev")
    except ImportError as exc:
        raise WedgeUnavailable(
            "the keyboard-wedge card reader needs the 'evdev' Python package "
            "(pip install evdev); serial readers do not"
        ) from exc


def evdev_events(path: str, stop: threading.Event) -> Iterator[KeyEvent]:
    """Open and grab an evdev device (so no other program sees its keys); its key events."""
    evdev = _import_evdev()
    device = evdev.InputDevice(path)  # OSError now if absent, before "connected"
    try:
        device.grab()
    except OSError:
        device.close()
        raise
    return _device_events(device, stop)


def _device_events(device: Any, stop: threading.Event) -> Iterator[KeyEvent]:
    try:
        while not stop.is_set():
            ready, _, _ = select.select([device.fd], [], [], _POLL_S)
            if not ready:
                continue
            try:
                batch = list(device.read())
            except BlockingIOError:
                continue  # woken with nothing to read: not a lost device
            for ev in batch:
                if ev.type == EV_KEY:
                    yield KeyEvent(int(ev.code), int(ev.value))
    finally:
        with contextlib.suppress(OSError):
            device.ungrab()
        device.close()


class WedgeReader(ReaderCore):
    """A keyboard-wedge card reader: same callbacks as the serial reader.

    A thread reads key events; when the device goes away (``OSError``) it
    reports offline and reopens with backoff, like the serial transport.
    """

    def __init__(
        self,
        device_path: str,
        hasher: IdentityHasher,
        on_identity: IdentityCallback,
        on_health: HealthCallback | None = None,
        logger: logging.Logger | None = None,
        *,
        on_reject: RejectCallback | None = None,
        name: str = "card-wedge",
        open_events: EventSource = evdev_events,
        recorder: FlightRecorder | None = None,
        clock: Callable[[], float] = time.monotonic,
        backoff_initial: float = 0.05,
        backoff_max: float = 1.0,
    ) -> None:
        super().__init__(
            name=name,
            on_health=on_health,
            on_reject=on_reject,
            logger=logger,
            recorder=recorder,
            clock=clock,
        )
        self.path = device_path
        self._open_events = open_events
        self._backoff = (backoff_initial, backoff_max)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.parser = WedgeParser()
        self.swipes = SwipeHandler(self, hasher, on_identity)

    def start(self) -> None:
        """Check evdev is usable, then start the reading thread."""
        if self._open_events is evdev_events:
            _import_evdev()
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"wedge-{self.name}", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop reading; the thread ends within the event source's poll time."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=2.0)
        self._thread = None

    def feed(self, events: Iterable[KeyEvent]) -> None:
        """Handle key events (the thread's body; callable directly when embedding)."""
        self.swipes.handle(self.parser.feed(events))

    def _run(self) -> None:
        backoff = self._backoff[0]
        while not self._stop.is_set():
            try:
                events = iter(self._open_events(self.path, self._stop))
                self.parser.reset()
                self.report_health(True, "connected")
                backoff = self._backoff[0]
                for ev in events:
                    self.feed([ev])
                    if self._stop.is_set():
                        return
                reason = "device closed"
            except WedgeUnavailable as exc:
                self.report_health(False, str(exc))
                self.log.error("%s: %s", self.name, exc)
                return
            except OSError as exc:
                reason = f"device lost: {exc.strerror or exc}"
            self.report_health(False, reason)
            self._stop.wait(backoff)
            backoff = min(backoff * 2, self._backoff[1])
