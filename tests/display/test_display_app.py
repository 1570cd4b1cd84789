"""The hall display app on a simulated hall LED, fed engine messages over an in-memory bus."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from display import board as b
from display.app import HallDisplayApp
from display.voice import ClipLibrary, RecordingSink, VoiceQueue, default_clip_root
from drivers.bus.codes import TextEffect
from drivers.bus.sim import BusSim
from drivers.led.sim import HallDisplaySim
from drivers.mqtt.bus import MemoryBus
from lobbyq.core import Call, CallsView, CounterView, NoticeView, TicketCalled
from lobbyq.protocol.events import LoggedEvent
from lobbyq.protocol.messages import AlertMsg, StatusMsg
from lobbyq.protocol.topics import Topics
from lobbyq.protocol.views import Retained
from tests.support import eventually

FAST_BUS = {"keepalive_s": 0.1, "reply_timeout_s": 0.03, "baudrate": 1_000_000, "backoff_max": 0.05}
T = Topics("b1")


class Hall:
    def __init__(self, tmp: Path) -> None:
        from drivers.bus.master import BusMaster

        self.bus = MemoryBus()
        self.led = HallDisplaySim(1, zones=4)
        self.sim = BusSim(tmp / "hall", [self.led], event_retry_s=0.02)
        self.master = BusMaster(self.sim.url, name="hall", devices=[1], **FAST_BUS)  # type: ignore[arg-type]
        self.sink = RecordingSink()
        self.voice = VoiceQueue(self.sink, ClipLibrary(default_clip_root()), ["zh", "en"])
        self.app = HallDisplayApp(self.bus, None, branch="b1", master=self.master, voice=self.voice)

    def call(self, seq: int, number: str, counter: str, recall: bool = False) -> None:
        ev = TicketCalled(1.0, "t", number, number[0], counter, "1", recall)
        self.bus.publish(T.evt("ticket_called"), LoggedEvent(seq, ev).encode())


def paused(counter: str) -> CounterView:
    return CounterView(counter, "paused", "lunch", "T01", ("A",), None, (), ())


@pytest.fixture
def hall(tmp_path: Path) -> Iterator[Hall]:
    h = Hall(tmp_path)
    h.bus.start()
    h.master.start()
    h.app.start()
    try:
        assert h.led.wait_until(lambda d: d.zones[0] == "欢迎光临  Welcome", 5.0)
        yield h
    finally:
        h.app.stop()
        h.master.close()
        h.sim.close()


def test_a_call_blinks_on_top_and_is_announced(hall: Hall) -> None:
    hall.call(5, "A023", "3")
    want = "请 A023 号到 3 号窗口  A023 → Counter 3"
    assert hall.led.wait_until(lambda d: d.zones[0] == want and d.blinking == {0}, 3.0)
    assert hall.led.effects[0] == TextEffect.BLINK  # blinks, never scrolls: read at a glance
    hall.call(6, "B001", "2")
    assert hall.led.wait_until(lambda d: d.zones[1] == want and d.blinking == {0}, 3.0)
    hall.call(7, "A023", "3", recall=True)
    hall.call(7, "A023", "3", recall=True)  # redelivered by the broker: said once
    assert hall.voice.wait_idle(5.0)
    assert [(c.number, c.recall) for c in hall.voice.spoken] == [
        ("A023", False), ("B001", False), ("A023", True)
    ]  # fmt: skip
    assert hall.sink.played[0] == hall.sink.played[2]  # the recall repeats the same words


def test_retained_state_restores_the_board_and_only_changes_are_sent(hall: Hall) -> None:
    calls = CallsView((Call("C010", "4", "C", 1.0),))
    hall.bus.publish(T.state_calls, Retained(20, calls).encode(), retain=True)
    hall.bus.publish(T.state_counter("2"), Retained(20, paused("2")).encode(), retain=True)
    assert hall.led.wait_until(lambda d: d.zones[0].startswith("请 C010"), 3.0)
    assert hall.led.wait_until(lambda d: d.zones[3] == "暂停服务窗口 Closed: 2号", 3.0)
    assert hall.app.wait_idle(2.0)
    sent = hall.app.frames_sent
    hall.bus.publish(T.state_counter("2"), Retained(21, paused("2")).encode(), retain=True)
    assert hall.app.wait_idle(2.0)
    assert hall.app.frames_sent == sent  # nothing changed, nothing sent
    # the display loses power: everything is drawn again from the board
    hall.sim.unplug()
    hall.sim.replug()
    assert hall.led.wait_until(lambda d: d.zones[0].startswith("请 C010"), 5.0)
    # no voice for a snapshot: only live calls are announced
    assert hall.voice.spoken == []


def test_notice_and_status(hall: Hall) -> None:
    notice = NoticeView("system_failure", None, 0.0)
    hall.bus.publish(T.state_notice, Retained(3, notice).encode(), retain=True)
    assert hall.led.wait_until(lambda d: d.zones[3].startswith("系统故障"), 3.0)
    assert hall.led.effects[3] == TextEffect.SCROLL  # a long notice scrolls
    raw = hall.bus.retained(T.status("display-hall"))
    assert raw is not None
    status = StatusMsg.decode(raw)
    assert status.kind == "display" and status.health["hall_led"] == "ok"
    hall.led.silence()  # the display dies: the status says so and an alert goes out
    assert eventually(lambda: b"hall_led_offline" in b"".join(
        p for t, p, _ in list(hall.bus.published) if t == T.alert("display-hall")
    ))  # fmt: skip
    raw = hall.bus.retained(T.status("display-hall"))
    assert raw is not None and StatusMsg.decode(raw).health["hall_led"] == "offline"


def test_screen_screenshot_headless(tmp_path: Path) -> None:
    from display.screen import screenshot

    bd = b.Board()
    for seq, (n, c) in enumerate([("A001", "1"), ("B002", "2"), ("C003", "3")]):
        bd = b.on_called(bd, seq + 1, TicketCalled(1.0, "t", n, n[0], c, None))
    bd = b.on_notice_state(bd, 9, NoticeView("power_cut", None, 1.0))
    png = tmp_path / "hall.png"
    screenshot(bd, png, size=(640, 360))
    from PIL import Image

    img = Image.open(png).convert("RGB")
    assert img.size == (640, 360)
    assert img.getpixel((5, 5)) == (220, 40, 40)  # the notice bar is red
    colors = img.getcolors(maxcolors=1 << 20) or []
    assert any(rgb == (255, 196, 0) for _, rgb in colors)  # the newest call is highlighted


def test_the_screen_mode_draws_the_calls_in_a_window(tmp_path: Path) -> None:
    from PIL import Image

    from display.screen import HallScreen

    bus = MemoryBus()
    screen = HallScreen(size=(640, 360))
    app = HallDisplayApp(bus, None, branch="b1", screen=screen)
    bus.start()
    app.start()
    try:
        ev = TicketCalled(1.0, "t", "B007", "B", "2", "T02")
        bus.publish(T.evt("ticket_called"), LoggedEvent(3, ev).encode())
        assert eventually(
            lambda: [(c.number, c.counter) for c in app.board.calls] == [("B007", "2")], 3.0
        )
        assert app.wait_idle(3.0)
        shot = tmp_path / "screen.png"
        assert screen.save(shot)
        img = Image.open(shot).convert("RGB")
        assert img.size == (640, 360)
        colors = {rgb for _, rgb in img.getcolors(maxcolors=1 << 20) or []}
        assert (255, 196, 0) in colors  # the called number, highlighted
    finally:
        app.stop()


QUEUE_EXAMPLE = Path(__file__).resolve().parents[2] / "deploy" / "queue.example.toml"


def _queue_with(tmp_path: Path, display: str) -> Path:
    path = tmp_path / "queue.toml"
    path.write_text(QUEUE_EXAMPLE.read_text(encoding="utf-8") + display, encoding="utf-8")
    return path


def test_voice_languages_come_from_the_branch_file_unless_the_option_says(tmp_path: Path) -> None:
    from display.app import voice_langs

    queue = _queue_with(tmp_path, '\n[display]\nvoice = ["yue", "en"]\n')
    assert voice_langs(None, queue) == ("yue", "en")
    assert voice_langs("zh", queue) == ("zh",)  # the option wins
    assert voice_langs("off", queue) == ()
    assert voice_langs(None, None) == ("zh", "en")
    assert voice_langs(None, QUEUE_EXAMPLE) == ("zh", "en")  # no [display] table
    assert voice_langs(None, _queue_with(tmp_path, "\n[display]\nvoice = []\n")) == ()


@pytest.mark.parametrize("value", ['"zh,en"', '["zh", 1]', '[""]'])
def test_a_malformed_voice_setting_is_refused(tmp_path: Path, value: str) -> None:
    from display.app import voice_langs
    from display.voice import VoiceError

    with pytest.raises(VoiceError, match=r"display\.voice"):
        voice_langs(None, _queue_with(tmp_path, f"\n[display]\nvoice = {value}\n"))


def test_lobbyq_display_builds_its_voice_from_the_branch_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import argparse

    import display.voice as voice_module
    from display import app as display_app

    asked: list[tuple[str, ...]] = []

    class NoMqtt(Exception):
        pass

    def refuse(langs: tuple[str, ...], **_kw: object) -> VoiceQueue:
        asked.append(tuple(langs))
        raise voice_module.VoiceError("no sound card here")

    def no_bus(*_a: object, **_kw: object) -> None:
        raise NoMqtt  # stop before any MQTT: the voice is what is looked at here

    monkeypatch.setattr(voice_module, "make_voice", refuse)
    monkeypatch.setattr("drivers.mqtt.client.MqttBus", no_bus)
    parser = argparse.ArgumentParser()
    display_app.configure(parser)
    queue = _queue_with(tmp_path, '\n[display]\nvoice = ["es", "en"]\n')
    base = ["--broker", "mqtt://127.0.0.1:1", "--branch-config", str(queue)]
    with pytest.raises(NoMqtt):  # no sound card: the display goes on, silent
        display_app.run(parser.parse_args(base))
    with pytest.raises(NoMqtt):
        display_app.run(parser.parse_args([*base, "--voice", "en"]))
    assert asked == [("es", "en"), ("en",)]
    with pytest.raises(NoMqtt):
        display_app.run(parser.parse_args([*base, "--voice", "off"]))
    assert len(asked) == 2  # off builds no voice at all
    bad = _queue_with(tmp_path, "\n[display]\nvoice = 3\n")
    assert display_app.run(parser.parse_args(["--broker", "x", "--branch-config", str(bad)])) == 2
    assert len(asked) == 2  # refused before any voice was built


def test_a_display_without_a_sound_card_still_calls_and_says_it_is_silent(tmp_path: Path) -> None:
    from drivers.bus.master import BusMaster

    bus = MemoryBus()
    led = HallDisplaySim(1, zones=4)
    sim = BusSim(tmp_path / "hall", [led], event_retry_s=0.02)
    master = BusMaster(sim.url, name="hall", devices=[1], **FAST_BUS)  # type: ignore[arg-type]
    app = HallDisplayApp(bus, None, branch="b1", master=master, voice_problem="no audio device")
    bus.start()
    master.start()
    app.start()
    try:
        ev = TicketCalled(1.0, "t", "A007", "A", "2", "1", False)
        bus.publish(T.evt("ticket_called"), LoggedEvent(5, ev).encode())
        assert led.wait_until(lambda d: "A007" in d.zones[0], 5.0)
        raw = bus.retained(T.status("display-hall"))
        assert raw is not None
        health = StatusMsg.decode(raw).health
        assert health["voice"] == "unavailable" and health["hall_led"] == "ok"
        alerts = [AlertMsg.decode(p) for t, p, _ in bus.published if t == T.alert("display-hall")]
        assert [(a.code, a.level) for a in alerts] == [("voice_unavailable", "warning")]
        assert "no audio device" in alerts[0].text
        bus.stop()
        bus.start()  # a reconnect re-sends the birth, not the alert
        alerts = [p for t, p, _ in bus.published if t == T.alert("display-hall")]
        assert len(alerts) == 1
    finally:
        app.stop()
        master.close()
        sim.close()


def test_a_display_turned_silent_on_purpose_reports_no_voice_part() -> None:
    bus = MemoryBus()
    app = HallDisplayApp(bus, None, branch="b1")
    bus.start()
    app.start()
    try:
        raw = bus.retained(T.status("display-hall"))
        assert raw is not None and StatusMsg.decode(raw).health == {}
        assert not [t for t, _, _ in bus.published if t == T.alert("display-hall")]
    finally:
        app.stop()
