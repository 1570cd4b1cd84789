"""Firmware update over the bus: progress, refusals, a transfer cut half way."""

from __future__ import annotations

from typing import Any

import pytest

from drivers.bus.codes import DeviceKind, ErrorCode
from drivers.bus.events import DeviceInfo, DeviceOnline, KeyPressed
from drivers.bus.firmware import FirmwareImage
from drivers.bus.flash import flash
from drivers.bus.master import BusMaster
from drivers.bus.messages import KeypadBeep
from drivers.errors import DeviceRefused, DeviceTimeout, ImageError, LinkDown
from drivers.keypad.codes import BeepPattern, Key
from tests.support import eventually

IMAGE = FirmwareImage(DeviceKind.KEYPAD, (1, 5, 0), bytes(range(256)) * 8)


def test_flash_updates_and_reports_progress(counter_bus: Any) -> None:
    steps: list[tuple[int, int]] = []
    image = IMAGE.to_bytes()
    info = flash(counter_bus.master, 1, image, progress=lambda d, t: steps.append((d, t)))
    assert info.version == (1, 5, 0) and not info.in_boot
    assert steps[0] == (0, 2048) and steps[-1] == (2048, 2048) and len(steps) == 17
    counter_bus.log.wait_for(DeviceOnline, lambda e: e.addr == 1 and e.info.version == (1, 5, 0))
    counter_bus.keypad.press(Key.CALL)
    assert counter_bus.log.wait_for(KeyPressed).key is Key.CALL


def test_flash_refuses_image_for_another_kind(counter_bus: Any) -> None:
    hall_image = FirmwareImage(DeviceKind.HALL_DISPLAY, (9, 0, 0), b"x" * 100)
    with pytest.raises(ImageError, match="HALL_DISPLAY"):
        flash(counter_bus.master, 1, hall_image)
    assert not counter_bus.master.ping(1).in_boot
    with pytest.raises(ImageError):
        flash(counter_bus.master, 1, IMAGE.to_bytes()[:-1])  # truncated file


def test_failed_transfer_stays_in_boot_across_power_cut_then_recovers(counter_bus: Any) -> None:
    m: BusMaster = counter_bus.master
    counter_bus.keypad.fail_flash_at = 1000
    with pytest.raises(DeviceRefused) as err:
        flash(m, 1, IMAGE)
    assert err.value.code == ErrorCode.FLASH_FAILED
    assert m.ping(1).in_boot
    with pytest.raises(DeviceRefused):
        m.request(1, KeypadBeep(BeepPattern.SHORT))  # no application to run it
    counter_bus.sim.unplug()
    counter_bus.sim.replug()
    assert m.wait_online(1, 3)

    def answer() -> DeviceInfo | None:
        try:
            return m.ping(1)
        except (LinkDown, DeviceTimeout):
            return None

    info = eventually(answer, 2)
    assert info is not None
    assert info.in_boot and info.version == (0, 0, 0)
    assert not counter_bus.keypad.press(Key.CALL)
    assert flash(m, 1, IMAGE).version == (1, 5, 0)
