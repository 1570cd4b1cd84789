"""The counter terminal as a pure state machine: ``step(state, event) -> (state, effects)``.

Events are what happens at the counter (a key, a rating, an engine reply,
no reply in time, a retained state snapshot, a timer, a link or device going
up or down); effects are what the shell (``counter.app``) must do (send a
command, beep, write the keypad line, set its LEDs, show the LED strip,
prompt the rating pad, start or cancel a timer). No I/O, no clock: timers are
effects, and their expiry comes back as an event, so every behaviour here is
an event script in a test.

Rules the machine keeps:

- One command in flight at a time. A teller key pressed meanwhile is refused
  with the "busy" line (so a double-pressed CALL never calls two customers);
  a customer's rating waits in the backlog and goes next, never lost.
- Every outcome is felt at the keypad: a call (double beep), done (short
  beep), a refusal (error beep and the reason on the text line), no answer
  (long beep, "offline" line, the green LED off). Never silence.
- The engine is the truth. The view of this counter is updated from the
  events in each reply and from the retained ``state/counter/<id>`` snapshot,
  whichever carries the later log ``seq``; so after a reboot the counter
  shows what the engine says at once.
- Commands carry a flow-local number ``n``; the shell gives each one a
  command id and resends that same id until a deadline, so a resend after a
  broker drop acts once (``drivers.mqtt.request``).

Key meanings: the table ``counter.keys.KEY_RULES``, interpreted by
``_on_key``. Engine events arrive typed (``lobbyq.core.events``, decoded by
the shell). Words: ``counter.texts``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from counter.errors import CounterError
from counter.keys import (
    CLOSE_CODE,
    KEY_RULES,
    MAX_TYPED,
    PAUSE_REASONS,
    Does,
    KeyRule,
    ServiceKey,
    TransferTarget,
    Typed,
    When,
    ticket_from_digits,
    transfer_from_digits,
)
from counter.texts import Texts
from drivers.bus.text import fit_text
from drivers.keypad.codes import BeepPattern, Key, KeypadLed
from drivers.ratingpad.codes import Reason
from lobbyq.core import events as ce

KEYPAD_TEXT_BYTES = 32
STRIP_TEXT_BYTES = 64

OPEN = "open"
CLOSED = "closed"
PAUSED = "paused"

# Timer names (the shell keeps one timer per name; starting one again restarts it).
T_RATING = "rating"
T_BLINK = "blink"
T_ENTRY = "entry"
T_THANKS = "thanks"

PARTS = ("keypad", "ratingpad", "strip")


class FlowError(CounterError):
    """A flow configuration that cannot work."""


# ---------------------------------------------------------------- configuration


@dataclass(frozen=True, slots=True)
class FlowConfig:
    """What the flow needs to know about its counter and branch."""

    counter: str
    services: tuple[ServiceKey, ...] = ()
    rating_scale: int = 5
    rating_timeout_s: float = 60.0
    call_blink_s: float = 10.0
    entry_timeout_s: float = 20.0
    thanks_s: float = 3.0
    texts: Texts = field(default_factory=Texts)

    def __post_init__(self) -> None:
        if self.rating_scale not in (3, 5):
            raise FlowError(f"rating_scale must be 3 or 5, got {self.rating_scale}")
        if not self.counter:
            raise FlowError("counter id is empty")


# ---------------------------------------------------------------- state


@dataclass(frozen=True, slots=True)
class EngineView:
    """This counter as the engine last told us (``seq`` = log position of that news)."""

    status: str = CLOSED
    teller: str | None = None
    current: str | None = None
    held: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    seq: int = -1


@dataclass(frozen=True, slots=True)
class Queued:
    """A command waiting for its turn; ``origin`` says whose key asked for it."""

    op: str
    fields: Mapping[str, Any]
    origin: str = "teller"  # teller | rating | follow


@dataclass(frozen=True, slots=True)
class Pending:
    """The one command in flight, and what to send after it if it succeeds."""

    n: int
    op: str
    fields: Mapping[str, Any]
    origin: str
    then: tuple[Queued, ...] = ()


@dataclass(frozen=True, slots=True)
class CounterState:
    config: FlowConfig
    view: EngineView = field(default_factory=EngineView)
    typed: str = ""
    transfer_mode: bool = False
    pending: Pending | None = None
    backlog: tuple[Queued, ...] = ()
    next_n: int = 1
    engine_ok: bool = True
    link_up: bool = False
    rating_for: str | None = None
    blink: bool = False
    thanks: bool = False
    devices_down: frozenset[str] = frozenset()
    strip_shown: tuple[str, bool] | None = None
    leds_shown: int | None = None

    @staticmethod
    def initial(config: FlowConfig) -> CounterState:
        return CounterState(config=config)


# ---------------------------------------------------------------- events


@dataclass(frozen=True, slots=True)
class KeyPressed:
    key: Key


@dataclass(frozen=True, slots=True)
class RatingPressed:
    """A rating pad key: ``value`` on the pad's 5-point scale, ``reason`` a Reason code."""

    value: int
    reason: int = 0


