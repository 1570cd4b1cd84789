"""The printed ticket: same facts as the screen, in each language, renderable."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from kiosk.i18n import Catalogs
from kiosk.ui import engine_io
from kiosk.ui.flow import IssuedTicket
from lobbyq.runtime.i18n import LANGS


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
