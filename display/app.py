"""The hall display app (``lobbyq display``): calls on the hall LED, an optional screen, voice.

Constructor (the demo builds it in-process)::

    HallDisplayApp(bus, led_url, *, config=None, branch=None, name="hall", addr=1,
                   zones=None, voice=None, voice_problem=None, screen=None, texts=None,
                   master=None, master_options=None, logger=None)

- ``bus``: a started or unstarted :class:`drivers.mqtt.bus.Bus` (``MqttBus``
  or ``MemoryBus``); the app subscribes at ``start()``.
- ``config`` / ``branch``: the branch (anything with ``branch_id``, such as
  the engine's ``BranchConfig``) or its id; default ``"demo"``.
- ``led_url``: the hall display's serial port URL (``/dev/lobbyq-hall``,
  a pty path of ``HallDisplaySim``, ``spy://...``) or None for no LED.
- ``zones``: how many zones the LED has; None reads it from the display's
  IDENT (its capability byte) when it comes online.
- ``master`` / ``master_options``: a ready ``BusMaster`` for the LED port, or
  keyword arguments for the one the app creates from ``led_url``.
- ``voice``: a :class:`display.voice.VoiceQueue` (started by the app;
  ``display.voice.make_voice(["zh", "en"])`` builds one on pygame.mixer)
  or None for a silent display; ``screen``: a
  :class:`display.screen.HallScreen` or None.
- ``voice_problem``: why the voice the branch asked for could not start (no
  sound card): the display runs silent, its status says ``voice:
  unavailable`` and it raises a ``voice_unavailable`` alert once connected.
  None when the voice runs or was turned off on purpose (``--voice off``).

Data flow: MQTT handlers (the bus thread) fold messages into the pure
:mod:`display.board` under a lock and wake the painter thread, which
lays the board out and sends only changed zones (``HallFrameBuffer``) and
draws the screen. A ``ticket_called`` event is the fast path: it leaves the
engine before the retained state, and its handler paints the LED itself
(under the paint lock) instead of waiting for the painter to wake. The
retained ``state/...`` topics are the truth after a
restart. The device id on MQTT is ``display-<name>``; its retained status
(the shared :class:`lobbyq.runtime.presence.Presence`) reports the parts:

| part | words | alert on entering |
|---|---|---|
| ``hall_led`` | ok, offline | offline (``hall_led_offline``, warning) |
| ``voice`` | ok, unavailable (absent: turned off) | unavailable (``voice_unavailable``) |

The branch queue config (``--branch-config``) may carry display defaults;
``lobbyq display`` options win over them:

| key | default | what |
|---|---|---|
| ``display.voice`` | ``["zh", "en"]`` | announcement languages in order; ``[]``: silent |
"""

from __future__ import annotations

import argparse
import logging
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from display import board as b
from display.voice import Call, VoiceError, VoiceQueue
from drivers.bus.events import BusEvent, DeviceOffline, DeviceOnline
from drivers.bus.master import BusMaster
from drivers.errors import DriverError
from drivers.led.driver import hall_send
from drivers.led.hall import HallFrameBuffer
from drivers.mqtt.bus import Bus
from lobbyq.core import TicketCalled
from lobbyq.core.config import load_branch_and_table
from lobbyq.core.errors import ConfigError
from lobbyq.protocol import views as pv
from lobbyq.protocol.events import LoggedEvent
from lobbyq.protocol.messages import ProtocolError
from lobbyq.protocol.topics import Topics
from lobbyq.runtime.presence import Presence, last_will

DEFAULT_ZONES = 4
SCREEN_REFRESH_S = 0.5
SCROLL_OVER_BYTES = 32  # a zone shows about 16 Chinese characters at once
DEFAULT_VOICE = ("zh", "en")
KIND = "display"

V = TypeVar("V", bound=pv.View)


