"""Fixtures for the counter tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flowkit import FAST_BUS, Branch, make_state

from counter.app import CounterApp
from counter.flow import CounterState
from drivers.bus.sim import BusSim
from drivers.keypad.sim import KeypadSim
from drivers.led.sim import StripSim
from drivers.mqtt.bus import MemoryBus
from drivers.mqtt.request import Requester
from drivers.ratingpad.sim import RatingPadSim
from lobbyq.protocol.topics import Topics


@pytest.fixture
def open_counter() -> CounterState:
    return make_state(status="open", teller="1024", seq=10)


@pytest.fixture
def branch(tmp_path: Path) -> Iterator[Branch]:
    from lobbyq.core import BranchConfig
    from lobbyq.engine.service import Engine
    from lobbyq.engine.store import EventStore

    config = BranchConfig.default()
    bus = MemoryBus()
    store = EventStore(tmp_path / "log.db", synchronous="OFF")
    engine = Engine(config, store, bus)
    keypad, pad, strip = KeypadSim(1), RatingPadSim(2, keys=5), StripSim(3)
    sim = BusSim(tmp_path / "counter3", [keypad, pad, strip], event_retry_s=0.02)
    app = CounterApp("3", bus, sim.url, config, request_timeout_s=1.0, master_options=FAST_BUS)
    bus.start()
    engine.start()
    app.start()
    kiosk = Requester(bus, Topics(config.branch_id), "kiosk-1")
    try:
        assert strip.wait_until(lambda s: s.text == "暂停服务 Closed", 5.0)
        yield Branch(config, bus, engine, kiosk, sim, keypad, pad, strip, app)
    finally:
        app.stop()
        engine.stop()
        sim.close()
        store.close()
