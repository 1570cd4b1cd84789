"""The CJK face for a report's language: the ticket printer's lookup, by the text's region.

Simplified and traditional Chinese share code points but not glyph shapes,
so a zh-Hans chart uses Noto Sans CJK SC and a zh-Hant chart Noto Sans CJK TC
(face 2 or 3 of Debian's ``NotoSansCJK-Regular.ttc``). The font files are
found by ``drivers.printer.fonts``, the one list of font locations for the
whole product; this module only picks the region and says what to install
when nothing is there. Nothing is looked up at import.
"""

from __future__ import annotations

from drivers.printer.fonts import FontFace, FontNotFound, Region, find_cjk_font
from lobbyq.core.errors import LobbyqError

#: The face type the charts are given (a file and the face inside it).
Face = FontFace


class ReportFontNotFound(LobbyqError):
    """No CJK font is installed, so Chinese text in charts would be boxes."""


def region_for_lang(lang: str) -> Region:
    """``tc`` for traditional Chinese, ``sc`` for everything else (Latin text falls back)."""
    tag = lang.lower()
    return "tc" if tag.startswith("zh-hant") or tag in ("zh-tw", "zh-hk", "zh-mo") else "sc"


def find_cjk_face(lang: str) -> Face:
    """The installed face for ``lang``'s region: Noto TTC face, Noto OTF, then WenQuanYi."""
    try:
        return find_cjk_font(region_for_lang(lang))
    except FontNotFound as exc:
        raise ReportFontNotFound(
            f"no CJK font for the report's charts ({exc}); install fonts-noto-cjk (Debian)"
        ) from exc
