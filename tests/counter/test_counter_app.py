"""The counter app end to end: simulated keypad, rating pad and strip on a pty, the real engine."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from flowkit import FAST_BUS, Branch

from counter.app import CounterApp
from counter.flow import T_RATING, KeyPressed
from drivers.bus.codes import TextEffect
from drivers.bus.events import BusEvent
from drivers.bus.events import KeyPressed as BusKey
from drivers.bus.messages import KeypadText, RatingPrompt
from drivers.bus.sim import BusSim
from drivers.keypad.codes import BeepPattern, Key, KeypadLed
from drivers.keypad.sim import KeypadSim
from drivers.led.sim import StripSim
from drivers.mqtt.bus import MemoryBus
from drivers.mqtt.request import Requester
from drivers.ratingpad.codes import Rating
from drivers.ratingpad.sim import RatingPadSim
from lobbyq.protocol.messages import EventMsg, StatusMsg
from lobbyq.protocol.topics import Topics
from tests.support import eventually


def login(br: Branch, teller: str = "1024") -> None:
    br.keypad.type_number(teller)  # digits, then ENTER: log in and open
    assert br.keypad.wait_until(lambda k: k.text == f"{teller} 就绪", 3.0), br.keypad.text


def published(br: Branch, kind: str) -> list[dict[str, object]]:
    topic = br.app.topics.evt(kind)
    return [json.loads(p) for t, p, _ in list(br.bus.published) if t == topic]


def test_call_shows_the_number_on_the_strip_and_rating_reaches_the_engine(branch: Branch) -> None:
    br = branch
    login(br)
    number = br.issue("C")
    br.keypad.press(Key.CALL)
    assert br.strip.wait_until(lambda s: s.text == f"{number} 请到3号窗口" and s.blinking, 3.0)
    assert br.strip.effect == TextEffect.BLINK  # fits the strip's 16 columns: no scrolling
    assert br.keypad.wait_until(lambda k: k.text == f"已叫 {number}", 3.0)
    assert BeepPattern.DOUBLE in br.keypad.beeps
    assert br.keypad.wait_until(lambda k: bool(k.leds & KeypadLed.SERVING), 3.0)
    br.keypad.press(Key.FINISH)
    assert br.pad.wait_until(lambda p: p.prompt, 3.0)
    assert br.strip.wait_until(lambda s: s.text == "欢迎光临 Welcome", 3.0)
    assert br.pad.press(4)
    assert br.strip.wait_until(lambda s: s.text == "谢谢您的评价 Thank you", 3.0)
    assert br.keypad.wait_until(lambda k: k.text == "评价 4/5", 3.0)
    rated = published(br, "ticket_rated")
    assert [(r["number"], r["teller"], r["value"], r["scale"]) for r in rated] == [
        (number, "1024", 4, 5)
    ]


def test_queue_empty_and_offline_are_felt_at_the_keypad(branch: Branch) -> None:
    br = branch
    login(br)
    br.keypad.press(Key.CALL)
    assert br.keypad.wait_until(lambda k: k.text == "无人等候 empty", 3.0)
    assert br.keypad.beeps[-1] == BeepPattern.ERROR
    br.engine.stop()  # the engine dies: the next key must not meet silence
    started = time.monotonic()
    br.keypad.press(Key.CALL)
    assert br.keypad.wait_until(lambda k: k.text == "引擎离线 offline", 3.0)
    assert time.monotonic() - started < 2.0  # the bound is 1 s in this fixture
    assert br.keypad.beeps[-1] == BeepPattern.LONG
    assert br.keypad.wait_until(lambda k: not k.leds & KeypadLed.ONLINE, 3.0)


def test_an_over_long_wait_reaches_the_teller(branch: Branch) -> None:
    br = branch
    login(br)
    body = {"ticket": "t", "number": "D004", "service": "D", "waited_s": 1900.0,
            "threshold_s": 1200.0}  # fmt: skip
    br.bus.publish(br.app.topics.evt("wait_alert"), EventMsg(99, "wait_alert", 1.0, body).encode())
    assert br.keypad.wait_until(lambda k: k.text == "超时 D004 等32分", 3.0)
    assert br.keypad.beeps[-1] == BeepPattern.LONG


def test_transfer_and_hold_and_call_back(branch: Branch) -> None:
    br = branch
    login(br)
    first = br.issue("C")
    br.keypad.press(Key.CALL)
    assert br.keypad.wait_until(lambda k: k.text == f"已叫 {first}", 3.0)
    br.keypad.press(Key.HOLD)
    assert br.keypad.wait_until(lambda k: k.text == f"已挂起 {first}", 3.0)
    br.keypad.press(Key.RECALL)  # the only held ticket comes back
    assert br.keypad.wait_until(lambda k: k.text == f"已叫 {first}", 3.0)
    br.keypad.press(Key.TRANSFER)
    assert br.keypad.wait_until(lambda k: k.text.startswith("转至?"), 3.0)
    br.keypad.type_number("01")  # to counter 1
    assert br.keypad.wait_until(lambda k: k.text == "已转 1号窗口", 3.0), br.keypad.text
    moved = published(br, "ticket_transferred")
    assert moved and moved[-1]["number"] == first and moved[-1]["to_counter"] == "1"


def test_a_rebooted_counter_shows_what_the_engine_says(branch: Branch) -> None:
    br = branch
    login(br)
    number = br.issue("D")
    br.keypad.press(Key.CALL)
    assert br.strip.wait_until(lambda s: s.text == f"{number} 请到3号窗口", 3.0)
    br.app.stop()
    status = br.bus.retained(br.app.topics.status("counter-3"))
    assert status is not None and not StatusMsg.decode(status).online
    br.sim.unplug()  # power cut: every device on the line forgets what it showed
    br.sim.replug()
    assert br.strip.wait_until(lambda s: s.text == "", 3.0)
    again = CounterApp("3", br.bus, br.sim.url, br.config, master_options=FAST_BUS)
    again.start()
    try:
        assert br.strip.wait_until(lambda s: s.text == f"{number} 请到3号窗口", 5.0)
        assert br.keypad.wait_until(lambda k: k.text == f"{number} 服务中", 3.0)
    finally:
        again.stop()


def test_status_reports_the_health_of_each_device(branch: Branch) -> None:
    br = branch
    raw = br.bus.retained(br.app.topics.status("counter-3"))
    assert raw is not None
    status = StatusMsg.decode(raw)
    assert status.online and status.kind == "counter"
    assert dict(status.health) == {"keypad": "ok", "ratingpad": "ok", "strip": "ok"}
    br.pad.silence()

    def pad_health() -> str | None:
        raw = br.bus.retained(br.app.topics.status("counter-3"))
        return StatusMsg.decode(raw).health.get("ratingpad") if raw is not None else None

    assert eventually(lambda: pad_health() == "offline", 3.0), pad_health()
    alerts = [t for t, _, _ in list(br.bus.published) if t == br.app.topics.alert("counter-3")]
    assert alerts


class LossyBus(MemoryBus):
    """Loses the first copy of each command and delivers every other one twice."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: dict[bytes, int] = {}

    def publish(self, topic: str, payload: bytes, *, qos: int = 1, retain: bool = False) -> None:
        if "/cmd/counter-" in topic:
            n = self.seen.get(payload, 0)
            self.seen[payload] = n + 1
            if n == 0:
                return  # lost on the way (broker restart, Wi-Fi drop)
            super().publish(topic, payload, qos=qos, retain=retain)  # and a duplicate
        super().publish(topic, payload, qos=qos, retain=retain)


