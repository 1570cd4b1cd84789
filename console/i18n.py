"""The console's words in four languages, from gettext catalogs like the kiosk's.

Catalogs are plain ``.po`` files, ``assets/locale/<locale>/LC_MESSAGES/console.po``,
read with Babel at start-up (no compile step). Message ids are the English
text, marked ``_()`` in the templates and ``N_()`` in code. A missing
translation falls back to the English id, and ``tests/console/test_console_i18n.py``
fails if a catalog lacks one. After changing strings, from the repository root::

    pybabel extract -F console/babel.cfg -k N_ -o assets/locale/console.pot console
    pybabel update -D console -i assets/locale/console.pot -d assets/locale

(a language's first catalog: ``pybabel init -D console -l zh_Hans ...``)

The page declares its ``lang`` (``zh-Hans``, ``zh-Hant``), so the browser
picks the mainland or the Taiwan glyphs of Noto Sans CJK (the stylesheet
names SC or TC first for each).
"""

from __future__ import annotations

from pathlib import Path

from lobbyq.runtime import i18n as _i18n
from lobbyq.runtime.i18n import DEFAULT_LANG

DOMAIN = "console"


def read_catalog(path: Path) -> dict[str, str]:
    """Translated, non-fuzzy messages of one of this domain's ``.po`` files."""
    return _i18n.read_catalog(path, DOMAIN)


class Catalogs(_i18n.Catalogs):
    """All four languages of the console's catalog, loaded once."""

    domain = DOMAIN


_ZH_HANT = ("zh-hant", "zh-tw", "zh-hk", "zh-mo")


def negotiate(accept_language: str | None, default: str = DEFAULT_LANG) -> str:
    """The first of our four languages an ``Accept-Language`` header asks for."""
    if not accept_language:
        return default
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        ranked.append((-q, i, tag.strip().lower()))
    for neg_q, _, tag in sorted(ranked):
        if neg_q >= 0:
            continue
        if tag.startswith(_ZH_HANT):
            return "zh-Hant"
        if tag.startswith("zh"):
            return "zh-Hans"
        if tag.startswith("en"):
            return "en"
        if tag.startswith("es"):
            return "es"
    return default
