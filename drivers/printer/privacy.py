"""Refuse to print what looks like a bank card or ID card number.

The kiosk never hands a clear number to the printer, but a ticket is paper
that leaves the branch in a customer's pocket (and is often thrown away in
the lobby), so the renderer checks again. Only numbers that pass their own
checksum count, so ticket ids, dates and phone numbers print normally:

| what | shape | check |
|---|---|---|
| bank card (PAN) | 15 to 19 digits | Luhn |
| mainland resident ID | 17 digits + digit or X | ISO 7064 MOD 11-2 |

Spaces or dashes between the digits do not hide a number.
"""

from __future__ import annotations

import re

_PAN = re.compile(r"(?<![0-9A-Za-z])\d(?:[ -]?\d){14,18}(?![0-9A-Za-z])")
_ID = re.compile(r"(?<![0-9A-Za-z])\d(?:[ -]?\d){16}[ -]?[0-9Xx](?![0-9A-Za-z])")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def id_checksum_ok(number: str) -> bool:
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == number[17].upper()


def find_sensitive(text: str) -> str | None:
    """The kind of number found in ``text`` (``"card"`` or ``"id"``), or ``None``."""
    for m in _ID.finditer(text):
        if id_checksum_ok(re.sub(r"[ -]", "", m.group())):
            return "id"
    for m in _PAN.finditer(text):
        digits = re.sub(r"[ -]", "", m.group())
        if luhn_ok(digits):
            return "card"
    return None
