"""Pieces every identification reader shares, host side and simulator side.

Host side, :class:`ReaderCore` is what every reader does with what it read
(health, deliveries, rejects, application callbacks), and :class:`ReaderBase`
puts it on one :class:`~drivers.transport.SerialLink` with the driver's
:class:`~drivers.recorder.FlightRecorder`; the keyboard-wedge reader, which
reads key events instead, uses :class:`ReaderCore` alone. The link is
given no recorder of its own, because it would keep the raw bytes: a reader
records every received chunk *redacted* (length and a note only) and adds
the decoded events as notes carrying only masked forms. A dump on a fault
therefore shows the exchange's shape and timing without any card or ID
number, which is what a technician needs and all a log may hold.

Simulator side, :class:`DeviceSim` is the device end of a pty pair with the
scripted faults every simulator offers: go silent, unplug and come back,
send garbage. Each reader simulator also takes console lines
(:meth:`DeviceSim.command`), so a technician's or the demo's console can
drive it: ``swipe``, ``place``, ``scan APPT-1``, ``unplug``... Card and ID
numbers for simulators come from :func:`synthetic_pan` and
:func:`synthetic_id_number`: obviously fake (test prefix ``999999``, born
in 1900) yet valid as far as their check digits go.

Wiring a kiosk (the composition root does this)::

    hasher = IdentityHasher(load_secret(config.secret_path))
    card = CardReader("/dev/lobbyq-card", hasher, on_identity, on_health, log)
    idr = IdCardReader("/dev/lobbyq-idcard", hasher, on_identity, on_health, log)
    qr = QrScanner("/dev/lobbyq-qr", hasher, on_appointment, on_health, log)
    for reader in (card, idr, qr):
        reader.start()
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, TypedDict, TypeVar

from drivers.recorder import FlightRecorder
from drivers.sim.pty import PtyPort
from drivers.transport import SerialLink

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ReaderHealth:
    """A reader went away or came back. ``reason`` is short and safe to show."""

    device: str
    online: bool
    reason: str


HealthCallback = Callable[[ReaderHealth], None]
RejectCallback = Callable[[str], None]


class ReaderOptions(TypedDict, total=False):
    """Keywords every serial reader takes and hands unchanged to :class:`ReaderBase`.

    ``on_reject`` gets a short, safe reason for a read that gave nothing
    usable; ``name`` and ``baudrate`` default to the reader class's
    ``default_name`` and ``default_baudrate``; ``recorder`` (default: a new
    one named after the reader), ``clock`` (``time.monotonic``),
    ``backoff_max`` (1 s) and ``reconnect_deadline`` (``None``: keep trying)
    are as for :class:`~drivers.transport.SerialLink`.
    """

    on_reject: RejectCallback | None
    name: str
    baudrate: int
    recorder: FlightRecorder | None
    clock: Callable[[], float]
    backoff_max: float
    reconnect_deadline: float | None


class ReaderCore:
    """What every reader does, whatever carries its bytes: health, outcomes, callbacks.

    The serial readers (:class:`ReaderBase`) and the keyboard-wedge reader
    share it, so a loss dumps the flight recorder, a delivery is recorded and
    logged only in masked form, and a failing application callback never
    stops a reader, the same way for all of them. Application callbacks are
    called through :meth:`call`, which logs and swallows their exceptions.
    """

    def __init__(
        self,
        *,
        name: str,
        on_health: HealthCallback | None,
        on_reject: RejectCallback | None,
        logger: logging.Logger | None,
        recorder: FlightRecorder | None,
        clock: Callable[[], float],
    ) -> None:
        self.name = name
        self.log = logger or logging.getLogger(f"lobbyq.drivers.{name}")
        self.recorder = recorder or FlightRecorder(name, clock=clock)
        self._on_health = on_health
        self._on_reject = on_reject
        self._clock = clock
        self.online: bool | None = None  # unknown until the first report
        self.rejects = 0
        self._health_lock = threading.Lock()

    def report_health(self, online: bool, reason: str, *, force: bool = False) -> None:
        """Tell the application once per change (or when ``force``d); dump on a loss."""
        with self._health_lock:  # the link thread and a poll thread both report
            if online == self.online and not force:
                return
            was_online = self.online
            self.online = online
        self.recorder.note(f"health {'online' if online else 'offline'}: {reason}")
        if was_online and not online:  # a loss, not a reader absent from the start
            self.recorder.dump_to(self.log, reason=reason)
        if self._on_health is not None:
            self.call(self._on_health, ReaderHealth(self.name, online, reason))

    def deliver(self, fn: Callable[[T], Any], value: T, *, note: str, message: str) -> None:
        """Record ``note``, log ``message`` and hand ``value`` over; both texts are masked."""
        self.recorder.note(note)
        self.log.info("%s: %s", self.name, message)
        self.call(fn, value)

    def reject(self, reason: str, *, note: str, message: str) -> None:
        """Count a read that gave nothing usable and pass on ``reason``, a safe token."""
        self.rejects += 1
        self.recorder.note(f"{note}: {reason}")
        self.log.warning("%s: %s (%s)", self.name, message, reason)
        if self._on_reject is not None:
            self.call(self._on_reject, reason)

    def call(self, fn: Callable[[Any], Any], arg: Any) -> None:
        try:
            fn(arg)
        except Exception:
            self.log.exception("%s: application callback failed; reader carries on", self.name)


class ReaderBase(ReaderCore):
    """A serial reader's host side: a :class:`ReaderCore` on a redacting link.

    Subclasses set ``default_name`` and ``default_baudrate`` (the device's
    factory setting), implement :meth:`handle_data` (runs on the link's
    reader thread) and may override :meth:`on_link`.
    """

    default_name: ClassVar[str]
    default_baudrate: ClassVar[int]

    def __init__(
        self,
        url: str,
        *,
        on_health: HealthCallback | None,
        logger: logging.Logger | None,
        on_reject: RejectCallback | None = None,
        name: str | None = None,
        baudrate: int | None = None,
        recorder: FlightRecorder | None = None,
        clock: Callable[[], float] = time.monotonic,
        backoff_max: float = 1.0,
        reconnect_deadline: float | None = None,
    ) -> None:
        name = name or self.default_name
        super().__init__(
            name=name,
            on_health=on_health,
            on_reject=on_reject,
            logger=logger,
            recorder=recorder,
            clock=clock,
        )
        self.link = SerialLink(
            url,
            name=name,
            on_data=self._on_data,
            on_state=self._on_state,
            baudrate=baudrate or self.default_baudrate,
            recorder=None,  # raw bytes may hold a card number: we record redacted
            logger=self.log,
            backoff_max=backoff_max,
            reconnect_deadline=reconnect_deadline,
            clock=clock,
        )

    # -- lifecycle ------------------------------------------------------

    def start(self) -> None:
        self.link.start()

    def close(self) -> None:
        self.link.close()

    def wait_connected(self, timeout: float) -> bool:
        return self.link.wait_connected(timeout)

    def __enter__(self) -> ReaderBase:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- subclass hooks -------------------------------------------------

    def handle_data(self, data: bytes) -> None:
        raise NotImplementedError

    def on_link(self, up: bool, reason: str) -> None:
        """Default: the link state is the device's health."""
        self.report_health(up, "connected" if up else reason, force=self.link.gave_up)

    @property
    def gave_up(self) -> bool:
        """The port stayed absent past ``reconnect_deadline``: restart to try again."""
        return self.link.gave_up

    def _on_data(self, data: bytes) -> None:
        self.recorder.record("rx", data, note="reader data", redact=True)
        self.handle_data(data)

    def _on_state(self, up: bool, reason: str) -> None:
        self.on_link(up, reason)


