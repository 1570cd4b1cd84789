"""Events: everything that happened to the queue, the log's only content.

Each event is a frozen dataclass with a class-level `kind` and `at` (epoch
seconds, the `now` given to `apply`). The state is a fold of `evolve` over the
events, so an event carries every fact `evolve` needs (no lookups of config
values that could change between writing and replaying, except the service
table itself). Displays and voice consume `TicketCalled`; statistics read the
whole log. The dict form is `{"kind": ..., <fields>}` (see `PROTOCOL.md`).

Identity: events carry the keyed hash and the masked form only; the clear card
or ID number never reaches the core.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import MISSING, dataclass, fields
from typing import Any, ClassVar

from lobbyq.core.errors import InvalidEvent


@dataclass(frozen=True)
class Event:
    """Base of every event; `at` is when it happened (epoch seconds)."""

    at: float
    kind: ClassVar[str] = ""


@dataclass(frozen=True)
class DayRolledOver(Event):
    """A new business day starts: numbering resets, the closed day's tickets are gone."""

    day: str
    ends_at: float
    kind: ClassVar[str] = "day_rolled_over"


@dataclass(frozen=True)
class TicketIssued(Event):
    ticket: str
    number: str
    seq: int
    numeral: int
    service: str
    customer_class: str
    ahead: int
    expected_wait_s: float | None
    identity_kind: str | None = None
    identity_hash: str | None = None
    identity_masked: str | None = None
    appointment_ref: str | None = None
    appointment_due: float | None = None
    lang: str | None = None
    command_id: str = ""
    kind: ClassVar[str] = "ticket_issued"


@dataclass(frozen=True)
class TicketCalled(Event):
    """A ticket is called to a counter; `recall` marks a repeat announcement."""

    ticket: str
    number: str
    service: str
    counter: str
    teller: str | None
    recall: bool = False
    via: str = "next"  # next | ticket | hold | recall
    kind: ClassVar[str] = "ticket_called"


@dataclass(frozen=True)
class TicketFinished(Event):
    ticket: str
    number: str
    service: str
    counter: str
    teller: str | None
    service_s: float
    kind: ClassVar[str] = "ticket_finished"


@dataclass(frozen=True)
class TicketNoShow(Event):
    """The customer did not come; `requeued` says whether the ticket goes back once."""

    ticket: str
    number: str
    service: str
    counter: str
    teller: str | None
    requeued: bool
    kind: ClassVar[str] = "ticket_no_show"


@dataclass(frozen=True)
class TicketTransferred(Event):
    ticket: str
    number: str
    service: str
    counter: str
    teller: str | None
    to_service: str
    to_counter: str | None
    front: bool
    service_s: float
    kind: ClassVar[str] = "ticket_transferred"


@dataclass(frozen=True)
class TicketHeld(Event):
    ticket: str
    number: str
    service: str
    counter: str
    teller: str | None
    kind: ClassVar[str] = "ticket_held"


@dataclass(frozen=True)
class TicketCancelled(Event):
    ticket: str
    number: str
    service: str
    kind: ClassVar[str] = "ticket_cancelled"


@dataclass(frozen=True)
class TicketExpired(Event):
    ticket: str
    number: str
    service: str
    kind: ClassVar[str] = "ticket_expired"


@dataclass(frozen=True)
class TicketRated(Event):
    ticket: str
    number: str
    service: str
    counter: str
    teller: str | None
    value: int
    scale: int
    reason: str | None = None
    kind: ClassVar[str] = "ticket_rated"


@dataclass(frozen=True)
class TicketUnrated(Event):
    ticket: str
    number: str
    service: str
    counter: str
    teller: str | None
    kind: ClassVar[str] = "ticket_unrated"


@dataclass(frozen=True)
class TellerLoggedIn(Event):
    counter: str
    teller: str
    kind: ClassVar[str] = "teller_logged_in"


@dataclass(frozen=True)
class TellerLoggedOut(Event):
    counter: str
    teller: str
    kind: ClassVar[str] = "teller_logged_out"


@dataclass(frozen=True)
class CounterOpened(Event):
    counter: str
    teller: str | None
    kind: ClassVar[str] = "counter_opened"


@dataclass(frozen=True)
class CounterClosed(Event):
    counter: str
    teller: str | None
    kind: ClassVar[str] = "counter_closed"


@dataclass(frozen=True)
class CounterPaused(Event):
    counter: str
    teller: str | None
    reason: str
    kind: ClassVar[str] = "counter_paused"


@dataclass(frozen=True)
class CounterResumed(Event):
    counter: str
    teller: str | None
    kind: ClassVar[str] = "counter_resumed"


@dataclass(frozen=True)
class NoticeSet(Event):
    notice: str
    text: str | None = None
    kind: ClassVar[str] = "notice_set"


@dataclass(frozen=True)
class NoticeCleared(Event):
    kind: ClassVar[str] = "notice_cleared"


