"""Figures for the technician tools: flash and scan over a pty, provisioning, password hashing.

    python bench/device.py [--json] [--image-kib 64]

Each figure is printed beside its baseline from the same run:

- flash: the real tool (``lobbyq.device.bustools.flash``) against the
  simulated bootloader on a pty, and the wire time the same frames take on
  a real bus at 9600 and 115200 baud (what a technician waits for there);
- scan of addresses 1-247 with three devices present;
- provisioning a 12- and a 48-counter branch (all files, hashes included);
- one mosquitto ``$7$`` hash at our 101 iterations against 10,000.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from drivers.bus.codes import DeviceKind  # noqa: E402
from drivers.bus.firmware import FirmwareImage  # noqa: E402
from drivers.bus.flash import BOOT_BLOCK  # noqa: E402
from drivers.bus.frame import OVERHEAD  # noqa: E402
from drivers.bus.sim import BusSim  # noqa: E402
from drivers.keypad.sim import KeypadSim  # noqa: E402
from drivers.led.sim import StripSim  # noqa: E402
from drivers.ratingpad.sim import RatingPadSim  # noqa: E402
from lobbyq.device.branchfile import parse_branch_file  # noqa: E402
from lobbyq.device.bustools import flash, open_bus  # noqa: E402
from lobbyq.device.passwd import hash_password  # noqa: E402
from lobbyq.device.provision import provision  # noqa: E402


def wire_seconds(payload: int, baud: int) -> float:
    """Bytes on the wire for a flash at ``baud``: each block and its ACK, 10 bits a byte."""
    blocks = -(-payload // BOOT_BLOCK)
    per_block = (OVERHEAD + 4 + BOOT_BLOCK) + (OVERHEAD + 4)  # BOOT_WRITE + ACK(next offset)
    return blocks * per_block * 10 / baud


def bench_flash(tmp: Path, kib: int) -> dict[str, Any]:
    payload = bytes(i * 7 % 251 for i in range(kib * 1024))
    image = FirmwareImage.parse(FirmwareImage.build(DeviceKind.KEYPAD, (9, 9, 9), payload))
    sim = BusSim(tmp / "bus-flash")
    sim.add(KeypadSim(1))
    master = open_bus(sim.url)
    try:
        report = flash(master, sim.url, 1, image)
    finally:
        master.close()
        sim.close()
    return {
        "flash_image_bytes": len(payload),
        "flash_pty_s": round(report.seconds, 3),
        "flash_pty_bytes_per_s": round(len(payload) / report.seconds),
        "flash_wire_9600_s": round(wire_seconds(len(payload), 9600), 1),
        "flash_wire_115200_s": round(wire_seconds(len(payload), 115200), 1),
    }


def bench_scan(tmp: Path) -> dict[str, Any]:
    sim = BusSim(tmp / "bus-scan")
    for dev in (KeypadSim(1), RatingPadSim(2), StripSim(3)):
        sim.add(dev)
    master = open_bus(sim.url)
    try:
        t0 = time.perf_counter()
        found = master.scan(range(1, 248))
        seconds = time.perf_counter() - t0
    finally:
        master.close()
        sim.close()
    return {"scan_1_247_s": round(seconds, 2), "scan_found": len(found)}


def _branch(counters: int) -> dict[str, Any]:
    devices: list[dict[str, Any]] = [
        {"id": "engine", "role": "engine"},
        {
            "id": "kiosk-1",
            "role": "kiosk",
            "serial": {"printer": "/dev/lobbyq-printer"},
            "printer": {"profile": "cn80"},
        },
    ]
    devices += [
        {
            "id": f"counter-{n}",
            "role": "counter",
            "serial": {"bus": "/dev/lobbyq-bus"},
            "bus": {"keypad": 1, "rating_pad": 2, "strip": 3},
            "counter": {"id": str(n)},
        }
        for n in range(1, counters + 1)
    ]
    return {"branch": {"id": "bench", "broker_host": "kiosk-1.local"}, "devices": devices}


def bench_provision(tmp: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for n in (12, 48):
        bf = parse_branch_file(_branch(n))
        t0 = time.perf_counter()
        provision(bf, tmp / f"prov-{n}")
        out[f"provision_{n}_counters_s"] = round(time.perf_counter() - t0, 3)
    return out


def bench_hash() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for iterations in (101, 10_000):
        t0 = time.perf_counter()
        for _ in range(20):
            hash_password("x" * 43, b"0" * 12, iterations)
        out[f"hash_{iterations}_iter_us"] = round((time.perf_counter() - t0) / 20 * 1e6)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="one JSON object")
    parser.add_argument("--image-kib", type=int, default=64, help="firmware size to flash")
    args = parser.parse_args()
    cpu0 = time.process_time()
    with tempfile.TemporaryDirectory(prefix="lobbyq-bench-") as d:
        tmp = Path(d)
        figures = {
            **bench_flash(tmp, args.image_kib),
            **bench_scan(tmp),
            **bench_provision(tmp),
            **bench_hash(),
        }
    figures["cpu_s"] = round(time.process_time() - cpu0, 2)
    figures["max_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    if args.json:
        print(json.dumps(figures))
    else:
        for key, value in figures.items():
            print(f"{key:28} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