def test_a_lost_then_duplicated_command_acts_once(tmp_path: Path) -> None:
    from lobbyq.core import BranchConfig
    from lobbyq.engine.service import Engine
    from lobbyq.engine.store import EventStore

    config = BranchConfig.default()
    bus = LossyBus()
    store = EventStore(tmp_path / "log.db", synchronous="OFF")
    engine = Engine(config, store, bus)
    keypad, pad, strip = KeypadSim(1), RatingPadSim(2), StripSim(3)
    sim = BusSim(tmp_path / "c3", [keypad, pad, strip], event_retry_s=0.02)
    app = CounterApp(
        "3", bus, sim.url, config, resend_after_s=0.1, request_timeout_s=2.0,
        master_options=FAST_BUS,
    )  # fmt: skip
    bus.start()
    engine.start()
    app.start()
    try:
        kiosk = Requester(bus, Topics(config.branch_id), "kiosk-1")
        for _ in range(2):
            assert kiosk.request("issue_ticket", service="C").ok
        keypad.type_number("1024")
        assert keypad.wait_until(lambda k: k.text == "1024 就绪", 5.0)
        keypad.press(Key.CALL)
        assert strip.wait_until(lambda s: s.text == "C001 请到3号窗口", 5.0)
        assert app.wait_idle(3.0)
        topic = Topics(config.branch_id).evt("ticket_called")
        calls = [json.loads(p)["number"] for t, p, _ in list(bus.published) if t == topic]
        assert calls == ["C001"]  # C002 was never called by a resend
        assert all(n >= 2 for n in bus.seen.values())  # every command really was resent
    finally:
        app.stop()
        engine.stop()
        sim.close()
        store.close()


