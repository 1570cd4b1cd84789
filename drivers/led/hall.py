"""Hall display frame buffer: keep what each zone should show, send only what changed.

The hall display sits on a slow bus and redraws a zone whenever it gets one,
so resending every zone on each call would flicker and waste the line. The
app sets the whole picture (``set_calls``, ``set_zone``); ``flush(send)``
sends the zones that differ from what the display is known to show. After
the display restarts (``DeviceOnline`` with ``restarted``) or a send fails,
``invalidate()`` marks every zone unknown so the next flush redraws them all.
Pure: ``send`` is the I/O, passed in.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from drivers.bus.codes import TextEffect
from drivers.bus.messages import HallZone
from drivers.bus.text import encode_text, fit_text
from drivers.led.codes import HALL_TEXT_MAX_BYTES


@dataclass(frozen=True, slots=True)
class ZoneContent:
    text: str = ""
    effect: TextEffect = TextEffect.NONE


class HallFrameBuffer:
    """Wanted vs. shown content per zone."""

    def __init__(self, zones: int) -> None:
        if zones < 1:
            raise ValueError("a hall display has at least one zone")
        self.zone_count = zones
        self._want = [ZoneContent() for _ in range(zones)]
        self._shown: list[ZoneContent | None] = [None] * zones  # None: unknown

    @property
    def wanted(self) -> list[ZoneContent]:
        return list(self._want)

    def set_zone(self, zone: int, text: str, *, blink: bool = False, scroll: bool = False) -> None:
        if not 0 <= zone < self.zone_count:
            raise IndexError(f"zone {zone} of {self.zone_count}")
        text = fit_text(text, HALL_TEXT_MAX_BYTES)
        encode_text(text, HALL_TEXT_MAX_BYTES)
        effect = (TextEffect.BLINK if blink else TextEffect.NONE) | (
            TextEffect.SCROLL if scroll else TextEffect.NONE
        )
        self._want[zone] = ZoneContent(text, effect)

    def set_calls(self, calls: Sequence[str], notice: str | None = None) -> None:
        """The usual layout: latest calls newest first (the newest blinks),
        and the last zone as a notice line when ``notice`` is given."""
        call_zones = self.zone_count - (1 if notice is not None else 0)
        for i in range(call_zones):
            self.set_zone(i, calls[i] if i < len(calls) else "", blink=(i == 0 and bool(calls)))
        if notice is not None:
            self.set_zone(self.zone_count - 1, notice, scroll=True)

    def changes(self) -> list[HallZone]:
        """Zone updates that would bring the display to the wanted picture."""
        return [
            HallZone(i, want.text, want.effect)
            for i, (want, shown) in enumerate(zip(self._want, self._shown, strict=True))
            if want != shown
        ]

    def invalidate(self) -> None:
        """Forget what the display shows (it restarted, or a send failed)."""
        self._shown = [None] * self.zone_count

    def flush(self, send: Callable[[HallZone], None]) -> int:
        """Send each changed zone; returns how many. If ``send`` raises, the
        zones not yet confirmed stay dirty and the error propagates."""
        sent = 0
        for msg in self.changes():
            send(msg)
            self._shown[msg.zone] = ZoneContent(msg.text, msg.effect)
            sent += 1
        return sent
