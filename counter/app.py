"""The counter terminal (``lobbyq counter``): the shell around ``counter.flow``.

Constructor (the demo builds it in-process)::

    CounterApp(counter_id, bus, bus_url, config=None, *, branch=None,
               keypad_addr=1, ratingpad_addr=2, strip_addr=3, rating_keys=5,
               request_timeout_s=3.0, resend_after_s=0.5, texts=None,
               master=None, master_options=None, logger=None)

- ``counter_id``: the counter's id in the branch config (``"3"``); the MQTT
  device id is ``counter-<id>``.
- ``bus``: a :class:`drivers.mqtt.bus.Bus` (``MqttBus`` or ``MemoryBus``);
  the app subscribes at ``start()``; starting the bus is the caller's job.
- ``bus_url``: the counter's RS-485 port URL (keypad, rating pad and strip
  at three addresses on one line), e.g. a ``BusSim`` pty path; or pass a
  ready ``master`` (``BusMaster``) instead, ``bus_url`` then unused.
- ``config``: the :class:`~lobbyq.core.config.BranchConfig`-like object
  giving ``branch_id``, ``services`` (code, prefix, width) and
  ``rating_timeout_s``; None = the demo branch. Only those attributes are
  read, so the counter does not depend on the engine package.
- ``ratingpad_addr``: ``None`` for a counter without a rating pad (a cash
  desk): nothing is prompted, the status has no ``ratingpad`` part, and
  FINISH just finishes.
- ``rating_keys``: 3 or 5, the keys on the rating pad. A 3-key pad sends 1,
  3 or 5 on the pad's common scale; the flow turns those into the 3-point
  ``rate`` the engine expects (``scale=3``, value 1 to 3).
- ``master_options``: keyword arguments for the ``BusMaster`` it creates
  (``baudrate``, ``keepalive_s``...).

Threads: the flow runs under one lock, so its steps keep one order. Keys,
ratings and engine replies are stepped right on the thread that brings them
(the bus dispatcher, the MQTT thread), so a call reaches the engine and the
strip without waiting for another thread to wake; snapshots, timers, device
and link news are queued for the flow thread. Each command
is published once by ``Requester``; one waiter thread resends the same id
until ``request_timeout_s`` and then reports ``NoReply`` (the teller hears
the offline beep).
"""

from __future__ import annotations

import argparse
import logging
import queue
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from counter import flow as f
from counter.keys import ServiceKey
from counter.texts import Texts
from drivers.bus.events import BusEvent, DeviceOffline, DeviceOnline, KeyPressed, RatingGiven
from drivers.bus.master import BusMaster
from drivers.errors import DriverError
from drivers.keypad.codes import KeypadCap
from drivers.keypad.driver import keypad_beep, keypad_leds, keypad_text
from drivers.led.driver import strip_show
from drivers.mqtt.bus import Bus
from drivers.mqtt.request import EngineUnavailable, Requester, new_command_id
from drivers.ratingpad.codes import RatingPadCap
from drivers.ratingpad.driver import rating_prompt
from lobbyq.protocol.messages import (
    AlertMsg,
    EventMsg,
    ProtocolError,
    ReplyMsg,
    StateMsg,
    StatusMsg,
)
from lobbyq.protocol.topics import Topics
from lobbyq.runtime.version import VERSION

DEFAULT_STRIP_COLUMNS = 16


class BranchLike(Protocol):
    """What the counter reads from a branch configuration."""

    @property
    def branch_id(self) -> str: ...

    @property
    def rating_timeout_s(self) -> float: ...

    @property
    def services(self) -> tuple[Any, ...]: ...


def service_keys(config: BranchLike | None) -> tuple[ServiceKey, ...]:
    if config is None:
        return tuple(ServiceKey(c, c, 3) for c in "ABCD")
    return tuple(ServiceKey(s.code, s.prefix, int(s.width)) for s in config.services)