def test_a_keypad_without_a_text_line_gets_beeps_only(tmp_path: Path) -> None:
    from lobbyq.core import BranchConfig
    from lobbyq.engine.service import Engine
    from lobbyq.engine.store import EventStore

    config = BranchConfig.default()
    bus = MemoryBus()
    store = EventStore(tmp_path / "log.db", synchronous="OFF")
    engine = Engine(config, store, bus)
    keypad, pad, strip = KeypadSim(1, text_line=False), RatingPadSim(2), StripSim(3)
    sim = BusSim(tmp_path / "c3", [keypad, pad, strip], event_retry_s=0.02)
    app = CounterApp("3", bus, sim.url, config, master_options=FAST_BUS)
    bus.start()
    engine.start()
    app.start()
    try:
        assert strip.wait_until(lambda s: s.text == "暂停服务 Closed", 5.0)
        keypad.type_number("1024")
        assert app.wait_idle(3.0)
        assert keypad.wait_until(lambda k: bool(k.leds & KeypadLed.ONLINE), 3.0)
        keypad.press(Key.CALL)  # nobody waits
        assert keypad.wait_until(lambda k: k.beeps[-1:] == [BeepPattern.ERROR], 3.0)
        assert keypad.received_of(KeypadText) == []  # never a frame it would refuse
    finally:
        app.stop()
        engine.stop()
        sim.close()
        store.close()


@contextmanager
def counter_rig(
    tmp_path: Path, devices: list[Any], config: Any = None, **app_kw: Any
) -> Iterator[tuple[CounterApp, MemoryBus, Requester]]:
    """Counter 3 with ``devices`` on its line, the real engine, and a kiosk to issue."""
    from lobbyq.core import BranchConfig
    from lobbyq.engine.service import Engine
    from lobbyq.engine.store import EventStore

    engine_config = BranchConfig.default()
    bus = MemoryBus()
    store = EventStore(tmp_path / "log.db", synchronous="OFF")
    engine = Engine(engine_config, store, bus)
    sim = BusSim(tmp_path / "c3", devices, event_retry_s=0.02)
    app = CounterApp("3", bus, sim.url, config or engine_config, master_options=FAST_BUS, **app_kw)
    bus.start()
    engine.start()
    app.start()
    try:
        yield app, bus, Requester(bus, Topics(engine_config.branch_id), "kiosk-1")
    finally:
        app.stop()
        engine.stop()
        sim.close()
        store.close()


def _call_one(keypad: KeypadSim, kiosk: Requester, teller: Requester) -> str:
    """Open counter 3 for teller 1024 over MQTT (fewer keys to lose), issue and call one.

    The login goes as counter 3's own device: a kiosk may only issue tickets.
    """
    assert teller.request("login", counter="3", teller="1024", timeout=3.0).ok
    assert teller.request("open_counter", counter="3", timeout=3.0).ok
    assert keypad.wait_until(lambda k: k.text == "1024 就绪", 5.0), keypad.text
    reply = kiosk.request("issue_ticket", service="C", timeout=3.0)
    event = reply.event("ticket_issued")
    assert reply.ok and event is not None
    keypad.press(Key.CALL)
    assert keypad.wait_until(lambda k: k.text == f"已叫 {event['number']}", 3.0), keypad.text
    return str(event["number"])


def test_a_counter_without_a_rating_pad_just_finishes(tmp_path: Path) -> None:
    from lobbyq.core import BranchConfig

    keypad, strip = KeypadSim(1), StripSim(3)
    pad = RatingPadSim(2)  # on the line, but not this counter's: never prompted
    quick = replace(BranchConfig.default(), rating_timeout_s=0.2)
    with counter_rig(tmp_path, [keypad, pad, strip], quick, ratingpad_addr=None) as rig:
        app, bus, kiosk = rig
        _call_one(keypad, kiosk, Requester(bus, app.topics, "counter-3"))
        keypad.press(Key.FINISH)
        assert keypad.wait_until(lambda k: k.text == "完成 done", 3.0), keypad.text
        assert app.wait_idle(3.0)
        # Never "unrated" later: nobody was asked, so no rating timer runs to say it.
        assert T_RATING not in app.pending_timers()
        assert keypad.text == "完成 done"
        assert pad.received_of(RatingPrompt) == []
        raw = bus.retained(app.topics.status("counter-3"))
        assert raw is not None
        assert dict(StatusMsg.decode(raw).health) == {"keypad": "ok", "strip": "ok"}
        rated = app.topics.evt("ticket_rated")
        assert not [t for t, _, _ in list(bus.published) if t == rated]


