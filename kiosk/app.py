"""The lobby kiosk: ``lobbyq kiosk`` and the :class:`KioskApp` the demo embeds.

The shell around the pure flow (``kiosk.ui.flow``). One pygame main loop owns
the screen; everything else (MQTT deliveries, card/ID/QR readers, engine
replies, printer results) arrives on other threads and is put in an inbox.
The loop blocks on that inbox until an item or the flow's next deadline (idle
timeout, next slide) and repaints only when the state changed. It does not
sleep in ``pygame.event.wait``: SDL implements that timeout by polling every
millisecond on the dummy and KMSDRM video drivers (about 3 % of a core on
its own). With a panel, SDL's input queue is pumped every ``input_poll_s``
(20 ms: 50 cheap pumps a second, touch latency under one frame); headless
there is no SDL input, so the loop sleeps until there is work.

Constructor (what the demo passes)::

    KioskApp(
        bus,                      # drivers.mqtt Bus: MemoryBus or MqttBus
        config,                   # lobbyq.core.config.BranchConfig
        printer="/dev/pts/7",     # URL for drivers.printer.device.TicketPrinter,
                                  # or any object with print_ticket(TicketData)
        kiosk={"device": "kiosk-1"},  # the [kiosk] table (kiosk.ui.content)
        card=url, idcard=url, qr=url, # reader URLs (optional)
        hasher=IdentityHasher(secret),  # needed when a reader URL is given
        directory=SqliteDirectory(path),  # optional customer directory
        headless=True,            # SDL dummy video: no window
    )
    app.run()                     # on the main thread, until app.stop()

Thread-safe entry points: ``tap_service(code)``, ``inject_touch(x, y)``,
``save_screenshot(path)``, ``stop()``. With a real broker, register
``last_will(branch, device)`` as the ``MqttBus`` will so the retained status
turns offline if the kiosk dies; the kiosk publishes the online status
(with health) itself at start and on every reconnect.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import os
import queue
import threading
import time
import tomllib
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from drivers.identity import Identity, IdentityHasher
from drivers.mqtt.bus import Bus
from drivers.mqtt.request import EngineUnavailable, Requester
from drivers.screen.fonts import ScreenFontError
from kiosk.directory import CustomerDirectory, EmptyDirectory, Entry
from kiosk.health import Alert, Health, printer_error_word, printer_word
from kiosk.i18n import Catalogs
from kiosk.ui import KioskError, engine_io
from kiosk.ui.content import Content, build_content, default_assets_dir, load_slides
from kiosk.ui.flow import (
    Appointment,
    Customer,
    CustomerClass,
    EngineLink,
    Event,
    Express,
    FlowState,
    Identified,
    IdentifyFailed,
    Issued,
    IssueFailed,
    NoticeChanged,
    Printed,
    PrintTicket,
    RequestTicket,
    Rules,
    Tap,
    Tick,
    initial,
    next_wakeup,
    step,
)
from kiosk.ui.layout import Button, Frame, View, layout, notice_text
from lobbyq.core.config import BranchConfig
from lobbyq.core.errors import ConfigError
from lobbyq.protocol.messages import AlertMsg, EventMsg, ProtocolError, StateMsg, StatusMsg
from lobbyq.protocol.topics import Topics
from lobbyq.runtime.sdnotify import Notifier
from lobbyq.runtime.version import VERSION

if TYPE_CHECKING:
    import pygame

    from drivers.printer.ticket import TicketData
    from kiosk.ui.paint import Painter

MAX_SLEEP_S = 30.0
MAX_ABANDONED = 256


class TicketSink(Protocol):
    """What the kiosk needs from a printer: print one ticket or raise a ``PrinterError``."""

    def print_ticket(self, ticket: TicketData) -> None: ...


class KioskApp:
    """One lobby kiosk: touch flow, readers, printer and MQTT, on one pygame loop."""

    def __init__(
        self,
        bus: Bus,
        config: BranchConfig,
        *,
        printer: TicketSink | str | None = None,
        kiosk: Mapping[str, Any] | None = None,
        card: str | None = None,
        idcard: str | None = None,
        qr: str | None = None,
        hasher: IdentityHasher | None = None,
        directory: CustomerDirectory | None = None,
        headless: bool = False,
        size: tuple[int, int] = (1280, 800),
        assets: Path | None = None,
        request_timeout: float = 3.0,
        print_timeout: float = 5.0,
        input_poll_s: float | None = None,
        logger: logging.Logger | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        notifier: Notifier | None = None,
    ) -> None:
        self.config = config
        self.notifier = notifier or Notifier(None)
        self.assets = assets or default_assets_dir()
        self.catalogs = Catalogs.load(self.assets / "locale")
        slides = load_slides(self.assets / "slides")
        self.content: Content = build_content(config, kiosk or {}, self.catalogs, slides)
        self.device = self.content.device
        self.log = logger or logging.getLogger(f"lobbyq.kiosk.{self.device}")
        self.bus = bus
        self.topics = Topics(config.branch_id)
        self.headless = headless
        self.size = size
        self.request_timeout = request_timeout
        self.print_timeout = print_timeout
        self.input_poll_s = (
            input_poll_s if input_poll_s is not None else (None if headless else 0.02)
        )
        self.clock = clock
        self.wall = wall
        self.hasher = hasher
        self.directory: CustomerDirectory = directory or EmptyDirectory()
        self._printer_arg = printer
        self.printer: TicketSink | None = printer if not isinstance(printer, str) else None
        self._reader_urls = {"card": card, "idcard": idcard, "qr": qr}
        if any(self._reader_urls.values()) and hasher is None:
            raise KioskError("a reader is configured but no IdentityHasher (branch secret) given")
        self.rules = Rules(
            services=tuple(s.code for s in config.services),
            machine_services=frozenset(s.code for s in self.content.services if s.machine),
            idle_s=self.content.idle_s,
            debounce_s=self.content.debounce_s,
            ticket_s=self.content.ticket_s,
            slide_s=self.content.slide_s,
            slides=len(self.content.slides),
            default_lang=self.content.default_lang,
        )
        self.state: FlowState = initial(self.rules, clock())
        self.queue: dict[str, tuple[int, float | None]] = {}
        parts = {"printer": "ok" if printer is not None else "absent"}
        # Configured readers count as offline until their link comes up.
        parts.update({part: "offline" for part, url in self._reader_urls.items() if url})
        self.health = Health(parts)
        self._health_lock = threading.Lock()
        self._inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._running = threading.Event()
        # Commands given up on, oldest first; bounded so a long outage cannot grow it.
        self._abandoned: dict[str, None] = {}
        self._abandoned_lock = threading.Lock()
        self._print_deadline: tuple[int, float] | None = None
        self._request_pool = ThreadPoolExecutor(1, thread_name_prefix=f"{self.device}-engine")
        self._print_pool = ThreadPoolExecutor(1, thread_name_prefix=f"{self.device}-printer")
        self._readers: list[Any] = []
        self._requester: Requester | None = None
        self._pygame_ready = False
        self._surface: pygame.Surface | None = None
        self._painter: Painter | None = None
        self._frame: Frame | None = None
        self._dirty = True
        self.first_frame_at: float | None = None
        self.started_at = clock()

    # -- thread-safe entry points ---------------------------------------

    def tap_service(self, code: str, customer_class: CustomerClass = "normal") -> None:
        """Issue a ticket for ``code`` as a customer who skips identification would."""
        self._post(Express(code, customer_class, self.clock()))

    def inject_touch(self, x: float, y: float) -> None:
        """A touch at screen pixel ``(x, y)``, as if from the panel."""
        self._inbox.put(("touch", x, y))

    def buttons(self) -> tuple[Button, ...]:
        """The buttons of the screen shown now (frames are immutable: safe to read anywhere)."""
        frame = self._frame
        return frame.buttons if frame is not None else ()

    def save_screenshot(self, path: str | os.PathLike[str], timeout: float = 5.0) -> bool:
        """Write the current screen as PNG; waits for the main loop when called elsewhere."""
        if self._running.is_set() and threading.current_thread() is not self._loop_thread:
            done = threading.Event()
            self._inbox.put(("shot", Path(path), done))
            return done.wait(timeout)
        self._ensure_pygame()
        self._repaint()
        self._save(Path(path))
        return True

    def stop(self) -> None:
        self._stop.set()
        self._wake()

    # -- lifecycle ---------------------------------------------------------

    def start_io(self) -> None:
        """Subscribe, open the printer and readers, publish the birth status."""
        t = self.topics
        self._requester = Requester(self.bus, t, self.device, logger=self.log)
        self.bus.subscribe(t.state_queue, self._on_queue_state)
        self.bus.subscribe(t.state_notice, self._on_notice_state)
        self.bus.subscribe(t.evt("ticket_issued"), self._on_ticket_event)
        self.bus.subscribe(t.status("engine"), self._on_engine_status)
        self.bus.on_connection(self._on_connection)
        # The link may have come up (or failed) before we listened: say how it is now.
        self._post(EngineLink(self.bus.connected and self._engine_online, self.clock()))
        # The printer opens on its own thread (python-escpos takes a second to
        # import, the port up to a second to appear) so the screen stays live;
        # a ticket issued meanwhile queues behind it on the same thread.
        if isinstance(self._printer_arg, str):
            self._print_pool.submit(self._open_printer_bg, self._printer_arg)
        else:
            self._print_pool.submit(importlib.import_module, "drivers.printer.ticket")
        self._open_readers()
        self.publish_status(online=True)

    def close_io(self) -> None:
        """Close readers and printer and publish "offline"; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        for r in self._readers:
            try:
                r.close()
            except Exception:
                self.log.exception("closing a reader failed")
        close = getattr(self.printer, "close", None)
        if isinstance(self._printer_arg, str) and callable(close):
            close()
        self.publish_status(online=False)
        self._request_pool.shutdown(wait=False, cancel_futures=True)
        self._print_pool.shutdown(wait=False, cancel_futures=True)

    def run(self, max_seconds: float | None = None) -> int:
        """The main loop, on the calling (main) thread, until ``stop()``."""
        self._loop_thread = threading.current_thread()
        self._ensure_pygame()
        self._repaint()  # the customer sees the kiosk before the devices are up
        self.start_io()
        self._running.set()
        self.notifier.ready(f"{self.device} serving")
        end = None if max_seconds is None else self.clock() + max_seconds
        import pygame

        try:
            while not self._stop.is_set():
                now = self.clock()
                if end is not None and now >= end:
                    break
                with contextlib.suppress(queue.Empty):
                    self._handle_item(self._inbox.get(timeout=self._sleep_s(now, end)))
                for ev in pygame.event.get():
                    self._handle_pg(ev)
                self._drain_inbox()
                self._watch_print(self.clock())
                self._feed(Tick(self.clock()))
                if self._dirty:
                    self._repaint()
                # From the loop itself, so a hung screen stops the pings and
                # systemd restarts the kiosk.
                self.notifier.watchdog()
        finally:
            self.notifier.stopping()
            self._running.clear()
            self.close_io()
        return 0

    _loop_thread: threading.Thread | None = None
    _closed = False

    # -- the flow ----------------------------------------------------------

    def _post(self, event: Event) -> None:
        self._inbox.put(event)

    def _feed(self, event: Event) -> None:
        before = self.state
        self.state, effects = step(self.state, event, self.rules)
        if self.state != before:
            self._dirty = True
        for eff in effects:
            if isinstance(eff, RequestTicket):
                self._request_pool.submit(self._request, eff)
            elif isinstance(eff, PrintTicket):
                self._print_deadline = (eff.issue_no, self.clock() + self.print_timeout)
                notice = dict(self.state.notice) if self.state.notice else None
                self._print_pool.submit(self._print, eff, notice)

    def _drain_inbox(self) -> None:
        while True:
            try:
                item = self._inbox.get_nowait()
            except queue.Empty:
                return
            self._handle_item(item)

    def _handle_item(self, item: Any) -> None:
        if item is None:
            return  # a bare wake-up
        if isinstance(item, tuple):
            if item[0] == "touch":
                self._touch(item[1], item[2])
            elif item[0] == "shot":
                self._repaint()
                self._save(item[1])
                item[2].set()
            elif item[0] == "queue" and item[1] != self.queue:
                self.queue = item[1]
                self._dirty = True
        else:
            self._feed(item)

    def _touch(self, x: float, y: float) -> None:
        frame = self._frame or layout(self.state, self._view())
        target = frame.hit(x, y)
        if target is not None:
            self._feed(Tap(target, self.clock()))

    def _watch_print(self, now: float) -> None:
        pd = self._print_deadline
        if pd is not None and now >= pd[1]:
            self._print_deadline = None
            if self.state.printing == "printing" and self.state.issue_no == pd[0]:
                self.log.warning(
                    "printer gave no answer in %.1fs; number stays on screen", self.print_timeout
                )
                self._feed(Printed(pd[0], "slow", now))
                self._set_health("printer", "slow")

    def _sleep_s(self, now: float, end: float | None) -> float:
        """How long the loop may block: the next deadline, or the input poll with a panel."""
        times = [t for t in (next_wakeup(self.state, self.rules), end) if t is not None]
        if self._print_deadline is not None:
            times.append(self._print_deadline[1])
        wait = (min(times) - now + 0.001) if times else MAX_SLEEP_S
        if self.input_poll_s is not None:
            wait = min(wait, self.input_poll_s)
        if self.notifier.watchdog_interval:
            wait = min(wait, self.notifier.watchdog_interval / 3)
        return max(0.0005, min(wait, MAX_SLEEP_S))

    # -- engine ------------------------------------------------------------

    def _request(self, eff: RequestTicket) -> None:
        assert self._requester is not None
        fields = engine_io.command_fields(eff)
        cmd_id, payload = self._requester.submit("issue_ticket", **fields)
        try:
            reply = self._requester.wait(cmd_id, payload, self.request_timeout)
        except EngineUnavailable:
            with self._abandoned_lock:
                self._abandoned[cmd_id] = None
                while len(self._abandoned) > MAX_ABANDONED:
                    self._abandoned.pop(next(iter(self._abandoned)))
            self.log.warning("engine did not answer issue_ticket %s; nothing shown", cmd_id)
            self._set_health("engine", "unreachable")
            self._post(IssueFailed(eff.issue_no, "unavailable", "timeout", self.clock()))
            return
        except Exception:
            self.log.exception("issue_ticket failed")
            self._post(IssueFailed(eff.issue_no, "unavailable", "error", self.clock()))
            return
        self._set_health("engine", "ok")
        ticket = engine_io.ticket_from_reply(reply.events) if reply.ok else None
        if ticket is None:
            reason = reply.code or engine_io.refusal_of(reply.events) or "no ticket in reply"
            self.log.info("engine refused issue_ticket for %s: %s", eff.service, reason)
            self._post(IssueFailed(eff.issue_no, "refused", reason, self.clock()))
            return
        self._post(Issued(eff.issue_no, ticket, self.clock()))

    def _on_ticket_event(self, topic: str, payload: bytes) -> None:
        """A ticket issued for a command we gave up on: cancel it, it is on no screen."""
        try:
            ev = EventMsg.decode(payload)
        except ProtocolError:
            return
        cmd_id = ev.body.get("command_id")
        with self._abandoned_lock:
            orphan = isinstance(cmd_id, str) and cmd_id in self._abandoned
            if orphan:
                self._abandoned.pop(str(cmd_id), None)
        number = ev.body.get("number")
        if orphan and isinstance(number, str) and self._requester is not None:
            self.log.warning("ticket %s was issued after the kiosk gave up; cancelling it", number)
            self._requester.submit("cancel", ticket=number)

    def _on_queue_state(self, topic: str, payload: bytes) -> None:
        try:
            view = engine_io.queue_view(StateMsg.decode(payload).body)
        except ProtocolError as exc:
            self.log.warning("ignored a bad queue state: %s", exc)
            return
        self._inbox.put(("queue", view))

    def _on_notice_state(self, topic: str, payload: bytes) -> None:
        if not payload:
            self._post(NoticeChanged(None, self.clock()))
            return
        try:
            notice = engine_io.notice_of(StateMsg.decode(payload).body)
        except ProtocolError as exc:
            self.log.warning("ignored a bad notice: %s", exc)
            return
        self._post(NoticeChanged(notice, self.clock()))

    def _on_engine_status(self, topic: str, payload: bytes) -> None:
        """The engine's retained birth / last will: it is up only when both links are."""
        try:
            st = StatusMsg.decode(payload)
        except ProtocolError:
            return
        self._engine_online = st.online
        self._post(EngineLink(self._engine_online and self.bus.connected, self.clock()))

    def _on_connection(self, up: bool) -> None:
        self._post(EngineLink(up and self._engine_online, self.clock()))
        if up:
            self.publish_status(online=True)

    _engine_online = True  # until the engine's retained status says otherwise

    # -- printing ----------------------------------------------------------

    def _open_printer_bg(self, url: str) -> None:
        try:
            self.printer = self._open_printer(url)
        except Exception as exc:
            self.log.error("printer at %s not opened: %s", url, exc)
            self._set_health("printer", "offline")

    def _open_printer(self, url: str) -> TicketSink:
        from PIL import Image

        from drivers.printer.device import TicketPrinter
        from drivers.printer.profiles import get_profile

        # The print logo is line art: the screen logo's blue fields would print solid black.
        logo_path = self.assets / "images" / "logo-print.png"
        logo = Image.open(logo_path).convert("L") if logo_path.exists() else None
        printer = TicketPrinter(
            url,
            get_profile(self.content.printer_profile),
            logo=logo,
            name=f"{self.device}-printer",
            on_status=self._on_printer_status,
        )
        printer.open(wait=1.0)
        printer.status()
        printer.start_watch(5.0)
        return printer

    def _on_printer_status(self, status: Any) -> None:
        self._set_health("printer", printer_word(status))

    def _ticket_data(self, eff: PrintTicket, notice: Mapping[str, str] | None = None) -> TicketData:
        tr = self.catalogs[eff.lang]
        issued = engine_io.local_time(self.wall(), self.config.utc_offset_min, self.config.zone)
        return engine_io.ticket_data(self.content, tr, eff.ticket, issued, notice_text(notice, tr))

    def _print(self, eff: PrintTicket, notice: Mapping[str, str] | None) -> None:
        """On the printer thread: build and print one ticket, report how it went."""
        issue_no = eff.issue_no
        try:
            data = self._ticket_data(eff, notice)
        except Exception:
            self.log.exception("ticket %s could not be laid out", eff.ticket.number)
            self._post(Printed(issue_no, "fault", self.clock()))
            return
        if self.printer is None:
            self._post(Printed(issue_no, "offline", self.clock()))
            return
        try:
            self.printer.print_ticket(data)
        except Exception as exc:
            word = printer_error_word(exc)
            self.log.warning(
                "ticket %s not printed (%s); number stays on screen", data.number, word
            )
            self._set_health("printer", word)
            self._post(Printed(issue_no, word, self.clock()))
            return
        self._post(Printed(issue_no, None, self.clock()))

    # -- identification ------------------------------------------------------

    def _open_readers(self) -> None:
        specs = (
            ("card", "drivers.magstripe.device", "CardReader"),
            ("idcard", "drivers.idcard.device", "IdCardReader"),
            ("qr", "drivers.qrscan.device", "QrScanner"),
        )

        for part, module, cls_name in specs:
            url = self._reader_urls[part]
            if not url:
                continue
            try:
                cls = getattr(importlib.import_module(module), cls_name)
                on_health = self._reader_health(part)
                callback = self.on_appointment if part == "qr" else self.on_identity
                reader = cls(
                    url,
                    self.hasher,
                    callback,
                    on_health,
                    self.log.getChild(part),
                    on_reject=self.on_reject,
                )
                reader.start()
                self._readers.append(reader)
            except Exception as exc:
                self.log.error("%s reader at %s not started: %s", part, url, exc)
                self._set_health(part, "offline", str(exc))

    def _reader_health(self, part: str) -> Callable[[Any], None]:
        def on_health(h: Any) -> None:
            self._set_health(part, "ok" if h.online else "offline", getattr(h, "reason", ""))

        return on_health

    def on_identity(self, identity: Identity) -> None:
        """A card or ID card was read (reader thread): look it up and tell the flow."""
        entry = self._lookup(identity)
        booking = entry.booking if entry else None
        customer = Customer(
            kind=identity.kind,
            hash=identity.hash,
            masked=identity.masked,
            tier=entry.tier if entry else "normal",
            appointment=Appointment(booking.ref, booking.due, booking.service) if booking else None,
        )
        self._post(Identified(customer, self.clock(), self.wall()))

    def on_appointment(self, appt: Any) -> None:
        """An appointment code was scanned (reader thread)."""
        identity: Identity = appt.identity if hasattr(appt, "identity") else appt
        entry = self._lookup(identity)
        if entry is None or entry.booking is None:
            self._post(IdentifyFailed("unknown-appointment", self.clock()))
            return
        b = entry.booking
        customer = Customer(
            kind=identity.kind,
            hash=identity.hash,
            masked=identity.masked,
            tier=entry.tier,
            appointment=Appointment(b.ref, b.due, b.service),
        )
        self._post(Identified(customer, self.clock(), self.wall()))

    def on_reject(self, reason: str) -> None:
        self._post(IdentifyFailed(reason.split(":")[0], self.clock()))

    def _lookup(self, identity: Identity) -> Entry | None:
        try:
            return self.directory.lookup(identity, self.wall())
        except Exception:
            self.log.exception("directory lookup failed; serving %s as a walk-in", identity.masked)
            return None

    # -- health --------------------------------------------------------------

    def _set_health(self, part: str, word: str, text: str = "") -> None:
        with self._health_lock:
            before = self.health
            self.health, alert = before.set(part, word, text)
            changed = self.health is not before
        if changed:
            self.publish_status(online=True)
        if alert is not None:
            self._publish_alert(alert)

    def _publish_alert(self, alert: Alert) -> None:
        text = self.catalogs["en"](alert.text)
        msg = AlertMsg(self.device, alert.code, alert.level, text, self.wall())
        self.log.warning("alert %s (%s): %s", alert.code, alert.level, text)
        self.bus.publish(self.topics.alert(self.device), msg.encode(), qos=1)

    def status_message(self, online: bool) -> StatusMsg:
        with self._health_lock:
            parts = dict(self.health.parts)
        return StatusMsg(self.device, online, "kiosk", self.wall(), VERSION, parts)

    def publish_status(self, online: bool) -> None:
        msg = self.status_message(online)
        self.bus.publish(self.topics.status(self.device), msg.encode(), qos=1, retain=True)

    # -- drawing ---------------------------------------------------------------

    def _view(self, state: FlowState | None = None) -> View:
        s = state or self.state
        payload = engine_io.qr_payload(self.content.branch_id, s.ticket) if s.ticket else ""
        return View(
            self.content,
            {lang: self.catalogs[lang] for lang in self.catalogs.langs()},
            self.size[0],
            self.size[1],
            self.queue,
            payload,
        )

    def _ensure_pygame(self) -> None:
        if self._pygame_ready:
            return
        os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
        if self.headless:
            os.environ["SDL_VIDEODRIVER"] = "dummy"
            os.environ["SDL_AUDIODRIVER"] = "dummy"
        import pygame
        import pygame.freetype

        from drivers.screen.fonts import FontBook
        from kiosk.ui.paint import Painter

        pygame.display.init()
        pygame.freetype.init()
        flags = 0 if self.headless else pygame.NOFRAME
        self._surface = pygame.display.set_mode(self.size, flags)
        pygame.display.set_caption("lobbyq kiosk")
        pygame.event.set_blocked(None)
        pygame.event.set_allowed(
            [pygame.QUIT, pygame.MOUSEBUTTONDOWN, pygame.KEYDOWN, pygame.WINDOWEXPOSED]
        )
        fonts = FontBook(self.log.getChild("fonts"))
        fonts.preload([self.state.lang])
        self._painter = Painter(fonts, self.assets / "images" / "logo.png")
        self._pygame_ready = True

    def _wake(self) -> None:
        """Unblock the loop (stop, or a state change made outside it)."""
        self._inbox.put(None)

    def _handle_pg(self, ev: Any) -> None:
        import pygame

        if ev.type == pygame.QUIT:
            self._stop.set()
        elif ev.type == pygame.MOUSEBUTTONDOWN and getattr(ev, "button", 1) == 1:
            self._touch(*ev.pos)
        elif ev.type == pygame.KEYDOWN and ev.key == pygame.K_ESCAPE and not self.headless:
            self._stop.set()
        elif ev.type == pygame.WINDOWEXPOSED:
            self._dirty = True  # the compositor lost our pixels: paint again

    def _repaint(self) -> None:
        import pygame

        assert self._surface is not None and self._painter is not None
        self._frame = layout(self.state, self._view())
        self._painter.paint(self._surface, self._frame)
        pygame.display.flip()
        self._dirty = False
        if self.first_frame_at is None:
            self.first_frame_at = self.clock()

    def _save(self, path: Path) -> None:
        import pygame

        assert self._surface is not None
        path.parent.mkdir(parents=True, exist_ok=True)
        pygame.image.save(self._surface, str(path))

    def render_state(self, state: FlowState, path: Path) -> None:
        """Paint an arbitrary flow state to a PNG (the screenshot gallery)."""
        self._ensure_pygame()
        import pygame

        assert self._surface is not None and self._painter is not None
        surface = pygame.Surface(self.size)
        self._painter.paint(surface, layout(state, self._view(state)))
        path.parent.mkdir(parents=True, exist_ok=True)
        pygame.image.save(surface, str(path))


