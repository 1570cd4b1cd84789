"""Simulated teller keypad: press keys from a test, see what the host made it show."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import ClassVar

from drivers.bus.codes import DeviceKind, ErrorCode
from drivers.bus.device_sim import DeviceSim
from drivers.bus.firmware import Version
from drivers.bus.messages import Ack, KeyEvent, KeypadBeep, KeypadLeds, KeypadText, Message, Nak
from drivers.keypad.codes import BeepPattern, Key, KeypadCap, KeypadLed


class KeypadSim(DeviceSim):
    """A keypad with status LEDs, a beeper and (optionally) a one-line display."""

    KIND: ClassVar[DeviceKind] = DeviceKind.KEYPAD
    SERIAL_PREFIX: ClassVar[str] = "KP"

    def __init__(
        self,
        addr: int = 1,
        *,
        text_line: bool = True,
        serial: str | None = None,
        version: Version = (1, 0, 0),
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.text_line = text_line
        self.leds = KeypadLed.NONE
        self.text = ""
        self.beeps: list[BeepPattern] = []
        super().__init__(addr, serial=serial, version=version, clock=clock)

    def caps(self) -> int:
        return KeypadCap.TEXT_LINE if self.text_line else KeypadCap.NONE

    def reset_app_state(self) -> None:
        self.leds = KeypadLed.NONE
        self.text = ""

    def press(self, key: Key) -> bool:
        """The teller presses ``key``; False if the keypad could not send it."""
        return self.emit(KeyEvent(0, key))

    def type_number(self, number: str) -> None:
        """Type digits then ENTER (login, transfer target)."""
        for ch in number:
            self.press(Key.for_digit(int(ch)))
        self.press(Key.ENTER)

    def handle_app(self, msg: Message) -> Message:
        if isinstance(msg, KeypadBeep):
            self.beeps.append(msg.pattern)
            return Ack()
        if isinstance(msg, KeypadLeds):
            self.leds = msg.leds
            return Ack()
        if isinstance(msg, KeypadText):
            if not self.text_line:
                return Nak(ErrorCode.BAD_CMD)
            self.text = msg.text
            return Ack()
        return Nak(ErrorCode.BAD_CMD)
