"""The ESC/POS-to-PNG preview: layout facts a person relies on when looking."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from drivers.fuzzregistry import mutate
from drivers.printer.fuzzing import stream_samples
from drivers.printer.preview import MARGIN, escpos_to_png, main
from drivers.printer.profiles import PROFILES
from drivers.printer.ticket import render_ticket
from tests.drivers.printer.conftest import make_ticket


def _ink_rows(img: Image.Image) -> list[int]:
    """Rows that hold any black pixel (the frame drawn around the page excluded)."""
    inner = img.convert("L").crop((2, 2, img.width - 2, img.height - 2))
    rows = []
    for y in range(inner.height):
        lo, _hi = inner.crop((0, y, inner.width, y + 1)).getextrema()
        if isinstance(lo, (int, float)) and lo < 100:
            rows.append(y)
    return rows


def test_page_is_paper_width_plus_margin() -> None:
    img = escpos_to_png(b"\x1b@hello\n", width_dots=384)
    assert img.width == 384 + 2 * MARGIN
    assert _ink_rows(img)


def test_raster_image_is_placed_bit_exact() -> None:
    # one row, 16 dots: 0xF0 0x0F -> black black black black white x8 black x4
    img = escpos_to_png(b"\x1dv0\x00\x02\x00\x01\x00\xf0\x0f", width_dots=64)
    row = [img.getpixel((MARGIN + x, MARGIN)) for x in range(16)]
    assert row == [0] * 4 + [255] * 8 + [0] * 4


def test_centred_text_is_centred() -> None:
    left = escpos_to_png(b"\x1ba\x00AB\n", width_dots=240)
    centre = escpos_to_png(b"\x1ba\x01AB\n", width_dots=240)

    def first_ink_x(img: Image.Image) -> int:
        bbox = ImageChops.invert(img.crop((2, 2, img.width - 2, img.height - 2))).getbbox()
        assert bbox is not None
        return bbox[0]

    assert first_ink_x(centre) - first_ink_x(left) >= 90  # (240 - 24) / 2 = 108 dots


def test_double_size_text_is_twice_as_tall() -> None:
    small = escpos_to_png(b"\x1d!\x00H\n")
    big = escpos_to_png(b"\x1d!\x11H\n")
    assert len(_ink_rows(big)) >= 1.7 * len(_ink_rows(small))


def test_cut_is_a_dashed_line() -> None:
    img = escpos_to_png(b"\x1dV\x01", width_dots=160)
    y = MARGIN + 12
    row = [img.getpixel((MARGIN + x, y)) for x in range(160)]
    assert 0 in row and 255 in row


def test_regional_glyphs_differ_between_gb18030_and_big5_text() -> None:
    # the full-width colon sits bottom-left in mainland fonts, centred in Taiwan fonts
    sc = escpos_to_png(b"\x1c&" + "：".encode("gb18030") + b"\x1c.\n", cjk_codec="gb18030")
    tc = escpos_to_png(b"\x1c&" + "：".encode("big5") + b"\x1c.\n", cjk_codec="big5")
    assert ImageChops.difference(sc, tc).getbbox() is not None


def test_every_language_ticket_renders_with_qr_and_cut(tmp_path: Path) -> None:
    for lang, profile in [("zh-Hans", "cn80"), ("zh-Hant", "tw80"), ("en", "intl80")]:
        data = render_ticket(make_ticket(lang=lang), PROFILES[profile])
        img = escpos_to_png(data, PROFILES[profile].width_dots)
        assert img.height > 600  # logo-less ticket: text, QR and feed


def test_cli_writes_a_png(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "t.bin"
    src.write_bytes(render_ticket(make_ticket(), PROFILES["cn58"]))
    out = tmp_path / "t.png"
    assert main([str(src), str(out), "--profile", "cn58"]) == 0
    with Image.open(out) as img:
        assert img.width == 384 + 2 * MARGIN
    assert "t.png" in capsys.readouterr().out


def test_mutated_streams_never_crash_the_preview() -> None:
    rng = random.Random(5)
    samples = list(stream_samples())
    for _ in range(25):
        data = b"".join(mutate(rng.choice(samples), rng) for _ in range(15))
        escpos_to_png(data, width_dots=384)
    huge_qr = b"\x1d(k" + (3003).to_bytes(2, "little") + b"1P0" + b"x" * 3000
    escpos_to_png(huge_qr + b"\x1d(k\x03\x001Q0")
