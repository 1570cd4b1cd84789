"""Draw a layout frame with pygame: the only module of the UI that touches pixels.

Text is wrapped to its rectangle (Latin at spaces, CJK between characters,
both honouring explicit line breaks) and shrunk step by step until it fits,
so a long Spanish label never runs off its button. Everything is drawn on the
caller's thread: the app calls this only from the pygame main loop.
"""

from __future__ import annotations

import unicodedata
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path

import pygame
import pygame.freetype

from drivers.screen.fonts import FontBook
from kiosk.ui.layout import Button, Frame, Label, Panel, Picture, QrCode, Rect

Color = tuple[int, int, int]

TEXT_CACHE_BYTES = 6 * 1024 * 1024  # rendered text kept: every screen of a couple of languages

BG: Color = (255, 255, 255)
TEXT: Color = (17, 17, 17)
MUTED: Color = (60, 60, 60)
INVERSE: Color = (255, 255, 255)
ALERT_TEXT: Color = (160, 0, 24)
NUMBER: Color = (11, 60, 140)

BUTTON_COLORS: dict[str, tuple[Color, Color, Color]] = {
    # role: (fill, text, border)
    "primary": ((11, 77, 162), INVERSE, (11, 77, 162)),
    "secondary": ((232, 232, 232), TEXT, (90, 90, 90)),
    "care": ((255, 255, 255), (138, 21, 56), (138, 21, 56)),
    "care_on": ((138, 21, 56), INVERSE, (138, 21, 56)),
    "lang": ((255, 255, 255), TEXT, (255, 255, 255)),
    "lang_on": ((255, 212, 0), TEXT, (255, 212, 0)),
    "danger": ((176, 0, 32), INVERSE, (176, 0, 32)),
}
PANEL_COLORS: dict[str, Color] = {
    "notice": (255, 212, 0),
    "alert": (176, 0, 32),
    "card": (240, 244, 250),
    "bar": (11, 45, 94),
    "ok": (0, 100, 60),
}
TONES: dict[str, Color] = {
    "text": TEXT,
    "muted": MUTED,
    "inverse": INVERSE,
    "alert": ALERT_TEXT,
    "number": NUMBER,
}


def _is_wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


#: Characters after which a CJK phrase may end (middle dots of menu names, commas).
CJK_BREAK_AFTER = frozenset("·・、，。；：！？）」』")
#: A CJK phrase up to this long stays on one line (开户· 挂失· 电子银行).
CJK_PHRASE_MAX = 6


def _tokens(paragraph: str) -> list[str]:
    """Break points: short CJK phrases whole, longer CJK runs per character,
    Latin words with their trailing space; no line starts with closing punctuation."""
    out: list[str] = []
    word = ""
    run = ""

    def flush_run() -> None:
        nonlocal run
        if run:
            out.extend([run] if len(run) <= CJK_PHRASE_MAX + 1 else _per_char(run))
            run = ""

    for ch in paragraph:
        if _is_wide(ch) or (ch in CJK_BREAK_AFTER and run):
            if word:
                out.append(word)
                word = ""
            run += ch
            if ch in CJK_BREAK_AFTER:
                flush_run()
        elif ch == " ":
            flush_run()
            out.append(word + " ")
            word = ""
        else:
            flush_run()
            word += ch
    flush_run()
    if word:
        out.append(word)
    return out


def _per_char(run: str) -> list[str]:
    """Single characters, with closing punctuation kept on the character before it."""
    chars: list[str] = []
    for ch in run:
        if ch in CJK_BREAK_AFTER and chars:
            chars[-1] += ch
        else:
            chars.append(ch)
    return chars


