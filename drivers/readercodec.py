"""Pure byte helpers the identification readers' codecs share.

The magnetic-stripe and QR codecs both receive one message per CR- or
LF-ended line, and the magnetic-stripe LRC and the ID card's frame check
are both a XOR of bytes. Kept apart from :mod:`drivers.readers`, which
opens ports, so a codec stays importable without pyserial (STYLE habit 1).
"""

from __future__ import annotations

import re

LINE_END = re.compile(rb"[\r\n]")
"""What ends a reader's line; CR LF gives an empty line that parsers skip."""


def take_lines(buf: bytearray) -> list[bytes]:
    """Remove every whole line from the front of ``buf`` and return them, ends cut.

    What follows the last line end stays in ``buf`` for the next chunk.
    """
    lines: list[bytes] = []
    while (m := LINE_END.search(buf)) is not None:
        end = m.start()
        lines.append(bytes(buf[:end]))
        del buf[: end + 1]
    return lines


def xor_fold(data: bytes) -> int:
    """XOR of all bytes (0 for none), folded as one big integer so long data stays cheap."""
    n = len(data)
    x = int.from_bytes(data, "little")
    while n > 1:
        half = (n + 1) // 2
        x = (x >> (half * 8)) ^ (x & ((1 << (half * 8)) - 1))
        n = half
    return x
