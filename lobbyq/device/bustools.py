"""Scan, address and flash counter-bus devices, with errors a technician can act on.

These wrap ``drivers.bus.master.BusMaster`` and ``drivers.bus.flash``; what
they add is the technician's view: check the image and the address before
anything is sent, say in words what a NAK code means, and after a failed transfer say
what state the device is in and what to do next. The bus tools need the
port to themselves: stop the app that owns it first
(``systemctl stop lobbyq-counter@counter-3``), because two readers on one serial port
each get half of the bytes.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from drivers.bus.codes import MAX_DEVICE_ADDR, MIN_DEVICE_ADDR, ErrorCode
from drivers.bus.events import DeviceInfo
from drivers.bus.firmware import FirmwareImage, version_str
from drivers.bus.flash import flash as flash_device
from drivers.bus.master import BusMaster
from drivers.errors import DeviceRefused, DeviceTimeout, DriverError, ImageError, LinkDown
from lobbyq.device.errors import BusToolError

Progress = Callable[[int, int], None]

# What a NAK means, for a person standing at the counter.
REFUSALS: dict[int, str] = {
    ErrorCode.BAD_CMD: "the device does not know this command (older firmware?)",
    ErrorCode.BAD_LENGTH: "the device found a frame of the wrong length",
    ErrorCode.BAD_ARG: "the device refused a value (address in use or out of range)",
    ErrorCode.BUSY: "the device is busy; try again in a moment",
    ErrorCode.WRONG_KIND: "the device refused an image made for another kind of device",
    ErrorCode.BAD_OFFSET: "the device lost track of the transfer position",
    ErrorCode.BAD_CRC: "the device found that what it wrote does not match the image CRC",
    ErrorCode.NOT_VERIFIED: "the device will not run an image it has not verified",
    ErrorCode.NOT_IN_BOOT: "the device left its bootloader during the update",
    ErrorCode.IN_BOOT: "the device is in its bootloader (an update did not finish)",
    ErrorCode.TEXT_TOO_LONG: "the text does not fit the display",
    ErrorCode.FLASH_FAILED: "the device could not write its flash memory",
    ErrorCode.BAD_HEADER: "the device could not read the image header",
}


def refusal(exc: DeviceRefused) -> str:
    return REFUSALS.get(exc.code, f"the device refused (code 0x{exc.code:02X})")


def kind_name(info_or_kind: object) -> str:
    kind = getattr(info_or_kind, "kind", info_or_kind)
    return str(getattr(kind, "name", kind)).lower().replace("_", " ")


def parse_address(text: str) -> int:
    """An address as typed: decimal or 0x-hex, within the device range."""
    try:
        value = int(text, 0)
    except ValueError:
        raise BusToolError(f"address {text!r} is not a number") from None
    if not MIN_DEVICE_ADDR <= value <= MAX_DEVICE_ADDR:
        raise BusToolError(
            f"address {value} is outside {MIN_DEVICE_ADDR}-{MAX_DEVICE_ADDR} "
            "(0 is the host, 248-255 are reserved)"
        )
    return value


def open_bus(port: str, *, baudrate: int = 9600, wait: float = 3.0) -> BusMaster:
    """A started BusMaster that watches nothing (no keep-alive traffic of its own)."""
    if "://" not in port and not os.path.exists(port):
        raise BusToolError(
            f"{port} does not exist (is the adapter plugged in? `ls -l /dev/lobbyq-*` lists "
            "the stable names udev gives the adapters)"
        )
    master = BusMaster(port, name="tech", baudrate=baudrate)
    master.start()
    if not master.link.wait_connected(wait):
        master.close()
        if master.link.in_use:
            # Another program (the counter app, most often) holds the line: scanning
            # beside it would miss devices and blame the cabling.
            raise BusToolError(master.link.last_reason.removeprefix("open failed: "))
        raise BusToolError(
            f"cannot open {port} (is the adapter plugged in, and is the udev name right? "
            "`ls -l /dev/lobbyq-*` lists them)"
        )
    return master


def describe(info: DeviceInfo) -> str:
    state = "BOOTLOADER" if info.in_boot else "running"
    return (
        f"address {info.addr}: {kind_name(info)} firmware {version_str(info.version)} "
        f"serial {info.serial} ({state})"
    )


def render_scan(found: Sequence[DeviceInfo]) -> str:
    rows = [("ADDR", "KIND", "FIRMWARE", "SERIAL", "STATE")]
    rows += [
        (
            str(i.addr),
            kind_name(i),
            version_str(i.version),
            i.serial,
            "BOOTLOADER" if i.in_boot else "running",
        )
        for i in found
    ]
    widths = [max(len(r[c]) for r in rows) for c in range(5)]
    return "\n".join(
        "  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in rows
    )


def scan(
    master: BusMaster, addrs: Iterable[int], *, progress: Progress | None = None
) -> list[DeviceInfo]:
    try:
        return master.scan(addrs, progress=progress)
    except LinkDown as exc:
        raise BusToolError(f"the port went away during the scan: {exc}") from None


def ping(master: BusMaster, addr: int, port: str) -> DeviceInfo:
    try:
        return master.ping(addr)
    except DeviceTimeout:
        raise BusToolError(
            f"no device answers at address {addr} on {port}; "
            f"`lobbyq device scan {port}` lists the addresses that do"
        ) from None
    except LinkDown as exc:
        raise BusToolError(f"the port went away: {exc}") from None
    except DeviceRefused as exc:
        raise BusToolError(f"address {addr}: {refusal(exc)}") from None


def set_address(master: BusMaster, port: str, old: int, new: int, serial: str = "") -> DeviceInfo:
    ping(master, old, port)
    try:
        return master.set_address(old, new, serial=serial)
    except DeviceRefused as exc:
        if exc.code == ErrorCode.BAD_ARG and "in use" in exc.detail:
            raise BusToolError(
                f"address {new} is already used ({exc.detail.split(': ', 1)[-1]}); "
                "pick a free one (`lobbyq device scan` shows them) or move that device first"
            ) from None
        raise BusToolError(f"address {old}: {refusal(exc)}") from None
    except DeviceTimeout:
        pass
    # No answer at the new address. With a serial that no device at ``old`` has, the
    # devices ignored the command: say that nothing changed rather than send the
    # technician looking for a device that never moved.
    try:
        still = master.ping(old)
    except (DeviceTimeout, DeviceRefused, LinkDown):
        still = None
    if serial and still is not None and still.serial != serial:
        raise BusToolError(
            f"no device with serial {serial!r} at address {old} (the one there is "
            f"{still.serial!r}); nothing was changed. `lobbyq device scan {port}` lists "
            "each device with its serial"
        )
    raise BusToolError(
        f"the device took the change but does not answer at {new}; "
        f"run `lobbyq device scan {port}` to find it"
    )


@dataclass(frozen=True, slots=True)
class FlashReport:
    before: DeviceInfo
    after: DeviceInfo
    image: FirmwareImage
    seconds: float


def load_image(data: bytes, source: str) -> FirmwareImage:
    """Check an image file completely before a byte of it goes to a device."""
    try:
        return FirmwareImage.parse(data)
    except ImageError as exc:
        raise BusToolError(
            f"{source} is damaged or not a lobbyq firmware image ({exc}); nothing was sent"
        ) from None


def flash(
    master: BusMaster,
    port: str,
    addr: int,
    image: FirmwareImage,
    *,
    progress: Progress | None = None,
    on_start: Callable[[DeviceInfo], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
    source: str = "IMAGE",
) -> FlashReport:
    """Flash ``image`` at ``addr``: refuse a wrong kind first, verify, and explain failures.

    ``source`` is the image file as the technician named it, so the command
    to run again can be pasted as it is.
    """
    before = ping(master, addr, port)
    if before.kind != image.kind:
        raise BusToolError(
            f"refused: the image is for a {kind_name(image)}, but address {addr} is a "
            f"{kind_name(before)}; nothing was written (check the address with "
            f"`lobbyq device scan {port}` and the image name)"
        )
    if on_start is not None:
        on_start(before)
    start = clock()
    again = f"run `lobbyq device flash {port} {source} --address {addr}` again"
    try:
        after = flash_device(master, addr, image, progress=progress)
    except DeviceRefused as exc:
        raise BusToolError(
            f"address {addr}: {refusal(exc)}. The device stays in its bootloader with no "
            f"application until a verified image is in place: {again}"
        ) from None
    except (DeviceTimeout, LinkDown) as exc:
        raise BusToolError(
            f"the transfer was interrupted ({exc}). The device stays in its bootloader until a "
            f"verified image is in place; when it has power and the cable is in, {again}"
        ) from None
    except KeyboardInterrupt:
        raise BusToolError(
            "stopped (Ctrl-C or a stop signal). If the device had started erasing, it stays in "
            f"its bootloader until a verified image is in place: {again}"
        ) from None
    except DriverError as exc:  # ImageError included: same words, same way out
        raise BusToolError(f"address {addr}: {exc}; {again}") from None
    return FlashReport(before, after, image, clock() - start)
