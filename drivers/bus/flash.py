"""Firmware update of one counter bus device, through its bootloader.

The image format is in ``firmware.py``; this is the host's side of the
transfer, run on a ``BusMaster`` that holds its keep-alive off the device
for as long as the update owns it.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from drivers.bus.codes import ErrorCode
from drivers.bus.events import DeviceInfo
from drivers.bus.firmware import FirmwareImage
from drivers.bus.master import BusMaster
from drivers.bus.messages import BootBegin, BootRun, BootVerify, BootWrite, EnterBoot
from drivers.errors import DeviceRefused, DeviceTimeout, ImageError

BOOT_BLOCK = 128
Progress = Callable[[int, int], None]


def flash(
    bus: BusMaster,
    addr: int,
    image: FirmwareImage | bytes,
    *,
    progress: Progress | None = None,
    block_size: int = BOOT_BLOCK,
    boot_timeout: float = 5.0,
    sleep: Callable[[float], None] = time.sleep,
) -> DeviceInfo:
    """Update the firmware of the device at ``addr``; returns its new identity.

    Order: check the image, PING (refuse another kind before erasing),
    ENTER_BOOT, BOOT_BEGIN, BOOT_WRITE blocks, BOOT_VERIFY, BOOT_RUN, then
    wait (on the master's clock) until the device answers with the new
    version. A failure leaves the device in its bootloader (it keeps no
    half-written application); run ``flash`` again.
    """
    img = image if isinstance(image, FirmwareImage) else FirmwareImage.parse(image)
    if not 16 <= block_size <= 240:
        raise ValueError("block_size must be 16..240")
    with bus.exclusive(addr):
        info = bus.ping(addr)
        if info.kind != img.kind:
            raise ImageError(
                f"image is for {img.kind.name}, device @{addr:02X} is {info.kind.name}"
            )
        bus.command(addr, EnterBoot())
        bus.command(addr, BootBegin(img.header.build()))
        _write_blocks(bus, addr, img.payload, block_size, progress)
        ack = bus.command(addr, BootVerify())
        crc = int.from_bytes(ack.data[:4], "little")
        if crc != img.crc:
            raise ImageError(f"device CRC 0x{crc:08X}, image 0x{img.crc:08X}")
        bus.command(addr, BootRun())
        deadline = bus.clock() + boot_timeout
        while True:
            try:
                info = bus.ping(addr, retries=0)
                if not info.in_boot and info.version == img.version:
                    return info
            except DeviceTimeout:
                pass
            if bus.clock() > deadline:
                raise DeviceTimeout(f"@{addr:02X} did not come back with the new firmware")
            sleep(0.02)


def _write_blocks(
    bus: BusMaster, addr: int, payload: bytes, block_size: int, progress: Progress | None
) -> None:
    total = len(payload)
    offset = 0
    if progress is not None:
        progress(0, total)
    while offset < total:
        block = payload[offset : offset + block_size]
        ack = bus.command(addr, BootWrite(offset, block))
        nxt = int.from_bytes(ack.data[:4], "little") if len(ack.data) >= 4 else -1
        if nxt != offset + len(block):
            raise DeviceRefused(ErrorCode.BAD_OFFSET, f"device at {nxt}, host at {offset}")
        offset = nxt
        if progress is not None:
            progress(offset, total)
