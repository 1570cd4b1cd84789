"""Table-driven tests: every command's success and every refusal, with its code."""

from __future__ import annotations

from typing import Any

import pytest

from lobbyq.core import CommandRefused, state_to_dict

Step = tuple[str, dict[str, Any]]

# Setups: named lists of commands run before the command under test.
OPEN1: list[Step] = [
    ("login", {"counter": "1", "teller": "t1"}),
    ("open_counter", {"counter": "1"}),
]
OPEN2: list[Step] = [
    ("login", {"counter": "2", "teller": "t2"}),
    ("open_counter", {"counter": "2"}),
]
ISSUE_A: list[Step] = [("issue_ticket", {"service": "A"})]
ISSUE_B: list[Step] = [("issue_ticket", {"service": "B"})]
CALL1: list[Step] = [("call_next", {"counter": "1"})]
FINISH1: list[Step] = [("finish", {"counter": "1"})]
HOLD1: list[Step] = [("hold", {"counter": "1"})]

# (name, setup, op, fields, expected event kinds or refusal code)
SUCCESS: list[tuple[str, list[Step], str, dict[str, Any], list[str]]] = [
    ("issue", [], "issue_ticket", {"service": "A"}, ["ticket_issued"]),
    (
        "issue vip with identity",
        [],
        "issue_ticket",
        {
            "service": "A",
            "customer_class": "vip",
            "identity": {"kind": "card", "hash": "ab" * 16, "masked": "**** 0042"},
        },
        ["ticket_issued"],
    ),
    ("login", [], "login", {"counter": "1", "teller": "t1"}, ["teller_logged_in"]),
    (
        "open",
        [("login", {"counter": "1", "teller": "t1"})],
        "open_counter",
        {"counter": "1"},
        ["counter_opened"],
    ),
    ("pause", OPEN1, "pause", {"counter": "1", "reason": "lunch"}, ["counter_paused"]),
    (
        "resume",
        [*OPEN1, ("pause", {"counter": "1", "reason": "break"})],
        "resume",
        {"counter": "1"},
        ["counter_resumed"],
    ),
    ("close", OPEN1, "close_counter", {"counter": "1"}, ["counter_closed"]),
    ("logout", OPEN1, "logout", {"counter": "1"}, ["teller_logged_out"]),
    ("call next", [*OPEN1, *ISSUE_A], "call_next", {"counter": "1"}, ["ticket_called"]),
    (
        "call next finishes current",
        [*OPEN1, *ISSUE_A, *ISSUE_A, *CALL1],
        "call_next",
        {"counter": "1"},
        ["ticket_finished", "ticket_called"],
    ),
    (
        "call ticket",
        [*OPEN1, *ISSUE_A, *ISSUE_A],
        "call_ticket",
        {"counter": "1", "ticket": "A002"},
        ["ticket_called"],
    ),
    ("recall", [*OPEN1, *ISSUE_A, *CALL1], "recall", {"counter": "1"}, ["ticket_called"]),
    ("no-show", [*OPEN1, *ISSUE_A, *CALL1], "no_show", {"counter": "1"}, ["ticket_no_show"]),
    ("finish", [*OPEN1, *ISSUE_A, *CALL1], "finish", {"counter": "1"}, ["ticket_finished"]),
    (
        "transfer to service",
        [*OPEN1, *ISSUE_A, *CALL1],
        "transfer",
        {"counter": "1", "to_service": "B"},
        ["ticket_transferred"],
    ),
    (
        "transfer to counter",
        [*OPEN1, *ISSUE_A, *CALL1],
        "transfer",
        {"counter": "1", "to_counter": "2"},
        ["ticket_transferred"],
    ),
    ("hold", [*OPEN1, *ISSUE_A, *CALL1], "hold", {"counter": "1"}, ["ticket_held"]),
    (
        "call back",
        [*OPEN1, *ISSUE_A, *CALL1, *HOLD1],
        "call_back",
        {"counter": "1", "ticket": "A001"},
        ["ticket_called"],
    ),
    ("cancel waiting", ISSUE_A, "cancel", {"ticket": "A001"}, ["ticket_cancelled"]),
    (
        "cancel held",
        [*OPEN1, *ISSUE_A, *CALL1, *HOLD1],
        "cancel",
        {"ticket": "A001"},
        ["ticket_cancelled"],
    ),
    (
        "rate",
        [*OPEN1, *ISSUE_A, *CALL1, *FINISH1],
        "rate",
        {"counter": "1", "value": 5, "scale": 5},
        ["ticket_rated"],
    ),
    ("set notice", [], "set_notice", {"notice": "power_cut"}, ["notice_set"]),
    (
        "clear notice",
        [("set_notice", {"notice": "custom", "text": "Back at 14:00"})],
        "clear_notice",
        {},
        ["notice_cleared"],
    ),
    ("quiet tick", [], "tick", {}, []),
]

