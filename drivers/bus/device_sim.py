"""The device side of the counter bus, shared by every simulated device.

``DeviceSim`` answers the common commands (PING, POLL, EVT_ACK, SET_ADDRESS,
CONFIG) and runs the bootloader; a subclass adds its own commands in
``handle_app`` and its own state. It is pure logic driven by ``handle(msg)``
and ``power_cycle()``: the ``BusSim`` shell does the pty I/O, so a device can
also be unit-tested without a port.

What survives a power cut is in ``Flash`` (address, firmware, "no valid
application" after an interrupted update); everything else is RAM and is
lost, as on the real boards.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import ClassVar, TypeVar

from drivers.bus.codes import (
    BROADCAST_ADDR,
    MAX_DEVICE_ADDR,
    MIN_DEVICE_ADDR,
    ConfigFlag,
    DeviceKind,
    ErrorCode,
    Status,
)
from drivers.bus.crc import crc32
from drivers.bus.firmware import FirmwareHeader, Version
from drivers.bus.messages import (
    Ack,
    BootBegin,
    BootRun,
    BootVerify,
    BootWrite,
    Config,
    EnterBoot,
    Event,
    EvtAck,
    Ident,
    Message,
    Nak,
    Ping,
    Poll,
    PowerUpEvent,
    SetAddress,
)
from drivers.errors import ImageError

S = TypeVar("S", bound="DeviceSim")


@dataclass
class Flash:
    """Non-volatile state: kept across ``power_cycle``."""

    addr: int
    version: Version
    app_valid: bool = True  # False from BOOT_BEGIN until a verified BOOT_RUN


@dataclass
class BootSession:
    header: FirmwareHeader
    written: bytearray = field(default_factory=bytearray)
    verified: bool = False


@dataclass(frozen=True, slots=True)
class Received:
    """A message the device got, with the device clock's time of arrival."""

    t: float
    addr: int
    msg: Message


