"""Fixtures shared by the driver tests: pty ports with stable names in tmp dirs."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

# With a bare ``pytest`` (not ``python -m pytest``) the repository root is not on
# sys.path and ``tests/`` is, so ``tests/drivers`` would shadow the product
# package ``drivers`` as a namespace package. Put the root first and drop a
# shadow if one was already imported.
_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)
if getattr(sys.modules.get("drivers"), "__file__", "") is None:
    for _name in [m for m in sys.modules if m == "drivers" or m.startswith("drivers.")]:
        del sys.modules[_name]

from drivers.bus.events import BusEvent, DeviceOnline  # noqa: E402
from drivers.bus.harness import EventLog, replug_recovery  # noqa: E402
from drivers.bus.master import BusMaster  # noqa: E402
from drivers.bus.sim import BusSim  # noqa: E402
from drivers.keypad.sim import KeypadSim  # noqa: E402
from drivers.led.sim import HallDisplaySim, StripSim  # noqa: E402
from drivers.ratingpad.sim import RatingPadSim  # noqa: E402
from drivers.sim.pty import PtyPort  # noqa: E402


@pytest.fixture
def pty_port(tmp_path: Path) -> Iterator[PtyPort]:
    """A simulated cable; the application opens ``pty_port.url``."""
    port = PtyPort(tmp_path / "ttyLOBBYQ")
    yield port
    port.close()


FAST = {
    "keepalive_s": 0.1,
    "reply_timeout_s": 0.03,
    "baudrate": 1_000_000,  # no baud delay over a pty; keeps timeouts tight
    "backoff_max": 0.05,
    "offline_after": 2,
}


@dataclass
class CounterBus:
    """One counter's RS-485 port: keypad @1, rating pad @2, LED strip @3."""

    sim: BusSim
    master: BusMaster
    keypad: KeypadSim
    pad: RatingPadSim
    strip: StripSim
    log: EventLog


def _addr_is(addr: int) -> Callable[[BusEvent], bool]:
    return lambda e: e.addr == addr


@pytest.fixture
def counter_bus(tmp_path: Path) -> Iterator[CounterBus]:
    keypad, pad, strip = KeypadSim(1), RatingPadSim(2, keys=5), StripSim(3)
    sim = BusSim(tmp_path / "counter", [keypad, pad, strip], event_retry_s=0.02)
    log = EventLog()
    master = BusMaster(sim.url, name="counter", devices=[1, 2, 3], on_event=log, **FAST)  # type: ignore[arg-type]
    master.start()
    try:
        for addr in (1, 2, 3):  # the events, not just the state: listeners saw them
            log.wait_for(DeviceOnline, _addr_is(addr))
        yield CounterBus(sim, master, keypad, pad, strip, log)
    finally:
        master.close()
        sim.close()


@dataclass
class HallBus:
    sim: BusSim
    master: BusMaster
    hall: HallDisplaySim
    log: EventLog


@pytest.fixture
def hall_bus(tmp_path: Path) -> Iterator[HallBus]:
    hall = HallDisplaySim(1, zones=4)
    sim = BusSim(tmp_path / "hall", [hall])
    log = EventLog()
    master = BusMaster(sim.url, name="hall", devices=[1], on_event=log, **FAST)  # type: ignore[arg-type]
    master.start()
    try:
        log.wait_for(DeviceOnline, lambda e: e.addr == 1)
        yield HallBus(sim, master, hall, log)
    finally:
        master.close()
        sim.close()


@pytest.fixture
def replug() -> Callable[[BusSim, BusMaster, EventLog, list[int]], float]:
    """``replug(sim, master, log, addrs)``: seconds from replug to all back online."""
    return replug_recovery
