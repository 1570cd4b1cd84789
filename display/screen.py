"""Optional HDMI hall screen: the same board as the LED, drawn with pygame.

``paint(surface, board, ...)`` draws onto any surface, so a test renders to
an off-screen surface and saves a PNG (no window, ``SDL_VIDEODRIVER=dummy``).
``HallScreen`` owns a window and is driven from the display app's painter
thread (all pygame calls on that one thread); ``pump()`` only reports whether
the window was closed.

Layout: a title bar (branch notice in red when there is one), the newest
call large and highlighted with its counter (the LED blinks it instead),
the next calls in a list, and a footer with the paused/closed counters or
the idle info line.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from display import board as b
from drivers.screen.fonts import FontBook

BG = (10, 16, 40)
FG = (240, 240, 240)
ACCENT = (255, 196, 0)
DIM = (150, 160, 190)
ALERT = (220, 40, 40)


def paint(
    surface: Any,
    board: b.Board,
    fonts: FontBook,
    texts: b.BoardTexts | None = None,
    tick: int = 0,
) -> None:
    """Draw the board onto ``surface`` (a ``pygame.Surface``)."""
    t = texts or b.BoardTexts()
    w, h = surface.get_size()
    surface.fill(BG)
    font = fonts.font("zh-Hans", False)
    bold = fonts.font("zh-Hans", True)
    notice = b.notice_text(board, t)
    bar_h = h // 10
    if notice:
        surface.fill(ALERT, (0, 0, w, bar_h))
        font.render_to(surface, (w // 40, bar_h // 4), notice, FG, size=bar_h // 2)
    else:
        font.render_to(surface, (w // 40, bar_h // 4), t.welcome, DIM, size=bar_h // 2)
    if board.calls:
        newest = board.calls[0]
        big = h // 5
        color = ACCENT
        bold.render_to(surface, (w // 20, bar_h + h // 20), newest.number, color, size=big)
        bold.render_to(
            surface,
            (w // 2, bar_h + h // 20 + big // 6),
            f"→ {newest.counter} 号窗口",
            color,
            size=big * 2 // 3,
        )
        row_h = h // 12
        top = bar_h + h // 20 + big + h // 20
        for i, c in enumerate(board.calls[1:6]):
            y = top + i * row_h
            font.render_to(surface, (w // 20, y), c.number, FG, size=row_h * 3 // 4)
            font.render_to(surface, (w // 2, y), f"{c.counter} 号窗口", DIM, size=row_h * 3 // 4)
    else:
        bold.render_to(surface, (w // 20, h // 3), t.welcome, FG, size=h // 8)
    lines = b.layout(board, 2, t, tick)
    footer = lines[-1][0] if not notice else ""
    if footer:
        font.render_to(surface, (w // 40, h - bar_h + bar_h // 4), footer, DIM, size=bar_h // 2)


def screenshot(
    board: b.Board, path: Path, size: tuple[int, int] = (1280, 720), tick: int = 0
) -> None:
    """Render the board off-screen to a PNG (tests, documentation)."""
    import pygame
    import pygame.freetype

    pygame.freetype.init()
    surface = pygame.Surface(size)
    paint(surface, board, FontBook(), tick=tick)
    pygame.image.save(surface, str(path))


class HallScreen:
    """A window (or the whole HDMI screen) showing the board."""

    def __init__(self, size: tuple[int, int] = (1280, 720), *, fullscreen: bool = False) -> None:
        self.size = size
        self.fullscreen = fullscreen
        self._fonts: FontBook | None = None
        self._surface: Any = None
        self._closed = threading.Event()

    def draw(self, board: b.Board, tick: int) -> None:
        """Called on the painter thread; opens the window on first use."""
        import pygame
        import pygame.freetype

        if self._surface is None:
            pygame.display.init()
            pygame.freetype.init()
            flags = pygame.FULLSCREEN if self.fullscreen else 0
            self._surface = pygame.display.set_mode((0, 0) if self.fullscreen else self.size, flags)
            pygame.display.set_caption("lobbyq hall")
            self._fonts = FontBook()
        for ev in pygame.event.get():
            if ev.type == pygame.QUIT:
                self._closed.set()
        assert self._fonts is not None
        paint(self._surface, board, self._fonts, tick=tick)
        pygame.display.flip()

    def save(self, path: Path) -> bool:
        """Write what the window shows now to a PNG; False before the first draw."""
        import pygame

        if self._surface is None:
            return False
        pygame.image.save(self._surface, str(path))
        return True

    def pump(self) -> bool:
        """False once the window has been closed."""
        return not self._closed.is_set()
