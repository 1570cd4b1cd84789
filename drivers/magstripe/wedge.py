"""Keyboard-wedge card readers: key events in, the same swipes out.

A wedge reader is a USB keyboard that "types" the tracks (``%B...?;...?``
then Enter). This module is pure: it turns evdev key events (code, value,
with the shift state followed from the shift keys) into characters on a US
layout, which is what these readers emit whatever the host's layout is, and
feeds them to the serial reader's :class:`~drivers.magstripe.codec.Decoder`,
so both reader kinds share one track parser.

Letters are upper-cased whatever the shift state: track 1 has no lower case,
and a kiosk whose Caps Lock got stuck must still read cards. A key with no
track meaning (a function key, Ctrl) poisons the current line, so a half-typed
swipe mixed with something else is reported as bad rather than misread.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from drivers.magstripe.codec import Decoder, Message

KEY_UP, KEY_DOWN, KEY_REPEAT = 0, 1, 2

KEY_ENTER = 28
KEY_KPENTER = 96
KEY_LEFTSHIFT = 42
KEY_RIGHTSHIFT = 54
KEY_CAPSLOCK = 58
_SHIFTS = frozenset({KEY_LEFTSHIFT, KEY_RIGHTSHIFT})
_IGNORED = frozenset({KEY_CAPSLOCK, 29, 97, 56, 100, 69})  # ctrl, alt, num lock: no character

# evdev code -> (plain, shifted) on the US layout.
US_LAYOUT: dict[int, tuple[str, str]] = {
    2: ("1", "!"),
    3: ("2", "@"),
    4: ("3", "#"),
    5: ("4", "$"),
    6: ("5", "%"),
    7: ("6", "^"),
    8: ("7", "&"),
    9: ("8", "*"),
    10: ("9", "("),
    11: ("0", ")"),
    12: ("-", "_"),
    13: ("=", "+"),
    26: ("[", "{"),
    27: ("]", "}"),
    39: (";", ":"),
    40: ("'", '"'),
    41: ("`", "~"),
    43: ("\\", "|"),
    51: (",", "<"),
    52: (".", ">"),
    53: ("/", "?"),
    57: (" ", " "),
    # keypad digits, which some readers use for track 2
    71: ("7", "7"),
    72: ("8", "8"),
    73: ("9", "9"),
    75: ("4", "4"),
    76: ("5", "5"),
    77: ("6", "6"),
    79: ("1", "1"),
    80: ("2", "2"),
    81: ("3", "3"),
    82: ("0", "0"),
    83: (".", "."),
    74: ("-", "-"),
    78: ("+", "+"),
    55: ("*", "*"),
    98: ("/", "/"),
}
for _row, _codes in (("QWERTYUIOP", range(16, 26)), ("ASDFGHJKL", range(30, 39))):
    for _ch, _code in zip(_row, _codes, strict=True):
        US_LAYOUT[_code] = (_ch, _ch)
for _ch, _code in zip("ZXCVBNM", range(44, 51), strict=True):
    US_LAYOUT[_code] = (_ch, _ch)

CHAR_TO_KEY: dict[str, tuple[int, bool]] = {}
"""The reverse map for the simulator: character -> (code, needs shift)."""
_KEYPAD = frozenset({55, 71, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 83, 98})
for _code, (_plain, _shifted) in sorted(US_LAYOUT.items()):
    if _code in _KEYPAD:
        continue  # type with the main block, like most readers
    CHAR_TO_KEY.setdefault(_plain, (_code, False))
    if _shifted != _plain:
        CHAR_TO_KEY.setdefault(_shifted, (_code, True))

_POISON = "\x00"


class KeyEvent(NamedTuple):
    """One evdev ``EV_KEY`` event: ``value`` is 0 up, 1 down, 2 autorepeat.

    A plain ``(code, value)`` tuple is accepted wherever a ``KeyEvent`` is.
    """

    code: int
    value: int


class WedgeParser:
    """Key events to swipes, through the serial reader's decoder."""

    def __init__(self, *, lrc: bool = False) -> None:
        self._decoder = Decoder(lrc=lrc)
        self._shift = 0

    def feed(self, events: Iterable[tuple[int, int]]) -> list[Message]:
        chars: list[str] = []
        shift = self._shift  # bit 0: left shift held, bit 1: right shift held
        layout = US_LAYOUT
        for code, value in events:
            if code in _SHIFTS:
                bit = 1 if code == KEY_LEFTSHIFT else 2
                if value == KEY_DOWN:
                    shift |= bit
                elif value == KEY_UP:
                    shift &= ~bit
                continue
            if value != KEY_DOWN:
                continue  # key-up carries no character; autorepeat is not typing
            pair = layout.get(code)
            if pair is not None:
                chars.append(pair[1] if shift else pair[0])
            elif code in (KEY_ENTER, KEY_KPENTER):
                chars.append("\r")
                shift = 0  # no reader holds shift across a line: a lost key-up ends here
            elif code not in _IGNORED:
                chars.append(_POISON)
        self._shift = shift
        if not chars:
            return []
        return self._decoder.feed("".join(chars).encode("latin-1"))

    @property
    def pending(self) -> int:
        """Bytes of a partial line held back (bounded: the fuzz tests watch it)."""
        return self._decoder.pending

    def reset(self) -> None:
        """Forget the shift state and any partial line (device reopened)."""
        self._shift = 0
        self._decoder.reset()


def encode_keys(text: str) -> list[KeyEvent]:
    """The key events a wedge reader sends to type ``text`` (CR is Enter).

    Raises ``ValueError`` for a character a US keyboard cannot type.
    """
    events: list[KeyEvent] = []
    for ch in text:
        if ch in "\r\n":
            events += [KeyEvent(KEY_ENTER, KEY_DOWN), KeyEvent(KEY_ENTER, KEY_UP)]
            continue
        key = CHAR_TO_KEY.get(ch.upper())
        if key is None:
            raise ValueError(f"no key types {ch!r}")
        code, shifted = key
        if shifted:
            events.append(KeyEvent(KEY_LEFTSHIFT, KEY_DOWN))
        events += [KeyEvent(code, KEY_DOWN), KeyEvent(code, KEY_UP)]
        if shifted:
            events.append(KeyEvent(KEY_LEFTSHIFT, KEY_UP))
    return events