_PART_OF_EFFECT: dict[type, str] = {
    f.StripShow: "strip",
    f.Beep: "keypad",
    f.KeypadText: "keypad",
    f.KeypadLeds: "keypad",
    f.RatingPrompt: "ratingpad",
}


class _Timers:
    """Named one-shot timers on one thread that post ``TimerFired`` to the flow.

    One thread for all timers (the flow restarts its blink and rating timers
    on every call), instead of a thread per timer.
    """

    def __init__(self, post: Callable[[f.Event], None], clock: Callable[[], float]) -> None:
        self._post = post
        self._clock = clock
        self._due: dict[str, float] = {}
        self._cond = threading.Condition()
        self._stop = False
        self._thread: threading.Thread | None = None

    def _ensure_thread(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="counter-timers", daemon=True)
            self._thread.start()

    def start(self, name: str, seconds: float) -> None:
        with self._cond:
            self._due[name] = self._clock() + seconds
            self._ensure_thread()
            self._cond.notify()

    def cancel(self, name: str) -> None:
        with self._cond:
            self._due.pop(name, None)

    def close(self) -> None:
        with self._cond:
            self._stop = True
            self._due.clear()
            self._cond.notify()
        if self._thread is not None:
            self._thread.join(2)
            self._thread = None

    def _run(self) -> None:
        while True:
            with self._cond:
                if self._stop:
                    return
                now = self._clock()
                fired = [n for n, t in self._due.items() if t <= now]
                for n in fired:
                    del self._due[n]
                if not fired:
                    wait = min(self._due.values(), default=now + 3600) - now
                    self._cond.wait(wait)
                    continue
            for n in fired:
                self._post(f.TimerFired(n))


