"""The kiosk end to end: real engine on an in-memory bus, recording printer."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from lobbyq.core.events import TicketIssued
from lobbyq.protocol.events import LoggedEvent
from lobbyq.protocol.messages import AlertMsg, CommandMsg, StatusMsg
from tests.support import eventually


def _texts(rk: Any) -> list[str]:
    """The texts of the frame painted last, in every language shown."""
    frame = rk.app.frame()
    return [t for _lang, t in frame.texts()] if frame is not None else []


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
    assert printer.tickets[0].priority is None  # a walk-in prints no class line


def test_kiosk_publishes_retained_status_with_health(
    engine: Any, printer: Any, make_kiosk: Any, bus: Any
) -> None:
    rk = make_kiosk(printer=printer)
    raw = bus.retained(rk.app.topics.status("kiosk-1"))
    assert raw is not None
    st = StatusMsg.decode(raw)
    assert st.online and st.kind == "kiosk" and st.health["printer"] == "ok"


def _alerts(bus: Any, device: str = "kiosk-1") -> list[AlertMsg]:
    return [AlertMsg.decode(p) for t, p, _r in bus.published if t.endswith(f"/dev/{device}/alert")]


def test_paper_out_still_issues_keeps_the_number_and_alerts(
    engine: Any, printer: Any, make_kiosk: Any, bus: Any
) -> None:
    from drivers.printer.errors import PaperOut

    printer.fail = PaperOut("paper out")
    rk = make_kiosk(printer=printer)
    rk.app.tap_service("B")
    assert rk.wait_for(lambda s: s.printing == "failed")
    s = rk.app.state
    assert s.screen == "ticket" and s.ticket is not None and s.ticket.number == "B001"
    assert s.print_error == "paper_out"
    assert [a.code for a in _alerts(bus)] == ["paper_out"]
    st = StatusMsg.decode(bus.retained(rk.app.topics.status("kiosk-1")))
    assert st.health["printer"] == "paper_out"
    assert eventually(lambda: "B001" in _texts(rk)), "the number is drawn"


def test_a_hung_printer_is_given_up_on_and_the_number_stays(
    engine: Any, printer: Any, make_kiosk: Any, bus: Any
) -> None:
    printer.block = threading.Event()
    rk = make_kiosk(printer=printer, print_timeout=0.3)
    try:
        rk.app.tap_service("A")
        assert rk.wait_for(lambda s: s.printing == "failed", 3)
        assert rk.app.state.print_error == "slow" and rk.app.state.ticket is not None
        assert "printer_slow" in [a.code for a in _alerts(bus)]
    finally:
        printer.block.set()


def test_engine_unreachable_issues_nothing_and_says_so(
    printer: Any, make_kiosk: Any, bus: Any
) -> None:
    rk = make_kiosk(printer=printer, request_timeout=0.3)
    rk.app.tap_service("A")
    assert rk.wait_for(lambda s: s.screen == "engine_down", 3)
    assert printer.tickets == [] and rk.app.state.ticket is None
    assert "engine_unreachable" in [a.code for a in _alerts(bus)]


def _issued(seq: int, number: str, command_id: str) -> bytes:
    """An ``evt/ticket_issued`` payload as the engine sends it."""
    n = int(number[1:])
    ev = TicketIssued(1.0, f"20260101-{n}", number, n, n, "A", "regular", 0, None)
    return LoggedEvent(seq, replace(ev, command_id=command_id)).encode()


def test_a_ticket_issued_after_the_kiosk_gave_up_is_cancelled(
    printer: Any, make_kiosk: Any, bus: Any
) -> None:
    rk = make_kiosk(printer=printer, request_timeout=0.2)
    topics = rk.app.topics
    rk.app.tap_service("A")
    assert rk.wait_for(lambda s: s.screen == "engine_down", 3)
    sent = [CommandMsg.decode(p) for t, p, _r in bus.published if t == topics.cmd("kiosk-1")]
    bus.publish(topics.evt("ticket_issued"), _issued(7, "A001", sent[0].id))
    cmds = [CommandMsg.decode(p) for t, p, _r in bus.published if t == topics.cmd("kiosk-1")]
    assert cmds[-1].op == "cancel" and cmds[-1].body["ticket"] == "A001"
    # a ticket issued for someone else's command is left alone
    bus.publish(topics.evt("ticket_issued"), _issued(8, "A002", "someone-else"))
    again = [CommandMsg.decode(p) for t, p, _r in bus.published if t == topics.cmd("kiosk-1")]
    assert len(again) == len(cmds)


def test_branch_notice_and_queue_state_reach_the_screen(
    engine: Any, printer: Any, make_kiosk: Any, bus: Any
) -> None:
    rk = make_kiosk(printer=printer)
    topics = rk.app.topics
    # The engine owns state/notice (it corrects any other copy): set it through the engine.
    cmd = CommandMsg.build("console-00000001", "set_notice", notice="power_cut")
    bus.publish(topics.cmd("console"), cmd.encode())
    assert rk.wait_for(lambda s: s.notice == {"notice": "power_cut"})
    rk.app.tap_service("C")
    assert rk.wait_for(lambda s: s.printing == "printed")
    assert printer.tickets[-1].notice is not None and "停电" in printer.tickets[-1].notice
    assert eventually(lambda: rk.app.queue.get("C", (0, None))[0] >= 1, 3)
    assert rk.app.queue["C"][0] == 1


def test_touches_drive_the_flow_and_screenshots_are_saved(
    engine: Any, printer: Any, make_kiosk: Any, tmp_path: Path
) -> None:
    rk = make_kiosk(printer=printer)

    def press(target: str) -> None:
        """Touch the centre of ``target`` once the painted frame shows it."""

        b = eventually(lambda: next((b for b in rk.app.buttons() if b.id == target), None))
        assert b is not None, f"{target} never drawn"
        rk.app.inject_touch(b.rect.x + b.rect.w / 2, b.rect.y + b.rect.h / 2)

    press("lang:en")
    assert rk.wait_for(lambda s: s.screen == "ask" and s.lang == "en")
    press("svc:A")
    assert rk.wait_for(lambda s: s.screen == "identify")
    press("skip")
    assert rk.wait_for(lambda s: s.printing == "printed")
    assert printer.tickets[0].lang == "en"
    shot = tmp_path / "ticket.png"
    assert rk.app.save_screenshot(shot)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_identified_vip_gets_priority_and_no_number_leaks(
    engine: Any, printer: Any, make_kiosk: Any, bus: Any, tmp_path: Path, caplog: Any
) -> None:
    import logging

    from drivers.identity import IdentityHasher
    from kiosk.directory import SqliteDirectory, build_example, synthetic_id, synthetic_pan

    caplog.set_level(logging.DEBUG)
    hasher = IdentityHasher(b"k" * 32)
    people = build_example(tmp_path / "dir.sqlite", hasher, time.time())
    vip = next(p for p in people if p.tier == "vip")
    rk = make_kiosk(
        printer=printer, hasher=hasher, directory=SqliteDirectory(tmp_path / "dir.sqlite")
    )
    rk.app.readers.on_identity(hasher.card(vip.pan))
    assert rk.wait_for(lambda s: s.screen == "ask" and s.hint == "vip")
    rk.app.tap("svc:B")
    assert rk.wait_for(lambda s: s.printing == "printed")
    assert rk.app.state.ticket is not None and rk.app.state.ticket.customer_class == "vip"
    assert printer.tickets[0].priority == rk.app.catalogs[rk.app.state.lang]("Priority service")
    secrets = {vip.pan, vip.id_number, vip.pan[-8:], synthetic_pan(1), synthetic_id(1)}
    wire = b"".join(p for _t, p, _r in bus.published).decode("utf-8", "replace")
    logs = caplog.text
    printed = repr(printer.tickets)
    for s in secrets:
        assert s not in wire and s not in logs and s not in printed


def test_due_appointment_scanned_at_welcome_checks_in(
    engine: Any, printer: Any, make_kiosk: Any, tmp_path: Path
) -> None:
    from drivers.identity import IdentityHasher
    from kiosk.directory import SqliteDirectory, build_example

    hasher = IdentityHasher(b"k" * 32)
    people = build_example(tmp_path / "dir.sqlite", hasher, time.time())
    booked = next(p for p in people if p.booking_ref and p.booking_in_s < 900)
    rk = make_kiosk(
        printer=printer, hasher=hasher, directory=SqliteDirectory(tmp_path / "dir.sqlite")
    )
    rk.app.readers.on_appointment(hasher.qr(str(booked.booking_ref)))
    assert rk.wait_for(lambda s: s.printing == "printed")
    t = rk.app.state.ticket
    assert (
        t is not None and t.customer_class == "appointment" and t.service == booked.booking_service
    )


def test_unknown_appointment_code_is_reported_not_issued(
    engine: Any, printer: Any, make_kiosk: Any, tmp_path: Path
) -> None:
    from drivers.identity import IdentityHasher

    rk = make_kiosk(printer=printer, hasher=IdentityHasher(b"k" * 32))
    rk.app.tap("start")
    rk.app.readers.on_appointment(IdentityHasher(b"k" * 32).qr("NO-SUCH-BOOKING"))
    assert rk.wait_for(lambda s: s.hint == "read_failed")
    assert printer.tickets == []


def test_real_printer_driver_on_the_simulator_alerts_paper_near_end(
    engine: Any, make_kiosk: Any, bus: Any, tmp_path: Path
) -> None:
    from drivers.printer.sim import PrinterSim

    with PrinterSim(tmp_path / "printer") as sim:
        sim.paper_near_end()
        rk = make_kiosk(printer=sim.url)
        rk.app.tap_service("A")
        data = sim.wait_for_ticket(3)
        assert data is not None and b"A001" in data
        assert rk.wait_for(lambda s: s.printing == "printed")
        assert "paper_near_end" in [a.code for a in _alerts(bus)]
        sim.paper_out()
        rk.app.tap_service("A")
        assert rk.wait_for(lambda s: s.ticket is not None and s.ticket.number == "A002")
        assert rk.wait_for(lambda s: s.printing == "failed")
        assert sim.wait_for_ticket(0.2) is None
        assert "paper_out" in [a.code for a in _alerts(bus)]


def test_broker_and_links_show_on_the_welcome_screen(
    printer: Any, make_kiosk: Any, bus: Any
) -> None:
    rk = make_kiosk(printer=printer)
    assert rk.wait_for(lambda s: s.engine_up)
    bus.stop()
    assert rk.wait_for(lambda s: not s.engine_up)
    bus.start()
    assert rk.wait_for(lambda s: s.engine_up)
    topic = rk.app.topics.status("engine")
    bus.publish(topic, StatusMsg("engine", False, "engine", 1.0).encode(), retain=True)
    assert rk.wait_for(lambda s: not s.engine_up)
    bus.publish(topic, StatusMsg("engine", True, "engine", 2.0).encode(), retain=True)
    assert rk.wait_for(lambda s: s.engine_up)

    def banner_shown() -> bool:
        return any("离线" in t for t in _texts(rk))

    bus.stop()
    assert eventually(banner_shown), "the offline banner is drawn"
    bus.start()
    assert eventually(lambda: not banner_shown()), "and goes away"
