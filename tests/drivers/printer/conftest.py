"""Fixtures for the printer tests: a simulated printer on a pty and a driver on it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from drivers.printer.driver import TicketPrinter
from drivers.printer.profiles import PROFILES
from drivers.printer.sim import PrinterSim
from drivers.printer.status import PrinterStatus
from drivers.printer.ticket import TicketData


@pytest.fixture
def printer_sim(tmp_path: Path) -> Iterator[PrinterSim]:
    sim = PrinterSim(tmp_path / "lobbyq-printer")
    yield sim
    sim.close()


@pytest.fixture
def statuses() -> list[PrinterStatus]:
    """Every status change the driver reported through ``on_status``."""
    return []


@pytest.fixture
def printer(printer_sim: PrinterSim, statuses: list[PrinterStatus]) -> Iterator[TicketPrinter]:
    p = TicketPrinter(
        printer_sim.url,
        PROFILES["cn80"],
        timeout=0.3,
        deadline=0.15,
        on_status=statuses.append,
    )
    assert p.open(wait=2.0)
    yield p
    p.close()


def make_ticket(**changes: Any) -> TicketData:
    fields: dict[str, Any] = {
        "branch_name": "Sucursal Centro",
        "number": "A023",
        "service_name": "Cuentas y tarjetas",
        "lang": "es",
        "issued_at": datetime(2026, 11, 23, 17, 30),
        "people_ahead": 3,
        "expected_wait_min": 15,
        "prepare": "DNI o pasaporte\nFormulario 12",
        "zone": "Zona B",
        "qr_payload": "https://q.example/t/A023",
        "notice": None,
        "labels": {},
    }
    fields.update(changes)
    return TicketData(**fields)


@pytest.fixture
def ticket_factory() -> Callable[..., TicketData]:
    return make_ticket
