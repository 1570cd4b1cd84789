"""A flight recorder per driver: the last frames on the wire, kept for a fault.

Like Klipper's ``serialhdl.dump_debug``: every driver records each chunk it
sends and receives into a small ring buffer; when something goes wrong (a
timeout, a run of CRC errors, a device going silent) the driver dumps it,
decoded, to its log, so the technician sees the last exchange without having
had tracing on. Recording costs one tuple append, so it is always on.

Reader drivers carry card and ID numbers: they call ``record(..., redact=True)``
and only the length and the note are kept, never the bytes.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal

Direction = Literal["rx", "tx"]


@dataclass(frozen=True, slots=True)
class Record:
    """One recorded chunk. ``data`` is empty and ``redacted`` set for secrets."""

    t: float
    direction: Direction
    data: bytes
    note: str = ""
    redacted: bool = False
    length: int = 0


def hexdump(data: bytes) -> str:
    """Space-separated upper-case hex, the way a technician reads a trace."""
    return data.hex(" ").upper()


class FlightRecorder:
    """Ring buffer of ``(t, direction, bytes, note)``, thread-safe."""

    def __init__(
        self,
        name: str,
        size: int = 256,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if size <= 0:
            raise ValueError("size must be positive")
        self.name = name
        self.size = size
        self._clock = clock
        self._ring: deque[Record] = deque(maxlen=size)
        self._lock = threading.Lock()

    def record(
        self, direction: Direction, data: bytes, note: str = "", *, redact: bool = False
    ) -> None:
        """Keep one chunk; with ``redact`` keep only its length and the note."""
        rec = Record(
            t=self._clock(),
            direction=direction,
            data=b"" if redact else bytes(data),
            note=note,
            redacted=redact,
            length=len(data),
        )
        with self._lock:
            self._ring.append(rec)

    def note(self, text: str) -> None:
        """Record an event without bytes (state change, retry, timeout)."""
        with self._lock:
            self._ring.append(Record(t=self._clock(), direction="rx", data=b"", note=text))

    def __len__(self) -> int:
        with self._lock:
            return len(self._ring)

    def __iter__(self) -> Iterator[Record]:
        return iter(self.records())

    def records(self) -> list[Record]:
        """A snapshot copy, oldest first."""
        with self._lock:
            return list(self._ring)

    def clear(self) -> None:
        with self._lock:
            self._ring.clear()

    def dump(self, decode: Callable[[bytes], str] | None = None) -> list[str]:
        """Render every record as one line; ``decode`` adds a readable form.

        A decoder that raises does not lose the dump: its error is shown in
        place of the decoded text, since a fault dump is often about bad bytes.
        """
        lines: list[str] = []
        recs = self.records()
        t0 = recs[0].t if recs else 0.0
        for rec in recs:
            head = f"{self.name} +{rec.t - t0:10.6f}s {rec.direction}"
            if rec.redacted:
                body = f"<redacted {rec.length} bytes>"
            elif rec.data:
                body = f"[{len(rec.data)}] {hexdump(rec.data)}"
                if decode is not None:
                    try:
                        body += f" => {decode(rec.data)}"
                    except Exception as exc:  # a fault dump must survive bad bytes
                        body += f" => <undecodable: {exc}>"
            else:
                body = "-"
            if rec.note:
                body += f"  # {rec.note}"
            lines.append(f"{head} {body}")
        return lines

    def dump_to(
        self,
        logger: logging.Logger,
        decode: Callable[[bytes], str] | None = None,
        *,
        level: int = logging.WARNING,
        reason: str = "fault",
    ) -> None:
        """Write the dump to ``logger`` as one block, headed by ``reason``."""
        lines = self.dump(decode)
        logger.log(
            level,
            "%s: flight recorder dump (%s, %d records)\n%s",
            self.name,
            reason,
            len(lines),
            "\n".join(lines),
        )
