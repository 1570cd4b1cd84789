"""Behaviour of the core beyond single commands: order, numbering, days, estimates."""

from __future__ import annotations

from typing import Any

import pytest

from lobbyq.core import (
    CommandRefused,
    DayRolledOver,
    TicketCalled,
    TicketExpired,
    TicketFinished,
    TicketIssued,
    TicketNoShow,
    counter_view,
    event_to_dict,
    notice_view,
    queue_view,
    recent_calls,
)

HOUR = 3600.0


def test_numbers_wrap_past_the_range_and_skip_live_ones(desk: Any) -> None:
    desk.staff("1")
    assert [desk.issue() for _ in range(5)] == ["A001", "A002", "A003", "A004", "A005"]
    assert desk.called("1") == "A001"
    desk.do("finish", counter="1")
    # A001 is free again, A002..A005 are live: the next number wraps to A001.
    assert desk.issue() == "A001"
    assert desk.called("1") == "A002"
    desk.do("finish", counter="1")
    assert desk.issue() == "A002"


def test_no_show_goes_back_once_then_is_dropped(desk: Any) -> None:
    desk.staff("1")
    desk.issue()
    desk.issue()
    assert desk.called("1") == "A001"
    (ev,) = desk.do("no_show", counter="1")
    assert isinstance(ev, TicketNoShow) and ev.requeued
    assert desk.called("1") == "A002"
    desk.do("finish", counter="1")
    assert desk.called("1") == "A001"  # back at the end of the queue
    (ev,) = desk.do("no_show", counter="1")
    assert isinstance(ev, TicketNoShow) and not ev.requeued
    assert "A001" not in desk.state.by_number


def test_no_show_without_requeue(make_desk: Any) -> None:
    desk = make_desk(no_show_requeues=0)
    desk.staff("1")
    desk.issue()
    desk.called("1")
    (ev,) = desk.do("no_show", counter="1")
    assert isinstance(ev, TicketNoShow) and not ev.requeued


def test_fifo_ignores_class_and_primary_service_comes_first(desk: Any) -> None:
    desk.staff("1")
    desk.issue("B")
    desk.advance(60)
    desk.issue("A")
    desk.advance(60)
    desk.issue("A", customer_class="vip")
    # Counter 1 serves A first (primary), B only when A is empty; fifo within A.
    assert [desk.called("1") for _ in range(3)] == ["A001", "A002", "B001"]


def test_priority_aging_head_start_and_its_bound(make_desk: Any) -> None:
    desk = make_desk(policy="priority-aging")
    desk.staff("3")
    desk.issue("A")  # normal at 0
    desk.advance(5 * 60)
    desk.issue("A", customer_class="vip")  # vip at 5 min: rank 10 + waited
    desk.advance(20 * 60)
    desk.issue("A", customer_class="care")  # care at 25 min: head start 15 is not enough
    assert [desk.called("3") for _ in range(3)] == ["A002", "A001", "A003"]


def test_priority_aging_appointment_due_goes_first(make_desk: Any) -> None:
    desk = make_desk(policy="priority-aging")
    desk.staff("3")
    desk.issue("A", customer_class="care")
    due = desk.now + 10 * 60
    desk.issue("A", customer_class="appointment", appointment={"ref": "R-1", "due": due})
    desk.issue("A", customer_class="vip")
    assert desk.called("3") == "A001"  # care has the largest head start, nothing is due yet
    desk.advance(10 * 60)
    assert desk.called("3") == "A002"  # the appointment is due now


def test_shortest_and_longest_first_on_a_pooled_counter(make_desk: Any) -> None:
    pooled = [{"id": "1", "services": ["A", "B"], "mode": "pooled"}]
    for policy, order in (
        ("shortest-first", ["A001", "B001"]),
        ("longest-first", ["B001", "A001"]),
    ):
        desk = make_desk(pooled, policy=policy)
        desk.staff("1")
        desk.issue("B")
        desk.issue("A")
        assert [desk.called("1") for _ in range(2)] == order, policy


def test_pooled_fifo_takes_the_oldest_across_services(make_desk: Any) -> None:
    desk = make_desk([{"id": "1", "services": ["A", "B"], "mode": "pooled"}])
    desk.staff("1")
    desk.issue("B")
    desk.advance(1)
    desk.issue("A")
    assert [desk.called("1") for _ in range(2)] == ["B001", "A001"]


