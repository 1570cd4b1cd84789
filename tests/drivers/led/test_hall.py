"""Hall display: zones, the frame buffer that sends only changes, recovery."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from drivers.bus.codes import TextEffect
from drivers.bus.events import DeviceOnline
from drivers.bus.messages import HallZone
from drivers.led.driver import hall_brightness, hall_clear, hall_send, hall_zone
from drivers.led.hall import HallFrameBuffer, ZoneContent


def test_frame_buffer_sends_only_changes() -> None:
    fb = HallFrameBuffer(4)
    sent: list[HallZone] = []
    fb.set_calls(["A023 → 3号窗口", "B007 → 5号窗口"], notice="暂停办理外汇业务")
    assert fb.flush(sent.append) == 4  # first flush: everything is unknown
    assert sent[0] == HallZone(0, "A023 → 3号窗口", TextEffect.BLINK)
    assert sent[3].effect == TextEffect.SCROLL
    sent.clear()
    assert fb.flush(sent.append) == 0
    fb.set_calls(["A024 → 1号窗口", "A023 → 3号窗口", "B007 → 5号窗口"], notice="暂停办理外汇业务")
    fb.flush(sent.append)
    assert [m.zone for m in sent] == [0, 1, 2]  # notice unchanged
    assert fb.wanted[1] == ZoneContent("A023 → 3号窗口")  # older call stops blinking


def test_failed_send_leaves_zones_dirty() -> None:
    fb = HallFrameBuffer(3)
    fb.set_zone(0, "A")
    fb.set_zone(1, "B")
    calls: list[int] = []

    def flaky(msg: HallZone) -> None:
        calls.append(msg.zone)
        if msg.zone == 1:
            raise OSError("bus down")

    with pytest.raises(OSError):
        fb.flush(flaky)
    assert [m.zone for m in fb.changes()] == [1, 2]


def test_long_text_is_cut_at_a_character() -> None:
    fb = HallFrameBuffer(1)
    fb.set_zone(0, "号" * 100)
    assert len(fb.wanted[0].text.encode("gb18030")) <= 96
    with pytest.raises(IndexError):
        fb.set_zone(1, "x")


def test_zones_over_the_bus(hall_bus: Any) -> None:
    fb = HallFrameBuffer(4)
    fb.set_calls(["A023 → 3号窗口"], notice="欢迎光临")
    fb.flush(lambda m: hall_send(hall_bus.master, 1, m))
    hall = hall_bus.hall
    assert hall.zones == ["A023 → 3号窗口", "", "", "欢迎光临"]
    assert hall.blinking == {0}
    hall_brightness(hall_bus.master, 1, 7)
    assert hall.brightness == 7
    hall_zone(hall_bus.master, 1, 2, "C001", blink=True)
    assert hall.zones[2] == "C001" and hall.blinking == {0, 2}
    hall_clear(hall_bus.master, 1)
    assert hall.zones == ["", "", "", ""]


def test_restart_invalidates_and_redraws(hall_bus: Any, replug: Callable[..., float]) -> None:
    fb = HallFrameBuffer(4)
    fb.set_calls(["A023"], notice="N")

    def send(m: HallZone) -> None:
        hall_send(hall_bus.master, 1, m)

    fb.flush(send)
    assert replug(hall_bus.sim, hall_bus.master, hall_bus.log, [1]) < 1.0
    assert hall_bus.log.of(DeviceOnline)[-1].restarted
    assert hall_bus.hall.zones[0] == ""
    fb.invalidate()
    assert fb.flush(send) == 4
    assert hall_bus.hall.zones[0] == "A023"
    before = len(hall_bus.hall.received_of(HallZone))
    fb.flush(send)
    assert len(hall_bus.hall.received_of(HallZone)) == before
