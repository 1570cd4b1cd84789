"""The ID reader's polling round as event scripts, without a port."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from drivers.idcard.codec import (
    PHOTO_LEN,
    Op,
    Response,
    Status,
    encode_base_data,
    encode_text,
)
from drivers.idcard.session import (
    Deliver,
    Effect,
    Health,
    Reject,
    Send,
    Session,
    answer,
    start,
    timeout,
)
from drivers.identity import IdentityHasher
from tests.drivers.identity.conftest import Synthetic

FOUND = Response(0, 0, Status.CARD_FOUND, bytes(4))
EMPTY = Response(0, 0, Status.FIND_FAILED)
OK8 = Response(0, 0, Status.OK, bytes(8))


def _read(number: str, name: str = "张三") -> Response:
    text = encode_text(
        name=name,
        sex="2",
        nation="01",
        birth="19000101",
        address="测试路1号",
        id_number=number,
        authority="测试局",
        valid_from="20200101",
        valid_to="20400101",
    )
    return Response(0, 0, Status.OK, encode_base_data(text, bytes(PHOTO_LEN)))


def _round(
    s: Session, answers: list[Response], hasher: IdentityHasher
) -> tuple[Session, list[Effect]]:
    s, effects = start(s)
    seen = list(effects)
    for resp in answers:
        s, effects = answer(s, resp, hasher)
        seen += effects
    return s, seen


def test_full_round_delivers_once_per_presentation(
    hasher: IdentityHasher, synth: Synthetic
) -> None:
    number = synth.id_number()
    s, effects = _round(Session(), [FOUND, OK8, _read(number)], hasher)
    assert effects == [
        Send(Op.FIND_CARD),
        Health(True, "responding"),
        Send(Op.SELECT_CARD),
        Send(Op.READ_BASE),
        Deliver(hasher.id_card(number, "张三")),
    ]
    assert s.waiting is None
    s, effects = _round(s, [FOUND, OK8, _read(number)], hasher)  # still on the reader
    assert not any(isinstance(e, Deliver) for e in effects)
    s, effects = _round(s, [EMPTY], hasher)  # lifted
    assert effects == [Send(Op.FIND_CARD), Health(True, "responding")]
    s, effects = _round(s, [FOUND, OK8, _read(number)], hasher)  # placed again
    assert effects[-1] == Deliver(hasher.id_card(number, "张三"))


def test_card_moved_off_between_find_and_select(hasher: IdentityHasher) -> None:
    s, effects = _round(Session(), [FOUND, Response(0, 0, Status.SELECT_FAILED)], hasher)
    assert effects[-1] == Send(Op.SELECT_CARD) and s.waiting is None


def test_bad_reads_are_rejected_once(hasher: IdentityHasher, synth: Synthetic) -> None:
    failed = Response(0x6A, 0x82, Status.READ_FAILED)
    s, effects = _round(Session(), [FOUND, OK8, failed], hasher)
    assert effects[-1] == Reject("read-failed: READ_FAILED")
    s, effects = _round(s, [FOUND, OK8, failed], hasher)
    assert not any(isinstance(e, Reject) for e in effects)
    good = synth.id_number()
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    s, effects = _round(s, [FOUND, OK8, _read(wrong)], hasher)
    (reject,) = [e for e in effects if isinstance(e, Reject)]
    assert reject.reason.startswith("invalid-card:") and good[:17] not in reject.reason
    s, effects = _round(s, [FOUND, OK8, Response(0, 0, Status.OK, b"\x01\x00")], hasher)
    assert effects[-1] == Reject("invalid-card: short")


def test_faults_and_timeouts(hasher: IdentityHasher) -> None:
    s, effects = _round(Session(), [Response(0, 0, Status.SELF_TEST_FAILED)], hasher)
    assert effects[-1] == Health(False, "reader fault: SELF_TEST_FAILED")
    s, effects = _round(s, [Response(0, 0, 0x77)], hasher)  # an unknown status: no card
    assert effects[-1] == Health(True, "responding")
    s, _ = start(s)
    s, effects = timeout(s)
    assert effects == [Health(False, "not responding")] and s.waiting is None
    assert answer(s, FOUND, hasher) == (s, [])  # a late answer nobody waits for


_ANSWERS = st.one_of(
    st.sampled_from([FOUND, EMPTY, OK8, Response(0, 0, Status.SELF_TEST_FAILED), None]),
    st.builds(
        Response,
        st.integers(0, 255),
        st.integers(0, 255),
        st.sampled_from([*Status, 0x00, 0xFF]),
        st.binary(max_size=1400),
    ),
)


@given(st.lists(st.one_of(st.just("start"), _ANSWERS), max_size=40))
def test_any_event_script_is_handled(script: list[object]) -> None:
    """Random answers, timeouts (None) and round starts never raise or go astray."""
    hasher = IdentityHasher(bytes(32))
    s = Session()
    for event in script:
        if event == "start":
            s, effects = start(s)
        elif event is None:
            s, effects = timeout(s)
        else:
            assert isinstance(event, Response)
            s, effects = answer(s, event, hasher)
        assert s.waiting in (None, Op.FIND_CARD, Op.SELECT_CARD, Op.READ_BASE)
        assert sum(isinstance(e, Send) for e in effects) <= 1
        assert (s.waiting is None) == (not any(isinstance(e, Send) for e in effects))
