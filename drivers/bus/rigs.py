"""Ready-made simulated benches: a counter's bus and a hall display's bus.

The demo, the ``lobbyq sim`` command and the benchmarks build the same
devices at the same addresses a branch uses, so a counter app pointed at
``rig.url`` cannot tell the difference from real hardware.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from drivers.bus.sim import BusSim
from drivers.keypad.sim import KeypadSim
from drivers.led.sim import HallDisplaySim, StripSim
from drivers.ratingpad.sim import RatingPadSim

KEYPAD_ADDR = 1
RATING_PAD_ADDR = 2
STRIP_ADDR = 3
HALL_ADDR = 1


@dataclass
class CounterRig:
    """Keypad @1, rating pad @2, LED strip @3 on one simulated RS-485 port."""

    sim: BusSim
    keypad: KeypadSim
    pad: RatingPadSim
    strip: StripSim

    @property
    def url(self) -> str:
        return self.sim.url

    def close(self) -> None:
        self.sim.close()

    @classmethod
    def build(
        cls,
        link: str | os.PathLike[str],
        *,
        pad_keys: int = 5,  # as counter.rating_keys defaults: no scale warning
        reason_keys: bool = True,
        counter_no: int = 1,
    ) -> CounterRig:
        keypad = KeypadSim(KEYPAD_ADDR, serial=f"KP-{counter_no:06d}")
        pad = RatingPadSim(
            RATING_PAD_ADDR, keys=pad_keys, reason_keys=reason_keys, serial=f"RP-{counter_no:06d}"
        )
        strip = StripSim(STRIP_ADDR, serial=f"LS-{counter_no:06d}")
        return cls(BusSim(link, [keypad, pad, strip]), keypad, pad, strip)


@dataclass
class HallRig:
    """The hall display alone on its port."""

    sim: BusSim
    hall: HallDisplaySim

    @property
    def url(self) -> str:
        return self.sim.url

    def close(self) -> None:
        self.sim.close()

    @classmethod
    def build(cls, link: str | os.PathLike[str], *, zones: int = 4) -> HallRig:
        hall = HallDisplaySim(HALL_ADDR, zones=zones, serial="HD-000001")
        return cls(BusSim(link, [hall]), hall)