def last_will(branch: str, device: str) -> tuple[str, bytes]:
    """The retained "offline" status to register as the MQTT last will of a kiosk.

    ``MqttBus(url, device, will=last_will(branch, device))``: the broker
    publishes it if the kiosk vanishes without saying goodbye.
    """
    topic = Topics(branch).status(device)
    return topic, StatusMsg(device, False, "kiosk", time.time(), VERSION, {}).encode()


# -- the `lobbyq kiosk` subcommand ---------------------------------------------


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--broker", default="mqtt://localhost:1883", help="MQTT broker URL")
    parser.add_argument("--branch-config", type=Path, help="branch TOML (core tables + [kiosk])")
    parser.add_argument("--printer", help="ticket printer URL (serial path, socket://, usb://)")
    from drivers.printer.profiles import PROFILES  # a plain table: no python-escpos import

    parser.add_argument(
        "--printer-profile",
        choices=sorted(PROFILES),
        metavar="NAME",
        help=f"printer model ({', '.join(sorted(PROFILES))}); overrides [kiosk].printer_profile",
    )
    parser.add_argument("--card", help="bank card reader URL")
    parser.add_argument("--idcard", help="ID card reader URL")
    parser.add_argument("--qr", help="QR scanner URL")
    parser.add_argument(
        "--secret",
        type=Path,
        default=Path("branch.secret"),
        help="branch secret file for identity hashes (created 0600 if missing)",
    )
    parser.add_argument("--directory", type=Path, help="customer directory (SQLite, format 1)")
    parser.add_argument("--device", help="device id (default: [kiosk].device or kiosk-1)")
    parser.add_argument("--size", default="1280x800", help="screen size WxH")
    parser.add_argument("--headless", action="store_true", help="no window (SDL dummy video)")
    parser.add_argument(
        "--screenshots",
        type=Path,
        help="render every screen in every language to PNGs here and exit",
    )


