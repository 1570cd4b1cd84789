"""`evolve(state, event)`: fold one recorded event into the state (replay).

This is the only code that changes a `BranchState`. `apply` decides which
events a command produces and then evolves them itself, so folding `evolve`
over the log reproduces exactly the state `apply` returned: the invariant
holds by construction, and the property tests check it anyway.

`evolve` mutates and returns the state it is given. It trusts the log: an
event that does not fit the state (a corrupt log) raises `CoreError` instead
of guessing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lobbyq.core import events
from lobbyq.core.errors import CoreError
from lobbyq.core.estimate import EWMA_ALPHA
from lobbyq.core.policy import POLICIES
from lobbyq.core.state import (
    CALLED,
    CANCELLED,
    CLOSED,
    EXPIRED,
    FINISHED,
    HELD,
    NO_SHOW,
    OPEN,
    PAUSED,
    WAITING,
    BranchState,
    Notice,
    Ticket,
    dequeue,
    enqueue,
    refresh_counters,
)


def _ticket(state: BranchState, tid: str) -> Ticket:
    t = state.tickets.get(tid)
    if t is None:
        raise CoreError(f"event names unknown ticket {tid!r}")
    return t


def _release_number(state: BranchState, t: Ticket) -> None:
    state.live_numerals[t.range_service].pop(t.numeral, None)
    if state.by_number.get(t.number) == t.id:
        del state.by_number[t.number]


def _leave_counter(state: BranchState, t: Ticket) -> None:
    """Detach a called ticket from its counter (finish, no-show, transfer, hold)."""
    if t.counter is not None:
        c = state.counters[t.counter]
        if c.current == t.id:
            c.current = None


def _day(state: BranchState, ev: Any) -> None:
    state.day = ev.day
    state.day_ends_at = ev.ends_at
    state.tickets.clear()
    for q in state.queues.values():
        q.clear()
    for key in [k for k in state.queues if k.startswith("@")]:
        del state.queues[key]
    for s in state.config.services:
        state.next_numeral[s.code] = s.first
    for d in state.live_numerals.values():
        d.clear()
    for a in state.appointments.values():
        a.clear()
    state.by_number.clear()
    state.issue_seq = 0
    state.pending_ratings.clear()
    state.alerted.clear()
    changed = False
    for c in state.counters.values():
        c.current = None
        c.held.clear()
        c.last_finished = None
        changed = changed or c.services is not None
        c.services = None  # a new day starts with the configured services
    if changed:
        refresh_counters(state)


def _issued(state: BranchState, ev: Any) -> None:
    svc = state.config.service[ev.service]
    # Positional, in Ticket's field order (hot path).
    t = Ticket(
        ev.ticket,
        ev.seq,
        ev.numeral,
        ev.number,
        ev.service,
        ev.service,
        ev.customer_class,
        ev.at,
        WAITING,
        None,
        None,
        None,
        None,
        ev.identity_kind,
        ev.identity_hash,
        ev.identity_masked,
        ev.appointment_ref,
        ev.appointment_due,
        ev.lang,
    )
    state.tickets[t.id] = t
    state.issue_seq = ev.seq
    state.live_numerals[ev.service][ev.numeral] = t.id
    state.by_number[t.number] = t.id
    nxt = ev.numeral + 1
    state.next_numeral[ev.service] = svc.first if nxt > svc.last else nxt
    cfg = state.config
    enqueue(state, t, ev.service, 1, POLICIES[cfg.policy].key(cfg, ev.customer_class, ev.at))


def _called(state: BranchState, ev: Any) -> None:
    state.recent.append((ev.number, ev.counter, ev.service, ev.at))
    if ev.recall:
        return
    t = _ticket(state, ev.ticket)
    c = state.counters[ev.counter]
    if t.status == WAITING:
        dequeue(state, t)
        state.alerted.discard(t.id)
    elif t.status == HELD:
        if t.counter is not None:
            held = state.counters[t.counter].held
            if t.id in held:
                held.remove(t.id)
    else:
        raise CoreError(f"ticket {t.number} called while {t.status}")
    t.status = CALLED
    t.counter = ev.counter
    t.teller = ev.teller
    t.called_at = ev.at
    if t.first_called_at is None:
        t.first_called_at = ev.at
    c.current = t.id


def _finished(state: BranchState, ev: Any) -> None:
    t = _ticket(state, ev.ticket)
    _leave_counter(state, t)
    t.status = FINISHED
    _release_number(state, t)
    state.counters[ev.counter].last_finished = t.id
    avg = state.avg_service_s
    avg[ev.service] += EWMA_ALPHA * (ev.service_s - avg[ev.service])
    timeout = state.config.rating_timeout_s
    if timeout > 0:
        state.pending_ratings[t.id] = ev.at + timeout


def _no_show(state: BranchState, ev: Any) -> None:
    t = _ticket(state, ev.ticket)
    _leave_counter(state, t)
    t.no_shows += 1
    if ev.requeued:
        cfg = state.config
        enqueue(state, t, t.service, 1, POLICIES[cfg.policy].key(cfg, t.customer_class, ev.at))
    else:
        t.status = NO_SHOW
        _release_number(state, t)


def _transferred(state: BranchState, ev: Any) -> None:
    t = _ticket(state, ev.ticket)
    _leave_counter(state, t)
    t.transfers += 1
    t.service = ev.to_service
    queue = ev.to_service if ev.to_counter is None else "@" + ev.to_counter
    if ev.front:
        enqueue(state, t, queue, 0, ev.at)
    else:
        cfg = state.config
        enqueue(state, t, queue, 1, POLICIES[cfg.policy].key(cfg, t.customer_class, t.issued_at))


def _held(state: BranchState, ev: Any) -> None:
    t = _ticket(state, ev.ticket)
    _leave_counter(state, t)
    t.status = HELD
    state.counters[ev.counter].held.append(t.id)


def _end_live(state: BranchState, ev: Any, status: str) -> None:
    t = _ticket(state, ev.ticket)
    if t.status == WAITING:
        dequeue(state, t)
    elif t.status == HELD and t.counter is not None:
        held = state.counters[t.counter].held
        if t.id in held:
            held.remove(t.id)
    elif t.status == CALLED:
        _leave_counter(state, t)
    t.status = status
    state.alerted.discard(t.id)
    _release_number(state, t)


def _rated(state: BranchState, ev: Any) -> None:
    state.pending_ratings.pop(ev.ticket, None)
    _ticket(state, ev.ticket).rating = ev.value


def _unrated(state: BranchState, ev: Any) -> None:
    state.pending_ratings.pop(ev.ticket, None)


def _login(state: BranchState, ev: Any) -> None:
    state.counters[ev.counter].teller = ev.teller


def _logout(state: BranchState, ev: Any) -> None:
    c = state.counters[ev.counter]
    c.teller = None
    c.status = CLOSED
    c.pause_reason = None


def _set_status(status: str) -> Callable[[BranchState, Any], None]:
    def handler(state: BranchState, ev: Any) -> None:
        c = state.counters[ev.counter]
        c.status = status
        c.pause_reason = ev.reason if status == PAUSED else None

    return handler


def _notice(state: BranchState, ev: Any) -> None:
    state.notice = Notice(ev.notice, ev.text, ev.at)


def _notice_cleared(state: BranchState, ev: Any) -> None:
    state.notice = None


def _alert(state: BranchState, ev: Any) -> None:
    state.alerted.add(ev.ticket)


def _advice(state: BranchState, ev: Any) -> None:
    state.advice[ev.service] = ev.action


def _counter_services(state: BranchState, ev: Any) -> None:
    state.counters[ev.counter].services = list(ev.services)
    refresh_counters(state)


def _moved(state: BranchState, ev: Any) -> None:
    t = _ticket(state, ev.ticket)
    if t.status != WAITING:
        raise CoreError(f"ticket {t.number} moved while {t.status}")
    dequeue(state, t)
    t.service = ev.to_service
    queue = ev.to_service if ev.to_counter is None else "@" + ev.to_counter
    cfg = state.config
    enqueue(state, t, queue, 1, POLICIES[cfg.policy].key(cfg, t.customer_class, t.issued_at))


def _nothing(state: BranchState, ev: Any) -> None:
    return None


EVOLVERS: dict[type[events.Event], Callable[[BranchState, Any], None]] = {
    events.DayRolledOver: _day,
    events.TicketIssued: _issued,
    events.TicketCalled: _called,
    events.TicketFinished: _finished,
    events.TicketNoShow: _no_show,
    events.TicketTransferred: _transferred,
    events.TicketHeld: _held,
    events.TicketCancelled: lambda s, e: _end_live(s, e, CANCELLED),
    events.TicketExpired: lambda s, e: _end_live(s, e, EXPIRED),
    events.TicketRated: _rated,
    events.TicketUnrated: _unrated,
    events.TellerLoggedIn: _login,
    events.TellerLoggedOut: _logout,
    events.CounterOpened: _set_status(OPEN),
    events.CounterClosed: _set_status(CLOSED),
    events.CounterPaused: _set_status(PAUSED),
    events.CounterResumed: _set_status(OPEN),
    events.NoticeSet: _notice,
    events.NoticeCleared: _notice_cleared,
    events.WaitAlert: _alert,
    events.CounterAdvice: _advice,
    events.CounterServicesChanged: _counter_services,
    events.TicketMoved: _moved,
    events.AlertAcknowledged: _nothing,
    events.CommandRefused: _nothing,
}


def evolve(state: BranchState, event: events.Event) -> BranchState:
    """Apply one recorded event to `state` (mutated and returned)."""
    EVOLVERS[type(event)](state, event)
    return state
