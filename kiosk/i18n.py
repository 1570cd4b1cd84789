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

from pathlib import Path

from lobbyq.runtime import i18n as _i18n

DOMAIN = "kiosk"


def read_catalog(path: Path) -> dict[str, str]:
    """Translated, non-fuzzy messages of one of this domain's ``.po`` files."""
    return _i18n.read_catalog(path, DOMAIN)


class Catalogs(_i18n.Catalogs):
    """All four languages of the kiosk's catalog, loaded once."""

    domain = DOMAIN
