"""Decoders and sample frames of the ID-card reader codec, for ``drivers.fuzzregistry``.

The host-side decoder goes on past framing: every READ_BASE answer is parsed
into its text fields and the ID number checked and hashed, as the reader
does. The simulator-side decoder reads host commands.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from drivers.idcard.codec import (
    PHOTO_LEN,
    CommandDecoder,
    Op,
    Response,
    ResponseDecoder,
    Status,
    encode_base_data,
    encode_command,
    encode_response,
    encode_text,
    parse_base_data,
)
from drivers.identity import IdentityHasher

_HASHER = IdentityHasher(b"fuzzing-only-secret-not-a-branch")
_SYNTHETIC_ID = "99999919000101001"  # region 999999, born 1900: not a person


def response_decoder() -> Callable[[bytes], None]:
    decoder = ResponseDecoder()

    def decode(data: bytes) -> None:
        for msg in decoder.feed(data):
            if isinstance(msg, Response) and msg.sw3 == Status.OK and len(msg.data) > 8:
                info = parse_base_data(msg.data)
                _HASHER.id_card(info.id_number, info.name)

    return decode


def response_samples() -> Sequence[bytes]:
    from drivers.identity import id_check_char

    number = _SYNTHETIC_ID + id_check_char(_SYNTHETIC_ID)
    text = encode_text(
        name="测试",
        sex="1",
        nation="01",
        birth="19000101",
        address="测试路1号",
        id_number=number,
        authority="测试局",
        valid_from="20200101",
        valid_to="长期",
    )
    return [
        encode_response(Status.CARD_FOUND, bytes(4)),
        encode_response(Status.OK, bytes(8)),
        encode_response(Status.FIND_FAILED),
        encode_response(Status.READ_FAILED, sw1=0x6A, sw2=0x82),
        encode_response(Status.OK, encode_base_data(text, bytes(PHOTO_LEN))),
    ]


def command_decoder() -> Callable[[bytes], object]:
    return CommandDecoder().feed


def command_samples() -> Sequence[bytes]:
    return [encode_command(op) for op in Op]
