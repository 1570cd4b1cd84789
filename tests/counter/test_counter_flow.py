"""The counter flow as event scripts: keys in, commands and feedback out."""

from __future__ import annotations

from dataclasses import fields, replace
from typing import Any

import pytest
from flowkit import called, finished, make_state, run, sends

from counter.flow import (
    T_BLINK,
    T_RATING,
    Beep,
    CounterState,
    DeviceChanged,
    KeypadLeds,
    KeypadText,
    KeyPressed,
    LinkChanged,
    Logged,
    NoReply,
    RatingPressed,
    RatingPrompt,
    Replied,
    Snapshot,
    StartTimer,
    StripShow,
    TimerFired,
    WaitAlert,
    boot,
    step,
)
from counter.keys import KEY_RULES, Does
from counter.texts import Texts
from drivers.keypad.codes import BeepPattern, Key, KeypadLed
from drivers.ratingpad.codes import KEYS_3, Rating
from lobbyq.core import events as ce

D = Key.for_digit


def keys(*ks: Key) -> list[KeyPressed]:
    return [KeyPressed(k) for k in ks]


def digits(text: str) -> list[KeyPressed]:
    return [KeyPressed(D(int(c))) for c in text]


def last(effects: list[Any], kind: type) -> Any:
    found = [e for e in effects if isinstance(e, kind)]
    assert found, f"no {kind.__name__} in {effects}"
    return found[-1]


# -- which command each key sequence sends ------------------------------------------

KEY_TABLE: list[tuple[str, dict[str, Any], str, list[KeyPressed], str, dict[str, Any]]] = [
    # name, view, typed, keys, op, fields (besides counter)
    ("call next", {}, "", keys(Key.CALL), "call_next", {}),
    ("call a ticket", {}, "1007", keys(Key.CALL), "call_ticket", {"ticket": "A007"}),
    ("call a ticket with enter", {}, "3012", keys(Key.ENTER), "call_ticket", {"ticket": "C012"}),
    ("recall", {"current": "A001"}, "", keys(Key.RECALL), "recall", {}),
    ("call back typed", {}, "2005", keys(Key.RECALL), "call_back", {"ticket": "B005"}),
    (
        "call back only held",
        {"held": ("D004",)},
        "",
        keys(Key.RECALL),
        "call_back",
        {"ticket": "D004"},
    ),
    ("no show", {"current": "A001"}, "", keys(Key.NO_SHOW), "no_show", {}),
    ("hold", {"current": "A001"}, "", keys(Key.HOLD), "hold", {}),
    ("finish", {"current": "A001"}, "", keys(Key.FINISH), "finish", {}),
    (
        "transfer to service",
        {"current": "A001"},
        "2",
        keys(Key.TRANSFER),
        "transfer",
        {"to_service": "B"},
    ),
    (
        "transfer to counter",
        {"current": "A001"},
        "04",
        keys(Key.TRANSFER),
        "transfer",
        {"to_counter": "4"},
    ),
    (
        "transfer asked",
        {"current": "A001"},
        "",
        [*keys(Key.TRANSFER), *digits("03"), KeyPressed(Key.ENTER)],
        "transfer",
        {"to_counter": "3"},
    ),
    ("pause break", {}, "", keys(Key.PAUSE), "pause", {"reason": "break"}),
    ("pause lunch", {}, "2", keys(Key.PAUSE), "pause", {"reason": "lunch"}),
    ("pause other", {}, "3", keys(Key.PAUSE), "pause", {"reason": "other"}),
    ("resume", {"status": "paused"}, "", keys(Key.PAUSE), "resume", {}),
    ("close", {}, "0", keys(Key.PAUSE), "close_counter", {}),
    ("reopen", {"status": "closed"}, "", keys(Key.PAUSE), "open_counter", {}),
    ("logout", {}, "", keys(Key.LOGIN), "logout", {}),
    ("logout when closed", {"status": "closed"}, "", keys(Key.LOGIN), "logout", {}),
    (
        "login",
        {"teller": None, "status": "closed"},
        "5566",
        keys(Key.LOGIN),
        "login",
        {"teller": "5566"},
    ),
    (
        "login with enter",
        {"teller": None, "status": "closed"},
        "77",
        keys(Key.ENTER),
        "login",
        {"teller": "77"},
    ),
]


