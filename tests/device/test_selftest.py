"""The self-test against simulated devices: what each device was made to do, and the report."""

from __future__ import annotations

from pathlib import Path

import pytest

from drivers.bus.messages import KeypadBeep, RatingPrompt, StripShow
from drivers.bus.rigs import CounterRig
from drivers.keypad.codes import BeepPattern, Key, KeypadLed
from drivers.printer.driver import TicketPrinter
from drivers.printer.profiles import get_profile
from drivers.printer.sim import PrinterSim
from lobbyq.device.bustools import open_bus
from lobbyq.device.selftest import FULL, BusSelfTest, printer_selftest, render
from tests.device.conftest import device_cli


def _device_file(tmp_path: Path, bus_url: str, rating_pad: int = 2) -> Path:
    path = tmp_path / "counter-3.toml"
    path.write_text(
        "[device]\nid = 'counter-3'\nrole = 'counter'\nbranch = 'b0101'\n"
        "queue_config = 'queue.toml'\n"
        "[broker]\nurl = 'mqtts://kiosk-1.local:8883'\nca_file = 'ca.crt'\n"
        "credentials_file = 'counter-3.cred'\n"
        f"[serial]\nbus = '{bus_url}'\n"
        f"[bus]\nkeypad = 1\nrating_pad = {rating_pad}\nstrip = 3\n"
        "[counter]\nid = '3'\n"
    )
    return path


def test_every_counter_device_is_exercised(
    counter_bus: CounterRig, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _device_file(tmp_path, counter_bus.url)
    assert device_cli("selftest", "--config", str(config)) == 0
    report = capsys.readouterr().out
    assert "OK   keypad @1: keypad v1.0.0 sn KP-000101" in report
    assert "OK   rating pad @2" in report and "OK   LED strip @3" in report
    kp = counter_bus.keypad
    assert [r.msg.pattern for r in kp.received_of(KeypadBeep)] == [BeepPattern.DOUBLE]
    assert kp.leds == KeypadLed.NONE  # lit, then put out
    shown = [r.msg.text for r in counter_bus.strip.received_of(StripShow)]
    assert shown[0] == FULL * counter_bus.strip.width
    prompts = [r.msg.on for r in counter_bus.pad.received_of(RatingPrompt)]
    assert prompts == [True, False]


def test_a_silent_device_fails_the_test_and_is_named(
    counter_bus: CounterRig, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    counter_bus.pad.silence()
    config = _device_file(tmp_path, counter_bus.url)
    assert device_cli("selftest", "--config", str(config)) == 1
    report = capsys.readouterr().out
    assert "FAIL rating pad @2: no answer" in report
    assert "OK   keypad @1" in report


def test_interactive_presses_reach_the_host(counter_bus: CounterRig) -> None:
    asked: list[str] = []

    def technician(text: str) -> None:
        asked.append(text)
        if "keypad" in text:
            assert counter_bus.keypad.press(Key.CALL)
        else:
            assert counter_bus.pad.wait_until(lambda p: p.prompt, 2)
            assert counter_bus.pad.press(5)

    master = open_bus(counter_bus.url)
    try:
        test = BusSelfTest(master, interactive=True, ask=technician, press_timeout=3)
        results = [test.keypad(1), test.rating_pad(2)]
    finally:
        master.close()
    text = render(results)
    assert all(r.ok for r in results), text
    assert "ok   key: CALL" in text and "ok   rating key" in text
    assert len(asked) == 2


def test_a_wrong_address_reports_the_kind_found(counter_bus: CounterRig) -> None:
    master = open_bus(counter_bus.url)
    try:
        result = BusSelfTest(master).keypad(3)
    finally:
        master.close()
    assert not result.ok and result.answered
    assert "is a led_strip, expected keypad" in render([result])


def test_the_printer_prints_a_test_ticket(tmp_path: Path) -> None:
    sim = PrinterSim(tmp_path / "printer")
    printer = TicketPrinter(sim.url, get_profile("cn80"))
    try:
        printer.open(wait=2)
        from datetime import datetime

        result = printer_selftest(printer, now=lambda: datetime(2026, 1, 2, 9, 30))
        assert result.ok, render([result])
        ticket = sim.wait_for_ticket(2)
        assert ticket is not None and b"T000" in ticket
        sim.paper_out()
        result = printer_selftest(printer, now=lambda: datetime(2026, 1, 2, 9, 31))
        assert not result.ok
    finally:
        printer.close()
        sim.close()


def test_a_pad_with_other_keys_than_the_device_file_fails(
    counter_bus: CounterRig, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _device_file(tmp_path, counter_bus.url)
    config.write_text(
        config.read_text().replace(
            "[counter]\nid = '3'\n", "[counter]\nid = '3'\nrating_keys = 3\n"
        )
    )
    assert device_cli("selftest", "--config", str(config)) == 1
    report = capsys.readouterr().out
    assert "FAIL rating pad @2" in report
    assert "the pad has 5 keys but counter.rating_keys is 3" in report
    assert "OK   keypad @1" in report  # the rest is still tested
