"""The QR scanner end to end over a pty: appointments, other codes, unplug."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from drivers.identity import IdentityHasher
from drivers.qrscan.driver import Appointment, QrScanner
from drivers.qrscan.sim import QrScannerSim
from tests.drivers.identity.conftest import Events
from tests.support import eventually

Rig = tuple[QrScannerSim, QrScanner]


@pytest.fixture
def rig(link_path: Path, hasher: IdentityHasher, events: Events) -> Iterator[Rig]:
    sim = QrScannerSim(link_path, seed=3)
    scanner = QrScanner(
        sim.url,
        hasher,
        events.identity,
        events.on_health,
        on_reject=events.reject,
        backoff_max=0.05,
    )
    scanner.start()
    assert scanner.wait_connected(3.0)
    yield sim, scanner
    scanner.close()
    sim.close()


def test_appointment_code_gives_ref_and_identity(
    rig: Rig, hasher: IdentityHasher, events: Events
) -> None:
    sim, _ = rig
    sim.scan_appointment("appt-2026-0042")
    assert eventually(lambda: len(events.identities) == 1)
    (appt,) = events.identities
    assert appt == Appointment("APPT-2026-0042", hasher.qr("APPT-2026-0042"))
    assert isinstance(appt, Appointment) and appt.identity.kind == "qr"


def test_other_codes_and_noise_are_rejected(rig: Rig, events: Events) -> None:
    sim, scanner = rig
    sim.scan("https://pay.example/qr?token=1")
    sim.send(b"\xff\xfe\r\n")
    sim.send_garbage(100)
    sim.scan_appointment("AB12")
    assert eventually(lambda: len(events.identities) == 1)
    assert events.rejects[:2] == ["not-an-appointment", "encoding"]
    assert scanner.scans == 1


def test_unplug_replug(rig: Rig, events: Events) -> None:
    sim, _ = rig
    sim.unplug()
    assert eventually(lambda: events.online is False)
    sim.replug()
    assert eventually(lambda: events.online is True)
    sim.scan_appointment("AB12")
    assert eventually(lambda: len(events.identities) == 1)


def test_console_commands_drive_every_simulator(
    tmp_path: Path, hasher: IdentityHasher, events: Events
) -> None:
    from drivers.idcard.driver import IdCardReader
    from drivers.idcard.sim import IdCardReaderSim
    from drivers.magstripe.driver import CardReader
    from drivers.magstripe.sim import CardReaderSim

    card_sim, id_sim, qr_sim = (
        CardReaderSim(tmp_path / "c"),
        IdCardReaderSim(tmp_path / "i"),
        QrScannerSim(tmp_path / "q"),
    )
    readers = [
        CardReader(card_sim.url, hasher, events.identity, events.on_health),
        IdCardReader(id_sim.url, hasher, events.identity, poll_interval=0.01),
        QrScanner(qr_sim.url, hasher, events.identity, on_reject=events.reject),
    ]
    try:
        for r in readers:
            r.start()
        assert readers[0].wait_connected(3.0) and readers[2].wait_connected(3.0)
        assert card_sim.command(["swipe"]).startswith("swiped card **** ")
        assert card_sim.command(["swipe", "again"]) == card_sim.command(["swipe", "again"])
        assert id_sim.command(["place", "张三"]) == "placed an ID card for 张**"
        assert qr_sim.command(["appt", "APPT-9"]) == "scanned appointment APPT-9"
        assert qr_sim.command(["scan", "hello", "world"]) == "scanned"
        assert eventually(lambda: len(events.identities) == 5)
        kinds = sorted(getattr(i, "kind", "appt") for i in events.identities)
        assert kinds == ["appt", "card", "card", "card", "id"]
        assert events.rejects == ["not-an-appointment"]
        assert card_sim.command(["unplug"]) == "unplug: done"
        assert eventually(lambda: events.online is False)
        card_sim.command(["replug"])
        assert eventually(lambda: events.online is True)
        with pytest.raises(ValueError):
            card_sim.command(["dance"])
        with pytest.raises(ValueError):
            qr_sim.command([])
    finally:
        for r in readers:
            r.close()
        for s in (card_sim, id_sim, qr_sim):
            s.close()