@pytest.mark.parametrize(
    ("view", "typed", "presses", "op", "fields"),
    [row[1:] for row in KEY_TABLE],
    ids=[row[0] for row in KEY_TABLE],
)
def test_keys_send_the_right_command(
    view: dict[str, Any], typed: str, presses: list[KeyPressed], op: str, fields: dict[str, Any]
) -> None:
    base = {"status": "open", "teller": "1024", "seq": 5, **view}
    state = make_state(**base)
    state, fx = run(state, [*digits(typed), *presses])
    sent = sends(fx)
    assert [(s.op, dict(s.fields)) for s in sent] == [(op, {"counter": "3", **fields})]
    assert state.pending is not None and state.pending.op == op
    assert state.typed == "" and not state.transfer_mode


BAD_ENTRIES = [
    ("ticket of a service that does not exist", "9001", Key.CALL),
    ("ticket number zero", "1000", Key.CALL),
    ("ticket number too wide", "11234", Key.CALL),
    ("transfer to nowhere", "7", Key.TRANSFER),
    ("unknown pause reason", "5", Key.PAUSE),
    ("digits before finish", "12", Key.FINISH),
]


@pytest.mark.parametrize(
    ("typed", "key"), [r[1:] for r in BAD_ENTRIES], ids=[r[0] for r in BAD_ENTRIES]
)
def test_bad_entries_are_refused_at_the_keypad(
    open_counter: CounterState, typed: str, key: Key
) -> None:
    state, fx = run(open_counter, [*digits(typed), KeyPressed(key)])
    assert sends(fx) == []
    assert Beep(BeepPattern.ERROR) in fx
    assert last(fx, KeypadText).text == "输入无效 invalid"
    assert state.typed == ""


def test_typing_a_ticket_shows_what_will_be_called(open_counter: CounterState) -> None:
    _, fx = run(open_counter, digits("1023"))
    assert last(fx, KeypadText).text == "叫号 A023?"
    assert StartTimer("entry", 20.0) in fx


def test_typed_digits_expire(open_counter: CounterState) -> None:
    state, _ = run(open_counter, digits("12"))
    state, fx = step(state, TimerFired("entry"))
    assert state.typed == ""
    assert last(fx, KeypadText).text == "1024 就绪"


# -- outcomes felt at the keypad ------------------------------------------------------


def test_call_shows_the_number_on_strip_and_keypad(open_counter: CounterState) -> None:
    state, fx = run(open_counter, keys(Key.CALL))
    n = sends(fx)[0].n
    state, fx = step(state, Replied(n, True, events=(called("A023"),)))
    assert Beep(BeepPattern.DOUBLE) in fx
    assert last(fx, KeypadText).text == "已叫 A023"
    assert last(fx, StripShow) == StripShow("A023 请到3号窗口", blink=True)
    assert StartTimer(T_BLINK, 10.0) in fx
    assert last(fx, KeypadLeds).mask & KeypadLed.SERVING
    assert state.view.current == "A023" and state.view.seq == 11 and state.pending is None
    state, fx = step(state, TimerFired(T_BLINK))
    assert fx == [StripShow("A023 请到3号窗口", blink=False)]


def test_queue_empty_and_refusals_beep_and_say_why(open_counter: CounterState) -> None:
    state, fx = run(open_counter, keys(Key.CALL))
    state, fx = step(state, Replied(sends(fx)[0].n, False, "queue_empty", "nobody is waiting"))
    assert Beep(BeepPattern.ERROR) in fx
    assert last(fx, KeypadText).text == "无人等候 empty"
    state, fx = run(state, keys(Key.FINISH))
    state, fx = step(state, Replied(sends(fx)[0].n, False, "some_new_code", "a new rule"))
    assert last(fx, KeypadText).text == "拒绝 some_new_code"
    assert state.pending is None


def test_no_answer_is_an_offline_signal_never_silence(open_counter: CounterState) -> None:
    state, fx = run(open_counter, keys(Key.CALL))
    state, fx = step(state, NoReply(sends(fx)[0].n))
    assert Beep(BeepPattern.LONG) in fx
    assert last(fx, KeypadText).text == "引擎离线 offline"
    mask = last(fx, KeypadLeds).mask
    assert not mask & KeypadLed.ONLINE and mask & KeypadLed.ALERT
    # the next answer clears it
    state, fx = run(state, keys(Key.CALL))
    state, fx = step(state, Replied(sends(fx)[0].n, True, events=(called("A001"),)))
    assert last(fx, KeypadLeds).mask & KeypadLed.ONLINE


