"""The customer's path through the kiosk as a pure state machine.

``step(state, event, rules) -> (state, effects)``: no pygame, no clock, no
I/O. The shell (``kiosk/app.py``) turns touches, reader callbacks, engine
replies and printer results into events, performs the effects (send
``issue_ticket``, print) and redraws when the state changed. Tests are event
scripts (``tests/kiosk/test_flow.py``).

Screens, following the branch workflow 一问、二介 (ask, identify):

| screen | shows | leaves on |
|---|---|---|
| ``welcome`` | branch, languages, notice, info slides | start, language, card/ID/QR |
| ``ask`` | business menu by group | a service |
| ``machine`` | "a machine can do this", where it is | use the machine / ticket anyway |
| ``identify`` | card / ID card / QR / skip | identification or skip |
| ``issuing`` | "one moment" | engine reply or timeout |
| ``ticket`` | number, ahead, wait, prepare, zone | done, idle time |
| ``engine_down`` | engine unreachable: nothing issued | ok, idle time |
| ``refused`` | the engine refused (service closed...) | ok, idle time |

Nothing half-done survives the idle timeout: the customer's choices and
identity are dropped when the kiosk returns to ``welcome``; ``issuing`` has
no idle timeout because the request itself is bounded (the engine answers
or the requester gives up), so no ticket is issued behind an empty screen.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

Screen = Literal[
    "welcome", "ask", "machine", "identify", "issuing", "ticket", "engine_down", "refused"
]
PrintState = Literal["none", "printing", "printed", "failed"]
CustomerClass = Literal["normal", "vip", "care", "appointment"]
LANGS = ("zh-Hans", "zh-Hant", "en", "es")


# -- data the flow carries ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class Appointment:
    """A booking found in the directory; ``due`` in epoch seconds (wall clock)."""

    ref: str
    due: float
    service: str | None = None


@dataclass(frozen=True, slots=True)
class Customer:
    """Who identified: the masked identity, tier and a booking, never a number."""

    kind: str
    hash: str
    masked: str
    tier: str = "normal"  # normal | vip | care
    appointment: Appointment | None = None

    def identity(self) -> dict[str, str]:
        return {"kind": self.kind, "hash": self.hash, "masked": self.masked}


@dataclass(frozen=True, slots=True)
class IssuedTicket:
    """What the engine's ``ticket_issued`` event says, as the screen needs it."""

    number: str
    service: str
    ahead: int
    expected_wait_s: float | None
    customer_class: str = "normal"
    ticket_id: str = ""


@dataclass(frozen=True, slots=True)
class Rules:
    """Branch facts the flow needs: set once from config."""

    services: tuple[str, ...]
    machine_services: frozenset[str] = frozenset()
    idle_s: float = 30.0
    ticket_s: float = 20.0
    slide_s: float = 8.0
    slides: int = 0
    appointment_early_s: float = 30 * 60.0
    appointment_late_s: float = 15 * 60.0
    default_lang: str = "zh-Hans"
    debounce_s: float = 0.25  # a tap this soon after a screen change is the last screen's


@dataclass(frozen=True, slots=True)
class FlowState:
    """Everything on screen, and what the customer has chosen so far."""

    screen: Screen = "welcome"
    lang: str = "zh-Hans"
    large: bool = False
    care: bool = False
    service: str | None = None
    customer: Customer | None = None
    hint: str | None = None  # a short message key: "vip", "appointment", "read_failed"...
    ticket: IssuedTicket | None = None
    printing: PrintState = "none"
    print_error: str | None = None
    refusal: str | None = None
    issue_no: int = 0
    express: tuple[Express, ...] = ()
    since: float = 0.0  # monotonic time of the last input or screen change
    entered: float = 0.0  # monotonic time the current screen appeared
    slide: int = 0
    slide_since: float = 0.0
    engine_up: bool = True
    notice: Mapping[str, str] | None = field(default=None, compare=True)


# -- events ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Tap:
    """A touch on a target (a button id from the layout) at monotonic time ``now``."""

    target: str
    now: float


