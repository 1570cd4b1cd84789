"""Firmware image format for counter bus devices: a 24-byte header, then the payload.

All fields little-endian::

    off size field
    0   4    magic b"LBQF"
    4   1    format (1)
    5   1    device kind (DeviceKind)
    6   1    version major
    7   1    version minor
    8   2    version patch
    10  2    reserved, 0
    12  4    payload length
    16  4    payload CRC-32
    20  4    header CRC-32 over bytes 0..19

The device gets the header first (BOOT_BEGIN), so it refuses an image for
another kind before a byte of its flash is touched, and it checks the CRC-32
of what it wrote (BOOT_VERIFY) before it will ever run it. Pure.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from drivers.bus.codes import DeviceKind
from drivers.bus.crc import crc32
from drivers.errors import ImageError

MAGIC = b"LBQF"
FORMAT = 1
HEADER = struct.Struct("<4sBBBBHHIII")
HEADER_LEN = HEADER.size  # 24
MAX_IMAGE = 1 << 20  # 1 MiB: more than any bus device's flash

Version = tuple[int, int, int]


@dataclass(frozen=True, slots=True)
class FirmwareHeader:
    kind: DeviceKind
    version: Version
    length: int
    crc: int

    def build(self) -> bytes:
        major, minor, patch = self.version
        head = HEADER.pack(
            MAGIC, FORMAT, self.kind, major, minor, patch, 0, self.length, self.crc, 0
        )[:20]
        return head + struct.pack("<I", crc32(head))

    @classmethod
    def parse(cls, data: bytes) -> FirmwareHeader:
        if len(data) < HEADER_LEN:
            raise ImageError(f"header needs {HEADER_LEN} bytes, got {len(data)}")
        magic, fmt, kind, major, minor, patch, _res, length, crc, hcrc = HEADER.unpack_from(data)
        if magic != MAGIC:
            raise ImageError(f"bad magic {magic!r}")
        if fmt != FORMAT:
            raise ImageError(f"unknown image format {fmt}")
        if crc32(data[:20]) != hcrc:
            raise ImageError("header CRC mismatch")
        try:
            dk = DeviceKind(kind)
        except ValueError:
            raise ImageError(f"unknown device kind 0x{kind:02X}") from None
        if length > MAX_IMAGE:
            raise ImageError(f"payload length {length} too large")
        return cls(dk, (major, minor, patch), length, crc)


@dataclass(frozen=True, slots=True)
class FirmwareImage:
    """A whole image: header fields plus the application payload."""

    kind: DeviceKind
    version: Version
    payload: bytes

    @property
    def header(self) -> FirmwareHeader:
        return FirmwareHeader(self.kind, self.version, len(self.payload), crc32(self.payload))

    @property
    def crc(self) -> int:
        return crc32(self.payload)

    @classmethod
    def build(cls, kind: DeviceKind, version: Version, payload: bytes) -> bytes:
        """The file bytes for an image (what a technician gets to flash)."""
        if len(payload) > MAX_IMAGE:
            raise ImageError(f"payload of {len(payload)} bytes too large")
        major, minor, patch = version
        if not (0 <= major <= 255 and 0 <= minor <= 255 and 0 <= patch <= 0xFFFF):
            raise ImageError(f"version out of range: {version}")
        return cls(kind, version, payload).to_bytes()

    def to_bytes(self) -> bytes:
        return self.header.build() + self.payload

    @classmethod
    def parse(cls, data: bytes) -> FirmwareImage:
        """Check and split an image file; ImageError if it must not be flashed."""
        head = FirmwareHeader.parse(data)
        payload = data[HEADER_LEN:]
        if len(payload) != head.length:
            raise ImageError(f"payload is {len(payload)} bytes, header says {head.length}")
        if crc32(payload) != head.crc:
            raise ImageError("payload CRC-32 mismatch")
        return cls(head.kind, head.version, bytes(payload))


def version_str(v: Version) -> str:
    return ".".join(str(x) for x in v)
