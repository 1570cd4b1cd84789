"""Alerts that reach a person: the rules, in one pure module.

Every open console folds the same bus messages through these rules, so each
alert gets the same id on every console (built from what the message says,
never from the console's own clock), and an acknowledgement logged by the
engine (``alert_acknowledged`` with the manager's name) marks it on all of
them. No I/O and no clock: time comes in as ``now``.

The rules, their alert ids and when each clears are tabled in
``ALERTS.md`` beside this file, with the thresholds (:class:`Thresholds`).

A cleared alert stays in the list (a manager may still want to see it) until
it falls off the end; the same condition coming back after it cleared raises
it afresh under the same id.

"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from lobbyq.core.events import (
    AlertAcknowledged,
    TicketCalled,
    TicketCancelled,
    TicketExpired,
    TicketFinished,
    TicketNoShow,
    TicketRated,
    WaitAlert,
)
from lobbyq.core.views import CounterView, QueueView
from lobbyq.protocol.events import LoggedEvent
from lobbyq.protocol.messages import AlertMsg, StatusMsg

OVER_WAIT = "over_wait"
LOW_RATING = "low_rating"
IDLE_COUNTER = "idle_counter"
GHOST_CALL = "ghost_call"
NO_SHOWS = "no_shows"
DEVICE_OFFLINE = "device_offline"
PAPER_OUT = "paper_out"
ENGINE_LOG = "engine_log"
DEVICE_ALERT = "device_alert"
CODES: tuple[str, ...] = (
    OVER_WAIT,
    LOW_RATING,
    IDLE_COUNTER,
    GHOST_CALL,
    NO_SHOWS,
    DEVICE_OFFLINE,
    PAPER_OUT,
    ENGINE_LOG,
    DEVICE_ALERT,
)
WARNING = "warning"
CRITICAL = "critical"
_SELF_KINDS = frozenset({"console"})  # a console does not alert about consoles


@dataclass(frozen=True, slots=True)
class Thresholds:
    """When a rule fires; the table is in the module docstring."""

    over_wait_s: Mapping[str, float] = field(default_factory=dict)
    default_over_wait_s: float = 1800.0
    low_rating: Mapping[int, int] = field(default_factory=lambda: {5: 2, 3: 1})
    rating_fresh_s: float = 300.0
    idle_wait_s: float = 300.0
    idle_grace_s: float = 60.0
    ghost_call_s: float = 15.0
    no_show_repeat: int = 3
    no_show_window_s: float = 900.0
    keep: int = 100


@dataclass(frozen=True, slots=True)
class Alert:
    """One alert as the list shows it; the subject fields a rule does not use stay None."""

    id: str
    code: str
    level: str
    at: float
    number: str | None = None
    service: str | None = None
    counter: str | None = None
    teller: str | None = None
    device: str | None = None
    value: float | None = None  # waited s, rating, service s, no-show count
    scale: int | None = None
    word: str | None = None  # a device's alert code or health word
    text: str | None = None  # a device's own alert text (technician English)
    cleared_at: float | None = None
    acked_by: str | None = None
    acked_at: float | None = None
    note: str | None = None

    @property
    def open(self) -> bool:
        """Still waiting for a person: not acknowledged."""
        return self.acked_by is None


@dataclass(slots=True)
class _Idle:
    since: float
    alerted: bool = False


def _ticket_day(ticket: str) -> str:
    return ticket.rpartition("-")[0]


class AlertBook:
    """The alerts of one console, newest first; fed by the model under its lock."""

    def __init__(self, thresholds: Thresholds | None = None) -> None:
        self.t = thresholds or Thresholds()
        self._alerts: dict[str, Alert] = {}
        self._order: deque[str] = deque()
        self._engine_threshold: dict[str, float] = {}
        self._no_shows: dict[str, deque[float]] = {}
        self._idle: dict[str, _Idle] = {}
        self._acks: dict[str, AlertAcknowledged] = {}  # heard before the alert (a late joiner)
        self._queue: QueueView | None = None
        self._counters: dict[str, CounterView] = {}
        self.version = 0

    # -- what the list shows ---------------------------------------------------------
    def alerts(self) -> tuple[Alert, ...]:
        return tuple(self._alerts[i] for i in self._order)

    def get(self, alert_id: str) -> Alert | None:
        return self._alerts.get(alert_id)

    def threshold(self, service: str) -> float:
        """The over-wait threshold of a service, in seconds."""
        if service in self.t.over_wait_s:
            return self.t.over_wait_s[service]
        return self._engine_threshold.get(service, self.t.default_over_wait_s)

    # -- raising and clearing ---------------------------------------------------------
    def _raise(self, alert: Alert) -> bool:
        old = self._alerts.get(alert.id)
        if old is not None and old.cleared_at is None:
            return False  # still the same occurrence
        if old is not None:
            self._order.remove(alert.id)
        ack = self._acks.pop(alert.id, None)
        if ack is not None and ack.at >= alert.at:
            alert = replace(alert, acked_by=ack.by, acked_at=ack.at, note=ack.note)
        self._alerts[alert.id] = alert
        self._order.appendleft(alert.id)
        while len(self._order) > self.t.keep:
            del self._alerts[self._order.pop()]
        self.version += 1
        return True

    def _clear(self, alert_id: str, now: float) -> None:
        old = self._alerts.get(alert_id)
        if old is not None and old.cleared_at is None:
            self._alerts[alert_id] = replace(old, cleared_at=now)
            self.version += 1

    def _ack(self, ack: AlertAcknowledged) -> None:
        old = self._alerts.get(ack.alert)
        if old is None:
            self._acks[ack.alert] = ack
            while len(self._acks) > self.t.keep:
                del self._acks[next(iter(self._acks))]
            return
        if old.acked_by is None:
            self._alerts[ack.alert] = replace(old, acked_by=ack.by, acked_at=ack.at, note=ack.note)
            self.version += 1

    # -- the engine's events ---------------------------------------------------------
    def event(self, logged: LoggedEvent, now: float) -> None:
        e = logged.event
        if isinstance(e, WaitAlert):
            self._engine_threshold[e.service] = e.threshold_s
            self._raise(
                Alert(
                    f"wait:{_ticket_day(e.ticket)}:{e.number}",
                    OVER_WAIT,
                    WARNING,
                    e.at,
                    number=e.number,
                    service=e.service,
                    value=e.waited_s,
                )
            )
        elif isinstance(e, TicketRated):
            worst = self.t.low_rating.get(e.scale)
            fresh = now - e.at <= self.t.rating_fresh_s
            if worst is not None and e.value <= worst and fresh:
                self._raise(
                    Alert(
                        f"rating:{e.ticket}",
                        LOW_RATING,
                        CRITICAL,
                        e.at,
                        number=e.number,
                        service=e.service,
                        counter=e.counter,
                        teller=e.teller,
                        value=float(e.value),
                        scale=e.scale,
                    )
                )
        elif isinstance(e, TicketFinished):
            if e.service_s < self.t.ghost_call_s:
                self._raise(
                    Alert(
                        f"ghost:{e.ticket}",
                        GHOST_CALL,
                        WARNING,
                        e.at,
                        number=e.number,
                        service=e.service,
                        counter=e.counter,
                        teller=e.teller,
                        value=e.service_s,
                    )
                )
        elif isinstance(e, TicketNoShow):
            self._no_show(e, logged.seq)
        elif isinstance(e, AlertAcknowledged):
            self._ack(e)
        # A ticket that leaves the queue ends its wait (a move keeps it waiting).
        if isinstance(e, TicketCancelled | TicketExpired | TicketCalled) and not (
            isinstance(e, TicketCalled) and e.recall
        ):
            self._clear(f"wait:{_ticket_day(e.ticket)}:{e.number}", e.at)

    def _no_show(self, e: TicketNoShow, seq: int) -> None:
        times = self._no_shows.setdefault(e.counter, deque())
        times.append(e.at)
        while times and times[0] < e.at - self.t.no_show_window_s:
            times.popleft()
        if len(times) >= self.t.no_show_repeat:
            count = len(times)
            times.clear()
            self._raise(
                Alert(
                    f"noshows:{e.counter}:{seq}",
                    NO_SHOWS,
                    WARNING,
                    e.at,
                    counter=e.counter,
                    teller=e.teller,
                    value=float(count),
                )
            )

    # -- retained views and time passing -----------------------------------------------
    def views(self, queue: QueueView | None, counters: Iterable[CounterView], now: float) -> None:
        """The latest queue and counter views, then the rules that read them."""
        self._queue = queue
        self._counters = {c.counter: c for c in counters}
        self.evaluate(now)

    def evaluate(self, now: float) -> None:
        """The rules that depend on how long something has lasted (called on a timer too)."""
        q = self._queue
        waited: dict[str, float] = {}  # per service, the longest wait now
        if q is not None:
            age = max(0.0, now - q.at)
            for code, svc in q.services.items():
                limit = self.threshold(code)
                for t in svc.tickets:
                    w = t.waited_s + age
                    waited[code] = max(waited.get(code, 0.0), w)
                    if w >= limit and q.day is not None:
                        self._raise(
                            Alert(
                                f"wait:{q.day}:{t.number}",
                                OVER_WAIT,
                                WARNING,
                                now,
                                number=t.number,
                                service=code,
                                value=w,
                            )
                        )
                live = {t.number for t in svc.tickets}
                for a in self._alerts.values():
                    if (
                        a.code == OVER_WAIT
                        and a.service == code
                        and a.cleared_at is None
                        and a.number not in live
                        and a.id.startswith(f"wait:{q.day}:")
                    ):
                        self._clear(a.id, now)
        for cid, c in self._counters.items():
            idle = c.status == "open" and c.teller is not None and c.current is None
            if not idle:
                gone = self._idle.pop(cid, None)
                if gone is not None:
                    self._clear(f"idle:{cid}:{int(gone.since)}", now)
                continue
            track = self._idle.setdefault(cid, _Idle(now))
            longest = max((waited.get(s, 0.0) for s in c.services), default=0.0)
            if (
                not track.alerted
                and now - track.since >= self.t.idle_grace_s
                and longest >= self.t.idle_wait_s
            ):
                track.alerted = True
                self._raise(
                    Alert(
                        f"idle:{cid}:{int(track.since)}",
                        IDLE_COUNTER,
                        WARNING,
                        now,
                        counter=cid,
                        teller=c.teller,
                        value=longest,
                    )
                )
        for cid in set(self._idle) - set(self._counters):
            gone = self._idle.pop(cid)
            self._clear(f"idle:{cid}:{int(gone.since)}", now)

    # -- devices ---------------------------------------------------------------------
    def status(self, msg: StatusMsg, now: float) -> None:
        if msg.kind in _SELF_KINDS:
            return
        prefix = f"offline:{msg.device}:"
        if not msg.online:
            self._raise(
                Alert(
                    f"{prefix}{int(msg.at)}",
                    DEVICE_OFFLINE,
                    CRITICAL,
                    msg.at if msg.at > 0 else now,
                    device=msg.device,
                    word=msg.kind,
                )
            )
        else:
            for a in list(self._alerts.values()):
                if a.id.startswith(prefix):
                    self._clear(a.id, now)
        paper = f"paper:{msg.device}"
        if msg.online and any(w == PAPER_OUT for w in msg.health.values()):
            self._raise(Alert(paper, PAPER_OUT, CRITICAL, now, device=msg.device, word=PAPER_OUT))
        elif msg.online:
            self._clear(paper, now)
        if msg.kind == "engine" and msg.online:
            for part, word in msg.health.items():
                aid = f"engine:{part}:{word}"
                if word != "ok":
                    self._raise(Alert(aid, ENGINE_LOG, CRITICAL, now, device=msg.device, word=word))
            for a in list(self._alerts.values()):
                if a.code == ENGINE_LOG and a.cleared_at is None:
                    _, part, word = a.id.split(":", 2)
                    if msg.health.get(part, "ok") != word:
                        self._clear(a.id, now)

    def device_alert(self, msg: AlertMsg) -> None:
        if msg.code == PAPER_OUT:
            self._raise(
                Alert(
                    f"paper:{msg.device}",
                    PAPER_OUT,
                    CRITICAL,
                    msg.at,
                    device=msg.device,
                    word=msg.code,
                    text=msg.text,
                )
            )
        elif msg.level == CRITICAL:
            self._raise(
                Alert(
                    f"device:{msg.device}:{msg.code}:{int(msg.at)}",
                    DEVICE_ALERT,
                    CRITICAL,
                    msg.at,
                    device=msg.device,
                    word=msg.code,
                    text=msg.text,
                )
            )
