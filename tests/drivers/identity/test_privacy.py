"""No clear card number, ID number or full name in any log line or recorder dump.

Drives every reader through good reads, bad reads, garbage, silence and an
unplug (which dumps the flight recorder to the log), with every logger at
DEBUG, then searches all the text for the synthetic numbers in every form
they take on the wire: as text, as ASCII hex and as UCS-2 hex.
"""

from __future__ import annotations

import logging
from pathlib import Path

from drivers.idcard.driver import IdCardReader
from drivers.idcard.sim import IdCardReaderSim
from drivers.identity import IdentityHasher
from drivers.magstripe.driver import CardReader
from drivers.magstripe.sim import CardReaderSim
from drivers.qrscan.driver import QrScanner
from drivers.qrscan.sim import QrScannerSim
from tests.drivers.identity.conftest import Events, LogText, Synthetic
from tests.support import eventually


def _forms(secret: str) -> list[str]:
    """Every way a clear value could show up in a log or a hex dump."""
    forms = [secret]
    for raw in (secret.encode("utf-8"), secret.encode("utf-16-le")):
        forms += [raw.hex(), raw.hex(" "), raw.hex(" ").upper(), raw.hex().upper()]
    return forms


def test_no_clear_numbers_in_logs_or_recorders(
    tmp_path: Path,
    hasher: IdentityHasher,
    synth: Synthetic,
    all_logs: LogText,
) -> None:
    events = Events()
    pans = [synth.pan(), synth.pan(19), synth.pan(13)]
    numbers = [synth.id_number(), synth.id_number()]
    full_name = "欧阳测试"
    log = logging.getLogger("lobbyq.drivers")

    def boom(_: object) -> None:
        events.identities.append(_)
        raise RuntimeError("application bug while handling an identity")

    card_sim = CardReaderSim(tmp_path / "card", lrc=True, seed=11)
    id_sim = IdCardReaderSim(tmp_path / "id", seed=12)
    qr_sim = QrScannerSim(tmp_path / "qr", seed=13)
    card = CardReader(
        card_sim.url,
        hasher,
        boom,
        events.on_health,
        log,
        on_reject=events.reject,
        lrc=True,
        backoff_max=0.05,
    )
    idr = IdCardReader(
        id_sim.url,
        hasher,
        boom,
        events.on_health,
        log,
        on_reject=events.reject,
        poll_interval=0.01,
        timeout=0.15,
        read_timeout=0.5,
        backoff_max=0.05,
    )
    qr = QrScanner(
        qr_sim.url,
        hasher,
        events.identity,
        events.on_health,
        log,
        on_reject=events.reject,
        backoff_max=0.05,
    )
    readers = (card, idr, qr)
    try:
        for r in readers:
            r.start()
        assert card.wait_connected(3.0) and qr.wait_connected(3.0)
        # card: good swipes, a wrong check digit, a track mismatch, an unplug mid-way
        card_sim.swipe_card(pans[0])
        card_sim.swipe_card(pans[1], tracks="2")
        card_sim.swipe_card(pans[2][:-1] + str((int(pans[2][-1]) + 1) % 10))
        card_sim.swipe(f"B{pans[0]}^TEST/CARD^3012201", f"{pans[1]}=3012201")
        card_sim.send(f";{pans[2]}=30".encode())  # half a swipe, then the cable goes
        assert eventually(lambda: len(events.identities) == 2)
        card_sim.unplug()
        assert eventually(lambda: not card.online)
        card_sim.replug()
        assert eventually(lambda: card.online)
        card_sim.swipe_card(pans[2])
        assert eventually(lambda: len(events.identities) == 3)
        # ID: a good card, an invalid number, then the reader goes silent
        id_sim.place(numbers[0], full_name)
        assert eventually(lambda: len(events.identities) == 4)
        id_sim.remove()
        bad = numbers[1][:17] + ("0" if numbers[1][17] != "0" else "1")
        id_sim.place(bad, full_name)
        assert eventually(lambda: any(r.startswith("invalid-card") for r in events.rejects))
        id_sim.silence()
        assert eventually(lambda: idr.timeouts >= 1)
        # QR: an appointment and somebody else's code
        qr_sim.scan_appointment("APPT-0001")
        qr_sim.scan(f"PAY:{pans[0]}")
        assert eventually(lambda: len(events.identities) == 5)
        assert eventually(lambda: "not-an-appointment" in events.rejects)
    finally:
        for r in readers:
            r.close()
        for s in (card_sim, id_sim, qr_sim):
            s.close()

    dumps = "\n".join("\n".join(r.recorder.dump()) for r in readers)
    seen = "\n".join(
        [all_logs.text, dumps, repr(events.identities), repr(events.health), repr(events.rejects)]
    )
    # the run produced the material we search: swipes, a dump with redacted data
    assert "flight recorder dump" in all_logs.text
    assert "<redacted" in dumps and "swipe **** " in dumps and "card 欧**" in dumps
    assert "application bug" in all_logs.text
    leaks = [
        f"value #{i} in form #{j}"
        for i, secret in enumerate([*pans, *[p[:-4] for p in pans], *numbers, bad, full_name])
        for j, form in enumerate(_forms(secret))
        if form in seen
    ]
    assert leaks == []  # (named by index so a failure does not print the value)
