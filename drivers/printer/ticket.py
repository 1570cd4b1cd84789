"""The queue ticket: its data and a pure renderer to ESC/POS bytes.

``render_ticket`` turns a ``TicketData`` into the exact bytes sent to the
printer, built on python-escpos' ``Dummy`` (its ``.output`` is the artifact,
tested against golden bytes). It does no I/O except reading a font file when a
line must be rasterized, and it has no clock: the issue time is in the data.

Layout, top to bottom: logo, branch name (bold), service (double size), the
customer's priority class if any (bold), the number (4x4), people ahead,
expected wait, zone, what to prepare, notice, QR code, issue date and time,
"keep this ticket", cut.

The priority class (``priority``: "Priority service", "Priority care",
"Appointment") comes translated, like the service name, since the caller
decides which classes show at all; ``None`` prints nothing, so a walk-in's
ticket is byte for byte what it was before the field existed.

Labels are passed in by the caller (the kiosk owns the translations); any key
left out falls back to the English default in ``DEFAULT_LABELS``:

| key | English default | used for |
|---|---|---|
| ``your_number`` | Your number | heading above the number |
| ``people_ahead`` | People ahead | count of tickets before this one |
| ``expected_wait`` | Expected wait | heading of the wait estimate |
| ``minutes`` | {minutes} min | the estimate; ``{minutes}`` is replaced |
| ``wait_unknown`` | to be announced | shown when there is no estimate |
| ``zone`` | Please wait in | the counter zone |
| ``prepare`` | Please have ready | heading of the "what to bring" text |
| ``scan`` | Scan to follow your turn | under the QR code |
| ``issued`` | Issued | before the date and time |
| ``keep`` | Please keep this ticket and listen for your number. | last line |
| ``sep`` | ": " | between a label and its value (zh: "：") |
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from types import MappingProxyType
from typing import Literal

import qrcode
import qrcode.constants
from escpos.capabilities import get_profile as escpos_profile
from escpos.constants import QR_ECLEVEL_M
from escpos.printer import Dummy
from PIL import Image, ImageDraw

from drivers.printer.errors import TicketDataError
from drivers.printer.fonts import FontFace, find_cjk_font, region_for_lang
from drivers.printer.privacy import find_sensitive
from drivers.printer.profiles import PrinterProfile, esc_t

Lang = Literal["zh-Hans", "zh-Hant", "en", "es"]
Align = Literal["left", "center", "right"]
LANGS: tuple[Lang, ...] = ("zh-Hans", "zh-Hant", "en", "es")

DEFAULT_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "your_number": "Your number",
        "people_ahead": "People ahead",
        "expected_wait": "Expected wait",
        "minutes": "{minutes} min",
        "wait_unknown": "to be announced",
        "zone": "Please wait in",
        "prepare": "Please have ready",
        "scan": "Scan to follow your turn",
        "issued": "Issued",
        "keep": "Please keep this ticket and listen for your number.",
        "sep": ": ",
    }
)

QR_MODULE_DOTS = 6
LOGO_MAX_HEIGHT = 160
CELL_HEIGHT = 24  # Font A is 12 x 24 dots; a CJK glyph 24 x 24
RASTER_GLYPH = 22  # pixel size of rasterized text per size step
RASTER_GAP = 6  # the line spacing a native line gets, for raster lines too


@dataclass(frozen=True)
class TicketData:
    """Everything printed on one ticket; never a card or ID number."""

    branch_name: str
    number: str
    service_name: str
    lang: Lang
    issued_at: datetime
    people_ahead: int
    expected_wait_min: int | None
    prepare: str
    zone: str
    qr_payload: str
    notice: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    priority: str | None = None  # the class label, translated by the caller

    def __post_init__(self) -> None:
        if self.lang not in LANGS:
            raise TicketDataError(f"lang {self.lang!r} is not one of {', '.join(LANGS)}")
        if not self.number:
            raise TicketDataError("a ticket needs a number")
        if self.people_ahead < 0:
            raise TicketDataError("people_ahead cannot be negative")
        if self.expected_wait_min is not None and self.expected_wait_min < 0:
            raise TicketDataError("expected_wait_min cannot be negative")
        texts = [
            self.branch_name,
            self.number,
            self.service_name,
            self.prepare,
            self.zone,
            self.qr_payload,
            self.notice or "",
            self.priority or "",
            *self.labels.values(),
        ]
        for text in texts:
            kind = find_sensitive(text)
            if kind is not None:
                # say which field kind, never echo the number itself
                raise TicketDataError(f"refusing to print what looks like a {kind} number")

    def label(self, key: str) -> str:
        return self.labels.get(key, DEFAULT_LABELS[key])


def cell_width(ch: str) -> int:
    """Character cells a character takes on the printer: CJK and full-width take two."""
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def text_width(text: str) -> int:
    return sum(cell_width(ch) for ch in text)


def wrap(text: str, columns: int) -> list[str]:
    """Greedy wrap to ``columns`` cells: Latin breaks at spaces, CJK between any characters."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        tokens: list[str] = []
        word = ""
        for ch in paragraph:
            if ch == " " or cell_width(ch) == 2:
                if word:
                    tokens.append(word)
                    word = ""
                tokens.append(ch)
            else:
                word += ch
        if word:
            tokens.append(word)
        line = ""
        for tok in tokens:
            while text_width(tok) > columns:  # a word longer than a line: own lines
                if line.strip():
                    lines.append(line.rstrip())
                line = ""
                head, tok = _split_cells(tok, columns)
                lines.append(head)
            if text_width(line) + text_width(tok) > columns:
                lines.append(line.rstrip())
                line = "" if tok == " " else tok
            else:
                line += tok
        lines.append(line.rstrip())
    return lines


