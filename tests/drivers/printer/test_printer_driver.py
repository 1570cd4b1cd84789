"""TicketPrinter against the simulator on a real pty: every fault state, recovery, speed."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from drivers.errors import DriverError
from drivers.printer.driver import TicketPrinter, normalize_url
from drivers.printer.errors import (
    CoverOpen,
    PaperOut,
    PrinterError,
    PrinterFault,
    PrinterOffline,
    PrinterTimeout,
)
from drivers.printer.profiles import PROFILES
from drivers.printer.sim import PrinterSim
from drivers.printer.status import PrinterStatus
from drivers.printer.ticket import render_ticket
from tests.drivers.printer.conftest import make_ticket
from tests.support import eventually


def test_healthy_printer_is_online_with_paper(printer: TicketPrinter) -> None:
    st = printer.status()
    assert st == PrinterStatus(True, "ok", False, False, "")
    assert st.ready


def test_ticket_arrives_byte_exact_and_is_split_at_the_cut(
    printer: TicketPrinter, printer_sim: PrinterSim
) -> None:
    t1, t2 = make_ticket(number="A001"), make_ticket(number="A002")
    printer.print_ticket(t1)
    printer.print_ticket(t2)
    assert printer_sim.wait_for_ticket(2.0) == render_ticket(t1, PROFILES["cn80"])
    assert printer_sim.wait_for_ticket(2.0) == render_ticket(t2, PROFILES["cn80"])
    assert printer_sim.wait_for_ticket(0.05) is None
    assert printer_sim.status_queries == 8  # DLE EOT 1..4 before each ticket


def test_paper_near_end_still_prints_and_is_reported(
    printer: TicketPrinter, printer_sim: PrinterSim, statuses: list[PrinterStatus]
) -> None:
    printer.status()
    printer_sim.paper_near_end()
    printer.print_ticket(make_ticket())
    assert printer_sim.wait_for_ticket(2.0) is not None
    assert statuses[-1].paper == "near_end"
    assert statuses[-1].online


@pytest.mark.parametrize(
    ("fault", "error", "check"),
    [
        ("paper_out", PaperOut, lambda s: s.paper == "out" and not s.online),
        ("open_cover", CoverOpen, lambda s: s.cover_open and not s.online),
        ("jam_cutter", PrinterFault, lambda s: s.error and "autocutter" in s.detail),
    ],
)
def test_fault_states_refuse_the_ticket_and_recover(
    printer: TicketPrinter,
    printer_sim: PrinterSim,
    statuses: list[PrinterStatus],
    fault: str,
    error: type[PrinterError],
    check: Callable[[PrinterStatus], bool],
) -> None:
    getattr(printer_sim, fault)()
    with pytest.raises(error) as info:
        printer.print_ticket(make_ticket())
    assert isinstance(info.value, DriverError)
    assert info.value.status is not None
    assert check(info.value.status)
    assert check(statuses[-1])
    assert printer_sim.wait_for_ticket(0.1) is None
    printer_sim.reset()
    printer.print_ticket(make_ticket())
    assert printer_sim.wait_for_ticket(2.0) is not None
    assert statuses[-1].ready


def test_silent_printer_is_offline_not_plenty_of_paper(
    printer: TicketPrinter, printer_sim: PrinterSim
) -> None:
    printer_sim.silence()
    st = printer.status()
    assert not st.online
    assert st.paper == "unknown"
    with pytest.raises(PrinterOffline):
        printer.print_ticket(make_ticket())
    assert printer_sim.wait_for_ticket(0.1) is None


def test_python_escpos_alone_would_call_a_silent_printer_plenty(
    printer: TicketPrinter, printer_sim: PrinterSim
) -> None:
    """Why the driver decodes status itself: escpos' paper_status() says 2 on silence."""
    printer_sim.silence()
    esc = printer.escpos
    esc.read_timeout = 0.05
    assert esc.paper_status() == 2
    assert printer.status().paper == "unknown"


def test_slow_printer_is_a_timeout_and_the_ticket_is_not_sent(
    printer: TicketPrinter, printer_sim: PrinterSim
) -> None:
    printer_sim.slow(0.2)  # answers after 200 ms: within timeout, past the deadline
    with pytest.raises(PrinterTimeout):
        printer.print_ticket(make_ticket())
    printer_sim.slow(0)
    assert printer_sim.wait_for_ticket(0.3) is None


