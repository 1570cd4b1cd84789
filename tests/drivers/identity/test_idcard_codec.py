"""The resident ID card reader frame protocol: golden frames, resync, text block."""

from __future__ import annotations

import functools
import operator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.errors import FrameError
from drivers.idcard.codec import (
    MAX_LEN,
    PHOTO_LEN,
    TEXT_FIELDS,
    TEXT_LEN,
    BadFrame,
    Command,
    CommandDecoder,
    InfoError,
    Op,
    Response,
    ResponseDecoder,
    Status,
    describe,
    encode_base_data,
    encode_command,
    encode_response,
    encode_text,
    parse_base_data,
    parse_text,
    xor8,
)
from tests.drivers.identity.conftest import Synthetic

H = bytes.fromhex

# Command frames and short answers as published for these readers.
GOLDEN_COMMANDS = {
    Op.FIND_CARD: H("AAAAAA96690003200122"),
    Op.SELECT_CARD: H("AAAAAA96690003200221"),
    Op.READ_BASE: H("AAAAAA96690003300132"),
    Op.READ_BASE_FP: H("AAAAAA96690003301023"),
    Op.SAM_STATUS: H("AAAAAA96690003 11FF ED".replace(" ", "")),
}
FOUND = H("AAAAAA966900080000 9F 00000000 97".replace(" ", ""))
SELECTED = H("AAAAAA9669000C000090" + "00" * 8 + "9C")
NOT_FOUND = H("AAAAAA96690004000080 84".replace(" ", ""))


def _text(synth: Synthetic, **over: str) -> bytes:
    fields = dict(
        name="张三",
        sex="1",
        nation="01",
        birth="19000101",
        address="测试市测试路1号",
        id_number=synth.id_number(),
        authority="测试市公安局",
        valid_from="20200101",
        valid_to="长期",
    )
    fields.update(over)
    return encode_text(**fields)


@pytest.mark.parametrize(("op", "frame"), GOLDEN_COMMANDS.items())
def test_command_golden_frames(op: Op, frame: bytes) -> None:
    assert encode_command(op) == frame
    assert CommandDecoder().feed(frame) == [Command(op.cmd, op.para)]


def test_response_golden_frames() -> None:
    assert encode_response(Status.CARD_FOUND, bytes(4)) == FOUND
    assert encode_response(Status.OK, bytes(8)) == SELECTED
    assert encode_response(Status.FIND_FAILED) == NOT_FOUND
    d = ResponseDecoder()
    assert d.feed(FOUND + SELECTED + NOT_FOUND) == [
        Response(0, 0, 0x9F, bytes(4)),
        Response(0, 0, 0x90, bytes(8)),
        Response(0, 0, 0x80),
    ]


def test_read_base_answer_is_1295_bytes(synth: Synthetic) -> None:
    data = encode_base_data(_text(synth), bytes(PHOTO_LEN))
    frame = encode_response(Status.OK, data)
    assert len(frame) == 1295
    assert frame[5:7] == H("0508")  # LEN = 3 status + 4 lengths + 256 + 1024 + 1 checksum
    assert frame[7:14] == H("00009001000400")


def test_checksum_is_xor_after_the_preamble() -> None:
    for frame in (*GOLDEN_COMMANDS.values(), FOUND, SELECTED):
        assert frame[-1] == functools.reduce(operator.xor, frame[5:-1], 0)
    assert xor8(b"") == 0 and xor8(b"\x01\x02\x04") == 7


@given(st.binary(max_size=3000))
def test_xor8_equals_the_plain_fold(data: bytes) -> None:
    assert xor8(data) == functools.reduce(operator.xor, data, 0)


def test_text_block_layout_offsets(synth: Synthetic) -> None:
    number = synth.id_number()
    block = _text(synth, id_number=number)
    assert len(block) == TEXT_LEN
    assert block[0:4] == "张三".encode("utf-16-le") and block[4:30] == b" \x00" * 13
    assert block[30:32] == "1".encode("utf-16-le")
    offset = sum(n for f, n in TEXT_FIELDS[: [f for f, _ in TEXT_FIELDS].index("id_number")])
    assert offset == 122
    assert block[122:158] == number.encode("utf-16-le")
    fields = parse_text(block)
    assert fields["valid_to"] == "长期" and fields["reserved"] == ""