class HallDisplayApp:
    """Shows the branch's calls on the hall LED (and screen) and announces them."""

    def __init__(
        self,
        bus: Bus,
        led_url: str | None,
        *,
        config: Any | None = None,
        branch: str | None = None,
        name: str = "hall",
        addr: int = 1,
        zones: int | None = None,
        voice: VoiceQueue | None = None,
        voice_problem: str | None = None,
        screen: Any | None = None,
        texts: b.BoardTexts | None = None,
        info_period_s: float = 8.0,
        master: BusMaster | None = None,
        master_options: Mapping[str, Any] | None = None,
        clock: Callable[[], float] = time.time,
        logger: logging.Logger | None = None,
    ) -> None:
        self.bus = bus
        self.topics = Topics(branch or (config.branch_id if config is not None else "demo"))
        self.device = f"display-{name}"
        self.addr = addr
        self.voice = voice
        self.screen = screen
        self.texts = texts or b.BoardTexts()
        self.info_period_s = info_period_s
        self._clock = clock
        self._log = logger or logging.getLogger(f"lobbyq.display.{name}")
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._dirty = True
        self._painting = 0  # paints claimed or under way
        self._announced_seq = -1
        self._paint_lock = threading.Lock()
        self._stop = False
        self.board = b.Board()
        self._zones = zones
        self._fb: HallFrameBuffer | None = HallFrameBuffer(zones) if zones else None
        self._led_online = False
        self._tick = 0
        self.master = master
        if master is None and led_url is not None:
            self.master = BusMaster(
                led_url, name=f"{self.device}-led", devices=[addr], **dict(master_options or {})
            )
        self._own_master = master is None and self.master is not None
        self._thread: threading.Thread | None = None
        self.frames_sent = 0
        self.voice_problem = voice_problem
        self._voice_alerted = False
        health: dict[str, str] = {}
        if self.master is not None:
            health["hall_led"] = "offline"  # until the LED answers
        if voice is not None:
            health["voice"] = "ok"
        elif voice_problem is not None:
            health["voice"] = "unavailable"
        self.presence = Presence(
            bus, self.topics, self.device, KIND, health=health, clock=clock, logger=self._log
        )

    # -- lifecycle -------------------------------------------------------------
    def start(self) -> None:
        t = self.topics
        self.bus.subscribe(t.evt("ticket_called"), self._on_called)
        self.bus.subscribe(t.state_calls, self._on_calls)
        self.bus.subscribe(t.state_counter_all, self._on_counter)
        self.bus.subscribe(t.state_notice, self._on_notice)
        self.presence.attach()
        self.bus.on_connection(self._on_connection)
        if self.master is not None:
            self.master.subscribe(self._on_bus_event)
            if self._own_master:
                self.master.start()
            else:
                self.master.watch(self.addr)
                info = self.master.info(self.addr)
                if self.master.online(self.addr) and info is not None:
                    # It came online before we listened: take it as news now.
                    self._on_bus_event(DeviceOnline(self.addr, time.monotonic(), info, True))
        if self.voice is not None:
            self.voice.start()
        self._thread = threading.Thread(target=self._paint_loop, name=self.device, daemon=True)
        self._thread.start()
        if self.bus.connected:
            self.presence.online()
            self._on_connection(True)

    def alive(self) -> bool:
        """Whether the painter thread runs (the service watchdog asks)."""
        return self._thread is not None and self._thread.is_alive()

    def stop(self) -> None:
        """Stop painting and speaking; the retained status turns offline."""
        if self.bus.connected:
            self.presence.offline()
        with self._wake:
            self._stop = True
            self._wake.notify_all()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
        if self.voice is not None:
            self.voice.stop()
        if self.master is not None and self._own_master:
            self.master.close()

    # -- MQTT side (bus thread): fold and wake ----------------------------------
    def _update(self, fn: Callable[[b.Board], b.Board]) -> None:
        with self._wake:
            new = fn(self.board)
            if new is not self.board:
                self.board = new
                self._dirty = True
                self._wake.notify_all()

    def _on_called(self, topic: str, payload: bytes) -> None:
        try:
            logged = LoggedEvent.decode(payload)
            ev = logged.expect(TicketCalled)
        except ProtocolError as exc:
            self._log.warning("ignored a bad ticket_called event: %s", exc)
            return
        seq = logged.seq
        before = self.board.calls_seq
        self._update(lambda bd: b.on_called(bd, seq, ev))
        if self.board.calls_seq > before and self._thread is not None:
            self._paint_latest(screen=False)  # the painter thread follows for the screen
        with self._wake:
            # Its own watermark: a snapshot that overtook the event must not silence the call,
            # and a redelivered event (same seq) must not say it twice.
            fresh = seq > self._announced_seq
            self._announced_seq = max(self._announced_seq, seq)
        if self.voice is not None and fresh:
            self.voice.announce(Call(ev.number, ev.counter, ev.recall))

    def _state(
        self, topic: str, payload: bytes, decode: Callable[[bytes], pv.Retained[V]]
    ) -> pv.Retained[V] | None:
        if not payload:
            return None  # a retained topic being cleared
        try:
            return decode(payload)
        except ProtocolError as exc:
            self._log.warning("ignored bad state on %s: %s", topic, exc)
            return None

    def _on_calls(self, topic: str, payload: bytes) -> None:
        msg = self._state(topic, payload, pv.decode_calls)
        if msg is not None:
            self._update(lambda bd: b.on_calls_state(bd, msg.seq, msg.view))

    def _on_counter(self, topic: str, payload: bytes) -> None:
        msg = self._state(topic, payload, pv.decode_counter)
        if msg is not None:
            self._update(lambda bd: b.on_counter_state(bd, msg.seq, msg.view))

    def _on_notice(self, topic: str, payload: bytes) -> None:
        msg = self._state(topic, payload, pv.decode_notice)
        if msg is not None:
            self._update(lambda bd: b.on_notice_state(bd, msg.seq, msg.view))

    # -- LED side ------------------------------------------------------------------
    def _on_bus_event(self, ev: BusEvent) -> None:
        if ev.addr != self.addr:
            return
        if isinstance(ev, DeviceOnline):
            with self._wake:
                zones = self._zones or ev.info.caps or DEFAULT_ZONES
                if self._fb is None or self._fb.zone_count != zones:
                    self._fb = HallFrameBuffer(zones)
                self._fb.invalidate()
                self._led_online = True
                self._dirty = True
                self._wake.notify_all()
            self.presence.set("hall_led", "ok")
        elif isinstance(ev, DeviceOffline):
            with self._wake:
                self._led_online = False
            self._log.warning("hall LED offline: %s", ev.reason)
            if self.presence.set("hall_led", "offline"):
                self.presence.alert("hall_led_offline", "warning", f"hall LED: {ev.reason}")

    def _paint_loop(self) -> None:
        next_info = time.monotonic() + self.info_period_s
        while True:
            with self._wake:
                while not self._dirty and not self._stop:
                    left = next_info - time.monotonic()
                    if left <= 0:
                        break
                    if self.screen is not None and left > SCREEN_REFRESH_S:
                        # A window must be redrawn and its events read now and then.
                        if not self._wake.wait(SCREEN_REFRESH_S):
                            break
                        continue
                    self._wake.wait(left)
                if self._stop:
                    return
                if time.monotonic() >= next_info:
                    self._tick += 1
                    next_info = time.monotonic() + self.info_period_s
                self._dirty = False
                self._painting += 1  # claimed under the same lock: wait_idle sees no gap
            self._paint_latest(screen=True, claimed=True)

    def _paint_latest(self, *, screen: bool, claimed: bool = False) -> None:
        """Show the newest board on the LED (and the screen, from the painter thread only).

        The paint lock keeps one painter at a time: a ``ticket_called`` paints
        the LED right on the MQTT thread (no wake-up on the way to the hall),
        and the painter thread does everything else.
        """
        if not claimed:
            with self._wake:
                self._painting += 1
        with self._paint_lock:
            with self._wake:
                board = self.board
                fb = self._fb
                online = self._led_online
            try:
                self._paint(board, fb, online)
                if screen and self.screen is not None:
                    self.screen.draw(board, self._tick)
            except Exception:
                self._log.exception("painting the hall display failed")
            finally:
                with self._wake:
                    self._painting -= 1

    def _paint(self, board: b.Board, fb: HallFrameBuffer | None, online: bool) -> None:
        if fb is not None and self.master is not None and online:
            lines = b.layout(board, fb.zone_count, self.texts, self._tick)
            last = len(lines) - 1
            for i, (text, blink) in enumerate(lines):
                # Calls stand still to be read at a glance; a long notice or info line scrolls.
                long = len(text.encode("gb18030")) > SCROLL_OVER_BYTES
                fb.set_zone(i, text, blink=blink, scroll=i == last and i > 0 and long)
            try:
                master = self.master
                self.frames_sent += fb.flush(lambda msg: hall_send(master, self.addr, msg))
            except DriverError as exc:
                fb.invalidate()
                self._log.warning("hall LED update failed (%s); will redraw", exc)

    # -- status --------------------------------------------------------------------
    def _on_connection(self, up: bool) -> None:
        """The display's alert policy on connect: a voice that could not start, said once."""
        if not up or self.voice_problem is None:
            return
        with self._lock:
            first, self._voice_alerted = not self._voice_alerted, True
        if first:
            self.presence.alert(
                "voice_unavailable",
                "warning",
                f"the hall display runs without voice: {self.voice_problem}",
            )

    @property
    def health(self) -> dict[str, str]:
        """Each part's health word now (``hall_led``, ``voice``)."""
        return self.presence.health

    def offline_status(self) -> tuple[str, bytes]:
        """The last-will message for this display (topic, payload)."""
        return self.presence.will()

    def wait_idle(self, timeout: float) -> bool:
        """Block until the painter has shown the latest board (tests, benchmarks)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if not self._dirty and not self._painting:
                    return True
            time.sleep(0.002)
        return False


# -- command line ------------------------------------------------------------------


def voice_langs(option: str | None, branch_config: str | Path | None) -> tuple[str, ...]:
    """The announcement languages: ``--voice``, else the branch's ``[display] voice``, else zh, en.

    The branch file is read with the core's one loader, so a broken file
    reads the same here as at the engine. ``()`` means a silent display.
    Raises ``VoiceError`` for a malformed value and ``ConfigError`` for an
    unreadable or invalid file.
    """
    if option is not None:
        if option.strip() == "off":
            return ()
        return tuple(x.strip() for x in option.split(",") if x.strip())
    if branch_config is None:
        return DEFAULT_VOICE
    _config, table = load_branch_and_table(branch_config, "display")
    if "voice" not in table:
        return DEFAULT_VOICE
    langs = table["voice"]
    if not isinstance(langs, list) or not all(isinstance(x, str) and x for x in langs):
        raise VoiceError(
            f'{Path(branch_config).name}: display.voice must be a list like ["zh", "en"]'
        )
    return tuple(langs)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--broker", required=True, help="broker URL, e.g. mqtt://127.0.0.1:1883")
    parser.add_argument("--branch", default="demo", help="branch id")
    parser.add_argument(
        "--branch-config", help="branch queue config (TOML); its [display] table sets defaults"
    )
    parser.add_argument("--name", default="hall", help="display name (device id display-<name>)")
    parser.add_argument("--led", help="hall LED serial port URL (omit for none)")
    parser.add_argument("--addr", type=int, default=1, help="hall LED bus address")
    parser.add_argument("--zones", type=int, help="LED zones (default: as the display reports)")
    parser.add_argument(
        "--voice",
        help="announcement languages in order (zh,yue,en,es) or 'off'"
        " (default: [display] voice of the branch config, else zh,en)",
    )
    parser.add_argument("--clips", help="voice clip folder (default: assets/voice)")
    parser.add_argument(
        "--info", action="append", help="idle info line (repeat for several; they rotate)"
    )
    parser.add_argument("--screen", action="store_true", help="also draw on an HDMI screen")
    parser.add_argument("--fullscreen", action="store_true", help="screen: fill the display")


def run(args: argparse.Namespace) -> int:
    from display.voice import make_voice
    from drivers.mqtt.client import MqttBus
    from lobbyq.runtime.sdnotify import supervise

    log = logging.getLogger("lobbyq.display")
    try:
        langs = voice_langs(args.voice, args.branch_config)
    except (ConfigError, VoiceError) as exc:
        log.error("cannot read the branch config: %s", exc)
        return 2
    voice = None
    voice_problem = None
    if langs:
        try:
            voice = make_voice(langs, clips=Path(args.clips) if args.clips else None)
        except VoiceError as exc:
            # The calls must still reach the hall LED: run silent, and say so in the
            # status and an alert rather than leave the board dark in a restart loop.
            voice_problem = str(exc)
            log.error(
                "voice unavailable: %s; the display runs without voice"
                ' (--voice off, or display.voice = "off" in the device file, silences this)',
                exc,
            )
    screen = None
    if args.screen:
        from display.screen import HallScreen

        screen = HallScreen(fullscreen=args.fullscreen)
    topics = Topics(args.branch)
    device = f"display-{args.name}"
    bus = MqttBus(args.broker, device, will=last_will(topics, device, KIND))
    app = HallDisplayApp(
        bus,
        args.led,
        branch=args.branch,
        name=args.name,
        addr=args.addr,
        zones=args.zones,
        voice=voice,
        voice_problem=voice_problem,
        screen=screen,
        texts=b.BoardTexts(info=tuple(args.info)) if args.info else None,
    )
    app.start()
    bus.start()
    print(f"display {device} on {bus.url.redacted()} branch {args.branch}", flush=True)
    try:
        return supervise(
            app.alive,
            f"{device} serving" + (" without voice" if voice_problem else ""),
            pump=screen.pump if screen is not None else None,
            logger=log,
            link=bus,
            where=bus.url.redacted(),
        )
    finally:
        app.stop()
        bus.stop()