class DeviceSim:
    """The device end of a simulated reader on a pty, with scripted faults.

    ``send`` is what the device puts on the wire; while :meth:`silence` is
    on, nothing goes out (a hung or unpowered device with its cable still
    in). ``unplug``/``replug`` pull and restore the cable.
    """

    def __init__(self, link_path: str | os.PathLike[str], *, seed: int | None = None) -> None:
        self.port = PtyPort(link_path)
        self.silent = False
        self._rng = random.Random(seed)
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        """What the host opens: the stable pty name."""
        return self.port.url

    def send(self, data: bytes) -> None:
        if self.silent:
            return
        with self._lock:
            self.port.write(data)

    def silence(self) -> None:
        """Stop sending anything, as a hung device would."""
        self.silent = True

    def resume(self) -> None:
        """Undo :meth:`silence`."""
        self.silent = False

    def unplug(self) -> None:
        with self._lock:
            self.port.unplug()

    def replug(self) -> None:
        with self._lock:
            self.port.replug()

    def send_garbage(self, n: int = 64, *, end_line: bool = True) -> bytes:
        """A burst of random bytes, as after a power glitch; returns them.

        With ``end_line`` the burst ends in CR, as noise usually does sooner
        or later, so the next real frame of a line protocol is clean.
        """
        junk = self._rng.randbytes(n) + (b"\r" if end_line else b"")
        with self._lock:
            self.port.write(junk)
        return junk

    def close(self) -> None:
        with self._lock:
            self.port.close()

    def command(self, words: list[str]) -> str:
        """Apply one console command; returns a line to show. Unknown: ``ValueError``.

        Common verbs: ``unplug``, ``replug``, ``silence``, ``wake``,
        ``garbage [N]``; subclasses add their own in :meth:`device_command`.
        """
        if not words:
            raise ValueError("empty command")
        verb, args = words[0].lower(), words[1:]
        if verb == "unplug":
            self.unplug()
        elif verb == "replug":
            self.replug()
        elif verb == "silence":
            self.silence()
        elif verb == "wake":
            self.resume()
        elif verb == "garbage":
            self.send_garbage(int(args[0]) if args else 64)
        else:
            return self.device_command(verb, args)
        return f"{verb}: done"

    def device_command(self, verb: str, args: list[str]) -> str:
        raise ValueError(f"unknown command {verb!r}")

    def __enter__(self: T) -> T:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def synthetic_pan(rng: random.Random, length: int = 16) -> str:
    """A Luhn-valid card number under the 999999 test prefix, never a real issuer."""
    from drivers.identity import luhn_ok

    body = "999999" + "".join(rng.choice("0123456789") for _ in range(length - 7))
    return next(body + d for d in "0123456789" if luhn_ok(body + d))


def synthetic_id_number(rng: random.Random) -> str:
    """An 18-character ID number with region 999999 and a birth date in 1900."""
    from drivers.identity import id_check_char

    body = f"9999991900{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}"
    return body + id_check_char(body)