def test_transfer_keeps_arrival_or_goes_to_the_front(make_desk: Any) -> None:
    for transfer, order in (
        ("keep_arrival", ["B001", "A001", "B002"]),
        ("front", ["A001", "B001", "B002"]),
    ):
        desk = make_desk(transfer=transfer)
        desk.staff("1", "2")
        desk.issue("B")  # B001 arrives first
        desk.advance(60)
        desk.issue("A")  # A001 arrives second
        desk.advance(60)
        desk.issue("B")  # B002 arrives last
        assert desk.called("1") == "A001"
        desk.do("transfer", counter="1", to_service="B")
        called = []
        for _ in range(3):
            called.append(desk.called("2"))
            desk.do("finish", counter="2")
        assert called == order, transfer


def test_transfer_to_a_counter_is_served_there_first(desk: Any) -> None:
    desk.staff("1", "2")
    desk.issue("B")
    desk.issue("A")
    assert desk.called("1") == "A001"
    desk.do("transfer", counter="1", to_counter="2")
    # Counter 2 serves only B, yet the ticket sent to it comes before B001.
    assert counter_view(desk.state, "2")["transferred_here"] == ["A001"]
    assert desk.called("2") == "A001"
    desk.do("finish", counter="2")
    assert desk.called("2") == "B001"


def test_hold_and_call_back(desk: Any) -> None:
    desk.staff("1")
    desk.issue()
    desk.issue()
    desk.called("1")
    desk.do("hold", counter="1")
    assert counter_view(desk.state, "1")["held"][0]["number"] == "A001"
    assert desk.called("1") == "A002"
    events = desk.do("call_back", counter="1", ticket="A001")
    assert [e.kind for e in events] == ["ticket_finished", "ticket_called"]
    assert isinstance(events[1], TicketCalled) and events[1].via == "hold"
    assert counter_view(desk.state, "1")["current"]["number"] == "A001"


def test_day_rollover_expires_live_tickets_and_restarts_numbering(desk: Any) -> None:
    desk.staff("1")
    desk.issue()
    desk.issue()
    desk.called("1")
    # 09:00 + 17h59m = 02:59 next morning, still the same business day.
    desk.advance(17 * HOUR + 59 * 60)
    assert desk.issue() == "A003"
    desk.advance(60)  # 03:00: the new day
    events = desk.do("issue_ticket", service="A")
    kinds = [e.kind for e in events]
    # A001 was being served: finished (and its rating timed out), never expired.
    assert kinds == [
        "ticket_finished",
        "ticket_unrated",
        "ticket_expired",
        "ticket_expired",
        "day_rolled_over",
        "ticket_issued",
    ]
    day = events[4]
    assert isinstance(day, DayRolledOver) and day.day == "2026-01-06"
    issued = events[-1]
    assert isinstance(issued, TicketIssued) and issued.number == "A001"
    assert issued.ticket == "2026-01-06-1"
    assert all(isinstance(e, TicketExpired) for e in events[2:4])
    assert counter_view(desk.state, "1")["current"] is None


def test_a_ticket_served_at_rollover_is_finished_at_the_days_end(desk: Any) -> None:
    desk.staff("1")
    desk.issue()
    desk.called("1")
    called_at = desk.now
    desk.advance(30 * HOUR)  # nothing happens until the next afternoon
    events = desk.do("issue_ticket", service="A")
    finished = events[0]
    assert isinstance(finished, TicketFinished) and finished.number == "A001"
    # served until the day's end (03:00), not until the next afternoon
    assert finished.service_s == pytest.approx(18 * HOUR)
    assert finished.at == pytest.approx(called_at + 18 * HOUR)
    assert "ticket_expired" not in [e.kind for e in events if getattr(e, "number", "") == "A001"]


def test_rollover_with_a_zone_name(make_desk: Any) -> None:
    desk = make_desk(zone="Asia/Shanghai")
    assert desk.state.day == "2026-01-05"
    desk.advance(18 * HOUR)
    assert "day_rolled_over" in desk.kinds("tick")