@dataclass(frozen=True, slots=True)
class Identified:
    """A reader delivered an identity and the directory was consulted (``wall`` = epoch s)."""

    customer: Customer
    now: float
    wall: float


@dataclass(frozen=True, slots=True)
class IdentifyFailed:
    """A card or code could not be read or was not accepted."""

    reason: str
    now: float


@dataclass(frozen=True, slots=True)
class Express:
    """Issue a ticket for ``service`` at once (automation, the demo, the bench)."""

    service: str
    customer_class: CustomerClass = "normal"
    now: float = 0.0


@dataclass(frozen=True, slots=True)
class Issued:
    issue_no: int
    ticket: IssuedTicket
    now: float


@dataclass(frozen=True, slots=True)
class IssueFailed:
    """``unavailable``: no answer in time; ``refused``: the engine said no (``reason``)."""

    issue_no: int
    kind: Literal["unavailable", "refused"]
    reason: str
    now: float


@dataclass(frozen=True, slots=True)
class Printed:
    """The print of ticket ``issue_no`` finished; ``error`` is a printer error code."""

    issue_no: int
    error: str | None
    now: float


@dataclass(frozen=True, slots=True)
class Tick:
    now: float


@dataclass(frozen=True, slots=True)
class EngineLink:
    up: bool
    now: float


@dataclass(frozen=True, slots=True)
class NoticeChanged:
    """The branch notice (power cut, system failure...): ``None`` when cleared."""

    notice: Mapping[str, str] | None
    now: float


Event = (
    Tap
    | Identified
    | IdentifyFailed
    | Express
    | Issued
    | IssueFailed
    | Printed
    | Tick
    | EngineLink
    | NoticeChanged
)


# -- effects -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RequestTicket:
    """Send ``issue_ticket``; the reply comes back as ``Issued`` / ``IssueFailed``."""

    issue_no: int
    service: str
    customer_class: CustomerClass
    identity: Mapping[str, str] | None
    appointment: Appointment | None
    lang: str


@dataclass(frozen=True, slots=True)
class PrintTicket:
    issue_no: int
    ticket: IssuedTicket
    lang: str


Effect = RequestTicket | PrintTicket


# -- the machine -------------------------------------------------------------


def initial(rules: Rules, now: float = 0.0) -> FlowState:
    return FlowState(lang=rules.default_lang, since=now, slide_since=now)


def _home(state: FlowState, now: float, rules: Rules) -> FlowState:
    """Back to welcome with nothing of the last customer kept (language resets too)."""
    return FlowState(
        lang=rules.default_lang,
        large=False,
        issue_no=state.issue_no,
        express=state.express,
        since=now,
        entered=now,
        slide=state.slide,
        slide_since=now,
        engine_up=state.engine_up,
        notice=state.notice,
    )


def _go(state: FlowState, screen: Screen, now: float, **changes: object) -> FlowState:
    return replace(state, screen=screen, since=now, entered=now, **changes)  # type: ignore[arg-type]


def appointment_due(appt: Appointment | None, wall: float, rules: Rules) -> bool:
    """Whether a booking is due now: from ``early`` before to ``late`` after its time."""
    if appt is None:
        return False
    return appt.due - rules.appointment_early_s <= wall <= appt.due + rules.appointment_late_s


def customer_class(state: FlowState, rules: Rules, wall: float | None = None) -> CustomerClass:
    """Care when asked for, then a due appointment, then the directory tier."""
    if state.care:
        return "care"
    c = state.customer
    if c is None:
        return "normal"
    if c.appointment is not None and (wall is None or appointment_due(c.appointment, wall, rules)):
        return "appointment"
    if c.tier == "vip":
        return "vip"
    if c.tier == "care":
        return "care"
    return "normal"


def _issue(
    state: FlowState, now: float, service: str, cls: CustomerClass
) -> tuple[FlowState, list[Effect]]:
    n = state.issue_no + 1
    c = state.customer
    # Only a due booking is kept on the customer (see _identified): it checks in
    # whatever the class, so a care customer with a booking is not lost to it.
    appt = c.appointment if c is not None else None
    effect = RequestTicket(
        issue_no=n,
        service=service,
        customer_class=cls,
        identity=c.identity() if c is not None else None,
        appointment=appt,
        lang=state.lang,
    )
    new = _go(
        state,
        "issuing",
        now,
        service=service,
        issue_no=n,
        ticket=None,
        printing="none",
        print_error=None,
        refusal=None,
    )
    return new, [effect]


