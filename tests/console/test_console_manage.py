"""Alerts acknowledged, a counter's services set, a waiting ticket moved, the staffing panel."""

from __future__ import annotations

import pytest

from console.staffing import advise
from lobbyq.core.events import AlertAcknowledged, Event, TicketIssued, WaitAlert
from lobbyq.core.views import (
    CounterView,
    CurrentTicket,
    QueueView,
    ServiceQueue,
    WaitingTicket,
)
from lobbyq.protocol.events import LoggedEvent
from lobbyq.protocol.views import Retained
from tests.console.conftest import Rig

JSON = {"accept": "application/json"}
DAY = "2026-11-23"


def _event(rig: Rig, seq: int, e: Event) -> None:
    rig.bus.publish(rig.topics.evt(e.kind), LoggedEvent(seq, e).encode())


def _wait_alert(rig: Rig) -> str:
    _event(rig, 1, WaitAlert(rig.clock.t, f"{DAY}-7", "A007", "A", 1850.0, 1800.0))
    return f"wait:{DAY}:A007"


def _waiting(number: str, waited_s: float) -> WaitingTicket:
    return WaitingTicket(number, "normal", waited_s, 0.0)


def _post(rig: Rig, path: str, **data: str) -> tuple[int, str]:
    resp = rig.client.post(path, data={**data, "csrf": rig.csrf()}, headers=JSON)
    return resp.status_code, str(resp.json()["message"])


# -- alerts --------------------------------------------------------------------------------


def test_an_alert_is_shown_and_acknowledged_in_the_managers_name(rig: Rig) -> None:
    rig.engine_online()
    rig.login()
    alert_id = _wait_alert(rig)
    page = rig.client.get("/?lang=en").text
    assert f'data-alert="{alert_id}"' in page and "A007 (A) has waited 30:50." in page
    assert 'data-open="1"' in page and 'data-op="ack"' in page
    assert _post(rig, "/alert/ack", alert=alert_id) == (200, "Done.")
    (sent,) = rig.commander.sent
    assert (sent.op, dict(sent.fields)) == ("ack_alert", {"alert": alert_id, "by": "mgr"})
    # The engine logs it and says so on the bus; every console marks it.
    _event(rig, 2, AlertAcknowledged(rig.clock.t + 5, alert_id, "mgr"))
    page = rig.client.get("/?lang=en").text
    assert "Acknowledged by mgr at" in page and 'data-open="0"' in page
    assert 'data-op="ack"' not in page
    assert _post(rig, "/alert/ack", alert=alert_id) == (400, "Someone has already acknowledged it.")


def test_an_unknown_alert_is_refused_before_anything_is_sent(rig: Rig) -> None:
    rig.engine_online()
    rig.login()
    assert _post(rig, "/alert/ack", alert="wait:nope")[0] == 400
    assert _post(rig, "/alert/ack", alert="../../etc")[0] == 400
    assert rig.commander.sent == []


def test_a_viewer_sees_alerts_but_cannot_acknowledge(rig: Rig) -> None:
    rig.engine_online()
    rig.login("view")
    alert_id = _wait_alert(rig)
    page = rig.client.get("/?lang=en").text
    assert f'data-alert="{alert_id}"' in page and 'data-op="ack"' not in page
    assert _post(rig, "/alert/ack", alert=alert_id)[0] == 403 and rig.commander.sent == []


def test_alerts_are_in_four_languages(rig: Rig) -> None:
    rig.login()
    _wait_alert(rig)
    assert "已等候 30:50" in rig.client.get("/?lang=zh-Hans").text
    assert "lleva 30:50 esperando" in rig.client.get("/?lang=es").text


def test_the_timer_raises_an_idle_counter_alert(rig: Rig) -> None:
    rig.login()
    q = QueueView(
        "b1", DAY, rig.clock.t, None,
        {"A": ServiceQueue({"en": "A"}, 1, 1.0, 0.0, (_waiting("A001", 400.0),))},
    )  # fmt: skip
    rig.bus.publish(rig.topics.state_queue, Retained(1, q).encode(), retain=True)
    view = CounterView("1", "open", None, "t1", ("A",), None, (), ())
    rig.bus.publish(rig.topics.state_counter("1"), Retained(1, view).encode(), retain=True)
    assert "Idle counter" not in rig.client.get("/?lang=en").text
    rig.clock.t += 61
    rig.model.tick()
    assert "Counter 1 calls nobody while a customer it serves waited 7:41." in (
        rig.client.get("/?lang=en").text
    )


# -- counter services, moving and cancelling a waiting ticket -------------------------------------


def test_setting_a_counters_services_sends_the_list_primary_first(rig: Rig) -> None:
    rig.engine_online()
    rig.login()
    assert _post(rig, "/counter/2/services", services="d, a")[0] == 200
    (sent,) = rig.commander.sent
    assert (sent.op, dict(sent.fields)) == (
        "set_counter_services",
        {"counter": "2", "services": ["D", "A"]},
    )


@pytest.mark.parametrize(
    ("path", "data", "says"),
    [
        ("/counter/2/services", {"services": " , "}, "at least one service"),
        ("/counter/2/services", {"services": "A, A"}, "listed twice"),
        ("/counter/2/services", {"services": "A, cashier"}, "service codes"),
        ("/ticket/move", {"ticket": "A001", "to": ""}, "where the ticket goes"),
        ("/ticket/move", {"ticket": "A001", "to": "service:a/b"}, "where the ticket goes"),
        ("/ticket/move", {"ticket": "A 1", "to": "service:B"}, "ticket's number"),
    ],
)
def test_wrong_management_forms_are_refused(
    rig: Rig, path: str, data: dict[str, str], says: str
) -> None:
    rig.engine_online()
    rig.login()
    status, message = _post(rig, path, **data)
    assert status == 400 and says in message and rig.commander.sent == []


