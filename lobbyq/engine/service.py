"""The engine service: the queue core behind MQTT, with a durable event log.

One worker thread owns the state. The MQTT thread only queues raw messages,
so a slow disk never blocks the network loop. The worker takes a batch of
commands (group commit), applies each to the pure core, writes all their
events and replies in one fsync'd transaction, and only then publishes the
replies, the events and the changed retained state. A crash before the commit
loses only commands nobody was told about; their senders resend the same id.

Messages that fail validation are logged with the reason, answered with a
refusal when they carry a usable id, and change nothing.

The engine is the only writer of ``state/#`` and of its own
``dev/engine/status``, and the broker's retained copies are only a cache of
the log: a broker restarted from an old file, a wiped one, or a client that
spoofs a retained message would otherwise show displays and kiosks a wrong
branch until the next change. So after every (re)connect the engine
republishes every view and its birth, and it subscribes to those topics
itself: a copy that differs from what it last sent, and is not the echo of
one of its own recent publishes, is corrected at once (a copy on a
``state/`` topic the engine does not own is cleared).
"""

from __future__ import annotations

import hashlib
import json
import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from drivers.mqtt.bus import Bus
from lobbyq import core
from lobbyq.core import BranchConfig, BranchState
from lobbyq.core.roles import CONVENTIONAL_NAMES, RoleBook, judge, needs_issuer
from lobbyq.engine.limits import Limiter, Rate, Verdict
from lobbyq.engine.repeats import RepeatedWarnings
from lobbyq.engine.store import EventStore, Record, StoreError
from lobbyq.protocol.events import LoggedEvent, Reply
from lobbyq.protocol.messages import (
    AlertMsg,
    CommandMsg,
    ProtocolError,
    StatusMsg,
    dump,
    parse_object,
    salvage_id,
    valid_id,
)
from lobbyq.protocol.topics import TopicError, Topics
from lobbyq.protocol.views import CallsView, CounterView, NoticeView, QueueView, Retained, View
from lobbyq.runtime.version import VERSION


@dataclass(frozen=True, slots=True)
class _Applied:
    """One record for the log and the typed events it holds, to publish once it is appended."""

    record: Record
    events: Sequence[core.Event]
    refusal: core.CommandRefused | None = None


@dataclass(frozen=True, slots=True)
class _Seen:
    """A copy of one of the engine's own retained topics, as the broker delivered it."""

    topic: str
    payload: bytes


class _Reconnected:
    """The broker link came (back) up: every retained copy may be gone or old."""


_RECONNECTED = _Reconnected()
_Item = tuple[str, bytes] | _Seen | _Reconnected | None
FLOOD_REPORT_S = 10.0  # how often the dropped commands of a flood are summed up in the log
# Own publishes not yet seen back, per topic (QoS 1 keeps them in order).
_ECHOES_KEPT = 64


def _digest(payload: bytes) -> bytes:
    return hashlib.blake2b(payload, digest_size=16).digest()


def command_fingerprint(msg: CommandMsg) -> str:
    """A digest of a command's op and fields: a resend has the same, a reused id another."""
    body = {k: v for k, v in msg.body.items() if k != "id"}
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.blake2b(canonical.encode("utf-8"), digest_size=16).hexdigest()


@dataclass(frozen=True, slots=True)
class EngineOptions:
    """Tuning knobs; the defaults suit a branch on a Raspberry Pi."""

    batch_max: int = 128
    tick_interval_s: float = 2.0
    snapshot_every: int = 5000
    recent_calls: int = 8
    # The queue view lists every waiting ticket; at peak it is the largest
    # message the engine sends, so it is coalesced to a few per second.
    # Calls, counters and the notice go out at once.
    queue_interval_s: float = 0.25
    # A gap this large between the system clock and the engine's steady time
    # is a clock step (NTP at boot, a technician, a failing RTC), not drift.
    clock_step_s: float = 2.0


