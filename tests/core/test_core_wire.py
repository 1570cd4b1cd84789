"""Wire forms: command validation, round trips, config errors, privacy."""

from __future__ import annotations

import hashlib
import hmac
import json
import random
from typing import Any

import pytest

from lobbyq.core import (
    COMMAND_TYPES,
    EVENT_TYPES,
    BranchConfig,
    ConfigError,
    InvalidCommand,
    InvalidEvent,
    command_from_dict,
    command_to_dict,
    counter_view,
    event_from_dict,
    event_to_dict,
    notice_view,
    queue_view,
    recent_calls,
    state_from_dict,
    state_to_dict,
)

VALID: dict[str, dict[str, Any]] = {
    "issue_ticket": {
        "service": "A",
        "customer_class": "appointment",
        "lang": "zh-Hant",
        "identity": {"kind": "id", "hash": "0f" * 32, "masked": "张*"},
        "appointment": {"ref": "APT-7", "due": 1767574800},
    },
    "login": {"counter": "1", "teller": "t1"},
    "logout": {"counter": "1"},
    "open_counter": {"counter": "1"},
    "close_counter": {"counter": "1"},
    "pause": {"counter": "1", "reason": "lunch"},
    "resume": {"counter": "1"},
    "call_next": {"counter": "1"},
    "call_ticket": {"counter": "1", "ticket": "A007"},
    "recall": {"counter": "1"},
    "no_show": {"counter": "1"},
    "finish": {"counter": "1"},
    "transfer": {"counter": "1", "to_counter": "2"},
    "hold": {"counter": "1"},
    "call_back": {"counter": "1", "ticket": "A007"},
    "cancel": {"ticket": "A007"},
    "rate": {"counter": "1", "value": 2, "scale": 3, "reason": "slow"},
    "set_notice": {"notice": "custom", "text": "Lunch hours: two windows open"},
    "clear_notice": {},
    "set_counter_services": {"counter": "1", "services": ["D", "A"]},
    "move_ticket": {"ticket": "A007", "to_service": "B"},
    "ack_alert": {"alert": "wait:2026-01-05-7", "by": "manager", "note": "spoke to them"},
    "tick": {},
}


def test_every_op_has_a_valid_example() -> None:
    assert set(VALID) == set(COMMAND_TYPES)


@pytest.mark.parametrize("op", sorted(VALID))
def test_command_round_trip(op: str) -> None:
    d = {"id": "3f0c-uuid", "op": op, **VALID[op]}
    cmd = command_from_dict(d)
    assert cmd.op == op
    again = command_to_dict(cmd)
    assert command_from_dict(again) == cmd
    json.dumps(again)


