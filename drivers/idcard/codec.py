"""The serial frame protocol of resident ID card readers (the "SAM" protocol).

Pure: bytes in, typed frames out, and the reverse for the simulator. The
layout, commands, status codes and the 256-byte text block are tabled in
``PROTOCOL.md`` beside this file. Both directions share one framing::

    AA AA AA 96 69 | LEN_HI LEN_LO | payload (LEN-1 bytes) | CHK

where CHK is the XOR of the two length bytes and the payload, so the XOR of
everything after the preamble, checksum included, is zero for a good frame.
A command's payload is ``CMD PARA DATA``; a response's is ``SW1 SW2 SW3 DATA``.

:class:`BaseInfo` holds the holder's clear ID number and personal fields:
it must stay inside the driver, which hashes the number at once. Its
``repr`` hides every personal field, and the photo bytes are not kept at
all (the queue has no use for a face image).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from drivers.errors import FrameError
from drivers.readercodec import xor_fold

PREAMBLE = b"\xaa\xaa\xaa\x96\x69"
HEADER_LEN = len(PREAMBLE) + 2
MAX_LEN = 4096
"""Largest LEN accepted: text + photo + fingerprints is 2314; more is noise."""


class Op(enum.Enum):
    """Commands as (CMD, PARA) pairs."""

    RESET_SAM = (0x10, 0xFF)
    SAM_STATUS = (0x11, 0xFF)
    SAM_ID = (0x12, 0xFF)
    FIND_CARD = (0x20, 0x01)
    SELECT_CARD = (0x20, 0x02)
    READ_BASE = (0x30, 0x01)
    READ_NEW_ADDRESS = (0x30, 0x03)
    READ_BASE_FP = (0x30, 0x10)
    BAUD_115200 = (0x60, 0x00)
    BAUD_57600 = (0x60, 0x01)
    BAUD_38400 = (0x60, 0x02)
    BAUD_19200 = (0x60, 0x03)
    BAUD_9600 = (0x60, 0x04)

    @property
    def cmd(self) -> int:
        return self.value[0]

    @property
    def para(self) -> int:
        return self.value[1]


_OPS = {op.value: op for op in Op}


class Status(enum.IntEnum):
    """SW3, the reader's own status byte."""

    OK = 0x90
    NO_CONTENT = 0x91
    CARD_FOUND = 0x9F
    RX_CHECKSUM = 0x10
    RX_LENGTH = 0x11
    BAD_COMMAND = 0x21
    NOT_PERMITTED = 0x23
    UNKNOWN_ERROR = 0x24
    CARD_AUTH_FAILED = 0x31
    SAM_AUTH_FAILED = 0x32
    VERIFY_FAILED = 0x33
    WRONG_CARD = 0x40
    READ_FAILED = 0x41
    RANDOM_FAILED = 0x47
    SELF_TEST_FAILED = 0x60
    NOT_AUTHORIZED = 0x66
    FIND_FAILED = 0x80
    SELECT_FAILED = 0x81


TEXT_LEN = 256
PHOTO_LEN = 1024

# (field, bytes) in order: the 256-byte text block, UCS-2 little-endian,
# each field padded with spaces.
TEXT_FIELDS: tuple[tuple[str, int], ...] = (
    ("name", 30),
    ("sex", 2),
    ("nation", 4),
    ("birth", 16),
    ("address", 70),
    ("id_number", 36),
    ("authority", 30),
    ("valid_from", 16),
    ("valid_to", 16),
    ("reserved", 36),
)
assert sum(n for _, n in TEXT_FIELDS) == TEXT_LEN

SEX_NAMES = {"0": "unknown", "1": "male", "2": "female", "9": "unspecified"}
"""GB/T 2261.1 sex codes as they appear in the sex field."""


def xor8(data: bytes) -> int:
    """The frame check: XOR of all bytes after the preamble (see ``PROTOCOL.md``)."""
    return xor_fold(data)


@dataclass(frozen=True, slots=True)
class Command:
    """Host to reader: ``op`` is ``None`` for a (CMD, PARA) pair not in :class:`Op`."""

    cmd: int
    para: int
    data: bytes = b""

    @property
    def op(self) -> Op | None:
        return _OPS.get((self.cmd, self.para))


@dataclass(frozen=True, slots=True)
class Response:
    """Reader to host. ``data`` may carry personal data: never logged in clear."""

    sw1: int
    sw2: int
    sw3: int
    data: bytes = field(default=b"", repr=False)

    @property
    def status(self) -> Status | None:
        try:
            return Status(self.sw3)
        except ValueError:
            return None


@dataclass(frozen=True, slots=True)
class BadFrame:
    """Bytes that looked like a frame but were not one; ``reason`` is a token."""

    reason: str


@dataclass(frozen=True, slots=True)
class BaseInfo:
    """The text block of an ID card; personal fields are hidden from ``repr``."""

    name: str = field(repr=False)
    sex: str
    nation: str = field(repr=False)
    birth: str = field(repr=False)
    address: str = field(repr=False)
    id_number: str = field(repr=False)
    authority: str = field(repr=False)
    valid_from: str
    valid_to: str
    photo_len: int = 0


