"""The model folds retained views, events and statuses; a bad message is a listed problem."""

from __future__ import annotations

import json

from console.link import ConsoleLink
from console.model import BranchModel
from drivers.mqtt.bus import MemoryBus
from lobbyq.core.events import TicketIssued
from lobbyq.core.views import CounterView
from lobbyq.protocol.events import LoggedEvent
from lobbyq.protocol.messages import AlertMsg, EventMsg, StateMsg, StatusMsg
from lobbyq.protocol.topics import Topics
from lobbyq.protocol.views import Retained
from tests.console.conftest import Clock

T = Topics("b1")


def _model(clock: Clock) -> tuple[BranchModel, MemoryBus]:
    bus = MemoryBus()
    model = BranchModel(T, clock=clock)
    ConsoleLink(bus, model, clock=clock).attach()
    bus.start()
    return model, bus


def _state(body: dict[str, object], seq: int = 1) -> bytes:
    return StateMsg(seq, body).encode()


QUEUE = {
    "branch": "b1",
    "day": "2026-11-23",
    "at": 1000.0,
    "notice": None,
    "services": {
        "A": {
            "name": {"en": "Cash", "zh-Hans": "现金"},
            "waiting": 2,
            "open_counters": 1.5,
            "expected_wait_s": 450.0,
            "tickets": [
                {"number": "A001", "class": "vip", "waited_s": 30.0, "expected_wait_s": 0.0},
                {"number": "A002", "class": "normal", "waited_s": 120.0, "expected_wait_s": 300},
            ],
        },
        "B": {"name": {}, "waiting": 0, "open_counters": 0, "expected_wait_s": None, "tickets": []},
    },
}


def test_queue_view_gives_waiting_longest_wait_and_expected_wait(clock: Clock) -> None:
    model, bus = _model(clock)
    bus.publish(T.state_queue, _state(QUEUE), retain=True)
    snap = model.snapshot()
    a, b = snap.services
    assert (a.code, a.waiting, a.expected_wait_s, a.numbers) == ("A", 2, 450.0, ("A001", "A002"))
    assert a.longest_since == 1000.0 - 120.0  # the longest waiter, not the first in line
    assert a.classes == {"vip": 1, "normal": 1}
    assert a.name("zh-Hans") == "现金" and a.name("es") == "Cash" and b.name("en") == "B"
    assert b.expected_wait_s is None and b.longest_since is None


def test_counter_views_sorted_and_a_cleared_topic_removes_the_counter(clock: Clock) -> None:
    model, bus = _model(clock)
    view = {
        "counter": "10",
        "status": "paused",
        "reason": "lunch",
        "teller": "1001",
        "services": ["A", "D"],
        "current": None,
        "held": [],
        "transferred_here": [],
    }
    bus.publish(T.state_counter("10"), _state(view), retain=True)
    busy = {
        **view,
        "counter": "2",
        "status": "open",
        "reason": None,
        "current": {"ticket": "d-1", "number": "A001", "service": "A", "called_at": 990.0},
        "held": [{"ticket": "d-2", "number": "A002", "service": "A"}],
    }
    bus.publish(T.state_counter("2"), _state(busy), retain=True)
    snap = model.snapshot()
    assert [c.counter for c in snap.counters] == ["2", "10"]
    two, ten = snap.counters
    assert (two.current, two.called_at, two.held) == ("A001", 990.0, ("A002",))
    assert (ten.status, ten.reason, ten.services) == ("paused", "lunch", ("A", "D"))
    bus.publish(T.state_counter("10"), b"", retain=True)
    assert [c.counter for c in model.snapshot().counters] == ["2"]


def test_calls_and_notice(clock: Clock) -> None:
    model, bus = _model(clock)
    calls = {"calls": [{"number": "A003", "counter": "1", "service": "A", "at": 5.0}]}
    bus.publish(T.state_calls, _state(calls), retain=True)
    bus.publish(
        T.state_notice, _state({"notice": "power_cut", "text": None, "since": 7.0}), retain=True
    )
    snap = model.snapshot()
    assert snap.calls[0].number == "A003" and snap.notice is not None
    assert (snap.notice.notice, snap.notice.since) == ("power_cut", 7.0)
    bus.publish(T.state_notice, _state({}), retain=True)
    assert model.snapshot().notice is None


def test_a_malformed_view_keeps_the_last_good_one_and_names_the_problem(clock: Clock) -> None:
    model, bus = _model(clock)
    bus.publish(T.state_queue, _state(QUEUE), retain=True)
    broken = json.loads(json.dumps(QUEUE))
    broken["services"]["A"]["waiting"] = "many"
    bus.publish(T.state_queue, _state(broken), retain=True)
    bus.publish(T.state_calls, b"not json", retain=True)
    snap = model.snapshot()
    assert snap.services[0].waiting == 2
    reasons = {p.topic: p.reason for p in snap.problems}
    assert "waiting" in reasons[T.state_queue]
    assert "not JSON" in reasons[T.state_calls]
    bus.publish(T.state_queue, _state(QUEUE), retain=True)  # a good one clears the problem
    assert T.state_queue not in {p.topic for p in model.snapshot().problems}