def test_unplug_reports_offline_and_replug_recovers(
    printer: TicketPrinter, printer_sim: PrinterSim, statuses: list[PrinterStatus]
) -> None:
    printer.status()
    printer_sim.unplug()
    assert eventually(lambda: not printer.connected, 2.0)
    with pytest.raises(PrinterOffline):
        printer.print_ticket(make_ticket())
    assert statuses[-1].online is False
    printer_sim.replug()
    assert eventually(lambda: printer.status().online, 2.0), "no recovery within 2 s"
    printer.print_ticket(make_ticket())
    assert printer_sim.wait_for_ticket(2.0) is not None
    assert [s.online for s in statuses][-2:] == [False, True]


def test_garbage_on_the_line_does_not_fake_a_status(
    printer: TicketPrinter, printer_sim: PrinterSim
) -> None:
    for _ in range(20):
        printer_sim.send_garbage(80)
        st = printer.status()
        assert st.ready, st
    printer.print_ticket(make_ticket())
    assert printer_sim.wait_for_ticket(2.0) is not None


def test_concurrent_prints_do_not_interleave(
    printer: TicketPrinter, printer_sim: PrinterSim
) -> None:
    numbers = [f"C{i:03d}" for i in range(12)]

    def worker(chunk: list[str]) -> None:
        for n in chunk:
            printer.print_ticket(make_ticket(number=n))

    threads = [threading.Thread(target=worker, args=(numbers[i::3],)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    expected = {render_ticket(make_ticket(number=n), PROFILES["cn80"]) for n in numbers}
    got = {printer_sim.wait_for_ticket(2.0) for _ in numbers}
    assert got == expected


def test_fault_dumps_the_flight_recorder(
    printer: TicketPrinter, printer_sim: PrinterSim, caplog: pytest.LogCaptureFixture
) -> None:
    printer_sim.paper_out()
    with pytest.raises(PaperOut):
        printer.print_ticket(make_ticket())
    dump = "\n".join(r.getMessage() for r in caplog.records)
    assert "flight recorder dump" in dump
    assert "status_query(1)" in dump  # the tx query, decoded
    assert "paper=out" in dump  # the rx answer, decoded


def test_watch_reports_paper_near_end_without_a_print(
    printer: TicketPrinter, printer_sim: PrinterSim, statuses: list[PrinterStatus]
) -> None:
    printer.start_watch(interval=0.02)
    printer_sim.paper_near_end()
    assert eventually(lambda: statuses and statuses[-1].paper == "near_end", 2.0)
    printer.stop_watch()


def test_absent_port_is_offline_not_a_crash(tmp_path: object) -> None:
    p = TicketPrinter("/nonexistent/lobbyq-printer", PROFILES["cn80"], timeout=0.1)
    try:
        assert not p.open(wait=0.1)
        assert not p.status().online
        with pytest.raises(PrinterOffline):
            p.print_ticket(make_ticket())
    finally:
        p.close()


def test_network_printer_url_maps_to_pyserial_socket() -> None:
    assert normalize_url("tcp://10.0.0.5:9100") == "socket://10.0.0.5:9100"
    assert normalize_url("spy:///dev/lobbyq-printer") == "spy:///dev/lobbyq-printer"


def test_usb_printer_without_a_device_is_offline_not_a_crash() -> None:
    p = TicketPrinter("usb://04b8:0202", PROFILES["cn80"], timeout=0.05)
    try:
        assert not p.open(wait=0.05)
        assert not p.status().online
        with pytest.raises(PrinterOffline):
            p.print_ticket(make_ticket())
    finally:
        p.close()


def test_spy_url_gives_a_technician_a_hex_dump(printer_sim: PrinterSim, tmp_path: Path) -> None:
    dump = tmp_path / "spy.txt"
    p = TicketPrinter(f"spy://{printer_sim.url}?file={dump}", PROFILES["cn80"], timeout=0.3)
    try:
        assert p.open(wait=2.0)
        assert p.status().ready
        p.print_ticket(make_ticket())
        assert printer_sim.wait_for_ticket(2.0) is not None
    finally:
        p.close()
    text = dump.read_text()
    assert "TX" in text and "RX" in text
    assert "10 04 01 10 04 02" in text