def _after_service(state: FlowState, now: float, rules: Rules) -> tuple[FlowState, list[Effect]]:
    """A service is chosen: identify unless already identified, then issue."""
    assert state.service is not None
    if state.customer is not None:
        return _issue(state, now, state.service, customer_class(state, rules))
    return _go(state, "identify", now), []


def step(state: FlowState, event: Event, rules: Rules) -> tuple[FlowState, list[Effect]]:
    """Apply one event; returns the new state and the effects the shell must perform."""
    if isinstance(event, Tick):
        return _tick(state, event.now, rules), []
    if isinstance(event, EngineLink):
        return replace(state, engine_up=event.up), []
    if isinstance(event, NoticeChanged):
        return replace(state, notice=event.notice), []
    if isinstance(event, Express):
        return _express(state, event, rules)
    if isinstance(event, Issued):
        return _issued(state, event, rules)
    if isinstance(event, IssueFailed):
        if state.screen != "issuing" or event.issue_no != state.issue_no:
            return state, []
        screen: Screen = "engine_down" if event.kind == "unavailable" else "refused"
        new = _go(state, screen, event.now, refusal=event.reason, customer=None, care=False)
        return _next_express(new, event.now, rules)
    if isinstance(event, Printed):
        if state.printing != "printing" or event.issue_no != state.issue_no:
            return state, []  # already answered (or given up on by the print watchdog)
        if event.error is None:
            return replace(state, printing="printed", print_error=None), []
        return replace(state, printing="failed", print_error=event.error), []
    if isinstance(event, Identified):
        return _identified(state, event, rules)
    if isinstance(event, IdentifyFailed):
        if state.screen in ("welcome", "ask", "identify", "machine"):
            return replace(state, hint="read_failed", since=event.now), []
        return state, []
    return _tap(state, event, rules)


def _tap(state: FlowState, tap: Tap, rules: Rules) -> tuple[FlowState, list[Effect]]:
    now, target = tap.now, tap.target
    touched = replace(state, since=now)
    if state.screen == "issuing":
        return state, []  # nothing to press while the number is being taken
    if now - state.entered < rules.debounce_s:
        # A double tap (common with elderly customers) must not press the button
        # that has just appeared where the first tap landed.
        return state, []
    if target.startswith("lang:"):
        lang = target[5:]
        if lang not in LANGS:
            return touched, []
        if state.screen == "welcome":
            return _go(touched, "ask", now, lang=lang, hint=None), []
        return replace(touched, lang=lang), []
    if target == "large":
        return replace(touched, large=not state.large), []
    if target == "care":
        return replace(touched, care=not state.care), []
    if target in ("home", "done", "ok", "use_machine"):
        return _home(touched, now, rules), []
    if state.screen == "welcome" and target == "start":
        return _go(touched, "ask", now, hint=None), []
    if state.screen == "ask" and target.startswith("svc:"):
        code = target[4:]
        if code not in rules.services:
            return touched, []
        chosen = replace(touched, service=code, hint=None)
        if code in rules.machine_services:
            return _go(chosen, "machine", now), []
        return _after_service(chosen, now, rules)
    if state.screen == "machine" and target == "take_ticket":
        return _after_service(touched, now, rules)
    if state.screen == "identify" and target == "skip":
        assert state.service is not None
        return _issue(touched, now, state.service, customer_class(touched, rules))
    if target == "back":
        back: dict[Screen, Screen] = {"ask": "welcome", "machine": "ask", "identify": "ask"}
        if state.screen in back:
            if back[state.screen] == "welcome":
                return _home(touched, now, rules), []
            return _go(touched, back[state.screen], now, service=None), []
    return touched, []


