"""A QR/barcode scanner on a pty, scriptable from tests and the demo."""

from __future__ import annotations

from drivers.qrscan.codec import APPOINTMENT_PREFIX, encode_scan
from drivers.readers import DeviceSim


class QrScannerSim(DeviceSim):
    """Scan codes, go silent, be unplugged, send noise."""

    terminator = b"\r\n"

    def scan(self, text: str) -> None:
        """The scanner read a code whose content is ``text``."""
        self.send(encode_scan(text, self.terminator))

    def scan_appointment(self, ref: str) -> None:
        """A booking confirmation as the booking system prints it."""
        self.scan(f"{APPOINTMENT_PREFIX}{ref}")

    def device_command(self, verb: str, args: list[str]) -> str:
        """``scan <text>`` (any code), ``appt <ref>`` (an appointment code)."""
        if verb == "scan" and args:
            self.scan(" ".join(args))
            return "scanned"
        if verb == "appt" and args:
            self.scan_appointment(args[0])
            return f"scanned appointment {args[0]}"
        return super().device_command(verb, args)
