"""A stepped wall clock never reorders the queue nor raises false over-wait alerts.

The engine gives the core steady time (the monotonic clock from an anchor on
the wall clock), logs a step, and follows the wall clock only once nothing is
live. ``Clock.t += s`` is time passing; ``Clock.step(s)`` moves the wall
clock alone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from drivers.mqtt.bus import MemoryBus
from lobbyq.core import BranchConfig
from lobbyq.engine.service import Engine, EngineOptions
from lobbyq.engine.store import EventStore
from tests.engine.conftest import Clock, requester
from tests.support import eventually

MakeEngine = Callable[[], tuple[Engine, MemoryBus]]


def _kinds(engine: Engine) -> list[tuple[str, dict[str, Any]]]:
    return [(b["kind"], b) for _, b in engine.store.events()]


def _serve_all(bus: MemoryBus, config: BranchConfig, n: int) -> list[str]:
    counter = requester(bus, config, "counter-1")
    assert counter.request("login", counter="1", teller="T01").ok
    assert counter.request("open_counter", counter="1").ok
    called = []
    for _ in range(n):
        reply = counter.request("call_next", counter="1")
        assert reply.ok, reply
        ev = reply.event("ticket_called")
        assert ev is not None
        called.append(ev["number"])
    assert counter.request("finish", counter="1").ok
    return called


def test_a_clock_stepped_back_never_puts_a_later_customer_first(
    make_engine: MakeEngine,
    config: BranchConfig,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _engine, bus = make_engine()
    kiosk = requester(bus, config, "kiosk-1")
    assert kiosk.request("issue_ticket", service="A").ok
    clock.t += 30
    assert kiosk.request("issue_ticket", service="A").ok
    clock.t += 30
    clock.step(-300)  # five minutes back
    with caplog.at_level(logging.WARNING, "lobbyq.engine"):
        assert kiosk.request("issue_ticket", service="A").ok
    assert _serve_all(bus, config, 3) == ["A001", "A002", "A003"]
    assert any("clock stepped -300" in r.getMessage() for r in caplog.records)


def test_a_clock_stepped_forward_raises_no_false_over_wait_alert(
    tmp_path: Path, config: BranchConfig, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    bus = MemoryBus()
    bus.start()
    store = EventStore(tmp_path / "events.db")
    engine = Engine(
        config,
        store,
        bus,
        clock=clock,
        monotonic=clock.monotonic,
        options=EngineOptions(tick_interval_s=0.02),
    )
    engine.start()
    try:
        kiosk = requester(bus, config, "kiosk-1")
        for _ in range(3):
            assert kiosk.request("issue_ticket", service="A").ok
        clock.t += 60
        with caplog.at_level(logging.WARNING, "lobbyq.engine"):
            clock.step(2 * 3600)  # two hours forward, three customers waiting
            ticks = engine._ticks
            assert eventually(lambda: engine._ticks >= ticks + 5)
        assert "wait_alert" not in [k for k, _ in _kinds(engine)]
        assert any("clock stepped +7200" in r.getMessage() for r in caplog.records)
        # a real over-wait still alerts, measured on steady time
        clock.t += 40 * 60
        assert eventually(lambda: "wait_alert" in [k for k, _ in _kinds(engine)])
        alert = next(b for k, b in _kinds(engine) if k == "wait_alert")
        assert alert["waited_s"] < 45 * 60
    finally:
        engine.stop()
        store.close()


def test_the_queue_follows_the_stepped_clock_once_nothing_is_live(
    make_engine: MakeEngine, config: BranchConfig, clock: Clock
) -> None:
    engine, bus = make_engine()
    kiosk = requester(bus, config, "kiosk-1")
    assert kiosk.request("issue_ticket", service="A").ok
    clock.t += 10
    clock.step(3600)
    assert _serve_all(bus, config, 1) == ["A001"]  # served on steady time
    finished = [b for k, b in _kinds(engine) if k == "ticket_finished"][-1]
    assert finished["at"] < clock() - 3000
    rating = requester(bus, config, "counter-1").request("rate", counter="1", value=5, scale=5)
    assert rating.ok  # rated: nothing is live any more
    assert kiosk.request("issue_ticket", service="B").ok
    clock.t += 1
    assert kiosk.request("issue_ticket", service="B").ok
    issued = [b for k, b in _kinds(engine) if k == "ticket_issued"][-1]
    assert issued["at"] == pytest.approx(clock(), abs=1)  # back on the wall clock


def test_a_restart_never_gives_the_core_a_time_before_the_log(
    make_engine: MakeEngine, config: BranchConfig, clock: Clock
) -> None:
    engine, bus = make_engine()
    assert requester(bus, config, "kiosk-1").request("issue_ticket", service="A").ok
    last = engine.store.last_at
    engine.stop()
    clock.step(-600)  # the server reboots with its clock ten minutes behind
    engine2, bus2 = make_engine()
    assert engine2._now() >= last
    assert requester(bus2, config, "kiosk-1").request("issue_ticket", service="A").ok
    ats = [b["at"] for k, b in _kinds(engine2) if k == "ticket_issued"]
    assert ats == sorted(ats)
