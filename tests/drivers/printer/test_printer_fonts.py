"""Regional CJK face lookup: Noto TTC face by region, OTF, WenQuanYi, none."""

from __future__ import annotations

from pathlib import Path

import pytest

from drivers.printer.fonts import (
    FontNotFound,
    find_cjk_font,
    find_latin_mono,
    region_for_lang,
)


def _touch(root: Path, name: str) -> Path:
    path = root / "sub" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    return path


@pytest.mark.parametrize(
    ("region", "face"), [("jp", 0), ("kr", 1), ("sc", 2), ("tc", 3), ("hk", 4)]
)
def test_noto_ttc_face_per_region(tmp_path: Path, region: str, face: int) -> None:
    path = _touch(tmp_path, "NotoSansCJK-Regular.ttc")
    got = find_cjk_font(region, dirs=[tmp_path])  # type: ignore[arg-type]
    assert (got.path, got.index) == (path, face)


def test_region_specific_otf_then_wenquanyi(tmp_path: Path) -> None:
    # the directory scan is cached per directory list, so each case gets its own
    otf = _touch(tmp_path / "a", "NotoSansCJKtc-Regular.otf")
    assert find_cjk_font("tc", dirs=[tmp_path / "a"]).path == otf
    _touch(tmp_path / "b", "NotoSansCJKtc-Regular.otf")
    wqy = _touch(tmp_path / "b", "wqy-microhei.ttc")
    assert find_cjk_font("sc", dirs=[tmp_path / "b"]).path == wqy


def test_no_font_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FontNotFound, match="fonts-noto-cjk"):
        find_cjk_font("sc", dirs=[tmp_path / "empty"])
    assert find_latin_mono(dirs=[tmp_path / "empty"]) is None


@pytest.mark.parametrize(
    ("lang", "region"),
    [("zh-Hans", "sc"), ("zh-Hant", "tc"), ("zh-HK", "hk"), ("en", "sc"), ("es", "sc")],
)
def test_region_for_ticket_language(lang: str, region: str) -> None:
    assert region_for_lang(lang) == region


def test_installed_font_has_the_regional_face() -> None:
    try:
        face = find_cjk_font("tc")
    except FontNotFound:
        pytest.skip("no CJK font installed")
    name = face.load(24).getname()[0] or ""
    assert "TC" in name or "WenQuanYi" in name or "Micro Hei" in name
