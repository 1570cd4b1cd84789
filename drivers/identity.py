"""What a reader driver hands the application instead of a card or ID number.

A bank branch must be able to say "this customer came back" or "this is the
VIP whose card we know" without the kiosk ever holding the card number or the
resident ID number. So the reader drivers turn the clear value, the moment it
is decoded, into an :class:`Identity`: a keyed hash (HMAC-SHA256 with the
branch secret, domain-separated per kind so a card number and an ID number
that happen to share digits never collide) and a masked form a person may see
(``**** 1234``, ``张**``). The clear value is not kept in the result, and
``repr`` shows only the kind and the masked form, so an ``Identity`` may be
logged, published over MQTT and written to the event log.

The secret is per branch: hashes are stable within a branch (a directory of
VIP card hashes works) and useless outside it (a leaked event log does not
let anyone test card numbers offline without the secret).

Hash input (``hash = HMAC-SHA256(secret, message).hexdigest()``):

=======  ==========================================  ===========================
kind     message                                      masked
=======  ==========================================  ===========================
card     ``lobbyq/identity/v1/card`` NUL PAN digits   ``**** 1234``
id       ``lobbyq/identity/v1/id`` NUL 18 chars,      ``张**`` (any name)
         upper-case ``X``
qr       ``lobbyq/identity/v1/qr`` NUL reference,     ``…0042`` (last four)
         upper-cased
=======  ==========================================  ===========================

The secret file (:func:`load_secret`) holds the raw secret bytes (32 random
bytes when created here), mode 0600.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import hmac
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from drivers.errors import DriverError

IdentityKind = Literal["card", "id", "qr"]

SECRET_BYTES = 32
"""Size of a freshly generated branch secret (the HMAC-SHA256 block is 64)."""

MIN_SECRET_BYTES = 16
"""Shorter secrets are refused: they would make offline guessing cheap."""

_DOMAIN = b"lobbyq/identity/v1/"

# ISO 7064 MOD 11-2 as used by the 18-digit resident ID number (GB 11643).
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

_QR_MAX = 256


class IdentityError(DriverError):
    """A value that cannot be a card number, ID number or appointment code.

    The message never contains the value itself, only what is wrong with it.
    """


class SecretFileError(DriverError):
    """The branch secret file is unreadable, too short or too widely readable."""


@dataclass(frozen=True, slots=True)
class Identity:
    """A customer as the application may know them: kind, keyed hash, masked form."""

    kind: IdentityKind
    hash: str
    masked: str

    def to_dict(self) -> dict[str, str]:
        """The wire form used in MQTT messages and the event log."""
        return {"kind": self.kind, "hash": self.hash, "masked": self.masked}

    def __repr__(self) -> str:
        # The hash is not secret, but it is a stable customer key: keep it out
        # of casual log lines, which only need to say what kind was presented.
        return f"Identity(kind={self.kind!r}, masked={self.masked!r})"

    __str__ = __repr__


_LUHN_DOUBLE = bytes.maketrans(b"0123456789", bytes(48 + d for d in (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)))


def luhn_ok(digits: str) -> bool:
    """The ISO/IEC 7812 check digit that every payment card number carries."""
    if not digits.isascii() or not digits.isdigit():
        return False
    raw = digits.encode("ascii")[::-1]
    kept, doubled = raw[0::2], raw[1::2].translate(_LUHN_DOUBLE)
    # each digit byte is 48 + its value, and a doubled digit's byte is 48 + its digit sum
    return (sum(kept) + sum(doubled) - 48 * len(raw)) % 10 == 0


def id_check_char(first17: str) -> str:
    """The 18th character of a resident ID number for its first 17 digits."""
    if len(first17) != 17 or not first17.isdigit() or not first17.isascii():
        raise IdentityError("an ID number body is 17 digits")
    total = sum((ord(c) - 48) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def normalize_id_number(number: str) -> str:
    """Check an 18-character resident ID number and return it upper-cased.

    Checks the character set, the birth date (positions 7-14) and the
    ISO 7064 MOD 11-2 check character, so a misread chip field or a typo
    never becomes a customer key.
    """
    value = number.strip().upper()
    if len(value) != 18:
        raise IdentityError(f"an ID number has 18 characters, got {len(value)}")
    body, check = value[:17], value[17]
    if not (body.isascii() and body.isdigit()) or check not in "0123456789X":
        raise IdentityError("an ID number is 17 digits and a digit or X")
    try:
        _dt.date(int(body[6:10]), int(body[10:12]), int(body[12:14]))
    except ValueError:
        raise IdentityError("the birth date inside the ID number is not a date") from None
    if id_check_char(body) != check:
        raise IdentityError("the ID number check character does not match")
    return value


def normalize_pan(pan: str) -> str:
    """Check a primary account number (12-19 digits, Luhn) and return its digits."""
    value = pan.strip().replace(" ", "")
    if not (value.isascii() and value.isdigit()):
        raise IdentityError("a card number is made of digits")
    if not 12 <= len(value) <= 19:
        raise IdentityError(f"a card number has 12 to 19 digits, got {len(value)}")
    if not luhn_ok(value):
        raise IdentityError("the card number check digit does not match")
    return value


def mask_pan(pan: str) -> str:
    """``**** 1234``: the last four digits are what a customer recognises."""
    return f"**** {pan[-4:]}"


NAME_MASK = "**"
"""What stands for the rest of a name, whatever its length."""


def mask_name(name: str) -> str:
    """``张**`` for every name: the first character and a fixed mask.

    The mask never reveals the name's length or shape (one star per
    character, or a kept middle dot, would tell ``欧阳小明`` from ``张三`` and
    a long Latin name from a short one). A one-character name is all mask,
    since its first character is all of it.
    """
    chars = name.strip()
    if not chars:
        return ""
    if len(chars) == 1:
        return "*" + NAME_MASK
    return chars[0] + NAME_MASK


def normalize_ref(payload: str) -> str:
    """An appointment reference, upper-cased: printable, no whitespace inside, bounded.

    References are case-insensitive (a booking printed as ``demo-a1`` and one
    stored as ``DEMO-A1`` are the same), so they are hashed in one case.
    """
    value = payload.strip()
    if not value:
        raise IdentityError("an appointment reference is empty")
    if len(value) > _QR_MAX:
        raise IdentityError(f"an appointment reference is at most {_QR_MAX} characters")
    if not value.isprintable() or any(c.isspace() for c in value):
        raise IdentityError("an appointment reference is printable with no spaces")
    return value.upper()


class IdentityHasher:
    """Turns a clear value into an :class:`Identity` with the branch secret.

    One instance per process, built from :func:`load_secret`. The clear
    value enters, is checked, hashed and masked, and is not stored anywhere.
    """

    __slots__ = ("_key",)

    def __init__(self, secret: bytes) -> None:
        if len(secret) < MIN_SECRET_BYTES:
            raise SecretFileError(f"the branch secret must be at least {MIN_SECRET_BYTES} bytes")
        self._key = bytes(secret)

    def __repr__(self) -> str:
        return "IdentityHasher(<secret>)"

    def _digest(self, kind: IdentityKind, value: str) -> str:
        msg = _DOMAIN + kind.encode("ascii") + b"\x00" + value.encode("utf-8")
        return hmac.new(self._key, msg, hashlib.sha256).hexdigest()

    def card(self, pan: str) -> Identity:
        """A bank card from its primary account number (Luhn-checked)."""
        value = normalize_pan(pan)
        return Identity("card", self._digest("card", value), mask_pan(value))

    def id_card(self, number: str, name: str) -> Identity:
        """A resident ID card: the number is hashed, only the masked name is kept."""
        value = normalize_id_number(number)
        return Identity("id", self._digest("id", value), mask_name(name))

    def qr(self, payload: str) -> Identity:
        """An appointment code: hashed for directory lookup, masked to its tail.

        An appointment code is not a secret (the caller may keep the reference
        itself for check-in), but hashing it keeps every identity the same
        shape in the event log and lets a directory be keyed uniformly.
        """
        value = normalize_ref(payload)
        tail = value[-4:] if len(value) > 4 else value
        return Identity("qr", self._digest("qr", value), f"…{tail}" if len(value) > 4 else tail)


def load_secret(path: str | os.PathLike[str]) -> bytes:
    """Read the branch secret, creating a random one (mode 0600) if missing.

    A secret file readable by group or others is refused rather than used:
    whoever can read it can test card numbers against the hashes.
    """
    p = Path(path)
    try:
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    except OSError as exc:
        raise SecretFileError(f"cannot create the branch secret: {exc.strerror}") from exc
    else:
        try:
            os.write(fd, secrets.token_bytes(SECRET_BYTES))
            os.fsync(fd)
        finally:
            os.close(fd)
    try:
        st = p.stat()
        if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise SecretFileError(f"the branch secret {p.name} is readable by others: chmod 600 it")
        data = p.read_bytes()
    except OSError as exc:
        raise SecretFileError(f"cannot read the branch secret: {exc.strerror}") from exc
    if len(data) < MIN_SECRET_BYTES:
        raise SecretFileError(f"the branch secret must be at least {MIN_SECRET_BYTES} bytes")
    return data
