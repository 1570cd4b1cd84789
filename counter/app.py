"""The counter terminal (``lobbyq counter``): the shell around ``counter.flow``.

Constructor (the demo builds it in-process)::

    CounterApp(counter_id, bus, bus_url, config=None, *, branch=None,
               keypad_addr=1, ratingpad_addr=2, strip_addr=3, rating_keys=5,
               request_timeout_s=3.0, resend_after_s=0.5, texts=None,
               master=None, master_options=None, clock=time.time,
               monotonic=time.monotonic, logger=None)

- ``counter_id``: the counter's id in the branch config (``"3"``); the MQTT
  device id is ``counter-<id>``.
- ``bus``: a :class:`drivers.mqtt.bus.Bus` (``MqttBus`` or ``MemoryBus``);
  the app subscribes at ``start()``; starting the bus is the caller's job.
- ``bus_url``: the counter's RS-485 port URL (keypad, rating pad and strip
  at three addresses on one line), e.g. a ``BusSim`` pty path; or pass a
  ready ``master`` (``BusMaster``) instead, ``bus_url`` then unused.
- ``config``: the branch, a :class:`lobbyq.core.config.BranchConfig`; the
  counter reads its ``branch_id``, ``rating_timeout_s`` and each service's
  code, prefix and number width (the width the engine prints). None = the
  demo branch (``BranchConfig.default()``).
- ``ratingpad_addr``: ``None`` for a counter without a rating pad (a cash
  desk): nothing is prompted, the status has no ``ratingpad`` part, and
  FINISH just finishes.
- ``rating_keys``: 3 or 5, the keys on the rating pad. A 3-key pad sends 1,
  3 or 5 on the pad's common scale; the flow turns those into the 3-point
  ``rate`` the engine expects (``scale=3``, value 1 to 3).
- ``master_options``: keyword arguments for the ``BusMaster`` it creates
  (``baudrate``, ``keepalive_s``...).
- ``clock``: wall time for status and alert stamps; ``monotonic``: the clock
  of the flow's timers and the command resends.

Threads: one inbox, stepped in arrival order by the flow thread, under
one flow lock so steps keep one order. Snapshots, timers, device and link
news always go through it. Keys, ratings and engine replies take a fast
path: when the flow is free, booted and nothing waits on the inbox, they
are stepped right on the thread that brings them (the bus dispatcher, the
MQTT thread); otherwise they join the inbox, so nothing overtakes what came
first. Why the fast path stays: ``bench/call_latency.py``, run alternately
with and without it on the same machine, put a CALL on both LEDs later
without it in 7 of 7 pairs (p50 +0.2 to +0.9 ms, median +0.6 ms on about
4.3 ms): each hop (key to command, reply to strip) waits for another
thread to wake. Each command is published once by ``Requester``; one
waiter thread resends the same id until ``request_timeout_s`` and then
reports ``NoReply`` (the teller hears the offline beep).
"""

from __future__ import annotations

import argparse
import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from counter import flow as f
from counter.errors import CounterError
from counter.keys import ServiceKey
from counter.texts import Texts
from counter.timers import Timers
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
from lobbyq.core.config import BranchConfig, load_branch_config
from lobbyq.core.errors import ConfigError, InvalidEvent
from lobbyq.core.events import WaitAlert, event_from_dict
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


def service_keys(config: BranchConfig) -> tuple[ServiceKey, ...]:
    """The services as the keypad types them: code, prefix and the width the engine prints."""
    return tuple(ServiceKey(s.code, s.prefix, s.width) for s in config.services)


def decode_events(raw: Iterable[Mapping[str, Any]], log: logging.Logger) -> tuple[f.Logged, ...]:
    """A reply's event records as the core's typed events, each with its log ``seq``."""
    out: list[f.Logged] = []
    for record in raw:
        seq = record.get("seq")
        try:
            if not isinstance(seq, int) or isinstance(seq, bool):
                raise InvalidEvent(f"{record.get('kind')!r} has no log position (seq)")
            out.append(f.Logged(seq, event_from_dict(record)))
        except InvalidEvent as exc:
            log.warning("ignored an event in a reply: %s", exc)
    return tuple(out)


_PART_OF_EFFECT: dict[type, str] = {
    f.StripShow: "strip",
    f.Beep: "keypad",
    f.KeypadText: "keypad",
    f.KeypadLeds: "keypad",
    f.RatingPrompt: "ratingpad",
}

# What the inbox carries: flow events, device news from the bus master, or None (stop).
_Item = f.Event | BusEvent | None


