"""QR/barcode scanners in serial (virtual COM) mode: one decoded code per line.

Pure: bytes in, typed scans out, and the reverse for the simulator. The
scanner sends the code's text followed by CR, LF or CR LF (its "suffix"
setting); ``PROTOCOL.md`` beside this file tables it, with the appointment
reference format the kiosk accepts.

Scanners are configured for UTF-8 output; codes printed by the branch's
booking system are ASCII anyway. A line that is not UTF-8 (a scanner left on
a GBK code page, or line noise) is reported as a bad scan, not guessed at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from drivers.readercodec import take_lines

MAX_LINE = 2048
"""Longer than any QR code a phone screen shows for an appointment."""

APPOINTMENT_PREFIX = "LQA:"
_REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{3,63}")


@dataclass(frozen=True, slots=True)
class Scan:
    """One decoded code, as text."""

    text: str

    def __repr__(self) -> str:
        # A code may be anything a customer holds up (a payment code, a
        # health code): say how long it was, not what it said.
        return f"Scan(<{len(self.text)} chars>)"


@dataclass(frozen=True, slots=True)
class BadScan:
    """A line that is not a usable code; ``reason`` is a loggable token."""

    reason: str


Message = Scan | BadScan


def appointment_ref(text: str) -> str | None:
    """The appointment reference in a scanned code, or ``None`` if it is not one.

    Accepted: ``LQA:<ref>`` as printed by the booking system, or a bare
    ``<ref>`` typed as a barcode (letters, digits, ``-`` and ``_``, 4 to 64
    characters, starting with a letter or digit). Anything else (a URL, a
    payment code) is someone else's code and is not an appointment.
    """
    value = text.strip()
    if value[: len(APPOINTMENT_PREFIX)].upper() == APPOINTMENT_PREFIX:
        value = value[len(APPOINTMENT_PREFIX) :]
    if _REF.fullmatch(value) is None:
        return None
    return value.upper()


class Decoder:
    """Incremental line splitter; never raises on input.

    A line longer than :data:`MAX_LINE` is thrown away up to its end, so a
    scanner stuck sending noise cannot grow memory, and the next good line
    is still read.
    """

    def __init__(self) -> None:
        self._buf = bytearray()
        self._overflow = False
        self.dropped = 0

    @property
    def pending(self) -> int:
        """Bytes held back waiting for the rest of a frame (bounded: the fuzz tests watch it)."""
        return len(self._buf)

    def reset(self) -> None:
        self._buf.clear()
        self._overflow = False

    def feed(self, data: bytes) -> list[Message]:
        buf = self._buf
        buf += data
        out: list[Message] = []
        for line in take_lines(buf):
            if self._overflow:
                self._overflow = False
                self.dropped += len(line)
                out.append(BadScan("too-long"))
                continue
            msg = parse_line(line)
            if msg is not None:
                out.append(msg)
        if len(buf) > MAX_LINE:
            self.dropped += len(buf)
            buf.clear()
            self._overflow = True
        return out


def parse_line(line: bytes) -> Message | None:
    """One scanner line to a message; ``None`` for an empty line (CR LF)."""
    if not line:
        return None
    if len(line) > MAX_LINE:
        return BadScan("too-long")
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        return BadScan("encoding")
    if not text.isprintable():
        return BadScan("control-characters")
    return Scan(text)


def encode_scan(text: str, terminator: bytes = b"\r\n") -> bytes:
    """The bytes a scanner sends for one code (the simulator's side)."""
    if "\r" in text or "\n" in text:
        raise ValueError("a scanned code cannot contain a line end")
    return text.encode("utf-8") + terminator