@dataclass(frozen=True)
class WaitAlert(Event):
    """A ticket has waited longer than its service's over-wait threshold (once per wait)."""

    ticket: str
    number: str
    service: str
    waited_s: float
    threshold_s: float
    kind: ClassVar[str] = "wait_alert"


@dataclass(frozen=True)
class CounterAdvice(Event):
    """Advice to the lobby manager: open or close a counter for a service (or all is ok)."""

    service: str
    action: str  # open | close | ok
    counter: str | None
    expected_wait_s: float | None
    target_s: float
    kind: ClassVar[str] = "counter_advice"


@dataclass(frozen=True)
class CounterServicesChanged(Event):
    """A counter takes other services from now on (primary first); replaces the config's list.

    The change lasts until another one or the next business day, when every
    counter takes its configured services again.
    """

    counter: str
    teller: str | None
    services: tuple[str, ...]
    kind: ClassVar[str] = "counter_services_changed"


@dataclass(frozen=True)
class TicketMoved(Event):
    """A waiting ticket sent to another service or counter; it keeps its arrival time."""

    ticket: str
    number: str
    service: str
    to_service: str
    to_counter: str | None
    kind: ClassVar[str] = "ticket_moved"


@dataclass(frozen=True)
class AlertAcknowledged(Event):
    """A manager has seen an alert (``alert`` is the console's id for it) and acts on it."""

    alert: str
    by: str
    note: str | None = None
    kind: ClassVar[str] = "alert_acknowledged"


@dataclass(frozen=True)
class CommandRefused(Event):
    """A valid command that cannot act now; the state is unchanged."""

    command_id: str
    op: str
    code: str
    reason: str
    kind: ClassVar[str] = "command_refused"


EVENT_TYPES: dict[str, type[Event]] = {
    c.kind: c
    for c in (
        DayRolledOver,
        TicketIssued,
        TicketCalled,
        TicketFinished,
        TicketNoShow,
        TicketTransferred,
        TicketHeld,
        TicketCancelled,
        TicketExpired,
        TicketRated,
        TicketUnrated,
        TellerLoggedIn,
        TellerLoggedOut,
        CounterOpened,
        CounterClosed,
        CounterPaused,
        CounterResumed,
        NoticeSet,
        NoticeCleared,
        WaitAlert,
        CounterAdvice,
        CounterServicesChanged,
        TicketMoved,
        AlertAcknowledged,
        CommandRefused,
    )
}


def fast_init(cls: type[Any]) -> None:
    """Give a frozen dataclass (no slots) an `__init__` that writes its `__dict__` directly.

    The dataclass-generated `__init__` of a frozen class calls
    `object.__setattr__` once per field, which made building events the
    largest cost of `apply` (about half of it). This one has the same
    signature and defaults and keeps the instance frozen afterwards; the
    views use it too.
    """
    namespace: dict[str, Any] = {}
    params = []
    body = []
    for f in fields(cls):
        if f.default is not MISSING:
            namespace[f"_default_{f.name}"] = f.default
            params.append(f"{f.name}=_default_{f.name}")
        else:
            params.append(f.name)
        body.append(f"    d[{f.name!r}] = {f.name}")
    source = f"def __init__(self, {', '.join(params)}):\n    d = self.__dict__\n" + "\n".join(body)
    exec(source, namespace)
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    cls.__init__ = init


for _cls in EVENT_TYPES.values():
    fast_init(_cls)


def _tuple_services(cls: type[CounterServicesChanged]) -> None:
    """The log and the wire give a JSON list; the event keeps a tuple, so replay compares equal."""
    base = cls.__init__

    def __init__(
        self: CounterServicesChanged,
        at: float,
        counter: str,
        teller: str | None,
        services: Any,
    ) -> None:
        base(self, at, counter, teller, tuple(services))

    cls.__init__ = __init__  # type: ignore[method-assign]


_tuple_services(CounterServicesChanged)

_FIELDS: dict[type[Event], tuple[str, ...]] = {
    c: tuple(f.name for f in fields(c)) for c in EVENT_TYPES.values()
}


def event_to_dict(ev: Event) -> dict[str, Any]:
    """JSON-safe dict with "kind" first; the inverse of `event_from_dict`."""
    out: dict[str, Any] = {"kind": ev.kind}
    for name in _FIELDS[type(ev)]:
        out[name] = getattr(ev, name)
    return out


def event_from_dict(d: Mapping[str, Any]) -> Event:
    """Rebuild an event from its dict; raises `InvalidEvent` for an unknown kind or field."""
    kind = d.get("kind")
    cls = EVENT_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise InvalidEvent(f"unknown event kind {kind!r}")
    names = _FIELDS[cls]
    try:
        return cls(**{k: d[k] for k in names if k in d})
    except TypeError as exc:
        raise InvalidEvent(f"{kind}: {exc}") from exc
