"""The kiosk end to end: real engine on an in-memory bus, recording printer."""

from __future__ import annotations

from typing import Any

from drivers.mqtt.messages import StatusMsg


def test_tap_service_issues_prints_and_shows_the_same_number(
    engine: Any, printer: Any, make_kiosk: Any
) -> None:
    rk = make_kiosk(printer=printer)
    rk.app.tap_service("A")
    assert printer.printed.wait(5)
    assert rk.wait_for(lambda s: s.screen == "ticket" and s.printing == "printed")
    shown = rk.app.state.ticket
    assert shown is not None and shown.number == printer.tickets[0].number == "A001"
    assert printer.tickets[0].lang == "zh-Hans"
    assert printer.tickets[0].service_name == "开户·挂失·电子银行"


def test_kiosk_publishes_retained_status_with_health(
    engine: Any, printer: Any, make_kiosk: Any, bus: Any
) -> None:
    rk = make_kiosk(printer=printer)
    raw = bus.retained(rk.app.topics.status("kiosk-1"))
    assert raw is not None
    st = StatusMsg.decode(raw)
    assert st.online and st.kind == "kiosk" and st.health["printer"] == "ok"