def test_a_3_key_pad_rates_on_the_3_point_scale(tmp_path: Path) -> None:
    keypad, pad, strip = KeypadSim(1), RatingPadSim(2, keys=3), StripSim(3)
    with counter_rig(tmp_path, [keypad, pad, strip], rating_keys=3) as rig:
        app, bus, kiosk = rig
        number = _call_one(keypad, kiosk, Requester(bus, app.topics, "counter-3"))
        keypad.press(Key.FINISH)
        assert pad.wait_until(lambda p: p.prompt, 3.0)
        assert pad.press(Rating.AVERAGE)  # the middle key sends 3 on the common scale
        assert keypad.wait_until(lambda k: k.text == "评价 2/3", 3.0), keypad.text
        topic = app.topics.evt("ticket_rated")
        rated = [json.loads(p) for t, p, _ in list(bus.published) if t == topic]
        assert [(r["number"], r["value"], r["scale"]) for r in rated] == [(number, 2, 3)]


def test_a_pad_with_other_keys_than_configured_is_reported(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    keypad, pad, strip = KeypadSim(1), RatingPadSim(2, keys=5), StripSim(3)
    with caplog.at_level("WARNING"), counter_rig(tmp_path, [keypad, pad, strip], rating_keys=3):
        eventually(lambda: "rating pad has 5 keys" in caplog.text, 5.0)
    assert "the rating pad has 5 keys but this counter is set for 3" in caplog.text


class QuietMaster:
    """A bus master with nothing online: the test hands key events to the counter itself."""

    def __init__(self) -> None:
        self.handlers: list[Callable[[BusEvent], None]] = []

    def subscribe(self, handler: Callable[[BusEvent], None]) -> None:
        self.handlers.append(handler)

    def watch(self, addr: int) -> None:
        pass

    def info(self, addr: int) -> None:
        return None

    def online(self, addr: int) -> bool:
        return False

    def key(self, digit: int) -> None:
        """The keypad at address 1 sends a digit key."""
        for handler in self.handlers:
            handler(BusKey(1, 0.0, Key.for_digit(digit)))


def test_keys_reach_the_flow_in_the_order_typed_across_the_boot() -> None:
    master = QuietMaster()
    app = CounterApp("3", MemoryBus(), None, master=master)  # type: ignore[arg-type]
    app.post(KeyPressed(Key.for_digit(1)))  # before the boot picture: waits on the inbox
    app.start()
    try:
        master.key(0)  # while the flow boots and takes in the "1"
        master.key(2)
        assert app.wait_idle(3.0)
        assert app.state.typed == "102"
        master.key(3)  # nothing waits: stepped at once
        assert app.wait_idle(3.0)
        assert app.state.typed == "1023"
    finally:
        app.stop()


def test_a_counter_without_its_broker_says_no_link_and_nothing_healthy(tmp_path: Path) -> None:
    from lobbyq.core import BranchConfig

    bus = MemoryBus()  # never started: the broker cannot be reached
    keypad, strip = KeypadSim(1), StripSim(3)
    sim = BusSim(tmp_path / "counter3", [keypad, strip], event_retry_s=0.02)
    app = CounterApp(
        "3", bus, sim.url, BranchConfig.default(), ratingpad_addr=None, master_options=FAST_BUS
    )
    app.start()
    try:
        assert keypad.wait_until(lambda k: k.text == "网络断开 no link", 5.0), keypad.text
        assert keypad.wait_until(lambda k: not k.leds & KeypadLed.ONLINE, 3.0)
        assert keypad.leds & KeypadLed.ALERT
        assert eventually(lambda: app.health == {"keypad": "ok", "strip": "ok"}, 5.0)
        assert [t for t, _, _ in bus.published if t.endswith("/status")] == []
        bus.start()  # the broker answers: the birth carries the parts as they are
        raw = bus.retained(app.topics.status(app.device))
        assert raw is not None and StatusMsg.decode(raw).health == {"keypad": "ok", "strip": "ok"}
        assert keypad.wait_until(lambda k: k.text != "网络断开 no link", 3.0)
    finally:
        app.stop()
        sim.close()
