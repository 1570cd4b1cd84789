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

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

LANGS: tuple[str, ...] = ("zh-Hans", "zh-Hant", "en", "es")
DEFAULT_LANG = "zh-Hans"
DOMAIN = "report"


def N_(message: str) -> str:
    """Mark a string for extraction without translating it here."""
    return message


def default_locale_dir() -> Path:
    """``assets/locale`` beside the packages, in a checkout or an installed tree."""
    return Path(__file__).resolve().parents[2] / "assets" / "locale"


@dataclass(frozen=True, slots=True)
class Translator:
    """One language; ``gettext`` falls back to the English id."""

    lang: str
    messages: Mapping[str, str]

    def gettext(self, message: str) -> str:
        return self.messages.get(message) or message

    __call__ = gettext

    def format(self, message: str, **values: object) -> str:
        """Translate, then fill ``{name}`` fields (translators may reorder them)."""
        return self.gettext(message).format(**values)


def read_catalog(path: Path) -> dict[str, str]:
    """Translated, non-fuzzy messages of one ``.po`` file."""
    from babel.messages.pofile import read_po  # heavy: only when a report is made

    with path.open("rb") as fh:
        catalog = read_po(fh, domain=DOMAIN)
    out: dict[str, str] = {}
    for msg in catalog:
        usable = msg.id and not msg.fuzzy and isinstance(msg.id, str)
        if usable and isinstance(msg.string, str) and msg.string:
            out[str(msg.id)] = msg.string
    return out


def translator(lang: str, locale_dir: Path | None = None) -> Translator:
    """The translator of one of `LANGS` (English ids for English)."""
    if lang not in LANGS:
        raise ValueError(f"unknown report language {lang!r}: use one of {', '.join(LANGS)}")
    base = locale_dir or default_locale_dir()
    path = base / lang.replace("-", "_") / "LC_MESSAGES" / f"{DOMAIN}.po"
    return Translator(lang, read_catalog(path) if path.exists() else {})
