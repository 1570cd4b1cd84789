"""Views: what the retained MQTT state topics carry, as frozen types and JSON-safe dicts.

A device that reboots reads these and shows the right thing at once, so each
view is complete on its own (no deltas). Ticket identity never appears here,
not even masked: the hall display has no business with it.

Each view type is built from the state by its ``of`` constructor and turns
itself into its wire dict with ``to_dict``; the wire codec (decoding with
field-named errors, the unknown-field rule) is ``lobbyq.protocol.views``.
The ``*_view`` functions return the dicts directly. The shapes are tabled in
``PROTOCOL.md`` beside this file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lobbyq.core.estimate import capacity, wait_formula
from lobbyq.core.events import fast_init
from lobbyq.core.state import BranchState


@dataclass(frozen=True)
class NoticeView:
    """The branch notice (power cut, system failure, custom text) and since when."""

    notice: str
    text: str | None
    since: float

    @classmethod
    def of(cls, state: BranchState) -> NoticeView | None:
        n = state.notice
        return None if n is None else cls(n.notice, n.text, n.since)

    def to_dict(self) -> dict[str, Any]:
        return {"notice": self.notice, "text": self.text, "since": self.since}


@dataclass(frozen=True)
class WaitingTicket:
    """One waiting ticket in call order; ``customer_class`` is ``class`` on the wire."""

    number: str
    customer_class: str
    waited_s: float
    expected_wait_s: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "class": self.customer_class,
            "waited_s": self.waited_s,
            "expected_wait_s": self.expected_wait_s,
        }


@dataclass(frozen=True)
class ServiceQueue:
    """One service's queue: how many wait, how many counters serve it, the wait if taken now."""

    name: Mapping[str, str]
    waiting: int
    open_counters: float  # weighted: a counter serving it as a secondary service counts less
    expected_wait_s: float | None
    tickets: tuple[WaitingTicket, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": dict(self.name),
            "waiting": self.waiting,
            "open_counters": self.open_counters,
            "expected_wait_s": self.expected_wait_s,
            # Inline rather than ``t.to_dict()``: a busy queue has thousands of rows.
            "tickets": [
                {
                    "number": t.number,
                    "class": t.customer_class,
                    "waited_s": t.waited_s,
                    "expected_wait_s": t.expected_wait_s,
                }
                for t in self.tickets
            ],
        }


@dataclass(frozen=True)
class QueueView:
    """Per service: who waits, in call order, with each one's expected wait."""

    branch: str
    day: str | None  # None until the first business day starts
    at: float
    notice: NoticeView | None
    services: Mapping[str, ServiceQueue]

    @classmethod
    def of(cls, state: BranchState, now: float) -> QueueView:
        services: dict[str, ServiceQueue] = {}
        tickets = state.tickets
        for svc in state.config.services:
            q = state.queues[svc.code]
            c, idle = capacity(state, svc.code)
            mean = state.avg_service_s[svc.code]
            rows = []
            for i, entry in enumerate(q):
                t = tickets[entry[3]]
                rows.append(
                    WaitingTicket(
                        t.number,
                        t.customer_class,
                        round(max(0.0, now - t.issued_at), 1),
                        wait_formula(i, c, idle, mean),
                    )
                )
            services[svc.code] = ServiceQueue(
                dict(svc.names), len(q), c, wait_formula(len(q), c, idle, mean), tuple(rows)
            )
        return cls(state.config.branch_id, state.day, now, NoticeView.of(state), services)

    def to_dict(self) -> dict[str, Any]:
        return {
            "branch": self.branch,
            "day": self.day,
            "at": self.at,
            "notice": self.notice.to_dict() if self.notice is not None else None,
            "services": {code: s.to_dict() for code, s in self.services.items()},
        }


@dataclass(frozen=True)
class CurrentTicket:
    """The ticket a counter serves now."""

    ticket: str
    number: str
    service: str
    called_at: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "ticket": self.ticket,
            "number": self.number,
            "service": self.service,
            "called_at": self.called_at,
        }


@dataclass(frozen=True)
class HeldTicket:
    """A ticket a counter put on hold, to call back later."""

    ticket: str
    number: str
    service: str

    def to_dict(self) -> dict[str, Any]:
        return {"ticket": self.ticket, "number": self.number, "service": self.service}


@dataclass(frozen=True)
class CounterView:
    """One counter's status for its LED strip, keypad and the lobby view."""

    counter: str
    status: str
    reason: str | None
    teller: str | None
    services: tuple[str, ...]
    current: CurrentTicket | None
    held: tuple[HeldTicket, ...]
    transferred_here: tuple[str, ...]

    @classmethod
    def of(cls, state: BranchState, counter_id: str) -> CounterView:
        c = state.counters[counter_id]
        cur = state.tickets.get(c.current) if c.current is not None else None
        direct = state.queues.get("@" + counter_id, [])
        tickets = state.tickets
        return cls(
            c.id,
            c.status,
            c.pause_reason,
            c.teller,
            state.counter_cfg[counter_id].services,
            (
                CurrentTicket(cur.id, cur.number, cur.service, cur.called_at)
                if cur is not None
                else None
            ),
            tuple(HeldTicket(tid, tickets[tid].number, tickets[tid].service) for tid in c.held),
            tuple(tickets[e[3]].number for e in direct),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "counter": self.counter,
            "status": self.status,
            "reason": self.reason,
            "teller": self.teller,
            "services": list(self.services),
            "current": self.current.to_dict() if self.current is not None else None,
            "held": [h.to_dict() for h in self.held],
            "transferred_here": list(self.transferred_here),
        }


@dataclass(frozen=True)
class Call:
    """One call (a recall too) as the hall display lists it."""

    number: str
    counter: str
    service: str
    at: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "counter": self.counter,
            "service": self.service,
            "at": self.at,
        }


@dataclass(frozen=True)
class CallsView:
    """The latest calls, newest first, for the hall display."""

    calls: tuple[Call, ...]

    @classmethod
    def of(cls, state: BranchState, n: int = 8) -> CallsView:
        out: list[Call] = []
        for number, counter, service, at in reversed(state.recent):
            if len(out) >= n:
                break
            out.append(Call(number, counter, service, at))
        return cls(tuple(out))

    def to_dict(self) -> dict[str, Any]:
        return {"calls": [c.to_dict() for c in self.calls]}


VIEW_TYPES: tuple[type, ...] = (
    NoticeView,
    WaitingTicket,
    ServiceQueue,
    QueueView,
    CurrentTicket,
    HeldTicket,
    CounterView,
    Call,
    CallsView,
)
for _cls in VIEW_TYPES:
    fast_init(_cls)  # a busy queue view builds one WaitingTicket per waiting customer


def notice_view(state: BranchState) -> dict[str, Any] | None:
    view = NoticeView.of(state)
    return None if view is None else view.to_dict()


def queue_view(state: BranchState, now: float) -> dict[str, Any]:
    """Per service: who waits, in call order, with each one's expected wait."""
    return QueueView.of(state, now).to_dict()


def counter_view(state: BranchState, counter_id: str) -> dict[str, Any]:
    """One counter's status for its LED strip, keypad and the lobby view."""
    return CounterView.of(state, counter_id).to_dict()


def recent_calls(state: BranchState, n: int = 8) -> list[dict[str, Any]]:
    """The last `n` calls (recalls included), newest first, for the hall display."""
    return [c.to_dict() for c in CallsView.of(state, n).calls]