def _split_cells(tok: str, cells: int) -> tuple[str, str]:
    used = 0
    for i, ch in enumerate(tok):
        used += cell_width(ch)
        if used > cells:
            return tok[:i], tok[i:]
    return tok, ""


def _escpos_profile_for(profile: PrinterProfile) -> object:
    """A python-escpos profile object that knows the paper width (for image centering)."""
    base = escpos_profile("default")
    data = dict(base.profile_data)
    data["media"] = {"dpi": 203, "width": {"mm": "Unknown", "pixels": profile.width_dots}}
    base.profile_data = data  # instance attribute: the shared class data stays untouched
    return base


class _TicketWriter:
    """Tracks the print mode so each style command is sent only when it changes."""

    def __init__(self, profile: PrinterProfile, region_font: FontFace | None, lang: Lang) -> None:
        self.profile = profile
        self.encoder = profile.encoder()
        self.d = Dummy()
        self.d.profile = _escpos_profile_for(profile)
        self._font = region_font
        self._lang = lang
        self._align: Align | None = None
        self._bold: bool | None = None
        self._size: tuple[int, int] | None = None

    def init(self) -> None:
        self.d.hw("INIT")
        self.d._raw(esc_t(self.profile.latin_codepage))

    def style(self, align: Align, bold: bool, size: tuple[int, int]) -> None:
        if align != self._align:
            self.d.set(align=align)
            self._align = align
        if bold != self._bold:
            self.d.set(bold=bold)
            self._bold = bold
        if size != self._size:
            self.d.set(custom_size=True, width=size[0], height=size[1])
            self._size = size

    def line(self, text: str, *, align: Align = "left", bold: bool = False, size: int = 1) -> None:
        self.style(align, bold, (size, size))
        for part in wrap(text, max(1, self.profile.chars_per_line // size)):
            if self.encoder.can_encode(part):
                self.d._raw(self.encoder.encode(part) + b"\n")
            else:
                self.raster_line(part, align=align, bold=bold, size=size)

    def raster_line(self, text: str, *, align: Align, bold: bool, size: int) -> None:
        """Draw a line the printer cannot print natively and send it as GS v 0."""
        if self._font is None:
            self._font = find_cjk_font(region_for_lang(self._lang))
        self.raster(_raster_text(text, self._font, align, bold, size, self.profile.width_dots))

    def raster(self, command: bytes) -> None:
        """Send a GS v 0 image at the left margin: it carries its own horizontal
        offset, and printers differ on whether ESC a moves raster images."""
        if self._align != "left":
            self.d.set(align="left")
            self._align = "left"
        self.d._raw(command)

    def feed(self, lines: int) -> None:
        self.d._raw(b"\n" * lines)

    def rule(self) -> None:
        self.line("-" * self.profile.chars_per_line)


_INK = [255] * 128 + [0] * 128  # grey below 128 is ink: a set bit, a black dot


def raster_command(img: Image.Image, x: int = 0) -> bytes:
    """GS v 0 for a grey image (dark = dot), shifted right by ``x`` dots.

    The image always starts at the left margin, so its place on the paper does
    not depend on whether the printer applies ESC a to raster images.
    """
    if x > 0:
        shifted = Image.new("L", (x + img.width, img.height), 255)
        shifted.paste(img.convert("L"), (x, 0))
        img = shifted
    bitmap = img.convert("L").point(_INK, mode="1")
    data = bitmap.tobytes()  # rows padded to whole bytes, as GS v 0 wants
    xbytes = (bitmap.width + 7) // 8
    return b"\x1dv0\x00" + xbytes.to_bytes(2, "little") + bitmap.height.to_bytes(2, "little") + data


@lru_cache(maxsize=512)
def _raster_text(
    text: str, face: FontFace, align: Align, bold: bool, size: int, width: int
) -> bytes:
    """A rasterized text line, cropped after its last dot (cached: labels repeat)."""
    font = face.load(RASTER_GLYPH * size)
    height = (CELL_HEIGHT + RASTER_GAP) * size
    length = math.ceil(font.getlength(text)) + (1 if bold else 0)
    x = {"left": 0, "center": (width - length) // 2, "right": width - length}[align]
    x = max(0, x)
    img = Image.new("L", (min(width, x + length + 1), height), 255)
    draw = ImageDraw.Draw(img)
    # bold the way a printer does it: the same dots again, one dot to the right
    for dx in (0, 1) if bold else (0,):
        draw.text((x + dx, height / 2), text, font=font, fill=0, anchor="lm")
    return raster_command(img)


def _fit_logo(logo: Image.Image, profile: PrinterProfile) -> Image.Image:
    img = logo.convert("L")
    scale = min(1.0, profile.width_dots / img.width, LOGO_MAX_HEIGHT / img.height)
    if scale < 1.0:
        img = img.resize((max(1, round(img.width * scale)), max(1, round(img.height * scale))))
    return img


def qr_image(payload: str, module_dots: int = QR_MODULE_DOTS) -> Image.Image:
    """The QR code as a bitmap, for printers without native QR (error correction M)."""
    code = qrcode.QRCode(
        version=None,
        box_size=module_dots,
        border=1,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
    )
    code.add_data(payload)
    code.make(fit=True)
    img: Image.Image = code.make_image().get_image()
    return img.convert("L")


def render_ticket(
    ticket: TicketData,
    profile: PrinterProfile,
    logo: Image.Image | None = None,
    *,
    font: FontFace | None = None,
) -> bytes:
    """The ESC/POS bytes of one ticket, deterministic for the same inputs.

    ``font`` is the face used for lines the printer cannot print natively; by
    default the installed CJK face for the ticket's language is looked up.
    """
    w = _TicketWriter(profile, font, ticket.lang)
    sep = ticket.label("sep")
    w.init()
    if logo is not None:
        w.style("center", False, (1, 1))
        img = _fit_logo(logo, profile)
        w.raster(raster_command(img, (profile.width_dots - img.width) // 2))
    w.line(ticket.branch_name, align="center", bold=True)
    w.line(ticket.service_name, align="center", bold=True, size=2)
    if ticket.priority:
        # the counter staff read the class from the ticket the customer shows
        w.line(ticket.priority, align="center", bold=True)
    w.line(ticket.label("your_number"), align="center")
    w.line(ticket.number, align="center", bold=True, size=4)
    w.rule()
    w.line(f"{ticket.label('people_ahead')}{sep}{ticket.people_ahead}")
    if ticket.expected_wait_min is None:
        wait = ticket.label("wait_unknown")
    else:
        wait = ticket.label("minutes").replace("{minutes}", str(ticket.expected_wait_min))
    w.line(f"{ticket.label('expected_wait')}{sep}{wait}")
    w.line(f"{ticket.label('zone')}{sep}{ticket.zone}", bold=True)
    if ticket.prepare.strip():
        w.line(f"{ticket.label('prepare')}{sep.rstrip()}")
        for item in ticket.prepare.strip().splitlines():
            w.line(f"  {item.strip()}")
    if ticket.notice:
        w.rule()
        w.line(ticket.notice, bold=True)
    w.rule()
    w.style("center", False, (1, 1))
    if profile.native_qr:
        w.d.qr(ticket.qr_payload, ec=QR_ECLEVEL_M, size=QR_MODULE_DOTS, native=True)
        w.feed(1)
    else:
        img = qr_image(ticket.qr_payload)
        w.raster(raster_command(img, (profile.width_dots - img.width) // 2))
    w.line(ticket.label("scan"), align="center")
    w.line(
        f"{ticket.label('issued')}{sep}{ticket.issued_at.strftime('%Y-%m-%d %H:%M')}",
        align="center",
    )
    w.line(ticket.label("keep"), align="center")
    w.d.cut(mode="PART" if profile.cut == "partial" else "FULL")
    return bytes(w.d.output)