BAD: list[tuple[str, dict[str, Any], str]] = [
    ("not an object", [], "JSON object"),  # type: ignore[list-item]
    ("unknown op", {"id": "x", "op": "teleport"}, "unknown op"),
    ("missing id", {"op": "tick"}, "'id' is required"),
    ("empty counter", {"id": "x", "op": "finish", "counter": ""}, "non-empty string"),
    (
        "bad class",
        {"id": "x", "op": "issue_ticket", "service": "A", "customer_class": "gold"},
        "customer_class must be one of",
    ),
    ("bad lang", {"id": "x", "op": "issue_ticket", "service": "A", "lang": "fr"}, "lang"),
    (
        "bad hash",
        {
            "id": "x",
            "op": "issue_ticket",
            "service": "A",
            "identity": {"kind": "card", "hash": "XYZ", "masked": "*"},
        },
        "hex",
    ),
    (
        "clear number as masked",
        {
            "id": "x",
            "op": "issue_ticket",
            "service": "A",
            "identity": {"kind": "card", "hash": "ab" * 16, "masked": "6222 0000 0000 1234"},
        },
        "clear number",
    ),
    (
        "bad identity kind",
        {
            "id": "x",
            "op": "issue_ticket",
            "service": "A",
            "identity": {"kind": "face", "hash": "ab" * 16, "masked": "*"},
        },
        "kind",
    ),
    (
        "appointment without due",
        {"id": "x", "op": "issue_ticket", "service": "A", "appointment": {"ref": "R"}},
        "due",
    ),
    (
        "transfer to both",
        {"id": "x", "op": "transfer", "counter": "1", "to_service": "B", "to_counter": "2"},
        "exactly one",
    ),
    ("transfer to neither", {"id": "x", "op": "transfer", "counter": "1"}, "exactly one"),
    (
        "rating above the scale",
        {"id": "x", "op": "rate", "counter": "1", "value": 4, "scale": 3},
        "from 1 to 3",
    ),
    ("rating scale", {"id": "x", "op": "rate", "counter": "1", "value": 1, "scale": 10}, "3 or 5"),
    ("rating as bool", {"id": "x", "op": "rate", "counter": "1", "value": True}, "integer"),
    (
        "rating reason",
        {"id": "x", "op": "rate", "counter": "1", "value": 1, "reason": "Too Slow!"},
        "short code",
    ),
    ("pause reason", {"id": "x", "op": "pause", "counter": "1", "reason": "nap"}, "reason"),
    ("notice kind", {"id": "x", "op": "set_notice", "notice": "fire"}, "notice"),
    (
        "empty services",
        {"id": "x", "op": "set_counter_services", "counter": "1", "services": []},
        "non-empty list",
    ),
    (
        "services not a list",
        {"id": "x", "op": "set_counter_services", "counter": "1", "services": "A"},
        "non-empty list",
    ),
    (
        "service twice",
        {"id": "x", "op": "set_counter_services", "counter": "1", "services": ["A", "A"]},
        "twice",
    ),
    (
        "service not a code",
        {"id": "x", "op": "set_counter_services", "counter": "1", "services": ["A", 3]},
        "code",
    ),
    (
        "move with both targets",
        {"id": "x", "op": "move_ticket", "ticket": "A1", "to_service": "B", "to_counter": "2"},
        "exactly one",
    ),
    ("move with no target", {"id": "x", "op": "move_ticket", "ticket": "A1"}, "exactly one"),
    ("ack without who", {"id": "x", "op": "ack_alert", "alert": "wait:1"}, "'by' is required"),
    (
        "ack with a topic-like id",
        {"id": "x", "op": "ack_alert", "alert": "a/b#", "by": "m"},
        "alert id",
    ),
    (
        "ack note with a card number",
        {"id": "x", "op": "ack_alert", "alert": "w:1", "by": "m", "note": "card 6222000011112222"},
        "card or ID",
    ),
]


