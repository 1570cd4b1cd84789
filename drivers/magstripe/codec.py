"""ISO 7813 magnetic-stripe tracks 1 and 2 as a serial reader sends them.

Pure: bytes in, typed swipes out, and the reverse for the simulator. No
``serial`` import, no clock. The frame layout is in ``PROTOCOL.md`` beside
this file. A swipe is one line: track segments each framed by a start
sentinel (``%`` track 1, ``;`` track 2) and the end sentinel ``?``,
optionally followed by the track's LRC character, and ended by CR or LF.

The decoded :class:`Track1`/:class:`Track2` hold the clear card number: they
must stay inside the driver, which hashes them at once. Their ``repr`` hides
the number, the name and the discretionary data, so that even a stray
``logger.debug("%r", swipe)`` leaks nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from drivers.errors import FrameError
from drivers.readercodec import take_lines, xor_fold

T1_START = "%"
T2_START = ";"
T3_START = "+"
END = "?"
T1_SEP = "^"
T2_SEP = "="

T1_MAX = 79
"""Track 1 holds at most 79 characters including sentinels and LRC."""
T2_MAX = 40
"""Track 2 holds at most 40 characters including sentinels and LRC."""
T3_MAX = 107
PAN_MAX = 19
NAME_MIN, NAME_MAX = 2, 26

MAX_LINE = 256
"""Longest line a reader can send for one swipe (three tracks with sentinels)."""

_T1_CHARS = frozenset(chr(c) for c in range(0x20, 0x60))
_T2_CHARS = frozenset(chr(c) for c in range(0x30, 0x40))
_DIGITS = frozenset("0123456789")


_T1_CODE = bytes((c - 0x20) & 0x3F for c in range(256))
_T2_CODE = bytes((c - 0x30) & 0x0F for c in range(256))


def lrc_track1(chars: str) -> str:
    """LRC of a track 1 string including sentinels: XOR of the 6-bit codes."""
    return chr(0x20 + xor_fold(chars.encode("latin-1").translate(_T1_CODE)))


def lrc_track2(chars: str) -> str:
    """LRC of a track 2 string including sentinels: XOR of the 4-bit codes."""
    return chr(0x30 + xor_fold(chars.encode("latin-1").translate(_T2_CODE)))


@dataclass(frozen=True, slots=True)
class Track1:
    """Track 1, format code B (IATA, alphanumeric): number, name, expiry, service."""

    pan: str = field(repr=False)
    name: str = field(repr=False)
    expiry: str
    service_code: str
    discretionary: str = field(default="", repr=False)


@dataclass(frozen=True, slots=True)
class Track2:
    """Track 2 (ABA, numeric): number, expiry, service code, discretionary data."""

    pan: str = field(repr=False)
    expiry: str
    service_code: str
    discretionary: str = field(default="", repr=False)


@dataclass(frozen=True, slots=True)
class Swipe:
    """One swipe with at least one good track; ``pan`` is the card number.

    ``problems`` lists tracks that were present but unreadable (for a log
    line and a health counter); they do not spoil the good track.
    """

    track1: Track1 | None
    track2: Track2 | None
    problems: tuple[str, ...] = ()

    @property
    def pan(self) -> str:
        """Track 2 first: numeric with a 4-bit code, it is the sturdier track."""
        if self.track2 is not None:
            return self.track2.pan
        assert self.track1 is not None
        return self.track1.pan


@dataclass(frozen=True, slots=True)
class BadSwipe:
    """A line that looked like a swipe but gave no usable card number.

    ``reason`` is a short token safe to log (never any track content).
    """

    reason: str


Message = Swipe | BadSwipe


class TrackError(FrameError):
    """A single track is malformed; ``reason`` is a short loggable token, never card data."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)


def _split_date_service(rest: str, sep: str) -> tuple[str, str, str]:
    """Expiry (YYMM) and service code, each replaced by the separator if absent."""
    if rest.startswith(sep):
        expiry, rest = "", rest[1:]
    else:
        expiry, rest = rest[:4], rest[4:]
        if len(expiry) != 4 or not _DIGITS.issuperset(expiry):
            raise TrackError("expiry")
    if rest.startswith(sep):
        service, rest = "", rest[1:]
    else:
        service, rest = rest[:3], rest[3:]
        if len(service) != 3 or not _DIGITS.issuperset(service):
            raise TrackError("service-code")
    return expiry, service, rest


def _check_pan(pan: str) -> None:
    if not pan or len(pan) > PAN_MAX or not _DIGITS.issuperset(pan):
        raise TrackError("pan")


def parse_track1(data: str) -> Track1:
    """Parse track 1 content between ``%`` and ``?`` (format code first)."""
    if not data or data[0] != "B":
        raise TrackError("format-code")
    parts = data[1:].split(T1_SEP, 2)
    if len(parts) != 3:
        raise TrackError("separator")
    pan, name, rest = parts
    _check_pan(pan)
    if not NAME_MIN <= len(name) <= NAME_MAX:
        raise TrackError("name")
    expiry, service, disc = _split_date_service(rest, T1_SEP)
    return Track1(pan, name, expiry, service, disc)


def parse_track2(data: str) -> Track2:
    """Parse track 2 content between ``;`` and ``?``."""
    pan, sep, rest = data.partition(T2_SEP)
    if not sep:
        raise TrackError("separator")
    _check_pan(pan)
    expiry, service, disc = _split_date_service(rest, T2_SEP)
    if not _DIGITS.issuperset(disc):
        raise TrackError("discretionary")
    return Track2(pan, expiry, service, disc)


