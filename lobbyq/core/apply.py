"""`apply(state, command, now)`: decide what a command does, as events.

Pure: no I/O, no clock (time is the `now` argument), no randomness. Each
handler checks the command against the state and either emits events (each
immediately folded in with `evolve`, so later checks see earlier effects and
replay equals apply by construction) or one `CommandRefused` with a stable
code and an English sentence, leaving the state unchanged.

The state passed in is consumed: it is mutated and returned, because copying a
branch per command would cost more than the command. Callers keep using the
returned state only (the engine does; the simulator does).

Repeated command ids: deduplication is the engine's job (its store keeps the
ids), and the core adds no hidden memory of ids. What the core guarantees is
that a command applied a second time against the resulting state is either
refused cleanly (a second `finish` finds nothing called, a second `open`
finds the counter open) or is a new action by nature (a second `issue_ticket`
is a second ticket). `dedupe.RecentIds` is the small in-memory helper the
simulator and the tests use to behave like the engine.

Refusal codes: unknown_service, self_service, numbers_exhausted,
unknown_counter, unknown_ticket, not_logged_in, already_logged_in,
teller_present, teller_elsewhere, counter_closed, counter_paused,
already_open, already_closed, already_paused, not_paused, counter_busy,
tickets_on_hold, queue_empty, nothing_called, ticket_not_waiting,
not_served_here, not_held, ticket_at_counter, same_service, same_counter,
nothing_to_rate, already_rated, rating_expired, no_notice, no_counter_service,
same_services.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable
from typing import Any

from lobbyq.core import commands
from lobbyq.core import events as ev
from lobbyq.core.config import ServiceConfig
from lobbyq.core.dayclock import business_day
from lobbyq.core.estimate import capacity, expected_wait_s
from lobbyq.core.evolve import EVOLVERS, _issued
from lobbyq.core.policy import POLICIES, choose
from lobbyq.core.state import (
    CALLED,
    CLOSED,
    HELD,
    LIVE_STATUSES,
    OPEN,
    PAUSED,
    WAITING,
    BranchState,
    Counter,
    Ticket,
)

Events = list[ev.Event]


class _Refused(Exception):
    """Internal: unwinds a handler into one CommandRefused event."""

    def __init__(self, code: str, reason: str) -> None:
        self.code = code
        self.reason = reason


def _emit(state: BranchState, events: Events, event: ev.Event) -> None:
    EVOLVERS[type(event)](state, event)
    events.append(event)


def _counter(state: BranchState, cid: str) -> Counter:
    c = state.counters.get(cid)
    if c is None or cid not in state.config.counter:
        raise _Refused("unknown_counter", f"There is no counter {cid!r} in this branch.")
    return c


def _working_counter(state: BranchState, cid: str) -> Counter:
    """A counter that may call: exists, open (not closed, not paused)."""
    c = _counter(state, cid)
    if c.status == CLOSED:
        raise _Refused("counter_closed", f"Counter {cid} is closed; open it first.")
    if c.status == PAUSED:
        raise _Refused(
            "counter_paused", f"Counter {cid} is paused ({c.pause_reason}); resume first."
        )
    return c


def _current(state: BranchState, cid: str) -> tuple[Counter, Ticket]:
    c = _counter(state, cid)
    if c.current is None:
        raise _Refused("nothing_called", f"Counter {cid} has no ticket called.")
    return c, state.tickets[c.current]


def _live_ticket(state: BranchState, number: str) -> Ticket:
    tid = state.by_number.get(number)
    if tid is None:
        raise _Refused("unknown_ticket", f"No live ticket numbered {number!r} today.")
    return state.tickets[tid]


def _busy(c: Counter) -> _Refused:
    return _Refused("counter_busy", f"Counter {c.id} is still serving; finish first.")


def _service_s(t: Ticket, now: float) -> float:
    """How long the called ticket has been served, for the events that end its service."""
    called = t.called_at if t.called_at is not None else now
    return max(0.0, now - called)


def _finish_event(t: Ticket, c: Counter, now: float) -> ev.TicketFinished:
    # Positional, in TicketFinished's field order: every finish builds one.
    return ev.TicketFinished(now, t.id, t.number, t.service, c.id, c.teller, _service_s(t, now))


def _make_room(state: BranchState, events: Events, c: Counter, now: float) -> None:
    """Before a call on a busy counter: finish its ticket, or refuse (config)."""
    if c.current is None:
        return
    if not state.config.call_finishes_current:
        raise _busy(c)
    _emit(state, events, _finish_event(state.tickets[c.current], c, now))


def _call(state: BranchState, events: Events, t: Ticket, c: Counter, now: float, via: str) -> None:
    """Announce `t` at `c`; `via` says why (next, ticket, hold), and "recall" repeats a call."""
    # Positional, in TicketCalled's field order: every call builds one.
    called = ev.TicketCalled(now, t.id, t.number, t.service, c.id, c.teller, via == "recall", via)
    _emit(state, events, called)


# --- tickets -----------------------------------------------------------------


def _free_numeral(live: dict[int, str], svc: ServiceConfig, n: int) -> int:
    """The first numeral from `n` on that no live ticket holds, wrapping within the range."""
    # As many live numerals as the range holds means none is free; otherwise one
    # lap finds a free one, and the lap check only guards the loop's end.
    if len(live) <= svc.last - svc.first:
        start = n
        while True:
            n = svc.first if n >= svc.last else n + 1
            if n not in live:
                return n
            if n == start:
                break
    raise _Refused(
        "numbers_exhausted", f"Every number of service {svc.code} is in use; widen its range."
    )


def _issue(state: BranchState, cmd: commands.IssueTicket, now: float, events: Events) -> None:
    cfg = state.config
    svc = cfg.service.get(cmd.service)
    if svc is None:
        raise _Refused("unknown_service", f"There is no service {cmd.service!r} in this branch.")
    if svc.self_service:
        raise _Refused("self_service", f"Service {svc.code} is done at the self-service machines.")
    live = state.live_numerals[svc.code]
    n = state.next_numeral[svc.code]
    if n in live:
        n = _free_numeral(live, svc, n)
    key = POLICIES[cfg.policy].key(cfg, cmd.customer_class, now)
    q = state.queues[svc.code]
    probe = (1, key, state.entry_seq + 1, "")
    ahead = len(q) if not q or q[-1] < probe else bisect_left(q, probe)
    seq = state.issue_seq + 1
    ident = cmd.identity
    appt = cmd.appointment
    # Positional: this is the hottest constructor of the core (field order of TicketIssued).
    issued = ev.TicketIssued(
        now,
        f"{state.day}-{seq}",
        svc.display(n),
        seq,
        n,
        svc.code,
        cmd.customer_class,
        ahead,
        expected_wait_s(state, svc.code, ahead),
        ident.kind if ident is not None else None,
        ident.hash if ident is not None else None,
        ident.masked if ident is not None else None,
        appt.ref if appt is not None else None,
        appt.due if appt is not None else None,
        cmd.lang,
        cmd.id,
    )
    _issued(state, issued)
    events.append(issued)


def _call_next(state: BranchState, cmd: commands.CallNext, now: float, events: Events) -> None:
    c = _working_counter(state, cmd.counter)
    tid = choose(state, state.counter_cfg[c.id], now)
    if tid is None:
        raise _Refused("queue_empty", f"Nobody is waiting for counter {c.id}.")
    _make_room(state, events, c, now)
    _call(state, events, state.tickets[tid], c, now, "next")


def _call_ticket(state: BranchState, cmd: commands.CallTicket, now: float, events: Events) -> None:
    c = _working_counter(state, cmd.counter)
    t = _live_ticket(state, cmd.ticket)
    if t.status != WAITING:
        raise _Refused("ticket_not_waiting", f"Ticket {t.number} is {t.status}, not waiting.")
    if t.queue != "@" + c.id and not state.counter_cfg[c.id].serves(t.service):
        raise _Refused(
            "not_served_here", f"Counter {c.id} does not serve {t.service} (ticket {t.number})."
        )
    _make_room(state, events, c, now)
    _call(state, events, t, c, now, "ticket")


def _recall(state: BranchState, cmd: commands.Recall, now: float, events: Events) -> None:
    c, t = _current(state, cmd.counter)
    _call(state, events, t, c, now, "recall")


def _no_show(state: BranchState, cmd: commands.NoShow, now: float, events: Events) -> None:
    c, t = _current(state, cmd.counter)
    _emit(
        state,
        events,
        ev.TicketNoShow(
            at=now,
            ticket=t.id,
            number=t.number,
            service=t.service,
            counter=c.id,
            teller=c.teller,
            requeued=t.no_shows < state.config.no_show_requeues,
        ),
    )


def _finish(state: BranchState, cmd: commands.Finish, now: float, events: Events) -> None:
    c, t = _current(state, cmd.counter)
    _emit(state, events, _finish_event(t, c, now))


def _transfer(state: BranchState, cmd: commands.Transfer, now: float, events: Events) -> None:
    c, t = _current(state, cmd.counter)
    cfg = state.config
    to_service = t.service
    if cmd.to_service is not None:
        if cmd.to_service not in cfg.service:
            raise _Refused(
                "unknown_service", f"There is no service {cmd.to_service!r} to transfer to."
            )
        if cmd.to_service == t.service:
            raise _Refused("same_service", f"Ticket {t.number} is already for {t.service}.")
        to_service = cmd.to_service
    if cmd.to_counter is not None:
        if cmd.to_counter not in cfg.counter:
            raise _Refused(
                "unknown_counter", f"There is no counter {cmd.to_counter!r} to transfer to."
            )
        if cmd.to_counter == c.id:
            raise _Refused("same_counter", f"Ticket {t.number} is already at counter {c.id}.")
    _emit(
        state,
        events,
        ev.TicketTransferred(
            at=now,
            ticket=t.id,
            number=t.number,
            service=t.service,
            counter=c.id,
            teller=c.teller,
            to_service=to_service,
            to_counter=cmd.to_counter,
            front=cfg.transfer == "front",
            service_s=_service_s(t, now),
        ),
    )


def _hold(state: BranchState, cmd: commands.Hold, now: float, events: Events) -> None:
    c, t = _current(state, cmd.counter)
    _emit(
        state,
        events,
        ev.TicketHeld(
            at=now, ticket=t.id, number=t.number, service=t.service, counter=c.id, teller=c.teller
        ),
    )


def _call_back(state: BranchState, cmd: commands.CallBack, now: float, events: Events) -> None:
    c = _working_counter(state, cmd.counter)
    t = _live_ticket(state, cmd.ticket)
    if t.status != HELD or t.counter != c.id:
        raise _Refused("not_held", f"Ticket {t.number} is not on hold at counter {c.id}.")
    _make_room(state, events, c, now)
    _call(state, events, t, c, now, "hold")


def _cancel(state: BranchState, cmd: commands.Cancel, now: float, events: Events) -> None:
    t = _live_ticket(state, cmd.ticket)
    if t.status == CALLED:
        raise _Refused(
            "ticket_at_counter",
            f"Ticket {t.number} is called at counter {t.counter}; use no-show or finish.",
        )
    _emit(
        state, events, ev.TicketCancelled(at=now, ticket=t.id, number=t.number, service=t.service)
    )


def _rate(state: BranchState, cmd: commands.Rate, now: float, events: Events) -> None:
    c = _counter(state, cmd.counter)
    if c.last_finished is None:
        raise _Refused("nothing_to_rate", f"Counter {c.id} has finished no ticket to rate.")
    t = state.tickets[c.last_finished]
    if t.id not in state.pending_ratings:
        if t.rating is not None:
            raise _Refused("already_rated", f"Ticket {t.number} is already rated.")
        raise _Refused("rating_expired", f"The rating time for ticket {t.number} has passed.")
    _emit(
        state,
        events,
        ev.TicketRated(
            at=now,
            ticket=t.id,
            number=t.number,
            service=t.service,
            counter=c.id,
            teller=t.teller,
            value=cmd.value,
            scale=cmd.scale,
            reason=cmd.reason,
        ),
    )


# --- counters ----------------------------------------------------------------


def _login(state: BranchState, cmd: commands.Login, now: float, events: Events) -> None:
    c = _counter(state, cmd.counter)
    if c.teller == cmd.teller:
        raise _Refused("already_logged_in", f"Teller {cmd.teller} is already at counter {c.id}.")
    if c.teller is not None:
        raise _Refused(
            "teller_present", f"Teller {c.teller} is logged in at counter {c.id}; log out first."
        )
    for other in state.counters.values():
        if other.teller == cmd.teller:
            raise _Refused(
                "teller_elsewhere", f"Teller {cmd.teller} is logged in at counter {other.id}."
            )
    _emit(state, events, ev.TellerLoggedIn(at=now, counter=c.id, teller=cmd.teller))


def _free_counter(c: Counter) -> None:
    """A counter that closes must not strand a customer at it."""
    if c.current is not None:
        raise _busy(c)
    if c.held:
        raise _Refused(
            "tickets_on_hold", f"Counter {c.id} has tickets on hold; call them back or cancel."
        )


def _logout(state: BranchState, cmd: commands.Logout, now: float, events: Events) -> None:
    c = _counter(state, cmd.counter)
    if c.teller is None:
        raise _Refused("not_logged_in", f"Nobody is logged in at counter {c.id}.")
    _free_counter(c)
    _emit(state, events, ev.TellerLoggedOut(at=now, counter=c.id, teller=c.teller))


def _open(state: BranchState, cmd: commands.OpenCounter, now: float, events: Events) -> None:
    c = _counter(state, cmd.counter)
    if c.teller is None:
        raise _Refused("not_logged_in", f"Log a teller in at counter {c.id} before opening it.")
    if c.status == OPEN:
        raise _Refused("already_open", f"Counter {c.id} is already open.")
    if c.status == PAUSED:
        raise _Refused("counter_paused", f"Counter {c.id} is paused; resume it instead.")
    _emit(state, events, ev.CounterOpened(at=now, counter=c.id, teller=c.teller))


def _close(state: BranchState, cmd: commands.CloseCounter, now: float, events: Events) -> None:
    c = _counter(state, cmd.counter)
    if c.status == CLOSED:
        raise _Refused("already_closed", f"Counter {c.id} is already closed.")
    _free_counter(c)
    _emit(state, events, ev.CounterClosed(at=now, counter=c.id, teller=c.teller))


def _pause(state: BranchState, cmd: commands.Pause, now: float, events: Events) -> None:
    c = _counter(state, cmd.counter)
    if c.status == CLOSED:
        raise _Refused("counter_closed", f"Counter {c.id} is closed.")
    if c.status == PAUSED:
        raise _Refused("already_paused", f"Counter {c.id} is already paused.")
    if c.current is not None:
        raise _busy(c)
    _emit(state, events, ev.CounterPaused(at=now, counter=c.id, teller=c.teller, reason=cmd.reason))


def _resume(state: BranchState, cmd: commands.Resume, now: float, events: Events) -> None:
    c = _counter(state, cmd.counter)
    if c.status != PAUSED:
        raise _Refused("not_paused", f"Counter {c.id} is not paused.")
    _emit(state, events, ev.CounterResumed(at=now, counter=c.id, teller=c.teller))


# --- branch ------------------------------------------------------------------


def _set_notice(state: BranchState, cmd: commands.SetNotice, now: float, events: Events) -> None:
    _emit(state, events, ev.NoticeSet(at=now, notice=cmd.notice, text=cmd.text))


def _clear_notice(
    state: BranchState, cmd: commands.ClearNotice, now: float, events: Events
) -> None:
    if state.notice is None:
        raise _Refused("no_notice", "There is no notice to clear.")
    _emit(state, events, ev.NoticeCleared(at=now))


def _set_counter_services(
    state: BranchState, cmd: commands.SetCounterServices, now: float, events: Events
) -> None:
    """The floating teller: a counter takes other services from now on (primary first)."""
    c = _counter(state, cmd.counter)
    cfg = state.config
    for code in cmd.services:
        if code not in cfg.service:
            raise _Refused("unknown_service", f"There is no service {code!r} in this branch.")
    if all(cfg.service[code].self_service for code in cmd.services):
        raise _Refused(
            "no_counter_service",
            "Those services are done at the self-service machines; a counter needs one more.",
        )
    if tuple(cmd.services) == state.counter_cfg[c.id].services:
        raise _Refused("same_services", f"Counter {c.id} already takes {', '.join(cmd.services)}.")
    _emit(
        state,
        events,
        ev.CounterServicesChanged(
            at=now, counter=c.id, teller=c.teller, services=tuple(cmd.services)
        ),
    )


def _move_ticket(state: BranchState, cmd: commands.MoveTicket, now: float, events: Events) -> None:
    """A waiting ticket to another queue, keeping its arrival (the customer keeps their turn)."""
    t = _live_ticket(state, cmd.ticket)
    if t.status != WAITING:
        raise _Refused("ticket_not_waiting", f"Ticket {t.number} is {t.status}, not waiting.")
    cfg = state.config
    to_service = t.service
    if cmd.to_service is not None:
        svc = cfg.service.get(cmd.to_service)
        if svc is None:
            raise _Refused("unknown_service", f"There is no service {cmd.to_service!r} to move to.")
        if svc.self_service:
            raise _Refused(
                "self_service", f"Service {svc.code} is done at the self-service machines."
            )
        if svc.code == t.service and t.queue == t.service:
            raise _Refused("same_service", f"Ticket {t.number} already waits for {t.service}.")
        to_service = svc.code
    if cmd.to_counter is not None:
        if cmd.to_counter not in cfg.counter:
            raise _Refused("unknown_counter", f"There is no counter {cmd.to_counter!r} to move to.")
        if t.queue == "@" + cmd.to_counter:
            raise _Refused(
                "same_counter", f"Ticket {t.number} already waits for counter {cmd.to_counter}."
            )
    _emit(
        state,
        events,
        ev.TicketMoved(
            at=now,
            ticket=t.id,
            number=t.number,
            service=t.service,
            to_service=to_service,
            to_counter=cmd.to_counter,
        ),
    )


def _ack_alert(state: BranchState, cmd: commands.AckAlert, now: float, events: Events) -> None:
    """Alerts are the console's; the core only writes down who saw which one and when."""
    _emit(state, events, ev.AlertAcknowledged(at=now, alert=cmd.alert, by=cmd.by, note=cmd.note))


