"""Golden frames for every bus command, typed decoding, and round trips."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.bus.codes import ConfigFlag, DeviceKind, ErrorCode, Status, TextEffect
from drivers.bus.firmware import FirmwareImage
from drivers.bus.frame import Frame, decode_frame, encode_frame
from drivers.bus.messages import (
    MESSAGES,
    Ack,
    BootBegin,
    BootRun,
    BootVerify,
    BootWrite,
    Config,
    EnterBoot,
    Event,
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
    decode_message,
    to_frame,
)
from drivers.bus.samples import sample_messages
from drivers.errors import FrameError
from drivers.keypad.codes import BeepPattern, Key, KeypadLed
from drivers.ratingpad.codes import Rating, Reason

_HEADER = FirmwareImage(DeviceKind.KEYPAD, (1, 2, 3), bytes(range(64))).header.build()

# (message, wire bytes at address 0x01 with sequence 0x10): fixed by PROTOCOL.md
GOLDEN: list[tuple[Message, str]] = [
    (Ping(), "a5 01 01 10 00 c6 37"),
    (Poll(7), "a5 01 02 10 01 07 56 80"),
    (EvtAck(9), "a5 01 03 10 01 09 c1 fa"),
    (SetAddress(5, "KP-000042"), "a5 01 04 10 0a 05 4b 50 2d 30 30 30 30 34 32 21 2f"),
    (Config(ConfigFlag.REPORT_EVENTS), "a5 01 05 10 01 01 67 6b"),
    (EnterBoot(), "a5 01 10 10 00 b2 64"),
    (
        BootBegin(_HEADER),
        "a5 01 11 10 18 4c 42 51 46 01 01 01 02 03 00 00 00 40 00 00 00"
        " 8c ce 0e 10 b6 25 e0 5a 75 77",
    ),
    (BootVerify(), "a5 01 13 10 00 eb 34"),
    (BootRun(), "a5 01 14 10 00 6e a4"),
    (KeypadBeep(BeepPattern.DOUBLE), "a5 01 20 10 01 02 dc 03"),
    (KeypadLeds(KeypadLed.ONLINE | KeypadLed.SERVING), "a5 01 21 10 01 03 ba 96"),
    (KeypadText("A023 请稍候"), "a5 01 22 10 0b 41 30 32 33 20 c7 eb c9 d4 ba f2 06 12"),
    (RatingPrompt(True, 30), "a5 01 30 10 02 01 1e f2 57"),
    (
        StripShow("请A023号到3号窗口", TextEffect.BLINK, 5),
        "a5 01 40 10 13 02 05 c7 eb 41 30 32 33 ba c5 b5 bd 33 ba c5 b4 b0 bf da 2e 04",
    ),
    (StripBrightness(9), "a5 01 41 10 01 09 42 0e"),
    (StripClear(), "a5 01 42 10 00 82 ca"),
    (
        HallZone(1, "A023 → 3号窗口", TextEffect.BLINK),
        "a5 01 50 10 11 01 02 41 30 32 33 20 a1 fa 20 33 ba c5 b4 b0 bf da b1 bb",
    ),
    (HallBrightness(15), "a5 01 51 10 01 0f 39 6f"),
    (HallClear(), "a5 01 52 10 00 c1 a9"),
    (Ack(b"\x80\x00\x00\x00"), "a5 01 80 10 04 80 00 00 00 93 ae"),
    (Nak(ErrorCode.WRONG_KIND), "a5 01 81 10 01 05 30 26"),
    (
        Ident(DeviceKind.RATING_PAD, (1, 4, 2), 0x85, Status.REPORTING, "RP-000007"),
        "a5 01 82 10 10 02 01 04 02 00 85 10 52 50 2d 30 30 30 30 30 37 10 30",
    ),
    (KeyEvent(3, Key.CALL), "a5 01 83 10 03 03 01 01 b6 a9"),
    (
        RatingEvent(4, Rating.VERY_UNSATISFIED, Reason.WAIT_TOO_LONG),
        "a5 01 83 10 04 04 02 01 01 11 95",
    ),
    (PowerUpEvent(0), "a5 01 83 10 02 00 03 c2 16"),
]


@pytest.mark.parametrize(("msg", "wire"), GOLDEN, ids=lambda v: type(v).__name__)
def test_golden_frame(msg: Message, wire: str) -> None:
    raw = bytes.fromhex(wire)
    assert encode_frame(to_frame(1, 0x10, msg)) == raw
    assert decode_message(decode_frame(raw)) == msg


def test_every_command_has_a_golden_frame() -> None:
    covered = {type(m).CMD for m, _ in GOLDEN} | {BootWrite.CMD}
    assert covered == set(MESSAGES)


def test_boot_write_golden_prefix() -> None:
    raw = encode_frame(to_frame(1, 0x10, BootWrite(0x180, b"\xde\xad")))
    assert raw.hex(" ") == "a5 01 12 10 06 80 01 00 00 de ad ab 6a"


@pytest.mark.parametrize(
    ("cmd", "payload", "reason"),
    [
        (0x7F, b"", "cmd"),
        (0x01, b"\x00", "payload"),
        (0x20, b"\x09", "value"),
        (0x21, b"\x80", "value"),
        (0x22, b"\x81\x20", "text"),
        (0x22, b"A" * 33, "too_long"),
        (0x41, b"\x10", "value"),
        (0x50, b"\x10\x00", "value"),
        (0x50, b"\x00\x04A", "value"),
        (0x82, b"\x09\x01\x00\x00\x00\x00\x00", "value"),
        (0x83, b"\x01\x01\x77", "value"),
        (0x83, b"\x01\x09", "value"),
        (0x83, b"\x01\x02\x09\x00", "value"),
        (0x81, b"\xee", "value"),
        (0x04, b"\x05\xff", "value"),
    ],
)
def test_payload_rejections(cmd: int, payload: bytes, reason: str) -> None:
    with pytest.raises(FrameError) as err:
        decode_message(Frame(1, cmd, 0, payload))
    assert err.value.reason == reason


def test_samples_cover_every_message_class() -> None:
    kinds = {type(m) for m in sample_messages()}
    assert {c for c in MESSAGES.values() if c is not Event} <= kinds


# up to 32 bytes: fits every display (a GB18030 character takes 1, 2 or 4 bytes)
text = st.text(
    alphabet=st.characters(codec="gb18030", exclude_categories=["Cs"]), max_size=10
).filter(lambda t: len(t.encode("gb18030")) <= 32)
MESSAGE_STRATEGIES = st.one_of(
    st.builds(Poll, st.integers(0, 255)),
    st.builds(EvtAck, st.integers(0, 255)),
    st.builds(SetAddress, st.integers(0, 255), st.text("ABC-0123456789", max_size=16)),
    st.builds(Config, st.sampled_from(list(ConfigFlag))),
    st.builds(BootWrite, st.integers(0, 2**32 - 1), st.binary(min_size=1, max_size=246)),
    st.builds(KeypadBeep, st.sampled_from(list(BeepPattern))),
    st.builds(KeypadLeds, st.integers(0, 0x1F).map(KeypadLed)),
    st.builds(KeypadText, text),
    st.builds(RatingPrompt, st.booleans(), st.integers(0, 255)),
    st.builds(StripShow, text, st.integers(0, 3).map(TextEffect), st.integers(0, 255)),
    st.builds(StripBrightness, st.integers(0, 15)),
    st.builds(HallZone, st.integers(0, 15), text, st.integers(0, 3).map(TextEffect)),
    st.builds(HallBrightness, st.integers(0, 15)),
    st.builds(Ack, st.binary(max_size=250)),
    st.builds(Nak, st.sampled_from(list(ErrorCode))),
    st.builds(
        Ident,
        st.sampled_from(list(DeviceKind)),
        st.tuples(st.integers(0, 255), st.integers(0, 255), st.integers(0, 65535)),
        st.integers(0, 255),
        st.integers(0, 0x1F).map(Status),
        st.text("ABCDEFGHIJ-0123456789", max_size=16),
    ),
    st.builds(KeyEvent, st.integers(0, 255), st.sampled_from(list(Key))),
    st.builds(
        RatingEvent,
        st.integers(0, 255),
        st.sampled_from(list(Rating)),
        st.sampled_from(list(Reason)),
    ),
    st.builds(PowerUpEvent, st.integers(0, 255)),
)


@given(MESSAGE_STRATEGIES, st.integers(0, 255), st.integers(0, 255))
def test_roundtrip_message(msg: Message, addr: int, seq: int) -> None:
    frame = decode_frame(encode_frame(to_frame(addr, seq, msg)))
    assert (frame.addr, frame.seq) == (addr, seq)
    assert decode_message(frame) == msg
