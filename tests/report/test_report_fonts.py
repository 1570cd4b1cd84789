"""Chart text in the regional CJK face, with real glyphs (never boxes), in all languages."""

from __future__ import annotations

import string

import pytest
from babel.messages.extract import extract_from_dir
from matplotlib import font_manager, ft2font

from lobbyq.report.charts import font_context
from lobbyq.report.fonts import find_cjk_face
from lobbyq.report.i18n import LANGS, default_locale_dir, read_catalog, translator
from tests.report.conftest import ROOT


@pytest.mark.parametrize(("lang", "family"), [("zh-Hans", "Noto Sans CJK SC"),
                                              ("zh-Hant", "Noto Sans CJK TC")])  # fmt: skip
def test_chart_titles_use_the_regional_face_and_it_has_every_glyph(lang: str, family: str) -> None:
    face = find_cjk_face(lang)
    title = translator(lang)("Ratings per teller")
    with font_context(lang, face) as used:
        assert used == family
        found = font_manager.findfont(font_manager.FontProperties())
        assert (str(found), getattr(found, "face_index", 0)) == (str(face.path), face.index)
    font = ft2font.FT2Font(str(face.path), face_index=face.index)
    assert font.family_name == family
    cmap = font.get_charmap()
    missing = [ch for ch in title if not ch.isspace() and ord(ch) not in cmap]
    assert not missing, missing


def _messages() -> set[str]:
    found = extract_from_dir(
        str(ROOT / "lobbyq" / "report"),
        method_map=[("**.py", "python"), ("templates/**.html", "jinja2")],
        options_map={"templates/**.html": {"trim_blocks": "true", "lstrip_blocks": "true"}},
        keywords={"N_": None, "_": None},
    )
    return {m for _f, _l, m, _c, _x in found if isinstance(m, str)}


@pytest.mark.parametrize("lang", LANGS)
def test_every_report_string_is_translated(lang: str) -> None:
    msgs = _messages()
    assert "Service level" in msgs and "Daily report" in msgs and len(msgs) > 60
    path = default_locale_dir() / lang.replace("-", "_") / "LC_MESSAGES" / "report.po"
    cat = read_catalog(path)
    assert not sorted(msgs - cat.keys())
    for m in msgs:
        want = {f for _, f, _, _ in string.Formatter().parse(m) if f}
        assert want == {f for _, f, _, _ in string.Formatter().parse(cat[m]) if f}


def test_traditional_catalog_has_no_simplified_forms() -> None:
    tr = translator("zh-Hant")
    for m in _messages():
        assert not set(tr(m)) & set("号务设线窗评这为们时计"), tr(m)