def test_second_key_while_in_flight_is_busy_not_a_second_call(open_counter: CounterState) -> None:
    _, fx = run(open_counter, keys(Key.CALL, Key.CALL))
    assert len(sends(fx)) == 1
    assert last(fx, KeypadText).text == "处理中 wait"


def test_late_reply_after_giving_up_is_ignored(open_counter: CounterState) -> None:
    state, fx = run(open_counter, keys(Key.CALL))
    n = sends(fx)[0].n
    state, _ = step(state, NoReply(n))
    state2, fx = step(state, Replied(n, True, events=(called("A001"),)))
    assert fx == [] and state2 == state


def test_login_then_opens_the_counter() -> None:
    state = make_state(status="closed", teller=None, seq=3)
    state, fx = run(state, [*digits("5566"), KeyPressed(Key.LOGIN)])
    login = sends(fx)[0]
    ev = Logged(4, ce.TellerLoggedIn(0.0, "3", "5566"))
    state, fx = step(state, Replied(login.n, True, events=(ev,)))
    assert [(s.op, dict(s.fields)) for s in sends(fx)] == [("open_counter", {"counter": "3"})]
    assert not any(isinstance(e, Beep) for e in fx)  # one beep when it is all done
    ev = Logged(5, ce.CounterOpened(0.0, "3", "5566"))
    state, fx = step(state, Replied(sends(fx)[0].n, True, events=(ev,)))
    assert Beep(BeepPattern.SHORT) in fx
    assert last(fx, KeypadText).text == "5566 就绪"
    assert last(fx, StripShow).text == "欢迎光临 Welcome"
    assert state.view.status == "open" and state.view.teller == "5566"


def test_refused_login_does_not_open(open_counter: CounterState) -> None:
    state = make_state(status="closed", teller=None)
    state, fx = run(state, [*digits("1"), KeyPressed(Key.LOGIN)])
    state, fx = step(state, Replied(sends(fx)[0].n, False, "unknown_teller", "no such teller"))
    assert sends(fx) == [] and state.backlog == ()


def test_pause_shows_paused_on_strip(open_counter: CounterState) -> None:
    state, fx = run(open_counter, keys(Key.PAUSE))
    ev = Logged(12, ce.CounterPaused(0.0, "3", "1024", "break"))
    state, fx = step(state, Replied(sends(fx)[0].n, True, events=(ev,)))
    assert last(fx, StripShow).text == "暂停服务 请稍候 Paused"
    assert last(fx, KeypadLeds).mask & KeypadLed.PAUSED


# -- rating ----------------------------------------------------------------------------


def serving(number: str = "A023") -> CounterState:
    return make_state(status="open", teller="1024", current=number, seq=10)


def test_finish_prompts_the_rating_pad_and_the_rating_goes_to_the_engine() -> None:
    state, fx = run(serving(), keys(Key.FINISH))
    state, fx = step(state, Replied(sends(fx)[0].n, True, events=(finished("A023"),)))
    assert RatingPrompt(True, 30.0) in fx and StartTimer(T_RATING, 30.0) in fx
    assert last(fx, KeypadText).text == "完成 done"
    assert last(fx, StripShow).text == "欢迎光临 Welcome"
    state, fx = step(state, RatingPressed(5))
    assert RatingPrompt(False) in fx
    rate = sends(fx)
    assert [(s.op, dict(s.fields)) for s in rate] == [
        ("rate", {"counter": "3", "value": 5, "scale": 5})
    ]
    assert last(fx, StripShow).text == "谢谢您的评价 Thank you"
    state, fx = step(state, Replied(rate[0].n, True))
    assert last(fx, KeypadText).text == "评价 5/5"
    # a second press means nothing: one rating per service
    state, fx = step(state, RatingPressed(1))
    assert sends(fx) == []


def test_unhappy_rating_carries_its_reason_and_a_3_point_scale() -> None:
    state = serving()
    state = CounterState(
        config=state.config.__class__(counter="3", rating_scale=3), view=state.view, link_up=True
    )
    state, fx = run(state, keys(Key.FINISH))
    state, fx = step(state, Replied(sends(fx)[0].n, True, events=(finished("A023"),)))
    state, fx = step(state, RatingPressed(1, reason=0x03))
    assert dict(sends(fx)[0].fields) == {
        "counter": "3",
        "value": 1,
        "scale": 3,
        "reason": "slow_service",
    }


