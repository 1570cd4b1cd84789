"""Identification through the real reader drivers on their pty simulators."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from drivers.identity import IdentityHasher
from kiosk.directory import SqliteDirectory, build_example
from tests.support import eventually


def test_card_id_card_and_qr_readers_reach_the_flow(
    engine: Any, printer: Any, make_kiosk: Any, bus: Any, tmp_path: Path
) -> None:
    from drivers.idcard.sim import IdCardReaderSim
    from drivers.magstripe.sim import CardReaderSim
    from drivers.qrscan.sim import QrScannerSim
    from lobbyq.protocol.messages import StatusMsg

    hasher = IdentityHasher(b"r" * 32)
    people = build_example(tmp_path / "dir.sqlite", hasher, time.time())
    vip = next(p for p in people if p.tier == "vip")
    care = next(p for p in people if p.tier == "care")
    booked = next(p for p in people if p.booking_ref and p.booking_in_s < 900)
    with (
        CardReaderSim(tmp_path / "card") as card,
        IdCardReaderSim(tmp_path / "idcard") as idc,
        QrScannerSim(tmp_path / "qr") as qr,
    ):
        rk = make_kiosk(
            printer=printer,
            card=card.url,
            idcard=idc.url,
            qr=qr.url,
            hasher=hasher,
            directory=SqliteDirectory(tmp_path / "dir.sqlite"),
        )
        for r in rk.app.readers.opened:
            assert r.wait_connected(3)

        def health() -> dict[str, str]:
            return dict(StatusMsg.decode(bus.retained(rk.app.topics.status("kiosk-1"))).health)

        assert eventually(
            lambda: all(health().get(p) == "ok" for p in ("card", "idcard", "qr")), 3
        ), health()

        card.swipe_card(vip.pan)
        assert rk.wait_for(lambda s: s.customer is not None and s.customer.tier == "vip", 3)
        assert rk.app.state.screen == "ask" and rk.app.state.customer.masked.endswith("0014")
        rk.app.tap("home")
        assert rk.wait_for(lambda s: s.screen == "welcome" and s.customer is None)

        idc.place(care.id_number, care.name)
        assert rk.wait_for(lambda s: s.customer is not None and s.customer.tier == "care", 5)
        idc.remove()
        rk.app.tap("home")
        assert rk.wait_for(lambda s: s.screen == "welcome" and s.customer is None)

        qr.scan_appointment(str(booked.booking_ref))
        assert rk.wait_for(lambda s: s.printing == "printed", 5)
        t = rk.app.state.ticket
        assert t is not None and t.customer_class == "appointment"
        for p in (vip, care, booked):
            wire = b"".join(pl for _t, pl, _r in bus.published)
            assert p.pan.encode() not in wire and p.id_number.encode() not in wire