def _tick(state: BranchState, cmd: commands.Tick, now: float, events: Events) -> None:
    """Time passing: rating timeouts, over-wait alerts, open/close advice."""
    tickets = state.tickets
    for tid, deadline in list(state.pending_ratings.items()):
        if deadline <= now:
            _emit(state, events, _unrated(state, tickets[tid], now))
    cfg = state.config
    alerted = state.alerted
    for key, q in state.queues.items():
        svc = cfg.service.get(key)
        # A ticket's queue key is never later than its arrival (arrival, or arrival
        # minus a head start), so in a service queue everything after the first
        # entry keyed past `now - threshold` arrived too recently to alert.
        cutoff = now - svc.over_wait_min * 60.0 if svc is not None else float("inf")
        for entry in q:
            if entry[0] == 1 and entry[1] > cutoff:
                break
            t = tickets[entry[3]]
            if t.id in alerted:
                continue
            threshold = cfg.service[t.service].over_wait_min * 60.0
            waited = now - t.issued_at
            if waited >= threshold:
                _emit(
                    state,
                    events,
                    ev.WaitAlert(
                        at=now,
                        ticket=t.id,
                        number=t.number,
                        service=t.service,
                        waited_s=waited,
                        threshold_s=threshold,
                    ),
                )
    _advise(state, now, events)


