"""Commands: what a device asks the queue to do.

Each command is a frozen dataclass with `id` (the sender's uuid, used by the
engine to deduplicate redeliveries) and a class-level `op`. `command_from_dict`
is the one place a wire dict becomes a typed command; it checks types, required
fields and enum values and raises `InvalidCommand` with a reason a technician
can act on. Whether the command makes sense *now* (is the counter open?) is
decided by `apply`, which answers with a `CommandRefused` event.

The op-by-op table is in `PROTOCOL.md` beside this file.
Every dict also carries `"id"` and `"op"`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, ClassVar

from lobbyq.core.config import CUSTOMER_CLASSES, LANGS
from lobbyq.core.errors import InvalidCommand

IDENTITY_KINDS: tuple[str, ...] = ("card", "id", "qr")
PAUSE_REASONS: tuple[str, ...] = ("break", "lunch", "other")
NOTICES: tuple[str, ...] = ("power_cut", "system_failure", "custom")
RATING_SCALES: tuple[int, ...] = (3, 5)

_HEX_RE = re.compile(r"^[0-9a-f]{16,128}$")
_REASON_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_DIGIT_RUN_RE = re.compile(r"\d{7,}")
_ALERT_ID_RE = re.compile(r"^[A-Za-z0-9_.:@-]{1,96}$")
MAX_COUNTER_SERVICES = 16


@dataclass(frozen=True, slots=True)
class Identity:
    """How the customer identified: keyed hash and masked form, never the number."""

    kind: str
    hash: str
    masked: str


@dataclass(frozen=True, slots=True)
class Appointment:
    """A booking made ahead: its reference and when it is due (epoch seconds)."""

    ref: str
    due: float


@dataclass(frozen=True, slots=True)
class Command:
    """Base of every command; `id` is the sender's command id."""

    id: str
    op: ClassVar[str] = ""


@dataclass(frozen=True, slots=True)
class IssueTicket(Command):
    service: str
    customer_class: str = "normal"
    identity: Identity | None = None
    appointment: Appointment | None = None
    lang: str | None = None
    op: ClassVar[str] = "issue_ticket"


@dataclass(frozen=True, slots=True)
class Login(Command):
    counter: str
    teller: str
    op: ClassVar[str] = "login"


@dataclass(frozen=True, slots=True)
class Logout(Command):
    counter: str
    op: ClassVar[str] = "logout"


@dataclass(frozen=True, slots=True)
class OpenCounter(Command):
    counter: str
    op: ClassVar[str] = "open_counter"


@dataclass(frozen=True, slots=True)
class CloseCounter(Command):
    counter: str
    op: ClassVar[str] = "close_counter"


@dataclass(frozen=True, slots=True)
class Pause(Command):
    counter: str
    reason: str
    op: ClassVar[str] = "pause"


@dataclass(frozen=True, slots=True)
class Resume(Command):
    counter: str
    op: ClassVar[str] = "resume"


@dataclass(frozen=True, slots=True)
class CallNext(Command):
    counter: str
    op: ClassVar[str] = "call_next"


@dataclass(frozen=True, slots=True)
class CallTicket(Command):
    counter: str
    ticket: str
    op: ClassVar[str] = "call_ticket"


@dataclass(frozen=True, slots=True)
class Recall(Command):
    counter: str
    op: ClassVar[str] = "recall"


@dataclass(frozen=True, slots=True)
class NoShow(Command):
    counter: str
    op: ClassVar[str] = "no_show"


@dataclass(frozen=True, slots=True)
class Finish(Command):
    counter: str
    op: ClassVar[str] = "finish"


@dataclass(frozen=True, slots=True)
class Transfer(Command):
    counter: str
    to_service: str | None = None
    to_counter: str | None = None
    op: ClassVar[str] = "transfer"


@dataclass(frozen=True, slots=True)
class Hold(Command):
    counter: str
    op: ClassVar[str] = "hold"


@dataclass(frozen=True, slots=True)
class CallBack(Command):
    counter: str
    ticket: str
    op: ClassVar[str] = "call_back"


@dataclass(frozen=True, slots=True)
class Cancel(Command):
    ticket: str
    op: ClassVar[str] = "cancel"


@dataclass(frozen=True, slots=True)
class Rate(Command):
    counter: str
    value: int
    scale: int = 5
    reason: str | None = None
    op: ClassVar[str] = "rate"


@dataclass(frozen=True, slots=True)
class SetNotice(Command):
    notice: str
    text: str | None = None
    op: ClassVar[str] = "set_notice"


@dataclass(frozen=True, slots=True)
class ClearNotice(Command):
    op: ClassVar[str] = "clear_notice"


@dataclass(frozen=True, slots=True)
class SetCounterServices(Command):
    """Which services a counter takes from now on (the floating teller), primary first."""

    counter: str
    services: tuple[str, ...]
    op: ClassVar[str] = "set_counter_services"


