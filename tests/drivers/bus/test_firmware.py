"""Firmware image header: build/parse, and every reason to refuse an image."""

from __future__ import annotations

import contextlib
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.bus.codes import DeviceKind
from drivers.bus.crc import crc32
from drivers.bus.firmware import HEADER_LEN, FirmwareHeader, FirmwareImage
from drivers.errors import ImageError


def test_build_then_parse() -> None:
    data = FirmwareImage.build(DeviceKind.LED_STRIP, (2, 1, 300), b"app" * 100)
    assert data[:4] == b"LBQF" and len(data) == HEADER_LEN + 300
    img = FirmwareImage.parse(data)
    assert (img.kind, img.version, img.payload) == (DeviceKind.LED_STRIP, (2, 1, 300), b"app" * 100)
    assert img.crc == crc32(b"app" * 100)
    assert struct.unpack_from("<I", data, 12)[0] == 300


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: b"XXXX" + d[4:], "magic"),
        (lambda d: d[:10], "header needs"),
        (lambda d: d[:4] + b"\x02" + d[5:], "format"),
        (lambda d: d[:6] + b"\x09" + d[7:], "header CRC"),
        (lambda d: d[:-1], "payload is"),
        (lambda d: d[:-1] + bytes([d[-1] ^ 1]), "payload CRC"),
    ],
)
def test_parse_refuses(damage: object, message: str) -> None:
    data = FirmwareImage.build(DeviceKind.KEYPAD, (1, 0, 0), bytes(range(200)))
    with pytest.raises(ImageError, match=message):
        FirmwareImage.parse(damage(data))  # type: ignore[operator]


def test_unknown_kind_refused_even_with_good_header_crc() -> None:
    head = bytearray(FirmwareHeader(DeviceKind.KEYPAD, (1, 0, 0), 0, 0).build())
    head[5] = 0x7F
    head[20:24] = struct.pack("<I", crc32(bytes(head[:20])))
    with pytest.raises(ImageError, match="kind"):
        FirmwareHeader.parse(bytes(head))


@given(
    st.sampled_from(list(DeviceKind)),
    st.tuples(st.integers(0, 255), st.integers(0, 255), st.integers(0, 65535)),
    st.binary(max_size=4096),
)
def test_roundtrip(kind: DeviceKind, version: tuple[int, int, int], payload: bytes) -> None:
    img = FirmwareImage.parse(FirmwareImage.build(kind, version, payload))
    assert img == FirmwareImage(kind, version, payload)


@given(st.binary(max_size=64))
def test_parse_never_crashes(data: bytes) -> None:
    with contextlib.suppress(ImageError):
        FirmwareImage.parse(data)
