"""Host side of the rating pad: the prompt a counter app lights on it.

Ratings come back as ``RatingGiven`` events from the pad's ``BusMaster``.
"""

from __future__ import annotations

from drivers.bus.master import Commander
from drivers.bus.messages import RatingPrompt


def rating_prompt(bus: Commander, addr: int, on: bool = True, *, timeout_s: int = 30) -> None:
    """Light (or put out) "please rate"; the pad drops it after ``timeout_s``."""
    if not 0 <= timeout_s <= 255:
        raise ValueError("timeout_s must be 0..255 (0 = until told)")
    bus.command(addr, RatingPrompt(on, timeout_s))