def test_expected_wait_uses_position_counters_and_average(desk: Any) -> None:
    first = desk.do("issue_ticket", service="A")[0]
    assert isinstance(first, TicketIssued) and first.expected_wait_s is None  # nobody open
    desk.staff("3")  # pooled counter serving A: capacity 1, idle
    ev = desk.do("issue_ticket", service="A")[0]
    assert isinstance(ev, TicketIssued) and ev.ahead == 1
    # One ahead, one idle counter: (1 - 1 + 0.5) * 5 min / 1
    assert ev.expected_wait_s == 150.0
    desk.staff("1")  # A is counter 1's primary: capacity 2, both idle
    ev = desk.do("issue_ticket", service="A")[0]
    assert isinstance(ev, TicketIssued) and ev.ahead == 2 and ev.expected_wait_s == 75.0
    view = queue_view(desk.state, desk.now)["services"]["A"]
    assert [t["expected_wait_s"] for t in view["tickets"]] == [0.0, 0.0, 75.0]


def test_moving_average_of_service_time_follows_finishes(desk: Any) -> None:
    desk.staff("1")
    desk.issue()
    desk.called("1")
    desk.advance(10 * 60)
    desk.do("finish", counter="1")
    # 5 min + 0.2 * (10 min - 5 min) = 6 min
    assert desk.state.avg_service_s["A"] == 360.0


def test_over_wait_alert_once_per_ticket(desk: Any) -> None:
    desk.issue()
    desk.advance(19 * 60)
    assert "wait_alert" not in desk.kinds("tick")
    desk.advance(60)
    assert desk.kinds("tick").count("wait_alert") == 1
    desk.advance(60)
    assert "wait_alert" not in desk.kinds("tick")


def test_advice_to_open_then_close(make_desk: Any) -> None:
    desk = make_desk(target_wait_min=5)
    desk.staff("3")
    for _ in range(4):
        desk.issue()
    events = [e for e in desk.do("tick") if e.kind == "counter_advice"]
    advice = [event_to_dict(e) for e in events]
    assert [(a["service"], a["action"], a["counter"]) for a in advice] == [("A", "open", "1")]
    assert desk.kinds("tick") == []  # advice is given once, not every tick
    desk.staff("1")
    for c in ("1", "3", "1", "3"):
        desk.called(c)
        desk.do("finish", counter=c)
    advice = [event_to_dict(e) for e in desk.do("tick") if e.kind == "counter_advice"]
    assert [(a["service"], a["action"]) for a in advice] == [("A", "close")]


def test_views_for_displays(desk: Any) -> None:
    desk.staff("1")
    desk.issue(customer_class="care")
    desk.issue("B")
    desk.called("1")
    desk.do("recall", counter="1")
    desk.do("set_notice", notice="system_failure", text="Cash services paused")
    q = queue_view(desk.state, desk.now)
    assert q["services"]["A"]["waiting"] == 0 and q["services"]["B"]["waiting"] == 1
    assert q["services"]["B"]["tickets"][0]["number"] == "B001"
    assert q["notice"] == notice_view(desk.state)
    assert notice_view(desk.state) == {
        "notice": "system_failure",
        "text": "Cash services paused",
        "since": desk.now,
    }
    c = counter_view(desk.state, "1")
    assert (c["status"], c["teller"], c["current"]["number"]) == ("open", "t1", "A001")
    calls = recent_calls(desk.state, 8)
    assert [r["number"] for r in calls] == ["A001", "A001"]
    assert recent_calls(desk.state, 1) == calls[:1]
    desk.do("clear_notice")
    assert notice_view(desk.state) is None


def test_a_call_on_a_busy_counter_finishes_first(desk: Any) -> None:
    desk.staff("1")
    desk.issue()
    desk.issue()
    desk.called("1")
    desk.advance(90)
    events = desk.do("call_next", counter="1")
    assert [e.kind for e in events] == ["ticket_finished", "ticket_called"]
    assert event_to_dict(events[0])["service_s"] == 90.0


def test_refusal_does_not_finish_the_current_ticket(desk: Any) -> None:
    desk.staff("1")
    desk.issue()
    desk.called("1")
    (ev,) = desk.do("call_next", counter="1")
    assert isinstance(ev, CommandRefused) and ev.code == "queue_empty"
    assert counter_view(desk.state, "1")["current"]["number"] == "A001"
