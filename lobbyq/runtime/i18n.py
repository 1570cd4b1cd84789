"""Words in lobbyq's four languages, from gettext catalogs: one loader for every app.

The kiosk, the console and the reports each keep their strings in their own
catalog domain (``assets/locale/<locale>/LC_MESSAGES/<domain>.po``), read
with Babel when the app starts or a report is made, so a fresh clone works
without a compile step and a translator edits one text file. Message ids are
the English text (the gettext convention), marked in code with ``N_()`` so
``pybabel extract -k N_`` finds every string; a missing or fuzzy translation
falls back to the English id.

| language tag (wire, config) | catalog locale | glyph region |
|---|---|---|
| ``zh-Hans`` | ``zh_Hans`` | mainland (SC) |
| ``zh-Hant`` | ``zh_Hant`` | Taiwan (TC) |
| ``en`` | ``en`` | - |
| ``es`` | ``es`` | - |
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Literal, Self, cast

from lobbyq.core.errors import LobbyqError

Lang = Literal["zh-Hans", "zh-Hant", "en", "es"]
LANGS: tuple[Lang, ...] = ("zh-Hans", "zh-Hant", "en", "es")
DEFAULT_LANG: Lang = "zh-Hans"

#: Each language's own name, as shown on its button (never translated).
LANG_NAMES: Mapping[str, str] = {
    "zh-Hans": "简体中文",
    "zh-Hant": "繁體中文",
    "en": "English",
    "es": "Español",
}


class I18nError(LobbyqError):
    """A catalog that cannot be read or a language lobbyq does not speak."""


def N_(message: str) -> str:
    """Mark a string for extraction without translating it here."""
    return message


def locale_of(lang: str) -> str:
    """The catalog directory name of a language tag (``zh-Hans`` -> ``zh_Hans``)."""
    if lang not in LANGS:
        raise I18nError(f"unknown language {lang!r}; use one of {', '.join(LANGS)}")
    return lang.replace("-", "_")


def default_locale_dir() -> Path:
    """``assets/locale`` beside the packages, in a checkout or an installed tree."""
    return Path(__file__).resolve().parents[2] / "assets" / "locale"


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


def read_catalog(path: Path, domain: str) -> dict[str, str]:
    """Translated, non-fuzzy messages of one ``.po`` file."""
    from babel.messages.pofile import read_po  # Babel is heavy: import only when loading

    try:
        with path.open("rb") as fh:
            catalog = read_po(fh, domain=domain)
    except OSError as exc:
        raise I18nError(f"cannot read catalog {path.name}: {exc.strerror}") from exc
    out: dict[str, str] = {}
    for msg in catalog:
        if not msg.id or msg.fuzzy or not isinstance(msg.id, str):
            continue
        if isinstance(msg.string, str) and msg.string:
            out[msg.id] = msg.string
    return out


def translator(domain: str, lang: str, locale_dir: Path | None = None) -> Translator:
    """One language of one domain (English, or a language without a catalog, reads the ids)."""
    path = (locale_dir or default_locale_dir()) / locale_of(lang) / "LC_MESSAGES"
    po = path / f"{domain}.po"
    return Translator(cast(Lang, lang), read_catalog(po, domain) if po.exists() else {})


class Catalogs:
    """All four languages of one domain, loaded once; subclasses name the domain."""

    domain: ClassVar[str] = ""

    def __init__(self, translators: Mapping[str, Translator]) -> None:
        self._by_lang = dict(translators)

    @classmethod
    def load(cls, locale_dir: Path | None = None, langs: Iterable[str] = LANGS) -> Self:
        if not cls.domain:
            raise I18nError(f"{cls.__name__} names no catalog domain")
        return cls({lang: translator(cls.domain, lang, locale_dir) for lang in langs})

    def __getitem__(self, lang: str) -> Translator:
        try:
            return self._by_lang[lang]
        except KeyError:
            raise I18nError(f"no catalog for {lang!r}") from None

    def get(self, lang: str) -> Translator:
        """The language asked for, else the default one, else the English ids."""
        found = self._by_lang.get(lang) or self._by_lang.get(DEFAULT_LANG)
        return found or Translator(DEFAULT_LANG, {})

    def langs(self) -> tuple[str, ...]:
        return tuple(self._by_lang)
