"""An incremental ESC/POS stream parser: bytes in, typed operations out.

The printer simulator uses it to find real-time status queries and cuts in
the byte stream without being fooled by the same bytes inside raster image
or QR data, and the preview renderer uses it to draw a ticket. It is a pure
codec: no I/O, never raises on bad input (a malformed or oversized command
becomes an ``invalid`` operation and parsing resynchronises one byte later),
and it is fuzzed with random and mutated streams.

Fixed-length commands are a table (``FIXED``); the few variable-length ones
(raster images, ``GS ( x`` function blocks, cut, barcodes) are parsed by
their own length fields. The subset lobbyq emits is listed in PROTOCOL.md.
"""

from __future__ import annotations

from typing import NamedTuple

ESC, GS, FS, DLE = 0x1B, 0x1D, 0x1C, 0x10
EOT, ENQ, DC4 = 0x04, 0x05, 0x14

#: Longest command body accepted; a raster line of a whole 80 mm ticket is
#: about 200 KiB, so anything beyond this is noise, not a command.
MAX_COMMAND_BYTES = 1 << 20

#: (prefix, command byte) -> (operation name, number of parameter bytes)
FIXED: dict[tuple[int, int], tuple[str, int]] = {
    (ESC, ord("@")): ("init", 0),
    (ESC, ord("!")): ("print_mode", 1),
    (ESC, ord("E")): ("bold", 1),
    (ESC, ord("G")): ("double_strike", 1),
    (ESC, ord("-")): ("underline", 1),
    (ESC, ord("a")): ("align", 1),
    (ESC, ord("t")): ("codepage", 1),
    (ESC, ord("R")): ("charset", 1),
    (ESC, ord("d")): ("feed_lines", 1),
    (ESC, ord("J")): ("feed_dots", 1),
    (ESC, ord("e")): ("feed_reverse", 1),
    (ESC, ord("2")): ("line_spacing_default", 0),
    (ESC, ord("3")): ("line_spacing", 1),
    (ESC, ord("M")): ("font", 1),
    (ESC, ord("{")): ("upside_down", 1),
    (ESC, ord("V")): ("rotate", 1),
    (ESC, ord(" ")): ("char_spacing", 1),
    (ESC, ord("$")): ("abs_position", 2),
    (ESC, ord("\\")): ("rel_position", 2),
    (ESC, ord("p")): ("drawer_pulse", 3),
    (ESC, ord("c")): ("panel", 2),
    (ESC, ord("r")): ("color", 1),
    (ESC, ord("U")): ("unidirectional", 1),
    (ESC, ord("i")): ("cut_legacy", 0),
    (ESC, ord("m")): ("cut_legacy", 0),
    (ESC, ord("B")): ("buzzer", 2),
    (GS, ord("!")): ("size", 1),
    (GS, ord("B")): ("invert", 1),
    (GS, ord("b")): ("smoothing", 1),
    (GS, ord("H")): ("hri_position", 1),
    (GS, ord("f")): ("hri_font", 1),
    (GS, ord("h")): ("barcode_height", 1),
    (GS, ord("w")): ("barcode_width", 1),
    (GS, ord("L")): ("left_margin", 2),
    (GS, ord("W")): ("print_width", 2),
    (GS, ord("a")): ("auto_status", 1),
    (GS, ord("r")): ("transmit_status", 1),
    (GS, ord("I")): ("printer_id", 1),
    (FS, ord("&")): ("chinese_on", 0),
    (FS, ord(".")): ("chinese_off", 0),
    (FS, ord("!")): ("kanji_mode", 1),
    (FS, ord("-")): ("kanji_underline", 1),
    (FS, ord("W")): ("kanji_quad", 1),
    (FS, ord("C")): ("kanji_code", 1),
    (FS, ord("S")): ("kanji_spacing", 2),
    (FS, ord("p")): ("nv_image", 2),
    (DLE, EOT): ("status_query", 1),
    (DLE, ENQ): ("realtime_request", 1),
    (DLE, DC4): ("realtime_command", 3),
}

_CUT_WITH_FEED = frozenset((65, 66, 97, 98, 103, 104))


class Op(NamedTuple):
    """One parsed operation.

    ``arg`` is the first parameter byte (or the cut mode, QR function...),
    ``params`` all fixed parameter bytes, ``data`` a command's payload or a
    run of text bytes; ``raw`` is the operation's bytes exactly as received.
    A named tuple rather than a dataclass: the simulator and the fuzzer make
    millions of them, and a tuple is the cheapest immutable record.
    """

    name: str
    arg: int = 0
    params: bytes = b""
    data: bytes = b""
    raw: bytes = b""


class _Incomplete(Exception):
    """More bytes are needed to finish the command at the cursor."""


class StreamParser:
    """Feed it chunks as they arrive; it returns the operations completed so far."""

    def __init__(self) -> None:
        self._buf = bytearray()

    @property
    def pending(self) -> int:
        """Bytes held back waiting for the rest of a command."""
        return len(self._buf)

    def feed(self, chunk: bytes) -> list[Op]:
        self._buf += chunk
        ops: list[Op] = []
        pos = 0
        buf = bytes(self._buf)
        n = len(buf)
        while pos < n:
            try:
                op, pos = _parse_one(buf, pos)
            except _Incomplete:
                break
            ops.append(op)
        del self._buf[:pos]
        return ops

    def finish(self) -> list[Op]:
        """End of stream: whatever is left is a truncated command."""
        ops: list[Op] = []
        while self._buf:
            ops.append(Op("invalid", data=bytes(self._buf[:1]), raw=bytes(self._buf[:1])))
            del self._buf[:1]
            ops.extend(self.feed(b""))
        return ops


