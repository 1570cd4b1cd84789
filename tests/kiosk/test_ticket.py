"""The printed ticket: same facts as the screen, in each language, renderable."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from kiosk.i18n import LANGS, Catalogs
from kiosk.ui import engine_io
from kiosk.ui.flow import IssuedTicket, RequestTicket


@pytest.mark.parametrize("lang", LANGS)
def test_ticket_data_renders_in_every_language(kiosk_view: Any, lang: str) -> None:
    from drivers.printer.profiles import get_profile
    from drivers.printer.ticket import render_ticket

    app, _ = kiosk_view
    issued = datetime(2026, 11, 23, 9, 5, tzinfo=timezone(timedelta(hours=8)))
    ticket = IssuedTicket("B017", "B", 4, 11 * 60.0 + 5, "vip", "2026-11-23-17")
    data = engine_io.ticket_data(app.content, Catalogs.load()[lang], ticket, issued, None)
    assert data.number == "B017" and data.people_ahead == 4 and data.expected_wait_min == 12
    assert data.zone and data.prepare and data.qr_payload == "LOBBYQ:demo:2026-11-23-17"
    assert data.label("your_number") == Catalogs.load()[lang]("Your number")
    assert data.priority == Catalogs.load()[lang]("Priority service")
    for profile in ("cn80", "tw80", "intl80"):
        out = render_ticket(data, get_profile(profile))
        assert out.startswith(b"\x1b@") and len(out) > 200


@pytest.mark.parametrize(
    ("customer_class", "label"),
    [("vip", "优先服务"), ("care", "爱心优先"), ("appointment", "预约"), ("normal", None)],
)
def test_ticket_carries_the_screen_s_class_label(
    kiosk_view: Any, customer_class: str, label: str | None
) -> None:
    from drivers.printer.profiles import get_profile
    from drivers.printer.ticket import render_ticket

    app, _ = kiosk_view
    issued = datetime(2026, 11, 23, 9, 5, tzinfo=timezone(timedelta(hours=8)))
    ticket = IssuedTicket("A001", "A", 0, None, customer_class, "2026-11-23-1")
    data = engine_io.ticket_data(app.content, Catalogs.load()["zh-Hans"], ticket, issued)
    assert data.priority == label
    if label is not None:
        assert label.encode("gb18030") in render_ticket(data, get_profile("cn80"))


def test_reply_parsing_is_tolerant() -> None:
    eff = RequestTicket(1, "A", "normal", None, None, "en")
    good = ({"kind": "ticket_issued", "number": "A004", "ahead": 2, "expected_wait_s": 90.0},)
    t = engine_io.ticket_from_reply(good, eff)
    assert t is not None and (t.number, t.ahead, t.expected_wait_s) == ("A004", 2, 90.0)
    odd = ({"kind": "ticket_issued", "number": "A005", "ahead": True, "expected_wait_s": "x"},)
    t = engine_io.ticket_from_reply(odd, eff)
    assert t is not None and t.ahead == 0 and t.expected_wait_s is None
    assert engine_io.ticket_from_reply(({"kind": "ticket_issued"},), eff) is None
    refused = ({"kind": "command_refused", "code": "service_closed"},)
    assert engine_io.refusal_of(refused) == "service_closed"


def test_queue_view_reads_the_engine_snapshot_shape() -> None:
    snap = {"services": {"A": {"waiting": 3, "expected_wait_s": 420.0}, "B": {"waiting": 0}}}
    assert engine_io.queue_view(snap) == {"A": (3, 420.0), "B": (0, None)}
    assert engine_io.queue_view({"services": [{"service": "C", "waiting": [1, 2]}]}) == {
        "C": (2, None)
    }
    assert engine_io.notice_of({}) is None
    assert engine_io.notice_of({"notice": "custom", "text": "Closing at 15:00"}) == {
        "notice": "custom",
        "text": "Closing at 15:00",
    }


def test_command_fields_leave_out_what_is_absent() -> None:
    eff = RequestTicket(1, "A", "normal", None, None, "es")
    assert engine_io.command_fields(eff) == {
        "service": "A",
        "customer_class": "normal",
        "lang": "es",
    }
