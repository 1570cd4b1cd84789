"""The screen font for each language covers every string it will draw (no box glyphs)."""

from __future__ import annotations

from typing import Any

import pytest

from drivers.screen.fonts import FontBook, face_for, missing_glyphs
from kiosk.i18n import Catalogs
from kiosk.ui.content import default_assets_dir, load_slides
from kiosk.ui.gallery import gallery_states
from kiosk.ui.layout import layout
from lobbyq.runtime.i18n import LANG_NAMES, LANGS, Lang

pytest.importorskip("pygame")


@pytest.fixture(scope="module")
def fonts() -> FontBook:
    import pygame.freetype

    pygame.freetype.init()
    return FontBook()


def test_chinese_faces_are_the_regional_ones() -> None:
    assert (
        face_for("zh-Hans").family.startswith("Noto Sans CJK SC")
        or "WenQuanYi" in face_for("zh-Hans").family
    )
    hant = face_for("zh-Hant").family
    assert "TC" in hant or "WenQuanYi" in hant
    assert face_for("zh-Hans", bold=True).path.exists()


@pytest.mark.parametrize("lang", LANGS)
def test_font_covers_every_catalog_string(fonts: FontBook, lang: Lang) -> None:
    tr = Catalogs.load()[lang]
    font = fonts.font(lang)
    bold = fonts.font(lang, bold=True)
    texts = [*tr.messages.values(), LANG_NAMES[lang]]
    for slide in load_slides(default_assets_dir() / "slides"):
        texts += [slide.title.get(lang, ""), slide.body.get(lang, "")]
    for text in texts:
        assert not missing_glyphs(font, text), f"{lang}: boxes in {text!r}"
        assert not missing_glyphs(bold, text), f"{lang} bold: boxes in {text!r}"


def test_every_drawn_text_of_every_screen_has_glyphs(fonts: FontBook, kiosk_view: Any) -> None:
    app, view_for = kiosk_view
    for lang in LANGS:
        for name, state in gallery_states(app, lang):
            for text_lang, text in layout(state, view_for(state)).texts():
                missing = missing_glyphs(fonts.font(text_lang, True), text)
                assert not missing, f"{name}/{lang}: no glyph for {missing} in {text!r}"


def test_missing_glyphs_reports_what_a_font_lacks(fonts: FontBook) -> None:
    assert missing_glyphs(fonts.font("en"), "A\U0001f600") == {"\U0001f600"}


def test_simplified_and_traditional_draw_regional_glyph_shapes(fonts: FontBook) -> None:
    """The same code point (骨, 令) must come out in mainland and Taiwan shapes."""
    import pygame

    def bitmap(lang: str, ch: str) -> bytes:
        surf, _rect = fonts.font(lang).render(ch, (0, 0, 0), (255, 255, 255), size=64)
        return bytes(pygame.image.tobytes(surf, "RGB"))

    if "WenQuanYi" in face_for("zh-Hant").family:
        pytest.skip("only one Chinese face installed: regional shapes are not available")
    assert bitmap("zh-Hans", "骨") != bitmap("zh-Hant", "骨")
    assert bitmap("zh-Hans", "令") != bitmap("zh-Hant", "令")
    assert bitmap("zh-Hans", "A") == bitmap("en", "A")
