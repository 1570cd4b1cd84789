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

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

LANGS: tuple[str, ...] = ("zh-Hans", "zh-Hant", "en", "es")
DEFAULT_LANG = "zh-Hans"
DOMAIN = "console"

#: Each language's own name, as shown on its switch (never translated).
LANG_NAMES: Mapping[str, str] = {
    "zh-Hans": "简体中文",
    "zh-Hant": "繁體中文",
    "en": "English",
    "es": "Español",
}

_ZH_HANT = ("zh-hant", "zh-tw", "zh-hk", "zh-mo")


def N_(message: str) -> str:
    """Mark a string for extraction without translating it here."""
    return message


def default_locale_dir() -> Path:
    """``assets/locale`` beside the packages, in a checkout or an installed tree."""
    return Path(__file__).resolve().parent.parent / "assets" / "locale"


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
    from babel.messages.pofile import read_po  # heavy: only when loading

    with path.open("rb") as fh:
        catalog = read_po(fh, domain=DOMAIN)
    out: dict[str, str] = {}
    for msg in catalog:
        usable = msg.id and not msg.fuzzy and isinstance(msg.id, str)
        if usable and isinstance(msg.string, str) and msg.string:
            out[str(msg.id)] = msg.string
    return out


class Catalogs:
    """All four languages, loaded once."""

    def __init__(self, translators: Mapping[str, Translator]) -> None:
        self._by_lang = dict(translators)

    @classmethod
    def load(cls, locale_dir: Path | None = None, langs: Iterable[str] = LANGS) -> Catalogs:
        base = locale_dir or default_locale_dir()
        out: dict[str, Translator] = {}
        for lang in langs:
            path = base / lang.replace("-", "_") / "LC_MESSAGES" / f"{DOMAIN}.po"
            out[lang] = Translator(lang, read_catalog(path) if path.exists() else {})
        return cls(out)

    def get(self, lang: str) -> Translator:
        return self._by_lang.get(lang) or self._by_lang.get(DEFAULT_LANG) or Translator(lang, {})

    def langs(self) -> tuple[str, ...]:
        return tuple(self._by_lang)


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
