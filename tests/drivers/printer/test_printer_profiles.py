"""Per-profile text encoding: GB18030 with FS &, Big5, PC850, raster fallback."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.errors import DriverError
from drivers.printer.errors import PrinterError
from drivers.printer.profiles import PROFILES, Unencodable, get_profile

FS_ON, FS_OFF = b"\x1c&", b"\x1c."


def decode_native(data: bytes, codec: str) -> str:
    """Read encoder output back the way the printer does (for the round-trip)."""
    out, chinese, i = [], False, 0
    while i < len(data):
        if data[i : i + 2] == FS_ON:
            chinese, i = True, i + 2
        elif data[i : i + 2] == FS_OFF:
            chinese, i = False, i + 2
        elif data[i] < 0x80:
            out.append(chr(data[i]))
            i += 1
        elif chinese:
            out.append(data[i : i + 2].decode(codec))
            i += 2
        else:
            out.append(data[i : i + 1].decode("cp850"))
            i += 1
    return "".join(out)


def test_simplified_chinese_goes_out_as_gb18030_inside_fs_ampersand() -> None:
    enc = PROFILES["cn80"].encoder()
    assert enc.encode("A023号") == b"A023" + FS_ON + b"\xba\xc5" + FS_OFF


def test_traditional_chinese_goes_out_as_big5_on_big5_printers() -> None:
    enc = PROFILES["tw80"].encoder()
    assert enc.encode("號碼") == FS_ON + "號碼".encode("big5") + FS_OFF
    assert enc.encode("號碼") != FS_ON + "號碼".encode("gb18030") + FS_OFF


def test_spanish_uses_pc850_with_chinese_mode_off() -> None:
    enc = PROFILES["cn80"].encoder()
    assert enc.encode("Año ¿sí?") == b"A\xa4o \xa8s\xa1?"


def test_mixed_text_switches_modes_and_always_ends_single_byte() -> None:
    enc = PROFILES["cn80"].encoder()
    out = enc.encode("ñ中ñ")
    assert out == b"\xa4" + FS_ON + b"\xd6\xd0" + FS_OFF + b"\xa4"
    assert enc.encode("中文").endswith(FS_OFF)


def test_simplified_only_characters_cannot_go_natively_to_a_big5_printer() -> None:
    enc = PROFILES["tw80"].encoder()
    assert not enc.can_encode("个人开户")
    with pytest.raises(Unencodable):
        enc.encode("个")


def test_raster_profile_sends_no_cjk_natively() -> None:
    enc = PROFILES["intl80"].encoder()
    assert enc.can_encode("Zona B, ventanilla 3")
    assert not enc.can_encode("号")


def test_four_byte_gb18030_is_not_sent_natively() -> None:
    enc = PROFILES["cn80"].encoder()
    assert len("𠀀".encode("gb18030")) == 4
    assert not enc.can_encode("𠀀")


def test_unknown_profile_names_the_known_ones() -> None:
    with pytest.raises(PrinterError, match="cn80"):
        get_profile("nope")
    assert issubclass(PrinterError, DriverError)


def test_profile_table_is_consistent() -> None:
    for p in PROFILES.values():
        assert p.width_dots // p.chars_per_line == 12, p.name
        assert p.cjk in ("gb18030-fs", "big5", "raster")


_gbk_chars = st.characters(codec="gb18030", categories=("Lo", "Lu", "Ll", "Nd", "Po", "Zs")).filter(
    lambda c: len(c.encode("gb18030")) <= 2 or c.isascii()
)


@given(st.text(alphabet=_gbk_chars, max_size=40))
def test_gb18030_round_trip(text: str) -> None:
    enc = PROFILES["cn80"].encoder()
    if enc.can_encode(text):
        assert decode_native(enc.encode(text), "gb18030") == text


@given(st.text(alphabet=st.characters(codec="big5"), max_size=40))
def test_big5_round_trip(text: str) -> None:
    enc = PROFILES["tw80"].encoder()
    text = "".join(ch for ch in text if ch.isprintable())
    if enc.can_encode(text):
        assert decode_native(enc.encode(text), "big5") == text
