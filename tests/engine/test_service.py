"""The engine service over an in-process bus: replies, dedupe, refusals, replay."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable

import pytest

from drivers.mqtt.bus import MemoryBus
from lobbyq import core
from lobbyq.core import BranchConfig
from lobbyq.engine.service import Engine
from lobbyq.engine.store import StoreError
from lobbyq.protocol.messages import ReplyMsg, StateMsg
from lobbyq.protocol.topics import Topics
from tests.engine.conftest import Clock, requester

MakeEngine = Callable[[], tuple[Engine, MemoryBus]]


def _open_counter(bus: MemoryBus, config: BranchConfig, counter: str) -> None:
    c = requester(bus, config, f"counter-{counter}")
    assert c.request("login", counter=counter, teller="T0" + counter).ok
    assert c.request("open_counter", counter=counter).ok


def test_issue_ticket_replies_with_number_and_publishes_event(
    make_engine: MakeEngine, config: BranchConfig
) -> None:
    _engine, bus = make_engine()
    kiosk = requester(bus, config, "kiosk-1")
    reply = kiosk.request("issue_ticket", service="A", customer_class="normal")
    assert reply.ok
    issued = reply.event("ticket_issued")
    assert issued is not None and issued["number"] == "A001"
    assert isinstance(issued["seq"], int) and issued["seq"] >= 1
    topics = Topics(config.branch_id)
    evt = [p for t, p, _ in bus.published if t == topics.evt("ticket_issued")]
    assert len(evt) == 1 and json.loads(evt[0])["number"] == "A001"
    # The queue view is coalesced (a few per second): it arrives shortly after.
    deadline = time.monotonic() + 3
    waiting = None
    while time.monotonic() < deadline and waiting != 1:
        queue = bus.retained(topics.state_queue)
        assert queue is not None
        waiting = StateMsg.decode(queue).body["services"]["A"]["waiting"]
        time.sleep(0.02)
    assert waiting == 1


def test_call_next_with_empty_queue_is_refused_with_reason(
    make_engine: MakeEngine, config: BranchConfig
) -> None:
    _, bus = make_engine()
    _open_counter(bus, config, "1")
    reply = requester(bus, config, "counter-1").request("call_next", counter="1")
    assert not reply.ok
    assert reply.code == "queue_empty"
    assert reply.reason


def test_resent_command_id_acts_once(make_engine: MakeEngine, config: BranchConfig) -> None:
    engine, bus = make_engine()
    kiosk = requester(bus, config, "kiosk-1")
    first = kiosk.request("issue_ticket", cmd_id="cmd-00000001", service="A")
    again = kiosk.request("issue_ticket", cmd_id="cmd-00000001", service="A")
    assert first.ok and again.ok
    assert first.event("ticket_issued") == again.event("ticket_issued")
    second = kiosk.request("issue_ticket", service="A")
    issued = second.event("ticket_issued")
    assert issued is not None and issued["number"] == "A002"
    assert engine.store.last_seq == issued["seq"]


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b"\xff\xfe",
        b"[1,2,3]",
        b'{"v":2,"id":"abcdefgh1","op":"issue_ticket","service":"A"}',
        b'{"v":1,"id":"x","op":"issue_ticket","service":"A"}',
        b'{"v":1,"id":"abcdefgh2","op":"launch_rocket"}',
        b'{"v":1,"id":"abcdefgh3","op":"issue_ticket","service":"Z"}',
        b'{"v":1,"id":"abcdefgh4","op":"issue_ticket"}',
        b'{"v":1,"id":"abcdefgh5","op":"tick"}',
    ],
)
def test_malformed_command_is_logged_and_changes_nothing(
    make_engine: MakeEngine,
    config: BranchConfig,
    payload: bytes,
    caplog: pytest.LogCaptureFixture,
) -> None:
    engine, bus = make_engine()
    topics = Topics(config.branch_id)
    requester(bus, config, "kiosk-1").request("issue_ticket", service="A")
    before = (engine.store.last_seq, core.state_to_dict(engine.state))
    caplog.set_level(logging.INFO, logger="lobbyq.engine")
    bus.publish(topics.cmd("kiosk-1"), payload)
    # A real command after it proves the worker is still alive.
    after_reply = requester(bus, config, "kiosk-2").request("issue_ticket", service="B")
    assert after_reply.ok
    state = core.state_to_dict(engine.state)
    tickets = [t for t in state["tickets"] if t["service"] == "A"]
    assert len(tickets) == len([t for t in before[1]["tickets"] if t["service"] == "A"])
    assert any(r.levelno >= logging.INFO and ("refused" in r.getMessage()) for r in caplog.records)
    # Every reply the engine sent is itself valid; the one to the bad command refuses.
    replies = [ReplyMsg.decode(p) for t, p, _ in bus.published if t == topics.reply("kiosk-1")]
    assert replies[0].ok
    assert all(not r.ok and r.code and r.reason for r in replies[1:])


def test_restart_replays_the_log(make_engine: MakeEngine, config: BranchConfig) -> None:
    engine, bus = make_engine()
    kiosk = requester(bus, config, "kiosk-1")
    numbers = []
    for service in "AABDA":
        issued = kiosk.request("issue_ticket", service=service).event("ticket_issued")
        assert issued is not None
        numbers.append(issued["number"])
    before = core.queue_view(engine.state, 0)
    engine.stop()
    engine2, bus2 = make_engine()
    assert core.queue_view(engine2.state, 0) == before
    nxt = requester(bus2, config, "kiosk-1").request("issue_ticket", service="A")
    issued = nxt.event("ticket_issued")
    assert issued is not None and issued["number"] == "A004"
    assert numbers == ["A001", "A002", "B001", "D001", "A003"]


def test_restart_from_snapshot_equals_full_replay(
    make_engine: MakeEngine, config: BranchConfig, clock: Clock
) -> None:
    engine, bus = make_engine()
    kiosk = requester(bus, config, "kiosk-1")
    _open_counter(bus, config, "1")
    counter = requester(bus, config, "counter-1")
    for i in range(60):  # past snapshot_every=50
        kiosk.request("issue_ticket", service="AD"[i % 2])
        clock.t += 30
        if i % 3 == 0:
            counter.request("call_next", counter="1")
    assert engine.store.latest_snapshot() is not None
    expected = core.state_to_dict(engine.state)
    engine.stop()
    engine2, _ = make_engine()
    assert core.state_to_dict(engine2.state) == expected
    engine2.store.drop_snapshots()
    engine3, _ = make_engine()
    assert core.state_to_dict(engine3.state) == expected


def test_disk_failure_refuses_with_a_reason_and_keeps_state_true(
    make_engine: MakeEngine, config: BranchConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, bus = make_engine()
    kiosk = requester(bus, config, "kiosk-1")
    kiosk.request("issue_ticket", service="A")

    def full(*args: object, **kwargs: object) -> None:
        raise StoreError("disk full", "full")

    monkeypatch.setattr(engine.store, "append", full)
    refused = kiosk.request("issue_ticket", service="A", timeout=5)
    assert not refused.ok and refused.code == "log_full"
    monkeypatch.undo()
    # The failed ticket never existed: the next one is A002, not A003.
    issued = kiosk.request("issue_ticket", service="A").event("ticket_issued")
    assert issued is not None and issued["number"] == "A002"