def test_rating_timeout_turns_the_prompt_off() -> None:
    state, fx = run(serving(), keys(Key.FINISH))
    state, fx = step(state, Replied(sends(fx)[0].n, True, events=(finished("A023"),)))
    state, fx = step(state, TimerFired(T_RATING))
    assert RatingPrompt(False) in fx and last(fx, KeypadText).text == "未评价 unrated"
    state, fx = step(state, RatingPressed(5))
    assert sends(fx) == []


def test_call_that_finishes_the_current_customer_prompts_a_rating() -> None:
    state, fx = run(serving("A023"), keys(Key.CALL))
    evs = (finished("A023", 20), called("A024", 21))
    state, fx = step(state, Replied(sends(fx)[0].n, True, events=evs))
    assert RatingPrompt(True, 30.0) in fx
    assert state.view.current == "A024" and state.rating_for == "A023"


def test_rating_during_a_teller_command_waits_and_is_not_lost() -> None:
    state, fx = run(serving(), keys(Key.FINISH))
    state, fx = step(state, Replied(sends(fx)[0].n, True, events=(finished("A023"),)))
    state, fx = run(state, keys(Key.CALL))
    call = sends(fx)[0]
    state, fx = step(state, RatingPressed(4))
    assert sends(fx) == [] and len(state.backlog) == 1
    state, fx = step(state, Replied(call.n, True, events=(called("A024", 22),)))
    assert [s.op for s in sends(fx)] == ["rate"]


# -- restore, links, devices ---------------------------------------------------------


def test_reboot_restores_from_the_retained_counter_state() -> None:
    state = make_state()
    state, fx = boot(state)
    assert last(fx, StripShow).text == "暂停服务 Closed"  # until the engine says otherwise
    snap = {
        "id": "3",
        "status": "open",
        "teller": "1024",
        "current": {"number": "B007"},
        "held": [{"number": "A002"}],
    }
    state, fx = step(state, Snapshot(40, snap))
    assert state.view.current == "B007" and state.view.held == ("A002",)
    assert last(fx, StripShow).text == "B007 请到3号窗口"
    assert last(fx, KeypadText).text == "B007 服务中"
    # an older snapshot never wins over newer news
    state, fx = step(state, Snapshot(39, {"status": "closed"}))
    assert state.view.status == "open" and fx == []


def test_reply_events_older_than_the_snapshot_are_skipped() -> None:
    state = make_state(status="open", teller="1024", current="B007", seq=50)
    state, fx = run(state, keys(Key.RECALL))
    state, fx = step(state, Replied(sends(fx)[0].n, True, events=(called("A001", seq=49),)))
    assert state.view.current == "B007"


def test_link_down_and_device_back_online(open_counter: CounterState) -> None:
    state, fx = step(open_counter, LinkChanged(False))
    assert last(fx, KeypadText).text == "网络断开 no link"
    assert not last(fx, KeypadLeds).mask & KeypadLed.ONLINE
    state, fx = step(state, DeviceChanged("strip", False))
    assert last(fx, KeypadLeds).mask & KeypadLed.ALERT
    state, fx = step(state, DeviceChanged("strip", True))
    # the strip forgot its text when it restarted: it is sent again
    assert any(isinstance(e, StripShow) for e in fx)


def test_every_refusal_the_core_knows_has_a_short_keypad_line() -> None:
    import importlib
    import re

    from counter.texts import REFUSALS
    from drivers.bus.text import ENCODING

    doc = importlib.import_module("lobbyq.core.apply").__doc__ or ""
    codes = re.findall(r"[a-z_]+", doc[doc.index("Refusal codes:") + 14 :].split(".")[0])
    assert len(codes) > 20
    assert sorted(set(codes) - set(REFUSALS)) == []
    for line in REFUSALS.values():
        assert len(line.encode(ENCODING)) <= 32, line


