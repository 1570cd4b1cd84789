"""Text on the bus is GB18030: ASCII passes through, Chinese takes 2 bytes.

GB18030 is the encoding Chinese LED controllers take (its GB2312 subset is
byte-identical), and it covers all of Unicode so no character is lost.
"""

from __future__ import annotations

from drivers.errors import FrameError

ENCODING = "gb18030"


def encode_text(text: str, max_bytes: int) -> bytes:
    """Encode for a display; ValueError when it does not fit (a caller's bug)."""
    data = text.encode(ENCODING)
    if len(data) > max_bytes:
        raise ValueError(f"text takes {len(data)} bytes, display holds {max_bytes}")
    return data


def decode_text(data: bytes) -> str:
    """Decode from the wire; FrameError for bytes that are not GB18030."""
    try:
        return data.decode(ENCODING)
    except UnicodeDecodeError as exc:
        raise FrameError("text", str(exc), data) from exc


def fit_text(text: str, max_bytes: int) -> str:
    """Cut ``text`` at a character boundary so it encodes in ``max_bytes``."""
    out = []
    used = 0
    for ch in text:
        n = len(ch.encode(ENCODING))
        if used + n > max_bytes:
            break
        out.append(ch)
        used += n
    return "".join(out)
