"""Host side of the counter bus: one ``BusMaster`` per RS-485 port.

It owns one ``SerialLink``, keeps every watched device alive (PING every
``keepalive_s``), turns device events into ``KeyPressed``/``RatingGiven``/
``DeviceOnline``/``DeviceOffline`` for the app, and runs one request at a
time (``request``, ``command``) plus the addressing operations (``ping``,
``scan``, ``set_address``). What each kind of device is told lives with the
device: ``drivers/keypad/driver.py``, ``drivers/ratingpad/driver.py``,
``drivers/led/driver.py``; the firmware update is ``drivers/bus/flash.py``.

Event modes (see PROTOCOL.md, "Latency"):

- ``report_events=True`` (default): each device is told (CONFIG) to send its
  events unsolicited; the host ACKs each one. A key press reaches the app in
  the time of one frame on the wire (a few hundred microseconds over a pty,
  about 9 ms at 9600 baud), with no polling traffic at all. On a real RS-485
  bus a device may start talking while the host sends; the CRC catches the
  collision and the device repeats the event every ``event_retry`` until ACKed.
- ``report_events=False``: strict master/slave, the host POLLs each device
  every ``poll_interval_s``. No collisions ever, but a press waits on average
  half a poll cycle plus the queueing behind the other devices' polls.

Threads: the link's reader thread decodes frames and completes requests;
a keeper thread pings/polls; a dispatcher thread calls the app's callbacks,
so a callback may itself send commands without deadlocking the reader.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

from drivers.bus.codes import (
    BROADCAST_ADDR,
    MAX_DEVICE_ADDR,
    MIN_DEVICE_ADDR,
    ConfigFlag,
    ErrorCode,
    Status,
)
from drivers.bus.events import (
    BusEvent,
    DeviceInfo,
    DeviceOffline,
    DeviceOnline,
    KeyPressed,
    RatingGiven,
)
from drivers.bus.frame import FrameDecoder, describe_bytes, encode
from drivers.bus.messages import (
    Ack,
    Config,
    Event,
    EvtAck,
    Ident,
    KeyEvent,
    Message,
    Nak,
    Ping,
    Poll,
    PowerUpEvent,
    RatingEvent,
    SetAddress,
    decode_message,
)
from drivers.errors import DeviceRefused, DeviceTimeout, DriverError, FrameError, LinkDown
from drivers.recorder import FlightRecorder
from drivers.transport import SerialLink

Listener = Callable[[BusEvent], None]
Progress = Callable[[int, int], None]


class Commander(Protocol):
    """What a device driver needs of a bus: one acknowledged command at a time."""

    def command(self, addr: int, msg: Message) -> Ack: ...


@dataclass
class _Pending:
    addr: int
    seq: int
    cmd: int
    done: threading.Event = field(default_factory=threading.Event)
    reply: Message | None = None
    error: DriverError | None = None


@dataclass
class _Dev:
    addr: int
    online: bool = False
    misses: int = 0
    info: DeviceInfo | None = None
    last_event_seq: int | None = None
    ack_seq: int = 0  # poll mode: acknowledged in the next POLL
    check_now: bool = True
    next_ping: float = 0.0
    next_poll: float = 0.0


class BusMaster:
    """Master of one counter bus port. Thread-safe."""

    def __init__(
        self,
        url: str,
        *,
        name: str = "bus",
        devices: Iterable[int] = (),
        on_event: Listener | None = None,
        report_events: bool = True,
        keepalive_s: float = 0.5,
        poll_interval_s: float = 0.01,
        reply_timeout_s: float = 0.05,
        retries: int = 2,
        offline_after: int = 2,
        baudrate: int = 9600,
        backoff_max: float = 0.2,
        reconnect_deadline: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        logger: logging.Logger | None = None,
        recorder: FlightRecorder | None = None,
    ) -> None:
        self.name = name
        self.log = logger or logging.getLogger(f"lobbyq.drivers.{name}")
        self.clock = clock
        self.report_events = report_events
        self.keepalive_s = keepalive_s
        self.poll_interval_s = poll_interval_s
        self.reply_timeout_s = reply_timeout_s
        self.retries = retries
        self.offline_after = offline_after
        self.baudrate = baudrate
        self.recorder = recorder or FlightRecorder(name, clock=clock)
        self.link = SerialLink(
            url,
            name=name,
            on_data=self._on_data,
            on_state=self._on_link_state,
            baudrate=baudrate,
            recorder=self.recorder,
            logger=self.log,
            backoff_max=backoff_max,
            reconnect_deadline=reconnect_deadline,
            clock=clock,
        )
        self._decoder = FrameDecoder()
        self._txn_lock = threading.Lock()
        self._state_lock = threading.RLock()
        self._presence = threading.Condition(self._state_lock)  # notified as devices come online
        self._pending: _Pending | None = None
        self._seq = 0
        self._devs: dict[int, _Dev] = {a: _Dev(a) for a in devices}
        self._busy: set[int] = set()
        self._listeners: list[Listener] = [on_event] if on_event else []
        self._events: queue.SimpleQueue[BusEvent | None] = queue.SimpleQueue()
        self._kick = threading.Event()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.bad_frames = 0

    # -- lifecycle --------------------------------------------------------

    def start(self) -> None:
        if self._threads:
            return
        self._stop.clear()
        self._threads = [
            threading.Thread(target=self._dispatch_loop, name=f"{self.name}-events", daemon=True),
            threading.Thread(target=self._keeper_loop, name=f"{self.name}-keeper", daemon=True),
        ]
        for t in self._threads:
            t.start()
        self.link.start()

    def close(self) -> None:
        self._stop.set()
        self._kick.set()
        self._events.put(None)
        self.link.close()
        for t in self._threads:
            if t is not threading.current_thread():
                t.join(timeout=2)
        self._threads = []

    def __enter__(self) -> BusMaster:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def subscribe(self, listener: Listener) -> None:
        """Add an event callback (called on the dispatcher thread)."""
        self._listeners.append(listener)

    def watch(self, addr: int) -> None:
        """Keep ``addr`` alive and report its events and presence."""
        with self._state_lock:
            self._devs.setdefault(addr, _Dev(addr))
        self._kick.set()

    def online(self, addr: int) -> bool:
        with self._state_lock:
            dev = self._devs.get(addr)
            return bool(dev and dev.online)

    def info(self, addr: int) -> DeviceInfo | None:
        with self._state_lock:
            dev = self._devs.get(addr)
            return dev.info if dev else None

    def wait_online(self, addr: int, timeout: float) -> bool:
        """For start-up and tests: True once ``addr`` has answered."""
        with self._presence:
            return self._presence.wait_for(lambda: self.online(addr), timeout)

    @contextlib.contextmanager
    def exclusive(self, addr: int) -> Iterator[None]:
        """Hold the keep-alive off ``addr`` while a job (a flash) owns it; check it after."""
        with self._state_lock:
            self._busy.add(addr)
        try:
            yield
        finally:
            with self._state_lock:
                self._busy.discard(addr)
                dev = self._devs.get(addr)
                if dev is not None:
                    dev.check_now = True
            self._kick.set()

    # -- requests ---------------------------------------------------------

    def _wire_time(self, nbytes: int) -> float:
        return nbytes * 10.0 / self.baudrate

    def request(
        self,
        addr: int,
        msg: Message,
        *,
        timeout: float | None = None,
        retries: int | None = None,
    ) -> Message:
        """Send ``msg`` and return the device's reply; one request on the bus at a time.

        Retries reuse the sequence number, so a device that did act but whose
        reply was lost answers again without acting twice. Raises
        ``DeviceTimeout``, ``DeviceRefused`` (NAK) or ``LinkDown``.
        """
        payload = msg.payload()
        tries = 1 + (self.retries if retries is None else retries)
        with self._txn_lock:
            self._seq = (self._seq + 1) & 0xFF
            seq = self._seq
            wire = encode(addr, msg.CMD, seq, payload)
            if addr == BROADCAST_ADDR:
                self.link.write(wire)
                return Ack()
            wait = (self.reply_timeout_s if timeout is None else timeout) + self._wire_time(
                len(wire) + 40
            )
            for attempt in range(tries):
                pending = _Pending(addr, seq, msg.CMD)
                self._pending = pending
                try:
                    self.link.write(wire)
                    pending.done.wait(wait)
                finally:
                    self._pending = None
                if pending.error is not None:
                    raise pending.error
                if pending.reply is not None:
                    break
                self.recorder.note(f"no reply @{addr:02X} {msg.CMD.name} try {attempt + 1}")
            else:
                raise DeviceTimeout(f"{self.name}: @{addr:02X} did not answer {msg.CMD.name}")
        reply = pending.reply
        if isinstance(reply, Nak):
            raise DeviceRefused(reply.code, f"@{addr:02X} {msg.CMD.name}")
        return reply

    def command(self, addr: int, msg: Message) -> Ack:
        """Send a command that the device answers with an ACK; what the device drivers call."""
        reply = self.request(addr, msg)
        if not isinstance(reply, Ack):
            raise DeviceRefused(ErrorCode.BAD_CMD, f"unexpected {reply.CMD.name} to {msg.CMD.name}")
        return reply

    # -- technician operations -------------------------------------------

    def ping(
        self, addr: int, *, timeout: float | None = None, retries: int | None = None
    ) -> DeviceInfo:
        """Identify the device at ``addr``: kind, firmware version, serial number."""
        reply = self.request(addr, Ping(), timeout=timeout, retries=retries)
        if not isinstance(reply, Ident):
            raise DeviceRefused(ErrorCode.BAD_CMD, f"unexpected {reply.CMD.name} to PING")
        return DeviceInfo(addr, reply.kind, reply.version, reply.caps, reply.status, reply.serial)

    def scan(
        self,
        addrs: Iterable[int] = range(MIN_DEVICE_ADDR, MAX_DEVICE_ADDR + 1),
        *,
        timeout: float = 0.02,
        retries: int = 1,
        progress: Progress | None = None,
    ) -> list[DeviceInfo]:
        """Ping each address; the devices that answered, in address order."""
        found: list[DeviceInfo] = []
        todo = list(addrs)
        for i, addr in enumerate(todo):
            with contextlib.suppress(DeviceTimeout, DeviceRefused):
                found.append(self.ping(addr, timeout=timeout, retries=retries))
            if progress is not None:
                progress(i + 1, len(todo))
        return found

    def set_address(self, old: int, new: int, *, serial: str = "") -> DeviceInfo:
        """Move the device at ``old`` to ``new`` (only the one with ``serial`` if given).

        Refuses when something already answers at ``new``: two devices at one
        address garble each other's replies and are hard to separate again.
        """
        if not MIN_DEVICE_ADDR <= new <= MAX_DEVICE_ADDR:
            raise ValueError(f"address must be {MIN_DEVICE_ADDR}..{MAX_DEVICE_ADDR}")
        if new != old:
            try:
                other = self.ping(new, retries=0)
            except DeviceTimeout:
                pass
            else:
                raise DeviceRefused(ErrorCode.BAD_ARG, f"address {new} in use: {other.describe()}")
        self.command(old, SetAddress(new, serial))
        with self._state_lock:
            dev = self._devs.pop(old, None)
            if dev is not None:
                self._devs[new] = _Dev(new)
        info = self.ping(new)
        self._kick.set()
        return info

    # -- reader thread ----------------------------------------------------

    def _on_data(self, chunk: bytes) -> None:
        before = self._decoder.error_count
        frames = self._decoder.feed(chunk)
        if self._decoder.error_count != before:
            self.bad_frames += self._decoder.error_count - before
            self.recorder.note(f"bad bytes: {self._decoder.errors}")
        now = self.clock()
        for frame in frames:
            if not frame.from_device:
                continue  # our own frame echoed by a half-duplex adapter
            try:
                msg = decode_message(frame)
            except FrameError as exc:
                self.bad_frames += 1
                self.log.debug("%s: undecodable frame from @%02X: %s", self.name, frame.addr, exc)
                continue
            pending = self._pending
            # an unsolicited EVENT carries its own event number in SEQ, which
            # may equal the request's: only a POLL is answered with an EVENT
            solicited = (
                pending is not None
                and pending.addr == frame.addr
                and pending.seq == frame.seq
                and (not isinstance(msg, Event) or pending.cmd == Poll.CMD)
            )
            if isinstance(msg, Event):
                self._on_event(frame.addr, msg, solicited, now)
            if solicited and pending is not None:
                pending.reply = msg
                pending.done.set()

    def _on_event(self, addr: int, ev: Event, solicited: bool, now: float) -> None:
        # hand the event to the app first, then acknowledge: the ACK is not
        # on the latency path of a key press
        with self._state_lock:
            dev = self._devs.setdefault(addr, _Dev(addr))
            if solicited:
                dev.ack_seq = ev.seq
            if isinstance(ev, PowerUpEvent):
                dev.last_event_seq = ev.seq
                dev.check_now = True
                self._kick.set()
            elif dev.last_event_seq != ev.seq:  # else a repeat: our ACK was lost
                dev.last_event_seq = ev.seq
                if isinstance(ev, KeyEvent):
                    self._events.put(KeyPressed(addr, now, ev.key))
                elif isinstance(ev, RatingEvent):
                    self._events.put(RatingGiven(addr, now, ev.value, ev.reason))
        if not solicited:
            with contextlib.suppress(LinkDown):
                self.link.write(encode(addr, EvtAck.CMD, ev.seq, EvtAck(ev.seq).payload()))

    def _on_link_state(self, up: bool, reason: str) -> None:
        pending = self._pending
        if not up and pending is not None:
            pending.error = LinkDown(f"{self.name}: {reason}")
            pending.done.set()
        self._decoder.reset()
        now = self.clock()
        with self._state_lock:
            for dev in self._devs.values():
                dev.check_now = True
                if not up and dev.online:
                    dev.online = False
                    dev.misses = 0
                    self._events.put(DeviceOffline(dev.addr, now, f"link down: {reason}"))
        self._kick.set()

    # -- keeper thread ----------------------------------------------------

    def _keeper_loop(self) -> None:
        while not self._stop.is_set():
            wait = self.keepalive_s
            if self.link.connected:
                try:
                    wait = self._keep_all()
                except Exception:
                    self.log.exception("%s: keep-alive round failed", self.name)
            self._kick.wait(max(wait, 0.0005))
            self._kick.clear()

    def _keep_all(self) -> float:
        now = self.clock()
        with self._state_lock:
            devs = [d for a, d in self._devs.items() if a not in self._busy]
        wait = self.keepalive_s
        for dev in devs:
            if self._stop.is_set() or not self.link.connected:
                break
            if dev.check_now or now >= dev.next_ping:
                dev.check_now = False
                dev.next_ping = now + self.keepalive_s
                self._check(dev)
            elif not self.report_events and dev.online and now >= dev.next_poll:
                dev.next_poll = now + self.poll_interval_s
                self._poll(dev)
            wait = min(wait, dev.next_ping - now)
            if not self.report_events:
                wait = min(wait, dev.next_poll - now)
        return wait

    def _check(self, dev: _Dev) -> None:
        # a device already offline gets one try per round, so a dead board
        # does not hold the bus (and the app's commands) for all the retries
        try:
            info = self.ping(dev.addr, retries=None if dev.online else 0)
        except LinkDown:
            return
        except (DeviceTimeout, DeviceRefused) as exc:
            self._missed(dev, str(exc))
            return
        restarted = bool(info.status & Status.FRESH_BOOT)
        if restarted:
            # its event numbers start again; forget ours before CONFIG lets
            # it report, or its first event could pass for a repeat
            with self._state_lock:
                dev.last_event_seq = None
                dev.ack_seq = 0
        want_report = ConfigFlag.REPORT_EVENTS if self.report_events else ConfigFlag.NONE
        reporting = bool(info.status & Status.REPORTING)
        if not info.in_boot and (restarted or reporting != self.report_events):
            try:
                self.command(dev.addr, Config(want_report))
            except DriverError as exc:
                self.log.warning("%s: @%02X CONFIG failed: %s", self.name, dev.addr, exc)
                dev.check_now = True
        with self._state_lock:
            was_online = dev.online
            dev.online = True
            dev.misses = 0
            dev.info = info
            self._presence.notify_all()
        if not was_online or restarted:
            self.log.info("%s: %s online%s", self.name, info.describe(), " (restarted)" * restarted)
            self._events.put(DeviceOnline(dev.addr, self.clock(), info, restarted))

    def _poll(self, dev: _Dev) -> None:
        try:
            self.request(dev.addr, Poll(dev.ack_seq), retries=1)
        except LinkDown:
            return
        except (DeviceTimeout, DeviceRefused) as exc:
            self._missed(dev, str(exc))

    def _missed(self, dev: _Dev, why: str) -> None:
        with self._state_lock:
            dev.misses += 1
            went = dev.online and dev.misses >= self.offline_after
            if went:
                dev.online = False
            if not dev.online:
                dev.check_now = False
        if went:
            self.log.warning("%s: @%02X offline: %s", self.name, dev.addr, why)
            self.recorder.dump_to(self.log, describe_bytes, reason=f"@{dev.addr:02X} offline")
            self._events.put(DeviceOffline(dev.addr, self.clock(), why))

    # -- dispatcher thread --------------------------------------------------

    def _dispatch_loop(self) -> None:
        while True:
            ev = self._events.get()
            if ev is None:
                return
            for listener in list(self._listeners):
                try:
                    listener(ev)
                except Exception:
                    self.log.exception("%s: event listener failed on %r", self.name, ev)
