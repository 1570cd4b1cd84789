"""The alert rules, one script of bus messages per rule (console.alerts is pure)."""

from __future__ import annotations

from collections.abc import Iterable

from console.alerts import (
    DEVICE_ALERT,
    DEVICE_OFFLINE,
    ENGINE_LOG,
    GHOST_CALL,
    IDLE_COUNTER,
    LOW_RATING,
    NO_SHOWS,
    OVER_WAIT,
    PAPER_OUT,
    Alert,
    AlertBook,
    Thresholds,
)
from lobbyq.core.events import (
    AlertAcknowledged,
    Event,
    TicketCalled,
    TicketFinished,
    TicketNoShow,
    TicketRated,
    WaitAlert,
)
from lobbyq.core.views import CounterView, CurrentTicket, QueueView, ServiceQueue, WaitingTicket
from lobbyq.protocol.events import LoggedEvent
from lobbyq.protocol.messages import AlertMsg, StatusMsg

DAY = "2026-11-23"
T0 = 1_795_420_800.0


def play(book: AlertBook, events: Iterable[Event], now: float | None = None) -> None:
    for seq, e in enumerate(events, 1):
        book.event(LoggedEvent(seq, e), e.at if now is None else now)


def codes(book: AlertBook) -> list[tuple[str, str]]:
    return [(a.code, a.id) for a in book.alerts()]


def only(book: AlertBook) -> Alert:
    (a,) = book.alerts()
    return a


def queue(at: float, waits: dict[str, list[tuple[str, float]]]) -> QueueView:
    return QueueView(
        "b1",
        DAY,
        at,
        None,
        {
            code: ServiceQueue(
                {"en": code},
                len(rows),
                1.0,
                60.0,
                tuple(WaitingTicket(n, "normal", w, 0.0) for n, w in rows),
            )
            for code, rows in waits.items()
        },
    )


def counter(
    cid: str, status: str = "open", current: str | None = None, services: tuple[str, ...] = ("A",)
) -> CounterView:
    cur = CurrentTicket(f"{DAY}-9", current, "A", T0) if current else None
    return CounterView(cid, status, None, f"t{cid}", services, cur, (), ())


# -- over-long wait ------------------------------------------------------------------


def test_the_engines_wait_alert_raises_and_the_call_clears_it() -> None:
    book = AlertBook()
    play(book, [WaitAlert(T0, f"{DAY}-7", "A007", "A", 1850.0, 1800.0)])
    a = only(book)
    assert (a.code, a.id, a.number, a.value, a.cleared_at) == (
        OVER_WAIT,
        f"wait:{DAY}:A007",
        "A007",
        1850.0,
        None,
    )
    assert book.threshold("A") == 1800.0  # learned from the engine
    play(book, [TicketCalled(T0 + 30, f"{DAY}-7", "A007", "A", "2", "t2")])
    assert only(book).cleared_at == T0 + 30 and only(book).open  # cleared, not acknowledged


def test_the_queue_view_raises_over_wait_per_service_threshold() -> None:
    book = AlertBook(Thresholds(over_wait_s={"A": 600.0}))
    book.views(queue(T0, {"A": [("A001", 590.0)], "B": [("B001", 1700.0)]}), (), T0)
    assert book.alerts() == ()
    book.evaluate(T0 + 20)  # A001 has now waited 610 s; B is under the default 1800 s
    assert codes(book) == [(OVER_WAIT, f"wait:{DAY}:A001")]
    # It left the queue (called): the next view clears it.
    book.views(queue(T0 + 30, {"A": [], "B": [("B001", 1730.0)]}), (), T0 + 30)
    assert only(book).cleared_at == T0 + 30


def test_an_engine_alert_and_the_view_name_the_same_alert() -> None:
    book = AlertBook()
    play(book, [WaitAlert(T0, f"{DAY}-3", "A003", "A", 1801.0, 1800.0)])
    book.views(queue(T0 + 1, {"A": [("A003", 1802.0)]}), (), T0 + 1)
    assert len(book.alerts()) == 1


# -- low rating ------------------------------------------------------------------------


def test_a_low_rating_heard_while_the_customer_is_there_raises() -> None:
    book = AlertBook()
    rated = [
        TicketRated(T0, f"{DAY}-1", "A001", "A", "3", "t3", 2, 5),
        TicketRated(T0, f"{DAY}-2", "A002", "A", "3", "t3", 3, 5),  # fair: no alert
        TicketRated(T0, f"{DAY}-4", "A004", "A", "1", "t1", 1, 3),
    ]
    play(book, rated, now=T0 + 5)
    assert [(a.code, a.number, a.counter, a.value) for a in book.alerts()] == [
        (LOW_RATING, "A004", "1", 1.0),
        (LOW_RATING, "A001", "3", 2.0),
    ]


def test_a_rating_heard_long_after_raises_nothing() -> None:
    book = AlertBook()
    play(book, [TicketRated(T0, f"{DAY}-1", "A001", "A", "3", "t3", 1, 5)], now=T0 + 301)
    assert book.alerts() == ()


# -- idle counter ------------------------------------------------------------------------


def test_an_idle_counter_with_customers_waiting_too_long_raises_after_the_grace() -> None:
    book = AlertBook()
    q = queue(T0, {"A": [("A001", 400.0)], "B": [("B001", 900.0)]})
    book.views(q, [counter("1"), counter("2", services=("B",), current="B000")], T0)
    assert book.alerts() == ()  # idle only since now
    book.evaluate(T0 + 59)
    assert book.alerts() == ()
    book.evaluate(T0 + 60)
    a = only(book)
    assert (a.code, a.id, a.counter, a.value) == (IDLE_COUNTER, f"idle:1:{int(T0)}", "1", 460.0)
    book.evaluate(T0 + 120)
    assert len(book.alerts()) == 1  # once per idle spell
    book.views(q, [counter("1", current="A001")], T0 + 130)
    assert only(book).cleared_at == T0 + 130


