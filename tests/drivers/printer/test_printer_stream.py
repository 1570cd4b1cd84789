"""The ESC/POS stream parser: golden operations, chunking, resync, fuzzing."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.fuzzregistry import CODECS, fuzz
from drivers.printer.profiles import PROFILES
from drivers.printer.stream import MAX_COMMAND_BYTES, Op, StreamParser, parse, status_queries
from drivers.printer.ticket import render_ticket
from tests.drivers.printer.conftest import make_ticket

GOLDEN_OPS = [
    (b"\x1b@", "init", 0),
    (b"\x1bt\x02", "codepage", 2),
    (b"\x1ba\x01", "align", 1),
    (b"\x1bE\x01", "bold", 1),
    (b"\x1d!\x33", "size", 0x33),
    (b"\x1c&", "chinese_on", 0),
    (b"\x1c.", "chinese_off", 0),
    (b"\x10\x04\x04", "status_query", 4),
    (b"\x1bd\x06", "feed_lines", 6),
    (b"\x1dV\x01", "cut", 1),
    (b"\x1dVB\x00", "cut", 66),
    (b"\x1d(k\x03\x001C\x06", "code2d", ord("k")),
    (b"\x1dv0\x00\x01\x00\x02\x00\xf0\x0f", "raster", 0),
    (b"\n", "lf", 10),
]


@pytest.mark.parametrize(("raw", "name", "arg"), GOLDEN_OPS)
def test_golden_commands(raw: bytes, name: str, arg: int) -> None:
    ops = parse(raw)
    assert len(ops) == 1
    assert (ops[0].name, ops[0].arg, ops[0].raw) == (name, arg, raw)


def test_text_runs_and_raster_payload() -> None:
    ops = parse(b"AB\x1dv0\x00\x01\x00\x02\x00\xf0\x0fCD")
    assert [op.name for op in ops] == ["text", "raster", "text"]
    assert ops[1].data == b"\xf0\x0f"


def test_dle_eot_inside_raster_data_is_not_a_status_query() -> None:
    image = b"\x1dv0\x00\x03\x00\x01\x00" + b"\x10\x04\x01"
    assert status_queries(parse(image)) == []
    assert status_queries(parse(image + b"\x10\x04\x01")) == [1]


def test_oversized_raster_header_is_invalid_not_a_hang() -> None:
    xbytes = rows = 0xFFFF
    assert xbytes * rows > MAX_COMMAND_BYTES
    ops = parse(b"\x1dv0\x00\xff\xff\xff\xff\x10\x04\x01")
    assert ops[0].name == "invalid"
    assert status_queries(ops) == [1]


def test_unknown_escape_resyncs_one_byte_later() -> None:
    ops = parse(b"\x1b\xfe\x10\x04\x02")
    assert [op.name for op in ops] == ["invalid", "text", "status_query"]


def test_incomplete_command_waits_for_the_rest() -> None:
    p = StreamParser()
    assert p.feed(b"\x1dv0\x00\x01\x00\x02") == []
    assert p.pending == 7
    ops = p.feed(b"\x00\xaa\xbb")
    assert [op.name for op in ops] == ["raster"]
    assert p.pending == 0


def test_truncated_stream_ends_as_invalid_bytes() -> None:
    ops = parse(b"\x1d(k\x10\x00ab")
    assert ops[0].name == "invalid"
    assert "".join(op.name for op in ops).count("invalid") >= 1


@settings(max_examples=60, deadline=None)
@given(cuts=st.lists(st.integers(min_value=0, max_value=600), max_size=8))
def test_any_chunking_gives_the_same_operations(cuts: list[int]) -> None:
    data = render_ticket(make_ticket(), PROFILES["cn80"])
    whole = parse(data)
    p = StreamParser()
    ops: list[Op] = []
    prev = 0
    for cut in [*sorted(c % (len(data) + 1) for c in cuts), len(data)]:
        ops += p.feed(data[prev:cut])
        prev = cut
    ops += p.finish()

    def norm(seq: list[Op]) -> tuple[bytes, list[str]]:
        # text runs may split differently across chunks; everything else must match
        return b"".join(o.raw for o in seq), [o.name for o in seq if o.name != "text"]

    assert norm(ops) == norm(whole)


def test_every_printer_decoder_survives_100k_mutated_frames() -> None:
    codecs = [c for c in CODECS if c.name.startswith("printer.")]
    assert {c.name for c in codecs} == {"printer.status", "printer.stream"}
    for codec in codecs:
        result = fuzz(codec, 100_000, seed=1234)
        assert result.frames == 100_000
        assert result.failures == [], result.failures[:3]


def test_random_streams_round_trip_bytes() -> None:
    rng = random.Random(99)
    for _ in range(300):
        data = rng.randbytes(rng.randint(0, 300))
        assert b"".join(op.raw for op in parse(data)) == data


@pytest.mark.soak
def test_printer_decoders_survive_a_million_mutated_frames() -> None:
    for codec in CODECS:
        if codec.name.startswith("printer."):
            result = fuzz(codec, 1_000_000, seed=20261123)
            assert result.failures == [], result.failures[:3]