REFUSALS: list[tuple[str, list[Step], str, dict[str, Any], str]] = [
    ("call on a closed counter", ISSUE_A, "call_next", {"counter": "1"}, "counter_closed"),
    (
        "call on a paused counter",
        [*OPEN1, *ISSUE_A, ("pause", {"counter": "1", "reason": "break"})],
        "call_next",
        {"counter": "1"},
        "counter_paused",
    ),
    ("call with nobody waiting", OPEN1, "call_next", {"counter": "1"}, "queue_empty"),
    ("call on an unknown counter", ISSUE_A, "call_next", {"counter": "9"}, "unknown_counter"),
    ("finish with nothing called", OPEN1, "finish", {"counter": "1"}, "nothing_called"),
    (
        "second finish",
        [*OPEN1, *ISSUE_A, *CALL1, *FINISH1],
        "finish",
        {"counter": "1"},
        "nothing_called",
    ),
    ("no-show with nothing called", OPEN1, "no_show", {"counter": "1"}, "nothing_called"),
    ("recall with nothing called", OPEN1, "recall", {"counter": "1"}, "nothing_called"),
    ("hold with nothing called", OPEN1, "hold", {"counter": "1"}, "nothing_called"),
    (
        "transfer with nothing called",
        OPEN1,
        "transfer",
        {"counter": "1", "to_service": "B"},
        "nothing_called",
    ),
    (
        "transfer to an unknown service",
        [*OPEN1, *ISSUE_A, *CALL1],
        "transfer",
        {"counter": "1", "to_service": "Z"},
        "unknown_service",
    ),
    (
        "transfer to its own service",
        [*OPEN1, *ISSUE_A, *CALL1],
        "transfer",
        {"counter": "1", "to_service": "A"},
        "same_service",
    ),
    (
        "transfer to an unknown counter",
        [*OPEN1, *ISSUE_A, *CALL1],
        "transfer",
        {"counter": "1", "to_counter": "9"},
        "unknown_counter",
    ),
    (
        "transfer to the same counter",
        [*OPEN1, *ISSUE_A, *CALL1],
        "transfer",
        {"counter": "1", "to_counter": "1"},
        "same_counter",
    ),
    ("issue for an unknown service", [], "issue_ticket", {"service": "Z"}, "unknown_service"),
    ("issue for a self-service business", [], "issue_ticket", {"service": "S"}, "self_service"),
    (
        "call an unknown ticket",
        OPEN1,
        "call_ticket",
        {"counter": "1", "ticket": "A009"},
        "unknown_ticket",
    ),
    (
        "call a ticket this counter does not serve",
        [*OPEN2, *ISSUE_A],
        "call_ticket",
        {"counter": "2", "ticket": "A001"},
        "not_served_here",
    ),
    (
        "call a ticket already called",
        [*OPEN1, *OPEN2, *ISSUE_B, ("call_next", {"counter": "2"})],
        "call_ticket",
        {"counter": "1", "ticket": "B001"},
        "ticket_not_waiting",
    ),
    (
        "call back a ticket not on hold",
        [*OPEN1, *ISSUE_A],
        "call_back",
        {"counter": "1", "ticket": "A001"},
        "not_held",
    ),
    (
        "cancel a ticket at the counter",
        [*OPEN1, *ISSUE_A, *CALL1],
        "cancel",
        {"ticket": "A001"},
        "ticket_at_counter",
    ),
    ("cancel an unknown ticket", [], "cancel", {"ticket": "A001"}, "unknown_ticket"),
    (
        "rate with nothing finished",
        OPEN1,
        "rate",
        {"counter": "1", "value": 3, "scale": 3},
        "nothing_to_rate",
    ),
    (
        "rate twice",
        [*OPEN1, *ISSUE_A, *CALL1, *FINISH1, ("rate", {"counter": "1", "value": 5})],
        "rate",
        {"counter": "1", "value": 1},
        "already_rated",
    ),
    (
        "login at an unknown counter",
        [],
        "login",
        {"counter": "9", "teller": "t1"},
        "unknown_counter",
    ),
    ("login twice", OPEN1, "login", {"counter": "1", "teller": "t1"}, "already_logged_in"),
    (
        "login over another teller",
        OPEN1,
        "login",
        {"counter": "1", "teller": "t9"},
        "teller_present",
    ),
    ("login at two counters", OPEN1, "login", {"counter": "2", "teller": "t1"}, "teller_elsewhere"),
    ("open without a teller", [], "open_counter", {"counter": "1"}, "not_logged_in"),
    ("open twice", OPEN1, "open_counter", {"counter": "1"}, "already_open"),
    (
        "open while paused",
        [*OPEN1, ("pause", {"counter": "1", "reason": "lunch"})],
        "open_counter",
        {"counter": "1"},
        "counter_paused",
    ),
    ("close a closed counter", [], "close_counter", {"counter": "1"}, "already_closed"),
    (
        "close while serving",
        [*OPEN1, *ISSUE_A, *CALL1],
        "close_counter",
        {"counter": "1"},
        "counter_busy",
    ),
    (
        "close with tickets on hold",
        [*OPEN1, *ISSUE_A, *CALL1, *HOLD1],
        "close_counter",
        {"counter": "1"},
        "tickets_on_hold",
    ),
    ("logout with nobody logged in", [], "logout", {"counter": "1"}, "not_logged_in"),
    (
        "logout while serving",
        [*OPEN1, *ISSUE_A, *CALL1],
        "logout",
        {"counter": "1"},
        "counter_busy",
    ),
    ("pause a closed counter", [], "pause", {"counter": "1", "reason": "break"}, "counter_closed"),
    (
        "pause twice",
        [*OPEN1, ("pause", {"counter": "1", "reason": "break"})],
        "pause",
        {"counter": "1", "reason": "lunch"},
        "already_paused",
    ),
    (
        "pause while serving",
        [*OPEN1, *ISSUE_A, *CALL1],
        "pause",
        {"counter": "1", "reason": "other"},
        "counter_busy",
    ),
    ("resume a counter not paused", OPEN1, "resume", {"counter": "1"}, "not_paused"),
    ("clear a notice never set", [], "clear_notice", {}, "no_notice"),
    (
        "issue past the last free number",
        ISSUE_A * 5,
        "issue_ticket",
        {"service": "A"},
        "numbers_exhausted",
    ),
]


