"""The pure ticket renderer: golden bytes per language and profile, layout, privacy."""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from drivers.printer.errors import TicketDataError
from drivers.printer.fonts import find_cjk_font
from drivers.printer.profiles import PROFILES
from drivers.printer.stream import parse
from drivers.printer.ticket import TicketData, render_ticket, text_width, wrap
from tests.drivers.printer.conftest import make_ticket

GOLDEN = Path(__file__).with_name("golden")
UPDATE = os.environ.get("LOBBYQ_UPDATE_GOLDEN") == "1"

ZH_HANS = {"your_number": "您的号码", "people_ahead": "前面等候", "expected_wait": "预计等待",
           "minutes": "{minutes} 分钟", "zone": "请到", "prepare": "请准备",
           "scan": "扫码查看叫号进度", "issued": "取号时间", "keep": "请保留此票，留意叫号。",
           "sep": "："}  # fmt: skip
ZH_HANT = {"your_number": "您的號碼", "people_ahead": "前面等候", "expected_wait": "預計等待",
           "minutes": "{minutes} 分鐘", "wait_unknown": "稍後公佈", "zone": "請到",
           "prepare": "請準備", "scan": "掃碼查看叫號進度", "issued": "取號時間",
           "keep": "請保留此票，留意叫號。", "sep": "："}  # fmt: skip
ES = {
    "your_number": "Su número",
    "people_ahead": "Personas delante",
    "zone": "Espere en",
    "expected_wait": "Espera estimada",
    "prepare": "Tenga preparado",
    "issued": "Emitido",
}

TICKETS: dict[str, TicketData] = {
    "zh-Hans": make_ticket(
        lang="zh-Hans", branch_name="北京西单支行", service_name="个人开户 / 银行卡",
        prepare="身份证原件\n开户申请表", zone="A区 1-2号窗口", labels=ZH_HANS,
    ),
    "zh-Hant": make_ticket(
        lang="zh-Hant", number="B105", branch_name="台北信義分行", service_name="理財 / 基金",
        expected_wait_min=None, prepare="身分證正本", zone="B區 3號櫃檯",
        notice="系統維護中，請耐心等候", labels=ZH_HANT, priority="愛心優先",
    ),
    "en": make_ticket(lang="en", branch_name="Demo Branch", service_name="Payments",
                      prepare="Payment order form", zone="Zone C"),
    "es": make_ticket(labels=ES, notice="¡Hoy cerramos a las 14:00!", priority="Cita"),
}  # fmt: skip

CASES = [("zh-Hans", "cn80"), ("zh-Hant", "tw80"), ("en", "cn80"), ("es", "cn58")]


@pytest.mark.parametrize(("lang", "profile"), CASES)
def test_golden_bytes(lang: str, profile: str) -> None:
    data = render_ticket(TICKETS[lang], PROFILES[profile])
    path = GOLDEN / f"ticket-{lang}-{profile}.bin"
    if UPDATE:
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(data)
    assert data == path.read_bytes(), f"{path.name} changed; look at its preview, then update"


def test_ticket_starts_with_init_codepage_and_bold_centred_branch() -> None:
    data = render_ticket(TICKETS["es"], PROFILES["cn80"])
    assert data.startswith(
        b"\x1b@"  # ESC @ initialise
        b"\x1bt\x02"  # ESC t 2: PC850 for Spanish accents
        b"\x1ba\x01"  # ESC a 1: centre
        b"\x1bE\x01"  # ESC E 1: bold
        b"\x1d!\x00"  # GS ! 0: normal size
        b"Sucursal Centro\n"
        b"\x1d!\x11Cuentas y tarjetas\n"  # service at double size
    )
    assert b"\x1d!\x33A023\n" in data  # the number at 4 x 4
    assert b"Su n\xa3mero\n" in data  # the caller's label, in PC850
    assert b"Your number" not in data
    assert b"Scan to follow your turn" in data  # a label not given falls back to English


def test_priority_class_is_printed_bold_and_centred_under_the_service() -> None:
    data = render_ticket(TICKETS["es"], PROFILES["cn80"])
    # still centred and bold from the service line, back to normal size
    assert b"\x1d!\x11Cuentas y tarjetas\n\x1d!\x00Cita\n\x1bE\x00Su n\xa3mero\n" in data


