"""The printer simulator itself: what it answers, holds, splits and records."""

from __future__ import annotations

import os
import select
import time
from collections.abc import Iterator

import pytest
import serial

from drivers.printer.sim import PrinterSim
from drivers.printer.status import QUERY_ALL, decode_status


@pytest.fixture
def host(printer_sim: PrinterSim) -> Iterator[serial.Serial]:
    port = serial.serial_for_url(printer_sim.url, timeout=0.5)
    yield port
    port.close()


def _ask(host: serial.Serial) -> bytes:
    host.write(QUERY_ALL)
    return bytes(host.read(4))


def test_answers_the_four_status_queries(printer_sim: PrinterSim, host: serial.Serial) -> None:
    assert decode_status(_ask(host)).ready
    printer_sim.paper_out()
    assert decode_status(_ask(host)).paper == "out"
    printer_sim.load_paper()
    printer_sim.open_cover()
    assert decode_status(_ask(host)).cover_open


def test_silence_means_no_bytes_at_all(printer_sim: PrinterSim, host: serial.Serial) -> None:
    printer_sim.silence()
    host.timeout = 0.15
    assert _ask(host) == b""
    printer_sim.silence(False)
    host.timeout = 0.5
    assert len(_ask(host)) == 4


def test_data_sent_while_out_of_paper_prints_after_reload(
    printer_sim: PrinterSim, host: serial.Serial
) -> None:
    printer_sim.paper_out()
    host.write(b"\x1b@HELD\n\x1dV\x01")
    assert printer_sim.wait_for_ticket(0.2) is None
    printer_sim.load_paper()
    assert printer_sim.wait_for_ticket(1.0) == b"\x1b@HELD\n\x1dV\x01"


def test_status_queries_are_not_part_of_the_ticket(
    printer_sim: PrinterSim, host: serial.Serial
) -> None:
    host.write(b"A\x10\x04\x01B\n\x1dV\x00")
    assert printer_sim.wait_for_ticket(1.0) == b"AB\n\x1dV\x00"
    assert printer_sim.status_queries == 1
    assert bytes(printer_sim.received) == b"A\x10\x04\x01B\n\x1dV\x00"


def test_jammed_cutter_holds_the_ticket(printer_sim: PrinterSim, host: serial.Serial) -> None:
    printer_sim.jam_cutter()
    host.write(b"X\n\x1dV\x01")
    assert printer_sim.wait_for_ticket(0.2) is None
    printer_sim.clear_jam()
    assert printer_sim.wait_for_ticket(1.0) == b"X\n\x1dV\x01"


def test_garbage_reaches_the_host(printer_sim: PrinterSim, host: serial.Serial) -> None:
    junk = printer_sim.send_garbage(32)
    assert bytes(host.read(32)) == junk


def test_unplug_breaks_the_host_port_and_replug_serves_a_new_one(
    printer_sim: PrinterSim, host: serial.Serial
) -> None:
    printer_sim.unplug()
    with pytest.raises((serial.SerialException, OSError)):
        host.write(QUERY_ALL)
        host.read(4)
    printer_sim.replug()
    fresh = serial.serial_for_url(printer_sim.url, timeout=0.5)
    try:
        assert len(_ask(fresh)) == 4
    finally:
        fresh.close()


def test_slow_delays_each_answer(printer_sim: PrinterSim, host: serial.Serial) -> None:
    printer_sim.slow(0.1)
    start = time.monotonic()
    assert len(_ask(host)) == 4
    assert time.monotonic() - start >= 0.09


def test_sim_survives_every_byte_value(printer_sim: PrinterSim, host: serial.Serial) -> None:
    host.write(bytes(range(256)) * 4)
    host.write(b"\x1b@\x10\x04\x01")
    fd = host.fileno()
    ready, _, _ = select.select([fd], [], [], 1.0)
    assert ready
    assert len(os.read(fd, 16)) >= 1