def parse_line(line: bytes, *, lrc: bool = False) -> Message | None:
    """One reader line to a message; ``None`` for a line with no sentinel (noise).

    Bytes before the first start sentinel are dropped (line noise after a
    replug); after it, the line must be a run of well-framed track segments.
    """
    text = line.decode("latin-1")
    starts = [i for i in (text.find(T1_START), text.find(T2_START)) if i >= 0]
    if not starts:
        return None
    pos = min(starts)
    t1: Track1 | None = None
    t2: Track2 | None = None
    problems: list[str] = []
    seen: set[str] = set()
    while pos < len(text):
        start = text[pos]
        if start not in (T1_START, T2_START, T3_START):
            return BadSwipe("framing")
        end = text.find(END, pos + 1)
        if end < 0:
            return BadSwipe("no-end-sentinel")
        segment = text[pos : end + 1]
        nxt = end + 1
        if start in seen:
            return BadSwipe("repeated-track")
        seen.add(start)
        if lrc:
            if nxt >= len(text):
                return BadSwipe("no-lrc")
            given = text[nxt]
            nxt += 1
        body = segment[1:-1]
        pos = nxt
        if start == T3_START:
            continue  # track 3 (ISO 4909) is not used for identification
        label = "track1" if start == T1_START else "track2"
        if body == "E":  # the reader's own "could not read this track"
            problems.append(f"{label}:unreadable")
            continue
        try:
            if start == T1_START:
                if len(segment) + lrc > T1_MAX or not _T1_CHARS.issuperset(body):
                    raise TrackError("charset-or-length")
                if lrc and given != lrc_track1(segment):
                    raise TrackError("lrc")
                t1 = parse_track1(body)
            else:
                if len(segment) + lrc > T2_MAX or not _T2_CHARS.issuperset(body):
                    raise TrackError("charset-or-length")
                if lrc and given != lrc_track2(segment):
                    raise TrackError("lrc")
                t2 = parse_track2(body)
        except TrackError as exc:
            problems.append(f"{label}:{exc.reason}")
    if t1 is None and t2 is None:
        return BadSwipe(",".join(problems) or "no-track")
    if t1 is not None and t2 is not None and t1.pan != t2.pan:
        return BadSwipe("pan-mismatch")
    return Swipe(t1, t2, tuple(problems))


class Decoder:
    """Incremental: feed any chunking of the reader's bytes, get whole swipes.

    Never raises on input. A line longer than any swipe can be is cut back to
    its last start sentinel, so garbage without line ends cannot grow the
    buffer and a real swipe after it is still found.
    """

    def __init__(self, *, lrc: bool = False) -> None:
        self.lrc = lrc
        self._buf = bytearray()
        self.dropped = 0
        """Bytes thrown away while resynchronising (a health figure)."""

    @property
    def pending(self) -> int:
        """Bytes held back waiting for the rest of a frame (bounded: the fuzz tests watch it)."""
        return len(self._buf)

    def feed(self, data: bytes) -> list[Message]:
        buf = self._buf
        buf += data
        out: list[Message] = []
        for line in take_lines(buf):
            if len(line) > MAX_LINE:
                self.dropped += len(line)
                out.append(BadSwipe("too-long"))
                continue
            msg = parse_line(line, lrc=self.lrc)
            if msg is None:
                self.dropped += len(line)
            else:
                out.append(msg)
        if len(buf) > MAX_LINE:
            cut = max(buf.rfind(b"%"), buf.rfind(b";"))
            if cut <= 0 or len(buf) - cut > MAX_LINE:
                cut = len(buf)
            self.dropped += cut
            del buf[:cut]
        return out

    def reset(self) -> None:
        """Forget a partial line (after a replug, its start is gone for good)."""
        self._buf.clear()


def encode_track1(
    pan: str, name: str, expiry: str = "", service_code: str = "", discretionary: str = ""
) -> str:
    """Track 1 content (no sentinels), format code B."""
    exp = expiry if expiry else T1_SEP
    svc = service_code if service_code else T1_SEP
    return f"B{pan}{T1_SEP}{name}{T1_SEP}{exp}{svc}{discretionary}"


def encode_track2(
    pan: str, expiry: str = "", service_code: str = "", discretionary: str = ""
) -> str:
    """Track 2 content (no sentinels)."""
    exp = expiry if expiry else T2_SEP
    svc = service_code if service_code else T2_SEP
    return f"{pan}{T2_SEP}{exp}{svc}{discretionary}"


def encode_swipe(
    track1: str | None,
    track2: str | None,
    *,
    lrc: bool = False,
    track1_unreadable: bool = False,
    track2_unreadable: bool = False,
    terminator: bytes = b"\r",
) -> bytes:
    """The bytes a serial reader sends for one swipe (the simulator's side).

    ``track1``/``track2`` are contents without sentinels; ``None`` leaves a
    track out; ``*_unreadable`` sends the reader's ``E`` error marker instead.
    """
    parts: list[str] = []
    for start, content, bad, lrc_fn in (
        (T1_START, track1, track1_unreadable, lrc_track1),
        (T2_START, track2, track2_unreadable, lrc_track2),
    ):
        if bad:
            seg = f"{start}E{END}"
        elif content is None:
            continue
        else:
            seg = f"{start}{content}{END}"
        parts.append(seg + (lrc_fn(seg) if lrc else ""))
    return "".join(parts).encode("latin-1") + terminator
