"""Simulated LED displays: the counter strip and the hall display."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import ClassVar

from drivers.bus.codes import DeviceKind, ErrorCode, TextEffect
from drivers.bus.device_sim import DeviceSim
from drivers.bus.firmware import Version
from drivers.bus.messages import (
    Ack,
    HallBrightness,
    HallClear,
    HallZone,
    Message,
    Nak,
    StripBrightness,
    StripClear,
    StripShow,
)
from drivers.led.codes import BRIGHTNESS_MAX


class StripSim(DeviceSim):
    """One-line counter LED: what it shows is ``text``, ``effect``, ``brightness``."""

    KIND: ClassVar[DeviceKind] = DeviceKind.LED_STRIP
    SERIAL_PREFIX: ClassVar[str] = "LS"

    def __init__(
        self,
        addr: int = 3,
        *,
        width: int = 16,
        serial: str | None = None,
        version: Version = (1, 0, 0),
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.width = width
        self.text = ""
        self.effect = TextEffect.NONE
        self.speed = 0
        self.brightness = BRIGHTNESS_MAX
        super().__init__(addr, serial=serial, version=version, clock=clock)

    def caps(self) -> int:
        return self.width

    @property
    def blinking(self) -> bool:
        return bool(self.effect & TextEffect.BLINK)

    def reset_app_state(self) -> None:
        self.text = ""
        self.effect = TextEffect.NONE
        self.brightness = BRIGHTNESS_MAX

    def handle_app(self, msg: Message) -> Message:
        if isinstance(msg, StripShow):
            self.text, self.effect, self.speed = msg.text, msg.effect, msg.speed
            return Ack()
        if isinstance(msg, StripBrightness):
            self.brightness = msg.level
            return Ack()
        if isinstance(msg, StripClear):
            self.text, self.effect = "", TextEffect.NONE
            return Ack()
        return Nak(ErrorCode.BAD_CMD)


class HallDisplaySim(DeviceSim):
    """Multi-zone hall display: ``zones[i]`` is the text of zone i."""

    KIND: ClassVar[DeviceKind] = DeviceKind.HALL_DISPLAY
    SERIAL_PREFIX: ClassVar[str] = "HD"

    def __init__(
        self,
        addr: int = 1,
        *,
        zones: int = 4,
        serial: str | None = None,
        version: Version = (1, 0, 0),
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.zone_count = zones
        self.zones: list[str] = [""] * zones
        self.effects: list[TextEffect] = [TextEffect.NONE] * zones
        self.brightness = BRIGHTNESS_MAX
        super().__init__(addr, serial=serial, version=version, clock=clock)

    def caps(self) -> int:
        return self.zone_count

    @property
    def blinking(self) -> set[int]:
        return {i for i, e in enumerate(self.effects) if e & TextEffect.BLINK}

    def reset_app_state(self) -> None:
        self.zones = [""] * self.zone_count
        self.effects = [TextEffect.NONE] * self.zone_count
        self.brightness = BRIGHTNESS_MAX

    def handle_app(self, msg: Message) -> Message:
        if isinstance(msg, HallZone):
            if msg.zone >= self.zone_count:
                return Nak(ErrorCode.BAD_ARG)
            self.zones[msg.zone] = msg.text
            self.effects[msg.zone] = msg.effect
            return Ack()
        if isinstance(msg, HallBrightness):
            self.brightness = msg.level
            return Ack()
        if isinstance(msg, HallClear):
            self.reset_app_state()
            return Ack()
        return Nak(ErrorCode.BAD_CMD)