def parse(data: bytes) -> list[Op]:
    """Parse a whole stream (a ticket file); never raises."""
    parser = StreamParser()
    return parser.feed(data) + parser.finish()


def _need(buf: bytes, end: int) -> None:
    if end > len(buf):
        raise _Incomplete


def _parse_one(buf: bytes, pos: int) -> tuple[Op, int]:
    b = buf[pos]
    if b >= 0x20:
        end = pos + 1
        n = len(buf)
        while end < n and buf[end] >= 0x20:
            end += 1
        return Op("text", data=buf[pos:end], raw=buf[pos:end]), end
    if b in (ESC, GS, FS, DLE):
        _need(buf, pos + 2)
        return _parse_command(buf, pos)
    name = {0x0A: "lf", 0x0D: "cr", 0x09: "ht", 0x0C: "ff"}.get(b, "control")
    return Op(name, arg=b, raw=buf[pos : pos + 1]), pos + 1


def _invalid(buf: bytes, pos: int) -> tuple[Op, int]:
    return Op("invalid", data=buf[pos : pos + 1], raw=buf[pos : pos + 1]), pos + 1


def _parse_command(buf: bytes, pos: int) -> tuple[Op, int]:
    prefix, cmd = buf[pos], buf[pos + 1]
    fixed = FIXED.get((prefix, cmd))
    if fixed is not None:
        name, nparams = fixed
        end = pos + 2 + nparams
        _need(buf, end)
        params = buf[pos + 2 : end]
        return Op(name, arg=params[0] if params else 0, params=params, raw=buf[pos:end]), end
    if prefix == GS and cmd == ord("V"):
        _need(buf, pos + 3)
        mode = buf[pos + 2]
        end = pos + 4 if mode in _CUT_WITH_FEED else pos + 3
        _need(buf, end)
        return Op("cut", arg=mode, params=buf[pos + 2 : end], raw=buf[pos:end]), end
    if prefix == GS and cmd == ord("v"):
        _need(buf, pos + 8)
        if buf[pos + 2] not in (0, 48):
            return _invalid(buf, pos)
        xbytes = buf[pos + 4] | buf[pos + 5] << 8
        rows = buf[pos + 6] | buf[pos + 7] << 8
        size = xbytes * rows
        if size > MAX_COMMAND_BYTES:
            return _invalid(buf, pos)
        end = pos + 8 + size
        _need(buf, end)
        return (
            Op(
                "raster",
                arg=buf[pos + 3],
                params=buf[pos + 4 : pos + 8],
                data=buf[pos + 8 : end],
                raw=buf[pos:end],
            ),
            end,
        )
    if prefix == GS and cmd == ord("("):
        _need(buf, pos + 5)
        fn_class = buf[pos + 2]
        size = buf[pos + 3] | buf[pos + 4] << 8
        end = pos + 5 + size
        _need(buf, end)
        name = {ord("k"): "code2d", ord("L"): "graphics"}.get(fn_class, "function")
        return Op(name, arg=fn_class, data=buf[pos + 5 : end], raw=buf[pos:end]), end
    if prefix == GS and cmd == ord("8"):
        _need(buf, pos + 7)
        if buf[pos + 2] != ord("L"):
            return _invalid(buf, pos)
        size = int.from_bytes(buf[pos + 3 : pos + 7], "little")
        if size > MAX_COMMAND_BYTES:
            return _invalid(buf, pos)
        end = pos + 7 + size
        _need(buf, end)
        return Op("graphics", arg=ord("L"), data=buf[pos + 7 : end], raw=buf[pos:end]), end
    if prefix == ESC and cmd == ord("*"):
        _need(buf, pos + 5)
        mode = buf[pos + 2]
        columns = buf[pos + 3] | buf[pos + 4] << 8
        end = pos + 5 + columns * (3 if mode in (32, 33) else 1)
        _need(buf, end)
        return Op("bit_image", arg=mode, data=buf[pos + 5 : end], raw=buf[pos:end]), end
    if prefix == GS and cmd == ord("k"):
        _need(buf, pos + 3)
        system = buf[pos + 2]
        if system <= 6:  # data ends with NUL
            nul = buf.find(b"\x00", pos + 3, pos + 3 + 256)
            if nul < 0:
                if len(buf) - (pos + 3) >= 256:
                    return _invalid(buf, pos)
                raise _Incomplete
            return Op(
                "barcode", arg=system, data=buf[pos + 3 : nul], raw=buf[pos : nul + 1]
            ), nul + 1
        _need(buf, pos + 4)
        end = pos + 4 + buf[pos + 3]
        _need(buf, end)
        return Op("barcode", arg=system, data=buf[pos + 4 : end], raw=buf[pos:end]), end
    return _invalid(buf, pos)


def status_queries(ops: list[Op]) -> list[int]:
    """The ``n`` of every DLE EOT query among ``ops`` (the simulator answers these)."""
    return [op.arg for op in ops if op.name == "status_query"]


def describe(data: bytes) -> str:
    """A compact reading of a chunk for the flight recorder dump."""
    parts: list[str] = []
    for op in parse(data):
        if op.name == "text":
            parts.append(f"text[{len(op.data)}]")
        elif op.data:
            parts.append(f"{op.name}({op.arg})[{len(op.data)}]")
        else:
            parts.append(f"{op.name}({op.arg})" if op.params else op.name)
    return " ".join(parts)
