"""The retained views (topics ``state/...``) as types: decoded once at the edge.

The view types are the core's (``lobbyq.core.views``: the engine builds them
from its state and each turns itself into its wire dict); this module is
their codec. :class:`Retained` pairs a view with the event-log ``seq`` it
reflects and encodes the ``state`` envelope; a ``decode_*`` function per
topic reads one payload into it, refusing a bad one with a
:class:`ProtocolError` that names the field.

Forward compatibility (``PROTOCOL.md``): by default a decoder ignores fields
it does not declare, so an older device survives a newer engine;
``strict=True`` (the tests) refuses them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from lobbyq.core.views import (
    Call,
    CallsView,
    CounterView,
    CurrentTicket,
    HeldTicket,
    NoticeView,
    QueueView,
    ServiceQueue,
    WaitingTicket,
)
from lobbyq.protocol.fields import Fields
from lobbyq.protocol.messages import MAX_STATE_PAYLOAD, PROTOCOL_VERSION, ProtocolError, dump
from lobbyq.protocol.messages import parse_object as _parse

__all__ = [
    "Call",
    "CallsView",
    "CounterView",
    "CurrentTicket",
    "HeldTicket",
    "NoticeView",
    "QueueView",
    "Retained",
    "ServiceQueue",
    "View",
    "WaitingTicket",
    "calls_view",
    "counter_view",
    "decode_calls",
    "decode_counter",
    "decode_notice",
    "decode_queue",
    "notice_view",
    "queue_view",
]

View = QueueView | CounterView | CallsView | NoticeView | None
V = TypeVar("V", bound=View)

_ENVELOPE = ("v", "seq", "state")
_NOTICE = ("notice", "text", "since")
_WAITING = ("number", "class", "waited_s", "expected_wait_s")
_SERVICE = ("name", "waiting", "open_counters", "expected_wait_s", "tickets")
_QUEUE = ("branch", "day", "at", "notice", "services")
_CURRENT = ("ticket", "number", "service", "called_at")
_HELD = ("ticket", "number", "service")
_COUNTER = (
    "counter",
    "status",
    "reason",
    "teller",
    "services",
    "current",
    "held",
    "transferred_here",
)
_CALL = ("number", "counter", "service", "at")
_CALLS = ("calls",)


@dataclass(frozen=True, slots=True)
class Retained(Generic[V]):
    """A retained view tagged with the event-log position it reflects."""

    seq: int
    view: V

    def encode(self) -> bytes:
        state = self.view.to_dict() if self.view is not None else {}
        return dump({"v": PROTOCOL_VERSION, "seq": self.seq, "state": state})


# -- one view from its dict (``path`` names the fields in errors) ----------------


def notice_view(obj: Any, *, strict: bool = False, path: str = "state") -> NoticeView | None:
    """``state/notice`` carries ``{}`` when there is no notice."""
    if isinstance(obj, Mapping) and not obj:
        return None
    f = Fields(obj, path, _NOTICE, strict=strict)
    return NoticeView(f.text("notice"), f.opt_text("text"), f.number("since"))


def _waiting(obj: Any, path: str, strict: bool) -> WaitingTicket:
    f = Fields(obj, path, _WAITING, strict=strict)
    return WaitingTicket(
        f.text("number"), f.text("class"), f.number("waited_s"), f.opt_number("expected_wait_s")
    )


def _service(obj: Any, path: str, strict: bool) -> ServiceQueue:
    f = Fields(obj, path, _SERVICE, strict=strict)
    rows = f.items("tickets")
    tickets = f.name("tickets")
    return ServiceQueue(
        f.text_map("name"),
        f.count("waiting"),
        f.number("open_counters"),
        f.opt_number("expected_wait_s"),
        tuple(_waiting(row, f"{tickets}[{i}]", strict) for i, row in enumerate(rows)),
    )


def queue_view(obj: Any, *, strict: bool = False, path: str = "state") -> QueueView:
    f = Fields(obj, path, _QUEUE, strict=strict)
    notice = f.raw("notice")
    services = f.raw("services")
    if not isinstance(services, Mapping):
        raise ProtocolError(f"field {f.name('services')!r} must be an object")
    base = f.name("services")
    return QueueView(
        f.text("branch"),
        f.opt_text("day"),
        f.number("at"),
        None if notice is None else notice_view(notice, strict=strict, path=f.name("notice")),
        {str(k): _service(v, f"{base}.{k}", strict) for k, v in services.items()},
    )


def counter_view(obj: Any, *, strict: bool = False, path: str = "state") -> CounterView:
    f = Fields(obj, path, _COUNTER, strict=strict)
    cur = f.raw("current")
    current = None
    if cur is not None:
        c = Fields(cur, f.name("current"), _CURRENT, strict=strict)
        current = CurrentTicket(
            c.text("ticket"), c.text("number"), c.text("service"), c.opt_number("called_at")
        )
    held = []
    for i, row in enumerate(f.items("held")):
        h = Fields(row, f"{f.name('held')}[{i}]", _HELD, strict=strict)
        held.append(HeldTicket(h.text("ticket"), h.text("number"), h.text("service")))
    return CounterView(
        f.text("counter"),
        f.text("status"),
        f.opt_text("reason"),
        f.opt_text("teller"),
        f.texts("services"),
        current,
        tuple(held),
        f.texts("transferred_here"),
    )


def calls_view(obj: Any, *, strict: bool = False, path: str = "state") -> CallsView:
    f = Fields(obj, path, _CALLS, strict=strict)
    calls = []
    for i, row in enumerate(f.items("calls")):
        c = Fields(row, f"{f.name('calls')}[{i}]", _CALL, strict=strict)
        calls.append(Call(c.text("number"), c.text("counter"), c.text("service"), c.number("at")))
    return CallsView(tuple(calls))


# -- one retained payload ------------------------------------------------------------


def _envelope(payload: bytes | str, strict: bool) -> tuple[int, Any]:
    f = Fields(_parse(payload, MAX_STATE_PAYLOAD), "", _ENVELOPE, strict=strict)
    return f.count("seq"), f.raw("state")


def decode_queue(payload: bytes | str, *, strict: bool = False) -> Retained[QueueView]:
    """A ``state/queue`` payload."""
    seq, state = _envelope(payload, strict)
    return Retained(seq, queue_view(state, strict=strict))


def decode_counter(payload: bytes | str, *, strict: bool = False) -> Retained[CounterView]:
    """A ``state/counter/<id>`` payload."""
    seq, state = _envelope(payload, strict)
    return Retained(seq, counter_view(state, strict=strict))


def decode_calls(payload: bytes | str, *, strict: bool = False) -> Retained[CallsView]:
    """A ``state/calls`` payload."""
    seq, state = _envelope(payload, strict)
    return Retained(seq, calls_view(state, strict=strict))


def decode_notice(payload: bytes | str, *, strict: bool = False) -> Retained[NoticeView | None]:
    """A ``state/notice`` payload (``None``: no notice)."""
    seq, state = _envelope(payload, strict)
    return Retained(seq, notice_view(state, strict=strict))
