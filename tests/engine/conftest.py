"""Engine fixtures: an engine on an in-process bus with a real SQLite log."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from drivers.mqtt.bus import MemoryBus
from drivers.mqtt.request import Requester
from lobbyq.core import BranchConfig
from lobbyq.engine.service import Engine, EngineOptions
from lobbyq.engine.store import EventStore
from lobbyq.protocol.topics import Topics


class Clock:
    """A settable wall clock and its monotonic twin, so tests control time exactly.

    Setting ``t`` is time passing (both clocks move); ``step`` moves the wall
    clock alone, as NTP or a technician does.
    """

    def __init__(self, t: float = 1_795_420_800.0) -> None:  # a weekday, 09:00 UTC+8
        self._wall = t
        self._mono = 1000.0

    @property
    def t(self) -> float:
        return self._wall

    @t.setter
    def t(self, value: float) -> None:
        self._mono += value - self._wall
        self._wall = value

    def step(self, seconds: float) -> None:
        self._wall += seconds

    def __call__(self) -> float:
        return self._wall

    def monotonic(self) -> float:
        return self._mono


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def config() -> BranchConfig:
    return BranchConfig.default()


@pytest.fixture
def make_engine(
    tmp_path: Path, config: BranchConfig, clock: Clock
) -> Iterator[Callable[[], tuple[Engine, MemoryBus]]]:
    """Build engines over the same log file, as a restart would."""
    engines: list[Engine] = []

    def make() -> tuple[Engine, MemoryBus]:
        bus = MemoryBus()
        bus.start()
        store = EventStore(tmp_path / "events.db", branch=config.branch_id)
        engine = Engine(
            config,
            store,
            bus,
            clock=clock,
            monotonic=clock.monotonic,
            options=EngineOptions(tick_interval_s=3600, snapshot_every=50),
        )
        engine.start()
        engines.append(engine)
        return engine, bus

    yield make
    for engine in engines:
        engine.stop()
        engine.store.close()


def requester(bus: MemoryBus, config: BranchConfig, device: str) -> Requester:
    return Requester(bus, Topics(config.branch_id), device, resend_after=0.2)