class CounterApp:
    """One counter: keypad, rating pad and LED strip on a bus, the engine over MQTT."""

    def __init__(
        self,
        counter_id: str,
        bus: Bus,
        bus_url: str | None,
        config: BranchLike | None = None,
        *,
        branch: str | None = None,
        keypad_addr: int = 1,
        ratingpad_addr: int | None = 2,
        strip_addr: int = 3,
        rating_keys: int = 5,
        request_timeout_s: float = 3.0,
        resend_after_s: float = 0.5,
        texts: Texts | None = None,
        master: BusMaster | None = None,
        master_options: Mapping[str, Any] | None = None,
        clock: Callable[[], float] = time.time,
        logger: logging.Logger | None = None,
    ) -> None:
        branch_id = branch or (config.branch_id if config is not None else "demo")
        self.counter_id = counter_id
        self.device = f"counter-{counter_id}"
        self.bus = bus
        self.topics = Topics(branch_id)
        self._log = logger or logging.getLogger(f"lobbyq.counter.{counter_id}")
        self._clock = clock
        self.request_timeout_s = request_timeout_s
        self._resend_after_s = resend_after_s
        self.has_ratingpad = ratingpad_addr is not None
        rating_timeout_s = config.rating_timeout_s if config is not None else 60.0
        self.flow_config = f.FlowConfig(
            counter=counter_id,
            services=service_keys(config),
            rating_scale=rating_keys,
            # No pad, no rating timer: otherwise the teller would read "not
            # rated" a minute after every FINISH. The flow's prompt is dropped
            # in _perform_one.
            rating_timeout_s=rating_timeout_s if self.has_ratingpad else 0.0,
            texts=texts or Texts(),
        )
        self.rating_keys = rating_keys
        self.state = f.CounterState.initial(self.flow_config)
        # Keypad, pad, strip: the master brings devices up in this order.
        parts = {"keypad": keypad_addr, "ratingpad": ratingpad_addr, "strip": strip_addr}
        self.addrs = {p: a for p, a in parts.items() if a is not None}
        self._part_of = {a: p for p, a in self.addrs.items()}
        self.health: dict[str, str] = {p: "offline" for p in self.addrs}
        if master is None:
            if bus_url is None:
                raise f.FlowError("give the counter bus URL or a BusMaster")
            master = BusMaster(
                bus_url,
                name=self.device,
                devices=list(self.addrs.values()),
                logger=self._log,
                **dict(master_options or {}),
            )
            self._own_master = True
        else:
            self._own_master = False
        self.master = master
        self._events: queue.SimpleQueue[f.Event | None] = queue.SimpleQueue()
        # Events put on the queue and not yet fully stepped; the fast path
        # steps at once only when it is 0, so nothing overtakes a queued key.
        self._queued = 0
        self._queued_lock = threading.Lock()
        self._timers = _Timers(self._enqueue, time.monotonic)
        self._inflight: dict[str, int] = {}  # command id -> flow number
        self._inflight_lock = threading.Lock()
        self._waits: queue.SimpleQueue[tuple[f.Send, str, bytes] | None] = queue.SimpleQueue()
        self._waiter: threading.Thread | None = None
        self._requester: Requester | None = None
        self._thread: threading.Thread | None = None
        self._idle = threading.Event()
        self._flow_lock = threading.RLock()
        self._booted = threading.Event()
        self._strip_columns = DEFAULT_STRIP_COLUMNS  # until the strip says (IDENT)
        self._keypad_has_text = True
        self._busy = 0
        self.effects_done = 0

    # -- lifecycle ----------------------------------------------------------------
    def start(self) -> None:
        """Subscribe, start the bus master and the flow thread; returns at once."""
        self._requester = Requester(
            self.bus, self.topics, self.device, resend_after=self._resend_after_s, logger=self._log
        )
        self.bus.subscribe(self.topics.reply(self.device), self._on_reply)
        self.bus.subscribe(self.topics.state_counter(self.counter_id), self._on_counter_state)
        self.bus.subscribe(self.topics.evt("wait_alert"), self._on_wait_alert)
        self.bus.on_connection(self._on_connection)
        self.master.subscribe(self._on_bus_event)
        if self._own_master:
            self.master.start()
        else:
            for addr in self.addrs.values():
                self.master.watch(addr)
                info = self.master.info(addr)
                if self.master.online(addr) and info is not None:
                    # It came online before we listened: take it as news now.
                    self._on_bus_event(DeviceOnline(addr, time.monotonic(), info, True))
        self._thread = threading.Thread(target=self._run, name=self.device, daemon=True)
        self._thread.start()
        self._waiter = threading.Thread(
            target=self._wait_loop, name=f"{self.device}-wait", daemon=True
        )
        self._waiter.start()
        if self.bus.connected:
            self._enqueue(f.LinkChanged(True))
            self._publish_status()

    def alive(self) -> bool:
        """Whether the flow and reply threads run (the service watchdog asks)."""
        return all(t is not None and t.is_alive() for t in (self._thread, self._waiter))

    def stop(self) -> None:
        """Stop the threads and say goodbye: the retained status turns offline."""
        if self.bus.connected:
            topic, payload = self.offline_status()
            self.bus.publish(topic, payload, retain=True)
        self._events.put(None)
        self._waits.put(None)
        for t in (self._thread, self._waiter):
            if t is not None:
                t.join(5)
        self._thread = self._waiter = None
        self._timers.close()
        if self._own_master:
            self.master.close()

    def post(self, event: f.Event) -> None:
        """Hand the flow an event (tests, and the technician console)."""
        self._enqueue(event)

    def offline_status(self) -> tuple[str, bytes]:
        """The last-will message for this counter (topic, payload)."""
        msg = StatusMsg(self.device, False, "counter", 0.0, VERSION, {})
        return self.topics.status(self.device), msg.encode()

    # -- inputs (other threads): queue only ---------------------------------------
    def _on_counter_state(self, topic: str, payload: bytes) -> None:
        if not payload:
            return
        try:
            msg = StateMsg.decode(payload)
        except ProtocolError as exc:
            self._log.warning("ignored bad counter state: %s", exc)
            return
        self._enqueue(f.Snapshot(msg.seq, msg.body))

    def _on_wait_alert(self, topic: str, payload: bytes) -> None:
        try:
            ev = EventMsg.decode(payload)
        except ProtocolError as exc:
            self._log.warning("ignored a bad wait alert: %s", exc)
            return
        service, number, waited = (ev.body.get(k) for k in ("service", "number", "waited_s"))
        if isinstance(service, str) and isinstance(number, str) and isinstance(waited, int | float):
            self._enqueue(f.WaitAlert(service, number, float(waited)))

    def _on_connection(self, up: bool) -> None:
        self._enqueue(f.LinkChanged(up))
        if up:
            self._publish_status()

    def _on_bus_event(self, ev: BusEvent) -> None:
        part = self._part_of.get(ev.addr)
        if part is None:
            return
        if isinstance(ev, KeyPressed) and part == "keypad":
            self._now_or_queued(f.KeyPressed(ev.key))
        elif isinstance(ev, RatingGiven) and part == "ratingpad":
            self._now_or_queued(f.RatingPressed(int(ev.value), int(ev.reason)))
        elif isinstance(ev, DeviceOnline):
            if part == "strip" and ev.info.caps:
                self._strip_columns = int(ev.info.caps)
            elif part == "keypad":
                self._keypad_has_text = bool(ev.info.caps & KeypadCap.TEXT_LINE)
            elif part == "ratingpad":
                self._check_rating_keys(ev.info.caps & RatingPadCap.KEYS_MASK)
            self._set_health(part, "ok")  # first: the flow's redraw must not be skipped
            self._enqueue(f.DeviceChanged(part, True))
        elif isinstance(ev, DeviceOffline):
            self._set_health(part, "offline", ev.reason)
            self._enqueue(f.DeviceChanged(part, False))

    def _check_rating_keys(self, keys: int) -> None:
        """Warn when the pad says it has other keys than the device file: the scale is off."""
        if keys and keys != self.rating_keys:
            self._log.warning(
                "the rating pad has %d keys but this counter is set for %d (counter.rating_keys)",
                keys,
                self.rating_keys,
            )

    # -- the flow thread --------------------------------------------------------------
    def _run(self) -> None:
        with self._flow_lock:
            self.state, fx = f.boot(self.state)
            self._perform(fx)
            self._booted.set()
        while True:
            if self._events.empty():
                self._idle.set()
            ev = self._events.get()
            self._idle.clear()
            if ev is None:
                return
            try:
                self._handle(ev)
            finally:
                with self._queued_lock:
                    self._queued -= 1

    def _enqueue(self, ev: f.Event) -> None:
        """Queue an event for the flow thread, counted so the fast path waits its turn."""
        with self._queued_lock:
            self._queued += 1
            self._events.put(ev)

    def _handle(self, ev: f.Event) -> None:
        """One step of the flow and its effects, on whichever thread brings the event.

        The lock keeps steps in one order. Most events come through the queue
        to the flow thread; an engine reply is handled right on the MQTT
        thread (see ``_on_reply``), which saves a thread wake-up on the way
        from the engine to the strip.
        """
        with self._flow_lock:
            self._busy += 1
            try:
                self.state, fx = f.step(self.state, ev)
            except Exception:
                self._log.exception("the counter flow failed on %r; event dropped", ev)
                self._busy -= 1
                return
            try:
                self._perform(fx)
            finally:
                self._busy -= 1

    def wait_idle(self, timeout: float) -> bool:
        """Block until the flow has handled every queued event (tests, benchmarks)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._idle.wait(0.01) and self._events.empty() and not self._busy:
                return True
        return False

    def _perform(self, effects: list[f.Effect]) -> None:
        for e in effects:
            try:
                self._perform_one(e)
            except DriverError as exc:
                self._log.warning("could not %s: %s", type(e).__name__, exc)
            except Exception:
                self._log.exception("effect %r failed", e)
            self.effects_done += 1

    def _perform_one(self, e: f.Effect) -> None:
        if isinstance(e, f.RatingPrompt) and not self.has_ratingpad:
            return  # no pad at this counter: the flow's prompt has nobody to show it
        part = _PART_OF_EFFECT.get(type(e))
        if part is not None and self.health.get(part) != "ok":
            # Nobody to tell: the flow sends the whole picture when it comes back.
            self._log.debug("%s offline; skipped %r", part, e)
            return
        m, a = self.master, self.addrs
        if isinstance(e, f.Send):
            self._send(e)
        elif isinstance(e, f.StripShow):
            # Columns: an ASCII character takes one, a Chinese character two (its GB18030 bytes).
            wide = len(e.text.encode("gb18030")) > self._strip_columns
            strip_show(m, a["strip"], e.text, blink=e.blink, scroll=wide)
        elif isinstance(e, f.Beep):
            keypad_beep(m, a["keypad"], e.pattern)
        elif isinstance(e, f.KeypadText):
            if self._keypad_has_text:  # else the beep alone tells the teller
                keypad_text(m, a["keypad"], e.text)
        elif isinstance(e, f.KeypadLeds):
            keypad_leds(m, a["keypad"], e.mask)
        elif isinstance(e, f.RatingPrompt):
            timeout = max(0, min(255, int(e.timeout_s + 0.999)))
            rating_prompt(m, a["ratingpad"], e.on, timeout_s=timeout if e.on else 0)
        elif isinstance(e, f.StartTimer):
            self._timers.start(e.name, e.seconds)
        elif isinstance(e, f.CancelTimer):
            self._timers.cancel(e.name)

    def _send(self, e: f.Send) -> None:
        requester = self._requester
        if requester is None:
            raise f.FlowError("send before start")
        fields = dict(e.fields)
        self._log.info("%s %s", e.op, {k: v for k, v in fields.items() if k != "counter"})
        msg_id = new_command_id()
        with self._inflight_lock:
            self._inflight[msg_id] = e.n
        msg_id, payload = requester.submit(e.op, msg_id, **fields)
        self._waits.put((e, msg_id, payload))

    def _take(self, msg_id: str) -> int | None:
        """The flow number of an in-flight command, once: the first answer wins."""
        with self._inflight_lock:
            return self._inflight.pop(msg_id, None)

    def _on_reply(self, topic: str, payload: bytes) -> None:
        """Fast path: a reply goes to the flow from the MQTT thread, no waiter wake-up."""
        try:
            reply = ReplyMsg.decode(payload)
        except ProtocolError:
            return  # the requester logs it
        n = self._take(reply.id)
        if n is not None:
            self._post_reply(n, reply, now=True)

    def _post_reply(self, n: int, reply: ReplyMsg, *, now: bool = False) -> None:
        if not reply.ok:
            self._log.info("command %s refused: %s (%s)", reply.id, reply.code, reply.reason)
        ev = f.Replied(n, reply.ok, reply.code, reply.reason, reply.events)
        if now:
            self._now_or_queued(ev)  # on this (MQTT) thread: the strip hears of a call at once
        else:
            self._enqueue(ev)

    def _now_or_queued(self, ev: f.Event) -> None:
        """Step at once on the calling thread (keys, ratings, replies: the latency path).

        Before the flow thread has drawn the boot picture, or while events
        wait on its queue (a key that came in before boot), queue instead: a
        teller's digits must reach the flow in the order they were typed.
        """
        with self._flow_lock:
            with self._queued_lock:
                now = self._booted.is_set() and self._queued == 0
                if not now:
                    self._queued += 1
                    self._events.put(ev)
            if now:
                self._handle(ev)

    def _wait_loop(self) -> None:
        """Resend each command with its id until answered or the bound passes (one at a time)."""
        requester = self._requester
        assert requester is not None
        while True:
            item = self._waits.get()
            if item is None:
                return
            e, msg_id, payload = item
            try:
                reply = requester.wait(msg_id, payload, self.request_timeout_s)
            except EngineUnavailable as exc:
                if self._take(msg_id) is not None:
                    self._log.warning("%s: %s", e.op, exc)
                    self._enqueue(f.NoReply(e.n))
                    self._alert("engine_unavailable", "warning", f"no answer to {e.op}")
                continue
            except KeyError:
                continue  # answered and forgotten before we started waiting
            n = self._take(msg_id)
            if n is not None:
                self._post_reply(n, reply)

    # -- status and alerts ----------------------------------------------------------
    def _set_health(self, part: str, word: str, why: str = "") -> None:
        changed = self.health.get(part) != word
        self.health[part] = word
        if changed:
            self._publish_status()
            if word == "offline":
                self._alert(
                    f"{part}_offline", "warning", f"{part} at counter {self.counter_id}: {why}"
                )

    def _publish_status(self) -> None:
        msg = StatusMsg(self.device, True, "counter", self._clock(), VERSION, dict(self.health))
        self.bus.publish(self.topics.status(self.device), msg.encode(), retain=True)

    def _alert(self, code: str, level: str, text: str) -> None:
        msg = AlertMsg(self.device, code, level, text, self._clock())
        self.bus.publish(self.topics.alert(self.device), msg.encode())


# -- command line ------------------------------------------------------------------


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--broker", required=True, help="broker URL, e.g. mqtt://127.0.0.1:1883")
    parser.add_argument("--counter", required=True, help="counter id in the branch config")
    parser.add_argument("--port", required=True, help="counter bus serial port URL")
    parser.add_argument("--branch-config", help="branch queue config (TOML); default: demo branch")
    parser.add_argument("--branch", help="branch id (overrides the config's)")
    parser.add_argument("--keypad-addr", type=int, default=1)
    pad = parser.add_mutually_exclusive_group()
    pad.add_argument("--ratingpad-addr", type=int, default=2)
    pad.add_argument(
        "--no-ratingpad",
        dest="ratingpad_addr",
        action="store_const",
        const=None,
        help="this counter has no rating pad: FINISH asks for no rating",
    )
    parser.add_argument(
        "--rating-keys",
        type=int,
        choices=(3, 5),
        default=5,
        help="keys on the rating pad; 3 sends ratings on the 3-point scale",
    )
    parser.add_argument("--strip-addr", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=3.0, help="engine answer bound, s")


def run(args: argparse.Namespace) -> int:
    import tomllib

    from counter.branch import CounterBranch
    from drivers.mqtt.client import MqttBus
    from lobbyq.runtime.sdnotify import supervise

    log = logging.getLogger("lobbyq.counter")
    try:
        config = CounterBranch.load(args.branch_config, args.branch)
    except (OSError, ValueError, tomllib.TOMLDecodeError) as exc:
        log.error("cannot read the branch config: %s", exc)
        return 2
    topics = Topics(config.branch_id)
    device = f"counter-{args.counter}"
    will = (topics.status(device), StatusMsg(device, False, "counter", 0.0, VERSION).encode())
    bus = MqttBus(args.broker, device, will=will)
    app = CounterApp(
        args.counter,
        bus,
        args.port,
        config,
        keypad_addr=args.keypad_addr,
        ratingpad_addr=args.ratingpad_addr,
        strip_addr=args.strip_addr,
        rating_keys=args.rating_keys,
        request_timeout_s=args.timeout,
    )
    app.start()
    bus.start()
    print(f"counter {args.counter} on {bus.url.redacted()} branch {config.branch_id}", flush=True)
    try:
        return supervise(app.alive, f"counter {args.counter}", logger=log)
    finally:
        app.stop()
        bus.stop()
