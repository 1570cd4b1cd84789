"""The lobby manager's commands: a counter's services now, moving a waiting ticket, acks.

Each is refused with a stable code when it cannot act, leaves the state as it
was then, and is folded by ``evolve`` so replay equals apply; the properties at
the end run them among random branch traffic.
"""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lobbyq.core import (
    BranchState,
    CounterView,
    TicketCalled,
    evolve,
    queue_view,
    state_from_dict,
    state_to_dict,
)
from lobbyq.core.events import AlertAcknowledged, CounterServicesChanged, TicketMoved
from tests.core.conftest import Desk
from tests.core.test_core_properties import STAFF, check_places, random_steps


def _refused(events: list[Any]) -> str:
    (e,) = events
    assert e.kind == "command_refused", e
    return str(e.code)


# -- set_counter_services ---------------------------------------------------------------


def test_a_floating_teller_takes_another_service_and_dispatch_follows(desk: Desk) -> None:
    desk.staff("2")  # counter 2 takes B only
    desk.issue("A")
    assert _refused(desk.do("call_next", counter="2")) == "queue_empty"
    (changed,) = desk.do("set_counter_services", counter="2", services=["A", "B"])
    assert isinstance(changed, CounterServicesChanged)
    assert (changed.counter, changed.teller, changed.services) == ("2", "t2", ("A", "B"))
    assert CounterView.of(desk.state, "2").services == ("A", "B")
    assert desk.called("2") == "A001"
    # The wait estimate counts counter 2 for A now (1 = it is A's primary counter there).
    assert queue_view(desk.state, desk.now)["services"]["A"]["open_counters"] == 1.0


def test_a_counter_that_drops_a_service_no_longer_calls_or_counts_for_it(desk: Desk) -> None:
    desk.staff("1")  # counter 1 takes A, B
    desk.issue("A")
    desk.do("set_counter_services", counter="1", services=["B"])
    assert _refused(desk.do("call_next", counter="1")) == "queue_empty"
    assert _refused(desk.do("call_ticket", counter="1", ticket="A001")) == "not_served_here"
    assert queue_view(desk.state, desk.now)["services"]["A"]["expected_wait_s"] is None


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"counter": "9", "services": ["A"]}, "unknown_counter"),
        ({"counter": "1", "services": ["A", "Q"]}, "unknown_service"),
        ({"counter": "1", "services": ["S"]}, "no_counter_service"),
        ({"counter": "1", "services": ["A", "B"]}, "same_services"),  # as configured
    ],
)
def test_set_counter_services_refusals_change_nothing(
    desk: Desk, fields: dict[str, Any], code: str
) -> None:
    before = state_to_dict(desk.state)
    assert _refused(desk.do("set_counter_services", **fields)) == code
    assert state_to_dict(desk.state) == before


def test_the_order_is_the_priority_and_a_reorder_is_a_change(desk: Desk) -> None:
    desk.staff("1")
    desk.issue("A")
    desk.issue("B")
    desk.do("set_counter_services", counter="1", services=["B", "A"])  # primary B now
    assert desk.called("1") == "B001"


def test_the_next_business_day_restores_the_configured_services(desk: Desk) -> None:
    desk.do("set_counter_services", counter="2", services=["A"])
    assert CounterView.of(desk.state, "2").services == ("A",)
    desk.advance(24 * 3600)
    desk.do("tick")
    assert CounterView.of(desk.state, "2").services == ("B",)
    assert [cc.id for cc, _ in desk.state.serving["A"]] == ["1", "3"]


def test_a_snapshot_and_a_replay_keep_the_change(desk: Desk) -> None:
    desk.staff("2")
    desk.do("set_counter_services", counter="2", services=["A", "B"])
    snap = state_from_dict(json.loads(json.dumps(state_to_dict(desk.state))))
    assert snap == desk.state
    assert snap.counter_cfg["2"].services == ("A", "B")
    assert [cc.id for cc, _ in snap.serving["A"]] == ["1", "2", "3"]
    replay = BranchState.initial(desk.config)
    for e in desk.log:
        replay = evolve(replay, e)
    assert replay == desk.state and replay.counter_cfg["2"].services == ("A", "B")


# -- move_ticket -------------------------------------------------------------------------


def test_a_waiting_ticket_moves_to_another_service_keeping_its_arrival(desk: Desk) -> None:
    desk.staff("2")  # B only
    first = desk.issue("A")
    desk.advance(60)
    desk.issue("B")
    (moved,) = desk.do("move_ticket", ticket=first, to_service="B")
    assert isinstance(moved, TicketMoved)
    assert (moved.number, moved.service, moved.to_service, moved.to_counter) == (
        "A001",
        "A",
        "B",
        None,
    )
    # It arrived before B001, so it goes first in B's queue.
    assert desk.called("2") == "A001"


def test_a_waiting_ticket_moves_to_one_counter(desk: Desk) -> None:
    desk.staff("1", "2")
    number = desk.issue("A")
    desk.do("move_ticket", ticket=number, to_counter="2")
    assert CounterView.of(desk.state, "2").transferred_here == (number,)
    assert _refused(desk.do("call_next", counter="1")) == "queue_empty"
    assert desk.called("2") == number


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"ticket": "A009", "to_service": "B"}, "unknown_ticket"),
        ({"ticket": "A001", "to_service": "Q"}, "unknown_service"),
        ({"ticket": "A001", "to_service": "S"}, "self_service"),
        ({"ticket": "A001", "to_service": "A"}, "same_service"),
        ({"ticket": "A001", "to_counter": "9"}, "unknown_counter"),
    ],
)
def test_move_ticket_refusals_change_nothing(desk: Desk, fields: dict[str, Any], code: str) -> None:
    desk.issue("A")
    before = state_to_dict(desk.state)
    assert _refused(desk.do("move_ticket", **fields)) == code
    assert state_to_dict(desk.state) == before