class DeviceSim:
    """Base of every simulated bus device. Thread-safe; scripted from tests."""

    KIND: ClassVar[DeviceKind]
    SERIAL_PREFIX: ClassVar[str] = "DV"

    def __init__(
        self,
        addr: int,
        *,
        serial: str | None = None,
        version: Version = (1, 0, 0),
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.flash = Flash(addr, version)
        self.serial = serial or f"{self.SERIAL_PREFIX}-{addr:06d}"
        self.clock = clock
        self.received: list[Received] = []
        self.sent_events: list[tuple[float, Event]] = []  # when each was first written
        self.silent = False
        self.fail_flash_at: int | None = None  # one-shot: NAK a BOOT_WRITE from this offset
        self._cond = threading.Condition(threading.RLock())
        self._kick: Callable[[], None] = lambda: None
        # called after each host message acted on (console, demo display mirror)
        self.listeners: list[Callable[[DeviceSim, Message], None]] = []
        self._boot: BootSession | None = None
        self._in_boot = False
        self._events: deque[Event] = deque()
        self._evt_seq = 0
        self._last_req: tuple[int, int, bytes] | None = None
        self._last_reply: Message | None = None
        self.report = False
        self.fresh_boot = True
        self.powered = True
        self.reset_app_state()
        self._queue_event(PowerUpEvent())

    # -- identity ---------------------------------------------------------

    @property
    def addr(self) -> int:
        return self.flash.addr

    @property
    def in_boot(self) -> bool:
        return self._in_boot or not self.flash.app_valid

    def caps(self) -> int:
        """Capability byte for IDENT; subclasses say what they have."""
        return 0

    def status(self) -> Status:
        st = Status.NONE
        if self.in_boot:
            st |= Status.IN_BOOT
        if self._events:
            st |= Status.EVENTS_PENDING
        if self.fresh_boot:
            st |= Status.FRESH_BOOT
        if self.report:
            st |= Status.REPORTING
        return st

    def ident(self) -> Ident:
        version = self.flash.version if self.flash.app_valid else (0, 0, 0)
        return Ident(self.KIND, version, self.caps(), self.status(), self.serial)

    # -- scripting --------------------------------------------------------

    def attach(self, kick: Callable[[], None]) -> None:
        """Called by the bus: ``kick`` asks it to send pending events now."""
        self._kick = kick

    def silence(self, on: bool = True) -> None:
        """Stop answering (a dead board on a live bus)."""
        with self._cond:
            self.silent = on
            self._cond.notify_all()

    def wait_until(self: S, pred: Callable[[S], bool], timeout: float = 3.0) -> bool:
        """Block until ``pred(self)`` holds after some change; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: pred(self), timeout)

    def received_of(self, cls: type[Message]) -> list[Received]:
        with self._cond:
            return [r for r in self.received if isinstance(r.msg, cls)]

    def power_cycle(self) -> None:
        """Power cut and back: RAM state lost, flash kept, POWER_UP queued."""
        with self._cond:
            self._boot = None
            self._in_boot = not self.flash.app_valid
            self._events.clear()
            self._evt_seq = 0
            self._last_req = None
            self._last_reply = None
            self.report = False
            self.fresh_boot = True
            self.reset_app_state()
            self._queue_event(PowerUpEvent())
            self._cond.notify_all()

    def reset_app_state(self) -> None:
        """Clear what the application shows (subclasses)."""

    # -- events -----------------------------------------------------------

    def _queue_event(self, ev: Event) -> Event:
        self._evt_seq = self._evt_seq % 255 + 1  # 1..255; 0 means "none" in POLL
        ev = replace(ev, seq=self._evt_seq)
        self._events.append(ev)
        return ev

    def emit(self, ev: Event) -> bool:
        """Queue an app event (key, rating) unless silent or in the bootloader."""
        with self._cond:
            if self.silent or self.in_boot or not self.powered:
                return False
            self._queue_event(ev)
            self._cond.notify_all()
        self._kick()
        return True

    def pending_event(self) -> Event | None:
        """The event to (re)send unsolicited, if this device reports events."""
        with self._cond:
            if not self.report or self.silent or not self._events:
                return None
            return self._events[0]

    def note_sent(self, ev: Event) -> None:
        with self._cond:
            if not any(e is ev for _, e in self.sent_events):
                self.sent_events.append((self.clock(), ev))

    def _ack_event(self, seq: int) -> None:
        if self._events and self._events[0].seq == seq and seq != 0:
            self._events.popleft()

    # -- the protocol -----------------------------------------------------

    def handle(self, addr: int, seq: int, msg: Message, raw: bytes = b"") -> Message | None:
        """One host frame addressed to us (or broadcast); the reply or None."""
        with self._cond:
            if self.silent or not self.powered:
                return None
            self.received.append(Received(self.clock(), addr, msg))
            key = (seq, msg.CMD, raw)
            # PING and POLL are safe to act on twice and must show fresh state
            repeatable = not isinstance(msg, Ping | Poll)
            if repeatable and self._last_req == key and self._last_reply is not None:
                # host retried because our reply was lost: answer again, act once
                self._cond.notify_all()
                return self._last_reply
            reply = self._dispatch(msg)
            if addr == BROADCAST_ADDR:
                reply = None
            self._last_req = key
            self._last_reply = reply
            self._cond.notify_all()
        if isinstance(msg, EvtAck | Config | Poll | BootRun):
            self._kick()  # the next event, if any, may go now
        if not isinstance(msg, Ping | Poll | EvtAck):
            for listener in list(self.listeners):
                listener(self, msg)
        return reply

    def _dispatch(self, msg: Message) -> Message | None:
        if isinstance(msg, Ping):
            return self.ident()
        if isinstance(msg, Poll):
            self._ack_event(msg.ack_seq)
            return self._events[0] if self._events else Ack()
        if isinstance(msg, EvtAck):
            self._ack_event(msg.event_seq)
            return None
        if isinstance(msg, SetAddress):
            return self._set_address(msg)
        if isinstance(msg, Config):
            self.report = bool(msg.flags & ConfigFlag.REPORT_EVENTS)
            self.fresh_boot = False
            return Ack()
        if isinstance(msg, EnterBoot | BootBegin | BootWrite | BootVerify | BootRun):
            return self._bootloader(msg)
        if self.in_boot:
            return Nak(ErrorCode.IN_BOOT)
        return self.handle_app(msg)

    def handle_app(self, msg: Message) -> Message:
        """Device-specific commands; the default refuses them."""
        return Nak(ErrorCode.BAD_CMD)

    def _set_address(self, msg: SetAddress) -> Message | None:
        if msg.serial and msg.serial != self.serial:
            return None  # addressed to a twin at the same address
        if not MIN_DEVICE_ADDR <= msg.new_addr <= MAX_DEVICE_ADDR:
            return Nak(ErrorCode.BAD_ARG)
        self.flash.addr = msg.new_addr
        return Ack(bytes((msg.new_addr,)))

    def _bootloader(self, msg: Message) -> Message:
        if isinstance(msg, EnterBoot):
            self._in_boot = True
            self.report = False
            return Ack()
        if not self._in_boot:
            return Nak(ErrorCode.NOT_IN_BOOT)
        if isinstance(msg, BootBegin):
            try:
                header = FirmwareHeader.parse(msg.header)
            except ImageError:
                return Nak(ErrorCode.BAD_HEADER)
            if header.kind != self.KIND:
                return Nak(ErrorCode.WRONG_KIND)
            self.flash.app_valid = False  # the erase: no way back but a good image
            self._boot = BootSession(header)
            return Ack()
        boot = self._boot
        if boot is None:
            return Nak(ErrorCode.BAD_ARG)
        if isinstance(msg, BootWrite):
            return self._boot_write(boot, msg)
        if isinstance(msg, BootVerify):
            crc = crc32(boot.written)
            ok = len(boot.written) == boot.header.length and crc == boot.header.crc
            boot.verified = ok
            return Ack(crc.to_bytes(4, "little")) if ok else Nak(ErrorCode.BAD_CRC)
        assert isinstance(msg, BootRun)
        if not boot.verified:
            return Nak(ErrorCode.NOT_VERIFIED)
        self.flash.version = boot.header.version
        self.flash.app_valid = True
        self._boot = None
        self._in_boot = False
        self.fresh_boot = True
        self._queue_event(PowerUpEvent())
        return Ack()

    def _boot_write(self, boot: BootSession, msg: BootWrite) -> Message:
        end = msg.offset + len(msg.data)
        if msg.offset != len(boot.written):
            return Nak(ErrorCode.BAD_OFFSET)
        if end > boot.header.length:
            return Nak(ErrorCode.BAD_OFFSET)
        if self.fail_flash_at is not None and end > self.fail_flash_at:
            self.fail_flash_at = None
            return Nak(ErrorCode.FLASH_FAILED)
        boot.written += msg.data
        boot.verified = False
        return Ack(end.to_bytes(4, "little"))
