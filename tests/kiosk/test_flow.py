"""The kiosk flow as event scripts: what the customer does, what the kiosk does."""

from __future__ import annotations

from dataclasses import replace

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
    next_wakeup,
    step,
)

RULES = Rules(services=("A", "B", "D"), machine_services=frozenset({"D"}), slides=3, debounce_s=0.0)
WALL = 1_800_000_000.0


def run(events: list[Event], state: FlowState | None = None) -> tuple[FlowState, list[object]]:
    s = state or initial(RULES)
    effects: list[object] = []
    for ev in events:
        s, eff = step(s, ev, RULES)
        effects.extend(eff)
    return s, effects


def ticket(number: str = "A001", service: str = "A") -> IssuedTicket:
    return IssuedTicket(number, service, 3, 600.0)


def customer(tier: str = "normal", appt: Appointment | None = None) -> Customer:
    return Customer("card", "ab" * 32, "**** 0017", tier, appt)


def test_walk_in_chooses_skips_identification_and_gets_a_ticket() -> None:
    s, eff = run([Tap("start", 1), Tap("svc:A", 2)])
    assert s.screen == "identify" and eff == []
    s, eff = run([Tap("skip", 3)], s)
    assert s.screen == "issuing"
    assert eff == [RequestTicket(1, "A", "normal", None, None, "zh-Hans")]
    s, eff = run([Issued(1, ticket(), 3.1)], s)
    assert s.screen == "ticket" and s.printing == "printing"
    assert eff == [PrintTicket(1, ticket(), "zh-Hans")]
    s, _ = run([Printed(1, None, 3.2)], s)
    assert s.printing == "printed"


def test_choosing_a_language_on_welcome_opens_the_menu_in_it() -> None:
    s, _ = run([Tap("lang:es", 1)])
    assert s.screen == "ask" and s.lang == "es"
    s, _ = run([Tap("lang:zh-Hant", 2)], s)
    assert s.screen == "ask" and s.lang == "zh-Hant"


def test_machine_business_suggests_the_machine_first() -> None:
    s, _ = run([Tap("start", 1), Tap("svc:D", 2)])
    assert s.screen == "machine"
    left, eff = run([Tap("use_machine", 3)], s)
    assert left.screen == "welcome" and eff == [] and left.service is None
    s, _ = run([Tap("take_ticket", 3)], s)
    assert s.screen == "identify" and s.service == "D"


def test_regular_who_swipes_at_welcome_gets_a_ticket_with_one_more_tap() -> None:
    s, _ = run([Identified(customer("vip"), 1, WALL)])
    assert s.screen == "ask" and s.hint == "vip"
    s, eff = run([Tap("svc:B", 2)], s)
    assert s.screen == "issuing"
    req = eff[0]
    assert isinstance(req, RequestTicket)
    assert req.customer_class == "vip"
    assert req.identity == {"kind": "card", "hash": "ab" * 32, "masked": "**** 0017"}


def test_due_appointment_checks_in_without_the_menu() -> None:
    appt = Appointment("r" * 32, WALL + 300, "B")
    s, eff = run([Identified(customer("normal", appt), 1, WALL)])
    assert s.screen == "issuing" and s.hint == "appointment"
    req = eff[0]
    assert isinstance(req, RequestTicket)
    assert (req.service, req.customer_class, req.appointment) == ("B", "appointment", appt)


def test_appointment_not_due_is_served_as_a_walk_in_and_told_so() -> None:
    appt = Appointment("r" * 32, WALL + 5 * 3600, "B")
    s, eff = run([Tap("start", 0), Tap("svc:A", 1), Identified(customer("normal", appt), 2, WALL)])
    req = eff[0]
    assert isinstance(req, RequestTicket)
    assert req.customer_class == "normal" and req.appointment is None
    assert s.hint == "appointment_not_due"


def test_priority_care_is_available_on_every_step_and_wins() -> None:
    s, _ = run([Tap("care", 0), Tap("start", 1), Tap("svc:A", 2)])
    assert s.care
    s, eff = run([Identified(customer("vip"), 3, WALL)], s)
    req = eff[0]
    assert isinstance(req, RequestTicket) and req.customer_class == "care"


def test_engine_unreachable_shows_the_failure_and_issues_nothing() -> None:
    s, _ = run([Tap("start", 1), Tap("svc:A", 2), Tap("skip", 3)])
    s, eff = run([IssueFailed(1, "unavailable", "timeout", 6)], s)
    assert s.screen == "engine_down" and s.ticket is None and eff == []
    s, _ = run([Tap("ok", 7)], s)
    assert s.screen == "welcome"


def test_refusal_shows_its_own_screen() -> None:
    s, _ = run([Tap("start", 1), Tap("svc:A", 2), Tap("skip", 3)])
    s, _ = run([IssueFailed(1, "refused", "service_closed", 4)], s)
    assert s.screen == "refused"


def test_printer_failure_keeps_the_number_on_screen_longer() -> None:
    s, _ = run([Express("A", now=0), Issued(1, ticket(), 0.1), Printed(1, "paper_out", 0.2)])
    assert s.screen == "ticket" and s.printing == "failed" and s.print_error == "paper_out"
    s, _ = run([Tick(0.1 + RULES.ticket_s + 1)], s)
    assert s.screen == "ticket", "a failed print keeps the number up for twice as long"
    s, _ = run([Tick(0.1 + 2 * RULES.ticket_s + 1)], s)
    assert s.screen == "welcome"


