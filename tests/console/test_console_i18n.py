"""Every console string is in all four catalogs, with its placeholders, in its own script."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir

from console.i18n import Catalogs, negotiate, read_catalog
from lobbyq.runtime.i18n import LANGS, default_locale_dir

ROOT = Path(__file__).resolve().parents[2]
METHODS = [("**.py", "python"), ("templates/**.html", "jinja2")]
OPTIONS = {"templates/**.html": {"trim_blocks": "true", "lstrip_blocks": "true"}}


def source_messages() -> set[str]:
    found = extract_from_dir(
        str(ROOT / "console"),
        method_map=METHODS,
        options_map=OPTIONS,
        keywords={"N_": None, "_": None},
    )
    return {msg for _fn, _line, msg, _c, _ctx in found if isinstance(msg, str)}


def test_the_source_has_messages() -> None:
    msgs = source_messages()
    assert "Lobby console" in msgs and "Power cut" in msgs and "Done." in msgs
    assert len(msgs) > 80


@pytest.mark.parametrize("lang", LANGS)
def test_catalog_translates_every_message(lang: str) -> None:
    path = default_locale_dir() / lang.replace("-", "_") / "LC_MESSAGES" / "console.po"
    missing = sorted(source_messages() - read_catalog(path).keys())
    assert not missing, f"{lang} lacks {len(missing)}: {missing[:5]}"


@pytest.mark.parametrize("lang", ["zh-Hans", "zh-Hant", "es"])
def test_translations_keep_every_placeholder(lang: str) -> None:
    tr = Catalogs.load().get(lang)
    for msg in source_messages():
        fields = {f for _, f, _, _ in string.Formatter().parse(msg) if f}
        got = {f for _, f, _, _ in string.Formatter().parse(tr(msg)) if f}
        assert fields == got, f"{lang}: {msg!r} -> {tr(msg)!r}"


def test_chinese_catalogs_use_their_own_script() -> None:
    cats = Catalogs.load()
    assert "柜台" in cats.get("zh-Hans")("Counters") and "櫃檯" in cats.get("zh-Hant")("Counters")
    for msg in source_messages():
        hant = cats.get("zh-Hant")(msg)
        assert not set(hant) & set("号机务说这为们问应柜设线"), f"simplified form: {hant}"


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        ("zh-TW,zh;q=0.8", "zh-Hant"),
        ("zh-CN", "zh-Hans"),
        ("fr-FR, es;q=0.5, en;q=0.7", "en"),
        ("fr", "zh-Hans"),
        (None, "zh-Hans"),
        ("en;q=0, es", "es"),
    ],
)
def test_accept_language(header: str | None, lang: str) -> None:
    assert negotiate(header) == lang
