"""Fixtures for the kiosk tests: a real engine on an in-memory bus, a recording
printer, the demo branch, and a kiosk app running its loop on a thread."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

from drivers.mqtt.bus import MemoryBus
from drivers.printer.ticket import TicketData
from kiosk.ui.flow import FlowState
from lobbyq.core.config import BranchConfig
from tests.support import eventually


class RecordingPrinter:
    """A printer double: keeps tickets, or raises the error it is told to."""

    def __init__(self) -> None:
        self.tickets: list[TicketData] = []
        self.fail: Exception | None = None
        self.block: threading.Event | None = None
        self.printed = threading.Event()

    def print_ticket(self, ticket: TicketData) -> None:
        if self.block is not None:
            self.block.wait(10)
        if self.fail is not None:
            raise self.fail
        self.tickets.append(ticket)
        self.printed.set()


@pytest.fixture
def config() -> BranchConfig:
    return BranchConfig.default()


@pytest.fixture
def bus() -> MemoryBus:
    b = MemoryBus()
    b.start()
    return b


@pytest.fixture
def engine(tmp_path: Path, config: BranchConfig, bus: MemoryBus) -> Iterator[Any]:
    from lobbyq.engine.service import Engine
    from lobbyq.engine.store import EventStore

    store = EventStore(tmp_path / "events.sqlite", branch=config.branch_id, synchronous="OFF")
    eng = Engine(config, store, bus)
    eng.start()
    yield eng
    eng.stop()


@pytest.fixture
def printer() -> RecordingPrinter:
    return RecordingPrinter()


class RunningKiosk:
    """A ``KioskApp`` whose main loop runs on a thread, with a helper to wait on its state."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.thread = threading.Thread(target=app.run, name="kiosk-loop", daemon=True)

    def wait_for(self, predicate: Callable[[FlowState], bool], timeout: float = 5.0) -> bool:
        """Whether the flow state (one snapshot a check) meets ``predicate`` in ``timeout``."""
        return bool(eventually(lambda: predicate(self.app.state), timeout))


@pytest.fixture
def make_kiosk(bus: MemoryBus, config: BranchConfig) -> Iterator[Any]:
    from kiosk.app import KioskApp

    started: list[RunningKiosk] = []

    def make(**kw: Any) -> RunningKiosk:
        kw.setdefault("headless", True)
        kw.setdefault("kiosk", {"debounce_s": 0})
        app = KioskApp(kw.pop("bus", bus), kw.pop("config", config), **kw)
        rk = RunningKiosk(app)
        rk.thread.start()
        assert app.wait_serving(5), "kiosk loop did not start"
        started.append(rk)
        return rk

    yield make
    for rk in started:
        rk.app.stop()
        rk.thread.join(5)


@pytest.fixture
def kiosk_view(bus: MemoryBus, config: BranchConfig) -> Any:
    """A headless app (not running) and a function giving the layout view of a state."""
    from kiosk.app import KioskApp

    app = KioskApp(bus, config, headless=True)
    return app, app.view
