"""Pure decoding of the four DLE EOT real-time status answers.

A thermal printer answers ``DLE EOT n`` (``10 04 n``) with one byte, even
while it is offline, printing or out of paper. Every answer byte has bit 1
and bit 4 set and bits 0 and 7 clear, so ``byte & 0x93 == 0x12`` tells an
answer from noise on the line. The meaning of the other bits (Epson ESC/POS,
followed by the common Chinese thermal printers):

| n | bit | set means |
|---|-----|-----------|
| 1 printer | 2 | drawer kick-out connector pin 3 high |
| 1 printer | 3 | **offline** |
| 1 printer | 5 | waiting for online recovery |
| 1 printer | 6 | paper feed button pressed |
| 2 offline cause | 2 | **cover open** |
| 2 offline cause | 3 | paper being fed by the feed button |
| 2 offline cause | 5 | **printing stopped: paper end** |
| 2 offline cause | 6 | **error occurred** |
| 3 error cause | 2 | recoverable (mechanical) error |
| 3 error cause | 3 | **autocutter error** |
| 3 error cause | 5 | unrecoverable error |
| 3 error cause | 6 | auto-recoverable error (head temperature) |
| 4 roll paper | 2+3 | **paper near end** |
| 4 roll paper | 5+6 | **paper end** |

A printer that does not answer at all is *offline*, never "paper plenty":
python-escpos' ``paper_status()`` reports 2 (plenty) on silence, which is why
this module exists. ``PrinterStatus.silent()`` is what the driver returns then,
with paper ``"unknown"``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, IntFlag
from typing import Literal

from drivers.errors import FrameError

Paper = Literal["ok", "near_end", "out", "unknown"]

ANSWER_MASK = 0x93
ANSWER_FIXED = 0x12


class StatusQuery(IntEnum):
    """The ``n`` of ``DLE EOT n``: which status byte is asked for."""

    PRINTER = 1
    OFFLINE_CAUSE = 2
    ERROR_CAUSE = 3
    ROLL_PAPER = 4


class PrinterBit(IntFlag):
    """Answer to DLE EOT 1."""

    DRAWER = 0x04
    OFFLINE = 0x08
    WAIT_RECOVERY = 0x20
    FEED_BUTTON = 0x40


class OfflineBit(IntFlag):
    """Answer to DLE EOT 2."""

    COVER_OPEN = 0x04
    FEEDING = 0x08
    PAPER_END_STOP = 0x20
    ERROR = 0x40


class ErrorBit(IntFlag):
    """Answer to DLE EOT 3."""

    MECHANICAL = 0x04
    AUTOCUTTER = 0x08
    UNRECOVERABLE = 0x20
    AUTO_RECOVERABLE = 0x40


class RollBit(IntFlag):
    """Answer to DLE EOT 4 (each condition sets two bits)."""

    NEAR_END = 0x0C
    PAPER_END = 0x60


def query(n: StatusQuery | int) -> bytes:
    """The three bytes that ask for status ``n``."""
    return bytes((0x10, 0x04, int(n)))


#: The four queries sent in one write: one round trip for the whole status.
QUERY_ALL = b"".join(query(n) for n in StatusQuery)


def is_answer(byte: int) -> bool:
    """Whether ``byte`` can be a DLE EOT answer (fixed bits right)."""
    return byte & ANSWER_MASK == ANSWER_FIXED


@dataclass(frozen=True, slots=True)
class PrinterStatus:
    """What the kiosk needs to know before and after printing a ticket."""

    online: bool
    paper: Paper
    cover_open: bool
    error: bool
    detail: str = ""

    @property
    def ready(self) -> bool:
        """Whether a ticket can be printed now."""
        return (
            self.online
            and self.paper in ("ok", "near_end")
            and not self.cover_open
            and not self.error
        )

    @classmethod
    def silent(cls, detail: str = "no answer to DLE EOT") -> PrinterStatus:
        """The status of a printer that did not answer: offline, paper unknown."""
        return cls(online=False, paper="unknown", cover_open=False, error=False, detail=detail)


def decode_status(data: bytes) -> PrinterStatus:
    """Decode the four answers to DLE EOT 1, 2, 3, 4 (in that order).

    Raises ``FrameError`` when the length is not 4 or a byte's fixed bits are
    wrong (line noise or a misread): a bad answer must never pass for "ok".
    """
    if len(data) != 4:
        raise FrameError("length", f"expected 4 status bytes, got {len(data)}", bytes(data))
    for i, b in enumerate(data):
        if not is_answer(b):
            raise FrameError("fixed_bits", f"DLE EOT {i + 1} answer 0x{b:02X}", bytes(data))
    printer, offline, error, roll = data
    details: list[str] = []
    cover_open = bool(offline & OfflineBit.COVER_OPEN)
    if roll & RollBit.PAPER_END or offline & OfflineBit.PAPER_END_STOP:
        paper: Paper = "out"
        details.append("paper end")
    elif roll & RollBit.NEAR_END:
        paper = "near_end"
        details.append("paper near end")
    else:
        paper = "ok"
    if cover_open:
        details.append("cover open")
    causes = {
        ErrorBit.MECHANICAL: "mechanical error",
        ErrorBit.AUTOCUTTER: "autocutter error",
        ErrorBit.UNRECOVERABLE: "unrecoverable error",
        ErrorBit.AUTO_RECOVERABLE: "head overheated",
    }
    faults = [text for bit, text in causes.items() if error & bit]
    details.extend(faults)
    is_error = bool(faults) or bool(offline & OfflineBit.ERROR)
    if offline & OfflineBit.ERROR and not faults:
        details.append("error")
    online = not printer & PrinterBit.OFFLINE
    if not online and not details:
        details.append("offline")
    if printer & PrinterBit.WAIT_RECOVERY:
        details.append("waiting for online recovery")
    return PrinterStatus(
        online=online,
        paper=paper,
        cover_open=cover_open,
        error=is_error,
        detail=", ".join(details),
    )


def encode_status(
    *,
    online: bool = True,
    paper: Paper = "ok",
    cover_open: bool = False,
    cutter_error: bool = False,
    unrecoverable: bool = False,
) -> bytes:
    """The four answer bytes a printer in this state sends (the simulator's side).

    Follows what real printers do: paper end and an open cover both take the
    printer offline and set the matching offline-cause bit.
    """
    printer = offline = error = 0
    roll = 0
    if paper == "near_end":
        roll |= RollBit.NEAR_END
    elif paper == "out":
        roll |= RollBit.NEAR_END | RollBit.PAPER_END
        offline |= OfflineBit.PAPER_END_STOP
    if cover_open:
        offline |= OfflineBit.COVER_OPEN
    if cutter_error:
        error |= ErrorBit.AUTOCUTTER
    if unrecoverable:
        error |= ErrorBit.UNRECOVERABLE
    if cutter_error or unrecoverable:
        offline |= OfflineBit.ERROR
    if not online or paper == "out" or cover_open or cutter_error or unrecoverable:
        printer |= PrinterBit.OFFLINE
    return bytes(ANSWER_FIXED | b for b in (printer, offline, error, roll))


def describe(data: bytes) -> str:
    """A one-line reading of status bytes for the flight recorder dump."""
    try:
        st = decode_status(data)
    except FrameError as exc:
        return f"status? {exc}"
    return f"online={st.online} paper={st.paper} cover_open={st.cover_open} error={st.error}"
