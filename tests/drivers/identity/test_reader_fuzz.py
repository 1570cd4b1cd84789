"""Protocol-aware fuzzing of the reader decoders, 100,000 frames each.

``drivers.fuzzregistry`` runs the generic byte mutator over these decoders
(in the bus fuzz test and ``bench/drivers.py``). This campaign adds
mutations that know each protocol: stray sentinels and separators, forged
preambles with wild length fields, split multi-byte characters. It checks
what a generic run cannot: a decoder only ever raises ``DriverError``,
delivers only well-formed results, and its buffer stays bounded, so no input
can make it hoard memory or wait forever for a frame that will not come.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable, Sequence

import pytest

from drivers.errors import DriverError
from drivers.fuzzregistry import CODECS, mutate
from drivers.idcard import codec as idc
from drivers.idcard import fuzzing as idf
from drivers.identity import luhn_ok
from drivers.magstripe import codec as mag
from drivers.magstripe import fuzzing as magf
from drivers.magstripe.wedge import WedgeParser
from drivers.qrscan import codec as qr
from drivers.qrscan import fuzzing as qrf

FRAMES = 100_000
SOAK_FRAMES = 1_000_000

sizes = pytest.mark.parametrize(
    "frames",
    [FRAMES, pytest.param(SOAK_FRAMES, marks=[pytest.mark.soak, pytest.mark.timeout(3600)])],
    ids=["100k", "1M"],
)


def _structured(frame: bytes, tokens: Sequence[bytes], rng: random.Random, step: int = 1) -> bytes:
    """Splice protocol tokens into a frame (at multiples of ``step``), or damage it."""
    if rng.random() < 0.5:
        return mutate(frame, rng)
    data = bytearray(frame)
    for _ in range(rng.randint(1, 3)):
        i = rng.randrange(len(data) // step + 1) * step
        data[i:i] = rng.choice(tokens)
    return bytes(data)


def _campaign(
    feed: Callable[[bytes], Sequence[object]],
    buffered: Callable[[], int],
    bound: int,
    samples: Sequence[bytes],
    tokens: Sequence[bytes],
    check: Callable[[object], None],
    seed: int,
    frames: int = FRAMES,
    step: int = 1,
) -> int:
    rng = random.Random(seed)
    delivered = 0
    for _ in range(frames):
        chunk = _structured(rng.choice(samples), tokens, rng, step)
        try:
            out = feed(chunk)
        except DriverError:
            continue
        for msg in out:
            check(msg)
            delivered += 1
        assert buffered() <= bound
    return delivered


@sizes
def test_magstripe_decoder_fuzz(frames: int) -> None:
    tokens = [b"%", b";", b"?", b"^", b"=", b"\r", b"\n", b"%E?", b";E?", b"\x00", b"\xff" * 300]

    def check(msg: object) -> None:
        assert isinstance(msg, mag.Swipe | mag.BadSwipe)
        if isinstance(msg, mag.Swipe):
            assert msg.pan.isdigit() and 1 <= len(msg.pan) <= mag.PAN_MAX

    for lrc in (False, True):  # one decoder, two reader settings: half the frames each
        d = mag.Decoder(lrc=lrc)
        delivered = _campaign(
            d.feed,
            lambda d=d: d.pending,  # type: ignore[misc]
            mag.MAX_LINE,
            magf.serial_samples(lrc=lrc),
            tokens,
            check,
            seed=11 + lrc,
            frames=frames // 2,
        )
        assert delivered > frames // 20  # the campaign did reach the parser


@sizes
def test_wedge_parser_fuzz(frames: int) -> None:
    p = WedgeParser()
    tokens = [
        bytes((42, 1)),
        bytes((42, 0)),
        bytes((54, 1)),
        bytes((28, 1)),
        bytes((59, 1)),
        b"\x06\x01",
    ]
    good = 0

    def check(msg: object) -> None:
        nonlocal good
        assert isinstance(msg, mag.Swipe | mag.BadSwipe)
        good += isinstance(msg, mag.Swipe) and luhn_ok(msg.pan)

    _campaign(
        lambda b: p.feed(zip(b[0::2], b[1::2], strict=False)),
        lambda: p.pending,
        mag.MAX_LINE,
        magf.wedge_samples(),
        tokens,
        check,
        seed=13,
        frames=frames,
        step=2,
    )
    assert good > 1000


@sizes
def test_idcard_response_decoder_fuzz(frames: int) -> None:
    d = idc.ResponseDecoder()
    tokens = [
        idc.PREAMBLE,
        idc.PREAMBLE[:3],
        idc.PREAMBLE + b"\xff\xff",
        idc.PREAMBLE + b"\x00\x00",
        idc.PREAMBLE + b"\x05\x08",
        b"\x00\x00\x90",
    ]

    def check(msg: object) -> None:
        assert isinstance(msg, idc.Response | idc.BadFrame)
        if isinstance(msg, idc.Response) and msg.sw3 == idc.Status.OK and len(msg.data) > 8:
            with contextlib.suppress(idc.InfoError):
                idc.parse_base_data(msg.data)

    delivered = _campaign(
        d.feed,
        lambda: d.pending,
        idc.HEADER_LEN + idc.MAX_LEN,
        idf.response_samples(),
        tokens,
        check,
        seed=17,
        frames=frames,
    )
    assert delivered > frames // 2


@sizes
def test_idcard_command_decoder_fuzz(frames: int) -> None:
    d = idc.CommandDecoder()
    tokens = [idc.PREAMBLE, idc.PREAMBLE + b"\x00\x03", idc.PREAMBLE + b"\x10\x00", b"\x20\x01"]

    def check(msg: object) -> None:
        assert isinstance(msg, idc.Command | idc.BadFrame)

    delivered = _campaign(
        d.feed,
        lambda: d.pending,
        idc.HEADER_LEN + idc.MAX_LEN,
        idf.command_samples(),
        tokens,
        check,
        seed=19,
        frames=frames,
    )
    assert delivered > frames // 2


@sizes
def test_qr_decoder_fuzz(frames: int) -> None:
    d = qr.Decoder()
    tokens = [b"\r", b"\n", b"\xe9\xa2", b"\xff", b"x" * 3000, "预约".encode()]

    def check(msg: object) -> None:
        assert isinstance(msg, qr.Scan | qr.BadScan)
        if isinstance(msg, qr.Scan):
            assert msg.text and msg.text.isprintable()
            qr.appointment_ref(msg.text)

    delivered = _campaign(
        d.feed,
        lambda: d.pending,
        qr.MAX_LINE,
        qrf.line_samples(),
        tokens,
        check,
        seed=23,
        frames=frames,
    )
    assert delivered > frames // 2


def test_reader_decoders_are_in_the_fuzz_registry() -> None:
    names = {c.name for c in CODECS}
    assert {
        "magstripe.serial",
        "magstripe.serial-lrc",
        "magstripe.wedge",
        "idcard.response",
        "idcard.command",
        "qrscan.line",
    } <= names


def test_reader_samples_decode_and_hash_cleanly() -> None:
    mine = [c for c in CODECS if c.name.split(".")[0] in ("magstripe", "idcard", "qrscan")]
    assert len(mine) == 6
    for codec in mine:
        for frame in codec.sample_frames():
            codec.make_decoder()(frame)  # a good sample must not be rejected
