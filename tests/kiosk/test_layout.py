"""Touch targets, contrast and hit-testing of every screen, without a display."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from kiosk.ui.gallery import gallery_states
from kiosk.ui.layout import MIN_TARGET_MM, Rect, layout
from kiosk.ui.paint import BUTTON_COLORS, PANEL_COLORS, TONES
from lobbyq.runtime.i18n import LANGS


def _lum(c: tuple[int, int, int]) -> float:
    def ch(v: int) -> float:
        s = v / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (ch(v) for v in c)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    hi, lo = sorted((_lum(a), _lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize("size", [(1280, 800), (1024, 600)])
@pytest.mark.parametrize("dpi", [150.0, 170.0])
def test_every_touch_target_is_at_least_15_mm(kiosk_view: Any, size: Any, dpi: float) -> None:
    app, _ = kiosk_view
    app.content = replace(app.content, dpi=dpi)
    app.size = size
    min_px = MIN_TARGET_MM * dpi / 25.4
    for lang in LANGS:
        for name, state in gallery_states(app, lang):
            for large in (False, True):
                frame = layout(replace(state, large=large), app.view(replace(state, large=large)))
                for b in frame.buttons:
                    assert b.rect.w >= min_px and b.rect.h >= min_px, (name, lang, b.id, b.rect)
                    assert b.rect.x >= 0 and b.rect.y >= 0
                    assert b.rect.x + b.rect.w <= size[0] and b.rect.y + b.rect.h <= size[1], (
                        name,
                        lang,
                        b.id,
                    )


def test_buttons_never_overlap(kiosk_view: Any) -> None:
    app, view = kiosk_view
    for name, state in gallery_states(app, "es"):
        buttons = layout(state, view(state)).buttons
        for i, a in enumerate(buttons):
            for b in buttons[i + 1 :]:
                overlap = not (
                    a.rect.x + a.rect.w <= b.rect.x
                    or b.rect.x + b.rect.w <= a.rect.x
                    or a.rect.y + a.rect.h <= b.rect.y
                    or b.rect.y + b.rect.h <= a.rect.y
                )
                assert not overlap, (name, a.id, b.id)


def test_priority_care_is_on_every_screen_a_customer_can_act_on(kiosk_view: Any) -> None:
    app, view = kiosk_view
    for name, state in gallery_states(app, "en"):
        ids = {b.id for b in layout(state, view(state)).buttons}
        if state.screen != "issuing":
            assert "care" in ids, name


def test_hit_testing_finds_the_button_drawn_there(kiosk_view: Any) -> None:
    app, view = kiosk_view
    state = gallery_states(app, "en")[3][1]  # ask
    frame = layout(state, view(state))
    for b in frame.buttons:
        assert frame.hit(b.rect.x + b.rect.w / 2, b.rect.y + b.rect.h / 2) == b.id
    assert frame.hit(-5, -5) is None


def test_colours_have_high_contrast() -> None:
    for role, (fill, text, _border) in BUTTON_COLORS.items():
        assert contrast(fill, text) >= 7.0, role
    assert contrast(PANEL_COLORS["notice"], TONES["text"]) >= 7.0
    assert contrast(PANEL_COLORS["alert"], TONES["inverse"]) >= 4.5
    assert contrast(PANEL_COLORS["bar"], TONES["inverse"]) >= 7.0
    assert contrast((255, 255, 255), TONES["muted"]) >= 7.0


def test_large_text_mode_makes_text_larger(kiosk_view: Any) -> None:
    app, view = kiosk_view
    state = gallery_states(app, "en")[3][1]

    def sizes(s: Any) -> dict[str, int]:
        buttons = layout(s, view(s)).buttons
        return {b.id: b.size for b in buttons if not b.id.startswith("lang:")}

    normal, large = sizes(state), sizes(replace(state, large=True))
    assert all(large[k] > normal[k] for k in normal)


def test_rect_contains_is_half_open() -> None:
    r = Rect(10, 10, 5, 5)
    assert r.contains(10, 10) and not r.contains(15, 10)
