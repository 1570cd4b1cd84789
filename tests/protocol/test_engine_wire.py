"""Everything a real engine publishes over a branch day decodes strictly into a declared type.

A field the engine starts sending that no type in ``lobbyq.protocol`` declares,
or a declared field it stops sending, fails this test until the types and
``PROTOCOL.md`` say so.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from drivers.mqtt.bus import MemoryBus
from drivers.mqtt.request import Requester
from lobbyq.core import EVENT_TYPES, BranchConfig, CounterView, TicketIssued
from lobbyq.engine.service import Engine, EngineOptions
from lobbyq.engine.store import EventStore
from lobbyq.protocol import views as pv
from lobbyq.protocol.events import LoggedEvent, Reply
from lobbyq.protocol.messages import ProtocolError, StatusMsg
from lobbyq.protocol.topics import Topics
from tests.engine.conftest import Clock as EngineClock
from tests.support import eventually

START = 1_795_420_800.0  # a weekday, 09:00 at the default branch's UTC+8


class Clock(EngineClock):
    def __init__(self) -> None:
        super().__init__(START)


class Day:
    """An engine with a fast timer, the devices of a branch, and a settable clock."""

    def __init__(self, tmp: Path) -> None:
        self.config = BranchConfig.default()
        self.topics = Topics(self.config.branch_id)
        self.clock = Clock()
        self.bus = MemoryBus()
        self.bus.start()
        self.engine = Engine(
            self.config,
            EventStore(tmp / "events.db", branch=self.config.branch_id),
            self.bus,
            clock=self.clock,
            monotonic=self.clock.monotonic,
            options=EngineOptions(tick_interval_s=0.02, snapshot_every=40, queue_interval_s=0.01),
        )
        self.engine.start()
        self._devices: dict[str, Requester] = {}

    def do(self, device: str, op: str, **fields: Any) -> Reply:
        if device not in self._devices:
            self._devices[device] = Requester(self.bus, self.topics, device, resend_after=0.5)
        return Reply.of(self._devices[device].request(op, **fields), strict=True)

    def ok(self, device: str, op: str, **fields: Any) -> Reply:
        reply = self.do(device, op, **fields)
        assert reply.ok, (op, fields, reply.code, reply.reason)
        return reply

    def kinds(self) -> set[str]:
        levels = [self.topics.parse(t) for t, _p, _r in list(self.bus.published)]
        return {lv[1] for lv in levels if lv[0] == "evt"}

    def advance(self, seconds: float, *kinds: str) -> None:
        """Let time pass and wait for the engine's timer to produce these event kinds."""
        self.clock.t += seconds
        assert eventually(lambda: set(kinds) <= self.kinds(), 5.0), set(kinds) - self.kinds()


@pytest.fixture
def day(tmp_path: Path) -> Iterator[Day]:
    d = Day(tmp_path)
    try:
        yield d
    finally:
        d.engine.stop()
        d.engine.store.close()


def _branch_day(d: Day) -> None:
    k = "kiosk-1"
    d.ok(k, "issue_ticket", service="A", customer_class="normal", lang="en")
    d.advance(1, "counter_advice")  # someone waits and no counter is open
    for c in ("1", "2", "3", "4"):
        d.ok(f"counter-{c}", "login", counter=c, teller=f"T0{c}")
        d.ok(f"counter-{c}", "open_counter", counter=c)
    d.ok(k, "issue_ticket", service="B", customer_class="vip", cmd_id="kiosk-1-00000001")
    d.ok(
        k,
        "issue_ticket",
        service="A",
        customer_class="appointment",
        identity={"kind": "card", "hash": "ab" * 16, "masked": "**** 0042"},
        appointment={"ref": "R-1", "due": START + 600},
        lang="zh-Hans",
    )
    d.ok(k, "issue_ticket", service="C", customer_class="care")
    for _ in range(4):
        d.ok(k, "issue_ticket", service="D")
    d.ok("counter-1", "call_next", counter="1")
    d.ok("counter-1", "recall", counter="1")
    d.clock.t += 300
    d.ok("counter-1", "finish", counter="1")
    d.ok("counter-1", "rate", counter="1", value=3, scale=3)
    d.ok("counter-2", "call_next", counter="2")
    d.ok("counter-2", "no_show", counter="2")
    d.ok("counter-3", "call_next", counter="3")
    d.ok("counter-3", "hold", counter="3")
    held = d.do("counter-3", "call_back", counter="3", ticket="C001")
    assert held.ok
    d.ok("counter-3", "transfer", counter="3", to_service="A")
    d.ok("counter-4", "call_next", counter="4")
    d.ok("counter-4", "transfer", counter="4", to_counter="2")
    d.ok("counter-4", "call_ticket", counter="4", ticket="D003")
    d.ok(k, "cancel", ticket="D004")
    d.ok("console", "set_counter_services", counter="2", services=["D", "A"])
    moved = d.ok(k, "issue_ticket", service="B").events[0].event
    d.ok("console", "move_ticket", ticket=moved.number, to_service="A")  # type: ignore[attr-defined]
    d.ok("console", "ack_alert", alert="wait:d-1", by="manager")
    refused = d.do("console", "pause", counter="9", reason="lunch")  # no such counter
    assert not refused.ok and refused.code
    d.ok("counter-2", "pause", counter="2", reason="lunch")
    d.ok("counter-2", "resume", counter="2")
    d.ok("console", "set_notice", notice="custom", text="Counter 3 closes at 15:00")
    d.ok("console", "clear_notice")
    d.ok("console", "set_notice", notice="power_cut")
    d.ok("counter-4", "finish", counter="4")
    d.advance(61, "ticket_unrated")  # nobody rated the ticket of counter 4
    d.advance(31 * 60, "wait_alert")
    d.ok("counter-3", "logout", counter="3")
    d.ok("counter-4", "close_counter", counter="4")
    d.advance(18 * 3600, "day_rolled_over", "ticket_expired")
    d.ok(k, "issue_ticket", service="A")
    # a resend of the same command, answered from the log
    again = d.ok(k, "issue_ticket", service="B", customer_class="vip", cmd_id="kiosk-1-00000001")
    assert again.events and again.events[0].kind == "ticket_issued"
    reused = d.do(k, "issue_ticket", service="A", cmd_id="kiosk-1-00000001")  # another command
    assert not reused.ok and reused.code == "id_conflict" and not reused.events
    invalid = d.do(k, "issue_ticket")  # no service: the core refuses it before any event
    assert not invalid.ok and invalid.code == "invalid"


