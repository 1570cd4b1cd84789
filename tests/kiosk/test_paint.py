"""Text fitting and the painter's memory bound."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from drivers.screen.fonts import FontBook
from kiosk.ui.flow import IssuedTicket
from kiosk.ui.gallery import gallery_states
from kiosk.ui.layout import Rect, layout
from kiosk.ui.paint import TEXT_CACHE_BYTES, Painter, fit, wrap


@pytest.fixture(scope="module")
def fonts() -> FontBook:
    import pygame.freetype

    pygame.freetype.init()
    return FontBook()


def test_wrap_breaks_latin_at_spaces_and_cjk_anywhere(fonts: FontBook) -> None:
    sentence = "Please keep this ticket and listen for your number."
    en = wrap(fonts.font("en"), sentence, 24, 200)
    assert len(en) > 1 and all(not line.startswith(" ") for line in en)
    assert " ".join(en).split() == sentence.split(" ")
    zh = wrap(fonts.font("zh-Hans"), "请妥善保管本票，留意叫号。" * 3, 24, 150)
    assert len(zh) > 2 and "".join(zh) == "请妥善保管本票，留意叫号。" * 3
    assert wrap(fonts.font("en"), "one\ntwo", 24, 500) == ["one", "two"]


def test_fit_shrinks_then_cuts_with_an_ellipsis(fonts: FontBook) -> None:
    font = fonts.font("es")
    size, lines, line_h = fit(font, "Sacar número", 40, Rect(0, 0, 400, 80))
    assert size == 40 and lines == ["Sacar número"]
    long = "palabra " * 200
    size, lines, line_h = fit(font, long, 40, Rect(0, 0, 300, 120))
    assert size >= 24, "never below 60 % of the asked size"
    assert lines[-1].endswith("…") and line_h * len(lines) <= 120


def test_text_cache_stays_within_its_budget(kiosk_view: Any, fonts: FontBook) -> None:
    import pygame

    app, view = kiosk_view
    painter = Painter(fonts, None)
    surface = pygame.Surface((1280, 800))
    base = next(s for n, s in gallery_states(app, "en") if n == "ticket-printed")
    for i in range(300):
        assert base.ticket is not None
        state = replace(base, ticket=IssuedTicket(f"A{i:03d}", "A", i, 60.0 * i))
        painter.paint(surface, layout(state, view(state)))
        assert painter._cache_bytes <= TEXT_CACHE_BYTES
    assert painter._cache_bytes == sum(
        img.get_width() * img.get_height() * 4 for p in painter._cache.values() for img, _x, _y in p
    )


def test_menu_names_break_between_phrases_not_inside_them(fonts: FontBook) -> None:
    font = fonts.font("zh-Hans")
    name = "开户·挂失·电子银行"
    width = font.get_rect("开户·挂失·电子", size=32).width + 2  # one character short
    lines = wrap(font, name, 32, width)
    assert lines == ["开户·挂失·", "电子银行"]
    prose = wrap(font, "请妥善保管本票，留意叫号。", 32, font.get_rect("请妥善保", size=32).width)
    assert all(not line.startswith(("，", "。")) for line in prose)
