"""A decoded live view of a counter bus: every frame, who sent it, and what it says.

The direction is in the frame itself (command bit 7 set: device to host), so
a second RS-485 adapter on the same A/B pair sees the whole conversation
while the app keeps running. The tracer also notices what a technician looks
for: a request that got no reply, the gap since the previous frame, and
noise (bytes that are not a valid frame). Pure: bytes and times in, lines out.

A capture to replay is either raw bytes or the hex dump of a pyserial
``spy://`` URL (``spy:///dev/lobbyq-bus?file=bus-spy.txt`` in a device
file): :func:`read_spy` turns the dump back into timed chunks. Its lines:

| field | example | meaning |
|---|---|---|
| seconds since the port opened | ``0000012.345`` | ``{:010.3f}`` |
| direction | ``TX`` / ``RX`` | host sent / host received; control lines are skipped |
| offset | ``0010`` | of this row within the chunk, hex |
| bytes | ``A5 01 02 ...`` | up to 16, with an extra space after 8, then the ASCII column |
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from drivers.bus.frame import Frame, FrameDecoder
from drivers.bus.messages import decode_message
from drivers.errors import FrameError

_ENUM = re.compile(r"<(\w+\.\w+): [^>]+>")
MAX_DETAIL = 100
_SPY = re.compile(r"^(\d+\.\d{3}) (TX|RX)\s+([0-9A-F]{4})  (.*)$")
_HEX_COLUMNS = 16 * 3 + 1  # "XX " per byte, one extra space after the eighth


def is_spy_dump(data: bytes) -> bool:
    """Whether a capture is a ``spy://`` hex dump rather than raw bytes."""
    head = data[:4096].decode("ascii", "replace").splitlines()
    return any(_SPY.match(line) for line in head[:8])


def read_spy(text: str) -> list[tuple[float, bytes]]:
    """The chunks of a ``spy://`` dump with their times (seconds since the port opened).

    Rows of one chunk (offsets 0000, 0010...) are joined back; lines that are
    not data (control lines, a torn last line) are skipped.
    """
    chunks: list[tuple[float, bytes]] = []
    for line in text.splitlines():
        m = _SPY.match(line)
        if m is None:
            continue
        t, offset, rest = float(m.group(1)), int(m.group(3), 16), m.group(4)
        data = bytes.fromhex(" ".join(re.findall(r"[0-9A-F]{2}", rest[:_HEX_COLUMNS])))
        if offset and chunks:
            chunks[-1] = (chunks[-1][0], chunks[-1][1] + data)
        else:
            chunks.append((t, data))
    return chunks


def summarize(frame: Frame) -> str:
    """The decoded message, short: enum names without values, long payloads cut."""
    try:
        text = _ENUM.sub(r"\1", repr(decode_message(frame)))
    except FrameError as exc:
        return f"(undecodable: {exc})"
    return text if len(text) <= MAX_DETAIL else text[: MAX_DETAIL - 3] + "..."


@dataclass
class Tracer:
    """Feed chunks with their arrival time; get printable lines back."""

    wall: Callable[[], float] = time.time
    hex: bool = False
    max_frames: int | None = None  # --count: frames after this many are not shown
    decoder: FrameDecoder = field(default_factory=FrameDecoder)
    counts: Counter[str] = field(default_factory=Counter)
    unanswered: int = 0
    _last_t: float | None = None
    _pending: Frame | None = None

    def feed(self, chunk: bytes, t: float) -> list[str]:
        lines: list[str] = []
        errors_before = self.decoder.error_count
        frames = self.decoder.feed(chunk)
        bad = self.decoder.error_count - errors_before
        if bad:
            self.counts["bad"] += bad
            reasons = ", ".join(sorted(self.decoder.errors))
            lines.append(f"{self._stamp(t)}  !! {bad} bad byte run(s) on the line ({reasons})")
        for frame in frames:
            lines.extend(self._frame(frame, t))
        return lines

    def _stamp(self, t: float) -> str:
        lt = time.localtime(t)
        return time.strftime("%H:%M:%S", lt) + f".{int((t % 1) * 1000):03d}"

    def _frame(self, frame: Frame, t: float) -> list[str]:
        if self.max_frames is not None and self.frames >= self.max_frames:
            return []
        out: list[str] = []
        gap = "" if self._last_t is None else f"+{(t - self._last_t) * 1000:.1f}ms"
        self._last_t = t
        who = f"@{frame.addr:02X}->host" if frame.from_device else f"host->@{frame.addr:02X}"
        if frame.from_device:
            p = self._pending
            if p is not None and p.addr == frame.addr and p.seq == frame.seq:
                self._pending = None
        else:
            if self._pending is not None and self._pending.addr != 0xFF:
                self.unanswered += 1
                out.append(
                    f"{self._stamp(t)}  !! no reply from @{self._pending.addr:02X} "
                    f"to seq {self._pending.seq}"
                )
            self._pending = frame
        self.counts[who.split("->")[0] if frame.from_device else "host"] += 1
        line = f"{self._stamp(t)} {gap:>9}  {who:<10} {frame.describe().split(' ', 1)[1]}"
        line += f"  {summarize(frame)}"
        if self.hex:
            line += f"  | {frame.payload.hex(' ')}"
        out.append(line)
        return out

    @property
    def frames(self) -> int:
        """Frames seen so far (bad byte runs not counted)."""
        return sum(v for k, v in self.counts.items() if k != "bad")

    def summary(self) -> str:
        frames = sum(v for k, v in self.counts.items() if k != "bad")
        by = ", ".join(f"{k} {v}" for k, v in sorted(self.counts.items()) if k != "bad")
        return (
            f"{frames} frames ({by or 'none'}), {self.counts['bad']} bad byte runs, "
            f"{self.unanswered} requests without reply"
        )
