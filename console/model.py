"""The console's picture of the branch, folded from what the bus says.

This is the one module that reads the bus (the retained ``state/`` views,
``evt/`` events, ``dev/<d>/status`` and ``dev/<d>/alert``). It decodes each
payload once with the protocol's typed decoders (``lobbyq.protocol.views``,
``lobbyq.protocol.events.LoggedEvent``; tables in
``lobbyq/protocol/PROTOCOL.md``), then turns the typed views into the frozen
rows the pages show: the pages never see a raw dict. An event kind this
version does not know (a newer engine) is shown by its kind alone. Alerts for
a person are ``console.alerts``'s rules, fed from here.

It keeps nothing that matters: a restart re-reads the retained topics. A
payload that does not decode, or a view of the wrong shape, leaves the last
good value in place and is listed as a problem with its reason, so one bad
message never blanks the page or stops the server. Customer identity (the
hash and masked number some events carry) is never copied in.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from itertools import pairwise

from console.alerts import Alert, AlertBook, Thresholds
from console.errors import ConsoleError
from lobbyq.core.events import CounterAdvice, TicketFinished, TicketIssued
from lobbyq.core.views import CallsView, CounterView, NoticeView, QueueView
from lobbyq.protocol.events import LoggedEvent, known_kind
from lobbyq.protocol.messages import AlertMsg, EventMsg, ProtocolError, StatusMsg
from lobbyq.protocol.topics import TopicError, Topics
from lobbyq.protocol.views import decode_calls, decode_counter, decode_notice, decode_queue

ENGINE = "engine"


class ViewError(ConsoleError):
    """A retained view or event whose shape the console cannot read; the text says why."""


@dataclass(frozen=True, slots=True)
class QueueRow:
    """One service queue as a manager reads it."""

    code: str
    names: Mapping[str, str]
    waiting: int
    open_counters: float  # weighted: a counter that takes the service second counts less
    expected_wait_s: float | None
    longest_since: float | None
    numbers: tuple[str, ...]
    classes: Mapping[str, int]

    def name(self, lang: str) -> str:
        return self.names.get(lang) or self.names.get("en") or self.code


@dataclass(frozen=True, slots=True)
class CounterRow:
    """One counter: who, which state, what it serves now and since when."""

    counter: str
    status: str
    reason: str | None
    teller: str | None
    services: tuple[str, ...]
    current: str | None
    current_service: str | None
    called_at: float | None
    held: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CallRow:
    number: str
    counter: str
    service: str
    at: float


@dataclass(frozen=True, slots=True)
class NoticeRow:
    notice: str
    text: str | None
    since: float | None


@dataclass(frozen=True, slots=True)
class AlertRow:
    device: str
    code: str
    level: str
    text: str
    at: float


@dataclass(frozen=True, slots=True)
class DeviceRow:
    """A device's presence; ``since_known`` is false when only a last will told us."""

    device: str
    kind: str
    online: bool
    since: float
    since_known: bool
    version: str
    health: Mapping[str, str]
    last_alert: AlertRow | None = None


@dataclass(frozen=True, slots=True)
class ActivityRow:
    """One engine event, reduced to the words a manager needs (never identity)."""

    seq: int
    kind: str
    at: float
    number: str | None
    service: str | None
    counter: str | None
    detail: str | None


@dataclass(frozen=True, slots=True)
class Problem:
    topic: str
    reason: str
    at: float


