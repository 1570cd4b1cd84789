"""Checksums of the counter bus: CRC-16/CCITT-FALSE per frame, CRC-32 per image.

CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no xor-out) is
what small bus MCUs compute in a few lines; the check value of ``b"123456789"``
is 0x29B1. Firmware images use zlib's CRC-32 (the IEEE one every bootloader
library has).
"""

from __future__ import annotations

import zlib


def _make_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
        table.append(crc & 0xFFFF)
    return tuple(table)


_TABLE = _make_table()


def crc16(data: bytes | bytearray | memoryview, crc: int = 0xFFFF) -> int:
    """CRC-16/CCITT-FALSE of ``data``."""
    table = _TABLE
    for byte in bytes(data):
        crc = ((crc << 8) & 0xFFFF) ^ table[(crc >> 8) ^ byte]
    return crc


def crc32(data: bytes | bytearray | memoryview) -> int:
    """CRC-32 (IEEE) of ``data``, unsigned."""
    return zlib.crc32(data) & 0xFFFFFFFF