@dataclass(frozen=True, slots=True)
class Logged:
    """One engine event as a reply carries it: the typed event and its log position."""

    seq: int
    event: ce.Event


@dataclass(frozen=True, slots=True)
class Replied:
    n: int
    ok: bool
    code: str | None = None
    reason: str | None = None
    events: tuple[Logged, ...] = ()


@dataclass(frozen=True, slots=True)
class NoReply:
    """The engine did not answer command ``n`` within the bound."""

    n: int


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The retained ``state/counter/<id>`` payload."""

    seq: int
    state: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class WaitAlert:
    """The engine's ``wait_alert``: a ticket has waited past its service's threshold."""

    service: str
    number: str
    waited_s: float


@dataclass(frozen=True, slots=True)
class TimerFired:
    name: str


@dataclass(frozen=True, slots=True)
class LinkChanged:
    """The broker link came up or went down."""

    up: bool


@dataclass(frozen=True, slots=True)
class DeviceChanged:
    """A bus device (``keypad``, ``ratingpad``, ``strip``) went on- or offline."""

    part: str
    online: bool


Event = (
    KeyPressed
    | RatingPressed
    | Replied
    | NoReply
    | Snapshot
    | WaitAlert
    | TimerFired
    | LinkChanged
    | DeviceChanged
)


# ---------------------------------------------------------------- effects


@dataclass(frozen=True, slots=True)
class Send:
    n: int
    op: str
    fields: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Beep:
    pattern: BeepPattern


@dataclass(frozen=True, slots=True)
class KeypadText:
    text: str


@dataclass(frozen=True, slots=True)
class KeypadLeds:
    mask: KeypadLed


@dataclass(frozen=True, slots=True)
class StripShow:
    text: str
    blink: bool = False


@dataclass(frozen=True, slots=True)
class RatingPrompt:
    on: bool
    timeout_s: float = 0.0


@dataclass(frozen=True, slots=True)
class StartTimer:
    name: str
    seconds: float


@dataclass(frozen=True, slots=True)
class CancelTimer:
    name: str


Effect = Send | Beep | KeypadText | KeypadLeds | StripShow | RatingPrompt | StartTimer | CancelTimer


# ---------------------------------------------------------------- small pieces


def _kp(text: str) -> KeypadText:
    return KeypadText(fit_text(text, KEYPAD_TEXT_BYTES))


def _error(line: str) -> list[Effect]:
    """A key that cannot act: the error beep, then why on the keypad line."""
    return [Beep(BeepPattern.ERROR), _kp(line)]


def idle_line(state: CounterState) -> str:
    """The keypad line when nothing else is being said: who is here and what is going on."""
    t = state.config.texts
    v = state.view
    if v.teller is None:
        return t.kp_logged_out
    if v.current is not None:
        return t.kp_serving.format(number=v.current)
    if v.status == PAUSED:
        return t.kp_paused.format(teller=v.teller)
    if v.status == CLOSED:
        return t.kp_closed.format(teller=v.teller)
    return t.kp_idle.format(teller=v.teller)


def strip_line(state: CounterState) -> tuple[str, bool]:
    """What the strip shows now: thanks, the call, paused, closed, or welcome when open."""
    t = state.config.texts
    v = state.view
    if state.thanks:
        return t.thanks, False
    if v.current is not None:
        return t.serving.format(number=v.current, counter=state.config.counter), state.blink
    if v.status == PAUSED:
        return t.paused, False
    if v.status == CLOSED:
        return t.closed, False  # nobody serves here: never invite customers to wait
    return t.welcome, False


def leds(state: CounterState) -> KeypadLed:
    mask = KeypadLed.NONE
    if state.link_up and state.engine_ok:
        mask |= KeypadLed.ONLINE
    if state.view.current is not None:
        mask |= KeypadLed.SERVING
    if state.view.status == PAUSED:
        mask |= KeypadLed.PAUSED
    if not state.engine_ok or state.devices_down:
        mask |= KeypadLed.ALERT
    return mask


def render(state: CounterState) -> tuple[CounterState, list[Effect]]:
    """Bring the strip and the LEDs in line with the state, sending only what changed."""
    out: list[Effect] = []
    line, blink = strip_line(state)
    line = fit_text(line, STRIP_TEXT_BYTES)
    if state.strip_shown != (line, blink):
        out.append(StripShow(line, blink))
        state = replace(state, strip_shown=(line, blink))
    mask = leds(state)
    if state.leds_shown != int(mask):
        out.append(KeypadLeds(mask))
        state = replace(state, leds_shown=int(mask))
    return state, out


def _view_from_snapshot(body: Mapping[str, Any], seq: int) -> EngineView:
    """Read a ``counter_view`` leniently: ``current`` may be a number or an object with one."""
    status = body.get("status")
    teller = body.get("teller")
    current = body.get("current")
    if isinstance(current, Mapping):
        current = current.get("number")
    held_raw = body.get("held") or ()
    held: list[str] = []
    for h in held_raw if isinstance(held_raw, list | tuple) else ():
        number = h.get("number") if isinstance(h, Mapping) else h
        if isinstance(number, str):
            held.append(number)
    services = body.get("services")
    return EngineView(
        status=status if status in (OPEN, CLOSED, PAUSED) else CLOSED,
        teller=teller if isinstance(teller, str) and teller else None,
        current=current if isinstance(current, str) and current else None,
        held=tuple(held),
        services=tuple(x for x in services if isinstance(x, str))
        if isinstance(services, list)
        else (),
        seq=seq,
    )


def apply_events(view: EngineView, counter: str, events: Sequence[Logged]) -> EngineView:
    """Fold this counter's events from a reply into the view (other counters' are skipped)."""
    for logged in events:
        if logged.seq <= view.seq:
            continue  # the snapshot we hold already includes it
        if _at(logged.event, counter):
            view = _fold(view, logged.event)
        view = replace(view, seq=logged.seq)
    return view


def _at(event: ce.Event, counter: str) -> bool:
    """Whether an event happened at this counter (events of no counter never do)."""
    return getattr(event, "counter", None) == counter


def _fold(view: EngineView, event: ce.Event) -> EngineView:
    """One event of this counter applied to its view."""
    match event:
        case ce.TicketCalled(number=number):
            held = tuple(h for h in view.held if h != number)
            return replace(view, current=number, held=held, status=OPEN)
        case ce.TicketFinished() | ce.TicketNoShow() | ce.TicketTransferred():
            return replace(view, current=None) if view.current == event.number else view
        case ce.TicketHeld(number=number):
            current = None if view.current == number else view.current
            return replace(view, current=current, held=(*view.held, number))
        case ce.TellerLoggedIn(teller=teller):
            return replace(view, teller=teller)
        case ce.TellerLoggedOut():
            return replace(view, teller=None, status=CLOSED)
        case ce.CounterOpened() | ce.CounterResumed():
            return replace(view, status=OPEN)
        case ce.CounterClosed():
            return replace(view, status=CLOSED)
        case ce.CounterPaused():
            return replace(view, status=PAUSED)
    return view


E = TypeVar("E", bound=ce.Event)


def _last(events: Sequence[Logged], counter: str, kind: type[E]) -> E | None:
    """The last event of a kind at this counter in a reply, if any."""
    found = [lg.event for lg in events if isinstance(lg.event, kind) and _at(lg.event, counter)]
    return found[-1] if found else None


def _send(
    state: CounterState, q: Queued, then: tuple[Queued, ...] = ()
) -> tuple[CounterState, list[Effect]]:
    n = state.next_n
    pending = Pending(n=n, op=q.op, fields=dict(q.fields), origin=q.origin, then=then)
    return replace(state, pending=pending, next_n=n + 1), [Send(n, q.op, pending.fields)]


def _request(
    state: CounterState, op: str, *, then: tuple[Queued, ...] = (), **fields: Any
) -> tuple[CounterState, list[Effect]]:
    """A teller command: sent now, or refused with "busy" while another is in flight."""
    given = {k: v for k, v in fields.items() if v is not None}
    q = Queued(op, {"counter": state.config.counter, **given})
    if state.pending is not None:
        return state, _error(state.config.texts.kp_busy)
    return _send(state, q, then)


def _drain(state: CounterState) -> tuple[CounterState, list[Effect]]:
    """Send the next backlog command if nothing is in flight."""
    if state.pending is not None or not state.backlog:
        return state, []
    head, rest = state.backlog[0], state.backlog[1:]
    return _send(replace(state, backlog=rest), head)


def _then_drain(state: CounterState, fx: list[Effect]) -> tuple[CounterState, list[Effect]]:
    """`fx`, then whatever the backlog sends now that the line may be free."""
    state, more = _drain(state)
    return state, [*fx, *more]


def _clear_typed(state: CounterState) -> tuple[CounterState, list[Effect]]:
    if not state.typed and not state.transfer_mode:
        return state, []
    return replace(state, typed="", transfer_mode=False), [CancelTimer(T_ENTRY)]


# ---------------------------------------------------------------- keys


def _typed_fits(typed: Typed, digits: str, asked: bool) -> bool:
    if typed is Typed.ASKED:
        return asked
    if typed is Typed.NOTHING:
        return not digits
    if typed is Typed.DIGITS:
        return bool(digits)
    if typed is Typed.CLOSE_CODE:
        return digits == CLOSE_CODE
    return True  # Typed.ANY


def _view_fits(when: When, v: EngineView) -> bool:
    if when is When.LOGGED_OUT:
        return v.teller is None
    if when is When.PAUSED:
        return v.status == PAUSED
    if when is When.CLOSED_WITH_TELLER:
        return v.status == CLOSED and v.teller is not None
    if when is When.ONLY_HELD:
        return v.current is None and len(v.held) == 1
    return True  # When.ALWAYS


_RULES_OF: Mapping[Key, tuple[KeyRule, ...]] = {
    k: tuple(r for r in KEY_RULES if r.key == k) for k in Key
}


def key_rule(state: CounterState, key: Key) -> KeyRule | None:
    """The first rule of ``KEY_RULES`` that fits this key now; None: refused."""
    for rule in _RULES_OF[key]:
        if _typed_fits(rule.typed, state.typed, state.transfer_mode) and _view_fits(
            rule.when, state.view
        ):
            return rule
    return None


def target_label(texts: Texts, target: TransferTarget) -> str:
    """A transfer target as the keypad names it while it is typed."""
    if target.to_service:
        return texts.service_target.format(service=target.to_service)
    return texts.counter_target.format(counter=target.to_counter)


def _on_digit(state: CounterState, digit: int) -> tuple[CounterState, list[Effect]]:
    """A digit joins the typed buffer; the keypad line says what the digits mean so far."""
    t = state.config.texts
    if len(state.typed) >= MAX_TYPED:
        return state, [Beep(BeepPattern.ERROR)]
    typed = state.typed + str(digit)
    state = replace(state, typed=typed)
    services = state.config.services
    ticket = ticket_from_digits(typed, services) if not state.transfer_mode else None
    target = transfer_from_digits(typed, services) if state.transfer_mode else None
    if target is not None:
        line = t.kp_transfer_to.format(target=target_label(t, target))
    elif ticket is not None and state.view.teller is not None:
        line = t.kp_ticket.format(ticket=ticket)
    else:
        line = t.kp_typed.format(typed=typed)
    return state, [_kp(line), StartTimer(T_ENTRY, state.config.entry_timeout_s)]


def _on_key(state: CounterState, key: Key) -> tuple[CounterState, list[Effect]]:
    """A digit edits the typed buffer; a function key does what its rule in ``KEY_RULES`` says."""
    if key.digit is not None:
        return _on_digit(state, key.digit)
    rule = key_rule(state, key)
    typed = state.typed
    state, fx = _clear_typed(state)
    if rule is None:
        return state, [*fx, *_error(state.config.texts.kp_bad_entry)]
    return _act(state, fx, rule, typed)


def _act(
    state: CounterState, fx: list[Effect], rule: KeyRule, typed: str
) -> tuple[CounterState, list[Effect]]:
    """Interpret one key rule; ``fx`` are the effects of forgetting the typed digits."""
    t = state.config.texts
    services = state.config.services

    def refuse(line: str) -> tuple[CounterState, list[Effect]]:
        return state, [*fx, *_error(line)]

    def req(then: tuple[Queued, ...] = (), **fields: Any) -> tuple[CounterState, list[Effect]]:
        s, more = _request(state, rule.op, then=then, **fields)
        return s, [*fx, *more]

    does = rule.does
    if does is Does.SEND:
        return req()
    if does is Does.TICKET:
        ticket = ticket_from_digits(typed, services)
        return req(ticket=ticket) if ticket else refuse(t.kp_bad_entry)
    if does is Does.HELD_TICKET:
        return req(ticket=state.view.held[0])
    if does is Does.TARGET:
        target = transfer_from_digits(typed, services)
        if target is None:
            return refuse(t.kp_bad_entry)
        return req(to_service=target.to_service, to_counter=target.to_counter)
    if does is Does.TELLER:
        # The typed teller number logs in; ``then`` (open the counter) once that succeeds.
        follow = Queued(rule.then, {"counter": state.config.counter}, "follow")
        return req((follow,) if rule.then else (), teller=typed)
    if does is Does.REASON:
        reason = PAUSE_REASONS.get(typed)
        return req(reason=reason) if reason else refuse(t.kp_bad_entry)
    if does is Does.ASK:
        state = replace(state, transfer_mode=True)
        ask = StartTimer(T_ENTRY, state.config.entry_timeout_s)
        return state, [*fx, _kp(_answer(t, rule)), ask]
    if does is Does.FORGET:
        return state, [*fx, _kp(idle_line(state))]
    return refuse(_answer(t, rule))  # Does.REFUSE


def _answer(texts: Texts, rule: KeyRule) -> str:
    """The keypad line a rule names (a field of ``Texts``)."""
    return str(getattr(texts, rule.answer))


# ---------------------------------------------------------------- rating


def _rating_value(value: int, scale: int) -> int:
    """Pad values are on the 5-point scale; a 3-point branch maps 1-2/3/4-5 to 1/2/3."""
    value = min(max(value, 1), 5)
    if scale == 5:
        return value
    return 1 if value <= 2 else (2 if value == 3 else 3)


def _reason_code(reason: int) -> str | None:
    try:
        r = Reason(reason)
    except ValueError:
        return "other"
    return None if r == Reason.NONE else r.name.lower()


def _on_rating(state: CounterState, ev: RatingPressed) -> tuple[CounterState, list[Effect]]:
    if state.rating_for is None:
        return state, []  # a key pressed with no prompt showing means nothing
    scale = state.config.rating_scale
    fields: dict[str, Any] = {
        "counter": state.config.counter,
        "value": _rating_value(ev.value, scale),
        "scale": scale,
    }
    code = _reason_code(ev.reason)
    if code is not None:
        fields["reason"] = code
    state = replace(
        state,
        rating_for=None,
        thanks=True,
        backlog=(*state.backlog, Queued("rate", fields, "rating")),
    )
    fx: list[Effect] = [
        RatingPrompt(False),
        CancelTimer(T_RATING),
        StartTimer(T_THANKS, state.config.thanks_s),
    ]
    return _then_drain(state, fx)


def _prompt_rating(state: CounterState, number: str) -> tuple[CounterState, list[Effect]]:
    timeout = state.config.rating_timeout_s
    state = replace(state, rating_for=number, thanks=False)
    fx: list[Effect] = [RatingPrompt(True, timeout)]
    if timeout > 0:
        fx.append(StartTimer(T_RATING, timeout))
    return state, fx


# ---------------------------------------------------------------- replies


def _on_reply(state: CounterState, ev: Replied) -> tuple[CounterState, list[Effect]]:
    p = state.pending
    if p is None or p.n != ev.n:
        return state, []  # a late answer to something already given up on
    t = state.config.texts
    state = replace(state, pending=None, engine_ok=True)
    fx: list[Effect] = []
    if not ev.ok:
        if p.origin != "rating":
            fx += _error(t.refusal(ev.code))
        return _then_drain(state, fx)
    state = replace(state, view=apply_events(state.view, state.config.counter, ev.events))
    if p.then:
        state = replace(state, backlog=(*p.then, *state.backlog))
    counter = state.config.counter
    finished = _last(ev.events, counter, ce.TicketFinished)
    called = _last(ev.events, counter, ce.TicketCalled)
    if p.origin == "rating":
        fx.append(_kp(t.kp_rated.format(value=p.fields.get("value"), scale=p.fields.get("scale"))))
    elif called is not None:
        again = called.recall or p.op == "recall"
        fx += [
            Beep(BeepPattern.DOUBLE),
            _kp((t.kp_recalled if again else t.kp_called).format(number=called.number)),
            StartTimer(T_BLINK, state.config.call_blink_s),
        ]
        state = replace(state, blink=True, thanks=False)
    elif p.op == "transfer":
        target = p.fields.get("to_service") or t.counter_target.format(
            counter=p.fields.get("to_counter")
        )
        fx += [Beep(BeepPattern.SHORT), _kp(t.kp_transferred.format(target=target))]
    elif p.op == "hold":
        held = _last(ev.events, counter, ce.TicketHeld)
        fx += [Beep(BeepPattern.SHORT), _kp(t.kp_held.format(number=held.number if held else ""))]
    elif not state.backlog or state.backlog[0].origin != "follow":
        fx += [
            Beep(BeepPattern.SHORT),
            _kp(t.kp_done if p.op in ("finish", "no_show") else idle_line(state)),
        ]
    if finished is not None:
        state, more = _prompt_rating(state, finished.number)
        fx += more
    return _then_drain(state, fx)


def _on_no_reply(state: CounterState, ev: NoReply) -> tuple[CounterState, list[Effect]]:
    p = state.pending
    if p is None or p.n != ev.n:
        return state, []
    state = replace(state, pending=None, engine_ok=False)
    return _then_drain(state, [Beep(BeepPattern.LONG), _kp(state.config.texts.kp_offline)])


# ---------------------------------------------------------------- the step


def step(state: CounterState, event: Event) -> tuple[CounterState, list[Effect]]:
    """Advance the counter by one event; the effects are in the order to perform them."""
    fx: list[Effect]
    if isinstance(event, KeyPressed):
        state, fx = _on_key(state, event.key)
    elif isinstance(event, RatingPressed):
        state, fx = _on_rating(state, event)
    elif isinstance(event, Replied):
        state, fx = _on_reply(state, event)
    elif isinstance(event, NoReply):
        state, fx = _on_no_reply(state, event)
    elif isinstance(event, Snapshot):
        state, fx = _on_snapshot(state, event)
    elif isinstance(event, WaitAlert):
        state, fx = _on_wait_alert(state, event)
    elif isinstance(event, TimerFired):
        state, fx = _on_timer(state, event.name)
    elif isinstance(event, LinkChanged):
        state = replace(state, link_up=event.up)
        t = state.config.texts
        fx = [_kp(idle_line(state) if event.up else t.kp_link_down)]
    elif isinstance(event, DeviceChanged):
        state, fx = _on_device(state, event)
    else:  # pragma: no cover - the union is closed
        raise FlowError(f"unknown event {event!r}")
    state, shown = render(state)
    # The strip first: it is what the customer waits for; the keypad can follow.
    return state, [*shown, *fx]


def _on_snapshot(state: CounterState, ev: Snapshot) -> tuple[CounterState, list[Effect]]:
    """Take the engine's retained view if it is newer; say so when what the teller sees changed."""
    if ev.seq < state.view.seq:
        return state, []
    before = state.view
    state = replace(state, view=_view_from_snapshot(ev.state, ev.seq), engine_ok=True)
    after = state.view
    if before.current != after.current and after.current is None:
        state = replace(state, blink=False)
    seen = (before.teller, before.status, before.current)
    changed = seen != (after.teller, after.status, after.current)
    if changed and state.pending is None and not state.typed:
        return state, [_kp(idle_line(state))]
    return state, []


