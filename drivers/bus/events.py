"""What a ``BusMaster`` tells the app: typed, immutable, stamped with the host clock."""

from __future__ import annotations

from dataclasses import dataclass

from drivers.bus.codes import DeviceKind, Status
from drivers.bus.firmware import Version, version_str
from drivers.keypad.codes import Key
from drivers.ratingpad.codes import Rating, Reason


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    """A device's answer to PING."""

    addr: int
    kind: DeviceKind
    version: Version
    caps: int
    status: Status
    serial: str

    @property
    def in_boot(self) -> bool:
        return bool(self.status & Status.IN_BOOT)

    def describe(self) -> str:
        mode = " BOOTLOADER" if self.in_boot else ""
        return (
            f"@{self.addr:02X} {self.kind.name.lower()} v{version_str(self.version)} "
            f"sn {self.serial}{mode}"
        )


@dataclass(frozen=True, slots=True)
class BusEvent:
    addr: int
    t: float  # host clock when the frame was decoded


@dataclass(frozen=True, slots=True)
class KeyPressed(BusEvent):
    key: Key


@dataclass(frozen=True, slots=True)
class RatingGiven(BusEvent):
    value: Rating
    reason: Reason


@dataclass(frozen=True, slots=True)
class DeviceOnline(BusEvent):
    """The device answers (again). ``restarted``: it lost its state; resend it."""

    info: DeviceInfo
    restarted: bool


@dataclass(frozen=True, slots=True)
class DeviceOffline(BusEvent):
    reason: str