def _unrated(state: BranchState, t: Ticket, now: float) -> ev.TicketUnrated:
    return ev.TicketUnrated(
        at=now,
        ticket=t.id,
        number=t.number,
        service=t.service,
        counter=t.counter or "",
        teller=t.teller,
    )


def _advise(state: BranchState, now: float, events: Events) -> None:
    """Open a counter when the next customer would wait past target; close one when idle."""
    cfg = state.config
    target = cfg.target_wait_min * 60.0
    for svc in cfg.services:
        if svc.self_service:
            continue
        code = svc.code
        waiting = len(state.queues[code])
        wait = expected_wait_s(state, code, waiting)
        idle = capacity(state, code)[1]
        action, suggest = "ok", None
        if waiting and (wait is None or wait > target):
            spare = [cc.id for cc, _ in state.serving[code] if cc.status != OPEN]
            if spare:
                action, suggest = "open", spare[0]
        elif waiting == 0 and idle >= 2:
            idle_ids = [
                cc.id for cc, _ in state.serving[code] if cc.status == OPEN and cc.current is None
            ]
            action, suggest = "close", idle_ids[-1]
        if action != state.advice.get(code, "ok"):
            _emit(
                state,
                events,
                ev.CounterAdvice(
                    at=now,
                    service=code,
                    action=action,
                    counter=suggest,
                    expected_wait_s=wait,
                    target_s=target,
                ),
            )


