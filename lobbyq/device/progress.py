"""A terminal progress bar with no dependency: ``\\r`` redraws on a tty, lines otherwise.

On a terminal the bar redraws in place; piped into a file or the journal it
prints one line per ``step`` percent, so a log of a flash shows how far it
got before a power cut without thousands of carriage returns.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO


class ProgressBar:
    """Call with ``(done, total)``; ``finish()`` ends the line."""

    def __init__(
        self,
        label: str,
        *,
        out: TextIO | None = None,
        tty: bool | None = None,
        width: int = 30,
        step: int = 10,
        unit: str = "B",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.label = label
        self.out = out or sys.stdout
        self.tty = self.out.isatty() if tty is None else tty
        self.width = width
        self.step = step
        self.unit = unit
        self.clock = clock
        self._start = clock()
        self._last_pct = -1
        self._drawn = False

    def __call__(self, done: int, total: int) -> None:
        pct = 100 if total <= 0 else min(100, done * 100 // total)
        if self.tty:
            filled = self.width * pct // 100
            bar = "#" * filled + "-" * (self.width - filled)
            rate = done / max(self.clock() - self._start, 1e-6)
            self.out.write(
                f"\r{self.label} [{bar}] {pct:3d}% {_size(done)}/{_size(total)}{self.unit}"
                f" {_size(int(rate))}{self.unit}/s "
            )
            self.out.flush()
            self._drawn = True
        elif pct // self.step != self._last_pct // self.step or (pct == 100 != self._last_pct):
            self.out.write(f"{self.label}: {pct}% ({done}/{total} {self.unit})\n")
            self.out.flush()
        self._last_pct = pct

    def finish(self, message: str = "") -> None:
        if self.tty and self._drawn:
            self.out.write("\n")
        if message:
            self.out.write(message + "\n")
        self.out.flush()


def _size(n: int) -> str:
    if n < 10 * 1024:
        return str(n)
    return f"{n / 1024:.1f}Ki"
