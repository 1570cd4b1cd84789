"""Decoders and sample frames of the card-reader codecs, for ``drivers.fuzzregistry``.

The decoders run the whole host path up to the hash: bytes (or key events)
to swipes, and each swipe's number through the Luhn check and HMAC, so a
fuzz campaign also exercises what the reader does with what it decoded.
Key events travel as byte pairs (code, value) so the wedge parser can be
fuzzed with the same byte mutator.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from drivers.identity import IdentityHasher
from drivers.magstripe.codec import Decoder, Swipe, encode_swipe, encode_track1, encode_track2
from drivers.magstripe.wedge import KeyEvent, WedgeParser, encode_keys

_HASHER = IdentityHasher(b"fuzzing-only-secret-not-a-branch")

# Synthetic numbers under the 999999 test prefix, Luhn-valid.
_PANS = ("9999990000000006", "9999991234562", "9999990000000000006")


def _swipes() -> list[bytes]:
    frames: list[bytes] = []
    for pan in _PANS:
        t1 = encode_track1(pan, "CUSTOMER/TEST", "3012", "201", "000")
        t2 = encode_track2(pan, "3012", "201", "000")
        frames += [encode_swipe(t1, t2), encode_swipe(None, t2), encode_swipe(t1, None)]
    frames.append(encode_swipe(None, None, track1_unreadable=True, track2_unreadable=True))
    frames.append(encode_swipe(None, encode_track2(_PANS[0]), terminator=b"\r\n"))
    return frames


def _hash_swipes(messages: Sequence[object]) -> None:
    for msg in messages:
        if isinstance(msg, Swipe):
            _HASHER.card(msg.pan)  # IdentityError is a DriverError


def serial_decoder(*, lrc: bool = False) -> Callable[[bytes], None]:
    decoder = Decoder(lrc=lrc)

    def decode(data: bytes) -> None:
        _hash_swipes(decoder.feed(data))

    return decode


def serial_samples(*, lrc: bool = False) -> Sequence[bytes]:
    if not lrc:
        return _swipes()
    frames = []
    for pan in _PANS:
        t1 = encode_track1(pan, "CUSTOMER/TEST", "3012", "201", "000")
        frames.append(encode_swipe(t1, encode_track2(pan, "3012", "201"), lrc=True))
    return frames


def events_to_bytes(events: Sequence[KeyEvent]) -> bytes:
    return b"".join(bytes((ev.code & 0xFF, ev.value & 0xFF)) for ev in events)


def wedge_decoder() -> Callable[[bytes], None]:
    parser = WedgeParser()

    def decode(data: bytes) -> None:
        _hash_swipes(parser.feed(zip(data[0::2], data[1::2], strict=False)))

    return decode


def wedge_samples() -> Sequence[bytes]:
    return [events_to_bytes(encode_keys(f.decode("latin-1"))) for f in _swipes()]
