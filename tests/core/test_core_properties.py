"""Property tests over random command sequences (hypothesis).

Invariants after every step: no two live tickets share a number; every ticket
is in exactly one state (and one place); no ticket disappears except through
expiry at a day rollover; a ticket is only called by a counter that serves its
service (or to which it was transferred, or which holds it); repeating a
command id changes nothing; and at the end, replaying the events gives the
same state and a snapshot round-trips.
"""

from __future__ import annotations

import json
import os
import random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lobbyq.core import (
    BranchState,
    DayRolledOver,
    TicketCalled,
    TicketExpired,
    evolve,
    state_from_dict,
    state_to_dict,
)
from lobbyq.core.state import CALLED, HELD, LIVE_STATUSES, TICKET_STATUSES, WAITING

COUNTERS = ["1", "1", "2", "3", "3", "9"]
NUMBERS = [f"A00{i}" for i in range(1, 6)] + [f"B00{i}" for i in range(1, 5)]
ADVANCE = [0.0, 0.0, 5.0, 30.0, 30.0, 120.0, 300.0, 1500.0]
STAFF: list[tuple[float, dict[str, Any]]] = [
    step
    for c in ("1", "2", "3")
    for step in (
        (0.0, {"op": "login", "counter": c, "teller": f"t{c}"}),
        (0.0, {"op": "open_counter", "counter": c}),
    )
]


def _op(rng: random.Random) -> dict[str, Any]:
    """One random command, weighted toward the traffic a branch really sees."""
    c = rng.choice(COUNTERS)
    kind = rng.choices(
        [
            "issue",
            "call",
            "finish",
            "counter",
            "login",
            "pause",
            "pick",
            "cancel",
            "transfer",
            "rate",
            "notice",
            "tick",
            "repeat",
        ],
        weights=[20, 18, 12, 10, 3, 3, 8, 3, 5, 4, 2, 6, 4],
    )[0]
    if kind == "issue":
        return {
            "op": "issue_ticket",
            "service": rng.choice(["A", "A", "B", "Z"]),
            "customer_class": rng.choice(["normal", "normal", "vip", "care", "appointment"]),
        }
    if kind == "call":
        return {"op": "call_next", "counter": c}
    if kind == "finish":
        return {"op": rng.choice(["finish", "finish", "no_show", "hold", "recall"]), "counter": c}
    if kind == "counter":
        op = rng.choice(["logout", "open_counter", "open_counter", "close_counter", "resume"])
        return {"op": op, "counter": c}
    if kind == "login":
        return {"op": "login", "counter": c, "teller": rng.choice(["t1", "t2", "t3", "x"])}
    if kind == "pause":
        return {"op": "pause", "counter": c, "reason": rng.choice(["break", "lunch"])}
    if kind == "pick":
        op = rng.choice(["call_ticket", "call_back"])
        return {"op": op, "counter": c, "ticket": rng.choice(NUMBERS)}
    if kind == "cancel":
        return {"op": "cancel", "ticket": rng.choice(NUMBERS)}
    if kind == "transfer":
        if rng.random() < 0.5:
            return {"op": "transfer", "counter": c, "to_service": rng.choice(["A", "B", "S", "Z"])}
        return {"op": "transfer", "counter": c, "to_counter": rng.choice(COUNTERS)}
    if kind == "rate":
        return {"op": "rate", "counter": c, "value": rng.randint(1, 5), "scale": 5}
    if kind == "notice":
        return rng.choice([{"op": "set_notice", "notice": "power_cut"}, {"op": "clear_notice"}])
    if kind == "tick":
        return {"op": "tick"}
    return {"op": "repeat"}


def random_steps(seed: int, n: int, rollovers: bool) -> list[tuple[float, dict[str, Any]]]:
    rng = random.Random(seed)
    steps = []
    for _ in range(n):
        advance = 20 * 3600.0 if rollovers and rng.random() < 0.02 else rng.choice(ADVANCE)
        steps.append((advance, _op(rng)))
    return steps


