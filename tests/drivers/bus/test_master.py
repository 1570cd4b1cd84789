"""BusMaster against simulated devices on a real pty: events, faults, addressing."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from drivers.bus.codes import DeviceKind, ErrorCode, Status
from drivers.bus.events import (
    BusEvent,
    DeviceOffline,
    DeviceOnline,
    KeyPressed,
    RatingGiven,
)
from drivers.bus.harness import EventLog
from drivers.bus.master import BusMaster
from drivers.bus.messages import KeyEvent, KeypadBeep
from drivers.bus.sim import BusSim
from drivers.errors import DeviceRefused, DeviceTimeout, LinkDown
from drivers.keypad.codes import BeepPattern, Key
from drivers.keypad.driver import keypad_beep, keypad_text
from drivers.keypad.sim import KeypadSim
from drivers.led.driver import strip_clear, strip_show
from drivers.ratingpad.codes import Rating
from drivers.ratingpad.driver import rating_prompt
from tests.support import eventually

FAST: dict[str, Any] = {
    "keepalive_s": 0.1,
    "reply_timeout_s": 0.03,
    "baudrate": 1_000_000,
    "backoff_max": 0.05,
}


def test_devices_come_online_with_identity(counter_bus: Any) -> None:
    online = {e.addr: e.info for e in counter_bus.log.of(DeviceOnline)}
    assert online[1].kind is DeviceKind.KEYPAD
    assert online[2].kind is DeviceKind.RATING_PAD and online[2].caps & 0x0F == 5
    assert online[3].kind is DeviceKind.LED_STRIP
    assert all(e.restarted for e in counter_bus.log.of(DeviceOnline))
    # the master switched every device to event reporting
    assert counter_bus.master.ping(1).status & Status.REPORTING


def test_key_press_reaches_listener_fast_and_once(counter_bus: Any) -> None:
    t0 = time.monotonic()
    assert counter_bus.keypad.press(Key.CALL)
    ev = counter_bus.log.wait_for(KeyPressed)
    assert (ev.addr, ev.key) == (1, Key.CALL)
    assert ev.t - t0 < 0.05
    counter_bus.keypad.press(Key.FINISH)
    counter_bus.log.wait_for(KeyPressed, lambda e: e.key is Key.FINISH)
    # the device got its ACKs: nothing left to send, nothing delivered twice
    assert counter_bus.keypad.wait_until(lambda d: d.pending_event() is None, 1)
    assert [e.key for e in counter_bus.log.of(KeyPressed)] == [Key.CALL, Key.FINISH]


def test_listener_may_send_commands_and_may_fail(counter_bus: Any) -> None:
    master: BusMaster = counter_bus.master

    def on_key(ev: BusEvent) -> None:
        if isinstance(ev, KeyPressed) and ev.key is Key.CALL:
            strip_show(master, 3, "请A023号到3号窗口", blink=True)
        if isinstance(ev, KeyPressed) and ev.key is Key.HOLD:
            raise RuntimeError("app bug")

    master.subscribe(on_key)
    counter_bus.keypad.press(Key.HOLD)
    counter_bus.keypad.press(Key.CALL)
    assert counter_bus.strip.wait_until(lambda s: s.text == "请A023号到3号窗口")
    assert counter_bus.strip.blinking


def test_rating_event(counter_bus: Any) -> None:
    rating_prompt(counter_bus.master, 2, True, timeout_s=30)
    assert counter_bus.pad.prompt
    assert counter_bus.pad.press(Rating.SATISFIED)
    ev = counter_bus.log.wait_for(RatingGiven)
    assert (ev.addr, ev.value) == (2, Rating.SATISFIED)


def test_garbage_on_the_line_is_survived(counter_bus: Any) -> None:
    counter_bus.sim.send_garbage(2000)
    counter_bus.keypad.press(Key.RECALL)
    assert counter_bus.log.wait_for(KeyPressed).key is Key.RECALL
    assert counter_bus.master.bad_frames > 0
    keypad_beep(counter_bus.master, 1, BeepPattern.SHORT)


def test_silent_device_goes_offline_with_a_recorder_dump_then_back(
    counter_bus: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        counter_bus.strip.silence()
        off = counter_bus.log.wait_for(DeviceOffline, lambda e: e.addr == 3)
        assert "did not answer" in off.reason
        assert not counter_bus.master.online(3)
        assert "flight recorder dump" in caplog.text and "PING" in caplog.text
        with pytest.raises(DeviceTimeout):
            strip_clear(counter_bus.master, 3)
    assert counter_bus.master.online(1)  # the others are unaffected
    counter_bus.strip.silence(False)
    back = counter_bus.log.wait_for(DeviceOnline, lambda e: e.addr == 3 and not e.restarted)
    assert back.info.kind is DeviceKind.LED_STRIP


def test_unplug_replug_whole_counter_bus(counter_bus: Any, replug: Callable[..., float]) -> None:
    counter_bus.strip.silence(False)
    took = replug(counter_bus.sim, counter_bus.master, counter_bus.log, [1, 2, 3])
    assert took < 1.0
    counter_bus.keypad.press(Key.CALL)
    assert counter_bus.log.wait_for(KeyPressed).key is Key.CALL


def test_commands_raise_linkdown_while_unplugged(counter_bus: Any) -> None:
    counter_bus.sim.unplug()
    counter_bus.log.wait_for(DeviceOffline, lambda e: "link down" in e.reason)
    with pytest.raises(LinkDown):
        keypad_beep(counter_bus.master, 1)
    counter_bus.sim.replug()
    assert counter_bus.master.wait_online(1, 3)


def test_nak_becomes_device_refused(tmp_path: Path) -> None:
    kp = KeypadSim(1, text_line=False)
    with BusSim(tmp_path / "b", [kp]) as sim, BusMaster(sim.url, devices=[1], **FAST) as m:
        assert m.wait_online(1, 3)
        with pytest.raises(DeviceRefused) as err:
            keypad_text(m, 1, "A023")
        assert err.value.code == ErrorCode.BAD_CMD
        with pytest.raises(ValueError):
            keypad_text(m, 1, "x" * 40)  # refused on the host, never sent


def test_poll_mode_delivers_keys_without_reporting(tmp_path: Path) -> None:
    kp = KeypadSim(1)
    log = EventLog()
    with (
        BusSim(tmp_path / "b", [kp]) as sim,
        BusMaster(
            sim.url, devices=[1], on_event=log, report_events=False, poll_interval_s=0.005, **FAST
        ) as m,
    ):
        assert m.wait_online(1, 3)
        kp.press(Key.D4)
        kp.press(Key.ENTER)
        log.wait_for(KeyPressed, lambda e: e.key is Key.ENTER)
        assert [e.key for e in log.of(KeyPressed)] == [Key.D4, Key.ENTER]
        assert not m.ping(1).status & Status.REPORTING
        assert kp.sent_events and all(e.seq for _, e in kp.sent_events)


def test_scan_and_set_address(counter_bus: Any) -> None:
    m: BusMaster = counter_bus.master
    found = m.scan(range(1, 9), timeout=0.01)
    assert [(d.addr, d.kind) for d in found] == [
        (1, DeviceKind.KEYPAD),
        (2, DeviceKind.RATING_PAD),
        (3, DeviceKind.LED_STRIP),
    ]
    with pytest.raises(DeviceRefused, match="in use"):
        m.set_address(1, 3)
    info = m.set_address(1, 7)
    assert info.addr == 7 and info.kind is DeviceKind.KEYPAD
    assert counter_bus.keypad.addr == 7
    counter_bus.keypad.press(Key.CALL)
    assert counter_bus.log.wait_for(KeyPressed).addr == 7


def test_device_naks_a_payload_it_cannot_take(counter_bus: Any) -> None:
    from drivers.bus.messages import StripBrightness

    with pytest.raises(DeviceRefused) as err:
        counter_bus.master.request(3, StripBrightness(99))  # host check bypassed
    assert err.value.code == ErrorCode.BAD_ARG


def test_unsolicited_event_with_the_request_seq_is_not_taken_for_the_reply(
    pty_port: Any,
) -> None:
    """A device's event number may equal the host's SEQ: the EVENT is an event."""
    from drivers.bus.frame import FrameDecoder, encode_frame
    from drivers.bus.messages import Ack, to_frame

    log = EventLog()
    with BusMaster(pty_port.url, on_event=log, **FAST) as m:
        assert m.link.wait_connected(3)
        result: list[object] = []
        worker = threading.Thread(
            target=lambda: result.append(m.request(1, KeypadBeep(BeepPattern.SHORT)))
        )
        worker.start()
        dec = FrameDecoder()
        frames = eventually(lambda: dec.feed(pty_port.read(0.1)), 3)
        assert frames
        req = frames[0]
        pty_port.write(encode_frame(to_frame(1, req.seq, KeyEvent(req.seq, Key.CALL))))
        pty_port.write(encode_frame(to_frame(1, req.seq, Ack())))
        worker.join(3)
        assert result == [Ack()]
        assert log.wait_for(KeyPressed).key is Key.CALL


def test_broadcast_acts_everywhere_and_nobody_answers(counter_bus: Any) -> None:
    from drivers.bus.codes import BROADCAST_ADDR
    from drivers.bus.messages import StripBrightness

    counter_bus.master.request(BROADCAST_ADDR, StripBrightness(6))
    assert counter_bus.strip.wait_until(lambda s: s.brightness == 6)
    # the keypad does not know the command and, for a broadcast, keeps quiet
    assert counter_bus.keypad.received_of(StripBrightness)
    keypad_beep(counter_bus.master, 1)  # and the bus is not left with a stray reply
    assert counter_bus.master.bad_frames == 0
