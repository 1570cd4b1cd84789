"""The ``lobbyq sim`` console: parsing, and commands acting on live simulators."""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

import pytest

from drivers.bus.events import KeyPressed, RatingGiven
from drivers.bus.harness import EventLog
from drivers.bus.master import BusMaster
from drivers.bus.rigs import CounterRig, HallRig
from drivers.keypad.codes import Key
from drivers.led.driver import strip_show
from drivers.ratingpad.codes import Rating, Reason
from drivers.ratingpad.driver import rating_prompt
from drivers.simcli import (
    Bench,
    Command,
    CommandError,
    apply_command,
    configure,
    parse_command,
    run,
)


def test_parse() -> None:
    assert parse_command("  ") is None
    assert parse_command("call") == Command("c1", "key", ("call",))
    assert parse_command("C2 No-Show") == Command("c2", "key", ("no-show",))
    assert parse_command("hall unplug") == Command("hall", "unplug")
    assert parse_command("rate 1 2") == Command("c1", "rate", ("1", "2"))
    assert parse_command("exit") == Command("", "quit")
    for bad in ("dance", "digits x", "rate", "garbage", "c3"):
        with pytest.raises(CommandError):
            parse_command(bad)


def test_console_drives_a_counter_and_hall(tmp_path: Path) -> None:
    rig = CounterRig.build(tmp_path / "counter1", pad_keys=5)
    hall = HallRig.build(tmp_path / "hall")
    bench = Bench({"c1": rig}, hall)
    log = EventLog()
    try:
        with BusMaster(rig.url, devices=[1, 2, 3], on_event=log, baudrate=1_000_000) as m:
            assert m.wait_online(1, 3) and m.wait_online(2, 3)
            apply_command(bench, Command("c1", "key", ("call",)))
            apply_command(bench, Command("c1", "digits", ("42",)))
            log.wait_for(KeyPressed, lambda e: e.key is Key.D2)
            assert [e.key for e in log.of(KeyPressed)] == [Key.CALL, Key.D4, Key.D2]
            assert "prompt is dark" in apply_command(bench, Command("c1", "rate", ("5",)))
            rating_prompt(m, 2, True)
            apply_command(bench, Command("c1", "rate", ("1", "1")))
            ev = log.wait_for(RatingGiven)
            assert (ev.value, ev.reason) == (Rating.VERY_UNSATISFIED, Reason.WAIT_TOO_LONG)
            strip_show(m, 3, "A023", blink=True)
            assert "strip='A023' (blink)" in apply_command(bench, Command("", "show"))
        assert "unplugged" in apply_command(bench, Command("hall", "unplug"))
        assert not hall.sim.port.plugged
        apply_command(bench, Command("hall", "replug"))
        assert hall.sim.port.plugged
        with pytest.raises(CommandError):
            apply_command(bench, Command("c9", "key", ("call",)))
    finally:
        bench.close()


def test_run_with_a_scripted_stdin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    parser = argparse.ArgumentParser()
    configure(parser)
    args = parser.parse_args(["--dir", str(tmp_path / "dev"), "--counters", "2", "--quiet"])
    monkeypatch.setattr(sys, "stdin", io.StringIO("c2 call\nnonsense\nshow\nquit\n"))
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    assert run(args) == 0
    text = out.getvalue()
    assert "c2 call" in text and "? unknown command" in text and "counter2" in text
    assert not (tmp_path / "dev" / "counter1").exists()  # names removed on exit


def test_pad_keys_default_to_five_and_can_differ_per_counter() -> None:
    from drivers.simcli import pad_keys_for

    parser = argparse.ArgumentParser()
    configure(parser)
    default = parser.parse_args([]).pad_keys
    assert pad_keys_for(default, 2) == [5, 5]  # as counter.rating_keys defaults
    assert pad_keys_for("5,3", 2) == [5, 3]
    for bad in ("4", "5,3,5", "x"):
        with pytest.raises(CommandError):
            pad_keys_for(bad, 2)


def test_firmware_blocks_are_counted_not_printed() -> None:
    from drivers.bus.messages import BootBegin, BootVerify, BootWrite
    from drivers.keypad.sim import KeypadSim
    from drivers.simcli import _mirror

    out = io.StringIO()
    listen = _mirror(out, "c1")
    dev = KeypadSim(1)
    listen(dev, BootBegin(b"h"))
    for _ in range(500):
        listen(dev, BootWrite())
    listen(dev, BootVerify())
    lines = out.getvalue().splitlines()
    assert len(lines) == 3 and lines[1] == "[c1 @1] 500 firmware blocks"