def test_base_info_parses_and_hides_personal_fields(synth: Synthetic) -> None:
    number = synth.id_number()
    info = parse_base_data(encode_base_data(_text(synth, id_number=number), bytes(PHOTO_LEN)))
    assert (info.name, info.id_number, info.sex, info.photo_len) == ("张三", number, "1", PHOTO_LEN)
    text = repr(info)
    assert number not in text and "张" not in text and "测试" not in text


def test_base_info_errors_are_frame_errors(synth: Synthetic) -> None:
    good = encode_base_data(_text(synth), bytes(PHOTO_LEN))
    for bad, reason in (
        (good[:3], "short"),
        (good[:-1], "data-length"),
        (H("0101") + good[2:], "text-length"),
    ):
        with pytest.raises(InfoError) as info:
            parse_base_data(bad)
        assert isinstance(info.value, FrameError) and info.value.reason == reason


def test_fields_longer_than_their_slot_are_refused(synth: Synthetic) -> None:
    with pytest.raises(ValueError, match="name"):
        _text(synth, name="一" * 16)


def test_resync_after_garbage_bad_checksum_and_bad_length() -> None:
    bad_sum = FOUND[:-1] + bytes([FOUND[-1] ^ 0xFF])
    bad_len = H("AAAAAA96690000")
    stream = b"\x00\xaa\xaa" + bad_sum + bad_len + b"\xaa\xaa\xaa\x96" + FOUND
    out = ResponseDecoder().feed(stream)
    assert out[-1] == Response(0, 0, 0x9F, bytes(4))
    assert BadFrame("checksum") in out and BadFrame("length") in out


def test_length_above_max_is_noise_and_split_preamble_is_kept() -> None:
    d = ResponseDecoder()
    too_long = H("AAAAAA9669") + (MAX_LEN + 1).to_bytes(2, "big")
    assert d.feed(too_long) == [BadFrame("length")]
    assert d.feed(FOUND[:3]) == []
    assert d.feed(FOUND[3:]) == [Response(0, 0, 0x9F, bytes(4))]


def test_describe_says_nothing_personal(synth: Synthetic) -> None:
    number = synth.id_number()
    data = encode_base_data(_text(synth, id_number=number), bytes(PHOTO_LEN))
    (resp,) = ResponseDecoder().feed(encode_response(Status.OK, data))
    assert describe(resp) == "resp OK data[1284]"
    assert describe(Command(0x20, 0x01)) == "cmd FIND_CARD"
    assert describe(Command(0x77, 0x01)) == "cmd 77 01"
    assert describe(BadFrame("checksum")) == "bad frame: checksum"


@given(
    sw=st.tuples(st.integers(0, 255), st.integers(0, 255), st.integers(0, 255)),
    data=st.binary(max_size=1400),
    cuts=st.lists(st.integers(1, 200), max_size=8),
)
def test_response_round_trip_any_chunking(
    sw: tuple[int, int, int], data: bytes, cuts: list[int]
) -> None:
    frame = encode_response(sw[2], data, sw1=sw[0], sw2=sw[1])
    d, out, pos = ResponseDecoder(), [], 0
    for c in cuts:
        out += d.feed(frame[pos : pos + c])
        pos += c
    out += d.feed(frame[pos:])
    assert out == [Response(sw[0], sw[1], sw[2], data)]


@given(st.integers(0, 255), st.integers(0, 255), st.binary(max_size=64))
def test_command_round_trip(cmd: int, para: int, data: bytes) -> None:
    assert CommandDecoder().feed(encode_command((cmd, para), data)) == [Command(cmd, para, data)]


_CHARS = st.characters(
    min_codepoint=0x21, max_codepoint=0xFFFF, categories=("L", "M", "N", "P", "S")
)


@given(
    name=st.text(_CHARS, min_size=1, max_size=15),
    address=st.text(_CHARS, max_size=35),
    seed=st.integers(0, 2**32),
)
def test_text_round_trip(name: str, address: str, seed: int) -> None:
    synth = Synthetic(seed)
    number = synth.id_number()
    info = parse_base_data(
        encode_base_data(_text(synth, name=name, address=address, id_number=number), b"WL")
    )
    assert (info.name, info.address, info.id_number) == (name, address, number)
