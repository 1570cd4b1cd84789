"""One good frame of every counter bus message: fuzz seeds and benchmark input."""

from __future__ import annotations

from drivers.bus.codes import ConfigFlag, DeviceKind, ErrorCode, Status, TextEffect
from drivers.bus.firmware import FirmwareImage
from drivers.bus.frame import encode_frame
from drivers.bus.messages import (
    Ack,
    BootBegin,
    BootRun,
    BootVerify,
    BootWrite,
    Config,
    EnterBoot,
    EvtAck,
    HallBrightness,
    HallClear,
    HallZone,
    Ident,
    KeyEvent,
    KeypadBeep,
    KeypadLeds,
    KeypadText,
    Message,
    Nak,
    Ping,
    Poll,
    PowerUpEvent,
    RatingEvent,
    RatingPrompt,
    SetAddress,
    StripBrightness,
    StripClear,
    StripShow,
    to_frame,
)
from drivers.keypad.codes import BeepPattern, Key, KeypadLed
from drivers.ratingpad.codes import Rating, Reason


def sample_messages() -> list[Message]:
    image = FirmwareImage(DeviceKind.KEYPAD, (1, 2, 3), bytes(range(64)))
    return [
        Ping(),
        Poll(7),
        EvtAck(9),
        SetAddress(5, "KP-000042"),
        Config(ConfigFlag.REPORT_EVENTS),
        EnterBoot(),
        BootBegin(image.header.build()),
        BootWrite(128, bytes(range(128))),
        BootVerify(),
        BootRun(),
        KeypadBeep(BeepPattern.DOUBLE),
        KeypadLeds(KeypadLed.ONLINE | KeypadLed.SERVING),
        KeypadText("A023 请稍候"),
        RatingPrompt(True, 30),
        StripShow("请A023号到3号窗口", TextEffect.BLINK, 5),
        StripBrightness(9),
        StripClear(),
        HallZone(1, "A023 → 3号窗口", TextEffect.BLINK),
        HallBrightness(15),
        HallClear(),
        Ack(b"\x80\x00\x00\x00"),
        Nak(ErrorCode.WRONG_KIND),
        Ident(DeviceKind.RATING_PAD, (1, 4, 2), 0x85, Status.REPORTING, "RP-000007"),
        KeyEvent(3, Key.CALL),
        RatingEvent(4, Rating.VERY_UNSATISFIED, Reason.WAIT_TOO_LONG),
        PowerUpEvent(0),
    ]


def sample_frames() -> list[bytes]:
    return [encode_frame(to_frame(3, i, m)) for i, m in enumerate(sample_messages())]