def _issued(seq: int, at: float, number: str = "A001", service: str = "A") -> bytes:
    event = TicketIssued(
        at, f"2026-11-23-{seq}", number, seq, 1, service, "normal", 0, None,
        identity_kind="card", identity_hash="ab" * 16, identity_masked="6222 **** 1234",
    )  # fmt: skip
    return LoggedEvent(seq, event).encode()


def test_events_become_activity_without_identity(clock: Clock) -> None:
    model, bus = _model(clock)
    bus.publish(T.evt("ticket_issued"), _issued(4, 3.0))
    bus.publish(
        T.evt("something_new"),
        EventMsg(5, "something_new", 4.0, {"kind": "something_new", "at": 4.0, "seq": 5}).encode(),
    )
    snap = model.snapshot()
    assert [a.kind for a in snap.activity] == ["something_new", "ticket_issued"]
    assert (snap.activity[1].number, snap.activity[1].service) == ("A001", "A")
    assert not snap.problems  # a newer engine's event is news, not a fault
    assert "1234" not in repr(snap) and "ab" * 16 not in repr(snap)


def test_an_event_missing_a_field_is_a_named_problem_and_the_rest_stays(clock: Clock) -> None:
    model, bus = _model(clock)
    bus.publish(T.evt("ticket_issued"), _issued(4, clock.t - 10))
    broken = json.loads(_issued(5, clock.t - 5, "A002"))
    del broken["numeral"]
    bus.publish(T.evt("ticket_issued"), json.dumps(broken).encode())
    snap = model.snapshot()
    assert [a.number for a in snap.activity] == ["A001"]
    (problem,) = snap.problems
    assert problem.topic == T.evt("ticket_issued") and "numeral" in problem.reason
    assert snap.throughput is not None and len(snap.throughput.arrivals) == 1


def test_a_counter_view_on_another_counters_topic_is_refused(clock: Clock) -> None:
    model, bus = _model(clock)
    view = CounterView("3", "open", None, "t3", ("A",), None, (), ())
    bus.publish(T.state_counter("4"), Retained(1, view).encode(), retain=True)
    snap = model.snapshot()
    assert snap.counters == () and "not '4'" in snap.problems[0].reason


def test_engine_offline_blocks_actions_and_says_since_when(clock: Clock) -> None:
    model, bus = _model(clock)
    assert model.snapshot().blocked is not None
    assert model.snapshot().blocked.code == "engine_unknown"  # type: ignore[union-attr]
    bus.publish(
        T.status("engine"), StatusMsg("engine", True, "engine", 100.0).encode(), retain=True
    )
    assert model.snapshot().blocked is None
    # A health change keeps "online since" where it was.
    clock.t = 200.0
    bus.publish(
        T.status("engine"),
        StatusMsg("engine", True, "engine", 150.0, health={"log": "ok"}).encode(),
        retain=True,
    )
    assert model.snapshot().engine.since == 100.0  # type: ignore[union-attr]
    # The last will is stamped 0: the console says when it noticed.
    bus.publish(T.status("engine"), StatusMsg("engine", False, "engine", 0.0).encode(), retain=True)
    blocked = model.snapshot().blocked
    assert blocked is not None
    assert (blocked.code, blocked.since, blocked.since_known) == ("engine_offline", 200.0, False)


def test_broker_link_down_blocks_actions(clock: Clock) -> None:
    model, bus = _model(clock)
    bus.publish(T.status("engine"), StatusMsg("engine", True, "engine", 1.0).encode(), retain=True)
    clock.t = 50.0
    bus.stop()
    blocked = model.snapshot().blocked
    assert blocked is not None and (blocked.code, blocked.since) == ("broker_offline", 50.0)


def test_device_alerts_attach_to_the_device_and_the_console_says_it_is_there(
    clock: Clock,
) -> None:
    model, bus = _model(clock)
    status = StatusMsg("kiosk-1", True, "kiosk", 10.0, health={"printer": "paper_near_end"})
    bus.publish(T.status("kiosk-1"), status.encode(), retain=True)
    alert = AlertMsg("kiosk-1", "paper_near_end", "warning", "Paper is low", 11.0)
    bus.publish(T.alert("kiosk-1"), alert.encode())
    snap = model.snapshot()
    kiosk = next(d for d in snap.devices if d.device == "kiosk-1")
    assert kiosk.health == {"printer": "paper_near_end"}
    assert kiosk.last_alert is not None and kiosk.last_alert.text == "Paper is low"
    assert snap.alerts[0].code == "paper_near_end"
    console = StatusMsg.decode(bus.retained(T.status("console")) or b"")
    assert console.online and console.kind == "console"


def test_listeners_hear_every_change(clock: Clock) -> None:
    model, bus = _model(clock)
    heard: list[int] = []
    model.listen(lambda: heard.append(model.version))
    bus.publish(T.state_calls, _state({"calls": []}), retain=True)
    bus.publish(T.state_calls, b"{}", retain=True)
    assert len(heard) == 2 and heard[0] < heard[1]
