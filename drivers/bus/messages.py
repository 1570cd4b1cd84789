"""Typed messages of the counter bus: one frozen class per command, and back.

``decode_message(frame)`` turns any frame into its message (``FrameError``
for a payload that does not fit its command); ``msg.payload()`` gives the
bytes to put in a frame. The table ``MESSAGES`` maps command to class; it is
the single place that says what a payload looks like (PROTOCOL.md mirrors it).
Pure: no I/O.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum
from typing import ClassVar, TypeVar

from drivers.bus.codes import Cmd, ConfigFlag, DeviceKind, ErrorCode, EventType, Status, TextEffect
from drivers.bus.firmware import HEADER_LEN as IMAGE_HEADER_LEN
from drivers.bus.frame import MAX_PAYLOAD, Frame
from drivers.bus.text import decode_text
from drivers.errors import FrameError
from drivers.keypad.codes import TEXT_MAX_BYTES as KEYPAD_TEXT_MAX
from drivers.keypad.codes import BeepPattern, Key, KeypadLed
from drivers.led.codes import (
    BRIGHTNESS_MAX,
    HALL_MAX_ZONES,
    HALL_TEXT_MAX_BYTES,
    STRIP_TEXT_MAX_BYTES,
)
from drivers.ratingpad.codes import Rating, Reason

SERIAL_MAX = 16
BOOT_BLOCK_MAX = MAX_PAYLOAD - 4  # 246; the host uses 128-byte blocks


T = TypeVar("T", bound=IntEnum)


def _enum(cls: type[T], value: int, what: str) -> T:
    try:
        return cls(value)
    except ValueError:
        raise FrameError("value", f"{what} 0x{value:02X}") from None


def _need(payload: bytes, n: int, cmd: str) -> None:
    if len(payload) != n:
        raise FrameError("payload", f"{cmd} wants {n} bytes, got {len(payload)}")


def _text(payload: bytes, max_bytes: int, what: str) -> str:
    if len(payload) > max_bytes:
        raise FrameError("too_long", f"{what} text of {len(payload)} bytes > {max_bytes}")
    return decode_text(payload)


@dataclass(frozen=True, slots=True)
class Message:
    """Base: ``CMD`` is the command byte; subclasses define the payload."""

    CMD: ClassVar[Cmd]

    def payload(self) -> bytes:
        return b""

    @classmethod
    def decode(cls, payload: bytes) -> Message:
        _need(payload, 0, cls.CMD.name)
        return cls()


# --- common ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Ping(Message):
    CMD: ClassVar[Cmd] = Cmd.PING


@dataclass(frozen=True, slots=True)
class Poll(Message):
    """Ask for the oldest event; ``ack_seq`` acknowledges the one received last."""

    CMD: ClassVar[Cmd] = Cmd.POLL
    ack_seq: int = 0

    def payload(self) -> bytes:
        return bytes((self.ack_seq,))

    @classmethod
    def decode(cls, payload: bytes) -> Poll:
        _need(payload, 1, "POLL")
        return cls(payload[0])


@dataclass(frozen=True, slots=True)
class EvtAck(Message):
    CMD: ClassVar[Cmd] = Cmd.EVT_ACK
    event_seq: int = 0

    def payload(self) -> bytes:
        return bytes((self.event_seq,))

    @classmethod
    def decode(cls, payload: bytes) -> EvtAck:
        _need(payload, 1, "EVT_ACK")
        return cls(payload[0])


@dataclass(frozen=True, slots=True)
class SetAddress(Message):
    """Move a device to ``new_addr``; with ``serial`` only that device obeys."""

    CMD: ClassVar[Cmd] = Cmd.SET_ADDRESS
    new_addr: int = 1
    serial: str = ""

    def payload(self) -> bytes:
        return bytes((self.new_addr,)) + self.serial.encode("ascii")

    @classmethod
    def decode(cls, payload: bytes) -> SetAddress:
        if not 1 <= len(payload) <= 1 + SERIAL_MAX:
            raise FrameError("payload", f"SET_ADDRESS of {len(payload)} bytes")
        try:
            serial = payload[1:].decode("ascii")
        except UnicodeDecodeError:
            raise FrameError("value", "serial not ASCII") from None
        return cls(payload[0], serial)


@dataclass(frozen=True, slots=True)
class Config(Message):
    CMD: ClassVar[Cmd] = Cmd.CONFIG
    flags: ConfigFlag = ConfigFlag.NONE

    def payload(self) -> bytes:
        return bytes((self.flags,))

    @classmethod
    def decode(cls, payload: bytes) -> Config:
        _need(payload, 1, "CONFIG")
        return cls(ConfigFlag(payload[0] & ConfigFlag.REPORT_EVENTS))


# --- bootloader -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EnterBoot(Message):
    CMD: ClassVar[Cmd] = Cmd.ENTER_BOOT


@dataclass(frozen=True, slots=True)
class BootBegin(Message):
    """Carries the image header; the device checks kind and erases its flash."""

    CMD: ClassVar[Cmd] = Cmd.BOOT_BEGIN
    header: bytes = b""

    def payload(self) -> bytes:
        return self.header

    @classmethod
    def decode(cls, payload: bytes) -> BootBegin:
        _need(payload, IMAGE_HEADER_LEN, "BOOT_BEGIN")
        return cls(bytes(payload))


@dataclass(frozen=True, slots=True)
class BootWrite(Message):
    CMD: ClassVar[Cmd] = Cmd.BOOT_WRITE
    offset: int = 0
    data: bytes = b""

    def payload(self) -> bytes:
        return struct.pack("<I", self.offset) + self.data

    @classmethod
    def decode(cls, payload: bytes) -> BootWrite:
        if not 5 <= len(payload) <= 4 + BOOT_BLOCK_MAX:
            raise FrameError("payload", f"BOOT_WRITE of {len(payload)} bytes")
        return cls(struct.unpack_from("<I", payload)[0], bytes(payload[4:]))


@dataclass(frozen=True, slots=True)
class BootVerify(Message):
    CMD: ClassVar[Cmd] = Cmd.BOOT_VERIFY


@dataclass(frozen=True, slots=True)
class BootRun(Message):
    CMD: ClassVar[Cmd] = Cmd.BOOT_RUN


# --- keypad -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KeypadBeep(Message):
    CMD: ClassVar[Cmd] = Cmd.KEYPAD_BEEP
    pattern: BeepPattern = BeepPattern.SHORT

    def payload(self) -> bytes:
        return bytes((self.pattern,))

    @classmethod
    def decode(cls, payload: bytes) -> KeypadBeep:
        _need(payload, 1, "KEYPAD_BEEP")
        return cls(_enum(BeepPattern, payload[0], "beep pattern"))


@dataclass(frozen=True, slots=True)
class KeypadLeds(Message):
    CMD: ClassVar[Cmd] = Cmd.KEYPAD_LEDS
    leds: KeypadLed = KeypadLed.NONE

    def payload(self) -> bytes:
        return bytes((self.leds,))

    @classmethod
    def decode(cls, payload: bytes) -> KeypadLeds:
        _need(payload, 1, "KEYPAD_LEDS")
        if payload[0] & ~0x1F:
            raise FrameError("value", f"unknown LED bits 0x{payload[0]:02X}")
        return cls(KeypadLed(payload[0]))


@dataclass(frozen=True, slots=True)
class KeypadText(Message):
    CMD: ClassVar[Cmd] = Cmd.KEYPAD_TEXT
    text: str = ""

    def payload(self) -> bytes:
        return self.text.encode("gb18030")

    @classmethod
    def decode(cls, payload: bytes) -> KeypadText:
        return cls(_text(payload, KEYPAD_TEXT_MAX, "keypad"))


# --- rating pad -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RatingPrompt(Message):
    """Light the "please rate" prompt; the pad drops it after ``timeout_s`` (0 = never)."""

    CMD: ClassVar[Cmd] = Cmd.RATING_PROMPT
    on: bool = True
    timeout_s: int = 30

    def payload(self) -> bytes:
        return bytes((int(self.on), self.timeout_s))

    @classmethod
    def decode(cls, payload: bytes) -> RatingPrompt:
        _need(payload, 2, "RATING_PROMPT")
        if payload[0] > 1:
            raise FrameError("value", f"prompt flag {payload[0]}")
        return cls(bool(payload[0]), payload[1])


# --- LED strip and hall display --------------------------------------------


def _effect(value: int) -> TextEffect:
    if value & ~0x03:
        raise FrameError("value", f"unknown effect bits 0x{value:02X}")
    return TextEffect(value)


def _brightness(value: int) -> int:
    if value > BRIGHTNESS_MAX:
        raise FrameError("value", f"brightness {value} > {BRIGHTNESS_MAX}")
    return value


@dataclass(frozen=True, slots=True)
class StripShow(Message):
    CMD: ClassVar[Cmd] = Cmd.STRIP_SHOW
    text: str = ""
    effect: TextEffect = TextEffect.NONE
    speed: int = 5

    def payload(self) -> bytes:
        return bytes((self.effect, self.speed)) + self.text.encode("gb18030")

    @classmethod
    def decode(cls, payload: bytes) -> StripShow:
        if len(payload) < 2:
            raise FrameError("payload", "STRIP_SHOW shorter than 2 bytes")
        return cls(
            _text(payload[2:], STRIP_TEXT_MAX_BYTES, "strip"), _effect(payload[0]), payload[1]
        )


@dataclass(frozen=True, slots=True)
class StripBrightness(Message):
    CMD: ClassVar[Cmd] = Cmd.STRIP_BRIGHTNESS
    level: int = BRIGHTNESS_MAX

    def payload(self) -> bytes:
        return bytes((self.level,))

    @classmethod
    def decode(cls, payload: bytes) -> StripBrightness:
        _need(payload, 1, "STRIP_BRIGHTNESS")
        return cls(_brightness(payload[0]))


@dataclass(frozen=True, slots=True)
class StripClear(Message):
    CMD: ClassVar[Cmd] = Cmd.STRIP_CLEAR


@dataclass(frozen=True, slots=True)
class HallZone(Message):
    CMD: ClassVar[Cmd] = Cmd.HALL_ZONE
    zone: int = 0
    text: str = ""
    effect: TextEffect = TextEffect.NONE

    def payload(self) -> bytes:
        return bytes((self.zone, self.effect)) + self.text.encode("gb18030")

    @classmethod
    def decode(cls, payload: bytes) -> HallZone:
        if len(payload) < 2:
            raise FrameError("payload", "HALL_ZONE shorter than 2 bytes")
        if payload[0] >= HALL_MAX_ZONES:
            raise FrameError("value", f"zone {payload[0]}")
        return cls(payload[0], _text(payload[2:], HALL_TEXT_MAX_BYTES, "hall"), _effect(payload[1]))


@dataclass(frozen=True, slots=True)
class HallBrightness(Message):
    CMD: ClassVar[Cmd] = Cmd.HALL_BRIGHTNESS
    level: int = BRIGHTNESS_MAX

    def payload(self) -> bytes:
        return bytes((self.level,))

    @classmethod
    def decode(cls, payload: bytes) -> HallBrightness:
        _need(payload, 1, "HALL_BRIGHTNESS")
        return cls(_brightness(payload[0]))


@dataclass(frozen=True, slots=True)
class HallClear(Message):
    CMD: ClassVar[Cmd] = Cmd.HALL_CLEAR


# --- device -> host ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Ack(Message):
    """Success; ``data`` is command-specific (next offset, CRC...)."""

    CMD: ClassVar[Cmd] = Cmd.ACK
    data: bytes = b""

    def payload(self) -> bytes:
        return self.data

    @classmethod
    def decode(cls, payload: bytes) -> Ack:
        return cls(bytes(payload))


@dataclass(frozen=True, slots=True)
class Nak(Message):
    CMD: ClassVar[Cmd] = Cmd.NAK
    code: ErrorCode = ErrorCode.BAD_CMD

    def payload(self) -> bytes:
        return bytes((self.code,))

    @classmethod
    def decode(cls, payload: bytes) -> Nak:
        _need(payload, 1, "NAK")
        return cls(_enum(ErrorCode, payload[0], "error code"))


_IDENT = struct.Struct("<BBBHBB")  # kind major minor patch caps status


@dataclass(frozen=True, slots=True)
class Ident(Message):
    """PING reply: who the device is and what state it is in."""

    CMD: ClassVar[Cmd] = Cmd.IDENT
    kind: DeviceKind = DeviceKind.KEYPAD
    version: tuple[int, int, int] = (0, 0, 0)
    caps: int = 0
    status: Status = Status.NONE
    serial: str = ""

    def payload(self) -> bytes:
        major, minor, patch = self.version
        head = _IDENT.pack(self.kind, major, minor, patch, self.caps, self.status)
        return head + self.serial.encode("ascii")

    @classmethod
    def decode(cls, payload: bytes) -> Ident:
        if not _IDENT.size <= len(payload) <= _IDENT.size + SERIAL_MAX:
            raise FrameError("payload", f"IDENT of {len(payload)} bytes")
        kind, major, minor, patch, caps, status = _IDENT.unpack_from(payload)
        try:
            serial = payload[_IDENT.size :].decode("ascii")
        except UnicodeDecodeError:
            raise FrameError("value", "serial not ASCII") from None
        dk = _enum(DeviceKind, kind, "device kind")
        return cls(dk, (major, minor, patch), caps, Status(status & 0x1F), serial)


@dataclass(frozen=True, slots=True)
class Event(Message):
    """Something happened at the device; ``seq`` lets the host drop a repeat."""

    CMD: ClassVar[Cmd] = Cmd.EVENT
    seq: int = 0
    TYPE: ClassVar[EventType] = EventType.POWER_UP

    def data(self) -> bytes:
        return b""

    def payload(self) -> bytes:
        return bytes((self.seq, self.TYPE)) + self.data()

    @classmethod
    def decode(cls, payload: bytes) -> Event:
        if len(payload) < 2:
            raise FrameError("payload", "EVENT shorter than 2 bytes")
        seq, etype, data = payload[0], payload[1], payload[2:]
        if etype == EventType.KEY:
            _need(data, 1, "KEY event")
            return KeyEvent(seq, _enum(Key, data[0], "key code"))
        if etype == EventType.RATING:
            _need(data, 2, "RATING event")
            return RatingEvent(
                seq,
                _enum(Rating, data[0], "rating"),
                _enum(Reason, data[1], "reason"),
            )
        if etype == EventType.POWER_UP:
            _need(data, 0, "POWER_UP event")
            return PowerUpEvent(seq)
        raise FrameError("value", f"event type 0x{etype:02X}")


@dataclass(frozen=True, slots=True)
class KeyEvent(Event):
    TYPE: ClassVar[EventType] = EventType.KEY
    key: Key = Key.CALL

    def data(self) -> bytes:
        return bytes((self.key,))


@dataclass(frozen=True, slots=True)
class RatingEvent(Event):
    TYPE: ClassVar[EventType] = EventType.RATING
    value: Rating = Rating.AVERAGE
    reason: Reason = Reason.NONE

    def data(self) -> bytes:
        return bytes((self.value, self.reason))


@dataclass(frozen=True, slots=True)
class PowerUpEvent(Event):
    TYPE: ClassVar[EventType] = EventType.POWER_UP


MESSAGES: dict[int, type[Message]] = {
    cls.CMD: cls
    for cls in (
        Ping, Poll, EvtAck, SetAddress, Config,
        EnterBoot, BootBegin, BootWrite, BootVerify, BootRun,
        KeypadBeep, KeypadLeds, KeypadText,
        RatingPrompt,
        StripShow, StripBrightness, StripClear,
        HallZone, HallBrightness, HallClear,
        Ack, Nak, Ident, Event,
    )
}  # fmt: skip


def decode_message(frame: Frame) -> Message:
    """The typed message in ``frame``; FrameError for an unknown command or bad payload."""
    cls = MESSAGES.get(frame.cmd)
    if cls is None:
        raise FrameError("cmd", f"unknown command 0x{frame.cmd:02X}")
    return cls.decode(frame.payload)


def to_frame(addr: int, seq: int, msg: Message) -> Frame:
    return Frame(addr, msg.CMD, seq, msg.payload())