@pytest.mark.parametrize(("d", "words"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_invalid_commands_say_why(d: Any, words: str) -> None:
    with pytest.raises(InvalidCommand) as exc:
        command_from_dict(d)
    assert words in exc.value.reason


def test_event_round_trip_for_every_kind(desk: Any) -> None:
    desk.staff("1", "2")
    desk.issue("A", identity={"kind": "card", "hash": "ab" * 16, "masked": "**** 0042"})
    desk.issue("A")
    desk.called("1")
    desk.do("recall", counter="1")
    desk.do("transfer", counter="1", to_service="B")
    desk.called("2")
    desk.do("finish", counter="2")
    desk.do("rate", counter="2", value=5)
    desk.called("1")
    desk.do("hold", counter="1")
    desk.do("cancel", ticket="A002")
    desk.do("pause", counter="2", reason="break")
    desk.do("set_notice", notice="power_cut")
    desk.do("finish", counter="9")
    kinds = {e.kind for e in desk.log}
    assert {
        "ticket_issued",
        "ticket_called",
        "ticket_transferred",
        "ticket_rated",
        "ticket_held",
        "ticket_cancelled",
        "counter_paused",
        "command_refused",
    } <= kinds
    for ev in desk.log:
        d = json.loads(json.dumps(event_to_dict(ev)))
        assert d["kind"] == ev.kind
        assert event_from_dict(d) == ev


def test_unknown_event_kind_is_an_error() -> None:
    with pytest.raises(InvalidEvent):
        event_from_dict({"kind": "meteor", "at": 0})
    with pytest.raises(InvalidEvent):
        event_from_dict({"kind": "ticket_cancelled", "at": 0})
    assert set(EVENT_TYPES) >= {"ticket_called", "command_refused"}


def test_snapshot_round_trip_is_json_and_equal(desk: Any) -> None:
    desk.staff("1")
    for _ in range(3):
        desk.issue()
    desk.called("1")
    desk.do("hold", counter="1")
    desk.called("1")
    desk.do("set_notice", notice="custom", text="x")
    snap = json.loads(json.dumps(state_to_dict(desk.state)))
    assert state_from_dict(snap) == desk.state
    assert state_from_dict(snap, desk.config) == desk.state


CONFIG_ERRORS: list[tuple[str, Any, str]] = [
    (
        "unknown service at a counter",
        lambda d: d["counters"][0].update(services=["Z"]),
        "counters[0].services",
    ),
    ("unknown policy", lambda d: d["branch"].update(policy="random"), "branch.policy"),
    ("duplicate code", lambda d: d["services"][1].update(code="A", prefix="Q"), "services"),
    ("bad rollover", lambda d: d["branch"].update(rollover="25:00"), "branch.rollover"),
    ("bad offset", lambda d: d["branch"].update(utc_offset="8"), "branch.utc_offset"),
    ("bad zone", lambda d: d["branch"].update(zone="Mars/Olympus"), "branch.zone"),
    ("bad range", lambda d: d["services"][0].update(range=[5, 1]), "services[0].range"),
    ("bad language", lambda d: d["services"][0].update(name={"fr": "x"}), "services[0].name.fr"),
    ("no counters", lambda d: d.update(counters=[]), "counters"),
    ("bad counter mode", lambda d: d["counters"][0].update(mode="shared"), "counters[0].mode"),
    (
        "bad class weight",
        lambda d: d["branch"].update(priority_minutes={"gold": 5}),
        "branch.priority_minutes.gold",
    ),
]


@pytest.mark.parametrize(
    ("change", "field"), [c[1:] for c in CONFIG_ERRORS], ids=[c[0] for c in CONFIG_ERRORS]
)
def test_config_errors_name_the_field_and_the_fix(change: Any, field: str) -> None:
    doc = BranchConfig.default().to_dict()
    change(doc)
    with pytest.raises(ConfigError) as exc:
        BranchConfig.from_dict(doc)
    assert exc.value.fields[0] == field
    assert "fix:" in str(exc.value) and all(p.fix for p in exc.value.problems)


def test_default_branch_is_the_seed_002_demo() -> None:
    cfg = BranchConfig.default()
    assert [s.code for s in cfg.services] == ["A", "B", "C", "D"]
    assert len(cfg.counters) == 4
    for s in cfg.services:
        assert set(s.names) == {"zh-Hans", "zh-Hant", "en", "es"}
        assert set(s.prepare) == {"zh-Hans", "zh-Hant", "en", "es"}
    assert BranchConfig.from_dict(cfg.to_dict()) == cfg


def test_a_card_number_never_reaches_events_or_snapshots(desk: Any) -> None:
    rng = random.Random(7)
    # An obviously synthetic 19-digit number, made up here and never stored.
    number = "9" + "".join(str(rng.randrange(10)) for _ in range(18))
    digest = hmac.new(b"test-branch-secret", number.encode(), hashlib.sha256).hexdigest()
    masked = "**** " + number[-4:]
    desk.staff("1")
    desk.issue("A", identity={"kind": "card", "hash": digest, "masked": masked})
    desk.called("1")
    desk.do("finish", counter="1")
    blob = json.dumps([event_to_dict(e) for e in desk.log]) + json.dumps(state_to_dict(desk.state))
    assert digest in blob and masked in blob
    assert number not in blob and number[:12] not in blob


def test_views_are_json_safe_and_carry_no_identity(desk: Any) -> None:
    desk.staff("1", "2")
    desk.issue("A", identity={"kind": "card", "hash": "ab" * 16, "masked": "**** 0042"})
    desk.issue("B", customer_class="vip")
    desk.called("1")
    desk.do("hold", counter="1")
    desk.do("set_notice", notice="custom", text="Window 3 is closed today")
    views = [
        queue_view(desk.state, desk.now),
        counter_view(desk.state, "1"),
        counter_view(desk.state, "2"),
        recent_calls(desk.state),
        notice_view(desk.state),
    ]
    blob = json.dumps(views, ensure_ascii=False)
    assert json.loads(blob) == views
    assert "ab" * 16 not in blob and "0042" not in blob