def _run_setup(desk: Any, setup: list[Step]) -> None:
    for op, fields in setup:
        events = desk.do(op, **fields)
        assert not any(isinstance(e, CommandRefused) for e in events), (op, fields, events)


@pytest.mark.parametrize(
    ("setup", "op", "fields", "kinds"), [c[1:] for c in SUCCESS], ids=[c[0] for c in SUCCESS]
)
def test_command_succeeds(
    desk: Any, setup: list[Step], op: str, fields: dict[str, Any], kinds: list[str]
) -> None:
    _run_setup(desk, setup)
    desk.advance(30)
    assert desk.kinds(op, **fields) == kinds


@pytest.mark.parametrize(
    ("setup", "op", "fields", "code"), [c[1:] for c in REFUSALS], ids=[c[0] for c in REFUSALS]
)
def test_command_refused_with_reason_and_no_change(
    desk: Any, setup: list[Step], op: str, fields: dict[str, Any], code: str
) -> None:
    _run_setup(desk, setup)
    desk.advance(30)
    before = state_to_dict(desk.state)
    (ev,) = desk.do(op, **fields)
    assert isinstance(ev, CommandRefused)
    assert (ev.code, ev.op) == (code, op)
    assert ev.reason.endswith(".") and len(ev.reason) > 15  # an English sentence
    assert ev.command_id == f"cmd-{desk.n}"
    assert state_to_dict(desk.state) == before


def test_rating_after_the_timeout_is_refused_and_the_ticket_counted_unrated(desk: Any) -> None:
    _run_setup(desk, [*OPEN1, *ISSUE_A, *CALL1, *FINISH1])
    desk.advance(61)
    assert desk.kinds("tick") == ["ticket_unrated"]
    (ev,) = desk.do("rate", counter="1", value=4)
    assert isinstance(ev, CommandRefused) and ev.code == "rating_expired"


def test_call_on_a_busy_counter_is_refused_when_call_does_not_finish(make_desk: Any) -> None:
    desk = make_desk(call_finishes_current=False)
    _run_setup(desk, [*OPEN1, *ISSUE_A, *ISSUE_A, *CALL1])
    (ev,) = desk.do("call_next", counter="1")
    assert isinstance(ev, CommandRefused) and ev.code == "counter_busy"
