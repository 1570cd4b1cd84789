"""ISO 7813 track parsing: golden lines, LRC, resync, round trips, the wedge."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from drivers.magstripe.codec import (
    MAX_LINE,
    BadSwipe,
    Decoder,
    Swipe,
    Track1,
    Track2,
    encode_swipe,
    encode_track1,
    encode_track2,
    lrc_track1,
    lrc_track2,
    parse_line,
)
from drivers.magstripe.wedge import (
    KEY_DOWN,
    KEY_LEFTSHIFT,
    KEY_UP,
    KeyEvent,
    WedgeParser,
    encode_keys,
)
from tests.drivers.identity.conftest import Synthetic

PAN = "9999990000000006"  # synthetic: test prefix, Luhn-valid
T1 = f"B{PAN}^CUSTOMER/TEST^3012201000000"
T2 = f"{PAN}=3012201000000"
GOLDEN = f"%{T1}?;{T2}?\r".encode()


def test_golden_two_track_line() -> None:
    (msg,) = Decoder().feed(GOLDEN)
    assert msg == Swipe(
        Track1(PAN, "CUSTOMER/TEST", "3012", "201", "000000"),
        Track2(PAN, "3012", "201", "000000"),
    )
    assert msg.pan == PAN


def test_encode_matches_the_golden_line() -> None:
    assert encode_track1(PAN, "CUSTOMER/TEST", "3012", "201", "000000") == T1
    assert encode_track2(PAN, "3012", "201", "000000") == T2
    assert encode_swipe(T1, T2) == GOLDEN


def test_lrc_known_values() -> None:
    # Track 2: XOR of (char - 0x30) over ";1=?" = 0xB ^ 0x1 ^ 0xD ^ 0xF = 0x8 -> "8"
    assert lrc_track2(";1=?") == "8"
    # Track 1: XOR of (char - 0x20) over "%B?" = 0x05 ^ 0x22 ^ 0x1F = 0x38 -> "X"
    assert lrc_track1("%B?") == "X"
    line = encode_swipe(T1, T2, lrc=True)
    assert line == f"%{T1}?{lrc_track1(f'%{T1}?')};{T2}?{lrc_track2(f';{T2}?')}\r".encode()
    assert isinstance(Decoder(lrc=True).feed(line)[0], Swipe)


def test_wrong_lrc_spoils_only_that_track() -> None:
    good = encode_swipe(T1, T2, lrc=True).decode("latin-1")
    i = good.index("?") + 1  # the track 1 LRC character
    bad = good[:i] + chr(ord(good[i]) ^ 1) + good[i + 1 :]
    (msg,) = Decoder(lrc=True).feed(bad.encode("latin-1"))
    assert isinstance(msg, Swipe)
    assert msg.track1 is None and msg.track2 is not None
    assert msg.problems == ("track1:lrc",)


def test_one_track_is_enough_and_track2_wins() -> None:
    assert Decoder().feed(f";{T2}?\n".encode())[0] == Swipe(
        None, Track2(PAN, "3012", "201", "000000")
    )
    (only1,) = Decoder().feed(f"%{T1}?\r\n".encode())
    assert isinstance(only1, Swipe) and only1.pan == PAN


def test_reader_error_markers_and_mismatch() -> None:
    assert Decoder().feed(b"%E?;E?\r") == [BadSwipe("track1:unreadable,track2:unreadable")]
    (msg,) = Decoder().feed(f"%E?;{T2}?\r".encode())
    assert isinstance(msg, Swipe) and msg.problems == ("track1:unreadable",)
    other = T2.replace("0006", "0014")
    assert Decoder().feed(f"%{T1}?;{other}?\r".encode()) == [BadSwipe("pan-mismatch")]


def test_malformed_tracks_give_reasons_not_exceptions() -> None:
    cases = {
        b";=3012201?\r": "track2:pan",
        b";12345?\r": "track2:separator",
        b";1234=30?\r": "track2:expiry",
        b";1234=3012X1?\r": "track2:charset-or-length",
        b"%A1234^NAME^3012201?\r": "track1:format-code",
        b"%B1234^N^3012201?\r": "track1:name",
        b"%B1234^NAME^301?\r": "track1:expiry",
        b";" + b"1" * 45 + b"=3012201?\r": "track2:charset-or-length",
        b"%B1234^NAME^3012201\r": "no-end-sentinel",
        b";1=3012201?x\r": "framing",
        b";1=3012201?;1=3012201?\r": "repeated-track",
    }
    for line, reason in cases.items():
        assert Decoder().feed(line) == [BadSwipe(reason)], line


def test_absent_expiry_and_service_code_use_the_separator() -> None:
    (msg,) = Decoder().feed(f";{PAN}===?\r".encode())
    assert msg == Swipe(None, Track2(PAN, "", "", ""))
    assert encode_track2(PAN) == f"{PAN}==="
    assert encode_track1(PAN, "AB") == f"B{PAN}^AB^^^"


def test_any_chunking_gives_the_same_swipes() -> None:
    stream = b"noise\r" + GOLDEN + b"\n" + GOLDEN
    for size in (1, 2, 3, 7, 64):
        d = Decoder()
        out = []
        for i in range(0, len(stream), size):
            out += d.feed(stream[i : i + size])
        assert [m.pan for m in out if isinstance(m, Swipe)] == [PAN, PAN]


def test_garbage_prefix_and_overflow_resync() -> None:
    d = Decoder()
    assert d.feed(b"\x00\xff" + GOLDEN)[0] == Decoder().feed(GOLDEN)[0]
    # endless noise without a line end is cut back and does not hide the next swipe
    assert d.feed(b"\x01" * (MAX_LINE * 4)) == []
    assert d.pending <= MAX_LINE
    (msg,) = d.feed(GOLDEN)
    assert isinstance(msg, BadSwipe) or msg.pan == PAN
    assert d.feed(GOLDEN)[0].pan == PAN  # type: ignore[union-attr]
    assert d.dropped >= MAX_LINE * 3


def test_noise_line_without_sentinel_is_dropped_silently() -> None:
    assert parse_line(b"hello") is None
    assert Decoder().feed(b"hello\r\n\r\n") == []


_NAME = st.text(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ /.-"), min_size=2, max_size=26)
_DIGITS = st.text(st.sampled_from("0123456789"), min_size=0, max_size=8)


@given(
    pan_len=st.integers(12, 19),
    seed=st.integers(0, 2**32),
    name=_NAME.filter(lambda s: "^" not in s),
    expiry=st.sampled_from(["", "2901", "3012"]),
    service=st.sampled_from(["", "101", "201"]),
    disc=_DIGITS,
    lrc=st.booleans(),
    tracks=st.sampled_from(["1", "2", "12"]),
)
def test_round_trip(
    pan_len: int, seed: int, name: str, expiry: str, service: str, disc: str, lrc: bool, tracks: str
) -> None:
    pan = Synthetic(seed).pan(pan_len)
    t1 = encode_track1(pan, name, expiry, service, disc) if "1" in tracks else None
    t2 = (
        encode_track2(pan, expiry, service, disc[: 40 - 6 - len(pan) - 7])
        if "2" in tracks
        else None
    )
    (msg,) = Decoder(lrc=lrc).feed(encode_swipe(t1, t2, lrc=lrc))
    assert isinstance(msg, Swipe), msg
    assert msg.pan == pan and msg.problems == ()
    if t1 is not None:
        assert msg.track1 == Track1(pan, name, expiry, service, disc)
    if t2 is not None:
        assert msg.track2 is not None and msg.track2.expiry == expiry


def test_repr_hides_number_name_and_discretionary_data() -> None:
    (msg,) = Decoder().feed(GOLDEN)
    text = repr(msg)
    assert PAN not in text and "CUSTOMER" not in text and "000000" not in text
    assert "3012" in text


# -- keyboard wedge ------------------------------------------------------


def test_wedge_types_the_same_line() -> None:
    events = encode_keys(GOLDEN.decode())
    (msg,) = WedgeParser().feed(events)
    assert msg == Decoder().feed(GOLDEN)[0]


def test_wedge_shift_state_follows_both_shift_keys_and_caps() -> None:
    # "%" is shift+5 and "?" shift+/; letters come out upper case even unshifted
    ev = [KeyEvent(54, KEY_DOWN), KeyEvent(6, KEY_DOWN), KeyEvent(6, KEY_UP), KeyEvent(54, KEY_UP)]
    ev += [KeyEvent(48, KEY_DOWN), KeyEvent(48, KEY_UP)]  # b -> B
    ev += encode_keys(f"{PAN}^AB^3012201?")[:]
    ev += [KeyEvent(28, KEY_DOWN)]
    (msg,) = WedgeParser().feed(ev)
    assert isinstance(msg, Swipe) and msg.track1 is not None and msg.track1.name == "AB"


def test_wedge_split_across_feeds_and_autorepeat_ignored() -> None:
    events = encode_keys(GOLDEN.decode())
    p = WedgeParser()
    out = []
    for i in range(0, len(events), 5):
        out += p.feed([*events[i : i + 5], KeyEvent(2, 2)])  # autorepeat types nothing
    assert len(out) == 1 and isinstance(out[0], Swipe)


def test_wedge_unknown_key_poisons_the_line() -> None:
    events = encode_keys(f";{T2}?")
    events[5:5] = [KeyEvent(59, KEY_DOWN)]  # F1 in the middle of the digits
    events += encode_keys("\r")
    (msg,) = WedgeParser().feed(events)
    assert isinstance(msg, BadSwipe)


def test_wedge_shift_release_without_press_does_not_go_negative() -> None:
    p = WedgeParser()
    p.feed([KeyEvent(KEY_LEFTSHIFT, KEY_UP)])
    assert p.feed(encode_keys(";" + T2 + "?\r"))[0].pan == PAN  # type: ignore[union-attr]


@given(st.text(st.sampled_from(";=?%^/ .-0123456789ABCXYZ"), max_size=60))
def test_wedge_round_trips_typed_text(text: str) -> None:
    line = (text + "\r").encode()
    assert WedgeParser().feed(encode_keys(text + "\r")) == Decoder().feed(line)


def test_wedge_lost_shift_release_does_not_outlive_the_line() -> None:
    p = WedgeParser()
    p.feed([KeyEvent(KEY_LEFTSHIFT, KEY_DOWN), KeyEvent(KEY_LEFTSHIFT, KEY_DOWN)])
    assert isinstance(p.feed(encode_keys("\r")), list)  # Enter ends the line and the shift
    assert p.feed(encode_keys(";" + T2 + "?\r"))[0].pan == PAN  # type: ignore[union-attr]