def test_a_called_ticket_is_the_counters_to_transfer(desk: Desk) -> None:
    desk.staff("1")
    desk.issue("A")
    desk.called("1")
    assert _refused(desk.do("move_ticket", ticket="A001", to_service="B")) == "ticket_not_waiting"


def test_moving_twice_to_the_same_counter_is_refused(desk: Desk) -> None:
    desk.issue("A")
    desk.do("move_ticket", ticket="A001", to_counter="3")
    assert _refused(desk.do("move_ticket", ticket="A001", to_counter="3")) == "same_counter"
    # Back to the service queue from a counter's own queue is a real move.
    assert desk.kinds("move_ticket", ticket="A001", to_service="A") == ["ticket_moved"]


# -- ack_alert ---------------------------------------------------------------------------


def test_an_acknowledgement_is_logged_with_who_and_changes_no_queue(desk: Desk) -> None:
    before = state_to_dict(desk.state)
    (ack,) = desk.do("ack_alert", alert="rating:2026-01-05-3", by="wang", note="talked")
    assert isinstance(ack, AlertAcknowledged)
    assert (ack.alert, ack.by, ack.note, ack.at) == (
        "rating:2026-01-05-3",
        "wang",
        "talked",
        desk.now,
    )
    assert state_to_dict(desk.state) == before


# -- properties ------------------------------------------------------------------------

SERVICE_SETS = [["A"], ["B"], ["A", "B"], ["B", "A"], ["S"], ["A", "Q"], ["S", "B"]]


def _console_op(rng: random.Random) -> dict[str, Any]:
    c = rng.choice(["1", "2", "3", "9"])
    kind = rng.random()
    if kind < 0.5:
        return {"op": "set_counter_services", "counter": c, "services": rng.choice(SERVICE_SETS)}
    ticket = rng.choice([f"A00{i}" for i in range(1, 6)] + [f"B00{i}" for i in range(1, 5)])
    if kind < 0.8:
        return {"op": "move_ticket", "ticket": ticket, "to_service": rng.choice(["A", "B", "S"])}
    return {"op": "move_ticket", "ticket": ticket, "to_counter": c}


def _mixed_steps(seed: int, n: int, rollovers: bool) -> list[tuple[float, dict[str, Any]]]:
    rng = random.Random(seed ^ 0x5EED)
    steps = []
    for advance, op in random_steps(seed, n, rollovers):
        if op["op"] == "repeat":
            continue
        steps.append((advance, op))
        if rng.random() < 0.25:
            steps.append((0.0, _console_op(rng)))
    return steps


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(20, 100),
    policy=st.sampled_from(["fifo", "priority-aging", "shortest-first"]),
    rollovers=st.booleans(),
)
def test_calls_follow_todays_services_and_replay_equals_apply(
    make_desk: Any, seed: int, n: int, policy: str, rollovers: bool
) -> None:
    desk = make_desk(policy=policy)
    for advance, op in STAFF + _mixed_steps(seed, n, rollovers):
        desk.advance(advance)
        waiting_in = {t.id: t.queue for t in desk.state.tickets.values() if t.status == "waiting"}
        takes = {cid: cc.services for cid, cc in desk.state.counter_cfg.items()}
        fields = dict(op)
        events = desk.do(fields.pop("op"), **fields)
        check_places(desk.state)
        for e in events:
            if isinstance(e, TicketCalled) and not e.recall and e.via != "hold":
                ticket = desk.state.tickets[e.ticket]
                assert (
                    ticket.service in takes[e.counter] or waiting_in[e.ticket] == "@" + e.counter
                ), (e, takes[e.counter])
        for cid in desk.state.counter_cfg:
            view = CounterView.of(desk.state, cid)
            assert view.services == desk.state.counter_cfg[cid].services
            assert view.services, "a counter always takes some service"
    replay = BranchState.initial(desk.config)
    for e in desk.log:
        replay = evolve(replay, e)
    assert replay == desk.state
    assert replay.counter_cfg == desk.state.counter_cfg and replay.serving == desk.state.serving
    snap = state_from_dict(json.loads(json.dumps(state_to_dict(desk.state))))
    assert snap == desk.state and snap.counter_cfg == desk.state.counter_cfg


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    services=st.lists(st.sampled_from(["A", "B", "S", "Q"]), min_size=1, max_size=4, unique=True)
)
def test_a_refused_change_leaves_the_state_and_an_accepted_one_is_what_the_view_says(
    make_desk: Any, services: list[str]
) -> None:
    desk = make_desk()
    before = state_to_dict(desk.state)
    events = desk.do("set_counter_services", counter="2", services=list(services))
    if events[0].kind == "command_refused":
        assert state_to_dict(desk.state) == before
        bad = "Q" in services or set(services) == {"S"} or services == ["B"]
        assert bad, events
    else:
        assert CounterView.of(desk.state, "2").services == tuple(services)
        assert [s for s, lst in desk.state.serving.items() if any(c.id == "2" for c, _ in lst)] == [
            s for s in ("A", "B", "S") if s in services
        ]