def load_branch(path: Path | None) -> tuple[BranchConfig, dict[str, Any]]:
    """The core config and the ``[kiosk]`` table of a branch file (the demo branch if none)."""
    if path is None:
        return BranchConfig.default(), {}
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise KioskError(f"cannot read branch config {path.name}: {exc}") from exc
    kiosk = doc.get("kiosk", {})
    return BranchConfig.from_dict(doc), dict(kiosk) if isinstance(kiosk, dict) else {}


def branch_settings(args: argparse.Namespace) -> tuple[BranchConfig, dict[str, Any]]:
    """The branch file's config and ``[kiosk]`` table, command-line options applied.

    The options win because they come from the device file (``lobbyq device
    run``), which describes this kiosk's hardware; the queue config is shared
    by the whole branch.
    """
    config, kiosk_table = load_branch(args.branch_config)
    if args.device:
        kiosk_table["device"] = args.device
    if args.printer_profile:
        kiosk_table["printer_profile"] = args.printer_profile
    return config, kiosk_table


def run(args: argparse.Namespace) -> int:
    log = logging.getLogger("lobbyq.kiosk")
    try:
        config, kiosk_table = branch_settings(args)
        w, h = (int(v) for v in str(args.size).lower().split("x"))
        if args.screenshots is not None:
            from drivers.mqtt.bus import MemoryBus
            from kiosk.ui.gallery import render_gallery

            app = KioskApp(MemoryBus(), config, kiosk=kiosk_table, headless=True, size=(w, h))
            paths = render_gallery(app, args.screenshots)
            log.info("wrote %d screenshots to %s", len(paths), args.screenshots)
            return 0
        from drivers.identity import load_secret
        from drivers.mqtt.client import MqttBus
        from kiosk.directory import SqliteDirectory

        device = str(kiosk_table.get("device", "kiosk-1"))
        bus = MqttBus(args.broker, device, will=last_will(config.branch_id, device))
        readers = any((args.card, args.idcard, args.qr))
        hasher = IdentityHasher(load_secret(args.secret)) if readers else None
        directory = SqliteDirectory(args.directory) if args.directory else None
        app = KioskApp(
            bus,
            config,
            printer=args.printer,
            kiosk=kiosk_table,
            card=args.card,
            idcard=args.idcard,
            qr=args.qr,
            hasher=hasher,
            directory=directory,
            headless=args.headless,
            size=(w, h),
            notifier=Notifier.from_environ(),
        )
        import signal

        # systemd stops the kiosk with SIGTERM: leave through the loop so the
        # retained status says offline and the readers close cleanly.
        signal.signal(signal.SIGTERM, lambda _sig, _frame: app.stop())
        bus.start()
        try:
            return app.run()
        finally:
            bus.stop()
    except (KioskError, ConfigError, ScreenFontError) as exc:
        log.error("%s", exc)
        return 2
