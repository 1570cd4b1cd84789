"""`lobbyq device scan PORT`: which addresses answer on an RS-485 bus."""

from __future__ import annotations

import argparse
import sys

from lobbyq.device.bustools import open_bus, parse_address, render_scan, scan
from lobbyq.device.progress import ProgressBar


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("port", help="serial port or URL, e.g. /dev/lobbyq-bus")
    parser.add_argument("--first", default="1", help="first address to try (default 1)")
    parser.add_argument(
        "--last",
        default="32",
        help="last address to try (default 32; 247 covers all, about 35 s at 9600 baud)",
    )
    parser.add_argument("--baud", type=int, default=9600, help="bus speed (default 9600)")


def run(args: argparse.Namespace) -> int:
    first, last = parse_address(args.first), parse_address(args.last)
    master = open_bus(args.port, baudrate=args.baud)
    try:
        bar = ProgressBar(f"scanning {args.port}", out=sys.stderr, unit="")
        found = scan(master, range(first, last + 1), progress=bar)
        bar.finish()
    finally:
        master.close()
    if not found:
        print(f"no device answered on {args.port} at addresses {first}-{last}")
        if last < 247:
            print("a device at a higher address shows with --last 247")
        return 1
    print(render_scan(found))
    return 0
