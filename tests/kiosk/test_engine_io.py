"""The kiosk's translation of engine messages: typed decoding, no guessed field names."""

from __future__ import annotations

from typing import Any

import pytest

from kiosk.ui import engine_io
from kiosk.ui.flow import IssuedTicket, RequestTicket
from lobbyq.core import (
    CommandRefused,
    NoticeView,
    QueueView,
    ServiceQueue,
    TicketCalled,
    TicketIssued,
    WaitingTicket,
)
from lobbyq.protocol.events import LoggedEvent
from lobbyq.protocol.messages import ProtocolError

ISSUED = TicketIssued(1.0, "2026-11-23-4", "A004", 4, 4, "A", "vip", 2, 90.0, command_id="c-1")


def _records(*events: Any) -> tuple[dict[str, Any], ...]:
    return tuple(LoggedEvent(seq, ev).to_dict() for seq, ev in enumerate(events, 10))


def test_the_reply_s_ticket_issued_becomes_the_flow_s_ticket() -> None:
    called = TicketCalled(1.0, "2026-11-23-1", "A001", "A", "2", "T02")
    t = engine_io.ticket_from_reply(_records(called, ISSUED))
    assert t == IssuedTicket("A004", "A", 2, 90.0, "vip", "2026-11-23-4")
    unknown = {"kind": "ticket_teleported", "seq": 3, "at": 1.0}  # a newer engine's event
    assert engine_io.ticket_from_reply((unknown, *_records(ISSUED))) == t
    assert engine_io.ticket_from_reply(_records(called)) is None


def test_a_malformed_ticket_issued_is_no_ticket_rather_than_a_guess() -> None:
    (odd,) = _records(ISSUED)
    assert engine_io.ticket_from_reply(({**odd, "ahead": True},)) is None
    assert engine_io.ticket_from_reply(({**odd, "expected_wait_s": "x"},)) is None
    bare = {"kind": "ticket_issued", "seq": 1, "at": 1.0, "number": "A005", "people_ahead": 2}
    assert engine_io.ticket_from_reply((bare,)) is None


def test_refusal_of_reads_the_refusal_code() -> None:
    refused = CommandRefused(1.0, "c-1", "issue_ticket", "service_closed", "Service A is closed.")
    assert engine_io.refusal_of(_records(refused)) == "service_closed"
    assert engine_io.refusal_of(_records(ISSUED)) is None


def test_queue_view_reads_the_engine_s_queue_view() -> None:
    a = ServiceQueue({"en": "Accounts"}, 1, 1.0, 420.0, (WaitingTicket("A004", "vip", 3.0, 0.0),))
    b = ServiceQueue({"en": "Wealth"}, 0, 0.0, None, ())
    view = QueueView("demo", "2026-11-23", 9.0, None, {"A": a, "B": b}).to_dict()
    assert engine_io.queue_view(view) == {"A": (1, 420.0), "B": (0, None)}
    view["services"]["A"]["colour"] = "red"  # a field a newer engine adds is ignored
    assert engine_io.queue_view(view)["A"] == (1, 420.0)


@pytest.mark.parametrize(
    "guess",
    [
        {"services": [{"service": "C", "waiting": [1, 2]}]},
        {"queues": {"A": {"count": 3}}},
        {"A": {"length": 3, "wait_s": 60.0}},
    ],
)
def test_shapes_the_engine_never_sends_are_refused(guess: dict[str, Any]) -> None:
    with pytest.raises(ProtocolError, match="field 'state"):
        engine_io.queue_view(guess)


def test_notice_of_reads_the_notice_view() -> None:
    assert engine_io.notice_of({}) is None
    custom = NoticeView("custom", "Closing at 15:00", 5.0).to_dict()
    assert engine_io.notice_of(custom) == {"notice": "custom", "text": "Closing at 15:00"}
    assert engine_io.notice_of(NoticeView("power_cut", None, 5.0).to_dict()) == {
        "notice": "power_cut"
    }
    with pytest.raises(ProtocolError, match=r"field 'state\.notice' is missing"):
        engine_io.notice_of({"kind": "power_cut"})


def test_command_fields_leave_out_what_is_absent() -> None:
    eff = RequestTicket(1, "A", "normal", None, None, "es")
    assert engine_io.command_fields(eff) == {
        "service": "A",
        "customer_class": "normal",
        "lang": "es",
    }
