"""Screen and ticket strings in the kiosk's four languages, from gettext catalogs.

The catalogs are plain ``.po`` files under ``assets/locale/<locale>/LC_MESSAGES/
kiosk.po`` and are read with Babel when the kiosk starts, so a fresh clone
works without a compile step and a translator edits one text file. Message ids
are the English text (the gettext convention), marked in code with ``_()``
(translated where it is used) or ``N_()`` (marked only, translated later), so
``pybabel extract -k N_ kiosk`` finds every string.

| language tag (wire, config) | catalog locale | glyph region |
|---|---|---|
| ``zh-Hans`` | ``zh_Hans`` | mainland (SC) |
| ``zh-Hant`` | ``zh_Hant`` | Taiwan (TC) |
| ``en`` | ``en`` | - |
| ``es`` | ``es`` | - |

A missing or fuzzy translation falls back to the English id, and
``tests/kiosk/test_i18n.py`` fails if any catalog lacks one. After changing
strings, from the repository root::

    pybabel extract -k N_ --ignore-dirs="engine display" -o assets/locale/kiosk.pot kiosk
    pybabel update -D kiosk -i assets/locale/kiosk.pot -d assets/locale

then translate the new ``msgstr`` entries (no compile step: the kiosk reads
the ``.po`` files).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from kiosk.ui import KioskError

Lang = Literal["zh-Hans", "zh-Hant", "en", "es"]
LANGS: tuple[Lang, ...] = ("zh-Hans", "zh-Hant", "en", "es")
DEFAULT_LANG: Lang = "zh-Hans"
DOMAIN = "kiosk"

#: Each language's own name, as shown on its button (never translated).
LANG_NAMES: Mapping[Lang, str] = {
    "zh-Hans": "简体中文",
    "zh-Hant": "繁體中文",
    "en": "English",
    "es": "Español",
}


class I18nError(KioskError):
    """A catalog that cannot be read or a language the kiosk does not speak."""


def N_(message: str) -> str:
    """Mark a string for extraction without translating it here."""
    return message


def locale_of(lang: str) -> str:
    """The catalog directory name of a language tag (``zh-Hans`` -> ``zh_Hans``)."""
    if lang not in LANGS:
        raise I18nError(f"unknown language {lang!r}; use one of {', '.join(LANGS)}")
    return lang.replace("-", "_")


def default_locale_dir() -> Path:
    """``assets/locale`` of this source tree (the kiosk runs from a checkout or a wheel)."""
    return Path(__file__).resolve().parent.parent / "assets" / "locale"


@dataclass(frozen=True, slots=True)
class Translator:
    """One language's translations; ``gettext`` falls back to the English id."""

    lang: Lang
    messages: Mapping[str, str]

    def gettext(self, message: str) -> str:
        return self.messages.get(message) or message

    __call__ = gettext

    def format(self, message: str, **values: object) -> str:
        """Translate, then fill ``{name}`` fields (translators may reorder them)."""
        return self.gettext(message).format(**values)


def read_catalog(path: Path) -> dict[str, str]:
    """Translated, non-fuzzy messages of one ``.po`` file."""
    from babel.messages.pofile import read_po  # Babel is heavy: import only when loading

    try:
        with path.open("rb") as fh:
            catalog = read_po(fh, domain=DOMAIN)
    except OSError as exc:
        raise I18nError(f"cannot read catalog {path.name}: {exc.strerror}") from exc
    out: dict[str, str] = {}
    for msg in catalog:
        if not msg.id or msg.fuzzy or not isinstance(msg.id, str):
            continue
        if isinstance(msg.string, str) and msg.string:
            out[msg.id] = msg.string
    return out


class Catalogs:
    """All four languages, loaded once at start-up."""

    def __init__(self, translators: Mapping[Lang, Translator]) -> None:
        self._by_lang = dict(translators)

    @classmethod
    def load(cls, locale_dir: Path | None = None, langs: Iterable[Lang] = LANGS) -> Catalogs:
        base = locale_dir or default_locale_dir()
        out: dict[Lang, Translator] = {}
        for lang in langs:
            path = base / locale_of(lang) / "LC_MESSAGES" / f"{DOMAIN}.po"
            out[lang] = Translator(lang, read_catalog(path) if path.exists() else {})
        return cls(out)

    def __getitem__(self, lang: str) -> Translator:
        try:
            return self._by_lang[lang]  # type: ignore[index]
        except KeyError:
            raise I18nError(f"no catalog for {lang!r}") from None

    def langs(self) -> tuple[Lang, ...]:
        return tuple(self._by_lang)
