"""Teller keypad: keys to events, feedback commands, recovery after unplug."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from drivers.bus.events import KeyPressed
from drivers.bus.harness import EventLog
from drivers.bus.master import BusMaster
from drivers.bus.sim import BusSim
from drivers.keypad.codes import BeepPattern, Key, KeypadLed
from drivers.keypad.driver import keypad_beep, keypad_leds, keypad_text
from drivers.keypad.sim import KeypadSim

FAST: dict[str, Any] = {"keepalive_s": 0.1, "reply_timeout_s": 0.03, "baudrate": 1_000_000}


def test_key_table_is_complete_and_unique() -> None:
    names = {k.name for k in Key}
    for needed in ("CALL", "RECALL", "NO_SHOW", "TRANSFER", "HOLD", "PAUSE", "FINISH", "LOGIN"):
        assert needed in names
    assert [Key.for_digit(d).digit for d in range(10)] == list(range(10))
    assert Key.CALL.digit is None
    with pytest.raises(ValueError):
        Key.for_digit(10)


def test_every_key_reaches_the_host(counter_bus: Any) -> None:
    for key in Key:
        assert counter_bus.keypad.press(key)
    log: EventLog = counter_bus.log
    log.wait_for(KeyPressed, lambda e: e.key is list(Key)[-1])
    assert [e.key for e in log.of(KeyPressed)] == list(Key)


def test_typed_number_arrives_in_order(counter_bus: Any) -> None:
    counter_bus.keypad.type_number("305")
    log: EventLog = counter_bus.log
    log.wait_for(KeyPressed, lambda e: e.key is Key.ENTER)
    assert [e.key for e in log.of(KeyPressed)] == [Key.D3, Key.D0, Key.D5, Key.ENTER]


def test_feedback_commands(counter_bus: Any) -> None:
    m: BusMaster = counter_bus.master
    keypad_beep(m, 1, BeepPattern.DOUBLE)
    keypad_leds(m, 1, KeypadLed.ONLINE | KeypadLed.SERVING)
    keypad_text(m, 1, "A023 服务中")
    kp: KeypadSim = counter_bus.keypad
    assert kp.beeps == [BeepPattern.DOUBLE]
    assert kp.leds == KeypadLed.ONLINE | KeypadLed.SERVING
    assert kp.text == "A023 服务中"


def test_power_cut_clears_display_state(counter_bus: Any, replug: Callable[..., float]) -> None:
    keypad_text(counter_bus.master, 1, "A023")
    replug(counter_bus.sim, counter_bus.master, counter_bus.log, [1, 2, 3])
    assert counter_bus.keypad.text == "" and counter_bus.keypad.leds == KeypadLed.NONE


def test_keypad_alone_recovers_from_unplug(tmp_path: Path, replug: Callable[..., float]) -> None:
    kp = KeypadSim(1)
    log = EventLog()
    with (
        BusSim(tmp_path / "kp", [kp]) as sim,
        BusMaster(sim.url, devices=[1], on_event=log, backoff_max=0.05, **FAST) as m,
    ):
        assert m.wait_online(1, 3)
        for _ in range(3):
            assert replug(sim, m, log, [1]) < 1.0
        kp.press(Key.CALL)
        assert log.wait_for(KeyPressed).key is Key.CALL


def test_keys_pressed_while_unconfigured_are_not_lost(tmp_path: Path) -> None:
    """A press right after power-up waits in the keypad until the host configures it."""
    kp = KeypadSim(1)
    log = EventLog()
    with BusSim(tmp_path / "kp", [kp]) as sim:
        kp.press(Key.LOGIN)  # before any host is there
        with BusMaster(sim.url, devices=[1], on_event=log, **FAST):
            assert log.wait_for(KeyPressed).key is Key.LOGIN
