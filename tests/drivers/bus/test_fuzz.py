"""Every registered decoder survives 100,000 random and mutated frames.

"Survives" means: it returns, or raises ``DriverError``; nothing else, no hang
(pytest-timeout bounds the run). The million-frame campaign is ``-m soak``
and ``bench/drivers.py``.
"""

from __future__ import annotations

import pytest

from drivers.fuzzregistry import CODECS, Decoder, FuzzCodec, fuzz, mutate

FRAMES = 100_000


@pytest.mark.parametrize("codec", CODECS, ids=lambda c: c.name)
def test_decoder_survives_fuzz(codec: FuzzCodec) -> None:
    result = fuzz(codec, FRAMES, seed=1)
    assert result.frames == FRAMES
    assert result.failures == []


@pytest.mark.parametrize("codec", CODECS, ids=lambda c: c.name)
def test_samples_decode_cleanly(codec: FuzzCodec) -> None:
    samples = list(codec.sample_frames())
    assert samples, "a codec must give sample frames to mutate"
    for frame in samples:
        codec.make_decoder()(frame)  # good frames must not be rejected


def test_fuzz_catches_a_non_driver_error() -> None:
    def crashing() -> Decoder:
        def decode(data: bytes) -> object:
            return data[10]  # IndexError on short input: a real decoder bug

        return decode

    result = fuzz(FuzzCodec("broken", crashing, lambda: [b"\x00" * 12]), 200)
    assert result.failures and "IndexError" in result.failures[0]


def test_mutate_changes_frames() -> None:
    import random

    rng = random.Random(3)
    frame = bytes(range(20))
    assert sum(mutate(frame, rng) != frame for _ in range(100)) > 80


@pytest.mark.soak
@pytest.mark.timeout(1200)
@pytest.mark.parametrize("codec", CODECS, ids=lambda c: c.name)
def test_decoder_survives_a_million(codec: FuzzCodec) -> None:
    assert fuzz(codec, 1_000_000, seed=7).failures == []