def test_an_over_long_wait_for_this_counter_is_heard() -> None:
    state, _ = boot(make_state(status="open", teller="1024", services=("C", "D"), seq=3))
    state, fx = step(state, WaitAlert("D", "D004", 1850.0))
    assert fx[0] == Beep(BeepPattern.LONG)
    assert last(fx, KeypadText).text == "超时 D004 等31分"
    # another counter's service, or a closed counter: nothing
    assert step(state, WaitAlert("A", "A001", 2000.0))[1] == []
    closed, _ = boot(make_state(status="closed", teller="1024", services=("C",)))
    assert step(closed, WaitAlert("C", "C001", 2000.0))[1] == []
    # while the teller types, the beep alone: the typed digits stay on the line
    typing, _ = run(state, digits("10"))
    _, fx = step(typing, WaitAlert("C", "C002", 1900.0))
    assert fx == [Beep(BeepPattern.LONG)]
    assert typing.typed == "10"


def test_the_snapshot_tells_the_counter_its_services() -> None:
    state, _ = step(make_state(), Snapshot(5, {"status": "open", "services": ["C", "D"]}))
    assert state.view.services == ("C", "D")


# -- the rating scale ---------------------------------------------------------------


def _rated(scale: int, pad_value: int) -> dict[str, Any]:
    """The ``rate`` fields sent when the pad sends ``pad_value`` at a ``scale``-point counter."""
    base = serving()
    config = replace(base.config, rating_scale=scale)
    state = replace(base, config=config, view=base.view)
    state, fx = run(state, keys(Key.FINISH))
    state, fx = step(state, Replied(sends(fx)[0].n, True, events=(finished("A023"),)))
    state, fx = step(state, RatingPressed(pad_value))
    return dict(sends(fx)[0].fields)


@pytest.mark.parametrize(
    ("pad_value", "value"),
    [(1, 1), (2, 1), (3, 2), (4, 3), (5, 3)],
    ids=["very unsatisfied", "unsatisfied", "average", "satisfied", "very satisfied"],
)
def test_a_5_key_pad_value_maps_onto_the_3_point_scale(pad_value: int, value: int) -> None:
    assert _rated(3, pad_value) == {"counter": "3", "value": value, "scale": 3}


@pytest.mark.parametrize(("rating", "value"), [(KEYS_3[0], 1), (KEYS_3[1], 2), (KEYS_3[2], 3)])
def test_each_key_of_a_3_key_pad_is_one_point_of_the_3_point_scale(
    rating: Rating, value: int
) -> None:
    assert _rated(3, int(rating))["value"] == value


@pytest.mark.parametrize("pad_value", [1, 2, 3, 4, 5])
def test_a_5_point_counter_sends_the_pad_value_as_it_is(pad_value: int) -> None:
    assert _rated(5, pad_value) == {"counter": "3", "value": pad_value, "scale": 5}


def test_a_pad_value_off_the_scale_is_taken_as_its_nearest_end() -> None:
    assert (_rated(3, 0)["value"], _rated(3, 9)["value"]) == (1, 3)
    assert (_rated(5, 0)["value"], _rated(5, 9)["value"]) == (1, 5)


# -- the key table and engine events ------------------------------------------------


def test_every_key_rule_names_a_line_the_texts_have_and_sends_a_command_or_answers() -> None:
    names = {f.name for f in fields(Texts)}
    for rule in KEY_RULES:
        if rule.does in (Does.ASK, Does.REFUSE):
            assert rule.answer in names, rule
        elif rule.does is not Does.FORGET:
            assert rule.op and not rule.answer, rule


def test_a_typed_transfer_target_is_named_on_the_keypad(open_counter: CounterState) -> None:
    serving_state = replace(open_counter, view=replace(open_counter.view, current="A001"))
    _, fx = run(serving_state, [*keys(Key.TRANSFER), *digits("2")])
    assert last(fx, KeypadText).text == "转至 业务B?"
    _, fx = run(serving_state, [*keys(Key.TRANSFER), *digits("03")])
    assert last(fx, KeypadText).text == "转至 3号窗口?"


def test_another_counters_events_move_the_log_position_only() -> None:
    state = make_state(status="open", teller="1024", seq=10)
    state, fx = run(state, keys(Key.CALL))
    others = (called("A001", seq=11, counter="4"), Logged(12, ce.CounterPaused(0.0, "4", "9", "x")))
    state, fx = step(state, Replied(sends(fx)[0].n, True, events=others))
    assert state.view.current is None and state.view.status == "open"
    assert state.view.seq == 12
    assert not any(isinstance(e, Beep) and e.pattern == BeepPattern.DOUBLE for e in fx)