class FrameDecoder:
    """Incremental framing shared by both directions; never raises on input.

    The host resets it before each command, so stale or corrupted bytes can
    never hold up the answer to the next one.
    """

    payload_min = 2

    def __init__(self) -> None:
        self._buf = bytearray()
        self.dropped = 0

    @property
    def pending(self) -> int:
        """Bytes held back waiting for the rest of a frame (bounded: the fuzz tests watch it)."""
        return len(self._buf)

    def reset(self) -> None:
        self._buf.clear()

    def feed(self, data: bytes) -> list[Command | Response | BadFrame]:
        buf = self._buf
        buf += data
        out: list[Command | Response | BadFrame] = []
        while True:
            i = buf.find(PREAMBLE)
            if i < 0:
                keep = len(PREAMBLE) - 1  # a preamble may be split across reads
                if len(buf) > keep:
                    self.dropped += len(buf) - keep
                    del buf[: len(buf) - keep]
                break
            if i:
                self.dropped += i
                del buf[:i]
            if len(buf) < HEADER_LEN:
                break
            length = (buf[5] << 8) | buf[6]
            if length < self.payload_min + 1 or length > MAX_LEN:
                out.append(BadFrame("length"))
                self.dropped += 1
                del buf[:1]
                continue
            total = HEADER_LEN + length
            if len(buf) < total:
                break
            body = bytes(buf[5:total])
            if xor8(body):
                out.append(BadFrame("checksum"))
                self.dropped += 1
                del buf[:1]
                continue
            del buf[:total]
            out.append(self._message(body[2:-1]))
        return out

    def _message(self, payload: bytes) -> Command | Response | BadFrame:
        raise NotImplementedError


class ResponseDecoder(FrameDecoder):
    """The host's decoder: frames from the reader."""

    payload_min = 3

    def _message(self, payload: bytes) -> Command | Response | BadFrame:
        return Response(payload[0], payload[1], payload[2], payload[3:])


class CommandDecoder(FrameDecoder):
    """The simulator's decoder: frames from the host."""

    payload_min = 2

    def _message(self, payload: bytes) -> Command | Response | BadFrame:
        return Command(payload[0], payload[1], payload[2:])


def _frame(payload: bytes) -> bytes:
    if len(payload) + 1 > MAX_LEN:
        raise ValueError("frame too long")
    body = (len(payload) + 1).to_bytes(2, "big") + payload
    return PREAMBLE + body + bytes([xor8(body)])


def encode_command(op: Op | tuple[int, int], data: bytes = b"") -> bytes:
    """A host command frame, e.g. ``encode_command(Op.FIND_CARD)``."""
    cmd, para = op.value if isinstance(op, Op) else op
    return _frame(bytes([cmd, para]) + data)


def encode_response(sw3: int, data: bytes = b"", *, sw1: int = 0, sw2: int = 0) -> bytes:
    """A reader response frame (the simulator's side)."""
    return _frame(bytes([sw1, sw2, sw3]) + data)


def _field(value: str, size: int, name: str) -> bytes:
    raw = value.encode("utf-16-le")
    if len(raw) > size:
        raise ValueError(f"{name} is longer than {size // 2} characters")
    return raw + " ".encode("utf-16-le") * ((size - len(raw)) // 2)


def encode_text(
    *,
    name: str,
    sex: str,
    nation: str,
    birth: str,
    address: str,
    id_number: str,
    authority: str,
    valid_from: str,
    valid_to: str,
) -> bytes:
    """The 256-byte UCS-2LE text block of a card."""
    values = {
        "name": name,
        "sex": sex,
        "nation": nation,
        "birth": birth,
        "address": address,
        "id_number": id_number,
        "authority": authority,
        "valid_from": valid_from,
        "valid_to": valid_to,
        "reserved": "",
    }
    return b"".join(_field(values[f], size, f) for f, size in TEXT_FIELDS)


def encode_base_data(text: bytes, photo: bytes) -> bytes:
    """Response data of READ_BASE: text length, photo length, text, photo."""
    return len(text).to_bytes(2, "big") + len(photo).to_bytes(2, "big") + text + photo


class InfoError(FrameError):
    """The READ_BASE data does not hold a well-formed text block."""


def parse_text(text: bytes) -> dict[str, str]:
    """Split the text block into its fields, trailing padding removed."""
    if len(text) != TEXT_LEN:
        raise InfoError("text-length")
    fields: dict[str, str] = {}
    pos = 0
    for name, size in TEXT_FIELDS:
        raw = text[pos : pos + size]
        pos += size
        fields[name] = raw.decode("utf-16-le", errors="replace").rstrip(" \x00")
    return fields


def parse_base_data(data: bytes) -> BaseInfo:
    """READ_BASE response data to :class:`BaseInfo` (the photo is dropped)."""
    if len(data) < 4:
        raise InfoError("short")
    text_len = int.from_bytes(data[0:2], "big")
    photo_len = int.from_bytes(data[2:4], "big")
    if text_len != TEXT_LEN:
        raise InfoError("text-length")
    if len(data) != 4 + text_len + photo_len:
        raise InfoError("data-length")
    f = parse_text(data[4 : 4 + text_len])
    return BaseInfo(
        name=f["name"],
        sex=f["sex"],
        nation=f["nation"],
        birth=f["birth"],
        address=f["address"],
        id_number=f["id_number"],
        authority=f["authority"],
        valid_from=f["valid_from"],
        valid_to=f["valid_to"],
        photo_len=photo_len,
    )


def describe(msg: Command | Response | BadFrame) -> str:
    """A one-line form for logs and the flight recorder, with nothing personal."""
    if isinstance(msg, Command):
        op = msg.op
        return f"cmd {op.name if op else f'{msg.cmd:02X} {msg.para:02X}'}"
    if isinstance(msg, Response):
        st = msg.status
        return f"resp {st.name if st else f'{msg.sw3:02X}'} data[{len(msg.data)}]"
    return f"bad frame: {msg.reason}"