def _rollover(state: BranchState, now: float, events: Events) -> None:
    """A new business day: served tickets finished, unrated, expired, then the day event.

    A ticket still at a counter when the day ends was being served: it is
    finished (at the day's end, not at the first event of the next morning,
    so its service time is the time it was served) rather than expired, and
    its service time reaches the figures.
    """
    day, ends_at = business_day(state.config, now)
    if day == state.day:
        # Only when the rollover time or zone changed since the day began (a
        # restart with a new config): same day, later end. `day_ends_at` is a
        # cache of `business_day`, so setting it needs no event.
        state.day_ends_at = ends_at
        return
    end = min(now, state.day_ends_at)
    for c in state.config.counters:
        counter = state.counters[c.id]
        if counter.current is not None:
            t = state.tickets[counter.current]
            _emit(state, events, _finish_event(t, counter, max(end, t.called_at or end)))
    for tid in list(state.pending_ratings):
        _emit(state, events, _unrated(state, state.tickets[tid], now))
    for t in list(state.tickets.values()):
        if t.status in LIVE_STATUSES:
            _emit(
                state,
                events,
                ev.TicketExpired(at=now, ticket=t.id, number=t.number, service=t.service),
            )
    _emit(state, events, ev.DayRolledOver(at=now, day=day, ends_at=ends_at))


