"""The one serial transport every lobbyq driver uses.

A ``SerialLink`` opens a port from a pyserial URL (``serial.serial_for_url``),
so the same driver code runs on a USB adapter (``/dev/lobbyq-bus``), a
simulator's pty symlink, ``loop://`` in a unit test, ``spy:///dev/ttyUSB0``
when a technician wants a hex dump of the traffic, or ``rfc2217://host:port``
for a device behind a serial server.

It owns a reader thread (after Klipper's ``serialhdl._bg_thread``): each chunk
read goes to ``on_data``; an exception from that callback is logged and the
thread carries on, so a bad frame never kills the link. When the port fails
(cable pulled, adapter gone) it reports ``on_state(False, reason)``, closes,
and reopens with exponential backoff, forever or until ``reconnect_deadline``
seconds of continuous absence, then reports ``on_state(True, "connected")``.
The delay doubles from ``backoff_initial`` up to ``backoff_max`` while opens
fail or a port fails as soon as it opens, and starts again from
``backoff_initial`` once a connection has stayed up for a second.

Latency: the reader blocks in ``read(1)`` (a ``select`` on the fd inside
pyserial for a real port or pty) and then drains ``in_waiting``, so a byte
reaches ``on_data`` as soon as the kernel has it; there is no sleep-and-poll.
The read timeout only bounds how long ``close()`` waits for the thread.

Ports are opened exclusively (an ``flock``, pyserial ``exclusive=True``): a
second opener gets ``open failed: /dev/x is in use by PID N (unit)...``
(``drivers.portlock``) in ``last_reason`` instead of sharing the line.

This module is the I/O boundary: ``OSError`` and ``SerialException`` become
``LinkDown`` here and nowhere else.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import serial

from drivers import portlock
from drivers.errors import LinkDown
from drivers.recorder import FlightRecorder

_READ_TIMEOUT_S = 0.1  # bounds shutdown time only; reads return on the first byte
_STABLE_S = 1.0  # a port that stayed up this long earns a fresh backoff


class SerialLink:
    """A self-healing serial port with a reader thread.

    ``on_data`` runs on the reader thread: keep it short (decode and hand
    off). ``on_state`` also runs on the reader thread, once per change.
    ``open_kwargs`` pass through to ``serial_for_url`` (parity, rtscts...).
    ``redact=True`` records only the length of each chunk: for readers,
    whose bytes may hold a card or ID number. ``clock`` and ``wait`` are how
    the link tells time and sits out a backoff (by default until the delay
    has passed or ``close()`` is called); a test passes a fake pair to step
    through the backoff without waiting.
    """

    def __init__(
        self,
        url: str,
        *,
        name: str,
        on_data: Callable[[bytes], None],
        on_state: Callable[[bool, str], None] | None = None,
        baudrate: int = 9600,
        recorder: FlightRecorder | None = None,
        logger: logging.Logger | None = None,
        backoff_initial: float = 0.05,
        backoff_max: float = 1.0,
        reconnect_deadline: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        wait: Callable[[float], object] | None = None,
        open_kwargs: dict[str, Any] | None = None,
        redact: bool = False,
    ) -> None:
        self.url = url
        self.name = name
        self._on_data = on_data
        self._on_state = on_state
        self.baudrate = baudrate
        self.recorder = recorder
        self.log = logger or logging.getLogger(f"lobbyq.drivers.{name}")
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.reconnect_deadline = reconnect_deadline
        self._clock = clock
        self._open_kwargs = dict(open_kwargs or {})
        self.redact = redact
        self._port: serial.Serial | None = None
        self._port_lock = threading.Lock()  # guards _port swaps against writers
        self._write_lock = threading.Lock()  # one frame at a time on the wire
        self._stop = threading.Event()
        self._wait = wait or self._stop.wait
        self._connected_evt = threading.Event()
        self._thread: threading.Thread | None = None
        self._state: bool | None = None
        self.gave_up = False
        self.in_use = False  # the last open found the port locked by another program
        self.last_reason = ""  # why the link is as it is (the last state change's words)
        self.reconnects = 0
        self.callback_errors = 0

    # -- public API -----------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._port is not None

    def start(self) -> None:
        """Start the reader thread; it opens the port (and keeps it open)."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"serial-{self.name}", daemon=True)
        self._thread.start()

    def wait_connected(self, timeout: float) -> bool:
        """Block until the port is open; for start-up and tests."""
        return self._connected_evt.wait(timeout)

    def write(self, data: bytes) -> None:
        """Send bytes now; ``LinkDown`` while the port is absent or failing."""
        with self._write_lock:
            port = self._port
            if port is None:
                raise LinkDown(f"{self.name}: link down")
            try:
                port.write(data)
            except (OSError, serial.SerialException, TypeError, AttributeError) as exc:
                # TypeError/AttributeError: pyserial writing to a port the
                # reader thread closed a moment ago (its fd is None)
                raise LinkDown(f"{self.name}: write failed: {exc}") from exc
        if self.recorder is not None:
            self.recorder.record("tx", data, redact=self.redact)

    def close(self) -> None:
        """Stop the thread and close the port. Safe to call twice."""
        self._stop.set()
        port = self._port
        if port is not None:
            cancel = getattr(port, "cancel_read", None)  # posix only: wakes a read now
            if cancel is not None:
                with contextlib.suppress(Exception):
                    cancel()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=2.0)
        self._thread = None
        self._drop_port()

    def __enter__(self) -> SerialLink:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reader thread ----------------------------------------------------

    def _open(self) -> serial.Serial:
        # every URL handler implements the Serial API (in_waiting, read...)
        kwargs = {"exclusive": True, **self._open_kwargs}
        try:
            return serial.serial_for_url(
                self.url, baudrate=self.baudrate, timeout=_READ_TIMEOUT_S, **kwargs
            )
        except serial.SerialException as exc:
            if exc.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
                self.in_use = True
                raise serial.SerialException(portlock.in_use_message(self.url)) from exc
            raise

    def _run(self) -> None:
        backoff = self.backoff_initial
        down_since: float | None = None
        up_since = self._clock()
        while not self._stop.is_set():
            if self._port is None:
                try:
                    port = self._open()
                except (OSError, serial.SerialException, ValueError) as exc:
                    now = self._clock()
                    if down_since is None:
                        down_since = now
                    self._set_state(False, f"open failed: {exc}")
                    if (
                        self.reconnect_deadline is not None
                        and now - down_since >= self.reconnect_deadline
                    ):
                        self.gave_up = True
                        self._set_state(False, "gave up reconnecting", force=True)
                        self.log.error(
                            "%s: port %s absent for %.1fs, giving up",
                            self.name,
                            self.url,
                            now - down_since,
                        )
                        return
                    self._wait(backoff)
                    backoff = min(backoff * 2, self.backoff_max)
                    continue
                with self._port_lock:
                    self._port = port
                if self._state is False:
                    self.reconnects += 1
                up_since = self._clock()
                down_since = None
                self._connected_evt.set()
                self._set_state(True, "connected")
                continue
            try:
                data = self._read_chunk(self._port)
            except (OSError, serial.SerialException, TypeError, AttributeError) as exc:
                # TypeError/AttributeError: pyserial's posix read after a
                # concurrent close can fail inside with fd=None.
                if self._stop.is_set():
                    break
                self._drop_port()
                down_since = self._clock()
                self._set_state(False, f"read failed: {exc}")
                if down_since - up_since < _STABLE_S:
                    # opens then fails at once (a flaky adapter): back off
                    # instead of spinning through open/fail cycles
                    self._wait(backoff)
                    backoff = min(backoff * 2, self.backoff_max)
                else:
                    backoff = self.backoff_initial
                continue
            if data:
                self._deliver(data)
        self._drop_port()

    @staticmethod
    def _read_chunk(port: serial.Serial) -> bytes:
        first: bytes = port.read(1)
        if not first:
            return b""
        waiting = port.in_waiting
        return first + port.read(waiting) if waiting else first

    def _deliver(self, data: bytes) -> None:
        if self.recorder is not None:
            self.recorder.record("rx", data, redact=self.redact)
        try:
            self._on_data(data)
        except Exception:
            self.callback_errors += 1
            self.log.exception("%s: on_data handler failed; link carries on", self.name)

    def _drop_port(self) -> None:
        with self._port_lock:
            port, self._port = self._port, None
        self._connected_evt.clear()
        if port is not None:
            with contextlib.suppress(Exception):
                port.close()

    def _set_state(self, up: bool, reason: str, *, force: bool = False) -> None:
        self.last_reason = reason
        if up:
            self.in_use = False
        if self._state is up and not force:
            return
        self._state = up
        if self.recorder is not None:
            self.recorder.note(f"link {'up' if up else 'down'}: {reason}")
        if up:
            self.log.info("%s: %s on %s", self.name, reason, self.url)
        else:
            self.log.warning("%s: link down: %s", self.name, reason)
        if self._on_state is not None:
            try:
                self._on_state(up, reason)
            except Exception:
                self.log.exception("%s: on_state handler failed", self.name)
