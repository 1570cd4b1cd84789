"""The typed codec: field-named refusals, the unknown-field rule, and round trips."""

from __future__ import annotations

import json
from typing import Any

import pytest

from lobbyq.core import (
    Call,
    CallsView,
    CounterView,
    CurrentTicket,
    HeldTicket,
    NoticeView,
    QueueView,
    ServiceQueue,
    TicketCalled,
    TicketIssued,
    WaitAlert,
    WaitingTicket,
)
from lobbyq.protocol import views as pv
from lobbyq.protocol.events import LoggedEvent, Reply, decode_records
from lobbyq.protocol.messages import ProtocolError, ReplyMsg, dump

ISSUED = TicketIssued(
    1.0, "2026-11-23-17", "A017", 17, 17, "A", "normal", 2, 90.0, command_id="cmd-1"
)
CALLED = TicketCalled(2.0, "2026-11-23-17", "A017", "A", "3", "T03")
NOTICE = NoticeView("custom", "Closing at 15:00", 5.0)
QUEUE = QueueView(
    "demo",
    "2026-11-23",
    9.0,
    NOTICE,
    {
        "A": ServiceQueue(
            {"en": "Accounts"}, 1, 1.5, 60.0, (WaitingTicket("A017", "vip", 3.0, 0.0),)
        )
    },
)
COUNTER = CounterView(
    "3",
    "open",
    None,
    "T03",
    ("C", "D"),
    CurrentTicket("2026-11-23-17", "A017", "A", 2.0),
    (HeldTicket("2026-11-23-9", "C009", "C"),),
    ("D004",),
)
CALLS = CallsView((Call("A017", "3", "A", 2.0),))


def _state(view: Any, seq: int = 7) -> dict[str, Any]:
    return dict(json.loads(pv.Retained(seq, view).encode()))


def test_views_round_trip_through_their_payloads() -> None:
    assert pv.decode_queue(pv.Retained(7, QUEUE).encode(), strict=True) == pv.Retained(7, QUEUE)
    assert pv.decode_counter(pv.Retained(8, COUNTER).encode(), strict=True).view == COUNTER
    assert pv.decode_calls(pv.Retained(9, CALLS).encode(), strict=True).view == CALLS
    assert pv.decode_notice(pv.Retained(3, NOTICE).encode(), strict=True).view == NOTICE
    empty = pv.Retained(4, None).encode()
    assert json.loads(empty)["state"] == {} and pv.decode_notice(empty).view is None


def test_events_round_trip_and_ticket_issued_keeps_its_issue_seq() -> None:
    wire = LoggedEvent(41, ISSUED).encode()
    assert json.loads(wire)["seq"] == 41  # on the wire ``seq`` is the log position
    back = LoggedEvent.from_dict(json.loads(wire), strict=True)  # the full form, as in a reply
    assert back == LoggedEvent(41, ISSUED) and back.expect(TicketIssued).seq == 17
    # the broadcast form (evt/) round-trips too, without the private fields
    public = LoggedEvent.decode(LoggedEvent(41, ISSUED).broadcast(), strict=True)
    assert public.expect(TicketIssued).seq == 17 and public.broadcast() == back.broadcast()
    with pytest.raises(ProtocolError, match="expected a ticket_called event, got ticket_issued"):
        back.expect(TicketCalled)


