"""`lobbyq demo`: a whole branch on one machine, every device simulated.

The composition root of the demo: a broker (the one given, else a private
mosquitto, else the embedded fallback), the engine with its event log, the
kiosk with a printer simulator, counters whose keypad, rating pad and LED
strip are simulators on one pty bus each, and the hall display with its LED
simulator. Every app runs the production code path: real MQTT, real serial
code over ptys. With ``--headless`` synthetic customers take tickets and
synthetic tellers call, finish and get rated for ``--duration`` seconds, then
the demo writes ``kiosk.png`` and ``summary.json`` to ``--out``. The lobby
manager's console runs beside them; its URL and a fresh manager password are
printed at start and kept in the summary (a throwaway account of one demo).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import random
import secrets
import sqlite3
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger("lobbyq.demo")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--broker", help="use this broker URL instead of starting one")
    parser.add_argument("--headless", action="store_true", help="no window; drive synthetic people")
    parser.add_argument(
        "--duration",
        type=float,
        default=None,
        help="seconds to run (default: until closed; 30 when headless)",
    )
    parser.add_argument("--out", type=Path, default=Path("out"), help="where results go")
    parser.add_argument("--counters", type=int, default=4, help="counters to open (1-4)")
    parser.add_argument("--seed", type=int, default=7, help="seed for the synthetic people")
    parser.add_argument(
        "--console-port",
        type=int,
        default=0,
        help="port of the lobby console on 127.0.0.1 (default: a free one)",
    )
    parser.add_argument(
        "--no-people",
        action="store_true",
        help="with a window: do not drive synthetic customers and tellers",
    )


@dataclass
class Branch:
    """Everything the demo started, so it can stop it all in order."""

    url: str
    work: Path
    stoppers: list[Any] = field(default_factory=list)

    def close(self) -> None:
        for stop in reversed(self.stoppers):
            try:
                stop()
            except Exception:
                log.exception("while stopping the demo")


def _bus(url: str, client_id: str) -> Any:
    from drivers.mqtt.client import MqttBus

    return MqttBus(url, client_id)


def build(
    url: str, work: Path, n_counters: int, headless: bool, branch_id: str | None = None
) -> tuple[Branch, dict[str, Any]]:
    """Start engine, simulators and apps against the broker at ``url``.

    ``branch_id`` renames the demo branch so tests sharing a broker never see
    each other's retained state.
    """
    from counter.app import CounterApp
    from display.app import HallDisplayApp
    from display.voice import VoiceError, make_voice
    from drivers.bus.rigs import CounterRig, HallRig
    from drivers.idcard.sim import IdCardReaderSim
    from drivers.identity import IdentityHasher
    from drivers.magstripe.sim import CardReaderSim
    from drivers.printer.sim import PrinterSim
    from drivers.qrscan.sim import QrScannerSim
    from kiosk.app import KioskApp
    from kiosk.directory import SqliteDirectory, build_example
    from lobbyq.core.config import load_branch_config
    from lobbyq.engine.service import Engine
    from lobbyq.engine.store import EventStore
    from lobbyq.protocol.messages import StatusMsg
    from lobbyq.protocol.topics import Topics
    from lobbyq.runtime.version import VERSION

    branch = Branch(url, work)
    config = load_branch_config(None, branch_id)
    topics = Topics(config.branch_id)

    store = EventStore(work / "events.db", branch=config.branch_id)
    ebus = _bus(url, "engine")
    ebus.set_will(
        topics.status("engine"), StatusMsg("engine", False, "engine", 0.0, VERSION).encode()
    )
    engine = Engine(config, store, ebus)
    ebus.on_connection(
        lambda up: (
            ebus.publish(topics.status("engine"), engine.status_message(True), retain=True)
            if up
            else None
        )
    )
    ebus.start()
    engine.start()
    branch.stoppers += [store.close, ebus.stop, engine.stop]

    printer = PrinterSim(work / "printer")
    branch.stoppers.append(printer.close)
    counter_ids = [c.id for c in config.counters][: max(1, min(n_counters, len(config.counters)))]
    rigs = {}
    for i, cid in enumerate(counter_ids, 1):
        rig = CounterRig.build(work / f"counter{cid}", counter_no=i)
        rigs[cid] = rig
        branch.stoppers.append(rig.close)
    hall = HallRig.build(work / "hall")
    branch.stoppers.append(hall.close)

    counters = []
    for cid, rig in rigs.items():
        cbus = _bus(url, f"counter-{cid}")
        app = CounterApp(cid, cbus, rig.url, config)
        cbus.set_will(*app.offline_status())
        app.start()
        cbus.start()
        counters.append(app)
        branch.stoppers += [cbus.stop, app.stop]

    dbus = _bus(url, "display-hall")
    voice = None
    try:
        # Mandarin then English, as most branches set it; silent when headless.
        voice = make_voice(["zh", "en"])
    except VoiceError as exc:
        log.warning("demo runs without voice: %s", exc)
    display = HallDisplayApp(dbus, hall.url, branch=config.branch_id, voice=voice)
    dbus.set_will(*display.offline_status())
    display.start()
    dbus.start()
    branch.stoppers += [dbus.stop, display.stop]

    # Identification: a fresh branch secret per demo run, the example
    # customer directory hashed with it, and the three readers simulated.
    hasher = IdentityHasher(secrets.token_bytes(32))
    people = build_example(work / "directory.sqlite", hasher, time.time())
    card = CardReaderSim(work / "card")
    idcard = IdCardReaderSim(work / "idcard")
    qr = QrScannerSim(work / "qr")
    branch.stoppers += [card.close, idcard.close, qr.close]
    kbus = _bus(url, "kiosk-1")
    kiosk = KioskApp(
        kbus,
        config,
        printer=printer.url,
        # Small cash is what the lobby's cash machines do: the kiosk suggests them first.
        kiosk={"machine_services": ["D"]},
        card=card.url,
        idcard=idcard.url,
        qr=qr.url,
        hasher=hasher,
        directory=SqliteDirectory(work / "directory.sqlite"),
        headless=headless,
    )
    kbus.set_will(topics.status(kiosk.device), kiosk.status_message(False).encode())
    kbus.start()
    branch.stoppers.append(kbus.stop)
    parts = {
        "config": config,
        "engine": engine,
        "store": store,
        "printer": printer,
        "rigs": rigs,
        "hall": hall,
        "counters": counters,
        "display": display,
        "kiosk": kiosk,
        "card": card,
        "idcard": idcard,
        "qr": qr,
        "people": people,
    }
    return branch, parts


class People(threading.Thread):
    """Synthetic customers at the kiosk and tellers at the keypads."""

    def __init__(self, parts: dict[str, Any], seed: int, stop: threading.Event) -> None:
        super().__init__(name="demo-people", daemon=True)
        self.parts = parts
        self.rng = random.Random(seed)
        self.stop_event = stop

    def run(self) -> None:
        try:
            self._run()
        except Exception:
            log.exception("synthetic people stopped")

    def _run(self) -> None:
        from drivers.keypad.codes import Key

        kiosk = self.parts["kiosk"]
        config = self.parts["config"]
        services = [s.code for s in config.services]
        tellers = [
            threading.Thread(target=self._teller, args=(cid, rig), daemon=True)
            for cid, rig in self.parts["rigs"].items()
        ]
        # Tellers log in with a code typed on the keypad, then LOGIN.
        for cid, rig in self.parts["rigs"].items():
            for ch in f"10{int(cid):02d}":
                rig.keypad.press(Key.for_digit(int(ch)))
            rig.keypad.press(Key.LOGIN)
        for t in tellers:
            t.start()
        while not self.stop_event.wait(self.rng.uniform(0.4, 1.0)):
            roll = self.rng.random()
            if roll < 0.3:
                self._walk_through(self.rng.choice(services))
                continue
            cls = "vip" if roll > 0.93 else "care" if roll > 0.88 else "normal"
            kiosk.tap_service(self.rng.choice(services), cls)

    def _touch(self, button: str, timeout: float = 3.0) -> bool:
        """Touch a button of the kiosk's current screen, as a finger would.

        The kiosk ignores a touch that comes too soon after the screen changed
        (a double tap must not choose twice), so touch again until the screen
        moves on, like a customer who taps once more.
        """
        kiosk = self.parts["kiosk"]
        deadline = time.monotonic() + timeout
        while not self.stop_event.is_set() and time.monotonic() < deadline:
            shown = kiosk.state.screen
            target = next((b for b in kiosk.buttons() if b.id == button), None)
            if target is None:
                self.stop_event.wait(0.05)
                continue
            kiosk.inject_touch(target.rect.x + target.rect.w / 2, target.rect.y + target.rect.h / 2)
            settle = time.monotonic() + 0.6
            while time.monotonic() < settle and kiosk.state.screen == shown:
                self.stop_event.wait(0.02)
            if kiosk.state.screen != shown:
                return True
        return False

    def _walk_through(self, service: str) -> None:
        """A customer who uses the screen: start, choose, identify or skip, done.

        Half of them swipe a card of the example directory (synthetic numbers;
        the kiosk only ever keeps the keyed hash and the masked form).
        """
        if not (self._touch("start") and self._touch(f"svc:{service}")):
            return
        if self._touch("take_ticket", timeout=0.5):
            pass  # the machine was suggested; this customer still wants a ticket
        if self.rng.random() < 0.5:
            person = self.rng.choice(self.parts["people"])
            self.parts["card"].swipe_card(person.pan)
        else:
            self._touch("skip")
        self._touch("done", timeout=5.0)

    def _teller(self, cid: str, rig: Any) -> None:
        from drivers.keypad.codes import Key

        self.stop_event.wait(1.0)
        while not self.stop_event.is_set():
            rig.keypad.press(Key.CALL)
            if self.stop_event.wait(self.rng.uniform(1.0, 3.0)):
                return
            rig.keypad.press(Key.FINISH)
            if rig.pad.wait_until(lambda pad: pad.prompt, timeout=2.0):
                self.stop_event.wait(self.rng.uniform(0.2, 0.6))
                rig.pad.press(
                    self.rng.choice(
                        rig.pad.layout[-2:] if self.rng.random() < 0.9 else rig.pad.layout[:1]
                    )
                )
            self.stop_event.wait(self.rng.uniform(0.2, 0.8))


CONSOLE_USER = "manager"


@dataclass
class DemoConsole:
    """The lobby console of the demo: its URL, its one manager account, its model."""

    url: str
    user: str
    password: str
    model: Any
    stop: Any  # stops the web server, then says offline and leaves the bus

    def check(self) -> dict[str, Any]:
        """What the console saw, for the summary: its login page answers, views, alerts."""
        import urllib.request

        try:
            with urllib.request.urlopen(f"{self.url}login", timeout=5) as resp:
                status = int(resp.status)
        except OSError as exc:
            log.warning("the demo console did not answer: %s", exc)
            status = 0
        snap = self.model.snapshot()
        return {
            "url": self.url,
            "user": self.user,
            "password": self.password,
            "login_page": status,
            "services_seen": len(snap.services),
            "counters_seen": len(snap.counters),
            "alerts": len(snap.raised),
        }


def start_console(url: str, branch_id: str, work: Path, port: int = 0) -> DemoConsole:
    """The lobby console beside the demo engine, with a fresh manager password.

    Plain HTTP on 127.0.0.1 with cookies that are not marked Secure: a demo on
    one machine. A branch serves it over HTTPS (``lobbyq console --tls-cert``).
    """
    import socket

    import uvicorn

    from console.actions import BusCommander
    from console.alerts import Thresholds
    from console.auth import Accounts
    from console.link import ConsoleLink, console_will
    from console.model import BranchModel
    from console.web import ConsoleDeps, create_app
    from drivers.mqtt.client import MqttBus
    from drivers.mqtt.request import Requester
    from lobbyq.protocol.topics import Topics

    topics = Topics(branch_id)
    password = secrets.token_urlsafe(9)
    accounts = Accounts(work / "console-accounts.db")
    accounts.add_user(CONSOLE_USER, "manager", password)
    bus = MqttBus(url, "console", will=console_will(topics))
    # The synthetic tellers serve in 1-3 s, which the ghost-call rule would flag
    # every time; the demo's console flags only finishes under half a second.
    model = BranchModel(topics, thresholds=Thresholds(ghost_call_s=0.5))
    link = ConsoleLink(bus, model)
    link.attach()
    deps = ConsoleDeps(
        model=model,
        commander=BusCommander(Requester(bus, topics, "console")),
        accounts=accounts,
        cookie_secure=False,
    )
    if port == 0:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(deps),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            timeout_graceful_shutdown=1,
        )
    )
    bus.start()
    thread = threading.Thread(target=server.run, name="demo-console", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)

    def stop() -> None:
        server.should_exit = True
        thread.join(5)
        link.presence.offline()
        bus.stop()
        accounts.close()

    return DemoConsole(f"http://127.0.0.1:{port}/", CONSOLE_USER, password, model, stop)


def summarize(db: Path, url: str) -> dict[str, Any]:
    """Counts from the event log itself: what was durably done, not what was tried."""
    with contextlib.closing(sqlite3.connect(db)) as conn:
        rows = dict(conn.execute("SELECT kind, COUNT(*) FROM events GROUP BY kind").fetchall())
        called = conn.execute(
            "SELECT COUNT(*) FROM events WHERE kind = 'ticket_called' "
            "AND json_extract(body, '$.recall') = 0"
        ).fetchone()[0]
    return {
        "tickets_issued": int(rows.get("ticket_issued", 0)),
        "tickets_called": int(called),
        "tickets_finished": int(rows.get("ticket_finished", 0)),
        "ratings": int(rows.get("ticket_rated", 0)),
        "refusals": int(rows.get("command_refused", 0)),
        "events": int(sum(rows.values())),
        "broker_url": url,
    }


def _save_last_ticket(printer: Any, path: Path) -> None:
    """Render the last ticket the printer simulator received, for a person to look at."""
    if not printer.tickets:
        return
    from drivers.printer.preview import escpos_to_png

    escpos_to_png(printer.tickets[-1]).save(path)


def run(args: argparse.Namespace) -> int:
    if args.headless:
        os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
        os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    elif not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        log.info("no display found: running headless")
        os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
        os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
        args.headless = True
    duration = args.duration if args.duration is not None else (30.0 if args.headless else None)
    from lobbyq.broker import BrokerError, start_local_broker

    broker = None
    if args.broker:
        url = args.broker
    else:
        try:
            broker = start_local_broker()
        except BrokerError as exc:
            log.error("no broker: %s; pass --broker URL", exc)
            return 2
        url = broker.url
        log.info("using %s broker", broker.kind)
    print(f"broker: {url}", flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="lobbyq-demo-"))
    branch = None
    stop = threading.Event()
    try:
        branch, parts = build(url, work, args.counters, args.headless)
        console = start_console(url, parts["config"].branch_id, work, args.console_port)
        branch.stoppers.append(console.stop)
        print(
            f"console: {console.url} (log in as {console.user}, password {console.password})",
            flush=True,
        )
        kiosk = parts["kiosk"]
        if args.headless or not args.no_people:
            People(parts, args.seed, stop).start()
        shot = args.out / "kiosk.png"
        if duration is not None:

            def snap() -> None:
                if not stop.wait(max(0.5, duration - 1.5)):
                    kiosk.save_screenshot(shot)

            threading.Thread(target=snap, name="demo-snapshot", daemon=True).start()
        print(
            f"demo running: {len(parts['rigs'])} counters, event log {work / 'events.db'}",
            flush=True,
        )
        kiosk.run(max_seconds=duration)
        stop.set()
        if not shot.exists():
            kiosk.save_screenshot(shot)
        kiosk.close_io()
        time.sleep(0.5)  # let the last replies land in the log
        summary = summarize(work / "events.db", url)
        summary["hall_zones"] = list(parts["hall"].hall.zones)
        summary["console"] = console.check()
        _save_last_ticket(parts["printer"], args.out / "ticket.png")
        (args.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
        print(json.dumps(summary), flush=True)
        ok = summary["tickets_issued"] > 0
        return 0 if ok or not args.headless else 1
    finally:
        stop.set()
        if branch is not None:
            branch.close()
        if broker is not None:
            broker.close()
