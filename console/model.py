"""The console's picture of the branch, folded from what the bus says.

This is the one module that reads wire payloads (the retained ``state/``
views, ``evt/`` events, ``dev/<d>/status`` and ``dev/<d>/alert``; shapes in
``lobbyq/protocol/PROTOCOL.md`` and ``lobbyq/core/PROTOCOL.md``), so moving
to typed views later changes this file alone. Everything it hands out is a
frozen row of plain values: the pages never see a raw dict.

It keeps nothing that matters: a restart re-reads the retained topics. A
payload that does not decode, or a view of the wrong shape, leaves the last
good value in place and is listed as a problem with its reason, so one bad
message never blanks the page or stops the server. Customer identity (the
hash and masked number some events carry) is never copied in.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from lobbyq.protocol.messages import AlertMsg, EventMsg, ProtocolError, StateMsg, StatusMsg
from lobbyq.protocol.topics import TopicError, Topics

ENGINE = "engine"


class ViewError(ValueError):
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
    alerts: tuple[AlertRow, ...] = ()
    problems: tuple[Problem, ...] = ()

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


# -- decoding the views (the only place that knows their shapes) --------------


def _num(value: Any, what: str, *, optional: bool = False) -> float | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ViewError(f"{what} must be a number")
    return float(value)


def _count(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ViewError(f"{what} must be a non-negative integer")
    return value


def _text(value: Any, what: str, *, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise ViewError(f"{what} must be a string")
    return value


def _obj(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ViewError(f"{what} must be an object")
    return value


def _list(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise ViewError(f"{what} must be a list")
    return value


def decode_queue(body: Mapping[str, Any]) -> tuple[QueueRow, ...]:
    """``queue_view``: per service, who waits and the expected wait for a ticket taken now."""
    at = _num(body.get("at"), "queue.at")
    services = _obj(body.get("services"), "queue.services")
    rows = []
    for code, raw in services.items():
        svc = _obj(raw, f"service {code}")
        names = _obj(svc.get("name", {}), f"service {code}.name")
        tickets = _list(svc.get("tickets", []), f"service {code}.tickets")
        waited: list[float] = []
        numbers: list[str] = []
        classes: dict[str, int] = {}
        for i, t in enumerate(tickets):
            t = _obj(t, f"service {code}.tickets[{i}]")
            numbers.append(str(_text(t.get("number"), f"service {code} ticket number")))
            waited.append(_num(t.get("waited_s"), f"service {code} ticket waited_s") or 0.0)
            klass = str(t.get("class") or "normal")
            classes[klass] = classes.get(klass, 0) + 1
        rows.append(
            QueueRow(
                code=str(code),
                names={str(k): str(v) for k, v in names.items()},
                waiting=_count(svc.get("waiting"), f"service {code}.waiting"),
                open_counters=_num(svc.get("open_counters", 0), f"service {code}.open_counters")
                or 0.0,
                expected_wait_s=_num(
                    svc.get("expected_wait_s"), f"service {code}.expected_wait_s", optional=True
                ),
                longest_since=(at - max(waited)) if waited and at is not None else None,
                numbers=tuple(numbers),
                classes=classes,
            )
        )
    return tuple(rows)


def decode_counter(body: Mapping[str, Any]) -> CounterRow:
    """``counter_view``: status with pause reason, teller, current ticket and when it was called."""
    status = _text(body.get("status"), "counter.status")
    if status not in ("open", "paused", "closed"):
        raise ViewError(f"counter.status must be open, paused or closed, got {status!r}")
    current = body.get("current")
    cur = _obj(current, "counter.current") if current is not None else None
    services = _list(body.get("services", []), "counter.services")
    held = _list(body.get("held", []), "counter.held")
    return CounterRow(
        counter=str(_text(body.get("counter"), "counter.counter")),
        status=status,
        reason=_text(body.get("reason"), "counter.reason", optional=True),
        teller=_text(body.get("teller"), "counter.teller", optional=True),
        services=tuple(str(s) for s in services),
        current=_text(cur.get("number"), "counter.current.number") if cur else None,
        current_service=_text(cur.get("service"), "counter.current.service") if cur else None,
        called_at=_num(cur.get("called_at"), "counter.current.called_at", optional=True)
        if cur
        else None,
        held=tuple(str(_obj(h, "counter.held[]").get("number", "?")) for h in held),
    )


def decode_calls(body: Mapping[str, Any]) -> tuple[CallRow, ...]:
    """``{"calls": recent_calls}``, newest first."""
    rows = []
    for i, c in enumerate(_list(body.get("calls"), "calls")):
        c = _obj(c, f"calls[{i}]")
        rows.append(
            CallRow(
                number=str(_text(c.get("number"), "call.number")),
                counter=str(_text(c.get("counter"), "call.counter")),
                service=str(_text(c.get("service"), "call.service")),
                at=_num(c.get("at"), "call.at") or 0.0,
            )
        )
    return tuple(rows)


def decode_notice(body: Mapping[str, Any]) -> NoticeRow | None:
    """``notice_view`` or ``{}`` (no notice)."""
    if not body:
        return None
    return NoticeRow(
        notice=str(_text(body.get("notice"), "notice.notice")),
        text=_text(body.get("text"), "notice.text", optional=True),
        since=_num(body.get("since"), "notice.since", optional=True),
    )


_DETAIL_FIELDS: Mapping[str, str] = {
    "counter_paused": "reason",
    "notice_set": "notice",
    "command_refused": "code",
    "counter_advice": "action",
    "ticket_rated": "value",
}


def decode_activity(msg: EventMsg) -> ActivityRow:
    """An event reduced to whitelisted fields: identity never gets past this line."""
    body = msg.body

    def word(key: str) -> str | None:
        value = body.get(key)
        return str(value) if isinstance(value, str | int) and not isinstance(value, bool) else None

    detail_key = _DETAIL_FIELDS.get(msg.kind)
    return ActivityRow(
        seq=msg.seq,
        kind=msg.kind,
        at=msg.at,
        number=word("number"),
        service=word("service"),
        counter=word("counter"),
        detail=word(detail_key) if detail_key else None,
    )


def _counter_key(row: CounterRow) -> tuple[int, str]:
    return (int(row.counter), "") if row.counter.isdigit() else (1 << 30, row.counter)


@dataclass
class _Held:
    """The mutable fold behind the snapshots (guarded by the model's lock)."""

    services: tuple[QueueRow, ...] = ()
    counters: dict[str, CounterRow] = field(default_factory=dict)
    calls: tuple[CallRow, ...] = ()
    notice: NoticeRow | None = None
    devices: dict[str, DeviceRow] = field(default_factory=dict)
    problems: dict[str, Problem] = field(default_factory=dict)


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
    ) -> None:
        self.topics = topics
        self._clock = clock
        self._log = logger or logging.getLogger("lobbyq.console.model")
        self._lock = threading.Lock()
        self._held = _Held()
        self._activity: deque[ActivityRow] = deque(maxlen=activity_len)
        self._alerts: deque[AlertRow] = deque(maxlen=alerts_len)
        self._version = 0
        self._link_up = False
        self._link_since = clock()
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
            body = StateMsg.decode(payload).body if payload else None
            what = levels[1:]
            if what == ("queue",):
                held.services = decode_queue(body) if body is not None else ()
            elif what == ("calls",):
                held.calls = decode_calls(body) if body is not None else ()
            elif what == ("notice",):
                held.notice = decode_notice(body) if body is not None else None
            elif len(what) == 2 and what[0] == "counter":
                if body is None:
                    held.counters.pop(what[1], None)
                else:
                    held.counters[what[1]] = decode_counter(body)
            else:
                raise ViewError(f"unknown state topic {'/'.join(levels)}")
        elif head == "evt":
            self._activity.appendleft(decode_activity(EventMsg.decode(payload)))
        elif head == "dev" and len(levels) == 3 and levels[2] == "status":
            if not payload:
                held.devices.pop(levels[1], None)
                return
            self._fold_status(StatusMsg.decode(payload), now)
        elif head == "dev" and len(levels) == 3 and levels[2] == "alert":
            self._fold_alert(AlertMsg.decode(payload))
        # Other topics (commands, replies) are not the console's to read.

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

    def _fold_alert(self, msg: AlertMsg) -> None:
        alert = AlertRow(msg.device, msg.code, msg.level, msg.text, msg.at)
        self._alerts.appendleft(alert)
        devices = self._held.devices
        before = devices.get(msg.device)
        if before is not None:
            devices[msg.device] = replace(before, last_alert=alert)

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
