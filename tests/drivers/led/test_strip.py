"""Counter LED strip: GB18030 text, effects, brightness, clear, recovery."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from drivers.bus.codes import TextEffect
from drivers.bus.harness import EventLog
from drivers.bus.master import BusMaster
from drivers.bus.messages import StripShow
from drivers.bus.sim import BusSim
from drivers.bus.text import decode_text, encode_text, fit_text
from drivers.errors import FrameError
from drivers.led.driver import strip_brightness, strip_clear, strip_show
from drivers.led.sim import StripSim

FAST: dict[str, Any] = {"keepalive_s": 0.1, "reply_timeout_s": 0.03, "baudrate": 1_000_000}


def test_gb18030_text_rules() -> None:
    assert encode_text("请A023号到3号窗口", 64) == "请A023号到3号窗口".encode("gb18030")
    assert encode_text("A023", 4) == b"A023"  # ASCII passes through
    with pytest.raises(ValueError):
        encode_text("请" * 33, 64)
    assert fit_text("请A023号", 5) == "请A02"
    with pytest.raises(FrameError):
        decode_text(b"\xff\xff")


def test_show_blink_scroll_brightness_clear(counter_bus: Any) -> None:
    m: BusMaster = counter_bus.master
    strip: StripSim = counter_bus.strip
    strip_show(m, 3, "请A023号到3号窗口", blink=True)
    assert strip.text == "请A023号到3号窗口" and strip.effect == TextEffect.BLINK
    strip_show(m, 3, "欢迎光临 Welcome", scroll=True, speed=3)
    assert strip.effect == TextEffect.SCROLL and strip.speed == 3 and not strip.blinking
    strip_brightness(m, 3, 4)
    assert strip.brightness == 4
    with pytest.raises(ValueError):
        strip_brightness(m, 3, 16)
    strip_clear(m, 3)
    assert strip.text == "" and strip.effect == TextEffect.NONE


def test_strip_records_when_each_frame_arrived(counter_bus: Any) -> None:
    strip_show(counter_bus.master, 3, "A023")
    got = counter_bus.strip.received_of(StripShow)
    assert len(got) == 1 and got[0].msg.text == "A023" and got[0].t > 0


def test_strip_alone_recovers(tmp_path: Path, replug: Callable[..., float]) -> None:
    strip = StripSim(3)
    log = EventLog()
    with (
        BusSim(tmp_path / "ls", [strip]) as sim,
        BusMaster(sim.url, devices=[3], on_event=log, backoff_max=0.05, **FAST) as m,
    ):
        assert m.wait_online(3, 3)
        strip_show(m, 3, "A023")
        assert replug(sim, m, log, [3]) < 1.0
        assert strip.text == ""  # lost with power: the app resends on DeviceOnline
        strip_show(m, 3, "A023")
        assert strip.text == "A023"