class Engine:
    """Runs one branch's queue: MQTT commands in, durable events and state out."""

    def __init__(
        self,
        config: BranchConfig,
        store: EventStore,
        bus: Bus,
        *,
        options: EngineOptions | None = None,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        logger: logging.Logger | None = None,
        roles: RoleBook | None = None,
        rate_limits: Mapping[str, Rate] | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.bus = bus
        self.topics = Topics(config.branch_id)
        self.options = options or EngineOptions()
        self._clock = clock
        self._mono = monotonic
        self._log = logger or logging.getLogger("lobbyq.engine")
        # Bad messages can come by the thousand: one line per reason per interval.
        self._repeats = RepeatedWarnings(self._log, monotonic=monotonic)
        # Who may send what (lobbyq.core.roles); without a provisioned list,
        # the ids' conventional names, said once so nobody mistakes it for one.
        self.roles = roles or RoleBook.conventional(c.id for c in config.counters)
        # Per-device token buckets (lobbyq.engine.limits), checked on the MQTT
        # thread so a flood never queues ahead of the other devices' commands.
        self.limits = (
            None
            if rate_limits is None
            else Limiter(self._role_kind, monotonic, rates=dict(rate_limits))
        )
        self._floods_at = monotonic()
        self._floods_told: dict[str, int] = {}
        if self.limits is None:
            self._log.info("no per-device rate limits (lobbyq engine sets them)")
        if self.roles.provisioned:
            self._log.info(
                "device roles: %d provisioned devices; any other is refused", len(self.roles)
            )
        else:
            self._log.warning(
                "no roles file: devices are accepted by their ids' conventional names (%s); "
                "provision the branch and pass --roles for a real branch",
                CONVENTIONAL_NAMES,
            )
        self._inbox: queue.Queue[_Item] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._published: dict[str, View] = {}
        # What each retained topic should hold now, and own copies in flight.
        self._retained_now: dict[str, bytes] = {}
        self._echoes: dict[str, deque[bytes]] = {}
        self._retained_lock = threading.Lock()  # the MQTT thread checks copies too
        self._status_topic = self.topics.status("engine")
        self._health: dict[str, str] = {"log": "ok"}
        self._log_fault: str | None = None  # "full" or "failed" while the log cannot be written
        self._since_snapshot = 0
        self._ticks = 0
        self._queue_due: float | None = None
        self._queue_sent_at = 0.0
        self.state: BranchState = self._load()
        # The core's time: the wall clock at the anchor plus steady (monotonic)
        # time since, never earlier than anything in the log. See ``_now``.
        self._last_now = store.last_at
        self._anchor_wall = 0.0
        self._anchor_mono = 0.0
        self._step_reported: float | None = None
        self._anchor(clock())
        self.ready = threading.Event()

    # -- start-up ------------------------------------------------------------
    def _load(self) -> BranchState:
        """Rebuild the state: the newest snapshot, then every event after it."""
        t0 = time.perf_counter()
        snap = self.store.latest_snapshot()
        after = 0
        state: BranchState | None = None
        if snap is not None:
            try:
                state = core.state_from_dict(snap[1], self.config)
                after = snap[0]
            except (core.CoreError, KeyError, TypeError, ValueError) as exc:
                self._log.warning(
                    "snapshot at seq %d unusable (%s); replaying the whole log", snap[0], exc
                )
        if state is None:
            state = BranchState.initial(self.config)
            after = 0
        count = 0
        for _seq, body in self.store.events(after):
            state = core.evolve(state, core.event_from_dict(body))
            count += 1
        self._since_snapshot = count
        self._log.info(
            "event log %s: %d events, replayed %d after seq %d in %.3fs",
            self.store.path,
            self.store.last_seq,
            count,
            after,
            time.perf_counter() - t0,
        )
        return state

    def start(self) -> None:
        """Subscribe, publish retained state and status, start the worker.

        The worker publishes every view and the birth first thing, and again
        after each reconnect the bus reports.
        """
        self.bus.on_connection(self._on_connection)
        self.bus.subscribe(self.topics.cmd_all, self._on_command, qos=1)
        self.bus.subscribe(self.topics.state_all, self._on_retained, qos=1)
        self.bus.subscribe(self._status_topic, self._on_retained, qos=1)
        self._thread = threading.Thread(target=self._run, name="engine", daemon=True)
        self._thread.start()
        self.ready.set()

    @property
    def alive(self) -> bool:
        """Whether the worker runs (the service's watchdog pings only while it does)."""
        return self._thread is not None and self._thread.is_alive()

    def stop(self) -> None:
        self._inbox.put(None)
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None

    def status_message(self, online: bool) -> bytes:
        return StatusMsg(
            "engine", online, "engine", self._clock(), VERSION, dict(self._health)
        ).encode()

    # -- time ------------------------------------------------------------------
    def _anchor(self, wall: float) -> None:
        self._anchor_wall = max(wall, self._last_now)
        self._anchor_mono = self._mono()
        self._step_reported = None

    def _quiet(self) -> bool:
        """No ticket live and no rating pending: nothing a clock step could reorder or alarm."""
        state = self.state
        return not state.pending_ratings and not any(state.live_numerals.values())

    def _now(self) -> float:
        """The time the core is given: steady, never backwards, following the wall clock.

        The core orders the queue and measures waits from the times it is
        given, so a wall clock stepped back would put later customers first
        and one stepped forward would raise an over-wait alert for everyone
        waiting. The engine therefore counts on the monotonic clock from an
        anchor on the wall clock; when the two part by more than
        ``clock_step_s`` it logs the step, and follows the wall clock only
        while nothing is live (a step then reorders and alarms nothing),
        never going back before the last time it gave.
        """
        wall = self._clock()
        steady = self._anchor_wall + (self._mono() - self._anchor_mono)
        step = wall - steady
        if abs(step) > self.options.clock_step_s:
            if self._quiet():
                self._log.warning(
                    "system clock stepped %+.1f s; nothing live, so the queue follows it", step
                )
                self._anchor(wall)
                steady = self._anchor_wall
            elif self._step_reported is None or (
                abs(step - self._step_reported) > self.options.clock_step_s
            ):
                self._log.warning(
                    "system clock stepped %+.1f s; the queue keeps its steady time (order and "
                    "waits unaffected) and follows the clock once nothing is live",
                    step,
                )
                self._step_reported = step
        now = max(steady, self._last_now)
        self._last_now = now
        return now

    # -- MQTT side: queue only -------------------------------------------------
    def _role_kind(self, device: str) -> str | None:
        role = self.roles.role(device)
        return None if role is None else role.kind

    def _on_command(self, topic: str, payload: bytes) -> None:
        if self.limits is not None:
            device = topic.rpartition("/")[2]
            verdict = self.limits.check(device)
            if not verdict.allowed:
                self._over_limit(device, payload, verdict)
                return
        self._inbox.put((topic, payload))

    def _over_limit(self, device: str, payload: bytes, verdict: Verdict) -> None:
        """Drop a command over its device's rate: counted, rarely answered, logged as a summary.

        On the MQTT thread and as cheap as can be (no parse, no format): the
        first drop of a device is logged at once, the rest are counted by the
        limiter and summed up by the worker (``_report_floods``).
        """
        if verdict.dropped == 1:
            self._log.warning("dropping commands from %s: over its rate limit", device)
        if not verdict.tell:
            return
        replies: list[tuple[str, bytes]] = []
        reason = "Too many commands from this device; wait a moment and send again."
        self._refuse_raw(device, payload, "rate_limited", reason, replies)
        for topic, data in replies:
            self.bus.publish(topic, data, qos=1)

    def _report_floods(self) -> None:
        """One line per flooding device per interval: how many of its commands were dropped."""
        if self.limits is None:
            return
        now = self._mono()
        if now - self._floods_at < FLOOD_REPORT_S:
            return
        since = now - self._floods_at
        self._floods_at = now
        dropped = self.limits.dropped()
        for device, total in sorted(dropped.items()):
            new = total - self._floods_told.get(device, 0)
            if new > 0:
                self._log.warning(
                    "dropped %d commands from %s over its rate limit in the last %.0f s "
                    "(%d since it was first seen)",
                    new,
                    device,
                    since,
                    total,
                )
        self._floods_told = dropped

    def _on_retained(self, topic: str, payload: bytes) -> None:
        # Nearly every copy is the echo of an own publish: settled here, on the
        # MQTT thread, so only a copy to correct wakes the worker.
        if not self._expected(topic, payload):
            self._inbox.put(_Seen(topic, payload))

    def _on_connection(self, up: bool) -> None:
        if up:
            self._inbox.put(_RECONNECTED)

    def submit(self, topic: str, payload: bytes) -> None:
        """Queue a raw command as if it came from the broker (tests, tools)."""
        self._inbox.put((topic, payload))

    # -- worker ----------------------------------------------------------------
    def _run(self) -> None:
        self._republish_all()
        next_tick = time.monotonic() + self.options.tick_interval_s
        while True:
            wake = next_tick if self._queue_due is None else min(next_tick, self._queue_due)
            timeout = max(0.0, wake - time.monotonic())
            try:
                item = self._inbox.get(timeout=timeout)
            except queue.Empty:
                item = ("", b"")
            if item is None:
                return
            batch: list[tuple[str, bytes]] = []
            others: list[_Seen | _Reconnected] = []
            while True:
                if isinstance(item, tuple):
                    if item[0]:
                        batch.append(item)
                elif item is not None:
                    others.append(item)
                if len(batch) >= self.options.batch_max:
                    break
                try:
                    item = self._inbox.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    self._inbox.put(None)
                    break
            tick = time.monotonic() >= next_tick
            if tick:
                next_tick = time.monotonic() + self.options.tick_interval_s
            try:
                self._process(batch, tick)
            except Exception:
                self._log.exception(
                    "batch of %d commands failed; state reloaded from the log", len(batch)
                )
                self.state = self._load()
            self._repeats.flush()
            self._report_floods()
            try:
                self._keep_retained(others)
            except Exception:  # a hostile retained copy must never stop the worker
                self._log.exception("while checking the retained copies")

    # -- the broker's retained copies -------------------------------------------
    def _keep_retained(self, items: Sequence[_Seen | _Reconnected]) -> None:
        if any(isinstance(i, _Reconnected) for i in items):
            self._log.info("broker link up: republishing every view and the engine's status")
            self._republish_all()
        for item in items:
            if isinstance(item, _Seen):
                self._check_copy(item.topic, item.payload)

    def _republish_all(self) -> None:
        self._publish_state(force=True)
        self._put_retained(self._status_topic, self.status_message(True))

    def _put_retained(self, topic: str, payload: bytes) -> None:
        """Publish a retained message and remember it as what the topic must hold."""
        with self._retained_lock:
            self._retained_now[topic] = payload
            echoes = self._echoes.get(topic)
            if echoes is None:
                echoes = self._echoes[topic] = deque(maxlen=_ECHOES_KEPT)
            echoes.append(_digest(payload))
        self.bus.publish(topic, payload, qos=1, retain=True)

    def _expected(self, topic: str, payload: bytes) -> bool:
        """Whether a copy of an own topic is right: an own publish seen back, or the current one."""
        digest = _digest(payload)
        with self._retained_lock:
            echoes = self._echoes.get(topic)
            if echoes is not None and digest in echoes:
                # An own publish seen back; anything sent before it was seen or lost.
                while echoes.popleft() != digest:
                    pass
                return True
            want = self._retained_now.get(topic)
        return payload == want if want is not None else not payload

    def _check_copy(self, topic: str, payload: bytes) -> None:
        """Correct a retained copy of an own topic that is not what the engine sent."""
        with self._retained_lock:
            want = self._retained_now.get(topic)
        if want is not None:
            if payload == want:
                return
            self._repeats.warn(
                f"retained {topic}",
                "retained %s differs from the engine's (%d bytes, another client's or "
                "an old copy the broker kept); republished",
                topic,
                len(payload),
            )
            self._put_retained(topic, want)
        elif payload:
            self._repeats.warn(
                "retained foreign",
                "retained %s is not a topic the engine publishes (%d bytes); cleared",
                topic,
                len(payload),
            )
            # Not remembered: its empty echo needs no check, and a flood of
            # made-up topics must not grow the engine's memory.
            self.bus.publish(topic, b"", qos=1, retain=True)

    def _process(self, batch: list[tuple[str, bytes]], tick: bool) -> None:
        # While the log cannot be written, every batch is tried again (that is
        # how the engine sees the disk come back), from a copy of the state, so
        # a failed one is undone without replaying the whole log each time.
        saved = core.state_to_dict(self.state) if self._log_fault is not None else None
        applied: list[_Applied] = []
        replies: list[tuple[str, bytes]] = []
        seen: dict[str, Record] = {}
        for topic, payload in batch:
            done = self._handle(topic, payload, seen, replies)
            if done is not None:
                applied.append(done)
                if done.record.command_id:
                    seen[done.record.command_id] = done.record
        if tick:
            done = self._apply_tick()
            if done is not None:
                applied.append(done)
        if not applied:
            for topic, data in replies:
                self.bus.publish(topic, data, qos=1)
            if self._queue_due is not None and time.monotonic() >= self._queue_due:
                self._publish_state()
            return
        records = [a.record for a in applied]
        n_events = sum(len(r.events) for r in records)
        snapshot = None
        if self._since_snapshot + n_events >= self.options.snapshot_every:
            snapshot = core.state_to_dict(self.state)
        try:
            self.store.append(records, snapshot)
        except StoreError as exc:
            # Nothing happened: undo it in memory, and tell every sender why.
            self._log_failed(exc)
            self.state = (
                core.state_from_dict(saved, self.config) if saved is not None else self._load()
            )
            code = "log_full" if exc.fault == "full" else "log_failed"
            reason = (
                "The branch's event log cannot be written "
                f"({'the disk is full' if exc.fault == 'full' else 'disk failure'}); "
                "nothing was done. Call the branch technician."
            )
            for a in applied:
                if a.record.command_id is not None:
                    refused = Reply(a.record.command_id, False, code=code, reason=reason)
                    replies.append((self.topics.reply(a.record.device), refused.encode()))
            for topic, data in replies:
                self.bus.publish(topic, data, qos=1)
            return
        if self._log_fault is not None:
            self._log_restored()
        self._since_snapshot = 0 if snapshot is not None else self._since_snapshot + n_events
        for a in applied:
            rec = a.record
            logged = tuple(LoggedEvent(s, e) for s, e in zip(rec.seqs, a.events, strict=True))
            if rec.command_id is not None:
                refusal = a.refusal
                reply = Reply(
                    rec.command_id,
                    refusal is None,
                    logged,
                    refusal.code if refusal is not None else None,
                    refusal.reason if refusal is not None else None,
                )
                replies.append((self.topics.reply(rec.device), reply.encode()))
            for ev in logged:
                self.bus.publish(self.topics.evt(ev.kind), ev.broadcast(), qos=1)
        for topic, data in replies:
            self.bus.publish(topic, data, qos=1)
        self._publish_state()

    def _log_failed(self, exc: StoreError) -> None:
        fault = "full" if exc.fault == "full" else "failed"
        if self._log_fault == fault:
            self._repeats.warn("log " + fault, "%s; commands refused", exc)
            return
        self._log_fault = fault
        self._log.error("%s; commands refused until the log can be written again", exc)
        self._health["log"] = fault
        self._put_retained(self._status_topic, self.status_message(True))
        code = "log_full" if fault == "full" else "disk_failure"
        text = (
            "The event log's disk is full: no ticket can be issued. Free space on the server."
            if fault == "full"
            else "Disk failure: the event log cannot be written. Check the server's disk."
        )
        alert = AlertMsg("engine", code, "critical", text, self._clock())
        self.bus.publish(self.topics.alert("engine"), alert.encode(), qos=1)

    def _log_restored(self) -> None:
        self._log.warning("the event log is writable again (it was %s)", self._log_fault)
        self._log_fault = None
        self._health["log"] = "ok"
        self._put_retained(self._status_topic, self.status_message(True))
        alert = AlertMsg(
            "engine", "log_ok", "info", "The event log is written again.", self._clock()
        )
        self.bus.publish(self.topics.alert("engine"), alert.encode(), qos=1)

    def _handle(
        self,
        topic: str,
        payload: bytes,
        seen: Mapping[str, Record],
        replies: list[tuple[str, bytes]],
    ) -> _Applied | None:
        try:
            levels = self.topics.parse(topic)
            device = levels[1]
        except (TopicError, IndexError):
            self._repeats.warn(
                "unexpected topic", "ignored a message on unexpected topic %r", topic
            )
            return None
        try:
            msg = CommandMsg.decode(payload)
        except ProtocolError as exc:
            self._repeats.warn(
                f"malformed from {device}", "refused a malformed command from %s: %s", device, exc
            )
            self._refuse_raw(device, payload, "malformed", str(exc), replies)
            return None
        if not self._permitted(msg, device, replies):
            return None
        # A resend of a command already applied: answer from the log, act never.
        # Ids are scoped per device: the same id with another op or fields, or
        # from another device, is a conflict, never another command's reply.
        fingerprint = command_fingerprint(msg)
        earlier = seen.get(msg.id)
        if earlier is not None:
            if (earlier.device, earlier.op, earlier.fingerprint) == (device, msg.op, fingerprint):
                return None  # the earlier copy's reply goes out with this batch
            self._refuse_conflict(msg, device, earlier.device, earlier.op, replies)
            return None
        stored = self.store.command(msg.id)
        if stored is not None:
            if not stored.same(device, msg.op, fingerprint):
                self._refuse_conflict(msg, device, stored.device, stored.op, replies)
                return None
            self._log.info("command %s from %s seen before; answering from the log", msg.id, device)
            replies.append((self.topics.reply(device), self._logged_reply(stored.reply)))
            return None
        try:
            cmd = core.command_from_dict(msg.body)
        except core.InvalidCommand as exc:
            self._repeats.warn(
                f"invalid from {device}",
                "refused invalid command %s from %s: %s",
                msg.id,
                device,
                exc,
            )
            reply = Reply(msg.id, False, code="invalid", reason=str(exc))
            replies.append((self.topics.reply(device), reply.encode()))
            return None
        except Exception as exc:  # a field no check foresaw: this message only, never the batch
            self._repeats.warn(
                f"unreadable from {device}",
                "refused command %s from %s: its fields cannot be read (%s: %s)",
                msg.id,
                device,
                type(exc).__name__,
                str(exc)[:200],
            )
            reason = f"its fields cannot be read ({type(exc).__name__})"
            reply = Reply(msg.id, False, code="invalid", reason=reason)
            replies.append((self.topics.reply(device), reply.encode()))
            return None
        if cmd.op == "tick":
            self._repeats.warn(
                f"tick from {device}",
                "refused a tick from %s: only the engine's timer ticks",
                device,
            )
            reply = Reply(msg.id, False, code="not_allowed", reason="tick is the engine's own")
            replies.append((self.topics.reply(device), reply.encode()))
            return None
        now = self._now()
        self.state, events = core.apply(self.state, cmd, now)
        refusal = next((e for e in events if isinstance(e, core.CommandRefused)), None)
        # The log keeps the reply without its events; ``Record.full_reply`` adds them.
        reply_body: dict[str, Any] = {"id": msg.id, "ok": refusal is None}
        if refusal is not None:
            reply_body["code"] = refusal.code
            reply_body["reason"] = refusal.reason
            self._repeats.info(
                f"{refusal.code} from {device}",
                "refused %s from %s: %s",
                cmd.op,
                device,
                refusal.reason,
            )
        ev_dicts = [core.event_to_dict(e) for e in events]
        record = Record(msg.id, cmd.op, now, ev_dicts, reply_body, device, fingerprint)
        return _Applied(record, events, refusal)

    def _permitted(self, msg: CommandMsg, device: str, replies: list[tuple[str, bytes]]) -> bool:
        """Whether the device's role allows this op for this counter or ticket; else refuse it.

        Judged before the log is consulted, so a device outside its role
        learns nothing of other devices' commands, and a refusal stores nothing.
        """
        role = self.roles.role(device)
        issuer = None
        if needs_issuer(role, msg.op):
            ticket = msg.body.get("ticket")
            tid = self.state.by_number.get(ticket) if isinstance(ticket, str) else None
            issuer = self.store.issuer(tid) if tid is not None else None
        refusal = judge(device, role, msg.op, msg.body, issuer)
        if refusal is None:
            return True
        self._repeats.warn(
            f"{refusal.code} {msg.op} from {device}",
            "refused %s %s from %s (%s): %s",
            msg.op,
            msg.id,
            device,
            refusal.code,
            refusal.reason,
        )
        reply = Reply(msg.id, False, code=refusal.code, reason=refusal.reason)
        replies.append((self.topics.reply(device), reply.encode()))
        return False

    def _refuse_conflict(
        self,
        msg: CommandMsg,
        device: str,
        owner: str,
        owner_op: str,
        replies: list[tuple[str, bytes]],
    ) -> None:
        self._repeats.warn(
            f"id_conflict from {device}",
            "refused %s %s from %s: the id is %s's %s already (id_conflict)",
            msg.op,
            msg.id,
            device,
            owner or "an earlier device",
            owner_op,
        )
        reason = f"Command id {msg.id} belongs to another command; send it with a new id."
        reply = Reply(msg.id, False, code="id_conflict", reason=reason)
        replies.append((self.topics.reply(device), reply.encode()))

    def _logged_reply(self, stored: Mapping[str, Any]) -> bytes:
        """A reply kept in the log, sent again through its type (the log is this engine's own)."""
        try:
            return Reply.from_dict(stored).encode()
        except ProtocolError as exc:
            self._log.error("reply %s in the log does not decode (%s); sent as kept", stored, exc)
            return dump({"v": 1, **stored})

    def _refuse_raw(
        self,
        device: str,
        payload: bytes,
        code: str,
        reason: str,
        replies: list[tuple[str, bytes]],
    ) -> None:
        """Answer a malformed command when it carries a usable id, so the sender stops."""
        try:
            try:
                raw = parse_object(payload).get("id")
                cmd_id = raw if isinstance(raw, str) and valid_id(raw) else None
            except ProtocolError:
                cmd_id = salvage_id(payload)  # too odd to parse: its id may still lead
            if cmd_id is not None:
                reply = Reply(cmd_id, False, code=code, reason=reason)
                replies.append((self.topics.reply(device), reply.encode()))
        except TopicError:
            pass
        except Exception:  # never let a hostile payload stop the worker
            self._log.exception("while answering a malformed command")

    def _apply_tick(self) -> _Applied | None:
        self._ticks += 1
        now = self._now()
        cmd = core.command_from_dict({"op": "tick", "id": f"tick-{self._ticks:08d}"})
        self.state, events = core.apply(self.state, cmd, now)
        if not events:
            return None
        return _Applied(Record(None, "tick", now, [core.event_to_dict(e) for e in events]), events)

    def _publish_state(self, force: bool = False) -> None:
        """Publish retained state topics whose content changed."""
        now = self._now()
        seq = self.store.last_seq
        views: dict[str, View] = {
            self.topics.state_calls: CallsView.of(self.state, self.options.recent_calls),
            self.topics.state_notice: NoticeView.of(self.state),
        }
        for counter in self.config.counters:
            views[self.topics.state_counter(counter.id)] = CounterView.of(self.state, counter.id)
        mono = time.monotonic()
        if force or mono - self._queue_sent_at >= self.options.queue_interval_s:
            views[self.topics.state_queue] = QueueView.of(self.state, now)
            self._queue_sent_at = mono
            self._queue_due = None
        elif self._queue_due is None:
            self._queue_due = self._queue_sent_at + self.options.queue_interval_s
        for topic, view in views.items():
            # Compare without the view's own timestamp, so an idle branch is quiet.
            key = replace(view, at=0.0) if isinstance(view, QueueView) else view
            if force or topic not in self._published or self._published[topic] != key:
                self._published[topic] = key
                self._put_retained(topic, Retained(seq, view).encode())
