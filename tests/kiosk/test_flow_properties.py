"""Property tests of the flow: whatever a customer does, nothing is left half-done.

Random scripts of taps, identifications, replies, printer answers and time
passing are run through ``step``; a model of the shell answers requests the
way the engine and printer may (late, refused, failed). Invariants:

- at most one ``issue_ticket`` is in flight, and the screen says so;
- every reply the flow accepts leads to exactly one print;
- once the engine and printer have answered and the idle time has passed,
  the kiosk is back on ``welcome`` with no customer, service or care left.

``-m soak`` (``bench/kiosk_soak.py``) runs the same with many more examples.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.ui.flow import (
    Appointment,
    Customer,
    EngineLink,
    Event,
    Express,
    FlowState,
    Identified,
    IdentifyFailed,
    Issued,
    IssuedTicket,
    IssueFailed,
    NoticeChanged,
    Printed,
    PrintTicket,
    RequestTicket,
    Rules,
    Tap,
    Tick,
    initial,
    step,
)

RULES = Rules(services=("A", "B", "D"), machine_services=frozenset({"D"}), slides=3)
TARGETS = [
    "start", "svc:A", "svc:B", "svc:D", "svc:Z", "skip", "back", "home", "done", "ok",
    "care", "large", "use_machine", "take_ticket", "lang:en", "lang:es", "lang:zh-Hant",
    "nowhere",
]  # fmt: skip

customers = st.builds(
    Customer,
    kind=st.sampled_from(["card", "id", "qr"]),
    hash=st.just("c" * 64),
    masked=st.just("**** 0017"),
    tier=st.sampled_from(["normal", "vip", "care"]),
    appointment=st.none()
    | st.builds(
        Appointment,
        ref=st.just("r" * 32),
        due=st.floats(-7200, 7200).map(lambda d: 1e9 + d),
        service=st.sampled_from(["A", "B", "X", None]),
    ),
)

# An action is (kind, payload); the driver turns it into an event at the current time.
actions = st.one_of(
    st.tuples(st.just("tap"), st.sampled_from(TARGETS)),
    st.tuples(st.just("identify"), customers),
    st.tuples(st.just("read_fail"), st.just(None)),
    st.tuples(st.just("express"), st.sampled_from(["A", "B", "D", "Z"])),
    st.tuples(st.just("answer"), st.sampled_from(["ok", "unavailable", "refused"])),
    st.tuples(st.just("print"), st.sampled_from([None, "paper_out", "slow"])),
    st.tuples(st.just("wait"), st.floats(0, 90)),
    st.tuples(st.just("link"), st.booleans()),
    st.tuples(st.just("notice"), st.sampled_from([None, "power_cut"])),
)


class Shell:
    """Plays engine and printer for the flow, checking the invariants on the way."""

    def __init__(self) -> None:
        self.s: FlowState = initial(RULES)
        self.now = 0.0
        self.in_flight: list[RequestTicket] = []
        self.prints: list[PrintTicket] = []
        self.accepted = 0
        self.numbers = 0

    def feed(self, ev: Event) -> None:
        before = self.s
        self.s, effects = step(self.s, ev, RULES)
        if isinstance(ev, Issued) and before.screen == "issuing" and ev.issue_no == before.issue_no:
            self.accepted += 1
        for e in effects:
            if isinstance(e, RequestTicket):
                assert not self.in_flight, "a second issue_ticket while one is in flight"
                assert e.service in RULES.services
                self.in_flight.append(e)
            else:
                assert isinstance(e, PrintTicket)
                self.prints.append(e)
        assert (self.s.screen == "issuing") == bool(self.in_flight), (self.s.screen, self.in_flight)
        assert len(self.prints) == self.accepted

    def answer(self, how: str) -> None:
        if not self.in_flight:
            return
        req = self.in_flight.pop()
        if how == "ok":
            self.numbers += 1
            t = IssuedTicket(f"{req.service}{self.numbers:03d}", req.service, 0, None)
            self.feed(Issued(req.issue_no, t, self.now))
        else:
            self.feed(IssueFailed(req.issue_no, how, how, self.now))  # type: ignore[arg-type]

    def act(self, kind: str, payload: object) -> None:
        self.now += 0.05
        if kind == "tap":
            self.feed(Tap(str(payload), self.now))
        elif kind == "identify":
            assert isinstance(payload, Customer)
            self.feed(Identified(payload, self.now, 1e9))
        elif kind == "read_fail":
            self.feed(IdentifyFailed("bad", self.now))
        elif kind == "express":
            self.feed(Express(str(payload), "normal", self.now))
        elif kind == "answer":
            self.answer(str(payload))
        elif kind == "print":
            self.feed(Printed(self.s.issue_no, payload, self.now))  # type: ignore[arg-type]
        elif kind == "wait":
            self.now += float(payload)  # type: ignore[arg-type]
            self.feed(Tick(self.now))
        elif kind == "link":
            self.feed(EngineLink(bool(payload), self.now))
        elif kind == "notice":
            self.feed(NoticeChanged({"notice": str(payload)} if payload else None, self.now))

    def settle(self) -> None:
        """The engine and printer answer everything; the customer walks away."""
        for _ in range(50):
            if self.in_flight:
                self.answer("ok")
                continue
            if self.s.printing == "printing":
                self.feed(Printed(self.s.issue_no, None, self.now))
                continue
            break
        self.now += 3 * max(RULES.idle_s, RULES.ticket_s) + 1
        self.feed(Tick(self.now))


def check(script: list[tuple[str, object]]) -> None:
    shell = Shell()
    for kind, payload in script:
        shell.act(kind, payload)
    shell.settle()
    s = shell.s
    assert s.screen == "welcome", s.screen
    assert (s.customer, s.service, s.care, s.large, s.ticket) == (None, None, False, False, None)
    assert not shell.in_flight and s.express == ()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(actions, max_size=40))
def test_no_script_leaves_the_kiosk_half_done(script: list[tuple[str, object]]) -> None:
    check(script)


@pytest.mark.soak
@settings(max_examples=20_000, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(actions, max_size=200))
def test_soak_long_scripts_leave_nothing_half_done(script: list[tuple[str, object]]) -> None:
    check(script)