def test_traditional_priority_class_prints_in_big5() -> None:
    data = render_ticket(TICKETS["zh-Hant"], PROFILES["tw80"])
    assert "愛心優先".encode("big5") in data


def _texts(data: bytes) -> list[bytes]:
    return [op.data for op in parse(data) if op.name == "text"]


def test_a_ticket_without_a_priority_class_has_no_line_for_it() -> None:
    plain = _texts(render_ticket(make_ticket(), PROFILES["cn80"]))
    care = _texts(render_ticket(make_ticket(priority="Atención prioritaria"), PROFILES["cn80"]))
    assert care == [*plain[:2], b"Atenci\xa2n prioritaria", *plain[2:]]
    assert render_ticket(make_ticket(priority=""), PROFILES["cn80"]) == render_ticket(
        make_ticket(), PROFILES["cn80"]
    )


def test_ticket_ends_with_feed_and_partial_cut_on_cn80() -> None:
    data = render_ticket(TICKETS["en"], PROFILES["cn80"])
    assert data.endswith(b"\x1bd\x06\x1dV\x01")


def test_chinese_ticket_uses_fs_ampersand_and_gb18030() -> None:
    data = render_ticket(TICKETS["zh-Hans"], PROFILES["cn80"])
    assert b"\x1c&" + "北京西单支行".encode("gb18030") + b"\x1c." in data


def test_traditional_ticket_on_big5_printer_uses_big5() -> None:
    data = render_ticket(TICKETS["zh-Hant"], PROFILES["tw80"])
    assert "台北信義分行".encode("big5") in data
    assert "台北信義分行".encode("gb18030") not in data
    assert "稍後公佈".encode("big5") in data  # no estimate: the wait_unknown label


def test_native_qr_carries_the_payload() -> None:
    data = render_ticket(TICKETS["en"], PROFILES["cn80"])
    store = [op for op in parse(data) if op.name == "code2d" and op.data[1:2] == b"P"]
    assert len(store) == 1
    assert store[0].data.endswith(b"https://q.example/t/A023")


def test_profile_without_native_qr_gets_a_raster_qr() -> None:
    data = render_ticket(TICKETS["en"], PROFILES["basic80"])
    names = [op.name for op in parse(data)]
    assert "code2d" not in names
    assert "raster" in names


def test_raster_profile_rasterizes_chinese_lines_only() -> None:
    data = render_ticket(TICKETS["zh-Hans"], PROFILES["intl80"], font=find_cjk_font("sc"))
    ops = parse(data)
    assert not any(op.name == "chinese_on" for op in ops)
    rasters = [op for op in ops if op.name == "raster"]
    assert len(rasters) >= 8  # branch, service, labels...: each a GS v 0 line
    assert b"A023" in data  # the number stays native text
    assert all((op.params[0] | op.params[1] << 8) * 8 <= 512 for op in rasters)


def test_simplified_text_on_big5_printer_falls_back_to_raster() -> None:
    data = render_ticket(TICKETS["zh-Hans"], PROFILES["tw80"], font=find_cjk_font("sc"))
    assert any(op.name == "raster" for op in parse(data))


def test_rendering_is_deterministic() -> None:
    logo = Image.new("L", (200, 60), 255)
    logo.paste(0, (10, 10, 60, 50))
    for lang, profile in CASES:
        a = render_ticket(TICKETS[lang], PROFILES[profile], logo=logo)
        b = render_ticket(TICKETS[lang], PROFILES[profile], logo=logo)
        assert a == b


def test_logo_is_scaled_to_the_paper() -> None:
    logo = Image.new("L", (2000, 400), 0)
    data = render_ticket(TICKETS["en"], PROFILES["cn58"], logo=logo)
    raster = next(op for op in parse(data) if op.name == "raster")
    assert (raster.params[0] | raster.params[1] << 8) * 8 <= 384


def test_wrap_counts_cjk_as_two_cells() -> None:
    assert wrap("一二三四五", 4) == ["一二", "三四", "五"]
    assert wrap("Zona B, ventanillas 7-8", 10) == ["Zona B,", "ventanilla", "s 7-8"]
    assert all(text_width(line) <= 48 for line in wrap("字" * 100, 48))


