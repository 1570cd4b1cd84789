"""Properties of the counter flow over random event scripts (hypothesis).

The quick run is part of the suite; ``-m soak`` (or ``bench/soak_counter.py``)
runs the same properties over many more scripts.
"""

from __future__ import annotations

import pytest
from flowkit import called, finished, make_state
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from counter.flow import (
    T_BLINK,
    T_ENTRY,
    T_RATING,
    T_THANKS,
    Beep,
    CounterState,
    DeviceChanged,
    Event,
    KeypadText,
    KeyPressed,
    LinkChanged,
    Logged,
    NoReply,
    RatingPressed,
    Replied,
    Send,
    Snapshot,
    StripShow,
    TimerFired,
    WaitAlert,
    step,
)
from drivers.bus.text import ENCODING
from drivers.keypad.codes import Key
from lobbyq.core import events as ce

COMMAND_KEYS = [k for k in Key if k.digit is None and k != Key.CLEAR]
NUMBERS = st.sampled_from(["A001", "B012", "C100", "D999"])


def _counter_event(kind: str, seq: int, counter: str) -> Logged:
    if kind == "counter_paused":
        return Logged(seq, ce.CounterPaused(0.0, counter, "1024", "break"))
    if kind == "counter_opened":
        return Logged(seq, ce.CounterOpened(0.0, counter, "1024"))
    return Logged(seq, ce.TellerLoggedOut(0.0, counter, "1024"))


reply_events = st.lists(
    st.one_of(
        st.builds(called, NUMBERS, st.integers(0, 50)),
        st.builds(finished, NUMBERS, st.integers(0, 50)),
        st.builds(
            _counter_event,
            st.sampled_from(["counter_paused", "counter_opened", "teller_logged_out"]),
            st.integers(0, 50),
            st.sampled_from(["3", "4"]),
        ),
    ),
    max_size=3,
).map(tuple)

# Replies name a command number; small numbers hit the pending one often.
events: st.SearchStrategy[Event] = st.one_of(
    st.builds(KeyPressed, st.sampled_from(list(Key))),
    st.builds(RatingPressed, st.integers(1, 5), st.integers(0, 7)),
    st.builds(
        Replied,
        st.integers(1, 6),
        st.booleans(),
        st.sampled_from([None, "queue_empty", "counter_closed", "weird"]),
        st.none(),
        reply_events,
    ),
    st.builds(NoReply, st.integers(1, 6)),
    st.builds(
        Snapshot,
        st.integers(0, 60),
        st.fixed_dictionaries(
            {
                "status": st.sampled_from(["open", "closed", "paused", "bogus"]),
                "teller": st.sampled_from([None, "1024", ""]),
                "services": st.sampled_from([["C", "D"], [], "bogus"]),
                "current": st.one_of(
                    st.none(), NUMBERS, st.builds(lambda n: {"number": n}, NUMBERS)
                ),
            }
        ),
    ),
    st.builds(WaitAlert, st.sampled_from(["A", "C", "D"]), NUMBERS, st.floats(0, 1e5)),
    st.builds(TimerFired, st.sampled_from([T_BLINK, T_ENTRY, T_RATING, T_THANKS, "other"])),
    st.builds(LinkChanged, st.booleans()),
    st.builds(DeviceChanged, st.sampled_from(["keypad", "ratingpad", "strip"]), st.booleans()),
)


def check_script(script: list[Event]) -> None:
    state: CounterState = make_state(status="open", teller="1024", seq=0)
    sent: list[int] = []
    for ev in script:
        was_pending = state.pending
        state, fx = step(state, ev)
        sends = [e for e in fx if isinstance(e, Send)]
        # at most one command in flight, numbered in order, never reused
        assert len(sends) <= 1
        for s in sends:
            assert not sent or s.n > sent[-1]
            sent.append(s.n)
        if state.pending is not None:
            assert state.pending.n == sent[-1]
        # a command key is always answered at the keypad: a send, a beep or a line
        if isinstance(ev, KeyPressed) and ev.key in COMMAND_KEYS:
            assert sends or any(isinstance(e, Beep | KeypadText) for e in fx)
        # giving up on the pending command is always heard
        if isinstance(ev, NoReply) and was_pending is not None and was_pending.n == ev.n:
            assert any(isinstance(e, Beep) for e in fx)
        for e in fx:
            if isinstance(e, KeypadText):
                assert len(e.text.encode(ENCODING)) <= 32
            if isinstance(e, StripShow):
                assert len(e.text.encode(ENCODING)) <= 64


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(events, max_size=40))
def test_random_scripts_keep_the_flow_rules(script: list[Event]) -> None:
    check_script(script)


@pytest.mark.soak
@pytest.mark.timeout(1800)  # a long campaign, not a hang
@settings(max_examples=10_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(events, max_size=120))
def test_soak_random_scripts_keep_the_flow_rules(script: list[Event]) -> None:
    check_script(script)
