"""Host side of a QR/barcode scanner: appointment codes in, check-in references out.

The scanner sends a line per code read. A code that is an appointment
reference (see :func:`~drivers.qrscan.codec.appointment_ref`) is delivered as
an :class:`Appointment`: the reference itself, for check-in against the
booking, and its :class:`~drivers.identity.Identity` (kind ``qr``), keyed like
cards and ID cards for directory lookup. Any other code (a payment code, a
URL) is rejected with a reason and its content is neither logged nor kept.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Unpack

from drivers.identity import Identity, IdentityError, IdentityHasher
from drivers.qrscan.codec import BadScan, Decoder, Scan, appointment_ref
from drivers.readers import HealthCallback, ReaderBase, ReaderOptions


@dataclass(frozen=True, slots=True)
class Appointment:
    """A scanned appointment: ``ref`` for check-in, ``identity`` for lookup."""

    ref: str
    identity: Identity


AppointmentCallback = Callable[[Appointment], None]


class QrScanner(ReaderBase):
    """A serial (or USB virtual COM) QR/barcode scanner in continuous mode."""

    default_name = "qr-scanner"
    default_baudrate = 9600

    def __init__(
        self,
        url: str,
        hasher: IdentityHasher,
        on_appointment: AppointmentCallback,
        on_health: HealthCallback | None = None,
        logger: logging.Logger | None = None,
        **options: Unpack[ReaderOptions],
    ) -> None:
        super().__init__(url, on_health=on_health, logger=logger, **options)
        self._hasher = hasher
        self._on_appointment = on_appointment
        self.decoder = Decoder()
        self.scans = 0

    def handle_data(self, data: bytes) -> None:
        for msg in self.decoder.feed(data):
            if isinstance(msg, Scan):
                self._scan(msg)
            elif isinstance(msg, BadScan):
                self._reject(msg.reason)

    def on_link(self, up: bool, reason: str) -> None:
        self.decoder.reset()  # a code cut by the unplug is gone for good
        super().on_link(up, reason)

    def _scan(self, scan: Scan) -> None:
        ref = appointment_ref(scan.text)
        if ref is None:
            self._reject("not-an-appointment")
            return
        try:
            identity = self._hasher.qr(ref)
        except IdentityError as exc:
            self._reject(f"invalid-code: {exc}")
            return
        self.scans += 1
        self.deliver(
            self._on_appointment,
            Appointment(ref, identity),
            note=f"appointment {identity.masked}",
            message=f"appointment {identity.masked}",
        )

    def _reject(self, reason: str) -> None:
        self.reject(reason, note="rejected scan", message="scan rejected")
