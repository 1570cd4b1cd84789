"""Bus framing: golden bytes, every rejection reason, stream resync, round trips."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.bus.crc import crc16, crc32
from drivers.bus.frame import (
    MAX_PAYLOAD,
    Frame,
    FrameDecoder,
    decode_frame,
    describe_bytes,
    encode,
    encode_frame,
)
from drivers.errors import FrameError


def test_crc16_ccitt_false_check_value() -> None:
    assert crc16(b"123456789") == 0x29B1
    assert crc32(b"123456789") == 0xCBF43926


def test_golden_ping_frame() -> None:
    assert encode(0x01, 0x01, 0x10).hex(" ") == "a5 01 01 10 00 c6 37"
    assert decode_frame(bytes.fromhex("a5 01 01 10 00 c6 37")) == Frame(1, 1, 0x10)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("a5 01 01 10", "short"),
        ("5a 01 01 10 00 c6 37", "sync"),
        ("a5 01 01 10 00 c6 38", "crc"),
        ("a5 01 01 10 01 c6 37", "length"),
        ("a5 01 01 10 00 c6 37 00", "length"),
        ("a5 01 01 10 ff" + " 00" * 257, "length"),
    ],
)
def test_decode_rejects_with_reason(raw: str, reason: str) -> None:
    with pytest.raises(FrameError) as err:
        decode_frame(bytes.fromhex(raw))
    assert err.value.reason == reason


def test_encode_refuses_oversize_and_out_of_range() -> None:
    with pytest.raises(ValueError):
        encode(1, 1, 0, bytes(MAX_PAYLOAD + 1))
    with pytest.raises(ValueError):
        encode(256, 1, 0)


def test_stream_splits_and_joins_chunks() -> None:
    a = encode(1, 0x83, 1, b"\x01\x01\x01")
    b = encode(2, 0x80, 2)
    dec = FrameDecoder()
    wire = a + b
    got = []
    for i in range(len(wire)):  # one byte at a time
        got += dec.feed(wire[i : i + 1])
    assert got == [decode_frame(a), decode_frame(b)]
    assert dec.error_count == 0


def test_stream_resyncs_after_noise_and_bad_crc() -> None:
    good = encode(3, 0x80, 9, b"ok")
    bad = bytearray(good)
    bad[-1] ^= 0xFF
    dec = FrameDecoder()
    frames = dec.feed(b"\x00\x13" + bytes(bad) + b"\xa5" + good)
    assert frames == [decode_frame(good)]
    assert dec.errors["crc"] >= 1 and dec.errors["noise"] >= 1


def test_noise_sync_with_big_length_does_not_hold_back_a_real_frame() -> None:
    # 0xA5 then LEN=200: a naive decoder would wait for 200 more bytes
    good = encode(1, 0x83, 4, b"\x04\x01\x01")
    dec = FrameDecoder()
    assert dec.feed(b"\xa5\x01\x02\x03\xc8" + good) == [decode_frame(good)]


def test_describe_bytes_for_dumps() -> None:
    text = describe_bytes(encode(1, 0x01, 5) + b"\xff")
    assert "@01 PING seq=5" in text and "bad" in text


frames = st.builds(
    Frame,
    addr=st.integers(0, 255),
    cmd=st.integers(0, 255),
    seq=st.integers(0, 255),
    payload=st.binary(max_size=MAX_PAYLOAD),
)


@given(frames)
def test_roundtrip_frame(frame: Frame) -> None:
    assert decode_frame(encode_frame(frame)) == frame


@given(st.lists(frames, max_size=5), st.binary(max_size=40), st.integers(1, 64))
def test_stream_finds_every_frame_after_leading_noise(
    fs: list[Frame], noise: bytes, chunk: int
) -> None:
    wire = noise.replace(b"\xa5", b"") + b"".join(encode_frame(f) for f in fs)
    dec = FrameDecoder()
    got: list[Frame] = []
    for i in range(0, len(wire), chunk):
        got += dec.feed(wire[i : i + chunk])
    assert got == fs
