"""The lobby kiosk: the :class:`KioskApp` that ``lobbyq kiosk`` and the demo run.

The shell around the pure flow (``kiosk.ui.flow``). One pygame main loop owns
the screen; everything else (MQTT deliveries, card/ID/QR readers, engine
replies, printer results) arrives on other threads and is put in an inbox
(``kiosk.inbox``). The loop blocks on that inbox until an item or the flow's
next deadline (idle timeout, next slide) and repaints only when the state
changed. It does not sleep in ``pygame.event.wait``: SDL implements that
timeout by polling every millisecond on the dummy and KMSDRM video drivers
(about 3 % of a core on its own). With a panel, SDL's input queue is pumped
every ``input_poll_s`` (20 ms: 50 cheap pumps a second, touch latency under
one frame); headless there is no SDL input, so the loop sleeps until there
is work.

The parts around the loop, each on its own thread: the engine link
(``kiosk.link``), the print worker (``kiosk.printing``), the reader
table (``kiosk.readers``); they report health to ``kiosk.status``. The
command line is ``kiosk.cli``.

Constructor (what the demo passes)::

    KioskApp(
        bus,                      # drivers.mqtt Bus: MemoryBus or MqttBus
        config,                   # lobbyq.core.config.BranchConfig
        printer="/dev/pts/7",     # URL for drivers.printer.driver.TicketPrinter,
                                  # or any object with print_ticket(TicketData)
        kiosk={"device": "kiosk-1"},  # the [kiosk] table (kiosk.ui.content)
        card=url, idcard=url, qr=url, # reader URLs (optional)
        hasher=IdentityHasher(secret),  # needed when a reader URL is given
        directory=SqliteDirectory(path),  # optional customer directory
        headless=True,            # SDL dummy video: no window
        notifier=Notifier.from_environ(),  # systemd: READY once the bus is up
        broker_name="mqtts://...",  # the broker's redacted URL, for the waiting line
    )
    app.run()                     # on the main thread, until app.stop()

Thread-safe entry points: ``tap_service(code)``, ``tap(button)``,
``inject_touch(x, y)``, ``save_screenshot(path)``, ``stop()``. With a real
broker, register ``kiosk.status.last_will(branch, device)`` as the
``MqttBus`` will so the retained status turns offline if the kiosk dies; the
kiosk publishes the online status (with health) itself at start and on
every reconnect.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from drivers.identity import IdentityHasher
from drivers.mqtt.bus import Bus
from kiosk.directory import CustomerDirectory, EmptyDirectory
from kiosk.health import Health
from kiosk.i18n import Catalogs
from kiosk.inbox import InboxItem, QueueChanged, Screenshot, Touch, Wake
from kiosk.link import EngineClient
from kiosk.printing import PrintWorker, TicketSink
from kiosk.readers import ReaderTable
from kiosk.status import StatusReporter
from kiosk.ui import engine_io
from kiosk.ui.content import Content, build_content, default_assets_dir, load_slides
from kiosk.ui.flow import (
    CustomerClass,
    Event,
    Express,
    FlowState,
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
from kiosk.ui.layout import Button, Frame, View, layout
from lobbyq.core.config import BranchConfig
from lobbyq.protocol.messages import StatusMsg
from lobbyq.protocol.topics import Topics
from lobbyq.runtime.sdnotify import Notifier, ReadyGate

if TYPE_CHECKING:
    import pygame

    from kiosk.ui.paint import Painter

MAX_SLEEP_S = 30.0


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
        broker_name: str = "",
    ) -> None:
        self.config = config
        self.notifier = notifier or Notifier(None)
        self.broker_name = broker_name  # the broker's redacted URL, for the waiting line
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
        self.print_timeout = print_timeout
        self.input_poll_s = (
            input_poll_s if input_poll_s is not None else (None if headless else 0.02)
        )
        self.clock = clock
        self.wall = wall
        reader_urls = {"card": card, "idcard": idcard, "qr": qr}
        parts = {"printer": "ok" if printer is not None else "absent"}
        # Configured readers count as offline until their link comes up.
        parts.update({part: "offline" for part, url in reader_urls.items() if url})
        self.status = StatusReporter(
            bus, self.topics, self.device, self.catalogs, parts, logger=self.log, wall=wall
        )
        self.readers = ReaderTable(
            reader_urls,
            hasher,
            directory or EmptyDirectory(),
            post=self._post,
            set_health=self.status.set_health,
            logger=self.log,
            clock=clock,
            wall=wall,
        )
        self.printing = PrintWorker(
            printer,
            config=config,
            content=self.content,
            catalogs=self.catalogs,
            assets=self.assets,
            device=self.device,
            post=self._post,
            set_health=self.status.set_health,
            logger=self.log,
            clock=clock,
            wall=wall,
        )
        self.engine = EngineClient(
            bus,
            self.topics,
            self.device,
            post=self._post,
            set_health=self.status.set_health,
            request_timeout=request_timeout,
            logger=self.log,
            clock=clock,
        )
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
        self._inbox: queue.SimpleQueue[InboxItem] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._running = threading.Event()
        self._print_deadline: tuple[int, float] | None = None
        self._pygame_ready = False
        self._surface: pygame.Surface | None = None
        self._painter: Painter | None = None
        self._frame: Frame | None = None
        self._dirty = True
        self.first_frame_at: float | None = None
        self.started_at = clock()

    @property
    def printer(self) -> TicketSink | None:
        """The ticket printer once open (it opens on the printer thread)."""
        return self.printing.printer

    @property
    def health(self) -> Health:
        """The health word of every part now."""
        return self.status.health

    # -- thread-safe entry points ---------------------------------------

    def tap_service(self, code: str, customer_class: CustomerClass = "normal") -> None:
        """Issue a ticket for ``code`` as a customer who skips identification would."""
        self._post(Express(code, customer_class, self.clock()))

    def tap(self, target: str) -> None:
        """A tap on the button ``target`` (``svc:A``, ``home``...), wherever it is drawn."""
        self._post(Tap(target, self.clock()))

    def inject_touch(self, x: float, y: float) -> None:
        """A touch at screen pixel ``(x, y)``, as if from the panel."""
        self._post(Touch(x, y))

    def frame(self) -> Frame | None:
        """The frame painted last (frames are immutable: safe to read anywhere)."""
        return self._frame

    def buttons(self) -> tuple[Button, ...]:
        """The buttons of the screen shown now (frames are immutable: safe to read anywhere)."""
        frame = self._frame
        return frame.buttons if frame is not None else ()

    def save_screenshot(self, path: str | os.PathLike[str], timeout: float = 5.0) -> bool:
        """Write the current screen as PNG; waits for the main loop when called elsewhere."""
        if self._running.is_set() and threading.current_thread() is not self._loop_thread:
            done = threading.Event()
            self._post(Screenshot(Path(path), done))
            return done.wait(timeout)
        self._ensure_pygame()
        self._repaint()
        self._save(Path(path))
        return True

    def wait_serving(self, timeout: float) -> bool:
        """Wait until ``run()`` on another thread has its devices up and serves."""
        return self._running.wait(timeout)

    def stop(self) -> None:
        """Leave the main loop; it closes the devices and says offline on its way out."""
        self._stop.set()
        self._wake()

    def status_message(self, online: bool) -> StatusMsg:
        """The kiosk's status with every part's health (the demo's last will)."""
        return self.status.status_message(online)

    def publish_status(self, online: bool) -> None:
        """Publish the retained status, so monitoring sees the kiosk as it is now."""
        self.status.publish_status(online)

    # -- lifecycle ---------------------------------------------------------

    def start_io(self) -> None:
        """Subscribe, open the printer and readers, publish the birth status."""
        self.engine.start()
        self.bus.on_connection(self._on_connection)
        self.printing.start()
        self.readers.open()
        self.publish_status(online=True)

    def close_io(self) -> None:
        """Close readers and printer and publish "offline"; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        self.readers.close()
        self.printing.close()
        self.publish_status(online=False)
        self.engine.close()

    def run(self, max_seconds: float | None = None) -> int:
        """The main loop, on the calling (main) thread, until ``stop()``."""
        self._loop_thread = threading.current_thread()
        self._ensure_pygame()
        self._repaint()  # the customer sees the kiosk before the devices are up
        self.start_io()
        self._running.set()
        # READY only once the broker answers, so systemd and install.sh's
        # health check never count a kiosk that cannot reach it as started.
        gate = ReadyGate(
            self.notifier, f"{self.device} serving", link=self.bus, where=self.broker_name
        )
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
                gate.turn()
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

    def _on_connection(self, up: bool) -> None:
        """Back on the broker: say again that the kiosk is online, with its health."""
        if up:
            self.publish_status(online=True)

    # -- the flow ----------------------------------------------------------

    def _post(self, item: InboxItem) -> None:
        self._inbox.put(item)

    def _feed(self, event: Event) -> None:
        before = self.state
        self.state, effects = step(self.state, event, self.rules)
        if self.state != before:
            self._dirty = True
        for eff in effects:
            if isinstance(eff, RequestTicket):
                self.engine.request(eff)
            elif isinstance(eff, PrintTicket):
                self._print_deadline = (eff.issue_no, self.clock() + self.print_timeout)
                notice = dict(self.state.notice) if self.state.notice else None
                self.printing.submit(eff, notice)

    def _drain_inbox(self) -> None:
        while True:
            try:
                item = self._inbox.get_nowait()
            except queue.Empty:
                return
            self._handle_item(item)

    def _handle_item(self, item: InboxItem) -> None:
        match item:
            case Wake():
                return
            case Touch(x, y):
                self._touch(x, y)
            case Screenshot(path, done):
                self._repaint()
                self._save(path)
                done.set()
            case QueueChanged(view):
                if view != self.queue:
                    self.queue = view
                    self._dirty = True
            case _:
                self._feed(item)

    def _touch(self, x: float, y: float) -> None:
        frame = self._frame or layout(self.state, self.view())
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
                self.status.set_health("printer", "slow")

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

    # -- drawing ---------------------------------------------------------------

    def view(self, state: FlowState | None = None) -> View:
        """What the layout needs besides the flow state: content, texts, size, queue, QR."""
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
        self._inbox.put(Wake())

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
        self._frame = layout(self.state, self.view())
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
        self._painter.paint(surface, layout(state, self.view(state)))
        path.parent.mkdir(parents=True, exist_ok=True)
        pygame.image.save(surface, str(path))