def test_a_paused_counter_or_one_whose_services_nobody_waits_for_is_not_idle() -> None:
    book = AlertBook()
    q = queue(T0, {"A": [("A001", 900.0)], "B": []})
    book.views(q, [counter("1", status="paused"), counter("2", services=("B",))], T0)
    book.evaluate(T0 + 600)
    assert book.alerts() == ()


# -- ghost calls and no-shows ----------------------------------------------------------------


def test_a_finish_seconds_after_the_call_is_a_ghost_call() -> None:
    book = AlertBook()
    play(
        book,
        [
            TicketFinished(T0, f"{DAY}-1", "A001", "A", "2", "t2", 4.0),
            TicketFinished(T0, f"{DAY}-2", "A002", "A", "2", "t2", 240.0),
        ],
    )
    a = only(book)
    assert (a.code, a.number, a.counter, a.value) == (GHOST_CALL, "A001", "2", 4.0)


def test_repeated_no_shows_at_one_counter_raise_once_per_run() -> None:
    book = AlertBook()

    def ns(i: int, at: float, c: str = "4") -> TicketNoShow:
        return TicketNoShow(at, f"{DAY}-{i}", f"A00{i}", "A", c, "t4", True)

    play(book, [ns(1, T0), ns(2, T0 + 60), ns(3, T0 + 120, "5"), ns(4, T0 + 1200)])
    assert book.alerts() == ()  # the first one fell out of the window; one was elsewhere
    play(book, [ns(5, T0 + 1300), ns(6, T0 + 1400)])
    a = only(book)
    assert (a.code, a.counter, a.value) == (NO_SHOWS, "4", 3.0)


# -- devices and the engine ----------------------------------------------------------------


def test_a_device_offline_raises_and_coming_back_clears() -> None:
    book = AlertBook()
    book.status(StatusMsg("kiosk-1", True, "kiosk", T0), T0)
    book.status(StatusMsg("kiosk-1", False, "kiosk", 0.0), T0 + 5)  # its last will
    a = only(book)
    assert (a.code, a.id, a.device, a.at) == (
        DEVICE_OFFLINE,
        "offline:kiosk-1:0",
        "kiosk-1",
        T0 + 5,
    )
    book.status(StatusMsg("kiosk-1", True, "kiosk", T0 + 50), T0 + 50)
    assert only(book).cleared_at == T0 + 50
    book.status(StatusMsg("kiosk-1", False, "kiosk", 0.0), T0 + 90)  # again: a fresh alert
    assert only(book).cleared_at is None and only(book).at == T0 + 90


def test_a_console_going_away_is_not_an_alert() -> None:
    book = AlertBook()
    book.status(StatusMsg("console", False, "console", 0.0), T0)
    assert book.alerts() == ()


def test_printer_out_of_paper_from_health_or_from_an_alert_is_one_alert() -> None:
    book = AlertBook()
    book.device_alert(AlertMsg("kiosk-1", "paper_out", "critical", "Printer out of paper", T0))
    book.status(StatusMsg("kiosk-1", True, "kiosk", T0, health={"printer": "paper_out"}), T0)
    assert codes(book) == [(PAPER_OUT, "paper:kiosk-1")]
    book.status(StatusMsg("kiosk-1", True, "kiosk", T0, health={"printer": "ok"}), T0 + 9)
    assert only(book).cleared_at == T0 + 9


def test_the_engines_log_unhealthy_raises_until_it_is_ok() -> None:
    book = AlertBook()
    book.status(StatusMsg("engine", True, "engine", T0, health={"log": "disk_full"}), T0)
    assert codes(book) == [(ENGINE_LOG, "engine:log:disk_full")]
    book.status(StatusMsg("engine", True, "engine", T0, health={"log": "ok"}), T0 + 3)
    assert only(book).cleared_at == T0 + 3


def test_a_critical_device_alert_raises_and_a_warning_does_not() -> None:
    book = AlertBook()
    book.device_alert(AlertMsg("counter-3", "keypad_lost", "critical", "keypad silent", T0))
    book.device_alert(AlertMsg("kiosk-1", "paper_near_end", "warning", "Paper low", T0))
    assert [a.code for a in book.alerts()] == [DEVICE_ALERT]


# -- acknowledgement ---------------------------------------------------------------------


def test_an_acknowledgement_from_the_log_marks_the_alert_with_who() -> None:
    book = AlertBook()
    play(book, [WaitAlert(T0, f"{DAY}-7", "A007", "A", 1850.0, 1800.0)])
    play(book, [AlertAcknowledged(T0 + 40, f"wait:{DAY}:A007", "wang", "spoke to them")])
    a = only(book)
    assert (a.acked_by, a.acked_at, a.note, a.open) == ("wang", T0 + 40, "spoke to them", False)
    # A second acknowledgement keeps the first name.
    play(book, [AlertAcknowledged(T0 + 50, f"wait:{DAY}:A007", "li")])
    assert only(book).acked_by == "wang"


def test_the_list_keeps_the_newest() -> None:
    book = AlertBook(Thresholds(keep=3))
    play(
        book,
        [TicketFinished(T0 + i, f"{DAY}-{i}", f"A00{i}", "A", "1", None, 1.0) for i in range(5)],
    )
    assert [a.number for a in book.alerts()] == ["A004", "A003", "A002"]
