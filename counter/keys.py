"""What the teller types: the digit buffer and how typed digits become tickets and targets.

The keypad has digits only, while tickets are printed as ``A007``. A typed
ticket is therefore *service position + number*: ``1007`` is the first
service's ticket 7 (``A007``) and ``3012`` the third service's 12. The order
is the branch's service table, which tellers see printed beside the keypad.
Transfer targets use the same trick: ``2`` is the second service, ``0`` then
digits is a counter (``03`` = counter 3). Pure: no I/O.

What each function key does is the table ``KEY_RULES`` below: rows of
(key, what was typed before it, what the engine's view must say, what the
flow does, the command). ``counter.flow`` picks the first row that fits and
interprets it; ``TELLER.md`` is the same table for tellers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from drivers.keypad.codes import Key

MAX_TYPED = 8
PAUSE_REASONS: dict[str, str] = {"": "break", "1": "break", "2": "lunch", "3": "other"}
CLOSE_CODE = "0"


@dataclass(frozen=True, slots=True)
class ServiceKey:
    """A service as the keypad sees it: its code, ticket prefix and number width."""

    code: str
    prefix: str
    width: int = 3


def ticket_from_digits(typed: str, services: Sequence[ServiceKey]) -> str | None:
    """``1007`` -> ``A007`` (service position, then number); None if it names nothing."""
    if len(typed) < 2 or not typed.isdigit():
        return None
    pos = int(typed[0])
    if not 1 <= pos <= len(services):
        return None
    number = int(typed[1:])
    svc = services[pos - 1]
    if number <= 0 or len(str(number)) > svc.width:
        return None
    return f"{svc.prefix}{number:0{svc.width}d}"


@dataclass(frozen=True, slots=True)
class TransferTarget:
    """Exactly one of a service code or a counter id."""

    to_service: str | None = None
    to_counter: str | None = None


def transfer_from_digits(typed: str, services: Sequence[ServiceKey]) -> TransferTarget | None:
    """``2`` -> service 2 by position; ``03`` -> counter 3; None when it names nothing."""
    if not typed.isdigit():
        return None
    if typed.startswith("0"):
        counter = typed.lstrip("0")
        return TransferTarget(to_counter=counter) if counter else None
    pos = int(typed)
    if 1 <= pos <= len(services):
        return TransferTarget(to_service=services[pos - 1].code)
    return None


# ---------------------------------------------------------------- key meanings


class Typed(Enum):
    """What a rule needs typed before its key."""

    NOTHING = "nothing"  # no digits
    DIGITS = "digits"  # some digits
    CLOSE_CODE = "close code"  # exactly CLOSE_CODE
    ANY = "any"  # digits or none
    ASKED = "asked"  # TRANSFER asked for a target, then digits or none


class When(Enum):
    """What the engine's view of this counter must say for a rule to fit."""

    ALWAYS = "always"
    LOGGED_OUT = "logged out"  # no teller
    PAUSED = "paused"
    CLOSED_WITH_TELLER = "closed, teller present"
    ONLY_HELD = "nobody served, one held"  # no current customer, exactly one on hold


class Does(Enum):
    """What the flow does for a rule."""

    SEND = "send"  # the command as it is
    TICKET = "ticket"  # the command for the typed ticket (1007 = A007)
    HELD_TICKET = "held ticket"  # the command for the one held ticket
    TARGET = "target"  # the command to the typed transfer target
    TELLER = "teller"  # the command for the typed teller number, then ``then``
    REASON = "reason"  # the command with the pause reason the digits name
    ASK = "ask"  # ask for a transfer target on the keypad line (``answer``)
    FORGET = "forget"  # forget the typed digits, show the idle line
    REFUSE = "refuse"  # the error beep and the ``answer`` line


@dataclass(frozen=True, slots=True)
class KeyRule:
    """One meaning of a function key; ``answer`` names a ``counter.texts.Texts`` line."""

    key: Key
    typed: Typed
    when: When
    does: Does
    op: str = ""
    then: str = ""
    answer: str = ""


# First fit wins. No fit, or digits that name nothing, is refused with ``kp_bad_entry``.
KEY_RULES: tuple[KeyRule, ...] = (
    KeyRule(Key.CLEAR, Typed.ANY, When.ALWAYS, Does.FORGET),
    KeyRule(Key.ENTER, Typed.ASKED, When.ALWAYS, Does.TARGET, "transfer"),
    KeyRule(Key.ENTER, Typed.DIGITS, When.LOGGED_OUT, Does.TELLER, "login", "open_counter"),
    KeyRule(Key.ENTER, Typed.ANY, When.ALWAYS, Does.TICKET, "call_ticket"),
    KeyRule(Key.LOGIN, Typed.DIGITS, When.ALWAYS, Does.TELLER, "login", "open_counter"),
    KeyRule(Key.LOGIN, Typed.NOTHING, When.LOGGED_OUT, Does.REFUSE, answer="kp_logged_out"),
    KeyRule(Key.LOGIN, Typed.NOTHING, When.ALWAYS, Does.SEND, "logout"),  # the engine closes
    KeyRule(Key.CALL, Typed.DIGITS, When.ALWAYS, Does.TICKET, "call_ticket"),
    KeyRule(Key.CALL, Typed.NOTHING, When.ALWAYS, Does.SEND, "call_next"),
    KeyRule(Key.RECALL, Typed.DIGITS, When.ALWAYS, Does.TICKET, "call_back"),
    KeyRule(Key.RECALL, Typed.NOTHING, When.ONLY_HELD, Does.HELD_TICKET, "call_back"),
    KeyRule(Key.RECALL, Typed.NOTHING, When.ALWAYS, Does.SEND, "recall"),
    KeyRule(Key.NO_SHOW, Typed.NOTHING, When.ALWAYS, Does.SEND, "no_show"),
    KeyRule(Key.HOLD, Typed.NOTHING, When.ALWAYS, Does.SEND, "hold"),
    KeyRule(Key.FINISH, Typed.NOTHING, When.ALWAYS, Does.SEND, "finish"),
    KeyRule(Key.TRANSFER, Typed.DIGITS, When.ALWAYS, Does.TARGET, "transfer"),
    KeyRule(Key.TRANSFER, Typed.NOTHING, When.ALWAYS, Does.ASK, answer="kp_transfer_ask"),
    KeyRule(Key.PAUSE, Typed.CLOSE_CODE, When.ALWAYS, Does.SEND, "close_counter"),
    KeyRule(Key.PAUSE, Typed.NOTHING, When.PAUSED, Does.SEND, "resume"),
    KeyRule(Key.PAUSE, Typed.NOTHING, When.CLOSED_WITH_TELLER, Does.SEND, "open_counter"),
    KeyRule(Key.PAUSE, Typed.ANY, When.ALWAYS, Does.REASON, "pause"),
)
