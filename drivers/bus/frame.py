"""Counter bus framing: a length-checked frame with a sync byte and CRC-16.

::

    +------+------+-----+-----+-----+-------------+-----------+
    | 0xA5 | ADDR | CMD | SEQ | LEN | PAYLOAD     | CRC16 (BE)|
    +------+------+-----+-----+-----+-------------+-----------+
      1      1      1     1     1     LEN <= 250     2

The CRC (CRC-16/CCITT-FALSE) covers ADDR through the end of PAYLOAD. Length
framing (as in Klipper's ``msgproto``) rather than byte stuffing keeps frames
a fixed 7 bytes longer than their payload; the decoder re-synchronises after
noise by dropping one byte and searching for the next 0xA5, so a good frame
after garbage is still found. Pure: no I/O, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass

from drivers.bus.codes import FROM_DEVICE, Cmd
from drivers.bus.crc import crc16
from drivers.errors import FrameError

SYNC = 0xA5
HEADER_LEN = 5  # SYNC ADDR CMD SEQ LEN
TRAILER_LEN = 2
OVERHEAD = HEADER_LEN + TRAILER_LEN
MAX_PAYLOAD = 250
MAX_FRAME = OVERHEAD + MAX_PAYLOAD


@dataclass(frozen=True, slots=True)
class Frame:
    """One bus frame. ``cmd`` is kept as an int so unknown commands survive decoding."""

    addr: int
    cmd: int
    seq: int
    payload: bytes = b""

    @property
    def from_device(self) -> bool:
        return bool(self.cmd & FROM_DEVICE)

    def describe(self) -> str:
        """Human form for logs and flight-recorder dumps."""
        try:
            name = Cmd(self.cmd).name
        except ValueError:
            name = f"0x{self.cmd:02X}"
        body = self.payload.hex(" ").upper() if self.payload else "-"
        return f"@{self.addr:02X} {name} seq={self.seq} [{body}]"


def encode_frame(frame: Frame) -> bytes:
    """Frame to wire bytes; ValueError for out-of-range fields (a host bug)."""
    if not 0 <= frame.addr <= 0xFF or not 0 <= frame.cmd <= 0xFF or not 0 <= frame.seq <= 0xFF:
        raise ValueError(f"field out of range in {frame!r}")
    if len(frame.payload) > MAX_PAYLOAD:
        raise ValueError(f"payload of {len(frame.payload)} bytes exceeds {MAX_PAYLOAD}")
    body = bytes((frame.addr, frame.cmd, frame.seq, len(frame.payload))) + frame.payload
    crc = crc16(body)
    return bytes((SYNC,)) + body + bytes((crc >> 8, crc & 0xFF))


def encode(addr: int, cmd: int, seq: int, payload: bytes = b"") -> bytes:
    """Shorthand for ``encode_frame(Frame(...))``."""
    return encode_frame(Frame(addr, cmd, seq, payload))


def decode_frame(data: bytes) -> Frame:
    """Exactly one frame from ``data``; ``FrameError`` if it is not one."""
    if len(data) < OVERHEAD:
        raise FrameError("short", f"{len(data)} bytes", data)
    if data[0] != SYNC:
        raise FrameError("sync", f"first byte 0x{data[0]:02X}", data)
    length = data[4]
    if length > MAX_PAYLOAD:
        raise FrameError("length", f"LEN {length} > {MAX_PAYLOAD}", data)
    if len(data) != OVERHEAD + length:
        raise FrameError("length", f"LEN {length} but {len(data)} bytes", data)
    end = HEADER_LEN + length
    want = (data[end] << 8) | data[end + 1]
    got = crc16(data[1:end])
    if want != got:
        raise FrameError("crc", f"0x{got:04X} != 0x{want:04X}", data)
    return Frame(data[1], data[2], data[3], bytes(data[HEADER_LEN:end]))


class FrameDecoder:
    """Streaming decoder: feed chunks as they arrive, get whole frames back.

    Never raises on input: bad bytes are counted per reason in ``errors`` and
    skipped. The buffer never holds more than one maximal frame plus a chunk.
    """

    def __init__(self) -> None:
        self._buf = bytearray()
        self.errors: dict[str, int] = {}
        self.frames = 0

    def _error(self, reason: str) -> None:
        self.errors[reason] = self.errors.get(reason, 0) + 1

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    def reset(self) -> None:
        """Forget a partial frame (after a reconnect the old bytes mean nothing)."""
        self._buf.clear()

    def _complete_frame_after(self, start: int) -> int:
        """Index of the first complete CRC-valid frame at or after ``start``, or -1."""
        buf = self._buf
        pos = buf.find(SYNC, start)
        while pos >= 0:
            if len(buf) - pos < OVERHEAD:
                return -1
            length = buf[pos + 4]
            end = pos + HEADER_LEN + length
            if length <= MAX_PAYLOAD and end + TRAILER_LEN <= len(buf):
                want = (buf[end] << 8) | buf[end + 1]
                if crc16(buf[pos + 1 : end]) == want:
                    return pos
            pos = buf.find(SYNC, pos + 1)
        return -1

    def feed(self, data: bytes) -> list[Frame]:
        buf = self._buf
        buf += data
        out: list[Frame] = []
        while buf:
            start = buf.find(SYNC)
            if start < 0:
                self._error("noise")
                buf.clear()
                break
            if start > 0:
                self._error("noise")
                del buf[:start]
            if len(buf) < HEADER_LEN:
                break
            length = buf[4]
            if length > MAX_PAYLOAD:
                self._error("length")
                del buf[0]
                continue
            total = OVERHEAD + length
            if len(buf) < total:
                # A noise 0xA5 with a large LEN would hold back a real frame
                # behind it until more bytes came, which on a quiet bus could
                # be never: if a complete valid frame starts later, skip to it.
                later = self._complete_frame_after(1)
                if later < 0:
                    break
                self._error("noise")
                del buf[:later]
                continue
            end = HEADER_LEN + length
            want = (buf[end] << 8) | buf[end + 1]
            if crc16(buf[1:end]) != want:
                self._error("crc")
                del buf[0]
                continue
            out.append(Frame(buf[1], buf[2], buf[3], bytes(buf[HEADER_LEN:end])))
            del buf[:total]
        self.frames += len(out)
        return out


def describe_bytes(data: bytes) -> str:
    """Frames found in a chunk, for flight-recorder dumps (partial chunks show less)."""
    dec = FrameDecoder()
    frames = dec.feed(data)
    parts = [f.describe() for f in frames]
    if dec.error_count:
        parts.append(f"<{dec.error_count} bad: {', '.join(sorted(dec.errors))}>")
    return "; ".join(parts) if parts else "<partial>"
