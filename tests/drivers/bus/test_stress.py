"""A noisy line and a busy host: retries act once, events arrive once and in order."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from drivers.bus.events import KeyPressed
from drivers.bus.harness import EventLog
from drivers.bus.master import BusMaster
from drivers.bus.rigs import CounterRig
from drivers.keypad.codes import BeepPattern, Key
from drivers.keypad.driver import keypad_beep, keypad_text
from drivers.led.driver import strip_show
from drivers.ratingpad.driver import rating_prompt

FAST: dict[str, Any] = {"keepalive_s": 0.1, "reply_timeout_s": 0.02, "baudrate": 1_000_000}
KEYS = [Key.for_digit(i % 10) for i in range(40)]
PATTERNS = [BeepPattern.SHORT, BeepPattern.DOUBLE, BeepPattern.LONG] * 10


def test_lossy_line_every_command_once_every_key_once(tmp_path: Path) -> None:
    rig = CounterRig.build(tmp_path / "noisy")
    log = EventLog()
    try:
        with BusMaster(rig.url, devices=[1, 2, 3], on_event=log, retries=8, **FAST) as m:
            assert m.wait_online(1, 3)
            rig.sim.lossy(0.1)
            for pattern in PATTERNS:
                keypad_beep(m, 1, pattern)
            for key in KEYS:
                assert rig.keypad.press(key)
            log.wait_for(KeyPressed, lambda e: len(log.of(KeyPressed)) >= len(KEYS), 10)
            assert rig.keypad.wait_until(lambda d: d.pending_event() is None, 5)
            assert rig.sim.lost_frames > 0
        assert rig.keypad.beeps == PATTERNS  # a retried beep never beeps twice
        assert [e.key for e in log.of(KeyPressed)] == KEYS  # none lost, none doubled
    finally:
        rig.close()


def test_concurrent_commands_and_key_presses(tmp_path: Path) -> None:
    rig = CounterRig.build(tmp_path / "busy", pad_keys=5)
    log = EventLog()
    errors: list[BaseException] = []
    try:
        with BusMaster(rig.url, devices=[1, 2, 3], on_event=log, **FAST) as m:
            assert m.wait_online(1, 3) and m.wait_online(2, 3) and m.wait_online(3, 3)

            def strip() -> None:
                for i in range(60):
                    strip_show(m, 3, f"请A{i:03d}号到3号窗口")

            def keypad() -> None:
                for i in range(60):
                    keypad_text(m, 1, f"A{i:03d}")

            def pad() -> None:
                for i in range(60):
                    rating_prompt(m, 2, i % 2 == 0)

            def guarded(fn: Any) -> Any:
                def run() -> None:
                    try:
                        fn()
                    except BaseException as exc:  # collected and asserted below
                        errors.append(exc)

                return run

            threads = [threading.Thread(target=guarded(f)) for f in (strip, keypad, pad)]
            for t in threads:
                t.start()
            for key in KEYS:
                rig.keypad.press(key)
            for t in threads:
                t.join(20)
            log.wait_for(KeyPressed, lambda e: len(log.of(KeyPressed)) >= len(KEYS), 10)
        assert errors == []
        assert rig.strip.text == "请A059号到3号窗口"
        assert rig.keypad.text == "A059"
        assert not rig.pad.prompt  # the last prompt command put it out
        assert [e.key for e in log.of(KeyPressed)] == KEYS
    finally:
        rig.close()
