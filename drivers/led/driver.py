"""Host side of the LED displays: the counter strip and the hall display.

Text is checked against the display's byte budget here, before anything is
sent, so an over-long line fails at the caller instead of as a device NAK.
"""

from __future__ import annotations

from drivers.bus.codes import TextEffect
from drivers.bus.master import Commander
from drivers.bus.messages import (
    HallBrightness,
    HallClear,
    HallZone,
    StripBrightness,
    StripClear,
    StripShow,
)
from drivers.bus.text import encode_text
from drivers.led.codes import (
    BRIGHTNESS_MAX,
    HALL_TEXT_MAX_BYTES,
    SPEED_DEFAULT,
    STRIP_TEXT_MAX_BYTES,
)


def _effect(blink: bool, scroll: bool) -> TextEffect:
    return (TextEffect.BLINK if blink else TextEffect.NONE) | (
        TextEffect.SCROLL if scroll else TextEffect.NONE
    )


def _check_brightness(level: int) -> None:
    if not 0 <= level <= BRIGHTNESS_MAX:
        raise ValueError(f"brightness must be 0..{BRIGHTNESS_MAX}")


def strip_show(
    bus: Commander,
    addr: int,
    text: str,
    *,
    blink: bool = False,
    scroll: bool = False,
    speed: int = SPEED_DEFAULT,
) -> None:
    """Show ``text`` on the counter strip at ``addr``."""
    encode_text(text, STRIP_TEXT_MAX_BYTES)
    bus.command(addr, StripShow(text, _effect(blink, scroll), speed))


def strip_brightness(bus: Commander, addr: int, level: int) -> None:
    """Set the strip's brightness, 0..``BRIGHTNESS_MAX``."""
    _check_brightness(level)
    bus.command(addr, StripBrightness(level))


def strip_clear(bus: Commander, addr: int) -> None:
    """Blank the strip."""
    bus.command(addr, StripClear())


def hall_zone(
    bus: Commander, addr: int, zone: int, text: str, *, blink: bool = False, scroll: bool = False
) -> None:
    """Show ``text`` in one zone of the hall display at ``addr``."""
    encode_text(text, HALL_TEXT_MAX_BYTES)
    bus.command(addr, HallZone(zone, text, _effect(blink, scroll)))


def hall_send(bus: Commander, addr: int, msg: HallZone) -> None:
    """Send a prepared zone update (from ``HallFrameBuffer``)."""
    bus.command(addr, msg)


def hall_brightness(bus: Commander, addr: int, level: int) -> None:
    """Set the hall display's brightness, 0..``BRIGHTNESS_MAX``."""
    _check_brightness(level)
    bus.command(addr, HallBrightness(level))


def hall_clear(bus: Commander, addr: int) -> None:
    """Blank every zone of the hall display."""
    bus.command(addr, HallClear())
