"""Draw ESC/POS bytes as a PNG, so a person can look at a ticket without paper.

It interprets the subset lobbyq's renderer emits (see PROTOCOL.md): text in
the selected code page or, after ``FS &``, in the printer's double-byte
codec (GB18030 or Big5), sizes from ``ESC !`` and ``GS !``, bold, alignment,
``GS v 0`` raster images, ``GS ( k`` QR codes (drawn with ``qrcode``), feeds
and cuts (a dashed line). Characters sit in printer cells (Font A: 12 x 24
dots, CJK 24 x 24) so column layout looks as it will on paper, and CJK text
uses the regional face (SC for GB18030, TC for Big5), never boxes.

Command line: ``python -m drivers.printer.preview IN.bin OUT.png [--profile cn80]``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import qrcode
import qrcode.constants
import qrcode.exceptions
from PIL import Image, ImageDraw, ImageFont, ImageOps

from drivers.printer.fonts import FontFace, Region, find_cjk_font, find_latin_mono
from drivers.printer.profiles import PROFILES, PrinterProfile
from drivers.printer.stream import Op, parse
from drivers.printer.ticket import cell_width

CELL_W, CELL_H = 12, 24
LINE_GAP = 6
MARGIN = 8

#: ESC t n -> Python codec for the single-byte code pages printers commonly have.
CODEPAGES: dict[int, str] = {
    0: "cp437",
    2: "cp850",
    3: "cp860",
    4: "cp863",
    5: "cp865",
    16: "cp1252",
    17: "cp866",
    18: "cp852",
    19: "cp858",
}

_QR_EC = {
    48: qrcode.constants.ERROR_CORRECT_L,
    49: qrcode.constants.ERROR_CORRECT_M,
    50: qrcode.constants.ERROR_CORRECT_Q,
    51: qrcode.constants.ERROR_CORRECT_H,
}

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@dataclass
class _Style:
    align: int = 0
    bold: bool = False
    underline: bool = False
    width: int = 1
    height: int = 1
    chinese: bool = False
    codepage: int = 0


@dataclass
class _Run:
    text: str
    style: _Style
    cells: int


@dataclass
class _Page:
    width: int
    latin: Font
    cjk: Font
    blocks: list[Image.Image] = field(default_factory=list)
    line: list[_Run] = field(default_factory=list)
    line_cells: int = 0
    line_align: int = 0

    def add_text(self, text: str, style: _Style) -> None:
        max_cells = self.width // CELL_W
        for ch in text:
            cells = cell_width(ch) * style.width
            if self.line_cells + cells > max_cells:
                self.flush_line()
            if not self.line:
                self.line_align = style.align
            if self.line and self.line[-1].style == style:
                last = self.line[-1]
                self.line[-1] = _Run(last.text + ch, style, last.cells + cells)
            else:
                self.line.append(_Run(ch, _Style(**vars(style)), cells))
            self.line_cells += cells

    def flush_line(self, *, feed_empty: bool = False, default_height: int = 1) -> None:
        if not self.line:
            if feed_empty:
                self.blocks.append(self._blank(CELL_H * default_height + LINE_GAP))
            return
        height = max(r.style.height for r in self.line) * CELL_H
        img = Image.new("L", (self.width, height + LINE_GAP), 255)
        x = {0: 0, 1: (self.width - self.line_cells * CELL_W) // 2}.get(
            self.line_align, self.width - self.line_cells * CELL_W
        )
        for run in self.line:
            part = self._draw_run(run)
            img.paste(part, (x, height - part.height))
            x += part.width
        self.blocks.append(img)
        self.line, self.line_cells = [], 0

    def _draw_run(self, run: _Run) -> Image.Image:
        base_cells = sum(cell_width(ch) for ch in run.text)
        img = Image.new("L", (base_cells * CELL_W, CELL_H), 255)
        draw = ImageDraw.Draw(img)
        x = 0
        for ch in run.text:
            wide = cell_width(ch) == 2
            font = self.cjk if wide else self.latin
            cx = x + (CELL_W * (2 if wide else 1)) / 2
            for dx in (0, 1) if run.style.bold else (0,):
                draw.text((cx + dx, CELL_H / 2), ch, font=font, fill=0, anchor="mm")
            x += CELL_W * (2 if wide else 1)
        if run.style.underline:
            draw.line((0, CELL_H - 2, img.width, CELL_H - 2), fill=0, width=2)
        w, h = run.style.width, run.style.height
        if (w, h) != (1, 1):
            img = img.resize((img.width * w, img.height * h), Image.Resampling.BILINEAR)
        return img

    def add_image(self, img: Image.Image, align: int) -> None:
        self.flush_line()
        img = img.convert("L")
        if img.width > self.width:
            img = img.crop((0, 0, self.width, img.height))
        block = Image.new("L", (self.width, img.height), 255)
        x = {0: 0, 1: (self.width - img.width) // 2}.get(align, self.width - img.width)
        block.paste(img, (x, 0))
        self.blocks.append(block)

    def feed(self, dots: int) -> None:
        self.flush_line()
        if dots > 0:
            self.blocks.append(self._blank(dots))

    def cut(self) -> None:
        self.flush_line()
        block = self._blank(CELL_H)
        draw = ImageDraw.Draw(block)
        for x in range(0, self.width, 16):
            draw.line((x, CELL_H // 2, x + 8, CELL_H // 2), fill=0, width=2)
        self.blocks.append(block)

    def _blank(self, height: int) -> Image.Image:
        return Image.new("L", (self.width, height), 255)

    def image(self) -> Image.Image:
        self.flush_line()
        total = sum(b.height for b in self.blocks) + 2 * MARGIN
        out = Image.new("L", (self.width + 2 * MARGIN, total), 255)
        y = MARGIN
        for b in self.blocks:
            out.paste(b, (MARGIN, y))
            y += b.height
        draw = ImageDraw.Draw(out)
        draw.rectangle((0, 0, out.width - 1, out.height - 1), outline=200)
        return out


def _decode(data: bytes, style: _Style, cjk_codec: str) -> str:
    if style.chinese:
        return data.decode(cjk_codec, errors="replace")
    return data.decode(CODEPAGES.get(style.codepage, "cp437"), errors="replace")


def _raster(op: Op) -> Image.Image:
    xbytes = op.params[0] | op.params[1] << 8
    rows = op.params[2] | op.params[3] << 8
    if xbytes == 0 or rows == 0:
        return Image.new("L", (1, 1), 255)
    bitmap = Image.frombytes("1", (xbytes * 8, rows), op.data)
    return ImageOps.invert(bitmap.convert("L"))  # ESC/POS: a set bit is a black dot


class _Qr:
    def __init__(self) -> None:
        self.size = 3
        self.ec = qrcode.constants.ERROR_CORRECT_L
        self.data = b""

    def handle(self, op: Op) -> Image.Image | None:
        if len(op.data) < 2 or op.data[0] != 49:  # cn 49 = QR code
            return None
        fn, body = op.data[1], op.data[2:]
        if fn == 67 and body:
            self.size = max(1, min(16, body[0]))
        elif fn == 69 and body:
            self.ec = _QR_EC.get(body[0], self.ec)
        elif fn == 80 and body:
            self.data = body[1:]
        elif fn == 81 and self.data:
            code = qrcode.QRCode(box_size=self.size, border=1, error_correction=self.ec)
            code.add_data(self.data)
            try:
                code.make(fit=True)
            except (ValueError, qrcode.exceptions.DataOverflowError):
                return _unprintable_qr(self.size)  # a printer prints nothing either
            img: Image.Image = code.make_image().get_image()
            return img.convert("L")
        return None


def _unprintable_qr(module: int) -> Image.Image:
    """A crossed box where a QR code too large to encode would have gone."""
    side = 21 * module
    img = Image.new("L", (side, side), 255)
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 0, side - 1, side - 1), outline=0, width=2)
    draw.line((0, 0, side - 1, side - 1), fill=0, width=2)
    draw.line((0, side - 1, side - 1, 0), fill=0, width=2)
    return img


def escpos_to_png(
    data: bytes,
    width_dots: int = 576,
    *,
    cjk_codec: str = "gb18030",
    latin_font: FontFace | None = None,
    cjk_font: FontFace | None = None,
) -> Image.Image:
    """Render an ESC/POS stream as a grey-scale image ``width_dots`` wide (plus a margin)."""
    latin_face = latin_font or find_latin_mono()
    latin: Font = latin_face.load(20) if latin_face else ImageFont.load_default(20)
    region: Region = "tc" if cjk_codec in ("big5", "cp950") else "sc"
    cjk = (cjk_font or find_cjk_font(region)).load(22)
    page = _Page(width_dots, latin, cjk)
    style = _Style()
    qr = _Qr()
    text = b""
    for op in parse(data):
        if op.name == "text":
            text += op.data
            continue
        if text:
            page.add_text(_decode(text, style, cjk_codec), style)
            text = b""
        _apply(op, page, style, qr)
    if text:
        page.add_text(_decode(text, style, cjk_codec), style)
    return page.image()


def _apply(op: Op, page: _Page, style: _Style, qr: _Qr) -> None:
    name, arg = op.name, op.arg
    if name == "lf":
        page.flush_line(feed_empty=True, default_height=style.height)
    elif name == "init":
        page.flush_line()
        for key, value in vars(_Style()).items():
            setattr(style, key, value)
    elif name == "align":
        style.align = arg % 48 if arg >= 48 else arg
    elif name == "bold":
        style.bold = bool(arg & 1)
    elif name == "underline":
        style.underline = bool(arg % 48)
    elif name == "size":
        style.width, style.height = (arg >> 4 & 7) + 1, (arg & 7) + 1
    elif name == "print_mode":
        style.bold = bool(arg & 0x08)
        style.height = 2 if arg & 0x10 else 1
        style.width = 2 if arg & 0x20 else 1
        style.underline = bool(arg & 0x80)
    elif name == "codepage":
        style.codepage = arg
    elif name == "chinese_on":
        style.chinese = True
    elif name == "chinese_off":
        style.chinese = False
    elif name == "raster":
        page.add_image(_raster(op), style.align)
    elif name == "code2d":
        img = qr.handle(op)
        if img is not None:
            page.add_image(img, style.align)
    elif name == "feed_lines":
        page.feed(arg * (CELL_H + LINE_GAP))
    elif name == "feed_dots":
        page.feed(arg)
    elif name in ("cut", "cut_legacy"):
        page.cut()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m drivers.printer.preview",
        description="Render an ESC/POS file (a ticket) to a PNG.",
    )
    parser.add_argument("input", type=Path, help="ESC/POS bytes, e.g. a saved ticket")
    parser.add_argument("output", type=Path, help="PNG to write")
    parser.add_argument(
        "--profile",
        choices=sorted(PROFILES),
        default="cn80",
        help="printer profile: paper width and double-byte codec (default cn80)",
    )
    args = parser.parse_args(argv)
    profile: PrinterProfile = PROFILES[args.profile]
    codec = "big5" if profile.cjk == "big5" else "gb18030"
    image = escpos_to_png(args.input.read_bytes(), profile.width_dots, cjk_codec=codec)
    image.save(args.output)
    print(f"{args.output}: {image.width}x{image.height}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
