"""Host side of the teller keypad: the feedback commands a counter app sends it.

Each call is one acknowledged request on the keypad's ``BusMaster``; key
presses come back as ``KeyPressed`` events from the master itself.
"""

from __future__ import annotations

from drivers.bus.master import Commander
from drivers.bus.messages import KeypadBeep, KeypadLeds, KeypadText
from drivers.bus.text import encode_text
from drivers.keypad.codes import TEXT_MAX_BYTES, BeepPattern, KeypadLed


def keypad_beep(bus: Commander, addr: int, pattern: BeepPattern = BeepPattern.SHORT) -> None:
    """Sound ``pattern`` on the keypad at ``addr``."""
    bus.command(addr, KeypadBeep(pattern))


def keypad_leds(bus: Commander, addr: int, leds: KeypadLed) -> None:
    """Light exactly ``leds`` (the others go dark)."""
    bus.command(addr, KeypadLeds(leds))


def keypad_text(bus: Commander, addr: int, text: str) -> None:
    """Show ``text`` on the keypad's line; refused here, unsent, if it cannot fit."""
    encode_text(text, TEXT_MAX_BYTES)
    bus.command(addr, KeypadText(text))
