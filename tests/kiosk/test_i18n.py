"""Every screen and ticket string exists in all four catalogs, and draws without boxes."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir

from kiosk.i18n import Catalogs, read_catalog
from lobbyq.runtime.i18n import LANGS, default_locale_dir, locale_of

ROOT = Path(__file__).resolve().parents[2]
METHODS = [("engine/**.py", "ignore"), ("display/**.py", "ignore"), ("**.py", "python")]


def source_messages() -> set[str]:
    found = extract_from_dir(
        str(ROOT / "kiosk"), method_map=METHODS, keywords={"N_": None, "_": None}
    )
    return {msg for _fn, _line, msg, _c, _ctx in found if isinstance(msg, str)}


def test_the_source_has_messages() -> None:
    msgs = source_messages()
    assert "Take a number" in msgs and "Priority care" in msgs
    assert len(msgs) > 40


@pytest.mark.parametrize("lang", LANGS)
def test_catalog_translates_every_message(lang: str) -> None:
    path = default_locale_dir() / locale_of(lang) / "LC_MESSAGES" / "kiosk.po"
    translated = read_catalog(path)
    missing = sorted(source_messages() - translated.keys())
    assert not missing, f"{lang} lacks {len(missing)}: {missing[:5]}"


@pytest.mark.parametrize("lang", ["zh-Hans", "zh-Hant", "es"])
def test_translations_keep_every_placeholder(lang: str) -> None:
    import string

    tr = Catalogs.load()[lang]
    for msg in source_messages():
        fields = {f for _, f, _, _ in string.Formatter().parse(msg) if f}
        got = {f for _, f, _, _ in string.Formatter().parse(tr(msg)) if f}
        assert fields == got, f"{lang}: {msg!r} -> {tr(msg)!r}"


def test_chinese_catalogs_use_their_own_script() -> None:
    cats = Catalogs.load()
    # a few characters whose simplified and traditional forms differ
    assert "号" in cats["zh-Hans"]("Take a number") and "號" in cats["zh-Hant"]("Take a number")
    for msg in source_messages():
        hant = cats["zh-Hant"](msg)
        assert not set(hant) & set("号机务说这为们问应"), f"simplified form in zh-Hant: {hant}"


def test_missing_message_falls_back_to_the_english_id() -> None:
    assert Catalogs.load()["es"]("a message nobody wrote") == "a message nobody wrote"