class CounterApp:
    """One counter: keypad, rating pad and LED strip on a bus, the engine over MQTT."""

    def __init__(
        self,
        counter_id: str,
        bus: Bus,
        bus_url: str | None,
        config: BranchConfig | None = None,
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
        monotonic: Callable[[], float] = time.monotonic,
        logger: logging.Logger | None = None,
    ) -> None:
        config = config if config is not None else BranchConfig.default()
        self.counter_id = counter_id
        self.device = f"counter-{counter_id}"
        self.bus = bus
        self.topics = Topics(branch or config.branch_id)
        self._log = logger or logging.getLogger(f"lobbyq.counter.{counter_id}")
        self._clock = clock
        self._monotonic = monotonic
        self.request_timeout_s = request_timeout_s
        self._resend_after_s = resend_after_s
        self.has_ratingpad = ratingpad_addr is not None
        self.flow_config = f.FlowConfig(
            counter=counter_id,
            services=service_keys(config),
            rating_scale=rating_keys,
            # No pad, no rating timer: otherwise the teller would read "not
            # rated" a minute after every FINISH. The flow's prompt is dropped
            # in _perform_one.
            rating_timeout_s=config.rating_timeout_s if self.has_ratingpad else 0.0,
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
                raise CounterError("give the counter bus URL or a BusMaster")
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
        # The one inbox, and what it takes to keep one order of steps: the flow
        # lock is held while stepping and while taking from the inbox; a fast
        # step happens only under it, with the flow booted and nothing waiting.
        self._inbox: deque[_Item] = deque()
        self._lock = threading.Lock()  # guards the inbox and the counts
        self._has_work = threading.Condition(self._lock)
        self._idle = threading.Condition(self._lock)
        self._unfinished = 1  # items taken in and not yet stepped; the boot picture is one
        self._flow_lock = threading.Lock()
        self._booted = False  # under the flow lock
        self._timers = Timers(self._enqueue, monotonic)
        self._inflight: dict[str, int] = {}  # command id -> flow number
        self._inflight_lock = threading.Lock()
        self._waits: queue.SimpleQueue[tuple[f.Send, str, bytes] | None] = queue.SimpleQueue()
        self._waiter: threading.Thread | None = None
        self._requester: Requester | None = None
        self._thread: threading.Thread | None = None
        self._strip_columns = DEFAULT_STRIP_COLUMNS  # until the strip says (IDENT)
        self._keypad_has_text = True
        self.effects_done = 0

    # -- lifecycle ----------------------------------------------------------------
    def start(self) -> None:
        """Subscribe, start the bus master and the flow thread; returns at once."""
        self._requester = Requester(
            self.bus,
            self.topics,
            self.device,
            resend_after=self._resend_after_s,
            logger=self._log,
            clock=self._monotonic,
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
                    self._on_bus_event(DeviceOnline(addr, self._monotonic(), info, True))
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
        self._enqueue(None)
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

    def wait_idle(self, timeout: float) -> bool:
        """Block until the flow has stepped everything on its inbox (tests, benchmarks)."""
        with self._lock:
            return self._idle.wait_for(lambda: self._unfinished == 0, timeout)

    def pending_timers(self) -> frozenset[str]:
        """The flow's timers still running (``counter.flow`` T_* names; tests, the console)."""
        return self._timers.pending()

    def offline_status(self) -> tuple[str, bytes]:
        """The last-will message for this counter (topic, payload)."""
        msg = StatusMsg(self.device, False, "counter", 0.0, VERSION, {})
        return self.topics.status(self.device), msg.encode()

    # -- inputs (other threads): decode, then the inbox -----------------------------
    def _enqueue(self, item: _Item) -> None:
        """Put an item on the inbox for the flow thread."""
        with self._lock:
            self._inbox.append(item)
            self._unfinished += 1
            self._has_work.notify()

    def _now_or_queued(self, item: f.Event | BusEvent) -> None:
        """Step at once on the calling thread (keys, ratings, replies: the latency path).

        Only when the flow is free, booted and nothing waits on the inbox:
        otherwise the item joins the inbox, so a teller's digits reach the
        flow in the order they were typed.
        """
        if self._flow_lock.acquire(blocking=False):
            try:
                with self._lock:
                    now = self._booted and not self._inbox
                    if now:
                        self._unfinished += 1
                if now:
                    self._step(item)
                    return
            finally:
                self._flow_lock.release()
        self._enqueue(item)

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
            event = event_from_dict(EventMsg.decode(payload).body)
        except (ProtocolError, InvalidEvent) as exc:
            self._log.warning("ignored a bad wait alert: %s", exc)
            return
        if isinstance(event, WaitAlert):
            self._enqueue(f.WaitAlert(event.service, event.number, float(event.waited_s)))

    def _on_connection(self, up: bool) -> None:
        self._enqueue(f.LinkChanged(up))
        if up:
            self._publish_status()

    def _on_bus_event(self, ev: BusEvent) -> None:
        if ev.addr not in self._part_of:
            return
        if isinstance(ev, KeyPressed | RatingGiven):
            self._now_or_queued(ev)
        else:
            self._enqueue(ev)

    def _on_reply(self, topic: str, payload: bytes) -> None:
        """Fast path: a reply is stepped on the MQTT thread, no waiter wake-up on the way."""
        try:
            reply = ReplyMsg.decode(payload)
        except ProtocolError:
            return  # the requester logs it
        n = self._take(reply.id)
        if n is not None:
            self._now_or_queued(self._replied(n, reply))

    def _replied(self, n: int, reply: ReplyMsg) -> f.Replied:
        if not reply.ok:
            self._log.info("command %s refused: %s (%s)", reply.id, reply.code, reply.reason)
        events = decode_events(reply.events, self._log)
        return f.Replied(n, reply.ok, reply.code, reply.reason, events)

    # -- the flow thread --------------------------------------------------------------
    def _run(self) -> None:
        with self._flow_lock:
            try:
                self.state, fx = f.boot(self.state)
                self._perform(fx)
            finally:
                self._step_done()
            self._booted = True
            running = self._drain()  # what came in before the boot picture
        while running:
            with self._has_work:
                self._has_work.wait_for(lambda: bool(self._inbox))
            with self._flow_lock:
                running = self._drain()

    def _drain(self) -> bool:
        """Step the inbox empty, under the flow lock; False once the stop item is taken."""
        while True:
            with self._lock:
                if not self._inbox:
                    return True
                item = self._inbox.popleft()
            if item is None:
                self._booted = False  # stopped: nothing steps any more, not even a late reply
                self._step_done()
                return False
            self._step(item)

    def _step(self, item: f.Event | BusEvent) -> None:
        """One item through the flow and its effects, under the flow lock."""
        try:
            ev = self._bus_news(item) if isinstance(item, BusEvent) else item
            if ev is not None:
                self.state, fx = f.step(self.state, ev)
                self._perform(fx)
        except Exception:
            self._log.exception("the counter flow failed on %r; event dropped", item)
        finally:
            self._step_done()

    def _step_done(self) -> None:
        with self._lock:
            self._unfinished -= 1
            if self._unfinished == 0:
                self._idle.notify_all()

    def _bus_news(self, ev: BusEvent) -> f.Event | None:
        """A bus master event as the flow hears it; device caps and health are noted first."""
        part = self._part_of[ev.addr]
        if isinstance(ev, KeyPressed) and part == "keypad":
            return f.KeyPressed(ev.key)
        if isinstance(ev, RatingGiven) and part == "ratingpad":
            return f.RatingPressed(int(ev.value), int(ev.reason))
        if isinstance(ev, DeviceOnline):
            if part == "strip" and ev.info.caps:
                self._strip_columns = int(ev.info.caps)
            elif part == "keypad":
                self._keypad_has_text = bool(ev.info.caps & KeypadCap.TEXT_LINE)
            elif part == "ratingpad":
                self._check_rating_keys(ev.info.caps & RatingPadCap.KEYS_MASK)
            self._set_health(part, "ok")  # first: the flow's redraw must not be skipped
            return f.DeviceChanged(part, True)
        if isinstance(ev, DeviceOffline):
            self._set_health(part, "offline", ev.reason)
            return f.DeviceChanged(part, False)
        return None

    def _check_rating_keys(self, keys: int) -> None:
        """Warn when the pad says it has other keys than the device file: the scale is off."""
        if keys and keys != self.rating_keys:
            self._log.warning(
                "the rating pad has %d keys but this counter is set for %d (counter.rating_keys)",
                keys,
                self.rating_keys,
            )

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

    # -- commands -------------------------------------------------------------------
    def _send(self, e: f.Send) -> None:
        requester = self._requester
        if requester is None:
            raise CounterError("send before start")
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
                self._enqueue(self._replied(n, reply))

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
    from drivers.mqtt.client import MqttBus
    from lobbyq.runtime.sdnotify import supervise

    log = logging.getLogger("lobbyq.counter")
    try:
        config = load_branch_config(args.branch_config, args.branch)
    except ConfigError as exc:
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
