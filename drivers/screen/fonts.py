"""Screen fonts chosen by language, so each script gets its own regional glyphs.

Simplified and traditional Chinese share code points but not shapes (说/說 are
different code points, but 骨, 户, 丟 and many more are drawn differently in
mainland and Taiwan forms). The screen uses the Noto Sans CJK face of the
customer's region: SC for ``zh-Hans``, TC for ``zh-Hant``; English and Spanish
use the SC face too, which carries full Latin-1 (``ñ ¿ á``).

File lookup is the printer driver's (``drivers.printer.fonts``): one list of
font locations for the whole product. The face index inside a ``.ttc`` is not
trusted: the face whose family name ends with the region tag is taken, so a
font package that reorders its collection still gives the right glyphs.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from drivers.errors import DriverError
from drivers.printer.fonts import FontFace, FontNotFound, Region, find_cjk_font

if TYPE_CHECKING:
    import pygame.freetype

REGION_OF_LANG: dict[str, Region] = {"zh-Hans": "sc", "zh-Hant": "tc", "en": "sc", "es": "sc"}
_FAMILY_TAG: dict[Region, str] = {"sc": "SC", "tc": "TC", "hk": "HK", "jp": "JP", "kr": "KR"}
_MAX_FACES = 16


class ScreenFontError(DriverError):
    """No installed font can draw the screen's text (install fonts-noto-cjk)."""


@dataclass(frozen=True, slots=True)
class ScreenFace:
    """One face of one file, as pygame.freetype opens it."""

    path: Path
    index: int
    family: str


def _family(path: Path, index: int) -> str | None:
    import pygame.freetype as ft

    if not ft.get_init():
        ft.init()
    try:
        return str(ft.Font(str(path), 12, font_index=index).name)
    except (OSError, ValueError, IndexError):
        return None


def verify_face(face: FontFace, region: Region) -> ScreenFace:
    """The face of ``face.path`` whose family is the region's, whatever its index."""
    tag = _FAMILY_TAG[region]
    hinted = _family(face.path, face.index)
    if hinted is not None and (hinted.split(" Regular")[0].split(" Bold")[0].endswith(tag)):
        return ScreenFace(face.path, face.index, hinted)
    if face.path.suffix.lower() == ".ttc":
        for i in range(_MAX_FACES):
            name = _family(face.path, i)
            if name is None:
                break
            if f" {tag} " in f" {name} ":
                return ScreenFace(face.path, i, name)
    # A single-region file (WenQuanYi, a per-region OTF): take it as it is.
    return ScreenFace(face.path, face.index, hinted or face.path.stem)


@lru_cache(maxsize=16)
def face_for(lang: str, bold: bool = False) -> ScreenFace:
    """The screen face for a language (bold from the sibling Bold file when installed)."""
    region = REGION_OF_LANG.get(lang, "sc")
    try:
        base = find_cjk_font(region)
    except FontNotFound as exc:
        raise ScreenFontError(str(exc)) from exc
    if bold:
        bold_path = base.path.with_name(base.path.name.replace("-Regular", "-Bold"))
        if bold_path != base.path and bold_path.exists():
            base = FontFace(bold_path, base.index)
    return verify_face(base, region)


class FontBook:
    """pygame.freetype fonts per (language, bold), opened once and reused."""

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self._log = logger or logging.getLogger("lobbyq.drivers.screen.fonts")
        self._fonts: dict[tuple[str, bool], pygame.freetype.Font] = {}

    def font(self, lang: str, bold: bool = False) -> pygame.freetype.Font:
        key = (lang, bold)
        f = self._fonts.get(key)
        if f is None:
            import pygame.freetype as ft

            face = face_for(lang, bold)
            # Fonts with the same file and face share one FreeType object.
            for (_, b), other in self._fonts.items():
                if b == bold and face_for(_, b) == face:
                    f = other
                    break
            if f is None:
                f = ft.Font(str(face.path), 24, font_index=face.index)
                f.pad = False
                self._log.debug("font for %s%s: %s", lang, " bold" if bold else "", face.family)
            self._fonts[key] = f
        return f

    def preload(self, langs: Iterable[str]) -> None:
        for lang in langs:
            self.font(lang, False)
            self.font(lang, True)


def missing_glyphs(font: pygame.freetype.Font, text: str) -> set[str]:
    """Characters of ``text`` the font has no glyph for (they would draw as boxes)."""
    out: set[str] = set()
    chars = [c for c in text if not c.isspace()]
    if not chars:
        return out
    metrics = font.get_metrics("".join(chars), size=16)
    for ch, m in zip(chars, metrics, strict=False):
        if m is None:
            out.add(ch)
    return out
