"""Find a CJK font face for raster text and for the ticket preview.

Chinese shares code points between regions but not glyph shapes: 说/說,
the 骨 and 户 strokes, and many more differ between mainland (SC), Taiwan
(TC) and Hong Kong (HK) forms. A simplified ticket rendered with the Japanese
face of a Noto TTC looks wrong to a customer, so the face is chosen by
region. ``NotoSansCJK-Regular.ttc`` (Debian ``fonts-noto-cjk``) holds faces
0 JP, 1 KR, 2 SC, 3 TC, 4 HK; WenQuanYi Micro Hei (``fonts-wqy-microhei``) is
the fallback (mainland shapes, but it covers traditional characters too).

The lookup walks the usual font directories once and caches the answer; it
runs when a font is first needed, never at import.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from PIL import ImageFont

from drivers.errors import DriverError

Region = Literal["sc", "tc", "hk", "jp", "kr"]

#: Face index of each region in the Noto Sans/Serif CJK TTC collections.
NOTO_TTC_FACES: dict[Region, int] = {"jp": 0, "kr": 1, "sc": 2, "tc": 3, "hk": 4}

#: Per-region OTF file names of the Noto CJK "Sans" family (other packagings).
NOTO_OTF_NAMES: dict[Region, str] = {
    "sc": "NotoSansCJKsc-Regular.otf",
    "tc": "NotoSansCJKtc-Regular.otf",
    "hk": "NotoSansCJKhk-Regular.otf",
    "jp": "NotoSansCJKjp-Regular.otf",
    "kr": "NotoSansCJKkr-Regular.otf",
}

NOTO_TTC = "NotoSansCJK-Regular.ttc"
WQY_MICROHEI = "wqy-microhei.ttc"
LATIN_MONO = ("NotoSansMono-Regular.ttf", "DejaVuSansMono.ttf", "LiberationMono-Regular.ttf")

#: Where fonts live on Debian-like systems, plus an override for deployments.
FONT_DIRS_ENV = "LOBBYQ_FONT_DIRS"
DEFAULT_FONT_DIRS: tuple[str, ...] = (
    "/usr/share/fonts",
    "/usr/local/share/fonts",
    "~/.local/share/fonts",
    "~/.fonts",
)


class FontNotFound(DriverError):
    """No usable font is installed for the asked region."""


@dataclass(frozen=True, slots=True)
class FontFace:
    """A font file and the face inside it (TTC collections hold several)."""

    path: Path
    index: int = 0

    def load(self, size: int) -> ImageFont.FreeTypeFont:
        """The face at ``size`` pixels (cached: opening a 20 MB TTC is not free)."""
        return _load(str(self.path), self.index, size)


@lru_cache(maxsize=64)
def _load(path: str, index: int, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size, index=index)


def region_for_lang(lang: str) -> Region:
    """The glyph region for a ticket language tag (zh-Hant -> tc, zh-HK -> hk)."""
    tag = lang.lower()
    if tag in ("zh-hk", "zh-mo", "zh-hant-hk", "zh-hant-mo"):
        return "hk"
    if tag.startswith("zh-hant") or tag in ("zh-tw",):
        return "tc"
    if tag.startswith("ja"):
        return "jp"
    if tag.startswith("ko"):
        return "kr"
    return "sc"


def font_dirs() -> list[Path]:
    """Directories searched, the environment override first."""
    extra = os.environ.get(FONT_DIRS_ENV, "")
    dirs = [d for d in extra.split(os.pathsep) if d] + list(DEFAULT_FONT_DIRS)
    return [Path(d).expanduser() for d in dirs]


def _index_files(dirs: Iterable[Path]) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for root in dirs:
        if not root.is_dir():
            continue
        for dirpath, _dirnames, filenames in os.walk(root):
            for name in filenames:
                found.setdefault(name, Path(dirpath) / name)
    return found


@lru_cache(maxsize=8)
def _files(dirs: tuple[Path, ...]) -> dict[str, Path]:
    return _index_files(dirs)


def find_cjk_font(region: Region = "sc", dirs: Sequence[Path] | None = None) -> FontFace:
    """The best installed face for ``region``: Noto TTC, then Noto OTF, then WenQuanYi."""
    files = _files(tuple(dirs if dirs is not None else font_dirs()))
    if NOTO_TTC in files:
        return FontFace(files[NOTO_TTC], NOTO_TTC_FACES[region])
    if NOTO_OTF_NAMES[region] in files:
        return FontFace(files[NOTO_OTF_NAMES[region]], 0)
    if WQY_MICROHEI in files:
        return FontFace(files[WQY_MICROHEI], 0)
    raise FontNotFound(
        f"no CJK font for region {region!r}: install fonts-noto-cjk or fonts-wqy-microhei"
    )


def find_latin_mono(dirs: Sequence[Path] | None = None) -> FontFace | None:
    """A monospaced Latin face for the preview, or ``None`` (Pillow's default then)."""
    files = _files(tuple(dirs if dirs is not None else font_dirs()))
    for name in LATIN_MONO:
        if name in files:
            return FontFace(files[name], 0)
    return None