def _identified(state: FlowState, ev: Identified, rules: Rules) -> tuple[FlowState, list[Effect]]:
    if state.screen not in ("welcome", "ask", "identify", "machine"):
        return state, []  # a swipe while a ticket is on screen belongs to nobody yet
    c = ev.customer
    due = appointment_due(c.appointment, ev.wall, rules)
    if c.appointment is not None and not due:
        # Booked, but not now: served as a walk-in (with the tier it has) and told why.
        c = replace(c, appointment=None)
        hint = "appointment_not_due"
    elif due:
        hint = "appointment"
    elif c.tier == "vip":
        hint = "vip"
    else:
        hint = "identified"
    new = replace(state, customer=c, hint=hint, since=ev.now)
    if due and c.appointment is not None and c.appointment.service in rules.services:
        # An appointment checks in: its service is known, no menu needed.
        new = replace(new, service=c.appointment.service)
        return _issue(new, ev.now, c.appointment.service, customer_class(new, rules))
    if state.screen == "identify" and state.service is not None:
        return _issue(new, ev.now, state.service, customer_class(new, rules))
    if state.screen == "welcome":
        return _go(new, "ask", ev.now), []
    return new, []


def _express(state: FlowState, ev: Express, rules: Rules) -> tuple[FlowState, list[Effect]]:
    if ev.service not in rules.services:
        return state, []
    if state.screen == "issuing":
        return replace(state, express=(*state.express, ev)), []
    fresh = _home(state, ev.now, rules)
    fresh = replace(fresh, express=state.express, lang=state.lang, care=ev.customer_class == "care")
    return _issue(fresh, ev.now, ev.service, ev.customer_class)


def _next_express(state: FlowState, now: float, rules: Rules) -> tuple[FlowState, list[Effect]]:
    """Start a queued automatic issue once the previous one has finished."""
    if not state.express:
        return state, []
    head, rest = state.express[0], state.express[1:]
    new, effects = _express(replace(state, express=rest), replace(head, now=now), rules)
    return new, effects


def _issued(state: FlowState, ev: Issued, rules: Rules) -> tuple[FlowState, list[Effect]]:
    if state.screen != "issuing" or ev.issue_no != state.issue_no:
        return state, []  # a late reply: the shell cancels the ticket it does not show
    new = _go(state, "ticket", ev.now, ticket=ev.ticket, printing="printing")
    effects: list[Effect] = [PrintTicket(ev.issue_no, ev.ticket, state.lang)]
    if new.express:
        head, rest = new.express[0], new.express[1:]
        nxt, more = _express(replace(new, express=rest), replace(head, now=ev.now), rules)
        return nxt, effects + more
    return new, effects


def _tick(state: FlowState, now: float, rules: Rules) -> FlowState:
    deadline = idle_deadline(state, rules)
    if deadline is not None and now >= deadline:
        if state.printing == "printing" and state.screen == "ticket":
            return state  # keep the number up until the printer has answered
        return _home(state, now, rules)
    if state.screen == "welcome" and rules.slides > 1 and now - state.slide_since >= rules.slide_s:
        return replace(state, slide=(state.slide + 1) % rules.slides, slide_since=now)
    return state


def idle_deadline(state: FlowState, rules: Rules) -> float | None:
    """When the current screen gives up and returns to welcome (``None``: never)."""
    if state.screen == "welcome":
        touched = state.care or state.large or state.hint is not None or state.customer is not None
        # A welcome screen someone set up (care, large text, a language) and
        # walked away from is reset for the next customer.
        if touched or state.lang != rules.default_lang:
            return state.since + rules.idle_s
        return None
    if state.screen == "issuing":
        return None
    if state.screen == "ticket":
        extra = rules.ticket_s if state.printing != "failed" else rules.ticket_s * 2
        return state.since + extra
    return state.since + rules.idle_s


def next_wakeup(state: FlowState, rules: Rules) -> float | None:
    """The next time a ``Tick`` can change anything, so the shell sleeps until then."""
    times = [t for t in (idle_deadline(state, rules),) if t is not None]
    if state.screen == "welcome" and rules.slides > 1:
        times.append(state.slide_since + rules.slide_s)
    return min(times) if times else None
