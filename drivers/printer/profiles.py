"""Printer profiles as a table, and the text encoder each one needs.

Thermal printers sold for Chinese-speaking markets differ in what they can
print natively: mainland models carry a GB18030 (in practice GBK, two-byte)
font reached through ``FS &`` (Chinese mode on) and ``FS .`` (off); Taiwan
and Hong Kong models carry Big5; international models have no CJK font at
all, so CJK text has to be sent as a raster image. python-escpos alone gets
this wrong (it sends raw GB18030 without ``FS &``, and traditional text comes
out as garbage on a Big5 printer), so lobbyq encodes text itself per profile.

| profile | paper | dots | chars | CJK | native QR | cut |
|---|---|---|---|---|---|---|
| ``cn80`` | 80 mm | 576 | 48 | gb18030-fs | yes | partial |
| ``cn58`` | 58 mm | 384 | 32 | gb18030-fs | yes | full (ignored without a cutter) |
| ``tw80`` | 80 mm | 576 | 48 | big5 | yes | partial |
| ``intl80`` | 80 mm | 512 | 42 | raster | yes | partial |
| ``basic80`` | 80 mm | 576 | 48 | raster | no | full |

Latin text beyond ASCII (Spanish ``ñ á ¿``) is sent in code page PC850
(``ESC t 2``) with Chinese mode off: every profile above has it. A line
holding a character the profile cannot send natively (simplified Chinese on
a Big5 printer, any CJK on ``intl80``) is drawn with Pillow and sent as a
``GS v 0`` raster line; that is the "raster" fallback.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from drivers.printer.errors import PrinterError

CjkMode = Literal["gb18030-fs", "big5", "raster"]
CutMode = Literal["full", "partial"]

FS_CHINESE_ON = b"\x1c&"
FS_CHINESE_OFF = b"\x1c."


def esc_t(n: int) -> bytes:
    """ESC t n: select the single-byte code page used outside Chinese mode."""
    return bytes((0x1B, 0x74, n))


@dataclass(frozen=True, slots=True)
class PrinterProfile:
    """What the renderer needs to know about one printer model."""

    name: str
    width_dots: int
    chars_per_line: int
    cjk: CjkMode
    native_qr: bool
    cut: CutMode
    description: str = ""
    latin_codec: str = "cp850"
    latin_codepage: int = 2  # ESC t 2 = PC850 on Epson-compatible printers

    @property
    def dot_width(self) -> int:
        """Dots per single-width character cell (Font A is 12 x 24 dots)."""
        return self.width_dots // self.chars_per_line

    def encoder(self) -> TextEncoder:
        return TextEncoder(self)


PROFILES: dict[str, PrinterProfile] = {
    p.name: p
    for p in (
        PrinterProfile(
            "cn80", 576, 48, "gb18030-fs", True, "partial", "80 mm mainland thermal (GB18030)"
        ),
        PrinterProfile("cn58", 384, 32, "gb18030-fs", True, "full", "58 mm mainland thermal"),
        PrinterProfile("tw80", 576, 48, "big5", True, "partial", "80 mm Taiwan/HK thermal (Big5)"),
        PrinterProfile("intl80", 512, 42, "raster", True, "partial", "80 mm without CJK font"),
        PrinterProfile("basic80", 576, 48, "raster", False, "full", "80 mm, no CJK font, no QR"),
    )
}


def get_profile(name: str) -> PrinterProfile:
    """The profile called ``name``; ``PrinterError`` naming the known ones otherwise."""
    try:
        return PROFILES[name]
    except KeyError:
        raise PrinterError(
            f"unknown printer profile {name!r}; known: {', '.join(sorted(PROFILES))}"
        ) from None


class Unencodable(PrinterError):
    """Text the profile cannot print natively (the renderer rasterizes it)."""


class TextEncoder:
    """Turns a line of text into the bytes a profile's printer prints natively.

    Each call starts and ends in single-byte mode (Chinese mode off), so
    encoded pieces can be concatenated in any order. ASCII needs no switch in
    either mode; other characters use the Latin code page where it has them
    and the CJK codec (two-byte sequences only: four-byte GB18030 is beyond
    every printer font) otherwise.
    """

    def __init__(self, profile: PrinterProfile) -> None:
        self.profile = profile
        self._cjk_codec: str | None = {"gb18030-fs": "gb18030", "big5": "big5"}.get(profile.cjk)

    def _latin(self, ch: str) -> bytes | None:
        try:
            return ch.encode(self.profile.latin_codec)
        except UnicodeEncodeError:
            return None

    def _cjk(self, ch: str) -> bytes | None:
        if self._cjk_codec is None:
            return None
        try:
            b = ch.encode(self._cjk_codec)
        except UnicodeEncodeError:
            return None
        return b if len(b) == 2 else None

    def can_encode(self, text: str) -> bool:
        return all(
            ch.isascii() or self._latin(ch) is not None or self._cjk(ch) is not None for ch in text
        )

    def encode(self, text: str) -> bytes:
        """Bytes for ``text``; ``Unencodable`` names the first character that cannot go."""
        out = bytearray()
        chinese = False
        for ch in text:
            if ch.isascii():
                out += ch.encode("ascii")
                continue
            latin = self._latin(ch)
            if latin is not None:
                if chinese:
                    out += FS_CHINESE_OFF
                    chinese = False
                out += latin
                continue
            cjk = self._cjk(ch)
            if cjk is None:
                raise Unencodable(f"{ch!r} (U+{ord(ch):04X}) cannot print on {self.profile.name}")
            if not chinese:
                out += FS_CHINESE_ON
                chinese = True
            out += cjk
        if chinese:
            out += FS_CHINESE_OFF
        return bytes(out)
