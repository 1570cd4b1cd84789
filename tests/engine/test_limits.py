"""Per-device rate limits: token buckets on the injected clock, and a flood through the engine."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from drivers.mqtt.bus import MemoryBus
from lobbyq.core import BranchConfig
from lobbyq.engine.limits import DEFAULT_RATES, Limiter, Rate, TokenBucket
from lobbyq.engine.service import Engine, EngineOptions
from lobbyq.engine.store import EventStore
from lobbyq.protocol.messages import CommandMsg, ReplyMsg
from lobbyq.protocol.topics import Topics
from tests.engine.conftest import Clock, requester
from tests.support import eventually


def test_a_bucket_allows_its_burst_then_its_rate() -> None:
    bucket = TokenBucket(Rate(0.5, 3), 3, at=0.0)
    assert [bucket.take(0.0) for _ in range(4)] == [True, True, True, False]
    assert not bucket.take(1.9)  # 0.95 of a token back
    assert bucket.take(2.0)
    assert bucket.take(100.0) and bucket.tokens == 2  # refills to the burst, no further
    assert bucket.dropped == 2
    assert bucket.take(50.0) and bucket.tokens == 1 and bucket.at == 100.0  # back adds nothing


def test_each_device_has_its_own_bucket_by_role() -> None:
    clock = Clock()
    roles = {"kiosk-1": "kiosk", "kiosk-2": "kiosk", "counter-1": "counter"}
    limiter = Limiter(roles.get, clock.monotonic)
    assert all(limiter.check("kiosk-2").allowed for _ in range(10))
    flood = [limiter.check("kiosk-2") for _ in range(1000)]
    assert not any(v.allowed for v in flood)
    assert [v.tell for v in flood].count(True) == 1  # told once per second, not per command
    assert limiter.check("kiosk-1").allowed  # another kiosk is untouched
    assert sum(limiter.check("counter-1").allowed for _ in range(30)) == 20
    assert sum(limiter.check("display-hall").allowed for _ in range(30)) == 5
    clock.t += 2.0
    assert limiter.check("kiosk-2").allowed and not limiter.check("kiosk-2").allowed
    assert limiter.dropped()["kiosk-2"] == 1001


def test_made_up_device_names_cannot_grow_memory() -> None:
    clock = Clock()
    limiter = Limiter(lambda d: None, clock.monotonic, max_buckets=8)
    for i in range(100):
        for _ in range(5):
            limiter.check(f"made-up-{i}")
    assert len(limiter._buckets) <= 9
    clock.t += 60
    assert limiter.check("made-up-new").allowed  # idle buckets were dropped for new ones


@pytest.fixture
def limited(tmp_path: Path, config: BranchConfig, clock: Clock):  # type: ignore[no-untyped-def]
    bus = MemoryBus()
    bus.start()
    store = EventStore(tmp_path / "events.db", branch=config.branch_id)
    engine = Engine(
        config,
        store,
        bus,
        clock=clock,
        monotonic=clock.monotonic,
        options=EngineOptions(tick_interval_s=3600),
        rate_limits=DEFAULT_RATES,
    )
    engine.start()
    yield engine, bus
    engine.stop()
    store.close()


def test_a_flooding_kiosk_takes_its_burst_and_no_more(
    limited: tuple[Engine, MemoryBus],
    config: BranchConfig,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    engine, bus = limited
    caplog.set_level(logging.INFO, "lobbyq.engine")
    topics = Topics(config.branch_id)
    for i in range(2000):
        msg = CommandMsg.build(f"flood-{i:06d}", "issue_ticket", service="A")
        bus.publish(topics.cmd("kiosk-2"), msg.encode())
    legit = requester(bus, config, "kiosk-1").request("issue_ticket", service="A", timeout=5)
    assert legit.ok
    assert eventually(lambda: engine.store.last_seq >= 11)
    issued = [t for t in engine.state.tickets.values()]
    assert len(issued) == 11  # ten from the flood's burst, one real customer
    # a few replies, not one per dropped command; nothing of the flood stored
    to_flood = [ReplyMsg.decode(p) for t, p, _ in bus.published if t == topics.reply("kiosk-2")]
    assert 10 < len(to_flood) <= 12
    assert [r.code for r in to_flood if not r.ok] == ["rate_limited"]
    lines = [r.getMessage() for r in caplog.records if "over its rate limit" in r.getMessage()]
    assert len(lines) == 1
    assert engine.limits is not None and engine.limits.dropped() == {"kiosk-2": 1990}
    # The next interval's summary says how many more were dropped.
    clock.t += 11
    bus.publish(
        topics.cmd("kiosk-2"), CommandMsg.build("flood-x-000001", "cancel", ticket="A001").encode()
    )
    summary = "dropped 1990 commands from kiosk-2 over its rate limit in the last 11 s"
    assert eventually(lambda: any(summary in r.getMessage() for r in caplog.records))