def wrap(font: pygame.freetype.Font, text: str, size: int, width: int) -> list[str]:
    """Lines of ``text`` no wider than ``width`` at ``size`` (a too-long word is split)."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for tok in _tokens(paragraph):
            trial = line + tok
            if font.get_rect(trial.rstrip() or " ", size=size).width <= width or not line:
                line = trial
                # a single token wider than the line: split it by characters
                while (
                    font.get_rect(line.rstrip() or " ", size=size).width > width and len(line) > 1
                ):
                    cut = len(line) - 1
                    while cut > 1 and font.get_rect(line[:cut], size=size).width > width:
                        cut -= 1
                    lines.append(line[:cut])
                    line = line[cut:]
            else:
                lines.append(line.rstrip())
                line = tok.lstrip()
        lines.append(line.rstrip())
    return lines


def fit(font: pygame.freetype.Font, text: str, size: int, rect: Rect) -> tuple[int, list[str], int]:
    """The largest size (down from ``size``, to 60 % of it) at which ``text`` fits ``rect``.

    Text never shrinks below what a customer can read: past 60 % it is cut at
    the last line that fits and ends with an ellipsis instead.
    """
    floor = max(14, int(size * 0.6))
    s = size
    while True:
        lines = wrap(font, text, s, rect.w)
        line_h = int(s * 1.3)
        if line_h * len(lines) <= rect.h:
            return s, lines, line_h
        if s <= floor:
            keep = max(1, rect.h // line_h)
            cut = lines[:keep]
            cut[-1] = cut[-1].rstrip(" ,.;:，。；：、") + "…"
            return s, cut, line_h
        s = max(floor, int(s * 0.9))


class Painter:
    """Paints frames on a surface with the kiosk's fonts, logo and colours."""

    def __init__(self, fonts: FontBook, logo_path: Path | None) -> None:
        self.fonts = fonts
        self._logo_path = logo_path
        self._logo: pygame.Surface | None = None
        # Screens repeat: a text block is wrapped and rendered once, then blitted.
        self._cache: OrderedDict[tuple[object, ...], list[tuple[pygame.Surface, int, int]]] = (
            OrderedDict()
        )
        self._cache_bytes = 0

    def paint(self, surface: pygame.Surface, frame: Frame) -> None:
        surface.fill(BG)
        for w in frame.widgets:
            if isinstance(w, Panel):
                pygame.draw.rect(surface, PANEL_COLORS[w.role], _r(w.rect), border_radius=12)
            elif isinstance(w, Button):
                self._button(surface, w)
            elif isinstance(w, Label):
                color = TONES[w.tone]
                self._text(
                    surface, w.rect, w.text, w.size, w.lang, w.bold, color, w.align, middle=w.middle
                )
            elif isinstance(w, QrCode):
                _qr(surface, w.rect, w.payload)
            elif isinstance(w, Picture):
                self._picture(surface, w)

    def _button(self, surface: pygame.Surface, b: Button) -> None:
        fill, fg, border = BUTTON_COLORS[b.role]
        pygame.draw.rect(surface, fill, _r(b.rect), border_radius=14)
        pygame.draw.rect(surface, border, _r(b.rect), width=3, border_radius=14)
        inner = Rect(b.rect.x + 12, b.rect.y + 6, b.rect.w - 24, b.rect.h - 12)
        self._text(surface, inner, b.text, b.size, b.lang, True, fg, "center", middle=True)

    def _text(
        self,
        surface: pygame.Surface,
        rect: Rect,
        text: str,
        size: int,
        lang: str,
        bold: bool,
        color: Color,
        align: str,
        *,
        middle: bool = True,
    ) -> None:
        if not text:
            return
        key = (text, size, lang, bold, color, align, middle, rect.w, rect.h)
        pieces = self._cache.get(key)
        if pieces is None:
            pieces = self._lay_out(rect, text, size, lang, bold, color, align, middle)
            cost = sum(img.get_width() * img.get_height() * 4 for img, _x, _y in pieces)
            while self._cache and self._cache_bytes + cost > TEXT_CACHE_BYTES:
                _old, old = self._cache.popitem(last=False)  # least recently used first
                self._cache_bytes -= sum(i.get_width() * i.get_height() * 4 for i, _x, _y in old)
            self._cache[key] = pieces
            self._cache_bytes += cost
        else:
            self._cache.move_to_end(key)
        for img, dx, dy in pieces:
            surface.blit(img, (rect.x + dx, rect.y + dy))

    def _lay_out(
        self,
        rect: Rect,
        text: str,
        size: int,
        lang: str,
        bold: bool,
        color: Color,
        align: str,
        middle: bool,
    ) -> list[tuple[pygame.Surface, int, int]]:
        """Wrap, fit and render a text block once; offsets are relative to its rect."""
        font = self.fonts.font(lang, bold)
        s, lines, line_h = fit(font, text, size, rect)
        total = line_h * len(lines)
        y = max(0, (rect.h - total) // 2) if middle else 0
        out: list[tuple[pygame.Surface, int, int]] = []
        for line in lines:
            if line:
                img, box = font.render(line, color, size=s)
                x = (rect.w - box.width) // 2 if align == "center" else 0
                out.append((img, x, y + (line_h - box.height) // 2))
            y += line_h
        return out

    def _picture(self, surface: pygame.Surface, p: Picture) -> None:
        if self._logo is None and self._logo_path is not None and self._logo_path.exists():
            self._logo = pygame.image.load(str(self._logo_path))
        if self._logo is None:
            return
        img = pygame.transform.smoothscale(self._logo, (p.rect.w, p.rect.h))
        surface.blit(img, (p.rect.x, p.rect.y))


def _r(rect: Rect) -> pygame.Rect:
    return pygame.Rect(rect.x, rect.y, rect.w, rect.h)


@lru_cache(maxsize=8)
def qr_matrix(payload: str) -> tuple[tuple[bool, ...], ...]:
    import qrcode

    qr = qrcode.QRCode(border=2, error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(payload)
    qr.make(fit=True)
    return tuple(tuple(bool(c) for c in row) for row in qr.get_matrix())


def _qr(surface: pygame.Surface, rect: Rect, payload: str) -> None:
    m = qr_matrix(payload)
    n = len(m)
    cell = max(1, min(rect.w, rect.h) // n)
    pygame.draw.rect(surface, INVERSE, pygame.Rect(rect.x, rect.y, cell * n, cell * n))
    for j, row in enumerate(m):
        for i, on in enumerate(row):
            if on:
                surface.fill(TEXT, pygame.Rect(rect.x + i * cell, rect.y + j * cell, cell, cell))
