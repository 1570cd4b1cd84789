"""DLE EOT status decoding: golden answers per state, round-trips, bad input."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.errors import FrameError
from drivers.printer.status import (
    QUERY_ALL,
    PrinterStatus,
    decode_status,
    encode_status,
    is_answer,
)

# (state, the four answer bytes a printer sends, expected decode)
GOLDEN = [
    ("ready", bytes([0x12, 0x12, 0x12, 0x12]), (True, "ok", False, False)),
    ("paper near end", bytes([0x12, 0x12, 0x12, 0x1E]), (True, "near_end", False, False)),
    ("paper out", bytes([0x1A, 0x32, 0x12, 0x7E]), (False, "out", False, False)),
    ("cover open", bytes([0x1A, 0x16, 0x12, 0x12]), (False, "ok", True, False)),
    ("autocutter error", bytes([0x1A, 0x52, 0x1A, 0x12]), (False, "ok", False, True)),
    ("unrecoverable error", bytes([0x1A, 0x52, 0x32, 0x12]), (False, "ok", False, True)),
    ("plain offline", bytes([0x1A, 0x12, 0x12, 0x12]), (False, "ok", False, False)),
]


@pytest.mark.parametrize(("state", "answer", "expected"), GOLDEN, ids=[g[0] for g in GOLDEN])
def test_golden_answers_decode(state: str, answer: bytes, expected: tuple[object, ...]) -> None:
    st_ = decode_status(answer)
    assert (st_.online, st_.paper, st_.cover_open, st_.error) == expected
    assert st_.ready is (state in ("ready", "paper near end"))


def test_golden_answers_are_what_the_simulator_encodes() -> None:
    assert encode_status() == GOLDEN[0][1]
    assert encode_status(paper="near_end") == GOLDEN[1][1]
    assert encode_status(paper="out") == GOLDEN[2][1]
    assert encode_status(cover_open=True) == GOLDEN[3][1]
    assert encode_status(cutter_error=True) == GOLDEN[4][1]
    assert encode_status(unrecoverable=True) == GOLDEN[5][1]
    assert encode_status(online=False) == GOLDEN[6][1]


def test_query_is_the_four_dle_eot_commands_in_order() -> None:
    assert QUERY_ALL == b"\x10\x04\x01\x10\x04\x02\x10\x04\x03\x10\x04\x04"


def test_details_name_each_fault() -> None:
    st_ = decode_status(encode_status(paper="out", cover_open=True, cutter_error=True))
    assert "paper end" in st_.detail
    assert "cover open" in st_.detail
    assert "autocutter error" in st_.detail


def test_silent_printer_is_offline_never_paper_ok() -> None:
    st_ = PrinterStatus.silent()
    assert st_.online is False
    assert st_.paper == "unknown"
    assert not st_.ready


@pytest.mark.parametrize("data", [b"", b"\x12\x12\x12", b"\x12" * 5])
def test_wrong_length_is_a_frame_error(data: bytes) -> None:
    with pytest.raises(FrameError) as info:
        decode_status(data)
    assert info.value.reason == "length"


@pytest.mark.parametrize("bad", [0x00, 0x13, 0x92, 0xFF, 0x10, 0x02])
def test_fixed_bits_wrong_is_a_frame_error(bad: int) -> None:
    with pytest.raises(FrameError) as info:
        decode_status(bytes([0x12, bad, 0x12, 0x12]))
    assert info.value.reason == "fixed_bits"


@given(
    online=st.booleans(),
    paper=st.sampled_from(["ok", "near_end", "out"]),
    cover=st.booleans(),
    cutter=st.booleans(),
    fatal=st.booleans(),
)
def test_encode_decode_round_trip(
    online: bool, paper: str, cover: bool, cutter: bool, fatal: bool
) -> None:
    data = encode_status(
        online=online,
        paper=paper,  # type: ignore[arg-type]
        cover_open=cover,
        cutter_error=cutter,
        unrecoverable=fatal,
    )
    assert all(is_answer(b) for b in data)
    got = decode_status(data)
    assert got.paper == paper
    assert got.cover_open is cover
    assert got.error is (cutter or fatal)
    assert got.online is (online and paper != "out" and not cover and not cutter and not fatal)


@given(st.binary(min_size=4, max_size=4))
def test_any_four_bytes_decode_or_raise_frame_error(data: bytes) -> None:
    try:
        got = decode_status(data)
    except FrameError:
        assert not all(is_answer(b) for b in data)
    else:
        assert got.paper in ("ok", "near_end", "out")
