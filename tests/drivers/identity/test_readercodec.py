"""The line splitter and XOR fold the reader codecs share."""

from __future__ import annotations

import functools
import operator

from hypothesis import given
from hypothesis import strategies as st

from drivers.readercodec import take_lines, xor_fold


def test_whole_lines_leave_the_buffer_and_the_rest_waits() -> None:
    buf = bytearray(b"one\r\ntwo\rthr")
    assert take_lines(buf) == [b"one", b"", b"two"]
    assert buf == bytearray(b"thr")
    buf += b"ee\n"
    assert take_lines(buf) == [b"three"]
    assert buf == bytearray()
    assert take_lines(buf) == []


@given(st.lists(st.binary().map(lambda b: b.replace(b"\r", b"").replace(b"\n", b""))))
def test_lines_come_back_as_sent(lines: list[bytes]) -> None:
    buf = bytearray(b"".join(line + b"\n" for line in lines))
    assert take_lines(buf) == lines
    assert buf == bytearray()


@given(st.binary(max_size=600))
def test_xor_fold_equals_the_plain_fold(data: bytes) -> None:
    assert xor_fold(data) == functools.reduce(operator.xor, data, 0)
