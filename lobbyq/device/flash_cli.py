"""`lobbyq device flash PORT --address N IMAGE`: update a bus device's firmware.

Safe to interrupt: the device keeps its bootloader and refuses to run a
half-written image, so after a power cut or an unplugged cable the same
command, run again, finishes the job.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

from drivers.bus.events import DeviceInfo
from drivers.bus.firmware import version_str
from lobbyq.device.bustools import describe, flash, kind_name, load_image, open_bus, parse_address
from lobbyq.device.errors import BusToolError
from lobbyq.device.progress import ProgressBar


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("port", help="serial port or URL, e.g. /dev/lobbyq-bus")
    parser.add_argument("image", type=Path, help="firmware image file (.lbq)")
    parser.add_argument("--address", required=True, help="the device's bus address")
    parser.add_argument("--baud", type=int, default=9600, help="bus speed (default 9600)")


@contextlib.contextmanager
def _stop_like_ctrl_c() -> Iterator[None]:
    """While flashing, SIGTERM (``kill``, a closing session) ends it the way Ctrl-C does.

    Python's default for SIGTERM is to die at once, silently, which left a
    device in its bootloader with nobody told how to finish the update.
    """

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers belong to the main thread
        return
    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run(args: argparse.Namespace) -> int:
    addr = parse_address(args.address)
    try:
        data = args.image.read_bytes()
    except OSError as exc:
        raise BusToolError(f"cannot read {args.image}: {exc.strerror}") from None
    image = load_image(data, str(args.image))
    print(
        f"image {args.image.name}: {kind_name(image)} firmware {version_str(image.version)}, "
        f"{len(image.payload)} bytes, CRC-32 {image.crc:08X}"
    )
    bar = ProgressBar("flashing", out=sys.stderr)

    def on_start(info: DeviceInfo) -> None:
        print(f"device {describe(info)}")
        if info.in_boot:
            print("the device is in its bootloader (an earlier update did not finish); flashing")

    master = open_bus(args.port, baudrate=args.baud)
    try:
        with _stop_like_ctrl_c():
            report = flash(
                master,
                args.port,
                addr,
                image,
                progress=bar,
                on_start=on_start,
                source=str(args.image),
            )
    except BusToolError:
        bar.finish()
        raise
    finally:
        master.close()
    bar.finish()
    print(
        f"done in {report.seconds:.1f}s: {describe(report.after)} "
        f"(was {version_str(report.before.version)})"
    )
    return 0
