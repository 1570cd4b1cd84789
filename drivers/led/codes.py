"""LED display limits and table of brightness levels."""

from __future__ import annotations

BRIGHTNESS_MAX = 15  # 16 steps, 0 = darkest visible, not off
STRIP_TEXT_MAX_BYTES = 64  # one line, scrolls when longer than the strip
HALL_TEXT_MAX_BYTES = 96  # one zone
HALL_MAX_ZONES = 16
SPEED_DEFAULT = 5  # scroll speed / blink period in 100 ms steps