@dataclass(frozen=True, slots=True)
class MoveTicket(Command):
    """Send a ticket still waiting to another service or counter (it keeps its arrival)."""

    ticket: str
    to_service: str | None = None
    to_counter: str | None = None
    op: ClassVar[str] = "move_ticket"


@dataclass(frozen=True, slots=True)
class AckAlert(Command):
    """A person has seen an alert and acts on it: who, in the log, for the day's record."""

    alert: str
    by: str
    note: str | None = None
    op: ClassVar[str] = "ack_alert"


@dataclass(frozen=True, slots=True)
class Tick(Command):
    op: ClassVar[str] = "tick"


COMMAND_TYPES: dict[str, type[Command]] = {
    c.op: c
    for c in (
        IssueTicket,
        Login,
        Logout,
        OpenCounter,
        CloseCounter,
        Pause,
        Resume,
        CallNext,
        CallTicket,
        Recall,
        NoShow,
        Finish,
        Transfer,
        Hold,
        CallBack,
        Cancel,
        Rate,
        SetNotice,
        ClearNotice,
        SetCounterServices,
        MoveTicket,
        AckAlert,
        Tick,
    )
}
_FIELDS: dict[type[Command], tuple[str, ...]] = {
    c: tuple(f.name for f in fields(c)) for c in COMMAND_TYPES.values()
}


def _req_str(d: Mapping[str, Any], key: str, op: str, max_len: int = 64) -> str:
    value = d.get(key)
    if value is None:
        raise InvalidCommand(f"{op}: field {key!r} is required")
    if not isinstance(value, str) or not value or len(value) > max_len:
        raise InvalidCommand(f"{op}: field {key!r} must be a non-empty string (max {max_len})")
    return value


def _opt_str(d: Mapping[str, Any], key: str, op: str, max_len: int = 64) -> str | None:
    if d.get(key) is None:
        return None
    return _req_str(d, key, op, max_len)


def _enum(
    d: Mapping[str, Any], key: str, op: str, options: tuple[str, ...], default: str | None = None
) -> str:
    value = d.get(key, default)
    if value not in options:
        raise InvalidCommand(f"{op}: {key} must be one of {', '.join(options)}, got {value!r}")
    return str(value)


def _identity(value: Any) -> Identity | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise InvalidCommand("issue_ticket: identity must be an object {kind, hash, masked}")
    kind = _enum(value, "kind", "issue_ticket: identity", IDENTITY_KINDS)
    digest = value.get("hash")
    if not isinstance(digest, str) or not _HEX_RE.match(digest):
        raise InvalidCommand("issue_ticket: identity.hash must be 16-128 lower-case hex digits")
    masked = value.get("masked", "")
    if not isinstance(masked, str) or len(masked) > 32:
        raise InvalidCommand("issue_ticket: identity.masked must be a string of at most 32 chars")
    if _DIGIT_RUN_RE.search(masked.replace(" ", "").replace("-", "")):
        # A masked form never shows seven digits in a row: this looks like a clear
        # number, and refusing it keeps it out of the log.
        raise InvalidCommand("issue_ticket: identity.masked looks like a clear number; mask it")
    return Identity(kind=kind, hash=digest, masked=masked)


def _appointment(value: Any) -> Appointment | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise InvalidCommand("issue_ticket: appointment must be an object {ref, due}")
    ref = _req_str(value, "ref", "issue_ticket: appointment")
    due = value.get("due")
    if isinstance(due, bool) or not isinstance(due, int | float):
        raise InvalidCommand("issue_ticket: appointment.due must be epoch seconds (a number)")
    return Appointment(ref=ref, due=float(due))


def _service_list(value: Any) -> tuple[str, ...]:
    """A counter's services: a non-empty list of distinct codes, primary first."""
    op = "set_counter_services"
    if not isinstance(value, list | tuple) or not value:
        raise InvalidCommand(f"{op}: services must be a non-empty list of service codes")
    if len(value) > MAX_COUNTER_SERVICES:
        raise InvalidCommand(f"{op}: at most {MAX_COUNTER_SERVICES} services")
    out: list[str] = []
    for code in value:
        if not isinstance(code, str) or not code or len(code) > 8:
            raise InvalidCommand(f"{op}: each service must be a code like 'A', got {code!r}")
        if code in out:
            raise InvalidCommand(f"{op}: service {code} is listed twice")
        out.append(code)
    return tuple(out)


def _move_ticket(d: Mapping[str, Any], cid: str) -> MoveTicket:
    op = MoveTicket.op
    to_service = _opt_str(d, "to_service", op, 8)
    to_counter = _opt_str(d, "to_counter", op)
    if (to_service is None) == (to_counter is None):
        raise InvalidCommand(f"{op}: give exactly one of to_service or to_counter")
    return MoveTicket(
        id=cid, ticket=_req_str(d, "ticket", op, 16), to_service=to_service, to_counter=to_counter
    )