def test_every_message_of_a_branch_day_decodes_strictly(day: Day) -> None:
    _branch_day(day)
    published = list(day.bus.published)
    seen: dict[str, int] = {}
    kinds: set[str] = set()
    for topic, payload, _retain in published:
        levels = day.topics.parse(topic)
        area = levels[0]
        if area == "cmd":
            continue  # what the devices sent
        seen[area] = seen.get(area, 0) + 1
        decoded: Any
        if area == "reply":
            decoded = Reply.decode(payload, strict=True)
            kinds.update(e.kind for e in decoded.events)
        elif area == "evt":
            decoded = LoggedEvent.decode(payload, strict=True)  # refuses a leaked private field
            assert decoded.kind == levels[1]
            kinds.add(decoded.kind)
            assert json.loads(decoded.broadcast()) == json.loads(payload), topic
            continue
        elif levels[:2] == ("state", "queue"):
            decoded = pv.decode_queue(payload, strict=True)
        elif levels[:2] == ("state", "counter"):
            decoded = pv.decode_counter(payload, strict=True)
            assert decoded.view.counter == levels[2]
        elif levels[:2] == ("state", "calls"):
            decoded = pv.decode_calls(payload, strict=True)
        elif levels[:2] == ("state", "notice"):
            decoded = pv.decode_notice(payload, strict=True)
        elif levels == ("dev", "engine", "status"):
            decoded = StatusMsg.decode(payload)  # the engine's own birth
            assert decoded.online and decoded.device == "engine"
        else:
            pytest.fail(f"the engine published on {topic}, which no type covers")
        # the type carries everything: encoding it again gives the same message
        assert json.loads(decoded.encode()) == json.loads(payload), topic
    assert set(seen) == {"reply", "evt", "state", "dev"}
    assert kinds == set(EVENT_TYPES)  # the day above produces every kind of event


def test_a_field_no_type_declares_fails_the_strict_decode(
    day: Day, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = CounterView.to_dict
    monkeypatch.setattr(CounterView, "to_dict", lambda self: {**plain(self), "floor": 2})
    day.ok("counter-1", "login", counter="1", teller="T01")

    def with_teller() -> bytes | None:
        raw = day.bus.retained(day.topics.state_counter("1"))
        return raw if raw is not None and b'"T01"' in raw else None

    raw = eventually(with_teller)
    assert raw is not None and b'"floor"' in raw
    assert pv.decode_counter(raw).view.teller == "T01"  # an older device still reads it
    with pytest.raises(ProtocolError, match=r"undeclared field 'state\.floor'"):
        pv.decode_counter(raw, strict=True)


def test_identity_data_stays_off_the_broadcast_event(day: Day) -> None:
    """Every device reads ``evt/``: no identity hash, mask or booking reference there."""
    identity = {"kind": "card", "hash": "cd" * 16, "masked": "**** 0042"}
    reply = day.ok(
        "kiosk-1",
        "issue_ticket",
        service="A",
        customer_class="appointment",
        identity=identity,
        appointment={"ref": "R-77", "due": START + 600},
    )
    kept = reply.first(TicketIssued)
    assert kept is not None and kept.identity_hash == "cd" * 16  # the issuing kiosk's reply
    topic = day.topics.evt("ticket_issued")
    sent = [p for t, p, _ in day.bus.published if t == topic]
    assert len(sent) == 1
    wire = json.loads(sent[0])
    for private in ("identity_hash", "identity_masked", "appointment_ref"):
        assert private not in wire, private
    assert "cd" * 16 not in sent[0].decode() and "0042" not in sent[0].decode()
    assert wire["number"] == kept.number and wire["identity_kind"] == "card"
    logged = [b for _, b in day.engine.store.events() if b["kind"] == "ticket_issued"]
    assert logged[0]["identity_hash"] == "cd" * 16  # the engine's own record keeps it
    assert logged[0]["appointment_ref"] == "R-77"


def test_a_private_field_on_the_broadcast_form_fails_the_strict_decode() -> None:
    leaked = json.dumps(
        {
            "v": 1,
            "seq": 3,
            "kind": "ticket_issued",
            "at": 1.0,
            "ticket": "2026-11-23-1",
            "number": "A001",
            "numeral": 1,
            "service": "A",
            "customer_class": "normal",
            "ahead": 0,
            "expected_wait_s": None,
            "identity_kind": "card",
            "identity_hash": "ab" * 16,
            "appointment_due": None,
            "lang": None,
            "command_id": "kiosk-1-00000001",
        }
    )
    with pytest.raises(ProtocolError, match="identity_hash"):
        LoggedEvent.decode(leaked, strict=True)
    lenient = LoggedEvent.decode(leaked).expect(TicketIssued)  # an older engine's: ignored
    assert lenient.identity_hash is None
