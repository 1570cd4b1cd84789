"""The CJK face for a report's language, found as the ticket printer finds its own.

Simplified and traditional Chinese share code points but not glyph shapes,
so a zh-Hans chart uses Noto Sans CJK SC and a zh-Hant chart Noto Sans CJK TC:
face 2 or 3 of Debian's ``NotoSansCJK-Regular.ttc`` (``fonts-noto-cjk``), or
the per-region OTF of other packagings, WenQuanYi Micro Hei as a last resort.
The same lookup as ``drivers/printer/fonts.py``, repeated here because the
report library sits below the drivers and needs only the core. It walks the
font directories on first use and caches the answer, never at import.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from lobbyq.core.errors import LobbyqError

NOTO_TTC = "NotoSansCJK-Regular.ttc"
NOTO_TTC_FACES = {"sc": 2, "tc": 3}
NOTO_OTF = {"sc": "NotoSansCJKsc-Regular.otf", "tc": "NotoSansCJKtc-Regular.otf"}
WQY_MICROHEI = "wqy-microhei.ttc"
FONT_DIRS_ENV = "LOBBYQ_FONT_DIRS"
DEFAULT_FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "~/.local/share/fonts")


class ReportFontNotFound(LobbyqError):
    """No CJK font is installed, so Chinese text in charts would be boxes."""


@dataclass(frozen=True, slots=True)
class Face:
    """A font file and the face inside it (a TTC collection holds several)."""

    path: Path
    index: int


def region_for_lang(lang: str) -> str:
    """``tc`` for traditional Chinese, ``sc`` for everything else (Latin text falls back)."""
    tag = lang.lower()
    return "tc" if tag.startswith("zh-hant") or tag in ("zh-tw", "zh-hk", "zh-mo") else "sc"


def font_dirs() -> tuple[Path, ...]:
    extra = [d for d in os.environ.get(FONT_DIRS_ENV, "").split(os.pathsep) if d]
    return tuple(Path(d).expanduser() for d in [*extra, *DEFAULT_FONT_DIRS])


@lru_cache(maxsize=8)
def _files(dirs: tuple[Path, ...]) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for root in dirs:
        if root.is_dir():
            for dirpath, _dirs, names in os.walk(root):
                for name in names:
                    found.setdefault(name, Path(dirpath) / name)
    return found


def find_cjk_face(lang: str, dirs: tuple[Path, ...] | None = None) -> Face:
    """The installed face for `lang`'s region: Noto TTC face, Noto OTF, then WenQuanYi."""
    region = region_for_lang(lang)
    files = _files(dirs if dirs is not None else font_dirs())
    if NOTO_TTC in files:
        return Face(files[NOTO_TTC], NOTO_TTC_FACES[region])
    if NOTO_OTF[region] in files:
        return Face(files[NOTO_OTF[region]], 0)
    if WQY_MICROHEI in files:
        return Face(files[WQY_MICROHEI], 0)
    raise ReportFontNotFound(
        "no CJK font for the report's charts: install fonts-noto-cjk (Debian) and try again"
    )