def _synthetic_card(rng: random.Random) -> str:
    """An obviously fake 16-digit number (test prefix 999999) with a valid Luhn digit."""
    body = "999999" + "".join(str(rng.randrange(10)) for _ in range(9))
    for check in "0123456789":
        digits = [int(c) for c in body + check]
        total = sum(d if i % 2 == 0 else (d * 2 - 9 if d > 4 else d * 2)
                    for i, d in enumerate(reversed(digits)))  # fmt: skip
        if total % 10 == 0:
            return body + check
    raise AssertionError("unreachable")


def _synthetic_id(rng: random.Random) -> str:
    """An obviously fake resident ID (region 999999, born 1900) with a valid check char."""
    body = "99999919000101" + "".join(str(rng.randrange(10)) for _ in range(3))
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(d) * w for d, w in zip(body, weights, strict=True))
    return body + "10X98765432"[total % 11]


@pytest.mark.parametrize("field", ["qr_payload", "notice", "prepare", "zone", "priority"])
def test_card_and_id_numbers_are_refused_and_not_echoed(field: str) -> None:
    rng = random.Random(7)
    for secret in (_synthetic_card(rng), _synthetic_id(rng)):
        spaced = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
        for value in (secret, f"ref {spaced} end"):
            with pytest.raises(TicketDataError) as info:
                make_ticket(**{field: value})
            assert secret not in str(info.value)
            assert secret[-4:] not in str(info.value)


def test_ordinary_numbers_still_print() -> None:
    t = make_ticket(qr_payload="https://q.example/t/8d1f2a3b-0c4d-4e5f-9a6b-7c8d9e0f1a2b",
                    notice="Tel. 955 123 456, ticket 20261123-000123")  # fmt: skip
    assert render_ticket(t, PROFILES["cn80"])


@pytest.mark.parametrize(
    "changes",
    [{"lang": "fr"}, {"number": ""}, {"people_ahead": -1}, {"expected_wait_min": -5}],
)
def test_bad_ticket_data_is_refused(changes: dict[str, object]) -> None:
    with pytest.raises(TicketDataError):
        make_ticket(**changes)


def test_labels_fall_back_to_english(ticket_factory: Callable[..., TicketData]) -> None:
    t = ticket_factory(labels={"zone": "Espere en"})
    data = render_ticket(t, PROFILES["cn80"])
    assert b"Espere en: Zona B" in data
    assert b"People ahead: 3" in data


def test_raster_command_is_bit_exact() -> None:
    from drivers.printer.ticket import raster_command

    img = Image.new("L", (10, 2), 255)
    img.putpixel((0, 0), 0)
    img.putpixel((9, 1), 0)
    assert raster_command(img) == b"\x1dv0\x00\x02\x00\x02\x00" + b"\x80\x00" + b"\x00\x40"
    shifted = raster_command(img, x=8)  # 8 blank dots on the left: one more byte per row
    assert shifted == b"\x1dv0\x00\x03\x00\x02\x00" + b"\x00\x80\x00" + b"\x00\x00\x40"


def test_raster_images_are_sent_left_aligned_with_their_own_offset() -> None:
    logo = Image.new("L", (100, 40), 0)
    data = render_ticket(TICKETS["zh-Hans"], PROFILES["intl80"], logo=logo)
    align = 0
    for op in parse(data):
        if op.name == "align":
            align = op.arg
        elif op.name == "raster":
            assert align == 0, "ESC a must be left before every GS v 0"


@pytest.mark.parametrize(("lang", "profile"), CASES)
def test_every_text_byte_decodes_strictly_in_the_mode_it_is_sent(lang: str, profile: str) -> None:
    codec = "big5" if PROFILES[profile].cjk == "big5" else "gb18030"
    chinese, text = False, []
    for op in parse(render_ticket(TICKETS[lang], PROFILES[profile])):
        if op.name == "chinese_on":
            chinese = True
        elif op.name == "chinese_off":
            chinese = False
        elif op.name == "text":
            text.append(op.data.decode(codec if chinese else "cp850"))  # strict: raises if wrong
    assert TICKETS[lang].number in "".join(text)
    assert not chinese, "a ticket must end with Chinese mode off"