def _on_wait_alert(state: CounterState, ev: WaitAlert) -> tuple[CounterState, list[Effect]]:
    """Someone this counter serves has waited too long: tell the teller, if open."""
    if ev.service not in state.view.services or state.view.status != OPEN:
        return state, []
    fx: list[Effect] = [Beep(BeepPattern.LONG)]
    if not state.typed and not state.transfer_mode and state.pending is None:
        minutes = max(1, round(ev.waited_s / 60))
        fx.append(_kp(state.config.texts.kp_over_wait.format(number=ev.number, minutes=minutes)))
    return state, fx


def _on_timer(state: CounterState, name: str) -> tuple[CounterState, list[Effect]]:
    if name == T_RATING and state.rating_for is not None:
        return replace(state, rating_for=None), [
            RatingPrompt(False),
            _kp(state.config.texts.kp_unrated),
        ]
    if name == T_BLINK:
        return replace(state, blink=False), []
    if name == T_THANKS:
        return replace(state, thanks=False), []
    if name == T_ENTRY and (state.typed or state.transfer_mode):
        state = replace(state, typed="", transfer_mode=False)
        return state, [_kp(idle_line(state))]
    return state, []


def _on_device(state: CounterState, ev: DeviceChanged) -> tuple[CounterState, list[Effect]]:
    down = state.devices_down - {ev.part} if ev.online else state.devices_down | {ev.part}
    state = replace(state, devices_down=down)
    if not ev.online:
        return state, []
    # A device that (re)starts has forgotten what it showed: send it again.
    if ev.part == "strip":
        return replace(state, strip_shown=None), []
    if ev.part == "keypad":
        return replace(state, leds_shown=None), [_kp(idle_line(state))]
    if ev.part == "ratingpad" and state.rating_for is not None:
        return state, [RatingPrompt(True, state.config.rating_timeout_s)]
    return state, []


def boot(state: CounterState) -> tuple[CounterState, list[Effect]]:
    """What the counter shows before it hears from anyone: the welcome line and its LEDs."""
    state, fx = render(state)
    return state, [_kp(idle_line(state)), *fx]