_HANDLERS: dict[type[commands.Command], Callable[[BranchState, Any, float, Events], None]] = {
    commands.IssueTicket: _issue,
    commands.Login: _login,
    commands.Logout: _logout,
    commands.OpenCounter: _open,
    commands.CloseCounter: _close,
    commands.Pause: _pause,
    commands.Resume: _resume,
    commands.CallNext: _call_next,
    commands.CallTicket: _call_ticket,
    commands.Recall: _recall,
    commands.NoShow: _no_show,
    commands.Finish: _finish,
    commands.Transfer: _transfer,
    commands.Hold: _hold,
    commands.CallBack: _call_back,
    commands.Cancel: _cancel,
    commands.Rate: _rate,
    commands.SetNotice: _set_notice,
    commands.ClearNotice: _clear_notice,
    commands.SetCounterServices: _set_counter_services,
    commands.MoveTicket: _move_ticket,
    commands.AckAlert: _ack_alert,
    commands.Tick: _tick,
}


def apply(
    state: BranchState, command: commands.Command, now: float
) -> tuple[BranchState, list[ev.Event]]:
    """Apply `command` at time `now`; returns the (same, mutated) state and its events.

    The given state is consumed. A refusal returns `[ev.CommandRefused]` and
    leaves the state as it was (handlers check everything before their first
    event, except a call on a busy counter, which refuses before finishing).
    """
    events: Events = []
    if now >= state.day_ends_at:
        _rollover(state, now, events)
    try:
        _HANDLERS[type(command)](state, command, now, events)
    except _Refused as r:
        events.append(
            ev.CommandRefused(
                at=now, command_id=command.id, op=command.op, code=r.code, reason=r.reason
            )
        )
    return state, events
