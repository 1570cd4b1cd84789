"""Flashing, scanning and addressing against the simulated bootloader on a real pty."""

from __future__ import annotations

from pathlib import Path

import pytest

from drivers.bus.codes import DeviceKind, ErrorCode
from drivers.bus.firmware import FirmwareImage
from drivers.bus.messages import BootBegin, EnterBoot
from drivers.bus.rigs import CounterRig
from drivers.errors import DeviceRefused
from lobbyq.device.bustools import flash, open_bus, refusal
from lobbyq.device.errors import BusToolError
from tests.device.conftest import device_cli

PAYLOAD = bytes(range(256)) * 12  # 3 KiB: 24 blocks of 128 bytes


def _image(tmp_path: Path, kind: DeviceKind, version: tuple[int, int, int]) -> Path:
    path = tmp_path / f"{kind.name.lower()}-{'.'.join(map(str, version))}.lbq"
    path.write_bytes(FirmwareImage.build(kind, version, PAYLOAD))
    return path


def test_a_good_image_is_written_verified_and_run(
    counter_bus: CounterRig, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    image = _image(tmp_path, DeviceKind.KEYPAD, (1, 2, 0))
    assert device_cli("flash", counter_bus.url, str(image), "--address", "1") == 0
    assert counter_bus.keypad.flash.version == (1, 2, 0)
    assert not counter_bus.keypad.in_boot
    out = capsys.readouterr()
    assert "done in" in out.out and "firmware 1.2.0" in out.out and "(was 1.0.0)" in out.out
    assert "flashing: 100%" in out.err  # not a tty: progress as lines


def test_an_image_for_another_kind_is_refused_before_anything_is_written(
    counter_bus: CounterRig, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    image = _image(tmp_path, DeviceKind.LED_STRIP, (2, 0, 0))
    assert device_cli("flash", counter_bus.url, str(image), "--address", "1") == 1
    err = capsys.readouterr().err
    assert "image is for a led strip, but address 1 is a keypad" in err
    assert "nothing was written" in err
    assert counter_bus.keypad.received_of(EnterBoot) == []
    assert counter_bus.keypad.flash.version == (1, 0, 0) and not counter_bus.keypad.in_boot


def test_a_corrupted_image_is_refused_and_never_sent(
    counter_bus: CounterRig, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    image = _image(tmp_path, DeviceKind.KEYPAD, (1, 2, 0))
    data = bytearray(image.read_bytes())
    data[100] ^= 0x40  # one bit flipped in the payload
    image.write_bytes(bytes(data))
    assert device_cli("flash", counter_bus.url, str(image), "--address", "1") == 1
    err = capsys.readouterr().err
    assert "damaged" in err and "CRC" in err and "nothing was sent" in err
    assert counter_bus.keypad.received_of(EnterBoot) == []


def test_the_device_itself_refuses_an_image_for_another_kind(counter_bus: CounterRig) -> None:
    strip_image = FirmwareImage.parse(FirmwareImage.build(DeviceKind.LED_STRIP, (2, 0, 0), b"x"))
    master = open_bus(counter_bus.url)
    try:
        master.request(1, EnterBoot())
        with pytest.raises(DeviceRefused) as err:
            master.request(1, BootBegin(strip_image.header.build()))
        assert err.value.code == ErrorCode.WRONG_KIND
        assert "another kind" in refusal(err.value)
    finally:
        master.close()
    assert counter_bus.keypad.flash.app_valid  # the refused image erased nothing


@pytest.mark.parametrize("cut_at", [0.0, 0.5, 1.0], ids=["after-erase", "halfway", "before-verify"])
def test_a_transfer_cut_by_a_power_cut_is_finished_by_running_again(
    counter_bus: CounterRig, tmp_path: Path, capsys: pytest.CaptureFixture[str], cut_at: float
) -> None:
    image = _image(tmp_path, DeviceKind.KEYPAD, (1, 3, 0))
    parsed = FirmwareImage.parse(image.read_bytes())
    cut = {"done": False}

    def pull_the_plug(done: int, total: int) -> None:
        if done >= int(total * cut_at) and not cut["done"]:
            cut["done"] = True
            counter_bus.sim.unplug()

    master = open_bus(counter_bus.url)
    try:
        with pytest.raises(BusToolError) as err:
            flash(master, counter_bus.url, 1, parsed, progress=pull_the_plug)
    finally:
        master.close()
    assert "interrupted" in str(err.value) and "again" in str(err.value)
    assert not counter_bus.keypad.flash.app_valid  # half-written: no application

    counter_bus.sim.replug()  # power back: it must come up in its bootloader
    assert counter_bus.keypad.in_boot
    assert device_cli("scan", counter_bus.url, "--last", "3") == 0
    assert "BOOTLOADER" in capsys.readouterr().out

    assert device_cli("flash", counter_bus.url, str(image), "--address", "1") == 0
    out = capsys.readouterr().out
    assert "earlier update did not finish" in out
    assert counter_bus.keypad.flash.version == (1, 3, 0) and not counter_bus.keypad.in_boot


def test_a_flash_write_failure_leaves_the_bootloader_and_a_rerun_fixes_it(
    counter_bus: CounterRig, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    image = _image(tmp_path, DeviceKind.KEYPAD, (1, 4, 0))
    counter_bus.keypad.fail_flash_at = 1000
    assert device_cli("flash", counter_bus.url, str(image), "--address", "1") == 1
    err = capsys.readouterr().err
    assert "could not write its flash" in err and "stays in its bootloader" in err
    assert counter_bus.keypad.in_boot
    assert device_cli("flash", counter_bus.url, str(image), "--address", "1") == 0
    assert counter_bus.keypad.flash.version == (1, 4, 0)


def test_a_wrong_address_says_how_to_find_the_right_one(
    counter_bus: CounterRig, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    image = _image(tmp_path, DeviceKind.KEYPAD, (1, 2, 0))
    assert device_cli("flash", counter_bus.url, str(image), "--address", "9") == 1
    err = capsys.readouterr().err
    assert "no device answers at address 9" in err and "lobbyq device scan" in err
    assert device_cli("flash", counter_bus.url, str(image), "--address", "0") == 1
    assert "outside 1-247" in capsys.readouterr().err


def test_scan_and_set_address(counter_bus: CounterRig, capsys: pytest.CaptureFixture[str]) -> None:
    assert device_cli("scan", counter_bus.url, "--last", "5") == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[:2] for line in lines[1:]] == [
        ["1", "keypad"],
        ["2", "rating"],
        ["3", "led"],
    ]
    assert "KP-000101" in lines[1]

    assert device_cli("set-address", counter_bus.url, "3", "7") == 0
    assert "moved to address 7: led strip" in capsys.readouterr().out
    assert counter_bus.strip.addr == 7

    assert device_cli("set-address", counter_bus.url, "7", "1") == 1
    assert "address 1 is already used" in capsys.readouterr().err
    assert counter_bus.strip.addr == 7

    assert device_cli("set-address", counter_bus.url, "4", "5") == 1
    assert "no device answers at address 4" in capsys.readouterr().err

    # A serial no device at that address has: nothing moves, and it says so.
    assert device_cli("set-address", counter_bus.url, "1", "9", "--serial", "KP-999999") == 1
    err = capsys.readouterr().err
    assert "no device with serial 'KP-999999' at address 1" in err and "nothing was changed" in err
    assert "took the change" not in err
    assert counter_bus.keypad.addr == 1


def test_scan_of_an_empty_range_and_a_missing_port(
    counter_bus: CounterRig, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert device_cli("scan", counter_bus.url, "--first", "10", "--last", "11") == 1
    assert "no device answered" in capsys.readouterr().out
    assert device_cli("scan", str(tmp_path / "no-such-port"), "--last", "2") == 1
    assert "does not exist" in capsys.readouterr().err


def test_ctrl_c_during_a_flash_says_how_to_finish(counter_bus: CounterRig, tmp_path: Path) -> None:
    image = FirmwareImage.parse(_image(tmp_path, DeviceKind.KEYPAD, (1, 6, 0)).read_bytes())

    def impatient(done: int, total: int) -> None:
        if done > total // 3:
            raise KeyboardInterrupt

    master = open_bus(counter_bus.url)
    try:
        with pytest.raises(BusToolError, match=r"Ctrl-C.*bootloader.*again"):
            flash(master, counter_bus.url, 1, image, progress=impatient)
    finally:
        master.close()
    assert counter_bus.keypad.in_boot


def test_a_stop_signal_during_a_flash_says_how_to_finish_with_the_file(
    counter_bus: CounterRig, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import os
    import signal
    import threading

    from tests.support import eventually

    image = tmp_path / "keypad-1.7.0.lbq"
    # Long enough that the signal lands mid-transfer (384 blocks).
    image.write_bytes(FirmwareImage.build(DeviceKind.KEYPAD, (1, 7, 0), PAYLOAD * 16))
    late: list[int] = []
    # A signal arriving after the flash must not end the test run: catch it here.
    outer = signal.signal(signal.SIGTERM, lambda signum, frame: late.append(signum))
    before = signal.getsignal(signal.SIGTERM)

    def stop_when_erased() -> None:
        if eventually(lambda: counter_bus.keypad.in_boot, 10.0):
            os.kill(os.getpid(), signal.SIGTERM)

    killer = threading.Thread(target=stop_when_erased)
    killer.start()
    try:
        assert device_cli("flash", counter_bus.url, str(image), "--address", "1") == 1
    finally:
        killer.join()
        restored = signal.getsignal(signal.SIGTERM)
        signal.signal(signal.SIGTERM, outer)
    assert late == []  # it reached the flash, not the handler around it
    err = capsys.readouterr().err
    assert "stopped (Ctrl-C or a stop signal)" in err and "bootloader" in err
    assert f"lobbyq device flash {counter_bus.url} {image} --address 1` again" in err
    assert restored == before  # put back for whoever runs next