@dataclass(frozen=True, slots=True)
class Blocked:
    """Why actions are off now: ``broker_offline``, ``engine_unknown`` or ``engine_offline``."""

    code: str
    since: float | None
    since_known: bool = True


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything a page shows, copied at one instant."""

    version: int
    at: float
    link_up: bool
    link_since: float
    services: tuple[QueueRow, ...] = ()
    counters: tuple[CounterRow, ...] = ()
    calls: tuple[CallRow, ...] = ()
    notice: NoticeRow | None = None
    devices: tuple[DeviceRow, ...] = ()
    activity: tuple[ActivityRow, ...] = ()
    alerts: tuple[AlertRow, ...] = ()  # what devices said (the device board's last lines)
    problems: tuple[Problem, ...] = ()
    raised: tuple[Alert, ...] = ()  # the alerts for a person (console.alerts), newest first
    throughput: Throughput | None = None
    thresholds: Thresholds = field(default_factory=Thresholds)

    @property
    def open_alerts(self) -> int:
        """Alerts nobody has acknowledged yet."""
        return sum(1 for a in self.raised if a.open)

    @property
    def engine(self) -> DeviceRow | None:
        return next((d for d in self.devices if d.device == ENGINE), None)

    @property
    def blocked(self) -> Blocked | None:
        """Actions need the broker and an engine that says it is online."""
        if not self.link_up:
            return Blocked("broker_offline", self.link_since)
        engine = self.engine
        if engine is None:
            return Blocked("engine_unknown", None)
        if not engine.online:
            return Blocked("engine_offline", engine.since, engine.since_known)
        return None

    def service_name(self, code: str, lang: str) -> str:
        row = next((s for s in self.services if s.code == code), None)
        return row.name(lang) if row is not None else code


# -- typed views into rows (the decoding itself is ``lobbyq.protocol.views``) -------


def queue_rows(view: QueueView) -> tuple[QueueRow, ...]:
    """``state/queue``: per service, who waits and the expected wait for a ticket taken now."""
    rows = []
    for code, svc in view.services.items():
        classes: dict[str, int] = {}
        for t in svc.tickets:
            classes[t.customer_class] = classes.get(t.customer_class, 0) + 1
        longest = max((t.waited_s for t in svc.tickets), default=None)
        rows.append(
            QueueRow(
                code=code,
                names=dict(svc.name),
                waiting=svc.waiting,
                open_counters=svc.open_counters,
                expected_wait_s=svc.expected_wait_s,
                longest_since=(view.at - longest) if longest is not None else None,
                numbers=tuple(t.number for t in svc.tickets),
                classes=classes,
            )
        )
    return tuple(rows)


_STATUSES = ("open", "paused", "closed")


def counter_row(view: CounterView) -> CounterRow:
    """``state/counter/<id>``: status with pause reason, teller, current ticket and since when."""
    if view.status not in _STATUSES:
        raise ViewError(f"counter.status must be open, paused or closed, got {view.status!r}")
    cur = view.current
    return CounterRow(
        counter=view.counter,
        status=view.status,
        reason=view.reason,
        teller=view.teller,
        services=tuple(view.services),
        current=cur.number if cur else None,
        current_service=cur.service if cur else None,
        called_at=cur.called_at if cur else None,
        held=tuple(h.number for h in view.held),
    )


def call_rows(view: CallsView) -> tuple[CallRow, ...]:
    """``state/calls``, newest first."""
    return tuple(CallRow(c.number, c.counter, c.service, c.at) for c in view.calls)


def notice_row(view: NoticeView | None) -> NoticeRow | None:
    """``state/notice`` (None: no notice)."""
    return None if view is None else NoticeRow(view.notice, view.text, view.since)


_DETAIL_FIELDS: Mapping[str, str] = {
    "counter_paused": "reason",
    "notice_set": "notice",
    "command_refused": "code",
    "counter_advice": "action",
    "ticket_rated": "value",
    "ticket_moved": "to_service",
    "alert_acknowledged": "by",
}


def _word(value: object) -> str | None:
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) else None


def activity_row(logged: LoggedEvent) -> ActivityRow:
    """An event reduced to whitelisted fields: identity never gets past this line."""
    e = logged.event
    detail_key = _DETAIL_FIELDS.get(logged.kind)
    return ActivityRow(
        seq=logged.seq,
        kind=logged.kind,
        at=logged.at,
        number=_word(getattr(e, "number", None)),
        service=_word(getattr(e, "service", None)),
        counter=_word(getattr(e, "counter", None)),
        detail=_word(getattr(e, detail_key, None)) if detail_key else None,
    )


def unknown_activity(msg: EventMsg) -> ActivityRow:
    """An event this version does not know (a newer engine): its kind and time, nothing else."""
    return ActivityRow(msg.seq, msg.kind, msg.at, None, None, None, None)


def _counter_key(row: CounterRow) -> tuple[int, str]:
    return (int(row.counter), "") if row.counter.isdigit() else (1 << 30, row.counter)


@dataclass(frozen=True, slots=True)
class Throughput:
    """What the staffing advisor needs that no retained view says, folded from events.

    ``arrivals`` are (time, service) of the tickets issued in the window;
    ``mean_service_s`` the moving average of finished service times per
    service (the engine's own rule, ``m <- m + 0.2 (x - m)``), seeded by the
    first finish the console hears; ``since`` is when the console started
    listening, so a console up for less than the window says so.
    """

    since: float
    arrivals: tuple[tuple[float, str], ...] = ()
    mean_service_s: Mapping[str, float] = field(default_factory=dict)
    target_wait_s: float | None = None  # the engine's, from its counter advice
    view_service_s: Mapping[str, float] = field(default_factory=dict)  # see implied_service_s


@dataclass
class _Held:
    """The mutable fold behind the snapshots (guarded by the model's lock)."""

    queue: QueueView | None = None
    services: tuple[QueueRow, ...] = ()
    counter_views: dict[str, CounterView] = field(default_factory=dict)
    counters: dict[str, CounterRow] = field(default_factory=dict)
    calls: tuple[CallRow, ...] = ()
    notice: NoticeRow | None = None
    devices: dict[str, DeviceRow] = field(default_factory=dict)
    problems: dict[str, Problem] = field(default_factory=dict)
    arrivals: deque[tuple[float, str]] = field(default_factory=deque)
    mean_service_s: dict[str, float] = field(default_factory=dict)
    target_wait_s: float | None = None
    view_service_s: dict[str, float] = field(default_factory=dict)


def implied_service_s(view: QueueView) -> dict[str, float]:
    """Per service, the mean service time the engine's queue view implies.

    The engine's estimate gives the k-th waiting ticket ``(k - idle + 0.5) m / c``
    (``lobbyq/core/estimate.py``), so two consecutive tickets that both wait
    differ by ``m / c``: ``m`` is that step times the weighted counters ``c``.
    """
    out: dict[str, float] = {}
    for code, svc in view.services.items():
        c = svc.open_counters
        waits = [t.expected_wait_s for t in svc.tickets[:8]]
        for a, b in pairwise(waits):
            if a is not None and b is not None and b > a > 0.0 and c > 0.0:
                out[code] = round((b - a) * c, 1)
                break
    return out


EWMA_ALPHA = 0.2  # as the engine's estimate (lobbyq/core/estimate.py)
WINDOW_S = 1800.0  # the staffing advisor's arrival window


class BranchModel:
    """Folds bus messages into a snapshot; safe to feed from the MQTT thread."""

    def __init__(
        self,
        topics: Topics,
        *,
        clock: Callable[[], float] = time.time,
        logger: logging.Logger | None = None,
        activity_len: int = 30,
        alerts_len: int = 30,
        thresholds: Thresholds | None = None,
        window_s: float = WINDOW_S,
    ) -> None:
        self.topics = topics
        self._clock = clock
        self._log = logger or logging.getLogger("lobbyq.console.model")
        self._lock = threading.Lock()
        self._held = _Held()
        self._activity: deque[ActivityRow] = deque(maxlen=activity_len)
        self._alerts: deque[AlertRow] = deque(maxlen=alerts_len)
        self._book = AlertBook(thresholds)
        self._window_s = window_s
        self._version = 0
        self._link_up = False
        self._started = clock()
        self._link_since = self._started
        self._listeners: list[Callable[[], None]] = []

    def listen(self, listener: Callable[[], None]) -> None:
        """Be called (on the feeding thread) after every change."""
        self._listeners.append(listener)

    def set_link(self, up: bool) -> None:
        """The console's own broker link came up or went down."""
        with self._lock:
            if up == self._link_up:
                return
            self._link_up = up
            self._link_since = self._clock()
            self._version += 1
        self._changed()

    def tick(self) -> None:
        """Time passing: the rules that depend on how long something lasted (an idle counter)."""
        now = self._clock()
        with self._lock:
            before = self._book.version
            self._book.evaluate(now)
            self._prune(now)
            changed = self._book.version != before
            if changed:
                self._version += 1
        if changed:
            self._changed()

    def alert(self, alert_id: str) -> Alert | None:
        with self._lock:
            return self._book.get(alert_id)

    def ingest(self, topic: str, payload: bytes) -> None:
        """Fold one message in; a bad one becomes a listed problem, never an exception."""
        now = self._clock()
        try:
            levels = self.topics.parse(topic)
        except TopicError as exc:
            self._log.warning("ignored %s", exc)
            return
        try:
            with self._lock:
                self._fold(levels, payload, now)
                self._held.problems.pop(topic, None)
                self._version += 1
        except (ProtocolError, ViewError) as exc:
            self._log.warning("unreadable message on %s: %s", topic, exc)
            with self._lock:
                self._held.problems[topic] = Problem(topic, str(exc), now)
                self._version += 1
        self._changed()

    def _fold(self, levels: tuple[str, ...], payload: bytes, now: float) -> None:
        held = self._held
        head = levels[0]
        if head == "state":
            self._fold_state(levels[1:], payload, now)
        elif head == "evt":
            self._fold_event(payload, now)
        elif head == "dev" and len(levels) == 3 and levels[2] == "status":
            if not payload:
                held.devices.pop(levels[1], None)
                return
            self._fold_status(StatusMsg.decode(payload), now)
        elif head == "dev" and len(levels) == 3 and levels[2] == "alert":
            self._fold_alert(AlertMsg.decode(payload))
        # Other topics (commands, replies) are not the console's to read.

    def _fold_state(self, what: tuple[str, ...], payload: bytes, now: float) -> None:
        """A retained view, decoded by its type; an empty payload clears it."""
        held = self._held
        if what == ("queue",):
            held.queue = decode_queue(payload).view if payload else None
            held.services = queue_rows(held.queue) if held.queue is not None else ()
            if held.queue is not None:
                held.view_service_s.update(implied_service_s(held.queue))
        elif what == ("calls",):
            held.calls = call_rows(decode_calls(payload).view) if payload else ()
        elif what == ("notice",):
            held.notice = notice_row(decode_notice(payload).view) if payload else None
        elif len(what) == 2 and what[0] == "counter":
            if not payload:
                held.counters.pop(what[1], None)
                held.counter_views.pop(what[1], None)
            else:
                view = decode_counter(payload).view
                if view.counter != what[1]:
                    raise ViewError(f"counter view names {view.counter!r}, not {what[1]!r}")
                held.counters[what[1]] = counter_row(view)
                held.counter_views[what[1]] = view
        else:
            raise ViewError(f"unknown state topic state/{'/'.join(what)}")
        self._book.views(held.queue, held.counter_views.values(), now)

    def _fold_event(self, payload: bytes, now: float) -> None:
        msg = EventMsg.decode(payload)
        if not known_kind(msg.kind):
            # A newer engine's event: shown by its kind, never a problem.
            self._activity.appendleft(unknown_activity(msg))
            return
        logged = LoggedEvent.decode(payload)
        self._activity.appendleft(activity_row(logged))
        self._book.event(logged, now)
        held = self._held
        e = logged.event
        if isinstance(e, TicketIssued):
            held.arrivals.append((e.at, e.service))
        elif isinstance(e, TicketFinished):
            old = held.mean_service_s.get(e.service)
            held.mean_service_s[e.service] = (
                e.service_s if old is None else old + EWMA_ALPHA * (e.service_s - old)
            )
        elif isinstance(e, CounterAdvice):
            held.target_wait_s = e.target_s
        self._prune(now)

    def _prune(self, now: float) -> None:
        arrivals = self._held.arrivals
        while arrivals and arrivals[0][0] < now - self._window_s:
            arrivals.popleft()

    def _fold_status(self, msg: StatusMsg, now: float) -> None:
        devices = self._held.devices
        before = devices.get(msg.device)
        # A last will is stamped 0 by its sender: then only the moment we heard it is known.
        known = msg.at > 0
        since = msg.at if known else now
        if before is not None and before.online == msg.online:
            since, known = before.since, before.since_known
        devices[msg.device] = DeviceRow(
            device=msg.device,
            kind=msg.kind,
            online=msg.online,
            since=since,
            since_known=known,
            version=msg.version,
            health=dict(msg.health),
            last_alert=before.last_alert if before is not None else None,
        )
        self._book.status(msg, now)

    def _fold_alert(self, msg: AlertMsg) -> None:
        alert = AlertRow(msg.device, msg.code, msg.level, msg.text, msg.at)
        self._alerts.appendleft(alert)
        devices = self._held.devices
        before = devices.get(msg.device)
        if before is not None:
            devices[msg.device] = replace(before, last_alert=alert)
        self._book.device_alert(msg)

    def snapshot(self) -> Snapshot:
        """A consistent copy of everything, for one page or one live update."""
        with self._lock:
            held = self._held
            return Snapshot(
                version=self._version,
                at=self._clock(),
                link_up=self._link_up,
                link_since=self._link_since,
                services=held.services,
                counters=tuple(sorted(held.counters.values(), key=_counter_key)),
                calls=held.calls,
                notice=held.notice,
                devices=tuple(sorted(held.devices.values(), key=lambda d: (d.kind, d.device))),
                activity=tuple(self._activity),
                alerts=tuple(self._alerts),
                problems=tuple(held.problems.values()),
                raised=self._book.alerts(),
                throughput=Throughput(
                    since=self._started,
                    arrivals=tuple(held.arrivals),
                    mean_service_s=dict(held.mean_service_s),
                    target_wait_s=held.target_wait_s,
                    view_service_s=dict(held.view_service_s),
                ),
                thresholds=self._book.t,
            )

    @property
    def version(self) -> int:
        with self._lock:
            return self._version

    def _changed(self) -> None:
        for listener in list(self._listeners):
            try:
                listener()
            except Exception:
                self._log.exception("a console listener failed")