def test_an_undeclared_field_is_ignored_by_default_and_refused_when_strict() -> None:
    state = _state(QUEUE)
    state["state"]["services"]["A"]["tickets"][0]["colour"] = "red"
    payload = dump(state)
    assert pv.decode_queue(payload).view == QUEUE
    with pytest.raises(
        ProtocolError, match=r"undeclared field 'state\.services\.A\.tickets\[0\]\.colour'"
    ):
        pv.decode_queue(payload, strict=True)
    event = {"v": 1, **LoggedEvent(5, CALLED).to_dict(), "floor": 2}
    assert LoggedEvent.decode(dump(event)).event == CALLED
    with pytest.raises(ProtocolError, match="undeclared field 'floor'"):
        LoggedEvent.decode(dump(event), strict=True)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda s: s["state"].pop("day"), "field 'state.day' is missing"),
        (
            lambda s: s["state"]["services"]["A"].update(waiting="3"),
            "field 'state.services.A.waiting' must be a non-negative integer, got string",
        ),
        (
            lambda s: s["state"]["notice"].update(since=None),
            "field 'state.notice.since' must be a finite number, got null",
        ),
        (lambda s: s.update(state=[]), "field 'state' must be an object, got list"),
        (lambda s: s.pop("seq"), "field 'seq' is missing"),
    ],
)
def test_a_bad_queue_view_is_refused_naming_the_field(change: Any, reason: str) -> None:
    state = _state(QUEUE)
    change(state)
    with pytest.raises(ProtocolError) as err:
        pv.decode_queue(dump(state))
    assert str(err.value) == reason


def test_a_bad_counter_view_names_the_nested_field() -> None:
    state = _state(COUNTER)
    state["state"]["held"][0]["number"] = 9
    with pytest.raises(
        ProtocolError, match=r"'state\.held\[0\]\.number' must be a string, got number"
    ):
        pv.decode_counter(dump(state))
    state = _state(COUNTER)
    state["state"]["transferred_here"] = ["D004", None]
    with pytest.raises(ProtocolError, match=r"'state\.transferred_here\[1\]' must be a string"):
        pv.decode_counter(dump(state))


def test_an_event_field_with_a_default_may_be_absent_unless_strict() -> None:
    record = LoggedEvent(5, CALLED).to_dict()
    del record["via"]
    assert LoggedEvent.from_dict(record).expect(TicketCalled).via == "next"
    with pytest.raises(ProtocolError, match="field 'via' is missing"):
        LoggedEvent.from_dict(record, strict=True)
    del record["counter"]
    with pytest.raises(ProtocolError, match="field 'counter' is missing"):
        LoggedEvent.from_dict(record)


def test_a_wrong_typed_event_field_is_named() -> None:
    record = LoggedEvent(5, WaitAlert(1.0, "d-1", "A001", "A", 1900.0, 1800.0)).to_dict()
    record["waited_s"] = "long"
    with pytest.raises(ProtocolError, match="field 'waited_s' must be a finite number, got string"):
        LoggedEvent.from_dict(record)
    with pytest.raises(
        ProtocolError, match="'kind' is not a known event kind: 'ticket_teleported'"
    ):
        LoggedEvent.from_dict({"kind": "ticket_teleported", "seq": 1, "at": 1.0})


def test_reply_events_of_an_unknown_kind_are_skipped_unless_strict() -> None:
    records = [{"kind": "ticket_teleported", "seq": 4, "at": 1.0}, LoggedEvent(5, ISSUED).to_dict()]
    assert decode_records(records) == (LoggedEvent(5, ISSUED),)
    with pytest.raises(ProtocolError, match=r"'events\[0\]\.kind' is not a known event kind"):
        decode_records(records, strict=True)
    with pytest.raises(ProtocolError, match=r"field 'events\[0\]' must be an object, got number"):
        decode_records([7])
    wire = dump({"v": 1, "id": "cmd-00000001", "ok": True, "events": records})
    reply = Reply.of(ReplyMsg.decode(wire))
    assert reply.first(TicketIssued) == ISSUED and reply.first(TicketCalled) is None


def test_a_refusal_round_trips_and_needs_its_code() -> None:
    refusal = Reply("cmd-00000002", False, code="queue_empty", reason="Nobody is waiting.")
    assert Reply.decode(refusal.encode(), strict=True) == refusal
    with pytest.raises(ProtocolError, match="a refusal needs string fields 'code' and 'reason'"):
        Reply.decode(dump({"v": 1, "id": "cmd-00000002", "ok": False, "events": []}))