def test_the_ticket_screen_waits_for_the_printer_before_leaving() -> None:
    s, _ = run([Express("A", now=0), Issued(1, ticket(), 0.1)])
    s, _ = run([Tick(RULES.ticket_s + 5)], s)
    assert s.screen == "ticket"
    s, _ = run([Printed(1, "slow", RULES.ticket_s + 6), Printed(1, None, RULES.ticket_s + 7)], s)
    assert s.printing == "failed", "the first answer (the watchdog's) stands"


def test_idle_timeout_drops_everything_half_done() -> None:
    s, _ = run([Tap("lang:en", 0), Tap("care", 1), Identified(customer("vip"), 2, WALL)])
    s, _ = run([Tap("svc:A", 3)], replace(s, screen="ask"))
    s, _ = run([IssueFailed(1, "refused", "x", 4)], s)
    s, _ = run([Tap("start", 4.5)], replace(s, screen="welcome"))
    s, _ = run([Tap("svc:B", 5)], s)
    assert s.screen == "identify"
    s, _ = run([Tick(5 + RULES.idle_s + 0.1)], s)
    assert s.screen == "welcome"
    assert (s.customer, s.service, s.care, s.lang, s.large) == (None, None, False, "zh-Hans", False)


def test_issuing_never_times_out_on_the_screen() -> None:
    s, _ = run([Express("A", now=0)])
    assert next_wakeup(s, RULES) is None
    s, _ = run([Tick(10_000)], s)
    assert s.screen == "issuing"


def test_taps_while_issuing_are_ignored() -> None:
    s, _ = run([Express("A", now=0)])
    same, eff = run([Tap("done", 1), Tap("svc:B", 1)], s)
    assert same == s and eff == []


def test_a_stale_reply_is_not_shown() -> None:
    s, _ = run([Express("A", now=0), IssueFailed(1, "unavailable", "t", 3), Tap("ok", 4)])
    s2, eff = run([Issued(1, ticket(), 5)], s)
    assert s2 == s and eff == []


def test_express_requests_queue_behind_an_issue_in_flight() -> None:
    s, eff = run([Express("A", now=0), Express("B", now=0.01)])
    assert len(eff) == 1 and len(s.express) == 1
    s, eff = run([Issued(1, ticket(), 0.1)], s)
    kinds = [type(e).__name__ for e in eff]
    assert kinds == ["PrintTicket", "RequestTicket"]
    assert s.screen == "issuing" and s.service == "B" and s.express == ()


def test_unknown_service_and_language_are_ignored() -> None:
    s, eff = run([Tap("start", 0), Tap("svc:Z", 1), Tap("lang:fr", 2), Express("Z", now=3)])
    assert s.screen == "ask" and s.lang == "zh-Hans" and eff == []


def test_read_failure_shows_a_hint_only_where_it_helps() -> None:
    s, _ = run([Tap("start", 0), Tap("svc:A", 1), IdentifyFailed("bad-swipe", 2)])
    assert s.hint == "read_failed" and s.screen == "identify"
    t, _ = run([Express("A", now=0), IdentifyFailed("bad-swipe", 1)])
    assert t.hint is None


def test_slides_advance_only_on_welcome() -> None:
    s = initial(RULES, 0)
    assert next_wakeup(s, RULES) == RULES.slide_s
    s, _ = run([Tick(RULES.slide_s)], s)
    assert s.slide == 1
    s, _ = run([Tick(RULES.slide_s * 3)], s)
    assert s.slide == 2


def test_notice_and_link_are_kept_across_customers() -> None:
    s, _ = run([NoticeChanged({"notice": "power_cut"}, 0), EngineLink(False, 0)])
    s, _ = run([Tap("start", 1), Tick(1 + RULES.idle_s + 1)], s)
    assert s.notice == {"notice": "power_cut"} and s.engine_up is False


def test_a_double_tap_does_not_press_the_next_screens_button() -> None:
    rules = replace(RULES, debounce_s=0.25)
    s = initial(rules, 0)
    s, _ = step(s, Tap("start", 1.0), rules)
    s, _ = step(s, Tap("svc:A", 1.1), rules)
    assert s.screen == "ask" and s.service is None
    s, _ = step(s, Tap("svc:A", 1.3), rules)
    assert s.screen == "identify"


def test_care_or_large_text_left_on_at_welcome_is_reset_for_the_next_customer() -> None:
    s, _ = run([Tap("care", 1), Tap("large", 2)])
    assert s.screen == "welcome" and s.care and s.large
    s, _ = run([Tick(2 + RULES.idle_s + 0.1)], s)
    assert not s.care and not s.large
    assert next_wakeup(s, RULES) == s.slide_since + RULES.slide_s


def test_care_customer_with_a_due_appointment_still_checks_in() -> None:
    appt = Appointment("r" * 32, WALL, "B")
    s, eff = run([Tap("care", 0), Identified(customer("normal", appt), 1, WALL)])
    req = eff[0]
    assert isinstance(req, RequestTicket) and s.screen == "issuing"
    assert req.customer_class == "care" and req.appointment == appt and req.service == "B"
