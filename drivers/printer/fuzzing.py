"""Decoders and sample frames of the printer codecs, for ``drivers.fuzzregistry``.

Two decoders read bytes that come from outside: the DLE EOT answer decoder
(bytes from the printer) and the ESC/POS stream parser (what the simulator
and the preview read). Samples cover every status state and every command
the ticket renderer emits, cut into single commands so that mutations stay
small and a fuzz campaign stays fast.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from itertools import product

from drivers.printer.status import Paper, PrinterStatus, decode_status, encode_status
from drivers.printer.stream import Op, StreamParser


def status_decoder() -> Callable[[bytes], PrinterStatus]:
    return decode_status


def status_samples() -> Sequence[bytes]:
    papers: tuple[Paper, ...] = ("ok", "near_end", "out")
    frames = {
        encode_status(
            online=online, paper=paper, cover_open=cover, cutter_error=cutter, unrecoverable=fatal
        )
        for online, paper, cover, cutter, fatal in product(
            (True, False), papers, (False, True), (False, True), (False, True)
        )
    }
    return sorted(frames)


def stream_decoder() -> Callable[[bytes], list[Op]]:
    return StreamParser().feed


def stream_samples() -> Sequence[bytes]:
    """Every distinct command of tickets on every profile, plus status queries."""
    from drivers.printer.profiles import PROFILES
    from drivers.printer.stream import parse
    from drivers.printer.ticket import TicketData, render_ticket

    ticket = TicketData(
        branch_name="Sucursal Centro 中心支行",
        number="A023",
        service_name="Cuentas 开户",
        lang="es",
        issued_at=datetime(2026, 1, 2, 9, 30),
        people_ahead=3,
        expected_wait_min=12,
        prepare="DNI\n身份证",
        zone="Zona B",
        qr_payload="https://q.example/t/A023",
        notice="¡Atención!",
    )
    frames: set[bytes] = {b"\x10\x04\x01", b"\x10\x04\x02", b"\x10\x04\x03", b"\x10\x04\x04"}
    for profile in PROFILES.values():
        if profile.cjk == "raster":
            continue  # raster lines need a font file; the raster command is covered below
        frames.update(op.raw for op in parse(render_ticket(ticket, profile)))
    frames.add(b"\x1dv0\x00\x02\x00\x02\x00\xff\x00\x81\x18")  # a 16 x 2 raster image
    return sorted(frames)