def _ack_alert(d: Mapping[str, Any], cid: str) -> AckAlert:
    op = AckAlert.op
    alert = _req_str(d, "alert", op, 96)
    if not _ALERT_ID_RE.match(alert):
        raise InvalidCommand(f"{op}: alert must be an alert id ([A-Za-z0-9_.:@-], max 96)")
    note = _opt_str(d, "note", op, 280)
    if note is not None and _DIGIT_RUN_RE.search(note.replace(" ", "").replace("-", "")):
        # A note is free text in the log: seven digits in a row may be a card or ID number.
        raise InvalidCommand(f"{op}: the note looks like it holds a card or ID number")
    return AckAlert(id=cid, alert=alert, by=_req_str(d, "by", op), note=note)


def command_from_dict(d: Mapping[str, Any]) -> Command:
    """Validate a wire dict and build its command; raises `InvalidCommand`."""
    if not isinstance(d, Mapping):
        raise InvalidCommand("a command must be a JSON object")
    raw_op = d.get("op")
    cls = COMMAND_TYPES.get(raw_op) if isinstance(raw_op, str) else None
    if cls is None:
        raise InvalidCommand(f"unknown op {raw_op!r}; use one of {', '.join(COMMAND_TYPES)}")
    op = cls.op
    cid = _req_str(d, "id", op, 128)
    if cls is IssueTicket:
        return IssueTicket(
            id=cid,
            service=_req_str(d, "service", op, 8),
            customer_class=_enum(d, "customer_class", op, CUSTOMER_CLASSES, "normal"),
            identity=_identity(d.get("identity")),
            appointment=_appointment(d.get("appointment")),
            lang=_enum(d, "lang", op, LANGS) if d.get("lang") is not None else None,
        )
    if cls is Login:
        return Login(id=cid, counter=_req_str(d, "counter", op), teller=_req_str(d, "teller", op))
    if cls is Pause:
        return Pause(
            id=cid, counter=_req_str(d, "counter", op), reason=_enum(d, "reason", op, PAUSE_REASONS)
        )
    if cls is CallTicket or cls is CallBack:
        counter, number = _req_str(d, "counter", op), _req_str(d, "ticket", op, 16)
        return cls(id=cid, counter=counter, ticket=number)
    if cls is Transfer:
        to_service = _opt_str(d, "to_service", op, 8)
        to_counter = _opt_str(d, "to_counter", op)
        if (to_service is None) == (to_counter is None):
            raise InvalidCommand("transfer: give exactly one of to_service or to_counter")
        return Transfer(
            id=cid, counter=_req_str(d, "counter", op), to_service=to_service, to_counter=to_counter
        )
    if cls is Cancel:
        return Cancel(id=cid, ticket=_req_str(d, "ticket", op, 16))
    if cls is Rate:
        scale = d.get("scale", 5)
        if scale not in RATING_SCALES or isinstance(scale, bool):
            raise InvalidCommand(f"rate: scale must be 3 or 5, got {scale!r}")
        value = d.get("value")
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= scale:
            raise InvalidCommand(f"rate: value must be an integer from 1 to {scale}, got {value!r}")
        reason = d.get("reason")
        if reason is not None and (not isinstance(reason, str) or not _REASON_RE.match(reason)):
            raise InvalidCommand(
                "rate: reason must be a short code like 'slow' ([a-z0-9_], max 32)"
            )
        return Rate(
            id=cid, counter=_req_str(d, "counter", op), value=value, scale=scale, reason=reason
        )
    if cls is SetNotice:
        return SetNotice(
            id=cid, notice=_enum(d, "notice", op, NOTICES), text=_opt_str(d, "text", op, 280)
        )
    if cls is ClearNotice or cls is Tick:
        return cls(id=cid)
    if cls is SetCounterServices:
        return SetCounterServices(
            id=cid, counter=_req_str(d, "counter", op), services=_service_list(d.get("services"))
        )
    if cls is MoveTicket:
        return _move_ticket(d, cid)
    if cls is AckAlert:
        return _ack_alert(d, cid)
    # The remaining ops all carry just a counter.
    return cls(id=cid, counter=_req_str(d, "counter", op))  # type: ignore[call-arg]


def command_to_dict(cmd: Command) -> dict[str, Any]:
    """The wire dict for `cmd` (inverse of `command_from_dict`); omits empty optionals."""
    out: dict[str, Any] = {"op": cmd.op}
    for name in _FIELDS[type(cmd)]:
        value = getattr(cmd, name)
        if value is None:
            continue
        if isinstance(value, Identity):
            value = {"kind": value.kind, "hash": value.hash, "masked": value.masked}
        elif isinstance(value, Appointment):
            value = {"ref": value.ref, "due": value.due}
        elif isinstance(value, tuple):
            value = list(value)
        out[name] = value
    return out