def check_places(state: BranchState) -> None:
    """Every ticket has one status and sits in exactly the one place that status says."""
    in_queue: dict[str, int] = {}
    for key, q in state.queues.items():
        assert q == sorted(q), key
        for entry in q:
            in_queue[entry[3]] = in_queue.get(entry[3], 0) + 1
            t = state.tickets[entry[3]]
            assert t.queue == key and t.entry == entry
    current = [c.current for c in state.counters.values() if c.current is not None]
    held = [tid for c in state.counters.values() for tid in c.held]
    assert len(current) == len(set(current)) and len(held) == len(set(held))
    live_numbers: list[str] = []
    for t in state.tickets.values():
        assert t.status in TICKET_STATUSES
        assert in_queue.get(t.id, 0) == (1 if t.status == WAITING else 0), t
        assert (t.id in current) == (t.status == CALLED), t
        assert (t.id in held) == (t.status == HELD), t
        if t.status == HELD:
            assert t.id in state.counters[t.counter or ""].held
        if t.status in LIVE_STATUSES:
            live_numbers.append(t.number)
            assert state.by_number[t.number] == t.id
            assert state.live_numerals[t.range_service][t.numeral] == t.id
    assert len(live_numbers) == len(set(live_numbers)), "two live tickets share a number"
    assert len(state.by_number) == len(live_numbers)
    assert sum(len(v) for v in state.live_numerals.values()) == len(live_numbers)


def run_sequence(desk: Any, steps: list[tuple[float, dict[str, Any]]]) -> None:
    sent: list[dict[str, Any]] = []
    for advance, op in steps:
        if op["op"] == "repeat":
            if not sent:
                continue
            before = state_to_dict(desk.state)
            n_log = len(desk.log)
            desk.send(sent[len(sent) // 2])
            assert state_to_dict(desk.state) == before, "a repeated command id changed the state"
            assert len(desk.log) == n_log
            continue
        desk.advance(advance)
        state = desk.state
        before_ids = set(state.tickets)
        waiting_in = {t.id: t.queue for t in state.tickets.values() if t.status == WAITING}
        held_at = {t.id: t.counter for t in state.tickets.values() if t.status == HELD}
        desk.n += 1
        d = {"id": f"cmd-{desk.n}", **op}
        sent.append(d)
        events = desk.send(d)
        state = desk.state
        check_places(state)
        rolled = any(isinstance(e, DayRolledOver) for e in events)
        expired = {e.ticket for e in events if isinstance(e, TicketExpired)}
        for tid in before_ids - set(state.tickets):
            assert rolled, f"ticket {tid} disappeared without a day rollover"
        for tid in before_ids:
            if tid not in state.tickets and tid in waiting_in:
                assert tid in expired
        for e in events:
            if isinstance(e, TicketCalled) and not e.recall:
                serves = state.config.counter[e.counter].serves(state.tickets[e.ticket].service)
                if e.via == "hold":
                    assert held_at.get(e.ticket) == e.counter
                else:
                    assert serves or waiting_in.get(e.ticket) == "@" + e.counter, e
    replay = BranchState.initial(desk.config)
    for ev in desk.log:
        replay = evolve(replay, ev)
    assert replay == desk.state, "replaying the events gave another state"
    snap = json.loads(json.dumps(state_to_dict(desk.state)))
    assert state_from_dict(snap) == desk.state


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(20, 120),
    policy=st.sampled_from(["fifo", "priority-aging", "shortest-first", "longest-first"]),
    transfer=st.sampled_from(["keep_arrival", "front"]),
    finishes=st.booleans(),
    staffed=st.booleans(),
    rollovers=st.booleans(),
)
def test_random_sequences_keep_the_invariants(
    make_desk: Any,
    seed: int,
    n: int,
    policy: str,
    transfer: str,
    finishes: bool,
    staffed: bool,
    rollovers: bool,
) -> None:
    desk = make_desk(policy=policy, transfer=transfer, call_finishes_current=finishes)
    run_sequence(desk, (STAFF if staffed else []) + random_steps(seed, n, rollovers))


@pytest.mark.soak
@settings(
    max_examples=int(os.environ.get("LOBBYQ_SOAK_EXAMPLES", "500")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    seed=st.integers(0, 2**32 - 1),
    policy=st.sampled_from(["fifo", "priority-aging", "shortest-first", "longest-first"]),
)
def test_soak_long_random_sequences(make_desk: Any, seed: int, policy: str) -> None:
    run_sequence(make_desk(policy=policy), STAFF + random_steps(seed, 1500, True))
