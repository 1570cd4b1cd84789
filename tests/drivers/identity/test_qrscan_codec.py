"""Scanner lines and the appointment reference format."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.qrscan.codec import (
    MAX_LINE,
    BadScan,
    Decoder,
    Scan,
    appointment_ref,
    encode_scan,
    parse_line,
)


def test_golden_lines_with_each_terminator() -> None:
    d = Decoder()
    assert d.feed(b"LQA:APPT-0001\r") == [Scan("LQA:APPT-0001")]
    assert d.feed(b"LQA:APPT-0002\n") == [Scan("LQA:APPT-0002")]
    assert d.feed(b"LQA:APPT-0003\r\n") == [Scan("LQA:APPT-0003")]
    assert encode_scan("LQA:APPT-0003") == b"LQA:APPT-0003\r\n"


def test_bad_lines() -> None:
    assert parse_line(b"\xff\xfe") == BadScan("encoding")
    assert parse_line(b"a\tb") == BadScan("control-characters")
    assert parse_line(b"") is None
    with pytest.raises(ValueError):
        encode_scan("two\nlines")


def test_overflow_is_discarded_up_to_the_line_end() -> None:
    d = Decoder()
    assert d.feed(b"x" * (MAX_LINE + 10)) == []
    assert d.feed(b"still the same line\rLQA:AB12\r") == [BadScan("too-long"), Scan("LQA:AB12")]
    assert d.dropped > MAX_LINE


@pytest.mark.parametrize(
    ("text", "ref"),
    [
        ("LQA:appt-0001", "APPT-0001"),
        ("lqa:AB12", "AB12"),
        ("  APPT_2026_77  ", "APPT_2026_77"),
        ("https://pay.example/qr?x=1", None),
        ("LQA:", None),
        ("AB1", None),
        ("-ABCD", None),
        ("A" * 65, None),
        ("预约123", None),
    ],
)
def test_appointment_ref(text: str, ref: str | None) -> None:
    assert appointment_ref(text) == ref


def test_scan_repr_does_not_show_the_content() -> None:
    assert repr(Scan("LQA:SECRETISH")) == "Scan(<13 chars>)"


_TEXT = st.text(
    st.characters(exclude_categories=("Cc", "Cs", "Zl", "Zp", "Zs", "Cf", "Co", "Cn")),
    min_size=1,
    max_size=300,
)


@given(st.lists(_TEXT, max_size=5), st.sampled_from([b"\r", b"\n", b"\r\n"]), st.integers(1, 50))
def test_round_trip_any_chunking(texts: list[str], term: bytes, size: int) -> None:
    stream = b"".join(encode_scan(t, term) for t in texts)
    d = Decoder()
    out = []
    for i in range(0, len(stream), size):
        out += d.feed(stream[i : i + size])
    assert out == [Scan(t) for t in texts]
