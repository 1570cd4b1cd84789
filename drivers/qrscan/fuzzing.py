"""Decoders and sample frames of the scanner codec, for ``drivers.fuzzregistry``.

The decoder runs the host path up to the hash: lines to scans, scans to
appointment references, references through the keyed hash.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from drivers.identity import IdentityHasher
from drivers.qrscan.codec import Decoder, Scan, appointment_ref, encode_scan

_HASHER = IdentityHasher(b"fuzzing-only-secret-not-a-branch")


def line_decoder() -> Callable[[bytes], None]:
    decoder = Decoder()

    def decode(data: bytes) -> None:
        for msg in decoder.feed(data):
            if isinstance(msg, Scan):
                ref = appointment_ref(msg.text)
                if ref is not None:
                    _HASHER.qr(ref)

    return decode


def line_samples() -> Sequence[bytes]:
    return [
        encode_scan("LQA:APPT-2026-0001"),
        encode_scan("APPT_77", b"\r"),
        encode_scan("https://pay.example/qr?t=1", b"\n"),
        encode_scan("预约 0001"),
    ]