def test_a_waiting_ticket_moves_to_a_service_or_a_counter_or_is_cancelled(rig: Rig) -> None:
    rig.engine_online()
    rig.login()
    _post(rig, "/ticket/move", ticket="a001", to="service:B")
    _post(rig, "/ticket/move", ticket="A002", to="counter:3")
    _post(rig, "/ticket/cancel", ticket="A003", to="service:B")  # the same form's other button
    assert [(c.op, dict(c.fields)) for c in rig.commander.sent] == [
        ("move_ticket", {"ticket": "A001", "to_service": "B"}),
        ("move_ticket", {"ticket": "A002", "to_counter": "3"}),
        ("cancel", {"ticket": "A003"}),
    ]


def test_the_waiting_ticket_form_offers_the_waiting_numbers_and_targets(rig: Rig) -> None:
    rig.login()
    q = QueueView(
        "b1", DAY, rig.clock.t, None,
        {
            "A": ServiceQueue({"en": "Cash"}, 1, 1.0, 0.0, (_waiting("A004", 9.0),)),
            "B": ServiceQueue({"en": "Loans"}, 0, 0.0, None, ()),
        },
    )  # fmt: skip
    rig.bus.publish(rig.topics.state_queue, Retained(1, q).encode(), retain=True)
    page = rig.client.get("/?lang=en").text
    assert '<option value="A004">' in page and 'value="service:B">B Loans' in page


# -- staffing -----------------------------------------------------------------------------------


def _busy_branch(rig: Rig, arrivals: int) -> None:
    """Service A, two counters that take it and one that does not; arrivals in the last 30 min."""
    waiting = tuple(WaitingTicket(f"A{i:03d}", "normal", 60.0, 150.0 + 300.0 * i) for i in range(6))
    q = QueueView(
        "b1", DAY, rig.clock.t, None,
        {
            "A": ServiceQueue({"en": "Cash"}, 6, 1.0, 1950.0, waiting),
            "B": ServiceQueue({"en": "Loans"}, 0, 1.0, 0.0, ()),
        },
    )  # fmt: skip
    rig.bus.publish(rig.topics.state_queue, Retained(1, q).encode(), retain=True)
    busy = CurrentTicket(f"{DAY}-1", "A000", "A", rig.clock.t - 60)
    counters = [
        CounterView("1", "open", None, "t1", ("A",), busy, (), ()),
        CounterView("2", "closed", None, None, ("A",), None, (), ()),
        CounterView("3", "open", None, "t3", ("B",), None, (), ()),
    ]
    for c in counters:
        rig.bus.publish(rig.topics.state_counter(c.counter), Retained(1, c).encode(), retain=True)
    for i in range(arrivals):
        at = rig.clock.t - 1700 + i * (1700 / max(1, arrivals))
        e = TicketIssued(
            at, f"{DAY}-{i + 10}", f"A{i + 10:03d}", i + 10, i + 10, "A", "normal", 0, None
        )
        _event(rig, i + 10, e)


def test_staffing_inputs_come_from_the_console_model(rig: Rig) -> None:
    rig.clock.t += 3600  # the console has listened for a full window
    _busy_branch(rig, arrivals=9)
    panel = advise(rig.model.snapshot(), rig.clock.t)
    assert panel is not None and panel.full_window
    assert panel.arrivals_per_min["A"] == pytest.approx(9 / 30)
    # Two waiting tickets' expected waits differ by mean / counters: 300 s at 1 counter.
    assert panel.mean_service_s["A"] == 300.0 and "A" not in panel.assumed_service
    assert "B" in panel.assumed_service  # nothing says how long B takes
    group_a = next(g for g in panel.groups if g.group.services == ("A",))
    assert group_a.open_counters == ("1",) and group_a.group.counters == ("1", "2")
    # 0.3 a minute at 5 min each is 1.5 Erlangs on one counter: unstable, open counter 2.
    assert group_a.advice.code == "open" and group_a.advice.counters == ("2",)


def test_the_staffing_panel_says_the_advice_in_plain_words(rig: Rig) -> None:
    rig.clock.t += 3600
    _busy_branch(rig, arrivals=9)
    rig.login()
    en = rig.client.get("/?lang=en").text
    assert "Open one more counter for A (2): service level 0% → " in en
    assert "Arrivals of the last 30 min" in en
    zh = rig.client.get("/?lang=zh-Hans").text
    assert "为 A 加开一个柜台（2）" in zh


def test_a_young_console_says_since_when_it_counts(rig: Rig) -> None:
    _busy_branch(rig, arrivals=0)
    rig.clock.t += 600
    panel = advise(rig.model.snapshot(), rig.clock.t)
    assert panel is not None and not panel.full_window and panel.window_s == 600.0
    rig.login()
    assert "when the console started listening" in rig.client.get("/?lang=en").text


def test_no_staffing_before_the_views(rig: Rig) -> None:
    assert advise(rig.model.snapshot(), rig.clock.t) is None
    rig.login()
    assert "Waiting for the engine" in rig.client.get("/?lang=en").text
