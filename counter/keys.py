"""What the teller types: the digit buffer and how typed digits become tickets and targets.

The keypad has digits only, while tickets are printed as ``A007``. A typed
ticket is therefore *service position + number*: ``1007`` is the first
service's ticket 7 (``A007``) and ``3012`` the third service's 12. The order
is the branch's service table, which tellers see printed beside the keypad.
Transfer targets use the same trick: ``2`` is the second service, ``0`` then
digits is a counter (``03`` = counter 3). Pure: no I/O.

| typed before the key | key | meaning |
|---|---|---|
| teller code | LOGIN | log in and open the counter |
| (nothing) | LOGIN | log out (the engine closes the counter) |
| (nothing) | CALL | call the next customer (finishes the current one if the branch says so) |
| ticket (``1007``) | CALL | call that ticket out of turn |
| (nothing) | RECALL | call the current customer again; with none, call back the only held ticket |
| ticket | RECALL | call back that held ticket |
| (nothing) | NO_SHOW / HOLD / FINISH | on the current customer |
| target (``2`` / ``03``) | TRANSFER | send the current customer to service 2 / counter 3 |
| (nothing) | TRANSFER | ask for a target: type it, then ENTER |
| (none) or ``1``-``3`` | PAUSE | pause: break / lunch / other; PAUSE again resumes |
| ``0`` | PAUSE | close the counter (the teller stays logged in); PAUSE opens it again |
| digits | CLEAR | forget the typed digits (and leave transfer mode) |
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

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

    def label(self) -> str:
        return f"业务{self.to_service}" if self.to_service else f"{self.to_counter}号窗口"


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
