"""The report's words in four languages, from gettext catalogs like the kiosk's.

Catalogs are plain ``.po`` files, ``assets/locale/<locale>/LC_MESSAGES/report.po``,
read with Babel when a report is made (no compile step). Message ids are the
English text, marked ``N_()`` in code and ``_()`` in the template; a missing
translation falls back to the English id, and ``tests/report/test_report_i18n.py``
fails if a catalog lacks one. After changing strings, from the repository root::

    pybabel extract -F lobbyq/report/babel.cfg -k N_ -o assets/locale/report.pot lobbyq/report
    pybabel update -D report -i assets/locale/report.pot -d assets/locale
"""

from __future__ import annotations

from pathlib import Path

from lobbyq.runtime import i18n as _i18n
from lobbyq.runtime.i18n import DEFAULT_LANG, LANGS, N_, Translator, default_locale_dir

DOMAIN = "report"

__all__ = [
    "DEFAULT_LANG",
    "DOMAIN",
    "LANGS",
    "N_",
    "Translator",
    "default_locale_dir",
    "read_catalog",
    "translator",
]


def read_catalog(path: Path) -> dict[str, str]:
    """Translated, non-fuzzy messages of one of the report's ``.po`` files."""
    return _i18n.read_catalog(path, DOMAIN)


def translator(lang: str, locale_dir: Path | None = None) -> Translator:
    """The translator of one of `LANGS` (English ids for English)."""
    return _i18n.translator(DOMAIN, lang, locale_dir)
