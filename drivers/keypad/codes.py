"""Teller keypad vocabulary: key codes, beep patterns, status LEDs (tables)."""

from __future__ import annotations

from enum import IntEnum, IntFlag

TEXT_MAX_BYTES = 32  # one 16-column line: 16 Chinese characters or 32 ASCII


class Key(IntEnum):
    """Key code in a KEY event. Digits are their ASCII codes."""

    CALL = 0x01  # call the next customer
    RECALL = 0x02  # call the current customer again
    NO_SHOW = 0x03  # the called customer did not come: skip
    TRANSFER = 0x04  # send the customer to another counter or queue
    HOLD = 0x05  # put the current customer aside (fetching documents)
    PAUSE = 0x06  # counter paused (break); press again to resume
    FINISH = 0x07  # service done: prompts the rating pad
    LOGIN = 0x08  # teller login/logout (with a number typed before)
    CLEAR = 0x0C  # clear the typed number
    ENTER = 0x0D  # confirm the typed number
    D0 = 0x30
    D1 = 0x31
    D2 = 0x32
    D3 = 0x33
    D4 = 0x34
    D5 = 0x35
    D6 = 0x36
    D7 = 0x37
    D8 = 0x38
    D9 = 0x39

    @property
    def digit(self) -> int | None:
        """0-9 for a digit key, else None."""
        return self - 0x30 if 0x30 <= self <= 0x39 else None

    @classmethod
    def for_digit(cls, d: int) -> Key:
        if not 0 <= d <= 9:
            raise ValueError(f"not a digit: {d}")
        return cls(0x30 + d)


class BeepPattern(IntEnum):
    """KEYPAD_BEEP payload."""

    OFF = 0x00
    SHORT = 0x01  # key accepted
    DOUBLE = 0x02  # call made
    LONG = 0x03  # attention: customers waiting too long
    ERROR = 0x04  # three short: refused (queue empty, not logged in)


class KeypadLed(IntFlag):
    """KEYPAD_LEDS payload: which status LEDs are lit."""

    NONE = 0
    ONLINE = 0x01  # green: connected to the engine
    SERVING = 0x02  # a customer is at the counter
    PAUSED = 0x04  # counter paused
    WAITING = 0x08  # customers are waiting for this counter
    ALERT = 0x10  # red: fault or over-long wait


class KeypadCap(IntFlag):
    """Capability byte in a keypad's IDENT."""

    NONE = 0
    TEXT_LINE = 0x01  # has a one-line text display
