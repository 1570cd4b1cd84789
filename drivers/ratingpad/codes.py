"""Rating pad vocabulary: rating values, reason codes, key layouts (tables).

Values are on one 5-point scale so figures from 3-key and 5-key pads add up:
a 3-key pad sends 1 (unsatisfied), 3 (average) or 5 (satisfied).
"""

from __future__ import annotations

from enum import IntEnum, IntFlag


class Rating(IntEnum):
    VERY_UNSATISFIED = 1
    UNSATISFIED = 2
    AVERAGE = 3
    SATISFIED = 4
    VERY_SATISFIED = 5

    @property
    def unhappy(self) -> bool:
        """Below average: the pad asks for a reason, the manager is told."""
        return self <= Rating.UNSATISFIED


class Reason(IntEnum):
    """Why the customer was unhappy; 0 when none was given."""

    NONE = 0x00
    WAIT_TOO_LONG = 0x01
    ATTITUDE = 0x02
    SLOW_SERVICE = 0x03
    NOT_SOLVED = 0x04
    ENVIRONMENT = 0x05
    OTHER = 0x06


# Which values a pad's keys send, left to right.
KEYS_3: tuple[Rating, ...] = (Rating.VERY_UNSATISFIED, Rating.AVERAGE, Rating.VERY_SATISFIED)
KEYS_5: tuple[Rating, ...] = tuple(Rating)
LAYOUTS: dict[int, tuple[Rating, ...]] = {3: KEYS_3, 5: KEYS_5}


class RatingPadCap(IntFlag):
    """Capability byte in a rating pad's IDENT: low bits key count, 0x80 reason keys."""

    NONE = 0
    KEYS_MASK = 0x0F
    REASON_KEYS = 0x80
